/**
 * Logger and Metrics, created once per Lambda execution environment (Powertools' advice: module
 * scope, so they survive warm starts).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { describeError, withFramesOnlyForFaults } from '../../core/errors.ts';
import type { AuditJobMetrics } from '../../jobs/audit.ts';

export const METRICS_NAMESPACE = 'CertctlBackupGuard';

export function createObservability(serviceName: string): { logger: Logger; metrics: Metrics } {
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName }),
  };
}

/**
 * What `start` makes (a handler's dependencies from its settings and policy), or, when it throws (a
 * deployment error: a setting missing, a policy that does not load), one ERROR line
 * `<service> cannot start` naming the error (its name and message, never an event) and the error
 * thrown on, a user mistake without its stack frames (`withFramesOnlyForFaults`).
 */
export function startedOrLogged<T>(logger: Logger, service: string, start: () => T): T {
  try {
    return start();
  } catch (error) {
    logger.error(`${service} cannot start`, {
      error: { name: error instanceof Error ? error.name : 'Error', message: describeError(error) },
    });
    throw withFramesOnlyForFaults(error);
  }
}

/**
 * The audit metrics the alarms watch: `AuditRuns` (1 per run, so "did not run" is missing data),
 * `AuditCompleted` (1 only when every scope and check was evaluated and the run covered the policy's
 * targets: not when a finding is NOT_AVAILABLE, it judged no database or missed a named one), `ScopesNotEvaluated`, one
 * `ChecksFailed` and `CheckErrors` (a check that threw, or gave one resource two results) per check id, `FindingsImportFailed`, and one
 * `ScopeNotEvaluated` per failed scope (their own dimensions,
 * so a dashboard can tell checks and account x region apart).
 */
export function recordAuditMetrics(metrics: Metrics, values: AuditJobMetrics): void {
  metrics.addMetric('AuditRuns', MetricUnit.Count, values.AuditRuns);
  metrics.addMetric('AuditCompleted', MetricUnit.Count, values.AuditCompleted);
  metrics.addMetric('ScopesNotEvaluated', MetricUnit.Count, values.ScopesNotEvaluated);
  for (const [checkId, count] of Object.entries(values.ChecksFailed)) {
    const single = metrics.singleMetric();
    single.addDimension('CheckId', checkId);
    single.addMetric('ChecksFailed', MetricUnit.Count, count);
  }
  metrics.addMetric('FindingsImportFailed', MetricUnit.Count, values.FindingsImportFailed);
  for (const [checkId, count] of Object.entries(values.CheckErrors)) {
    const single = metrics.singleMetric();
    single.addDimension('CheckId', checkId);
    single.addMetric('CheckErrors', MetricUnit.Count, count);
  }
  for (const scope of values.ScopeNotEvaluated) {
    const single = metrics.singleMetric();
    single.addDimensions({ Account: scope.account, Region: scope.region, CheckGroup: scope.group });
    single.addMetric('ScopeNotEvaluated', MetricUnit.Count, 1);
  }
}
