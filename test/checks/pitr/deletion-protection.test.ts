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

  describe('every description', () => {
    const check = (fact: Parameters<typeof pitrDeletionProtectionCheck.evaluate>[0]) =>
      pitrDeletionProtectionCheck.evaluate(fact, contextWith());
    const REQUIRED = { deletionProtection: true, retainBackupsOnDeleteOrFinalBackup: true };

    it('names the instance when protection is on, and the cluster and its backups nowhere when it is off', () => {
      expect(check(rdsInstanceFact())?.description).toBe(
        'RDS DB instance `certctl-db` has deletion protection on.',
      );
      expect(check(auroraClusterFact({ deletionProtection: false }))?.description).toBe(
        "Aurora DB cluster `certctl-aurora` has deletion protection off: one delete call removes certctl's database.",
      );
      expect(check(rdsInstanceFact({ deletionProtection: false }))?.description).toBe(
        "RDS DB instance `certctl-db` has deletion protection off: one delete call removes certctl's database and, unless the caller asks to retain them, its automated backups.",
      );
    });

    it('says the flag was not sent without a detail when it is missing', () => {
      expect(check(rdsInstanceFact({ deletionProtection: undefined }))?.description).toBe(
        'RDS DB instance `certctl-db`: could not read DeletionProtection, so this check could not be evaluated.',
      );
    });

    it('observes every Cloud SQL setting and names what keeps the backups', () => {
      // Act
      const both = check(cloudSqlFact({}, { finalBackupEnabled: true, finalBackupRetentionDays: 30 }));
      const finalOnly = check(
        cloudSqlFact(
          {},
          { retainBackupsOnDelete: undefined, finalBackupEnabled: true, finalBackupRetentionDays: 30 },
        ),
      );
      // Assess
      expect(both).toEqual({
        status: 'PASSED',
        description:
          'Cloud SQL instance `certctl-sql` has deletion protection on, and backups are retained on delete and a final backup is configured.',
        observed: {
          deletionProtection: true,
          retainBackupsOnDelete: true,
          finalBackupEnabled: true,
          finalBackupRetentionDays: 30,
        },
        required: REQUIRED,
      });
      expect(finalOnly?.status).toBe('PASSED');
      expect(finalOnly?.description).toBe(
        'Cloud SQL instance `certctl-sql` has deletion protection on, and a final backup is configured.',
      );
    });

    it('fails naming both gaps with one patch command', () => {
      const outcome = check(
        cloudSqlFact(
          { deletionProtection: false },
          { retainBackupsOnDelete: false, finalBackupEnabled: false },
        ),
      );
      expect(outcome?.description).toBe(
        'Cloud SQL instance `certctl-sql`: deletion protection is off (settings.deletionProtectionEnabled=false); backups are not kept after a deletion (settings.retainBackupsOnDelete=false, settings.finalBackupConfig.enabled=false).',
      );
      expect(outcome?.remediationText).toMatch(
        /^Run `gcloud sql instances patch certctl-sql --project=certctl-prod --deletion-protection --retain-backups-on-delete`\. Instead of retaining backups/,
      );
    });

    it('fails on the protection and says which backup setting it could not read', () => {
      // Act
      const outcome = check(
        cloudSqlFact(
          { deletionProtection: false },
          { retainBackupsOnDelete: false, finalBackupEnabled: undefined },
        ),
      );
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toBe(
        'Cloud SQL instance `certctl-sql`: deletion protection is off (settings.deletionProtectionEnabled=false). Could not read settings.finalBackupConfig.enabled.',
      );
    });

    it('is not available naming every setting it could not read', () => {
      // Act
      const outcome = check(
        cloudSqlFact(
          { deletionProtection: undefined },
          { retainBackupsOnDelete: undefined, finalBackupEnabled: undefined },
        ),
      );
      // Assess
      expect(outcome).toMatchObject({
        status: 'NOT_AVAILABLE',
        description:
          'Cloud SQL instance `certctl-sql`: could not read settings.deletionProtectionEnabled and settings.retainBackupsOnDelete and settings.finalBackupConfig.enabled, so this check could not be evaluated.',
        observed: {
          deletionProtection: null,
          retainBackupsOnDelete: null,
          finalBackupEnabled: null,
          finalBackupRetentionDays: null,
        },
      });
    });

    it('is not available when only the final backup setting is unknown and retention is off', () => {
      const outcome = check(
        cloudSqlFact({}, { retainBackupsOnDelete: false, finalBackupEnabled: undefined }),
      );
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('could not read settings.finalBackupConfig.enabled, so');
    });

    it('observes nulls when the instance has no Cloud SQL block', () => {
      const outcome = check({ ...cloudSqlFact(), cloudSql: undefined });
      expect(outcome?.observed).toEqual({
        deletionProtection: true,
        retainBackupsOnDelete: null,
        finalBackupEnabled: null,
        finalBackupRetentionDays: null,
      });
    });
  });
});

