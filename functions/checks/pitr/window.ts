/**
 * `pitr.window`: the restore window that really exists reaches back at least `minPitrDays`.
 * No peer checks this: a retention setting says what the cloud will keep, the window says what it
 * keeps now (RDS `DescribeDBInstanceAutomatedBackups` -> `RestoreWindow.EarliestTime`, Aurora
 * `EarliestRestorableTime`, Cloud SQL `getLatestRecoveryTime.earliestRecoveryTime`).
 *
 * Window = now - earliest restorable time.
 * - window >= minPitrDays (minus the tolerance) -> PASSED. The tolerance never exceeds
 *   WINDOW_TOLERANCE_MS (an hour): an RDS DB instance's is the length L of its backup window
 *   (`PreferredBackupWindow`, 30 minutes up to many hours) up to that hour, plus the clock-skew margin.
 *   Its window starts at the oldest daily snapshot it keeps, and each snapshot starts anywhere in that
 *   backup window, so the window moves in about [(R - 1) days - L, R days] with a retention of R; a
 *   longer L is no reason to pass a window hours short of the target (`toleranceOf`). A backup window
 *   not sent (or not readable) is assumed to be an hour long, and every finding it could change says
 *   so. Aurora and Cloud SQL keep a fixed hour: their PITR windows are kept continuously, and a Cloud
 *   SQL backup-only window is not read against its backup start time.
 *   The window is measured from its earliest time to now, but ends at its latest: a latest restorable
 *   time (a backup-only window's newest backup) older than pitr.lag allows does not change this
 *   verdict, on any cloud (pitr.lag FAILs it), and a PASS then says where the window ends.
 * - window shorter, configured retention >= minPitrDays -> WARNING "N of 30 days accrued", with the
 *   date it completes (earliest + minPitrDays): the configuration is right and the window grows by a
 *   day per day until it gets there.
 * - RDS DB instance with a retention below the one that holds the target all day (target + 1, or
 *   target + 1 + ceil(L / 24 h) when L is longer than the PASS tolerance: `retentionToHold`,
 *   commands.ts) and a window in its daily swing -> WARNING for the steady state, with no completion
 *   date: an instance restores from its oldest automated daily snapshot, which is between R - 1 and R
 *   days old and started anywhere in its backup window, so its window is shorter than the target
 *   part of every day; the remediation names that retention, capped at the RDS maximum, or shortening
 *   the backup window to an hour (`dailySnapshotShortfall`). This is judged before the window's
 *   length, so the hours before the daily snapshot, when the window reaches the target, are a WARNING
 *   too: the verdict does not change with the time of day. A database younger than its retention has
 *   expired no snapshot yet: its window is still filling (the filling WARNING below), and when it
 *   already reaches the target, a WARNING that it will not hold once filled.
 * - window shorter, retention < minPitrDays -> FAILED: the window can never grow past the retention.
 * - backups off, or no earliest time -> FAILED: there is no window; but a new database (status
 *   `creating` or created within a day) with no restore time at all -> NOT_AVAILABLE, saying it is
 *   new (wording.ts, `newWithoutRestorePoint`): its first backup is still being taken.
 * - window unknown -> NOT_AVAILABLE.
 * - the database's status can override all of these (status.ts): being deleted, its KMS key out of
 *   reach or `incompatible-restore` -> FAILED; suspended, failed to be made, or a status not sent or
 *   not known -> NOT_AVAILABLE instead of PASSED or WARNING.
 *
 * Filling versus shrank, from one observation. The check sees one snapshot in time: the earliest
 * restorable time, the configured retention and (when the adapter knows it) the creation time. A
 * window in steady state reaches back min(retention, age of the database); anything shorter means
 * history is missing. The check tells the cases apart like this:
 * - Retention < target and the window is also shorter than min(retention, age) by more than a day
 *   and the tolerance (daily snapshots and daily log purges make the window wobble by up to a day,
 *   and a snapshot is taken anywhere in its backup window, of 30 minutes or more): history the
 *   retention should have kept is gone, so the window shrank (backups turned off and on, a restore
 *   that replaced the database, the retention lowered further) or it is refilling after such a
 *   loss. FAILED, and the description says "shorter than the retention allows".
 * - Retention >= target: a short window is what a recent retention increase looks like, and it is
 *   also what a loss followed by refilling looks like. Both complete on earliest + target if nothing
 *   else happens, so the check reports WARNING with that date; when the database is known to be
 *   older than the window, the description says older history existed and was removed, which is
 *   expected only if the retention was raised recently.
 * What one observation cannot tell: whether the window is actually growing. A window that is stuck
 * or shrinking while the retention says 30 looks the same as one filling; only a second run (the
 * earliest time must not move while the window is below the retention) can show it, which is why
 * the WARNING names the completion date: a window that is still short after that date is a loss.
 *
 * Cloud SQL specifics.
 * - The bound is the edition's: below ENTERPRISE_PLUS (an instance without an edition is
 *   ENTERPRISE-class) logs are kept at most 7 days, so a longer target is impossible there. The
 *   finding then says so and points to pitr.retention (upgrade the edition, or daily backups and
 *   dumps) instead of naming a retention the platform refuses.
 * - With the transaction logs on disk, Cloud SQL reports no window, and the adapter derives one from
 *   the oldest automated backup and `transactionLogRetentionDays` (`derived`): the most those
 *   settings let it reach. It proves a window too short; one that reaches the target is
 *   NOT_AVAILABLE, since the logs may not reach back the days set yet (point-in-time recovery turned
 *   on, or the days raised, since).
 * - With point-in-time recovery off, the adapter's window comes from the automated backup runs: a
 *   backup-only window, whose bound is the number of retained daily backups
 *   (`backupRetentionSettings.retainedBackups`), not `transactionLogRetentionDays`.
 * - On the enhanced backup tier the backups are in a Backup and DR vault and a point-in-time restore
 *   starts from its data source, which neither backupRuns.list nor getLatestRecoveryTime reports:
 *   NOT_AVAILABLE, naming the plan (wording.ts, `judgedThroughBackupPlan`).
 */
