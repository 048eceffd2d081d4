/**
 * The first-delivery claim of `chat-action` against a real DynamoDB implementation on 127.0.0.1
 * (dynalite), in the idempotency table as the deployment creates it.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DELIVERY_KEEP_SECONDS,
  dynamoDeliveryDone,
  dynamoFirstDelivery,
} from '../../functions/aws/chat-deliveries.ts';
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
    expect([first, again, afterExpiry]).toEqual(['claimed', 'running', 'claimed']);
    expect(concurrent.filter((state) => state === 'claimed')).toHaveLength(1);
    expect(concurrent.filter((state) => state === 'running')).toHaveLength(2);
  });

  it('tells a delivery whose run still holds the marker (running) from one whose run was done', async () => {
    // Prepare: a 15-minute run; the first claims and dies (never done), the other ends.
    let now = new Date('2026-12-02T10:00:00Z');
    const firstDelivery = dynamoFirstDelivery(dynamo.client, dynamo.tableName, () => now);
    const deliveryDone = dynamoDeliveryDone(dynamo.client, dynamo.tableName, () => now);
    const until = () => new Date(now.getTime() + 15 * 60_000);

    // Act
    await firstDelivery('d'.repeat(64), until());
    await firstDelivery('e'.repeat(64), until());
    await deliveryDone('e'.repeat(64));
    now = new Date(now.getTime() + 60_000);
    const crashedSoon = await firstDelivery('d'.repeat(64), until());
    const doneSoon = await firstDelivery('e'.repeat(64), until());
    now = new Date(now.getTime() + 15 * 60_000);
    const crashedLate = await firstDelivery('d'.repeat(64), until());
    const doneLate = await firstDelivery('e'.repeat(64), until());

    // Assess
    expect([crashedSoon, doneSoon, crashedLate, doneLate]).toEqual(['running', 'done', 'claimed', 'done']);
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
