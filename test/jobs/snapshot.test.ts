/**
 * The snapshot job's wiring over a fake cloud: what it asks the cloud for and hands to the action.
 */
import { describe, expect, it } from 'vitest';
import type {
  SnapshotBackend,
  SnapshotCloud,
  TargetsOptions,
} from '../../functions/actions/snapshot/backend.ts';
import { type SnapshotTarget, snapshotIdentifier } from '../../functions/actions/snapshot/model.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import {
  SNAPSHOT_RECORDING_MARGIN_MS,
  SNAPSHOT_SETUP_BOUND_MS,
  snapshotRunBoundMs,
} from '../../functions/core/snapshots-policy.ts';
import { retriesLater, runSnapshotJob, snapshotExitCode } from '../../functions/jobs/snapshot.ts';
import { fakeBackend, pruneRecorded, UNENCRYPTED_SNAPSHOTS } from '../actions/snapshot/fake-backend.ts';

const TARGET: SnapshotTarget = {
  provider: 'aws',
  kind: 'rds-instance',
  account: '111111111111',
  region: 'eu-west-1',
  id: 'certctl-db',
  resourceId: 'db-CERTCTL',
};

/** A cloud of one target, {@link TARGET}, whose snapshots `backend` takes. */
function cloudOf(backend: SnapshotBackend): SnapshotCloud {
  return {
    provider: 'aws',
    targets: async () => ({ targets: [TARGET], problems: [] }),
    backend: () => backend,
    maintenance: async () => ({ upcoming: [], problems: [] }),
    snapshotPlaces: async () => ({ places: [], problems: [] }),
    snapshotKeys: UNENCRYPTED_SNAPSHOTS,
  };
}

describe('runSnapshotJob', () => {
  it('asks for the manual snapshots with the targets and checks the quota on them without listing again', async () => {
    // Prepare: the region is full (quota 1, one snapshot listed with the targets); listing again fails.
    const asked: TargetsOptions[] = [];
    const backend: SnapshotBackend = {
      quotaApplies: true,
      codeOf: (error) => (error as Error).name,
      classify: () => 'other',
      describe: async () => {
        throw new Error('not read again in this test');
      },
      listManual: async () => {
        throw new Error('listed again before the creates');
      },
      create: async () => {
        throw new Error('created over the quota');
      },
      poll: async () => [],
      delete: async () => undefined,
    };
    const cloud: SnapshotCloud = {
      provider: 'aws',
      targets: async (_selection, options = {}) => {
        asked.push(options);
        return {
          targets: [TARGET],
          problems: [],
          manualSnapshots: [
            {
              provider: 'aws',
              account: TARGET.account,
              region: TARGET.region,
              kind: 'rds-instance',
              snapshots: [
                { id: 'nightly-1', kind: 'rds-instance', target: 'other', status: 'available', tags: {} },
              ],
            },
          ],
        };
      },
      backend: () => backend,
      maintenance: async () => ({ upcoming: [], problems: [] }),
      snapshotPlaces: async () => ({ places: [], problems: [] }),
    };

    // Act
    const result = await runSnapshotJob(
      { requestId: 'CHG-1', reason: 'CA rotation', requestedBy: 'alice', wait: false },
      { policy: parsePolicy({ snapshots: { quotaPerRegion: 1 } }), clouds: [cloud] },
    );

    // Assess
    expect(asked).toEqual([{ withManualSnapshots: true, withOtherEngines: true }]);
    expect(result.results.map((entry) => entry.outcome)).toEqual(['quota']);
    expect(result.results[0]?.error?.message).toContain('holds 1 manual DB snapshots of a quota of 1');
  });
});

