/**
 * Reads one Cloud Storage dump location into a neutral `DumpFact`, like functions/aws/s3-dumps.ts:
 * the series under the prefix (objects.list, bounded by `maxObjectsListed`), the first
 * {@link PG_DUMP_HEADER_BYTES} of the newest object that may be a dump (with no suffix, not a
 * checksum, signature or log by its key: core/dump-facts.ts newestPossibleDump;
 * `download({ start, end })`, a ranged
 * `alt=media` read of the generation objects.list named; ranged reads skip checksum validation, so
 * none is asked for) and, beside them,
 * its last {@link PG_DUMP_TAIL_BYTES} (`download({ end: -64 })`, which the library sends as the
 * suffix range `Range: bytes=-64`; the JSON API documents `bytes=-N` as the last N bytes,
 * https://cloud.google.com/storage/docs/json_api/v1/parameters), and the bucket's protections from
 * one buckets.get. The newest dump's own retention (Object Retention Lock) and each listed object's
 * holds (`temporaryHold`, `eventBasedHold`) come with objects.list, at no extra call.
 *
 * buckets.get leaves out what was never set: no `retentionPolicy`, `versioning` or `lifecycle`
 * reads as `absent` (a `softDeletePolicy` left out is `unknown`: soft delete off is a duration of
 * 0, and a retention policy without its period is `unknown`, as is a lifecycle with a rule on the
 * prefix whose action is not sent or not one this adapter knows); a bucket without
 * `encryption.defaultKmsKeyName` is encrypted with Google-managed keys (Cloud Storage encrypts
 * everything at rest). A failed buckets.get makes every bucket setting `unknown`, never `absent`.
 *
 * buckets.get comes first, and its `projectNumber` must be the number of the project the policy
 * places the bucket in (Resource Manager projects.get, ./resource-manager.ts, once per project
 * scope): bucket names are global, so a bucket of the configured name may be another project's. A
 * bucket not proven the project's (another owner, a number not had, a failed buckets.get) is neither
 * listed nor read: every reading is `unknown`, and the dumps checks judge it on its `ownership`
 * alone (functions/checks/dumps/ownership.ts).
 *
 * The default key's state, when the run has a Cloud KMS client: cryptoKeys.get of the key (its
 * primary version's `state` and `destroyTime`, functions/gcp/cloud-kms.ts readCloudKmsKey, which
 * the keys audit reads secrets' keys with), once per distinct key per project scope
 * ({@link collectGcsDumpFacts}). The primary is the version Cloud KMS encrypts new data with, so
 * new dumps. The newest object's own `kmsKeyName` (objects.list sends it: the key version it was
 * written with) may name another version or another key: a dump written before a rotation stays
 * under the older version, and "if you have both a default key set on your bucket and a specific
 * key included in your request, Cloud Storage uses the specific key"
 * (https://cloud.google.com/storage/docs/encryption/customer-managed-keys), so a default changed
 * since the upload leaves the dump under the old key. Unless it is the default key's primary, that
 * version's own state is read (cryptoKeyVersions.get, once per version and scope) and kept as the
 * newest dump's own encryption. A key read that is refused keeps the key's state unknown
 * (`keyStateUnknown`); one throttled or failed on Cloud KMS's side after the retries fails the scope,
 * as every read here that says nothing of the location does (throttled, as Cloud Storage's 429; a
 * server error; a timeout: core/errors.ts saysNothingOfTheResource), and as the keys audit's do. A newest dump objects.list names no key for, under
 * a Cloud KMS default, was written with Google-managed keys before the default was set, and is kept
 * as such; one under a customer-supplied key (CSEK) too ({@link withListedEncryption}).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import type { Bucket, File, GetFilesOptions, Storage } from '@google-cloud/storage';
import { mapWithConcurrency } from '../core/audit.ts';
import { backoffDelay } from '../core/backoff.ts';
import type {
  BucketOwnership,
  BucketReading,
  ByteReading,
  DumpFact,
  DumpLifecycleRule,
  DumpListing,
  DumpObject,
  EncryptionConfig,
  NewestDump,
  ObjectHolds,
  ObjectRetention,
  OlderDumpKey,
  PublicAccessConfig,
  RetentionLockConfig,
  VersioningConfig,
} from '../core/dump-facts.ts';
import {
  dumpResourceId,
  holdsNoDump,
  isSeriesObject,
  narrowerPrefixes,
  newestDumpRead,
  newestPossibleDump,
  rulePrefixApplies,
  sortOldestFirst,
} from '../core/dump-facts.ts';
import type { DumpsPolicy } from '../core/dumps-policy.ts';
import {
  describeError,
  quotedAnswer,
  refusalAdvice,
  refusalNotOfPermission,
  saysNothingOfTheResource,
  failScopeOnCallFailure as sharedFailScopeOnCallFailure,
} from '../core/errors.ts';
import type { EncryptionKey } from '../core/key-facts.ts';
import { pageTokens } from '../core/paging.ts';
import { PG_DUMP_HEADER_BYTES } from '../core/pg-dump-header.ts';
import { PG_DUMP_TAIL_BYTES } from '../core/pg-dump-tail.ts';
import { scopeSignal } from '../core/scope-calls.ts';
import { type CloudKmsApi, cloudKmsKeyReader, cloudKmsReadRemedy, keyOfVersion } from './cloud-kms.ts';
import type { GcpCollector } from './collectors.ts';
import {
  PROJECT_GET_PERMISSION,
  type ProjectNumberReading,
  type ResourceManagerApi,
  readProjectNumber,
} from './resource-manager.ts';
import { errorInfoOf } from './rest-request.ts';

/** objects.list returns at most 1,000 items a page. */
const GCS_PAGE_LIMIT = 1000;

/** A Cloud Storage client's `retryOptions` (the library's RetryOptions, which it does not export). */
type RetryOptions = Storage['retryOptions'];

const SECONDS_PER_DAY = 86_400;

export interface GcsDumpLocation {
  readonly bucket: string;
  readonly prefix: string;
  /** Only keys ending with this are dumps ({@link isSeriesObject}); empty or undefined: every object. */
  readonly suffix?: string;
  readonly project: string;
  /** Where the policy says the bucket is; buckets.get's `location` corrects it ({@link regionOf}). */
  readonly region: string;
}

/**
 * Reads a Cloud KMS key's primary version (cryptoKeys.get), or the named version of it
 * (cryptoKeyVersions.get), once per key or version for its life.
 */
export type GcsKeyReader = (keyName: string, versionName?: string) => Promise<EncryptionKey>;

export interface ReadGcsDumpsOptions {
  readonly storage: Storage;
  /**
   * The client of the ranged object reads, its automatic retries off ({@link readRange} retries
   * them itself); without it they go through `storage`, retried (or not) as it is configured.
   */
  readonly objectReads?: Storage;
  readonly location: GcsDumpLocation;
  readonly maxObjectsListed: number;
  /** Reads the state of the keys that encrypt the dumps; without it their state is not read. */
  readonly readKey?: GcsKeyReader;
  /**
   * The number of `location.project` (projects.get), or its read in flight: the bucket must belong to
   * it ({@link bucketOwnership}).
   */
  readonly owner: ProjectNumberReading | Promise<ProjectNumberReading>;
}

/** The parts of a buckets.get answer this adapter reads (all optional: the API omits unset ones). */
interface BucketMetadata {
  readonly selfLink?: string;
  /** The number of the project the bucket belongs to (an unsigned long, sent as a string). */
  readonly projectNumber?: string | number;
  /** Where the bucket is: a region, dual-region or multi-region, upper-cased (`EU`, `US-CENTRAL1`). */
  readonly location?: string;
  readonly versioning?: { readonly enabled?: boolean };
  readonly retentionPolicy?: { readonly retentionPeriod?: string | number; readonly isLocked?: boolean };
  readonly lifecycle?: {
    readonly rule?: readonly {
      readonly action?: { readonly type?: string };
      /** Every condition as sent: those not named here are kept as unmodelled conditions. */
      readonly condition?: {
        readonly age?: number;
        readonly createdBefore?: string;
        readonly matchesPrefix?: readonly string[];
        readonly isLive?: boolean;
        readonly numNewerVersions?: number;
        readonly daysSinceNoncurrentTime?: number;
        readonly noncurrentTimeBefore?: string;
        readonly [other: string]: unknown;
      };
    }[];
  };
  readonly iamConfiguration?: { readonly publicAccessPrevention?: string };
  readonly encryption?: { readonly defaultKmsKeyName?: string };
  readonly softDeletePolicy?: { readonly retentionDurationSeconds?: string | number };
}

