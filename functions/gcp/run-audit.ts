/**
 * The scheduled GCP PITR audit as one plain function: audit the configured projects' Cloud SQL
 * instances, then publish the findings to Security Hub in the central AWS account through keyless
 * federation. The Cloud Function handler only wires this; tests call it with injected clients.
 *
 * A run is `ok` only when every scope was evaluated, no finding is NOT_AVAILABLE, and publishing
 * (when enabled) landed every finding. FAILED findings do not make a run fail: they are its output.
 */
import type { AwsClientFactory } from '../aws/clients.ts';
import { type AuditReport, EXIT_CODES, exitCodeFor, scopeKey } from '../core/audit.ts';
import { describeError, errorCode, InputError } from '../core/errors.ts';
import type { Policy } from '../core/policy.ts';
import {
  type PublishLogger,
  type PublishMetrics,
  type PublishResult,
  publishToSecurityHub,
} from '../publish/security-hub/index.ts';
import type { CloudSqlApi } from './cloud-sql.ts';
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
      /** Failed findings per error code (Security Hub's, or `CredentialsError` when federation failed). */
      readonly failedByCode: Readonly<Record<string, number>>;
      /** The first {@link FAILURE_SAMPLE} failures, so the answer stays small for a large fleet. */
      readonly failures: readonly { readonly id: string; readonly code: string; readonly message: string }[];
    }
  | { readonly status: 'error'; readonly error: { readonly code: string; readonly message: string } };

export interface GcpAuditRunResult {
  /** False when Cloud Scheduler should see a failure (HTTP 500) and retry. */
  readonly ok: boolean;
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

export interface GcpAuditMetrics {
  readonly AuditRuns: number;
  readonly AuditCompleted: number;
  readonly ScopesNotEvaluated: number;
  readonly FindingsImportFailed: number;
  /** FAILED findings per check id (the `CheckId` dimension on AWS). */
  readonly ChecksFailed: Readonly<Record<string, number>>;
}

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

  const checksFailed: Record<string, number> = {};
  for (const finding of report.findings) {
    if (finding.status === 'FAILED') checksFailed[finding.checkId] = (checksFailed[finding.checkId] ?? 0) + 1;
  }
  const metrics = {
    AuditRuns: 1,
    AuditCompleted: failedScopes.length === 0 ? 1 : 0,
    ScopesNotEvaluated: failedScopes.length,
    FindingsImportFailed: 0,
    ChecksFailed: checksFailed,
  };

  const published = await publish(deps, report, metricsCollector(metrics));
  const exitCode = exitCodeFor(report);
  const publishOk = published.status === 'disabled' || published.status === 'published';
  return {
    ok: exitCode !== EXIT_CODES.incomplete && publishOk,
    exitCode,
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
    const result = await publishToSecurityHub({
      report,
      policy: deps.policy,
      factory: deps.awsFactory(),
      // The federated credentials are the central account's own: GCP findings go there.
      accounts: [],
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
    const failure = { code: errorCode(error), message: describeError(error) };
    deps.logger.error('publishing to Security Hub failed', { error: failure });
    metrics.addMetric('FindingsImportFailed', 'Count', report.findings.length);
    return { status: 'error', error: failure };
  }
}
