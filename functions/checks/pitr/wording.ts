/**
 * Wording and arithmetic the PITR checks share: how a resource is named in a finding, how days
 * and lags are printed, and the NOT_AVAILABLE outcome for a fact that could not be read.
 */
import type { CheckOutcome } from '../../core/check.ts';
import { DELETING_STATUSES } from '../../core/database-status.ts';
import {
  backupPlanAssociationsCommand,
  backupTierClause,
  cloudSqlLogDaysOutsideRange,
  EDITION_NOT_SENT,
  isBackupPlanTier,
  isUnknownBackupTier,
  type PitrFact,
} from '../../core/facts.ts';
import type { FindingValues, ResourceType } from '../../core/finding.ts';
import { shellWord } from '../../core/shell-word.ts';
import { CLOCK_SKEW_TOLERANCE_MS, DAY_MS, isoTimeText } from '../../core/time.ts';
import { cloudSqlInstanceWords, rdsWords, setRetentionCommand } from './commands.ts';

/** Every PITR check judges the same three kinds of database. */
export const PITR_RESOURCE_TYPES: readonly ResourceType[] = [
  'AwsRdsDbInstance',
  'AwsRdsDbCluster',
  'GcpCloudSqlInstance',
];

/** Documentation the remediations point to. */
export const DOCS = {
  rdsBackupRetention:
    'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.BackupRetention.html',
  rdsPointInTimeRestore: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIT.html',
  rdsDeletionProtection:
    'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html#USER_DeletionProtection',
  rdsReplicateBackups: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReplicateBackups.html',
  /** Re:Post, "resolve an Amazon RDS instance or Amazon Aurora cluster in an inaccessible encryption state". */
  rdsInaccessibleKey: 'https://repost.aws/knowledge-center/rds-aurora-inaccessible-state',
  awsBackupPitrRetention:
    'https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery-retention-period.html',
  awsBackupCrossRegionCopy: 'https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html',
  cloudSqlPitr: 'https://cloud.google.com/sql/docs/postgres/backup-recovery/pitr',
  /** "Configure PITR": log storage states and the switch of transaction logs to Cloud Storage. */
  cloudSqlConfigurePitr: 'https://cloud.google.com/sql/docs/postgres/backup-recovery/configure-pitr',
  cloudSqlDeletionProtection: 'https://cloud.google.com/sql/docs/postgres/deletion-protection',
  /** "Choose your backup option": standard and enhanced (Backup and DR) backups. */
  cloudSqlBackupOptions: 'https://cloud.google.com/sql/docs/postgres/backup-recovery/backup-options',
  /** Backup and DR "Backup plans": frequency, retention and backup vault of the backups of a resource. */
  backupDrBackupPlans: 'https://cloud.google.com/backup-disaster-recovery/docs/cloud-console/backup-plan',
  /** "About customer-managed encryption keys (CMEK)": backups are encrypted with the instance's key. */
  cloudSqlCmek: 'https://cloud.google.com/sql/docs/postgres/cmek',
  cloudSqlBackupLocations:
    'https://cloud.google.com/sql/docs/postgres/backup-recovery/backups#custom-locations',
} as const;

/**
 * Cloud SQL keeps at most 7 days of transaction logs below Enterprise Plus (Cloud SQL docs, "Use
 * point-in-time recovery": Enterprise 1-7 days, Enterprise Plus 1-35); an instance without an edition
 * predates editions and is Enterprise-class (the adapter's `retentionRangeFor` agrees).
 */
export const ENTERPRISE_MAX_LOG_DAYS = 7;

/**
 * The most days of PITR retention the platform lets this database keep: its range's maximum, and
 * on Cloud SQL below ENTERPRISE_PLUS never more than {@link ENTERPRISE_MAX_LOG_DAYS}, whatever
 * else the fact says. A target above it is impossible without changing the platform (the edition).
 */
