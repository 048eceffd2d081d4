/**
 * A throwaway check group, registered with one line, runs through the job runner end to end:
 * planning over the shared account x region discovery, its own collector, its check, and Security
 * Hub publishing with the scope-safe lifecycle, against the simulator with the real SDK clients.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../../functions/aws/clients.ts';
import { awsCollectors } from '../../../functions/aws/collectors.ts';
import { parsePolicy } from '../../../functions/core/policy.ts';
import { type AuditDependencies, runAuditJob } from '../../../functions/jobs/audit.ts';
import { registerCheckGroup } from '../../../functions/jobs/groups.ts';
import { simCredentials } from '../../sim/accounts.ts';
import { loadScenario } from '../../sim/scenario.ts';
import { type Sim, startSim } from '../../sim/server.ts';
import { SECURITY_HUB_SERVICE, type SecurityHubSim } from '../../sim/services/security-hub.ts';
import { fakeWorld, GROUP, selftestGroup } from './group.ts';

const ACCOUNT = '111111111111';
let unregister: () => void;
let sim: Sim;
let factory: AwsClientFactory;

beforeAll(() => {
  unregister = registerCheckGroup(selftestGroup);
});

afterAll(() => {
  unregister();
});

beforeEach(async () => {
  sim = await startSim({ scenario: await loadScenario('test/sim/scenarios/demo-aws.yaml') });
  factory = new AwsClientFactory({ maxAttempts: 2, credentials: simCredentials(), endpoint: sim.endpoint });
  fakeWorld.clear();
  fakeWorld.set('eu-west-1', [
    { name: 'certctl-canary-eu', canaryAgeHours: 2 },
    { name: 'certctl-canary-old', canaryAgeHours: 72 },
  ]);
  fakeWorld.set('us-east-1', [{ name: 'certctl-canary-us', canaryAgeHours: 1 }]);
});

afterEach(async () => {
  factory.destroy();
  await sim.close();
});

function deps(regions: string[]): AuditDependencies {
  const policy = parsePolicy({ aws: { regions }, securityHub: { enabled: true } });
  return {
    policy,
    aws: { factory, collectors: awsCollectors, homeRegion: 'us-east-1' },
    publisher: { factory: () => factory, accounts: [], homeRegion: 'us-east-1' },
  };
}

function held(region: string) {
  return sim
    .service<SecurityHubSim>(SECURITY_HUB_SERVICE)
    .findings(ACCOUNT, region)
    .filter((finding) => finding.ProductFields?.checkGroup === GROUP);
}

describe('a registered throwaway check group', () => {
  it('is planned, collected, judged and published like a built-in group', async () => {
    // Act
    const outcome = await runAuditJob(
      { providers: ['aws'], groups: [GROUP] },
      deps(['eu-west-1', 'us-east-1']),
    );

    // Assess
    expect(outcome.report.scopes.map((s) => `${s.scope.region}/${s.scope.group} ${s.status}`)).toEqual([
      'eu-west-1/selftest complete',
      'us-east-1/selftest complete',
    ]);
    expect(outcome.report.findings.map((f) => `${f.resource.id} ${f.status}`)).toEqual([
      'certctl-canary-old FAILED',
      'certctl-canary-eu PASSED',
      'certctl-canary-us PASSED',
    ]);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.publication).toMatchObject({ status: 'published', counts: { created: 3 } });
    expect(
      held('eu-west-1')
        .map((f) => [f.GeneratorId, f.Compliance?.Status])
        .sort(),
    ).toEqual([
      ['certctl-backup-guard/selftest.canary-fresh', 'FAILED'],
      ['certctl-backup-guard/selftest.canary-fresh', 'PASSED'],
    ]);
    // Only the requested group ran: no RDS call was made.
    expect(sim.stats().byService.rds ?? 0).toBe(0);
  });

  it('archives a resource that is gone only in the scopes the run fully evaluated', async () => {
    // Prepare
    await runAuditJob(
      { providers: ['aws'], groups: [GROUP] },
      deps(['eu-west-1', 'us-east-1', 'ap-south-1']),
    );
    fakeWorld.set('eu-west-1', [{ name: 'certctl-canary-eu', canaryAgeHours: 2 }]);

    // Act
    const outcome = await runAuditJob(
      { providers: ['aws'], groups: [GROUP] },
      deps(['eu-west-1', 'us-east-1', 'ap-south-1']),
    );

    // Assess
    const states = Object.fromEntries(held('eu-west-1').map((f) => [f.Resources?.[0]?.Id, f.RecordState]));
    expect(states).toEqual({
      'arn:aws:s3:::certctl-canary-eu': 'ACTIVE',
      'arn:aws:s3:::certctl-canary-old': 'ARCHIVED',
    });
    expect(outcome.report.scopes.find((s) => s.scope.region === 'ap-south-1')).toMatchObject({
      status: 'failed',
      error: { code: 'ECONNREFUSED' },
    });
    expect(outcome.exitCode).toBe(2);
  });

  it('retires the findings of the group once this version no longer has it, only in a run of every group', async () => {
    // Prepare: the group published its findings, then a new version dropped it.
    await runAuditJob({ providers: ['aws'], groups: [GROUP] }, deps(['eu-west-1', 'us-east-1']));
    unregister();
    try {
      // Act: a run of one group, then a run of every group.
      const partial = await runAuditJob({ providers: ['aws'], groups: ['pitr'] }, deps(['eu-west-1']));
      const afterPartial = held('eu-west-1').map((f) => f.RecordState);
      const full = await runAuditJob({ providers: ['aws'] }, deps(['eu-west-1']));

      // Assess: the run of one group left them alone; the run of every group retired those of the
      // Region it evaluated, and only those.
      expect(partial.publication).toMatchObject({ status: 'published', counts: { retired: 0 } });
      expect(afterPartial).toEqual(['ACTIVE', 'ACTIVE']);
      expect(full.report.scopes.every((outcome) => outcome.status === 'complete')).toBe(true);
      expect(full.publication).toMatchObject({ status: 'published', counts: { retired: 2 } });
      expect(held('eu-west-1').map((f) => f.RecordState)).toEqual(['ARCHIVED', 'ARCHIVED']);
      expect(held('us-east-1').map((f) => f.RecordState)).toEqual(['ACTIVE']);
    } finally {
      unregister = registerCheckGroup(selftestGroup);
    }
  });
});
