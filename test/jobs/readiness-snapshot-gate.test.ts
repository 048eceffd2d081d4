/**
 * The snapshot gate over listed snapshots: which snapshot counts and how its age is judged.
 */
import { describe, expect, it } from 'vitest';
import type { BackendSnapshot } from '../../functions/actions/snapshot/backend.ts';
import type { ResourceRef } from '../../functions/core/finding.ts';
import { snapshotGate } from '../../functions/jobs/readiness.ts';

const NOW = new Date('2026-12-03T12:00:00.000Z');
const TARGET: ResourceRef = {
  provider: 'aws',
  account: '111111111111',
  region: 'eu-west-1',
  type: 'AwsRdsDbInstance',
  id: 'certctl-prod-db',
};
const ours = (id: string, createdAt: string): BackendSnapshot => ({
  id,
  kind: 'rds-instance',
  target: 'certctl-prod-db',
  status: 'available',
  createdAt: new Date(createdAt),
  tags: { purpose: 'certctl-pre-maintenance' },
});

describe('snapshotGate', () => {
  it('does not judge a snapshot fresh whose creation time is later than the run’s clock', () => {
    // Prepare: the newest snapshot says it was made two days after now (a clock that is behind);
    // its age cannot be told.
    const snapshots = [ours('from-the-future', '2026-12-05T12:00:00.000Z')];

    // Act
    const gate = snapshotGate(snapshots, TARGET, 24, NOW);

    // Assess
    expect(gate.status).toBe('UNKNOWN');
    expect(gate.evidence).toContain('from-the-future');
    expect(gate.evidence).toContain('later than');
  });

  it('tolerates a few minutes of clock difference', () => {
    // Act
    const gate = snapshotGate([ours('just-made', '2026-12-03T12:02:00.000Z')], TARGET, 24, NOW);

    // Assess
    expect(gate.status).toBe('GO');
  });

  it('cannot tell the age of an available snapshot of ours whose creation time was not sent', () => {
    // Prepare: the only snapshot of ours is available but undated; an older dated one is stale.
    const undated: BackendSnapshot = { ...ours('undated', NOW.toISOString()), createdAt: undefined };

    // Act
    const alone = snapshotGate([undated], TARGET, 24, NOW);
    const besideStale = snapshotGate([ours('stale', '2026-11-20T12:00:00.000Z'), undated], TARGET, 24, NOW);
    const besideFresh = snapshotGate([ours('fresh', '2026-12-03T10:00:00.000Z'), undated], TARGET, 24, NOW);

    // Assess: could not evaluate (never NO-GO "no snapshot", never GO), unless a dated fresh one proves it.
    expect([alone.status, besideStale.status, besideFresh.status]).toEqual(['UNKNOWN', 'UNKNOWN', 'GO']);
    expect(alone.evidence).toContain('undated');
    expect(alone.evidence).toContain('creation time');
  });
});
