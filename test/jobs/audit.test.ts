/**
 * The audit job against the simulator with the real SDK clients: fault isolation of a check that
 * throws, a provider that cannot be planned while another finishes, and a plan run in batches by
 * separate "processes" and merged.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { awsCollectors } from '../../functions/aws/collectors.ts';
import { pitrLagCheck } from '../../functions/checks/pitr/lag.ts';
import { type AuditReport, EXIT_CODES } from '../../functions/core/audit.ts';
import type { PitrFact } from '../../functions/core/facts.ts';
import type { PolicyInput } from '../../functions/core/policy.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { DAY_MS } from '../../functions/core/time.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import { gcpCollectors } from '../../functions/gcp/collectors.ts';
import {
  type AuditDependencies,
  auditOutcome,
  finishAudit,
  planAudit,
  runAuditJob,
  runScopes,
} from '../../functions/jobs/audit.ts';
import { defineCheckGroup, registerCheckGroup } from '../../functions/jobs/groups.ts';
import { notLandedReason } from '../../functions/jobs/publish.ts';
import { renderConsole } from '../../functions/publish/console.ts';
import { renderCsv } from '../../functions/publish/csv.ts';
import { renderHtml } from '../../functions/publish/html.ts';
import { renderJson } from '../../functions/publish/json.ts';
import { renderMarkdown } from '../../functions/publish/markdown.ts';
import { recordingLogger } from '../core/recording-logger.ts';
import { simCredentials } from '../sim/accounts.ts';
import { loadScenario } from '../sim/scenario.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { SECURITY_HUB_SERVICE, type SecurityHubSim } from '../sim/services/security-hub.ts';

const ACCOUNT = '111111111111';
const FRAGILE_DB = 'certctl-ocsp-db';
let sim: Sim;
let factory: AwsClientFactory;
let gcp: GcpClientFactory;

beforeEach(async () => {
  sim = await startSim({
    scenario: await loadScenario('test/sim/scenarios/demo-aws.yaml', 'test/sim/scenarios/demo-gcp.yaml'),
  });
  factory = new AwsClientFactory({ maxAttempts: 1, credentials: simCredentials(), endpoint: sim.endpoint });
  gcp = new GcpClientFactory({ endpoint: sim.endpoint });
});

afterEach(async () => {
  vi.restoreAllMocks();
  factory.destroy();
  await gcp.close();
  await sim.close();
});

/** An expiry the policy takes on any day the tests run: an exception runs 90 days at most from the day it is read. */
const EXPIRES = new Date(Date.now() + 30 * DAY_MS).toISOString().slice(0, 10);

function deps(input: PolicyInput): AuditDependencies {
  return {
    policy: parsePolicy(input),
    aws: { factory, collectors: awsCollectors, homeRegion: 'us-east-1' },
    gcp: { clients: gcp, collectors: gcpCollectors },
    publisher: { factory: () => factory, accounts: [], homeRegion: 'us-east-1' },
  };
}

const hub = () => sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE);

describe('a check that throws on one database', () => {
  it('is NOT_AVAILABLE for that check and database only, leaves its earlier finding alone, and exits 2', async () => {
    // Prepare: a first run publishes every finding.
    const policy = { aws: { regions: ['us-east-1'] }, securityHub: { enabled: true } };
    await runAuditJob({ providers: ['aws'] }, deps(policy));
    const before = hub().findings(ACCOUNT, 'us-east-1');
    const lagId = (f: { GeneratorId?: string; Resources?: { Id?: string }[] }) =>
      f.GeneratorId === 'certctl-backup-guard/pitr.lag' &&
      (f.Resources?.[0]?.Id ?? '').endsWith(`:db:${FRAGILE_DB}`);
    const earlier = before.find(lagId);
    expect(earlier).toBeDefined();
    const original = pitrLagCheck.evaluate.bind(pitrLagCheck);
    vi.spyOn(pitrLagCheck, 'evaluate').mockImplementation((fact, context) => {
      if (fact.resource.id === FRAGILE_DB) throw new RangeError('Invalid time value');
      return original(fact, context);
    });

    // Act
    const outcome = await runAuditJob({ providers: ['aws'] }, deps(policy));

    // Assess
    const fragile = outcome.report.findings.filter((f) => f.resource.id === FRAGILE_DB);
    expect(fragile.find((f) => f.checkId === 'pitr.lag')).toMatchObject({
      status: 'NOT_AVAILABLE',
      internalError: true,
    });
    // Every other check of that database, and every other database of the scope, is still judged.
    expect(fragile.filter((f) => f.checkId !== 'pitr.lag').every((f) => f.status !== 'NOT_AVAILABLE')).toBe(
      true,
    );
    expect(fragile.length).toBeGreaterThan(1);
    const others = outcome.report.findings.filter(
      (f) => f.resource.id !== FRAGILE_DB && f.checkId === 'pitr.lag',
    );
    expect(others.length).toBeGreaterThan(0);
    expect(others.every((f) => !f.internalError)).toBe(true);
    expect(outcome.report.scopes).toEqual([expect.objectContaining({ status: 'complete' })]);
    expect(outcome.exitCode).toBe(EXIT_CODES.incomplete);
    expect(outcome.metrics).toMatchObject({ CheckErrors: { 'pitr.lag': 1 }, AuditCompleted: 0 });
    // Security Hub still holds what the first run proved for that pair: not resolved, not archived.
    const after = hub().findings(ACCOUNT, 'us-east-1').find(lagId);
    expect(after).toEqual(earlier);
    expect(outcome.publication).toMatchObject({ status: 'published', counts: { untouched: 1, archived: 0 } });
  });
});

