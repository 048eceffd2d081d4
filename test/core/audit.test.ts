import { describe, expect, it } from 'vitest';
import {
  type AuditReport,
  compareFindings,
  countStatuses,
  coverageProblems,
  EXIT_CODES,
  exitCodeFor,
  failedScopeAdvice,
  mapWithConcurrency,
  mergeReports,
  runAudit,
  type ScopePlan,
  sortFindings,
  toScopePlan,
  withTargetCoverage,
} from '../../functions/core/audit.ts';
import { type Check, defineRegistry } from '../../functions/core/check.ts';
import { CloudApiError, CredentialsError } from '../../functions/core/errors.ts';
import type { Finding, ResourceRef } from '../../functions/core/finding.ts';
import { auditMetricValues } from '../../functions/core/metrics.ts';
import { parsePolicy } from '../../functions/core/policy.ts';

interface FakeFact {
  readonly resource: ResourceRef;
  readonly retentionDays: number;
}

const retentionCheck: Check<FakeFact> = {
  metadata: {
    id: 'pitr.fake-retention',
    group: 'pitr',
    title: 'Retention is long enough',
    failedTitle: 'Retention is too short',
    severity: 'HIGH',
    rationale: 'test',
    remediation: { text: 'raise it', url: 'https://example.com/fix' },
    resourceTypes: ['AwsRdsDbInstance'],
  },
  evaluate: (fact, context) => ({
    status: fact.retentionDays >= context.policy.pitr.minPitrDays ? 'PASSED' : 'FAILED',
    description: `retention ${fact.retentionDays}`,
    observed: { retentionDays: fact.retentionDays },
    required: { retentionDays: context.policy.pitr.minPitrDays },
  }),
};

function db(region: string, id: string, retentionDays: number): FakeFact {
  return {
    resource: { provider: 'aws', account: '111111111111', region, type: 'AwsRdsDbInstance', id },
    retentionDays,
  };
}

function plan(region: string, facts: FakeFact[] | Error): ScopePlan<FakeFact> {
  return {
    scope: { provider: 'aws', account: '111111111111', region, group: 'pitr' },
    collect: async () => {
      if (facts instanceof Error) throw facts;
      return facts;
    },
  };
}

/** A keys-group stand-in: each fact is a secret, PASSED when it is there. */
const presentCheck: Check<FakeFact> = {
  metadata: {
    ...retentionCheck.metadata,
    id: 'keys.fake-present',
    group: 'keys',
    resourceTypes: ['AwsSecretsManagerSecret'],
  },
  evaluate: () => ({ status: 'PASSED', description: 'present', observed: {}, required: {} }),
};

function keysPlan(region: string, facts: FakeFact[]): ScopePlan<FakeFact> {
  return {
    ...plan(region, facts),
    scope: { provider: 'aws', account: '111111111111', region, group: 'keys' },
  };
}

const policy = parsePolicy({});
const now = (): Date => new Date('2026-11-21T12:00:00Z');

describe('runAudit', () => {
  it('judges every fact of every scope and sorts the worst first when all scopes answer', async () => {
    // Act
    const report = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35)]), plan('us-east-1', [db('us-east-1', 'b', 7)])],
      checks: [retentionCheck],
      policy,
      now,
    });

    // Assess
    expect(report.findings.map((f) => [f.resource.id, f.status, f.severity])).toEqual([
      ['b', 'FAILED', 'HIGH'],
      ['a', 'PASSED', 'INFORMATIONAL'],
    ]);
    expect(report.counts).toEqual({ PASSED: 1, WARNING: 0, FAILED: 1, NOT_AVAILABLE: 0 });
    expect(report.scopes.every((scope) => scope.status === 'complete')).toBe(true);
    expect(exitCodeFor(report)).toBe(EXIT_CODES.failed);
  });

  it('starts the first scope’s collection alone, so the requests it made can leave first, and the others together a turn later', async () => {
    // Prepare: each collection notes whether the loop has turned since the previous one started.
    const turnedBefore: boolean[] = [];
    let turned = true;
    const noting = (region: string): ScopePlan<FakeFact> => ({
      scope: { provider: 'aws', account: '111111111111', region, group: 'pitr' },
      collect: async () => {
        turnedBefore.push(turned);
        turned = false;
        setImmediate(() => {
          turned = true;
        });
        return [db(region, `db-${region}`, 35)];
      },
    });

    // Act
    const report = await runAudit({
      plans: [noting('eu-west-1'), noting('us-east-1'), noting('ap-south-1')],
      checks: [retentionCheck],
      policy,
      now,
    });

    // Assess
    expect(turnedBefore).toEqual([true, true, false]);
    expect(report.scopes.map((outcome) => outcome.status)).toEqual(['complete', 'complete', 'complete']);
  });

  it('fails only the scope whose collector answered something that is not a list of facts, keeping the others', async () => {
    // Prepare: a collector defect (no list; a hole in the list; a standsFor that is no list), beside a scope that answers.
    const broken = (region: string, facts: unknown): ScopePlan<FakeFact> => ({
      scope: { provider: 'aws', account: '111111111111', region, group: 'pitr' },
      collect: async () => facts as FakeFact[],
    });

    // Act
    const report = await runAudit({
      plans: [
        plan('eu-west-1', [db('eu-west-1', 'a', 7)]),
        broken('us-east-1', undefined),
        broken('ap-south-1', [db('ap-south-1', 'b', 35), undefined]),
        broken('sa-east-1', [{ ...db('sa-east-1', 'c', 35), standsFor: { names: ['replica'] } }]),
      ],
      checks: [retentionCheck],
      policy,
      now,
    });

    // Assess: the finished scope keeps its finding; each broken one is failed, NOT_AVAILABLE, nothing judged.
    expect(report.scopes.map((outcome) => [outcome.scope.region, outcome.status])).toEqual([
      ['eu-west-1', 'complete'],
      ['us-east-1', 'failed'],
      ['ap-south-1', 'failed'],
      ['sa-east-1', 'failed'],
    ]);
    expect(report.findings.map((f) => [f.resource.id, f.status])).toEqual([
      ['a', 'FAILED'],
      ['111111111111/ap-south-1', 'NOT_AVAILABLE'],
      ['111111111111/sa-east-1', 'NOT_AVAILABLE'],
      ['111111111111/us-east-1', 'NOT_AVAILABLE'],
    ]);
    expect(report.scopes[1]?.error?.message).toMatch(/not a list of facts/);
    expect(report.scopes[3]?.error?.message).toMatch(
      /item 0 has a standsFor that is not a list of stand-ins/,
    );
    expect(exitCodeFor(report)).toBe(EXIT_CODES.incomplete);
  });

  it('fails only the scopes of a check whose enabledBy throws, keeping its other checks and every other scope', async () => {
    // Prepare: a check whose policy switch has a defect, beside one that judges.
    const brokenSwitch: Check<FakeFact> = {
      ...retentionCheck,
      metadata: { ...retentionCheck.metadata, id: 'pitr.fake-broken-switch' },
      enabledBy: () => {
        throw new TypeError("Cannot read properties of undefined (reading 'enabled')");
      },
    };

    // Act
    const report = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 7)])],
      checks: [retentionCheck, brokenSwitch],
      policy,
      now,
    });

    // Assess: the other check's finding is kept; the broken one is NOT_AVAILABLE naming the defect,
    // and the scope is failed so nothing of that check is resolved.
    expect(report.findings.map((f) => [f.checkId, f.resource.id, f.status])).toEqual([
      ['pitr.fake-retention', 'a', 'FAILED'],
      ['pitr.fake-broken-switch', '111111111111/eu-west-1', 'NOT_AVAILABLE'],
    ]);
    expect(report.findings[1]?.description).toMatch(/enabledBy.*Cannot read properties/);
    expect(report.scopes[0]?.status).toBe('failed');
    expect(report.scopes[0]?.error?.message).toMatch(/pitr\.fake-broken-switch/);
    expect(exitCodeFor(report)).toBe(EXIT_CODES.incomplete);
  });

  it('sorts findings of one status and account by region before resource id', async () => {
    // Act
    const report = await runAudit({
      plans: [
        plan('us-east-1', [db('us-east-1', 'a', 7)]),
        plan('eu-west-1', [db('eu-west-1', 'z', 7)]),
        plan('ap-south-1', [db('ap-south-1', 'm', 7)]),
      ],
      checks: [retentionCheck],
      policy,
      now,
    });

    // Assess
    expect(report.findings.map((f) => `${f.resource.region}/${f.resource.id}`)).toEqual([
      'ap-south-1/m',
      'eu-west-1/z',
      'us-east-1/a',
    ]);
  });

  it('blames permissions in a failed scope only when access was denied, and credentials when there were none', async () => {
    // Act
    const report = await runAudit({
      plans: [
        plan('eu-west-1', new CloudApiError('DescribeDBInstances failed in eu-west-1', 'ServiceUnavailable')),
        plan('us-east-1', new CloudApiError('DescribeDBInstances failed in us-east-1', 'AccessDenied')),
        plan('ap-south-1', new CredentialsError('No Google Cloud credentials found')),
      ],
      checks: [retentionCheck],
      policy,
      now,
    });

    // Assess
    const advice = (region: string): string =>
      report.findings.find((f) => f.resource.region === region)?.remediation.text ?? '';
    expect(advice('eu-west-1')).not.toMatch(/role|permission|grant/i);
    expect(advice('eu-west-1')).toContain('reachable');
    expect(advice('us-east-1')).toMatch(/refused: grant it the read APIs/);
    expect(advice('ap-south-1')).toContain('Provide credentials: No Google Cloud credentials found');
  });

  it('reports NOT_AVAILABLE for a failed scope only and marks it failed when one region errors', async () => {
    // Act
    const report = await runAudit({
      plans: [
        plan('eu-west-1', [db('eu-west-1', 'a', 35)]),
        plan('us-east-1', new CloudApiError('DescribeDBInstances failed in us-east-1', 'ServiceUnavailable')),
      ],
      checks: [retentionCheck],
      policy,
      now,
    });

    // Assess
    const unavailable = report.findings.filter((f) => f.status === 'NOT_AVAILABLE');
    expect(unavailable).toHaveLength(1);
    expect(unavailable[0]?.resource).toMatchObject({ type: 'Scope', region: 'us-east-1' });
    expect(unavailable[0]?.description).toContain('ServiceUnavailable');
    expect(report.findings.find((f) => f.resource.id === 'a')?.status).toBe('PASSED');
    expect(report.scopes.find((s) => s.scope.region === 'us-east-1')).toMatchObject({
      status: 'failed',
      error: { code: 'ServiceUnavailable' },
    });
    expect(exitCodeFor(report)).toBe(EXIT_CODES.incomplete);
  });

  it('returns exit code 0 when every finding passed', async () => {
    // Act
    const report = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 30)])],
      checks: [retentionCheck],
      policy,
      now,
    });

    // Assess
    expect(exitCodeFor(report)).toBe(EXIT_CODES.ok);
  });

  it('reports progress once per scope with running totals', async () => {
    // Prepare
    const seen: string[] = [];

    // Act
    await runAudit({
      plans: [plan('eu-west-1', []), plan('us-east-1', new Error('boom'))],
      checks: [retentionCheck],
      policy,
      now,
      onProgress: (p) => seen.push(`${p.done}/${p.total} ${p.scope.region} ${p.outcome.status}`),
    });

    // Assess
    expect(seen.sort()).toEqual(['1/2 eu-west-1 complete', '2/2 us-east-1 failed'].sort());
  });
});

