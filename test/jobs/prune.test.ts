/**
 * The prune job over the real RDS and Cloud SQL snapshot backends, on fake APIs: what the clouds
 * send (or leave out) about a snapshot decides whether it may go, and a delete of a snapshot
 * already gone is not a failure.
 */
import {
  type DBSnapshot,
  type DBSnapshotAttributesResult,
  DeleteDBSnapshotCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { rdsSnapshotBackend } from '../../functions/actions/snapshot/aws.ts';
import type {
  BackendSnapshot,
  SnapshotBackend,
  SnapshotCloud,
} from '../../functions/actions/snapshot/backend.ts';
import { cloudSqlSnapshotBackend, describeBackup } from '../../functions/actions/snapshot/gcp.ts';
import { planPrune } from '../../functions/actions/snapshot/prune.ts';
import type { SnapshotRunRecord, SnapshotRunRecords } from '../../functions/actions/snapshot/run-records.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import type { CloudSqlBackupsApi } from '../../functions/gcp/cloud-sql-backups.ts';
import { type PruneResult, renderPrune, runPruneJob } from '../../functions/jobs/prune.ts';
import {
  EVERY_SNAPSHOT_RECORDED,
  pruneRecorded,
  UNENCRYPTED_SNAPSHOTS,
} from '../actions/snapshot/fake-backend.ts';

const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const NOW = new Date('2026-12-01T00:00:00Z');
// Expired the day before NOW, after every snapshot below was created: one created after the expiry
// it claims is not proven ours (prune.ts notTakenHere).
const EXPIRED = { purpose: 'certctl-pre-maintenance', 'expires-at': '2026-11-30T12:00:00.000Z' };

/**
 * An instance snapshot of certctl-prod-db as DescribeDBSnapshots answers it, with the DbiResourceId
 * of the database it was taken of (`unsent` below drops it, as an answer may).
 */
function snapshot(id: string, daysAgo: number, more: Partial<DBSnapshot> = {}): DBSnapshot {
  return {
    DBSnapshotIdentifier: id,
    DBInstanceIdentifier: 'certctl-prod-db',
    DbiResourceId: 'db-PROD',
    DBSnapshotArn: `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:${id}`,
    SnapshotType: 'manual',
    Status: 'available',
    SnapshotCreateTime: new Date(NOW.getTime() - daysAgo * 86_400_000),
    TagList: Object.entries(EXPIRED).map(([Key, Value]) => ({ Key, Value })),
    ...more,
  };
}

/**
 * RDS holding `held` instance snapshots (no cluster snapshots): listed and described by id as
 * held, deleted from it; `goneOnDelete` ids are deleted by someone else just before our delete
 * reaches RDS (DBSnapshotNotFound); `refuseDelete` refuses every delete (AccessDenied).
 * DescribeDBSnapshotAttributes answers `attributes[id]` (an Error is thrown), by default the
 * `restore` attribute naming no account (shared with none); `attributesAsked` lists the ids asked.
 */
function fakeRds(
  held: DBSnapshot[],
  goneOnDelete: readonly string[] = [],
  refuseDelete = false,
  attributes: Readonly<
    Record<string, DBSnapshotAttributesResult | Error | ((held: DBSnapshot[]) => DBSnapshotAttributesResult)>
  > = {},
) {
  const snapshots = [...held];
  const attributesAsked: string[] = [];
  const rds = {
    config: {},
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name;
      if (name === 'DescribeDBClusterSnapshotsCommand') return { DBClusterSnapshots: [] };
      if (name === 'DescribeDBSnapshotAttributesCommand') {
        const id = command.input.DBSnapshotIdentifier as string;
        attributesAsked.push(id);
        const given = attributes[id];
        const answer = (typeof given === 'function' ? given(snapshots) : given) ?? {
          DBSnapshotIdentifier: id,
          DBSnapshotAttributes: [{ AttributeName: 'restore', AttributeValues: [] }],
        };
        if (answer instanceof Error) throw answer;
        return { DBSnapshotAttributesResult: answer };
      }
      if (name === 'DescribeDBSnapshotsCommand') {
        const filter = (command.input.Filters as { Values: string[] }[] | undefined)?.[0]?.Values;
        return {
          DBSnapshots: snapshots.filter((s) => !filter || filter.includes(s.DBSnapshotIdentifier ?? '')),
        };
      }
      if (name === 'DeleteDBSnapshotCommand') {
        const id = command.input.DBSnapshotIdentifier as string;
        const at = snapshots.findIndex((s) => s.DBSnapshotIdentifier === id);
        if (refuseDelete) throw Object.assign(new Error('not authorized'), { name: 'AccessDenied' });
        if (at < 0 || goneOnDelete.includes(id)) {
          if (at >= 0) snapshots.splice(at, 1);
          throw Object.assign(new Error(`DBSnapshot ${id} not found.`), { name: 'DBSnapshotNotFoundFault' });
        }
        snapshots.splice(at, 1);
        return {};
      }
      throw new Error(`unexpected ${name}`);
    },
  };
  return {
    rds: rds as unknown as RDSClient,
    remaining: () => snapshots.map((s) => s.DBSnapshotIdentifier),
    attributesAsked,
  };
}

/** One cloud with one place (account x region) over `backend`. */
function cloudOver(backend: SnapshotBackend, region = REGION): SnapshotCloud {
  return {
    provider: 'aws',
    backend: () => backend,
    targets: async () => ({ targets: [], problems: [] }),
    maintenance: async () => ({ upcoming: [], problems: [] }),
    snapshotKeys: UNENCRYPTED_SNAPSHOTS,
    snapshotPlaces: async () => ({
      places: [
        {
          account: ACCOUNT,
          region,
          backend,
          list: async () => [
            ...(await backend.listManual('rds-instance')),
            ...(await backend.listManual('aurora-cluster')),
          ],
        },
      ],
      problems: [],
    }),
  };
}

/**
 * One GCP cloud with one place (project `proj`) over the Cloud SQL backend on `api`, instance
 * certctl-pg, listed with the createTime the instances answer sent (created before every run here).
 */
function cloudSqlCloud(api: CloudSqlBackupsApi): SnapshotCloud {
  const backend = cloudSqlSnapshotBackend(api, 'proj');
  const target = {
    provider: 'gcp',
    kind: 'cloudsql-instance',
    account: 'proj',
    region: 'europe-west1',
    id: 'certctl-pg',
    createdAt: '2026-01-01T00:00:00.000Z',
  } as const;
  return {
    ...cloudOver(backend),
    provider: 'gcp',
    snapshotPlaces: async () => ({
      places: [
        {
          account: 'proj',
          region: '*',
          backend,
          list: () => backend.listManual('cloudsql-instance', [target]),
          targets: [target],
        },
      ],
      problems: [],
    }),
  };
}

function prune(backend: SnapshotBackend, apply = true) {
  return pruneRecorded({ apply }, { policy: parsePolicy({}), clouds: [cloudOver(backend)], now: () => NOW });
}

describe('prune over RDS: a snapshot whose Status is not known', () => {
  it.each([
    ['not sent', undefined],
    ['a word RDS may add later', 'some-new-state'],
  ])('keeps the only snapshot of a target when its Status is %s, and says why', async (_what, status) => {
    // Prepare: the target's only snapshot of ours, long expired; what RDS did not say may be a usable one.
    const { Status: _sent, ...unsent } = snapshot('certctl-premaint-a', 40);
    const { rds, remaining } = fakeRds([status === undefined ? unsent : { ...unsent, Status: status }]);

    // Act
    const result = await prune(rdsSnapshotBackend(rds));

    // Assess
    expect(remaining()).toEqual(['certctl-premaint-a']);
    expect(result.deleted).toBe(0);
    expect(result.entries[0]?.decision).toBe('keep');
    expect(result.entries[0]?.reason).toContain(status ?? 'not sent');
  });

  it('still deletes an expired snapshot of ours that RDS says failed', async () => {
    const { rds, remaining } = fakeRds([
      snapshot('certctl-premaint-failed', 40, { Status: 'failed' }),
      snapshot('certctl-premaint-good', 20),
    ]);
    const result = await prune(rdsSnapshotBackend(rds));
    expect(remaining()).toEqual(['certctl-premaint-good']);
    expect(result.deleted).toBe(1);
  });
});

describe('prune over RDS: an expires-at tag naming a day its month does not have', () => {
  it('keeps the snapshot and names the tag, though Date.parse would roll the day into the next month (past)', async () => {
    // Prepare: 2026-11-31 does not exist; Date.parse reads it as 2026-12-01T00:00Z, which is NOW,
    // so the rolled-over reading makes the older snapshot expired. A newer one of ours keeps the
    // target restorable either way.
    const rolled = [
      { Key: 'purpose', Value: 'certctl-pre-maintenance' },
      { Key: 'expires-at', Value: '2026-11-31T00:00Z' },
    ];
    const { rds, remaining } = fakeRds([
      snapshot('certctl-premaint-rolled', 40, { TagList: rolled }),
      snapshot('certctl-premaint-good', 20),
    ]);

    // Act
    const result = await prune(rdsSnapshotBackend(rds));

    // Assess
    expect(remaining()).toEqual(['certctl-premaint-rolled', 'certctl-premaint-good']);
    expect(result.deleted).toBe(0);
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-rolled')).toMatchObject({
      decision: 'keep',
      reason:
        'malformed expires-at tag "2026-11-31T00:00Z" (not a calendar date, as 2026-11 has 30 days): kept',
    });
  });
});

describe('prune over RDS: an expires-at tag at hour 24', () => {
  it('keeps the snapshot and names the tag, though Date.parse would read 24:00 as the next day’s midnight (past)', async () => {
    // Prepare: RFC 3339 (toISOString, how our tags are written) has hours 00-23; Date.parse reads
    // 2026-11-30T24:00Z as 2026-12-01T00:00Z, which is NOW: expired, and a newer snapshot of ours
    // would let it go.
    const midnight = [
      { Key: 'purpose', Value: 'certctl-pre-maintenance' },
      { Key: 'expires-at', Value: '2026-11-30T24:00Z' },
    ];
    const { rds, remaining } = fakeRds([
      snapshot('certctl-premaint-hour24', 40, { TagList: midnight }),
      snapshot('certctl-premaint-good', 20),
    ]);

    // Act
    const result = await prune(rdsSnapshotBackend(rds));

    // Assess
    expect(remaining()).toEqual(['certctl-premaint-hour24', 'certctl-premaint-good']);
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-hour24')).toMatchObject({
      decision: 'keep',
      reason:
        'malformed expires-at tag "2026-11-30T24:00Z" (not a time of day, as hours run 00 to 23 and 24:00 is written 00:00 of the next day): kept',
    });
  });
});

