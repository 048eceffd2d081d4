/**
 * A Slack slash-command request as a Lambda Function URL (payload 2.0) delivers it: the raw body
 * (base64-decoded when `isBase64Encoded`, since the signature covers the exact bytes), the signing
 * headers looked up case-insensitively, and the form fields Slack sends
 * (https://api.slack.com/interactivity/slash-commands). Only what the product reads is validated;
 * `token` and `user_name` are deprecated and ignored.
 */

import { inputIssues } from '../core/errors.ts';
import * as z from '../core/zod.ts';
import type { SlackIdentity } from './authorize.ts';
import { ChatError } from './errors.ts';
import { checkReplyUrl } from './reply-hosts.ts';

/** The part of an HTTP event a Slack request needs (Function URL / HTTP API payload 2.0). */
export interface HttpEvent {
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

/** The signing inputs of a Slack request, before anything is parsed. */
export interface SignedSlackRequest {
  readonly rawBody: Buffer;
  readonly signature: string | undefined;
  readonly timestamp: string | undefined;
}

/** A header by name, whatever case the platform delivered it in. */
export function headerValue(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value ?? undefined;
  }
  return undefined;
}

/** The raw body bytes and the signing headers. */
export function signedRequestOf(event: HttpEvent): SignedSlackRequest {
  const body = event.body ?? '';
  return {
    rawBody: event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
    signature: headerValue(event, 'x-slack-signature'),
    timestamp: headerValue(event, 'x-slack-request-timestamp'),
  };
}

const SLACK_ID = /^[A-Z0-9]{2,30}$/;

const slashCommandSchema = z.object({
  team_id: z.string().check(z.regex(SLACK_ID)),
  // Sent under Enterprise Grid; empty or absent elsewhere.
  enterprise_id: z.optional(z.string().check(z.regex(/^(?:[A-Z0-9]{2,30})?$/))),
  channel_id: z.string().check(z.regex(SLACK_ID)),
  user_id: z.string().check(z.regex(SLACK_ID)),
  command: z.string().check(z.minLength(2), z.maxLength(64)),
  // Any length: the grammar says a text too long is (grammar.ts MAX_COMMAND_TEXT), once the caller's
  // team and channel are allowed (middleware.ts slackAuthorization).
  text: z._default(z.string(), ''),
  response_url: z.url({ protocol: /^https?$/ }),
  trigger_id: z.string().check(z.minLength(1), z.maxLength(200)),
  ssl_check: z.optional(z.string()),
});

/** A slash command, as the product uses it. */
export interface SlashCommand {
  readonly identity: SlackIdentity;
  /** `/backup-guard`, as the workspace named the command. */
  readonly command: string;
  /** What follows the command: parsed by the chat grammar. */
  readonly text: string;
  /** Where replies go (at most five, within 30 minutes). */
  readonly responseUrl: string;
  readonly triggerId: string;
}

/** Slack's `ssl_check` probe: answered 200 and nothing else (no command to run). */
export function isSslCheck(rawBody: Buffer): boolean {
  return new URLSearchParams(rawBody.toString('utf8')).get('ssl_check') === '1';
}

/**
 * The text as the user typed it: Slack sends `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;`
 * (https://api.slack.com/reference/surfaces/formatting#escaping). Decoded once, here; every answer
 * escapes what it repeats again (replies.ts `escapeMrkdwn`), and snapshot tags keep only the
 * characters AWS allows.
 */
export function unescapeSlackText(text: string): string {
  return text.replace(/&(amp|lt|gt);/g, (_, name: string) =>
    name === 'amp' ? '&' : name === 'lt' ? '<' : '>',
  );
}

/**
 * Parse the verified form body; a body Slack would not send is a 400 naming the field, and a
 * `response_url` outside `replyHosts` (reply-hosts.ts) a 400 saying where answers may go.
 */
export function parseSlashCommand(rawBody: Buffer, replyHosts?: readonly string[]): SlashCommand {
  const params = new URLSearchParams(rawBody.toString('utf8'));
  // Slack sends each field once. A field given twice has no one value: Object.fromEntries keeps the
  // last, URLSearchParams.get the first, so the user or text acted on would depend on the reader.
  const repeated = Object.keys(slashCommandSchema.shape).filter((field) => params.getAll(field).length > 1);
  if (repeated.length > 0) {
    throw new ChatError(
      400,
      `the slash-command request is missing or has bad fields: ${repeated.map((field) => `${field} (given twice)`).join(', ')}`,
    );
  }
  const parsed = slashCommandSchema.safeParse(Object.fromEntries(params));
  if (!parsed.success) {
    const fields = inputIssues(parsed.error.issues).map((issue) => issue.path);
    throw new ChatError(
      400,
      `the slash-command request is missing or has bad fields: ${[...new Set(fields)].join(', ')}`,
    );
  }
  const value = parsed.data;
  checkReplyUrl(value.response_url, replyHosts);
  return {
    identity: {
      teamId: value.team_id,
      ...(value.enterprise_id ? { enterpriseId: value.enterprise_id } : {}),
      channelId: value.channel_id,
      userId: value.user_id,
    },
    command: value.command,
    text: unescapeSlackText(value.text),
    responseUrl: value.response_url,
    triggerId: value.trigger_id,
  };
}
