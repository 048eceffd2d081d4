/**
 * A Secrets Manager secret stored as SecretBinary (`create-secret --secret-binary`): GetSecretValue
 * and BatchGetSecretValue answer `SecretBinary` (base64 in the JSON protocol, bytes once the SDK has
 * decoded it) and no `SecretString`
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html). Through
 * the real SDK clients and the audit, keys.content judges such a value as it judges a string: the
 * CA certificate stored as binary is matched with its key, and a key of another certificate fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport } from '../../functions/core/audit.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { CANARY } from '../fixtures/keys/world.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { awsKeysAudit } from './support.ts';

const ACCOUNT = '111111111111';
const DIR = 'test/fixtures/keys';
const arn = (name: string) => `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:${name}`;

let sim: Sim;

beforeAll(async () => {
  sim = await startSim({
    scenario: {
      accounts: [{ id: ACCOUNT }],
      regions: [{ name: 'eu-west-1' }],
      services: {
        secretsManager: {
          secrets: [
            { name: 'certctl/ca-cert', region: 'eu-west-1', binary: true, value: { file: `${DIR}/ca.crt` } },
            { name: 'certctl/ca-key', region: 'eu-west-1', value: { file: `${DIR}/ca.key` } },
            { name: 'certctl/ra-cert', region: 'eu-west-1', binary: true, value: { file: `${DIR}/ra.crt` } },
            {
              name: 'certctl/ra-key',
              region: 'eu-west-1',
              binary: true,
              value: { file: `${DIR}/other.key` },
            },
            {
              name: 'certctl/broken',
              region: 'eu-west-1',
              binary: true,
              value: `-----BEGIN CERTIFICATE-----\n${CANARY}AAAA\n-----END CERTIFICATE-----\n`,
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

async function audit(): Promise<AuditReport> {
  const off = { off: 'not part of this deployment' };
  const policy = parsePolicy({
    aws: { regions: ['eu-west-1'] },
    keys: {
      inspectSecretValues: true,
      ocspIssuers: [],
      items: {
        'ca-cert': { secret: arn('certctl/ca-cert') },
        'ca-key': { secret: arn('certctl/ca-key') },
        'scep-ra-cert': { secret: arn('certctl/ra-cert') },
        'scep-ra-key': { secret: arn('certctl/ra-key') },
        'server-tls-cert': off,
        'server-tls-key': off,
        'api-keys': off,
        'config-encryption-key': off,
        extra: { kind: 'certificate', secret: arn('certctl/broken') },
      },
    },
  });
  return awsKeysAudit(sim.endpoint, policy);
}

const content = (report: AuditReport, name: string) =>
  report.findings.find((f) => f.checkId === 'keys.content' && f.resource.id === name);

describe('a Secrets Manager secret stored as SecretBinary', () => {
  it('is judged by keys.content from its bytes: matched, mismatched, unparseable without echoing it', async () => {
    // Act
    const report = await audit();

    // Assess
    expect(content(report, 'certctl/ca-cert')?.status).toBe('PASSED');
    const caKey = content(report, 'certctl/ca-key');
    expect(caKey?.status).toBe('PASSED');
    expect(caKey?.description).toContain('ca-key matches ca-cert');
    expect(content(report, 'certctl/ra-cert')?.description).toContain('scep-ra-cert is signed by ca-cert');
    const raKey = content(report, 'certctl/ra-key');
    expect(raKey?.status).toBe('FAILED');
    expect(raKey?.observed.problems).toBe('key-mismatch');
    const broken = content(report, 'certctl/broken');
    expect(broken?.status).toBe('FAILED');
    expect(broken?.observed.problems).toBe('certificate-unparseable');
    expect(JSON.stringify(report)).not.toContain(CANARY);
  });
});
