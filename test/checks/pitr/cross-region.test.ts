import { describe, expect, it } from 'vitest';
import { pitrCrossRegionCheck } from '../../../functions/checks/pitr/cross-region.ts';
import { auroraClusterFact, cloudSqlFact, contextWith, rdsInstanceFact } from './fixtures.ts';

const REQUIRE = { pitr: { requireCrossRegionBackup: true } };

describe('pitr.cross-region', () => {
  it('exposes the stable id and metadata when listed in the catalog', () => {
    expect(pitrCrossRegionCheck.metadata).toMatchObject({ id: 'pitr.cross-region', severity: 'MEDIUM' });
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
    expect(outcome?.required).toEqual({ crossRegionBackup: true });
    expect(outcome?.description).toContain('replicated to eu-central-1');
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
      'aws rds start-db-instance-automated-backups-replication --region <destination-region> --source-db-instance-arn arn:aws:rds:eu-west-1:111122223333:db:certctl-db --backup-retention-period 30',
    );
  });

  it('fails like an empty list when an RDS fact carries no replication list', () => {
    const outcome = pitrCrossRegionCheck.evaluate(
      rdsInstanceFact({ crossRegionBackupTargets: undefined }),
      contextWith(REQUIRE),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('DBInstanceAutomatedBackupsReplications is empty');
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
  });

  it('passes for Aurora when a read replica cluster lives in another region', () => {
    const outcome = pitrCrossRegionCheck.evaluate(
      auroraClusterFact({ aurora: { replicaRegions: ['eu-central-1'], globalClusterIdentifier: undefined } }),
      contextWith(REQUIRE),
    );
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({ crossRegionBackup: true, replicatedTo: 'eu-central-1' });
  });

  it('warns for an Aurora global database member without a visible secondary, naming the global database', () => {
    const outcome = pitrCrossRegionCheck.evaluate(
      auroraClusterFact({ aurora: { replicaRegions: [], globalClusterIdentifier: 'certctl-global' } }),
      contextWith(REQUIRE),
    );
    expect(outcome?.status).toBe('WARNING');
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

  it('fails for Cloud SQL when backups stay in the instance region', () => {
    const fact = cloudSqlFact({ crossRegionBackupTargets: ['europe-west1'] });
    const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('only in europe-west1');
  });
});
