/**
 * `pitr.enabled`: automated backups and point-in-time recovery are on. RDS and Aurora have one
 * switch (a `BackupRetentionPeriod` above 0 turns on both daily snapshots and transaction-log
 * archiving); Cloud SQL has two (`backupConfiguration.enabled` and `pointInTimeRecoveryEnabled`),
 * and both must be on. On the enhanced backup tier a Backup and DR backup plan schedules the backups
 * and keeps the logs: NOT_AVAILABLE, naming the plan (wording.ts, `judgedThroughBackupPlan`).
 */
import type { Check, CheckOutcome } from '../../core/check.ts';
import type { PitrFact } from '../../core/facts.ts';
import { placeholder } from '../../core/shell-word.ts';
import {
  BACKUP_START_TIME_FLAG,
  BACKUP_START_TIME_HINT,
  patchCloudSql,
  retentionToSet,
  setRetentionCommand,
} from './commands.ts';
import { restoreStoppedNote } from './status.ts';
import {
  DOCS,
  judgedThroughBackupPlan,
  judgedThroughPrimary,
  notAvailable,
  PITR_RESOURCE_TYPES,
  pendingRetentionDrop,
  pendingRetentionNotJudged,
  resourceLabel,
  retentionNotJudged,
  valueOrNull,
} from './wording.ts';

const REQUIRED = { automatedBackupsEnabled: true, pointInTimeRecoveryEnabled: true } as const;

/** `pitr.enabled`: automated backups and PITR are on. */
export const pitrEnabledCheck: Check<PitrFact> = {
  metadata: {
    id: 'pitr.enabled',
    group: 'pitr',
    title: 'Automated backups and point-in-time recovery are on',
    failedTitle: 'Automated backups or point-in-time recovery are off',
    severity: 'CRITICAL',
    rationale:
      'certctl keeps every certificate, issuance record and revocation in PostgreSQL and ships no backup of its own: without automated backups and transaction-log archiving there is nothing to restore after a bad migration, a deleted table or a lost instance.',
    remediation: {
      text: `Turn on automated backups with a retention of at least the policy minimum (RDS: \`aws rds modify-db-instance --db-instance-identifier ${placeholder('db-instance-id')} --backup-retention-period 31 --apply-immediately\`, a day above the target since its window starts at the oldest daily snapshot it keeps, two days (32) when its backup window (PreferredBackupWindow) is longer than an hour; Aurora: \`aws rds modify-db-cluster --db-cluster-identifier ${placeholder('db-cluster-id')} --backup-retention-period 30 --apply-immediately\`; Cloud SQL: \`gcloud sql instances patch ${placeholder('instance')} --project=${placeholder('project')} ${BACKUP_START_TIME_FLAG} --enable-point-in-time-recovery\`, ${BACKUP_START_TIME_HINT}).`,
      url: DOCS.rdsBackupRetention,
      urls: { gcp: DOCS.cloudSqlPitr },
    },
    resourceTypes: PITR_RESOURCE_TYPES,
  },
  evaluate(fact, { policy }) {
    return fact.kind === 'cloudsql-instance'
      ? evaluateCloudSql(fact)
      : evaluateRds(fact, policy.pitr.minPitrDays);
  },
};

