/**
 * `pitr.retention`: the configured point-in-time-recovery retention is at least `minPitrDays`.
 *
 * RDS and Aurora: `BackupRetentionPeriod` (instances 0-35, clusters 1-35). When AWS Backup manages
 * the continuous backup (`AwsBackupRecoveryPointArn`), the retention comes from the backup plan's
 * rule and is changed only there (AWS Backup developer guide, "Point-in-time recovery retention").
 *
 * Cloud SQL: `transactionLogRetentionDays`, capped by edition (ENTERPRISE 1-7, ENTERPRISE_PLUS
 * 1-35; cloud.google.com/sql/docs/postgres/backup-recovery/pitr; an instance without an edition is
 * ENTERPRISE-class, unless the log days it keeps, which the API accepted, are more than 7: then that
 * assumption is wrong and the days are judged as sent, as on DEVELOPER). Below ENTERPRISE_PLUS a target
 * above 7 days is impossible, and the finding says so and names the fix instead of "too low". Daily
 * restore points also need `retainedBackups` >= the target; Google recommends log days + 1 so the
 * base backup of the oldest day is still there. On the enhanced backup tier a Backup and DR backup
 * plan keeps the backups and logs instead (its rules' `backupRetentionDays`, its `logRetentionDays`):
 * NOT_AVAILABLE, naming the plan (wording.ts, `judgedThroughBackupPlan`).
 */
import type { Check, CheckOutcome } from '../../core/check.ts';
import type { PitrFact } from '../../core/facts.ts';
import { placeholder } from '../../core/shell-word.ts';
import {
  cloudSqlInstanceWords,
  enableBackupsStep,
  patchCloudSql,
  retentionToSet,
  setRetentionCommand,
} from './commands.ts';
import { restoreStoppedNote } from './status.ts';
import {
  capitalize,
  cloudSqlLogDaysNotJudged,
  DOCS,
  editionLabel,
  judgedThroughBackupPlan,
  judgedThroughPrimary,
  logCapClause,
  maxRetentionDays,
  notAvailable,
  PITR_RESOURCE_TYPES,
  pendingRetentionDrop,
  pendingRetentionNotJudged,
  resourceLabel,
  retentionNotJudged,
  valueOrNull,
} from './wording.ts';

/**
 * The machine type an in-place upgrade to Enterprise Plus names: the edition takes only its own
 * machine series (N2 performance-optimized `db-perf-optimized-N-*`, C4A, C4), so the upgrade is
 * `gcloud sql instances patch --edition=enterprise-plus --tier=MACHINE_TYPE` (Cloud SQL docs, "Upgrade
 * in place", cloud.google.com/sql/docs/postgres/upgrade-in-place); without it the patch keeps the
 * current Enterprise tier and is refused. gcloud reads ENTERPRISE_PLUS as enterprise-plus.
 */
const ENTERPRISE_PLUS_TIER = placeholder('an Enterprise Plus machine type, such as db-perf-optimized-N-2');

/** `pitr.retention`: configured PITR retention >= `minPitrDays`, edition-aware on Cloud SQL. */
export const pitrRetentionCheck: Check<PitrFact> = {
  metadata: {
    id: 'pitr.retention',
    group: 'pitr',
    title: 'Point-in-time recovery retention meets the policy minimum',
    failedTitle: 'Point-in-time recovery retention is below the policy minimum',
    severity: 'HIGH',
    rationale:
      "certctl's runbook requires PITR to keep at least 30 days so a corruption noticed late (a bad bulk revocation, a broken migration) can still be undone; the configured retention is the ceiling of the restore window.",
    remediation: {
      text: `Raise the retention to at least the policy minimum: \`aws rds modify-db-cluster --db-cluster-identifier ${placeholder('db-cluster-id')} --backup-retention-period 30 --apply-immediately\` for Aurora; one day more for an RDS DB instance, \`aws rds modify-db-instance --db-instance-identifier ${placeholder('db-instance-id')} --backup-retention-period 31 --apply-immediately\`, and for a Multi-AZ DB cluster (engine postgres, \`modify-db-cluster\`), because its restore window starts at the oldest daily snapshot it keeps (between 29 and 30 days back with 30), and two days more (32) when its backup window (PreferredBackupWindow) is longer than an hour, since each snapshot starts anywhere in it (31 would dip below 30 days by up to its length every day); the AWS Backup plan rule when AWS Backup manages the database, or \`gcloud sql instances patch ${placeholder('instance')} --project=${placeholder('project')} --retained-transaction-log-days=30\` (ENTERPRISE_PLUS only; ENTERPRISE is capped at 7).`,
      url: DOCS.rdsBackupRetention,
      urls: { gcp: DOCS.cloudSqlPitr },
    },
    resourceTypes: PITR_RESOURCE_TYPES,
  },
  evaluate(fact, { policy }) {
    return fact.kind === 'cloudsql-instance'
      ? evaluateCloudSql(fact, policy.pitr.minPitrDays)
      : evaluateRds(fact, policy.pitr.minPitrDays);
  },
};

