/**
 * The exact commands a remediation names, built from the fact so a DBA can paste them. AWS
 * commands carry `--region`, gcloud commands `--project`, because the operator's default rarely
 * matches the audited database.
 */
import type { PitrFact } from '../../core/facts.ts';
import { placeholder, shellWord } from '../../core/shell-word.ts';
import { CLOCK_SKEW_TOLERANCE_MS, DAY_MS, HOUR_MS, MINUTE_MS } from '../../core/time.ts';

/**
 * A window this much short of the target still passes pitr.window, and never more. It absorbs clock
 * skew between this process and the cloud and the minutes-level granularity of restorable times (RDS
 * ships WAL every 5 minutes), so a window at exactly the retention does not flap between PASSED and
 * WARNING. Here, not in window.ts, because the retention every remediation names depends on it
 * ({@link retentionToHold}).
 */
export const WINDOW_TOLERANCE_MS = HOUR_MS;

/**
 * How far an RDS DB instance's window may sit short of the target and still pass, given the length of
 * its backup window: that length (its daily snapshot starts anywhere in it) plus the clock-skew
 * margin, but never more than {@link WINDOW_TOLERANCE_MS} plus that margin. A longer backup window is
 * not a reason to pass a window hours short of the target: that is a shortfall part of every day.
 */
export function backupWindowPassToleranceMs(backupWindowMs: number): number {
  return Math.min(backupWindowMs, WINDOW_TOLERANCE_MS) + CLOCK_SKEW_TOLERANCE_MS;
}

/**
 * Whether the database's restore window starts at the oldest automated daily snapshot it keeps: an
 * RDS DB instance, and a Multi-AZ DB cluster (a DB cluster of the RDS for PostgreSQL engine,
 * `postgres`), which RDS backs up the same way ("Amazon RDS creates and saves automated backups of
 * your DB instance or Multi-AZ DB cluster during the backup window of your DB instance. RDS creates a
 * storage volume snapshot", RDS user guide, USER_WorkingWithAutomatedBackups). Aurora keeps its window
 * continuously, and Cloud SQL is judged apart.
 */
export function restoresFromDailySnapshots(fact: PitrFact): boolean {
  return (
    fact.kind === 'rds-instance' || (fact.kind === 'aurora-cluster' && !fact.engine.startsWith('aurora'))
  );
}

/** An RDS DB instance's backup window, as sent and measured (`PreferredBackupWindow`). */
export interface LongBackupWindow {
  readonly window: string;
  readonly lengthMs: number;
}

/**
 * The backup window of an RDS DB instance when it is longer than a PASS absorbs
 * ({@link backupWindowPassToleranceMs}), else undefined (a window not known is assumed to be an hour
 * long, pitr.window says so). With such a window a retention of R keeps the window between R - 1
 * days less up to its length and R days: a day above the target dips below it part of every day.
 */
export function longBackupWindowOf(fact: PitrFact): LongBackupWindow | undefined {
  if (!restoresFromDailySnapshots(fact)) return undefined;
  const window = fact.dailyBackupWindow;
  if (!window?.known || window.lengthMs <= backupWindowPassToleranceMs(window.lengthMs)) return undefined;
  return { window: window.window, lengthMs: window.lengthMs };
}

/**
 * The retention that keeps the restore window at `minPitrDays` all day, whether or not the platform
 * allows it: the target for Aurora and Cloud SQL (they keep their windows continuously); for an RDS DB
 * instance, whose window starts at the oldest daily snapshot it keeps (R keeps it between R - 1 days
 * less up to its backup window L and R days), target + 1 + ceil(L / 24 h) when L is longer than a PASS
 * absorbs, so target + 2 for any backup window up to a day, and target + 1 otherwise. pitr.window's
 * steady-state WARNING and every retention a remediation names come from this one figure.
 */
export function retentionToHold(fact: PitrFact, minPitrDays: number): number {
  if (!restoresFromDailySnapshots(fact)) return minPitrDays;
  const long = longBackupWindowOf(fact);
  return minPitrDays + 1 + (long ? Math.ceil(long.lengthMs / DAY_MS) : 0);
}

/** `3 hours`, `1 hour 30 minutes`, `45 minutes`. */
export function formatLength(ms: number): string {
  const minutes = Math.round(ms / MINUTE_MS);
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const parts = [
    ...(hours > 0 ? [`${hours} hour${hours === 1 ? '' : 's'}`] : []),
    ...(rest > 0 || hours === 0 ? [`${rest} minute${rest === 1 ? '' : 's'}`] : []),
  ];
  return parts.join(' ');
}

/** `its backup window of 3 hours (PreferredBackupWindow 01:00-04:00 UTC)`. */
export function backupWindowClause(long: LongBackupWindow): string {
  return `its backup window of ${formatLength(long.lengthMs)} (PreferredBackupWindow ${long.window} UTC)`;
}

