/**
 * The exact commands a remediation names, built from the fact so a DBA can paste them. AWS
 * commands carry `--region`, gcloud commands `--project`, because the operator's default rarely
 * matches the audited database.
 */
import type { PitrFact } from '../../core/facts.ts';

/** `aws rds modify-db-instance|modify-db-cluster --…-identifier X <options> --apply-immediately --region R`. */
function modifyRds(fact: PitrFact, options: string): string {
  const { id, region } = fact.resource;
  return fact.kind === 'aurora-cluster'
    ? `aws rds modify-db-cluster --db-cluster-identifier ${id} ${options} --apply-immediately --region ${region}`
    : `aws rds modify-db-instance --db-instance-identifier ${id} ${options} --apply-immediately --region ${region}`;
}

/** `gcloud sql instances patch X --project=P <flags>`. */
export function patchCloudSql(fact: PitrFact, flags: string): string {
  return `gcloud sql instances patch ${fact.resource.id} --project=${fact.resource.account} ${flags}`;
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
 * The retention a remediation names so the restore window holds `minPitrDays` all day: a day above
 * the target for an RDS DB instance, whose window starts at the oldest automated daily snapshot it
 * keeps (a retention of R keeps it between R - 1 and R days: pitr.window's steady state), when RDS
 * allows it; the target itself otherwise (Aurora and Cloud SQL keep their window continuously; at
 * the RDS maximum pitr.window names manual snapshots for the oldest day instead). `why` is the
 * clause that says so, empty when the target is named.
 */
export function retentionToSet(
  fact: PitrFact,
  minPitrDays: number,
): { readonly days: number; readonly why: string } {
  if (fact.kind !== 'rds-instance' || minPitrDays + 1 > fact.retentionRange.max)
    return { days: minPitrDays, why: '' };
  return {
    days: minPitrDays + 1,
    why: `, a day above the target: RDS restores from the oldest daily snapshot it keeps, so a retention of ${minPitrDays} days would keep the window between ${minPitrDays - 1} and ${minPitrDays} days`,
  };
}

/**
 * Starts replicating an RDS DB instance's automated backups into `region`, keeping `days` there:
 * run in the destination Region (`--region`), naming the source by ARN (AWS CLI reference,
 * start-db-instance-automated-backups-replication; `--backup-retention-period` is "the retention
 * period for the replicated automated backups").
 */
export function startBackupReplicationCommand(fact: PitrFact, region: string, days: number): string {
  return `aws rds start-db-instance-automated-backups-replication --region ${region} --source-db-instance-arn ${sourceArn(fact)} --backup-retention-period ${days}`;
}

/** Stops the replication of an RDS DB instance's automated backups into `region`, run there too. */
export function stopBackupReplicationCommand(fact: PitrFact, region: string): string {
  return `aws rds stop-db-instance-automated-backups-replication --region ${region} --source-db-instance-arn ${sourceArn(fact)}`;
}

/** The source instance's ARN, or a placeholder naming it when the fact has none. */
function sourceArn(fact: PitrFact): string {
  return fact.resource.arn ?? `<arn of ${fact.resource.id}>`;
}

/** Turns deletion protection on. */
export function deletionProtectionCommand(fact: PitrFact): string {
  if (fact.kind === 'cloudsql-instance') return patchCloudSql(fact, '--deletion-protection');
  return modifyRds(fact, '--deletion-protection');
}

/** Starts a stopped RDS instance or Aurora cluster: `aws rds start-db-instance|start-db-cluster`. */
export function startRdsCommand(fact: PitrFact): string {
  const { id, region } = fact.resource;
  return fact.kind === 'aurora-cluster'
    ? `aws rds start-db-cluster --db-cluster-identifier ${id} --region ${region}`
    : `aws rds start-db-instance --db-instance-identifier ${id} --region ${region}`;
}