export function maxRetentionDays(fact: PitrFact): number {
  if (fact.kind !== 'cloudsql-instance') return fact.retentionRange.max;
  const edition = fact.cloudSql?.edition ?? 'UNSPECIFIED';
  // An edition the tool does not know proves no Enterprise cap: the adapter's range (the widest).
  if (edition === 'ENTERPRISE_PLUS' || fact.cloudSql?.unknownEdition !== undefined)
    return fact.retentionRange.max;
  if (assumedCapDisproven(fact)) return ENTERPRISE_PLUS_MAX_LOG_DAYS;
  return Math.min(ENTERPRISE_MAX_LOG_DAYS, fact.retentionRange.max);
}

/** Enterprise Plus keeps transaction logs 1-35 days, the widest range Cloud SQL documents. */
const ENTERPRISE_PLUS_MAX_LOG_DAYS = 35;

/**
 * Whether the 7-day cap is only assumed (no edition sent, held to be Enterprise-class; DEVELOPER,
 * held to the Enterprise range since none is documented) and the instance's own
 * transactionLogRetentionDays, which the API accepted, is above it: then the assumption is wrong
 * for this instance, and the days it keeps are judged as sent, never called impossible. The
 * ENTERPRISE edition's cap is documented and stays.
 */
function assumedCapDisproven(fact: PitrFact): boolean {
  const edition = fact.cloudSql?.edition ?? 'UNSPECIFIED';
  return (
    (edition === 'UNSPECIFIED' || edition === 'DEVELOPER') &&
    fact.automatedBackupsEnabled !== false &&
    fact.retentionDays !== undefined &&
    fact.retentionDays > ENTERPRISE_MAX_LOG_DAYS
  );
}

/**
 * Why the Cloud SQL log days sent are not judged (core/facts.ts `cloudSqlLogDaysOutsideRange`: 0
 * with backups on, or more than a documented edition keeps), as a clause naming the value; undefined
 * when they are a setting the instance can have, when backups are off, and on RDS and Aurora (whose
 * adapters send such a retention as `retentionImpossible`).
 */
export function cloudSqlLogDaysNotJudged(fact: PitrFact): string | undefined {
  if (fact.kind !== 'cloudsql-instance' || fact.automatedBackupsEnabled === false) return undefined;
  const name = fact.cloudSql?.edition ?? 'UNSPECIFIED';
  const documented =
    (name === 'ENTERPRISE' || name === 'ENTERPRISE_PLUS') && fact.cloudSql?.unknownEdition === undefined;
  return cloudSqlLogDaysOutsideRange(
    fact.retentionDays,
    { name, documented },
    { min: fact.retentionRange.min, max: maxRetentionDays(fact) },
  );
}

/**
 * The Cloud SQL edition as a finding names it: `ENTERPRISE`, or for an instance created before
 * editions existed (`UNSPECIFIED`), what it is treated as.
 */
export function editionLabel(fact: PitrFact): string {
  const edition = fact.cloudSql?.edition ?? 'UNSPECIFIED';
  const unknown = fact.cloudSql?.unknownEdition;
  if (unknown === EDITION_NOT_SENT) return 'edition not sent: the answer had no settings';
  if (unknown !== undefined) return `${unknown}, an edition this tool does not know`;
  if (edition === 'UNSPECIFIED') {
    return assumedCapDisproven(fact) ? 'no edition sent' : 'no edition, ENTERPRISE-class';
  }
  return edition;
}

/**
 * Why a Cloud SQL instance cannot keep more than `max` days of logs, as a clause:
 * `the ENTERPRISE edition caps …` or, without an edition, that the instance is ENTERPRISE-class.
 */
export function logCapClause(fact: PitrFact, max: number): string {
  const edition = fact.cloudSql?.edition ?? 'UNSPECIFIED';
  const unknown = fact.cloudSql?.unknownEdition;
  if (unknown !== undefined) {
    const edition =
      unknown === EDITION_NOT_SENT
        ? 'its edition was not sent (the answer had no settings)'
        : `its edition ${unknown} is one this tool does not know`;
    return `${edition}, and no edition Cloud SQL documents keeps transaction logs (transactionLogRetentionDays) longer than ${max} days`;
  }
  return edition === 'UNSPECIFIED'
    ? `an instance without an edition is ENTERPRISE-class, which caps transaction-log retention (transactionLogRetentionDays) at ${max} days`
    : `the ${edition} edition caps transaction-log retention (transactionLogRetentionDays) at ${max} days`;
}