/**
 * Where an RDS DB instance's window sits once filled with a retention of `retention` days:
 * `between 29 and 30 days`, or with a backup window longer than a PASS absorbs, `between 30 days less
 * up to 3 hours and 31 days`.
 */
export function dailySwingRange(fact: PitrFact, retention: number): string {
  const long = longBackupWindowOf(fact);
  return long
    ? `between ${retention - 1} days less up to ${formatLength(long.lengthMs)} and ${retention} days`
    : `between ${retention - 1} and ${retention} days`;
}

/** Why the retention named is above the target (an RDS DB instance), for a remediation sentence. */
function snapshotReason(fact: PitrFact, days: number): string {
  const long = longBackupWindowOf(fact);
  const starts = long ? ` and starts each one anywhere in ${backupWindowClause(long)}` : '';
  return `RDS restores from the oldest daily snapshot it keeps${starts}, so a retention of ${days - 1} days would keep the window ${dailySwingRange(fact, days - 1)}`;
}

/** `a day above`, `two days above`. */
function daysAbove(days: number): string {
  return days === 1 ? 'a day above' : days === 2 ? 'two days above' : `${days} days above`;
}

/** `aws rds modify-db-instance|modify-db-cluster --…-identifier X <options> --apply-immediately --region R`. */
function modifyRds(fact: PitrFact, options: string): string {
  const { id, region } = rdsWords(fact);
  return fact.kind === 'aurora-cluster'
    ? `aws rds modify-db-cluster --db-cluster-identifier ${id} ${options} --apply-immediately --region ${region}`
    : `aws rds modify-db-instance --db-instance-identifier ${id} ${options} --apply-immediately --region ${region}`;
}

/**
 * The database's identifier and Region as shell words (core/shell-word.ts): every command here
 * quotes them from the cloud's answer into text a DBA pastes.
 */
export function rdsWords(fact: PitrFact): { readonly id: string; readonly region: string } {
  return { id: shellWord(fact.resource.id), region: shellWord(fact.resource.region) };
}

/** `gcloud sql instances patch X --project=P` with the instance and project as shell words. */
export function cloudSqlInstanceWords(fact: PitrFact): string {
  return `${shellWord(fact.resource.id)} --project=${shellWord(fact.resource.account)}`;
}

/**
 * The flag that turns Cloud SQL automated backups on, with its value as a placeholder: the daily
 * backup start time is the operator's choice, which gcloud takes as HH:MM in UTC (`gcloud sql
 * instances patch --backup-start-time 16:00`, https://cloud.google.com/sql/docs/edit-instance;
 * backupConfiguration.startTime). Marked as every other placeholder is, so a command pasted as
 * printed is refused by gcloud instead of read as a time to keep.
 */
export const BACKUP_START_TIME_FLAG = `--backup-start-time=${placeholder('HH:MM')}`;

/** What a remediation says after a command carrying {@link BACKUP_START_TIME_FLAG}. */
export const BACKUP_START_TIME_HINT = `(replace ${placeholder('HH:MM')} with the daily backup start time in UTC, such as 02:00)`;

/** `gcloud sql instances patch X --project=P <flags>`. */
export function patchCloudSql(fact: PitrFact, flags: string): string {
  return `gcloud sql instances patch ${cloudSqlInstanceWords(fact)} ${flags}`;
}

/**
 * The step that turns automated backups on, for a remediation sentence. RDS and Aurora have one switch,
 * the retention ({@link retentionStep}); Cloud SQL has two, neither of them the log retention:
 * `--backup-start-time` turns automated backups on and `--enable-point-in-time-recovery` the logs
 * (gcloud reference, `sql instances patch`), so `--retained-transaction-log-days` alone would leave
 * an instance with backups off exactly as it was.
 */
export function enableBackupsStep(fact: PitrFact, minPitrDays: number): string {
  if (fact.kind === 'cloudsql-instance') {
    return `\`${patchCloudSql(fact, `${BACKUP_START_TIME_FLAG} --enable-point-in-time-recovery`)}\` ${BACKUP_START_TIME_HINT}`;
  }
  return retentionStep(fact, retentionToSet(fact, minPitrDays).days);
}

/** Sets the PITR retention: `BackupRetentionPeriod` (RDS, Aurora) or the transaction-log days (Cloud SQL). */
export function setRetentionCommand(fact: PitrFact, days: number): string {
  if (fact.kind === 'cloudsql-instance')
    return patchCloudSql(fact, `--retained-transaction-log-days=${days}`);
  return modifyRds(fact, `--backup-retention-period ${days}`);
}

/**
 * The step that sets the PITR retention to `days`, for a remediation sentence: the command in
 * backticks ({@link setRetentionCommand}), or, when AWS Backup manages the database's continuous
 * backup (`awsBackupRecoveryPointArn`), its backup plan's rule, since modify-db-* does not change a
 * retention AWS Backup sets.
 */