describe('snapshotExitCode', () => {
  it('does not exit 0 when a waited-for snapshot is still creating at the deadline', async () => {
    // Prepare: the create is accepted, but the snapshot never leaves `creating` before the deadline.
    let clock = 0;
    const backend = fakeBackend();
    const cloud = cloudOf(backend);

    // Act
    const result = await runSnapshotJob(
      { requestId: 'CHG-2', reason: 'CA rotation', requestedBy: 'alice', wait: true },
      {
        policy: parsePolicy({ snapshots: { waitMinutes: 1 } }),
        clouds: [cloud],
        now: () => new Date(clock),
        sleep: async (ms) => {
          clock += ms;
        },
      },
    );

    // Assess: the snapshot was only requested; nothing proves it restorable.
    expect(result.results.map((entry) => [entry.outcome, entry.error?.code])).toEqual([
      ['creating', 'DeadlineExceeded'],
    ]);
    expect(snapshotExitCode(result)).toBe(1);
  });

  it('waits only what is left of set-up bound plus waitMinutes when its set-up outlasts the bound, so the run ends within its claim', async () => {
    // Prepare: finding the targets takes 4 minutes longer than the set-up bound; the snapshot
    // never leaves `creating`.
    let clock = 0;
    const overrunMs = 4 * 60_000;
    const backend = fakeBackend();
    const cloud: SnapshotCloud = {
      ...cloudOf(backend),
      targets: async () => {
        clock += SNAPSHOT_SETUP_BOUND_MS + overrunMs;
        return { targets: [TARGET], problems: [] };
      },
    };
    const policy = parsePolicy({ snapshots: { waitMinutes: 10 } });

    // Act
    const result = await runSnapshotJob(
      { requestId: 'CHG-2B', reason: 'CA rotation', requestedBy: 'alice', wait: true },
      {
        policy,
        clouds: [cloud],
        now: () => new Date(clock),
        sleep: async (ms) => {
          clock += ms;
        },
      },
    );

    // Assess: the wait is 6 minutes, not 10, and says so; the run is over by the bound.
    expect(result.results.map((entry) => [entry.outcome, entry.error?.code])).toEqual([
      ['creating', 'DeadlineExceeded'],
    ]);
    expect(result.results[0]?.error?.message).toContain('at the deadline, 6 minutes after the wait began');
    const lasted = Date.parse(result.finishedAt) - Date.parse(result.startedAt);
    expect(lasted).toBeGreaterThan(SNAPSHOT_SETUP_BOUND_MS + 5 * 60_000);
    expect(lasted).toBeLessThanOrEqual(SNAPSHOT_SETUP_BOUND_MS + 10 * 60_000);
    expect(lasted).toBeLessThanOrEqual(snapshotRunBoundMs(policy.snapshots) - SNAPSHOT_RECORDING_MARGIN_MS);
  });

  it('ends its wait by waitEndsBy, counting the time its set-up took, when a function must answer by then', async () => {
    // Prepare: a function that must answer 10 minutes after the run starts; finding the targets takes
    // 2 minutes (within the set-up bound); the snapshot never leaves `creating`; waitMinutes 60.
    let clock = 0;
    const backend = fakeBackend();
    const cloud: SnapshotCloud = {
      ...cloudOf(backend),
      targets: async () => {
        clock += 2 * 60_000;
        return { targets: [TARGET], problems: [] };
      },
    };
    const policy = parsePolicy({ snapshots: { waitMinutes: 60 } });

    // Act
    const result = await runSnapshotJob(
      { requestId: 'CHG-2C', reason: 'CA rotation', requestedBy: 'alice', wait: true },
      {
        policy,
        clouds: [cloud],
        waitEndsBy: new Date(10 * 60_000),
        now: () => new Date(clock),
        sleep: async (ms) => {
          clock += ms;
        },
      },
    );

    // Assess: the wait is the 8 minutes left once the targets were found, and says so.
    expect(result.results.map((entry) => [entry.outcome, entry.error?.code])).toEqual([
      ['creating', 'DeadlineExceeded'],
    ]);
    expect(result.results[0]?.error?.message).toContain('at the deadline, 8 minutes after');
    expect(Date.parse(result.finishedAt)).toBe(10 * 60_000);
  });

  it('exits 0 for a snapshot created without waiting (--no-wait)', () => {
    expect(
      snapshotExitCode({
        requestId: 'CHG-3',
        startedAt: '2026-12-03T00:00:00.000Z',
        finishedAt: '2026-12-03T00:00:01.000Z',
        results: [{ target: TARGET, outcome: 'creating', snapshotId: 's', durationMs: 1, attempts: 1 }],
        counts: { available: 0, creating: 1, failed: 0, busy: 0, quota: 0, error: 0 },
        problems: [],
      }),
    ).toBe(0);
  });

  it('does not report a snapshot an earlier run of the request took days ago as this request’s fresh snapshot', async () => {
    // Prepare: the same ticket was asked three days ago; its snapshot (ours, of this database) is
    // still there and is adopted, not taken again.
    const now = new Date('2026-12-03T12:00:00.000Z');
    const requestId = 'ticket:CHG-4';
    const backend = fakeBackend({
      listManual: async () => [
        {
          id: snapshotIdentifier(TARGET, requestId),
          kind: 'rds-instance',
          target: TARGET.id,
          sourceResourceId: 'db-CERTCTL',
          status: 'available',
          createdAt: new Date('2026-11-30T12:00:00.000Z'),
          tags: { purpose: 'certctl-pre-maintenance', 'request-id': requestId },
        },
      ],
      create: async () => {
        throw new Error('taken twice');
      },
      poll: async () => [],
    });
    const cloud = cloudOf(backend);

    // Act
    const result = await runSnapshotJob(
      { requestId, reason: 'CA rotation', requestedBy: 'alice', wait: true },
      { policy: parsePolicy({}), clouds: [cloud], now: () => now },
    );

    // Assess: nothing taken twice, and the old snapshot is not this request's fresh one.
    expect(result.results.map((entry) => [entry.outcome, entry.error?.code])).toEqual([
      ['error', 'SnapshotStale'],
    ]);
    expect(result.results[0]?.snapshotId).toBe(snapshotIdentifier(TARGET, requestId));
    expect(result.results[0]?.error?.message).toContain('72.0 h');
    expect(snapshotExitCode(result)).toBe(1);
  });
});

