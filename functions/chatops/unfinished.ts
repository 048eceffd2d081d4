/**
 * The answer to a chat command whose run did not finish. The action function is not retried
 * (`chat-action`, retryAttempts 0): when it crashes, is stopped at its time limit, or its event waits
 * in Lambda's queue past its maximum age, Lambda sends an invocation record to its on-failure
 * destination, carrying the original hand-off as `requestPayload`, why in `requestContext.condition`
 * (`RetriesExhausted`, `EventAgeExceeded`) and, for a function error, `responseContext.functionError`
 * and the error document as `responsePayload`
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html). This answers
 * it where the run would have (action.ts {@link replierOf}): what the run had done, as its delivery
 * marker tells (never claimed: not started; claimed and never ended: started), and what to do.
 *
 * - Once per hand-off: a record delivered twice answers once (a claim of its own, beside the run's
 *   marker; held once answered, else lapsing when this run is stopped, so a retry answers).
 * - A run that ended (its marker done) had answered; it is not answered again.
 * - A record it cannot answer (not a record of chat work, Slack's reply window passed, no Amazon Q
 *   topic, the post refused) throws {@link UnansweredRunError}, so Lambda retries it and then keeps
 *   it in the alarmed dead-letter queue.
 * - Nothing the failed function said reaches the answer or the log (its error may name anything),
 *   nor the response_url (a capability to post to the channel): only the error type is compared
 *   with Lambda's timeout type.
 */
import { describeError, ReportedConditionError } from '../core/errors.ts';
import type { StructuredLogger } from '../core/logging.ts';
import * as z from '../core/zod.ts';
import { type ChatActionOptions, replierOf } from './action.ts';
import { type UnfinishedCause, type UnfinishedState, unfinishedAnswer } from './answers.ts';
import type { ClaimState } from './once.ts';
import { type ChatWork, deliveryKeyOf, parseChatWork } from './work.ts';

/** The error type Lambda gives an invocation stopped at the function's timeout. */
const TIMEOUT_ERROR_TYPE = 'Sandbox.Timedout';

/** The invocation record as far as it is read; anything else in it is ignored. */
const invocationRecordSchema = z.looseObject({
  requestContext: z.looseObject({ condition: z.string() }),
  requestPayload: z.unknown(),
  responseContext: z.optional(z.looseObject({ functionError: z.optional(z.string()) })),
  responsePayload: z.optional(z.unknown()),
});

/**
 * A record that could not be answered: logged as ERROR and counted (`ChatAnswersNotDelivered`), then
 * thrown so it ends in the alarmed dead-letter queue. An expected condition of the chat path (Slack's
 * reply window passed, no Amazon Q topic, the post refused), not a fault: thrown without its stack
 * frames (`withFramesOnlyForFaults`).
 */
export class UnansweredRunError extends ReportedConditionError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnansweredRunError';
  }
}

export interface UnfinishedRunOptions
  extends Pick<ChatActionOptions, 'count' | 'amazonQ' | 'replyHosts' | 'fetch' | 'now' | 'remainingMs'> {
  readonly logger: StructuredLogger;
  /** The state of the run's delivery marker (`chat-action`'s `firstDelivery`). */
  readonly runState: (deliveryKey: string) => Promise<'absent' | 'running' | 'done'>;
  /** Claims the notice of a hand-off until `until`: `claimed` once (see the module comment). */
  readonly firstNotice: (noticeKey: string, until?: Date) => Promise<ClaimState>;
  /** Holds the notice's claim once it was answered. */
  readonly noticeDone: (noticeKey: string) => Promise<void>;
}

export interface UnfinishedRunOutcome {
  /** `answered`, `repeat` (another delivery of the record answers it) or `answered-by-run`. */
  readonly outcome: 'answered' | 'repeat' | 'answered-by-run';
}

/** Why the run did not finish: Lambda's condition, and its timeout told from another error. */
function causeOf(record: z.infer<typeof invocationRecordSchema>): UnfinishedCause {
  const errorType = (record.responsePayload as { errorType?: unknown } | undefined)?.errorType;
  if (errorType === TIMEOUT_ERROR_TYPE) return 'timed-out';
  if (record.responseContext?.functionError !== undefined) return 'failed';
  if (record.requestContext.condition === 'EventAgeExceeded') return 'expired';
  return 'dropped';
}

/** The chat work and cause of an invocation record; throws {@link UnansweredRunError} for another event. */
function readRecord(
  event: unknown,
  replyHosts: readonly string[] | undefined,
): { work: ChatWork; cause: UnfinishedCause; condition: string } {
  const record = invocationRecordSchema.safeParse(event);
  if (!record.success) {
    throw new UnansweredRunError('the event is not a Lambda invocation record of chat work');
  }
  let work: ChatWork;
  try {
    work = parseChatWork(record.data.requestPayload, replyHosts);
  } catch (error) {
    throw new UnansweredRunError(`the invocation record carries no chat work: ${describeError(error)}`);
  }
  return { work, cause: causeOf(record.data), condition: record.data.requestContext.condition };
}

/** Answer the command of an invocation record whose run did not finish; see the module comment. */
export async function answerUnfinishedRun(
  event: unknown,
  deps: UnfinishedRunOptions,
): Promise<UnfinishedRunOutcome> {
  const { logger, count } = deps;
  const now = deps.now ?? (() => new Date());
  const unanswered = (error: UnansweredRunError, fields: Record<string, unknown> = {}): never => {
    count('ChatCommandsFailed');
    count('ChatAnswersNotDelivered');
    logger.error('chat run did not finish and could not be answered', { ...fields, error: error.message });
    throw error;
  };
  let read: ReturnType<typeof readRecord>;
  try {
    read = readRecord(event, deps.replyHosts);
  } catch (error) {
    return unanswered(error as UnansweredRunError);
  }
  const { work, cause, condition } = read;
  const fields = { command: work.command.name, requestKey: work.requestKey, condition, cause };
  const replier = replierOf(work, { ...deps, now });
  if (!replier) {
    return unanswered(
      new UnansweredRunError(
        work.replyTo.kind === 'slack'
          ? "Slack's 30-minute reply window has passed"
          : 'no Amazon Q notification topic is configured',
      ),
      fields,
    );
  }
  const deliveryKey = deliveryKeyOf(work);
  let state: UnfinishedState | 'done';
  try {
    state = await deps.runState(deliveryKey);
  } catch (error) {
    logger.warn('chat run state not read', { ...fields, error: describeError(error) });
    state = 'unknown';
  }
  if (state === 'done') {
    logger.info('chat run ended and answered before its function failed; not answered again', fields);
    return { outcome: 'answered-by-run' };
  }
  const noticeKey = `unfinished#${deliveryKey}`;
  const until = deps.remainingMs ? new Date(now().getTime() + deps.remainingMs()) : undefined;
  if ((await deps.firstNotice(noticeKey, until)) !== 'claimed') {
    logger.info('chat run did not finish; another delivery of its record answers it', fields);
    return { outcome: 'repeat' };
  }
  try {
    await replier.post(unfinishedAnswer(work.command, cause, state));
  } catch (error) {
    return unanswered(
      new UnansweredRunError(`the answer was not delivered: ${describeError(error)}`, { cause: error }),
      fields,
    );
  }
  await deps
    .noticeDone(noticeKey)
    .catch((error: unknown) =>
      logger.warn('chat run notice not held after its answer', { ...fields, error: describeError(error) }),
    );
  count('ChatCommandsFailed');
  logger.warn('chat run did not finish; its user was told', { ...fields, state });
  return { outcome: 'answered' };
}
