/**
 * Passing failures on one secret, through the real @aws-sdk/client-secrets-manager and client-kms
 * and the Secret Manager REST client: every throttling, server-side and timeout code core/errors.ts
 * counts transient (TRANSIENT_CODES), answered by the simulator for one secret's (or one key's)
 * call only. Such an answer says nothing of that secret: retried as the clients are configured, it
 * fails the scope's read when every attempt got it (never that one secret NOT_AVAILABLE in a scope
 * read as complete, whose findings a publisher would then settle), and leaves the run complete when
 * a retry is answered.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { awsCollectors } from '../../functions/aws/collectors.ts';
import type { AuditReport } from '../../functions/core/audit.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import { gcpCollectors } from '../../functions/gcp/collectors.ts';
import { withSecretManager } from '../../functions/gcp/secret-manager.ts';
import { runAuditReport } from '../../functions/jobs/audit.ts';
import { CANARY, keysPolicy, keysScenario, PROJECT } from '../fixtures/keys/world.ts';
import { QUICK_RETRY_WAITS, simCredentials } from '../sim/accounts.ts';
import type { Faults } from '../sim/faults.ts';
import { type Sim, startSim } from '../sim/server.ts';

/** The attempts the AWS clients are configured with here, and the Secret Manager client's default. */
const AWS_ATTEMPTS = 3;
const GCP_ATTEMPTS = 5;
/**
 * The Secret Manager reads' retry here: the client's defaults (GCP_ATTEMPTS attempts among them),
 * but a first wait of 2 ms instead of 200 (each retry within milliseconds, not up to 1.6 s).
 */
const QUICK_SECRET_MANAGER_RETRY = { initialDelayMs: 2 };
/** The CMK of the healthy secrets (test/fixtures/keys/world.ts). */
const KEY = 'aaaaaaaa-1111-2222-3333-444444444444';

let sim: Sim;

beforeAll(async () => {
  sim = await startSim({ scenario: keysScenario() });
});

afterEach(() => {
  sim.setFaults({});
  sim.resetStats();
});

afterAll(async () => {
  await sim.close();
});

/** The keys audit of one cloud, with the canary's inspection on, and everything it rendered. */
async function audit(provider: 'aws' | 'gcp'): Promise<AuditReport> {
  const factory = new AwsClientFactory({
    maxAttempts: AWS_ATTEMPTS,
    credentials: simCredentials(),
    endpoint: sim.endpoint,
    retryWaitScale: QUICK_RETRY_WAITS,
  });
  const gcpFactory = new GcpClientFactory({ endpoint: sim.endpoint });
  const gcp = withSecretManager(gcpFactory, gcpFactory, QUICK_SECRET_MANAGER_RETRY);
  try {
    return await runAuditReport(
      { providers: [provider], groups: ['keys'] },
      {
        policy: parsePolicy(keysPolicy(true)),
        aws: { factory, collectors: awsCollectors },
        gcp: { clients: gcp, collectors: gcpCollectors },
      },
    );
  } finally {
    factory.destroy();
    await gcp.close();
  }
}

function scope(report: AuditReport, region: string) {
  return report.scopes.find((outcome) => outcome.scope.region === region);
}

/** The resources judged in a region: none but the scope itself when its read failed. */
function judgedIn(report: AuditReport, region: string): string[] {
  return report.findings
    .filter((finding) => finding.resource.region === region && finding.resource.type !== 'Scope')
    .map((finding) => `${finding.checkId} ${finding.resource.id} ${finding.status}`);
}

function expectNoValue(report: AuditReport): void {
  const rendered = JSON.stringify(report);
  expect(rendered).not.toContain(CANARY);
  expect(rendered).not.toContain('PRIVATE KEY-----');
}

/** The transient codes of core/errors.ts an AWS JSON service may answer, by kind. */
const AWS_CODES = [
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'Throttling',
  'InternalServiceError',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeoutException',
];

describe('a passing failure on one Secrets Manager secret', () => {
  const oneSecret = (code: string, failedAttempts?: number): Faults => ({
    throttleRate: 1,
    throttleCode: code,
    services: ['secretsManager'],
    operations: ['DescribeSecret'],
    containing: 'certctl/tls',
    ...(failedAttempts !== undefined ? { failedAttempts } : {}),
  });

  it.each(AWS_CODES)('fails the scope after %s on every attempt of its DescribeSecret', async (code) => {
    // Prepare
    sim.setFaults(oneSecret(code));

    // Act
    const report = await audit('aws');

    // Assess: every configured attempt was made, and the scope, not the secret, failed.
    expect(sim.stats().faults.throttled).toBe(AWS_ATTEMPTS);
    expect(scope(report, 'eu-west-1')).toMatchObject({ status: 'failed', error: { code } });
    expect(scope(report, 'us-east-1')?.status).toBe('complete');
    expect(judgedIn(report, 'eu-west-1')).toEqual([]);
    expectNoValue(report);
  });

  it.each(AWS_CODES)('reads the scope completely when a retry after %s is answered', async (code) => {
    // Prepare
    sim.setFaults(oneSecret(code, AWS_ATTEMPTS - 1));

    // Act
    const report = await audit('aws');

    // Assess
    expect(sim.stats().faults.throttled).toBe(AWS_ATTEMPTS - 1);
    expect(report.scopes.map((outcome) => outcome.status)).toEqual(['complete', 'complete']);
    const tls = report.findings.filter((finding) => finding.resource.id === 'certctl/tls');
    expect(tls.find((finding) => finding.checkId === 'keys.present')?.status).toBe('PASSED');
    expect(tls.find((finding) => finding.checkId === 'keys.cmk')?.status).toBe('PASSED');
    expectNoValue(report);
  });
});

