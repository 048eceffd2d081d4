/**
 * The GCP request records in Cloud Storage (the chat function's, and the `snapshot` function's
 * under their own prefix): one small JSON object per request
 * key, written with generation preconditions (`ifGenerationMatch=0` creates only if absent, and a
 * replace or delete names the generation it read), which is the conditional write DynamoDB gives
 * Powertools on AWS (https://cloud.google.com/storage/docs/request-preconditions). Cloud Storage
 * rather than Firestore: the simulator speaks it, it is strongly consistent for these reads after
 * writes, a lifecycle rule per prefix (infra/gcp/plan.ts planRecordsBucket: chat records after 2 days,
 * snapshot records a day after `snapshots.expiryDays`) expires old records as DynamoDB's TTL does, and it
 * needs no Firestore database in the project.
 *
 * Plain REST over fetch (the Cloud Storage JSON API v1,
 * https://cloud.google.com/storage/docs/json_api/v1/objects), signed with the credentials the GCP
 * client factory resolved and retried as every Google REST call (./rest-request.ts): every
 * invocation of the chat function reads or writes a record, and `@google-cloud/storage` with its
 * HTTP stack was more than half of what the function loaded at cold start. The calls:
 * - create: `POST /upload/storage/v1/b/{bucket}/o?uploadType=media&name=…&ifGenerationMatch=0`;
 * - read: `GET /storage/v1/b/{bucket}/o/{name}?alt=media`, the version in `x-goog-generation`
 *   (one round trip, where the library read the metadata and then the bytes);
 * - replace: the same upload with `ifGenerationMatch={version}`;
 * - remove: `DELETE /storage/v1/b/{bucket}/o/{name}?ifGenerationMatch={version}`.
 *
 * Every write is conditional, so a retry cannot overwrite someone else's record; but a retried
 * write whose lost first attempt took effect answers 412 to its own write. A write answered 412
 * after more than one attempt therefore reads the record back, and one holding exactly the bytes it
 * sent is its own (see {@link cloudStorageRecordStore}).
 */
import { randomUUID } from 'node:crypto';
import type { RequestRecord, RequestRecordStore, StoredRecord } from '../chatops/once.ts';
import { jsonObjectOf } from '../core/json-object.ts';
import { CHAT_RECORDS_PREFIX, SNAPSHOT_RECORDS_PREFIX } from './chat-environment.ts';
import type { GcpClientFactory } from './clients.ts';
import { GcpApiError, GcpRestClient, type GcpRestRetry, type RequestSigner } from './rest-request.ts';

export { CHAT_RECORDS_PREFIX, SNAPSHOT_RECORDS_PREFIX };

/** Production base URL of the Cloud Storage JSON API. */
export const CLOUD_STORAGE_URL = 'https://storage.googleapis.com';

/** A Cloud Storage call failed, or answered what is not a request record. */
export class CloudStorageApiError extends GcpApiError {
  constructor(message: string, status: number, code: string, options?: ErrorOptions) {
    super(message, status, code, options);
    this.name = 'CloudStorageApiError';
  }
}

export interface CloudStorageRecordStoreOptions {
  readonly bucket: string;
  /** @default {@link CHAT_RECORDS_PREFIX} */
  readonly prefix?: string;
  /** Base URL of a local Cloud Storage API (the simulator); production leaves it unset. */
  readonly endpoint?: string;
  /** Signs production requests; none with an endpoint (local APIs take no auth). */
  readonly auth?: RequestSigner;
  readonly retry?: GcpRestRetry;
  /** @default the global fetch */
  readonly fetch?: typeof fetch;
}

/** How a store of records in a Cloud Storage bucket reaches it ({@link CloudStorageRecordStoreOptions}). */
export type CloudStorageBucketOptions = Omit<CloudStorageRecordStoreOptions, 'prefix'>;

/**
 * The JSON API's base URL, a REST client whose errors are {@link CloudStorageApiError}s, and the
 * bucket's name as a URL path segment: what each store of records in a bucket starts from (this
 * one and ./run-records-bucket.ts).
 */
