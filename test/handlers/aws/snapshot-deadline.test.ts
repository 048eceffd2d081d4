/**
 * The snapshot Lambda answers before Lambda stops it: `snapshots.waitMinutes` (default 60) outlasts
 * the 15-minute function, so its wait for the snapshots, and a duplicate delivery's wait for the
 * first delivery's result on the idempotency table (an asynchronous invocation delivered twice, a
 * retry), end a margin before the invocation would be stopped (functions/core/snapshots-policy.ts
 * SNAPSHOT_ANSWER_MARGIN_MS). A duplicate that waited `waitMinutes` would be stopped at its timeout
 * with no answer. Against the simulator and dynalite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SNAPSHOT_ANSWER_MARGIN_MS } from '../../../functions/core/snapshots-policy.ts';
import { snapshotLambda } from '../../../functions/handlers/aws/snapshot.ts';
import { snapshotExitCode } from '../../../functions/jobs/snapshot.ts';
import {
  fastPolicy,
  recordingMetrics,
  type SnapshotHarness,
  snapshotLambdaDeps,
  snapshotScenario,
  startSnapshotHarness,
} from '../../integration/snapshot-support.ts';
import { type LocalDynamo, startLocalDynamo } from '../../jobs/dynalite.ts';

/** `snapshots.waitMinutes` of the runs: 9 s, far longer than the duplicate may wait. */
const WAIT_MINUTES = 0.15;
/** What the duplicate's invocation has left beyond the answer margin when it starts. */
const DUPLICATE_LEFT_MS = 1500;

let harness: SnapshotHarness;
let dynamo: LocalDynamo;

beforeAll(async () => {
  [harness, dynamo] = await Promise.all([
    startSnapshotHarness(
      // Snapshots stay `creating` longer than the wait.
      snapshotScenario({
        targets: [
          { id: 'certctl-prod-db', region: 'eu-west-1', durationMs: 600_000 },
          { id: 'certctl-aurora', kind: 'cluster', region: 'eu-west-1', durationMs: 600_000 },
        ],
      }),
    ),
    startLocalDynamo(),
  ]);
});

afterAll(async () => {
  await Promise.all([harness.close(), dynamo.close()]);
});

/** The Lambda's dependencies for `identifier`, the invocation stopped `remainingMs` after this call. */
function deps(metrics: unknown, remainingMs: number, identifier = 'certctl-prod-db') {
  const policy = fastPolicy({
    targets: { tags: [], identifiers: [identifier] },
    snapshots: { waitMinutes: WAIT_MINUTES },
  });
  const stopsAt = Date.now() + remainingMs;
  return {
    ...snapshotLambdaDeps(harness, dynamo, policy, metrics as never),
    remainingTimeMs: () => stopsAt - Date.now(),
  };
}

describe('snapshot Lambda near its timeout', () => {
  it('reports a snapshot still creating a margin before Lambda would stop it when the wait is longer', async () => {
    // Prepare
    const { recorded, metrics } = recordingMetrics();
    const startedAt = Date.now();

    // Act
    const result = await snapshotLambda(
      { requestId: 'chatops-late-1', reason: 'CA rotation', requestedBy: 'U1' },
      deps(metrics, SNAPSHOT_ANSWER_MARGIN_MS + DUPLICATE_LEFT_MS, 'certctl-aurora'),
    );

    // Assess: the wait ended with the invocation's time, not after WAIT_MINUTES.
    expect(Date.now() - startedAt).toBeLessThan(DUPLICATE_LEFT_MS + 1000);
    expect(result.results.map((entry) => [entry.outcome, entry.error?.code])).toEqual([
      ['creating', 'DeadlineExceeded'],
    ]);
    expect(recorded.SnapshotsFailed).toBe(1);
  });
});

describe('snapshot Lambda delivered twice', () => {
  it('answers that the first delivery still runs, before its own invocation would be stopped, when that delivery outlasts it', async () => {
    // Prepare: the first delivery takes the snapshot and waits for it (WAIT_MINUTES).
    const event = { requestId: 'chatops-dup-1', reason: 'CA rotation', requestedBy: 'U1' };
    const creates = harness.rds.snapshots.createCalls;
    const first = snapshotLambda(event, deps(recordingMetrics().metrics, 15 * 60_000));
    await expect
      .poll(() => harness.rds.snapshots.createCalls, { timeout: 10_000, interval: 10 })
      .toBe(creates + 1);
    const { recorded, metrics } = recordingMetrics();

    // Act: the same event again, to an invocation that has little time left.
    const startedAt = Date.now();
    const second = await snapshotLambda(event, deps(metrics, SNAPSHOT_ANSWER_MARGIN_MS + DUPLICATE_LEFT_MS));
    const answeredAfter = Date.now() - startedAt;
    const firstDone = await first;

    // Assess: answered in time, saying the first delivery runs the request and answers it, with no
    // snapshot of its own and nothing counted as failed (the first delivery counts its targets).
    expect(answeredAfter).toBeLessThan(DUPLICATE_LEFT_MS + 1000);
    expect(second.results).toEqual([]);
    expect(second.problems).toHaveLength(1);
    expect(second.problems[0]).toMatch(/^request chatops-dup-1 is already running/);
    expect(second.problems[0]).toContain('nothing was run for this delivery');
    expect(second.problems[0]).toContain('the earlier delivery answers with its snapshots');
    expect(snapshotExitCode(second)).toBe(2);
    expect(recorded).toEqual({ SnapshotsAvailable: 0, SnapshotsFailed: 0 });
    expect(harness.rds.snapshots.createCalls).toBe(creates + 1);
    expect(firstDone.results.map((entry) => entry.error?.code)).toEqual(['DeadlineExceeded']);
  }, 30_000);
});