import type { Check, CheckOutcome } from '../../core/check.ts';
import { BACKUP_PLAN_BACKUPS, type PitrFact } from '../../core/facts.ts';
import { CLOCK_SKEW_TOLERANCE_MS, DAY_MS, HOUR_MS, isoTimeText, MINUTE_MS } from '../../core/time.ts';
import {
  backupWindowClause,
  backupWindowPassToleranceMs,
  dailySwingRange,
  enableBackupsStep,
  longBackupWindowOf,
  patchCloudSql,
  restoresFromDailySnapshots,
  retentionStep,
  retentionToHold,
  retentionToSet,
  shortenBackupWindowCommand,
  WINDOW_TOLERANCE_MS,
} from './commands.ts';
import { DAILY_BACKUP_MAX_AGE_HOURS, switchLogsRemediation } from './lag.ts';
import { judgedWithStatus } from './status.ts';
import {
  automatedBackupsOff,
  BACKUP_PLAN_RESTORE,
  CREATED_FIELD,
  CREATED_NOUN,
  capitalize,
  cloudSqlLogDaysNotJudged,
  createTimeRemediation,
  DOCS,
  earliestAfterLatest,
  formatDays,
  formatLag,
  formatTime,
  judgedThroughBackupPlan,
  judgedThroughPrimary,
  logCapClause,
  maxRetentionDays,
  newWithoutRestorePoint,
  notAvailable,
  PITR_RESOURCE_TYPES,
  pointBeforeCreated,
  resourceLabel,
  retentionNotJudged,
  roundDays,
  valueOrNull,
} from './wording.ts';

/**
 * The window slides every day (its earliest point moves with each daily snapshot) and a filling
 * window grows by a day a day: not news on their own, only a change of status is.
 */
const WINDOW_DRIFTING = ['windowDays', 'earliestRestorableTime', 'windowCompleteAt'] as const;

export { WINDOW_TOLERANCE_MS };

/**
 * The backup window assumed for an RDS DB instance whose `PreferredBackupWindow` was not sent or
 * could not be read: an hour, twice the 30 minutes RDS picks by default ("a 30-minute window
 * selected at random from an 8-hour block of time for each Amazon Web Services Region", RDS API
 * reference, CreateDBInstance), which every finding it could change states.
 */
const ASSUMED_BACKUP_WINDOW_MS = HOUR_MS;

/**
 * How far a window may sit short of the target and still pass, how far its daily swing reaches
 * beyond the ends of [retention - 1, retention] days, and the assumption made when the backup window
 * they derive from is not known.
 */
export interface Tolerance {
  /** A window this much short of the target passes: never more than WINDOW_TOLERANCE_MS and the skew. */
  readonly passMs: number;
  /**
   * How far a daily-snapshot window moves beyond [retention - 1, retention] days in its steady state
   * (the whole backup window and the skew): it tells the steady state from a window still filling or
   * shrunk, and never makes a window pass.
   */
  readonly swingMs: number;
  /** The sentence that says what was assumed in place of a backup window not known. */
  readonly assumed?: string;
}

/**
 * The tolerances of a window. An RDS DB instance's window starts at the oldest daily snapshot it
 * keeps, and each snapshot starts anywhere in the backup window ("The daily time range during which
 * automated backups are created", `PreferredBackupWindow`, at least 30 minutes, RDS API reference):
 * the oldest one kept can start up to the backup window's length later or earlier in its day than
 * the one that just expired, so the window may be that much short of retention - 1 days right after
 * a snapshot, and that much beyond the retention right before one. That whole length tells the
 * steady state from a window filling or shrunk (`swingMs`). A PASS absorbs it only up to an hour
 * (`passMs`, `backupWindowPassToleranceMs`): a longer backup window means a window that really is
 * hours short of the target part of every day, which the steady-state WARNING reports with the
 * retention that closes it; a 30-minute one absorbs only its 30 minutes. The clock-skew margin is
 * added, as for every time the cloud reports. A window that crosses midnight (`23:00-01:00`) is as
 * long as its span (the adapter measures it so). Continuously kept windows (Aurora, Cloud SQL) and
 * Cloud SQL's backup-only windows keep {@link WINDOW_TOLERANCE_MS}. pitr.cross-region holds a
 * replicated backup to the same figures: its daily snapshots are the source's, taken in the source's
 * backup window ("RDS initiates a cross-Region copy of all snapshots and transaction logs", RDS user
 * guide, USER_ReplicateBackups).
 */