export function cloudStorageObjects(options: CloudStorageBucketOptions): {
  readonly base: string;
  readonly rest: GcpRestClient;
  readonly bucket: string;
} {
  return {
    base: (options.endpoint ?? CLOUD_STORAGE_URL).replace(/\/$/, ''),
    rest: new GcpRestClient({
      ...(options.auth ? { auth: options.auth } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      errorClass: CloudStorageApiError,
    }),
    bucket: encodeURIComponent(options.bucket),
  };
}

/**
 * The request records in `bucket`, one object `{prefix}{key}.json` each, as the module comment says.
 * A write answered 412 after a retry takes the record as its own when it holds exactly the bytes
 * the write sent, which carry a random mark of that write (`writer`), so another caller's record
 * of the same content is never taken for ours; the alternative, a lost answer read as someone
 * else's claim, is a snapshot reported "in progress" for the claim's whole lifetime or a chat
 * delivery never answered.
 */
export function cloudStorageRecordStore(options: CloudStorageRecordStoreOptions): RequestRecordStore {
  const { base, rest, bucket } = cloudStorageObjects(options);
  const prefix = options.prefix ?? CHAT_RECORDS_PREFIX;
  const nameOf = (key: string) => `${prefix}${key}.json`;
  const objectUrl = (name: string) => `${base}/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`;

  /** The object's bytes and generation, or undefined when it does not exist. */
  const readObject = async (name: string) => {
    const answer = await rest.request({
      what: `Cloud Storage GET b/${options.bucket}/o/${name}`,
      url: `${objectUrl(name)}?alt=media`,
      accept: '*/*',
      answered: [404],
    });
    if (answer.status === 404) return undefined;
    const generation = answer.headers.get('x-goog-generation');
    if (!generation || !/^\d+$/.test(generation)) {
      throw new CloudStorageApiError(
        `Cloud Storage GET b/${options.bucket}/o/${name} answered without its generation (x-goog-generation)`,
        answer.status,
        'MissingGeneration',
      );
    }
    return { text: answer.text, generation };
  };

  /** Upload `record` if the object is at `ifGenerationMatch` (0: absent): its new generation. */
  const write = async (
    key: string,
    record: RequestRecord,
    ifGenerationMatch: string,
  ): Promise<string | undefined> => {
    const name = nameOf(key);
    // The write's own mark: a read-back after a lost answer takes the object as ours only when it
    // holds these very bytes, which no other write (another delivery of the same request in the
    // same millisecond, with the same record) can hold. Readers ignore the field.
    const body = JSON.stringify({ ...record, writer: randomUUID() });
    const what = `Cloud Storage POST b/${options.bucket}/o/${name}`;
    const query = new URLSearchParams({ uploadType: 'media', name, ifGenerationMatch });
    const answer = await rest.request({
      what,
      method: 'POST',
      url: `${base}/upload/storage/v1/b/${bucket}/o?${query}`,
      contentType: 'application/json',
      body,
      answered: [412],
    });
    if (answer.status === 412) {
      if (answer.attempts === 1) return undefined;
      // A retry may answer 412 to a first attempt that took effect but whose answer was lost.
      const current = await readObject(name);
      return current?.text === body ? current.generation : undefined;
    }
    let generation: unknown;
    try {
      generation = (JSON.parse(answer.text) as { generation?: unknown }).generation;
    } catch {
      generation = undefined;
    }
    if (typeof generation !== 'string' || !/^\d+$/.test(generation)) {
      throw new CloudStorageApiError(
        `${what} answered ${answer.status} without the object's generation`,
        answer.status,
        'MissingGeneration',
      );
    }
    return generation;
  };

  return {
    create: (key, record) => write(key, record, '0'),
    async read(key): Promise<StoredRecord | undefined> {
      const name = nameOf(key);
      const found = await readObject(name);
      if (!found) return undefined;
      const record = requestRecordOf(found.text);
      if (!record) {
        throw new CloudStorageApiError(
          `Cloud Storage object gs://${options.bucket}/${name} is not a request record (not JSON with a status and an expiresAt)`,
          200,
          'NotARequestRecord',
        );
      }
      return { record, version: found.generation };
    },
    async replace(key, record, version) {
      return (await write(key, record, version)) !== undefined;
    },
    async remove(key, version) {
      const name = nameOf(key);
      await rest.request({
        what: `Cloud Storage DELETE b/${options.bucket}/o/${name}`,
        method: 'DELETE',
        url: `${objectUrl(name)}?${new URLSearchParams({ ifGenerationMatch: version })}`,
        // Gone already, or rewritten by whoever took the key over: theirs to keep.
        answered: [404, 412],
      });
    },
  };
}

/** The record in `text`, or undefined when it is not one. */
function requestRecordOf(text: string): RequestRecord | undefined {
  const parsed = jsonObjectOf(text);
  if (parsed === undefined) return undefined;
  const { status, expiresAt } = parsed;
  if (typeof expiresAt !== 'string' || Number.isNaN(Date.parse(expiresAt))) return undefined;
  if (status === 'INPROGRESS') {
    const { acceptedAt } = parsed;
    return typeof acceptedAt === 'string' ? { status, expiresAt, acceptedAt } : { status, expiresAt };
  }
  if (status === 'COMPLETED') return { status, expiresAt, result: parsed.result };
  return undefined;
}

/**
 * The chat function's records in `bucket` with `clients`' endpoint or credentials: with an endpoint
 * (the simulator) unauthenticated, in production signed by the credentials the factory resolves
 * once (the cloud-platform scope covers Cloud Storage), so missing credentials are the factory's
 * one CredentialsError.
 */
export function chatRecordsOf(
  clients: GcpClientFactory,
  bucket: string,
  prefix: string = CHAT_RECORDS_PREFIX,
): RequestRecordStore {
  if (clients.endpoint) return cloudStorageRecordStore({ bucket, prefix, endpoint: clients.endpoint });
  return cloudStorageRecordStore({
    bucket,
    prefix,
    auth: { getRequestHeaders: async () => (await clients.credentials()).getRequestHeaders() },
  });
}

/** The `snapshot` function's records in `bucket` ({@link SNAPSHOT_RECORDS_PREFIX}), as {@link chatRecordsOf}. */
export function snapshotRecordsOf(clients: GcpClientFactory, bucket: string): RequestRecordStore {
  return chatRecordsOf(clients, bucket, SNAPSHOT_RECORDS_PREFIX);
}
