/**
 * Neutral facts: what adapters read from a cloud, in the shape checks judge. Adapters fill them from
 * API answers and never decide pass/fail; checks read only these.
 */
import type { ResourceRef } from './finding.ts';
import { shellWord } from './shell-word.ts';

/**
 * A database that is not judged alone because this one stands for it: a read replica (judged at its
 * source) or an Aurora member (judged at its cluster). A policy that names it is told so, not told
 * that it was not found.
 */
export interface StandIn {
  /** Its names: identifier, and ARN when known. */
  readonly names: readonly string[];
  /** What it is, in words: `RDS read replica`, `Aurora member`, `Cloud SQL read replica`. */
  readonly what: string;
}

/**
 * A database a target tag selects that is judged at another resource the policy does not select (an
 * Aurora or Multi-AZ DB cluster member whose cluster, a read replica whose source, carries no target
 * tag): nothing audits it. Reported as a coverage problem, never judged: the policy did not select
 * what proves it restorable. Also a cascading replica `targets.identifiers` names whose chain stopped
 * at a source naming no Region (`named`, `unreadableSource`).
 */
export type TaggedStandIn = UnauditedStandIn &
  (
    | {
        /** The target tag it carries, `key=value`. */
        readonly tag: string;
        readonly named?: undefined;
      }
    | {
        readonly tag?: undefined;
        /**
         * Set instead of `tag` when `targets.identifiers` names it: the names it answers to
         * (identifier, ARN). Only a cascading replica whose chain stopped at an unreadable source
         * (`unreadableSource`) is reported so: the audit says where the chain stopped instead of
         * that the named database was not found.
         */
        readonly named: readonly string[];
      }
  );

/** What a {@link TaggedStandIn} is, whichever way the policy selects it. */
export interface UnauditedStandIn {
  /** The tagged (or named) member or replica. */
  readonly id: string;
  /** What it is, of what: `a member of Aurora cluster certctl-prod`, `a read replica of certctl-src`. */
  readonly of: string;
  /**
   * What to tag instead: `the cluster`, `the source`, a cascading replica's `the primary certctl-src`.
   * Absent when nothing can be ({@link outsideSource}).
   */
  readonly tagInstead?: string;
  /**
   * The service its source is outside of (`Cloud SQL`) when the source at the top of its chain is a
   * server outside it, which the service only represents (a Cloud SQL source representation
   * instance of an external primary): this tool audits no backups of that server, so no tag or
   * label makes anything audit this database.
   */
  readonly outsideSource?: string;
  /**
   * The ARN of its source when that is in another Region, where the policy may select it: the audit
   * keeps it only once that Region was read without judging the source, or is a Region the run does
   * not audit (`withTargetCoverage`, core/audit.ts, which then drops this field).
   */
  readonly sourceArn?: string;
  /**
   * Its source as the answer sent it when that is an ARN naming no Region: where the source is, and
   * so whether anything audits this database, is not known. Never matched to a database of this
   * Region that shares its identifier.
   */
  readonly unreadableSource?: string;
}

/**
 * A database a target tag or `targets.identifiers` selects whose engine is not PostgreSQL (a MySQL
 * instance tagged as certctl's): this tool audits PostgreSQL only, so nothing audits it. Reported as
 * a coverage problem, never judged; a policy naming it is told this, not that it was not found.
 * `targets.all` selects every PostgreSQL database and reports none.
 */
export interface SelectedOtherEngine {
  readonly id: string;
  /** Every name it answers to (identifier, ARN, selfLink, connection name). */
  readonly names: readonly string[];
  /** How the policy selects it: `the target tag key=value`, `targets.identifiers`. */
  readonly selectedBy: string;
  /** Its engine as the API names it: `mysql`, `aurora-mysql`, `MYSQL_8_0`. */
  readonly engine: string;
}

/**
 * What a collector read of one scope: its facts and, when its adapter found any, the tagged databases
 * that nothing audits ({@link TaggedStandIn}) and the selected databases of other engines
 * ({@link SelectedOtherEngine}).
 */
export type CollectedFacts<F> = readonly F[] & {
  readonly taggedStandIns?: readonly TaggedStandIn[];
  readonly otherEngines?: readonly SelectedOtherEngine[];
};

