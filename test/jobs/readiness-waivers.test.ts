/**
 * Readiness waivers over a judged report: a waiver lets a required gate be answered without only
 * while the policy gives that gate nothing to audit, and only to the end (UTC) of its last day.
 */
import { describe, expect, it } from 'vitest';
import type { BackendSnapshot } from '../../functions/actions/snapshot/backend.ts';
import { countStatuses } from '../../functions/core/audit.ts';
import type { CheckGroup, Finding, ResourceRef } from '../../functions/core/finding.ts';
import { judgeReadiness, renderReadiness } from '../../functions/jobs/readiness.ts';
import { ACCOUNT_A, rdsResource, retentionFinding } from '../publish/security-hub/fixtures.ts';

const TARGET: ResourceRef = { ...rdsResource('certctl-prod-db'), resourceId: 'db-CERTCTLPRODDB' };
const SECRET: ResourceRef = {
  provider: 'aws',
  account: ACCOUNT_A,
  region: 'eu-west-1',
  type: 'AwsSecretsManagerSecret',
  id: 'certctl/ca-key',
};
const WAIVER = { 'audit:keys': { reason: 'CA keys held offline in an HSM', expires: '2027-03-31' } };

/** Readiness at `now` over a passing PITR finding (plus `extra`) and a fresh snapshot of ours. */
function judge(now: string, planned: CheckGroup[], extra: Finding[] = []) {
  const findings = [retentionFinding(TARGET, { status: 'PASSED' }), ...extra];
  const fresh: BackendSnapshot = {
    id: 'certctl-premaint-certctl-prod-db-1',
    kind: 'rds-instance',
    target: 'certctl-prod-db',
    sourceResourceId: 'db-CERTCTLPRODDB',
    status: 'available',
    createdAt: new Date(Date.parse(now) - 60 * 60_000),
    tags: { purpose: 'certctl-pre-maintenance' },
  };
  return judgeReadiness({
    report: { startedAt: now, finishedAt: now, findings, scopes: [], counts: countStatuses(findings) },
    plannedGroups: new Set(planned),
    providers: ['aws'],
    snapshotsOf: () => [fresh],
    maxAgeHours: 24,
    now: new Date(now),
    waivers: WAIVER,
  });
}

describe('readiness waivers', () => {
  it('applies a waiver to the end of its last day in UTC and not a moment later', () => {
    // Act
    const lastMoment = judge('2027-03-31T23:59:59.999Z', ['pitr']);
    const nextDay = judge('2027-04-01T00:00:00.000Z', ['pitr']);

    // Assess
    expect(lastMoment.verdict).toBe('GO');
    expect(lastMoment.gates.find((gate) => gate.gate === 'audit:keys')?.coverage).toBe('waived');
    expect(nextDay.verdict).toBe('UNKNOWN');
    expect(nextDay.exitCode).toBe(2);
    expect(nextDay.gates.find((gate) => gate.gate === 'audit:keys')?.coverage).toBe('incomplete');
  });

  it('judges a waived gate the policy configures: its failure is a NO-GO, its waiver ignored', () => {
    // Prepare: the policy now gives audit:keys an inventory, and its secret is missing.
    const missing = retentionFinding(SECRET, {
      checkId: 'keys.present',
      group: 'keys',
      observed: { present: false },
      required: { present: true },
    });

    // Act
    const result = judge('2027-03-01T12:00:00.000Z', ['pitr', 'keys'], [missing]);

    // Assess
    expect(result.verdict).toBe('NO-GO');
    expect(result.exitCode).toBe(1);
    expect(result.gates.find((gate) => gate.gate === 'audit:keys')?.coverage).toBe('evaluated');
    const keys = result.targets[0]?.gates.find((gate) => gate.gate === 'audit:keys');
    expect(keys?.status).toBe('NO-GO');
    expect(keys?.evidence).toContain('keys.present FAILED on certctl/ca-key');
  });
});

describe('readiness with no database judged', () => {
  it('says the scopes were not read, not that the policy selects no database, when the database scopes failed', () => {
    // Prepare: the only RDS scope could not be read, so no database finding exists.
    const now = '2027-03-01T12:00:00.000Z';
    const scope = {
      provider: 'aws' as const,
      account: ACCOUNT_A,
      region: 'eu-west-1',
      group: 'pitr' as const,
    };

    // Act
    const result = judgeReadiness({
      report: {
        startedAt: now,
        finishedAt: now,
        findings: [],
        scopes: [
          {
            scope,
            status: 'failed',
            resources: 0,
            error: { code: 'AccessDenied', message: 'not authorized' },
          },
        ],
        counts: countStatuses([]),
      },
      plannedGroups: new Set(['pitr']),
      providers: ['aws'],
      snapshotsOf: () => [],
      maxAgeHours: 24,
      now: new Date(now),
      waivers: WAIVER,
    });

    // Assess
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.notEvaluated.join('\n')).not.toContain('the policy selects no database');
    expect(result.notEvaluated).toContain(
      'no target judged: 1 scope(s) could not be read (above), and the databases the policy selects may be there',
    );
  });
});

describe('the readiness text of a gate that is not GO', () => {
  it('still names what the gate let through: accepted risk and warnings, as the chat answer does', () => {
    // Prepare: pitr.retention fails; pitr.lag is excepted until 2027-03-31; pitr.window passed with
    // a WARNING (the window is still filling).
    const now = '2027-03-01T12:00:00.000Z';
    const excepted = retentionFinding(TARGET, {
      checkId: 'pitr.lag',
      exception: { reason: 'WAL archiving moved to a new bucket', expires: '2027-03-31', active: true },
    });
    const filling = retentionFinding(TARGET, {
      checkId: 'pitr.window',
      status: 'WARNING',
      description: 'certctl-prod-db: restore window still filling, 3 of 30 days accrued.',
    });

    // Act
    const text = renderReadiness(judge(now, ['pitr'], [retentionFinding(TARGET), excepted, filling]));

    // Assess
    expect(text).toContain('NO-GO   audit:pitr: pitr.retention FAILED');
    expect(text).toContain('accepted risk: pitr.lag FAILED excepted until 2027-03-31: WAL archiving moved');
    expect(text).toContain('warning: pitr.window WARNING: certctl-prod-db: restore window still filling');
  });
});
