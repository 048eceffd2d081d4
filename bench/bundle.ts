/**
 * Bundle a handler exactly as it is deployed (infra/bundling.ts: the esbuild settings NodejsFunction
 * and the GCP deployment use) and measure what a cold start pays: bundle size and module init time
 * (import in a fresh process with the functions' NODE_OPTIONS, median of runs).
 */
import { execFile } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';
import { FUNCTION_NODE_OPTIONS, functionBuildOptions } from '../infra/bundling.ts';

const run = promisify(execFile);

export interface BundleFigures {
  readonly entry: string;
  readonly bytes: number;
  readonly initMsMedian: number;
  readonly initMsRuns: readonly number[];
}

/**
 * The esbuild options of every deployed function (infra/bundling.ts), as the esbuild API takes them:
 * with the same entry they produce the same bytes as the audit Lambda's NodejsFunction bundle.
 */
export const LAMBDA_BUNDLE_OPTIONS: BuildOptions = functionBuildOptions();

export async function measureBundle(entry: string, outName: string, runs = 7): Promise<BundleFigures> {
  const outdir = resolve('.bench');
  await mkdir(outdir, { recursive: true });
  const outfile = join(outdir, `${outName}.mjs`);
  await build({ ...LAMBDA_BUNDLE_OPTIONS, entryPoints: [entry], outfile, logLevel: 'error' });
  const { size } = await stat(outfile);
  const initMsRuns: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    // Exit at once: a handler module may leave handles open (the Functions Framework does).
    const script = `const t = performance.now(); await import(${JSON.stringify(outfile)}); console.log(performance.now() - t); process.exit(0);`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      // The deployed NODE_OPTIONS: with --enable-source-maps, Node loads the linked map on import.
      env: {
        ...process.env,
        NODE_OPTIONS: FUNCTION_NODE_OPTIONS,
        AWS_REGION: 'eu-west-1',
        POWERTOOLS_DEV: 'false',
      },
    });
    initMsRuns.push(Number(stdout.trim().split('\n').at(-1)));
  }
  const sorted = [...initMsRuns].sort((a, b) => a - b);
  return {
    entry,
    bytes: size,
    initMsMedian: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
    initMsRuns,
  };
}
