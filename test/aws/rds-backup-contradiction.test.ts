import {
  type DBInstance,
  type DBInstanceAutomatedBackup,
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectRdsPitrFacts } from '../../functions/aws/rds.ts';
import { pitrWindowCheck } from '../../functions/checks/pitr/window.ts';
import { parsePolicy } from '../../functions/core/policy.ts';

/**
 * An instance has one automated backup in its own Region (DescribeDBInstanceAutomatedBackups, by
 * `DbiResourceId`, "the Amazon Web Services Region-unique, immutable identifier"). An answer that lists
 * two active ones for the same instance with different restore windows contradicts itself: whichever
 * is taken, the window is not proven, and taking the last one listed would pass a window the other
 * entry says is 2 days long.
 */
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const NOW = new Date('2026-09-01T12:00:00.000Z');
const DAY_MS = 24 * 3_600_000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);

const INSTANCE: DBInstance = {
  DBInstanceIdentifier: 'certctl-db',
  DBInstanceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:db:certctl-db`,
  DbiResourceId: 'db-CERTCTL',
  Engine: 'postgres',
  DBInstanceStatus: 'available',
  BackupRetentionPeriod: 35,
  PreferredBackupWindow: '03:00-03:30',
  DeletionProtection: true,
  LatestRestorableTime: new Date(NOW.getTime() - 4 * 60_000),
  InstanceCreateTime: daysAgo(400),
  TagList: [{ Key: 'certctl:backup-guard', Value: 'enabled' }],
};

function backup(earliestDaysAgo: number): DBInstanceAutomatedBackup {
  return {
    DBInstanceIdentifier: 'certctl-db',
    DbiResourceId: 'db-CERTCTL',
    Region: REGION,
    Status: 'active',
    RestoreWindow: { EarliestTime: daysAgo(earliestDaysAgo), LatestTime: INSTANCE.LatestRestorableTime },
  };
}

describe('two active automated backups listed for one instance', () => {
  const rdsMock = mockClient(RDSClient);
  let rds: RDSClient;

  beforeEach(() => {
    rdsMock.reset();
    rds = new RDSClient({
      region: REGION,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    });
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [INSTANCE] });
    rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
  });

  afterEach(() => {
    rds.destroy();
  });

  it('leaves the window unknown, never passing it, when their restore windows differ', async () => {
    // Prepare
    rdsMock
      .on(DescribeDBInstanceAutomatedBackupsCommand)
      .resolves({ DBInstanceAutomatedBackups: [backup(2), backup(40)] });
    // Act
    const [fact] = await collectRdsPitrFacts(rds, { account: ACCOUNT, region: REGION }, parsePolicy({}));
    const outcome = fact && pitrWindowCheck.evaluate(fact, { policy: parsePolicy({}), now: NOW });
    // Assess
    expect(fact?.restoreWindow).toMatchObject({
      known: false,
      reason: expect.stringContaining('2 active automated backups for DbiResourceId db-CERTCTL'),
    });
    expect(outcome?.status).toBe('NOT_AVAILABLE');
  });

  it('reads the window when the same backup is listed twice alike', async () => {
    // Prepare
    rdsMock
      .on(DescribeDBInstanceAutomatedBackupsCommand)
      .resolves({ DBInstanceAutomatedBackups: [backup(40), backup(40)] });
    // Act
    const [fact] = await collectRdsPitrFacts(rds, { account: ACCOUNT, region: REGION }, parsePolicy({}));
    // Assess
    expect(fact?.restoreWindow).toMatchObject({ known: true, earliest: daysAgo(40) });
  });
});
