/**
 * `pitr.lag`: the latest restorable time is within `maxRestoreLagMinutes` of now. RDS uploads
 * transaction logs to S3 about every 5 minutes and reports a LatestRestorableTime "typically within
 * the last five minutes" (RDS user guide, USER_PIT); Cloud SQL uploads WAL at least every 5 minutes.
 * A value far older means WAL archiving stopped and PITR silently stopped with it.
 *
 * A new database with no restore point yet (status `creating` or created within a day): NOT_AVAILABLE,
 * saying it is new (wording.ts, `newWithoutRestorePoint`), as pitr.window. A latest restorable time
 * after this run's clock, or before the window's earliest one (beyond the clock-skew margin), proves
 * no restore up to it: NOT_AVAILABLE, unless the status decides on its own (being deleted, KMS key
 * out of reach, `incompatible-restore`, a Cloud SQL suspension for its named customer-managed key:
 * FAILED, as for a recent time; status.ts). So does a time not
 * read (a restore window not read, Cloud SQL logs kept outside Cloud Storage) or not sent (a new
 * database, a window with an earliest time only, backups not known to be on). A stale time on a
 * database whose status proves no restore runs is FAILED saying what the status proves, with its
 * fix: being deleted (whatever stopped the time), a KMS key out of reach (which explains it), or
 * `incompatible-restore` (which names no cause). Only a status that proves neither is a "may".
 * An Aurora global secondary and a Cloud SQL instance on the enhanced tier are judged through their
 * primary and backup plan before any status: the secondary's own status tells nothing of the
 * primary's window, and a vault's enforced retention, not the instance, keeps backups past a deletion.
 *
 * Backups off: not applicable (undefined). With no automated backups there is no log stream that
 * could lag; `pitr.enabled` reports that root cause as CRITICAL, and a second FAILED finding for the
 * same switch would only be noise.
 *
 * Cloud SQL with point-in-time recovery off (automated backups on): no log stream lags, but its only
 * restore points are the daily automated backups, and a run that stops taking them is what this check
 * exists to catch. The newest successful automated backup (backupRuns.list, dated by the adapter's
 * endTime-else-startTime) must be at most {@link DAILY_BACKUP_MAX_AGE_HOURS} old: FAILED beyond,
 * NOT_AVAILABLE when the list could not be read, as pitr.window; a PASS says only daily backups can
 * be restored (pitr.enabled reports PITR off).
 *
 * Cloud SQL transaction logs on disk: the latest recovery time is reported only for logs in Cloud
 * Storage, so the check is NOT_AVAILABLE and says how to move the logs, rather than blaming the
 * audit's permissions or calling archiving broken.
 *
 * Cloud SQL on the enhanced backup tier: restored from its Backup and DR data source, whose latest
 * point getLatestRecoveryTime is not documented to report: NOT_AVAILABLE, naming the plan
 * (wording.ts, `judgedThroughBackupPlan`), even with the instance's own automated backups off.
 */
import type { Check, CheckOutcome } from '../../core/check.ts';
import {
  DELETING_STATUSES,
  DOWN_STATUSES,
  INCOMPATIBLE_RESTORE_STATUS,
  KEY_INACCESSIBLE_STATUSES,
  KNOWN_STATUSES,
  RUNNING_STATUSES,
  STOPPED_STATUSES,
  SUSPENDED_STATUS,
} from '../../core/database-status.ts';
import { BACKUP_PLAN_BACKUPS, type PitrFact } from '../../core/facts.ts';
import type { FindingValues } from '../../core/finding.ts';
import { CLOCK_SKEW_TOLERANCE_MS, HOUR_MS, isoTimeText, MINUTE_MS } from '../../core/time.ts';
import { patchCloudSql } from './commands.ts';
import {
  deletingBackups,
  judgedWithStatus,
  keyIssueSentence,
  provenStatusRemediation,
  suspensionWords,
} from './status.ts';
import {
  automatedBackupsOff,
  BACKUP_PLAN_RESTORE,
  CREATED_FIELD,
  CREATED_NOUN,
  createTimeRemediation,
  DOCS,
  earliestAfterLatest,
  formatLag,
  formatTime,
  judgedThroughBackupPlan,
  judgedThroughPrimary,
  latestRestorePoint,
  newWithoutRestorePoint,
  notAvailable,
  PITR_RESOURCE_TYPES,
  pointBeforeCreated,
  resourceLabel,
} from './wording.ts';

