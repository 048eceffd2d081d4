/**
 * Text from a cloud, a tag, a policy or an error, made safe to print on a terminal; the one escaping
 * of control characters that every report (table, Markdown, HTML, CSV) and chat answer shares.
 * Resource names, API error messages and region names are not ours: an escape sequence planted in a database name
 * (`ESC[2J` clears the screen, `ESC[1A` moves up a line) or a carriage return could erase or
 * overwrite what the operator reads, and a line feed inside a one-line field could forge a line of
 * its own. Every renderer and CLI line that prints such text goes through one of these.
 */

/**
 * C0 controls but the line feed, DEL and the C1 controls: ESC starts a terminal sequence (erase a
 * line, move the cursor, recolour), a carriage return overwrites the line, and U+009B is an 8-bit
 * CSI to some terminals. With them the Unicode bidirectional controls (U+061C, U+200E, U+200F,
 * U+202A to U+202E, U+2066 to U+2069): a right-to-left override shows the text after it reversed,
 * so a name can read as another in a viewer that applies them (CVE-2021-42574, "Trojan Source").
 */
const CONTROL = /(?!\n)\p{Cc}|[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
/** Every control character, the line feed too, and the bidirectional controls. */
const CONTROL_OR_NEWLINE = /\p{Cc}|[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** `\x1b` for a control below U+0100, `\u202e` for a bidirectional control. */
function hexEscape(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
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