export function retentionStep(fact: PitrFact, days: number): string {
  const managedBy = fact.kind === 'cloudsql-instance' ? undefined : fact.awsBackupRecoveryPointArn;
  return managedBy
    ? `set the continuous-backup rule's retention (Lifecycle DeleteAfterDays) to ${days} days in the AWS Backup plan that covers it (${managedBy}; modify-db-* does not change a retention AWS Backup manages)`
    : `\`${setRetentionCommand(fact, days)}\``;
}

/**
 * The retention a remediation names so the restore window holds `minPitrDays` all day
 * ({@link retentionToHold}) when RDS allows it. Above the RDS maximum: the maximum when it is still
 * above the target (an RDS DB instance with a long backup window; `why` says the window still falls
 * short part of the day, pitr.window names shortening the backup window); the target itself otherwise
 * (Aurora and Cloud SQL keep their window continuously; at the RDS maximum pitr.window names manual
 * snapshots for the oldest day instead). `why` is the clause that says so, empty when the target is
 * named; `above` says how far above the target it is (`a day above`), for other sentences to reuse.
 */
export function retentionToSet(
  fact: PitrFact,
  minPitrDays: number,
): { readonly days: number; readonly why: string; readonly above?: string; readonly reason?: string } {
  const holding = retentionToHold(fact, minPitrDays);
  const max = fact.retentionRange.max;
  if (holding === minPitrDays || minPitrDays + 1 > max) return { days: minPitrDays, why: '' };
  const days = Math.min(holding, max);
  const above = daysAbove(days - minPitrDays);
  const reason = snapshotReason(fact, days);
  if (days === holding) return { days, why: `, ${above} the target: ${reason}`, above, reason };
  return {
    days,
    why: `, the RDS maximum and ${above} the target: ${reason}, and even ${days} days keep it short of ${minPitrDays} days part of every day unless the backup window is shortened to an hour or less (pitr.window)`,
    above,
    reason,
  };
}

/**
 * Sets an RDS DB instance's backup window (`--preferred-backup-window`, hh24:mi-hh24:mi in UTC, at
 * least 30 minutes: AWS CLI reference, modify-db-instance) to the hour from the start of its current
 * one: its daily snapshot keeps its time of day, and a window of an hour is absorbed by pitr.window's
 * tolerance.
 */
export function shortenBackupWindowCommand(fact: PitrFact, long: LongBackupWindow): string {
  const [hours, minutes] = long.window.split('-')[0]?.split(':').map(Number) ?? [0, 0];
  const start = (hours ?? 0) * 60 + (minutes ?? 0);
  const end = (start + WINDOW_TOLERANCE_MS / MINUTE_MS) % (24 * 60);
  const hhmm = (value: number) =>
    `${String(Math.floor(value / 60)).padStart(2, '0')}:${String(value % 60).padStart(2, '0')}`;
  return modifyRds(fact, `--preferred-backup-window ${hhmm(start)}-${hhmm(end)}`);
}

/**
 * Starts replicating an RDS DB instance's automated backups into `region`, keeping `days` there:
 * run in the destination Region (`--region`), naming the source by ARN (AWS CLI reference,
 * start-db-instance-automated-backups-replication; `--backup-retention-period` is "the retention
 * period for the replicated automated backups"). `region` is printed as given: a Region an ARN named
 * (functions/aws/rds.ts regionOfArn keeps only names spelled as Regions) or a {@link placeholder}.
 */
export function startBackupReplicationCommand(fact: PitrFact, region: string, days: number): string {
  return `aws rds start-db-instance-automated-backups-replication --region ${region} --source-db-instance-arn ${sourceArn(fact)} --backup-retention-period ${days}`;
}

/** Stops the replication of an RDS DB instance's automated backups into `region`, run there too. */
export function stopBackupReplicationCommand(fact: PitrFact, region: string): string {
  return `aws rds stop-db-instance-automated-backups-replication --region ${region} --source-db-instance-arn ${sourceArn(fact)}`;
}

/**
 * The source instance's ARN as a shell word, or a quoted placeholder naming it when the fact has
 * none (meant to be replaced before the command runs; pasted as it is, it fails as no ARN).
 */
function sourceArn(fact: PitrFact): string {
  return fact.resource.arn !== undefined
    ? shellWord(fact.resource.arn)
    : placeholder(`arn of ${fact.resource.id}`);
}

/** Turns deletion protection on. */
export function deletionProtectionCommand(fact: PitrFact): string {
  if (fact.kind === 'cloudsql-instance') return patchCloudSql(fact, '--deletion-protection');
  return modifyRds(fact, '--deletion-protection');
}

/** Starts a stopped RDS instance or Aurora cluster: `aws rds start-db-instance|start-db-cluster`. */
export function startRdsCommand(fact: PitrFact): string {
  const { id, region } = rdsWords(fact);
  return fact.kind === 'aurora-cluster'
    ? `aws rds start-db-cluster --db-cluster-identifier ${id} --region ${region}`
    : `aws rds start-db-instance --db-instance-identifier ${id} --region ${region}`;
}