/** The Cloud Storage API's service name, which `gcloud services enable` takes. */
const STORAGE_SERVICE = 'storage.googleapis.com';

/**
 * Why Cloud Storage refused a call when no role fixes it ({@link refusalNotOfPermission}), or
 * undefined. The library's ApiError keeps the answer's `errors[]` and the HTTP response, whose
 * `body` is the answer parsed or, when its content type is not exactly `application/json`, its text
 * (nodejs-common util.js ApiError, teeny-request), but not the answer's `details[]`: the AIP-193
 * ErrorInfo (SERVICE_DISABLED, naming the service and the consumer project) is read from that body.
 * The JSON API's own form of a disabled API is `errors[].reason` accessNotConfigured (domain
 * usageLimits: "Access Not Configured. Cloud Storage JSON API has not been used in project … before
 * or it is disabled"), read as SERVICE_DISABLED of {@link STORAGE_SERVICE}.
 */
function storageRefusal(error: unknown, answer?: StorageErrorAnswer): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { response, errors } = error as { response?: { body?: unknown }; errors?: unknown };
  // A media read's answer is in the message ({@link storageErrorAnswer}), not in `response.body`.
  const body = response?.body ?? answer?.text;
  const info =
    body === undefined ? undefined : errorInfoOf(typeof body === 'string' ? body : JSON.stringify(body));
  const notConfigured =
    answer?.reason === 'accessNotConfigured' ||
    (Array.isArray(errors) &&
      errors.some(
        (entry: unknown) => (entry as { reason?: unknown } | null)?.reason === 'accessNotConfigured',
      ));
  const carrier = info?.reason
    ? { reason: info.reason, errorInfoMetadata: info.metadata }
    : notConfigured
      ? { reason: 'SERVICE_DISABLED' }
      : undefined;
  return carrier && refusalNotOfPermission(carrier, { service: STORAGE_SERVICE });
}

/** What Google's JSON error answer says (`{"error": {code, message, errors: [{reason}], status}}`). */
interface StorageErrorAnswer {
  /** The answer as sent. */
  readonly text: string;
  readonly code?: number;
  readonly message?: string;
  /** `errors[0].reason` (`forbidden`), else `status` (`PERMISSION_DENIED`), when an identifier. */
  readonly reason?: string;
}

/**
 * The JSON error answer a message holds, or undefined when it holds none. On a media read
 * (File.createReadStream, which download uses) the library sets the error's message to the answer's
 * body as sent, JSON and all (@google-cloud/storage file.js `onResponse`: `err.message =
 * body.toString('utf8')`), where its other calls put the answer's own message there (nodejs-common
 * util.js ApiError).
 */
function storageErrorAnswer(text: string): StorageErrorAnswer | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const answer = (parsed as { error?: unknown } | null)?.error;
  if (typeof answer !== 'object' || answer === null) return undefined;
  const { code, message, errors, status } = answer as {
    code?: unknown;
    message?: unknown;
    errors?: unknown;
    status?: unknown;
  };
  const first = Array.isArray(errors)
    ? (errors[0] as { reason?: unknown } | null | undefined)?.reason
    : undefined;
  const reason = [first, status].find(
    (candidate): candidate is string => typeof candidate === 'string' && /^[A-Za-z_]+$/.test(candidate),
  );
  return {
    text,
    ...(typeof code === 'number' ? { code } : {}),
    ...(typeof message === 'string' && message !== '' ? { message } : {}),
    ...(reason ? { reason } : {}),
  };
}

/** The reason of the first of an ApiError's `errors[]` (the answer's), when an identifier. */
function firstErrorReason(errors: unknown): string | undefined {
  const reason = Array.isArray(errors)
    ? (errors[0] as { reason?: unknown } | null | undefined)?.reason
    : undefined;
  return typeof reason === 'string' && /^[A-Za-z_]+$/.test(reason) ? reason : undefined;
}

/**
 * `forbidden (HTTP 403): backup-guard does not have storage.objects.list access…`, as the S3 reads
 * say theirs (Cloud Storage's reason, the HTTP status, its message), and what to do when no role
 * fixes it ({@link storageRefusal}). A JSON answer in the message ({@link storageErrorAnswer}) is
 * said by its message and reason, never quoted whole; text that is no JSON answer is kept, with the
 * status before it (`403: forbidden`). Either is quoted on one line, bounded, and never with
 * credentials (core/errors.ts {@link quotedAnswer}).
 */
function reasonOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return quotedAnswer(String(error));
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown };
  const text = typeof message === 'string' ? message : undefined;
  const answer = text === undefined ? undefined : storageErrorAnswer(text);
  const status = typeof code === 'number' ? code : answer?.code;
  const reason = answer?.reason ?? firstErrorReason(errors);
  const head =
    reason !== undefined && status !== undefined
      ? `${reason} (HTTP ${status}): `
      : code !== undefined
        ? `${String(code)}: `
        : status !== undefined
          ? `${status}: `
          : '';
  const said = answer ? (answer.message ?? 'no message sent') : (text ?? 'request failed');
  const notOfPermission = storageRefusal(error, answer);
  return `${head}${quotedAnswer(said)}${notOfPermission ? `; ${notOfPermission}` : ''}`;
}

/**
 * A Cloud Storage read of the location that failed for the call fails the scope
 * (core/errors.ts {@link sharedFailScopeOnCallFailure}): throttled, as Cloud Storage's 429
 * rateLimitExceeded, a server error or a timeout, once the retries of `retry` (the client's
 * `retryOptions`) are spent, or on the answer that brings it for one they do not retry
 * ({@link retriesOf}: a 501).
 */
function failScopeOnCallFailure(
  what: string,
  error: unknown,
  retry: Partial<RetryOptions> | undefined,
): void {
  sharedFailScopeOnCallFailure(`Cloud Storage ${what}`, error, reasonOf, retriesOf(retry));
}

/**
 * Whether a client with `retry` as its `retryOptions` asks a failure like `error` again: the
 * library's own test (`retryableErrorFn`, by default its RETRYABLE_ERR_FN_DEFAULT: 408, 429, 500,
 * 502, 503, 504 and some lost connections, never a 501), and any attempt that got no answer (no
 * HTTP status: retry-request asks those again whatever the test says; ./storage-client.ts does the
 * same, and {@link readRange} for the ranged reads). None with `maxRetries` 0; undefined
 * (the failure said to have lasted through the retries) for a client that names no test.
 */
function retriesOf(retry: Partial<RetryOptions> | undefined): ((error: unknown) => boolean) | undefined {
  const retryable = retry?.retryableErrorFn;
  if (!retryable) return undefined;
  if (retry.maxRetries === 0) return () => false;
  return (error) => {
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    return typeof code !== 'number' || retryable(error as Parameters<typeof retryable>[0]) === true;
  };
}

/** The `retryOptions` of the client `of` (a Bucket or File of the library) was made by, if any. */
function retryOptionsOf(of: object): Partial<RetryOptions> | undefined {
  return (of as { storage?: Partial<Storage> }).storage?.retryOptions;
}

/**
 * Whether buckets.get or objects.list (neither names an object) was answered 404 with the JSON API's
 * own `notFound` reason: the bucket does not exist (a proxy's bare 404 carries no such reason and
 * proves nothing).
 */
function bucketNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  return (
    code === 404 &&
    Array.isArray(errors) &&
    errors.some((entry: unknown) => (entry as { reason?: unknown } | null)?.reason === 'notFound')
  );
}

