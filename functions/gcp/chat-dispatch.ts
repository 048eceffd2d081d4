/**
 * Hand a chat command to the GCP action function: publish it to the chat topic, whose push into
 * the `chatAction` function (an Eventarc Pub/Sub trigger) runs it after the Slack function has
 * answered. Cloud Run functions throttle the CPU once the response is sent, so work after the answer
 * must live in another invocation, as the Lambda's asynchronous invoke does on AWS. Pub/Sub delivers
 * at least once: the action function is idempotent per request (functions/chatops/once.ts).
 * REST publish (https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.topics/publish)
 * through google-auth-library's client, which the functions already carry: no Pub/Sub library.
 *
 * The acknowledgement waits for the publish, credentials included, so it has the AWS hand-off's
 * deadline (functions/chatops/hand-off.ts): past it the request is aborted and nothing is sent after,
 * and a failure says what is known of the outcome (HandOffError, functions/chatops/errors.ts), never
 * that the work started. Within the deadline a throttled, failed (5xx), refused or dropped
 * connection is retried with a short jittered backoff, as the Lambda SDK retries the AWS hand-off
 * and the Google REST client (./rest-request.ts) retries a request that got no answer.
 *
 * Why a duplicate is harmless: a retry may follow a publish Pub/Sub stored (a 5xx, or a connection
 * dropped after the message was sent), so the work can arrive twice. Each attempt sends the same
 * bytes, so both messages carry the same work: the action function claims a hand-off by those bytes
 * (functions/chatops/work.ts deliveryKeyOf; functions/handlers/gcp/chat-action.ts firstDeliveryOver)
 * and acknowledges the second as a repeat, answering nothing again; and a snapshot runs once per
 * request key whatever delivers it (runOncePerKey over the snapshot records), so even without the
 * delivery claim no second snapshot is taken. Pub/Sub's own at-least-once delivery needs the same.
 */
import type { AuthClient } from 'google-auth-library';
import { ChatError } from '../chatops/errors.ts';
import { HAND_OFF_DEADLINE_MS, type HandOffOutcome, handOffWithin } from '../chatops/hand-off.ts';
import type { ChatWork } from '../chatops/work.ts';
import { backoffDelay } from '../core/backoff.ts';
import { GCP_PROJECT_ID_PATTERN } from '../core/gcp-project.ts';
import { CHAT_TOPIC_ENV } from './chat-environment.ts';
import { RETRIED_STATUSES } from './rest-request.ts';

const PUBSUB_ENDPOINT = 'https://pubsub.googleapis.com';
const TOPIC = new RegExp(`^projects/${GCP_PROJECT_ID_PATTERN}/topics/[A-Za-z][\\w.~+%-]{2,254}$`);

/** The first backoff sleep before a retried publish; doubled per attempt, with full jitter. */
const RETRY_BASE_DELAY_MS = 50;
/**
 * The time an attempt is given at least: no retry is sent with less left before the deadline, so
 * the last attempt is answered rather than cut off (which would leave its outcome unknown).
 */
const RETRY_MIN_REMAINING_MS = 250;

/** Something that sends an authorized request: google-auth-library's AuthClient. */
export type AuthorizedRequester = Pick<AuthClient, 'request'>;

export interface PubsubDispatcherOptions {
  /** How long the hand-off may take, credentials included. @default HAND_OFF_DEADLINE_MS */
  readonly deadlineMs?: number;
}

/**
 * Whether a failed publish request is known to have published nothing: Pub/Sub answered it with a
 * refusal (4xx: a publish is all or nothing), or the connection was refused before a byte was sent.
 * A timeout, a dropped connection or a 5xx may have come after Pub/Sub stored the message.
 */
function publishedNothing(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== undefined) return status >= 400 && status < 500;
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ECONNREFUSED') return true;
  }
  return false;
}

