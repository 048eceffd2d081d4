/**
 * The `backup-guard` command: the dispatcher. Each command is a module in ./commands exporting a
 * `CliCommand`, listed once in {@link COMMANDS}; this file prints the help, routes `<command>
 * --help`, suggests the closest command for a typo, and turns user errors into one line and exit 2.
 */
import { EXIT_CODES } from '../core/audit.ts';
import { BackupGuardError } from '../core/errors.ts';
import { shellWord } from '../core/shell-word.ts';
import { visible } from '../publish/terminal.ts';
import { commandHelp, didYouMean, wrap } from './args.ts';
import type { CliCommand, CliIo, CliOverrides } from './command.ts';
import { auditCommand } from './commands/audit.ts';
import { checksCommand } from './commands/checks.ts';
import { initCommand } from './commands/init.ts';
import { pruneCommand } from './commands/prune.ts';
import { readinessCommand } from './commands/readiness.ts';
import { snapshotCommand } from './commands/snapshot.ts';

export const VERSION = '0.1.0';

export type { CliCommand, CliIo, CliOverrides } from './command.ts';
export {
  describePublication,
  FORMATS,
  type Format,
  PROVIDERS,
  type ProviderChoice,
  render,
  renderAsff,
} from './commands/audit.ts';

/** Every command, in the order the help lists them; a new command is one line here. */
export const COMMANDS: readonly CliCommand[] = [
  auditCommand,
  checksCommand,
  snapshotCommand,
  pruneCommand,
  readinessCommand,
  initCommand,
];

function commandList(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length), 4) + 2;
  return [
    ...COMMANDS,
    { name: 'help', summary: 'Show this help; backup-guard <command> --help for its options' },
  ]
    .flatMap((command) =>
      wrap(command.summary, 100, width + 2, width + 2).map((line, i) =>
        i === 0 ? `  ${command.name.padEnd(width)}${line.trimStart()}` : line,
      ),
    )
    .join('\n');
}

export const HELP = `Usage: npx backup-guard <command> [options]

Prove that certctl can be restored: its managed PostgreSQL (point-in-time recovery, pg_dump series)
and its key material.

Commands:
${commandList()}

Options:
  -h, --help     Show this help (after a command: that command's options)
  -v, --version  Show the version

Without a command, or with a bad one or a bad option, backup-guard says what is wrong in one line on
stderr and exits 2; --help prints to stdout and exits 0.

Exit codes of audit (snapshot, prune, readiness, checks and init: see their --help):
  0  no open failure: every check passed, warned, or failed under an active policy exception
     (accepted risk, listed apart)
  1  at least one check failed that no active policy exception accepts
  2  the audit could not complete (a scope could not be read, a check could not be evaluated,
     a check group judged nothing (no database matched), a named database was missing), or the
     input was bad; it says which

AWS credentials come from the SDK's default chain (environment: AWS_ACCESS_KEY_ID with
AWS_SECRET_ACCESS_KEY; AWS_PROFILE / SSO; container or instance role); member accounts listed in
the policy are read through their roles, which are read-only: snapshot and prune write in the
account of the credentials only, naming on stderr the member accounts they left out. STS is called in $AWS_REGION, else $AWS_DEFAULT_REGION,
else the region of the AWS profile ($AWS_PROFILE, else default, in ~/.aws/config or
$AWS_CONFIG_FILE, and in ~/.aws/credentials or $AWS_SHARED_CREDENTIALS_FILE, which wins) when
set, else in the audited regions (--region, then aws.regions of the policy) in order, moving to
the next when one fails. With no region configured: us-east-1, or us-gov-west-1 / cn-north-1
when the member role ARNs are in GovCloud / China. Settings that name two partitions, or an
$AWS_REGION or profile region of another partition, are refused.
GCP uses Application Default Credentials (gcloud auth application-default login).
Start with: npx backup-guard init, then npx backup-guard audit --policy policy.yaml
Try it without a cloud: npm run demo
`;

/** The help the README shows (`npm run docs`): the command list, then the options of every command. */
export const README_HELP = [
  `$ npx backup-guard --help\n${HELP}`,
  ...COMMANDS.map((command) => `$ npx backup-guard ${command.name} --help\n${commandHelp(command)}`),
].join('\n');

/** The options `backup-guard` itself takes, before any command. */
const OWN_OPTIONS = ['--help', '--version'];

/**
 * `unknown command 'audti'. Did you mean 'audit'?` on stderr, and exit 2. A word `argv` starts with
 * that is an option of a command (`--policy x.yaml audit`) is said as out of place, with the line
 * that runs, the command first; another option gets the closest of backup-guard's own.
 */
function unknownCommand(command: string, io: CliIo, argv: readonly string[] = [command]): number {
  const names = [...COMMANDS.map((candidate) => candidate.name), 'help'];
  if (command.startsWith('--') && argv[0] === command) {
    const misplaced = misplacedOption(command, argv);
    if (misplaced !== undefined) {
      io.stderr(`backup-guard: ${visible(misplaced)}\n`);
      return EXIT_CODES.incomplete;
    }
  }
  const what = command.startsWith('-') ? 'option' : 'command';
  const suggestion = command.startsWith('--')
    ? didYouMean(command, OWN_OPTIONS)
    : didYouMean(command.replace(/^-+/, ''), names);
  io.stderr(
    `backup-guard: unknown ${what} '${visible(command)}'.${suggestion} Commands: ${names.join(', ')}. Run 'backup-guard --help'.\n`,
  );
  return EXIT_CODES.incomplete;
}