/** `RDS DB instance \`certctl-db\`` and the like, for the first words of a description. */
export function resourceLabel(fact: PitrFact): string {
  switch (fact.kind) {
    case 'rds-instance':
      return `RDS DB instance \`${fact.resource.id}\``;
    case 'aurora-cluster':
      // DescribeDBClusters also returns Multi-AZ DB clusters (engine `postgres`), judged the same way.
      return fact.engine.startsWith('aurora')
        ? `Aurora DB cluster \`${fact.resource.id}\``
        : `DB cluster \`${fact.resource.id}\``;
    case 'cloudsql-instance': {
      // An instance type newer than the tool is judged as a primary: said, so a reader can tell.
      const type = fact.cloudSql?.unknownInstanceType;
      return `Cloud SQL instance \`${fact.resource.id}\`${type ? ` (instanceType ${type}, a type this tool does not know, judged as a primary)` : ''}`;
    }
  }
}

/** `text` with its first letter upper-case, for a clause that starts a sentence. */
export function capitalize(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

/** Days with one decimal place, as every window figure is printed (`12.0`). */
export function formatDays(days: number): string {
  return days.toFixed(1);
}

/** Days rounded to one decimal place, for `observed` values. */
export function roundDays(days: number): number {
  return Math.round(days * 10) / 10;
}

/** A lag in words: `45 min`, `3 h 0 min`, `2 d 4 h`. */
export function formatLag(minutes: number): string {
  const whole = Math.floor(minutes);
  if (whole < 60) return `${whole} min`;
  if (whole < 24 * 60) return `${Math.floor(whole / 60)} h ${whole % 60} min`;
  return `${Math.floor(whole / (24 * 60))} d ${Math.floor((whole % (24 * 60)) / 60)} h`;
}

/**
 * Whether the database's automated backups are known to be off. On RDS and Aurora a
 * `BackupRetentionPeriod` of 0 is that switch ("Setting this parameter to 0 disables automated
 * backups", RDS API reference, ModifyDBInstance). Cloud SQL's switch is `backupConfiguration.enabled`
 * alone: `transactionLogRetentionDays` counts days of logs and turns nothing off (the adapter reports
 * 0 days for backups off only beside `automatedBackupsEnabled: false`), so a 0 sent beside backups
 * that are on leaves the window and the log archiving to be judged, not dismissed as "backups off".
 */
export function automatedBackupsOff(fact: PitrFact): boolean {
  if (fact.automatedBackupsEnabled === false) return true;
  return fact.kind !== 'cloudsql-instance' && fact.retentionDays === 0;
}

/**
 * Whether a restore window's earliest time is after its latest one, beyond the clock-skew margin: no
 * point in time lies between them, so the answer contradicts itself and measures no window. Shared
 * by pitr.window, pitr.lag (whose latest time the same answer then does not prove restorable) and
 * pitr.cross-region, which holds a replicated backup's window to the same reading.
 */
export function earliestAfterLatest(earliest: Date, latest: Date | undefined): boolean {
  return latest !== undefined && earliest.getTime() - latest.getTime() > CLOCK_SKEW_TOLERANCE_MS;
}

/**
 * The database's latest restore point: its own field (RDS `LatestRestorableTime`, Cloud SQL
 * getLatestRecoveryTime), else its restore window's latest time when the window was read.
 */
export function latestRestorePoint(fact: PitrFact): Date | undefined {
  return fact.latestRestorableTime ?? (fact.restoreWindow.known ? fact.restoreWindow.latest : undefined);
}

/**
 * How long after its creation a database without any restore point counts as new: RDS and Aurora
 * take the first automated backup while or right after they create a database, so a day without one
 * is no longer "new" but a backup that is not being taken.
 */
const NEW_DATABASE_MS = DAY_MS;

/**
 * Whether a restore point (a window's earliest time, or its latest) is before the creation time of
 * the database (or copy) it belongs to, beyond the clock-skew margin: it claims a restore point older
 * than its database, so the answer contradicts itself. A creation time not sent is not evaluated.
 * Read by pitr.window and pitr.lag, and by pitr.cross-region, which holds replicated backups and
 * Aurora copies to the same reading.
 */
export function pointBeforeCreated(point: Date, created: Date | undefined): boolean {
  return created !== undefined && created.getTime() - point.getTime() > CLOCK_SKEW_TOLERANCE_MS;
}

/** What each kind of database is called where its creation time is quoted. */
export const CREATED_NOUN: Record<PitrFact['kind'], string> = {
  'rds-instance': 'DB instance',
  'aurora-cluster': 'DB cluster',
  'cloudsql-instance': 'instance',
};

/** The field each kind of database reports its creation time in. */
export const CREATED_FIELD: Record<PitrFact['kind'], string> = {
  'rds-instance': 'InstanceCreateTime',
  'aurora-cluster': 'ClusterCreateTime',
  'cloudsql-instance': 'createTime',
};

/**
 * What to do about a Cloud SQL window whose backup runs may include an earlier instance's of that
 * name, its instance listed without its createTime (RestoreWindow `mayIncludeEarlierInstance`): see
 * when it was created, which tells the runs apart, and audit again once the API sends it.
 */
export function createTimeRemediation(fact: PitrFact): string {
  return `See when the instance was created: \`gcloud sql instances describe ${cloudSqlInstanceWords(fact)} --format="value(createTime)"\`; a backup run that ended before then is of an earlier instance of that name, no restore point of this one (\`gcloud sql backups list --instance=${shellWord(fact.resource.id)} --project=${shellWord(fact.resource.account)}\` lists them). Run the audit again once the Cloud SQL Admin API sends the instance's createTime.`;
}

/**
 * NOT_AVAILABLE for a new database that reports no restore point yet (no earliest and no latest
 * restorable time, backups on): its status is `creating` or Cloud SQL's `PENDING_CREATE` (neither
 * may send its creation time yet), or it was created within {@link NEW_DATABASE_MS}. Its first
 * automated backup is still being taken, so there is no window or lag to judge yet, and the next run
 * judges it; RDS instances and Aurora clusters are told apart by nothing else. Undefined for any other database: one older than
 * a day with no restore point really cannot be restored (FAILED in each check).
 */
export function newWithoutRestorePoint(
  fact: PitrFact,
  subject: string,
  observed: FindingValues,
  required: FindingValues,
  now: Date,
): CheckOutcome | undefined {
  const window = fact.restoreWindow;
  if (!window.known || window.earliest !== undefined || latestRestorePoint(fact) !== undefined)
    return undefined;
  if (automatedBackupsOff(fact)) return undefined;
  // Cloud SQL's PENDING_CREATE: "The instance is being created" (SqlInstanceState).
  const creating = fact.status === 'creating' || fact.status === 'PENDING_CREATE';
  const ageMs = fact.createdAt ? now.getTime() - fact.createdAt.getTime() : undefined;
  const young = ageMs !== undefined && ageMs >= -CLOCK_SKEW_TOLERANCE_MS && ageMs <= NEW_DATABASE_MS;
  if (!creating && !young) return undefined;
  const field = CREATED_FIELD[fact.kind];
  const created = fact.createdAt ? `${field} ${formatTime(fact.createdAt)}` : `${field} not sent yet`;
  return {
    status: 'NOT_AVAILABLE',
    description: `${resourceLabel(fact)} is new (${creating ? `${fact.kind === 'cloudsql-instance' ? 'state' : 'status'} \`${fact.status}\`, ` : ''}${created}) and has no restore point yet (${window.source}): its first automated backup is still being taken, so ${subject} could not be evaluated yet.`,
    observed: { ...observed, status: fact.status },
    required,
    remediationText:
      'Nothing to change: the first automated backup is taken when the database is created, and the next audit judges it. If certctl already writes to it, take a manual snapshot or a pg_dump now. If it still has no restore point a day after its creation, check its events for backup errors and the pitr.enabled finding.',
  };
}

/**
 * `2026-09-14 10:00 UTC`: precise enough for a DBA, free of locale surprises. The text depends on
 * the minute alone, and an audit prints a few distinct minutes tens of thousands of times (every
 * latest restorable time of a region within minutes of the run): each minute is formatted once.
 */
export function formatTime(time: Date): string {
  const minute = Math.floor(time.getTime() / 60_000);
  let text = FORMATTED_MINUTES.get(minute);
  if (text === undefined) {
    // An invalid date throws here (`isoTimeText`, as `toISOString`), before anything is kept.
    text = `${isoTimeText(time).slice(0, 16).replace('T', ' ')} UTC`;
    if (FORMATTED_MINUTES.size >= FORMATTED_MINUTES_LIMIT) FORMATTED_MINUTES.clear();
    FORMATTED_MINUTES.set(minute, text);
  }
  return text;
}

/** {@link formatTime}'s texts by minute since the epoch; emptied when it holds this many. */
const FORMATTED_MINUTES = new Map<number, string>();
const FORMATTED_MINUTES_LIMIT = 4096;

/** A `FindingValues` entry for a value that may be unknown (unknown is printed as null). */
export function valueOrNull<T extends string | number | boolean>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}

/**
 * The outcome of a check that could not evaluate: never PASSED. `field` names what could not be
 * read, so the reader knows which permission or API answer to look at.
 */
export function notAvailable(
  fact: PitrFact,
  field: string,
  detail: string,
  observed: FindingValues,
  required: FindingValues,
  refusal: ReadRefusal = {},
): CheckOutcome {
  return {
    status: 'NOT_AVAILABLE',
    description: `${resourceLabel(fact)}: could not read ${field}${detail ? ` (${detail})` : ''}, so this check could not be evaluated.`,
    observed,
    required,
    remediationText: refusal.accessDenied
      ? refusal.permission
        ? grantAndRerun(refusal.permission)
        : 'Check that the audit role may read this database (rds:Describe* on AWS, cloudsql.instances.get on GCP) and run the audit again.'
      : (refusal.remedy ??
        'The cloud did not send this value (see the description): run the audit again; if it stays missing, look at the backups of this database in the console, where the same value is shown.'),
  };
}

/**
 * What an unread value's adapter knew of the refusal (core/facts.ts RestoreWindow): a grant of
 * `permission` fixes it only when `accessDenied`; `remedy` is what fixes one no grant does.
 */
export interface ReadRefusal {
  readonly accessDenied?: boolean;
  readonly permission?: string;
  readonly remedy?: string;
}

/**
 * NOT_AVAILABLE for a check driven by a retention the platform cannot have
 * (`retentionImpossible`): such a value is neither "backups off" nor a retention to compare, so
 * `subject` is not judged from it. Undefined when the retention sent is a possible one.
 */
export function retentionNotJudged(
  fact: PitrFact,
  subject: string,
  observed: FindingValues,
  required: FindingValues,
): CheckOutcome | undefined {
  const why = fact.retentionImpossible;
  if (why === undefined) return undefined;
  return {
    status: 'NOT_AVAILABLE',
    description: `${resourceLabel(fact)}: ${why}, so ${subject} could not be evaluated.`,
    observed,
    required,
    remediationText: `Look at the backup retention of this database with \`${
      fact.kind === 'rds-instance'
        ? `aws rds describe-db-instances --region ${rdsWords(fact).region} --db-instance-identifier ${rdsWords(fact).id}`
        : `aws rds describe-db-clusters --region ${rdsWords(fact).region} --db-cluster-identifier ${rdsWords(fact).id}`
    }\` and in the console, then run the audit again; if the API keeps sending this value, raise it with AWS Support.`,
  };
}

