/**
 * What the database's lifecycle status says about restoring it from its backups
 * (functions/core/database-status.ts has the words and where their meaning is documented).
 * `pitr.window` reads it: that check says how far back the database can be restored, which a status
 * can contradict while every retention setting and restorable time still looks right; `pitr.lag`
 * reads it before it passes a recent latest restorable time, which no restore reaches while the
 * status stands in the way (its FAILED for a stale time already names the status).
 *
 * - FAILED, proven by the status itself: the database is being deleted (the deletion cannot be
 *   cancelled; its automated backups and logs go with it unless retained, which a Multi-AZ DB
 *   cluster or an Aurora Serverless v1 cluster cannot do, and retained ones get no new logs), its KMS key cannot be accessed (its backups are encrypted with that key, and a restore
 *   needs the key active), or RDS says it cannot do a point-in-time restore (`incompatible-restore`);
 *   a Cloud SQL instance Google suspended for the customer-managed key the answer names
 *   ({@link cloudSqlKeyIssue}).
 * - NOT_AVAILABLE, not shown either way: a Cloud SQL instance Google suspended for any other reason,
 *   or for a key issue on a key the answer did not name, or marked FAILED, an
 *   RDS database whose restore, clone, migration or upgrade failed, and a status this tool does not
 *   know or the cloud did not send. It replaces only a PASSED or WARNING: a window proven short
 *   stays FAILED.
 * - Any other known status (backing-up, modifying, maintenance, rebooting, stopped, storage-full, …)
 *   leaves the verdict alone: the backups are untouched, and `pitr.lag` reports archiving that stopped.
 *
 * `pitr.enabled` and `pitr.retention` judge the configuration, which the status does not change; their
 * PASS says so when the status proves no restore runs now ({@link restoreStoppedNote}). On Cloud SQL
 * that is PENDING_DELETE (a deletion takes the instance's backups with it unless retained; Cloud SQL
 * docs, "Delete instances") and a suspension for the key the answer names. Of a STOPPED instance (activationPolicy NEVER) Google documents
 * only that it takes no new backups (Cloud SQL docs, "About Cloud SQL backups"), not that its existing
 * backups or point-in-time recovery cannot be restored, so it gets no such note.
 */
import type { CheckOutcome } from '../../core/check.ts';
import {
  CLOUD_SQL_FAILED_STATUS,
  CREATION_FAILED_STATUSES,
  DELETING_STATUSES,
  INCOMPATIBLE_RESTORE_STATUS,
  KEY_INACCESSIBLE_STATUSES,
  KEY_RECOVERABLE_STATUS,
  KMS_KEY_ISSUE,
  KMS_KEY_ISSUE_MEANING,
  KNOWN_STATUSES,
  SUSPENDED_STATUS,
  suspensionReasonWords,
} from '../../core/database-status.ts';
import type { PitrFact } from '../../core/facts.ts';
import type { FindingValues } from '../../core/finding.ts';
import { placeholder, shellWord } from '../../core/shell-word.ts';
import { rdsWords, startRdsCommand } from './commands.ts';
import { DOCS, resourceLabel } from './wording.ts';

/** What to do about a database being deleted (shared with pitr.deletion-protection). */
export function deletingRemediation(fact: PitrFact): string {
  if (fact.kind === 'cloudsql-instance') {
    return `The deletion cannot be stopped. If certctl moved to another instance, audit that one instead. Otherwise restore the newest backup into a new instance while one exists: backups outlive the instance only if it was set to retain them (retainBackupsOnDelete) or a final backup was taken. See ${DOCS.cloudSqlPitr}.`;
  }
  const first =
    'The deletion cannot be cancelled. If certctl moved to another database, audit that one instead. Otherwise restore the newest restorable time into a new database while it can';
  const retention = automatedBackupRetention(fact);
  if (retention?.impossible) {
    return `${first}: the automated backups of ${retention.impossible} cannot be retained, so they go with it; only manual DB cluster snapshots outlive it. See ${DOCS.rdsPointInTimeRestore}.`;
  }
  // A deleted Aurora cluster's retained backups are DB cluster automated backups
  // (DescribeDBClusterAutomatedBackups), an instance's DB instance automated backups.
  const listing =
    fact.kind === 'aurora-cluster'
      ? 'aws rds describe-db-cluster-automated-backups'
      : 'aws rds describe-db-instance-automated-backups';
  return `${first}: the automated backups outlive the database only if it was deleted with DeleteAutomatedBackups=false (\`${listing} --region ${rdsWords(fact).region}\` then lists them as retained), and then only until their retention ends${retention?.unknown ? `; ${retention.unknown}` : ''}. See ${DOCS.rdsPointInTimeRestore}.`;
}

