/**
 * The GCP deployment as data: every step (files written, commands run) for the `audit-pitr` Cloud
 * Function, built by pure functions so tests can read exactly which commands and roles a deployment
 * uses, and `--dry-run` can print them as a shell script without running anything.
 *
 * What gets deployed:
 * - a runtime service account with a custom role holding only the three Cloud SQL permissions the
 *   audit calls ({@link CLOUD_SQL_READER_PERMISSIONS}) on each audited project, and nothing else
 *   (publishing to AWS uses keyless federation, not a GCP role);
 * - a build service account with `roles/run.builder` on the host project, so Cloud Build does not
 *   run as the project's default build identity; the deployed source carries a lockfile cut from
 *   this repository's, so the build installs exactly the Functions Framework that was tested;
 * - the Cloud Function, 2nd gen, Node.js 24, HTTP trigger, entry point `auditPitr`, internal-only
 *   ingress, no unauthenticated invocations, the policy in `BACKUP_GUARD_POLICY` and what the
 *   deployment binds recorded beside it: the projects in `BACKUP_GUARD_BOUND_PROJECTS`, the dump
 *   buckets in `BACKUP_GUARD_BOUND_DUMP_BUCKETS` and the inventory secrets in
 *   `BACKUP_GUARD_BOUND_SECRETS`;
 * - an invoker service account with `roles/run.invoker` on that function's service only;
 * - a Cloud Scheduler job that calls the function with an OIDC token (audience = the function URL)
 *   minted for the invoker account, on the policy's schedule converted to unix-cron;
 * - the same for every other audit job the policy configures ({@link GCP_AUDIT_FUNCTIONS}:
 *   `auditDumps` with Cloud Storage dump locations, `auditKeys` with Secret Manager inventory
 *   secrets), each bundled from its own handler and running as its own account with only its reads;
 * - the `snapshot` function, the Cloud SQL side of the `snapshot` and `readiness` Lambdas: HTTP,
 *   authenticated, called by whoever is granted `roles/run.invoker` on it and by its own scheduler
 *   job (the maintenance-aware scan on `snapshots.maintenanceSchedule`), running as its own account
 *   with on-demand backups of Cloud SQL and the reads readiness judges.
 *
 * Least privilege over time: each deployment reads those records back from the function before it
 * changes anything, and revokes, for every account that held it, each grant on a project, dump
 * bucket or inventory secret the policy no longer lists (and the project-level reads of a project
 * that no longer holds one), before the first function, audit-pitr, is deployed with the new
 * records; what the new records list is granted only after that deploy, so a run stopped at any step
 * leaves no grant outside the records. Without a record (a first deployment, or one by an earlier
 * version) nothing dropped can be known: the run goes on and says so. `--destroy` revokes everything
 * recorded and everything the policy lists.
 * The records are never cut short: an environment over Cloud Run's 32 KiB is refused before any step.
 */
import { posix } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { RUN_RECORD_MARGIN_DAYS } from '../../functions/actions/snapshot/run-records.ts';
import { REGION_DIRECTIONS, withLikelyDirection } from '../../functions/core/aws-region.ts';
import { GCS_BUCKET_NAME } from '../../functions/core/dumps-policy.ts';
import { BackupGuardError, PolicyError } from '../../functions/core/errors.ts';
import { GCP_PROJECT, GCP_PROJECT_ID_PATTERN } from '../../functions/core/gcp-project.ts';
import { keyInventory, type SecretLocation } from '../../functions/core/keys-policy.ts';
import { POLICY_ENV, type Policy } from '../../functions/core/policy.ts';
import { parseAuditSchedule, toCloudSchedulerCron } from '../../functions/core/schedule.ts';
import { snapshotFunctionTimeoutSeconds as functionTimeoutSeconds } from '../../functions/core/snapshots-policy.ts';
import {
  CHAT_RECORDS_BUCKET_ENV,
  CHAT_RECORDS_PREFIX,
  CHAT_TOPIC_ENV,
  SLACK_SECRET_VALUE_ENV,
  SNAPSHOT_RECORDS_PREFIX,
  SNAPSHOT_RUN_RECORDS_PREFIX,
} from '../../functions/gcp/chat-environment.ts';
import { BUNDLE_FILE_NAME, FUNCTIONS_FRAMEWORK } from '../bundling.ts';

/** The Functions Framework entry point the GCP handler registers. */
export const GCP_ENTRY_POINT = 'auditPitr';
/** The GCP handler, relative to the repository root. */
export const GCP_HANDLER_PATH = 'functions/handlers/gcp/audit-pitr.ts';
/** The deployed function's name unless `--function-name` says otherwise. */
export const DEFAULT_FUNCTION_NAME = 'certctl-audit-pitr';

/** The GCP chat handlers, relative to the repository root. */
export const CHAT_SLACK_HANDLER_PATH = 'functions/handlers/gcp/chat-slack.ts';
export const CHAT_ACTION_HANDLER_PATH = 'functions/handlers/gcp/chat-action.ts';
/** The Secret Manager secret holding the Slack app's signing secret (its value is put by hand). */
export const CHAT_SECRET_ID = 'certctl-backup-guard-slack-signing-secret';
/** The Pub/Sub topic carrying chat commands from `chatSlack` to `chatAction`. */
export const CHAT_TOPIC_ID = 'certctl-backup-guard-chat';
/**
 * What taking pre-maintenance snapshots of Cloud SQL needs in each project: the Cloud SQL reads of
 * the audit, and `backupRuns.insert` with the `operations.get` that awaits it (instance-level
 * permissions, Cloud SQL "IAM permissions"). `roles/cloudsql.editor` would also allow changing and
 * restarting instances. Held by the `snapshot` function's role and the chat action's.
 *
 * It also holds the two Cloud KMS reads that judge a backup's customer-managed key
 * (functions/actions/snapshot/gcp.ts cloudSqlSnapshotKeyReader): `cryptoKeyVersions.get` of the
 * key version a backup run names (`diskEncryptionStatus.kmsKeyVersionName`), and `cryptoKeys.get`
 * of the key's primary version when it names none. Without them readiness can never say GO for an
 * instance encrypted with CMEK (its backup's key is "could not evaluate"), and a backup whose key
 * version is disabled or scheduled for destruction, which cannot be restored, is not caught. Those
 * two of `roles/cloudkms.viewer`'s permissions only (it adds the listings, key rings, import jobs
 * and EKM reads: https://cloud.google.com/kms/docs/reference/permissions-and-roles), and on each
 * project of `gcp.projects`, not on each key, for the keys audit's reason: the policy cannot name
 * the keys (an instance's key is known only when its backups are read). A key in another project (a
 * central KMS project) reads as could-not-evaluate naming `cloudkms.cryptoKeyVersions.get` and
 * `roles/cloudkms.viewer`, to be granted on that key by its owner.
 */
export const CLOUD_SQL_SNAPSHOT_PERMISSIONS = [
  'cloudsql.instances.list',
  'cloudsql.instances.get',
  'cloudsql.backupRuns.list',
  'cloudsql.backupRuns.get',
  'cloudsql.backupRuns.create',
  'cloudkms.cryptoKeys.get',
  'cloudkms.cryptoKeyVersions.get',
] as const;
/** The `snapshot` function's custom role in each project of `gcp.projects`. */
export const CLOUD_SQL_SNAPSHOT_ROLE_ID = 'certctlBackupGuardCloudSqlSnapshots';
/** The `snapshot` Cloud Function's handler, relative to the repository root. */
export const SNAPSHOT_HANDLER_PATH = 'functions/handlers/gcp/snapshot.ts';
/** The chat action's custom role in each project it snapshots ({@link CLOUD_SQL_SNAPSHOT_PERMISSIONS}). */
export const CHAT_ACTION_ROLE_ID = 'certctlBackupGuardChatAction';
export const CHAT_ACTION_PERMISSIONS = CLOUD_SQL_SNAPSHOT_PERMISSIONS;
/** The chat action's role on its records bucket: read, create and delete its request records. */
export const CHAT_RECORDS_ROLE_ID = 'certctlBackupGuardChatRecords';
export const CHAT_RECORDS_PERMISSIONS = [
  'storage.objects.create',
  'storage.objects.delete',
  'storage.objects.get',
] as const;
/** The bucket of the chat action's request records in the host project. */
export function chatRecordsBucket(project: string): string {
  return `${project}-certctl-chat-requests`;
}

/**
 * The custom role the runtime account gets in each audited project. Role ids allow letters, digits,
 * `_` and `.` only (IAM `projects.roles.create`, roleId). A project-level custom role can only be
 * granted in its own project, so each audited project gets its own copy.
 */
export const CLOUD_SQL_READER_ROLE_ID = 'certctlBackupGuardCloudSqlReader';
/**
 * Exactly the Cloud SQL Admin API calls functions/gcp/cloud-sql.ts makes, each mapped to its
 * permission:
 * - `instances.list` -> `cloudsql.instances.list` (Cloud SQL "IAM permissions": listing instances);
 * - `instances.getLatestRecoveryTime` -> `cloudsql.instances.get` (the method has no permission of
 *   its own; `roles/cloudsql.viewer`, with which it works, holds no other instance read);
 * - `backupRuns.list` -> `cloudsql.backupRuns.list` (Cloud SQL "IAM permissions": `gcloud sql
 *   backups list`).
 * `roles/cloudsql.viewer` also grants `cloudsql.instances.export` (copying a database out to a
 * bucket), users, databases and SSL certificates, which the audit never reads.
 */
export const CLOUD_SQL_READER_PERMISSIONS = [
  'cloudsql.instances.list',
  'cloudsql.instances.get',
  'cloudsql.backupRuns.list',
] as const;
/**
 * The custom role the dumps audit's account gets on each Cloud Storage dump bucket, in the bucket's
 * project: exactly the calls functions/gcp/gcs-dumps.ts makes (objects.list, the ranged
 * objects.get of a header, buckets.get for versioning, retention, lifecycle, public access
 * prevention, default KMS key and soft delete). Narrower than `roles/storage.objectViewer`, which
 * lacks `storage.buckets.get` and adds `storage.managedFolders.*`
 * (https://cloud.google.com/storage/docs/access-control/iam-roles).
 */
export const DUMP_READER_ROLE_ID = 'certctlBackupGuardDumpReader';
export const DUMP_READER_PERMISSIONS = [
  'storage.buckets.get',
  'storage.objects.get',
  'storage.objects.list',
] as const;
/**
 * The custom role the dumps audit's account gets in each project that holds a dump bucket: the
 * Cloud KMS reads functions/gcp/gcs-dumps.ts makes, cryptoKeys.get of a bucket's default key for
 * its primary version's state, and cryptoKeyVersions.get of the version the newest dump was
 * written with when that is not the primary (a rotation since, or another key)
 * (https://cloud.google.com/kms/docs/reference/permissions-and-roles); narrower than
 * `roles/cloudkms.viewer`. Its own role, not in {@link DUMP_READER_ROLE_ID}: that one is bound on
 * each bucket, where a Cloud KMS permission grants nothing. Bound on the project, not on each key,
 * for the keys audit's reason: the policy cannot name the keys (a bucket's default key is known
 * only when the audit reads the bucket, and `gcloud storage buckets update --default-encryption-key`
 * changes it). So the grant covers keys in the projects holding dump buckets; a key in another
 * project (a central KMS project) reads as NOT_AVAILABLE naming `cloudkms.cryptoKeys.get`, to be
 * granted on that key by its owner.
 *
 * It also holds `resourcemanager.projects.get` (Resource Manager v1 projects.get,
 * functions/gcp/resource-manager.ts): the project's number, which each dump bucket's buckets.get
 * `projectNumber` must equal (bucket names are global; a bucket of the configured name in another
 * project fails every dumps check). Project-level like the Cloud KMS reads, on the same projects,
 * so it shares their role rather than adding one; narrower than `roles/browser`, which adds
 * listing and reading the project's folders and organization
 * (https://cloud.google.com/iam/docs/understanding-roles). Without it every dumps check of the
 * project's buckets is NOT_AVAILABLE, naming the permission.
 */
export const DUMP_KEY_READER_ROLE_ID = 'certctlBackupGuardDumpKeyReader';
export const DUMP_KEY_READER_PERMISSIONS = [
  'cloudkms.cryptoKeys.get',
  'cloudkms.cryptoKeyVersions.get',
  'resourcemanager.projects.get',
] as const;
/** The API of projects.get, which every function that reads dump buckets calls (functions/gcp/resource-manager.ts). */
export const RESOURCE_MANAGER_API = 'cloudresourcemanager.googleapis.com';
/** The dumps audit's own runtime account, distinct from the PITR function's (which never reads dumps). */
export const DUMPS_SERVICE_ACCOUNT_ID = 'certctl-audit-dumps';
/**
 * The custom role the key-material audit's account gets in each project that holds an inventory
 * secret: exactly the metadata reads functions/gcp/secret-manager.ts makes (`secrets.get`, and
 * `versions.get` of the latest version), never a payload and never a listing. Narrower than
 * `roles/secretmanager.viewer`, which adds `secrets.list`, `versions.list`, `secrets.getIamPolicy`
 * and the location reads (https://cloud.google.com/secret-manager/docs/access-control). Bound on
 * the project, not on each secret: a binding cannot name a secret that does not exist, and a
 * missing secret must answer 404 (keys.present FAILED), not 403 (NOT_AVAILABLE).
 *
 * It also holds the two Cloud KMS reads functions/gcp/cloud-kms.ts makes for a secret under a
 * customer-managed key (`cryptoKeyVersions.get`, and `cryptoKeys.get` when the secret version names
 * no key version; https://cloud.google.com/kms/docs/reference/permissions-and-roles), narrower
 * than `roles/cloudkms.viewer` (which adds the listings, key rings, import jobs and EKM reads).
 * They are granted on the project, not on each key, because the policy cannot name the keys: a
 * secret's key is in its replication settings, known only when the audit reads the secret, and may
 * change with `gcloud secrets replication update`. So the grant covers the keys in the projects
 * that hold inventory secrets; a key in another project (a central KMS project) reads as
 * NOT_AVAILABLE naming `cloudkms.cryptoKeyVersions.get` and `roles/cloudkms.viewer`, to be granted
 * on that key by its owner.
 */
