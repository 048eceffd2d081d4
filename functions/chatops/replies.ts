/**
 * Replies to Slack: Block Kit messages within Slack's limits (at most 50 blocks, section text at
 * most 3,000 characters: https://api.slack.com/reference/block-kit/blocks), and a poster for a
 * command's `response_url` that keeps Slack's budget of five posts within 30 minutes
 * (https://api.slack.com/interactivity/slash-commands) and only posts where Slack would send
 * replies from.
 */
import { visibleLine } from '../publish/terminal.ts';
import { ChatError } from './errors.ts';
import { checkReplyUrl } from './reply-hosts.ts';

/** A Block Kit section or context block, the two kinds the product sends. */
export type SlackBlock =
  | { readonly type: 'section'; readonly text: SlackMrkdwn }
  | { readonly type: 'context'; readonly elements: readonly SlackMrkdwn[] }
  | { readonly type: 'divider' };

/**
 * A mrkdwn text object. Always `verbatim`: Slack then skips its automatic parsing (bare URLs
 * becoming links, channel names linked, plain `@channel` / `@here` parsed as mentions), which
 * {@link escapeMrkdwn} alone cannot stop (https://docs.slack.dev/reference/block-kit/composition-objects/text-object).
 */
export interface SlackMrkdwn {
  readonly type: 'mrkdwn';
  readonly text: string;
  readonly verbatim: true;
}

/** A message for `response_url` (or the acknowledgement body). */
export interface SlackMessage {
  /** The notification text, and what clients without Block Kit show. */
  readonly text: string;
  readonly blocks?: readonly SlackBlock[];
  /** `ephemeral` (only the caller sees it, Slack's default) or `in_channel`. */
  readonly response_type?: 'ephemeral' | 'in_channel';
  /** Replace the message the command's earlier reply posted (progress becomes the result). */
  readonly replace_original?: boolean;
}

export const SLACK_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  contextElements: 10,
  posts: 5,
  postWindowMs: 30 * 60_000,
} as const;

/** A section block, its text cut to Slack's limit with a visible marker. */
export function section(text: string): SlackBlock {
  const limit = SLACK_LIMITS.sectionText;
  return {
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: cutText(text, limit),
      verbatim: true,
    },
  };
}

/** The least of a line {@link fitLines} cuts one to: its status, its gate or database, and a start. */
const LEAST_CUT_LINE = 200;

/** `text` cut to `length` characters, the last an ellipsis, never splitting a character in two. */
function cutText(text: string, length: number): string {
  if (text.length <= length) return text;
  const end = Math.max(0, length - 1);
  const high = text.charCodeAt(end - 1);
  return `${text.slice(0, high >= 0xd800 && high <= 0xdbff ? end - 1 : end)}…`;
}

/** The largest length such that `lines`, each cut to it, fit in `budget` (Infinity when all fit whole). */
function shareOf(lines: readonly string[], budget: number): number {
  const lengths = lines.map((line) => line.length).sort((a, b) => a - b);
  let left = budget;
  for (const [index, length] of lengths.entries()) {
    const each = Math.floor(left / (lengths.length - index));
    if (length > each) return each;
    left -= length;
  }
  return Number.POSITIVE_INFINITY;
}

/**
 * Lines joined within `limit` characters, none silently lost: when they do not fit, the first (a
 * heading) stays whole and the longest of the others are cut to an equal share, each still showing
 * its start (answers put a status and a name first, and what keeps a verdict from GO before the
 * rest), so one long line cannot crowd out those after it; only when that share would be shorter
 * than `LEAST_CUT_LINE` are the last lines left out. A last line then says how many were cut or
 * left out, and `seeAll` where all of it is.
 */
export function fitLines(lines: readonly string[], limit: number, seeAll: string): string {
  const all = lines.join('\n');
  if (all.length <= limit) return all;
  const [head = '', ...rest] = lines;
  const noteOf = (cut: number, left: number) =>
    `_… ${[...(cut > 0 ? [`${cut} cut short`] : []), ...(left > 0 ? [`${left} more lines not shown`] : [])].join(', ')}; ${seeAll}_`;
  const longestNote = noteOf(rest.length + 1, rest.length).length;
  const first = cutText(head, Math.max(LEAST_CUT_LINE, Math.floor((limit - longestNote) / 2)));
  // Each kept line takes a newline before it, and the note one more.
  const budgetFor = (kept: readonly string[]) => limit - first.length - longestNote - (kept.length + 1);
  // The most lines from the first whose share is still LEAST_CUT_LINE (a share only shrinks as
  // lines are added, so a binary search finds it).
  const fits = (count: number) => {
    const lines = rest.slice(0, count);
    return shareOf(lines, budgetFor(lines)) >= LEAST_CUT_LINE;
  };
  let [low, high] = [0, rest.length];
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle - 1;
  }
  const kept = rest.slice(0, low);
  const share = shareOf(kept, budgetFor(kept));
  const cut = kept.filter((line) => line.length > share).length + (first === head ? 0 : 1);
  return [first, ...kept.map((line) => cutText(line, share)), noteOf(cut, rest.length - kept.length)].join(
    '\n',
  );
}

/** A context block (small grey text). */
export function context(...texts: string[]): SlackBlock {
  return {
    type: 'context',
    elements: texts
      .slice(0, SLACK_LIMITS.contextElements)
      .map((text) => ({ type: 'mrkdwn', text, verbatim: true })),
  };
}

/** How many entries a section lists ({@link listSection}); any other block is one. */
const ENTRIES = new WeakMap<SlackBlock, number>();

