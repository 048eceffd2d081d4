/**
 * The scheduled GCP PITR audit as one plain function: audit the configured projects' Cloud SQL
 * instances, then publish the findings to Security Hub in the central AWS account and region
 * (policy.securityHub.centralAccountId / centralRegion) through keyless federation. The Cloud
 * Function handler only wires this; tests call it with injected clients.
 *
 * `ok` (HTTP 200 versus 500) follows the AWS `audit-pitr` Lambda, which returns normally whatever the
 * findings say and errors only when a run must be retried or alerted on:
 * - a scope that could not be evaluated (a project whose instances could not be listed), or
 *   publishing that did not land every finding (including federation refused), makes `ok` false:
 *   Cloud Scheduler retries on a 500 and the ERROR log entry feeds alerting;
 * - NOT_AVAILABLE findings for single checks of an evaluated scope do not: they are findings,
 *   published like any other and already visible in Security Hub. The answer reports them with
 *   `exitCode` 2 (EXIT_CODES.incomplete), as the Lambda's result does; a retry would not change them,
 *   and a 500 on every run would drown the real failures.
 * - FAILED findings (exit code 1) are the audit's output, never a failure of the run.
 */
import type { AwsClientFactory } from '../aws/clients.ts';
import { type AuditReport, exitCodeFor, scopeKey } from '../core/audit.ts';
import { describeError, errorCode, InputError } from '../core/errors.ts';
import { type AuditMetricValues, auditMetricValues } from '../core/metrics.ts';
import type { Policy } from '../core/policy.ts';
import {
  type PublishLogger,
  type PublishMetrics,
  type PublishResult,
  publishToSecurityHub,
} from '../publish/security-hub/index.ts';
import type { CloudSqlApi } from './cloud-sql.ts';
import { FederationError, federationTargetOf } from './federation.ts';
import { auditGcpPitr } from './pitr-audit.ts';

/** The publishing outcome as the function reports it. */
export type GcpPublishOutcome =
  | { readonly status: 'disabled' }
  | {
      readonly status: 'published' | 'partial';
      readonly counts: PublishResult['counts'];
      readonly calls: PublishResult['calls'];
      /** How many findings did not land. */
      readonly failed: number;
      /** Failed findings per error code (Security Hub's, or the SDK's when a call failed as a whole). */
      readonly failedByCode: Readonly<Record<string, number>>;
      /** The first {@link FAILURE_SAMPLE} failures, so the answer stays small for a large fleet. */
      readonly failures: readonly { readonly id: string; readonly code: string; readonly message: string }[];
    }
  | { readonly status: 'error'; readonly error: GcpPublishError };

/**
 * Why nothing was published. For a refused federation, `code` is `CredentialsError` and `roleArn` and
 * `stsCode` say which role STS refused and why; no field ever holds the ID token.
 */
export interface GcpPublishError {
  readonly code: string;
  readonly message: string;
  /** The federation role that could not be assumed. */
  readonly roleArn?: string;
  /** STS's error code (`AccessDenied`, `InvalidIdentityToken`, …) when STS answered. */
  readonly stsCode?: string;
}

export interface GcpAuditRunResult {
  /**
   * False when Cloud Scheduler should see a failure (HTTP 500) and retry: a scope was not evaluated
   * or publishing did not land every finding. NOT_AVAILABLE findings alone leave it true.
   */
  readonly ok: boolean;
  /** The audit's exit code as the CLI and the Lambda report it: 0 passed, 1 failed, 2 incomplete. */
  readonly exitCode: number;
  readonly counts: AuditReport['counts'];
  readonly scopes: {
    readonly evaluated: number;
    readonly failed: readonly { readonly scope: string; readonly code: string; readonly message: string }[];
  };
  readonly resources: number;
  readonly published: GcpPublishOutcome;
  /**
   * The audit metrics under their CloudWatch names, logged so log-based metrics can count them:
   * AuditRuns, AuditCompleted, ScopesNotEvaluated, FindingsImportFailed, and ChecksFailed per check id.
   */
  readonly metrics: GcpAuditMetrics;
}

export type GcpAuditMetrics = Omit<AuditMetricValues, 'ScopeNotEvaluated'> & {
  readonly FindingsImportFailed: number;
};

export interface GcpAuditRunDependencies {
  readonly policy: Policy;
  readonly cloudSql: CloudSqlApi;
  /**
   * AWS clients for publishing, whose own credentials are the federated ones
   * ({@link createFederatedAwsFactory}); only used when Security Hub publishing is enabled.
   */
  readonly awsFactory: () => AwsClientFactory;
  readonly logger: PublishLogger;
  /** Audit only these projects; the policy's `gcp.projects` otherwise. */
  readonly projects?: readonly string[];
  /** Override `policy.securityHub.enabled` for this run. */
  readonly publish?: boolean;
  readonly now?: () => Date;
}