export const SECRET_METADATA_READER_ROLE_ID = 'certctlBackupGuardSecretMetadataReader';
export const SECRET_METADATA_READER_PERMISSIONS = [
  'secretmanager.secrets.get',
  'secretmanager.versions.get',
  'cloudkms.cryptoKeys.get',
  'cloudkms.cryptoKeyVersions.get',
] as const;
/** Reading a secret's payload: bound on each inventory secret only, and only with `keys.inspectSecretValues`. */
export const SECRET_ACCESSOR_ROLE = 'roles/secretmanager.secretAccessor';
/** The key-material audit's own runtime account, distinct from the PITR and dumps accounts. */
export const KEYS_SERVICE_ACCOUNT_ID = 'certctl-audit-keys';

/** The predefined role earlier versions of this script granted; removed wherever it is found. */
export const LEGACY_CLOUD_SQL_VIEWER_ROLE = 'roles/cloudsql.viewer';
/** The only role the scheduler's invoker account gets, on the function's service. */
export const RUN_INVOKER_ROLE = 'roles/run.invoker';
/** The build service account's role on the host project (Cloud Run, "build service account"). */
export const RUN_BUILDER_ROLE = 'roles/run.builder';
/**
 * Function environment variable that records the projects the runtime account is bound in. The
 * script reads it back to revoke projects dropped from `gcp.projects` and on `--destroy`; the
 * function itself does not read it.
 */
export const BOUND_PROJECTS_ENV = 'BACKUP_GUARD_BOUND_PROJECTS';
/**
 * Function environment variables that record the per-resource grants of the last deployment: the
 * Cloud Storage dump buckets the accounts that read dumps are bound on, and the Secret Manager
 * secrets (with the projects holding them) the accounts that read the key inventory are bound on,
 * each a comma-separated list of `<project>/<name>` ({@link RECORDED_ENTRY}). The script reads them
 * back, as {@link BOUND_PROJECTS_ENV}, to revoke what the policy dropped and on `--destroy`; the
 * functions do not read them. An empty list is written {@link NOTHING_RECORDED}: gcloud prints
 * nothing both for an empty value and for a variable that is not there (a first deployment, or one
 * by an earlier version), and only the second means the grants dropped since are unknown.
 */
export const BOUND_DUMP_BUCKETS_ENV = 'BACKUP_GUARD_BOUND_DUMP_BUCKETS';
export const BOUND_SECRETS_ENV = 'BACKUP_GUARD_BOUND_SECRETS';
/** The value of a per-resource record that lists nothing. */
export const NOTHING_RECORDED = 'none';
/**
 * One entry of a per-resource record: `<project>/<name>`, the project as {@link GCP_PROJECT} and
 * the name as the policy schema takes a bucket (functions/core/dumps-policy.ts) or a secret id
 * (functions/core/keys-policy.ts). POSIX extended regular expressions (the dry-run script's bash
 * matches them too), with the project and the name as groups 1 and 2.
 */
export const RECORDED_ENTRY = {
  bucket: `^(${GCP_PROJECT_ID_PATTERN})/(${GCS_BUCKET_NAME})$`,
  secret: `^(${GCP_PROJECT_ID_PATTERN})/([A-Za-z0-9_-]{1,255})$`,
} as const;

/**
 * The most a function's environment may hold: Cloud Run counts the bytes of every runtime variable's
 * name and value, 32 KiB per function, with no limit of its own on one value
 * (https://cloud.google.com/run/docs/configuring/services/overview-environment-variables, "Size
 * limits for variables in functions"). A Secret Manager secret passed as a variable is one of them:
 * Cloud Run puts its value into the environment when an instance starts
 * (https://cloud.google.com/run/docs/configuring/services/secrets, "Pass a secret using environment
 * variables"), so it counts beside the env-vars file ({@link SecretVariable}).
 */
export const FUNCTION_ENVIRONMENT_LIMIT_BYTES = 32 * 1024;

/**
 * A Secret Manager secret a function gets as an environment variable (`--set-secrets`), resolved
 * when an instance starts.
 */
export interface SecretVariable {
  /** The variable's name. */
  readonly name: string;
  /** The secret's id in the host project. */
  readonly secret: string;
  readonly version: string;
  /**
   * What the environment size check counts for the value, which the deployment never reads (and
   * which may be added only after the first deployment): the most the secret is expected to hold.
   */
  readonly valueBytes: number;
}

/**
 * Bytes the size check keeps for the Slack signing secret's value: Slack's signing secret is a short
 * run of letters and digits (functions/aws/slack-secret.ts), far under this.
 */
export const SLACK_SIGNING_SECRET_VALUE_BYTES = 256;

/** Variables a step captures and later steps use: `${NAME}` inside an argument. */
export const FUNCTION_URL = 'FUNCTION_URL';
export const SERVICE_ACCOUNT_UNIQUE_ID = 'SERVICE_ACCOUNT_UNIQUE_ID';
/** The projects the last deployment recorded ({@link BOUND_PROJECTS_ENV}); empty if none. */
export const RECORDED_PROJECTS = 'RECORDED_PROJECTS';
/** The dump buckets the last deployment recorded ({@link BOUND_DUMP_BUCKETS_ENV}); empty if no record. */
export const RECORDED_DUMP_BUCKETS = 'RECORDED_DUMP_BUCKETS';
/** The inventory secrets the last deployment recorded ({@link BOUND_SECRETS_ENV}); empty if no record. */
export const RECORDED_SECRETS = 'RECORDED_SECRETS';
/** The loop variables of a {@link ForEachRecordedStep}: an entry's project, and its bucket or secret. */
export const RESOURCE_PROJECT = 'RESOURCE_PROJECT';
export const RESOURCE_NAME = 'RESOURCE_NAME';
/** The private staging directory the runner (or the printed script) creates for one run. */
export const STAGING_DIR = 'STAGING_DIR';
/** The loop variable of a {@link ForEachProjectStep}. */
export const AUDITED_PROJECT = 'AUDITED_PROJECT';

/** A GCP region such as europe-west1, us-central1 or northamerica-northeast2. */
export const GCP_REGION = new RegExp(`^[a-z]+-(${REGION_DIRECTIONS.join('|')})\\d{1,2}$`);

/** The GCP region `name` was likely meant to be (`europe-wst1` → `europe-west1`), or undefined. */
export function likelyGcpRegion(name: string): string | undefined {
  const likely = withLikelyDirection(name, /^([a-z]+-)([a-z]+)(\d{1,2})$/);
  return likely !== undefined && likely !== name && GCP_REGION.test(likely) ? likely : undefined;
}
/**
 * How gcloud says a resource (or an IAM binding) is already gone: the API status `NOT_FOUND`, or
 * "Policy binding with the specified principal, role, and condition not found!". Matched
 * case-insensitively; every other failure stops the run.
 */
export const NOT_FOUND_PATTERN = 'NOT_FOUND|not found';

/** True when a command's stderr says the resource is already gone. */
export function saysNotFound(stderr: string): boolean {
  return new RegExp(NOT_FOUND_PATTERN, 'i').test(stderr);
}

/**
 * How gcloud says an API is not enabled in the project: the ErrorInfo reason `SERVICE_DISABLED`
 * (https://cloud.google.com/service-usage/docs/troubleshooting), or its message "... API has not
 * been used in project N before or it is disabled". Matched case-sensitively (an extended regular
 * expression, for the dry-run script's grep too).
 */
export const API_DISABLED_PATTERN =
  'SERVICE_DISABLED|API has not been used in project [0-9]+ before or it is disabled';

/** True when a command's stderr says the API is not enabled in the project. */
export function saysApiDisabled(stderr: string): boolean {
  return new RegExp(API_DISABLED_PATTERN).test(stderr);
}

/** How many times Cloud Scheduler retries a failed run of a function (at most 5). */
export const SCHEDULER_RETRY_ATTEMPTS = 3;

/** The APIs the deployment and the function use. */
export const REQUIRED_APIS = [
  'cloudfunctions.googleapis.com',
  'run.googleapis.com',
  'cloudbuild.googleapis.com',
  'artifactregistry.googleapis.com',
  'cloudscheduler.googleapis.com',
  'sqladmin.googleapis.com',
  'iam.googleapis.com',
] as const;

/** The script that bundles a Cloud Function (`node <it> <handler> <outdir>`), relative to the repository. */
export const CLOUD_FUNCTION_BUNDLER = 'infra/gcp/bundle.ts';
const DEPLOYED_PACKAGE_NAME = 'certctl-backup-guard-audit-pitr';

/** A file the deployment writes (exclusively, into the private staging directory). */
export interface WriteFileStep {
  readonly kind: 'write-file';
  readonly description: string;
  readonly path: string;
  readonly content: string;
}

/** A command; `capture` stores its trimmed stdout under that name for later `${NAME}` arguments. */
export interface RunStep {
  readonly kind: 'run';
  readonly description: string;
  readonly argv: readonly string[];
  readonly capture?: string;
  /** `skip`: a resource that is already gone (gcloud says "not found") is not an error; a capture is then empty. */
  readonly ifNotFound?: 'skip';
  /**
   * `skip`: the resource's API not enabled in the project (gcloud says SERVICE_DISABLED) is not an
   * error either: nothing of it exists (a tear-down of a resource only some deployments made).
   */
  readonly ifApiDisabled?: 'skip';
}

/** Create-or-update: `probe` succeeds when the resource exists; then `update` (if any) runs, else `create`. */
export interface EnsureStep {
  readonly kind: 'ensure';
  readonly description: string;
  readonly probe: readonly string[];
  readonly create: readonly string[];
  readonly update?: readonly string[];
}

/**
 * `argv` once per project in the comma-separated captured `list`, except `skip`, with the project
 * in `${AUDITED_PROJECT}`. A listed value that is not a project id stops the run.
 */
export interface ForEachProjectStep {
  readonly kind: 'for-each-project';
  readonly description: string;
  readonly list: string;
  readonly skip: readonly string[];
  readonly argv: readonly string[];
  readonly ifNotFound?: 'skip';
}

/**
 * `argv` once per entry of the captured per-resource record `list` ({@link BOUND_DUMP_BUCKETS_ENV},
 * {@link BOUND_SECRETS_ENV}) that the policy no longer lists, with the entry's project in
 * `${RESOURCE_PROJECT}` and its name in `${RESOURCE_NAME}`; with `per: 'project'`, once per
 * distinct project of those entries (`${RESOURCE_PROJECT}` only), for a grant on the project that
 * holds them. `skip` holds what the policy lists: `<project>/<name>` entries, or projects. An entry
 * that does not match `entry` (a {@link RECORDED_ENTRY} pattern) stops the run.
 */
export interface ForEachRecordedStep {
  readonly kind: 'for-each-recorded';
  readonly description: string;
  readonly list: string;
  readonly entry: string;
  readonly per: 'resource' | 'project';
  readonly skip: readonly string[];
  readonly argv: readonly string[];
  readonly ifNotFound?: 'skip';
}

/** A message for the operator (`${NAME}` placeholders are filled in). */
export interface NoteStep {
  readonly kind: 'note';
  readonly message: string;
  /** Shown only when this capture is empty (a record the function did not have). */
  readonly ifEmpty?: string;
}

export type GcpStep =
  | WriteFileStep
  | RunStep
  | EnsureStep
  | ForEachProjectStep
  | ForEachRecordedStep
  | NoteStep;

export interface GcpDeploymentOptions {
  /** The project that hosts the function, its service accounts and the scheduler job. */
  readonly project: string;
  /** Region of the function and the scheduler job, e.g. europe-west1. */
  readonly region: string;
  /** The validated policy; `gcp.projects` are audited, the whole policy is the function's configuration. */
  readonly policy: Policy;
  /** The deployed `package.json` and `package-lock.json` ({@link deployedPackage}). */
  readonly deployedPackage: DeployedPackage;
  /** @default 'certctl-audit-pitr' */
  readonly functionName?: string;
  /** Time zone of the scheduler job. @default 'Etc/UTC' (EventBridge schedules are UTC too) */
  readonly timeZone?: string;
  /** Runtime service account id. @default 'certctl-audit-pitr' */
  readonly serviceAccountId?: string;
  /** Scheduler invoker service account id. @default 'certctl-audit-pitr-invoker' */
  readonly invokerAccountId?: string;
  /** Cloud Build service account id. @default 'certctl-audit-pitr-builder' */
  readonly builderAccountId?: string;
  /** Function timeout in seconds. @default 300 */
  readonly timeoutSeconds?: number;
}

/** Names everything in the deployment is known by. */
export interface GcpDeploymentNames {
  readonly functionName: string;
  readonly jobName: string;
  readonly serviceAccountEmail: string;
  readonly invokerEmail: string;
  readonly builderEmail: string;
}

const FUNCTION_NAME = /^[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
/**
 * An IAM service account id: 6-30 characters matching `[a-z]([-a-z0-9]*[a-z0-9])`
 * (projects.serviceAccounts.create, accountId). Its own rule: that it reads as a project id's does
 * not make it one.
 */
const SERVICE_ACCOUNT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

function invalid(path: string, message: string): never {
  throw new PolicyError(`GCP deployment is invalid:\n  ${path}: ${message}`, [{ path, message }]);
}

/** A tz database name: letters, digits, `_`, `+` and `-` in `/`-separated parts (no offsets). */
const TIME_ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/**
 * Refuse a `--time-zone` Cloud Scheduler would refuse only after the functions were deployed: its
 * `timeZone` is a name of the tz database (https://cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs,
 * "timeZone"), so the name must have that shape and be one the runtime's tz data knows.
 */
function checkTimeZone(timeZone: string): void {
  let known = TIME_ZONE_NAME.test(timeZone);
  if (known) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone });
    } catch {
      known = false;
    }
  }
  if (!known) {
    invalid(
      '--time-zone',
      `"${timeZone}" is not a time zone name of the tz database (such as Etc/UTC or Europe/Paris), which Cloud Scheduler takes`,
    );
  }
}