export function toleranceOf(fact: PitrFact, backupOnly = false): Tolerance {
  if (!restoresFromDailySnapshots(fact) || backupOnly)
    return { passMs: WINDOW_TOLERANCE_MS, swingMs: WINDOW_TOLERANCE_MS };
  const window = fact.dailyBackupWindow;
  if (window?.known) {
    return {
      passMs: backupWindowPassToleranceMs(window.lengthMs),
      swingMs: window.lengthMs + CLOCK_SKEW_TOLERANCE_MS,
    };
  }
  const reason = window?.reason ?? 'the backup window (PreferredBackupWindow) is not known';
  return {
    passMs: ASSUMED_BACKUP_WINDOW_MS + CLOCK_SKEW_TOLERANCE_MS,
    swingMs: ASSUMED_BACKUP_WINDOW_MS + CLOCK_SKEW_TOLERANCE_MS,
    assumed: `${reason}, so the daily snapshot is assumed to start at most an hour apart from one day to the next (a backup window of an hour; RDS's default is 30 minutes, and a longer one would allow more).`,
  };
}

/**
 * How far below min(retention, age) a window may sit (with WINDOW_TOLERANCE_MS, `reachesSteadyState`)
 * before the check calls it shorter than the retention allows: RDS takes and expires snapshots daily
 * and Cloud SQL purges logs daily.
 */
const STEADY_STATE_WOBBLE_MS = DAY_MS;

/**
 * What a daily-snapshot window of a retention too short to hold the target all day means, or
 * undefined when the retention holds it or the database keeps its window continuously. An RDS DB
 * instance restores to a point in time from an automated daily snapshot and replays logs from there
 * ("transaction logs are applied to the most appropriate daily backup", RDS user guide on automated
 * backups), and its earliest restorable time follows the oldest snapshot it keeps (moto #5634: on AWS
 * EarliestRestorableTime depends on the retention, the backup window and the oldest snapshot). That
 * snapshot is between R - 1 and R days old, and it started anywhere in the backup window, so the
 * window sits between R - 1 days less up to the backup window's length and R days. A retention equal
 * to the target keeps a window shorter than the target part of every day, and so does a retention a
 * day above it when the backup window is longer than a PASS absorbs (an hour and the skew): no
 * completion date ever comes. The retention that holds the target all day is `retentionToHold`'s
 * (commands.ts), the one every remediation names. Aurora backs up continuously (its window is the
 * retention), Cloud SQL is judged apart.
 */
function dailySnapshotShortfall(
  fact: PitrFact,
  bound: WindowBound,
  retention: number,
  minPitrDays: number,
): { readonly range: string; readonly advice: string } | undefined {
  const holding = retentionToHold(fact, minPitrDays);
  if (!restoresFromDailySnapshots(fact) || bound.backupOnly || retention >= holding) return undefined;
  const range = dailySwingRange(fact, retention);
  const long = longBackupWindowOf(fact);
  const above = holding - minPitrDays;
  // Two days at most: a backup window is shorter than a day (hh24:mi-hh24:mi).
  const by = above === 1 ? 'one day' : above === 2 ? 'two days' : `${above} days`;
  // Shortening the backup window to an hour brings the retention needed back to a day above the
  // target, when RDS allows that.
  const shorten =
    long && minPitrDays + 1 <= bound.max
      ? ` Or shorten ${backupWindowClause(long)} to an hour: \`${shortenBackupWindowCommand(fact, long)}\`; a snapshot then starts at most an hour later in its day than the one before, and a retention of ${minPitrDays + 1} days then holds ${minPitrDays} days all day.`
      : '';
  const advice =
    holding > bound.max
      ? `RDS keeps at most ${bound.max} days, so no retention keeps a window of ${minPitrDays} days all day on this instance${long ? ` with ${backupWindowClause(long)}` : ''}: keep manual snapshots or pg_dump files covering the oldest day, or set the target to ${bound.max - above} days.${shorten}`
      : `Raise the retention ${by} above the target: ${retentionStep(fact, holding)}; the oldest daily snapshot is then kept ${by} longer and the window reaches back ${dailySwingRange(fact, holding)}, so it holds ${minPitrDays} days all day.${shorten}`;
  return { range, advice };
}

/**
 * A window between retention - 1 and retention days (each end widened by the tolerance, for a
 * snapshot taken anywhere in its backup window): where a daily-snapshot window sits all day once
 * filled.
 */
export function inDailySwing(windowMs: number, retention: number, toleranceMs: number): boolean {
  const retentionMs = retention * DAY_MS;
  return reachesSteadyState(windowMs, retentionMs, toleranceMs) && windowMs <= retentionMs + toleranceMs;
}

/**
 * The window is no more than a day (the daily wobble) and the tolerance short of `allowsMs`: a daily
 * snapshot is taken anywhere in its backup window, so the oldest one kept can be up to that window's
 * length younger than retention - 1 days right after the one before it expired (`toleranceOf`).
 */
