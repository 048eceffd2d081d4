/**
 * `chat-action` Lambda: runs a chat command handed over asynchronously by `chat-slack` or
 * `chat-amazon-q` (the shared action side: functions/chatops/action.ts), posting to Slack's
 * `response_url` or publishing Amazon Q answers to the channel's notification topic. Snapshots run
 * once per request key (the snapshot job's idempotency), so Lambda's own repeated deliveries and
 * Slack's retries take one snapshot; a repeated delivery of the same hand-off is neither run nor
 * answered again (a marker in the same table: functions/aws/chat-deliveries.ts), nor is one that
 * finds the marker of a run that has not ended (it returns `running`: the function is not retried,
 * retryAttempts 0, so failing it would bring nothing back; a run that crashed or timed out goes to
 * its on-failure destination, `chat-unfinished`, which tells the user: chat-unfinished.ts). Metrics:
 * `ChatCommandsCompleted`, `ChatCommandsFailed` (alarmed), `ChatAnswersNotDelivered`.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { awsSnapshotCloud } from '../../actions/snapshot/aws.ts';
import { ownAccountPolicy } from '../../actions/snapshot/backend.ts';
import { dynamoDeliveryDone, dynamoFirstDelivery } from '../../aws/chat-deliveries.ts';
import {
  amazonQReplier,
  amazonQThreadId,
  CHAT_NOTIFICATION_TOPIC_ENV,
  type SnsSender,
  snsClientOnFirstSend,
} from '../../aws/chat-notifications.ts';
import { AwsClientFactory, DEFAULT_HOME_REGION } from '../../aws/clients.ts';
import { awsCollectors } from '../../aws/collectors.ts';
import { LEDGER_BUCKET_ENV } from '../../aws/ledger-location.ts';
import { dynamoRunRecords } from '../../aws/run-records-table.ts';
import { type ChatActionOptions, type ChatActionOutcome, runChatAction } from '../../chatops/action.ts';
import type { ChatStatus } from '../../chatops/actions.ts';
import { cloudChatJobs, jobChatActions } from '../../chatops/job-actions.ts';
import { describeError } from '../../core/errors.ts';
import type { StructuredLogger } from '../../core/logging.ts';
import { loadFunctionPolicy, type Policy } from '../../core/policy.ts';
import { snapshotRunBoundMs } from '../../core/snapshots-policy.ts';
import { idempotencyTableName } from '../../jobs/idempotency-table.ts';
import { earliestAcceptance, snapshotRecordSeconds } from '../../jobs/snapshot-once.ts';
import { createObservability, startedOrLogged } from './observability.ts';

export { ANSWER_MARGIN_MS } from '../../chatops/action.ts';

export const CHAT_ACTION_SERVICE = 'chat-action';

type Observability = ReturnType<typeof createObservability>;

export interface ChatActionDependencies extends Omit<ChatActionOptions, 'count' | 'amazonQ' | 'logger'> {
  readonly logger: Observability['logger'];
  readonly metrics: Observability['metrics'];
  /** Publishes Amazon Q answers; absent when the deployment has no Amazon Q channel. */
  readonly notifications?: { readonly client: SnsSender; readonly topicArn: string };
}

/** Run one piece of work; the plain function behind the handler. */
export function chatAction(event: unknown, deps: ChatActionDependencies): Promise<ChatActionOutcome> {
  const { metrics, notifications, ...options } = deps;
  return runChatAction(event, {
    ...options,
    count: (name) => metrics.addMetric(name, MetricUnit.Count, 1),
    ...(notifications
      ? {
          amazonQ: (work) =>
            amazonQReplier(notifications.client, notifications.topicArn, amazonQThreadId(work.requestKey)),
        }
      : {}),
  });
}

export interface AwsChatJobsDependencies {
  readonly policy: Policy;
  readonly factory: AwsClientFactory;
  readonly homeRegion?: string | undefined;
  /** The idempotency table shared with the `snapshot` Lambda and the CLI. */
  readonly dynamo: DynamoDBClient;
  readonly tableName: string;
  readonly logger?: StructuredLogger;
  /** Time left before Lambda stops the function; a snapshot's in-progress record expires then. */
  readonly remainingMs?: () => number;
  readonly lastAudit?: () => Promise<ChatStatus['lastAudit']>;
}

/** The lastAudit of a deployment that keeps no audit history chat can read. */
const NO_AUDIT_HISTORY: ChatStatus['lastAudit'] = {
  unavailable:
    'this deployment keeps no import ledger (securityHub.enabled is off), so no audit is on record; `readiness` runs the audit now',
};

/**
 * The chat actions over the AWS jobs: snapshots in this account only, as the `snapshot` Lambda takes
 * them (its role is the one scoped to the policy's target tags), once per request id in the same
 * DynamoDB table, so a request made in chat, by the CLI or the snapshot Lambda with the same id
 * runs once; readiness over every account and region of the policy.
 */
