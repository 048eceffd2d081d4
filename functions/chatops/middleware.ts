/**
 * The Slack endpoint's middy middleware, one per phase, in the order they run:
 *
 * 1. `slackVerification` (before): the raw body is what Slack signed, now (see signature.ts);
 *    anything else is refused with 401 before a byte of it is parsed.
 * 2. `slackAuthorization` (before): parse the slash command, check its team and channel against the
 *    policy's allow-lists, then parse its text (grammar.ts) and check the user for the command
 *    (authorize.ts), also when the text is malformed; refusals are logged with who and why, and so
 *    are a form Slack would not send and a command not understood.
 * 3. `slackAcknowledgement` (before): a command that calls a cloud (snapshot, readiness, status) is
 *    handed to the action function asynchronously and acknowledged at once, well within Slack's 3
 *    seconds (status lists snapshots in every region, which a cold start could not promise in 3 s);
 *    `help` reaches the handler.
 * 4. `chatErrorResponse` (onError): every error becomes an answer Slack can show: 4xx messages as
 *    the user's help, 5xx as a generic line (details only in the log), signature failures as a bare
 *    401.
 *
 * Modelled on middy's middleware (https://middy.js.org/docs/writing-middlewares/intro): factories
 * returning named phase functions, errors carrying `status` and `expose` like @middy/http-error-handler.
 */
import type { MiddlewareObj } from '@middy/core';
import type { ChatopsPolicy } from '../core/chatops-policy.ts';
import type { StructuredLogger } from '../core/logging.ts';
import { authorizeSlackCommand, authorizeSlackPlace } from './authorize.ts';
import { ChatError, NotAuthorizedError, publicMessage, SignatureError } from './errors.ts';
import {
  CHAT_COMMANDS,
  type ChatCommand,
  type ChatCommandName,
  parseChatCommand,
  QUOTE_CHARACTERS,
} from './grammar.ts';
import { escapeMrkdwn, message, type SlackMessage, section, withoutAutoParsing } from './replies.ts';
import { verifySlackRequest } from './signature.ts';
import {
  type HttpEvent,
  isSslCheck,
  parseSlashCommand,
  type SlashCommand,
  signedRequestOf,
} from './slack.ts';
import { type ChatWork, requestKeyOf } from './work.ts';

export type { ChatWork } from './work.ts';

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

type SlackMiddleware = MiddlewareObj<SlackEvent, HttpResponse>;

/**
 * A JSON answer Slack shows to the caller only (ephemeral). Its `text` goes through
 * {@link withoutAutoParsing} here, whoever wrote it: an answer of `text` alone (an error, the help)
 * is parsed by Slack without `verbatim`, and an error's message may repeat what the caller typed, so
 * `@here` or `http://evil.example` in it would notify or link. The guard leaves code spans and the
 * product's own links as written, and changes nothing in a text it already went through
 * ({@link message}).
 */
export function slackAnswer(reply: SlackMessage, statusCode = 200): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ response_type: 'ephemeral', ...reply, text: withoutAutoParsing(reply.text) }),
  };
}

export interface SlackVerificationOptions {
  /** The signing secret, read once per container and cached by the caller (Powertools Parameters). */
  readonly signingSecret: () => Promise<string>;
  /**
   * Read the secret again after a signature mismatch, for a secret rotated in Slack since this
   * container cached it: the new value, or `undefined` when it is unchanged or was re-read too
   * recently (the caller bounds how often, so forged requests cannot drive the secret store).
   */
  readonly refreshSigningSecret?: () => Promise<string | undefined>;
  readonly now?: () => Date;
}

