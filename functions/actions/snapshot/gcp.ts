/**
 * The GCP side of the snapshot action: Cloud SQL targets, scheduled maintenance, and the backend: on-demand backup runs (`backupRuns.insert`), awaited
 * through `operations.get`. Backup runs have no labels, so the metadata that RDS keeps in tags goes
 * into the run's description as `key=value` pairs (https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1/backupRuns).
 * Cloud SQL keeps on-demand backups until deleted and counts them against no per-region quota.
 */
import type { protos } from '@google-cloud/sql';
import {
  BILLING_ISSUE,
  CLOUD_SQL_PASSING_STATUSES,
  CLOUD_SQL_STUCK_STATUSES,
  KMS_KEY_ISSUE,
  KMS_KEY_ISSUE_FIX,
  KMS_KEY_ISSUE_MEANING,
  SUSPENDED_STATUS,
  suspensionReasonWords,
} from '../../core/database-status.ts';
import { CloudApiError, describeError, errorCode } from '../../core/errors.ts';
import {
  backupConfigurationCommand,
  backupPlanAssociationsCommand,
  backupTierClause,
  isBackupPlanTier,
  isUnknownBackupTier,
} from '../../core/facts.ts';
import type { EncryptionKey } from '../../core/key-facts.ts';
import { pageTokens } from '../../core/paging.ts';
import type { Policy } from '../../core/policy.ts';
import { shellWord } from '../../core/shell-word.ts';
import {
  type CloudKmsApi,
  cloudKmsClientOf,
  cloudKmsKeyReader,
  cloudKmsReadFailure,
  cloudKmsReadRemedy,
  keyOfVersion,
} from '../../gcp/cloud-kms.ts';
import {
  type CloudSqlApi,
  cascadingReplicasOf,
  type DatabaseInstance,
  instanceResource,
  instanceStatus,
  isCloudSqlTarget,
  listInstances,
  otherEngineInstances,
  outsideSourceReplicas,
  replicaNamesOf,
  skipReason,
  suspensionReasonsOf,
} from '../../gcp/cloud-sql.ts';
import type { CloudSqlBackupsApi } from '../../gcp/cloud-sql-backups.ts';
import type { RestClientSource } from '../../gcp/rest-request.ts';
import { enumName, googleErrorCode, nonEmpty, toDate, toNumber } from '../../gcp/wire.ts';
import {
  type BackendSnapshot,
  type CreateErrorKind,
  type DeleteProgress,
  definedFields,
  type OtherEngineDatabase,
  type OutsideSourceReplica,
  type SnapshotBackend,
  type SnapshotCloud,
  type SnapshotKey,
  type SnapshotKeyReader,
  type SnapshotPlace,
  type SnapshotRef,
  type TargetStandIn,
  type UpcomingMaintenance,
} from './backend.ts';
import { READ_KEY_AGAIN } from './keys.ts';
import { isOurs, requestIdTag, SNAPSHOT_PURPOSE, SNAPSHOT_TAGS, type SnapshotTarget } from './model.ts';

type BackupRun = protos.google.cloud.sql.v1.IBackupRun;
type Operation = protos.google.cloud.sql.v1.IOperation;

const DESCRIPTION_MAX = 1024;

/**
 * The tags the tool reads back (adoption by id and request, pruning by expiry, the maintenance
 * event), written first: the description is cut at Cloud SQL's limit, and only free text (reason,
 * ticket, requester) may be what the cut shortens. These fit whole: the id is at most 255, the
 * request id and maintenance event at most 256 each, the expiry an ISO date.
 */
const READ_BACK: readonly string[] = [
  SNAPSHOT_TAGS.expiresAt,
  SNAPSHOT_TAGS.requestId,
  SNAPSHOT_TAGS.maintenanceEvent,
];

/** The description that carries the snapshot's id and tags: `certctl-pre-maintenance; id=…; expires-at=…; …`. */
export function describeBackup(snapshotId: string, tags: Readonly<Record<string, string>>): string {
  const entries = Object.entries(tags).filter(([key]) => key !== SNAPSHOT_TAGS.purpose);
  const pairs = [
    ['id', snapshotId] as const,
    ...entries.filter(([key]) => READ_BACK.includes(key)),
    ...entries.filter(([key]) => !READ_BACK.includes(key)),
  ].map(([key, value]) => `${key}=${descriptionValue(value)}`);
  return cutDescription([SNAPSHOT_PURPOSE, ...pairs].join('; '));
}

/**
 * What a description value cannot carry as itself: `;`, which separates its pairs, `%`, the escape,
 * and control characters (Unicode Cc, U+0000 to U+001F and U+007F to U+009F: a newline would break
 * the one line `gcloud sql backups list` shows).
 * `=` stands as itself: a pair is split at its first `=` and no key holds one, so a value may, and
 * earlier versions (which wrote `;` and `=` as `_`, so `a=b` and `a_b` read back alike) read it
 * whole too.
 */
const RESERVED = /[%;\p{Cc}]/gu;
/** The escapes {@link descriptionValue} writes, and only those: any other `%` is read as written. */
const ESCAPE = /%(25|3B|[0189][0-9A-F]|7F)/g;