/** What every fact has: the resource its findings are about. */
export interface Fact {
  readonly resource: ResourceRef;
  /** Databases this resource stands for (see {@link StandIn}); absent when none. */
  readonly standsFor?: readonly StandIn[];
}

/** A restore window as the cloud reports it, or why it could not be read. */
export type RestoreWindow =
  | {
      readonly known: true;
      /** Earliest point the database can be restored to (absent when no backup exists yet). */
      readonly earliest: Date | undefined;
      /** Latest point the database can be restored to. */
      readonly latest: Date | undefined;
      /** The API field it came from, quoted in findings (e.g. `RestoreWindow.EarliestTime`). */
      readonly source: string;
      /**
       * The automated backup it comes from is waiting for its first snapshot (RDS
       * DescribeDBInstanceAutomatedBackups `Status` creating: "waiting for the first automated
       * snapshot to be available"): a point-in-time restore starts from a snapshot, so no latest time
       * sent proves a restore point yet. Absent otherwise.
       */
      readonly firstBackupPending?: true;
      /**
       * Why the cloud reported no window, when this one is derived from settings instead (Cloud SQL
       * with its transaction logs on disk: the oldest automated backup and
       * `transactionLogRetentionDays`). Such a window is the most the settings let it reach: the
       * real one is never longer, but is shorter while the logs kept do not yet reach back the
       * days set (point-in-time recovery turned on, or the days raised, since), which no API
       * reports. It can prove a window too short, never one long enough. Absent for a window the
       * cloud reported.
       */
      readonly derived?: string;
      /**
       * Why the backups this window is read from may include an earlier database's of the same name,
       * when nothing tells them apart (Cloud SQL backup runs of an instance listed without its
       * `createTime`: functions/gcp/cloud-sql.ts automatedBackupPoints). Its earliest point is then
       * the most the window reaches, and its latest may be no point of this database: it can prove
       * a window too short or a backup too old, never a window long enough nor a backup recent.
       * Absent otherwise.
       */
      readonly mayIncludeEarlierInstance?: string;
    }
  | {
      readonly known: false;
      readonly reason: string;
      /**
       * The cloud refused the read for lack of a permission (core/errors.ts isPermissionRefusal):
       * only then is a grant the fix.
       */
      readonly accessDenied?: boolean;
      /** The permission the refused read needs (`cloudsql.backupRuns.list`), when the adapter knows it. */
      readonly permission?: string;
      /**
       * What fixes a refusal no grant fixes (an API not enabled, a VPC Service Controls perimeter:
       * core/errors.ts refusalAdvice), as the finding's remediation; absent otherwise.
       */
      readonly remedy?: string;
    };

/**
 * The daily window an RDS DB instance starts its automated snapshot in (DescribeDBInstances
 * `PreferredBackupWindow`, "hh24:mi-hh24:mi" in UTC and "at least 30 minutes", RDS API reference,
 * ModifyDBInstance), or why it is not known: not sent, or sent in a form this tool cannot read.
 */
export type DailyBackupWindow =
  | {
      readonly known: true;
      /** As sent: `03:00-03:30`, `23:00-01:00`. */
      readonly window: string;
      /** Its length; a window whose end is before its start crosses midnight. */
      readonly lengthMs: number;
    }
  | { readonly known: false; readonly reason: string };

/**
 * A copy in another Region (an automated-backup replication, a cluster) whose read failed: refused,
 * failed or not found, and why.
 */
export interface UnreadInRegion {
  readonly region: string;
  readonly arn: string;
  readonly read: false;
  readonly reason: string;
  /** That Region refused the read (AccessDenied): only then is a permission to blame. */
  readonly accessDenied: boolean;
  /**
   * What fixes a refusal no grant fixes (an explicit deny: core/errors.ts refusalRemedy), as the
   * finding's remediation; absent otherwise.
   */
  readonly remedy?: string | undefined;
}

/**
 * One automated-backup replication as its destination Region reports it, matched by the
 * `DBInstanceAutomatedBackupsArn` the source lists: the listing could not be read, or it lists no such
 * backup, or it lists it with its `Status`, `RestoreWindow` and `BackupRetentionPeriod` (undefined when
 * not sent).
 */
