/**
 * A Cloud SQL instance on the enhanced backup tier (`backupTier` ENHANCED, or its deprecated name
 * ADVANCED) is judged through its Backup and DR backup plan: the checks that read the backup
 * settings, runs and recovery times the plan overrides (enabled, retention, window, lag, cross-region)
 * neither pass nor fail it on the instance's own answer, and name the plan; deletion protection, an
 * instance setting, still judges it.
 */
import { describe, expect, it } from 'vitest';
import { pitrDeletionProtectionCheck } from '../../../functions/checks/pitr/deletion-protection.ts';
import { pitrChecks } from '../../../functions/checks/pitr/index.ts';
import { cloudSqlFact, contextWith } from './fixtures.ts';

const PLAN_CHECKS = ['pitr.enabled', 'pitr.retention', 'pitr.window', 'pitr.lag', 'pitr.cross-region'];
const context = contextWith({ pitr: { requireCrossRegionBackup: true } });
const checkOf = (id: string) => pitrChecks.find((check) => check.metadata.id === id);

describe('PITR checks of a Cloud SQL instance whose backups a Backup and DR backup plan manages', () => {
  it.each(PLAN_CHECKS.flatMap((id) => [[id, 'ENHANCED'] as const, [id, 'ADVANCED'] as const]))(
    '%s reports NOT_AVAILABLE on the %s tier, naming the plan association command',
    (id, tier) => {
      // Prepare: a healthy instance by its own settings.
      const fact = cloudSqlFact({}, {}, { backupTier: tier });

      // Act
      const outcome = checkOf(id)?.evaluate(fact, context);

      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(`backupConfiguration.backupTier=${tier}`);
      expect(outcome?.observed).toMatchObject({ backupTier: tier });
      expect(outcome?.remediationText).toContain(
        'gcloud backup-dr backup-plan-associations fetch-for-resource-type sqladmin.googleapis.com/Instance --location=europe-west1 --project=certctl-prod',
      );
    },
  );

  it('does not fail pitr.enabled, nor drop pitr.lag, on an instance whose own automated backups are off', () => {
    // Prepare: Cloud SQL's own daily backups off; the plan's backup rules back the instance up.
    const fact = cloudSqlFact(
      { automatedBackupsEnabled: false, retentionDays: 0 },
      {},
      { backupTier: 'ENHANCED' },
    );

    // Act
    const enabled = checkOf('pitr.enabled')?.evaluate(fact, context);
    const lag = checkOf('pitr.lag')?.evaluate(fact, context);

    // Assess
    expect(enabled?.status).toBe('NOT_AVAILABLE');
    expect(enabled?.description).toContain('backupConfiguration.enabled=false');
    expect(lag?.status).toBe('NOT_AVAILABLE');
  });

  it('keeps judging the standard tier on the instance settings', () => {
    // Prepare
    const fact = cloudSqlFact({}, {}, { backupTier: 'STANDARD' });

    // Act
    const retention = checkOf('pitr.retention')?.evaluate(fact, context);

    // Assess
    expect(retention?.status).toBe('PASSED');
  });

  it('does not pass pitr.deletion-protection on retainBackupsOnDelete, a standard-tier setting, when the vault keeps the backups', () => {
    // Prepare: deletion protection on, backups "retained on delete", no final backup.
    const fact = cloudSqlFact(
      {},
      { retainBackupsOnDelete: true, finalBackupEnabled: false },
      { backupTier: 'ENHANCED' },
    );

    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(fact, context);

    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('backupConfiguration.backupTier=ENHANCED');
    expect(outcome?.description).toContain('retainBackupsOnDelete');
    expect(outcome?.remediationText).toContain('--final-backup');
  });

  it('passes pitr.deletion-protection on the enhanced tier with a final backup, which Google documents for instances managed by Backup and DR', () => {
    // Prepare
    const fact = cloudSqlFact(
      {},
      { retainBackupsOnDelete: false, finalBackupEnabled: true, finalBackupRetentionDays: 30 },
      { backupTier: 'ENHANCED' },
    );

    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(fact, context);

    // Assess
    expect(outcome?.status).toBe('PASSED');
  });

  it('fails pitr.deletion-protection on the enhanced tier for deletion protection alone, not for the backups the vault keeps', () => {
    // Prepare
    const fact = cloudSqlFact(
      { deletionProtection: false },
      { retainBackupsOnDelete: false, finalBackupEnabled: false },
      { backupTier: 'ENHANCED' },
    );

    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(fact, context);

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('deletion protection is off');
    expect(outcome?.description).not.toContain('backups are not kept after a deletion');
  });

  it('keeps judging deletion protection on the enhanced tier', () => {
    // Prepare
    const fact = cloudSqlFact({ deletionProtection: false }, {}, { backupTier: 'ENHANCED' });

    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(fact, context);

    // Assess
    expect(outcome?.status).toBe('FAILED');
  });
});

describe('PITR checks of an enhanced-tier Cloud SQL instance in PENDING_DELETE', () => {
  // The vault's enforced retention, not the instance, decides whether its backups and logs outlive
  // the deletion: the deletion proves no end of the restore window here, so the plan finding stands.
  it.each(['pitr.window', 'pitr.lag'])(
    '%s stays not available naming the plan, not FAILED on the deletion',
    (id) => {
      const fact = cloudSqlFact({ status: 'PENDING_DELETE' }, {}, { backupTier: 'ENHANCED' });
      const outcome = checkOf(id)?.evaluate(fact, context);
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('backupConfiguration.backupTier=ENHANCED');
    },
  );
});
