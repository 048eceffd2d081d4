/**
 * Bundle a function exactly as it is deployed (infra/lambda-code.ts for the Lambdas, which `cdk
 * synth` runs; infra/gcp/bundle.ts for the Cloud Functions) and measure what a cold start pays:
 * the bytes it loads (`index.mjs` and its static chunks), module init (import in a fresh process
 * as deployed: no NODE_OPTIONS; median of runs, wall and CPU), and what the chunks loaded on
 * demand cost the first run that needs them.
 */
import { execFile } from 'node:child_process';
import { rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { POLICY_ENV } from '../functions/core/policy.ts';
import { coldStartOutputs, FUNCTIONS_FRAMEWORK, functionBuildOptions, REPO_ROOT } from '../infra/bundling.ts';
import { bundleCloudFunction, CLOUD_FUNCTION_PLUGINS } from '../infra/gcp/bundle.ts';
import { bundleLambda } from '../infra/lambda-code.ts';

const run = promisify(execFile);

/** The median of some figures. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/**
 * Run `script` (an ES module body that prints one JSON line last) in `runs` fresh Node processes with
 * the deployed environment (no NODE_OPTIONS: the bundles map stack traces themselves, functions/handlers/stack-traces.ts).
 */
async function freshRuns<T>(script: string, runs: number, env: Record<string, string> = {}): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < runs; i += 1) {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        AWS_REGION: 'eu-west-1',
        POWERTOOLS_DEV: 'false',
        ...env,
      },
    });
    results.push(JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null') as T);
  }
  return results;
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

/** Where a function runs: how it is bundled and what is loaded before it. */
export type FunctionCloud = 'aws' | 'gcp';

/** A function bundle as deployed, and what its cold start and its first runs load. */
export interface BundleFigures {
  readonly entry: string;
  readonly cloud: FunctionCloud;
  /** `index.mjs` and the chunks it imports statically: what a cold start loads. */
  readonly coldStartBytes: number;
  /** Every file the deployment uploads but source maps: the cold-start files and the lazy chunks. */
  readonly deployedBytes: number;
  readonly files: number;
  /** Importing the bundle (a Cloud Function's with the Functions Framework already loaded, as the runtime has it). */
  readonly initMsMedian: number;
  readonly initMsRuns: readonly number[];
  /** The CPU time (user + system) of that import. */
  readonly initCpuMsMedian: number;
  /** Then importing every chunk the code loads on demand (publishing, the ledger, collectors). */
  readonly onDemandMsMedian: number;
  readonly onDemandCpuMsMedian: number;
  /** The same code in one file (esbuild without splitting: the `await import()`s stay lazy to evaluate, not to read). */
  readonly singleFile: {
    readonly bytes: number;
    readonly initMsMedian: number;
    readonly initCpuMsMedian: number;
  };
}

/** Bundle `entry` as its cloud's deployment does, into `outdir`; the metafile. */
async function bundleAsDeployed(entry: string, outdir: string, cloud: FunctionCloud): Promise<Metafile> {
  if (cloud === 'gcp') return (await bundleCloudFunction(entry, outdir)).metafile;
  return bundleLambda(entry, outdir);
}

/** Bundle a function as its deployment does and measure its cold start. */
export async function measureFunction(
  entry: string,
  outName: string,
  cloud: FunctionCloud,
  runs = 7,
): Promise<BundleFigures> {
  const outdir = resolve('.bench', outName);
  await rm(outdir, { recursive: true, force: true });
  const metafile = await bundleAsDeployed(entry, outdir, cloud);
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
  const preload = cloud === 'gcp' ? frameworkPreload() : '';
  // CPU time beside wall time: on a loaded machine the wall time measures the machine.
  const script = [
    preload,
    'const cpu = (since) => { const used = process.cpuUsage(since); return (used.user + used.system) / 1000; };',
    'let t = performance.now(); let c = process.cpuUsage();',
    `await import(${url(index)});`,
    'const init = performance.now() - t; const initCpu = cpu(c);',
    't = performance.now(); c = process.cpuUsage();',
    ...[...new Set(onDemand)].map((path) => `await import(${url(path)});`),
    'console.log(JSON.stringify({ init, initCpu, onDemand: performance.now() - t, onDemandCpu: cpu(c) }));',
    'process.exit(0);',
  ].join(' ');
  // A Lambda's init loads its bundled policy and makes what every run makes first
  // (functions/handlers/aws/audit-handler.ts `ready`): measured with a policy there, as deployed.
  const initEnv: Record<string, string> =
    cloud === 'aws' ? { [POLICY_ENV]: JSON.stringify({ aws: { regions: 'all' } }) } : {};
  const timings = await freshRuns<{ init: number; initCpu: number; onDemand: number; onDemandCpu: number }>(
    script,
    runs,
    initEnv,
  );

  // The same code in one file, for comparison: what splitting saves.
  const single = join(outdir, '..', `${outName}-single-file.mjs`);
  await build({
    ...functionBuildOptions(cloud === 'gcp' ? [FUNCTIONS_FRAMEWORK] : []),
    ...(cloud === 'gcp' ? { plugins: [...CLOUD_FUNCTION_PLUGINS] } : {}),
    absWorkingDir: REPO_ROOT,
    entryPoints: [entry],
    outfile: single,
    logLevel: 'error',
  });
  const singleScript = `${preload} const t = performance.now(); const c = process.cpuUsage(); await import(${url(relative(REPO_ROOT, single))}); const used = process.cpuUsage(c); console.log(JSON.stringify({ init: performance.now() - t, initCpu: (used.user + used.system) / 1000 })); process.exit(0);`;
  const singleRuns = await freshRuns<{ init: number; initCpu: number }>(singleScript, runs, initEnv);

  return {
    entry,
    cloud,
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

/** A size in KiB, rounded, for the benches' output. */
export function kibibytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

/** The lines every benchmark prints for a function bundle, under `title`. */
export function bundleReport(title: string, figures: BundleFigures): string[] {
  const runs = figures.initMsRuns.length;
  const deployer = figures.cloud === 'gcp' ? 'infra/gcp/bundle.ts' : 'infra/lambda-code.ts';
  return [
    `${title} (${figures.entry}), as deployed (${deployer})`,
    `  loaded at cold start     ${kibibytes(figures.coldStartBytes)} (${figures.coldStartBytes} bytes: index.mjs and its static chunks; target < 1 MB)`,
    `  deployed in all          ${kibibytes(figures.deployedBytes)} (${figures.deployedBytes} bytes in ${figures.files} files, source maps aside)`,
    `  module init              ${figures.initMsMedian.toFixed(0)} ms wall, ${figures.initCpuMsMedian.toFixed(0)} ms CPU, medians of ${runs} fresh processes (wall ${figures.initMsRuns.map((ms) => ms.toFixed(0)).join(', ')})${figures.cloud === 'gcp' ? ', the framework already loaded' : ''}; target < 150 ms`,
    `  chunks loaded on demand  ${figures.onDemandMsMedian.toFixed(0)} ms wall, ${figures.onDemandCpuMsMedian.toFixed(0)} ms CPU, paid once by the first run that needs them`,
    `  one file, same code      ${kibibytes(figures.singleFile.bytes)}, init ${figures.singleFile.initMsMedian.toFixed(0)} ms wall, ${figures.singleFile.initCpuMsMedian.toFixed(0)} ms CPU (no splitting: a lazy import() defers evaluation, not reading)`,
  ];
}
