import { describe, expect, it } from 'vitest';
import { pitrWindowCheck } from '../../../functions/checks/pitr/window.ts';
import type { RestoreWindow } from '../../../functions/core/facts.ts';
import { instanceReadFailure } from '../../../functions/gcp/cloud-sql.ts';
import {
  auroraClusterFact,
  cloudSqlFact,
  contextWith,
  daysAgo,
  minutesAgo,
  rdsInstanceFact,
} from './fixtures.ts';

const BACKUP_ARN = 'arn:aws:backup:eu-west-1:111122223333:recovery-point:continuous:db-ABC-1a2b3c4d';

function windowFrom(earliest: Date | undefined, source = 'RestoreWindow.EarliestTime'): RestoreWindow {
  return { known: true, earliest, latest: minutesAgo(3), source };
}

describe('pitr.window', () => {
  it('exposes the stable id and metadata when listed in the catalog', () => {
    expect(pitrWindowCheck.metadata).toMatchObject({ id: 'pitr.window', group: 'pitr', severity: 'HIGH' });
  });

  describe('PASSED', () => {
    it('passes when an RDS window reaches back 35 days', () => {
      // Act
      const outcome = pitrWindowCheck.evaluate(rdsInstanceFact(), contextWith());
      // Assess
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.observed).toEqual({
        windowDays: 35,
        earliestRestorableTime: '2026-07-28T12:00:00.000Z',
        retentionDays: 35,
      });
      expect(outcome?.required).toEqual({ windowDays: 30 });
      expect(outcome?.description).toContain('35.0 days');
    });

    it('passes when an Aurora window is 30 minutes short of the target, within the tolerance', () => {
      const fact = auroraClusterFact({
        restoreWindow: windowFrom(new Date(daysAgo(30).getTime() + 30 * 60_000)),
      });
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('PASSED');
    });

    it('passes at exactly the one-hour tolerance and fills a minute beyond it when an Aurora window is just short of 30 days', () => {
      // Prepare: Aurora keeps its window continuously; an RDS DB instance's tolerance comes from its
      // backup window (window-backup-window.test.ts).
      const atTolerance = auroraClusterFact({ restoreWindow: windowFrom(minutesAgo(30 * 24 * 60 - 60)) });
      const beyond = auroraClusterFact({ restoreWindow: windowFrom(minutesAgo(30 * 24 * 60 - 61)) });
      // Act
      const passed = pitrWindowCheck.evaluate(atTolerance, contextWith());
      const filling = pitrWindowCheck.evaluate(beyond, contextWith());
      // Assess
      expect(passed?.status).toBe('PASSED');
      expect(filling?.status).toBe('WARNING');
    });

    it('passes but warns of the coming shrink when the window is long and the retention was lowered', () => {
      const fact = rdsInstanceFact({ retentionDays: 7 });
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).toContain('retention of 7 days will shrink it');
    });

    it('passes as a backup-only window when Cloud SQL PITR is off and 36 daily backups reach back 35 days', () => {
      const fact = cloudSqlFact(
        {
          pointInTimeRecoveryEnabled: false,
          restoreWindow: windowFrom(daysAgo(35), 'backupRuns.list (SUCCESSFUL AUTOMATED runs, PITR off)'),
        },
        { retainedBackups: 36 },
      );
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).toContain('has a backup-only window');
      expect(outcome?.description).toContain('35.0 days, at least the 30 days required');
    });

    it('passes when a Cloud SQL window reaches back 30.5 days', () => {
      const outcome = pitrWindowCheck.evaluate(cloudSqlFact(), contextWith());
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.observed).toMatchObject({ windowDays: 30.5 });
    });
  });

  describe('WARNING', () => {
    it('reports days accrued and the completion date when an Aurora window of 12 days is still filling', () => {
      // Prepare
      const fact = auroraClusterFact({ restoreWindow: windowFrom(daysAgo(12)), createdAt: daysAgo(12) });
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain('12.0 of 30 days accrued');
      expect(outcome?.description).toContain('completes on 2026-09-19 12:00 UTC');
      expect(outcome?.description).not.toContain('were removed');
      expect(outcome?.observed).toEqual({
        windowDays: 12,
        earliestRestorableTime: '2026-08-20T12:00:00.000Z',
        retentionDays: 30,
        windowCompleteAt: '2026-09-19T12:00:00.000Z',
      });
      expect(outcome?.remediationText).toContain('18.0 missing days');
    });

    it('says older history was removed when the database is older than a filling window', () => {
      const fact = rdsInstanceFact({ restoreWindow: windowFrom(daysAgo(4.25)), createdAt: daysAgo(400) });
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain('4.3 of 30 days accrued');
      expect(outcome?.description).toContain(
        'The database is 400.0 days old, so older restore points existed and were removed: expected if the retention was raised recently;',
      );
    });

    describe('an RDS instance whose retention equals the target (restores start from a daily snapshot)', () => {
      // RDS restores to a point in time from the oldest automated daily snapshot it keeps: with a
      // retention of R days that snapshot is between R - 1 and R days old, so RestoreWindow.EarliestTime
      // sits there every day and a window of exactly R days never lasts.
      const steady = (earliestDaysAgo: number, retentionDays = 30) =>
        rdsInstanceFact({ retentionDays, restoreWindow: windowFrom(daysAgo(earliestDaysAgo)) });

      it('warns of the steady state, with no completion date, when a 30-day retention keeps a 29.5-day window', () => {
        const outcome = pitrWindowCheck.evaluate(steady(29.5), contextWith());
        expect(outcome?.status).toBe('WARNING');
        expect(outcome?.description).not.toContain('completes on');
        expect(outcome?.description).toContain(
          'a retention of 30 days keeps it between 29 and 30 days, shorter than the 30 days required for part of every day',
        );
        expect(outcome?.observed).not.toHaveProperty('windowCompleteAt');
        expect(outcome?.remediationText).toContain('--backup-retention-period 31');
        expect(outcome?.remediationText).not.toContain('completes on');
      });

      it('keeps the steady-state warning in the hour before the daily snapshot, when the window is within the tolerance of the target', () => {
        // Prepare: 29 days 23.5 hours, the high end of the daily swing (the oldest snapshot expires soon).
        const outcome = pitrWindowCheck.evaluate(steady(30 - 0.5 / 24), contextWith());
        // Assess
        expect(outcome?.status).toBe('WARNING');
        expect(outcome?.description).toContain('enough now but not all day');
        expect(outcome?.description).toContain('keeps it between 29 and 30 days');
        expect(outcome?.description).not.toContain('short of');
        expect(outcome?.observed).not.toHaveProperty('windowCompleteAt');
        expect(outcome?.remediationText).toContain('--backup-retention-period 31');
      });

      it('keeps the steady-state warning at the moment the window reaches exactly the retention', () => {
        const outcome = pitrWindowCheck.evaluate(steady(30), contextWith());
        expect(outcome?.status).toBe('WARNING');
        expect(outcome?.description).toContain('keeps it between 29 and 30 days');
      });

      it('judges a 35 = 35 configuration the same way at the low end of its daily swing', () => {
        const outcome = pitrWindowCheck.evaluate(
          steady(34.01, 35),
          contextWith({ pitr: { minPitrDays: 35 } }),
        );
        expect(outcome?.status).toBe('WARNING');
        expect(outcome?.description).toContain('between 34 and 35 days');
        expect(outcome?.remediationText).toContain('RDS keeps at most 35 days');
        expect(outcome?.remediationText).not.toContain('--backup-retention-period 36');
        expect(outcome?.observed).not.toHaveProperty('windowCompleteAt');
      });

      it('still reports a filling window with its completion date when it is more than a day short of the retention', () => {
        const outcome = pitrWindowCheck.evaluate(steady(20), contextWith());
        expect(outcome?.status).toBe('WARNING');
        expect(outcome?.description).toContain('20.0 of 30 days accrued');
        expect(outcome?.description).toContain('once filled it reaches back between 29 and 30 days');
        expect(outcome?.remediationText).toContain('--backup-retention-period 31');
        expect(outcome?.remediationText).not.toContain('still a WARNING after that date');
      });

      it('names the AWS Backup plan, not modify-db-instance, when AWS Backup manages the continuous backup', () => {
        // Prepare: AWS Backup sets this instance's retention; `modify-db-instance` would not change it.
        const managed = (earliestDaysAgo: number, retentionDays: number) =>
          rdsInstanceFact({
            retentionDays,
            restoreWindow: windowFrom(daysAgo(earliestDaysAgo)),
            awsBackupRecoveryPointArn: BACKUP_ARN,
          });
        // Act
        const steadyState = pitrWindowCheck.evaluate(managed(29.5, 30), contextWith());
        const filling = pitrWindowCheck.evaluate(managed(12, 14), contextWith());
        // Assess
        expect(steadyState?.status).toBe('WARNING');
        expect(filling?.status).toBe('FAILED');
        for (const outcome of [steadyState, filling]) {
          expect(outcome?.remediationText).not.toContain('modify-db-instance');
          expect(outcome?.remediationText).toContain(`AWS Backup plan that covers it (${BACKUP_ARN};`);
        }
        expect(steadyState?.remediationText).toContain('Lifecycle DeleteAfterDays) to 31 days');
        expect(filling?.remediationText).toContain('Lifecycle DeleteAfterDays) to 31 days');
      });

      it('passes a retention one day above the target at the low end of its swing', () => {
        expect(pitrWindowCheck.evaluate(steady(30, 31), contextWith())?.status).toBe('PASSED');
      });

      it('keeps the completion date for an Aurora cluster, whose backups are continuous', () => {
        const fact = auroraClusterFact({ restoreWindow: windowFrom(daysAgo(29.5)) });
        const outcome = pitrWindowCheck.evaluate(fact, contextWith());
        expect(outcome?.status).toBe('WARNING');
        expect(outcome?.description).toContain('completes on');
      });
    });

    it('reports a filling Cloud SQL window with its source field', () => {
      const fact = cloudSqlFact({
        restoreWindow: windowFrom(daysAgo(20), 'getLatestRecoveryTime.earliestRecoveryTime'),
        createdAt: undefined,
      });
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain('(getLatestRecoveryTime.earliestRecoveryTime)');
      expect(outcome?.description).toContain('20.0 of 30 days accrued');
    });
  });

  describe('FAILED', () => {
    it('does not call automated backups off on a Cloud SQL instance with backups on and transactionLogRetentionDays 0', () => {
      // Prepare: the window the API reports is 5 days; 0 log days says nothing of backups being off.
      const fact = cloudSqlFact({
        retentionDays: 0,
        automatedBackupsEnabled: true,
        restoreWindow: windowFrom(daysAgo(5), 'instances.getLatestRecoveryTime'),
      });
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toMatchObject({ windowDays: 5, retentionDays: 0 });
      expect(outcome?.description).not.toContain('automated backups are off');
    });

    it('fails as capped by the retention when a 7-day instance has a 7-day window', () => {
      // Prepare
      const fact = rdsInstanceFact({ retentionDays: 7, restoreWindow: windowFrom(daysAgo(7)) });
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toMatchObject({ windowDays: 7, retentionDays: 7 });
      expect(outcome?.description).toContain('cannot grow past 7 days');
      expect(outcome?.remediationText).toContain('--backup-retention-period 31');
    });

    it('names a retention a day above the target for an RDS instance, whose window starts at a daily snapshot, and the target for Aurora', () => {
      // Prepare: both capped at 7 days. A retention of 30 would leave the instance at the steady-state
      // WARNING (29 to 30 days); Aurora backs up continuously and holds the full retention.
      const instance = rdsInstanceFact({ retentionDays: 7, restoreWindow: windowFrom(daysAgo(6.5)) });
      const cluster = auroraClusterFact({ retentionDays: 7, restoreWindow: windowFrom(daysAgo(7)) });
      const off = rdsInstanceFact({ retentionDays: 0, restoreWindow: windowFrom(undefined) });
      // Act
      const [forInstance, forCluster, forOff] = [instance, cluster, off].map((fact) =>
        pitrWindowCheck.evaluate(fact, contextWith()),
      );
      // Assess
      expect(forInstance?.remediationText).toContain('--backup-retention-period 31');
      expect(forInstance?.remediationText).toContain(
        'a retention of 30 days would keep the window between 29 and 30 days',
      );
      expect(forCluster?.remediationText).toContain('--backup-retention-period 30 ');
      expect(forCluster?.remediationText).not.toContain('a day above the target');
      expect(forOff?.remediationText).toContain('--backup-retention-period 31');
      // At the 35-day RDS maximum the target itself is named (the steady-state finding says the rest).
      const at35 = pitrWindowCheck.evaluate(instance, contextWith({ pitr: { minPitrDays: 35 } }));
      expect(at35?.remediationText).toContain('--backup-retention-period 35 ');
    });

    it('fails as shrunk when the window is shorter than the retention allows for an old database', () => {
      const fact = rdsInstanceFact({
        retentionDays: 7,
        restoreWindow: windowFrom(daysAgo(2)),
        createdAt: daysAgo(400),
      });
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('shorter than the 7 days the retention allows');
      expect(outcome?.description).toContain('the window shrank');
    });

    it.each([
      // 7 days of retention allow 7 days; 6 days is within a day of that.
      ['is short of the retention by exactly the one-day steady-state tolerance', 6 * 24 * 60],
      // The oldest of the 7 snapshots was taken 30 minutes later in a 30-minute backup window than the
      // one that just expired, so the window is 6 days less 30 minutes right after it expired.
      ["starts at a daily snapshot taken later in its backup window than today's time", 6 * 24 * 60 - 30],
    ])('fails as capped, not shrunk, when a window %s', (_case, windowMinutes) => {
      // Prepare
      const fact = rdsInstanceFact({
        retentionDays: 7,
        restoreWindow: windowFrom(minutesAgo(windowMinutes)),
        createdAt: daysAgo(400),
      });
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('cannot grow past 7 days');
      expect(outcome?.description).not.toContain('shrank');
    });

    it('fails as shrunk when a window is a minute more than the steady-state tolerance short of the retention', () => {
      // Prepare: beyond a day and the hour a snapshot may move within its backup window.
      const fact = rdsInstanceFact({
        retentionDays: 7,
        restoreWindow: windowFrom(minutesAgo(6 * 24 * 60 - 61)),
        createdAt: daysAgo(400),
      });
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('the window shrank');
    });

    it('fails with no window, and names the switch that turns backups on, when Cloud SQL backups are off and getLatestRecoveryTime refused', () => {
      // Prepare: backupConfiguration.enabled=false (the adapter reports 0 days); getLatestRecoveryTime
      // answers 400 FAILED_PRECONDITION for an instance without PITR, so the window is unknown.
      const fact = cloudSqlFact({
        automatedBackupsEnabled: false,
        retentionDays: 0,
        // What the adapter makes of the refusal (functions/gcp/cloud-sql.ts).
        restoreWindow: instanceReadFailure(
          'instances.getLatestRecoveryTime',
          'certctl-prod',
          'certctl-sql',
          Object.assign(new Error('Point-in-time recovery is not enabled for this instance'), { code: 9 }),
          'cloudsql.instances.get',
        ),
      });
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toMatchObject({ windowDays: 0 });
      expect(outcome?.description).toContain('automated backups are off');
      expect(outcome?.remediationText).toContain(
        "gcloud sql instances patch certctl-sql --project=certctl-prod --backup-start-time='<HH:MM>' --enable-point-in-time-recovery",
      );
      expect(outcome?.remediationText).not.toContain('--retained-transaction-log-days');
      expect(outcome?.remediationText).not.toContain('did not send');
    });

    it('fails with no window when RDS backups are off and the automated-backup listing failed', () => {
      const fact = rdsInstanceFact({
        retentionDays: 0,
        automatedBackupsEnabled: false,
        restoreWindow: {
          known: false,
          reason: 'DescribeDBInstanceAutomatedBackups failed',
          accessDenied: false,
        },
      });
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.remediationText).toContain('--backup-retention-period 31');
    });

    it('is not available, not a filling WARNING, when the earliest restorable time is later than the run clock', () => {
      // Prepare: getLatestRecoveryTime's earliestRecoveryTime two hours after this run's clock (a
      // slow clock, or a time the cloud got wrong): no window length follows from it.
      const future = new Date(daysAgo(0).getTime() + 2 * 3_600_000);
      const fact = cloudSqlFact({
        restoreWindow: {
          known: true,
          earliest: future,
          latest: new Date(future.getTime() + 3_600_000),
          source: 'instances.getLatestRecoveryTime',
        },
      });
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({
        windowDays: null,
        earliestRestorableTime: future.toISOString(),
      });
      expect(outcome?.description).toContain("later than this run's clock");
      expect(outcome?.description).not.toContain('removed');
    });

    it('is not available, not PASSED, when the earliest restorable time is after the latest one', () => {
      // Prepare: an answer that contradicts itself (earliest 31 days ago, latest 40 days ago): no
      // point in time lies between them, so it proves no window.
      const fact = cloudSqlFact({
        restoreWindow: {
          known: true,
          earliest: daysAgo(31),
          latest: daysAgo(40),
          source: 'instances.getLatestRecoveryTime',
        },
      });
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('after its latest restorable time');
    });

    it('is not available, not PASSED, when a Cloud SQL earliest recovery time is before the instance was created', () => {
      // Prepare: an instance created 10 days ago whose answer says it restores back 35 days (an
      // instance's restore points are its own backups and logs, none older than the instance).
      const fact = cloudSqlFact({
        createdAt: daysAgo(10),
        restoreWindow: windowFrom(daysAgo(35), 'instances.getLatestRecoveryTime'),
      });
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({
        windowDays: null,
        earliestRestorableTime: daysAgo(35).toISOString(),
        createdAt: daysAgo(10).toISOString(),
      });
      expect(outcome?.description).toContain('before the instance was created');
    });

    it('is not available, not PASSED, when an RDS earliest restorable time is before InstanceCreateTime', () => {
      // Prepare: an instance created 10 days ago whose automated backup says it restores back 35
      // days: its restore points are its own snapshots and logs, none older than the instance.
      const fact = rdsInstanceFact({ createdAt: daysAgo(10), restoreWindow: windowFrom(daysAgo(35)) });
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({
        windowDays: null,
        earliestRestorableTime: daysAgo(35).toISOString(),
        createdAt: daysAgo(10).toISOString(),
      });
      expect(outcome?.description).toContain('before the DB instance was created (InstanceCreateTime');
    });

    it('is not available, not PASSED, when an Aurora earliest restorable time is before ClusterCreateTime', () => {
      const fact = auroraClusterFact({ createdAt: daysAgo(10), restoreWindow: windowFrom(daysAgo(35)) });
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({ createdAt: daysAgo(10).toISOString() });
      expect(outcome?.description).toContain('before the DB cluster was created (ClusterCreateTime');
    });

    it('judges the window when the earliest restorable time is before the creation time within the clock-skew margin', () => {
      // Prepare: 4 minutes before ClusterCreateTime (the margin is 5), and 6 minutes before.
      const created = daysAgo(40);
      const within = auroraClusterFact({
        createdAt: created,
        restoreWindow: windowFrom(new Date(created.getTime() - 4 * 60_000)),
      });
      const beyond = auroraClusterFact({
        createdAt: created,
        restoreWindow: windowFrom(new Date(created.getTime() - 6 * 60_000)),
      });
      // Act / Assess
      expect(pitrWindowCheck.evaluate(within, contextWith())?.status).toBe('PASSED');
      expect(pitrWindowCheck.evaluate(beyond, contextWith())?.status).toBe('NOT_AVAILABLE');
    });

    it('judges the window when the creation time was not sent', () => {
      const fact = rdsInstanceFact({ createdAt: undefined, restoreWindow: windowFrom(daysAgo(35)) });
      expect(pitrWindowCheck.evaluate(fact, contextWith())?.status).toBe('PASSED');
    });

    it('fails as capped, not shrunk, when a young database has a window as old as itself', () => {
      const fact = rdsInstanceFact({
        retentionDays: 7,
        restoreWindow: windowFrom(daysAgo(3)),
        createdAt: daysAgo(3),
      });
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).not.toContain('shrank');
    });

    it('says the target is impossible and names no log-days command when a Cloud SQL ENTERPRISE window holds 7 days', () => {
      // Prepare
      const fact = cloudSqlFact(
        {
          retentionDays: 7,
          retentionRange: { min: 1, max: 7 },
          restoreWindow: windowFrom(daysAgo(7), 'instances.getLatestRecoveryTime'),
        },
        { edition: 'ENTERPRISE', retainedBackups: 8 },
      );
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain(
        'The 30-day target is impossible here: the ENTERPRISE edition caps transaction-log retention (transactionLogRetentionDays) at 7 days (see pitr.retention)',
      );
      expect(outcome?.remediationText).toContain('The 30-day target is impossible on this edition');
      expect(outcome?.remediationText).toContain('Follow pitr.retention: upgrade to Enterprise Plus');
      expect(outcome?.remediationText).toContain('daily backups and pg_dump files');
      expect(outcome?.remediationText).not.toContain('--retained-transaction-log-days');
      expect(outcome?.remediationText).not.toContain('holds 30 days about');
    });

    it('judges ENTERPRISE by its 7-day log cap even when the fact claims a wider range', () => {
      const fact = cloudSqlFact(
        { retentionDays: 7, restoreWindow: windowFrom(daysAgo(7)) },
        { edition: 'ENTERPRISE' },
      );
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.remediationText).not.toContain('--retained-transaction-log-days');
    });

    it('calls an instance without an edition ENTERPRISE-class when its 7-day cap makes the target impossible', () => {
      const fact = cloudSqlFact(
        { retentionDays: 7, retentionRange: { min: 1, max: 7 }, restoreWindow: windowFrom(daysAgo(7)) },
        { edition: 'UNSPECIFIED' },
      );
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.remediationText).toContain(
        'an instance without an edition is ENTERPRISE-class, which caps transaction-log retention (transactionLogRetentionDays) at 7 days',
      );
      expect(outcome?.remediationText).not.toContain('UNSPECIFIED');
    });

    it('names the log-days command when ENTERPRISE_PLUS keeps 14 days, where 30 is possible', () => {
      const fact = cloudSqlFact({ retentionDays: 14, restoreWindow: windowFrom(daysAgo(14)) });
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).not.toContain('impossible');
      expect(outcome?.remediationText).toContain(
        'gcloud sql instances patch certctl-sql --project=certctl-prod --retained-transaction-log-days=30',
      );
    });

    it('fails, not fills, when 30 retained daily backups can reach back only 29 days', () => {
      // Prepare: N daily backups span N - 1 days, so 30 never hold 30 days.
      const backupOnly = (retainedBackups: number) =>
        cloudSqlFact(
          {
            pointInTimeRecoveryEnabled: false,
            retentionDays: 7,
            restoreWindow: windowFrom(daysAgo(29.1), 'backupRuns.list (SUCCESSFUL AUTOMATED runs, PITR off)'),
          },
          { retainedBackups },
        );

      // Act
      const thirty = pitrWindowCheck.evaluate(backupOnly(30), contextWith());
      const thirtyOne = pitrWindowCheck.evaluate(backupOnly(31), contextWith());

      // Assess
      expect(thirty?.status).toBe('FAILED');
      expect(thirty?.description).toContain('cannot grow past 29 days');
      expect(thirtyOne?.status).toBe('WARNING');
      expect(thirtyOne?.description).toContain('The 31 retained daily backups (30 days) are enough');
    });

    it('words a backup-only window bounded by the retained backups when Cloud SQL PITR is off', () => {
      // Prepare
      const fact = cloudSqlFact(
        {
          pointInTimeRecoveryEnabled: false,
          retentionDays: 7,
          retentionRange: { min: 1, max: 7 },
          restoreWindow: windowFrom(daysAgo(6.1), 'backupRuns.list (SUCCESSFUL AUTOMATED runs, PITR off)'),
        },
        { edition: 'ENTERPRISE', retainedBackups: 7 },
      );
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('has a backup-only window (point-in-time recovery is off');
      expect(outcome?.description).toContain(
        'The 7 retained daily backups (settings.backupConfiguration.backupRetentionSettings.retainedBackups) cap it',
      );
      expect(outcome?.description).toContain('not by transactionLogRetentionDays');
      expect(outcome?.description).not.toContain('impossible');
      expect(outcome?.observed).toMatchObject({
        windowDays: 6.1,
        retainedBackups: 7,
        pointInTimeRecoveryEnabled: false,
      });
      expect(outcome?.remediationText).toContain(
        'gcloud sql instances patch certctl-sql --project=certctl-prod --retained-backups-count=31',
      );
      expect(outcome?.remediationText).toContain('point-in-time recovery on (pitr.enabled)');
      expect(outcome?.remediationText).not.toContain('--retained-transaction-log-days');
    });

    it('fails with no window when automated backups are off', () => {
      // Prepare
      const fact = rdsInstanceFact({
        retentionDays: 0,
        automatedBackupsEnabled: false,
        restoreWindow: {
          known: true,
          earliest: undefined,
          latest: undefined,
          source: 'BackupRetentionPeriod=0',
        },
      });
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toEqual({ windowDays: 0, earliestRestorableTime: null, retentionDays: 0 });
      expect(outcome?.description).toContain('no restore window: automated backups are off');
    });

    it('fails with no window when backups are on but neither an earliest nor a latest time is reported', () => {
      const fact = auroraClusterFact({
        restoreWindow: {
          known: true,
          earliest: undefined,
          latest: undefined,
          source: 'EarliestRestorableTime',
        },
        latestRestorableTime: undefined,
      });
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('EarliestRestorableTime reports no earliest restorable time');
    });

    it('does not say an instance can be restored while its automated backup waits for its first snapshot', () => {
      // Prepare: the backup is `creating`, yet DescribeDBInstances sends a LatestRestorableTime.
      const fact = rdsInstanceFact({
        createdAt: daysAgo(3),
        restoreWindow: {
          known: true,
          earliest: undefined,
          latest: minutesAgo(3),
          source: 'DescribeDBInstanceAutomatedBackups (Status creating, first snapshot not taken yet)',
          firstBackupPending: true,
        },
        latestRestorableTime: minutesAgo(3),
      });
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).not.toContain('can be restored up to');
      expect(outcome?.description).toContain('first automated snapshot');
    });

    describe('a database created moments ago, its first automated backup still being created', () => {
      const noTimes = (source: string): RestoreWindow => ({
        known: true,
        earliest: undefined,
        latest: undefined,
        source,
      });
      const newRds = rdsInstanceFact({
        status: 'backing-up',
        createdAt: minutesAgo(20),
        restoreWindow: noTimes(
          'DescribeDBInstanceAutomatedBackups (Status creating, first snapshot not taken yet)',
        ),
        latestRestorableTime: undefined,
      });
      const newAurora = auroraClusterFact({
        status: 'creating',
        createdAt: undefined,
        restoreWindow: noTimes('DescribeDBClusters (Status creating, first backup not taken yet)'),
        latestRestorableTime: undefined,
      });

      it('is not available, saying it is new and when it was created, for an RDS instance', () => {
        const outcome = pitrWindowCheck.evaluate(newRds, contextWith());
        expect(outcome?.status).toBe('NOT_AVAILABLE');
        expect(outcome?.description).toContain(
          'RDS DB instance `certctl-db` is new (InstanceCreateTime 2026-09-01 11:40 UTC)',
        );
        expect(outcome?.description).toContain('no restore point yet');
      });

      it('is not available the same way for an Aurora cluster whose status is creating', () => {
        const outcome = pitrWindowCheck.evaluate(newAurora, contextWith());
        expect(outcome?.status).toBe('NOT_AVAILABLE');
        expect(outcome?.description).toContain('is new (status `creating`, ClusterCreateTime not sent yet)');
      });

      it('is not available the same way for a Cloud SQL instance in state PENDING_CREATE', () => {
        // Prepare: PITR off, so the window is the automated backup runs, of which there is none yet,
        // and the listing does not carry createTime yet.
        const fact = cloudSqlFact({
          status: 'PENDING_CREATE',
          createdAt: undefined,
          pointInTimeRecoveryEnabled: false,
          restoreWindow: noTimes('backupRuns.list (SUCCESSFUL AUTOMATED runs, PITR off)'),
        });
        const outcome = pitrWindowCheck.evaluate(fact, contextWith());
        expect(outcome?.status).toBe('NOT_AVAILABLE');
        expect(outcome?.description).toContain('is new (state `PENDING_CREATE`, createTime not sent yet)');
      });

      it('still fails an instance created long ago that reports no restore point', () => {
        const outcome = pitrWindowCheck.evaluate({ ...newRds, createdAt: daysAgo(2) }, contextWith());
        expect(outcome?.status).toBe('FAILED');
      });
    });

    it('is not available, not FAILED, when the earliest time is missing but the database reports a latest one', () => {
      const fact = auroraClusterFact({ restoreWindow: windowFrom(undefined, 'EarliestRestorableTime') });
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({ windowDays: null, earliestRestorableTime: null });
    });

    it('fails without guessing when the window is short and the retention is unknown', () => {
      const fact = rdsInstanceFact({ retentionDays: undefined, restoreWindow: windowFrom(daysAgo(10)) });
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('unknown whether the window is still filling');
    });
  });

  it('is not available with the reason when the window could not be read', () => {
    // Prepare
    const fact = rdsInstanceFact({
      restoreWindow: { known: false, reason: 'no active automated backup was listed for db-ABC' },
    });
    // Act
    const outcome = pitrWindowCheck.evaluate(fact, contextWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'could not read the restore window (no active automated backup was listed',
    );
    expect(outcome?.observed).toEqual({ windowDays: null, retentionDays: 35 });
  });

  describe('every description and remediation', () => {
    const check = (fact: Parameters<typeof pitrWindowCheck.evaluate>[0], policy = {}) =>
      pitrWindowCheck.evaluate(fact, contextWith(policy));
    const backupOnly = (earliestDaysAgo: number, retainedBackups: number | undefined, createdAt?: Date) =>
      cloudSqlFact(
        {
          pointInTimeRecoveryEnabled: false,
          restoreWindow: windowFrom(daysAgo(earliestDaysAgo), 'backupRuns'),
          ...(createdAt ? { createdAt } : {}),
        },
        { retainedBackups },
      );
    // A day above the 30-day target: an RDS instance's window starts at the oldest daily snapshot.
    const RDS_RETENTION_31 =
      '`aws rds modify-db-instance --db-instance-identifier certctl-db --backup-retention-period 31 --apply-immediately --region eu-west-1`';
    const A_DAY_ABOVE =
      ', a day above the target: RDS restores from the oldest daily snapshot it keeps, so a retention of 30 days would keep the window between 29 and 30 days';
    const CLOUD_SQL_BACKUPS_31 =
      '`gcloud sql instances patch certctl-sql --project=certctl-prod --retained-backups-count=31`';
    const BACKUP_ONLY =
      'has a backup-only window (point-in-time recovery is off, so only its automated daily backups are restore points)';

    it('passes without a shrink warning when the retention is exactly the target', () => {
      expect(check(rdsInstanceFact({ retentionDays: 30 }))?.description).toBe(
        'RDS DB instance `certctl-db` can be restored back to 2026-07-28 12:00 UTC (RestoreWindow.EarliestTime): 35.0 days, at least the 30 days required.',
      );
    });

    it('passes a long backup-only window but says how few backups are retained', () => {
      expect(check(backupOnly(35, 20))).toMatchObject({
        status: 'PASSED',
        description: `Cloud SQL instance \`certctl-sql\` ${BACKUP_ONLY}: the oldest is from 2026-07-28 12:00 UTC (backupRuns): 35.0 days, at least the 30 days required. Only 19 daily backups are retained (settings.backupConfiguration.backupRetentionSettings.retainedBackups), which will shrink it below that (see pitr.retention).`,
        observed: { retainedBackups: 20, pointInTimeRecoveryEnabled: false },
      });
    });

    it('fails without guessing and asks to check the retention when it could not be read', () => {
      expect(
        check(rdsInstanceFact({ retentionDays: undefined, restoreWindow: windowFrom(daysAgo(10)) })),
      ).toMatchObject({
        status: 'FAILED',
        description:
          'RDS DB instance `certctl-db` can be restored back to 2026-08-22 12:00 UTC (RestoreWindow.EarliestTime): 10.0 days, short of the 30 days required. The retention (BackupRetentionPeriod) could not be read, so it is unknown whether the window is still filling.',
        remediationText:
          'Check the retention (pitr.retention) and keep it at 30 days or more; until the window holds 30 days, keep pg_dump files or manual snapshots that cover the gap.',
      });
    });

    it('asks to check the retention, not calls the target impossible, when the target equals the platform maximum', () => {
      const outcome = check(
        rdsInstanceFact({ retentionDays: undefined, restoreWindow: windowFrom(daysAgo(10)) }),
        {
          pitr: { minPitrDays: 35 },
        },
      );
      expect(outcome?.remediationText).toBe(
        'Check the retention (pitr.retention) and keep it at 35 days or more; until the window holds 35 days, keep pg_dump files or manual snapshots that cover the gap.',
      );
    });

    it('calls the target impossible when the retention is unknown on an edition capped below it', () => {
      const outcome = check(
        cloudSqlFact(
          { retentionDays: undefined, restoreWindow: windowFrom(daysAgo(5)) },
          { edition: 'ENTERPRISE' },
        ),
      );
      expect(outcome?.remediationText).toMatch(
        /^The 30-day target is impossible on this edition: the ENTERPRISE edition caps/,
      );
    });

    it('asks for more daily backups when the number retained could not be read', () => {
      expect(check(backupOnly(10, undefined))).toMatchObject({
        status: 'FAILED',
        description: `Cloud SQL instance \`certctl-sql\` ${BACKUP_ONLY}: the oldest is from 2026-08-22 12:00 UTC (backupRuns): 10.0 days, short of the 30 days required. The number of retained backups (settings.backupConfiguration.backupRetentionSettings.retainedBackups) could not be read, so it is unknown whether the window is still filling.`,
        observed: { retainedBackups: null },
        remediationText: `Keep at least 30 daily backups: ${CLOUD_SQL_BACKUPS_31}; the backup-only window then grows by one day per day and holds 30 days about 20.0 days after the change; keep pg_dump files or manual snapshots for the gap meanwhile. Restoring to any point in time, not only to a daily backup, also needs point-in-time recovery on (pitr.enabled).`,
      });
      expect(check({ ...backupOnly(10, 31), cloudSql: undefined })?.observed).toMatchObject({
        retainedBackups: null,
      });
    });

    it('says a backup-only window is shorter than its retained backups allow, with the database age', () => {
      expect(check(backupOnly(3, 10, daysAgo(400)))?.description).toBe(
        `Cloud SQL instance \`certctl-sql\` ${BACKUP_ONLY}: the oldest is from 2026-08-29 12:00 UTC (backupRuns): 3.0 days, short of the 30 days required. That is shorter than the 9 days the 10 retained daily backups allow (the database is 400.0 days old): backups were removed (the window shrank) or it is refilling after such a loss.`,
      );
    });

    it('says a window is shorter than the retention allows without an age when the creation time is unknown', () => {
      expect(
        check(
          rdsInstanceFact({ retentionDays: 14, restoreWindow: windowFrom(daysAgo(3)), createdAt: undefined }),
        ),
      ).toMatchObject({
        description:
          'RDS DB instance `certctl-db` can be restored back to 2026-08-29 12:00 UTC (RestoreWindow.EarliestTime): 3.0 days, short of the 30 days required. That is shorter than the 14 days the retention allows: backups were removed (the window shrank) or it is refilling after such a loss.',
        remediationText: `Raise the retention (pitr.retention): ${RDS_RETENTION_31}${A_DAY_ABOVE}. The window then grows by one day per day and holds 30 days about 27.0 days after the change; keep pg_dump files or manual snapshots for the gap meanwhile.`,
      });
    });

    it('says the retention caps a window as long as it', () => {
      expect(
        check(rdsInstanceFact({ retentionDays: 7, restoreWindow: windowFrom(daysAgo(7)) })),
      ).toMatchObject({
        description:
          'RDS DB instance `certctl-db` can be restored back to 2026-08-25 12:00 UTC (RestoreWindow.EarliestTime): 7.0 days, short of the 30 days required. The configured retention of 7 days (BackupRetentionPeriod) caps it: the window cannot grow past 7 days.',
        remediationText: `Raise the retention (pitr.retention): ${RDS_RETENTION_31}${A_DAY_ABOVE}. The window then grows by one day per day and holds 30 days about 23.0 days after the change; keep pg_dump files or manual snapshots for the gap meanwhile.`,
      });
    });

    it('blames permissions only when access to the window was denied', () => {
      // Prepare
      const denied = rdsInstanceFact({
        restoreWindow: { known: false, reason: 'AccessDenied', accessDenied: true },
      });
      const missing = rdsInstanceFact({ restoreWindow: { known: false, reason: 'no answer' } });
      // Act / Assess
      expect(check(denied)).toEqual({
        status: 'NOT_AVAILABLE',
        description:
          'RDS DB instance `certctl-db`: could not read the restore window (AccessDenied), so this check could not be evaluated.',
        observed: { windowDays: null, retentionDays: 35 },
        required: { windowDays: 30 },
        remediationText:
          'Check that the audit role may read this database (rds:Describe* on AWS, cloudsql.instances.get on GCP) and run the audit again.',
      });
      expect(check(missing)?.remediationText).toBe(
        'The cloud did not send this value (see the description): run the audit again; if it stays missing, look at the backups of this database in the console, where the same value is shown.',
      );
    });

    it('fails with no window when the retention is 0 although the backup switch was not sent', () => {
      expect(check(rdsInstanceFact({ automatedBackupsEnabled: undefined, retentionDays: 0 }))).toEqual({
        status: 'FAILED',
        description: 'RDS DB instance `certctl-db` has no restore window: automated backups are off.',
        observed: { windowDays: 0, earliestRestorableTime: null, retentionDays: 0 },
        required: { windowDays: 30 },
        remediationText: `Turn automated backups on (see pitr.enabled): ${RDS_RETENTION_31}. The window starts filling from that moment.`,
      });
    });

    it('fails with no window when backups are switched off although a retention is set', () => {
      const outcome = check(rdsInstanceFact({ automatedBackupsEnabled: false, retentionDays: 7 }));
      expect(outcome?.description).toBe(
        'RDS DB instance `certctl-db` has no restore window: automated backups are off.',
      );
    });

    it('names the latest time it saw when the earliest is missing', () => {
      expect(check(rdsInstanceFact({ restoreWindow: windowFrom(undefined) }))?.description).toBe(
        'RDS DB instance `certctl-db`: could not read the earliest restorable time (RestoreWindow.EarliestTime reported none although the database can be restored up to 2026-09-01 11:57 UTC), so this check could not be evaluated.',
      );
    });

    it('says the first backup may still be running when no time at all is reported', () => {
      const fact = rdsInstanceFact({
        restoreWindow: {
          known: true,
          earliest: undefined,
          latest: undefined,
          source: 'RestoreWindow.EarliestTime',
        },
        latestRestorableTime: undefined,
      });
      expect(check(fact)).toMatchObject({
        description:
          'RDS DB instance `certctl-db` has no restore window: RestoreWindow.EarliestTime reports no earliest restorable time, so no point in time can be restored.',
        remediationText:
          'If the database was created or had backups turned on within the last day, the first automated backup may still be running; otherwise check the backup status in the console and the pitr.enabled finding.',
      });
    });

    it('warns without naming removed history when the database is exactly one day older than its window', () => {
      expect(
        check(rdsInstanceFact({ restoreWindow: windowFrom(daysAgo(10)), createdAt: daysAgo(11) })),
      ).toMatchObject({
        status: 'WARNING',
        description:
          'RDS DB instance `certctl-db` can be restored back to 2026-08-22 12:00 UTC (RestoreWindow.EarliestTime): 10.0 of 30 days accrued. The retention of 35 days is enough, so the window is still filling and completes on 2026-09-21 12:00 UTC.',
        remediationText:
          'Nothing to change if the retention was raised or the database created recently: the window completes on 2026-09-21 12:00 UTC. Until then keep pg_dump files or manual snapshots covering the 20.0 missing days. If this finding is still a WARNING after that date, backups are being lost: check the automated backups of this database.',
      });
    });

    it('warns about a filling backup-only window in terms of retained backups', () => {
      expect(check(backupOnly(10, 31, daysAgo(400)))).toMatchObject({
        status: 'WARNING',
        description: `Cloud SQL instance \`certctl-sql\` ${BACKUP_ONLY}: the oldest is from 2026-08-22 12:00 UTC (backupRuns): 10.0 of 30 days accrued. The 31 retained daily backups (30 days) are enough, so the window is still filling and completes on 2026-09-21 12:00 UTC. The database is 400.0 days old, so older restore points existed and were removed: expected if the number of retained backups was raised recently; otherwise backups were lost (retention lowered, backups turned off, instance replaced) and the window shrank.`,
        remediationText:
          'Nothing to change if the number of retained backups was raised or the database created recently: the window completes on 2026-09-21 12:00 UTC. Until then keep pg_dump files or manual snapshots covering the 20.0 missing days. If this finding is still a WARNING after that date, backups are being lost: check the automated backups of this database.',
      });
    });
  });
});

