import { describe, expect, it } from 'vitest';
import { pitrRetentionCheck } from '../../../functions/checks/pitr/retention.ts';
import { auroraClusterFact, cloudSqlFact, contextWith, rdsInstanceFact } from './fixtures.ts';

const BACKUP_ARN = 'arn:aws:backup:eu-west-1:111122223333:recovery-point:continuous:db-ABC-1a2b3c4d';

describe('pitr.retention', () => {
  it('exposes the stable id and metadata when listed in the catalog', () => {
    expect(pitrRetentionCheck.metadata).toMatchObject({
      id: 'pitr.retention',
      group: 'pitr',
      severity: 'HIGH',
    });
    expect(pitrRetentionCheck.metadata.remediation.url).toContain('docs.aws.amazon.com');
  });

  describe('RDS and Aurora', () => {
    it('passes when the retention meets the minimum', () => {
      // Act
      const outcome = pitrRetentionCheck.evaluate(rdsInstanceFact(), contextWith());
      // Assess
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.observed).toEqual({ retentionDays: 35 });
      expect(outcome?.required).toEqual({ retentionDays: 30 });
    });

    it('fails when the retention meets the minimum now but a pending modification lowers it below', () => {
      // Prepare
      const fact = auroraClusterFact({ retentionDays: 30, pendingRetentionDays: 7 });
      // Act
      const outcome = pitrRetentionCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toEqual({ retentionDays: 30, pendingRetentionDays: 7 });
      expect(outcome?.description).toContain('PendingModifiedValues.BackupRetentionPeriod=7');
      expect(outcome?.remediationText).toContain(
        'aws rds modify-db-cluster --db-cluster-identifier certctl-aurora --backup-retention-period 30 --apply-immediately',
      );
    });

    it('says an instance retention lowered between two non-zero values is applied as soon as possible, not at the maintenance window', () => {
      // ModifyDBInstance.BackupRetentionPeriod: "If you change the parameter from one non-zero value
      // to another non-zero value, the change is asynchronously applied as soon as possible."
      const fact = rdsInstanceFact({ retentionDays: 35, pendingRetentionDays: 7 });
      const outcome = pitrRetentionCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('PendingModifiedValues.BackupRetentionPeriod=7');
      expect(outcome?.description).toContain('RDS applies as soon as it can');
      expect(outcome?.description).not.toContain('at the next maintenance window');
      expect(outcome?.remediationText).not.toContain('before it is applied');
    });

    it('passes when a pending modification keeps the retention at or above the minimum', () => {
      const outcome = pitrRetentionCheck.evaluate(
        rdsInstanceFact({ pendingRetentionDays: 30 }),
        contextWith(),
      );
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.observed).toEqual({ retentionDays: 35, pendingRetentionDays: 30 });
    });

    it('fails with the exact modify-db-instance command when an instance keeps 7 days', () => {
      // Prepare
      const fact = rdsInstanceFact({ retentionDays: 7 });
      // Act
      const outcome = pitrRetentionCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toEqual({ retentionDays: 7 });
      expect(outcome?.required).toEqual({ retentionDays: 30 });
      expect(outcome?.description).toContain('keeps only 7 days');
      expect(outcome?.description).toContain('the policy requires 30');
      expect(outcome?.remediationText).toContain(
        'aws rds modify-db-instance --db-instance-identifier certctl-db --backup-retention-period 31 --apply-immediately --region eu-west-1',
      );
      // A day above the target: the instance's window starts at the oldest daily snapshot it keeps.
      expect(outcome?.remediationText).toContain(
        'a retention of 30 days would keep the window between 29 and 30 days',
      );
      expect(outcome?.remediationText).toContain('does not create history backwards');
    });

    it('fails saying backups are off when the retention is 0', () => {
      const outcome = pitrRetentionCheck.evaluate(rdsInstanceFact({ retentionDays: 0 }), contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toEqual({ retentionDays: 0 });
      expect(outcome?.description).toContain('keeps no point-in-time recovery (BackupRetentionPeriod=0');
    });

    it('fails with the modify-db-cluster command when an Aurora cluster keeps 14 days', () => {
      const fact = auroraClusterFact({ retentionDays: 14 });
      const outcome = pitrRetentionCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.remediationText).toContain(
        'aws rds modify-db-cluster --db-cluster-identifier certctl-aurora --backup-retention-period 30 --apply-immediately',
      );
    });

    it('points to the AWS Backup plan when AWS Backup manages a short retention', () => {
      // Prepare
      const fact = rdsInstanceFact({ retentionDays: 7, awsBackupRecoveryPointArn: BACKUP_ARN });
      // Act
      const outcome = pitrRetentionCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toEqual({ retentionDays: 7, awsBackupRecoveryPointArn: BACKUP_ARN });
      expect(outcome?.description).toContain('AWS Backup manages its continuous backup');
      expect(outcome?.remediationText).toContain('changed only through the backup plan');
      expect(outcome?.remediationText).not.toContain('aws rds modify-db-instance');
      // The same day above the target as pitr.window names for an RDS instance's daily-snapshot window.
      expect(outcome?.remediationText).toContain(
        '(Lifecycle DeleteAfterDays) of the plan that covers this database to at least 31 days',
      );
    });

    it('says AWS Backup manages the retention when it passes', () => {
      const fact = auroraClusterFact({ awsBackupRecoveryPointArn: BACKUP_ARN });
      const outcome = pitrRetentionCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).toContain('AWS Backup manages');
    });

    it('is not available when the retention could not be read', () => {
      const fact = rdsInstanceFact({ retentionDays: undefined });
      const outcome = pitrRetentionCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('could not read BackupRetentionPeriod');
      expect(outcome?.observed).toEqual({ retentionDays: null });
    });
  });

  describe('Cloud SQL', () => {
    it('passes and reports both values when logs and retained backups cover the minimum', () => {
      // Act
      const outcome = pitrRetentionCheck.evaluate(cloudSqlFact(), contextWith());
      // Assess
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.observed).toEqual({
        retentionDays: 30,
        retainedBackups: 31,
        edition: 'ENTERPRISE_PLUS',
        maxRetentionDaysOnEdition: 35,
      });
      expect(outcome?.required).toEqual({ retentionDays: 30, retainedBackups: 30 });
      expect(outcome?.description).toContain('keeps 30 days of transaction logs and 31 daily backups');
    });

    it('notes the log-days-plus-one recommendation when retained backups equal the log days', () => {
      const outcome = pitrRetentionCheck.evaluate(cloudSqlFact({}, { retainedBackups: 30 }), contextWith());
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).toContain('Google recommends one more retained backup than log days (31)');
    });

    it('fails as impossible on ENTERPRISE and names the edition upgrade when the target exceeds 7 days', () => {
      // Prepare
      const fact = cloudSqlFact(
        { retentionDays: 7, retentionRange: { min: 1, max: 7 } },
        { edition: 'ENTERPRISE', retainedBackups: 7 },
      );
      // Act
      const outcome = pitrRetentionCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toEqual({
        retentionDays: 7,
        retainedBackups: 7,
        edition: 'ENTERPRISE',
        maxRetentionDaysOnEdition: 7,
      });
      expect(outcome?.description).toContain('the 30-day target is impossible on the ENTERPRISE edition');
      expect(outcome?.description).toContain('at 7 days');
      expect(outcome?.description).toContain('it keeps 7 automated backups (retainedBackups)');
      // An Enterprise Plus instance needs an Enterprise Plus machine type: the in-place upgrade
      // names one (`--tier`), or the patch is refused for the instance's current tier.
      expect(outcome?.remediationText).toContain(
        "gcloud sql instances patch certctl-sql --project=certctl-prod --edition=ENTERPRISE_PLUS --tier='<an Enterprise Plus machine type, such as db-perf-optimized-N-2>'",
      );
      expect(outcome?.remediationText).toContain('--retained-transaction-log-days=30');
      expect(outcome?.remediationText).toContain('daily backups');
      expect(outcome?.remediationText).toContain('pg_dump');
    });

    it('calls an instance without an edition ENTERPRISE-class when its 7-day cap makes the target impossible', () => {
      // Prepare
      const fact = cloudSqlFact(
        { retentionDays: 7, retentionRange: { min: 1, max: 7 } },
        { edition: 'UNSPECIFIED', retainedBackups: 31 },
      );
      // Act
      const outcome = pitrRetentionCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain(
        'the 30-day target is impossible on this instance: an instance without an edition is ENTERPRISE-class, which caps transaction-log retention (transactionLogRetentionDays) at 7 days',
      );
      expect(outcome?.description).toContain('(no edition, ENTERPRISE-class, transactionLogRetentionDays=7');
      expect(outcome?.description).not.toContain('UNSPECIFIED edition');
      expect(outcome?.observed).toMatchObject({ edition: 'UNSPECIFIED', maxRetentionDaysOnEdition: 7 });
      expect(outcome?.remediationText).toContain('--edition=ENTERPRISE_PLUS');
    });

    it('judges the log days sent, not an assumed 7-day cap, when an instance without an edition or on DEVELOPER keeps more than 7', () => {
      // Prepare: no edition sent (or DEVELOPER, held to the Enterprise range for want of a documented
      // one), yet the API reports 30 days of logs, which it accepted: the assumed cap does not hold.
      const noEdition = cloudSqlFact(
        { retentionDays: 30, retentionRange: { min: 1, max: 7 } },
        { edition: 'UNSPECIFIED', retainedBackups: 31 },
      );
      const developer = cloudSqlFact(
        { retentionDays: 30, retentionRange: { min: 1, max: 7 } },
        { edition: 'DEVELOPER', retainedBackups: 31 },
      );
      // Act
      const outcomes = [noEdition, developer].map((fact) => pitrRetentionCheck.evaluate(fact, contextWith()));
      // Assess
      for (const outcome of outcomes) {
        expect(outcome?.status).toBe('PASSED');
        expect(outcome?.description).not.toContain('impossible');
        expect(outcome?.remediationText ?? '').not.toContain('--edition=ENTERPRISE_PLUS');
      }
      expect(outcomes[0]?.description).toContain('keeps 30 days of transaction logs');
    });

    it('judges ENTERPRISE by its 7-day cap even when the fact claims a wider range', () => {
      const fact = cloudSqlFact({ retentionDays: 7 }, { edition: 'ENTERPRISE' });
      const outcome = pitrRetentionCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toMatchObject({ maxRetentionDaysOnEdition: 7 });
    });

    it('passes on ENTERPRISE when the target fits within 7 days', () => {
      const fact = cloudSqlFact(
        { retentionDays: 7, retentionRange: { min: 1, max: 7 } },
        { edition: 'ENTERPRISE', retainedBackups: 8 },
      );
      const outcome = pitrRetentionCheck.evaluate(fact, contextWith({ pitr: { minPitrDays: 7 } }));
      expect(outcome?.status).toBe('PASSED');
    });

    it('fails with the log-days flag when ENTERPRISE_PLUS keeps 14 days', () => {
      // Prepare
      const fact = cloudSqlFact({ retentionDays: 14 });
      // Act
      const outcome = pitrRetentionCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('it keeps 14 days of transaction logs');
      expect(outcome?.description).not.toContain('impossible');
      expect(outcome?.remediationText).toContain(
        'gcloud sql instances patch certctl-sql --project=certctl-prod --retained-transaction-log-days=30',
      );
    });

    it('fails on retained backups alone when the logs are long enough', () => {
      const fact = cloudSqlFact({}, { retainedBackups: 7 });
      const outcome = pitrRetentionCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toMatchObject({ retentionDays: 30, retainedBackups: 7 });
      expect(outcome?.description).toContain('transactionLogRetentionDays=30, retainedBackups=7');
      expect(outcome?.remediationText).toContain('--retained-backups-count=31');
    });

    it('fails saying automated backups are off, and names the switch that turns them on, not a log-days value the API did not send', () => {
      // Prepare: backupConfiguration.enabled=false; the adapter reports 0 days (no backup, no log),
      // whatever transactionLogRetentionDays the instance still carries.
      const fact = cloudSqlFact(
        { automatedBackupsEnabled: false, retentionDays: 0 },
        { retainedBackups: 31 },
      );
      // Act
      const outcome = pitrRetentionCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('automated backups are off (backupConfiguration.enabled=false)');
      expect(outcome?.description).not.toContain('transactionLogRetentionDays=0');
      expect(outcome?.description).not.toContain('keeps 0 days');
      expect(outcome?.remediationText).toContain(
        "gcloud sql instances patch certctl-sql --project=certctl-prod --backup-start-time='<HH:MM>' --enable-point-in-time-recovery",
      );
      expect(outcome?.remediationText).toContain(
        '--retained-transaction-log-days=30 --retained-backups-count=31',
      );
    });

    it('fails when point-in-time recovery is off whatever the log days say', () => {
      const fact = cloudSqlFact({ pointInTimeRecoveryEnabled: false });
      const outcome = pitrRetentionCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('point-in-time recovery is off');
      expect(outcome?.remediationText).toContain('--enable-point-in-time-recovery');
    });

    it('is not available when the retained-backup count could not be read', () => {
      const fact = cloudSqlFact({}, { retainedBackups: undefined });
      const outcome = pitrRetentionCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('backupRetentionSettings.retainedBackups');
      expect(outcome?.observed).toMatchObject({ retainedBackups: null });
    });

    it('is not available when it is unknown whether point-in-time recovery is on', () => {
      // Off, no transaction logs are kept whatever transactionLogRetentionDays says (the FAILED
      // case above); unread, the configured days prove nothing.
      const outcome = pitrRetentionCheck.evaluate(
        cloudSqlFact({ pointInTimeRecoveryEnabled: undefined }),
        contextWith(),
      );
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('backupConfiguration.pointInTimeRecoveryEnabled');
    });

    it('is not available when it is unknown whether automated backups are on', () => {
      // Off, the instance keeps no backup and no log (the adapter then reports 0 days); unread, the
      // configured days and retained backups prove nothing.
      const outcome = pitrRetentionCheck.evaluate(
        cloudSqlFact({ automatedBackupsEnabled: undefined }),
        contextWith(),
      );
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('backupConfiguration.enabled');
    });

    it('still fails on a known shortfall when whether PITR is on could not be read', () => {
      const outcome = pitrRetentionCheck.evaluate(
        cloudSqlFact({ retentionDays: 14, pointInTimeRecoveryEnabled: undefined }),
        contextWith(),
      );
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain(
        'Could not read backupConfiguration.pointInTimeRecoveryEnabled.',
      );
    });

    it('is not available when the log retention could not be read', () => {
      const fact = cloudSqlFact({ retentionDays: undefined });
      const outcome = pitrRetentionCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('transactionLogRetentionDays');
    });
  });

  describe('every Cloud SQL description', () => {
    const check = (fact: Parameters<typeof pitrRetentionCheck.evaluate>[0], policy = {}) =>
      pitrRetentionCheck.evaluate(fact, contextWith(policy));
    const PITR_DOCS = 'https://cloud.google.com/sql/docs/postgres/backup-recovery/pitr';

    it('says in days how many logs an edition-capped instance keeps, or that the number is unknown', () => {
      // Act
      const known = check(cloudSqlFact({ retentionDays: 7 }, { edition: 'ENTERPRISE', retainedBackups: 31 }));
      const unknown = check({ ...cloudSqlFact({ retentionDays: undefined }), cloudSql: undefined });
      // Assess
      expect(known?.description).toBe(
        'Cloud SQL instance `certctl-sql` (ENTERPRISE, transactionLogRetentionDays=7, retainedBackups=31): the 30-day target is impossible on the ENTERPRISE edition, which caps transaction-log retention (transactionLogRetentionDays) at 7 days (it keeps 7 days).',
      );
      expect(unknown?.description).toBe(
        'Cloud SQL instance `certctl-sql` (no edition, ENTERPRISE-class, transactionLogRetentionDays=unknown, retainedBackups=unknown): the 30-day target is impossible on this instance: an instance without an edition is ENTERPRISE-class, which caps transaction-log retention (transactionLogRetentionDays) at 7 days (it keeps an unknown number of days). Could not read backupConfiguration.backupRetentionSettings.retainedBackups.',
      );
      expect(unknown?.observed).toMatchObject({ edition: 'UNSPECIFIED', retainedBackups: null });
    });

    it('does not repeat the retained-backups fix the edition upgrade already names', () => {
      const outcome = check(
        cloudSqlFact({ retentionDays: 7 }, { edition: 'ENTERPRISE', retainedBackups: 10 }),
      );
      expect(outcome?.remediationText?.match(/--retained-backups-count=31/g)).toHaveLength(2);
      expect(outcome?.remediationText).toMatch(
        /^Upgrade to Enterprise Plus, .* See https:\/\/cloud\.google\.com\/sql\/docs\/postgres\/backup-recovery\/pitr\.$/,
      );
    });

    it('lists every problem and fix, then what it could not read', () => {
      expect(
        check(
          cloudSqlFact(
            { retentionDays: 7, pointInTimeRecoveryEnabled: false },
            { retainedBackups: undefined },
          ),
        ),
      ).toMatchObject({
        status: 'FAILED',
        description:
          'Cloud SQL instance `certctl-sql` (ENTERPRISE_PLUS, transactionLogRetentionDays=7, retainedBackups=unknown): it keeps 7 days of transaction logs (transactionLogRetentionDays); the policy requires 30; point-in-time recovery is off, so no transaction logs are kept whatever the retention says. Could not read backupConfiguration.backupRetentionSettings.retainedBackups.',
        remediationText: `Run \`gcloud sql instances patch certctl-sql --project=certctl-prod --retained-transaction-log-days=30\`; the window then grows by one day per day until it holds 30 days. Run \`gcloud sql instances patch certctl-sql --project=certctl-prod --enable-point-in-time-recovery\`. See ${PITR_DOCS}.`,
      });
    });

    it('fails on too few retained backups with its own fix when the log days are unknown', () => {
      expect(check(cloudSqlFact({ retentionDays: undefined }, { retainedBackups: 10 }))).toMatchObject({
        description:
          'Cloud SQL instance `certctl-sql` (ENTERPRISE_PLUS, transactionLogRetentionDays=unknown, retainedBackups=10): it keeps 10 automated backups (retainedBackups), fewer than the 30 daily restore points the policy needs (Google recommends log days + 1 = 31). Could not read backupConfiguration.transactionLogRetentionDays.',
        remediationText: `Run \`gcloud sql instances patch certctl-sql --project=certctl-prod --retained-backups-count=31\`. See ${PITR_DOCS}.`,
      });
    });

    it('is not available naming both unread settings', () => {
      expect(
        check(cloudSqlFact({ retentionDays: undefined }, { retainedBackups: undefined }))?.description,
      ).toBe(
        'Cloud SQL instance `certctl-sql`: could not read backupConfiguration.transactionLogRetentionDays and backupConfiguration.backupRetentionSettings.retainedBackups, so this check could not be evaluated.',
      );
    });

    it('recommends one more backup than log days only when there are not more', () => {
      expect(check(cloudSqlFact({ retentionDays: 30 }, { retainedBackups: 31 }))?.description).toBe(
        'Cloud SQL instance `certctl-sql` (ENTERPRISE_PLUS) keeps 30 days of transaction logs and 31 daily backups, at least the 30 days required.',
      );
      expect(
        check(cloudSqlFact({ retentionDays: 35 }, { retainedBackups: 35 }), { pitr: { minPitrDays: 35 } })
          ?.description,
      ).toBe(
        'Cloud SQL instance `certctl-sql` (ENTERPRISE_PLUS) keeps 35 days of transaction logs and 35 daily backups, at least the 35 days required. Google recommends one more retained backup than log days (36) so the oldest day keeps its base backup.',
      );
    });
  });
});