/** The names a deployment with `options` uses (validated). */
export function deploymentNames(
  options: Pick<
    GcpDeploymentOptions,
    'project' | 'functionName' | 'serviceAccountId' | 'invokerAccountId' | 'builderAccountId'
  >,
): GcpDeploymentNames {
  const functionName = options.functionName ?? DEFAULT_FUNCTION_NAME;
  if (!FUNCTION_NAME.test(functionName)) {
    invalid('--function-name', `"${functionName}" must be lower-case letters, digits and hyphens (2-63)`);
  }
  const serviceAccountId = options.serviceAccountId ?? 'certctl-audit-pitr';
  const invokerAccountId = options.invokerAccountId ?? 'certctl-audit-pitr-invoker';
  const builderAccountId = options.builderAccountId ?? 'certctl-audit-pitr-builder';
  for (const id of [serviceAccountId, invokerAccountId, builderAccountId]) {
    if (!SERVICE_ACCOUNT_ID.test(id))
      invalid('service account', `"${id}" is not a service account id (6-30 chars)`);
  }
  const email = (id: string) => `${id}@${options.project}.iam.gserviceaccount.com`;
  return {
    functionName,
    jobName: `${functionName}-schedule`,
    serviceAccountEmail: email(serviceAccountId),
    invokerEmail: email(invokerAccountId),
    builderEmail: email(builderAccountId),
  };
}

/** The package Cloud Build installs next to the bundle. */
export interface DeployedPackage {
  readonly packageJson: string;
  readonly packageLock: string;
}

interface LockedPackage {
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly [field: string]: unknown;
}

/** Where Node (and npm) finds `name` from the package installed at `from` (`''` is the root). */
function resolveLocked(
  packages: Readonly<Record<string, LockedPackage>>,
  from: string,
  name: string,
): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const parent = base.lastIndexOf('/node_modules/');
    base = parent === -1 ? '' : base.slice(0, parent);
  }
}

/**
 * The deployed `package.json` (only the Functions Framework, at the exact version this repository
 * locked) and a `package-lock.json` holding that version and its whole dependency tree, cut from
 * this repository's lockfile (v3) with the same install paths. Cloud Build's Node.js buildpack
 * installs with `npm ci` when a lockfile is present, so the function runs what the tests ran.
 */
export function deployedPackage(repositoryLockfile: unknown): DeployedPackage {
  const lock = repositoryLockfile as { lockfileVersion?: unknown; packages?: Record<string, LockedPackage> };
  const packages = lock.packages;
  const rootPath = `node_modules/${FUNCTIONS_FRAMEWORK}`;
  const framework = packages?.[rootPath];
  if (lock.lockfileVersion !== 3 || !packages || !framework?.version) {
    throw new BackupGuardError(
      `package-lock.json (lockfileVersion 3) does not lock ${FUNCTIONS_FRAMEWORK}; run npm install and try again`,
    );
  }
  const included = new Map<string, LockedPackage>();
  const pending = [rootPath];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    const entry = packages[path];
    if (!entry || included.has(path)) continue;
    const { dev: _dev, devOptional, peer: _peer, ...kept } = entry;
    included.set(path, devOptional ? { ...kept, optional: true } : kept);
    const required = { ...entry.peerDependencies, ...entry.optionalDependencies, ...entry.dependencies };
    for (const name of Object.keys(required)) {
      const found = resolveLocked(packages, path, name);
      if (found) pending.push(found);
      else if (entry.dependencies?.[name]) {
        throw new BackupGuardError(`package-lock.json has no ${name}, which ${path} needs; run npm install`);
      }
    }
  }
  const dependencies = { [FUNCTIONS_FRAMEWORK]: framework.version };
  const root = { name: DEPLOYED_PACKAGE_NAME, engines: { node: '>=24' }, dependencies };
  const manifest = {
    name: DEPLOYED_PACKAGE_NAME,
    private: true,
    type: 'module',
    main: BUNDLE_FILE_NAME,
    engines: root.engines,
    dependencies,
  };
  const sorted = [...included.entries()].sort(([a], [b]) => a.localeCompare(b));
  const packageLock = {
    name: DEPLOYED_PACKAGE_NAME,
    lockfileVersion: 3,
    requires: true,
    packages: { '': root, ...Object.fromEntries(sorted) },
  };
  return {
    packageJson: `${JSON.stringify(manifest, null, 2)}\n`,
    packageLock: `${JSON.stringify(packageLock, null, 2)}\n`,
  };
}

/** `projects/<project>/roles/<id>`: the custom role in one audited project. */
export function cloudSqlReaderRole(project: string): string {
  return `projects/${project}/roles/${CLOUD_SQL_READER_ROLE_ID}`;
}

/** The argv that grants `role` to `member` in `project`, unconditionally. */
function addBinding(project: string, member: string, role: string): string[] {
  return [
    'gcloud',
    'projects',
    'add-iam-policy-binding',
    project,
    `--member=${member}`,
    `--role=${role}`,
    '--condition=None',
    '--quiet',
  ];
}

/** The argv that removes `role` from the runtime account in `project` (already gone is fine). */
function removeBinding(project: string, member: string, role: string): string[] {
  return [
    'gcloud',
    'projects',
    'remove-iam-policy-binding',
    project,
    `--member=${member}`,
    `--role=${role}`,
    '--condition=None',
    '--quiet',
  ];
}

/**
 * Read back what the last deployment recorded on the function ({@link BOUND_PROJECTS_ENV},
 * {@link BOUND_DUMP_BUCKETS_ENV}, {@link BOUND_SECRETS_ENV}) into {@link RECORDED_PROJECTS},
 * {@link RECORDED_DUMP_BUCKETS} and {@link RECORDED_SECRETS}: each empty when the function does not
 * exist or has no such variable.
 */
function recordSteps(names: GcpDeploymentNames, project: string, region: string): RunStep[] {
  const read = (variable: string, what: string, capture: string): RunStep => ({
    kind: 'run',
    description: `${what} the last deployment bound (${variable} on the function; none if it does not exist)`,
    argv: [
      'gcloud',
      'functions',
      'describe',
      names.functionName,
      '--gen2',
      `--project=${project}`,
      `--region=${region}`,
      `--format=value(serviceConfig.environmentVariables.${variable})`,
    ],
    capture,
    ifNotFound: 'skip',
  });
  return [
    read(BOUND_PROJECTS_ENV, 'projects', RECORDED_PROJECTS),
    read(BOUND_DUMP_BUCKETS_ENV, 'dump buckets', RECORDED_DUMP_BUCKETS),
    read(BOUND_SECRETS_ENV, 'inventory secrets', RECORDED_SECRETS),
  ];
}

/** A per-resource record's value: its `<project>/<name>` entries, comma-separated, or {@link NOTHING_RECORDED}. */
function recordValue(entries: readonly string[]): string {
  return entries.length > 0 ? entries.join(',') : NOTHING_RECORDED;
}

/**
 * What the operator is told when a record is missing (a first deployment, or a function deployed
 * by an earlier version), one note per record in the same words: the grants on what was dropped
 * before this run are unknown, so they were not revoked, and how to remove one by hand.
 */
function missingRecordNotes(names: GcpDeploymentNames, purpose: 'deploy' | 'destroy'): NoteStep[] {
  const after =
    purpose === 'deploy'
      ? ' This deployment records what it binds, so the next one revokes what is dropped after it.'
      : '';
  const where = `is not on ${names.functionName} (a first deployment, or one by an earlier version)`;
  const pitrAccount = names.serviceAccountEmail.split('@')[0] ?? '';
  return [
    {
      kind: 'note',
      ifEmpty: RECORDED_PROJECTS,
      message: `${BOUND_PROJECTS_ENV} ${where}: grants in projects dropped from gcp.projects before this run, if any, were not revoked (${CLOUD_SQL_READER_ROLE_ID}, ${CLOUD_SQL_SNAPSHOT_ROLE_ID} and ${CHAT_ACTION_ROLE_ID} on the project, held by ${pitrAccount}, certctl-snapshot and certctl-chat-action respectively). Remove one by hand with: gcloud projects remove-iam-policy-binding <project> --member=serviceAccount:<account> --role=projects/<project>/roles/<role>.${after}`,
    },
    {
      kind: 'note',
      ifEmpty: RECORDED_DUMP_BUCKETS,
      message: `${BOUND_DUMP_BUCKETS_ENV} ${where}: grants on Cloud Storage dump buckets dropped from dumps.locations before this run, if any, were not revoked (${DUMP_READER_ROLE_ID} on the bucket and ${DUMP_KEY_READER_ROLE_ID} on its project, held by ${DUMPS_SERVICE_ACCOUNT_ID}, certctl-snapshot and certctl-chat-action). Remove one by hand with: gcloud storage buckets remove-iam-policy-binding gs://<bucket> --member=serviceAccount:<account> --role=projects/<project>/roles/${DUMP_READER_ROLE_ID}.${after}`,
    },
    {
      kind: 'note',
      ifEmpty: RECORDED_SECRETS,
      message: `${BOUND_SECRETS_ENV} ${where}: grants on Secret Manager secrets dropped from the keys inventory before this run, if any, were not revoked (${SECRET_ACCESSOR_ROLE} on the secret and ${SECRET_METADATA_READER_ROLE_ID} on its project, held by ${KEYS_SERVICE_ACCOUNT_ID}, certctl-snapshot and certctl-chat-action). Remove one by hand with: gcloud secrets remove-iam-policy-binding <secret> --project=<project> --member=serviceAccount:<account> --role=${SECRET_ACCESSOR_ROLE}.${after}`,
    },
  ];
}

/** The policy's Cloud Storage dump buckets with the project holding each, sorted by bucket. */
function dumpBuckets(policy: Policy): { bucket: string; project: string }[] {
  const locations = policy.dumps.locations.flatMap((location) =>
    location.provider === 'gcp' ? [{ bucket: location.bucket, project: location.project }] : [],
  );
  return [...new Map(locations.map((location) => [location.bucket, location])).values()].sort((a, b) =>
    a.bucket.localeCompare(b.bucket),
  );
}

/** A project-level custom role: its id, what it is called and for, and its permissions. */
interface CustomRole {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly permissions: readonly string[];
}

/** Create or update `role` in `project` (the step every custom role of the deployment uses). */
function ensureCustomRole(role: CustomRole, project: string): EnsureStep {
  const flags = [
    `--title=${role.title}`,
    `--description=${role.description}`,
    `--permissions=${role.permissions.join(',')}`,
    '--stage=GA',
  ];
  const command = (verb: 'create' | 'update'): string[] => [
    'gcloud',
    'iam',
    'roles',
    verb,
    role.id,
    `--project=${project}`,
    ...flags,
    ...(verb === 'update' ? ['--quiet'] : []),
  ];
  return {
    kind: 'ensure',
    description: `custom role ${role.id} in ${project} (${role.permissions.join(', ')})`,
    probe: ['gcloud', 'iam', 'roles', 'describe', role.id, `--project=${project}`],
    create: command('create'),
    update: command('update'),
  };
}

/**
 * The dumps audit's read access, bucket by bucket: its custom role ({@link DUMP_READER_ROLE_ID}) in
 * each project that holds a Cloud Storage dump location, bound on those buckets only (no project-wide
 * storage grant); then the grants on buckets the last deployment recorded and the policy dropped
 * taken back ({@link revokeDroppedDumpBuckets}).
 */
export function planDumpsBucketAccess(policy: Policy, member: string): GcpStep[] {
  const buckets = dumpBuckets(policy);
  const projects = [...new Set(buckets.map((location) => location.project))].sort();
  const role: CustomRole = {
    id: DUMP_READER_ROLE_ID,
    title: 'certctl-backup-guard dump reader',
    description:
      'Lists pg_dump files, reads their headers and the bucket settings for the certctl-backup-guard dumps audit',
    permissions: DUMP_READER_PERMISSIONS,
  };
  const keyRole: CustomRole = {
    id: DUMP_KEY_READER_ROLE_ID,
    title: 'certctl-backup-guard dump key reader',
    description:
      "Reads the state of the dump buckets' Cloud KMS keys (cryptoKeys.get only) and the project's number (projects.get: each dump bucket must belong to it) for the certctl-backup-guard dumps audit",
    permissions: DUMP_KEY_READER_PERMISSIONS,
  };
  return [
    ...projects.map((holder) => ensureCustomRole(role, holder)),
    ...projects.flatMap((holder): GcpStep[] => [
      ensureCustomRole(keyRole, holder),
      {
        kind: 'run',
        description: `let the dumps audit read the state of Cloud KMS keys (cryptoKeys.get, no listing, no decrypt) and the project's number (resourcemanager.projects.get: each dump bucket must belong to it) in ${holder}`,
        argv: addBinding(holder, member, `projects/${holder}/roles/${DUMP_KEY_READER_ROLE_ID}`),
      },
    ]),
    ...buckets.map(
      ({ bucket, project: holder }): RunStep => ({
        kind: 'run',
        description: `let the dumps audit list and read dump headers in gs://${bucket} only`,
        argv: dumpReaderBinding('add', bucket, holder, member),
      }),
    ),
    ...revokeDroppedDumpBuckets(policy, member),
  ];
}

/** `gcloud storage buckets add-iam-policy-binding` (or remove) of {@link DUMP_READER_ROLE_ID} on one bucket. */
function dumpReaderBinding(verb: 'add' | 'remove', bucket: string, holder: string, member: string): string[] {
  return [
    'gcloud',
    'storage',
    'buckets',
    `${verb}-iam-policy-binding`,
    `gs://${bucket}`,
    `--member=${member}`,
    `--role=projects/${holder}/roles/${DUMP_READER_ROLE_ID}`,
    ...(verb === 'add' ? ['--condition=None'] : []),
  ];
}

