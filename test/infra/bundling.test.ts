/**
 * One set of bundling settings (infra/bundling.ts): the Lambdas' code (infra/lambda-code.ts, run by
 * `cdk synth`), the GCP deployment's bundler (infra/gcp/bundle.ts) and the benchmarks share them,
 * and the bundles must load and map their stack traces the way they are deployed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BUNDLED_POLICY_FILE,
  loadFunctionPolicy,
  POLICY_FILE_ENV,
  parsePolicy,
} from '../../functions/core/policy.ts';
import { AUDIT_PITR_ENTRY, AuditStack } from '../../infra/audit-stack.ts';
import {
  BUNDLE_FILE_NAME,
  CHUNK_DIR,
  coldStartOutputs,
  ESM_COMMONJS_BANNER,
  FUNCTIONS_FRAMEWORK,
  splitFunctionBuildOptions,
  staticClosure,
} from '../../infra/bundling.ts';
import { CHAT_ACTION_ENTRY, CHAT_AMAZON_Q_ENTRY } from '../../infra/chat-ops.ts';
import { EXEC_WRAPPER_FILE, execWrapperScript } from '../../infra/exec-wrapper.ts';
import { bundleCloudFunction, cloudFunctionBuildOptions } from '../../infra/gcp/bundle.ts';
import { CLOUD_FUNCTION_BUNDLER, planGcpDeployment, STAGING_DIR } from '../../infra/gcp/plan.ts';
import { bundleLambda, LAMBDA_HANDLER } from '../../infra/lambda-code.ts';
import { AUDIT_MEMORY_MB } from '../../infra/scheduled-job.ts';
import { functionAssetDir, REPO_ROOT, testContext } from './support.ts';

const tempDirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'backup-guard-bundle-'));
  tempDirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Synthesize the audit stack with bundling on (local esbuild, as `cdk synth` does); the asset directory. */
function synthesizedAsset(policy = parsePolicy({})): string {
  const outdir = tempDir();
  const app = new App({ outdir, context: { ...testContext(), 'aws:cdk:bundling-stacks': ['**'] } });
  const stack = new AuditStack(app, 'BundlingCheck', { policy });
  app.synth();
  const asset = functionAssetDir(outdir, Template.fromStack(stack), 'AuditPitr');
  expect(existsSync(join(asset, BUNDLE_FILE_NAME))).toBe(true);
  return asset;
}

/** Import a bundle in a fresh Node, as deployed (no NODE_OPTIONS); the error message, if any. */
function importError(file: string): string {
  const script = `try { await import(${JSON.stringify(file)}); console.log('loaded'); } catch (error) { console.log(String(error)); } process.exit(0);`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', AWS_REGION: 'eu-west-1' },
  })
    .trim()
    .split('\n')
    .at(-1) as string;
}