/** The lag and the time it is measured from move with every WAL upload: not news on their own. */
const LAG_DRIFTING = ['restoreLagMinutes', 'latestRestorableTime'] as const;

/**
 * How old a Cloud SQL instance's newest automated backup may be: backups are daily, and each "can
 * start any time during the" 4-hour window that `--backup-start-time` opens (gcloud sql instances
 * patch), so two of them can be 24 + 4 hours apart; 2 more hours let the newest one finish (it is
 * dated by its endTime).
 */
export const DAILY_BACKUP_MAX_AGE_HOURS = 24 + 4 + 2;

/** The newest backup's age and time move with every daily backup: not news on their own. */
const BACKUP_AGE_DRIFTING = ['newestBackupAgeHours', 'newestBackupTime'] as const;

/** Log storage states in which Cloud SQL does not report the latest recovery time. */
const LOGS_OUTSIDE_CLOUD_STORAGE: ReadonlySet<string> = new Set(['DISK', 'SWITCHING_TO_CLOUD_STORAGE']);

/**
 * The storage state of a Cloud SQL instance's transaction logs when it explains why the latest
 * recovery time is unknown; undefined otherwise.
 */
function logStorageBlockingLag(fact: PitrFact): string | undefined {
  const state = fact.cloudSql?.logStorage;
  if (state === undefined || !LOGS_OUTSIDE_CLOUD_STORAGE.has(state)) return undefined;
  const window = fact.restoreWindow;
  return window.known && window.latest !== undefined ? undefined : state;
}

/**
 * NOT_AVAILABLE for transaction logs outside Cloud Storage: Cloud SQL reports the latest recovery
 * time (`instances.getLatestRecoveryTime`) only for logs in Cloud Storage (gcloud reference,
 * `sql instances get-latest-recovery-time`), so the lag cannot be measured until the logs move there.
 * The switch is `gcloud sql instances patch --switch-transaction-logs-to-cloud-storage`, without
 * downtime, on primaries only, and takes about the log retention period (Cloud SQL docs,
 * "Configure PITR", "Switch transaction log storage to Cloud Storage").
 */
function logsOutsideCloudStorage(fact: PitrFact, state: string, maxLag: number): CheckOutcome {
  const switching = state === 'SWITCHING_TO_CLOUD_STORAGE';
  const where = switching
    ? `this instance is still switching them there (transactionalLogStorageState=${state})`
    : `this instance keeps them on its data disk (transactionalLogStorageState=${state})`;
  return {
    status: 'NOT_AVAILABLE',
    description: `${resourceLabel(fact)}: the latest recovery time is not reported, so the restore lag cannot be measured. Cloud SQL reports it (instances.getLatestRecoveryTime) only for instances whose transaction logs are in Cloud Storage, and ${where}.`,
    observed: { restoreLagMinutes: null, latestRestorableTime: null, transactionalLogStorageState: state },
    required: { restoreLagMinutes: maxLag },
    remediationText: switchLogsRemediation(fact, state, 'this check measures the lag'),
  };
}

/**
 * What to do about a Cloud SQL instance whose transaction logs are not in Cloud Storage (`state`
 * DISK or SWITCHING_TO_CLOUD_STORAGE), where Cloud SQL reports neither end of the restore window;
 * `then` says what the check does once a switch under way completes. Shared with pitr.window.
 */
export function switchLogsRemediation(fact: PitrFact, state: string, then: string): string {
  return state === 'SWITCHING_TO_CLOUD_STORAGE'
    ? `Nothing to run: the switch to Cloud Storage completes after about the transaction-log retention period (transactionLogRetentionDays), and from then on ${then}. See ${DOCS.cloudSqlConfigurePitr}.`
    : `Move the transaction logs to Cloud Storage, without downtime: \`${patchCloudSql(fact, '--switch-transaction-logs-to-cloud-storage')}\` (primary instances only; make no other change in the same command). New logs go to Cloud Storage at once and the switch completes after about the log retention period; an in-place upgrade to Enterprise Plus switches them too. See ${DOCS.cloudSqlConfigurePitr}.`;
}