function evaluateRds(fact: PitrFact, minPitrDays: number): CheckOutcome {
  const enabled =
    fact.automatedBackupsEnabled ?? (fact.retentionDays === undefined ? undefined : fact.retentionDays > 0);
  const observed = {
    automatedBackupsEnabled: valueOrNull(enabled),
    pointInTimeRecoveryEnabled: valueOrNull(fact.pointInTimeRecoveryEnabled ?? enabled),
    retentionDays: valueOrNull(fact.retentionDays),
    ...(fact.pendingRetentionDays !== undefined ? { pendingRetentionDays: fact.pendingRetentionDays } : {}),
  };
  const throughPrimary = judgedThroughPrimary(fact, 'the automated-backup setting', observed, REQUIRED);
  if (throughPrimary) return throughPrimary;
  const notJudged = retentionNotJudged(fact, 'whether automated backups are on', observed, REQUIRED);
  if (notJudged) return notJudged;
  if (enabled === undefined) {
    return notAvailable(
      fact,
      fact.retentionSource,
      'the retention period was not in the API answer',
      observed,
      REQUIRED,
    );
  }
  // On now, but a change RDS accepted turns them off: a PASSED would last until the maintenance window.
  const turnedOff = enabled ? pendingRetentionDrop(fact, 1, minPitrDays) : undefined;
  if (turnedOff) {
    return {
      status: 'FAILED',
      description: `${resourceLabel(fact)} has automated backups on now (${fact.retentionSource}=${fact.retentionDays ?? 'set'}), but ${turnedOff.clause}.`,
      observed,
      required: REQUIRED,
      remediationText: turnedOff.remediationText,
    };
  }
  // On now, but a pending change RDS cannot apply as sent may turn them off or not.
  const pendingUnknown = enabled
    ? pendingRetentionNotJudged(fact, 'whether automated backups stay on', observed, REQUIRED)
    : undefined;
  if (pendingUnknown) return pendingUnknown;
  if (enabled) {
    const stopped = restoreStoppedNote(fact);
    return {
      status: 'PASSED',
      description: stopped
        ? `${resourceLabel(fact)} has automated backups on (${fact.retentionSource}=${fact.retentionDays ?? 'set'}), which turns point-in-time recovery on.${stopped}`
        : `${resourceLabel(fact)} has automated backups on (${fact.retentionSource}=${fact.retentionDays ?? 'set'}), so point-in-time recovery is available.`,
      observed,
      required: REQUIRED,
    };
  }
  return {
    status: 'FAILED',
    description: `${resourceLabel(fact)} has automated backups off (${fact.retentionSource}=${fact.retentionDays ?? 'not sent'}): there is no point-in-time recovery and no automated snapshot to restore certctl's database from.`,
    observed,
    required: REQUIRED,
    remediationText: `Run \`${setRetentionCommand(fact, retentionToSet(fact, minPitrDays).days)}\`. AWS documents an outage when the retention changes from 0 to a non-zero value, so apply it in a maintenance window if certctl is serving; backups and PITR start from that moment, not before.`,
  };
}

function evaluateCloudSql(fact: PitrFact): CheckOutcome {
  const backups = fact.automatedBackupsEnabled;
  const pitr = fact.pointInTimeRecoveryEnabled;
  const observed = {
    automatedBackupsEnabled: valueOrNull(backups),
    pointInTimeRecoveryEnabled: valueOrNull(pitr),
  };
  const throughPlan = judgedThroughBackupPlan(
    fact,
    {
      subject: 'whether automated backups and point-in-time recovery are on',
      governedBy: `the plan's backup rules schedule the backups and its logRetentionDays keeps the point-in-time-recovery logs, which the instance's backupConfiguration.enabled=${backups ?? 'unknown'} and pointInTimeRecoveryEnabled=${pitr ?? 'unknown'} do not show`,
      verify:
        'that the association is active, that the plan has a backup rule with a schedule and sets logRetentionDays, and that the data source in the backup vault receives backups',
    },
    observed,
    REQUIRED,
  );
  if (throughPlan) return throughPlan;
  const off: string[] = [];
  const flags: string[] = [];
  if (backups === false) {
    off.push('automated backups (backupConfiguration.enabled=false)');
    flags.push(BACKUP_START_TIME_FLAG);
  }
  if (pitr === false) {
    off.push('point-in-time recovery (pointInTimeRecoveryEnabled=false)');
    flags.push('--enable-point-in-time-recovery');
  }
  if (off.length > 0) {
    const unknown = [backups, pitr].includes(undefined) ? ' The other setting could not be read.' : '';
    return {
      status: 'FAILED',
      description: `${resourceLabel(fact)} has ${off.join(' and ')} off: it cannot be restored to a point in time.${unknown}`,
      observed,
      required: REQUIRED,
      remediationText: `Run \`${patchCloudSql(fact, flags.join(' '))}\`${flags.includes(BACKUP_START_TIME_FLAG) ? ` ${BACKUP_START_TIME_HINT}` : ''}. Point-in-time recovery needs automated backups, and the window starts from the moment both are on. See ${DOCS.cloudSqlPitr}.`,
    };
  }
  if (backups === undefined || pitr === undefined) {
    const field =
      backups === undefined
        ? 'backupConfiguration.enabled'
        : 'backupConfiguration.pointInTimeRecoveryEnabled';
    return notAvailable(fact, field, '', observed, REQUIRED);
  }
  return {
    status: 'PASSED',
    description: `${resourceLabel(fact)} has automated backups and point-in-time recovery on.${restoreStoppedNote(fact)}`,
    observed,
    required: REQUIRED,
  };
}
