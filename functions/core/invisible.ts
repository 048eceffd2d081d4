/**
 * Characters nobody reading a text sees, or that reorder what they see. A snapshot's reason is
 * repeated in the answers and written to the snapshot tags, where such a character would hide (or, a
 * bidirectional override, reverse) what the reader sees: chat, the CLI and the `snapshot` function
 * refuse it the same way ({@link hiddenReasonProblem}).
 */

/**
 * The characters that are not controls but show nothing, or reorder what is shown, as a regular
 * expression source (flag `u`): the one set that input checks (here) refuse and printed text
 * (functions/publish/terminal.ts) escapes. Format characters (\p{Cf}: zero-width spaces and
 * joiners, bidirectional overrides, tag characters), the line and paragraph separators, the other
 * default-ignorable code points (Unicode's "should be rendered invisibly" property: the Hangul
 * fillers U+115F, U+1160, U+3164 and U+FFA0, which are letters, the combining grapheme joiner, the
 * Khmer inherent vowels) and the braille pattern blank U+2800, a symbol that draws nothing.
 * Variation selectors, default-ignorable too, are not among them: after an emoji or a CJK letter they
 * choose how it is drawn (U+FE0F in `✔️`), and refusing or escaping them would garble text people type.
 */
export const SHOWS_NOTHING = String.raw`[\p{Cf}\p{Zl}\p{Zp}\u2800]|(?![\u180B-\u180D\u180F\uFE00-\uFE0F\u{E0100}-\u{E01EF}])\p{Default_Ignorable_Code_Point}`;

/** Control characters but the tab and the line feed, and {@link SHOWS_NOTHING}. */
const INVISIBLE = new RegExp(String.raw`[^\P{Cc}\t\n]|${SHOWS_NOTHING}`, 'gu');
const FIRST_INVISIBLE = new RegExp(INVISIBLE.source, 'u');

/** `U+200B`: how a message names an invisible character. */
function codePoint(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** `text` with each invisible character shown as `[U+200B]`, for repeating what a user typed. */
export function showInvisible(text: string): string {
  return text.replace(INVISIBLE, (char) => `[${codePoint(char)}]`);
}

/**
 * Why `reason` cannot be a snapshot's reason, after what names it (`the reason`, `--reason`, a
 * field path): it holds an invisible character; undefined when it holds none. Tabs and line feeds
 * are taken.
 */
export function hiddenReasonProblem(reason: string): string | undefined {
  return hiddenCharacterProblem(reason, 'the reason', FIRST_INVISIBLE);
}

/**
 * Invisible characters as {@link INVISIBLE} says, tabs and line feeds too, and the variation
 * selectors: one-word values, where nothing is drawn that one could select.
 */
const FIRST_INVISIBLE_OR_BREAK = new RegExp(
  String.raw`\p{Cc}|\p{Default_Ignorable_Code_Point}|${SHOWS_NOTHING}`,
  'u',
);

/**
 * Why a ticket or request id cannot be one, after what names it: it holds an invisible character, a
 * tab or a line break; undefined when it holds none. Each is written to a snapshot tag, which
 * keeps none of them (functions/actions/snapshot/model.ts `tagValue` writes `_`), and is the
 * request's identity: `CHG-42` pasted with a zero-width space would be another request, and take
 * a second snapshot, under a ticket that reads the same. `what` names it in the advice (`the ticket`).
 */
export function hiddenIdProblem(id: string, what: string): string | undefined {
  return hiddenCharacterProblem(id, what, FIRST_INVISIBLE_OR_BREAK);
}

/**
 * Why a database named in the policy or a request (a DB or cluster identifier, a Cloud SQL instance
 * name, an ARN or selfLink) cannot be one: it holds an invisible character or a blank, neither of
 * which any of them has; undefined when it holds none. One pasted with either would match nothing,
 * and "not found: certctl-db" would read as if the database were missing.
 */
export function identifierProblem(identifier: string): string | undefined {
  return (
    hiddenIdProblem(identifier, 'the identifier') ??
    (/\s/u.test(identifier)
      ? 'holds a blank; a DB or cluster identifier, Cloud SQL instance name or ARN has none'
      : undefined)
  );
}

function hiddenCharacterProblem(text: string, what: string, pattern: RegExp): string | undefined {
  const hidden = pattern.exec(text)?.[0];
  if (hidden === undefined) return undefined;
  return `holds a character nobody reading it would see (${codePoint(hidden)}); type ${what} again without it`;
}
