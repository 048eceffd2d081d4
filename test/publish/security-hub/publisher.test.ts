import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AuditedAccount, AwsClientFactory } from '../../../functions/aws/clients.ts';
import type { AuditReport, ScopeOutcome } from '../../../functions/core/audit.ts';
import type { Finding } from '../../../functions/core/finding.ts';
import type { StructuredLogger } from '../../../functions/core/logging.ts';
import type { Policy } from '../../../functions/core/policy.ts';
import { asffFindingId } from '../../../functions/publish/security-hub/asff.ts';
import {
  type PublishResult,
  publishToSecurityHub,
} from '../../../functions/publish/security-hub/publisher.ts';
import { recordingLogger } from '../../core/recording-logger.ts';
import { simCredentials } from '../../sim/accounts.ts';
import { type Sim, startSim } from '../../sim/server.ts';
import type { SimService } from '../../sim/service.ts';
import { SECURITY_HUB_SERVICE, type SecurityHubSim } from '../../sim/services/security-hub.ts';
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

const FOREIGN = '444444444444';
const DISABLED = '555555555555';
const ROLE = 'certctl-backup-guard-publish';
const DAY = 24 * 60 * 60 * 1000;
const T0 = new Date('2026-11-21T12:00:00.000Z');

const roleOf = (account: string): string => `arn:aws:iam::${account}:role/${ROLE}`;
const ACCOUNTS: readonly AuditedAccount[] = [
  { accountId: ACCOUNT_A },
  { accountId: ACCOUNT_B, roleArn: roleOf(ACCOUNT_B) },
  { accountId: CENTRAL, roleArn: roleOf(CENTRAL) },
  { accountId: DISABLED, roleArn: roleOf(DISABLED) },
];

/** The accounts (the publishing role where one is assumed), regions and Security Hub the tests publish into. */
const HUB_SCENARIO = {
  accounts: [
    { id: ACCOUNT_A },
    { id: ACCOUNT_B, assumableRoles: [{ name: ROLE }] },
    { id: CENTRAL, assumableRoles: [{ name: ROLE }] },
    { id: DISABLED, assumableRoles: [{ name: ROLE }] },
    { id: FOREIGN },
  ],
  regions: [{ name: 'eu-west-1' }, { name: 'us-east-1' }],
  services: { securityHub: { disabled: [{ account: DISABLED }] } },
};