function reachesSteadyState(windowMs: number, allowsMs: number, toleranceMs: number): boolean {
  return windowMs + STEADY_STATE_WOBBLE_MS + toleranceMs >= allowsMs;
}

/** Where `backupRetentionSettings.retainedBackups` is quoted for a backup-only window. */
const RETAINED_BACKUPS_SOURCE = 'settings.backupConfiguration.backupRetentionSettings.retainedBackups';

/**
 * What bounds the window: the PITR retention, or for a Cloud SQL instance with point-in-time
 * recovery off, the retained daily backups (its only restore points).
 */
interface WindowBound {
  /** Days the bound lets the window reach back; undefined when unreadable. */
  readonly days: number | undefined;
  /** The field it comes from, quoted in findings. */
  readonly source: string;
  /** The window holds only backups: PITR is off on Cloud SQL. */
  readonly backupOnly: boolean;
  /** Days the platform allows at most (the edition's log cap on Cloud SQL). */
  readonly max: number;
  /** For a backup-only window: the retained daily backups (N of them span N - 1 days). */
  readonly backups?: number | undefined;
  /**
   * Cloud SQL: why the log days sent are no bound (wording.ts `cloudSqlLogDaysNotJudged`); `days` is
   * then undefined, as pitr.retention does not judge them either.
   */
  readonly notJudged?: string | undefined;
}

function boundOf(fact: PitrFact): WindowBound {
  if (fact.kind === 'cloudsql-instance' && fact.pointInTimeRecoveryEnabled === false) {
    const backups = fact.cloudSql?.retainedBackups;
    return {
      // N daily backups reach back N - 1 days: the oldest is N - 1 days older than the newest.
      days: backups === undefined ? undefined : Math.max(0, backups - 1),
      backups,
      source: RETAINED_BACKUPS_SOURCE,
      backupOnly: true,
      // Cloud SQL keeps up to 365 automated backups on every edition.
      max: 365,
    };
  }
  const notJudged = cloudSqlLogDaysNotJudged(fact);
  return {
    days: notJudged === undefined ? fact.retentionDays : undefined,
    source: fact.retentionSource,
    backupOnly: false,
    max: maxRetentionDays(fact),
    ...(notJudged === undefined ? {} : { notJudged }),
  };
}

/**
 * The remediation for a window that must reach further than the bound lets it: raise the bound, or,
 * when the target is beyond what the platform allows (Cloud SQL below ENTERPRISE_PLUS), say that it
 * is impossible and point to pitr.retention, with no command the platform would refuse.
 */
function extendAdvice(fact: PitrFact, bound: WindowBound, minPitrDays: number, windowDays: number): string {
  const gap = `keep pg_dump files or manual snapshots for the gap meanwhile`;
  if (bound.backupOnly) {
    return `Keep at least ${minPitrDays} daily backups: \`${patchCloudSql(fact, `--retained-backups-count=${minPitrDays + 1}`)}\`; the backup-only window then grows by one day per day and holds ${minPitrDays} days about ${formatDays(Math.max(0, minPitrDays - windowDays))} days after the change; ${gap}. Restoring to any point in time, not only to a daily backup, also needs point-in-time recovery on (pitr.enabled).`;
  }
  if (minPitrDays > bound.max) {
    return `The ${minPitrDays}-day target is impossible on this edition: ${logCapClause(fact, bound.max)}, so no retention setting makes this window reach ${minPitrDays} days. Follow pitr.retention: upgrade to Enterprise Plus (transaction logs up to 35 days), or keep at least ${minPitrDays} daily backups and pg_dump files and accept that a restore older than ${bound.max} days lands on a daily backup. See ${DOCS.cloudSqlPitr}.`;
  }
  const retention = retentionToSet(fact, minPitrDays);
  return `Raise the retention (pitr.retention): ${retentionStep(fact, retention.days)}${retention.why}. The window then grows by one day per day and holds ${minPitrDays} days about ${formatDays(Math.max(0, minPitrDays - windowDays))} days after the change; ${gap}.`;
}

/** What is observed when the window is not measured. */
function observedUnknown(fact: PitrFact) {
  return { windowDays: null, retentionDays: valueOrNull(fact.retentionDays) };
}

/**
 * NOT_AVAILABLE when the reported times give the window no length: an earliest restorable time later
 * than this run's clock (a slow clock, or a time the cloud got wrong) measures nothing, as pitr.lag
 * says of such a latest time, and one after the latest restorable time leaves no point in time
 * between them, so the answer contradicts itself, as does an earliest time before the database's
 * creation time (Cloud SQL `createTime`, RDS `InstanceCreateTime`, Aurora `ClusterCreateTime`; not
 * sent, not judged). Each would otherwise read as a window that is still filling or has shrunk (or,
 * in the last two cases, pass). Beyond the clock-skew margin only.
 */
