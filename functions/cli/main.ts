/** Entry point of the `backup-guard` command (after backup-guard.mjs checked the Node version); see cli.ts. */
import { EXIT_CODES } from '../core/audit.ts';
import { describeError } from '../core/errors.ts';
import { runCli } from './cli.ts';

/**
 * Why stdout stopped taking output, once it has. A write error arrives as an 'error' event on the
 * stream, which unheard would crash the process with a stack trace and exit code 1 ("a check
 * failed") in the middle of whatever it was doing (a snapshot wait, a Security Hub import). Heard,
 * the command runs to its end and later output is dropped.
 */
let stdoutFailure: NodeJS.ErrnoException | undefined;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  stdoutFailure ??= error;
});
/**
 * Likewise stderr: `2>&1 | head -1` closes it after the first progress line, and `2>/dev/full`
 * refuses every write; unheard, the error crashed the run with exit code 1 ("a check failed") even
 * when every check passed. Progress and messages are then lost (there is nowhere left to say so);
 * the report on stdout and the exit code, which a script reads, stand.
 */
let stderrFailed = false;
process.stderr.on('error', () => {
  stderrFailed = true;
});

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => {
    if (stdoutFailure === undefined) process.stdout.write(text);
  },
  stderr: (text) => {
    if (!stderrFailed) process.stderr.write(text);
  },
  env: process.env,
  color: process.stdout.isTTY === true,
  ...(process.stdout.isTTY && process.stdout.columns ? { columns: process.stdout.columns } : {}),
});
// A write still in flight reports its failure after it: wait for stdout to take everything.
await new Promise<void>((resolve) => {
  if (stdoutFailure !== undefined || process.stdout.writableLength === 0) resolve();
  else process.stdout.once('drain', resolve).once('error', () => resolve());
});
await new Promise((resolve) => setImmediate(resolve));

if (stdoutFailure === undefined || stdoutFailure.code === 'EPIPE') {
  // EPIPE: the reader closed the pipe (`| head`) and wanted no more; the command's answer stands.
  process.exitCode = code;
} else {
  process.stderr.write(
    `backup-guard: could not write to stdout (${describeError(stdoutFailure)}): the output is incomplete\n`,
  );
  process.exitCode = Math.max(code, EXIT_CODES.incomplete);
}
