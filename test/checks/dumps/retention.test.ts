import { describe, expect, it } from 'vitest';
import { dumpsRetentionCheck } from '../../../functions/checks/dumps/retention.ts';
import type { DumpFact, DumpLifecycleRule, DumpObject } from '../../../functions/core/dump-facts.ts';
import { DENIED, dailySeries, newestOf, s3Fact, settingsWith } from './fixtures.ts';

function rule(overrides: Partial<DumpLifecycleRule>): DumpLifecycleRule {
  return {
    id: 'expire-dumps',
    expirationDays: undefined,
    expirationDate: undefined,
    noncurrentExpirationDays: undefined,
    prefix: 'prod/',
    ...overrides,
  };
}

function withSeries(objects: readonly DumpObject[], overrides: Partial<DumpFact> = {}): DumpFact {
  return s3Fact({
    listing: { state: 'read', objects, complete: true },
    newest: newestOf(objects),
    ...overrides,
  });
}

const NO_LOCK: Partial<DumpFact> = { retentionLock: { state: 'absent' } };

describe('dumps.retention', () => {
  it('exposes the stable id and metadata when listed in the catalog', () => {
    expect(dumpsRetentionCheck.metadata).toMatchObject({ id: 'dumps.retention', group: 'dumps' });
  });

  it('passes when a 35-day rule keeps 35 daily dumps with 24 h gaps', () => {
    // Act
    const outcome = dumpsRetentionCheck.evaluate(s3Fact(), settingsWith());
    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toEqual({
      shortestExpirationDays: 35,
      retentionLockDays: 35,
      coveredDays: 34.3,
      longestGapHours: 24,
      dumpsListed: 35,
    });
    expect(outcome?.required).toEqual({ keptDays: 30, coveredDays: 30, maxGapHours: 48 });
  });

  it('passes when no lifecycle configuration exists and the series is long enough', () => {
    const outcome = dumpsRetentionCheck.evaluate(
      s3Fact({ lifecycle: { state: 'absent' }, ...NO_LOCK }),
      settingsWith(),
    );
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain('no lifecycle rule expires them');
  });

  it('fails with the rule days when a lifecycle rule expires dumps after 7 days', () => {
    // Prepare
    const fact = s3Fact({ lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] }, ...NO_LOCK });
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ shortestExpirationDays: 7 });
    expect(outcome?.description).toContain('deletes dumps after 7 days, sooner than the 30 days required');
    expect(outcome?.remediationText).toContain('at least 30 days');
  });

  it('passes when a short lifecycle rule is outweighed by a 35-day retention lock', () => {
    const fact = s3Fact({ lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] } });
    expect(dumpsRetentionCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
  });

  it('fails when a lifecycle rule expires every dump on a date', () => {
    const rules = [rule({ expirationDate: new Date('2027-01-01T00:00:00Z') })];
    const fact = s3Fact({ lifecycle: { state: 'read', value: rules }, ...NO_LOCK });
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('on 2027-01-01');
  });

  it('fails naming both dumps when the series has a 72 h gap', () => {
    // Prepare: drop two consecutive days from the middle of the series.
    const objects = dailySeries(35).filter((_, index) => index !== 20 && index !== 21);
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ longestGapHours: 72 });
    expect(outcome?.description).toContain(
      'gap of 3 days between prod/certctl-2026-11-17.dump and prod/certctl-2026-11-20.dump',
    );
  });

  it('ignores a gap older than the window when the window itself is whole', () => {
    const objects = dailySeries(35).filter((_, index) => index !== 1 && index !== 2);
    expect(dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith())?.status).toBe('PASSED');
  });

  it('warns with the days accrued when the series is 10 days old', () => {
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withSeries(dailySeries(10)), settingsWith());
    // Assess
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.observed).toMatchObject({ coveredDays: 9.3 });
    expect(outcome?.description).toContain('only 9.3 of 30 days');
  });

  it('is not available when the lifecycle configuration was denied and no lock keeps the dumps', () => {
    const fact = s3Fact({ lifecycle: { state: 'unknown', reason: DENIED }, ...NO_LOCK });
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('the lifecycle configuration');
  });

  it('is not available when the listing stopped at the bound', () => {
    const objects = dailySeries(35);
    const fact = s3Fact({ listing: { state: 'read', objects, complete: false }, newest: newestOf(objects) });
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('stopped at 35 objects');
  });

  it('still fails on a short rule when the listing could not be read', () => {
    const fact = s3Fact({
      lifecycle: { state: 'read', value: [rule({ expirationDays: 14 })] },
      listing: { state: 'unknown', reason: 'AccessDenied' },
      newest: undefined,
      ...NO_LOCK,
    });
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('Could not read the listing');
  });

  it('is not available when no listed object has a modification time', () => {
    const objects = dailySeries(3).map((object) => ({ ...object, lastModified: undefined }));
    const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
    expect(outcome?.status).toBe('NOT_AVAILABLE');
  });
});