describe('pitr.deletion-protection on Cloud SQL, one backup setting read', () => {
  it('passes on retained backups alone when the final-backup setting was not sent', () => {
    const outcome = pitrDeletionProtectionCheck.evaluate(
      cloudSqlFact({}, { retainBackupsOnDelete: true, finalBackupEnabled: undefined }),
      contextWith(),
    );
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toBe(
      'Cloud SQL instance `certctl-sql` has deletion protection on, and backups are retained on delete.',
    );
  });
  it('names only the setting it could not read when the final backup is off', () => {
    const outcome = pitrDeletionProtectionCheck.evaluate(
      cloudSqlFact({}, { retainBackupsOnDelete: undefined, finalBackupEnabled: false }),
      contextWith(),
    );
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toBe(
      'Cloud SQL instance `certctl-sql`: could not read settings.retainBackupsOnDelete, so this check could not be evaluated.',
    );
  });
});

describe('pitr.deletion-protection, a failure with both backup settings unread', () => {
  it('names both settings it could not read after the problem', () => {
    const outcome = pitrDeletionProtectionCheck.evaluate(
      cloudSqlFact(
        { deletionProtection: false },
        { retainBackupsOnDelete: undefined, finalBackupEnabled: undefined },
      ),
      contextWith(),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      'Cloud SQL instance `certctl-sql`: deletion protection is off (settings.deletionProtectionEnabled=false). Could not read settings.retainBackupsOnDelete and settings.finalBackupConfig.enabled.',
    );
  });
});

