/**
 * `pitr.cross-region`: automated backups are replicated to another region, so a regional outage or
 * a compromised region does not take certctl's restore points with it. Evaluated only when the
 * policy sets `requireCrossRegionBackup`; otherwise not applicable.
 *
 * RDS DB instances have automated-backup replication (`DBInstanceAutomatedBackupsReplications`),
 * which the adapter turns into `crossRegionBackupTargets` (a replication listed without its ARN, or
 * by one naming no Region, is NOT_AVAILABLE unless another one is proven); a listed replication
 * passes only when its destination Region was read and lists the replicated backup keeping restore points
 * (`replicatedBackups`: Status `replicating` with a RestoreWindow whose LatestTime is within the
 * policy's `maxRestoreLagMinutes` plus {@link REPLICATION_DELAY_MINUTES} of replication delay, as
 * pitr.lag judges the source; of a `stopped` source, within that of the source's own latest
 * restorable time), since a stopped or failing
 * replication stays listed on the source, and only when that copy reaches back `minPitrDays` as
 * pitr.window holds the source: its own BackupRetentionPeriod (set when the replication starts, often
 * 7 days) at least the retention that holds the target all day, and its RestoreWindow.EarliestTime
 * that far back. A retention below the target is FAILED; a window still filling (a replication
 * started recently) is a WARNING naming the date it completes; a value not sent, a retention outside
 * the 1-35 days an automated backup keeps, or an earliest
 * restore point after the run's clock or before the source's InstanceCreateTime (beyond the
 * clock-skew margin), is NOT_AVAILABLE.
 * Aurora clusters have no such feature: their copies in another Region are a cross-Region read
 * replica cluster or an Aurora Global Database, each read in its own Region for its
 * BackupRetentionPeriod and EarliestRestorableTime ({@link judgeCopies}): a retention below the
 * target is FAILED, a window not yet reaching back the target (a replica created recently) a WARNING
 * naming the date it completes, an EarliestRestorableTime not sent, after the run's clock or before
 * the copy's own ClusterCreateTime NOT_AVAILABLE; AWS Backup copy actions are not shown by the RDS
 * listings, so without either the check says how to cover it rather than guessing. Cloud SQL has no replication either, but its backups live in a location that is a
 * multi-region by default (cloud.google.com/sql/docs/postgres/backup-recovery/backups); an adapter
 * that reads `backupConfiguration.location` may fill `crossRegionBackupTargets`, and then the
 * check judges it like RDS. On the enhanced backup tier (Backup and DR) the backups are in a backup
 * vault instead, which is not read: NOT_AVAILABLE, never PASSED on the location. Those backups are the
 * instance's own, so its state bears on them: being deleted, suspended (which includes a Cloud KMS key
 * out of reach, whose key also encrypts the backups) or FAILED ({@link judgedWithSourceStatus}).
 */
import type { Check, CheckContext, CheckOutcome } from '../../core/check.ts';
import {
  CLOUD_SQL_FAILED_STATUS,
  CREATION_FAILED_STATUSES,
  DELETING_STATUSES,
  INCOMPATIBLE_RESTORE_STATUS,
  KMS_KEY_ISSUE,
  KMS_KEY_ISSUE_FIX,
  KNOWN_STATUSES,
  SUSPENDED_STATUS,
} from '../../core/database-status.ts';
import {
  type CopyCluster,
  DEFAULT_BACKUP_LOCATION,
  type PitrFact,
  REGION_NOT_SENT,
  type ReplicatedBackup,
} from '../../core/facts.ts';
import { placeholder, shellWord } from '../../core/shell-word.ts';
import { CLOCK_SKEW_TOLERANCE_MS, DAY_MS, isoTimeText, MINUTE_MS } from '../../core/time.ts';
import {
  BACKUP_START_TIME_FLAG,
  BACKUP_START_TIME_HINT,
  cloudSqlInstanceWords,
  dailySwingRange,
  rdsWords,
  retentionToHold,
  retentionToSet,
  startBackupReplicationCommand,
  stopBackupReplicationCommand,
} from './commands.ts';
import { cloudSqlKeyIssue, deletingRemediation, suspensionWords, unprovenByStatus } from './status.ts';
import { inDailySwing, toleranceOf } from './window.ts';
import {
  backupPlanTier,
  DOCS,
  describeGlobalClusterCommand,
  earliestAfterLatest,
  formatDays,
  formatLag,
  formatTime,
  globalRoleNotKnown,
  judgedThroughBackupPlan,
  latestRestorePoint,
  PITR_RESOURCE_TYPES,
  pointBeforeCreated,
  resourceLabel,
} from './wording.ts';

/** `pitr.cross-region`: automated backups replicated to another region, when the policy asks. */
export const pitrCrossRegionCheck: Check<PitrFact> = {
  metadata: {
    id: 'pitr.cross-region',
    group: 'pitr',
    title: 'Automated backups are replicated to another region',
    failedTitle: 'Backups are not known to exist in another region',
    severity: 'MEDIUM',
    rationale:
      "Backups in the same region as the database share its fate in a regional outage. When the policy asks for it, certctl's restore points must also exist in a second region, reaching back the policy minimum there too: a copy that keeps 7 days, or that started yesterday, restores nothing older.",
    remediation: {
      text: `RDS: \`aws rds start-db-instance-automated-backups-replication --region ${placeholder('destination')} --source-db-instance-arn ${placeholder('arn')} --backup-retention-period 31\` (plus \`--kms-key-id\` with a key of the destination Region for an encrypted instance), run in the destination Region, with a retention a day above the target since the copy, like its source, restores from the oldest daily snapshot it keeps (two days, 32, when the backup window of the source is longer than an hour). A running replication keeps the retention it was started with: stop it (\`aws rds stop-db-instance-automated-backups-replication --region ${placeholder('destination')} --source-db-instance-arn ${placeholder('arn')}\`) and start it again with that retention. Aurora: a cross-Region read replica cluster whose own BackupRetentionPeriod is at least the target, read in its Region (a new replica keeps Aurora's default of one day; raise it with \`aws rds modify-db-cluster --region ${placeholder('replica region')} --db-cluster-identifier ${placeholder('replica')} --backup-retention-period 30 --apply-immediately\`: the target itself, since an Aurora cluster restores back its whole retention). A global database secondary is judged through its primary's own retention; a primary's secondaries (restored through the primary) and AWS Backup copies (not in the RDS listings) cannot prove it: record a policy exception for pitr.cross-region when one of those is the copy. Cloud SQL: a multi-region backup location.`,
      url: DOCS.rdsReplicateBackups,
      urls: { gcp: DOCS.cloudSqlBackupLocations },
    },
    resourceTypes: PITR_RESOURCE_TYPES,
  },
  // Off unless the policy asks: then it yields nothing, not even NOT_AVAILABLE for a failed scope.
  enabledBy: (policy) => policy.pitr.requireCrossRegionBackup,
  enabledBySetting: 'pitr.requireCrossRegionBackup',
  unverifiedWhenOff: 'that the backups also exist in another region',
  evaluate(fact, context) {
    if (!context.policy.pitr.requireCrossRegionBackup) return undefined;
    return judgedWithSourceStatus(fact, judgeCopy(fact, context));
  },
};

/** What the copy in another Region shows, before the status of the source is read ({@link judgedWithSourceStatus}). */
function judgeCopy(fact: PitrFact, context: CheckContext): CheckOutcome {
  const { policy } = context;
  const required = { crossRegionBackup: true };
  const targets = fact.crossRegionBackupTargets;
  // The RDS adapter always lists the replications: DescribeDBInstances leaves
  // DBInstanceAutomatedBackupsReplications out when there is none, which means none.
  if (targets !== undefined || fact.kind === 'rds-instance') {
    return judgeTargets(fact, targets ?? [], context);
  }
  const observed = { crossRegionBackup: null, replicatedTo: null };
  if (fact.kind === 'aurora-cluster' && fact.aurora) {
    return judgeAurora(fact, fact.aurora, policy.pitr.minPitrDays, context.now);
  }
  if (fact.kind === 'aurora-cluster') {
    return {
      status: 'NOT_AVAILABLE',
      description: `${resourceLabel(fact)}: Aurora has no automated-backup replication to another region, and cross-Region copies made by AWS Backup or an Aurora Global Database are not visible in the RDS listings, so this check cannot confirm a copy exists.`,
      observed,
      required,
      remediationText: `Cover it with an AWS Backup plan whose rule has a copy action to a vault in another Region (${DOCS.awsBackupCrossRegionCopy}), or with an Aurora Global Database secondary in another Region; then verify the copies in AWS Backup. Set requireCrossRegionBackup to false if another control already proves it.`,
    };
  }
  const throughPlan = judgedThroughBackupPlan(
    fact,
    {
      subject: 'whether its backups survive a regional outage',
      governedBy:
        'multi-region backup locations are a standard-tier feature only, so the backup location says nothing of where that vault is',
      verify:
        'that the backup vault the plan names is in another region than the instance; if another control proves it, record that as a policy exception for pitr.cross-region on this instance',
    },
    observed,
    required,
  );
  if (throughPlan) return throughPlan;
  return {
    status: 'NOT_AVAILABLE',
    description: `${resourceLabel(fact)}: Cloud SQL has no automated-backup replication; whether backups leave the region depends on the backup location, which this audit did not read.`,
    observed,
    required,
    remediationText: `Keep the default multi-region backup location, or set one explicitly: \`gcloud sql instances patch ${cloudSqlInstanceWords(fact)} --backup-location=${placeholder('multi-region such as us or eu')}\` (${DOCS.cloudSqlBackupLocations}).`,
  };
}