export type ReplicatedBackup =
  | UnreadInRegion
  | { readonly region: string; readonly arn: string; readonly read: true; readonly listed: false }
  | {
      readonly region: string;
      readonly arn: string;
      readonly read: true;
      readonly listed: true;
      readonly status: string | undefined;
      readonly restoreWindow:
        | { readonly earliest: Date | undefined; readonly latest: Date | undefined }
        | undefined;
      /**
       * The replica's own `BackupRetentionPeriod` as its destination sends it: set when the
       * replication starts (`--backup-retention-period`), not the source's; undefined when not sent.
       */
      readonly backupRetentionPeriod: number | undefined;
      /** The replica's `Encrypted` as its destination sends it; undefined when not sent. */
      readonly encrypted: boolean | undefined;
      /**
       * The replica's `KmsKeyId` as its destination sends it: the key of that Region its copy is
       * encrypted with, which a restarted replication must name; undefined when not sent.
       */
      readonly kmsKeyId: string | undefined;
    };

/**
 * One Aurora cluster in another Region that keeps a cluster's data (a read replica cluster its
 * `ReadReplicaIdentifiers` lists, or the primary of a global database secondary), as DescribeDBClusters
 * in that Region answers for its ARN: not read (refused, failed, not found), or read with its own
 * `Status`, `BackupRetentionPeriod` and `EarliestRestorableTime` (undefined when not sent), which bound how far back it restores.
 */
export type CopyCluster =
  | UnreadInRegion
  | {
      readonly region: string;
      readonly arn: string;
      readonly read: true;
      /** `DBClusterIdentifier` as sent, else the identifier the ARN ends with. */
      readonly id: string;
      readonly status: string | undefined;
      readonly backupRetentionPeriod: number | undefined;
      /**
       * The copy's own `EarliestRestorableTime` as its Region sends it (undefined when not sent): a
       * copy made recently restores back only to it, whatever its retention.
       */
      readonly earliestRestorableTime: Date | undefined;
      /**
       * The copy's own `ClusterCreateTime` (undefined when not sent): its restore points are its own
       * backups, none older than it, so an earlier `EarliestRestorableTime` proves no window.
       */
      readonly createdAt?: Date | undefined;
      /** `GlobalClusterIdentifier` as sent: the copy is a member of that global database. */
      readonly globalClusterIdentifier?: string | undefined;
    };

/**
 * How DescribeDBClusters shows that a cluster is a secondary of an Aurora global database, and the
 * primary it names (undefined when the answer names none).
 */
export interface GlobalSecondary {
  /** The primary cluster's ARN as `ReplicationSourceIdentifier` sends it. */
  readonly primaryArn: string | undefined;
  readonly primaryId: string | undefined;
  readonly primaryRegion: string | undefined;
  /** What showed it: `ReplicationSourceIdentifier`, or `IsWriter` false in DescribeGlobalClusters. */
  readonly evidence: string;
}

export type PitrResourceKind = 'rds-instance' | 'aurora-cluster' | 'cloudsql-instance';

/** Cloud SQL editions; they bound the PITR log retention (ENTERPRISE 1-7 days, ENTERPRISE_PLUS 1-35). */
export type CloudSqlEdition = 'ENTERPRISE' | 'ENTERPRISE_PLUS' | 'DEVELOPER' | 'UNSPECIFIED';

/**
 * Why a Cloud SQL `transactionLogRetentionDays` sent beside automated backups that are on is no
 * setting the instance can have, as a clause naming the value; undefined when it is one (or was not
 * sent). A documented edition (ENTERPRISE, ENTERPRISE_PLUS) keeps `range` days; without one, only
 * fewer days than every edition's minimum are impossible (0 with backups on: on Cloud SQL backups off
 * is backupConfiguration.enabled=false, not 0 days), and more are judged as sent. Such days are
 * neither judged as a retention (pitr.retention) nor used to derive or bound a restore window (the
 * GCP adapter's logs-on-disk window, pitr.window): one rule for all three.
 */
