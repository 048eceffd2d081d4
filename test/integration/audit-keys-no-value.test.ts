/**
 * A Secrets Manager secret created without SecretString or SecretBinary has no version: DescribeSecret
 * leaves out `VersionIdsToStages` (it "only returns fields that have a value") and GetSecretValue
 * finds no value labelled AWSCURRENT. Through the real SDK clients and the audit, such a backup fails
 * keys.not-deleting, with content inspection off and on, and the content check never passes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport } from '../../functions/core/audit.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { awsKeysAudit } from './support.ts';

const ACCOUNT = '111111111111';

let sim: Sim;

beforeAll(async () => {
  sim = await startSim({
    scenario: {
      accounts: [{ id: ACCOUNT }],
      regions: [{ name: 'eu-west-1' }],
      services: {
        secretsManager: {
          secrets: [
            { name: 'certctl/auth-secret', region: 'eu-west-1', createdWithoutValue: true },
            { name: 'certctl/config-key', region: 'eu-west-1', value: 'a-config-encryption-key' },
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
    aws: { regions: ['eu-west-1'] },
    keys: {
      preset: 'none',
      inspectSecretValues,
      items: {
        'api-keys': {
          kind: 'opaque',
          secret: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:certctl/auth-secret`,
        },
        'config-encryption-key': {
          kind: 'opaque',
          secret: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:certctl/config-key`,
        },
      },
    },
  });
  return awsKeysAudit(sim.endpoint, policy);
}

function finding(report: AuditReport, checkId: string, secret: string) {
  return report.findings.find((f) => f.checkId === checkId && f.resource.id.includes(secret));
}

describe('a Secrets Manager secret created without a value', () => {
  it.each([false, true])(
    'fails keys.not-deleting with a put-secret-value remediation, and passes the secret with a value, when inspectSecretValues is %s',
    async (inspectSecretValues) => {
      // Act
      const report = await audit(inspectSecretValues);

      // Assess
      const empty = finding(report, 'keys.not-deleting', 'certctl/auth-secret');
      expect(empty?.status).toBe('FAILED');
      expect(empty?.remediation.text).toContain('put-secret-value');
      expect(finding(report, 'keys.not-deleting', 'certctl/config-key')?.status).toBe('PASSED');
    },
  );

  it('never passes the content of the secret without a value, saying why, when inspectSecretValues is on', async () => {
    // Act
    const report = await audit(true);

    // Assess
    const content = finding(report, 'keys.content', 'certctl/auth-secret');
    expect(content).toBeDefined();
    expect(['NOT_AVAILABLE', 'FAILED']).toContain(content?.status);
    expect(content?.description).toMatch(/no value|AWSCURRENT/);
    expect(finding(report, 'keys.content', 'certctl/config-key')?.status).toBe('PASSED');
  });
});
