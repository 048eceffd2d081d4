import { describe, expect, it } from 'vitest';
import { pitrEnabledCheck } from '../../../functions/checks/pitr/enabled.ts';
import { auroraClusterFact, cloudSqlFact, contextWith, rdsInstanceFact } from './fixtures.ts';

describe('pitr.enabled', () => {
  it('exposes the stable id and metadata when listed in the catalog', () => {
    expect(pitrEnabledCheck.metadata).toMatchObject({
      id: 'pitr.enabled',
      group: 'pitr',
      severity: 'CRITICAL',
      resourceTypes: ['AwsRdsDbInstance', 'AwsRdsDbCluster', 'GcpCloudSqlInstance'],
    });
    expect(pitrEnabledCheck.metadata.remediation.url).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
  });

  describe('RDS and Aurora', () => {
    it('passes when an RDS instance keeps automated backups', () => {
      // Act
      const outcome = pitrEnabledCheck.evaluate(rdsInstanceFact(), contextWith());
      // Assess
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.observed).toEqual({
        automatedBackupsEnabled: true,
        pointInTimeRecoveryEnabled: true,
        retentionDays: 35,
      });
    });

    it('passes when an Aurora cluster keeps automated backups', () => {
      const outcome = pitrEnabledCheck.evaluate(auroraClusterFact(), contextWith());
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).toContain('Aurora DB cluster `certctl-aurora`');
    });

    it('fails when backups are on now but a pending modification turns them off', () => {
      // Prepare: ModifyDBInstance BackupRetentionPeriod=0 without ApplyImmediately waits for the
      // next maintenance window, which then deletes the automated backups.
      const fact = rdsInstanceFact({ pendingRetentionDays: 0 });
      // Act
      const outcome = pitrEnabledCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toMatchObject({ automatedBackupsEnabled: true, pendingRetentionDays: 0 });
      expect(outcome?.description).toContain('PendingModifiedValues.BackupRetentionPeriod=0');
      expect(outcome?.description).toContain('next maintenance window');
      expect(outcome?.remediationText).toContain(
        'aws rds modify-db-instance --db-instance-identifier certctl-db --backup-retention-period 35 --apply-immediately',
      );
    });

    it('still passes when a pending modification only changes a retention that stays on', () => {
      const outcome = pitrEnabledCheck.evaluate(rdsInstanceFact({ pendingRetentionDays: 30 }), contextWith());
      expect(outcome?.status).toBe('PASSED');
    });

    it('fails with the modify command when the retention is 0', () => {
      // Prepare
      const fact = rdsInstanceFact({
        retentionDays: 0,
        automatedBackupsEnabled: false,
        pointInTimeRecoveryEnabled: false,
      });
      // Act
      const outcome = pitrEnabledCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toMatchObject({ automatedBackupsEnabled: false, retentionDays: 0 });
      expect(outcome?.required).toEqual({ automatedBackupsEnabled: true, pointInTimeRecoveryEnabled: true });
      expect(outcome?.description).toContain('automated backups off (BackupRetentionPeriod=0)');
      expect(outcome?.remediationText).toContain(
        'aws rds modify-db-instance --db-instance-identifier certctl-db --backup-retention-period 31 --apply-immediately',
      );
      expect(outcome?.remediationText).toContain('outage');
    });

    it('quotes the retention as sent, never as 0, when it is below 0', () => {
      // Prepare: a value RDS does not document (0-35), read as off by the adapter.
      const fact = rdsInstanceFact({ retentionDays: -1, automatedBackupsEnabled: false });
      // Act
      const outcome = pitrEnabledCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('(BackupRetentionPeriod=-1)');
      expect(outcome?.description).not.toContain('=0');
    });

    it('fails with the cluster command when an Aurora cluster reports backups off', () => {
      const fact = auroraClusterFact({ retentionDays: 0, automatedBackupsEnabled: false });
      const outcome = pitrEnabledCheck.evaluate(fact, contextWith({ pitr: { minPitrDays: 14 } }));
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.remediationText).toContain(
        'aws rds modify-db-cluster --db-cluster-identifier certctl-aurora --backup-retention-period 14 --apply-immediately',
      );
    });

    it('derives the switch from the retention when the adapter left it unset', () => {
      const fact = rdsInstanceFact({ automatedBackupsEnabled: undefined, retentionDays: 7 });
      const outcome = pitrEnabledCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('PASSED');
    });

    it('is not available when neither the switch nor the retention could be read', () => {
      // Prepare
      const fact = rdsInstanceFact({
        automatedBackupsEnabled: undefined,
        pointInTimeRecoveryEnabled: undefined,
        retentionDays: undefined,
      });
      // Act
      const outcome = pitrEnabledCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('could not read BackupRetentionPeriod');
      expect(outcome?.observed).toMatchObject({ automatedBackupsEnabled: null, retentionDays: null });
    });
  });

  describe('Cloud SQL', () => {
    it('passes when backups and point-in-time recovery are both on', () => {
      const outcome = pitrEnabledCheck.evaluate(cloudSqlFact(), contextWith());
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.observed).toEqual({ automatedBackupsEnabled: true, pointInTimeRecoveryEnabled: true });
    });

    it('fails naming point-in-time recovery when only PITR is off', () => {
      // Prepare
      const fact = cloudSqlFact({ pointInTimeRecoveryEnabled: false });
      // Act
      const outcome = pitrEnabledCheck.evaluate(fact, contextWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('point-in-time recovery (pointInTimeRecoveryEnabled=false)');
      expect(outcome?.description).not.toContain('backupConfiguration.enabled=false');
      expect(outcome?.remediationText).toContain(
        'gcloud sql instances patch certctl-sql --project=certctl-prod --enable-point-in-time-recovery',
      );
    });

    it('fails naming both switches when backups and PITR are off', () => {
      const fact = cloudSqlFact({ automatedBackupsEnabled: false, pointInTimeRecoveryEnabled: false });
      const outcome = pitrEnabledCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain(
        'automated backups (backupConfiguration.enabled=false) and point-in-time',
      );
      expect(outcome?.remediationText).toContain(
        "--backup-start-time='<HH:MM>' --enable-point-in-time-recovery",
      );
    });

    it('fails when backups are off even though PITR could not be read', () => {
      const fact = cloudSqlFact({ automatedBackupsEnabled: false, pointInTimeRecoveryEnabled: undefined });
      const outcome = pitrEnabledCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('The other setting could not be read.');
    });

    it('is not available when the PITR switch could not be read', () => {
      const fact = cloudSqlFact({ pointInTimeRecoveryEnabled: undefined });
      const outcome = pitrEnabledCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('could not read backupConfiguration.pointInTimeRecoveryEnabled');
    });
  });

  describe('every description', () => {
    const check = (fact: Parameters<typeof pitrEnabledCheck.evaluate>[0]) =>
      pitrEnabledCheck.evaluate(fact, contextWith());

    it('passes naming the retention field and value, or that it is set', () => {
      expect(check(rdsInstanceFact())?.description).toBe(
        'RDS DB instance `certctl-db` has automated backups on (BackupRetentionPeriod=35), so point-in-time recovery is available.',
      );
      expect(check(rdsInstanceFact({ retentionDays: undefined }))?.description).toBe(
        'RDS DB instance `certctl-db` has automated backups on (BackupRetentionPeriod=set), so point-in-time recovery is available.',
      );
    });

    it('derives the switch from a retention of 1 day and observes PITR from it', () => {
      const outcome = check(
        rdsInstanceFact({
          automatedBackupsEnabled: undefined,
          pointInTimeRecoveryEnabled: undefined,
          retentionDays: 1,
        }),
      );
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.observed).toEqual({
        automatedBackupsEnabled: true,
        pointInTimeRecoveryEnabled: true,
        retentionDays: 1,
      });
    });

    it('observes the PITR switch the adapter reports over the backup switch', () => {
      const outcome = check(rdsInstanceFact({ pointInTimeRecoveryEnabled: false }));
      expect(outcome?.observed).toMatchObject({
        automatedBackupsEnabled: true,
        pointInTimeRecoveryEnabled: false,
      });
    });

    it('says the retention period was not in the answer when nothing could be read', () => {
      expect(
        check(
          rdsInstanceFact({
            automatedBackupsEnabled: undefined,
            pointInTimeRecoveryEnabled: undefined,
            retentionDays: undefined,
          }),
        )?.description,
      ).toBe(
        'RDS DB instance `certctl-db`: could not read BackupRetentionPeriod (the retention period was not in the API answer), so this check could not be evaluated.',
      );
    });

    it('fails naming only PITR with its flag, and says the other setting could not be read', () => {
      // Act
      const outcome = check(
        cloudSqlFact({ automatedBackupsEnabled: undefined, pointInTimeRecoveryEnabled: false }),
      );
      // Assess
      expect(outcome).toMatchObject({
        status: 'FAILED',
        description:
          'Cloud SQL instance `certctl-sql` has point-in-time recovery (pointInTimeRecoveryEnabled=false) off: it cannot be restored to a point in time. The other setting could not be read.',
        remediationText:
          'Run `gcloud sql instances patch certctl-sql --project=certctl-prod --enable-point-in-time-recovery`. Point-in-time recovery needs automated backups, and the window starts from the moment both are on. See https://cloud.google.com/sql/docs/postgres/backup-recovery/pitr.',
      });
    });

    it('fails naming both switches with both flags and the start-time hint', () => {
      const outcome = check(
        cloudSqlFact({ automatedBackupsEnabled: false, pointInTimeRecoveryEnabled: false }),
      );
      expect(outcome?.description).toBe(
        'Cloud SQL instance `certctl-sql` has automated backups (backupConfiguration.enabled=false) and point-in-time recovery (pointInTimeRecoveryEnabled=false) off: it cannot be restored to a point in time.',
      );
      expect(outcome?.remediationText).toMatch(
        /^Run `gcloud sql instances patch certctl-sql --project=certctl-prod --backup-start-time='<HH:MM>' --enable-point-in-time-recovery` \(replace '<HH:MM>' with the daily backup start time in UTC, such as 02:00\)\. Point-in-time/,
      );
    });

    it('is not available naming the backup switch when it could not be read', () => {
      expect(check(cloudSqlFact({ automatedBackupsEnabled: undefined }))?.description).toBe(
        'Cloud SQL instance `certctl-sql`: could not read backupConfiguration.enabled, so this check could not be evaluated.',
      );
    });

    it('passes naming both switches', () => {
      expect(check(cloudSqlFact())?.description).toBe(
        'Cloud SQL instance `certctl-sql` has automated backups and point-in-time recovery on.',
      );
    });
  });
});