describe('a collector that yields one database twice, read two ways', () => {
  it('reports that check and database once as an internal error, leaves its earlier finding alone, and publishes every other finding', async () => {
    // Prepare: a first run publishes every finding; then the PITR collector (a defect) yields
    // certctl-ocsp-db a second time with another retention, so pitr.retention judges it twice.
    const policy = { aws: { regions: ['us-east-1'] }, securityHub: { enabled: true } };
    await runAuditJob({ providers: ['aws'] }, deps(policy));
    const before = hub().findings(ACCOUNT, 'us-east-1');
    const retentionId = `certctl-backup-guard/pitr.retention/arn:aws:rds:us-east-1:${ACCOUNT}:db:${FRAGILE_DB}`;
    const earlier = before.find((f) => f.Id === retentionId);
    expect(earlier?.Compliance?.Status).toBe('PASSED');
    const pitr = awsCollectors.pitr as NonNullable<typeof awsCollectors.pitr>;
    const twice = Object.assign(
      async (reader: Parameters<typeof pitr>[0]) => {
        const facts = await pitr(reader);
        const fragile = facts.find((fact) => fact.resource.id === FRAGILE_DB) as PitrFact;
        return [...facts, { ...fragile, retentionDays: 1 }];
      },
      { lookUpNames: pitr.lookUpNames },
    );
    const duplicating = {
      ...deps(policy),
      aws: { factory, collectors: { ...awsCollectors, pitr: twice }, homeRegion: 'us-east-1' },
    };

    // Act
    const outcome = await runAuditJob({ providers: ['aws'] }, duplicating);

    // Assess: one finding per check and database, the retention one NOT_AVAILABLE naming both results.
    const { findings } = outcome.report;
    const ids = findings.map((f) => `${f.checkId} ${f.resource.id}`);
    expect(new Set(ids).size).toBe(ids.length);
    const retention = findings.find((f) => f.checkId === 'pitr.retention' && f.resource.id === FRAGILE_DB);
    expect(retention).toMatchObject({ status: 'NOT_AVAILABLE', internalError: true });
    const said = `check pitr.retention gave 2 different results for ${FRAGILE_DB} in one run (PASSED: "`;
    expect(retention?.description).toContain(said);
    expect(retention?.description).toContain('; FAILED: "');
    expect(outcome.exitCode).toBe(EXIT_CODES.incomplete);
    // The checks the second retention changes (on, long enough, the window it bounds) gave two
    // results; the others gave one, kept once.
    expect(outcome.verdict).toBe(
      'the audit could not complete: 3 checks could not be evaluated on 1 database',
    );
    expect(outcome.metrics.CheckErrors).toEqual({ 'pitr.enabled': 1, 'pitr.retention': 1, 'pitr.window': 1 });
    expect(outcome.metrics.AuditCompleted).toBe(0);
    const alike = findings.find((f) => f.checkId === 'pitr.lag' && f.resource.id === FRAGILE_DB);
    expect(alike?.status).toBe('FAILED');
    expect(alike?.internalError).toBeUndefined();
    // Every report written of the run says it.
    const json = JSON.parse(renderJson(outcome.report)) as { findings: { description: string }[] };
    expect(json.findings.some((f) => f.description.includes(said))).toBe(true);
    expect(renderHtml(outcome.report)).toContain(
      `check pitr.retention gave 2 different results for ${FRAGILE_DB} in one run (PASSED: &quot;`,
    );
    expect(renderConsole(outcome.report).replace(/\s+/g, ' ')).toContain(said);
    // The publication went ahead: nothing failed to land, the earlier PASSED finding is left as it
    // was (neither resolved by a pass nor overwritten), and every other finding is still held active.
    expect(outcome.publication).toMatchObject({ status: 'published', failedCount: 0 });
    expect(outcome.report.notImported).toBeUndefined();
    const after = hub().findings(ACCOUNT, 'us-east-1');
    expect(after.find((f) => f.Id === retentionId)).toEqual(earlier);
    expect(after.map((f) => f.Id).sort()).toEqual(before.map((f) => f.Id).sort());
    expect(after.every((f) => f.RecordState === 'ACTIVE')).toBe(true);
  });
});

