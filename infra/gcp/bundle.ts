/**
 * How a Cloud Function is bundled: the settings every function shares (infra/bundling.ts), plus what
 * keeps a Cloud SQL client on REST small. The deployment (infra/gcp/plan.ts runs this file), the
 * benchmark and the tests all bundle through {@link bundleCloudFunction}, so what they measure and
 * test is what is deployed.
 *
 * - **Code splitting**, as every function (infra/bundling.ts). The entry is `index.mjs`; what a run needs only when it publishes (Security
 *   Hub, STS, the federation) sits in chunks beside it that `await import()` loads on the first
 *   publishing run (functions/jobs/publish.ts, functions/handlers/gcp/audit-function.ts), so a cold
 *   start neither reads nor evaluates them.
 * - **gax without gRPC** ({@link gaxRestOnly}). The clients run on gax's fallback (REST) module
 *   (functions/gcp/clients.ts), yet each generated Cloud SQL client also `require`s the `google-gax`
 *   index, which loads `@grpc/grpc-js`, the gRPC proto loader and its protos, for two helpers. The
 *   bundle gets a small `google-gax` made of the fallback module and those two helpers.
 * - **No gax modules the Cloud SQL clients never use** ({@link gaxUnusedModulesOmitted}). The
 *   fallback module re-exports the generated modules of the IAM, Locations and long-running
 *   Operations protos (480 KB; the clients use the JSON descriptors of these services instead), and
 *   loads `duplexify` for gRPC streaming calls (50 KB and, measured, a tenth of the init time):
 *   Cloud SQL v1 has neither long-running operations nor streaming calls. Each becomes a stand-in
 *   that throws, by name, when used.
 * - **One copy of each package version, no URL polyfill** ({@link duplicatePackagesMerged},
 *   {@link nodeFetchUrlPolyfillOmitted}): what the Cloud Storage client of `auditDumps` brings.
 * - **Only the Cloud SQL services the product calls** ({@link cloudSqlProtosPruned}). Every client
 *   loads `protos.json`, the descriptors of all of Cloud SQL v1 and v1beta4 (300 KB): the bundle
 *   keeps the services of functions/gcp/clients.ts `CLOUD_SQL_READS`, with every method and every
 *   type they reach, pruned by protobufjs itself. A client of another service fails the build.
 *
 * Run as a script: `node infra/gcp/bundle.ts <handler.ts> <outdir>` writes `<outdir>/index.mjs`,
 * its chunks and their source maps.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, type BuildResult, build, type Metafile, type Plugin } from 'esbuild';
import { CLOUD_SQL_READS } from '../../functions/gcp/clients.ts';
import { FUNCTIONS_FRAMEWORK, splitFunctionBuildOptions } from '../bundling.ts';

/** The package directory of google-gax, from the path of its fallback module. */
function gaxPackageDir(fallbackPath: string): string {
  return dirname(dirname(dirname(fallbackPath)));
}

/**
 * `google-gax` (the index) as its fallback module plus the two index exports the generated clients
 * read at module level (`loggingUtils`, `decodeAnyProtosInArray`). Imports of `google-gax/…`
 * subpaths are untouched.
 */
export const gaxRestOnly: Plugin = {
  name: 'gax-rest-only',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^google-gax$/ }, async (args) => {
      const fallback = await pluginBuild.resolve('google-gax/fallback', {
        resolveDir: args.resolveDir,
        kind: args.kind,
      });
      if (fallback.errors.length > 0) return { errors: fallback.errors };
      return { path: gaxPackageDir(fallback.path), namespace: 'gax-rest-only' };
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: 'gax-rest-only' }, (args) => ({
      resolveDir: args.path,
      loader: 'js',
      contents: [
        "const fallback = require('./build/src/fallback.js');",
        'module.exports = {',
        '  fallback,',
        "  loggingUtils: require('google-logging-utils'),",
        "  decodeAnyProtosInArray: require('./build/src/util.js').decodeAnyProtosInArray,",
        '};',
      ].join('\n'),
    }));
  },
};

/** A module gax loads at start that the Cloud SQL clients never use, and what stands in for it. */
interface UnusedGaxModule {
  /** The import path as gax writes it. */
  readonly path: RegExp;
  /** The gax module that imports it. */
  readonly importer: RegExp;
  /** The stand-in's source, given the error to raise when it is used. */
  readonly stub: (error: string) => string;
}

const GAX_SRC = /[\\/]google-gax[\\/]build[\\/]src[\\/]/;

/**
 * The generated protobufjs modules of the IAM, Locations and long-running Operations protos, which
 * the fallback module re-exports and `longrunning.js` reads for long-running operations (Cloud SQL
 * v1 has none: its methods return `google.cloud.sql.v1.Operation`); and `duplexify` with its
 * `readable-stream`, which `streamingCalls/streaming.js` extends for gRPC streaming calls (Cloud
 * SQL v1 has none: list calls page over unary calls). Each stand-in throws, saying why, when used.
 */
