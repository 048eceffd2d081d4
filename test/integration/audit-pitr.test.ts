/**
 * The AWS PITR audit end to end: the real SDK clients against the simulator, seeded with the demo
 * fleet. No mocks between the client factory and the wire.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { awsCollectors } from '../../functions/aws/collectors.ts';
import { type AuditReport, EXIT_CODES, exitCodeFor } from '../../functions/core/audit.ts';
import { type PolicyInput, parsePolicy } from '../../functions/core/policy.ts';
import { recordAuditMetrics } from '../../functions/handlers/aws/observability.ts';
import { auditOutcome, runAuditReport } from '../../functions/jobs/audit.ts';
import { renderConsole } from '../../functions/publish/console.ts';
import { simCredentials } from '../../test/sim/accounts.ts';
import { loadScenario } from '../../test/sim/scenario.ts';
import { type Sim, startSim } from '../../test/sim/server.ts';

let sim: Sim;

beforeAll(async () => {
  sim = await startSim({ scenario: await loadScenario('test/sim/scenarios/demo-aws.yaml') });
});

afterEach(() => {
  sim.setFaults({});
});

afterAll(async () => {
  await sim.close();
});

async function audit(policyInput: PolicyInput = {}, regions?: string[]): Promise<AuditReport> {
  const policy = parsePolicy(policyInput);
  const factory = new AwsClientFactory({
    maxAttempts: policy.aws.maxAttempts,
    credentials: simCredentials(),
    endpoint: sim.endpoint,
  });
  try {
    return await runAuditReport(
      { providers: ['aws'], ...(regions ? { regions } : {}) },
      { policy, aws: { factory, collectors: awsCollectors } },
    );
  } finally {
    factory.destroy();
  }
}

function statusOf(report: AuditReport, id: string, checkId: string): string | undefined {
  return report.findings.find((f) => f.resource.id === id && f.checkId === checkId)?.status;
}

/** What a run found, independent of timing: one line per finding. */
function outcome(report: AuditReport): string[] {
  return report.findings.map((f) => `${f.checkId} ${f.resource.region} ${f.resource.id} ${f.status}`).sort();
}

