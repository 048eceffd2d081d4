import { describe, expect, it } from 'vitest';
import { pitrLagCheck } from '../../../functions/checks/pitr/lag.ts';
import {
  auroraClusterFact,
  cloudSqlFact,
  contextWith,
  daysAgo,
  minutesAgo,
  rdsInstanceFact,
} from './fixtures.ts';

/** A window whose latest restorable time is `latest`: the time the lag is measured from. */
const staleAt = (latest: Date) => ({
  latestRestorableTime: latest,
  restoreWindow: {
    known: true as const,
    earliest: daysAgo(30),
    latest,
    source: 'RestoreWindow.EarliestTime',
  },
});

describe('pitr.lag: what the status says of a stale latest restorable time', () => {
  it.each(['renaming', 'storage-optimization', 'resetting-master-credentials'])(
    'claims no cause for status %s, a state RDS documents no effect on archiving for',
    (status) => {
      const outcome = pitrLagCheck.evaluate(
        rdsInstanceFact({ status, ...staleAt(minutesAgo(300)) }),
        contextWith(),
      );
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).not.toContain('may explain it');
      expect(outcome?.description).toContain(
        `The database status is \`${status}\`, which is no documented cause of a stale time: WAL archiving may be broken, and point-in-time recovery has silently stopped at that time.`,
      );
    },
  );

  it('says a status this tool does not know may or may not explain it, without guessing', () => {
    const outcome = pitrLagCheck.evaluate(
      rdsInstanceFact({ status: 'reticulating', ...staleAt(minutesAgo(300)) }),
      contextWith(),
    );
    expect(outcome?.description).not.toContain('may explain it');
    expect(outcome?.description).toContain(
      'This tool does not know the status `reticulating`, so whether it explains the stale time is not known',
    );
  });

  it('says what RDS documents of storage-full: no automated backup, and nothing about the transaction logs', () => {
    const outcome = pitrLagCheck.evaluate(
      auroraClusterFact({ status: 'storage-full', ...staleAt(minutesAgo(300)) }),
      contextWith(),
    );
    expect(outcome?.description).toContain(
      'The database status is `storage-full`, which may explain it: the database has used all its allocated storage, and RDS takes no automated backup while a database is in a state other than available (RDS user guide, USER_WorkingWithAutomatedBackups); whether it also stops uploading transaction logs is not documented. Otherwise WAL archiving is broken',
    );
  });

  it('claims no cause for a Cloud SQL instance with PITR off whose read pool nodes are REPAIRING', () => {
    const outcome = pitrLagCheck.evaluate(
      cloudSqlFact({
        status: 'REPAIRING',
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
    expect(outcome?.description).not.toContain('may explain it');
    expect(outcome?.description).toContain(
      'The instance state is `REPAIRING`, which is no documented cause of it: the daily automated backups have stopped or are failing.',
    );
  });

  it('claims no more than "not available" for a SUSPENDED Cloud SQL instance with PITR off and an old backup', () => {
    const outcome = pitrLagCheck.evaluate(
      cloudSqlFact({
        status: 'SUSPENDED',
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
    expect(outcome?.description).toContain('so nothing shows it takes backups while suspended');
    expect(outcome?.description).not.toContain('takes no backups');
  });
});
