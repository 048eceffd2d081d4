import { describe, expect, it } from 'vitest';
import { dumpsFreshCheck } from '../../../functions/checks/dumps/fresh.ts';
import { dumpsCheck, dumpsChecks, dumpsEngineChecks } from '../../../functions/checks/dumps/index.ts';
import type { CheckContext } from '../../../functions/core/check.ts';
import type { DumpFact } from '../../../functions/core/dump-facts.ts';
import { hoursBefore, NEWEST_WRITTEN, NOW, s3Fact, settingsWith } from './fixtures.ts';

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

describe('a bucket S3 says is in another region than the policy', () => {
  const context = { policy: {}, now: NOW } as unknown as CheckContext;
  /** Read in us-east-2 after S3's redirect; the policy places it in eu-west-1. */
  function moved(overrides: Partial<DumpFact> = {}): DumpFact {
    const fact = s3Fact(overrides);
    return { ...fact, resource: { ...fact.resource, region: 'us-east-2' }, policyRegion: 'eu-west-1' };
  }
  const note =
    "S3 says the bucket is in us-east-2, not eu-west-1 as dumps.locations says: it was read in us-east-2, but the audit role's region-scoped grants (kms:Decrypt through S3, Security Hub import) follow dumps.locations; set this location's region to us-east-2 and redeploy.";

  it('warns instead of passing, naming both regions and the policy fix, when the bucket was read in another region', () => {
    // Act
    const outcome = dumpsCheck(dumpsFreshCheck, () => settingsWith()).evaluate(moved(), context);
    // Assess: before, PASSED, with nothing saying the grants do not cover where it was read.
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain(note);
    expect(outcome?.observed).toMatchObject({ bucketRegion: 'us-east-2', policyRegion: 'eu-west-1' });
    expect(outcome?.remediationText).toContain("set this location's region to us-east-2");
  });

  it('keeps a failure failed, with the same note, when the bucket was read in another region', () => {
    // Prepare: the newest dump is three days old.
    const objects = [{ key: 'prod/old.dump', size: 6451, lastModified: hoursBefore(NEWEST_WRITTEN, 72) }];
    const fact = moved({ listing: { state: 'read', objects, complete: true }, newest: undefined });
    // Act
    const outcome = dumpsCheck(dumpsFreshCheck, () => settingsWith()).evaluate(fact, context);
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(note);
    expect(outcome?.remediationText).toBeUndefined();
  });

  it('says nothing of regions when the bucket is where the policy says', () => {
    const outcome = dumpsCheck(dumpsFreshCheck, () => settingsWith()).evaluate(s3Fact(), context);
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).not.toContain('dumps.locations says');
  });
});
