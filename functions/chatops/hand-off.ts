/**
 * The deadline of a chat command's hand-off to the function that runs it, the same on each cloud
 * (functions/aws/chat-dispatch.ts, a Lambda asynchronous Invoke; functions/gcp/chat-dispatch.ts, a
 * Pub/Sub publish). The acknowledgement waits for the hand-off, so a slow cloud API would hold it
 * past Slack's window (the user then sees `operation_timeout` and cannot tell whether the work runs).
 * Past the deadline the hand-off is aborted (nothing further is sent) and the caller is told what is
 * known of the outcome ({@link HandOffError}); which failures prove that nothing was handed off is
 * the cloud's to say.
 */
import { HandOffError } from './errors.ts';

/**
 * How long the hand-off may take, retries and credentials included. Slack wants the acknowledgement
 * within 3 seconds of sending the command
 * (https://api.slack.com/interactivity/slash-commands#responding_basic_receipt); the rest is left to
 * the request's verification and the answer's way back.
 */
export const HAND_OFF_DEADLINE_MS = 2000;

/** What is known of a failed hand-off: see {@link HandOffError}. */
export type HandOffOutcome = HandOffError['outcome'];

export interface HandOff<T> {
  /** What hands the command off, for the log: "the Lambda Invoke of chat-action". */
  readonly what: string;
  readonly deadlineMs: number;
  /** The hand-off. Once `signal` aborts, it sends nothing more. */
  readonly run: (signal: AbortSignal) => Promise<T>;
  /** What is known of the outcome when the deadline passes first. */
  readonly outcomeAtDeadline: () => HandOffOutcome;
  /** What is known of the outcome when `run` failed with `error`. */
  readonly outcomeOf: (error: unknown) => HandOffOutcome;
}

/** `handOff.run`'s result by its deadline, or a {@link HandOffError} saying what is known. */
export async function handOffWithin<T>(handOff: HandOff<T>): Promise<T> {
  const { what, deadlineMs } = handOff;
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Judged before the abort, which may fail the attempt in flight.
      const outcome = handOff.outcomeAtDeadline();
      abort.abort();
      reject(new HandOffError(outcome, `${what} took longer than ${deadlineMs} ms`));
    }, deadlineMs);
  });
  try {
    // The race, not only the abort signal: a client's wait between retries may not watch it.
    return await Promise.race([handOff.run(abort.signal), deadline]);
  } catch (error) {
    if (error instanceof HandOffError) throw error;
    throw new HandOffError(handOff.outcomeOf(error), `${what} failed: ${(error as Error)?.message}`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
}