describe('fault isolation', () => {
  it("keeps every scope's findings when the progress callback throws (a closed stderr, a failing printer)", async () => {
    // Act
    const report = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35)]), plan('us-east-1', new Error('boom'))],
      checks: [retentionCheck],
      policy,
      now,
      onProgress: () => {
        throw new Error('EPIPE: progress printer broke');
      },
    });

    // Assess
    expect(report.scopes.map((outcome) => [outcome.scope.region, outcome.status])).toEqual([
      ['eu-west-1', 'complete'],
      ['us-east-1', 'failed'],
    ]);
    expect(report.findings.map((finding) => [finding.resource.id, finding.status])).toContainEqual([
      'a',
      'PASSED',
    ]);
  });

  const throwingOnB: Check<FakeFact> = {
    ...retentionCheck,
    metadata: { ...retentionCheck.metadata, id: 'pitr.fake-fragile' },
    evaluate: (fact, context) => {
      if (fact.resource.id === 'b')
        throw new TypeError("Cannot read properties of undefined (reading 'getTime')");
      return retentionCheck.evaluate(fact, context);
    },
  };

  it('gives NOT_AVAILABLE for that check and resource only, worded as an internal error, when a check throws', async () => {
    // Act
    const report = await runAudit({
      plans: [
        plan('eu-west-1', [db('eu-west-1', 'a', 35), db('eu-west-1', 'b', 7), db('eu-west-1', 'c', 35)]),
      ],
      checks: [retentionCheck, throwingOnB],
      policy,
      now,
    });

    // Assess
    const lines = report.findings.map((f) => `${f.checkId} ${f.resource.id} ${f.status}`).sort();
    expect(lines).toEqual([
      'pitr.fake-fragile a PASSED',
      'pitr.fake-fragile b NOT_AVAILABLE',
      'pitr.fake-fragile c PASSED',
      'pitr.fake-retention a PASSED',
      'pitr.fake-retention b FAILED',
      'pitr.fake-retention c PASSED',
    ]);
    const broken = report.findings.find((f) => f.checkId === 'pitr.fake-fragile' && f.resource.id === 'b');
    expect(broken).toMatchObject({ internalError: true, observed: { internalError: 'TypeError' } });
    expect(broken?.description).toContain('Internal error in check pitr.fake-fragile while judging b');
    expect(broken?.description).toContain('not a permission or configuration problem');
    expect(broken?.remediation.text).not.toMatch(/role|permission/i);
    expect(report.scopes).toEqual([expect.objectContaining({ status: 'complete', resources: 3 })]);
    expect(exitCodeFor(report)).toBe(EXIT_CODES.incomplete);
  });

  it('marks the scope failed and blames reading, not judging, when the collector throws', async () => {
    // Act
    const report = await runAudit({
      plans: [plan('eu-west-1', new CloudApiError('AccessDenied on DescribeDBInstances', 'AccessDenied'))],
      checks: [retentionCheck, throwingOnB],
      policy,
      now,
    });

    // Assess
    expect(report.scopes[0]).toMatchObject({ status: 'failed', error: { code: 'AccessDenied' } });
    expect(report.findings.every((f) => f.status === 'NOT_AVAILABLE' && !f.internalError)).toBe(true);
  });
});

