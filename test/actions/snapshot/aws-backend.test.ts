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
});

describe('RDS snapshot backend: a database that leaves the listed state while the action retries', () => {
  const snapshotsPolicy = parsePolicy({
    snapshots: { waitMinutes: 10, pollInitialSeconds: 5, pollMaxSeconds: 30 },
  }).snapshots;
  const request = { requestId: 'r-1', reason: 'CA rotation', requestedBy: 'alice' };

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

  const instance: SnapshotTarget = {
    provider: 'aws',
    kind: 'rds-instance',
    account: '111111111111',
    region: 'eu-west-1',
    id: 'certctl-prod-db',
    status: 'backing-up',
  };
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
