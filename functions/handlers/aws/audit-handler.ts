/**
 * The wiring every scheduled audit Lambda shares (`audit-pitr`, `audit-dumps`, …): validate the
 * schedule's input against the policy, load the bundled policy once, run ONE audit job over the
 * handler's check groups, record its metrics, and surface a publication that lost findings as an
 * error (Errors alarm, DLQ). A handler file is one {@link auditHandler} call naming its service and
 * groups.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { AwsCollectors } from '../../aws/collectors.ts';
import { LEDGER_BUCKET_ENV } from '../../aws/ledger-location.ts';
import { prepareAwsPlanning } from '../../aws/planner.ts';
import { type AuditReport, scopeKey } from '../../core/audit.ts';
import { describeError, withFramesOnlyForFaults } from '../../core/errors.ts';
import type { CheckGroup } from '../../core/finding.ts';
import type { Policy } from '../../core/policy.ts';
import * as z from '../../core/zod.ts';
import { runAuditJob } from '../../jobs/audit.ts';
import { checkGroup } from '../../jobs/groups.ts';
import { assertPublicationLanded, type DeliveredPublication } from '../../jobs/publish.ts';
import {
  type AwsFunctionDependencies,
  assertRunRegions,
  functionDependencies,
  parseFunctionInput,
  runRegionsSchema,
} from './function-dependencies.ts';
import { createObservability, recordAuditMetrics } from './observability.ts';

/**
 * What a schedule may pass (its `Input`); an empty or absent payload audits the whole policy. An
 * EventBridge Scheduler target receives exactly the schedule's `Input` (the stack sets `{}`).
 */
export const auditInputSchema = z.pipe(
  z.nullish(
    z.strictObject({
      /** Audit only these regions: each must be one the policy audits (any region when it says `all`). */
      regions: runRegionsSchema,
      /** Override `policy.securityHub.enabled` for this run. */
      publish: z.optional(z.boolean()),
    }),
  ),
  z.transform((value) => value ?? {}),
);

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

export interface AuditLambdaDependencies extends AwsFunctionDependencies {
  readonly now?: () => Date;
  /** The import ledger's bucket (`BACKUP_GUARD_LEDGER_BUCKET`), in `homeRegion`; none: every run reads Security Hub in full. */
  readonly ledgerBucket?: string | undefined;
}

export interface AuditHandlerOptions {
  /** The job's name: the Powertools `service` of its logs and metrics, and the name in errors. */
  readonly service: string;
  /** The check groups the job runs. */
  readonly groups: readonly CheckGroup[];
  /** Their collectors, and only theirs: the Lambda bundles the clients they import. */
  readonly collectors: AwsCollectors;
}

/** One audit Lambda: its input parser, the plain function tests call, and the middy handler. */
export interface AuditLambda {
  /**
   * Parse the schedule's input, naming the bad field. The input may narrow the run, never widen it:
   * a region the policy does not list is refused (the role is granted exactly the policy's regions,
   * and a run elsewhere would read and publish where nobody configured it). With `aws.regions: all`
   * any region name is accepted; one not enabled in an account fails that scope, visibly.
   */
  parseInput(event: unknown, policy: Policy): z.output<typeof auditInputSchema>;
  /** The plain function behind the handler: tests call it with their own dependencies. */
  run(event: unknown, deps: AuditLambdaDependencies): Promise<AuditLambdaResult>;
  /**
   * {@link AuditLambda.run} for the deployed handler: whatever fails (a bad event, a bad or missing
   * policy, an import that did not land) first writes one structured ERROR log line and the run
   * metric (`AuditRuns` 1, `AuditCompleted` 0), then throws, so the Errors alarm, the not-completed
   * alarm and a log query all see the failure (a user mistake with no stack frames:
   * `withFramesOnlyForFaults`). `logMetrics` flushes the metrics on error too.
   */
  runWithEvidence(
    event: unknown,
    deps: () => AuditLambdaDependencies,
    observability?: { readonly logger: Observability['logger']; readonly metrics: Observability['metrics'] },
  ): Promise<AuditLambdaResult>;
  readonly handler: (event: unknown, context: unknown) => Promise<AuditLambdaResult>;
  /**
   * Settled once init has made what every run makes first (the dependencies, and the STS and
   * Account clients, {@link prepareAwsPlanning}); never rejects. The handler module awaits it at
   * top level, so a Lambda's init does this, not its first invocation.
   */
  readonly ready: Promise<void>;
  readonly logger: Observability['logger'];
  readonly metrics: Observability['metrics'];
}