describe('mergeReports', () => {
  it('joins reports of separate runs into one with every scope and recounted statuses', async () => {
    // Prepare: two batches of one plan, run apart (as a fan-out would).
    const west = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35)])],
      checks: [retentionCheck],
      policy,
      now,
    });
    const east = await runAudit({
      plans: [plan('us-east-1', new Error('down'))],
      checks: [retentionCheck],
      policy,
      now,
    });

    // Act
    const merged = mergeReports([JSON.parse(JSON.stringify(west)), JSON.parse(JSON.stringify(east))]);

    // Assess
    expect(merged.scopes.map((s) => `${s.scope.region} ${s.status}`)).toEqual([
      'eu-west-1 complete',
      'us-east-1 failed',
    ]);
    expect(merged.counts).toEqual({ PASSED: 1, WARNING: 0, FAILED: 0, NOT_AVAILABLE: 1 });
    expect(exitCodeFor(merged)).toBe(EXIT_CODES.incomplete);
  });

  it('keeps what did not land when merging published runs, each run counted once', async () => {
    // Prepare: two published runs whose findings did not all land; one of them given twice.
    const west = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35)])],
      checks: [retentionCheck],
      policy,
      now,
    });
    const east = await runAudit({
      plans: [plan('us-east-1', [db('us-east-1', 'b', 35)])],
      checks: [retentionCheck],
      policy,
      now,
    });
    const westPublished = {
      ...west,
      notImported: 3,
      notImportedReason: 'Security Hub refused them: InvalidInput 3',
    };
    const eastPublished = {
      ...east,
      startedAt: '2026-11-21T13:00:00.000Z',
      finishedAt: '2026-11-21T13:00:01.000Z',
      notImported: 2,
      notImportedReason: 'publishing failed: AccessDeniedException',
    };

    // Act
    const merged = mergeReports([westPublished, structuredClone(westPublished), eastPublished]);
    const alone = mergeReports([westPublished]);
    const landed = mergeReports([west, east]);

    // Assess
    expect(merged).toMatchObject({
      notImported: 5,
      notImportedReason:
        'Security Hub refused them: InvalidInput 3; publishing failed: AccessDeniedException',
    });
    expect(alone).toMatchObject({
      notImported: 3,
      notImportedReason: 'Security Hub refused them: InvalidInput 3',
    });
    expect(landed).not.toHaveProperty('notImported');
    expect(landed).not.toHaveProperty('notImportedReason');
  });

  it('keeps every unused-exception warning and every target judged elsewhere, each once', async () => {
    // Prepare
    const west = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35)])],
      checks: [retentionCheck],
      policy,
      now,
    });
    const east = await runAudit({
      plans: [plan('us-east-1', [db('us-east-1', 'b', 35)])],
      checks: [retentionCheck],
      policy,
      now,
    });
    const replica = {
      identifier: 'certctl-replica',
      note: 'a read replica, judged at its source certctl-db',
    };
    const member = {
      identifier: 'certctl-member-1',
      note: 'an Aurora member, judged at its cluster certctl',
    };
    const first = {
      ...west,
      unusedExceptions: ['exception 1 applies to nothing'],
      targetsJudgedElsewhere: [replica],
    };
    const second = {
      ...east,
      unusedExceptions: ['exception 1 applies to nothing', 'exception 2 applies to nothing'],
      targetsJudgedElsewhere: [{ ...replica, identifier: 'CERTCTL-REPLICA' }, member],
    };

    // Act
    const merged = mergeReports([first, second]);
    const alone = mergeReports([first]);

    // Assess
    expect(merged.unusedExceptions).toEqual([
      'exception 1 applies to nothing',
      'exception 2 applies to nothing',
    ]);
    expect(merged.targetsJudgedElsewhere).toEqual([replica, member]);
    expect(alone).toMatchObject({
      unusedExceptions: first.unusedExceptions,
      targetsJudgedElsewhere: [replica],
    });
    expect(mergeReports([west, east])).not.toHaveProperty('unusedExceptions');
    expect(mergeReports([west, east])).not.toHaveProperty('targetsJudgedElsewhere');
  });

  it('says nothing was read only when no merged run read a scope, with every run’s providers and groups', async () => {
    // Prepare: two runs that planned no scope (a group without places), and one that read a scope.
    const empty = await runAudit({ plans: [], checks: [retentionCheck], policy, now });
    const dumpsNothing = { ...empty, nothingToRead: { providers: ['aws' as const], groups: ['dumps'] } };
    const keysNothing = {
      ...empty,
      nothingToRead: {
        providers: ['aws' as const, 'gcp' as const],
        groups: ['keys'],
        narrowed: true as const,
      },
    };
    const west = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35)])],
      checks: [retentionCheck],
      policy,
      now,
    });

    // Act
    const nothing = mergeReports([dumpsNothing, keysNothing]);
    const something = mergeReports([dumpsNothing, west]);

    // Assess
    expect(nothing.nothingToRead).toEqual({
      providers: ['aws', 'gcp'],
      groups: ['dumps', 'keys'],
      narrowed: true,
    });
    expect(coverageProblems(nothing)).toEqual([expect.stringMatching(/^nothing was audited: .*dumps.*keys/)]);
    expect(something).not.toHaveProperty('nothingToRead');
  });

  it('keeps the failed outcome when a retried batch reports the same scope complete', async () => {
    // Prepare
    const failed = await runAudit({
      plans: [plan('eu-west-1', new Error('down'))],
      checks: [retentionCheck],
      policy,
      now,
    });
    const retried = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35)])],
      checks: [retentionCheck],
      policy,
      now,
    });

    // Act
    const merged = mergeReports([retried, failed]);

    // Assess
    expect(merged.scopes).toEqual([expect.objectContaining({ status: 'failed' })]);
  });

  it('keeps each finding and scope once when the same report is merged twice', async () => {
    // Prepare: one report file passed twice.
    const once = await runAudit({
      plans: [
        plan('eu-west-1', [db('eu-west-1', 'a', 7), db('eu-west-1', 'b', 35)]),
        plan('us-east-1', new Error('down')),
      ],
      checks: [retentionCheck],
      policy,
      now,
    });
    const copy = (): typeof once => JSON.parse(JSON.stringify(once));

    // Act
    const merged = mergeReports([copy(), copy()]);

    // Assess
    expect(merged.findings).toEqual(once.findings);
    expect(merged.scopes).toEqual(once.scopes);
    expect(merged.counts).toEqual(once.counts);
  });

  it('keeps the later evaluation of a scope two runs both evaluated, with only that run’s findings', async () => {
    // Prepare: db a fixed and db b deleted between the two runs.
    const earlier = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 7), db('eu-west-1', 'b', 35)])],
      checks: [retentionCheck],
      policy,
      now: () => new Date('2026-11-21T12:00:00Z'),
    });
    const later = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35)])],
      checks: [retentionCheck],
      policy,
      now: () => new Date('2026-11-21T13:00:00Z'),
    });

    // Act
    const forward = mergeReports([earlier, later]);
    const backward = mergeReports([later, earlier]);

    // Assess
    for (const merged of [forward, backward]) {
      expect(merged.findings.map((f) => [f.resource.id, f.status, f.evaluatedAt])).toEqual([
        ['a', 'PASSED', '2026-11-21T13:00:00.000Z'],
      ]);
      expect(merged.scopes).toEqual([expect.objectContaining({ status: 'complete', resources: 1 })]);
    }
  });

  it('keeps a newer complete evaluation over an older failure of a scope, and a newer failure over an older evaluation', async () => {
    // Prepare
    const at = (time: string) => () => new Date(time);
    const failedEarly = await runAudit({
      plans: [plan('eu-west-1', new Error('down'))],
      checks: [retentionCheck],
      policy,
      now: at('2026-11-21T12:00:00Z'),
    });
    const completeLate = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 7)])],
      checks: [retentionCheck],
      policy,
      now: at('2026-11-21T13:00:00Z'),
    });
    const completeEarly = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 7)])],
      checks: [retentionCheck],
      policy,
      now: at('2026-11-21T11:00:00Z'),
    });

    // Act
    const recovered = mergeReports([failedEarly, completeLate]);
    const broken = mergeReports([completeEarly, failedEarly]);

    // Assess
    expect(recovered.scopes).toEqual([expect.objectContaining({ status: 'complete' })]);
    expect(recovered.findings.map((f) => [f.resource.id, f.status])).toEqual([['a', 'FAILED']]);
    expect(broken.scopes).toEqual([expect.objectContaining({ status: 'failed' })]);
    expect(broken.findings.map((f) => [f.resource.type, f.status])).toEqual([['Scope', 'NOT_AVAILABLE']]);
  });

  it('keeps a named target no merged report answers to, and drops one another report judged', async () => {
    // Prepare: two batches of one plan, each having looked for the policy's names in its own reach
    // (withTargetCoverage): each missed the other's database, and both missed a mistyped name.
    const west = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35)])],
      checks: [retentionCheck],
      policy,
      now,
    });
    const east = await runAudit({
      plans: [plan('us-east-1', [db('us-east-1', 'b', 35)])],
      checks: [retentionCheck],
      policy,
      now,
    });

    // Act
    const merged = mergeReports([
      { ...west, unmatchedTargets: ['b', 'typo'] },
      { ...east, unmatchedTargets: ['A', 'typo'] },
    ]);
    const unlooked = mergeReports([west, east]);
    const single = mergeReports([{ ...west, unmatchedTargets: ['typo'] }]);

    // Assess: the mistyped name still makes the run incomplete (and publishers archive nothing).
    expect(merged.unmatchedTargets).toEqual(['typo']);
    expect(coverageProblems(merged)).toContain('targets named in the policy were not found: typo');
    expect(exitCodeFor(merged)).toBe(EXIT_CODES.incomplete);
    expect(single.unmatchedTargets).toEqual(['typo']);
    // Reports that were never looked at for names carry no verdict on them.
    expect(unlooked.unmatchedTargets).toBeUndefined();
  });

  it('carries providers that could not be planned into the verdict', () => {
    // Act
    const merged = mergeReports([
      {
        startedAt: '',
        finishedAt: '',
        findings: [],
        scopes: [],
        counts: { PASSED: 0, WARNING: 0, FAILED: 0, NOT_AVAILABLE: 0 },
        unplanned: [{ provider: 'aws', code: 'Throttling', message: 'STS GetCallerIdentity failed' }],
      },
    ]);

    // Assess
    expect(coverageProblems(merged)).toEqual([
      'aws could not be audited at all: STS GetCallerIdentity failed (Throttling)',
    ]);
    expect(exitCodeFor(merged)).toBe(EXIT_CODES.incomplete);
  });
});

