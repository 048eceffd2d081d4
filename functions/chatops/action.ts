/**
 * The action side of a chat command, whatever hosts it (the `chat-action` Lambda, the GCP
 * `chatAction` function): validate the work handed over (functions/chatops/work.ts), pick where
 * its answer goes (Slack's `response_url`, or the Amazon Q channel's notification topic), run it
 * (run-work.ts plans Slack's five posts) and count the outcome.
 *
 * It never throws for a command that failed: the failure is answered in chat, logged and counted
 * (`ChatCommandsFailed`, alarmed), so the platform does not redeliver and post the same failure again.
 * A delivery whose earlier delivery still holds its claim is `running`: the host decides whether
 * to fail it so the platform redelivers it later (GCP) or to acknowledge it (AWS, no retry).
 */
import { describeError } from '../core/errors.ts';
import type { StructuredLogger } from '../core/logging.ts';
import { functionWaitEndsBy, SNAPSHOT_ANSWER_MARGIN_MS } from '../core/snapshots-policy.ts';
import type { ChatActions } from './actions.ts';
import type { ClaimState } from './once.ts';
import { ResponsePoster } from './replies.ts';
import { type ChatReplier, type ChatWorkOutcome, runChatWork } from './run-work.ts';
import { type ChatWork, deliveryKeyOf, parseChatWork } from './work.ts';

/** Slack refuses replies to a `response_url` after 30 minutes; older work only runs and logs. */
const SLACK_REPLY_WINDOW_MS = 30 * 60_000;

/**
 * Time kept back from the function's timeout to post the answer after the snapshots stop waiting:
 * the snapshot functions' (functions/core/snapshots-policy.ts SNAPSHOT_ANSWER_MARGIN_MS), as chat's
 * wait ends by the same rule (functionWaitEndsBy).
 */
export const ANSWER_MARGIN_MS = SNAPSHOT_ANSWER_MARGIN_MS;

/** What the action side counts: one name per metric (CloudWatch, or a log-based metric on GCP). */
export type ChatActionMetric = 'ChatCommandsCompleted' | 'ChatCommandsFailed' | 'ChatAnswersNotDelivered';

export interface ChatActionOptions {
  readonly actions: ChatActions;
  readonly logger: StructuredLogger;
  readonly count: (metric: ChatActionMetric) => void;
  /** The replier of Amazon Q work (its notification topic); absent where there is no Amazon Q channel. */
  readonly amazonQ?: (work: ChatWork) => ChatReplier;
  /**
   * Hosts a `response_url` may name (the Slack endpoint's too).
   * @default SLACK_REPLY_HOSTS (hooks.slack.com, hooks.slack-gov.com)
   */
  readonly replyHosts?: readonly string[];
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
  /** Milliseconds left before the function times out (the Lambda context's). */
  readonly remainingMs?: () => number;
  /**
   * Claims a hand-off (its {@link deliveryKeyOf}): `claimed` for its first delivery; when the
   * platform delivered the same work before, `done` once that delivery's run ended (a repeat,
   * neither run nor answered again, so it costs no post of Slack's five) or `running` while its
   * claim holds (the outcome `running`, not run: the run may still be going, or may have crashed).
   * Absent: every delivery runs. `until` is when this run is stopped (the function's timeout, from
   * `remainingMs`): the claim lapses then unless {@link deliveryDone} holds it, so a delivery after
   * a run that crashed or was stopped before it answered runs and answers, never dropped as a
   * repeat of it (on GCP the `running` delivery fails, and Pub/Sub delivers it again later).
   */
  readonly firstDelivery?: (deliveryKey: string, until?: Date) => Promise<ClaimState>;
  /** Holds a delivery's claim for the store's keep time once its run ended (answered or not). */
  readonly deliveryDone?: (deliveryKey: string) => Promise<void>;
  /** Progress timing, for tests and the demo (see runChatWork). */
  readonly progressSettleMs?: number;
  readonly progressIntervalMs?: number;
}

/**
 * What {@link runChatAction} did: the work's outcome, or `running`: not run, as an earlier delivery
 * of it still holds its claim.
 */
export type ChatActionOutcome =
  | ChatWorkOutcome
  | { readonly outcome: 'running'; readonly delivered: false; readonly posts: 0 };

/**
 * The replier of a piece of work, or undefined when its answer can no longer be delivered (Slack's
 * reply window has passed, or no Amazon Q topic is configured). Also the unfinished-run notice's
 * (unfinished.ts): it answers the way the run would have.
 */