describe('a passing failure on reading the values', () => {
  it.each([
    ['BatchGetSecretValue', 'ThrottlingException', undefined],
    ['BatchGetSecretValue', 'InternalServiceError', undefined],
    ['BatchGetSecretValue', 'RequestTimeoutException', undefined],
    // certctl/scep-ra's certificate partner is read one by one from the scope of its key.
    ['GetSecretValue', 'TooManyRequestsException', undefined],
  ])('fails the scope after %s answered %s on every attempt', async (operation, code, region) => {
    // Prepare
    sim.setFaults({
      throttleRate: 1,
      throttleCode: code,
      services: ['secretsManager'],
      operations: [operation],
    });

    // Act
    const report = await audit('aws');

    // Assess: no secret's content is NOT_AVAILABLE in a scope read as complete. One read spent its
    // attempts; another still retrying when the scope failed is abandoned.
    expect(sim.stats().faults.throttled).toBeGreaterThanOrEqual(AWS_ATTEMPTS);
    const failed = report.scopes.filter((outcome) => outcome.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const outcome of failed) expect(outcome.error?.code).toBe(code);
    if (region) expect(failed.map((outcome) => outcome.scope.region)).toEqual([region]);
    const complete = new Set(
      report.scopes.filter((outcome) => outcome.status === 'complete').map((outcome) => outcome.scope.region),
    );
    expect(
      report.findings.filter(
        (finding) =>
          complete.has(finding.resource.region) &&
          finding.checkId === 'keys.content' &&
          finding.description.includes(operation),
      ),
    ).toEqual([]);
    expectNoValue(report);
  });
});

describe('a passing failure on one KMS key', () => {
  // One code of each kind (throttled, server error, unreachable), KMS's own internal error among them.
  it.each([
    'TooManyRequestsException',
    'KMSInternalException',
    'ServiceUnavailable',
    'RequestTimeoutException',
  ])('fails the scope after %s on every attempt of its DescribeKey', async (code) => {
    // Prepare
    sim.setFaults({
      throttleRate: 1,
      throttleCode: code,
      services: ['kms'],
      operations: ['DescribeKey'],
      containing: KEY,
    });

    // Act
    const report = await audit('aws');

    // Assess: the scope whose secrets the key protects failed, after every configured attempt of
    // each read of it (one per scope key reader).
    expect(sim.stats().faults.throttled % AWS_ATTEMPTS).toBe(0);
    expect(sim.stats().faults.throttled).toBeGreaterThan(0);
    expect(scope(report, 'eu-west-1')).toMatchObject({ status: 'failed', error: { code } });
    expect(judgedIn(report, 'eu-west-1')).toEqual([]);
    expectNoValue(report);
  });
});

describe('a passing failure on one Secret Manager secret', () => {
  const GCP_CODES = ['RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'DEADLINE_EXCEEDED', 'INTERNAL', 'ABORTED'];
  const oneSecret = (code: string, operation: string, failedAttempts?: number): Faults => ({
    throttleRate: 1,
    throttleCode: code,
    services: ['secretManager'],
    operations: [operation],
    containing: 'certctl-ca-backup',
    ...(failedAttempts !== undefined ? { failedAttempts } : {}),
  });

  it.each(GCP_CODES.flatMap((code) => ['secrets.get', 'versions.get'].map((operation) => [code, operation])))(
    'fails the project after %s on every attempt of its %s',
    async (code, operation) => {
      // Prepare
      sim.setFaults(oneSecret(code, operation));

      // Act
      const report = await audit('gcp');

      // Assess
      // ABORTED (409) is not retried (./rest-request.ts retries 429 and 5xx), yet passes on its own.
      expect(sim.stats().faults.throttled).toBe(code === 'ABORTED' ? 1 : GCP_ATTEMPTS);
      const project = report.scopes.find((outcome) => outcome.scope.account === PROJECT);
      expect(project?.status).toBe('failed');
      expect(project?.error?.code).toBe(code);
      expect(judgedIn(report, '*')).toEqual([]);
      expect(report.findings.filter((finding) => finding.resource.type !== 'Scope')).toEqual([]);
      expectNoValue(report);
    },
    60_000,
  );

  it.each(GCP_CODES)(
    'fails the project after %s on every attempt of its value',
    async (code) => {
      // Prepare
      sim.setFaults(oneSecret(code, 'versions.access'));

      // Act
      const report = await audit('gcp');

      // Assess: its content is not NOT_AVAILABLE in a project read as complete.
      expect(sim.stats().faults.throttled).toBe(code === 'ABORTED' ? 1 : GCP_ATTEMPTS);
      expect(report.scopes.map((outcome) => [outcome.status, outcome.error?.code])).toEqual([
        ['failed', code],
      ]);
      expect(report.findings.filter((finding) => finding.resource.type !== 'Scope')).toEqual([]);
      expectNoValue(report);
    },
    60_000,
  );

  it.each(GCP_CODES.filter((code) => code !== 'ABORTED'))(
    'reads the project completely when a retry after %s is answered',
    async (code) => {
      // Prepare
      sim.setFaults(oneSecret(code, 'secrets.get', GCP_ATTEMPTS - 1));

      // Act
      const report = await audit('gcp');

      // Assess
      expect(sim.stats().faults.throttled).toBe(GCP_ATTEMPTS - 1);
      expect(report.scopes.map((outcome) => outcome.status)).toEqual(['complete']);
      const backup = report.findings.filter((finding) => finding.resource.id.includes('certctl-ca-backup'));
      expect(backup.find((finding) => finding.checkId === 'keys.present')?.status).toBe('PASSED');
      expectNoValue(report);
    },
    60_000,
  );
});