/**
 * NOT_AVAILABLE in place of a PASS of a check a pending retention could overturn (pitr.enabled,
 * pitr.retention), when that pending retention is one the database cannot have
 * (`pendingRetentionImpossible`): the retention in force is judged as set, but whether the change RDS
 * accepted lowers it, or turns automated backups off, is not known. Undefined otherwise.
 */
export function pendingRetentionNotJudged(
  fact: PitrFact,
  subject: string,
  observed: FindingValues,
  required: FindingValues,
): CheckOutcome | undefined {
  const why = fact.pendingRetentionImpossible;
  if (why === undefined) return undefined;
  return {
    status: 'NOT_AVAILABLE',
    description: `${resourceLabel(fact)} keeps ${fact.retentionDays ?? 'an unknown number of'} days (${fact.retentionSource}) now, but ${why}: what retention RDS will apply is not known, so ${subject} could not be evaluated.`,
    observed,
    required,
    remediationText: `Look at the pending modifications of this database with \`${
      fact.kind === 'rds-instance'
        ? `aws rds describe-db-instances --region ${rdsWords(fact).region} --db-instance-identifier ${rdsWords(fact).id}`
        : `aws rds describe-db-clusters --region ${rdsWords(fact).region} --db-cluster-identifier ${rdsWords(fact).id}`
    }\` (PendingModifiedValues) and in the console, then run the audit again; if the API keeps sending this value, raise it with AWS Support.`,
  };
}

