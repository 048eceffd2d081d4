/**
 * Bundle a handler the way the CDK app does (esbuild, minified, ESM, Node 24) and measure what a
 * cold start pays: bundle size and module init time (import in a fresh process, median of runs).
 */
import { execFile } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';

const run = promisify(execFile);

export interface BundleFigures {
  readonly entry: string;
  readonly bytes: number;
  readonly initMsMedian: number;
  readonly initMsRuns: readonly number[];
}

/** The esbuild options the CDK app uses for every Lambda (keep in step with infra/). */
export const LAMBDA_BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  mainFields: ['module', 'main'],
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  legalComments: 'none',
};

export async function measureBundle(entry: string, outName: string, runs = 7): Promise<BundleFigures> {
  const outdir = resolve('.bench');
  await mkdir(outdir, { recursive: true });
  const outfile = join(outdir, `${outName}.mjs`);
  await build({ ...LAMBDA_BUNDLE_OPTIONS, entryPoints: [entry], outfile, logLevel: 'error' });
  const { size } = await stat(outfile);
  const initMsRuns: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const script = `const t = performance.now(); await import(${JSON.stringify(outfile)}); console.log(performance.now() - t);`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, AWS_REGION: 'eu-west-1', POWERTOOLS_DEV: 'false' },
    });
    initMsRuns.push(Number(stdout.trim()));
  }
  const sorted = [...initMsRuns].sort((a, b) => a - b);
  return {
    entry,
    bytes: size,
    initMsMedian: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
    initMsRuns,
  };
}
