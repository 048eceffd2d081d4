/**
 * Readiness draws its gates from the check-group registry, so a group counts as soon as it is
 * registered and the run gives it something to audit; the catalog's groups that are not installed,
 * and installed groups the run plans nothing for, are listed as such and never make a GO. Runs the
 * real job against the simulator with throwaway groups (test/jobs/throwaway-group/group.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readinessAnswer } from '../../functions/chatops/answers.ts';
import { CHAT_HELP } from '../../functions/chatops/grammar.ts';
import { jobChatActions } from '../../functions/chatops/job-actions.ts';
import { readinessCommand } from '../../functions/cli/commands/readiness.ts';
import type { Check } from '../../functions/core/check.ts';
import { PolicyError } from '../../functions/core/errors.ts';
import { CHECK_GROUPS, type ResourceRef } from '../../functions/core/finding.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { checkGroups, defineCheckGroup, registerCheckGroup } from '../../functions/jobs/groups.ts';
import { type ReadinessResult, renderReadiness, runReadinessJob } from '../../functions/jobs/readiness.ts';
import { runSnapshotJob } from '../../functions/jobs/snapshot.ts';
import {
  daysFromToday,
  fastPolicy,
  type SnapshotHarness,
  snapshotScenario,
  startSnapshotHarness,
} from '../integration/snapshot-support.ts';
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

/** The chat answer to `readiness` over `result`, its Slack blocks as text. */
async function chatAnswer(result: ReadinessResult): Promise<string> {
  const unused = async () => {
    throw new Error('not part of a readiness answer');
  };
  const actions = jobChatActions({
    readiness: async () => result,
    snapshotOnce: unused,
    latestSnapshots: unused,
    lastAudit: unused,
  });
  return JSON.stringify(readinessAnswer(await actions.readiness([])).blocks);
}

/** A group whose facts are one secret per region and whose one check passes when it exists. */
function secretsGroup(
  name: string,
  options: { failIn?: string | readonly string[]; awsCollector?: boolean; offCheck?: boolean } = {},
) {
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
    if ([options.failIn ?? []].flat().includes(region))
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
  // A check the policy turns off (enabledBy false), naming no setting: it never runs.
  const off: Check<{ resource: ResourceRef; present: boolean }> = {
    metadata: { ...check.metadata, id: `${name}.sealed`, title: 'The secret is sealed' },
    enabledBy: () => false,
    evaluate: () => undefined,
  };
  return defineCheckGroup({
    name,
    summary: 'a test group of secrets',
    checks: options.offCheck ? [check, off] : [check],
    collect: options.awsCollector === false ? { gcp: async () => [] } : { aws: collect },
  });
}