export function cloudSqlLogDaysOutsideRange(
  days: number | undefined,
  edition: { readonly name: CloudSqlEdition; readonly documented: boolean },
  range: { readonly min: number; readonly max: number },
): string | undefined {
  if (days === undefined) return undefined;
  if (edition.documented && (days < range.min || days > range.max)) {
    return `the API sent transactionLogRetentionDays=${days}, outside the ${range.min}-${range.max} days the ${edition.name} edition keeps`;
  }
  if (days < range.min) {
    return `the API sent transactionLogRetentionDays=${days}, fewer than the ${range.min} ${range.min === 1 ? 'day' : 'days'} every Cloud SQL edition keeps`;
  }
  return undefined;
}

/**
 * Cloud SQL backup tiers whose backups Google Cloud Backup and DR manages ("ENHANCED: Instance is
 * managed by Google Cloud Backup and DR Service"; ADVANCED is its deprecated name, google.cloud.sql.v1
 * BackupConfiguration.BackupTier): a backup plan sets their schedule and retention and keeps them in a
 * backup vault (Cloud SQL docs, "Choose your backup option",
 * cloud.google.com/sql/docs/postgres/backup-recovery/backup-options).
 */
const BACKUP_PLAN_TIERS: ReadonlySet<string> = new Set(['ENHANCED', 'ADVANCED']);
/**
 * Cloud SQL backup tiers whose backups are the instance's own backup runs: STANDARD ("Instance is
 * managed by Cloud SQL"), and BACKUP_TIER_UNSPECIFIED, which an absent tier decodes to.
 */
const BACKUP_RUN_TIERS: ReadonlySet<string> = new Set(['STANDARD', 'BACKUP_TIER_UNSPECIFIED']);

/**
 * Whether a Cloud SQL `backupTier` is one whose backups are not proven by the instance's backup runs
 * and recovery times: a tier a Backup and DR backup plan manages, or a tier this tool does not know
 * (a number the protos do not name, `BACKUPTIER_7`, or a newer name), which may be managed elsewhere
 * as ENHANCED is. Undefined (not sent) is the standard tier.
 */
export function isBackupPlanTier(tier: string | undefined): tier is string {
  return tier !== undefined && !BACKUP_RUN_TIERS.has(tier);
}

/**
 * What manages the backups of an instance at a {@link isBackupPlanTier} tier, as findings, readiness
 * and the snapshot action say it after the instance's name.
 */
export function backupTierClause(tier: string): string {
  return isUnknownBackupTier(tier)
    ? `uses backupConfiguration.backupTier=${tier}, a backup tier this tool does not know: its backups may be taken outside its backup runs, as Backup and DR takes those of enhanced backups`
    : `uses enhanced backups (backupConfiguration.backupTier=${tier}): Backup and DR takes its backups`;
}

/** Whether a {@link isBackupPlanTier} tier is one this tool does not know (neither ENHANCED nor ADVANCED). */
export function isUnknownBackupTier(tier: string): boolean {
  return isBackupPlanTier(tier) && !BACKUP_PLAN_TIERS.has(tier);
}

/**
 * The gcloud command that lists the Backup and DR backup plan associations of the Cloud SQL instances
 * in a project's region; each names its backup plan and its data source in the backup vault
 * (gcloud reference, `backup-dr backup-plan-associations fetch-for-resource-type`, whose example is
 * `sqladmin.googleapis.com/Instance --location="us-central1"`).
 */
export function backupPlanAssociationsCommand(place: {
  readonly account: string;
  readonly region: string;
}): string {
  return `gcloud backup-dr backup-plan-associations fetch-for-resource-type sqladmin.googleapis.com/Instance --location=${shellWord(place.region)} --project=${shellWord(place.account)}`;
}

/**
 * How to see what manages the backups of an instance on a tier this tool does not know
 * ({@link isUnknownBackupTier}): its backup configuration, tier included (`gcloud sql instances
 * describe`). A Backup and DR command would be a guess for such a tier.
 */
export function backupConfigurationCommand(target: {
  readonly id: string;
  readonly account: string;
}): string {
  return `gcloud sql instances describe ${shellWord(target.id)} --project=${shellWord(target.account)} --format="value(settings.backupConfiguration)"`;
}

/**
 * How to list the backups of an instance's Backup and DR data source (gcloud reference, `backup-dr
 * backups fetch-for-resource-type`, whose example lists "backups for Cloud SQL instance resources").
 */
