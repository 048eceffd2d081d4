/**
 * The look-ups of names the engine-filtered listings did not answer to, over 16 Regions, with a policy
 * that selects by name alone: the real SDK clients against the simulator, counting the RDS calls.
 * A name some Region's PostgreSQL listing answered to is never looked up; a name none answered to is
 * looked up once the Regions are read, in each Region it may be in; a look-up that fails is said for
 * that name and fails no Region.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { awsCollectors } from '../../functions/aws/collectors.ts';
import { coverageProblems, EXIT_CODES, exitCodeFor } from '../../functions/core/audit.ts';
import { type Policy, parsePolicy } from '../../functions/core/policy.ts';
import { runAuditReport } from '../../functions/jobs/audit.ts';
import { judgeReadiness } from '../../functions/jobs/readiness.ts';
import { planPublication } from '../../functions/publish/security-hub/lifecycle.ts';
import { DEFAULT_ACCOUNT_ID, simCredentials } from '../../test/sim/accounts.ts';
import { parseScenario } from '../../test/sim/scenario.ts';
import { type Sim, startSim } from '../../test/sim/server.ts';
import { BACKED_UP } from './support.ts';

const REGIONS = [
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ca-central-1',
  'eu-central-1',
  'eu-north-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
];
const POSTGRES = ['certctl-a', 'certctl-b', 'certctl-c'];

let sim: Sim;

beforeAll(async () => {
  sim = await startSim({
    scenario: parseScenario({
      regions: REGIONS.map((name) => ({ name })),
      services: {
        rds: {
          instances: [
            ...POSTGRES.map((id) => ({ id, region: 'eu-west-1', createdAt: '-420d', ...BACKED_UP })),
            { id: 'legacy-mysql', region: 'us-west-2', engine: 'mysql', ...BACKED_UP },
          ],
        },
      },
    }),
  });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  sim.setFaults({});
  sim.resetStats();
});

function namedPolicy(identifiers: readonly string[]): Policy {
  return parsePolicy({
    aws: { regions: REGIONS, maxAttempts: 1 },
    targets: { tags: [], identifiers: [...identifiers] },
  });
}

/** The audit, with `afterScopes` run once every scope is read (before any look-up of names). */
async function audit(policy: Policy, afterScopes?: () => void) {
  const factory = new AwsClientFactory({
    maxAttempts: 1,
    credentials: simCredentials(),
    endpoint: sim.endpoint,
  });
  try {
    return await runAuditReport(
      { providers: ['aws'] },
      {
        policy,
        aws: { factory, collectors: awsCollectors },
        onProgress: ({ done, total }) => {
          if (done === total) afterScopes?.();
        },
      },
    );
  } finally {
    factory.destroy();
  }
}

/** DescribeDBInstances and DescribeDBClusters calls (listings and look-ups) of the run. */
function listingCalls() {
  const { byOperation } = sim.stats();
  return {
    instances: byOperation['rds:DescribeDBInstances'] ?? 0,
    clusters: byOperation['rds:DescribeDBClusters'] ?? 0,
  };
}

describe('AWS PITR look-ups of names no PostgreSQL listing answered to, over 16 Regions', () => {
  it('looks up no name when a Region listed each one (3 names: 16 calls of each listing, was 31)', async () => {
    // Act
    const report = await audit(namedPolicy(POSTGRES));
    // Assess: one instance and one cluster listing a Region, and no look-up (before: 15 Regions x 2).
    expect(listingCalls()).toEqual({ instances: 16, clusters: 16 });
    expect(coverageProblems(report)).toEqual([]);
    expect(exitCodeFor(report)).toBe(EXIT_CODES.ok);
  });

  it('looks up a name no Region listed, once every Region is read, and says its engine', async () => {
    // Act
    const report = await audit(namedPolicy([...POSTGRES, 'legacy-mysql', 'gone']));
    // Assess: the two names nothing listed, looked up in one call of each kind per Region.
    expect(listingCalls()).toEqual({ instances: 32, clusters: 32 });
    expect(coverageProblems(report)).toEqual([
      'targets named in the policy were not found: gone',
      'legacy-mysql is selected by targets.identifiers but its engine mysql is not PostgreSQL: not audited',
    ]);
  });

  it('says a name whose look-up failed is not audited, and fails no Region for it', async () => {
    // Act: every RDS call after the Regions are read is throttled.
    const report = await audit(namedPolicy([...POSTGRES, 'legacy-mysql']), () =>
      sim.setFaults({ throttleRate: 1, services: ['rds'] }),
    );
    // Assess: every Region was read and judged; the name is neither found nor of another engine.
    expect(report.scopes.every((outcome) => outcome.status === 'complete')).toBe(true);
    expect(report.counts).toEqual({ PASSED: expect.any(Number), WARNING: 0, FAILED: 0, NOT_AVAILABLE: 0 });
    expect(report.unmatchedTargets).toEqual([]);
    const problems = coverageProblems(report);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^legacy-mysql: no PostgreSQL listing answers to it, and looking it up failed in 16 Regions \(ap-northeast-1, .*, us-west-2\) \(Throttling\w*\): whether it exists, and of which engine, is unknown: not audited$/,
    );
    expect(exitCodeFor(report)).toBe(EXIT_CODES.incomplete);
    const readiness = judgeReadiness({
      report,
      plannedGroups: new Set(['pitr']),
      providers: ['aws'],
      snapshotsOf: () => [],
      maxAgeHours: 24,
      now: new Date(),
    });
    expect(readiness.notEvaluated).toContain(problems[0]);
    // Publishing: a finding held for a database of the same name (a PostgreSQL legacy-mysql deleted
    // since) is neither resolved nor archived, since the run's coverage is in doubt.
    const held = report.findings.find((finding) => finding.resource.id === 'certctl-a');
    expect(held).toBeDefined();
    const plan = planPublication({
      report,
      policy: namedPolicy([...POSTGRES, 'legacy-mysql']),
      now: new Date(),
      existing: [
        {
          SchemaVersion: '2018-10-08',
          Id: 'legacy-mysql-pitr.retention',
          ProductArn: `arn:aws:securityhub:us-west-2:${DEFAULT_ACCOUNT_ID}:product/${DEFAULT_ACCOUNT_ID}/default`,
          GeneratorId: 'pitr.retention',
          AwsAccountId: DEFAULT_ACCOUNT_ID,
          CreatedAt: '2026-01-01T00:00:00.000Z',
          UpdatedAt: new Date().toISOString(),
          Title: 'retention',
          Description: 'retention',
          Severity: { Label: 'HIGH' },
          Compliance: { Status: 'FAILED' },
          RecordState: 'ACTIVE',
          ProductFields: {
            provider: 'aws',
            account: DEFAULT_ACCOUNT_ID,
            region: 'us-west-2',
            checkGroup: 'pitr',
          },
          Resources: [{ Type: 'AwsRdsDbInstance', Id: 'legacy-mysql' }],
        },
      ],
    });
    expect(plan.counts.archive + plan.counts.resolve).toBe(0);
    expect(plan.skipped.find((skip) => skip.id === 'legacy-mysql-pitr.retention')?.kind).toBe('untouched');
  });
});
