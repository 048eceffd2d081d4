/**
 * Text from a cloud, a tag, a policy or an error, made safe to print on a terminal; the one escaping
 * of control characters that every report (table, Markdown, HTML, CSV) and chat answer shares.
 * Resource names, API error messages and region names are not ours: an escape sequence planted in a database name
 * (`ESC[2J` clears the screen, `ESC[1A` moves up a line) or a carriage return could erase or
 * overwrite what the operator reads, and a line feed inside a one-line field could forge a line of
 * its own. Every renderer and CLI line that prints such text goes through one of these.
 */

import { SHOWS_NOTHING } from '../core/invisible.ts';

/**
 * C0 controls but the line feed, DEL and the C1 controls: ESC starts a terminal sequence (erase a
 * line, move the cursor, recolour), a carriage return overwrites the line, and U+009B is an 8-bit
 * CSI to some terminals. With them the format characters (\p{Cf}): the Unicode bidirectional
 * controls (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069), where a right-to-left
 * override shows the text after it reversed, so a name can read as another in a viewer that applies
 * them (CVE-2021-42574, "Trojan Source"); and the characters that show nothing at all, such as the
 * zero-width space and joiners (U+200B to U+200D), the word joiner (U+2060), the byte-order mark
 * (U+FEFF), the soft hyphen (U+00AD) and the tag characters (U+E0000 block), with which
 * `certctl\u200b-prod` reads as `certctl-prod` or a tag run hides text. And the line and paragraph
 * separators (U+2028, U+2029), which some terminals and viewers break a line at, and the letters
 * and symbols that draw nothing (Hangul fillers, the braille blank). All but the controls are
 * core/invisible.ts SHOWS_NOTHING, the characters it refuses in a reason a user types: one set.
 */
const CONTROL = new RegExp(String.raw`(?!\n)\p{Cc}|${SHOWS_NOTHING}`, 'gu');
/** Every control character, the line feed too, and {@link SHOWS_NOTHING}. */
const CONTROL_OR_NEWLINE = new RegExp(String.raw`\p{Cc}|${SHOWS_NOTHING}`, 'gu');

/** `\x1b` for a character below U+0100, `\u202e` for one of the BMP, `\u{e0041}` beyond it. */
function hexEscape(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  const hex = code.toString(16);
  if (code <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  return code <= 0xffff ? `\\u${hex.padStart(4, '0')}` : `\\u{${hex}}`;
}

/** `text` with its control characters shown as `\x1b`, never run; line feeds kept (prose, lists). */
export function visible(text: string): string {
  return text.replaceAll(CONTROL, hexEscape);
}

/**
 * `text` for a field of one line (a name in a progress line, an API error in a summary): every
 * control character, the line feed too, shown as `\x0a`, so the field cannot start a line of its own.
 */
export function visibleLine(text: string): string {
  return text.replaceAll(CONTROL_OR_NEWLINE, hexEscape);
}
