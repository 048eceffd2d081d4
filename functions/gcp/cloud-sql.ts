/**
 * Cloud SQL adapter: reads one project's Cloud SQL for PostgreSQL primaries and turns them into
 * neutral {@link PitrFact}s. It never decides pass/fail.
 *
 * Calls per project: `instances.list` (every page, 1000 per page, the documented maximum), then per
 * target instance at most one of
 * - `instances.getLatestRecoveryTime` when PITR is on (or unreadable) and the transaction logs are in
 *   Cloud Storage (or their storage state is unreadable): the real window
 *   (`earliestRecoveryTime` .. `latestRecoveryTime`). The call only serves PITR instances whose logs
 *   are in Cloud Storage (gcloud reference, `sql instances get-latest-recovery-time`);
 * - `backupRuns.list` when PITR is on but `transactionalLogStorageState` says the logs are on disk
 *   (`DISK`, or `SWITCHING_TO_CLOUD_STORAGE` until the switch completes): the window starts at the
 *   later of the oldest successful automated backup and now - `transactionLogRetentionDays` (a
 *   restore needs a base backup and the logs after it), and the latest recovery time is unknown. A
 *   window derived from settings (`derived`), which `pitr.window` never passes: the logs may not
 *   reach back the days set yet. The fact carries the storage state (`cloudSql.logStorage`), from
 *   which `pitr.lag` says why it cannot measure the lag and how to switch the logs;
 * - `backupRuns.list` when PITR is off: without write-ahead logs the only restore points are the
 *   successful automated backups, so the window runs from the oldest to the newest of them;
 * - neither when `backupTier` is ENHANCED (Backup and DR manages the backups): the window is unknown
 *   (`backupPlanWindow`) and the checks name the backup plan to look at instead.
 * `backupRuns.list` lists newest first, so every page is read to reach the oldest. Only AUTOMATED
 * runs count: ON_DEMAND backups are kept until someone deletes them, outside every retention
 * setting, so one old manual backup would make the window look as long as its age.
 *
 * A failure of either call that answers for the instance (refused, not found, a precondition) makes
 * only that instance's window unknown; one that fails for the call (throttled, a server error, a
 * timeout, once gax's retries are spent: core/errors.ts saysNothingOfTheResource) fails the whole
 * project (the caller's scope), as a failed listing does, and as the dumps and keys audits' reads do.
 */

import type { protos } from '@google-cloud/sql';
import { mapWithConcurrency } from '../core/audit.ts';
import {
  CloudApiError,
  CredentialsError,
  callFailure,
  isAccessDenied,
  isPermissionRefusal,
  quotedAnswer,
  refusalAdvice,
  refusalNotOfPermission,
  saysNothingOfTheResource,
} from '../core/errors.ts';
import {
  type CloudSqlEdition,
  type CollectedFacts,
  cloudSqlLogDaysOutsideRange,
  DEFAULT_BACKUP_LOCATION,
  EDITION_NOT_SENT,
  isBackupPlanTier,
  isUnknownBackupTier,
  type PitrFact,
  REGION_NOT_SENT,
  type RestoreWindow,
  type SelectedOtherEngine,
  type TaggedStandIn,
} from '../core/facts.ts';
import type { ResourceRef } from '../core/finding.ts';
import { pageTokens } from '../core/paging.ts';
import type { Policy } from '../core/policy.ts';
import { isTarget, selectedBy, targetTagOf } from '../core/targets.ts';
import { DAY_MS } from '../core/time.ts';
import type {
  ReadBackupConfiguration,
  ReadBackupRun,
  ReadBackupRunsListResponse,
  ReadDatabaseInstance,
  ReadInstancesListResponse,
  ReadLatestRecoveryTimeResponse,
} from './cloud-sql-read-view.ts';
import type { GcpCollector } from './collectors.ts';
import {
  cloudSqlRetries,
  enumName,
  googleErrorCode,
  googleErrorMessage,
  isKnownEnum,
  nonEmpty,
  throttledUntilGivenUp,
  toDate,
  unwrap,
} from './wire.ts';

/** An instance as the read clients decode it: the fields of functions/gcp/cloud-sql-read-view.ts. */
type DatabaseInstance = ReadDatabaseInstance;
type BackupRun = ReadBackupRun;

/**
 * The two Cloud SQL Admin reads on instances the adapter uses (a `SqlInstancesServiceClient` fits).
 * The answers are typed as the read view: a field the read clients do not decode cannot be read.
 */
export interface CloudSqlInstancesApi {
  list(
    request: protos.google.cloud.sql.v1.ISqlInstancesListRequest,
  ): Promise<[ReadInstancesListResponse, ...unknown[]]>;
  getLatestRecoveryTime(
    request: protos.google.cloud.sql.v1.ISqlInstancesGetLatestRecoveryTimeRequest,
  ): Promise<[ReadLatestRecoveryTimeResponse, ...unknown[]]>;
}

/** The backup-runs read the adapter uses (a `SqlBackupRunsServiceClient` fits). */
export interface CloudSqlBackupRunsApi {
  list(
    request: protos.google.cloud.sql.v1.ISqlBackupRunsListRequest,
  ): Promise<[ReadBackupRunsListResponse, ...unknown[]]>;
}

/** What the adapter needs from Cloud SQL; `GcpClientFactory.cloudSql()` provides the real one. */
export interface CloudSqlApi {
  readonly instances: CloudSqlInstancesApi;
  readonly backupRuns: CloudSqlBackupRunsApi;
}

export interface CloudSqlReadOptions {
  /**
   * Per-instance reads (`getLatestRecoveryTime`, `backupRuns.list`) in flight at once per project.
   * @default 10 — bounded so a large project does not burst the Admin API's per-minute request
   * quota (429s are retried by the client factory's policy); a 50-instance project takes five rounds.
   */
  readonly instanceConcurrency?: number;
  /** `maxResults` for `instances.list`. @default 1000, the documented maximum. */
  readonly pageSize?: number;
  /** The clock the log-retention bound of a window from backup runs is measured on. @default the real clock */
  readonly now?: () => Date;
}

export const DEFAULT_INSTANCE_CONCURRENCY = 10;
/** instances.list: "If unspecified, at most 500 instances are returned. The maximum value is 1000". */
export const INSTANCES_PAGE_SIZE = 1000;
const BACKUP_RUNS_PAGE_SIZE = 500;

/**
 * Policy tags become GCP labels in this one place. Label keys and values allow only lowercase
 * letters, digits, `_` and `-` (keys start with a letter, both at most 63 characters), so a policy
 * tag `certctl:backup-guard=enabled` is found on an instance as the label
 * `certctl-backup-guard: enabled`: lowercase, and every other character becomes `-`.
 */
export function labelForTag(tag: { readonly key: string; readonly value: string }): {
  key: string;
  value: string;
} {
  const normalize = (text: string): string =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, '-')
      .slice(0, 63);
  return { key: normalize(tag.key), value: normalize(tag.value) };
}

/**
 * The instance's labels in the policy's tag vocabulary: every policy tag whose label form the
 * instance carries, plus the raw labels (so a policy that already writes label keys also matches).
 */
export function tagsFromLabels(
  labels: Readonly<Record<string, string>>,
  policyTags: Policy['targets']['tags'],
): Record<string, string> {
  const tags: Record<string, string> = { ...labels };
  for (const tag of policyTags) {
    const label = labelForTag(tag);
    if (labels[label.key] === label.value) tags[tag.key] = tag.value;
  }
  return tags;
}