describe('pitr.deletion-protection on Cloud SQL, the final backup judged against minPitrDays', () => {
  it('fails when the final backup is the only guard and outlives a deletion by fewer days than the policy', () => {
    // Prepare: a final backup purged one day after the deletion, nothing else retained.
    const fact = cloudSqlFact(
      {},
      { retainBackupsOnDelete: false, finalBackupEnabled: true, finalBackupRetentionDays: 1 },
    );
    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(fact, contextWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      'Cloud SQL instance `certctl-sql`: the final backup is kept only 1 day after a deletion (settings.finalBackupConfig.retentionDays=1), fewer than the 30 days the policy requires, and backups are not retained on delete (settings.retainBackupsOnDelete=false).',
    );
    expect(outcome?.remediationText).toContain(
      'gcloud sql instances patch certctl-sql --project=certctl-prod --final-backup-retention-days=30',
    );
  });

  it('passes a final backup kept at least the policy days, and one shorter when backups are retained', () => {
    const enough = pitrDeletionProtectionCheck.evaluate(
      cloudSqlFact(
        {},
        { retainBackupsOnDelete: false, finalBackupEnabled: true, finalBackupRetentionDays: 35 },
      ),
      contextWith({ pitr: { minPitrDays: 35 } }),
    );
    const retained = pitrDeletionProtectionCheck.evaluate(
      cloudSqlFact(
        {},
        { retainBackupsOnDelete: true, finalBackupEnabled: true, finalBackupRetentionDays: 1 },
      ),
      contextWith(),
    );
    expect(enough?.status).toBe('PASSED');
    expect(retained?.status).toBe('PASSED');
    expect(retained?.description).toContain('backups are retained on delete');
  });

  it('does not judge final-backup days outside the documented range, naming them', () => {
    // Prepare: the adapter reads 0 days (outside 1-365) as not sent, with why.
    const why =
      'the API sent settings.finalBackupConfig.retentionDays=0, outside the 1-365 days Cloud SQL keeps a final backup';
    const fact = cloudSqlFact(
      {},
      {
        retainBackupsOnDelete: false,
        finalBackupEnabled: true,
        finalBackupRetentionDays: undefined,
        finalBackupRetentionImpossible: why,
      },
    );
    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(fact, contextWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toBe(
      `Cloud SQL instance \`certctl-sql\`: could not read settings.finalBackupConfig.retentionDays (${why}), so this check could not be evaluated.`,
    );
  });

  it('does not claim a final backup whose retention was not sent as the guard', () => {
    const outcome = pitrDeletionProtectionCheck.evaluate(
      cloudSqlFact({}, { retainBackupsOnDelete: false, finalBackupEnabled: true }),
      contextWith(),
    );
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toBe(
      'Cloud SQL instance `certctl-sql`: could not read settings.finalBackupConfig.retentionDays, so this check could not be evaluated.',
    );
  });
});

describe('pitr.deletion-protection on Cloud SQL, retained backups without automated backups', () => {
  it('does not pass on retained backups when automated backups are off and no final backup is configured', () => {
    // Prepare: retainBackupsOnDelete keeps the instance's backups; with automated backups off there
    // is no automated backup for it to keep, so no restore point is proven to outlive a deletion.
    const fact = cloudSqlFact(
      { automatedBackupsEnabled: false, pointInTimeRecoveryEnabled: false, retentionDays: 0 },
      { retainBackupsOnDelete: true, finalBackupEnabled: false },
    );

    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(fact, contextWith());

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      'Cloud SQL instance `certctl-sql`: backups are not kept after a deletion (settings.retainBackupsOnDelete=true, but automated backups are off (settings.backupConfiguration.enabled=false), so there is no automated backup to retain; settings.finalBackupConfig.enabled=false).',
    );
    expect(outcome?.remediationText).toContain('--final-backup --final-backup-retention-days=30');
    expect(outcome?.remediationText).toContain('Turn automated backups on (pitr.enabled)');
  });

  it('judges the final backup as the only guard when automated backups are off', () => {
    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(
      cloudSqlFact(
        { automatedBackupsEnabled: false, pointInTimeRecoveryEnabled: false, retentionDays: 0 },
        { retainBackupsOnDelete: true, finalBackupEnabled: true, finalBackupRetentionDays: 1 },
      ),
      contextWith(),
    );

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('the final backup is kept only 1 day after a deletion');
    expect(outcome?.description).toContain(
      'retaining backups on delete keeps no automated backup, since automated backups are off (settings.backupConfiguration.enabled=false)',
    );
  });

  it('does not pass on retained backups when whether automated backups are on was not sent', () => {
    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(
      cloudSqlFact(
        { automatedBackupsEnabled: undefined },
        { retainBackupsOnDelete: true, finalBackupEnabled: false },
      ),
      contextWith(),
    );

    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('settings.backupConfiguration.enabled');
  });

  it('does not pass on a final backup kept the policy days when automated backups are off', () => {
    // Prepare: Google's Cloud SQL documentation (final backups, `sql instances delete`) does not say
    // whether a final backup is taken from an instance with automated backups off, so a final
    // backup as the only guard proves no restore point after a deletion.
    const fact = cloudSqlFact(
      { automatedBackupsEnabled: false, pointInTimeRecoveryEnabled: false, retentionDays: 0 },
      { retainBackupsOnDelete: true, finalBackupEnabled: true, finalBackupRetentionDays: 30 },
    );

    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(fact, contextWith());

    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toBe(
      'Cloud SQL instance `certctl-sql`: the only guard of its backups after a deletion is a final backup (settings.finalBackupConfig.enabled=true), and automated backups are off (settings.backupConfiguration.enabled=false); Cloud SQL does not document whether a final backup is taken from an instance with automated backups off, so this check could not be evaluated.',
    );
    expect(outcome?.remediationText).toContain(
      "gcloud sql instances patch certctl-sql --project=certctl-prod --backup-start-time='<HH:MM>' --enable-point-in-time-recovery",
    );
  });

  it('does not pass on a final backup alone when whether automated backups are on was not sent', () => {
    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(
      cloudSqlFact(
        { automatedBackupsEnabled: undefined },
        { retainBackupsOnDelete: false, finalBackupEnabled: true, finalBackupRetentionDays: 30 },
      ),
      contextWith(),
    );

    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('could not read settings.backupConfiguration.enabled');
  });

  it('still passes on a final backup kept the policy days when automated backups are on', () => {
    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(
      cloudSqlFact(
        {},
        { retainBackupsOnDelete: false, finalBackupEnabled: true, finalBackupRetentionDays: 30 },
      ),
      contextWith(),
    );

    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toBe(
      'Cloud SQL instance `certctl-sql` has deletion protection on, and a final backup is configured.',
    );
  });
});