/**
 * The removal of the dumps reads on each bucket the last deployment recorded
 * ({@link RECORDED_DUMP_BUCKETS}) that dumps.locations no longer lists, and of the key reader role
 * in each recorded project that no longer holds a listed bucket: a grant must not outlive the
 * bucket's place in the policy. Gone is fine (a bucket deleted, a binding never made).
 */
function revokeDroppedDumpBuckets(policy: Policy, member: string): ForEachRecordedStep[] {
  const buckets = dumpBuckets(policy);
  const project = `\${${RESOURCE_PROJECT}}`;
  const recorded = {
    kind: 'for-each-recorded',
    list: RECORDED_DUMP_BUCKETS,
    entry: RECORDED_ENTRY.bucket,
  } as const;
  return [
    {
      ...recorded,
      description: "remove the dumps audit's reads of buckets no longer in dumps.locations",
      per: 'resource',
      skip: buckets.map(({ bucket, project: holder }) => `${holder}/${bucket}`),
      argv: dumpReaderBinding('remove', `\${${RESOURCE_NAME}}`, project, member),
      ifNotFound: 'skip',
    },
    {
      ...recorded,
      description:
        "remove the dumps audit's Cloud KMS key state and project number reads (resourcemanager.projects.get) in projects that no longer hold a dump bucket",
      per: 'project',
      skip: [...new Set(buckets.map((location) => location.project))].sort(),
      argv: removeBinding(project, member, `projects/${project}/roles/${DUMP_KEY_READER_ROLE_ID}`),
      ifNotFound: 'skip',
    },
  ];
}

/**
 * `gcloud secrets add-iam-policy-binding` (or remove) of {@link SECRET_ACCESSOR_ROLE} on one secret.
 * The secret is named by its full resource name, which gcloud takes for the SECRET positional: a
 * secret id may start with a hyphen (Secret Manager allows letters, digits, `-` and `_` anywhere),
 * and alone it would be read as a flag (`--quiet`, or one that changes what the command does).
 */
function secretAccessorBinding(
  verb: 'add' | 'remove',
  { project, secret }: { readonly project: string; readonly secret: string },
  member: string,
): string[] {
  return [
    'gcloud',
    'secrets',
    `${verb}-iam-policy-binding`,
    `projects/${project}/secrets/${secret}`,
    `--member=${member}`,
    `--role=${SECRET_ACCESSOR_ROLE}`,
    '--condition=None',
    '--quiet',
  ];
}

/** The inventory's distinct Secret Manager secrets, by resource name. */
function inventorySecrets(policy: Policy): Extract<SecretLocation, { provider: 'gcp' }>[] {
  const secrets = new Map<string, Extract<SecretLocation, { provider: 'gcp' }>>();
  for (const { location } of policy.keys ? keyInventory(policy.keys) : []) {
    if (location.provider === 'gcp') secrets.set(location.resourceName, location);
  }
  return [...secrets.values()].sort((a, b) => a.resourceName.localeCompare(b.resourceName));
}

/**
 * The removal of the value reads on each secret the last deployment recorded
 * ({@link RECORDED_SECRETS}) that the inventory no longer names, whether or not inspection is on
 * (an earlier deployment may have granted them), and of the metadata reader role in each recorded
 * project that no longer holds an inventory secret. Gone is fine (a secret deleted, a binding never
 * made).
 */
function revokeDroppedSecrets(policy: Policy, member: string): ForEachRecordedStep[] {
  const secrets = inventorySecrets(policy);
  const project = `\${${RESOURCE_PROJECT}}`;
  const recorded = {
    kind: 'for-each-recorded',
    list: RECORDED_SECRETS,
    entry: RECORDED_ENTRY.secret,
  } as const;
  return [
    {
      ...recorded,
      description: "remove the key-material audit's value reads of secrets no longer in the keys inventory",
      per: 'resource',
      skip: secrets.map(({ project: holder, secret }) => `${holder}/${secret}`),
      argv: secretAccessorBinding('remove', { project, secret: `\${${RESOURCE_NAME}}` }, member),
      ifNotFound: 'skip',
    },
    {
      ...recorded,
      description:
        "remove the key-material audit's metadata reads in projects that no longer hold an inventory secret",
      per: 'project',
      skip: [...new Set(secrets.map((secret) => secret.project))].sort(),
      argv: removeBinding(project, member, `projects/${project}/roles/${SECRET_METADATA_READER_ROLE_ID}`),
      ifNotFound: 'skip',
    },
  ];
}

/**
 * The tear-down of {@link planKeysSecretAccess}: the project and secret bindings the last
 * deployment recorded and those of the policy, gone is fine.
 */
export function revokeKeysSecretAccess(policy: Policy, member: string): GcpStep[] {
  const secrets = inventorySecrets(policy);
  const projects = [...new Set(secrets.map((secret) => secret.project))].sort();
  return [
    ...revokeDroppedSecrets(policy, member),
    ...projects.map(
      (holder): RunStep => ({
        kind: 'run',
        description: `remove the key-material audit's metadata reads in ${holder}`,
        argv: removeBinding(holder, member, `projects/${holder}/roles/${SECRET_METADATA_READER_ROLE_ID}`),
        ifNotFound: 'skip',
      }),
    ),
    // Whether or not inspection is on now: an earlier deployment may have granted them.
    ...secrets.map(
      ({ project: holder, secret, resourceName }): RunStep => ({
        kind: 'run',
        description: `remove the key-material audit's value reads of ${resourceName}`,
        argv: secretAccessorBinding('remove', { project: holder, secret }, member),
        ifNotFound: 'skip',
      }),
    ),
  ];
}

/**
 * The key-material audit's read access: its custom role ({@link SECRET_METADATA_READER_ROLE_ID},
 * metadata gets only) in each project that holds an inventory secret, and, only with
 * `keys.inspectSecretValues`, {@link SECRET_ACCESSOR_ROLE} on each inventory secret and on nothing
 * else; without it, that role removed from each inventory secret (an earlier deployment with
 * inspection on granted it); then the grants on secrets the last deployment recorded and the
 * inventory dropped taken back ({@link revokeDroppedSecrets}).
 */
export function planKeysSecretAccess(policy: Policy, member: string): GcpStep[] {
  const secrets = inventorySecrets(policy);
  const projects = [...new Set(secrets.map((secret) => secret.project))].sort();
  const role: CustomRole = {
    id: SECRET_METADATA_READER_ROLE_ID,
    title: 'certctl-backup-guard secret metadata reader',
    description:
      'Reads Secret Manager secret and version metadata (never payloads) and the state of their Cloud KMS keys for the certctl-backup-guard key-material audit',
    permissions: SECRET_METADATA_READER_PERMISSIONS,
  };
  return [
    ...projects.flatMap((holder): GcpStep[] => [
      ensureCustomRole(role, holder),
      {
        kind: 'run',
        description: `let the key-material audit read secret metadata and the state of Cloud KMS keys (no payloads, no listing) in ${holder}`,
        argv: addBinding(holder, member, `projects/${holder}/roles/${SECRET_METADATA_READER_ROLE_ID}`),
      },
    ]),
    ...secrets.map(
      ({ project: holder, secret, resourceName }): RunStep =>
        policy.keys?.inspectSecretValues
          ? {
              kind: 'run',
              description: `let the key-material audit read the value of ${resourceName} only (keys.inspectSecretValues)`,
              argv: secretAccessorBinding('add', { project: holder, secret }, member),
              // A secret that does not exist has no value to read: keys.present reports it, the deployment goes on.
              ifNotFound: 'skip',
            }
          : {
              // Inspection off: an earlier deployment with it on granted the value reads; gone is fine.
              kind: 'run',
              description: `remove the key-material audit's value reads of ${resourceName} (keys.inspectSecretValues is off)`,
              argv: secretAccessorBinding('remove', { project: holder, secret }, member),
              ifNotFound: 'skip',
            },
    ),
    ...revokeDroppedSecrets(policy, member),
  ];
}

/**
 * The tear-down of {@link planDumpsBucketAccess}: the project and bucket bindings the last
 * deployment recorded and those of the policy, gone is fine.
 */
export function revokeDumpsBucketAccess(policy: Policy, member: string): GcpStep[] {
  const buckets = dumpBuckets(policy);
  const projects = [...new Set(buckets.map((location) => location.project))].sort();
  const keyReads = projects.map(
    (holder): RunStep => ({
      kind: 'run',
      description: `remove the dumps audit's Cloud KMS key state and project number reads (resourcemanager.projects.get) in ${holder}`,
      argv: removeBinding(holder, member, `projects/${holder}/roles/${DUMP_KEY_READER_ROLE_ID}`),
      ifNotFound: 'skip',
    }),
  );
  return [
    ...revokeDroppedDumpBuckets(policy, member),
    ...keyReads,
    ...buckets.map(
      ({ bucket, project: holder }): RunStep => ({
        kind: 'run',
        description: `remove the dumps audit's read access to gs://${bucket}`,
        argv: dumpReaderBinding('remove', bucket, holder, member),
        ifNotFound: 'skip',
      }),
    ),
  ];
}

/** The APIs the chat functions add: the signing secret, the chat topic and its trigger. */
export const CHAT_APIS = [
  'secretmanager.googleapis.com',
  'pubsub.googleapis.com',
  'eventarc.googleapis.com',
] as const;

/** Days a chat request record is kept (the idempotency window of a request key). */
export const CHAT_RECORDS_DAYS = 2;

/**
 * Days a `snapshot` function request record is kept by the lifecycle: a day past
 * `snapshots.expiryDays`, the record's own keep time (functions/jobs/snapshot-once.ts
 * snapshotRecordSeconds: as long as the snapshots it reports), so the rule never removes a record
 * still in force.
 */
export function snapshotRecordsDays(policy: Policy): number {
  return Math.ceil(policy.snapshots.expiryDays) + 1;
}

/**
 * Days a run record (functions/gcp/run-records-bucket.ts) is kept by the lifecycle: a day past its
 * own keep time, the backup's expiry (`snapshots.expiryDays` after it is taken) plus
 * {@link RUN_RECORD_MARGIN_DAYS}, so the rule never removes a record prune may still need.
 */
export function runRecordsDays(policy: Policy): number {
  return Math.ceil(policy.snapshots.expiryDays) + RUN_RECORD_MARGIN_DAYS + 1;
}

/**
 * The chat functions' own resources in the host project: the signing secret (created empty; its
 * value is Slack's, added by hand) and the chat topic.
 */
export function planChatResources(project: string): GcpStep[] {
  const scope = [`--project=${project}`];
  return [
    {
      kind: 'ensure',
      description: `Secret Manager secret ${CHAT_SECRET_ID} (the Slack signing secret; its value is added by hand)`,
      probe: ['gcloud', 'secrets', 'describe', CHAT_SECRET_ID, ...scope],
      create: ['gcloud', 'secrets', 'create', CHAT_SECRET_ID, ...scope, '--replication-policy=automatic'],
    },
    {
      kind: 'ensure',
      description: `Pub/Sub topic ${CHAT_TOPIC_ID} (chat commands from chat-slack to chat-action)`,
      probe: ['gcloud', 'pubsub', 'topics', 'describe', CHAT_TOPIC_ID, ...scope],
      create: ['gcloud', 'pubsub', 'topics', 'create', CHAT_TOPIC_ID, ...scope],
    },
  ];
}

/**
 * The request records bucket in the host project (uniform access, public access prevented): the
 * chat action's records, deleted after {@link CHAT_RECORDS_DAYS} days, the `snapshot`
 * function's, after {@link snapshotRecordsDays}, and the run records both write of the backups they
 * take, after {@link runRecordsDays}, each by a lifecycle rule on its prefix.
 */
export function planRecordsBucket(policy: Policy, project: string, region: string): GcpStep[] {
  const scope = [`--project=${project}`];
  const bucket = `gs://${chatRecordsBucket(project)}`;
  const rules = [
    { age: CHAT_RECORDS_DAYS, prefix: CHAT_RECORDS_PREFIX },
    { age: snapshotRecordsDays(policy), prefix: SNAPSHOT_RECORDS_PREFIX },
    { age: runRecordsDays(policy), prefix: SNAPSHOT_RUN_RECORDS_PREFIX },
  ];
  return [
    {
      kind: 'ensure',
      description: `bucket ${bucket} for request records (one run per request)`,
      probe: ['gcloud', 'storage', 'buckets', 'describe', bucket, ...scope],
      create: [
        'gcloud',
        'storage',
        'buckets',
        'create',
        bucket,
        ...scope,
        `--location=${region}`,
        '--uniform-bucket-level-access',
        '--public-access-prevention',
      ],
    },
    {
      kind: 'write-file',
      description: `lifecycle of the records bucket: delete ${rules.map((rule) => `${rule.prefix} records after ${rule.age} days`).join(', ')}`,
      path: posix.join(`\${${STAGING_DIR}}`, 'chat-records-lifecycle.json'),
      content: `${JSON.stringify({
        rule: rules.map((rule) => ({
          action: { type: 'Delete' },
          condition: { age: rule.age, matchesPrefix: [rule.prefix] },
        })),
      })}\n`,
    },
    {
      kind: 'run',
      description: 'apply the lifecycle of the records bucket',
      argv: [
        'gcloud',
        'storage',
        'buckets',
        'update',
        bucket,
        ...scope,
        `--lifecycle-file=${posix.join(`\${${STAGING_DIR}}`, 'chat-records-lifecycle.json')}`,
      ],
    },
  ];
}

/** chat-slack's access: read the signing secret and publish to the chat topic, each on that resource only. */
export function planChatSlackAccess(project: string, member: string): GcpStep[] {
  return [
    {
      kind: 'run',
      description: `let chat-slack read the signing secret ${CHAT_SECRET_ID} only`,
      argv: chatSlackBindings('add', project, member).secret,
    },
    {
      kind: 'run',
      description: `let chat-slack publish to the topic ${CHAT_TOPIC_ID} only`,
      argv: chatSlackBindings('add', project, member).topic,
    },
  ];
}

