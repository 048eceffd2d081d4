/**
 * The AWS API calls a function's bundle can send, read statically from the bundle esbuild builds
 * for it (infra/bundling.ts settings, tree-shaken): every module of ours or of a library (not the
 * SDK itself) that the bundle keeps, and the SDK commands and paginators it imports from an
 * `@aws-sdk/client-*` package, statically or through `await import()`. The SDK's own packages are
 * left out: a client package keeps every command of its aggregated client whatever is sent.
 * Calls sent without an SDK command (a signed request of our own, a credential provider) are
 * named by {@link RAW_CALLS}; a module that sends requests itself and is not listed there fails
 * {@link bundleCalls}.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { functionBuildOptions, REPO_ROOT } from '../../infra/bundling.ts';

/** One call: the SDK client package (`client-s3`) and the operation (`GetObject`). */
export interface BundleCall {
  readonly client: string;
  readonly operation: string;
  /** The bundled module that imports or sends it. */
  readonly module: string;
}

/**
 * Requests our code sends without an SDK command of its own, by module: what each sends and the
 * text in the module that shows it does.
 */
export const RAW_CALLS: readonly { module: string; evidence: RegExp; calls: readonly string[] }[] = [
  // S3 Control GetPublicAccessBlock, signed by hand through the S3 client (the module's comment).
  {
    module: 'functions/aws/s3-account-access.ts',
    evidence: /\/v20180820\/configuration\/publicAccessBlock/,
    calls: ['s3-control:GetPublicAccessBlock'],
  },
  // The member role, assumed with fromTemporaryCredentials (STS AssumeRole).
  {
    module: 'functions/aws/clients.ts',
    evidence: /fromTemporaryCredentials\(/,
    calls: ['client-sts:AssumeRole'],
  },
  // GCP federation: AssumeRoleWithWebIdentity, unsigned (the trust policy, not an identity grant, allows it).
  {
    module: 'functions/gcp/federation.ts',
    evidence: /AssumeRoleWithWebIdentity/,
    calls: ['client-sts:AssumeRoleWithWebIdentity'],
  },
];

/**
 * Modules that send requests for the SDK command their caller passes (the caller imports it):
 * the lean request path that json-wire.ts and s3-wire.ts send through.
 */
const TRANSPORTS = new Set(['functions/aws/lean-wire.ts']);

/** What marks a module that builds, signs or sends a request itself. */
const SENDS_ITSELF =
  /\.handle\(\s*signed|fromTemporaryCredentials\(|fromWebToken\(|signer\.sign\(|\/v20180820\//;

const IMPORT_BLOCK =
  /(?:import\s*(type\s*)?\{([^}]*)\}\s*from\s*|const\s*\{([^}]*)\}\s*=\s*await\s+import\(\s*)['"]@aws-sdk\/(client-[a-z0-9-]+)['"]/g;

/** The SDK operations `source` imports: `XCommand` and `paginateX`, type-only imports left out. */
export function importedOperations(source: string): { client: string; operation: string }[] {
  const found: { client: string; operation: string }[] = [];
  for (const match of source.matchAll(IMPORT_BLOCK)) {
    if (match[1]) continue;
    const names = (match[2] ?? match[3] ?? '').split(',').map((name) => name.trim());
    for (const name of names) {
      if (name.startsWith('type ')) continue;
      const imported = name.split(/\s*(?:as|:)\s*/)[0] ?? '';
      const operation = /^(\w+)Command$/.exec(imported)?.[1] ?? /^paginate(\w+)$/.exec(imported)?.[1];
      if (operation) found.push({ client: match[4] as string, operation });
    }
  }
  return found;
}

/**
 * The modules each entry's bundle keeps (paths relative to the repository root): one code-split
 * build of every entry, so each module is read once, and for each entry the inputs of its output
 * and of every chunk it imports, statically or with `import()`.
 */
export async function bundledModules(entries: readonly string[]): Promise<Map<string, string[]>> {
  const outdir = join(REPO_ROOT, 'cdk.out', 'iam-cross-check');
  const { metafile } = await build({
    ...functionBuildOptions(),
    minify: false,
    sourcemap: false,
    write: false,
    metafile: true,
    splitting: true,
    outdir,
    entryPoints: [...entries],
    absWorkingDir: REPO_ROOT,
    logLevel: 'error',
  });
  const modules = new Map<string, string[]>();
  for (const entry of entries) {
    const start = Object.keys(metafile.outputs).find(
      (path) => resolve(REPO_ROOT, metafile.outputs[path]?.entryPoint ?? '') === resolve(entry),
    );
    if (!start) throw new Error(`esbuild wrote no output for ${entry}`);
    const kept = new Set<string>();
    const seen = new Set<string>();
    const visit = (path: string): void => {
      const output = metafile.outputs[path];
      if (seen.has(path) || !output) return;
      seen.add(path);
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        if (bytesInOutput > 0) kept.add(input);
      }
      for (const imported of output.imports) visit(imported.path);
    };
    visit(start);
    modules.set(entry, [...kept].sort());
  }
  return modules;
}

const SDK_OWN = /node_modules\/(@aws-sdk|@smithy|@aws-crypto)\//;

/** Every call the bundle of each entry can send (see the module comment), by entry. */
export async function bundleCalls(entries: readonly string[]): Promise<Map<string, BundleCall[]>> {
  const byEntry = new Map<string, BundleCall[]>();
  for (const [entry, modules] of await bundledModules(entries)) byEntry.set(entry, modules.flatMap(callsOf));
  return byEntry;
}

/** The calls one kept module sends. */
export function callsOf(module: string): BundleCall[] {
  if (SDK_OWN.test(module) || !/\.(ts|js|mjs)$/.test(module)) return [];
  const source = readFileSync(join(REPO_ROOT, module), 'utf8');
  const calls: BundleCall[] = importedOperations(source).map((call) => ({ ...call, module }));
  const raw = RAW_CALLS.find((listed) => listed.module === module);
  if (raw) {
    if (!raw.evidence.test(source))
      throw new Error(`${module} no longer shows ${raw.evidence}: update RAW_CALLS`);
    for (const call of raw.calls) {
      const [client = '', operation = ''] = call.split(':');
      calls.push({ client, operation, module });
    }
  } else if (!module.includes('node_modules') && !TRANSPORTS.has(module) && SENDS_ITSELF.test(source)) {
    throw new Error(`${module} sends a request without an SDK command: name it in RAW_CALLS`);
  }
  return calls;
}
