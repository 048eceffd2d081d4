/**
 * Hand a chat command to the GCP action function: publish it to the chat topic, whose push into
 * the `chatAction` function (an Eventarc Pub/Sub trigger) runs it after the Slack function has
 * answered. Cloud Run functions throttle the CPU once the response is sent, so work after the answer
 * must live in another invocation, as the Lambda's asynchronous invoke does on AWS. Pub/Sub delivers
 * at least once: the action function is idempotent per request (functions/chatops/once.ts).
 * REST publish (https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.topics/publish)
 * through google-auth-library's client, which the functions already carry: no Pub/Sub library.
 */
import type { AuthClient } from 'google-auth-library';
import { ChatError } from '../chatops/errors.ts';
import type { ChatWork } from '../chatops/work.ts';
import { GCP_PROJECT_ID_PATTERN } from '../core/gcp-project.ts';
import { CHAT_TOPIC_ENV } from './chat-environment.ts';

const PUBSUB_ENDPOINT = 'https://pubsub.googleapis.com';
const TOPIC = new RegExp(`^projects/${GCP_PROJECT_ID_PATTERN}/topics/[A-Za-z][\\w.~+%-]{2,254}$`);

/** Something that sends an authorized request: google-auth-library's AuthClient. */
export type AuthorizedRequester = Pick<AuthClient, 'request'>;

export function pubsubDispatcher(
  requester: () => Promise<AuthorizedRequester>,
  topic: string,
  endpoint = PUBSUB_ENDPOINT,
): (work: ChatWork) => Promise<void> {
  if (!TOPIC.test(topic)) {
    throw new ChatError(500, `${CHAT_TOPIC_ENV} must be projects/<project>/topics/<topic>, got ${topic}`, {
      expose: false,
    });
  }
  return async (work) => {
    const client = await requester();
    await client.request({
      url: `${endpoint}/v1/${topic}:publish`,
      method: 'POST',
      data: { messages: [{ data: Buffer.from(JSON.stringify(work)).toString('base64') }] },
      // The acknowledgement waits for this: bound it well inside Slack's 3 seconds.
      timeout: 2000,
    });
  };
}

/** The work inside a Pub/Sub CloudEvent (`data.message.data`, base64 JSON). */
export function workOfPubsubEvent(event: { readonly data?: unknown }): unknown {
  const data = (event.data as { message?: { data?: unknown } } | undefined)?.message?.data;
  if (typeof data !== 'string') {
    throw new ChatError(400, 'the event carries no Pub/Sub message data', { expose: false });
  }
  try {
    return JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
  } catch (error) {
    throw new ChatError(400, 'the Pub/Sub message is not JSON', { cause: error, expose: false });
  }
}
