import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  paginateDescribeDBClusters,
  paginateDescribeDBInstanceAutomatedBackups,
  paginateDescribeDBInstances,
  RDSClient,
  type RDSServiceException,
} from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectRdsPitrFacts } from '../../functions/aws/rds.ts';
import { pitrChecks } from '../../functions/checks/pitr/index.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { simCredentials } from './accounts.ts';
import { loadScenario, type ScenarioInput } from './scenario.ts';
import { type Sim, startSim } from './server.ts';
import type { RdsService } from './services/rds.ts';

const NOW = new Date('2026-03-15T12:00:00.000Z');
const DAY_MS = 86_400_000;
const DEMO = 'test/sim/scenarios/demo-aws.yaml';

function ago(ms: number): Date {
  return new Date(NOW.getTime() - ms);
}

async function rejection(promise: Promise<unknown>): Promise<RDSServiceException> {
  try {
    await promise;
  } catch (error) {
    return error as RDSServiceException;
  }
  throw new Error('expected the call to fail');
}

/** 150 instances in eu-west-1, 30 in us-east-1, and one account's worth in 222222222222. */
function bigScenario(): ScenarioInput {
  const instances = [
    ...Array.from({ length: 150 }, (_, index) => ({
      id: `certctl-db-${String(index).padStart(3, '0')}`,
      region: 'eu-west-1',
      backupRetentionPeriod: index % 2 === 0 ? 35 : 7,
      tags: index % 3 === 0 ? { 'certctl:backup-guard': 'enabled' } : {},
    })),
    ...Array.from({ length: 30 }, (_, index) => ({ id: `useast-db-${index}`, region: 'us-east-1' })),
    { id: 'other-account-db', account: '222222222222', region: 'eu-west-1' },
  ];
  const clusters = Array.from({ length: 120 }, (_, index) => ({
    id: `certctl-aurora-${String(index).padStart(3, '0')}`,
    region: 'eu-west-1',
    backupRetentionPeriod: 30,
  }));
  return {
    accounts: [{ id: '111111111111' }, { id: '222222222222' }],
    regions: [{ name: 'eu-west-1' }, { name: 'us-east-1' }],
    services: { rds: { instances, clusters } },
  };
}