describe('checks the policy turns off', () => {
  it('yields no finding from a disabled check, not even NOT_AVAILABLE for a failed scope', async () => {
    // Prepare
    const optional: Check<FakeFact> = {
      ...retentionCheck,
      metadata: { ...retentionCheck.metadata, id: 'pitr.fake-optional' },
      enabledBy: (p) => p.pitr.requireCrossRegionBackup,
    };

    // Act
    const report = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35)]), plan('us-east-1', new Error('down'))],
      checks: [retentionCheck, optional],
      policy,
      now,
    });

    // Assess
    expect(report.findings.map((f) => f.checkId)).not.toContain('pitr.fake-optional');
    expect(report.findings.map((f) => `${f.checkId} ${f.status}`).sort()).toEqual([
      'pitr.fake-retention NOT_AVAILABLE',
      'pitr.fake-retention PASSED',
    ]);
  });

  it("names in each scope's outcome the checks of its group it ran and those the policy turns off, complete or failed", async () => {
    // Prepare: a check turned off, and a check of another group that is not the scope's.
    const optional: Check<FakeFact> = {
      ...retentionCheck,
      metadata: { ...retentionCheck.metadata, id: 'pitr.fake-optional' },
      enabledBy: (p) => p.pitr.requireCrossRegionBackup,
    };

    // Act
    const report = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35)]), plan('us-east-1', new Error('down'))],
      checks: [retentionCheck, optional, presentCheck],
      policy,
      now,
    });

    // Assess: a publisher tells from them a check turned off (or no longer in the catalog) from a
    // resource gone, and a run that ran only some checks from one that ran them all.
    expect(report.scopes.map((outcome) => [outcome.status, outcome.checks])).toEqual([
      ['complete', { on: ['pitr.fake-retention'], off: ['pitr.fake-optional'] }],
      ['failed', { on: ['pitr.fake-retention'], off: ['pitr.fake-optional'] }],
    ]);
  });
});

describe('coverage', () => {
  it('exits "could not complete" and says so when every scope answered but no database matched', async () => {
    // Act
    const report = await runAudit({ plans: [plan('eu-west-1', [])], checks: [retentionCheck], policy, now });

    // Assess
    expect(report.findings).toEqual([]);
    expect(coverageProblems(report)).toEqual([
      expect.stringContaining("no database matched the policy's targets"),
    ]);
    expect(exitCodeFor(report)).toBe(EXIT_CODES.incomplete);
  });

  it('exits "could not complete" when the run planned no scope at all (a group the policy gives nothing)', async () => {
    // Prepare: `audit --group dumps` on a policy without dump locations plans nothing to read.
    const report = await runAudit({ plans: [], checks: [retentionCheck], policy, now });

    // Act
    const problems = coverageProblems(report);

    // Assess: "every check passed" would be a pass on nothing.
    expect(report.scopes).toEqual([]);
    expect(problems).toEqual([expect.stringContaining('nothing was audited')]);
    expect(exitCodeFor(report)).toBe(EXIT_CODES.incomplete);
  });

  it('lists the named targets no database answers to, matching identifiers without regard to case', async () => {
    // Prepare
    const named = parsePolicy({
      targets: { identifiers: ['A', 'certctl-prod-dbb', 'arn:aws:rds:eu-west-1:111111111111:db:b'] },
    });
    const withArn: FakeFact = {
      resource: { ...db('eu-west-1', 'b', 35).resource, arn: 'arn:aws:rds:eu-west-1:111111111111:db:b' },
      retentionDays: 35,
    };
    const audited = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35), withArn])],
      checks: [retentionCheck],
      policy: named,
      now,
    });

    // Act
    const report = withTargetCoverage(audited, named, { providers: ['aws'], narrowed: false });

    // Assess
    expect(report.unmatchedTargets).toEqual(['certctl-prod-dbb']);
    expect(coverageProblems(report)).toEqual([
      'targets named in the policy were not found: certctl-prod-dbb',
    ]);
    expect(exitCodeFor(report)).toBe(EXIT_CODES.incomplete);
  });

  it('says the pitr group judged nothing when no database matched but the keys group judged its secrets', async () => {
    // Prepare: a tag typo selects no database; the keys scope read its one secret, which passed.
    const secret = {
      resource: {
        ...db('eu-west-1', 'certctl/ca-key', 35).resource,
        type: 'AwsSecretsManagerSecret' as const,
      },
      retentionDays: 35,
    };

    // Act
    const report = await runAudit({
      plans: [plan('eu-west-1', []), keysPlan('eu-west-1', [secret])],
      checks: [retentionCheck, presentCheck],
      policy,
      now,
    });

    // Assess: the pitr group's "every check passed" is a pass on nothing, so the run cannot exit 0.
    expect(report.counts).toEqual({ PASSED: 1, WARNING: 0, FAILED: 0, NOT_AVAILABLE: 0 });
    expect(coverageProblems(report)).toEqual([
      "no database matched the policy's targets (targets.tags, targets.identifiers, targets.all), so no database was proven restorable",
    ]);
    expect(exitCodeFor(report)).toBe(EXIT_CODES.incomplete);
  });

  it('says the keys group judged nothing when its scopes were read whole but the pitr group judged a database', async () => {
    // Act
    const report = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35)]), keysPlan('eu-west-1', [])],
      checks: [retentionCheck, presentCheck],
      policy,
      now,
    });

    // Assess
    expect(coverageProblems(report)).toEqual([
      "no secret of the policy's key material (keys.items) was judged, so no key material was proven backed up",
    ]);
    expect(exitCodeFor(report)).toBe(EXIT_CODES.incomplete);
  });

  it('does not say a group judged nothing when one of its scopes failed, whatever the other groups judged', async () => {
    // Act: pitr read eu-west-1 empty and failed us-east-1 (its databases are unknown); keys judged one.
    const secret = {
      resource: {
        ...db('eu-west-1', 'certctl/ca-key', 35).resource,
        type: 'AwsSecretsManagerSecret' as const,
      },
      retentionDays: 35,
    };
    const report = await runAudit({
      plans: [plan('eu-west-1', []), plan('us-east-1', new Error('down')), keysPlan('eu-west-1', [secret])],
      checks: [retentionCheck, presentCheck],
      policy,
      now,
    });

    // Assess: the failed scope is reported as such (NOT_AVAILABLE), not as "no database matched".
    expect(coverageProblems(report)).toEqual([]);
    expect(exitCodeFor(report)).toBe(EXIT_CODES.incomplete);
  });

  it('does not claim nothing matched when a scope failed (its databases are unknown)', async () => {
    // Act
    const report = await runAudit({
      plans: [plan('eu-west-1', new Error('down'))],
      checks: [retentionCheck],
      policy,
      now,
    });

    // Assess
    expect(coverageProblems(report)).toEqual([]);
    expect(exitCodeFor(report)).toBe(EXIT_CODES.incomplete);
  });
});

