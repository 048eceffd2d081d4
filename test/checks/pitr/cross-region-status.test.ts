import { describe, expect, it } from 'vitest';
import { pitrCrossRegionCheck } from '../../../functions/checks/pitr/cross-region.ts';
import {
  auroraClusterFact,
  cloudSqlFact,
  contextWith,
  daysAgo,
  minutesAgo,
  rdsInstanceFact,
  replicatedBackup,
} from './fixtures.ts';

const REQUIRE = { pitr: { requireCrossRegionBackup: true } };

describe('pitr.cross-region under the status of the source database', () => {
  describe('a Cloud SQL instance being deleted, whose copy is its backups in the backup location', () => {
    it('fails, not passes, when it does not retain its backups on delete: they go with it', () => {
      // "All data on an instance, including backups, is permanently lost when that instance is
      // deleted" (Cloud SQL docs, "Delete instances"): the multi-region location holds nothing after.
      const fact = cloudSqlFact(
        { status: 'PENDING_DELETE', crossRegionBackupTargets: ['eu'] },
        { retainBackupsOnDelete: false, finalBackupEnabled: false },
      );
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toMatchObject({ crossRegionBackup: false, status: 'PENDING_DELETE' });
      expect(outcome?.description).toBe(
        'Cloud SQL instance `certctl-sql` is being deleted (state `PENDING_DELETE`) and does not retain its backups on delete (retainBackupsOnDelete not set, no final backup configured): the backups stored in eu are deleted with it, so none of them is left in another region. A final backup the deletion itself asked for (enableFinalBackup) is not read here.',
      );
      expect(outcome?.remediationText).toContain('The deletion cannot be stopped.');
    });

    it('fails even when the backup location was not read: the deletion takes every backup', () => {
      const fact = cloudSqlFact({ status: 'PENDING_DELETE' }, { retainBackupsOnDelete: false });
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('the backups stored in its backup location are deleted with it');
    });

    it('keeps the pass and says so when it retains its backups on delete: they outlive it', () => {
      const fact = cloudSqlFact(
        { status: 'PENDING_DELETE', crossRegionBackupTargets: ['eu'] },
        { retainBackupsOnDelete: true },
      );
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).toContain(
        'It is being deleted (state `PENDING_DELETE`) and retains its backups on delete (retainBackupsOnDelete): its automated backups outlive it until their retention ends, and no new backup is taken.',
      );
    });

    it.each([
      ['whether it retains its backups was not sent', { retainBackupsOnDelete: undefined }],
      [
        'it takes a final backup whose location is not read',
        { retainBackupsOnDelete: false, finalBackupEnabled: true },
      ],
    ])('is not available, not passed, when %s', (_, cloudSql) => {
      const fact = cloudSqlFact({ status: 'PENDING_DELETE', crossRegionBackupTargets: ['eu'] }, cloudSql);
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({ crossRegionBackup: null, status: 'PENDING_DELETE' });
      expect(outcome?.description).toContain('is being deleted (state `PENDING_DELETE`)');
      expect(outcome?.description).toContain('From the backup location alone:');
    });
  });

  describe('a Cloud SQL instance whose state is not known, whose copy is its own backups', () => {
    it.each(['SQL_INSTANCE_STATE_UNSPECIFIED', 'SOME_NEW_STATE'])(
      'is not available, not passed, in state %s: nothing shows it still takes backups',
      (status) => {
        const fact = cloudSqlFact({ status, crossRegionBackupTargets: ['eu'] });
        const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
        expect(outcome?.status).toBe('NOT_AVAILABLE');
        expect(outcome?.observed).toMatchObject({ crossRegionBackup: null, status });
        expect(outcome?.description).toContain(
          'so it is unknown whether a restore can run. From the copy alone: ',
        );
      },
    );
  });

  describe('a Cloud SQL instance Google suspended or marked FAILED, whose copy is its own backups', () => {
    it('is not available, not passed, when suspended: no new backup is taken, and a KMS key issue locks the backups too', () => {
      // SUSPENDED covers suspensionReason KMS_KEY_ISSUE, and a CMEK instance's backups are encrypted
      // with its own key (Cloud SQL docs, "About customer-managed encryption keys"): the multi-region
      // location holds backups no restore can read while the key is out of reach. The reason is not read.
      const fact = cloudSqlFact({ status: 'SUSPENDED', crossRegionBackupTargets: ['eu'] });
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({ crossRegionBackup: null, status: 'SUSPENDED' });
      expect(outcome?.description).toContain(
        'has state `SUSPENDED`: Google suspended it (no suspensionReason was sent; for example a billing problem, or a revoked or unreachable Cloud KMS key): the instance is not available, so no new backup can be counted on, and whether the backups already in its backup location restore is not known. From the backup location alone: ',
      );
      expect(outcome?.description).toContain('stores its automated backups in eu');
      expect(outcome?.remediationText).toContain('suspensionReason');
      expect(outcome?.remediationText).toContain('gcloud sql backups list');
      // The Google term, as status.ts names the same agent.
      expect(outcome?.remediationText).toContain('give the Cloud SQL service agent access to it again');
      expect(outcome?.remediationText).not.toContain('service account');
    });

    it('is not available, not passed, when FAILED: a failed creation made no backup, a failed maintenance leaves them unproven', () => {
      const fact = cloudSqlFact({ status: 'FAILED', crossRegionBackupTargets: ['eu'] });
      const outcome = pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE));
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({ crossRegionBackup: null, status: 'FAILED' });
      expect(outcome?.description).toContain(
        'has state `FAILED`: its creation failed, which leaves no backup at all, or a fatal error occurred during maintenance, after which it does not run, so no new backup can be counted on, and whether the backups already in its backup location restore is not documented. From the backup location alone: ',
      );
      expect(outcome?.remediationText).toContain('gcloud sql backups list');
    });

    it.each(['SUSPENDED', 'FAILED'])(
      'still fails an instance in state %s whose automated backups are off',
      (status) => {
        const outcome = pitrCrossRegionCheck.evaluate(
          cloudSqlFact({ status, automatedBackupsEnabled: false, crossRegionBackupTargets: ['eu'] }),
          contextWith(REQUIRE),
        );
        expect(outcome?.status).toBe('FAILED');
        expect(outcome?.observed).toMatchObject({ crossRegionBackup: false });
      },
    );

    it('keeps the pass of a STOPPED instance: Google documents only that it takes no new backup', () => {
      const outcome = pitrCrossRegionCheck.evaluate(
        cloudSqlFact({ status: 'STOPPED', crossRegionBackupTargets: ['eu'] }),
        contextWith(REQUIRE),
      );
      expect(outcome?.status).toBe('PASSED');
    });
  });

  describe('an RDS instance whose automated backups are replicated', () => {
    it('keeps the pass on a source being deleted and says the replication ends with it', () => {
      // The replicated backup lives in its own Region: the source's deletion does not take what it
      // holds now, but nothing newer reaches it.
      const outcome = pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({ status: 'deleting' }),
        contextWith(REQUIRE),
      );
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).toContain(
        'The source is being deleted (status `deleting`): the replication ends with it, so the copy receives no new snapshot or transaction log, and restores at most what it holds now, until its retention ends, if it is kept.',
      );
    });

    it('is not available, not passed, when RDS reports it cannot do a point-in-time restore of the source', () => {
      // The copy holds the source's own snapshots and transaction logs: what stops a restore of the
      // source may stop one from the copy, and RDS does not say.
      const outcome = pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({ status: 'incompatible-restore' }),
        contextWith(REQUIRE),
      );
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({ crossRegionBackup: null, status: 'incompatible-restore' });
      expect(outcome?.description).toContain(
        'has status `incompatible-restore`: RDS reports it cannot do a point-in-time restore of it, and the replicated backups are copies of its snapshots and transaction logs, so whether a restore from them runs is not known. From the copy alone: ',
      );
      expect(outcome?.remediationText).toContain('--source-db-instance-automated-backups-arn');
    });

    it.each(['restore-error', 'cloning-failed'])(
      'is not available, not passed, when the source was made by a restore or clone that failed (%s): what its copies hold is not documented',
      (status) => {
        const outcome = pitrCrossRegionCheck.evaluate(rdsInstanceFact({ status }), contextWith(REQUIRE));
        expect(outcome?.status).toBe('NOT_AVAILABLE');
        expect(outcome?.observed).toMatchObject({ crossRegionBackup: null, status });
        expect(outcome?.description).toContain(
          `has status \`${status}\`: the restore, clone, migration or upgrade that made this database failed, and what its own backups hold is not documented. From the copy alone: `,
        );
      },
    );

    it.each(['inaccessible-encryption-credentials', 'inaccessible-encryption-credentials-recoverable'])(
      'keeps the pass when the source cannot reach its KMS key (%s): the copy is encrypted with a key of its own Region',
      (status) => {
        const outcome = pitrCrossRegionCheck.evaluate(rdsInstanceFact({ status }), contextWith(REQUIRE));
        expect(outcome?.status).toBe('PASSED');
      },
    );

    it.each(['unknown', 'some-future-status'])(
      'keeps the pass when the source status is %s: the copy is proven by its own Status and window, read in its Region',
      (status) => {
        // The verdict rests on what the destination Region says of the copy (Status replicating, a
        // RestoreWindow reaching back the target and a latest time within the lag of this run's
        // clock), none of which the source's status changes.
        const outcome = pitrCrossRegionCheck.evaluate(rdsInstanceFact({ status }), contextWith(REQUIRE));
        expect(outcome?.status).toBe('PASSED');
        expect(outcome?.observed.crossRegionBackup).toBe(true);
        expect(outcome?.description).not.toContain(`\`${status}\``);
      },
    );

    it("judges the copy of a source with an unknown status against this run's clock, not as a stopped source", () => {
      // A stopped source's copy is measured from the source's own latest restore point; a status
      // this tool does not know gives no such leave: a copy three hours behind fails.
      const stale = {
        latestRestorableTime: minutesAgo(180),
        replicatedBackups: [
          replicatedBackup('eu-central-1', {
            restoreWindow: { earliest: daysAgo(30), latest: minutesAgo(180) },
          }),
        ],
      };
      const stopped = pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({ status: 'stopped', ...stale }),
        contextWith(REQUIRE),
      );
      expect(stopped?.status).toBe('PASSED');
      const unknown = pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({ status: 'some-future-status', ...stale }),
        contextWith(REQUIRE),
      );
      expect(unknown?.status).toBe('FAILED');
    });

    it('still fails a source being deleted that replicates nowhere', () => {
      const outcome = pitrCrossRegionCheck.evaluate(
        rdsInstanceFact({ status: 'deleting', crossRegionBackupTargets: [], replicatedBackups: [] }),
        contextWith(REQUIRE),
      );
      expect(outcome?.status).toBe('FAILED');
    });
  });

  describe('an Aurora cluster with a read replica cluster in another Region', () => {
    const withReplica = (status: string) =>
      auroraClusterFact({
        status,
        aurora: {
          replicaRegions: ['eu-central-1'],
          globalClusterIdentifier: undefined,
          copies: [
            {
              region: 'eu-central-1',
              arn: 'arn:aws:rds:eu-central-1:111122223333:cluster:certctl-aurora-fra',
              read: true,
              id: 'certctl-aurora-fra',
              status: 'available',
              backupRetentionPeriod: 35,
              earliestRestorableTime: daysAgo(35),
            } as never,
          ],
        },
      });

    it('keeps the pass on a source being deleted and says the replica gets nothing newer from it', () => {
      const outcome = pitrCrossRegionCheck.evaluate(withReplica('deleting'), contextWith(REQUIRE));
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).toContain(
        'The source is being deleted (status `deleting`): the replica receives no new change from it; its own automated backups are not the source',
      );
    });

    it.each(['incompatible-restore', 'inaccessible-encryption-credentials'])(
      'keeps the pass when the source has status %s: the replica has its own storage and backups',
      (status) => {
        const outcome = pitrCrossRegionCheck.evaluate(withReplica(status), contextWith(REQUIRE));
        expect(outcome?.status).toBe('PASSED');
        expect(outcome?.description).not.toContain('is being deleted');
      },
    );
  });
});
