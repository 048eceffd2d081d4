/**
 * The snapshot Lambda's maintenance scan keeps the same once-per-request record as a snapshot
 * request (functions/jobs/snapshot-once.ts, on the idempotency table): one maintenance event's
 * request takes at most one snapshot per target, however many scans see it, including when its
 * first scan waited for another request's snapshot instead of taking its own.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { snapshotOrMaintenance } from '../../../functions/handlers/aws/snapshot.ts';
import {
  type MaintenanceEvent,
  type MaintenanceJobResult,
  maintenanceRequestId,
} from '../../../functions/jobs/maintenance.ts';
import { runSnapshotJob } from '../../../functions/jobs/snapshot.ts';
import { MAX_RUNS_ASKED_AGAIN } from '../../../functions/jobs/snapshot-once.ts';
import {
  fastPolicy,
  recordingMetrics,
  type SnapshotHarness,
  snapshotLambdaDeps,
  snapshotScenario,
  startSnapshotHarness,
} from '../../integration/snapshot-support.ts';
import { type LocalDynamo, startLocalDynamo } from '../../jobs/dynalite.ts';
import { type HoldableClock, holdableClock } from '../../sim/clock.ts';

let harness: SnapshotHarness;
let dynamo: LocalDynamo;
let clock: HoldableClock;

beforeEach(async () => {
  clock = holdableClock();
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
      { clock: clock.now },
    ),
    startLocalDynamo(),
  ]);
});

afterEach(async () => {
  await Promise.all([harness.close(), dynamo.close()]);
});

function deps(identifier = 'certctl-prod-db', waitMinutes?: number, metrics: unknown = undefined) {
  const policy = fastPolicy({
    targets: { tags: [], identifiers: [identifier] },
    ...(waitMinutes === undefined ? {} : { snapshots: { waitMinutes } }),
  });
  return snapshotLambdaDeps(
    harness,
    dynamo,
    policy,
    (metrics ?? new Metrics({ namespace: 'Test' })) as never,
  );
}

/** A maintenance scan as the schedule triggers it (its empty input). */
async function scan(identifier?: string, waitMinutes?: number): Promise<MaintenanceJobResult> {
  return (await snapshotOrMaintenance({}, deps(identifier, waitMinutes))) as MaintenanceJobResult;
}

