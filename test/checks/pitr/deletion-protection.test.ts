import { describe, expect, it } from 'vitest';
import { pitrDeletionProtectionCheck } from '../../../functions/checks/pitr/deletion-protection.ts';
import { auroraClusterFact, cloudSqlFact, contextWith, rdsInstanceFact } from './fixtures.ts';

describe('pitr.deletion-protection', () => {
  it('exposes the stable id and metadata when listed in the catalog', () => {
    expect(pitrDeletionProtectionCheck.metadata).toMatchObject({
      id: 'pitr.deletion-protection',
      severity: 'MEDIUM',
    });
  });

  describe('RDS and Aurora', () => {
    it('passes when deletion protection is on', () => {
      const outcome = pitrDeletionProtectionCheck.evaluate(rdsInstanceFact(), contextWith());
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.observed).toEqual({ deletionProtection: true });
      expect(outcome?.required).toEqual({ deletionProtection: true });
    });

    it('fails with the instance command when an instance has it off', () => {
      // Act
      const outcome = pitrDeletionProtectionCheck.evaluate(
        rdsInstanceFact({ deletionProtection: false }),
        contextWith(),
      );
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toEqual({ deletionProtection: false });
      expect(outcome?.description).toContain('its automated backups');
      expect(outcome?.remediationText).toContain(
        'aws rds modify-db-instance --db-instance-identifier certctl-db --deletion-protection --apply-immediately --region eu-west-1',
      );
    });

    it('fails with the cluster command when an Aurora cluster has it off', () => {
      const outcome = pitrDeletionProtectionCheck.evaluate(
        auroraClusterFact({ deletionProtection: false }),
        contextWith(),
      );
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.remediationText).toContain(
        'aws rds modify-db-cluster --db-cluster-identifier certctl-aurora --deletion-protection --apply-immediately',
      );
    });

    it('is not available when the flag could not be read', () => {
      const outcome = pitrDeletionProtectionCheck.evaluate(
        rdsInstanceFact({ deletionProtection: undefined }),
        contextWith(),
      );
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('could not read DeletionProtection');
    });
  });

  describe('Cloud SQL', () => {
    it('passes when protection is on and backups are retained on delete', () => {
      // Act
      const outcome = pitrDeletionProtectionCheck.evaluate(cloudSqlFact(), contextWith());
      // Assess
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.observed).toEqual({
        deletionProtection: true,
        retainBackupsOnDelete: true,
        finalBackupEnabled: false,
        finalBackupRetentionDays: null,
      });
      expect(outcome?.description).toContain('backups are retained on delete');
    });

    it('passes when a final backup stands in for retained backups', () => {
      const fact = cloudSqlFact(
        {},
        { retainBackupsOnDelete: false, finalBackupEnabled: true, finalBackupRetentionDays: 30 },
      );
      const outcome = pitrDeletionProtectionCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).toContain('a final backup is configured');
      expect(outcome?.observed).toMatchObject({ finalBackupRetentionDays: 30 });
    });

    it('fails naming only the protection when backups are retained', () => {
      const outcome = pitrDeletionProtectionCheck.evaluate(
        cloudSqlFact({ deletionProtection: false }),
        contextWith(),
      );
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('deletion protection is off');
      expect(outcome?.description).not.toContain('backups are not kept');
      expect(outcome?.remediationText).toContain(
        'gcloud sql instances patch certctl-sql --project=certctl-prod --deletion-protection',
      );
    });

    it('fails naming both gaps when protection is off and backups die with the instance', () => {
      // Prepare
      const fact = cloudSqlFact(
        { deletionProtection: false },
        { retainBackupsOnDelete: false, finalBackupEnabled: false },
      );
      // Act
      const outcome = pitrDeletionProtectionCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('deletion protection is off');
      expect(outcome?.description).toContain('backups are not kept after a deletion');
      expect(outcome?.remediationText).toContain('--deletion-protection --retain-backups-on-delete');
      expect(outcome?.remediationText).toContain('--final-backup');
    });

    it('fails on the backups alone when protection is on', () => {
      const fact = cloudSqlFact({}, { retainBackupsOnDelete: false, finalBackupEnabled: false });
      const outcome = pitrDeletionProtectionCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).not.toContain('deletion protection is off');
      expect(outcome?.remediationText).toContain('--retain-backups-on-delete');
    });

    it('is not available when the retain-on-delete setting could not be read', () => {
      const fact = cloudSqlFact({}, { retainBackupsOnDelete: undefined, finalBackupEnabled: false });
      const outcome = pitrDeletionProtectionCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('could not read settings.retainBackupsOnDelete');
    });
  });
});