describe('pitr.retention, wording and boundaries the mutation run found open', () => {
  it('adds no AWS Backup note and no extra reason to RDS descriptions when AWS Backup does not manage it', () => {
    expect(pitrRetentionCheck.evaluate(rdsInstanceFact(), contextWith())?.description).toBe(
      'RDS DB instance `certctl-db` keeps 35 days of point-in-time recovery (BackupRetentionPeriod), at least the 30 days required.',
    );
    expect(
      pitrRetentionCheck.evaluate(rdsInstanceFact({ retentionDays: undefined }), contextWith())?.description,
    ).toBe(
      'RDS DB instance `certctl-db`: could not read BackupRetentionPeriod, so this check could not be evaluated.',
    );
  });
  it('names the retained-backups command when the target equals the edition maximum', () => {
    const fact = cloudSqlFact(
      { retentionDays: 7, retentionRange: { min: 1, max: 7 } },
      { edition: 'ENTERPRISE', retainedBackups: 5 },
    );
    const outcome = pitrRetentionCheck.evaluate(fact, contextWith({ pitr: { minPitrDays: 7 } }));
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.remediationText).toBe(
      'Run `gcloud sql instances patch certctl-sql --project=certctl-prod --retained-backups-count=8`. See https://cloud.google.com/sql/docs/postgres/backup-recovery/pitr.',
    );
  });
});