/**
 * The tear-down of {@link planChatSlackAccess}. A project where chat was never deployed has no
 * secret or topic (NOT_FOUND), or Secret Manager and Pub/Sub never enabled (SERVICE_DISABLED): there
 * is nothing to remove then, so neither stops the tear-down.
 */
export function revokeChatSlackAccess(project: string, member: string): GcpStep[] {
  const bindings = chatSlackBindings('remove', project, member);
  const tolerant = { ifNotFound: 'skip', ifApiDisabled: 'skip' } as const;
  return [
    {
      kind: 'run',
      description: `remove chat-slack's read of the signing secret ${CHAT_SECRET_ID}`,
      argv: [...bindings.secret, '--quiet'],
      ...tolerant,
    },
    {
      kind: 'run',
      description: `remove chat-slack's publishing to the topic ${CHAT_TOPIC_ID}`,
      argv: [...bindings.topic, '--quiet'],
      ...tolerant,
    },
  ];
}

/** `gcloud secrets` and `gcloud pubsub topics` `add-iam-policy-binding` (or remove) of chat-slack's roles. */
function chatSlackBindings(
  verb: 'add' | 'remove',
  project: string,
  member: string,
): { readonly secret: string[]; readonly topic: string[] } {
  const scope = [`--project=${project}`, `--member=${member}`];
  return {
    secret: [
      'gcloud',
      'secrets',
      `${verb}-iam-policy-binding`,
      CHAT_SECRET_ID,
      ...scope,
      '--role=roles/secretmanager.secretAccessor',
      '--condition=None',
    ],
    topic: [
      'gcloud',
      'pubsub',
      'topics',
      `${verb}-iam-policy-binding`,
      CHAT_TOPIC_ID,
      ...scope,
      '--role=roles/pubsub.publisher',
    ],
  };
}

/**
 * chat-action's access: its custom role ({@link CHAT_ACTION_ROLE_ID}) in each project of
 * `gcp.projects` (snapshots and the readiness reads), its records role on the records bucket only,
 * and what readiness reads beyond Cloud SQL, as the `snapshot` function has it: the dumps audit's
 * reads on the policy's dump buckets and the key-material audit's reads of the inventory secrets.
 */
export function planChatActionAccess(policy: Policy, project: string, member: string): GcpStep[] {
  const actionRole: CustomRole = {
    id: CHAT_ACTION_ROLE_ID,
    title: 'certctl-backup-guard chat action',
    description:
      'Takes on-demand Cloud SQL backups before maintenance and reads what readiness judges, for certctl-backup-guard chat commands',
    permissions: CHAT_ACTION_PERMISSIONS,
  };
  return [
    ...snapshotsAndReadinessAccess(policy, member, actionRole, 'chat-action'),
    ...requestRecordsAccess(project, member, 'chat-action'),
  ];
}

/**
 * The records role ({@link CHAT_RECORDS_ROLE_ID}: read, create and delete objects) on the records
 * bucket only, for `who`: chat-action, and the `snapshot` function, which keeps its request records
 * there too (functions/handlers/gcp/snapshot.ts).
 */
function requestRecordsAccess(project: string, member: string, who: string): GcpStep[] {
  const recordsRole: CustomRole = {
    id: CHAT_RECORDS_ROLE_ID,
    title: 'certctl-backup-guard chat records',
    description:
      'Reads, creates and deletes the request records of certctl-backup-guard chat commands and snapshot requests',
    permissions: CHAT_RECORDS_PERMISSIONS,
  };
  return [
    ensureCustomRole(recordsRole, project),
    {
      kind: 'run',
      description: `let ${who} keep its request records in gs://${chatRecordsBucket(project)} only`,
      argv: [...recordsBucketBinding('add', project, member), '--condition=None'],
    },
  ];
}

/** `gcloud storage buckets add-iam-policy-binding` (or remove) of the records role on the records bucket. */
function recordsBucketBinding(verb: 'add' | 'remove', project: string, member: string): string[] {
  return [
    'gcloud',
    'storage',
    'buckets',
    `${verb}-iam-policy-binding`,
    `gs://${chatRecordsBucket(project)}`,
    `--member=${member}`,
    `--role=projects/${project}/roles/${CHAT_RECORDS_ROLE_ID}`,
  ];
}

/**
 * The `snapshot` function's access: its custom role ({@link CLOUD_SQL_SNAPSHOT_ROLE_ID}) in each
 * project of `gcp.projects` (on-demand backups and the Cloud SQL reads), the records role on the
 * records bucket only (its request records), and what readiness reads
 * beyond Cloud SQL: the dumps audit's reads on the policy's dump buckets and the key-material
 * audit's reads of the inventory secrets (values only with `keys.inspectSecretValues`).
 */
export function planSnapshotFunctionAccess(policy: Policy, member: string, project: string): GcpStep[] {
  const role: CustomRole = {
    id: CLOUD_SQL_SNAPSHOT_ROLE_ID,
    title: 'certctl-backup-guard Cloud SQL snapshots',
    description:
      'Takes on-demand Cloud SQL backups before maintenance and reads what readiness judges, for the certctl-backup-guard snapshot function',
    permissions: CLOUD_SQL_SNAPSHOT_PERMISSIONS,
  };
  return [
    ...snapshotsAndReadinessAccess(policy, member, role, 'the snapshot function'),
    ...requestRecordsAccess(project, member, 'the snapshot function'),
  ];
}

/**
 * What a function that takes Cloud SQL backups and answers readiness gets (the `snapshot` function,
 * chat-action): `role` in each project of `gcp.projects`, and what readiness reads beyond Cloud SQL:
 * the dumps audit's reads on the policy's dump buckets and the key-material audit's reads of the
 * inventory secrets (values only with `keys.inspectSecretValues`).
 */
function snapshotsAndReadinessAccess(
  policy: Policy,
  member: string,
  role: CustomRole,
  who: string,
): GcpStep[] {
  return [
    ...policy.gcp.projects.flatMap((audited): GcpStep[] => [
      ensureCustomRole(role, audited),
      {
        kind: 'run',
        description: `let ${who} back up and read Cloud SQL in ${audited}`,
        argv: addBinding(audited, member, `projects/${audited}/roles/${role.id}`),
      },
    ]),
    revokeInDroppedProjects(policy, member, role.id, who),
    ...planDumpsBucketAccess(policy, member),
    ...planKeysSecretAccess(policy, member),
  ];
}

/**
 * The removal of `who`'s backup role ({@link snapshotsAndReadinessAccess}) in each project the last
 * deployment recorded ({@link RECORDED_PROJECTS}, read by the PITR function's steps before) that
 * `gcp.projects` no longer lists: the role creates backups, and must not outlive the project's place
 * in the policy. Gone is fine (a binding never made, a function never deployed).
 */
function revokeInDroppedProjects(
  policy: Policy,
  member: string,
  roleId: string,
  who: string,
): ForEachProjectStep {
  const dropped = `\${${AUDITED_PROJECT}}`;
  return {
    kind: 'for-each-project',
    description: `revoke ${who}'s Cloud SQL backups and reads in projects no longer in gcp.projects`,
    list: RECORDED_PROJECTS,
    skip: policy.gcp.projects,
    argv: removeBinding(dropped, member, `projects/${dropped}/roles/${roleId}`),
    ifNotFound: 'skip',
  };
}

/** The tear-down of {@link requestRecordsAccess}: the records bucket's binding (the role is kept), gone is fine. */
function revokeRequestRecordsAccess(project: string, member: string, who: string): RunStep {
  return {
    kind: 'run',
    description: `remove ${who}'s access to its request records in gs://${chatRecordsBucket(project)}`,
    argv: recordsBucketBinding('remove', project, member),
    ifNotFound: 'skip',
  };
}

/** The tear-down of {@link snapshotsAndReadinessAccess}: every binding, gone is fine. */
function revokeSnapshotsAndReadinessAccess(
  policy: Policy,
  member: string,
  roleId: string,
  who: string,
): GcpStep[] {
  return [
    revokeInDroppedProjects(policy, member, roleId, who),
    ...policy.gcp.projects.map(
      (audited): RunStep => ({
        kind: 'run',
        description: `remove ${who}'s Cloud SQL access in ${audited}`,
        argv: removeBinding(audited, member, `projects/${audited}/roles/${roleId}`),
        ifNotFound: 'skip',
      }),
    ),
    ...revokeDumpsBucketAccess(policy, member),
    ...revokeKeysSecretAccess(policy, member),
  ];
}

/** The tear-down of {@link planSnapshotFunctionAccess}: every binding, gone is fine. */
export function revokeSnapshotFunctionAccess(policy: Policy, member: string, project: string): GcpStep[] {
  const who = 'the snapshot function';
  return [
    ...revokeSnapshotsAndReadinessAccess(policy, member, CLOUD_SQL_SNAPSHOT_ROLE_ID, who),
    revokeRequestRecordsAccess(project, member, who),
  ];
}

/**
 * The `snapshot` function's timeout in seconds: as long as a run lasts (its set-up, the policy's wait
 * for the backups and its recording), within the 60 minutes an HTTP function may run
 * (functions/core/snapshots-policy.ts, where the function reads it too, to end its wait in time).
 */
export function snapshotFunctionTimeoutSeconds(policy: Policy): number {
  return functionTimeoutSeconds(policy.snapshots);
}

/** The tear-down of {@link planChatActionAccess}: every binding, gone is fine. */
export function revokeChatActionAccess(policy: Policy, member: string, project: string): GcpStep[] {
  return [
    ...revokeSnapshotsAndReadinessAccess(policy, member, CHAT_ACTION_ROLE_ID, 'chat-action'),
    revokeRequestRecordsAccess(project, member, 'chat-action'),
  ];
}

/**
 * Policy rules only the GCP deployment has: something to audit, and a way to publish when the
 * policy publishes. Without `gcp.federation` the function cannot reach Security Hub and would answer
 * HTTP 500 on every scheduled run.
 */
export function validateGcpDeployablePolicy(policy: Policy): void {
  if (policy.gcp.projects.length === 0) {
    invalid('gcp.projects', 'lists no project to audit; the function audits Cloud SQL in these projects');
  }
  if (policy.securityHub.enabled && !policy.gcp.federation) {
    invalid(
      'gcp.federation',
      'is required when securityHub.enabled is true: the function publishes Cloud SQL findings to Security Hub through it and, without it, answers HTTP 500 on every run. Set gcp.federation {roleArn, audience, serviceAccountUniqueId} (docs/deploy.md, "Deploy the GCP federation role"); to learn the uniqueId first, deploy once with a policy whose securityHub.enabled is false',
    );
  }
}

/**
 * Refuse an environment Cloud Run would refuse only after the grants were made
 * ({@link FUNCTION_ENVIRONMENT_LIMIT_BYTES}), function by function: each gets the env-vars file
 * (`environment`), and some also secrets as variables (chat-slack's Slack signing secret), each
 * counted as its name and the larger of its reference (`<secret>:<version>`, what the function's
 * configuration holds) and the bytes kept for its value (what the environment holds once an instance
 * has started). The records are not cut short to fit: a grant left out of them would never be
 * revoked when its bucket or secret leaves the policy.
 */
function checkEnvironmentSize(
  environment: Readonly<Record<string, string>>,
  functions: readonly { functionName: string; secretVariables: readonly SecretVariable[] }[],
): void {
  const bytesOf = (names: readonly string[]) =>
    names.reduce(
      (sum, name) => sum + Buffer.byteLength(name) + Buffer.byteLength(environment[name] ?? ''),
      0,
    );
  const envFile = bytesOf(Object.keys(environment));
  const secretBytes = ({ name, secret, version, valueBytes }: SecretVariable) =>
    Buffer.byteLength(name) + Math.max(Buffer.byteLength(`${secret}:${version}`), valueBytes);
  const sized = functions.map((fn) => {
    const secrets = fn.secretVariables.reduce((sum, variable) => sum + secretBytes(variable), 0);
    return { ...fn, secrets, total: envFile + secrets };
  });
  const largest = sized.reduce<(typeof sized)[number] | undefined>(
    (found, fn) => (found && found.total >= fn.total ? found : fn),
    undefined,
  );
  if (!largest || largest.total <= FUNCTION_ENVIRONMENT_LIMIT_BYTES) return;
  const policy = bytesOf([POLICY_ENV]);
  const records = bytesOf([BOUND_PROJECTS_ENV, BOUND_DUMP_BUCKETS_ENV, BOUND_SECRETS_ENV]);
  const secretParts = largest.secretVariables.map(
    (variable) =>
      `${secretBytes(variable)} ${variable.name} (from the Secret Manager secret ${variable.secret}: its name, and ${variable.valueBytes} bytes kept for the value Cloud Run puts there when an instance starts, which the deployment never reads)`,
  );
  const parts = [
    `${policy} of them ${POLICY_ENV}`,
    `${records} the records of the projects, dump buckets and secrets the deployment binds`,
    ...secretParts,
    `${envFile - policy - records} the other variables`,
  ];
  const others = sized.filter((fn) => fn !== largest && fn.total > FUNCTION_ENVIRONMENT_LIMIT_BYTES);
  const alsoOver =
    others.length > 0
      ? `; so would that of ${others.map((fn) => `${fn.functionName} (${fn.total} bytes)`).join(', ')}`
      : '';
  invalid(
    'policy',
    `${largest.functionName}'s environment would be ${largest.total} bytes (${parts.join(', ')}), over the 32 KiB (${FUNCTION_ENVIRONMENT_LIMIT_BYTES} bytes) Cloud Run allows a function's runtime environment variable names and values, secrets passed as variables included${alsoOver}. The records are not cut short (a grant left out of them would never be revoked), so nothing was deployed: shrink ${POLICY_ENV} and the records, which grow together: list fewer dump locations or inventory secrets (each is in the policy and again in its record), or fewer projects in gcp.projects`,
  );
}

/**
 * How a function of the deployment is called: an audit on its Cloud Scheduler schedule (HTTP,
 * internal-only, authenticated), the public Slack endpoint (Slack cannot present a Google identity;
 * the function verifies Slack's signature before anything else), or the chat topic's Pub/Sub
 * trigger.
 */