describe('simulated RDS against the real RDSClient', () => {
  let sim: Sim;
  let euWest: RDSClient;
  let usEast: RDSClient;

  beforeAll(async () => {
    sim = await startSim({ scenario: bigScenario(), clock: () => NOW });
    euWest = new RDSClient({
      region: 'eu-west-1',
      endpoint: sim.endpoint,
      credentials: simCredentials(),
      maxAttempts: 1,
    });
    usEast = new RDSClient({
      region: 'us-east-1',
      endpoint: sim.endpoint,
      credentials: simCredentials(),
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    euWest.destroy();
    usEast.destroy();
    await sim.close();
  });

  it('pages DescribeDBInstances with Marker when there are more than 100 instances', async () => {
    const pages: number[] = [];
    const ids: string[] = [];
    for await (const page of paginateDescribeDBInstances({ client: euWest }, {})) {
      pages.push(page.DBInstances?.length ?? 0);
      ids.push(...(page.DBInstances ?? []).map((instance) => instance.DBInstanceIdentifier ?? ''));
    }

    expect(pages).toEqual([100, 50]);
    expect(ids).toHaveLength(150);
    expect(new Set(ids).size).toBe(150);
    expect(ids[0]).toBe('certctl-db-000');
    expect(ids[149]).toBe('certctl-db-149');
  });

  it('honours MaxRecords when the paginator asks for smaller pages', async () => {
    const pages: number[] = [];
    for await (const page of paginateDescribeDBInstances({ client: euWest, pageSize: 20 }, {})) {
      pages.push(page.DBInstances?.length ?? 0);
    }

    expect(pages).toEqual([20, 20, 20, 20, 20, 20, 20, 10]);
  });

  it('pages DescribeDBClusters when there are more than 100 clusters', async () => {
    const sizes: number[] = [];
    for await (const page of paginateDescribeDBClusters({ client: euWest }, {}))
      sizes.push(page.DBClusters?.length ?? 0);

    expect(sizes).toEqual([100, 20]);
  });

  it('pages DescribeDBInstanceAutomatedBackups over every instance with backups on', async () => {
    let count = 0;
    for await (const page of paginateDescribeDBInstanceAutomatedBackups(
      { client: euWest, pageSize: 50 },
      {},
    )) {
      count += page.DBInstanceAutomatedBackups?.length ?? 0;
    }

    expect(count).toBe(150);
  });

  it('fails with InvalidParameterValue when MaxRecords is outside 20..100', async () => {
    const tooSmall = await rejection(euWest.send(new DescribeDBInstancesCommand({ MaxRecords: 19 })));
    const tooLarge = await rejection(euWest.send(new DescribeDBClustersCommand({ MaxRecords: 101 })));

    expect(tooSmall.name).toBe('InvalidParameterValue');
    expect(tooSmall.message).toBe('Invalid value 19 for MaxRecords. Must be between 20 and 100');
    expect(tooSmall.$metadata.httpStatusCode).toBe(400);
    expect(tooLarge.name).toBe('InvalidParameterValue');
  });

  it('selects instances by the db-instance-id filter when given identifiers or ARNs', async () => {
    const answer = await euWest.send(
      new DescribeDBInstancesCommand({
        Filters: [
          {
            Name: 'db-instance-id',
            Values: ['certctl-db-007', 'arn:aws:rds:eu-west-1:111111111111:db:certctl-db-003', 'missing-db'],
          },
        ],
      }),
    );

    expect(answer.DBInstances?.map((instance) => instance.DBInstanceIdentifier)).toEqual([
      'certctl-db-003',
      'certctl-db-007',
    ]);
  });

  it('selects clusters by the db-cluster-id filter', async () => {
    const answer = await euWest.send(
      new DescribeDBClustersCommand({ Filters: [{ Name: 'db-cluster-id', Values: ['certctl-aurora-042'] }] }),
    );

    expect(answer.DBClusters?.map((cluster) => cluster.DBClusterIdentifier)).toEqual(['certctl-aurora-042']);
  });

  it('fails with InvalidParameterValue when a filter name is unknown', async () => {
    const error = await rejection(
      euWest.send(new DescribeDBInstancesCommand({ Filters: [{ Name: 'tag:app', Values: ['certctl'] }] })),
    );

    expect(error.name).toBe('InvalidParameterValue');
    expect(error.message).toContain('Unrecognized filter name: tag:app');
  });

  it('fails with DBInstanceNotFound when DBInstanceIdentifier names no instance', async () => {
    const error = await rejection(
      euWest.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'nope' })),
    );

    expect(error.name).toBe('DBInstanceNotFoundFault');
    expect(error.$metadata.httpStatusCode).toBe(404);
  });

  it('returns tags in TagList when an instance has them', async () => {
    const answer = await euWest.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'certctl-db-003' }),
    );

    expect(answer.DBInstances?.[0]?.TagList).toEqual([{ Key: 'certctl:backup-guard', Value: 'enabled' }]);
  });

  it('shows only the caller account resources in the signing region when several accounts and regions exist', async () => {
    const other = new RDSClient({
      region: 'eu-west-1',
      endpoint: sim.endpoint,
      credentials: simCredentials('222222222222'),
      maxAttempts: 1,
    });

    const otherAccount = await other.send(new DescribeDBInstancesCommand({}));
    const otherRegion = await usEast.send(new DescribeDBInstancesCommand({}));
    other.destroy();

    expect(otherAccount.DBInstances?.map((instance) => instance.DBInstanceIdentifier)).toEqual([
      'other-account-db',
    ]);
    expect(otherAccount.DBInstances?.[0]?.DBInstanceArn).toBe(
      'arn:aws:rds:eu-west-1:222222222222:db:other-account-db',
    );
    expect(otherRegion.DBInstances).toHaveLength(30);
  });

  it('refuses with InvalidClientTokenId when the access key is not a simulator key', async () => {
    const stranger = new RDSClient({
      region: 'eu-west-1',
      endpoint: sim.endpoint,
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' },
      maxAttempts: 1,
    });

    const error = await rejection(stranger.send(new DescribeDBInstancesCommand({})));
    stranger.destroy();

    expect(error.name).toBe('InvalidClientTokenId');
    expect(error.$metadata.httpStatusCode).toBe(403);
  });

  it('lets a test change the fleet through the store when it puts an instance', async () => {
    const rds = sim.service<RdsService>('rds');

    rds.store.putInstance({ id: 'late-arrival-db', region: 'us-east-1', backupRetentionPeriod: 14 });
    const answer = await usEast.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'late-arrival-db' }),
    );
    rds.store.removeInstance('111111111111', 'us-east-1', 'late-arrival-db');

    expect(answer.DBInstances?.[0]?.BackupRetentionPeriod).toBe(14);
    expect(rds.store.instance('111111111111', 'us-east-1', 'late-arrival-db')).toBeUndefined();
  });
});

