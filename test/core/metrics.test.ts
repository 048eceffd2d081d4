import { describe, expect, it } from 'vitest';
import type { AuditReport } from '../../functions/core/audit.ts';
import type { Finding } from '../../functions/core/finding.ts';
import { auditMetricValues } from '../../functions/core/metrics.ts';

function finding(checkId: string, status: Finding['status'], id: string): Finding {
  return {
    checkId,
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
  };
}

const complete = {
  scope: { provider: 'aws', account: '111111111111', region: 'eu-west-1', group: 'pitr' },
  status: 'complete',
  resources: 2,
} as const;

function report(findings: Finding[], scopes: AuditReport['scopes']): AuditReport {
  return {
    startedAt: '',
    finishedAt: '',
    findings,
    scopes,
    counts: { PASSED: 0, WARNING: 0, FAILED: 0, NOT_AVAILABLE: 0 },
  };
}

describe('auditMetricValues', () => {
  it('counts failed findings per check and marks the run completed when every scope was read', () => {
    // Act
    const values = auditMetricValues(
      report(
        [
          finding('pitr.retention', 'FAILED', 'a'),
          finding('pitr.retention', 'FAILED', 'b'),
          finding('pitr.lag', 'PASSED', 'a'),
        ],
        [complete],
      ),
    );

    // Assess
    expect(values).toEqual({
      AuditRuns: 1,
      AuditCompleted: 1,
      ScopesNotEvaluated: 0,
      ChecksFailed: { 'pitr.retention': 2 },
      CheckErrors: {},
      ScopeNotEvaluated: [],
    });
  });

  it('counts checks that threw per check id and marks the run not completed when one did', () => {
    // Prepare
    const threw: Finding = { ...finding('pitr.window', 'NOT_AVAILABLE', 'a'), internalError: true };

    // Act
    const values = auditMetricValues(report([finding('pitr.retention', 'PASSED', 'a'), threw], [complete]));

    // Assess
    expect(values.CheckErrors).toEqual({ [threw.checkId]: 1 });
    expect(values.AuditCompleted).toBe(0);
  });

  it('reports the run not completed when a scope failed or no database matched', () => {
    // Prepare
    const failed = {
      ...complete,
      scope: { ...complete.scope, region: 'us-east-1' },
      status: 'failed',
      resources: 0,
    } as const;

    // Act
    const withFailedScope = auditMetricValues(
      report([finding('pitr.lag', 'PASSED', 'a')], [complete, failed]),
    );
    const nothingMatched = auditMetricValues(report([], [complete]));

    // Assess
    expect(withFailedScope).toMatchObject({
      AuditCompleted: 0,
      ScopesNotEvaluated: 1,
      ScopeNotEvaluated: [failed.scope],
    });
    expect(nothingMatched).toMatchObject({ AuditCompleted: 0, ScopesNotEvaluated: 0 });
  });

  it('reports the run not completed when a check could not be evaluated, as its exit code 2 says', () => {
    // Prepare: every scope read, but one check NOT_AVAILABLE (a value the API did not send, a
    // permission refused on one key): not a defect of ours, yet nothing was proven for it.
    const notAvailable = finding('pitr.window', 'NOT_AVAILABLE', 'a');

    // Act
    const values = auditMetricValues(
      report([finding('pitr.retention', 'PASSED', 'a'), notAvailable], [complete]),
    );

    // Assess
    expect(values).toMatchObject({ AuditCompleted: 0, ScopesNotEvaluated: 0, CheckErrors: {} });
  });
});