describe('mapWithConcurrency', () => {
  it('keeps input order and never exceeds the limit when tasks overlap', async () => {
    // Prepare
    let inFlight = 0;
    let peak = 0;

    // Act
    const result = await mapWithConcurrency([1, 2, 3, 4, 5, 6], 2, async (n) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return n * 10;
    });

    // Assess
    expect(result).toEqual([10, 20, 30, 40, 50, 60]);
    expect(peak).toBe(2);
  });

  it('starts every worker at once unless asked to stagger', async () => {
    // Prepare: each task, once started, asks for the next turn of the event loop (as a request
    // waits for its socket to be written).
    const events: string[] = [];

    // Act
    await mapWithConcurrency([1, 2, 3], 3, async (n) => {
      events.push(`start ${n}`);
      await new Promise((resolve) => setImmediate(resolve));
      events.push(`turn after ${n}`);
    });

    // Assess
    expect(events.slice(0, 3)).toEqual(['start 1', 'start 2', 'start 3']);
  });

  it('with start: doubling, starts the workers in batches of 1, 2, 4, … a turn of the event loop apart', async () => {
    // Prepare
    const events: string[] = [];
    let inFlight = 0;
    let peak = 0;
    // No task finishes before the fifth has had its turn: a timer here let a loaded machine finish
    // the first task (and start the sixth) between two batches.
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });

    // Act
    const result = await mapWithConcurrency(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      5,
      async (n) => {
        events.push(`start ${n}`);
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        events.push(`turn after ${n}`);
        if (n === 5) release();
        await gate;
        inFlight -= 1;
        return n * 10;
      },
      { start: 'doubling' },
    );

    // Assess: each batch's turn came before the next batch started; order and limit kept.
    expect(events.slice(0, 10)).toEqual([
      'start 1',
      'turn after 1',
      'start 2',
      'start 3',
      'turn after 2',
      'turn after 3',
      'start 4',
      'start 5',
      'turn after 4',
      'turn after 5',
    ]);
    expect(result).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(peak).toBe(5);
  });

  it('with start: doubling, rejects with the first failure and leaves no rejection unhandled', async () => {
    // Prepare: the first task fails while the later workers are still to be started.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const started: number[] = [];
    try {
      // Act
      const mapping = mapWithConcurrency(
        [1, 2, 3, 4],
        4,
        async (n) => {
          started.push(n);
          if (n === 1) throw new Error('first failed');
          await new Promise((resolve) => setTimeout(resolve, 5));
          return n;
        },
        { start: 'doubling' },
      );

      // Assess: every item is still run (as without staggering), and the failure is the answer.
      await expect(mapping).rejects.toThrow('first failed');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(started).toEqual([1, 2, 3, 4]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('defineRegistry', () => {
  it('refuses two checks with the same id', () => {
    expect(() => defineRegistry([retentionCheck, retentionCheck])).toThrow(
      /duplicate check id pitr.fake-retention/,
    );
  });
});

describe('merging reports and the verdict', () => {
  const finding = (id: string, status: Finding['status'], extra: Partial<Finding> = {}): Finding => ({
    checkId: 'pitr.fake-retention',
    group: 'pitr',
    resource: { provider: 'aws', account: '111111111111', region: 'eu-west-1', type: 'AwsRdsDbInstance', id },
    status,
    severity: 'HIGH',
    title: 't',
    description: 'd',
    remediation: { text: 'r', url: 'https://example.com' },
    observed: {},
    required: {},
    evaluatedAt: '2026-11-21T12:00:00.000Z',
    ...extra,
  });
  const scopeOutcome = (region: string, status: 'complete' | 'failed') => ({
    scope: { provider: 'aws' as const, account: '111111111111', region, group: 'pitr' as const },
    status,
    resources: 1,
    ...(status === 'failed' ? { error: { code: 'X', message: 'down' } } : {}),
  });
  const report = (
    startedAt: string,
    finishedAt: string,
    findings: Finding[],
    scopes: ReturnType<typeof scopeOutcome>[],
  ): AuditReport => ({ startedAt, finishedAt, findings, scopes, counts: countStatuses(findings) });

  it('spans the earliest start to the latest finish and sorts the findings of all reports together', () => {
    // Act
    const merged = mergeReports([
      report(
        '2026-11-21T12:00:05.000Z',
        '2026-11-21T12:00:09.000Z',
        [finding('b', 'PASSED')],
        [scopeOutcome('eu-west-1', 'complete')],
      ),
      report(
        '2026-11-21T12:00:01.000Z',
        '2026-11-21T12:00:07.000Z',
        [finding('a', 'FAILED'), finding('c', 'PASSED')],
        [],
      ),
      report('2026-11-21T12:00:03.000Z', '2026-11-21T12:00:04.000Z', [], []),
    ]);
    // Assess
    expect(merged.startedAt).toBe('2026-11-21T12:00:01.000Z');
    expect(merged.finishedAt).toBe('2026-11-21T12:00:09.000Z');
    expect(merged.findings.map((f) => f.resource.id)).toEqual(['a', 'b', 'c']);
    expect('unplanned' in merged).toBe(false);
  });

  it('sorts the findings of a single report read from a file, which this process did not sort', () => {
    // A report loaded from JSON (or built by hand) is in no known order.
    const merged = mergeReports([
      report('a', 'b', [finding('c', 'PASSED'), finding('b', 'FAILED'), finding('a', 'PASSED')], []),
    ]);
    expect(merged.findings.map((f) => `${f.resource.id} ${f.status}`)).toEqual([
      'b FAILED',
      'a PASSED',
      'c PASSED',
    ]);
    expect(merged.counts).toEqual({ PASSED: 2, WARNING: 0, FAILED: 1, NOT_AVAILABLE: 0 });
  });

  it('keeps the order of a single report this process sorted, and recounts it', async () => {
    const sorted = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'b', 1), db('eu-west-1', 'a', 35)])],
      checks: [retentionCheck],
      policy,
      now,
    });
    const merged = mergeReports([sorted]);
    expect(merged.findings.map((f) => `${f.resource.id} ${f.status}`)).toEqual(
      sorted.findings.map((f) => `${f.resource.id} ${f.status}`),
    );
    expect(merged.findings[0]?.status).toBe('FAILED');
    expect(merged.counts).toEqual(countStatuses(sorted.findings));
  });

  it('counts the findings it makes as countStatuses does, through every merge, each report with counts of its own', async () => {
    // Prepare: PASSED and FAILED findings, a scope that cannot be read, a check that throws, and a
    // check answering WARNING or a status outside the four (counted NOT_AVAILABLE).
    const throwing: Check<FakeFact> = {
      ...retentionCheck,
      metadata: { ...retentionCheck.metadata, id: 'pitr.fake-throwing' },
      evaluate: () => {
        throw new Error('bug');
      },
    };
    const odd: Check<FakeFact> = {
      ...retentionCheck,
      metadata: { ...retentionCheck.metadata, id: 'pitr.fake-odd' },
      evaluate: (fact) => ({
        status: (fact.retentionDays > 10 ? 'WARNING' : 'UNKNOWN') as 'WARNING',
        description: 'odd',
        observed: {},
        required: {},
      }),
    };
    // Act
    const judged = await runAudit({
      plans: [
        plan('eu-west-1', [db('eu-west-1', 'a', 35), db('eu-west-1', 'b', 1)]),
        plan('us-east-1', new Error('unreachable')),
      ],
      checks: [retentionCheck, throwing, odd],
      policy,
      now,
    });
    const merged = mergeReports([judged]);
    const again = mergeReports([merged]);
    // Assess
    expect(judged.findings).toHaveLength(9);
    expect(judged.findings.every((finding) => finding !== undefined)).toBe(true);
    expect(judged.counts).toEqual(countStatuses(judged.findings));
    expect(judged.counts).toEqual({ PASSED: 1, WARNING: 1, FAILED: 1, NOT_AVAILABLE: 6 });
    expect(merged.counts).toEqual(judged.counts);
    expect(again.counts).toEqual(judged.counts);
    (merged.counts as { PASSED: number }).PASSED = 99;
    expect(judged.counts.PASSED).toBe(1);
    expect(mergeReports([judged]).counts.PASSED).toBe(1);
  });

  it('keeps the failed outcome of a scope reported failed first, then complete', () => {
    const merged = mergeReports([
      report('a', 'b', [], [scopeOutcome('eu-west-1', 'failed')]),
      report('a', 'b', [], [scopeOutcome('eu-west-1', 'complete'), scopeOutcome('us-east-1', 'complete')]),
      report('a', 'b', [], [scopeOutcome('us-east-1', 'complete')]),
    ]);
    expect(merged.scopes.map((s) => `${s.scope.region} ${s.status}`)).toEqual([
      'eu-west-1 failed',
      'us-east-1 complete',
    ]);
  });

  it('dates a scope without findings by its report’s finish, so a later empty evaluation drops older findings', () => {
    // Act: the database was deleted between a run that finished at 12:00 and one that finished at 13:00.
    const merged = mergeReports([
      report(
        '2026-11-21T13:00:00.000Z',
        '2026-11-21T13:00:05.000Z',
        [],
        [scopeOutcome('eu-west-1', 'complete')],
      ),
      report(
        '2026-11-21T11:59:00.000Z',
        '2026-11-21T12:00:00.000Z',
        [finding('a', 'FAILED', { evaluatedAt: '2026-11-21T11:59:30.000Z' })],
        [scopeOutcome('eu-west-1', 'complete')],
      ),
    ]);

    // Assess
    expect(merged.findings).toEqual([]);
    expect(merged.scopes).toHaveLength(1);
  });

  it('keeps the later of a finding two reports hold outside any scope they report', () => {
    // Act
    const merged = mergeReports([
      report('a', 'b', [finding('a', 'PASSED', { evaluatedAt: '2026-11-21T13:00:00.000Z' })], []),
      report('a', 'b', [finding('a', 'FAILED', { evaluatedAt: '2026-11-21T12:00:00.000Z' })], []),
      report('a', 'b', [finding('a', 'WARNING', { evaluatedAt: '2026-11-21T13:00:00.000Z' })], []),
    ]);

    // Assess
    expect(merged.findings.map((f) => f.status)).toEqual(['PASSED']);
  });

  it('uses the time of the merge when no report is given', () => {
    const merged = mergeReports([]);
    expect(Number.isNaN(Date.parse(merged.startedAt))).toBe(false);
    expect(Number.isNaN(Date.parse(merged.finishedAt))).toBe(false);
  });

  it('counts an excepted FAILED or NOT_AVAILABLE finding as accepted risk, and an expired one as open', () => {
    // Prepare
    const scopes = [scopeOutcome('eu-west-1', 'complete')];
    const active = { reason: 'r', expires: '2027-01-01', active: true };
    const expired = { ...active, active: false };
    const verdict = (findings: Finding[]) => exitCodeFor(report('a', 'b', findings, scopes));
    // Act / Assess
    expect(verdict([finding('a', 'FAILED', { exception: active }), finding('b', 'PASSED')])).toBe(
      EXIT_CODES.ok,
    );
    expect(verdict([finding('a', 'NOT_AVAILABLE', { exception: active }), finding('b', 'FAILED')])).toBe(
      EXIT_CODES.failed,
    );
    expect(verdict([finding('a', 'FAILED', { exception: expired })])).toBe(EXIT_CODES.failed);
    expect(verdict([finding('a', 'NOT_AVAILABLE', { exception: expired })])).toBe(EXIT_CODES.incomplete);
    expect(verdict([finding('a', 'PASSED')])).toBe(EXIT_CODES.ok);
  });

  it('exits incomplete when a scope failed even though every finding passed', () => {
    const code = exitCodeFor(
      report(
        'a',
        'b',
        [finding('a', 'PASSED')],
        [scopeOutcome('eu-west-1', 'complete'), scopeOutcome('us-east-1', 'failed')],
      ),
    );
    expect(code).toBe(EXIT_CODES.incomplete);
  });

  it('names every coverage problem', () => {
    // Prepare
    const problems = coverageProblems({
      findings: [finding('a', 'PASSED')],
      scopes: [scopeOutcome('eu-west-1', 'complete')],
      unmatchedTargets: ['db-x', 'db-y'],
      unplanned: [
        { provider: 'gcp', code: 'CredentialsError', message: 'no Application Default Credentials' },
      ],
    });
    // Assess
    expect(problems).toEqual([
      'gcp could not be audited at all: no Application Default Credentials (CredentialsError)',
      'targets named in the policy were not found: db-x, db-y',
    ]);
    expect(
      coverageProblems({ findings: [finding('a', 'PASSED')], scopes: [], unmatchedTargets: [] }),
    ).toEqual([]);
  });

  it('does not count a whole-scope finding as a judged database', () => {
    const scopeFinding = finding('111111111111/eu-west-1', 'NOT_AVAILABLE', {
      resource: { provider: 'aws', account: '111111111111', region: 'eu-west-1', type: 'Scope', id: 'x' },
    });
    expect(
      coverageProblems({ findings: [scopeFinding], scopes: [scopeOutcome('eu-west-1', 'complete')] }),
    ).toEqual([
      "no database matched the policy's targets (targets.tags, targets.identifiers, targets.all), so no database was proven restorable",
    ]);
  });

  it('orders findings by status, then provider, account, region, resource and check', () => {
    // Prepare
    const base = finding('db', 'FAILED');
    const variants = [
      { ...base, checkId: 'pitr.z' },
      { ...base, checkId: 'pitr.a' },
      { ...base, resource: { ...base.resource, id: 'aaa' } },
      { ...base, resource: { ...base.resource, region: 'ap-south-1' } },
      { ...base, resource: { ...base.resource, account: '000000000000' } },
      { ...base, resource: { ...base.resource, provider: 'gcp' as const } },
      { ...base, status: 'WARNING' as const },
      { ...base, status: 'NOT_AVAILABLE' as const },
    ];
    // Act
    const sorted = [...variants].sort(compareFindings);
    // Assess
    expect(
      sorted.map(
        (f) =>
          `${f.status} ${f.resource.provider} ${f.resource.account} ${f.resource.region} ${f.resource.id} ${f.checkId}`,
      ),
    ).toEqual([
      'FAILED aws 000000000000 eu-west-1 db pitr.fake-retention',
      'FAILED aws 111111111111 ap-south-1 db pitr.fake-retention',
      'FAILED aws 111111111111 eu-west-1 aaa pitr.fake-retention',
      'FAILED aws 111111111111 eu-west-1 db pitr.a',
      'FAILED aws 111111111111 eu-west-1 db pitr.z',
      'FAILED gcp 111111111111 eu-west-1 db pitr.fake-retention',
      'NOT_AVAILABLE aws 111111111111 eu-west-1 db pitr.fake-retention',
      'WARNING aws 111111111111 eu-west-1 db pitr.fake-retention',
    ]);
    expect(compareFindings(base, { ...base })).toBe(0);
  });

  it('sortFindings puts findings in the order of sort(compareFindings), ties and collator-equal texts included', () => {
    // Prepare: texts whose collated order differs from their code-unit order ('B' after 'a'), texts
    // the collator calls equal ('é' precomposed and decomposed), and repeated findings whose order
    // only stability decides (told apart by their title).
    let seed = 7;
    const pick = <T>(values: readonly T[]): T => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return values[seed % values.length] as T;
    };
    const base = finding('db', 'FAILED');
    const findings = Array.from({ length: 2000 }, (_, index) => ({
      ...base,
      title: `finding ${index}`,
      status: pick(['FAILED', 'WARNING', 'PASSED', 'NOT_AVAILABLE'] as const),
      checkId: pick(['pitr.b', 'pitr.A', 'pitr.a', 'keys.Z']),
      resource: {
        ...base.resource,
        provider: pick(['aws', 'gcp'] as const),
        account: pick(['111111111111', '22222222222', 'Project-b', 'project-a']),
        region: pick(['eu-west-1', 'us-east-1', 'EU-west-1']),
        id: pick(['db-B', 'db-a', 'db-\u00e9', 'db-e\u0301', 'db-10', 'db-9', 'DB-a']),
      },
    }));

    // Act
    const sorted = sortFindings([...findings]);

    // Assess
    expect(sorted.map((f) => f.title)).toEqual([...findings].sort(compareFindings).map((f) => f.title));
    expect(sortFindings([])).toEqual([]);
  });

  it.each([
    ['texts in code-unit order packed into one number per finding', 40, 3000],
    ['too many distinct texts for one number per finding (ranks compared field by field)', 3000, 3000],
  ])('sortFindings orders %s as sort(compareFindings) does', (_, distinct, count) => {
    // Prepare: lower-case ids, regions and accounts (their code-unit order is their collated order)
    // with digits, hyphens and dots; `distinct` values per field, so that 3,000 of each need more
    // than 53 bits together. Shared resource objects, as the checks of one fact share theirs.
    let seed = 11;
    const pick = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed % n;
    };
    const base = finding('db', 'FAILED');
    const resources = Array.from({ length: Math.max(1, Math.floor(count / 3)) }, () => ({
      ...base.resource,
      provider: pick(2) === 0 ? ('aws' as const) : ('gcp' as const),
      account: String(100000000000 + pick(distinct) * 7919),
      region: `eu-west-${pick(distinct)}`,
      id: `certctl-db-${pick(distinct)}.${pick(10)}`,
    }));
    const findings = Array.from({ length: count }, (_, index) => ({
      ...base,
      title: `finding ${index}`,
      status: (['FAILED', 'WARNING', 'PASSED', 'NOT_AVAILABLE'] as const)[pick(4)] ?? 'FAILED',
      checkId: `pitr.check-${pick(distinct)}`,
      resource: resources[pick(resources.length)] ?? base.resource,
    }));

    // Act
    const sorted = sortFindings([...findings]);

    // Assess
    expect(sorted.map((f) => f.title)).toEqual([...findings].sort(compareFindings).map((f) => f.title));
  });
});

