/**
 * The action side of a chat command: run it through {@link ChatActions} and post progress and the
 * answer where the command came from.
 *
 * Slack allows five posts to a `response_url` within 30 minutes
 * (https://api.slack.com/interactivity/slash-commands); the acknowledgement is the HTTP answer and
 * costs none. A snapshot spends at most three:
 *   1. once the create calls have gone out (a short settle after the first), how many were sent;
 *   2. once half of them are restorable, if that is a while after the first update and not the end;
 *   3. the answer: per target the snapshot id or the error, then GO / NO-GO.
 * A repeat of the same request (a retry, a double submission) spends one, so even a repeat posting
 * to the same `response_url` leaves a post spare; the poster refuses any post that would leave no
 * room for the answer ({@link ResponsePoster.progress}). readiness and status post only their answer.
 * An answer Slack refuses as laid out (HTTP 400) is posted once more as text ({@link textReply}).
 */
import { describeError, IdempotencyStoreError } from '../core/errors.ts';
import type { StructuredLogger } from '../core/logging.ts';
import type { ChatActions, ChatSnapshotProgress, ChatVerdict } from './actions.ts';
import {
  failureAnswer,
  readinessAnswer,
  snapshotAnswer,
  snapshotInProgressAnswer,
  snapshotProgressAnswer,
  snapshotVerdict,
  statusAnswer,
} from './answers.ts';
import { helpText } from './grammar.ts';
import { ReplyError, type SlackMessage, textReply } from './replies.ts';
import type { ChatWork } from './work.ts';

/** Where a command's replies go: Slack's response_url poster, or an Amazon Q notification topic. */
export interface ChatReplier {
  /** Post a progress update unless that would leave no room for the answer; true when posted. */
  progress(reply: SlackMessage): Promise<boolean>;
  /** Post the answer. */
  post(reply: SlackMessage): Promise<void>;
}

export interface RunChatWorkDependencies {
  readonly actions: ChatActions;
  readonly replier: ChatReplier;
  readonly logger: StructuredLogger;
  readonly now?: () => Date;
  /** When the snapshot action must stop waiting (the function's own deadline, less a margin). */
  readonly waitUntil?: () => Date;
  /** Wait after the first create before the first progress update. @default 3000 */
  readonly progressSettleMs?: number;
  /** Least time between the two progress updates. @default 60000 */
  readonly progressIntervalMs?: number;
}

/** How a command ended, for the metrics and the log. */
export interface ChatWorkOutcome {
  /** `completed` (answered), `repeat` (an earlier delivery did or does the work), `failed`. */
  readonly outcome: 'completed' | 'repeat' | 'failed';
  /** The GO / NO-GO of a snapshot or readiness answer. */
  readonly verdict?: ChatVerdict;
  /** Whether the answer reached the chat. */
  readonly delivered: boolean;
  /** Posts made (progress and answer). */
  readonly posts: number;
}