/** Build the audit Lambda of `service` over `groups`. */
export function auditHandler(options: AuditHandlerOptions): AuditLambda {
  const { logger, metrics } = createObservability(options.service);
  /** Errors thrown after the run's metrics were recorded, so `runWithEvidence` does not record a second run. */
  const afterRunMetrics = new WeakSet<object>();

  const parseInput: AuditLambda['parseInput'] = (event, policy) => {
    const input = parseFunctionInput(options.service, auditInputSchema, event);
    assertRunRegions(options.service, input.regions, policy);
    return input;
  };

  const run: AuditLambda['run'] = async (event, deps) => {
    const input = parseInput(event, deps.policy);
    const outcome = await runAuditJob(
      {
        providers: ['aws'],
        groups: options.groups,
        ...(input.regions ? { regions: input.regions } : {}),
        ...(input.publish === undefined ? {} : { publish: input.publish }),
      },
      {
        policy: deps.policy,
        aws: { factory: deps.factory, collectors: options.collectors, homeRegion: deps.homeRegion },
        publisher: {
          factory: () => deps.factory,
          accounts: deps.policy.aws.accounts,
          homeRegion: deps.homeRegion,
          ...(deps.ledgerBucket
            ? {
                // Loaded when the run publishes: the S3 client is not part of the cold start.
                ledger: async () =>
                  (await import('../../aws/ledger-store.ts')).s3LedgerStore(
                    deps.factory,
                    deps.ledgerBucket as string,
                    deps.homeRegion ?? 'us-east-1',
                  ),
              }
            : {}),
        },
        logger: deps.logger,
        ...(deps.now ? { now: deps.now } : {}),
      },
    );
    // A run whose findings did not all land has not completed (AuditCompleted 0, from the job's
    // outcome): the not-completed alarm sees it too.
    recordAuditMetrics(deps.metrics, outcome.metrics);
    deps.logger.info('audit finished', {
      counts: outcome.report.counts,
      exitCode: outcome.exitCode,
      publication: outcome.publication.status,
    });
    // What did not land is an error the Lambda must surface (Errors alarm, DLQ); the rest landed, and
    // the job has logged the failures and recorded the run's metrics.
    try {
      assertPublicationLanded(outcome.publication);
    } catch (error) {
      if (typeof error === 'object' && error !== null) afterRunMetrics.add(error);
      throw error;
    }
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

  const runWithEvidence: AuditLambda['runWithEvidence'] = async (
    event,
    deps,
    observability = { logger, metrics },
  ) => {
    try {
      return await run(event, deps());
    } catch (error) {
      if (!(typeof error === 'object' && error !== null && afterRunMetrics.has(error))) {
        observability.metrics.addMetric('AuditRuns', MetricUnit.Count, 1);
        observability.metrics.addMetric('AuditCompleted', MetricUnit.Count, 0);
      }
      observability.logger.error('audit failed', {
        error: {
          name: error instanceof Error ? error.name : 'Error',
          message: describeError(error),
        },
      });
      throw withFramesOnlyForFaults(error);
    }
  };

  const defaultDependencies = functionDependencies(
    { logger, metrics },
    (base): AuditLambdaDependencies => ({
      ...base,
      ledgerBucket: process.env[LEDGER_BUCKET_ENV] || undefined,
    }),
  );

  // Built at init, as AWS advises for SDK clients: the bundled policy, the client factory, and the
  // clients every run makes before it reads a Region. A policy that does not load here is left for
  // the first invocation, which meets the same error and logs it with the run's evidence.
  const ready = (async () => {
    let dependencies: AuditLambdaDependencies;
    try {
      dependencies = defaultDependencies();
    } catch {
      return;
    }
    const { policy, factory, homeRegion } = dependencies;
    await prepareAwsPlanning(policy, factory, {
      groups: options.groups,
      placesOf: (name) => checkGroup(name)?.places?.(policy, 'aws'),
      ...(homeRegion ? { homeRegion } : {}),
    }).catch(() => {});
  })();

  const handler = middy((event: unknown) => runWithEvidence(event, defaultDependencies))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));

  return {
    parseInput,
    run,
    runWithEvidence,
    handler: handler as AuditLambda['handler'],
    ready,
    logger,
    metrics,
  };
}