describe('runAudit details the mutation run found open', () => {
  const throwing = (error: unknown): Check<FakeFact> => ({
    ...retentionCheck,
    metadata: { ...retentionCheck.metadata, id: 'pitr.fake-throwing' },
    evaluate: () => {
      throw error;
    },
  });

  it('cuts a runaway internal error message to 300 characters, names a non-Error throw "Error", and says what to do', async () => {
    const report = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35)])],
      checks: [throwing(new RangeError('x'.repeat(1000)))],
      policy,
      now,
    });
    const [finding] = report.findings;
    expect(finding?.description).toContain(
      `while judging a: RangeError: ${'x'.repeat(300)}. This is a defect`,
    );
    // What Security Hub shows meanwhile: the earlier finding, kept alive once 30 days old, a pass
    // then NOT_AVAILABLE (never "left as it was" for ever).
    expect(finding?.description).toContain(
      'an active earlier finding of this check in Security Hub is left as it was for up to 30 days after its last update, then kept alive as it was, or as NOT_AVAILABLE when it last said PASSED (one archived when the resource was gone is replaced by this one).',
    );
    expect(finding?.required).toEqual({ checkEvaluated: true });
    expect(finding?.remediation.text).toBe(
      'Report it to the certctl-backup-guard maintainers with the log line of this run; until it is fixed, verify this check by hand.',
    );
    const odd = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35)])],
      checks: [throwing('a string')],
      policy,
      now,
    });
    expect(odd.findings[0]?.description).toContain('while judging a: Error: a string. This is a defect');
    expect(odd.findings[0]?.observed).toEqual({ internalError: 'Error' });
  });
  it('observes the error code and requires the scope to be evaluated when a scope fails', async () => {
    const report = await runAudit({
      plans: [plan('eu-west-1', new CloudApiError('throttled', 'ThrottlingException'))],
      checks: [retentionCheck],
      policy,
      now,
    });
    expect(report.findings[0]).toMatchObject({
      observed: { error: 'ThrottlingException' },
      required: { scopeEvaluated: true },
    });
  });
  it('records the databases a resource stands for, and a named stand-in is judged elsewhere, not missing', async () => {
    const cluster: FakeFact & { standsFor: { names: string[]; what: string }[] } = {
      ...db('eu-west-1', 'cluster-1', 35),
      standsFor: [
        { names: ['member-1', 'arn:aws:rds:eu-west-1:111111111111:db:member-1'], what: 'Aurora member' },
      ],
    };
    const named = parsePolicy({ targets: { identifiers: ['MEMBER-1', 'gone'] } });
    const audited = await runAudit({
      plans: [plan('eu-west-1', [cluster])],
      checks: [retentionCheck],
      policy: named,
      now,
    });
    expect(audited.scopes[0]?.standIns).toEqual([
      {
        names: ['member-1', 'arn:aws:rds:eu-west-1:111111111111:db:member-1'],
        what: 'Aurora member',
        judgedAt: 'cluster-1',
      },
    ]);
    const plain = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35)])],
      checks: [retentionCheck],
      policy,
      now,
    });
    expect(plain.scopes[0]).not.toHaveProperty('standIns');
    const report = withTargetCoverage(audited, named, { providers: ['aws'], narrowed: false });
    expect(report.targetsJudgedElsewhere).toEqual([
      { identifier: 'MEMBER-1', note: 'Aurora member, judged at cluster-1' },
    ]);
    expect(report.unmatchedTargets).toEqual(['gone']);
    expect(withTargetCoverage(plain, named, { providers: ['aws'], narrowed: false })).not.toHaveProperty(
      'targetsJudgedElsewhere',
    );
  });
});