describe('pitr.retention beside a status that stops every restore', () => {
  it('passes on the setting and says no restore runs now when the KMS key is out of reach', () => {
    // Act
    const outcome = pitrRetentionCheck.evaluate(
      auroraClusterFact({ status: 'inaccessible-encryption-credentials' }),
      contextWith(),
    );
    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain(
      'This judges the setting only: the database has status `inaccessible-encryption-credentials`',
    );
  });
});

describe('pitr.retention on a Cloud SQL instance beside its status', () => {
  it('passes on the setting and says no restore runs now when the instance is being deleted', () => {
    // Prepare: Cloud SQL deletes an instance's backups with it (Cloud SQL docs, "Delete instances"),
    // and pitr.window and pitr.lag fail it: the PASS on the setting must not read as a restore.
    const fact = cloudSqlFact({ status: 'PENDING_DELETE' });

    // Act
    const outcome = pitrRetentionCheck.evaluate(fact, contextWith());

    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain(
      'This judges the setting only: the database has status `PENDING_DELETE` (it is being deleted), so no restore from its backups runs now (pitr.window and pitr.lag).',
    );
  });

  it('adds no such sentence for a stopped instance, not documented to stop a restore', () => {
    const outcome = pitrRetentionCheck.evaluate(cloudSqlFact({ status: 'STOPPED' }), contextWith());
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).not.toContain('This judges the setting only');
  });
});

