/**
 * The idempotency table failing before or around a run: a table that does not exist, an endpoint
 * nothing listens on, a delete of the in-progress record refused after the run failed. Nothing may
 * run unrecorded, and the error names the table and the store's own error, never only Powertools'
 * "Failed to save in progress record to idempotency store".
 */
import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { BackupGuardError, InputError } from '../../functions/core/errors.ts';
import { runOncePerRequestId } from '../../functions/jobs/idempotency.ts';
import { type LocalDynamo, startLocalDynamo } from './dynalite.ts';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
});

describe('runOncePerRequestId when the idempotency table cannot be written', () => {
  it('runs nothing and names the table and DynamoDB’s error when the table does not exist', async () => {
    // Prepare
    let runs = 0;

    // Act
    const outcome = runOncePerRequestId(
      'req-no-table',
      async () => {
        runs += 1;
        return 'snapshots taken';
      },
      { tableName: 'certctl-no-such-table', client: dynamo.client, waitForFirstMs: 1000, longestRunMs: 1000 },
    );

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(BackupGuardError);
    await expect(outcome).rejects.toThrow(
      /idempotency table certctl-no-such-table could not be written \(ResourceNotFoundException: .+\), so request req-no-table was not run: nothing was snapshotted for it/,
    );
    expect(runs).toBe(0);
  });

  it('runs nothing and names the connection error when nothing answers at the endpoint', async () => {
    // Prepare
    const unreachable = new DynamoDBClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    let runs = 0;

    // Act
    const outcome = runOncePerRequestId(
      'req-unreachable',
      async () => {
        runs += 1;
        return 'snapshots taken';
      },
      { tableName: dynamo.tableName, client: unreachable, waitForFirstMs: 1000, longestRunMs: 1000 },
    );

    // Assess
    await expect(outcome).rejects.toThrow(
      new RegExp(`idempotency table ${dynamo.tableName} could not be written \\(ECONNREFUSED: `),
    );
    expect(runs).toBe(0);
    unreachable.destroy();
  });
});

describe('runOncePerRequestId when the run fails and its in-progress record cannot be removed', () => {
  it('throws the run’s own error, not the store’s', async () => {
    // Prepare
    const mocked = mockClient(DynamoDBClient);
    onTestFinished(() => mocked.restore());
    mocked.on(PutItemCommand).resolves({});
    mocked.on(DeleteItemCommand).rejects(new Error('ProvisionedThroughputExceededException'));

    const recordErrors: unknown[] = [];

    // Act
    const outcome = runOncePerRequestId(
      'req-run-failed',
      async () => {
        throw new InputError('no cloud to snapshot in was configured');
      },
      {
        tableName: 'certctl-backup-guard-idempotency',
        client: new DynamoDBClient({ region: 'eu-west-1' }),
        waitForFirstMs: 1000,
        longestRunMs: 1000,
        onRecordError: (error) => recordErrors.push(error),
      },
    );

    // Assess: no "result not recorded" warning either: there was no result.
    await expect(outcome).rejects.toThrow('no cloud to snapshot in was configured');
    expect(recordErrors).toEqual([]);
  });
});
