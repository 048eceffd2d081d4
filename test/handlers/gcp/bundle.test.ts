/**
 * The Cloud Functions as they are deployed: bundled by infra/gcp/bundle.ts (the deployment's own
 * step), then run by the Functions Framework's own entry point in a separate Node process with the
 * deployed NODE_OPTIONS, against the simulator on 127.0.0.1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_ENV, type Policy } from '../../../functions/core/policy.ts';
import { CLOUD_SQL_ENDPOINT_ENV } from '../../../functions/gcp/clients.ts';
import { METADATA_HOST_ENV } from '../../../functions/gcp/federation.ts';
import { coldStartOutputs } from '../../../infra/bundling.ts';
import { bundleCloudFunction } from '../../../infra/gcp/bundle.ts';
import { CANARY, keysPolicy, keysScenario } from '../../fixtures/keys/world.ts';
import {
  CENTRAL_ACCOUNT,
  CENTRAL_REGION,
  cloudSqlScenario,
  dumpsScenario,
  federationScenario,
  gcpPolicy,
  instance,
  PROJECT,
  startGcpSim,
} from '../../gcp/sim-setup.ts';
import { REPO_ROOT } from '../../infra/support.ts';
import type { Sim } from '../../sim/server.ts';
import { startSim } from '../../sim/server.ts';
import type { SecurityHubSim } from '../../sim/services/security-hub.ts';

const ENTRY = 'functions/handlers/gcp/audit-pitr.ts';

/** A loopback port free a moment ago, for the framework to listen on. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A Cloud Function bundled as deployed, served by the Functions Framework's entry point in its own process. */
interface ServedBundle {
  readonly dir: string;
  readonly metafile: Metafile;
  readonly url: string;
  /** Everything the process wrote, stdout and stderr, chunk by chunk. */
  readonly output: string[];
  stop(): void;
}

