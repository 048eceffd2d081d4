/**
 * Logger and Metrics, created once per Lambda execution environment (Powertools' advice: module
 * scope, so they survive warm starts).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type AuditReport, coverageProblems } from '../../core/audit.ts';

export const METRICS_NAMESPACE = 'CertctlBackupGuard';

export function createObservability(serviceName: string): { logger: Logger; metrics: Metrics } {
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName }),
  };
}

/**
 * The audit metrics the alarms watch: `AuditRuns` (1 per run, so "did not run" is missing data),
 * `AuditCompleted` (1 only when every scope was evaluated), `ScopesNotEvaluated`, one
 * `ChecksFailed` per check id and one `ScopeNotEvaluated` per failed scope (their own dimensions,
 * so a dashboard can tell checks and account x region apart).
 */
export function recordAuditMetrics(metrics: Metrics, report: AuditReport): void {
  const failedScopes = report.scopes.filter((scope) => scope.status === 'failed').length;
  metrics.addMetric('AuditRuns', MetricUnit.Count, 1);
  // Completed means every scope was read and the run covered the policy's targets: a run that
  // judged no database (a tag typo) must alarm like one that could not read a region.
  const completed = failedScopes === 0 && coverageProblems(report).length === 0;
  metrics.addMetric('AuditCompleted', MetricUnit.Count, completed ? 1 : 0);
  metrics.addMetric('ScopesNotEvaluated', MetricUnit.Count, failedScopes);
  const failedByCheck = new Map<string, number>();
  for (const finding of report.findings) {
    if (finding.status === 'FAILED')
      failedByCheck.set(finding.checkId, (failedByCheck.get(finding.checkId) ?? 0) + 1);
  }
  for (const [checkId, count] of failedByCheck) {
    const single = metrics.singleMetric();
    single.addDimension('CheckId', checkId);
    single.addMetric('ChecksFailed', MetricUnit.Count, count);
  }
  for (const outcome of report.scopes) {
    if (outcome.status !== 'failed') continue;
    const single = metrics.singleMetric();
    single.addDimensions({
      Account: outcome.scope.account,
      Region: outcome.scope.region,
      CheckGroup: outcome.scope.group,
    });
    single.addMetric('ScopeNotEvaluated', MetricUnit.Count, 1);
  }
}
