/**
 * Shared wording for every renderer: the one-line summary and the observed-vs-required detail, so
 * the terminal, Markdown and chat say the same thing.
 */
import { type AuditReport, coverageProblems, EXIT_CODES, exitCodeFor } from '../core/audit.ts';
import type { Finding, FindingValues, ResourceRef } from '../core/finding.ts';

/** `aws 111111111111 eu-west-1 AwsRdsDbInstance certctl-prod-db` in a compact form. */
export function describeResource(resource: ResourceRef): string {
  const kind: Record<ResourceRef['type'], string> = {
    AwsRdsDbInstance: 'rds',
    AwsRdsDbCluster: 'aurora',
    GcpCloudSqlInstance: 'cloudsql',
    AwsS3Bucket: 's3',
    GcpStorageBucket: 'gcs',
    AwsSecretsManagerSecret: 'secret',
    GcpSecretManagerSecret: 'secret',
    Scope: 'scope',
  };
  return `${resource.provider}:${resource.account}/${resource.region} ${kind[resource.type]}:${resource.id}`;
}

function formatValues(values: FindingValues): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}=${value === null ? '-' : String(value)}`)
    .join(', ');
}

/** `retentionDays=7 (required retentionDays=30)`, or just the observed values when nothing is required. */
export function describeValues(finding: Pick<Finding, 'observed' | 'required'>): string {
  const observed = formatValues(finding.observed);
  const required = formatValues(finding.required);
  return required ? `${observed} (required ${required})` : observed;
}

const EXIT_MEANING: Record<number, string> = {
  [EXIT_CODES.ok]: 'every check passed',
  [EXIT_CODES.failed]: 'some checks failed',
  [EXIT_CODES.incomplete]:
    "the audit could not complete: some scopes or checks could not be evaluated, or it did not cover the policy's targets",
};

export function describeExitCode(code: number): string {
  return EXIT_MEANING[code] ?? 'unknown';
}

export interface ReportSummary {
  readonly resources: number;
  /** Why the audit covers less than the policy asks (see coverageProblems); empty when it does not. */
  readonly coverageProblems: readonly string[];
  readonly scopesEvaluated: number;
  readonly scopesTotal: number;
  readonly exitCode: number;
  readonly verdict: string;
}

export function summarize(report: AuditReport): ReportSummary {
  const resources = new Set(
    report.findings
      .filter((finding) => finding.resource.type !== 'Scope')
      .map((f) => describeResource(f.resource)),
  ).size;
  const exitCode = exitCodeFor(report);
  return {
    resources,
    coverageProblems: coverageProblems(report),
    scopesEvaluated: report.scopes.filter((scope) => scope.status === 'complete').length,
    scopesTotal: report.scopes.length,
    exitCode,
    verdict: describeExitCode(exitCode),
  };
}

/** `5 passed, 1 warning, 3 failed, 0 not available — 4 databases, 2 of 2 scopes evaluated`. */
export function summaryLine(report: AuditReport): string {
  const summary = summarize(report);
  const { counts } = report;
  return (
    `${counts.PASSED} passed, ${counts.WARNING} warning, ${counts.FAILED} failed, ` +
    `${counts.NOT_AVAILABLE} not available — ${summary.resources} database${summary.resources === 1 ? '' : 's'}, ` +
    `${summary.scopesEvaluated} of ${summary.scopesTotal} scope${summary.scopesTotal === 1 ? '' : 's'} evaluated`
  );
}