/** A Multi-AZ DB cluster: a DB cluster of the RDS for PostgreSQL engine (`postgres`), not Aurora. */
function isMultiAzCluster(fact: PitrFact): boolean {
  return fact.kind === 'aurora-cluster' && !fact.engine.startsWith('aurora');
}

/**
 * Whether an RDS database's automated backups can be retained when it is deleted: `impossible` names
 * the kind of database that cannot retain them, `unknown` says what it depends on when the answer did
 * not tell; undefined when they can (an RDS DB instance, a provisioned or Serverless v2 Aurora
 * cluster). "You can only retain automated backups of DB instances, not Multi-AZ DB clusters" (RDS
 * user guide, USER_WorkingWithAutomatedBackups.Retaining); "You can't retain automated backups for
 * Aurora Serverless v1 DB clusters" (Aurora user guide, Aurora.Managing.Backups.Retaining), whose
 * `EngineMode` is `serverless` (Serverless v2 is `provisioned`).
 */
function automatedBackupRetention(
  fact: PitrFact,
): { readonly impossible?: string; readonly unknown?: string } | undefined {
  if (fact.kind !== 'aurora-cluster') return undefined;
  if (isMultiAzCluster(fact)) return { impossible: 'a Multi-AZ DB cluster' };
  if (fact.engineMode === 'serverless')
    return { impossible: 'an Aurora Serverless v1 DB cluster (EngineMode serverless)' };
  if (fact.engineMode === undefined) {
    return {
      unknown:
        'an Aurora Serverless v1 DB cluster (EngineMode serverless) cannot retain them at all, and DescribeDBClusters sent no EngineMode, so whether this one can is not known',
    };
  }
  return undefined;
}

function keyRemediation(fact: PitrFact): string {
  const fixKey =
    'make its KMS key usable again: enable the key, cancel its scheduled deletion, or reactivate the AWS account that holds it';
  if (fact.status === KEY_RECOVERABLE_STATUS) {
    return `Within seven days of entering this state, ${fixKey}, then start the database: \`${startRdsCommand(fact)}\`. After seven days it turns to inaccessible-encryption-credentials, which only a restore from a backup or to a point in time recovers, with the same key active. See ${DOCS.rdsInaccessibleKey}.`;
  }
  return `The database itself cannot be started again: ${fixKey}, then restore it from a backup or to a point in time into a new database (both need that key active). If the key was deleted, the database and its backups cannot be recovered. See ${DOCS.rdsInaccessibleKey}.`;
}

/**
 * What becomes of the automated backups of a database being deleted ({@link automatedBackupRetention});
 * shared with pitr.lag, whose FAILED for a stale time says so of a database being deleted.
 */
export function deletingBackups(fact: PitrFact): string {
  const retention = automatedBackupRetention(fact);
  if (retention?.impossible)
    return `Its automated backups and transaction logs are deleted with it: ${retention.impossible} cannot retain them.`;
  return `Its automated backups and transaction logs are deleted with the database unless they were set to be retained, and retained backups receive no new logs${retention?.unknown ? `; ${retention.unknown}` : ''}.`;
}

/**
 * The customer-managed key of a Cloud SQL instance Google suspended for it: state SUSPENDED with
 * suspensionReason KMS_KEY_ISSUE ("The KMS key used by the instance is either revoked or denied
 * access to", Cloud SQL Admin v1 reference, SqlSuspensionReason) on an instance whose answer names
 * its key (`diskEncryptionConfiguration.kmsKeyName`). Its backups are encrypted with that key: "When
 * you create a backup of a Cloud SQL for PostgreSQL instance, the backup is encrypted with the primary
 * instance's customer-managed key" (Cloud SQL docs, "About customer-managed encryption keys (CMEK)",
 * cloud.google.com/sql/docs/postgres/cmek), and "During the time that a key is disabled, data that was
 * encrypted with the key can't be accessed" (Cloud KMS docs, "Enable and disable key versions",
 * cloud.google.com/kms/docs/enable-disable): no restore from them runs until the key is usable again.
 * Undefined when the answer did not send the reason or the key: a value not sent is not judged.
 */
