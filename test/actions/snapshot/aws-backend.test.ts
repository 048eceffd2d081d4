/**
 * The RDS snapshot backend's reading of a create refused for the database's state: a state that
 * waiting does not end is answered at once (`unavailable`), any other refusal is retried (`busy`).
 */
import type { RDSClient } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { rdsSnapshotBackend } from '../../../functions/actions/snapshot/aws.ts';
import type { SnapshotTarget } from '../../../functions/actions/snapshot/model.ts';
import { takeSnapshots } from '../../../functions/actions/snapshot/run.ts';
import { parsePolicy } from '../../../functions/core/policy.ts';

const snapshotsPolicy = parsePolicy({
  snapshots: { waitMinutes: 10, pollInitialSeconds: 5, pollMaxSeconds: 30 },
}).snapshots;
const request = { requestId: 'r-1', reason: 'CA rotation', requestedBy: 'alice' };

const prodDb: SnapshotTarget = {
  provider: 'aws',
  kind: 'rds-instance',
  account: '111111111111',
  region: 'eu-west-1',
  id: 'certctl-prod-db',
};

/** takeSnapshots of one target over the real RDS backend on a clock that moves when it sleeps. */
async function snapshotOf(target: SnapshotTarget, rds: RDSClient) {
  let t = 0;
  const [result] = await takeSnapshots(request, [target], {
    policy: snapshotsPolicy,
    backendFor: () => rdsSnapshotBackend(rds),
    now: () => new Date(t),
    sleep: async (ms) => {
      t += ms;
    },
  });
  return { result, elapsedMs: t };
}

describe('RDS snapshot backend: a snapshot refused for the database state', () => {
  const target = (status: string | undefined) => ({
    provider: 'aws' as const,
    kind: 'rds-instance' as const,
    account: '111111111111',
    region: 'eu-west-1',
    id: 'certctl-prod-db',
    ...(status ? { status } : {}),
  });
  // CreateDBSnapshot: "The source DB instance must be in the available or storage-optimization state".
  const refused = Object.assign(new Error('DB instance is not in the available state'), {
    name: 'InvalidDBInstanceStateFault',
  });
  const backend = rdsSnapshotBackend({} as RDSClient);

  it.each([
    ['stopped', 'unavailable'],
    ['storage-full', 'unavailable'],
    // A DeleteDBInstance "cannot be canceled or reverted once submitted": the database goes away.
    ['deleting', 'unavailable'],
    ['delete-precheck', 'unavailable'],
    ['incompatible-create', 'unavailable'],
    // A failed restore, clone, migration or engine upgrade: no waiting ends it.
    ['restore-error', 'unavailable'],
    ['cloning-failed', 'unavailable'],
    ['migration-failed', 'unavailable'],
    ['upgrade-failed', 'unavailable'],
    ['upgrade_failed', 'unavailable'],
    ['backing-up', 'busy'],
    ['modifying', 'busy'],
    [undefined, 'busy'],
  ] as const)('treats the refusal of a %s instance as %s', (status, kind) => {
    expect(backend.classify(refused, target(status))).toBe(kind);
  });

  it('says a database being deleted cannot be made available, not to start it', () => {
    const advice = backend.unavailableAdvice?.(target('deleting')) ?? '';
    expect(advice).toContain('being deleted');
    expect(advice).not.toContain('start it');
    expect(backend.unavailableAdvice?.(target('stopped'))).toContain('start it');
  });

  it('says what failed, not to start it, when a database is left by a failed clone or upgrade', () => {
    const cloneAdvice = backend.unavailableAdvice?.(target('cloning-failed')) ?? '';
    const upgradeAdvice = backend.unavailableAdvice?.(target('upgrade-failed')) ?? '';
    expect(cloneAdvice).toContain('restore, clone or migration failed');
    expect(cloneAdvice).not.toContain('start it');
    expect(upgradeAdvice).toContain('engine upgrade failed');
    expect(upgradeAdvice).not.toContain('start it');
  });
});

describe('RDS snapshot backend: a database that leaves the listed state while the action retries', () => {
  /**
   * RDS refusing every create for the database's state, and answering the database's own listing
   * with `status` now (the status the first listing gave is the target's); a `status` of an Error
   * is a read that fails.
   */
  function refusingRds(status: string | Error) {
    const calls: string[] = [];
    const rds = {
      config: {},
      send: async (command: { constructor: { name: string } }) => {
        const name = command.constructor.name;
        calls.push(name);
        if (name === 'CreateDBSnapshotCommand' || name === 'CreateDBClusterSnapshotCommand') {
          throw Object.assign(new Error('The database is not in the available state'), {
            name:
              name === 'CreateDBSnapshotCommand'
                ? 'InvalidDBInstanceStateFault'
                : 'InvalidDBClusterStateFault',
          });
        }
        if (name === 'DescribeDBSnapshotsCommand') return { DBSnapshots: [] };
        if (name === 'DescribeDBClusterSnapshotsCommand') return { DBClusterSnapshots: [] };
        if (status instanceof Error) throw status;
        if (name === 'DescribeDBInstancesCommand') {
          return { DBInstances: [{ DBInstanceIdentifier: 'certctl-prod-db', DBInstanceStatus: status }] };
        }
        if (name === 'DescribeDBClustersCommand') {
          return { DBClusters: [{ DBClusterIdentifier: 'certctl-prod', Status: status }] };
        }
        throw new Error(`unexpected ${name}`);
      },
    };
    return { rds: rds as unknown as RDSClient, calls };
  }

  const instance: SnapshotTarget = { ...prodDb, status: 'backing-up' };
  const cluster: SnapshotTarget = { ...instance, kind: 'aurora-cluster', id: 'certctl-prod' };

  it.each([
    ['n instance', 'storage-full', instance],
    [' cluster', 'stopped', cluster],
  ] as const)(
    'answers at once when a%s listed backing-up is %s when its create is refused',
    async (_what, now, target) => {
      // Prepare: listed backing-up (busy), the database has run out of storage / been stopped since.
      const { rds, calls } = refusingRds(now);

      // Act
      const { result, elapsedMs } = await snapshotOf(target, rds);

      // Assess: the state waiting does not end, said at once, not retried until the deadline.
      expect(result?.outcome).toBe('error');
      expect(result?.error?.message).toContain(`is ${now}, a state it does not leave on its own`);
      expect(result?.attempts).toBe(1);
      expect(elapsedMs).toBe(0);
      expect(calls.filter((call) => call.startsWith('Create'))).toHaveLength(1);
    },
  );

  it('keeps retrying a database still busy, or whose state could not be read again, until the deadline', async () => {
    for (const now of ['backing-up', Object.assign(new Error('Rate exceeded'), { name: 'Throttling' })]) {
      // Prepare
      const { rds } = refusingRds(now);

      // Act
      const { result, elapsedMs } = await snapshotOf(instance, rds);

      // Assess: busy is still retried; a failed read proves nothing.
      expect(result?.outcome).toBe('busy');
      expect(result?.attempts).toBeGreaterThan(1);
      expect(elapsedMs).toBeGreaterThan(0);
    }
  });
});