/** `pitr.lag`: the latest restorable time trails now by at most `maxRestoreLagMinutes`. */
export const pitrLagCheck: Check<PitrFact> = {
  metadata: {
    id: 'pitr.lag',
    group: 'pitr',
    title: 'The latest restorable time is recent',
    failedTitle: 'The latest restorable time is stale',
    severity: 'HIGH',
    rationale:
      'Point-in-time recovery can only restore up to the last archived transaction log. When archiving breaks, the latest restorable time stops moving and every certificate issued or revoked since then would be lost on restore, while the retention settings still look healthy.',
    remediation: {
      text: 'Find why transaction logs stopped reaching backup storage: check the database events and logs for archiving errors, storage-full or KMS key problems, and whether the instance is stopped; contact AWS or Google support if the database is healthy but the time does not move.',
      url: DOCS.rdsPointInTimeRestore,
      urls: { gcp: DOCS.cloudSqlPitr },
    },
    resourceTypes: PITR_RESOURCE_TYPES,
  },
  evaluate(fact, { policy, now }) {
    const maxLag = policy.pitr.maxRestoreLagMinutes;
    const required = { restoreLagMinutes: maxLag };
    const throughPrimary = judgedThroughPrimary(
      fact,
      'the latest restorable time',
      { restoreLagMinutes: null, latestRestorableTime: null },
      required,
    );
    if (throughPrimary) return throughPrimary;
    // Before the backups-off early return: on the enhanced tier the plan, not the instance, backs up.
    const throughPlan = judgedThroughBackupPlan(
      fact,
      {
        subject: 'the latest restorable time',
        governedBy: BACKUP_PLAN_RESTORE,
        verify: `that the newest backup of the instance's data source is recent and its logs current: ${BACKUP_PLAN_BACKUPS}`,
      },
      { restoreLagMinutes: null, latestRestorableTime: null },
      required,
    );
    if (throughPlan) return throughPlan;
    if (automatedBackupsOff(fact)) return undefined;
    if (fact.kind === 'cloudsql-instance' && fact.pointInTimeRecoveryEnabled === false) {
      return newestBackupAge(fact, now);
    }
    const logStorage = logStorageBlockingLag(fact);
    // A time not read, for whatever reason, leaves the status to decide on its own (statusFirst).
    if (logStorage !== undefined) return statusFirst(fact, logsOutsideCloudStorage(fact, logStorage, maxLag));
    const window = fact.restoreWindow;
    // The database's own field is read with the database itself: only the window needs the
    // automated-backup listing, so a missing or refused listing never hides the lag.
    const latest = latestRestorePoint(fact);
    if (latest === undefined && !window.known) {
      return statusFirst(
        fact,
        notAvailable(
          fact,
          'the latest restorable time',
          window.reason,
          { restoreLagMinutes: null, latestRestorableTime: null },
          required,
          window,
        ),
      );
    }
    // A latest time not sent leaves the status to decide on its own too (statusFirst): a database
    // being deleted or cut off from its KMS key is no less so for being new or its window unread.
    if (latest === undefined) return statusFirst(fact, missingLatest(fact, now, required));
    if (latest.getTime() - now.getTime() > CLOCK_SKEW_TOLERANCE_MS) {
      // A time after this run's clock measures no lag: a slow clock would pass a stale time.
      return statusFirst(fact, {
        status: 'NOT_AVAILABLE',
        description: `${resourceLabel(fact)}: the latest restorable time ${formatTime(latest)} is later than this run's clock (${formatTime(now)}), so the restore lag cannot be measured.`,
        observed: {
          restoreLagMinutes: null,
          latestRestorableTime: isoTimeText(latest),
          status: fact.status,
        },
        required,
        remediationText:
          'Check the clock of the machine that runs the audit (it must follow NTP), then run the audit again.',
      });
    }
    const contradicted = contradictedLatest(fact, latest, maxLag);
    if (contradicted) return statusFirst(fact, contradicted);
    const lagMinutes = Math.max(0, now.getTime() - latest.getTime()) / MINUTE_MS;
    const observed = {
      restoreLagMinutes: Math.floor(lagMinutes),
      latestRestorableTime: isoTimeText(latest),
      status: fact.status,
    };
    if (lagMinutes <= maxLag && window.known && window.firstBackupPending) {
      // A restore to that time starts from a snapshot, and the automated backup has none yet.
      return statusFirst(fact, {
        status: 'NOT_AVAILABLE',
        description: `${resourceLabel(fact)} reports a latest restorable time ${formatTime(latest)}, ${formatLag(lagMinutes)} ago, but its automated backup is waiting for its first automated snapshot (${window.source}): a point-in-time restore starts from a snapshot, so no restore to that time is proven yet.`,
        observed,
        required,
        drifting: LAG_DRIFTING,
        remediationText:
          'Nothing to change if automated backups were turned on or the database created recently: the next audit judges it once the first snapshot is available. If certctl already writes to it, take a manual snapshot or a pg_dump now. If the automated backup is still creating a day later, check the database events for backup errors.',
      });
    }
    if (lagMinutes <= maxLag) {
      // A recent time proves no restore to it runs while the status stands in the way (being
      // deleted, KMS key out of reach, a status not known): status.ts, as pitr.window.
      return judgedWithStatus(
        fact,
        {
          status: 'PASSED',
          description: `${resourceLabel(fact)} can be restored up to ${formatTime(latest)}, ${formatLag(lagMinutes)} ago (at most ${maxLag} min allowed).`,
          observed,
          required,
          drifting: LAG_DRIFTING,
        },
        observed,
        required,
      );
    }
    let explanation =
      ' WAL archiving may be broken: point-in-time recovery has silently stopped at that time.';
    // A status that proves no restore runs is no maybe, and its fix is the one status.ts gives it.
    // A deletion: whatever stopped the time, the restore window ends with the database, as
    // pitr.window says of it.
    if (DELETING_STATUSES.has(fact.status)) {
      explanation = ` The database is being deleted (status \`${fact.status}\`): its restore window ends with it. ${deletingBackups(fact)}`;
    } else if (KEY_INACCESSIBLE_STATUSES.has(fact.status)) {
      // The key out of reach explains the time: the database cannot use its storage without it
      // (only a restart with the key active recovers the -recoverable state; database-status.ts).
      explanation = ` The database cannot reach the KMS key that encrypts it (status \`${fact.status}\`): without the key it cannot use its storage, so it archives no WAL, which explains the stale time. Its backups are encrypted with that key too: no restore from them runs until the key is active again.`;
    } else if (fact.status === INCOMPATIBLE_RESTORE_STATUS) {
      // RDS says a point-in-time restore fails, not why nor whether archiving stopped: no cause claimed.
      explanation = ` The database status is \`${fact.status}\`: RDS reports it cannot do a point-in-time restore of this database, to that time or any other. The status does not say why, nor whether it is also why the time stopped moving.`;
    } else if (fact.status === SUSPENDED_STATUS) {
      const keyIssue = keyIssueSentence(fact);
      explanation = keyIssue
        ? ` The database status is \`${fact.status}\`: ${keyIssue} A suspended instance is not available (Cloud SQL's SUSPENDED state), so nothing shows it archives WAL while suspended.`
        : ` The database status is \`${fact.status}\`: Google suspended the instance (${suspensionWords(fact)}), and a suspended instance is not available (Cloud SQL's SUSPENDED state), so nothing shows it archives WAL while suspended. Resolve the cause (the instance's suspensionReason in the console or \`gcloud sql instances describe\`); archiving resumes when it runs again.`;
    } else if (STOPPED_STATUSES.has(fact.status)) {
      explanation = ` The database status is \`${fact.status}\`: a stopped database archives no WAL, which explains the stale time (nothing is written while it is stopped). If it should be running, start it; archiving resumes when it does.`;
    } else if (fact.status === STORAGE_FULL_STATUS) {
      explanation = ` The database status is \`${fact.status}\`, which may explain it: the database has used all its allocated storage, and RDS takes no automated backup while a database is in a state other than available (RDS user guide, USER_WorkingWithAutomatedBackups); whether it also stops uploading transaction logs is not documented. Otherwise WAL archiving is broken and point-in-time recovery has silently stopped.`;
    } else if (!RUNNING_STATUSES.has(fact.status)) {
      explanation = staleCause(fact.status, {
        unknown: 'the stale time',
        possible: 'otherwise WAL archiving is broken and point-in-time recovery has silently stopped.',
        none: 'a stale time: WAL archiving may be broken, and point-in-time recovery has silently stopped at that time.',
        subject: 'database status',
      });
    }
    const provenRemediation = provenStatusRemediation(fact);
    return {
      status: 'FAILED',
      description: `${resourceLabel(fact)}: the latest restorable time is ${formatLag(lagMinutes)} old (${formatTime(latest)}), more than the ${maxLag} min allowed.${explanation}`,
      observed,
      required,
      drifting: LAG_DRIFTING,
      ...(provenRemediation === undefined ? {} : { remediationText: provenRemediation }),
    };
  },
};

