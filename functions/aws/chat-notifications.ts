/**
 * Replies to Amazon Q Developer in chat: a custom action's invocation has no reply address, so the
 * progress and the answer of a long command are published to the SNS topic the channel subscribes
 * to, as custom notifications ({@link amazonQNotification}), threaded per request.
 *
 * The SNS SDK is imported on the first publish, not with this module: `chat-action` imports it for
 * every command, and only an Amazon Q answer publishes (a Slack one posts to its response_url), so
 * its cold start does not load the SNS client (about 21 KiB) for nothing. `chat-amazon-q` and
 * `chat-unfinished`, which make their SNS client at start, have it loaded already.
 */
import { randomUUID } from 'node:crypto';
import type { SNSClient } from '@aws-sdk/client-sns';
import { amazonQNotification } from '../chatops/amazon-q.ts';
import type { SlackMessage } from '../chatops/replies.ts';
import type { ChatReplier } from '../chatops/run-work.ts';

/** Environment variable naming the topic the Amazon Q channel subscribes to. */
export const CHAT_NOTIFICATION_TOPIC_ENV = 'BACKUP_GUARD_CHAT_NOTIFICATION_TOPIC';

/**
 * The thread of one request's notifications, from its request key (functions/chatops/work.ts): the
 * acknowledgement (chat-amazon-q), the progress and the answer (chat-action), and the notice of a
 * run that did not finish (chat-unfinished) all name it, so they share one thread.
 */
export function amazonQThreadId(requestKey: string): string {
  return requestKey.slice(0, 32);
}

/**
 * A replier publishing to `topicArn`; `threadId` groups one request's messages. Each message gets
 * its own event id (the schema's "unique event identifier"): a repeat of the request (Lambda's
 * repeated delivery, the same custom action run again) answers in the same thread, and its answer
 * must not pass for one already shown.
 */
export function amazonQReplier(
  client: Pick<SNSClient, 'send'>,
  topicArn: string,
  threadId: string,
): ChatReplier {
  const publish = async (reply: SlackMessage): Promise<void> => {
    const { PublishCommand } = await import('@aws-sdk/client-sns');
    await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: JSON.stringify(amazonQNotification(reply, threadId, randomUUID())),
      }),
    );
  };
  return {
    progress: async (reply) => {
      await publish(reply);
      return true;
    },
    post: publish,
  };
}

/** An SNS client's one call used here. */
export type SnsSender = Pick<SNSClient, 'send'>;

/**
 * An SNS client made on its first send by `make` (which imports the SDK), for `chat-action`: a
 * deployment without an Amazon Q channel, or a Slack command, never loads it. A `make` that failed is
 * tried again on the next send, not remembered.
 */
export function snsClientOnFirstSend(make: () => Promise<SnsSender>): SnsSender {
  let client: Promise<SnsSender> | undefined;
  const made = (): Promise<SnsSender> => {
    client ??= make().catch((error: unknown) => {
      client = undefined;
      throw error;
    });
    return client;
  };
  // The one overload used here (a command, a promise back); the callback forms are not.
  const send = async (command: Parameters<SnsSender['send']>[0]) => (await made()).send(command);
  return { send: send as SnsSender['send'] };
}
