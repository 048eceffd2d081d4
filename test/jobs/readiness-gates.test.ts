/**
 * Readiness draws its gates from the check-group registry, so a group counts as soon as it is
 * registered and the run gives it something to audit; the catalog's groups that are not installed,
 * and installed groups the run plans nothing for, are listed as such and never make a GO. Runs the
 * real job against the simulator with throwaway groups (test/jobs/throwaway-group/group.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Check } from '../../functions/core/check.ts';
import type { ResourceRef } from '../../functions/core/finding.ts';
import { defineCheckGroup, registerCheckGroup } from '../../functions/jobs/groups.ts';
import { renderReadiness, runReadinessJob } from '../../functions/jobs/readiness.ts';
import { runSnapshotJob } from '../../functions/jobs/snapshot.ts';
import { fastPolicy, type SnapshotHarness, startSnapshotHarness } from '../integration/snapshot-support.ts';
import { fakeWorld, selftestGroup } from './throwaway-group/group.ts';

let harness: SnapshotHarness;
const unregister: (() => void)[] = [];

beforeEach(async () => {
  harness = await startSnapshotHarness();
  fakeWorld.clear();
});

afterEach(async () => {
  for (const remove of unregister.splice(0)) remove();
  fakeWorld.clear();
  await harness.close();
});

const policy = () => fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db'] } });

/** Readiness over the harness after a fresh snapshot of every target, so only the audit gates decide. */
async function readinessAfterSnapshot() {
  await runSnapshotJob(
    { requestId: 'CHG-5', reason: 'CA rotation', requestedBy: 'alice' },
    harness.deps(policy()),
  );
  return runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(policy()));
}

/** A group whose facts are one secret per region and whose one check passes when it exists. */
function secretsGroup(name: string, options: { failIn?: string; awsCollector?: boolean } = {}) {
  const check: Check<{ resource: ResourceRef; present: boolean }> = {
    metadata: {
      id: `${name}.present`,
      group: name,
      title: 'The secret exists',
      failedTitle: 'The secret is missing',
      severity: 'HIGH',
      rationale: 'A test group.',
      remediation: { text: 'Create the secret.', url: 'https://example.com/secret' },
      resourceTypes: ['AwsSecretsManagerSecret'],
    },
    evaluate: (fact) => ({
      status: fact.present ? 'PASSED' : 'FAILED',
      description: fact.present ? 'present' : 'missing',
      observed: { present: fact.present },
      required: { present: true },
    }),
  };
  type SecretFact = { resource: ResourceRef; present: boolean };
  const collect = async ({
    account,
    region,
  }: {
    account: { accountId: string };
    region: string;
  }): Promise<SecretFact[]> => {
    if (region === options.failIn)
      throw Object.assign(new Error('Secrets Manager unreachable'), { name: 'TimeoutError' });
    return [
      {
        resource: {
          provider: 'aws' as const,
          account: account.accountId,
          region,
          type: 'AwsSecretsManagerSecret',
          id: `certctl/ca-key-${region}`,
        },
        present: true,
      },
    ];
  };
  return defineCheckGroup({
    name,
    summary: 'a test group of secrets',
    checks: [check],
    collect: options.awsCollector === false ? { gcp: async () => [] } : { aws: collect },
  });
}

describe('readiness gates from the check-group registry', () => {
  it('lists the catalog groups this version does not install as not installed, outside the verdict', async () => {
    // Act
    const result = await readinessAfterSnapshot();

    // Assess
    const coverage = Object.fromEntries(result.gates.map((gate) => [gate.gate, gate.coverage]));
    expect(coverage['audit:pitr']).toBe('evaluated');
    expect(coverage.snapshot).toBe('evaluated');
    for (const [gate, state] of Object.entries(coverage)) {
      if (!['audit:pitr', 'snapshot'].includes(gate)) expect([gate, state]).toEqual([gate, 'not-installed']);
    }
    expect(result.verdict).toBe('GO');
  });

  it('gates every target on a fleet-wide group as soon as it is registered: GO while it passes, NO-GO with its evidence when it fails', async () => {
    // Prepare
    unregister.push(registerCheckGroup(selftestGroup));
    fakeWorld.set('eu-west-1', [{ name: 'certctl-dumps', canaryAgeHours: 2 }]);
    const passing = await readinessAfterSnapshot();
    fakeWorld.set('eu-west-1', [{ name: 'certctl-dumps', canaryAgeHours: 50 }]);

    // Act
    const failing = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(policy()));

    // Assess
    expect(passing.verdict).toBe('GO');
    expect(passing.targets[0]?.gates.map((gate) => `${gate.gate} ${gate.status}`)).toEqual([
      'audit:pitr GO',
      'audit:selftest GO',
      'snapshot GO',
    ]);
    expect(failing.verdict).toBe('NO-GO');
    expect(failing.exitCode).toBe(1);
    const gate = failing.targets[0]?.gates.find((entry) => entry.gate === 'audit:selftest');
    expect(gate).toMatchObject({
      status: 'NO-GO',
      evidence: 'selftest.canary-fresh FAILED on certctl-dumps (canaryAgeHours 50)',
      action: 'Write the canary again.',
    });
    expect(renderReadiness(failing)).toContain('audit:selftest evaluated: 1 finding(s)');
  });

  it('could not evaluate when a registered group cannot read a region, and says which', async () => {
    // Prepare
    unregister.push(registerCheckGroup(secretsGroup('vault', { failIn: 'us-east-1' })));

    // Act
    const result = await readinessAfterSnapshot();

    // Assess
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.exitCode).toBe(2);
    expect(result.gates.find((gate) => gate.gate === 'audit:vault')).toEqual({
      gate: 'audit:vault',
      coverage: 'incomplete',
      detail: '1 scope(s) not read',
    });
    expect(result.notEvaluated).toEqual([
      expect.stringMatching(
        /^audit:vault in aws\/111111111111\/us-east-1\/vault: .*Secrets Manager unreachable/,
      ),
    ]);
  });

  it('lists an installed group the run plans nothing for as not configured, outside the verdict', async () => {
    // Prepare: a group with a GCP collector only, in an AWS run.
    unregister.push(registerCheckGroup(secretsGroup('gcponly', { awsCollector: false })));

    // Act
    const result = await readinessAfterSnapshot();

    // Assess
    expect(result.gates.find((gate) => gate.gate === 'audit:gcponly')).toEqual({
      gate: 'audit:gcponly',
      coverage: 'not-configured',
      detail: 'the policy gives it nothing to audit in aws, so it is not part of the verdict',
    });
    expect(result.verdict).toBe('GO');
  });
});
