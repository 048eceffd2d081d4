/**
 * The one command grammar of every chat entry point (the Slack slash command, Amazon Q Developer in
 * chat, the GCP function):
 *
 *   snapshot [target …] reason="why" ticket=CHG-123
 *   readiness [target …]
 *   status
 *   help [command]
 *
 * Words split on spaces (any Unicode space: a no-break space looks like one); "…" keeps spaces in a
 * value, as do the quotes chat clients and keyboards type (“…”, „…“, ‘…’, '…', «…»). There are no
 * backslash escapes, and databases come before the reason: a word right after it may be the rest of
 * it, so it is refused rather than snapshotted.
 * A mistake never throws past here: {@link parseChatCommand} returns a {@link CommandError} whose
 * message is the help the user needs.
 */
import {
  MAX_SNAPSHOT_ATTEMPTS,
  MAX_SNAPSHOT_TARGETS,
  SNAPSHOT_REQUEST_LIMITS,
} from '../actions/snapshot/model.ts';
import { editDistance } from '../core/closest.ts';
import { hiddenReasonProblem, showInvisible } from '../core/invisible.ts';
import { plural } from '../core/plural.ts';
import { identifierName, locateIdentifier } from '../core/targets.ts';
import { CommandError } from './errors.ts';
import { escapeInCode } from './replies.ts';

export const CHAT_COMMANDS = ['snapshot', 'readiness', 'status', 'help'] as const;
export type ChatCommandName = (typeof CHAT_COMMANDS)[number];

export type ChatCommand =
  | {
      readonly name: 'snapshot';
      /** Databases named in the command; empty means every target of the policy. */
      readonly targets: readonly string[];
      readonly reason: string;
      readonly ticket: string;
    }
  | { readonly name: 'readiness'; readonly targets: readonly string[] }
  | { readonly name: 'status' }
  | { readonly name: 'help'; readonly topic?: ChatCommandName };

