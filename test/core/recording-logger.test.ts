/**
 * The recording logger is what the canary and secret-leak tests search, so a value it left out of
 * its text would make those tests pass without looking. These tests pin what it keeps.
 */
import { describe, expect, it } from 'vitest';
import { recordingLogger } from './recording-logger.ts';

describe('recordingLogger', () => {
  it('keeps every call with its level, message and attributes, in order', () => {
    // Prepare
    const logger = recordingLogger();

    // Act
    logger.info('scan finished', { count: 2 });
    logger.warn('scope refused', { account: '111111111111' }, { region: 'eu-west-1' });
    logger.error('audit failed');

    // Assess
    expect(logger.entries).toEqual([
      { level: 'info', message: 'scan finished', attributes: [{ count: 2 }] },
      {
        level: 'warn',
        message: 'scope refused',
        attributes: [{ account: '111111111111' }, { region: 'eu-west-1' }],
      },
      { level: 'error', message: 'audit failed', attributes: [] },
    ]);
  });

  it('puts every attribute in its text, including one a later attribute repeats the key of', () => {
    // Prepare
    const logger = recordingLogger();

    // Act
    logger.warn('refused', { reason: 'first-CANARY' }, { reason: 'second' });
    logger.info('done', { nested: { deep: ['last-CANARY'] } });

    // Assess
    const text = logger.text();
    expect(text.split('\n')).toHaveLength(2);
    for (const value of ['refused', 'first-CANARY', 'second', 'done', 'last-CANARY'])
      expect(text).toContain(value);
  });

  it('writes the message and cause of an error logged as an attribute into its text', () => {
    // Prepare
    const logger = recordingLogger();
    const cause = Object.assign(new Error('socket CANARY-cause'), { code: 'ECONNRESET' });

    // Act
    logger.error('publish failed', { error: new Error('token CANARY-message', { cause }) });

    // Assess
    const text = logger.text();
    expect(text).toContain('CANARY-message');
    expect(text).toContain('CANARY-cause');
    expect(text).toContain('"code":"ECONNRESET"');
  });

  it('keeps the text of a line as it was when logged when the product changes the attribute afterwards', () => {
    // Prepare
    const logger = recordingLogger();
    const attributes: Record<string, unknown> = { token: 'CANARY-token' };

    // Act
    logger.info('federated', attributes);
    attributes.token = '[redacted]';

    // Assess
    expect(logger.text()).toContain('CANARY-token');
  });
});
