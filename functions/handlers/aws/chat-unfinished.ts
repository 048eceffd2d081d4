/**
 * `chat-unfinished` Lambda: the on-failure destination of `chat-action`. Lambda invokes it with the
 * invocation record of a chat run that crashed, was stopped at its time limit or expired in the
 * queue, and it tells the person who asked, through the path the answer would have taken (Slack's
 * `response_url`, the Amazon Q channel's topic): functions/chatops/unfinished.ts. Its claims sit
 * beside `chat-action`'s delivery markers in the idempotency table. A record it cannot answer
 * throws: Lambda retries it, then sends it to the chat dead-letter queue (alarmed). Metrics:
 * `ChatCommandsFailed` (alarmed), `ChatAnswersNotDelivered`.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { dynamoDeliveryDone, dynamoDeliveryState, dynamoFirstDelivery } from '../../aws/chat-deliveries.ts';
import {
  amazonQReplier,
  amazonQThreadId,
  CHAT_NOTIFICATION_TOPIC_ENV,
} from '../../aws/chat-notifications.ts';
import { DEFAULT_HOME_REGION } from '../../aws/clients.ts';
import {
  answerUnfinishedRun,
  type UnfinishedRunOptions,
  type UnfinishedRunOutcome,
} from '../../chatops/unfinished.ts';
import { withFramesOnlyForFaults } from '../../core/errors.ts';
import { loadFunctionPolicy } from '../../core/policy.ts';
import { IDEMPOTENCY_TABLE_ENV, idempotencyTableName } from '../../jobs/idempotency-table.ts';
import { createObservability, startedOrLogged } from './observability.ts';

export const CHAT_UNFINISHED_SERVICE = 'chat-unfinished';

type Observability = ReturnType<typeof createObservability>;

export interface ChatUnfinishedDependencies
  extends Pick<UnfinishedRunOptions, 'replyHosts' | 'fetch' | 'now' | 'remainingMs'> {
  readonly logger: Observability['logger'];
  readonly metrics: Observability['metrics'];
  /** The idempotency table `chat-action` keeps its delivery markers in. */
  readonly dynamo: Pick<DynamoDBClient, 'send'>;
  readonly tableName: string;
  /** Publishes Amazon Q answers; absent when the deployment has no Amazon Q channel. */
  readonly notifications?: { readonly client: Pick<SNSClient, 'send'>; readonly topicArn: string };
}

/** Answer one invocation record; the plain function behind the handler. */
export function chatUnfinished(
  event: unknown,
  deps: ChatUnfinishedDependencies,
): Promise<UnfinishedRunOutcome> {
  const { metrics, notifications, dynamo, tableName, ...options } = deps;
  return answerUnfinishedRun(event, {
    ...options,
    count: (name) => metrics.addMetric(name, MetricUnit.Count, 1),
    runState: dynamoDeliveryState(dynamo, tableName),
    firstNotice: dynamoFirstDelivery(dynamo, tableName, deps.now),
    noticeDone: dynamoDeliveryDone(dynamo, tableName, deps.now),
    ...(notifications
      ? {
          amazonQ: (work) =>
            amazonQReplier(notifications.client, notifications.topicArn, amazonQThreadId(work.requestKey)),
        }
      : {}),
  });
}

const observability = createObservability(CHAT_UNFINISHED_SERVICE);

let container: Pick<ChatUnfinishedDependencies, 'dynamo' | 'tableName' | 'notifications'> | undefined;

function containerDependencies() {
  if (!container) {
    const region = process.env.AWS_REGION ?? DEFAULT_HOME_REGION;
    const topicArn = process.env[CHAT_NOTIFICATION_TOPIC_ENV] || undefined;
    container = {
      dynamo: new DynamoDBClient({ region }),
      // The deployment names the table: the policy is read only without it, so a policy that
      // cannot be read (one reason chat-action may have crashed) does not keep the user unanswered.
      tableName: process.env[IDEMPOTENCY_TABLE_ENV] || idempotencyTableName(loadFunctionPolicy()),
      ...(topicArn ? { notifications: { client: new SNSClient({ region }), topicArn } } : {}),
    };
  }
  return container;
}

/**
 * The on-failure destination's handler. A deployment that cannot start (no idempotency table named,
 * a policy that does not load) is logged as one ERROR line naming it and thrown (a user mistake with
 * no stack frames, `withFramesOnlyForFaults`): Lambda retries the record, then keeps it in the
 * dead-letter queue. So is a record that could not be answered (`UnansweredRunError`, logged and
 * counted where it happened: an expected condition, thrown without its frames); any other error is
 * a fault and keeps them.
 */
export const handler = middy(async (event: unknown, context: Context) => {
  const deps = startedOrLogged(observability.logger, CHAT_UNFINISHED_SERVICE, () => containerDependencies());
  try {
    return await chatUnfinished(event, {
      ...deps,
      ...observability,
      remainingMs: () => context.getRemainingTimeInMillis(),
    });
  } catch (error) {
    throw withFramesOnlyForFaults(error);
  } finally {
    observability.metrics.publishStoredMetrics();
  }
}).use(injectLambdaContext(observability.logger));