export function replierOf(
  work: ChatWork,
  deps: Pick<ChatActionOptions, 'amazonQ' | 'now' | 'replyHosts' | 'fetch'>,
): ChatReplier | undefined {
  const now = deps.now ?? (() => new Date());
  if (work.replyTo.kind === 'amazon-q') return deps.amazonQ?.(work);
  if (now().getTime() - Date.parse(work.acceptedAt) > SLACK_REPLY_WINDOW_MS) return undefined;
  return new ResponsePoster({
    responseUrl: work.replyTo.responseUrl,
    ...(deps.replyHosts ? { allowedHosts: deps.replyHosts } : {}),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    now,
  });
}

/**
 * The work's claim of its delivery. A claim that cannot be made (the store unreachable) counts as
 * made: the snapshot's own idempotency still holds, and answering twice is better than not at all.
 */
async function claimDelivery(
  work: ChatWork,
  firstDelivery: NonNullable<ChatActionOptions['firstDelivery']>,
  until: Date | undefined,
  logger: StructuredLogger,
): Promise<ClaimState> {
  try {
    return await firstDelivery(deliveryKeyOf(work), until);
  } catch (error) {
    logger.warn('chat work delivery not recorded; running it', {
      requestKey: work.requestKey,
      error: { name: (error as Error)?.name, message: describeError(error) },
    });
    return 'claimed';
  }
}

/** Validate and run one piece of work, then answer; never throws. */
export async function runChatAction(event: unknown, deps: ChatActionOptions): Promise<ChatActionOutcome> {
  const { logger, count } = deps;
  let work: ChatWork;
  let replier: ChatReplier | undefined;
  try {
    work = parseChatWork(event, deps.replyHosts);
    replier = replierOf(work, deps);
  } catch (error) {
    // Only our own entry points invoke this function: a bad event is a deployment fault.
    count('ChatCommandsFailed');
    logger.error('chat work refused', {
      error: { name: (error as Error)?.name, message: describeError(error) },
    });
    return { outcome: 'failed', delivered: false, posts: 0 };
  }
  const remainingMs = deps.remainingMs;
  const now = deps.now ?? (() => new Date());
  const stoppedAt = remainingMs ? new Date(now().getTime() + remainingMs()) : undefined;
  const claim = deps.firstDelivery
    ? await claimDelivery(work, deps.firstDelivery, stoppedAt, logger)
    : 'claimed';
  if (claim === 'done') {
    logger.info('chat work delivered again; its first delivery ran and answered it', {
      command: work.command.name,
      requestKey: work.requestKey,
    });
    return { outcome: 'repeat', delivered: false, posts: 0 };
  }
  if (claim === 'running') {
    logger.info('chat work delivered again while an earlier delivery holds it, running or crashed', {
      command: work.command.name,
      requestKey: work.requestKey,
    });
    return { outcome: 'running', delivered: false, posts: 0 };
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
  // A Slack answer is accepted for 30 minutes after the command: the snapshots stop waiting in time
  // to post it within that window, whatever time the function has left (work may start late: an
  // asynchronous invocation retried, or held back by throttling).
  const replyDeadline =
    work.replyTo.kind === 'slack' && replier
      ? Date.parse(work.acceptedAt) + SLACK_REPLY_WINDOW_MS - ANSWER_MARGIN_MS
      : undefined;
  const waitUntil = (): Date => {
    const deadlines = [
      ...(remainingMs ? [Math.max(now().getTime(), functionWaitEndsBy(now(), remainingMs()).getTime())] : []),
      ...(replyDeadline === undefined ? [] : [Math.max(now().getTime(), replyDeadline)]),
    ];
    return new Date(Math.min(...deadlines));
  };
  const outcome = await runChatWork(work, {
    actions: deps.actions,
    replier: replier ?? silent,
    logger,
    now,
    ...(remainingMs || replyDeadline !== undefined ? { waitUntil } : {}),
    ...(deps.progressSettleMs === undefined ? {} : { progressSettleMs: deps.progressSettleMs }),
    ...(deps.progressIntervalMs === undefined ? {} : { progressIntervalMs: deps.progressIntervalMs }),
  });
  if (deps.firstDelivery && deps.deliveryDone) {
    // Run to its end: a later delivery of the same work is a repeat. Not held, the claim lapses
    // when this run would have been stopped, and a repeat then runs and answers again.
    await deps.deliveryDone(deliveryKeyOf(work)).catch((error: unknown) =>
      logger.warn('chat work delivery not held after its run', {
        requestKey: work.requestKey,
        error: { name: (error as Error)?.name, message: describeError(error) },
      }),
    );
  }
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
