/**
 * Replies to Slack: Block Kit messages within Slack's limits (at most 50 blocks, section text at
 * most 3,000 characters: https://api.slack.com/reference/block-kit/blocks), and a poster for a
 * command's `response_url` that keeps Slack's budget of five posts within 30 minutes
 * (https://api.slack.com/interactivity/slash-commands) and only posts where Slack would send
 * replies from.
 */
import { DOCS as DUMPS_DOCS } from '../checks/dumps/wording.ts';
import { DOCS as KEYS_DOCS } from '../checks/keys/wording.ts';
import { DOCS as PITR_DOCS } from '../checks/pitr/wording.ts';
import { DOCS as ERROR_DOCS } from '../core/docs.ts';
import { CHECK_OWN_NAME_SOURCE } from '../core/finding.ts';
import { knownCheckGroups } from '../core/known-groups.ts';
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

/**
 * What {@link escapeMrkdwn} and {@link withoutAutoParsing} write for one character: an entity, a
 * control or invisible character shown as `\x0a`, `\u200b` or `\u{e0041}` (publish/terminal.ts),
 * or a character kept from starting a mention, a channel link or a link (`@`, `#`, `.` or `:` and a
 * zero-width space). Cut in two, `&am…` or `\x…` would show neither the character nor the escape.
 */