/** RDS `storage-full`: "Automated backups don't occur while your DB instance is in a state other than available, for example, storage_full" (RDS user guide, USER_WorkingWithAutomatedBackups). */
const STORAGE_FULL_STATUS = 'storage-full';

/**
 * What a status that is neither running, stopped, suspended nor one status.ts judges says of a
 * stale time: a possible cause for a database that is down ({@link DOWN_STATUSES}); nothing for the
 * other known statuses, those of a database that keeps running while it is renamed, its storage
 * optimized or its credentials reset (no cloud documents that they stop archiving or backups); and
 * for a status this tool does not know, that it is not known whether it explains it.
 */
function staleCause(
  status: string,
  words: {
    readonly unknown: string;
    readonly possible: string;
    readonly none: string;
    readonly subject: string;
  },
): string {
  const named = `The ${words.subject} is \`${status}\``;
  if (!KNOWN_STATUSES.has(status)) {
    return ` This tool does not know the status \`${status}\`, so whether it explains ${words.unknown} is not known; ${words.possible}`;
  }
  if (DOWN_STATUSES.has(status)) return ` ${named}, which may explain it; ${words.possible}`;
  return ` ${named}, which is no documented cause of ${words.none}`;
}

/**
 * `outcome` (what this check found from times it could not judge, did not get, or got from a database
 * too new to have any) under the database's status: a status that proves the verdict on its own
 * (being deleted, KMS key out of reach, `incompatible-restore`) decides whatever the times say, as it
 * does for a recent time (status.ts, judgedWithStatus). Any other status leaves a NOT_AVAILABLE or
 * FAILED as it is: it never turns one into a pass.
 */
