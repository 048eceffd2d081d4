/**
 * How long the idempotency table remembers a snapshot request: as long as the snapshots it reports
 * live, so a request that waited for another request's snapshot (which carries that request's name,
 * not this one's) is not run again after a day into taking a second snapshot.
 */
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyCounts, type SnapshotJobResult } from '../../functions/actions/snapshot/model.ts';
import { idempotentSnapshotJob } from '../../functions/jobs/snapshot-once-table.ts';

const dynamo = mockClient(DynamoDBClient);
afterEach(() => {
  dynamo.reset();
});

const DAY_SECONDS = 86_400;

describe('idempotentSnapshotJob record lifetime', () => {
  it('remembers the result, with the snapshot it waited for, for the snapshots’ retention, not one day', async () => {
    // Prepare: the run waited for CHG-9's snapshot of db-a instead of taking its own.
    dynamo.on(PutItemCommand).resolves({});
    dynamo.on(UpdateItemCommand).resolves({});
    const result: SnapshotJobResult = {
      requestId: 'CHG-10',
      startedAt: '2026-12-04T10:00:00.000Z',
      finishedAt: '2026-12-04T10:20:00.000Z',
      results: [],
      counts: emptyCounts(),
      problems: [],
    };
    const job = idempotentSnapshotJob(
      async () => result,
      {
        tableName: 'certctl-backup-guard-idempotency',
        client: new DynamoDBClient({ region: 'eu-west-1' }),
        waitForFirstMs: 1000,
        longestRunMs: 1000,
      },
      { retentionDays: 14 },
    );
    const before = Math.floor(Date.now() / 1000);

    // Act
    await job({ requestId: 'CHG-10', reason: 'patch', requestedBy: 'ops' });

    // Assess: the finished record expires with the snapshots (14 days), so a later run of the same
    // request replays the snapshot it waited for rather than finding none under its own name.
    const saved = dynamo.commandCalls(UpdateItemCommand).at(-1)?.args[0].input;
    const expiry = Number(
      Object.entries(saved?.ExpressionAttributeValues ?? {}).find(([name]) => name.includes('expir'))?.[1]?.N,
    );
    expect(expiry).toBeGreaterThanOrEqual(before + 14 * DAY_SECONDS);
  });
});
