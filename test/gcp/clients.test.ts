import { afterEach, describe, expect, it } from 'vitest';
import {
  CLOUD_SQL_ENDPOINT_ENV,
  CLOUD_SQL_READ_TIMEOUT_MS,
  GcpClientFactory,
} from '../../functions/gcp/clients.ts';
import type { Sim } from '../sim/server.ts';
import { cloudSqlScenario, instance, PROJECT, startGcpSim } from './sim-setup.ts';

/** The part of gax's per-call settings that bounds a call. */
interface EffectiveSettings {
  readonly timeout: number;
  readonly retry?: { readonly backoffSettings: { readonly totalTimeoutMillis: number } };
}

describe('GcpClientFactory', () => {
  let sim: Sim | undefined;
  let factory: GcpClientFactory | undefined;

  afterEach(async () => {
    await factory?.close();
    await sim?.close();
    sim = undefined;
    factory = undefined;
  });

  it('refuses a malformed endpoint override when it is constructed', () => {
    // Act
    const creating = () => new GcpClientFactory({ endpoint: '127.0.0.1 port 80' });

    // Assess
    expect(creating).toThrow(/is not a URL such as http:\/\/127\.0\.0\.1:4510/);
  });

  it('targets the public Cloud SQL Admin endpoint when no override is given', () => {
    // Act
    factory = new GcpClientFactory();

    // Assess
    expect(factory.instances().apiEndpoint).toBe('sqladmin.googleapis.com');
  });

  it('caches one client per service when asked repeatedly', () => {
    // Prepare
    factory = new GcpClientFactory({ endpoint: 'http://127.0.0.1:9' });

    // Act / Assess
    expect(factory.instances()).toBe(factory.instances());
    expect(factory.backupRuns()).toBe(factory.cloudSql().backupRuns);
  });

  it('puts the configured read timeout in effect for every call when the method default differs', () => {
    // Prepare
    factory = new GcpClientFactory({ endpoint: 'http://127.0.0.1:9' });
    const clients = [factory.instances(), factory.backupRuns()] as unknown as {
      _defaults: Record<string, { merge(options: object): EffectiveSettings }>;
    }[];

    // Act: the settings gax builds for a call (it merges the call's options into the defaults).
    const effective = clients.flatMap((client) =>
      ['list', 'get'].map((method) => client._defaults[method]?.merge({})),
    );

    // Assess
    for (const settings of effective) {
      expect(settings?.timeout).toBe(CLOUD_SQL_READ_TIMEOUT_MS);
      expect(settings?.retry?.backoffSettings.totalTimeoutMillis).toBe(CLOUD_SQL_READ_TIMEOUT_MS);
    }
  });

  it('reaches the simulator over REST without credentials when the environment names it', async () => {
    // Prepare
    ({ sim } = await startGcpSim(cloudSqlScenario([instance('db-1'), instance('db-2')])));
    factory = GcpClientFactory.fromEnv({ [CLOUD_SQL_ENDPOINT_ENV]: sim.endpoint });

    // Act
    const [page] = await factory.instances().list({ project: PROJECT });

    // Assess
    expect(page.items?.map((item) => item.name)).toEqual(['db-1', 'db-2']);
    expect(page.items?.[0]?.settings?.backupConfiguration?.enabled).toEqual({ value: true });
  });
});