function statusFirst(fact: PitrFact, outcome: CheckOutcome): CheckOutcome {
  return judgedWithStatus(fact, outcome, outcome.observed, outcome.required);
}

/**
 * The verdict on a database that sent no latest restorable time, before its status is read
 * (statusFirst): NOT_AVAILABLE when a window with an earliest time shows something can be restored,
 * when it is new, or when whether backups are on is unknown; FAILED otherwise, nothing being
 * restorable to a point in time.
 */
function missingLatest(fact: PitrFact, now: Date, required: FindingValues): CheckOutcome {
  const window = fact.restoreWindow;
  const source = window.known ? window.source : 'the database';
  if (window.known && window.earliest !== undefined) {
    // A window with an earliest restorable time can be restored: the missing latest time is a
    // value the API did not send, not proof that nothing can be restored (pitr.window judges a
    // missing earliest time beside a latest one the same way).
    return notAvailable(
      fact,
      'the latest restorable time',
      `${source} reported none although the database can be restored back to ${formatTime(window.earliest)}`,
      { restoreLagMinutes: null, latestRestorableTime: null },
      required,
    );
  }
  const isNew = newWithoutRestorePoint(
    fact,
    'the latest restorable time',
    { restoreLagMinutes: null, latestRestorableTime: null },
    required,
    now,
  );
  if (isNew) return isNew;
  if (fact.automatedBackupsEnabled === undefined) {
    return notAvailable(
      fact,
      'the latest restorable time',
      `${source} had none and it is unknown whether backups are on`,
      { restoreLagMinutes: null, latestRestorableTime: null },
      required,
    );
  }
  return {
    status: 'FAILED',
    description: `${resourceLabel(fact)} reports no latest restorable time (${source}) although automated backups are on: nothing can be restored to a point in time.`,
    observed: { restoreLagMinutes: null, latestRestorableTime: null, status: fact.status },
    required,
    remediationText:
      'If backups were turned on or the database created within the last hour, wait for the first backup; otherwise check the database events for backup or archiving errors.',
  };
}