/** Failures quoted in the answer and the log; the rest are counted per code. */
export const FAILURE_SAMPLE = 10;

/** Collects the publisher's `FindingsImportFailed` into the counts (there is no CloudWatch on GCP). */
function metricsCollector(into: { FindingsImportFailed: number }): PublishMetrics {
  return {
    addMetric(name: string, _unit: unknown, value: number) {
      if (name === 'FindingsImportFailed') into.FindingsImportFailed += value;
    },
  } as PublishMetrics;
}

/** Audit, then publish; never throws for cloud failures, which are reported in the result. */
export async function runGcpPitrAudit(deps: GcpAuditRunDependencies): Promise<GcpAuditRunResult> {
  const projects = deps.projects ?? deps.policy.gcp.projects;
  if (projects.length === 0) {
    // A scheduled audit with nothing to audit would report green forever.
    throw new InputError(
      'policy.gcp.projects is empty: name the GCP projects whose Cloud SQL instances to audit.',
    );
  }
  const report = await auditGcpPitr({
    policy: deps.policy,
    clients: deps.cloudSql,
    projects,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const failedScopes = report.scopes
    .filter((outcome) => outcome.status === 'failed')
    .map((outcome) => ({
      scope: scopeKey(outcome.scope),
      code: outcome.error?.code ?? 'Unknown',
      message: outcome.error?.message ?? '',
    }));
  for (const failed of failedScopes) {
    deps.logger.error('scope not evaluated', {
      scope: failed.scope,
      error: { code: failed.code, message: failed.message },
    });
  }

  // The same values the Lambda emits, logged here for log-based metrics (no CloudWatch on GCP).
  const { ScopeNotEvaluated: _perScope, ...values } = auditMetricValues(report);
  const metrics = { ...values, FindingsImportFailed: 0 };

  const published = await publish(deps, report, metricsCollector(metrics));
  const publishOk = published.status === 'disabled' || published.status === 'published';
  return {
    ok: failedScopes.length === 0 && publishOk,
    exitCode: exitCodeFor(report),
    counts: report.counts,
    scopes: { evaluated: report.scopes.length - failedScopes.length, failed: failedScopes },
    resources: report.scopes.reduce((sum, outcome) => sum + outcome.resources, 0),
    published,
    metrics,
  };
}

async function publish(
  deps: GcpAuditRunDependencies,
  report: AuditReport,
  metrics: PublishMetrics,
): Promise<GcpPublishOutcome> {
  if (!(deps.publish ?? deps.policy.securityHub.enabled)) return { status: 'disabled' };
  try {
    const { centralRegion } = federationTargetOf(deps.policy);
    const factory = deps.awsFactory();
    // Assume the federation role before anything else. A refused token then stops the publication
    // with one error that names the role and STS's code, instead of one CredentialsError per finding
    // that reads like a partial success. The provider caches what it resolves, so the Security Hub
    // clients reuse these credentials.
    const credentials = factory.credentialsFor();
    if (typeof credentials === 'function') await credentials();
    const result = await publishToSecurityHub({
      report,
      policy: deps.policy,
      factory,
      // The federated credentials are the central account's own: GCP findings go there.
      accounts: [],
      homeRegion: centralRegion,
      logger: deps.logger,
      metrics,
      ...(deps.now ? { now: deps.now } : {}),
    });
    const failedByCode: Record<string, number> = {};
    for (const failure of result.failed) failedByCode[failure.code] = (failedByCode[failure.code] ?? 0) + 1;
    return {
      status: result.failed.length === 0 ? 'published' : 'partial',
      counts: result.counts,
      calls: result.calls,
      failed: result.failed.length,
      failedByCode,
      failures: result.failed
        .slice(0, FAILURE_SAMPLE)
        .map(({ id, code, message }) => ({ id, code, message })),
    };
  } catch (error) {
    // NOT_AVAILABLE here describes the publication, not the findings: they were evaluated and keep
    // their statuses in the answer's counts, but none was delivered, so Security Hub still shows the
    // previous run's statuses and nothing may read this run as published. The status is 'error' (no
    // counts of created or updated findings exist), every finding counts as FindingsImportFailed,
    // and `ok` is false so the run answers 500.
    const failure: GcpPublishError = {
      code: errorCode(error),
      message: describeError(error),
      ...(error instanceof FederationError
        ? { roleArn: error.roleArn, ...(error.stsCode ? { stsCode: error.stsCode } : {}) }
        : {}),
    };
    deps.logger.error('publishing to Security Hub failed', { error: failure });
    metrics.addMetric('FindingsImportFailed', 'Count', report.findings.length);
    return { status: 'error', error: failure };
  }
}
