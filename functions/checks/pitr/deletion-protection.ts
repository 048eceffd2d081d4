/**
 * `pitr.deletion-protection`: the database cannot be deleted by accident. Deleting an RDS instance
 * or a Cloud SQL instance can take its automated backups (and with them the whole PITR window)
 * along. Cloud SQL deletion protection does not protect the backups themselves
 * (cloud.google.com/sql/docs/postgres/deletion-protection), so Cloud SQL additionally needs its
 * backups retained on delete (`retainBackupsOnDelete`) or a final backup configured
 * (`finalBackupConfig.enabled`); either one keeps a restore point after a deletion. Retained backups
 * count only with automated backups on: with them off there is no automated backup to retain. A
 * final backup alone is purged `finalBackupConfig.retentionDays` after the deletion, so it counts
 * only when kept at least the policy's minPitrDays, and only with automated backups on: Google's
 * documentation does not say whether a final backup is taken from an instance with them off, so
 * such a guard is NOT_AVAILABLE, never a pass. A database being deleted while its answer says the
 * protection is on, or does not say, is FAILED before any of those NOT_AVAILABLE results: the
 * deletion proves the protection did not hold, whatever a field not read would have said.
 */
import type { Check, CheckOutcome } from '../../core/check.ts';
import { DELETING_STATUSES } from '../../core/database-status.ts';
import type { PitrFact } from '../../core/facts.ts';
import type { FindingValues } from '../../core/finding.ts';
import { placeholder } from '../../core/shell-word.ts';
import { deletionProtectionCommand, enableBackupsStep, patchCloudSql } from './commands.ts';
import { deletingRemediation } from './status.ts';
import {
  backupPlanTier,
  capitalize,
  DOCS,
  judgedThroughBackupPlan,
  notAvailable,
  PITR_RESOURCE_TYPES,
  resourceLabel,
  valueOrNull,
} from './wording.ts';

/** `pitr.deletion-protection`: deletion protection on (Cloud SQL: and backups survive a delete). */
export const pitrDeletionProtectionCheck: Check<PitrFact> = {
  metadata: {
    id: 'pitr.deletion-protection',
    group: 'pitr',
    title: 'Deletion protection is on and backups survive a deletion',
    failedTitle: 'Deletion protection is off or backups would not survive a deletion',
    severity: 'MEDIUM',
    rationale:
      "A mistaken delete of certctl's database is the one failure PITR cannot undo when the automated backups go with the instance. Deletion protection forces a deliberate second step; on Cloud SQL, retained or final backups keep a restore point if the instance is deleted anyway.",
    remediation: {
      text: `Turn deletion protection on (\`aws rds modify-db-instance --db-instance-identifier ${placeholder('db-instance-id')} --deletion-protection --apply-immediately\`, \`modify-db-cluster --db-cluster-identifier ${placeholder('db-cluster-id')}\` for clusters, \`gcloud sql instances patch ${placeholder('instance')} --project=${placeholder('project')} --deletion-protection\`); on Cloud SQL also \`--retain-backups-on-delete\` or \`--final-backup\`.`,
      url: DOCS.rdsDeletionProtection,
      urls: { gcp: DOCS.cloudSqlDeletionProtection },
    },
    resourceTypes: PITR_RESOURCE_TYPES,
  },
  evaluate(fact, { policy }) {
    return fact.kind === 'cloudsql-instance'
      ? evaluateCloudSql(fact, policy.pitr.minPitrDays)
      : evaluateRds(fact);
  },
};

function evaluateRds(fact: PitrFact): CheckOutcome {
  const observed = { deletionProtection: valueOrNull(fact.deletionProtection) };
  const required = { deletionProtection: true };
  if (fact.deletionProtection === undefined)
    return (
      deletedAnyway(fact, undefined, observed, required) ??
      notAvailable(fact, 'DeletionProtection', '', observed, required)
    );
  if (fact.deletionProtection) return protectedOutcome(fact, undefined, observed, required);
  return {
    status: 'FAILED',
    description: `${resourceLabel(fact)} has deletion protection off: one delete call removes certctl's database${fact.kind === 'rds-instance' ? ' and, unless the caller asks to retain them, its automated backups' : ''}.`,
    observed,
    required,
    remediationText: `Run \`${deletionProtectionCommand(fact)}\`; the change takes effect without downtime.`,
  };
}