/** The HTTP status of a failed request, when Pub/Sub answered it. */
function statusOf(error: unknown): number | undefined {
  return (error as { response?: { status?: number } } | undefined)?.response?.status;
}

/**
 * Whether another attempt may succeed: throttling, a server error, or a request that got no answer
 * (refused, or dropped: see the module comment for why a repeat is harmless). An abort is the
 * deadline's, after which nothing is sent.
 */
function retryable(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== undefined) return RETRIED_STATUSES.has(status);
  return !(error instanceof Error && error.name === 'AbortError');
}

export function pubsubDispatcher(
  requester: () => Promise<AuthorizedRequester>,
  topic: string,
  endpoint = PUBSUB_ENDPOINT,
  options: PubsubDispatcherOptions = {},
): (work: ChatWork) => Promise<void> {
  const deadlineMs = options.deadlineMs ?? HAND_OFF_DEADLINE_MS;
  if (!TOPIC.test(topic)) {
    throw new ChatError(500, `${CHAT_TOPIC_ENV} must be projects/<project>/topics/<topic>, got ${topic}`, {
      expose: false,
    });
  }
  return async (work) => {
    const deadlineAt = Date.now() + deadlineMs;
    // Per attempt, as the AWS dispatcher records them: an attempt in flight, or one that failed
    // without proof that it published nothing (a 5xx, a dropped connection), may have published,
    // whatever the later attempts answered.
    let inFlight = false;
    let mayHavePublished = false;
    const outcome = (): HandOffOutcome => (inFlight || mayHavePublished ? 'unknown' : 'not-started');
    await handOffWithin({
      what: `the Pub/Sub publish to ${topic}`,
      deadlineMs,
      run: async (signal) => {
        const client = await requester();
        const data = { messages: [{ data: Buffer.from(JSON.stringify(work)).toString('base64') }] };
        for (let attempt = 1; ; attempt += 1) {
          // Credentials, or a backoff, that ended after the deadline: the caller was told what was
          // known then, so nothing more may be sent.
          if (signal.aborted) return;
          inFlight = true;
          try {
            await client.request({
              url: `${endpoint}/v1/${topic}:publish`,
              method: 'POST',
              data,
              signal,
              // The retries are this loop's, so each attempt's outcome is recorded (the client's one
              // retry with a fresh token follows a refusal, which published nothing).
              retry: false,
            });
            return;
          } catch (error) {
            // Answered or dropped: no longer in flight, during the backoff either.
            inFlight = false;
            if (!publishedNothing(error)) mayHavePublished = true;
            const delay = backoffDelay(attempt, RETRY_BASE_DELAY_MS);
            if (!retryable(error) || Date.now() + delay + RETRY_MIN_REMAINING_MS > deadlineAt) throw error;
            await new Promise((resolve) => setTimeout(resolve, delay));
          }
        }
      },
      outcomeAtDeadline: outcome,
      outcomeOf: outcome,
    });
  };
}

/**
 * A message's data as Pub/Sub pushes it: base64 (its standard alphabet, padded; the URL-safe one
 * too, which Node decodes alike). `Buffer.from(…, 'base64')` skips any other character rather than
 * refusing it, so text that is not base64 would decode to bytes nobody sent.
 */
const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;

/** The work inside a Pub/Sub CloudEvent (`data.message.data`, base64 JSON). */
export function workOfPubsubEvent(event: { readonly data?: unknown }): unknown {
  const data = (event.data as { message?: { data?: unknown } } | undefined)?.message?.data;
  if (typeof data !== 'string') {
    throw new ChatError(400, 'the event carries no Pub/Sub message data', { expose: false });
  }
  if (!BASE64.test(data)) {
    throw new ChatError(400, 'the Pub/Sub message data is not base64, as Pub/Sub sends it', {
      expose: false,
    });
  }
  try {
    return JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
  } catch (error) {
    throw new ChatError(400, 'the Pub/Sub message data is not JSON', { cause: error, expose: false });
  }
}
