/**
 * pitr.window and the database's lifecycle status: a status in which a restore from the database's
 * backups cannot run is FAILED, one that cannot be shown to allow it is NOT_AVAILABLE, and the
 * statuses a healthy database passes through keep their verdict.
 */
import { describe, expect, it } from 'vitest';
import { pitrWindowCheck } from '../../../functions/checks/pitr/window.ts';
import { auroraClusterFact, cloudSqlFact, contextWith, rdsInstanceFact } from './fixtures.ts';

describe('pitr.window: database status', () => {
  describe('FAILED: a restore from these backups cannot run', () => {
    it.each(['inaccessible-encryption-credentials', 'inaccessible-encryption-credentials-recoverable'])(
      'fails an RDS instance with a full window whose KMS key cannot be accessed (%s)',
      (status) => {
        // Act
        const outcome = pitrWindowCheck.evaluate(rdsInstanceFact({ status }), contextWith());
        // Assess
        expect(outcome?.status).toBe('FAILED');
        expect(outcome?.description).toContain(`\`${status}\``);
        expect(outcome?.description).toContain('KMS key');
        expect(outcome?.observed).toMatchObject({ status });
        expect(outcome?.remediationText).toContain('KMS key');
      },
    );

    it('tells an instance it can still recover that the start command is the way back, within seven days', () => {
      const outcome = pitrWindowCheck.evaluate(
        rdsInstanceFact({ status: 'inaccessible-encryption-credentials-recoverable' }),
        contextWith(),
      );
      expect(outcome?.remediationText).toContain(
        'aws rds start-db-instance --db-instance-identifier certctl-db',
      );
      expect(outcome?.remediationText).toContain('seven days');
    });

    it('tells an Aurora cluster with a terminal key state to restore once the key works again', () => {
      const outcome = pitrWindowCheck.evaluate(
        auroraClusterFact({ status: 'inaccessible-encryption-credentials' }),
        contextWith(),
      );
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.remediationText).toContain('restore');
      expect(outcome?.remediationText).not.toContain('start-db-cluster');
    });

    it.each([
      ['an RDS instance', rdsInstanceFact({ status: 'deleting' })],
      ['an RDS instance in its delete precheck', rdsInstanceFact({ status: 'delete-precheck' })],
      ['an Aurora cluster', auroraClusterFact({ status: 'deleting' })],
      ['a Cloud SQL instance', cloudSqlFact({ status: 'PENDING_DELETE' })],
    ])('fails %s that is being deleted although its window is full', (_, fact) => {
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('being deleted');
      expect(outcome?.description).toContain(`\`${fact.status}\``);
    });

    it('names the cluster listing of retained backups for an Aurora cluster being deleted', () => {
      // Prepare: a deleted cluster's retained automated backups are DB cluster automated backups
      // (DescribeDBClusterAutomatedBackups), which describe-db-instance-automated-backups never lists.
      const fact = auroraClusterFact({ status: 'deleting' });
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.remediationText).toContain('aws rds describe-db-cluster-automated-backups');
      expect(outcome?.remediationText).not.toContain('describe-db-instance-automated-backups');
    });

    it('does not promise retained backups for a Multi-AZ DB cluster being deleted, which cannot keep them', () => {
      // Prepare: "You can only retain automated backups of DB instances, not Multi-AZ DB clusters"
      // (RDS user guide, USER_WorkingWithAutomatedBackups.Retaining).
      const fact = auroraClusterFact({ engine: 'postgres', status: 'deleting' });
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.remediationText).not.toContain('automated-backups');
      expect(outcome?.remediationText).not.toContain('DeleteAutomatedBackups');
      expect(outcome?.description).not.toContain('unless they were set to be retained');
      expect(outcome?.remediationText).toContain('Multi-AZ DB cluster');
    });

    it('does not promise retained backups for an Aurora Serverless v1 cluster being deleted, which cannot keep them', () => {
      // Prepare: "You can't retain automated backups for Aurora Serverless v1 DB clusters" (Aurora
      // user guide, Aurora.Managing.Backups.Retaining).
      const fact = auroraClusterFact({ engineMode: 'serverless', status: 'deleting' });
      // Act
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).not.toContain('unless they were set to be retained');
      expect(outcome?.description).toContain('Aurora Serverless v1');
      expect(outcome?.remediationText).not.toContain('DeleteAutomatedBackups=false');
      expect(outcome?.remediationText).toContain('Aurora Serverless v1 DB cluster (EngineMode serverless)');
      expect(outcome?.remediationText).toContain('manual DB cluster snapshots');
    });

    it('says the retention of a deleting Aurora cluster depends on its EngineMode when none was sent', () => {
      const fact = auroraClusterFact({ engineMode: undefined, status: 'deleting' });
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('DescribeDBClusters sent no EngineMode');
      expect(outcome?.remediationText).toContain('DescribeDBClusters sent no EngineMode');
      expect(outcome?.remediationText).toContain('aws rds describe-db-cluster-automated-backups');
    });

    it('keeps the retained-backups advice for a provisioned Aurora cluster being deleted', () => {
      const fact = auroraClusterFact({ engineMode: 'provisioned', status: 'deleting' });
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.description).toContain('unless they were set to be retained');
      expect(outcome?.description).not.toContain('EngineMode');
      expect(outcome?.remediationText).toContain('DeleteAutomatedBackups=false');
      expect(outcome?.remediationText).not.toContain('EngineMode');
    });

    it('fails an RDS instance that reports it cannot do a point-in-time restore', () => {
      const outcome = pitrWindowCheck.evaluate(
        rdsInstanceFact({ status: 'incompatible-restore' }),
        contextWith(),
      );
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('`incompatible-restore`');
    });

    it('fails a deleting instance even when its window could not be read', () => {
      const fact = rdsInstanceFact({
        status: 'deleting',
        restoreWindow: { known: false, reason: 'the listing was refused' },
      });
      expect(pitrWindowCheck.evaluate(fact, contextWith())?.status).toBe('FAILED');
    });
  });

  describe('NOT_AVAILABLE: the status does not show a restore can run', () => {
    it.each([
      ['a suspended Cloud SQL instance', cloudSqlFact({ status: 'SUSPENDED' })],
      ['a failed Cloud SQL instance', cloudSqlFact({ status: 'FAILED' })],
      ['an RDS instance whose restore failed', rdsInstanceFact({ status: 'restore-error' })],
      ['an Aurora cluster whose clone failed', auroraClusterFact({ status: 'cloning-failed' })],
      ['an RDS instance without a status', rdsInstanceFact({ status: 'unknown' })],
      [
        'a Cloud SQL instance in an unspecified state',
        cloudSqlFact({ status: 'SQL_INSTANCE_STATE_UNSPECIFIED' }),
      ],
      ['a status this tool does not know', auroraClusterFact({ status: 'hibernating' })],
    ])('does not pass %s with a full window', (_, fact) => {
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(fact.status);
      expect(outcome?.observed).toMatchObject({ status: fact.status });
    });

    it('keeps a proven FAILED for a suspended instance with backups off', () => {
      const fact = cloudSqlFact({ status: 'SUSPENDED', automatedBackupsEnabled: false, retentionDays: 0 });
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('automated backups are off');
    });
  });

  describe('unchanged: statuses a database with usable backups passes through', () => {
    it.each([
      'backing-up',
      'modifying',
      'maintenance',
      'upgrading',
      'rebooting',
      'configuring-enhanced-monitoring',
      'configuring-log-exports',
      'configuring-iam-database-auth',
      'storage-optimization',
      'stopped',
      'starting',
      // Backups are untouched: AWS's remedy for `failed` is a point-in-time restore; pitr.lag reports
      // the archiving that stopped.
      'failed',
      'storage-full',
      'incompatible-parameters',
    ])('passes an RDS instance in %s', (status) => {
      expect(pitrWindowCheck.evaluate(rdsInstanceFact({ status }), contextWith())?.status).toBe('PASSED');
    });

    it.each(['failing-over', 'backtracking', 'promoting', 'update-iam-db-auth'])(
      'passes an Aurora cluster in %s',
      (status) => {
        expect(pitrWindowCheck.evaluate(auroraClusterFact({ status }), contextWith())?.status).toBe('PASSED');
      },
    );

    it.each(['MAINTENANCE', 'STOPPED', 'RUNNABLE'])('passes a Cloud SQL instance in %s', (status) => {
      expect(pitrWindowCheck.evaluate(cloudSqlFact({ status }), contextWith())?.status).toBe('PASSED');
    });
  });
});

describe('pitr.window: a status that decides on its own wins over a retention not judged', () => {
  it.each([
    ['an RDS instance being deleted', rdsInstanceFact, 'deleting', 'is being deleted'],
    [
      'an Aurora cluster cut off from its KMS key',
      auroraClusterFact,
      'inaccessible-encryption-credentials',
      'cannot reach the KMS key',
    ],
  ] as const)('fails %s whose retention is one RDS cannot have', (_, make, status, words) => {
    // Prepare: the impossible retention leaves the window unjudged, but the status proves no restore runs.
    const fact = make({ status, retentionDays: undefined, retentionImpossible: 'BackupRetentionPeriod 36' });

    // Act
    const outcome = pitrWindowCheck.evaluate(fact, contextWith());

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(words);
  });

  it('stays not available on a retention not judged for a status that proves nothing', () => {
    const fact = rdsInstanceFact({
      status: 'stopped',
      retentionDays: undefined,
      retentionImpossible: 'BackupRetentionPeriod 36',
    });
    expect(pitrWindowCheck.evaluate(fact, contextWith())?.status).toBe('NOT_AVAILABLE');
  });
});
