/**
 * The wiring every audit Cloud Function shares (`auditPitr`, `auditDumps`, …), 2nd gen with an HTTP
 * trigger: called by Cloud Scheduler with an OIDC token (Cloud Run IAM checks it before this code
 * runs: only the scheduler's service account holds `run.invoker`). It parses the body, runs ONE
 * audit job over the function's check groups in the policy's GCP projects, and publishes the
 * findings to Security Hub keylessly. Answers JSON; HTTP 500 (and an ERROR log entry) when a scope
 * could not be audited or publishing failed, so Cloud Scheduler retries and alerting sees it.
 * NOT_AVAILABLE findings alone answer 200 with `exitCode` 2, as the AWS Lambda returns normally
 * with exit code 2.
 *
 * Environment: `BACKUP_GUARD_POLICY` (the policy as JSON). For the simulator only:
 * `BACKUP_GUARD_CLOUDSQL_ENDPOINT` (every GCP API the audits call: Cloud SQL Admin, Cloud Storage,
 * Secret Manager, Cloud KMS, Resource Manager), `GCE_METADATA_HOST`,
 * `AWS_ENDPOINT_URL`.
 */
import type * as functions from '@google-cloud/functions-framework';
import type { AwsClientFactory } from '../../aws/clients.ts';
import { type AuditReport, scopeKey } from '../../core/audit.ts';
import { describeError, InputError, inputIssues, issuesLine } from '../../core/errors.ts';
import type { CheckGroup } from '../../core/finding.ts';
import { GCP_PROJECT } from '../../core/gcp-project.ts';
import type { StructuredLogger } from '../../core/logging.ts';
import { loadFunctionPolicy, type Policy } from '../../core/policy.ts';
import { withFieldGuesses } from '../../core/schema-fields.ts';
import * as z from '../../core/zod.ts';
import { GcpClientFactory } from '../../gcp/clients.ts';
import type { GcpClientSource, GcpCollectors } from '../../gcp/collectors.ts';
import { type AuditJobMetrics, runAuditJob } from '../../jobs/audit.ts';
import type { PublicationOutcome } from '../../jobs/publish.ts';
import { jsonBodyOf, passBodyParseFailuresToFunctions } from './framework.ts';
import { createGcpLogger } from './observability.ts';

/** What the scheduler job may send as its body; empty audits the whole policy. */
export const auditRequestSchema = z.strictObject({
  /** Audit only these projects. */
  projects: z.optional(
    z.array(z.string().check(z.regex(GCP_PROJECT, 'must be a GCP project id'))).check(z.minLength(1)),
  ),
  /** Override `policy.securityHub.enabled` for this run. */
  publish: z.optional(z.boolean()),
});

export type AuditRequest = z.output<typeof auditRequestSchema>;

/** What the function runs with; tests pass their own. */
export interface AuditFunctionDependencies {
  readonly policy: Policy;
  readonly gcp: GcpClientSource;
  /**
   * AWS clients for publishing, whose own credentials are the federated ones
   * (functions/gcp/federation.ts `createFederatedAwsFactory`); only built, and in the default
   * dependencies only loaded, when the run publishes.
   */
  readonly awsFactory: () => AwsClientFactory | Promise<AwsClientFactory>;
  readonly logger: StructuredLogger;
  readonly now?: () => Date;
}

