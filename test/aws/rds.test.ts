import {
  type DBCluster,
  type DBInstance,
  type DBInstanceAutomatedBackup,
  DescribeDBClustersCommand,
  type DescribeDBClustersCommandInput,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  type DescribeDBInstancesCommandInput,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsScopeReader } from '../../functions/aws/collectors.ts';
import {
  auroraClusterToFact,
  collectRdsPitrFacts,
  indexAutomatedBackups,
  isStandaloneCluster,
  isStandaloneInstance,
  lookUpRdsNames,
  lookUpRdsNamesOf,
  rdsInstanceToFact,
  regionOfArn,
} from '../../functions/aws/rds.ts';
import { pitrCrossRegionCheck } from '../../functions/checks/pitr/cross-region.ts';
import { pitrEnabledCheck } from '../../functions/checks/pitr/enabled.ts';
import { pitrLagCheck } from '../../functions/checks/pitr/lag.ts';
import { pitrRetentionCheck } from '../../functions/checks/pitr/retention.ts';
import { pitrWindowCheck } from '../../functions/checks/pitr/window.ts';
import { taggedStandInProblems } from '../../functions/core/audit.ts';
import { CloudApiError } from '../../functions/core/errors.ts';
import { type PolicyInput, parsePolicy } from '../../functions/core/policy.ts';
import { contextWith } from '../checks/pitr/fixtures.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const SCOPE = { account: ACCOUNT, region: REGION };
const TARGET_TAG = [{ Key: 'certctl:backup-guard', Value: 'enabled' }];
const EARLIEST = new Date('2026-08-01T03:10:00.000Z');
const LATEST = new Date('2026-09-01T11:55:00.000Z');