/** A database name as RDS, Aurora and Cloud SQL allow it (letters, digits, hyphens; ARNs too). */
const TARGET = /^[A-Za-z][A-Za-z0-9:/._-]{0,254}$/;
/** A change ticket: letters, digits and `-_.#:/`, as ticketing systems write them. */
const TICKET = /^[A-Za-z0-9][A-Za-z0-9_.#:/-]{0,63}$/;
export const MAX_REASON = SNAPSHOT_REQUEST_LIMITS.reason;
/** The longest command text read (the grammar's longest command is far shorter). */
export const MAX_COMMAND_TEXT = 4000;

export const CHAT_HELP: Readonly<Record<ChatCommandName, string>> = {
  snapshot: `\`snapshot [database …] reason="why" ticket=CHG-123\`: take a pre-maintenance snapshot of the named databases, among those the policy selects (all of them when none is named), wait until each is restorable, and report it. Name the databases first: a reason with spaces goes in double quotes (\`"…"\` or \`“…”\`), and a word right after the reason is refused, as it may be the rest of the reason (a single quote that ends it may be an apostrophe). A name several databases share (in other accounts, regions or projects) snapshots none: name the one you mean by its ARN or project:region:instance. An Aurora member or a read replica is not snapshotted: the answer names its cluster or source to ask for instead. The same ticket for the same databases never snapshots twice, except to retry a snapshot that failed (at most ${MAX_SNAPSHOT_ATTEMPTS} attempts); other databases, or the same ticket from the CLI, make another request. Asked for all of them, the answer names those the policy selects that this chat function does not snapshot (another cloud's; in AWS, member accounts'), and is not GO.`,
  readiness:
    '`readiness [database …]`: GO or NO-GO before a CA rotation of the named databases, among those the policy selects (all of them when none is named; one it does not select keeps the answer from GO: COULD NOT EVALUATE, or NO-GO when another fails): PITR and key-material checks green (dumps too when the policy lists them; the policy may waive key material, with a reason) and a fresh pre-maintenance snapshot for every database. The answer names the checks it did not cover. When the policy also selects databases in a cloud this chat function does not serve, asking about all of them is never GO (COULD NOT EVALUATE, or NO-GO when one fails): name the databases, or ask where that cloud is judged. Dump locations or key material the policy keeps in that cloud are not read here, so no answer is GO: ask `backup-guard readiness`, which without `--provider` reads every cloud the policy configures (`--provider all` when it configures GCP alone; the answer gives the command).',
  status:
    '`status`: the last published audit’s summary and the last pre-maintenance snapshots of the databases this chat function snapshots; the answer names those the policy selects that it does not (another cloud’s; in AWS, member accounts’).',
  help: '`help [command]`: this help.',
};

/** The whole help text, one line per command. */
export function helpText(topic?: ChatCommandName): string {
  if (topic) return CHAT_HELP[topic];
  return ['backup-guard commands:', ...CHAT_COMMANDS.map((name) => `• ${CHAT_HELP[name]}`)].join('\n');
}

/**
 * The quotes that group words, each kind with the characters that open and close it. Kinds are
 * interchangeable within themselves because chat clients and keyboards mix them: smart punctuation
 * turns `"` into “ or ” and `'` into ‘ or ’ as it guesses, and languages pair them differently
 * (“…”, „…“, ”…”; ‘…’, ‚…‘; «…», »…«).
 */
const QUOTE_KINDS = [
  { chars: '"\u201c\u201d\u201e', anywhere: true, apostrophe: false },
  { chars: "'\u2018\u2019\u201a", anywhere: false, apostrophe: true },
  { chars: '\u00ab\u00bb', anywhere: false, apostrophe: false },
  { chars: '\u2039\u203a', anywhere: false, apostrophe: false },
] as const;
type QuoteKind = (typeof QUOTE_KINDS)[number];
/** Every character that opens or closes a quote of some kind. */
export const QUOTE_CHARACTERS: ReadonlySet<string> = new Set(QUOTE_KINDS.flatMap((kind) => [...kind.chars]));

/**
 * Split command text into words, honouring straight, curly, single and guillemet quotes.
 *
 * Double quotes open and close anywhere, as they always have, but a word typed right after a closing
 * one (`"CA rotation"certs`) is refused rather than joined to the value. The other kinds open only where a
 * word or a value (after `=`) starts, and close only where the word ends (before a space or the
 * end of the text), because ' and ’ are also apostrophes: `reason=don’t` is one word, and
 * `reason=‘don’t rotate’` is the reason "don’t rotate". Inside one kind of quote the others are
 * letters.
 *
 * An apostrophe that ends a word (a plural possessive, `users'`) still cannot be told from a
 * closing quote: in `reason='the users' certs'` the quote may end after `users'` or after `certs'`.
 * When a quote of one kind has closed and a later word ends in a quote of that kind that opens
 * nothing, either reading is possible, so the text is refused with the two places named and double
 * quotes suggested (in which an apostrophe is only a letter), rather than snapshotting with a reason
 * or targets the user did not mean.
 */
export function splitWords(text: string): string[] {
  return readWords(text).map((word) => word.text);
}

/** A word as {@link readWords} read it. */
interface ReadWord {
  readonly text: string;
  /**
   * How the word ends when its end may not be where the user meant it: `unquoted` (its last
   * characters are in no quote, so a value with spaces may go on in the next word), or the single
   * quote that closed it, typed as the user typed it with the word it closed after (`users'`), since
   * that quote may be an apostrophe whose own quote is never closed. Absent when a double quote or a
   * guillemet closed it.
   */
  readonly openEnd?: { readonly by: 'unquoted' } | { readonly by: 'single quote'; readonly after: string };
}

/** {@link splitWords}, telling how each word ends. */
function readWords(text: string): ReadWord[] {
  const chars = Array.from(text);
  const words: ReadWord[] = [];
  let current = '';
  let open: QuoteKind | undefined;
  /** Where the current quote opened in `current`, and the option (`reason=`) whose value it is in, if any. */
  let openedAt = 0;
  let openedFor = '';
  /** The quote character that opened the current quote, as typed. */
  let openedBy = '';
  /** The last quote of a kind that closes at a word's end, and the word it closed after. */
  let closed: { kind: QuoteKind; after: string; option: string } | undefined;
  let started = false;
  /** How the current word ends so far ({@link ReadWord.openEnd}). */
  let openEnd: ReadWord['openEnd'] = { by: 'unquoted' };
  chars.forEach((char, index) => {
    const before = chars[index - 1];
    const after = chars[index + 1];
    const endsWord = after === undefined || /\s/.test(after);
    // Chat commands have no escapes; a shell habit (`CA\ rotation`, `\"…\"`, a `\` left at the end)
    // would otherwise end a value early and make its next word a database name.
    if (
      char === '\\' &&
      (after === undefined || QUOTE_CHARACTERS.has(after) || (!open && /\s/.test(after)))
    ) {
      const shown = `${open ? current.slice(openedAt) : current}\\${after !== undefined && QUOTE_CHARACTERS.has(after) ? after : ''}`;
      throw new CommandError(
        `a backslash escapes nothing in a chat command (${typed(shown)}): write a value with spaces in double quotes ("…" or “…”), where a single quote is a letter (to quote inside a reason, use ‘…’ or «…»)`,
      );
    }
    if (open) {
      const closes = open.chars.includes(char) && (open.anywhere || endsWord);
      if (closes && !endsWord)
        refuseWordAfterClosingQuote(
          chars,
          index,
          `${current.slice(0, openedAt)}${openedBy}${current.slice(openedAt)}${char}`,
          openedFor,
        );
      if (closes) {
        const closedAfter = `${current.slice(openedAt).split(/\s/).pop() ?? ''}${char}`;
        if (!open.anywhere) closed = { kind: open, after: closedAfter, option: openedFor };
        openEnd = open.apostrophe ? { by: 'single quote', after: closedAfter } : undefined;
        open = undefined;
      } else current += char;
      return;
    }
    const opening = QUOTE_KINDS.find(
      (kind) => kind.chars.includes(char) && (kind.anywhere || before === undefined || /[\s=]/.test(before)),
    );
    if (opening) {
      open = opening;
      openedBy = char;
      openedAt = current.length;
      openedFor = optionOf(current);
      started = true;
    } else if (/\s/.test(char)) {
      if (started) words.push({ text: current, ...(openEnd ? { openEnd } : {}) });
      current = '';
      started = false;
      openEnd = { by: 'unquoted' };
    } else {
      if (closed?.kind.chars.includes(char) && endsWord) {
        const which = closed.kind.apostrophe ? 'single quote' : 'quote';
        const why = closed.kind.apostrophe ? ' (an apostrophe that ends a word also closes a quote)' : '';
        throw new CommandError(
          `a ${which} could end after ${typed(closed.after)} or after ${typed(`${current}${char}`)}${why}: write ${closed.option}"…" in double quotes, where an apostrophe is always a letter`,
        );
      }
      current += char;
      started = true;
      openEnd = { by: 'unquoted' };
    }
  });
  if (open) {
    // A word that starts with an apostrophe (’tis) reads as an opening quote: say so.
    const apostrophe = open.apostrophe ? ' (a word that starts with an apostrophe opens a quote)' : '';
    throw new CommandError(
      `a quote is not closed: write ${typed(`${openedFor}"…"`)} with both quotes${apostrophe}`,
    );
  }
  if (started) words.push({ text: current, ...(openEnd ? { openEnd } : {}) });
  return words;
}

/**
 * A double quote closes anywhere, so `reason="CA rotation"certs` would read as the reason
 * "CA rotationcerts": the word typed right after the closing quote may be meant inside the quotes,
 * or as a word of its own with its space forgotten (a database, for a reason quoted short). Neither
 * is guessed: the command is refused, naming the word and the quoted text it follows.
 */
function refuseWordAfterClosingQuote(
  chars: readonly string[],
  index: number,
  quoted: string,
  option: string,
): never {
  const rest = chars.slice(index + 1);
  const space = rest.findIndex((char) => /\s/.test(char));
  const word = (space < 0 ? rest : rest.slice(0, space)).join('');
  const how =
    option.toLowerCase() === 'reason='
      ? 'so it may be part of the reason or another word: put it inside the quotes if it is part of the reason, and name databases before reason='
      : 'so it may be part of the quoted value or another word: put it inside the quotes, or a space before it';
  throw new CommandError(
    `${typed(word)} follows the closing quote of ${typed(quoted)} with no space between them, ${how}`,
  );
}

/**
 * The option, with its `=`, that a word typed so far gives a value to (`reason=` for `reason=CA`),
 * or '' for a bare word: the text before the first `=`, as `splitOptions` reads it.
 */
function optionOf(word: string): string {
  const equals = word.indexOf('=');
  return equals > 0 ? word.slice(0, equals + 1) : '';
}

/** Parse the text after the slash command (or Amazon Q's `command` field). */
export function parseChatCommand(text: string): ChatCommand | CommandError {
  try {
    return parse(text);
  } catch (error) {
    if (error instanceof CommandError) return error;
    throw error;
  }
}

function parse(text: string): ChatCommand {
  // Text too long is the caller's mistake (a pasted change description), said with its length.
  if (text.length > MAX_COMMAND_TEXT) {
    throw new CommandError(
      `the command is ${text.length} characters long; keep it to ${MAX_COMMAND_TEXT} (a reason to ${MAX_REASON})`,
    );
  }
  const words = readWords(text.trim());
  const [first, ...rest] = words.map((word) => word.text);
  if (first === undefined) return { name: 'help' };
  const name = first.toLowerCase();
  if (!isCommand(name)) {
    const guess = closest(name, CHAT_COMMANDS);
    throw new CommandError(
      `unknown command ${typed(first)}${guess ? `; did you mean \`${guess}\`?` : '.'}\n${helpText()}`,
    );
  }
  const { positional, options } = splitOptions(rest, name);
  switch (name) {
    case 'help': {
      const topic = positional[0]?.toLowerCase();
      if (positional.length > 1 || (topic !== undefined && !isCommand(topic))) {
        const guess =
          positional.length === 1 && topic !== undefined ? closest(topic, CHAT_COMMANDS) : undefined;
        throw new CommandError(
          `\`help\` takes one command name: ${CHAT_COMMANDS.join(', ')}${guess ? `; did you mean \`${guess}\`?` : ''}`,
        );
      }
      return topic ? { name, topic } : { name };
    }
    case 'status':
      if (positional.length > 0)
        throw new CommandError(`\`status\` takes no arguments.\n${CHAT_HELP.status}`);
      return { name };
    case 'readiness':
      return { name, targets: targetsOf(positional, name) };
    case 'snapshot': {
      refuseWordAfterOpenReason(words);
      // Unwrapped before it is measured and checked: what is stored is what the user sees.
      const typedReason = options.get('reason');
      const reason = typedReason === undefined ? undefined : shownReason(typedReason).trim();
      const ticket = options.get('ticket')?.trim();
      const missing = [...(reason ? [] : ['reason="…"']), ...(ticket ? [] : ['ticket=…'])];
      if (missing.length > 0) {
        throw new CommandError(`\`snapshot\` needs ${missing.join(' and ')}.\n${CHAT_HELP.snapshot}`);
      }
      if ((reason as string).length > MAX_REASON) {
        throw new CommandError(
          `the reason is ${(reason as string).length} characters; keep it to ${MAX_REASON}`,
        );
      }
      // The reason is repeated in the answers and written to the snapshot tags, where an invisible
      // character would hide (or, a bidirectional override, reverse) what the reader sees.
      const hidden = hiddenReasonProblem(reason as string);
      if (hidden !== undefined) throw new CommandError(`the reason ${hidden}`);
      if (!TICKET.test(ticket as string)) {
        throw new CommandError(
          `${typed(ticket as string)} is not a ticket id: letters, digits and -_.#:/, at most 64`,
        );
      }
      return {
        name,
        targets: targetsOf(positional, name),
        reason: reason as string,
        ticket: ticket as string,
      };
    }
  }
}

