/**
 * The simulator names each database's incarnation as RDS does: `DbiResourceId` (instances) and
 * `DbClusterResourceId` (clusters) are stable for a database, new when a database of the same
 * identifier is created again, and kept by the snapshots taken of it. It also answers who a manual
 * snapshot is shared with as RDS does (DescribeDBSnapshotAttributes,
 * DescribeDBClusterSnapshotAttributes): the `restore` attribute, its values the accounts a scenario
 * snapshot is shared with (`all`: public; none: an empty list), DBSnapshotNotFound /
 * DBClusterSnapshotNotFoundFault for an unknown snapshot, AccessDenied where the scenario denies it.
 */
import {
  CreateDBSnapshotCommand,
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simCredentials } from './accounts.ts';
import { type Sim, startSim } from './server.ts';
import type { RdsService } from './services/rds.ts';

const NOW = new Date('2026-12-03T12:00:00.000Z');
const REGION = 'eu-west-1';
const ACCOUNT = '111111111111';

let sim: Sim;
let rds: RDSClient;

beforeEach(async () => {
  sim = await startSim({
    scenario: {
      regions: [{ name: REGION }],
      services: {
        rds: {
          instances: [{ id: 'certctl-db', region: REGION }],
          clusters: [
            { id: 'certctl-aurora', region: REGION, members: [{ id: 'certctl-aurora-1', writer: true }] },
          ],
          snapshots: {
            defaultDurationMs: 0,
            existing: [
              { id: 'of-this-db', target: 'certctl-db', region: REGION },
              { id: 'of-an-earlier-db', target: 'certctl-db', region: REGION, ofEarlierDatabase: true },
              { id: 'of-this-cluster', kind: 'cluster', target: 'certctl-aurora', region: REGION },
              {
                id: 'of-an-earlier-cluster',
                kind: 'cluster',
                target: 'certctl-aurora',
                region: REGION,
                ofEarlierDatabase: true,
              },
              { id: 'id-not-sent', target: 'certctl-db', region: REGION, resourceIdSent: false },
              {
                id: 'cluster-id-not-sent',
                kind: 'cluster',
                target: 'certctl-aurora',
                region: REGION,
                resourceIdSent: false,
              },
              { id: 'dr-snap', target: 'certctl-db', region: REGION, sharedWith: ['222222222222'] },
              { id: 'locked-snap', target: 'certctl-db', region: REGION, attributesDenied: true },
              {
                id: 'public-cluster-snap',
                kind: 'cluster',
                target: 'certctl-aurora',
                region: REGION,
                sharedWith: ['all'],
              },
            ],
          },
        },
      },
    },
    clock: () => NOW,
  });
  rds = new RDSClient({
    region: REGION,
    endpoint: sim.endpoint,
    credentials: simCredentials(),
    maxAttempts: 1,
  });
});

afterEach(async () => {
  rds.destroy();
  await sim.close();
});

async function instanceResourceId(): Promise<string | undefined> {
  const answer = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'certctl-db' }));
  return answer.DBInstances?.[0]?.DbiResourceId;
}

async function snapshotResourceIds(): Promise<Record<string, string | undefined>> {
  const answer = await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'certctl-db' }));
  return Object.fromEntries(
    (answer.DBSnapshots ?? []).map((snapshot) => [snapshot.DBSnapshotIdentifier, snapshot.DbiResourceId]),
  );
}