export const BACKUP_PLAN_BACKUPS =
  '`gcloud backup-dr backups fetch-for-resource-type sqladmin.googleapis.com/Instance --data-source=DATA_SOURCE --backup-vault=BACKUP_VAULT --location=LOCATION` lists them, with the data source and vault its plan association names';

/**
 * How readiness (its snapshot gate's summary) and chat status count the Cloud SQL instances whose
 * backups Backup and DR takes, or whose tier this tool does not know ({@link isUnknownBackupTier}):
 * `N target(s) …`, `Targets … (N)`. Each entry's evidence names its tier.
 */
export const ON_BACKUP_PLAN =
  'whose backups are not Cloud SQL backup runs (Backup and DR, or a tier this tool does not know; not read)';

/**
 * What `pitr.cross-region` reads for a Cloud SQL backup location when the instance names none:
 * "the multi-region location that is geographically closest to the instance" (Cloud SQL docs,
 * "Custom backup locations"), outside any one region.
 */
export const DEFAULT_BACKUP_LOCATION = 'multi-region (default)';

/**
 * `cloudSql.unknownEdition` of an instance whose answer sent no `settings` at all: its edition was
 * not sent, which is not an instance from before editions (EDITION_UNSPECIFIED, the proto3 default
 * of an edition left out of sent settings), and no edition's log cap is judged of it.
 */
export const EDITION_NOT_SENT = 'not sent';

/** The region of a Cloud SQL instance whose answer sent none (functions/gcp/cloud-sql.ts). */
export const REGION_NOT_SENT = 'unknown';