// Each test bundles with esbuild (twice in some): seconds alone, much longer on a shared 2-core machine.
describe('function bundling', { timeout: 240_000 }, () => {
  it('gives the benchmark the same Lambda package, file for file and byte for byte, as cdk synth deploys', () => {
    // Prepare
    const deployed = synthesizedAsset();
    // As deep below the root as CDK's bundling directory (<cdk.out>/bundling-temp-…): the maps name
    // their sources relative to it, and a chunk's name carries a hash of its content.
    const outdir = join(tempDir(), 'asset');

    // Act
    bundleLambda(AUDIT_PITR_ENTRY, outdir);

    // Assess: the same files (the policy and the exec wrapper aside), the same bytes; the handler is
    // the entry's export; the wrapper is executable, for the function's memory.
    const files = (dir: string) =>
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
        .sort();
    expect(
      files(deployed).filter((file) => file !== BUNDLED_POLICY_FILE && file !== EXEC_WRAPPER_FILE),
    ).toEqual(files(outdir));
    const wrapper = join(deployed, EXEC_WRAPPER_FILE);
    expect(readFileSync(wrapper, 'utf8')).toBe(execWrapperScript(AUDIT_MEMORY_MB));
    expect(statSync(wrapper).mode & 0o777).toBe(0o755);
    for (const file of files(outdir)) {
      expect(readFileSync(join(deployed, file)).equals(readFileSync(join(outdir, file))), file).toBe(true);
    }
    expect(files(outdir).some((file) => file.startsWith(`${CHUNK_DIR}/`))).toBe(true);
    expect(LAMBDA_HANDLER).toBe(`${BUNDLE_FILE_NAME.replace(/\.mjs$/, '')}.handler`);
  });

  it('leaves Security Hub publishing and the import ledger out of what a Lambda loads at cold start: they wait for the first publishing run', () => {
    // Act
    const outdir = tempDir();
    const metafile = bundleLambda(AUDIT_PITR_ENTRY, outdir);
    const inputsOf = (outputs: Iterable<string>) =>
      [...outputs].flatMap((path) => Object.keys(metafile.outputs[path]?.inputs ?? {}));
    const atStart = inputsOf(coldStartOutputs(metafile, outdir));
    const all = inputsOf(Object.keys(metafile.outputs));

    // Assess
    expect(all.some((path) => path.includes('@aws-sdk/client-securityhub/'))).toBe(true);
    expect(all.some((path) => path.endsWith('functions/aws/ledger-store.ts'))).toBe(true);
    expect(atStart.some((path) => path.endsWith('functions/handlers/aws/audit-pitr.ts'))).toBe(true);
    expect(
      atStart.filter((path) =>
        /@aws-sdk\/client-(securityhub|s3)\/|security-hub\/publisher\.ts|aws\/ledger-store\.ts/.test(path),
      ),
    ).toEqual([]);
  });

  it('leaves the check registry out of the chat-amazon-q cold start: its prose guard needs only the group names', () => {
    // Act
    const outdir = tempDir();
    const metafile = bundleLambda(CHAT_AMAZON_Q_ENTRY, outdir);
    const atStart = [...coldStartOutputs(metafile, outdir)].flatMap((path) =>
      Object.keys(metafile.outputs[path]?.inputs ?? {}),
    );

    // Assess: the prose guard is loaded, the checks and their registry are not.
    expect(atStart.some((path) => path.endsWith('functions/chatops/replies.ts'))).toBe(true);
    expect(atStart.filter((path) => /functions\/(jobs\/groups|checks\/\w+\/index)\.ts$/.test(path))).toEqual(
      [],
    );
  });

  it('leaves the readiness job and the checks it audits out of the chat-action cold start: only `readiness` loads them', () => {
    // Act
    const outdir = tempDir();
    const metafile = bundleLambda(CHAT_ACTION_ENTRY, outdir);
    const inputsOf = (outputs: Iterable<string>) =>
      [...outputs].flatMap((path) => Object.keys(metafile.outputs[path]?.inputs ?? {}));
    const atStart = inputsOf(coldStartOutputs(metafile, outdir));
    const all = inputsOf(Object.keys(metafile.outputs));
    const readinessAndChecks = (path: string) =>
      /functions\/(jobs\/(readiness|groups|audit)|checks\/\w+\/index)\.ts$/.test(path);

    // Assess: the snapshot job and status's listing are loaded; readiness, the audit and every
    // check group are bundled, in chunks the first `readiness` command imports.
    expect(atStart.some((path) => path.endsWith('functions/jobs/snapshot.ts'))).toBe(true);
    expect(atStart.some((path) => path.endsWith('functions/jobs/snapshot-listing.ts'))).toBe(true);
    expect(all.filter(readinessAndChecks).sort()).toEqual([
      'functions/checks/dumps/index.ts',
      'functions/checks/keys/index.ts',
      'functions/checks/pitr/index.ts',
      'functions/jobs/audit.ts',
      'functions/jobs/groups.ts',
      'functions/jobs/readiness.ts',
    ]);
    expect(atStart.filter(readinessAndChecks)).toEqual([]);
  });

  it('leaves the Powertools idempotency store out of the chat-action cold start: only `snapshot` runs once per request', () => {
    // Act
    const outdir = tempDir();
    const metafile = bundleLambda(CHAT_ACTION_ENTRY, outdir);
    const inputsOf = (outputs: Iterable<string>) =>
      [...outputs].flatMap((path) => Object.keys(metafile.outputs[path]?.inputs ?? {}));
    const atStart = inputsOf(coldStartOutputs(metafile, outdir));
    const all = inputsOf(Object.keys(metafile.outputs));
    const store = (path: string) =>
      /node_modules\/@aws-lambda-powertools\/(idempotency|jmespath)\/|functions\/jobs\/idempotency\.ts$/.test(
        path,
      );

    // Assess: the table's name is read at cold start; the store that runs over it is a chunk of its own.
    expect(atStart.some((path) => path.endsWith('functions/jobs/idempotency-table.ts'))).toBe(true);
    expect(all.some((path) => path.endsWith('functions/jobs/idempotency.ts'))).toBe(true);
    expect(atStart.filter(store)).toEqual([]);
  });

  it('leaves the SNS client out of the chat-action cold start: only an Amazon Q answer publishes', () => {
    // Act
    const outdir = tempDir();
    const metafile = bundleLambda(CHAT_ACTION_ENTRY, outdir);
    const inputsOf = (outputs: Iterable<string>) =>
      [...outputs].flatMap((path) => Object.keys(metafile.outputs[path]?.inputs ?? {}));
    const atStart = inputsOf(coldStartOutputs(metafile, outdir));
    const all = inputsOf(Object.keys(metafile.outputs));
    const sns = (path: string) => /node_modules\/@aws-sdk\/client-sns\//.test(path);

    // Assess: bundled, in a chunk the first Amazon Q answer imports.
    expect(all.some(sns)).toBe(true);
    expect(atStart.filter(sns)).toEqual([]);
  });

  it('loads the Account client only when a run lists regions: planning configured regions leaves it out', () => {
    // Act: what importing the AWS planner's chunk loads (it and its static imports), and what it
    // may load on demand, in the key-material Lambda as deployed.
    const outdir = tempDir();
    const metafile = bundleLambda(resolve(REPO_ROOT, 'functions/handlers/aws/audit-keys.ts'), outdir);
    const plannerChunk = Object.keys(metafile.outputs).find(
      (path) => metafile.outputs[path]?.entryPoint?.endsWith('functions/aws/planner.ts') ?? false,
    );
    const loaded = plannerChunk ? staticClosure(metafile, plannerChunk) : new Set<string>();
    const inputsOf = (outputs: Iterable<string>) =>
      [...outputs].flatMap((path) => Object.keys(metafile.outputs[path]?.inputs ?? {}));
    const withPlanner = inputsOf(loaded);

    // Assess: STS is the planner's (the caller's account); the Account client is in the package,
    // for region listing, but not among what the planner loads.
    expect(plannerChunk).toBeDefined();
    expect(withPlanner.some((path) => path.includes('@aws-sdk/client-sts/'))).toBe(true);
    expect(withPlanner.filter((path) => path.includes('@aws-sdk/client-account/'))).toEqual([]);
    expect(
      inputsOf(Object.keys(metafile.outputs)).some((path) => path.includes('@aws-sdk/client-account/')),
    ).toBe(true);
  });

  it('ships the policy beside the code, where the handler reads it, even when it is over 4 KB', () => {
    // Prepare
    const identifiers = Array.from({ length: 400 }, (_, i) => `certctl-database-${i}`);
    const policy = parsePolicy({ targets: { identifiers } });

    // Act
    const deployed = synthesizedAsset(policy);

    // Assess: the bundled file parses to the same policy through the functions' own loader.
    const text = readFileSync(join(deployed, BUNDLED_POLICY_FILE), 'utf8');
    expect(Buffer.byteLength(text)).toBeGreaterThan(4096);
    expect(
      loadFunctionPolicy({ [POLICY_FILE_ENV]: BUNDLED_POLICY_FILE, LAMBDA_TASK_ROOT: deployed }),
    ).toEqual(policy);
  });

  it("maps a deployed bundle's stack traces to source file:line without --enable-source-maps", async () => {
    // Prepare: a bundle on the deployed settings whose code throws at a known source line.
    const dir = tempDir();
    const fixture = 'test/infra/fixtures/crash.ts';
    const line =
      readFileSync(join(REPO_ROOT, fixture), 'utf8')
        .split('\n')
        .findIndex((text) => text.includes('CRASH_LINE')) + 1;
    await build({ ...splitFunctionBuildOptions(dir), entryPoints: [join(REPO_ROOT, fixture)] });

    // Act: run it as deployed (no NODE_OPTIONS): one trace printed by the code, one by Node on the crash.
    const run = spawnSync(process.execPath, [join(dir, BUNDLE_FILE_NAME)], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, NODE_OPTIONS: '' },
    });

    // Assess: both traces name the source file and line; the bundle's own positions are gone from the frames.
    expect(run.status).not.toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Error: crashed: caught\\n    at .*${fixture}:${line}:\\d+`));
    expect(run.stderr).toContain('Error: crashed: uncaught');
    expect(run.stderr).toMatch(new RegExp(`    at .*${fixture}:${line}:\\d+`));
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/ {4}at .*index\.mjs:\d+:\d+/);
  });

  it('ships the Lambda with its linked source map and the CommonJS banner', () => {
    // Act
    const deployed = synthesizedAsset();
    const bundle = readFileSync(join(deployed, BUNDLE_FILE_NAME), 'utf8');

    // Assess: the map is linked (debuggers follow the comment; the stack traces read `<file>.map`).
    expect(bundle.startsWith(ESM_COMMONJS_BANNER)).toBe(true);
    expect(bundle.trimEnd().endsWith(`//# sourceMappingURL=${BUNDLE_FILE_NAME}.map`)).toBe(true);
    const map = JSON.parse(readFileSync(join(deployed, `${BUNDLE_FILE_NAME}.map`), 'utf8')) as {
      sources: string[];
      sourcesContent?: unknown;
    };
    expect(map.sources.some((source) => source.endsWith('functions/handlers/aws/audit-pitr.ts'))).toBe(true);
    expect(map.sourcesContent).toBeUndefined();
  });

  it('bundles each Cloud Function with the deployment’s bundler, on the shared settings with the Functions Framework external', () => {
    // Act
    const steps = planGcpDeployment({
      project: 'certctl-ops',
      region: 'europe-west1',
      policy: parsePolicy({
        gcp: { projects: ['certctl-prod-1'] },
        securityHub: { centralAccountId: '111111111111', centralRegion: 'eu-west-1' },
      }),
      deployedPackage: { packageJson: '{}', packageLock: '{}' },
    });
    const bundle = steps.find((step) => step.kind === 'run' && step.argv[1] === CLOUD_FUNCTION_BUNDLER);
    const options = cloudFunctionBuildOptions('/tmp/out');

    // Assess
    expect(bundle?.kind === 'run' ? bundle.argv : []).toEqual([
      'node',
      CLOUD_FUNCTION_BUNDLER,
      'functions/handlers/gcp/audit-pitr.ts',
      `\${${STAGING_DIR}}/source`,
    ]);
    expect(options).toMatchObject(splitFunctionBuildOptions('/tmp/out', [FUNCTIONS_FRAMEWORK]));
  });

  it.each([
    'functions/handlers/gcp/audit-pitr.ts',
    'functions/handlers/gcp/audit-dumps.ts',
    'functions/handlers/gcp/audit-keys.ts',
  ])(
    'builds %s with the deployment’s command into a bundle that loads in ESM although its dependencies use __dirname',
    (handler) => {
      // Prepare: the deployment's own command; the framework resolves from the repository.
      const dir = tempDir();
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');

      // Act
      const result = spawnSync(process.execPath, [CLOUD_FUNCTION_BUNDLER, handler, dir], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      });

      // Assess
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const bundle = readFileSync(join(dir, BUNDLE_FILE_NAME), 'utf8');
      expect(bundle.startsWith(ESM_COMMONJS_BANNER)).toBe(true);
      expect(bundle.trimEnd().endsWith(`//# sourceMappingURL=${BUNDLE_FILE_NAME}.map`)).toBe(true);
      expect(importError(join(dir, BUNDLE_FILE_NAME))).toBe('loaded');
    },
  );

  it.each(['functions/handlers/gcp/audit-dumps.ts', 'functions/handlers/gcp/audit-keys.ts'])(
    'keeps the Cloud SQL clients and gax out of the cold start of %s, which never calls Cloud SQL',
    async (entry) => {
      // Act
      const outdir = tempDir();
      const { metafile } = await bundleCloudFunction(entry, outdir);
      const atStart = [...coldStartOutputs(metafile, outdir)].flatMap((path) =>
        Object.keys(metafile.outputs[path]?.inputs ?? {}),
      );

      // Assess
      expect(atStart.some((path) => path.endsWith(entry))).toBe(true);
      expect(
        atStart.filter((path) => /node_modules\/(@google-cloud\/sql|google-gax|protobufjs)\//.test(path)),
      ).toEqual([]);
    },
  );

  it('keeps the Cloud Storage library out of the snapshot function’s cold start and loads it on demand', async () => {
    // Act
    const outdir = tempDir();
    const { metafile } = await bundleCloudFunction('functions/handlers/gcp/snapshot.ts', outdir);
    const inputsOf = (paths: Iterable<string>) =>
      [...paths].flatMap((path) => Object.keys(metafile.outputs[path]?.inputs ?? {}));
    const atStart = inputsOf(coldStartOutputs(metafile, outdir));
    const everywhere = inputsOf(Object.keys(metafile.outputs));
    const storage = (path: string) => /node_modules\/@google-cloud\/storage\//.test(path);

    // Assess: snapshots and maintenance scans never read a bucket; readiness does only for dumps.
    expect(atStart.some((path) => path.endsWith('functions/handlers/gcp/snapshot.ts'))).toBe(true);
    expect(atStart.filter(storage)).toEqual([]);
    expect(everywhere.some(storage)).toBe(true);
  });

  it('bundles into each audit function only the clients of its own groups', async () => {
    // Act: the packages each deployed function's bundle draws from (esbuild metafile).
    const packagesOf = async (entry: string, external: string[] = []) => {
      const result = await build({
        ...splitFunctionBuildOptions(tempDir(), external),
        entryPoints: [entry],
        write: false,
        metafile: true,
        logLevel: 'error',
      });
      return new Set(
        Object.keys(result.metafile.inputs).flatMap((input) => {
          const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
          return match?.[1] ? [match[1]] : [];
        }),
      );
    };
    const framework = ['@google-cloud/functions-framework'];
    const lambdaDumps = await packagesOf('functions/handlers/aws/audit-dumps.ts');
    const lambdaPitr = await packagesOf('functions/handlers/aws/audit-pitr.ts');
    const functionPitr = await packagesOf('functions/handlers/gcp/audit-pitr.ts', framework);
    const lambdaKeys = await packagesOf('functions/handlers/aws/audit-keys.ts');
    const functionKeys = await packagesOf('functions/handlers/gcp/audit-keys.ts', framework);

    // Assess
    expect(lambdaDumps.has('@aws-sdk/client-s3')).toBe(true);
    expect(lambdaDumps.has('@aws-sdk/client-rds')).toBe(false);
    expect(lambdaPitr.has('@aws-sdk/client-rds')).toBe(true);
    expect(functionPitr.has('@google-cloud/storage')).toBe(false);
    expect([...lambdaPitr].filter((name) => name.startsWith('@google-cloud/'))).toEqual([]);
    expect(lambdaKeys.has('@aws-sdk/client-secrets-manager')).toBe(true);
    expect(lambdaKeys.has('@aws-sdk/client-kms')).toBe(true);
    // (S3 is every publishing Lambda's: the import ledger.)
    expect(lambdaKeys.has('@aws-sdk/client-rds')).toBe(false);
    // The dumps audit asks KMS who manages a bucket's key (loaded on the first key to describe).
    expect(lambdaDumps.has('@aws-sdk/client-kms')).toBe(true);
    expect(lambdaDumps.has('@aws-sdk/client-secrets-manager')).toBe(false);
    expect(lambdaPitr.has('@aws-sdk/client-secrets-manager') || lambdaPitr.has('@aws-sdk/client-kms')).toBe(
      false,
    );
    expect(functionKeys.has('@google-cloud/storage')).toBe(false);
  });
});
