import { describe, expect, it } from 'vitest';
import { pitrLagCheck } from '../../../functions/checks/pitr/lag.ts';
import type { RestoreWindow } from '../../../functions/core/facts.ts';
import { instanceReadFailure } from '../../../functions/gcp/cloud-sql.ts';
import {
  auroraClusterFact,
  cloudSqlFact,
  contextWith,
  daysAgo,
  minutesAgo,
  rdsInstanceFact,
} from './fixtures.ts';

function windowUntil(latest: Date | undefined): RestoreWindow {
  return { known: true, earliest: daysAgo(35), latest, source: 'RestoreWindow.LatestTime' };
}

describe('pitr.lag', () => {
  it('exposes the stable id and metadata when listed in the catalog', () => {
    expect(pitrLagCheck.metadata).toMatchObject({ id: 'pitr.lag', group: 'pitr', severity: 'HIGH' });
  });

  it('passes when the latest restorable time is 3 minutes old', () => {
    // Act
    const outcome = pitrLagCheck.evaluate(rdsInstanceFact(), contextWith());
    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toEqual({
      restoreLagMinutes: 3,
      latestRestorableTime: '2026-09-01T11:57:00.000Z',
      status: 'available',
    });
    expect(outcome?.required).toEqual({ restoreLagMinutes: 15 });
  });

  it('passes for Aurora and Cloud SQL when their latest times are current', () => {
    expect(pitrLagCheck.evaluate(auroraClusterFact(), contextWith())?.status).toBe('PASSED');
    expect(pitrLagCheck.evaluate(cloudSqlFact(), contextWith())?.status).toBe('PASSED');
  });

  it('is not available, not PASSED, when the earliest restorable time is after the latest one', () => {
    // Prepare: latest 12 minutes ago (within the 15 allowed), earliest a minute ago: no point in time
    // lies between them, so the answer proves no restore up to its latest time (pitr.window and
    // pitr.cross-region read it alike).
    const fact = auroraClusterFact({
      latestRestorableTime: minutesAgo(12),
      restoreWindow: {
        known: true,
        earliest: minutesAgo(1),
        latest: minutesAgo(12),
        source: 'EarliestRestorableTime',
      },
    });
    // Act
    const outcome = pitrLagCheck.evaluate(fact, contextWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject({
      restoreLagMinutes: null,
      latestRestorableTime: minutesAgo(12).toISOString(),
      earliestRestorableTime: minutesAgo(1).toISOString(),
    });
    expect(outcome?.description).toContain('after its latest restorable time');
  });

  it('still passes when the earliest restorable time is after the latest one within the clock-skew margin', () => {
    const fact = auroraClusterFact({
      latestRestorableTime: minutesAgo(5),
      restoreWindow: {
        known: true,
        earliest: minutesAgo(1),
        latest: minutesAgo(5),
        source: 'EarliestRestorableTime',
      },
    });
    expect(pitrLagCheck.evaluate(fact, contextWith())?.status).toBe('PASSED');
  });

  it("is not available when the latest restorable time lies hours after this run's clock", () => {
    // Prepare: a clock 2 h slow makes a time archived 1 h ago look 1 h in the future.
    const fact = rdsInstanceFact({
      latestRestorableTime: minutesAgo(-60),
      restoreWindow: windowUntil(minutesAgo(-60)),
    });
    // Act
    const outcome = pitrLagCheck.evaluate(fact, contextWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain("later than this run's clock");
    expect(outcome?.observed).toMatchObject({
      restoreLagMinutes: null,
      latestRestorableTime: '2026-09-01T13:00:00.000Z',
    });
  });

  it("passes when the latest restorable time is a few seconds after this run's clock (clock skew)", () => {
    const fact = rdsInstanceFact({
      latestRestorableTime: minutesAgo(-2),
      restoreWindow: windowUntil(minutesAgo(-2)),
    });
    expect(pitrLagCheck.evaluate(fact, contextWith())?.status).toBe('PASSED');
  });

  it('passes when the lag equals the allowed maximum', () => {
    const fact = rdsInstanceFact({ restoreWindow: windowUntil(minutesAgo(15)) });
    expect(pitrLagCheck.evaluate(fact, contextWith())?.status).toBe('PASSED');
  });

  it('fails saying archiving may be broken when the latest restorable time is 3 hours old', () => {
    // Prepare
    const fact = rdsInstanceFact({ restoreWindow: windowUntil(minutesAgo(180)) });
    // Act
    const outcome = pitrLagCheck.evaluate(fact, contextWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toEqual({
      restoreLagMinutes: 180,
      latestRestorableTime: '2026-09-01T09:00:00.000Z',
      status: 'available',
    });
    expect(outcome?.description).toContain('latest restorable time is 3 h 0 min old');
    expect(outcome?.description).toContain('WAL archiving may be broken');
  });

  it('fails and names the stopped status when a stopped instance explains the lag', () => {
    const fact = rdsInstanceFact({ status: 'stopped', restoreWindow: windowUntil(daysAgo(2)) });
    const outcome = pitrLagCheck.evaluate(fact, contextWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('2 d 0 h old');
    expect(outcome?.description).toContain('status is `stopped`');
    expect(outcome?.description).toContain('explains the stale time');
  });

  it('says a SUSPENDED Cloud SQL instance is suspended by Google, not stopped by its owner', () => {
    // Prepare: SUSPENDED is "not available, for example due to problems with billing" (a revoked KMS
    // key, an operational issue); the owner cannot start it as a stopped instance is started.
    const fact = cloudSqlFact({ status: 'SUSPENDED', restoreWindow: windowUntil(daysAgo(2)) });
    // Act
    const outcome = pitrLagCheck.evaluate(fact, contextWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('status is `SUSPENDED`');
    expect(outcome?.description).toContain('billing');
    expect(outcome?.description).not.toContain('start it');
    // No document says a suspended instance archives nothing: it is not available, which proves nothing either way.
    expect(outcome?.description).toContain('so nothing shows it archives WAL while suspended');
    expect(outcome?.description).not.toContain('archives no WAL');
  });

  it('fails and mentions an unusual status when it may explain the lag', () => {
    const fact = auroraClusterFact({ status: 'storage-full', restoreWindow: windowUntil(minutesAgo(45)) });
    const outcome = pitrLagCheck.evaluate(fact, contextWith({ pitr: { maxRestoreLagMinutes: 30 } }));
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('45 min old');
    expect(outcome?.description).toContain('status is `storage-full`, which may explain it');
    expect(outcome?.required).toEqual({ restoreLagMinutes: 30 });
  });

  it('fails when backups are on but neither a latest nor an earliest restorable time is reported', () => {
    const fact = cloudSqlFact({
      restoreWindow: {
        known: true,
        earliest: undefined,
        latest: undefined,
        source: 'RestoreWindow.LatestTime',
      },
    });
    const outcome = pitrLagCheck.evaluate(fact, contextWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('reports no latest restorable time');
  });

  it('does not pass a recent latest restorable time while the automated backup waits for its first snapshot', () => {
    // Prepare: DescribeDBInstanceAutomatedBackups lists the instance's backup `creating` ("waiting
    // for the first automated snapshot to be available"), while DescribeDBInstances sends a recent
    // LatestRestorableTime: a point-in-time restore starts from a snapshot, and none exists yet.
    const fact = rdsInstanceFact({
      createdAt: daysAgo(3),
      restoreWindow: {
        known: true,
        earliest: undefined,
        latest: minutesAgo(3),
        source: 'DescribeDBInstanceAutomatedBackups (Status creating, first snapshot not taken yet)',
        firstBackupPending: true,
      },
      latestRestorableTime: minutesAgo(3),
    });
    // Act
    const outcome = pitrLagCheck.evaluate(fact, contextWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('first automated snapshot');
    expect(outcome?.observed).toMatchObject({ restoreLagMinutes: 3 });
  });

  it('is not available, saying it is new, for an RDS instance and an Aurora cluster with no restore point yet', () => {
    const noTimes: RestoreWindow = {
      known: true,
      earliest: undefined,
      latest: undefined,
      source: 'first backup',
    };
    const rds = rdsInstanceFact({
      status: 'creating',
      createdAt: undefined,
      restoreWindow: noTimes,
      latestRestorableTime: undefined,
    });
    const aurora = auroraClusterFact({
      createdAt: minutesAgo(5),
      restoreWindow: noTimes,
      latestRestorableTime: undefined,
    });
    expect(pitrLagCheck.evaluate(rds, contextWith())).toMatchObject({
      status: 'NOT_AVAILABLE',
      description: expect.stringContaining('is new (status `creating`, InstanceCreateTime not sent yet)'),
    });
    expect(pitrLagCheck.evaluate(aurora, contextWith())).toMatchObject({
      status: 'NOT_AVAILABLE',
      description: expect.stringContaining('is new (ClusterCreateTime 2026-09-01 11:55 UTC)'),
    });
    expect(
      pitrLagCheck.evaluate({ ...rds, status: 'available', createdAt: daysAgo(3) }, contextWith())?.status,
    ).toBe('FAILED');
  });

  it('is not available, not "nothing can be restored", when only the latest time is missing from a window that has an earliest', () => {
    // The window reaches back to its earliest time, so something can be restored: the missing
    // latest time is a value the API did not send (pitr.window judges the mirror case the same way).
    for (const fact of [
      cloudSqlFact({ restoreWindow: windowUntil(undefined) }),
      rdsInstanceFact({ restoreWindow: windowUntil(undefined), latestRestorableTime: undefined }),
      auroraClusterFact({ restoreWindow: windowUntil(undefined), latestRestorableTime: undefined }),
    ]) {
      const outcome = pitrLagCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('could not read the latest restorable time');
      expect(outcome?.description).toContain('can be restored back to 2026-07-28 12:00 UTC');
      expect(outcome?.description).not.toContain('nothing can be restored');
      expect(outcome?.observed).toEqual({ restoreLagMinutes: null, latestRestorableTime: null });
    }
  });

  it('is not available and names the switch to Cloud Storage when Cloud SQL keeps its logs on disk', () => {
    // Prepare
    const fact = cloudSqlFact(
      {
        restoreWindow: {
          known: true,
          earliest: daysAgo(7),
          latest: undefined,
          source: 'oldest AUTOMATED backup run and transactionLogRetentionDays=7',
        },
      },
      { logStorage: 'DISK' },
    );
    // Act
    const outcome = pitrLagCheck.evaluate(fact, contextWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'Cloud SQL reports it (instances.getLatestRecoveryTime) only for instances whose transaction logs are in Cloud Storage',
    );
    expect(outcome?.description).toContain('keeps them on its data disk (transactionalLogStorageState=DISK)');
    expect(outcome?.observed).toEqual({
      restoreLagMinutes: null,
      latestRestorableTime: null,
      transactionalLogStorageState: 'DISK',
    });
    expect(outcome?.remediationText).toContain(
      '`gcloud sql instances patch certctl-sql --project=certctl-prod --switch-transaction-logs-to-cloud-storage`',
    );
    expect(outcome?.remediationText).not.toContain('audit role');
  });

  it('is not available and asks to wait when Cloud SQL is still switching its logs to Cloud Storage', () => {
    const fact = cloudSqlFact(
      {
        restoreWindow: {
          known: false,
          reason:
            'the transaction logs are not in Cloud Storage, so instances.getLatestRecoveryTime cannot report the window, and transactionLogRetentionDays could not be read to bound it',
        },
      },
      { logStorage: 'SWITCHING_TO_CLOUD_STORAGE' },
    );
    const outcome = pitrLagCheck.evaluate(fact, contextWith());
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('still switching them there');
    expect(outcome?.remediationText).toContain('Nothing to run');
    expect(outcome?.remediationText).not.toContain('--switch-transaction-logs-to-cloud-storage`');
  });

  it('does not apply when automated backups are off', () => {
    const fact = rdsInstanceFact({
      retentionDays: 0,
      automatedBackupsEnabled: false,
      restoreWindow: {
        known: true,
        earliest: undefined,
        latest: undefined,
        source: 'BackupRetentionPeriod=0',
      },
    });
    expect(pitrLagCheck.evaluate(fact, contextWith())).toBeUndefined();
  });

  it('fails a stale Cloud SQL latest recovery time when transactionLogRetentionDays is 0 but automated backups are on', () => {
    // Prepare: 0 log days is no Cloud SQL switch (backupConfiguration.enabled is): the adapter
    // reports 0 for backups off only with automatedBackupsEnabled false, so archiving is still judged.
    const fact = cloudSqlFact({
      retentionDays: 0,
      automatedBackupsEnabled: true,
      restoreWindow: {
        known: true,
        earliest: daysAgo(35),
        latest: daysAgo(3),
        source: 'instances.getLatestRecoveryTime',
      },
    });
    // Act
    const outcome = pitrLagCheck.evaluate(fact, contextWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ latestRestorableTime: daysAgo(3).toISOString() });
  });

  it('is not available when the window could not be read', () => {
    // Prepare
    const fact = rdsInstanceFact({
      restoreWindow: { known: false, reason: 'DescribeDBInstanceAutomatedBackups listed nothing' },
    });
    // Act
    const outcome = pitrLagCheck.evaluate(fact, contextWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('could not read the latest restorable time');
    expect(outcome?.observed).toEqual({ restoreLagMinutes: null, latestRestorableTime: null });
  });

  it('is not available when neither the latest time nor the backup switch is known', () => {
    const fact = rdsInstanceFact({
      automatedBackupsEnabled: undefined,
      retentionDays: undefined,
      restoreWindow: windowUntil(undefined),
    });
    const outcome = pitrLagCheck.evaluate(fact, contextWith());
    expect(outcome?.status).toBe('NOT_AVAILABLE');
  });

  it('measures the lag from the instance’s own latest restorable time when the automated-backup listing has no match', () => {
    // Prepare
    const fact = rdsInstanceFact({
      latestRestorableTime: minutesAgo(4),
      restoreWindow: {
        known: false,
        reason: 'DescribeDBInstanceAutomatedBackups listed no active automated backup',
      },
    });

    // Act
    const outcome = pitrLagCheck.evaluate(fact, contextWith());

    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({ restoreLagMinutes: 4 });
  });

  it('blames permissions only when access was denied when the latest restorable time is unknown', () => {
    // Prepare
    const missing = rdsInstanceFact({ restoreWindow: { known: false, reason: 'no match' } });
    const denied = rdsInstanceFact({
      restoreWindow: { known: false, reason: 'AccessDenied', accessDenied: true },
    });

    // Act
    const missingOutcome = pitrLagCheck.evaluate(missing, contextWith());
    const deniedOutcome = pitrLagCheck.evaluate(denied, contextWith());

    // Assess
    expect(missingOutcome?.status).toBe('NOT_AVAILABLE');
    expect(missingOutcome?.remediationText).not.toMatch(/role|permission/i);
    expect(deniedOutcome?.remediationText).toMatch(/audit role may read/);
  });

  describe('every description', () => {
    const check = (fact: Parameters<typeof pitrLagCheck.evaluate>[0]) =>
      pitrLagCheck.evaluate(fact, contextWith());
    const noLatest = (source = 'RestoreWindow.LatestTime') => ({
      restoreWindow: { known: true as const, earliest: undefined, latest: undefined, source },
      latestRestorableTime: undefined,
    });

    it('passes naming the time and the lag', () => {
      expect(check(rdsInstanceFact({ latestRestorableTime: minutesAgo(3) }))).toMatchObject({
        description:
          'RDS DB instance `certctl-db` can be restored up to 2026-09-01 11:57 UTC, 3 min ago (at most 15 min allowed).',
        required: { restoreLagMinutes: 15 },
      });
    });

    it('fails with the status when no latest time is reported although backups are on', () => {
      expect(check(rdsInstanceFact(noLatest()))).toEqual({
        status: 'FAILED',
        description:
          'RDS DB instance `certctl-db` reports no latest restorable time (RestoreWindow.LatestTime) although automated backups are on: nothing can be restored to a point in time.',
        observed: { restoreLagMinutes: null, latestRestorableTime: null, status: 'available' },
        required: { restoreLagMinutes: 15 },
        remediationText:
          'If backups were turned on or the database created within the last hour, wait for the first backup; otherwise check the database events for backup or archiving errors.',
      });
    });

    it('is not available when no latest time is reported and whether backups are on is unknown', () => {
      expect(check(rdsInstanceFact({ ...noLatest(), automatedBackupsEnabled: undefined }))).toMatchObject({
        status: 'NOT_AVAILABLE',
        description:
          'RDS DB instance `certctl-db`: could not read the latest restorable time (RestoreWindow.LatestTime had none and it is unknown whether backups are on), so this check could not be evaluated.',
        observed: { restoreLagMinutes: null, latestRestorableTime: null },
      });
    });

    it('does not apply when backups are switched off or the retention is 0, each on its own', () => {
      expect(check(rdsInstanceFact({ automatedBackupsEnabled: false, retentionDays: 7 }))).toBeUndefined();
      expect(
        check(rdsInstanceFact({ automatedBackupsEnabled: undefined, retentionDays: 0 })),
      ).toBeUndefined();
    });

    it('still judges an RDS instance whose PITR flag says off', () => {
      expect(check(rdsInstanceFact({ pointInTimeRecoveryEnabled: false }))?.status).toBe('PASSED');
    });

    it('measures the lag of Cloud SQL logs on disk when a latest time is reported after all', () => {
      const fact = cloudSqlFact({}, { logStorage: 'DISK' });
      expect(check(fact)?.status).toBe('PASSED');
    });

    it('judges a missing latest time as missing when the logs are in Cloud Storage', () => {
      const fact = cloudSqlFact(noLatest('getLatestRecoveryTime'), { logStorage: 'CLOUD_STORAGE' });
      expect(check(fact)?.status).toBe('FAILED');
      // Missing, not blamed on where the logs are kept.
      expect(check(fact)?.description).toBe(
        'Cloud SQL instance `certctl-sql` reports no latest restorable time (getLatestRecoveryTime) although automated backups are on: nothing can be restored to a point in time.',
      );
    });

    it('requires the policy lag when the logs are outside Cloud Storage', () => {
      const fact = cloudSqlFact(noLatest('getLatestRecoveryTime'), { logStorage: 'DISK' });
      expect(check(fact)).toMatchObject({ status: 'NOT_AVAILABLE', required: { restoreLagMinutes: 15 } });
    });
  });
});

describe('pitr.lag: database status', () => {
  it.each([
    ['being deleted', rdsInstanceFact({ status: 'deleting' }), 'being deleted'],
    [
      'cut off from its KMS key',
      rdsInstanceFact({ status: 'inaccessible-encryption-credentials' }),
      'KMS key',
    ],
    [
      'reporting it cannot do a point-in-time restore',
      rdsInstanceFact({ status: 'incompatible-restore' }),
      'point-in-time restore',
    ],
  ])(
    'does not pass a database %s whose latest restorable time is recent: no restore runs to it',
    (_, fact, says) => {
      // Act
      const outcome = pitrLagCheck.evaluate(fact, contextWith());

      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain(says);
      expect(outcome?.observed).toMatchObject({ status: fact.status });
    },
  );

  it('is not available for a status this tool does not know, instead of passing a recent time', () => {
    // Act
    const outcome = pitrLagCheck.evaluate(rdsInstanceFact({ status: 'levitating' }), contextWith());

    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('`levitating`');
  });

  it('keeps passing a recent time through the statuses a healthy database passes through', () => {
    for (const status of ['available', 'backing-up', 'modifying', 'rebooting', 'storage-optimization']) {
      expect(pitrLagCheck.evaluate(rdsInstanceFact({ status }), contextWith())?.status).toBe('PASSED');
    }
  });
});

describe('pitr.lag on Cloud SQL with point-in-time recovery off (its newest automated backup)', () => {
  const hoursAgo = (hours: number) => minutesAgo(hours * 60);
  const SOURCE = 'backupRuns.list (SUCCESSFUL AUTOMATED runs, PITR off)';
  /** PITR off: the window the adapter reads from the successful automated backup runs. */
  const pitrOff = (latest: Date | undefined, overrides: Parameters<typeof cloudSqlFact>[0] = {}) =>
    cloudSqlFact({
      pointInTimeRecoveryEnabled: false,
      restoreWindow: { known: true, earliest: latest && daysAgo(10), latest, source: SOURCE },
      ...overrides,
    });

  it('fails when the newest automated backup is older than a daily backup plus its window and grace', () => {
    // Act
    const outcome = pitrLagCheck.evaluate(pitrOff(hoursAgo(31)), contextWith());
    // Assess: before, not applicable: no check said the daily backups had stopped.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({
      newestBackupAgeHours: 31,
      newestBackupTime: hoursAgo(31).toISOString(),
      pointInTimeRecoveryEnabled: false,
    });
    expect(outcome?.required).toEqual({ newestBackupAgeHours: 30 });
    expect(outcome?.description).toContain(
      `its newest automated backup is 31 h old (${'2026-08-31 05:00 UTC'}, ${SOURCE}), more than the 30 h allowed`,
    );
  });

  it('passes on a backup of today, saying that only daily backups can be restored', () => {
    const outcome = pitrLagCheck.evaluate(pitrOff(hoursAgo(20)), contextWith());
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({ newestBackupAgeHours: 20 });
    expect(outcome?.description).toContain(
      'has point-in-time recovery off, so only its daily backups can be restored',
    );
    expect(outcome?.description).not.toContain('can be restored up to');
  });

  it('is not available, naming the permission, when backupRuns.list was refused', () => {
    const fact = pitrOff(undefined, {
      // What the adapter makes of the refusal (functions/gcp/cloud-sql.ts): gax's PERMISSION_DENIED.
      restoreWindow: instanceReadFailure(
        'backupRuns.list',
        'certctl-prod',
        'certctl-sql',
        Object.assign(new Error('denied'), { code: 7 }),
        'cloudsql.backupRuns.list',
      ),
    });
    const outcome = pitrLagCheck.evaluate(fact, contextWith());
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('could not read the newest automated backup');
    expect(outcome?.remediationText).toContain('cloudsql.backupRuns.list');
  });

  it('fails when an instance older than a day lists no successful automated backup', () => {
    const outcome = pitrLagCheck.evaluate(pitrOff(undefined), contextWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('lists no successful automated backup');
  });

  it('still does not apply when automated backups are off too', () => {
    const fact = pitrOff(undefined, { automatedBackupsEnabled: false, retentionDays: 0 });
    expect(pitrLagCheck.evaluate(fact, contextWith())).toBeUndefined();
  });
});

describe('pitr.lag on a latest restorable time the same answer contradicts', () => {
  it('does not pass a recent latest recovery time whose earliest recovery time is after it', () => {
    // Prepare: getLatestRecoveryTime sent earliest 1 min ago, latest 10 min ago: no point in time lies
    // between them (pitr.window is NOT_AVAILABLE on the same answer), so no restore to it is proven.
    const fact = cloudSqlFact({
      restoreWindow: {
        known: true,
        earliest: minutesAgo(1),
        latest: minutesAgo(10),
        source: 'instances.getLatestRecoveryTime',
      },
    });

    // Act
    const outcome = pitrLagCheck.evaluate(fact, contextWith());

    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('is after its latest restorable time');
    expect(outcome?.observed).toMatchObject({ restoreLagMinutes: null });
  });

  it('does not pass a recent latest recovery time from before the instance was created', () => {
    // Prepare: an instance created 2 minutes ago (a name reused after a delete) reported restorable
    // up to 10 minutes ago: no log of this instance is older than the instance.
    const fact = cloudSqlFact({
      createdAt: minutesAgo(2),
      restoreWindow: {
        known: true,
        earliest: minutesAgo(12),
        latest: minutesAgo(10),
        source: 'instances.getLatestRecoveryTime',
      },
    });

    // Act
    const outcome = pitrLagCheck.evaluate(fact, contextWith({ pitr: { maxRestoreLagMinutes: 15 } }));

    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('before the instance was created');
  });

  it.each([
    ['an RDS instance', rdsInstanceFact, 'InstanceCreateTime', 'DB instance'],
    ['an Aurora cluster', auroraClusterFact, 'ClusterCreateTime', 'DB cluster'],
  ] as const)(
    'does not pass %s whose latest restorable time is before it was created',
    (_, make, field, noun) => {
      // Prepare: created 2 minutes ago, restorable up to 10 minutes ago: no log of the database is
      // older than the database, so the answer proves no restore to that time.
      const fact = make({
        createdAt: minutesAgo(2),
        latestRestorableTime: minutesAgo(10),
        restoreWindow: {
          known: true,
          earliest: minutesAgo(12),
          latest: minutesAgo(10),
          source: 'RestoreWindow',
        },
      });

      // Act
      const outcome = pitrLagCheck.evaluate(fact, contextWith());

      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(`before the ${noun} was created (${field} `);
      expect(outcome?.observed).toMatchObject({ restoreLagMinutes: null });
    },
  );

  it('still passes an RDS instance created within the clock-skew margin after its latest restorable time', () => {
    const fact = rdsInstanceFact({ createdAt: minutesAgo(2), latestRestorableTime: minutesAgo(4) });
    expect(pitrLagCheck.evaluate(fact, contextWith())?.status).toBe('PASSED');
  });

  it('still passes when the earliest time is within the clock-skew margin after the latest', () => {
    // Act
    const outcome = pitrLagCheck.evaluate(
      cloudSqlFact({
        restoreWindow: {
          known: true,
          earliest: minutesAgo(2),
          latest: minutesAgo(4),
          source: 'instances.getLatestRecoveryTime',
        },
      }),
      contextWith(),
    );

    // Assess
    expect(outcome?.status).toBe('PASSED');
  });
});

describe('pitr.lag: a status that decides on its own wins over contradictory times', () => {
  const hoursAgo = (hours: number) => minutesAgo(hours * 60);
  const contradictory = {
    "a latest time after this run's clock": {
      latestRestorableTime: minutesAgo(-60),
      restoreWindow: { known: true, earliest: daysAgo(35), latest: minutesAgo(-60), source: 'RestoreWindow' },
    },
    'an earliest time after the latest': {
      latestRestorableTime: minutesAgo(12),
      restoreWindow: {
        known: true,
        earliest: minutesAgo(1),
        latest: minutesAgo(12),
        source: 'RestoreWindow',
      },
    },
    'a latest time before the database was created': {
      createdAt: minutesAgo(2),
      latestRestorableTime: minutesAgo(10),
      restoreWindow: {
        known: true,
        earliest: minutesAgo(12),
        latest: minutesAgo(10),
        source: 'RestoreWindow',
      },
    },
  } as const;

  it.each(Object.entries(contradictory))(
    'fails a Cloud SQL instance in PENDING_DELETE on %s, as on a recent one',
    (_, overrides) => {
      // Prepare: the deletion cannot be stopped and takes the logs along, whatever the times say.
      const fact = cloudSqlFact({ ...overrides, status: 'PENDING_DELETE' });

      // Act
      const outcome = pitrLagCheck.evaluate(fact, contextWith());

      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('is being deleted (status `PENDING_DELETE`)');
      expect(outcome?.observed).toMatchObject({ status: 'PENDING_DELETE' });
    },
  );

  it.each(Object.entries(contradictory))(
    'fails an RDS instance whose KMS key is out of reach on %s',
    (_, overrides) => {
      const outcome = pitrLagCheck.evaluate(
        rdsInstanceFact({ ...overrides, status: 'inaccessible-encryption-credentials' }),
        contextWith(),
      );
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('cannot reach the KMS key');
    },
  );

  it('fails a Cloud SQL instance in PENDING_DELETE, PITR off, whose newest backup is after the clock', () => {
    // Act
    const outcome = pitrLagCheck.evaluate(
      cloudSqlFact({
        status: 'PENDING_DELETE',
        pointInTimeRecoveryEnabled: false,
        restoreWindow: {
          known: true,
          earliest: daysAgo(10),
          latest: hoursAgo(-3),
          source: 'backupRuns.list (SUCCESSFUL AUTOMATED runs, PITR off)',
        },
      }),
      contextWith(),
    );

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('is being deleted');
  });

  it('fails an RDS instance being deleted whose automated backup awaits its first snapshot', () => {
    const outcome = pitrLagCheck.evaluate(
      rdsInstanceFact({
        status: 'deleting',
        restoreWindow: {
          known: true,
          earliest: daysAgo(1),
          latest: minutesAgo(3),
          source: 'RestoreWindow',
          firstBackupPending: true,
        },
      }),
      contextWith(),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('is being deleted (status `deleting`)');
  });

  it('stays not available on contradictory times for a status that leaves a restore unproven', () => {
    const outcome = pitrLagCheck.evaluate(
      cloudSqlFact({ ...contradictory['an earliest time after the latest'], status: 'SUSPENDED' }),
      contextWith(),
    );
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('is after its latest restorable time');
  });
});

describe('pitr.lag: a status that decides on its own wins over a time not read', () => {
  const noLatestOnDisk = {
    latestRestorableTime: undefined,
    restoreWindow: {
      known: true,
      earliest: daysAgo(7),
      latest: undefined,
      source: 'oldest AUTOMATED backup run and transactionLogRetentionDays=7',
    },
  } as const;

  it('fails a Cloud SQL instance in PENDING_DELETE whose logs are on disk, as on a recent time', () => {
    // Prepare: the deletion takes the logs along wherever they are kept.
    const fact = cloudSqlFact({ ...noLatestOnDisk, status: 'PENDING_DELETE' }, { logStorage: 'DISK' });

    // Act
    const outcome = pitrLagCheck.evaluate(fact, contextWith());

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('is being deleted (status `PENDING_DELETE`)');
    expect(outcome?.observed).toMatchObject({
      status: 'PENDING_DELETE',
      transactionalLogStorageState: 'DISK',
    });
  });

  it.each([
    ['rds-instance', rdsInstanceFact],
    ['aurora-cluster', auroraClusterFact],
  ] as const)('fails a %s being deleted whose window could not be read', (_, make) => {
    // Act
    const outcome = pitrLagCheck.evaluate(
      make({
        status: 'deleting',
        latestRestorableTime: undefined,
        restoreWindow: { known: false, reason: 'DescribeDBClusterAutomatedBackups failed: Throttling' },
      }),
      contextWith(),
    );

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('is being deleted (status `deleting`)');
  });

  it('fails a Cloud SQL instance in PENDING_DELETE, PITR off, whose backup runs could not be read', () => {
    const outcome = pitrLagCheck.evaluate(
      cloudSqlFact({
        status: 'PENDING_DELETE',
        pointInTimeRecoveryEnabled: false,
        // An instance being deleted refuses the read for its state (FAILED_PRECONDITION), as the
        // adapter words it (functions/gcp/cloud-sql.ts); a 503 would fail the scope instead.
        restoreWindow: instanceReadFailure(
          'backupRuns.list',
          'certctl-prod',
          'certctl-sql',
          Object.assign(new Error('The instance is being deleted.'), { code: 9 }),
          'cloudsql.backupRuns.list',
        ),
      }),
      contextWith(),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('is being deleted');
  });

  it('fails an RDS instance whose KMS key is out of reach and whose window could not be read', () => {
    const outcome = pitrLagCheck.evaluate(
      rdsInstanceFact({
        status: 'inaccessible-encryption-credentials',
        latestRestorableTime: undefined,
        restoreWindow: { known: false, reason: 'DescribeDBInstanceAutomatedBackups failed: Throttling' },
      }),
      contextWith(),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('cannot reach the KMS key');
  });

  it('stays not available on logs on disk for a status that leaves a restore unproven', () => {
    const outcome = pitrLagCheck.evaluate(
      cloudSqlFact({ ...noLatestOnDisk, status: 'SUSPENDED' }, { logStorage: 'DISK' }),
      contextWith(),
    );
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('keeps them on its data disk');
  });
});

describe('pitr.lag: a stale latest time on a database being deleted', () => {
  it('says the database is being deleted, not that its status may explain it', () => {
    // Act
    const outcome = pitrLagCheck.evaluate(
      auroraClusterFact({ status: 'deleting', restoreWindow: windowUntil(minutesAgo(45)) }),
      contextWith({ pitr: { maxRestoreLagMinutes: 30 } }),
    );

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('45 min old');
    expect(outcome?.description).toContain('is being deleted (status `deleting`)');
    expect(outcome?.description).not.toContain('may explain it');
    expect(outcome?.remediationText).toContain('The deletion cannot be cancelled.');
  });

  it('says a Cloud SQL instance in PENDING_DELETE is being deleted', () => {
    const outcome = pitrLagCheck.evaluate(
      cloudSqlFact({
        status: 'PENDING_DELETE',
        latestRestorableTime: minutesAgo(300),
        restoreWindow: {
          known: true,
          earliest: daysAgo(7),
          latest: minutesAgo(300),
          source: 'getLatestRecoveryTime',
        },
      }),
      contextWith(),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('is being deleted (status `PENDING_DELETE`)');
    expect(outcome?.description).not.toContain('may explain it');
    expect(outcome?.remediationText).toContain('The deletion cannot be stopped.');
  });
});

describe('pitr.lag: a status that decides on its own wins over a latest time not sent', () => {
  const noTimes: RestoreWindow = {
    known: true,
    earliest: undefined,
    latest: undefined,
    source: 'RestoreWindow',
  };
  const deciding = [
    ['an RDS instance being deleted', () => rdsInstanceFact({ status: 'deleting' }), 'is being deleted'],
    ['an Aurora cluster being deleted', () => auroraClusterFact({ status: 'deleting' }), 'is being deleted'],
    [
      'a Cloud SQL instance in PENDING_DELETE',
      () => cloudSqlFact({ status: 'PENDING_DELETE' }),
      'is being deleted',
    ],
    [
      'an RDS instance whose KMS key is out of reach',
      () => rdsInstanceFact({ status: 'inaccessible-encryption-credentials' }),
      'cannot reach the KMS key',
    ],
    [
      'an Aurora cluster with status incompatible-restore',
      () => auroraClusterFact({ status: 'incompatible-restore' }),
      'cannot do a point-in-time restore',
    ],
  ] as const;

  it.each(deciding)('fails %s whose window has an earliest time but no latest one', (_, make, words) => {
    // Prepare: the missing latest time leaves the lag open, but the status proves no restore runs.
    const fact = { ...make(), restoreWindow: windowUntil(undefined), latestRestorableTime: undefined };

    // Act
    const outcome = pitrLagCheck.evaluate(fact, contextWith());

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(words);
    expect(outcome?.observed).toMatchObject({ restoreLagMinutes: null, status: fact.status });
  });

  it.each(deciding)('fails %s that is new and has no restore point yet', (_, make, words) => {
    const fact = {
      ...make(),
      createdAt: minutesAgo(20),
      restoreWindow: noTimes,
      latestRestorableTime: undefined,
    };
    const outcome = pitrLagCheck.evaluate(fact, contextWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(words);
    expect(outcome?.description).not.toContain('is new');
  });

  it.each(deciding)('fails %s with no times when whether backups are on is unknown', (_, make, words) => {
    const fact = {
      ...make(),
      automatedBackupsEnabled: undefined,
      restoreWindow: noTimes,
      latestRestorableTime: undefined,
    };
    const outcome = pitrLagCheck.evaluate(fact, contextWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(words);
  });

  it('fails a new Cloud SQL instance in PENDING_DELETE, PITR off, that lists no backup yet', () => {
    const outcome = pitrLagCheck.evaluate(
      cloudSqlFact({
        status: 'PENDING_DELETE',
        pointInTimeRecoveryEnabled: false,
        createdAt: minutesAgo(30),
        restoreWindow: noTimes,
      }),
      contextWith(),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('is being deleted');
  });

  it.each([
    ['stopped', rdsInstanceFact],
    ['storage-full', auroraClusterFact],
    ['SUSPENDED', cloudSqlFact],
  ] as const)(
    'stays not available, never PASSED, on a latest time not sent for status %s',
    (status, make) => {
      // A status that leaves a restore unproven (or untouched) proves nothing here either way.
      const fact = make({ status, restoreWindow: windowUntil(undefined), latestRestorableTime: undefined });
      expect(pitrLagCheck.evaluate(fact, contextWith())?.status).toBe('NOT_AVAILABLE');
      const young = make({
        status,
        createdAt: minutesAgo(20),
        restoreWindow: noTimes,
        latestRestorableTime: undefined,
      });
      expect(pitrLagCheck.evaluate(young, contextWith())?.status).toBe('NOT_AVAILABLE');
    },
  );
});

describe('pitr.lag: a stale latest time words what the status proves', () => {
  it('says a database cut off from its KMS key runs no archiving, with the key fix, not "may explain it"', () => {
    // Act
    const outcome = pitrLagCheck.evaluate(
      rdsInstanceFact({
        status: 'inaccessible-encryption-credentials-recoverable',
        latestRestorableTime: minutesAgo(300),
        restoreWindow: windowUntil(minutesAgo(300)),
      }),
      contextWith(),
    );

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('cannot reach the KMS key that encrypts it');
    expect(outcome?.description).not.toContain('may explain it');
    expect(outcome?.description).not.toContain('WAL archiving is broken');
    expect(outcome?.remediationText).toContain('Within seven days of entering this state');
  });

  it('says incompatible-restore proves no point-in-time restore runs, without claiming it stopped the time', () => {
    const outcome = pitrLagCheck.evaluate(
      auroraClusterFact({ status: 'incompatible-restore', restoreWindow: windowUntil(minutesAgo(300)) }),
      contextWith(),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'RDS reports it cannot do a point-in-time restore of this database',
    );
    expect(outcome?.description).not.toContain('may explain it');
    expect(outcome?.description).not.toContain('explains the stale time');
    expect(outcome?.remediationText).toContain('Recent Events');
  });

  it('says a Cloud SQL instance in PENDING_DELETE with PITR off is being deleted, not that its state may explain it', () => {
    const outcome = pitrLagCheck.evaluate(
      cloudSqlFact({
        status: 'PENDING_DELETE',
        pointInTimeRecoveryEnabled: false,
        restoreWindow: {
          known: true,
          earliest: daysAgo(10),
          latest: daysAgo(3),
          source: 'backupRuns.list (SUCCESSFUL AUTOMATED runs, PITR off)',
        },
      }),
      contextWith(),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('is being deleted (state `PENDING_DELETE`)');
    expect(outcome?.description).not.toContain('may explain it');
    expect(outcome?.remediationText).toContain('The deletion cannot be stopped.');
  });

  it('keeps "may explain it" for a status that neither proves nor rules out the cause', () => {
    const outcome = pitrLagCheck.evaluate(
      cloudSqlFact({
        status: 'FAILED',
        latestRestorableTime: minutesAgo(300),
        restoreWindow: windowUntil(minutesAgo(300)),
      }),
      contextWith(),
    );
    expect(outcome?.description).toContain('which may explain it');
  });
});
