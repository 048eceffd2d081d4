/**
 * The in-progress claim the AWS chat actions hold on a snapshot request in the idempotency table when
 * they run outside a Lambda (no remaining time to read: the simulated deployment, the demo): it holds
 * as long as the run can last (functions/core/snapshots-policy.ts snapshotRunBoundMs of the wait the
 * run is given), not the time a duplicate waits for it. Against the simulator and dynalite.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../functions/core/policy.ts';
import { snapshotRunBoundMs } from '../../../functions/core/snapshots-policy.ts';
import { awsChatActions } from '../../../functions/handlers/aws/chat-action.ts';
import {
  NO_KEYS_WAIVER,
  type SnapshotHarness,
  snapshotScenario,
  startSnapshotHarness,
} from '../../integration/snapshot-support.ts';
import { type LocalDynamo, startLocalDynamo } from '../../jobs/dynalite.ts';

let harness: SnapshotHarness;
let dynamo: LocalDynamo;

beforeAll(async () => {
  // The snapshot stays `creating` through the run's whole wait.
  harness = await startSnapshotHarness(
    snapshotScenario({ targets: [{ id: 'certctl-prod-db', region: 'eu-west-1', durationMs: 600_000 }] }),
  );
  dynamo = await startLocalDynamo();
});

afterAll(async () => {
  await dynamo?.close();
  await harness?.close();
});

/** A policy of one target whose snapshots are waited for `waitMinutes`. */
function policyWaiting(waitMinutes: number) {
  return parsePolicy({
    aws: { regions: ['eu-west-1'] },
    pitr: { minPitrDays: 7 },
    targets: { tags: [], identifiers: ['certctl-prod-db'] },
    snapshots: {
      pollInitialSeconds: 0.05,
      pollMaxSeconds: 0.1,
      waitMinutes,
      readinessWaivers: NO_KEYS_WAIVER,
    },
  });
}

/** The in-progress expiries of the claims in the table now (epoch milliseconds). */
async function claimsHeld(): Promise<number[]> {
  const items = (await dynamo.client.send(new ScanCommand({ TableName: dynamo.tableName }))).Items ?? [];
  return items
    .filter((item) => item.status?.S === 'INPROGRESS')
    .map((item) => Number(item.in_progress_expiration?.N));
}

describe('a chat snapshot run outside a Lambda', () => {
  it.each([
    // snapshots.waitMinutes, the answer's deadline (ms from the ask), the wait the run is given.
    ['with no deadline (an Amazon Q answer)', 0.02, undefined, 0.02],
    ['with a deadline sooner than snapshots.waitMinutes (a Slack answer)', 60, 2000, 2000 / 60_000],
  ])(
    'holds its claim as long as its run can last, %s',
    async (_case, waitMinutes, deadlineMs, runWaitMinutes) => {
      // Prepare
      const policy = policyWaiting(waitMinutes);
      const { aws } = harness.readinessDeps(policy);
      const actions = awsChatActions({
        policy,
        factory: (aws as NonNullable<typeof aws>).factory,
        homeRegion: 'eu-west-1',
        dynamo: dynamo.client,
        tableName: dynamo.tableName,
      });
      const before = Date.now();
      let held: Promise<number[]> | undefined;
      let claimedBy = Number.NaN;

      // Act: read the claim while the run waits for its snapshot.
      const answer = await actions.snapshot(
        {
          requestKey: `chat-claim-${deadlineMs}`,
          targets: [],
          reason: 'CA rotation',
          ticket: `CHG-CHAT-CLAIM-${deadlineMs}`,
          requestedBy: 'alice',
          ...(deadlineMs === undefined ? {} : { waitUntil: new Date(before + deadlineMs) }),
        },
        (progress) => {
          // Its own snapshot created, or (the second case) the first case's waited for.
          if (held === undefined && (progress.stage === 'creating' || progress.stage === 'waiting')) {
            claimedBy = Date.now();
            held = claimsHeld();
          }
        },
      );

      // Assess: one claim, held past the wait and the recording the run may still do (it was taken
      // after the ask), and no longer than a run could last (taken before the run said what it does).
      expect('targets' in answer && answer.targets.map((entry) => entry.outcome)).toEqual(['creating']);
      const claims = await held;
      expect(claims).toHaveLength(1);
      const bound = snapshotRunBoundMs({ waitMinutes: runWaitMinutes });
      expect(claims?.[0]).toBeGreaterThanOrEqual(before + bound - 1000);
      expect(claims?.[0]).toBeLessThanOrEqual(claimedBy + bound);
    },
  );
});