describe('prune over RDS: a failed snapshot newer than the newest successful one', () => {
  it('keeps a failed one whose creation time was not sent without calling it newer', async () => {
    // Prepare: RDS sent no SnapshotCreateTime for the failed snapshot: when it was taken is not known.
    const { rds, remaining } = fakeRds([
      snapshot('certctl-premaint-good', 20),
      snapshot('certctl-premaint-undated', 30, { Status: 'failed', SnapshotCreateTime: undefined }),
    ]);

    // Act
    const result = await prune(rdsSnapshotBackend(rds));

    // Assess
    expect(remaining()).toEqual(['certctl-premaint-good', 'certctl-premaint-undated']);
    const reasons = Object.fromEntries(result.entries.map((e) => [e.snapshotId, e.reason]));
    expect(reasons['certctl-premaint-undated']).toBe(
      'state failed, its creation time not sent: not known to be older than the newest successful snapshot of certctl-prod-db: kept',
    );
  });

  it('is kept without being called the newest successful snapshot', async () => {
    // Prepare
    const { rds, remaining } = fakeRds([
      snapshot('certctl-premaint-good', 20),
      snapshot('certctl-premaint-failed', 10, { Status: 'failed' }),
    ]);

    // Act
    const result = await prune(rdsSnapshotBackend(rds));

    // Assess: only `good` can be restored; the report says which is which.
    expect(remaining()).toEqual(['certctl-premaint-good', 'certctl-premaint-failed']);
    const reasons = Object.fromEntries(result.entries.map((e) => [e.snapshotId, e.reason]));
    expect(reasons['certctl-premaint-good']).toBe('newest successful snapshot of certctl-prod-db');
    expect(reasons['certctl-premaint-failed']).toBe(
      'state failed, newer than the newest successful snapshot of certctl-prod-db',
    );
  });
});

describe('prune over Cloud SQL: a backup run whose status is not known', () => {
  const run = (id: string, status: string | undefined, startTime: string) => ({
    id,
    instance: 'certctl-pg',
    type: 'ON_DEMAND',
    ...(status ? { status } : {}),
    description: describeBackup(`certctl-premaint-pg-${id}`, { 'expires-at': EXPIRED['expires-at'] }),
    startTime,
    selfLink: `https://sqladmin.googleapis.com/v1/projects/proj/instances/certctl-pg/backupRuns/${id}`,
  });

  it.each([
    ['not sent', undefined],
    ['SQL_BACKUP_RUN_STATUS_UNSPECIFIED', 'SQL_BACKUP_RUN_STATUS_UNSPECIFIED'],
  ])('keeps the only backup of an instance when its status is %s', async (_what, status) => {
    // Prepare
    const runs = [run('1', status, '2026-10-01T00:00:00Z')];
    const deleted: string[] = [];
    const api = {
      list: async () => [{ items: runs }],
      delete: async (request: { id: string }) => {
        deleted.push(String(request.id));
        return [{}];
      },
      get: async () => [runs[0]],
    } as unknown as CloudSqlBackupsApi;
    const cloud = cloudSqlCloud(api);

    // Act
    const result = await pruneRecorded(
      { apply: true },
      { policy: parsePolicy({}), clouds: [cloud], now: () => NOW },
    );

    // Assess
    expect(deleted).toEqual([]);
    expect(result.entries[0]?.decision).toBe('keep');
  });
});

describe('prune over RDS: a copy of a snapshot of ours from another region or account', () => {
  // A cross-Region or cross-account copy (CopyDBSnapshot with CopyTags) carries our tags, but
  // backup-guard never copies: it is someone's copy, of another region's or account's database.
  const copy = (from: { region: string; account: string }, daysAgo: number) =>
    snapshot('certctl-premaint-copy', 0, {
      SourceRegion: from.region,
      SourceDBSnapshotIdentifier: `arn:aws:rds:${from.region}:${from.account}:snapshot:certctl-premaint-x`,
      OriginalSnapshotCreateTime: new Date(NOW.getTime() - daysAgo * 86_400_000),
    });

  it.each([
    ['another region', { region: 'us-east-1', account: ACCOUNT }],
    ['another account', { region: REGION, account: '222222222222' }],
  ])(
    'keeps the target’s own newest snapshot when a newer copy from %s bears its name, and the copy too',
    async (_what, from) => {
      // Prepare
      const { rds, remaining } = fakeRds([
        snapshot('certctl-premaint-old', 40, { SourceRegion: REGION }),
        snapshot('certctl-premaint-own', 20, { SourceRegion: REGION }),
        copy(from, 5),
      ]);

      // Act
      const result = await prune(rdsSnapshotBackend(rds));

      // Assess: only the target's own older snapshot goes.
      expect(remaining()).toEqual(['certctl-premaint-own', 'certctl-premaint-copy']);
      const reasons = Object.fromEntries(result.entries.map((e) => [e.snapshotId, e.reason]));
      expect(reasons['certctl-premaint-own']).toBe('newest successful snapshot of certctl-prod-db');
      expect(reasons['certctl-premaint-copy']).toContain('copy');
    },
  );

  it('does not delete an expired copy from another region older than the target’s own newest snapshot', async () => {
    const { rds, remaining } = fakeRds([
      snapshot('certctl-premaint-own', 5, { SourceRegion: REGION }),
      copy({ region: 'us-east-1', account: ACCOUNT }, 30),
    ]);
    const result = await prune(rdsSnapshotBackend(rds));
    expect(remaining()).toEqual(['certctl-premaint-own', 'certctl-premaint-copy']);
    expect(result.deleted).toBe(0);
  });
});

describe('prune over RDS: a snapshot deleted by someone else between its re-read and our delete', () => {
  it('is not a failed delete: the snapshot is gone, as asked, and the run exits clean', async () => {
    // Prepare
    const { rds, remaining } = fakeRds(
      [snapshot('certctl-premaint-old', 40), snapshot('certctl-premaint-new', 20)],
      ['certctl-premaint-old'],
    );

    // Act
    const result = await prune(rdsSnapshotBackend(rds));

    // Assess
    expect(remaining()).toEqual(['certctl-premaint-new']);
    expect(result.pending).toBe(0);
    const old = result.entries.find((e) => e.snapshotId === 'certctl-premaint-old');
    expect(old?.error).toBeUndefined();
    // Neither kept (nothing is) nor deleted by this run: gone, counted apart.
    expect(old).toMatchObject({
      decision: 'gone',
      reason: 'no longer exists: deleted since the listing, not by this prune',
    });
    expect(old?.deleted).toBeUndefined();
    expect(result).toMatchObject({ deleted: 0, kept: 1, gone: 1, undecided: 0 });
    const text = renderPrune(result);
    expect(text.split('\n')[0]).toBe(
      'Pruned: 0 deleted, 1 kept, 1 already gone (deleted since the listing, not by this prune)',
    );
    expect(text).toContain(
      `  gone   ${ACCOUNT}/${REGION}/certctl-premaint-old (certctl-prod-db): no longer exists: deleted since the listing, not by this prune`,
    );
  });

  it('reports one found gone when it is read again before its delete as gone, and tries no delete', async () => {
    // Prepare: someone deletes the old snapshot once prune has listed it, before its read by id.
    const { rds, remaining } = fakeRds([
      snapshot('certctl-premaint-old', 40),
      snapshot('certctl-premaint-new', 20),
    ]);
    const calls: string[] = [];
    const send = rds.send.bind(rds) as (command: {
      constructor: { name: string };
      input: Record<string, unknown>;
    }) => Promise<unknown>;
    const racing = Object.assign(rds, {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        calls.push(command.constructor.name);
        const byId = (command.input.Filters as { Values: string[] }[] | undefined)?.[0]?.Values;
        if (
          command.constructor.name === 'DescribeDBSnapshotsCommand' &&
          byId?.includes('certctl-premaint-old')
        )
          await send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'certctl-premaint-old' }) as never);
        return send(command);
      },
    });

    // Act
    const result = await prune(rdsSnapshotBackend(racing));

    // Assess
    expect(remaining()).toEqual(['certctl-premaint-new']);
    expect(calls.filter((name) => name === 'DeleteDBSnapshotCommand')).toEqual([]);
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-old')).toMatchObject({
      decision: 'gone',
    });
    expect(result).toMatchObject({ deleted: 0, kept: 1, gone: 1, pending: 0 });
  });

  it('still reports a delete RDS refused, with its error, while the snapshot is still there', async () => {
    const { rds, remaining } = fakeRds(
      [snapshot('certctl-premaint-old', 40), snapshot('certctl-premaint-new', 20)],
      [],
      true,
    );
    const result = await prune(rdsSnapshotBackend(rds));
    expect(remaining()).toEqual(['certctl-premaint-old', 'certctl-premaint-new']);
    expect(result.pending).toBe(1);
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-old')?.error?.code).toBe(
      'AccessDenied',
    );
  });
});

describe('prune over RDS: the newest snapshot, which lets the older ones go, deleted by someone else after the listing', () => {
  it('keeps the older snapshot, now the only one of its target', async () => {
    // Prepare: someone deletes the newest snapshot once prune has listed them (before its first re-read).
    const { rds, remaining } = fakeRds([
      snapshot('certctl-premaint-old', 40),
      snapshot('certctl-premaint-new', 20),
    ]);
    let deletedByOther = false;
    const racing = {
      ...rds,
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        if (
          command.constructor.name === 'DescribeDBSnapshotsCommand' &&
          command.input.Filters &&
          !deletedByOther
        ) {
          deletedByOther = true;
          await rds.send(
            new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'certctl-premaint-new' }) as never,
          );
        }
        return rds.send(command as never);
      },
    } as unknown as RDSClient;

    // Act
    const result = await prune(rdsSnapshotBackend(racing));

    // Assess: the target keeps a snapshot it can be restored from.
    expect(remaining()).toEqual(['certctl-premaint-old']);
    expect(result.deleted).toBe(0);
    const old = result.entries.find((e) => e.snapshotId === 'certctl-premaint-old');
    expect(old?.decision).toBe('keep');
    expect(old?.reason).toContain('changed since the listing');
    expect(old?.reason).toContain('certctl-premaint-new no longer exists');
  });
});

