/**
 * The first-delivery claim of `chat-action` against a real DynamoDB implementation on 127.0.0.1
 * (dynalite), in the idempotency table as the deployment creates it.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_KEEP_SECONDS, dynamoFirstDelivery } from '../../functions/aws/chat-deliveries.ts';
import { type LocalDynamo, startLocalDynamo } from '../jobs/dynalite.ts';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
});

describe('dynamoFirstDelivery', () => {
  it('grants a delivery key once, concurrently too, and again once its marker expired', async () => {
    // Prepare
    let now = new Date('2026-12-02T10:00:00Z');
    const firstDelivery = dynamoFirstDelivery(dynamo.client, dynamo.tableName, () => now);

    // Act
    const first = await firstDelivery('a'.repeat(64));
    const again = await firstDelivery('a'.repeat(64));
    const concurrent = await Promise.all([1, 2, 3].map(() => firstDelivery('b'.repeat(64))));
    now = new Date(now.getTime() + (DELIVERY_KEEP_SECONDS + 1) * 1000);
    const afterExpiry = await firstDelivery('a'.repeat(64));

    // Assess
    expect([first, again, afterExpiry]).toEqual([true, false, true]);
    expect(concurrent.filter(Boolean)).toHaveLength(1);
  });

  it('keeps its markers apart from the idempotency records, with the table’s TTL attribute', async () => {
    // Prepare
    const now = new Date('2026-12-02T10:00:00Z');

    // Act
    await dynamoFirstDelivery(dynamo.client, dynamo.tableName, () => now)('c'.repeat(64));
    const stored = await dynamo.client.send(
      new GetItemCommand({
        TableName: dynamo.tableName,
        Key: { id: { S: `chat-delivery#${'c'.repeat(64)}` } },
      }),
    );

    // Assess
    expect(stored.Item?.expiration?.N).toBe(String(now.getTime() / 1000 + DELIVERY_KEEP_SECONDS));
  });
});
