/**
 * The readiness Lambda loads only the adapters of the check groups a run audits: its collectors
 * import each group's adapter on that group's first scope. Proved twice: at run time (the plain
 * handler function over the simulator, with the dumps and keys adapters watched), and in the bundle
 * (esbuild with code splitting keeps those adapters and their SDK clients out of the entry chunk).
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AwsClientFactory } from '../../../functions/aws/clients.ts';
import { parsePolicy } from '../../../functions/core/policy.ts';
import { createObservability } from '../../../functions/handlers/aws/observability.ts';
import { readinessLambda } from '../../../functions/handlers/aws/readiness.ts';
import { simCredentials } from '../../sim/accounts.ts';
import { type Sim, startSim } from '../../sim/server.ts';

const loaded = vi.hoisted(() => new Set<string>());
vi.mock('../../../functions/aws/s3-dumps.ts', async (importOriginal) => {
  loaded.add('dumps');
  return importOriginal();
});
vi.mock('../../../functions/aws/secrets-manager.ts', async (importOriginal) => {
  loaded.add('keys');
  return importOriginal();
});

const REPO = join(import.meta.dirname, '..', '..', '..');
const REGION = 'eu-west-1';
const TAG = { 'certctl:backup-guard': 'enabled' };

let sim: Sim;
const factories: AwsClientFactory[] = [];

beforeAll(async () => {
  sim = await startSim({
    scenario: {
      regions: [{ name: REGION }],
      services: { rds: { instances: [{ id: 'certctl-db', region: REGION, tags: TAG }] } },
    },
  });
});

afterAll(async () => {
  for (const factory of factories) factory.destroy();
  await sim.close();
});

function run(policyInput: Record<string, unknown>, event: unknown = {}) {
  const factory = new AwsClientFactory({
    maxAttempts: 1,
    credentials: simCredentials(),
    endpoint: sim.endpoint,
  });
  factories.push(factory);
  const { logger, metrics } = createObservability('readiness');
  return readinessLambda(event, {
    policy: parsePolicy({ aws: { regions: [REGION] }, ...policyInput }),
    factory,
    logger,
    metrics,
    homeRegion: REGION,
  });
}

describe('readiness Lambda', () => {
  it('loads neither the dumps nor the keys adapter when the policy configures neither', async () => {
    // Act
    const result = await run({});

    // Assess: the PITR gate ran, the other two were not configured (keys, required for GO, leaves
    // the verdict could-not-evaluate), and their adapters never loaded.
    expect(result.gates.map((gate) => `${gate.gate} ${gate.coverage}`)).toEqual(
      expect.arrayContaining(['audit:pitr evaluated', 'audit:dumps not-configured', 'audit:keys incomplete']),
    );
    expect([...loaded]).toEqual([]);
  });

  it.each([
    [
      { regions: ['ap-southeast-2'] },
      /regions: ap-southeast-2 not in the policy's aws\.regions \(eu-west-1\)/,
    ],
    [{ regions: ['EU_WEST_1'] }, /regions\.0: must be an AWS region name such as eu-west-1/],
  ])(
    'refuses a run outside the policy or with a malformed region (%j), naming it, before any API call',
    async (event, message) => {
      // Arrange
      sim.resetStats();

      // Act + Assess
      await expect(run({}, event)).rejects.toThrow(message);
      expect(sim.stats().requests).toBe(0);
    },
  );

  it('loads the dumps adapter once the policy places a dump location', async () => {
    // Act
    const result = await run({
      dumps: {
        locations: [
          {
            provider: 'aws',
            account: '111111111111',
            region: REGION,
            bucket: 'certctl-dumps',
            prefix: 'certctl/',
          },
        ],
      },
    });

    // Assess
    expect(result.gates.find((gate) => gate.gate === 'audit:dumps')?.coverage).not.toBe('not-configured');
    expect([...loaded]).toEqual(['dumps']);
  });

  it("says in its result that keys.content did not run while keys.inspectSecretValues is off, so a GO of audit:keys does not read as having checked the key material's content", async () => {
    // Act: a key-material inventory, values not read (the default).
    const result = await run({
      keys: {
        preset: 'none',
        items: {
          ca: { kind: 'opaque', secret: `arn:aws:secretsmanager:${REGION}:111111111111:secret:certctl/ca` },
        },
      },
    });

    // Assess
    expect(result.gates.find((gate) => gate.gate === 'audit:keys')?.coverage).not.toBe('not-configured');
    expect(result.checksNotRun).toContainEqual({
      check: 'keys.content',
      gate: 'audit:keys',
      reason: 'keys.inspectSecretValues is off in the policy',
      unverified: "the backed-up key material's content",
    });
  });

  it('keeps the dumps and keys adapters and their SDK clients out of the entry chunk when bundled with code splitting', {
    timeout: 120_000,
  }, async () => {
    // Act
    const { metafile } = await build({
      entryPoints: [join(REPO, 'functions', 'handlers', 'aws', 'readiness.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      splitting: true,
      outdir: join(REPO, 'cdk.out', 'readiness-split-test'),
      write: false,
      metafile: true,
      logLevel: 'error',
    });

    // Assess
    const outputs = Object.values(metafile.outputs);
    const entry = outputs.find((output) => output.entryPoint?.endsWith('readiness.ts'));
    const inputsOf = (output: (typeof outputs)[number]) => Object.keys(output.inputs);
    const lazy = /functions\/aws\/(s3-dumps|secrets-manager)\.ts$|@aws-sdk\/client-(s3|secrets-manager)\//;
    expect(entry).toBeDefined();
    expect(inputsOf(entry as (typeof outputs)[number]).filter((input) => lazy.test(input))).toEqual([]);
    expect(
      outputs
        .flatMap(inputsOf)
        .filter((input) => /functions\/aws\/(s3-dumps|secrets-manager)\.ts$/.test(input))
        .sort(),
    ).toEqual(['functions/aws/s3-dumps.ts', 'functions/aws/secrets-manager.ts']);
  });
});