describe('prune over RDS: the newest snapshot of a target cannot be restored with its KMS key', () => {
  /** The cloud over `rds` whose snapshot keys KMS describes in `states` (key id -> KeyState). */
  function cloudWithKeys(rds: RDSClient, states: Record<string, string>): SnapshotCloud {
    return {
      ...cloudOver(rdsSnapshotBackend(rds)),
      snapshotKeys: () => async (_scope, snap) => ({
        kind: 'described',
        key: { id: snap.kmsKeyId ?? '', manager: 'CUSTOMER', state: states[snap.kmsKeyId ?? ''] },
      }),
    };
  }

  it('keeps the older snapshot whose key is Enabled when the newest one’s key is pending deletion', async () => {
    // Prepare: the newest snapshot's key is scheduled for deletion; the older one is the last
    // snapshot of the target that can be restored.
    const { rds, remaining } = fakeRds([
      snapshot('certctl-premaint-older', 40, { Encrypted: true, KmsKeyId: 'key-old' }),
      snapshot('certctl-premaint-middle', 30, { Encrypted: true, KmsKeyId: 'key-old' }),
      snapshot('certctl-premaint-newest', 20, { Encrypted: true, KmsKeyId: 'key-new' }),
    ]);
    const cloud = cloudWithKeys(rds, { 'key-old': 'Enabled', 'key-new': 'PendingDeletion' });

    // Act
    const result = await pruneRecorded(
      { apply: true },
      { policy: parsePolicy({}), clouds: [cloud], now: () => NOW },
    );

    // Assess: only what is older than the newest restorable snapshot goes.
    expect(remaining()).toEqual(['certctl-premaint-middle', 'certctl-premaint-newest']);
    const reasons = Object.fromEntries(result.entries.map((e) => [e.snapshotId, e.reason]));
    expect(reasons['certctl-premaint-middle']).toContain('newest restorable');
    expect(reasons['certctl-premaint-newest']).toBe('newest successful snapshot of certctl-prod-db');
  });

  it('keeps the newest recorded snapshots when the only newer one whose key is usable is one no run record of ours names', async () => {
    // Prepare: our newest recorded snapshot's key is pending deletion; a newer snapshot tagged as
    // ours (not expired, its key Enabled) was taken outside backup-guard: no record names it.
    const { rds, remaining } = fakeRds([
      snapshot('certctl-premaint-older', 40, { Encrypted: true, KmsKeyId: 'key-old' }),
      snapshot('certctl-premaint-middle', 30, { Encrypted: true, KmsKeyId: 'key-old' }),
      snapshot('certctl-premaint-newest', 20, { Encrypted: true, KmsKeyId: 'key-new' }),
      snapshot('certctl-premaint-forged', 10, {
        Encrypted: true,
        KmsKeyId: 'key-old',
        TagList: [
          { Key: 'purpose', Value: 'certctl-pre-maintenance' },
          { Key: 'expires-at', Value: '2026-12-20T00:00:00.000Z' },
        ],
      }),
    ]);
    const cloud = cloudWithKeys(rds, { 'key-old': 'Enabled', 'key-new': 'PendingDeletion' });
    const runRecords: SnapshotRunRecords = {
      where: 'the test',
      read: async (place, snapshots) =>
        (await EVERY_SNAPSHOT_RECORDED.read(place, snapshots)).filter(
          (record) => record.snapshotId !== 'certctl-premaint-forged',
        ),
    };

    // Act
    const result = await pruneRecorded(
      { apply: true },
      { policy: parsePolicy({}), clouds: [cloud], now: () => NOW, runRecords },
    );

    // Assess: the forged one lets nothing go; the newest restorable recorded one stays, saying why.
    expect(remaining()).toEqual([
      'certctl-premaint-middle',
      'certctl-premaint-newest',
      'certctl-premaint-forged',
    ]);
    const reasons = Object.fromEntries(result.entries.map((e) => [e.snapshotId, e.reason]));
    const notCounted =
      'newer certctl-premaint-forged: its tags claim backup-guard took it, but no run record of ours (the test) names it: not counted as a restore point';
    expect(reasons['certctl-premaint-middle']).toMatch(
      /^newest restorable snapshot of certctl-prod-db that a run record of ours names \(newest certctl-premaint-newest: .+; newer certctl-premaint-forged: /,
    );
    expect(reasons['certctl-premaint-middle']).toContain(`; ${notCounted})`);
    expect(reasons['certctl-premaint-newest']).toBe(
      `newest successful snapshot of certctl-prod-db that a run record of ours names (${notCounted})`,
    );
  });

  it('keeps the older snapshot when the newest one’s key has its imported material expired, and reads each key for its database', async () => {
    // Prepare: the newest snapshot's key reads Enabled, but its imported key material passed its
    // ValidTo a day ago (KMS deletes the material then), so the older snapshot is the last restorable.
    const { rds, remaining } = fakeRds([
      snapshot('certctl-premaint-older', 40, { Encrypted: true, KmsKeyId: 'key-old' }),
      snapshot('certctl-premaint-middle', 30, { Encrypted: true, KmsKeyId: 'key-old' }),
      snapshot('certctl-premaint-newest', 20, { Encrypted: true, KmsKeyId: 'key-new' }),
    ]);
    const scopes: string[] = [];
    const cloud: SnapshotCloud = {
      ...cloudOver(rdsSnapshotBackend(rds)),
      snapshotKeys: () => async (scope, snap) => {
        scopes.push(scope.id);
        return {
          kind: 'described',
          key: {
            id: snap.kmsKeyId ?? '',
            manager: 'CUSTOMER',
            state: 'Enabled',
            ...(snap.kmsKeyId === 'key-new' ? { materialExpires: new Date(NOW.getTime() - 86_400_000) } : {}),
          },
        };
      },
    };

    // Act
    await pruneRecorded({ apply: true }, { policy: parsePolicy({}), clouds: [cloud], now: () => NOW });

    // Assess
    expect(remaining()).toEqual(['certctl-premaint-middle', 'certctl-premaint-newest']);
    expect(new Set(scopes)).toEqual(new Set(['certctl-prod-db']));
  });

  it('keeps every snapshot of the target when no key could be read', async () => {
    const { rds, remaining } = fakeRds([
      snapshot('certctl-premaint-older', 40, { Encrypted: true, KmsKeyId: 'key-old' }),
      snapshot('certctl-premaint-newest', 20, { Encrypted: true, KmsKeyId: 'key-new' }),
    ]);
    const result = await pruneRecorded(
      { apply: true },
      { policy: parsePolicy({}), clouds: [cloudWithKeys(rds, {})], now: () => NOW },
    );
    expect(remaining()).toEqual(['certctl-premaint-older', 'certctl-premaint-newest']);
    expect(result.deleted).toBe(0);
    const older = result.entries.find((e) => e.snapshotId === 'certctl-premaint-older');
    expect(older?.reason).toContain('proven restorable');
    expect(older?.reason).toContain('certctl-premaint-newest');
  });

  it('leaves a place whose snapshot keys could not be read as it is, and says so for that place with the reason', async () => {
    // Prepare: two places; reading the snapshot keys fails outright in eu-west-1 only.
    const here = fakeRds([
      snapshot('certctl-premaint-older', 40, { Encrypted: true, KmsKeyId: 'key-old' }),
      snapshot('certctl-premaint-newest', 20, { Encrypted: true, KmsKeyId: 'key-new' }),
    ]);
    const there = fakeRds([
      snapshot('certctl-premaint-older', 40, { Encrypted: true, KmsKeyId: 'key-old' }),
      snapshot('certctl-premaint-newest', 20, { Encrypted: true, KmsKeyId: 'key-new' }),
    ]);
    const keys: SnapshotCloud['snapshotKeys'] = () => async (scope, snap) => {
      if (scope.region === REGION) throw new Error('KMS endpoint unreachable');
      return { kind: 'described', key: { id: snap.kmsKeyId ?? '', manager: 'CUSTOMER', state: 'Enabled' } };
    };
    const clouds = [
      { ...cloudOver(rdsSnapshotBackend(here.rds)), snapshotKeys: keys },
      { ...cloudOver(rdsSnapshotBackend(there.rds), 'us-east-1'), snapshotKeys: keys },
    ];

    // Act
    const result = await pruneRecorded({ apply: true }, { policy: parsePolicy({}), clouds, now: () => NOW });

    // Assess: nothing deleted in the unread place, the other pruned; the skip is named with its
    // reason and what it left undone, in the result and in the output.
    expect(here.remaining()).toEqual(['certctl-premaint-older', 'certctl-premaint-newest']);
    expect(there.remaining()).toEqual(['certctl-premaint-newest']);
    expect(result.entries.map((entry) => `${entry.region}/${entry.snapshotId}`)).toEqual([
      'us-east-1/certctl-premaint-newest',
      'us-east-1/certctl-premaint-older',
    ]);
    const skipped = `${ACCOUNT}/${REGION}: snapshot keys not read (KMS endpoint unreachable), so none of its 2 snapshots was judged or deleted (older snapshots go only once the newest is proven restorable)`;
    expect(result.problems).toEqual([skipped]);
    expect(renderPrune(result)).toContain(`  not read: ${skipped}\n`);
  });

  it('deletes as before when the newest snapshot’s key is Enabled', async () => {
    const { rds, remaining } = fakeRds([
      snapshot('certctl-premaint-older', 40, { Encrypted: true, KmsKeyId: 'key-old' }),
      snapshot('certctl-premaint-newest', 20, { Encrypted: true, KmsKeyId: 'key-new' }),
    ]);
    await pruneRecorded(
      { apply: true },
      {
        policy: parsePolicy({}),
        clouds: [cloudWithKeys(rds, { 'key-old': 'Enabled', 'key-new': 'Enabled' })],
        now: () => NOW,
      },
    );
    expect(remaining()).toEqual(['certctl-premaint-newest']);
  });
});

describe('prune over RDS: a snapshot carrying our tags under a name backup-guard never gives', () => {
  it('keeps a same-region copy of ours (CopyTags) that someone named, and never takes it for the newest', async () => {
    // Prepare: RDS says nothing of a copy made in its own region and account; backup-guard names
    // every snapshot certctl-premaint-* (its IAM allows no other name).
    const { rds, remaining } = fakeRds([
      snapshot('certctl-premaint-old', 40),
      snapshot('certctl-premaint-own', 20),
      snapshot('prod-db-keep-before-rotation', 10),
      snapshot('prod-db-older-keep', 30),
    ]);

    // Act
    const result = await prune(rdsSnapshotBackend(rds));

    // Assess
    expect(remaining()).toEqual([
      'certctl-premaint-own',
      'prod-db-keep-before-rotation',
      'prod-db-older-keep',
    ]);
    const reasons = Object.fromEntries(result.entries.map((e) => [e.snapshotId, e.reason]));
    expect(reasons['certctl-premaint-own']).toBe('newest successful snapshot of certctl-prod-db');
    expect(reasons['prod-db-older-keep']).toContain('certctl-premaint-');
  });
});

describe('prune over RDS: snapshots of an earlier database of the same identifier', () => {
  // A database deleted and created again under its identifier is another database (a new
  // DbiResourceId); our snapshots of the deleted one may be the only backup of its data left.
  const of = (resourceId: string) => ({ DbiResourceId: resourceId });

  it('keeps the newest snapshot of the deleted database when the new one of that name has newer snapshots', async () => {
    // Prepare
    const { rds, remaining } = fakeRds([
      snapshot('certctl-premaint-gone-old', 60, of('db-GONE')),
      snapshot('certctl-premaint-gone-last', 40, of('db-GONE')),
      snapshot('certctl-premaint-now-old', 20, of('db-NOW')),
      snapshot('certctl-premaint-now-last', 10, of('db-NOW')),
    ]);

    // Act
    const result = await prune(rdsSnapshotBackend(rds));

    // Assess: each database keeps its own newest; only the older ones of each go.
    expect(remaining()).toEqual(['certctl-premaint-gone-last', 'certctl-premaint-now-last']);
    const reasons = Object.fromEntries(result.entries.map((e) => [e.snapshotId, e.reason]));
    expect(reasons['certctl-premaint-gone-last']).toBe(
      'newest successful snapshot of certctl-prod-db (DbiResourceId db-GONE)',
    );
    expect(reasons['certctl-premaint-now-last']).toBe(
      'newest successful snapshot of certctl-prod-db (DbiResourceId db-NOW)',
    );
  });

  /** `listed` as DescribeDBSnapshots may answer it: without its DbiResourceId (not always sent). */
  const unsent = ({ DbiResourceId: _, ...listed }: DBSnapshot): DBSnapshot => listed;
  /** The reason prune keeps a successful snapshot of certctl-prod-db whose DbiResourceId was not sent. */
  const notToldRds =
    "its DbiResourceId was not sent (DescribeDBSnapshots), so this snapshot cannot be told to be of the database named certctl-prod-db now rather than of an earlier one of that name (deleted and created again under it), whose last restore point it may be; only a newer snapshot of that name would let it go, and that may be of another database: kept (see which database each snapshot of certctl-prod-db was taken of with `aws rds describe-db-snapshots --region eu-west-1 --db-instance-identifier certctl-prod-db --snapshot-type manual --query 'DBSnapshots[].[DBSnapshotIdentifier,DbiResourceId,SnapshotCreateTime]' --output text`: a snapshot is outdated only by a newer one of the same DbiResourceId; the next prune decides again once DbiResourceId is sent)";

  it('deletes no successful snapshot a newer one would let go when DbiResourceId was not sent, and says so snapshot by snapshot', async () => {
    // Prepare: three expired snapshots of ours of certctl-prod-db listed without their
    // DbiResourceId: the database may have been deleted and created again between any two, and the
    // older ones may be all that is left of the earlier one. A failed one is no restore point.
    const { rds, remaining } = fakeRds([
      unsent(snapshot('certctl-premaint-1', 60)),
      unsent(snapshot('certctl-premaint-2', 40)),
      unsent(snapshot('certctl-premaint-failed', 30, { Status: 'failed' })),
      unsent(snapshot('certctl-premaint-3', 10)),
    ]);

    // Act
    const result = await prune(rdsSnapshotBackend(rds));

    // Assess: only the failed one goes; each older successful one is kept naming the missing
    // DbiResourceId and the command that shows it, the newest kept as the newest.
    expect(remaining()).toEqual(['certctl-premaint-1', 'certctl-premaint-2', 'certctl-premaint-3']);
    expect(result).toMatchObject({ deleted: 1, kept: 3, pending: 0 });
    const reasons = Object.fromEntries(result.entries.map((e) => [e.snapshotId, e.reason]));
    expect(reasons['certctl-premaint-1']).toBe(notToldRds);
    expect(reasons['certctl-premaint-2']).toBe(notToldRds);
    expect(reasons['certctl-premaint-3']).toBe('newest successful snapshot of certctl-prod-db');
    expect(renderPrune(result)).toContain(
      `keep   ${ACCOUNT}/${REGION}/certctl-premaint-2 (certctl-prod-db): its DbiResourceId was not sent`,
    );
  });

  it('still lets a snapshot whose DbiResourceId was sent go for a newer one of the same DbiResourceId, beside snapshots of that name whose id was not sent', async () => {
    // Prepare
    const { rds, remaining } = fakeRds([
      snapshot('certctl-premaint-known-old', 60, of('db-NOW')),
      unsent(snapshot('certctl-premaint-unsent-old', 50)),
      snapshot('certctl-premaint-known-new', 20, of('db-NOW')),
      unsent(snapshot('certctl-premaint-unsent-new', 10)),
    ]);

    // Act
    const result = await prune(rdsSnapshotBackend(rds));

    // Assess
    expect(remaining()).toEqual([
      'certctl-premaint-unsent-old',
      'certctl-premaint-known-new',
      'certctl-premaint-unsent-new',
    ]);
    const reasons = Object.fromEntries(result.entries.map((e) => [e.snapshotId, e.reason]));
    expect(reasons['certctl-premaint-unsent-old']).toMatch(
      /^its DbiResourceId was not sent \(DescribeDBSnapshots\)/,
    );
  });

  it('never lets a snapshot whose resource id was not sent outdate one of a known database', async () => {
    // Prepare: the newer snapshot's DbiResourceId not sent: it may be of another database.
    const { rds, remaining } = fakeRds([
      snapshot('certctl-premaint-known', 40, of('db-GONE')),
      unsent(snapshot('certctl-premaint-unsent', 10)),
    ]);

    // Act
    const result = await prune(rdsSnapshotBackend(rds));

    // Assess
    expect(remaining()).toEqual(['certctl-premaint-known', 'certctl-premaint-unsent']);
    expect(result.deleted).toBe(0);
  });
});

/** An expired ON_DEMAND backup run of ours of certctl-pg, SUCCESSFUL, started at `startTime`. */
const expiredRun = (id: string, startTime: string) => ({
  id,
  instance: 'certctl-pg',
  type: 'ON_DEMAND',
  status: 'SUCCESSFUL',
  description: describeBackup(`certctl-premaint-pg-${id}`, { 'expires-at': EXPIRED['expires-at'] }),
  startTime,
  selfLink: `https://sqladmin.googleapis.com/v1/projects/proj/instances/certctl-pg/backupRuns/${id}`,
});

describe('prune over Cloud SQL: backup runs of an earlier instance of the same name', () => {
  // Cloud SQL names a backup run's instance only by its name, which "can be reused immediately"
  // after a delete; a run taken before the instance of that name was created (its createTime) is of
  // an earlier instance, and may be all that is left of it (functions/actions/snapshot/identity.ts).
  /**
   * Prune (apply) over Cloud SQL holding `held` runs of instance certctl-pg, listed with `createdAt`
   * as its createTime (absent: not sent), every run recorded; `held` is what is left after.
   */
  async function pruneInstance(held: ReturnType<typeof expiredRun>[], createdAt?: string) {
    const api = {
      list: async () => [{ items: held }],
      delete: async (request: { id: string }) => {
        held.splice(
          held.findIndex((r) => r.id === String(request.id)),
          1,
        );
        return [{ name: `op-${request.id}`, status: 'DONE', operationType: 'DELETE_BACKUP' }];
      },
      get: async (request: { id: string }) => [held.find((r) => r.id === String(request.id))],
    } as unknown as CloudSqlBackupsApi;
    const backend = cloudSqlSnapshotBackend(api, 'proj');
    const target = {
      provider: 'gcp',
      kind: 'cloudsql-instance',
      account: 'proj',
      region: 'europe-west1',
      id: 'certctl-pg',
      ...(createdAt === undefined ? {} : { createdAt }),
    } as const;
    const cloud: SnapshotCloud = {
      ...cloudSqlCloud(api),
      snapshotPlaces: async () => ({
        places: [
          {
            account: 'proj',
            region: '*',
            backend,
            list: () => backend.listManual('cloudsql-instance', [target]),
            targets: [target],
          },
        ],
        problems: [],
      }),
    };
    return pruneRecorded({ apply: true }, { policy: parsePolicy({}), clouds: [cloud], now: () => NOW });
  }

  it('keeps every run taken before the instance was created, and prunes the instance’s own as before', async () => {
    // Prepare: runs 1 and 2 of the instance deleted in October, runs 3 and 4 of the one created
    // under its name on 2026-10-15; all four expired, all recorded.
    const held = [
      expiredRun('1', '2026-08-01T00:00:00Z'),
      expiredRun('2', '2026-09-01T00:00:00Z'),
      expiredRun('3', '2026-10-20T00:00:00Z'),
      expiredRun('4', '2026-11-01T00:00:00Z'),
    ];

    // Act
    const result = await pruneInstance(held, '2026-10-15T00:00:00.000Z');

    // Assess: the earlier instance's runs stay (nothing tells its last one); the instance's own
    // older run goes, its newest kept.
    expect(held.map((r) => r.id)).toEqual(['1', '2', '4']);
    const reasons = Object.fromEntries(result.entries.map((e) => [e.snapshotId, e.reason]));
    expect(reasons['certctl-premaint-pg-2']).toBe(
      "was taken at 2026-09-01T00:00:00.000Z, before the instance named certctl-pg was created (createTime 2026-10-15T00:00:00.000Z): it is of an earlier instance of that name; nothing tells the backups of one earlier instance from another's (Cloud SQL names an instance only by its name), so it may be that instance's last restore point: kept (delete it by hand once its data is not needed)",
    );
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-pg-3')).toMatchObject({
      decision: 'delete',
      deleted: true,
    });
  });

  it('deletes no run a newer one would let go when the instance’s createTime was not sent, and says so run by run', async () => {
    // Prepare: the same four runs, the instance listed without its createTime (output only, not
    // always sent): runs 1 and 2 may be all that is left of an instance deleted in October, and
    // nothing tells which run is the last of which instance.
    const held = [
      expiredRun('1', '2026-08-01T00:00:00Z'),
      expiredRun('2', '2026-09-01T00:00:00Z'),
      expiredRun('3', '2026-10-20T00:00:00Z'),
      expiredRun('4', '2026-11-01T00:00:00Z'),
    ];

    // Act
    const result = await pruneInstance(held);

    // Assess: nothing deleted; each older run kept naming the missing createTime and what to check,
    // the newest kept as the newest.
    expect(held.map((r) => r.id)).toEqual(['1', '2', '3', '4']);
    expect(result).toMatchObject({ deleted: 0, kept: 4, pending: 0 });
    const reasons = Object.fromEntries(result.entries.map((e) => [e.snapshotId, e.reason]));
    for (const id of ['1', '2', '3'])
      expect(reasons[`certctl-premaint-pg-${id}`]).toBe(
        'the instance named certctl-pg was listed without its createTime, so this backup run cannot be told to be of that instance rather than of an earlier one of that name, whose last restore point it may be; only a newer backup run of that name would let it go, and that may be of another instance: kept (see when the instance was created with `gcloud sql instances describe certctl-pg --project=proj --format="value(createTime)"`: a run taken before then is of an earlier instance, to delete by hand once its data is not needed; the next prune decides again once createTime is sent)',
      );
    expect(reasons['certctl-premaint-pg-4']).toBe('newest successful snapshot of certctl-pg');
    expect(renderPrune(result)).toContain(
      'keep   proj/*/certctl-premaint-pg-2 (certctl-pg): the instance named certctl-pg was listed without its createTime',
    );
  });

  it('still deletes an expired failed run when the instance’s createTime was not sent: it is no restore point of any instance', async () => {
    // Prepare
    const held = [
      { ...expiredRun('1', '2026-09-01T00:00:00Z'), status: 'FAILED' },
      expiredRun('2', '2026-11-01T00:00:00Z'),
    ];

    // Act
    await pruneInstance(held);

    // Assess
    expect(held.map((r) => r.id)).toEqual(['2']);
  });
});