/** Instance types that are primaries; replicas, read pools, on-premises sources are never judged. */
const PRIMARY_TYPES = new Set(['CLOUD_SQL_INSTANCE', 'SQL_INSTANCE_TYPE_UNSPECIFIED']);

/**
 * The instance's `databaseVersion` when the protos know it to be another engine than PostgreSQL;
 * undefined otherwise. An unknown number (a version newer than the library) may be a new
 * PostgreSQL, and a selected target is never silently dropped.
 */
function otherEngineOf(instance: DatabaseInstance): string | undefined {
  const version = enumName('databaseVersion', instance.databaseVersion);
  const otherEngine =
    version !== undefined &&
    version !== 'SQL_DATABASE_VERSION_UNSPECIFIED' &&
    isKnownEnum('databaseVersion', version) &&
    !version.startsWith('POSTGRES');
  return otherEngine ? version : undefined;
}

/** Why an instance is not audited, or undefined when it is a PostgreSQL primary. */
export function skipReason(instance: DatabaseInstance): string | undefined {
  const otherEngine = otherEngineOf(instance);
  if (otherEngine) return `engine ${otherEngine}`;
  // Likewise only a type the protos know to be something else (a replica, a read pool, an
  // on-premises source) is skipped: an unknown number may be a new kind of primary. A replica of any
  // type still names its primary in masterInstanceName and is skipped below.
  const type = enumName('instanceType', instance.instanceType) ?? 'SQL_INSTANCE_TYPE_UNSPECIFIED';
  if (isKnownEnum('instanceType', type) && !PRIMARY_TYPES.has(type)) return `instance type ${type}`;
  if (nonEmpty(instance.masterInstanceName)) return `replica of ${instance.masterInstanceName}`;
  return undefined;
}

/** The instance's `instanceType` when the protos do not list it; undefined for a known or absent one. */
function unknownInstanceType(instance: DatabaseInstance): string | undefined {
  const type = enumName('instanceType', instance.instanceType);
  return type !== undefined && !isKnownEnum('instanceType', type) ? type : undefined;
}

/** ` <the reads were throttled>.`, a sentence after a message ({@link throttledUntilGivenUp}), or ''. */
function throttledNote(error: unknown): string {
  const words = throttledUntilGivenUp(error);
  return words === undefined ? '' : ` ${words}.`;
}

/**
 * Every instance of a project, all pages, each once. Throws {@link CloudApiError} when any page fails
 * or two pages send different copies of one instance.
 */
export async function listInstances(
  api: CloudSqlInstancesApi,
  project: string,
  pageSize = INSTANCES_PAGE_SIZE,
): Promise<DatabaseInstance[]> {
  const instances: DatabaseInstance[] = [];
  const byName = new Map<string, DatabaseInstance>();
  const nextToken = pageTokens(`Cloud SQL instances.list for project ${project}`, 'RepeatedPageToken');
  let pageToken: string | undefined;
  do {
    let page: ReadInstancesListResponse;
    try {
      [page] = await api.list({ project, maxResults: pageSize, ...(pageToken ? { pageToken } : {}) });
    } catch (error) {
      // No credentials at all is not a permission of the project: say what is missing instead.
      if (error instanceof CredentialsError) throw error;
      const code = googleErrorCode(error);
      // A role is the fix only when the API said no; an endpoint that never answered says where to look itself.
      // A disabled API, disabled billing, a VPC Service Controls perimeter (core/errors.ts
      // refusalNotOfPermission) is also PERMISSION_DENIED, and no role on the project fixes it.
      const notOfPermission = refusalNotOfPermission(error, { project, service: CLOUD_SQL_ADMIN_SERVICE });
      const hint = notOfPermission
        ? ` No role on that project fixes it: ${notOfPermission}, or remove the project from the policy.`
        : isAccessDenied(code)
          ? " The audit's service account needs cloudsql.instances.list (roles/cloudsql.viewer) in that project."
          : throttledNote(error);
      throw new CloudApiError(
        `Cloud SQL instances.list failed for project ${project} with ${code}: ${googleErrorMessage(error)}.${hint}`,
        code,
        { cause: error },
      );
    }
    // A 200 can still say that it left instances out (a region did not answer): a listing that
    // may be incomplete must not be judged complete, or the missing instances read as deleted.
    // So may a warning whose code Google does not document, or documents only as "unknown or unset".
    const incomplete = (page.warnings ?? [])
      .map((warning) => ({ warning, code: enumName('apiWarningCode', warning.code) ?? WARNING_UNSPECIFIED }))
      .find(({ code }) => !WARNINGS_NOT_ABOUT_THE_LIST.has(code));
    if (incomplete) {
      const { warning, code } = incomplete;
      const region = nonEmpty(warning.region);
      const unknown = INCOMPLETE_LIST_WARNINGS.has(code)
        ? ''
        : ' (a warning this tool does not know to leave the listing complete)';
      throw new CloudApiError(
        `Cloud SQL instances.list for project ${project} may be incomplete: ${code}${region ? ` (region ${region})` : ''}: ${nonEmpty(warning.message) ?? 'the returned result set may be incomplete'}${unknown}.`,
        code,
      );
    }
    // No `items` is a legitimately empty page, unlike an RDS answer without its list element
    // (functions/aws/rds.ts readAllPages): the Cloud SQL Admin API is defined in proto3
    // (google/cloud/sql/v1/cloud_sql_instances.proto, InstancesListResponse.items), whose JSON
    // mapping omits fields holding their default value, an empty repeated field included
    // (protobuf.dev, proto3 JSON mapping: "fields with default values are omitted by default").
    for (const instance of page.items ?? []) {
      const name = nonEmpty(instance.name);
      const earlier = name === undefined ? undefined : byName.get(name);
      if (name !== undefined && earlier === undefined) byName.set(name, instance);
      if (earlier === undefined) {
        instances.push(instance);
        continue;
      }
      // A name is unique in a project, so a listing that sends it twice (it changed while it was
      // paged) holds two facts of one instance: two findings of one Id, the later imported winning.
      // The same copy twice is one instance; two different copies leave the current one unknown.
      if (JSON.stringify(earlier) !== JSON.stringify(instance)) {
        throw new CloudApiError(
          `Cloud SQL instances.list for project ${project} listed instance ${name} twice, and the two copies differ (the listing changed while it was paged), so which is current is not known. Run the audit again.`,
          'RepeatedInstance',
        );
      }
    }
    pageToken = nextToken(page.nextPageToken);
  } while (pageToken);
  return instances;
}

/** The Cloud SQL Admin API's service name, which `gcloud services enable` takes. */
const CLOUD_SQL_ADMIN_SERVICE = 'sqladmin.googleapis.com';

/**
 * `ApiWarning` codes with which instances.list says "the returned result set may be incomplete"
 * (google/cloud/sql/v1/cloud_sql_resources.proto). Known codes arrive as names (gax and the lean
 * path map them).
 */
const INCOMPLETE_LIST_WARNINGS: ReadonlySet<string> = new Set([
  'REGION_UNREACHABLE',
  'MAX_RESULTS_EXCEEDS_LIMIT',
]);

