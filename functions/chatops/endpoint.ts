/**
 * The Slack endpoint, whatever hosts it: the middy chain of the ChatOps middleware
 * (slackVerification -> slackAuthorization -> slackAcknowledgement, chatErrorResponse on error)
 * around a handler that answers `help`. The Lambda (functions/handlers/aws/chat-slack.ts) and the
 * Cloud Function (functions/handlers/gcp/chat-slack.ts) differ only in how they deliver the event, read
 * the secret, hand the work off and record the counts.
 */
import middy from '@middy/core';
import type { ChatopsPolicy } from '../core/chatops-policy.ts';
import type { StructuredLogger } from '../core/logging.ts';
import { helpText } from './grammar.ts';
import {
  chatErrorResponse,
  type HttpResponse,
  type SlackEvent,
  slackAcknowledgement,
  slackAnswer,
  slackAuthorization,
  slackVerification,
} from './middleware.ts';
import type { ChatWork } from './work.ts';

/** What the endpoint counts: one name per metric (CloudWatch, or a log-based metric on GCP). */
export type ChatEndpointMetric =
  | 'ChatRequests'
  | 'ChatCommandsAccepted'
  | 'ChatCommandsRefused'
  | 'ChatCommandsFailed';

export interface SlackEndpointOptions {
  readonly policy: ChatopsPolicy;
  readonly signingSecret: () => Promise<string>;
  /** See slackVerification: a re-read after a mismatch, bounded by the caller. */
  readonly refreshSigningSecret?: () => Promise<string | undefined>;
  /** Hand the work to the action function, asynchronously. */
  readonly dispatch: (work: ChatWork) => Promise<void>;
  readonly logger: StructuredLogger;
  readonly count: (metric: ChatEndpointMetric) => void;
  readonly now?: () => Date;
  /** See slackAuthorization (the action side's `replyHosts` must allow the same). */
  readonly replyHosts?: readonly string[];
}

/** The endpoint: an HTTP event (payload 2.0 shape) in, the answer for Slack out. */
export function slackEndpoint(options: SlackEndpointOptions): (event: SlackEvent) => Promise<HttpResponse> {
  const { logger, count } = options;
  const now = options.now ? { now: options.now } : {};
  const chain = middy<SlackEvent, HttpResponse>(async (event: SlackEvent) => {
    // Only `help` reaches the handler: every other command was acknowledged by the middleware.
    const command = event.slack?.command;
    return slackAnswer({ text: helpText(command?.name === 'help' ? command.topic : undefined) });
  })
    .use(
      slackVerification({
        signingSecret: options.signingSecret,
        ...(options.refreshSigningSecret ? { refreshSigningSecret: options.refreshSigningSecret } : {}),
        ...now,
      }),
    )
    .use(
      slackAuthorization({
        policy: options.policy,
        logger,
        ...(options.replyHosts ? { replyHosts: options.replyHosts } : {}),
      }),
    )
    .use(
      slackAcknowledgement({
        dispatch: async (work) => {
          await options.dispatch(work);
          count('ChatCommandsAccepted');
        },
        logger,
        ...now,
      }),
    )
    .use(
      chatErrorResponse({
        logger,
        onRefusal: () => count('ChatCommandsRefused'),
        onFailure: () => count('ChatCommandsFailed'),
      }),
    );
  return (event) => {
    count('ChatRequests');
    return chain(event, {} as never);
  };
}