/**
 * Why `argv`, which starts with an option of some command, did not run, and the line that would;
 * undefined when the option is no command's.
 */
function misplacedOption(option: string, argv: readonly string[]): string | undefined {
  const name = option.slice(2).replace(/=.*$/s, '');
  const owners = COMMANDS.filter((candidate) => Object.hasOwn(candidate.options ?? {}, name));
  if (owners.length === 0) return undefined;
  const taking = `${owners.map((owner) => owner.name).join(', ')} take${owners.length === 1 ? 's' : ''} --${name}`;
  // The command the line names after its options, if any: `--` ends them, so none after it counts.
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length;
  const commandAt = (word: string) => COMMANDS.find((candidate) => candidate.name === word);
  const at = argv.slice(0, end).findIndex((word) => commandAt(word) !== undefined);
  const later = at >= 0 ? commandAt(argv[at] ?? '') : undefined;
  const line = (command: CliCommand, words: readonly string[]) =>
    ['backup-guard', command.name, ...words].map(shellWord).join(' ');
  if (later === undefined) {
    const [first] = owners as [CliCommand];
    return `--${name} comes before any command: options go after one (${taking}), as in ${line(first, argv)}. Run 'backup-guard --help'.`;
  }
  if (!owners.includes(later)) {
    return `--${name} comes before the command, and ${later.name} takes no --${name} (${taking}). Run 'backup-guard ${later.name} --help' for its options.`;
  }
  const reordered = [...argv.slice(0, at), ...argv.slice(at + 1)];
  return `--${name} comes before the command: options go after it, as in ${line(later, reordered)}. Run 'backup-guard ${later.name} --help' for its options.`;
}

/**
 * `backup-guard` alone: a usage error like any other (one line on stderr, exit 2), not the help on
 * stdout, which a script reading stdout would take for an answer and a caller checking only the exit
 * code would not see. The line names the commands and what to run for the help.
 */
function noCommand(io: CliIo): number {
  const names = [...COMMANDS.map((candidate) => candidate.name), 'help'];
  io.stderr(
    `backup-guard: no command given. Usage: npx backup-guard <command> [options]; commands: ${names.join(', ')}. Run 'backup-guard --help'.\n`,
  );
  return EXIT_CODES.incomplete;
}

/** A word after `--version`, or after `help <command>` (`--help`, `-h`), on stderr, and exit 2. */
function extraOperand(command: string, extra: string, io: CliIo): number {
  const what =
    command !== '--version' && command !== '-v'
      ? `takes one command name, not '${visible(extra)}' after it`
      : `takes no argument '${visible(extra)}'`;
  io.stderr(`backup-guard: ${command} ${what}. Run 'backup-guard --help'.\n`);
  return EXIT_CODES.incomplete;
}

/** Run the CLI; returns the exit code. Never throws for user errors: it prints them. */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  overrides: CliOverrides = {},
): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
        return noCommand(io);
      case 'help':
      case '--help':
      case '-h': {
        // `help`, `--help` and `-h` take one command name (`-h audit` shows the audit's help, as
        // `help audit` does). As for --version, a word after it is a mistake, which printing the
        // help and exiting 0 would hide from a script.
        const [asked, extra] = rest;
        if (extra !== undefined) return extraOperand(command, extra, io);
        const topic = COMMANDS.find((candidate) => candidate.name === asked);
        if (asked !== undefined && topic === undefined && asked !== 'help') return unknownCommand(asked, io);
        io.stdout(topic ? commandHelp(topic) : HELP);
        return EXIT_CODES.ok;
      }
      case '--version':
      case '-v':
        // A word after --version is a mistake (a command typed after it, a stray paste): printing the
        // version and exiting 0 would hide it from a script.
        if (rest[0] !== undefined) return extraOperand(command, rest[0], io);
        io.stdout(`${VERSION}\n`);
        return EXIT_CODES.ok;
      default: {
        const found = COMMANDS.find((candidate) => candidate.name === command);
        if (!found) return unknownCommand(command, io, argv);
        // `--` ends the options: a later `--help` is an argument, not a request for help.
        const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
        if (options.includes('--help') || options.includes('-h')) {
          io.stdout(commandHelp(found));
          return EXIT_CODES.ok;
        }
        return await found.run(rest, io, overrides);
      }
    }
  } catch (error) {
    if (error instanceof BackupGuardError) {
      // Messages quote arguments, files and API errors: shown, never run; a policy error keeps its
      // one-issue-a-line layout.
      io.stderr(`backup-guard: ${visible(error.message)}\n`);
      return EXIT_CODES.incomplete;
    }
    io.stderr(`backup-guard: unexpected error: ${visible((error as Error)?.stack ?? String(error))}\n`);
    return EXIT_CODES.incomplete;
  }
}