describe('publishToSecurityHub against the simulated Security Hub', () => {
  let sim: Sim;
  let hub: SecurityHubSim;
  let factory: AwsClientFactory;
  let clock: Date;

  beforeEach(async () => {
    clock = T0;
    sim = await startSim({
      clock: () => clock,
      scenario: HUB_SCENARIO,
    });
    hub = sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE);
    factory = new AwsClientFactory({
      maxAttempts: 2,
      credentials: simCredentials(ACCOUNT_A),
      endpoint: sim.endpoint,
      stsRegion: 'eu-west-1',
    });
  });

  afterEach(async () => {
    factory.destroy();
    await sim.close();
  });

  function publish(
    audit: AuditReport,
    overrides: { policy?: Policy; accounts?: readonly AuditedAccount[]; logger?: StructuredLogger } = {},
  ) {
    return publishToSecurityHub({
      report: audit,
      policy: overrides.policy ?? policy(),
      factory,
      accounts: overrides.accounts ?? ACCOUNTS,
      now: () => clock,
      retry: { baseDelayMs: 1 },
      ...(overrides.logger ? { logger: overrides.logger } : {}),
    });
  }

  function stored(account: string, region: string, finding: Finding): AwsSecurityFinding | undefined {
    const id = asffFindingId(finding);
    return hub.findings(account, region).find((candidate) => candidate.Id === id);
  }

  function importCalls(region?: string) {
    return hub.calls.filter(
      (call) => call.operation === 'BatchImportFindings' && (region === undefined || call.region === region),
    );
  }

  const euWest = completeScope(ACCOUNT_A, 'eu-west-1');

  it('creates every finding in its own account through that account role on the first run', async () => {
    // Prepare
    const a1 = retentionFinding(rdsResource('db-1'));
    const a2 = retentionFinding(rdsResource('db-2'), { status: 'PASSED' });
    const b1 = retentionFinding(rdsResource('db-3', ACCOUNT_B));

    // Act
    const result = await publish(report([a1, a2, b1], [euWest, completeScope(ACCOUNT_B, 'eu-west-1')]));

    // Assess
    expect(result).toMatchObject({
      counts: { created: 3, updated: 0, refreshed: 0, resolved: 0, archived: 0, failed: 0 },
      calls: { getFindings: 2, batchImport: 2 },
      failed: [],
      exitCode: 0,
    });
    expect(stored(ACCOUNT_A, 'eu-west-1', a1)).toMatchObject({
      Compliance: { Status: 'FAILED' },
      RecordState: 'ACTIVE',
    });
    expect(stored(ACCOUNT_A, 'eu-west-1', a2)?.Compliance?.Status).toBe('PASSED');
    expect(stored(ACCOUNT_B, 'eu-west-1', b1)?.AwsAccountId).toBe(ACCOUNT_B);
    expect(
      importCalls()
        .map((call) => [call.callerAccount, call.ids.length])
        .sort(),
    ).toEqual([
      [ACCOUNT_A, 2],
      [ACCOUNT_B, 1],
    ]);
    expect(result.failed).toEqual([]);
  });

  it('lands a finding whose check observed an empty string when Security Hub refuses blank ProductFields values', async () => {
    // Prepare: pitr.cross-region observes replicatedTo '' for an instance with no replication; a
    // ProductFields value is a NonEmptyString (pattern .*\S.*) in the Security Hub model.
    const unreplicated = retentionFinding(rdsResource('db-unreplicated'), {
      observed: { crossRegionBackup: false, replicatedTo: '' },
    });

    // Act
    const result = await publish(report([unreplicated], [euWest]));

    // Assess
    expect(result.failed).toEqual([]);
    expect(result.counts.created).toBe(1);
    expect(stored(ACCOUNT_A, 'eu-west-1', unreplicated)?.ProductFields).toMatchObject({
      'observed/crossRegionBackup': 'false',
    });
  });

  it('imports only what is due for refresh when nothing changed', async () => {
    // Prepare: refreshes come due at a phase spread by finding Id, at the latest after refreshDays
    // (7); an hour is far too short for these two Ids' phases, a week is the latest any is due.
    const HOUR = DAY / 24;
    const steady = retentionFinding(rdsResource('db-steady'));
    const changing = retentionFinding(rdsResource('db-changing'));
    const changed = retentionFinding(rdsResource('db-changing'), { observed: { retentionDays: 14 } });
    await publish(report([steady, changing], [euWest]));
    clock = new Date(T0.getTime() + HOUR);
    const nextDay = await publish(report([steady, changing], [euWest]));
    clock = new Date(T0.getTime() + 7 * DAY);

    // Act
    const result = await publish(report([steady, changed], [euWest]));

    // Assess
    expect(nextDay.counts).toMatchObject({ created: 0, updated: 0, refreshed: 0, unchanged: 2 });
    expect(nextDay.calls.batchImport).toBe(0);
    expect(result.counts).toMatchObject({ refreshed: 1, updated: 1, unchanged: 0 });
    expect(result.findingsSent).toBe(2);
    expect(stored(ACCOUNT_A, 'eu-west-1', steady)).toMatchObject({
      UpdatedAt: clock.toISOString(),
      CreatedAt: T0.toISOString(),
    });
  });

  it('resolves a fixed resource as PASSED and Security Hub reopens it when it fails again', async () => {
    // Prepare
    const failing = retentionFinding(rdsResource('db-1'));
    const fixed = retentionFinding(rdsResource('db-1'), { status: 'PASSED' });
    await publish(report([failing], [euWest]));
    hub.setWorkflowStatus(ACCOUNT_A, 'eu-west-1', asffFindingId(failing), 'NOTIFIED');
    clock = new Date(T0.getTime() + DAY);
    const resolved = await publish(report([fixed], [euWest]));
    const afterFix = stored(ACCOUNT_A, 'eu-west-1', fixed);
    hub.setWorkflowStatus(ACCOUNT_A, 'eu-west-1', asffFindingId(failing), 'RESOLVED');
    clock = new Date(T0.getTime() + 2 * DAY);

    // Act
    const regressed = await publish(report([failing], [euWest]));

    // Assess
    expect(resolved.counts.resolved).toBe(1);
    expect(afterFix).toMatchObject({
      Compliance: { Status: 'PASSED' },
      Severity: { Label: 'INFORMATIONAL' },
    });
    expect(regressed.counts.updated).toBe(1);
    expect(stored(ACCOUNT_A, 'eu-west-1', failing)).toMatchObject({
      Compliance: { Status: 'FAILED' },
      Severity: { Label: 'HIGH' },
      Workflow: { Status: 'NEW' },
    });
  });

  it('settles a resolved finding: the next unchanged run sends nothing and Security Hub keeps no instruction to fix it', async () => {
    // Prepare: Security Hub applies an update to the fields it carries; a field the update leaves out
    // may stay as it was, so resolving must not rely on leaving the failing remediation out.
    const failing = retentionFinding(rdsResource('db-1'));
    const fixed = retentionFinding(rdsResource('db-1'), { status: 'PASSED' });
    await publish(report([failing], [euWest]));
    const failingText = stored(ACCOUNT_A, 'eu-west-1', failing)?.Remediation?.Recommendation?.Text;
    clock = new Date(T0.getTime() + DAY);
    const resolved = await publish(report([fixed], [euWest]));
    clock = new Date(T0.getTime() + DAY + DAY / 24);

    // Act
    const next = await publish(report([fixed], [euWest]));

    // Assess
    expect(resolved.counts.resolved).toBe(1);
    expect(next.counts).toMatchObject({ updated: 0, resolved: 0, refreshed: 0, unchanged: 1 });
    expect(next.calls.batchImport).toBe(0);
    const remediation = stored(ACCOUNT_A, 'eu-west-1', fixed)?.Remediation?.Recommendation;
    expect(failingText).toBeTruthy();
    expect(remediation?.Text).not.toBe(failingText);
    expect(remediation?.Text).toMatch(/^Nothing to fix/);
  });

  it('archives the finding of a deleted resource when its scope was fully evaluated', async () => {
    // Prepare
    const kept = retentionFinding(rdsResource('db-kept'));
    const deleted = retentionFinding(rdsResource('db-deleted'));
    await publish(report([kept, deleted], [euWest]));
    clock = new Date(T0.getTime() + DAY);

    // Act
    const result = await publish(report([kept], [euWest]));

    // Assess
    expect(result.counts).toMatchObject({ archived: 1, unchanged: 1 });
    expect(stored(ACCOUNT_A, 'eu-west-1', deleted)).toMatchObject({
      RecordState: 'ARCHIVED',
      UpdatedAt: clock.toISOString(),
    });
    expect(stored(ACCOUNT_A, 'eu-west-1', kept)?.RecordState).toBe('ACTIVE');
  });

  it('archives the last findings of a scope when no resource is left in it', async () => {
    // Prepare
    const only = retentionFinding(rdsResource('db-only', ACCOUNT_B));
    const elsewhere = retentionFinding(rdsResource('db-elsewhere', ACCOUNT_B, 'us-east-1'));
    const scopes = [completeScope(ACCOUNT_B, 'eu-west-1'), completeScope(ACCOUNT_B, 'us-east-1')];
    await publish(report([only, elsewhere], scopes));
    clock = new Date(T0.getTime() + DAY);

    // Act: the run still judges a database elsewhere (a run that judges none archives nothing).
    const result = await publish(report([elsewhere], scopes));

    // Assess
    expect(result.counts.archived).toBe(1);
    expect(stored(ACCOUNT_B, 'eu-west-1', only)?.RecordState).toBe('ARCHIVED');
  });

  it('keeps the findings of a region that was down untouched and reports the scope as NOT_AVAILABLE', async () => {
    // Prepare
    const west = retentionFinding(rdsResource('db-west'));
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    await publish(report([west, east], [euWest, completeScope(ACCOUNT_A, 'us-east-1')]));
    clock = new Date(T0.getTime() + 8 * DAY);
    const down = failedScope(ACCOUNT_A, 'us-east-1');

    // Act
    const result = await publish(report([west, scopeFinding(down)], [euWest, down]));

    // Assess
    expect(result.counts).toMatchObject({ refreshed: 1, created: 1, archived: 0, untouched: 1 });
    expect(stored(ACCOUNT_A, 'us-east-1', east)).toMatchObject({
      RecordState: 'ACTIVE',
      UpdatedAt: T0.toISOString(),
    });
    expect(stored(ACCOUNT_A, 'us-east-1', scopeFinding(down))?.Compliance?.Status).toBe('NOT_AVAILABLE');
  });

  it('keeps alive a FAILED finding of a region down for 80 days and leaves it alone at 5 days', async () => {
    // Prepare
    const west = retentionFinding(rdsResource('db-west'));
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    await publish(report([west, east], [euWest, completeScope(ACCOUNT_A, 'us-east-1')]));
    const down = failedScope(ACCOUNT_A, 'us-east-1');
    const failing = report([west, scopeFinding(down)], [euWest, down]);
    clock = new Date(T0.getTime() + 5 * DAY);
    const early = await publish(failing);
    clock = new Date(T0.getTime() + 80 * DAY);

    // Act
    const late = await publish(failing);

    // Assess
    expect(early.counts).toMatchObject({ keptAlive: 0, untouched: 1 });
    expect(late.counts).toMatchObject({ keptAlive: 1, untouched: 0, archived: 0, resolved: 0, failed: 0 });
    expect(stored(ACCOUNT_A, 'us-east-1', east)).toMatchObject({
      Compliance: { Status: 'FAILED' },
      RecordState: 'ACTIVE',
      Severity: { Label: 'HIGH' },
      CreatedAt: T0.toISOString(),
      UpdatedAt: clock.toISOString(),
      Workflow: { Status: 'NEW' },
      ProductFields: expect.objectContaining({ 'notEvaluated/since': T0.toISOString() }),
    });
    expect(stored(ACCOUNT_A, 'us-east-1', east)?.Description).toMatch(
      new RegExp(
        `^Not re-evaluated since ${T0.toISOString()}: scope aws/${ACCOUNT_A}/us-east-1/pitr could not be evaluated: region down`,
      ),
    );
  });

  it('publishes the rest of the run when one held finding cannot be kept alive within the ASFF limits, and reports it', async () => {
    // Prepare: us-east-1 holds two findings, one with 49 ProductFields of its own (Security Hub's
    // limit is 50); its scope then fails for 80 days while eu-west-1 gets a new finding.
    const crowded = retentionFinding(rdsResource('db-crowded', ACCOUNT_A, 'us-east-1'));
    const plain = retentionFinding(rdsResource('db-plain', ACCOUNT_A, 'us-east-1'));
    const east = completeScope(ACCOUNT_A, 'us-east-1');
    await publish(report([crowded, plain], [euWest, east]));
    const held = stored(ACCOUNT_A, 'us-east-1', crowded) as AwsSecurityFinding;
    const own = Object.keys(held.ProductFields ?? {}).filter((key) => !key.startsWith('aws/')).length;
    const extra = Object.fromEntries(
      Array.from({ length: 49 - own }, (_, index) => [`observed/extra${index}`, 'x']),
    );
    hub.addFinding(ACCOUNT_A, 'us-east-1', { ...held, ProductFields: { ...held.ProductFields, ...extra } });
    const down = failedScope(ACCOUNT_A, 'us-east-1');
    const fresh = retentionFinding(rdsResource('db-new'));
    clock = new Date(T0.getTime() + 80 * DAY);

    // Act
    const result = await publish(report([fresh, scopeFinding(down)], [euWest, down]));

    // Assess: everything else landed; the crowded finding is reported, not thrown.
    expect(stored(ACCOUNT_A, 'eu-west-1', fresh)?.Compliance?.Status).toBe('FAILED');
    expect(stored(ACCOUNT_A, 'us-east-1', plain)?.UpdatedAt).toBe(clock.toISOString());
    expect(result.counts).toMatchObject({ created: 2, keptAlive: 1, failed: 1 });
    expect(result.failed).toEqual([
      {
        id: asffFindingId(crowded),
        account: ACCOUNT_A,
        region: 'us-east-1',
        code: 'AsffValidationError',
        message: expect.stringMatching(/^not kept alive: .*ProductFields has 51 pairs, more than 50/),
        notSent: 'invalidCopy',
      },
    ]);
    expect(result.exitCode).toBe(2);
  });

  it('keeps alive the findings of an account whose regions could not be listed in the other regions the run knows', async () => {
    // Prepare: account A holds findings in both regions; then its region listing fails (scope `*`)
    // for 80 days while account B, listed, is audited in both regions.
    const west = retentionFinding(rdsResource('db-west'));
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    const bWest = retentionFinding(rdsResource('db-b', ACCOUNT_B));
    const bScopes = [completeScope(ACCOUNT_B, 'eu-west-1'), completeScope(ACCOUNT_B, 'us-east-1')];
    await publish(report([west, east, bWest], [euWest, completeScope(ACCOUNT_A, 'us-east-1'), ...bScopes]));
    const unlisted = failedScope(ACCOUNT_A, '*');
    clock = new Date(T0.getTime() + 80 * DAY);
    hub.resetCalls();

    // Act
    const result = await publish(report([bWest, scopeFinding(unlisted)], [unlisted, ...bScopes]));

    // Assess: both of A's findings kept alive, nothing archived.
    expect(result.counts).toMatchObject({ keptAlive: 2, archived: 0, resolved: 0, failed: 0 });
    for (const [region, finding] of [
      ['eu-west-1', west],
      ['us-east-1', east],
    ] as const) {
      expect(stored(ACCOUNT_A, region, finding)).toMatchObject({
        RecordState: 'ACTIVE',
        Compliance: { Status: 'FAILED' },
        UpdatedAt: clock.toISOString(),
        ProductFields: expect.objectContaining({ 'notEvaluated/since': T0.toISOString() }),
      });
    }
    // A's us-east-1 is read for the findings due for keep-alive only (no ledger store): those 30 days
    // old (one), and the passes an earlier version kept alive as PASSED (none).
    const eastReads = hub.calls.filter(
      (call) =>
        call.operation === 'GetFindings' && call.region === 'us-east-1' && call.callerAccount === ACCOUNT_A,
    );
    expect(eastReads.map((call) => call.findings)).toEqual([1, 0]);
  });

  it('reports a region read only to keep alive a failed account’s findings when it cannot be read', async () => {
    // Prepare: account A holds a finding in us-east-1; then its region listing fails (scope `*`) for
    // 80 days, so us-east-1 is read only for A's findings due for keep-alive, and that read fails.
    const west = retentionFinding(rdsResource('db-west'));
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    const bWest = retentionFinding(rdsResource('db-b', ACCOUNT_B));
    const bScopes = [completeScope(ACCOUNT_B, 'eu-west-1'), completeScope(ACCOUNT_B, 'us-east-1')];
    await publish(report([west, east, bWest], [euWest, completeScope(ACCOUNT_A, 'us-east-1'), ...bScopes]));
    const unlisted = failedScope(ACCOUNT_A, '*');
    clock = new Date(T0.getTime() + 80 * DAY);
    hub.injectReadFailure('UpdatedAt');

    // Act
    const result = await publish(report([bWest, scopeFinding(unlisted)], [unlisted, ...bScopes]));

    // Assess: east was not kept alive, and the publication says so instead of passing for complete.
    expect(stored(ACCOUNT_A, 'us-east-1', east)?.UpdatedAt).toBe(T0.toISOString());
    expect(result.failed).toEqual([
      {
        id: '*',
        account: ACCOUNT_A,
        region: 'us-east-1',
        code: 'ServiceUnavailableException',
        message: expect.stringMatching(
          /^the findings held here could not be read: none was archived or kept alive this run \(.+\); a later run tries again$/,
        ),
      },
    ]);
    // A region that could not be read is not a finding that failed.
    expect(result.counts).toMatchObject({ keptAlive: 1, failed: 0 });
    expect(result.exitCode).toBe(2);
  });

  it("archives the account's could-not-list-regions finding once its regions are listed, though one region keeps failing", async () => {
    // Prepare: A's region listing fails once; from then on it is listed, and us-east-1 fails every run.
    const unlisted = failedScope(ACCOUNT_A, '*');
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    await publish(report([east], [completeScope(ACCOUNT_A, 'us-east-1')]));
    await publish(report([scopeFinding(unlisted)], [unlisted]));
    const whole = hub
      .findings(ACCOUNT_A, 'eu-west-1')
      .concat(hub.findings(ACCOUNT_A, 'us-east-1'))
      .find((finding) => finding.Id === asffFindingId(scopeFinding(unlisted)));
    expect(whole?.RecordState).toBe('ACTIVE');
    const down = failedScope(ACCOUNT_A, 'us-east-1');
    clock = new Date(T0.getTime() + DAY);

    // Act
    await publish(report([scopeFinding(down)], [euWest, down]));

    // Assess: the listing, that finding's scope, worked: it is archived; us-east-1's own finding is
    // not resolved by a failed scope.
    const region = whole?.Region ?? '';
    expect(stored(ACCOUNT_A, region, scopeFinding(unlisted))?.RecordState).toBe('ARCHIVED');
    expect(stored(ACCOUNT_A, 'us-east-1', east)).toMatchObject({
      RecordState: 'ACTIVE',
      Compliance: { Status: 'FAILED' },
    });
  });

  it('keeps alive the finding of a dumps bucket in another region than its failed scope', async () => {
    // Prepare: the policy places the bucket in eu-west-1, S3 redirects to us-east-1; its finding
    // lands in its scope's region eu-west-1 (where the role may import), naming the bucket's region
    // us-east-1; then the dumps scope fails for 80 days.
    const audited = policy({ aws: { regions: ['eu-west-1', 'us-east-1'] } });
    const bucket = retentionFinding(
      {
        provider: 'aws',
        account: ACCOUNT_A,
        region: 'us-east-1',
        type: 'AwsS3Bucket',
        id: 'certctl-dumps/pg/',
        arn: 'arn:aws:s3:::certctl-dumps',
      },
      { checkId: 'dumps.fresh', group: 'dumps', scopeRegion: 'eu-west-1' },
    );
    await publish(report([bucket], [completeScope(ACCOUNT_A, 'eu-west-1', 'dumps')]), { policy: audited });
    const down = failedScope(ACCOUNT_A, 'eu-west-1', 'dumps');
    clock = new Date(T0.getTime() + 80 * DAY);

    // Act
    const result = await publish(report([{ ...scopeFinding(down), group: 'dumps' }], [down]), {
      policy: audited,
    });

    // Assess
    expect(result.counts).toMatchObject({ keptAlive: 1, archived: 0, resolved: 0, failed: 0 });
    expect(stored(ACCOUNT_A, 'eu-west-1', bucket)).toMatchObject({
      RecordState: 'ACTIVE',
      UpdatedAt: clock.toISOString(),
      Resources: [expect.objectContaining({ Region: 'us-east-1' })],
      ProductFields: expect.objectContaining({ 'notEvaluated/since': T0.toISOString() }),
    });
  });

  it('does not touch other regions when the run covered one region', async () => {
    // Prepare
    const west = retentionFinding(rdsResource('db-west'));
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    await publish(report([west, east], [euWest, completeScope(ACCOUNT_A, 'us-east-1')]));
    clock = new Date(T0.getTime() + 8 * DAY);
    hub.resetCalls();

    // Act
    const result = await publish(report([west], [euWest]));

    // Assess
    expect(result.counts).toMatchObject({ refreshed: 1, archived: 0 });
    expect(hub.calls.filter((call) => call.region === 'us-east-1')).toEqual([]);
    expect(stored(ACCOUNT_A, 'us-east-1', east)).toMatchObject({
      RecordState: 'ACTIVE',
      UpdatedAt: T0.toISOString(),
    });
  });

  it('retries findings Security Hub rejected and reports a persistent one without losing the rest', async () => {
    // Prepare
    const findings = ['db-1', 'db-2', 'db-flaky', 'db-broken', 'db-5'].map((name) =>
      retentionFinding(rdsResource(name)),
    );
    const flaky = findings[2] as Finding;
    const broken = findings[3] as Finding;
    hub.injectImportFailure(asffFindingId(flaky), { code: 'InternalException', times: 2 });
    hub.injectImportFailure(asffFindingId(broken), {
      code: 'InvalidAccess',
      message: 'integration disabled',
    });

    // Act
    const result = await publish(report(findings, [euWest]));

    // Assess
    expect(result.counts).toMatchObject({ created: 4, failed: 1 });
    expect(result.failed).toEqual([
      {
        id: asffFindingId(broken),
        account: ACCOUNT_A,
        region: 'eu-west-1',
        code: 'InvalidAccess',
        message: 'integration disabled',
      },
    ]);
    expect(result.exitCode).toBe(2);
    // The flaky finding is sent again until it lands; the InvalidAccess one only once.
    expect(importCalls().map((call) => call.ids)).toEqual([
      findings.map((finding) => asffFindingId(finding)),
      [asffFindingId(flaky)],
      [asffFindingId(flaky)],
    ]);
    expect(stored(ACCOUNT_A, 'eu-west-1', flaky)?.RecordState).toBe('ACTIVE');
    expect(stored(ACCOUNT_A, 'eu-west-1', broken)).toBeUndefined();
  });

  it('reports findings Security Hub rejects as InvalidInput or InvalidAccess after one call, each with its reason', async () => {
    // Prepare: two findings no retry can make acceptable, one rejected once for a transient reason.
    const findings = ['db-input', 'db-access', 'db-flaky', 'db-fine'].map((name) =>
      retentionFinding(rdsResource(name)),
    );
    const [input, access, flaky] = findings.map((finding) => asffFindingId(finding));
    hub.injectImportFailure(input as string, {
      code: 'InvalidInput',
      message: 'Finding does not adhere to ASFF',
    });
    hub.injectImportFailure(access as string, { code: 'InvalidAccess', message: 'integration disabled' });
    hub.injectImportFailure(flaky as string, { code: 'InternalException', times: 1 });

    // Act
    const result = await publish(report(findings, [euWest]));

    // Assess
    expect(importCalls().map((call) => call.ids)).toEqual([
      findings.map((finding) => asffFindingId(finding)),
      [flaky],
    ]);
    expect(result.counts).toMatchObject({ created: 2, failed: 2 });
    expect(result.failed).toEqual([
      {
        id: input,
        account: ACCOUNT_A,
        region: 'eu-west-1',
        code: 'InvalidInput',
        message: 'Finding does not adhere to ASFF',
      },
      {
        id: access,
        account: ACCOUNT_A,
        region: 'eu-west-1',
        code: 'InvalidAccess',
        message: 'integration disabled',
      },
    ]);
    expect(result.exitCode).toBe(2);
  });

  it("reads only this product's findings of the audited account and generator, leaving the others in the hub alone", async () => {
    // Prepare: db-1 published; then the hub also shows another product's finding, another
    // generator's in this product, and a member account's (as its administrator account sees it).
    const kept = retentionFinding(rdsResource('db-kept'));
    const mine = retentionFinding(rdsResource('db-1'));
    await publish(report([kept, mine], [euWest]));
    const own = stored(ACCOUNT_A, 'eu-west-1', mine) as AwsSecurityFinding;
    const others: AwsSecurityFinding[] = [
      {
        ...own,
        Id: 'other-product/pitr.retention/db-1',
        ProductArn: `arn:aws:securityhub:eu-west-1:${ACCOUNT_A}:product/${FOREIGN}/default`,
      },
      { ...own, Id: 'another-tool/pitr.retention/db-1', GeneratorId: 'another-tool/pitr.retention' },
      { ...own, Id: `${own.Id}/member`, AwsAccountId: ACCOUNT_B },
    ];
    for (const other of others) hub.addFinding(ACCOUNT_A, 'eu-west-1', other);
    clock = new Date(T0.getTime() + DAY);
    hub.resetCalls();

    // Act: db-1 is gone from a fully evaluated scope.
    const result = await publish(report([kept], [euWest]));

    // Assess
    expect(result.counts).toEqual({
      created: 0,
      updated: 0,
      refreshed: 0,
      resolved: 0,
      archived: 1,
      retired: 0,
      keptAlive: 0,
      unchanged: 1,
      untouched: 0,
      failed: 0,
    });
    expect(importCalls().flatMap((call) => call.ids)).toEqual([own.Id]);
    expect(stored(ACCOUNT_A, 'eu-west-1', mine)?.RecordState).toBe('ARCHIVED');
    const held = hub.findings(ACCOUNT_A, 'eu-west-1');
    for (const other of others) {
      expect(held.find((f) => f.Id === other.Id && f.ProductArn === other.ProductArn)).toEqual(other);
    }
  });

  it('keeps reporting a call Security Hub refused for good while it retries a rejected finding of another call', async () => {
    // Prepare: 150 findings of one destination go in two calls; Security Hub refuses the whole first
    // call (InvalidInputException, not retried) and rejects one finding of the second once.
    const findings = Array.from({ length: 150 }, (_, index) => retentionFinding(rdsResource(`db-${index}`)));
    const ids = findings.map((finding) => asffFindingId(finding));
    hub.injectCallFailure(ids[0] as string);
    hub.injectImportFailure(ids[149] as string, { times: 1 });

    // Act
    const result = await publish(report(findings, [euWest]));

    // Assess
    const calls = importCalls().map((call) => call.ids);
    expect(calls).toHaveLength(3);
    expect(calls[0]).toContain(ids[0]);
    expect(calls[1]).toContain(ids[149]);
    expect(calls[2]).toEqual([ids[149]]);
    expect(result.counts).toMatchObject({ created: 50, failed: 100 });
    expect(result.failed.map((failure) => failure.id).sort()).toEqual([...(calls[0] ?? [])].sort());
    expect(new Set(result.failed.map((failure) => failure.code))).toEqual(new Set(['InvalidInputException']));
    expect(result.exitCode).not.toBe(0);
  });

  it('takes 3 import calls for 250 findings and reads them back in 3 pages', async () => {
    // Prepare
    const findings = Array.from({ length: 250 }, (_, index) => retentionFinding(rdsResource(`db-${index}`)));

    // Act
    const first = await publish(report(findings, [euWest]));
    clock = new Date(T0.getTime() + 60_000);
    const second = await publish(report(findings, [euWest]));

    // Assess
    expect(first.calls.batchImport).toBe(3);
    expect(first.counts.created).toBe(250);
    expect(importCalls().map((call) => call.ids.length)).toEqual([100, 100, 50]);
    expect(second.calls).toEqual({ getFindings: 3, batchImport: 0, ledgerRead: 0, ledgerWrite: 0 });
    expect(second.counts.unchanged).toBe(250);
  });

  it('splits 100 large findings over calls of at most 6 MB when their sizes add up to more', async () => {
    // Prepare: each finding near 90 KB (40 observations of 2,000 characters), 100 of them about 9 MB.
    const observed = Object.fromEntries(
      Array.from({ length: 40 }, (_, key) => [`note${key}`, 'x'.repeat(2000)]),
    );
    const findings = Array.from({ length: 100 }, (_, index) => ({
      ...retentionFinding(rdsResource(`db-${index}`)),
      observed,
    }));

    // Act
    const result = await publish(report(findings, [euWest]));

    // Assess: every finding landed, in calls Security Hub accepts.
    expect(result.failed).toEqual([]);
    expect(result.counts.created).toBe(100);
    const calls = importCalls();
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls.every((call) => call.status === 200)).toBe(true);
    expect(calls.reduce((sum, call) => sum + call.ids.length, 0)).toBe(100);
  });

  it('never imports a foreign account finding from another account', async () => {
    // Prepare
    const own = retentionFinding(rdsResource('db-own'));
    const foreign = retentionFinding(rdsResource('db-foreign', FOREIGN));

    // Act
    const result = await publish(report([own, foreign], [euWest, completeScope(FOREIGN, 'eu-west-1')]));

    // Assess
    expect(result.failed).toEqual([
      expect.objectContaining({ id: asffFindingId(foreign), account: FOREIGN, code: 'NoPublishingRole' }),
    ]);
    expect(result.counts.created).toBe(1);
    const sentIds = importCalls().flatMap((call) => call.ids);
    expect(sentIds).not.toContain(asffFindingId(foreign));
    for (const { account, finding } of hub.allFindings()) expect(finding.AwsAccountId).toBe(account);
    expect(hub.calls.every((call) => call.callerAccount !== FOREIGN)).toBe(true);
  });

  it('does not retry an import Security Hub refuses with AccessDeniedException when the role is in the wrong account', async () => {
    // Prepare: ACCOUNT_B's publishing role is (wrongly) one in CENTRAL, so the call comes from
    // CENTRAL with findings for ACCOUNT_B and Security Hub refuses the whole call with 403.
    const misplaced = retentionFinding(rdsResource('db-misplaced', ACCOUNT_B));
    const accounts: AuditedAccount[] = [
      { accountId: ACCOUNT_A },
      { accountId: ACCOUNT_B, roleArn: roleOf(CENTRAL) },
    ];

    // Act
    const result = await publish(report([misplaced], [completeScope(ACCOUNT_B, 'eu-west-1')]), { accounts });

    // Assess
    expect(result.failed).toEqual([
      expect.objectContaining({
        id: asffFindingId(misplaced),
        account: ACCOUNT_B,
        code: 'AccessDeniedException',
      }),
    ]);
    expect(importCalls().map((call) => [call.callerAccount, call.status])).toEqual([[CENTRAL, 403]]);
  });

  it('imports GCP findings into the central account through its role', async () => {
    // Prepare
    const sql = retentionFinding(cloudSqlResource('sql-1'));

    // Act
    const result = await publish(report([sql], [gcpScope('certctl-prod', 'europe-west1')]));

    // Assess
    expect(result.counts.created).toBe(1);
    expect(stored(CENTRAL, 'eu-west-1', sql)).toMatchObject({
      AwsAccountId: CENTRAL,
      Resources: [
        {
          Type: 'Other',
          Details: { Other: { 'gcp/project': 'certctl-prod', 'gcp/region': 'europe-west1' } },
        },
      ],
    });
  });

  it('fails only the findings of an account whose Security Hub is not enabled', async () => {
    // Prepare
    const own = retentionFinding(rdsResource('db-own'));
    const off = retentionFinding(rdsResource('db-off', DISABLED));

    // Act
    const result = await publish(report([own, off], [euWest, completeScope(DISABLED, 'eu-west-1')]));

    // Assess
    expect(result.counts.created).toBe(1);
    expect(result.failed).toEqual([
      expect.objectContaining({ id: asffFindingId(off), account: DISABLED, code: 'InvalidAccessException' }),
    ]);
    expect(result.exitCode).toBe(2);
  });

  it('lands every finding when Security Hub throttles, through the client factory retry', async () => {
    // Prepare
    factory.destroy();
    factory = new AwsClientFactory({
      maxAttempts: 8,
      credentials: simCredentials(ACCOUNT_A),
      endpoint: sim.endpoint,
      stsRegion: 'eu-west-1',
    });
    sim.setFaults({ throttleRate: 0.25, services: [SECURITY_HUB_SERVICE] });
    const findings = Array.from({ length: 150 }, (_, index) => retentionFinding(rdsResource(`db-${index}`)));

    // Act
    const result = await publish(report(findings, [euWest]));

    // Assess
    expect(result.counts.created).toBe(150);
    expect(result.failed).toEqual([]);
    expect(result.calls.batchImport).toBe(2);
    expect(sim.stats().faults.throttled).toBeGreaterThan(0);
    expect(hub.findings(ACCOUNT_A, 'eu-west-1')).toHaveLength(150);
  });

  it('fails the findings of a Security Hub region that is down while other regions land', async () => {
    // Prepare
    sim.setFaults({ downRegions: ['us-east-1'], services: [SECURITY_HUB_SERVICE] });
    const west = retentionFinding(rdsResource('db-west'));
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    const scopes: ScopeOutcome[] = [euWest, completeScope(ACCOUNT_A, 'us-east-1')];

    // Act
    const result: PublishResult = await publish(report([west, east], scopes));

    // Assess
    expect(result.counts.created).toBe(1);
    expect(result.failed).toEqual([
      expect.objectContaining({ id: asffFindingId(east), region: 'us-east-1' }),
    ]);
    expect(stored(ACCOUNT_A, 'eu-west-1', west)).toBeDefined();
  });

  it('logs the region it could not read and a summary, and says why nothing was sent there', async () => {
    // Prepare
    sim.setFaults({ downRegions: ['us-east-1'], services: [SECURITY_HUB_SERVICE] });
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    const logger = recordingLogger();

    // Act
    const result = await publish(report([east], [completeScope(ACCOUNT_A, 'us-east-1')]), { logger });

    // Assess
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]?.message).toMatch(/^current findings could not be read, nothing was sent: .+/);
    expect(result.failed[0]?.notSent).toBe('unread');
    expect(logger.entries[0]).toEqual({
      level: 'error',
      message: 'cannot read current Security Hub findings',
      attributes: [
        {
          account: ACCOUNT_A,
          region: 'us-east-1',
          error: { code: result.failed[0]?.code, message: expect.any(String) },
        },
      ],
    });
    expect(logger.entries.at(-1)).toEqual({
      level: 'info',
      message: 'published to Security Hub',
      attributes: [
        {
          counts: result.counts,
          calls: result.calls,
          findingsSent: 0,
          ledger: result.ledger,
        },
      ],
    });
  });

  it('reports a region whose held findings could not be read even when nothing was to be sent there', async () => {
    // Prepare: db-east is published, then deleted: its complete scope has nothing left to report,
    // so the run has only its finding to archive, and Security Hub cannot be read there.
    const west = retentionFinding(rdsResource('db-west'));
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    const scopes: ScopeOutcome[] = [euWest, completeScope(ACCOUNT_A, 'us-east-1')];
    await publish(report([west, east], scopes));
    clock = new Date(T0.getTime() + DAY);
    sim.setFaults({ downRegions: ['us-east-1'], services: [SECURITY_HUB_SERVICE] });

    // Act
    const result = await publish(report([west], scopes));

    // Assess: db-east's finding was not archived, and the run says so instead of passing for complete.
    expect(stored(ACCOUNT_A, 'us-east-1', east)?.RecordState).toBe('ACTIVE');
    expect(result.exitCode).toBe(2);
    expect(result.failed).toEqual([
      {
        id: '*',
        account: ACCOUNT_A,
        region: 'us-east-1',
        code: expect.any(String),
        message: expect.stringMatching(
          /^the findings held here could not be read: none was archived or kept alive this run \(.+\); a later run tries again$/,
        ),
      },
    ]);
    // Reported, but not as a finding that failed: every finding planned landed.
    expect(result.counts.failed).toBe(0);
  });

  it('reports nothing for a region without planned imports where Security Hub is not enabled', async () => {
    // Prepare: the disabled account was audited (a complete scope, no database left): it holds nothing.
    const own = retentionFinding(rdsResource('db-own'));

    // Act
    const result = await publish(report([own], [euWest, completeScope(DISABLED, 'eu-west-1')]));

    // Assess
    expect(result.failed).toEqual([]);
    expect(result.exitCode).toBe(0);
  });

  it('says which account lacks a publishing role and how to add it', async () => {
    const foreign = retentionFinding(rdsResource('db-foreign', FOREIGN));
    const result = await publish(report([foreign], [completeScope(FOREIGN, 'eu-west-1')]));
    expect(result.failed).toEqual([
      {
        id: asffFindingId(foreign),
        account: FOREIGN,
        region: 'eu-west-1',
        code: 'NoPublishingRole',
        message: `account ${FOREIGN} is not among the publishing accounts; add it (with its role) to aws.accounts`,
        notSent: 'noPublishingRole',
      },
    ]);
    // Nor does it read that account's findings: it has no credentials for it.
    expect(result.calls).toEqual({ getFindings: 0, batchImport: 0, ledgerRead: 0, ledgerWrite: 0 });
  });

  it('publishes with the default retry settings when none are given', async () => {
    const own = retentionFinding(rdsResource('db-own'));
    const result = await publishToSecurityHub({
      report: report([own], [euWest]),
      policy: policy(),
      factory,
      accounts: ACCOUNTS,
      now: () => clock,
    });
    expect(result.counts.created).toBe(1);
    expect(result.failed).toEqual([]);
  });

  it("publishes with the caller's own credentials when the policy lists no accounts", async () => {
    // Prepare
    const own = retentionFinding(rdsResource('db-own'));

    // Act
    const result = await publish(report([own], [euWest]), { accounts: [] });

    // Assess
    expect(result.counts.created).toBe(1);
    expect(stored(ACCOUNT_A, 'eu-west-1', own)).toBeDefined();
  });

  it('publishes into the central account with its own credentials when it is not listed', async () => {
    // Prepare: the caller is the central account itself, which the accounts list leaves out.
    factory.destroy();
    factory = new AwsClientFactory({
      maxAttempts: 2,
      credentials: simCredentials(CENTRAL),
      endpoint: sim.endpoint,
      stsRegion: 'eu-west-1',
    });
    const sql = retentionFinding(cloudSqlResource('sql-1'));

    // Act
    const result = await publish(report([sql], [gcpScope('certctl-prod', 'europe-west1')]), {
      accounts: [{ accountId: ACCOUNT_A }],
    });

    // Assess
    expect(result.failed).toEqual([]);
    expect(stored(CENTRAL, 'eu-west-1', sql)).toBeDefined();
  });
});