describe('maintenance scan once per request', () => {
  it('takes no snapshot of its own on the next scan after its first scan waited for another request’s', async () => {
    // Prepare: a chat request's snapshot of certctl-prod-db is being created when the scan runs: the
    // simulator's clock is held until the scan has listed the snapshots and polled the one it waits
    // for (its second DescribeDBSnapshots follows the first's answer). Left to the real clock, a scan
    // that reaches its listing more than the snapshot's 1.5 s after the create (a loaded machine)
    // finds it available, not being created, and rightly takes the event's own: no waiting tested.
    clock.hold();
    const other = await runSnapshotJob(
      { requestId: 'CHG-9', ticket: 'CHG-9', reason: 'CA rotation', requestedBy: 'alice', wait: false },
      harness.deps(fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db'] } })),
    );
    const describes = () => harness.sim.stats().byOperation['rds:DescribeDBSnapshots'] ?? 0;
    const before = describes();

    // Act: the scan waits for it; the next scans (the schedule, an AWS Health event) see the same event.
    // Its wait (one minute) outlasts a slow machine's polls; it ends at the snapshot's first poll after.
    const waiting = scan('certctl-prod-db', 1);
    await vi.waitFor(() => expect(describes()).toBeGreaterThanOrEqual(before + 2), { timeout: 60_000 });
    clock.release();
    const first = await waiting;
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

  it('reports the snapshot it took when the event’s result cannot be recorded, not that the request did not run', async () => {
    // Prepare: the table takes the event's claim but refuses to record its result (throttled).
    dynamo.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand') {
          throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
            name: 'ProvisionedThroughputExceededException',
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'refuseResults' },
    );
    const { recorded, metrics } = recordingMetrics();

    // Act
    const result = (await snapshotOrMaintenance(
      {},
      deps('certctl-prod-db', undefined, metrics),
    )) as MaintenanceJobResult;

    // Assess: the snapshot taken is the scan's answer; nothing failed.
    expect(harness.rds.snapshots.createCalls).toBe(1);
    expect(result.snapshots).toHaveLength(1);
    expect(result.snapshots[0]).toMatchObject({ target: { id: 'certctl-prod-db' }, outcome: 'available' });
    expect(result.snapshots[0]?.snapshotId).toBe(harness.rds.snapshots.snapshots()[0]?.id);
    expect(recorded.SnapshotsFailed).toBe(0);
  });

  it('takes the snapshot on the first scan after the database is free, however many scans found it busy', async () => {
    // Prepare: certctl-prod-db stays busy through more scans than a chat request is asked again.
    harness.rds.snapshots.setBusy(
      { id: 'certctl-prod-db', region: 'eu-west-1' },
      'backing-up',
      3_600_000,
      new Date(),
    );
    const busy: MaintenanceJobResult[] = [];
    for (let i = 0; i < MAX_RUNS_ASKED_AGAIN + 2; i += 1) busy.push(await scan('certctl-prod-db', 0.002));

    // Act: the database is free again.
    harness.rds.snapshots.setBusy({ id: 'certctl-prod-db', region: 'eu-west-1' }, 'available', 0, new Date());
    const free = await scan('certctl-prod-db');

    // Assess: every busy scan said busy; the first scan after took the event's snapshot.
    expect(busy.map((result) => result.snapshots[0]?.outcome)).toEqual(busy.map(() => 'busy'));
    expect(free.snapshots[0]).toMatchObject({ outcome: 'available' });
    expect(harness.rds.snapshots.createCalls).toBe(1);
  }, 60_000);

  it('reports an event another scan is still running as running elsewhere, not as a failed snapshot', async () => {
    // Prepare: a scan is waiting for the event's snapshot, which stays creating (the simulator's
    // clock held) until the overlapping scan has answered.
    clock.hold();
    const first = scan('certctl-prod-db', 1);
    await vi.waitFor(() => expect(harness.rds.snapshots.createCalls).toBe(1), { timeout: 30_000 });
    const { recorded, metrics } = recordingMetrics();

    // Act: a Health event's scan, whose wait for the other ends first.
    const second = (await snapshotOrMaintenance(
      { source: 'aws.health' },
      deps('certctl-prod-db', 0.002, metrics),
    )) as MaintenanceJobResult;

    // Assess: said on the target; SnapshotsFailed (the alarm's) does not count it; one snapshot.
    expect(second.snapshots[0]?.error?.code).toBe('MaintenanceRunningElsewhere');
    expect(second.snapshots[0]?.error?.message).toContain(
      maintenanceRequestId(second.events[0] as MaintenanceEvent),
    );
    expect(recorded.SnapshotsFailed).toBe(0);
    clock.release();
    expect((await first).snapshots[0]).toMatchObject({ outcome: 'available' });
    expect(harness.rds.snapshots.createCalls).toBe(1);
  });

  it('takes the event’s snapshot again on the next scan after the remembered one was deleted', async () => {
    // Prepare: the event's snapshot is taken, then deleted (pruned, by hand).
    const first = await scan();
    const taken = first.snapshots[0];
    if (!taken?.snapshotId) throw new Error('no snapshot taken');
    const job = harness.deps(fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db'] } }));
    await job.clouds[0]?.backend(taken.target).delete({
      id: taken.snapshotId,
      kind: 'rds-instance',
      target: 'certctl-prod-db',
      status: 'available',
      tags: {},
    });

    // Act
    const second = await scan();
    const third = await scan();

    // Assess: the next scan takes one again, the one after replays it.
    expect(second.snapshots[0]).toMatchObject({ outcome: 'available', target: { id: 'certctl-prod-db' } });
    expect(third.snapshots[0]).toMatchObject({
      outcome: 'available',
      snapshotId: second.snapshots[0]?.snapshotId,
    });
    expect(harness.rds.snapshots.snapshots().filter((s) => s.target === 'certctl-prod-db')).toHaveLength(1);
    expect(harness.rds.snapshots.createCalls).toBe(2);
  });
});
