/**
 * Simulated Cloud Storage JSON API v1, as `@google-cloud/storage` calls it with `apiEndpoint`
 * (unauthenticated, `${apiEndpoint}/storage/v1`; @google-cloud/storage 7.x `storage.js`):
 *
 * - `GET /storage/v1/b/{bucket}` buckets.get: `projectNumber` (the number of the bucket's scenario
 *   `project`, as the simulated Resource Manager answers it: ./resource-manager.ts), `versioning.enabled`, `retentionPolicy{retentionPeriod,
 *   effectiveTime, isLocked}` (never beside `versioning.enabled: true`: Cloud Storage refuses the
 *   pair, so the scenario schema does too), `lifecycle.rule[{action, condition}]`, `iamConfiguration
 *   .publicAccessPrevention`, `encryption.defaultKmsKeyName`, `softDeletePolicy`; members the
 *   scenario leaves out are left out of the answer, as the API does for settings never set.
 * - `GET /storage/v1/b/{bucket}/o?prefix=&pageToken=&maxResults=` objects.list (at most 1000 a page).
 * - `GET /storage/v1/b/{bucket}/o/{object}` objects.get, and with `alt=media` the bytes, honouring
 *   `Range` (206 + `Content-Range`; 416 when not satisfiable). Also under `/download/storage/v1`.
 *   A `generation` other than the live object's is 404 notFound (no noncurrent revisions are kept).
 *
 * - `POST /upload/storage/v1/b/{bucket}/o?uploadType=media&name=` objects.insert, the body the object's
 *   bytes (what the GCP chat function's request records send, functions/gcp/chat-records.ts), or
 *   `uploadType=multipart` as the library's `file.save(…, { resumable: false })` sends it
 *   (multipart/related: metadata part, then the bytes), answering the object resource; and
 *   `DELETE /storage/v1/b/{bucket}/o/{object}` objects.delete (204). Both honour `ifGenerationMatch`
 *   (0: only if absent) with 412 conditionNotMet; `alt=media` answers the object's generation in
 *   `x-goog-generation`, which the records read as their version.
 *
 * int64 fields (`size`, `generation`, `retentionPeriod`, `retentionDurationSeconds`) are strings,
 * as in the API. Errors are Google's JSON (`{ error: { code, message, errors: [{ reason }] } }`):
 * 404 notFound, 403 forbidden (a call the scenario denies), 403 accessNotConfigured (domain
 * usageLimits: the API not enabled for the caller, `apiDisabled`), 416 requestedRangeNotSatisfiable.
 */
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { CRC32C } from '@google-cloud/storage';
import * as z from 'zod';
import type { InjectedFailure } from '../faults.ts';
import type { Scenario } from '../scenario.ts';
import { absoluteTime } from '../scenario-fields.ts';
import type { SimContext, SimRequest, SimResponse, SimService } from '../service.ts';
import {
  bucketContentsFields,
  bucketObjects,
  byteRange,
  compareKeys,
  type StoredObject,
  stored,
} from './object-store.ts';
import { simProjectNumber } from './resource-manager.ts';

export const GCS_SERVICE = 'gcs';
const MAX_RESULTS = 1000;
const PATH = /^(?:\/download|\/upload)?\/storage\/v1\/b\/([^/]+)(?:\/o(?:\/(.+))?)?$/;

const GCS_OPERATIONS = [
  'buckets.get',
  'objects.list',
  'objects.get',
  'objects.media',
  'objects.insert',
  'objects.delete',
] as const;
type GcsOperation = (typeof GCS_OPERATIONS)[number];

/** The IAM permission each operation needs (https://cloud.google.com/storage/docs/access-control/iam-json). */
const PERMISSIONS: Record<GcsOperation, string> = {
  'buckets.get': 'buckets.get',
  'objects.list': 'objects.list',
  'objects.get': 'objects.get',
  'objects.media': 'objects.get',
  'objects.insert': 'objects.create',
  'objects.delete': 'objects.delete',
};

const lifecycleRuleSchema = z.strictObject({
  action: z.enum(['Delete', 'SetStorageClass', 'AbortIncompleteMultipartUpload']).default('Delete'),
  age: z.int().min(0).optional(),
  matchesPrefix: z.array(z.string()).optional(),
  isLive: z.boolean().optional(),
  numNewerVersions: z.int().min(0).optional(),
  daysSinceNoncurrentTime: z.int().min(0).optional(),
  /** Dates (`YYYY-MM-DD`, midnight UTC), as the API sends them. */
  createdBefore: z.iso.date().optional(),
  customTimeBefore: z.iso.date().optional(),
  noncurrentTimeBefore: z.iso.date().optional(),
  daysSinceCustomTime: z.int().min(0).optional(),
  matchesSuffix: z.array(z.string()).optional(),
  matchesStorageClass: z.array(z.string()).optional(),
});

const bucketSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, 'must be a Cloud Storage bucket name'),
    project: z
      .string()
      .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a GCP project id')
      .default('certctl-prod'),
    location: z.string().min(1).default('EUROPE-WEST1'),
    /** Absent: the API leaves `versioning` out (never set). */
    versioning: z.boolean().optional(),
    retentionPolicy: z
      .strictObject({ retentionPeriodSeconds: z.int().min(1), isLocked: z.boolean().optional() })
      .optional(),
    lifecycle: z.array(lifecycleRuleSchema).optional(),
    /** Absent: `iamConfiguration.publicAccessPrevention` is left out. */
    publicAccessPrevention: z.enum(['enforced', 'inherited']).optional(),
    defaultKmsKeyName: z.string().min(1).optional(),
    /**
     * The Cloud KMS key the bucket's objects were written with, when not the default (an upload that
     * named its own key, or a default changed since): objects.list answers it as each object's
     * `kmsKeyName` (`…/cryptoKeyVersions/1`). Absent: the default key's, when there is one. `false`:
     * written with Google-managed keys before the default key was set, so objects.list sends no
     * `kmsKeyName` for them.
     */
    objectKmsKeyName: z.union([z.string().min(1), z.literal(false)]).optional(),
    /** Absent: the default 7-day soft delete (604800 s); 0 turns it off. */
    softDeleteSeconds: z.int().min(0).default(604_800),
    /** Calls answered 403 forbidden. */
    denied: z.array(z.enum(GCS_OPERATIONS)).default([]),
    /**
     * Every call answered as when the caller's project has not enabled the Cloud Storage API: 403
     * with the JSON API's `errors[].reason` accessNotConfigured (domain usageLimits) and Google's
     * "has not been used in project … or it is disabled" message, naming the bucket's project's number.
     */
    apiDisabled: z.boolean().default(false),
    ...bucketContentsFields,
  })
  // Cloud Storage refuses the pair ("Object versioning cannot be enabled on a bucket with a retention
  // policy"; Google's own foundation modules note the two are mutually exclusive,
  // terraform-google-modules/terraform-example-foundation#898): no bucket answers both.
  .refine((bucket) => !(bucket.versioning === true && bucket.retentionPolicy), {
    message:
      'Cloud Storage refuses Object Versioning on a bucket with a retention policy (and a retention policy on a versioned bucket): set one of versioning: true and retentionPolicy',
  });

/** Schema of `services.gcs`. */
export const gcsSectionSchema = z
  .strictObject({
    /** Largest page objects.list returns (1000 in the API); smaller exercises paging. */
    maxPageSize: z.int().min(1).max(MAX_RESULTS).default(MAX_RESULTS),
    buckets: z.array(bucketSchema).default([]),
  })
  .prefault({});

export type GcsBucketScenario = z.input<typeof bucketSchema>;
type Bucket = z.output<typeof bucketSchema> & { stored: StoredObject[] };

function json(status: number, body: unknown): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=UTF-8', 'x-guploader-uploadid': randomUUID() },
    body: JSON.stringify(body),
  };
}