/**
 * The `SqlApiWarningCode`s Google documents for something other than a listing's result set:
 * COMPROMISED_CREDENTIALS "when user tries to create/update a user with credentials that have
 * previously been compromised", INTERNAL_STATE_FAILURE "when the operation succeeds but some
 * non-critical workflow state failed" (Cloud SQL Admin v1 reference, ApiWarning). Any other warning
 * on instances.list, SQL_API_WARNING_CODE_UNSPECIFIED ("An unknown or unset warning type") and a
 * number the protos do not know included, leaves the listing possibly incomplete.
 */
const WARNINGS_NOT_ABOUT_THE_LIST: ReadonlySet<string> = new Set([
  'COMPROMISED_CREDENTIALS',
  'INTERNAL_STATE_FAILURE',
]);
const WARNING_UNSPECIFIED = 'SQL_API_WARNING_CODE_UNSPECIFIED';

/** The window from `getLatestRecoveryTime`, or unknown with the API's error code. */
async function recoveryWindow(
  api: CloudSqlInstancesApi,
  project: string,
  instance: string,
): Promise<RestoreWindow> {
  try {
    const [answer] = await api.getLatestRecoveryTime({ project, instance });
    const earliest = toDate(answer.earliestRecoveryTime);
    const latest = toDate(answer.latestRecoveryTime);
    // Each time is judged only when sent: `earliestRecoveryTime` is the newer field of the answer
    // (SqlInstancesGetLatestRecoveryTimeResponse: `latestRecoveryTime`, `earliestRecoveryTime`,
    // cloud.google.com/sql/docs/postgres/admin-api/rest/v1/projects.instances/getLatestRecoveryTime),
    // so an answer without it still measures the lag (pitr.lag) while pitr.window is not evaluated.
    // An answer with neither says nothing about the window, not that it is empty.
    if (!earliest && !latest) {
      return {
        known: false,
        reason:
          'instances.getLatestRecoveryTime returned neither earliestRecoveryTime nor latestRecoveryTime',
      };
    }
    return { known: true, earliest, latest, source: 'instances.getLatestRecoveryTime' };
  } catch (error) {
    failScopeOnCallFailure('instances.getLatestRecoveryTime', project, instance, error);
    return instanceReadFailure(
      'instances.getLatestRecoveryTime',
      project,
      instance,
      error,
      'cloudsql.instances.get',
    );
  }
}

/**
 * When a backup run's restore point was taken: its end time ("The time the backup operation
 * completed"), or its start ("The time the backup operation actually started") when it has none;
 * undefined when it sent neither (Cloud SQL Admin v1 reference, BackupRun). `windowStartTime` is no
 * date of the run: it is "the start time of the backup window during which this the backup was
 * attempted", and a backup "can start any time during the" 4-hour window (gcloud sql instances
 * patch, --backup-start-time), so it may be hours early.
 */
function backupPoint(run: BackupRun): Date | undefined {
  return toDate(run.endTime) ?? toDate(run.startTime);
}

/** Why the backups' span is not known when successful runs came without a date ({@link backupPoint}). */
function undatedRunsReason(undated: number): string {
  return `backupRuns.list sent ${undated} SUCCESSFUL AUTOMATED run${undated === 1 ? '' : 's'} with neither endTime nor startTime (${undated === 1 ? 'its windowStartTime is' : 'their windowStartTime is'} only the start of the 4-hour window the backup was attempted in), so the oldest and newest backups are not known`;
}

/**
 * Why the backup runs of an instance listed without its `createTime` may include an earlier
 * instance's of that name: what a window read from them says ({@link RestoreWindow}
 * `mayIncludeEarlierInstance`).
 */
const CREATE_TIME_NOT_SENT =
  "the instance was listed without its createTime, so its backup runs cannot be told to be of this instance rather than of an earlier one of that name (a deleted instance's name can be reused at once, and a backup run names its instance only by its name)";

/**
 * The oldest and newest restore points of the successful AUTOMATED backup runs, every page read.
 * A run whose point is before the instance's `createTime` is of an earlier instance of the name
 * ("the deleted instance name can be reused immediately", cloud.google.com/sql/docs/postgres/delete-instance;
 * a backup run names only its instance): it is no restore point of this instance's history and is
 * not counted (the snapshot action tells them apart the same way, functions/actions/snapshot/identity.ts).
 * Without a createTime every run is counted, and the window read from them says it may include an
 * earlier instance's ({@link CREATE_TIME_NOT_SENT}): a value not sent is not evaluated.
 */
async function automatedBackupPoints(
  api: CloudSqlBackupRunsApi,
  project: string,
  instance: string,
  createdAt: Date | undefined,
): Promise<{ oldest: Date | undefined; newest: Date | undefined; undated: number }> {
  let oldest: Date | undefined;
  let newest: Date | undefined;
  // Successful automated runs sent with no date: any of them may be the oldest or the newest.
  let undated = 0;
  const nextToken = pageTokens(`backupRuns.list for instance ${instance}`, 'RepeatedPageToken');
  let pageToken: string | undefined;
  do {
    const [page] = await api.list({
      project,
      instance,
      maxResults: BACKUP_RUNS_PAGE_SIZE,
      ...(pageToken ? { pageToken } : {}),
    });
    for (const run of page.items ?? []) {
      if (enumName('backupRunStatus', run.status) !== 'SUCCESSFUL') continue;
      if (enumName('backupRunType', run.type) !== 'AUTOMATED') continue;
      const point = backupPoint(run);
      if (!point) {
        undated += 1;
        continue;
      }
      if (createdAt && point < createdAt) continue;
      if (!oldest || point < oldest) oldest = point;
      if (!newest || point > newest) newest = point;
    }
    pageToken = nextToken(page.nextPageToken);
  } while (pageToken);
  return { oldest, newest, undated };
}

/**
 * Throws, failing the project, when a per-instance read failed for the call rather than for the
 * instance (core/errors.ts saysNothingOfTheResource): read as an answer, it left the instance
 * NOT_AVAILABLE in a project reported complete, which a publisher then settles as if the instance
 * had been read. A read gax gave up on after RESOURCE_EXHAUSTED says it was throttled
 * ({@link throttledUntilGivenUp}) rather than only that it timed out.
 */
function failScopeOnCallFailure(read: string, project: string, instance: string, error: unknown): void {
  if (!saysNothingOfTheResource(error)) return;
  const what = `Cloud SQL ${read} for instance ${instance} in project ${project}`;
  const code = googleErrorCode(error);
  const throttled = throttledUntilGivenUp(error);
  // Coded by the status name (gax's own code is the gRPC number), as the listing's failure is. A
  // read gax gave up on while every attempt was refused RESOURCE_EXHAUSTED was throttled through
  // its retries (gax retries RESOURCE_EXHAUSTED), whatever its own DEADLINE_EXCEEDED says.
  const reason = `${code}: ${googleErrorMessage(error)}`;
  const message =
    throttled === undefined
      ? callFailure(what, reason, error, cloudSqlRetries(error)).message
      : `${callFailure(what, reason, error, true, 'throttled').message}. ${throttled}.`;
  throw new CloudApiError(message, code, { cause: error });
}

function backupRunsFailure(project: string, instance: string, error: unknown): RestoreWindow {
  failScopeOnCallFailure('backupRuns.list', project, instance, error);
  return instanceReadFailure('backupRuns.list', project, instance, error, 'cloudsql.backupRuns.list');
}