describe('publishToSecurityHub when GetFindings names a page it already sent', () => {
  it('fails the destination read, archiving nothing, instead of reading the same page until the function times out', async () => {
    // Prepare: once `repeat` is on, every GetFindings answer names the same next page (and a
    // request with it is answered from the start again), for the first 20 answers.
    let repeat = false;
    let repeated = 0;
    let inner: SimService | undefined;
    const repeating: SimService = {
      name: 'repeating-next-token',
      matches: (request) =>
        repeat && repeated < 20 && request.method === 'POST' && request.path === '/findings',
      async handle(request, context) {
        repeated += 1;
        const { NextToken: _asked, ...asked } = JSON.parse(request.body.toString('utf8')) as Record<
          string,
          unknown
        >;
        const answer = await (inner as SimService).handle(
          { ...request, body: Buffer.from(JSON.stringify(asked)) },
          context,
        );
        const body = JSON.parse(String(answer.body)) as Record<string, unknown>;
        return { ...answer, body: JSON.stringify({ ...body, NextToken: 'page-2' }) };
      },
      throttled: () => ({ status: 500, body: '' }),
      serverError: () => ({ status: 500, body: '' }),
    };
    let clock = T0;
    const sim = await startSim({
      clock: () => clock,
      scenario: HUB_SCENARIO,
      extraServices: [repeating],
    });
    inner = sim.service(SECURITY_HUB_SERVICE);
    const hub = sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE);
    const factory = new AwsClientFactory({
      maxAttempts: 1,
      credentials: simCredentials(ACCOUNT_A),
      endpoint: sim.endpoint,
      stsRegion: 'eu-west-1',
    });
    const publish = (findings: Finding[]) =>
      publishToSecurityHub({
        report: report(findings, [completeScope(ACCOUNT_A, 'eu-west-1')]),
        policy: policy(),
        factory,
        accounts: ACCOUNTS,
        now: () => clock,
        retry: { baseDelayMs: 1 },
      });
    try {
      const kept = retentionFinding(rdsResource('db-kept'));
      const deleted = retentionFinding(rdsResource('db-deleted'));
      await publish([kept, deleted]);
      clock = new Date(T0.getTime() + DAY);
      repeat = true;

      // Act
      const result = await publish([kept]);

      // Assess: the held findings were not read whole, so the deleted database's finding stays.
      expect(result.counts.archived).toBe(0);
      const held = hub
        .findings(ACCOUNT_A, 'eu-west-1')
        .find((finding) => finding.Id === asffFindingId(deleted));
      expect(held?.RecordState).toBe('ACTIVE');
      expect(JSON.stringify(result)).toContain('RepeatedNextToken');
    } finally {
      factory.destroy();
      await sim.close();
    }
  });
});
