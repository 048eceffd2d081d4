import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import type { Sim } from '../sim/server.ts';
import { cloudSqlScenario, instance, PROJECT, startGcpSim } from './sim-setup.ts';

/** The methods of every lean route built, in order (the factory imports the module on first use). */
const routed = vi.hoisted(() => [] as string[][]);
vi.mock('../../functions/gcp/cloud-sql-clients.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../functions/gcp/cloud-sql-clients.ts')>();
  return {
    ...original,
    leanRoute: (client: unknown, methods: readonly string[]) => {
      routed.push([...methods]);
      return original.leanRoute(client, methods as never);
    },
  };
});

describe('the read routes of the audit', () => {
  let sim: Sim;
  let factory: GcpClientFactory | undefined;

  beforeAll(async () => {
    ({ sim } = await startGcpSim(
      cloudSqlScenario([instance('no-pitr', { backups: { pointInTimeRecovery: false } })]),
    ));
  });
  afterAll(async () => sim.close());
  afterEach(async () => {
    await factory?.close();
    factory = undefined;
    routed.length = 0;
  });

  // The audit reads backupRuns.list for every instance without PITR; made on that first call, its
  // client and route cost a few milliseconds of CPU in the middle of the audit's first requests.
  it('prepares the backupRuns route after the first instances.list, before any backupRuns call', async () => {
    factory = new GcpClientFactory({ endpoint: sim.endpoint });
    const api = factory.cloudSql();
    await api.instances.list({ project: PROJECT });
    await vi.waitFor(() => expect(routed).toContainEqual(['backupRuns.list']));
    const [answer] = await api.backupRuns.list({ project: PROJECT, instance: 'no-pitr' });
    expect(answer.items?.length).toBeGreaterThan(0);
    // Built once: the call used the prepared route.
    expect(routed.filter((methods) => methods.includes('backupRuns.list'))).toHaveLength(1);
  });

  it('prepares nothing with the lean path off', async () => {
    factory = new GcpClientFactory({ endpoint: sim.endpoint, leanDecoding: false });
    await factory.cloudSql().instances.list({ project: PROJECT });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(routed).toEqual([]);
  });
});