/** The remediation of a read the cloud refused (AccessDenied) whose permission is known. */
function grantAndRerun(permission: string, on = 'this database'): string {
  return `Grant the audit role ${permission} on ${on} and run the audit again.`;
}

/**
 * The outcome of a point-in-time check on an Aurora global database secondary: NOT_AVAILABLE, never
 * PASSED or FAILED on the secondary's own retention and restorable times. A secondary is a read-only
 * copy of the global database; its data is written, imported and restored to a point in time at the
 * primary, whose own findings judge the window (functions/aws/rds.ts, `globalSecondaryOf`, has the
 * sources). The finding names the primary so the reader knows where to look.
 */
export function judgedThroughPrimary(
  fact: PitrFact,
  subject: string,
  observed: FindingValues,
  required: FindingValues,
): CheckOutcome | undefined {
  if (fact.kind !== 'aurora-cluster') return undefined;
  const roleUnknown = fact.aurora?.globalRoleUnknown;
  if (roleUnknown) return globalRoleNotKnown(fact, roleUnknown, subject, observed, required);
  const secondary = fact.aurora?.globalSecondary;
  if (!secondary) return undefined;
  const globalCluster = globalClusterOf(fact);
  const primary = secondary.primaryId
    ? `its primary cluster \`${secondary.primaryId}\`${secondary.primaryRegion ? ` in ${secondary.primaryRegion}` : ''}`
    : 'its primary cluster, which DescribeDBClusters did not name';
  const lookUp = describeGlobalClusterCommand(fact);
  return {
    status: 'NOT_AVAILABLE',
    description: `${resourceLabel(fact)} is a secondary cluster of the Aurora global database \`${globalCluster}\` (${secondary.evidence}), judged through ${primary}: a secondary is a read-only copy that takes no writes, and the global database is restored to a point in time from its primary, so this finding does not evaluate ${subject} of the secondary itself.`,
    observed: {
      ...observed,
      globalCluster,
      judgedThroughPrimary: secondary.primaryArn ?? null,
    },
    required,
    remediationText: secondary.primaryId
      ? `Nothing to change on this secondary. Make sure the primary cluster \`${secondary.primaryId}\`${secondary.primaryRegion ? ` (${secondary.primaryRegion})` : ''} is selected by the policy (tag or identifier) so its own findings judge the global database's restore window.`
      : `Find the primary with \`${lookUp}\` (the member with IsWriter true) and make sure the policy selects it (tag or identifier), so its own findings judge the global database's restore window.`,
  };
}