describe('the demo fleet served to the real RDSClient', () => {
  let sim: Sim;
  let euWest: RDSClient;
  let usEast: RDSClient;

  beforeAll(async () => {
    sim = await startSim({ scenario: await loadScenario(DEMO), clock: () => NOW });
    euWest = new RDSClient({
      region: 'eu-west-1',
      endpoint: sim.endpoint,
      credentials: simCredentials(),
      maxAttempts: 1,
    });
    usEast = new RDSClient({
      region: 'us-east-1',
      endpoint: sim.endpoint,
      credentials: simCredentials(),
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    euWest.destroy();
    usEast.destroy();
    await sim.close();
  });

  it('serves every instance field the audit reads when the instance is healthy', async () => {
    const answer = await euWest.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'certctl-prod-db' }),
    );
    const instance = answer.DBInstances?.[0];

    expect(instance).toMatchObject({
      DBInstanceIdentifier: 'certctl-prod-db',
      DBInstanceArn: 'arn:aws:rds:eu-west-1:111111111111:db:certctl-prod-db',
      Engine: 'postgres',
      EngineVersion: '16.4',
      DBInstanceStatus: 'available',
      InstanceCreateTime: ago(420 * DAY_MS),
      BackupRetentionPeriod: 35,
      LatestRestorableTime: ago(4 * 60_000),
      PreferredBackupWindow: '02:00-02:30',
      DeletionProtection: true,
      StorageEncrypted: true,
      ReadReplicaDBInstanceIdentifiers: ['certctl-prod-db-replica'],
    });
    expect(instance?.DbiResourceId).toMatch(/^db-[A-Z2-7]{26}$/);
    expect(instance?.KmsKeyId).toMatch(/^arn:aws:kms:eu-west-1:111111111111:key\//);
    expect(instance?.DBClusterIdentifier).toBeUndefined();
    expect(instance?.DBInstanceAutomatedBackupsReplications).toEqual([
      {
        DBInstanceAutomatedBackupsArn: expect.stringMatching(
          /^arn:aws:rds:us-east-1:111111111111:auto-backup:ab-/,
        ),
      },
    ]);
    expect(instance?.TagList).toContainEqual({ Key: 'certctl:backup-guard', Value: 'enabled' });
  });

  it('names the account’s AWS-managed aws/rds key as the key of a database encrypted by default, which the simulated KMS describes', async () => {
    // Prepare
    const kms = new KMSClient({
      region: 'eu-west-1',
      endpoint: sim.endpoint,
      credentials: simCredentials(),
      maxAttempts: 1,
    });
    const answer = await euWest.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'certctl-prod-db' }),
    );
    const keyId = answer.DBInstances?.[0]?.KmsKeyId ?? '';

    // Act
    const byArn = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    const byAlias = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/rds' }));
    kms.destroy();

    // Assess
    expect(byArn.KeyMetadata).toMatchObject({ Arn: keyId, KeyManager: 'AWS', KeyState: 'Enabled' });
    expect(byAlias.KeyMetadata?.Arn).toBe(keyId);
  });

  it('marks the read replica with its source when an instance replicates another', async () => {
    const answer = await euWest.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'certctl-prod-db-replica' }),
    );

    expect(answer.DBInstances?.[0]?.ReadReplicaSourceDBInstanceIdentifier).toBe('certctl-prod-db');
    expect(answer.DBInstances?.[0]?.BackupRetentionPeriod).toBe(0);
  });

  it('derives the restore window from the oldest of the retained daily snapshots when no explicit window is given', async () => {
    const answer = await euWest.send(
      new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: 'certctl-staging-db' }),
    );
    const backup = answer.DBInstanceAutomatedBackups?.[0];

    expect(answer.DBInstanceAutomatedBackups).toHaveLength(1);
    expect(backup).toMatchObject({
      DBInstanceIdentifier: 'certctl-staging-db',
      DBInstanceArn: 'arn:aws:rds:eu-west-1:111111111111:db:certctl-staging-db',
      Region: 'eu-west-1',
      Status: 'active',
      BackupRetentionPeriod: 7,
      Engine: 'postgres',
      // 7 daily snapshots at 03:00 UTC (the default backup window): the oldest is 6 days 9 hours old.
      RestoreWindow: { EarliestTime: new Date('2026-03-09T03:00:00.000Z'), LatestTime: ago(4 * 60_000) },
    });
    expect(backup?.DBInstanceAutomatedBackupsArn).toMatch(
      /^arn:aws:rds:eu-west-1:111111111111:auto-backup:ab-[a-z2-7]{26}$/,
    );
  });

  it('lists no automated backup and no restorable time when backups are off', async () => {
    const instances = await usEast.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'certctl-ra-db' }),
    );
    const error = await rejection(
      usEast.send(new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: 'certctl-ra-db' })),
    );

    expect(instances.DBInstances?.[0]?.BackupRetentionPeriod).toBe(0);
    expect(instances.DBInstances?.[0]?.LatestRestorableTime).toBeUndefined();
    expect(error.name).toBe('DBInstanceAutomatedBackupNotFoundFault');
  });

  it('serves a stale latest restorable time when the scenario says WAL archiving stalled', async () => {
    const answer = await usEast.send(
      new DescribeDBInstanceAutomatedBackupsCommand({
        Filters: [{ Name: 'db-instance-id', Values: ['certctl-ocsp-db'] }],
      }),
    );

    expect(answer.DBInstanceAutomatedBackups?.[0]?.RestoreWindow).toEqual({
      EarliestTime: ago(35 * DAY_MS),
      LatestTime: ago(3 * 3_600_000),
    });
  });

  it('serves the Aurora cluster with its members and a 12-day window when retention is 30 days', async () => {
    const clusters = await usEast.send(new DescribeDBClustersCommand({}));
    const members = await usEast.send(
      new DescribeDBInstancesCommand({
        Filters: [{ Name: 'db-cluster-id', Values: ['certctl-prod-aurora'] }],
      }),
    );

    expect(clusters.DBClusters).toHaveLength(1);
    expect(clusters.DBClusters?.[0]).toMatchObject({
      DBClusterIdentifier: 'certctl-prod-aurora',
      DBClusterArn: 'arn:aws:rds:us-east-1:111111111111:cluster:certctl-prod-aurora',
      Engine: 'aurora-postgresql',
      Status: 'available',
      ClusterCreateTime: ago(240 * DAY_MS),
      BackupRetentionPeriod: 30,
      EarliestRestorableTime: ago(12 * DAY_MS),
      LatestRestorableTime: ago(3 * 60_000),
      DeletionProtection: true,
      DBClusterMembers: [
        expect.objectContaining({ DBInstanceIdentifier: 'certctl-prod-aurora-1', IsClusterWriter: true }),
        expect.objectContaining({ DBInstanceIdentifier: 'certctl-prod-aurora-2', IsClusterWriter: false }),
      ],
    });
    expect(clusters.DBClusters?.[0]?.DbClusterResourceId).toMatch(/^cluster-[A-Z2-7]{26}$/);
    expect(
      members.DBInstances?.map((instance) => [instance.DBInstanceIdentifier, instance.DBClusterIdentifier]),
    ).toEqual([
      ['certctl-prod-aurora-1', 'certctl-prod-aurora'],
      ['certctl-prod-aurora-2', 'certctl-prod-aurora'],
    ]);
  });

  it('keeps Aurora members out of the instance automated backups when the cluster holds the window', async () => {
    const answer = await usEast.send(new DescribeDBInstanceAutomatedBackupsCommand({}));

    expect(
      answer.DBInstanceAutomatedBackups?.map((backup) => [backup.DBInstanceIdentifier, backup.Region]),
    ).toEqual([
      ['certctl-ocsp-db', 'us-east-1'],
      ['certctl-prod-db', 'eu-west-1'],
    ]);
  });

  it('serves the untagged database without the certctl tag when it is not a target', async () => {
    const answer = await euWest.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'billing-reports-db' }),
    );

    expect(answer.DBInstances?.[0]?.TagList?.some((tag) => tag.Key === 'certctl:backup-guard')).toBe(false);
  });

  it('moves every relative time with the simulator clock when the clock advances', async () => {
    let now = NOW;
    const moving = await startSim({ scenario: await loadScenario(DEMO), clock: () => now });
    const client = new RDSClient({
      region: 'eu-west-1',
      endpoint: moving.endpoint,
      credentials: simCredentials(),
    });

    now = new Date(NOW.getTime() + DAY_MS);
    const answer = await client.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'certctl-prod-db' }),
    );
    client.destroy();
    await moving.close();

    expect(answer.DBInstances?.[0]?.LatestRestorableTime).toEqual(new Date(now.getTime() - 4 * 60_000));
  });
});

