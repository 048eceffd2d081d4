/** What the CLI tests share: an in-memory CliIo that records stdout and stderr. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../functions/cli/command.ts';

export type CapturedIo = CliIo & { out: () => string; err: () => string };

/**
 * A home directory that is never created: the CLI reads the AWS shared config and credentials
 * files under the HOME of the env it is given (else the OS home), so without it a test would read
 * the developer's own ~/.aws (a profile region, a malformed file) and pass or fail by machine.
 */
export const EMPTY_HOME = join(tmpdir(), `backup-guard-test-no-home-${process.pid}`);

/** An io that records what the CLI writes; `env` gets {@link EMPTY_HOME} as HOME unless it names one. */
export function captureIo(env: NodeJS.ProcessEnv = {}, extra: Partial<CliIo> = {}): CapturedIo {
  let out = '';
  let err = '';
  return {
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    env: { HOME: EMPTY_HOME, ...env },
    ...extra,
    out: () => out,
    err: () => err,
  };
}
