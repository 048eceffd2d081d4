/**
 * The maintenance-aware job against the simulator: pending maintenance within the horizon gets one
 * snapshot per event, however often the job runs; maintenance beyond it gets none.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runMaintenanceJob } from '../../functions/jobs/maintenance.ts';
import { type SnapshotHarness, snapshotScenario, startSnapshotHarness } from './snapshot-support.ts';

let harness: SnapshotHarness;

beforeEach(async () => {
  harness = await startSnapshotHarness(
    snapshotScenario({
      pendingMaintenance: [
        {
          target: 'certctl-prod-db',
          region: 'eu-west-1',
          action: 'ca-certificate-rotation',
          autoAppliedAfter: '+10h',
        },
        {
          target: 'certctl-aurora',
          kind: 'cluster',
          region: 'eu-west-1',
          action: 'system-update',
          autoAppliedAfter: '+30d',
        },
        { target: 'unrelated-db', region: 'us-east-1', action: 'os-upgrade', autoAppliedAfter: '+1h' },
      ],
    }),
  );
});

afterEach(async () => {
  await harness.close();
});

describe('maintenance job against the simulator', () => {
  it('snapshots the target whose maintenance is due within the horizon once when the job runs twice', async () => {
    // Act
    const first = await runMaintenanceJob(harness.deps());
    const second = await runMaintenanceJob(harness.deps());

    // Assess
    expect(first.events.map((event) => `${event.target.id} ${event.action}`)).toEqual([
      'certctl-prod-db ca-certificate-rotation',
    ]);
    expect(first.later).toBe(1);
    expect(first.snapshots[0]?.outcome).toBe('available');
    expect(second.snapshots[0]?.snapshotId).toBe(first.snapshots[0]?.snapshotId);
    expect(harness.rds.snapshots.createCalls).toBe(1);
    const stored = harness.rds.snapshots.snapshots()[0];
    expect(stored?.tags['maintenance-event']).toMatch(
      /^maintenance:arn:aws:rds:eu-west-1:111111111111:db:certctl-prod-db:ca-certificate-rotation:/,
    );
  });
});
