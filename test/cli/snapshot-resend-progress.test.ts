/**
 * A `backup-guard snapshot` re-sent (the same ticket) while its first run still goes on waits for
 * that run's result on the idempotency table, up to as long as a run can last
 * (functions/core/snapshots-policy.ts snapshotRunBoundMs, 65 minutes by default): it says so on
 * stderr when it starts waiting, and again as it goes on, as prune says its waits. Against the
 * simulator and a real DynamoDB implementation (dynalite), through the CLI dispatcher.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitText } from '../../functions/actions/snapshot/model.ts';
import { runCli } from '../../functions/cli/cli.ts';
import { snapshotRunBoundMs } from '../../functions/core/snapshots-policy.ts';
import type { SnapshotJobResult } from '../../functions/jobs/snapshot.ts';
import {
  NO_KEYS_WAIVER,
  type SnapshotHarness,
  snapshotScenario,
  startSnapshotHarness,
} from '../integration/snapshot-support.ts';
import { type LocalDynamo, startLocalDynamo } from '../jobs/dynalite.ts';
import { simCredentials } from '../sim/accounts.ts';

/** `snapshots.waitMinutes` of the runs: 30 s, longer than the snapshot takes. */
const WAIT_MINUTES = 0.5;
/** How long the snapshot stays `creating`: the first run waits that long. */
const CREATING_MS = 3500;

let harness: SnapshotHarness;
let dynamo: LocalDynamo;

beforeAll(async () => {
  harness = await startSnapshotHarness(
    snapshotScenario({ targets: [{ id: 'certctl-prod-db', region: 'eu-west-1', durationMs: CREATING_MS }] }),
  );
  dynamo = await startLocalDynamo();
});

afterAll(async () => {
  await dynamo?.close();
  await harness?.close();
});

/** `backup-guard snapshot --format json` for `ticket`; its stderr lines handed to `stderr` as they come. */
async function snapshot(
  ticket: string,
  stderr: (line: string) => void,
  more: readonly string[] = [],
): Promise<{ code: number; result: SnapshotJobResult | undefined }> {
  let stdout = '';
  const policy = {
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
  };
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
      stderr,
      env: { BACKUP_GUARD_POLICY: JSON.stringify(policy), AWS_REGION: 'eu-west-1' },
    },
    { awsCredentials: simCredentials() },
  );
  return { code, result: stdout ? (JSON.parse(stdout) as SnapshotJobResult) : undefined };
}

describe('snapshot command re-sent while its first run goes on', () => {
  it('says on stderr that it waits for the other run of the request, since when and how long at most, and again as it waits', async () => {
    // Prepare: the first run takes the snapshot and waits for it.
    const creates = harness.rds.snapshots.createCalls;
    const first = snapshot('CHG-WAIT-1', () => undefined);
    await expect
      .poll(() => harness.rds.snapshots.createCalls, { timeout: 10_000, interval: 10 })
      .toBe(creates + 1);
    const lines: string[] = [];

    // Act
    const second = await snapshot('CHG-WAIT-1', (line) => lines.push(line));
    const firstDone = await first;

    // Assess: one line when it starts waiting, naming the request, when it was accepted and the
    // longest wait; then a line now and then while it waits; the first run's result.
    const atMost = waitText(snapshotRunBoundMs({ waitMinutes: WAIT_MINUTES }) / 60_000);
    expect(lines[0]).toMatch(
      new RegExp(
        `^ticket:CHG-WAIT-1: the same request is already being run by another run \\(accepted at \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\); waiting for its result instead of running it twice, at most ${atMost}\\n$`,
      ),
    );
    const still = lines.slice(1).filter((line) => line.startsWith('ticket:CHG-WAIT-1: still waiting'));
    expect(still.length).toBeGreaterThanOrEqual(2);
    expect(still[0]).toMatch(
      new RegExp(
        `^ticket:CHG-WAIT-1: still waiting for the other run of this request \\(\\d+ s of at most ${atMost}\\)\\n$`,
      ),
    );
    expect(lines).toHaveLength(1 + still.length);
    expect(second.result?.startedAt).toBe(firstDone.result?.startedAt);
    expect(second.code).toBe(0);
    expect(harness.rds.snapshots.createCalls).toBe(creates + 1);
  }, 30_000);

  it('waits without a word with --quiet', async () => {
    // Prepare
    const creates = harness.rds.snapshots.createCalls;
    const first = snapshot('CHG-WAIT-2', () => undefined);
    await expect
      .poll(() => harness.rds.snapshots.createCalls, { timeout: 10_000, interval: 10 })
      .toBe(creates + 1);
    const lines: string[] = [];

    // Act
    const second = await snapshot('CHG-WAIT-2', (line) => lines.push(line), ['--quiet']);
    await first;

    // Assess
    expect(lines).toEqual([]);
    expect(second.code).toBe(0);
  }, 30_000);
});