function unmeasurableWindow(
  fact: PitrFact,
  earliest: Date,
  latest: Date | undefined,
  now: Date,
  source: string,
  minPitrDays: number,
): CheckOutcome | undefined {
  const afterNow = earliest.getTime() - now.getTime() > CLOCK_SKEW_TOLERANCE_MS;
  const afterLatest = earliestAfterLatest(earliest, latest);
  // A database restores only from its own backups and logs, none older than the database: a Cloud
  // SQL name can be reused right after a delete (the adapter drops backup runs from before createTime
  // as an earlier instance's for the same reason), an RDS DB instance restores from its own automated
  // backup (matched by its DbiResourceId) and an Aurora cluster from its own continuous backup. An
  // earlier time claims history the database never had.
  const created = fact.createdAt;
  const beforeCreated = pointBeforeCreated(earliest, created);
  if (!afterNow && !afterLatest && !beforeCreated) return undefined;
  const why = afterNow
    ? `the earliest restorable time ${formatTime(earliest)} (${source}) is later than this run's clock (${formatTime(now)})`
    : afterLatest
      ? `the earliest restorable time ${formatTime(earliest)} (${source}) is after its latest restorable time ${formatTime(latest as Date)}, so no point in time lies between them`
      : `the earliest restorable time ${formatTime(earliest)} (${source}) is before the ${CREATED_NOUN[fact.kind]} was created (${CREATED_FIELD[fact.kind]} ${formatTime(created as Date)}), and no backup or log of this ${CREATED_NOUN[fact.kind]} is older than the ${CREATED_NOUN[fact.kind]}`;
  return {
    status: 'NOT_AVAILABLE',
    description: `${resourceLabel(fact)}: ${why}, so the restore window cannot be measured.`,
    observed: {
      windowDays: null,
      earliestRestorableTime: isoTimeText(earliest),
      ...(latest ? { latestRestorableTime: isoTimeText(latest) } : {}),
      ...(beforeCreated && !afterNow && !afterLatest ? { createdAt: isoTimeText(created as Date) } : {}),
      retentionDays: valueOrNull(fact.retentionDays),
    },
    required: { windowDays: minPitrDays },
    remediationText: afterNow
      ? 'Check the clock of the machine that runs the audit (it must follow NTP), then run the audit again.'
      : 'Run the audit again; if the times stay contradictory, look at the restore window of this database in the console and report the answer.',
  };
}

/** `pitr.window`: the real restore window reaches back >= `minPitrDays`. */
export const pitrWindowCheck: Check<PitrFact> = {
  metadata: {
    id: 'pitr.window',
    group: 'pitr',
    title: 'The real restore window reaches back the policy minimum',
    failedTitle: 'The real restore window is shorter than the policy minimum',
    severity: 'HIGH',
    rationale:
      'A retention setting is a promise about the future: after it is raised the window needs that many days to fill, and backups lost to a disabled retention or a replaced instance never come back. Only the earliest restorable time the cloud reports shows how far back certctl can really be restored today, and only while the database is not being deleted or cut off from the KMS key its backups are encrypted with.',
    remediation: {
      text: 'Keep the retention at or above the policy minimum and let the window fill (an RDS DB instance or a Multi-AZ DB cluster needs a day more, two when its backup window is longer than an hour, since its window starts at the oldest daily snapshot it keeps); if it does not grow by a day each day, find what removed backups (retention lowered, backups turned off, instance replaced). Until it is complete, keep pg_dump files or manual snapshots that cover the gap.',
      url: DOCS.rdsPointInTimeRestore,
      urls: { gcp: DOCS.cloudSqlPitr },
    },
    resourceTypes: PITR_RESOURCE_TYPES,
  },
  evaluate(fact, { policy, now }): CheckOutcome {
    const minPitrDays = policy.pitr.minPitrDays;
    const required = { windowDays: minPitrDays };
    // Before the status (status.ts): a secondary's own status tells nothing of the primary's window,
    // and on the enhanced tier the vault's enforced retention, not the instance, outlives a deletion.
    const throughPrimary = judgedThroughPrimary(fact, 'the restore window', observedUnknown(fact), required);
    if (throughPrimary) return throughPrimary;
    const throughPlan = judgedThroughBackupPlan(
      fact,
      {
        subject: 'the restore window',
        governedBy: BACKUP_PLAN_RESTORE,
        verify: `that the backups of the instance's data source reach back at least ${minPitrDays} days: ${BACKUP_PLAN_BACKUPS}`,
      },
      observedUnknown(fact),
      required,
    );
    if (throughPlan) return throughPlan;
    // Whether backups are on decides between an empty window and one the times do not show; a
    // status that proves no restore runs decides before it, as it does over any window (status.ts).
    const notJudged = retentionNotJudged(fact, 'the restore window', observedUnknown(fact), required);
    if (notJudged) return judgedWithStatus(fact, notJudged, observedUnknown(fact), required);
    return judgedWithStatus(
      fact,
      judgeWindow(fact, minPitrDays, now, policy.pitr.maxRestoreLagMinutes),
      observedUnknown(fact),
      required,
    );
  },
};

/**
 * What a PASS says of a latest restorable time (a backup-only window: its newest backup) older than
 * pitr.lag allows: the window is measured from its earliest time to now, but ends at its latest, so a
 * pass on its reach must not read as a window that runs up to now. Judging that is pitr.lag's, on
 * RDS, Aurora and Cloud SQL alike; nothing is said of one within what pitr.lag allows.
 */
