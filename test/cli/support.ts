/** What the CLI tests share: an in-memory CliIo that records stdout and stderr. */
import type { CliIo } from '../../functions/cli/command.ts';

export type CapturedIo = CliIo & { out: () => string; err: () => string };

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
    env,
    ...extra,
    out: () => out,
    err: () => err,
  };
}
