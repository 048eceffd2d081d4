/**
 * How every function is bundled, in one place: the Lambdas (infra/lambda-code.ts, run by `cdk synth`),
 * the GCP Cloud Functions (infra/gcp/bundle.ts, which adds the plugins that keep the Cloud SQL
 * client on REST small) and the benchmarks (bench/bundle.ts) all take their esbuild settings from
 * here, so the bundle a benchmark measures is the bundle that is deployed.
 *
 * Every function is code-split ({@link splitFunctionBuildOptions}): `index.mjs` and the chunks it
 * imports statically are what a cold start reads and evaluates; what only some runs need (Security
 * Hub publishing, the import ledger, a check group's collector that the policy does not configure)
 * sits in chunks that `await import()` loads on first use. esbuild's `legalComments` default (`eof`
 * when bundling) applies to every bundle. test/infra/bundling.test.ts compares the deployed asset
 * with the benchmark's build, byte for byte.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions, Metafile } from 'esbuild';

/** The repository root (infra/ is one level down): every function's project root. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * esbuild emits ESM, but bundled CommonJS dependencies still `require()` Node built-ins and some
 * (google-gax in the GCP functions) read `__dirname`/`__filename`, which ES modules do not
 * have; the banner defines all three from `import.meta.url` (esbuild issue #1921). Aliased imports
 * keep the banner's own names out of the bundle's way.
 */
export const ESM_COMMONJS_BANNER = [
  "import { createRequire as backupGuardCreateRequire } from 'node:module';",
  "import { fileURLToPath as backupGuardFileUrlToPath } from 'node:url';",
  "import { dirname as backupGuardDirname } from 'node:path';",
  'const require = backupGuardCreateRequire(import.meta.url);',
  'const __filename = backupGuardFileUrlToPath(import.meta.url);',
  'const __dirname = backupGuardDirname(__filename);',
].join(' ');

/**
 * Injected first into every function bundle: stack traces name source file:line through the
 * bundle's linked source map, read only when a trace is printed (instead of `--enable-source-maps`,
 * which parses every map at load; see the file).
 */
export const STACK_TRACES_MODULE = 'functions/handlers/stack-traces.ts';

/** The esbuild settings every function bundle uses. */
export const FUNCTION_BUNDLING = {
  /** Both runtimes are Node.js 24 (Lambda `nodejs24.x`, Cloud Functions `nodejs24`). */
  target: 'node24',
  platform: 'node',
  format: 'esm',
  minify: true,
  /** Prefer a package's ESM build, which esbuild can tree-shake. */
  mainFields: ['module', 'main'],
  banner: ESM_COMMONJS_BANNER,
  /**
   * `linked`: a separate `.map` beside each file, plus the `//# sourceMappingURL` comment that
   * debuggers and `--enable-source-maps` (when someone turns it on) follow; {@link STACK_TRACES_MODULE}
   * reads `<file>.map`.
   */
  sourceMap: 'linked',
  /** Maps without the sources keep the deployed package small; file:line is all a trace needs. */
  sourcesContent: false,
} as const;

/**
 * The Functions Framework stays outside every Cloud Function bundle: the runtime's own copy loads
 * the code, and a declarative `http('auditPitr', …)` registration only reaches the copy that loaded it.
 */
export const FUNCTIONS_FRAMEWORK = '@google-cloud/functions-framework';

/** The entry file of every function bundle: the handler is `index.handler`. */
export const BUNDLE_FILE_NAME = 'index.mjs';

/** Where the chunks of a split bundle go, beside the entry. */
export const CHUNK_DIR = 'chunks';

/**
 * {@link FUNCTION_BUNDLING} as esbuild API options, in one file: what {@link splitFunctionBuildOptions}
 * builds on, and the benchmarks' single-file comparison. Add `entryPoints` and `outfile`.
 */
export function functionBuildOptions(external: readonly string[] = []): BuildOptions {
  return {
    bundle: true,
    platform: FUNCTION_BUNDLING.platform,
    target: FUNCTION_BUNDLING.target,
    format: FUNCTION_BUNDLING.format,
    minify: FUNCTION_BUNDLING.minify,
    mainFields: [...FUNCTION_BUNDLING.mainFields],
    sourcemap: FUNCTION_BUNDLING.sourceMap,
    sourcesContent: FUNCTION_BUNDLING.sourcesContent,
    banner: { js: FUNCTION_BUNDLING.banner },
    inject: [resolve(REPO_ROOT, STACK_TRACES_MODULE)],
    ...(external.length > 0 ? { external: [...external] } : {}),
  };
}

/**
 * A code-split function bundle written to `outdir`: `index.mjs` plus `chunks/*.mjs`, each with its
 * linked source map. Add `entryPoints` (one) and, for a Cloud Function, its plugins.
 */
export function splitFunctionBuildOptions(outdir: string, external: readonly string[] = []): BuildOptions {
  return {
    ...functionBuildOptions(external),
    splitting: true,
    outdir,
    entryNames: BUNDLE_FILE_NAME.replace(/\.mjs$/, ''),
    chunkNames: `${CHUNK_DIR}/[name]-[hash]`,
    outExtension: { '.js': '.mjs' },
    absWorkingDir: REPO_ROOT,
  };
}

/**
 * The outputs (paths as the metafile names them) that a cold start loads from a bundle written to
 * `outdir`: `index.mjs` and its static imports, transitively. The rest loads on demand, through
 * `import()`.
 */
export function coldStartOutputs(metafile: Metafile, outdir: string): Set<string> {
  const entry = Object.keys(metafile.outputs).find(
    (path) => resolve(REPO_ROOT, path) === resolve(outdir, BUNDLE_FILE_NAME),
  );
  return entry ? staticClosure(metafile, entry) : new Set();
}

/** The output `from` and what it imports statically, transitively: what loading it loads. */
export function staticClosure(metafile: Metafile, from: string): Set<string> {
  const loaded = new Set<string>();
  const visit = (path: string): void => {
    if (loaded.has(path)) return;
    loaded.add(path);
    for (const imported of metafile.outputs[path]?.imports ?? []) {
      if (imported.kind === 'import-statement' && metafile.outputs[imported.path]) visit(imported.path);
    }
  };
  visit(from);
  return loaded;
}
