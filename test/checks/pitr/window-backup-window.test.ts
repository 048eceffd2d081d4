/**
 * pitr.window's tolerance for an RDS DB instance comes from its own backup window
 * (`PreferredBackupWindow`): the daily snapshot its window starts at may start anywhere in that
 * window, which is at least 30 minutes long and may be many hours, so the oldest snapshot kept can
 * be up to the window's length later or earlier in the day than the one that just expired.
 */
import { describe, expect, it } from 'vitest';
import { pitrWindowCheck } from '../../../functions/checks/pitr/window.ts';
import type { DailyBackupWindow } from '../../../functions/core/facts.ts';
import { auroraClusterFact, contextWith, daysAgo, minutesAgo, rdsInstanceFact } from './fixtures.ts';

const MINUTE = 1;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function sent(window: string, lengthMinutes: number): DailyBackupWindow {
  return { known: true, window, lengthMs: lengthMinutes * 60_000 };
}

/** An RDS instance with `retentionDays` whose window reaches back `windowMinutes`. */
function instance(
  windowMinutes: number,
  dailyBackupWindow: DailyBackupWindow | undefined,
  retentionDays = 31,
) {
  return rdsInstanceFact({
    retentionDays,
    dailyBackupWindow,
    restoreWindow: {
      known: true,
      earliest: minutesAgo(windowMinutes),
      latest: minutesAgo(3),
      source: 'DescribeDBInstanceAutomatedBackups RestoreWindow',
    },
  });
}

describe('pitr.window, tolerance from the RDS backup window', () => {
  describe.each([
    // [case, PreferredBackupWindow, its length in minutes]
    ['a 30-minute window', '03:00-03:30', 30],
    ['a 3-hour window', '01:00-04:00', 3 * HOUR],
    ['a 2-hour window that crosses midnight', '23:00-01:00', 2 * HOUR],
  ])('with %s (%s)', (_case, window, length) => {
    it('passes a retention a day above the target right after a snapshot taken earlier in the window than the oldest one kept', () => {
      // Prepare: the oldest snapshot started `length` minutes later in its window than today's, so
      // right after today's the window is 30 days less that.
      const fact = instance(30 * DAY - length, sent(window, length));
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).not.toContain('PreferredBackupWindow');
    });

    it('reports a window more than the backup window short of the target as not complete', () => {
      // Prepare: further back than any snapshot in this backup window explains, by 10 minutes beyond
      // the clock-skew margin.
      const fact = instance(30 * DAY - length - 15, sent(window, length));
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain('of 30 days accrued');
    });

    it('keeps the steady-state warning of a retention equal to the target while the day snapshot is still to come', () => {
      // Prepare: before today's snapshot the window reaches back 30 days plus up to the window length.
      const fact = instance(30 * DAY + length, sent(window, length), 30);
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain('keeps it between 29 and 30 days');
    });

    it('calls a window capped by a 7-day retention capped, not shrunk, right after a snapshot early in the window', () => {
      // Prepare
      const fact = { ...instance(6 * DAY - length, sent(window, length), 7), createdAt: daysAgo(400) };
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('cannot grow past 7 days');
      expect(outcome?.description).not.toContain('shrank');
    });
  });

  it('does not let a 30-minute backup window hide a window 40 minutes short of the target', () => {
    // Prepare: a fixed one-hour tolerance would pass this.
    const fact = instance(30 * DAY - 40, sent('03:00-03:30', 30));
    // Act
    const outcome = pitrWindowCheck.evaluate(fact, contextWith());
    // Assess
    expect(outcome?.status).toBe('WARNING');
  });

  it('says which assumption it used when DescribeDBInstances sent no PreferredBackupWindow', () => {
    // Prepare
    const unsent: DailyBackupWindow = {
      known: false,
      reason: 'DescribeDBInstances sent no PreferredBackupWindow',
    };
    const withinHour = instance(30 * DAY - 64, unsent);
    const beyondHour = instance(30 * DAY - 66, unsent);
    // Act
    const passed = pitrWindowCheck.evaluate(withinHour, contextWith());
    const filling = pitrWindowCheck.evaluate(beyondHour, contextWith());
    // Assess
    expect(passed?.status).toBe('PASSED');
    expect(filling?.status).toBe('WARNING');
    for (const outcome of [passed, filling]) {
      expect(outcome?.description).toContain(
        'DescribeDBInstances sent no PreferredBackupWindow, so the daily snapshot is assumed to start at most an hour apart from one day to the next',
      );
    }
  });

  it('quotes a PreferredBackupWindow it cannot read instead of evaluating it', () => {
    // Prepare
    const unreadable: DailyBackupWindow = {
      known: false,
      reason: 'PreferredBackupWindow "3am-4am" is not hh24:mi-hh24:mi',
    };
    // Act
    const outcome = pitrWindowCheck.evaluate(instance(30 * DAY - 30, unreadable), contextWith());
    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain(
      'PreferredBackupWindow "3am-4am" is not hh24:mi-hh24:mi, so the daily snapshot is assumed',
    );
  });

  it('says nothing of a backup window when the window reaches the target outright', () => {
    const unsent: DailyBackupWindow = {
      known: false,
      reason: 'DescribeDBInstances sent no PreferredBackupWindow',
    };
    const outcome = pitrWindowCheck.evaluate(instance(31 * DAY, unsent), contextWith());
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).not.toContain('PreferredBackupWindow');
  });

  it('keeps the one-hour tolerance for an Aurora cluster, whose backups do not follow a backup window', () => {
    // Prepare: Aurora restores continuously, whatever its backup window.
    const fact = auroraClusterFact({
      restoreWindow: { known: true, earliest: daysAgo(30 - 59 / DAY), latest: minutesAgo(2), source: 'x' },
    });
    // Act / Assess
    expect(pitrWindowCheck.evaluate(fact, contextWith())?.status).toBe('PASSED');
    expect(pitrWindowCheck.evaluate(fact, contextWith())?.description).not.toContain('PreferredBackupWindow');
  });
});