/**
 * NOT_AVAILABLE when the answer that sent the latest restorable time contradicts it, as pitr.window
 * reads the same answer: an earliest restorable time after it (no point in time lies between them),
 * or a time before the database was created (on Cloud SQL, a name reused after a delete: no log of
 * a database is older than the database). A recent time would otherwise PASS as a restore point
 * nothing proves. Beyond the clock-skew margin only; undefined when nothing contradicts it.
 */
function contradictedLatest(fact: PitrFact, latest: Date, maxLag: number): CheckOutcome | undefined {
  const window = fact.restoreWindow;
  const earliest = window.known ? window.earliest : undefined;
  const source = window.known ? window.source : 'the database';
  const created = fact.createdAt;
  let why: string | undefined;
  if (earliest !== undefined && earliestAfterLatest(earliest, latest)) {
    why = `the earliest restorable time ${formatTime(earliest)} (${source}) is after its latest restorable time ${formatTime(latest)}, so no point in time lies between them`;
  } else if (pointBeforeCreated(latest, created)) {
    const noun = CREATED_NOUN[fact.kind];
    why = `the latest restorable time ${formatTime(latest)} (${source}) is before the ${noun} was created (${CREATED_FIELD[fact.kind]} ${formatTime(created as Date)}), and no log of this ${noun} is older than the ${noun}`;
  }
  if (why === undefined) return undefined;
  return {
    status: 'NOT_AVAILABLE',
    description: `${resourceLabel(fact)}: ${why}, so no restore to that time is proven and the restore lag cannot be measured.`,
    observed: {
      restoreLagMinutes: null,
      latestRestorableTime: isoTimeText(latest),
      ...(earliest === undefined ? {} : { earliestRestorableTime: isoTimeText(earliest) }),
      status: fact.status,
    },
    required: { restoreLagMinutes: maxLag },
    remediationText:
      'Run the audit again; if the times stay contradictory, look at the restore window of this database in the console and report the answer.',
  };
}

/**
 * A Cloud SQL instance with point-in-time recovery off, automated backups on: how old its newest
 * successful automated backup is (the window's latest point, read from backupRuns.list), against
 * {@link DAILY_BACKUP_MAX_AGE_HOURS}.
 */
