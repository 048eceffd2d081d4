/**
 * Simulated Cloud SQL pages are as heavy as real ones: each `DatabaseInstance` carries the documented
 * fields the audit never reads (addresses, the server CA certificate, networking, maintenance,
 * flags), so the GCP benchmark decodes realistic pages.
 */
import { describe, expect, it } from 'vitest';
import { loadScenario } from './scenario.ts';
import { startSim } from './server.ts';
import { CloudSqlSim } from './services/cloud-sql.ts';

describe('simulated Cloud SQL instance sizes', () => {
  it('serves instances.list items near the size of real ones, with the fields the service documents', async () => {
    // Prepare
    const sim = await startSim({ scenario: await loadScenario('test/sim/scenarios/demo-gcp.yaml') });
    try {
      // Act: the page as the REST client asks for it (numeric enums).
      const response = await fetch(
        `${sim.endpoint}/v1/projects/certctl-prod/instances?$alt=json;enum-encoding=int`,
      );
      const page = (await response.json()) as { items: Record<string, unknown>[] };

      // Assess: a real instance is about 3.5-4.5 KB of compact JSON, 1.3 KB of it the CA's PEM (an
      // estimate from the documented representation; the audit reads about 0.8 KB of it).
      const sizes = page.items.map((item) => Buffer.byteLength(JSON.stringify(item)));
      const mean = sizes.reduce((sum, size) => sum + size, 0) / sizes.length;
      expect(mean).toBeGreaterThan(3_300);
      expect(mean).toBeLessThan(5_000);
      const first = page.items[0] ?? {};
      for (const field of [
        'ipAddresses',
        'serverCaCert',
        'serviceAccountEmailAddress',
        'etag',
        'maintenanceVersion',
      ]) {
        expect(first).toHaveProperty(field);
      }
      expect(first).toHaveProperty('settings.ipConfiguration.sslMode');
      expect(String((first.serverCaCert as { cert: string }).cert)).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    } finally {
      await sim.close();
    }
  });

  it('gives each instance its own server CA certificate, the same on every read', async () => {
    // Prepare
    const sim = await startSim({ scenario: await loadScenario('test/sim/scenarios/demo-gcp.yaml') });
    try {
      const read = async () => {
        const response = await fetch(
          `${sim.endpoint}/v1/projects/certctl-prod/instances?$alt=json;enum-encoding=int`,
        );
        return (await response.json()) as { items: { name: string; serverCaCert: { cert: string } }[] };
      };

      // Act
      const first = await read();
      const second = await read();

      // Assess
      const certs = first.items.map((item) => item.serverCaCert.cert);
      expect(new Set(certs).size).toBe(certs.length);
      expect(certs.length).toBeGreaterThan(1);
      expect(second.items.map((item) => item.serverCaCert.cert)).toEqual(certs);
    } finally {
      await sim.close();
    }
  });
});

describe('simulated Cloud SQL transaction-log days', () => {
  const section = (edition: string, days: number, impossible?: boolean) => ({
    projects: {
      'certctl-prod': {
        instances: [
          {
            name: 'db',
            edition,
            backups: {
              transactionLogRetentionDays: days,
              ...(impossible === undefined ? {} : { impossible }),
            },
          },
        ],
      },
    },
  });

  it('refuses more than 7 log days on ENTERPRISE, as Cloud SQL refuses to set them', () => {
    expect(() => new CloudSqlSim(section('ENTERPRISE', 30))).toThrow(
      /services\.cloudSql\.projects\.certctl-prod\.instances\.0\.backups\.transactionLogRetentionDays: .*1-7 days on ENTERPRISE/,
    );
    expect(() => new CloudSqlSim(section('ENTERPRISE', 7))).not.toThrow();
    expect(() => new CloudSqlSim(section('ENTERPRISE_PLUS', 35))).not.toThrow();
  });

  it('holds an impossible state a test seeds on purpose, to prove the audit does not trust it', () => {
    expect(() => new CloudSqlSim(section('ENTERPRISE', 30, true))).not.toThrow();
  });
});

describe('simulated Cloud SQL getLatestRecoveryTime by where the logs are', () => {
  const NOW = new Date('2026-03-01T12:00:00Z');
  const recoveryTime = (logStorage: string) => {
    const sim = new CloudSqlSim(
      {
        projects: {
          'certctl-prod': {
            instances: [{ name: 'db', databaseVersion: 'MYSQL_8_0', backups: { logStorage } }],
          },
        },
      },
      { now: () => NOW },
    );
    const request = {
      method: 'GET',
      path: '/v1/projects/certctl-prod/instances/db/getLatestRecoveryTime',
      query: new URLSearchParams(),
      headers: {},
      body: Buffer.alloc(0),
      signingRegion: undefined,
      signingService: undefined,
      accessKeyId: undefined,
      callerAccount: undefined,
    };
    expect(sim.matches(request)).toBe(true);
    return sim.handle(request, { now: () => NOW });
  };

  it('reports the window for logs switched to Cloud Storage, where they now are', () => {
    // SWITCHED_TO_CLOUD_STORAGE: the logs "are now stored in Cloud Storage" (TransactionalLogStorageState).
    const response = recoveryTime('SWITCHED_TO_CLOUD_STORAGE');
    expect(response.status).toBe(200);
    expect(JSON.parse(String(response.body))).toMatchObject({ kind: 'sql#getLatestRecoveryTime' });
    expect(recoveryTime('CLOUD_STORAGE').status).toBe(200);
  });

  it('still refuses logs on disk or mid-switch', () => {
    expect(recoveryTime('DISK').status).toBe(400);
    expect(recoveryTime('SWITCHING_TO_CLOUD_STORAGE').status).toBe(400);
  });
});
