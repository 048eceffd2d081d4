/**
 * `pitr.window`: the restore window that really exists reaches back at least `minPitrDays`.
 * No peer checks this: a retention setting says what the cloud will keep, the window says what it
 * keeps now (RDS `DescribeDBInstanceAutomatedBackups` -> `RestoreWindow.EarliestTime`, Aurora
 * `EarliestRestorableTime`, Cloud SQL `getLatestRecoveryTime.earliestRecoveryTime`).
 *
 * Window = now - earliest restorable time.
 * - window >= minPitrDays (minus WINDOW_TOLERANCE) -> PASSED.
 * - window shorter, configured retention >= minPitrDays -> WARNING "N of 30 days accrued", with the
 *   date it completes (earliest + minPitrDays): the configuration is right and the window grows by a
 *   day per day until it gets there.
 * - window shorter, retention < minPitrDays -> FAILED: the window can never grow past the retention.
 * - backups off, or no earliest time -> FAILED: there is no window.
 * - window unknown -> NOT_AVAILABLE.
 *
 * Filling versus shrank, from one observation. The check sees one snapshot in time: the earliest
 * restorable time, the configured retention and (when the adapter knows it) the creation time. A
 * window in steady state reaches back min(retention, age of the database); anything shorter means
 * history is missing. The check tells the cases apart like this:
 * - Retention < target and the window is also shorter than min(retention, age) by more than a day
 *   (daily snapshots and daily log purges make the window wobble by up to a day): history the
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
 */
import type { Check } from '../../core/check.ts';
import type { PitrFact } from '../../core/facts.ts';
import { setRetentionCommand } from './commands.ts';
import {
  DAY_MS,
  DOCS,
  formatDays,
  formatTime,
  HOUR_MS,
  notAvailable,
  PITR_RESOURCE_TYPES,
  resourceLabel,
  roundDays,
  valueOrNull,
} from './wording.ts';

/**
 * A window this much short of the target still passes. It absorbs clock skew between this process
 * and the cloud and the minutes-level granularity of restorable times (RDS ships WAL every 5 minutes),
 * so a window at exactly the retention does not flap between PASSED and WARNING.
 */
/**
 * The window slides every day (its earliest point moves with each daily snapshot) and a filling
 * window grows by a day a day: not news on their own, only a change of status is.
 */
const WINDOW_DRIFTING = ['windowDays', 'earliestRestorableTime', 'windowCompleteAt'] as const;

export const WINDOW_TOLERANCE_MS = HOUR_MS;

/**
 * How far below min(retention, age) a window may sit before the check calls it shorter than the
 * retention allows: RDS takes and expires snapshots daily and Cloud SQL purges logs daily.
 */
const STEADY_STATE_WOBBLE_MS = DAY_MS;