describe('pitr.enabled, the switch derived from a retention of 0', () => {
  it('fails when the adapter left the switch unset and the retention is 0', () => {
    const outcome = pitrEnabledCheck.evaluate(
      rdsInstanceFact({ automatedBackupsEnabled: undefined, retentionDays: 0 }),
      contextWith(),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ automatedBackupsEnabled: false, retentionDays: 0 });
  });
});

describe('pitr.enabled beside a status that stops every restore', () => {
  // The check judges the switch, which the status does not change; its PASS must still not claim a
  // point-in-time recovery that RDS says it cannot do, or that the KMS key or a deletion stops.
  it.each(['incompatible-restore', 'inaccessible-encryption-credentials', 'deleting'])(
    'passes on the switch but does not say point-in-time recovery is available when the status is %s',
    (status) => {
      // Act
      const outcome = pitrEnabledCheck.evaluate(rdsInstanceFact({ status }), contextWith());
      // Assess
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).not.toContain('point-in-time recovery is available');
      expect(outcome?.description).toContain(`status \`${status}\``);
      expect(outcome?.description).toContain('pitr.window');
    },
  );
});

describe('pitr.enabled on a Cloud SQL instance beside its status', () => {
  it('passes on the settings and says no restore runs now when the instance is being deleted', () => {
    // Act
    const outcome = pitrEnabledCheck.evaluate(cloudSqlFact({ status: 'PENDING_DELETE' }), contextWith());

    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toBe(
      'Cloud SQL instance `certctl-sql` has automated backups and point-in-time recovery on. This judges the setting only: the database has status `PENDING_DELETE` (it is being deleted), so no restore from its backups runs now (pitr.window and pitr.lag).',
    );
  });

  it('adds no such sentence for a stopped instance', () => {
    const outcome = pitrEnabledCheck.evaluate(cloudSqlFact({ status: 'STOPPED' }), contextWith());
    expect(outcome?.description).toBe(
      'Cloud SQL instance `certctl-sql` has automated backups and point-in-time recovery on.',
    );
  });
});