/**
 * Why a per-instance read (`read`, which needs `permission`) answered for the instance rather than
 * for the call ({@link failScopeOnCallFailure} let it pass): what Cloud SQL's code means here and
 * what to do, with the code and Cloud SQL's own words (core/errors.ts quotedAnswer) in parentheses,
 * as the Cloud KMS and Resource Manager reads word theirs. A refusal no role fixes (an API off, a VPC
 * Service Controls perimeter: core/errors.ts refusalNotOfPermission) says so instead of a role.
 */
function instanceReadRefused(
  read: string,
  project: string,
  instance: string,
  error: unknown,
  permission: string,
): string {
  const code = googleErrorCode(error);
  const message = quotedAnswer(googleErrorMessage(error));
  const answered = (label: string) => `${label}${message ? `: ${message}` : ''}`;
  if (isAccessDenied(code)) {
    const notOfPermission = refusalNotOfPermission(error, { project, service: CLOUD_SQL_ADMIN_SERVICE });
    const reason = (error as { reason?: unknown }).reason;
    if (notOfPermission) {
      return `${read} was refused (${answered(typeof reason === 'string' ? reason : code)}): ${notOfPermission}`;
    }
    return `${read} was denied (${answered(code)}): the service account that made the call (the audit, snapshot or chat-action function's) needs ${permission} in project ${project} (roles/cloudsql.viewer grants it)`;
  }
  switch (code) {
    case 'NOT_FOUND':
      return `${read} found no instance ${instance} in project ${project} (${answered(code)}): it was most likely deleted after this run listed it; run the audit again, which no longer lists it if so`;
    case 'FAILED_PRECONDITION':
      // "This is currently limited to PostgreSQL instances that are PITR enabled with logs stored
      // in cloud storage" (gcloud sql instances get-latest-recovery-time, DESCRIPTION).
      return `${read} was refused for the instance's setup or state (${answered(code)}): ${
        read === 'instances.getLatestRecoveryTime'
          ? 'Cloud SQL answers it only for an instance with point-in-time recovery on and its transaction logs in Cloud Storage'
          : 'Cloud SQL answers so for an instance in a state the read is not allowed in'
      }; look at the instance (\`gcloud sql instances describe ${instance} --project ${project}\`) and run the audit again`;
    case 'UNAUTHENTICATED':
      return `${read} was refused because Cloud SQL did not accept the credentials that made the call (${answered(code)}): they have expired or were revoked; check the function's service account and run the audit again`;
    case 'INVALID_ARGUMENT':
    case 'OUT_OF_RANGE':
      return `${read} was refused as an invalid request for instance ${instance} (${answered(code)}): it says nothing of the instance; run the audit again, and if it keeps failing, raise it with the maintainers of backup-guard, quoting this message`;
    default:
      return `${read} failed (${answered(code)})`;
  }
}

/**
 * The unknown window of a per-instance read that answered for the instance ({@link
 * instanceReadRefused} words why), and what fixes it: a grant of the permission the read needs only
 * when a grant can (core/errors.ts isPermissionRefusal); the two reads need different ones (the
 * deployed role grants cloudsql.instances.get for getLatestRecoveryTime and
 * cloudsql.backupRuns.list for backupRuns.list; Cloud SQL docs, "Required permissions for common
 * tasks": listing backups needs cloudsql.backupRuns.list), so a finding names the one that is
 * missing. A refusal no role fixes (an API off, a VPC Service Controls perimeter) carries its
 * remedy instead.
 */
export function instanceReadFailure(
  read: string,
  project: string,
  instance: string,
  error: unknown,
  permission: string,
): RestoreWindow {
  const reason = instanceReadRefused(read, project, instance, error, permission);
  if (isPermissionRefusal(error, googleErrorCode(error)))
    return { known: false, reason, accessDenied: true, permission };
  const notOfPermission = isAccessDenied(googleErrorCode(error))
    ? refusalNotOfPermission(error, { project, service: CLOUD_SQL_ADMIN_SERVICE })
    : undefined;
  return {
    known: false,
    reason,
    accessDenied: false,
    ...(notOfPermission ? { remedy: refusalAdvice(notOfPermission) } : {}),
  };
}

/** PITR off: the window spanned by the successful automated backups, or unknown when listing fails. */
async function backupWindow(
  api: CloudSqlBackupRunsApi,
  project: string,
  instance: string,
  createdAt: Date | undefined,
): Promise<RestoreWindow> {
  try {
    const { oldest, newest, undated } = await automatedBackupPoints(api, project, instance, createdAt);
    if (undated > 0) return { known: false, reason: undatedRunsReason(undated) };
    return {
      known: true,
      earliest: oldest,
      latest: newest,
      source: 'backupRuns.list (SUCCESSFUL AUTOMATED runs, PITR off)',
      ...(createdAt === undefined && oldest !== undefined
        ? { mayIncludeEarlierInstance: CREATE_TIME_NOT_SENT }
        : {}),
    };
  } catch (error) {
    return backupRunsFailure(project, instance, error);
  }
}

/**
 * The window of an instance whose backups Backup and DR manages (backupTier ENHANCED): not read. Its
 * backups are in a backup vault, and a point-in-time restore of it starts from the Backup and DR data
 * source (`instances.pointInTimeRestore`, "Point in time restore for an instance managed by Google
 * Cloud Backup and Disaster Recovery", whose PointInTimeRestoreContext names the `datasource`
 * `projects/{project}/locations/{region}/backupVaults/{backupvault}/dataSources/{datasource}`).
 * Google documents neither `backupRuns.list` nor `getLatestRecoveryTime` as reporting that data
 * source, so neither is called: their answer would be no evidence of what can be restored.
 */
function backupPlanWindow(tier: string): RestoreWindow {
  return {
    known: false,
    reason: `${isUnknownBackupTier(tier) ? `backupConfiguration.backupTier=${tier} is a backup tier this tool does not know: its backups may be kept elsewhere, as Backup and DR keeps enhanced ones` : `backupConfiguration.backupTier=${tier}: Backup and DR keeps this instance's backups in a backup vault`}, which backupRuns.list and instances.getLatestRecoveryTime are not documented to report`,
  };
}

/**
 * Transaction-log storage states in which `getLatestRecoveryTime` cannot answer: the logs are on the
 * data disk, or still moving to Cloud Storage (the switch takes about the log retention period).
 */
const LOGS_OUTSIDE_CLOUD_STORAGE = new Set(['DISK', 'SWITCHING_TO_CLOUD_STORAGE']);

/**
 * PITR on with the logs on disk: a point in time needs a base backup and the logs after it, so the
 * earliest restorable point is the later of the oldest successful automated backup and
 * now - `transactionLogRetentionDays`, at best: logs are kept only from when point-in-time recovery
 * was turned on or the days last raised, which no API reports. The window is derived, not reported
 * (`derived`: an upper bound that proves a window too short, never one long enough), so days outside the
 * documented edition's range (`outsideRange`: 0 with backups on, more than ENTERPRISE's 7 or
 * ENTERPRISE_PLUS's 35) derive none: they say nothing of the days kept. Without a documented edition
 * the days are capped at the widest any edition keeps (`cap`), as pitr.retention judges them as
 * sent. The latest point is not reported anywhere for such logs.
 */