describe('the default restore window over a day', () => {
  /** The window of each database at `now`, through the real RDSClient. */
  async function windowsAt(now: Date): Promise<Map<string, number>> {
    const sim = await startSim({
      clock: () => now,
      scenario: {
        regions: [{ name: 'eu-west-1' }],
        services: {
          rds: {
            instances: [
              {
                id: 'daily-db',
                region: 'eu-west-1',
                backupRetentionPeriod: 7,
                preferredBackupWindow: '05:15-05:45',
              },
              { id: 'young-db', region: 'eu-west-1', backupRetentionPeriod: 7, createdAt: '-2d' },
              {
                id: 'explicit-db',
                region: 'eu-west-1',
                backupRetentionPeriod: 7,
                earliestRestorableTime: '-7d',
              },
            ],
            clusters: [
              {
                id: 'aurora-db',
                region: 'eu-west-1',
                backupRetentionPeriod: 7,
                preferredBackupWindow: '05:15-05:45',
              },
            ],
          },
        },
      },
    });
    const client = new RDSClient({
      region: 'eu-west-1',
      endpoint: sim.endpoint,
      credentials: simCredentials(),
    });
    try {
      const windows = new Map<string, number>();
      // An instance's window is in its automated backup (DescribeDBInstances sends no earliest time).
      const backups = await client.send(new DescribeDBInstanceAutomatedBackupsCommand({}));
      for (const backup of backups.DBInstanceAutomatedBackups ?? []) {
        const earliest = backup.RestoreWindow?.EarliestTime;
        if (earliest) windows.set(backup.DBInstanceIdentifier ?? '', now.getTime() - earliest.getTime());
      }
      const clusters = await client.send(new DescribeDBClustersCommand({}));
      for (const cluster of clusters.DBClusters ?? []) {
        const earliest = cluster.EarliestRestorableTime;
        if (earliest) windows.set(cluster.DBClusterIdentifier ?? '', now.getTime() - earliest.getTime());
      }
      return windows;
    } finally {
      client.destroy();
      await sim.close();
    }
  }

  it('starts an instance window at its oldest daily snapshot, between R-1 and R days back, and an Aurora window at the retention', async () => {
    const MINUTE_MS = 60_000;
    // Just before the 05:15 snapshot: the oldest of the 7 kept is almost 7 days old.
    const before = await windowsAt(new Date('2026-03-15T05:14:00.000Z'));
    // Just after it: the oldest expired, the next oldest is 6 days and 1 minute old.
    const after = await windowsAt(new Date('2026-03-15T05:16:00.000Z'));
    // Late in the day (the default 03:00 window for young-db and explicit-db is long past).
    const evening = await windowsAt(new Date('2026-03-15T23:00:00.000Z'));

    expect(before.get('daily-db')).toBe(7 * DAY_MS - MINUTE_MS);
    expect(after.get('daily-db')).toBe(6 * DAY_MS + MINUTE_MS);
    expect(evening.get('daily-db')).toBe(6 * DAY_MS + 17 * 60 * MINUTE_MS + 45 * MINUTE_MS);
    // Aurora backs up continuously: its window is the retention whatever the time of day.
    for (const at of [before, after, evening]) expect(at.get('aurora-db')).toBe(7 * DAY_MS);
    // Younger than the retention: the window starts at the creation time.
    expect(evening.get('young-db')).toBe(2 * DAY_MS);
    // An explicit window is served as written.
    expect(evening.get('explicit-db')).toBe(7 * DAY_MS);
  });
});

