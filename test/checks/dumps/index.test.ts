import { describe, expect, it } from 'vitest';
import { dumpsFreshCheck } from '../../../functions/checks/dumps/fresh.ts';
import { dumpsCheck, dumpsChecks, dumpsEngineChecks } from '../../../functions/checks/dumps/index.ts';
import type { CheckContext } from '../../../functions/core/check.ts';
import { NOW, s3Fact, settingsWith } from './fixtures.ts';

describe('dumps check registry', () => {
  it('lists the four dumps checks in catalog order when imported', () => {
    expect(dumpsChecks.map((check) => check.metadata.id)).toEqual([
      'dumps.fresh',
      'dumps.retention',
      'dumps.integrity',
      'dumps.protection',
    ]);
    expect(dumpsChecks.every((check) => check.metadata.group === 'dumps')).toBe(true);
  });

  it('evaluates with the settings the adapter reads from the engine context', () => {
    // Prepare: a context whose policy is opaque to the check; settingsOf decides what it sees.
    const context = { policy: {}, now: NOW } as unknown as CheckContext;
    const strict = dumpsCheck(dumpsFreshCheck, () => settingsWith({ cadenceHours: 6, graceHours: 1 }));
    const lenient = dumpsCheck(dumpsFreshCheck, () => settingsWith());
    // Act and Assess
    expect(strict.evaluate(s3Fact(), context)?.status).toBe('FAILED');
    expect(lenient.evaluate(s3Fact(), context)?.status).toBe('PASSED');
    expect(strict.metadata).toBe(dumpsFreshCheck.metadata);
  });

  it('adapts every check when asked for the engine registry', () => {
    expect(dumpsEngineChecks(() => settingsWith()).map((check) => check.metadata.id)).toHaveLength(4);
  });
});