function staleLatestNote(
  latest: Date | undefined,
  backupOnly: boolean,
  now: Date,
  maxLagMinutes: number,
): string {
  if (latest === undefined) return '';
  const lagMs = now.getTime() - latest.getTime();
  const allowedMs = backupOnly ? DAILY_BACKUP_MAX_AGE_HOURS * HOUR_MS : maxLagMinutes * MINUTE_MS;
  if (lagMs <= allowedMs) return '';
  return ` ${backupOnly ? 'Its newest automated backup' : 'Its latest restorable time'} is ${formatTime(latest)}, ${formatLag(lagMs / MINUTE_MS)} ago: the window ends there, and pitr.lag judges how current it is.`;
}

/** The window's own verdict, before the database's status is read (status.ts). */
function judgeWindow(fact: PitrFact, minPitrDays: number, now: Date, maxLagMinutes: number): CheckOutcome {
  const window = fact.restoreWindow;
  const required = { windowDays: minPitrDays };
  const backupsOff = automatedBackupsOff(fact);
  // Backups off proves there is no window whatever the window's read said: Cloud SQL refuses
  // getLatestRecoveryTime for an instance without point-in-time recovery (400 FAILED_PRECONDITION),
  // and that refusal is no reason to leave the verdict open.
  if (!window.known && !backupsOff) {
    return notAvailable(fact, 'the restore window', window.reason, observedUnknown(fact), required, window);
  }
  const earliestSent = window.known ? window.earliest : undefined;
  const latest = fact.latestRestorableTime ?? (window.known ? window.latest : undefined);
  if (!backupsOff && window.known && window.firstBackupPending && latest !== undefined) {
    // A latest time sent beside a backup still waiting for its first snapshot proves no restore
    // point: a point-in-time restore starts from a snapshot (pitr.lag says the same).
    return notAvailable(
      fact,
      'the restore window',
      `${window.source}: its automated backup is waiting for its first automated snapshot, so no point in time can be restored yet, whatever latest restorable time (${formatTime(latest)}) is sent`,
      { windowDays: null, earliestRestorableTime: null, retentionDays: valueOrNull(fact.retentionDays) },
      required,
    );
  }
  if (!backupsOff && earliestSent === undefined && latest !== undefined) {
    // A database that reports a latest restorable time can be restored to a point in time: a
    // missing earliest time is a value the API did not send, not an empty window (pitr.lag
    // judges the same database from that latest time).
    return notAvailable(
      fact,
      'the earliest restorable time',
      `${window.known ? window.source : 'the database'} reported none although the database can be restored up to ${formatTime(latest)}`,
      { windowDays: null, earliestRestorableTime: null, retentionDays: valueOrNull(fact.retentionDays) },
      required,
    );
  }
  const isNew = newWithoutRestorePoint(
    fact,
    'the restore window',
    { windowDays: null, earliestRestorableTime: null, retentionDays: valueOrNull(fact.retentionDays) },
    required,
    now,
  );
  if (isNew) return isNew;
  if (backupsOff || !window.known || window.earliest === undefined) {
    return {
      status: 'FAILED',
      description: backupsOff
        ? `${resourceLabel(fact)} has no restore window: automated backups are off.`
        : `${resourceLabel(fact)} has no restore window: ${window.known ? window.source : 'the database'} reports no earliest restorable time, so no point in time can be restored.`,
      observed: {
        windowDays: 0,
        earliestRestorableTime: null,
        retentionDays: valueOrNull(fact.retentionDays),
      },
      required,
      remediationText: backupsOff
        ? `Turn automated backups on (see pitr.enabled): ${enableBackupsStep(fact, minPitrDays)}${fact.kind === 'cloudsql-instance' ? ', with the retention pitr.retention names' : ''}. The window starts filling from that moment.`
        : 'If the database was created or had backups turned on within the last day, the first automated backup may still be running; otherwise check the backup status in the console and the pitr.enabled finding.',
    };
  }

  const earliest = window.earliest;
  const unmeasurable = unmeasurableWindow(fact, earliest, latest, now, window.source, minPitrDays);
  if (unmeasurable) return unmeasurable;
  const bound = boundOf(fact);
  const windowMs = Math.max(0, now.getTime() - earliest.getTime());
  const windowDays = windowMs / DAY_MS;
  const retention = bound.days;
  const observed = {
    windowDays: roundDays(windowDays),
    earliestRestorableTime: isoTimeText(earliest),
    retentionDays: valueOrNull(fact.retentionDays),
    ...(bound.backupOnly
      ? { retainedBackups: valueOrNull(bound.backups), pointInTimeRecoveryEnabled: false }
      : {}),
  };
  const reachesBack = bound.backupOnly
    ? `${resourceLabel(fact)} has a backup-only window (point-in-time recovery is off, so only its automated daily backups are restore points): the oldest is from ${formatTime(earliest)} (${window.source})`
    : `${resourceLabel(fact)} can be restored back to ${formatTime(earliest)} (${window.source})`;
  const reach = `${reachesBack}: ${formatDays(windowDays)} days`;
  const tolerance = toleranceOf(fact, bound.backupOnly);
  const reachesTarget = windowMs + tolerance.passMs >= minPitrDays * DAY_MS;
  // What was assumed for a backup window not known, said wherever the tolerance could change the
  // verdict: every finding but a window that holds the target outright.
  const assumed = tolerance.assumed ? ` ${tolerance.assumed}` : '';

  const shortfall =
    retention !== undefined && retention >= minPitrDays
      ? dailySnapshotShortfall(fact, bound, retention, minPitrDays)
      : undefined;
  const ageMs = fact.createdAt ? Math.max(0, now.getTime() - fact.createdAt.getTime()) : undefined;
  const ageDays = ageMs !== undefined ? formatDays(ageMs / DAY_MS) : undefined;
  // A database younger than its retention has expired no snapshot yet: its window is still filling,
  // whatever length it has, and is not the steady state (unknown age: the steady state is assumed).
  const youngerThanRetention = ageMs !== undefined && retention !== undefined && ageMs < retention * DAY_MS;
  const long = longBackupWindowOf(fact);
  const startsIn = long ? ` and starts each one anywhere in ${backupWindowClause(long)}` : '';
  const inSwing =
    shortfall !== undefined &&
    retention !== undefined &&
    inDailySwing(windowMs, retention, tolerance.swingMs);
  if (shortfall && inSwing && youngerThanRetention && reachesTarget) {
    // Enough today, but the retention will not hold it once the oldest snapshot starts expiring: not
    // a PASS that flips to the steady-state WARNING within days.
    return {
      status: 'WARNING',
      description: `${reach}, enough now but not once it is filled: the database is ${ageDays} days old, younger than its retention of ${retention} days, so the window is still filling; RDS restores to a point in time from the oldest automated daily snapshot it keeps${startsIn}, so once filled a retention of ${retention} days keeps it ${shortfall.range}, shorter than the ${minPitrDays} days required for part of every day.${assumed}`,
      observed,
      required,
      drifting: WINDOW_DRIFTING,
      remediationText: shortfall.advice,
    };
  }
  if (shortfall && inSwing && !youngerThanRetention) {
    // The steady state of the retention, not a window still filling: it will not grow further. Judged
    // before the window's length, so the verdict does not change with the time of day (the window
    // reaches the target only in the last hours before the oldest snapshot expires).
    return {
      status: 'WARNING',
      description: `${reach}, ${reachesTarget ? 'enough now but not all day' : `short of the ${minPitrDays} days required`}. This is the steady state, not a window still filling: RDS restores to a point in time from the oldest automated daily snapshot it keeps${startsIn}, so a retention of ${retention} days keeps it ${shortfall.range}, shorter than the ${minPitrDays} days required for part of every day.${assumed}`,
      observed,
      required,
      drifting: WINDOW_DRIFTING,
      remediationText: shortfall.advice,
    };
  }

  if (reachesTarget && window.derived !== undefined) {
    // A window derived from settings is the most they let it reach: the logs may not reach back
    // the days set yet (point-in-time recovery turned on, or the days raised, since), which no API
    // reports. It proves a window too short (below), never one long enough.
    const state = fact.cloudSql?.logStorage;
    return {
      status: 'NOT_AVAILABLE',
      description: `${resourceLabel(fact)}: ${window.derived}, which reaches back ${formatDays(windowDays)} days. That is the most the settings let the window reach, not what exists: the logs are kept only from when point-in-time recovery was turned on or the log days were last raised, which no API reports, so whether it can be restored back the ${minPitrDays} days required is not known.${window.mayIncludeEarlierInstance === undefined ? '' : ` Besides, ${window.mayIncludeEarlierInstance}: the oldest, which the window starts from, may be of an earlier instance.`}`,
      observed: {
        windowDays: null,
        derivedWindowDays: roundDays(windowDays),
        retentionDays: valueOrNull(fact.retentionDays),
        ...(state ? { transactionalLogStorageState: state } : {}),
      },
      required,
      drifting: ['derivedWindowDays'],
      remediationText: state
        ? switchLogsRemediation(
            fact,
            state,
            'Cloud SQL reports the restore window and this check measures it',
          )
        : `Move the transaction logs to Cloud Storage, where Cloud SQL reports the restore window. See ${DOCS.cloudSqlConfigurePitr}.`,
    };
  }
  if (reachesTarget && window.mayIncludeEarlierInstance !== undefined) {
    // The oldest backup may be an earlier instance's of that name: the window is the most it
    // reaches. It proves a window too short (below), never one long enough.
    return {
      status: 'NOT_AVAILABLE',
      description: `${reach}, but ${window.mayIncludeEarlierInstance}: the oldest may be of an earlier instance, so the window may be shorter, and whether it reaches back the ${minPitrDays} days required is not known.`,
      observed: {
        windowDays: null,
        windowDaysAtMost: roundDays(windowDays),
        retentionDays: valueOrNull(fact.retentionDays),
      },
      required,
      drifting: ['windowDaysAtMost'],
      remediationText: createTimeRemediation(fact),
    };
  }
  if (reachesTarget) {
    let shrinking = '';
    if (bound.notJudged !== undefined) {
      shrinking = ` ${capitalize(bound.notJudged)}, so whether the retention keeps the window there is not judged (see pitr.retention).`;
    } else if (retention !== undefined && retention < minPitrDays) {
      shrinking = bound.backupOnly
        ? ` Only ${retention} daily backups are retained (${bound.source}), which will shrink it below that (see pitr.retention).`
        : ` The configured retention of ${retention} days will shrink it below that (see pitr.retention).`;
    }
    return {
      status: 'PASSED',
      description: `${reach}, at least the ${minPitrDays} days required.${shrinking}${windowMs < minPitrDays * DAY_MS ? assumed : ''}${staleLatestNote(latest, bound.backupOnly, now, maxLagMinutes)}`,
      observed,
      required,
      drifting: WINDOW_DRIFTING,
    };
  }

  const olderThanWindow = ageMs !== undefined && ageMs > windowMs + STEADY_STATE_WOBBLE_MS;

  if (retention === undefined) {
    return {
      status: 'FAILED',
      description: `${reach}, short of the ${minPitrDays} days required. ${
        bound.notJudged !== undefined
          ? `${capitalize(bound.notJudged)}, so the log days were not judged and it is unknown whether the window is still filling.`
          : `The ${bound.backupOnly ? 'number of retained backups' : 'retention'} (${bound.source}) could not be read, so it is unknown whether the window is still filling.`
      }${assumed}`,
      observed,
      required,
      drifting: WINDOW_DRIFTING,
      remediationText:
        bound.backupOnly || minPitrDays > bound.max
          ? extendAdvice(fact, bound, minPitrDays, windowDays)
          : `Check the retention (pitr.retention) and keep it at ${minPitrDays} days or more; until the window holds ${minPitrDays} days, keep pg_dump files or manual snapshots that cover the gap.`,
    };
  }

  if (retention < minPitrDays) {
    const allowsMs = Math.min(retention * DAY_MS, ageMs ?? Number.POSITIVE_INFINITY);
    const lost = !reachesSteadyState(windowMs, allowsMs, tolerance.swingMs);
    const allows = bound.backupOnly
      ? `the ${retention} days the ${bound.backups} retained daily backups allow`
      : `the ${retention} days the retention allows`;
    const cap = bound.backupOnly
      ? ` The ${bound.backups} retained daily backups (${bound.source}) cap it: with point-in-time recovery off the window is bounded by the backups kept, not by transactionLogRetentionDays, and cannot grow past ${retention} days (the oldest of ${bound.backups} daily backups is ${retention} days older than the newest).`
      : ` The configured retention of ${retention} days (${bound.source}) caps it: the window cannot grow past ${retention} days.`;
    const impossible =
      !bound.backupOnly && minPitrDays > bound.max
        ? ` The ${minPitrDays}-day target is impossible here: ${logCapClause(fact, bound.max)} (see pitr.retention).`
        : '';
    const why = lost
      ? ` That is shorter than ${allows}${ageDays ? ` (the database is ${ageDays} days old)` : ''}: backups were removed (the window shrank) or it is refilling after such a loss.`
      : cap;
    return {
      status: 'FAILED',
      description: `${reach}, short of the ${minPitrDays} days required.${why}${impossible}${assumed}`,
      observed,
      required,
      drifting: WINDOW_DRIFTING,
      remediationText: extendAdvice(fact, bound, minPitrDays, windowDays),
    };
  }

  const completeAt = new Date(earliest.getTime() + minPitrDays * DAY_MS);
  const history = olderThanWindow
    ? ` The database is ${ageDays} days old, so older restore points existed and were removed: expected if the ${bound.backupOnly ? 'number of retained backups' : 'retention'} was raised recently; otherwise backups were lost (retention lowered, backups turned off, instance replaced) and the window shrank.`
    : '';
  const enough = bound.backupOnly
    ? `The ${bound.backups} retained daily backups (${retention} days) are enough`
    : `The retention of ${retention} days is enough`;
  return {
    status: 'WARNING',
    description: `${reachesBack}: ${formatDays(windowDays)} of ${minPitrDays} days accrued. ${enough}, so the window is still filling and completes on ${formatTime(completeAt)}.${shortfall ? ` It will not stay complete: RDS restores from the oldest daily snapshot it keeps${startsIn}, so once filled it reaches back ${shortfall.range}.` : ''}${history}${assumed}`,
    observed: { ...observed, windowCompleteAt: isoTimeText(completeAt) },
    required,
    drifting: WINDOW_DRIFTING,
    remediationText: `Nothing to change if the ${bound.backupOnly ? 'number of retained backups' : 'retention'} was raised or the database created recently: the window completes on ${formatTime(completeAt)}. Until then keep pg_dump files or manual snapshots covering the ${formatDays(minPitrDays - windowDays)} missing days. ${shortfall ? `If after that date the window is still more than a day short of the retention, backups are being lost: check the automated backups of this database. ${shortfall.advice}` : 'If this finding is still a WARNING after that date, backups are being lost: check the automated backups of this database.'}`,
  };
}