describe('readiness gates from the check-group registry', () => {
  it('lists a catalog group this version does not install as not installed, outside the verdict', async () => {
    // Prepare: the catalog names `keys`; this version has no such group yet.
    const installed = checkGroups().map((group) => group.name);

    // Act
    const result = await readinessAfterSnapshot();

    // Assess
    const coverage = Object.fromEntries(result.gates.map((gate) => [gate.gate, gate.coverage]));
    expect(coverage['audit:pitr']).toBe('evaluated');
    expect(coverage.snapshot).toBe('evaluated');
    for (const name of CHECK_GROUPS.filter((group) => !installed.includes(group))) {
      expect([name, coverage[`audit:${name}`]]).toEqual([name, 'not-installed']);
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

  it('answers NO-GO (exit 1) when a gate failed while another could not be evaluated, as readiness --help says', async () => {
    // Prepare: a group that cannot read us-east-1, and no snapshot, so the snapshot gate fails.
    unregister.push(registerCheckGroup(secretsGroup('vault', { failIn: 'us-east-1' })));

    // Act
    const result = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(policy()));

    // Assess: a proven NO-GO is the answer whatever else is unknown; the help's exit codes say so.
    expect(result.verdict).toBe('NO-GO');
    expect(result.exitCode).toBe(1);
    expect(result.notEvaluated).not.toEqual([]);
    const help = (readinessCommand.details ?? '').replace(/\s+/g, ' ');
    expect(help).toContain(
      '1 NO-GO: a gate failed (a check FAILED, or no fresh snapshot with a usable key), even beside gates that could not be evaluated',
    );
    expect(help).toContain('2 could not evaluate, and no gate failed:');
  });

  it('answers NO-GO when a named database is not judged beside one that fails, as the chat help says', async () => {
    // Prepare: no snapshot, so certctl-prod-db fails its snapshot gate; the other name matches nothing.
    const request = { providers: ['aws'] as const, targets: ['certctl-prod-db', 'certctl-nowhere-db'] };

    // Act
    const result = await runReadinessJob(request, harness.readinessDeps(policy()));

    // Assess: the name not judged keeps the answer from GO; it does not turn a NO-GO into unknown.
    expect(result.verdict).toBe('NO-GO');
    expect(result.notEvaluated.join(' ')).toContain('certctl-nowhere-db');
    expect(CHAT_HELP.readiness).toContain('one it does not select keeps the answer from GO');
    expect(CHAT_HELP.readiness).not.toMatch(/one it does not select makes the answer COULD NOT EVALUATE/);
  });

  it("never reads GO on a database's line while a fleet-wide group could not read a region, and says what it waits on", async () => {
    // Prepare: the secret in eu-west-1 passes; us-east-1, where another may be missing, is not read.
    unregister.push(registerCheckGroup(secretsGroup('vault', { failIn: 'us-east-1' })));

    // Act
    const result = await readinessAfterSnapshot();

    // Assess: the database's own line waits on the region not read, in every rendering.
    const [target] = result.targets;
    expect(target?.status).toBe('UNKNOWN');
    const gate = target?.gates.find((entry) => entry.gate === 'audit:vault');
    expect(gate?.status).toBe('UNKNOWN');
    expect(gate?.evidence).toMatch(
      /^not evaluated over the whole run, which every database's GO rests on: aws\/111111111111\/us-east-1\/vault not read \(.*Secrets Manager unreachable.*\); what it read: vault\.present PASSED on certctl\/ca-key-eu-west-1/,
    );
    expect(gate?.action).toMatch(/then run readiness again/);
    expect(renderReadiness(result)).toContain('  UNKNOWN aws/111111111111/eu-west-1/certctl-prod-db');
    expect(renderReadiness(result)).toContain('    UNKNOWN audit:vault: not evaluated over the whole run');
    expect(JSON.parse(JSON.stringify(result)).targets[0].status).toBe('UNKNOWN');
    const chat = await chatAnswer(result);
    expect(chat).toContain('*certctl-prod-db* (aws/111111111111/eu-west-1): COULD NOT EVALUATE');
    expect(chat).toContain('COULD NOT EVALUATE `audit:vault`: not evaluated over the whole run');
  });

  it("never reads GO on a database's line when a fleet-wide group read none of its scopes", async () => {
    // Prepare: every region of the group fails, so it has no finding at all to gate the database on.
    unregister.push(registerCheckGroup(secretsGroup('vault', { failIn: ['eu-west-1', 'us-east-1'] })));

    // Act
    const result = await readinessAfterSnapshot();

    // Assess
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.targets.map((target) => target.status)).toEqual(['UNKNOWN']);
    const gate = result.targets[0]?.gates.find((entry) => entry.gate === 'audit:vault');
    expect(gate).toMatchObject({ status: 'UNKNOWN' });
    expect(gate?.evidence).toMatch(
      /aws\/111111111111\/eu-west-1\/vault not read.*aws\/111111111111\/us-east-1\/vault not read/,
    );
    expect(gate?.evidence).not.toContain('what it read');
  });

  it("never reads GO on a database's line while a per-database group could not read the database's own region", async () => {
    // Prepare: a second group of database checks, which cannot read eu-west-1, where certctl-prod-db is.
    const check: Check<{ resource: ResourceRef }> = {
      metadata: {
        id: 'replicas.in-sync',
        group: 'replicas',
        title: 'The replica is in sync',
        failedTitle: 'The replica is behind',
        severity: 'HIGH',
        rationale: 'A test group.',
        remediation: { text: 'Resync the replica.', url: 'https://example.com/replica' },
        resourceTypes: ['AwsRdsDbInstance'],
      },
      evaluate: () => ({ status: 'PASSED', description: 'in sync', observed: {}, required: {} }),
    };
    unregister.push(
      registerCheckGroup(
        defineCheckGroup({
          name: 'replicas',
          summary: 'a test group of database checks',
          checks: [check],
          collect: {
            aws: async ({ region }) => {
              if (region === 'eu-west-1')
                throw Object.assign(new Error('RDS unreachable'), { name: 'TimeoutError' });
              return [];
            },
          },
        }),
      ),
    );

    // Act
    const result = await readinessAfterSnapshot();

    // Assess
    const [target] = result.targets;
    expect(target?.target.region).toBe('eu-west-1');
    expect(target?.status).toBe('UNKNOWN');
    const gate = target?.gates.find((entry) => entry.gate === 'audit:replicas');
    expect(gate).toEqual({
      gate: 'audit:replicas',
      status: 'UNKNOWN',
      evidence:
        'not evaluated for this database: aws/111111111111/eu-west-1/replicas not read (RDS unreachable)',
      action:
        'Fix what kept the scope from being read (permissions, an unreachable region), then run readiness again.',
    });
  });

  it("never reads GO on a database's line when a check of its group could not be switched on where the database is", async () => {
    // Prepare: the database as the audit sees it, then a second group of database checks over it,
    // one of which cannot tell whether the policy turns it on (its scope fails; the other is judged).
    const database = (await readinessAfterSnapshot()).targets[0]?.target as ResourceRef;
    const checkOf = (id: string, enabledBy?: () => boolean): Check<{ resource: ResourceRef }> => ({
      metadata: {
        id,
        group: 'replicas',
        title: 'The replica is in sync',
        failedTitle: 'The replica is behind',
        severity: 'HIGH',
        rationale: 'A test group.',
        remediation: { text: 'Resync the replica.', url: 'https://example.com/replica' },
        resourceTypes: ['AwsRdsDbInstance'],
      },
      ...(enabledBy ? { enabledBy } : {}),
      evaluate: () => ({ status: 'PASSED', description: 'in sync', observed: {}, required: {} }),
    });
    unregister.push(
      registerCheckGroup(
        defineCheckGroup({
          name: 'replicas',
          summary: 'a test group of database checks',
          checks: [
            checkOf('replicas.in-sync'),
            checkOf('replicas.lag', () => {
              throw new TypeError('switch broken');
            }),
          ],
          collect: {
            aws: async ({ region }) => (region === database.region ? [{ resource: database }] : []),
          },
        }),
      ),
    );

    // Act
    const result = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(policy()));

    // Assess: the check judged passed, the one not switched on keeps the line from GO.
    const [target] = result.targets;
    expect(target?.status).toBe('UNKNOWN');
    const gate = target?.gates.find((entry) => entry.gate === 'audit:replicas');
    expect(gate?.status).toBe('UNKNOWN');
    expect(gate?.evidence).toMatch(
      /^not evaluated whole for this database: aws\/111111111111\/eu-west-1\/replicas not read \(checks not judged .*replicas\.lag.*\); what it judged: replicas\.in-sync PASSED$/,
    );
  });

  it("never reads GO on a database's line while a group of database checks required for GO is given nothing to audit", async () => {
    // Prepare: a required group of database checks with a GCP collector only, in an AWS run.
    const check: Check<{ resource: ResourceRef }> = {
      metadata: {
        id: 'restore-drill.recent',
        group: 'restore-drill',
        title: 'A restore drill ran recently',
        failedTitle: 'No recent restore drill',
        severity: 'HIGH',
        rationale: 'A test group.',
        remediation: { text: 'Run a restore drill.', url: 'https://example.com/drill' },
        resourceTypes: ['AwsRdsDbInstance', 'GcpCloudSqlInstance'],
      },
      evaluate: () => ({ status: 'PASSED', description: 'drilled', observed: {}, required: {} }),
    };
    unregister.push(
      registerCheckGroup(
        defineCheckGroup({
          name: 'restore-drill',
          summary: 'a test group of database checks',
          requiredForGo: 'schedule restore drills (a test)',
          checks: [check],
          collect: { gcp: async () => [] },
        }),
      ),
    );

    // Act
    const result = await readinessAfterSnapshot();

    // Assess
    expect(result.verdict).toBe('UNKNOWN');
    const [target] = result.targets;
    expect(target?.status).toBe('UNKNOWN');
    expect(target?.gates.find((entry) => entry.gate === 'audit:restore-drill')).toMatchObject({
      status: 'UNKNOWN',
      evidence:
        "not evaluated over the whole run, which every database's GO rests on: required for GO, and the policy gives it nothing to audit in aws",
    });
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

describe('readiness over a gate some of whose checks the policy turns off', () => {
  const CROSS_REGION_LINE =
    '  not run: pitr.cross-region (audit:pitr): pitr.requireCrossRegionBackup is off in the policy; that the backups also exist in another region is not verified';

  it('says once, in the text, the chat answer and the result, which check of an evaluated gate did not run and why, and answers as before', async () => {
    // Act: pitr.requireCrossRegionBackup is false (the default), so pitr.cross-region never runs.
    const result = await readinessAfterSnapshot();

    // Assess: the verdict is the one the checks that ran give; the answer says what it does not rest on.
    expect(result.verdict).toBe('GO');
    expect(result.checksNotRun).toEqual([
      {
        check: 'pitr.cross-region',
        gate: 'audit:pitr',
        reason: 'pitr.requireCrossRegionBackup is off in the policy',
        unverified: 'that the backups also exist in another region',
      },
    ]);
    const text = renderReadiness(result);
    expect(text.split('\n').filter((line) => line.includes('pitr.cross-region'))).toEqual([
      CROSS_REGION_LINE,
    ]);
    const chat = await chatAnswer(result);
    expect(chat.match(/pitr\.cross-region/g)).toHaveLength(1);
    expect(chat).toContain(
      '• Checks not run: `pitr.cross-region` (pitr.requireCrossRegionBackup is off in the policy: that the backups also exist in another region is not verified)',
    );
  });

  it('says nothing of a check the policy turns on', async () => {
    // Act
    const on = fastPolicy({
      targets: { tags: [], identifiers: ['certctl-prod-db'] },
      pitr: { minPitrDays: 7, requireCrossRegionBackup: true },
    });
    const result = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(on));

    // Assess
    expect(result.checksNotRun ?? []).toEqual([]);
    expect(renderReadiness(result)).not.toContain('not run:');
    expect(await chatAnswer(result)).not.toContain('Checks not run');
  });

  it('names every check turned off on one chat line, and none of a group the run did not plan', async () => {
    // Prepare: a registered group whose second check the policy turns off, and a GCP-only one
    // (not planned in an AWS run, so said as not configured, not check by check).
    unregister.push(registerCheckGroup(secretsGroup('vault', { offCheck: true })));
    unregister.push(registerCheckGroup(secretsGroup('gcponly', { awsCollector: false, offCheck: true })));

    // Act
    const result = await readinessAfterSnapshot();

    // Assess
    expect(result.checksNotRun?.map(({ check, gate }) => `${gate} ${check}`)).toEqual([
      'audit:pitr pitr.cross-region',
      'audit:vault vault.sealed',
    ]);
    expect(renderReadiness(result)).toContain(
      '  not run: vault.sealed (audit:vault): a policy setting turns it off; what it checks is not verified',
    );
    const chat = await chatAnswer(result);
    expect(chat).toMatch(
      /• Checks not run: `pitr\.cross-region` \([^)]*\); `vault\.sealed` \(a policy setting turns it off: what it checks is not verified\)/,
    );
    expect(chat).not.toContain('gcponly.sealed');
  });
});

describe('readiness without key material (audit:keys is required for GO)', () => {
  /** Readiness over the harness after a fresh snapshot, with `waivers` as the policy's readinessWaivers. */
  async function readinessWith(waivers: Record<string, { reason: string; expires: string }>) {
    const waived = fastPolicy({
      targets: { tags: [], identifiers: ['certctl-prod-db'] },
      snapshots: { readinessWaivers: waivers },
    });
    await runSnapshotJob(
      { requestId: 'CHG-9', reason: 'CA rotation', requestedBy: 'alice' },
      harness.deps(waived),
    );
    return runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(waived));
  }

  it('could not evaluate, naming what to configure, when the policy gives audit:keys nothing to audit', async () => {
    // Act: PITR passes and the snapshot is fresh; no keys inventory, no waiver.
    const result = await readinessWith({});

    // Assess: the database's own line is not GO either: it waits on audit:keys, and says so.
    expect(result.targets.map((target) => target.status)).toEqual(['UNKNOWN']);
    expect(result.targets[0]?.gates.map((gate) => `${gate.gate} ${gate.status}`)).toEqual([
      'audit:pitr GO',
      'audit:keys UNKNOWN',
      'snapshot GO',
    ]);
    const gate = result.targets[0]?.gates.find((entry) => entry.gate === 'audit:keys');
    expect(gate?.evidence).toBe(
      "not evaluated over the whole run, which every database's GO rests on: required for GO, and the policy gives it nothing to audit in aws",
    );
    expect(gate?.action).toMatch(
      /keys\.items.*or waive it with the reason and an expiry in snapshots\.readinessWaivers/,
    );
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.exitCode).toBe(2);
    expect(result.gates.find((entry) => entry.gate === 'audit:keys')?.coverage).toBe('incomplete');
    expect(result.notEvaluated.join('\n')).toMatch(
      /audit:keys: required for GO.*keys\.items.*snapshots\.readinessWaivers/,
    );
    expect(renderReadiness(result)).toContain('  UNKNOWN aws/111111111111/eu-west-1/certctl-prod-db');
    const chat = await chatAnswer(result);
    expect(chat).toContain(
      '*certctl-prod-db* (aws/111111111111/eu-west-1): COULD NOT EVALUATE, 2 of 3 gates green',
    );
    expect(chat).toContain('COULD NOT EVALUATE `audit:keys`: not evaluated over the whole run');
  });

  it('answers GO when the policy waives audit:keys, and lists the waiver with its reason and expiry', async () => {
    // Act
    const expires = daysFromToday(60);
    const result = await readinessWith({
      'audit:keys': { reason: 'CA keys held offline in an HSM', expires },
    });

    // Assess
    expect(result.verdict).toBe('GO');
    expect(result.gates.find((gate) => gate.gate === 'audit:keys')).toEqual({
      gate: 'audit:keys',
      coverage: 'waived',
      detail: `waived by the policy until ${expires}: CA keys held offline in an HSM`,
    });
    expect(renderReadiness(result)).toContain(
      `audit:keys     waived: waived by the policy until ${expires}: CA keys held offline in an HSM`,
    );
    expect(await chatAnswer(result)).toContain(
      `\`audit:keys\` waived: waived by the policy until ${expires}: CA keys held offline in an HSM`,
    );
  });

  it('could not evaluate, saying the waiver expired, when the waiver of audit:keys has expired', async () => {
    // Act: the same fleet, the waiver's last day long past.
    const result = await readinessWith({
      'audit:keys': { reason: 'CA keys held offline in an HSM', expires: '2020-01-31' },
    });

    // Assess: the gate is required and unconfigured again, and the answer says why.
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.exitCode).toBe(2);
    expect(result.gates.find((gate) => gate.gate === 'audit:keys')).toEqual({
      gate: 'audit:keys',
      coverage: 'incomplete',
      detail:
        'required for GO, and the policy gives it nothing to audit in aws; its waiver expired on 2020-01-31 (it said: CA keys held offline in an HSM)',
    });
    expect(result.notEvaluated.join('\n')).toMatch(
      /audit:keys: required for GO.*keys\.items.*its waiver in snapshots\.readinessWaivers expired on 2020-01-31/,
    );
    expect(renderReadiness(result)).toContain('its waiver expired on 2020-01-31');
    const chat = await chatAnswer(result);
    expect(chat).not.toContain('Readiness for the CA rotation: GO');
    expect(chat).toContain('its waiver in snapshots.readinessWaivers expired on 2020-01-31');
  });

  it('refuses a waiver without its reason or expiry, a bare reason, or something that is not a gate', () => {
    const waiving = (waivers: Record<string, unknown>) =>
      fastPolicy({ snapshots: { readinessWaivers: waivers as never } });
    expect(() => waiving({ 'audit:keys': { reason: '  ', expires: '2027-03-31' } })).toThrow(
      /snapshots\.readinessWaivers\.audit:keys\.reason: give the reason the gate is waived/,
    );
    expect(() => waiving({ 'audit:keys': { reason: 'offline', expires: '31/03/2027' } })).toThrow(
      /snapshots\.readinessWaivers\.audit:keys\.expires: must be a date such as 2027-03-31/,
    );
    expect(() => waiving({ 'audit:keys': { reason: 'offline' } })).toThrow(
      /snapshots\.readinessWaivers\.audit:keys\.expires:/,
    );
    expect(() => waiving({ 'audit:keys': 'CA keys held offline' })).toThrow(
      /snapshots\.readinessWaivers\.audit:keys: a waiver is \{ reason, expires \}/,
    );
    expect(() => waiving({ keys: { reason: 'offline', expires: '2027-03-31' } })).toThrow(
      /snapshots\.readinessWaivers\.keys: 'keys' is not a gate: name one as audit:<group>, such as audit:keys/,
    );
  });
});

