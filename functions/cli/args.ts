/**
 * Argument parsing shared by every command: `node:util` `parseArgs` over the command's option specs,
 * one-line errors that name the command and suggest the closest option, and the per-command help.
 */
import { parseArgs } from 'node:util';
import { closest } from '../core/closest.ts';
import { InputError } from '../core/errors.ts';
import type { CliCommand, CliOption } from './command.ts';

/** The help option every command has. */
const HELP_OPTION: CliOption = { type: 'boolean', short: 'h', help: 'Show this help' };

export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | string[] | boolean[] | undefined>>;
  readonly positionals: readonly string[];
}

/** ` Did you mean 'x'?` or nothing. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closest(word, candidates);
  return match === undefined ? '' : ` Did you mean '${match}'?`;
}

function optionsOf(command: CliCommand): Record<string, CliOption> {
  return { ...command.options, help: HELP_OPTION };
}

/** Parse a command's arguments strictly; every mistake is an `InputError` naming the command. */
export function parseCommandArgs(command: CliCommand, args: readonly string[]): ParsedArgs {
  const options = optionsOf(command);
  const config = Object.fromEntries(
    Object.entries(options).map(([name, option]) => [
      name,
      {
        type: option.type,
        ...(option.multiple ? { multiple: true } : {}),
        ...(option.short ? { short: option.short } : {}),
      },
    ]),
  );
  const allowPositionals = command.positionals !== undefined;
  try {
    const { values, positionals, tokens } = parseArgs({
      args: [...args],
      options: config,
      allowPositionals,
      strict: true,
      tokens: true,
    });
    // parseArgs keeps the last value of a single-value option without a word, so `--policy a.yaml
    // … --policy b.yaml` would run on b alone; the chat grammar refuses a repeated option too.
    const given = new Map<string, string[]>();
    for (const token of tokens) {
      if (token.kind !== 'option' || options[token.name]?.type !== 'string' || options[token.name]?.multiple)
        continue;
      given.set(token.name, [...(given.get(token.name) ?? []), token.value ?? '']);
    }
    // The same value twice (a wrapper script adding what its caller also passed) is no ambiguity.
    const twice = [...given]
      .map(([name, seen]) => [name, [...new Set(seen)]] as const)
      .find(([, values]) => values.length > 1);
    if (twice !== undefined) {
      const [name, values] = twice;
      throw new InputError(
        `--${name} is given ${values.length} different values (${values.map((value) => `'${value}'`).join(', ')}); give it once. ${helpHint(command)}`,
      );
    }
    const blank = Object.entries(values).find(([, value]) =>
      [value].flat().some((one) => typeof one === 'string' && one.trim() === ''),
    )?.[0];
    // `--policy "$POLICY"` with POLICY unset: a blank value would silently mean the default.
    if (blank !== undefined) throw new InputError(needsValue(command, `--${blank}`));
    return { values: values as ParsedArgs['values'], positionals };
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(describeParseError(command, Object.keys(options), args, error), { cause: error });
  }
}

/** `--policy needs a value. Run 'backup-guard audit --help' for its options.` */
function needsValue(command: CliCommand, option: string): string {
  return `${option} needs a value. ${helpHint(command)}`;
}

function helpHint(command: CliCommand): string {
  return `Run 'backup-guard ${command.name} --help' for its options.`;
}

/** One line for a `parseArgs` error, with the closest option for an unknown one. */
function describeParseError(
  command: CliCommand,
  names: readonly string[],
  args: readonly string[],
  error: unknown,
): string {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message;
  const more = helpHint(command);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /^Unknown option '([^']+)'/.exec(message)?.[1] ?? '?';
    const flags = names.map((name) => `--${name}`);
    return `Unknown option '${option}' for ${command.name}.${didYouMean(option.replace(/=.*$/, ''), flags)} ${more}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /^Option '(-\w, )?(--[\w-]+)/.exec(message)?.[2];
    if (option && /argument missing/.test(message)) return needsValue(command, option);
    // `--format "$FORMAT" --output x` with FORMAT unset: parseArgs calls the next option "ambiguous"
    // as the value; the option needs a value, it does not refuse one.
    if (option && /argument is ambiguous/.test(message)) {
      const short = /^Option '-(\w), /.exec(message)?.[1];
      const at = args.findIndex((arg) => arg === option || (short !== undefined && arg === `-${short}`));
      const next = at >= 0 ? args[at + 1] : undefined;
      const got = next === undefined ? '' : `got the option '${next}' after it; `;
      return `${option} needs a value (${got}write ${option}=VALUE for a value that starts with a dash). ${more}`;
    }
    if (option) return `${option} takes no value. ${more}`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const word = /'([^']+)'/.exec(message)?.[1] ?? '?';
    return `${command.name} takes no argument '${word}'. ${more}`;
  }
  return `${message} ${more}`;
}

/** Wrap `text` to `width` columns, continuing lines with `indent` spaces. */
export function wrap(text: string, width: number, indent = 0, firstIndent = indent): string[] {
  const lines: string[] = [];
  let line = ' '.repeat(firstIndent);
  let empty = true;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = ' '.repeat(indent);
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  if (!empty || lines.length === 0) lines.push(line);
  return lines;
}

const HELP_WIDTH = 100;
const OPTION_COLUMN = 28;

/** `backup-guard <command> --help`: usage, summary, every option, and the command's details. */
export function commandHelp(command: CliCommand): string {
  const lines = [
    `Usage: npx backup-guard ${command.name} [options]${command.positionals ? ` ${command.positionals}` : ''}`,
    '',
    ...wrap(command.summary, HELP_WIDTH),
    '',
    'Options:',
  ];
  for (const [name, option] of Object.entries(optionsOf(command))) {
    const flag = `${option.short ? `-${option.short}, ` : ''}--${name}${option.value ? ` ${option.value}` : ''}`;
    const label = `  ${flag}`;
    const text = wrap(option.help, HELP_WIDTH, OPTION_COLUMN, OPTION_COLUMN);
    if (label.length + 2 <= OPTION_COLUMN) {
      lines.push(`${label.padEnd(OPTION_COLUMN)}${(text[0] ?? '').trimStart()}`, ...text.slice(1));
    } else {
      lines.push(label, ...text);
    }
  }
  if (command.details) lines.push('', command.details.trimEnd());
  return `${lines.join('\n')}\n`;
}

/** Repeated and comma-separated values of one option, trimmed; undefined when the option is absent. */
export function splitList(values: unknown): string[] | undefined {
  if (values === undefined) return undefined;
  const list = Array.isArray(values) ? values : [values];
  return list
    .flatMap((value) => String(value).split(','))
    .map((value) => value.trim())
    .filter(Boolean);
}

/**
 * Whether to colour stdout: `--no-color` wins, then `FORCE_COLOR` (any value but `0`/`false`, as
 * Node itself reads it: https://nodejs.org/api/cli.html#force_color1-2-3), then `NO_COLOR`
 * (https://no-color.org), then whether stdout is a terminal.
 */
export function colorWanted(io: { env: NodeJS.ProcessEnv; color?: boolean }, noColorFlag: boolean): boolean {
  if (noColorFlag) return false;
  const force = io.env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (io.env.NO_COLOR) return false;
  return io.color ?? false;
}
