/**
 * The wiring every scheduled audit Lambda shares (`audit-pitr`, `audit-dumps`): validate the
 * schedule's input, load the bundled policy once, run ONE audit job over the handler's check groups,
 * record its metrics, and surface a publication that lost findings as an error (Errors alarm, DLQ).
 * A handler file is one {@link auditHandler} call naming its service and groups.
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

/** What a schedule may pass (its `Input`); an empty or absent payload audits the whole policy. */
export const auditInputSchema = z
  .strictObject({
    /** Audit only these regions. */
    regions: z.array(z.string().min(1)).min(1).optional(),
    /** Override `policy.securityHub.enabled` for this run. */
    publish: z.boolean().optional(),
  })
  .nullish()
  .transform((value) => value ?? {});

export type AuditLambdaInput = z.input<typeof auditInputSchema>;

export interface AuditLambdaResult {
  readonly exitCode: number;
  readonly verdict: string;
  readonly counts: AuditReport['counts'];
  readonly scopes: { readonly evaluated: number; readonly failed: readonly string[] };
  /** Absent when the run did not publish; a publication that lost findings throws instead. */
  readonly published?: DeliveredPublication;
}

type Observability = ReturnType<typeof createObservability>;

export interface AuditLambdaDependencies {
  readonly policy: Policy;
  readonly factory: AwsClientFactory;
  readonly logger: Observability['logger'];
  readonly metrics: Observability['metrics'];
  readonly now?: () => Date;
  /** The Lambda's own region (`AWS_REGION`), for account-level calls. */
  readonly homeRegion?: string | undefined;
}

export interface AuditHandlerOptions {
  /** The job's name: the Powertools `service` of its logs and metrics, and the name in errors. */
  readonly service: string;
  /** The check groups the job runs. */
  readonly groups: readonly CheckGroup[];
}

/** One audit Lambda: its input parser, the plain function tests call, and the middy handler. */
export interface AuditLambda {
  parseInput(event: unknown): z.output<typeof auditInputSchema>;
  run(event: unknown, deps: AuditLambdaDependencies): Promise<AuditLambdaResult>;
  readonly handler: (event: unknown, context: unknown) => Promise<AuditLambdaResult>;
  readonly logger: Observability['logger'];
  readonly metrics: Observability['metrics'];
}

/** Build the audit Lambda of `service` over `groups`. */
export function auditHandler(options: AuditHandlerOptions): AuditLambda {
  const { logger, metrics } = createObservability(options.service);

  const parseInput = (event: unknown): z.output<typeof auditInputSchema> => {
    const parsed = auditInputSchema.safeParse(event);
    if (parsed.success) return parsed.data;
    const issues = inputIssues(parsed.error.issues).map((issue) => `${issue.path}: ${issue.message}`);
    throw new InputError(`${options.service} input is invalid: ${issues.join('; ')}`);
  };

  const run = async (event: unknown, deps: AuditLambdaDependencies): Promise<AuditLambdaResult> => {
    const input = parseInput(event);
    const outcome = await runAuditJob(
      {
        providers: ['aws'],
        groups: options.groups,
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
    // What did not land is an error the Lambda must surface (Errors alarm, DLQ); the rest landed,
    // and the job has logged the failures.
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
  };

  let dependencies: AuditLambdaDependencies | undefined;
  const defaultDependencies = (): AuditLambdaDependencies => {
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

  const handler = middy((event: unknown) => run(event, defaultDependencies()))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));

  return { parseInput, run, handler: handler as AuditLambda['handler'], logger, metrics };
}