function evaluateRds(fact: PitrFact, minPitrDays: number): CheckOutcome {
  const days = fact.retentionDays;
  const managedBy = fact.awsBackupRecoveryPointArn;
  const observed = {
    retentionDays: valueOrNull(days),
    ...(fact.pendingRetentionDays !== undefined ? { pendingRetentionDays: fact.pendingRetentionDays } : {}),
    ...(managedBy ? { awsBackupRecoveryPointArn: managedBy } : {}),
  };
  const required = { retentionDays: minPitrDays };
  const throughPrimary = judgedThroughPrimary(fact, 'the retention', observed, required);
  if (throughPrimary) return throughPrimary;
  const notJudged = retentionNotJudged(fact, 'the retention', observed, required);
  if (notJudged) return notJudged;
  if (days === undefined) return notAvailable(fact, fact.retentionSource, '', observed, required);
  const managedNote = managedBy
    ? ` AWS Backup manages its continuous backup (recovery point ${managedBy}), so the retention comes from the backup plan.`
    : '';
  // Enough now, but a change RDS accepted lowers it: a PASSED would last until the maintenance window.
  const lowered = days >= minPitrDays ? pendingRetentionDrop(fact, minPitrDays, minPitrDays) : undefined;
  if (lowered) {
    return {
      status: 'FAILED',
      description: `${resourceLabel(fact)} keeps ${days} days of point-in-time recovery now (${fact.retentionSource}), but ${lowered.clause}; the policy requires ${minPitrDays}.${managedNote}`,
      observed,
      required,
      remediationText: lowered.remediationText,
    };
  }
  // Enough now, but a pending change RDS cannot apply as sent may lower it or not.
  const pendingUnknown =
    days >= minPitrDays ? pendingRetentionNotJudged(fact, 'the retention', observed, required) : undefined;
  if (pendingUnknown) return pendingUnknown;
  if (days >= minPitrDays) {
    return {
      status: 'PASSED',
      description: `${resourceLabel(fact)} keeps ${days} days of point-in-time recovery (${fact.retentionSource}), at least the ${minPitrDays} days required.${managedNote}${restoreStoppedNote(fact)}`,
      observed,
      required,
    };
  }
  const toSet = retentionToSet(fact, minPitrDays);
  const growth = `Raising it does not create history backwards: the restore window then grows by one day per day until it holds ${minPitrDays} days (pitr.window tracks it).`;
  const remediationText = managedBy
    ? `AWS Backup manages this database's continuous backup (${managedBy}); its retention is changed only through the backup plan, not with modify-db-*. Set the continuous-backup rule's retention (Lifecycle DeleteAfterDays) of the plan that covers this database to at least ${toSet.days} days${toSet.why} (at most 35). ${growth} See ${DOCS.awsBackupPitrRetention}.`
    : `Run \`${setRetentionCommand(fact, toSet.days)}\`${toSet.why}. ${growth}`;
  return {
    status: 'FAILED',
    description:
      days === 0
        ? `${resourceLabel(fact)} keeps no point-in-time recovery (${fact.retentionSource}=0: automated backups are off); the policy requires ${minPitrDays} days.${managedNote}`
        : `${resourceLabel(fact)} keeps only ${days} days of point-in-time recovery (${fact.retentionSource}=${days}); the policy requires ${minPitrDays}.${managedNote}`,
    observed,
    required,
    remediationText,
  };
}

