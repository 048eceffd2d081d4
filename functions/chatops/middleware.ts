/**
 * The Slack endpoint's middy middleware, one per phase, in the order they run:
 *
 * 1. `slackVerification` (before): the raw body is what Slack signed, now (see signature.ts);
 *    anything else is refused with 401 before a byte of it is parsed.
 * 2. `slackAuthorization` (before): parse the slash command and its text (grammar.ts) and check the
 *    caller against the policy's allow-lists (authorize.ts); refusals are logged with who and why.
 * 3. `slackAcknowledgement` (before): a long command (snapshot, readiness) is handed to the action
 *    function asynchronously and acknowledged at once, well within Slack's 3 seconds; short ones
 *    (help, status) reach the handler.
 * 4. `chatErrorResponse` (onError): every error becomes an answer Slack can show: 4xx messages as
 *    the user's help, 5xx as a generic line (details only in the log), signature failures as a bare
 *    401.
 *
 * Modelled on middy's middleware (https://middy.js.org/docs/writing-middlewares/intro): factories
 * returning named phase functions, errors carrying `status` and `expose` like @middy/http-error-handler.
 */
import { createHash } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { ChatopsPolicy } from '../core/chatops-policy.ts';
import type { StructuredLogger } from '../core/logging.ts';
import { authorizeSlackCommand } from './authorize.ts';
import { ChatError, publicMessage, SignatureError } from './errors.ts';
import { type ChatCommand, parseChatCommand } from './grammar.ts';
import { message, type SlackMessage, section } from './replies.ts';
import { verifySlackRequest } from './signature.ts';
import {
  type HttpEvent,
  isSslCheck,
  parseSlashCommand,
  type SlashCommand,
  signedRequestOf,
} from './slack.ts';

/** The HTTP answer of a Function URL (payload 2.0). */
export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The event as the middleware hands it on: the HTTP event plus what the phases established. */
export interface SlackEvent extends HttpEvent {
  /** Set by slackVerification: the verified raw body. */
  verifiedBody?: Buffer;
  /** Set by slackAuthorization. */
  slack?: { readonly request: SlashCommand; readonly command: ChatCommand };
}

/** Work handed to the action function: plain data, so it travels in an asynchronous invocation. */
export interface ChatWork {
  readonly command: ChatCommand;
  readonly identity: SlashCommand['identity'];
  readonly responseUrl: string;
  /**
   * The idempotency key: from the request, not the delivery, so a Slack retry or a double
   * submission of the same snapshot (same targets and ticket) maps to the same key and never
   * starts a second snapshot.
   */
  readonly requestKey: string;
}

type SlackMiddleware = MiddlewareObj<SlackEvent, HttpResponse>;

/** A JSON answer Slack shows to the caller only (ephemeral). */
export function slackAnswer(reply: SlackMessage, statusCode = 200): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ response_type: 'ephemeral', ...reply }),
  };
}

export interface SlackVerificationOptions {
  /** The signing secret, read once per container and cached by the caller (Powertools Parameters). */
  readonly signingSecret: () => Promise<string>;
  readonly now?: () => Date;
}

export function slackVerification(options: SlackVerificationOptions): SlackMiddleware {
  const slackVerificationBefore: SlackMiddleware['before'] = async (request) => {
    const signed = signedRequestOf(request.event);
    verifySlackRequest(signed, await options.signingSecret(), (options.now ?? (() => new Date()))());
    if (isSslCheck(signed.rawBody)) return { statusCode: 200, headers: {}, body: '' };
    request.event.verifiedBody = signed.rawBody;
    return undefined;
  };
  return { name: 'slackVerification', before: slackVerificationBefore };
}

export interface SlackAuthorizationOptions {
  readonly policy: ChatopsPolicy;
  readonly logger: StructuredLogger;
}