describe('explicit automated backups', () => {
  let sim: Sim;
  let client: RDSClient;

  beforeAll(async () => {
    sim = await startSim({
      clock: () => NOW,
      scenario: {
        regions: [{ name: 'eu-west-1' }],
        services: {
          rds: {
            instances: [
              { id: 'certctl-prod-db', region: 'eu-west-1', backupRetentionPeriod: 30 },
              { id: 'certctl-fresh-db', region: 'eu-west-1', backupRetentionPeriod: 30, createdAt: '-3d' },
            ],
            automatedBackups: [
              {
                instanceId: 'certctl-prod-db',
                region: 'eu-west-1',
                status: 'active',
                backupRetentionPeriod: 30,
                restoreWindow: { earliest: '-9d', latest: '-5m' },
              },
              {
                instanceId: 'certctl-old-db',
                region: 'eu-west-1',
                status: 'retained',
                restoreWindow: { earliest: '2025-12-01T00:00:00Z', latest: '2025-12-20T00:00:00Z' },
              },
            ],
          },
        },
      },
    });
    client = new RDSClient({
      region: 'eu-west-1',
      endpoint: sim.endpoint,
      credentials: simCredentials(),
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    client.destroy();
    await sim.close();
  });

  it('replaces the derived backup when the scenario lists one for the instance', async () => {
    const answer = await client.send(
      new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: 'certctl-prod-db' }),
    );

    expect(answer.DBInstanceAutomatedBackups).toHaveLength(1);
    expect(answer.DBInstanceAutomatedBackups?.[0]?.RestoreWindow).toEqual({
      EarliestTime: ago(9 * DAY_MS),
      LatestTime: ago(5 * 60_000),
    });
  });

  it('lists a retained backup of a deleted instance when the status filter asks for retained', async () => {
    const answer = await client.send(
      new DescribeDBInstanceAutomatedBackupsCommand({ Filters: [{ Name: 'status', Values: ['retained'] }] }),
    );

    expect(
      answer.DBInstanceAutomatedBackups?.map((backup) => [backup.DBInstanceIdentifier, backup.Status]),
    ).toEqual([['certctl-old-db', 'retained']]);
    expect(answer.DBInstanceAutomatedBackups?.[0]?.RestoreWindow?.LatestTime).toEqual(
      new Date('2025-12-20T00:00:00Z'),
    );
  });

  it('starts a derived window no earlier than the instance creation when the instance is younger than its retention', async () => {
    const answer = await client.send(
      new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: 'certctl-fresh-db' }),
    );

    expect(answer.DBInstanceAutomatedBackups?.[0]?.RestoreWindow?.EarliestTime).toEqual(ago(3 * DAY_MS));
  });
});