describe('planPrune over Cloud SQL runs whose instance is not listed', () => {
  it('deletes no successful run a newer one would let go, naming the instance that was not listed', () => {
    // Prepare: two expired runs of ours of certctl-pg, the place listing no instance: nothing tells
    // when the instance of that name was created, so the older may be an earlier instance's last.
    const ours = (id: string, createdAt: string): BackendSnapshot => ({
      id: `certctl-premaint-pg-${id}`,
      kind: 'cloudsql-instance',
      target: 'certctl-pg',
      status: 'available',
      createdAt: new Date(createdAt),
      tags: EXPIRED,
    });

    // Act
    const decisions = planPrune([ours('1', '2026-09-01T00:00:00Z'), ours('2', '2026-10-01T00:00:00Z')], NOW, {
      account: 'proj',
      region: '*',
    });

    // Assess
    expect(decisions.map((d) => d.action)).toEqual(['keep', 'keep']);
    expect(decisions[0]?.reason).toMatch(
      /^no instance named certctl-pg was listed with it, so this backup run cannot be told to be of that instance rather than of an earlier one of that name/,
    );
  });
});

describe('planPrune over Aurora cluster snapshots whose DbClusterResourceId was not sent', () => {
  it('deletes no successful one a newer one would let go, and still deletes a failed one', () => {
    // Prepare: expired cluster snapshots of ours of certctl-aurora listed without their
    // DbClusterResourceId (DescribeDBClusterSnapshots does not always send it).
    const ours = (id: string, createdAt: string, status = 'available'): BackendSnapshot => ({
      id: `certctl-premaint-${id}`,
      kind: 'aurora-cluster',
      target: 'certctl-aurora',
      status,
      createdAt: new Date(createdAt),
      tags: EXPIRED,
    });

    // Act
    const decisions = planPrune(
      [
        ours('c1', '2026-09-01T00:00:00Z'),
        ours('c2', '2026-09-15T00:00:00Z', 'failed'),
        ours('c3', '2026-10-01T00:00:00Z'),
      ],
      NOW,
      { account: ACCOUNT, region: 'us-east-1' },
    );

    // Assess
    expect(decisions.map((d) => [d.snapshot.id, d.action])).toEqual([
      ['certctl-premaint-c1', 'keep'],
      ['certctl-premaint-c2', 'delete'],
      ['certctl-premaint-c3', 'keep'],
    ]);
    expect(decisions[0]?.reason).toBe(
      "its DbClusterResourceId was not sent (DescribeDBClusterSnapshots), so this snapshot cannot be told to be of the database named certctl-aurora now rather than of an earlier one of that name (deleted and created again under it), whose last restore point it may be; only a newer snapshot of that name would let it go, and that may be of another database: kept (see which database each snapshot of certctl-aurora was taken of with `aws rds describe-db-cluster-snapshots --region us-east-1 --db-cluster-identifier certctl-aurora --snapshot-type manual --query 'DBClusterSnapshots[].[DBClusterSnapshotIdentifier,DbClusterResourceId,SnapshotCreateTime]' --output text`: a snapshot is outdated only by a newer one of the same DbClusterResourceId; the next prune decides again once DbClusterResourceId is sent)",
    );
  });
});