describe('runAudit and coverage, more edges', () => {
  it('stamps findings and the report with the injected clock', async () => {
    const report = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35)])],
      checks: [retentionCheck],
      policy,
      now,
    });
    expect(report.startedAt).toBe('2026-11-21T12:00:00.000Z');
    expect(report.findings[0]?.evaluatedAt).toBe('2026-11-21T12:00:00.000Z');
  });
  it('runs only the checks of the scope group', async () => {
    const dumpsCheck: Check<FakeFact> = {
      ...retentionCheck,
      metadata: { ...retentionCheck.metadata, id: 'dumps.fake', group: 'dumps' },
    };
    const report = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35)])],
      checks: [retentionCheck, dumpsCheck],
      policy,
      now,
    });
    expect(report.findings.map((finding) => finding.checkId)).toEqual(['pitr.fake-retention']);
  });
  it('runs a planned scope as planned, and a planned failure as a failed scope with its code', async () => {
    const scope = {
      provider: 'aws' as const,
      account: '111111111111',
      region: 'eu-west-1',
      group: 'pitr' as const,
    };
    const collect = async () => [db('eu-west-1', 'a', 35)];
    const planned = toScopePlan({ scope }, collect);
    expect(planned).toEqual({ scope, collect });
    const failing = toScopePlan(
      { scope, failure: { code: 'OptInRequired', message: 'region not enabled' } },
      collect,
    );
    expect(failing.scope).toEqual(scope);
    await expect(failing.collect()).rejects.toMatchObject({
      code: 'OptInRequired',
      message: 'region not enabled',
    });
    await expect(failing.collect()).rejects.toBeInstanceOf(CloudApiError);
  });
  it('does not flag a named ARN in a scope that failed, and claims no empty match when any scope failed', async () => {
    const arn = 'arn:aws:rds:us-east-1:111111111111:db:east';
    const named = parsePolicy({ targets: { identifiers: [arn] } });
    const report = await runAudit({
      plans: [plan('eu-west-1', []), plan('us-east-1', new Error('down'))],
      checks: [retentionCheck],
      policy: named,
      now,
    });
    const covered = withTargetCoverage(report, named, { providers: ['aws'], narrowed: false });
    expect(covered.unmatchedTargets).toEqual([]);
    expect(coverageProblems(covered)).toEqual([]);
  });
});

describe('checks that do not apply', () => {
  it('gives no finding for a fact a check does not apply to', async () => {
    const notApplicable: Check<FakeFact> = { ...retentionCheck, evaluate: () => undefined };
    const report = await runAudit({
      plans: [plan('eu-west-1', [db('eu-west-1', 'a', 35)])],
      checks: [notApplicable],
      policy,
      now,
    });
    expect(report.findings).toEqual([]);
    expect(report.scopes).toEqual([expect.objectContaining({ status: 'complete', resources: 1 })]);
  });
});

describe('failedScopeAdvice for a Google API that is not enabled', () => {
  it('advises enabling the API, not granting the role, when the refusal carries SERVICE_DISABLED', () => {
    // Prepare: gax's error for a disabled Cloud SQL Admin API, wrapped as the adapter wraps it.
    const gax = Object.assign(new Error('Cloud SQL Admin API has not been used in project 123456789012'), {
      code: 7,
      reason: 'SERVICE_DISABLED',
      errorInfoMetadata: { consumer: 'projects/123456789012', service: 'sqladmin.googleapis.com' },
    });
    const wrapped = new CloudApiError('Cloud SQL instances.list failed', 'PERMISSION_DENIED', { cause: gax });
    // Act
    const advice = failedScopeAdvice(wrapped);
    // Assess
    expect(advice).toBe(
      'The sqladmin.googleapis.com API is not enabled on project 123456789012: enable it (`gcloud services enable sqladmin.googleapis.com --project 123456789012`), then run the audit again.',
    );
    expect(failedScopeAdvice(new CloudApiError('denied', 'PERMISSION_DENIED'))).toContain(
      'The audit role was refused',
    );
  });
});

describe('failedScopeAdvice for an AWS explicit deny', () => {
  it('names the policy type that denies and that no grant overrides it, not the grant', () => {
    // Prepare: the SDK's AccessDenied for a service control policy's deny, wrapped as an adapter wraps it.
    const denied = Object.assign(
      new Error(
        'User: arn:aws:sts::111122223333:assumed-role/audit/s is not authorized to perform: rds:DescribeDBInstances with an explicit deny in a service control policy',
      ),
      { name: 'AccessDenied' },
    );
    const wrapped = new CloudApiError('RDS DescribeDBInstances failed', 'AccessDenied', { cause: denied });
    // Act
    const advice = failedScopeAdvice(wrapped);
    // Assess
    expect(advice).toBe(
      "An explicit deny in a service control policy refuses the call: a grant to the audit role cannot override it; ask the organization's administrators to exempt the role from it, then run the audit again.",
    );
  });
});