describe('pitr.retention on Cloud SQL, log days the API sent beyond the edition', () => {
  it('is not available, naming the value and the limit, when ENTERPRISE_PLUS sends 40 log days', () => {
    // Act: the edition keeps at most 35 days of transaction logs.
    const outcome = pitrRetentionCheck.evaluate(
      cloudSqlFact({ retentionDays: 40 }, { retainedBackups: 41 }),
      contextWith(),
    );
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toBe(
      'Cloud SQL instance `certctl-sql` (ENTERPRISE_PLUS): the API sent transactionLogRetentionDays=40, outside the 1-35 days the ENTERPRISE_PLUS edition keeps, so the retention could not be evaluated.',
    );
    expect(outcome?.description).not.toContain('keeps 40 days');
    expect(outcome?.remediationText).toContain(
      'gcloud sql instances describe certctl-sql --project=certctl-prod',
    );
  });

  it('is not available when ENTERPRISE sends more than its 7 days and the policy asks for 7', () => {
    const outcome = pitrRetentionCheck.evaluate(
      cloudSqlFact(
        { retentionDays: 30, retentionRange: { min: 1, max: 7 } },
        { edition: 'ENTERPRISE', retainedBackups: 8 },
      ),
      contextWith({ pitr: { minPitrDays: 7 } }),
    );
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'transactionLogRetentionDays=30, outside the 1-7 days the ENTERPRISE edition keeps',
    );
  });

  it('still fails on what is proven, with the over-limit days named but not judged', () => {
    const outcome = pitrRetentionCheck.evaluate(
      cloudSqlFact({ retentionDays: 40 }, { retainedBackups: 10 }),
      contextWith(),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('fewer than the 30 daily restore points');
    expect(outcome?.description).toContain(
      'The API sent transactionLogRetentionDays=40, outside the 1-35 days the ENTERPRISE_PLUS edition keeps, so the log days were not judged.',
    );
  });

  it('fails an impossible target on ENTERPRISE quoting over-limit days as sent, not as kept', () => {
    const outcome = pitrRetentionCheck.evaluate(
      cloudSqlFact({ retentionDays: 30, retentionRange: { min: 1, max: 7 } }, { edition: 'ENTERPRISE' }),
      contextWith(),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      '(the API sent transactionLogRetentionDays=30, outside the 1-7 days the ENTERPRISE edition keeps)',
    );
    expect(outcome?.description).not.toContain('it keeps 30 days');
    expect(outcome?.description).not.toContain('were not judged');
  });
});