export type GcpFunctionTrigger =
  | { readonly kind: 'schedule'; readonly field: 'auditPitr' | 'auditDumps' | 'auditKeys' }
  | { readonly kind: 'slack' }
  | { readonly kind: 'chat-topic' }
  /**
   * HTTP, authenticated: called on request by whoever holds `roles/run.invoker` on it, and, with
   * `scheduled`, also by a Cloud Scheduler job that posts `body` on the policy's schedule.
   */
  | {
      readonly kind: 'request';
      readonly scheduled?: { readonly field: 'maintenanceSchedule'; readonly body: string };
    };

/** The policy path of a function's schedule and the body its scheduler job posts; none when it has no schedule. */
function scheduleOf(fn: GcpFunction): { readonly path: string; readonly body: string } | undefined {
  if (fn.trigger.kind === 'schedule') return { path: `schedules.${fn.trigger.field}`, body: '{}' };
  if (fn.trigger.kind === 'request' && fn.trigger.scheduled) {
    return { path: `snapshots.${fn.trigger.scheduled.field}`, body: fn.trigger.scheduled.body };
  }
  return undefined;
}

/** The schedule expression at `path` (`schedules.auditPitr`, `snapshots.maintenanceSchedule`). */
function scheduleExpression(policy: Policy, path: string): string {
  const [section, field] = path.split('.') as ['schedules' | 'snapshots', string];
  return (policy[section] as Readonly<Record<string, string>>)[field] ?? '';
}

/**
 * One Cloud Function of the deployment: its code, how it is called, and whether the policy gives it
 * anything to do. Each runs as its own service account holding only its own permissions, and is
 * bundled from its own handler, so it carries only its own clients.
 */
export interface GcpFunction {
  /** The job's name, as the Lambda of the same job is named (`audit-pitr`, `chat-slack`). */
  readonly job: string;
  /** The Functions Framework entry point its handler registers. */
  readonly entryPoint: string;
  /** Its handler, relative to the repository root. */
  readonly handlerPath: string;
  readonly trigger: GcpFunctionTrigger;
  /** Suffix of its `${NAME}` captures: '' for audit-pitr (the names earlier versions printed). */
  readonly variableSuffix: string;
  /** True when the policy gives it something to audit; otherwise a deployment removes it. */
  readonly configured: (policy: Policy) => boolean;
  /** Description of its runtime service account: what it reads, and with which role. */
  readonly accountDescription: (policy: Policy) => string;
  /** APIs it calls in the host project beyond {@link REQUIRED_APIS}. */
  readonly apis: readonly string[];
  /**
   * The reads its own account gets (`member`), granted on each deployment; audit-pitr's Cloud SQL
   * grants, with the projects they are recorded for, are planned by {@link planGcpDeployment}.
   */
  readonly access?: (policy: Policy, member: string, project: string) => GcpStep[];
  /** The tear-down of {@link GcpFunction.access}: every binding removed, gone is fine. */
  readonly revoke?: (policy: Policy, member: string, project: string) => GcpStep[];
  /** Secrets it gets as environment variables, beside the env-vars file every function gets. */
  readonly secretVariables?: readonly SecretVariable[];
}

/** The Cloud Functions, in deployment order. */
export const GCP_FUNCTIONS: readonly GcpFunction[] = [
  {
    job: 'audit-pitr',
    entryPoint: GCP_ENTRY_POINT,
    handlerPath: GCP_HANDLER_PATH,
    trigger: { kind: 'schedule', field: 'auditPitr' },
    variableSuffix: '',
    configured: () => true,
    accountDescription: () =>
      `Runs the certctl-backup-guard PITR audit: reads Cloud SQL settings (${CLOUD_SQL_READER_ROLE_ID})`,
    apis: [],
  },
  {
    job: 'audit-dumps',
    entryPoint: 'auditDumps',
    handlerPath: 'functions/handlers/gcp/audit-dumps.ts',
    trigger: { kind: 'schedule', field: 'auditDumps' },
    variableSuffix: '_AUDIT_DUMPS',
    configured: (policy) => policy.dumps.locations.some((location) => location.provider === 'gcp'),
    accountDescription: () =>
      `Runs the certctl-backup-guard dumps audit: lists and reads dump headers in the policy's buckets (${DUMP_READER_ROLE_ID}) and the state of their Cloud KMS keys (${DUMP_KEY_READER_ROLE_ID})`,
    // Cloud KMS: the state of the buckets' customer-managed keys (functions/gcp/gcs-dumps.ts);
    // Resource Manager: the number of each bucket's project (functions/gcp/resource-manager.ts).
    apis: ['storage.googleapis.com', 'cloudkms.googleapis.com', RESOURCE_MANAGER_API],
    access: planDumpsBucketAccess,
    revoke: revokeDumpsBucketAccess,
  },
  {
    job: 'audit-keys',
    entryPoint: 'auditKeys',
    handlerPath: 'functions/handlers/gcp/audit-keys.ts',
    trigger: { kind: 'schedule', field: 'auditKeys' },
    variableSuffix: '_AUDIT_KEYS',
    configured: (policy) => inventorySecrets(policy).length > 0,
    accountDescription: (policy) =>
      `Runs the certctl-backup-guard key-material audit: reads secret metadata (${SECRET_METADATA_READER_ROLE_ID})${policy.keys?.inspectSecretValues ? " and the inventory secrets' values" : ''}`,
    // Cloud KMS: the state of the secrets' customer-managed keys (functions/gcp/cloud-kms.ts).
    apis: ['secretmanager.googleapis.com', 'cloudkms.googleapis.com'],
    access: planKeysSecretAccess,
    revoke: revokeKeysSecretAccess,
  },
  {
    job: 'snapshot',
    entryPoint: 'snapshot',
    handlerPath: SNAPSHOT_HANDLER_PATH,
    // Its scheduler job runs the maintenance-aware scan, as the snapshot Lambda's schedule does.
    trigger: {
      kind: 'request',
      scheduled: { field: 'maintenanceSchedule', body: '{"action":"maintenance"}' },
    },
    variableSuffix: '_SNAPSHOT',
    // The Cloud SQL instances of gcp.projects, which every GCP deployment lists.
    configured: () => true,
    accountDescription: () =>
      `Takes pre-maintenance Cloud SQL backups and answers readiness for certctl-backup-guard (${CLOUD_SQL_SNAPSHOT_ROLE_ID}), its request records`,
    // Cloud KMS: the state of the key version a CMEK instance's backup was encrypted with; Resource
    // Manager: readiness proves each dump bucket its project's (functions/gcp/resource-manager.ts);
    // Cloud Storage: its request records.
    apis: ['cloudkms.googleapis.com', RESOURCE_MANAGER_API, 'storage.googleapis.com'],
    access: planSnapshotFunctionAccess,
    revoke: revokeSnapshotFunctionAccess,
  },
  {
    job: 'chat-slack',
    entryPoint: 'chatSlack',
    handlerPath: CHAT_SLACK_HANDLER_PATH,
    trigger: { kind: 'slack' },
    variableSuffix: '_CHAT_SLACK',
    configured: chatConfigured,
    accountDescription: () =>
      'The certctl-backup-guard Slack endpoint: reads the signing secret and publishes commands to the chat topic',
    apis: [...CHAT_APIS],
    // The secret's latest version, resolved when an instance starts (once per instance).
    secretVariables: [
      {
        name: SLACK_SECRET_VALUE_ENV,
        secret: CHAT_SECRET_ID,
        version: 'latest',
        valueBytes: SLACK_SIGNING_SECRET_VALUE_BYTES,
      },
    ],
    access: (_policy, member, project) => planChatSlackAccess(project, member),
    revoke: (_policy, member, project) => revokeChatSlackAccess(project, member),
  },
  {
    job: 'chat-action',
    entryPoint: 'chatAction',
    handlerPath: CHAT_ACTION_HANDLER_PATH,
    trigger: { kind: 'chat-topic' },
    variableSuffix: '_CHAT_ACTION',
    configured: chatConfigured,
    accountDescription: () =>
      `Runs certctl-backup-guard chat commands: Cloud SQL snapshots and readiness (${CHAT_ACTION_ROLE_ID}), its request records`,
    apis: [...CHAT_APIS, 'storage.googleapis.com', 'cloudkms.googleapis.com', RESOURCE_MANAGER_API],
    access: (policy, member, project) => planChatActionAccess(policy, project, member),
    revoke: revokeChatActionAccess,
  },
];

/** The scheduled audit functions among {@link GCP_FUNCTIONS}. */
export const GCP_AUDIT_FUNCTIONS: readonly GcpFunction[] = GCP_FUNCTIONS.filter(
  (fn) => fn.trigger.kind === 'schedule',
);

/** Whether the policy asks for the chat functions: a Slack workspace is allowed. */
function chatConfigured(policy: Policy): boolean {
  return policy.chatops.slack.teams.length > 0;
}

/** What one audit function is known by in a deployment. */
export interface GcpFunctionNames {
  readonly functionName: string;
  readonly jobName: string;
  readonly serviceAccountEmail: string;
  /** The capture holding the function's URL. */
  readonly urlVariable: string;
  /** The capture holding its runtime account's numeric uniqueId. */
  readonly uniqueIdVariable: string;
}

/**
 * The names of `fn` in a deployment: audit-pitr keeps the names of `--function-name` and the
 * options; every other function is `certctl-<job>`, function and service account alike.
 */
export function functionNames(
  fn: GcpFunction,
  options: Pick<GcpDeploymentOptions, 'project' | 'functionName' | 'serviceAccountId'>,
): GcpFunctionNames {
  const email = (id: string) => `${id}@${options.project}.iam.gserviceaccount.com`;
  if (fn.job === 'audit-pitr') {
    const names = deploymentNames(options);
    return {
      functionName: names.functionName,
      jobName: names.jobName,
      serviceAccountEmail: names.serviceAccountEmail,
      urlVariable: FUNCTION_URL,
      uniqueIdVariable: SERVICE_ACCOUNT_UNIQUE_ID,
    };
  }
  const functionName = `certctl-${fn.job}`;
  return {
    functionName,
    jobName: `${functionName}-schedule`,
    serviceAccountEmail: email(functionName),
    urlVariable: `${FUNCTION_URL}${fn.variableSuffix}`,
    uniqueIdVariable: `${SERVICE_ACCOUNT_UNIQUE_ID}${fn.variableSuffix}`,
  };
}