/** The global database a cluster belongs to, as findings name it. */
function globalClusterOf(fact: PitrFact): string {
  return fact.aurora?.globalClusterIdentifier ?? '(unknown)';
}

/** The command that lists a global database's members, the primary with IsWriter true. */
export function describeGlobalClusterCommand(fact: PitrFact): string {
  return `aws rds describe-global-clusters --global-cluster-identifier ${shellWord(globalClusterOf(fact))}`;
}

/**
 * The outcome of a PITR check on a global database member whose role DescribeDBClusters does not
 * tell (`globalRoleUnknown`): NOT_AVAILABLE, never judged as a primary on its own settings (a
 * headless secondary keeps the Aurora default of one day) nor passed through a primary that may be
 * itself. `subject` is what the check could not evaluate.
 */
export function globalRoleNotKnown(
  fact: PitrFact,
  why: string,
  subject: string,
  observed: FindingValues,
  required: FindingValues,
): CheckOutcome {
  const globalCluster = globalClusterOf(fact);
  // Being deleted does not tell the role either: RDS refuses to delete a primary while its global
  // database has other members ("Unable to delete cluster that is a primary member of global cluster
  // while there are other global cluster members", InvalidGlobalClusterStateFault), so a primary
  // being deleted is the last member and its window ends with it, while a secondary is restored
  // through its primary, untouched by the deletion. Said, so the finding does not hide the deletion.
  const deletingMember = DELETING_STATUSES.has(fact.status)
    ? ` It is being deleted (status \`${fact.status}\`): RDS deletes a primary only when it is the last member of its global database, so as the primary its restore window ends with it; as a secondary it is restored through its primary, which its deletion leaves alone.`
    : '';
  return {
    status: 'NOT_AVAILABLE',
    description: `${resourceLabel(fact)} belongs to the Aurora global database \`${globalCluster}\`, but whether it is the primary or a secondary cluster cannot be told (${why}), so ${subject} could not be evaluated.${deletingMember}`,
    observed: { ...observed, globalCluster, globalRole: null },
    required,
    remediationText: fact.aurora?.globalRolePermission
      ? // A List-level call on the account's global clusters (infra/permissions.ts globalClustersDescribeStatement).
        grantAndRerun(fact.aurora.globalRolePermission, 'the global clusters of this account')
      : (fact.aurora?.globalRoleRemedy ??
        `Find its role with \`${describeGlobalClusterCommand(fact)}\` (GlobalClusterMembers: IsWriter true is the primary). If it is the primary, add a writer DB instance (a primary without one takes no writes) and the next audit judges it on its own; if it is a headless secondary, make sure the policy selects the primary (tag or identifier).`),
  };
}

