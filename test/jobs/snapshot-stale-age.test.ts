import { describe, expect, it } from 'vitest';
import type { SnapshotTargetResult } from '../../functions/actions/snapshot/model.ts';
import { staleAdoption } from '../../functions/jobs/snapshot.ts';

const NOW = new Date('2026-03-15T12:00:00.000Z');
const HOUR = 3_600_000;

/** An available result of an earlier run of the same request, taken `hoursAgo` before NOW. */
function adopted(hoursAgo: number): SnapshotTargetResult {
  return {
    outcome: 'available',
    snapshotId: 'certctl-pre-maint-abc',
    createdAt: new Date(NOW.getTime() - hoursAgo * HOUR).toISOString(),
    attempts: 0,
  } as unknown as SnapshotTargetResult;
}

describe('staleAdoption near the readiness age limit', () => {
  it('shows an age just past the limit as past it, not rounded back onto it', () => {
    // Act: 24.04 h old against a 24 h limit.
    const result = staleAdoption(adopted(24.04), NOW.getTime(), NOW, 24);
    // Assess
    expect(result.error?.code).toBe('SnapshotStale');
    expect(result.error?.message).toContain('was taken 24.1 h ago');
    expect(result.error?.message).not.toContain('24.0 h');
  });

  it('keeps a snapshot just within the limit as available', () => {
    // Act: 23.96 h old against a 24 h limit.
    const result = staleAdoption(adopted(23.96), NOW.getTime(), NOW, 24);
    // Assess
    expect(result.outcome).toBe('available');
  });
});