describe('one cloud that cannot be planned', () => {
  const CLOUD_SQL: SnapshotTarget = {
    provider: 'gcp',
    kind: 'cloudsql-instance',
    account: 'proj',
    region: 'europe-west1',
    id: 'certctl-pg',
  };
  const stsDown = () =>
    Object.assign(new Error('STS GetCallerIdentity failed in every region tried (eu-west-1: 503)'), {
      name: 'CloudApiError',
    });
  /** AWS whose account cannot be found (STS down everywhere): every call of it throws. */
  const awsDown: SnapshotCloud = {
    provider: 'aws',
    targets: async () => {
      throw stsDown();
    },
    backend: () => fakeBackend(),
    maintenance: async () => {
      throw stsDown();
    },
    snapshotPlaces: async () => {
      throw stsDown();
    },
  };

  it('still snapshots the other cloud’s databases and reports the cloud not read (exit 2)', async () => {
    // Prepare
    const gcp: SnapshotCloud = {
      provider: 'gcp',
      targets: async () => ({ targets: [CLOUD_SQL], problems: [] }),
      backend: () => fakeBackend(),
      maintenance: async () => ({ upcoming: [], problems: [] }),
      snapshotPlaces: async () => ({ places: [], problems: [] }),
      snapshotKeys: UNENCRYPTED_SNAPSHOTS,
    };

    // Act
    const result = await runSnapshotJob(
      { requestId: 'CHG-1', reason: 'CA rotation', requestedBy: 'alice', wait: false },
      { policy: parsePolicy({}), clouds: [awsDown, gcp] },
    );

    // Assess
    expect(result.results.map((entry) => [entry.target.id, entry.outcome])).toEqual([
      ['certctl-pg', 'creating'],
    ]);
    expect(result.problems.join('\n')).toContain('aws');
    expect(result.problems.join('\n')).toContain('STS GetCallerIdentity failed');
    expect(snapshotExitCode(result)).toBe(2);
  });

  it('still prunes the other cloud’s expired snapshots and reports the cloud not read', async () => {
    // Prepare: one expired, failed backup of ours in GCP.
    const deleted: string[] = [];
    const expired = {
      id: 'certctl-premaint-certctl-pg-0123456789',
      kind: 'cloudsql-instance' as const,
      target: 'certctl-pg',
      status: 'failed',
      createdAt: new Date('2026-01-01T00:00:00Z'),
      tags: { purpose: 'certctl-pre-maintenance', 'expires-at': '2026-01-15T00:00:00.000Z' },
    };
    const backend = fakeBackend({
      // Read again just before its delete (runPruneJob): unchanged.
      describe: async () => expired,
      delete: async (snapshot) => {
        deleted.push(snapshot.id);
      },
    });
    const gcp: SnapshotCloud = {
      provider: 'gcp',
      targets: async () => ({ targets: [CLOUD_SQL], problems: [] }),
      backend: () => backend,
      maintenance: async () => ({ upcoming: [], problems: [] }),
      snapshotPlaces: async () => ({
        places: [{ account: 'proj', region: '*', backend, list: async () => [expired] }],
        problems: [],
      }),
    };

    // Act
    const result = await pruneRecorded({ apply: true }, { policy: parsePolicy({}), clouds: [awsDown, gcp] });

    // Assess
    expect(deleted).toEqual([expired.id]);
    expect(result.problems.join('\n')).toContain('STS GetCallerIdentity failed');
  });

  it('fails with the cloud’s own error when it is the only cloud', async () => {
    await expect(
      runSnapshotJob(
        { requestId: 'CHG-1', reason: 'CA rotation', requestedBy: 'alice' },
        { policy: parsePolicy({}), clouds: [awsDown] },
      ),
    ).rejects.toThrow('STS GetCallerIdentity failed');
  });
});

