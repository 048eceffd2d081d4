/**
 * The maintenance-aware job against the simulator: pending maintenance within the horizon gets one
 * snapshot per event, however often the job runs; maintenance beyond it gets none.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_SNAPSHOT_ATTEMPTS } from '../../functions/actions/snapshot/model.ts';
import type {
  SnapshotRunRecord,
  SnapshotRunRecordStore,
} from '../../functions/actions/snapshot/run-records.ts';
import { runMaintenanceJob } from '../../functions/jobs/maintenance.ts';
import { type SnapshotHarness, snapshotScenario, startSnapshotHarness, TAG } from './snapshot-support.ts';

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
        {
          target: 'certctl-broken-db',
          region: 'us-east-1',
          action: 'db-upgrade',
          autoAppliedAfter: '+20h',
        },
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
      'certctl-broken-db db-upgrade',
    ]);
    expect(first.later).toBe(1);
    expect(first.snapshots[0]?.outcome).toBe('available');
    expect(second.snapshots[0]?.snapshotId).toBe(first.snapshots[0]?.snapshotId);
    const prod = harness.rds.snapshots.snapshots().filter((s) => s.target === 'certctl-prod-db');
    expect(prod).toHaveLength(1);
    const stored = prod[0];
    expect(stored?.tags['maintenance-event']).toMatch(
      /^maintenance:arn:aws:rds:eu-west-1:111111111111:db:certctl-prod-db:ca-certificate-rotation:/,
    );
  });

  it('records the snapshot it takes as ours in the job’s run record store, as a requested one is, so prune may delete it once expired', async () => {
    // Prepare: the store the snapshot Lambda hands its jobs (the idempotency table), in memory.
    const written: SnapshotRunRecord[] = [];
    const runRecords: SnapshotRunRecordStore = {
      where: 'memory',
      write: async (record) => {
        written.push(record);
      },
      read: async () => [],
    };

    // Act
    const result = await runMaintenanceJob({ ...harness.deps(), runRecords });

    // Assess
    const taken = result.snapshots.find((snapshot) => snapshot.target.id === 'certctl-prod-db');
    expect(taken?.outcome).toBe('available');
    expect(written).toContainEqual(
      expect.objectContaining({ provider: 'aws', target: 'certctl-prod-db', snapshotId: taken?.snapshotId }),
    );
  });

  it('takes a second snapshot under its own name on the next scan when the first one of the event failed, then adopts it', async () => {
    // Act: the first scan's snapshot of certctl-broken-db fails; the target is then fixed.
    const first = await runMaintenanceJob(harness.deps());
    harness.rds.snapshots.setFailing({ id: 'certctl-broken-db', region: 'us-east-1' }, false);
    const second = await runMaintenanceJob(harness.deps());
    const third = await runMaintenanceJob(harness.deps());

    // Assess
    const broken = (result: typeof first) =>
      result.snapshots.find((entry) => entry.target.id === 'certctl-broken-db');
    expect(broken(first)).toMatchObject({ outcome: 'failed', snapshotAttempt: 1 });
    expect(broken(first)?.error?.message).toContain('a later run of this request takes attempt 2');
    expect(broken(second)).toMatchObject({
      outcome: 'available',
      snapshotAttempt: 2,
      snapshotId: `${broken(first)?.snapshotId}-a2`,
    });
    expect(broken(third)).toMatchObject({ outcome: 'available', snapshotId: broken(second)?.snapshotId });
    const stored = harness.rds.snapshots.snapshots().filter((s) => s.target === 'certctl-broken-db');
    expect(stored.map((s) => s.id).sort()).toEqual(
      [broken(first)?.snapshotId, broken(second)?.snapshotId].sort(),
    );
    expect(stored.every((s) => s.tags.purpose === 'certctl-pre-maintenance')).toBe(true);
  });

  it('stops after the last attempt and names the attempts when every snapshot of the event fails', async () => {
    // Act
    const scans = [];
    for (let i = 0; i < MAX_SNAPSHOT_ATTEMPTS + 1; i += 1)
      scans.push(await runMaintenanceJob(harness.deps()));

    // Assess
    const stored = harness.rds.snapshots.snapshots().filter((s) => s.target === 'certctl-broken-db');
    expect(stored).toHaveLength(MAX_SNAPSHOT_ATTEMPTS);
    const last = scans.at(-1)?.snapshots.find((entry) => entry.target.id === 'certctl-broken-db');
    expect(last?.outcome).toBe('failed');
    expect(last?.error?.code).toBe('SnapshotAttemptsExhausted');
    for (const snapshot of stored) expect(last?.error?.message).toContain(snapshot.id);
  });
});

describe('maintenance job and actions without an apply date', () => {
  it('reports an opted-in action whose apply date was not sent as not judged, and counts an optional one as later', async () => {
    // Prepare: certctl-prod-db is opted in for its next maintenance window, but no CurrentApplyDate
    // was sent; certctl-aurora's update has no date and no opt-in (it waits for one).
    const undated = await startSnapshotHarness(
      snapshotScenario({
        pendingMaintenance: [
          {
            target: 'certctl-prod-db',
            region: 'eu-west-1',
            action: 'db-upgrade',
            optInStatus: 'next-maintenance',
          },
          { target: 'certctl-aurora', kind: 'cluster', region: 'eu-west-1', action: 'system-update' },
        ],
      }),
    );
    try {
      // Act
      const result = await runMaintenanceJob(undated.deps());

      // Assess
      expect(result.events).toEqual([]);
      expect(result.later).toBe(1);
      expect(result.problems).toEqual([
        'certctl-prod-db (aws/111111111111/eu-west-1): db-upgrade will be applied (opted in: next-maintenance), but no date was sent: not judged; snapshot it before then',
      ]);
    } finally {
      await undated.close();
    }
  });
});

describe('maintenance job and Aurora members', () => {
  it('snapshots the Aurora cluster before an operating-system update pending on one of its DB instances', async () => {
    // Prepare: Aurora lists OS updates on each DB instance of the cluster, not only on the cluster
    // (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora_OS_updates.html), and
    // applies them without backing up first.
    const aurora = await startSnapshotHarness(
      snapshotScenario({
        pendingMaintenance: [
          {
            target: 'certctl-aurora-1',
            region: 'eu-west-1',
            action: 'system-update',
            autoAppliedAfter: '+5h',
            description: 'New Operating System patch is available',
          },
          // The same update announced on the cluster for the same date: still one snapshot.
          {
            target: 'certctl-aurora',
            kind: 'cluster',
            region: 'eu-west-1',
            action: 'system-update',
            autoAppliedAfter: '+5h',
          },
        ],
      }),
    );
    try {
      // Act
      const result = await runMaintenanceJob(aurora.deps());

      // Assess: one event, on the cluster, and a cluster snapshot of it.
      expect(result.events.map((event) => `${event.target.kind} ${event.target.id} ${event.action}`)).toEqual(
        ['aurora-cluster certctl-aurora system-update'],
      );
      expect(result.snapshots).toMatchObject([{ target: { id: 'certctl-aurora' }, outcome: 'available' }]);
      const stored = aurora.rds.snapshots.snapshots().filter((s) => s.target === 'certctl-aurora');
      expect(stored).toHaveLength(1);
      expect(stored[0]?.tags['maintenance-event']).toContain('cluster:certctl-aurora');
    } finally {
      await aurora.close();
    }
  });

  it('takes no second cluster snapshot when the next scan sees the update on another DB instance of the cluster', async () => {
    // Prepare: the update is pending on both DB instances; Aurora applies it to one, then the other
    // (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora_OS_updates.html).
    const scenario = snapshotScenario({
      pendingMaintenance: [
        { target: 'certctl-aurora-1', region: 'eu-west-1', action: 'system-update', autoAppliedAfter: '+5h' },
        { target: 'certctl-aurora-2', region: 'eu-west-1', action: 'system-update', autoAppliedAfter: '+5h' },
      ],
    });
    // The scenario's services are typed loosely (each service parses its own section).
    const rds = scenario.services?.rds as { clusters?: { members?: unknown[] }[] } | undefined;
    const cluster = rds?.clusters?.[0];
    if (!cluster) throw new Error('the scenario has no Aurora cluster');
    cluster.members = [
      { id: 'certctl-aurora-1', writer: true },
      { id: 'certctl-aurora-2', writer: false },
    ];
    const aurora = await startSnapshotHarness(scenario);
    try {
      // Act: a scan, the update applied on the first DB instance, the next scan.
      const first = await runMaintenanceJob(aurora.deps());
      aurora.rds.snapshots.applyMaintenance({ id: 'certctl-aurora-1', region: 'eu-west-1' });
      const second = await runMaintenanceJob(aurora.deps());

      // Assess: the same event both times, one cluster snapshot.
      expect(second.events.map((event) => event.id)).toEqual(first.events.map((event) => event.id));
      expect(second.snapshots[0]?.snapshotId).toBe(first.snapshots[0]?.snapshotId);
      const stored = aurora.rds.snapshots.snapshots().filter((s) => s.target === 'certctl-aurora');
      expect(stored).toHaveLength(1);
    } finally {
      await aurora.close();
    }
  });

  it('takes a new snapshot, under a new name, when the database was deleted and created again under its name the same day', async () => {
    // Prepare: the scan snapshots certctl-prod-db before its maintenance; the database is then
    // deleted and created again under the same identifier (a new DbiResourceId), with the same
    // maintenance pending on the same date: the earlier database's snapshot proves nothing of it.
    const first = await runMaintenanceJob(harness.deps());
    harness.rds.store.recreateInstance({
      id: 'certctl-prod-db',
      region: 'eu-west-1',
      tags: TAG,
      backupRetentionPeriod: 14,
    });

    // Act
    const second = await runMaintenanceJob(harness.deps());
    const third = await runMaintenanceJob(harness.deps());

    // Assess
    const prodOf = (result: typeof first) =>
      result.snapshots.find((entry) => entry.target.id === 'certctl-prod-db');
    expect(prodOf(first)?.outcome).toBe('available');
    expect(prodOf(second)).toMatchObject({ outcome: 'available' });
    expect(prodOf(second)?.error).toBeUndefined();
    expect(prodOf(second)?.snapshotId).not.toBe(prodOf(first)?.snapshotId);
    expect(prodOf(third)?.snapshotId).toBe(prodOf(second)?.snapshotId);
    const stored = harness.rds.snapshots.snapshots().filter((s) => s.target === 'certctl-prod-db');
    expect(stored).toHaveLength(2);
    expect(new Set(stored.map((s) => s.sourceResourceId)).size).toBe(2);
  });
});