describe('Aurora global databases and clusters without restorable times', () => {
  let sim: Sim;
  let euWest: RDSClient;

  const scenario: ScenarioInput = {
    accounts: [{ id: '111111111111' }],
    regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }],
    services: {
      rds: {
        clusters: [
          {
            id: 'certctl-aurora',
            region: 'us-east-1',
            backupRetentionPeriod: 30,
            globalClusterIdentifier: 'certctl-global',
            members: [{ id: 'certctl-aurora-1', writer: true }],
          },
          {
            id: 'certctl-aurora-eu',
            region: 'eu-west-1',
            globalSecondaryOf: 'certctl-aurora',
            members: [{ id: 'certctl-aurora-eu-1' }],
          },
          {
            id: 'certctl-new-aurora',
            region: 'eu-west-1',
            status: 'creating',
            earliestRestorableTime: null,
            latestRestorableTime: null,
          },
        ],
      },
    },
  };

  beforeAll(async () => {
    sim = await startSim({ scenario, clock: () => NOW });
    euWest = new RDSClient({
      region: 'eu-west-1',
      endpoint: sim.endpoint,
      credentials: simCredentials(),
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    euWest.destroy();
    await sim.close();
  });

  it('serves a global secondary with its primary’s GlobalClusterIdentifier and ARN as ReplicationSourceIdentifier', async () => {
    // Act
    const answer = await euWest.send(
      new DescribeDBClustersCommand({ DBClusterIdentifier: 'certctl-aurora-eu' }),
    );

    // Assess
    expect(answer.DBClusters?.[0]).toMatchObject({
      DBClusterIdentifier: 'certctl-aurora-eu',
      GlobalClusterIdentifier: 'certctl-global',
      ReplicationSourceIdentifier: 'arn:aws:rds:us-east-1:111111111111:cluster:certctl-aurora',
      DBClusterMembers: [
        expect.objectContaining({ DBInstanceIdentifier: 'certctl-aurora-eu-1', IsClusterWriter: false }),
      ],
    });
  });

  it('leaves EarliestRestorableTime and LatestRestorableTime out when the scenario sets them to null', async () => {
    // Act
    const answer = await euWest.send(
      new DescribeDBClustersCommand({ DBClusterIdentifier: 'certctl-new-aurora' }),
    );

    // Assess
    const cluster = answer.DBClusters?.[0];
    expect(cluster?.Status).toBe('creating');
    expect(cluster).not.toHaveProperty('EarliestRestorableTime');
    expect(cluster).not.toHaveProperty('LatestRestorableTime');
  });

  it('lets the PITR audit judge the secondary through its primary and leave the creating cluster unevaluated', async () => {
    // Prepare
    const policy = parsePolicy({ targets: { all: true }, aws: { regions: 'all' } });
    const context = { policy, now: NOW };

    // Act
    const facts = await collectRdsPitrFacts(euWest, { account: '111111111111', region: 'eu-west-1' }, policy);
    const statuses = (id: string) => {
      const fact = facts.find((candidate) => candidate.resource.id === id);
      if (!fact) throw new Error(`no fact for ${id}`);
      return Object.fromEntries(
        pitrChecks.map((check) => [check.metadata.id, check.evaluate(fact, context)?.status]),
      );
    };

    // Assess
    expect(statuses('certctl-aurora-eu')).toMatchObject({
      'pitr.enabled': 'NOT_AVAILABLE',
      'pitr.retention': 'NOT_AVAILABLE',
      'pitr.window': 'NOT_AVAILABLE',
      'pitr.lag': 'NOT_AVAILABLE',
      'pitr.deletion-protection': 'PASSED',
    });
    expect(statuses('certctl-new-aurora')).toMatchObject({
      'pitr.window': 'NOT_AVAILABLE',
      'pitr.lag': 'NOT_AVAILABLE',
    });
  });

  it('refuses a secondary whose primary is not a global database member of the account in another region', async () => {
    // Prepare
    const rds = sim.service<RdsService>('rds');

    const refusal = (input: Parameters<RdsService['store']['putCluster']>[0]) => {
      try {
        rds.store.putCluster(input);
      } catch (error) {
        return error as { issues: { path: string; message: string }[] };
      }
      throw new Error('expected the scenario to be refused');
    };

    // Act
    const sameRegion = refusal({
      id: 'bad-secondary',
      region: 'us-east-1',
      globalSecondaryOf: 'certctl-aurora',
    });
    const notGlobal = refusal({
      id: 'bad-secondary',
      region: 'us-east-1',
      globalSecondaryOf: 'certctl-new-aurora',
    });

    // Assess
    expect(sameRegion.issues).toContainEqual({
      path: expect.stringMatching(/^services\.rds\.clusters\.\d+\.globalSecondaryOf$/),
      message: expect.stringContaining('in another region'),
    });
    expect(notGlobal.issues).toContainEqual({
      path: expect.stringMatching(/^services\.rds\.clusters\.\d+\.globalSecondaryOf$/),
      message: expect.stringContaining('globalClusterIdentifier'),
    });
  });
});
