/**
 * Bundle a handler exactly as it is deployed (infra/bundling.ts: the esbuild settings NodejsFunction
 * and the GCP deployment use; infra/gcp/bundle.ts for the Cloud Functions) and measure what a cold
 * start pays: bundle size and module init time (import in a fresh process with the functions'
 * NODE_OPTIONS, median of runs).
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';
import {
  FUNCTION_NODE_OPTIONS,
  FUNCTIONS_FRAMEWORK,
  functionBuildOptions,
  REPO_ROOT,
} from '../infra/bundling.ts';
import { bundleCloudFunction, cloudFunctionBuildOptions, coldStartOutputs } from '../infra/gcp/bundle.ts';

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

/** The median of some figures. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/**
 * Run `script` (an ES module body that prints one JSON line last) in `runs` fresh Node processes with
 * the deployed NODE_OPTIONS (with --enable-source-maps, Node loads the linked map on import).
 */
async function freshRuns<T>(script: string, runs: number): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < runs; i += 1) {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        NODE_OPTIONS: FUNCTION_NODE_OPTIONS,
        AWS_REGION: 'eu-west-1',
        POWERTOOLS_DEV: 'false',
      },
    });
    results.push(JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null') as T);
  }
  return results;
}

export async function measureBundle(entry: string, outName: string, runs = 7): Promise<BundleFigures> {
  const outdir = resolve('.bench');
  await mkdir(outdir, { recursive: true });
  const outfile = join(outdir, `${outName}.mjs`);
  await build({ ...LAMBDA_BUNDLE_OPTIONS, entryPoints: [entry], outfile, logLevel: 'error' });
  const { size } = await stat(outfile);
  // Exit at once: a handler module may leave handles open.
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(outfile).href)}); console.log(performance.now() - t); process.exit(0);`;
  const initMsRuns = await freshRuns<number>(script, runs);
  return { entry, bytes: size, initMsMedian: median(initMsRuns), initMsRuns };
}

/** A Cloud Function bundle as deployed, and what its cold start and its first publishing run load. */
export interface CloudFunctionFigures {
  readonly entry: string;
  /** `index.mjs` and the chunks it imports statically: what the framework loads at cold start. */
  readonly coldStartBytes: number;
  /** Every file the deployment uploads but source maps: the cold-start files and the lazy chunks. */
  readonly deployedBytes: number;
  readonly files: number;
  /** Importing the bundle, the Functions Framework already loaded as the runtime has it. */
  readonly initMsMedian: number;
  readonly initMsRuns: readonly number[];
  /** The CPU time (user + system) of that import. */
  readonly initCpuMsMedian: number;
  /** Then importing every chunk the code loads on demand (publishing, the fetch polyfill gaxios wants). */
  readonly onDemandMsMedian: number;
  readonly onDemandCpuMsMedian: number;
  /** The same code in one file (esbuild without splitting: the `await import()`s stay lazy to evaluate, not to read). */
  readonly singleFile: {
    readonly bytes: number;
    readonly initMsMedian: number;
    readonly initCpuMsMedian: number;
  };
}

/**
 * What the Functions Framework has loaded when it loads the function: its entry point (`main.js`,
 * not run here) requires these modules first, Express and the body parsers among them, so the
 * function's init time does not include them.
 */
function frameworkPreload(): string {
  const entry = createRequire(join(REPO_ROOT, 'package.json')).resolve(FUNCTIONS_FRAMEWORK);
  return ['index', 'loader', 'invoker', 'server', 'options', 'logger']
    .map((name) => `await import(${JSON.stringify(pathToFileURL(join(dirname(entry), `${name}.js`)).href)});`)
    .join(' ');
}

/** Bundle a Cloud Function as the deployment does (infra/gcp/bundle.ts) and measure it. */
export async function measureCloudFunction(
  entry: string,
  outName: string,
  runs = 7,
): Promise<CloudFunctionFigures> {
  const outdir = resolve('.bench', outName);
  await rm(outdir, { recursive: true, force: true });
  const { metafile } = await bundleCloudFunction(entry, outdir);
  const outputs = Object.keys(metafile.outputs).filter((path) => !path.endsWith('.map'));
  const atStart = coldStartOutputs(metafile, outdir);
  const [index = ''] = atStart;
  const onDemand = [...atStart].flatMap((path) =>
    (metafile.outputs[path]?.imports ?? [])
      .filter((imported) => imported.kind === 'dynamic-import' && metafile.outputs[imported.path])
      .map((imported) => imported.path),
  );
  const bytes = (paths: Iterable<string>) =>
    [...paths].reduce((sum, path) => sum + (metafile.outputs[path]?.bytes ?? 0), 0);
  const url = (path: string) => JSON.stringify(pathToFileURL(resolve(REPO_ROOT, path)).href);
  const framework = frameworkPreload();
  // CPU time beside wall time: on a loaded machine the wall time measures the machine.
  const script = [
    framework,
    'const cpu = (since) => { const used = process.cpuUsage(since); return (used.user + used.system) / 1000; };',
    'let t = performance.now(); let c = process.cpuUsage();',
    `await import(${url(index)});`,
    'const init = performance.now() - t; const initCpu = cpu(c);',
    't = performance.now(); c = process.cpuUsage();',
    ...[...new Set(onDemand)].map((path) => `await import(${url(path)});`),
    'console.log(JSON.stringify({ init, initCpu, onDemand: performance.now() - t, onDemandCpu: cpu(c) }));',
    'process.exit(0);',
  ].join(' ');
  const timings = await freshRuns<{ init: number; initCpu: number; onDemand: number; onDemandCpu: number }>(
    script,
    runs,
  );

  // The same code in one file, for comparison: what splitting saves.
  const single = join(outdir, '..', `${outName}-single-file.mjs`);
  const {
    splitting: _splitting,
    outdir: _outdir,
    entryNames: _names,
    chunkNames: _chunks,
    outExtension: _ext,
    ...options
  } = cloudFunctionBuildOptions(outdir);
  await build({ ...options, entryPoints: [entry], outfile: single, logLevel: 'error' });
  const singleScript = `${framework} const t = performance.now(); const c = process.cpuUsage(); await import(${url(relative(REPO_ROOT, single))}); const used = process.cpuUsage(c); console.log(JSON.stringify({ init: performance.now() - t, initCpu: (used.user + used.system) / 1000 })); process.exit(0);`;
  const singleRuns = await freshRuns<{ init: number; initCpu: number }>(singleScript, runs);

  return {
    entry,
    coldStartBytes: bytes(atStart),
    deployedBytes: bytes(outputs),
    files: outputs.length,
    initMsMedian: median(timings.map((timing) => timing.init)),
    initMsRuns: timings.map((timing) => timing.init),
    initCpuMsMedian: median(timings.map((timing) => timing.initCpu)),
    onDemandMsMedian: median(timings.map((timing) => timing.onDemand)),
    onDemandCpuMsMedian: median(timings.map((timing) => timing.onDemandCpu)),
    singleFile: {
      bytes: (await stat(single)).size,
      initMsMedian: median(singleRuns.map((timing) => timing.init)),
      initCpuMsMedian: median(singleRuns.map((timing) => timing.initCpu)),
    },
  };
}