/**
 * `outcome` (what the copy in another Region shows) under the status of the source database, decided
 * per status and per kind of copy: the copy lives in another Region to outlive the source, so a status
 * that proves no restore of the source runs (status.ts) does not prove the same of the copy.
 *
 * - Being deleted. A Cloud SQL instance's copy is its own backups, stored in the backup location:
 *   "all data on an instance, including backups, is permanently lost when that instance is deleted"
 *   (Cloud SQL docs, "Delete instances") unless it retains them on delete (retainBackupsOnDelete;
 *   automated ones then follow their retention settings). Not retained: FAILED, as pitr.window fails
 *   it; retained: the verdict stands and says so; not known, or only a final backup whose location
 *   is not read: a PASSED or WARNING is NOT_AVAILABLE. An RDS replicated backup and an Aurora read
 *   replica cluster live in their own Region, so the deletion does not take what they hold now: the
 *   verdict stands, saying nothing newer reaches them. A global database secondary is judged through
 *   its primary, the writer, which this cluster's deletion leaves alone.
 * - `incompatible-restore` ("Amazon RDS can't do a point-in-time restore"): an RDS replicated backup
 *   is a copy of the source's own snapshots and transaction logs ("RDS replicates all snapshots and
 *   transaction logs", USER_ReplicateBackups), so what stops a restore of the source may stop one from
 *   the copy, and RDS does not say: a PASSED or WARNING is NOT_AVAILABLE. An Aurora replica cluster
 *   has its own storage and automated backups: its verdict stands.
 * - KMS key out of reach (`inaccessible-encryption-credentials[-recoverable]`): a replicated backup is
 *   encrypted with a key of its destination Region (`--kms-key-id` when the replication starts), and
 *   an Aurora replica with a key of its own Region, so the source's key says nothing of the copy; a
 *   source cut off from its key writes no log, which the copy's latest restorable time, judged
 *   against this run's clock, shows. The verdict stands.
 * - Cloud SQL SUSPENDED for the customer-managed key its answer names (suspensionReason KMS_KEY_ISSUE,
 *   status.ts cloudSqlKeyIssue): the copy is the instance's own backups, encrypted with that key, so
 *   FAILED whatever the location shows, as pitr.window fails it. Not on the enhanced tier, whose
 *   backups are in a Backup and DR vault this audit does not read.
 * - Cloud SQL SUSPENDED for any other reason, or FAILED ({@link cloudSqlNotRunning}): unlike an RDS
 *   replicated backup, the copy is the instance's own backups, so what the state says of them says it
 *   of the copy. A PASSED or WARNING is NOT_AVAILABLE, as pitr.window makes it (status.ts); a FAILED
 *   proven from the configuration (backups off) stands.
 * - Any other status leaves the verdict alone: the copy is judged in its own Region, and a Cloud SQL
 *   backup location is where backups are stored, which a status does not move. A STOPPED Cloud SQL
 *   instance takes no new backup, which Google documents of it, and nothing against the ones stored.
 */
function judgedWithSourceStatus(fact: PitrFact, outcome: CheckOutcome): CheckOutcome {
  const keeps = outcome.status === 'PASSED' || outcome.status === 'WARNING';
  // Backups a Backup and DR plan manages are in its vault, not read here (judgedThroughBackupPlan).
  const keyIssue =
    fact.kind === 'cloudsql-instance' && backupPlanTier(fact) === undefined
      ? cloudSqlKeyIssue(fact, outcome.observed, outcome.required)
      : undefined;
  if (keyIssue) return keyIssue;
  if (DELETING_STATUSES.has(fact.status)) {
    if (fact.kind === 'cloudsql-instance') {
      // Backups a Backup and DR plan manages are in its vault, which the deletion of the instance
      // does not reach here (judgedThroughBackupPlan already said what to verify).
      return backupPlanTier(fact) === undefined ? cloudSqlBeingDeleted(fact, outcome) : outcome;
    }
    // A copy read in another Region: a replicated backup, or a read replica cluster (not a
    // global secondary's primary, which is the writer).
    const copyElsewhere =
      typeof outcome.observed.replicatedTo === 'string' &&
      outcome.observed.replicatedTo !== '' &&
      outcome.observed.judgedThroughPrimary === undefined;
    if (!keeps || !copyElsewhere) return outcome;
    const state = `The source is being deleted (status \`${fact.status}\`)`;
    const note =
      fact.kind === 'rds-instance'
        ? `${state}: the replication ends with it, so the copy receives no new snapshot or transaction log, and restores at most what it holds now, until its retention ends, if it is kept.`
        : `${state}: the replica receives no new change from it; its own automated backups are not the source's, and the deletion does not take them.`;
    return {
      ...outcome,
      description: `${outcome.description} ${note}`,
      observed: { ...outcome.observed, status: fact.status },
    };
  }
  if (fact.status === INCOMPATIBLE_RESTORE_STATUS && fact.kind === 'rds-instance' && keeps) {
    const copy = fact.replicatedBackups?.find((backup) => backup.region !== fact.resource.region);
    const region = copy ? shellWord(copy.region) : placeholder('destination');
    const arn = copy ? shellWord(copy.arn) : placeholder('replicated backup arn');
    return {
      status: 'NOT_AVAILABLE',
      description: `${resourceLabel(fact)} has status \`${fact.status}\`: RDS reports it cannot do a point-in-time restore of it, and the replicated backups are copies of its snapshots and transaction logs, so whether a restore from them runs is not known. From the copy alone: ${outcome.description}`,
      observed: { ...outcome.observed, crossRegionBackup: null, status: fact.status },
      required: outcome.required,
      remediationText: `Check the Recent Events of this database in the RDS console for the cause, then prove the copy with a restore from it into a new instance in its Region: \`aws rds restore-db-instance-to-point-in-time --region ${region} --source-db-instance-automated-backups-arn ${arn} --target-db-instance-identifier ${placeholder('new instance')} --use-latest-restorable-time\`. See ${DOCS.rdsReplicateBackups}.`,
    };
  }
  if (
    fact.kind === 'cloudsql-instance' &&
    (fact.status === SUSPENDED_STATUS || fact.status === CLOUD_SQL_FAILED_STATUS) &&
    keeps
  ) {
    return cloudSqlNotRunning(fact, outcome);
  }
  // As pitr.window leaves a window unproven (status.ts unprovenByStatus): an RDS source made by a
  // restore, clone, migration or upgrade that failed, whose replicated backups are copies of its own
  // snapshots and logs, and a Cloud SQL instance in a state this tool does not know, whose copy is
  // its own backups. (An RDS source's unknown status leaves a copy read in its own Region as it is.)
  const unproven =
    keeps &&
    ((fact.kind === 'rds-instance' &&
      CREATION_FAILED_STATUSES.has(fact.status) &&
      fact.replicatedBackups?.some((backup) => backup.region !== fact.resource.region)) ||
      (fact.kind === 'cloudsql-instance' && !KNOWN_STATUSES.has(fact.status)))
      ? unprovenByStatus(fact)
      : undefined;
  if (unproven) {
    return {
      status: 'NOT_AVAILABLE',
      description: `${resourceLabel(fact)} has status \`${fact.status}\`: ${unproven.why}. From the copy alone: ${outcome.description}`,
      observed: { ...outcome.observed, crossRegionBackup: null, status: fact.status },
      required: outcome.required,
      remediationText: unproven.action,
    };
  }
  return outcome;
}

/**
 * A Cloud SQL instance Google suspended or marked FAILED, whose backups in the backup location
 * looked like a copy in another region: what the state leaves of that copy.
 *
 * - SUSPENDED: "The instance is not available, for example due to problems with billing"
 *   (SqlInstanceState), with a suspensionReason among BILLING_ISSUE, LEGAL_ISSUE, OPERATIONAL_ISSUE,
 *   PROJECT_ABUSE and KMS_KEY_ISSUE ("The KMS key used by the instance is either revoked or denied
 *   access to", SqlSuspensionReason). An instance that is not available is not counted on for new
 *   backups (pitr.lag's FAILED for an old backup names the suspension). Of the backups already
 *   stored: "When you create a backup of a Cloud SQL for PostgreSQL instance, the backup is encrypted
 *   with the primary instance's customer-managed key" (Cloud SQL docs, "About customer-managed
 *   encryption keys", cloud.google.com/sql/docs/postgres/cmek), and "During the time that a key is
 *   disabled, data that was encrypted with the key can't be accessed" (Cloud KMS docs, "Enable and
 *   disable key versions", cloud.google.com/kms/docs/enable-disable): on a KMS_KEY_ISSUE of a CMEK
 *   instance the copy holds backups no restore, in any region, can read: FAILED before this is
 *   reached (status.ts cloudSqlKeyIssue) when the answer sent the reason and named the key
 *   (DatabaseInstance `diskEncryptionConfiguration.kmsKeyName`). For the other reasons, or a reason or
 *   key not sent, Google does not say whether a restore from the backups runs: NOT_AVAILABLE, not
 *   FAILED, naming the reasons sent.
 * - FAILED: "The creation of the instance failed or a fatal error occurred during maintenance". A
 *   failed creation made no backup; after a failed maintenance the instance does not run, and whether
 *   its stored backups restore is not documented: NOT_AVAILABLE too. Neither state is a FAILED here:
 *   the backups may well restore, and this audit cannot tell.
 */
function cloudSqlNotRunning(fact: PitrFact, outcome: CheckOutcome): CheckOutcome {
  const label = resourceLabel(fact);
  const proveIt = `list the backups it kept (\`gcloud sql backups list --instance=${cloudSqlInstanceWords(fact)}\`) and prove the newest with a restore into a new instance in another region (${DOCS.cloudSqlBackupLocations}).`;
  const suspended = fact.status === SUSPENDED_STATUS;
  const why = suspended
    ? `Google suspended it (${suspensionWords(fact)}): the instance is not available, so no new backup can be counted on, and whether the backups already in its backup location restore is not known`
    : 'its creation failed, which leaves no backup at all, or a fatal error occurred during maintenance, after which it does not run, so no new backup can be counted on, and whether the backups already in its backup location restore is not documented';
  const action = suspended
    ? `Read why it was suspended (\`gcloud sql instances describe ${cloudSqlInstanceWords(fact)} --format="value(suspensionReason)"\`). On ${KMS_KEY_ISSUE} ${KMS_KEY_ISSUE_FIX}: its backups need that key as much as it does. Otherwise resolve the cause with Google (billing, a policy issue). Until then, ${proveIt}`
    : `Look at the instance and its operations (\`gcloud sql operations list --instance=${cloudSqlInstanceWords(fact)}\`) for the error; then ${proveIt}`;
  return {
    status: 'NOT_AVAILABLE',
    description: `${label} has state \`${fact.status}\`: ${why}. From the backup location alone: ${outcome.description}`,
    observed: { ...outcome.observed, crossRegionBackup: null, status: fact.status },
    required: outcome.required,
    remediationText: action,
  };
}

/** A Cloud SQL instance being deleted: whether its backups, the copy in another region, outlive it. */
function cloudSqlBeingDeleted(fact: PitrFact, outcome: CheckOutcome): CheckOutcome {
  const state = `is being deleted (state \`${fact.status}\`)`;
  const retain = fact.cloudSql?.retainBackupsOnDelete;
  const finalBackup = fact.cloudSql?.finalBackupEnabled === true;
  const observed = { ...outcome.observed, status: fact.status };
  if (retain === true) {
    if (outcome.status !== 'PASSED' && outcome.status !== 'WARNING') return outcome;
    return {
      ...outcome,
      description: `${outcome.description} It ${state} and retains its backups on delete (retainBackupsOnDelete): its automated backups outlive it until their retention ends, and no new backup is taken.`,
      observed,
    };
  }
  const targets = fact.crossRegionBackupTargets ?? [];
  const where = targets.length > 0 ? `stored in ${targets.join(', ')}` : 'stored in its backup location';
  if (retain === false && !finalBackup) {
    return {
      status: 'FAILED',
      description: `${resourceLabel(fact)} ${state} and does not retain its backups on delete (retainBackupsOnDelete not set, no final backup configured): the backups ${where} are deleted with it, so none of them is left in another region. A final backup the deletion itself asked for (enableFinalBackup) is not read here.`,
      observed: { ...observed, crossRegionBackup: false },
      required: outcome.required,
      remediationText: deletingRemediation(fact),
    };
  }
  if (outcome.status !== 'PASSED' && outcome.status !== 'WARNING') return outcome;
  const why =
    retain === undefined
      ? 'whether it retains its backups on delete (retainBackupsOnDelete) was not read'
      : 'it does not retain its backups on delete, and where the final backup it is set to take (finalBackupConfig) is stored is not read';
  return {
    status: 'NOT_AVAILABLE',
    description: `${resourceLabel(fact)} ${state}, and whether its backups outlive it is not known: ${why}. From the backup location alone: ${outcome.description}`,
    observed: { ...observed, crossRegionBackup: null },
    required: outcome.required,
    remediationText: deletingRemediation(fact),
  };
}