const ESCAPE = /&(?:amp|lt|gt);|\\x[0-9a-f]{2}|\\u(?:[0-9a-f]{4}|\{[0-9a-f]+\})|[@#.:]\u200b/y;

/**
 * A span of mrkdwn in a text: from `start` (its opening delimiter) to `end` (past its closing one).
 * An `atomic` one (an escape, a link or mention `<…>`) is shown whole or not at all; any other (code,
 * a code block, bold, italic, strike) may be cut and closed with `close`.
 */
interface MarkupSpan {
  readonly start: number;
  readonly end: number;
  readonly open: string;
  readonly close: string;
  readonly atomic: boolean;
}

/** A letter or digit: `_` or `*` between two of them formats nothing (certctl_prod_db). */
const WORD = /[\p{L}\p{N}]/u;

/** A code block, code span or link starting at `at` whose content is literal, or undefined. */
function literalAt(text: string, at: number): MarkupSpan | undefined {
  if (text.startsWith('```', at)) {
    const close = text.indexOf('```', at + 3);
    return close < 0 ? undefined : { start: at, end: close + 3, open: '```', close: '```', atomic: false };
  }
  const line = text.indexOf('\n', at);
  const lineEnd = line < 0 ? text.length : line;
  if (text[at] === '`') {
    const close = text.indexOf('`', at + 1);
    return close < 0 || close > lineEnd
      ? undefined
      : { start: at, end: close + 1, open: '`', close: '`', atomic: false };
  }
  if (text[at] === '<') {
    const close = text.indexOf('>', at + 1);
    const next = text.indexOf('<', at + 1);
    return close < 0 || close > lineEnd || (next >= 0 && next < close)
      ? undefined
      : { start: at, end: close + 1, open: '<', close: '>', atomic: true };
  }
  ESCAPE.lastIndex = at;
  const escaped = ESCAPE.exec(text);
  return escaped ? { start: at, end: at + escaped[0].length, open: '', close: '', atomic: true } : undefined;
}

/**
 * The span of `*`, `_` or `~` opening at `at`, as Slack reads one: the opening delimiter starts a
 * word and the closing one, later on the same line, ends one, neither beside a space inside.
 */
function formatAt(text: string, at: number): MarkupSpan | undefined {
  const delimiter = text[at] as string;
  const before = text[at - 1];
  const after = text[at + 1];
  if (!'*_~'.includes(delimiter) || after === undefined || /\s/.test(after) || after === delimiter)
    return undefined;
  if (before !== undefined && (WORD.test(before) || before === delimiter)) return undefined;
  for (let index = at + 1; index < text.length && text[index] !== '\n'; ) {
    const literal = literalAt(text, index);
    if (literal) {
      index = literal.end;
      continue;
    }
    const next = text[index + 1];
    if (text[index] === delimiter && index > at + 1 && !/\s/.test(text[index - 1] as string)) {
      if (next === undefined || !WORD.test(next)) {
        return { start: at, end: index + 1, open: delimiter, close: delimiter, atomic: false };
      }
    }
    index += 1;
  }
  return undefined;
}

/**
 * The escapes inside a code span or block, each atomic: Slack decodes `&amp;` in code as anywhere
 * (escapeWording escapes a command's `>` or `&` there too), so a cut must not halve one either.
 */
function escapesWithin(text: string, literal: MarkupSpan): MarkupSpan[] {
  const escapes: MarkupSpan[] = [];
  for (let index = literal.start + literal.open.length; index < literal.end - literal.close.length; ) {
    ESCAPE.lastIndex = index;
    const escaped = ESCAPE.exec(text);
    if (escaped) {
      escapes.push({ start: index, end: index + escaped[0].length, open: '', close: '', atomic: true });
      index += escaped[0].length;
    } else {
      index += 1;
    }
  }
  return escapes;
}

/**
 * The spans of `text`, outermost first; what a code span or link holds is not read for markup, only
 * for the escapes a cut must keep whole.
 */
function markupSpans(text: string): MarkupSpan[] {
  const spans: MarkupSpan[] = [];
  for (let index = 0; index < text.length; ) {
    const literal = literalAt(text, index);
    if (literal) {
      spans.push(literal, ...(literal.atomic ? [] : escapesWithin(text, literal)));
      index = literal.end;
      continue;
    }
    const format = formatAt(text, index);
    if (format) spans.push(format);
    index += 1;
  }
  return spans;
}

/**
 * `text` cut to at most `length` characters, an ellipsis marking the cut, never leaving mrkdwn
 * broken: a character (a surrogate pair), an escape ({@link ESCAPE}) or a link or mention (`<…>`)
 * is kept whole or left out whole, and a code span, code block, bold, italic or strike the cut
 * falls inside is closed after the ellipsis. Left open, a span would turn the rest of the message
 * into code or bold, the note saying what was cut with it; half a link shows its markup.
 */
function cutText(text: string, length: number): string {
  if (text.length <= length) return text;
  const spans = markupSpans(text);
  let end = Math.max(0, length - 1);
  for (;;) {
    const high = text.charCodeAt(end - 1);
    if (high >= 0xd800 && high <= 0xdbff) end -= 1;
    // Within a delimiter, an atomic span, or just after an opening delimiter (an empty span), the
    // cut moves to before the span.
    const split = spans.find(
      (span) =>
        span.start < end &&
        end < span.end &&
        (span.atomic || end < span.start + span.open.length + 1 || end > span.end - span.close.length),
    );
    if (split) {
      end = split.start;
      continue;
    }
    const closers = spans
      .filter((span) => span.start < end && end < span.end)
      .reverse()
      .map((span) => span.close)
      .join('');
    if (end + 1 + closers.length <= length || end === 0) return `${text.slice(0, end)}…${closers}`;
    end -= 1;
  }
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
 * One line of an answer as text ({@link replyParts}): a line of its own, or a line of an entry of a
 * listing (a database, a snapshot, a problem), its first line counting the entry (`entries` 1) and
 * its other lines marked `continues`, so a cut counts a database left out as one, not as its lines.
 */
export interface ReplyPart {
  readonly text: string;
  readonly entries: number;
  readonly continues?: boolean;
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
  return fitParts(
    lines.map((text) => ({ text, entries: 0 })),
    limit,
    seeAll,
  );
}

/**
 * What a cut left out: the entries (databases, snapshots, problems listed by {@link listSection}) and
 * the lines of anything else (advice, a note), counted apart so the count of entries says how many
 * databases are not shown.
 */
export interface LeftOut {
  readonly entries: number;
  readonly lines: number;
}

const NOTHING_LEFT_OUT: LeftOut = { entries: 0, lines: 0 };

/** `4 more entries and 2 more lines`, or undefined when nothing was left out. */
function moreWording({ entries, lines }: LeftOut): string | undefined {
  const more = [
    ...(entries > 0 ? [`${entries} more ${entries === 1 ? 'entry' : 'entries'}`] : []),
    ...(lines > 0 ? [`${lines} more ${lines === 1 ? 'line' : 'lines'}`] : []),
  ];
  return more.length > 0 ? more.join(' and ') : undefined;
}

/**
 * {@link fitLines} over the parts of an answer: a part left out is counted as what it is (an entry,
 * or its lines), and what an earlier cut left out (`leftBefore`: Slack's block limit, {@link
 * message}) is counted with them, so the count says how many databases are not shown, not how many
 * lines.
 */
export function fitParts(
  parts: readonly ReplyPart[],
  limit: number,
  seeAll: string,
  leftBefore: LeftOut = NOTHING_LEFT_OUT,
): string {
  const noteOf = (cut: number, left: readonly ReplyPart[]) => {
    const entries = leftBefore.entries + left.reduce((sum, part) => sum + part.entries, 0);
    // Lines of their own, and the last lines of an entry whose first line is shown; the other lines
    // of an entry left out are in its count.
    const ownEntry = left.findIndex((part) => !part.continues);
    const lines =
      leftBefore.lines +
      left.filter(
        (part, index) => part.entries === 0 && (!part.continues || ownEntry === -1 || index < ownEntry),
      ).length;
    const notShown = moreWording({ entries, lines });
    return `_… ${[...(cut > 0 ? [`${cut} cut short`] : []), ...(notShown ? [`${notShown} not shown`] : [])].join(', ')}; ${seeAll}_`;
  };
  const anyBefore = leftBefore.entries > 0 || leftBefore.lines > 0;
  const all = parts.map((part) => part.text).join('\n');
  if (!anyBefore && all.length <= limit) return all;
  if (anyBefore && all.length + 1 + noteOf(0, []).length <= limit) return `${all}\n${noteOf(0, [])}`;
  const [head = { text: '', entries: 0 }, ...rest] = parts;
  const longestNote = noteOf(rest.length + 1, rest).length;
  const first = cutText(head.text, Math.max(LEAST_CUT_LINE, Math.floor((limit - longestNote) / 2)));
  // Each kept part takes a newline before it, and the note one more.
  const budgetFor = (kept: readonly string[]) => limit - first.length - longestNote - (kept.length + 1);
  const texts = rest.map((part) => part.text);
  // The most parts from the first whose share is still LEAST_CUT_LINE (a share only shrinks as
  // parts are added, so a binary search finds it).
  const fits = (count: number) => {
    const kept = texts.slice(0, count);
    return shareOf(kept, budgetFor(kept)) >= LEAST_CUT_LINE;
  };
  let [low, high] = [0, rest.length];
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle - 1;
  }
  const kept = texts.slice(0, low);
  const share = shareOf(kept, budgetFor(kept));
  const cut = kept.filter((text) => text.length > share).length + (first === head.text ? 0 : 1);
  return [first, ...kept.map((text) => cutText(text, share)), noteOf(cut, rest.slice(low))].join('\n');
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

/** What a listing section holds ({@link listSection}): its heading, if any, and its entries as shown. */
interface Listing {
  readonly heading?: string;
  readonly items: readonly string[];
}

/** The listing of each listing section; any other block counts as one entry. */
const LISTINGS = new WeakMap<SlackBlock, Listing>();

/** What a message's last block says it left out ({@link message}), by that block. */
const LEFT_OUT = new WeakMap<SlackBlock, LeftOut>();

/**
 * A section listing entries (databases, snapshots, problems) under an optional heading, `text` being
 * them as shown: a cut can then say how many entries it left out, and a notification
 * ({@link replyParts}) keep whole entries.
 */
export function listSection(text: string, listing: Listing): SlackBlock {
  const block = section(text);
  LISTINGS.set(block, listing);
  return block;
}

/** The lines a block shows that are not entries of a listing: a section's lines, a context's elements. */
function linesOf(block: SlackBlock): number {
  if (block.type === 'section') return block.text.text.split('\n').length;
  if (block.type === 'context') return block.elements.length;
  return 0;
}

/**
 * A message from blocks, within the block limit: when there are more, the last block says how many
 * entries (a listing's databases, snapshots, problems) and how many other lines (advice, a note)
 * were left out, counted apart (the full answer is in the logs and the CLI).
 */
export function message(
  text: string,
  blocks: readonly SlackBlock[],
  responseType?: SlackMessage['response_type'],
): SlackMessage {
  const limit = SLACK_LIMITS.blocks;
  const left = blocks.slice(limit - 1).reduce<LeftOut>((sum, block) => {
    const listing = LISTINGS.get(block);
    return listing
      ? { entries: sum.entries + listing.items.length, lines: sum.lines }
      : { entries: sum.entries, lines: sum.lines + linesOf(block) };
  }, NOTHING_LEFT_OUT);
  const note = context(
    `… ${moreWording(left) ?? 'nothing more'} not shown; run \`backup-guard\` from a terminal for all of them.`,
  );
  LEFT_OUT.set(note, left);
  const kept = blocks.length <= limit ? blocks : [...blocks.slice(0, limit - 1), note];
  // The text is the notification and the fallback: Slack parses it without verbatim.
  return {
    text: withoutAutoParsing(text),
    blocks: kept,
    ...(responseType ? { response_type: responseType } : {}),
  };
}

/**
 * Escape a value for mrkdwn (`&`, `<`, `>`), so a database name cannot inject links or mentions, and
 * show its control characters as `\x0a`, as the CLI does (publish/terminal.ts `visibleLine`): every
 * value is a field within a line of the answer, and a line feed in it would start a line of its own,
 * which could forge one of the answer's (a database shown GO in a NO-GO answer). A backtick shows as
 * `'`: it would open or close a code span around the answer's own markup.
 *
 * The same text reaches chat as an Amazon Q Developer custom notification, which Slack renders
 * without `verbatim` (amazon-q.ts), so what Slack parses then is neutralised too, not only what
 * `verbatim` stops ({@link escapeWording}, and {@link withoutAutoParsing} where the text is parsed).
 */
export function escapeMrkdwn(text: string): string {
  return escapeWording(text.replaceAll('`', "'"));
}

/**
 * A value for inside a code span the caller writes around it: `&`, `<`, `>` and control characters
 * escaped as {@link escapeMrkdwn} does, a backtick shown as `'`, and nothing else (code is not
 * formatted, so a value there reads and copies exactly as written).
 */
export function escapeInCode(text: string): string {
  return entities(text.replaceAll('`', "'"));
}

/** `&`, `<` and `>` as entities, and control characters shown as `\x0a` (publish/terminal.ts). */
function entities(text: string): string {
  return visibleLine(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * A word of a value holding what mrkdwn would format: a `*`, `_` or `~` that could open or close
 * bold, italics or strike (one between two letters or digits formats nothing: certctl_prod_db), or
 * an emoji shortcode (`:fire:`, `:aws:` in an ARN; a time's `:00:` names none).
 */
const FORMATS = /(?<![\p{L}\p{N}])[*_~]|[*_~](?![\p{L}\p{N}])|:[a-z0-9_+'-]*[a-z][a-z0-9_+'-]*:/iu;

/**
 * Prose of a value with each word that mrkdwn would format ({@link FORMATS}) shown as code: Slack
 * documents escapes for `&`, `<` and `>` only (https://docs.slack.dev/messaging/formatting-message-text),
 * and says code is not formatted, so code is what makes `*ops*`, `~old~` or `:fire:` read literally.
 * It copies exactly too (an ARN stays an ARN), which an invisible character inserted to break the
 * markup would not. Punctuation around the word (`(`, a closing `.`, `,`, `;`, `)`) stays outside.
 * A word that could also mention, link or name a channel (`amazon-q:claimed:@here`, `*http://x.com*`)
 * keeps its guards inside the span ({@link inert}), as where Slack parses text code might not be
 * spared: it is hostile rather than an identifier to copy.
 */
function literalWords(prose: string): string {
  return prose.replace(/\S+/g, (word) => {
    if (!FORMATS.test(word)) return word;
    const [, before = '', core = word, after = ''] = /^(\(*)(.*?)([.,;!?)]*)$/.exec(word) ?? [];
    const literal = FORMATS.test(core) ? core : word;
    const [lead, trail] = literal === core ? [before, after] : ['', ''];
    // A stray backtick (the wording's, not a span) would end the span early.
    const guarded = /[@#]|:\/\/|\]\(/.test(literal) ? inert(literal).replaceAll('](', ']\u200b(') : literal;
    return `${lead}\`${guarded.replaceAll('`', "'")}\`${trail}`;
  });
}

/**
 * The documentation the product cites (the checks' wording modules, and core/docs.ts for its error
 * wording): the only URLs an answer shows as links. A value naming one links to the same page the
 * product would.
 */
const PRODUCT_LINKS: ReadonlySet<string> = new Set<string>([
  ...Object.values(PITR_DOCS),
  ...Object.values(DUMPS_DOCS),
  ...Object.values(KEYS_DOCS),
  ...Object.values(ERROR_DOCS),
]);

/** A URL as wording writes one, with the punctuation that may follow it (`See <url>.`). */
const URL_IN_WORDING = /https:\/\/[^\s<>|`]+/g;

/**
 * {@link escapeMrkdwn} for the product's own wording that quotes values (a finding's evidence, a
 * gate's action): its backticks are its code spans and stay; a backtick from a quoted value can
 * only start or end a span early, which changes how the line looks, never whom it mentions or where
 * it links. Everything else is escaped: `&`, `<`, `>` and control characters as there; outside code
 * spans ({@link outsideCode}), an `@` before a letter, digit or `_` gets a zero-width space after it
 * (it reads the same and mentions no one when Slack parses text without `verbatim`: `@channel`,
 * `@here_`, a user's name); and a Markdown link or image (`[text](url)`, which Microsoft Teams
 * renders) one between `]` and `(`. A word that mrkdwn would format (a `*`, `_` or `~` that could
 * open or close a span, an emoji shortcode: `role/*ops*`, `:fire:`) becomes code ({@link
 * literalWords}); one whose `_` formats nothing (certctl_prod_db) stays as it is. A URL of the product's
 * documentation ({@link PRODUCT_LINKS}) becomes a link (`<url>`), which Slack shows as one with or
 * without `verbatim`; any other URL stays text, kept from linking where Slack parses the text by
 * {@link withoutAutoParsing}.
 */
export function escapeWording(text: string): string {
  return outsideCode(outsideCode(entities(text), literalWords), (prose) =>
    prose.replace(/@(?=[\p{L}\p{N}_])/gu, '@\u200b').replaceAll('](', ']\u200b('),
  ).replace(URL_IN_WORDING, (written) => {
    const url = written.replace(/[.,;:!?)]+$/, '');
    return PRODUCT_LINKS.has(url) ? `<${url}>${written.slice(url.length)}` : written;
  });
}

/** Code spans and blocks of mrkdwn text, and the product's own links (`<…>`): kept apart by {@link outsideCode}. */
const CODE_OR_LINK = /(<[^<>\n]*>|```[\s\S]*?```|`[^`\n]*`)/;

/**
 * `text` with `prose` applied outside its code spans and blocks (and the product's links, `<…>`):
 * what a code span holds is a command or an identifier a reader copies, so it must copy exactly as
 * written. An invisible character there would break it, or worse: `--secret-string file:\u200b//ca.pem`
 * makes the AWS CLI store that literal text as the secret's value, and `--secret-id ca@\u200bprod`
 * names another secret. Slack shows code as written, so nothing in it needs neutralising.
 */
function outsideCode(text: string, prose: (piece: string) => string): string {
  return text
    .split(CODE_OR_LINK)
    .map((piece, index) => (index % 2 === 1 ? piece : prose(piece)))
    .join('');
}

/**
 * `text` as Slack must read it where it parses the text without `verbatim` (an Amazon Q Developer
 * custom notification, a message's `text`): Slack then turns bare URLs into links, conversation
 * names into channel links and plain mentions into notifications
 * (https://docs.slack.dev/reference/block-kit/composition-objects/text-object, `verbatim`), which
 * escaping `&`, `<` and `>` does not stop. A zero-width space, which reads as nothing, goes after
 * the `:` of a URL's scheme (`http:` then `//`), after a `.` before a label of letters alone (a
 * bare domain such as `evil.com`, `www.evil.example`; a check id such as `keys.kms-key-state` keeps
 * its dot, as its last label holds a hyphen, one such as `pitr.retention` does not), after a `#`
 * before a channel name's character, and after an `@` before a name's. The product's own links
 * (`<…>`, which values cannot write: their `<` is escaped) stay as written, and so does a code span
 * or block, which Slack shows as written ({@link outsideCode}): a check id or a command copied from a
 * notification is exactly what it says. A check id the product's wording writes outside code
 * (readiness evidence: `pitr.retention FAILED`) becomes code ({@link checkIdInProse}), so it too
 * reads and copies as written, with no invisible character after its dot. Slack's answers
 * themselves are sent `verbatim` and need none of this.
 */
export function withoutAutoParsing(text: string): string {
  return outsideCode(text, (prose) =>
    prose
      .split(checkIdInProse())
      .map((piece, index) => (index % 2 === 1 ? `\`${piece}\`` : inert(piece)))
      .join(''),
  );
}

/**
 * A check id of a known group (`pitr.retention`, `dumps.protection`, or one of a group registered at
 * run time: `tls13.cert-age`) standing alone in prose: not part of a longer name
 * (`keys.present.evil.com`, `@pitr.window`, `http://dumps.fresh/x`, which the link guard keeps inert
 * instead). Shown as code rather than exempted from the guard: code is never linked, while a bare
 * `dumps.protection` would be (`protection` is a top-level domain, Public Suffix List), and code
 * copies exactly as written. Its one capture group is the id. The groups are read when the text is
 * written ({@link knownCheckGroups}), so a group registered after this module loaded counts too.
 */
function checkIdInProse(): RegExp {
  const groups = knownCheckGroups().join('|');
  if (checkIdPattern?.groups !== groups) {
    checkIdPattern = {
      groups,
      pattern: new RegExp(
        `(?<![\\p{L}\\p{N}_.@#/:-])((?:${groups})\\.${CHECK_OWN_NAME_SOURCE})(?![\\p{L}\\p{N}_-]|\\.[\\p{L}\\p{N}])`,
        'u',
      ),
    };
  }
  return checkIdPattern.pattern;
}

/** The last pattern {@link checkIdInProse} built, and the groups it was built of. */
let checkIdPattern: { readonly groups: string; readonly pattern: RegExp } | undefined;

/** Prose kept from Slack's automatic parsing ({@link withoutAutoParsing}). */
function inert(prose: string): string {
  return prose
    .replace(/([A-Za-z][A-Za-z0-9+.-]*):(?=\/\/)/g, '$1:\u200b')
    .replace(/(?<=[\p{L}\p{N}])\.(?=\p{L}{2,63}(?![\p{L}\p{N}_-]))/gu, '.\u200b')
    .replace(/#(?=[\p{L}\p{N}_-])/gu, '#\u200b')
    .replace(/@(?=[\p{L}\p{N}_])/gu, '@\u200b');
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
 * A reply's text as parts ({@link ReplyPart}), line by line: a listing section's heading and its
 * entries (a readiness database with its gates is one entry of several lines), any other section's lines,
 * its context elements (in italics); and what its last block says the block limit left out
 * ({@link message}: entries and other lines), as counts rather than a line, so a cut can add them to its own.
 */
export function replyParts(reply: SlackMessage): { readonly parts: ReplyPart[]; readonly leftOut: LeftOut } {
  let leftOut = NOTHING_LEFT_OUT;
  const parts = (reply.blocks ?? []).flatMap((block): ReplyPart[] => {
    const left = LEFT_OUT.get(block);
    if (left !== undefined) {
      leftOut = { entries: leftOut.entries + left.entries, lines: leftOut.lines + left.lines };
      return [];
    }
    const listing = LISTINGS.get(block);
    if (listing) {
      return [
        ...(listing.heading ?? '').split('\n').flatMap((text) => (text ? [{ text, entries: 0 }] : [])),
        ...listing.items.flatMap((item) =>
          item
            .split('\n')
            .map((text, index) =>
              index === 0 ? { text, entries: 1 } : { text, entries: 0, continues: true },
            ),
        ),
      ];
    }
    if (block.type === 'section') return block.text.text.split('\n').map((text) => ({ text, entries: 0 }));
    if (block.type === 'context')
      return block.elements.map((element) => ({ text: `_${element.text}_`, entries: 0 }));
    return [];
  });
  return { parts: parts.length > 0 ? parts : [{ text: reply.text, entries: 0 }], leftOut };
}

/** A reply as text within `limit` characters ({@link fitParts} over {@link replyParts}). */
export function fitReply(reply: SlackMessage, limit: number, seeAll: string): string {
  const { parts, leftOut } = replyParts(reply);
  return fitParts(parts, limit, seeAll, leftOut);
}

/**
 * A reply Slack refused as laid out (HTTP 400: `invalid_blocks`, or a limit it does not document),
 * as one section of its parts ({@link fitReply}: the verdict and what keeps it from GO come first),
 * so the answer still arrives.
 */
export function textReply(reply: SlackMessage): SlackMessage {
  const note = context('Slack refused this answer as laid out; it is shown here as text.');
  return message(
    reply.text,
    [
      section(fitReply(reply, SLACK_LIMITS.sectionText, 'run `backup-guard` from a terminal for all of it')),
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