function gcsError(status: number, reason: string, message: string, domain = 'global'): SimResponse {
  return json(status, { error: { code: status, message, errors: [{ message, domain, reason }] } });
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export class GcsSim implements SimService {
  readonly name = GCS_SERVICE;
  readonly #buckets = new Map<string, Bucket>();
  readonly #context: SimContext;
  readonly #maxPageSize: number;

  constructor(section: unknown, context: SimContext) {
    this.#context = context;
    const parsed = gcsSectionSchema.parse(section ?? {});
    this.#maxPageSize = parsed.maxPageSize;
    for (const bucket of parsed.buckets)
      this.#buckets.set(bucket.name, { ...bucket, stored: bucketObjects(bucket, context.now()) });
  }

  matches(request: SimRequest): boolean {
    return request.signingService === undefined && PATH.test(request.path);
  }

  operation(request: SimRequest): string {
    const match = PATH.exec(request.path);
    if (request.method === 'POST') return 'objects.insert';
    if (request.method === 'DELETE') return 'objects.delete';
    if (!match?.[2]) return request.path.includes('/o') ? 'objects.list' : 'buckets.get';
    return request.query.get('alt') === 'media' ? 'objects.media' : 'objects.get';
  }

  /**
   * `rateLimitExceeded` (HTTP 429), or the failure the faults name (`faults.throttleCode`), carried
   * as the JSON API carries its codes: as the reason of `errors[0]`.
   */
  throttled(_request?: SimRequest, injected?: InjectedFailure): SimResponse {
    return injected
      ? gcsError(injected.status, injected.code, injected.message)
      : gcsError(429, 'rateLimitExceeded', 'The rate of requests is too high.');
  }

  serverError(): SimResponse {
    return gcsError(503, 'backendError', 'Backend Error');
  }

  handle(request: SimRequest): SimResponse {
    const match = PATH.exec(request.path);
    if (!match || !['GET', 'POST', 'DELETE'].includes(request.method))
      return gcsError(405, 'methodNotAllowed', `${request.method} is not simulated`);
    const bucket = this.#buckets.get(decodeSegment(match[1] ?? ''));
    if (!bucket) return gcsError(404, 'notFound', 'The specified bucket does not exist.');
    const operation = this.operation(request) as GcsOperation;
    if (bucket.apiDisabled) {
      const number = simProjectNumber(bucket.project);
      return gcsError(
        403,
        'accessNotConfigured',
        `Access Not Configured. Cloud Storage JSON API has not been used in project ${number} before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/storage_api/overview?project=${number} then retry.`,
        'usageLimits',
      );
    }
    if (bucket.denied.includes(operation)) {
      return gcsError(
        403,
        'forbidden',
        `backup-guard does not have storage.${PERMISSIONS[operation]} access to the Google Cloud Storage ${operation.startsWith('buckets') ? 'bucket' : 'object'}.`,
      );
    }
    const now = this.#context.now();
    if (operation === 'buckets.get') return json(200, this.#bucketResource(bucket, now));
    if (operation === 'objects.list') return this.#list(bucket, request, now);
    if (operation === 'objects.insert') return this.#insert(bucket, request, now);
    const object = bucket.stored.find((candidate) => candidate.key === decodeSegment(match[2] ?? ''));
    if (operation === 'objects.delete') return this.#delete(bucket, object, request, now);
    // `generation` selects one revision of the object; the simulator keeps only the live one, so
    // any other is not found, as a bucket without versioning answers once an object was written again.
    const askedGeneration = request.query.get('generation');
    if (!object || (askedGeneration !== null && askedGeneration !== String(generationOf(object, now))))
      return gcsError(404, 'notFound', `No such object: ${bucket.name}/${decodeSegment(match[2] ?? '')}`);
    if (operation === 'objects.get') return json(200, this.#objectResource(bucket, object, now));
    const headers = {
      'content-type': 'application/octet-stream',
      'x-goog-generation': String(generationOf(object, now)),
      'x-goog-stored-content-length': String(object.body.length),
      'x-goog-stored-content-encoding': object.contentEncoding ?? 'identity',
      'x-goog-hash': `crc32c=${crc32cOf(object.body)},md5=${object.md5.toString('base64')}`,
      etag: `"${object.md5.toString('hex')}"`,
    };
    const acceptEncoding = request.headers['accept-encoding'];
    const acceptsGzip = /\bgzip\b/.test(
      Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : (acceptEncoding ?? ''),
    );
    if (object.contentEncoding === 'gzip' && !acceptsGzip) {
      // Decompressive transcoding: the whole object decompressed, Range ignored
      // (https://cloud.google.com/storage/docs/transcoding).
      return { status: 200, headers, body: gunzipSync(object.body) };
    }
    // Served as stored (`Accept-Encoding: gzip` for a gzip-encoded object): Range counts stored bytes.
    const served = object.contentEncoding === 'gzip' ? { ...headers, 'content-encoding': 'gzip' } : headers;
    const rangeHeader = request.headers.range;
    const range = byteRange(Array.isArray(rangeHeader) ? rangeHeader[0] : rangeHeader, object.body.length);
    if (range === 'invalid')
      return gcsError(416, 'requestedRangeNotSatisfiable', 'The requested range cannot be satisfied.');
    if (!range) return { status: 200, headers: served, body: object.body };
    return {
      status: 206,
      headers: { ...served, 'content-range': `bytes ${range.start}-${range.end}/${object.body.length}` },
      body: object.body.subarray(range.start, range.end + 1),
    };
  }

  /** objects.insert (multipart upload), with the generation precondition. */
  #insert(bucket: Bucket, request: SimRequest, now: Date): SimResponse {
    const name = request.query.get('name');
    const uploadType = request.query.get('uploadType');
    if ((uploadType !== 'multipart' && uploadType !== 'media') || !name) {
      return gcsError(400, 'invalid', 'Only uploadType=multipart or media with a name is simulated.');
    }
    let content: Buffer | undefined = request.body;
    if (uploadType === 'multipart') {
      const boundary = /boundary=("?)([^";]+)\1/.exec(String(request.headers['content-type'] ?? ''))?.[2];
      content = (boundary ? multipartParts(request.body, boundary) : [])[1];
      if (!content) return gcsError(400, 'invalid', 'Expected a metadata part and a media part.');
    }
    const existing = bucket.stored.find((object) => object.key === name);
    const failed = this.#precondition(request, existing, now);
    if (failed) return failed;
    const previous = existing ? generationOf(existing, now) : 0;
    const object = {
      ...stored(name, content, absoluteTime(now)),
      generation: Math.max(previous + 1, now.getTime() * 1000),
    };
    bucket.stored = [...bucket.stored.filter((candidate) => candidate.key !== name), object].sort((a, b) =>
      compareKeys(a.key, b.key),
    );
    return json(200, this.#objectResource(bucket, object, now));
  }

  /** objects.delete, with the generation precondition. */
  #delete(bucket: Bucket, object: StoredObject | undefined, request: SimRequest, now: Date): SimResponse {
    if (!object) return gcsError(404, 'notFound', 'No such object.');
    const failed = this.#precondition(request, object, now);
    if (failed) return failed;
    bucket.stored = bucket.stored.filter((candidate) => candidate !== object);
    return { status: 204, headers: {}, body: '' };
  }

  /** 412 unless `ifGenerationMatch` (when given) is the object's generation, 0 meaning absent. */
  #precondition(request: SimRequest, object: StoredObject | undefined, now: Date): SimResponse | undefined {
    const wanted = request.query.get('ifGenerationMatch');
    if (wanted === null) return undefined;
    const actual = object ? generationOf(object, now) : 0;
    if (Number(wanted) === actual) return undefined;
    return gcsError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
  }

  #list(bucket: Bucket, request: SimRequest, now: Date): SimResponse {
    const prefix = request.query.get('prefix') ?? '';
    const requested = Number(request.query.get('maxResults') ?? MAX_RESULTS);
    const pageSize = Math.min(
      Number.isInteger(requested) && requested > 0 ? requested : MAX_RESULTS,
      this.#maxPageSize,
    );
    const token = request.query.get('pageToken');
    const after = token ? Buffer.from(token, 'base64url').toString('utf8') : '';
    const matching = bucket.stored.filter(
      (object) => object.key.startsWith(prefix) && compareKeys(object.key, after) > 0,
    );
    const page = matching.slice(0, pageSize);
    const last = page.at(-1);
    return json(200, {
      kind: 'storage#objects',
      ...(page.length > 0 ? { items: page.map((object) => this.#objectResource(bucket, object, now)) } : {}),
      ...(matching.length > page.length && last
        ? { nextPageToken: Buffer.from(last.key).toString('base64url') }
        : {}),
    });
  }

  #objectResource(bucket: Bucket, object: StoredObject, now: Date): Record<string, unknown> {
    const written = object.lastModified.at(now).toISOString();
    const generation = String(generationOf(object, now));
    const encoded = encodeURIComponent(object.key);
    // The key the object was written with: its own, none (Google-managed), or the bucket default.
    const objectKey =
      bucket.objectKmsKeyName === false ? undefined : (bucket.objectKmsKeyName ?? bucket.defaultKmsKeyName);
    return {
      kind: 'storage#object',
      id: `${bucket.name}/${object.key}/${generation}`,
      selfLink: `https://www.googleapis.com/storage/v1/b/${bucket.name}/o/${encoded}`,
      mediaLink: `https://storage.googleapis.com/download/storage/v1/b/${bucket.name}/o/${encoded}?generation=${generation}&alt=media`,
      name: object.key,
      bucket: bucket.name,
      generation,
      metageneration: '1',
      contentType: 'application/octet-stream',
      ...(object.contentEncoding ? { contentEncoding: object.contentEncoding } : {}),
      storageClass: 'STANDARD',
      size: String(object.body.length),
      md5Hash: object.md5.toString('base64'),
      crc32c: crc32cOf(object.body),
      etag: 'CAE=',
      timeCreated: written,
      updated: written,
      timeStorageClassUpdated: written,
      timeFinalized: written,
      ...(objectKey ? { kmsKeyName: `${objectKey}/cryptoKeyVersions/1` } : {}),
      ...(bucket.retentionPolicy
        ? {
            retentionExpirationTime: new Date(
              object.lastModified.at(now).getTime() + bucket.retentionPolicy.retentionPeriodSeconds * 1000,
            ).toISOString(),
          }
        : {}),
    };
  }

  #bucketResource(bucket: Bucket, now: Date): Record<string, unknown> {
    const created = '2025-01-15T09:30:00.000Z';
    // Every condition the scenario sets, in the API's member names; unset ones are left out.
    const rules = bucket.lifecycle?.map(({ action, ...condition }) => ({
      action: { type: action },
      condition: Object.fromEntries(Object.entries(condition).filter(([, value]) => value !== undefined)),
    }));
    return {
      kind: 'storage#bucket',
      selfLink: `https://www.googleapis.com/storage/v1/b/${bucket.name}`,
      id: bucket.name,
      name: bucket.name,
      // The number of the project the scenario places the bucket in, as Resource Manager answers it.
      projectNumber: simProjectNumber(bucket.project),
      generation: '1736933400000000',
      metageneration: '3',
      location: bucket.location,
      storageClass: 'STANDARD',
      etag: 'CAM=',
      timeCreated: created,
      updated: now.toISOString(),
      locationType: bucket.location.includes('-') ? 'region' : 'multi-region',
      rpo: 'DEFAULT',
      ...(bucket.versioning !== undefined ? { versioning: { enabled: bucket.versioning } } : {}),
      ...(bucket.retentionPolicy
        ? {
            retentionPolicy: {
              retentionPeriod: String(bucket.retentionPolicy.retentionPeriodSeconds),
              effectiveTime: created,
              ...(bucket.retentionPolicy.isLocked !== undefined
                ? { isLocked: bucket.retentionPolicy.isLocked }
                : {}),
            },
          }
        : {}),
      ...(rules ? { lifecycle: { rule: rules } } : {}),
      iamConfiguration: {
        bucketPolicyOnly: { enabled: true, lockedTime: '2025-04-15T09:30:00.000Z' },
        uniformBucketLevelAccess: { enabled: true, lockedTime: '2025-04-15T09:30:00.000Z' },
        ...(bucket.publicAccessPrevention ? { publicAccessPrevention: bucket.publicAccessPrevention } : {}),
      },
      ...(bucket.defaultKmsKeyName ? { encryption: { defaultKmsKeyName: bucket.defaultKmsKeyName } } : {}),
      softDeletePolicy: {
        retentionDurationSeconds: String(bucket.softDeleteSeconds),
        effectiveTime: created,
      },
      hierarchicalNamespace: { enabled: false },
    };
  }
}