/**
 * Aurora keeps its data in another Region through a cross-Region read replica cluster
 * (`ReadReplicaIdentifiers`) or an Aurora global database (`GlobalClusterIdentifier`), both in the
 * DescribeDBClusters answer (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html).
 * A global database member whose secondary is not among its replicas is NOT_AVAILABLE, never a
 * WARNING: DescribeDBClusters in this region does not show whether the global database has a
 * secondary Region, and a secondary, restored through its primary, would prove no restore point
 * there; a policy exception records one relied on.
 *
 * A cluster in another Region is never a PASS on its own: it keeps the data, but the restore points
 * there reach back only its own BackupRetentionPeriod (1-35 days; "the default backup retention
 * period is one day regardless of how the DB cluster is created", Aurora User Guide,
 * Aurora.Managing.Backups), which the DescribeDBClusters answer of this Region does not carry. As an
 * RDS instance's replicated backup is held to minPitrDays in its destination, such a copy is judged
 * by its own Region's answer (`aurora.copies`, {@link judgeCopies}), and NOT_AVAILABLE while that was
 * not read, with the command that shows it.
 */
function judgeAurora(
  fact: PitrFact,
  aurora: NonNullable<PitrFact['aurora']>,
  minPitrDays: number,
  now: Date,
): CheckOutcome {
  const required = { crossRegionBackup: true };
  // The copies in another Region are held to the target, so a finding about them says so.
  const heldRequired = { crossRegionBackup: true, windowDays: minPitrDays };
  const elsewhere = aurora.replicaRegions.filter((region) => region !== fact.resource.region);
  const observed = {
    crossRegionBackup: elsewhere.length > 0,
    replicatedTo: elsewhere.join(','),
    globalCluster: aurora.globalClusterIdentifier ?? null,
  };
  if (aurora.globalRoleUnknown && elsewhere.length === 0) {
    // A primary that may be this very cluster is no copy in another Region.
    return globalRoleNotKnown(
      fact,
      aurora.globalRoleUnknown,
      'whether its data is kept in another Region (a secondary is, through its primary; a primary needs a secondary)',
      observed,
      required,
    );
  }
  const secondary = aurora.globalSecondary;
  // A primary ARN naming no Region is what made this cluster a secondary: where the data is kept,
  // and that it is kept at all, rests on a value that cannot be read.
  if (
    secondary?.primaryArn !== undefined &&
    secondary.primaryRegion === undefined &&
    elsewhere.length === 0
  ) {
    return {
      status: 'NOT_AVAILABLE',
      description: `${resourceLabel(fact)} belongs to the Aurora global database \`${aurora.globalClusterIdentifier ?? '(unknown)'}\` and names its primary by ReplicationSourceIdentifier ${secondary.primaryArn}, whose Region cannot be read from it (an RDS ARN is arn:<partition>:rds:<region>:<account>:cluster:<id>), so where the global database keeps its data could not be told.`,
      observed: { ...observed, crossRegionBackup: null, judgedThroughPrimary: secondary.primaryArn },
      required,
      remediationText: `Find the primary and its Region with \`${describeGlobalClusterCommand(fact)}\` (the member with IsWriter true), then run the audit again.`,
    };
  }
  if (secondary?.primaryRegion === fact.resource.region && elsewhere.length === 0) {
    // "Each secondary cluster must be in a different AWS Region than the primary cluster" (below): a
    // source in this very Region is no primary of a global database, and no copy in another Region.
    return {
      status: 'NOT_AVAILABLE',
      description: `${resourceLabel(fact)} belongs to the Aurora global database \`${aurora.globalClusterIdentifier ?? '(unknown)'}\` and names ${secondary.primaryArn ?? 'a source'} (ReplicationSourceIdentifier) in ${fact.resource.region}, its own Region, while a global database keeps each secondary in another Region than its primary: where the global database keeps its data could not be told.`,
      observed: { ...observed, crossRegionBackup: null, judgedThroughPrimary: secondary.primaryArn ?? null },
      required,
      remediationText: `Find the primary and its Region with \`${describeGlobalClusterCommand(fact)}\` (the member with IsWriter true), then run the audit again.`,
    };
  }
  if (secondary && elsewhere.length === 0) {
    // Every secondary of a global database is in another Region than its primary ("Each secondary
    // cluster must be in a different AWS Region than the primary cluster", Aurora User Guide,
    // "Adding an AWS Region to an Aurora global database"), and the primary keeps the data and its
    // automated backups, which Aurora cannot turn off; how far back they reach is the primary's own
    // retention, not read here.
    const where = secondary.primaryRegion ?? 'another Region';
    const read = copiesAt(aurora, secondary.primaryArn);
    if (read && secondary.primaryRegion) {
      return judgeCopies(fact, [secondary.primaryRegion], read, minPitrDays, now, {
        what: `is a secondary cluster of the Aurora global database \`${aurora.globalClusterIdentifier ?? '(unknown)'}\`, whose primary holds the same data in ${where}`,
        observed: {
          ...observed,
          replicatedTo: secondary.primaryRegion,
          judgedThroughPrimary: secondary.primaryArn ?? null,
        },
        copy: 'primary',
      });
    }
    const primary = secondary.primaryId ? `\`${secondary.primaryId}\`` : 'cluster';
    const lookUp =
      secondary.primaryArn && secondary.primaryRegion
        ? `\`aws rds describe-db-clusters --region ${shellWord(secondary.primaryRegion)} --db-cluster-identifier ${shellWord(secondary.primaryArn)}\``
        : `\`${describeGlobalClusterCommand(fact)}\` (the member with IsWriter true)`;
    return {
      status: 'NOT_AVAILABLE',
      description: `${resourceLabel(fact)} is a secondary cluster of the Aurora global database \`${aurora.globalClusterIdentifier ?? '(unknown)'}\`, whose primary ${primary} holds the same data in ${where}, but how far back the primary can be restored is bounded by its own BackupRetentionPeriod, which DescribeDBClusters in ${fact.resource.region} does not carry: whether restore points in another Region reach back the ${minPitrDays} days required could not be told here.`,
      observed: {
        ...observed,
        crossRegionBackup: null,
        replicatedTo: secondary.primaryRegion ?? '',
        judgedThroughPrimary: secondary.primaryArn ?? null,
      },
      required: heldRequired,
      remediationText: `Make sure the policy selects the primary ${primary} (tag or identifier), so its own pitr.retention and pitr.window findings judge how far back it restores, or look at its BackupRetentionPeriod and EarliestRestorableTime with ${lookUp}: it must keep at least ${minPitrDays} days.`,
    };
  }
  if (elsewhere.length > 0 && aurora.copies !== undefined) {
    return judgeCopies(fact, elsewhere, aurora.copies, minPitrDays, now, {
      what: `has a read replica cluster in ${elsewhere.join(', ')} (ReadReplicaIdentifiers)`,
      observed,
      copy: 'replica',
    });
  }
  if (elsewhere.length > 0) {
    const inspect = elsewhere
      .map(
        (region) =>
          `\`aws rds describe-db-clusters --region ${shellWord(region)} --query ${replicasQuery(fact)}\``,
      )
      .join(', ');
    return {
      status: 'NOT_AVAILABLE',
      description: `${resourceLabel(fact)} has a read replica cluster in ${elsewhere.join(', ')} (ReadReplicaIdentifiers), which keeps its data there, but how far back a replica can be restored is bounded by its own BackupRetentionPeriod, which DescribeDBClusters in ${fact.resource.region} does not carry: whether restore points in another Region reach back the ${minPitrDays} days required could not be told.`,
      observed: { ...observed, crossRegionBackup: null },
      required: heldRequired,
      remediationText: `Look at the retention of each replica in its Region (${inspect}); a replica keeping fewer than ${minPitrDays} days restores nothing older after a regional outage: raise it with \`aws rds modify-db-cluster --region ${placeholder('replica region')} --db-cluster-identifier ${placeholder('replica')} --backup-retention-period ${minPitrDays} --apply-immediately\`. If every replica keeps enough, record that as a policy exception for pitr.cross-region on this cluster.`,
    };
  }
  // A replica listed by an ARN naming no Region may be the copy in another Region, or may not.
  const unplaced = aurora.unplacedReplicas ?? [];
  if (unplaced.length > 0) {
    return {
      status: 'NOT_AVAILABLE',
      description: `${resourceLabel(fact)}: ReadReplicaIdentifiers lists ${unplaced.join(', ')}, whose Region cannot be read from it (an RDS ARN is arn:<partition>:rds:<region>:<account>:cluster:<id>), and no replica in a Region that can be read from its ARN, so whether its data is kept in another Region could not be told.`,
      observed: { ...observed, crossRegionBackup: null, replicatedTo: unplaced.join(',') },
      required,
      remediationText: `Look at the replica with \`aws rds describe-db-clusters --region ${rdsWords(fact).region} --db-cluster-identifier ${rdsWords(fact).id}\` and check where it is, then run the audit again.`,
    };
  }
  if (aurora.globalClusterIdentifier) {
    // Not a WARNING: whether a secondary exists is not read, and none would prove restore points
    // there (readiness passes a WARNING as GO).
    return {
      status: 'NOT_AVAILABLE',
      description: `${resourceLabel(fact)} belongs to the Aurora global database \`${aurora.globalClusterIdentifier}\`, whose secondary clusters in other Regions DescribeDBClusters in ${fact.resource.region} does not list, and a secondary keeps no restore points of its own (the global database is restored to a point in time from its primary): whether restore points in another Region reach back the ${minPitrDays} days required could not be told.`,
      observed: { ...observed, crossRegionBackup: null },
      required,
      remediationText: `Check that \`${aurora.globalClusterIdentifier}\` has a secondary cluster in another Region: \`${describeGlobalClusterCommand(fact)}\`. If that secondary, or an AWS Backup copy in another Region, is the copy you rely on, record that as a policy exception for pitr.cross-region on this cluster.`,
    };
  }
  if (!fact.engine.startsWith('aurora')) {
    // A Multi-AZ DB cluster (engine postgres) supports no cross-Region automated backups ("Automated
    // backup replication isn't supported for Multi-AZ DB clusters", RDS user guide,
    // USER_ReplicateBackups; multi-az-db-clusters-concepts.Limitations), and an Aurora global
    // database takes Aurora clusters only: the Aurora fixes below do not apply to it.
    return {
      status: 'FAILED',
      description: `${resourceLabel(fact)} has no read replica in another Region, and as a Multi-AZ DB cluster it can neither replicate its automated backups to another Region nor join an Aurora global database, so nothing it keeps is known to survive a regional outage.`,
      observed,
      required,
      remediationText: `Multi-AZ DB clusters support no cross-Region automated backups (${DOCS.rdsReplicateBackups}), so keep a copy of certctl's database in another Region another way, such as pg_dump files in a bucket of another Region (the dumps checks audit them). If another control already proves it, record that as a policy exception for pitr.cross-region on this cluster (exceptions: resource as its ARN, check, reason, expires).`,
    };
  }
  return {
    status: 'FAILED',
    description: `${resourceLabel(fact)} has no read replica cluster in another Region and belongs to no Aurora global database, so nothing it keeps is known to survive a regional outage.`,
    observed,
    required,
    remediationText: `Add a cross-Region read replica cluster keeping at least ${minPitrDays} days itself (\`--backup-retention-period ${minPitrDays}\` on the replica; a new one keeps one day), the copy this check reads in its Region. An Aurora Global Database secondary or an AWS Backup plan whose rule has a copy action to a vault in another Region (${DOCS.awsBackupCrossRegionCopy}) also keeps one, but how far back it restores is not read here: if one of those already covers it, record that as a policy exception for pitr.cross-region on this cluster (exceptions: resource as its ARN, check, reason, expires).`,
  };
}