describe('findings of a check the run no longer runs', () => {
  it('archives those of a check turned off or renamed, saying so, and a run of another group leaves them alone', async () => {
    // Prepare: a first run with the cross-region check on publishes its findings; an earlier version
    // published one under a check name this version does not have.
    const on = { aws: { regions: ['us-east-1'] }, securityHub: { enabled: true } };
    await runAuditJob({ providers: ['aws'] }, deps({ ...on, pitr: { requireCrossRegionBackup: true } }));
    const crossRegion = (f: { GeneratorId?: string; RecordState?: string }) =>
      f.GeneratorId === 'certctl-backup-guard/pitr.cross-region';
    const published = hub().findings(ACCOUNT, 'us-east-1').filter(crossRegion);
    expect(published.length).toBeGreaterThan(0);
    const template = published[0] as (typeof published)[number];
    const renamedId = (template.Id as string).replace('/pitr.cross-region/', '/pitr.backup-copies/');
    hub().addFinding(ACCOUNT, 'us-east-1', {
      ...template,
      Id: renamedId,
      GeneratorId: 'certctl-backup-guard/pitr.backup-copies',
      ProductFields: { ...template.ProductFields, checkId: 'pitr.backup-copies' },
    });
    const active = () =>
      hub()
        .findings(ACCOUNT, 'us-east-1')
        .filter((f) => f.RecordState === 'ACTIVE' && (crossRegion(f) || f.Id === renamedId));

    // Act: a run of the keys group alone, then the whole audit with the check turned off.
    const keysOnly = await runAuditJob({ providers: ['aws'], groups: ['keys'] }, deps(on));
    const afterKeys = active().length;
    const whole = await runAuditJob({ providers: ['aws'] }, deps(on));

    // Assess
    expect(keysOnly.publication).toMatchObject({ counts: { retired: 0, archived: 0 } });
    expect(afterKeys).toBe(published.length + 1);
    expect(whole.publication).toMatchObject({
      status: 'published',
      counts: { retired: published.length + 1, archived: 0, failed: 0 },
    });
    expect(active()).toEqual([]);
  });
});