describe('RDS snapshot backend: a snapshot of ours in a state that is neither being created nor available', () => {
  const instance: SnapshotTarget = { ...prodDb, status: 'available' };
  const cluster: SnapshotTarget = { ...instance, kind: 'aurora-cluster', id: 'certctl-prod' };

  /** Each kind's calls and elements: its create, its describe, and its snapshot's fields. */
  const SHAPES = [
    {
      element: 'DBSnapshot',
      create: 'CreateDBSnapshotCommand',
      describe: 'DescribeDBSnapshotsCommand',
      list: 'DBSnapshots',
      id: 'DBSnapshotIdentifier',
      of: { DBInstanceIdentifier: 'certctl-prod-db' },
    },
    {
      element: 'DBClusterSnapshot',
      create: 'CreateDBClusterSnapshotCommand',
      describe: 'DescribeDBClusterSnapshotsCommand',
      list: 'DBClusterSnapshots',
      id: 'DBClusterSnapshotIdentifier',
      of: { DBClusterIdentifier: 'certctl-prod' },
    },
  ] as const;

  /**
   * RDS accepting each create (`createStatus`: the create answer's Status, 'creating' unless told; null
   * sends none), then describing the snapshot it took with `status` (undefined: no Status element)
   * on every later read.
   */
  function rdsAnswering(status: string | undefined, createStatus: string | null = 'creating') {
    const created: string[] = [];
    let tags: unknown;
    const state = (shape: (typeof SHAPES)[number], id: string, now: string | undefined) => ({
      [shape.id]: id,
      ...shape.of,
      TagList: tags,
      SnapshotCreateTime: new Date(0),
      ...(now === undefined ? {} : { Status: now }),
    });
    const rds = {
      config: {},
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        const name = command.constructor.name;
        for (const shape of SHAPES) {
          if (name === shape.create) {
            const id = command.input[shape.id] as string;
            created.push(id);
            tags = command.input.Tags;
            return { [shape.element]: state(shape, id, createStatus ?? undefined) };
          }
          const last = created.at(-1);
          if (name === shape.describe) return { [shape.list]: last ? [state(shape, last, status)] : [] };
        }
        throw new Error(`unexpected ${name}`);
      },
    };
    return { rds: rds as unknown as RDSClient, created };
  }

  it.each([
    ['an instance', 'incompatible-restore', instance, 'is incompatible-restore'],
    ['an instance', 'some-new-state', instance, 'is some-new-state'],
    ['an instance', undefined, instance, 'status not sent'],
    ['a cluster', 'some-new-state', cluster, 'is some-new-state'],
  ] as const)(
    'does not wait until the deadline for %s snapshot whose Status is %s',
    async (_what, status, target, said) => {
      // Prepare
      const { rds, created } = rdsAnswering(status);

      // Act
      const { result } = await snapshotOf(target, rds);

      // Assess: not being created, not usable, named; not reported as still creating at the deadline.
      expect(result?.outcome).toBe('failed');
      expect(result?.error?.code).toBe('SnapshotFailed');
      expect(result?.error?.message).toContain(said);
      expect(result?.error?.message).not.toContain('deadline');
      expect(created.length).toBeGreaterThan(0);
    },
  );

  it.each(['creating', 'copying'])('still waits for a snapshot whose Status is %s', async (status) => {
    // Prepare
    const { rds } = rdsAnswering(status);

    // Act
    const { result } = await snapshotOf(instance, rds);

    // Assess: in progress until the deadline.
    expect(result?.outcome).toBe('creating');
    expect(result?.error?.code).toBe('DeadlineExceeded');
  });

  it('takes one snapshot, not another at once, when the create answer sends no Status', async () => {
    // Prepare: the create succeeded, so the snapshot exists and is being made, whatever the answer
    // left out; read as failed, the action would take a second one at once.
    const { rds, created } = rdsAnswering('available', null);

    // Act
    const { result } = await snapshotOf(instance, rds);

    // Assess
    expect(result?.outcome).toBe('available');
    expect(created).toHaveLength(1);
  });

  it('counts a snapshot whose Status is available', async () => {
    const { rds } = rdsAnswering('available');
    const { result } = await snapshotOf(instance, rds);
    expect(result?.outcome).toBe('available');
  });
});