/** The copies read for `arn` (a secondary's primary), or undefined when none was read for it. */
function copiesAt(
  aurora: NonNullable<PitrFact['aurora']>,
  arn: string | undefined,
): readonly CopyCluster[] | undefined {
  const read = aurora.copies?.filter((copy) => copy.arn === arn);
  return read && read.length > 0 ? read : undefined;
}

/** A copy in another Region proven to hold the target, or not read (with whether the read was refused). */
type ProvenOrUnknownCopy =
  | { readonly region: string; readonly outcome: 'proven'; readonly says: string }
  | {
      readonly region: string;
      readonly outcome: 'unknown';
      readonly says: string;
      readonly accessDenied: boolean;
      /** What fixes a refusal no grant fixes (an explicit deny), when that refused the read. */
      readonly remedy?: string | undefined;
      /** The command that shows the copy where it is kept ({@link withInspect}). */
      readonly inspect?: string;
    };

/**
 * `reading` with the command that shows its copy where it is kept, when the reading is unknown for a
 * reason other than a refused read (which is fixed by a grant, not by a look): the next step of a
 * NOT_AVAILABLE, as a FAILED reading names its command ({@link unknownRemediation}).
 */
function withInspect<T extends { readonly outcome: string }>(reading: T, inspect: string): T {
  if (
    reading.outcome !== 'unknown' ||
    ('accessDenied' in reading && reading.accessDenied === true) ||
    ('remedy' in reading && reading.remedy !== undefined)
  )
    return reading;
  return { ...reading, inspect };
}

/**
 * What to do about copies that could not be judged: the grant for Regions that refused the read
 * (`grant`, when any did), what fixes a refusal no grant fixes (an explicit deny: each reading's
 * `remedy`, once), and for the others a run again (a value left out of an answer, or a read that
 * failed for a passing cause, may come through) then a look at each copy where it is kept.
 * Undefined when there is nothing to say.
 */
