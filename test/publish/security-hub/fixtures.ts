/**
 * Findings and reports for the Security Hub publisher tests: one RDS instance finding per
 * (account, region, name), and reports whose scopes say which (account, region) were evaluated.
 */
import {
  type AuditReport,
  countStatuses,
  type ScopeOutcome,
  scopeResource,
} from '../../../functions/core/audit.ts';
import type { CheckGroup, Finding, ResourceRef } from '../../../functions/core/finding.ts';
import { type Policy, parsePolicy } from '../../../functions/core/policy.ts';

export const ACCOUNT_A = '111111111111';
export const ACCOUNT_B = '222222222222';
export const CENTRAL = '333333333333';

export function rdsResource(name: string, account = ACCOUNT_A, region = 'eu-west-1'): ResourceRef {
  return {
    provider: 'aws',
    account,
    region,
    type: 'AwsRdsDbInstance',
    id: name,
    arn: `arn:aws:rds:${region}:${account}:db:${name}`,
  };
}

export function cloudSqlResource(
  name: string,
  project = 'certctl-prod',
  region = 'europe-west1',
): ResourceRef {
  return {
    provider: 'gcp',
    account: project,
    region,
    type: 'GcpCloudSqlInstance',
    id: name,
    selfLink: `https://sqladmin.googleapis.com/v1/projects/${project}/instances/${name}`,
  };
}

/** A `pitr.retention` finding: FAILED with 7 of 30 days unless overridden. */
export function retentionFinding(resource: ResourceRef, overrides: Partial<Finding> = {}): Finding {
  const status = overrides.status ?? 'FAILED';
  const days = status === 'PASSED' ? 30 : 7;
  return {
    checkId: 'pitr.retention',
    group: 'pitr',
    resource,
    status,
    severity: status === 'PASSED' ? 'INFORMATIONAL' : 'HIGH',
    title: 'Point-in-time recovery retention meets the policy minimum',
    description: `${resource.id} keeps ${days} days of point-in-time recovery; 30 are required.`,
    remediation: {
      text: 'aws rds modify-db-instance --backup-retention-period 30 --apply-immediately',
      url: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html',
    },
    observed: { retentionDays: days },
    required: { retentionDays: 30 },
    evaluatedAt: '2026-11-21T12:00:00.000Z',
    ...overrides,
  };
}

export function completeScope(account: string, region: string, group: CheckGroup = 'pitr'): ScopeOutcome {
  return { scope: { provider: 'aws', account, region, group }, status: 'complete', resources: 1 };
}

export function failedScope(account: string, region: string, group: CheckGroup = 'pitr'): ScopeOutcome {
  return {
    scope: { provider: 'aws', account, region, group },
    status: 'failed',
    resources: 0,
    error: { code: 'ServiceUnavailable', message: 'region down' },
  };
}

export function gcpScope(project: string, region: string): ScopeOutcome {
  return {
    scope: { provider: 'gcp', account: project, region, group: 'pitr' },
    status: 'complete',
    resources: 1,
  };
}

/** The NOT_AVAILABLE finding the audit engine writes for a failed scope. */
export function scopeFinding(outcome: ScopeOutcome): Finding {
  return retentionFinding(scopeResource(outcome.scope), {
    status: 'NOT_AVAILABLE',
    severity: 'MEDIUM',
    description: `Could not evaluate ${outcome.scope.account} in ${outcome.scope.region}: region down.`,
    observed: { error: 'ServiceUnavailable' },
    required: { scopeEvaluated: true },
  });
}

export function report(findings: readonly Finding[], scopes: readonly ScopeOutcome[]): AuditReport {
  return {
    startedAt: '2026-11-21T12:00:00.000Z',
    finishedAt: '2026-11-21T12:00:01.000Z',
    findings,
    scopes,
    counts: countStatuses(findings),
  };
}

export function policy(overrides: Record<string, unknown> = {}): Policy {
  return parsePolicy({
    securityHub: { enabled: true, centralAccountId: CENTRAL, centralRegion: 'eu-west-1' },
    ...overrides,
  });
}
