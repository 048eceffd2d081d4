/**
 * The key-material audit end to end: the real @aws-sdk/client-secrets-manager and client-kms, and
 * the Secret Manager REST client, against the simulator seeded with one secret per case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { awsCollectors } from '../../functions/aws/collectors.ts';
import type { AuditReport } from '../../functions/core/audit.ts';
import { type PolicyInput, parsePolicy } from '../../functions/core/policy.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import { gcpCollectors } from '../../functions/gcp/collectors.ts';
import { withSecretManager } from '../../functions/gcp/secret-manager.ts';
import { planAudit, runAuditReport } from '../../functions/jobs/audit.ts';
import { ACCOUNT, keysPolicy, keysScenario, PROJECT } from '../fixtures/keys/world.ts';
import { simCredentials } from '../sim/accounts.ts';
import { type Sim, startSim } from '../sim/server.ts';

let sim: Sim;

beforeAll(async () => {
  sim = await startSim({ scenario: keysScenario() });
});

afterAll(async () => {
  await sim.close();
});

async function audit(policyInput: PolicyInput): Promise<AuditReport> {
  const policy = parsePolicy(policyInput);
  const factory = new AwsClientFactory({
    maxAttempts: 2,
    credentials: simCredentials(),
    endpoint: sim.endpoint,
  });
  const gcp = withSecretManager(new GcpClientFactory({ endpoint: sim.endpoint }));
  try {
    return await runAuditReport(
      { providers: ['aws', 'gcp'], groups: ['keys'] },
      {
        policy,
        aws: { factory, collectors: awsCollectors },
        gcp: { clients: gcp, collectors: gcpCollectors },
      },
    );
  } finally {
    factory.destroy();
    await gcp.close();
  }
}

function statusOf(report: AuditReport, secret: string, checkId: string): string | undefined {
  return report.findings.find((f) => f.resource.id === secret && f.checkId === checkId)?.status;
}

describe('key-material audit against the simulator', () => {
  it('plans only the scopes the inventory names, reading no secret and listing no region, when the policy has an inventory', async () => {
    // Prepare
    const policy = parsePolicy(keysPolicy());
    const factory = new AwsClientFactory({
      maxAttempts: 1,
      credentials: simCredentials(),
      endpoint: sim.endpoint,
    });
    sim.resetStats();

    // Act
    const plan = await planAudit(
      { providers: ['aws', 'gcp'], groups: ['keys'] },
      {
        policy,
        aws: { factory, collectors: awsCollectors },
        gcp: { clients: new GcpClientFactory({ endpoint: sim.endpoint }), collectors: gcpCollectors },
      },
    );

    // Assess
    expect(
      plan.scopes
        .map((planned) => `${planned.scope.provider}/${planned.scope.account}/${planned.scope.region}`)
        .sort(),
    ).toEqual([`aws/${ACCOUNT}/eu-west-1`, `aws/${ACCOUNT}/us-east-1`, `gcp/${PROJECT}/*`]);
    expect(JSON.parse(JSON.stringify(plan.scopes))).toEqual(plan.scopes);
    // The caller's account (aws.accounts is empty), and nothing else: no region listing, no secret.
    expect(sim.stats().byOperation).toEqual({ 'sts:GetCallerIdentity': 1 });
    factory.destroy();
  });

  it('gives every seeded case its status when inspection is on', async () => {
    // Act
    const report = await audit(keysPolicy(true));

    // Assess
    expect(report.scopes.filter((scope) => scope.status !== 'complete')).toEqual([]);
    for (const check of [
      'keys.present',
      'keys.not-deleting',
      'keys.replicated',
      'keys.cmk',
      'keys.content',
    ]) {
      expect(statusOf(report, 'certctl/ca', check), check).toBe('PASSED');
    }
    expect(statusOf(report, 'certctl/scep-ra', 'keys.content')).toBe('FAILED');
    expect(
      report.findings.find((f) => f.resource.id === 'certctl/scep-ra' && f.checkId === 'keys.content')
        ?.observed.problems,
    ).toBe('key-mismatch');
    expect(statusOf(report, 'certctl/ocsp-iss-local', 'keys.not-deleting')).toBe('FAILED');
    // Its value is not asked for: Secrets Manager returns none for a secret marked for deletion.
    const deletingContent = report.findings.find(
      (f) => f.resource.id === 'certctl/ocsp-iss-local' && f.checkId === 'keys.content',
    );
    expect(deletingContent?.status).toBe('NOT_AVAILABLE');
    expect(deletingContent?.description).toContain('scheduled for deletion');
    // Its customer-managed key is pending deletion too: no protection for long, whoever manages it.
    const pendingKey = report.findings.find(
      (f) => f.resource.id === 'certctl/ocsp-iss-local' && f.checkId === 'keys.cmk',
    );
    expect(pendingKey).toMatchObject({
      status: 'FAILED',
      observed: { keyManager: 'CUSTOMER', keyState: 'PendingDeletion' },
    });
    expect(pendingKey?.description).toMatch(/is PendingDeletion \(deletion on \d{4}-\d\d-\d\dT/);
    expect(pendingKey?.remediation.text).toContain(
      '`aws kms cancel-key-deletion --key-id arn:aws:kms:eu-west-1:',
    );
    expect(statusOf(report, 'certctl/tls', 'keys.replicated')).toBe('FAILED');
    expect(statusOf(report, 'certctl/api-keys', 'keys.cmk')).toBe('FAILED');
    expect(statusOf(report, 'certctl/config-encryption-key', 'keys.replicated')).toBe('FAILED');
    expect(statusOf(report, 'certctl/trust-corp', 'keys.content')).toBe('FAILED');
    expect(
      report.findings.find((f) => f.resource.id === 'certctl/trust-corp' && f.checkId === 'keys.content')
        ?.observed.problems,
    ).toBe('certificate-expired');
    expect(statusOf(report, 'certctl/broken', 'keys.content')).toBe('FAILED');
    // Read, and not the JSON the policy maps the token into: the backup does not hold the item.
    const agent = report.findings.find(
      (f) => f.resource.id === 'certctl/agent' && f.checkId === 'keys.content',
    );
    expect(agent?.status).toBe('FAILED');
    expect(agent?.observed.problems).toBe('item-missing');
    expect(agent?.description).toContain(
      'agent-bootstrap-token is not in its secret: the secret is not a JSON object, so it has no key "token"',
    );
    expect(statusOf(report, 'certctl/missing', 'keys.present')).toBe('FAILED');
    expect(statusOf(report, 'certctl/missing', 'keys.replicated')).toBe('NOT_AVAILABLE');
    const gcpCa = `projects/${PROJECT}/secrets/certctl-ca-backup`;
    const gcpConfig = `projects/${PROJECT}/secrets/certctl-config-key`;
    // Its Cloud KMS key version, read from the simulator's Cloud KMS, is ENABLED.
    expect(statusOf(report, gcpCa, 'keys.not-deleting')).toBe('PASSED');
    expect(statusOf(report, gcpCa, 'keys.replicated')).toBe('PASSED');
    expect(statusOf(report, gcpCa, 'keys.cmk')).toBe('PASSED');
    expect(statusOf(report, gcpCa, 'keys.content')).toBe('PASSED');
    expect(statusOf(report, gcpConfig, 'keys.not-deleting')).toBe('FAILED');
    expect(statusOf(report, gcpConfig, 'keys.replicated')).toBe('FAILED');
    expect(statusOf(report, gcpConfig, 'keys.cmk')).toBe('WARNING');
  });

  it('reads no secret value and yields no keys.content finding when inspection is off', async () => {
    // Prepare
    const before = sim.stats();

    // Act
    const report = await audit(keysPolicy(false));

    // Assess
    const after = sim.stats();
    const calls = (name: string): number => (after.byOperation[name] ?? 0) - (before.byOperation[name] ?? 0);
    expect(
      calls('secretsManager:GetSecretValue') +
        calls('secretsManager:BatchGetSecretValue') +
        calls('secretManager:versions.access'),
    ).toBe(0);
    expect(calls('secretsManager:DescribeSecret')).toBe(10);
    expect(report.findings.some((f) => f.checkId === 'keys.content')).toBe(false);
    expect(statusOf(report, 'certctl/ca', 'keys.cmk')).toBe('PASSED');
  });
});
