/**
 * `readiness` Lambda: go/no-go before a CA rotation (ChatOps asks it). Returns the verdict with
 * every gate's evidence; it writes nothing. It audits with {@link awsCollectors}, whose adapters
 * load on first use, so it loads only the groups the policy configures.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { awsSnapshotCloud } from '../../actions/snapshot/aws.ts';
import { awsCollectors } from '../../aws/collectors.ts';
import { describeError, withFramesOnlyForFaults } from '../../core/errors.ts';
import * as z from '../../core/zod.ts';
import { type ReadinessResult, runReadinessJob } from '../../jobs/readiness.ts';
import {
  type AwsFunctionDependencies,
  assertRunRegions,
  functionDependencies,
  parseFunctionInput,
  runRegionsSchema,
} from './function-dependencies.ts';
import { createObservability } from './observability.ts';

export const readinessEventSchema = z.pipe(
  z.nullish(z.strictObject({ regions: runRegionsSchema })),
  z.transform((value) => value ?? {}),
);

const { logger, metrics } = createObservability('readiness');

export type ReadinessHandlerDependencies = AwsFunctionDependencies;

export async function readinessLambda(
  event: unknown,
  deps: ReadinessHandlerDependencies,
): Promise<ReadinessResult> {
  const input = parseFunctionInput('readiness', readinessEventSchema, event);
  assertRunRegions('readiness', input.regions, deps.policy);
  const result = await runReadinessJob(
    { providers: ['aws'], ...(input.regions ? { regions: input.regions } : {}) },
    {
      policy: deps.policy,
      aws: { factory: deps.factory, collectors: awsCollectors, homeRegion: deps.homeRegion },
      clouds: [awsSnapshotCloud({ ...deps, regions: input.regions })],
      logger: deps.logger,
    },
  );
  deps.metrics.addMetric('ReadinessGo', MetricUnit.Count, result.verdict === 'GO' ? 1 : 0);
  deps.logger.info('readiness', { verdict: result.verdict, notEvaluated: result.notEvaluated });
  return result;
}

/**
 * {@link readinessLambda} for the deployed handler: whatever it throws (a bad event, a policy that
 * does not load; `deps` is built inside, so that failure is caught too) first writes one structured
 * ERROR log line (the error's name and message, never the event) and `ReadinessGo` 0, as the audit
 * and snapshot handlers write theirs, then throws, so the caller, the Errors alarm and a log query
 * all see it: a user mistake with its message alone, no stack frames (`withFramesOnlyForFaults`: the
 * runtime returns a thrown error's stack to a synchronous caller as `trace`).
 */
export async function readinessWithEvidence(
  event: unknown,
  deps: () => ReadinessHandlerDependencies,
  observability: Pick<ReadinessHandlerDependencies, 'logger' | 'metrics'> = { logger, metrics },
): Promise<ReadinessResult> {
  try {
    return await readinessLambda(event, deps());
  } catch (error) {
    observability.metrics.addMetric('ReadinessGo', MetricUnit.Count, 0);
    observability.logger.error('readiness failed', {
      error: { name: error instanceof Error ? error.name : 'Error', message: describeError(error) },
    });
    throw withFramesOnlyForFaults(error);
  }
}

const defaultDependencies = functionDependencies({ logger, metrics });

export const handler = middy((event: unknown) => readinessWithEvidence(event, defaultDependencies))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
