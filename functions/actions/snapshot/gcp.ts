/**
 * The Cloud SQL backend of the snapshot action: on-demand backup runs (`backupRuns.insert`), awaited
 * through `operations.get`. Backup runs have no labels, so the metadata that RDS keeps in tags goes
 * into the run's description as `key=value` pairs (https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1/backupRuns).
 * Cloud SQL keeps on-demand backups until deleted and counts them against no per-region quota.
 */
import type { protos } from '@google-cloud/sql';
import { errorCode } from '../../core/errors.ts';
import { enumName, toDate, toNumber } from '../../gcp/wire.ts';
import type { BackendSnapshot, CreateErrorKind, SnapshotBackend } from './backend.ts';
import { SNAPSHOT_PURPOSE } from './model.ts';

type Operation = protos.google.cloud.sql.v1.IOperation;
type BackupRun = protos.google.cloud.sql.v1.IBackupRun;

/** The calls the backend makes (the gax clients' methods, or a fake). */
export interface CloudSqlBackupsApi {
  insert(request: protos.google.cloud.sql.v1.ISqlBackupRunsInsertRequest): Promise<[Operation, ...unknown[]]>;
  list(
    request: protos.google.cloud.sql.v1.ISqlBackupRunsListRequest,
  ): Promise<[protos.google.cloud.sql.v1.IBackupRunsListResponse, ...unknown[]]>;
  delete(request: protos.google.cloud.sql.v1.ISqlBackupRunsDeleteRequest): Promise<[Operation, ...unknown[]]>;
  getOperation(
    request: protos.google.cloud.sql.v1.ISqlOperationsGetRequest,
  ): Promise<[Operation, ...unknown[]]>;
}

const OPERATION_STATUS: Readonly<Record<number, string>> = {
  0: 'UNSPECIFIED',
  1: 'PENDING',
  2: 'RUNNING',
  3: 'DONE',
};
const DESCRIPTION_MAX = 1024;

/** The description that carries the snapshot's id and tags: `certctl-pre-maintenance; id=…; reason=…`. */
export function describeBackup(snapshotId: string, tags: Readonly<Record<string, string>>): string {
  const pairs = Object.entries({ id: snapshotId, ...tags })
    .filter(([key]) => key !== 'purpose')
    .map(([key, value]) => `${key}=${value.replace(/[;=]/g, '_')}`);
  return [SNAPSHOT_PURPOSE, ...pairs].join('; ').slice(0, DESCRIPTION_MAX);
}

/** The id and tags a description carries; undefined when the backup is not ours. */
export function parseBackupDescription(
  description: string | null | undefined,
): { id: string; tags: Record<string, string> } | undefined {
  const [head, ...pairs] = (description ?? '').split('; ');
  if (head !== SNAPSHOT_PURPOSE) return undefined;
  const tags: Record<string, string> = { purpose: SNAPSHOT_PURPOSE };
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at > 0) tags[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const id = tags.id ?? '';
  delete tags.id;
  return { id, tags };
}

function runStatus(run: BackupRun): string {
  const status = enumName('backupRunStatus', run.status as number | string | undefined);
  if (status === 'SUCCESSFUL') return 'available';
  if (status === 'FAILED' || status === 'SKIPPED') return 'failed';
  if (status === 'DELETION_PENDING' || status === 'DELETED' || status === 'DELETION_FAILED')
    return 'deleting';
  return 'creating';
}

export function cloudSqlSnapshotBackend(api: CloudSqlBackupsApi, project: string): SnapshotBackend {
  const fromRun = (run: BackupRun, instance: string): BackendSnapshot | undefined => {
    const ours = parseBackupDescription(run.description);
    const createdAt = toDate(run.startTime ?? run.enqueuedTime ?? null);
    return {
      id: ours?.id || String(toNumber(run.id as never) ?? run.id ?? ''),
      kind: 'cloudsql-instance',
      target: run.instance ?? instance,
      status: runStatus(run),
      ref: run.selfLink ?? undefined,
      createdAt,
      encrypted: true,
      kmsKeyId: run.diskEncryptionConfiguration?.kmsKeyName ?? undefined,
      tags: ours?.tags ?? {},
      handle: `run:${String(run.id ?? '')}`,
    };
  };
  const listRuns = async (instance: string): Promise<BackendSnapshot[]> => {
    const snapshots: BackendSnapshot[] = [];
    let pageToken: string | undefined;
    do {
      const [page] = await api.list({
        project,
        instance,
        maxResults: 500,
        ...(pageToken ? { pageToken } : {}),
      });
      for (const run of page.items ?? []) {
        if (enumName('backupRunType', run.type as number | string | undefined) !== 'ON_DEMAND') continue;
        const snapshot = fromRun(run, instance);
        if (snapshot) snapshots.push(snapshot);
      }
      pageToken = page.nextPageToken || undefined;
    } while (pageToken);
    return snapshots;
  };
  return {
    quotaApplies: false,
    create: async (target, snapshotId, tags) => {
      const [operation] = await api.insert({
        project,
        instance: target.id,
        body: { description: describeBackup(snapshotId, tags), instance: target.id, kind: 'sql#backupRun' },
      });
      return {
        id: snapshotId,
        kind: 'cloudsql-instance',
        target: target.id,
        status: 'creating',
        createdAt: toDate(operation.insertTime ?? null),
        tags,
        handle: operation.name ?? undefined,
      };
    },
    poll: async (snapshots) =>
      Promise.all(
        snapshots.map(async (snapshot): Promise<BackendSnapshot> => {
          if (!snapshot.handle || snapshot.handle.startsWith('run:')) {
            const runs = await listRuns(snapshot.target);
            return runs.find((run) => run.id === snapshot.id) ?? snapshot;
          }
          const [operation] = await api.getOperation({ project, operation: snapshot.handle });
          const status =
            typeof operation.status === 'number' ? OPERATION_STATUS[operation.status] : operation.status;
          if (status !== 'DONE') return { ...snapshot, status: 'creating' };
          const errors = operation.error?.errors ?? [];
          if (errors.length > 0) {
            return {
              ...snapshot,
              status: 'failed',
              failure: errors.map((error) => `${error.code}: ${error.message}`).join('; '),
            };
          }
          const backupId = operation.backupContext?.backupId;
          const id =
            backupId === undefined || backupId === null
              ? undefined
              : String(toNumber(backupId as never) ?? backupId);
          return {
            ...snapshot,
            status: 'available',
            ...(id
              ? {
                  ref: `https://sqladmin.googleapis.com/v1/projects/${project}/instances/${snapshot.target}/backupRuns/${id}`,
                  handle: `run:${id}`,
                }
              : {}),
          };
        }),
      ),
    listManual: async (_kind, targets) =>
      (await Promise.all((targets ?? []).map((target) => listRuns(target.id)))).flat(),
    delete: async (snapshot) => {
      const runId = snapshot.handle?.startsWith('run:')
        ? snapshot.handle.slice(4)
        : /backupRuns\/(\d+)$/.exec(snapshot.ref ?? '')?.[1];
      if (!runId) throw new TypeError(`backup ${snapshot.id} has no backup run id`);
      await api.delete({ project, instance: snapshot.target, id: runId as never });
    },
    classify: (error): CreateErrorKind => {
      const code = errorCode(error);
      // 409 / ABORTED (6): "operation in progress" on the instance; FAILED_PRECONDITION (9): not runnable.
      if (code === '6' || code === '9' || code === 'ABORTED' || code === 'FAILED_PRECONDITION') return 'busy';
      return 'other';
    },
  };
}