export function slackVerification(options: SlackVerificationOptions): SlackMiddleware {
  const slackVerificationBefore: SlackMiddleware['before'] = async (request) => {
    const signed = signedRequestOf(request.event);
    const now = (options.now ?? (() => new Date()))();
    try {
      verifySlackRequest(signed, await options.signingSecret(), now);
    } catch (error) {
      if (!(error instanceof SignatureError) || error.reason !== 'mismatch') throw error;
      let fresh: string | undefined;
      try {
        fresh = await options.refreshSigningSecret?.();
      } catch (refreshError) {
        // The request still did not verify: refuse it as such (401, counted as a refusal), never
        // answer a forged request with our own failure. Why the re-read failed goes to the log.
        throw new SignatureError(
          'mismatch',
          `${error.message}; the signing secret could not be re-read (${(refreshError as Error)?.name ?? 'error'}: ${(refreshError as Error)?.message ?? ''})`,
        );
      }
      if (fresh === undefined) throw error;
      verifySlackRequest(signed, fresh, now);
    }
    if (isSslCheck(signed.rawBody)) return { statusCode: 200, headers: {}, body: '' };
    request.event.verifiedBody = signed.rawBody;
    return undefined;
  };
  return { name: 'slackVerification', before: slackVerificationBefore };
}

export interface SlackAuthorizationOptions {
  readonly policy: ChatopsPolicy;
  readonly logger: StructuredLogger;
  /**
   * Hosts a `response_url` may name; a command naming another is refused (400) before any work.
   * @default SLACK_REPLY_HOSTS (reply-hosts.ts)
   */
  readonly replyHosts?: readonly string[];
}

export function slackAuthorization(options: SlackAuthorizationOptions): SlackMiddleware {
  const slackAuthorizationBefore: SlackMiddleware['before'] = (request) => {
    const body = request.event.verifiedBody;
    if (!body) throw new ChatError(500, 'slackAuthorization runs after slackVerification', { expose: false });
    let slash: SlashCommand;
    try {
      slash = parseSlashCommand(body, options.replyHosts);
    } catch (error) {
      // Signed, yet not what Slack sends (a field missing, repeated or malformed, a response_url
      // elsewhere): Slack changed, or someone else holds the signing secret. The caller is told; the
      // operator must be too. The reason names fields, never their values (nor the response_url).
      options.logger.warn('slack request malformed', { reason: (error as Error).message });
      throw error;
    }
    const refusing = (name: string | undefined, check: () => void): void => {
      try {
        check();
      } catch (error) {
        options.logger.warn('chat command refused', {
          ...slash.identity,
          ...(name ? { command: name } : {}),
          reason: (error as Error).message,
          ...(error instanceof NotAuthorizedError && error.detail ? { detail: error.detail } : {}),
        });
        throw error;
      }
    };
    // Team and channel first: a caller from elsewhere is refused whatever the text says.
    refusing(undefined, () => authorizeSlackPlace(slash.identity, options.policy));
    const command = parseChatCommand(slash.text);
    if (command instanceof ChatError) {
      // A malformed command the user may not run at all is refused, not explained.
      const named = commandNamed(slash.text);
      if (named) refusing(named, () => authorizeSlackCommand(slash.identity, named, options.policy));
      // Answered with its help; logged as the Amazon Q action logs it, so a user's trouble shows.
      options.logger.info('chat command not understood', {
        ...slash.identity,
        ...(named ? { command: named } : {}),
        reason: command.message,
      });
      throw command;
    }
    refusing(command.name, () => authorizeSlackCommand(slash.identity, command.name, options.policy));
    request.event.slack = { request: slash, command };
    return undefined;
  };
  return { name: 'slackAuthorization', before: slackAuthorizationBefore };
}

/**
 * The command the text's first word names (any case), if it names one. Read as the grammar reads
 * it, every kind of quote it reads dropped (straight, curly, single, guillemets): `"snapshot"`,
 * `‘snapshot’` and `snap"shot"` are `snapshot` there, so a user who may not snapshot is refused them,
 * not shown the snapshot help. An unclosed quote counts too (`"snapshot db`), and so does an
 * apostrophe the grammar keeps as a letter (`snap'shot`): refusing what the grammar would not read
 * is the safe side.
 */
function commandNamed(text: string): ChatCommandName | undefined {
  const first =
    [...text]
      .filter((char) => !QUOTE_CHARACTERS.has(char))
      .join('')
      .trim()
      .split(/\s+/)[0]
      ?.toLowerCase() ?? '';
  return (CHAT_COMMANDS as readonly string[]).includes(first) ? (first as ChatCommandName) : undefined;
}

export interface SlackAcknowledgementOptions {
  /** Hand the work to the action function (an asynchronous Lambda invoke); must return quickly. */
  readonly dispatch: (work: ChatWork) => Promise<void>;
  readonly logger: StructuredLogger;
  readonly now?: () => Date;
}