describe('runSnapshotJob with a plain database name', () => {
  const twins: SnapshotTarget[] = [
    { ...TARGET, arn: 'arn:aws:rds:eu-west-1:111111111111:db:certctl-db' },
    {
      ...TARGET,
      account: '222222222222',
      region: 'us-east-1',
      arn: 'arn:aws:rds:us-east-1:222222222222:db:certctl-db',
    },
  ];
  const gcpTwin: SnapshotTarget = {
    provider: 'gcp',
    kind: 'cloudsql-instance',
    account: 'certctl-prod',
    region: 'europe-west1',
    id: 'certctl-db',
  };
  function cloudsWith(created: string[]): SnapshotCloud[] {
    const backend = fakeBackend({
      create: async (target, snapshotId) => {
        created.push(`${target.account}/${target.id}`);
        return { id: snapshotId, kind: target.kind, target: target.id, status: 'available', tags: {} };
      },
    });
    const cloud = (provider: 'aws' | 'gcp', targets: SnapshotTarget[]): SnapshotCloud => ({
      provider,
      targets: async () => ({ targets, problems: [] }),
      backend: () => backend,
      maintenance: async () => ({ upcoming: [], problems: [] }),
      snapshotPlaces: async () => ({ places: [], problems: [] }),
    });
    return [cloud('aws', twins), cloud('gcp', [gcpTwin])];
  }
  const request = { requestId: 'CHG-2', reason: 'CA rotation', requestedBy: 'alice', wait: false };

  it('snapshots nothing when the name matches several databases, and lists each by a name that is unique', async () => {
    // Prepare
    const created: string[] = [];

    // Act
    const result = await runSnapshotJob(
      { ...request, targets: ['CERTCTL-DB'] },
      { policy: parsePolicy({}), clouds: cloudsWith(created) },
    );

    // Assess
    expect(created).toEqual([]);
    expect(result.results).toEqual([]);
    expect(result.ambiguous).toEqual([
      {
        name: 'CERTCTL-DB',
        matches: [
          'arn:aws:rds:eu-west-1:111111111111:db:certctl-db',
          'arn:aws:rds:us-east-1:222222222222:db:certctl-db',
          'certctl-prod:europe-west1:certctl-db',
        ],
      },
    ]);
    expect(result.problems).toEqual([
      'target CERTCTL-DB names 3 databases: arn:aws:rds:eu-west-1:111111111111:db:certctl-db, arn:aws:rds:us-east-1:222222222222:db:certctl-db, certctl-prod:europe-west1:certctl-db; nothing was snapshotted: name the one you mean by its ARN (RDS) or project:region:instance (Cloud SQL) and ask again',
    ]);
    expect(snapshotExitCode(result)).toBe(2);
  });

  it('snapshots the one database a qualified name picks out of the same-named ones', async () => {
    // Prepare
    const created: string[] = [];

    // Act
    const byArn = await runSnapshotJob(
      { ...request, targets: ['arn:aws:rds:us-east-1:222222222222:db:certctl-db'] },
      { policy: parsePolicy({}), clouds: cloudsWith(created) },
    );
    const byConnectionName = await runSnapshotJob(
      { ...request, requestId: 'CHG-3', targets: ['certctl-prod:europe-west1:certctl-db'] },
      { policy: parsePolicy({}), clouds: cloudsWith(created) },
    );

    // Assess
    expect(created).toEqual(['222222222222/certctl-db', 'certctl-prod/certctl-db']);
    expect(byArn.ambiguous ?? []).toEqual([]);
    expect(byArn.problems).toEqual([]);
    expect(byConnectionName.results.map((entry) => entry.target.account)).toEqual(['certctl-prod']);
  });
});

