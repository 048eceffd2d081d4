/**
 * `snapshot` Lambda: invoked asynchronously (InvocationType Event) by ChatOps with a request, and
 * by its schedule and the EventBridge rule on AWS Health / RDS maintenance notifications, which run
 * the maintenance-aware job. Asynchronous invocations are retried and may be delivered twice
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html), so the job runs idempotently
 * per request id on the DynamoDB table the deployment names (a request re-sent after a result with a
 * failed snapshot runs once more: functions/jobs/snapshot-once.ts), and so does each maintenance
 * event's request of a scan. Metrics `SnapshotsFailed` (alarmed:
 * every target not delivered, as the exit code counts them, a snapshot still creating at the wait
 * deadline included; of a scan, not an event an overlapping scan still runs: that one counts it) and
 * `SnapshotsAvailable` count targets.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { awsSnapshotCloud } from '../../actions/snapshot/aws.ts';
import { ownAccountPolicy } from '../../actions/snapshot/backend.ts';
import { emptyCounts } from '../../actions/snapshot/model.ts';
import { DEFAULT_HOME_REGION } from '../../aws/clients.ts';
import { dynamoRunRecords } from '../../aws/run-records-table.ts';
import { describeError, withFramesOnlyForFaults } from '../../core/errors.ts';
import type { Policy } from '../../core/policy.ts';
import {
  functionWaitEndsBy,
  SNAPSHOT_ANSWER_MARGIN_MS,
  snapshotRunBoundMs,
} from '../../core/snapshots-policy.ts';
import * as z from '../../core/zod.ts';
import {
  DuplicateStillRunningError,
  type IdempotencyStore,
  idempotencyTableName,
} from '../../jobs/idempotency.ts';
import {
  type MaintenanceJobResult,
  maintenanceSnapshotsFailed,
  runMaintenanceJob,
} from '../../jobs/maintenance.ts';
import {
  runSnapshotJob,
  type SnapshotJobResult,
  type SnapshotRequest,
  snapshotRequestFields,
  snapshotsNotDelivered,
} from '../../jobs/snapshot.ts';
import { idempotentSnapshotJob } from '../../jobs/snapshot-once-table.ts';
import {
  type AwsFunctionDependencies,
  functionDependencies,
  parseFunctionInput,
} from './function-dependencies.ts';
import { createObservability } from './observability.ts';

export { IDEMPOTENCY_TABLE_ENV } from '../../jobs/idempotency.ts';

export const snapshotEventSchema = z.strictObject({
  ...snapshotRequestFields,
  maintenanceEvent: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
});

export function parseSnapshotEvent(event: unknown): SnapshotRequest {
  return parseFunctionInput('snapshot', snapshotEventSchema, event);
}

const { logger, metrics } = createObservability('snapshot');

export interface SnapshotHandlerDependencies extends AwsFunctionDependencies {
  readonly dynamo: DynamoDBClient;
  readonly tableName: string;
  /** Time left before Lambda stops the function (the invocation context's); unbounded when absent. */
  readonly remainingTimeMs?: () => number;
}

/**
 * When this invocation stops waiting, for its snapshots and for an earlier delivery of its request:
 * {@link SNAPSHOT_ANSWER_MARGIN_MS} before Lambda would stop it, so targets still creating, or a
 * request an earlier delivery still runs, are answered as such instead of the whole answer being
 * lost. None without a remaining time to read.
 */
function answerDeadline(deps: SnapshotHandlerDependencies): Date | undefined {
  const remainingMs = deps.remainingTimeMs?.();
  return remainingMs === undefined ? undefined : functionWaitEndsBy(new Date(), remainingMs);
}

/** The job's dependencies for one invocation, its wait ending by `waitEndsBy`. */
function jobDependencies(deps: SnapshotHandlerDependencies, waitEndsBy: Date | undefined) {
  // Databases of its own account only: member roles are read-only, and the role's snapshot grants
  // name this account (as chat and the CLI's snapshot and prune).
  const policy = ownAccountPolicy(deps.policy);
  return {
    policy,
    clouds: [awsSnapshotCloud({ policy, factory: deps.factory, homeRegion: deps.homeRegion })],
    logger: deps.logger,
    // Each snapshot taken is recorded in the idempotency table: prune deletes only what a record names.
    runRecords: dynamoRunRecords(deps.dynamo, deps.tableName),
    ...(waitEndsBy ? { waitEndsBy } : {}),
  };
}