/**
 * A bare word right after the reason may be the rest of the reason rather than a database:
 * `reason=CA rotation` (no quotes), `reason='the users' certs`, whose `'` may be an apostrophe with
 * the reason's closing quote missing, or `reason="CA" rotation`, quoted short. Read as a database it
 * would be snapshotted though nobody named it, so the command is refused, naming the word (and the
 * quote that may be an apostrophe). Databases are named before the options, as the help shows them.
 */
function refuseWordAfterOpenReason(words: readonly ReadWord[]): void {
  words.forEach((word, index) => {
    const next = words[index + 1];
    if (next === undefined || next.text.indexOf('=') > 0) return;
    if (optionOf(word.text).toLowerCase() !== 'reason=') return;
    const value = word.text.slice('reason='.length);
    if (!word.openEnd) {
      throw new CommandError(
        `${typed(next.text)} follows the quoted reason ${typed(value)}, so it may be part of the reason or a database: put it inside the quotes if it is part of the reason (${typed(`reason="${value} ${next.text}"`)}), and name databases before reason=`,
      );
    }
    if (word.openEnd.by === 'single quote') {
      throw new CommandError(
        `the single quote after ${typed(word.openEnd.after)} may close the reason, or be an apostrophe whose quote is not closed, so ${typed(next.text)} may be part of the reason or a database: write reason="…" in double quotes ("…" or “…”), where an apostrophe is always a letter, and name databases before reason=`,
      );
    }
    if (value === '') {
      throw new CommandError(
        `${typed(next.text)} follows reason= with a space between them, so it may be the reason or a database: write reason="…" with no space after =, and name databases before reason=`,
      );
    }
    throw new CommandError(
      `${typed(next.text)} follows reason=${typed(value)}, which has no quotes, so it may be part of the reason or a database: write a reason with spaces in double quotes (${typed(`reason="${value} ${next.text}"`)}), and name databases before reason=`,
    );
  });
}