function numberOf(value: unknown): number | undefined {
  // The JSON API sends int64 values as strings and others as numbers: `true` or `["7"]` is neither,
  // though `Number` reads them as 1 and 7.
  if ((typeof value !== 'string' && typeof value !== 'number') || value === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/**
 * A time the JSON API sends as an RFC 3339 string (`timeCreated`, `retainUntilTime`). Any other
 * type is read as not sent: `new Date` would read a number as epoch milliseconds, `true` as 1970.
 */
function dateOf(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

function objectOf(file: File): DumpObject {
  const metadata = file.metadata as { size?: unknown; timeCreated?: unknown };
  return {
    key: file.name,
    size: numberOf(metadata.size),
    // Objects are immutable: `timeCreated` is when this dump was written. `updated` also moves on a
    // metadata-only change (a hold, custom metadata), which must not make an old dump look new, so
    // it is no stand-in when `timeCreated` was not sent: the time then stays unknown.
    lastModified: dateOf(metadata.timeCreated),
  };
}

/**
 * The listing, each listed object's `kmsKeyName` (a Cloud KMS key version) when it has one, and
 * the objects encrypted with a customer-supplied key (`customerEncryption`).
 */
interface SeriesListing {
  readonly listing: DumpListing;
  readonly kmsKeyNames: ReadonlyMap<string, string>;
  readonly customerSupplied: ReadonlySet<string>;
  /** Objects stored gzip-compressed (`contentEncoding: gzip`: `gsutil cp -Z`, `gcloud storage cp --gzip-local-all`). */
  readonly gzipEncoded: ReadonlySet<string>;
  /** Each listed object's own retention (Object Retention Lock), when objects.list sent a readable one. */
  readonly retentions: ReadonlyMap<string, ObjectRetention>;
  /** Each listed object's `generation`, when sent: the newest dump's bytes are read from it. */
  readonly generations: ReadonlyMap<string, string>;
  /** Each listed object's holds, when objects.list sent one of them as a boolean ({@link holdsOf}). */
  readonly holds: ReadonlyMap<string, ObjectHolds>;
}

/**
 * An object's holds as objects.list sends them, `temporaryHold` and `eventBasedHold` (booleans of
 * the Objects resource, https://cloud.google.com/storage/docs/json_api/v1/objects#resource, which
 * objects.list's default `noAcl` projection sends with every other property but `owner` and `acl`;
 * the listing asks for no `fields`), each kept only when sent as a boolean; undefined when neither
 * was: never a hold the object may not have, nor the absence of one.
 */
function holdsOf(temporaryHold: unknown, eventBasedHold: unknown): ObjectHolds | undefined {
  const holds: ObjectHolds = {
    ...(typeof temporaryHold === 'boolean' ? { temporary: temporaryHold } : {}),
    ...(typeof eventBasedHold === 'boolean' ? { eventBased: eventBasedHold } : {}),
  };
  return Object.keys(holds).length > 0 ? holds : undefined;
}

/**
 * An object's own retention as objects.list sends it, `retention{mode, retainUntilTime}` ("The
 * bucket's object retention mode, can only be Unlocked or Locked", and "A time in RFC 3339 format
 * until which object retention protects this object": the Objects resource,
 * https://cloud.google.com/storage/docs/json_api/v1/objects#resource); undefined when not sent or
 * unreadable (no mode, no valid time): never a retention the object may not have.
 */
function retentionOf(value: unknown): ObjectRetention | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { mode, retainUntilTime } = value as { mode?: unknown; retainUntilTime?: unknown };
  const retainUntil = dateOf(retainUntilTime);
  return typeof mode === 'string' && mode !== '' && retainUntil ? { mode, retainUntil } : undefined;
}

async function listSeries(bucket: Bucket, location: GcsDumpLocation, limit: number): Promise<SeriesListing> {
  const { prefix } = location;
  const objects: DumpObject[] = [];
  // The bound counts every object listed (it bounds calls and memory), dumps or not.
  let listed = 0;
  const kmsKeyNames = new Map<string, string>();
  const customerSupplied = new Set<string>();
  const gzipEncoded = new Set<string>();
  const retentions = new Map<string, ObjectRetention>();
  const generations = new Map<string, string>();
  const holds = new Map<string, ObjectHolds>();
  const nextToken = pageTokens(`objects.list of gs://${bucket.name}/${prefix}`, 'RepeatedPageToken');
  let query: GetFilesOptions | undefined = { prefix: prefix || undefined, autoPaginate: false };
  let complete = true;
  try {
    while (query) {
      const remaining = limit - listed;
      if (remaining <= 0) {
        complete = false;
        break;
      }
      const [files, next]: [File[], GetFilesOptions | null | undefined, unknown] = await bucket.getFiles({
        ...query,
        maxResults: Math.min(GCS_PAGE_LIMIT, remaining),
        autoPaginate: false,
      });
      listed += files.length;
      for (const file of files) {
        const object = objectOf(file);
        if (!isSeriesObject(object.key, object.size, location)) continue;
        objects.push(object);
        const {
          kmsKeyName,
          customerEncryption,
          contentEncoding,
          retention,
          generation,
          temporaryHold,
          eventBasedHold,
        } = file.metadata as {
          kmsKeyName?: unknown;
          customerEncryption?: unknown;
          contentEncoding?: unknown;
          retention?: unknown;
          generation?: unknown;
          temporaryHold?: unknown;
          eventBasedHold?: unknown;
        };
        const held = holdsOf(temporaryHold, eventBasedHold);
        if (held) holds.set(file.name, held);
        const listedGeneration = typeof generation === 'number' ? String(generation) : generation;
        if (typeof listedGeneration === 'string' && /^\d+$/.test(listedGeneration))
          generations.set(file.name, listedGeneration);
        const own = retentionOf(retention);
        if (own) retentions.set(file.name, own);
        if (typeof kmsKeyName === 'string' && kmsKeyName) kmsKeyNames.set(file.name, kmsKeyName);
        if (customerEncryption !== undefined && customerEncryption !== null) customerSupplied.add(file.name);
        if (typeof contentEncoding === 'string' && /^\s*gzip\s*$/i.test(contentEncoding))
          gzipEncoded.add(file.name);
      }
      const token = nextToken(next?.pageToken);
      query = token ? { ...query, pageToken: token } : undefined;
    }
  } catch (error) {
    failScopeOnCallFailure(`objects.list of gs://${bucket.name}/${prefix}`, error, retryOptionsOf(bucket));
    return {
      listing: {
        state: 'unknown',
        reason: reasonOf(error),
        ...(bucketNotFound(error) ? { bucketAbsent: true as const } : {}),
      },
      kmsKeyNames,
      customerSupplied,
      gzipEncoded,
      retentions,
      generations,
      holds,
    };
  }
  return {
    listing: { state: 'read', objects: sortOldestFirst(objects), complete },
    kmsKeyNames,
    customerSupplied,
    gzipEncoded,
    retentions,
    generations,
    holds,
  };
}

/**
 * `config` with the state of its Cloud KMS key's primary version: `keyState` and `keyDeletionDate`
 * (a DESTROY_SCHEDULED version's `destroyTime`) as sent (a state not sent stays undefined: not
 * evaluated), or `keyStateUnknown` when the read was refused (403, naming cloudkms.cryptoKeys.get),
 * found no key or primary version, or failed otherwise; a read throttled or failed on Cloud KMS's
 * side after the retries throws, failing the scope.
 */
async function withKeyState(
  config: EncryptionConfig,
  readKey: GcsKeyReader,
  versionName?: string,
): Promise<EncryptionConfig> {
  if (!config.kmsKey) return config;
  let key: EncryptionKey;
  try {
    key = await readKey(config.kmsKey, versionName);
  } catch (error) {
    // Throttled or failed on Cloud KMS's side after the retries (the reader throws then): says
    // nothing of the key, so the scope fails, as the keys audit's does.
    if (saysNothingOfTheResource(error)) throw error;
    const remedy = cloudKmsReadRemedy(error, config.kmsKey, versionName);
    return {
      ...config,
      keyStateUnknown: describeError(error),
      ...(remedy === undefined ? {} : { keyStateRemedy: remedy }),
    };
  }
  if (key.unreadReason !== undefined) {
    return {
      ...config,
      keyStateUnknown: key.unreadReason,
      ...(key.remedy === undefined ? {} : { keyStateRemedy: key.remedy }),
    };
  }
  return {
    ...config,
    ...(key.state === undefined ? {} : { keyState: key.state }),
    ...(key.deletionDate === undefined ? {} : { keyDeletionDate: key.deletionDate }),
  };
}

/**
 * The newest dump's first and last bytes. Read from the generation objects.list named (the
 * `generation` parameter of the media read), so that an object written again under the key between
 * the listing and the read is not judged with the listed one's creation time and size: Cloud Storage
 * then serves the listed generation if versioning kept it, and otherwise answers 404, which leaves
 * the header unread (https://cloud.google.com/storage/docs/json_api/v1/objects/get: `generation`
 * "selects a specific revision of this object"). Without a listed generation, the live object.
 */
async function readNewest(
  bucket: Bucket,
  object: DumpObject,
  gzipEncoded: boolean,
  generation: string | undefined,
): Promise<NewestDump> {
  const file = generation === undefined ? bucket.file(object.key) : bucket.file(object.key, { generation });
  if (gzipEncoded) return readGzipEncoded(file, object);
  // The last bytes are read beside the first: one round trip for both. A negative `end` alone is
  // the library's suffix range (`Range: bytes=-N`, createReadStream's "tail byte range").
  const [head, tail] = await Promise.all([
    readRange(file, object.key, { start: 0, end: PG_DUMP_HEADER_BYTES - 1 }),
    readRange(file, object.key, { end: -PG_DUMP_TAIL_BYTES }),
  ]);
  if (head.state === 'unknown') return { object, header: head, tail };
  return newestDumpRead(object, head.bytes, tail);
}

/**
 * A dump stored gzip-compressed (`contentEncoding: gzip`). The library asks with `Accept-Encoding:
 * gzip`, so Cloud Storage serves the stored bytes and the Range counts them; without it, decompressive
 * transcoding would ignore the Range and send the whole dump
 * (https://cloud.google.com/storage/docs/transcoding). The stored stream's first bytes are read as
 * sent (`decompress: false`: the library would gunzip a part of a stream, and fail) and
 * decompressed as far as they go, which shows the dump's header. Its last bytes are the gzip
 * trailer: the dump's own end shows only once the whole object is downloaded, which this audit never
 * does, so the tail stays unknown, saying how to store dumps so it can be read.
 */
async function readGzipEncoded(file: File, object: DumpObject): Promise<NewestDump> {
  const tail: ByteReading = {
    state: 'unknown',
    reason: `${object.key} is stored gzip-encoded (contentEncoding: gzip), so its last bytes are the compressed stream's and the dump's own end shows only in a download of all of it; a custom-format dump is compressed already: upload it without -Z (gsutil cp) or --gzip-local-all (gcloud storage cp)`,
  };
  const head = await readRange(file, object.key, {
    start: 0,
    end: PG_DUMP_HEADER_BYTES - 1,
    decompress: false,
  });
  if (head.state === 'unknown') return { object, header: head, tail };
  if (head.bytes.length === 0) return newestDumpRead(object, head.bytes, tail);
  try {
    // Z_SYNC_FLUSH: what the bytes read decompress to, without asking for the rest of the stream.
    const bytes = gunzipSync(head.bytes, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    return newestDumpRead(object, new Uint8Array(bytes), tail);
  } catch (error) {
    return {
      object,
      header: {
        state: 'unknown',
        reason: `${object.key} says contentEncoding gzip but its first bytes do not decompress (${describeError(error)})`,
      },
      tail,
    };
  }
}

/**
 * A ranged `alt=media` read: its bytes, or why it failed. A range that cannot be satisfied (416)
 * means the object has no bytes (a range from byte 0 starts past its end; a suffix range of an
 * empty object, if the service refuses it, says the same). A 403 that names no other cause (a
 * disabled API, billing: {@link storageRefusal}) is a missing storage.objects.get: `denied`.
 *
 * On a client whose automatic retries are off (./storage-client.ts objectReads: the library's retry
 * of a stream read raises a rejection no caller can catch) a failure the library counts retryable (its
 * `retryOptions.retryableErrorFn`: 408, 429, 5xx, rateLimitExceeded, a reset connection) is asked
 * again here, within the client's `retryOptions` (`maxRetries`, `maxRetryDelay`, `totalTimeout`),
 * with the project's backoff; each attempt asks for the same range, so the bytes read stay bounded.
 * A client that retries itself (or a stand-in without retry options) is asked once.
 */
async function readRange(
  file: File,
  key: string,
  range: { start?: number; end: number; decompress?: boolean },
): Promise<ByteReading & { readonly denied?: 'unattributed' }> {
  const retry = retryOptionsOf(file);
  const retriedHere = retry?.autoRetry === false;
  const maxAttempts = retriedHere ? 1 + (retry.maxRetries ?? DEFAULT_RANGED_READ_RETRIES) : 1;
  const deadline = Date.now() + (retry?.totalTimeout ?? DEFAULT_RANGED_READ_TIMEOUT_S) * 1000;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const [contents] = await file.download(range);
      return { state: 'read', bytes: new Uint8Array(contents) };
    } catch (error) {
      const delay = backoffDelay(
        attempt,
        RANGED_READ_RETRY_BASE_MS,
        (retry?.maxRetryDelay ?? DEFAULT_RANGED_READ_MAX_DELAY_S) * 1000,
      );
      const again =
        attempt < maxAttempts &&
        retry?.retryableErrorFn?.(error as Parameters<NonNullable<typeof retry.retryableErrorFn>>[0]) ===
          true &&
        Date.now() + delay < deadline;
      if (!again) {
        failScopeOnCallFailure(
          `objects.get (alt=media) of ${key}${attempt > 1 ? ` (after ${attempt} attempts)` : ''}`,
          error,
          retry,
        );
        return unreadRange(error, attempt);
      }
      // Cut short when the scope fails meanwhile (core/scope-calls.ts): nothing more of it is asked.
      await sleep(delay, undefined, { signal: scopeSignal() });
    }
  }
}

/** The library's retry defaults (@google-cloud/storage `retryOptions`), for a client that names none. */
const DEFAULT_RANGED_READ_RETRIES = 3;
const DEFAULT_RANGED_READ_MAX_DELAY_S = 64;
const DEFAULT_RANGED_READ_TIMEOUT_S = 600;
/** The first retry's wait, at most (the library waits about 1 s before its first, 2 s before the second). */
const RANGED_READ_RETRY_BASE_MS = 1_000;

/** Why a ranged read failed, after `attempts` attempts (named when more than one). */
function unreadRange(error: unknown, attempts: number): ByteReading & { readonly denied?: 'unattributed' } {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === 416) return { state: 'read', bytes: new Uint8Array() };
  const denied = code === 403 && storageRefusal(error) === undefined;
  return {
    state: 'unknown',
    reason: `${reasonOf(error)}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}`,
    ...(denied ? { denied: 'unattributed' as const } : {}),
  };
}

