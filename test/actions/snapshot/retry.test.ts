/**
 * A request whose own snapshot of a target ended failed or was deleted takes one more attempt per
 * run, under a name of its own (`-a2`, `-a3`), up to MAX_SNAPSHOT_ATTEMPTS; re-runs adopt the
 * attempt that exists instead of taking it twice. Over an RDS-like fake backend and over the real
 * Cloud SQL backend on a fake Cloud SQL Admin API.
 */
import { describe, expect, it } from 'vitest';
import type { BackendSnapshot, SnapshotBackend } from '../../../functions/actions/snapshot/backend.ts';
import { cloudSqlSnapshotBackend, describeBackup } from '../../../functions/actions/snapshot/gcp.ts';
import {
  MAX_SNAPSHOT_ATTEMPTS,
  requestIdTag,
  SNAPSHOT_PURPOSE,
  type SnapshotRequest,
  type SnapshotTarget,
  snapshotIdentifier,
} from '../../../functions/actions/snapshot/model.ts';
import { takeSnapshots } from '../../../functions/actions/snapshot/run.ts';
import { parsePolicy } from '../../../functions/core/policy.ts';
import type { CloudSqlBackupsApi } from '../../../functions/gcp/cloud-sql-backups.ts';

const request: SnapshotRequest = {
  requestId: 'maintenance:arn:aws:rds:eu-west-1:111111111111:db:certctl-prod-db:system-update:2026-12-04',
  reason: 'before system-update',
  requestedBy: 'backup-guard maintenance job',
};
const OURS = { purpose: SNAPSHOT_PURPOSE, 'request-id': requestIdTag(request.requestId) };
const policy = parsePolicy({
  snapshots: { waitMinutes: 1, pollInitialSeconds: 0.01, pollMaxSeconds: 0.01 },
}).snapshots;

const rdsTarget: SnapshotTarget = {
  provider: 'aws',
  kind: 'rds-instance',
  account: '111111111111',
  region: 'eu-west-1',
  id: 'certctl-prod-db',
  // Sent, as RDS sends it: a snapshot found under the request's name is told to be of this database.
  resourceId: 'db-PROD',
};
const nameOf = (target: SnapshotTarget, attempt: number) =>
  snapshotIdentifier(target, request.requestId, attempt);

/** RDS as the backend sees it: names are unique (a second create of one is `exists`), creates finish at once. */
function rdsLike(existing: BackendSnapshot[], options: { listed?: boolean; endsAs?: string } = {}) {
  const store = new Map(existing.map((snapshot) => [snapshot.id, snapshot]));
  const creates: string[] = [];
  const backend: SnapshotBackend = {
    quotaApplies: true,
    codeOf: (error) => (error as Error).name,
    classify: (error) => ((error as Error).name === 'DBSnapshotAlreadyExists' ? 'exists' : 'other'),
    describe: async () => {
      throw new Error('not read again in this test');
    },
    listManual: async () => (options.listed === false ? [] : [...store.values()]),
    create: async (target, snapshotId, tags) => {
      if (store.has(snapshotId)) {
        throw Object.assign(new Error(`${snapshotId} exists`), { name: 'DBSnapshotAlreadyExists' });
      }
      creates.push(snapshotId);
      const snapshot: BackendSnapshot = {
        id: snapshotId,
        kind: target.kind,
        target: target.id,
        sourceResourceId: target.resourceId,
        status: options.endsAs ?? 'available',
        createdAt: new Date(),
        tags,
      };
      store.set(snapshotId, snapshot);
      return { ...snapshot, status: 'creating' };
    },
    poll: async (snapshots) =>
      snapshots.flatMap((snapshot) => {
        const found = store.get(snapshot.id);
        return found ? [found] : [];
      }),
    delete: async () => undefined,
  };
  return { backend, creates };
}

const existing = (attempt: number, status: string, tags: Record<string, string> = OURS): BackendSnapshot => ({
  id: nameOf(rdsTarget, attempt),
  kind: 'rds-instance',
  target: 'certctl-prod-db',
  sourceResourceId: 'db-PROD',
  status,
  createdAt: new Date(),
  tags,
});

const run = (backend: SnapshotBackend, target: SnapshotTarget = rdsTarget) =>
  takeSnapshots(request, [target], { policy, backendFor: () => backend });

