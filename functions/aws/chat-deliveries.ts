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

/** Write the marker of `deliveryKey`, expiring at `expiresAt` (epoch seconds), under `condition`. */
function putMarker(
  client: Pick<DynamoDBClient, 'send'>,
  tableName: string,
  deliveryKey: string,
  expiresAt: number,
  condition?: { readonly expression: string; readonly nowSeconds: number },
) {
  return client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: { id: { S: `${DELIVERY_PREFIX}${deliveryKey}` }, expiration: { N: String(expiresAt) } },
      ...(condition
        ? {
            ConditionExpression: condition.expression,
            ExpressionAttributeValues: { ':now': { N: String(condition.nowSeconds) } },
          }
        : {}),
    }),
  );
}

/**
 * A `firstDelivery` claim over `tableName` (functions/chatops/action.ts): until `until` (when the
 * run is stopped) when given, else for {@link DELIVERY_KEEP_SECONDS}.
 */
export function dynamoFirstDelivery(
  client: Pick<DynamoDBClient, 'send'>,
  tableName: string,
  now: () => Date = () => new Date(),
): (deliveryKey: string, until?: Date) => Promise<boolean> {
  return async (deliveryKey, until) => {
    const nowSeconds = Math.floor(now().getTime() / 1000);
    const expiresAt = until ? Math.ceil(until.getTime() / 1000) : nowSeconds + DELIVERY_KEEP_SECONDS;
    try {
      // DynamoDB's TTL deletes expired items only eventually: an expired marker counts as gone.
      await putMarker(client, tableName, deliveryKey, expiresAt, {
        expression: 'attribute_not_exists(id) OR expiration < :now',
        nowSeconds,
      });
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  };
}

/** The `deliveryDone` of {@link dynamoFirstDelivery}: the marker held for {@link DELIVERY_KEEP_SECONDS}. */
export function dynamoDeliveryDone(
  client: Pick<DynamoDBClient, 'send'>,
  tableName: string,
  now: () => Date = () => new Date(),
): (deliveryKey: string) => Promise<void> {
  return async (deliveryKey) => {
    const nowSeconds = Math.floor(now().getTime() / 1000);
    await putMarker(client, tableName, deliveryKey, nowSeconds + DELIVERY_KEEP_SECONDS);
  };
}