describe('a tagged read replica whose source is in another Region', () => {
  const arnOf = (region: string, id: string) => `arn:aws:rds:${region}:111111111111:db:${id}`;
  const replicaOf = (region: string, source: string) => ({
    id: `replica-of-${source}`,
    tag: 'certctl:backup-guard=enabled',
    of: `a cross-Region read replica of ${source} in ${region}`,
    tagInstead: 'the source',
    sourceArn: arnOf(region, source),
  });
  const sourceFact = (region: string, id: string): FakeFact => {
    const fact = db(region, id, 35);
    return { ...fact, resource: { ...fact.resource, arn: arnOf(region, id) } };
  };
  const replicas = [
    replicaOf('us-east-1', 'judged-src'),
    replicaOf('us-east-1', 'untagged-src'),
    replicaOf('ap-south-1', 'down-src'),
    replicaOf('sa-east-1', 'outside-src'),
  ];
  const audit = () =>
    runAudit({
      plans: [
        plan('eu-west-1', Object.assign([] as FakeFact[], { taggedStandIns: replicas })),
        plan('us-east-1', [sourceFact('us-east-1', 'judged-src')]),
        plan('ap-south-1', new Error('down')),
      ],
      checks: [retentionCheck],
      policy,
      now,
    });

  it('is listed when the source Region was read without judging the source, or is one the policy does not audit', async () => {
    // Act
    const covered = withTargetCoverage(await audit(), policy, { providers: ['aws'], narrowed: false });
    // Assess: a judged source audits it; a failed Region is NOT_AVAILABLE already.
    expect(coverageProblems(covered)).toEqual([
      'replica-of-untagged-src carries the target tag certctl:backup-guard=enabled but is a cross-Region read replica of untagged-src in us-east-1, which does not: tag the source to audit it',
      'replica-of-outside-src carries the target tag certctl:backup-guard=enabled but is a cross-Region read replica of outside-src in sa-east-1, which does not: tag the source and add sa-east-1 to aws.regions to audit it',
    ]);
    // Applied again (the CLI does after merging providers), it says the same.
    expect(
      coverageProblems(withTargetCoverage(covered, policy, { providers: ['aws', 'gcp'], narrowed: false })),
    ).toEqual(coverageProblems(covered));
  });

  it('is not listed for a Region a narrowed run did not read', async () => {
    // Act
    const covered = withTargetCoverage(await audit(), policy, { providers: ['aws'], narrowed: true });
    // Assess
    expect(coverageProblems(covered)).toEqual([
      'replica-of-untagged-src carries the target tag certctl:backup-guard=enabled but is a cross-Region read replica of untagged-src in us-east-1, which does not: tag the source to audit it',
    ]);
  });
});

describe('one finding Id produced twice in one run', () => {
  /** An RDS database with its ARN, as the PITR collector reads it: the finding Id names the ARN. */
  const arnDb = (region: string, id: string, retentionDays: number): FakeFact => ({
    resource: {
      ...db(region, id, retentionDays).resource,
      arn: `arn:aws:rds:${region}:111111111111:db:${id}`,
    },
    retentionDays,
  });
  /** A second check, so the duplicated database has a finding that does not differ. */
  const presentDbCheck: Check<FakeFact> = {
    ...presentCheck,
    metadata: { ...retentionCheck.metadata, id: 'pitr.fake-present' },
  };

  it('reports a check that judged one resource twice with two results once, NOT_AVAILABLE naming both, and every other finding as usual', async () => {
    // Prepare: a collector defect yields database b twice, read with two different retentions.
    const facts = [arnDb('eu-west-1', 'a', 35), arnDb('eu-west-1', 'b', 35), arnDb('eu-west-1', 'b', 7)];

    // Act
    const report = await runAudit({
      plans: [plan('eu-west-1', facts), plan('us-east-1', [arnDb('us-east-1', 'c', 35)])],
      checks: [retentionCheck, presentDbCheck],
      policy,
      now,
    });

    // Assess: b's retention is neither PASSED nor FAILED; its other check agreed and is kept once.
    const lines = report.findings.map((f) => `${f.checkId} ${f.resource.id} ${f.status}`).sort();
    expect(lines).toEqual([
      'pitr.fake-present a PASSED',
      'pitr.fake-present b PASSED',
      'pitr.fake-present c PASSED',
      'pitr.fake-retention a PASSED',
      'pitr.fake-retention b NOT_AVAILABLE',
      'pitr.fake-retention c PASSED',
    ]);
    const twice = report.findings.find((f) => f.checkId === 'pitr.fake-retention' && f.resource.id === 'b');
    expect(twice).toMatchObject({
      internalError: true,
      severity: 'MEDIUM',
      title: 'Not verified: Retention is long enough',
      observed: { internalError: 'DuplicateFinding', results: 'PASSED/FAILED' },
      required: { checkEvaluated: true },
      resource: { arn: 'arn:aws:rds:eu-west-1:111111111111:db:b' },
    });
    expect(twice?.description).toContain(
      'Internal error: check pitr.fake-retention gave 2 different results for b in one run (PASSED: "retention 35"; FAILED: "retention 7"), which would be one finding in Security Hub, so neither is reported.',
    );
    expect(twice?.description).toContain('This is a defect in certctl-backup-guard');
    expect(twice?.remediation.text).toMatch(/^Report it to the certctl-backup-guard maintainers/);
    expect(report.counts).toEqual({ PASSED: 5, WARNING: 0, FAILED: 0, NOT_AVAILABLE: 1 });
    expect(report.counts).toEqual(countStatuses(report.findings));
    expect(report.scopes.map((s) => s.status)).toEqual(['complete', 'complete']);
    expect(exitCodeFor(report)).toBe(EXIT_CODES.incomplete);
    expect(auditMetricValues(report).CheckErrors).toEqual({ 'pitr.fake-retention': 1 });
  });

  it('keeps one of two identical findings of one resource, counted once', async () => {
    // Act: the same database yielded twice, alike.
    const report = await runAudit({
      plans: [plan('eu-west-1', [arnDb('eu-west-1', 'a', 35), arnDb('eu-west-1', 'a', 35)])],
      checks: [retentionCheck],
      policy,
      now,
    });

    // Assess
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({ status: 'PASSED', description: 'retention 35' });
    expect(report.findings[0]?.internalError).toBeUndefined();
    expect(report.counts).toEqual({ PASSED: 1, WARNING: 0, FAILED: 0, NOT_AVAILABLE: 0 });
    expect(exitCodeFor(report)).toBe(EXIT_CODES.ok);
  });

  it('tells findings apart as their Security Hub Ids do: by ARN, by the part of a bucket, by the Security Hub they go to', async () => {
    // Prepare: two resources named apart but sharing one ARN are one finding in Security Hub; two
    // prefixes of one bucket are two; one bucket read by two Regions' scopes goes to two Security Hubs.
    const sharedArn = 'arn:aws:rds:eu-west-1:111111111111:db:a';
    const renamed: FakeFact = {
      resource: { ...arnDb('eu-west-1', 'a', 7).resource, id: 'A', arn: sharedArn },
      retentionDays: 7,
    };
    const series = (region: string, prefix: string): FakeFact => ({
      resource: {
        provider: 'aws',
        account: '111111111111',
        region: 'eu-west-1',
        type: 'AwsS3Bucket',
        id: `dumps/${prefix}`,
        arn: 'arn:aws:s3:::dumps',
      },
      retentionDays: region === 'eu-west-1' ? 35 : 7,
    });

    // Act
    const report = await runAudit({
      plans: [
        plan('eu-west-1', [
          arnDb('eu-west-1', 'a', 35),
          renamed,
          series('eu-west-1', 'x'),
          series('eu-west-1', 'y'),
        ]),
        plan('us-east-1', [series('us-east-1', 'x')]),
      ],
      checks: [retentionCheck],
      policy,
      now,
    });

    // Assess
    const lines = report.findings
      .map((f) => `${f.resource.id} ${f.scopeRegion ?? f.resource.region} ${f.status}`)
      .sort();
    expect(lines).toEqual([
      'a eu-west-1 NOT_AVAILABLE',
      'dumps/x eu-west-1 PASSED',
      'dumps/x us-east-1 FAILED',
      'dumps/y eu-west-1 PASSED',
    ]);
  });

  it('reports a finding two batches of a fan-out both judged in different scopes as NOT_AVAILABLE when they differ', async () => {
    // Prepare: a whole-account batch and a Region's batch both read database a (a planner or
    // collector defect); neither evaluation supersedes the other, as they are of different scopes.
    const whole = await runAudit({
      plans: [plan('*', [arnDb('eu-west-1', 'a', 35)])],
      checks: [retentionCheck],
      policy,
      now,
    });
    const west = await runAudit({
      plans: [plan('eu-west-1', [arnDb('eu-west-1', 'a', 7), arnDb('eu-west-1', 'b', 35)])],
      checks: [retentionCheck],
      policy,
      now: () => new Date('2026-11-21T12:05:00Z'),
    });

    // Act
    const merged = mergeReports([JSON.parse(JSON.stringify(whole)), JSON.parse(JSON.stringify(west))]);

    // Assess
    expect(merged.findings.map((f) => `${f.resource.id} ${f.status}`)).toEqual([
      'a NOT_AVAILABLE',
      'b PASSED',
    ]);
    expect(merged.findings[0]).toMatchObject({ internalError: true });
    expect(merged.findings[0]?.description).toContain('(PASSED: "retention 35"; FAILED: "retention 7")');
    expect(merged.counts).toEqual({ PASSED: 1, WARNING: 0, FAILED: 0, NOT_AVAILABLE: 1 });
  });
});