describe('takeSnapshots retrying a failed snapshot of the same request (RDS)', () => {
  it('takes attempt 2 under its own name when the request’s first snapshot ended failed', async () => {
    // Prepare
    const cloud = rdsLike([existing(1, 'failed')]);

    // Act
    const [result] = await run(cloud.backend);

    // Assess
    expect(cloud.creates).toEqual([nameOf(rdsTarget, 2)]);
    expect(nameOf(rdsTarget, 2)).toBe(`${nameOf(rdsTarget, 1)}-a2`);
    expect(result).toMatchObject({
      outcome: 'available',
      snapshotId: nameOf(rdsTarget, 2),
      snapshotAttempt: 2,
    });
  });

  it('takes attempt 2 when the first snapshot is being deleted', async () => {
    // Prepare
    const cloud = rdsLike([existing(1, 'deleting')]);

    // Act
    const [result] = await run(cloud.backend);

    // Assess
    expect(cloud.creates).toEqual([nameOf(rdsTarget, 2)]);
    expect(result?.outcome).toBe('available');
  });

  it('adopts attempt 2 and takes nothing when the request runs again after attempt 2 was taken', async () => {
    // Prepare
    const cloud = rdsLike([existing(1, 'failed'), existing(2, 'available')]);

    // Act
    const [result] = await run(cloud.backend);

    // Assess
    expect(cloud.creates).toEqual([]);
    expect(result).toMatchObject({
      outcome: 'available',
      snapshotId: nameOf(rdsTarget, 2),
      snapshotAttempt: 2,
    });
  });

  it('takes one more attempt per run, each reported with its number, until the cap, then reports the attempts without taking any', async () => {
    // Prepare: every snapshot of this target fails.
    const cloud = rdsLike([], { endsAs: 'failed' });

    // Act
    const runs = [];
    for (let i = 0; i < MAX_SNAPSHOT_ATTEMPTS + 2; i += 1) runs.push((await run(cloud.backend))[0]);

    // Assess
    const names = Array.from({ length: MAX_SNAPSHOT_ATTEMPTS }, (_, i) => nameOf(rdsTarget, i + 1));
    expect(cloud.creates).toEqual(names);
    for (const [i, result] of runs.slice(0, MAX_SNAPSHOT_ATTEMPTS).entries()) {
      expect(result).toMatchObject({ outcome: 'failed', snapshotAttempt: i + 1, snapshotId: names[i] });
    }
    expect(runs[MAX_SNAPSHOT_ATTEMPTS - 1]?.error?.message).toContain(
      `attempt ${MAX_SNAPSHOT_ATTEMPTS} of ${MAX_SNAPSHOT_ATTEMPTS}`,
    );
    for (const result of runs.slice(MAX_SNAPSHOT_ATTEMPTS)) {
      expect(result?.outcome).toBe('failed');
      expect(result?.error?.code).toBe('SnapshotAttemptsExhausted');
      for (const name of names) expect(result?.error?.message).toContain(name);
    }
  });

  it('takes the next attempt when the create finds the name taken by a failed snapshot of ours the listing did not show', async () => {
    // Prepare: the listing is stale (empty); the first name exists, ours, failed.
    const cloud = rdsLike([existing(1, 'failed')], { listed: false });

    // Act
    const [result] = await run(cloud.backend);

    // Assess
    expect(cloud.creates).toEqual([nameOf(rdsTarget, 2)]);
    expect(result).toMatchObject({ outcome: 'available', snapshotAttempt: 2 });
  });

  it('still refuses, taking nothing, when the first name is held by a failed snapshot that is not ours', async () => {
    // Prepare
    const cloud = rdsLike([existing(1, 'failed', { purpose: 'someone-else' })]);

    // Act
    const [result] = await run(cloud.backend);

    // Assess
    expect(cloud.creates).toEqual([]);
    expect(result?.error?.code).toBe('SnapshotNameTaken');
  });

  it('counts a retry against the region quota when the region is full', async () => {
    // Prepare
    const cloud = rdsLike([existing(1, 'failed')]);

    // Act
    const [result] = await takeSnapshots(request, [rdsTarget], {
      policy: { ...policy, quotaPerRegion: 1 },
      backendFor: () => cloud.backend,
    });

    // Assess
    expect(cloud.creates).toEqual([]);
    expect(result?.outcome).toBe('quota');
  });
});

const PROJECT = 'proj';
const sqlTarget: SnapshotTarget = {
  provider: 'gcp',
  kind: 'cloudsql-instance',
  account: PROJECT,
  region: 'europe-west1',
  id: 'certctl-pg',
  // Sent, so a backup run of its name is told to be of this instance (taken after it was created).
  createdAt: '2020-01-01T00:00:00Z',
};

