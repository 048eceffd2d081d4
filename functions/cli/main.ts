#!/usr/bin/env node
/** Entry point of the `backup-guard` command; see cli.ts. */
import { runCli } from './cli.ts';

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  color: process.stdout.isTTY === true && !process.env.NO_COLOR,
});
process.exitCode = code;