describe('the horizon of a readiness waiver (at most 90 days from the day the policy is read)', () => {
  const policyAt = (expires: string, now?: Date) =>
    parsePolicy(
      {
        snapshots: {
          readinessWaivers: { 'audit:keys': { reason: 'CA keys held offline in an HSM', expires } },
        },
      },
      'policy',
      ...(now ? [now] : []),
    );
  const READ = new Date('2026-12-04T23:59:59.999Z');

  it('accepts a waiver whose last day is at most 90 days after the day it is read', () => {
    expect(policyAt('2027-03-04', READ).snapshots.readinessWaivers['audit:keys']?.expires).toBe('2027-03-04');
    expect(policyAt('2026-12-04', READ).snapshots.readinessWaivers['audit:keys']?.expires).toBe('2026-12-04');
  });
  it('refuses one that runs longer, naming the waiver, its expiry and the limit', () => {
    expect(() => policyAt('2027-03-05', READ)).toThrow(PolicyError);
    expect(() => policyAt('2027-03-05', READ)).toThrow(
      'snapshots.readinessWaivers.audit:keys.expires: 2027-03-05 is more than 90 days after 2026-12-04, the day the policy is read: a readiness waiver runs 90 days at most; give it a last day on or before 2027-03-04, and renew it then if its reason still holds',
    );
    // The waiver for ever, in whatever form, is refused; with no clock given, today's is used.
    expect(() => policyAt('9999-12-31')).toThrow(
      /snapshots\.readinessWaivers\.audit:keys\.expires: 9999-12-31 is more than 90 days after/,
    );
  });
  it('keeps an expired waiver as it was: accepted by the policy, the gate required again', () => {
    expect(policyAt('2020-01-31', READ).snapshots.readinessWaivers['audit:keys']?.expires).toBe('2020-01-31');
  });
});

