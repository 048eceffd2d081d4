import { describe, expect, it } from 'vitest';
import { pitrCrossRegionCheck } from '../../../functions/checks/pitr/cross-region.ts';
import type { PolicyInput } from '../../../functions/core/policy.ts';
import {
  auroraClusterFact,
  cloudSqlFact,
  contextWith,
  daysAgo,
  minutesAgo,
  rdsInstanceFact,
  replicatedBackup,
} from './fixtures.ts';

const REQUIRE = { pitr: { requireCrossRegionBackup: true } };

describe('pitr.cross-region', () => {
  it('exposes the stable id and metadata when listed in the catalog', () => {
    expect(pitrCrossRegionCheck.metadata).toMatchObject({ id: 'pitr.cross-region', severity: 'MEDIUM' });
  });

  it('names, for Aurora, the copy the check can read and the retention that copy must keep itself', () => {
    // A finding without its own remediation (a copy not read, a global secondary) shows this text:
    // a copy is judged on its own BackupRetentionPeriod, and a new replica keeps Aurora's one day.
    const text = pitrCrossRegionCheck.metadata.remediation.text;
    expect(text).toContain(
      'Aurora: a cross-Region read replica cluster whose own BackupRetentionPeriod is at least the target',
    );
    expect(text).toContain(
      "`aws rds modify-db-cluster --region '<replica region>' --db-cluster-identifier '<replica>' --backup-retention-period 30 --apply-immediately`",
    );
    expect(text).not.toContain(
      'Aurora: an AWS Backup plan with a cross-Region copy action, or an Aurora Global Database.',
    );
  });

  it('does not apply and is switched off when the policy does not require cross-region backups', () => {
    expect(
      pitrCrossRegionCheck.evaluate(rdsInstanceFact({ crossRegionBackupTargets: [] }), contextWith()),
    ).toBeUndefined();
    expect(pitrCrossRegionCheck.enabledBy?.(contextWith().policy)).toBe(false);
    expect(pitrCrossRegionCheck.enabledBy?.(contextWith(REQUIRE).policy)).toBe(true);
  });

  it('passes naming the destination when an RDS instance replicates its backups', () => {
    // Act
    const outcome = pitrCrossRegionCheck.evaluate(rdsInstanceFact(), contextWith(REQUIRE));
    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toEqual({ crossRegionBackup: true, replicatedTo: 'eu-central-1' });
    expect(outcome?.required).toEqual({ crossRegionBackup: true, windowDays: 30 });
    expect(outcome?.description).toContain('replicated to eu-central-1');
  });

  describe('an RDS replication judged by its destination Region', () => {
    const ARN = 'arn:aws:rds:eu-central-1:111122223333:auto-backup:ab-certctl-db';

    it('passes naming the restore point when the destination lists the backup replicating with a window', () => {
      // Act
      const outcome = pitrCrossRegionCheck.evaluate(rdsInstanceFact(), contextWith(REQUIRE));
      // Assess
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).toContain(
        `replicated to eu-central-1 (DescribeDBInstanceAutomatedBackups in eu-central-1: Status replicating, restorable from ${daysAgo(30).toISOString()}, at least the 30 days required (BackupRetentionPeriod 31 days))`,
      );
    });

    it('passes when one destination is proven and another is not', () => {
      const outcome = pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({
          crossRegionBackupTargets: ['eu-central-1', 'us-east-1'],
          replicatedBackups: [
            replicatedBackup('eu-central-1'),
            replicatedBackup('us-east-1', { read: true, listed: false }),
          ],
        }),
        contextWith(REQUIRE),
      );
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.observed).toEqual({ crossRegionBackup: true, replicatedTo: 'eu-central-1' });
    });

    it('is not available, not passed, when the destination was never read', () => {
      // Act
      const outcome = pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({ replicatedBackups: undefined }),
        contextWith(REQUIRE),
      );
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toEqual({ crossRegionBackup: null, replicatedTo: 'eu-central-1' });
      expect(outcome?.description).toContain(
        'eu-central-1: its DescribeDBInstanceAutomatedBackups was not read',
      );
    });

    it('is not available naming the permission when the destination refused the read', () => {
      // Act
      const outcome = pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({
          replicatedBackups: [
            {
              region: 'eu-central-1',
              arn: ARN,
              read: false,
              reason:
                'RDS DescribeDBInstanceAutomatedBackups failed for account 111122223333 in eu-central-1: not authorized (AccessDenied)',
              accessDenied: true,
            },
          ],
        }),
        contextWith(REQUIRE),
      );
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('not authorized (AccessDenied)');
      expect(outcome?.remediationText).toContain('rds:DescribeDBInstanceAutomatedBackups in eu-central-1');
    });

    it('is not available when the destination lists the backup replicating without a RestoreWindow', () => {
      const outcome = pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({
          replicatedBackups: [replicatedBackup('eu-central-1', { restoreWindow: undefined })],
        }),
        contextWith(REQUIRE),
      );
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('without RestoreWindow');
    });

    it('fails when the destination lists no backup for the replication the source names', () => {
      // Act
      const outcome = pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({
          replicatedBackups: [{ region: 'eu-central-1', arn: ARN, read: true, listed: false }],
        }),
        contextWith(REQUIRE),
      );
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toEqual({ crossRegionBackup: false, replicatedTo: 'eu-central-1' });
      expect(outcome?.description).toContain(`eu-central-1 lists no replicated backup ${ARN}`);
      expect(outcome?.remediationText).toContain(
        `aws rds describe-db-instance-automated-backups --region eu-central-1 --db-instance-automated-backups-arn ${ARN}`,
      );
    });

    it('fails when the destination lists the replicated backup retained (replication stopped)', () => {
      const outcome = pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({ replicatedBackups: [replicatedBackup('eu-central-1', { status: 'retained' })] }),
        contextWith(REQUIRE),
      );
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('the replicated backup in eu-central-1 has Status retained');
    });

    it('warns while the destination has no restore point yet', () => {
      const outcome = pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({
          replicatedBackups: [
            replicatedBackup('eu-central-1', { restoreWindow: { earliest: undefined, latest: undefined } }),
          ],
        }),
        contextWith(REQUIRE),
      );
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain('no restore point yet');
    });

    it('answers NOT_AVAILABLE, not that no copy arrived, when the destination sends a latest restore point without the earliest', () => {
      // Prepare: a replica restorable up to 6 minutes ago has restore points; its EarliestTime was
      // left out of the answer (pitr.window judges a missing earliest time beside a latest one alike).
      const fact = rdsInstanceFact({
        replicatedBackups: [
          replicatedBackup('eu-central-1', { restoreWindow: { earliest: undefined, latest: minutesAgo(6) } }),
        ],
      });
      // Act
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('RestoreWindow without EarliestTime');
      expect(outcome?.description).not.toContain('no restore point yet');
    });

    describe('the latest restore point of a replica, held to the policy lag like pitr.lag', () => {
      /** The instance whose only replica, in eu-central-1, is restorable up to `latest`. */
      const replicaUpTo = (latest: Date | undefined, policy: PolicyInput = REQUIRE) =>
        pitrCrossRegionCheck.evaluate(
          rdsInstanceFact({
            replicatedBackups: [
              replicatedBackup('eu-central-1', { restoreWindow: { earliest: daysAgo(30), latest } }),
            ],
          }),
          contextWith(policy),
        );

      it('fails, not passes, when the replica still says replicating but its latest restore point is stale', () => {
        // Act: the replication stalled 3 hours ago (lag allowed: 15 min by default).
        const outcome = replicaUpTo(minutesAgo(180));
        // Assess
        expect(outcome?.status).toBe('FAILED');
        expect(outcome?.description).toContain(
          '3 h 0 min ago, more than the 45 min allowed (the policy lag of 15 min plus up to 30 min of replication delay: the replication has stalled)',
        );
      });

      /** A source stopped 3 days ago (its own latest restore point then), replicated up to `latest`. */
      const stoppedSourceReplicatedUpTo = (latest: Date) =>
        pitrCrossRegionCheck.evaluate(
          rdsInstanceFact({
            status: 'stopped',
            latestRestorableTime: minutesAgo(3 * 24 * 60),
            replicatedBackups: [
              replicatedBackup('eu-central-1', { restoreWindow: { earliest: daysAgo(30), latest } }),
            ],
          }),
          contextWith(REQUIRE),
        );

      it('passes, not "stalled", a replica holding every restore point of a stopped source', () => {
        // Prepare: a stopped instance writes nothing and its own latest restore point stops moving
        // (pitr.lag fails it for that); the copy holds up to that point, so nothing is missing
        // from it, and restarting the replication would fix nothing.
        const outcome = stoppedSourceReplicatedUpTo(minutesAgo(3 * 24 * 60 + 4));
        expect(outcome?.status).toBe('PASSED');
        expect(outcome?.description).toContain('the source is stopped');
        expect(outcome?.description).not.toContain('stalled');
      });

      it('fails, naming the source, not the replication, a replica as stale as a running source that stopped archiving', () => {
        // Prepare: a running source whose own latest restore point is 3 h old (pitr.lag fails it);
        // the copy holds up to 10 minutes before that point: it keeps up with what the source has.
        const outcome = pitrCrossRegionCheck.evaluate(
          rdsInstanceFact({
            latestRestorableTime: minutesAgo(180),
            replicatedBackups: [
              replicatedBackup('eu-central-1', {
                restoreWindow: { earliest: daysAgo(30), latest: minutesAgo(190) },
              }),
            ],
          }),
          contextWith(REQUIRE),
        );
        expect(outcome?.status).toBe('FAILED');
        expect(outcome?.description).not.toContain('the replication has stalled');
        expect(outcome?.description).toContain("the source's own latest restore point");
        expect(outcome?.description).toContain('pitr.lag');
      });

      it('still fails a replica of a stopped source that stopped copying well before the source stopped', () => {
        const outcome = stoppedSourceReplicatedUpTo(minutesAgo(3 * 24 * 60 + 180));
        expect(outcome?.status).toBe('FAILED');
        expect(outcome?.description).toContain('the replication has stalled');
      });

      it('passes a replica 35 minutes behind under the default 15 min lag: the copy is asynchronous, up to 30 minutes behind its source', () => {
        // Prepare: AWS Prescriptive Guidance, rds-pitr-snapshot: "the underlying RPO is on the
        // slightly higher side, ranging 5-30 minutes".
        const outcome = replicaUpTo(minutesAgo(35));
        expect(outcome?.status).toBe('PASSED');
      });

      it('fails a replica 46 minutes behind under the default 15 min lag', () => {
        const outcome = replicaUpTo(minutesAgo(46));
        expect(outcome?.status).toBe('FAILED');
      });

      it('passes the same replica when the policy allows 4 hours', () => {
        const outcome = replicaUpTo(minutesAgo(180), {
          pitr: { requireCrossRegionBackup: true, maxRestoreLagMinutes: 240 },
        });
        expect(outcome?.status).toBe('PASSED');
      });

      it('is not available, not passed, when the replicated window has no LatestTime', () => {
        const outcome = replicaUpTo(undefined);
        expect(outcome?.status).toBe('NOT_AVAILABLE');
        expect(outcome?.description).toContain('RestoreWindow without LatestTime');
      });

      it('is not available, not passed, when the replica is restorable to a time after the run clock', () => {
        const outcome = replicaUpTo(minutesAgo(-60));
        expect(outcome?.status).toBe('NOT_AVAILABLE');
        expect(outcome?.description).toContain("later than this run's clock");
      });
    });
  });

  describe('the window a replica keeps, held to the target like pitr.window holds the source', () => {
    const SOURCE_ARN = 'arn:aws:rds:eu-west-1:111122223333:db:certctl-db';
    /** The instance whose only replica, in eu-central-1, keeps `retention` days and reaches back to `earliest`. */
    const replicaKeeping = (
      retention: number | undefined,
      earliest: Date | undefined,
      overrides: Parameters<typeof rdsInstanceFact>[0] = {},
    ) =>
      pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({
          replicatedBackups: [
            replicatedBackup('eu-central-1', {
              backupRetentionPeriod: retention,
              // No earliest time: no restore point yet, so no latest one either.
              restoreWindow: { earliest, latest: earliest ? minutesAgo(6) : undefined },
            }),
          ],
          ...overrides,
        }),
        contextWith(REQUIRE),
      );

    it('passes a replica keeping 31 days whose window reaches back the 30 days required, naming its retention', () => {
      const outcome = replicaKeeping(31, daysAgo(30));
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.required).toEqual({ crossRegionBackup: true, windowDays: 30 });
      expect(outcome?.description).toContain(
        `in eu-central-1: Status replicating, restorable from ${daysAgo(30).toISOString()}, at least the 30 days required (BackupRetentionPeriod 31 days)`,
      );
    });

    it('fails, not passes, a replica whose retention of 7 days can never hold the 30-day target, naming the restart with 31 days', () => {
      // Prepare: a replication started with the console's 7 days, current and long running.
      const outcome = replicaKeeping(7, daysAgo(7));
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toEqual({ crossRegionBackup: false, replicatedTo: 'eu-central-1' });
      expect(outcome?.description).toContain(
        'the replicated backup in eu-central-1 (Status replicating) keeps 7 days (BackupRetentionPeriod), shorter than the 30-day target: its window can never reach 30 days',
      );
      // RDS sets a replica's retention when its replication starts: the fix restarts it, in the
      // destination Region, with the retention the policy needs.
      expect(outcome?.remediationText).toContain(
        `\`aws rds stop-db-instance-automated-backups-replication --region eu-central-1 --source-db-instance-arn ${SOURCE_ARN}\` then \`aws rds start-db-instance-automated-backups-replication --region eu-central-1 --source-db-instance-arn ${SOURCE_ARN} --backup-retention-period 31\``,
      );
      expect(outcome?.remediationText).toContain('Status retained');
    });

    it('fails a replica of too short a retention even before its first restore point arrives', () => {
      const outcome = replicaKeeping(7, undefined);
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('keeps 7 days (BackupRetentionPeriod)');
    });

    it('warns, not passes, a replication started yesterday: its window is still filling, with the date it completes', () => {
      // Act
      const outcome = replicaKeeping(31, daysAgo(1));
      // Assess
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.observed).toEqual({ crossRegionBackup: false, replicatedTo: 'eu-central-1' });
      expect(outcome?.description).toContain(
        `the replicated backup in eu-central-1 (Status replicating) can be restored back to ${daysAgo(1).toISOString().slice(0, 16).replace('T', ' ')} UTC: 1.0 of 30 days accrued; its retention of 31 days is enough, so the window is still filling and completes on ${daysAgo(-29).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      );
      expect(outcome?.remediationText).toContain(
        `completes on ${daysAgo(-29).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      );
      expect(outcome?.remediationText).not.toContain('stop-db-instance-automated-backups-replication');
    });

    it('warns for the steady state of a replica keeping exactly the target: its oldest daily snapshot leaves it short part of every day', () => {
      // Prepare: 30 days kept, 29.5 days reached back (between 29 and 30 days, as pitr.window says).
      const outcome = replicaKeeping(30, daysAgo(29.5));
      // Assess
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain('between 29 and 30 days');
      expect(outcome?.remediationText).toContain(
        `aws rds start-db-instance-automated-backups-replication --region eu-central-1 --source-db-instance-arn ${SOURCE_ARN} --backup-retention-period 31`,
      );
    });

    it('names the restart, not only the wait, for a window still filling whose retention will not hold the target once filled', () => {
      const outcome = replicaKeeping(30, daysAgo(10));
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain('10.0 of 30 days accrued');
      expect(outcome?.description).toContain('it will not stay complete');
      expect(outcome?.remediationText).toContain('--backup-retention-period 31');
      expect(outcome?.remediationText).not.toContain('Nothing to change');
    });

    it('names 32 days for a source whose backup window is longer than an hour, as pitr.window does', () => {
      const outcome = replicaKeeping(7, daysAgo(7), {
        dailyBackupWindow: { known: true, window: '01:00-04:00', lengthMs: 3 * 60 * 60_000 },
      });
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.remediationText).toContain('--backup-retention-period 32');
    });

    it('fails a replica whose window is short while its retention is below the target, whatever its age', () => {
      const outcome = replicaKeeping(14, daysAgo(3));
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('keeps 14 days');
    });

    it('names no restart with the retention the replica already keeps when RDS allows no more (a 35-day target)', () => {
      // Prepare: 35 days kept, the RDS maximum; the window swings between 34 and 35 days.
      const outcome = pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({
          replicatedBackups: [
            replicatedBackup('eu-central-1', {
              backupRetentionPeriod: 35,
              restoreWindow: { earliest: daysAgo(34.5), latest: minutesAgo(6) },
            }),
          ],
        }),
        contextWith({ pitr: { requireCrossRegionBackup: true, minPitrDays: 35 } }),
      );
      // Assess
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.remediationText).not.toContain('start-db-instance-automated-backups-replication');
      expect(outcome?.remediationText).toContain('RDS keeps at most 35 days');
      expect(outcome?.remediationText).toContain('set the target to 34 days');
    });

    it.each([36, 0, -1])(
      'is not available, neither passed nor short, when the destination sends a BackupRetentionPeriod of %i, which no automated backup keeps',
      (retention) => {
        // Prepare: a replica whose window reaches back 35 days, sent an impossible retention.
        const outcome = replicaKeeping(retention, daysAgo(35));
        // Assess
        expect(outcome?.status).toBe('NOT_AVAILABLE');
        expect(outcome?.observed).toEqual({ crossRegionBackup: null, replicatedTo: 'eu-central-1' });
        expect(outcome?.description).toContain(
          `was sent BackupRetentionPeriod ${retention}, outside the 1-35 days a replicated automated backup keeps`,
        );
      },
    );

    it('is not available, not passed, when the destination sends no BackupRetentionPeriod for the replica', () => {
      const outcome = replicaKeeping(undefined, daysAgo(30));
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toEqual({ crossRegionBackup: null, replicatedTo: 'eu-central-1' });
      expect(outcome?.description).toContain('without BackupRetentionPeriod');
    });

    it('is not available, not a window still filling, when the replica is restorable from a time after the run clock', () => {
      // Prepare: EarliestTime an hour after this run's clock, beyond the clock-skew margin.
      const outcome = replicaKeeping(31, minutesAgo(-60));
      // Assess: a clock or a value gone wrong, not a replication started a moment ago.
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toEqual({ crossRegionBackup: null, replicatedTo: 'eu-central-1' });
      expect(outcome?.description).toContain(
        "the replicated backup in eu-central-1 (Status replicating) can be restored back to 2026-09-01 13:00 UTC (RestoreWindow.EarliestTime), later than this run's clock (2026-09-01 12:00 UTC)",
      );
      expect(outcome?.description).not.toContain('still filling');
    });

    it('is not available, not a window still filling, when the replica is restorable from a time after its own latest one', () => {
      // Prepare: EarliestTime a minute ago, LatestTime 20 minutes ago (current under the allowed lag),
      // both before the run clock: no point in time lies between them.
      const outcome = pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({
          replicatedBackups: [
            replicatedBackup('eu-central-1', {
              backupRetentionPeriod: 31,
              restoreWindow: { earliest: minutesAgo(1), latest: minutesAgo(20) },
            }),
          ],
        }),
        contextWith(REQUIRE),
      );
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(
        'the replicated backup in eu-central-1 (Status replicating) can be restored back to 2026-09-01 11:59 UTC (RestoreWindow.EarliestTime), after its latest restorable time 2026-09-01 11:40 UTC (RestoreWindow.LatestTime), so no point in time lies between them',
      );
      expect(outcome?.description).not.toContain('still filling');
    });

    it('is not available, not PASSED, when the replica is restorable from before its source was created', () => {
      // Prepare: a source created 10 days ago (its own window reaches back 10 days) whose replica in
      // eu-central-1 claims 31 days: a copy of the source's snapshots and logs, none older than it.
      const outcome = replicaKeeping(31, daysAgo(31), {
        createdAt: daysAgo(10),
        restoreWindow: { known: true, earliest: daysAgo(10), latest: minutesAgo(3), source: 'RestoreWindow' },
      });
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toEqual({ crossRegionBackup: null, replicatedTo: 'eu-central-1' });
      expect(outcome?.description).toContain(
        'the replicated backup in eu-central-1 (Status replicating) can be restored back to 2026-08-01 12:00 UTC (RestoreWindow.EarliestTime), before its source was created (InstanceCreateTime 2026-08-22 12:00 UTC)',
      );
    });

    it('still judges a replica restorable from within the clock-skew margin of its source creation', () => {
      const created = daysAgo(31);
      const outcome = replicaKeeping(31, new Date(created.getTime() - 4 * 60_000), { createdAt: created });
      expect(outcome?.status).toBe('PASSED');
    });

    it('still reads an EarliestTime within the clock-skew margin after the run clock as a window just started', () => {
      // Its first copy just arrived: the latest time is as recent as the earliest (within the margin).
      const outcome = pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({
          replicatedBackups: [
            replicatedBackup('eu-central-1', {
              backupRetentionPeriod: 31,
              restoreWindow: { earliest: minutesAgo(-2), latest: minutesAgo(-1) },
            }),
          ],
        }),
        contextWith(REQUIRE),
      );
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain('still filling');
    });

    it('holds the replica to a 7-day target when the policy asks for 7 days', () => {
      const outcome = pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({
          replicatedBackups: [
            replicatedBackup('eu-central-1', {
              backupRetentionPeriod: 8,
              restoreWindow: { earliest: daysAgo(7.5), latest: minutesAgo(6) },
            }),
          ],
        }),
        contextWith({ pitr: { requireCrossRegionBackup: true, minPitrDays: 7 } }),
      );
      expect(outcome?.status).toBe('PASSED');
    });
  });

  it('fails with the start-replication command when an RDS instance replicates nowhere', () => {
    // Act
    const outcome = pitrCrossRegionCheck.evaluate(
      rdsInstanceFact({ crossRegionBackupTargets: [] }),
      contextWith(REQUIRE),
    );
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toEqual({ crossRegionBackup: false, replicatedTo: '' });
    expect(outcome?.remediationText).toContain(
      "aws rds start-db-instance-automated-backups-replication --region '<destination-region>' --source-db-instance-arn arn:aws:rds:eu-west-1:111122223333:db:certctl-db --backup-retention-period 31",
    );
  });

  it('says which Region to put for the destination when an RDS instance replicates nowhere', () => {
    // Act
    const outcome = pitrCrossRegionCheck.evaluate(
      rdsInstanceFact({ crossRegionBackupTargets: [] }),
      contextWith(REQUIRE),
    );
    // Assess: before, only 'in the Region to copy to (`--region`)': not that it must be another
    // Region than the instance's, nor one RDS replicates eu-west-1's backups to.
    expect(outcome?.remediationText).toContain(
      "with `'<destination-region>'` the Region to copy to: one other than eu-west-1, the instance's own, among those RDS replicates automated backups from eu-west-1 to (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReplicateBackups.html)",
    );
  });

  describe('the replication commands an RDS finding names', () => {
    const SOURCE_ARN = 'arn:aws:rds:eu-west-1:111122223333:db:certctl-db';
    const stop = (region: string) =>
      `aws rds stop-db-instance-automated-backups-replication --region ${region} --source-db-instance-arn ${SOURCE_ARN}`;
    const start = (region: string, days: number) =>
      `aws rds start-db-instance-automated-backups-replication --region ${region} --source-db-instance-arn ${SOURCE_ARN} --backup-retention-period ${days}`;

    it('names the destination Region it read, not a placeholder, when a replication there stopped', () => {
      // Prepare: the source lists a replication to eu-central-1; the copy there is retained.
      const fact = rdsInstanceFact({
        replicatedBackups: [replicatedBackup('eu-central-1', { status: 'retained' })],
      });
      // Act
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.remediationText).not.toContain("'<destination-region>'");
      expect(outcome?.remediationText).toContain(stop('eu-central-1'));
      expect(outcome?.remediationText).toContain(start('eu-central-1', 31));
    });

    it('names each broken destination with its own commands when two replications are broken', () => {
      // Prepare
      const fact = rdsInstanceFact({
        crossRegionBackupTargets: ['eu-central-1', 'us-east-1'],
        replicatedBackups: [
          replicatedBackup('eu-central-1', { status: 'retained' }),
          {
            region: 'us-east-1',
            arn: 'arn:aws:rds:us-east-1:111122223333:auto-backup:ab-x',
            read: true,
            listed: false,
          },
        ],
      });
      // Act
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      // Assess
      expect(outcome?.status).toBe('FAILED');
      for (const region of ['eu-central-1', 'us-east-1']) {
        expect(outcome?.remediationText).toContain(stop(region));
        expect(outcome?.remediationText).toContain(start(region, 31));
      }
    });

    describe('the KMS key of an encrypted copy', () => {
      // An encrypted source's backups are encrypted in the destination with a key of that Region;
      // StartDBInstanceAutomatedBackupsReplication without one is refused ("Encrypted instances require
      // a valid KMS key ID", aws-cloudformation/cloudformation-coverage-roadmap#2019), and a Region
      // keeping retained backups of the source takes only the key they were encrypted with
      // (aws-cloudformation-resource-providers-rds#516).
      const KEY = 'arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
      const restartOf = (backup: Parameters<typeof replicatedBackup>[1]) =>
        pitrCrossRegionCheck.evaluate(
          rdsInstanceFact({ replicatedBackups: [replicatedBackup('eu-central-1', backup)] }),
          contextWith(REQUIRE),
        );

      it('names the key the copy is encrypted with in the restart, when the destination sent it', () => {
        // Act
        const outcome = restartOf({ status: 'retained', encrypted: true, kmsKeyId: KEY });
        // Assess
        expect(outcome?.remediationText).toContain(`\`${start('eu-central-1', 31)} --kms-key-id ${KEY}\``);
      });

      it('says a key of the destination Region is needed when the copy is encrypted with a key not sent', () => {
        // Act
        const outcome = restartOf({ status: 'retained', encrypted: true, kmsKeyId: undefined });
        // Assess
        expect(outcome?.remediationText).toContain(
          `\`${start('eu-central-1', 31)} --kms-key-id <ARN of a KMS key in eu-central-1>\``,
        );
        expect(outcome?.remediationText).toContain('Encrypted instances require a valid KMS key ID');
      });

      it('names no key for a copy that is not encrypted', () => {
        // Act
        const outcome = restartOf({ status: 'retained', encrypted: false, kmsKeyId: undefined });
        // Assess
        expect(outcome?.remediationText).toContain(`\`${start('eu-central-1', 31)}\``);
        expect(outcome?.remediationText).not.toContain('--kms-key-id');
      });

      it('says when to add a key when whether the copy is encrypted was not sent', () => {
        // Act
        const outcome = restartOf({ status: 'retained', encrypted: undefined, kmsKeyId: undefined });
        // Assess
        expect(outcome?.remediationText).toContain(`\`${start('eu-central-1', 31)}\``);
        expect(outcome?.remediationText).toContain(
          'If certctl-db is encrypted, add `--kms-key-id` with the ARN of a KMS key in eu-central-1 to the start command',
        );
      });
    });

    it('names a retention a day above the target for the copy, whose window also starts at a daily snapshot', () => {
      // Act
      const outcome = pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({ crossRegionBackupTargets: [] }),
        contextWith(REQUIRE),
      );
      const at35 = pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({ crossRegionBackupTargets: [] }),
        contextWith({ pitr: { requireCrossRegionBackup: true, minPitrDays: 35 } }),
      );
      // Assess
      expect(outcome?.remediationText).toContain(start("'<destination-region>'", 31));
      expect(outcome?.remediationText).toContain('its retention of 31 days is a day above the 30-day target');
      expect(at35?.remediationText).toContain(start("'<destination-region>'", 35));
    });
  });

  it('fails like an empty list when an RDS fact carries no replication list', () => {
    const outcome = pitrCrossRegionCheck.evaluate(
      rdsInstanceFact({ crossRegionBackupTargets: undefined }),
      contextWith(REQUIRE),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      'RDS DB instance `certctl-db` has no automated backups replicated to another region (DBInstanceAutomatedBackupsReplications names no replication).',
    );
  });

  it('fails for Aurora with neither a cross-Region replica nor a global database and explains how to cover it', () => {
    // Act
    const outcome = pitrCrossRegionCheck.evaluate(
      auroraClusterFact({ aurora: { replicaRegions: [], globalClusterIdentifier: undefined } }),
      contextWith(REQUIRE),
    );
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.remediationText).toContain('AWS Backup plan');
    expect(outcome?.remediationText).toContain('Aurora Global Database');
    expect(outcome?.remediationText).toContain('exceptions');
    // A replica added keeps Aurora's default of one day until its own retention is raised.
    expect(outcome?.remediationText).toContain(
      'a cross-Region read replica cluster keeping at least 30 days itself (`--backup-retention-period 30` on the replica; a new one keeps one day)',
    );
  });

  it('fails a Multi-AZ DB cluster without naming the Aurora features it cannot use, and says what it cannot do', () => {
    // Multi-AZ DB clusters (engine postgres) support no cross-Region automated backups (RDS user
    // guide, USER_ReplicateBackups and multi-az-db-clusters-concepts.Limitations), and an Aurora
    // global database takes only Aurora clusters.
    const outcome = pitrCrossRegionCheck.evaluate(
      auroraClusterFact({
        engine: 'postgres',
        aurora: { replicaRegions: [], globalClusterIdentifier: undefined },
      }),
      contextWith(REQUIRE),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      'DB cluster `certctl-aurora` has no read replica in another Region, and as a Multi-AZ DB cluster it can neither replicate its automated backups to another Region nor join an Aurora global database, so nothing it keeps is known to survive a regional outage.',
    );
    expect(outcome?.remediationText).not.toMatch(
      /Aurora Global Database secondary|cross-Region read replica cluster/,
    );
    expect(outcome?.remediationText).toContain(
      'Multi-AZ DB clusters support no cross-Region automated backups',
    );
    expect(outcome?.remediationText).toContain('exception');
  });

  describe('an Aurora read replica cluster read in its own Region', () => {
    const REPLICA_ARN = 'arn:aws:rds:eu-central-1:111122223333:cluster:certctl-aurora-fra';
    const withCopy = (copy: Record<string, unknown>) =>
      auroraClusterFact({
        aurora: {
          replicaRegions: ['eu-central-1'],
          globalClusterIdentifier: undefined,
          copies: [{ region: 'eu-central-1', arn: REPLICA_ARN, ...copy } as never],
        },
      });

    it('passes when the replica keeps at least the days required, naming it and its retention', () => {
      // Prepare
      const fact = withCopy({
        read: true,
        id: 'certctl-aurora-fra',
        status: 'available',
        backupRetentionPeriod: 35,
        earliestRestorableTime: daysAgo(35),
      });
      // Act
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      // Assess
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.observed).toMatchObject({ crossRegionBackup: true, replicatedTo: 'eu-central-1' });
      expect(outcome?.required).toEqual({ crossRegionBackup: true, windowDays: 30 });
      expect(outcome?.description).toContain('`certctl-aurora-fra` in eu-central-1');
      expect(outcome?.description).toContain('BackupRetentionPeriod 35 days');
      expect(outcome?.description).toContain('restorable from 2026-07-28T12:00:00.000Z');
    });

    it('warns, not passes, when a replica made yesterday keeps enough days but its window does not reach back yet', () => {
      // Prepare: BackupRetentionPeriod 35, but the replica was created a day ago, so it restores
      // back one day only (its own EarliestRestorableTime).
      const fact = withCopy({
        read: true,
        id: 'certctl-aurora-fra',
        status: 'available',
        backupRetentionPeriod: 35,
        earliestRestorableTime: daysAgo(1),
      });
      // Act
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      // Assess
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.observed).toMatchObject({ crossRegionBackup: false, replicatedTo: 'eu-central-1' });
      expect(outcome?.required).toEqual({ crossRegionBackup: true, windowDays: 30 });
      expect(outcome?.description).toContain('can be restored back to 2026-08-31 12:00 UTC');
      expect(outcome?.description).toContain('1.0 of 30 days accrued');
      expect(outcome?.description).toContain('completes on 2026-09-30 12:00 UTC');
      expect(outcome?.remediationText).toContain('completes on 2026-09-30 12:00 UTC');
    });

    it('fails when one replica is still filling and another keeps too few days, naming both fixes', () => {
      // Prepare
      const fact = auroraClusterFact({
        aurora: {
          replicaRegions: ['eu-central-1', 'us-east-1'],
          globalClusterIdentifier: undefined,
          copies: [
            {
              region: 'eu-central-1',
              arn: REPLICA_ARN,
              read: true,
              id: 'certctl-aurora-fra',
              status: 'available',
              backupRetentionPeriod: 35,
              earliestRestorableTime: daysAgo(2),
            },
            {
              region: 'us-east-1',
              arn: 'arn:aws:rds:us-east-1:111122223333:cluster:certctl-aurora-iad',
              read: true,
              id: 'certctl-aurora-iad',
              status: 'available',
              backupRetentionPeriod: 7,
              earliestRestorableTime: daysAgo(7),
            },
          ],
        },
      });
      // Act
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('2.0 of 30 days accrued');
      expect(outcome?.remediationText).toContain(
        '--db-cluster-identifier certctl-aurora-iad --backup-retention-period 30',
      );
      expect(outcome?.remediationText).toContain(
        'if `certctl-aurora-fra` was created recently: its window completes on 2026-09-29 12:00 UTC',
      );
    });

    it('passes a replica whose window falls short of the target by no more than the tolerance pitr.window allows', () => {
      const fact = withCopy({
        read: true,
        id: 'certctl-aurora-fra',
        status: 'available',
        backupRetentionPeriod: 30,
        earliestRestorableTime: minutesAgo(30 * 24 * 60 - 30),
      });
      expect(pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE))?.status).toBe('PASSED');
    });

    it('is not available, not PASSED, when the replica is restorable from before its own ClusterCreateTime', () => {
      // Prepare: a replica cluster created 10 days ago that claims 35 days of restore points: its
      // backups are its own, none older than it.
      const fact = withCopy({
        read: true,
        id: 'certctl-aurora-fra',
        status: 'available',
        backupRetentionPeriod: 35,
        earliestRestorableTime: daysAgo(35),
        createdAt: daysAgo(10),
      });
      // Act
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({ crossRegionBackup: null });
      expect(outcome?.description).toContain(
        'was sent EarliestRestorableTime 2026-07-28 12:00 UTC, before its ClusterCreateTime 2026-08-22 12:00 UTC',
      );
    });

    it('passes a replica whose ClusterCreateTime is older than its window, or not sent', () => {
      const copy = {
        read: true,
        id: 'certctl-aurora-fra',
        status: 'available',
        backupRetentionPeriod: 35,
        earliestRestorableTime: daysAgo(35),
      };
      for (const createdAt of [daysAgo(35), undefined]) {
        const outcome = pitrCrossRegionCheck.evaluate(withCopy({ ...copy, createdAt }), contextWith(REQUIRE));
        expect(outcome?.status).toBe('PASSED');
      }
    });

    it('is not available, never passed, when the replica was sent without EarliestRestorableTime', () => {
      const fact = withCopy({
        read: true,
        id: 'certctl-aurora-fra',
        status: 'available',
        backupRetentionPeriod: 35,
        earliestRestorableTime: undefined,
      });
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({ crossRegionBackup: null });
      expect(outcome?.description).toContain('without EarliestRestorableTime');
    });

    it('is not available, not a window still filling, when the replica is restorable from a time after the run clock', () => {
      // Prepare: EarliestRestorableTime an hour after this run's clock, beyond the clock-skew margin.
      const fact = withCopy({
        read: true,
        id: 'certctl-aurora-fra',
        status: 'available',
        backupRetentionPeriod: 35,
        earliestRestorableTime: minutesAgo(-60),
      });
      // Act
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      // Assess: a clock or a value gone wrong, not a replica made a moment ago.
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({ crossRegionBackup: null });
      expect(outcome?.description).toContain(
        "`certctl-aurora-fra` in eu-central-1 (Status available, BackupRetentionPeriod 35 days) was sent EarliestRestorableTime 2026-09-01 13:00 UTC, later than this run's clock (2026-09-01 12:00 UTC)",
      );
      expect(outcome?.description).not.toContain('still filling');
    });

    it('still reads an EarliestRestorableTime within the clock-skew margin after the run clock as a replica just made', () => {
      const fact = withCopy({
        read: true,
        id: 'certctl-aurora-fra',
        status: 'available',
        backupRetentionPeriod: 35,
        earliestRestorableTime: minutesAgo(-2),
      });
      expect(pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE))?.status).toBe('WARNING');
    });

    it('fails when the replica keeps fewer days, naming the value and the command that raises it', () => {
      // Prepare: Aurora's default retention is 1 day.
      const fact = withCopy({
        read: true,
        id: 'certctl-aurora-fra',
        status: 'available',
        backupRetentionPeriod: 1,
      });
      // Act
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toMatchObject({ crossRegionBackup: false, replicatedTo: 'eu-central-1' });
      expect(outcome?.description).toContain('keeps 1 day (BackupRetentionPeriod)');
      expect(outcome?.remediationText).toContain(
        'aws rds modify-db-cluster --db-cluster-identifier certctl-aurora-fra --backup-retention-period 30 --region eu-central-1 --apply-immediately',
      );
    });

    it('fails a replica being deleted, whatever its retention', () => {
      const fact = withCopy({
        read: true,
        id: 'certctl-aurora-fra',
        status: 'deleting',
        backupRetentionPeriod: 35,
      });
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('Status deleting');
    });

    it('is not available when the retention was not sent, never passed', () => {
      const fact = withCopy({
        read: true,
        id: 'certctl-aurora-fra',
        status: 'available',
        backupRetentionPeriod: undefined,
      });
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({ crossRegionBackup: null });
      expect(outcome?.description).toContain('without BackupRetentionPeriod');
    });

    it('is not available when the replica could not be read there, naming what was not read and the grant', () => {
      const fact = withCopy({
        read: false,
        reason: 'User is not authorized (AccessDenied)',
        accessDenied: true,
      });
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(`DescribeDBClusters of ${REPLICA_ARN} in eu-central-1`);
      expect(outcome?.description).toContain('AccessDenied');
      expect(outcome?.remediationText).toContain('rds:DescribeDBClusters in eu-central-1');
    });

    it('is not available, not passed, when the replica is a global database secondary, whatever its retention', () => {
      const fact = withCopy({
        read: true,
        id: 'certctl-aurora-fra',
        status: 'available',
        backupRetentionPeriod: 35,
        globalClusterIdentifier: 'certctl-global',
      });
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('restored to a point in time through its primary');
    });

    it('passes on one replica keeping enough beside one that could not be read', () => {
      const fact = auroraClusterFact({
        aurora: {
          replicaRegions: ['eu-central-1', 'us-east-1'],
          globalClusterIdentifier: undefined,
          copies: [
            {
              region: 'eu-central-1',
              arn: REPLICA_ARN,
              read: true,
              id: 'certctl-aurora-fra',
              status: 'available',
              backupRetentionPeriod: 30,
              earliestRestorableTime: daysAgo(30),
            },
            {
              region: 'us-east-1',
              arn: 'arn:aws:rds:us-east-1:111122223333:cluster:x',
              read: false,
              reason: 'timeout',
              accessDenied: false,
            },
          ],
        },
      });
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.observed).toMatchObject({ replicatedTo: 'eu-central-1' });
    });
  });

  it('is not available, not passed, for Aurora with a read replica cluster in another region whose retention is not read', () => {
    // Prepare: the replica keeps the data in eu-central-1, but how far back it restores is its own
    // BackupRetentionPeriod (an Aurora default of 1 day), which this Region's answer does not carry.
    const fact = auroraClusterFact({
      aurora: { replicaRegions: ['eu-central-1'], globalClusterIdentifier: undefined },
    });
    // Act
    const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject({ crossRegionBackup: null, replicatedTo: 'eu-central-1' });
    expect(outcome?.required).toEqual({ crossRegionBackup: true, windowDays: 30 });
    expect(outcome?.remediationText).toContain(
      "aws rds describe-db-clusters --region eu-central-1 --query \"DBClusters[?ReplicationSourceIdentifier=='arn:aws:rds:eu-west-1:111122223333:cluster:certctl-aurora']",
    );
    expect(outcome?.remediationText).toContain('--backup-retention-period 30');
  });

  it('could not evaluate an Aurora global database member without a visible secondary, naming the global database', () => {
    const outcome = pitrCrossRegionCheck.evaluate(
      auroraClusterFact({ aurora: { replicaRegions: [], globalClusterIdentifier: 'certctl-global' } }),
      contextWith(REQUIRE),
    );
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('certctl-global');
  });

  it('is not available for Cloud SQL without a backup location and names the location fix', () => {
    const outcome = pitrCrossRegionCheck.evaluate(cloudSqlFact(), contextWith(REQUIRE));
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('backup location');
    expect(outcome?.remediationText).toContain('--backup-location=');
  });

  it('passes for Cloud SQL when the adapter reports a multi-region backup location', () => {
    const outcome = pitrCrossRegionCheck.evaluate(
      cloudSqlFact({ crossRegionBackupTargets: ['eu'] }),
      contextWith(REQUIRE),
    );
    expect(outcome?.status).toBe('PASSED');
  });

  it('says a Cloud SQL pass covers the daily backups, not the point-in-time-recovery logs, which stay in the region', () => {
    // Prepare: Cloud SQL stores backups in the backup location but keeps the PITR transaction logs in
    // the primary's region ("the logs are stored in the same region as the primary instance").
    const fact = cloudSqlFact({ crossRegionBackupTargets: ['eu'] });
    // Act
    const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain('stores its automated backups in eu');
    expect(outcome?.description).not.toContain('replicated');
    expect(outcome?.description).toContain(
      'Its point-in-time-recovery transaction logs stay in europe-west1, so after an outage of that region a restore reaches the newest daily backup, not any point in time',
    );
  });

  it.each([0, 40])(
    'judges Cloud SQL on its backup location alone, never on transactionLogRetentionDays=%s outside the edition range',
    (days) => {
      // Cloud SQL has no replication whose retention the check could hold to the target: it reads
      // the backup location and whether backups are on, not the log days (pitr.retention and
      // pitr.window say those days are not judged). Pinned so a later use of them must decide that.
      const outcome = pitrCrossRegionCheck.evaluate(
        cloudSqlFact({ retentionDays: days, crossRegionBackupTargets: ['eu'] }),
        contextWith(REQUIRE),
      );
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).not.toContain(`${days} days`);
      expect(outcome?.description).not.toContain('transactionLogRetentionDays');
    },
  );

  it('fails, not passes, for Cloud SQL with a multi-region backup location when automated backups are off', () => {
    // The location says where backups would go; with backups off none exists anywhere.
    const fact = cloudSqlFact({
      automatedBackupsEnabled: false,
      pointInTimeRecoveryEnabled: false,
      retentionDays: 0,
      crossRegionBackupTargets: ['multi-region (default)'],
    });
    const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ crossRegionBackup: false });
    expect(outcome?.description).toContain('automated backups off');
    expect(outcome?.remediationText).toContain(
      "`gcloud sql instances patch certctl-sql --project=certctl-prod --backup-start-time='<HH:MM>'` (replace '<HH:MM>' with the daily backup start time in UTC, such as 02:00)",
    );
  });

  it('is not available, not passed, for Cloud SQL with a backup location when whether backups are on is unknown', () => {
    const fact = cloudSqlFact({ automatedBackupsEnabled: undefined, crossRegionBackupTargets: ['eu'] });
    const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
    expect(outcome?.status).toBe('NOT_AVAILABLE');
  });

  it('is not available, not passed, for Cloud SQL with a named backup location when the instance region was not sent', () => {
    // Prepare: the adapter's region for an instance whose answer has none; europe-west1 may be it.
    const named = cloudSqlFact({ crossRegionBackupTargets: ['europe-west1'] }, {}, { region: 'unknown' });
    const byDefault = cloudSqlFact(
      { crossRegionBackupTargets: ['multi-region (default)'] },
      {},
      { region: 'unknown' },
    );
    // Act
    const outcome = pitrCrossRegionCheck.evaluate(named, contextWith(REQUIRE));
    // Assess: the default location is a multi-region, outside any one region, whatever the region.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject({ crossRegionBackup: null, replicatedTo: 'europe-west1' });
    expect(outcome?.description).toContain('region was not sent');
    expect(pitrCrossRegionCheck.evaluate(byDefault, contextWith(REQUIRE))?.status).toBe('PASSED');
  });

  it('fails for Cloud SQL when backups stay in the instance region', () => {
    const fact = cloudSqlFact({ crossRegionBackupTargets: ['europe-west1'] });
    const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('only in europe-west1');
  });

  describe('every description', () => {
    const check = (fact: Parameters<typeof pitrCrossRegionCheck.evaluate>[0]) =>
      pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));

    it('names the other regions only when an RDS instance also lists its own', () => {
      expect(
        check(
          rdsInstanceFact({
            crossRegionBackupTargets: ['eu-west-1', 'eu-central-1', 'us-east-1'],
            replicatedBackups: [replicatedBackup('eu-central-1'), replicatedBackup('us-east-1')],
          }),
        ),
      ).toEqual({
        status: 'PASSED',
        description: `RDS DB instance \`certctl-db\` has its automated backups replicated to eu-central-1, us-east-1 (DescribeDBInstanceAutomatedBackups in eu-central-1: Status replicating, restorable from ${daysAgo(30).toISOString()}, at least the 30 days required (BackupRetentionPeriod 31 days); in us-east-1: Status replicating, restorable from ${daysAgo(30).toISOString()}, at least the 30 days required (BackupRetentionPeriod 31 days)).`,
        observed: { crossRegionBackup: true, replicatedTo: 'eu-central-1,us-east-1' },
        required: { crossRegionBackup: true, windowDays: 30 },
      });
    });

    it('fails an RDS instance whose only replication target is its own region', () => {
      const outcome = check(rdsInstanceFact({ crossRegionBackupTargets: ['eu-west-1'] }));
      expect(outcome?.description).toBe(
        "RDS DB instance `certctl-db` has no automated backups replicated to another region (DBInstanceAutomatedBackupsReplications names only eu-west-1, the instance's own Region).",
      );
      expect(outcome?.description).not.toContain('is empty');
      expect(outcome?.observed).toEqual({ crossRegionBackup: false, replicatedTo: 'eu-west-1' });
    });

    it('names the ARN placeholder when the instance has no ARN', () => {
      const outcome = check(
        rdsInstanceFact({
          crossRegionBackupTargets: [],
          resource: { ...rdsInstanceFact().resource, arn: undefined },
        }),
      );
      expect(outcome?.remediationText).toContain(
        "--source-db-instance-arn '<arn of certctl-db>' --backup-retention-period 31",
      );
    });

    it('says a Cloud SQL instance without a known location keeps backups in its own region', () => {
      const outcome = check(cloudSqlFact({ crossRegionBackupTargets: [] }));
      expect(outcome).toMatchObject({
        status: 'FAILED',
        description:
          'Cloud SQL instance `certctl-sql` stores its backups only in its own region: a regional outage takes the backups with the instance.',
        remediationText:
          "Run `gcloud sql instances patch certctl-sql --project=certctl-prod --backup-location='<multi-region such as us or eu>'` (https://cloud.google.com/sql/docs/postgres/backup-recovery/backups#custom-locations).",
      });
    });

    it('describes the Cloud SQL NOT_AVAILABLE with nothing observed', () => {
      expect(check(cloudSqlFact())).toMatchObject({
        description:
          'Cloud SQL instance `certctl-sql`: Cloud SQL has no automated-backup replication; whether backups leave the region depends on the backup location, which this audit did not read.',
        observed: { crossRegionBackup: null, replicatedTo: null },
        required: { crossRegionBackup: true },
      });
    });

    it('is not available for an Aurora cluster whose replicas and global database were not read', () => {
      // Act
      const outcome = check(auroraClusterFact({ aurora: undefined }));
      // Assess
      expect(outcome).toMatchObject({
        status: 'NOT_AVAILABLE',
        description:
          'Aurora DB cluster `certctl-aurora`: Aurora has no automated-backup replication to another region, and cross-Region copies made by AWS Backup or an Aurora Global Database are not visible in the RDS listings, so this check cannot confirm a copy exists.',
        observed: { crossRegionBackup: null, replicatedTo: null },
        required: { crossRegionBackup: true },
      });
      expect(outcome?.remediationText).toMatch(
        /^Cover it with an AWS Backup plan whose rule has a copy action/,
      );
    });

    it('names the Aurora replica regions other than its own', () => {
      expect(
        check(
          auroraClusterFact({
            aurora: {
              replicaRegions: ['eu-west-1', 'us-east-1', 'ap-south-1'],
              globalClusterIdentifier: 'g',
            },
          }),
        ),
      ).toMatchObject({
        status: 'NOT_AVAILABLE',
        description:
          'Aurora DB cluster `certctl-aurora` has a read replica cluster in us-east-1, ap-south-1 (ReadReplicaIdentifiers), which keeps its data there, but how far back a replica can be restored is bounded by its own BackupRetentionPeriod, which DescribeDBClusters in eu-west-1 does not carry: whether restore points in another Region reach back the 30 days required could not be told.',
        observed: { crossRegionBackup: null, replicatedTo: 'us-east-1,ap-south-1', globalCluster: 'g' },
        required: { crossRegionBackup: true, windowDays: 30 },
      });
    });

    it('could not evaluate a global database member whose secondaries are not read, naming the command that lists them, never a warning', () => {
      // A primary's DescribeDBClusters lists no secondary of its global database, and a secondary
      // is restored through its primary: no restore point in another Region is proven, and none is
      // proven missing. A WARNING would read as GO in readiness.
      expect(
        check(auroraClusterFact({ aurora: { replicaRegions: ['eu-west-1'], globalClusterIdentifier: 'g' } })),
      ).toEqual({
        status: 'NOT_AVAILABLE',
        description:
          'Aurora DB cluster `certctl-aurora` belongs to the Aurora global database `g`, whose secondary clusters in other Regions DescribeDBClusters in eu-west-1 does not list, and a secondary keeps no restore points of its own (the global database is restored to a point in time from its primary): whether restore points in another Region reach back the 30 days required could not be told.',
        observed: { crossRegionBackup: null, replicatedTo: '', globalCluster: 'g' },
        required: { crossRegionBackup: true },
        remediationText:
          'Check that `g` has a secondary cluster in another Region: `aws rds describe-global-clusters --global-cluster-identifier g`. If that secondary, or an AWS Backup copy in another Region, is the copy you rely on, record that as a policy exception for pitr.cross-region on this cluster.',
      });
    });

    it('fails an Aurora cluster in no global database naming what it lacks', () => {
      const outcome = check(
        auroraClusterFact({ aurora: { replicaRegions: [], globalClusterIdentifier: undefined } }),
      );
      expect(outcome?.description).toBe(
        'Aurora DB cluster `certctl-aurora` has no read replica cluster in another Region and belongs to no Aurora global database, so nothing it keeps is known to survive a regional outage.',
      );
      expect(outcome?.observed).toEqual({ crossRegionBackup: false, replicatedTo: '', globalCluster: null });
    });
  });
});