/**
 * A maintenance trigger rather than a request: the schedule's empty input, or an EventBridge event
 * from AWS Health or RDS (`source` aws.health / aws.rds).
 */
export function isMaintenanceTrigger(event: unknown): boolean {
  if (event === null || event === undefined) return true;
  if (typeof event !== 'object') return false;
  const record = event as Record<string, unknown>;
  if (Object.keys(record).length === 0) return true;
  return record.source === 'aws.health' || record.source === 'aws.rds';
}

/** The handler: a snapshot request (ChatOps), or a maintenance scan (schedule, Health/RDS events). */
export async function snapshotOrMaintenance(
  event: unknown,
  deps: SnapshotHandlerDependencies,
): Promise<SnapshotJobResult | MaintenanceJobResult> {
  if (!isMaintenanceTrigger(event)) return snapshotLambda(event, deps);
  const waitEndsBy = answerDeadline(deps);
  const job = jobDependencies(deps, waitEndsBy);
  // Each maintenance event's request runs once on the idempotency table, as a chat request does:
  // a scan that waited for another request's snapshot is replayed, never followed by a snapshot of
  // its own. Unattended: replayed only while delivered, anything else run again by the next scan
  // (functions/jobs/snapshot-once.ts). Its replay is not judged against readinessMaxAgeHours: the
  // horizon may be longer, and a scan that adopts its own earlier snapshot by name does not judge it either.
  const result = await runMaintenanceJob(job, (run) =>
    idempotentSnapshotJob(run, requestStore(deps, waitEndsBy), {
      retentionDays: deps.policy.snapshots.expiryDays,
      clouds: job.clouds,
      selection: deps.policy.targets,
      unattended: true,
    }),
  );
  deps.metrics.addMetric('SnapshotsFailed', MetricUnit.Count, maintenanceSnapshotsFailed(result.snapshots));
  deps.metrics.addMetric('MaintenanceScanCompleted', MetricUnit.Count, result.problems.length === 0 ? 1 : 0);
  deps.logger.info('maintenance scan finished', {
    events: result.events.length,
    later: result.later,
    problems: result.problems,
  });
  return result;
}

/**
 * Where this function remembers requests: the deployment's idempotency table. A duplicate waits for
 * the first run's result at most `waitMinutes`, and never past `answerBy` (the invocation's answer
 * deadline): `waitMinutes` (default 60) outlasts the function (15 minutes).
 */
function requestStore(deps: SnapshotHandlerDependencies, answerBy: Date | undefined): IdempotencyStore {
  return {
    tableName: deps.tableName,
    client: deps.dynamo,
    waitForFirstMs: deps.policy.snapshots.waitMinutes * 60_000,
    ...(answerBy ? { waitForFirstUntil: answerBy } : {}),
    // The claim holds for the invocation's remaining time; only where there is none, as long as a run lasts.
    ...(deps.remainingTimeMs ? { remainingTimeMs: deps.remainingTimeMs } : {}),
    longestRunMs: snapshotRunBoundMs(deps.policy.snapshots),
    onRecordError: (error) =>
      deps.logger.warn('snapshot result not recorded; a repeat after the claim expires may run again', {
        error: describeError(error),
      }),
  };
}

/** A snapshot request, run once per request id. */
export async function snapshotLambda(
  event: unknown,
  deps: SnapshotHandlerDependencies,
): Promise<SnapshotJobResult> {
  const request = parseSnapshotEvent(event);
  const waitEndsBy = answerDeadline(deps);
  const job = jobDependencies(deps, waitEndsBy);
  const run = idempotentSnapshotJob(
    // The request's first acceptance, from its idempotency record: the snapshots of it a re-run
    // adopts are recorded only when the cloud made them no earlier.
    (r: SnapshotRequest, accepted) => runSnapshotJob(r, { ...job, ...accepted }),
    requestStore(deps, waitEndsBy),
    // A replayed result's snapshots are judged for age and read again (functions/jobs/snapshot-once.ts).
    {
      readinessMaxAgeHours: deps.policy.snapshots.readinessMaxAgeHours,
      retentionDays: deps.policy.snapshots.expiryDays,
      clouds: job.clouds,
      selection: deps.policy.targets,
    },
  );
  const startedAt = new Date();
  let result: SnapshotJobResult;
  try {
    result = await run(request);
  } catch (error) {
    if (!(error instanceof DuplicateStillRunningError)) throw error;
    result = stillRunningAnswer(request, startedAt, error);
    deps.logger.warn('snapshot request still run by an earlier delivery', { requestId: request.requestId });
  }
  deps.metrics.addMetric('SnapshotsAvailable', MetricUnit.Count, result.counts.available);
  deps.metrics.addMetric('SnapshotsFailed', MetricUnit.Count, snapshotsNotDelivered(result.results));
  deps.logger.info('snapshot request finished', {
    requestId: result.requestId,
    counts: result.counts,
    problems: result.problems,
  });
  return result;
}