describe('prune over Cloud SQL: backupRuns.delete answers an operation', () => {
  /** Prune over Cloud SQL holding an old and a newer run, whose delete answers `operation`. */
  async function pruneWith(operation: Record<string, unknown>) {
    const runs = [expiredRun('1', '2026-09-01T00:00:00Z'), expiredRun('2', '2026-10-01T00:00:00Z')];
    const api = {
      list: async () => [{ items: runs }],
      delete: async () => [operation],
      get: async (request: { id: string }) => [runs.find((r) => r.id === String(request.id))],
    } as unknown as CloudSqlBackupsApi;
    const cloud = cloudSqlCloud(api);
    return pruneRecorded({ apply: true }, { policy: parsePolicy({}), clouds: [cloud], now: () => NOW });
  }

  it('reports a delete whose operation is still under way as requested, not deleted', async () => {
    // Act
    const result = await pruneWith({ name: 'op-del-1', status: 'PENDING', operationType: 'DELETE_BACKUP' });
    // Assess
    const entry = result.entries.find((e) => e.snapshotId === 'certctl-premaint-pg-1');
    expect(entry).toMatchObject({ decision: 'delete', deleteOperation: 'op-del-1' });
    expect(entry?.deleted).not.toBe(true);
    expect(result).toMatchObject({ deleted: 0, requested: 1, pending: 0, kept: 1 });
    const text = renderPrune(result);
    expect(text).toContain('Pruned: 0 deleted, 1 delete requested (not yet confirmed), 1 kept');
    expect(text).toContain(
      'requested proj/*/certctl-premaint-pg-1 (certctl-pg): delete requested (operation op-del-1)',
    );
  });

  it('reports a delete whose operation already ended in error as failed, with the error', async () => {
    // Act
    const result = await pruneWith({
      name: 'op-del-2',
      status: 'DONE',
      error: { errors: [{ code: 'DELETION_FAILED', message: 'the backup could not be deleted' }] },
    });
    // Assess
    const entry = result.entries.find((e) => e.snapshotId === 'certctl-premaint-pg-1');
    expect(entry).toMatchObject({
      deleted: false,
      error: {
        code: 'DELETION_FAILED',
        message: expect.stringContaining('DELETION_FAILED: the backup could not be deleted'),
      },
    });
    expect(result).toMatchObject({ deleted: 0, requested: 0, pending: 1 });
  });

  it('reports a backup run deleted by someone else before our delete (NOT_FOUND) as gone, not failed nor kept', async () => {
    // Prepare: the old run is deleted by someone else just before our backupRuns.delete reaches it.
    const runs = [expiredRun('1', '2026-09-01T00:00:00Z'), expiredRun('2', '2026-10-01T00:00:00Z')];
    const notFound = () => Object.assign(new Error('The backup run does not exist.'), { code: 5 });
    const api = {
      list: async () => [{ items: runs }],
      delete: async (request: { id: string }) => {
        runs.splice(
          runs.findIndex((r) => r.id === String(request.id)),
          1,
        );
        throw notFound();
      },
      get: async (request: { id: string }) => {
        const run = runs.find((r) => r.id === String(request.id));
        if (!run) throw notFound();
        return [run];
      },
    } as unknown as CloudSqlBackupsApi;

    // Act
    const result = await pruneRecorded(
      { apply: true },
      { policy: parsePolicy({}), clouds: [cloudSqlCloud(api)], now: () => NOW },
    );

    // Assess
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-pg-1')).toMatchObject({
      decision: 'gone',
      reason: 'no longer exists: deleted since the listing, not by this prune',
    });
    expect(result).toMatchObject({ deleted: 0, kept: 1, gone: 1, pending: 0 });
  });

  it('reports a delete whose operation is DONE without error as deleted', async () => {
    const result = await pruneWith({ name: 'op-del-3', status: 'DONE' });
    expect(result).toMatchObject({ deleted: 1, requested: 0, pending: 0 });
  });
});

