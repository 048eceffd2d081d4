import { describe, expect, it } from 'vitest';
import { parseAmazonQPayload } from '../../functions/chatops/amazon-q.ts';
import { CommandError } from '../../functions/chatops/errors.ts';

describe('parseAmazonQPayload', () => {
  it('reads the same grammar as Slack when the custom action sends a command', () => {
    // Act
    const request = parseAmazonQPayload({
      command: 'snapshot certctl-prod-db reason="CA rotation" ticket=CHG-123',
      requestedBy: 'arn:aws:sts::111111111111:assumed-role/chat/alice',
    });

    // Assess
    expect(request).toEqual({
      command: { name: 'snapshot', targets: ['certctl-prod-db'], reason: 'CA rotation', ticket: 'CHG-123' },
      requestedBy: 'arn:aws:sts::111111111111:assumed-role/chat/alice',
    });
    expect(parseAmazonQPayload('{"command":"status"}')).toEqual({ command: { name: 'status' } });
  });

  it('names the bad field and points to help when the payload is not a command', () => {
    // Act / Assess
    for (const payload of [{}, { command: 'status', extra: 1 }, 'not json', null, { command: 7 }]) {
      expect(() => parseAmazonQPayload(payload)).toThrow(CommandError);
    }
    expect(() => parseAmazonQPayload({ command: 'status', extra: 1 })).toThrow(/Unrecognized key.*"extra"/);
    expect(() => parseAmazonQPayload('not json')).toThrow(
      'the payload is not JSON. Send {"command":"help"} for the commands.',
    );
  });

  it('passes grammar mistakes through as their help', () => {
    expect(() => parseAmazonQPayload({ command: 'snapshot' })).toThrow(/needs reason="…" and ticket=…/);
  });
});