/**
 * A word the user typed, repeated in an error as inline code: escaped for mrkdwn and with its
 * backticks replaced, so it cannot close the code span, mention a channel or smuggle a link, and
 * its invisible characters shown as `[U+200B]`, so `status` pasted with a zero-width space is not
 * answered "unknown command `status`".
 */
function typed(word: string): string {
  const shown = showInvisible(word);
  return `\`${escapeInCode(shown)}\``;
}

function isCommand(name: string): name is ChatCommandName {
  return (CHAT_COMMANDS as readonly string[]).includes(name);
}

const OPTIONS: Readonly<Record<ChatCommandName, readonly string[]>> = {
  snapshot: ['reason', 'ticket'],
  readiness: [],
  status: [],
  help: [],
};

function splitOptions(words: readonly string[], command: ChatCommandName) {
  const positional: string[] = [];
  const options = new Map<string, string>();
  for (const word of words) {
    const equals = word.indexOf('=');
    if (equals <= 0) {
      positional.push(word);
      continue;
    }
    const key = word.slice(0, equals).toLowerCase();
    if (!OPTIONS[command].includes(key)) {
      const allowed = OPTIONS[command];
      const guess = closest(key, allowed);
      const hint = guess
        ? `; did you mean \`${guess}\`?`
        : allowed.length > 0
          ? `; its options are ${allowed.join(', ')}.`
          : '; it takes no options.';
      throw new CommandError(`\`${command}\` has no option ${typed(key)}${hint}`);
    }
    if (options.has(key)) throw new CommandError(`${typed(key)} is given twice`);
    options.set(key, word.slice(equals + 1));
  }
  return { positional, options };
}