function evaluateCloudSql(fact: PitrFact, minPitrDays: number): CheckOutcome {
  const edition = fact.cloudSql?.edition ?? 'UNSPECIFIED';
  // Below ENTERPRISE_PLUS (an instance without an edition included) logs are capped at 7 days.
  const editionMax = maxRetentionDays(fact);
  const logDays = fact.retentionDays;
  const retainedBackups = fact.cloudSql?.retainedBackups;
  const observed = {
    retentionDays: valueOrNull(logDays),
    retainedBackups: valueOrNull(retainedBackups),
    // An edition the tool does not know is quoted as sent, and its cap is not known.
    edition: fact.cloudSql?.unknownEdition ?? edition,
    maxRetentionDaysOnEdition: fact.cloudSql?.unknownEdition === undefined ? editionMax : null,
  };
  const required = { retentionDays: minPitrDays, retainedBackups: minPitrDays };
  const throughPlan = judgedThroughBackupPlan(
    fact,
    {
      subject: 'the retention',
      governedBy: `the plan keeps the backups for the backupRetentionDays of its backup rules and the point-in-time-recovery logs for its logRetentionDays, not for the instance's transactionLogRetentionDays=${logDays ?? 'unknown'} and retainedBackups=${retainedBackups ?? 'unknown'}`,
      verify: `that the plan's logRetentionDays and the backupRetentionDays of its backup rules are at least ${minPitrDays} days, and that the backup vault's minimum enforced retention keeps them`,
    },
    observed,
    required,
  );
  if (throughPlan) return throughPlan;
  // Google: keep retained backups at log days + 1, so the oldest day's base backup outlives its logs.
  const recommendedBackups = minPitrDays + 1;

  const problems: string[] = [];
  const fixes: string[] = [];
  const unknown: string[] = [];
  // Off, the adapter reports 0 days (no backup, no log kept): the instance's own
  // transactionLogRetentionDays is not what it keeps, so it is neither quoted nor the fix.
  const backupsOff = fact.automatedBackupsEnabled === false;

  if (backupsOff) {
    problems.push(
      'automated backups are off (backupConfiguration.enabled=false), so no backup and no transaction log is kept whatever the retention settings say',
    );
    const keep =
      minPitrDays <= editionMax
        ? ` Then keep ${minPitrDays} days: \`${patchCloudSql(fact, `--retained-transaction-log-days=${minPitrDays} --retained-backups-count=${recommendedBackups}`)}\`.`
        : '';
    fixes.push(`Turn them on: ${enableBackupsStep(fact, minPitrDays)}.${keep}`);
  }
  // A documented edition keeps at most editionMax days of logs (ENTERPRISE 7, ENTERPRISE_PLUS 35):
  // more sent is no setting the instance can have, so, as with an RDS BackupRetentionPeriod above 35
  // (wording.ts, `retentionNotJudged`), it is not judged, neither as enough nor as too few; nor is
  // the adapter's logs-on-disk window derived from it (functions/gcp/cloud-sql.ts `logsOnDiskWindow`),
  // nor pitr.window's bound. A day count without a documented edition is judged as sent
  // (`maxRetentionDays`). Fewer days than every edition's minimum (0 with backups on: on Cloud SQL
  // backups off is backupConfiguration.enabled=false, not 0 days) are no setting either, whatever the
  // edition: not judged the same way, never read as "keeps 0 days" (wording.ts `cloudSqlLogDaysNotJudged`).
  const outsideRange = cloudSqlLogDaysNotJudged(fact);
  const outOfRange = outsideRange !== undefined;
  if (minPitrDays > editionMax) {
    const impossibleOn =
      edition === 'UNSPECIFIED'
        ? `this instance: ${logCapClause(fact, editionMax)}`
        : `the ${edition} edition, which caps transaction-log retention (transactionLogRetentionDays) at ${editionMax} days`;
    problems.push(
      `the ${minPitrDays}-day target is impossible on ${impossibleOn}${backupsOff ? '' : outOfRange ? ` (${outsideRange})` : ` (it keeps ${logDays ?? 'an unknown number of'} days)`}`,
    );
    fixes.push(
      `Upgrade to Enterprise Plus, where log retention goes up to 35 days: \`${patchCloudSql(fact, `--edition=ENTERPRISE_PLUS --tier=${ENTERPRISE_PLUS_TIER}`)}\` (an in-place upgrade; schedule it like maintenance), then \`${patchCloudSql(fact, `--retained-transaction-log-days=${minPitrDays} --retained-backups-count=${recommendedBackups}`)}\`. If the edition must stay, keep ${editionMax} days of logs, keep at least ${minPitrDays} daily backups (\`--retained-backups-count=${recommendedBackups}\`) and pg_dump files for the rest, and accept that a restore older than ${editionMax} days lands on a daily backup, not on any point in time.`,
    );
  } else if (backupsOff) {
    // Said above; the days the instance would keep once backups are on are not known here.
  } else if (logDays === undefined) {
    unknown.push('backupConfiguration.transactionLogRetentionDays');
  } else if (outOfRange) {
    // Said below: a day count the edition cannot keep is no retention to compare.
  } else if (logDays < minPitrDays) {
    problems.push(
      `it keeps ${logDays} days of transaction logs (transactionLogRetentionDays); the policy requires ${minPitrDays}`,
    );
    fixes.push(
      `Run \`${setRetentionCommand(fact, minPitrDays)}\`; the window then grows by one day per day until it holds ${minPitrDays} days.`,
    );
  }
  if (fact.pointInTimeRecoveryEnabled === false && !backupsOff) {
    problems.push(
      'point-in-time recovery is off, so no transaction logs are kept whatever the retention says',
    );
    fixes.push(`Run \`${patchCloudSql(fact, '--enable-point-in-time-recovery')}\`.`);
  } else if (fact.pointInTimeRecoveryEnabled === undefined) {
    // Off, no log is kept whatever the days say (above): unread, the days prove no retention.
    unknown.push('backupConfiguration.pointInTimeRecoveryEnabled');
  }
  // Off, the adapter reports 0 days (no backup, no log); unread, the days and backups prove nothing.
  if (fact.automatedBackupsEnabled === undefined) unknown.push('backupConfiguration.enabled');

  const unit = fact.cloudSql?.unknownRetentionUnit;
  if (retainedBackups === undefined) {
    unknown.push(
      `backupConfiguration.backupRetentionSettings.retainedBackups${unit ? ` as a number of backups (it came with retentionUnit ${unit}, a unit this tool does not know; Google documents COUNT only)` : ''}`,
    );
  } else if (retainedBackups < minPitrDays) {
    problems.push(
      `it keeps ${retainedBackups} automated backups (retainedBackups), fewer than the ${minPitrDays} daily restore points the policy needs (Google recommends log days + 1 = ${recommendedBackups})`,
    );
    // The edition fix and the backups-off fix already name the retained-backups flag; do not repeat it.
    if (minPitrDays <= editionMax && !backupsOff) {
      fixes.push(`Run \`${patchCloudSql(fact, `--retained-backups-count=${recommendedBackups}`)}\`.`);
    }
  }

  const both = `${backupsOff ? 'automated backups off' : `transactionLogRetentionDays=${logDays ?? 'unknown'}`}, retainedBackups=${retainedBackups ?? 'unknown'}`;
  // Named once: in the impossible-target problem above, or here as not judged.
  const notJudged = outsideRange !== undefined && minPitrDays <= editionMax ? outsideRange : undefined;
  if (problems.length > 0) {
    const unread = `${notJudged ? ` ${capitalize(notJudged)}, so the log days were not judged.` : ''}${unknown.length > 0 ? ` Could not read ${unknown.join(' and ')}.` : ''}`;
    return {
      status: 'FAILED',
      description: `${resourceLabel(fact)} (${editionLabel(fact)}, ${both}): ${problems.join('; ')}.${unread}`,
      observed,
      required,
      remediationText: `${fixes.join(' ')} See ${DOCS.cloudSqlPitr}.`,
    };
  }
  if (notJudged) {
    const unread = unknown.length > 0 ? ` Could not read ${unknown.join(' and ')} either.` : '';
    return {
      status: 'NOT_AVAILABLE',
      description: `${resourceLabel(fact)} (${editionLabel(fact)}): ${notJudged}, so the retention could not be evaluated.${unread}`,
      observed,
      required,
      remediationText: `Look at the backup retention of this instance with \`gcloud sql instances describe ${cloudSqlInstanceWords(fact)}\` (settings.backupConfiguration.transactionLogRetentionDays and settings.edition) and in the console, then run the audit again; if the API keeps sending this value, raise it with Google Cloud support.`,
    };
  }
  if (unknown.length > 0) {
    const outcome = notAvailable(fact, unknown.join(' and '), '', observed, required);
    // Sent, in a unit the tool cannot count in: "run again" would not change it.
    return unit && retainedBackups === undefined
      ? {
          ...outcome,
          remediationText: `Look at the backup retention of this instance (\`gcloud sql instances describe ${cloudSqlInstanceWords(fact)}\`, settings.backupConfiguration.backupRetentionSettings) and keep at least ${recommendedBackups} backups; report the unit so this tool learns it.`,
        }
      : outcome;
  }
  const note =
    retainedBackups !== undefined && logDays !== undefined && retainedBackups < logDays + 1
      ? ` Google recommends one more retained backup than log days (${logDays + 1}) so the oldest day keeps its base backup.`
      : '';
  return {
    status: 'PASSED',
    description: `${resourceLabel(fact)} (${editionLabel(fact)}) keeps ${logDays} days of transaction logs and ${retainedBackups} daily backups, at least the ${minPitrDays} days required.${note}${restoreStoppedNote(fact)}`,
    observed,
    required,
  };
}
