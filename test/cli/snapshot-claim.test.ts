/**
 * The in-progress claim a `backup-guard snapshot` run holds on its request in the idempotency table
 * (functions/jobs/idempotency.ts): outside a Lambda there is no remaining time to read, so the claim
 * must last as long as a whole run can (set-up, `snapshots.waitMinutes`, recording:
 * functions/core/snapshots-policy.ts snapshotRunBoundMs), not the wait alone. Against the simulator
 * and a real DynamoDB implementation (dynalite), through the CLI dispatcher.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../functions/cli/cli.ts';
import type { SnapshotJobResult } from '../../functions/jobs/snapshot.ts';
import {
  NO_KEYS_WAIVER,
  type SnapshotHarness,
  snapshotScenario,
  startSnapshotHarness,
} from '../integration/snapshot-support.ts';
import { type LocalDynamo, startLocalDynamo } from '../jobs/dynalite.ts';
import { simCredentials } from '../sim/accounts.ts';

/** `snapshots.waitMinutes` of the runs: 1.8 s. */
const WAIT_MINUTES = 0.03;
/** What each KMS DescribeKey takes: the recording after the wait outlasts the wait bound. */
const KEY_READ_MS = 3500;
/** How long a snapshot stays `creating` on the simulator's clock, until the test moves it on. */
const CREATING_MS = 10 * 60_000;

let harness: SnapshotHarness;
let dynamo: LocalDynamo;
/** How far the simulator's clock is ahead of the real one. */
let simAhead = 0;

beforeAll(async () => {
  harness = await startSnapshotHarness(
    snapshotScenario({ targets: [{ id: 'certctl-prod-db', region: 'eu-west-1', durationMs: CREATING_MS }] }),
    { clock: () => new Date(Date.now() + simAhead) },
  );
  dynamo = await startLocalDynamo();
});

afterAll(async () => {
  await dynamo?.close();
  await harness?.close();
});

function policy(): string {
  return JSON.stringify({
    aws: { regions: ['eu-west-1'] },
    pitr: { minPitrDays: 7 },
    targets: { tags: [], identifiers: ['certctl-prod-db'] },
    snapshots: {
      pollInitialSeconds: 0.05,
      pollMaxSeconds: 0.1,
      waitMinutes: WAIT_MINUTES,
      readinessWaivers: NO_KEYS_WAIVER,
      idempotencyTable: dynamo.tableName,
    },
  });
}

/**
 * `backup-guard snapshot --format json` for `ticket`, on the harness and the local table; its
 * progress lines handed to `progress` as they come.
 */
async function snapshot(
  ticket: string,
  more: readonly string[] = [],
  progress: (line: string) => void = () => undefined,
): Promise<{ code: number; result: SnapshotJobResult | undefined }> {
  let stdout = '';
  const code = await runCli(
    [
      'snapshot',
      '--reason',
      'CA rotation',
      '--ticket',
      ticket,
      '--format',
      'json',
      '--endpoint-url',
      harness.sim.endpoint,
      '--dynamodb-endpoint-url',
      dynamo.endpoint,
      ...more,
    ],
    {
      stdout: (t) => (stdout += t),
      stderr: progress,
      env: { BACKUP_GUARD_POLICY: policy(), AWS_REGION: 'eu-west-1' },
    },
    { awsCredentials: simCredentials() },
  );
  return { code, result: stdout ? (JSON.parse(stdout) as SnapshotJobResult) : undefined };
}

describe('snapshot command re-sent while its first run outlasts snapshots.waitMinutes', () => {
  it('joins the first run and takes no snapshot of its own when the first run waited on another request’s snapshot', async () => {
    // Prepare: another request's snapshot of the database is being created, so the first run of
    // CHG-CLAIM-1 waits for it instead of taking its own; each key check after the wait takes
    // longer than the whole wait bound.
    const other = await snapshot('CHG-CLAIM-OTHER', ['--no-wait']);
    const otherId = other.result?.results[0]?.snapshotId;
    expect(other.result?.results[0]?.outcome).toBe('creating');
    const creates = harness.rds.snapshots.createCalls;
    harness.sim.setFaults({ latencyMs: KEY_READ_MS, services: ['kms'], operations: ['DescribeKey'] });
    let progress = '';
    const first = snapshot('CHG-CLAIM-1', [], (line) => (progress += line));
    await expect
      .poll(() => progress, { timeout: 10_000, interval: 10 })
      .toContain(`waiting for ${otherId}, which request ticket:CHG-CLAIM-OTHER is creating`);
    // The snapshot it waits for becomes available: its wait ends, its key check begins.
    simAhead = CREATING_MS;

    // Act: the same request is sent again more than snapshots.waitMinutes after the first run took
    // its claim (before it said what it waits for), while that run still records.
    await sleep(WAIT_MINUTES * 60_000 + 300);
    const second = snapshot('CHG-CLAIM-1', ['--quiet']);
    const firstDone = await first;
    harness.sim.setFaults({});
    const secondDone = await second;

    // Assess: one run of the request: the re-send is answered with the first run's result, and
    // the cloud was asked for no snapshot of it.
    expect(harness.rds.snapshots.createCalls).toBe(creates);
    expect(secondDone.result?.startedAt).toBe(firstDone.result?.startedAt);
    expect(secondDone.result?.results[0]?.snapshotId).toBe(otherId);
    expect(secondDone.code).toBe(0);
    expect(firstDone.code).toBe(0);
    expect(firstDone.result?.results[0]).toMatchObject({ outcome: 'available', snapshotId: otherId });
  }, 30_000);
});