function targetsOf(words: readonly string[], command: ChatCommandName): string[] {
  for (const word of words) {
    // `reason "CA"`, `ticket CHG-1`, `ticket:CHG-1`: an option written without its `=` is a valid
    // database name, and with the option also given properly it would be asked for as one.
    const lower = word.toLowerCase();
    const option = OPTIONS[command].find((name) => lower === name || lower.startsWith(`${name}:`));
    if (option) {
      throw new CommandError(
        `${typed(word)} is an option of \`${command}\`, not a database name: write ${option}=…, with = and no space around it.\n${CHAT_HELP[command]}`,
      );
    }
    if (!TARGET.test(word)) {
      // `db1,db2`: the CLI's --target takes a comma-separated list, the chat command words.
      const parts = word.split(',');
      const commaList = parts.length > 1 && parts.every((part) => TARGET.test(part));
      const slack = slackReference(word);
      const how = commaList
        ? `: name several databases with spaces between them, not commas (${typed(`${command} ${parts.join(' ')}`)}).`
        : slack
          ? `: Slack sent ${slack.kind} there in place of what was typed (${typed(slack.typed)}); name the database by its identifier, ARN or project:region:instance, which Slack does not link.`
          : '.';
      throw new CommandError(`${typed(word)} is not a database name${how}\n${CHAT_HELP[command]}`);
    }
  }
  // One database named in two cases is one target: RDS identifiers are case-insensitive (stored in
  // lower case) and Cloud SQL names are lower case only, and the snapshot job matches names in any
  // case (jobs/snapshot.ts `names`), so it snapshots it once. Kept as first typed, for the answers.
  // A plain name and an ARN (or project:region:instance) ending in it stay two: see plainAndLocated.
  const targets = new Map<string, string>();
  for (const word of words) if (!targets.has(word.toLowerCase())) targets.set(word.toLowerCase(), word);
  if (targets.size > MAX_SNAPSHOT_TARGETS) {
    throw new CommandError(
      `name at most ${MAX_SNAPSHOT_TARGETS} databases at once (${targets.size} named${countedTwice([...targets.values()])}`,
    );
  }
  return [...targets.values()];
}

/**
 * The pairs of a plain name and an ARN, selfLink or project:region:instance (core/targets.ts
 * locateIdentifier) that ends in that name, as typed. Both stay targets: which database a plain name
 * names is known only once the databases are read (jobs/snapshot.ts resolveSnapshotTargets), and it
 * may be one in another account, region or project as well as, or instead of, the located one.
 * Dropping the plain name could narrow a readiness answer to the located database while a
 * same-named one elsewhere fails, or snapshot it where a snapshot of the shared name is refused as
 * ambiguous; dropping the located one could hide that it was not found. When the plain name names
 * only the located database, the snapshot job and readiness find that database once, for both names.
 */
