/**
 * Chat's once-per-request snapshot run when DynamoDB takes the in-progress record but then refuses
 * the result: the snapshots were taken, so the caller must get them, not an error.
 */
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { oncePerRequestId } from '../../functions/jobs/idempotency.ts';

const dynamo = mockClient(DynamoDBClient);
afterEach(() => {
  dynamo.reset();
});

describe('oncePerRequestId when the result cannot be recorded', () => {
  it('returns what the run did instead of failing, so snapshots taken are reported', async () => {
    // Prepare
    dynamo.on(PutItemCommand).resolves({});
    dynamo.on(UpdateItemCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    let runs = 0;

    // Act
    const outcome = await oncePerRequestId(
      'req-unrecorded',
      async () => {
        runs += 1;
        return { snapshots: ['certctl-premaint-db-1'] };
      },
      {
        tableName: 'certctl-backup-guard-idempotency',
        client: new DynamoDBClient({ region: 'eu-west-1' }),
        waitForFirstMs: 1000,
        longestRunMs: 1000,
      },
    );

    // Assess
    expect(outcome).toEqual({ firstRun: true, result: { snapshots: ['certctl-premaint-db-1'] } });
    expect(runs).toBe(1);
  });
});
