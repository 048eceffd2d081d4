/**
 * The contract of a `backup-guard` command. Each command is one module under functions/cli/commands
 * exporting a {@link CliCommand}, listed once in cli.ts `COMMANDS`; the dispatcher, the top-level
 * help, per-command `--help`, "did you mean" suggestions and the error handling are shared.
 */
import type { SecretManagerRetry } from '../gcp/secret-manager.ts';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Colour the table (stdout is a TTY and NO_COLOR is unset, or FORCE_COLOR is set). */
  readonly color?: boolean;
  /** Width of the terminal stdout writes to; renderers wrap prose to it (default 100). */
  readonly columns?: number;
}

/** Hooks the demo and tests use to point the real code at the simulator. */
export interface CliOverrides {
  /** Credentials to use instead of the SDK's default chain. */
  readonly awsCredentials?: { accessKeyId: string; secretAccessKey: string };
  /**
   * Shorter retry waits, for tests whose subject is not the timing: the AWS clients' adaptive retry
   * waits scaled by `awsWaitScale` (AwsClientFactory `retryWaitScale`; the attempts stay the
   * policy's), and the Secret Manager reads retried as `secretManager` says (the client's defaults
   * for what it leaves out).
   */
  readonly retries?: { readonly awsWaitScale?: number; readonly secretManager?: SecretManagerRetry };
  /**
   * How often `snapshot` says on stderr which snapshots it still waits for (default every minute),
   * for tests whose snapshots are available in a fraction of a second.
   */
  readonly stillWaitingEveryMs?: number;
}

/** One option as `node:util` `parseArgs` takes it, plus the line `--help` prints for it. */
export interface CliOption {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  /** The value's placeholder in the help (`FILE`, `ID[,ID]`); string options only. */
  readonly value?: string;
  /** What the option does, one or more sentences; wrapped by the help printer. */
  readonly help: string;
}

/** One command: its name, a one-line summary for the top-level help, its options, and how it runs. */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  /**
   * The command's options; the dispatcher prints them for `<command> --help` and suggests the
   * closest one for a mistyped flag. `--help`/`-h` is added to every command.
   */
  readonly options?: Readonly<Record<string, CliOption>>;
  /** Positional arguments the command takes, as the usage line shows them (`[FILE]`). */
  readonly positionals?: string;
  /** Paragraphs printed after the options in `<command> --help` (exit codes, examples). */
  readonly details?: string;
  /**
   * Run with the arguments after the command name; returns the exit code. User mistakes throw
   * `InputError`/`PolicyError`/`CredentialsError`, which the dispatcher prints in one line.
   */
  run(args: readonly string[], io: CliIo, overrides: CliOverrides): Promise<number>;
}
