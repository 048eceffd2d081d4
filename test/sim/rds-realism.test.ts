import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ACCOUNT_ID, simCredentials } from './accounts.ts';
import { generateFleet } from './fleet.ts';
import { renderXml } from './protocols/aws-query.ts';
import { startSim } from './server.ts';
import { clusterXml, instanceXml, type RdsService } from './services/rds.ts';

/** Elements in an XML fragment: every start tag, self-closing ones included. */
function elementCount(xml: string): number {
  return xml.match(/<[A-Za-z]/g)?.length ?? 0;
}

describe('simulated RDS member sizes', () => {
  it('serves DBInstance and DBCluster members near the size of real ones when a fleet is generated', async () => {
    // Prepare: a small generated fleet, rendered as DescribeDBInstances/DescribeDBClusters members.
    const sim = await startSim({
      scenario: generateFleet({ instances: 40, clusters: 10, regions: 1, membersPerCluster: 2, seed: 3 }),
    });
    try {
      const rds = sim.service<RdsService>('rds');
      const region = 'us-east-1';
      const now = new Date();

      // Act
      const instances = rds.store
        .instances(DEFAULT_ACCOUNT_ID, region)
        .filter((instance) => !instance.dbClusterIdentifier)
        .map((instance) => renderXml('DBInstance', instanceXml(instance), now));
      const clusters = rds.store
        .clusters(DEFAULT_ACCOUNT_ID, region)
        .map((cluster) => renderXml('DBCluster', clusterXml(cluster), now));

      // Assess: a real DBInstance member is ~4.9 KB with ~117 elements (the measurement).
      const mean = (values: number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length;
      const instanceBytes = mean(instances.map((xml) => Buffer.byteLength(xml)));
      const instanceElements = mean(instances.map(elementCount));
      expect(instanceBytes).toBeGreaterThan(4_500);
      expect(instanceBytes).toBeLessThan(5_300);
      expect(instanceElements).toBeGreaterThan(105);
      expect(instanceElements).toBeLessThan(130);
      const clusterBytes = mean(clusters.map((xml) => Buffer.byteLength(xml)));
      expect(clusterBytes).toBeGreaterThan(3_500);
      expect(clusterBytes).toBeLessThan(6_000);
    } finally {
      await sim.close();
    }
  });
});

describe('simulated RDS snapshots being created', () => {
  // A snapshot in progress has no creation time: "an in-progress snapshot does not have a Create
  // Time" (KeyError 'SnapshotCreateTime', https://github.com/awslabs/rds-snapshot-tool/issues/45);
  // RDS sends it once the snapshot is created. The simulator must not date one that real RDS does not.
  it('sends no SnapshotCreateTime (nor OriginalSnapshotCreateTime) while a snapshot is creating, and sends it once available', async () => {
    // Prepare: an instance and a cluster whose snapshots take a minute of simulator time.
    const start = new Date('2026-12-03T12:00:00.000Z');
    let now = start;
    const region = 'eu-west-1';
    const sim = await startSim({
      scenario: {
        regions: [{ name: region }],
        services: {
          rds: {
            instances: [{ id: 'certctl-db', region }],
            clusters: [{ id: 'certctl-aurora', region, members: [{ id: 'certctl-aurora-1', writer: true }] }],
            snapshots: { defaultDurationMs: 60_000 },
          },
        },
      },
      clock: () => now,
    });
    const rds = new RDSClient({
      region,
      endpoint: sim.endpoint,
      credentials: simCredentials(),
      maxAttempts: 1,
    });
    try {
      const created = await rds.send(
        new CreateDBSnapshotCommand({
          DBInstanceIdentifier: 'certctl-db',
          DBSnapshotIdentifier: 'in-flight',
        }),
      );
      const clusterCreated = await rds.send(
        new CreateDBClusterSnapshotCommand({
          DBClusterIdentifier: 'certctl-aurora',
          DBClusterSnapshotIdentifier: 'cluster-in-flight',
        }),
      );
      const describe = async () => ({
        instance: (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'in-flight' })))
          .DBSnapshots?.[0],
        cluster: (
          await rds.send(
            new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: 'cluster-in-flight' }),
          )
        ).DBClusterSnapshots?.[0],
      });

      // Act
      const during = await describe();
      now = new Date(start.getTime() + 120_000);
      const after = await describe();

      // Assess: undated while creating (the create answers too), dated with the ask's time once available.
      for (const snapshot of [created.DBSnapshot, during.instance]) {
        expect(snapshot?.Status).toBe('creating');
        expect(snapshot?.SnapshotCreateTime).toBeUndefined();
        expect(snapshot?.OriginalSnapshotCreateTime).toBeUndefined();
      }
      for (const snapshot of [clusterCreated.DBClusterSnapshot, during.cluster]) {
        expect(snapshot?.Status).toBe('creating');
        expect(snapshot?.SnapshotCreateTime).toBeUndefined();
      }
      expect(after.instance?.Status).toBe('available');
      expect(after.instance?.SnapshotCreateTime).toEqual(start);
      expect(after.instance?.OriginalSnapshotCreateTime).toEqual(start);
      expect(after.cluster?.Status).toBe('available');
      expect(after.cluster?.SnapshotCreateTime).toEqual(start);
    } finally {
      rds.destroy();
      await sim.close();
    }
  });
});