describe('prune over Cloud SQL: the next delete on an instance waits for the running one', () => {
  /**
   * Prune over three expired runs and a newer one of certctl-pg: each delete answers a RUNNING
   * operation `op-<id>`; operations.get of it answers `later` (the simulated clock moves with sleep).
   */
  async function pruneWhile(later: Record<string, unknown>) {
    const runs = [
      expiredRun('1', '2026-08-01T00:00:00Z'),
      expiredRun('2', '2026-09-01T00:00:00Z'),
      expiredRun('3', '2026-09-15T00:00:00Z'),
      expiredRun('4', '2026-10-01T00:00:00Z'),
    ];
    const deletes: string[] = [];
    const api = {
      list: async () => [{ items: runs }],
      delete: async (request: { id: string }) => {
        deletes.push(String(request.id));
        return [{ name: `op-${request.id}`, status: 'RUNNING', operationType: 'DELETE_BACKUP' }];
      },
      getOperation: async (request: { operation: string }) => [{ name: request.operation, ...later }],
      get: async (request: { id: string }) => [runs.find((r) => r.id === String(request.id))],
    } as unknown as CloudSqlBackupsApi;
    let at = NOW.getTime();
    const waits: string[] = [];
    const result = await pruneRecorded(
      { apply: true },
      {
        policy: parsePolicy({ snapshots: { waitMinutes: 5 } }),
        clouds: [cloudSqlCloud(api)],
        now: () => new Date(at),
        sleep: async (ms) => {
          at += ms;
        },
        onWait: (message) => waits.push(message),
      },
    );
    return { result, deletes, waits, waitedMs: at - NOW.getTime() };
  }
  const entryOf = (result: PruneResult, id: string) =>
    result.entries.find((entry) => entry.snapshotId === `certctl-premaint-pg-${id}`);

  it('deletes the next run once the running delete is DONE, which then reports deleted', async () => {
    // Act
    const { result, deletes } = await pruneWhile({ status: 'DONE' });
    // Assess
    expect(deletes.sort()).toEqual(['1', '2', '3']);
    expect(result).toMatchObject({ deleted: 2, requested: 1, pending: 0 });
  });

  it('reports the waited-for delete as failed with its error when its operation ends in error, and still deletes the next', async () => {
    // Act
    const { result, deletes } = await pruneWhile({
      status: 'DONE',
      error: { errors: [{ code: 'DELETION_FAILED', message: 'the backup could not be deleted' }] },
    });
    // Assess
    expect(deletes).toHaveLength(3);
    const failed = result.entries.find((entry) => entry.error !== undefined);
    expect(failed).toMatchObject({ deleted: false, error: { code: 'DELETION_FAILED' } });
    expect(failed?.deleteOperation).toBeUndefined();
    expect(result).toMatchObject({ deleted: 0, requested: 1, pending: 2 });
  });

  it('neither deletes again nor fails a run whose delete a previous prune requested and that is still DELETION_PENDING', async () => {
    // Prepare: SqlBackupRunStatus DELETION_PENDING, "The backup is about to be deleted".
    const runs = [
      { ...expiredRun('1', '2026-08-01T00:00:00Z'), status: 'DELETION_PENDING' },
      expiredRun('2', '2026-10-01T00:00:00Z'),
    ];
    const deletes: string[] = [];
    const api = {
      list: async () => [{ items: runs }],
      delete: async (request: { id: string }) => {
        deletes.push(String(request.id));
        throw new Error('unexpected delete');
      },
      get: async (request: { id: string }) => [runs.find((r) => r.id === String(request.id))],
    } as unknown as CloudSqlBackupsApi;

    // Act
    const result = await pruneRecorded(
      { apply: true },
      { policy: parsePolicy({}), clouds: [cloudSqlCloud(api)], now: () => NOW },
    );

    // Assess
    expect(deletes).toEqual([]);
    expect(entryOf(result, '1')).toMatchObject({ decision: 'keep', reason: 'state deleting' });
    expect(result).toMatchObject({ deleted: 0, requested: 0, pending: 0 });
  });

  it('waits at most snapshots.waitMinutes once, saying so, then leaves the next runs of the instance not attempted, not failed', async () => {
    // Act
    const { result, deletes, waits, waitedMs } = await pruneWhile({ status: 'RUNNING' });
    // Assess
    expect(deletes).toHaveLength(1);
    expect(waitedMs).toBe(5 * 60_000);
    expect(waits[0]).toMatch(
      /certctl-pg: waiting for delete operation op-\d of certctl-premaint-pg-\d to end/,
    );
    for (const id of ['1', '2', '3'].filter((id) => id !== deletes[0])) {
      const skipped = entryOf(result, id);
      // Its own decision: a script tells it from a snapshot kept on purpose without reading the reason.
      expect(skipped).toMatchObject({ decision: 'not-attempted' });
      expect(skipped?.reason).toMatch(
        /^certctl-pg is still busy with delete operation op-\d after 5 min .*the next prune deletes it/,
      );
      expect(renderPrune(result)).toContain(
        `  not attempted proj/*/certctl-premaint-pg-${id} (certctl-pg): certctl-pg is still busy`,
      );
    }
    // Neither kept on purpose nor failed (exit code 0): counted apart.
    expect(result).toMatchObject({ deleted: 0, requested: 1, pending: 0, notAttempted: 2, kept: 1 });
    expect(renderPrune(result).split('\n')[0]).toBe(
      'Pruned: 0 deleted, 1 delete requested (not yet confirmed), 1 kept, 2 not attempted (their database was busy; the next prune deletes them)',
    );
  });
});

describe('prune over RDS: a snapshot shared with another account, or public', () => {
  /** The restore attribute of `id` naming `accounts`. */
  const sharedWith = (id: string, accounts: string[]): DBSnapshotAttributesResult => ({
    DBSnapshotIdentifier: id,
    DBSnapshotAttributes: [{ AttributeName: 'restore', AttributeValues: accounts }],
  });
  const held = () => [snapshot('certctl-premaint-old', 40), snapshot('certctl-premaint-new', 20)];

  it('keeps an expired snapshot shared with another account, names the account and how to unshare it', async () => {
    // Prepare: another account copies the old snapshot for its DR.
    const { rds, remaining } = fakeRds(held(), [], false, {
      'certctl-premaint-old': sharedWith('certctl-premaint-old', ['222222222222', '333333333333']),
    });

    // Act
    const result = await prune(rdsSnapshotBackend(rds));

    // Assess
    expect(remaining()).toEqual(['certctl-premaint-old', 'certctl-premaint-new']);
    const old = result.entries.find((e) => e.snapshotId === 'certctl-premaint-old');
    expect(old).toMatchObject({ decision: 'keep', sharedWith: ['222222222222', '333333333333'] });
    expect(old?.reason).toContain('shared with accounts 222222222222, 333333333333: those accounts may');
    expect(old?.reason).toContain(
      `aws rds modify-db-snapshot-attribute --db-snapshot-identifier certctl-premaint-old --attribute-name restore --values-to-remove 222222222222 333333333333 --region ${REGION}`,
    );
    expect(result).toMatchObject({ deleted: 0, pending: 0, kept: 2 });
    expect(renderPrune(result)).toContain(
      `keep   ${ACCOUNT}/${REGION}/certctl-premaint-old (certctl-prod-db): shared with accounts 222222222222`,
    );
  });

  it('keeps an expired public snapshot (restore: all), and says it is public', async () => {
    const { rds, remaining } = fakeRds(held(), [], false, {
      'certctl-premaint-old': sharedWith('certctl-premaint-old', ['all']),
    });

    const result = await prune(rdsSnapshotBackend(rds));

    expect(remaining()).toContain('certctl-premaint-old');
    const old = result.entries.find((e) => e.snapshotId === 'certctl-premaint-old');
    expect(old).toMatchObject({ decision: 'keep', sharedWith: ['all'] });
    expect(old?.reason).toContain('public');
    expect(old?.reason).toContain('--values-to-remove all');
  });

  it('reports a shared snapshot as kept in a dry run too, not as one that would be deleted', async () => {
    const { rds } = fakeRds(held(), [], false, {
      'certctl-premaint-old': sharedWith('certctl-premaint-old', ['222222222222']),
    });

    const result = await prune(rdsSnapshotBackend(rds), false);

    expect(result).toMatchObject({ applied: false, pending: 0, kept: 2 });
    expect(renderPrune(result)).toContain('Dry run: 0 would be deleted, 2 kept');
  });

  it.each([
    [
      'the read is refused',
      Object.assign(new Error('not authorized to perform: rds:DescribeDBSnapshotAttributes'), {
        name: 'AccessDenied',
      }),
      'AccessDenied',
    ],
    [
      'the read is throttled past its retries',
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
      'ThrottlingException',
    ],
    [
      'the answer has no attribute list',
      { DBSnapshotIdentifier: 'certctl-premaint-old' },
      'without <DBSnapshotAttributes>',
    ],
    [
      'the answer has no restore attribute',
      { DBSnapshotIdentifier: 'certctl-premaint-old', DBSnapshotAttributes: [] },
      'restore',
    ],
    [
      'the restore attribute comes without its values',
      {
        DBSnapshotIdentifier: 'certctl-premaint-old',
        DBSnapshotAttributes: [{ AttributeName: 'restore' }],
      },
      'AttributeValues',
    ],
  ])(
    'leaves an expired snapshot undecided, not deleted and not counted kept, with its error, when %s',
    async (_case, answer, says) => {
      const { rds, remaining } = fakeRds(held(), [], false, { 'certctl-premaint-old': answer });

      const result = await prune(rdsSnapshotBackend(rds));

      // Not deleted: not proven unshared.
      expect(remaining()).toContain('certctl-premaint-old');
      const old = result.entries.find((e) => e.snapshotId === 'certctl-premaint-old');
      // Not kept on purpose: a delete that was due and could not be done, which the run reports.
      expect(old?.decision).toBe('undecided');
      expect(old?.deleted).toBeUndefined();
      expect(old?.reason).toContain('not proven unshared');
      expect(`${old?.error?.code}: ${old?.error?.message}`).toContain(says);
      expect(old?.error?.code).not.toBe('');
      expect(result).toMatchObject({ deleted: 0, pending: 0, kept: 1, undecided: 1 });
      const text = renderPrune(result);
      expect(text.split('\n')[0]).toBe(
        'Pruned: 0 deleted, 1 kept, 1 undecided (a read it needs failed: not proven safe to delete, not deleted)',
      );
      expect(text).toContain(
        `  UNDECIDED ${ACCOUNT}/${REGION}/certctl-premaint-old (certctl-prod-db): who it is shared with was not read (`,
      );
    },
  );

  it('leaves one undecided in a dry run too, not counted as one that would be deleted or kept', async () => {
    const { rds } = fakeRds(held(), [], false, {
      'certctl-premaint-old': Object.assign(new Error('not authorized'), { name: 'AccessDenied' }),
    });

    const result = await prune(rdsSnapshotBackend(rds), false);

    expect(result).toMatchObject({ applied: false, pending: 0, kept: 1, undecided: 1 });
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-old')).toMatchObject({
      decision: 'undecided',
      error: { code: 'AccessDenied' },
    });
    expect(renderPrune(result).split('\n')[0]).toBe(
      'Dry run: 0 would be deleted, 1 kept, 1 undecided (a read it needs failed: not proven safe to delete) (run with --apply to delete)',
    );
  });

  it('leaves a snapshot undecided, not a failed delete, when reading it again before its delete fails', async () => {
    // Prepare: the listing answers; the read by id just before the delete is throttled past its retries.
    const { rds, remaining } = fakeRds(held());
    const send = rds.send.bind(rds) as (command: {
      constructor: { name: string };
      input: Record<string, unknown>;
    }) => Promise<unknown>;
    const throttled = Object.assign(rds, {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        const byId = (command.input.Filters as { Values: string[] }[] | undefined)?.[0]?.Values;
        if (
          command.constructor.name === 'DescribeDBSnapshotsCommand' &&
          byId?.includes('certctl-premaint-old')
        )
          throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
        return send(command);
      },
    });

    // Act
    const result = await prune(rdsSnapshotBackend(throttled));

    // Assess: no delete tried on what could not be read again.
    expect(remaining()).toContain('certctl-premaint-old');
    const old = result.entries.find((e) => e.snapshotId === 'certctl-premaint-old');
    expect(old).toMatchObject({ decision: 'undecided', error: { code: 'Throttling' } });
    expect(old?.reason).toContain(
      'not read again before its delete, it or the newer snapshot its delete rests on (Throttling: Rate exceeded): not proven still due: not deleted',
    );
    expect(result).toMatchObject({ deleted: 0, pending: 0, undecided: 1 });
  });

  it('reports a snapshot deleted by someone else before its sharing was read as gone, not as a failed read', async () => {
    const { rds, remaining } = fakeRds(held(), [], false, {
      'certctl-premaint-old': (snapshots) => {
        snapshots.splice(
          snapshots.findIndex((s) => s.DBSnapshotIdentifier === 'certctl-premaint-old'),
          1,
        );
        throw Object.assign(new Error('DBSnapshot certctl-premaint-old not found.'), {
          name: 'DBSnapshotNotFoundFault',
        });
      },
    });

    const result = await prune(rdsSnapshotBackend(rds));

    expect(remaining()).toEqual(['certctl-premaint-new']);
    const old = result.entries.find((e) => e.snapshotId === 'certctl-premaint-old');
    expect(old).toMatchObject({
      decision: 'gone',
      reason: 'no longer exists: deleted since the listing, not by this prune',
    });
    expect(old?.error).toBeUndefined();
    expect(result).toMatchObject({ deleted: 0, pending: 0, kept: 1, gone: 1, undecided: 0 });
  });

  it('reports one found gone when its sharing is read in a dry run as gone, not kept nor to be deleted', async () => {
    const { rds } = fakeRds(held(), [], false, {
      'certctl-premaint-old': (snapshots) => {
        snapshots.splice(
          snapshots.findIndex((s) => s.DBSnapshotIdentifier === 'certctl-premaint-old'),
          1,
        );
        throw Object.assign(new Error('DBSnapshot certctl-premaint-old not found.'), {
          name: 'DBSnapshotNotFoundFault',
        });
      },
    });

    const result = await prune(rdsSnapshotBackend(rds), false);

    expect(result).toMatchObject({ applied: false, pending: 0, kept: 1, gone: 1 });
    expect(renderPrune(result).split('\n')[0]).toBe(
      'Dry run: 0 would be deleted, 1 kept, 1 already gone (deleted since the listing, not by this prune) (run with --apply to delete)',
    );
  });

  it('reads who it is shared with after reading it again, just before its delete: one shared meanwhile is kept', async () => {
    // Prepare: someone shares the old snapshot with a DR account while prune reads it again by id
    // (after the listing, before the delete); its restore attribute names that account from then on.
    let shared = false;
    const { rds, remaining, attributesAsked } = fakeRds(held(), [], false, {
      'certctl-premaint-old': () => sharedWith('certctl-premaint-old', shared ? ['222222222222'] : []),
    });
    const calls: string[] = [];
    const send = rds.send.bind(rds) as (command: {
      constructor: { name: string };
      input: Record<string, unknown>;
    }) => Promise<unknown>;
    const sharing = Object.assign(rds, {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        calls.push(command.constructor.name);
        const byId = (command.input.Filters as { Values: string[] }[] | undefined)?.[0]?.Values;
        if (
          command.constructor.name === 'DescribeDBSnapshotsCommand' &&
          byId?.includes('certctl-premaint-old')
        )
          shared = true;
        return send(command);
      },
    });

    // Act
    const result = await prune(rdsSnapshotBackend(sharing));

    // Assess
    expect(remaining()).toContain('certctl-premaint-old');
    const old = result.entries.find((e) => e.snapshotId === 'certctl-premaint-old');
    expect(old).toMatchObject({ decision: 'keep', sharedWith: ['222222222222'] });
    // No call more than before: one sharing read per snapshot that would go.
    expect(attributesAsked).toEqual(['certctl-premaint-old']);
    expect(calls.filter((name) => name === 'DeleteDBSnapshotCommand')).toEqual([]);
  });

  it('deletes an expired snapshot shared with no account as before, and reads the sharing only of what it would delete', async () => {
    const { rds, remaining, attributesAsked } = fakeRds([
      snapshot('certctl-premaint-old', 40),
      snapshot('certctl-premaint-new', 20),
      snapshot('someone-elses', 400, { TagList: [] }),
    ]);

    const result = await prune(rdsSnapshotBackend(rds));

    expect(remaining()).toEqual(['certctl-premaint-new', 'someone-elses']);
    expect(result).toMatchObject({ deleted: 1, pending: 0 });
    expect(attributesAsked).toEqual(['certctl-premaint-old']);
  });
});