function keyIssueSuspension(
  fact: PitrFact,
): { readonly kmsKeyName: string; readonly kmsKeyVersionName: string | undefined } | undefined {
  const cloudSql = fact.cloudSql;
  if (fact.kind !== 'cloudsql-instance' || fact.status !== SUSPENDED_STATUS || !cloudSql) return undefined;
  if (!cloudSql.suspensionReasons?.includes(KMS_KEY_ISSUE) || cloudSql.kmsKeyName === undefined)
    return undefined;
  return { kmsKeyName: cloudSql.kmsKeyName, kmsKeyVersionName: cloudSql.kmsKeyVersionName };
}

/** The key, and its version when sent, as findings quote them. */
function keyWords(key: {
  readonly kmsKeyName: string;
  readonly kmsKeyVersionName: string | undefined;
}): string {
  return `\`${key.kmsKeyName}\`${key.kmsKeyVersionName ? ` (key version in use \`${key.kmsKeyVersionName}\`)` : ''}`;
}

/**
 * The fixes for each cause SqlSuspensionReason KMS_KEY_ISSUE names ("revoked or denied access to"): a
 * disabled key version ("To access the data, you can re-enable the key version", Cloud KMS docs,
 * "Enable and disable key versions"), one scheduled for destruction ("you can restore a key version
 * to cancel its destruction"), and lost access of the Cloud SQL service agent (Cloud SQL docs, "Use
 * customer-managed encryption keys": the agent needs roles/cloudkms.cryptoKeyEncrypterDecrypter).
 * The agent is service-<project number>@gcp-sa-cloud-sql.iam.gserviceaccount.com, and a finding
 * knows the project's id only: the command derives the number with `gcloud projects describe
 * PROJECT_ID --format='value(projectNumber)'` (gcloud reference, `projects describe`, which takes
 * an id or a number; projects.get sends projectNumber), so the reader fills in nothing. The member
 * is double-quoted so the substitution runs and its answer stays one word.
 * "After a key is destroyed, data that was encrypted with the key version can't be decrypted" unless
 * imported key material is imported again (Cloud KMS docs, "Destroy and restore key versions").
 */
function keyIssueRemediation(
  fact: PitrFact,
  key: { readonly kmsKeyName: string; readonly kmsKeyVersionName: string | undefined },
): string {
  const version = key.kmsKeyVersionName ? shellWord(key.kmsKeyVersionName) : placeholder('key version');
  return `Make the key usable again: enable its key version (\`gcloud kms keys versions enable ${version}\`), restore a version scheduled for destruction (\`gcloud kms keys versions restore ${version}\`), or give the Cloud SQL service agent of project ${shellWord(fact.resource.account)} access to it again (\`gcloud kms keys add-iam-policy-binding ${shellWord(key.kmsKeyName)} --member="serviceAccount:service-$(gcloud projects describe ${shellWord(fact.resource.account)} --format='value(projectNumber)')@gcp-sa-cloud-sql.iam.gserviceaccount.com" --role=roles/cloudkms.cryptoKeyEncrypterDecrypter\`); then check that the instance is RUNNABLE again. The backups need that key as much as the instance does; if the key version was destroyed, neither can be read again (unless it was imported key material that can be imported again). See ${DOCS.cloudSqlCmek}.`;
}

/**
 * What a Cloud SQL suspension for its customer-managed key proves, as a sentence (pitr.lag's FAILED
 * for a stale time, whose description keeps the lag); undefined for any other status or reason.
 */
export function keyIssueSentence(fact: PitrFact): string | undefined {
  const key = keyIssueSuspension(fact);
  if (!key) return undefined;
  return `Google suspended the instance because of its customer-managed key ${keyWords(key)} (suspensionReason ${KMS_KEY_ISSUE}: ${KMS_KEY_ISSUE_MEANING}), which also encrypts its backups: no restore from them runs until the key is usable again.`;
}

/**
 * The FAILED a Cloud SQL suspension for its customer-managed key proves ({@link keyIssueSuspension}),
 * or undefined. Shared with pitr.cross-region: the key encrypts the backups in every location.
 */
export function cloudSqlKeyIssue(
  fact: PitrFact,
  observed: FindingValues,
  required: FindingValues,
): CheckOutcome | undefined {
  const key = keyIssueSuspension(fact);
  if (!key) return undefined;
  return {
    status: 'FAILED',
    description: `${resourceLabel(fact)} is suspended because of its customer-managed key (state \`${fact.status}\`, suspensionReason ${KMS_KEY_ISSUE}: ${KMS_KEY_ISSUE_MEANING}): ${keyWords(key)}. Its backups, wherever they are stored, are encrypted with that key, so no restore from them runs until the key is usable again.`,
    observed: {
      ...observed,
      status: fact.status,
      suspensionReason: KMS_KEY_ISSUE,
      kmsKeyName: key.kmsKeyName,
      ...(key.kmsKeyVersionName ? { kmsKeyVersionName: key.kmsKeyVersionName } : {}),
    },
    required,
    remediationText: keyIssueRemediation(fact, key),
  };
}

/** The FAILED a status proves, or undefined. */
function provenByStatus(
  fact: PitrFact,
  observed: FindingValues,
  required: FindingValues,
): CheckOutcome | undefined {
  const keyIssue = cloudSqlKeyIssue(fact, observed, required);
  if (keyIssue) return keyIssue;
  const status = `\`${fact.status}\``;
  if (DELETING_STATUSES.has(fact.status)) {
    return {
      status: 'FAILED',
      description: `${resourceLabel(fact)} is being deleted (status ${status}): its restore window ends with it. ${deletingBackups(fact)}`,
      observed,
      required,
      remediationText: deletingRemediation(fact),
    };
  }
  if (KEY_INACCESSIBLE_STATUSES.has(fact.status)) {
    return {
      status: 'FAILED',
      description: `${resourceLabel(fact)} cannot reach the KMS key that encrypts it (status ${status}): its backups are encrypted with that key, and no restore from them runs until the key is active again.`,
      observed,
      required,
      remediationText: keyRemediation(fact),
    };
  }
  if (fact.status === INCOMPATIBLE_RESTORE_STATUS) {
    return {
      status: 'FAILED',
      description: `${resourceLabel(fact)} has status ${status}: RDS reports it cannot do a point-in-time restore of this database.`,
      observed,
      required,
      remediationText: incompatibleRestoreRemediation(),
    };
  }
  return undefined;
}

function incompatibleRestoreRemediation(): string {
  return `Check the Recent Events of this database in the RDS console for the cause, and keep a restorable copy elsewhere (a manual snapshot of a working database, pg_dump files) until it is fixed. See ${DOCS.rdsPointInTimeRestore}.`;
}

/**
 * What to do about a status that proves no restore runs (being deleted, KMS key out of reach, a
 * Cloud SQL suspension for its named customer-managed key,
 * `incompatible-restore`), the same words its FAILED carries here; undefined for any other status.
 * Shared with pitr.lag, whose FAILED for a stale time keeps the lag in its description.
 */
export function provenStatusRemediation(fact: PitrFact): string | undefined {
  const key = keyIssueSuspension(fact);
  if (key) return keyIssueRemediation(fact, key);
  if (DELETING_STATUSES.has(fact.status)) return deletingRemediation(fact);
  if (KEY_INACCESSIBLE_STATUSES.has(fact.status)) return keyRemediation(fact);
  if (fact.status === INCOMPATIBLE_RESTORE_STATUS) return incompatibleRestoreRemediation();
  return undefined;
}

/**
 * The sentence a PASS of a configuration check (pitr.enabled, pitr.retention) ends with when the
 * status proves no restore runs now (being deleted, KMS key out of reach, `incompatible-restore`, a
 * Cloud SQL suspension for its named customer-managed key):
 * the setting is judged as set, but the PASS must not read as a point-in-time recovery that can be
 * done; pitr.window and pitr.lag say it. Empty otherwise.
 */
export function restoreStoppedNote(fact: PitrFact): string {
  const why = keyIssueSuspension(fact)
    ? `Google suspended it because its customer-managed key is revoked or denied access to (suspensionReason ${KMS_KEY_ISSUE}), and its backups are encrypted with that key`
    : DELETING_STATUSES.has(fact.status)
      ? 'it is being deleted'
      : KEY_INACCESSIBLE_STATUSES.has(fact.status)
        ? 'it cannot reach the KMS key its backups are encrypted with'
        : fact.status === INCOMPATIBLE_RESTORE_STATUS
          ? 'RDS reports it cannot do a point-in-time restore of it'
          : undefined;
  return why
    ? ` This judges the setting only: the database has status \`${fact.status}\` (${why}), so no restore from its backups runs now (pitr.window and pitr.lag).`
    : '';
}

/** Why the status does not show a restore can run, or undefined when it does not stand in the way. */
export function unprovenByStatus(
  fact: PitrFact,
): { readonly why: string; readonly action: string } | undefined {
  if (fact.status === SUSPENDED_STATUS) {
    return {
      why: `Google suspended the instance (${suspensionWords(fact)}), and whether its backups restore while it is suspended is not documented`,
      action:
        "Resolve the cause (the instance's suspensionReason in the console or `gcloud sql instances describe`); this check judges the window again once the instance is RUNNABLE.",
    };
  }
  if (fact.status === CLOUD_SQL_FAILED_STATUS) {
    return {
      why: 'its creation failed or a fatal error occurred during maintenance, and whether its backups restore is not documented',
      action:
        'Look at the instance and its operations in the console (`gcloud sql operations list --instance=INSTANCE`); try a restore of its newest backup into a new instance to prove the backups work.',
    };
  }
  if (CREATION_FAILED_STATUSES.has(fact.status)) {
    return {
      why: 'the restore, clone, migration or upgrade that made this database failed, and what its own backups hold is not documented',
      action:
        'Check the Recent Events of this database in the RDS console; restore from the source it was made from, and audit the database certctl really uses.',
    };
  }
  if (!KNOWN_STATUSES.has(fact.status)) {
    return {
      why:
        fact.status === 'unknown' || fact.status === 'SQL_INSTANCE_STATE_UNSPECIFIED'
          ? 'the cloud did not report the status, so it is unknown whether a restore can run'
          : 'this tool does not know that status, so it is unknown whether a restore can run',
      action:
        'Look up the status of this database in the console; if it is a healthy state, report it so this tool learns it, and run the audit again.',
    };
  }
  return undefined;
}

/**
 * Why a suspended Cloud SQL instance was suspended, as far as the answer says: the reasons it sent
 * (a KMS_KEY_ISSUE on a key it did not name proves nothing of the backups, {@link keyIssueSuspension}),
 * or the examples Google gives when it sent none.
 */
export function suspensionWords(fact: PitrFact): string {
  const reasons = fact.cloudSql?.suspensionReasons ?? [];
  const sent = suspensionReasonWords(reasons);
  return reasons.includes(KMS_KEY_ISSUE) && fact.cloudSql?.kmsKeyName === undefined
    ? `${sent}, but the answer named no customer-managed key (diskEncryptionConfiguration.kmsKeyName), so which key encrypts its backups is not known`
    : sent;
}

/**
 * The verdict the database's status forces on `outcome` (what the check found from the window):
 * a FAILED the status proves replaces it; a status that leaves a restore unproven turns a PASSED or
 * WARNING into NOT_AVAILABLE; otherwise `outcome` stands.
 */
export function judgedWithStatus(
  fact: PitrFact,
  outcome: CheckOutcome,
  observed: FindingValues,
  required: FindingValues,
): CheckOutcome {
  const withStatus = { ...observed, status: fact.status };
  const proven = provenByStatus(fact, withStatus, required);
  if (proven) return proven;
  if (outcome.status !== 'PASSED' && outcome.status !== 'WARNING') return outcome;
  const unproven = unprovenByStatus(fact);
  if (!unproven) return outcome;
  return {
    status: 'NOT_AVAILABLE',
    description: `${resourceLabel(fact)} has status \`${fact.status}\`: ${unproven.why}. From the window alone: ${outcome.description}`,
    observed: { ...outcome.observed, status: fact.status },
    required: outcome.required,
    remediationText: unproven.action,
  };
}