function instance(id: string, overrides: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: id,
    DBInstanceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:db:${id}`,
    DbiResourceId: `db-${id.toUpperCase()}`,
    Engine: 'postgres',
    DBInstanceStatus: 'available',
    BackupRetentionPeriod: 30,
    PreferredBackupWindow: '03:00-03:30',
    DeletionProtection: true,
    LatestRestorableTime: new Date('2026-09-01T11:50:00.000Z'),
    InstanceCreateTime: new Date('2025-01-01T00:00:00.000Z'),
    TagList: TARGET_TAG,
    ...overrides,
  };
}

function automatedBackup(
  id: string,
  overrides: Partial<DBInstanceAutomatedBackup> = {},
): DBInstanceAutomatedBackup {
  return {
    DBInstanceIdentifier: id,
    DbiResourceId: `db-${id.toUpperCase()}`,
    Region: REGION,
    Status: 'active',
    RestoreWindow: { EarliestTime: EARLIEST, LatestTime: LATEST },
    ...overrides,
  };
}

function cluster(id: string, overrides: Partial<DBCluster> = {}): DBCluster {
  return {
    DBClusterIdentifier: id,
    DBClusterArn: `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:${id}`,
    Engine: 'aurora-postgresql',
    Status: 'available',
    BackupRetentionPeriod: 30,
    EarliestRestorableTime: EARLIEST,
    LatestRestorableTime: LATEST,
    DeletionProtection: false,
    ClusterCreateTime: new Date('2025-06-01T00:00:00.000Z'),
    TagList: TARGET_TAG,
    ...overrides,
  };
}

describe('a DB cluster BackupRetentionPeriod no DB cluster can have', () => {
  // Aurora and Multi-AZ DB clusters keep automated backups 1-35 days and cannot turn them off: 0 (or
  // 36, or -1) is no setting the cluster has, so nothing it drives may be judged from it.
  it.each([0, 36, -1])(
    'is not available naming BackupRetentionPeriod %i, never "backups off", while the restorable times are read',
    (days) => {
      // Prepare
      const fact = auroraClusterToFact(cluster('certctl-aurora', { BackupRetentionPeriod: days }), SCOPE);
      const context = contextWith();

      // Act
      const outcomes = [pitrEnabledCheck, pitrRetentionCheck, pitrWindowCheck].map((check) =>
        check.evaluate(fact, context),
      );
      const lag = pitrLagCheck.evaluate(fact, context);

      // Assess
      for (const outcome of outcomes) {
        expect(outcome?.status).toBe('NOT_AVAILABLE');
        expect(outcome?.description).toContain(`BackupRetentionPeriod ${days}`);
        expect(outcome?.description).not.toContain('backups are off');
      }
      expect(fact.automatedBackupsEnabled).toBeUndefined();
      // The latest restorable time was sent and is judged, not hidden as if backups were off.
      expect(lag?.status).toBe('PASSED');
    },
  );
});

describe('a DB instance BackupRetentionPeriod no DB instance can have', () => {
  // An RDS DB instance keeps automated backups 0-35 days (0 turns them off): 36 or -1 is no setting
  // the instance has, so it is neither a retention to compare nor "backups on".
  it.each([36, 40, -1])(
    'is not available naming BackupRetentionPeriod %i, while the restorable times are read',
    (days) => {
      // Prepare
      const fact = rdsInstanceToFact(
        instance('certctl-db', { BackupRetentionPeriod: days }),
        automatedBackup('certctl-db'),
        SCOPE,
      );
      const context = contextWith();

      // Act
      const outcomes = [pitrEnabledCheck, pitrRetentionCheck, pitrWindowCheck].map((check) =>
        check.evaluate(fact, context),
      );
      const lag = pitrLagCheck.evaluate(fact, context);

      // Assess
      for (const outcome of outcomes) {
        expect(outcome?.status).toBe('NOT_AVAILABLE');
        expect(outcome?.description).toContain(`DescribeDBInstances sent BackupRetentionPeriod ${days}`);
        expect(outcome?.remediationText).toContain(
          'aws rds describe-db-instances --region eu-west-1 --db-instance-identifier certctl-db',
        );
      }
      expect(fact.retentionDays).toBeUndefined();
      expect(fact.automatedBackupsEnabled).toBeUndefined();
      expect(lag?.status).toBe('PASSED');
    },
  );

  it('still judges 0 as backups off and 35 as a retention', () => {
    // Act
    const off = rdsInstanceToFact(instance('certctl-db', { BackupRetentionPeriod: 0 }), undefined, SCOPE);
    const max = rdsInstanceToFact(
      instance('certctl-db', { BackupRetentionPeriod: 35 }),
      automatedBackup('certctl-db'),
      SCOPE,
    );

    // Assess
    expect(off).toMatchObject({ retentionDays: 0, automatedBackupsEnabled: false });
    expect(off.retentionImpossible).toBeUndefined();
    expect(max).toMatchObject({ retentionDays: 35, automatedBackupsEnabled: true });
    expect(max.retentionImpossible).toBeUndefined();
  });
});

describe('a pending BackupRetentionPeriod no database can have', () => {
  // A retention change RDS accepted (PendingModifiedValues) is held to the same range as the one in
  // force: 36 or -1 for an instance, 0 for a cluster, is no retention RDS will apply, so whether the
  // pending change lowers the retention, or turns backups off, is not known.
  it.each([
    ['a DB instance', 36, 'DescribeDBInstances', '0-35'],
    ['a DB instance', -1, 'DescribeDBInstances', '0-35'],
    ['a DB cluster', 0, 'DescribeDBClusters', '1-35'],
  ])(
    'is not available, not PASSED or "backups turned off", for %s with a pending BackupRetentionPeriod of %i',
    (what, pending, api, range) => {
      // Prepare: a retention of 35 in force, enough for the 30-day target.
      const fact =
        what === 'a DB instance'
          ? rdsInstanceToFact(
              instance('certctl-db', {
                BackupRetentionPeriod: 35,
                PendingModifiedValues: { BackupRetentionPeriod: pending },
              }),
              automatedBackup('certctl-db'),
              SCOPE,
            )
          : auroraClusterToFact(
              cluster('certctl-aurora', {
                BackupRetentionPeriod: 35,
                PendingModifiedValues: { BackupRetentionPeriod: pending },
              }),
              SCOPE,
            );
      const context = contextWith();
      // Act
      const outcomes = [pitrEnabledCheck, pitrRetentionCheck].map((check) => check.evaluate(fact, context));
      // Assess
      expect(fact.retentionDays).toBe(35);
      expect(fact.pendingRetentionDays).toBeUndefined();
      for (const outcome of outcomes) {
        expect(outcome?.status).toBe('NOT_AVAILABLE');
        expect(outcome?.description).toContain(
          `${api} sent PendingModifiedValues.BackupRetentionPeriod ${pending}, outside the ${range} days`,
        );
      }
    },
  );
});

describe('a replicated backup whose ARN names no Region', () => {
  // As DescribeDBInstances might send it: the Region field of the ARN is empty, or not a Region's.
  it.each([
    ['empty', `arn:aws:rds::${ACCOUNT}:auto-backup:ab-certctl-db`],
    ['not Region-shaped', `arn:aws:rds:bogus:${ACCOUNT}:auto-backup:ab-certctl-db`],
  ])(
    'is not available naming the ARN the answer held and why, never judged as if the ARN were a Region, when its Region field is %s',
    (_field, MALFORMED) => {
      // Prepare
      const db = instance('certctl-db', {
        DBInstanceAutomatedBackupsReplications: [{ DBInstanceAutomatedBackupsArn: MALFORMED }],
      });
      const fact = rdsInstanceToFact(db, automatedBackup('certctl-db'), SCOPE, undefined, []);

      // Act
      const outcome = pitrCrossRegionCheck.evaluate(
        fact,
        contextWith({ pitr: { requireCrossRegionBackup: true } }),
      );

      // Assess
      expect(fact.crossRegionBackupTargets).toEqual([]);
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toEqual({ crossRegionBackup: null, replicatedTo: MALFORMED });
      expect(outcome?.description).toContain(
        `DBInstanceAutomatedBackupsReplications lists the replicated backup ${MALFORMED}, whose Region cannot be read from it`,
      );
      expect(outcome?.description).not.toContain('was not read');
    },
  );
});

describe('a replication DescribeDBInstances sends without its ARN', () => {
  const require = contextWith({ pitr: { requireCrossRegionBackup: true } });

  it.each([
    ['no DBInstanceAutomatedBackupsArn', {}],
    ['an empty DBInstanceAutomatedBackupsArn', { DBInstanceAutomatedBackupsArn: '' }],
  ])('is not available, never "names no replication", when the entry has %s', (_, replication) => {
    // Prepare: <DBInstanceAutomatedBackupsReplication/> says a replication exists, not where.
    const db = instance('certctl-db', { DBInstanceAutomatedBackupsReplications: [replication] });
    const fact = rdsInstanceToFact(db, automatedBackup('certctl-db'), SCOPE, undefined, []);
    // Act
    const outcome = pitrCrossRegionCheck.evaluate(fact, require);
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject({ crossRegionBackup: null });
    expect(outcome?.description).toContain(
      'DBInstanceAutomatedBackupsReplications lists 1 replication without DBInstanceAutomatedBackupsArn',
    );
    expect(outcome?.description).not.toContain('names no replication');
  });

  it('still passes on another replication proven in its destination', () => {
    // Prepare: one replication without its ARN, one read in us-west-2 and keeping 31 days.
    const arn = `arn:aws:rds:us-west-2:${ACCOUNT}:auto-backup:ab-certctl-db`;
    const db = instance('certctl-db', {
      DBInstanceAutomatedBackupsReplications: [{}, { DBInstanceAutomatedBackupsArn: arn }],
    });
    const fact = rdsInstanceToFact(db, automatedBackup('certctl-db'), SCOPE, undefined, [
      {
        region: 'us-west-2',
        arn,
        read: true,
        listed: true,
        status: 'replicating',
        restoreWindow: { earliest: EARLIEST, latest: new Date('2026-09-01T11:50:00.000Z') },
        backupRetentionPeriod: 31,
        encrypted: true,
        kmsKeyId: undefined,
      },
    ]);
    // Act
    const outcome = pitrCrossRegionCheck.evaluate(fact, require);
    // Assess
    expect(outcome?.status).toBe('PASSED');
  });
});

describe('RDS mapping', () => {
  it('reads a status sent as an empty element as not reported, never as a status named ``', () => {
    // Prepare: <DBInstanceStatus/> and <Status/> decode to '' (the lean decoding and the SDK alike).
    const db = instance('certctl-db', { DBInstanceStatus: '' });
    const aurora = cluster('certctl-aurora', { Status: '' });
    // Act
    const facts = [
      rdsInstanceToFact(db, automatedBackup('certctl-db'), SCOPE),
      auroraClusterToFact(aurora, SCOPE),
    ];
    // Assess: pitr.window then says the cloud did not report it.
    for (const fact of facts) {
      expect(fact.status).toBe('unknown');
      const outcome = pitrWindowCheck.evaluate(fact, contextWith());
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('the cloud did not report the status');
      expect(outcome?.description).not.toContain('``');
    }
  });

  it('maps an instance and its active automated backup to a fact', () => {
    // Prepare
    const db = instance('certctl-db', {
      AwsBackupRecoveryPointArn: 'arn:aws:backup:eu-west-1:111122223333:recovery-point:continuous:db-x',
      DBInstanceAutomatedBackupsReplications: [
        { DBInstanceAutomatedBackupsArn: 'arn:aws:rds:eu-central-1:111122223333:auto-backup:ab-1' },
      ],
    });
    // Act
    const fact = rdsInstanceToFact(db, automatedBackup('certctl-db'), SCOPE);
    // Assess
    expect(fact).toEqual({
      resource: {
        provider: 'aws',
        account: ACCOUNT,
        region: REGION,
        type: 'AwsRdsDbInstance',
        id: 'certctl-db',
        arn: 'arn:aws:rds:eu-west-1:111122223333:db:certctl-db',
        resourceId: 'db-CERTCTL-DB',
      },
      kind: 'rds-instance',
      engine: 'postgres',
      status: 'available',
      retentionDays: 30,
      retentionSource: 'BackupRetentionPeriod',
      retentionRange: { min: 0, max: 35 },
      automatedBackupsEnabled: true,
      pointInTimeRecoveryEnabled: true,
      restoreWindow: {
        known: true,
        earliest: EARLIEST,
        latest: LATEST,
        source: 'DescribeDBInstanceAutomatedBackups RestoreWindow',
      },
      latestRestorableTime: new Date('2026-09-01T11:50:00.000Z'),
      dailyBackupWindow: { known: true, window: '03:00-03:30', lengthMs: 30 * 60_000 },
      deletionProtection: true,
      awsBackupRecoveryPointArn: 'arn:aws:backup:eu-west-1:111122223333:recovery-point:continuous:db-x',
      crossRegionBackupTargets: ['eu-central-1'],
      createdAt: new Date('2025-01-01T00:00:00.000Z'),
    });
  });

  it('carries a retention change RDS accepted but has not applied (PendingModifiedValues)', () => {
    // Prepare: backups to be turned off at the next maintenance window; a cluster's lowered.
    const db = instance('certctl-db', { PendingModifiedValues: { BackupRetentionPeriod: 0 } });
    const aurora = cluster('certctl-aurora', { PendingModifiedValues: { BackupRetentionPeriod: 3 } });
    // Act
    const fromInstance = rdsInstanceToFact(db, automatedBackup('certctl-db'), SCOPE);
    const fromCluster = auroraClusterToFact(aurora, SCOPE);
    const nothingPending = rdsInstanceToFact(
      instance('certctl-db', { PendingModifiedValues: { DBInstanceClass: 'db.r6g.large' } }),
      automatedBackup('certctl-db'),
      SCOPE,
    );
    // Assess
    expect(fromInstance).toMatchObject({ retentionDays: 30, pendingRetentionDays: 0 });
    expect(fromCluster).toMatchObject({ retentionDays: 30, pendingRetentionDays: 3 });
    expect(nothingPending.pendingRetentionDays).toBeUndefined();
  });

  it.each([
    ['03:00-03:30', 30],
    ['01:00-04:00', 3 * 60],
    ['23:00-01:00', 2 * 60],
    ['23:30-00:00', 30],
    ['00:00-23:59', 23 * 60 + 59],
  ])(
    'measures the backup window %s as %i minutes, across midnight when its end is before its start',
    (window, minutes) => {
      const fact = rdsInstanceToFact(
        instance('certctl-db', { PreferredBackupWindow: window }),
        automatedBackup('certctl-db'),
        SCOPE,
      );
      expect(fact.dailyBackupWindow).toEqual({ known: true, window, lengthMs: minutes * 60_000 });
    },
  );

  it.each([
    [undefined, 'DescribeDBInstances sent no PreferredBackupWindow'],
    [
      '3:00-04:00',
      'DescribeDBInstances sent PreferredBackupWindow "3:00-04:00", which is not hh24:mi-hh24:mi',
    ],
    [
      '24:00-01:00',
      'DescribeDBInstances sent PreferredBackupWindow "24:00-01:00", which is not hh24:mi-hh24:mi',
    ],
    [
      '03:00-03:00',
      'DescribeDBInstances sent PreferredBackupWindow "03:00-03:00", which is not hh24:mi-hh24:mi',
    ],
  ])('leaves the backup window unknown, with why, when PreferredBackupWindow is %s', (window, reason) => {
    const fact = rdsInstanceToFact(
      instance('certctl-db', { PreferredBackupWindow: window }),
      automatedBackup('certctl-db'),
      SCOPE,
    );
    expect(fact.dailyBackupWindow).toEqual({ known: false, reason });
  });

  it('falls back to LatestRestorableTime when the backup has no LatestTime', () => {
    const backup = automatedBackup('certctl-db', { RestoreWindow: { EarliestTime: EARLIEST } });
    const fact = rdsInstanceToFact(instance('certctl-db'), backup, SCOPE);
    expect(fact.restoreWindow).toMatchObject({ known: true, latest: new Date('2026-09-01T11:50:00.000Z') });
  });

  it('marks the window unknown with a reason when backups are on but no automated backup matches', () => {
    const fact = rdsInstanceToFact(instance('certctl-db'), undefined, SCOPE);
    expect(fact.restoreWindow).toEqual({
      known: false,
      reason:
        'DescribeDBInstanceAutomatedBackups listed no active automated backup for DbiResourceId db-CERTCTL-DB in eu-west-1',
    });
  });

  it('marks the window unknown, not empty, when the matched automated backup has no RestoreWindow', () => {
    // Act
    const fact = rdsInstanceToFact(
      instance('certctl-db'),
      automatedBackup('certctl-db', { RestoreWindow: undefined }),
      SCOPE,
    );

    // Assess
    expect(fact.restoreWindow).toMatchObject({
      known: false,
      reason: expect.stringContaining('without RestoreWindow'),
    });
    expect(fact.restoreWindow).not.toHaveProperty('accessDenied', true);
  });

  it('carries the instance’s and the cluster’s own LatestRestorableTime when they are mapped', () => {
    // Act
    const fromInstance = rdsInstanceToFact(instance('certctl-db'), undefined, SCOPE);
    const fromCluster = auroraClusterToFact(cluster('certctl-aurora'), SCOPE);

    // Assess
    expect(fromInstance.latestRestorableTime).toEqual(new Date('2026-09-01T11:50:00.000Z'));
    expect(fromCluster.latestRestorableTime).toEqual(LATEST);
  });

  it('marks the window known and empty when the retention is 0', () => {
    const fact = rdsInstanceToFact(instance('certctl-db', { BackupRetentionPeriod: 0 }), undefined, SCOPE);
    expect(fact.automatedBackupsEnabled).toBe(false);
    expect(fact.crossRegionBackupTargets).toEqual([]);
    expect(fact.restoreWindow).toEqual({
      known: true,
      earliest: undefined,
      latest: undefined,
      source: 'BackupRetentionPeriod=0',
    });
  });

  it('reports no earliest time while the first automated snapshot is being created', () => {
    const backup = automatedBackup('certctl-db', { Status: 'creating', RestoreWindow: undefined });
    const fact = rdsInstanceToFact(instance('certctl-db'), backup, SCOPE);
    expect(fact.restoreWindow).toMatchObject({ known: true, earliest: undefined, firstBackupPending: true });
  });

  it('says no first backup is pending for an active automated backup', () => {
    const fact = rdsInstanceToFact(instance('certctl-db'), automatedBackup('certctl-db'), SCOPE);
    expect(fact.restoreWindow).not.toHaveProperty('firstBackupPending');
  });

  it('keeps only this region’s live backups when indexing, preferring active over creating', () => {
    // Prepare
    const backups = [
      automatedBackup('a', { Status: 'creating' }),
      automatedBackup('a'),
      automatedBackup('b', { Region: 'us-east-1' }),
      automatedBackup('c', { Status: 'retained' }),
    ];
    // Act
    const index = indexAutomatedBackups(backups, REGION);
    // Assess
    expect([...index.keys()]).toEqual(['db-A']);
    expect(index.get('db-A')?.Status).toBe('active');
  });

  it('keeps the active backup when a creating one for the same instance is listed after it', () => {
    // Prepare
    const backups = [
      automatedBackup('a'),
      automatedBackup('a', { Status: 'creating', RestoreWindow: undefined }),
    ];

    // Act
    const index = indexAutomatedBackups(backups, REGION);

    // Assess
    expect(index.get('db-A')?.Status).toBe('active');
    expect(index.get('db-A')?.RestoreWindow?.EarliestTime).toEqual(EARLIEST);
  });

  it('maps an Aurora cluster with its own restorable times', () => {
    // Act
    const fact = auroraClusterToFact(
      cluster('certctl-aurora', { DbClusterResourceId: 'cluster-AURORA' }),
      SCOPE,
    );
    // Assess
    expect(fact).toMatchObject({
      resource: {
        provider: 'aws',
        type: 'AwsRdsDbCluster',
        id: 'certctl-aurora',
        arn: 'arn:aws:rds:eu-west-1:111122223333:cluster:certctl-aurora',
        resourceId: 'cluster-AURORA',
      },
      kind: 'aurora-cluster',
      engine: 'aurora-postgresql',
      retentionDays: 30,
      retentionRange: { min: 1, max: 35 },
      restoreWindow: { known: true, earliest: EARLIEST, latest: LATEST },
      deletionProtection: false,
      crossRegionBackupTargets: undefined,
      createdAt: new Date('2025-06-01T00:00:00.000Z'),
    });
  });

  it('carries the EngineMode DescribeDBClusters sends, and none when it sends none', () => {
    // Act
    const serverless = auroraClusterToFact(cluster('certctl-aurora', { EngineMode: 'serverless' }), SCOPE);
    const unsent = auroraClusterToFact(cluster('certctl-aurora'), SCOPE);
    // Assess
    expect(serverless.engineMode).toBe('serverless');
    expect(unsent.engineMode).toBeUndefined();
  });

  it('marks the cluster window unknown, naming both fields and the status, when DescribeDBClusters sends no restorable time', () => {
    // Act
    const fact = auroraClusterToFact(
      cluster('certctl-aurora', {
        Status: 'available',
        EarliestRestorableTime: undefined,
        LatestRestorableTime: undefined,
      }),
      SCOPE,
    );

    // Assess
    expect(fact.restoreWindow).toEqual({
      known: false,
      reason:
        'DescribeDBClusters answered for cluster certctl-aurora (Status available) without EarliestRestorableTime and LatestRestorableTime',
    });
    expect(fact.latestRestorableTime).toBeUndefined();
  });

  it('reports an empty window, like an instance whose first backup is creating, for a cluster being created', () => {
    const fact = auroraClusterToFact(
      cluster('certctl-aurora', {
        Status: 'creating',
        EarliestRestorableTime: undefined,
        LatestRestorableTime: undefined,
      }),
      SCOPE,
    );
    expect(fact.restoreWindow).toEqual({
      known: true,
      earliest: undefined,
      latest: undefined,
      source: 'DescribeDBClusters (Status creating, first backup not taken yet)',
    });
  });

  it('marks the cluster window unknown but keeps the latest time when only EarliestRestorableTime is missing', () => {
    // Act
    const fact = auroraClusterToFact(cluster('certctl-aurora', { EarliestRestorableTime: undefined }), SCOPE);

    // Assess
    expect(fact.restoreWindow).toMatchObject({
      known: false,
      reason: expect.stringContaining('without EarliestRestorableTime'),
    });
    expect(fact.latestRestorableTime).toEqual(LATEST);
  });

  it('marks the window unknown when an active automated backup sends a RestoreWindow with neither time', () => {
    // Act
    const fact = rdsInstanceToFact(
      instance('certctl-db', { LatestRestorableTime: undefined }),
      automatedBackup('certctl-db', { RestoreWindow: {} }),
      SCOPE,
    );

    // Assess
    expect(fact.restoreWindow).toMatchObject({
      known: false,
      reason: expect.stringContaining('RestoreWindow without EarliestTime and LatestTime'),
    });
  });

  it('maps an Aurora global database secondary with the primary its ReplicationSourceIdentifier names', () => {
    // Act
    const fact = auroraClusterToFact(
      cluster('certctl-aurora-eu', {
        GlobalClusterIdentifier: 'certctl-global',
        ReplicationSourceIdentifier: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:certctl-aurora`,
        DBClusterMembers: [{ DBInstanceIdentifier: 'certctl-aurora-eu-1', IsClusterWriter: false }],
      }),
      SCOPE,
    );

    // Assess
    expect(fact.aurora).toEqual({
      replicaRegions: [],
      globalClusterIdentifier: 'certctl-global',
      globalSecondary: {
        primaryArn: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:certctl-aurora`,
        primaryId: 'certctl-aurora',
        primaryRegion: 'us-east-1',
        evidence: 'ReplicationSourceIdentifier',
      },
    });
  });

  it('leaves the role of a global database member without a writer instance to DescribeGlobalClusters', () => {
    // Act
    const secondary = auroraClusterToFact(
      cluster('certctl-aurora-eu', {
        GlobalClusterIdentifier: 'certctl-global',
        DBClusterMembers: [{ DBInstanceIdentifier: 'certctl-aurora-eu-1', IsClusterWriter: false }],
      }),
      SCOPE,
    );
    const primary = auroraClusterToFact(
      cluster('certctl-aurora', {
        GlobalClusterIdentifier: 'certctl-global',
        DBClusterMembers: [{ DBInstanceIdentifier: 'certctl-aurora-1', IsClusterWriter: true }],
      }),
      SCOPE,
    );

    // Assess
    // A secondary, or a primary mid-failover: no role is inferred without DescribeGlobalClusters.
    expect(secondary.aurora?.globalSecondary).toBeUndefined();
    expect(secondary.aurora?.globalRoleUnknown).toContain(
      'IsClusterWriter false on all 1 of its DBClusterMembers',
    );
    expect(primary.aurora?.globalSecondary).toBeUndefined();
    expect(primary.aurora?.globalRoleUnknown).toBeUndefined();
  });

  it('excludes replicas, cluster members and other engines when choosing standalone databases', () => {
    expect(isStandaloneInstance(instance('a'))).toBe(true);
    expect(isStandaloneInstance(instance('a', { ReadReplicaSourceDBInstanceIdentifier: 'src' }))).toBe(false);
    expect(isStandaloneInstance(instance('a', { ReadReplicaSourceDBClusterIdentifier: 'src' }))).toBe(false);
    expect(
      isStandaloneInstance(instance('a', { DBClusterIdentifier: 'c', Engine: 'aurora-postgresql' })),
    ).toBe(false);
    expect(isStandaloneInstance(instance('a', { Engine: 'mysql' }))).toBe(false);
    expect(isStandaloneCluster(cluster('c'))).toBe(true);
    expect(isStandaloneCluster(cluster('c', { Engine: 'postgres' }))).toBe(true);
    expect(isStandaloneCluster(cluster('c', { Engine: 'aurora-mysql' }))).toBe(false);
    expect(isStandaloneCluster(cluster('c', { ReplicationSourceIdentifier: 'arn:src' }))).toBe(false);
  });

  it('reads the region from an ARN and nothing from other strings', () => {
    expect(regionOfArn('arn:aws:rds:us-west-2:111122223333:auto-backup:ab-1')).toBe('us-west-2');
    expect(regionOfArn('not-an-arn')).toBeUndefined();
    expect(regionOfArn('arn:aws-us-gov:rds:us-gov-west-1:111122223333:db:a')).toBe('us-gov-west-1');
    expect(regionOfArn('arn:aws:rds:bogus:111122223333:auto-backup:ab-1')).toBeUndefined();
    expect(regionOfArn('arn:aws:rds:EU-WEST-1:111122223333:auto-backup:ab-1')).toBeUndefined();
  });
});

describe('collectRdsPitrFacts', () => {
  const rdsMock = mockClient(RDSClient);
  let rds: RDSClient;

  beforeEach(() => {
    rdsMock.reset();
    rds = new RDSClient({
      region: REGION,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    });
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
    rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({ DBInstanceAutomatedBackups: [] });
  });

  afterEach(() => {
    rds.destroy();
  });

  function policy(input: PolicyInput = {}) {
    return parsePolicy(input);
  }

  it('sends each listing once with MaxRecords 100 when every answer fits one page', async () => {
    // Act
    const facts = await collectRdsPitrFacts(rds, SCOPE, policy());
    // Assess
    expect(facts).toEqual([]);
    // The default policy selects by tag: every engine is listed, to see the tags of Aurora members
    // and of databases of another engine.
    const expectedFilters = [
      [DescribeDBInstancesCommand, {}],
      [DescribeDBClustersCommand, {}],
      [
        DescribeDBInstanceAutomatedBackupsCommand,
        { Filters: [{ Name: 'status', Values: ['active', 'creating'] }] },
      ],
    ] as const;
    for (const [command, filters] of expectedFilters) {
      const calls = rdsMock.commandCalls(command);
      expect(calls).toHaveLength(1);
      expect(calls[0]?.args[0].input).toEqual({ ...filters, MaxRecords: 100, Marker: undefined });
    }
    expect(rdsMock.calls()).toHaveLength(3);
  });

  it('keeps Aurora members and other engines off the wire when the policy selects by no tag', async () => {
    // Act
    await collectRdsPitrFacts(rds, SCOPE, policy({ targets: { tags: [], identifiers: ['certctl-db'] } }));
    await collectRdsPitrFacts(rds, SCOPE, policy({ targets: { all: true } }));
    // Assess: the name the listing did not answer to is not looked up here, but once every Region is
    // read, and only if none listed it (functions/jobs/audit.ts lookUpUnlistedNames).
    expect(
      rdsMock.commandCalls(DescribeDBInstancesCommand).map((call) => call.args[0].input.Filters),
    ).toEqual([[{ Name: 'engine', Values: ['postgres'] }], [{ Name: 'engine', Values: ['postgres'] }]]);
  });

  it('says which tagged members and replicas nothing audits, and judges none of them', async () => {
    // Prepare: the API may ignore the engine filter; only PostgreSQL members count.
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance('certctl-src', { TagList: [] }),
        instance('src-replica', { ReadReplicaSourceDBInstanceIdentifier: 'certctl-src' }),
        instance('far-replica', {
          ReadReplicaSourceDBInstanceIdentifier: `arn:aws:rds:us-east-1:${ACCOUNT}:db:far-src`,
        }),
        instance('aurora-1', { Engine: 'aurora-postgresql', DBClusterIdentifier: 'aurora-untagged' }),
        instance('judged-1', { Engine: 'aurora-postgresql', DBClusterIdentifier: 'aurora-named' }),
        instance('mysql-1', { Engine: 'aurora-mysql', DBClusterIdentifier: 'aurora-mysql' }),
        instance('untagged-1', {
          Engine: 'aurora-postgresql',
          DBClusterIdentifier: 'aurora-untagged',
          TagList: [],
        }),
      ],
    });
    rdsMock.on(DescribeDBClustersCommand).resolves({
      DBClusters: [cluster('aurora-untagged', { TagList: [] }), cluster('aurora-named', { TagList: [] })],
    });
    // Act
    const facts = await collectRdsPitrFacts(
      rds,
      SCOPE,
      policy({ targets: { identifiers: ['aurora-named'] } }),
    );
    // Assess: a source in another Region may be selected there: the audit decides once every
    // Region is read (core/audit.ts withTargetCoverage), from its ARN.
    expect(facts.map((fact) => fact.resource.id)).toEqual(['aurora-named']);
    expect(facts.taggedStandIns).toEqual([
      {
        id: 'src-replica',
        tag: 'certctl:backup-guard=enabled',
        of: 'a read replica of certctl-src',
        tagInstead: 'the source',
      },
      {
        id: 'far-replica',
        tag: 'certctl:backup-guard=enabled',
        of: 'a read replica of far-src in us-east-1',
        tagInstead: 'the source',
        sourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:db:far-src`,
      },
      {
        id: 'aurora-1',
        tag: 'certctl:backup-guard=enabled',
        of: 'a member of Aurora cluster aurora-untagged',
        tagInstead: 'the cluster',
      },
    ]);
  });

  it('says which databases of another engine a target tag selects, once per cluster, and judges none of them', async () => {
    // Prepare: the tag-selecting policy lists every engine.
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance('certctl-pg'),
        instance('certctl-mysql', { Engine: 'mysql' }),
        instance('mysql-untagged', { Engine: 'mysql', TagList: [] }),
        instance('aurora-mysql-1', { Engine: 'aurora-mysql', DBClusterIdentifier: 'certctl-aurora-mysql' }),
      ],
    });
    rdsMock.on(DescribeDBClustersCommand).resolves({
      DBClusters: [cluster('certctl-aurora-mysql', { Engine: 'aurora-mysql' })],
    });
    // Act
    const facts = await collectRdsPitrFacts(rds, SCOPE, policy());
    const everything = await collectRdsPitrFacts(rds, SCOPE, policy({ targets: { all: true } }));
    // Assess: the member is said through its cluster (a selected database whose engine is not sent
    // fails the listing: test/aws/rds-selection-unknown.test.ts).
    expect(facts.map((fact) => fact.resource.id)).toEqual(['certctl-pg']);
    expect(facts.otherEngines).toEqual([
      {
        id: 'certctl-mysql',
        names: ['certctl-mysql', `arn:aws:rds:${REGION}:${ACCOUNT}:db:certctl-mysql`],
        selectedBy: 'the target tag certctl:backup-guard=enabled',
        engine: 'mysql',
      },
      expect.objectContaining({ id: 'certctl-aurora-mysql', engine: 'aurora-mysql' }),
    ]);
    expect(everything.otherEngines).toBeUndefined();
  });

  it('looks up the names this scope may hold in one call of each kind, and says which are of another engine', async () => {
    // Prepare: named, not tagged; the engine-filtered listings hold the PostgreSQL databases only.
    const lookups: { instances: string[][]; clusters: string[][] } = { instances: [], clusters: [] };
    rdsMock.on(DescribeDBInstancesCommand).callsFake((input: DescribeDBInstancesCommandInput) => {
      const ids = input.Filters?.find((filter) => filter.Name === 'db-instance-id')?.Values;
      if (!ids) return { DBInstances: [instance('certctl-pg')] };
      lookups.instances.push(ids);
      return { DBInstances: [instance('legacy-mysql', { Engine: 'mysql', TagList: [] })] };
    });
    rdsMock.on(DescribeDBClustersCommand).callsFake((input: DescribeDBClustersCommandInput) => {
      const ids = input.Filters?.find((filter) => filter.Name === 'db-cluster-id')?.Values;
      if (!ids) return { DBClusters: [] };
      lookups.clusters.push(ids);
      return { DBClusters: [cluster('orders', { Engine: 'aurora-mysql', TagList: [] })] };
    });
    const clusterArn = `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:Orders`;
    const names = [
      'Legacy-MySQL',
      clusterArn,
      'nowhere',
      `arn:aws:rds:us-east-1:${ACCOUNT}:db:far-away`,
      'my-project:europe-west1:cloud-sql',
    ];
    // Act
    const found = await lookUpRdsNames(
      rds,
      SCOPE,
      policy({ targets: { tags: [], identifiers: names } }).targets,
      names,
    );
    const reader = (input: PolicyInput) =>
      ({
        factory: { client: () => rds },
        account: { accountId: ACCOUNT },
        region: REGION,
        policy: policy(input),
        now: () => new Date(),
      }) as unknown as AwsScopeReader;
    const byTag = await lookUpRdsNamesOf(reader({ targets: { identifiers: names } }), names);
    // Assess: a name of another Region, account or cloud is not asked here; a policy selecting by
    // tag lists every engine, so it asks nothing.
    expect(lookups).toEqual({
      instances: [['Legacy-MySQL', 'nowhere']],
      clusters: [['Legacy-MySQL', clusterArn, 'nowhere']],
    });
    expect(found).toEqual([
      expect.objectContaining({ id: 'legacy-mysql', selectedBy: 'targets.identifiers', engine: 'mysql' }),
      expect.objectContaining({ id: 'orders', selectedBy: 'targets.identifiers', engine: 'aurora-mysql' }),
    ]);
    expect(byTag).toEqual([]);
    expect(rdsMock.calls()).toHaveLength(2);
  });

  it('throws, naming the call, when the look-up of a named database fails', async () => {
    // Prepare: the look-up of the name no listing answered to is throttled.
    rdsMock.on(DescribeDBInstancesCommand).callsFake((input: DescribeDBInstancesCommandInput) => {
      if (input.Filters?.some((filter) => filter.Name === 'db-instance-id')) {
        throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
      }
      return { DBInstances: [] };
    });
    // Act
    const lookingUp = lookUpRdsNames(
      rds,
      SCOPE,
      policy({ targets: { tags: [], identifiers: ['legacy-mysql'] } }).targets,
      ['legacy-mysql'],
    );
    // Assess: not 'not found', which nothing proved (the job says so for this name only).
    await expect(lookingUp).rejects.toMatchObject({
      code: 'Throttling',
      message: expect.stringContaining(
        'RDS DescribeDBInstances failed for account 111122223333 in eu-west-1',
      ),
    });
  });

  it('makes no look-up when every name is listed', async () => {
    // Act
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance('certctl-pg')] });
    const facts = await collectRdsPitrFacts(
      rds,
      SCOPE,
      policy({ targets: { tags: [], identifiers: ['certctl-pg'] } }),
    );
    // Assess
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand)).toHaveLength(1);
    expect(rdsMock.commandCalls(DescribeDBClustersCommand)).toHaveLength(1);
    expect(facts.otherEngines).toBeUndefined();
  });

  it('names the primary of a cascading replica chain as what to tag, not the replica it reads from', async () => {
    // Prepare: leaf-replica reads from mid-replica, itself a read replica of certctl-src; only the
    // leaf carries the target tag. Tagging mid-replica would audit nothing: it is a replica too.
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance('certctl-src', { TagList: [] }),
        instance('mid-replica', { ReadReplicaSourceDBInstanceIdentifier: 'certctl-src', TagList: [] }),
        instance('leaf-replica', { ReadReplicaSourceDBInstanceIdentifier: 'mid-replica' }),
      ],
    });
    rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
    // Act
    const facts = await collectRdsPitrFacts(rds, SCOPE, policy());
    // Assess
    expect(facts.map((fact) => fact.resource.id)).toEqual([]);
    expect(facts.taggedStandIns).toEqual([
      {
        id: 'leaf-replica',
        tag: 'certctl:backup-guard=enabled',
        of: 'a read replica of mid-replica, itself a read replica of certctl-src',
        tagInstead: 'the primary certctl-src',
      },
    ]);
  });

  it('selects the primary of a cascading replica chain when the policy names the replica at its end', async () => {
    // Prepare: certctl-src lists only mid-replica; leaf-replica reads from mid-replica. The policy
    // names leaf-replica, which no standalone database lists.
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance('leaf-replica', { ReadReplicaSourceDBInstanceIdentifier: 'mid-replica', TagList: [] }),
        instance('mid-replica', {
          ReadReplicaSourceDBInstanceIdentifier: 'certctl-src',
          ReadReplicaDBInstanceIdentifiers: ['leaf-replica'],
          TagList: [],
        }),
        instance('certctl-src', { ReadReplicaDBInstanceIdentifiers: ['mid-replica'], TagList: [] }),
        instance('other-db', { TagList: [] }),
      ],
    });
    rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
    // Act
    const facts = await collectRdsPitrFacts(
      rds,
      SCOPE,
      policy({ targets: { tags: [], identifiers: ['LEAF-REPLICA'] } }),
    );
    // Assess: the primary is judged and stands for the replica the policy names.
    expect(facts.map((fact) => fact.resource.id)).toEqual(['certctl-src']);
    expect(facts[0]?.standsFor).toContainEqual({
      names: ['leaf-replica', `arn:aws:rds:${REGION}:${ACCOUNT}:db:leaf-replica`],
      what: 'RDS cascading read replica (a read replica of mid-replica, itself a read replica of certctl-src)',
    });
  });

  it('says nothing of a cascading replica whose chain primary is audited', async () => {
    // Prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance('certctl-src'),
        instance('mid-replica', { ReadReplicaSourceDBInstanceIdentifier: 'certctl-src', TagList: [] }),
        instance('leaf-replica', { ReadReplicaSourceDBInstanceIdentifier: 'mid-replica' }),
      ],
    });
    rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
    // Act
    const facts = await collectRdsPitrFacts(rds, SCOPE, policy());
    // Assess
    expect(facts.map((fact) => fact.resource.id)).toEqual(['certctl-src']);
    expect(facts.taggedStandIns).toBeUndefined();
  });

  it('starts the three listings before any of them answers', async () => {
    // Prepare: every first page waits until all three requests have been sent.
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    rdsMock.on(DescribeDBInstancesCommand).callsFake(async () => {
      await gate;
      return { DBInstances: [] };
    });
    rdsMock.on(DescribeDBClustersCommand).callsFake(async () => {
      await gate;
      return { DBClusters: [] };
    });
    rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).callsFake(async () => {
      await gate;
      return { DBInstanceAutomatedBackups: [] };
    });
    // Act
    const collecting = collectRdsPitrFacts(rds, SCOPE, policy());
    for (let tick = 0; tick < 5; tick += 1) await new Promise((resolve) => setImmediate(resolve));
    const sentBeforeAnyAnswer = rdsMock.calls().length;
    release();
    await collecting;
    // Assess
    expect(sentBeforeAnyAnswer).toBe(3);
  });

  it('follows Marker through every page of instances and clusters', async () => {
    // Prepare
    const instanceInputs: DescribeDBInstancesCommandInput[] = [];
    const clusterInputs: DescribeDBClustersCommandInput[] = [];
    rdsMock.on(DescribeDBInstancesCommand).callsFake((input: DescribeDBInstancesCommandInput) => {
      instanceInputs.push({ ...input });
      return input.Marker === undefined
        ? { DBInstances: [instance('db-1')], Marker: 'page-2' }
        : { DBInstances: [instance('db-2')] };
    });
    rdsMock.on(DescribeDBClustersCommand).callsFake((input: DescribeDBClustersCommandInput) => {
      clusterInputs.push({ ...input });
      if (input.Marker === undefined) return { DBClusters: [cluster('aurora-1')], Marker: 'c2' };
      if (input.Marker === 'c2') return { DBClusters: [], Marker: 'c3' };
      return { DBClusters: [cluster('aurora-2')] };
    });
    rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
      DBInstanceAutomatedBackups: [automatedBackup('db-1'), automatedBackup('db-2')],
    });
    // Act
    const facts = await collectRdsPitrFacts(rds, SCOPE, policy());
    // Assess
    expect(instanceInputs).toEqual([
      { MaxRecords: 100, Marker: undefined },
      { MaxRecords: 100, Marker: 'page-2' },
    ]);
    expect(clusterInputs.map((input) => input.Marker)).toEqual([undefined, 'c2', 'c3']);
    expect(facts.map((fact) => `${fact.resource.type}/${fact.resource.id}`)).toEqual([
      'AwsRdsDbInstance/db-1',
      'AwsRdsDbInstance/db-2',
      'AwsRdsDbCluster/aurora-1',
      'AwsRdsDbCluster/aurora-2',
    ]);
    expect(facts[1]?.restoreWindow).toMatchObject({ known: true, earliest: EARLIEST });
  });

  it('judges neither read replicas nor Aurora members alone, and skips other engines', async () => {
    // Prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance('primary'),
        instance('replica', { ReadReplicaSourceDBInstanceIdentifier: 'primary' }),
        instance('aurora-writer', { Engine: 'aurora-postgresql', DBClusterIdentifier: 'certctl-aurora' }),
        instance('mysql-db', { Engine: 'mysql' }),
      ],
    });
    rdsMock.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        cluster('certctl-aurora', {
          DBClusterMembers: [{ DBInstanceIdentifier: 'aurora-writer', IsClusterWriter: true }],
        }),
        cluster('aurora-replica', {
          ReplicationSourceIdentifier: 'arn:aws:rds:us-east-1:111122223333:cluster:src',
        }),
      ],
    });
    // Act
    const facts = await collectRdsPitrFacts(rds, SCOPE, policy());
    // Assess
    expect(facts.map((fact) => fact.resource.id)).toEqual(['primary', 'certctl-aurora']);
  });

  it('judges a selected Aurora global database secondary through its primary, and still skips plain replica clusters', async () => {
    // Prepare: RDS names a secondary's primary in ReplicationSourceIdentifier, as for a replica.
    rdsMock.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        cluster('certctl-aurora-eu', {
          GlobalClusterIdentifier: 'certctl-global',
          ReplicationSourceIdentifier: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:certctl-aurora`,
        }),
        cluster('aurora-replica', {
          ReplicationSourceIdentifier: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:src`,
        }),
      ],
    });

    // Act
    const facts = await collectRdsPitrFacts(rds, SCOPE, policy());

    // Assess
    expect(facts.map((fact) => fact.resource.id)).toEqual(['certctl-aurora-eu']);
    expect(facts[0]?.aurora?.globalSecondary?.primaryId).toBe('certctl-aurora');
    // The tagged replica cluster is judged at its source, in another Region: the audit names it
    // unless that Region judges the source (core/audit.ts withTargetCoverage).
    expect(facts.taggedStandIns).toEqual([
      {
        id: 'aurora-replica',
        tag: 'certctl:backup-guard=enabled',
        of: 'a read replica of cluster src in us-east-1',
        tagInstead: 'the source',
        sourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:src`,
      },
    ]);
  });

  it('selects the source when the policy names its cross-Region read replica by name, which the source lists by ARN', async () => {
    // Prepare: DescribeDBInstances names a cross-Region replica by its ARN in the source's
    // ReadReplicaDBInstanceIdentifiers (and a cross-Region replica cluster likewise in
    // ReadReplicaIdentifiers), a same-Region one by its identifier.
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance('certctl-src', {
          TagList: [],
          ReadReplicaDBInstanceIdentifiers: [`arn:aws:rds:us-east-1:${ACCOUNT}:db:certctl-replica`],
        }),
      ],
    });
    rdsMock.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        cluster('certctl-aurora-src', {
          TagList: [],
          ReadReplicaIdentifiers: [`arn:aws:rds:us-east-1:${ACCOUNT}:cluster:certctl-aurora-replica`],
        }),
      ],
    });
    const selection = policy({ targets: { identifiers: ['certctl-replica', 'CERTCTL-AURORA-REPLICA'] } });
    // Act
    const facts = await collectRdsPitrFacts(rds, SCOPE, selection);
    // Assess: each source is judged, and stands for its replica under the name the policy uses.
    expect(facts.map((fact) => fact.resource.id)).toEqual(['certctl-src', 'certctl-aurora-src']);
    expect(facts[0]?.standsFor).toEqual([
      {
        names: [`arn:aws:rds:us-east-1:${ACCOUNT}:db:certctl-replica`, 'certctl-replica'],
        what: 'RDS read replica',
      },
    ]);
    expect(facts[1]?.standsFor).toContainEqual({
      names: [`arn:aws:rds:us-east-1:${ACCOUNT}:cluster:certctl-aurora-replica`, 'certctl-aurora-replica'],
      what: 'Aurora cross-Region replica cluster',
    });
  });

  it('selects the cluster or source when the policy names a member or a same-Region replica by its ARN, which the listing names by identifier', async () => {
    // Prepare: DBClusterMembers and a same-Region ReadReplicaDBInstanceIdentifiers entry are plain
    // identifiers; the policy names those databases by ARN, as it may name any database.
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance('certctl-src', { TagList: [], ReadReplicaDBInstanceIdentifiers: ['certctl-replica'] }),
        instance('certctl-replica', { TagList: [], ReadReplicaSourceDBInstanceIdentifier: 'certctl-src' }),
      ],
    });
    rdsMock.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        cluster('certctl-aurora', {
          TagList: [],
          DBClusterMembers: [{ DBInstanceIdentifier: 'certctl-aurora-1', IsClusterWriter: true }],
        }),
        cluster('certctl-maz', {
          Engine: 'postgres',
          TagList: [],
          DBClusterMembers: [{ DBInstanceIdentifier: 'certctl-maz-1', IsClusterWriter: true }],
        }),
      ],
    });
    const arnOf = (id: string) => `arn:aws:rds:${REGION}:${ACCOUNT}:db:${id}`;
    const selection = policy({
      targets: {
        identifiers: [arnOf('certctl-replica'), arnOf('CERTCTL-AURORA-1'), arnOf('certctl-maz-1')],
      },
    });
    // Act
    const facts = await collectRdsPitrFacts(rds, SCOPE, selection);
    // Assess: each is judged where it is, and stands for the database under the name the policy uses.
    expect(facts.map((fact) => fact.resource.id)).toEqual(['certctl-src', 'certctl-aurora', 'certctl-maz']);
    expect(facts.map((fact) => fact.standsFor?.[0]?.names)).toEqual([
      ['certctl-replica', arnOf('certctl-replica')],
      ['certctl-aurora-1', arnOf('certctl-aurora-1')],
      ['certctl-maz-1', arnOf('certctl-maz-1')],
    ]);
  });

  it('judges the source instance of an Aurora read replica cluster, whether the policy names the cluster or tags it', async () => {
    // Prepare: migrating RDS for PostgreSQL to Aurora through an Aurora read replica: the cluster
    // names the instance in ReplicationSourceIdentifier, the instance the cluster in
    // ReadReplicaDBClusterIdentifiers.
    const sourceArn = `arn:aws:rds:${REGION}:${ACCOUNT}:db:certctl-src`;
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance('certctl-src', { TagList: [], ReadReplicaDBClusterIdentifiers: ['certctl-aurora-replica'] }),
      ],
    });
    rdsMock.on(DescribeDBClustersCommand).resolves({
      DBClusters: [cluster('certctl-aurora-replica', { ReplicationSourceIdentifier: sourceArn })],
    });
    // Act
    const named = await collectRdsPitrFacts(
      rds,
      SCOPE,
      policy({ targets: { tags: [], identifiers: ['certctl-aurora-replica'] } }),
    );
    const tagged = await collectRdsPitrFacts(rds, SCOPE, policy());
    // Assess: named, the source is judged and stands for the cluster; tagged, the report says what to tag.
    expect(named.map((fact) => fact.resource.id)).toEqual(['certctl-src']);
    expect(named[0]?.standsFor).toEqual([
      {
        names: ['certctl-aurora-replica', `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:certctl-aurora-replica`],
        what: 'read replica DB cluster',
      },
    ]);
    expect(tagged.map((fact) => fact.resource.id)).toEqual([]);
    expect(tagged.taggedStandIns).toEqual([
      {
        id: 'certctl-aurora-replica',
        tag: 'certctl:backup-guard=enabled',
        of: 'a read replica of certctl-src',
        tagInstead: 'the source',
      },
    ]);
  });

  it('selects targets by tag, identifier or ARN as the policy says', async () => {
    // Prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance('tagged'),
        instance('untagged', { TagList: [] }),
        instance('named', { TagList: [{ Key: 'certctl:backup-guard', Value: 'disabled' }] }),
        instance('by-arn', { TagList: [] }),
      ],
    });
    rdsMock.on(DescribeDBClustersCommand).resolves({
      DBClusters: [cluster('aurora-tagged'), cluster('aurora-untagged', { TagList: [] })],
    });
    const selection = policy({
      targets: { identifiers: ['named', `arn:aws:rds:${REGION}:${ACCOUNT}:db:by-arn`] },
    });
    // Act
    const facts = await collectRdsPitrFacts(rds, SCOPE, selection);
    // Assess
    expect(facts.map((fact) => fact.resource.id)).toEqual(['tagged', 'named', 'by-arn', 'aurora-tagged']);
  });

  it('matches each instance to its own region’s automated backup by DbiResourceId', async () => {
    // Prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance('db-1'), instance('db-2')] });
    rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
      DBInstanceAutomatedBackups: [
        automatedBackup('db-1', { Region: 'us-east-1', RestoreWindow: { EarliestTime: new Date(0) } }),
        automatedBackup('db-1'),
        automatedBackup('db-2', { Status: 'retained' }),
      ],
    });
    // Act
    const [first, second] = await collectRdsPitrFacts(rds, SCOPE, policy());
    // Assess
    expect(first?.restoreWindow).toMatchObject({ known: true, earliest: EARLIEST });
    expect(second?.restoreWindow).toMatchObject({ known: false });
  });

  it('still judges the lag from each instance’s own LatestRestorableTime and says access was denied when DescribeDBInstanceAutomatedBackups is denied', async () => {
    // Prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance('certctl-db')] });
    rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).rejects(
      Object.assign(new Error('User is not authorized to perform rds:DescribeDBInstanceAutomatedBackups'), {
        name: 'AccessDenied',
      }),
    );

    // Act
    const facts = await collectRdsPitrFacts(rds, SCOPE, policy());

    // Assess
    expect(facts).toHaveLength(1);
    expect(facts[0]?.latestRestorableTime).toEqual(new Date('2026-09-01T11:50:00.000Z'));
    expect(facts[0]?.restoreWindow).toMatchObject({ known: false, accessDenied: true });
    expect(facts[0]?.restoreWindow).toMatchObject({
      reason: expect.stringContaining('DescribeDBInstanceAutomatedBackups failed'),
    });
  });

  it('advises lifting the explicit deny, not a grant, when a service control policy denies DescribeDBInstanceAutomatedBackups', async () => {
    // Prepare: AWS's words name the caller's ARN and the policy type that denies.
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance('certctl-db')] });
    rdsMock
      .on(DescribeDBInstanceAutomatedBackupsCommand)
      .rejects(
        Object.assign(
          new Error(
            'User: arn:aws:sts::111122223333:assumed-role/audit/s is not authorized to perform: rds:DescribeDBInstanceAutomatedBackups with an explicit deny in a service control policy',
          ),
          { name: 'AccessDenied' },
        ),
      );
    // Act
    const [fact] = await collectRdsPitrFacts(rds, SCOPE, policy());
    const outcome = fact ? pitrWindowCheck.evaluate(fact, contextWith()) : undefined;
    // Assess
    expect(fact?.restoreWindow).toMatchObject({ known: false, accessDenied: false });
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.remediationText).toBe(
      "An explicit deny in a service control policy refuses the call: a grant to the audit role cannot override it; ask the organization's administrators to exempt the role from it, then run the audit again.",
    );
    // The refused action is quoted, the caller's ARN is not.
    expect(outcome?.description).toContain(
      'User is not authorized to perform: rds:DescribeDBInstanceAutomatedBackups with an explicit deny',
    );
    expect(outcome?.description).not.toContain('assumed-role');
  });

  it('throws a CloudApiError when a page repeats the Marker it was asked with, instead of judging the pages read as the whole listing', async () => {
    // Prepare: the second page answers the Marker it was sent; db-3 on a later page is never listed.
    rdsMock
      .on(DescribeDBInstancesCommand)
      .callsFake((input: DescribeDBInstancesCommandInput) =>
        input.Marker === undefined
          ? { DBInstances: [instance('db-1')], Marker: 'page-2' }
          : { DBInstances: [instance('db-2')], Marker: 'page-2' },
      );
    // Act
    const collecting = collectRdsPitrFacts(rds, SCOPE, policy());
    // Assess
    await expect(collecting).rejects.toBeInstanceOf(CloudApiError);
    await expect(collecting).rejects.toMatchObject({
      code: 'RepeatedMarker',
      message: expect.stringContaining(
        'RDS DescribeDBInstances failed for account 111122223333 in eu-west-1',
      ),
    });
  });

  it('judges a database the listing names on two pages once when both entries say the same', async () => {
    // Prepare: a page boundary that moved between two calls lists db-1 again, unchanged.
    rdsMock
      .on(DescribeDBInstancesCommand)
      .callsFake((input: DescribeDBInstancesCommandInput) =>
        input.Marker === undefined
          ? { DBInstances: [instance('db-1')], Marker: 'page-2' }
          : { DBInstances: [instance('db-1'), instance('db-2')] },
      );
    rdsMock
      .on(DescribeDBClustersCommand)
      .callsFake((input: DescribeDBClustersCommandInput) =>
        input.Marker === undefined
          ? { DBClusters: [cluster('aurora-1')], Marker: 'c2' }
          : { DBClusters: [cluster('aurora-1')] },
      );
    // Act
    const facts = await collectRdsPitrFacts(rds, SCOPE, policy());
    // Assess: one fact each, so one finding per check and database (Security Hub refuses an Id twice).
    expect(facts.map((fact) => `${fact.resource.type}/${fact.resource.id}`)).toEqual([
      'AwsRdsDbInstance/db-1',
      'AwsRdsDbInstance/db-2',
      'AwsRdsDbCluster/aurora-1',
    ]);
  });

  it.each([
    [
      'DescribeDBInstances',
      'DBInstance db-1',
      () =>
        rdsMock
          .on(DescribeDBInstancesCommand)
          .callsFake((input: DescribeDBInstancesCommandInput) =>
            input.Marker === undefined
              ? { DBInstances: [instance('db-1', { BackupRetentionPeriod: 0 })], Marker: 'page-2' }
              : { DBInstances: [instance('db-1'), instance('db-2')] },
          ),
    ],
    [
      'DescribeDBClusters',
      'DBCluster aurora-1',
      () =>
        rdsMock.on(DescribeDBClustersCommand).resolves({
          DBClusters: [
            cluster('aurora-1'),
            cluster('aurora-1', { EarliestRestorableTime: new Date('2026-08-25T00:00:00.000Z') }),
          ],
        }),
    ],
  ] as const)(
    'fails the scope when %s names one database twice with different values, instead of judging either',
    async (api, what, answer) => {
      // Prepare: the answer says backups are off and on (or two restore windows) for one database.
      answer();
      // Act
      const collecting = collectRdsPitrFacts(rds, SCOPE, policy());
      // Assess
      await expect(collecting).rejects.toBeInstanceOf(CloudApiError);
      await expect(collecting).rejects.toMatchObject({
        code: 'ContradictoryAnswer',
        message: expect.stringContaining(
          `RDS ${api} failed for account ${ACCOUNT} in ${REGION}: answer listed ${what} more than once with different values`,
        ),
      });
    },
  );

  describe('replicated backups in the destination Region', () => {
    const DESTINATION = 'us-west-2';
    const replicaArn = (id: string) => `arn:aws:rds:${DESTINATION}:${ACCOUNT}:auto-backup:ab-${id}`;
    const REQUIRE = { pitr: { requireCrossRegionBackup: true } };
    let destination: RDSClient;

    beforeEach(() => {
      destination = new RDSClient({
        region: DESTINATION,
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      });
      rdsMock.on(DescribeDBInstancesCommand).resolves({
        DBInstances: ['db-1', 'db-2'].map((id) =>
          instance(id, {
            DBInstanceAutomatedBackupsReplications: [{ DBInstanceAutomatedBackupsArn: replicaArn(id) }],
          }),
        ),
      });
    });

    afterEach(() => {
      destination.destroy();
    });

    /** Answers the backup listing by the client's Region: the source's own, or the destination's. */
    function backupsByRegion(inDestination: () => unknown): void {
      rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).callsFake(async (_input, getClient) => {
        if ((await getClient().config.region()) !== DESTINATION)
          return { DBInstanceAutomatedBackups: [automatedBackup('db-1'), automatedBackup('db-2')] };
        return inDestination();
      });
    }

    it('reads the destination once, unfiltered, and carries each replica’s Status, RestoreWindow and BackupRetentionPeriod when the policy asks for cross-region backups', async () => {
      // Prepare
      const inputs: unknown[] = [];
      backupsByRegion(() => {
        inputs.push('destination');
        return {
          DBInstanceAutomatedBackups: [
            // The replica keeps its own retention, set when its replication started, not the source's.
            automatedBackup('db-1', {
              Region: REGION,
              Status: 'replicating',
              BackupRetentionPeriod: 7,
              DBInstanceAutomatedBackupsArn: replicaArn('db-1'),
            }),
            // Another source Region's replica with the same resource id is not db-2's.
            automatedBackup('db-2', { Region: 'ap-south-1', Status: 'replicating' }),
          ],
        };
      });
      // Act
      const facts = await collectRdsPitrFacts(rds, SCOPE, policy(REQUIRE), { clientIn: () => destination });
      // Assess
      expect(inputs).toHaveLength(1);
      const destinationCall = rdsMock
        .commandCalls(DescribeDBInstanceAutomatedBackupsCommand)
        .find((call) => call.args[0].input.Filters === undefined);
      expect(destinationCall?.args[0].input).toEqual({ MaxRecords: 100, Marker: undefined });
      expect(facts[0]?.replicatedBackups).toEqual([
        {
          region: DESTINATION,
          arn: replicaArn('db-1'),
          read: true,
          listed: true,
          status: 'replicating',
          restoreWindow: { earliest: EARLIEST, latest: LATEST },
          backupRetentionPeriod: 7,
        },
      ]);
      expect(facts[1]?.replicatedBackups).toEqual([
        { region: DESTINATION, arn: replicaArn('db-2'), read: true, listed: false },
      ]);
    });

    it('leaves the replications unread when the destination lists one replica twice with different values', async () => {
      // Prepare: the destination names db-1's replica keeping 35 days, then 7.
      const replica = (retention: number) =>
        automatedBackup('db-1', {
          Region: REGION,
          Status: 'replicating',
          BackupRetentionPeriod: retention,
          DBInstanceAutomatedBackupsArn: replicaArn('db-1'),
        });
      backupsByRegion(() => ({ DBInstanceAutomatedBackups: [replica(35), replica(7)] }));
      // Act
      const facts = await collectRdsPitrFacts(rds, SCOPE, policy(REQUIRE), { clientIn: () => destination });
      // Assess: neither entry is taken for the replica; the check cannot judge it.
      expect(facts[0]?.replicatedBackups).toEqual([
        expect.objectContaining({
          region: DESTINATION,
          arn: replicaArn('db-1'),
          read: false,
          reason: expect.stringContaining(
            `answer listed DBInstanceAutomatedBackup ${replicaArn('db-1')} more than once with different values (BackupRetentionPeriod)`,
          ),
        }),
      ]);
      expect(facts[0] && pitrCrossRegionCheck.evaluate(facts[0], contextWith(REQUIRE))?.status).toBe(
        'NOT_AVAILABLE',
      );
    });

    it('finds the replica by the ARN the source names when the destination lists it without Region', async () => {
      // Prepare: Region is optional in the answer; the ARN alone names the replica.
      backupsByRegion(() => ({
        DBInstanceAutomatedBackups: [
          automatedBackup('db-1', {
            Region: undefined,
            Status: 'replicating',
            DBInstanceAutomatedBackupsArn: replicaArn('db-1'),
          }),
        ],
      }));
      // Act
      const facts = await collectRdsPitrFacts(rds, SCOPE, policy(REQUIRE), { clientIn: () => destination });
      // Assess
      expect(facts[0]?.replicatedBackups).toEqual([
        {
          region: DESTINATION,
          arn: replicaArn('db-1'),
          read: true,
          listed: true,
          status: 'replicating',
          restoreWindow: { earliest: EARLIEST, latest: LATEST },
          // Not sent: left unknown, never the source's.
          backupRetentionPeriod: undefined,
        },
      ]);
      // The replica's window is the copy's, never the source's own.
      expect(facts[0]?.restoreWindow).toMatchObject({ known: true, earliest: EARLIEST });
    });

    it('keeps the scope and says the destination was not read when its listing is denied', async () => {
      // Prepare
      backupsByRegion(() => {
        throw Object.assign(
          new Error('User is not authorized to perform rds:DescribeDBInstanceAutomatedBackups'),
          {
            name: 'AccessDenied',
          },
        );
      });
      // Act
      const facts = await collectRdsPitrFacts(rds, SCOPE, policy(REQUIRE), { clientIn: () => destination });
      // Assess
      expect(facts).toHaveLength(2);
      expect(facts[0]?.restoreWindow).toMatchObject({ known: true });
      expect(facts[0]?.replicatedBackups).toEqual([
        {
          region: DESTINATION,
          arn: replicaArn('db-1'),
          read: false,
          accessDenied: true,
          reason: expect.stringContaining(
            `RDS DescribeDBInstanceAutomatedBackups failed for account ${ACCOUNT} in ${DESTINATION}`,
          ),
        },
      ]);
    });

    it('advises lifting the deny, not a grant, when a permissions boundary denies the destination listing', async () => {
      // Prepare
      backupsByRegion(() => {
        throw Object.assign(
          new Error(
            'User: arn:aws:sts::111122223333:assumed-role/audit/s is not authorized to perform: rds:DescribeDBInstanceAutomatedBackups with an explicit deny in a permissions boundary',
          ),
          { name: 'AccessDenied' },
        );
      });
      // Act
      const facts = await collectRdsPitrFacts(rds, SCOPE, policy(REQUIRE), { clientIn: () => destination });
      const outcome = facts[0] ? pitrCrossRegionCheck.evaluate(facts[0], contextWith(REQUIRE)) : undefined;
      // Assess
      expect(facts[0]?.replicatedBackups).toEqual([
        expect.objectContaining({ region: DESTINATION, read: false, accessDenied: false }),
      ]);
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.remediationText).toContain(
        'An explicit deny in a permissions boundary refuses the call: a grant to the audit role cannot override it',
      );
      expect(outcome?.remediationText).not.toContain('Grant the audit role');
      expect(outcome?.remediationText).not.toContain('Run the audit again: a value');
    });

    it('reads no other Region when the policy does not ask for cross-region backups', async () => {
      // Prepare
      backupsByRegion(() => {
        throw new Error('the destination must not be read');
      });
      // Act
      const facts = await collectRdsPitrFacts(rds, SCOPE, policy(), { clientIn: () => destination });
      // Assess
      expect(rdsMock.calls()).toHaveLength(3);
      expect(facts[0]?.replicatedBackups).toBeUndefined();
    });
  });

  it('throws a CloudApiError naming the API, account and region when a listing fails', async () => {
    // Prepare
    rdsMock.on(DescribeDBClustersCommand).rejects(
      Object.assign(new Error('User is not authorized to perform rds:DescribeDBClusters'), {
        name: 'AccessDenied',
      }),
    );
    // Act
    const collecting = collectRdsPitrFacts(rds, SCOPE, policy());
    // Assess
    await expect(collecting).rejects.toBeInstanceOf(CloudApiError);
    await expect(collecting).rejects.toMatchObject({
      code: 'AccessDenied',
      message: expect.stringContaining('RDS DescribeDBClusters failed for account 111122223333 in eu-west-1'),
    });
  });

  describe('a source ARN whose Region cannot be read', () => {
    // As DescribeDBInstances / DescribeDBClusters might send it: an ARN whose Region field is not a
    // Region's. It says nothing about where the source is, so nothing is judged as if it were here.
    const MALFORMED_DB = `arn:aws:rds:bogus:${ACCOUNT}:db:certctl-src`;
    const MALFORMED_CLUSTER = `arn:aws:rds:bogus:${ACCOUNT}:cluster:certctl-aurora`;

    it('reports a tagged read replica as not known to be audited, never covered by a same-Region database of that name', async () => {
      // Prepare: certctl-src here is tagged and judged; the replica's source ARN names no Region.
      rdsMock.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          instance('certctl-src'),
          instance('certctl-replica', { ReadReplicaSourceDBInstanceIdentifier: MALFORMED_DB }),
        ],
      });
      // Act
      const facts = await collectRdsPitrFacts(rds, SCOPE, policy());
      // Assess
      expect(facts.map((fact) => fact.resource.id)).toEqual(['certctl-src']);
      expect(facts.taggedStandIns).toEqual([
        {
          id: 'certctl-replica',
          tag: 'certctl:backup-guard=enabled',
          of: `a read replica of ${MALFORMED_DB} (ReadReplicaSourceDBInstanceIdentifier)`,
          tagInstead: 'its source',
          unreadableSource: MALFORMED_DB,
        },
      ]);
      expect(taggedStandInProblems([{ taggedStandIns: facts.taggedStandIns ?? [] }])).toEqual([
        `certctl-replica carries the target tag certctl:backup-guard=enabled but is a read replica of ${MALFORMED_DB} (ReadReplicaSourceDBInstanceIdentifier), whose Region cannot be read from it (an RDS ARN is arn:<partition>:rds:<region>:<account>:<db or cluster>:<id>): where its source is, and whether anything audits it, is not known`,
      ]);
    });

    it('reports a tagged read replica cluster whose ReplicationSourceIdentifier names no Region, rather than saying nothing', async () => {
      // Prepare
      rdsMock.on(DescribeDBClustersCommand).resolves({
        DBClusters: [cluster('certctl-aurora-replica', { ReplicationSourceIdentifier: MALFORMED_DB })],
      });
      // Act
      const facts = await collectRdsPitrFacts(rds, SCOPE, policy());
      // Assess
      expect(facts.map((fact) => fact.resource.id)).toEqual([]);
      expect(facts.taggedStandIns).toEqual([
        {
          id: 'certctl-aurora-replica',
          tag: 'certctl:backup-guard=enabled',
          of: `a read replica of ${MALFORMED_DB} (ReplicationSourceIdentifier)`,
          tagInstead: 'its source',
          unreadableSource: MALFORMED_DB,
        },
      ]);
    });

    it('does not follow a cascading chain through an unreadable source to a same-Region database of that name', async () => {
      // Prepare: the policy names leaf-replica; its chain reaches an ARN naming no Region, whose
      // identifier matches a database of this Region.
      rdsMock.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          instance('leaf-replica', { ReadReplicaSourceDBInstanceIdentifier: 'mid-replica', TagList: [] }),
          instance('mid-replica', { ReadReplicaSourceDBInstanceIdentifier: MALFORMED_DB, TagList: [] }),
          instance('certctl-src', { TagList: [] }),
        ],
      });
      // Act
      const facts = await collectRdsPitrFacts(
        rds,
        SCOPE,
        policy({ targets: { tags: [], identifiers: ['leaf-replica'] } }),
      );
      // Assess: nothing is judged for leaf-replica; the audit says what its chain read and where it
      // stopped, not that the named database was not found.
      expect(facts.map((fact) => fact.resource.id)).toEqual([]);
      expect(facts.taggedStandIns).toEqual([
        {
          id: 'leaf-replica',
          named: ['leaf-replica', `arn:aws:rds:${REGION}:${ACCOUNT}:db:leaf-replica`],
          of: `a read replica of mid-replica, itself a read replica of ${MALFORMED_DB} (ReadReplicaSourceDBInstanceIdentifier)`,
          tagInstead: 'its source',
          unreadableSource: MALFORMED_DB,
        },
      ]);
      expect(taggedStandInProblems([{ taggedStandIns: facts.taggedStandIns ?? [] }])).toEqual([
        `leaf-replica is named in targets.identifiers but is a read replica of mid-replica, itself a read replica of ${MALFORMED_DB} (ReadReplicaSourceDBInstanceIdentifier), whose Region cannot be read from it (an RDS ARN is arn:<partition>:rds:<region>:<account>:<db or cluster>:<id>): where its source is, and whether anything audits it, is not known`,
      ]);
    });

    it('leaves pitr.cross-region NOT_AVAILABLE for an Aurora cluster whose only replica ARN names no Region', async () => {
      // Prepare
      rdsMock.on(DescribeDBClustersCommand).resolves({
        DBClusters: [cluster('certctl-aurora', { ReadReplicaIdentifiers: [MALFORMED_CLUSTER] })],
      });
      const selection = policy({ pitr: { requireCrossRegionBackup: true } });
      // Act
      const [fact] = await collectRdsPitrFacts(rds, SCOPE, selection);
      const outcome =
        fact &&
        pitrCrossRegionCheck.evaluate(fact, contextWith({ pitr: { requireCrossRegionBackup: true } }));
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({ crossRegionBackup: null, replicatedTo: MALFORMED_CLUSTER });
      expect(outcome?.description).toContain(
        `ReadReplicaIdentifiers lists ${MALFORMED_CLUSTER}, whose Region cannot be read from it`,
      );
    });

    it('still names a readable replica Region beside an unreadable one in pitr.cross-region', async () => {
      // Prepare
      const readable = `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:certctl-aurora-us`;
      rdsMock.on(DescribeDBClustersCommand).resolves({
        DBClusters: [cluster('certctl-aurora', { ReadReplicaIdentifiers: [MALFORMED_CLUSTER, readable] })],
      });
      // Act
      const [fact] = await collectRdsPitrFacts(rds, SCOPE, policy());
      const outcome =
        fact &&
        pitrCrossRegionCheck.evaluate(fact, contextWith({ pitr: { requireCrossRegionBackup: true } }));
      // Assess
      // The replica's own retention is not in this Region's answer: named, not passed.
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({ replicatedTo: 'us-east-1' });
      expect(outcome?.description).toContain(
        'has a read replica cluster in us-east-1 (ReadReplicaIdentifiers)',
      );
    });

    describe('an Aurora read replica cluster read in its own Region', () => {
      const COPY_REGION = 'us-east-1';
      const COPY_ARN = `arn:aws:rds:${COPY_REGION}:${ACCOUNT}:cluster:certctl-aurora-us`;
      const REQUIRE = { pitr: { requireCrossRegionBackup: true } };
      let copyClient: RDSClient;

      beforeEach(() => {
        copyClient = new RDSClient({
          region: COPY_REGION,
          credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
        });
      });

      afterEach(() => {
        copyClient.destroy();
      });

      /** Answers DescribeDBClusters by the client's Region: the source's listing, or the copy's. */
      function clustersByRegion(
        inCopyRegion: (input: { Filters?: { Name?: string; Values?: string[] }[] }) => unknown,
      ): unknown[] {
        const asked: unknown[] = [];
        rdsMock.on(DescribeDBClustersCommand).callsFake(async (input, getClient) => {
          if ((await getClient().config.region()) !== COPY_REGION)
            return { DBClusters: [cluster('certctl-aurora', { ReadReplicaIdentifiers: [COPY_ARN] })] };
          asked.push(input);
          return inCopyRegion(input);
        });
        return asked;
      }

      async function judged() {
        const [fact] = await collectRdsPitrFacts(rds, SCOPE, policy(REQUIRE), { clientIn: () => copyClient });
        return { fact, outcome: fact && pitrCrossRegionCheck.evaluate(fact, contextWith(REQUIRE)) };
      }

      it('passes pitr.cross-region on a replica keeping the days required, listed there by its ARN', async () => {
        // Prepare
        const asked = clustersByRegion(() => ({
          DBClusters: [
            cluster('certctl-aurora-us', {
              DBClusterArn: COPY_ARN,
              BackupRetentionPeriod: 35,
              ReplicationSourceIdentifier: `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:certctl-aurora`,
            }),
          ],
        }));
        // Act
        const { fact, outcome } = await judged();
        // Assess
        expect(asked).toEqual([
          { Filters: [{ Name: 'db-cluster-id', Values: [COPY_ARN] }], MaxRecords: 100 },
        ]);
        expect(fact?.aurora?.copies).toEqual([
          {
            region: COPY_REGION,
            arn: COPY_ARN,
            read: true,
            id: 'certctl-aurora-us',
            status: 'available',
            backupRetentionPeriod: 35,
            earliestRestorableTime: EARLIEST,
            createdAt: new Date('2025-06-01T00:00:00.000Z'),
          },
        ]);
        expect(outcome?.status).toBe('PASSED');
        expect(outcome?.description).toContain('BackupRetentionPeriod 35 days');
      });

      it('warns on pitr.cross-region, not passes, on a replica whose own EarliestRestorableTime does not reach back yet', async () => {
        // Prepare: a replica created a day before the run keeps 35 days but restores back one.
        const yesterday = new Date(contextWith().now.getTime() - 24 * 60 * 60_000);
        clustersByRegion(() => ({
          DBClusters: [
            cluster('certctl-aurora-us', {
              DBClusterArn: COPY_ARN,
              BackupRetentionPeriod: 35,
              EarliestRestorableTime: yesterday,
            }),
          ],
        }));
        // Act
        const { fact, outcome } = await judged();
        // Assess
        expect(fact?.aurora?.copies).toEqual([
          expect.objectContaining({ read: true, earliestRestorableTime: yesterday }),
        ]);
        expect(outcome?.status).toBe('WARNING');
        expect(outcome?.description).toContain('of 30 days accrued');
      });

      it('fails pitr.cross-region on a replica keeping Aurora’s default day', async () => {
        clustersByRegion(() => ({
          DBClusters: [cluster('certctl-aurora-us', { DBClusterArn: COPY_ARN, BackupRetentionPeriod: 1 })],
        }));
        const { outcome } = await judged();
        expect(outcome?.status).toBe('FAILED');
        expect(outcome?.remediationText).toContain(
          `aws rds modify-db-cluster --db-cluster-identifier certctl-aurora-us --backup-retention-period 30 --region ${COPY_REGION} --apply-immediately`,
        );
      });

      it('keeps the scope and leaves pitr.cross-region NOT_AVAILABLE when the replica’s Region refuses the read', async () => {
        clustersByRegion(() => {
          throw Object.assign(new Error('User is not authorized to perform rds:DescribeDBClusters'), {
            name: 'AccessDenied',
          });
        });
        const { fact, outcome } = await judged();
        expect(fact?.aurora?.copies).toEqual([
          expect.objectContaining({ region: COPY_REGION, arn: COPY_ARN, read: false, accessDenied: true }),
        ]);
        expect(outcome?.status).toBe('NOT_AVAILABLE');
        expect(outcome?.remediationText).toContain(`rds:DescribeDBClusters in ${COPY_REGION}`);
      });

      it('advises lifting the deny, not a grant, when a resource control policy denies the replica’s read', async () => {
        clustersByRegion(() => {
          throw Object.assign(
            new Error(
              'User: arn:aws:sts::111122223333:assumed-role/audit/s is not authorized to perform: rds:DescribeDBClusters with an explicit deny in a resource control policy',
            ),
            { name: 'AccessDenied' },
          );
        });
        const { fact, outcome } = await judged();
        expect(fact?.aurora?.copies).toEqual([
          expect.objectContaining({ region: COPY_REGION, read: false, accessDenied: false }),
        ]);
        expect(outcome?.status).toBe('NOT_AVAILABLE');
        expect(outcome?.remediationText).toBe(
          "An explicit deny in a resource control policy refuses the call: a grant to the audit role cannot override it; ask the organization's administrators to exempt the role from it, then run the audit again.",
        );
      });

      it('leaves pitr.cross-region NOT_AVAILABLE when the replica is not found there', async () => {
        // A filter that matches nothing answers an empty list, not DBClusterNotFoundFault.
        clustersByRegion(() => ({ DBClusters: [] }));
        const { outcome } = await judged();
        expect(outcome?.status).toBe('NOT_AVAILABLE');
        expect(outcome?.description).toContain(
          `DescribeDBClusters of ${COPY_ARN} in ${COPY_REGION} was not read: ${COPY_REGION} lists no DB cluster ${COPY_ARN}`,
        );
      });

      it('does not read the replica when the policy does not ask for cross-region backups', async () => {
        const asked = clustersByRegion(() => ({ DBClusters: [] }));
        const [fact] = await collectRdsPitrFacts(rds, SCOPE, policy(), { clientIn: () => copyClient });
        expect(asked).toEqual([]);
        expect(fact?.aurora?.copies).toBeUndefined();
      });
    });

    it('leaves pitr.cross-region NOT_AVAILABLE for a global database secondary whose primary ARN names no Region, never PASSED', async () => {
      // Prepare
      rdsMock.on(DescribeDBClustersCommand).resolves({
        DBClusters: [
          cluster('certctl-aurora-eu', {
            GlobalClusterIdentifier: 'certctl-global',
            ReplicationSourceIdentifier: MALFORMED_CLUSTER,
          }),
        ],
      });
      // Act
      const [fact] = await collectRdsPitrFacts(rds, SCOPE, policy());
      const outcome =
        fact &&
        pitrCrossRegionCheck.evaluate(fact, contextWith({ pitr: { requireCrossRegionBackup: true } }));
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({
        crossRegionBackup: null,
        judgedThroughPrimary: MALFORMED_CLUSTER,
      });
      expect(outcome?.description).toContain(
        `ReplicationSourceIdentifier ${MALFORMED_CLUSTER}, whose Region cannot be read from it`,
      );
    });
  });
});