describe('prune: a snapshot that claims to be ours but is not proven to be', () => {
  /** A SUCCESSFUL ON_DEMAND run of certctl-pg started at `startTime` whose description says `described`. */
  const run = (id: string, startTime: string, described: string) => ({
    id,
    instance: 'certctl-pg',
    type: 'ON_DEMAND',
    status: 'SUCCESSFUL',
    description: described,
    startTime,
    selfLink: `https://sqladmin.googleapis.com/v1/projects/proj/instances/certctl-pg/backupRuns/${id}`,
  });
  /** Prune (apply) over Cloud SQL holding `runs`; the ids of the runs still there after. */
  async function pruneRuns(runs: ReturnType<typeof run>[]) {
    const held = [...runs];
    const api = {
      list: async () => [{ items: held }],
      delete: async (request: { id: string }) => {
        held.splice(
          held.findIndex((r) => r.id === String(request.id)),
          1,
        );
        return [{ name: `op-${request.id}`, status: 'DONE', operationType: 'DELETE_BACKUP' }];
      },
      get: async (request: { id: string }) => [held.find((r) => r.id === String(request.id))],
    } as unknown as CloudSqlBackupsApi;
    const result = await pruneRecorded(
      { apply: true },
      { policy: parsePolicy({}), clouds: [cloudSqlCloud(api)], now: () => NOW },
    );
    return { result, remaining: held.map((r) => r.id) };
  }
  const ours = (id: string, expiresAt: string) =>
    describeBackup(id, { 'request-id': `CHG-${id}`, 'expires-at': expiresAt });

  it('keeps a Cloud SQL run whose description was written after the expiry it claims, and deletes the genuine expired one', async () => {
    // Prepare: our run of September, expired in October; our newest run (not expired); and a run
    // someone made in November with a hand-written description claiming ours, expired in June.
    const { result, remaining } = await pruneRuns([
      run('1', '2026-09-01T00:00:00Z', ours('certctl-premaint-pg-1', '2026-10-01T00:00:00.000Z')),
      run('2', '2026-11-15T00:00:00Z', ours('certctl-premaint-pg-forged', '2026-06-01T00:00:00.000Z')),
      run('3', '2026-11-30T00:00:00Z', ours('certctl-premaint-pg-3', '2026-12-30T00:00:00.000Z')),
    ]);

    // Assess: the forged one is kept and reported as not proven ours; ours is deleted as before.
    expect(remaining).toEqual(['2', '3']);
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-pg-forged')).toMatchObject({
      decision: 'keep',
      reason:
        'created 2026-11-15T00:00:00.000Z, at or after the expiry its description claims (2026-06-01T00:00:00.000Z), which backup-guard never writes: not proven a snapshot backup-guard took: kept',
    });
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-pg-1')).toMatchObject({
      decision: 'delete',
      deleted: true,
    });
    expect(result).toMatchObject({ deleted: 1, kept: 2, pending: 0 });
  });

  it('keeps every Cloud SQL run carrying an id another run of the instance carries too (a copied description)', async () => {
    // Prepare: our expired run, and a later run whose description is a copy of it.
    const copied = ours('certctl-premaint-pg-1', '2026-10-01T00:00:00.000Z');
    const { result, remaining } = await pruneRuns([
      run('1', '2026-08-01T00:00:00Z', copied),
      run('2', '2026-08-02T00:00:00Z', copied),
      run('3', '2026-11-30T00:00:00Z', ours('certctl-premaint-pg-3', '2026-12-30T00:00:00.000Z')),
    ]);

    // Assess: neither is proven ours (backup-guard gives one run one id), so neither goes.
    expect(remaining).toEqual(['1', '2', '3']);
    const copies = result.entries.filter((e) => e.snapshotId === 'certctl-premaint-pg-1');
    expect(copies).toHaveLength(2);
    for (const entry of copies)
      expect(entry).toMatchObject({
        decision: 'keep',
        reason:
          'its id is carried by 2 backup runs of certctl-pg, and backup-guard gives each one its own: not proven a snapshot backup-guard took: kept',
      });
  });

  it('keeps an RDS snapshot created after the expiry its tags claim, and deletes the genuine expired one', async () => {
    // Prepare: our snapshot of 60 days ago, expired 30 days ago; someone's snapshot of 10 days ago
    // tagged as ours with that same past expiry; our newest, not expired.
    const tagged = (expiresAt: string) =>
      [
        { Key: 'purpose', Value: 'certctl-pre-maintenance' },
        { Key: 'expires-at', Value: expiresAt },
      ] as const;
    const { rds, remaining } = fakeRds([
      snapshot('certctl-premaint-old', 60, { TagList: [...tagged('2026-11-01T00:00:00.000Z')] }),
      snapshot('certctl-premaint-forged', 10, { TagList: [...tagged('2026-11-01T00:00:00.000Z')] }),
      snapshot('certctl-premaint-new', 1, { TagList: [...tagged('2026-12-30T00:00:00.000Z')] }),
    ]);

    // Act
    const result = await prune(rdsSnapshotBackend(rds));

    // Assess
    expect(remaining()).toEqual(['certctl-premaint-forged', 'certctl-premaint-new']);
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-forged')?.reason).toBe(
      'created 2026-11-21T00:00:00.000Z, at or after the expiry its tags claim (2026-11-01T00:00:00.000Z), which backup-guard never writes: not proven a snapshot backup-guard took: kept',
    );
  });
});