describe('pitr.retention on Cloud SQL, log days the API sent below every edition', () => {
  it('is not available, naming the value, when backups are on and ENTERPRISE_PLUS sends 0 log days', () => {
    // Act: 0 is not "backups off" on Cloud SQL (backupConfiguration.enabled says that), nor a setting.
    const outcome = pitrRetentionCheck.evaluate(
      cloudSqlFact({ retentionDays: 0 }, { retainedBackups: 31 }),
      contextWith(),
    );
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toBe(
      'Cloud SQL instance `certctl-sql` (ENTERPRISE_PLUS): the API sent transactionLogRetentionDays=0, outside the 1-35 days the ENTERPRISE_PLUS edition keeps, so the retention could not be evaluated.',
    );
    expect(outcome?.description).not.toContain('keeps 0 days');
  });

  it('names 0 log days as sent, not as kept, on ENTERPRISE and on an instance without an edition', () => {
    const enterprise = pitrRetentionCheck.evaluate(
      cloudSqlFact(
        { retentionDays: 0, retentionRange: { min: 1, max: 7 } },
        { edition: 'ENTERPRISE', retainedBackups: 8 },
      ),
      contextWith({ pitr: { minPitrDays: 7 } }),
    );
    const noEdition = pitrRetentionCheck.evaluate(
      cloudSqlFact(
        { retentionDays: 0, retentionRange: { min: 1, max: 7 } },
        { edition: 'UNSPECIFIED', retainedBackups: 8 },
      ),
      contextWith({ pitr: { minPitrDays: 7 } }),
    );
    expect(enterprise?.status).toBe('NOT_AVAILABLE');
    expect(enterprise?.description).toContain(
      'transactionLogRetentionDays=0, outside the 1-7 days the ENTERPRISE edition keeps',
    );
    expect(noEdition?.status).toBe('NOT_AVAILABLE');
    expect(noEdition?.description).toContain(
      'the API sent transactionLogRetentionDays=0, fewer than the 1 day every Cloud SQL edition keeps',
    );
  });

  it('still fails on what is proven, with the 0 days named but not judged', () => {
    const outcome = pitrRetentionCheck.evaluate(
      cloudSqlFact({ retentionDays: 0 }, { retainedBackups: 10 }),
      contextWith(),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('fewer than the 30 daily restore points');
    expect(outcome?.description).not.toContain('keeps 0 days');
    expect(outcome?.description).toContain(
      'The API sent transactionLogRetentionDays=0, outside the 1-35 days the ENTERPRISE_PLUS edition keeps, so the log days were not judged.',
    );
  });
});