/**
 * The backup tier of a Cloud SQL instance whose backups a Backup and DR backup plan manages (ENHANCED,
 * or its deprecated name ADVANCED), or that this tool does not know (core/facts.ts
 * isBackupPlanTier); undefined for any other database.
 */
export function backupPlanTier(fact: PitrFact): string | undefined {
  const tier = fact.resource.backupTier;
  return fact.kind === 'cloudsql-instance' && isBackupPlanTier(tier) ? tier : undefined;
}

/**
 * What a PITR check tells about a Cloud SQL instance whose backups a Backup and DR backup plan
 * manages: what it could not evaluate, why the instance's own answer does not settle it, and what to
 * verify in the plan instead.
 */
export interface BackupPlanQuestion {
  /** What the check could not evaluate: `the retention`, `the restore window`. */
  readonly subject: string;
  /** Why the instance's fields prove nothing here: what the plan or the vault governs instead. */
  readonly governedBy: string;
  /** What to verify in the plan or the vault, in words the remediation ends with. */
  readonly verify: string;
}

/**
 * Why the restore window and the latest restorable time of an instance on the enhanced tier are not
 * read: it is restored to a point in time from its Backup and DR data source
 * (`gcloud sql instances point-in-time-restore DATASOURCE TARGET POINT_IN_TIME`, "performs a point in
 * time restore for a Cloud SQL instance managed by Google Cloud Backup and Disaster Recovery (DR)
 * Service"), and Google documents neither backupRuns.list nor getLatestRecoveryTime as reporting it.
 */
export const BACKUP_PLAN_RESTORE =
  'a point-in-time restore of it starts from its data source in that vault (gcloud sql instances point-in-time-restore DATASOURCE …), which neither backupRuns.list nor instances.getLatestRecoveryTime is documented to report, so neither was read';