/**
 * The answer of a delivery whose request an earlier delivery still runs past this one's answer
 * deadline: nothing was run for it, and the earlier delivery answers with the snapshots (its return
 * value and log line). Not a failure of the request (`SnapshotsFailed` counts none of it: the earlier
 * delivery counts its targets), and not thrown, so Lambda does not deliver it yet again.
 */
function stillRunningAnswer(
  request: SnapshotRequest,
  startedAt: Date,
  error: DuplicateStillRunningError,
): SnapshotJobResult {
  return {
    requestId: request.requestId,
    requestedTargets: request.targets && request.targets.length > 0 ? [...request.targets] : null,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    results: [],
    counts: emptyCounts(),
    problems: [
      `request ${request.requestId} is already running (an earlier delivery of it) and did not finish within the ${Math.round(error.waitedMs / 1000)} s this delivery could wait before Lambda would stop it; nothing was run for this delivery: the earlier delivery answers with its snapshots (its result, log line "snapshot request finished"), and the same request sent again once it has finished returns that result`,
    ],
    unread: [],
  };
}

/**
 * {@link snapshotOrMaintenance} for the deployed handler: whatever it throws (a bad request, a bad or
 * missing policy, a scan that could not run; `deps` is built inside, so a policy that does not load
 * is caught too) first writes one structured ERROR log line (the error's
 * name and message, never the event) and the metrics of a failed run, as the audit handler does
 * (functions/handlers/aws/audit-handler.ts), then throws, so the Errors alarm, the DLQ and a log
 * query see it as before (a user mistake with no stack frames: `withFramesOnlyForFaults`). A request that cannot run counts `SnapshotsFailed` 1 (alarmed): the
 * snapshots it asked for were not delivered, and how many it named cannot be told from a request
 * that did not parse. A scan counts `MaintenanceScanCompleted` 0 (the did-not-complete alarm).
 */
export async function snapshotWithEvidence(
  event: unknown,
  deps: () => SnapshotHandlerDependencies,
  observability: Pick<SnapshotHandlerDependencies, 'logger' | 'metrics'> = { logger, metrics },
): Promise<SnapshotJobResult | MaintenanceJobResult> {
  try {
    return await snapshotOrMaintenance(event, deps());
  } catch (error) {
    if (isMaintenanceTrigger(event)) {
      observability.metrics.addMetric('MaintenanceScanCompleted', MetricUnit.Count, 0);
    } else {
      observability.metrics.addMetric('SnapshotsAvailable', MetricUnit.Count, 0);
      observability.metrics.addMetric('SnapshotsFailed', MetricUnit.Count, 1);
    }
    observability.logger.error(
      isMaintenanceTrigger(event) ? 'maintenance scan failed' : 'snapshot request failed',
      {
        error: { name: error instanceof Error ? error.name : 'Error', message: describeError(error) },
      },
    );
    throw withFramesOnlyForFaults(error);
  }
}

const defaultDependencies = functionDependencies(
  { logger, metrics },
  (base): SnapshotHandlerDependencies => ({
    ...base,
    dynamo: base.factory.client(DynamoDBClient, base.homeRegion ?? DEFAULT_HOME_REGION),
    tableName: idempotencyTableName(base.policy),
  }),
);

export const handler = middy((event: unknown, context: Context) =>
  snapshotWithEvidence(event, () => ({
    ...defaultDependencies(),
    remainingTimeMs: () => context.getRemainingTimeInMillis(),
  })),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
