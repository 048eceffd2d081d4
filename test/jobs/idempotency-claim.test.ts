/**
 * How long a run's in-progress claim on its request holds (functions/jobs/idempotency.ts): in a
 * Lambda, the invocation's remaining time, as Powertools sets it; elsewhere, the longest a run lasts,
 * never the wait a duplicate gives the first run. Against a real DynamoDB implementation (dynalite),
 * reading the record Powertools writes.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type IdempotencyStore, runOncePerRequestId } from '../../functions/jobs/idempotency.ts';
import { type LocalDynamo, startLocalDynamo } from './dynalite.ts';

let dynamo: LocalDynamo;

beforeEach(async () => {
  dynamo = await startLocalDynamo();
});

afterEach(async () => {
  await dynamo.close();
});

const MINUTE_MS = 60_000;

/**
 * Start a run of `requestId` under `store` that never ends, and read the in-progress expiry of the
 * claim it holds, in milliseconds from when the claim was taken.
 */
async function claimHeldFor(requestId: string, store: IdempotencyStore): Promise<number> {
  const before = Date.now();
  let running = false;
  void runOncePerRequestId(
    requestId,
    () => {
      running = true;
      return new Promise<never>(() => undefined);
    },
    store,
  );
  await expect.poll(() => running, { timeout: 5000, interval: 10 }).toBe(true);
  const items = (await dynamo.client.send(new ScanCommand({ TableName: dynamo.tableName }))).Items ?? [];
  expect(items).toHaveLength(1);
  expect(items[0]?.status?.S).toBe('INPROGRESS');
  return Number(items[0]?.in_progress_expiration?.N) - before;
}

describe('the in-progress claim of a request run once on the idempotency table', () => {
  it('holds for the longest a run lasts, not the wait a duplicate gives it, where there is no remaining time (the CLI)', async () => {
    // Prepare
    const store: IdempotencyStore = {
      tableName: dynamo.tableName,
      client: dynamo.client,
      waitForFirstMs: 60 * MINUTE_MS,
      longestRunMs: 65 * MINUTE_MS,
    };

    // Act
    const heldMs = await claimHeldFor('CHG-CLAIM-CLI', store);

    // Assess
    expect(heldMs).toBeGreaterThan(65 * MINUTE_MS - 5000);
    expect(heldMs).toBeLessThanOrEqual(65 * MINUTE_MS + 1000);
  });

  it('holds for the invocation’s remaining time in a Lambda, read when the claim is taken', async () => {
    // Prepare: the invocation has 7 minutes left, less than a whole run would take.
    let remainingReads = 0;
    const store: IdempotencyStore = {
      tableName: dynamo.tableName,
      client: dynamo.client,
      waitForFirstMs: 60 * MINUTE_MS,
      longestRunMs: 65 * MINUTE_MS,
      remainingTimeMs: () => {
        remainingReads += 1;
        return 7 * MINUTE_MS;
      },
    };

    // Act
    const heldMs = await claimHeldFor('CHG-CLAIM-LAMBDA', store);

    // Assess: it lapses when Lambda would stop the function, not later.
    expect(remainingReads).toBeGreaterThan(0);
    expect(heldMs).toBeGreaterThan(7 * MINUTE_MS - 5000);
    expect(heldMs).toBeLessThanOrEqual(7 * MINUTE_MS + 1000);
  });
});