function unknownRemediation(
  unknown: readonly {
    readonly accessDenied?: boolean;
    readonly remedy?: string;
    readonly inspect?: string;
  }[],
  grant: string | undefined,
): string | undefined {
  const parts = grant ? [grant] : [];
  parts.push(...new Set(unknown.flatMap((reading) => (reading.remedy ? [reading.remedy] : []))));
  const unexplained = unknown.filter(
    (reading) => reading.accessDenied !== true && reading.remedy === undefined,
  );
  if (unexplained.length > 0) {
    const looks = [...new Set(unexplained.flatMap((reading) => (reading.inspect ? [reading.inspect] : [])))];
    parts.push(
      `Run the audit again: a value the answer left out or a read that failed may come through next time.${
        looks.length > 0
          ? ` If it stays unknown, look at the copy where it is kept: ${looks.map((look) => `\`${look}\``).join(', ')}.`
          : ''
      }`,
    );
  }
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/**
 * What the Region of one Aurora copy says of it, in the shape of an RDS replication's reading
 * ({@link readReplication}): `proven` (available, keeping at least the target, and restorable back
 * that far now), `unknown` (not read, or a value needed not sent), `broken` (being deleted), `short`
 * (a retention below the target) or `filling` (a retention that holds the target, but an
 * EarliestRestorableTime not that far back yet: a copy made recently). An Aurora cluster backs up
 * continuously and restores back to its BackupRetentionPeriod, with no daily snapshot to wait for,
 * so the target itself is the retention to hold.
 */
type CopyReading =
  | ProvenOrUnknownCopy
  | {
      readonly region: string;
      readonly outcome: 'broken' | 'short';
      readonly says: string;
      readonly id: string;
    }
  | {
      readonly region: string;
      readonly outcome: 'filling';
      readonly says: string;
      readonly id: string;
      readonly arn: string;
      readonly completeAt: Date;
    };

function readCopy(
  fact: PitrFact,
  copy: CopyCluster,
  minPitrDays: number,
  now: Date,
  as: 'replica' | 'primary',
): CopyReading {
  const { region } = copy;
  if (!copy.read) {
    return {
      region,
      outcome: 'unknown',
      says: `DescribeDBClusters of ${copy.arn} in ${region} was not read: ${copy.reason}`,
      accessDenied: copy.accessDenied,
      ...(copy.remedy !== undefined ? { remedy: copy.remedy } : {}),
    };
  }
  const held = `\`${copy.id}\` in ${region}`;
  if (as === 'replica' && copy.globalClusterIdentifier) {
    // A global database secondary is restored to a point in time through its primary (pitr.window
    // judges it so): its own BackupRetentionPeriod does not tell how far back a restore in its
    // Region reaches.
    return {
      region,
      outcome: 'unknown',
      says: `${held} is a secondary of the Aurora global database \`${copy.globalClusterIdentifier}\`, restored to a point in time through its primary, so its own BackupRetentionPeriod does not tell how far back a restore in ${region} reaches`,
      accessDenied: false,
    };
  }
  if (copy.status === undefined) {
    return { region, outcome: 'unknown', says: `${held} was sent without Status`, accessDenied: false };
  }
  if (copy.status === 'deleting') {
    return { region, outcome: 'broken', says: `${held} has Status deleting`, id: copy.id };
  }
  const retention = copy.backupRetentionPeriod;
  const { min, max } = fact.retentionRange;
  if (retention !== undefined && (retention < min || retention > max)) {
    // Not a setting a DB cluster can have (1-35 days): neither short nor enough.
    return {
      region,
      outcome: 'unknown',
      says: `${held} was sent BackupRetentionPeriod ${retention}, outside the ${min}-${max} days a DB cluster keeps`,
      accessDenied: false,
    };
  }
  if (retention !== undefined && retention < minPitrDays) {
    // Whatever its status, a retention below the target caps how far back the copy restores.
    return {
      region,
      outcome: 'short',
      says: `${held} (Status ${copy.status}) keeps ${retention} ${retention === 1 ? 'day' : 'days'} (BackupRetentionPeriod), shorter than the ${minPitrDays}-day target: it can never be restored back ${minPitrDays} days`,
      id: copy.id,
    };
  }
  if (copy.status !== 'available') {
    return {
      region,
      outcome: 'unknown',
      says: `${held} has Status ${copy.status}, not available`,
      accessDenied: false,
    };
  }
  if (retention === undefined) {
    return {
      region,
      outcome: 'unknown',
      says: `${held} (Status available) was sent without BackupRetentionPeriod`,
      accessDenied: false,
    };
  }
  // A retention says how far back the copy will reach, its EarliestRestorableTime how far it reaches
  // now: a replica made yesterday keeping 35 days restores back one. Not sent, it is not judged, as a
  // replicated backup without RestoreWindow is not (readReplication).
  const earliest = copy.earliestRestorableTime;
  if (earliest === undefined) {
    return {
      region,
      outcome: 'unknown',
      says: `${held} (Status available, BackupRetentionPeriod ${retention} days) was sent without EarliestRestorableTime, so how far back it can be restored now is not known`,
      accessDenied: false,
    };
  }
  if (earliest.getTime() - now.getTime() > CLOCK_SKEW_TOLERANCE_MS) {
    // Beyond the clock-skew margin, a time after this run's clock is a slow clock or a value gone
    // wrong, not a replica made a moment ago: read as an empty window it would be "still filling".
    return {
      region,
      outcome: 'unknown',
      says: `${held} (Status available, BackupRetentionPeriod ${retention} days) was sent EarliestRestorableTime ${formatTime(earliest)}, later than this run's clock (${formatTime(now)}), so how far back it can be restored cannot be measured; check the clock of the machine that runs the audit`,
      accessDenied: false,
    };
  }
  if (pointBeforeCreated(earliest, copy.createdAt)) {
    // The copy restores from its own backups, none older than it: read as a window, a time before
    // the copy was made would pass history it never had (pitr.window says the same of the source).
    return {
      region,
      outcome: 'unknown',
      says: `${held} (Status available, BackupRetentionPeriod ${retention} days) was sent EarliestRestorableTime ${formatTime(earliest)}, before its ClusterCreateTime ${formatTime(copy.createdAt as Date)}, and none of its backups is older than the copy, so how far back it can be restored cannot be measured`,
      accessDenied: false,
    };
  }
  // Held as pitr.window holds the source, with its tolerance (continuous backups: a fixed hour).
  const windowMs = Math.max(0, now.getTime() - earliest.getTime());
  if (windowMs + toleranceOf(fact).passMs >= minPitrDays * DAY_MS) {
    return {
      region,
      outcome: 'proven',
      says: `${held}: Status available, BackupRetentionPeriod ${retention} days, restorable from ${isoTimeText(earliest)}, at least the ${minPitrDays} days required`,
    };
  }
  const completeAt = new Date(earliest.getTime() + minPitrDays * DAY_MS);
  return {
    region,
    outcome: 'filling',
    says: `${held} (Status available) can be restored back to ${formatTime(earliest)}: ${formatDays(windowMs / DAY_MS)} of ${minPitrDays} days accrued; its BackupRetentionPeriod of ${retention} days is enough, so the window is still filling and completes on ${formatTime(completeAt)}`,
    id: copy.id,
    arn: copy.arn,
    completeAt,
  };
}

/**
 * The `--query` of DescribeDBClusters that lists the replica clusters of `fact` (its ARN as their
 * ReplicationSourceIdentifier), as one shell word. An ARN of plain characters stays in the double
 * quotes a reader expects; any other (or the placeholder for an ARN not sent) is single-quoted whole
 * (core/shell-word.ts), its quotes and backslashes escaped for the JMESPath raw string first, so nothing in it
 * runs in the reader's shell.
 */
function replicasQuery(fact: PitrFact): string {
  const arn = fact.resource.arn;
  const query = (source: string) =>
    `DBClusters[?ReplicationSourceIdentifier=='${source}'].[DBClusterIdentifier,BackupRetentionPeriod,EarliestRestorableTime]`;
  if (arn !== undefined && shellWord(arn) === arn) return `"${query(arn)}"`;
  const source = arn ?? `<arn of ${fact.resource.id}>`;
  return shellWord(query(source.replaceAll('\\', '\\\\').replaceAll("'", "\\'")));
}

/**
 * An Aurora cluster's copies in other Regions, each read in its own Region, judged as an RDS
 * instance's replications are ({@link judgeRdsReplications}): one proven copy passes; otherwise a
 * copy not read leaves it NOT_AVAILABLE; otherwise it fails, naming each copy's value and the command
 * that raises its retention. `regions` are the copies' Regions the cluster's answer named; one whose
 * copy was not read is said so.
 */
function judgeCopies(
  fact: PitrFact,
  regions: readonly string[],
  copies: readonly CopyCluster[],
  minPitrDays: number,
  now: Date,
  about: {
    readonly what: string;
    readonly observed: Record<string, unknown>;
    readonly copy: 'replica' | 'primary';
  },
): CheckOutcome {
  const required = { crossRegionBackup: true, windowDays: minPitrDays };
  const readings: CopyReading[] = regions.flatMap((region) => {
    const here = copies.filter((copy) => copy.region === region);
    if (here.length === 0) {
      return [
        {
          region,
          outcome: 'unknown' as const,
          says: `${region}: its DescribeDBClusters was not read`,
          accessDenied: false,
        },
      ];
    }
    return here.map((copy) =>
      withInspect(
        readCopy(fact, copy, minPitrDays, now, about.copy),
        `aws rds describe-db-clusters --region ${shellWord(copy.region)} --db-cluster-identifier ${shellWord(copy.arn)}`,
      ),
    );
  });
  const label = `${resourceLabel(fact)} ${about.what}`;
  const proven = readings.filter((reading) => reading.outcome === 'proven');
  if (proven.length > 0) {
    const where = [...new Set(proven.map((reading) => reading.region))].join(',');
    return {
      status: 'PASSED',
      description: `${label}, read there (DescribeDBClusters ${proven.map((reading) => reading.says).join('; ')}).`,
      observed: { ...about.observed, crossRegionBackup: true, replicatedTo: where },
      required,
    };
  }
  const unknown = readings.filter((reading) => reading.outcome === 'unknown');
  if (unknown.length > 0) {
    const denied = [...new Set(unknown.flatMap((reading) => (reading.accessDenied ? [reading.region] : [])))];
    const remediationText = unknownRemediation(
      unknown,
      denied.length > 0
        ? `Grant the audit role rds:DescribeDBClusters in ${denied.join(', ')} (the Region of the copy, on arn:aws:rds:<region>:<account>:cluster:*), then run the audit again.`
        : undefined,
    );
    return {
      status: 'NOT_AVAILABLE',
      description: `${label}, but whether it can be restored back the ${minPitrDays} days required could not be told: ${unknown.map((reading) => reading.says).join('; ')}.`,
      observed: { ...about.observed, crossRegionBackup: null },
      required,
      ...(remediationText ? { remediationText } : {}),
    };
  }
  const notProven = readings.filter(
    (reading): reading is Extract<CopyReading, { id: string }> => 'id' in reading,
  );
  const short = notProven.filter((reading) => reading.outcome === 'short');
  const broken = notProven.filter((reading) => reading.outcome === 'broken');
  const filling = notProven.filter(
    (reading): reading is Extract<CopyReading, { outcome: 'filling' }> => reading.outcome === 'filling',
  );
  const says = notProven.map((reading) => reading.says).join('; ');
  const fillingAdvice = filling.map((reading) =>
    windowFillingAdvice(
      reading.region,
      reading.completeAt,
      `\`${reading.id}\` was created`,
      `\`aws rds describe-db-clusters --region ${shellWord(reading.region)} --db-cluster-identifier ${shellWord(reading.arn)}\``,
    ),
  );
  // A copy on its way is a WARNING, as an RDS replication still filling is (WARNING_OUTCOMES).
  if (notProven.every((reading) => WARNING_OUTCOMES.has(reading.outcome))) {
    return {
      status: 'WARNING',
      description: `${label}, but ${says}.`,
      observed: { ...about.observed, crossRegionBackup: false },
      required,
      remediationText: fillingAdvice.join(' '),
    };
  }
  return {
    status: 'FAILED',
    description: `${label}, but no copy there is proven to keep restore points reaching back the ${minPitrDays} days required: ${says}.`,
    observed: { ...about.observed, crossRegionBackup: false },
    required,
    remediationText: [
      ...short.map(
        (reading) =>
          `Raise the retention of \`${reading.id}\` in ${reading.region}: \`aws rds modify-db-cluster --db-cluster-identifier ${shellWord(reading.id)} --backup-retention-period ${minPitrDays} --region ${shellWord(reading.region)} --apply-immediately\` (restore points older than its current retention are gone; the window then grows by a day per day).`,
      ),
      ...(broken.length > 0
        ? [
            `${broken.map((reading) => `\`${reading.id}\` in ${reading.region}`).join(', ')} is being deleted: add another cross-Region copy (an Aurora Global Database secondary or a cross-Region read replica cluster keeping at least ${minPitrDays} days, or an AWS Backup copy action, ${DOCS.awsBackupCrossRegionCopy}).`,
          ]
        : []),
      ...fillingAdvice,
    ].join(' '),
  };
}

function judgeTargets(fact: PitrFact, targets: readonly string[], context: CheckContext): CheckOutcome {
  const minPitrDays = context.policy.pitr.minPitrDays;
  const required = { crossRegionBackup: true };
  const elsewhere = targets.filter((target) => target !== fact.resource.region);
  // A Cloud SQL backup location says where backups would be stored, not that any exists: with
  // automated backups off (or not known to be on) it proves nothing about another region.
  if (fact.kind === 'cloudsql-instance' && elsewhere.length > 0) {
    if (fact.automatedBackupsEnabled === false) {
      return {
        status: 'FAILED',
        description: `${resourceLabel(fact)} has automated backups off (backupConfiguration.enabled=false): no backup of it exists in ${elsewhere.join(', ')} or anywhere else, whatever the backup location says.`,
        observed: { crossRegionBackup: false, replicatedTo: targets.join(',') },
        required,
        remediationText: `Turn automated backups on (see pitr.enabled): \`gcloud sql instances patch ${cloudSqlInstanceWords(fact)} ${BACKUP_START_TIME_FLAG}\` ${BACKUP_START_TIME_HINT}; they are then stored in the backup location (${DOCS.cloudSqlBackupLocations}).`,
      };
    }
    if (fact.automatedBackupsEnabled === undefined) {
      return {
        status: 'NOT_AVAILABLE',
        description: `${resourceLabel(fact)}: could not read settings.backupConfiguration.enabled, so it is unknown whether any backup exists in the backup location (${elsewhere.join(', ')}); this check could not be evaluated.`,
        observed: { crossRegionBackup: null, replicatedTo: targets.join(',') },
        required,
      };
    }
    // A named location is outside the instance's region only when that region is known; the
    // default one is a multi-region, outside any one region.
    const named = elsewhere.filter((target) => target !== DEFAULT_BACKUP_LOCATION);
    if (fact.resource.region === REGION_NOT_SENT && named.length > 0) {
      return {
        status: 'NOT_AVAILABLE',
        description: `${resourceLabel(fact)} stores its automated backups in ${named.join(', ')}, but the instance's region was not sent (instances.list, region), so whether that location is outside it is not known; this check could not be evaluated.`,
        observed: { crossRegionBackup: null, replicatedTo: targets.join(',') },
        required,
        remediationText: `Run the audit again; if the region is still missing, compare the instance's region with its backup location: \`gcloud sql instances describe ${cloudSqlInstanceWords(fact)} --format="value(region,settings.backupConfiguration.location)"\`.`,
      };
    }
  }
  if (
    fact.kind === 'rds-instance' &&
    (elsewhere.length > 0 ||
      (fact.unplacedBackupReplications ?? []).length > 0 ||
      (fact.replicationsWithoutArn ?? 0) > 0)
  )
    return judgeRdsReplications(fact, elsewhere, context);
  const observed = { crossRegionBackup: elsewhere.length > 0, replicatedTo: targets.join(',') };
  if (elsewhere.length > 0 && fact.kind === 'cloudsql-instance') {
    // Cloud SQL stores backups in the backup location, but "for instances that store transaction
    // logs in Cloud Storage, the logs are stored in the same region as the primary instance" (Cloud
    // SQL docs, "Use point-in-time recovery", Log and disk usage): a pass covers the daily backups,
    // and says so, unlike an RDS replication, which copies the snapshots and the logs.
    const logs =
      fact.pointInTimeRecoveryEnabled === false
        ? ''
        : ` Its point-in-time-recovery transaction logs stay in ${fact.resource.region}, so after an outage of that region a restore reaches the newest daily backup, not any point in time.`;
    return {
      status: 'PASSED',
      description: `${resourceLabel(fact)} stores its automated backups in ${elsewhere.join(', ')}, outside its region.${logs}`,
      observed,
      required,
    };
  }
  if (elsewhere.length > 0) {
    return {
      status: 'PASSED',
      description: `${resourceLabel(fact)} has its automated backups replicated to ${elsewhere.join(', ')}.`,
      observed,
      required,
    };
  }
  if (fact.kind === 'cloudsql-instance') {
    return {
      status: 'FAILED',
      description: `${resourceLabel(fact)} stores its backups only in ${targets.length > 0 ? targets.join(', ') : 'its own region'}: a regional outage takes the backups with the instance.`,
      observed,
      required,
      remediationText: `Run \`gcloud sql instances patch ${cloudSqlInstanceWords(fact)} --backup-location=${placeholder('multi-region such as us or eu')}\` (${DOCS.cloudSqlBackupLocations}).`,
    };
  }
  const retention = replicaRetention(fact, minPitrDays);
  // Say what the answer held: a list naming only the instance's own Region is not empty.
  const held =
    targets.length > 0
      ? `names only ${targets.join(', ')}, the instance's own Region`
      : 'names no replication';
  return {
    status: 'FAILED',
    description: `${resourceLabel(fact)} has no automated backups replicated to another region (DBInstanceAutomatedBackupsReplications ${held}).`,
    observed,
    required,
    // The policy names no destination, and which Regions RDS replicates into depends on the source
    // Region (USER_ReplicateBackups lists the pairs): the placeholder stays, said in words.
    remediationText: `Run \`${startBackupReplicationCommand(fact, placeholder('destination-region'), retention.days)}\`, with \`${placeholder('destination-region')}\` the Region to copy to: one other than ${fact.resource.region}, the instance's own, among those RDS replicates automated backups from ${fact.resource.region} to (${DOCS.rdsReplicateBackups})${retention.why} (add \`--kms-key-id ${placeholder('key in the destination region')}\` for an encrypted instance). Automated backups must be on for replication to start.`,
  };
}