/** Conditions {@link gcsLifecycleRulesFor} models; any other is kept as an unmodelled condition. */
const MODELLED_CONDITIONS = new Set([
  'age',
  'createdBefore',
  'matchesPrefix',
  'isLive',
  'numNewerVersions',
  'daysSinceNoncurrentTime',
  'noncurrentTimeBefore',
]);
/** Conditions modelled on a rule that acts on noncurrent versions (`createdBefore` is not, there). */
const NONCURRENT_MODELLED_CONDITIONS = new Set([
  'age',
  'matchesPrefix',
  'isLive',
  'numNewerVersions',
  'daysSinceNoncurrentTime',
  'noncurrentTimeBefore',
]);
/**
 * Only noncurrent versions meet these: a rule with one never deletes a live dump. `numNewerVersions`
 * only from 1 up: {@link gcsLifecycleRulesFor} leaves out a 0, which every version meets.
 */
const NONCURRENT_CONDITIONS = ['numNewerVersions', 'daysSinceNoncurrentTime', 'noncurrentTimeBefore'];

/**
 * A condition with `numNewerVersions: 0` left out. The condition is met by a version that has at
 * least N newer versions, the live version counted among them: "If the value is N, this condition is
 * satisfied when there are at least N versions (including the live version) newer than this version
 * of the object" (the Storage JSON API's description of `lifecycle.rule[].condition.numNewerVersions`,
 * https://cloud.google.com/storage/docs/json_api/v1/buckets, as its generated clients carry it:
 * https://pub.dev/documentation/googleapis/latest/storage_v1/BucketLifecycleRuleCondition/numNewerVersions.html).
 * A live version has no newer version, so N >= 1 spares it; every version, the live one too, has at
 * least 0, so 0 is met by all of them and narrows nothing: such a rule deletes live dumps as if the
 * condition were absent (that the API accepts 0 is not stated there; the field is an integer, and a
 * rule that comes with 0 is read as it says).
 */