describe('pitr.window, bounds the mutation run found open', () => {
  const short = (days: number): RestoreWindow => ({
    known: true,
    earliest: daysAgo(days),
    latest: minutesAgo(3),
    source: 'x',
  });
  it('bounds an RDS window by its retention even when its PITR flag says off', () => {
    const outcome = pitrWindowCheck.evaluate(
      rdsInstanceFact({ pointInTimeRecoveryEnabled: false, retentionDays: 7, restoreWindow: short(7) }),
      contextWith(),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'The configured retention of 7 days (BackupRetentionPeriod) caps it: the window cannot grow past 7 days.',
    );
  });
  it('asks to raise the retention, not calls the target impossible, when the target equals the edition cap', () => {
    const fact = cloudSqlFact(
      {
        retentionDays: 5,
        retentionRange: { min: 1, max: 7 },
        restoreWindow: short(5),
        createdAt: daysAgo(5),
      },
      { edition: 'ENTERPRISE', retainedBackups: 8 },
    );
    const outcome = pitrWindowCheck.evaluate(fact, contextWith({ pitr: { minPitrDays: 7 } }));
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).not.toContain('impossible');
    expect(outcome?.remediationText).toMatch(
      /^Raise the retention \(pitr\.retention\): `gcloud sql instances patch/,
    );
  });
  it('speaks of retained backups, not retention, when an old database has a filling backup-only window', () => {
    const fact = cloudSqlFact(
      { pointInTimeRecoveryEnabled: false, restoreWindow: short(10), createdAt: daysAgo(400) },
      { retainedBackups: 36 },
    );
    expect(pitrWindowCheck.evaluate(fact, contextWith())?.description).toContain(
      'older restore points existed and were removed: expected if the number of retained backups was raised recently;',
    );
  });
});

describe('pitr.window when the latest restorable time is old (pitr.lag judges it)', () => {
  const STALE =
    'Its latest restorable time is 2026-08-29 12:00 UTC, 3 d 0 h ago: the window ends there, and pitr.lag judges how current it is';

  it('passes a Cloud SQL window that reaches back far enough without calling it current', () => {
    // Prepare: getLatestRecoveryTime reports an earliest time 30.5 days ago and a latest 3 days ago.
    const fact = cloudSqlFact({
      restoreWindow: {
        known: true,
        earliest: daysAgo(30.5),
        latest: daysAgo(3),
        source: 'getLatestRecoveryTime.earliestRecoveryTime',
      },
    });
    // Act
    const outcome = pitrWindowCheck.evaluate(fact, contextWith());
    // Assess: the reach is judged here, the currency by pitr.lag (as on AWS); before, the PASS said
    // only 'at least the 30 days required', as if the window ran up to now.
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain(STALE);
  });

  it('says the same of an RDS window whose LatestRestorableTime is old', () => {
    const fact = rdsInstanceFact({ latestRestorableTime: daysAgo(3) });
    const outcome = pitrWindowCheck.evaluate(fact, contextWith());
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain(STALE);
  });

  it('names the newest automated backup of a backup-only window only when it is older than a daily backup allows', () => {
    // Prepare: PITR off; the oldest of the daily backups is 31 days old, the newest 20 or 31 hours.
    const backupOnly = (newestHoursAgo: number) =>
      cloudSqlFact({
        pointInTimeRecoveryEnabled: false,
        restoreWindow: {
          known: true,
          earliest: daysAgo(31),
          latest: minutesAgo(newestHoursAgo * 60),
          source: 'backupRuns.list (SUCCESSFUL AUTOMATED runs, PITR off)',
        },
      });
    // Act
    const [recent, stale] = [20, 31].map((hours) =>
      pitrWindowCheck.evaluate(backupOnly(hours), contextWith()),
    );
    // Assess
    expect(recent?.status).toBe('PASSED');
    expect(recent?.description).not.toContain('pitr.lag');
    expect(stale?.status).toBe('PASSED');
    expect(stale?.description).toContain(
      'Its newest automated backup is 2026-08-31 05:00 UTC, 1 d 7 h ago: the window ends there, and pitr.lag judges how current it is.',
    );
  });

  it('says nothing of a latest restorable time within maxRestoreLagMinutes', () => {
    const outcome = pitrWindowCheck.evaluate(cloudSqlFact(), contextWith());
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).not.toContain('pitr.lag');
  });
});

describe('pitr.window on Cloud SQL log days outside the edition range (as pitr.retention, not judged)', () => {
  it('does not call a short window capped by 0 log days sent beside backups on', () => {
    // Prepare: 0 is no setting with backups on (1-35 on ENTERPRISE_PLUS); backups off is enabled=false.
    const fact = cloudSqlFact({ retentionDays: 0, restoreWindow: windowFrom(daysAgo(14)) });

    // Act
    const outcome = pitrWindowCheck.evaluate(fact, contextWith());

    // Assess: the window is short on what the API reported; the 0 is neither a cap nor a fill rate.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).not.toContain('retention of 0 days');
    expect(outcome?.description).toContain(
      'The API sent transactionLogRetentionDays=0, outside the 1-35 days the ENTERPRISE_PLUS edition keeps, so the log days were not judged and it is unknown whether the window is still filling',
    );
  });

  it('does not call a short window still filling on 40 log days the ENTERPRISE_PLUS edition cannot keep', () => {
    // Act
    const outcome = pitrWindowCheck.evaluate(
      cloudSqlFact({ retentionDays: 40, restoreWindow: windowFrom(daysAgo(14)) }),
      contextWith(),
    );

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).not.toContain('is enough');
    expect(outcome?.description).toContain(
      'The API sent transactionLogRetentionDays=40, outside the 1-35 days the ENTERPRISE_PLUS edition keeps',
    );
  });

  it('does not call a short ENTERPRISE window still filling on 30 log days, and says the target is impossible', () => {
    // Act
    const outcome = pitrWindowCheck.evaluate(
      cloudSqlFact(
        { retentionDays: 30, retentionRange: { min: 1, max: 7 }, restoreWindow: windowFrom(daysAgo(6)) },
        { edition: 'ENTERPRISE' },
      ),
      contextWith(),
    );

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'The API sent transactionLogRetentionDays=30, outside the 1-7 days the ENTERPRISE edition keeps',
    );
    expect(outcome?.remediationText).toContain('The 30-day target is impossible on this edition');
  });

  it('passes a reported window that reaches back, naming the 0 log days as not judged rather than as a shrinking retention', () => {
    // Act
    const outcome = pitrWindowCheck.evaluate(cloudSqlFact({ retentionDays: 0 }), contextWith());

    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).not.toContain('retention of 0 days');
    expect(outcome?.description).toContain(
      'The API sent transactionLogRetentionDays=0, outside the 1-35 days the ENTERPRISE_PLUS edition keeps, so whether the retention keeps the window there is not judged (see pitr.retention).',
    );
  });

  it('still judges log days sent without a documented edition above 7 as sent, as pitr.retention does', () => {
    // Act
    const outcome = pitrWindowCheck.evaluate(
      cloudSqlFact({ retentionDays: 30, restoreWindow: windowFrom(daysAgo(14)) }, { edition: 'UNSPECIFIED' }),
      contextWith(),
    );

    // Assess
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain('The retention of 30 days is enough');
  });
});
