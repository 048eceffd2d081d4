/**
 * How every function is bundled, in one place: the audit Lambda (NodejsFunction in
 * infra/audit-stack.ts), the GCP Cloud Functions (esbuild API in infra/gcp/bundle.ts, which adds
 * code splitting and the plugins that keep the Cloud SQL client on REST small) and the benchmarks
 * (esbuild API in bench/bundle.ts) all take their esbuild settings from here, so the bundle a
 * benchmark measures is the bundle that is deployed.
 *
 * NodejsFunction turns its bundling props into esbuild CLI flags (aws-cdk-lib
 * aws-lambda-nodejs/lib/bundling.ts, `buildEsbuildArgs`): `--bundle <entry> --target --platform=node
 * --format --minify --sourcemap --sources-content=false --banner:js --main-fields`. It sets no
 * `--legal-comments`, so neither does anything here: esbuild's default (`eof` when bundling) applies
 * to every bundle. test/infra/bundling.test.ts builds the Lambda both ways and compares the bytes.
 */
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

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
 * `NODE_OPTIONS` of every deployed function: stack traces name source file:line through the bundle's
 * source map (which is why the map is linked, see {@link FUNCTION_BUNDLING}).
 */
export const FUNCTION_NODE_OPTIONS = '--enable-source-maps';

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
   * `linked`: a separate `.map` plus the `//# sourceMappingURL` comment. `--enable-source-maps`
   * finds the map only through that comment (esbuild's `external` mode omits it, and Node then
   * prints bundle positions).
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

/** The file name of every function bundle (NodejsFunction writes `index.mjs` for ESM). */
export const BUNDLE_FILE_NAME = 'index.mjs';

/**
 * {@link FUNCTION_BUNDLING} as esbuild API options: the same bundle the CLI flags of NodejsFunction
 * produce. Add `entryPoints` and `outfile` (and `external`).
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
    ...(external.length > 0 ? { external: [...external] } : {}),
  };
}