/** Every step of a deployment, in order. Pure: nothing runs here. */
export function planGcpDeployment(options: GcpDeploymentOptions): GcpStep[] {
  const { project, region, policy } = options;
  const names = deploymentNames(options);
  validateGcpDeployablePolicy(policy);
  const timeZone = options.timeZone ?? 'Etc/UTC';
  checkTimeZone(timeZone);
  const timeoutSeconds = options.timeoutSeconds ?? 300;
  const stagingDir = `\${${STAGING_DIR}}`;
  const envFile = posix.join(stagingDir, 'env.yaml');
  const scope = [`--project=${project}`];
  const runtimeMember = `serviceAccount:${names.serviceAccountEmail}`;
  const audited = policy.gcp.projects;
  const deployed = GCP_FUNCTIONS.filter((fn) => fn.configured(policy)).map((fn) => ({
    fn,
    names: functionNames(fn, options),
    // The first function keeps the source directory earlier versions used.
    sourceDir: posix.join(stagingDir, fn.job === 'audit-pitr' ? 'source' : `source-${fn.job}`),
    schedule: scheduleOf(fn),
  }));
  const removed = GCP_FUNCTIONS.filter((fn) => !fn.configured(policy)).map((fn) => ({
    fn,
    names: functionNames(fn, options),
  }));
  const chat = deployed.some(({ fn }) => fn.trigger.kind === 'slack' || fn.trigger.kind === 'chat-topic');

  const createAccount = (email: string, displayName: string, description: string): EnsureStep => ({
    kind: 'ensure',
    description: displayName,
    probe: ['gcloud', 'iam', 'service-accounts', 'describe', email, ...scope],
    create: [
      'gcloud',
      'iam',
      'service-accounts',
      'create',
      email.split('@')[0] ?? '',
      ...scope,
      `--display-name=${displayName}`,
      `--description=${description}`,
    ],
  });
  const cloudSqlReader: CustomRole = {
    id: CLOUD_SQL_READER_ROLE_ID,
    title: 'certctl-backup-guard Cloud SQL reader',
    description:
      'Reads Cloud SQL instance settings, recovery windows and backup runs for the certctl-backup-guard PITR audit',
    permissions: CLOUD_SQL_READER_PERMISSIONS,
  };

  const cloudSqlAccess: GcpStep[] = [
    ...audited.flatMap((auditedProject): GcpStep[] => [
      ensureCustomRole(cloudSqlReader, auditedProject),
      {
        kind: 'run',
        description: `let the function read Cloud SQL settings in ${auditedProject}`,
        argv: addBinding(auditedProject, runtimeMember, cloudSqlReaderRole(auditedProject)),
      },
      {
        kind: 'run',
        description: `remove the broader ${LEGACY_CLOUD_SQL_VIEWER_ROLE} earlier versions granted in ${auditedProject}`,
        argv: removeBinding(auditedProject, runtimeMember, LEGACY_CLOUD_SQL_VIEWER_ROLE),
        ifNotFound: 'skip',
      },
    ]),
    {
      kind: 'for-each-project',
      description: 'revoke Cloud SQL read access in projects no longer in gcp.projects',
      list: RECORDED_PROJECTS,
      skip: audited,
      argv: removeBinding(
        `\${${AUDITED_PROJECT}}`,
        runtimeMember,
        cloudSqlReaderRole(`\${${AUDITED_PROJECT}}`),
      ),
      ifNotFound: 'skip',
    },
  ];
  /** The reads each function's own account gets. */
  const accessOf = (fn: GcpFunction, own: GcpFunctionNames): GcpStep[] =>
    fn.access ? fn.access(policy, `serviceAccount:${own.serviceAccountEmail}`, project) : cloudSqlAccess;
  const environment = {
    [POLICY_ENV]: JSON.stringify(policy),
    [BOUND_PROJECTS_ENV]: audited.join(','),
    [BOUND_DUMP_BUCKETS_ENV]: recordValue(
      dumpBuckets(policy).map(({ bucket, project: holder }) => `${holder}/${bucket}`),
    ),
    [BOUND_SECRETS_ENV]: recordValue(
      inventorySecrets(policy).map(({ project: holder, secret }) => `${holder}/${secret}`),
    ),
    // The request records: the snapshot function's (deployed always) and chat-action's.
    [CHAT_RECORDS_BUCKET_ENV]: chatRecordsBucket(project),
    ...(chat ? { [CHAT_TOPIC_ENV]: `projects/${project}/topics/${CHAT_TOPIC_ID}` } : {}),
  };
  checkEnvironmentSize(
    environment,
    deployed.map(({ fn, names: own }) => ({
      functionName: own.functionName,
      secretVariables: fn.secretVariables ?? [],
    })),
  );

  const functionSteps = deployed.map(({ fn, names: own, sourceDir, schedule }): FunctionSteps => {
    const deploy = (description: string, flags: readonly string[]): RunStep => ({
      kind: 'run',
      description: `deploy ${own.functionName} (2nd gen, Node.js 24, ${description})`,
      argv: [
        'gcloud',
        'functions',
        'deploy',
        own.functionName,
        '--gen2',
        ...scope,
        `--region=${region}`,
        '--runtime=nodejs24',
        `--source=${sourceDir}`,
        `--entry-point=${fn.entryPoint}`,
        ...flags,
        `--service-account=${own.serviceAccountEmail}`,
        `--build-service-account=projects/${project}/serviceAccounts/${names.builderEmail}`,
        `--env-vars-file=${envFile}`,
        '--memory=256Mi',
        '--quiet',
      ],
    });
    const describeUrl = (why: string): RunStep => ({
      kind: 'run',
      description: `URL of ${own.functionName} (${why})`,
      argv: [
        'gcloud',
        'functions',
        'describe',
        own.functionName,
        '--gen2',
        ...scope,
        `--region=${region}`,
        '--format=value(serviceConfig.uri)',
      ],
      capture: own.urlVariable,
    });
    const invoker = (why: string): RunStep => ({
      kind: 'run',
      description: `let the invoker account call ${own.functionName} (${why}), and nothing else`,
      argv: [
        'gcloud',
        'run',
        'services',
        'add-iam-policy-binding',
        own.functionName,
        ...scope,
        `--region=${region}`,
        `--member=serviceAccount:${names.invokerEmail}`,
        `--role=${RUN_INVOKER_ROLE}`,
        '--quiet',
      ],
    });
    /** The Cloud Scheduler job that posts the schedule's body to the function, as the invoker account. */
    const schedulerJob = (deadlineSeconds: number): GcpStep[] => {
      if (!schedule) return [];
      const expression = scheduleExpression(policy, schedule.path);
      const cron = toCloudSchedulerCron(parseAuditSchedule(expression, schedule.path));
      const url = `\${${own.urlVariable}}`;
      const attemptDeadline = Math.min(1800, deadlineSeconds + 30);
      const flags = [
        `--location=${region}`,
        `--schedule=${cron}`,
        `--time-zone=${timeZone}`,
        `--uri=${url}`,
        '--http-method=POST',
        `--message-body=${schedule.body}`,
        `--oidc-service-account-email=${names.invokerEmail}`,
        `--oidc-token-audience=${url}`,
        // The scheduler waits for the whole run, a little longer than the function may take
        // (Cloud Scheduler allows an HTTP attempt at most 30 minutes).
        `--attempt-deadline=${attemptDeadline}s`,
        // A failed attempt (HTTP 5xx: a scope not evaluated, findings not published, an instance
        // not started) is retried, 3 times, 1 then 2 then 4 minutes later (at most 10): the
        // retryCount default is 0, which leaves a transient failure to the next scheduled run.
        // Bounded, so a permanent one does not repeat for ever; the 400 of a bad body cannot come
        // from the job's own fixed body. (https://cloud.google.com/scheduler/docs/configuring/retry-jobs)
        // Not when the function may outlive the attempt deadline: a run still going would count
        // as failed and be started again beside itself.
        `--max-retry-attempts=${attemptDeadline >= deadlineSeconds + 30 ? SCHEDULER_RETRY_ATTEMPTS : 0}`,
        '--min-backoff=60s',
        '--max-backoff=600s',
        `--description=certctl-backup-guard ${fn.job} (${expression})`,
      ];
      const command = (verb: 'create' | 'update', headers: string): string[] => [
        'gcloud',
        'scheduler',
        'jobs',
        verb,
        'http',
        own.jobName,
        ...scope,
        ...flags,
        headers,
      ];
      return [
        invoker('the scheduler calls it as this account'),
        {
          kind: 'ensure',
          description: `Cloud Scheduler job for ${fn.job} (${cron} ${timeZone}) with OIDC authentication`,
          probe: ['gcloud', 'scheduler', 'jobs', 'describe', own.jobName, ...scope, `--location=${region}`],
          create: command('create', '--headers=Content-Type=application/json'),
          update: command('update', '--update-headers=Content-Type=application/json'),
        },
      ];
    };
    if (fn.trigger.kind === 'slack') {
      return {
        deploy: deploy('HTTP, public for Slack, every request verified by its Slack signature', [
          '--trigger-http',
          '--allow-unauthenticated',
          '--ingress-settings=all',
          `--set-secrets=${(fn.secretVariables ?? []).map(({ name, secret, version }) => `${name}=${secret}:${version}`).join(',')}`,
          // Slack waits 3 seconds for the acknowledgement.
          '--timeout=10s',
        ]),
        afterDeploy: [
          describeUrl("the Slack app's slash command Request URL"),
          {
            kind: 'note',
            message: `Set the Slack app's slash command Request URL to \${${own.urlVariable}}, and put the app's signing secret into Secret Manager: printf '%s' "$SLACK_SIGNING_SECRET" | gcloud secrets versions add ${CHAT_SECRET_ID} --data-file=- --project=${project}`,
          },
        ],
      };
    }
    if (fn.trigger.kind === 'request') {
      return {
        deploy: deploy('HTTP, authenticated: only callers granted roles/run.invoker on it', [
          '--trigger-http',
          '--no-allow-unauthenticated',
          // Operators and their automation call it from outside Google Cloud; IAM refuses every
          // caller without roles/run.invoker on it, and no account holds that after this deploy.
          '--ingress-settings=all',
          `--timeout=${snapshotFunctionTimeoutSeconds(policy)}s`,
        ]),
        afterDeploy: [
          describeUrl('callers POST snapshot and readiness requests to it'),
          {
            kind: 'note',
            message: `The snapshot function answers POST {"action":"snapshot","requestId":…,"reason":…,"requestedBy":…} and {"action":"readiness"} at \${${own.urlVariable}} with an ID token; its scheduler job posts {"action":"maintenance"} (docs/deploy.md, "The snapshot Cloud Function"). Let someone call it with: gcloud run services add-iam-policy-binding ${own.functionName} --project=${project} --region=${region} --member=user:<email> --role=${RUN_INVOKER_ROLE}`,
          },
          ...schedulerJob(snapshotFunctionTimeoutSeconds(policy)),
        ],
      };
    }
    if (fn.trigger.kind === 'chat-topic') {
      return {
        deploy: deploy('Pub/Sub trigger on the chat topic, authenticated', [
          `--trigger-topic=${CHAT_TOPIC_ID}`,
          // Eventarc pushes as the invoker account, which alone may call the function.
          `--trigger-service-account=${names.invokerEmail}`,
          '--no-allow-unauthenticated',
          '--ingress-settings=internal-only',
          // The longest an event-driven function may run; snapshots stop waiting a minute before.
          '--timeout=540s',
          '--retry',
        ]),
        afterDeploy: [invoker('the chat topic pushes commands as it')],
      };
    }
    return {
      deploy: deploy('HTTP, internal-only, authenticated', [
        '--trigger-http',
        '--no-allow-unauthenticated',
        '--ingress-settings=internal-only',
        `--timeout=${timeoutSeconds}s`,
        // One audit at a time: overlapping runs would only repeat the same API calls.
        '--max-instances=1',
      ]),
      afterDeploy: [
        describeUrl('the scheduler calls it and uses it as the OIDC audience'),
        ...schedulerJob(timeoutSeconds),
      ],
    };
  });

  // The records live on the first function, audit-pitr, which every deployment deploys.
  const [recordHolder, ...otherFunctions] = functionSteps;
  if (!recordHolder || deployed[0]?.fn.job !== 'audit-pitr') {
    throw new Error('a deployment deploys audit-pitr first: it holds the records');
  }
  const access = deployed.flatMap(({ fn, names: own }) => accessOf(fn, own));

  return [
    ...deployed.flatMap(({ sourceDir }): GcpStep[] => [
      {
        kind: 'write-file',
        description: 'package.json for the function: only the Functions Framework, at the tested version',
        path: posix.join(sourceDir, 'package.json'),
        content: options.deployedPackage.packageJson,
      },
      {
        kind: 'write-file',
        description:
          'package-lock.json for the function, so Cloud Build installs exactly what was tested (npm ci)',
        path: posix.join(sourceDir, 'package-lock.json'),
        content: options.deployedPackage.packageLock,
      },
    ]),
    {
      kind: 'write-file',
      description: 'environment of the functions: the policy, validated, and the projects it is bound in',
      path: envFile,
      // One line: the JSON must reach the function byte for byte, unfolded.
      content: toYaml(environment, { lineWidth: 0 }),
    },
    ...deployed.map(
      ({ fn, sourceDir }): RunStep => ({
        kind: 'run',
        description: `bundle the ${fn.job} handler into ${BUNDLE_FILE_NAME} and the chunks it loads when it publishes (${CLOUD_FUNCTION_BUNDLER}: the Lambda settings, REST-only Cloud SQL clients, the Functions Framework external)`,
        argv: ['node', CLOUD_FUNCTION_BUNDLER, fn.handlerPath, sourceDir],
      }),
    ),
    {
      kind: 'run',
      description: 'enable the APIs the deployment and the functions use',
      argv: [
        'gcloud',
        'services',
        'enable',
        ...REQUIRED_APIS,
        ...new Set(deployed.flatMap(({ fn }) => fn.apis)),
        ...scope,
      ],
    },
    ...(chat ? planChatResources(project) : []),
    ...planRecordsBucket(policy, project, region),
    ...deployed.map(({ fn, names: own }) =>
      createAccount(own.serviceAccountEmail, `certctl-backup-guard ${fn.job}`, fn.accountDescription(policy)),
    ),
    createAccount(
      names.invokerEmail,
      'certctl-backup-guard audit-pitr invoker',
      'Cloud Scheduler calls the audit functions as this account (roles/run.invoker on each function only)',
    ),
    createAccount(
      names.builderEmail,
      'certctl-backup-guard audit-pitr builder',
      `Cloud Build builds the audit functions as this account (${RUN_BUILDER_ROLE})`,
    ),
    {
      kind: 'run',
      description: 'let the build account build the functions (logs, source, image)',
      argv: addBinding(project, `serviceAccount:${names.builderEmail}`, RUN_BUILDER_ROLE),
    },
    ...deployed.map(
      ({ fn, names: own }): RunStep => ({
        kind: 'run',
        description: `numeric unique id of the ${fn.job} runtime service account (the AWS federation role pins it)`,
        argv: [
          'gcloud',
          'iam',
          'service-accounts',
          'describe',
          own.serviceAccountEmail,
          ...scope,
          '--format=value(uniqueId)',
        ],
        capture: own.uniqueIdVariable,
      }),
    ),
    // The records are read, every revocation they drive is made, then the records are rewritten,
    // and only then is anything they list granted. So a run stopped at any step leaves no grant that
    // the records on the function do not list, and the next run (or --destroy) revokes it:
    // - the revocations come before the deploy that rewrites the records, which would forget them;
    // - the grants come after it: a grant made before it, in a run that failed before it, would be
    //   in no record, and no later run would know to revoke it.
    ...recordSteps(names, project, region),
    ...access.filter(drivenByRecord),
    // A function whose policy section is now empty is removed with its schedule and the access its
    // account still holds for what the policy names and the records list (chat-action's backups in
    // gcp.projects); gone is fine.
    ...removed.flatMap(({ fn, names: own }) => removeFunctionAndAccess(fn, own, policy, project, region)),
    // audit-pitr with the new records (and the new policy: until its grants below are made, a
    // scheduled run in between reads a newly listed project, bucket or secret as could not evaluate).
    recordHolder.deploy,
    ...access.filter((step) => !drivenByRecord(step)),
    ...recordHolder.afterDeploy,
    ...otherFunctions.flatMap(({ deploy, afterDeploy }) => [deploy, ...afterDeploy]),
    ...missingRecordNotes(names, 'deploy'),
    {
      kind: 'note',
      message: federationNote(
        policy,
        // Only the audits publish to Security Hub through the federation role.
        deployed
          .filter(({ fn }) => fn.trigger.kind === 'schedule')
          .map(({ fn, names: own }) => ({ job: fn.job, variable: own.uniqueIdVariable })),
      ),
    },
  ];
}

/** A function's deploy, and what comes after it: its URL, its invoker binding, its scheduler job. */
interface FunctionSteps {
  readonly deploy: RunStep;
  readonly afterDeploy: readonly GcpStep[];
}

/**
 * True for the revocations the records drive: each grant on a project, dump bucket or inventory
 * secret the last deployment recorded and the policy no longer lists.
 */
function drivenByRecord(step: GcpStep): boolean {
  return step.kind === 'for-each-project' || step.kind === 'for-each-recorded';
}