describe('RDS resource ids in the simulator', () => {
  it('names the instance’s DbiResourceId on its snapshots, and another on a snapshot of an earlier database', async () => {
    // Act
    const current = await instanceResourceId();
    const snapshots = await snapshotResourceIds();

    // Assess
    expect(current).toMatch(/^db-[A-Z2-7]{26}$/);
    expect(await instanceResourceId()).toBe(current);
    expect(snapshots['of-this-db']).toBe(current);
    expect(snapshots['of-an-earlier-db']).toMatch(/^db-[A-Z2-7]{26}$/);
    expect(snapshots['of-an-earlier-db']).not.toBe(current);
  });

  it('names the cluster’s DbClusterResourceId on its cluster snapshots, and another on an earlier cluster’s', async () => {
    // Act
    const clusters = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'certctl-aurora' }));
    const snapshots = await rds.send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: 'certctl-aurora' }),
    );

    // Assess
    const current = clusters.DBClusters?.[0]?.DbClusterResourceId;
    const byId = Object.fromEntries(
      (snapshots.DBClusterSnapshots ?? []).map((snapshot) => [
        snapshot.DBClusterSnapshotIdentifier,
        snapshot.DbClusterResourceId,
      ]),
    );
    expect(current).toMatch(/^cluster-[A-Z2-7]{26}$/);
    expect(byId['of-this-cluster']).toBe(current);
    expect(byId['of-an-earlier-cluster']).toMatch(/^cluster-[A-Z2-7]{26}$/);
    expect(byId['of-an-earlier-cluster']).not.toBe(current);
  });

  it('leaves DbiResourceId and DbClusterResourceId out of a snapshot the scenario lists without them, and a filter by the id still finds it', async () => {
    // Act
    const instanceSnapshots = await rds.send(
      new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'id-not-sent' }),
    );
    const clusterSnapshots = await rds.send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: 'cluster-id-not-sent' }),
    );
    const byResourceId = await rds.send(
      new DescribeDBSnapshotsCommand({
        Filters: [{ Name: 'dbi-resource-id', Values: [(await instanceResourceId()) ?? ''] }],
      }),
    );

    // Assess
    const instanceSnapshot = instanceSnapshots.DBSnapshots?.[0];
    expect(instanceSnapshot?.DBSnapshotIdentifier).toBe('id-not-sent');
    expect(instanceSnapshot).not.toHaveProperty('DbiResourceId');
    const clusterSnapshot = clusterSnapshots.DBClusterSnapshots?.[0];
    expect(clusterSnapshot?.DBClusterSnapshotIdentifier).toBe('cluster-id-not-sent');
    expect(clusterSnapshot).not.toHaveProperty('DbClusterResourceId');
    expect(byResourceId.DBSnapshots?.map((snapshot) => snapshot.DBSnapshotIdentifier)).toContain(
      'id-not-sent',
    );
  });

  it('gives a database created again under the same identifier a new DbiResourceId, and its earlier snapshots keep the old one', async () => {
    // Prepare
    const first = await instanceResourceId();
    await rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'certctl-db', DBSnapshotIdentifier: 'before' }),
    );
    const store = sim.service<RdsService>('rds').store;

    // Act
    store.removeInstance(ACCOUNT, REGION, 'certctl-db');
    store.putInstance({ id: 'certctl-db', region: REGION });
    const second = await instanceResourceId();
    await rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'certctl-db', DBSnapshotIdentifier: 'after' }),
    );
    const snapshots = await snapshotResourceIds();

    // Assess
    expect(second).toMatch(/^db-[A-Z2-7]{26}$/);
    expect(second).not.toBe(first);
    expect(snapshots.before).toBe(first);
    expect(snapshots.after).toBe(second);
  });
});

const instanceAttributes = (id: string) =>
  rds.send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: id }));

describe('simulated snapshot attributes against the real RDSClient', () => {
  it('answers the restore attribute with no value for a snapshot shared with none', async () => {
    const answer = await instanceAttributes('of-this-db');
    expect(answer.DBSnapshotAttributesResult).toEqual({
      DBSnapshotIdentifier: 'of-this-db',
      DBSnapshotAttributes: [{ AttributeName: 'restore', AttributeValues: [] }],
    });
  });

  it('names the accounts an instance snapshot is shared with, and all for a public cluster snapshot', async () => {
    const shared = await instanceAttributes('dr-snap');
    const cluster = await rds.send(
      new DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier: 'public-cluster-snap' }),
    );
    expect(shared.DBSnapshotAttributesResult?.DBSnapshotAttributes).toEqual([
      { AttributeName: 'restore', AttributeValues: ['222222222222'] },
    ]);
    expect(cluster.DBClusterSnapshotAttributesResult).toEqual({
      DBClusterSnapshotIdentifier: 'public-cluster-snap',
      DBClusterSnapshotAttributes: [{ AttributeName: 'restore', AttributeValues: ['all'] }],
    });
  });

  it('answers DBSnapshotNotFound (404) and DBClusterSnapshotNotFoundFault (404) for an unknown snapshot', async () => {
    await expect(instanceAttributes('no-such-snap')).rejects.toMatchObject({
      name: 'DBSnapshotNotFoundFault',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(
      rds.send(new DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier: 'dr-snap' })),
    ).rejects.toMatchObject({ name: 'DBClusterSnapshotNotFoundFault', $metadata: { httpStatusCode: 404 } });
  });

  it('refuses the read with AccessDenied (403) where the scenario denies it', async () => {
    await expect(instanceAttributes('locked-snap')).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
      message: expect.stringContaining('rds:DescribeDBSnapshotAttributes'),
    });
  });
});
