/**
 * `chat-action` Lambda: runs a chat command handed over asynchronously by `chat-slack` or
 * `chat-amazon-q` (functions/chatops/work.ts), and posts progress and the answer to Slack's
 * `response_url` or, for Amazon Q, to the channel's notification topic (functions/chatops/run-work.ts
 * plans Slack's five posts). Snapshots run once per request key (the snapshot job's idempotency),
 * so Lambda's own repeated deliveries and Slack's retries take one snapshot.
 *
 * It never throws for a command that failed: the failure is answered in chat, logged, and counted
 * (`ChatCommandsFailed`, alarmed), so Lambda does not retry and post the same failure again.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SNSClient } from '@aws-sdk/client-sns';
import { amazonQReplier } from '../../aws/chat-notifications.ts';
import type { ChatActions } from '../../chatops/actions.ts';
import { ResponsePoster } from '../../chatops/replies.ts';
import { type ChatReplier, type ChatWorkOutcome, runChatWork } from '../../chatops/run-work.ts';
import { type ChatWork, parseChatWork } from '../../chatops/work.ts';
import { describeError } from '../../core/errors.ts';
import type { createObservability } from './observability.ts';

export const CHAT_ACTION_SERVICE = 'chat-action';

/** Slack refuses replies to a `response_url` after 30 minutes; older work only runs and logs. */
const SLACK_REPLY_WINDOW_MS = 30 * 60_000;

/** Time kept back from the function's timeout to post the answer after the snapshots stop waiting. */
export const ANSWER_MARGIN_MS = 60_000;

type Observability = ReturnType<typeof createObservability>;

export interface ChatActionDependencies {
  readonly actions: ChatActions;
  readonly logger: Observability['logger'];
  readonly metrics: Observability['metrics'];
  /** Publishes Amazon Q answers; absent when the deployment has no Amazon Q channel. */
  readonly notifications?: { readonly client: Pick<SNSClient, 'send'>; readonly topicArn: string };
  /**
   * Hosts a `response_url` may name.
   * @default ['hooks.slack.com']
   */
  readonly replyHosts?: readonly string[];
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
  /** Milliseconds left before the function times out (the Lambda context's). */
  readonly remainingMs?: () => number;
  /** Progress timing, for tests and the demo (see runChatWork). */
  readonly progressSettleMs?: number;
  readonly progressIntervalMs?: number;
}

/** The replier of a piece of work, or undefined when its answer can no longer be delivered. */
function replierOf(work: ChatWork, deps: ChatActionDependencies): ChatReplier | undefined {
  const now = deps.now ?? (() => new Date());
  if (work.replyTo.kind === 'amazon-q') {
    if (!deps.notifications) return undefined;
    return amazonQReplier(
      deps.notifications.client,
      deps.notifications.topicArn,
      work.requestKey.slice(0, 32),
    );
  }
  if (now().getTime() - Date.parse(work.acceptedAt) > SLACK_REPLY_WINDOW_MS) return undefined;
  return new ResponsePoster({
    responseUrl: work.replyTo.responseUrl,
    ...(deps.replyHosts ? { allowedHosts: deps.replyHosts } : {}),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    now,
  });
}

/** Run one piece of work; the plain function behind the handler. */
export async function chatAction(event: unknown, deps: ChatActionDependencies): Promise<ChatWorkOutcome> {
  const { logger, metrics } = deps;
  const count = (name: string) => metrics.addMetric(name, MetricUnit.Count, 1);
  let work: ChatWork;
  let replier: ChatReplier | undefined;
  try {
    work = parseChatWork(event);
    replier = replierOf(work, deps);
  } catch (error) {
    // Only our own entry points invoke this function: a bad event is a deployment fault.
    count('ChatCommandsFailed');
    logger.error('chat work refused', {
      error: { name: (error as Error)?.name, message: describeError(error) },
    });
    return { outcome: 'failed', delivered: false, posts: 0 };
  }
  const silent: ChatReplier = {
    progress: async () => false,
    post: async () => {
      logger.warn('chat answer not deliverable', {
        requestKey: work.requestKey,
        replyTo: work.replyTo.kind,
        reason: 'the reply window has passed or no notification topic is configured',
      });
    },
  };
  const remainingMs = deps.remainingMs;
  const now = deps.now ?? (() => new Date());
  const outcome = await runChatWork(work, {
    actions: deps.actions,
    replier: replier ?? silent,
    logger,
    now,
    ...(remainingMs
      ? { waitUntil: () => new Date(now().getTime() + Math.max(0, remainingMs() - ANSWER_MARGIN_MS)) }
      : {}),
    ...(deps.progressSettleMs === undefined ? {} : { progressSettleMs: deps.progressSettleMs }),
    ...(deps.progressIntervalMs === undefined ? {} : { progressIntervalMs: deps.progressIntervalMs }),
  });
  count(outcome.outcome === 'failed' ? 'ChatCommandsFailed' : 'ChatCommandsCompleted');
  if (!outcome.delivered || !replier) count('ChatAnswersNotDelivered');
  logger.info('chat command finished', {
    command: work.command.name,
    requestKey: work.requestKey,
    requestedBy: work.requestedBy,
    ...outcome,
  });
  return outcome;
}