async function logsOnDiskWindow(
  api: CloudSqlBackupRunsApi,
  project: string,
  instance: string,
  logStorage: string,
  logRetentionDays: number | undefined,
  now: Date,
  createdAt: Date | undefined,
  cap: { readonly on: string; readonly maxDays: number },
  outsideRange: string | undefined,
): Promise<RestoreWindow> {
  const state = `transactionalLogStorageState=${logStorage}`;
  if (logRetentionDays === undefined) {
    return {
      known: false,
      reason: `the transaction logs are not in Cloud Storage (${state}), so instances.getLatestRecoveryTime cannot report the window, and transactionLogRetentionDays could not be read to bound it`,
    };
  }
  if (outsideRange !== undefined) {
    // Days the instance cannot keep say nothing of the days it does keep: capped at the edition's
    // maximum they could make a window the logs never held, and 0 one that holds nothing.
    return {
      known: false,
      reason: `the transaction logs are not in Cloud Storage (${state}), so instances.getLatestRecoveryTime cannot report the window, and ${outsideRange}, so no window is derived from it`,
    };
  }
  let oldest: Date | undefined;
  let undated: number;
  try {
    ({ oldest, undated } = await automatedBackupPoints(api, project, instance, createdAt));
  } catch (error) {
    return backupRunsFailure(project, instance, error);
  }
  // This window is derived, not reported: log days beyond what the edition keeps hold no older log.
  const keptDays = Math.min(logRetentionDays, cap.maxDays);
  const logsFrom = now.getTime() - keptDays * DAY_MS;
  // An undated run may be older than the oldest dated one: that matters only when the log days do
  // not bound the window before it.
  if (undated > 0 && (oldest === undefined || oldest.getTime() > logsFrom)) {
    return { known: false, reason: undatedRunsReason(undated) };
  }
  // No automated backup means no base backup: then no point in time can be restored at all.
  const earliest = oldest === undefined ? undefined : new Date(Math.max(oldest.getTime(), logsFrom));
  return {
    known: true,
    earliest,
    latest: undefined,
    source: `oldest AUTOMATED backup run and transactionLogRetentionDays=${logRetentionDays}${keptDays < logRetentionDays ? `, of which Cloud SQL keeps at most ${cap.maxDays} on ${cap.on}` : ''}; ${state}`,
    derived: `the transaction logs are not in Cloud Storage (${state}), so Cloud SQL reports no restore window for it (instances.getLatestRecoveryTime); the window is derived from its oldest automated backup and transactionLogRetentionDays=${logRetentionDays}`,
    // The base backup the window starts from may be an earlier instance's.
    ...(createdAt === undefined && oldest !== undefined
      ? { mayIncludeEarlierInstance: CREATE_TIME_NOT_SENT }
      : {}),
  };
}

/**
 * The platform's range for `transactionLogRetentionDays` by edition (Cloud SQL docs, "Use
 * point-in-time recovery": Enterprise 1-7 days, Enterprise Plus 1-35). An instance without an
 * edition predates editions and is Enterprise. Developer is held to the Enterprise range: no
 * documented range is wider, and a too-wide range would hide an impossible target.
 */
export function retentionRangeFor(edition: CloudSqlEdition): { min: number; max: number } {
  return edition === 'ENTERPRISE_PLUS' ? { min: 1, max: 35 } : { min: 1, max: 7 };
}

/**
 * The most days of transaction logs the instance's edition keeps, and where that limit holds: 7 on
 * ENTERPRISE (documented, see {@link retentionRangeFor}); on any other edition, one not sent or not
 * known included, 35, the widest Cloud SQL documents (an instance without an edition may keep more
 * than 7: the PITR checks judge such days as sent, functions/checks/pitr/wording.ts `maxRetentionDays`).
 */
function logDaysCapOf(instance: DatabaseInstance): { readonly on: string; readonly maxDays: number } {
  return editionOf(instance) === 'ENTERPRISE'
    ? { on: 'the ENTERPRISE edition', maxDays: retentionRangeFor('ENTERPRISE').max }
    : { on: 'any edition', maxDays: retentionRangeFor('ENTERPRISE_PLUS').max };
}

/**
 * Why the instance's `transactionLogRetentionDays` is no setting it can have, with automated backups
 * on (core/facts.ts cloudSqlLogDaysOutsideRange, the rule pitr.retention judges by); undefined when it
 * is one. An edition this tool does not know is no documented edition.
 */
function logDaysOutsideRange(instance: DatabaseInstance, days: number | undefined): string | undefined {
  if (unwrap(instance.settings?.backupConfiguration?.enabled, 'boolean') === false) return undefined;
  const name = editionOf(instance);
  const documented = name === 'ENTERPRISE' || name === 'ENTERPRISE_PLUS';
  return cloudSqlLogDaysOutsideRange(days, { name, documented }, retentionRangeFor(name));
}

function editionOf(instance: DatabaseInstance): CloudSqlEdition {
  const edition = enumName('edition', instance.settings?.edition);
  if (edition === 'ENTERPRISE' || edition === 'ENTERPRISE_PLUS' || edition === 'DEVELOPER') return edition;
  return 'UNSPECIFIED';
}

/**
 * The instance's `settings.edition` when the protos do not know it (a number gax leaves as is, shown
 * as `EDITION_<n>`, or a newer name); undefined for a known or absent one. An absent edition decodes
 * as EDITION_UNSPECIFIED, an instance from before editions (Enterprise-class); an unknown one is not,
 * nor is one of an answer without settings ({@link EDITION_NOT_SENT}): its edition was not sent.
 */
function unknownEditionOf(instance: DatabaseInstance): string | undefined {
  if (!instance.settings) return EDITION_NOT_SENT;
  const edition = enumName('edition', instance.settings?.edition);
  return edition !== undefined && !isKnownEnum('edition', edition) ? edition : undefined;
}

/** The neutral resource reference of an instance. */
export function instanceResource(project: string, instance: DatabaseInstance): ResourceRef {
  const selfLink = nonEmpty(instance.selfLink);
  // Cloud SQL gives an instance no uid, and its name can be reused at once after a delete: its
  // createTime is what tells a backup run of an earlier instance of the name (identity.ts).
  const createdAt = toDate(instance.createTime);
  const backupTier = enumName('backupTier', instance.settings?.backupConfiguration?.backupTier);
  return {
    provider: 'gcp',
    account: project,
    region: nonEmpty(instance.region) ?? REGION_NOT_SENT,
    type: 'GcpCloudSqlInstance',
    id: instance.name ?? '',
    ...(selfLink ? { selfLink } : {}),
    ...(createdAt ? { createdAt: createdAt.toISOString() } : {}),
    ...(backupTier ? { backupTier } : {}),
  };
}

/** The `suspensionReason` names an instance's answer sent (KMS_KEY_ISSUE, …); a number no proto names is left out. */
export function suspensionReasonsOf(instance: DatabaseInstance): string[] {
  return (instance.suspensionReason ?? []).flatMap((reason) => {
    const name = enumName('suspensionReason', reason);
    return name === undefined ? [] : [name];
  });
}