function withoutZeroNewerVersions(condition: LifecycleCondition): LifecycleCondition {
  if (condition.numNewerVersions !== 0) return condition;
  const { numNewerVersions: _met, ...rest } = condition;
  return rest;
}

type LifecycleCondition = NonNullable<
  NonNullable<NonNullable<BucketMetadata['lifecycle']>['rule']>[number]['condition']
>;

/** Whether a modelled condition's value has the type the JSON API gives it (Storage v1 discovery). */
function readableCondition(name: string, value: unknown): boolean {
  switch (name) {
    case 'age':
    case 'numNewerVersions':
    case 'daysSinceNoncurrentTime':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0;
    case 'isLive':
      return typeof value === 'boolean';
    case 'matchesPrefix':
      return Array.isArray(value) && value.every((candidate) => typeof candidate === 'string');
    default:
      return true;
  }
}

/**
 * A rule's conditions with those the adapter models but that came with another type than the API's
 * (an age `"7"`, a `matchesPrefix` that is no list) taken out, and those, in words (`age="7"`),
 * kept as conditions it cannot match: compared as sent, `"40"` is shorter than `"7"`, and a string's
 * `some` does not exist.
 */
function readableConditions(sent: LifecycleCondition): {
  readonly condition: LifecycleCondition;
  readonly unreadable: readonly string[];
} {
  const entries = Object.entries(sent).filter(([, value]) => value !== undefined);
  const unread = entries.filter(([name, value]) => !readableCondition(name, value));
  if (unread.length === 0) return { condition: sent, unreadable: [] };
  return {
    condition: Object.fromEntries(entries.filter((entry) => !unread.includes(entry))) as LifecycleCondition,
    unreadable: unread.map(([name, value]) => `${name}=${JSON.stringify(value)}`),
  };
}

/** A `matchesSuffix` list of names' endings, else undefined (not sent, empty, or not strings). */
function suffixList(value: unknown): readonly string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.every((suffix) => typeof suffix === 'string') ? (value as string[]) : undefined;
}

/** A `YYYY-MM-DD` lifecycle date as midnight UTC, else undefined. */
function lifecycleDate(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const parsed = new Date(`${value}T00:00:00.000Z`);
  return Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== value ? undefined : parsed;
}

/**
 * Delete rules that can apply to the prefix, in neutral form, each named by its position in the
 * bucket's rule list (`#1`; Cloud Storage rules have no id).
 *
 * An object is deleted when it meets every condition of a rule
 * (https://cloud.google.com/storage/docs/lifecycle). On live objects: `age` is `expirationDays`,
 * `createdBefore` is `createdBefore`, and a rule with neither and no other condition (only
 * `matchesPrefix` or `isLive: true`) deletes at any age (`expirationDays: 0`); `matchesSuffix` is
 * `matchesSuffixes`, which dumps.retention compares with the dumps' keys. A condition this
 * adapter does not model (`customTimeBefore`, `daysSinceCustomTime`, an unreadable `matchesSuffix`,
 * `matchesStorageClass`, a condition added to the API later, an unreadable `createdBefore`) is kept
 * in `unmodelledConditions`, never dropped: dropping it would turn the rule into one that deletes
 * nothing, or deletes everything. A rule with `isLive: false` or a noncurrent condition acts on
 * noncurrent versions only (`noncurrentExpirationDays` from `age` or `daysSinceNoncurrentTime`, the longer of the two when both are set, or 0
 * for `isLive: false` with no other condition than `matchesPrefix`: every noncurrent version, at any
 * age); `numNewerVersions` of 1 or more (a noncurrent version goes once that many newer ones exist;
 * 0 is met by every version, the live one too, and is left out: {@link withoutZeroNewerVersions}) and
 * `noncurrentTimeBefore` (versions that became noncurrent before that date go) are kept as
 * `noncurrentNewerVersions` and `noncurrentTimeBefore`, and conditions not modelled as
 * `noncurrentUnmodelledConditions`, so dumps.protection never reads such a rule as keeping
 * noncurrent versions for ever. A rule on live objects that does not ask `isLive: true` matches
 * noncurrent versions as well, so it carries its `age` (or 0 when timeless) as
 * `noncurrentExpirationDays`, or its other conditions as `noncurrentUnmodelledConditions`.
 */
