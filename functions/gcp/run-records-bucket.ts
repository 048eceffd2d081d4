/**
 * The run records of our snapshots (functions/actions/snapshot/run-records.ts) in the GCP
 * deployment's records bucket, where the `snapshot` function and chat-action already keep their
 * request records (./chat-records.ts), under their own prefix ({@link SNAPSHOT_RUN_RECORDS_PREFIX}):
 * one small JSON object per backup, named by its provider, project, kind, instance and id, holding
 * the record and until when it is kept. A lifecycle rule on the prefix (infra/gcp/plan.ts
 * planRecordsBucket) deletes it after that, as DynamoDB's TTL deletes the AWS records
 * (../aws/run-records-table.ts), and a record found past its keep time is ignored as if deleted.
 *
 * Plain REST over fetch, retried as every Google REST call (./rest-request.ts), with the calls the
 * functions are already granted on that bucket alone (infra/gcp/plan.ts CHAT_RECORDS_PERMISSIONS):
 * - write: `POST /upload/storage/v1/b/{bucket}/o?uploadType=media&name=…`, replacing a record of the
 *   same backup (its ref learnt later), as DynamoDB's PutItem does: storage.objects.create, and
 *   storage.objects.delete to replace;
 * - read: `GET /storage/v1/b/{bucket}/o/{name}?alt=media` per backup prune would delete
 *   (storage.objects.get, all prune needs), 404 when none names it.
 * A record that is there but cannot be read, or is not a run record, throws: prune then deletes
 * nothing of that place (functions/jobs/prune.ts), never takes it as absent or as proof.
 */
import type { BackendSnapshot } from '../actions/snapshot/backend.ts';
import type { SnapshotKind } from '../actions/snapshot/model.ts';
import {
  runRecordKey,
  type SnapshotRunRecord,
  type SnapshotRunRecordStore,
} from '../actions/snapshot/run-records.ts';
import { jsonObjectOf } from '../core/json-object.ts';
import { SNAPSHOT_RUN_RECORDS_PREFIX } from './chat-environment.ts';
import { CloudStorageApiError, type CloudStorageBucketOptions, cloudStorageObjects } from './chat-records.ts';
import type { RestClientSource } from './rest-request.ts';

export { SNAPSHOT_RUN_RECORDS_PREFIX };

/** Where the run records are and how to reach them: a bucket, as the request records' (./chat-records.ts). */
export type CloudStorageRunRecordsOptions = CloudStorageBucketOptions;

/** The run records in `bucket`, one object `{prefix}{runRecordKey}.json` each (the module comment). */
export function cloudStorageRunRecords(options: CloudStorageRunRecordsOptions): SnapshotRunRecordStore {
  const { base, rest, bucket } = cloudStorageObjects(options);
  const nameOf = (
    provider: string,
    account: string,
    snapshot: { readonly kind: string; readonly target: string; readonly snapshotId: string },
  ) => `${SNAPSHOT_RUN_RECORDS_PREFIX}${runRecordKey(provider, account, snapshot)}.json`;

  /** The record `name` holds, or undefined when there is none or it is past its keep time. */
  const readRecord = async (name: string, now: Date): Promise<SnapshotRunRecord | undefined> => {
    const answer = await rest.request({
      what: `Cloud Storage GET b/${options.bucket}/o/${name}`,
      url: `${base}/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}?alt=media`,
      accept: '*/*',
      answered: [404],
    });
    if (answer.status === 404) return undefined;
    const stored = storedRecordOf(answer.text);
    if (stored === undefined) {
      throw new CloudStorageApiError(
        `Cloud Storage object gs://${options.bucket}/${name} is not a run record (not JSON with a provider, project, region, kind, instance, id and keepUntil)`,
        answer.status,
        'NotARunRecord',
      );
    }
    return Date.parse(stored.keepUntil) < now.getTime() ? undefined : stored.record;
  };

  return {
    where: `Cloud Storage gs://${options.bucket}/${SNAPSHOT_RUN_RECORDS_PREFIX}`,
    async write(record, keepUntil) {
      const name = nameOf(record.provider, record.account, record);
      const query = new URLSearchParams({ uploadType: 'media', name });
      await rest.request({
        what: `Cloud Storage POST b/${options.bucket}/o/${name}`,
        method: 'POST',
        url: `${base}/upload/storage/v1/b/${bucket}/o?${query}`,
        contentType: 'application/json',
        body: JSON.stringify({ ...record, keepUntil: keepUntil.toISOString() }),
      });
    },
    // One GET per backup prune would delete (a few per run), each strongly consistent after its write.
    async read(place, snapshots) {
      const now = new Date();
      const records = await Promise.all(
        snapshots.map((snapshot: BackendSnapshot) =>
          readRecord(nameOf(place.provider, place.account, { ...snapshot, snapshotId: snapshot.id }), now),
        ),
      );
      return records.filter((record): record is SnapshotRunRecord => record !== undefined);
    },
  };
}

/** Every snapshot kind, each once (a kind added to SnapshotKind must be added here). */
const KINDS: Record<SnapshotKind, true> = {
  'rds-instance': true,
  'aurora-cluster': true,
  'cloudsql-instance': true,
};

/** A record and its keep time as {@link cloudStorageRunRecords} wrote them, or undefined when `text` is not one. */
function storedRecordOf(text: string): { record: SnapshotRunRecord; keepUntil: string } | undefined {
  const fields = jsonObjectOf(text);
  if (fields === undefined) return undefined;
  const textOf = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : undefined);
  const [provider, account, region, kind, target, snapshotId, keepUntil] = [
    'provider',
    'account',
    'region',
    'kind',
    'target',
    'snapshotId',
    'keepUntil',
  ].map(textOf);
  if (
    provider === undefined ||
    account === undefined ||
    region === undefined ||
    target === undefined ||
    snapshotId === undefined ||
    keepUntil === undefined ||
    Number.isNaN(Date.parse(keepUntil)) ||
    kind === undefined ||
    !Object.hasOwn(KINDS, kind) ||
    (fields.ref !== undefined && typeof fields.ref !== 'string')
  ) {
    return undefined;
  }
  const ref = textOf('ref');
  return {
    record: {
      provider,
      account,
      region,
      kind: kind as SnapshotKind,
      target,
      snapshotId,
      ...(ref === undefined ? {} : { ref }),
    },
    keepUntil,
  };
}

/**
 * The run records in `bucket` with `clients`' endpoint or credentials: with an endpoint (the
 * simulator) unauthenticated, in production signed by the credentials the factory resolves once
 * (the cloud-platform scope covers Cloud Storage), as ./chat-records.ts chatRecordsOf.
 */
export function runRecordsBucketOf(clients: RestClientSource, bucket: string): SnapshotRunRecordStore {
  if (clients.endpoint) return cloudStorageRunRecords({ bucket, endpoint: clients.endpoint });
  return cloudStorageRunRecords({
    bucket,
    auth: { getRequestHeaders: async () => (await clients.credentials()).getRequestHeaders() },
  });
}
