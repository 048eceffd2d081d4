/**
 * Pre-maintenance snapshots end to end: the real RDS client against the simulator.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSnapshotJob, snapshotExitCode } from '../../functions/jobs/snapshot.ts';
import {
  expectAdopted,
  fastPolicy,
  type SnapshotHarness,
  snapshotScenario,
  startSnapshotHarness,
  TAG,
} from './snapshot-support.ts';

let harness: SnapshotHarness;

beforeEach(async () => {
  harness = await startSnapshotHarness();
});

afterEach(async () => {
  await harness.close();
});

/** The harness again, over `scenario`. */
async function restartHarness(scenario: Parameters<typeof startSnapshotHarness>[0]): Promise<void> {
  await harness.close();
  harness = await startSnapshotHarness(scenario);
}

const request = { requestId: 'CHG-1234', reason: 'CA rotation', ticket: 'CHG-1234', requestedBy: 'alice' };

describe('snapshot job against the simulator', () => {
  it('creates, tags and awaits a snapshot of every target while one busy target is retried and one failing target is reported', async () => {
    // Act
    const result = await runSnapshotJob(request, harness.deps());

    // Assess
    const byId = Object.fromEntries(result.results.map((entry) => [entry.target.id, entry]));
    expect(Object.keys(byId).sort()).toEqual([
      'certctl-aurora',
      'certctl-broken-db',
      'certctl-busy-db',
      'certctl-prod-db',
    ]);
    expect(byId['certctl-prod-db']?.outcome).toBe('available');
    expect(byId['certctl-aurora']?.outcome).toBe('available');
    expect(byId['certctl-aurora']?.target.kind).toBe('aurora-cluster');
    expect(byId['certctl-busy-db']?.outcome).toBe('available');
    expect(byId['certctl-busy-db']?.attempts).toBeGreaterThan(1);
    expect(byId['certctl-broken-db']?.outcome).toBe('failed');
    expect(byId['certctl-broken-db']?.error?.code).toBe('SnapshotFailed');
    expect(byId['certctl-prod-db']?.snapshotRef).toMatch(
      /^arn:aws:rds:eu-west-1:111111111111:snapshot:certctl-premaint-certctl-prod-db-/,
    );
    expect(byId['certctl-prod-db']?.encrypted).toBe(true);
    const stored = harness.rds.snapshots.snapshots().find((s) => s.target === 'certctl-prod-db');
    expect(stored?.tags).toMatchObject({
      purpose: 'certctl-pre-maintenance',
      reason: 'CA rotation',
      ticket: 'CHG-1234',
      'requested-by': 'alice',
      'request-id': 'CHG-1234',
    });
    expect(Date.parse(stored?.tags['expires-at'] ?? '')).toBeGreaterThan(Date.now() + 13 * 86_400_000);
    expect(snapshotExitCode(result)).toBe(1);
  });

  it('reports a busy target as busy with its error when it stays busy past the deadline', async () => {
    // Prepare
    await harness.close();
    harness = await startSnapshotHarness(
      snapshotScenario({
        targets: [
          { id: 'certctl-busy-db', region: 'eu-west-1', busy: { status: 'modifying', forMs: 60_000 } },
        ],
      }),
    );

    // Act
    const result = await runSnapshotJob(
      { ...request, targets: ['certctl-busy-db'] },
      harness.deps(fastPolicy({ snapshots: { waitMinutes: 0.005 } })),
    );

    // Assess
    expect(result.results).toHaveLength(1);
    expect(result.results[0]?.outcome).toBe('busy');
    expect(result.results[0]?.error?.code).toBe('InvalidDBInstanceState');
    expect(result.results[0]?.error?.message).toContain('modifying');
  });

  it.each([
    ['stopped', 'rds-instance'],
    ['storage-full', 'rds-instance'],
    ['stopped', 'aurora-cluster'],
  ] as const)(
    'answers a %s %s at once, naming its state, instead of retrying it as busy until the deadline',
    async (status, kind) => {
      // Prepare: RDS snapshots only an available database (CreateDBSnapshot: "The source DB instance
      // must be in the available or storage-optimization state"); waiting does not end these states.
      const scenario = snapshotScenario();
      const rds = scenario.services?.rds as { instances: { id: string }[]; clusters: { id: string }[] };
      const held = kind === 'rds-instance' ? 'certctl-prod-db' : 'certctl-aurora';
      const services = {
        ...scenario.services,
        rds: {
          ...rds,
          instances: rds.instances.map((instance) =>
            instance.id === held ? { ...instance, status } : instance,
          ),
          clusters: rds.clusters.map((cluster) => (cluster.id === held ? { ...cluster, status } : cluster)),
        },
      };
      await harness.close();
      harness = await startSnapshotHarness({ ...scenario, services });

      // Act: a wait long enough that a busy retry would hold on for seconds.
      const startedAt = Date.now();
      const result = await runSnapshotJob(
        { ...request, targets: [held] },
        harness.deps(fastPolicy({ snapshots: { waitMinutes: 0.1 } })),
      );

      // Assess
      expect(result.results).toHaveLength(1);
      expect(result.results[0]).toMatchObject({ outcome: 'error', attempts: 1 });
      expect(result.results[0]?.error?.code).toMatch(/^InvalidDB(Instance|Cluster)State/);
      expect(result.results[0]?.error?.message).toContain(`${held} is ${status}`);
      expect(Date.now() - startedAt).toBeLessThan(3000);
      expect(harness.rds.snapshots.snapshots().filter((snapshot) => snapshot.target === held)).toEqual([]);
    },
  );

  it('refuses the targets beyond the quota and says how many exist, how many are ours and what to do when the region is nearly full', async () => {
    // Prepare
    await restartHarness(
      snapshotScenario({
        quota: 3,
        existing: [
          { id: 'manual-one', target: 'certctl-prod-db', region: 'eu-west-1' },
          {
            id: 'certctl-premaint-old',
            target: 'certctl-prod-db',
            region: 'eu-west-1',
            createdAt: '-30d',
            tags: { purpose: 'certctl-pre-maintenance', 'expires-at': '2020-01-01T00:00:00.000Z' },
          },
        ],
      }),
    );

    // Act
    const result = await runSnapshotJob(
      { ...request, targets: ['certctl-prod-db', 'certctl-busy-db'] },
      harness.deps(fastPolicy({ snapshots: { quotaPerRegion: 3 } })),
    );

    // Assess
    const quota = result.results.filter((entry) => entry.outcome === 'quota');
    expect(quota).toHaveLength(1);
    expect(quota[0]?.error?.message).toContain(
      'holds 2 manual DB snapshots of a quota of 3 (1 made by backup-guard, 1 of them past expiry)',
    );
    expect(quota[0]?.error?.message).toContain('prune');
    expect(result.results.filter((entry) => entry.outcome === 'available')).toHaveLength(1);
  });

  it('says what to do when RDS refuses a create for its quota, which the policy’s quotaPerRegion set higher than it is', async () => {
    // Prepare: the region's real quota is 2 and holds 2 manual snapshots; the policy says 100.
    await restartHarness(
      snapshotScenario({
        quota: 2,
        existing: ['manual-one', 'manual-two'].map((id) => ({
          id,
          target: 'certctl-prod-db',
          region: 'eu-west-1',
        })),
      }),
    );

    // Act
    const result = await runSnapshotJob({ ...request, targets: ['certctl-prod-db'] }, harness.deps());

    // Assess
    expect(result.results[0]).toMatchObject({ outcome: 'quota', error: { code: 'SnapshotQuotaExceeded' } });
    const message = result.results[0]?.error?.message ?? '';
    expect(message).toContain('snapshots.quotaPerRegion (100)');
    expect(message).toContain("Run 'backup-guard prune --apply'");
    // Prune keeps an expired one no run record of ours names (taken before run records, say).
    expect(message).toContain(
      'it keeps, and lists, those no run record of ours names: delete them by hand once you know they are ours',
    );
    expect(message).toContain('"Manual DB instance snapshots" in Service Quotas');
  });

  it('adopts the snapshot of an earlier run of the same request instead of creating a second one when the request is re-run', async () => {
    // Prepare
    const first = await runSnapshotJob({ ...request, targets: ['certctl-prod-db'] }, harness.deps());
    const createsBefore = harness.rds.snapshots.createCalls;

    // Act
    const second = await runSnapshotJob({ ...request, targets: ['certctl-prod-db'] }, harness.deps());

    // Assess
    expect(harness.rds.snapshots.createCalls).toBe(createsBefore);
    expect(second.results[0]?.snapshotId).toBe(first.results[0]?.snapshotId);
    expect(second.results[0]?.outcome).toBe('available');
  });

  it('names a requested target that does not exist when the request names one', async () => {
    // Act
    const result = await runSnapshotJob({ ...request, targets: ['no-such-db'] }, harness.deps());

    // Assess
    expect(result.results).toHaveLength(0);
    expect(result.problems).toEqual([
      'target no-such-db was not found among the databases the policy selects (targets.tags, targets.identifiers, targets.all), or is not a PostgreSQL primary',
    ]);
    expect(snapshotExitCode(result)).toBe(2);
  });

  it('names the selected database a mistyped target likely means, and snapshots nothing', async () => {
    // Act
    const result = await runSnapshotJob({ ...request, targets: ['certctl-prdo-db'] }, harness.deps());

    // Assess
    expect(result.results).toHaveLength(0);
    expect(result.problems).toEqual([
      'target certctl-prdo-db was not found among the databases the policy selects (targets.tags, targets.identifiers, targets.all), or is not a PostgreSQL primary; did you mean certctl-prod-db?',
    ]);
    expect(harness.rds.snapshots.createCalls).toBe(0);
  });

  it('snapshots nothing of a named database the policy does not select (untagged), and says so', async () => {
    // Act: unrelated-db exists in us-east-1 but carries no certctl:backup-guard tag.
    const result = await runSnapshotJob(
      { ...request, targets: ['unrelated-db', 'certctl-prod-db'] },
      harness.deps(),
    );

    // Assess: the selected one is snapshotted, the other is refused by name, and nothing was taken of it.
    expect(result.results.map((entry) => [entry.target.id, entry.outcome])).toEqual([
      ['certctl-prod-db', 'available'],
    ]);
    expect(result.problems).toEqual([
      expect.stringMatching(/^target unrelated-db was not found among the databases the policy selects/),
    ]);
    expect(harness.rds.snapshots.snapshots().filter((stored) => stored.target === 'unrelated-db')).toEqual(
      [],
    );
    expect(snapshotExitCode(result)).toBe(2);
  });

  it('says the engine of a named MySQL or Aurora MySQL database, target by target, and snapshots nothing of it', async () => {
    // Prepare: a tagged MySQL instance, a tagged Aurora MySQL cluster, beside the PostgreSQL fleet.
    const scenario = snapshotScenario();
    const rds = scenario.services?.rds as { instances: unknown[]; clusters: unknown[] };
    rds.instances.push({ id: 'certctl-mysql', region: 'eu-west-1', engine: 'mysql', tags: TAG });
    rds.clusters.push({
      id: 'orders',
      region: 'us-east-1',
      engine: 'aurora-mysql',
      tags: TAG,
      members: [{ id: 'orders-1', writer: true }],
    });
    await restartHarness(scenario);

    // Act
    const result = await runSnapshotJob(
      {
        ...request,
        targets: [
          'certctl-mysql',
          'arn:aws:rds:us-east-1:111111111111:cluster:orders',
          'certctl-prod-db',
          'gone',
        ],
      },
      harness.deps(),
    );

    // Assess: the PostgreSQL target is snapshotted; each other one is named with its engine, not as
    // not found, and nothing is taken of it.
    expect(result.results.map((entry) => [entry.target.id, entry.outcome])).toEqual([
      ['certctl-prod-db', 'available'],
    ]);
    expect(result.problems).toEqual([
      'target certctl-mysql is a database of engine mysql (aws/111111111111/eu-west-1), which is not PostgreSQL: backup-guard neither audits nor snapshots it, so nothing was snapshotted for it',
      'target arn:aws:rds:us-east-1:111111111111:cluster:orders is a database of engine aurora-mysql (aws/111111111111/us-east-1), which is not PostgreSQL: backup-guard neither audits nor snapshots it, so nothing was snapshotted for it',
      'target gone was not found among the databases the policy selects (targets.tags, targets.identifiers, targets.all), or is not a PostgreSQL primary',
    ]);
    const taken = harness.rds.snapshots.snapshots().map((stored) => stored.target);
    expect(taken).not.toContain('certctl-mysql');
    expect(taken).not.toContain('orders');
    expect(snapshotExitCode(result)).toBe(2);
  });

  it('names each tagged database of another engine as not snapshotted, and snapshots the PostgreSQL ones, in a run over every target, from the listing it makes anyway', async () => {
    // Prepare: a tagged MySQL instance and a tagged Aurora MySQL cluster beside a tagged PostgreSQL
    // instance; an untagged MySQL instance is no business of the run.
    await restartHarness({
      regions: [{ name: 'eu-west-1' }, { name: 'us-east-1' }],
      services: {
        rds: {
          instances: [
            { id: 'certctl-prod-db', region: 'eu-west-1', tags: TAG },
            { id: 'certctl-mysql', region: 'eu-west-1', engine: 'mysql', tags: TAG },
            { id: 'other-mysql', region: 'us-east-1', engine: 'mysql' },
          ],
          clusters: [
            {
              id: 'orders',
              region: 'us-east-1',
              engine: 'aurora-mysql',
              tags: TAG,
              members: [{ id: 'orders-1', writer: true }],
            },
          ],
          snapshots: { defaultDurationMs: 100 },
        },
      },
    });
    harness.sim.resetStats();

    // Act
    const result = await runSnapshotJob(request, harness.deps());

    // Assess: the PostgreSQL target is snapshotted and the run does not fail for it; each other one
    // is named with its engine and why nothing was taken of it, and the run is incomplete (exit 2),
    // as the audit's Coverage makes it. One listing of each kind a Region, no look-up.
    expect(result.results.map((entry) => [entry.target.id, entry.outcome])).toEqual([
      ['certctl-prod-db', 'available'],
    ]);
    expect(result.problems).toEqual([
      'certctl-mysql (aws/111111111111/eu-west-1) is selected by the target tag certctl:backup-guard=enabled but its engine mysql is not PostgreSQL: backup-guard neither audits nor snapshots it',
      'orders (aws/111111111111/us-east-1) is selected by the target tag certctl:backup-guard=enabled but its engine aurora-mysql is not PostgreSQL: backup-guard neither audits nor snapshots it',
    ]);
    const taken = harness.rds.snapshots.snapshots().map((stored) => stored.target);
    expect(taken).toEqual(['certctl-prod-db']);
    expect(snapshotExitCode(result)).toBe(2);
    const { byOperation } = harness.sim.stats();
    expect([byOperation['rds:DescribeDBInstances'], byOperation['rds:DescribeDBClusters']]).toEqual([2, 2]);
  });

  it('tells a request naming a tagged MySQL database its engine from the listing, looking nothing up', async () => {
    // Prepare: the default policy selects by tag, so the listings carry every engine.
    const scenario = snapshotScenario();
    const rds = scenario.services?.rds as { instances: unknown[] };
    rds.instances.push({ id: 'certctl-mysql', region: 'eu-west-1', engine: 'mysql', tags: TAG });
    await restartHarness(scenario);
    harness.sim.resetStats();

    // Act
    const result = await runSnapshotJob({ ...request, targets: ['certctl-mysql'] }, harness.deps());

    // Assess: one listing of each kind a Region, and no filtered look-up of the name.
    expect(result.problems).toEqual([
      'target certctl-mysql is a database of engine mysql (aws/111111111111/eu-west-1), which is not PostgreSQL: backup-guard neither audits nor snapshots it, so nothing was snapshotted for it',
    ]);
    const { byOperation } = harness.sim.stats();
    expect([byOperation['rds:DescribeDBInstances'], byOperation['rds:DescribeDBClusters']]).toEqual([2, 2]);
  });

  it('says nothing of a database of another engine the policy does not select, as of a PostgreSQL one', async () => {
    // Prepare: an untagged MySQL instance and an untagged Aurora MySQL cluster, which the policy
    // (target tag) does not select: a request narrows the policy's selection, never widens it, and
    // its answer tells the requester nothing of the account's other databases.
    const scenario = snapshotScenario();
    const rds = scenario.services?.rds as { instances: unknown[]; clusters: unknown[] };
    rds.instances.push({ id: 'billing-mysql', region: 'eu-west-1', engine: 'mysql' });
    rds.clusters.push({
      id: 'orders',
      region: 'us-east-1',
      engine: 'aurora-mysql',
      members: [{ id: 'orders-1', writer: true }],
    });
    await restartHarness(scenario);

    // Act
    const result = await runSnapshotJob(
      { ...request, targets: ['billing-mysql', 'arn:aws:rds:us-east-1:111111111111:cluster:orders'] },
      harness.deps(),
    );

    // Assess: as for the unselected PostgreSQL database above, neither its engine nor where it is.
    expect(result.results).toEqual([]);
    expect(result.problems).toEqual([
      'target billing-mysql was not found among the databases the policy selects (targets.tags, targets.identifiers, targets.all), or is not a PostgreSQL primary',
      'target arn:aws:rds:us-east-1:111111111111:cluster:orders was not found among the databases the policy selects (targets.tags, targets.identifiers, targets.all), or is not a PostgreSQL primary',
    ]);
    expect(snapshotExitCode(result)).toBe(2);
  });

  it('names the cluster to snapshot instead, and snapshots nothing, when the request names an Aurora member', async () => {
    // Prepare
    const createsBefore = harness.rds.snapshots.createCalls;

    // Act: certctl-aurora-1 is the writer of the tagged cluster certctl-aurora, by name and by ARN.
    const result = await runSnapshotJob(
      { ...request, targets: ['certctl-aurora-1', 'arn:aws:rds:eu-west-1:111111111111:db:certctl-aurora-1'] },
      harness.deps(),
    );

    // Assess: told to name the cluster; the cluster is not snapshotted in its place.
    expect(result.results).toEqual([]);
    const told = (name: string) =>
      `target ${name} is an Aurora member of the cluster certctl-aurora (aws/111111111111/eu-west-1), and Aurora snapshots are of clusters: a DB instance of one has no snapshot of its own. Nothing was snapshotted for it; to snapshot its data, ask again naming the cluster certctl-aurora`;
    expect(result.problems).toEqual([
      told('certctl-aurora-1'),
      told('arn:aws:rds:eu-west-1:111111111111:db:certctl-aurora-1'),
    ]);
    expect(harness.rds.snapshots.createCalls).toBe(createsBefore);
    expect(snapshotExitCode(result)).toBe(2);
  });

  it('names the source to snapshot instead, and snapshots nothing of it, when the request names a same-region read replica', async () => {
    // Prepare
    await harness.close();
    const scenario = snapshotScenario();
    const rds = scenario.services?.rds as { instances: unknown[] };
    rds.instances.push({
      id: 'certctl-prod-db-replica',
      region: 'eu-west-1',
      readReplicaSource: 'certctl-prod-db',
    });
    harness = await startSnapshotHarness(scenario);

    // Act
    const result = await runSnapshotJob(
      { ...request, targets: ['certctl-prod-db-replica', 'certctl-busy-db'] },
      harness.deps(fastPolicy({ snapshots: { waitMinutes: 0.005 } })),
    );

    // Assess: the other named database is still snapshotted; the source is not taken in the replica's place.
    expect(result.results.map((entry) => entry.target.id)).toEqual(['certctl-busy-db']);
    expect(result.problems).toEqual([
      'target certctl-prod-db-replica is an RDS read replica of certctl-prod-db (aws/111111111111/eu-west-1), and a read replica is not snapshotted on its own: the snapshot of its source is what restores it. Nothing was snapshotted for it; to snapshot its data, ask again naming its source certctl-prod-db',
    ]);
    expect(harness.rds.snapshots.snapshots().filter((stored) => stored.target === 'certctl-prod-db')).toEqual(
      [],
    );
  });

  it('keeps the plain not-found answer for a replica whose source the policy does not select', async () => {
    // Prepare
    await harness.close();
    const scenario = snapshotScenario();
    const rds = scenario.services?.rds as { instances: unknown[] };
    rds.instances.push({ id: 'unrelated-replica', region: 'us-east-1', readReplicaSource: 'unrelated-db' });
    harness = await startSnapshotHarness(scenario);

    // Act
    const result = await runSnapshotJob({ ...request, targets: ['unrelated-replica'] }, harness.deps());

    // Assess
    expect(result.problems).toEqual([
      'target unrelated-replica was not found among the databases the policy selects (targets.tags, targets.identifiers, targets.all), or is not a PostgreSQL primary',
    ]);
  });
});