/** The commands the action function runs; `help` is answered by the endpoint itself. */
export const ASYNC_COMMANDS: ReadonlySet<ChatCommand['name']> = new Set(['snapshot', 'readiness', 'status']);

/**
 * The most characters of database names an acknowledgement repeats. A command may name 50 databases
 * of up to 255 characters (grammar.ts), more than a Slack section holds (3,000 characters), and
 * the answer may not show each of them either: past this an acknowledgement counts the databases
 * and names none, so it never promises a database the answer then leaves out (the answer counts
 * those it leaves out: replies.ts fitReply), and is never cut mid-name or before it says where the
 * answer will come.
 */
const ACK_NAMES = 200;

/** The databases a command names, as an acknowledgement repeats them (escaped: they are mrkdwn). */
function namedTargets(targets: readonly string[]): string {
  const names = targets.join(', ');
  return names.length <= ACK_NAMES ? escapeMrkdwn(names) : `the ${targets.length} databases named`;
}

/** The acknowledgement of accepted work: what is being done, and where the answer will come. */
export function acknowledgementText(work: Pick<ChatWork, 'command'>): string {
  const command = work.command;
  switch (command.name) {
    case 'snapshot':
      return `Taking pre-maintenance snapshots of ${command.targets.length > 0 ? namedTargets(command.targets) : 'every database of the policy'} for ${escapeMrkdwn(command.ticket)}`;
    case 'readiness':
      return `Checking readiness${command.targets.length > 0 ? ` of ${namedTargets(command.targets)}` : ''}`;
    default:
      return 'Reading the last published audit and the last pre-maintenance snapshots';
  }
}

export function slackAcknowledgement(options: SlackAcknowledgementOptions): SlackMiddleware {
  const slackAcknowledgementBefore: SlackMiddleware['before'] = async (request) => {
    const slack = request.event.slack;
    if (!slack)
      throw new ChatError(500, 'slackAcknowledgement runs after slackAuthorization', { expose: false });
    if (!ASYNC_COMMANDS.has(slack.command.name)) return undefined;
    const { identity } = slack.request;
    const requestedBy = `slack:${identity.teamId}/${identity.userId}`;
    const work: ChatWork = {
      command: slack.command,
      requestedBy,
      replyTo: { kind: 'slack', responseUrl: slack.request.responseUrl },
      requestKey: requestKeyOf(slack.command, requestedBy, slack.request.triggerId),
      acceptedAt: (options.now ?? (() => new Date()))().toISOString(),
    };
    await options.dispatch(work);
    options.logger.info('chat command accepted', {
      ...identity,
      command: work.command.name,
      requestKey: work.requestKey,
    });
    const what = acknowledgementText(work);
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
  /**
   * Called once per refused request (a bad signature, or a caller the allow-lists refuse), for the
   * refused-commands metric and its alarm.
   */
  readonly onRefusal?: (kind: 'signature' | 'authorization') => void;
  /** Called once per request that failed on our side (a 5xx), for the failed-commands metric. */
  readonly onFailure?: () => void;
}

export function chatErrorResponse(options: ChatErrorResponseOptions): SlackMiddleware {
  const chatErrorResponseOnError: SlackMiddleware['onError'] = (request) => {
    const error = request.error;
    if (error instanceof SignatureError) {
      options.onRefusal?.('signature');
      options.logger.warn('slack request refused', { reason: error.reason, detail: error.message });
      request.response = {
        statusCode: 401,
        headers: { 'content-type': 'text/plain' },
        body: 'Request refused.',
      };
      return;
    }
    if (error instanceof NotAuthorizedError) options.onRefusal?.('authorization');
    if (error instanceof ChatError && error.expose) {
      // Slack shows a 200 body to the caller; any other status only as a generic failure.
      request.response = slackAnswer({ text: error.message });
      return;
    }
    options.onFailure?.();
    options.logger.error('chat command failed', {
      error: { name: (error as Error)?.name, message: (error as Error)?.message },
    });
    request.response = slackAnswer({ text: publicMessage(error) });
  };
  return { name: 'chatErrorResponse', onError: chatErrorResponseOnError };
}
