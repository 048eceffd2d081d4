import { describe, expect, it } from 'vitest';
import { pitrRetentionCheck } from '../../../functions/checks/pitr/retention.ts';
import { pitrWindowCheck } from '../../../functions/checks/pitr/window.ts';
import type { PitrFact } from '../../../functions/core/facts.ts';
import { auroraClusterFact, contextWith, daysAgo, minutesAgo } from './fixtures.ts';

/**
 * A Multi-AZ DB cluster (DescribeDBClusters, engine `postgres`) is backed up like an RDS DB instance,
 * not like Aurora: "Amazon RDS creates and saves automated backups of your DB instance or Multi-AZ DB
 * cluster during the backup window of your DB instance. RDS creates a storage volume snapshot" (RDS
 * user guide, USER_WorkingWithAutomatedBackups). Its earliest restorable time follows the oldest daily
 * snapshot it keeps, so a retention equal to the target keeps a window between R - 1 and R days: the
 * steady state, not a window "still filling" that completes on a date, and not a PASS in the hours
 * before the daily snapshot.
 */
function multiAzCluster(earliestDaysAgo: number, overrides: Partial<PitrFact> = {}): PitrFact {
  return auroraClusterFact({
    resource: {
      provider: 'aws',
      account: '111122223333',
      region: 'eu-west-1',
      type: 'AwsRdsDbCluster',
      id: 'certctl-maz',
      arn: 'arn:aws:rds:eu-west-1:111122223333:cluster:certctl-maz',
    },
    engine: 'postgres',
    retentionDays: 30,
    restoreWindow: {
      known: true,
      earliest: daysAgo(earliestDaysAgo),
      latest: minutesAgo(3),
      source: 'DBCluster EarliestRestorableTime/LatestRestorableTime',
    },
    dailyBackupWindow: { known: true, window: '03:00-03:30', lengthMs: 30 * 60_000 },
    createdAt: daysAgo(400),
    ...overrides,
  });
}

describe('pitr.window on a Multi-AZ DB cluster (engine postgres)', () => {
  it('warns of the steady state, with no completion date, when a 30-day retention keeps a 29.5-day window', () => {
    // Act
    const outcome = pitrWindowCheck.evaluate(multiAzCluster(29.5), contextWith());
    // Assess
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).not.toContain('completes on');
    expect(outcome?.description).toContain('between 29 and 30 days');
    expect(outcome?.observed).not.toHaveProperty('windowCompleteAt');
    expect(outcome?.remediationText).toContain(
      'aws rds modify-db-cluster --db-cluster-identifier certctl-maz --backup-retention-period 31',
    );
  });

  it('does not pass in the hours before the daily snapshot, when the window touches the target', () => {
    // Act
    const outcome = pitrWindowCheck.evaluate(multiAzCluster(30 - 0.5 / 24), contextWith());
    // Assess
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain('enough now but not all day');
  });

  it('passes once the retention is a day above the target', () => {
    // Act
    const outcome = pitrWindowCheck.evaluate(multiAzCluster(30.2, { retentionDays: 31 }), contextWith());
    // Assess
    expect(outcome?.status).toBe('PASSED');
  });

  it('names a retention a day above the target when the retention is short', () => {
    // Act
    const outcome = pitrRetentionCheck.evaluate(multiAzCluster(7, { retentionDays: 7 }), contextWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.remediationText).toContain('--backup-retention-period 31');
  });

  it('still judges an Aurora cluster, backed up continuously, by the retention itself', () => {
    // Act
    const outcome = pitrWindowCheck.evaluate(
      multiAzCluster(30 - 0.5 / 24, { engine: 'aurora-postgresql' }),
      contextWith(),
    );
    // Assess
    expect(outcome?.status).toBe('PASSED');
  });
});