/** `pitr.window`: the real restore window reaches back >= `minPitrDays`. */
export const pitrWindowCheck: Check<PitrFact> = {
  metadata: {
    id: 'pitr.window',
    group: 'pitr',
    title: 'The real restore window reaches back the policy minimum',
    severity: 'HIGH',
    rationale:
      'A retention setting is a promise about the future: after it is raised the window needs that many days to fill, and backups lost to a disabled retention or a replaced instance never come back. Only the earliest restorable time the cloud reports shows how far back certctl can really be restored today.',
    remediation: {
      text: 'Keep the retention at or above the policy minimum and let the window fill; if it does not grow by a day each day, find what removed backups (retention lowered, backups turned off, instance replaced). Until it is complete, keep pg_dump files or manual snapshots that cover the gap.',
      url: DOCS.rdsPointInTimeRestore,
    },
    resourceTypes: PITR_RESOURCE_TYPES,
  },
  evaluate(fact, { policy, now }) {
    const minPitrDays = policy.minPitrDays;
    const window = fact.restoreWindow;
    const required = { windowDays: minPitrDays };
    if (!window.known) {
      return notAvailable(
        fact,
        'the restore window',
        window.reason,
        { windowDays: null, retentionDays: valueOrNull(fact.retentionDays) },
        required,
      );
    }
    const backupsOff = fact.automatedBackupsEnabled === false || fact.retentionDays === 0;
    if (backupsOff || window.earliest === undefined) {
      return {
        status: 'FAILED',
        description: backupsOff
          ? `${resourceLabel(fact)} has no restore window: automated backups are off.`
          : `${resourceLabel(fact)} has no restore window: ${window.source} reports no earliest restorable time, so no point in time can be restored.`,
        observed: {
          windowDays: 0,
          earliestRestorableTime: null,
          retentionDays: valueOrNull(fact.retentionDays),
        },
        required,
        remediationText: backupsOff
          ? `Turn automated backups on (see pitr.enabled): \`${setRetentionCommand(fact, minPitrDays)}\`. The window starts filling from that moment.`
          : 'If the database was created or had backups turned on within the last day, the first automated backup may still be running; otherwise check the backup status in the console and the pitr.enabled finding.',
      };
    }

    const earliest = window.earliest;
    const windowMs = Math.max(0, now.getTime() - earliest.getTime());
    const windowDays = windowMs / DAY_MS;
    const retention = fact.retentionDays;
    const observed = {
      windowDays: roundDays(windowDays),
      earliestRestorableTime: earliest.toISOString(),
      retentionDays: valueOrNull(retention),
    };
    const reachesBack = `${resourceLabel(fact)} can be restored back to ${formatTime(earliest)} (${window.source})`;
    const reach = `${reachesBack}: ${formatDays(windowDays)} days`;

    if (windowMs + WINDOW_TOLERANCE_MS >= minPitrDays * DAY_MS) {
      const shrinking =
        retention !== undefined && retention < minPitrDays
          ? ` The configured retention of ${retention} days will shrink it below that (see pitr.retention).`
          : '';
      return {
        status: 'PASSED',
        description: `${reach}, at least the ${minPitrDays} days required.${shrinking}`,
        observed,
        required,
        drifting: WINDOW_DRIFTING,
      };
    }

    const ageMs = fact.createdAt ? Math.max(0, now.getTime() - fact.createdAt.getTime()) : undefined;
    const olderThanWindow = ageMs !== undefined && ageMs > windowMs + STEADY_STATE_WOBBLE_MS;
    const ageDays = ageMs !== undefined ? formatDays(ageMs / DAY_MS) : undefined;

    if (retention === undefined) {
      return {
        status: 'FAILED',
        description: `${reach}, short of the ${minPitrDays} days required. The retention (${fact.retentionSource}) could not be read, so it is unknown whether the window is still filling.`,
        observed,
        required,
        drifting: WINDOW_DRIFTING,
        remediationText: `Check the retention (pitr.retention) and keep it at ${minPitrDays} days or more; until the window holds ${minPitrDays} days, keep pg_dump files or manual snapshots that cover the gap.`,
      };
    }

    if (retention < minPitrDays) {
      const allowsMs = Math.min(retention * DAY_MS, ageMs ?? Number.POSITIVE_INFINITY);
      const lost = windowMs + STEADY_STATE_WOBBLE_MS < allowsMs;
      const why = lost
        ? ` That is shorter than the ${retention} days the retention allows${ageDays ? ` (the database is ${ageDays} days old)` : ''}: backups were removed (the window shrank) or it is refilling after such a loss.`
        : ` The configured retention of ${retention} days (${fact.retentionSource}) caps it: the window cannot grow past ${retention} days.`;
      return {
        status: 'FAILED',
        description: `${reach}, short of the ${minPitrDays} days required.${why}`,
        observed,
        required,
        drifting: WINDOW_DRIFTING,
        remediationText: `Raise the retention (pitr.retention): \`${setRetentionCommand(fact, minPitrDays)}\`. The window then grows by one day per day and holds ${minPitrDays} days about ${formatDays(minPitrDays - windowDays)} days after the change; keep pg_dump files or manual snapshots for the gap meanwhile.`,
      };
    }

    const completeAt = new Date(earliest.getTime() + minPitrDays * DAY_MS);
    const history = olderThanWindow
      ? ` The database is ${ageDays} days old, so older restore points existed and were removed: expected if the retention was raised recently; otherwise backups were lost (retention lowered, backups turned off, instance replaced) and the window shrank.`
      : '';
    return {
      status: 'WARNING',
      description: `${reachesBack}: ${formatDays(windowDays)} of ${minPitrDays} days accrued. The retention of ${retention} days is enough, so the window is still filling and completes on ${formatTime(completeAt)}.${history}`,
      observed: { ...observed, windowCompleteAt: completeAt.toISOString() },
      required,
      drifting: WINDOW_DRIFTING,
      remediationText: `Nothing to change if the retention was raised or the database created recently: the window completes on ${formatTime(completeAt)}. Until then keep pg_dump files or manual snapshots covering the ${formatDays(minPitrDays - windowDays)} missing days. If this finding is still a WARNING after that date, backups are being lost: check the automated backups of this database.`,
    };
  },
};
