/**
 * The contract of a `backup-guard` command. Each command lives in its own module under
 * functions/cli/commands (or cli.ts for the first two) and is listed once in cli.ts `COMMANDS`;
 * the dispatcher, the top-level help and the error handling are shared.
 */

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Colour the table (stdout is a TTY and NO_COLOR is unset). */
  readonly color?: boolean;
}

/** Hooks the demo and tests use to point the real code at the simulator. */
export interface CliOverrides {
  /** Credentials to use instead of the SDK's default chain. */
  readonly awsCredentials?: { accessKeyId: string; secretAccessKey: string };
}

/** One command: its name, a one-line summary for the top-level help, and how it runs. */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  /**
   * Run with the arguments after the command name; returns the exit code. User mistakes throw
   * `InputError`/`PolicyError`/`CredentialsError`, which the dispatcher prints in one line.
   */
  run(args: readonly string[], io: CliIo, overrides: CliOverrides): Promise<number>;
}
