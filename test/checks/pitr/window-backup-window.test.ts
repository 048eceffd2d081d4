/**
 * pitr.window on an RDS DB instance reads its own backup window (`PreferredBackupWindow`): the daily
 * snapshot its window starts at may start anywhere in that window, which is at least 30 minutes long
 * and may be many hours, so the oldest snapshot kept can be up to the window's length later or
 * earlier in the day than the one that just expired. With a retention of R the window moves in about
 * [(R - 1) days - L, R days]. A PASS never allows more than the one-hour tolerance: a longer backup
 * window makes a retention of target + 1 dip below the target part of every day, which is the
 * steady-state WARNING, and the retention named is target + 1 + ceil(L / 24 h).
 */
import { describe, expect, it } from 'vitest';
import { pitrCrossRegionCheck } from '../../../functions/checks/pitr/cross-region.ts';
import { pitrEnabledCheck } from '../../../functions/checks/pitr/enabled.ts';
import { pitrRetentionCheck } from '../../../functions/checks/pitr/retention.ts';
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
  const STEADY = 'This is the steady state, not a window still filling';

  describe.each([
    // [case, PreferredBackupWindow, its length in minutes, the retention that holds 30 days all day]
    // A backup window up to the one-hour tolerance is absorbed by it: 31 days hold 30 all day. A
    // longer one is not: 31 days dip below 30 by up to its length every day, so 32 are named.
    ['a 30-minute window', '03:00-03:30', 30, 31],
    ['a 3-hour window', '01:00-04:00', 3 * HOUR, 32],
    ['a 2-hour window that crosses midnight', '23:00-01:00', 2 * HOUR, 32],
  ])('with %s (%s)', (_case, window, length, holding) => {
    it('judges a retention a day above the target right after a snapshot taken earlier in the window than the oldest one kept: PASSED only within the one-hour tolerance', () => {
      // Prepare: the oldest snapshot started `length` minutes later in its window than today's, so
      // right after today's the window is 30 days less that.
      const fact = instance(30 * DAY - length, sent(window, length));
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      if (holding === 31) {
        expect(outcome?.status).toBe('PASSED');
        expect(outcome?.description).not.toContain('PreferredBackupWindow');
        return;
      }
      // Short by more than the hour a PASS allows, part of every day, every day: the steady state.
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain(STEADY);
      expect(outcome?.description).toContain(`(PreferredBackupWindow ${window} UTC)`);
      expect(outcome?.description).not.toContain('accrued');
      expect(outcome?.description).not.toContain('shrank');
      expect(outcome?.remediationText).toContain(`--backup-retention-period ${holding} `);
      expect(outcome?.remediationText).toContain('--preferred-backup-window');
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
      // A retention that holds the target all day once filled names none; one that does not, the
      // one that would.
      if (holding > 31) expect(outcome?.remediationText).toContain(`--backup-retention-period ${holding} `);
      else expect(outcome?.remediationText).not.toContain('--backup-retention-period');
    });

    it('keeps the steady-state warning of a retention equal to the target while the day snapshot is still to come', () => {
      // Prepare: before today's snapshot the window reaches back 30 days plus up to the window length.
      const fact = instance(30 * DAY + length, sent(window, length), 30);
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain(STEADY);
      expect(outcome?.description).toContain('keeps it between 29');
      expect(outcome?.remediationText).toContain(`--backup-retention-period ${holding} `);
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
      expect(outcome?.remediationText).toContain(`--backup-retention-period ${holding} `);
    });
  });

  describe('with a backup window longer than the one-hour tolerance', () => {
    it.each([
      ['3 hours', '01:00-04:00', 3 * HOUR, 3 * HOUR],
      ['8 hours, measured 3 hours short', '22:00-06:00', 8 * HOUR, 3 * HOUR],
      ['8 hours, measured 8 hours short', '22:00-06:00', 8 * HOUR, 8 * HOUR],
    ])(
      'never passes a window short of the target by more than an hour (%s)',
      (_case, window, length, short) => {
        // Prepare: 31 days keep the window between 30 days less up to the backup window and 31 days.
        const fact = instance(30 * DAY - short, sent(window, length));
        // Act
        const outcome = pitrWindowCheck.evaluate(fact, contextWith());
        // Assess
        expect(outcome?.status).toBe('WARNING');
        expect(outcome?.description).toContain(STEADY);
        expect(outcome?.description).toContain('shorter than the 30 days required for part of every day');
        expect(outcome?.remediationText).toContain(
          '`aws rds modify-db-instance --db-instance-identifier certctl-db --backup-retention-period 32 --apply-immediately --region eu-west-1`',
        );
        expect(outcome?.remediationText).toContain('holds 30 days all day');
        expect(outcome?.observed).not.toHaveProperty('windowCompleteAt');
      },
    );

    it('gives a 31-day retention the steady-state warning all day, also when the window is above the target', () => {
      // Prepare: before today's snapshot, and in the middle of the day.
      const beforeSnapshot = instance(31 * DAY + 2 * HOUR, sent('01:00-04:00', 3 * HOUR));
      const midday = instance(30 * DAY + 12 * HOUR, sent('01:00-04:00', 3 * HOUR));
      // Act / Assess
      for (const fact of [beforeSnapshot, midday]) {
        const outcome = pitrWindowCheck.evaluate(fact, contextWith());
        expect(outcome?.status).toBe('WARNING');
        expect(outcome?.description).toContain('enough now but not all day');
        expect(outcome?.description).toContain(STEADY);
      }
    });

    it('passes a retention of target + 2 over its whole daily swing', () => {
      // Prepare: 32 days keep it between 31 days less up to 3 hours and 32 days.
      const low = instance(31 * DAY - 3 * HOUR, sent('01:00-04:00', 3 * HOUR), 32);
      const high = instance(32 * DAY + 3 * HOUR, sent('01:00-04:00', 3 * HOUR), 32);
      // Act / Assess
      for (const fact of [low, high]) {
        expect(pitrWindowCheck.evaluate(fact, contextWith())?.status).toBe('PASSED');
      }
    });

    it('lets a PASS absorb no more than the one-hour tolerance and the clock-skew margin', () => {
      // Prepare: a retention that holds the target all day, and a window 70 minutes short.
      const fact = instance(30 * DAY - 70, sent('01:00-04:00', 3 * HOUR), 32);
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain('of 30 days accrued');
    });

    it('names shortening the backup window to an hour as the alternative, with the command', () => {
      const outcome = pitrWindowCheck.evaluate(
        instance(30 * DAY - 2 * HOUR, sent('01:00-04:00', 3 * HOUR)),
        contextWith(),
      );
      expect(outcome?.remediationText).toContain(
        '`aws rds modify-db-instance --db-instance-identifier certctl-db --preferred-backup-window 01:00-02:00 --apply-immediately --region eu-west-1`',
      );
      expect(outcome?.remediationText).toContain('a retention of 31 days then holds 30 days all day');
    });

    it('names the RDS maximum with the cap wording when target + 2 is beyond it', () => {
      // Prepare: a 34-day target needs 36 days with a 3-hour backup window; RDS keeps 35 at most.
      const outcome = pitrWindowCheck.evaluate(
        instance(34 * DAY - 2 * HOUR, sent('01:00-04:00', 3 * HOUR), 35),
        contextWith({ pitr: { minPitrDays: 34 } }),
      );
      // Assess
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain(STEADY);
      expect(outcome?.remediationText).toContain(
        'RDS keeps at most 35 days, so no retention keeps a window of 34 days all day on this instance',
      );
      expect(outcome?.remediationText).toContain('or set the target to 33 days');
      expect(outcome?.remediationText).not.toContain('--backup-retention-period 36');
      expect(outcome?.remediationText).toContain('--preferred-backup-window 01:00-02:00');
    });

    it('keeps the still-filling warning, with its completion date, for a database younger than its retention', () => {
      // Prepare: created 30 days less 2 hours ago, its window reaches back to its creation.
      const fact = {
        ...instance(30 * DAY - 2 * HOUR, sent('01:00-04:00', 3 * HOUR)),
        createdAt: minutesAgo(30 * DAY - 2 * HOUR),
      };
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain('of 30 days accrued');
      expect(outcome?.description).toContain('still filling');
      expect(outcome?.description).not.toContain(STEADY);
      expect(outcome?.description).toContain('It will not stay complete');
      expect(outcome?.observed).toHaveProperty('windowCompleteAt');
      expect(outcome?.remediationText).toContain('--backup-retention-period 32 ');
    });

    it('does not pass a database younger than its retention whose window reaches the target only while it fills', () => {
      // Prepare: 30.5 days old, so the first snapshot has not expired yet.
      const fact = {
        ...instance(30.5 * DAY, sent('01:00-04:00', 3 * HOUR)),
        createdAt: minutesAgo(30.5 * DAY),
      };
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain('still filling');
      expect(outcome?.description).not.toContain(STEADY);
      expect(outcome?.remediationText).toContain('--backup-retention-period 32 ');
    });

    it('names the same retention in pitr.retention, pitr.enabled and pitr.cross-region', () => {
      // Prepare
      const long = sent('01:00-04:00', 3 * HOUR);
      const low = { ...instance(20 * DAY, long, 20) };
      const off = { ...instance(0, long, 0), automatedBackupsEnabled: false };
      const unreplicated = {
        ...instance(31 * DAY, long, 32),
        crossRegionBackupTargets: [],
        replicatedBackups: [],
      };
      // Act
      const retention = pitrRetentionCheck.evaluate(low, contextWith());
      const enabled = pitrEnabledCheck.evaluate(off, contextWith());
      const crossRegion = pitrCrossRegionCheck.evaluate(
        unreplicated,
        contextWith({ pitr: { requireCrossRegionBackup: true } }),
      );
      // Assess
      expect(retention?.remediationText).toContain('--backup-retention-period 32 ');
      expect(retention?.remediationText).toContain('two days above the target');
      expect(retention?.remediationText).toContain('PreferredBackupWindow 01:00-04:00 UTC');
      expect(enabled?.remediationText).toContain('--backup-retention-period 32 ');
      expect(crossRegion?.remediationText).toContain('--backup-retention-period 32');
      expect(crossRegion?.remediationText).toContain('two days above the 30-day target');
      // A short backup window keeps a day above.
      const short = sent('03:00-03:30', 30);
      expect(
        pitrRetentionCheck.evaluate(instance(20 * DAY, short, 20), contextWith())?.remediationText,
      ).toContain('--backup-retention-period 31 ');
    });
  });

  it('calls the window of a database younger than a retention equal to the target still filling, not the steady state', () => {
    // Prepare: 29.5 days old with a 30-day retention: no snapshot has expired yet.
    const fact = {
      ...instance(29.5 * DAY, sent('03:00-03:30', 30), 30),
      createdAt: minutesAgo(29.5 * DAY),
    };
    // Act
    const outcome = pitrWindowCheck.evaluate(fact, contextWith());
    // Assess
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain('29.5 of 30 days accrued');
    expect(outcome?.description).not.toContain('This is the steady state');
    expect(outcome?.description).toContain('once filled it reaches back between 29 and 30 days');
    expect(outcome?.remediationText).toContain('--backup-retention-period 31 ');
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
