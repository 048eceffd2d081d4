/**
 * The first delivery of a chat hand-off on AWS: a conditional `PutItem` of a small marker into the
 * idempotency table `chat-action` already writes (key `id`, TTL attribute `expiration`, as the
 * snapshot Lambda's table is created in infra/snapshot-jobs.ts), which succeeds once per delivery key
 * until the marker expires. Lambda may deliver an asynchronous event more than once
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';

/** The key prefix of the markers, apart from Powertools' own records in the same table. */
const DELIVERY_PREFIX = 'chat-delivery#';

/**
 * How long a delivery is remembered: past the oldest event `chat-action` still runs (its maximum
 * event age, 25 minutes, infra/chat-ops.ts) plus its 15-minute run.
 */
export const DELIVERY_KEEP_SECONDS = 3600;

/** A `firstDelivery` claim over `tableName` (functions/chatops/action.ts). */
export function dynamoFirstDelivery(
  client: Pick<DynamoDBClient, 'send'>,
  tableName: string,
  now: () => Date = () => new Date(),
): (deliveryKey: string) => Promise<boolean> {
  return async (deliveryKey) => {
    const nowSeconds = Math.floor(now().getTime() / 1000);
    try {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            id: { S: `${DELIVERY_PREFIX}${deliveryKey}` },
            expiration: { N: String(nowSeconds + DELIVERY_KEEP_SECONDS) },
          },
          // DynamoDB's TTL deletes expired items only eventually: an expired marker counts as gone.
          ConditionExpression: 'attribute_not_exists(id) OR expiration < :now',
          ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  };
}
