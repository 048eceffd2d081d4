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
 * (functions/chatops/amazon-q.ts `amazonQRequester`). The answer is
 * always a JSON object `{ ok, message }`: a user mistake is `ok: false` with the help, never a thrown
 * error (Amazon Q would show its stack trace).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { CHAT_ACTION_FUNCTION_ENV, lambdaDispatcher } from '../../aws/chat-dispatch.ts';
import { amazonQRequester, parseAmazonQPayload } from '../../chatops/amazon-q.ts';
import { ChatError, publicMessage } from '../../chatops/errors.ts';
import { helpText } from '../../chatops/grammar.ts';
import { ASYNC_COMMANDS, acknowledgementText } from '../../chatops/middleware.ts';
import { type ChatWork, requestKeyOf } from '../../chatops/work.ts';
import { describeError, InputError } from '../../core/errors.ts';
import { createObservability } from './observability.ts';

export const CHAT_AMAZON_Q_SERVICE = 'chat-amazon-q';

const observability = createObservability(CHAT_AMAZON_Q_SERVICE);
type Observability = ReturnType<typeof createObservability>;

/** What the custom action shows in the channel. */
export interface AmazonQAnswer {
  readonly ok: boolean;
  readonly message: string;
}

export interface ChatAmazonQDependencies {
  readonly dispatch: (work: ChatWork) => Promise<void>;
  readonly logger: Observability['logger'];
  readonly metrics: Observability['metrics'];
  readonly now?: () => Date;
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
  try {
    const request = parseAmazonQPayload(payload);
    const { command } = request;
    if (!ASYNC_COMMANDS.has(command.name)) {
      return { ok: true, message: helpText(command.name === 'help' ? command.topic : undefined) };
    }
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
    logger.info('chat command accepted', { requestedBy, command: command.name, requestKey: work.requestKey });
    return {
      ok: true,
      message: `${acknowledgementText(work)}. The progress and the result will be posted to this channel.${
        request.requestedBy
          ? ` Recorded as requested by ${requestedBy}: the payload names ${request.requestedBy}, and Amazon Q passes no verified user to the function.`
          : ''
      }`,
    };
  } catch (error) {
    if (error instanceof ChatError && error.expose) {
      // A mistyped command: the user gets its help; nothing ran.
      logger.info('chat command not understood', { reason: error.message });
      return { ok: false, message: error.message };
    }
    count('ChatCommandsFailed');
    logger.error('chat command failed', {
      error: { name: (error as Error)?.name, message: describeError(error) },
    });
    return { ok: false, message: publicMessage(error) };
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
    dependencies = { dispatch, ...observability };
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