export function gcsLifecycleRulesFor(metadata: BucketMetadata, prefix: string): DumpLifecycleRule[] {
  const rules = metadata.lifecycle?.rule ?? [];
  return rules.flatMap((rule, index): DumpLifecycleRule[] => {
    if (rule.action?.type !== 'Delete') return [];
    const { condition: sent, unreadable } = readableConditions(rule.condition ?? {});
    const condition = withoutZeroNewerVersions(sent);
    const prefixes = condition.matchesPrefix;
    if (
      prefixes &&
      prefixes.length > 0 &&
      !prefixes.some((candidate) => rulePrefixApplies(candidate, prefix))
    ) {
      return [];
    }
    const id = `#${index + 1}`;
    const narrower = narrowerPrefixes(prefixes, prefix);
    const reach = narrower ? { narrowerPrefixes: narrower } : {};
    const noncurrent =
      condition.isLive === false || NONCURRENT_CONDITIONS.some((name) => condition[name] !== undefined);
    if (noncurrent) {
      // `isLive: false` with no other condition than the prefix deletes every noncurrent version at
      // any age, as a timeless rule deletes every live one.
      const anyAge =
        unreadable.length === 0 &&
        Object.entries(condition).every(
          ([name, value]) => value === undefined || name === 'isLive' || name === 'matchesPrefix',
        );
      const timeBefore = lifecycleDate(condition.noncurrentTimeBefore);
      const timed = [condition.age, condition.daysSinceNoncurrentTime].filter(
        (days): days is number => days !== undefined,
      );
      const unmodelled = [
        ...Object.entries(condition)
          .filter(
            ([name, value]) =>
              value !== undefined &&
              (!NONCURRENT_MODELLED_CONDITIONS.has(name) ||
                (name === 'noncurrentTimeBefore' && timeBefore === undefined)),
          )
          .map(([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`),
        ...unreadable,
      ];
      return [
        {
          id,
          expirationDays: undefined,
          expirationDate: undefined,
          // A version goes only once it meets both: the longer of `age` and
          // `daysSinceNoncurrentTime` bounds how soon.
          noncurrentExpirationDays: timed.length > 0 ? Math.max(...timed) : anyAge ? 0 : undefined,
          prefix: prefixes?.[0],
          ...reach,
          ...(condition.numNewerVersions !== undefined
            ? { noncurrentNewerVersions: condition.numNewerVersions }
            : {}),
          ...(timeBefore ? { noncurrentTimeBefore: timeBefore } : {}),
          ...(unmodelled.length > 0 ? { noncurrentUnmodelledConditions: unmodelled } : {}),
        },
      ];
    }
    const createdBefore = lifecycleDate(condition.createdBefore);
    // `matchesSuffix`: the rule reaches only objects whose name ends with one of these
    // (https://cloud.google.com/storage/docs/lifecycle#matchesprefix-suffix); a list the adapter
    // cannot read stays an unmodelled condition.
    const suffixes = suffixList(condition.matchesSuffix);
    const unmodelled = [
      ...Object.entries(condition)
        .filter(
          ([name, value]) =>
            value !== undefined &&
            !(name === 'matchesSuffix' && suffixes !== undefined) &&
            (!MODELLED_CONDITIONS.has(name) || (name === 'createdBefore' && createdBefore === undefined)),
        )
        .map(([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`),
      ...unreadable,
    ];
    const timeless = condition.age === undefined && createdBefore === undefined && unmodelled.length === 0;
    // Without `isLive: true` the conditions match noncurrent versions too ("if not specified, the
    // condition matches both live and noncurrent objects", https://cloud.google.com/storage/docs/lifecycle#islive):
    // `age` (from creation) bounds how young a version it deletes, a timeless rule deletes every one,
    // and a rule with neither is not proven to keep them (its conditions, unmodelled there).
    const reachesNoncurrent = condition.isLive !== true;
    const noncurrentDays = !reachesNoncurrent ? undefined : timeless ? 0 : condition.age;
    // With an age, the rule still deletes only the versions that meet its other conditions.
    const noncurrentUnmodelled =
      reachesNoncurrent && noncurrentDays !== undefined
        ? unmodelled
        : reachesNoncurrent
          ? [
              ...Object.entries(condition)
                .filter(
                  ([name, value]) => value !== undefined && name !== 'matchesPrefix' && name !== 'isLive',
                )
                .map(
                  ([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
                ),
              ...unreadable,
            ]
          : [];
    return [
      {
        id,
        expirationDays: timeless ? 0 : condition.age,
        expirationDate: undefined,
        noncurrentExpirationDays: noncurrentDays,
        ...(noncurrentUnmodelled.length > 0 ? { noncurrentUnmodelledConditions: noncurrentUnmodelled } : {}),
        prefix: prefixes?.[0],
        ...reach,
        ...(createdBefore ? { createdBefore } : {}),
        ...(suffixes ? { matchesSuffixes: suffixes } : {}),
        ...(unmodelled.length > 0 ? { unmodelledConditions: unmodelled } : {}),
      },
    ];
  });
}

/** The lifecycle actions Cloud Storage names that delete no live object (https://cloud.google.com/storage/docs/lifecycle#actions). */
const NON_DELETING_ACTIONS: ReadonlySet<string> = new Set([
  'SetStorageClass',
  'AbortIncompleteMultipartUpload',
]);

/**
 * A rule that may apply to the prefix whose action says neither Delete nor one of the
 * {@link NON_DELETING_ACTIONS} (no `type` sent, or a type added to the API later), in words;
 * undefined when there is none. {@link gcsLifecycleRulesFor} keeps Delete rules only: read as one
 * that deletes nothing, such a rule would let a lifecycle that may delete the dumps pass, as S3's
 * reading of a rule without its Status or Expiration days does (functions/aws/s3-dumps.ts).
 */
function unreadLifecycleAction(metadata: BucketMetadata, prefix: string): string | undefined {
  const rules = metadata.lifecycle?.rule ?? [];
  for (const [index, rule] of rules.entries()) {
    const type: unknown = rule.action?.type;
    if (type === 'Delete' || (typeof type === 'string' && NON_DELETING_ACTIONS.has(type))) continue;
    const prefixes: unknown = rule.condition?.matchesPrefix;
    if (
      Array.isArray(prefixes) &&
      prefixes.length > 0 &&
      prefixes.every((candidate) => typeof candidate === 'string' && !rulePrefixApplies(candidate, prefix))
    ) {
      continue;
    }
    return `buckets.get sent lifecycle rule #${index + 1} with action ${JSON.stringify(rule.action ?? null)}, which names no action this audit knows (Delete, ${[...NON_DELETING_ACTIONS].join(', ')}), so whether it deletes dumps is unknown`;
  }
  return undefined;
}

function publicAccessOf(metadata: BucketMetadata): PublicAccessConfig {
  const prevention = metadata.iamConfiguration?.publicAccessPrevention;
  const detail = `publicAccessPrevention=${prevention ?? 'not sent'}`;
  if (prevention === 'enforced') return { blocked: true, detail };
  if (prevention === 'inherited' || prevention === 'unspecified')
    return { blocked: undefined, inherited: true, detail };
  return { blocked: undefined, detail };
}

function bucketReadings(metadata: BucketMetadata, prefix: string) {
  const enabled: unknown = metadata.versioning?.enabled;
  const versioning: BucketReading<VersioningConfig> =
    enabled === undefined
      ? { state: 'absent' }
      : typeof enabled === 'boolean'
        ? { state: 'read', value: { status: enabled ? 'Enabled' : 'Disabled' } }
        : {
            state: 'unknown',
            reason: `buckets.get sent versioning.enabled ${JSON.stringify(enabled)}, which is no boolean`,
          };
  // `versioning` left out is versioning never turned on: "While set to true, versioning is fully
  // enabled for this bucket" (https://cloud.google.com/storage/docs/json_api/v1/buckets#resource),
  // and a bucket is created without it (https://cloud.google.com/storage/docs/object-versioning).
  const policy = metadata.retentionPolicy;
  const periodSeconds = numberOf(policy?.retentionPeriod);
  // `retentionPeriod` is the policy's one required value (seconds, > 0); a policy sent without it
  // says nothing about how long dumps are kept, so it is not read as "no policy" (it may be long and
  // locked). `isLocked` is sent once the policy is locked (buckets.lockRetentionPolicy); left out,
  // the lock is not proven and stays undefined, which dumps.protection never counts as locked.
  const retentionLock: BucketReading<RetentionLockConfig> = !policy
    ? { state: 'absent' }
    : periodSeconds === undefined
      ? {
          state: 'unknown',
          reason: `buckets.get sent a retentionPolicy without a retentionPeriod in seconds (${policy.retentionPeriod === undefined ? 'none sent' : JSON.stringify(policy.retentionPeriod)})`,
        }
      : {
          state: 'read',
          value: {
            mode: undefined,
            days: periodSeconds / SECONDS_PER_DAY,
            // Only a boolean says whether it is locked.
            locked: typeof policy.isLocked === 'boolean' ? policy.isLocked : undefined,
          },
        };
  const unreadAction = metadata.lifecycle ? unreadLifecycleAction(metadata, prefix) : undefined;
  const lifecycle: BucketReading<readonly DumpLifecycleRule[]> = !metadata.lifecycle
    ? { state: 'absent' }
    : unreadAction !== undefined
      ? { state: 'unknown', reason: unreadAction }
      : { state: 'read', value: gcsLifecycleRulesFor(metadata, prefix) };
  const kmsKey: unknown = metadata.encryption?.defaultKmsKeyName;
  const encryption: BucketReading<EncryptionConfig> =
    kmsKey !== undefined && kmsKey !== '' && typeof kmsKey !== 'string'
      ? {
          state: 'unknown',
          reason: `buckets.get sent encryption.defaultKmsKeyName ${JSON.stringify(kmsKey)}, which names no key`,
        }
      : {
          state: 'read',
          value: kmsKey
            ? { algorithm: 'cloud-kms', kmsKey, customerManagedKey: true }
            : { algorithm: 'google-managed', kmsKey: undefined, customerManagedKey: false },
        };
  // Soft delete turned off is `retentionDurationSeconds: 0`, not a policy left out ("to disable
  // soft delete … set the retention duration to 0", https://cloud.google.com/storage/docs/use-soft-delete;
  // buckets get a 7-day policy by default, https://cloud.google.com/storage/docs/soft-delete): a
  // policy or duration not sent is not read as off.
  const softDeleteSeconds = numberOf(metadata.softDeletePolicy?.retentionDurationSeconds);
  const softDeleteDays: BucketReading<number> =
    softDeleteSeconds === undefined
      ? { state: 'unknown', reason: 'buckets.get did not send the soft delete policy' }
      : { state: 'read', value: softDeleteSeconds / SECONDS_PER_DAY };
  return {
    versioning,
    retentionLock,
    lifecycle,
    publicAccess: { state: 'read', value: publicAccessOf(metadata) } as BucketReading<PublicAccessConfig>,
    encryption,
    softDeleteDays,
  };
}

/**
 * The newest dump with its own encryption when its `kmsKeyName` names another key version than
 * the bucket default's primary: that version's state (or, for a name that is not a key version,
 * that key's primary's), read as the default's is. The default's primary, or no `kmsKeyName`: the
 * newest dump as read.
 */
async function withNewestKey(
  newest: NewestDump,
  kmsKeyNames: ReadonlyMap<string, string>,
  byDefault: BucketReading<EncryptionConfig>,
  readKey: GcsKeyReader,
): Promise<NewestDump> {
  const named = kmsKeyNames.get(newest.object.key);
  if (!named) return newest;
  const versionKey = keyOfVersion(named);
  const key = versionKey ?? named;
  if (byDefault.state === 'read' && byDefault.value.kmsKey === key) {
    if (versionKey === undefined) return newest;
    // The default's state is its primary version's (read already: the reader answers from its cache).
    const primary = await readKey(key).catch(() => undefined);
    if (primary?.version === named) return newest;
  }
  return { ...newest, encryption: await namedKeyEncryption(named, readKey) };
}

/**
 * The encryption of an object whose objects.list `kmsKeyName` is `named`: that key version's state
 * (or, for a name that is not a key version, that key's primary's), read as the default's is.
 */
function namedKeyEncryption(named: string, readKey: GcsKeyReader): Promise<EncryptionConfig> {
  const versionKey = keyOfVersion(named);
  const own: EncryptionConfig = {
    algorithm: 'cloud-kms',
    kmsKey: versionKey ?? named,
    customerManagedKey: true,
    ...(versionKey ? { keyVersion: named } : {}),
  };
  return withKeyState(own, readKey, versionKey ? named : undefined);
}

/**
 * The key versions the older dumps of the series are under, other than the newest dump's (judged
 * as its own encryption) and the default key's primary (judged as the default): each read once
 * (the reader's cache), with how many listed dumps it encrypts and the newest of them. A dump
 * dumps.retention counts is only a restore path while its key version can decrypt it: destroying
 * the versions a rotation left behind makes every dump under them unreadable
 * (https://cloud.google.com/kms/docs/destroy-restore).
 */
async function olderDumpKeys(
  listed: SeriesListing,
  newest: NewestDump | undefined,
  byDefault: BucketReading<EncryptionConfig>,
  readKey: GcsKeyReader,
): Promise<OlderDumpKey[]> {
  if (listed.listing.state !== 'read') return [];
  const defaultKey = byDefault.state === 'read' ? byDefault.value.kmsKey : undefined;
  const primary = defaultKey ? (await readKey(defaultKey).catch(() => undefined))?.version : undefined;
  const newestNamed = newest ? listed.kmsKeyNames.get(newest.object.key) : undefined;
  const byVersion = new Map<string, { dumps: number; newestDump: string; newestWritten?: Date }>();
  // Oldest first: the last dump counted under a version is its newest.
  for (const object of listed.listing.objects) {
    const named = listed.kmsKeyNames.get(object.key);
    if (!named || named === primary || named === defaultKey || named === newestNamed || holdsNoDump(object))
      continue;
    byVersion.set(named, {
      dumps: (byVersion.get(named)?.dumps ?? 0) + 1,
      newestDump: object.key,
      ...(object.lastModified ? { newestWritten: object.lastModified } : {}),
    });
  }
  return Promise.all(
    [...byVersion].map(async ([named, dumps]) => ({
      encryption: await namedKeyEncryption(named, readKey),
      ...dumps,
    })),
  );
}

/**
 * The older dumps of the series under no Cloud KMS key, as objects.list shows them, one entry per
 * kind: those it names no `kmsKeyName` for under a customer-managed default (Google-managed keys:
 * the default applies only to objects written after it was set), and those with `customerEncryption`
 * (a customer-supplied key, which Cloud Storage does not keep), whatever the default; each with how
 * many listed dumps it holds and the newest of them, as {@link olderDumpKeys} counts a key version's.
 * The newest dump is judged on its own ({@link withListedEncryption}); an empty object is no dump.
 */
function olderDumpsOffKey(
  listed: SeriesListing,
  newest: NewestDump | undefined,
  byDefault: BucketReading<EncryptionConfig>,
): OlderDumpKey[] {
  if (listed.listing.state !== 'read') return [];
  const cmekDefault = byDefault.state === 'read' && byDefault.value.kmsKey !== undefined;
  const byKind = new Map<
    'google-managed' | 'customer-supplied',
    { dumps: number; newestDump: string; newestWritten?: Date }
  >();
  // Oldest first: the last dump counted of a kind is its newest.
  for (const object of listed.listing.objects) {
    if (object.key === newest?.object.key || holdsNoDump(object)) continue;
    const kind = listed.customerSupplied.has(object.key)
      ? 'customer-supplied'
      : cmekDefault && !listed.kmsKeyNames.has(object.key)
        ? 'google-managed'
        : undefined;
    if (kind === undefined) continue;
    byKind.set(kind, {
      dumps: (byKind.get(kind)?.dumps ?? 0) + 1,
      newestDump: object.key,
      ...(object.lastModified ? { newestWritten: object.lastModified } : {}),
    });
  }
  return [...byKind].map(([algorithm, dumps]) => ({
    encryption: { algorithm, kmsKey: undefined, customerManagedKey: false },
    ...dumps,
  }));
}

/**
 * The newest dump as objects.list says it is encrypted, when that is not the bucket default's key:
 *
 * - under a customer-supplied key (`customerEncryption`, CSEK): "Cloud Storage does not permanently
 *   store your key in its servers", so only whoever holds it can read or restore the dump
 *   (https://cloud.google.com/storage/docs/encryption/customer-supplied-keys), whatever the default;
 * - under Google-managed keys when the bucket default names a Cloud KMS key but objects.list names
 *   none for the dump: the object resource's `kmsKeyName` is the "Cloud KMS Key used to encrypt this
 *   object, if the object is encrypted by such a key"
 *   (https://cloud.google.com/storage/docs/json_api/v1/objects#resource; objects.list's default
 *   `noAcl` projection sends every property but `owner` and `acl`), and the default key applies only
 *   to objects written after it was set (https://cloud.google.com/storage/docs/encryption/using-customer-managed-keys#set-default-key).
 */
function withListedEncryption(
  newest: NewestDump,
  listed: SeriesListing,
  byDefault: BucketReading<EncryptionConfig>,
): NewestDump {
  const key = newest.object.key;
  if (newest.encryption !== undefined) return newest;
  if (listed.customerSupplied.has(key)) {
    return {
      ...newest,
      encryption: { algorithm: 'customer-supplied', kmsKey: undefined, customerManagedKey: false },
    };
  }
  if (byDefault.state !== 'read' || !byDefault.value.kmsKey || listed.kmsKeyNames.has(key)) return newest;
  return {
    ...newest,
    encryption: { algorithm: 'google-managed', kmsKey: undefined, customerManagedKey: false },
  };
}

/**
 * The bucket's region as findings name it: its `location` from buckets.get, lower-cased as region
 * ids are (`EU` → `eu`, `US-CENTRAL1` → `us-central1`;
 * https://cloud.google.com/storage/docs/json_api/v1/buckets#resource), whatever the policy says,
 * as the S3 adapter follows a bucket's real region (functions/aws/s3-dumps.ts). The policy's region
 * when buckets.get failed or sent no location.
 */
function regionOf(location: GcsDumpLocation, metadata: BucketMetadata | undefined): string {
  const real = metadata?.location;
  return typeof real === 'string' && real !== '' ? real.toLowerCase() : location.region;
}

/**
 * Whose the bucket is: its buckets.get `projectNumber` ("The project number of the project the
 * bucket belongs to", https://cloud.google.com/storage/docs/json_api/v1/buckets#resource) against
 * `owner`, the number of the project the policy places it in. Bucket names are global: once
 * certctl's bucket is deleted, its name can be created in any project, and a bucket read by name
 * alone would be judged as the policy project's. Unknown, never proven, when either number was not had;
 * when only the project's was not had, the bucket's own number is kept beside why.
 */
function bucketOwnership(
  location: GcsDumpLocation,
  owner: ProjectNumberReading,
  metadata: BucketMetadata,
): BucketOwnership {
  const bucket = `gs://${location.bucket}`;
  const sent = metadata.projectNumber;
  const number = typeof sent === 'number' ? String(sent) : sent;
  if (typeof number !== 'string' || !/^\d+$/.test(number)) {
    return {
      state: 'unknown',
      reason: `buckets.get of ${bucket} sent no projectNumber`,
    };
  }
  if (owner.state !== 'read') {
    return {
      state: 'unknown',
      reason: `${owner.reason}; buckets.get of ${bucket} sent projectNumber ${number}`,
      bucketProjectNumber: number,
      ...(owner.remedy ? { remedy: owner.remedy } : {}),
    };
  }
  return number === owner.value
    ? { state: 'proven', projectNumber: number }
    : { state: 'foreign', owner: number, expected: owner.value };
}

/** The resource and location of a location's fact. */
function factFrame(
  location: GcsDumpLocation,
  metadata: BucketMetadata | undefined,
): Pick<DumpFact, 'resource' | 'location'> {
  const selfLink = metadata?.selfLink;
  return {
    resource: {
      provider: 'gcp',
      account: location.project,
      region: regionOf(location, metadata),
      type: 'GcpStorageBucket',
      id: dumpResourceId(location.bucket, location.prefix),
      ...(selfLink ? { selfLink } : {}),
    },
    location: {
      provider: 'gcp',
      bucket: location.bucket,
      prefix: location.prefix,
      ...(location.suffix ? { suffix: location.suffix } : {}),
    },
  };
}

/**
 * The fact of a bucket not proven to be the policy project's: nothing read from it counts, so none
 * of its objects is listed or read, and each reading is unknown for why.
 */
function unprovenFact(
  location: GcsDumpLocation,
  metadata: BucketMetadata | undefined,
  ownership: Exclude<BucketOwnership, { state: 'proven' }>,
): DumpFact {
  const reason =
    ownership.state === 'unknown'
      ? ownership.reason
      : `gs://${location.bucket} belongs to project number ${ownership.owner}, not to ${location.project} (number ${ownership.expected})`;
  const unread = { state: 'unknown' as const, reason };
  return {
    ...factFrame(location, metadata),
    listing: unread,
    newest: undefined,
    versioning: unread,
    retentionLock: unread,
    lifecycle: unread,
    publicAccess: unread,
    encryption: unread,
    softDeleteDays: unread,
    ownership,
  };
}

/**
 * Reads one Cloud Storage dump location. An API failure that answers for the location (denied, not
 * found) becomes `unknown` in the fact; one that says nothing of it (throttled, a server error, a
 * timeout, after the retries) throws, failing the scope. buckets.get comes first:
 * a bucket not proven to be the policy project's ({@link bucketOwnership}) is not listed, and none
 * of its objects is read.
 */
export async function readGcsDumpFact(options: ReadGcsDumpsOptions): Promise<DumpFact> {
  const { location } = options;
  const bucket = options.storage.bucket(location.bucket);
  // buckets.get beside projects.get (read once per scope, maybe still in flight): two round trips in
  // parallel, not one after the other.
  const [read, owner] = await Promise.all([
    bucket.getMetadata().then(
      ([metadata]) => ({ metadata: metadata as BucketMetadata }),
      (error: unknown) => ({ error }),
    ),
    options.owner,
  ]);
  if ('error' in read) {
    failScopeOnCallFailure(
      `buckets.get of gs://${location.bucket}`,
      read.error,
      options.storage.retryOptions,
    );
    const notOfPermission = storageRefusal(read.error);
    const fact = unprovenFact(location, undefined, {
      state: 'unknown',
      reason: `buckets.get of gs://${location.bucket} failed (${reasonOf(read.error)})`,
      ...(notOfPermission ? { remedy: refusalAdvice(notOfPermission) } : {}),
    });
    // A bucket that does not exist holds no dump, whoever would own it (Cloud Storage refuses a
    // caller without storage.buckets.get with 403 whether the bucket exists or not).
    return fact.listing.state === 'unknown' && bucketNotFound(read.error)
      ? { ...fact, listing: { ...fact.listing, bucketAbsent: true } }
      : fact;
  }
  const { metadata } = read;
  const ownership = bucketOwnership(location, owner, metadata);
  if (ownership.state !== 'proven') return unprovenFact(location, metadata, ownership);
  const listed = await listSeries(bucket, location, options.maxObjectsListed);
  const { listing, kmsKeyNames } = listed;
  // The newest object that may be a dump: with no suffix, not a checksum, signature or log after it.
  const newestListed = newestPossibleDump(listing, location.suffix);
  const newestRead = newestListed
    ? await readNewest(
        options.objectReads ? options.objectReads.bucket(location.bucket) : bucket,
        newestListed,
        listed.gzipEncoded.has(newestListed.key),
        listed.generations.get(newestListed.key),
      )
    : undefined;
  const settings = bucketReadings(metadata, location.prefix);
  const { readKey } = options;
  const encryption: BucketReading<EncryptionConfig> =
    readKey && settings.encryption.state === 'read'
      ? { state: 'read', value: await withKeyState(settings.encryption.value, readKey) }
      : settings.encryption;
  const keyed =
    newestRead && readKey ? await withNewestKey(newestRead, kmsKeyNames, encryption, readKey) : newestRead;
  const olderKeys = [
    ...(readKey ? await olderDumpKeys(listed, newestRead, encryption, readKey) : []),
    ...olderDumpsOffKey(listed, newestRead, encryption),
  ];
  const unlocked = keyed && withListedEncryption(keyed, listed, encryption);
  // Its own retention holds the newest dump beside the bucket's policy (dumps.protection).
  const retention = unlocked && listed.retentions.get(unlocked.object.key);
  const locked = unlocked && retention ? { ...unlocked, objectLock: retention } : unlocked;
  // So do its holds, while they are set (dumps.protection, dumps.retention).
  const holds = locked && listed.holds.get(locked.object.key);
  const newest = locked && holds ? { ...locked, holds } : locked;
  return {
    ...factFrame(location, metadata),
    listing,
    newest,
    ...settings,
    encryption,
    ...(olderKeys.length > 0 ? { olderDumpKeys: olderKeys } : {}),
    ...(listed.retentions.size > 0 ? { listedRetentions: listed.retentions } : {}),
    ...(listed.holds.size > 0 ? { listedHolds: listed.holds } : {}),
    ownership,
  };
}

/** Locations of one project read at once. */
export const GCS_DUMP_LOCATIONS_AT_ONCE = 32;

/** The facts of one project scope of the dumps group: every GCS location the policy places in it. */
export async function collectGcsDumpFacts(options: {
  readonly storage: Storage;
  /** The client of the ranged object reads ({@link ReadGcsDumpsOptions.objectReads}). */
  readonly objectReads?: Storage;
  /** Reads the buckets' default keys' states; without it they are not read. */
  readonly cloudKms?: CloudKmsApi;
  /** Reads the project's number, which each bucket must belong to; without it no bucket is proven the project's. */
  readonly resourceManager?: ResourceManagerApi;
  readonly project: string;
  readonly dumps: DumpsPolicy;
}): Promise<DumpFact[]> {
  // One read per distinct key for this project scope: buckets sharing a key cost one cryptoKeys.get.
  const reader = options.cloudKms ? cloudKmsKeyReader(options.cloudKms) : undefined;
  const readKey: GcsKeyReader | undefined =
    reader && ((keyName, versionName) => reader(keyName, versionName));
  const locations = options.dumps.locations.filter(
    (location) => location.provider === 'gcp' && location.project === options.project,
  );
  if (locations.length === 0) return [];
  // One projects.get per project scope (every location of the scope is this project's), not awaited
  // here: each location's buckets.get goes beside it.
  const owner: Promise<ProjectNumberReading> | ProjectNumberReading = options.resourceManager
    ? readProjectNumber(options.resourceManager, options.project)
    : {
        state: 'unknown',
        reason: `the run has no Resource Manager client, so the number of ${options.project} (projects.get, ${PROJECT_GET_PERMISSION}) was not read`,
      };
  return mapWithConcurrency(locations, GCS_DUMP_LOCATIONS_AT_ONCE, (location) =>
    location.provider === 'gcp'
      ? readGcsDumpFact({
          storage: options.storage,
          ...(options.objectReads ? { objectReads: options.objectReads } : {}),
          location: {
            bucket: location.bucket,
            prefix: location.prefix,
            suffix: location.suffix,
            project: location.project,
            region: location.region,
          },
          maxObjectsListed: options.dumps.maxObjectsListed,
          owner,
          ...(readKey ? { readKey } : {}),
        })
      : Promise.reject(new TypeError('not a GCS location')),
  );
}

/** The `dumps` group's GCP collector: the policy's Cloud Storage dump locations in one project. */
export const gcsDumpsCollector: GcpCollector = async ({ clients, project, policy }) => {
  if (!clients.storage) throw new Error('the GCP clients of this run have no Cloud Storage client');
  return collectGcsDumpFacts({
    storage: await clients.storage(),
    ...(clients.objectReads ? { objectReads: await clients.objectReads() } : {}),
    ...(clients.cloudKms ? { cloudKms: await clients.cloudKms() } : {}),
    ...(clients.resourceManager ? { resourceManager: await clients.resourceManager() } : {}),
    project,
    dumps: policy.dumps,
  });
};