/** Everything the PITR checks need to know about one managed-Postgres database. */
export interface PitrFact extends Fact {
  readonly resource: ResourceRef;
  readonly kind: PitrResourceKind;
  /** Engine as the cloud names it (`postgres`, `aurora-postgresql`, `POSTGRES_16`). */
  readonly engine: string;
  /**
   * Lifecycle status as the cloud names it (`available`, `stopped`, `RUNNABLE`, …); a stopped Cloud
   * SQL instance (RUNNABLE, activation policy NEVER) is `STOPPED`, as its console shows it.
   */
  readonly status: string;
  /**
   * Days of point-in-time recovery the configuration keeps: RDS/Aurora `BackupRetentionPeriod`,
   * Cloud SQL `transactionLogRetentionDays`. 0 when automated backups are off; undefined when unknown.
   */
  readonly retentionDays: number | undefined;
  /** The field `retentionDays` came from, quoted in findings. */
  readonly retentionSource: string;
  /**
   * RDS/Aurora only: a retention RDS accepted but has not applied yet
   * (`PendingModifiedValues.BackupRetentionPeriod`). ModifyDBInstance applies a change to or from 0
   * "during the next maintenance window unless the ApplyImmediately parameter is enabled" (RDS API
   * reference), and 0 turns automated backups off, deleting them. Undefined when none is pending.
   */
  readonly pendingRetentionDays?: number | undefined;
  /** The platform's allowed range for `retentionDays` (RDS 0-35, Aurora 1-35, Cloud SQL by edition). */
  readonly retentionRange: { readonly min: number; readonly max: number };
  /**
   * RDS DB instances and clusters only: why the retention sent cannot be judged, naming it: a value
   * outside `retentionRange` is no setting the database can have. `retentionDays` and the enabled flags are
   * then undefined, and the checks they drive are NOT_AVAILABLE (wording.ts, `retentionNotJudged`).
   */
  readonly retentionImpossible?: string | undefined;
  /**
   * RDS DB instances and clusters only: why a pending retention (`PendingModifiedValues.BackupRetentionPeriod`)
   * cannot be judged, naming it: a value outside `retentionRange` is no retention RDS will apply, so
   * whether the pending change lowers the retention, or turns automated backups off, is not known.
   * `pendingRetentionDays` is then undefined, and a PASS of pitr.enabled or pitr.retention is
   * NOT_AVAILABLE instead (wording.ts, `pendingRetentionNotJudged`).
   */
  readonly pendingRetentionImpossible?: string | undefined;
  /** Automated backups are on (RDS retention > 0; Cloud SQL `backupConfiguration.enabled`). */
  readonly automatedBackupsEnabled: boolean | undefined;
  /** PITR is on (RDS/Aurora: same as automated backups; Cloud SQL `pointInTimeRecoveryEnabled`). */
  readonly pointInTimeRecoveryEnabled: boolean | undefined;
  /** The restore window that really exists. */
  readonly restoreWindow: RestoreWindow;
  /**
   * RDS DB instances and Multi-AZ DB clusters only: the backup window its daily snapshots start in.
   * Its window starts at the oldest snapshot it keeps, so how far that moves from day to day is
   * bounded by this window's length (pitr.window's tolerance). Undefined for other kinds.
   */
  readonly dailyBackupWindow?: DailyBackupWindow | undefined;
  /**
   * The database's own latest restorable time (RDS DescribeDBInstances / DescribeDBClusters
   * `LatestRestorableTime`), read with the database itself: `pitr.lag` judges it even when the
   * window (which needs the automated-backup listing) is unknown. Undefined when not sent.
   */
  readonly latestRestorableTime?: Date | undefined;
  readonly deletionProtection: boolean | undefined;
  /** Set when AWS Backup manages the continuous backup (`AwsBackupRecoveryPointArn`). */
  readonly awsBackupRecoveryPointArn?: string | undefined;
  /**
   * Regions the automated backups are replicated to; undefined when the platform has no such
   * replication (Aurora, Cloud SQL).
   */
  readonly crossRegionBackupTargets?: readonly string[] | undefined;
  /**
   * RDS DB instances only: the replicated backups `DBInstanceAutomatedBackupsReplications` lists by
   * an ARN (`DBInstanceAutomatedBackupsArn`, as sent) from which no Region can be read, so where the
   * copy is kept is not known: never taken for a Region name. Undefined or empty when there is none.
   */
  readonly unplacedBackupReplications?: readonly string[] | undefined;
  /**
   * RDS DB instances only: how many entries of `DBInstanceAutomatedBackupsReplications` came without
   * their `DBInstanceAutomatedBackupsArn` (or with an empty one): a replication was set up, and where
   * its copy is kept was not sent. Undefined when there is none.
   */
  readonly replicationsWithoutArn?: number | undefined;
  /**
   * RDS DB instances only, read when the policy asks for `pitr.cross-region`: what each destination
   * Region's DescribeDBInstanceAutomatedBackups says of the replicated backups the source lists in
   * `DBInstanceAutomatedBackupsReplications` (one per replication). Undefined when not read.
   */
  readonly replicatedBackups?: readonly ReplicatedBackup[] | undefined;
  /**
   * Aurora (and Multi-AZ) clusters only, from DescribeDBClusters: the regions of its read-replica
   * clusters (`ReadReplicaIdentifiers` ARNs) and its Aurora global database (`GlobalClusterIdentifier`).
   */
  readonly aurora?: {
    readonly replicaRegions: readonly string[];
    /**
     * `ReadReplicaIdentifiers` ARNs that name no Region, as sent: where that replica is, and so
     * whether it is in another Region, is not known. Absent when there is none.
     */
    readonly unplacedReplicas?: readonly string[] | undefined;
    readonly globalClusterIdentifier: string | undefined;
    /**
     * Set when the cluster is a secondary of its Aurora global database: a read-only copy whose
     * restore window is judged at the primary (functions/aws/rds.ts, `globalSecondaryOf`).
     */
    readonly globalSecondary?: GlobalSecondary | undefined;
    /**
     * Set when the cluster belongs to a global database but DescribeDBClusters does not tell whether
     * it is the primary or a secondary (functions/aws/rds.ts, `globalRoleUnknown`): why not.
     */
    readonly globalRoleUnknown?: string | undefined;
    /** The permission whose refusal (AccessDenied) left the role unknown: only then is a grant to blame. */
    readonly globalRolePermission?: string | undefined;
    /** What fixes the refusal that left the role unknown when no grant does (core/errors.ts refusalRemedy). */
    readonly globalRoleRemedy?: string | undefined;
    /**
     * The copies in other Regions (read replica clusters, a secondary's primary) as their own Regions
     * answered (functions/aws/rds.ts, `readCopyClusters`); read only when the policy asks for
     * pitr.cross-region, absent otherwise.
     */
    readonly copies?: readonly CopyCluster[] | undefined;
  };
  /**
   * DB clusters only: `EngineMode` as DescribeDBClusters sent it (`provisioned`, `serverless`, …),
   * undefined when not sent. An Aurora Serverless v1 cluster (`serverless`) cannot retain its
   * automated backups when it is deleted (functions/checks/pitr/status.ts).
   */
  readonly engineMode?: string | undefined;
  /** When the database was created; a window younger than the database cannot be older than it. */
  readonly createdAt?: Date | undefined;
  /** Cloud SQL only. */
  readonly cloudSql?: {
    readonly edition: CloudSqlEdition;
    /** `backupRetentionSettings.retainedBackups` (COUNT unit): daily restore points kept. */
    readonly retainedBackups: number | undefined;
    readonly retainBackupsOnDelete: boolean | undefined;
    readonly finalBackupEnabled: boolean | undefined;
    readonly finalBackupRetentionDays: number | undefined;
    /**
     * Why `finalBackupRetentionDays` is undefined though the answer sent days: they are outside the
     * range Cloud SQL documents for a final backup (functions/gcp/cloud-sql.ts finalBackupDays), so,
     * like an RDS `retentionImpossible`, not a stay to judge; findings quote the value as sent.
     */
    readonly finalBackupRetentionImpossible?: string | undefined;
    /**
     * `backupConfiguration.transactionalLogStorageState` (`CLOUD_STORAGE`, `DISK`,
     * `SWITCHING_TO_CLOUD_STORAGE`, …); undefined when not reported. Cloud SQL reports the latest
     * recovery time only for logs in Cloud Storage.
     */
    readonly logStorage?: string | undefined;
    /**
     * `instanceType` as sent when the protos do not list it (a type newer than the library): the
     * instance is audited as a primary (functions/gcp/cloud-sql.ts skipReason), and its findings say
     * so (functions/checks/pitr/wording.ts resourceLabel). Absent for every known type.
     */
    readonly unknownInstanceType?: string | undefined;
    /**
     * `settings.edition` as sent when the protos do not list it (an edition newer than the library),
     * or {@link EDITION_NOT_SENT} when the answer sent no settings: `edition` is then `UNSPECIFIED`,
     * but the instance is not known to be one without an edition, and its log cap is not known
     * (functions/checks/pitr/wording.ts maxRetentionDays). Absent for every known one.
     */
    readonly unknownEdition?: string | undefined;
    /**
     * `backupRetentionSettings.retentionUnit` as sent when it is neither COUNT nor unspecified (the
     * only unit Google documents): `retainedBackups` is then undefined, as its number is not a count
     * of backups the checks can judge, and findings name the unit instead of a value not sent.
     */
    readonly unknownRetentionUnit?: string | undefined;
    /**
     * The opt-in delete-time protections the answer left out, which the adapter reads as off
     * (`settings.deletionProtectionEnabled`, `settings.retainBackupsOnDelete`,
     * `settings.finalBackupConfig.enabled`): a finding says "not set", never that the API sent false.
     */
    readonly protectionsNotSet?: readonly string[] | undefined;
    /**
     * `suspensionReason` as sent ("If the instance state is SUSPENDED, the reason for the
     * suspension", a repeated SqlSuspensionReason: BILLING_ISSUE, LEGAL_ISSUE, OPERATIONAL_ISSUE,
     * KMS_KEY_ISSUE, PROJECT_ABUSE; Cloud SQL Admin v1 reference, DatabaseInstance). Absent when the
     * answer sent none: no reason is then assumed (functions/checks/pitr/status.ts).
     */
    readonly suspensionReasons?: readonly string[] | undefined;
    /**
     * The customer-managed key that encrypts the instance (`diskEncryptionConfiguration.kmsKeyName`),
     * and the key version in use (`diskEncryptionStatus.kmsKeyVersionName`, "KMS key version used to
     * encrypt the Cloud SQL instance resource"). Absent when not sent: Google-managed encryption, or
     * a value the answer left out, which the checks do not tell apart and never judge.
     */
    readonly kmsKeyName?: string | undefined;
    readonly kmsKeyVersionName?: string | undefined;
    // The backup tier is the resource's (`resource.backupTier`, core/finding.ts): one value, read by
    // the checks, readiness and the snapshot action alike.
  };
}
