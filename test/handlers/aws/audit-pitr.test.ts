/**
 * The `audit-pitr` Lambda: input validation, the audit and publication against the simulator with
 * the real SDK clients, the error a persistent import failure raises, and that the credentials'
 * secret never reaches a log line.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../../functions/aws/clients.ts';
import { InputError } from '../../../functions/core/errors.ts';
import { POLICY_ENV, parsePolicy } from '../../../functions/core/policy.ts';
import { auditPitr, handler, parseAuditPitrInput } from '../../../functions/handlers/aws/audit-pitr.ts';
import { FindingsImportError } from '../../../functions/publish/security-hub/index.ts';
import { baseAccessKeyId } from '../../sim/accounts.ts';
import { loadScenario } from '../../sim/scenario.ts';
import { type Sim, startSim } from '../../sim/server.ts';
import { SECURITY_HUB_SERVICE, type SecurityHubSim } from '../../sim/services/security-hub.ts';

/** A secret access key that must never appear in any output. */
const CANARY_SECRET = 'CANARY-secret-7f3a9c-must-never-be-logged';

let sim: Sim;
let output: string[] = [];
const originalWrite = process.stdout.write;
const originalErrorWrite = process.stderr.write;

/** A fresh simulator per test: Security Hub starts empty each time. */
beforeEach(async () => {
  sim = await startSim({ scenario: await loadScenario('test/sim/scenarios/demo-aws.yaml') });
});

afterEach(async () => {
  restoreOutput();
  await sim.close();
});

/** Capture what Powertools writes (logs and EMF metrics on stdout, errors on stderr). */
function captureStdout(): void {
  output = [];
  const capture = ((chunk: string | Uint8Array) => {
    output.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
}

function restoreOutput(): void {
  process.stdout.write = originalWrite;
  process.stderr.write = originalErrorWrite;
}

function dependencies(policyInput: Parameters<typeof parsePolicy>[0] = {}) {
  const policy = parsePolicy(policyInput);
  return {
    policy,
    factory: new AwsClientFactory({
      maxAttempts: 2,
      credentials: { accessKeyId: baseAccessKeyId(), secretAccessKey: CANARY_SECRET },
      endpoint: sim.endpoint,
    }),
    logger: new Logger({ serviceName: 'audit-pitr' }),
    metrics: new Metrics({ namespace: 'CertctlBackupGuard', serviceName: 'audit-pitr' }),
    homeRegion: 'us-east-1',
  };
}

describe('parseAuditPitrInput', () => {
  it('accepts an absent or empty payload and a region list', () => {
    expect(parseAuditPitrInput(undefined)).toEqual({});
    expect(parseAuditPitrInput(null)).toEqual({});
    expect(parseAuditPitrInput({ regions: ['eu-west-1'], publish: false })).toEqual({
      regions: ['eu-west-1'],
      publish: false,
    });
  });

  it('names the bad field when the schedule passes a wrong payload', () => {
    expect(() => parseAuditPitrInput({ regions: 'eu-west-1' })).toThrow(InputError);
    expect(() => parseAuditPitrInput({ regions: 'eu-west-1' })).toThrow(
      /audit-pitr input is invalid: regions:/,
    );
    expect(() => parseAuditPitrInput({ region: ['eu-west-1'] })).toThrow(/region/);
  });
});

describe('auditPitr', () => {
  it('audits, publishes and reports counts when the policy enables Security Hub', async () => {
    // Prepare
    const deps = dependencies({ securityHub: { enabled: true } });
    captureStdout();

    // Act
    const result = await auditPitr({}, deps);
    restoreOutput();

    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.counts.FAILED).toBeGreaterThan(0);
    expect(result.scopes).toEqual({ evaluated: 2, failed: [] });
    expect(result.published?.counts.created).toBe(
      result.counts.PASSED + result.counts.FAILED + result.counts.WARNING + result.counts.NOT_AVAILABLE,
    );
    expect(output.join('')).toContain('"message":"audit finished"');
    expect(output.join('')).not.toContain(CANARY_SECRET);
  });

  it('throws FindingsImportError after the rest landed when one finding keeps failing', async () => {
    // Prepare
    const deps = dependencies({ securityHub: { enabled: true } });
    const hub = sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE);
    const failing = 'certctl-backup-guard/pitr.lag/arn:aws:rds:us-east-1:111111111111:db:certctl-ocsp-db';
    hub.injectImportFailure(failing, { code: 'InternalException' });
    captureStdout();

    // Act
    const attempt = auditPitr({ regions: ['us-east-1'] }, deps);

    // Assess
    await expect(attempt).rejects.toThrow(FindingsImportError);
    await expect(attempt).rejects.toThrow(/1 finding\(s\) could not be imported/);
    restoreOutput();
    const stored = hub.findings('111111111111', 'us-east-1').map((finding) => finding.Id);
    expect(stored).not.toContain(failing);
    // Every other finding of us-east-1 landed: 3 databases x 5 checks, less pitr.lag of the
    // database with backups off (not applicable), less the one that kept failing.
    expect(stored.length).toBe(13);
    expect(output.join('')).toContain('findings not imported');
  });

  it('logs each scope not evaluated and never the secret key when a region is down', async () => {
    // Prepare
    const deps = dependencies();
    sim.setFaults({ downRegions: ['eu-west-1'] });
    captureStdout();

    // Act
    const result = await auditPitr({}, deps);
    restoreOutput();

    // Assess
    expect(result.exitCode).toBe(2);
    expect(result.scopes.failed).toEqual(['aws/111111111111/eu-west-1/pitr']);
    expect(result.published).toBeUndefined();
    const logs = output.join('');
    expect(logs).toContain('scope not evaluated');
    expect(logs).not.toContain(CANARY_SECRET);
  });
});

describe('handler', () => {
  it('runs from the environment like Lambda does and emits the audit metrics', async () => {
    // Prepare: the default chain reads these, and SDK v3 honours AWS_ENDPOINT_URL.
    process.env.AWS_ENDPOINT_URL = sim.endpoint;
    process.env.AWS_ACCESS_KEY_ID = baseAccessKeyId();
    process.env.AWS_SECRET_ACCESS_KEY = CANARY_SECRET;
    process.env.AWS_REGION = 'us-east-1';
    process.env[POLICY_ENV] = JSON.stringify({ aws: { regions: ['eu-west-1', 'us-east-1'] } });
    const context = {
      functionName: 'audit-pitr',
      awsRequestId: 'req-1',
      getRemainingTimeInMillis: () => 60_000,
    };
    captureStdout();

    // Act
    try {
      const result = await handler({}, context as unknown as Context);
      restoreOutput();

      // Assess
      expect(result.exitCode).toBe(1);
      const emf = output
        .flatMap((chunk) => chunk.split('\n'))
        .filter((line) => line.includes('"_aws"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(emf.find((doc) => 'AuditRuns' in doc)).toMatchObject({ AuditRuns: 1, AuditCompleted: 1 });
      expect(output.join('')).not.toContain(CANARY_SECRET);
    } finally {
      restoreOutput();
      for (const name of [
        'AWS_ENDPOINT_URL',
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_REGION',
        POLICY_ENV,
      ]) {
        delete process.env[name];
      }
    }
  });
});
