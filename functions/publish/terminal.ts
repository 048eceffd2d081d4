/**
 * Text from a cloud, a tag, a policy or an error, made safe to print on a terminal. Resource names,
 * API error messages and region names are not ours: an escape sequence planted in a database name
 * (`ESC[2J` clears the screen, `ESC[1A` moves up a line) or a carriage return could erase or
 * overwrite what the operator reads, and a line feed inside a one-line field could forge a line of
 * its own. Every renderer and CLI line that prints such text goes through one of these.
 */

/**
 * C0 controls but the line feed, DEL and the C1 controls: ESC starts a terminal sequence (erase a
 * line, move the cursor, recolour), a carriage return overwrites the line, and U+009B is an 8-bit
 * CSI to some terminals.
 */
const CONTROL = /(?!\n)\p{Cc}/gu;
/** Every control character, the line feed too. */
const CONTROL_OR_NEWLINE = /\p{Cc}/gu;

function hexEscape(char: string): string {
  return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
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
