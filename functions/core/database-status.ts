/**
 * The lifecycle statuses of a managed-Postgres database, as the clouds send them: RDS
 * `DBInstanceStatus` and Aurora `DBCluster.Status` (lowercase words; "Viewing Amazon RDS DB instance
 * status", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html, and the
 * Aurora "Viewing DB cluster status" table,
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/accessing-monitoring.html), and Cloud
 * SQL `DatabaseInstance.state` (google.cloud.sql.v1 SqlInstanceState, upper case; a stopped instance
 * is `STOPPED` here, functions/gcp/cloud-sql.ts `instanceStatus`). One list per meaning, shared by the
 * PITR checks and the snapshot action.
 */

/**
 * The states of a database being deleted: DeleteDBInstance "cannot be canceled or reverted once
 * submitted" (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html);
 * `delete-precheck`: "Amazon RDS is validating that read replicas are safe to delete"; Cloud SQL
 * PENDING_DELETE: "The instance is being deleted".
 */
export const DELETING_STATUSES: ReadonlySet<string> = new Set([
  'delete-precheck',
  'deleting',
  'PENDING_DELETE',
]);

/**
 * RDS/Aurora: "The AWS KMS key used to encrypt or decrypt the DB instance can't be accessed or
 * recovered" (`inaccessible-encryption-credentials`), and "can't be accessed. However, if the KMS key
 * is active, restarting the DB instance can recover it" (`-recoverable`), which turns terminal after
 * seven days; restoring it from a backup or to a point in time "requires that the AWS KMS key is
 * already activated. If the AWS KMS key is deleted or lost, then the data is unrecoverable"
 * (https://repost.aws/knowledge-center/rds-aurora-inaccessible-state).
 */
export const KEY_INACCESSIBLE_STATUS = 'inaccessible-encryption-credentials';
export const KEY_RECOVERABLE_STATUS = 'inaccessible-encryption-credentials-recoverable';
export const KEY_INACCESSIBLE_STATUSES: ReadonlySet<string> = new Set([
  KEY_INACCESSIBLE_STATUS,
  KEY_RECOVERABLE_STATUS,
]);

/** RDS `incompatible-restore`: "Amazon RDS can't do a point-in-time restore". */
export const INCOMPATIBLE_RESTORE_STATUS = 'incompatible-restore';

/**
 * RDS/Aurora statuses in which the database is being or has been made and the making failed:
 * `restore-error` ("encountered an error attempting to restore to a point-in-time or from a
 * snapshot"), `cloning-failed`, `migration-failed`, `upgrade_failed` (the guide's spelling) or
 * `upgrade-failed`. What such a database's own backups hold is not documented.
 */
export const CREATION_FAILED_STATUSES: ReadonlySet<string> = new Set([
  'restore-error',
  'cloning-failed',
  'migration-failed',
  'upgrade_failed',
  'upgrade-failed',
]);

/**
 * Cloud SQL SUSPENDED: "The instance is not available, for example due to problems with billing",
 * with a `suspensionReason` of BILLING_ISSUE, LEGAL_ISSUE, OPERATIONAL_ISSUE, KMS_KEY_ISSUE or
 * PROJECT_ABUSE: Google took it down, so the owner cannot simply start it.
 */
export const SUSPENDED_STATUS = 'SUSPENDED';

/**
 * SqlSuspensionReason KMS_KEY_ISSUE: "The KMS key used by the instance is either revoked or denied
 * access to" (Cloud SQL Admin v1 reference), and what it means as answers quote it after the reason.
 */
export const KMS_KEY_ISSUE = 'KMS_KEY_ISSUE';
export const KMS_KEY_ISSUE_MEANING = 'the key is revoked or denied access to';

/**
 * The fixes of a KMS_KEY_ISSUE: a disabled key version is enabled again, one scheduled for
 * destruction restored (Cloud KMS docs, "Enable and disable key versions", "Destroy and restore key
 * versions"), and the Cloud SQL service agent given roles/cloudkms.cryptoKeyEncrypterDecrypter on
 * the key again (Cloud SQL docs, "Use customer-managed encryption keys").
 */
export const KMS_KEY_ISSUE_FIX =
  'make its Cloud KMS key version usable again (enable or restore it, or give the Cloud SQL service agent access to it again)';

/** SqlSuspensionReason BILLING_ISSUE: the instance is suspended for a billing problem of its project. */
export const BILLING_ISSUE = 'BILLING_ISSUE';

/** Said of a SUSPENDED instance whose answer sent no suspensionReason: the examples Google gives. */
export const NO_SUSPENSION_REASON =
  'no suspensionReason was sent; for example a billing problem, or a revoked or unreachable Cloud KMS key';

/**
 * The reasons an answer sent for a SUSPENDED instance, as answers quote them (`suspensionReason
 * BILLING_ISSUE`), or {@link NO_SUSPENSION_REASON} when none was sent.
 */
export function suspensionReasonWords(reasons: readonly string[]): string {
  return reasons.length === 0 ? NO_SUSPENSION_REASON : `suspensionReason ${reasons.join(', ')}`;
}

/** Cloud SQL FAILED: "The creation of the instance failed or a fatal error occurred during maintenance". */
export const CLOUD_SQL_FAILED_STATUS = 'FAILED';

/** Statuses in which a database is running and archiving WAL (RDS/Aurora lowercase, Cloud SQL upper). */
export const RUNNING_STATUSES: ReadonlySet<string> = new Set([
  'available',
  'backing-up',
  'modifying',
  'configuring-enhanced-monitoring',
  'configuring-log-exports',
  'configuring-iam-database-auth',
  'upgrading',
  'maintenance',
  'RUNNABLE',
]);

