/**
 * `chat-amazon-q` Lambda: the chat commands as an Amazon Q Developer custom action,
 * `lambda invoke --function-name certctl-backup-guard-chat --payload '{"command":"…"}'`.
 * The payload is validated with zod (functions/chatops/amazon-q.ts). Amazon Q gives a CLI command 15
 * seconds, so `help` is answered at once and every other command is handed to `chat-action`
 * asynchronously, whose answer reaches the channel as a custom notification on the topic the
 * channel subscribes to.
 *
 * Who may invoke this function is IAM's decision: the channel role, bounded by its guardrail policy,
 * grants `lambda:InvokeFunction` on this function and nothing else (docs/deploy.md). Amazon Q passes
 * no verified chat user: a payload's `requestedBy` is recorded as `amazon-q:claimed:<name>`
 * (functions/chatops/amazon-q.ts `amazonQRequester`).
 *
 * What Amazon Q documents showing in a channel is a custom notification published to the topic the
 * channel subscribes to, in its event schema (custom-notifs.html, "Event schema"); CLI commands,
 * `lambda invoke` among them, time out after 15 seconds, and longer jobs are to be invoked
 * asynchronously (intro-to-the-aws-cli-in-slack.html). What it shows of an invoked function's result
 * it does not document. So every answer of this function, the acknowledgement (in the thread the
 * progress and the answer follow), the help and a refusal, is published as a custom notification
 * (functions/chatops/amazon-q.ts `amazonQNotification`); the invocation's result is the same answer as
 * the JSON object `{ ok, message }`, for `lambda invoke` itself. A user mistake is `ok: false` with
 * the help, never a thrown error (Amazon Q would show its stack trace), and a notification that
 * cannot be published is logged and counted (`ChatNotificationsNotDelivered`), the result still
 * returned.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { CHAT_ACTION_FUNCTION_ENV, lambdaDispatcher } from '../../aws/chat-dispatch.ts';
import {
  amazonQReplier,
  amazonQThreadId,
  CHAT_NOTIFICATION_TOPIC_ENV,
} from '../../aws/chat-notifications.ts';
import { amazonQRequester, invocationText, parseAmazonQPayload } from '../../chatops/amazon-q.ts';
import { ChatError, publicMessage } from '../../chatops/errors.ts';
import { helpText } from '../../chatops/grammar.ts';
import { ASYNC_COMMANDS, acknowledgementText } from '../../chatops/middleware.ts';
import {
  escapeMrkdwn,
  message,
  type SlackMessage,
  section,
  withoutAutoParsing,
} from '../../chatops/replies.ts';
import { type ChatWork, requestKeyOf } from '../../chatops/work.ts';
import { describeError, InputError } from '../../core/errors.ts';
import { createObservability } from './observability.ts';

export const CHAT_AMAZON_Q_SERVICE = 'chat-amazon-q';

const observability = createObservability(CHAT_AMAZON_Q_SERVICE);
type Observability = ReturnType<typeof createObservability>;

/**
 * The invocation's result: whether the command was understood and accepted, and the answer as
 * mrkdwn. The channel is sent the same answer as a custom notification.
 */
export interface AmazonQAnswer {
  readonly ok: boolean;
  readonly message: string;
}

export interface ChatAmazonQDependencies {
  readonly dispatch: (work: ChatWork) => Promise<void>;
  readonly logger: Observability['logger'];
  readonly metrics: Observability['metrics'];
  readonly now?: () => Date;
  /** The topic the channel subscribes to; absent, answers are only the invocation's result. */
  readonly notifications?: { readonly client: Pick<SNSClient, 'send'>; readonly topicArn: string };
}

