/**
 * `chat-action` Lambda: runs a chat command handed over asynchronously by `chat-slack` or
 * `chat-amazon-q` (the shared action side: functions/chatops/action.ts), posting to Slack's
 * `response_url` or publishing Amazon Q answers to the channel's notification topic. Snapshots run
 * once per request key (the snapshot job's idempotency), so Lambda's own repeated deliveries and
 * Slack's retries take one snapshot. Metrics: `ChatCommandsCompleted`, `ChatCommandsFailed`
 * (alarmed), `ChatAnswersNotDelivered`.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SNSClient } from '@aws-sdk/client-sns';
import { amazonQReplier } from '../../aws/chat-notifications.ts';
import { type ChatActionOptions, runChatAction } from '../../chatops/action.ts';
import type { ChatWorkOutcome } from '../../chatops/run-work.ts';
import type { createObservability } from './observability.ts';

export { ANSWER_MARGIN_MS } from '../../chatops/action.ts';

export const CHAT_ACTION_SERVICE = 'chat-action';

type Observability = ReturnType<typeof createObservability>;

export interface ChatActionDependencies extends Omit<ChatActionOptions, 'count' | 'amazonQ' | 'logger'> {
  readonly logger: Observability['logger'];
  readonly metrics: Observability['metrics'];
  /** Publishes Amazon Q answers; absent when the deployment has no Amazon Q channel. */
  readonly notifications?: { readonly client: Pick<SNSClient, 'send'>; readonly topicArn: string };
}

/** Run one piece of work; the plain function behind the handler. */
export function chatAction(event: unknown, deps: ChatActionDependencies): Promise<ChatWorkOutcome> {
  const { metrics, notifications, ...options } = deps;
  return runChatAction(event, {
    ...options,
    count: (name) => metrics.addMetric(name, MetricUnit.Count, 1),
    ...(notifications
      ? {
          amazonQ: (work) =>
            amazonQReplier(notifications.client, notifications.topicArn, work.requestKey.slice(0, 32)),
        }
      : {}),
  });
}