/** Bundle `entry` as the deployment does, then serve `target` from it with `env` (the simulator's endpoints). */
async function serveBundle(
  entry: string,
  target: string,
  env: Record<string, string>,
): Promise<ServedBundle> {
  const dir = mkdtempSync(join(tmpdir(), 'backup-guard-gcp-bundle-'));
  const { metafile } = await bundleCloudFunction(entry, dir);
  // What Cloud Build installs beside the bundle: the Functions Framework (here, the repository's).
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', main: 'index.mjs' }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  // The framework's own entry point (its `functions-framework` bin), as the runtime starts it.
  const main = join(
    dirname(createRequire(import.meta.url).resolve('@google-cloud/functions-framework')),
    'main.js',
  );
  const framework: ChildProcess = spawn(
    process.execPath,
    [main, `--target=${target}`, `--source=${dir}`, `--port=${port}`],
    {
      cwd: dir,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', ...env },
    },
  );
  const output: string[] = [];
  framework.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  framework.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  const stop = (): void => {
    framework.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  // Listening: the framework answers (anything) once it serves.
  for (let attempt = 0; attempt < 300; attempt++) {
    const up = await fetch(url).then(
      () => true,
      () => false,
    );
    if (up) return { dir, metafile, url, output, stop };
    if (framework.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  stop();
  throw new Error(`the framework did not serve ${target}: ${output.join('')}`);
}

/** The environment that points a function at the simulator, with `policy`. */
function simulatorEnv(sim: Sim, policy: Policy): Record<string, string> {
  return {
    [POLICY_ENV]: JSON.stringify(policy),
    [CLOUD_SQL_ENDPOINT_ENV]: sim.endpoint,
    [METADATA_HOST_ENV]: new URL(sim.endpoint).host,
    AWS_ENDPOINT_URL: sim.endpoint,
  };
}

// Bundling takes seconds alone and much longer on a shared 2-core machine.
describe('auditPitr bundle run by the Functions Framework', { timeout: 180_000 }, () => {
  let served: ServedBundle;
  let metafile: Metafile;
  let dir: string;
  let url: string;
  let output: string[];
  let sim: Sim;
  let securityHub: SecurityHubSim;

  beforeAll(async () => {
    // PITR on (getLatestRecoveryTime) and off (backupRuns.list): every read the audit makes.
    ({ sim, securityHub } = await startGcpSim(
      cloudSqlScenario([
        instance('certctl-db'),
        instance('certctl-db-no-pitr', { backups: { pointInTimeRecovery: false } }),
      ]),
      { clock: () => new Date() },
    ));
    served = await serveBundle(ENTRY, 'auditPitr', simulatorEnv(sim, gcpPolicy()));
    ({ metafile, dir, url, output } = served);
  });

  afterAll(async () => {
    served?.stop();
    await sim?.close();
  });

  it('bundles neither Cloud Storage nor gRPC, and no file twice', () => {
    // Act
    const inputs = Object.values(metafile.outputs).flatMap((out) => Object.keys(out.inputs));
    const packageFiles = inputs
      .map((path) => path.replace(/^.*node_modules\//, ''))
      .filter((path, i) => inputs[i] !== path);

    // Assess
    expect(
      inputs.filter((path) => /node_modules\/(@google-cloud\/storage|@grpc\/grpc-js)\//.test(path)),
    ).toEqual([]);
    // One output per input, and one copy of each package file (no second copy of a package).
    expect(inputs.length).toBe(new Set(inputs).size);
    expect(packageFiles.length).toBe(new Set(packageFiles).size);
  });

  it('loads no AWS SDK and no federation at cold start: they wait for the first publishing run', () => {
    // Act
    const atStart = [...coldStartOutputs(metafile, dir)].flatMap((path) =>
      Object.keys(metafile.outputs[path]?.inputs ?? {}),
    );

    // Assess
    expect(atStart).toContain(ENTRY);
    expect(
      atStart.filter((path) =>
        /node_modules\/@aws-sdk\/|functions\/gcp\/federation\.ts|security-hub\/publisher\.ts/.test(path),
      ),
    ).toEqual([]);
  });

  it('audits over REST and publishes through the federation when the scheduler posts an empty body', async () => {
    // Act
    const response = await fetch(url, { method: 'POST' });
    const answer = (await response.json()) as Record<string, unknown>;

    // Assess
    expect(response.status, JSON.stringify(answer)).toBe(200);
    expect(answer).toMatchObject({
      ok: true,
      scopes: { evaluated: 1, failed: [] },
      resources: 2,
      published: { status: 'published', failedCount: 0 },
    });
    expect(securityHub.findings(CENTRAL_ACCOUNT, CENTRAL_REGION).length).toBeGreaterThan(0);
    expect(sim.stats().byOperation).toMatchObject({
      'cloudSql:instances.list': 1,
      'cloudSql:instances.getLatestRecoveryTime': 1,
      'cloudSql:backupRuns.list': 1,
      'sts:AssumeRoleWithWebIdentity': 1,
    });
  });

  it('answers its own JSON 400 and logs only JSON lines without the body when the JSON body does not parse', async () => {
    // Prepare
    const canary = 'canary-body-2b9e';
    const before = output.length;

    // Act
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"projects": ["${canary}"`,
    });
    const text = await response.text();
    await new Promise((resolve) => setTimeout(resolve, 200));

    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(text)).toEqual({
      error: "auditPitr body is not JSON: Expected ',' or ']' after array element at position 32 (32 bytes).",
    });
    const lines = output
      .slice(before)
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(() => JSON.parse(line), line).not.toThrow();
      expect(line).not.toContain(canary);
    }
  });
});

describe('auditDumps bundle run by the Functions Framework', { timeout: 180_000 }, () => {
  let served: ServedBundle | undefined;
  let sim: Sim | undefined;

  afterAll(async () => {
    served?.stop();
    await sim?.close();
  });

  it('reads the Cloud Storage dumps through the bundled client and publishes their findings', async () => {
    // Prepare
    sim = await startSim({ scenario: await dumpsScenario(), clock: () => new Date() });
    const location = {
      provider: 'gcp',
      bucket: 'certctl-dumps-gcp',
      prefix: 'prod/',
      project: PROJECT,
      region: 'europe-west1',
    } as const;
    served = await serveBundle(
      'functions/handlers/gcp/audit-dumps.ts',
      'auditDumps',
      simulatorEnv(sim, gcpPolicy({ dumps: { locations: [location] } })),
    );

    // Act
    const response = await fetch(served.url, { method: 'POST' });
    const answer = (await response.json()) as Record<string, unknown>;

    // Assess
    expect(response.status, JSON.stringify(answer)).toBe(200);
    expect(answer).toMatchObject({
      ok: true,
      counts: { PASSED: 4, FAILED: 0, NOT_AVAILABLE: 0 },
      published: { status: 'published', failedCount: 0 },
    });
  });
});

describe('auditKeys bundle run by the Functions Framework', { timeout: 180_000 }, () => {
  let served: ServedBundle | undefined;
  let sim: Sim | undefined;

  afterAll(async () => {
    served?.stop();
    await sim?.close();
  });

  it('reads Secret Manager through the bundled client, values included, publishes, and prints no value', async () => {
    // Prepare: the Secret Manager half of the keys world, values inspected.
    const keys = keysScenario();
    const federation = federationScenario();
    sim = await startSim({
      scenario: { ...keys, ...federation, services: { ...keys.services, ...federation.services } },
      clock: () => new Date(),
    });
    const world = keysPolicy(true).keys ?? {};
    const items = Object.fromEntries(
      Object.entries(world.items ?? {}).filter(([, item]) => item.secret?.startsWith('projects/')),
    );
    served = await serveBundle(
      'functions/handlers/gcp/audit-keys.ts',
      'auditKeys',
      simulatorEnv(sim, gcpPolicy({ keys: { ...world, preset: 'none', items } })),
    );

    // Act
    const response = await fetch(served.url, { method: 'POST' });
    const answer = (await response.json()) as Record<string, unknown>;

    // Assess: the healthy CA backup passes all five; the config key's disabled latest version, single
    // location, Google-managed key and unreadable value are each reported, never passed.
    expect(response.status, JSON.stringify(answer)).toBe(200);
    expect(answer).toMatchObject({
      ok: true,
      counts: { PASSED: 6, FAILED: 2, WARNING: 1, NOT_AVAILABLE: 1 },
      published: { status: 'published', failedCount: 0 },
    });
    // Secret Manager is plain REST: the function bundles no Cloud Storage client (nor any other).
    expect(
      Object.keys(served.metafile.inputs).filter((input) => input.includes('@google-cloud/storage/')),
    ).toEqual([]);
    expect(`${JSON.stringify(answer)}${served.output.join('')}`).not.toContain(CANARY);
  });
});