describe('pitr.cross-region: a copy that could not be judged names the next step', () => {
  it('says to run again and how to look at a replicated backup sent without RestoreWindow', () => {
    // Act
    const outcome = pitrCrossRegionCheck.evaluate(
      rdsInstanceFact({
        replicatedBackups: [replicatedBackup('eu-central-1', { restoreWindow: undefined })],
      }),
      contextWith(REQUIRE),
    );

    // Assess: before, no remediation at all, while a FAILED reading names its command.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.remediationText).toBe(
      'Run the audit again: a value the answer left out or a read that failed may come through next time. If it stays unknown, look at the copy where it is kept: `aws rds describe-db-instance-automated-backups --region eu-central-1 --db-instance-automated-backups-arn arn:aws:rds:eu-central-1:111122223333:auto-backup:ab-certctl-db`.',
    );
  });

  it('keeps the grant for a refused Region and names the look for the other', () => {
    const outcome = pitrCrossRegionCheck.evaluate(
      rdsInstanceFact({
        crossRegionBackupTargets: ['eu-central-1', 'us-east-1'],
        replicatedBackups: [
          {
            region: 'eu-central-1',
            arn: 'arn:aws:rds:eu-central-1:111122223333:auto-backup:ab-certctl-db',
            read: false,
            reason: 'not authorized (AccessDenied)',
            accessDenied: true,
          },
          replicatedBackup('us-east-1', { status: undefined }),
        ],
      }),
      contextWith(REQUIRE),
    );
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.remediationText).toContain('rds:DescribeDBInstanceAutomatedBackups in eu-central-1');
    expect(outcome?.remediationText).toContain(
      '`aws rds describe-db-instance-automated-backups --region us-east-1 --db-instance-automated-backups-arn',
    );
    expect(outcome?.remediationText).not.toContain('--region eu-central-1 --db-instance-automated');
  });

  it('names the look at an Aurora replica cluster sent without Status', () => {
    const outcome = pitrCrossRegionCheck.evaluate(
      auroraClusterFact({
        aurora: {
          replicaRegions: ['eu-central-1'],
          globalClusterIdentifier: undefined,
          copies: [
            {
              region: 'eu-central-1',
              arn: 'arn:aws:rds:eu-central-1:111122223333:cluster:certctl-aurora-fra',
              read: true,
              id: 'certctl-aurora-fra',
            } as never,
          ],
        },
      }),
      contextWith(REQUIRE),
    );
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.remediationText).toContain(
      '`aws rds describe-db-clusters --region eu-central-1 --db-cluster-identifier arn:aws:rds:eu-central-1:111122223333:cluster:certctl-aurora-fra`',
    );
  });
});