describe('runSnapshotJob, one database named in two cases', () => {
  it('snapshots it once, as the chat grammar answers with one target for both names', async () => {
    // Prepare: RDS identifiers are stored lowercase and Cloud SQL names are lowercase only, so
    // `certctl-db` and `CERTCTL-DB` are one database (chat grammar targetsOf keeps one of them).
    const created: string[] = [];
    const backend = fakeBackend();
    const create = backend.create.bind(backend);
    backend.create = async (target, ...rest) => {
      created.push(target.id);
      return create(target, ...rest);
    };

    // Act
    const result = await runSnapshotJob(
      {
        requestId: 'CHG-4',
        reason: 'CA rotation',
        requestedBy: 'alice',
        wait: false,
        targets: ['certctl-db', 'CERTCTL-DB'],
      },
      { policy: parsePolicy({}), clouds: [cloudOf(backend)] },
    );

    // Assess
    expect(created).toEqual(['certctl-db']);
    expect(result.results.map((entry) => entry.target.id)).toEqual(['certctl-db']);
    expect(result.problems).toEqual([]);
  });
});

describe('runSnapshotJob, one database named by its plain name and by its ARN', () => {
  const ARN = 'arn:aws:rds:eu-west-1:111111111111:db:certctl-db';
  /** A cloud of `targets`, recording each create. */
  function recording(targets: readonly SnapshotTarget[]): { cloud: SnapshotCloud; created: string[] } {
    const created: string[] = [];
    const backend = fakeBackend();
    const create = backend.create.bind(backend);
    backend.create = async (target, ...rest) => {
      created.push(`${target.account}/${target.id}`);
      return create(target, ...rest);
    };
    return {
      created,
      cloud: { ...cloudOf(backend), targets: async () => ({ targets: [...targets], problems: [] }) },
    };
  }

  it('snapshots it once when the plain name names no other database, as the chat grammar keeps both names', async () => {
    // Prepare
    const { cloud, created } = recording([{ ...TARGET, arn: ARN }]);

    // Act
    const result = await runSnapshotJob(
      {
        requestId: 'CHG-5',
        reason: 'CA rotation',
        requestedBy: 'alice',
        wait: false,
        targets: ['certctl-db', ARN],
      },
      { policy: parsePolicy({}), clouds: [cloud] },
    );

    // Assess
    expect(created).toEqual(['111111111111/certctl-db']);
    expect(result.problems).toEqual([]);
  });

  it('snapshots nothing when the plain name also names a database in another account: the ARN does not pick for it', async () => {
    // Prepare
    const other: SnapshotTarget = {
      ...TARGET,
      account: '222222222222',
      arn: 'arn:aws:rds:eu-west-1:222222222222:db:certctl-db',
    };
    const { cloud, created } = recording([{ ...TARGET, arn: ARN }, other]);

    // Act
    const result = await runSnapshotJob(
      {
        requestId: 'CHG-6',
        reason: 'CA rotation',
        requestedBy: 'alice',
        wait: false,
        targets: ['certctl-db', ARN],
      },
      { policy: parsePolicy({}), clouds: [cloud] },
    );

    // Assess
    expect(created).toEqual([]);
    expect(result.problems).toEqual([expect.stringContaining('target certctl-db names 2 databases')]);
  });
});

