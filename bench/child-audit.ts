/**
 * The two halves of a benchmark whose audit runs in its own process, so the CPU time it reports is
 * the audit's alone (the simulator runs in the parent): the child measures one audit and prints
 * one JSON line; the parent starts the child and reads that line.
 *
 * The child runs as the functions are deployed: bundled by esbuild with the Lambdas' options
 * (infra/lambda-code.ts `bundleLambda`: one minified ES module, its collectors in chunks loaded on
 * demand), not as TypeScript sources. Run from sources, a cold audit also paid Node's type stripping
 * (amaro's WebAssembly) and resolving some hundred files, which no deployed function does.
 * `BENCH_AS_SOURCES=1` runs the sources instead, as every profiling switch does (`BENCH_CPU_PROF`,
 * `BENCH_PROFILE_DIR`, `BENCH_CPU_PROFILE`), so profiles name our functions and files.
 * `BENCH_V8_FLAGS='--flag=value …'` (space-separated) gives every child those extra V8 flags after
 * the heap limits, to A/B a GC setting (e.g. `--min-semi-space-size=44`). The child's
 * half is bench/child-side.ts, which the children import alone: this module's bundler pulls in
 * aws-cdk-lib, which would otherwise be bundled into every child (about 40 MB).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BUNDLE_FILE_NAME } from '../infra/bundling.ts';
import { execWrapperFlags, lambdaHeapFlags } from '../infra/exec-wrapper.ts';
import { bundleLambda } from '../infra/lambda-code.ts';
import type { CriticalPath } from './child-side.ts';

export { lambdaHeapFlags } from '../infra/exec-wrapper.ts';
export { type AuditFigures, measureAudit, reportFigures } from './child-side.ts';

const run = promisify(execFile);

/**
 * Node flags every audit child gets from the environment: `BENCH_CPU_PROF=<dir>` writes a V8 CPU
 * profile of each child there (Node refuses `--cpu-prof` in NODE_OPTIONS); read one with
 * `node bench/profile-summary.ts <file>`.
 */
export function profileFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = env.BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

/** The extra V8 flags `BENCH_V8_FLAGS` asks for (space-separated), after every other flag of the child. */
export function extraV8Flags(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.BENCH_V8_FLAGS ?? '').split(/\s+/).filter((flag) => flag !== '');
}

const bundled = new Map<string, string>();

/** The switches that run the sources: `BENCH_AS_SOURCES` and the profiling ones. */
const SOURCE_SWITCHES = ['BENCH_AS_SOURCES', 'BENCH_CPU_PROF', 'BENCH_PROFILE_DIR', 'BENCH_CPU_PROFILE'];

/** Whether a benchmark runs the sources rather than the bundles as deployed ({@link SOURCE_SWITCHES}). */
export function runsSources(env: NodeJS.ProcessEnv = process.env): boolean {
  return SOURCE_SWITCHES.some((name) => env[name]);
}

/**
 * What the child process runs for `script`: its bundle as deployed (built once per benchmark
 * process into a temporary directory removed when the process exits), or the script itself with
 * one of {@link SOURCE_SWITCHES}.
 */
export function childEntry(script: string, env: NodeJS.ProcessEnv = process.env): string {
  if (runsSources(env)) return script;
  let entry = bundled.get(script);
  if (!entry) {
    const outdir = mkdtempSync(join(tmpdir(), 'bench-child-'));
    process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
    bundleLambda(resolve(script), outdir);
    entry = join(outdir, BUNDLE_FILE_NAME);
    bundled.set(script, entry);
  }
  return entry;
}

/** Parent side: run a child script (as deployed, {@link childEntry}) with the given environment and read its figures. */
export async function runAuditChild<F>(
  script: string,
  env: Record<string, string>,
  nodeFlags: readonly string[] = [],
): Promise<F> {
  const { stdout } = await run(
    process.execPath,
    [...profileFlags(), ...nodeFlags, ...extraV8Flags(), childEntry(script)],
    {
      env: { ...process.env, ...env },
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as F;
}

/**
 * The node flags a deployed audit function of `memoryMb` runs with: those its exec wrapper adds
 * (infra/exec-wrapper.ts, right after the interpreter), then the heap limits the Lambda runtime
 * gives it ({@link lambdaHeapFlags}). The audit children get these, so the benchmarks measure what ships.
 */
export function deployedNodeFlags(memoryMb: number): string[] {
  return [...execWrapperFlags(memoryMb), ...lambdaHeapFlags(memoryMb)];
}

/**
 * The line that shows what bounds a CPU-bound audit (child-side.ts {@link CriticalPath}): its first
 * answer after the sequential calls (no earlier than `earliestMs`, their round trips and its own),
 * plus the main thread's CPU after it, is a floor on the wall time no concurrency lowers; beside
 * it, 1.5x the round-trip bound `lowerBoundMs`.
 */
export function criticalPathLine(
  path: CriticalPath,
  earliestMs: number,
  lowerBoundMs: number,
  what: string,
): string {
  const floor = path.firstAnswerMs + path.cpuAfterMs;
  return `  critical path:    first ${what} answered at ${path.firstAnswerMs.toFixed(0)} ms (no earlier than ${earliestMs} ms), main-thread CPU after it ${path.cpuAfterMs.toFixed(0)} ms: wall >= ${floor.toFixed(0)} ms whatever the concurrency (the 1.5x target is ${(1.5 * lowerBoundMs).toFixed(0)} ms)`;
}

/** How many fresh processes a child-process benchmark measures its headline audit in. */
export const FRESH_RUNS = 3;

/** The runs of a benchmark measured in several fresh processes, and the one with the median wall time. */
export interface RepeatedRuns<F> {
  readonly runs: readonly F[];
  /** The run of median wall time: its figures are the headline (a fresh process moves 2x on a shared machine). */
  readonly median: F;
  /** Every run's wall time, in the order they ran, for the output. */
  readonly walls: string;
}

/** Parent side: `run` (one fresh child) `times` times in a row; the median run by `wallOf`. */
export async function repeatRuns<F>(
  run: () => Promise<F>,
  wallOf: (figures: F) => number,
  times = FRESH_RUNS,
): Promise<RepeatedRuns<F>> {
  const runs: F[] = [];
  for (let index = 0; index < times; index += 1) runs.push(await run());
  const sorted = [...runs].sort((a, b) => wallOf(a) - wallOf(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as F;
  return { runs, median, walls: runs.map((figures) => `${wallOf(figures).toFixed(0)} ms`).join(', ') };
}