function evaluateCloudSql(fact: PitrFact, minPitrDays: number): CheckOutcome {
  const cloudSql = fact.cloudSql;
  const retain = cloudSql?.retainBackupsOnDelete;
  const finalBackup = cloudSql?.finalBackupEnabled;
  const finalDays = cloudSql?.finalBackupRetentionDays;
  const observed = {
    deletionProtection: valueOrNull(fact.deletionProtection),
    retainBackupsOnDelete: valueOrNull(retain),
    finalBackupEnabled: valueOrNull(finalBackup),
    finalBackupRetentionDays: valueOrNull(cloudSql?.finalBackupRetentionDays),
  };
  const required = { deletionProtection: true, retainBackupsOnDeleteOrFinalBackup: true };

  const missing: string[] = [];
  const flags: string[] = [];
  const unknown: string[] = [];
  let shortFinal = false;
  let finalWithoutBackups = false;
  // A protection the answer left out is off unless set (the adapter's reading): quoted as not set.
  const off = (field: string): string =>
    cloudSql?.protectionsNotSet?.includes(field) ? `${field} not set, which means off` : `${field}=false`;
  if (fact.deletionProtection === false) {
    missing.push(`deletion protection is off (${off('settings.deletionProtectionEnabled')})`);
    flags.push('--deletion-protection');
  } else if (fact.deletionProtection === undefined) {
    unknown.push('settings.deletionProtectionEnabled');
  }
  // On the enhanced tier the backups are in a Backup and DR vault; retainBackupsOnDelete is the
  // standard tier's setting (Cloud SQL docs, "Manage standard backups"), while a final backup is
  // documented for instances managed by Backup and DR (gcloud reference, `sql instances delete`:
  // "For instances managed by BackupDR, the valid range is between 1 day and 99 years"). Without a
  // final backup, whether the backups outlive a deletion is the vault's to say: not judged here.
  const vaultDecides = backupPlanTier(fact) !== undefined && finalBackup !== true;
  // retainBackupsOnDelete keeps the backups the instance has: with automated backups off there is no
  // automated backup for it to keep (on-demand ones, if any, are not read here), and with that
  // switch not sent it is unknown whether there is. Only with backups on is it a guard that holds.
  const retainWithoutBackups = retain === true && fact.automatedBackupsEnabled === false;
  const retained =
    retain === true
      ? fact.automatedBackupsEnabled === undefined
        ? undefined
        : !retainWithoutBackups
      : retain;
  const noBackupsToRetain =
    'automated backups are off (settings.backupConfiguration.enabled=false), so there is no automated backup to retain';
  const notRetained = retainWithoutBackups
    ? 'retaining backups on delete keeps no automated backup, since automated backups are off (settings.backupConfiguration.enabled=false)'
    : `backups are not retained on delete (${off('settings.retainBackupsOnDelete')})`;
  // Either setting keeps a restore point after a deletion, so one that holds is enough.
  if (!vaultDecides && retained !== true && finalBackup !== true) {
    if (retained === false && finalBackup === false) {
      missing.push(
        `backups are not kept after a deletion (${retainWithoutBackups ? `settings.retainBackupsOnDelete=true, but ${noBackupsToRetain};` : `${off('settings.retainBackupsOnDelete')},`} ${off('settings.finalBackupConfig.enabled')})`,
      );
      flags.push(
        retainWithoutBackups
          ? `--final-backup --final-backup-retention-days=${minPitrDays}`
          : '--retain-backups-on-delete',
      );
    } else {
      if (retain === undefined) unknown.push('settings.retainBackupsOnDelete');
      else if (retained === undefined) unknown.push('settings.backupConfiguration.enabled');
      if (finalBackup === undefined) unknown.push('settings.finalBackupConfig.enabled');
    }
  } else if (!vaultDecides && retained !== true) {
    // The final backup is the only guard, and it is purged retentionDays after the deletion: a
    // shorter stay than the policy's days leaves nothing to restore from soon after a deletion.
    // The check has no weaker tier: like any other guard that does not hold, it FAILS.
    // Retained backups unread may be the guard that holds: then the final backup's days prove nothing.
    if (finalDays === undefined) {
      // Days outside the documented range are read as not sent: named as sent, never judged.
      const impossible = cloudSql?.finalBackupRetentionImpossible;
      unknown.push(`settings.finalBackupConfig.retentionDays${impossible ? ` (${impossible})` : ''}`);
    } else if (finalDays < minPitrDays && retained === undefined) {
      unknown.push(
        retain === undefined ? 'settings.retainBackupsOnDelete' : 'settings.backupConfiguration.enabled',
      );
    } else if (finalDays < minPitrDays) {
      shortFinal = true;
      missing.push(
        `the final backup is kept only ${finalDays} ${finalDays === 1 ? 'day' : 'days'} after a deletion (settings.finalBackupConfig.retentionDays=${finalDays}), fewer than the ${minPitrDays} days the policy requires, and ${notRetained}`,
      );
      flags.push(`--final-backup-retention-days=${minPitrDays}`);
    } else if (fact.automatedBackupsEnabled === undefined) {
      unknown.push('settings.backupConfiguration.enabled');
    } else if (!fact.automatedBackupsEnabled) {
      // Google's Cloud SQL documentation (final backups; `gcloud sql instances delete
      // --enable-final-backup`; instances.delete `enableFinalBackup`) says a final backup is taken
      // at deletion, but not whether one is taken from an instance with automated backups off.
      // Unproven, the final backup is not a guard that holds: never a PASS on it.
      finalWithoutBackups = true;
    }
  }

  if (missing.length > 0) {
    const vault = vaultDecides
      ? ' Whether its backups outlive a deletion is decided by its Backup and DR backup vault, which this audit does not read.'
      : '';
    const unread = `${unknown.length > 0 ? ` Could not read ${unknown.join(' and ')}.` : ''}${vault}`;
    return {
      status: 'FAILED',
      description: `${resourceLabel(fact)}: ${missing.join('; ')}.${unread}`,
      observed,
      required,
      remediationText: `Run \`${patchCloudSql(fact, flags.join(' '))}\`. ${
        retainWithoutBackups
          ? 'Turn automated backups on (pitr.enabled) as well: retaining backups on delete then keeps them for their own retention.'
          : shortFinal
            ? 'Instead, you may retain the automated backups on delete (`--retain-backups-on-delete`), which keeps them for their own retention.'
            : `Instead of retaining backups you may configure a final backup (\`--final-backup --final-backup-retention-days=${minPitrDays}\`).`
      } Deletion protection alone does not keep backups when the instance is deleted. See ${DOCS.cloudSqlDeletionProtection}.`,
    };
  }
  // On the enhanced tier retainBackupsOnDelete governs no backup in the vault: not named as a guard.
  const kept = [
    retained && !vaultDecides ? 'backups are retained on delete' : '',
    finalBackup ? 'a final backup is configured' : '',
  ]
    .filter(Boolean)
    .join(' and ');
  // A deletion under way decides on its own (deletedAnyway): the protection, read as on or not read,
  // did not stop it, whatever a field not read, a final backup not proven or the vault would have
  // said. Protection off is already among the missing guards above.
  const deleting = deletedAnyway(fact, kept, observed, required);
  if (deleting) return deleting;
  if (unknown.length > 0) return notAvailable(fact, unknown.join(' and '), '', observed, required);
  if (finalWithoutBackups) {
    return {
      status: 'NOT_AVAILABLE',
      description: `${resourceLabel(fact)}: the only guard of its backups after a deletion is a final backup (settings.finalBackupConfig.enabled=true), and automated backups are off (settings.backupConfiguration.enabled=false); Cloud SQL does not document whether a final backup is taken from an instance with automated backups off, so this check could not be evaluated.`,
      observed: { ...observed, automatedBackupsEnabled: false },
      required,
      remediationText: `Turn automated backups on (${enableBackupsStep(fact, minPitrDays)}) and retain them on delete (\`${patchCloudSql(fact, '--retain-backups-on-delete')}\`); a guard that does not rest on the final backup alone can then be judged. See ${DOCS.cloudSqlDeletionProtection}.`,
    };
  }
  if (vaultDecides) {
    const throughPlan = judgedThroughBackupPlan(
      fact,
      {
        subject: 'whether its backups survive a deletion of the instance',
        governedBy: `deletion protection is on, but the backups in the vault are kept by the vault's minimum enforced retention and the plan's rules, which settings.retainBackupsOnDelete=${retain ?? 'unknown'} (a standard-backups setting) does not govern, and no final backup is configured`,
        verify: `that the backup vault's minimum enforced retention keeps the backups after a deletion, or configure a final backup, which Google documents for instances managed by Backup and DR: \`${patchCloudSql(fact, `--final-backup --final-backup-retention-days=${minPitrDays}`)}\``,
      },
      observed,
      required,
    );
    if (throughPlan) return throughPlan;
  }
  return protectedOutcome(fact, kept, observed, required);
}

/**
 * FAILED for a database being deleted whose protection reads on or was not sent (and, on Cloud SQL,
 * whose backups `kept` guards); undefined when it is not being deleted. RDS and Cloud SQL refuse to
 * delete a database with deletion protection on, so a deletion under way proves the protection did
 * not hold, whatever the flag now reads or would have read: never a pass or a NOT_AVAILABLE on it.
 */
function deletedAnyway(
  fact: PitrFact,
  kept: string | undefined,
  observed: FindingValues,
  required: FindingValues,
): CheckOutcome | undefined {
  if (!DELETING_STATUSES.has(fact.status)) return undefined;
  const protection =
    fact.deletionProtection === true
      ? 'although the answer says deletion protection is on: the protection did not stop this deletion'
      : 'and the answer did not send whether deletion protection is on: whatever it reads, it did not stop this deletion';
  return {
    status: 'FAILED',
    description: `${resourceLabel(fact)} is being deleted (status \`${fact.status}\`) ${protection}.${kept ? ` ${capitalize(kept)}.` : ''}`,
    observed: { ...observed, status: fact.status },
    required,
    remediationText: deletingRemediation(fact),
  };
}

/**
 * The verdict on a database whose answer says deletion protection is on (and, on Cloud SQL, that
 * `kept` guards its backups): PASSED, unless the same answer says it is being deleted
 * ({@link deletedAnyway}).
 */
function protectedOutcome(
  fact: PitrFact,
  kept: string | undefined,
  observed: FindingValues,
  required: FindingValues,
): CheckOutcome {
  const deleting = deletedAnyway(fact, kept, observed, required);
  if (deleting) return deleting;
  return {
    status: 'PASSED',
    description: `${resourceLabel(fact)} has deletion protection on${kept ? `, and ${kept}` : ''}.`,
    observed,
    required,
  };
}