export function slackAuthorization(options: SlackAuthorizationOptions): SlackMiddleware {
  const slackAuthorizationBefore: SlackMiddleware['before'] = (request) => {
    const body = request.event.verifiedBody;
    if (!body) throw new ChatError(500, 'slackAuthorization runs after slackVerification', { expose: false });
    const slash = parseSlashCommand(body);
    const command = parseChatCommand(slash.text);
    if (command instanceof ChatError) throw command;
    try {
      authorizeSlackCommand(slash.identity, command.name, options.policy);
    } catch (error) {
      options.logger.warn('chat command refused', {
        ...slash.identity,
        command: command.name,
        reason: (error as Error).message,
      });
      throw error;
    }
    request.event.slack = { request: slash, command };
    return undefined;
  };
  return { name: 'slackAuthorization', before: slackAuthorizationBefore };
}

/** The idempotency key of a command (see {@link ChatWork.requestKey}). */
export function requestKeyOf(slash: SlashCommand, command: ChatCommand): string {
  const parts =
    command.name === 'snapshot'
      ? [
          'snapshot',
          slash.identity.teamId,
          command.ticket,
          ...[...command.targets].map((t) => t.toLowerCase()).sort(),
        ]
      : [command.name, slash.identity.teamId, slash.identity.userId, slash.triggerId];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export interface SlackAcknowledgementOptions {
  /** Hand the work to the action function (an asynchronous Lambda invoke); must return quickly. */
  readonly dispatch: (work: ChatWork) => Promise<void>;
  readonly logger: StructuredLogger;
}

const LONG_COMMANDS: ReadonlySet<ChatCommand['name']> = new Set(['snapshot', 'readiness']);

export function slackAcknowledgement(options: SlackAcknowledgementOptions): SlackMiddleware {
  const slackAcknowledgementBefore: SlackMiddleware['before'] = async (request) => {
    const slack = request.event.slack;
    if (!slack)
      throw new ChatError(500, 'slackAcknowledgement runs after slackAuthorization', { expose: false });
    if (!LONG_COMMANDS.has(slack.command.name)) return undefined;
    const work: ChatWork = {
      command: slack.command,
      identity: slack.request.identity,
      responseUrl: slack.request.responseUrl,
      requestKey: requestKeyOf(slack.request, slack.command),
    };
    await options.dispatch(work);
    options.logger.info('chat command accepted', {
      ...work.identity,
      command: work.command.name,
      requestKey: work.requestKey,
    });
    const what =
      work.command.name === 'snapshot'
        ? `Taking pre-maintenance snapshots${work.command.targets.length > 0 ? ` of ${work.command.targets.join(', ')}` : ' of every database of the policy'} for ${work.command.ticket}`
        : 'Checking readiness';
    return slackAnswer(
      message(`${what}…`, [
        section(`:hourglass_flowing_sand: ${what}. I will post progress and the result here.`),
      ]),
    );
  };
  return { name: 'slackAcknowledgement', before: slackAcknowledgementBefore };
}

export interface ChatErrorResponseOptions {
  readonly logger: StructuredLogger;
}

export function chatErrorResponse(options: ChatErrorResponseOptions): SlackMiddleware {
  const chatErrorResponseOnError: SlackMiddleware['onError'] = (request) => {
    const error = request.error;
    if (error instanceof SignatureError) {
      options.logger.warn('slack request refused', { reason: error.reason, detail: error.message });
      request.response = {
        statusCode: 401,
        headers: { 'content-type': 'text/plain' },
        body: 'Request refused.',
      };
      return;
    }
    if (error instanceof ChatError && error.expose) {
      // Slack shows a 200 body to the caller; any other status only as a generic failure.
      request.response = slackAnswer({ text: error.message });
      return;
    }
    options.logger.error('chat command failed', {
      error: { name: (error as Error)?.name, message: (error as Error)?.message },
    });
    request.response = slackAnswer({ text: publicMessage(error) });
  };
  return { name: 'chatErrorResponse', onError: chatErrorResponseOnError };
}
