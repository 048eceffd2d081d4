import type { AwsSecurityFinding, Resource } from '@aws-sdk/client-securityhub';
import { describe, expect, it } from 'vitest';
import { pitrWindowCheck } from '../../../functions/checks/pitr/window.ts';
import { mergeReports, runAudit, type ScopeOutcome, type ScopePlan } from '../../../functions/core/audit.ts';
import { type Check, type CheckOutcome, toFinding } from '../../../functions/core/check.ts';
import { CloudApiError } from '../../../functions/core/errors.ts';
import type { Finding, ResourceRef } from '../../../functions/core/finding.ts';
import { parsePolicy } from '../../../functions/core/policy.ts';
import {
  asffFindingId,
  destinationFor,
  publishTargetFrom,
  toAsff,
} from '../../../functions/publish/security-hub/asff.ts';
import { AsffValidationError } from '../../../functions/publish/security-hub/errors.ts';
import {
  archiveImport,
  contentHash,
  describeChanges,
  destinationsToRead,
  heldFinding,
  planPublication,
  reportedDigests,
} from '../../../functions/publish/security-hub/lifecycle.ts';
import { auroraClusterFact } from '../../checks/pitr/fixtures.ts';
import {
  ACCOUNT_A,
  ACCOUNT_B,
  CENTRAL,
  cloudSqlResource,
  completeScope,
  failedScope,
  gcpScope,
  policy,
  rdsResource,
  report,
  retentionFinding,
  scopeFinding,
} from './fixtures.ts';

const NOW = new Date('2026-11-21T12:00:00.000Z');
const DAY = 24 * 60 * 60 * 1000;
const POLICY = policy();
const TARGET = publishTargetFrom(POLICY);

/** A finding as Security Hub returns it: what was imported `daysAgo`, plus the fields the service adds. */
function stored(
  finding: Finding,
  daysAgo: number,
  extra: Partial<AwsSecurityFinding> = {},
): AwsSecurityFinding {
  const at = new Date(NOW.getTime() - daysAgo * DAY);
  const asff = toAsff(finding, {
    destination: destinationFor(finding.resource, TARGET),
    now: at,
    createdAt: '2026-01-01T00:00:00.000Z',
  });
  return {
    ...asff,
    Region: finding.resource.region,
    ProductFields: { ...asff.ProductFields, 'aws/securityhub/ProductName': 'Default' },
    Workflow: { Status: 'NOTIFIED' },
    WorkflowState: 'ASSIGNED',
    ...extra,
  };
}

/**
 * A database still reported, unchanged, so the report judged something: a run that judged nothing
 * archives nothing (a tag typo must not close every open finding).
 */
function keeper(resource = rdsResource('db-kept')): { finding: Finding; stored: AwsSecurityFinding } {
  const finding = retentionFinding(resource);
  return { finding, stored: stored(finding, 1 / (24 * 60)) };
}