/** The generation first given to each seeded object that names none (see {@link generationOf}). */
const seededGenerations = new WeakMap<StoredObject, number>();

/**
 * Microseconds since the epoch of the write, as GCS generations are. A seeded object dated relative
 * to the clock (`-8h20m`) keeps the generation it was first given: its write time moves with a
 * running clock, but a generation names one revision, which a later read of it must find again.
 */
function generationOf(object: StoredObject, now: Date): number {
  if (object.generation !== undefined) return object.generation;
  let generation = seededGenerations.get(object);
  if (generation === undefined) {
    generation = object.lastModified.at(now).getTime() * 1000;
    seededGenerations.set(object, generation);
  }
  return generation;
}

/** The object's CRC32C, base64 as the API gives it (the library checks it after an upload). */
function crc32cOf(body: Buffer): string {
  const crc = new CRC32C();
  crc.update(body);
  return crc.toString();
}

/** The parts of a multipart/related body, each without its headers. */
function multipartParts(body: Buffer, boundary: string): Buffer[] {
  const text = body.toString('latin1');
  return text
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((part) => {
      const start = part.indexOf('\r\n\r\n');
      const content = start < 0 ? '' : part.slice(start + 4).replace(/\r\n$/, '');
      return Buffer.from(content, 'latin1');
    });
}

/** Builds the Cloud Storage simulator from `services.gcs`. */
export function createGcsService(scenario: Scenario, context: SimContext): GcsSim {
  return new GcsSim(scenario.services[GCS_SERVICE], context);
}
