/**
 * The wiring every scheduled audit Cloud Function shares (`auditPitr`, `auditKeys`; 2nd gen, HTTP
 * trigger): called by Cloud Scheduler with an OIDC token (Cloud Run IAM checks it before this code
 * runs). Audits the policy's GCP projects for the function's check groups and publishes the findings
 * to Security Hub keylessly. Answers JSON; HTTP 500 (and an ERROR log entry) when a scope could not
 * be audited or publishing failed, so Cloud Scheduler retries and alerting sees it. NOT_AVAILABLE
 * findings alone answer 200 with `exitCode` 2, as the AWS Lambda returns normally with exit code 2.
 *
 * Environment: `BACKUP_GUARD_POLICY` (the policy as JSON). For the simulator only:
 * `BACKUP_GUARD_CLOUDSQL_ENDPOINT`, `BACKUP_GUARD_SECRETMANAGER_ENDPOINT`, `GCE_METADATA_HOST`,
 * `AWS_ENDPOINT_URL`.
 */
import * as functions from '@google-cloud/functions-framework';
import * as z from 'zod';
import type { AwsClientFactory } from '../../aws/clients.ts';
import { type AuditReport, scopeKey } from '../../core/audit.ts';
import { InputError, inputIssues } from '../../core/errors.ts';
import type { CheckGroup } from '../../core/finding.ts';
import { loadFunctionPolicy, type Policy } from '../../core/policy.ts';
import { GcpClientFactory } from '../../gcp/clients.ts';
import { createFederatedAwsFactory } from '../../gcp/federation.ts';
import { type AuditJobMetrics, type JobLogger, runAuditJob } from '../../jobs/audit.ts';
import type { GcpClientSource } from '../../jobs/groups.ts';
import type { PublicationOutcome } from '../../jobs/publish.ts';
import { createGcpLogger } from './observability.ts';

/** What the scheduler job may send as its body; empty audits the whole policy. */
export const scheduledAuditRequestSchema = z.strictObject({
  /** Audit only these projects. */
  projects: z.array(z.string().min(1)).min(1).optional(),
  /** Override `policy.securityHub.enabled` for this run. */
  publish: z.boolean().optional(),
});

export type ScheduledAuditRequest = z.output<typeof scheduledAuditRequestSchema>;

/** The request body as JSON: Cloud Scheduler may send none, or bytes as `application/octet-stream`. */
export function parseScheduledAuditRequest(body: unknown, name: string): ScheduledAuditRequest {
  let raw: unknown = body;
  if (Buffer.isBuffer(raw)) raw = raw.toString('utf8');
  if (typeof raw === 'string') {
    if (raw.trim() === '') raw = {};
    else {
      try {
        raw = JSON.parse(raw);
      } catch (error) {
        throw new InputError(`${name} body is not JSON: ${(error as Error).message}`, { cause: error });
      }
    }
  }
  const parsed = scheduledAuditRequestSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issues = inputIssues(parsed.error.issues).map((issue) => `${issue.path}: ${issue.message}`);
  throw new InputError(`${name} body is invalid: ${issues.join('; ')}`);
}

/** What the function runs with; tests pass their own. */
/** Which audit a Cloud Function runs: its function name, job (logger) name and check groups. */
export interface ScheduledAuditGcpJob {
  readonly name: string;
  readonly job: string;
  readonly groups: readonly CheckGroup[];
}

export interface ScheduledAuditGcpDependencies {
  readonly policy: Policy;
  readonly gcp: GcpClientSource;
  /**
   * AWS clients for publishing, whose own credentials are the federated ones
   * ({@link createFederatedAwsFactory}); only built when the run publishes.
   */
  readonly awsFactory: () => AwsClientFactory;
  readonly logger: JobLogger;
  readonly now?: () => Date;
}

/** The function's answer. */
export interface ScheduledAuditGcpResult {
  /**
   * False when Cloud Scheduler should see a failure (HTTP 500) and retry: a scope was not evaluated
   * or publishing did not land every finding (including federation refused). NOT_AVAILABLE findings
   * of evaluated scopes alone leave it true: they are findings, published like any other, and a 500
   * on every run would drown the real failures.
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
  readonly published: PublicationOutcome;
  /** The job's metric values under their CloudWatch names, logged so log-based metrics can count them. */
  readonly metrics: Omit<AuditJobMetrics, 'ScopeNotEvaluated'>;
}