describe('prune: a snapshot deleted only when a run record of ours names it', () => {
  /** A SUCCESSFUL ON_DEMAND run of certctl-pg started at `startTime` whose description says `described`. */
  const run = (id: string, startTime: string, described: string) => ({
    id,
    instance: 'certctl-pg',
    type: 'ON_DEMAND',
    status: 'SUCCESSFUL',
    description: described,
    startTime,
    selfLink: `https://sqladmin.googleapis.com/v1/projects/proj/instances/certctl-pg/backupRuns/${id}`,
  });
  const ours = (id: string, expiresAt: string) =>
    describeBackup(id, { 'request-id': `CHG-${id}`, 'expires-at': expiresAt });
  /** A run record of ours naming backup run `runId` of certctl-pg as `snapshotId`. */
  const record = (snapshotId: string, runId: string): SnapshotRunRecord => ({
    provider: 'gcp',
    account: 'proj',
    region: 'europe-west1',
    kind: 'cloudsql-instance',
    target: 'certctl-pg',
    snapshotId,
    ref: `https://sqladmin.googleapis.com/v1/projects/proj/instances/certctl-pg/backupRuns/${runId}`,
  });
  /** Prune (apply) over Cloud SQL holding `runs`, with `records` (or none) and `policy`. */
  async function pruneRuns(
    runs: ReturnType<typeof run>[],
    records: readonly SnapshotRunRecord[] | undefined,
    policy: Parameters<typeof parsePolicy>[0] = {},
  ) {
    const held = [...runs];
    const api = {
      list: async () => [{ items: held }],
      delete: async (request: { id: string }) => {
        held.splice(
          held.findIndex((r) => r.id === String(request.id)),
          1,
        );
        return [{ name: `op-${request.id}`, status: 'DONE', operationType: 'DELETE_BACKUP' }];
      },
      get: async (request: { id: string }) => [held.find((r) => r.id === String(request.id))],
    } as unknown as CloudSqlBackupsApi;
    const asked: string[][] = [];
    const runRecords: SnapshotRunRecords | undefined = records && {
      where: 'DynamoDB table guard-records',
      read: async (_place, snapshots) => {
        asked.push(snapshots.map((s) => s.id));
        return records.filter((r) => snapshots.some((s) => s.id === r.snapshotId));
      },
    };
    const result = await runPruneJob(
      { apply: true },
      {
        policy: parsePolicy(policy),
        clouds: [cloudSqlCloud(api)],
        now: () => NOW,
        ...(runRecords ? { runRecords } : {}),
      },
    );
    return { result, remaining: held.map((r) => r.id), asked };
  }
  // A forged run that meets every rule of the tags: a unique certctl-premaint-* id, an expiry just
  // after its creation (not at or after it), older than our newest run of the instance.
  const forged = run('2', '2026-11-15T00:00:00Z', ours('certctl-premaint-pg-x7', '2026-11-15T00:05:00.000Z'));
  const genuineOld = run(
    '1',
    '2026-09-01T00:00:00Z',
    ours('certctl-premaint-pg-1', '2026-10-01T00:00:00.000Z'),
  );
  const genuineNew = run(
    '3',
    '2026-11-30T00:00:00Z',
    ours('certctl-premaint-pg-3', '2026-12-30T00:00:00.000Z'),
  );

  it('keeps a forged Cloud SQL run that meets every rule of the tags when no run record of ours names it', async () => {
    // Act
    const { result, remaining } = await pruneRuns(
      [genuineOld, forged, genuineNew],
      [record('certctl-premaint-pg-1', '1'), record('certctl-premaint-pg-3', '3')],
    );

    // Assess: the forged one stays, said why; ours, recorded, goes as before.
    expect(remaining).toEqual(['2', '3']);
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-pg-x7')).toMatchObject({
      decision: 'keep',
      reason:
        'its description claims backup-guard took it, but no run record of ours (DynamoDB table guard-records) names it: not proven a snapshot backup-guard took: kept (one taken before run records named snapshots stays too: delete it by hand if it is ours)',
    });
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-pg-1')).toMatchObject({
      decision: 'delete',
      deleted: true,
    });
  });

  it('keeps a run whose id a record of ours names when the record names another backup run', async () => {
    // Prepare: the record names certctl-premaint-pg-x7 as backup run 9 (ours, deleted since); the
    // run carrying that id now is run 2, someone's copy of its description.
    const { result, remaining } = await pruneRuns(
      [forged, genuineNew],
      [record('certctl-premaint-pg-x7', '9'), record('certctl-premaint-pg-3', '3')],
    );

    // Assess
    expect(remaining).toEqual(['2', '3']);
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-pg-x7')?.reason).toBe(
      'a run record of ours names certctl-premaint-pg-x7 as https://sqladmin.googleapis.com/v1/projects/proj/instances/certctl-pg/backupRuns/9, not this one (https://sqladmin.googleapis.com/v1/projects/proj/instances/certctl-pg/backupRuns/2): not proven a snapshot backup-guard took: kept',
    );
  });

  it('asks the run records about the expired snapshots and every candidate restore point', async () => {
    // Act
    const { asked } = await pruneRuns([genuineOld, forged, genuineNew], []);

    // Assess: the newest, not expired, is asked about too: only a recorded one is a restore point.
    expect(asked).toEqual([['certctl-premaint-pg-1', 'certctl-premaint-pg-x7', 'certctl-premaint-pg-3']]);
  });

  // Someone's run tagged as ours, newer than our last one and not expired: it meets every rule of
  // the tags, so by them alone it is the instance's newest restore point.
  const forgedNewer = run(
    '4',
    '2026-11-20T00:00:00Z',
    ours('certctl-premaint-pg-x9', '2026-12-20T00:00:00.000Z'),
  );
  const notCounted =
    'newer certctl-premaint-pg-x9: its description claims backup-guard took it, but no run record of ours (DynamoDB table guard-records) names it: not counted as a restore point';

  it('keeps our recorded expired run when the newest run of the instance is one no run record of ours names', async () => {
    // Act
    const { result, remaining } = await pruneRuns(
      [genuineOld, forgedNewer],
      [record('certctl-premaint-pg-1', '1')],
    );

    // Assess: nothing proves the newer one ours or restorable, so ours stays the restore point.
    expect(remaining).toEqual(['1', '4']);
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-pg-1')).toMatchObject({
      decision: 'keep',
      reason: `newest successful snapshot of certctl-pg that a run record of ours names (${notCounted})`,
    });
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-pg-x9')).toMatchObject({
      decision: 'keep',
      reason: 'expires 2026-12-20T00:00:00.000Z',
    });
  });

  it('names the newest and the count when several newer runs no run record of ours names are not counted', async () => {
    // Prepare: a second forged run, newer still.
    const forgedNewest = run(
      '7',
      '2026-11-22T00:00:00Z',
      ours('certctl-premaint-pg-x10', '2026-12-22T00:00:00.000Z'),
    );

    // Act
    const { result, remaining } = await pruneRuns(
      [genuineOld, forgedNewer, forgedNewest],
      [record('certctl-premaint-pg-1', '1')],
    );

    // Assess
    expect(remaining).toEqual(['1', '4', '7']);
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-pg-1')?.reason).toBe(
      'newest successful snapshot of certctl-pg that a run record of ours names (2 newer ones, the newest certctl-premaint-pg-x10: their descriptions claim backup-guard took them, but no run record of ours (DynamoDB table guard-records) names them: not counted as restore points)',
    );
  });

  it('deletes our recorded expired run when a recorded run of ours is newer, naming the unrecorded newest not counted', async () => {
    // Prepare: ours of September and of November 15th, both recorded and expired; the forged newest.
    const genuineMid = run(
      '5',
      '2026-11-10T00:00:00Z',
      ours('certctl-premaint-pg-5', '2026-11-15T00:00:00.000Z'),
    );

    // Act
    const { result, remaining } = await pruneRuns(
      [genuineOld, genuineMid, forgedNewer],
      [record('certctl-premaint-pg-1', '1'), record('certctl-premaint-pg-5', '5')],
    );

    // Assess: the newer recorded one is the restore point; it stays, saying why the newest is not it.
    expect(remaining).toEqual(['5', '4']);
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-pg-5')?.reason).toBe(
      `newest successful snapshot of certctl-pg that a run record of ours names (${notCounted})`,
    );
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-pg-1')).toMatchObject({
      decision: 'delete',
      deleted: true,
    });
  });

  it('calls an expired unrecorded newest run not proven ours, not the newest successful snapshot', async () => {
    // Prepare: the forged run, expired, is the newest of the instance.
    const forgedExpired = run(
      '6',
      '2026-11-25T00:00:00Z',
      ours('certctl-premaint-pg-x6', '2026-11-25T00:05:00.000Z'),
    );

    // Act
    const { result, remaining } = await pruneRuns(
      [genuineOld, forgedExpired],
      [record('certctl-premaint-pg-1', '1')],
    );

    // Assess
    expect(remaining).toEqual(['1', '6']);
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-pg-x6')?.reason).toBe(
      'its description claims backup-guard took it, but no run record of ours (DynamoDB table guard-records) names it: not proven a snapshot backup-guard took: kept (one taken before run records named snapshots stays too: delete it by hand if it is ours)',
    );
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-pg-1')?.reason).toBe(
      'newest successful snapshot of certctl-pg that a run record of ours names (newer certctl-premaint-pg-x6: its description claims backup-guard took it, but no run record of ours (DynamoDB table guard-records) names it: not counted as a restore point)',
    );
  });

  it('lets a newer run tagged as ours be the restore point, as before, when the policy prunes by tags alone', async () => {
    // Act
    const { result, remaining } = await pruneRuns([genuineOld, forgedNewer], undefined, {
      snapshots: { pruneByTagsAlone: true },
    });

    // Assess
    expect(remaining).toEqual(['4']);
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-pg-1')).toMatchObject({
      decision: 'delete',
      deleted: true,
      reason: 'expired 2026-10-01T00:00:00.000Z',
    });
  });

  it('keeps every expired snapshot, saying why, when no run record store is set', async () => {
    // Act
    const { result, remaining } = await pruneRuns([genuineOld, genuineNew], undefined);

    // Assess
    expect(remaining).toEqual(['1', '3']);
    expect(result.entries.find((e) => e.snapshotId === 'certctl-premaint-pg-1')).toMatchObject({
      decision: 'keep',
      reason:
        "its description claims backup-guard took it, but no run record store is set (snapshots.runRecordsBucket, the GCP deployment's records bucket, or snapshots.idempotencyTable), so no run record of ours can prove it: kept (snapshots.pruneByTagsAlone: true prunes by tags alone)",
    });
  });

  it('prunes by tags alone, as before, when the policy opts into it', async () => {
    // Act
    const { result, remaining } = await pruneRuns([genuineOld, forged, genuineNew], undefined, {
      snapshots: { pruneByTagsAlone: true },
    });

    // Assess: the forged run goes too: that is what tags alone allow.
    expect(remaining).toEqual(['3']);
    expect(result.deleted).toBe(2);
  });
});