/** A section listing `entries` entries (databases, snapshots), so a cut can say how many it left out. */
export function listSection(text: string, entries: number): SlackBlock {
  const block = section(text);
  ENTRIES.set(block, entries);
  return block;
}

/**
 * A message from blocks, within the block limit: when there are more, the last block says how many
 * entries were left out (the full answer is in the logs and the CLI).
 */
export function message(
  text: string,
  blocks: readonly SlackBlock[],
  responseType?: SlackMessage['response_type'],
): SlackMessage {
  const limit = SLACK_LIMITS.blocks;
  const left = blocks.slice(limit - 1).reduce((sum, block) => sum + (ENTRIES.get(block) ?? 1), 0);
  const kept =
    blocks.length <= limit
      ? blocks
      : [
          ...blocks.slice(0, limit - 1),
          context(`… ${left} more entries not shown; run \`backup-guard\` from a terminal for all of them.`),
        ];
  return { text, blocks: kept, ...(responseType ? { response_type: responseType } : {}) };
}

/**
 * Escape a value for mrkdwn (`&`, `<`, `>`), so a database name cannot inject links or mentions, and
 * show its control characters as `\x0a`, as the CLI does (publish/terminal.ts `visibleLine`): every
 * value is a field within a line of the answer, and a line feed in it would start a line of its own,
 * which could forge one of the answer's (a database shown GO in a NO-GO answer).
 */
export function escapeMrkdwn(text: string): string {
  return visibleLine(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export interface ResponsePosterOptions {
  readonly responseUrl: string;
  /**
   * Hosts replies may go to (reply-hosts.ts): refusing any other keeps a forged `response_url` from
   * turning the function into a request relay.
   * @default SLACK_REPLY_HOSTS (hooks.slack.com, hooks.slack-gov.com)
   */
  readonly allowedHosts?: readonly string[];
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
  /** Posts already made to this `response_url` (by the acknowledging function), with their times. */
  readonly earlierPosts?: readonly Date[];
}

/** Slack refused a reply or the budget is spent; the caller logs it (the work itself is done). */
export class ReplyError extends ChatError {
  /** The HTTP status Slack refused the reply with, when it answered at all. */
  readonly refusedWith: number | undefined;
  constructor(message: string, options?: ErrorOptions & { readonly refusedWith?: number }) {
    super(502, message, options);
    this.name = 'ReplyError';
    this.refusedWith = options?.refusedWith;
  }
}

/** A reply's text, line by line: its sections' lines and its context elements (in italics). */
export function replyLines(reply: SlackMessage): string[] {
  const lines = (reply.blocks ?? []).flatMap((block) => {
    if (block.type === 'section') return block.text.text.split('\n');
    if (block.type === 'context') return block.elements.map((element) => `_${element.text}_`);
    return [];
  });
  return lines.length > 0 ? lines : [reply.text];
}

/**
 * A reply Slack refused as laid out (HTTP 400: `invalid_blocks`, or a limit it does not document),
 * as one section of its lines ({@link fitLines}: the verdict and what keeps it from GO come first),
 * so the answer still arrives.
 */
export function textReply(reply: SlackMessage): SlackMessage {
  const note = context('Slack refused this answer as laid out; it is shown here as text.');
  return message(
    reply.text,
    [
      section(
        fitLines(
          replyLines(reply),
          SLACK_LIMITS.sectionText,
          'run `backup-guard` from a terminal for all of it',
        ),
      ),
      note,
    ],
    reply.response_type,
  );
}

/**
 * Posts replies to one `response_url`. `post` spends one of the five posts; `progress` posts only
 * while enough budget is left for the final result, so progress can never crowd the answer out.
 */
export class ResponsePoster {
  readonly #options: ResponsePosterOptions;
  readonly #posts: Date[];

  constructor(options: ResponsePosterOptions) {
    checkReplyUrl(options.responseUrl, options.allowedHosts);
    this.#options = options;
    this.#posts = [...(options.earlierPosts ?? [])];
  }

  /** Posts made within the last 30 minutes. */
  get postsInWindow(): number {
    const now = (this.#options.now ?? (() => new Date()))().getTime();
    return this.#posts.filter((at) => now - at.getTime() < SLACK_LIMITS.postWindowMs).length;
  }

  /** Post a progress update unless that would leave no post for the result; true when posted. */
  async progress(reply: SlackMessage): Promise<boolean> {
    if (this.postsInWindow >= SLACK_LIMITS.posts - 1) return false;
    await this.post(reply);
    return true;
  }

  /** Post a reply; throws {@link ReplyError} when the budget is spent or Slack refuses it. */
  async post(reply: SlackMessage): Promise<void> {
    if (this.postsInWindow >= SLACK_LIMITS.posts) {
      throw new ReplyError(
        `Slack allows ${SLACK_LIMITS.posts} replies per command within 30 minutes; this one was not sent`,
      );
    }
    const now = (this.#options.now ?? (() => new Date()))();
    this.#posts.push(now);
    const fetcher = this.#options.fetch ?? fetch;
    let status: number;
    try {
      const answer = await fetcher(this.#options.responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(reply),
        // A redirect is Slack refusing the post, never followed: a 307 or 308 would carry the
        // answer, method and body to whatever host it names, past the reply-host check above.
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      });
      status = answer.status;
      await answer.body?.cancel();
    } catch (error) {
      throw new ReplyError(`the reply could not be delivered to Slack: ${(error as Error).name}`, {
        cause: error,
      });
    }
    if (status < 200 || status >= 300) {
      throw new ReplyError(`Slack refused the reply with HTTP ${status}`, { refusedWith: status });
    }
  }
}
