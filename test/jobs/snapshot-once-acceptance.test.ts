/**
 * When a snapshot request was first accepted, as a re-run on the idempotency table learns it from
 * the record an earlier run that died left (functions/jobs/idempotency.ts recordStartOf): the run
 * records the request's own snapshot it adopts only when the cloud created it no earlier
 * (functions/actions/snapshot/run.ts firstAcceptedAt). Against a real DynamoDB implementation
 * (dynalite), so the records are the ones Powertools writes.
 */
import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyCounts, type SnapshotJobResult } from '../../functions/actions/snapshot/model.ts';
import {
  type IdempotencyStore,
  idempotentByRequestId,
  recordStartOf,
} from '../../functions/jobs/idempotency.ts';
import type { SnapshotRequest } from '../../functions/jobs/snapshot.ts';
import type { Accepted } from '../../functions/jobs/snapshot-once.ts';
import { idempotentSnapshotJob } from '../../functions/jobs/snapshot-once-table.ts';
import { type LocalDynamo, startLocalDynamo } from './dynalite.ts';

let dynamo: LocalDynamo;

beforeEach(async () => {
  dynamo = await startLocalDynamo();
});

afterEach(async () => {
  await dynamo.close();
});

const DAY_SECONDS = 86_400;
const request: SnapshotRequest = { requestId: 'CHG-77', reason: 'CA rotation', requestedBy: 'ops' };

function store(): IdempotencyStore {
  return {
    tableName: dynamo.tableName,
    client: dynamo.client,
    waitForFirstMs: 10_000,
    longestRunMs: 10_000,
    pollMs: 20,
  };
}

/**
 * A delivery of `request` under `snapshots.expiryDays` `expiryDays` that claims it and dies (its run
 * never ends), its claim expired when this resolves, `idleMs` after it died; when it was accepted,
 * at least and at most.
 */
async function diesHolding(
  expiryDays: number,
  idleMs = 200,
): Promise<{ readonly before: number; readonly after: number }> {
  const before = Date.now();
  let running = false;
  const dead = idempotentSnapshotJob(
    () => {
      running = true;
      return new Promise<never>(() => undefined);
    },
    { ...store(), remainingTimeMs: () => 150 },
    { retentionDays: expiryDays },
  );
  void dead(request);
  await expect.poll(() => running, { timeout: 5000, interval: 10 }).toBe(true);
  const after = Date.now();
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  return { before, after };
}

/** A re-send of `request` under `expiryDays`, which finishes: the acceptance its run was handed. */
async function rerun(expiryDays: number): Promise<Accepted> {
  let handed: Accepted | undefined;
  const result: SnapshotJobResult = {
    requestId: request.requestId,
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    results: [],
    counts: emptyCounts(),
    problems: [],
  };
  await idempotentSnapshotJob(
    async (_asked, accepted) => {
      handed = accepted;
      return result;
    },
    store(),
    { retentionDays: expiryDays },
  )(request);
  if (handed === undefined) throw new Error('the re-send did not run');
  return handed;
}

describe('a re-run of a snapshot request whose first delivery died, after snapshots.expiryDays changed', () => {
  it('is handed the first delivery’s acceptance when the days were raised, not one a week earlier', async () => {
    // Prepare: the first delivery ran under expiryDays 7 and died holding its claim.
    const first = await diesHolding(7);

    // Act: the policy now says 14 days; the request is sent again.
    const { firstAcceptedAt } = await rerun(14);

    // Assess: a snapshot someone made in the week before the request was accepted must not pass
    // for the request's own.
    expect(firstAcceptedAt.getTime()).toBeGreaterThanOrEqual(first.before - 1000);
    expect(firstAcceptedAt.getTime()).toBeLessThanOrEqual(first.after);
  });

  it('is handed the first delivery’s acceptance when the days were lowered, not its own arrival', async () => {
    // Prepare: the first delivery ran under expiryDays 14 and died holding its claim.
    const first = await diesHolding(14);

    // Act: the policy now says 7 days.
    const { firstAcceptedAt } = await rerun(7);

    // Assess: the snapshot the dead delivery made is the request's own, and is recorded as such.
    expect(firstAcceptedAt.getTime()).toBeGreaterThanOrEqual(first.before - 1000);
    expect(firstAcceptedAt.getTime()).toBeLessThanOrEqual(first.after);
  });
});

describe('a re-run of a snapshot request whose first two deliveries died', () => {
  it('is handed the first delivery’s acceptance, which the second kept when it took the claim over', async () => {
    // Prepare: the first delivery dies; the second takes its claim over and dies too. Apart by
    // more than the second Powertools rounds its expiry to, so the two are told apart.
    const first = await diesHolding(7, 1600);
    await diesHolding(7);

    // Act
    const { firstAcceptedAt } = await rerun(7);

    // Assess
    expect(firstAcceptedAt.getTime()).toBeGreaterThanOrEqual(first.before - 1000);
    expect(firstAcceptedAt.getTime()).toBeLessThanOrEqual(first.after);
  });
});

describe('recordStartOf on a record an earlier version wrote (no acceptance kept)', () => {
  it('still dates the start by the record’s expiry less the store’s lifetime, less a second', async () => {
    // Prepare: a record as Powertools writes it, with nothing of ours: expires in 7 days from 10:00.
    const start = Date.parse('2026-12-04T10:00:00Z') / 1000;
    const probe = store();
    const key = await hashedKeyOf(probe, 'CHG-78');
    await dynamo.client.send(
      new PutItemCommand({
        TableName: dynamo.tableName,
        Item: {
          id: { S: key },
          expiration: { N: String(start + 7 * DAY_SECONDS) },
          status: { S: 'INPROGRESS' },
          in_progress_expiration: { N: String(start * 1000 + 60_000) },
        },
      }),
    );

    // Act
    const started = await recordStartOf('CHG-78', { ...probe, expiresAfterSeconds: 7 * DAY_SECONDS });

    // Assess
    expect(started).toEqual(new Date('2026-12-04T09:59:59Z'));
  });
});

/** The key Powertools gives the record of `requestId`: the one item a first run leaves. */
async function hashedKeyOf(probe: IdempotencyStore, requestId: string): Promise<string> {
  await idempotentByRequestId(async () => null, probe)({ requestId });
  const items = (await dynamo.client.send(new ScanCommand({ TableName: dynamo.tableName }))).Items ?? [];
  const key = items[0]?.id?.S;
  if (items.length !== 1 || key === undefined) throw new Error('expected one record');
  return key;
}