/** A tag value as a description carries it: each reserved character as `%` and its two hex digits. */
function descriptionValue(value: string): string {
  return value.replace(
    RESERVED,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

/** A description value read back: the value {@link descriptionValue} was given. */
function descriptionText(value: string): string {
  return value.replace(ESCAPE, (_escape, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/**
 * A description cut at Cloud SQL's limit, never inside an escape (which would read back as `%`
 * and a digit) or between the halves of a surrogate pair: only the free text written last may be
 * what the cut shortens (READ_BACK).
 */
function cutDescription(description: string): string {
  const cut = description.slice(0, DESCRIPTION_MAX);
  return cut.replace(/%[0-9A-F]?$/, '').replace(/[\ud800-\udbff]$/, '');
}

/**
 * Whether a tag value read back from a description is `created`: the same text, or, for a backup
 * an earlier version described, `created` with `;` and `=` as `_`. The request's own backup stays
 * its own across the upgrade; two request ids differing only there never share a snapshot id
 * (model.ts snapshotIdentifier hashes the request id itself), which every comparison checks too.
 */
function sameTag(listed: string, created: string): boolean {
  return listed === created || listed === created.replace(/[;=]/g, '_');
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
    if (at > 0) tags[pair.slice(0, at)] = descriptionText(pair.slice(at + 1));
  }
  const id = tags.id ?? '';
  delete tags.id;
  return { id, tags };
}

/**
 * A backup run's status as the snapshot action and readiness read it. Only ENQUEUED and RUNNING are
 * a backup being created ("was enqueued", "is in progress"); SUCCESSFUL is the one usable state;
 * DELETION_PENDING ("about to be deleted") and DELETED are going. Any other is failed, never
 * awaited: FAILED and SKIPPED ended; DELETION_FAILED ("The backup deletion failed") is a run still
 * there, which pruning deletes again once expired rather than keeping it as being deleted;
 * OVERDUE "Indicates a problem";
 * SQL_BACKUP_RUN_STATUS_UNSPECIFIED says "The status of the run is unknown", which is also what an
 * absent status decodes to; a number the protos do not know ({@link enumName}'s
 * `BACKUPRUNSTATUS_<n>`) is a state nobody documented to end (Cloud SQL Admin v1 reference,
 * SqlBackupRunStatus). Waiting on one of those would end only at the deadline, and readiness would
 * say to wait for it rather than take a backup.
 */
function runStatus(run: BackupRun): string {
  const status = enumName('backupRunStatus', run.status as number | string | undefined);
  if (status === 'SUCCESSFUL') return 'available';
  if (status === 'ENQUEUED' || status === 'RUNNING') return 'creating';
  if (status === 'DELETION_PENDING' || status === 'DELETED') return 'deleting';
  return 'failed';
}

/** The statuses of a run that ended without a usable backup, as Cloud SQL documents them. */
const RUN_ENDED_FAILED: ReadonlySet<string> = new Set(['FAILED', 'SKIPPED', 'OVERDUE', 'DELETION_FAILED']);

/**
 * A failed run's status when Cloud SQL did not say it ended without a backup: not sent,
 * SQL_BACKUP_RUN_STATUS_UNSPECIFIED ("The status of the run is unknown") or a number the protos do
 * not know (BackendSnapshot.statusNotKnown); undefined for any other run.
 */
function runStatusNotKnown(run: BackupRun): string | undefined {
  if (runStatus(run) !== 'failed') return undefined;
  const status = enumName('backupRunStatus', run.status as number | string | undefined);
  if (status !== undefined && RUN_ENDED_FAILED.has(status)) return undefined;
  return status ?? 'not sent';
}

/** How a failed run's reason says its status: `ended FAILED`, or why a status of no end counts as failed. */
function runEnding(run: BackupRun): string {
  const status = enumName('backupRunStatus', run.status as number | string | undefined);
  if (status === 'FAILED' || status === 'SKIPPED') return `ended ${status}`;
  if (status === 'OVERDUE') return 'is OVERDUE (Cloud SQL: "Indicates a problem"): not a backup to wait for';
  if (status === 'DELETION_FAILED')
    return 'is DELETION_FAILED: a deletion of it failed, so it is not counted';
  return `${status === undefined ? 'status not sent' : `is ${status}`} (not a status of a backup being created or done): not a backup to wait for`;
}

/**
 * Why no backup run is inserted for an instance on the enhanced backup tier (ENHANCED, or its
 * deprecated name ADVANCED): Backup and DR takes its backups. The same for a tier this tool does not
 * know (core/facts.ts isBackupPlanTier): a backup run may not be the backup it keeps; its refusal
 * says to find out what manages the backups rather than name a Backup and DR trigger. Google documents `backupRuns.insert`
 * (`gcloud sql backups create`) under "Manage standard backups", which sends an instance that uses
 * enhanced backups to "Manage enhanced backups"; there an on-demand backup is a Backup and DR
 * trigger (gcloud reference, `backup-dr backup-plan-associations trigger-backup
 * BACKUP_PLAN_ASSOCIATION --location=LOCATION [--backup-rule-id=BACKUP_RULE_ID]`, "Create an on-demand
 * backup for a resource"; REST `backupPlanAssociations.triggerBackup`, permission
 * `backupdr.backupPlanAssociations.triggerBackupForCloudSqlInstance`). A run inserted anyway may fail,
 * or never be listed, and the request would wait for it until its deadline.
 */
export function backupPlanRefusal(
  target: SnapshotTarget,
): { readonly code: string; readonly message: string } | undefined {
  const tier = target.backupTier;
  if (target.kind !== 'cloudsql-instance' || !isBackupPlanTier(tier)) return undefined;
  const place = `--project=${shellWord(target.account)} --location=${shellWord(target.region)}`;
  const refused = `Cloud SQL instance ${target.id} ${backupTierClause(tier)}, and Cloud SQL documents backupRuns.insert for standard backups only, so nothing was written.`;
  if (isUnknownBackupTier(tier)) {
    // What takes its backups is not known here: a Backup and DR trigger would be a guess.
    return {
      code: 'SnapshotOnBackupPlan',
      message: `${refused} Find out what manages its backups (\`${backupConfigurationCommand(target)}\`), take the backup there, then ask readiness again.`,
    };
  }
  return {
    code: 'SnapshotOnBackupPlan',
    message: `${refused} Take the on-demand backup with \`gcloud backup-dr backup-plan-associations trigger-backup BACKUP_PLAN_ASSOCIATION ${place} --backup-rule-id=BACKUP_RULE_ID\` (BACKUP_PLAN_ASSOCIATION: the association that names this instance, listed by \`${backupPlanAssociationsCommand(target)}\`; BACKUP_RULE_ID: a rule of its backup plan), then ask readiness again.`,
  };
}

/**
 * How Cloud SQL refuses a write for the instance's state (HTTP 400, or 409 while an operation runs).
 * A refusal in a state no waiting ends (CLOUD_SQL_STUCK_STATUSES, functions/gcp/cloud-sql.ts
 * instanceStatus: STOPPED for a RUNNABLE one whose activation policy is NEVER) is not retried: Cloud
 * SQL "doesn't take a backup of an instance if you stop" it
 * (https://cloud.google.com/sql/docs/sqlserver/backup-recovery/backups) and refuses a call on an
 * instance that is not running with HTTP 400 "Invalid request since instance is not running." A
 * suspended instance waits for its billing (or other suspensionReason) to be resolved, a FAILED one
 * for a repair, a PENDING_DELETE one is going. The states that end on their own
 * (CLOUD_SQL_PASSING_STATUSES) are retried as busy.
 */
const STATE_REFUSALS = new Set(['FAILED_PRECONDITION', 'INVALID_ARGUMENT', 'ABORTED']);

/** What to do about an instance in one of the {@link CLOUD_SQL_STUCK_STATUSES} states. */
function stuckAdvice(target: SnapshotTarget): string {
  if (target.status === 'STOPPED')
    return `Start it (\`gcloud sql instances patch ${shellWord(target.id)} --project=${shellWord(target.account)} --activation-policy=ALWAYS\`)`;
  if (target.status === SUSPENDED_STATUS) return suspendedAdvice(target);
  return 'Repair or restore the instance, or take the backup of the instance that replaces it';
}

/**
 * What to do about a SUSPENDED instance, by the suspensionReason its answer sent, in the PITR
 * checks' words (core/database-status.ts): the key's fixes for KMS_KEY_ISSUE, the project's billing
 * for BILLING_ISSUE, Google for the others (LEGAL_ISSUE, OPERATIONAL_ISSUE, PROJECT_ABUSE), and how
 * to read the reason when none was sent.
 */
function suspendedAdvice(target: SnapshotTarget): string {
  const reasons = target.suspensionReasons ?? [];
  const why = suspensionReasonWords(reasons);
  if (reasons.includes(KMS_KEY_ISSUE)) {
    return `Google suspended it for its customer-managed key (${why}: ${KMS_KEY_ISSUE_MEANING}): ${KMS_KEY_ISSUE_FIX}, which its backups need as much as it does`;
  }
  if (reasons.includes(BILLING_ISSUE)) {
    return `Google suspended it for billing (${why}): resolve the problem with the Cloud Billing account of project ${shellWord(target.account)}`;
  }
  if (reasons.length > 0) return `Google suspended it (${why}): resolve the cause with Google`;
  // Google's examples (a billing problem, a Cloud KMS key) are left to the describe's answer.
  return `Read why Google suspended it (no suspensionReason was sent: \`gcloud sql instances describe ${shellWord(target.id)} --project=${shellWord(target.account)} --format="value(suspensionReason)"\`) and resolve that`;
}

/** An instance's suspensionReason names, as a target carries them; none when none was sent. */
function suspensionOf(instance: DatabaseInstance): Pick<SnapshotTarget, 'suspensionReasons'> {
  const suspensionReasons = suspensionReasonsOf(instance);
  return suspensionReasons.length > 0 ? { suspensionReasons } : {};
}

/**
 * The errors a Cloud SQL operation ended with (`error.errors[]`, each `code: message`) and the first
 * one's code, or undefined when it sent none.
 */
function operationFailure(operation: {
  readonly error?: {
    readonly errors?: readonly { code?: string | null; message?: string | null }[] | null;
  } | null;
}): { readonly code: string; readonly message: string } | undefined {
  const errors = operation.error?.errors ?? [];
  if (errors.length === 0) return undefined;
  return {
    code: errors[0]?.code || 'OPERATION_FAILED',
    message: errors.map((error) => `${error.code}: ${error.message}`).join('; '),
  };
}

/**
 * Where a DELETE_BACKUP operation stands: ended in error (its `error.errors[]`), DONE, or else still
 * running (PENDING, RUNNING, and a status not sent or not known, which is not taken for done).
 */
function deleteProgressOf(operation: Operation): DeleteProgress {
  const failure = operationFailure(operation);
  if (failure) return { state: 'failed', ...failure };
  if (enumName('operationStatus', operation.status as number | string | undefined) === 'DONE')
    return { state: 'done' };
  return { state: 'running' };
}

/** Cloud SQL operation statuses of an operation under way (SqlOperationStatus). */
const OPERATION_UNDER_WAY: ReadonlySet<string> = new Set(['PENDING', 'RUNNING']);

export function cloudSqlSnapshotBackend(api: CloudSqlBackupsApi, project: string): SnapshotBackend {
  const fromRun = (run: BackupRun, instance: string): BackendSnapshot | undefined => {
    const ours = parseBackupDescription(run.description);
    const createdAt = toDate(run.startTime ?? run.enqueuedTime ?? null);
    const status = runStatus(run);
    const failure =
      status === 'failed'
        ? `backup run ${String(run.id ?? '')} ${runEnding(run)}${
            run.error?.message ? `: ${run.error.code ? `${run.error.code}: ` : ''}${run.error.message}` : ''
          }`
        : undefined;
    const statusNotKnown = runStatusNotKnown(run);
    return {
      id: ours?.id || String(toNumber(run.id as never) ?? run.id ?? ''),
      kind: 'cloudsql-instance',
      target: run.instance ?? instance,
      status,
      ...(failure ? { failure } : {}),
      ...(statusNotKnown ? { statusNotKnown } : {}),
      ref: run.selfLink ?? undefined,
      createdAt,
      encrypted: true,
      // A customer-managed key (CMEK) and the key version the backup was encrypted with; neither for
      // Google-managed encryption, or when not sent (https://cloud.google.com/sql/docs/postgres/admin-api/rest/v1/backupRuns):
      // the key reader tells the two apart by the instance's own key (keylessRun).
      kmsKeyId: nonEmpty(run.diskEncryptionConfiguration?.kmsKeyName ?? undefined),
      kmsKeyVersion: nonEmpty(run.diskEncryptionStatus?.kmsKeyVersionName ?? undefined),
      tags: ours?.tags ?? {},
      handle: `run:${String(run.id ?? '')}`,
    };
  };
  const listRuns = async (instance: string): Promise<BackendSnapshot[]> => {
    const snapshots: BackendSnapshot[] = [];
    const nextToken = pageTokens(`backupRuns.list for instance ${instance}`, 'RepeatedPageToken');
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
      pageToken = nextToken(page.nextPageToken);
    } while (pageToken);
    return snapshots;
  };
  /**
   * Whether a listed run is `snapshot` by the tag rules, found by the id its description carries
   * (no run id known): tagged as ours and by the same request (`request-id`, written first so never
   * cut: describeBackup). A description is free text anyone who may create backups can write, so a
   * run carrying our id under another request id, or none, is not this request's snapshot.
   * `snapshot.tags` are the tags as created or as a listing read them back, and a description
   * carries a value whole, so the request id is compared as it is, or in the form an earlier
   * version's description carried it ({@link sameTag}).
   */
  const carriesOurs = (run: BackendSnapshot, snapshot: Pick<BackendSnapshot, 'id' | 'tags'>): boolean => {
    const requestId = snapshot.tags[SNAPSHOT_TAGS.requestId];
    const listed = run.tags[SNAPSHOT_TAGS.requestId];
    return (
      run.id === snapshot.id &&
      isOurs(run.tags) &&
      requestId !== undefined &&
      listed !== undefined &&
      sameTag(listed, requestId)
    );
  };
  /**
   * What the instance read again says of a backup whose operation ended in error, or undefined when
   * it says nothing more: an instance in a state no waiting ends (CLOUD_SQL_STUCK_STATUSES: Google
   * suspended it, or it was stopped, failed or is being deleted since the backup was accepted),
   * which the operation's errors need not name, said with what to do (a suspension's reason:
   * suspendedAdvice). A running instance, an answer without a state, or a read that fails add
   * nothing: the operation's errors are then all that is known (instances.get, one call, only for
   * a backup that failed).
   */
  const stateAfterFailure = async (snapshot: BackendSnapshot): Promise<string | undefined> => {
    let instance: DatabaseInstance;
    try {
      [instance] = await api.getInstance({ project, instance: snapshot.target });
    } catch {
      return undefined;
    }
    const status = statusOf(instance);
    if (status === undefined || !CLOUD_SQL_STUCK_STATUSES.has(status)) return undefined;
    const seen: SnapshotTarget = {
      provider: 'gcp',
      kind: 'cloudsql-instance',
      account: project,
      region: instance.region ?? '',
      id: snapshot.target,
      status,
      ...suspensionOf(instance),
    };
    return `read again after the backup failed, instance ${snapshot.target} is ${status}, a state it does not leave on its own: ${stuckAdvice(seen)}`;
  };
  /** The snapshot's state now; undefined when no backup run is it (SnapshotBackend.poll leaves it out). */
  const pollOne = async (snapshot: BackendSnapshot): Promise<BackendSnapshot | undefined> => {
    if (!snapshot.handle || snapshot.handle.startsWith('run:')) {
      const runs = await listRuns(snapshot.target);
      // The run itself when its id is known: once it is gone it is gone (the run reports it
      // SnapshotGone), whatever other run carries its id and tags since, which this run did not
      // start or adopt (a later run of the request weighs such a run as any it finds: run.ts).
      if (snapshot.handle) return runs.find((run) => run.handle === snapshot.handle);
      return runs.find((run) => carriesOurs(run, snapshot));
    }
    const [operation] = await api.getOperation({ project, operation: snapshot.handle });
    // Only PENDING and RUNNING are an operation known to be under way. Any other status (DONE,
    // SQL_OPERATION_STATUS_UNSPECIFIED "The state of the operation is unknown", a number the protos
    // do not know) lets the operation's error and then the backup run's own status decide, rather
    // than waiting on it until the deadline (Cloud SQL Admin v1 reference, SqlOperationStatus).
    if (
      OPERATION_UNDER_WAY.has(
        enumName('operationStatus', operation.status as number | string | undefined) ?? '',
      )
    ) {
      return { ...snapshot, status: 'creating' };
    }
    const failure = operationFailure(operation);
    if (failure) {
      const state = await stateAfterFailure(snapshot);
      return {
        ...snapshot,
        status: 'failed',
        failure: state ? `${failure.message}; ${state}` : failure.message,
      };
    }
    const id = nonEmpty(String(toNumber(operation.backupContext?.backupId as never) ?? ''));
    // The operation is not under way and has no error; the backup run itself says whether it succeeded
    // (a DONE operation's run can still say FAILED or SKIPPED), when it started and how it is
    // encrypted. The run is found by the id the operation names, else by our id in its description.
    // A run not listed, or still ENQUEUED or RUNNING, is not claimed available: it stays pending and
    // is read again from the listing next round (the deadline bounds it). Any other status is final
    // (runStatus).
    const runs = await listRuns(snapshot.target);
    const run = id
      ? runs.find((entry) => entry.handle === `run:${id}`)
      : runs.find((entry) => carriesOurs(entry, snapshot));
    const runId = id ?? run?.handle?.slice(4);
    return {
      ...snapshot,
      ...(run ? { ...definedFields(run), id: snapshot.id, tags: snapshot.tags } : { status: 'creating' }),
      ...(runId && !run?.ref
        ? {
            ref: `https://sqladmin.googleapis.com/v1/projects/${project}/instances/${snapshot.target}/backupRuns/${runId}`,
          }
        : {}),
      ...(runId ? { handle: `run:${runId}` } : {}),
    };
  };
  /**
   * A snapshot read again: `backupRuns.get` on its run id (from its selfLink or handle), one call;
   * Cloud SQL answers NOT_FOUND for a run that is gone. A run that carries another snapshot's id is
   * not this one. Without a run id, the instance's runs are listed and searched for our id under
   * the request it was taken for ({@link carriesOurs}): a run carrying our id under another request
   * id, or none, is someone else's (its description is free text), so it is not the snapshot, and
   * without the request id nothing tells ours from such a run: the read fails (not "gone").
   */
  const describeOne = async (snapshot: SnapshotRef): Promise<BackendSnapshot | undefined> => {
    const runId = /\/backupRuns\/(\d+)$/.exec(snapshot.ref ?? '')?.[1];
    if (!runId) {
      if (snapshot.requestId === undefined) {
        throw new TypeError(
          `backup ${snapshot.id} of instance ${snapshot.target} names no backup run and no request it was taken for, so no run can be told to be it rather than one carrying its id in its description`,
        );
      }
      const requestTag = requestIdTag(snapshot.requestId);
      return (await listRuns(snapshot.target)).find((run) =>
        carriesOurs(run, { id: snapshot.id, tags: { [SNAPSHOT_TAGS.requestId]: requestTag } }),
      );
    }
    let run: BackupRun;
    try {
      [run] = await api.get({ project, instance: snapshot.target, id: runId as never });
    } catch (error) {
      if (googleErrorCode(error) === 'NOT_FOUND') return undefined;
      throw error;
    }
    const state = fromRun(run, snapshot.target);
    return state?.id === snapshot.id ? state : undefined;
  };
  return {
    quotaApplies: false,
    sameTag,
    freeTextTags: true,
    // backupRuns.list is per instance: one instance's listing failing is that instance's alone.
    listsPerTarget: true,
    refusal: backupPlanRefusal,
    describe: describeOne,
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
    // One call per pending backup (operations.get has no batch form). A backup whose poll fails
    // keeps its last state and is polled again next round, and its failure is told (readFailed),
    // so a backup whose reads keep failing is not reported as seen creating at the deadline; only
    // when every poll fails is the round a failure.
    poll: async (snapshots, readFailed) => {
      const settled = await Promise.allSettled(snapshots.map((snapshot) => pollOne(snapshot)));
      const [first] = settled;
      if (first?.status === 'rejected' && settled.every((outcome) => outcome.status === 'rejected')) {
        throw first.reason;
      }
      const polled: BackendSnapshot[] = [];
      settled.forEach((outcome, index) => {
        const snapshot = snapshots[index];
        if (outcome.status === 'fulfilled' && outcome.value) polled.push(outcome.value);
        else if (outcome.status === 'rejected' && snapshot) readFailed?.(snapshot, outcome.reason);
      });
      return polled;
    },
    listManual: async (_kind, targets) =>
      (await Promise.all((targets ?? []).map((target) => listRuns(target.id)))).flat(),
    delete: async (snapshot) => {
      const runId = snapshot.handle?.startsWith('run:')
        ? snapshot.handle.slice(4)
        : /backupRuns\/(\d+)$/.exec(snapshot.ref ?? '')?.[1];
      if (!runId) throw new TypeError(`backup ${snapshot.id} has no backup run id`);
      // backupRuns.delete answers a long-running operation: the run is gone only once it ends
      // without error (a DELETE_BACKUP can end in DELETION_FAILED). It is not waited for here: the
      // prune job waits for it (deleteProgress) only before the next delete on the same instance,
      // which Cloud SQL would refuse with 409 while it runs. One already ended answers here; one
      // under way is reported as requested, naming the operation.
      const [operation] = await api.delete({ project, instance: snapshot.target, id: runId as never });
      const progress = deleteProgressOf(operation);
      if (progress.state === 'failed') {
        throw new CloudApiError(
          `backupRuns.delete of backup run ${runId} (operation ${operation.name ?? 'unnamed'}) ended in error: ${progress.message}`,
          progress.code,
        );
      }
      if (progress.state === 'done') return undefined;
      return { operation: operation.name ?? 'not named by Cloud SQL' };
    },
    deleteProgress: async (requested) => {
      const [operation] = await api.getOperation({ project, operation: requested.operation });
      return deleteProgressOf(operation);
    },
    codeOf: googleErrorCode,
    // instances.get, one call: the instance may have been stopped, suspended or have failed since it
    // was listed in a state that ends on its own (MAINTENANCE), which classify then answers at once.
    currentState: async (target) => {
      const [instance] = await api.getInstance({ project, instance: target.id });
      const status = statusOf(instance);
      return status === undefined ? undefined : { status, ...suspensionOf(instance) };
    },
    unavailableAdvice: stuckAdvice,
    // HTTP 409 (gRPC ABORTED): another operation (maintenance, an automated backup) is running on
    // the instance; Cloud SQL runs one operation per instance at a time, so it is busy, not broken.
    // A refusal of an instance listed in a state waiting does not end is answered at once.
    classify: (error, target): CreateErrorKind => {
      const code = googleErrorCode(error);
      const status = target?.status ?? '';
      if (STATE_REFUSALS.has(code) && CLOUD_SQL_STUCK_STATUSES.has(status)) return 'unavailable';
      if (code === 'ABORTED' || (STATE_REFUSALS.has(code) && CLOUD_SQL_PASSING_STATUSES.has(status)))
        return 'busy';
      return 'other';
    },
  };
}

/**
 * The GCP clients the snapshot jobs use (the GCP client factory fits): Cloud SQL, and the endpoint
 * and credentials the Cloud KMS REST client of the backups' keys is made with
 * (functions/gcp/cloud-kms.ts cloudKmsClientOf).
 */
export interface GcpSnapshotClients extends RestClientSource {
  cloudSql(): CloudSqlApi;
  cloudSqlBackups(): CloudSqlBackupsApi;
}

export interface GcpSnapshotCloudOptions {
  readonly policy: Policy;
  readonly clients: GcpSnapshotClients;
  /** Projects of this run (CLI `--project`); the policy's `gcp.projects` otherwise. */
  readonly projects?: readonly string[] | undefined;
  /** The Cloud KMS client (tests); made from `clients` otherwise. */
  readonly cloudKms?: () => Promise<CloudKmsApi>;
}

/**
 * The key of a backup run that names none. A backup run's `diskEncryptionConfiguration` is
 * "Encryption configuration specific to a backup", an instance's "Disk encryption configuration
 * specific to an instance" (https://cloud.google.com/sql/docs/postgres/admin-api/rest/v1/backupRuns,
 * https://cloud.google.com/sql/docs/postgres/admin-api/rest/v1/instances): a run without one is of
 * a Google-managed key only when its instance has none (Cloud SQL chooses customer-managed
 * encryption when the instance is created). The run of an instance with a customer-managed key
 * that does not name it is a key not sent, not judged; so is one whose instance could not be read.
 */
async function keylessRun(
  scope: { readonly account: string; readonly id: string },
  backup: string,
  instanceKeyOf: (project: string, instance: string) => Promise<string | undefined>,
): Promise<SnapshotKey> {
  const list = `\`gcloud sql backups list --instance=${shellWord(scope.id)} --project=${shellWord(scope.account)}\``;
  let instanceKey: string | undefined;
  try {
    instanceKey = await instanceKeyOf(scope.account, scope.id);
  } catch (error) {
    return {
      kind: 'unnamed',
      reason: `backup run ${backup} names no key (diskEncryptionConfiguration), and instances.get for ${scope.id} failed (${errorCode(error)}), so whether the instance uses a customer-managed key is not known`,
      action: `Make sure the function's service account holds cloudsql.instances.get on project ${scope.account} (the deployed role grants it), or read it again later.`,
    };
  }
  if (instanceKey === undefined) return { kind: 'none' };
  return {
    kind: 'unnamed',
    reason: `backup run ${backup} names no key (diskEncryptionConfiguration), but instance ${scope.id} is encrypted with the customer-managed key ${instanceKey}, so the key that decrypts it is not known`,
    action: `Read it again later (${list} shows each backup's encryption), or take a new backup.`,
  };
}

/**
 * The Cloud KMS key versions of Cloud SQL backups for one run. A backup run without `kmsKeyName` is
 * encrypted with a Google-managed key when its instance is too ({@link keylessRun}): nothing to
 * check; otherwise its key is not known. One with a customer-managed key is judged
 * by the version it names (`diskEncryptionStatus.kmsKeyVersionName`, cryptoKeyVersions.get), else
 * by the key's primary version (cryptoKeys.get), each distinct version (or key) read once per run
 * (functions/gcp/cloud-kms.ts cloudKmsKeyReader). Both reads need `roles/cloudkms.viewer`'s
 * `cloudkms.cryptoKeyVersions.get` / `cloudkms.cryptoKeys.get`. A read refused or failed (a 403, a
 * 404, throttling after retries, no credentials) is a key version not read, never a usable one,
 * worded as the audits word it (the call, the key version, the answer) and with what fixes it
 * (`action`: cloud-kms.ts cloudKmsReadRemedy, the grant on the key or what lifts the refusal).
 */
export function cloudSqlSnapshotKeyReader(
  cloudKms: () => Promise<CloudKmsApi>,
  getInstance: CloudSqlBackupsApi['getInstance'],
): SnapshotKeyReader {
  let reader:
    | Promise<(keyName: string, versionName: string | undefined) => Promise<EncryptionKey>>
    | undefined;
  const instanceKeys = new Map<string, Promise<string | undefined>>();
  /** The instance's own customer-managed key (instances.get `diskEncryptionConfiguration.kmsKeyName`), once per instance. */
  const instanceKeyOf = (project: string, instance: string) => {
    const cacheKey = `${project}/${instance}`;
    let key = instanceKeys.get(cacheKey);
    if (!key) {
      key = getInstance({ project, instance }).then(([found]) =>
        nonEmpty(found.diskEncryptionConfiguration?.kmsKeyName ?? undefined),
      );
      instanceKeys.set(cacheKey, key);
    }
    return key;
  };
  return async (scope, snapshot) => {
    const keyName = snapshot.kmsKeyId;
    if (!keyName) return keylessRun(scope, snapshot.id, instanceKeyOf);
    const versionName = snapshot.kmsKeyVersion;
    let key: EncryptionKey;
    try {
      reader ??= cloudKms().then((api) => cloudKmsKeyReader(api, READ_KEY_AGAIN));
      key = await (await reader)(keyName, versionName);
    } catch (error) {
      // The words the audits fail their scope with (functions/gcp/cloud-kms.ts cloudKmsReadFailure:
      // the reader throws that error), and what fixes the failure, not a grant it never lacked.
      const call = versionName ? 'cryptoKeyVersions.get' : 'cryptoKeys.get';
      const failure =
        error instanceof CloudApiError ? error : cloudKmsReadFailure(error, call, versionName ?? keyName);
      const id = (versionName && keyOfVersion(versionName)) || keyName;
      const action = cloudKmsReadRemedy(error, id, versionName, READ_KEY_AGAIN);
      return {
        kind: 'described',
        key: {
          id,
          manager: 'CUSTOMER',
          ...(versionName ? { version: versionName } : {}),
          unreadReason: describeError(failure),
        },
        provider: 'gcp',
        ...(action === undefined ? {} : { action }),
      };
    }
    // A key version refused or not found: the fix the reader found (the grant on the key, what
    // enables the API, the command that shows the key version), as the audits give it.
    const action = key.unreadReason === undefined ? undefined : key.remedy;
    return { kind: 'described', key, provider: 'gcp', ...(action === undefined ? {} : { action }) };
  };
}

/** An instance's status (functions/gcp/cloud-sql.ts instanceStatus); undefined when `state` was not sent. */
function statusOf(instance: DatabaseInstance): string | undefined {
  return instance.state == null ? undefined : instanceStatus(instance);
}

/**
 * The snapshot target of an instance: the audit's resource reference of it (functions/gcp/cloud-sql.ts
 * instanceResource), whose createdAt tells a backup run of an earlier instance of this name
 * (identity.ts) and whose backupTier, from the same listing, needs no call of its own
 * (backupPlanRefusal); its status (absent when `state` was not sent) tells a backup refused for it,
 * and a suspended one's suspensionReason what to do about it (suspendedAdvice).
 */
function targetOf(project: string, instance: DatabaseInstance): SnapshotTarget {
  const { account, region, id, selfLink, createdAt, backupTier } = instanceResource(project, instance);
  const status = statusOf(instance);
  return {
    provider: 'gcp',
    kind: 'cloudsql-instance',
    account,
    region,
    id,
    ...(selfLink ? { arn: selfLink } : {}),
    ...(createdAt ? { createdAt } : {}),
    ...(backupTier ? { backupTier } : {}),
    ...(status ? { status } : {}),
    ...suspensionOf(instance),
  };
}

/**
 * The read replicas a primary's own listing names, each by every name it answers to
 * ({@link replicaNamesOf}), and the replicas of those ({@link cascadingReplicasOf}), which a request
 * naming one selects the primary by as well.
 */
function replicasOf(
  primary: SnapshotTarget,
  instance: DatabaseInstance,
  listed: readonly DatabaseInstance[],
): TargetStandIn[] {
  return [
    ...replicaNamesOf(instance, listed).map((names) => ({
      names,
      relation: 'replica' as const,
      what: 'Cloud SQL read replica',
      of: primary,
    })),
    ...cascadingReplicasOf(instance, listed).map(({ names, of }) => ({
      names,
      relation: 'replica' as const,
      what: `Cloud SQL cascading read replica (${of})`,
      of: primary,
    })),
  ];
}

/**
 * Cloud SQL for PostgreSQL primaries in every project of the run, selected as the PITR audit
 * selects them (labels as tags); scheduled maintenance from the instance's
 * `scheduledMaintenance.startTime`.
 */
export function gcpSnapshotCloud(options: GcpSnapshotCloudOptions): SnapshotCloud {
  const { clients, policy } = options;
  const projects = options.projects ?? policy.gcp.projects;
  const cloudKms = options.cloudKms ?? cloudKmsClientOf(clients);
  /** Each project's selected instances, or the error that kept it from being listed. */
  const selected = (selection: Policy['targets']) =>
    Promise.all(
      projects.map(async (project) => {
        try {
          const instances = await listInstances(clients.cloudSql().instances, project);
          return {
            project,
            instances: instances.filter(
              (instance) =>
                skipReason(instance) === undefined && isCloudSqlTarget(instance, selection, instances),
            ),
            listed: instances,
          };
        } catch (error) {
          return { project, error };
        }
      }),
    );
  const notListed = (project: string, what: string, error: unknown) =>
    `${project}: ${what} not read (${describeError(error)})`;
  return {
    provider: 'gcp',
    backend: ({ account }) => cloudSqlSnapshotBackend(clients.cloudSqlBackups(), account),
    reads: ({ account }) => projects.includes(account),
    snapshotKeys: () =>
      cloudSqlSnapshotKeyReader(cloudKms, (request) => clients.cloudSqlBackups().getInstance(request)),
    async targets(selection, options = {}) {
      const targets: SnapshotTarget[] = [];
      const problems: string[] = [];
      const standIns: TargetStandIn[] = [];
      const otherEngines: OtherEngineDatabase[] = [];
      const outsideSources: OutsideSourceReplica[] = [];
      for (const entry of await selected(selection)) {
        if ('error' in entry) {
          problems.push(notListed(entry.project, 'Cloud SQL instances', entry.error));
          continue;
        }
        for (const { instance, names, source } of outsideSourceReplicas(
          entry.listed,
          entry.project,
          selection,
        )) {
          const { account, region, id } = instanceResource(entry.project, instance);
          outsideSources.push({
            provider: 'gcp',
            account,
            region,
            id,
            names,
            source: `${source}, the source representation instance of a PostgreSQL server outside Cloud SQL`,
            outside: 'Cloud SQL',
          });
        }
        for (const instance of entry.instances) {
          const target = targetOf(entry.project, instance);
          targets.push(target);
          standIns.push(...replicasOf(target, instance, entry.listed));
        }
        // instances.list sends every engine with its databaseVersion: each MySQL or SQL Server
        // instance is known without a call, selected or not (a request may name one either way).
        for (const { instance, ...found } of otherEngineInstances(entry.listed, selection)) {
          const { account, region, id } = instanceResource(entry.project, instance);
          otherEngines.push({ provider: 'gcp', account, region, id, ...found });
        }
      }
      return {
        targets,
        problems,
        ...(standIns.length > 0 ? { standIns } : {}),
        ...(outsideSources.length > 0 ? { outsideSources } : {}),
        ...(options.withOtherEngines ? { otherEngines } : {}),
      };
    },
    async maintenance(targets) {
      const upcoming: UpcomingMaintenance[] = [];
      const problems: string[] = [];
      const wanted = new Set(targets.map((target) => `${target.account}/${target.id}`));
      for (const entry of await selected(policy.targets)) {
        if ('error' in entry) {
          problems.push(notListed(entry.project, 'scheduled maintenance', entry.error));
          continue;
        }
        for (const instance of entry.instances) {
          const scheduled = instance.scheduledMaintenance;
          const source = `${entry.project}/${instance.name ?? ''}`;
          if (!scheduled || !wanted.has(source)) continue;
          // Maintenance is scheduled; a start time not sent is not read as "none" (or as any date).
          const start = toDate(scheduled.startTime ?? null);
          upcoming.push({
            target: targetOf(entry.project, instance),
            action: 'scheduled-maintenance',
            applyAt: start,
            ...(start ? {} : { dueWithoutDate: {} }),
            source,
          });
        }
      }
      return { upcoming, problems };
    },
    async snapshotPlaces() {
      const places: SnapshotPlace[] = [];
      const problems: string[] = [];
      for (const entry of await selected(policy.targets)) {
        if ('error' in entry) {
          problems.push(notListed(entry.project, 'Cloud SQL instances', entry.error));
          continue;
        }
        const backend = cloudSqlSnapshotBackend(clients.cloudSqlBackups(), entry.project);
        const targets = entry.instances.map((instance) => targetOf(entry.project, instance));
        places.push({
          account: entry.project,
          region: '*',
          backend,
          list: () => backend.listManual('cloudsql-instance', targets),
          targets,
        });
      }
      return { places, problems };
    },
  };
}