export const UNUSED_GAX_MODULES: readonly UnusedGaxModule[] = [
  {
    path: /[\\/]protos[\\/](iam_service|locations|operations)$/,
    importer: GAX_SRC,
    // __esModule: gax's __importStar then hands the object itself to the reader.
    stub: (error) =>
      `module.exports = { __esModule: true, get google() { throw new Error(${JSON.stringify(error)}); } };`,
  },
  {
    path: /^duplexify$/,
    importer: /[\\/]google-gax[\\/]build[\\/]src[\\/]streamingCalls[\\/]streaming\.js$/,
    stub: (error) =>
      `module.exports = class StreamingCallsAreNotBundled { constructor() { throw new Error(${JSON.stringify(error)}); } };`,
  },
];

/** Those modules as stand-ins that say, when anything uses them, why they are missing. */
export const gaxUnusedModulesOmitted: Plugin = {
  name: 'gax-unused-modules-omitted',
  setup(pluginBuild) {
    UNUSED_GAX_MODULES.forEach((unused, index) => {
      pluginBuild.onResolve({ filter: unused.path }, (args) => {
        if (!unused.importer.test(args.importer)) return undefined;
        return { path: `${index}:${args.path.replace(/^.*[\\/]/, '')}`, namespace: 'gax-unused-module' };
      });
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: 'gax-unused-module' }, (args) => {
      const [index, name] = args.path.split(':');
      const unused = UNUSED_GAX_MODULES[Number(index)];
      const error = `${name} (loaded by google-gax) is not in this bundle (infra/gcp/bundle.ts): the Cloud SQL clients never use it`;
      return { loader: 'js', contents: unused?.stub(error) ?? '' };
    });
  },
};

/** A protobufjs reflection object, as far as pruning reads it. */
interface ReflectionObject {
  readonly parent: ReflectionObject | null;
  readonly nestedArray?: readonly ReflectionObject[];
  readonly fieldsArray?: readonly { readonly resolvedType: ReflectionObject | null }[];
  readonly methodsArray?: readonly {
    readonly resolvedRequestType: ReflectionObject | null;
    readonly resolvedResponseType: ReflectionObject | null;
  }[];
  remove(object: ReflectionObject): void;
}

interface ProtobufRoot extends ReflectionObject {
  resolveAll(): ProtobufRoot;
  lookupService(name: string): ReflectionObject;
  toJSON(): unknown;
}

/**
 * `json` (a protobufjs JSON descriptor set) with only `services`, their methods and every type they
 * reach. `protobufjs` is the copy gax loads the descriptors with, so the result reads the same.
 */
export function pruneProtos(
  json: unknown,
  services: readonly string[],
  protobufjs: { Root: { fromJSON(json: unknown): ProtobufRoot } },
): unknown {
  const root = protobufjs.Root.fromJSON(json).resolveAll();
  const kept = new Set<ReflectionObject>();
  const keep = (object: ReflectionObject | null): boolean => {
    if (!object || kept.has(object)) return false;
    for (let at: ReflectionObject | null = object; at; at = at.parent) kept.add(at);
    return true;
  };
  const visit = (type: ReflectionObject | null): void => {
    if (!keep(type) || !type) return;
    for (const field of type.fieldsArray ?? []) visit(field.resolvedType);
  };
  for (const name of services) {
    const service = root.lookupService(name);
    keep(service);
    for (const method of service.methodsArray ?? []) {
      visit(method.resolvedRequestType);
      visit(method.resolvedResponseType);
    }
  }
  const prune = (namespace: ReflectionObject): void => {
    for (const nested of [...(namespace.nestedArray ?? [])]) {
      if (kept.has(nested)) prune(nested);
      else namespace.remove(nested);
    }
  };
  prune(root);
  return root.toJSON();
}

const CLOUD_SQL_PROTOS = /[\\/]@google-cloud[\\/]sql[\\/]build[\\/]protos[\\/]protos\.json$/;
const CLOUD_SQL_CLIENT = /[\\/]@google-cloud[\\/]sql[\\/]build[\\/]src[\\/].*_client\.js$/;

/**
 * `@google-cloud/sql`'s `protos.json` pruned to {@link CLOUD_SQL_READS}' services; a bundled client
 * of any other service fails the build, naming it.
 */