function newestBackupAge(fact: PitrFact, now: Date): CheckOutcome {
  const required = { newestBackupAgeHours: DAILY_BACKUP_MAX_AGE_HOURS };
  const unread = { newestBackupAgeHours: null, newestBackupTime: null, pointInTimeRecoveryEnabled: false };
  const window = fact.restoreWindow;
  if (!window.known) {
    return statusFirst(
      fact,
      notAvailable(fact, 'the newest automated backup', window.reason, unread, required, window),
    );
  }
  const newest = window.latest;
  if (newest === undefined) {
    // As for a missing latest time: the status decides first (statusFirst).
    const isNew = newWithoutRestorePoint(fact, 'the newest automated backup', unread, required, now);
    if (isNew) return statusFirst(fact, isNew);
    return statusFirst(fact, {
      status: 'FAILED',
      description: `${resourceLabel(fact)} has point-in-time recovery off and lists no successful automated backup (${window.source}) although automated backups are on: nothing can be restored.`,
      observed: { ...unread, status: fact.status },
      required,
      remediationText:
        'Check the backup runs of this instance (`gcloud sql backups list`) for failed runs and their errors, and take an on-demand backup now.',
    });
  }
  if (newest.getTime() - now.getTime() > CLOCK_SKEW_TOLERANCE_MS) {
    return statusFirst(fact, {
      status: 'NOT_AVAILABLE',
      description: `${resourceLabel(fact)}: the newest automated backup ${formatTime(newest)} is later than this run's clock (${formatTime(now)}), so its age cannot be measured.`,
      observed: { ...unread, newestBackupTime: isoTimeText(newest), status: fact.status },
      required,
      remediationText:
        'Check the clock of the machine that runs the audit (it must follow NTP), then run the audit again.',
    });
  }
  const ageHours = Math.max(0, now.getTime() - newest.getTime()) / HOUR_MS;
  const observed = {
    newestBackupAgeHours: Math.floor(ageHours),
    newestBackupTime: isoTimeText(newest),
    pointInTimeRecoveryEnabled: false,
    status: fact.status,
  };
  const age = `its newest automated backup is ${ageHours < 1 ? formatLag(ageHours * 60) : `${Math.floor(ageHours)} h`} old (${formatTime(newest)}, ${window.source})`;
  if (ageHours <= DAILY_BACKUP_MAX_AGE_HOURS && window.mayIncludeEarlierInstance !== undefined) {
    // The newest run may be the last of an earlier instance of that name, this one having none: it
    // proves a backup too old (below), never one recent enough.
    return statusFirst(fact, {
      status: 'NOT_AVAILABLE',
      description: `${resourceLabel(fact)} has point-in-time recovery off: ${age}, but ${window.mayIncludeEarlierInstance}: it may be the last backup of an earlier instance, so whether this one's daily backups run is not known.`,
      observed: {
        ...observed,
        newestBackupAgeHours: null,
        newestBackupAgeHoursAtLeast: Math.floor(ageHours),
      },
      required,
      drifting: [...BACKUP_AGE_DRIFTING, 'newestBackupAgeHoursAtLeast'],
      remediationText: createTimeRemediation(fact),
    });
  }
  if (ageHours <= DAILY_BACKUP_MAX_AGE_HOURS) {
    return judgedWithStatus(
      fact,
      {
        status: 'PASSED',
        description: `${resourceLabel(fact)} has point-in-time recovery off, so only its daily backups can be restored: ${age}, within the ${DAILY_BACKUP_MAX_AGE_HOURS} h a daily backup allows.`,
        observed,
        required,
        drifting: BACKUP_AGE_DRIFTING,
      },
      observed,
      required,
    );
  }
  let explanation =
    ' The daily automated backups have stopped or are failing: a restore loses everything written since.';
  const deleting = DELETING_STATUSES.has(fact.status);
  if (deleting) {
    // No maybe, as for a stale latest time: whatever stopped the daily backups, a deletion takes them.
    explanation = ` The instance is being deleted (state \`${fact.status}\`): whatever stopped the daily backups, its backups go with it unless it retains them on delete (retainBackupsOnDelete) or a final backup is taken.`;
  } else if (fact.status === SUSPENDED_STATUS) {
    const keyIssue = keyIssueSentence(fact);
    explanation = keyIssue
      ? ` The instance state is \`${fact.status}\`: ${keyIssue} A suspended instance is not available (Cloud SQL's SUSPENDED state), so nothing shows it takes backups while suspended.`
      : ` The instance state is \`${fact.status}\`: Google suspended it (${suspensionWords(fact)}), and a suspended instance is not available (Cloud SQL's SUSPENDED state), so nothing shows it takes backups while suspended. Resolve the cause (its suspensionReason); then check that backups run again.`;
  } else if (STOPPED_STATUSES.has(fact.status)) {
    explanation = ` The instance state is \`${fact.status}\`: a stopped instance takes no automated backups (nothing is written while it is stopped). If it should be running, start it.`;
  } else if (!RUNNING_STATUSES.has(fact.status)) {
    explanation = staleCause(fact.status, {
      unknown: 'the old backup',
      possible: 'otherwise the daily automated backups have stopped or are failing.',
      none: 'it: the daily automated backups have stopped or are failing.',
      subject: 'instance state',
    });
  }
  return {
    status: 'FAILED',
    description: `${resourceLabel(fact)} has point-in-time recovery off, so only its daily backups can be restored: ${age}, more than the ${DAILY_BACKUP_MAX_AGE_HOURS} h allowed.${explanation}`,
    observed,
    required,
    drifting: BACKUP_AGE_DRIFTING,
    // A status that proves no restore runs (being deleted, a suspension for its key) names its own fix.
    remediationText:
      provenStatusRemediation(fact) ??
      'Check the backup runs of this instance (`gcloud sql backups list`) for failed runs and their errors, take an on-demand backup now, and turn point-in-time recovery on (pitr.enabled).',
  };
}
