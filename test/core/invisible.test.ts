/**
 * The characters nobody reading a text sees: refused in what a user types (a snapshot's reason, a
 * ticket or request id) and escaped in what is printed (functions/publish/terminal.ts), one set.
 */
import { describe, expect, it } from 'vitest';
import { hiddenIdProblem, hiddenReasonProblem, showInvisible } from '../../functions/core/invisible.ts';
import { visible, visibleLine } from '../../functions/publish/terminal.ts';

/** Hangul fillers (Lo, default-ignorable) and the braille blank (So): letters that draw nothing. */
const BLANK_LETTERS = ['\u3164', '\uffa0', '\u115f', '\u1160', '\u2800'].map((char) => [
  `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase()}`,
  char,
]);

describe('invisible characters', () => {
  it.each(BLANK_LETTERS)('refuses %s in a reason and an id, and escapes it in printed text', (code, char) => {
    // Prepare
    const escaped = `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;

    // Act / Assess
    expect(hiddenReasonProblem(`CA${char} rotation`)).toContain(`(${code})`);
    expect(hiddenIdProblem(`CHG-42${char}`, 'the ticket')).toContain(`(${code})`);
    expect(showInvisible(`CA${char}`)).toBe(`CA[${code}]`);
    expect(visible(`db${char}-prod`)).toBe(`db${escaped}-prod`);
    expect(visibleLine(`db${char}-prod`)).toBe(`db${escaped}-prod`);
  });

  it('keeps visible letters, emoji with their variation selector, tabs in a reason and line feeds in prose', () => {
    expect(hiddenReasonProblem('CA rotation ✔️ für Ünïcode 한글\tnow\nthen')).toBeUndefined();
    expect(visible('한글 ✔️\n')).toBe('한글 ✔️\n');
    // In a one-word id nothing is drawn that a selector could select: refused there.
    expect(hiddenIdProblem('CHG-42\ufe0f', 'the ticket')).toContain('(U+FE0F)');
  });
});
