/**
 * `audit-pitr` Lambda: run by an EventBridge Scheduler schedule, audits managed-Postgres PITR in
 * every configured account and region, records metrics, and publishes the findings to Security
 * Hub when the policy enables it. The handler only wires: input validation, policy, one core call.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { auditAwsPitr } from '../../aws/audit.ts';
import { AwsClientFactory } from '../../aws/clients.ts';
import { type AuditReport, exitCodeFor, scopeKey } from '../../core/audit.ts';
import { InputError, inputIssues } from '../../core/errors.ts';
import { loadPolicyFromEnv, type Policy } from '../../core/policy.ts';
import {
  assertPublished,
  type PublishResult,
  publishToSecurityHub,
} from '../../publish/security-hub/index.ts';
import { summarize } from '../../publish/summary.ts';
import { createObservability, recordAuditMetrics } from './observability.ts';

/** What the schedule may pass (its `Input`); an empty or absent payload audits the whole policy. */
export const auditPitrInputSchema = z
  .strictObject({
    /** Audit only these regions. */
    regions: z.array(z.string().min(1)).min(1).optional(),
    /** Override `policy.securityHub.enabled` for this run. */
    publish: z.boolean().optional(),
  })
  .nullish()
  .transform((value) => value ?? {});

export type AuditPitrInput = z.input<typeof auditPitrInputSchema>;

export interface AuditPitrResult {
  readonly exitCode: number;
  readonly verdict: string;
  readonly counts: AuditReport['counts'];
  readonly scopes: { readonly evaluated: number; readonly failed: readonly string[] };
  readonly published?: Omit<PublishResult, 'failed'> & { readonly failed: number };
}

const { logger, metrics } = createObservability('audit-pitr');

export interface AuditPitrDependencies {
  readonly policy: Policy;
  readonly factory: AwsClientFactory;
  readonly logger: typeof logger;
  readonly metrics: typeof metrics;
  readonly now?: () => Date;
  /** The Lambda's own region (`AWS_REGION`), for account-level calls. */
  readonly homeRegion?: string | undefined;
}

/** Parse the schedule's input, naming the bad field. */
export function parseAuditPitrInput(event: unknown): z.output<typeof auditPitrInputSchema> {
  const parsed = auditPitrInputSchema.safeParse(event);
  if (parsed.success) return parsed.data;
  const issues = inputIssues(parsed.error.issues).map((issue) => `${issue.path}: ${issue.message}`);
  throw new InputError(`audit-pitr input is invalid: ${issues.join('; ')}`);
}

/** The plain function behind the handler: tests call it with their own dependencies. */
export async function auditPitr(event: unknown, deps: AuditPitrDependencies): Promise<AuditPitrResult> {
  const input = parseAuditPitrInput(event);
  const report = await auditAwsPitr({
    policy: deps.policy,
    factory: deps.factory,
    ...(input.regions ? { regions: input.regions } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    homeRegion: deps.homeRegion,
  });
  recordAuditMetrics(deps.metrics, report);
  const failedScopes = report.scopes.filter((scope) => scope.status === 'failed');
  for (const outcome of failedScopes) {
    deps.logger.error('scope not evaluated', { scope: outcome.scope, error: outcome.error });
  }
  const summary = summarize(report);
  deps.logger.info('audit finished', { counts: report.counts, exitCode: summary.exitCode });
  const result: AuditPitrResult = {
    exitCode: exitCodeFor(report),
    verdict: summary.verdict,
    counts: report.counts,
    scopes: {
      evaluated: summary.scopesEvaluated,
      failed: failedScopes.map((outcome) => scopeKey(outcome.scope)),
    },
  };
  if (!(input.publish ?? deps.policy.securityHub.enabled)) return result;
  const published = await publishToSecurityHub({
    report,
    policy: deps.policy,
    factory: deps.factory,
    accounts: deps.policy.aws.accounts,
    logger: deps.logger,
    metrics: deps.metrics,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.homeRegion ? { homeRegion: deps.homeRegion } : {}),
  });
  // The rest landed; what did not is an error the Lambda must surface (Errors alarm, DLQ). Log a
  // sample: a hub outage fails thousands, and one log event may hold at most 256 KB.
  if (published.failed.length > 0) {
    deps.logger.error('findings not imported', {
      failedCount: published.failed.length,
      sample: published.failed.slice(0, 20),
    });
  }
  assertPublished(published);
  return { ...result, published: { ...published, failed: 0 } };
}

let dependencies: AuditPitrDependencies | undefined;

function defaultDependencies(): AuditPitrDependencies {
  if (!dependencies) {
    const policy = loadPolicyFromEnv();
    dependencies = {
      policy,
      factory: new AwsClientFactory({
        maxAttempts: policy.aws.maxAttempts,
        stsRegion: process.env.AWS_REGION,
      }),
      logger,
      metrics,
      homeRegion: process.env.AWS_REGION,
    };
  }
  return dependencies;
}

export const handler = middy((event: unknown) => auditPitr(event, defaultDependencies()))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
