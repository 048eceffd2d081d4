import { describe, expect, it } from 'vitest';
import { DEFAULT_ACCOUNT_ID } from './accounts.ts';
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
