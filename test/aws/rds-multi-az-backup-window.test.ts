import { describe, expect, it } from 'vitest';
import { auroraClusterToFact } from '../../functions/aws/rds.ts';
import { decodeRdsListResult, LEAN_RESULTS } from '../../functions/aws/rds-wire.ts';
import { pitrRetentionCheck } from '../../functions/checks/pitr/retention.ts';
import { contextWith } from '../checks/pitr/fixtures.ts';

/**
 * A Multi-AZ DB cluster takes its automated daily snapshot in its backup window, as a DB instance
 * does (RDS user guide, USER_WorkingWithAutomatedBackups), so how long that window is decides the
 * retention that holds the target all day (functions/checks/pitr/commands.ts retentionToHold).
 */
const SCOPE = { account: '111122223333', region: 'eu-west-1' };
const LISTED = {
  DBClusterIdentifier: 'certctl-maz',
  Status: 'available',
  BackupRetentionPeriod: 31,
  PreferredBackupWindow: '01:00-04:00',
};

describe('the backup window of a Multi-AZ DB cluster', () => {
  it('is read from DescribeDBClusters PreferredBackupWindow, for a Multi-AZ DB cluster only', () => {
    // Act
    const multiAz = auroraClusterToFact({ ...LISTED, Engine: 'postgres' }, SCOPE);
    const aurora = auroraClusterToFact({ ...LISTED, Engine: 'aurora-postgresql' }, SCOPE);
    // Assess: three hours, longer than a PASS absorbs: the retention that holds 30 days is 32.
    expect(multiAz.dailyBackupWindow).toEqual({
      known: true,
      window: '01:00-04:00',
      lengthMs: 3 * 3_600_000,
    });
    expect(aurora.dailyBackupWindow).toBeUndefined();
    const outcome = pitrRetentionCheck.evaluate({ ...multiAz, retentionDays: 7 }, contextWith());
    expect(outcome?.remediationText).toContain('--backup-retention-period 32');
  });

  it('says DescribeDBClusters did not send it when it is missing', () => {
    // Act
    const fact = auroraClusterToFact(
      { ...LISTED, Engine: 'postgres', PreferredBackupWindow: undefined },
      SCOPE,
    );
    // Assess
    expect(fact.dailyBackupWindow).toEqual({
      known: false,
      reason: 'DescribeDBClusters sent no PreferredBackupWindow',
    });
  });

  it('is decoded by the lean decoding', () => {
    // Act
    const decoded = decodeRdsListResult(
      'DescribeDBClusters',
      '<DescribeDBClustersResponse><DescribeDBClustersResult><DBClusters><DBCluster><DBClusterIdentifier>certctl-maz</DBClusterIdentifier><PreferredBackupWindow>01:00-04:00</PreferredBackupWindow></DBCluster></DBClusters></DescribeDBClustersResult></DescribeDBClustersResponse>',
      LEAN_RESULTS.DescribeDBClusters ?? {},
    );
    // Assess
    expect(decoded.DBClusters).toEqual([
      { DBClusterIdentifier: 'certctl-maz', PreferredBackupWindow: '01:00-04:00' },
    ]);
  });
});
