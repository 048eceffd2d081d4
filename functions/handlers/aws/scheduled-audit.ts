/**
 * The wiring every scheduled audit Lambda shares (`audit-pitr`, `audit-keys`): the schedule's input
 * schema, the plain function that runs the audit job for the Lambda's check groups, and the middy
 * handler with Powertools logging and metrics. A handler file names its job and groups and exports
 * what this returns; nothing else differs between the audit Lambdas.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { AwsClientFactory } from '../../aws/clients.ts';
import { type AuditReport, scopeKey } from '../../core/audit.ts';
import { InputError, inputIssues } from '../../core/errors.ts';
import type { CheckGroup } from '../../core/finding.ts';
import { loadFunctionPolicy, type Policy } from '../../core/policy.ts';
import { runAuditJob } from '../../jobs/audit.ts';
import { assertPublicationLanded, type DeliveredPublication } from '../../jobs/publish.ts';
import { createObservability, recordAuditMetrics } from './observability.ts';

/** What the schedule may pass (its `Input`); an empty or absent payload audits the whole policy. */
export const scheduledAuditInputSchema = z
  .strictObject({
    /** Audit only these regions. */
    regions: z.array(z.string().min(1)).min(1).optional(),
    /** Override `policy.securityHub.enabled` for this run. */
    publish: z.boolean().optional(),
  })
  .nullish()
  .transform((value) => value ?? {});

export type ScheduledAuditInput = z.input<typeof scheduledAuditInputSchema>;

export interface ScheduledAuditResult {
  readonly exitCode: number;
  readonly verdict: string;
  readonly counts: AuditReport['counts'];
  readonly scopes: { readonly evaluated: number; readonly failed: readonly string[] };
  /** Absent when the run did not publish; a publication that lost findings throws instead. */
  readonly published?: DeliveredPublication;
}

type Observability = ReturnType<typeof createObservability>;

export interface ScheduledAuditDependencies {
  readonly policy: Policy;
  readonly factory: AwsClientFactory;
  readonly logger: Observability['logger'];
  readonly metrics: Observability['metrics'];
  readonly now?: () => Date;
  /** The Lambda's own region (`AWS_REGION`), for account-level calls. */
  readonly homeRegion?: string | undefined;
}

/** Which audit a Lambda runs: its job name (Powertools service, role name) and check groups. */
export interface ScheduledAuditJob {
  readonly job: string;
  readonly groups: readonly CheckGroup[];
}

/** Parse the schedule's input, naming the bad field. */
export function parseScheduledAuditInput(
  event: unknown,
  job: string,
): z.output<typeof scheduledAuditInputSchema> {
  const parsed = scheduledAuditInputSchema.safeParse(event);
  if (parsed.success) return parsed.data;
  const issues = inputIssues(parsed.error.issues).map((issue) => `${issue.path}: ${issue.message}`);
  throw new InputError(`${job} input is invalid: ${issues.join('; ')}`);
}

/** The plain function behind a scheduled audit handler: tests call it with their own dependencies. */
export async function runScheduledAudit(
  { job, groups }: ScheduledAuditJob,
  event: unknown,
  deps: ScheduledAuditDependencies,
): Promise<ScheduledAuditResult> {
  const input = parseScheduledAuditInput(event, job);
  const outcome = await runAuditJob(
    {
      providers: ['aws'],
      groups,
      ...(input.regions ? { regions: input.regions } : {}),
      ...(input.publish === undefined ? {} : { publish: input.publish }),
    },
    {
      policy: deps.policy,
      aws: { factory: deps.factory, homeRegion: deps.homeRegion },
      publisher: {
        factory: () => deps.factory,
        accounts: deps.policy.aws.accounts,
        homeRegion: deps.homeRegion,
      },
      logger: deps.logger,
      ...(deps.now ? { now: deps.now } : {}),
    },
  );
  recordAuditMetrics(deps.metrics, outcome.metrics);
  deps.logger.info('audit finished', {
    counts: outcome.report.counts,
    exitCode: outcome.exitCode,
    publication: outcome.publication.status,
  });
  // What did not land is an error the Lambda must surface (Errors alarm, DLQ); the rest landed, and
  // the job has logged the failures.
  assertPublicationLanded(outcome.publication);
  const { report, publication } = outcome;
  return {
    exitCode: outcome.exitCode,
    verdict: outcome.verdict,
    counts: report.counts,
    scopes: {
      evaluated: report.scopes.filter((scope) => scope.status === 'complete').length,
      failed: report.scopes
        .filter((scope) => scope.status === 'failed')
        .map((scope) => scopeKey(scope.scope)),
    },
    ...(publication.status === 'published' ? { published: publication } : {}),
  };
}

/** The Lambda of a scheduled audit: its logger and metrics, and the middy handler. */
export function scheduledAuditLambda(job: ScheduledAuditJob) {
  const { logger, metrics } = createObservability(job.job);
  let dependencies: ScheduledAuditDependencies | undefined;
  const defaultDependencies = (): ScheduledAuditDependencies => {
    if (!dependencies) {
      const policy = loadFunctionPolicy();
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
  };
  const handler = middy((event: unknown) => runScheduledAudit(job, event, defaultDependencies()))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
  return { logger, metrics, handler };
}
