/**
 * An object the listing did not date (no LastModified / timeCreated sent) may be any dump of the
 * series, the newest included: its time is not evaluated, and no verdict stands on where it sits.
 */
import { describe, expect, it } from 'vitest';
import { dumpsFreshCheck } from '../../../functions/checks/dumps/fresh.ts';
import { dumpsIntegrityCheck } from '../../../functions/checks/dumps/integrity.ts';
import { dumpsRetentionCheck } from '../../../functions/checks/dumps/retention.ts';
import type { DumpFact, DumpObject } from '../../../functions/core/dump-facts.ts';
import { dailySeries, hoursBefore, NOW, newestOf, s3Fact, settingsWith } from './fixtures.ts';

const UNDATED: DumpObject = { key: 'prod/certctl-undated.dump', size: 6451, lastModified: undefined };

/** A complete listing of `dated` (oldest first) plus the undated dump, listed last as adapters sort it. */
function withUndated(dated: readonly DumpObject[]): DumpFact {
  const objects = [...dated, UNDATED];
  return s3Fact({ listing: { state: 'read', objects, complete: true }, newest: newestOf(dated) });
}

describe('an object the listing did not date', () => {
  it('keeps dumps.fresh from failing on the newest dated dump, which may not be the newest', () => {
    // Prepare: the newest dated dump is 31 h old (30 h allowed); the undated one may be newer.
    const dated = [{ key: 'prod/certctl-old.dump', size: 6451, lastModified: hoursBefore(NOW, 31) }];
    // Act
    const outcome = dumpsFreshCheck.evaluate(withUndated(dated), settingsWith());
    // Assess: it FAILED 'The newest dump … is 31 h old'.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('prod/certctl-undated.dump');
    expect(outcome?.observed).toMatchObject({ newestAgeHours: 31, undatedObjects: 1 });
  });

  it('still lets dumps.fresh pass a recent dated dump: a newer one only helps', () => {
    expect(dumpsFreshCheck.evaluate(withUndated(dailySeries(3)), settingsWith())?.status).toBe('PASSED');
  });

  it('keeps dumps.integrity from passing the newest dated dump as the newest', () => {
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(withUndated(dailySeries(10)), settingsWith());
    // Assess: it PASSED 'the newest dump prod/certctl-2026-12-02.dump is a pg_dump custom archive'.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('prod/certctl-undated.dump');
  });

  it('keeps dumps.retention from failing a gap the undated dump may fill', () => {
    // Prepare: 35 daily dumps with three days missing; the undated dump may be one of them.
    const gapped = dailySeries(35).filter((_, index) => index < 20 || index > 22);
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withUndated(gapped), settingsWith());
    // Assess: it FAILED 'the series has a gap of 4 days'.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('prod/certctl-undated.dump');
    expect(outcome?.observed).toMatchObject({ longestGapHours: 96 });
  });

  it('keeps dumps.retention from calling the series still filling when the undated dump may be older', () => {
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withUndated(dailySeries(10)), settingsWith());
    // Assess: it WARNED 'the series reaches back only 9.3 of 30 days'.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
  });

  it('still lets dumps.retention pass when the dated dumps alone cover the policy', () => {
    expect(dumpsRetentionCheck.evaluate(withUndated(dailySeries(35)), settingsWith())?.status).toBe('PASSED');
  });
});