/**
 * The retention to name for a replication's copy: the one pitr.window names for the source
 * (`retentionToSet`), since the replicated backups are the source's daily snapshots and transaction
 * logs ("RDS replicates all snapshots and transaction logs", RDS user guide, USER_ReplicateBackups)
 * and a copy restores from the oldest snapshot it keeps as the source does, taken in the source's
 * backup window; `why` says so when it is above the target.
 */
function replicaRetention(
  fact: PitrFact,
  minPitrDays: number,
): { readonly days: number; readonly why: string } {
  const { days, above, reason } = retentionToSet(fact, minPitrDays);
  return {
    days,
    why:
      above && reason
        ? `; its retention of ${days} days is ${above} the ${minPitrDays}-day target: the copy holds the source's daily snapshots and transaction logs and restores from the oldest snapshot it keeps, as the source does (pitr.window): ${reason}`
        : '',
  };
}

/**
 * Statuses of a replicated backup in its destination Region that mean restore points are kept there:
 * `replicating` while the source replicates into it (the AWS CLI example of
 * describe-db-instance-automated-backups lists a replicated backup with Status `replicating` and its
 * RestoreWindow), `active` as the API reference names a live instance's automated backup.
 */
const KEEPING_STATUSES: ReadonlySet<string> = new Set(['replicating', 'active']);

/**
 * What one destination says of one replication. `proven`: it keeps current restore points reaching
 * back the target. `unknown`: a value the check needs was not read or not sent. `waiting` (no
 * restore point yet), `filling` (a window short of the target with a retention that lets it get
 * there) and `steady` (a retention at or above the target but short of the one that holds it all
 * day, pitr.window's steady state): a WARNING on their own. `broken` (missing, stopped, stalled) and
 * `short` (a retention below the target): FAILED.
 */
type Reading = (
  | ProvenOrUnknownCopy
  | {
      readonly region: string;
      readonly outcome: 'waiting' | 'broken' | 'short' | 'steady';
      readonly says: string;
      readonly arn: string;
    }
  | {
      readonly region: string;
      readonly outcome: 'filling';
      readonly says: string;
      readonly arn: string;
      readonly completeAt: Date;
      /** Its retention holds the target all day once the window is filled (`retentionToHold`). */
      readonly holds: boolean;
    }
) & {
  /** The verdict leans on a source backup window assumed, not read (pitr.window's `assumed`). */
  readonly assumes?: boolean;
  /** The replica's own retention (BackupRetentionPeriod), when its window was judged. */
  readonly keeps?: number;
};

/** A reading that names a replicated backup to inspect or restart. */
type ReplicaReading = Extract<Reading, { arn: string }>;

/**
 * How far a replicated backup's latest restore point may trail its source's on top of the policy
 * lag: the copy is asynchronous, "the underlying RPO is on the slightly higher side, ranging 5-30
 * minutes" (AWS Prescriptive Guidance, "Amazon RDS PITR snapshot replication",
 * https://docs.aws.amazon.com/prescriptive-guidance/latest/dr-standard-edition-amazon-rds/rds-pitr-snapshot.html).
 * Held to the policy lag alone, a healthy replication 20 minutes behind would fail under the
 * default 15 minutes.
 */
const REPLICATION_DELAY_MINUTES = 30;

/** The source's own latest restore point, when known and before `now`. */
function sourceLatest(fact: PitrFact, now: Date): Date | undefined {
  const latest = latestRestorePoint(fact);
  return latest !== undefined && latest.getTime() < now.getTime() ? latest : undefined;
}

/**
 * The latest restore point of a source RDS instance that is `stopped` (DBInstanceStatus), when it is
 * known and before `now`; undefined for a source that is not stopped. A stopped instance takes no
 * writes, so nothing after that point exists to be copied.
 */
function stoppedSourceLatest(fact: PitrFact, now: Date): Date | undefined {
  return fact.status === 'stopped' ? sourceLatest(fact, now) : undefined;
}

/**
 * The days a replicated automated backup keeping restore points can keep: RDS keeps automated backups
 * 0-35 days, 0 keeping none ("You can set the backup retention period of a DB instance to between 0
 * and 35 days. Setting the backup retention period to 0 disables automated backups", RDS user guide,
 * USER_WorkingWithAutomatedBackups.BackupRetention); StartDBInstanceAutomatedBackupsReplication
 * documents no other range for the copy's own BackupRetentionPeriod.
 */
const REPLICATED_RETENTION_RANGE = { min: 1, max: 35 } as const;

/**
 * What one destination says of one replication, as a verdict and the words for it. Its latest
 * restore point is held to the policy's `maxRestoreLagMinutes`, as pitr.lag holds the source's, plus
 * {@link REPLICATION_DELAY_MINUTES}: RDS
 * copies "all snapshots and transaction logs as soon as they are ready on the DB instance" (RDS user
 * guide, USER_ReplicateBackups), so a replica that keeps saying `replicating` while its
 * RestoreWindow.LatestTime stops moving has stalled, and a regional outage loses everything since.
 * Of a `stopped` source the lag is measured from the source's own latest restore point instead of
 * now ({@link stoppedSourceLatest}): the copy cannot go past it, and it is not stalled for that.
 */
function readReplication(fact: PitrFact, backup: ReplicatedBackup, { policy, now }: CheckContext): Reading {
  const { region } = backup;
  if (!backup.read)
    return {
      region,
      outcome: 'unknown',
      says: backup.reason,
      accessDenied: backup.accessDenied,
      ...(backup.remedy !== undefined ? { remedy: backup.remedy } : {}),
    };
  if (!backup.listed)
    return {
      region,
      outcome: 'broken',
      says: `${region} lists no replicated backup ${backup.arn}`,
      arn: backup.arn,
    };
  if (backup.status === undefined) {
    return {
      region,
      outcome: 'unknown',
      says: `${region} lists the replicated backup ${backup.arn} without Status`,
      accessDenied: false,
    };
  }
  if (!KEEPING_STATUSES.has(backup.status)) {
    return {
      region,
      outcome: 'broken',
      says: `the replicated backup in ${region} has Status ${backup.status}`,
      arn: backup.arn,
    };
  }
  const minPitrDays = policy.pitr.minPitrDays;
  const retention = backup.backupRetentionPeriod;
  const { min, max } = REPLICATED_RETENTION_RANGE;
  if (retention !== undefined && (retention < min || retention > max)) {
    // No retention a replicated backup can have: neither short nor enough (as for an Aurora copy).
    return {
      region,
      outcome: 'unknown',
      says: `the replicated backup in ${region} (Status ${backup.status}) was sent BackupRetentionPeriod ${retention}, outside the ${min}-${max} days a replicated automated backup keeps`,
      accessDenied: false,
    };
  }
  if (retention !== undefined && retention < minPitrDays) {
    // Whatever the copy holds today, a retention below the target caps its window there: proven
    // before the first restore point arrives, as pitr.window fails a source retention alike.
    return {
      region,
      outcome: 'short',
      says: `the replicated backup in ${region} (Status ${backup.status}) keeps ${retention} days (BackupRetentionPeriod), shorter than the ${minPitrDays}-day target: its window can never reach ${minPitrDays} days`,
      arn: backup.arn,
    };
  }
  // A value the API did not send is not evaluated.
  if (backup.restoreWindow === undefined) {
    return {
      region,
      outcome: 'unknown',
      says: `${region} lists the replicated backup ${backup.arn} (Status ${backup.status}) without RestoreWindow`,
      accessDenied: false,
    };
  }
  if (backup.restoreWindow.earliest === undefined && backup.restoreWindow.latest !== undefined) {
    // A latest restore point is a restore point: the missing earliest time is a value the API did
    // not send, not a copy that has not arrived (pitr.window judges its own window alike).
    return {
      region,
      outcome: 'unknown',
      says: `the replicated backup in ${region} (Status ${backup.status}) can be restored up to ${formatTime(backup.restoreWindow.latest)}, but its RestoreWindow without EarliestTime does not say from when`,
      accessDenied: false,
    };
  }
  if (backup.restoreWindow.earliest === undefined) {
    return {
      region,
      outcome: 'waiting',
      says: `the replicated backup in ${region} (Status ${backup.status}) has no restore point yet (RestoreWindow without EarliestTime): the first copy has not arrived`,
      arn: backup.arn,
    };
  }
  const latest = backup.restoreWindow.latest;
  const held = `the replicated backup in ${region} (Status ${backup.status})`;
  // A value the API did not send is not evaluated as fresh.
  if (latest === undefined) {
    return {
      region,
      outcome: 'unknown',
      says: `${held} has a RestoreWindow without LatestTime, so how recent its copy is cannot be measured`,
      accessDenied: false,
    };
  }
  if (latest.getTime() - now.getTime() > CLOCK_SKEW_TOLERANCE_MS) {
    // A time after this run's clock measures no lag: a slow clock would pass a stale copy.
    return {
      region,
      outcome: 'unknown',
      says: `${held} can be restored up to ${formatTime(latest)}, later than this run's clock (${formatTime(now)}), so how recent its copy is cannot be measured; check the clock of the machine that runs the audit`,
      accessDenied: false,
    };
  }
  const earliest = backup.restoreWindow.earliest;
  if (
    earliest.getTime() - now.getTime() <= CLOCK_SKEW_TOLERANCE_MS &&
    earliestAfterLatest(earliest, latest)
  ) {
    // The answer contradicts itself (pitr.window reads the source's own window alike): read as an
    // empty window it would be "still filling", and its latest time proves no current copy either.
    // An earliest time after the run clock is named as such in readReplicaWindow.
    return {
      region,
      outcome: 'unknown',
      says: `${held} can be restored back to ${formatTime(earliest)} (RestoreWindow.EarliestTime), after its latest restorable time ${formatTime(latest)} (RestoreWindow.LatestTime), so no point in time lies between them and its window cannot be measured`,
      accessDenied: false,
    };
  }
  const policyLag = policy.pitr.maxRestoreLagMinutes;
  const maxLag = policyLag + REPLICATION_DELAY_MINUTES;
  // A stopped source writes nothing and its own latest restore point stops moving (pitr.lag judges
  // that): a copy is current when it reaches that point, not this run's clock.
  const stoppedAt = stoppedSourceLatest(fact, now);
  const lagMinutes = Math.max(0, (stoppedAt ?? now).getTime() - latest.getTime()) / MINUTE_MS;
  if (lagMinutes > maxLag) {
    const behind = stoppedAt
      ? `${formatLag(lagMinutes)} before the latest restore point of the stopped source (${formatTime(stoppedAt)})`
      : `${formatLag(lagMinutes)} ago`;
    // A running source whose own latest restore point is as old: the copy keeps up with what the
    // source has; the source stopped archiving, which pitr.lag reports, not the replication.
    const source = stoppedAt ? undefined : sourceLatest(fact, now);
    const cause =
      source !== undefined && (source.getTime() - latest.getTime()) / MINUTE_MS <= maxLag
        ? `); the source's own latest restore point is ${formatTime(source)}, as old: the source stopped archiving transaction logs (see pitr.lag), not the replication`
        : ': the replication has stalled)';
    return {
      region,
      outcome: 'broken',
      says: `${held} can be restored only up to ${formatTime(latest)}, ${behind}, more than the ${maxLag} min allowed (the policy lag of ${policyLag} min plus up to ${REPLICATION_DELAY_MINUTES} min of replication delay${cause}`,
      arn: backup.arn,
    };
  }
  if (retention === undefined) {
    return {
      region,
      outcome: 'unknown',
      says: `${region} lists the replicated backup ${backup.arn} (Status ${backup.status}) without BackupRetentionPeriod, so how many days it keeps is not known`,
      accessDenied: false,
    };
  }
  const stopped = stoppedAt
    ? `, and up to ${formatTime(latest)}, within the allowed lag of the source's latest restore point, ${formatTime(stoppedAt)}: the source is stopped, so it has nothing newer to copy`
    : '';
  return readReplicaWindow(fact, backup, backup.restoreWindow.earliest, retention, minPitrDays, now, stopped);
}