/** A Cloud SQL Admin API holding `runs`; an insert adds a run that ends as `endsAs`. */
function fakeCloudSql(runs: Record<string, unknown>[], endsAs = 'SUCCESSFUL') {
  const inserted: string[] = [];
  let next = 1_800_000_000_100;
  const api: CloudSqlBackupsApi = {
    get: async () => {
      throw new Error('not read again in this test');
    },
    insert: async (call) => {
      const id = String(next++);
      inserted.push(call.body?.description ?? '');
      runs.unshift({
        id,
        instance: call.instance,
        type: 'ON_DEMAND',
        status: endsAs,
        description: call.body?.description,
        startTime: new Date().toISOString(),
      });
      return [{ name: `op-${id}`, status: 'PENDING', insertTime: new Date().toISOString() } as never];
    },
    getOperation: async (call) => [
      {
        name: call.operation,
        status: 'DONE',
        backupContext: { backupId: String(call.operation).slice(3) },
      } as never,
    ],
    list: async () => [{ items: runs as never }],
    delete: async () => [{}],
    getInstance: async () => {
      throw new Error('instances.get is not read in this test');
    },
  };
  return { api, inserted };
}

const sqlRun = (attempt: number, status: string) => ({
  id: String(1_800_000_000_000 + attempt),
  instance: 'certctl-pg',
  type: 'ON_DEMAND',
  status,
  description: describeBackup(nameOf(sqlTarget, attempt), OURS),
  startTime: new Date().toISOString(),
});

describe('takeSnapshots retrying a failed backup of the same request (Cloud SQL)', () => {
  it.each(['FAILED', 'DELETION_PENDING', 'DELETED'])(
    'takes attempt 2, its id in the new backup run’s description, when the first run is %s',
    async (status) => {
      // Prepare
      const cloud = fakeCloudSql([sqlRun(1, status)]);

      // Act
      const [result] = await run(cloudSqlSnapshotBackend(cloud.api, PROJECT), sqlTarget);

      // Assess
      expect(cloud.inserted).toHaveLength(1);
      expect(cloud.inserted[0]).toContain(`id=${nameOf(sqlTarget, 2)};`);
      expect(result).toMatchObject({
        outcome: 'available',
        snapshotId: nameOf(sqlTarget, 2),
        snapshotAttempt: 2,
      });
    },
  );

  it('adopts the newest attempt, inserting nothing, when the request runs again after attempt 2 succeeded', async () => {
    // Prepare
    const cloud = fakeCloudSql([sqlRun(2, 'SUCCESSFUL'), sqlRun(1, 'FAILED')]);

    // Act
    const [result] = await run(cloudSqlSnapshotBackend(cloud.api, PROJECT), sqlTarget);

    // Assess
    expect(cloud.inserted).toEqual([]);
    expect(result).toMatchObject({ outcome: 'available', snapshotAttempt: 2 });
  });

  it('inserts nothing and names the attempts when every attempt failed', async () => {
    // Prepare
    const runs = Array.from({ length: MAX_SNAPSHOT_ATTEMPTS }, (_, i) => sqlRun(i + 1, 'FAILED'));
    const cloud = fakeCloudSql(runs);

    // Act
    const [result] = await run(cloudSqlSnapshotBackend(cloud.api, PROJECT), sqlTarget);

    // Assess
    expect(cloud.inserted).toEqual([]);
    expect(result?.outcome).toBe('failed');
    expect(result?.error?.code).toBe('SnapshotAttemptsExhausted');
    expect(result?.error?.message).toContain(nameOf(sqlTarget, MAX_SNAPSHOT_ATTEMPTS));
  });

  it('adopts the run that succeeded when two runs carry the same attempt id, one failed', async () => {
    // Prepare: Cloud SQL has no unique names; a doubled insert left a failed and a successful run.
    const cloud = fakeCloudSql([sqlRun(1, 'SUCCESSFUL'), { ...sqlRun(1, 'FAILED'), id: '1' }]);

    // Act
    const [result] = await run(cloudSqlSnapshotBackend(cloud.api, PROJECT), sqlTarget);

    // Assess
    expect(cloud.inserted).toEqual([]);
    expect(result).toMatchObject({ outcome: 'available', snapshotAttempt: 1 });
  });
});

describe('Cloud SQL backend polling an adopted run', () => {
  it('follows the run it adopted, not another run carrying the same id, while it is still running', async () => {
    // Prepare: a failed run and a running one carry the same id; the running one is adopted.
    const runs: Record<string, unknown>[] = [
      { ...sqlRun(1, 'FAILED'), id: '1' },
      { ...sqlRun(1, 'RUNNING'), id: '2' },
    ];
    const cloud = fakeCloudSql(runs);
    const backend = cloudSqlSnapshotBackend(cloud.api, PROJECT);
    let polls = 0;
    const polling: SnapshotBackend = {
      ...backend,
      poll: async (snapshots) => {
        polls += 1;
        if (polls === 2) runs[1] = { ...runs[1], status: 'SUCCESSFUL' };
        return backend.poll(snapshots);
      },
    };

    // Act
    const [result] = await run(polling, sqlTarget);

    // Assess
    expect(cloud.inserted).toEqual([]);
    expect(result).toMatchObject({ outcome: 'available', snapshotAttempt: 1 });
  });
});