describe('runSnapshotJob, a named database that stands in for a target', () => {
  const cluster = (account: string): SnapshotTarget => ({
    provider: 'aws',
    kind: 'aurora-cluster',
    account,
    region: 'eu-west-1',
    id: 'certctl-aurora',
    arn: `arn:aws:rds:eu-west-1:${account}:cluster:certctl-aurora`,
  });
  const request = { requestId: 'CHG-3', reason: 'CA rotation', requestedBy: 'alice', wait: false };

  it('names the cluster by its ARN when another selected database shares its plain name, and snapshots neither', async () => {
    // Prepare: a cluster of the same name in a second account; only the first lists the member.
    const created: string[] = [];
    const first = cluster('111111111111');
    const cloud: SnapshotCloud = {
      provider: 'aws',
      targets: async () => ({
        targets: [first, cluster('222222222222')],
        problems: [],
        standIns: [
          { names: ['certctl-aurora-1'], relation: 'member', what: 'Multi-AZ DB cluster member', of: first },
        ],
      }),
      backend: () =>
        fakeBackend({
          create: async (target, snapshotId) => {
            created.push(target.id);
            return { id: snapshotId, kind: target.kind, target: target.id, status: 'available', tags: {} };
          },
        }),
      maintenance: async () => ({ upcoming: [], problems: [] }),
      snapshotPlaces: async () => ({ places: [], problems: [] }),
    };

    // Act
    const result = await runSnapshotJob(
      { ...request, targets: ['CERTCTL-AURORA-1'] },
      { policy: parsePolicy({}), clouds: [cloud] },
    );

    // Assess
    expect(created).toEqual([]);
    expect(result.problems).toEqual([
      'target CERTCTL-AURORA-1 is a Multi-AZ DB cluster member of the cluster arn:aws:rds:eu-west-1:111111111111:cluster:certctl-aurora (aws/111111111111/eu-west-1), and Multi-AZ DB cluster snapshots are of clusters: a DB instance of one has no snapshot of its own. Nothing was snapshotted for it; to snapshot its data, ask again naming the cluster arn:aws:rds:eu-west-1:111111111111:cluster:certctl-aurora',
    ]);
    expect(snapshotExitCode(result)).toBe(2);
  });
});

describe('runSnapshotJob of a name whose look-up failed in a scope', () => {
  it('says the name could not be told, naming the failed scope, never that it was not found', async () => {
    // Prepare: the name is no target; the look-up of other engines answered in one Region and failed
    // in the other, which might hold it.
    const cloud: SnapshotCloud = {
      ...cloudOf(fakeBackend()),
      otherEngines: async () => ({
        databases: [],
        problems: ['111111111111/us-east-1: named databases not looked up (Rate exceeded)'],
        failed: [{ scope: '111111111111/us-east-1', code: 'ThrottlingException' }],
      }),
    };

    // Act
    const result = await runSnapshotJob(
      { requestId: 'CHG-3', reason: 'CA rotation', requestedBy: 'alice', wait: false, targets: ['orders'] },
      { policy: parsePolicy({}), clouds: [cloud] },
    );

    // Assess: before, "target orders was not found among the databases the policy selects", which
    // the failed Region does not prove.
    expect(result.results).toEqual([]);
    expect(result.problems).toEqual([
      '111111111111/us-east-1: named databases not looked up (Rate exceeded)',
      'target orders could not be told: looking it up failed in aws/111111111111/us-east-1 (ThrottlingException)',
    ]);
    expect(snapshotExitCode(result)).toBe(2);
  });

  it('names the cloud when its look-up failed as a whole', async () => {
    // Prepare
    const cloud: SnapshotCloud = {
      ...cloudOf(fakeBackend()),
      otherEngines: async () => {
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      },
    };

    // Act
    const result = await runSnapshotJob(
      { requestId: 'CHG-4', reason: 'CA rotation', requestedBy: 'alice', wait: false, targets: ['orders'] },
      { policy: parsePolicy({}), clouds: [cloud] },
    );

    // Assess
    expect(result.problems).toEqual([
      'aws: named databases not looked up (socket hang up)',
      'target orders could not be told: looking it up failed in aws (ECONNRESET)',
    ]);
    expect(snapshotExitCode(result)).toBe(2);
  });
});