/**
 * The plain function behind the Cloud Function: audit Cloud SQL PITR in the request's (or the
 * policy's) projects and publish to Security Hub in the central account and region through keyless
 * federation. Never throws for cloud failures, which the result reports.
 */
export async function runScheduledAuditGcp(
  { groups }: ScheduledAuditGcpJob,
  request: ScheduledAuditRequest,
  deps: ScheduledAuditGcpDependencies,
): Promise<ScheduledAuditGcpResult> {
  const outcome = await runAuditJob(
    {
      providers: ['gcp'],
      groups,
      ...(request.projects ? { projects: request.projects } : {}),
      ...(request.publish === undefined ? {} : { publish: request.publish }),
    },
    {
      policy: deps.policy,
      gcp: deps.gcp,
      publisher: {
        factory: deps.awsFactory,
        // The federated credentials are the central account's own: GCP findings go there.
        accounts: [],
        homeRegion: deps.policy.securityHub.centralRegion,
      },
      logger: deps.logger,
      ...(deps.now ? { now: deps.now } : {}),
    },
  );
  const { report, publication } = outcome;
  const failed = report.scopes
    .filter((scope) => scope.status === 'failed')
    .map((scope) => ({
      scope: scopeKey(scope.scope),
      code: scope.error?.code ?? 'Unknown',
      message: scope.error?.message ?? '',
    }));
  const { ScopeNotEvaluated: _perScope, ...metrics } = outcome.metrics;
  const publishOk = publication.status === 'disabled' || publication.status === 'published';
  return {
    ok: failed.length === 0 && publishOk,
    exitCode: outcome.exitCode,
    counts: report.counts,
    scopes: { evaluated: report.scopes.length - failed.length, failed },
    resources: report.scopes.reduce((sum, scope) => sum + scope.resources, 0),
    published: publication,
    metrics,
  };
}

/** The HTTP function; exported for tests that serve it with their own dependencies. */
export function createScheduledAuditHandler(
  job: ScheduledAuditGcpJob,
  deps: () => ScheduledAuditGcpDependencies = defaultDependencies(job),
): functions.HttpFunction {
  const logger = createGcpLogger(job.job);
  return async (req, res) => {
    if (req.method !== 'POST') {
      res
        .status(405)
        .set('Allow', 'POST')
        .json({ error: `${job.name} is called with POST (Cloud Scheduler).` });
      return;
    }
    let request: ScheduledAuditRequest;
    try {
      request = parseScheduledAuditRequest(req.body, job.name);
    } catch (error) {
      logger.warn('bad request', { error: (error as Error).message });
      res.status(400).json({ error: (error as Error).message });
      return;
    }
    let result: ScheduledAuditGcpResult;
    try {
      result = await runScheduledAuditGcp(job, request, deps());
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      logger.error('audit did not run', {
        error: { name, message },
        metrics: { AuditRuns: 1, AuditCompleted: 0 },
      });
      res.status(500).json({ ok: false, error: { name, message } });
      return;
    }
    const entry = {
      exitCode: result.exitCode,
      counts: result.counts,
      scopes: result.scopes,
      resources: result.resources,
      published: result.published,
      metrics: result.metrics,
    };
    if (result.ok) logger.info('audit finished', entry);
    else logger.error('audit incomplete or not published', entry);
    res.status(result.ok ? 200 : 500).json(result);
  };
}

/**
 * The dependencies of a deployed function, built once per instance on the first request (a bad
 * policy then fails that request, visibly).
 */
function defaultDependencies(job: ScheduledAuditGcpJob): () => ScheduledAuditGcpDependencies {
  let dependencies: ScheduledAuditGcpDependencies | undefined;
  return () => {
    if (dependencies === undefined) {
      const logger = createGcpLogger(job.job);
      const policy = loadFunctionPolicy();
      const gcp = GcpClientFactory.fromEnv();
      let aws: AwsClientFactory | undefined;
      const endpoint = process.env.AWS_ENDPOINT_URL?.trim();
      dependencies = {
        policy,
        gcp,
        awsFactory: () => {
          aws ??= createFederatedAwsFactory(policy, endpoint ? { endpoint } : {});
          return aws;
        },
        logger,
      };
    }
    return dependencies;
  };
}

/** Serve a scheduled audit as the Functions Framework function `job.name`. */
export function registerScheduledAudit(job: ScheduledAuditGcpJob): void {
  functions.http(job.name, createScheduledAuditHandler(job));
}
