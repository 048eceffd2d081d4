/**
 * The GCP keys audit against the simulator's Secret Manager and Cloud KMS, through the real REST
 * clients (withSecretManager): each state of the Cloud KMS key version that protects a secret's
 * latest version, a key the audit may not read, Google-managed encryption, and one read per key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport } from '../../functions/core/audit.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import { gcpCollectors } from '../../functions/gcp/collectors.ts';
import { withSecretManager } from '../../functions/gcp/secret-manager.ts';
import { runAuditReport } from '../../functions/jobs/audit.ts';
import { type Sim, startSim } from '../sim/server.ts';

const PROJECT = 'certctl-prod';
const RING = 'projects/certctl-kms/locations/global/keyRings/certctl';
const KEY = `${RING}/cryptoKeys/backup`;
const DENIED = `${RING}/cryptoKeys/locked`;
/** A key whose one version, its primary, is DESTROYED: no new version of a secret can be added under it. */
const LOST = `${RING}/cryptoKeys/lost`;
const REGIONAL = `projects/certctl-kms/locations/europe-west1/keyRings/certctl/cryptoKeys/backup`;
/** The secret ids of the cases, each backing one opaque inventory item of the same name. */
const CASES = [
  'enabled',
  'shared',
  'disabled',
  'scheduled',
  'destroyed',
  'denied',
  'regional',
  'google',
  'lost-primary',
];

let sim: Sim;

beforeAll(async () => {
  const secret = (name: string, kmsKeyName: string | undefined, kmsKeyVersion: number, extra = {}) => ({
    project: PROJECT,
    name,
    ...(kmsKeyName ? { kmsKeyName } : {}),
    versions: [{ value: 'v', kmsKeyVersion }],
    ...extra,
  });
  sim = await startSim({
    scenario: {
      services: {
        secretManager: {
          secrets: [
            secret('enabled', KEY, 1),
            secret('shared', KEY, 1),
            secret('disabled', KEY, 2),
            secret('scheduled', KEY, 3),
            secret('destroyed', KEY, 4),
            secret('denied', DENIED, 1),
            secret('regional', REGIONAL, 1, { replication: ['europe-west1'] }),
            secret('google', undefined, 1),
            secret('lost-primary', LOST, 1),
          ],
        },
        cloudKms: {
          keys: [
            {
              name: KEY,
              primary: 1,
              versions: [
                { state: 'ENABLED' },
                { state: 'DISABLED' },
                { state: 'DESTROY_SCHEDULED', destroyTime: '2026-12-31T00:00:00Z' },
                { state: 'DESTROYED' },
              ],
            },
            { name: DENIED, denied: true },
            { name: LOST, primary: 1, versions: [{ state: 'DESTROYED' }] },
            { name: REGIONAL, versions: [{ state: 'ENABLED' }] },
          ],
        },
      },
    },
  });
});

afterAll(async () => {
  await sim.close();
});

async function audit(inspectSecretValues: boolean): Promise<AuditReport> {
  const policy = parsePolicy({
    gcp: { projects: [PROJECT] },
    keys: {
      preset: 'none',
      inspectSecretValues,
      items: Object.fromEntries(
        CASES.map((name) => [name, { kind: 'opaque', secret: `projects/${PROJECT}/secrets/${name}` }]),
      ),
    },
  });
  const clients = withSecretManager(new GcpClientFactory({ endpoint: sim.endpoint }));
  try {
    return await runAuditReport(
      { providers: ['gcp'], groups: ['keys'] },
      { policy, gcp: { clients, collectors: gcpCollectors } },
    );
  } finally {
    await clients.close();
  }
}

function finding(report: AuditReport, secret: string, checkId = 'keys.not-deleting') {
  return report.findings.find(
    (f) => f.resource.id === `projects/${PROJECT}/secrets/${secret}` && f.checkId === checkId,
  );
}