/** The function's answer. */
export interface AuditFunctionResult {
  /**
   * False when Cloud Scheduler should see a failure (HTTP 500) and retry: a scope was not evaluated
   * or publishing did not land every finding (including federation refused). NOT_AVAILABLE findings
   * of evaluated scopes alone leave it true: they are findings, published like any other, and a 500
   * on every run would drown the real failures.
   */
  readonly ok: boolean;
  /** The audit's exit code as the CLI and the Lambda report it: 0 passed, 1 failed, 2 incomplete. */
  readonly exitCode: number;
  /**
   * The exit code in words, as the CLI and the Lambda say it; for exit code 2, why (the scopes not
   * read, the checks not evaluated, the targets not found), so the log line says it too.
   */
  readonly verdict: string;
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

export interface AuditFunctionOptions {
  /** The registered function name (the entry point), e.g. `auditDumps`; named in errors. */
  readonly name: string;
  /** The job's name in logs, e.g. `audit-dumps`. */
  readonly service: string;
  /** The check groups the function runs. */
  readonly groups: readonly CheckGroup[];
  /** Their collectors, and only theirs: the function bundles the clients they import. */
  readonly collectors: GcpCollectors;
  /**
   * The clients its groups read with, made from the Cloud SQL factory (dumps add Cloud Storage with
   * `withCloudStorage`); default: the factory itself. A function bundles only what it names here.
   */
  readonly clients?: (factory: GcpClientFactory) => GcpClientSource;
}

/** One audit Cloud Function: its body parser, the plain function tests call, and the HTTP handler. */
export interface AuditFunction {
  parseRequest(body: unknown): AuditRequest;
  run(request: AuditRequest, deps: AuditFunctionDependencies): Promise<AuditFunctionResult>;
  createHandler(deps?: () => AuditFunctionDependencies): functions.HttpFunction;
}

/** Build the audit Cloud Function `name` over `groups`. */
export function auditFunction(options: AuditFunctionOptions): AuditFunction {
  const { name } = options;
  passBodyParseFailuresToFunctions();
  const logger = createGcpLogger(options.service);

  const parseRequest = (body: unknown): AuditRequest => {
    const raw = jsonBodyOf(body, name);
    // No body at all audits the policy; a JSON `null` is a value the sender wrote, refused as any non-object.
    const parsed = auditRequestSchema.safeParse(raw === undefined ? {} : raw);
    if (parsed.success) return parsed.data;
    const issues = inputIssues(
      parsed.error.issues.map((issue) => withFieldGuesses(auditRequestSchema, issue)),
    );
    throw new InputError(`${name} body is invalid: ${issuesLine(issues)}`);
  };

  /**
   * Why the body may not run with this policy, or undefined: its projects may narrow the policy's
   * `gcp.projects`, never widen them (the AWS Lambdas' rule for regions, function-dependencies.ts
   * `assertRunRegions`): a project elsewhere would be read and its findings published where nobody
   * configured an audit. And `publish: true` needs the federation role to publish with: without it
   * the whole audit would run, then fail to publish (HTTP 500) on every retry.
   */
  const outsidePolicy = (request: AuditRequest, policy: Policy): string | undefined => {
    const allowed = policy.gcp.projects;
    const outside = (request.projects ?? []).filter((project) => !allowed.includes(project));
    if (outside.length > 0) {
      return `${name} body is invalid: projects: ${outside.join(', ')} not in the policy's gcp.projects (${allowed.join(', ') || 'none'}); a run may only narrow the policy's projects`;
    }
    if (request.publish === true && policy.gcp.federation === undefined) {
      return `${name} body is invalid: publish: true needs the policy's gcp.federation (the role findings are published with), which this deployment's policy does not set`;
    }
    return undefined;
  };

  /** Never throws for cloud failures, which the result reports. */
  const run = async (
    request: AuditRequest,
    deps: AuditFunctionDependencies,
  ): Promise<AuditFunctionResult> => {
    const outside = outsidePolicy(request, deps.policy);
    if (outside !== undefined) throw new InputError(outside);
    const outcome = await runAuditJob(
      {
        providers: ['gcp'],
        groups: options.groups,
        ...(request.projects ? { projects: request.projects } : {}),
        ...(request.publish === undefined ? {} : { publish: request.publish }),
      },
      {
        policy: deps.policy,
        gcp: { clients: deps.gcp, collectors: options.collectors },
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
      verdict: outcome.verdict,
      counts: report.counts,
      scopes: { evaluated: report.scopes.length - failed.length, failed },
      resources: report.scopes.reduce((sum, scope) => sum + scope.resources, 0),
      published: publication,
      metrics,
    };
  };

  let dependencies: AuditFunctionDependencies | undefined;
  /** Built once per instance, on the first request (a bad policy then fails that request, visibly). */
  const defaultDependencies = (): AuditFunctionDependencies => {
    if (dependencies === undefined) {
      const policy = loadFunctionPolicy();
      const factory = GcpClientFactory.fromEnv();
      const gcp = options.clients ? options.clients(factory) : factory;
      let aws: Promise<AwsClientFactory> | undefined;
      const endpoint = process.env.AWS_ENDPOINT_URL?.trim();
      dependencies = {
        policy,
        gcp,
        // The federation and the AWS SDK load on the first publishing run, not at cold start.
        awsFactory: () => {
          aws ??= import('../../gcp/federation.ts').then(({ createFederatedAwsFactory }) =>
            createFederatedAwsFactory(policy, endpoint ? { endpoint } : {}),
          );
          return aws;
        },
        logger,
      };
    }
    return dependencies;
  };

  const createHandler =
    (deps: () => AuditFunctionDependencies = defaultDependencies): functions.HttpFunction =>
    async (req, res) => {
      if (req.method !== 'POST') {
        res
          .status(405)
          .set('Allow', 'POST')
          .json({ error: `${name} is called with POST (Cloud Scheduler).` });
        return;
      }
      let request: AuditRequest;
      try {
        // The bytes as sent: a JSON body the framework could not parse reaches here too (./framework.ts).
        request = parseRequest(req.rawBody ?? req.body);
      } catch (error) {
        logger.warn('bad request', { error: describeError(error) });
        res.status(400).json({ error: describeError(error) });
        return;
      }
      let result: AuditFunctionResult;
      try {
        const dependencies = deps();
        const outside = outsidePolicy(request, dependencies.policy);
        if (outside !== undefined) {
          // The body's mistake, permanent: 400. Cloud Scheduler retries any failed attempt a few
          // times (infra/gcp/plan.ts), but its job's own body is fixed and never gets this.
          logger.warn('bad request', { error: outside });
          res.status(400).json({ error: outside });
          return;
        }
        result = await run(request, dependencies);
      } catch (error) {
        const errorName = error instanceof Error ? error.name : 'Error';
        const message = describeError(error);
        logger.error('audit did not run', {
          error: { name: errorName, message },
          metrics: { AuditRuns: 1, AuditCompleted: 0 },
        });
        res.status(500).json({ ok: false, error: { name: errorName, message } });
        return;
      }
      const entry = {
        exitCode: result.exitCode,
        verdict: result.verdict,
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

  return { parseRequest, run, createHandler };
}
