/**
 * The audit's metric values, computed once from a report so every runtime reports the same thing:
 * the Lambda emits them through Powertools (CloudWatch EMF), the Cloud Function logs them for
 * log-based metrics. Names are the CloudWatch names the alarms watch.
 */
import { type AuditReport, coverageProblems, type Scope } from './audit.ts';

export interface AuditMetricValues {
  /** 1 per run, so "the audit did not run" shows as missing data. */
  readonly AuditRuns: 1;
  /** 1 only when every scope was read, every check evaluated, and the run covered the policy's targets. */
  readonly AuditCompleted: 0 | 1;
  readonly ScopesNotEvaluated: number;
  /** FAILED findings per check id. */
  readonly ChecksFailed: Readonly<Record<string, number>>;
  /**
   * Checks that threw, or gave one resource two different results in one run (a defect of ours,
   * NOT_AVAILABLE for that check and resource), per check id.
   */
  readonly CheckErrors: Readonly<Record<string, number>>;
  /** The scopes not evaluated, one `ScopeNotEvaluated` data point each. */
  readonly ScopeNotEvaluated: readonly Scope[];
}

export function auditMetricValues(report: AuditReport): AuditMetricValues {
  const failedScopes = report.scopes
    .filter((outcome) => outcome.status === 'failed')
    .map((outcome) => outcome.scope);
  const checksFailed: Record<string, number> = {};
  const checkErrors: Record<string, number> = {};
  for (const finding of report.findings) {
    if (finding.status === 'FAILED') checksFailed[finding.checkId] = (checksFailed[finding.checkId] ?? 0) + 1;
    if (finding.internalError) checkErrors[finding.checkId] = (checkErrors[finding.checkId] ?? 0) + 1;
  }
  // A run one of whose check groups judged nothing (a tag typo selecting no database), or a check
  // that could not be evaluated (a check that threw, a value the API did not send, a read refused),
  // must alarm like one that could not read a region: its exit code is 2, "the audit could not complete". No policy exception covers
  // a NOT_AVAILABLE finding (core/exceptions.ts).
  const completed =
    failedScopes.length === 0 &&
    coverageProblems(report).length === 0 &&
    !report.findings.some((finding) => finding.status === 'NOT_AVAILABLE');
  return {
    AuditRuns: 1,
    AuditCompleted: completed ? 1 : 0,
    ScopesNotEvaluated: failedScopes.length,
    ChecksFailed: checksFailed,
    CheckErrors: checkErrors,
    ScopeNotEvaluated: failedScopes,
  };
}