/**
 * The outcome of a PITR check on a Cloud SQL instance whose backups Backup and DR manages
 * (`backupConfiguration.backupTier` ENHANCED, or its deprecated name ADVANCED): NOT_AVAILABLE, never
 * PASSED or FAILED on the instance's own backup settings. Google documents that on the enhanced tier
 * the backup plan defines the instance's backup schedule and retention settings (Cloud SQL docs,
 * "Manage enhanced backups", "Identify the backup plan to use"), that the plan's `logRetentionDays`
 * is "Applicable only for CloudSQL resource_type. Configures how long logs will be stored" (Backup and
 * DR API, BackupPlan), and that such an instance is restored to a point in time from its Backup and
 * DR data source (`instances.pointInTimeRestore`: "Point in time restore for an instance managed by
 * Google Cloud Backup and Disaster Recovery"). This audit reads none of Backup and DR, so the finding
 * names the plan to look at. Undefined for any other database.
 */
export function judgedThroughBackupPlan(
  fact: PitrFact,
  question: BackupPlanQuestion,
  observed: FindingValues,
  required: FindingValues,
): CheckOutcome | undefined {
  const tier = backupPlanTier(fact);
  if (tier === undefined) return undefined;
  const unknown = isUnknownBackupTier(tier);
  return {
    status: 'NOT_AVAILABLE',
    description: unknown
      ? `${resourceLabel(fact)} ${backupTierClause(tier)}, so ${question.subject} could not be evaluated.`
      : `${resourceLabel(fact)} uses enhanced backups (backupConfiguration.backupTier=${tier}): a Backup and DR backup plan manages its backups in a backup vault, and ${question.governedBy}. This audit does not read Backup and DR, so ${question.subject} could not be evaluated.`,
    observed: { ...observed, backupTier: tier },
    required,
    remediationText: `${unknown ? `Find out what takes this instance's backups at backupTier=${tier} (${DOCS.cloudSqlBackupOptions}); if Backup and DR does: ` : ''}Look at the Backup and DR backup plan that protects this instance: \`${backupPlanAssociationsCommand(fact.resource)}\` lists the backup plan associations of the Cloud SQL instances in its region, each naming its backup plan and its data source in the backup vault (the plan's rules and vault are on the Backup plans page of Backup and DR in the console, ${DOCS.backupDrBackupPlans}). Then verify ${question.verify}. See ${DOCS.cloudSqlBackupOptions}.`,
  };
}

/**
 * A retention change RDS accepted but has not applied ({@link PitrFact.pendingRetentionDays}) that
 * takes the retention below `below` days (0: automated backups off, which deletes them): the clause
 * that says so and the remediation that replaces it with `targetDays` (or the retention in force,
 * when higher); undefined when none is pending or it stays at or above `below`.
 */
export function pendingRetentionDrop(
  fact: PitrFact,
  below: number,
  targetDays: number,
): { readonly clause: string; readonly remediationText: string } | undefined {
  const pending = fact.pendingRetentionDays;
  if (pending === undefined || pending >= below) return undefined;
  const field = `PendingModifiedValues.BackupRetentionPeriod=${pending}`;
  // ModifyDBInstance.BackupRetentionPeriod (RDS API reference): a change to or from 0 is "applied
  // during the next maintenance window unless the ApplyImmediately parameter is enabled", but "from
  // one non-zero value to another non-zero value, the change is asynchronously applied as soon as
  // possible". A cluster's timing is not documented per setting: said without one.
  const when =
    fact.kind !== 'rds-instance'
      ? 'once RDS applies it'
      : pending === 0 || !fact.retentionDays
        ? 'at the next maintenance window unless it is applied sooner'
        : 'which RDS applies as soon as it can (a change between two non-zero retentions does not wait for the maintenance window)';
  const clause =
    pending === 0
      ? `a pending modification turns automated backups off (${field}): ${when}, RDS deletes the automated backups and with them every point-in-time restore point`
      : `a pending modification lowers the retention to ${pending} days (${field}), ${when}`;
  const days = Math.max(fact.retentionDays ?? 0, targetDays);
  return {
    clause,
    remediationText: `Set the retention back with a new modification, which replaces the pending one: \`${setRetentionCommand(fact, days)}\` (--apply-immediately also applies the database's other pending modifications now, so look at its PendingModifiedValues first). Then check that PendingModifiedValues no longer holds BackupRetentionPeriod, and that the retention in force is still ${days} days: a lowered retention RDS already applied has deleted the restore points older than it.`,
  };
}