describe('pitr.cross-region: a replication named by an ARN with no Region', () => {
  const unplacedFact = (arn: string) =>
    rdsInstanceFact({
      crossRegionBackupTargets: [],
      unplacedBackupReplications: [arn],
      replicatedBackups: [],
    });

  it('gives the command that shows the copy, with the Region left for the reader', () => {
    // Prepare: the ARN names partition, account and id, but its Region field is empty.
    const fact = unplacedFact('arn:aws:rds::123456789012:auto-backup:ab-EXAMPLE1');

    // Act
    const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));

    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.remediationText).toContain('Run the audit again');
    expect(outcome?.remediationText).toContain(
      "`aws rds describe-db-instance-automated-backups --region '<destination-region>' --db-instance-automated-backups-arn 'arn:aws:rds:<destination-region>:123456789012:auto-backup:ab-EXAMPLE1'`",
    );
    expect(outcome?.remediationText).toContain(
      "The ARN sent no Region: in its command, replace `'<destination-region>'` after --region, and `<destination-region>` inside the ARN, with the Region its automated backups are replicated to.",
    );
  });

  it('quotes an ARN holding shell characters as one word', () => {
    const outcome = pitrCrossRegionCheck.evaluate(
      unplacedFact('arn:aws:rds:bogus:123456789012:auto-backup:ab-$(touch x)'),
      contextWith(REQUIRE),
    );
    expect(outcome?.remediationText).toContain(
      "--db-instance-automated-backups-arn 'arn:aws:rds:<destination-region>:123456789012:auto-backup:ab-$(touch x)'`",
    );
  });

  it('gives no command when the ARN does not name an account and an automated backup', () => {
    const outcome = pitrCrossRegionCheck.evaluate(unplacedFact('arn:aws:rds'), contextWith(REQUIRE));
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.remediationText).toContain('Run the audit again');
    expect(outcome?.remediationText).not.toContain('describe-db-instance-automated-backups');
  });
});