describe('one provider that cannot be planned', () => {
  it('keeps the other provider’s finished findings and reports the run incomplete', async () => {
    // Prepare: STS in the home region is down, so AWS cannot learn its own account.
    sim.setFaults({ downRegions: ['us-east-1'] });

    // Act
    const outcome = await runAuditJob(
      { providers: ['aws', 'gcp'], publish: false },
      deps({ aws: { maxAttempts: 1 }, gcp: { projects: ['certctl-prod'] } }),
    );

    // Assess
    expect(outcome.report.unplanned).toEqual([
      expect.objectContaining({ provider: 'aws', message: expect.stringContaining('GetCallerIdentity') }),
    ]);
    expect(outcome.report.findings.length).toBeGreaterThan(0);
    expect(outcome.report.findings.every((f) => f.resource.provider === 'gcp')).toBe(true);
    expect(outcome.exitCode).toBe(EXIT_CODES.incomplete);
    expect(outcome.metrics.AuditCompleted).toBe(0);
  });

  it('fails with the error itself when it was the only provider', async () => {
    // Prepare
    sim.setFaults({ downRegions: ['us-east-1'] });

    // Act
    const running = runAuditJob({ providers: ['aws'], publish: false }, deps({}));

    // Assess
    await expect(running).rejects.toThrow(/STS GetCallerIdentity failed in every region tried \(us-east-1: /);
  });
});

describe('a plan run in batches', () => {
  it('gives the same findings and scopes as one run when its scopes are run apart and merged', async () => {
    // Prepare
    const run = deps({ aws: { regions: ['eu-west-1', 'us-east-1'] }, gcp: { projects: ['certctl-prod'] } });
    const request = { providers: ['aws', 'gcp'] as const };
    const whole = await runAuditJob({ ...request, publish: false }, run);
    const plan = JSON.parse(JSON.stringify(await planAudit(request, run))) as Awaited<
      ReturnType<typeof planAudit>
    >;

    // Act: every scope in its own "process", each report through JSON as a Step Functions state would.
    const parts = await Promise.all(
      plan.scopes.map(async (scope) => JSON.parse(JSON.stringify(await runScopes([scope], run)))),
    );
    const merged = finishAudit(plan, parts, run.policy);

    // Assess
    const view = (findings: typeof merged.findings) =>
      findings.map(
        (f) => `${f.checkId} ${f.resource.provider} ${f.resource.region} ${f.resource.id} ${f.status}`,
      );
    expect(plan.scopes).toHaveLength(3);
    expect(view(merged.findings)).toEqual(view(whole.report.findings));
    expect(merged.scopes.map((s) => s.scope)).toEqual(whole.report.scopes.map((s) => s.scope));
    expect(merged.counts).toEqual(whole.report.counts);
  });
});

describe('a read replica or Aurora member named in the policy', () => {
  it('is reported as what it is and where it is judged, not as not found, and its source or cluster is judged', async () => {
    // Prepare: the policy names only databases that are judged at another resource, and one typo.
    const policy = {
      aws: { regions: ['eu-west-1', 'us-east-1'] },
      gcp: { projects: ['certctl-prod'] },
      targets: {
        tags: [],
        identifiers: [
          'certctl-prod-db-replica',
          'certctl-prod-aurora-1',
          'certctl-gcp-db-replica',
          'certctl-typo-db',
        ],
      },
    };

    // Act
    const { report } = await runAuditJob({ providers: ['aws', 'gcp'] }, deps(policy));

    // Assess
    const judged = new Set(report.findings.map((finding) => finding.resource.id));
    expect([...judged].sort()).toEqual(['certctl-gcp-db', 'certctl-prod-aurora', 'certctl-prod-db']);
    expect(report.targetsJudgedElsewhere).toEqual([
      { identifier: 'certctl-prod-db-replica', note: 'RDS read replica, judged at certctl-prod-db' },
      { identifier: 'certctl-prod-aurora-1', note: 'Aurora member, judged at certctl-prod-aurora' },
      { identifier: 'certctl-gcp-db-replica', note: 'Cloud SQL read replica, judged at certctl-gcp-db' },
    ]);
    expect(report.unmatchedTargets).toEqual(['certctl-typo-db']);
  });
});

describe('a database named in a GCP-only policy that no longer exists', () => {
  it('is reported not found by a GCP run, and the audit exits 2, also with the policy as deployed (JSON of the parsed policy)', async () => {
    // Prepare: no aws section; the Cloud Function audits GCP only.
    const input = {
      gcp: { projects: ['certctl-prod'] },
      targets: { tags: [], identifiers: ['certctl-gcp-db', 'certctl-gone-db'] },
    };
    const deployed = JSON.parse(JSON.stringify(parsePolicy(input)));

    // Act
    const fresh = await runAuditJob({ providers: ['gcp'] }, deps(input));
    const asDeployed = await runAuditJob({ providers: ['gcp'] }, deps(deployed));

    // Assess
    for (const outcome of [fresh, asDeployed]) {
      expect(outcome.report.unmatchedTargets).toEqual(['certctl-gone-db']);
      expect(outcome.exitCode).toBe(EXIT_CODES.incomplete);
    }
  });

  it('is not reported by a GCP run when the policy also configures AWS, where the name could be', async () => {
    const { report } = await runAuditJob(
      { providers: ['gcp'] },
      deps({
        aws: { regions: ['eu-west-1'] },
        gcp: { projects: ['certctl-prod'] },
        targets: { tags: [], identifiers: ['certctl-gcp-db', 'certctl-gone-db'] },
      }),
    );
    expect(report.unmatchedTargets).toEqual([]);
  });
});

describe('the outcome of a run whose findings did not all reach Security Hub', () => {
  /** A publication that reached Security Hub, with `failedByCode` findings refused. */
  const publicationWith = (failedByCode: Record<string, number>) => {
    const failed = Object.values(failedByCode).reduce((sum, count) => sum + count, 0);
    const counts = {
      created: 3,
      updated: 0,
      refreshed: 0,
      resolved: 0,
      archived: 0,
      retired: 0,
      keptAlive: 0,
    };
    return {
      counts: { ...counts, unchanged: 0, untouched: 0, failed },
      calls: { getFindings: 1, batchImport: 1, ledgerRead: 0, ledgerWrite: 0 },
      ledger: { used: 0, reconciled: 1, written: 0, problems: 0, adopted: 0, unrecorded: 0, redated: 0 },
      failedByCode,
      failures: [],
      unreadCount: 0,
      unread: [],
    };
  };
  it('records the run as not completed, whichever entry point renders it', async () => {
    // Prepare: a run that read and judged everything.
    const policy = { aws: { regions: ['us-east-1'] } };
    const { report } = await runAuditJob({ providers: ['aws'], publish: false }, deps(policy));
    const delivered = publicationWith({ InternalException: 2 });

    // Act
    const landed = auditOutcome(report, { ...delivered, status: 'published', failedCount: 0 });
    const partial = auditOutcome(report, { ...delivered, status: 'partial', failedCount: 2 });
    const failed = auditOutcome(report, {
      status: 'error',
      failedCount: report.findings.length,
      error: { code: 'CredentialsError', message: 'no credentials' },
    });

    // Assess
    expect(landed.metrics).toMatchObject({ AuditCompleted: 1, FindingsImportFailed: 0 });
    expect(partial.metrics).toMatchObject({ AuditCompleted: 0, FindingsImportFailed: 2 });
    expect(failed.metrics.AuditCompleted).toBe(0);
    expect([partial.exitCode, failed.exitCode]).toEqual([EXIT_CODES.incomplete, EXIT_CODES.incomplete]);
    // The verdict says what the exit code says: the audit's own words, then why it is incomplete.
    expect(landed.verdict).toBe('some checks failed');
    expect(partial.verdict).toBe(
      'the audit could not complete: 2 findings were not imported into Security Hub (Security Hub answered with a server error until the retries ran out: InternalException 2) (some checks failed)',
    );
    expect(failed.verdict).toBe(
      `the audit could not complete: ${report.findings.length} findings were not imported into Security Hub (publishing failed: no credentials, CredentialsError) (some checks failed)`,
    );
  });

  it('writes the exit code and verdict the run ends with into every report, not the audit alone', async () => {
    // Prepare: a run that read and judged everything, and a publication that lost two findings.
    const policy = { aws: { regions: ['us-east-1'] } };
    const { report } = await runAuditJob({ providers: ['aws'], publish: false }, deps(policy));
    const outcome = auditOutcome(report, {
      status: 'error',
      failedCount: 2,
      error: { code: 'CredentialsError', message: 'no credentials' },
    });

    // Act
    const json = JSON.parse(renderJson(outcome.report)) as { summary: { exitCode: number; verdict: string } };
    const texts = [renderMarkdown(outcome.report), renderHtml(outcome.report), renderConsole(outcome.report)];
    const csv = renderCsv(outcome.report);

    // Assess: each report says exit code 2 and why, as the process does.
    expect(outcome.verdict).toBe(
      'the audit could not complete: 2 findings were not imported into Security Hub (publishing failed: no credentials, CredentialsError) (some checks failed)',
    );
    expect(json.summary).toMatchObject({ exitCode: EXIT_CODES.incomplete, verdict: outcome.verdict });
    for (const text of texts) {
      expect(text).toContain('2 findings were not imported into Security Hub');
      expect(text).toContain('(exit code 2)');
    }
    expect(csv).toMatch(/\r\nNOT_AVAILABLE,[^\r]*2 findings were not imported into Security Hub/);
  });

  it('writes why the findings did not land into every report: the error, or the codes Security Hub refused them with', async () => {
    // Prepare: one publication that delivered nothing, one that Security Hub refused in part.
    const policy = { aws: { regions: ['us-east-1'] } };
    const { report } = await runAuditJob({ providers: ['aws'], publish: false }, deps(policy));
    const failed = auditOutcome(report, {
      status: 'error',
      failedCount: 2,
      error: { code: 'CredentialsError', message: 'STS refused arn:aws:iam::111111111111:role/import' },
    });
    const partial = auditOutcome(report, {
      ...publicationWith({ InvalidInput: 1, AccessDeniedException: 2 }),
      status: 'partial',
      failedCount: 3,
    });
    const rendered = (finished: AuditReport) =>
      [
        (JSON.parse(renderJson(finished)) as { summary: { verdict: string } }).summary.verdict,
        renderMarkdown(finished),
        renderHtml(finished),
        renderConsole(finished),
        renderCsv(finished),
      ].map((text) => text.replace(/\s+/g, ' ')); // the console wraps lines

    // Act / Assess: each report names the cause, as the run's error output does.
    for (const text of rendered(failed.report)) {
      expect(text).toContain(
        '2 findings were not imported into Security Hub (publishing failed: STS refused arn:aws:iam::111111111111:role/import, CredentialsError)',
      );
    }
    for (const text of rendered(partial.report)) {
      expect(text).toContain(
        '3 findings were not imported into Security Hub (Security Hub refused them: AccessDeniedException 2, InvalidInput 1)',
      );
    }
  });

  it('says Security Hub throttled or failed, not that it refused them, for findings that did not land for those reasons', () => {
    // Prepare: findings refused, throttled, failed on Security Hub's side, and counted but not named.
    const reason = notLandedReason({
      ...publicationWith({
        InvalidInput: 1,
        TooManyRequestsException: 2,
        ThrottlingException: 1,
        ServiceUnavailable: 1,
        InternalException: 3,
        UnnamedFailedFindings: 1,
      }),
      status: 'partial',
      failedCount: 9,
    });
    // Assess: before, 'Security Hub refused them: InternalException 3, TooManyRequestsException 2, …',
    // though a throttled call or a server error is no refusal.
    expect(reason).toBe(
      'Security Hub refused them: InvalidInput 1; Security Hub throttled the imports until the retries ran out: TooManyRequestsException 2, ThrottlingException 1; Security Hub answered with a server error until the retries ran out: InternalException 3, ServiceUnavailable 1; Security Hub counted failed findings it did not name, so whether these landed is unknown: UnnamedFailedFindings 1',
    );
  });

  it('still returns the finished report when publishing crashes, recording that nothing was imported', async () => {
    // Prepare: publishing that throws past its own error handling (here: its logger).
    const policy = { aws: { regions: ['us-east-1'] } };
    const logger = {
      ...recordingLogger(),
      error: () => {
        throw new Error('log sink gone');
      },
    };
    const publisher = {
      factory: () => {
        throw new Error('no factory');
      },
      accounts: [],
    };

    // Act
    const outcome = await runAuditJob(
      { providers: ['aws'], publish: true },
      { ...deps(policy), publisher, logger },
    );

    // Assess
    expect(outcome.publication).toMatchObject({ status: 'error', error: { message: 'log sink gone' } });
    expect(outcome.exitCode).toBe(EXIT_CODES.incomplete);
    expect(outcome.report.findings.length).toBeGreaterThan(0);
    expect(outcome.report.notImported).toBe(outcome.report.findings.length);
    expect(outcome.verdict).toContain('not imported into Security Hub (publishing failed: log sink gone');
  });
});

function pirtException(): PolicyInput {
  return {
    aws: { regions: ['us-east-1'] },
    exceptions: [
      {
        resource: 'certctl-staging-db',
        account: ACCOUNT,
        check: 'pirt.window',
        reason: 'staging keeps 7 days until the quarter ends',
        expires: EXPIRES,
      },
    ],
  };
}

describe('a policy exception naming a check its group does not have', () => {
  it('is refused before any call, naming the exception and the checks of its group, instead of never applying', async () => {
    // Prepare: `pitr.windw`, a typo of pitr.window; the failure it was meant to accept would stay
    // open with no word of why the exception did not apply.
    const policy: PolicyInput = {
      aws: { regions: ['us-east-1'] },
      exceptions: [
        {
          resource: `arn:aws:rds:us-east-1:${ACCOUNT}:db:certctl-staging-db`,
          check: 'pitr.windw',
          reason: 'staging keeps 7 days until the quarter ends',
          expires: EXPIRES,
        },
      ],
    };
    sim.resetStats();

    // Act
    const running = runAuditJob({ providers: ['aws'] }, deps(policy));

    // Assess
    await expect(running).rejects.toThrow(
      'policy exceptions.0.check: pitr.windw is no check of the pitr group, so the exception would never apply; did you mean pitr.window? Its checks are pitr.enabled, pitr.retention, pitr.window, pitr.lag, pitr.deletion-protection, pitr.cross-region',
    );
    expect(sim.stats().requests).toBe(0);
  });

  it('is refused before any call, naming the known groups, when its group is no group at all', async () => {
    // Prepare: `pirt.window`, a typo of the pitr group, on a plain id (an ARN of an RDS database
    // is refused by the policy itself: no pirt check judges one).
    sim.resetStats();

    // Act
    const running = runAuditJob({ providers: ['aws'] }, deps(pirtException()));

    // Assess
    await expect(running).rejects.toThrow(
      "policy exceptions.0.check: pirt.window names no check group ('pirt'), so the exception would never apply; did you mean pitr? The groups are pitr, dumps, keys",
    );
    expect(sim.stats().requests).toBe(0);
  });

  it('is left alone when its group is registered at run time, though this run does not judge it', async () => {
    // Prepare
    const unregister = registerCheckGroup(
      defineCheckGroup({ name: 'pirt', summary: 'a group registered at run time', checks: [] }),
    );

    // Act
    const running = runAuditJob({ providers: ['aws'], groups: ['pitr'] }, deps(pirtException()));

    // Assess
    try {
      await expect(running).resolves.toMatchObject({ report: { findings: expect.any(Array) } });
    } finally {
      unregister();
    }
  });

  it('is left to the run that has its group when this run does not (a function bundles its own groups)', async () => {
    // Prepare
    const policy: PolicyInput = {
      aws: { regions: ['us-east-1'] },
      exceptions: [
        {
          resource: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:certctl-ca`,
          check: 'keys.presnt',
          reason: 'the CA backup moves next quarter',
          expires: EXPIRES,
        },
      ],
    };

    // Act
    const outcome = await runAuditJob({ providers: ['aws'], groups: ['pitr'] }, deps(policy));

    // Assess
    expect(outcome.report.findings.length).toBeGreaterThan(0);
  });
});

describe('a policy exception naming a resource no finding of its check carries', () => {
  const typo: PolicyInput = {
    aws: { regions: ['us-east-1'] },
    exceptions: [
      {
        resource: 'certctl-ocps-db',
        account: ACCOUNT,
        check: 'pitr.lag',
        reason: 'the OCSP database lags during the migration',
        expires: EXPIRES,
      },
      {
        resource: FRAGILE_DB,
        account: ACCOUNT,
        check: 'pitr.lag',
        reason: 'the OCSP database lags during the migration',
        expires: EXPIRES,
      },
    ],
  };

  it('is reported in the report and the log, without failing the run, when the run covers everything', async () => {
    // Prepare
    const logger = recordingLogger();

    // Act
    const outcome = await runAuditJob({ providers: ['aws'], publish: false }, { ...deps(typo), logger });

    // Assess: only the typo is named; the exit code is what the findings say.
    const warning = `policy exceptions.0 ('certctl-ocps-db' in ${ACCOUNT}) for pitr.lag names no resource that check judged in this run, so it applies to nothing: check its resource (and account, region)`;
    expect(outcome.report.unusedExceptions).toEqual([warning]);
    const warned = logger.entries.filter((entry) => entry.level === 'warn');
    expect(warned.map((entry) => [entry.message, ...entry.attributes])).toEqual([
      ['policy exception applies to nothing', { warning }],
    ]);
    expect(outcome.exitCode).toBe(EXIT_CODES.failed);
    for (const text of [
      renderMarkdown(outcome.report),
      renderHtml(outcome.report),
      renderConsole(outcome.report),
    ]) {
      expect(text).toMatch(
        /Policy exceptions that apply to nothing[\s\S]*exceptions\.0 \((&#39;|')certctl-ocps-db/,
      );
    }
    expect(renderCsv(outcome.report)).toMatch(/\r\nWARNING,[^\r]*exceptions\.0/);
  });

  it('says nothing when the run was narrowed to some regions, where matching nothing is normal', async () => {
    // Act
    const outcome = await runAuditJob(
      { providers: ['aws'], regions: ['us-east-1'], publish: false },
      deps(typo),
    );

    // Assess
    expect(outcome.report.unusedExceptions).toBeUndefined();
    expect(renderConsole(outcome.report)).not.toContain('exceptions.0');
  });
});
