/**
 * A chat command on its way from the entry point that accepted it (the Slack endpoint, the Amazon Q
 * Developer action, the GCP chat function) to the action function that runs it. Plain data, so it
 * travels in an asynchronous Lambda invocation (`InvocationType: Event` takes at most 1 MB) or a
 * Pub/Sub message; the action function validates it again with {@link chatWorkSchema}, since an
 * asynchronous invocation is an input like any other.
 */

import { keyOf } from '../core/digest.ts';
import { inputIssues, issuesLine } from '../core/errors.ts';
import * as z from '../core/zod.ts';
import { ChatError } from './errors.ts';
import type { ChatCommand } from './grammar.ts';
import { checkReplyUrl } from './reply-hosts.ts';

/** Where the replies of a command go. */
export type ChatReplyTarget =
  /** Slack's `response_url` of the slash command (five posts within 30 minutes). */
  | { readonly kind: 'slack'; readonly responseUrl: string }
  /**
   * Amazon Q Developer in chat: the invocation has no reply address, so the result is published as a
   * custom notification to the SNS topic the channel subscribes to.
   */
  | { readonly kind: 'amazon-q' };

/** Work handed to the action function. */
export interface ChatWork {
  readonly command: ChatCommand;
  /**
   * Who asked, as the snapshot tags and the logs name them: `slack:T…/U…` (verified by the
   * signature), `amazon-q:channel`, or `amazon-q:claimed:<name>` (a name the payload gives, unverified).
   */
  readonly requestedBy: string;
  readonly replyTo: ChatReplyTarget;
  /**
   * The idempotency key, from the request and not the delivery: a Slack retry, a double submission
   * or the same snapshot asked twice (same ticket and targets) maps to the same key and never starts
   * a second snapshot. See {@link requestKeyOf}. The action function keys the snapshot job by the
   * targets this resolves to (functions/jobs/snapshot-once.ts resolvedRequestKey), so other
   * wordings of the same databases (none named, each named) dedupe too.
   */
  readonly requestKey: string;
  /** When the entry point accepted it (ISO 8601): Slack's 30-minute reply window starts here. */
  readonly acceptedAt: string;
}

const chatCommandSchema = z.discriminatedUnion('name', [
  z.strictObject({
    name: z.literal('snapshot'),
    targets: z.array(z.string().check(z.minLength(1), z.maxLength(255))).check(z.maxLength(50)),
    reason: z.string().check(z.minLength(1), z.maxLength(256)),
    ticket: z.string().check(z.minLength(1), z.maxLength(64)),
  }),
  z.strictObject({
    name: z.literal('readiness'),
    targets: z.array(z.string().check(z.minLength(1), z.maxLength(255))).check(z.maxLength(50)),
  }),
  z.strictObject({ name: z.literal('status') }),
  z.strictObject({
    name: z.literal('help'),
    topic: z.optional(z.enum(['snapshot', 'readiness', 'status', 'help'])),
  }),
]);

export const chatWorkSchema = z.strictObject({
  command: chatCommandSchema,
  requestedBy: z.string().check(z.minLength(1), z.maxLength(256)),
  replyTo: z.discriminatedUnion('kind', [
    // The host, scheme and credentials are checked by parseChatWork against the reply hosts.
    z.strictObject({
      kind: z.literal('slack'),
      responseUrl: z.string().check(z.minLength(1), z.maxLength(2048)),
    }),
    z.strictObject({ kind: z.literal('amazon-q') }),
  ]),
  requestKey: z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hex digest')),
  acceptedAt: z.iso.datetime(),
});

/**
 * Validate an action function's event; a bad one is a 400 naming the fields. A Slack
 * `response_url` must name one of `replyHosts` ({@link checkReplyUrl}, the Slack endpoint's own
 * check), so work handed off with another address is refused before it runs, whether or not its
 * answer would still be posted.
 */
export function parseChatWork(event: unknown, replyHosts?: readonly string[]): ChatWork {
  const parsed = chatWorkSchema.safeParse(event);
  if (!parsed.success) {
    throw new ChatError(400, `the chat work is invalid: ${issuesLine(inputIssues(parsed.error.issues))}`, {
      expose: false,
    });
  }
  const work = parsed.data as ChatWork;
  if (work.replyTo.kind === 'slack') {
    try {
      checkReplyUrl(work.replyTo.responseUrl, replyHosts);
    } catch (error) {
      // checkReplyUrl's message never repeats the URL (a capability to post to the channel).
      throw new ChatError(400, `the chat work is invalid: replyTo.responseUrl: ${(error as Error).message}`, {
        expose: false,
        cause: error,
      });
    }
  }
  return work;
}

/**
 * The idempotency key of a command. A snapshot is keyed by what it does (ticket and targets, in any
 * order and case, the ticket's case too), whoever and wherever asked, so a Slack retry, a double click and the same request
 * through Amazon Q all take one snapshot. Every other command is keyed by its delivery (`origin`
 * and the entry point's request id, such as Slack's `trigger_id`): it writes nothing, and asking
 * twice means wanting two answers.
 */
export function requestKeyOf(command: ChatCommand, origin: string, deliveryId: string): string {
  const parts =
    command.name === 'snapshot'
      ? [
          'snapshot',
          command.ticket.toLowerCase(),
          // Database names are case-insensitive: one named twice in two cases is one database.
          ...[...new Set(command.targets.map((t) => t.toLowerCase()))].sort(),
        ]
      : [command.name, origin, deliveryId];
  return keyOf(parts);
}

/**
 * The identity of one hand-off: the work's own bytes (its request key, where it answers, and the
 * moment it was accepted). Lambda and Pub/Sub deliver at least once, and a repeated delivery
 * carries the very same work; a Slack retry, a replay or the same custom action run again is
 * accepted anew (a later `acceptedAt`) and is its own hand-off.
 */
export function deliveryKeyOf(work: ChatWork): string {
  const { command, requestedBy, replyTo, requestKey, acceptedAt } = work;
  return keyOf([requestKey, replyTo, acceptedAt, requestedBy, command]);
}