describe('retriesLater of a result with places not read', () => {
  // Whether a place was read is said where the problem is made (`unread`), never read back from the
  // problem's words: a reworded message must not change whether the request runs again.
  it('runs again after a scope its cloud could not read, whatever the problem says', async () => {
    // Prepare: a cloud whose problem is worded unlike any today.
    const cloud: SnapshotCloud = {
      ...cloudOf(fakeBackend()),
      targets: async () => ({ targets: [TARGET], problems: ['eu-central-1: listing refused (Throttling)'] }),
    };

    // Act
    const result = await runSnapshotJob(
      { requestId: 'CHG-5', reason: 'CA rotation', requestedBy: 'alice', wait: false },
      { policy: parsePolicy({}), clouds: [cloud] },
    );

    // Assess
    expect(result.unread).toEqual(['eu-central-1: listing refused (Throttling)']);
    expect(retriesLater(result)).toBe(true);
  });

  it('runs again after a name that could not be told, and not after one not found', async () => {
    // Prepare
    const failing: SnapshotCloud = {
      ...cloudOf(fakeBackend()),
      otherEngines: async () => ({
        databases: [],
        problems: ['111111111111/us-east-1: named databases not looked up (Rate exceeded)'],
        failed: [{ scope: '111111111111/us-east-1', code: 'ThrottlingException' }],
      }),
    };
    const ask = (clouds: SnapshotCloud[]) =>
      runSnapshotJob(
        { requestId: 'CHG-6', reason: 'CA rotation', requestedBy: 'alice', wait: false, targets: ['orders'] },
        { policy: parsePolicy({}), clouds },
      );

    // Act
    const notTold = await ask([failing]);
    const notFound = await ask([cloudOf(fakeBackend())]);

    // Assess
    expect(notTold.unread).toEqual([
      'target orders could not be told: looking it up failed in aws/111111111111/us-east-1 (ThrottlingException)',
    ]);
    expect(retriesLater(notTold)).toBe(true);
    expect(notFound.unread).toEqual([]);
    expect(retriesLater(notFound)).toBe(false);
  });

  it('does not run again after a look-up that failed in a scope read when every name was told elsewhere', async () => {
    // Prepare: `orders` is a MySQL database in eu-west-1; the look-up failed in us-east-1, whose
    // targets were read (a PostgreSQL `orders` there would be a target).
    const cloud: SnapshotCloud = {
      ...cloudOf(fakeBackend()),
      otherEngines: async () => ({
        databases: [
          {
            provider: 'aws',
            account: '111111111111',
            region: 'eu-west-1',
            id: 'orders',
            names: ['orders'],
            engine: 'mysql',
          },
        ],
        problems: ['111111111111/us-east-1: named databases not looked up (Rate exceeded)'],
        failed: [{ scope: '111111111111/us-east-1', code: 'ThrottlingException' }],
      }),
    };

    // Act
    const result = await runSnapshotJob(
      { requestId: 'CHG-7', reason: 'CA rotation', requestedBy: 'alice', wait: false, targets: ['orders'] },
      { policy: parsePolicy({}), clouds: [cloud] },
    );

    // Assess: the failure is said (exit 2), but a run again could at most name another database of
    // another engine, which gets no snapshot either: nothing it could deliver, so it is replayed.
    expect(result.problems).toContain(
      '111111111111/us-east-1: named databases not looked up (Rate exceeded)',
    );
    expect(result.problems.some((problem) => problem.includes('could not be told'))).toBe(false);
    expect(result.unread).toEqual([]);
    expect(retriesLater(result)).toBe(false);
    expect(snapshotExitCode(result)).toBe(2);
  });

  it('does not run again for a problem worded like a place not read that is none', () => {
    const result = {
      results: [],
      problems: ['target "db not read (copy)" was not found among the databases the policy selects'],
      unread: [],
    };
    expect(retriesLater(result)).toBe(false);
  });
});
