/**
 * The Lambda exec wrapper that starts a CPU-bound function's Node.js with a larger initial old
 * generation (`--initial-old-space-size`, a quarter of the function's memory: 442 MB at 1,769 MB).
 *
 * Why: V8 starts the old generation's allocation limit small and raises it only after each full
 * (mark-compact) collection, so a cold audit, which promotes page text and decoded records faster
 * than it frees them, ran 4 to 5 full collections while its heap grew: 150 to 260 ms of a ~900 ms-CPU
 * audit. Starting the limit near the heap the audit reaches skips those collections (figures in
 * docs/deploy.md, "Garbage collection of the audit Lambdas"). The maximum heap stays the runtime's.
 * Node refuses the flag in NODE_OPTIONS (an allowlist of flags) and setting it at runtime
 * (`v8.setFlagsFromString`) comes after the heap is configured, so the flag needs the runtime's
 * command line: Lambda starts a function through the script `AWS_LAMBDA_EXEC_WRAPPER` names,
 * passing it the path to the interpreter and all of the original arguments for the standard
 * runtime startup (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html#runtime-wrapper).
 * The script runs that interpreter with the flag right after it and every original argument unchanged.
 *
 * The bench children (bench/child-audit.ts `deployedNodeFlags`) take their flags from
 * {@link execWrapperFlags}, so the benchmarks measure what ships.
 */

/** The wrapper's file name in the code package, beside `index.mjs`. */
export const EXEC_WRAPPER_FILE = 'node-gc-wrapper';

/** Where Lambda finds the code package: the wrapper's path for `AWS_LAMBDA_EXEC_WRAPPER`. */
export const LAMBDA_TASK_ROOT = '/var/task';

/** The environment variable through which Lambda starts the runtime with a wrapper script. */
export const EXEC_WRAPPER_ENV = 'AWS_LAMBDA_EXEC_WRAPPER';

/**
 * The V8 heap limits the Lambda Node.js runtime starts a function of `memoryMb` with. Its bootstrap
 * (`/var/runtime/bootstrap` in the Lambda base images) gives new space a tenth of the memory, each
 * of the two semi-spaces half of that, and old space the rest: for the audits' 1,769 MB
 * `--max-semi-space-size=88 --max-old-space-size=1593`, for 256 MB `12` and `231`.
 */
export function lambdaHeapFlags(memoryMb: number): string[] {
  return [
    `--max-semi-space-size=${semiSpaceMb(memoryMb)}`,
    `--max-old-space-size=${memoryMb - newSpaceMb(memoryMb)}`,
  ];
}

/** The share of a function's memory its old generation starts at: a quarter. */
const INITIAL_OLD_SPACE_SHARE = 4;

/**
 * The flags the exec wrapper adds for a function of `memoryMb`: the old generation starts at a
 * quarter of the memory (442 MB at 1,769 MB, 64 MB at 256 MB), within the maximum the runtime gives
 * it ({@link lambdaHeapFlags}).
 */
export function execWrapperFlags(memoryMb: number): string[] {
  return [`--initial-old-space-size=${Math.floor(memoryMb / INITIAL_OLD_SPACE_SHARE)}`];
}

/** The wrapper script of a function of `memoryMb` (POSIX sh; the flags are plain `--name=number` words). */
export function execWrapperScript(memoryMb: number): string {
  return [
    '#!/bin/sh',
    '# certctl-backup-guard (infra/exec-wrapper.ts): Lambda runs this with the interpreter and the',
    "# runtime's own arguments; start the interpreter with a larger initial old generation.",
    'node="$1"',
    'shift',
    `exec "$node" ${execWrapperFlags(memoryMb).join(' ')} "$@"`,
    '',
  ].join('\n');
}

function newSpaceMb(memoryMb: number): number {
  return Math.floor(memoryMb / 10);
}

function semiSpaceMb(memoryMb: number): number {
  return Math.floor(newSpaceMb(memoryMb) / 2);
}