export const cloudSqlProtosPruned: Plugin = {
  name: 'cloud-sql-protos-pruned',
  setup(pluginBuild) {
    const services = Object.keys(CLOUD_SQL_READS);
    pluginBuild.onLoad({ filter: CLOUD_SQL_CLIENT }, async (args) => {
      const contents = await readFile(args.path, 'utf8');
      const missing = [...contents.matchAll(/lookupService\('([^']+)'\)/g)]
        .map((match) => match[1] ?? '')
        .filter((service) => !services.includes(service));
      if (missing.length > 0) {
        return {
          errors: [
            {
              text: `${args.path} is a client of ${missing.join(', ')}, whose protos the bundle prunes away: add the service to CLOUD_SQL_READS (functions/gcp/clients.ts)`,
            },
          ],
        };
      }
      return { contents, loader: 'js' };
    });
    pluginBuild.onLoad({ filter: CLOUD_SQL_PROTOS }, async (args) => {
      const gax = await pluginBuild.resolve('google-gax/fallback', {
        resolveDir: dirname(args.path),
        kind: 'require-call',
      });
      const protobufjs = createRequire(gax.path)('protobufjs');
      const json = JSON.parse(await readFile(args.path, 'utf8')) as unknown;
      return { contents: JSON.stringify(pruneProtos(json, services, protobufjs)), loader: 'json' };
    });
  },
};

/** The directory and `name@version` of the package that holds `file`, or undefined outside one. */
async function packageOf(
  file: string,
  cache: Map<string, Promise<string | undefined>>,
): Promise<{ root: string; id: string } | undefined> {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    if (!cache.has(dir)) {
      cache.set(
        dir,
        readFile(join(dir, 'package.json'), 'utf8').then(
          (text) => {
            const { name, version } = JSON.parse(text) as { name?: string; version?: string };
            return name && version ? `${name}@${version}` : undefined;
          },
          () => undefined,
        ),
      );
    }
    const id = await cache.get(dir);
    if (id) return { root: dir, id };
  }
  return undefined;
}

/**
 * One copy of each package version. npm installs the same version of a package more than once
 * when it cannot hoist it (three `node-fetch@2.7.0` under `@google-cloud/storage`, `gtoken` and
 * `teeny-request`, the root holding `node-fetch@3`); the bundle keeps the first copy it meets and
 * sends every import of that version there.
 */
export const duplicatePackagesMerged: Plugin = {
  name: 'duplicate-packages-merged',
  setup(pluginBuild) {
    const packages = new Map<string, Promise<string | undefined>>();
    const canonical = new Map<string, string>();
    pluginBuild.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === duplicatePackagesMerged || args.path.startsWith('node:')) return undefined;
      const resolved = await pluginBuild.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: duplicatePackagesMerged,
      });
      // Unresolvable (an optional require in a try block) or not a package: esbuild's own way.
      if (resolved.errors.length > 0 || resolved.external || !resolved.path.includes('node_modules'))
        return undefined;
      const found = await packageOf(resolved.path, packages);
      if (!found) return undefined;
      const first = canonical.get(found.id) ?? found.root;
      canonical.set(found.id, first);
      return { ...resolved, path: join(first, relative(found.root, resolved.path)) };
    });
  },
};

/**
 * `whatwg-url` under node-fetch 2, which the Cloud Storage client's HTTP stack brings: node-fetch
 * reads it only where the platform has no `URL` (`const URL = Url.URL || whatwgUrl.URL`,
 * node-fetch 2.7 `lib/index.mjs`), and Node has one. It is 290 KB with its Unicode tables (`tr46`).
 */
export const nodeFetchUrlPolyfillOmitted: Plugin = {
  name: 'node-fetch-url-polyfill-omitted',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^whatwg-url$/ }, (args) => {
      if (!/[\\/]node-fetch[\\/]lib[\\/]/.test(args.importer)) return undefined;
      return { path: 'whatwg-url', namespace: 'node-url' };
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: 'node-url' }, () => ({
      loader: 'js',
      contents: "module.exports = { URL: require('node:url').URL };",
    }));
  },
};

/** The plugins of every Cloud Function bundle. */
export const CLOUD_FUNCTION_PLUGINS: readonly Plugin[] = [
  gaxRestOnly,
  gaxUnusedModulesOmitted,
  cloudSqlProtosPruned,
  nodeFetchUrlPolyfillOmitted,
  duplicatePackagesMerged,
];

/** The esbuild options of a Cloud Function bundle written to `outdir` (add `entryPoints`). */
export function cloudFunctionBuildOptions(outdir: string): BuildOptions {
  return {
    ...splitFunctionBuildOptions(outdir, [FUNCTIONS_FRAMEWORK]),
    plugins: [...CLOUD_FUNCTION_PLUGINS],
  };
}

/** Bundle the Cloud Function `entry` (relative to the repository) into `outdir`, with its metafile. */
export async function bundleCloudFunction(
  entry: string,
  outdir: string,
): Promise<BuildResult & { metafile: Metafile }> {
  return build({
    ...cloudFunctionBuildOptions(outdir),
    entryPoints: [entry],
    metafile: true,
    logLevel: 'error',
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [entry, outdir] = process.argv.slice(2);
  if (!entry || !outdir) {
    process.stderr.write('usage: node infra/gcp/bundle.ts <handler.ts> <outdir>\n');
    process.exit(2);
  }
  await bundleCloudFunction(entry, resolve(outdir));
}