describe('snapshot job after a run that crashed, or beside another request, against the simulator', () => {
  /** certctl-prod-db, whose snapshots stay `creating` for `durationMs`. */
  async function slowSnapshots(durationMs: number): Promise<void> {
    await restartHarness(
      snapshotScenario({ targets: [{ id: 'certctl-prod-db', region: 'eu-west-1', durationMs }] }),
    );
  }
  const prod = { ...request, targets: ['certctl-prod-db'] };

  it('adopts, never doubles, the snapshot a crashed run of the same request left creating, and says it is still creating', async () => {
    // Prepare: the crashed run sent the create and died before recording anything (a run that does
    // not wait leaves the same state behind).
    await slowSnapshots(5000);
    const crashed = await runSnapshotJob({ ...prod, wait: false }, harness.deps());

    // Act: the same request again once its in-progress record expired.
    const rerun = await runSnapshotJob({ ...prod, wait: false }, harness.deps());

    // Assess
    expectAdopted(harness.rds.snapshots.createCalls, rerun, crashed, 'creating');
  });

  it('waits for the snapshot of ours another request is still creating of the same database instead of taking a second one', async () => {
    // Prepare: another chat command's snapshot of the database is being created.
    await slowSnapshots(1500);
    const other = await runSnapshotJob(
      { ...prod, requestId: 'CHG-9', ticket: 'CHG-9', wait: false },
      harness.deps(),
    );

    // Act
    const result = await runSnapshotJob(prod, harness.deps());

    // Assess: one snapshot in all, reported available for this request, naming it.
    expectAdopted(harness.rds.snapshots.createCalls, result, other, 'available');
  });
});
