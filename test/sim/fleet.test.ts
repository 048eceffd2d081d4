import { DescribeDBClustersCommand, paginateDescribeDBInstances, RDSClient } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { simCredentials } from './accounts.ts';
import { FLEET_REGIONS, generateFleet } from './fleet.ts';
import { type Sim, startSim } from './server.ts';

type FleetRds = {
  instances: { id: string; region: string; tags?: Record<string, string>; backupRetentionPeriod?: number }[];
  clusters: { id: string; region: string; members?: unknown[] }[];
};

describe('generateFleet', () => {
  it('spreads the requested instances and clusters over the requested regions', () => {
    const fleet = generateFleet({
      instances: 5000,
      clusters: 1000,
      regions: 16,
      accountId: '444444444444',
      seed: 9,
    });
    const rds = fleet.services.rds as FleetRds;

    expect(rds.instances).toHaveLength(5000);
    expect(rds.clusters).toHaveLength(1000);
    expect(fleet.regions.map((region) => region.name)).toEqual(FLEET_REGIONS.slice(0, 16));
    expect(fleet.accounts.map((account) => account.id)).toEqual(['444444444444']);
    expect(new Set(rds.instances.map((instance) => instance.region)).size).toBe(16);
    expect(new Set(rds.instances.map((instance) => instance.id)).size).toBe(5000);
  });

  it('mixes healthy and failing settings and leaves some databases untagged', () => {
    const rds = generateFleet({ instances: 1000, clusters: 10, regions: 4, seed: 1 }).services
      .rds as FleetRds;
    const retention = rds.instances.map((instance) => instance.backupRetentionPeriod);

    expect(retention.filter((days) => days === 35).length).toBeGreaterThan(500);
    expect(retention.filter((days) => days === 0).length).toBeGreaterThan(0);
    expect(retention.filter((days) => days === 7 || days === 14 || days === 1).length).toBeGreaterThan(0);
    expect(
      rds.instances.filter((instance) => instance.tags?.['certctl:backup-guard'] !== 'enabled').length,
    ).toBeGreaterThan(0);
  });

  it('generates the same fleet when the seed is the same', () => {
    expect(generateFleet({ instances: 200, clusters: 20, regions: 3, seed: 5 })).toEqual(
      generateFleet({ instances: 200, clusters: 20, regions: 3, seed: 5 }),
    );
    expect(generateFleet({ instances: 200, clusters: 20, regions: 3, seed: 5 })).not.toEqual(
      generateFleet({ instances: 200, clusters: 20, regions: 3, seed: 6 }),
    );
  });

  it('refuses more regions than it knows', () => {
    expect(() => generateFleet({ instances: 1, clusters: 0, regions: FLEET_REGIONS.length + 1 })).toThrow(
      RangeError,
    );
  });

  it('is served by the simulator page by page when the fleet is large', async () => {
    const sim: Sim = await startSim({
      scenario: generateFleet({ instances: 5000, clusters: 1000, regions: 16, seed: 2 }),
    });
    const client = new RDSClient({
      region: 'us-east-1',
      endpoint: sim.endpoint,
      credentials: simCredentials(),
    });

    let instances = 0;
    for await (const page of paginateDescribeDBInstances({ client }, {}))
      instances += page.DBInstances?.length ?? 0;
    const clusters = await client.send(new DescribeDBClustersCommand({}));
    client.destroy();
    await sim.close();

    expect(instances).toBe(313);
    expect(clusters.DBClusters).toHaveLength(63);
    expect(sim.stats().byOperation['rds:DescribeDBInstances']).toBe(4);
  });

  it('adds member instances when members per cluster are asked for', () => {
    const rds = generateFleet({ instances: 0, clusters: 3, regions: 1, membersPerCluster: 2 }).services
      .rds as FleetRds;

    expect(rds.clusters.map((cluster) => cluster.members?.length)).toEqual([2, 2, 2]);
  });
});
