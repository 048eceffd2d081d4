/**
 * The run records on the idempotency table, on a real DynamoDB implementation on loopback: what
 * `snapshot` writes, prune reads back for the snapshots it names, and nothing else.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendSnapshot } from '../../functions/actions/snapshot/backend.ts';
import { dynamoRunRecords } from '../../functions/aws/run-records-table.ts';
import { type LocalDynamo, startLocalDynamo } from '../jobs/dynalite.ts';

const PLACE = { provider: 'aws', account: '111111111111', region: 'eu-west-1' } as const;
const RECORD = {
  ...PLACE,
  kind: 'rds-instance',
  target: 'certctl-prod-db',
  snapshotId: 'certctl-premaint-certctl-prod-db-abc',
  ref: 'arn:aws:rds:eu-west-1:111111111111:snapshot:certctl-premaint-certctl-prod-db-abc',
} as const;

/** A listed snapshot of certctl-prod-db named `id`. */
const listed = (id: string): BackendSnapshot => ({
  id,
  kind: 'rds-instance',
  target: 'CERTCTL-PROD-DB',
  status: 'available',
  tags: {},
});

describe('run records on the idempotency table', () => {
  let dynamo: LocalDynamo;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });

  afterAll(async () => {
    await dynamo.close();
  });

  it('reads back the record of a snapshot written, in any case, and only for the snapshots asked about', async () => {
    // Prepare
    const records = dynamoRunRecords(dynamo.client, dynamo.tableName);
    await records.write(RECORD, new Date(Date.now() + 86_400_000));

    // Act
    const read = await records.read(PLACE, [
      listed('CERTCTL-PREMAINT-CERTCTL-PROD-DB-ABC'),
      listed('certctl-premaint-someone-else'),
    ]);

    // Assess
    expect(read).toEqual([RECORD]);
    expect(records.where).toBe(`DynamoDB table ${dynamo.tableName}`);
  });

  it('reads no record for another account, and none past its expiration that DynamoDB has not yet removed', async () => {
    // Prepare: a record expired an hour ago (TTL deletes only eventually).
    const records = dynamoRunRecords(dynamo.client, dynamo.tableName);
    const expired = { ...RECORD, snapshotId: 'certctl-premaint-certctl-prod-db-old' };
    await records.write(expired, new Date(Date.now() - 3_600_000));
    await records.write(RECORD, new Date(Date.now() + 86_400_000));

    // Act
    const elsewhere = await records.read({ ...PLACE, account: '222222222222' }, [listed(RECORD.snapshotId)]);
    const old = await records.read(PLACE, [listed(expired.snapshotId)]);

    // Assess
    expect(elsewhere).toEqual([]);
    expect(old).toEqual([]);
  });

  it('keeps its items apart from the idempotency records of the same table', async () => {
    // Prepare: a Powertools record whose id is the snapshot id alone.
    await dynamo.client.send(
      new PutItemCommand({
        TableName: dynamo.tableName,
        Item: { id: { S: 'certctl-premaint-x' }, expiration: { N: String(Date.now() / 1000 + 3600) } },
      }),
    );

    // Act
    const read = await dynamoRunRecords(dynamo.client, dynamo.tableName).read(PLACE, [
      listed('certctl-premaint-x'),
    ]);

    // Assess
    expect(read).toEqual([]);
  });
});