/**
 * The instance's status as the console and `gcloud sql instances list` show it. Cloud SQL has no
 * stopped state: a stopped instance stays `RUNNABLE` with `settings.activationPolicy` NEVER (the
 * activation policy "is applicable only when the instance state is 'RUNNABLE'"; stopping an instance
 * sets it to NEVER, cloud.google.com/sql/docs/postgres/start-stop-restart-instance), so such an
 * instance is `STOPPED` here: `pitr.lag` then explains a stale latest recovery time by the stop
 * rather than calling WAL archiving broken.
 */
export function instanceStatus(instance: DatabaseInstance): string {
  const state = enumName('instanceState', instance.state) ?? 'unknown';
  const activation = enumName('activationPolicy', instance.settings?.activationPolicy);
  return state === 'RUNNABLE' && activation === 'NEVER' ? 'STOPPED' : state;
}

export { DEFAULT_BACKUP_LOCATION };

/**
 * Where automated backups are stored: `backupConfiguration.location` (a region or a multi-region
 * such as `eu`), or, when unset, "the multi-region location that is geographically closest to the
 * instance" (Cloud SQL docs, "Custom backup locations"), which outlives a regional outage. Unknown
 * on the enhanced tier: the backups are in a Backup and DR vault, whose location is not read here.
 */
function backupLocations(backup: ReadBackupConfiguration | undefined): readonly string[] | undefined {
  if (!backup) return undefined;
  const tier = enumName('backupTier', backup.backupTier);
  if (isBackupPlanTier(tier)) return undefined;
  const location = nonEmpty(backup.location);
  return [location ?? DEFAULT_BACKUP_LOCATION];
}

/**
 * An opt-in protection flag: Cloud SQL leaves settings that were never set out of its answer, and
 * for the delete-time protections (off by default, "Optional. When this parameter is set to true…")
 * an absent value means off. Only a missing `settings` block leaves them unknown.
 */
function optIn(present: boolean, value: boolean | null | undefined): boolean | undefined {
  if (!present) return undefined;
  return value ?? false;
}

/**
 * The fact for one instance, given its restore window.
 *
 * `retentionDays` is `transactionLogRetentionDays`, or 0 when automated backups are off (no backup,
 * no log kept, as on RDS). With backups on and PITR off it stays the configured value: the checks
 * read `pointInTimeRecoveryEnabled` and say that no log is kept whatever the retention says.
 * It stands for its read replicas by every name `listed` gives them ({@link replicaNamesOf}).
 */
export function toPitrFact(
  project: string,
  instance: DatabaseInstance,
  restoreWindow: RestoreWindow,
  listed: readonly DatabaseInstance[] = [],
): PitrFact {
  const settings = instance.settings ?? undefined;
  const replicas = replicaNamesOf(instance, listed);
  const cascading = cascadingReplicasOf(instance, listed);
  const backup = settings?.backupConfiguration ?? undefined;
  const automatedBackupsEnabled = unwrap(backup?.enabled, 'boolean');
  const pointInTimeRecoveryEnabled = unwrap(backup?.pointInTimeRecoveryEnabled, 'boolean');
  const logRetentionDays = unwrap(backup?.transactionLogRetentionDays, 'int32');
  const edition = editionOf(instance);
  const unknownEdition = unknownEditionOf(instance);
  const retention = backup?.backupRetentionSettings ?? undefined;
  // COUNT is the only unit, and the API defines RETENTION_UNIT_UNSPECIFIED as COUNT ("Backup
  // retention unit is unspecified, will be treated as COUNT",
  // https://cloud.google.com/sql/docs/postgres/admin-api/rest/v1/instances#retentionunit).
  const unit = enumName('retentionUnit', retention?.retentionUnit);
  const countUnit = unit === undefined || unit === 'COUNT' || unit === 'RETENTION_UNIT_UNSPECIFIED';
  const retainedBackups = retention && countUnit ? unwrap(retention.retainedBackups, 'int32') : undefined;
  const unknownRetentionUnit = retention && !countUnit ? unit : undefined;
  const finalBackup = settings?.finalBackupConfig ?? undefined;
  const protectionsNotSet =
    settings === undefined
      ? []
      : [
          ['settings.deletionProtectionEnabled', unwrap(settings.deletionProtectionEnabled, 'boolean')],
          ['settings.retainBackupsOnDelete', unwrap(settings.retainBackupsOnDelete, 'boolean')],
          ['settings.finalBackupConfig.enabled', unwrap(finalBackup?.enabled, 'boolean')],
        ].flatMap(([field, value]) => (value === undefined ? [field as string] : []));
  const createdAt = toDate(instance.createTime);
  const unknownType = unknownInstanceType(instance);
  const suspensionReasons = suspensionReasonsOf(instance);
  const kmsKeyName = nonEmpty(instance.diskEncryptionConfiguration?.kmsKeyName);
  const kmsKeyVersionName = nonEmpty(instance.diskEncryptionStatus?.kmsKeyVersionName);
  return {
    resource: instanceResource(project, instance),
    kind: 'cloudsql-instance',
    engine: enumName('databaseVersion', instance.databaseVersion) ?? 'unknown',
    status: instanceStatus(instance),
    retentionDays: automatedBackupsEnabled === false ? 0 : logRetentionDays,
    retentionSource: 'settings.backupConfiguration.transactionLogRetentionDays',
    // An edition the tool does not know has no documented range: the widest any edition has.
    retentionRange: unknownEdition ? retentionRangeFor('ENTERPRISE_PLUS') : retentionRangeFor(edition),
    automatedBackupsEnabled,
    pointInTimeRecoveryEnabled,
    restoreWindow,
    crossRegionBackupTargets: backupLocations(backup),
    deletionProtection: optIn(settings !== undefined, unwrap(settings?.deletionProtectionEnabled, 'boolean')),
    ...(createdAt ? { createdAt } : {}),
    cloudSql: {
      edition,
      retainedBackups,
      retainBackupsOnDelete: optIn(
        settings !== undefined,
        unwrap(settings?.retainBackupsOnDelete, 'boolean'),
      ),
      finalBackupEnabled: optIn(settings !== undefined, unwrap(finalBackup?.enabled, 'boolean')),
      ...finalBackupDays(finalBackup?.retentionDays ?? undefined, instance),
      logStorage: enumName('logStorageState', settings?.backupConfiguration?.transactionalLogStorageState),
      ...(unknownType ? { unknownInstanceType: unknownType } : {}),
      ...(unknownEdition ? { unknownEdition } : {}),
      ...(unknownRetentionUnit ? { unknownRetentionUnit } : {}),
      ...(protectionsNotSet.length > 0 ? { protectionsNotSet } : {}),
      ...(suspensionReasons.length > 0 ? { suspensionReasons } : {}),
      ...(kmsKeyName ? { kmsKeyName } : {}),
      ...(kmsKeyVersionName ? { kmsKeyVersionName } : {}),
    },
    ...(replicas.length + cascading.length > 0
      ? {
          standsFor: [
            ...replicas.map((names) => ({ names, what: 'Cloud SQL read replica' })),
            ...cascading.map(({ names, of }) => ({
              names,
              what: `Cloud SQL cascading read replica (${of})`,
            })),
          ],
        }
      : {}),
  };
}