describe('pitr.deletion-protection on a database being deleted', () => {
  it('does not pass deletion protection on a Cloud SQL instance in PENDING_DELETE', () => {
    // Prepare: Cloud SQL refuses to delete an instance with deletion protection on, yet the answer
    // says the instance is being deleted: the protection did not stop this deletion.
    const fact = cloudSqlFact({ status: 'PENDING_DELETE' });

    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(fact, contextWith());

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      'Cloud SQL instance `certctl-sql` is being deleted (status `PENDING_DELETE`) although the answer says deletion protection is on: the protection did not stop this deletion. Backups are retained on delete.',
    );
    expect(outcome?.observed).toMatchObject({ deletionProtection: true, status: 'PENDING_DELETE' });
    expect(outcome?.remediationText).toContain('The deletion cannot be stopped.');
  });

  it('does not pass deletion protection on an RDS DB instance with status deleting', () => {
    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(
      rdsInstanceFact({ status: 'deleting', deletionProtection: true }),
      contextWith(),
    );

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('is being deleted (status `deleting`)');
  });

  it('fails an instance in PENDING_DELETE with protection on whose backup guard was not read', () => {
    // Prepare: a field not read cannot undo a deletion under way.
    const fact = cloudSqlFact({ status: 'PENDING_DELETE' }, { retainBackupsOnDelete: undefined });

    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(fact, contextWith());

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'is being deleted (status `PENDING_DELETE`) although the answer says deletion protection is on',
    );
    expect(outcome?.observed).toMatchObject({ retainBackupsOnDelete: null, status: 'PENDING_DELETE' });
    expect(outcome?.remediationText).toContain('The deletion cannot be stopped.');
  });

  it('fails an instance in PENDING_DELETE with protection on whose only guard is a final backup with automated backups off', () => {
    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(
      cloudSqlFact(
        { status: 'PENDING_DELETE', automatedBackupsEnabled: false },
        { retainBackupsOnDelete: false, finalBackupEnabled: true, finalBackupRetentionDays: 30 },
      ),
      contextWith(),
    );

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('is being deleted (status `PENDING_DELETE`)');
  });

  it('fails an enhanced-tier instance in PENDING_DELETE with protection on, naming no retained backups', () => {
    // Act: the vault would decide whether the backups outlive it, but the deletion decides the check.
    const outcome = pitrDeletionProtectionCheck.evaluate(
      cloudSqlFact({ status: 'PENDING_DELETE' }, {}, { backupTier: 'ENHANCED' }),
      contextWith(),
    );

    // Assess: retainBackupsOnDelete governs no backup in the vault, so it is not named as a guard.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      'Cloud SQL instance `certctl-sql` is being deleted (status `PENDING_DELETE`) although the answer says deletion protection is on: the protection did not stop this deletion.',
    );
  });

  it('keeps a FAILED for protection off on a database being deleted as it is', () => {
    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(
      cloudSqlFact({ status: 'PENDING_DELETE', deletionProtection: false }),
      contextWith(),
    );

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('deletion protection is off');
  });
});

describe('pitr.deletion-protection: a deletion under way whose protection was not read', () => {
  it.each([
    ['an RDS DB instance', () => rdsInstanceFact({ status: 'deleting', deletionProtection: undefined })],
    [
      'an Aurora cluster',
      () => auroraClusterFact({ status: 'delete-precheck', deletionProtection: undefined }),
    ],
    ['a Cloud SQL instance', () => cloudSqlFact({ status: 'PENDING_DELETE', deletionProtection: undefined })],
    [
      'a Cloud SQL instance whose backup guard was not read either',
      () =>
        cloudSqlFact(
          { status: 'PENDING_DELETE', deletionProtection: undefined },
          { retainBackupsOnDelete: undefined },
        ),
    ],
    [
      'an enhanced-tier Cloud SQL instance',
      () =>
        cloudSqlFact(
          { status: 'PENDING_DELETE', deletionProtection: undefined },
          {},
          { backupTier: 'ENHANCED' },
        ),
    ],
  ])('fails %s, since the deletion proves the protection was off', (_, make) => {
    // Prepare: RDS and Cloud SQL refuse to delete a protected database, so a deletion under way
    // proves the protection was off when it was asked for, whatever the flag not sent would say.
    const fact = make();

    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(fact, contextWith());

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(`is being deleted (status \`${fact.status}\`)`);
    expect(outcome?.description).not.toContain('the answer says deletion protection is on');
    expect(outcome?.observed).toMatchObject({ deletionProtection: null, status: fact.status });
    expect(outcome?.remediationText).toMatch(/The deletion cannot be (cancelled|stopped)\./);
  });

  it('stays not available, never PASSED, on a protection not read when the database is not being deleted', () => {
    const outcome = pitrDeletionProtectionCheck.evaluate(
      rdsInstanceFact({ status: 'stopped', deletionProtection: undefined }),
      contextWith(),
    );
    expect(outcome?.status).toBe('NOT_AVAILABLE');
  });
});
