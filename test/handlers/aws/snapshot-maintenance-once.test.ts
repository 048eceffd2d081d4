/**
 * The snapshot Lambda's maintenance scan keeps the same once-per-request record as a snapshot
 * request (functions/jobs/snapshot-once.ts, on the idempotency table): one maintenance event's
 * request takes at most one snapshot per target, however many scans see it, including when its
 * first scan waited for another request's snapshot instead of taking its own.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { snapshotOrMaintenance } from '../../../functions/handlers/aws/snapshot.ts';
import {
  type MaintenanceEvent,
  type MaintenanceJobResult,
  maintenanceRequestId,
} from '../../../functions/jobs/maintenance.ts';
import { runSnapshotJob } from '../../../functions/jobs/snapshot.ts';
import {
  fastPolicy,
  type SnapshotHarness,
  snapshotLambdaDeps,
  snapshotScenario,
  startSnapshotHarness,
} from '../../integration/snapshot-support.ts';
import { type LocalDynamo, startLocalDynamo } from '../../jobs/dynalite.ts';

let harness: SnapshotHarness;
let dynamo: LocalDynamo;

beforeEach(async () => {
  [harness, dynamo] = await Promise.all([
    startSnapshotHarness(
      snapshotScenario({
        // A snapshot of certctl-prod-db stays `creating` for a while; certctl-broken-db's fail.
        targets: [
          { id: 'certctl-prod-db', region: 'eu-west-1', durationMs: 1500 },
          { id: 'certctl-broken-db', region: 'us-east-1', failSnapshots: true },
        ],
        pendingMaintenance: [
          {
            target: 'certctl-prod-db',
            region: 'eu-west-1',
            action: 'ca-certificate-rotation',
            autoAppliedAfter: '+10h',
          },
          {
            target: 'certctl-broken-db',
            region: 'us-east-1',
            action: 'db-upgrade',
            autoAppliedAfter: '+20h',
          },
        ],
      }),
    ),
    startLocalDynamo(),
  ]);
});

afterEach(async () => {
  await Promise.all([harness.close(), dynamo.close()]);
});

function deps(identifier = 'certctl-prod-db') {
  const policy = fastPolicy({ targets: { tags: [], identifiers: [identifier] } });
  return snapshotLambdaDeps(harness, dynamo, policy, new Metrics({ namespace: 'Test' }));
}

/** A maintenance scan as the schedule triggers it (its empty input). */
async function scan(identifier?: string): Promise<MaintenanceJobResult> {
  return (await snapshotOrMaintenance({}, deps(identifier))) as MaintenanceJobResult;
}

describe('maintenance scan once per request', () => {
  it('takes no snapshot of its own on the next scan after its first scan waited for another request’s', async () => {
    // Prepare: a chat request's snapshot of certctl-prod-db is being created when the scan runs.
    const other = await runSnapshotJob(
      { requestId: 'CHG-9', ticket: 'CHG-9', reason: 'CA rotation', requestedBy: 'alice', wait: false },
      harness.deps(fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db'] } })),
    );

    // Act: the scan waits for it; the next scans (the schedule, an AWS Health event) see the same event.
    const first = await scan();
    const second = await scan();
    const third = await scan();

    // Assess: one snapshot in all, each scan answering with it, target by target.
    expect(harness.rds.snapshots.createCalls).toBe(1);
    for (const result of [first, second, third]) {
      expect(result.snapshots).toHaveLength(1);
      expect(result.snapshots[0]).toMatchObject({
        target: { id: 'certctl-prod-db' },
        outcome: 'available',
        snapshotId: other.results[0]?.snapshotId,
        takenBy: 'CHG-9',
      });
    }
  });

  it('runs one maintenance request once when two scans see it at the same time', async () => {
    // Act: the schedule and an AWS Health event trigger scans together.
    const [a, b] = await Promise.all([scan(), snapshotOrMaintenance({ source: 'aws.health' }, deps())]);

    // Assess
    expect(harness.rds.snapshots.createCalls).toBe(1);
    const snapshotId = a.snapshots[0]?.snapshotId;
    expect(snapshotId).toBeDefined();
    expect((b as MaintenanceJobResult).snapshots[0]).toMatchObject({ outcome: 'available', snapshotId });
  });

  it('takes the next attempt on the next scan after the remembered snapshot failed, then replays it', async () => {
    // Act: the first scan's snapshot fails; the database is then fixed.
    const first = await scan('certctl-broken-db');
    harness.rds.snapshots.setFailing({ id: 'certctl-broken-db', region: 'us-east-1' }, false);
    const second = await scan('certctl-broken-db');
    const third = await scan('certctl-broken-db');

    // Assess: attempt 2 once, under its own name, and nothing more.
    expect(first.snapshots[0]).toMatchObject({ outcome: 'failed', snapshotAttempt: 1 });
    expect(second.snapshots[0]).toMatchObject({
      outcome: 'available',
      snapshotAttempt: 2,
      snapshotId: `${first.snapshots[0]?.snapshotId}-a2`,
    });
    expect(third.snapshots[0]).toMatchObject({
      outcome: 'available',
      snapshotId: second.snapshots[0]?.snapshotId,
    });
    expect(harness.rds.snapshots.snapshots().filter((s) => s.target === 'certctl-broken-db')).toHaveLength(2);
  });

  it('reports each event on its target, taking nothing, when its record cannot be read', async () => {
    // Prepare: the deployment names a table that does not exist.
    const policy = fastPolicy({
      targets: { tags: [], identifiers: ['certctl-prod-db', 'certctl-broken-db'] },
    });
    const missing = snapshotLambdaDeps(harness, dynamo, policy, new Metrics({ namespace: 'Test' }));

    // Act
    const result = (await snapshotOrMaintenance(
      {},
      { ...missing, tableName: 'no-such-table' },
    )) as MaintenanceJobResult;

    // Assess: one error per event, naming its request; no snapshot without a record.
    expect(result.snapshots.map((entry) => [entry.target.id, entry.outcome])).toEqual([
      ['certctl-prod-db', 'error'],
      ['certctl-broken-db', 'error'],
    ]);
    expect(result.snapshots[0]?.error?.message).toContain(
      `the maintenance request ${maintenanceRequestId(result.events[0] as MaintenanceEvent)} did not run`,
    );
    expect(harness.rds.snapshots.createCalls).toBe(0);
  });
});