/**
 * `finalBackupConfig.retentionDays` when inside the range Cloud SQL documents for it, else not sent
 * with why (`finalBackupRetentionImpossible`), as the RDS adapter reads a BackupRetentionPeriod the
 * platform cannot have: such days are no stay a check may judge. The range is 1-365 days (gcloud
 * reference, `sql backups patch --ttl-days`: "The valid range is between 1 and 365"), and 1 day to
 * 99 years for an instance Backup and DR manages (provider docs of `finalBackupConfig.retentionDays`);
 * a tier this tool does not know may be such an instance, so it gets the wider range.
 */
function finalBackupDays(
  days: number | undefined,
  instance: DatabaseInstance,
): { finalBackupRetentionDays: number | undefined; finalBackupRetentionImpossible?: string } {
  if (days === undefined) return { finalBackupRetentionDays: undefined };
  const tier = enumName('backupTier', instance.settings?.backupConfiguration?.backupTier);
  const backupDr = isBackupPlanTier(tier);
  // 99 years counted with a leap day in each, so that no day count Google accepts is refused.
  const max = backupDr ? 99 * 366 : 365;
  if (Number.isInteger(days) && days >= 1 && days <= max) return { finalBackupRetentionDays: days };
  const range = backupDr
    ? '1 day to 99 years Cloud SQL keeps a final backup of an instance Backup and DR manages'
    : '1-365 days Cloud SQL keeps a final backup';
  return {
    finalBackupRetentionDays: undefined,
    finalBackupRetentionImpossible: `the API sent settings.finalBackupConfig.retentionDays=${days}, outside the ${range}`,
  };
}

/** The names an instance answers to: name, selfLink and connection name. */
function namesOfInstance(instance: DatabaseInstance): string[] {
  return [instance.name, instance.selfLink, instance.connectionName].filter(
    (identifier): identifier is string => Boolean(identifier),
  );
}

/** The instance's labels in the policy's tag vocabulary ({@link tagsFromLabels}). */
function instanceTags(instance: DatabaseInstance, targets: Policy['targets']): Record<string, string> {
  const labels = (instance.settings?.userLabels ?? {}) as Record<string, string>;
  return tagsFromLabels(labels, targets.tags);
}

/**
 * Every name each read replica a primary's listing names answers to (`replicaNames`: instance names
 * of its project): its name, selfLink and connection name `project:region:instance` as `listed` (the
 * project's instances.list) gives them; a replica `listed` does not hold, by its name and the
 * primary's selfLink with its name (its region, and so its connection name, is not known).
 */
export function replicaNamesOf(
  instance: DatabaseInstance,
  listed: readonly DatabaseInstance[] = [],
): string[][] {
  return (instance.replicaNames ?? []).flatMap((name) => {
    if (!nonEmpty(name)) return [];
    const replica = listed.find((candidate) => candidate.name === name);
    if (replica) return [namesOfInstance(replica)];
    const selfLink = nonEmpty(instance.selfLink)?.replace(/\/instances\/[^/]+$/, `/instances/${name}`);
    return [selfLink && selfLink !== instance.selfLink ? [name, selfLink] : [name]];
  });
}

/**
 * The replicas of a primary's read replicas, and theirs (Cloud SQL allows a replica of a replica),
 * as the `replicaNames` of `listed` (the project's instances.list) give them: each by every name it
 * answers to, and what it is a replica of, its chain up to the primary. Only the primary of the chain
 * is judged, and only its backups restore them, as {@link taggedReplicas} says of a labelled one.
 */
export function cascadingReplicasOf(
  instance: DatabaseInstance,
  listed: readonly DatabaseInstance[] = [],
): { readonly names: string[]; readonly of: string }[] {
  const byName = new Map(listed.map((candidate) => [candidate.name ?? '', candidate]));
  const seen = new Set([(instance.name ?? '').toLowerCase()]);
  const found: { names: string[]; of: string }[] = [];
  // `above`: the chain from this replica's source up to the primary.
  const walk = (source: DatabaseInstance, above: readonly string[]): void => {
    for (const name of source.replicaNames ?? []) {
      // A loop in what the listing says ends the walk at the first repeat.
      if (!nonEmpty(name) || seen.has(name.toLowerCase())) continue;
      seen.add(name.toLowerCase());
      const replica = byName.get(name);
      // The primary's own replicas are {@link replicaNamesOf}'s.
      if (source !== instance) {
        found.push({
          names: replica ? namesOfInstance(replica) : [name],
          of: above
            .map((hop, index) => `${index === 0 ? 'a' : 'itself a'} read replica of ${hop}`)
            .join(', '),
        });
      }
      if (replica) walk(replica, [name, ...above]);
    }
  };
  walk(instance, [instance.name ?? '']);
  return found;
}

/**
 * Whether the policy selects this instance (name, selfLink or connection name; labels as tags). A
 * primary is selected when the policy names one of its replicas ({@link replicaNamesOf}, `listed`
 * the project's instances), or a replica of one ({@link cascadingReplicasOf}): a replica is judged
 * at its primary.
 */
export function isCloudSqlTarget(
  instance: DatabaseInstance,
  targets: Policy['targets'],
  listed: readonly DatabaseInstance[] = [],
): boolean {
  const identifiers = [
    ...namesOfInstance(instance),
    ...replicaNamesOf(instance, listed).flat(),
    ...cascadingReplicasOf(instance, listed).flatMap(({ names }) => names),
  ];
  return isTarget({ identifiers, tags: instanceTags(instance, targets) }, targets);
}

/**
 * The instances of another engine than PostgreSQL (MySQL, SQL Server) that the policy's names or
 * labels select ({@link SelectedOtherEngine}): instances.list already sends their `databaseVersion`.
 */
export function selectedOtherEngines(
  instances: readonly DatabaseInstance[],
  targets: Policy['targets'],
): SelectedOtherEngine[] {
  return otherEngineInstances(instances, targets).flatMap(({ instance, selectedBy, ...found }) =>
    selectedBy ? [{ id: instance.name ?? '', ...found, selectedBy }] : [],
  );
}

/**
 * Every listed instance of another engine than PostgreSQL, with its names, its engine and, when the
 * policy's names or labels select it, how. The snapshot job answers a request naming one with its
 * engine whatever the policy selects (functions/actions/snapshot/gcp.ts), as it does for RDS;
 * `targets.all` selects every PostgreSQL database and so none of these.
 */
export function otherEngineInstances(
  instances: readonly DatabaseInstance[],
  targets: Policy['targets'],
): {
  readonly instance: DatabaseInstance;
  readonly names: string[];
  readonly engine: string;
  readonly selectedBy?: string;
}[] {
  return instances.flatMap((instance) => {
    const engine = otherEngineOf(instance);
    if (!engine) return [];
    const names = namesOfInstance(instance);
    const by = targets.all
      ? undefined
      : selectedBy({ identifiers: names, tags: instanceTags(instance, targets) }, targets);
    return [{ instance, names, engine, ...(by ? { selectedBy: by } : {}) }];
  });
}

/**
 * The primary's name in `project` that a replica's `masterInstanceName` names (`project:name`, or a
 * bare name); undefined for a primary in another project, whose selection is not known here.
 */
function primaryNameIn(project: string, master: string): string | undefined {
  const at = master.lastIndexOf(':');
  if (at < 0) return master;
  return master.slice(0, at) === project ? master.slice(at + 1) : undefined;
}