/**
 * The window a replicated backup keeps, held to the target as pitr.window holds the source's, with
 * its tolerances (`toleranceOf`, `inDailySwing`) and the retention that holds the target all day
 * (`retentionToHold`): the copy is made of the source's daily snapshots and transaction logs and
 * restores from the oldest snapshot it keeps, so a retention of R keeps it between R - 1 and R days
 * (less up to the source's backup window when that is longer than an hour). The replica's own
 * BackupRetentionPeriod bounds it, not the source's. A window short of the target with a retention
 * that lets it get there is still filling: a replication started recently, or one refilling after its
 * copy was lost, which one reading cannot tell apart (the date it completes is named, so a later
 * run can). Retentions below the target were failed before ({@link readReplication}).
 */
function readReplicaWindow(
  fact: PitrFact,
  backup: Extract<ReplicatedBackup, { listed: true }>,
  earliest: Date,
  retention: number,
  minPitrDays: number,
  now: Date,
  stopped: string,
): Reading {
  const { region, arn } = backup;
  if (earliest.getTime() - now.getTime() > CLOCK_SKEW_TOLERANCE_MS) {
    // Beyond the clock-skew margin, a time after this run's clock is a slow clock or a value gone
    // wrong, not a replication started a moment ago: read as an empty window it would be "still
    // filling" (pitr.window says the same of the source's own window).
    return {
      region,
      outcome: 'unknown',
      says: `the replicated backup in ${region} (Status ${backup.status}) can be restored back to ${formatTime(earliest)} (RestoreWindow.EarliestTime), later than this run's clock (${formatTime(now)}), so how far back it reaches cannot be measured; check the clock of the machine that runs the audit`,
      accessDenied: false,
    };
  }
  if (pointBeforeCreated(earliest, fact.createdAt)) {
    // The copy is made of the source's snapshots and logs, none older than the source: read as a
    // window, a time before the source was created would pass history it never had.
    return {
      region,
      outcome: 'unknown',
      says: `the replicated backup in ${region} (Status ${backup.status}) can be restored back to ${formatTime(earliest)} (RestoreWindow.EarliestTime), before its source was created (InstanceCreateTime ${formatTime(fact.createdAt as Date)}), and it copies only the source's own snapshots and logs, so how far back it reaches cannot be measured`,
      accessDenied: false,
    };
  }
  const windowMs = Math.max(0, now.getTime() - earliest.getTime());
  const tolerance = toleranceOf(fact);
  const assumes = tolerance.assumed !== undefined;
  const reachesTarget = windowMs + tolerance.passMs >= minPitrDays * DAY_MS;
  const holding = retentionToHold(fact, minPitrDays);
  const reach = `the replicated backup in ${region} (Status ${backup.status}) can be restored back to ${formatTime(earliest)}: ${formatDays(windowMs / DAY_MS)}`;
  const once = `the copy restores from the oldest daily snapshot it keeps, taken in the source's backup window, so a retention of ${retention} days keeps it ${dailySwingRange(fact, retention)}`;
  if (retention < holding && (reachesTarget || inDailySwing(windowMs, retention, tolerance.swingMs))) {
    return {
      region,
      outcome: 'steady',
      says: `${reach} days, ${reachesTarget ? 'enough now but not all day' : `short of the ${minPitrDays} days required`}: ${once}, shorter than the ${minPitrDays} days required for part of every day`,
      arn,
      assumes,
      keeps: retention,
    };
  }
  if (reachesTarget) {
    return {
      region,
      outcome: 'proven',
      // The latest time moves with every copy: left out, so the description stays put between runs
      // (a stopped source's does not move).
      says: `in ${region}: Status ${backup.status}, restorable from ${isoTimeText(earliest)}, at least the ${minPitrDays} days required (BackupRetentionPeriod ${retention} days)${stopped}`,
      assumes: assumes && windowMs < minPitrDays * DAY_MS,
    };
  }
  const completeAt = new Date(earliest.getTime() + minPitrDays * DAY_MS);
  const wontStay = retention < holding ? `; it will not stay complete: ${once}` : '';
  return {
    region,
    outcome: 'filling',
    says: `${reach} of ${minPitrDays} days accrued; its retention of ${retention} days is enough, so the window is still filling and completes on ${formatTime(completeAt)}${wontStay}`,
    arn,
    completeAt,
    holds: retention >= holding,
    assumes,
    keeps: retention,
  };
}

/**
 * The command that shows a replicated backup listed by an ARN naming no Region, or undefined when
 * the ARN does not have the shape of an automated-backups ARN (arn:<partition>:rds:<region>:<account>:auto-backup:<id>)
 * with partition, account and id sent: those are kept, the Region (in the ARN and `--region`) is a
 * placeholder the reader fills in, and the ARN is one shell word (core/shell-word.ts).
 */
function unplacedInspect(arn: string): string | undefined {
  const parts = arn.split(':');
  if (parts.length < 7 || parts[0] !== 'arn' || parts[2] !== 'rds' || parts[5] !== 'auto-backup')
    return undefined;
  const [, partition, , , account, , ...rest] = parts;
  const id = rest.join(':');
  if (!partition || !account || !id) return undefined;
  const region = placeholder('destination-region');
  const rebuilt = `arn:${partition}:rds:<destination-region>:${account}:auto-backup:${id}`;
  return `aws rds describe-db-instance-automated-backups --region ${region} --db-instance-automated-backups-arn ${shellWord(rebuilt)}`;
}

/**
 * An RDS instance that lists replications to other Regions passes only when a destination was read
 * and keeps restore points: DBInstanceAutomatedBackupsReplications says a replication was set up,
 * not that it works (a stopped or failing replication stays listed until it is removed).
 */