export const STOPPED_STATUSES: ReadonlySet<string> = new Set(['stopped', 'stopping', 'STOPPED']);

/**
 * Cloud SQL states that end on their own: MAINTENANCE ("down for maintenance"), ONLINE_MAINTENANCE
 * (deprecated, still in the enum), PENDING_CREATE, REPAIRING (read pool nodes).
 */
export const CLOUD_SQL_PASSING_STATUSES: ReadonlySet<string> = new Set([
  'MAINTENANCE',
  'ONLINE_MAINTENANCE',
  'PENDING_CREATE',
  'REPAIRING',
]);

/** Cloud SQL states no waiting ends: stopped, suspended, FAILED, being deleted. */
export const CLOUD_SQL_STUCK_STATUSES: ReadonlySet<string> = new Set([
  'STOPPED',
  SUSPENDED_STATUS,
  CLOUD_SQL_FAILED_STATUS,
  'PENDING_DELETE',
]);

/**
 * RDS/Aurora statuses the database stays in until someone acts (starts it, adds storage, restores
 * its KMS key, fixes its parameters or network, redoes a failed restore, clone, migration or
 * upgrade); being deleted included. CreateDBSnapshot: "The source DB instance must be in the
 * available or storage-optimization state"
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSnapshot.html).
 *
 * Each of {@link CREATION_FAILED_STATUSES} is a failure no waiting ends ("DB instance status",
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.DBInstance.Status.html):
 * `restore-error`; `cloning-failed` ("Cloning a DB cluster failed") and `migration-failed` ("A
 * migration failed"), both "Not billed", so nothing runs
 * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Status.html); and
 * `upgrade-failed`, after which (RDS Custom documents; the other engines say nothing more) every
 * operation is blocked but retrying the upgrade, a point-in-time restore or deleting the instance
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/custom-upgrading-failure.html). A
 * snapshot refused in any of them is answered at once, not retried until the deadline.
 */
export const RDS_STUCK_STATUSES: ReadonlySet<string> = new Set([
  'delete-precheck',
  'deleting',
  'stopped',
  'stopping',
  ...KEY_INACCESSIBLE_STATUSES,
  INCOMPATIBLE_RESTORE_STATUS,
  'storage-full',
  'failed',
  'incompatible-create',
  'incompatible-network',
  'incompatible-option-group',
  'incompatible-parameters',
  ...CREATION_FAILED_STATUSES,
]);

/**
 * RDS/Aurora statuses of a database that is down, not yet made, or cannot start: `failed`, the
 * `incompatible-*` states of its network, option group or parameters, `insufficient-capacity`,
 * `rebooting`, `starting`, `failing-over`, `creating`, and `backtracking` (Aurora MySQL rewinding in
 * place). Part of {@link OTHER_KNOWN_STATUSES}: none of them touches the backups.
 */
const RDS_DOWN_STATUSES = [
  'backtracking',
  'creating',
  'failed',
  'failing-over',
  'incompatible-create',
  'incompatible-network',
  'incompatible-option-group',
  'incompatible-parameters',
  'insufficient-capacity',
  'rebooting',
  'starting',
];

/**
 * Statuses in which the database is down, not yet made, or cannot start ({@link RDS_DOWN_STATUSES},
 * a failed restore, clone, migration or upgrade, Cloud SQL FAILED, MAINTENANCE "down for
 * maintenance" and PENDING_CREATE): a database that is not running archives and backs up nothing new,
 * so `pitr.lag` says such a status may explain a stale time, but neither cloud documents that it
 * does, nor for how long. Cloud SQL ONLINE_MAINTENANCE (deprecated) and REPAIRING (read pool nodes
 * only, which are never audited as primaries) are not among them.
 */
export const DOWN_STATUSES: ReadonlySet<string> = new Set([
  ...RDS_DOWN_STATUSES,
  ...CREATION_FAILED_STATUSES,
  CLOUD_SQL_FAILED_STATUS,
  'MAINTENANCE',
  'PENDING_CREATE',
]);

/**
 * The other documented statuses, in none of which the database's backups are touched: the
 * transient ones of a healthy database (rebooting, renaming, failing over, optimizing storage, …),
 * a database that is starting or being created, and the states the database is stuck in for a
 * reason that leaves its backups restorable: `failed` ("Perform a point-in-time restore to the latest
 * restorable time of the DB instance to recover the data"), `storage-full` and the `incompatible-*`
 * states of its network, option group or parameters, where a restore to a new database with its
 * own settings still runs; `pitr.lag` reports the archiving they stop.
 */
const OTHER_KNOWN_STATUSES = [
  ...RDS_DOWN_STATUSES,
  'converting-to-vpc',
  'migrating',
  'moving-to-vpc',
  'preparing-data-migration',
  'promoting',
  'renaming',
  'resetting-master-credentials',
  'storage-config-upgrade',
  'storage-full',
  'storage-initialization',
  'storage-optimization',
  'update-iam-db-auth',
];

/** Every status this tool knows the meaning of; any other word (or none) is unknown. */
export const KNOWN_STATUSES: ReadonlySet<string> = new Set([
  ...DELETING_STATUSES,
  ...KEY_INACCESSIBLE_STATUSES,
  INCOMPATIBLE_RESTORE_STATUS,
  ...CREATION_FAILED_STATUSES,
  SUSPENDED_STATUS,
  CLOUD_SQL_FAILED_STATUS,
  ...RUNNING_STATUSES,
  ...STOPPED_STATUSES,
  ...CLOUD_SQL_PASSING_STATUSES,
  ...OTHER_KNOWN_STATUSES,
]);
