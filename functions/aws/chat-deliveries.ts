/**
 * The first delivery of a chat hand-off on AWS: a conditional `PutItem` of a small marker into the
 * idempotency table `chat-action` already writes (key `id`, TTL attribute `expiration`, as the
 * snapshot Lambda's table is created in infra/snapshot-jobs.ts), which succeeds once per delivery key
 * until the marker expires. Lambda may deliver an asynchronous event more than once
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html). The marker says whether
 * its run still runs (`state` running: claimed until the run would be stopped) or was done
 * (`state` done: held by {@link dynamoDeliveryDone}), so a repeat can be told from a delivery of a
 * run that may have crashed.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { ClaimState } from '../chatops/once.ts';

/** The key prefix of the markers, apart from Powertools' own records in the same table. */
const DELIVERY_PREFIX = 'chat-delivery#';

/**
 * How long a delivery is remembered: past the oldest event `chat-action` still runs (its maximum
 * event age, 25 minutes, infra/chat-ops.ts) plus its 15-minute run.
 */
export const DELIVERY_KEEP_SECONDS = 3600;

/** The state of a marker's run. */
export type MarkerState = 'running' | 'done';

/** Write the marker of `deliveryKey`, expiring at `expiresAt` (epoch seconds), under `condition`. */
function putMarker(
  client: Pick<DynamoDBClient, 'send'>,
  tableName: string,
  deliveryKey: string,
  marker: { readonly expiresAt: number; readonly state: MarkerState },
  condition?: { readonly expression: string; readonly nowSeconds: number },
) {
  return client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: {
        id: { S: `${DELIVERY_PREFIX}${deliveryKey}` },
        expiration: { N: String(marker.expiresAt) },
        state: { S: marker.state },
      },
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
 * The state of a delivery's marker, read strongly consistent, whether or not it expired (DynamoDB's
 * TTL deletes expired items only eventually): `absent` when there is none. A marker without a
 * state (written before markers had one) is taken as done, as it was then.
 */
async function markerState(
  client: Pick<DynamoDBClient, 'send'>,
  tableName: string,
  deliveryKey: string,
): Promise<MarkerState | 'absent'> {
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: tableName,
      Key: { id: { S: `${DELIVERY_PREFIX}${deliveryKey}` } },
      ConsistentRead: true,
    }),
  );
  if (!Item) return 'absent';
  return Item.state?.S === 'running' ? 'running' : 'done';
}

/**
 * The state of the marker that held off a claim; one gone since counts as running (another
 * delivery's claim came and went in between).
 */
async function heldState(
  client: Pick<DynamoDBClient, 'send'>,
  tableName: string,
  deliveryKey: string,
): Promise<Exclude<ClaimState, 'claimed'>> {
  const state = await markerState(client, tableName, deliveryKey);
  return state === 'absent' ? 'running' : state;
}

/**
 * What a delivery's run did, as its marker tells (for the notice of a run that did not finish,
 * functions/chatops/unfinished.ts): `absent` (never claimed: not started), `running` (claimed, never
 * ended: started and stopped or crashed), `done` (ended, its answer sent).
 */
export function dynamoDeliveryState(
  client: Pick<DynamoDBClient, 'send'>,
  tableName: string,
): (deliveryKey: string) => Promise<MarkerState | 'absent'> {
  return (deliveryKey) => markerState(client, tableName, deliveryKey);
}

/**
 * A `firstDelivery` claim over `tableName` (functions/chatops/action.ts): a running marker until
 * `until` (when the run is stopped) when given, else for {@link DELIVERY_KEEP_SECONDS}.
 */
export function dynamoFirstDelivery(
  client: Pick<DynamoDBClient, 'send'>,
  tableName: string,
  now: () => Date = () => new Date(),
): (deliveryKey: string, until?: Date) => Promise<ClaimState> {
  return async (deliveryKey, until) => {
    const nowSeconds = Math.floor(now().getTime() / 1000);
    const expiresAt = until ? Math.ceil(until.getTime() / 1000) : nowSeconds + DELIVERY_KEEP_SECONDS;
    try {
      // DynamoDB's TTL deletes expired items only eventually: an expired marker counts as gone.
      await putMarker(
        client,
        tableName,
        deliveryKey,
        { expiresAt, state: 'running' },
        { expression: 'attribute_not_exists(id) OR expiration < :now', nowSeconds },
      );
      return 'claimed';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return heldState(client, tableName, deliveryKey);
      throw error;
    }
  };
}

/** The `deliveryDone` of {@link dynamoFirstDelivery}: the marker held, done, for {@link DELIVERY_KEEP_SECONDS}. */
export function dynamoDeliveryDone(
  client: Pick<DynamoDBClient, 'send'>,
  tableName: string,
  now: () => Date = () => new Date(),
): (deliveryKey: string) => Promise<void> {
  return async (deliveryKey) => {
    const nowSeconds = Math.floor(now().getTime() / 1000);
    await putMarker(client, tableName, deliveryKey, {
      expiresAt: nowSeconds + DELIVERY_KEEP_SECONDS,
      state: 'done',
    });
  };
}