function plainAndLocated(targets: readonly string[]): [plain: string, located: string][] {
  const plain = new Map(
    targets
      .filter((target) => locateIdentifier(target) === undefined)
      .map((name) => [name.toLowerCase(), name]),
  );
  return targets.flatMap((target): [string, string][] => {
    const named = plain.get(identifierName(target)?.toLowerCase() ?? '');
    return named === undefined ? [] : [[named, target]];
  });
}

/**
 * The end of the over-the-limit refusal: `)`, or, when a plain name and its ARN (or
 * project:region:instance) are among the names ({@link plainAndLocated}), that they count as two,
 * why, and what to do.
 */
function countedTwice(targets: readonly string[]): string {
  const pairs = plainAndLocated(targets);
  const [first] = pairs;
  if (first === undefined) return ')';
  const more =
    pairs.length > 1 ? `, and ${plural(pairs.length - 1, 'more such pair', 'more such pairs')}` : '';
  return `, counting ${typed(first[0])} and ${typed(first[1])} as two${more}: which database a plain name names is known only once the databases are read, and it may be one in another account, region or project); name each database once, by its ARN or project:region:instance where its plain name is shared`;
}

/**
 * What a word is when it is a reference Slack wrote in place of the text typed (with the slash
 * command's "Escape channels, users, and links" on, `certs.example` arrives as
 * `<http://certs.example|certs.example>` and `#certs` as `<#C0123|certs>`:
 * https://api.slack.com/interactivity/slash-commands#creating_commands), so a refusal can say why
 * the name it repeats is not what the user sees in the channel.
 */
function slackReference(word: string): { kind: string; typed: string } | undefined {
  const match = new RegExp(`^${SLACK_REFERENCE.source}$`, 'u').exec(word);
  if (!match) return undefined;
  const [, target = '', label] = match;
  const kind = target.startsWith('#') ? 'a channel' : /^[@!]/.test(target) ? 'a mention' : 'a link';
  return { kind, typed: shownReference(target, label) };
}

/**
 * A reference Slack writes in place of typed text: a channel (`<#C0123|certs>`), a user (`<@U0123>`,
 * `<@U0123|alice>`), a special mention (`<!here>`, `<!subteam^S0123|@ops>`) or a link with a scheme
 * (`<http://certs.example|certs.example>`, `<mailto:a@b.example|a@b.example>`), each with the label
 * Slack shows when it sends one (https://api.slack.com/reference/surfaces/formatting#retrieving-messages).
 * Other text in angle brackets (`<b>`) is what the user typed, and stays as typed.
 */
const SLACK_REFERENCE = /<([#@!][^<>|\s]+|[A-Za-z][A-Za-z0-9+.-]*:[^<>|\s]+)(?:\|([^<>]*))?>/u;

/**
 * The text Slack shows for a reference: `#certs` for a channel, `@alice` for a user or a group, the
 * label of a link or its address. A user mention without a label (Slack no longer sends user names)
 * is shown by its id (`@U0123`), which names the same user: Slack's display name is not in the text.
 */
function shownReference(target: string, label: string | undefined): string {
  const named = label?.replace(/^[#@]/, '');
  if (target.startsWith('#')) return `#${named || target.slice(1)}`;
  if (target.startsWith('@')) return `@${named || target.slice(1)}`;
  if (target.startsWith('!')) {
    // `<!date^…|fallback>` shows its fallback text; `<!here>`, `<!subteam^S0123|@ops>` a mention.
    if (target.startsWith('!date^')) return label || target.slice(1);
    return `@${named || target.slice(1).replace(/^subteam\^/, '')}`;
  }
  return label || target;
}

/**
 * A reason with each Slack reference in it (a channel, a mention, a link: {@link SLACK_REFERENCE})
 * written as the text Slack shows in the channel. The reason travels into snapshot tags and answers,
 * where `<#C0123|certs>` would read as noise (an RDS tag writes its `<`, `|` and `>` as `_`) while
 * the user typed, and sees, `#certs`.
 */
function shownReason(reason: string): string {
  return reason.replace(
    new RegExp(SLACK_REFERENCE.source, 'gu'),
    (_reference, target: string, label?: string) => shownReference(target, label),
  );
}

/**
 * The candidate within edit distance 2 of `word`, if one is clearly meant (chat words are short: a
 * fixed bound, where the CLI's `closest` scales with the word; one edit distance for both).
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance <= 2 && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}