/**
 * The PostgreSQL read replicas of `project` carrying a target label whose primary (in this project)
 * the policy does not select: nothing audits them (a replica is judged at its primary), and the
 * report says which instance to label, as the RDS adapter does for a tagged replica
 * (functions/aws/rds.ts, `taggedStandIns`). A cascading replica (Cloud SQL allows a replica of a
 * replica) is followed to the primary of its chain, the only instance whose backups restore it. A
 * chain that ends at a source representation instance (a server outside Cloud SQL) has no instance
 * to label: it is said to be outside Cloud SQL instead (`outsideSource`).
 */
export function taggedReplicas(
  instances: readonly DatabaseInstance[],
  project: string,
  targets: Policy['targets'],
  selected: readonly DatabaseInstance[],
): TaggedStandIn[] {
  if (targets.all || targets.tags.length === 0) return [];
  const byName = new Map(instances.map((instance) => [(instance.name ?? '').toLowerCase(), instance]));
  const judged = new Set(selected.map((instance) => (instance.name ?? '').toLowerCase()));
  return instances.flatMap((instance): TaggedStandIn[] => {
    const master = nonEmpty(instance.masterInstanceName);
    if (!master || otherEngineOf(instance)) return [];
    const tag = targetTagOf(instanceTags(instance, targets), targets);
    if (!tag) return [];
    const chain = sourceChain(project, master, byName);
    if (chain === undefined) return [];
    const primary = chain.at(-1);
    if (primary === undefined || judged.has(primary.toLowerCase())) return [];
    const of = chain
      .map((hop, index) => `${index === 0 ? 'a' : 'itself a'} read replica of ${hop}`)
      .join(', ');
    // A source representation instance (ON_PREMISES_INSTANCE) stands for a server outside Cloud
    // SQL that the replicas replicate from: it has no Cloud SQL backups, and skipReason skips it
    // labelled or not, so "label the primary" would audit nothing.
    const top = byName.get(primary.toLowerCase());
    if (top && enumName('instanceType', top.instanceType) === 'ON_PREMISES_INSTANCE') {
      return [{ id: instance.name ?? '', tag: `${tag.key}=${tag.value}`, of, outsideSource: 'Cloud SQL' }];
    }
    return [
      {
        id: instance.name ?? '',
        tag: `${tag.key}=${tag.value}`,
        of,
        tagInstead: chain.length === 1 ? 'the primary' : `the primary ${primary}`,
      },
    ];
  });
}

/**
 * The PostgreSQL read replicas of `project` that the policy selects (`targets.all`, or their names
 * or labels) whose chain of sources ends at a source representation instance
 * (ON_PREMISES_INSTANCE): the Cloud SQL stand-in for a server outside Cloud SQL that they replicate
 * from. Neither they nor that instance is a target (skipReason), and Cloud SQL takes no backup of
 * that server, so a request naming one is told so rather than that it was not found. `source` is
 * the source representation instance's name.
 */
export function outsideSourceReplicas(
  instances: readonly DatabaseInstance[],
  project: string,
  targets: Policy['targets'],
): { readonly instance: DatabaseInstance; readonly names: string[]; readonly source: string }[] {
  const byName = new Map(instances.map((instance) => [(instance.name ?? '').toLowerCase(), instance]));
  return instances.flatMap((instance) => {
    const master = nonEmpty(instance.masterInstanceName);
    if (!master || otherEngineOf(instance)) return [];
    const chain = sourceChain(project, master, byName);
    if (chain === undefined) return [];
    const top = byName.get((chain.at(-1) ?? '').toLowerCase());
    if (!top || enumName('instanceType', top.instanceType) !== 'ON_PREMISES_INSTANCE') return [];
    if (!targets.all && !isCloudSqlTarget(instance, targets, instances)) return [];
    return [{ instance, names: namesOfInstance(instance), source: top.name ?? '' }];
  });
}

/**
 * The PITR facts of one project: every PostgreSQL primary the policy selects, with its real
 * restore window, and the labelled read replicas nothing audits ({@link taggedReplicas}). Throws
 * {@link CloudApiError} when the project's instances cannot be listed.
 */
export async function readCloudSqlPitrFacts(
  api: CloudSqlApi,
  project: string,
  policy: Policy,
  options: CloudSqlReadOptions = {},
): Promise<CollectedFacts<PitrFact>> {
  const instances = await listInstances(api.instances, project, options.pageSize);
  const targets = instances.filter(
    (instance) => skipReason(instance) === undefined && isCloudSqlTarget(instance, policy.targets, instances),
  );
  const taggedStandIns = taggedReplicas(instances, project, policy.targets, targets);
  const otherEngines = selectedOtherEngines(instances, policy.targets);
  const now = options.now ?? (() => new Date());
  const facts = await mapWithConcurrency(
    targets,
    options.instanceConcurrency ?? DEFAULT_INSTANCE_CONCURRENCY,
    async (instance) => {
      const name = instance.name ?? '';
      const backup = instance.settings?.backupConfiguration ?? undefined;
      // Only an explicit "off" (or logs known to be outside Cloud Storage) skips
      // getLatestRecoveryTime: when the flag or the state is unreadable, the call itself is the
      // best evidence of a window.
      const pitrOff = unwrap(backup?.pointInTimeRecoveryEnabled, 'boolean') === false;
      const logStorage = enumName('logStorageState', backup?.transactionalLogStorageState);
      const createdAt = toDate(instance.createTime);
      const tier = enumName('backupTier', backup?.backupTier);
      let window: RestoreWindow;
      if (isBackupPlanTier(tier)) window = backupPlanWindow(tier);
      else if (pitrOff) window = await backupWindow(api.backupRuns, project, name, createdAt);
      else if (logStorage !== undefined && LOGS_OUTSIDE_CLOUD_STORAGE.has(logStorage)) {
        const logDays = unwrap(backup?.transactionLogRetentionDays, 'int32');
        window = await logsOnDiskWindow(
          api.backupRuns,
          project,
          name,
          logStorage,
          logDays,
          now(),
          createdAt,
          logDaysCapOf(instance),
          logDaysOutsideRange(instance, logDays),
        );
      } else window = await recoveryWindow(api.instances, project, name);
      return toPitrFact(project, instance, window, instances);
    },
  );
  return Object.assign(
    facts,
    taggedStandIns.length > 0 ? { taggedStandIns } : {},
    otherEngines.length > 0 ? { otherEngines } : {},
  );
}

export type { BackupRun, DatabaseInstance };

/** The `pitr` group's GCP collector: one project's Cloud SQL facts. */
export const cloudSqlPitrCollector: GcpCollector = ({ clients, project, policy, now }) =>
  readCloudSqlPitrFacts(clients.cloudSql(), project, policy, { now });

/**
 * The names a replica's sources walk up to in `project` (its source first, the chain's top last), as
 * the listing says; undefined when a source is in another project. A loop in what the listing says
 * ends the walk at the first repeat.
 */
function sourceChain(
  project: string,
  master: string,
  byName: ReadonlyMap<string, { readonly masterInstanceName?: string | null | undefined }>,
): string[] | undefined {
  const chain: string[] = [];
  for (let source: string | undefined = master; source; ) {
    const name = primaryNameIn(project, source);
    if (name === undefined) return undefined;
    if (chain.some((hop) => hop.toLowerCase() === name.toLowerCase())) break;
    chain.push(name);
    source = nonEmpty(byName.get(name.toLowerCase())?.masterInstanceName);
  }
  return chain;
}