export function awsChatActions(deps: AwsChatJobsDependencies) {
  const { factory, homeRegion } = deps;
  return jobChatActions(
    cloudChatJobs({
      policy: deps.policy,
      providers: ['aws'],
      clouds: (policy) => [awsSnapshotCloud({ policy, factory, homeRegion })],
      audit: { aws: { factory, collectors: awsCollectors, homeRegion } },
      snapshotPolicy: ownAccountPolicy,
      once: async (requestId, run, waitUntil) => {
        const waitMs = Math.max(1000, (waitUntil?.getTime() ?? Date.now() + 60_000) - Date.now());
        // The run's wait ends by `waitUntil` at the latest (functions/chatops/job-actions.ts waitEndsBy).
        const waitMinutes = Math.min(
          deps.policy.snapshots.waitMinutes,
          waitUntil ? Math.max(0, waitUntil.getTime() - Date.now()) / 60_000 : Number.POSITIVE_INFINITY,
        );
        // Loaded by `snapshot` only: the Powertools store (and its JMESPath) is not part of the cold start.
        const { oncePerRequestId, recordStartOf } = await import('../../jobs/idempotency.ts');
        const store = {
          tableName: deps.tableName,
          client: deps.dynamo,
          // A repeat waits for the first run as long as this invocation may, then says it still runs.
          waitForFirstMs: waitMs,
          // Kept as long as the snapshots it reports (as the CLI and the snapshot Lambda keep theirs).
          expiresAfterSeconds: snapshotRecordSeconds(deps.policy.snapshots.expiryDays),
          // The claim holds for the invocation's remaining time; only where there is none (a run
          // outside Lambda), as long as the run lasts.
          ...(deps.remainingMs ? { remainingTimeMs: deps.remainingMs } : {}),
          longestRunMs: snapshotRunBoundMs({ waitMinutes }),
          onRecordError: (error: unknown) =>
            deps.logger?.warn(
              'snapshot result not recorded; a repeat after the claim expires may run again',
              {
                requestId,
                error: describeError(error),
              },
            ),
        };
        // The start of the record an earlier run of the request left (one that died keeps it),
        // read before this run takes it over: the request's first acceptance, kept on the record
        // this run takes for a later run that takes it over in turn.
        const recordStart = await recordStartOf(requestId, store);
        return oncePerRequestId(
          requestId,
          () => run(recordStart),
          store,
          earliestAcceptance(new Date(), [recordStart]),
        );
      },
      lastAudit: deps.lastAudit ?? (async () => NO_AUDIT_HISTORY),
      // Each snapshot taken is recorded in the same table: prune deletes only what a record names.
      runRecords: dynamoRunRecords(deps.dynamo, deps.tableName),
      ...(deps.logger ? { logger: deps.logger } : {}),
    }),
  );
}

const observability = createObservability(CHAT_ACTION_SERVICE);

interface ContainerDependencies {
  readonly ledgerBucket: string | undefined;
  readonly policy: Policy;
  readonly factory: AwsClientFactory;
  readonly dynamo: DynamoDBClient;
  readonly tableName: string;
  /** Made, and the SNS SDK loaded, on an Amazon Q answer's first publish. */
  readonly sns: SnsSender;
  readonly topicArn: string | undefined;
  readonly homeRegion: string | undefined;
}

let container: ContainerDependencies | undefined;

function containerDependencies(): ContainerDependencies {
  if (!container) {
    const policy = loadFunctionPolicy();
    const tableName = idempotencyTableName(policy);
    const homeRegion = process.env.AWS_REGION;
    const factory = new AwsClientFactory({ maxAttempts: policy.aws.maxAttempts, stsRegion: homeRegion });
    container = {
      policy,
      factory,
      dynamo: factory.client(DynamoDBClient, homeRegion ?? DEFAULT_HOME_REGION),
      tableName,
      sns: snsClientOnFirstSend(async () => {
        const { SNSClient } = await import('@aws-sdk/client-sns');
        return factory.client(SNSClient, homeRegion ?? DEFAULT_HOME_REGION);
      }),
      topicArn: process.env[CHAT_NOTIFICATION_TOPIC_ENV] || undefined,
      homeRegion,
      ledgerBucket: process.env[LEDGER_BUCKET_ENV] || undefined,
    };
  }
  return container;
}

/**
 * The asynchronous invocation's handler. A deployment that cannot start (a policy that does not
 * load, no idempotency table) is logged as one ERROR line naming it and thrown (a user mistake with
 * no stack frames, `withFramesOnlyForFaults`): the on-failure destination, `chat-unfinished`, tells
 * the user.
 */
export const handler = middy(async (event: unknown, context: Context) => {
  const deps = startedOrLogged(observability.logger, CHAT_ACTION_SERVICE, () => containerDependencies());
  const remainingMs = () => context.getRemainingTimeInMillis();
  try {
    return await chatAction(event, {
      actions: awsChatActions({
        ...deps,
        logger: observability.logger,
        remainingMs,
        ...(deps.ledgerBucket
          ? {
              // Loaded by `status` only: the S3 client and the ledger decoding are not part of the cold start.
              lastAudit: async () => {
                const [{ S3Client }, { ledgerLastAudit }] = await Promise.all([
                  import('@aws-sdk/client-s3'),
                  import('../../aws/ledger-status.ts'),
                ]);
                return ledgerLastAudit(
                  deps.factory.client(S3Client, deps.homeRegion ?? DEFAULT_HOME_REGION),
                  deps.ledgerBucket as string,
                );
              },
            }
          : {}),
      }),
      ...observability,
      ...(deps.topicArn ? { notifications: { client: deps.sns, topicArn: deps.topicArn } } : {}),
      // Lambda may deliver the same event twice: only the first delivery runs and answers (and
      // a delivery after one that crashed or was stopped before it answered: the claim lapses at
      // this run's timeout).
      firstDelivery: dynamoFirstDelivery(deps.dynamo, deps.tableName),
      deliveryDone: dynamoDeliveryDone(deps.dynamo, deps.tableName),
      remainingMs,
    });
  } finally {
    observability.metrics.publishStoredMetrics();
  }
}).use(injectLambdaContext(observability.logger));