describe('AWS PITR audit against the simulator', () => {
  it('gives every seeded certctl database the status the check catalog defines when all regions answer', async () => {
    // Prepare
    sim.setFaults({});

    // Act
    const report = await audit();

    // Assess
    expect(statusOf(report, 'certctl-prod-db', 'pitr.retention')).toBe('PASSED');
    expect(statusOf(report, 'certctl-prod-db', 'pitr.window')).toBe('PASSED');
    expect(statusOf(report, 'certctl-prod-db', 'pitr.lag')).toBe('PASSED');
    expect(statusOf(report, 'certctl-staging-db', 'pitr.retention')).toBe('FAILED');
    expect(statusOf(report, 'certctl-staging-db', 'pitr.window')).toBe('FAILED');
    expect(statusOf(report, 'certctl-ra-db', 'pitr.enabled')).toBe('FAILED');
    expect(statusOf(report, 'certctl-ocsp-db', 'pitr.lag')).toBe('FAILED');
    expect(statusOf(report, 'certctl-ocsp-db', 'pitr.window')).toBe('PASSED');
    expect(statusOf(report, 'certctl-prod-aurora', 'pitr.retention')).toBe('PASSED');
    expect(statusOf(report, 'certctl-prod-aurora', 'pitr.window')).toBe('WARNING');
    const judged = new Set(report.findings.map((f) => f.resource.id));
    for (const neverAlone of [
      'certctl-prod-db-replica',
      'certctl-prod-aurora-1',
      'certctl-prod-aurora-2',
      'billing-reports-db',
    ]) {
      expect(judged.has(neverAlone)).toBe(false);
    }
    expect(report.scopes.map((s) => s.scope.region).sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(exitCodeFor(report)).toBe(EXIT_CODES.failed);
  });

  it('judges nothing, exits "could not complete" and names the problem when the target tag has a typo', async () => {
    // Act
    const report = await audit({ targets: { tags: [{ key: 'certctl:backup-guard', value: 'Enabled' }] } });

    // Assess
    expect(report.findings).toEqual([]);
    expect(report.scopes.every((s) => s.status === 'complete')).toBe(true);
    expect(exitCodeFor(report)).toBe(EXIT_CODES.incomplete);
    expect(renderConsole(report)).toContain("no database matched the policy's targets");
  });

  it('finds the same findings with 30% of calls throttled as with no faults', async () => {
    // Prepare
    sim.setFaults({});
    const clean = await audit({ aws: { maxAttempts: 10 } });
    sim.setFaults({ throttleRate: 0.3, seed: 42 });
    sim.resetStats();

    // Act
    const throttled = await audit({ aws: { maxAttempts: 10 } });

    // Assess
    expect(sim.stats().faults.throttled).toBeGreaterThan(0);
    expect(outcome(throttled)).toEqual(outcome(clean));
    expect(throttled.scopes.every((s) => s.status === 'complete')).toBe(true);
  });

  it('reports NOT_AVAILABLE for the region that is down only and exits "could not complete"', async () => {
    // Prepare: eu-west-1 is down; the account-level calls go to the home region us-east-1.
    sim.setFaults({ downRegions: ['eu-west-1'] });

    // Act
    const report = await audit({ aws: { maxAttempts: 2 } });

    // Assess
    const down = report.findings.filter((f) => f.resource.region === 'eu-west-1');
    expect(down.length).toBeGreaterThan(0);
    expect(down.every((f) => f.status === 'NOT_AVAILABLE' && f.resource.type === 'Scope')).toBe(true);
    expect(statusOf(report, 'certctl-ocsp-db', 'pitr.lag')).toBe('FAILED');
    expect(statusOf(report, 'certctl-prod-aurora', 'pitr.retention')).toBe('PASSED');
    expect(report.scopes.find((s) => s.scope.region === 'eu-west-1')?.status).toBe('failed');
    expect(report.scopes.find((s) => s.scope.region === 'us-east-1')?.status).toBe('complete');
    expect(exitCodeFor(report)).toBe(EXIT_CODES.incomplete);
  });

  it('fails the whole run with the API and region named when the home region cannot identify the account', async () => {
    // Prepare
    sim.setFaults({ downRegions: ['us-east-1'] });

    // Act / Assess
    await expect(audit({ aws: { maxAttempts: 2 } })).rejects.toThrow(
      /STS GetCallerIdentity failed in every region tried \(us-east-1: /,
    );
  });

  it('audits only the regions asked for when a narrower run is requested', async () => {
    // Prepare
    sim.resetStats();

    // Act
    const report = await audit({}, ['eu-west-1']);

    // Assess
    expect(new Set(report.findings.map((f) => f.resource.region))).toEqual(new Set(['eu-west-1']));
    expect(sim.stats().byOperation['account:ListRegions']).toBeUndefined();
  });

  it('emits AuditRuns, AuditCompleted=0, ScopesNotEvaluated, ChecksFailed per check and ScopeNotEvaluated per scope when a region is down', async () => {
    // Prepare
    sim.setFaults({ downRegions: ['eu-west-1'] });
    const report = await audit({ aws: { maxAttempts: 2 } });
    const metrics = new Metrics({ namespace: 'CertctlBackupGuard', serviceName: 'audit-pitr' });
    const emitted: string[] = [];
    const originalWrite = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      emitted.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;

    // Act
    try {
      recordAuditMetrics(metrics, auditOutcome(report, { status: 'disabled' }).metrics);
      metrics.publishStoredMetrics();
    } finally {
      process.stdout.write = originalWrite;
    }

    // Assess: Powertools writes one EMF document per line.
    const documents = emitted
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const main = documents.find((doc) => 'AuditRuns' in doc);
    expect(main).toMatchObject({ AuditRuns: 1, AuditCompleted: 0, ScopesNotEvaluated: 1 });
    const perCheck = documents.filter((doc) => 'ChecksFailed' in doc).map((doc) => doc.CheckId);
    expect(perCheck).toEqual(expect.arrayContaining(['pitr.retention', 'pitr.window']));
    const perScope = documents.filter((doc) => 'ScopeNotEvaluated' in doc);
    expect(perScope).toEqual([
      expect.objectContaining({
        Account: '111111111111',
        Region: 'eu-west-1',
        CheckGroup: 'pitr',
        ScopeNotEvaluated: 1,
      }),
    ]);
  });
});