describe('GCP keys audit reading Cloud KMS in the simulator', () => {
  it('judges each secret by the state of the key version protecting its latest version', async () => {
    // Prepare
    sim.resetStats();

    // Act
    const report = await audit(false);

    // Assess
    expect(report.scopes.filter((scope) => scope.status !== 'complete')).toEqual([]);
    expect(finding(report, 'enabled')?.status).toBe('PASSED');
    expect(finding(report, 'regional')?.status).toBe('PASSED');
    expect(finding(report, 'google')?.status).toBe('PASSED');
    expect(finding(report, 'disabled')).toMatchObject({
      status: 'FAILED',
      observed: { keyState: 'DISABLED', keyVersion: `${KEY}/cryptoKeyVersions/2` },
    });
    const scheduled = finding(report, 'scheduled');
    expect(scheduled?.status).toBe('FAILED');
    expect(scheduled?.observed.keyState).toBe('DESTROY_SCHEDULED');
    expect(scheduled?.description).toContain('(destruction on 2026-12-31T00:00:00.000Z)');
    expect(scheduled?.remediation.text).toContain(
      '`gcloud kms keys versions restore 3 --key=backup --keyring=certctl --location=global --project=certctl-kms`',
    );
    expect(finding(report, 'destroyed')?.observed.keyState).toBe('DESTROYED');
    const denied = finding(report, 'denied');
    expect(denied?.status).toBe('NOT_AVAILABLE');
    expect(denied?.description).toContain('cloudkms.cryptoKeyVersions.get');
    expect(denied?.description).toContain('roles/cloudkms.viewer');
    // keys.cmk: a customer-managed key whose state could not be read proves no protection, and one
    // scheduled for destruction or disabled protects nothing for long.
    expect(finding(report, 'denied', 'keys.cmk')).toMatchObject({
      status: 'NOT_AVAILABLE',
      observed: { keyManager: 'CUSTOMER', keyState: null },
    });
    expect(finding(report, 'denied', 'keys.cmk')?.description).toContain('could not be read');
    expect(finding(report, 'scheduled', 'keys.cmk')).toMatchObject({
      status: 'FAILED',
      observed: { keyState: 'DESTROY_SCHEDULED', keyVersion: `${KEY}/cryptoKeyVersions/3` },
    });
    expect(finding(report, 'disabled', 'keys.cmk')?.status).toBe('FAILED');
    expect(finding(report, 'enabled', 'keys.cmk')?.status).toBe('PASSED');
    // The key material of a version that is also its key's primary is gone: a new version of the
    // secret, the fix, needs an ENABLED primary first; the backup key's primary (1) is ENABLED.
    const lost = finding(report, 'lost-primary');
    expect(lost?.status).toBe('FAILED');
    expect(lost?.remediation.text).toContain(
      `${LOST}/cryptoKeyVersions/1 is also the key's primary version, which Secret Manager encrypts new versions with`,
    );
    expect(lost?.remediation.text).toContain(
      "`gcloud kms keys set-primary-version lost --keyring=certctl --location=global --project=certctl-kms --version='<enabled-version>'`",
    );
    expect(finding(report, 'destroyed')?.remediation.text).not.toContain('set-primary-version');
    // One read per distinct key version: enabled and shared use the same one; none for Google-managed.
    // The key itself (its primary) once per key, only for the versions that cannot decrypt.
    const { byOperation } = sim.stats();
    expect(byOperation['cloudKms:cryptoKeyVersions.get']).toBe(7);
    expect(byOperation['cloudKms:cryptoKeys.get']).toBe(2);
  });

  it('cannot read the value of a secret whose key version does not decrypt, and says so', async () => {
    // Act
    const report = await audit(true);

    // Assess: the content was not proven, and not-deleting names the key version.
    expect(finding(report, 'enabled', 'keys.content')?.status).toBe('PASSED');
    expect(finding(report, 'scheduled', 'keys.content')?.status).toBe('NOT_AVAILABLE');
    expect(finding(report, 'scheduled', 'keys.content')?.description).toContain('FAILED_PRECONDITION');
    expect(finding(report, 'scheduled')?.status).toBe('FAILED');
  });
});
