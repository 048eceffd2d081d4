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
