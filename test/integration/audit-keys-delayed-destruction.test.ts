/**
 * Delayed destruction of a GCP secret version against the simulator's Secret Manager: with the
 * secret's `versionDestroyTtl` set, destroying a version leaves it DISABLED with a
 * `scheduledDestroyTime` until the delay ends
 * (https://cloud.google.com/secret-manager/docs/delay-destruction-of-secret-versions), and enabling
 * it restores it. The simulator answers that shape only: a version scheduled for destruction that is
 * not DISABLED, or on a secret without a destruction delay, is refused as a scenario.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../functions/core/policy.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import { gcpCollectors } from '../../functions/gcp/collectors.ts';
import { withSecretManager } from '../../functions/gcp/secret-manager.ts';
import { runAuditReport } from '../../functions/jobs/audit.ts';
import { parseScenario } from '../sim/scenario.ts';
import { type Sim, startSim } from '../sim/server.ts';

const PROJECT = 'certctl-prod';
const SECRET = `projects/${PROJECT}/secrets/destroying`;

let sim: Sim;

beforeAll(async () => {
  sim = await startSim({
    scenario: {
      services: {
        secretManager: {
          secrets: [
            {
              project: PROJECT,
              name: 'destroying',
              versionDestroyTtl: '86400s',
              versions: [
                { value: 'old' },
                { state: 'DISABLED', scheduledDestroyTime: '2030-01-02T00:00:00Z', value: 'new' },
              ],
            },
          ],
        },
      },
    },
  });
});

afterAll(async () => {
  await sim.close();
});

describe('a GCP secret whose latest version is scheduled for destruction', () => {
  it('is answered as Secret Manager answers it: the secret with its delay, the version DISABLED until then', async () => {
    // Act
    const secret = (await (await fetch(`${sim.endpoint}/v1/${SECRET}`)).json()) as Record<string, unknown>;
    const version = (await (await fetch(`${sim.endpoint}/v1/${SECRET}/versions/latest`)).json()) as Record<
      string,
      unknown
    >;

    // Assess
    expect(secret.versionDestroyTtl).toBe('86400s');
    expect(version).toMatchObject({
      name: `${SECRET}/versions/2`,
      state: 'DISABLED',
      scheduledDestroyTime: '2030-01-02T00:00:00.000Z',
    });
  });

  it('fails keys.not-deleting with the command that restores the version, and reads no value of it', async () => {
    // Prepare
    const policy = parsePolicy({
      gcp: { projects: [PROJECT] },
      keys: {
        preset: 'none',
        inspectSecretValues: true,
        items: { 'config-key': { kind: 'opaque', secret: SECRET } },
      },
    });
    const clients = withSecretManager(new GcpClientFactory({ endpoint: sim.endpoint }));
    sim.resetStats();

    // Act
    const report = await runAuditReport(
      { providers: ['gcp'], groups: ['keys'] },
      { policy, gcp: { clients, collectors: gcpCollectors } },
    ).finally(() => clients.close());

    // Assess
    const of = (checkId: string) => report.findings.find((f) => f.checkId === checkId);
    expect(report.scopes.map((scope) => scope.status)).toEqual(['complete']);
    expect(of('keys.not-deleting')).toMatchObject({
      status: 'FAILED',
      description: `The secret ${SECRET} (config-key) has its latest version (the most recently added; older versions were not read) scheduled for destruction on 2030-01-02T00:00:00.000Z.`,
      observed: { latestVersionState: 'DISABLED', latestVersion: '2' },
    });
    expect(of('keys.not-deleting')?.remediation.text).toBe(
      `Enable the latest version: \`gcloud secrets versions enable 2 --secret=destroying --project=${PROJECT}\`.`,
    );
    expect(of('keys.replicated')?.status).toBe('FAILED');
    expect(of('keys.content')?.status).toBe('NOT_AVAILABLE');
    expect(of('keys.content')?.description).toContain('its latest version is DISABLED');
    expect(sim.stats().byOperation['secretManager:versions.access']).toBeUndefined();
  });

  it('is refused as a scenario when the version is not DISABLED, or the secret has no destruction delay', () => {
    const scenario = (secret: Record<string, unknown>) => ({
      services: { secretManager: { secrets: [{ project: PROJECT, name: 's', ...secret }] } },
    });
    const scheduled = { scheduledDestroyTime: '+1d' };
    expect(() =>
      parseScenario(
        scenario({ versionDestroyTtl: '86400s', versions: [{ state: 'ENABLED', ...scheduled }] }),
      ),
    ).toThrow(/scheduledDestroyTime.*DISABLED/);
    expect(() => parseScenario(scenario({ versions: [{ state: 'DISABLED', ...scheduled }] }))).toThrow(
      /versionDestroyTtl/,
    );
    expect(() =>
      parseScenario(
        scenario({ versionDestroyTtl: '86400s', versions: [{ state: 'DISABLED', ...scheduled }] }),
      ),
    ).not.toThrow();
  });
});