/** Run one command and reply; never throws (a failure is answered, logged and returned). */
export async function runChatWork(work: ChatWork, deps: RunChatWorkDependencies): Promise<ChatWorkOutcome> {
  let posts = 0;
  const replier: ChatReplier = {
    progress: async (reply) => {
      const posted = await deps.replier.progress(reply);
      if (posted) posts += 1;
      return posted;
    },
    post: async (reply) => {
      posts += 1;
      await deps.replier.post(reply);
    },
  };
  const answer = async (
    reply: SlackMessage,
    outcome: ChatWorkOutcome['outcome'],
    verdict?: ChatVerdict,
  ): Promise<ChatWorkOutcome> => {
    const delivered = (yes: boolean): ChatWorkOutcome => ({
      outcome,
      ...(verdict ? { verdict } : {}),
      delivered: yes,
      posts,
    });
    const notDelivered = (error: unknown) =>
      deps.logger.error('chat answer not delivered', {
        requestKey: work.requestKey,
        error: { name: (error as Error)?.name, message: describeError(error) },
      });
    try {
      await replier.post(reply);
      return delivered(true);
    } catch (error) {
      notDelivered(error);
      // Slack refused the answer itself (a block it will not show): once more as text, so the
      // verdict and what keeps it from GO still arrive. Any other failure is not retried (a post
      // that timed out may have arrived; a response_url gone stays gone).
      if (!(error instanceof ReplyError) || error.refusedWith !== 400) return delivered(false);
    }
    try {
      await replier.post(textReply(reply));
      return delivered(true);
    } catch (error) {
      notDelivered(error);
      return delivered(false);
    }
  };
  const command = work.command;
  try {
    switch (command.name) {
      case 'snapshot': {
        const progress = progressPlanner(command.ticket, replier, deps);
        let result: Awaited<ReturnType<ChatActions['snapshot']>>;
        try {
          result = await deps.actions.snapshot(
            {
              requestKey: work.requestKey,
              targets: command.targets,
              reason: command.reason,
              ticket: command.ticket,
              requestedBy: work.requestedBy,
              acceptedAt: work.acceptedAt,
              ...(deps.waitUntil ? { waitUntil: deps.waitUntil() } : {}),
            },
            progress.onProgress,
          );
        } finally {
          await progress.settle();
        }
        if ('inProgress' in result) return answer(snapshotInProgressAnswer(command.ticket), 'repeat');
        return answer(
          snapshotAnswer(result, { ...command, requestedBy: work.requestedBy }),
          result.firstRun ? 'completed' : 'repeat',
          snapshotVerdict(result),
        );
      }
      case 'readiness': {
        const readiness = await deps.actions.readiness(command.targets);
        return answer(readinessAnswer(readiness), 'completed', readiness.verdict);
      }
      case 'status':
        return answer(statusAnswer(await deps.actions.status()), 'completed');
      case 'help':
        return answer({ text: helpText(command.topic) }, 'completed');
    }
  } catch (error) {
    deps.logger.error('chat command failed', {
      command: command.name,
      requestKey: work.requestKey,
      requestedBy: work.requestedBy,
      error: { name: (error as Error)?.name, message: describeError(error) },
    });
    return answer(
      failureAnswer(`\`${command.name}\``, { recordNotWritten: error instanceof IdempotencyStoreError }),
      'failed',
    );
  }
}

/** The two progress updates of a snapshot (see the module comment). */
function progressPlanner(ticket: string, replier: ChatReplier, deps: RunChatWorkDependencies) {
  const now = deps.now ?? (() => new Date());
  const settleMs = deps.progressSettleMs ?? 3000;
  const intervalMs = deps.progressIntervalMs ?? 60_000;
  const events: ChatSnapshotProgress[] = [];
  let chain: Promise<unknown> = Promise.resolve();
  let firstPostedAt: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let updates = 0;
  let finished = false;
  const post = () => {
    if (finished || updates >= 2) return;
    updates += 1;
    const reply = snapshotProgressAnswer([...events], ticket);
    chain = chain
      .then(() => replier.progress(reply))
      .catch((error: unknown) => {
        // A lost progress update is not worth failing the snapshots for; the answer follows.
        deps.logger.warn('chat progress not delivered', { error: describeError(error) });
      });
  };
  return {
    onProgress(event: ChatSnapshotProgress): void {
      events.push(event);
      if (updates === 0 && timer === undefined) {
        timer = setTimeout(() => {
          firstPostedAt = now().getTime();
          post();
        }, settleMs);
        return;
      }
      if (updates !== 1 || firstPostedAt === undefined || event.stage !== 'done') return;
      const started = new Set(events.filter((e) => e.stage === 'creating').map((e) => e.target)).size;
      const done = new Set(events.filter((e) => e.stage === 'done').map((e) => e.target)).size;
      if (done * 2 >= started && done < started && now().getTime() - firstPostedAt >= intervalMs) post();
    },
    /** Stop planning and wait for updates already on their way, so the answer comes last. */
    async settle(): Promise<void> {
      finished = true;
      if (timer !== undefined) clearTimeout(timer);
      await chain;
    },
  };
}
