/**
 * The levers of the Cloud Function bundle (infra/gcp/bundle.ts), each on its own; the whole bundle
 * runs in test/handlers/gcp/bundle.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { CLOUD_SQL_READS } from '../../functions/gcp/clients.ts';
import { functionBuildOptions, REPO_ROOT } from '../../infra/bundling.ts';
import { bundleCloudFunction, CLOUD_FUNCTION_PLUGINS, pruneProtos } from '../../infra/gcp/bundle.ts';

const requireHere = createRequire(import.meta.url);
/** The protobufjs gax loads descriptors with. */
const protobufjs = createRequire(requireHere.resolve('google-gax/fallback'))('protobufjs') as {
  Root: {
    fromJSON(json: unknown): {
      resolveAll(): unknown;
      lookup(name: string): unknown;
      lookupService(name: string): { methods: Record<string, unknown> };
    };
  };
};
const CLOUD_SQL_PROTOS = JSON.parse(
  readFileSync(join(REPO_ROOT, 'node_modules/@google-cloud/sql/build/protos/protos.json'), 'utf8'),
) as unknown;

const tempDirs: string[] = [];
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Bundle `source` (ESM, from the repository root) with the Cloud Function plugins. */
function bundle(source: string) {
  return build({
    ...functionBuildOptions(),
    sourcemap: false,
    stdin: { contents: source, resolveDir: REPO_ROOT, loader: 'js' },
    plugins: [...CLOUD_FUNCTION_PLUGINS],
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
}

describe('pruneProtos', () => {
  it('keeps the named services with every method and every type they reach, and nothing else', () => {
    // Act
    const pruned = pruneProtos(
      CLOUD_SQL_PROTOS,
      Object.keys(CLOUD_SQL_READS),
      protobufjs as unknown as Parameters<typeof pruneProtos>[2],
    );
    const root = protobufjs.Root.fromJSON(pruned);

    // Assess: it resolves on its own, every method of the services is there, other services are not.
    expect(() => root.resolveAll()).not.toThrow();
    const full = protobufjs.Root.fromJSON(CLOUD_SQL_PROTOS);
    for (const service of Object.keys(CLOUD_SQL_READS)) {
      expect(Object.keys(root.lookupService(service).methods)).toEqual(
        Object.keys(full.lookupService(service).methods),
      );
    }
    expect(root.lookup('google.cloud.sql.v1.DatabaseInstance')).not.toBeNull();
    expect(root.lookup('google.cloud.sql.v1.SqlUsersService')).toBeNull();
    expect(root.lookup('google.cloud.sql.v1beta4')).toBeNull();
    expect(JSON.stringify(pruned).length).toBeLessThan(JSON.stringify(CLOUD_SQL_PROTOS).length / 2);
  });
});

// Each test bundles with esbuild: seconds alone, longer on a shared 2-core machine.
describe('Cloud Function bundle plugins', { timeout: 120_000 }, () => {
  it('fails the build naming the service when a Cloud SQL client’s protos would be pruned away', async () => {
    // Act
    const building = bundle(
      "import { SqlUsersServiceClient } from '@google-cloud/sql/build/src/v1/sql_users_service_client.js'; console.log(SqlUsersServiceClient);",
    );

    // Assess
    await expect(building).rejects.toThrow(
      /is a client of google\.cloud\.sql\.v1\.SqlUsersService, whose protos the bundle prunes away: add the service to CLOUD_SQL_READS/,
    );
  });

  it('bundles one copy of each package version and no URL polyfill when the Cloud Storage client brings three node-fetch 2', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'backup-guard-dumps-'));
    tempDirs.push(dir);

    // Act
    const { metafile } = await bundleCloudFunction('functions/handlers/gcp/audit-dumps.ts', dir);

    // Assess: every package directory in the bundle, by name@version.
    const roots = new Set(
      Object.keys(metafile.inputs)
        .map((path) => /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1])
        .filter((root): root is string => root !== undefined),
    );
    const versions = [...roots].map((root) => {
      const { name, version } = JSON.parse(readFileSync(join(REPO_ROOT, root, 'package.json'), 'utf8')) as {
        name: string;
        version: string;
      };
      return `${name}@${version}`;
    });
    expect(versions.filter((id, i) => versions.indexOf(id) !== i)).toEqual([]);
    expect(versions.filter((id) => id.startsWith('node-fetch@2'))).toHaveLength(1);
    expect(versions.filter((id) => /^(whatwg-url|tr46)@/.test(id))).toEqual([]);
  });

  it('leaves gRPC out and stands in for the gax modules Cloud SQL never uses, each saying why when used', async () => {
    // Prepare: the index as the generated clients require it, a read of a static proto module, and
    // a streaming call's stream (streaming.js is outside gax's package exports, so by path).
    const source = [
      "import gax from 'google-gax';",
      "import { StreamProxy } from './node_modules/google-gax/build/src/streamingCalls/streaming.js';",
      'const failure = (use) => { try { use(); return "used"; } catch (error) { return error.message; } };',
      'console.log(JSON.stringify({',
      '  fallback: typeof gax.fallback.GrpcClient,',
      '  protos: failure(() => gax.fallback.operationsProtos.google),',
      "  streaming: failure(() => new StreamProxy('SERVER_STREAMING', () => undefined)),",
      '}));',
    ].join('\n');

    // Act
    const result = await bundle(source);
    const dir = mkdtempSync(join(tmpdir(), 'backup-guard-gax-'));
    tempDirs.push(dir);
    const file = join(dir, 'index.mjs');
    writeFileSync(file, result.outputFiles?.[0]?.text ?? '');
    const printed = JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8' })) as Record<
      string,
      string
    >;

    // Assess
    const inputs = Object.keys(result.metafile.inputs);
    expect(
      inputs.filter((path) => /node_modules\/(@grpc\/|duplexify\/|readable-stream\/)/.test(path)),
    ).toEqual([]);
    expect(printed).toEqual({
      fallback: 'function',
      protos:
        'operations (loaded by google-gax) is not in this bundle (infra/gcp/bundle.ts): the Cloud SQL clients never use it',
      streaming:
        'duplexify (loaded by google-gax) is not in this bundle (infra/gcp/bundle.ts): the Cloud SQL clients never use it',
    });
  });
});
