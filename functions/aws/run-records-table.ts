/**
 * The run records of our snapshots (functions/actions/snapshot/run-records.ts) on the idempotency
 * table the snapshot entry points already write (key `id`, TTL attribute `expiration`, as
 * infra/snapshot-jobs.ts creates it): one item per snapshot, keyed by its provider, account, kind,
 * database and id, kept past the snapshot's expiry. Plain `PutItem` and `GetItem`, the calls the
 * snapshot entry points are already granted on the table.
 */
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { BackendSnapshot } from '../actions/snapshot/backend.ts';
import type { SnapshotKind } from '../actions/snapshot/model.ts';
import {
  runRecordKey,
  type SnapshotRunRecord,
  type SnapshotRunRecordStore,
} from '../actions/snapshot/run-records.ts';

/** The key prefix of the run records, apart from Powertools' own records in the same table. */
const RUN_RECORD_PREFIX = 'snapshot-run-record#';

/** The item id of a record naming `snapshot` of `provider`/`account`. */
function itemId(
  provider: string,
  account: string,
  snapshot: { readonly kind: string; readonly target: string; readonly snapshotId: string },
): string {
  return `${RUN_RECORD_PREFIX}${runRecordKey(provider, account, snapshot)}`;
}

/** The run records in DynamoDB table `tableName`. */
export function dynamoRunRecords(
  client: Pick<DynamoDBClient, 'send'>,
  tableName: string,
): SnapshotRunRecordStore {
  return {
    where: `DynamoDB table ${tableName}`,
    write: async (record, keepUntil) => {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            id: { S: itemId(record.provider, record.account, record) },
            expiration: { N: String(Math.ceil(keepUntil.getTime() / 1000)) },
            provider: { S: record.provider },
            account: { S: record.account },
            region: { S: record.region },
            kind: { S: record.kind },
            target: { S: record.target },
            snapshotId: { S: record.snapshotId },
            ...(record.ref === undefined ? {} : { ref: { S: record.ref } }),
          },
        }),
      );
    },
    // One GetItem per snapshot prune asks about (its expired snapshots and candidate restore
    // points: prune.ts runRecordsToRead, bounded by the manual snapshot quota), strongly consistent: a record
    // written just before is found. An item past its `expiration` is not yet deleted by DynamoDB's
    // TTL (which deletes eventually), and is ignored as if it were.
    read: async (place, snapshots) => {
      const nowSeconds = Date.now() / 1000;
      const items = await Promise.all(
        snapshots.map((snapshot: BackendSnapshot) =>
          client.send(
            new GetItemCommand({
              TableName: tableName,
              Key: {
                id: { S: itemId(place.provider, place.account, { ...snapshot, snapshotId: snapshot.id }) },
              },
              ConsistentRead: true,
            }),
          ),
        ),
      );
      return items.flatMap(({ Item }): SnapshotRunRecord[] => {
        if (!Item || Number(Item.expiration?.N ?? 0) < nowSeconds) return [];
        const text = (name: string) => Item[name]?.S ?? '';
        return [
          {
            provider: text('provider'),
            account: text('account'),
            region: text('region'),
            kind: text('kind') as SnapshotKind,
            target: text('target'),
            snapshotId: text('snapshotId'),
            ...(Item.ref?.S === undefined ? {} : { ref: Item.ref.S }),
          },
        ];
      });
    },
  };
}