/** {@link removeFunctionSteps}, then every binding {@link GcpFunction.revoke} knows from the policy. */
function removeFunctionAndAccess(
  fn: GcpFunction,
  own: GcpFunctionNames,
  policy: Policy,
  project: string,
  region: string,
): GcpStep[] {
  return [
    ...removeFunctionSteps(fn, own, project, region),
    ...(fn.revoke?.(policy, `serviceAccount:${own.serviceAccountEmail}`, project) ?? []),
  ];
}

/** Delete a function's scheduler job (when it has one) and the function; either already gone is fine. */
function removeFunctionSteps(
  fn: GcpFunction,
  own: GcpFunctionNames,
  project: string,
  region: string,
): RunStep[] {
  const scope = [`--project=${project}`];
  const schedulerJob: RunStep[] =
    scheduleOf(fn) !== undefined
      ? [
          {
            kind: 'run',
            description: `delete the scheduler job ${own.jobName}`,
            argv: [
              'gcloud',
              'scheduler',
              'jobs',
              'delete',
              own.jobName,
              ...scope,
              `--location=${region}`,
              '--quiet',
            ],
            ifNotFound: 'skip',
          },
        ]
      : [];
  return [
    ...schedulerJob,
    {
      kind: 'run',
      description: `delete the function ${own.functionName}`,
      argv: [
        'gcloud',
        'functions',
        'delete',
        own.functionName,
        '--gen2',
        ...scope,
        `--region=${region}`,
        '--quiet',
      ],
      ifNotFound: 'skip',
    },
  ];
}

/**
 * What to do with the uniqueIds: the federation role trusts each function's runtime account
 * (`gcp.federation.serviceAccountUniqueId`, one id or a list).
 */
function federationNote(policy: Policy, accounts: readonly { job: string; variable: string }[]): string {
  const ids = accounts.map(({ job, variable }) => `${job} \${${variable}}`).join(', ');
  const list = accounts.map(({ variable }) => `"\${${variable}}"`).join(', ');
  const wanted = accounts.length === 1 ? list : `[${list}]`;
  const federation = policy.gcp.federation;
  if (!federation) {
    return `Service account uniqueIds: ${ids}. To publish findings to Security Hub, set gcp.federation {roleArn, audience, serviceAccountUniqueId: ${wanted}}, securityHub.enabled and securityHub.centralAccountId in the policy, deploy CertctlBackupGuardFederation, then run this script again.`;
  }
  const trusted = [federation.serviceAccountUniqueId].flat().join(', ');
  return `Service account uniqueIds: ${ids}. The AWS federation role trusts serviceAccountUniqueId ${trusted}; if they differ, set it to ${wanted} in the policy, redeploy CertctlBackupGuardFederation and run this script again.`;
}

/**
 * Every step of a tear-down. Bindings are revoked in every project, dump bucket and inventory secret
 * the last deployment recorded on the function ({@link BOUND_PROJECTS_ENV},
 * {@link BOUND_DUMP_BUCKETS_ENV}, {@link BOUND_SECRETS_ENV}) and on those the policy lists, and the
 * records are read before the function (and its records) is deleted, so a failed tear-down can be
 * run again. A resource that is already
 * gone is skipped; every other failure stops the run.
 */
export function planGcpTeardown(
  options: Pick<
    GcpDeploymentOptions,
    | 'project'
    | 'region'
    | 'policy'
    | 'functionName'
    | 'serviceAccountId'
    | 'invokerAccountId'
    | 'builderAccountId'
  >,
): GcpStep[] {
  const { project, region, policy } = options;
  const names = deploymentNames(options);
  const scope = [`--project=${project}`];
  const runtimeMember = `serviceAccount:${names.serviceAccountEmail}`;
  const step = (description: string, argv: string[]): RunStep => ({
    kind: 'run',
    description,
    argv,
    ifNotFound: 'skip',
  });
  const loopProject = `\${${AUDITED_PROJECT}}`;
  const others = GCP_FUNCTIONS.filter((fn) => fn.job !== 'audit-pitr').map((fn) => ({
    fn,
    own: functionNames(fn, options),
  }));
  return [
    ...recordSteps(names, project, region),
    step('delete the scheduler job', [
      'gcloud',
      'scheduler',
      'jobs',
      'delete',
      names.jobName,
      ...scope,
      `--location=${region}`,
      '--quiet',
    ]),
    {
      kind: 'for-each-project',
      description: 'remove Cloud SQL read access in every project the last deployment bound',
      list: RECORDED_PROJECTS,
      skip: policy.gcp.projects,
      argv: removeBinding(loopProject, runtimeMember, cloudSqlReaderRole(loopProject)),
      ifNotFound: 'skip',
    },
    ...policy.gcp.projects.flatMap((audited) => [
      step(
        `remove Cloud SQL read access in ${audited}`,
        removeBinding(audited, runtimeMember, cloudSqlReaderRole(audited)),
      ),
      step(
        `remove ${LEGACY_CLOUD_SQL_VIEWER_ROLE} (earlier versions) in ${audited}`,
        removeBinding(audited, runtimeMember, LEGACY_CLOUD_SQL_VIEWER_ROLE),
      ),
    ]),
    // The other functions, whether or not the policy still configures them.
    ...others.flatMap(({ fn, own }) => removeFunctionAndAccess(fn, own, policy, project, region)),
    // Last of the functions: it holds the records, which a tear-down run again after a failure reads.
    step('delete the function', [
      'gcloud',
      'functions',
      'delete',
      names.functionName,
      '--gen2',
      ...scope,
      `--region=${region}`,
      '--quiet',
    ]),
    step(
      "remove the build account's role",
      removeBinding(project, `serviceAccount:${names.builderEmail}`, RUN_BUILDER_ROLE),
    ),
    ...[
      names.serviceAccountEmail,
      ...others.map(({ own }) => own.serviceAccountEmail),
      names.invokerEmail,
      names.builderEmail,
    ].map((email) =>
      step(`delete the service account ${email.split('@')[0]}`, [
        'gcloud',
        'iam',
        'service-accounts',
        'delete',
        email,
        ...scope,
        '--quiet',
      ]),
    ),
    ...missingRecordNotes(names, 'destroy'),
  ];
}

const PLACEHOLDER = /\$\{([A-Z_]+)\}/g;
const HAS_PLACEHOLDER = /\$\{[A-Z_]+\}/;

/** Quote one argument for bash; `${NAME}` placeholders stay expandable. */
export function shellQuote(argument: string): string {
  if (/^[\w@%+=:,./-]+$/.test(argument)) return argument;
  if (HAS_PLACEHOLDER.test(argument)) {
    const parts = argument.split(PLACEHOLDER);
    // split() with a capture group alternates literal text and placeholder names.
    const body = parts
      .map((part, index) => (index % 2 === 1 ? `\${${part}}` : part.replace(/(["\\$`])/g, '\\$1')))
      .join('');
    return `"${body}"`;
  }
  return `'${argument.replaceAll("'", "'\\''")}'`;
}

function commandLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** Every text of a step that may hold a `${NAME}` placeholder. */
function stepTexts(step: GcpStep): readonly string[] {
  switch (step.kind) {
    case 'write-file':
      return [step.path];
    case 'run':
    case 'for-each-project':
    case 'for-each-recorded':
      return step.argv;
    case 'ensure':
      return [...step.probe, ...step.create, ...(step.update ?? [])];
    case 'note':
      return [step.message];
  }
}

function usesPlaceholder(steps: readonly GcpStep[], name: string): boolean {
  const marker = `\${${name}}`;
  return steps.some((step) => stepTexts(step).some((text) => text.includes(marker)));
}

/**
 * The bash function the script runs "already gone is fine" commands through (`if_found`), or, with
 * `apiDisabled`, "already gone or the API not enabled is fine" ones (`if_found_or_api_disabled`).
 */
function ifFoundFunction(apiDisabled: boolean): string[] {
  return [
    apiDisabled
      ? '# Runs a command; gcloud saying "not found" or the API is not enabled (nothing to remove) is fine, any other failure stops the script.'
      : '# Runs a command; gcloud saying "not found" (already gone) is fine, any other failure stops the script.',
    `${apiDisabled ? 'if_found_or_api_disabled' : 'if_found'}() {`,
    '  local stderr_file status=0',
    '  stderr_file="$(mktemp)"',
    // `>|`: the deployment's script sets noclobber for its staging files, and mktemp made this one.
    '  "$@" 2>|"$stderr_file" || status=$?',
    `  if [[ $status -ne 0 ]] && grep -qiE '${NOT_FOUND_PATTERN}' "$stderr_file"; then`,
    '    echo "already gone: $*" >&2',
    '    status=0',
    ...(apiDisabled
      ? [
          `  elif [[ $status -ne 0 ]] && grep -qE '${API_DISABLED_PATTERN}' "$stderr_file"; then`,
          '    echo "API not enabled, nothing to remove: $*" >&2',
          '    status=0',
        ]
      : []),
    '  elif [[ $status -ne 0 ]]; then',
    '    cat "$stderr_file" >&2',
    '  fi',
    '  rm -f "$stderr_file"',
    '  return "$status"',
    '}',
  ];
}

/** The bash function a run step's command goes through, if any, with a space after it. */
function toleratingPrefix(step: Pick<RunStep, 'ifNotFound' | 'ifApiDisabled'>): string {
  if (step.ifApiDisabled === 'skip') return 'if_found_or_api_disabled ';
  return step.ifNotFound === 'skip' ? 'if_found ' : '';
}

/** The plan as a bash script: what `--dry-run` prints. Running it would do what the script does. */
export function renderShellScript(steps: readonly GcpStep[]): string {
  const lines = ['#!/usr/bin/env bash', 'set -euo pipefail', ''];
  if (usesPlaceholder(steps, STAGING_DIR)) {
    lines.push(
      '# A private staging directory (mode 0700), removed on exit; files are created, never overwritten.',
      `${STAGING_DIR}="$(mktemp -d)"`,
      `trap 'rm -rf "\${${STAGING_DIR}}"' EXIT`,
      'set -o noclobber',
      '',
    );
  }
  if (steps.some((step) => 'ifNotFound' in step && step.ifNotFound === 'skip')) {
    lines.push(...ifFoundFunction(false), '');
  }
  if (steps.some((step) => step.kind === 'run' && step.ifApiDisabled === 'skip')) {
    lines.push(...ifFoundFunction(true), '');
  }
  for (const step of steps) {
    switch (step.kind) {
      case 'write-file':
        lines.push(`# ${step.description}`, `mkdir -p -m 700 ${shellQuote(posix.dirname(step.path))}`);
        lines.push(
          `cat > ${shellQuote(step.path)} <<'BACKUP_GUARD_EOF'`,
          step.content.replace(/\n$/, ''),
          'BACKUP_GUARD_EOF',
        );
        break;
      case 'run': {
        lines.push(`# ${step.description}`);
        const command = toleratingPrefix(step) + commandLine(step.argv);
        lines.push(step.capture ? `${step.capture}="$(${command})"` : command);
        break;
      }
      case 'ensure':
        lines.push(`# ${step.description}`);
        lines.push(`if ${commandLine(step.probe)} >/dev/null 2>&1; then`);
        lines.push(step.update ? `  ${commandLine(step.update)}` : '  : # already exists');
        lines.push('else', `  ${commandLine(step.create)}`, 'fi');
        break;
      case 'for-each-project': {
        const project = `\${${AUDITED_PROJECT}}`;
        lines.push(
          `# ${step.description}`,
          `for ${AUDITED_PROJECT} in $(tr ',' ' ' <<<"\${${step.list}}"); do`,
          `  [[ "${project}" =~ ${GCP_PROJECT.source} ]] || { echo "not a project id: ${project}" >&2; exit 1; }`,
          `  case ${shellQuote(` ${step.skip.join(' ')} `)} in *" ${project} "*) continue ;; esac`,
          `  ${toleratingPrefix(step)}${commandLine(step.argv)}`,
          'done',
        );
        break;
      }
      case 'for-each-recorded': {
        // `read -a`, not an unquoted $(...): a recorded value is never glob-expanded.
        const key = step.per === 'project' ? `\${${RESOURCE_PROJECT}}` : `\${RECORDED_ENTRY}`;
        lines.push(
          `# ${step.description}`,
          `RECORDED_PATTERN=${shellQuote(step.entry)}`,
          "RECORDED_SEEN=' '",
          `IFS=',' read -r -a RECORDED_ENTRIES <<<"\${${step.list}}"`,
          `for RECORDED_ENTRY in "\${RECORDED_ENTRIES[@]}"; do`,
          `  case "\${RECORDED_ENTRY}" in ''|${NOTHING_RECORDED}) continue ;; esac`,
          `  [[ "\${RECORDED_ENTRY}" =~ $RECORDED_PATTERN ]] || { echo "not a recorded <project>/<name>: \${RECORDED_ENTRY}" >&2; exit 1; }`,
          `  ${RESOURCE_PROJECT}="\${BASH_REMATCH[1]}"`,
          `  ${RESOURCE_NAME}="\${BASH_REMATCH[2]}"`,
          `  case ${shellQuote(` ${step.skip.join(' ')} `)} in *" ${key} "*) continue ;; esac`,
          `  case "\${RECORDED_SEEN}" in *" ${key} "*) continue ;; esac`,
          `  RECORDED_SEEN="\${RECORDED_SEEN}${key} "`,
          `  ${toleratingPrefix(step)}${commandLine(step.argv)}`,
          'done',
        );
        break;
      }
      case 'note':
        lines.push(
          step.ifEmpty
            ? `if [[ -z "\${${step.ifEmpty}}" ]]; then echo ${shellQuote(step.message)}; fi`
            : `echo ${shellQuote(step.message)}`,
        );
        break;
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** Replace `${NAME}` placeholders with captured values; an unknown name is a bug in the plan. */
export function fillPlaceholders(text: string, values: ReadonlyMap<string, string>): string {
  return text.replace(PLACEHOLDER, (_whole, name: string) => {
    const value = values.get(name);
    if (value === undefined) throw new Error(`step uses \${${name}} before any step captured it`);
    return value;
  });
}