describe('readiness with the dumps group (functions/checks/dumps)', () => {
  /** A dump bucket as the dumps scenario's healthy one (test/sim/scenarios/dumps.yaml), its newest dump `newest` old. */
  const bucket = (newest: string) => ({
    name: 'certctl-dumps',
    account: '111111111111',
    region: 'eu-west-1',
    versioning: 'Enabled' as const,
    objectLock: { defaultRetention: { mode: 'COMPLIANCE' as const, days: 35 } },
    lifecycle: [{ id: 'expire-dumps', prefix: 'prod/', expirationDays: 35, noncurrentDays: 35 }],
    publicAccessBlock: {
      blockPublicAcls: true,
      ignorePublicAcls: true,
      blockPublicPolicy: true,
      restrictPublicBuckets: true,
    },
    encryption: {
      algorithm: 'aws:kms' as const,
      kmsKeyId: 'arn:aws:kms:eu-west-1:111111111111:key/eeeeeeee-1111-2222-3333-444444444444',
    },
    series: [
      {
        keyPrefix: 'prod/certctl-',
        count: 35,
        newest,
        fixture: 'test/fixtures/pg-dump/certctl-pg17.dump',
        stampCreated: true,
      },
    ],
  });
  const dumpsPolicy = (target = 'certctl-prod-db') =>
    fastPolicy({
      targets: { tags: [], identifiers: [target] },
      dumps: {
        locations: [
          {
            provider: 'aws',
            bucket: 'certctl-dumps',
            prefix: 'prod/',
            account: '111111111111',
            region: 'eu-west-1',
          },
        ],
      },
    });

  async function readinessWithDumps(newest: string, narrowed?: { target: string; regions: string[] }) {
    await harness.close();
    const scenario = snapshotScenario();
    harness = await startSnapshotHarness({
      ...scenario,
      services: {
        ...scenario.services,
        s3: { buckets: [bucket(newest)] },
        kms: { keys: [{ id: 'eeeeeeee-1111-2222-3333-444444444444', region: 'eu-west-1' }] },
      },
    });
    const policy = dumpsPolicy(narrowed?.target);
    await runSnapshotJob(
      { requestId: 'CHG-6', reason: 'CA rotation', requestedBy: 'alice' },
      harness.deps(policy),
    );
    return runReadinessJob(
      { providers: ['aws'], ...(narrowed ? { regions: narrowed.regions } : {}) },
      harness.readinessDeps(policy),
    );
  }

  it('reads the dump series where it is when readiness is narrowed to the region of the databases', async () => {
    // Act: the database is in us-east-1, its (stale) dumps in eu-west-1.
    const result = await readinessWithDumps('-40h', { target: 'certctl-broken-db', regions: ['us-east-1'] });

    // Assess: --region narrows the databases, never what a GO rests on.
    expect(result.gates.find((gate) => gate.gate === 'audit:dumps')?.coverage).toBe('evaluated');
    const gate = result.targets[0]?.gates.find((entry) => entry.gate === 'audit:dumps');
    expect(result.targets.map((target) => target.target.id)).toEqual(['certctl-broken-db']);
    expect(gate?.status).toBe('NO-GO');
    expect(gate?.evidence).toContain('dumps.fresh FAILED on certctl-dumps');
  });

  it('gates every target on the dump series once the policy configures a location: GO while the dumps are fresh', async () => {
    // Act
    const result = await readinessWithDumps('-8h');

    // Assess
    expect(result.gates.find((gate) => gate.gate === 'audit:dumps')?.coverage).toBe('evaluated');
    expect(result.targets[0]?.gates.map((gate) => `${gate.gate} ${gate.status}`)).toEqual([
      'audit:pitr GO',
      'audit:dumps GO',
      'snapshot GO',
    ]);
    expect(result.verdict).toBe('GO');
  });

  it('answers NO-GO naming the stale dump series when the newest dump is older than the cadence allows', async () => {
    // Act
    const result = await readinessWithDumps('-40h');

    // Assess
    expect(result.verdict).toBe('NO-GO');
    const gate = result.targets[0]?.gates.find((entry) => entry.gate === 'audit:dumps');
    expect(gate?.status).toBe('NO-GO');
    expect(gate?.evidence).toContain('dumps.fresh FAILED on certctl-dumps');
  });

  it('lists the dumps group as not configured when the policy names no dump location', async () => {
    // Act
    const result = await readinessAfterSnapshot();

    // Assess
    expect(result.gates.find((gate) => gate.gate === 'audit:dumps')).toMatchObject({
      coverage: 'not-configured',
    });
  });
});