describe('planPublication', () => {
  it('creates every finding when Security Hub holds none', () => {
    // Prepare
    const findings = [
      retentionFinding(rdsResource('db-1')),
      retentionFinding(rdsResource('db-2'), { status: 'PASSED' }),
    ];

    // Act
    const plan = planPublication({
      report: report(findings, [completeScope(ACCOUNT_A, 'eu-west-1')]),
      policy: POLICY,
      now: NOW,
    });

    // Assess
    expect(plan.imports.map((entry) => [entry.action, entry.reason])).toEqual([
      ['create', 'new finding'],
      ['create', 'new finding'],
    ]);
    expect(plan.counts).toEqual({
      create: 2,
      update: 0,
      refresh: 0,
      resolve: 0,
      archive: 0,
      retire: 0,
      keepAlive: 0,
      unchanged: 0,
      untouched: 0,
    });
  });

  it('skips an unchanged finding when it was updated a minute ago', () => {
    // Prepare
    const finding = retentionFinding(rdsResource('db-1'));

    // Act
    const plan = planPublication({
      report: report([finding], [completeScope(ACCOUNT_A, 'eu-west-1')]),
      policy: POLICY,
      now: NOW,
      existing: [stored(finding, 1 / (24 * 60))],
    });

    // Assess
    expect(plan.imports).toEqual([]);
    expect(plan.counts.unchanged).toBe(1);
    expect(plan.skipped[0]?.kind).toBe('unchanged');
  });

  it('refreshes an unchanged finding and keeps CreatedAt when it is refreshDays old', () => {
    // Prepare
    const finding = retentionFinding(rdsResource('db-1'));

    // Act
    const plan = planPublication({
      report: report([finding], [completeScope(ACCOUNT_A, 'eu-west-1')]),
      policy: POLICY,
      now: NOW,
      existing: [stored(finding, 7)],
    });

    // Assess
    expect(plan.imports).toHaveLength(1);
    expect(plan.imports[0]?.action).toBe('refresh');
    expect(plan.imports[0]?.reason).toMatch(/due for its refresh \(every 7 days/);
    expect(plan.imports[0]?.finding).toMatchObject({
      CreatedAt: '2026-01-01T00:00:00.000Z',
      UpdatedAt: NOW.toISOString(),
      RecordState: 'ACTIVE',
    });
  });

  it('spreads refreshes of a fleet imported at once evenly over refreshDays, all within one period', () => {
    // Prepare: 1,000 unchanged findings, all last updated at the same moment.
    const findings = Array.from({ length: 1000 }, (_, index) => retentionFinding(rdsResource(`db-${index}`)));
    const plan = (daysAgo: number) =>
      planPublication({
        report: report(findings, [completeScope(ACCOUNT_A, 'eu-west-1')]),
        policy: POLICY,
        now: NOW,
        existing: findings.map((finding) => stored(finding, daysAgo)),
      }).counts.refresh;

    // Act
    const [day1, day3, day6, day7] = [1, 3, 6, 7].map(plan);

    // Assess: about 1/7 per day (each finding at its own phase), every one by the end of the period.
    expect(day1).toBeGreaterThan(90);
    expect(day1).toBeLessThan(200);
    expect(day3).toBeGreaterThan(360);
    expect(day3).toBeLessThan(500);
    expect(day6).toBeGreaterThan(800);
    expect(day7).toBe(1000);
  });

  it('resolves a failing finding when the resource now passes', () => {
    // Prepare
    const resource = rdsResource('db-1');

    // Act
    const plan = planPublication({
      report: report(
        [retentionFinding(resource, { status: 'PASSED' })],
        [completeScope(ACCOUNT_A, 'eu-west-1')],
      ),
      policy: POLICY,
      now: NOW,
      existing: [stored(retentionFinding(resource), 1)],
    });

    // Assess
    expect(plan.imports[0]?.action).toBe('resolve');
    expect(plan.imports[0]?.finding.Compliance?.Status).toBe('PASSED');
    expect(plan.imports[0]?.finding.Workflow).toBeUndefined();
    expect(plan.counts.resolve).toBe(1);
  });

  it('updates a finding and names what changed when the observed values change', () => {
    // Prepare
    const resource = rdsResource('db-1');
    const now = retentionFinding(resource, {
      observed: { retentionDays: 14 },
      description: 'db-1 keeps 14 days.',
    });

    // Act
    const plan = planPublication({
      report: report([now], [completeScope(ACCOUNT_A, 'eu-west-1')]),
      policy: POLICY,
      now: NOW,
      existing: [stored(retentionFinding(resource), 1)],
    });

    // Assess
    expect(plan.imports[0]?.action).toBe('update');
    expect(plan.imports[0]?.reason).toContain('observed/retentionDays 7 -> 14');
  });

  it('does not re-import a finding whose drifting values alone moved, and does when its status changes', () => {
    // Prepare: the latest restorable time moves every run; only a status change is news.
    const resource = rdsResource('db-1');
    const lag = (minutes: number, status: 'PASSED' | 'FAILED'): Finding =>
      retentionFinding(resource, {
        checkId: 'pitr.lag',
        status,
        observed: {
          restoreLagMinutes: minutes,
          latestRestorableTime: `2026-11-21T11:${60 - minutes}:00.000Z`,
        },
        required: { restoreLagMinutes: 15 },
        description: `db-1 is ${minutes} min behind.`,
        drifting: ['restoreLagMinutes', 'latestRestorableTime'],
      });
    const existing = [stored(lag(4, 'PASSED'), 1 / (24 * 60))];

    // Act
    const drifted = planPublication({
      report: report([lag(9, 'PASSED')], [completeScope(ACCOUNT_A, 'eu-west-1')]),
      policy: POLICY,
      now: NOW,
      existing,
    });
    const stalled = planPublication({
      report: report([lag(50, 'FAILED')], [completeScope(ACCOUNT_A, 'eu-west-1')]),
      policy: POLICY,
      now: NOW,
      existing,
    });

    // Assess
    expect(drifted.imports).toEqual([]);
    expect(drifted.counts.unchanged).toBe(1);
    expect(stalled.imports.map((entry) => entry.action)).toEqual(['update']);
    expect(stalled.imports[0]?.finding.Description).toBe('db-1 is 50 min behind.');
  });

  it('ignores a severity the customer changed when the provider severity is the same', () => {
    // Prepare
    const finding = retentionFinding(rdsResource('db-1'));

    // Act
    const plan = planPublication({
      report: report([finding], [completeScope(ACCOUNT_A, 'eu-west-1')]),
      policy: POLICY,
      now: NOW,
      existing: [stored(finding, 1 / (24 * 60), { Severity: { Label: 'LOW' } })],
    });

    // Assess
    expect(plan.counts.unchanged).toBe(1);
  });

  it('archives a finding without its customer-owned fields when its resource is gone from a complete scope', () => {
    // Prepare
    const gone = stored(retentionFinding(rdsResource('deleted-db')), 1);
    const kept = keeper();

    // Act
    const plan = planPublication({
      report: report([kept.finding], [completeScope(ACCOUNT_A, 'eu-west-1')]),
      policy: POLICY,
      now: NOW,
      existing: [gone, kept.stored],
    });

    // Assess
    expect(plan.imports).toHaveLength(1);
    const archived = plan.imports[0];
    expect(archived?.action).toBe('archive');
    expect(archived?.reason).toContain(`aws/${ACCOUNT_A}/eu-west-1/pitr`);
    expect(archived?.finding).toMatchObject({
      Id: gone.Id,
      RecordState: 'ARCHIVED',
      UpdatedAt: NOW.toISOString(),
      CreatedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(archived?.finding.Workflow).toBeUndefined();
    expect(archived?.finding.WorkflowState).toBeUndefined();
    expect(Object.keys(archived?.finding.ProductFields ?? {}).some((key) => key.startsWith('aws/'))).toBe(
      false,
    );
  });

  it('leaves findings untouched when their scope failed in this run', () => {
    // Prepare
    const down = failedScope(ACCOUNT_A, 'us-east-1');
    const existing = stored(retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1')), 1);

    // Act
    const plan = planPublication({
      report: report([scopeFinding(down)], [down]),
      policy: POLICY,
      now: NOW,
      existing: [existing],
    });

    // Assess
    expect(plan.imports.map((entry) => entry.action)).toEqual(['create']);
    expect(plan.imports[0]?.finding.Compliance?.Status).toBe('NOT_AVAILABLE');
    expect(plan.counts.untouched).toBe(1);
    expect(plan.skipped).toContainEqual(
      expect.objectContaining({
        kind: 'untouched',
        id: existing.Id,
        reason: expect.stringContaining('not fully evaluated'),
      }),
    );
  });

  it('leaves other regions, accounts and check groups untouched when the run was narrower', () => {
    // Prepare
    const otherRegion = stored(retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1')), 1);
    const otherAccount = stored(retentionFinding(rdsResource('db-b', ACCOUNT_B, 'eu-west-1')), 1);
    const otherGroup = stored(
      retentionFinding(rdsResource('db-keys'), { group: 'keys', checkId: 'keys.replica' }),
      1,
    );

    // Act
    const plan = planPublication({
      report: report([], [completeScope(ACCOUNT_A, 'eu-west-1')]),
      policy: POLICY,
      now: NOW,
      existing: [otherRegion, otherAccount, otherGroup],
    });

    // Assess
    expect(plan.imports).toEqual([]);
    expect(plan.counts.untouched).toBe(3);
  });

  it('re-imports an archived finding as ACTIVE when the resource is reported again', () => {
    // Prepare
    const finding = retentionFinding(rdsResource('db-1'));

    // Act
    const plan = planPublication({
      report: report([finding], [completeScope(ACCOUNT_A, 'eu-west-1')]),
      policy: POLICY,
      now: NOW,
      existing: [stored(finding, 1, { RecordState: 'ARCHIVED' })],
    });

    // Assess
    expect(plan.imports[0]).toMatchObject({ action: 'update', finding: { RecordState: 'ACTIVE' } });
    expect(plan.imports[0]?.reason).toMatch(/archived finding reported again/);
  });

  it('does nothing with an archived finding when it is still not reported', () => {
    // Act
    const plan = planPublication({
      report: report([], [completeScope(ACCOUNT_A, 'eu-west-1')]),
      policy: POLICY,
      now: NOW,
      existing: [stored(retentionFinding(rdsResource('gone')), 3, { RecordState: 'ARCHIVED' })],
    });

    // Assess
    expect(plan.imports).toEqual([]);
    expect(plan.counts).toMatchObject({ archive: 0, untouched: 0, unchanged: 0 });
  });

  it('archives the NOT_AVAILABLE finding of a scope when that scope is evaluated again', () => {
    // Prepare
    const earlier = scopeFinding(failedScope(ACCOUNT_A, 'us-east-1'));
    const kept = keeper(rdsResource('db-kept', ACCOUNT_A, 'us-east-1'));

    // Act
    const plan = planPublication({
      report: report([kept.finding], [completeScope(ACCOUNT_A, 'us-east-1')]),
      policy: POLICY,
      now: NOW,
      existing: [stored(earlier, 1), kept.stored],
    });

    // Assess
    expect(plan.imports.map((entry) => entry.action)).toEqual(['archive']);
  });

  it("archives a whole-account finding once the account was evaluated region by region, even when a region then fails, and never that region's findings", () => {
    // Prepare: the account's regions could not be listed once (scope `*`); A holds a finding in us-east-1.
    const wholeAccount = stored(
      retentionFinding({
        provider: 'aws',
        account: ACCOUNT_A,
        region: '*',
        type: 'Scope',
        id: `${ACCOUNT_A}/*`,
      }),
      1,
    );
    const east = stored(retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1')), 1);
    const kept = keeper();
    const keptB = keeper(rdsResource('db-b', ACCOUNT_B));

    // Act
    const settled = planPublication({
      report: report([kept.finding], [completeScope(ACCOUNT_A, 'eu-west-1')]),
      policy: POLICY,
      now: NOW,
      existing: [wholeAccount, kept.stored],
    });
    // The region listing, that finding's own scope, worked; us-east-1 failed on its own.
    const partly = planPublication({
      report: report(
        [kept.finding],
        [completeScope(ACCOUNT_A, 'eu-west-1'), failedScope(ACCOUNT_A, 'us-east-1')],
      ),
      policy: POLICY,
      now: NOW,
      existing: [wholeAccount, kept.stored, east],
    });
    const everyRegionFailed = planPublication({
      report: report(
        [keptB.finding],
        [
          failedScope(ACCOUNT_A, 'eu-west-1'),
          failedScope(ACCOUNT_A, 'us-east-1'),
          completeScope(ACCOUNT_B, 'eu-west-1'),
        ],
      ),
      policy: POLICY,
      now: NOW,
      existing: [wholeAccount, keptB.stored],
    });
    // The listing failed again: the finding's own scope was not evaluated.
    const unlistedAgain = planPublication({
      report: report([keptB.finding], [failedScope(ACCOUNT_A, '*'), completeScope(ACCOUNT_B, 'eu-west-1')]),
      policy: POLICY,
      now: NOW,
      existing: [wholeAccount, keptB.stored],
    });

    // A report with the listing failed beside region scopes of the account settles nothing either.
    const listingFailedBeside = planPublication({
      report: report([kept.finding], [failedScope(ACCOUNT_A, '*'), completeScope(ACCOUNT_A, 'eu-west-1')]),
      policy: POLICY,
      now: NOW,
      existing: [wholeAccount, kept.stored],
    });

    // A run narrowed to some regions (CLI --region, a function's input) never listed the account's
    // regions: the account is not proven readable as a whole, whatever those regions say.
    const narrowed = planPublication({
      report: { ...report([kept.finding], [completeScope(ACCOUNT_A, 'eu-west-1')]), narrowed: true },
      policy: POLICY,
      now: NOW,
      existing: [wholeAccount, kept.stored],
    });

    // Assess
    const archived = (plan: typeof settled) =>
      plan.imports.filter((entry) => entry.action === 'archive').map((entry) => entry.finding.Id);
    expect(archived(settled)).toEqual([wholeAccount.Id]);
    expect(archived(partly)).toEqual([wholeAccount.Id]);
    expect(partly.skipped.find((skip) => skip.id === east.Id)?.kind).toBe('untouched');
    expect(archived(everyRegionFailed)).toEqual([wholeAccount.Id]);
    expect(archived(unlistedAgain)).toEqual([]);
    expect(unlistedAgain.skipped.map((skip) => skip.id)).toContain(wholeAccount.Id);
    expect(archived(listingFailedBeside)).toEqual([]);
    expect(narrowed.counts.archive).toBe(0);
    expect(narrowed.skipped.find((skip) => skip.id === wholeAccount.Id)?.reason).toContain('narrowed');
  });

  it('sends UpdatedAt just after the stored one when the stored UpdatedAt is ahead of this clock', () => {
    // Prepare
    const resource = rdsResource('db-1');
    const ahead = stored(retentionFinding(resource), -1);

    // Act
    const plan = planPublication({
      report: report(
        [retentionFinding(resource, { status: 'PASSED' })],
        [completeScope(ACCOUNT_A, 'eu-west-1')],
      ),
      policy: POLICY,
      now: NOW,
      existing: [ahead],
    });

    // Assess
    expect(Date.parse(plan.imports[0]?.finding.UpdatedAt ?? '')).toBe(Date.parse(ahead.UpdatedAt ?? '') + 1);
  });

  it('plans GCP findings into the central account and archives them by project and region', () => {
    // Prepare
    const kept = retentionFinding(cloudSqlResource('sql-1'));
    const gone = stored(retentionFinding(cloudSqlResource('sql-2')), 1);

    // Act
    const plan = planPublication({
      report: report([kept], [gcpScope('certctl-prod', 'europe-west1')]),
      policy: POLICY,
      now: NOW,
      existing: [gone],
    });

    // Assess
    expect(
      plan.imports.map((entry) => [entry.action, entry.destination.account, entry.destination.region]),
    ).toEqual([
      ['create', CENTRAL, 'eu-west-1'],
      ['archive', CENTRAL, 'eu-west-1'],
    ]);
  });

  it('archives nothing when the run judged no database or missed a named target', () => {
    // Prepare: a tag typo selects nothing; every scope is complete and empty.
    const open = stored(retentionFinding(rdsResource('db-1')), 1);

    // Act
    const nothingJudged = planPublication({
      report: report([], [completeScope(ACCOUNT_A, 'eu-west-1')]),
      policy: POLICY,
      now: NOW,
      existing: [open],
    });
    const missedTarget = planPublication({
      report: {
        ...report([keeper().finding], [completeScope(ACCOUNT_A, 'eu-west-1')]),
        unmatchedTargets: ['db-1x'],
      },
      policy: POLICY,
      now: NOW,
      existing: [open],
    });

    // Assess
    for (const plan of [nothingJudged, missedTarget]) {
      expect(plan.counts.archive).toBe(0);
      expect(plan.skipped).toContainEqual(
        expect.objectContaining({
          id: open.Id,
          kind: 'untouched',
          reason: expect.stringContaining('coverage is in doubt'),
        }),
      );
    }
  });

  it('archives nothing when the pitr group judged no database though the keys group judged its secret', () => {
    // Prepare: a default run (pitr + keys) with a tag typo: the pitr scope is complete and empty,
    // the keys scope judged its secret. The open database finding is not known to be gone.
    const open = stored(retentionFinding(rdsResource('db-1')), 1);
    const secret = retentionFinding(
      {
        provider: 'aws',
        account: ACCOUNT_A,
        region: 'eu-west-1',
        type: 'AwsSecretsManagerSecret',
        id: 'certctl/ca-key',
        arn: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT_A}:secret:certctl/ca-key-AbCdEf`,
      },
      { checkId: 'keys.present', group: 'keys' },
    );

    // Act
    const plan = planPublication({
      report: report(
        [secret],
        [completeScope(ACCOUNT_A, 'eu-west-1'), completeScope(ACCOUNT_A, 'eu-west-1', 'keys')],
      ),
      policy: POLICY,
      now: NOW,
      existing: [open, stored(secret, 1 / (24 * 60))],
    });

    // Assess
    expect(plan.counts.archive).toBe(0);
    expect(plan.skipped).toContainEqual(
      expect.objectContaining({
        id: open.Id,
        kind: 'untouched',
        reason: expect.stringMatching(/coverage is in doubt \(no database matched the policy's targets/),
      }),
    );
  });

  it('archives a GCP finding in any region when its project was evaluated whole (region *)', () => {
    // Prepare: Cloud SQL lists a project across all its regions, so the scope is (project, *).
    const gone = stored(retentionFinding(cloudSqlResource('sql-2')), 1);
    const kept = keeper(cloudSqlResource('sql-kept', 'certctl-prod', 'us-central1'));

    // Act
    const evaluated = planPublication({
      report: report([kept.finding], [gcpScope('certctl-prod', '*')]),
      policy: POLICY,
      now: NOW,
      existing: [gone, kept.stored],
    });
    const failed = planPublication({
      report: report([], [{ ...gcpScope('certctl-prod', '*'), status: 'failed', resources: 0 }]),
      policy: POLICY,
      now: NOW,
      existing: [gone],
    });

    // Assess
    expect(evaluated.imports.map((entry) => entry.action)).toEqual(['archive']);
    expect(failed.imports).toEqual([]);
    expect(failed.counts.untouched).toBe(1);
  });

  it('throws when the report holds the same (check, resource) twice', () => {
    // Prepare
    const finding = retentionFinding(rdsResource('db-1'));

    // Act / Assess
    expect(() =>
      planPublication({ report: report([finding, finding], []), policy: POLICY, now: NOW }),
    ).toThrow(AsffValidationError);
  });

  it('honours a shorter refreshDays from the policy', () => {
    // Prepare
    const finding = retentionFinding(rdsResource('db-1'));
    const daily = policy({ securityHub: { enabled: true, refreshDays: 1 } });

    // Act
    const plan = planPublication({
      report: report([finding], [completeScope(ACCOUNT_A, 'eu-west-1')]),
      policy: daily,
      now: NOW,
      existing: [stored(finding, 2)],
    });

    // Assess
    expect(plan.counts.refresh).toBe(1);
  });
});

describe('describeChanges', () => {
  const base = () => stored(retentionFinding(rdsResource('db-1')), 1);

  it('names every material change in a fixed order, with before and after', () => {
    // Prepare
    const before = base();
    const after: AwsSecurityFinding = {
      ...before,
      Compliance: { Status: 'PASSED' },
      FindingProviderFields: {
        Severity: { Label: 'LOW' },
        Types: ['Software and Configuration Checks/Other'],
      },
      Title: 'Another title',
      Remediation: { Recommendation: { Text: 'x', Url: 'https://example.com/fix' } },
      ProductFields: { ...before.ProductFields, 'observed/retentionDays': '30', 'observed/zeta': 'new' },
      Resources: [{ ...(before.Resources?.[0] as Resource), Region: 'eu-west-2' }],
    };

    // Act
    const changes = describeChanges(before, after);

    // Assess
    expect(changes).toEqual([
      'Compliance.Status FAILED -> PASSED',
      'Severity HIGH -> LOW',
      'Title Point-in-time recovery retention meets the policy minimum... -> Another title',
      'Remediation.Url https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/US... -> https://example.com/fix',
      'Types ["Software and Configuration Checks/Industry and Regulato... -> ["Software and Configuration Checks/Other"]',
      'observed/retentionDays 7 -> 30',
      'observed/zeta (none) -> new',
      `Resources [["AwsRdsDbInstance","arn:aws:rds:eu-west-1:${ACCOUNT_A}:... -> [["AwsRdsDbInstance","arn:aws:rds:eu-west-1:${ACCOUNT_A}:...`,
    ]);
  });

  it('finds no change when only Security Hub keys, the customer severity or the order of details differ', () => {
    // Prepare
    const gcp = stored(retentionFinding(cloudSqlResource('sql-1')), 1);
    const other = gcp.Resources?.[0]?.Details?.Other ?? {};
    const reordered: AwsSecurityFinding = {
      ...gcp,
      Severity: { Label: 'LOW' },
      ProductFields: { ...gcp.ProductFields, 'aws/securityhub/FindingId': 'x' },
      Resources: [
        {
          ...(gcp.Resources?.[0] as Resource),
          Details: { Other: Object.fromEntries(Object.entries(other).reverse()) },
        },
      ],
    };

    // Act / Assess
    expect(describeChanges(gcp, reordered)).toEqual([]);
    expect(contentHash(reordered)).toBe(contentHash(gcp));
  });

  it('compares the top-level severity and types when the finding has no provider fields', () => {
    // Prepare
    const before = { ...base(), FindingProviderFields: undefined };
    const after = { ...before, Severity: { Label: 'LOW' as const }, Types: ['TTPs/Other'] };

    // Act / Assess
    expect(describeChanges(before, after)).toEqual([
      'Severity HIGH -> LOW',
      'Types ["Software and Configuration Checks/Industry and Regulato... -> ["TTPs/Other"]',
    ]);
  });

  it('ignores a drifting observed value', () => {
    const before = base();
    const after = { ...before, ProductFields: { ...before.ProductFields, 'observed/retentionDays': '8' } };
    expect(describeChanges(before, after, ['retentionDays'])).toEqual([]);
    expect(describeChanges(before, after)).toEqual(['observed/retentionDays 7 -> 8']);
  });

  it('sees a finding losing its resources or compliance', () => {
    const before = base();
    const after = { ...before, Resources: undefined, Compliance: undefined };
    expect(describeChanges(before, after)).toEqual([
      'Compliance.Status FAILED -> (none)',
      `Resources [["AwsRdsDbInstance","arn:aws:rds:eu-west-1:${ACCOUNT_A}:... -> []`,
    ]);
  });
});

describe('contentHash', () => {
  it('is a 22-character digest that changes with material content only', () => {
    // Prepare
    const finding = stored(retentionFinding(rdsResource('db-1')), 1);

    // Act
    const hash = contentHash(finding);

    // Assess
    expect(hash).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(contentHash({ ...finding, Description: 'other words' })).toBe(hash);
    expect(contentHash({ ...finding, Title: 'other title' })).not.toBe(hash);
  });
});

describe('contentHash and the texts it leaves out', () => {
  it('is the same for a filling restore window a day later, though its fix text names the days still missing', () => {
    // Prepare: one Aurora cluster whose window started 12 days before the first day, judged on two days.
    const earliest = new Date(NOW.getTime() - 12 * DAY);
    const judged = (at: Date) => {
      const fact = auroraClusterFact({
        restoreWindow: { known: true, earliest, latest: at, source: 'EarliestRestorableTime' },
        createdAt: earliest,
      });
      const outcome = pitrWindowCheck.evaluate(fact, { policy: parsePolicy({}), now: at });
      const finding = toFinding(pitrWindowCheck.metadata, fact.resource, outcome as CheckOutcome, at);
      return {
        asff: toAsff(finding, { destination: destinationFor(finding.resource, TARGET), now: at }),
        finding,
      };
    };

    // Act
    const first = judged(NOW);
    const next = judged(new Date(NOW.getTime() + DAY));

    // Assess: the fix text moves every day while the window fills, so it cannot be news on its own
    // (a digest of it would re-import every filling window on every run); new fix texts reach
    // Security Hub with the next material change or the refresh.
    expect(first.finding.status).toBe('WARNING');
    expect(next.asff.Remediation?.Recommendation?.Text).not.toBe(
      first.asff.Remediation?.Recommendation?.Text,
    );
    expect(contentHash(next.asff, next.finding.drifting)).toBe(
      contentHash(first.asff, first.finding.drifting),
    );
  });
});

describe('heldFinding', () => {
  const finding = retentionFinding(rdsResource('db-1'));
  const digests = (f: Finding) => reportedDigests(report([f], []), TARGET, NOW);

  it('drops the whole finding when this run reports it unchanged and keeps its digest and scope', () => {
    // Prepare
    const held = heldFinding(stored(finding, 1), digests(finding));

    // Assess
    expect(held).toEqual({
      id: stored(finding, 1).Id,
      productArn: stored(finding, 1).ProductArn,
      account: ACCOUNT_A,
      region: 'eu-west-1',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: stored(finding, 1).UpdatedAt,
      recordState: 'ACTIVE',
      complianceStatus: 'FAILED',
      scope: { provider: 'aws', account: ACCOUNT_A, region: 'eu-west-1', group: 'pitr' },
      contentHash: contentHash(stored(finding, 1)),
    });
  });

  it('keeps the whole finding when it changed, is archived, or is not reported', () => {
    // Prepare
    const changed = retentionFinding(rdsResource('db-1'), { status: 'PASSED' });
    const archived = stored(finding, 1, { RecordState: 'ARCHIVED' });

    // Act / Assess
    expect(heldFinding(stored(finding, 1), digests(changed)).finding).toBeDefined();
    expect(heldFinding(archived, digests(finding))).toMatchObject({
      recordState: 'ARCHIVED',
      finding: archived,
    });
    expect(heldFinding(stored(finding, 1)).finding).toBeDefined();
  });

  it('keeps a finding unchanged but for a drifting value compacted', () => {
    // Prepare
    const lag = (minutes: number) =>
      retentionFinding(rdsResource('db-1'), {
        observed: { restoreLagMinutes: minutes },
        drifting: ['restoreLagMinutes'],
      });

    // Act / Assess
    expect(heldFinding(stored(lag(4), 1), digests(lag(9))).finding).toBeUndefined();
  });

  it('knows no scope when the ProductFields do not name a valid one', () => {
    // Prepare
    const fields = stored(finding, 1).ProductFields ?? {};
    const without = (change: Record<string, string | undefined>) =>
      heldFinding(stored(finding, 1, { ProductFields: { ...fields, ...change } as Record<string, string> }))
        .scope;

    // Act / Assess
    expect(without({ provider: 'azure' })).toBeUndefined();
    expect(without({ provider: 'gcp' })).toEqual({
      provider: 'gcp',
      account: ACCOUNT_A,
      region: 'eu-west-1',
      group: 'pitr',
    });
    expect(without({ account: undefined })).toBeUndefined();
    expect(without({ region: undefined })).toBeUndefined();
    expect(without({ checkGroup: undefined })).toBeUndefined();
    expect(without({ checkGroup: 'Not A Group' })).toBeUndefined();
    expect(heldFinding({ ...stored(finding, 1), ProductFields: undefined }).scope).toBeUndefined();
  });

  it('takes the region from the product ARN, else from the finding', () => {
    // Prepare
    const noArn = { ...stored(finding, 1), ProductArn: undefined, Region: 'eu-west-3' };
    const arnInText = {
      ...stored(finding, 1),
      ProductArn: `x-arn:aws:securityhub:us-east-2:${ACCOUNT_A}:product/x/default`,
      Region: 'eu-west-3',
    };

    // Act / Assess
    expect(heldFinding(noArn)).toMatchObject({ region: 'eu-west-3', productArn: '' });
    expect(heldFinding(arnInText).region).toBe('eu-west-3');
    expect(heldFinding({ ...noArn, Compliance: undefined }).complianceStatus).toBeUndefined();
  });
});

describe('planPublication reasons and edge cases', () => {
  const scopes = [completeScope(ACCOUNT_A, 'eu-west-1')];

  it('says a ledger-held finding whose digest differs changed, and one that now passes resolves', () => {
    // Prepare
    const finding = retentionFinding(rdsResource('db-1'));
    const asHeld = { ...heldFinding(stored(finding, 1)), finding: undefined, contentHash: 'other' };

    // Act
    const changed = planPublication({
      report: report([finding], scopes),
      policy: POLICY,
      now: NOW,
      held: [asHeld],
    });
    const passing = planPublication({
      report: report([retentionFinding(rdsResource('db-1'), { status: 'PASSED' })], scopes),
      policy: POLICY,
      now: NOW,
      held: [asHeld],
    });

    // Assess
    expect(changed.imports.map((entry) => [entry.action, entry.reason])).toEqual([
      ['update', 'changed: content differs from the last import (import ledger digest)'],
    ]);
    expect(passing.imports.map((entry) => [entry.action, entry.reason])).toEqual([
      ['resolve', 'now passes (content differs from the last import (import ledger digest))'],
    ]);
  });

  it('names the changes when a read-back finding changed, and the time when it is unchanged', () => {
    // Prepare
    const finding = retentionFinding(rdsResource('db-1'));
    const existing = stored(finding, 1 / (24 * 60));

    // Act
    const changed = planPublication({
      report: report([{ ...finding, title: 'New title' }], scopes),
      policy: POLICY,
      now: NOW,
      existing: [existing],
    });
    const unchanged = planPublication({
      report: report([finding], scopes),
      policy: POLICY,
      now: NOW,
      existing: [existing],
    });

    // Assess
    expect(changed.imports[0]?.reason).toBe(
      'changed: Title Point-in-time recovery retention meets the policy minimum... -> New title: db-1',
    );
    expect(unchanged.skipped).toEqual([
      {
        kind: 'unchanged',
        id: existing.Id,
        reason: `unchanged, last updated ${existing.UpdatedAt}`,
        destination: expect.anything(),
      },
    ]);
  });

  it('refreshes a held finding whose last update is unknown', () => {
    // Prepare
    const finding = retentionFinding(rdsResource('db-1'));
    const held = { ...heldFinding(stored(finding, 1)), updatedAt: undefined };

    // Act
    const plan = planPublication({
      report: report([finding], scopes),
      policy: POLICY,
      now: NOW,
      held: [held],
    });

    // Assess
    expect(plan.imports[0]?.action).toBe('refresh');
    expect(plan.imports[0]?.reason).toMatch(
      /^unchanged, last updated \(unknown\): due for its refresh \(every 7 days/,
    );
  });

  it('leaves the held finding untouched when the check failed with an internal error on the resource', () => {
    // Prepare
    const finding = retentionFinding(rdsResource('db-1'));
    const broken = { ...finding, status: 'NOT_AVAILABLE' as const, internalError: true };

    // Act
    const plan = planPublication({
      report: report([broken], scopes),
      policy: POLICY,
      now: NOW,
      existing: [stored(finding, 1)],
    });

    // Assess
    expect(plan.imports).toEqual([]);
    expect(plan.counts.untouched).toBe(1);
    expect(plan.skipped).toEqual([
      {
        kind: 'untouched',
        id: stored(finding, 1).Id,
        // Left as it was in this run only: once 30 days old it is kept alive, a pass as NOT_AVAILABLE.
        reason:
          'the check failed with an internal error on this resource: the earlier finding is left as it was until its keep-alive is due, 30 days after its last update (then it is re-imported as it was, or NOT_AVAILABLE when it last said PASSED)',
        destination: { account: ACCOUNT_A, region: 'eu-west-1', partition: 'aws' },
      },
    ]);
  });

  it('reads by Id the finding whose check throws when its ledger entry has no digest, with its re-import ACTIVE ready', () => {
    // Prepare: the ledger remembers db-1 ACTIVE without a digest (an import whose outcome is unknown).
    const finding = retentionFinding(rdsResource('db-1'));
    const broken = { ...finding, status: 'NOT_AVAILABLE' as const, internalError: true };
    const { finding: _read, contentHash: _digest, ...unsure } = heldFinding(stored(finding, 1));

    // Act
    const plan = planPublication({
      report: report([broken], scopes),
      policy: POLICY,
      now: NOW,
      held: [unsure],
    });

    // Assess: nothing sent or skipped yet; one look-up, whose re-import is the NOT_AVAILABLE finding.
    expect(plan.imports).toEqual([]);
    expect(plan.skipped).toEqual([]);
    expect(plan.lookups).toHaveLength(1);
    expect(plan.lookups[0]).toMatchObject({
      action: 'internalError',
      id: stored(finding, 1).Id,
      failure: 'check pitr.retention failed with an internal error on this resource',
      reopen: { action: 'update', finding: { Compliance: { Status: 'NOT_AVAILABLE' } } },
    });
    expect(plan.lookups[0]?.reopen?.finding.RecordState).not.toBe('ARCHIVED');
  });

  it('re-imports ACTIVE as NOT_AVAILABLE an archived finding whose resource is back and whose check now throws', () => {
    // Prepare: db-1 was deleted (its FAILED finding archived); a database of that name is back,
    // and the check throws on it.
    const finding = retentionFinding(rdsResource('db-1'));
    const broken = {
      ...finding,
      status: 'NOT_AVAILABLE' as const,
      observed: { internalError: 'TypeError' },
      internalError: true,
    };
    const archived = stored(finding, 20, { RecordState: 'ARCHIVED' });

    // Act
    const plan = planPublication({
      report: report([broken], scopes),
      policy: POLICY,
      now: NOW,
      existing: [archived],
    });

    // Assess: the archive said "resource gone", which is no longer true, and there is no earlier
    // evaluation of this database to keep: it shows as not evaluated, keeping its CreatedAt.
    expect(plan.imports).toHaveLength(1);
    expect(plan.imports[0]).toMatchObject({
      action: 'update',
      finding: {
        Id: archived.Id,
        RecordState: 'ACTIVE',
        Compliance: { Status: 'NOT_AVAILABLE' },
        CreatedAt: archived.CreatedAt,
      },
    });
    expect(plan.counts.untouched).toBe(0);
  });

  it('creates the finding of an internal error when Security Hub holds none', () => {
    const broken = {
      ...retentionFinding(rdsResource('db-1')),
      status: 'NOT_AVAILABLE' as const,
      internalError: true,
    };
    const plan = planPublication({ report: report([broken], scopes), policy: POLICY, now: NOW });
    expect(plan.imports.map((entry) => entry.action)).toEqual(['create']);
  });

  it('says why nothing is archived when coverage is in doubt or the scope is unknown', () => {
    // Prepare
    const open = stored(retentionFinding(rdsResource('db-1')), 1);
    const foreign = { ...stored(retentionFinding(rdsResource('db-2')), 1), ProductFields: { note: 'x' } };

    // Act
    const plan = planPublication({
      report: { ...report([keeper().finding], scopes), unmatchedTargets: ['db-1x'] },
      policy: POLICY,
      now: NOW,
      existing: [open, foreign],
    });

    // Assess
    const reasons = plan.skipped.filter((skip) => skip.kind === 'untouched').map((skip) => skip.reason);
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toMatch(
      /^not reported, but this run's coverage is in doubt \(.*db-1x.*\): nothing is archived$/,
    );
    expect(reasons[1]).toBe('not reported, and its scope is unknown (no certctl-backup-guard ProductFields)');
  });

  it('keeps findings of two products with the same Id apart', () => {
    // Prepare
    const open = stored(retentionFinding(rdsResource('db-1')), 1);
    const twin = {
      ...open,
      ProductArn: `arn:aws:securityhub:eu-west-1:${ACCOUNT_A}:product/${ACCOUNT_A}/other`,
    };

    // Act
    const plan = planPublication({
      report: report([retentionFinding(rdsResource('db-1'))], [failedScope(ACCOUNT_A, 'eu-west-1')]),
      policy: POLICY,
      now: NOW,
      existing: [open, twin],
    });

    // Assess
    expect(plan.counts.untouched).toBe(1);
    expect(plan.skipped.map((skip) => skip.id)).toEqual([open.Id]);
  });

  it('names the duplicate Id when the report holds one finding twice', () => {
    const finding = retentionFinding(rdsResource('db-1'));
    expect(() =>
      planPublication({ report: report([finding, finding], scopes), policy: POLICY, now: NOW }),
    ).toThrow(
      /ASFF finding certctl-backup-guard\/pitr\.retention\/\S+ is invalid: Id is produced twice in one run/,
    );
  });

  it('refuses to re-import a finding whose stored CreatedAt is not a date', () => {
    const finding = retentionFinding(rdsResource('db-1'));
    expect(() =>
      planPublication({
        report: report([finding], scopes),
        policy: POLICY,
        now: NOW,
        existing: [stored(finding, 8, { CreatedAt: 'yesterday' })],
      }),
    ).toThrow(AsffValidationError);
  });

  it('sends UpdatedAt just after a stored UpdatedAt equal to this clock', () => {
    // Prepare
    const finding = retentionFinding(rdsResource('db-1'));

    // Act
    const plan = planPublication({
      report: report([{ ...finding, title: 'New title' }], scopes),
      policy: POLICY,
      now: NOW,
      existing: [stored(finding, 0)],
    });

    // Assess
    expect(plan.imports[0]?.finding.UpdatedAt).toBe(new Date(NOW.getTime() + 1).toISOString());
  });

  it('archives a finding of another region of an account evaluated whole, unless part of it failed', () => {
    // Prepare
    const elsewhere = stored(retentionFinding(rdsResource('db-x', ACCOUNT_A, 'us-east-1')), 1);
    const whole = completeScope(ACCOUNT_A, '*');
    const kept = keeper();

    // Act
    const settled = planPublication({
      report: report([kept.finding], [whole]),
      policy: POLICY,
      now: NOW,
      existing: [elsewhere, kept.stored],
    });
    const partly = planPublication({
      report: report([kept.finding], [whole, failedScope(ACCOUNT_A, 'us-east-1')]),
      policy: POLICY,
      now: NOW,
      existing: [elsewhere, kept.stored],
    });
    const otherRegionOnly = planPublication({
      report: report([kept.finding], [completeScope(ACCOUNT_A, 'eu-west-1')]),
      policy: POLICY,
      now: NOW,
      existing: [elsewhere, kept.stored],
    });

    // Assess
    expect(settled.counts.archive).toBe(1);
    expect(partly.counts.archive).toBe(0);
    expect(otherRegionOnly.counts.archive).toBe(0);
  });
});

describe('a whole account that failed beside scopes that completed', () => {
  it("resolves and archives the completed scopes' own findings and never the failed account's", () => {
    // Prepare: account A's regions could not be listed (scope `*` failed: its NOT_AVAILABLE finding
    // is reported); account B's eu-west-1 was evaluated whole, db-b fixed and db-gone deleted. A
    // holds a failing finding in eu-west-1 and its earlier whole-account finding.
    const down = failedScope(ACCOUNT_A, '*');
    const fixed = retentionFinding(rdsResource('db-b', ACCOUNT_B), { status: 'PASSED' });
    const heldB = stored(retentionFinding(rdsResource('db-b', ACCOUNT_B)), 1);
    const goneB = stored(retentionFinding(rdsResource('db-gone', ACCOUNT_B)), 1);
    const heldA = stored(retentionFinding(rdsResource('db-a', ACCOUNT_A)), 1);
    const heldWholeA = stored(scopeFinding(down), 1);
    const audit = report([scopeFinding(down), fixed], [down, completeScope(ACCOUNT_B, 'eu-west-1')]);

    // Act
    const plan = planPublication({
      report: audit,
      policy: POLICY,
      now: NOW,
      existing: [heldB, goneB, heldA, heldWholeA],
    });

    // Assess
    const actionOf = (id: string | undefined) =>
      plan.imports.find((entry) => entry.finding.Id === id)?.action;
    expect(actionOf(heldB.Id)).toBe('resolve');
    expect(actionOf(goneB.Id)).toBe('archive');
    expect(actionOf(heldA.Id)).toBeUndefined();
    expect(plan.skipped.find((entry) => entry.id === heldA.Id)?.kind).toBe('untouched');
    expect(actionOf(heldWholeA.Id)).not.toBe('resolve');
    expect(actionOf(heldWholeA.Id)).not.toBe('archive');
    expect(plan.counts).toMatchObject({ resolve: 1, archive: 1 });
  });
});

describe('archiveImport', () => {
  it('copies the provider fields from the top level and keeps the remediation and compliance', () => {
    // Prepare
    const existing = {
      ...stored(retentionFinding(rdsResource('db-1')), 1),
      FindingProviderFields: undefined,
    };

    // Act
    const planned = archiveImport(existing, 'gone', NOW);

    // Assess
    expect(planned).toMatchObject({
      action: 'archive',
      reason: 'gone',
      destination: { account: ACCOUNT_A, region: 'eu-west-1' },
    });
    expect(planned.finding).toMatchObject({
      RecordState: 'ARCHIVED',
      Remediation: existing.Remediation,
      Compliance: { Status: 'FAILED' },
      Severity: { Label: 'HIGH' },
      FindingProviderFields: { Severity: { Label: 'HIGH' }, Types: existing.Types },
    });
    expect(planned.contentHash).toBe(contentHash(planned.finding));
  });

  it('sends no remediation or compliance the existing finding did not have', () => {
    const existing = {
      ...stored(retentionFinding(rdsResource('db-1')), 1),
      Remediation: undefined,
      Compliance: undefined,
    };
    const planned = archiveImport(existing, 'gone', NOW);
    expect('Remediation' in planned.finding).toBe(false);
    expect('Compliance' in planned.finding).toBe(false);
  });

  it('refuses to archive a finding Security Hub would reject', () => {
    const existing = { ...stored(retentionFinding(rdsResource('db-1')), 1), Title: undefined };
    expect(() => archiveImport(existing, 'gone', NOW)).toThrow(AsffValidationError);
  });
});

describe('destinationsToRead', () => {
  it('includes a complete scope without findings and the central account for GCP', () => {
    // Prepare
    const audit = report(
      [retentionFinding(cloudSqlResource('sql-1'))],
      [completeScope(ACCOUNT_B, 'ap-southeast-2'), gcpScope('certctl-prod', 'europe-west1')],
    );

    // Act
    const destinations = destinationsToRead(audit, TARGET, POLICY).map((d) => `${d.account}/${d.region}`);

    // Assess: the default policy audits all regions, so the home region may hold a whole-account finding.
    expect(destinations.sort()).toEqual([
      `${ACCOUNT_B}/ap-southeast-2`,
      `${ACCOUNT_B}/eu-west-1`,
      `${CENTRAL}/eu-west-1`,
    ]);
  });

  it('reads no home region when the policy lists its regions (no whole-account finding can exist)', () => {
    // Prepare
    const audit = report([], [completeScope(ACCOUNT_B, 'ap-southeast-2')]);
    const fixedRegions = policy({ aws: { regions: ['ap-southeast-2'] } });

    // Act
    const destinations = destinationsToRead(audit, TARGET, fixedRegions).map(
      (d) => `${d.account}/${d.region}`,
    );

    // Assess
    expect(destinations).toEqual([`${ACCOUNT_B}/ap-southeast-2`]);
  });

  it('looks at each scope a bounded number of times however many scopes the run has', () => {
    // Prepare: 2,000 complete scopes (200 accounts of 10 regions) and, last, one account evaluated
    // whole, with a listed-regions policy: every account's home region is read. Each scope counts how
    // often its `scope` is looked at, to tell a linear plan from one that rescans every scope per scope.
    const accounts = Array.from({ length: 200 }, (_, index) => String(100000000000 + index));
    const regions = [
      'us-east-1',
      'us-east-2',
      'us-west-1',
      'us-west-2',
      'ap-south-1',
      'ap-northeast-1',
      'ap-northeast-2',
      'ap-southeast-1',
      'ap-southeast-2',
      'ca-central-1',
    ];
    let looks = 0;
    const counted = (outcome: ScopeOutcome): ScopeOutcome => {
      const { scope, ...rest } = outcome;
      return Object.defineProperty({ ...rest }, 'scope', {
        enumerable: true,
        get: () => {
          looks += 1;
          return scope;
        },
      }) as ScopeOutcome;
    };
    const scopes = [
      ...accounts.flatMap((account) => regions.map((region) => counted(completeScope(account, region)))),
      counted(completeScope(ACCOUNT_B, '*')),
    ];
    const fixedRegions = policy({ aws: { regions } });

    // Act
    const destinations = destinationsToRead(report([], scopes), TARGET, fixedRegions).map(
      (d) => `${d.account}/${d.region}`,
    );

    // Assess: every audited region and every account's home region, each once.
    expect(new Set(destinations).size).toBe(destinations.length);
    expect(destinations).toHaveLength(200 * 10 + 200 + 1);
    expect(destinations).toContain(`${accounts[0]}/eu-west-1`);
    expect(destinations).toContain(`${accounts[199]}/ca-central-1`);
    expect(destinations).toContain(`${ACCOUNT_B}/eu-west-1`);
    expect(looks).toBeLessThanOrEqual(10 * scopes.length);
  });
});

describe('lifecycle edges the mutation run found open', () => {
  const base = () => stored(retentionFinding(rdsResource('db-1')), 1);

  it('reads no destination for a scope that failed and reported nothing', () => {
    const fixedRegions = policy({ aws: { regions: ['ap-southeast-2'] } });
    expect(
      destinationsToRead(report([], [failedScope(ACCOUNT_B, 'ap-southeast-2')]), TARGET, fixedRegions),
    ).toEqual([]);
  });
  it('reads the home region of a listed-regions policy only when an AWS account was evaluated whole', () => {
    const fixedRegions = policy({ aws: { regions: ['ap-southeast-2'] } });
    const read = (scopes: Parameters<typeof report>[1]) =>
      destinationsToRead(report([], scopes), TARGET, fixedRegions)
        .map((d) => `${d.account}/${d.region}`)
        .sort();
    // Account B evaluated whole: account A's home region may hold a whole-account finding too.
    expect(read([completeScope(ACCOUNT_A, 'ap-southeast-2'), completeScope(ACCOUNT_B, '*')])).toEqual([
      `${ACCOUNT_A}/ap-southeast-2`,
      `${ACCOUNT_A}/eu-west-1`,
      `${ACCOUNT_B}/eu-west-1`,
    ]);
    // A GCP project evaluated whole is not an AWS account: no home region of the AWS account is read.
    expect(read([completeScope(ACCOUNT_B, 'ap-southeast-2'), gcpScope('certctl-prod', '*')])).toEqual([
      `${ACCOUNT_B}/ap-southeast-2`,
      `${CENTRAL}/eu-west-1`,
    ]);
  });
  it('digests ProductFields whatever order Security Hub returns them in', () => {
    const finding = base();
    const reversed = {
      ...finding,
      ProductFields: Object.fromEntries(Object.entries(finding.ProductFields ?? {}).reverse()),
    };
    expect(contentHash(reversed)).toBe(contentHash(finding));
  });
  it('lists ProductFields changes by key, also for keys only one side has', () => {
    const before = { ...base(), ProductFields: { ...base().ProductFields, 'observed/zz': '1' } };
    const after = { ...base(), ProductFields: { ...base().ProductFields, 'observed/aa': '2' } };
    expect(describeChanges(before, after)).toEqual(['observed/aa (none) -> 2', 'observed/zz 1 -> (none)']);
  });
  it('shows a 60-character value whole and cuts a 61-character one', () => {
    const sixty = 'x'.repeat(60);
    expect(describeChanges(base(), { ...base(), Title: sixty })).toEqual([
      `Title Point-in-time recovery retention meets the policy minimum... -> ${sixty}`,
    ]);
    expect(describeChanges(base(), { ...base(), Title: `${sixty}y` })).toEqual([
      `Title Point-in-time recovery retention meets the policy minimum... -> ${'x'.repeat(57)}...`,
    ]);
  });
  it('compares findings without a remediation or provider fields', () => {
    const bare = { ...base(), Remediation: undefined, FindingProviderFields: undefined, Severity: undefined };
    expect(describeChanges(bare, bare)).toEqual([]);
    expect(contentHash(bare)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
  it('joins every change in the reason of a resolve and of an update', () => {
    const finding = retentionFinding(rdsResource('db-1'));
    const existing = stored(finding, 1 / (24 * 60));
    const scopes = [completeScope(ACCOUNT_A, 'eu-west-1')];
    const passing = planPublication({
      report: report(
        [retentionFinding(rdsResource('db-1'), { status: 'PASSED', title: 'New title' })],
        scopes,
      ),
      policy: POLICY,
      now: NOW,
      existing: [existing],
    });
    expect(passing.imports[0]?.action).toBe('resolve');
    expect(passing.imports[0]?.reason).toMatch(
      /^now passes \(Compliance\.Status FAILED -> PASSED; Severity HIGH -> /,
    );
    const changed = planPublication({
      report: report([{ ...finding, title: 'New title', severity: 'LOW' }], scopes),
      policy: POLICY,
      now: NOW,
      existing: [existing],
    });
    expect(changed.imports[0]?.reason).toMatch(/^changed: Severity HIGH -> LOW; Title /);
  });
});

describe('a resource found in another region than the scope that read it', () => {
  // A dump bucket the policy places in us-east-1 but S3 redirects to eu-west-1: the finding names
  // the bucket's real region, while the us-east-1 scope read it.
  const dumpsCheck: Check<{ readonly resource: ResourceRef }> = {
    metadata: {
      id: 'dumps.fake-protection',
      group: 'dumps',
      title: 'Dumps are protected',
      failedTitle: 'Dumps are not protected',
      severity: 'HIGH',
      rationale: 'test',
      remediation: { text: 'protect them', url: 'https://example.com/fix' },
      resourceTypes: ['AwsS3Bucket'],
    },
    evaluate: () => ({ status: 'FAILED', description: 'unprotected', observed: {}, required: {} }),
  };
  const bucket = (name: string, region: string): { readonly resource: ResourceRef } => ({
    resource: { provider: 'aws', account: ACCOUNT_A, region, type: 'AwsS3Bucket', id: `${name}/dumps/` },
  });
  const dumpsPlan = (
    region: string,
    facts: readonly { readonly resource: ResourceRef }[] | Error,
  ): ScopePlan<{ readonly resource: ResourceRef }> => ({
    scope: { provider: 'aws', account: ACCOUNT_A, region, group: 'dumps' },
    collect: async () => {
      if (facts instanceof Error) throw facts;
      return facts;
    },
  });
  const audit = (plans: ScopePlan<{ readonly resource: ResourceRef }>[]) =>
    runAudit({ plans, checks: [dumpsCheck], policy: POLICY, now: () => NOW });

  it('resolves its finding only when that scope completes, whatever its own region did', async () => {
    // Prepare: the first run read the moved bucket in us-east-1 and another bucket in eu-west-1.
    const first = await audit([
      dumpsPlan('us-east-1', [bucket('moved', 'eu-west-1')]),
      dumpsPlan('eu-west-1', [bucket('home', 'eu-west-1')]),
    ]);
    const moved = first.findings.find((finding) => finding.resource.id === 'moved/dumps/');
    const home = first.findings.find((finding) => finding.resource.id === 'home/dumps/');
    if (!moved || !home) throw new Error('the first run judged both buckets');
    const held = [stored(moved, 1), stored(home, 1 / (24 * 60))];

    // Act: us-east-1 fails while eu-west-1 completes; then us-east-1 completes without the bucket.
    const failedThere = await audit([
      dumpsPlan('us-east-1', new CloudApiError('region down', 'ServiceUnavailable')),
      dumpsPlan('eu-west-1', [bucket('home', 'eu-west-1')]),
    ]);
    const gone = await audit([
      dumpsPlan('us-east-1', []),
      dumpsPlan('eu-west-1', [bucket('home', 'eu-west-1')]),
    ]);
    const whenFailed = planPublication({ report: failedThere, policy: POLICY, now: NOW, existing: held });
    const whenGone = planPublication({ report: gone, policy: POLICY, now: NOW, existing: held });

    // Assess: the bucket's finding stays while its scope is unread, and is archived once it is read.
    expect(moved.resource.region).toBe('eu-west-1');
    expect(held[0]?.ProductFields).toMatchObject({ region: 'eu-west-1', 'scope/region': 'us-east-1' });
    expect(held[1]?.ProductFields).not.toHaveProperty('scope/region');
    expect(whenFailed.counts.archive).toBe(0);
    expect(whenGone.counts.archive).toBe(1);
    expect(
      whenGone.imports.filter((planned) => planned.action === 'archive').map((planned) => planned.finding.Id),
    ).toEqual([held[0]?.Id]);
  });
});

describe('findings of a scope that keeps failing', () => {
  const down = failedScope(ACCOUNT_A, 'us-east-1');
  const east = (name: string) => retentionFinding(rdsResource(name, ACCOUNT_A, 'us-east-1'));
  const failing = (existing: readonly AwsSecurityFinding[], scopes = [down]) =>
    planPublication({
      report: report(scopes.filter((outcome) => outcome.status === 'failed').map(scopeFinding), scopes),
      policy: POLICY,
      now: NOW,
      existing,
    });

  it('re-imports a held FAILED finding 80 days old unchanged but for UpdatedAt and a note when its scope failed', () => {
    // Prepare
    const old = stored(east('db-old'), 80);

    // Act
    const plan = failing([old]);

    // Assess
    const kept = plan.imports.find((entry) => entry.finding.Id === old.Id);
    expect(kept?.action).toBe('keepAlive');
    expect(plan.counts.keepAlive).toBe(1);
    expect(kept?.finding).toMatchObject({
      Compliance: { Status: 'FAILED' },
      RecordState: 'ACTIVE',
      CreatedAt: old.CreatedAt,
      UpdatedAt: NOW.toISOString(),
      Title: old.Title,
      Severity: { Label: 'HIGH' },
      FindingProviderFields: { Severity: { Label: 'HIGH' } },
      Remediation: old.Remediation,
      ProductFields: expect.objectContaining({
        'observed/retentionDays': '7',
        'notEvaluated/since': old.UpdatedAt,
        'notEvaluated/reason': expect.stringContaining('region down (ServiceUnavailable)'),
      }),
    });
    expect(kept?.finding.Description).toMatch(
      new RegExp(
        `^Not re-evaluated since ${old.UpdatedAt}: scope aws/${ACCOUNT_A}/us-east-1/pitr could not be evaluated: region down \\(ServiceUnavailable\\)\\.`,
      ),
    );
    expect(kept?.finding.Description).toContain(old.Description);
    expect(kept?.finding.Workflow).toBeUndefined();
    expect(kept?.finding.Note).toBeUndefined();
    expect(kept?.contentHash).toBe(contentHash(kept?.finding as AwsSecurityFinding));
  });

  it('leaves a held finding 5 days old untouched when its scope failed', () => {
    // Prepare
    const recent = stored(east('db-recent'), 5);

    // Act
    const plan = failing([recent]);

    // Assess
    expect(plan.imports.map((entry) => entry.finding.Id)).not.toContain(recent.Id);
    expect(plan.counts).toMatchObject({ keepAlive: 0, untouched: 1 });
  });

  it('keeps nothing alive in a healthy scope or in a scope this run did not cover', () => {
    // Prepare: us-east-1 evaluated and the database is gone; ap-southeast-2 not part of this run.
    const gone = stored(east('db-gone'), 80);
    const reported = east('db-reported');
    const elsewhere = stored(retentionFinding(rdsResource('db-far', ACCOUNT_A, 'ap-southeast-2')), 80);
    const healthy = completeScope(ACCOUNT_A, 'us-east-1');

    // Act
    const plan = planPublication({
      report: report([reported], [healthy]),
      policy: POLICY,
      now: NOW,
      existing: [gone, stored(reported, 80), elsewhere],
    });

    // Assess
    expect(plan.imports.map((entry) => [entry.action, entry.finding.Id]).sort()).toEqual(
      [
        ['archive', gone.Id],
        ['refresh', asffFindingId(reported)],
      ].sort(),
    );
    expect(plan.counts).toMatchObject({ keepAlive: 0, untouched: 1 });
    for (const entry of plan.imports) {
      expect(entry.finding.ProductFields?.['notEvaluated/since']).toBeUndefined();
    }
  });

  it('keeps alive the findings of every region when the whole account failed, and archived ones stay archived', () => {
    // Prepare
    const wholeAccount = failedScope(ACCOUNT_A, '*');
    const old = stored(east('db-old'), 80);
    const archived = stored(east('db-archived'), 80, { RecordState: 'ARCHIVED' });

    // Act
    const plan = failing([old, archived], [wholeAccount]);

    // Assess
    expect(
      plan.imports.filter((entry) => entry.action === 'keepAlive').map((entry) => entry.finding.Id),
    ).toEqual([old.Id]);
  });

  it('refuses only the copy that would break an ASFF limit, planning the rest of the run', () => {
    // Prepare: Security Hub holds a finding with 49 ProductFields of its own (within its 50), which a
    // keep-alive's two notes would take to 51; beside it, another finding kept alive and a new one.
    const crowded = stored(east('db-crowded'), 80);
    const extra = Object.fromEntries(
      Array.from(
        {
          length:
            49 - Object.keys(crowded.ProductFields ?? {}).filter((key) => !key.startsWith('aws/')).length,
        },
        (_, index) => [`observed/extra${index}`, 'x'],
      ),
    );
    const full = { ...crowded, ProductFields: { ...crowded.ProductFields, ...extra } };
    const plain = stored(east('db-plain'), 80);
    const fresh = retentionFinding(rdsResource('db-new'));

    // Act
    const plan = planPublication({
      report: report([fresh, scopeFinding(down)], [completeScope(ACCOUNT_A, 'eu-west-1'), down]),
      policy: POLICY,
      now: NOW,
      existing: [full, plain],
    });

    // Assess: the run is planned; the crowded finding is refused, named, not thrown.
    expect(plan.imports.map((entry) => [entry.action, entry.finding.Id])).toEqual(
      expect.arrayContaining([
        ['create', asffFindingId(fresh)],
        ['keepAlive', plain.Id],
      ]),
    );
    expect(plan.imports.map((entry) => entry.finding.Id)).not.toContain(full.Id);
    expect(plan.refused).toEqual([
      {
        action: 'keepAlive',
        id: full.Id,
        destination: { account: ACCOUNT_A, region: 'us-east-1', partition: 'aws' },
        error: expect.any(AsffValidationError),
      },
    ]);
    expect(plan.refused[0]?.error.message).toMatch(/ProductFields has 51 pairs, more than 50/);
  });

  it('keeps the first time it was not re-evaluated and one note when kept alive twice', () => {
    // Prepare
    const old = stored(east('db-old'), 80);
    const first = failing([old]).imports.find((entry) => entry.action === 'keepAlive')?.finding;
    const later = new Date(NOW.getTime() + 31 * DAY);

    // Act
    const second = planPublication({
      report: report([scopeFinding(down)], [down]),
      policy: POLICY,
      now: later,
      existing: [
        {
          ...(first as AwsSecurityFinding),
          ProductFields: { ...first?.ProductFields, 'aws/securityhub/ProductName': 'Default' },
        },
      ],
    }).imports.find((entry) => entry.action === 'keepAlive')?.finding;

    // Assess
    expect(second?.ProductFields?.['notEvaluated/since']).toBe(old.UpdatedAt);
    expect(second?.UpdatedAt).toBe(later.toISOString());
    expect(second?.Description?.match(/Not re-evaluated since/g)).toHaveLength(1);
    expect(second?.Description).toContain(old.Description);
  });

  it('updates a kept-alive finding when its scope is evaluated again, dropping the note', () => {
    // Prepare
    const finding = east('db-old');
    const kept = failing([stored(finding, 80)]).imports.find(
      (entry) => entry.action === 'keepAlive',
    )?.finding;

    // Act
    const plan = planPublication({
      report: report([finding], [completeScope(ACCOUNT_A, 'us-east-1')]),
      policy: POLICY,
      now: new Date(NOW.getTime() + DAY),
      existing: [kept as AwsSecurityFinding],
    });

    // Assess
    expect(plan.imports.map((entry) => entry.action)).toEqual(['update']);
    expect(plan.imports[0]?.reason).toContain('notEvaluated/since');
    expect(plan.imports[0]?.finding.ProductFields?.['notEvaluated/since']).toBeUndefined();
    expect(plan.imports[0]?.finding.Description).toBe(finding.description);
  });

  it('asks to read a ledger-held finding by Id when it is due to be kept alive', () => {
    // Prepare: the ledger knows Id, UpdatedAt, state and scope, not the finding.
    const old = { ...heldFinding(stored(east('db-old'), 80)), finding: undefined };
    const recent = { ...heldFinding(stored(east('db-recent'), 5)), finding: undefined };

    // Act
    const plan = planPublication({
      report: report([scopeFinding(down)], [down]),
      policy: POLICY,
      now: NOW,
      held: [old, recent],
    });

    // Assess
    expect(plan.lookups).toEqual([
      expect.objectContaining({
        action: 'keepAlive',
        id: old.id,
        failure: expect.stringContaining('region down'),
      }),
    ]);
    expect(plan.counts).toMatchObject({ keepAlive: 0, untouched: 1 });
  });

  it('keeps alive an old finding whose check now fails with an internal error', () => {
    // Prepare
    const finding = retentionFinding(rdsResource('db-1'));
    const broken = { ...finding, status: 'NOT_AVAILABLE' as const, internalError: true };
    const old = stored(finding, 80);

    // Act
    const plan = planPublication({
      report: report([broken], [completeScope(ACCOUNT_A, 'eu-west-1')]),
      policy: POLICY,
      now: NOW,
      existing: [old],
    });

    // Assess
    expect(plan.imports.map((entry) => entry.action)).toEqual(['keepAlive']);
    expect(plan.imports[0]?.finding).toMatchObject({
      Compliance: { Status: 'FAILED' },
      RecordState: 'ACTIVE',
      UpdatedAt: NOW.toISOString(),
    });
    expect(plan.imports[0]?.finding.Description).toMatch(/internal error/);
  });
});

describe('keep-alive of a finding last evaluated PASSED', () => {
  const down = failedScope(ACCOUNT_A, 'us-east-1');
  const passing = (name: string) =>
    retentionFinding(rdsResource(name, ACCOUNT_A, 'us-east-1'), { status: 'PASSED' });
  const failing = (existing: readonly AwsSecurityFinding[], now = NOW) =>
    planPublication({
      report: report([scopeFinding(down)], [down]),
      policy: POLICY,
      now,
      existing,
    });
  /** What Security Hub returns after it took `finding`: the service's own ProductFields added. */
  const taken = (finding: AwsSecurityFinding | undefined): AwsSecurityFinding => ({
    ...(finding as AwsSecurityFinding),
    ProductFields: { ...finding?.ProductFields, 'aws/securityhub/ProductName': 'Default' },
  });

  it('re-imports it NOT_AVAILABLE, not PASSED, saying when it last passed and why it was not re-evaluated since', () => {
    // Prepare
    const old = stored(passing('db-passed'), 80);

    // Act
    const plan = failing([old]);

    // Assess
    const kept = plan.imports.find((entry) => entry.finding.Id === old.Id);
    expect(kept?.action).toBe('keepAlive');
    expect(kept?.finding).toMatchObject({
      Compliance: { Status: 'NOT_AVAILABLE' },
      RecordState: 'ACTIVE',
      CreatedAt: old.CreatedAt,
      UpdatedAt: NOW.toISOString(),
      Severity: { Label: 'MEDIUM' },
      FindingProviderFields: { Severity: { Label: 'MEDIUM' } },
      Title: `Not verified: ${old.Title}`,
      ProductFields: expect.objectContaining({
        'observed/retentionDays': '30',
        'notEvaluated/since': old.UpdatedAt,
        'notEvaluated/lastStatus': 'PASSED',
        'notEvaluated/reason': expect.stringContaining('region down (ServiceUnavailable)'),
      }),
    });
    expect(kept?.finding.Description).toMatch(
      new RegExp(
        `^Not re-evaluated since ${old.UpdatedAt}, when it was last evaluated PASSED: scope aws/${ACCOUNT_A}/us-east-1/pitr could not be evaluated: region down \\(ServiceUnavailable\\)\\.`,
      ),
    );
    expect(kept?.finding.Description).toContain(old.Description);
    // The PASSED finding's "nothing to fix" is not what a finding that could not be verified says.
    expect(kept?.finding.Remediation?.Recommendation?.Text).not.toBe(old.Remediation?.Recommendation?.Text);
    expect(kept?.finding.Remediation?.Recommendation?.Text).toMatch(/^Not verified: this check last passed/);
    expect(kept?.finding.Remediation?.Recommendation?.Url).toBe(old.Remediation?.Recommendation?.Url);
    expect(kept?.reason).toContain('re-imported NOT_AVAILABLE');
    expect(kept?.contentHash).toBe(contentHash(kept?.finding as AwsSecurityFinding));
  });

  it.each([
    ['FAILED', 'HIGH'],
    ['WARNING', 'MEDIUM'],
    ['NOT_AVAILABLE', 'MEDIUM'],
  ] as const)('keeps a %s finding %s and its status when it keeps it alive', (status, severity) => {
    // Prepare
    const old = stored(
      retentionFinding(rdsResource('db-known', ACCOUNT_A, 'us-east-1'), { status, severity }),
      80,
    );

    // Act
    const kept = failing([old]).imports.find((entry) => entry.finding.Id === old.Id);

    // Assess
    expect(kept?.action).toBe('keepAlive');
    expect(kept?.finding).toMatchObject({
      Compliance: { Status: status },
      Severity: { Label: severity },
      Title: old.Title,
      Remediation: old.Remediation,
    });
    expect(kept?.finding.ProductFields?.['notEvaluated/lastStatus']).toBeUndefined();
    expect(kept?.finding.Description).toMatch(/^Not re-evaluated since [^,]*: /);
  });

  it('still says it last passed, once, when it keeps it alive a second time', () => {
    // Prepare
    const old = stored(passing('db-passed'), 80);
    const first = failing([old]).imports.find((entry) => entry.action === 'keepAlive')?.finding;
    const later = new Date(NOW.getTime() + 31 * DAY);

    // Act
    const second = failing([taken(first)], later).imports.find(
      (entry) => entry.action === 'keepAlive',
    )?.finding;

    // Assess
    expect(second).toMatchObject({
      Compliance: { Status: 'NOT_AVAILABLE' },
      Severity: { Label: 'MEDIUM' },
      Title: `Not verified: ${old.Title}`,
      UpdatedAt: later.toISOString(),
      ProductFields: expect.objectContaining({
        'notEvaluated/since': old.UpdatedAt,
        'notEvaluated/lastStatus': 'PASSED',
      }),
    });
    expect(second?.Description).toMatch(
      new RegExp(`^Not re-evaluated since ${old.UpdatedAt}, when it was last evaluated PASSED: `),
    );
    expect(second?.Description?.match(/Not re-evaluated since/g)).toHaveLength(1);
    expect(second?.Description).toContain(old.Description);
    expect(second?.Remediation).toEqual(first?.Remediation);
  });

  it('resolves it back to PASSED when its scope is evaluated again and it passes, from a read and from the ledger', () => {
    // Prepare
    const finding = passing('db-passed');
    const kept = failing([stored(finding, 80)]).imports.find((entry) => entry.action === 'keepAlive');
    const recovered = report([finding], [completeScope(ACCOUNT_A, 'us-east-1')]);
    const next = new Date(NOW.getTime() + DAY);
    const read = heldFinding(taken(kept?.finding));
    const remembered = { ...read, contentHash: kept?.contentHash, finding: undefined };

    // Act
    const fromRead = planPublication({ report: recovered, policy: POLICY, now: next, held: [read] });
    const fromLedger = planPublication({
      report: recovered,
      policy: POLICY,
      now: next,
      held: [remembered],
    });

    // Assess
    for (const plan of [fromRead, fromLedger]) {
      expect(plan.imports.map((entry) => entry.action)).toEqual(['resolve']);
      expect(plan.imports[0]?.finding).toMatchObject({
        Compliance: { Status: 'PASSED' },
        Severity: { Label: 'INFORMATIONAL' },
        Title: stored(finding, 0).Title,
        Description: finding.description,
      });
      expect(plan.imports[0]?.finding.ProductFields?.['notEvaluated/since']).toBeUndefined();
      expect(plan.imports[0]?.finding.ProductFields?.['notEvaluated/lastStatus']).toBeUndefined();
    }
    expect(read).toMatchObject({ complianceStatus: 'NOT_AVAILABLE', notEvaluatedSince: expect.any(String) });
    expect(read.contentHash).toBe(kept?.contentHash);
  });

  it('leaves it untouched between keep-alives, from a read and from the ledger', () => {
    // Prepare
    const kept = failing([stored(passing('db-passed'), 80)]).imports.find(
      (entry) => entry.action === 'keepAlive',
    );
    const read = heldFinding(taken(kept?.finding));
    const next = new Date(NOW.getTime() + 29 * DAY);

    // Act
    const plans = [read, { ...read, finding: undefined }].map((held) =>
      planPublication({
        report: report([scopeFinding(down)], [down]),
        policy: POLICY,
        now: next,
        held: [held],
      }),
    );

    // Assess
    for (const plan of plans) {
      expect(plan.imports.map((entry) => entry.finding.Id)).not.toContain(read.id);
      expect(plan.lookups).toEqual([]);
      expect(plan.counts).toMatchObject({ keepAlive: 0, untouched: 1 });
    }
  });

  it('keeps alive at once, NOT_AVAILABLE, a PASSED finding an earlier version kept alive as PASSED', () => {
    // Prepare: kept alive PASSED 20 days ago (an earlier version), last evaluated 50 days ago.
    const old = stored(passing('db-passed'), 50);
    const earlier = stored(passing('db-passed'), 20, {
      ProductFields: {
        ...old.ProductFields,
        'notEvaluated/since': old.UpdatedAt as string,
        'notEvaluated/reason': 'scope was down',
      },
      Description: `Not re-evaluated since ${old.UpdatedAt}: scope was down. Re-imported unchanged so that Security Hub does not delete it after 90 days without an update. Last result: ${old.Description}`,
    });
    const remembered = { ...heldFinding(earlier), finding: undefined };

    // Act
    const plan = failing([earlier]);
    const ledgerPlan = planPublication({
      report: report([scopeFinding(down)], [down]),
      policy: POLICY,
      now: NOW,
      held: [remembered],
    });

    // Assess
    const kept = plan.imports.filter((entry) => entry.finding.Id === earlier.Id);
    expect(kept.map((entry) => entry.action)).toEqual(['keepAlive']);
    expect(kept[0]?.finding).toMatchObject({
      Compliance: { Status: 'NOT_AVAILABLE' },
      ProductFields: expect.objectContaining({ 'notEvaluated/since': old.UpdatedAt }),
    });
    expect(kept[0]?.finding.Description?.match(/Not re-evaluated since/g)).toHaveLength(1);
    expect(ledgerPlan.lookups).toEqual([expect.objectContaining({ action: 'keepAlive', id: earlier.Id })]);
  });

  it('re-imports NOT_AVAILABLE an old PASSED finding whose check now fails with an internal error, and leaves a recent one', () => {
    // Prepare
    const finding = retentionFinding(rdsResource('db-1'), { status: 'PASSED' });
    const broken = {
      ...finding,
      status: 'NOT_AVAILABLE' as const,
      severity: 'MEDIUM' as const,
      internalError: true,
    };
    const run = (existing: AwsSecurityFinding) =>
      planPublication({
        report: report([broken], [completeScope(ACCOUNT_A, 'eu-west-1')]),
        policy: POLICY,
        now: NOW,
        existing: [existing],
      });

    // Act
    const old = run(stored(finding, 80));
    const recent = run(stored(finding, 5));

    // Assess
    expect(old.imports.map((entry) => entry.action)).toEqual(['keepAlive']);
    expect(old.imports[0]?.finding).toMatchObject({
      Compliance: { Status: 'NOT_AVAILABLE' },
      Severity: { Label: 'MEDIUM' },
      ProductFields: expect.objectContaining({ 'notEvaluated/lastStatus': 'PASSED' }),
    });
    expect(old.imports[0]?.finding.Description).toMatch(
      /last evaluated PASSED: check pitr.retention failed with an internal error/,
    );
    expect(recent.imports).toEqual([]);
    expect(recent.counts).toMatchObject({ keepAlive: 0, untouched: 1 });
  });

  it('re-imports NOT_AVAILABLE a PASSED finding Security Hub holds with no room for the mark of its last status', () => {
    // Prepare: 48 ProductFields of its own (an earlier version left two free for a keep-alive).
    const crowded = stored(passing('db-crowded'), 80);
    const own = Object.keys(crowded.ProductFields ?? {}).filter((key) => !key.startsWith('aws/')).length;
    const extra = Object.fromEntries(
      Array.from({ length: 48 - own }, (_, index) => [`observed/extra${index}`, 'x']),
    );
    const full = { ...crowded, ProductFields: { ...crowded.ProductFields, ...extra } };

    // Act
    const plan = failing([full]);

    // Assess: not refused; NOT_AVAILABLE, its last status in the Description only.
    expect(plan.refused).toEqual([]);
    const kept = plan.imports.find((entry) => entry.finding.Id === full.Id)?.finding;
    expect(kept?.Compliance?.Status).toBe('NOT_AVAILABLE');
    expect(Object.keys(kept?.ProductFields ?? {})).toHaveLength(50);
    expect(kept?.ProductFields?.['notEvaluated/lastStatus']).toBeUndefined();
    expect(kept?.Description).toMatch(/, when it was last evaluated PASSED: /);

    // Act: kept alive again, 31 days on; its Description is all that says it passed.
    const again = failing([taken(kept)], new Date(NOW.getTime() + 31 * DAY)).imports.find(
      (entry) => entry.finding.Id === full.Id,
    )?.finding;

    // Assess
    expect(again?.Compliance?.Status).toBe('NOT_AVAILABLE');
    expect(again?.Description).toMatch(
      new RegExp(`^Not re-evaluated since ${full.UpdatedAt}, when it was last evaluated PASSED: `),
    );
    expect(again?.Description?.match(/Not re-evaluated since/g)).toHaveLength(1);
  });
});

describe('a report merged from runs that evaluated the same scope', () => {
  it('plans each finding Id once when the same report is merged twice', () => {
    // Prepare: the same report (one scope complete, one failed) from two sources.
    const down = failedScope(ACCOUNT_A, 'us-east-1');
    const audit = report(
      [retentionFinding(rdsResource('db-1')), scopeFinding(down)],
      [completeScope(ACCOUNT_A, 'eu-west-1'), down],
    );

    // Act
    const plan = planPublication({
      report: mergeReports([audit, structuredClone(audit)]),
      policy: POLICY,
      now: NOW,
    });

    // Assess
    const ids = plan.imports.map((entry) => entry.finding.Id);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
  });
});

describe('a report merged from runs of which one was narrowed', () => {
  it('archives no whole-account finding, as the narrowed run alone would not', () => {
    // Prepare: an account's whole-account finding (its region listing failed once); a run narrowed
    // to eu-west-1 (which never lists the account's regions) and another source's report, merged as
    // a fan-out's merge step would, from their serialized form.
    const wholeAccount = stored(
      retentionFinding({
        provider: 'aws',
        account: ACCOUNT_A,
        region: '*',
        type: 'Scope',
        id: `${ACCOUNT_A}/*`,
      }),
      1,
    );
    const db = retentionFinding(rdsResource('db-1'));
    const narrowed = { ...report([db], [completeScope(ACCOUNT_A, 'eu-west-1')]), narrowed: true as const };
    const other = report([], [completeScope(ACCOUNT_B, 'eu-west-1')]);

    // Act
    const merged = mergeReports([structuredClone(narrowed), structuredClone(other)]);
    const alone = mergeReports([structuredClone(narrowed)]);
    const plan = planPublication({ report: merged, policy: POLICY, now: NOW, existing: [wholeAccount] });

    // Assess
    expect(merged.narrowed).toBe(true);
    expect(alone.narrowed).toBe(true);
    expect(plan.counts.archive).toBe(0);
    expect(plan.skipped.find((skip) => skip.id === wholeAccount.Id)?.reason).toContain('narrowed');
  });
});

describe('findings of a check this run no longer produces', () => {
  const ON = ['pitr.retention', 'pitr.window'];
  const OFF = ['pitr.cross-region'];
  /** Every check id this version knows, as the registry gives them. */
  const CATALOG = new Set([...ON, ...OFF, 'keys.present']);
  const ran = (outcome: ScopeOutcome, on = ON, off = OFF): ScopeOutcome => ({
    ...outcome,
    checks: { on, off },
  });
  const scope = ran(completeScope(ACCOUNT_A, 'eu-west-1'));
  const of = (checkId: string, name = 'db-1') => retentionFinding(rdsResource(name), { checkId });
  const plan = (
    existing: readonly AwsSecurityFinding[],
    scopes: readonly ScopeOutcome[] = [scope],
    findings: readonly Finding[] = [keeper().finding],
    catalog: ReadonlySet<string> | null = CATALOG,
  ) =>
    planPublication({
      report: report(findings, scopes),
      policy: POLICY,
      now: NOW,
      existing: [keeper().stored, ...existing],
      ...(catalog ? { catalog } : {}),
    });

  it('archives, saying why, a held finding whose check the policy turns off, when its scope was fully evaluated', () => {
    // Prepare: db-1 still exists (its pitr.retention finding is reported), its cross-region check is off.
    const off = stored(of('pitr.cross-region'), 1);
    const gone = stored(of('pitr.retention', 'db-gone'), 1);

    // Act
    const result = plan([off, gone]);

    // Assess: the check turned off is said as such; a resource gone stays a resource gone.
    expect(result.imports.map((entry) => [entry.action, entry.finding.Id, entry.reason])).toEqual([
      [
        'retire',
        off.Id,
        `check pitr.cross-region is turned off by the policy: its findings in fully evaluated scope aws/${ACCOUNT_A}/eu-west-1/pitr are archived`,
      ],
      [
        'archive',
        gone.Id,
        `resource no longer reported in fully evaluated scope aws/${ACCOUNT_A}/eu-west-1/pitr`,
      ],
    ]);
    expect(result.imports[0]?.finding).toMatchObject({
      RecordState: 'ARCHIVED',
      UpdatedAt: NOW.toISOString(),
    });
    expect(result.counts).toMatchObject({ retire: 1, archive: 1, keepAlive: 0, untouched: 0 });
  });

  it('archives a held finding whose check this version does not have (renamed or removed), when its scope was fully evaluated', () => {
    // Prepare: a check an earlier version published under another name.
    const renamed = stored(of('pitr.restore-window'), 1);

    // Act
    const result = plan([renamed]);

    // Assess
    expect(result.imports.map((entry) => [entry.action, entry.reason])).toEqual([
      [
        'retire',
        `check pitr.restore-window is not in this version's check catalog (renamed or removed): its findings in fully evaluated scope aws/${ACCOUNT_A}/eu-west-1/pitr are archived`,
      ],
    ]);
    expect(result.imports[0]?.finding.RecordState).toBe('ARCHIVED');
  });

  it("leaves the findings of the group's other checks untouched when the run ran only some of them", () => {
    // Prepare: a run of pitr.retention alone (pitr.window is in the catalog and on by default).
    const other = stored(of('pitr.window'), 80);
    const narrow = ran(completeScope(ACCOUNT_A, 'eu-west-1'), ['pitr.retention'], OFF);

    // Act
    const result = plan([other], [narrow]);

    // Assess: neither archived, nor kept alive, nor taken for a resource gone.
    expect(result.imports).toEqual([]);
    expect(result.lookups).toEqual([]);
    expect(result.skipped).toContainEqual({
      kind: 'untouched',
      id: other.Id,
      reason: `not reported: this run did not run check pitr.window in scope aws/${ACCOUNT_A}/eu-west-1/pitr (it ran pitr.retention), so it says nothing of it`,
      destination: expect.objectContaining({ account: ACCOUNT_A, region: 'eu-west-1' }),
    });
  });

  it('archives no finding of a check it cannot tell removed from not run, when it is given no catalog', () => {
    // Prepare
    const unknown = stored(of('pitr.restore-window'), 1);

    // Act
    const result = plan([unknown], [scope], [keeper().finding], null);

    // Assess
    expect(result.imports).toEqual([]);
    expect(result.counts).toMatchObject({ retire: 0, archive: 0, untouched: 1 });
    expect(result.skipped.find((skip) => skip.id === unknown.Id)?.reason).toMatch(
      /^not reported: this run did not run check pitr\.restore-window/,
    );
  });

  it('neither archives nor keeps alive the findings of a check turned off or removed when their scope failed', () => {
    // Prepare: 80 days old, due for keep-alive had their checks still run.
    const down = ran(failedScope(ACCOUNT_A, 'eu-west-1'));
    const off = stored(of('pitr.cross-region'), 80);
    const removed = stored(of('pitr.restore-window'), 80);
    const kept = stored(of('pitr.retention'), 80);

    // Act
    const result = plan([off, removed, kept], [down], [scopeFinding(down)]);

    // Assess: only the finding of a check still run is kept alive; a failed scope archives nothing.
    expect(result.imports.map((entry) => [entry.action, entry.finding.Id])).toEqual([
      ['create', expect.stringContaining('/Scope/')],
      ['keepAlive', kept.Id],
    ]);
    const why = (id: string | undefined) => result.skipped.find((skip) => skip.id === id)?.reason;
    expect(why(off.Id)).toBe(
      `not reported: check pitr.cross-region is turned off by the policy, but scope aws/${ACCOUNT_A}/eu-west-1/pitr was not fully evaluated in this run, so it is not archived (nor kept alive: nothing will re-evaluate it; the next run that evaluates the scope archives it, or Security Hub deletes it 90 days after its last update)`,
    );
    expect(why(removed.Id)).toMatch(
      /^not reported: check pitr\.restore-window is not in this version's check catalog/,
    );
    expect(result.counts).toMatchObject({ retire: 0, archive: 0, keepAlive: 1 });
  });

  it('archives nothing of a check turned off when the coverage of the run is in doubt', () => {
    // Prepare: the pitr group judged nothing.
    const off = stored(of('pitr.cross-region'), 1);

    // Act
    const result = plan([off], [scope], []);

    // Assess
    expect(result.imports).toEqual([]);
    expect(result.skipped[0]?.reason).toMatch(/coverage is in doubt/);
  });

  it('decides the same from the ledger as from a full read, reading the finding by Id to archive it', () => {
    // Prepare: the ledger knows the Id (and so the check), never the whole finding.
    const off = stored(of('pitr.cross-region'), 1);
    const removed = stored(of('pitr.restore-window'), 1);
    const fromLedger = [off, removed].map((finding) => ({ ...heldFinding(finding), finding: undefined }));

    // Act
    const read = plan([off, removed]);
    const ledger = planPublication({
      report: report([keeper().finding], [scope]),
      policy: POLICY,
      now: NOW,
      existing: [keeper().stored],
      held: fromLedger,
      catalog: CATALOG,
    });

    // Assess
    expect(ledger.imports).toEqual([]);
    expect(ledger.lookups.map((lookup) => [lookup.action, lookup.id, lookup.reason])).toEqual(
      read.imports.map((entry) => [entry.action, entry.finding.Id, entry.reason]),
    );
  });
});

describe('findings of a check group this version no longer has', () => {
  /** The groups this version has, as the registry gives them. */
  const CATALOG_GROUPS = new Set(['pitr', 'keys']);
  const CATALOG = new Set(['pitr.retention', 'keys.present']);
  const pitrHere = completeScope(ACCOUNT_A, 'eu-west-1');
  const keysHere = completeScope(ACCOUNT_A, 'eu-west-1', 'keys');
  const secret = (): Finding =>
    retentionFinding(rdsResource('certctl-ca'), { checkId: 'keys.present', group: 'keys' });
  const secretHeld = () => stored(secret(), 1 / (24 * 60));
  /** A finding an earlier version published for its `vault` group, since removed. */
  const vault = (name = 'certctl-vault', account = ACCOUNT_A, region = 'eu-west-1', daysAgo = 1) =>
    stored(
      retentionFinding(rdsResource(name, account, region), { checkId: 'vault.sealed', group: 'vault' }),
      daysAgo,
    );
  const plan = (
    existing: readonly AwsSecurityFinding[],
    {
      scopes = [pitrHere, keysHere],
      run = CATALOG_GROUPS,
      narrowed = false,
      groups = true,
      held,
    }: {
      scopes?: readonly ScopeOutcome[];
      run?: ReadonlySet<string>;
      narrowed?: boolean;
      groups?: boolean;
      held?: Parameters<typeof planPublication>[0]['held'];
    } = {},
  ) =>
    planPublication({
      report: {
        ...report(
          [keeper().finding, secret(), ...scopes.filter((s) => s.status === 'failed').map(scopeFinding)],
          scopes,
        ),
        ...(narrowed ? { narrowed: true } : {}),
      },
      policy: POLICY,
      now: NOW,
      existing: [keeper().stored, secretHeld(), ...existing],
      ...(held ? { held } : {}),
      catalog: CATALOG,
      ...(groups ? { groups: { catalog: CATALOG_GROUPS, run } } : {}),
    });
  const why = (result: ReturnType<typeof plan>, id: string | undefined) =>
    result.skipped.find((skip) => skip.id === id)?.reason;

  it('archives, saying why, the findings of a group not in the catalog when a run of every group evaluated every scope whole', () => {
    // Prepare
    const gone = vault();

    // Act
    const result = plan([gone]);

    // Assess
    expect(result.imports.map((entry) => [entry.action, entry.finding.Id, entry.reason])).toEqual([
      [
        'retire',
        gone.Id,
        `check group vault is not in this version's check catalog (renamed or removed): its findings in aws/${ACCOUNT_A}/eu-west-1, where this run evaluated every group of the catalog whole, are archived`,
      ],
    ]);
    expect(result.imports[0]?.finding).toMatchObject({
      RecordState: 'ARCHIVED',
      UpdatedAt: NOW.toISOString(),
    });
    expect(result.counts).toMatchObject({ retire: 1, archive: 0, untouched: 0 });
  });

  it('archives none of them when a scope of the run failed, nor keeps them alive', () => {
    // Prepare: 80 days old, due for keep-alive were the group still run.
    const gone = vault('certctl-vault', ACCOUNT_A, 'eu-west-1', 80);
    const down = failedScope(ACCOUNT_A, 'us-east-1');

    // Act
    const result = plan([gone], { scopes: [pitrHere, keysHere, down] });

    // Assess
    expect(result.imports.map((entry) => entry.action)).toEqual(['create']);
    expect(why(result, gone.Id)).toBe(
      `not reported: check group vault is not in this version's check catalog (renamed or removed), but scope aws/${ACCOUNT_A}/us-east-1/pitr could not be evaluated in this run, so it is not archived (nor kept alive: nothing will re-evaluate it; the next run that evaluates every scope of every group archives it, or Security Hub deletes it 90 days after its last update)`,
    );
  });

  it('leaves them alone when the run selected only some groups', () => {
    // Prepare
    const gone = vault();

    // Act
    const result = plan([gone], { scopes: [pitrHere], run: new Set(['pitr']) });

    // Assess
    expect(result.imports).toEqual([]);
    expect(result.counts).toMatchObject({ retire: 0, untouched: 1 });
    expect(why(result, gone.Id)).toMatch(
      /^not reported: check group vault is not in this version's check catalog \(renamed or removed\), but this run selected only some check groups \(pitr; not keys\), so it is not archived/,
    );
  });

  it('leaves them alone when the run was narrowed to some regions', () => {
    // Prepare
    const gone = vault();

    // Act
    const result = plan([gone], { narrowed: true });

    // Assess
    expect(result.imports).toEqual([]);
    expect(why(result, gone.Id)).toMatch(/but this run was narrowed to some regions or projects/);
  });

  it('leaves them alone where the run evaluated nothing (another account)', () => {
    // Prepare
    const elsewhere = vault('certctl-vault', ACCOUNT_B);

    // Act
    const result = plan([elsewhere]);

    // Assess
    expect(result.imports).toEqual([]);
    expect(why(result, elsewhere.Id)).toMatch(
      new RegExp(`but this run evaluated nothing in aws/${ACCOUNT_B}/eu-west-1`),
    );
  });

  it('leaves them alone when the coverage of the run is in doubt', () => {
    // Prepare: the keys group read its scope whole and judged nothing.
    const gone = vault();

    // Act
    const result = planPublication({
      report: report([keeper().finding], [pitrHere, keysHere]),
      policy: POLICY,
      now: NOW,
      existing: [keeper().stored, gone],
      catalog: CATALOG,
      groups: { catalog: CATALOG_GROUPS, run: CATALOG_GROUPS },
    });

    // Assess
    expect(result.imports).toEqual([]);
    expect(result.skipped.find((skip) => skip.id === gone.Id)?.reason).toMatch(/coverage is in doubt/);
  });

  it('retires none of them when it is not told the groups', () => {
    // Prepare
    const gone = vault();

    // Act
    const result = plan([gone], { groups: false });

    // Assess
    expect(result.imports).toEqual([]);
    expect(result.counts).toMatchObject({ retire: 0, untouched: 1 });
  });

  it('decides the same from the ledger as from a full read, reading the finding by Id to archive it', () => {
    // Prepare
    const gone = vault();

    // Act
    const read = plan([gone]);
    const ledger = plan([], { held: [{ ...heldFinding(gone), finding: undefined }] });

    // Assess
    expect(ledger.lookups.map((lookup) => [lookup.action, lookup.id, lookup.reason])).toEqual(
      read.imports.map((entry) => [entry.action, entry.finding.Id, entry.reason]),
    );
  });
});

describe('planPublication of findings held in a region the policy no longer audits', () => {
  // The policy audited eu-west-1 and us-east-1; it now lists eu-west-1 only.
  const LISTED = policy({
    aws: { regions: ['eu-west-1'] },
    securityHub: { enabled: true, centralAccountId: CENTRAL, centralRegion: 'eu-west-1' },
  });
  const dropped = stored(retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1')), 1);
  const plan = (
    overrides: {
      scopes?: readonly ScopeOutcome[];
      narrowed?: boolean;
      unmatched?: boolean;
      policy?: typeof LISTED;
    } = {},
  ) =>
    planPublication({
      report: {
        ...report([keeper().finding], overrides.scopes ?? [completeScope(ACCOUNT_A, 'eu-west-1')]),
        ...(overrides.narrowed ? { narrowed: true } : {}),
        ...(overrides.unmatched ? { unmatchedTargets: ['db-typo'] } : {}),
      },
      policy: overrides.policy ?? LISTED,
      now: NOW,
      existing: [keeper().stored, dropped],
    });

  it('archives, saying the region is no longer audited, a held finding in a region aws.regions stopped naming', () => {
    // Act
    const result = plan();

    // Assess
    expect(result.imports.map((entry) => [entry.action, entry.finding.Id, entry.reason])).toEqual([
      [
        'retire',
        dropped.Id,
        `region us-east-1 is no longer audited (aws.regions names eu-west-1 only, and this run planned no pitr scope there in account ${ACCOUNT_A}): its findings there are archived`,
      ],
    ]);
    expect(result.imports[0]?.finding).toMatchObject({
      RecordState: 'ARCHIVED',
      UpdatedAt: NOW.toISOString(),
    });
    expect(result.imports[0]?.finding.Description).toMatch(
      /^Archived: region us-east-1 is no longer audited by certctl-backup-guard \(not in aws\.regions\)\. Last result: /,
    );
    expect(result.counts).toMatchObject({ retire: 1, archive: 0, untouched: 0 });
  });

  it('leaves it untouched when the run was narrowed, its coverage is in doubt, the region failed, the account or group was not evaluated, or the policy audits every region', () => {
    // Act
    const outcomes = [
      plan({ narrowed: true }),
      plan({ unmatched: true }),
      plan({ scopes: [completeScope(ACCOUNT_A, 'eu-west-1'), failedScope(ACCOUNT_A, 'us-east-1')] }),
      plan({ scopes: [failedScope(ACCOUNT_A, 'eu-west-1'), completeScope(ACCOUNT_B, 'eu-west-1')] }),
      plan({ scopes: [completeScope(ACCOUNT_A, 'eu-west-1', 'dumps')] }),
      plan({ policy: POLICY }),
    ];

    // Assess
    for (const outcome of outcomes) {
      expect(outcome.imports.filter((entry) => entry.finding.Id === dropped.Id)).toEqual([]);
      expect(outcome.counts).toMatchObject({ retire: 0, archive: 0 });
    }
  });
});
