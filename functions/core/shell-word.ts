/**
 * One word of a command a finding or a report prints for a reader to paste into a POSIX shell, built
 * from a name a cloud's answer sent (a database identifier, a Region, a project). The clouds document
 * narrow alphabets for these (an RDS identifier is letters, digits and hyphens), but an answer is not
 * trusted to keep to them: a name with anything a shell reads (`;`, `$(…)`, a backtick, a space, a
 * quote, a glob) would otherwise run as a command of its own in the reader's shell.
 */

/** Characters a POSIX shell gives no meaning to in a word. */
const PLAIN_WORD = /^[A-Za-z0-9_.,:/@%+=-]+$/;

/**
 * `name` as one shell word: unchanged when it holds only plain characters (every name the clouds
 * document), else in single quotes, each `'` written as `'\''`, so the shell passes it as it is and
 * runs nothing in it. An empty name is `''`, one empty word, never a missing one.
 */
export function shellWord(name: string): string {
  if (PLAIN_WORD.test(name)) return name;
  return `'${name.replaceAll("'", "'\\''")}'`;
}

/**
 * A placeholder in a printed command, which the reader replaces before running it (`<destination-region>`,
 * the ARN of an instance whose answer sent none): `<text>` as one quoted word. Written bare, a
 * command pasted as it is would have the shell read `<` as a redirection from a file named by the
 * text and `>` as one that creates (and empties) a file named by the next word; quoted, the tool gets
 * the literal `<text>` and refuses it as no Region, ARN or name it knows.
 */
export function placeholder(text: string): string {
  return shellWord(`<${text}>`);
}
