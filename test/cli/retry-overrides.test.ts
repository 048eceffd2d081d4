/**
 * The CLI's `retries` override (functions/cli/command.ts CliOverrides), which tests whose subject is
 * not the timing set: the AWS clients' adaptive retry waits scaled, the Secret Manager reads retried
 * as given. What is retried, and the AWS attempts, stay the policy's.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../functions/cli/cli.ts';
import type { CliOverrides } from '../../functions/cli/command.ts';
import { keysPolicy, keysScenario } from '../fixtures/keys/world.ts';
import { simCredentials } from '../sim/accounts.ts';
import type { Faults } from '../sim/faults.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { captureIo } from './support.ts';

let sim: Sim;
let dir: string;

beforeAll(async () => {
  sim = await startSim({ scenario: keysScenario() });
  dir = await mkdtemp(join(tmpdir(), 'retry-overrides-'));
  const policy = keysPolicy(false);
  await writeFile(
    join(dir, 'policy.json'),
    JSON.stringify({ ...policy, aws: { ...policy.aws, maxAttempts: 3 } }),
  );
});

afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

/** The keys audit of `provider` through the CLI under `faults`: its failed scopes, time and the refusals sent. */
async function audit(provider: 'aws' | 'gcp', faults: Faults, overrides: CliOverrides) {
  sim.setFaults(faults);
  sim.resetStats();
  const io = captureIo({ AWS_REGION: 'eu-west-1' });
  const started = performance.now();
  const code = await runCli(
    [
      'audit',
      '--policy',
      join(dir, 'policy.json'),
      '--provider',
      provider,
      '--endpoint-url',
      sim.endpoint,
      '--gcp-endpoint-url',
      sim.endpoint,
      '--group',
      'keys',
      '--format',
      'json',
      '--quiet',
    ],
    io,
    { awsCredentials: simCredentials(), ...overrides },
  );
  const elapsedMs = performance.now() - started;
  const report = JSON.parse(io.out()) as { scopes: { scope: { region: string }; status: string }[] };
  const failed = report.scopes
    .filter((scope) => scope.status === 'failed')
    .map((scope) => scope.scope.region);
  return { code, failed, elapsedMs, refused: sim.stats().faults.throttled };
}

describe('the CLI retries override', () => {
  it('scales the AWS clients’ retry waits, the policy’s attempts kept', async () => {
    // Prepare: one secret's DescribeSecret throttled on every attempt. Unscaled, the adaptive mode's
    // rate limiter allows a throttled client's next send no sooner than 2 s later: 3 attempts, 4 s.
    const faults: Faults = {
      throttleRate: 1,
      services: ['secretsManager'],
      operations: ['DescribeSecret'],
      containing: 'certctl/tls',
    };

    const overrides = { retries: { awsWaitScale: 0.01 } };
    const clean = await audit('aws', {}, overrides);

    // Act
    const run = await audit('aws', faults, overrides);

    // Assess: the scope failed after the policy's 3 attempts, the retries adding well under the 2 s
    // the first one alone waits unscaled.
    expect(clean.failed).toEqual([]);
    expect(run.failed).toEqual(['eu-west-1']);
    expect(run.refused).toBe(3);
    expect(run.elapsedMs - clean.elapsedMs).toBeLessThan(1_000);
  });

  it('retries the Secret Manager reads as it says, and as the client’s defaults without it', async () => {
    // Prepare
    const faults: Faults = {
      throttleRate: 1,
      throttleCode: 'UNAVAILABLE',
      services: ['secretManager'],
      operations: ['secrets.get'],
      containing: 'certctl-ca-backup',
    };

    // Act
    const given = await audit('gcp', faults, { retries: { secretManager: { maxAttempts: 2 } } });
    const defaults = await audit('gcp', faults, {});

    // Assess: the project's one scope failed either way, after 2 attempts and after the default 5.
    expect(given.failed).toHaveLength(1);
    expect(defaults.failed).toEqual(given.failed);
    expect([given.refused, defaults.refused]).toEqual([2, 5]);
  });
});