/** Answer one invocation; `deliveryId` is the Lambda request id (one per invocation). */
export async function amazonQCommand(
  payload: unknown,
  deliveryId: string,
  deps: ChatAmazonQDependencies,
): Promise<AmazonQAnswer> {
  const { logger, metrics } = deps;
  const count = (name: string) => metrics.addMetric(name, MetricUnit.Count, 1);
  count('ChatRequests');
  // An answer of its own (help, a refusal, a failure) is a thread of its own.
  let threadId = amazonQThreadId(deliveryId);
  let reply: SlackMessage;
  let answer: AmazonQAnswer;
  try {
    const request = parseAmazonQPayload(payload);
    const { command } = request;
    if (!ASYNC_COMMANDS.has(command.name)) {
      const help = helpText(command.name === 'help' ? command.topic : undefined);
      reply = message('backup-guard help', [section(help)]);
      answer = { ok: true, message: help };
    } else {
      // The payload's requestedBy is the caller's claim, labelled as such (amazonQRequester).
      const requestedBy = amazonQRequester(request);
      const work: ChatWork = {
        command,
        requestedBy,
        replyTo: { kind: 'amazon-q' },
        requestKey: requestKeyOf(command, requestedBy, deliveryId),
        acceptedAt: (deps.now ?? (() => new Date()))().toISOString(),
      };
      await deps.dispatch(work);
      count('ChatCommandsAccepted');
      logger.info('chat command accepted', {
        requestedBy,
        command: command.name,
        requestKey: work.requestKey,
      });
      const what = acknowledgementText(work);
      const text = `${what}. The progress and the result will be posted to this channel.${
        request.requestedBy
          ? ` Recorded as requested by ${escapeMrkdwn(requestedBy)}: the payload names ${escapeMrkdwn(request.requestedBy)}, and Amazon Q passes no verified user to the function.`
          : ''
      }`;
      // The acknowledgement opens the thread the progress and the answer follow (chat-action).
      threadId = amazonQThreadId(work.requestKey);
      reply = message(`${what}…`, [section(`:hourglass_flowing_sand: ${text}`)]);
      answer = { ok: true, message: text };
    }
  } catch (error) {
    if (error instanceof ChatError && error.expose) {
      // A mistyped command: the user gets its help; nothing ran.
      logger.info('chat command not understood', { reason: error.message });
      answer = { ok: false, message: error.message };
    } else {
      count('ChatCommandsFailed');
      logger.error('chat command failed', {
        error: { name: (error as Error)?.name, message: describeError(error) },
      });
      answer = { ok: false, message: publicMessage(error) };
    }
    reply = message('backup-guard could not run the command', [section(`:x: ${answer.message}`)]);
  }
  await notify(reply, threadId, deps);
  // The result is the notification's text with the same guard (amazon-q.ts amazonQNotification), so
  // an error repeating the payload (a key `@here http://evil.example`, a claimed requester) mentions
  // and links nothing should it be parsed; but it is shown as written, not as mrkdwn, so the escapes
  // values carry for mrkdwn are decoded (invocationText) rather than shown as `&gt;`.
  return { ok: answer.ok, message: invocationText(withoutAutoParsing(answer.message)) };
}

/** Publish `reply` to the channel; a failure is logged and counted, never thrown. */
async function notify(reply: SlackMessage, threadId: string, deps: ChatAmazonQDependencies): Promise<void> {
  if (!deps.notifications) return;
  try {
    await amazonQReplier(deps.notifications.client, deps.notifications.topicArn, threadId).post(reply);
  } catch (error) {
    deps.metrics.addMetric('ChatNotificationsNotDelivered', MetricUnit.Count, 1);
    deps.logger.error('chat notification not delivered', {
      error: { name: (error as Error)?.name, message: describeError(error) },
    });
  }
}

let dependencies: ChatAmazonQDependencies | undefined;

function containerDependencies(): ChatAmazonQDependencies {
  if (!dependencies) {
    const actionFunction = process.env[CHAT_ACTION_FUNCTION_ENV];
    // A deployment fault surfaces inside amazonQCommand (logged, counted as ChatCommandsFailed,
    // answered with the generic line), never as a thrown error whose stack trace Amazon Q shows.
    const dispatch = actionFunction
      ? lambdaDispatcher(new LambdaClient({}), actionFunction)
      : async () => {
          throw new InputError(
            `${CHAT_AMAZON_Q_SERVICE} needs ${CHAT_ACTION_FUNCTION_ENV} (the action function); the deployment sets it`,
          );
        };
    const topicArn = process.env[CHAT_NOTIFICATION_TOPIC_ENV];
    dependencies = {
      dispatch,
      ...observability,
      ...(topicArn ? { notifications: { client: new SNSClient({}), topicArn } } : {}),
    };
  }
  return dependencies;
}

/** The custom action's handler. */
export async function handler(
  payload: unknown,
  context: { readonly awsRequestId: string },
): Promise<AmazonQAnswer> {
  try {
    return await amazonQCommand(payload, context.awsRequestId, containerDependencies());
  } finally {
    observability.metrics.publishStoredMetrics();
  }
}
