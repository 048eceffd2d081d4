/**
 * Idempotency of snapshot requests against a real DynamoDB implementation on 127.0.0.1 (dynalite)
 * and the RDS simulator: a duplicate returns the first result and creates nothing new, also while
 * the first run is still in progress; a replayed result's snapshots are read again.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dynamoRunRecords } from '../../functions/aws/run-records-table.ts';
import { snapshotLambda } from '../../functions/handlers/aws/snapshot.ts';
import { idempotentByRequestId } from '../../functions/jobs/idempotency.ts';
import {
  confirmReplayedSnapshots,
  runSnapshotJob,
  type SnapshotRequest,
} from '../../functions/jobs/snapshot.ts';
import { idempotentSnapshotJob } from '../../functions/jobs/snapshot-once-table.ts';
import { type LocalDynamo, startLocalDynamo } from '../jobs/dynalite.ts';
import {
  fastPolicy,
  type SnapshotHarness,
  snapshotLambdaDeps,
  startSnapshotHarness,
  TAG,
} from './snapshot-support.ts';

let harness: SnapshotHarness;
let dynamo: LocalDynamo;

beforeEach(async () => {
  [harness, dynamo] = await Promise.all([startSnapshotHarness(), startLocalDynamo()]);
});

afterEach(async () => {
  await Promise.all([harness.close(), dynamo.close()]);
});

function idempotentJob() {
  const deps = harness.deps();
  return idempotentByRequestId((request: SnapshotRequest) => runSnapshotJob(request, deps), {
    tableName: dynamo.tableName,
    client: dynamo.client,
    waitForFirstMs: 30_000,
    longestRunMs: 30_000,
    pollMs: 100,
  });
}

const request: SnapshotRequest = {
  requestId: 'slack-trigger-42',
  reason: 'CA rotation',
  requestedBy: 'U123',
  targets: ['certctl-prod-db', 'certctl-aurora'],
};

describe('idempotent snapshot requests', () => {
  it('returns the first result and creates nothing new when the same request is sent again', async () => {
    // Prepare
    const job = idempotentJob();
    const first = await job(request);
    const creates = harness.rds.snapshots.createCalls;

    // Act
    const again = await idempotentJob()(request);

    // Assess
    expect(creates).toBe(2);
    expect(harness.rds.snapshots.createCalls).toBe(2);
    expect(again).toEqual(first);
    expect(harness.rds.snapshots.snapshots()).toHaveLength(2);
  });

  it('waits for the first run and returns its result without creating anything when a duplicate arrives while the first is in progress', async () => {
    // Prepare
    const job = idempotentJob();

    // Act
    const firstRun = job(request);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const duplicate = await idempotentJob()(request);
    const first = await firstRun;

    // Assess
    expect(duplicate).toEqual(first);
    expect(harness.rds.snapshots.createCalls).toBe(2);
  });

  it('reads each replayed snapshot again, one describe each, and reports one deleted since as gone, not available', async () => {
    // Prepare: the first run takes both snapshots; then the instance's is deleted (pruned, or by hand).
    const deps = harness.deps();
    const job = idempotentSnapshotJob(
      (r: SnapshotRequest) => runSnapshotJob(r, deps),
      {
        tableName: dynamo.tableName,
        client: dynamo.client,
        waitForFirstMs: 30_000,
        longestRunMs: 30_000,
        pollMs: 100,
      },
      { readinessMaxAgeHours: 24, clouds: deps.clouds },
    );
    const first = await job(request);
    const instance = first.results.find((entry) => entry.target.id === 'certctl-prod-db');
    if (!instance?.snapshotId) throw new Error('no snapshot of certctl-prod-db');
    await deps.clouds[0]?.backend(instance.target).delete({
      id: instance.snapshotId,
      kind: 'rds-instance',
      target: 'certctl-prod-db',
      status: 'available',
      tags: {},
    });
    harness.sim.resetStats();

    // Act
    const again = await job(request);

    // Assess
    expect(first.results.map((entry) => entry.outcome)).toEqual(['available', 'available']);
    expect(again.results.map((entry) => [entry.target.id, entry.outcome, entry.error?.code])).toEqual([
      ['certctl-aurora', 'available', undefined],
      ['certctl-prod-db', 'error', 'SnapshotGone'],
    ]);
    expect(again.results[1]?.error?.message).toContain(`${instance.snapshotId} no longer exists`);
    const calls = harness.sim.stats().byOperation;
    expect(calls['rds:DescribeDBSnapshots']).toBe(1);
    expect(calls['rds:DescribeDBClusterSnapshots']).toBe(1);
    expect(harness.rds.snapshots.createCalls).toBe(2);
  });

  it('reports a replayed snapshot of an account this run cannot reach as not verified, not gone', async () => {
    // Prepare: a result remembered by a run in another account (the CLI there, sharing the table);
    // this run has only its own account's credentials (the policy lists no member accounts), so
    // DescribeDBSnapshots in its own account lists nothing, which proves nothing about the other.
    const deps = harness.deps();
    const elsewhere = {
      provider: 'aws' as const,
      kind: 'rds-instance' as const,
      account: '222222222222',
      region: 'eu-west-1',
      id: 'certctl-prod-db',
    };

    // Act
    const [replayed] = await confirmReplayedSnapshots(
      [
        {
          target: elsewhere,
          outcome: 'available',
          snapshotId: 'certctl-premaint-certctl-prod-db-0123456789',
          durationMs: 1,
          attempts: 1,
        },
      ],
      deps.clouds,
    );

    // Assess
    expect(replayed?.outcome).toBe('error');
    expect(replayed?.error?.code).toBe('SnapshotNotVerified');
    expect(replayed?.error?.message).toContain('222222222222');
    expect(harness.sim.stats().byOperation['rds:DescribeDBSnapshots'] ?? 0).toBe(0);
  });

  it('refuses, creating nothing, a request id asked again for other targets than it was first used for', async () => {
    // Prepare: the ticket first snapshots certctl-prod-db; the operator then reuses it for the RA
    // database. Replaying the first result would answer "snapshot taken" for a database nobody
    // snapshotted (exit 0, GO).
    const deps = harness.deps();
    const store = {
      tableName: dynamo.tableName,
      client: dynamo.client,
      waitForFirstMs: 30_000,
      longestRunMs: 30_000,
      pollMs: 100,
    };
    const job = () => idempotentSnapshotJob((asked) => runSnapshotJob(asked, deps), store);
    const first = { ...request, requestId: 'ticket:CHG-9', targets: ['certctl-prod-db'] };
    await job()(first);
    const creates = harness.rds.snapshots.createCalls;

    // Act
    const reused = await job()({ ...first, targets: ['certctl-ra-db'] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    // The same request again (same targets, another order or case) replays as before.
    const same = await job()({ ...first, targets: ['CERTCTL-PROD-DB'] });

    // Assess
    expect(reused).toMatchObject({ name: 'InputError', message: expect.stringContaining('certctl-prod-db') });
    expect((reused as Error).message).toMatch(/certctl-ra-db.*new ticket or request id/);
    expect(harness.rds.snapshots.createCalls).toBe(creates);
    expect(same.results.map((result) => result.target.id)).toEqual(['certctl-prod-db']);
  });

  it('replays, creating nothing, a request id asked again naming every database it first covered by the policy', async () => {
    // Prepare: the ticket first asked with no database named; the policy selects two databases.
    const policy = fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db', 'certctl-aurora'] } });
    const deps = harness.deps(policy);
    const store = {
      tableName: dynamo.tableName,
      client: dynamo.client,
      waitForFirstMs: 30_000,
      longestRunMs: 30_000,
      pollMs: 100,
    };
    const job = () =>
      idempotentSnapshotJob((asked) => runSnapshotJob(asked, deps), store, {
        clouds: deps.clouds,
        selection: policy.targets,
      });
    const { targets: _none, ...policyWide } = { ...request, requestId: 'ticket:CHG-31' };
    const first = await job()(policyWide);
    const creates = harness.rds.snapshots.createCalls;

    // Act: the same ticket naming both databases (another order and case), then only one of them.
    const named = await job()({ ...policyWide, targets: ['CERTCTL-AURORA', 'certctl-prod-db'] });
    const narrower = await job()({ ...policyWide, targets: ['certctl-prod-db'] }).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess: the same databases are the same request; another set is refused as before.
    expect(creates).toBe(2);
    expect(named.results.map((entry) => entry.snapshotId)).toEqual(
      first.results.map((entry) => entry.snapshotId),
    );
    expect(harness.rds.snapshots.createCalls).toBe(creates);
    expect(narrower).toMatchObject({
      name: 'InputError',
      message: expect.stringContaining('new ticket or request id'),
    });
  });

  it('runs a different request id as a new request when the ids differ', async () => {
    // Prepare
    const job = idempotentJob();
    await job(request);

    // Act
    const other = await job({ ...request, requestId: 'slack-trigger-43' });

    // Assess
    expect(other.results.every((entry) => entry.outcome === 'available')).toBe(true);
    expect(harness.rds.snapshots.createCalls).toBe(4);
  });

  it('replays no "snapshot taken" for a database deleted and created again under its name since: the snapshot is of the earlier one', async () => {
    // Prepare: the snapshot Lambda takes the request's snapshot; then the database is deleted and
    // created again under the same identifier (a new DbiResourceId), and the request is re-sent.
    const policy = fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db'] } });
    const deps = () => snapshotLambdaDeps(harness, dynamo, policy, new Metrics({ namespace: 'Test' }));
    const event = { requestId: 'chatops-rebirth-1', reason: 'CA rotation', requestedBy: 'U1' };
    const first = await snapshotLambda(event, deps());
    const sameDatabase = await snapshotLambda(event, deps());
    harness.rds.store.recreateInstance({
      id: 'certctl-prod-db',
      region: 'eu-west-1',
      tags: TAG,
      backupRetentionPeriod: 14,
    });
    const creates = harness.rds.snapshots.createCalls;

    // Act
    const again = await snapshotLambda(event, deps());

    // Assess
    expect(first.results.map((entry) => entry.outcome)).toEqual(['available']);
    expect(sameDatabase.results).toEqual(first.results);
    expect(again.results[0]).toMatchObject({
      outcome: 'error',
      error: { code: 'SnapshotOfEarlierDatabase' },
    });
    expect(again.results[0]?.error?.message).toMatch(
      new RegExp(
        `^${first.results[0]?.snapshotId} is of an earlier database named certctl-prod-db \\(DbiResourceId db-.*new ticket or request id`,
      ),
    );
    expect(again.counts).toMatchObject({ available: 0, error: 1 });
    expect(harness.rds.snapshots.createCalls).toBe(creates);
  });
});

describe('a snapshot request whose run died after its creates, before its result was recorded', () => {
  it('runs again once the dead run’s in-progress record expired, creating nothing new and reporting each target’s snapshot', async () => {
    // Prepare: the first run sends its creates, then never finishes (out of memory, timed out):
    // DynamoDB keeps its in-progress record, which holds for the time the run had left.
    const deps = harness.deps();
    const store = { tableName: dynamo.tableName, client: dynamo.client, pollMs: 50, longestRunMs: 10_000 };
    const dead = idempotentSnapshotJob(
      async (asked) => {
        await runSnapshotJob({ ...asked, wait: false }, deps);
        return new Promise<never>(() => undefined);
      },
      { ...store, waitForFirstMs: 300, remainingTimeMs: () => 300 },
    );
    void dead(request);
    await expect.poll(() => harness.rds.snapshots.createCalls, { timeout: 5000 }).toBe(2);

    // Act: a re-send of the same request.
    const rerun = await idempotentSnapshotJob((asked) => runSnapshotJob(asked, deps), {
      ...store,
      waitForFirstMs: 10_000,
      longestRunMs: 10_000,
    })(request);

    // Assess: the snapshots the dead run started, adopted and awaited, target by target.
    expect(harness.rds.snapshots.createCalls).toBe(2);
    expect(rerun.results.map((entry) => [entry.target.id, entry.outcome, entry.attempts])).toEqual([
      ['certctl-aurora', 'available', 0],
      ['certctl-prod-db', 'available', 0],
    ]);
  });

  it('records the snapshots the dead run created before it could record them, adopting them', async () => {
    // Prepare: the first run creates, then dies writing its run records (they never complete).
    const deps = harness.deps();
    const store = { tableName: dynamo.tableName, client: dynamo.client, pollMs: 50, longestRunMs: 10_000 };
    const records = dynamoRunRecords(dynamo.client, dynamo.tableName);
    const dead = idempotentSnapshotJob(
      async (asked) => {
        await runSnapshotJob(
          { ...asked, wait: false },
          { ...deps, runRecords: { ...records, write: () => new Promise<never>(() => undefined) } },
        );
        return new Promise<never>(() => undefined);
      },
      { ...store, waitForFirstMs: 300, remainingTimeMs: () => 300 },
    );
    void dead(request);
    await expect.poll(() => harness.rds.snapshots.createCalls, { timeout: 5000 }).toBe(2);

    // Act: a re-send of the same request, once the dead run's claim expired.
    const rerun = await idempotentSnapshotJob(
      (asked, accepted) => runSnapshotJob(asked, { ...deps, runRecords: records, ...accepted }),
      { ...store, waitForFirstMs: 10_000 },
    )(request);

    // Assess: adopted (nothing created) and now recorded, so prune may delete them once expired.
    expect(harness.rds.snapshots.createCalls).toBe(2);
    expect(rerun.results.map((entry) => [entry.outcome, entry.attempts, entry.notRecorded])).toEqual([
      ['available', 0, undefined],
      ['available', 0, undefined],
    ]);
    const found = await records.read(
      { provider: 'aws', account: rerun.results[0]?.target.account ?? '', region: 'eu-west-1' },
      rerun.results.map((entry) => ({
        id: entry.snapshotId ?? '',
        kind: entry.target.kind,
        target: entry.target.id,
        status: 'available',
        tags: {},
      })),
    );
    expect(found.map((record) => record.snapshotId).sort()).toEqual(
      rerun.results.map((entry) => entry.snapshotId).sort(),
    );
  });
});

describe('a snapshot of the request name made before the request was accepted', () => {
  it('is adopted but not recorded as ours, and the result says why', async () => {
    // Prepare: someone who predicted the name (it derives from the request id) made the snapshot
    // with our tags before the request; then the request comes.
    const deps = harness.deps();
    const records = dynamoRunRecords(dynamo.client, dynamo.tableName);
    const store = {
      tableName: dynamo.tableName,
      client: dynamo.client,
      pollMs: 50,
      waitForFirstMs: 10_000,
      longestRunMs: 10_000,
    };
    const forged = { ...request, targets: ['certctl-prod-db'] };
    const forger = await runSnapshotJob(forged, deps);
    const created = forger.results[0]?.createdAt;
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Act
    const result = await idempotentSnapshotJob(
      (asked, accepted) => runSnapshotJob(asked, { ...deps, runRecords: records, ...accepted }),
      store,
    )(forged);

    // Assess: nothing new taken, the forged one adopted and not recorded, so prune keeps it.
    expect(harness.rds.snapshots.createCalls).toBe(1);
    const [entry] = result.results;
    expect(entry).toMatchObject({
      outcome: 'available',
      attempts: 0,
      snapshotId: forger.results[0]?.snapshotId,
    });
    expect(entry?.notRecorded).toMatch(
      new RegExp(
        `^adopted, not recorded: the cloud created ${entry?.snapshotId} at ${created?.replace(/\./g, '\\.')}, before this request was first accepted at .*, so this request did not take it; prune keeps it \\(delete it by hand once you know whose it is\\)$`,
      ),
    );
    const found = await records.read(
      { provider: 'aws', account: entry?.target.account ?? '', region: 'eu-west-1' },
      [
        {
          id: entry?.snapshotId ?? '',
          kind: 'rds-instance',
          target: 'certctl-prod-db',
          status: 'available',
          tags: {},
        },
      ],
    );
    expect(found).toEqual([]);
  });
});