function judgeRdsReplications(
  fact: PitrFact,
  elsewhere: readonly string[],
  context: CheckContext,
): CheckOutcome {
  const minPitrDays = context.policy.pitr.minPitrDays;
  // The replicated window is held to the target (readReplicaWindow), so the finding says so.
  const required = { crossRegionBackup: true, windowDays: minPitrDays };
  const readings: Reading[] = elsewhere.flatMap((region) => {
    const backups = (fact.replicatedBackups ?? []).filter((backup) => backup.region === region);
    if (backups.length === 0) {
      return [
        {
          region,
          outcome: 'unknown' as const,
          says: `${region}: its DescribeDBInstanceAutomatedBackups was not read`,
          accessDenied: false,
        },
      ];
    }
    return backups.map((backup) =>
      withInspect(
        readReplication(fact, backup, context),
        `aws rds describe-db-instance-automated-backups --region ${shellWord(backup.region)} --db-instance-automated-backups-arn ${shellWord(backup.arn)}`,
      ),
    );
  });
  // A replication listed by an ARN naming no Region: its destination cannot be asked, so what it
  // keeps is not known, said with the ARN as the answer held it.
  const unplaced = fact.unplacedBackupReplications ?? [];
  let placeRegion = false;
  for (const arn of unplaced) {
    const reading = {
      region: arn,
      outcome: 'unknown' as const,
      says: `DBInstanceAutomatedBackupsReplications lists the replicated backup ${arn}, whose Region cannot be read from it (an automated-backups ARN is arn:<partition>:rds:<region>:<account>:auto-backup:<id>), so its destination could not be asked whether the copy exists`,
      accessDenied: false,
    };
    const inspect = unplacedInspect(arn);
    placeRegion ||= inspect !== undefined;
    readings.push(inspect ? withInspect(reading, inspect) : reading);
  }
  // A replication listed without its ARN: neither its Region nor its copy can be asked for.
  const withoutArn = fact.replicationsWithoutArn ?? 0;
  if (withoutArn > 0) {
    const { id, region } = rdsWords(fact);
    readings.push(
      withInspect(
        {
          region: 'DBInstanceAutomatedBackupsReplications',
          outcome: 'unknown' as const,
          says: `DBInstanceAutomatedBackupsReplications lists ${withoutArn} ${withoutArn === 1 ? 'replication' : 'replications'} without DBInstanceAutomatedBackupsArn, so where ${withoutArn === 1 ? 'its copy is' : 'their copies are'} kept could not be told`,
          accessDenied: false,
        },
        `aws rds describe-db-instances --region ${region} --db-instance-identifier ${id} --query 'DBInstances[0].DBInstanceAutomatedBackupsReplications'`,
      ),
    );
  }
  // What the source lists, as it lists it: the Regions, then any ARN naming none or not sent.
  const listed = [
    ...elsewhere,
    ...unplaced,
    ...(withoutArn > 0
      ? [
          `${withoutArn === 1 ? 'a destination' : `${withoutArn} destinations`} not sent (no DBInstanceAutomatedBackupsArn)`,
        ]
      : []),
  ].join(', ');
  // What was assumed for a source backup window not known, said wherever it could change a verdict.
  const assumedWindow = toleranceOf(fact).assumed;
  const assumed = (chosen: readonly Reading[]) =>
    assumedWindow && chosen.some((reading) => reading.assumes) ? ` ${assumedWindow}` : '';
  const proven = readings.filter((reading) => reading.outcome === 'proven');
  if (proven.length > 0) {
    const regions = [...new Set(proven.map((reading) => reading.region))];
    return {
      status: 'PASSED',
      description: `${resourceLabel(fact)} has its automated backups replicated to ${regions.join(', ')} (DescribeDBInstanceAutomatedBackups ${proven.map((reading) => reading.says).join('; ')}).${assumed(proven)}`,
      observed: { crossRegionBackup: true, replicatedTo: regions.join(',') },
      required,
    };
  }
  const unknown = readings.filter((reading) => reading.outcome === 'unknown');
  if (unknown.length > 0) {
    const denied = [
      ...new Set(
        unknown.flatMap((reading) =>
          'accessDenied' in reading && reading.accessDenied ? [reading.region] : [],
        ),
      ),
    ];
    const advice = unknownRemediation(
      unknown,
      denied.length > 0
        ? `Grant the audit role rds:DescribeDBInstanceAutomatedBackups in ${denied.join(', ')} (the Region the backups are replicated to, on arn:aws:rds:<region>:<account>:auto-backup:*), then run the audit again.`
        : undefined,
    );
    // The placeholder stays in a command built from an ARN naming no Region, said in words.
    const remediationText =
      advice && placeRegion
        ? `${advice} The ARN sent no Region: in its command, replace \`${placeholder('destination-region')}\` after --region, and \`<destination-region>\` inside the ARN, with the Region its automated backups are replicated to.`
        : advice;
    return {
      status: 'NOT_AVAILABLE',
      description: `${resourceLabel(fact)} lists automated-backup replication to ${listed}, but whether a destination keeps current restore points reaching back the ${minPitrDays} days required could not be told: ${unknown.map((reading) => reading.says).join('; ')}.`,
      observed: { crossRegionBackup: null, replicatedTo: [...elsewhere, ...unplaced].join(',') },
      required,
      ...(remediationText ? { remediationText } : {}),
    };
  }
  const notProven = readings.filter((reading): reading is ReplicaReading => 'arn' in reading);
  const says = notProven.map((reading) => reading.says).join('; ');
  const remediationText = replicaRemediation(fact, notProven, minPitrDays);
  const observed = { crossRegionBackup: false, replicatedTo: elsewhere.join(',') };
  if (notProven.every((reading) => WARNING_OUTCOMES.has(reading.outcome))) {
    return {
      status: 'WARNING',
      description: `${resourceLabel(fact)} replicates its automated backups to ${elsewhere.join(', ')}, but ${says}.${assumed(notProven)}`,
      observed,
      required,
      remediationText,
    };
  }
  return {
    status: 'FAILED',
    description: `${resourceLabel(fact)} lists automated-backup replication to ${elsewhere.join(', ')}, but no destination is proven to keep current restore points reaching back the ${minPitrDays} days required: ${says}.${assumed(notProven)}`,
    observed,
    required,
    remediationText,
  };
}

/**
 * What to do about a copy in another Region whose window is still filling (an RDS replicated backup
 * or an Aurora copy cluster): wait for the date it completes, cover the missing days meanwhile, and
 * inspect it with `inspect` if it is still short after that date. `recently` says what began the
 * copy recently (its replication started, the replica cluster was created).
 */
function windowFillingAdvice(region: string, completeAt: Date, recently: string, inspect: string): string {
  return `Nothing to change in ${region} if ${recently} recently: its window completes on ${formatTime(completeAt)}; until then keep pg_dump files or manual snapshots in another Region for the missing days. If it is still short after that date, the copy is losing restore points: inspect it (${inspect}).`;
}

/** Readings that are a WARNING on their own: the copy is on its way, or short part of the day. */
const WARNING_OUTCOMES: ReadonlySet<Reading['outcome']> = new Set(['waiting', 'filling', 'steady']);

/**
 * What to do about each replication not proven, by what its destination said. Each command runs in
 * the destination Region it names (`--region`): a replication is stopped and started where its copy
 * is kept, never in the source's Region. RDS sets a replica's retention when its replication starts
 * (StartDBInstanceAutomatedBackupsReplication `--backup-retention-period`; no call changes it after),
 * so a retention short of the one the target needs is fixed by restarting it with that retention;
 * stopping keeps the copy made so far ("Replicated backups are retained, subject to the backup
 * retention period set when they were created", RDS user guide, AutomatedBackups.StopReplicating).
 */
function replicaRemediation(
  fact: PitrFact,
  readings: readonly ReplicaReading[],
  minPitrDays: number,
): string {
  const retention = replicaRetention(fact, minPitrDays);
  const of = (...outcomes: Reading['outcome'][]) => readings.filter((r) => outcomes.includes(r.outcome));
  const regions = (chosen: readonly ReplicaReading[]) => [...new Set(chosen.map((r) => r.region))];
  const inspect = (chosen: readonly ReplicaReading[]) =>
    chosen
      .map(
        (reading) =>
          `\`aws rds describe-db-instance-automated-backups --region ${shellWord(reading.region)} --db-instance-automated-backups-arn ${shellWord(reading.arn)}\``,
      )
      .join(', ');
  const restarted = new Set<string>();
  const restart = (chosen: readonly ReplicaReading[]) =>
    regions(chosen)
      .map((region) => {
        restarted.add(region);
        return `\`${stopBackupReplicationCommand(fact, region)}\` then \`${startBackupReplicationCommand(fact, region, retention.days)}${replicaKeyOf(fact, region).flag}\``;
      })
      .join('; ');
  const broken = of('broken');
  const filling = readings.filter(
    (r): r is Extract<ReplicaReading, { outcome: 'filling' }> => r.outcome === 'filling',
  );
  // A window still filling whose retention will not hold the target once filled is restarted now
  // rather than after it fills.
  const tooShort = readings.filter(
    (r) => r.outcome === 'short' || r.outcome === 'steady' || (r.outcome === 'filling' && !r.holds),
  );
  // A replica that already keeps the retention named (the RDS maximum) gains nothing from a restart:
  // as pitr.window says of its source, no retention holds the target all day there.
  const restartable = tooShort.filter((r) => (r.keeps ?? 0) < retention.days);
  const capped = tooShort.filter((r) => (r.keeps ?? 0) >= retention.days);
  const max = fact.retentionRange.max;
  const above = retentionToHold(fact, minPitrDays) - minPitrDays;
  const waiting = of('waiting');
  return [
    broken.length > 0
      ? `Inspect the replication (${inspect(broken)}); if it stopped, stop it and start it again in its destination Region: ${restart(broken)}${retention.why} (${DOCS.rdsReplicateBackups}).`
      : '',
    restartable.length > 0
      ? `RDS sets the retention of replicated backups when their replication starts, so stop the replication to ${regions(restartable).join(', ')} and start it again there with the ${retention.days} days the ${minPitrDays}-day target needs: ${restart(restartable)}${retention.why}. Stopping keeps the copy made so far (Status retained) for the retention it was made with; the new replication's window then fills by a day per day.`
      : '',
    capped.length > 0
      ? `RDS keeps at most ${max} days, so no retention keeps the copy in ${regions(capped).join(', ')} at ${minPitrDays} days all day: keep manual snapshots or pg_dump files in another Region covering the oldest day, or set the target to ${max - above} days (see pitr.window).`
      : '',
    ...filling
      .filter((reading) => reading.holds)
      .map((reading) =>
        windowFillingAdvice(
          reading.region,
          reading.completeAt,
          'its replication started',
          inspect([reading]),
        ),
      ),
    waiting.length > 0
      ? `Check again after the next backup window; if no restore point appears, inspect the replication: ${inspect(waiting)}.`
      : '',
    ...[...restarted].map((region) => replicaKeyOf(fact, region).says),
  ]
    .filter((part) => part !== '')
    .join(' ');
}

/**
 * The KMS key a restarted replication into `region` must name, from what that Region sent of the
 * copy already there (`Encrypted`, `KmsKeyId` of DescribeDBInstanceAutomatedBackups): an encrypted
 * source's backups are encrypted in the destination with a key of that Region, and RDS refuses the
 * start without one ("Encrypted instances require a valid KMS key ID", reported in
 * aws-cloudformation/cloudformation-coverage-roadmap#2019; "they must provide a valid KMS Key in the
 * replication region", aws-cloudformation-resource-providers-rds#516, which adds that a Region keeping
 * retained backups takes only "the same KMS key used to encrypt those backups"). The API reference
 * lists KmsKeyId as optional because an unencrypted source needs none. `flag` goes on the start
 * command; `says` is the sentence that explains it (empty when nothing needs saying).
 */
function replicaKeyOf(fact: PitrFact, region: string): { readonly flag: string; readonly says: string } {
  const copies = (fact.replicatedBackups ?? []).filter(
    (backup): backup is Extract<ReplicatedBackup, { listed: true }> =>
      backup.region === region && backup.read && backup.listed,
  );
  const key = copies.find((backup) => backup.kmsKeyId !== undefined)?.kmsKeyId;
  if (key !== undefined) {
    return {
      flag: ` --kms-key-id ${shellWord(key)}`,
      says: `The copy in ${region} is encrypted with the KMS key ${key} (DescribeDBInstanceAutomatedBackups KmsKeyId), which the start command names: an encrypted source's backups need a key of the destination Region, and one that keeps retained backups takes only the key they were encrypted with.`,
    };
  }
  if (copies.some((backup) => backup.encrypted === true)) {
    return {
      flag: ` --kms-key-id <ARN of a KMS key in ${region}>`,
      says: `The copy in ${region} is encrypted, but its destination did not send its KmsKeyId: name the key it was encrypted with (\`aws rds describe-db-instance-automated-backups --region ${shellWord(region)}\` shows it), since an encrypted source's backups need a key of the destination Region and RDS refuses the start without one ("Encrypted instances require a valid KMS key ID").`,
    };
  }
  if (copies.length > 0 && copies.every((backup) => backup.encrypted === false)) {
    return { flag: '', says: '' };
  }
  return {
    flag: '',
    says: `If ${fact.resource.id} is encrypted, add \`--kms-key-id\` with the ARN of a KMS key in ${region} to the start command: an encrypted source's backups are encrypted there with a key of that Region, and RDS refuses the start without one ("Encrypted instances require a valid KMS key ID").`,
  };
}
