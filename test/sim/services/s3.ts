/**
 * Simulated Amazon S3 (REST/XML) on the calls the dumps audit makes, as `@aws-sdk/client-s3` sends
 * them with an endpoint override: path-style (`forcePathStyle: true`, or any IP endpoint:
 * `http://127.0.0.1:port/<bucket>/<key>`) and virtual-hosted-style (`http://<bucket>.localhost:port/<key>`
 * from an endpoint `http://localhost:port`).
 *
 * - `GET /?list-type=2` ListObjectsV2: `prefix`, `max-keys` (<= 1000, the default), `continuation-token`,
 *   `start-after`, `encoding-type=url`; `IsTruncated`, `NextContinuationToken`, `KeyCount`.
 * - `GET /<key>` GetObject with `Range` (206 + `Content-Range`; 416 InvalidRange), `HEAD /<key>`
 *   HeadObject; both with SSE, storage class and (when the bucket has a default retention) Object
 *   Lock headers; HeadObject answers for an archived object too, GetObject refuses it.
 * - `PUT /<key>` PutObject with conditional writes (`If-None-Match: *`, `If-Match: <etag>`; 412
 *   PreconditionFailed), `DELETE /<key>` DeleteObject (204 whether or not the key exists).
 * - `HEAD /` HeadBucket (`x-amz-bucket-region`, even on 301/403), `GET /?location`,
 *   `?versioning`, `?object-lock`, `?lifecycle`, `?publicAccessBlock`, `?encryption`.
 * - S3 Control `GET /v20180820/configuration/publicAccessBlock` with `x-amz-account-id` (the
 *   account-level Block Public Access, IAM `s3:GetAccountPublicAccessBlock`), signed for `s3` as
 *   the SDK and the CLI sign it; errors in S3 Control's `<ErrorResponse><Error>…` body.
 *
 * Errors are S3's XML (`<Error><Code>…`), with the codes the service model and the S3 error
 * reference name: NoSuchBucket, NoSuchKey, NoSuchLifecycleConfiguration,
 * ObjectLockConfigurationNotFoundError, NoSuchPublicAccessBlockConfiguration,
 * ServerSideEncryptionConfigurationNotFoundError, AccessDenied (another account's bucket unless
 * its `readableBy` lets that account read it, a request whose `x-amz-expected-bucket-owner` is not
 * the bucket's owner, or an operation the scenario denies), PermanentRedirect (301, a request signed for another region than
 * the bucket's; GetBucketLocation answers from any region), IllegalLocationConstraintException (400,
 * instead of the 301 when the request's region or the bucket's is an opt-in region, with the same
 * `x-amz-bucket-region`: https://github.com/boto/botocore/pull/3303,
 * https://github.com/aws/aws-sdk-java-v2/pull/5678), InvalidRange, SlowDown, InternalError.
 */
import { createHash, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import * as z from 'zod';
import { EXPLICIT_DENY_POLICY_TYPES } from '../../../functions/core/errors.ts';
import type { InjectedFailure } from '../faults.ts';
import { escapeXml } from '../protocols/aws-query.ts';
import type { Scenario } from '../scenario.ts';
import { absoluteTime, accountIdSchema, regionSchema } from '../scenario-fields.ts';
import type { SimContext, SimRequest, SimResponse, SimService } from '../service.ts';
import { KmsService } from './kms.ts';
import {
  bucketContentsFields,
  bucketObjects,
  byteRange,
  compareKeys,
  type StoredObject,
} from './object-store.ts';

export const S3_SERVICE = 's3';
const NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
const MAX_KEYS = 1000;
const DAY_MS = 86_400_000;

/** The operations a scenario can deny (AccessDenied), named as in the S3 API. */
const S3_OPERATIONS = [
  'ListObjectsV2',
  'GetObject',
  'HeadObject',
  'HeadBucket',
  'GetBucketLocation',
  'GetBucketVersioning',
  'GetObjectLockConfiguration',
  'GetBucketLifecycleConfiguration',
  'GetPublicAccessBlock',
  'GetBucketEncryption',
  'PutObject',
  'DeleteObject',
] as const;
/**
 * The IAM action S3 authorizes each operation by (Service Authorization Reference, Amazon S3): what a
 * `detailed` refusal names.
 */
const S3_IAM_ACTIONS: Readonly<Record<S3Operation, string>> = {
  ListObjectsV2: 's3:ListBucket',
  GetObject: 's3:GetObject',
  HeadObject: 's3:GetObject',
  HeadBucket: 's3:ListBucket',
  GetBucketLocation: 's3:GetBucketLocation',
  GetBucketVersioning: 's3:GetBucketVersioning',
  GetObjectLockConfiguration: 's3:GetBucketObjectLockConfiguration',
  GetBucketLifecycleConfiguration: 's3:GetLifecycleConfiguration',
  GetPublicAccessBlock: 's3:GetBucketPublicAccessBlock',
  GetBucketEncryption: 's3:GetEncryptionConfiguration',
  PutObject: 's3:PutObject',
  DeleteObject: 's3:DeleteObject',
};
/** What a bucket policy granting another account read (`readableBy`) does not allow. */
const WRITE_OPERATIONS = new Set(['PutObject', 'DeleteObject', 'CopyObject']);
/** Regions launched after March 2019, which an account opts into: S3 answers 400, not 301, across them. */
const OPT_IN_REGIONS = new Set([
  'af-south-1',
  'ap-east-1',
  'ap-south-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ca-west-1',
  'eu-central-2',
  'eu-south-1',
  'eu-south-2',
  'il-central-1',
  'me-central-1',
  'me-south-1',
]);
/** The S3 Control path of the account-level Block Public Access. */
const ACCOUNT_PUBLIC_ACCESS_PATH = '/v20180820/configuration/publicAccessBlock';
type S3Operation = (typeof S3_OPERATIONS)[number];

const lifecycleRuleSchema = z.strictObject({
  id: z.string().min(1).max(255).optional(),
  status: z.enum(['Enabled', 'Disabled']).default('Enabled'),
  /** `Filter.Prefix`; absent: an empty filter (every object). */
  prefix: z.string().optional(),
  expirationDays: z.int().min(1).optional(),
  expirationDate: z.iso.date().optional(),
  noncurrentDays: z.int().min(1).optional(),
});

const publicAccessBlockSchema = z.strictObject({
  blockPublicAcls: z.boolean(),
  ignorePublicAcls: z.boolean(),
  blockPublicPolicy: z.boolean(),
  restrictPublicBuckets: z.boolean(),
});

/** An Object Lock retention: a mode and a period of days or years (a bucket default, or an upload's own). */
const retentionSchema = z
  .strictObject({
    mode: z.enum(['GOVERNANCE', 'COMPLIANCE']),
    days: z.int().min(1).optional(),
    years: z.int().min(1).optional(),
  })
  .refine((retention) => (retention.days === undefined) !== (retention.years === undefined), {
    message: 'give exactly one of days or years',
  });

const bucketSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
  account: accountIdSchema.default('111111111111'),
  region: regionSchema.default('eu-west-1'),
  /** Absent: never enabled (GetBucketVersioning then has no Status). */
  versioning: z.enum(['Enabled', 'Suspended']).optional(),
  /** Absent: ObjectLockConfigurationNotFoundError. `defaultRetention` absent: enabled without a rule. */
  objectLock: z
    .strictObject({
      defaultRetention: retentionSchema.optional(),
    })
    .optional(),
  /** Absent: NoSuchLifecycleConfiguration. */
  lifecycle: z.array(lifecycleRuleSchema).min(1).optional(),
  /** Absent: NoSuchPublicAccessBlockConfiguration. */
  publicAccessBlock: publicAccessBlockSchema.optional(),
  /**
   * Default encryption. Every bucket has at least SSE-S3 since January 2023 (the default here);
   * `none` answers ServerSideEncryptionConfigurationNotFoundError, as older endpoints did.
   */
  encryption: z
    .union([
      z.literal('none'),
      z.strictObject({
        algorithm: z.enum(['AES256', 'aws:kms', 'aws:kms:dsse']),
        kmsKeyId: z.string().min(1).optional(),
      }),
    ])
    .default({ algorithm: 'AES256' }),
  /**
   * The encryption every object was uploaded with, overriding the default (PutObject's
   * `x-amz-server-side-encryption` and `-aws-kms-key-id` headers, e.g. `aws s3 cp --sse AES256`);
   * absent: the objects carry the default encryption. GetObject and HeadObject answer with it.
   */
  uploadEncryption: z
    .strictObject({
      /** `SSE-C`: a customer-provided key; GetObject without it answers 400 InvalidRequest. */
      algorithm: z.enum(['AES256', 'aws:kms', 'aws:kms:dsse', 'SSE-C']),
      kmsKeyId: z.string().min(1).optional(),
    })
    .optional(),
  /**
   * The Object Lock retention every object was uploaded with, overriding the bucket default
   * (PutObject's `x-amz-object-lock-mode` and `-retain-until-date`, here as days after the upload);
   * absent: the objects carry the default retention. GetObject and HeadObject answer with it.
   */
  uploadRetention: retentionSchema.optional(),
  /**
   * The Object Lock legal hold every object carries (PutObject's `x-amz-object-lock-legal-hold`, or
   * PutObjectLegalHold since), on a bucket with Object Lock; GetObject and HeadObject answer it as
   * `x-amz-object-lock-legal-hold`. Absent: never held, so S3 sends no such header.
   */
  legalHold: z.enum(['ON', 'OFF']).optional(),
  /**
   * Every object's storage class, as a lifecycle transition leaves them. GLACIER and DEEP_ARCHIVE
   * objects are archived: GetObject answers 403 InvalidObjectState with the class until they are
   * restored (API_GetObject; the SDK's InvalidObjectState carries StorageClass), while HeadObject
   * answers as for any object, with its encryption and Object Lock headers (API_HeadObject).
   */
  storageClass: z
    .enum(['STANDARD', 'STANDARD_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'])
    .default('STANDARD'),
  /**
   * With INTELLIGENT_TIERING only: the opt-in archive access tier the objects moved to. GetObject
   * then answers 403 InvalidObjectState naming the class and `AccessTier`, and HeadObject names the
   * tier in `x-amz-archive-status` (API_HeadObject ArchiveStatus).
   */
  accessTier: z.enum(['ARCHIVE_ACCESS', 'DEEP_ARCHIVE_ACCESS']).optional(),
  /**
   * Operations answered with AccessDenied, as for a role without that permission. `GetObject`
   * denies HeadObject too: both are the IAM action s3:GetObject.
   */
  denied: z.array(z.enum(S3_OPERATIONS)).default([]),
  /**
   * How the operations of `denied` are refused: `generic`, S3's bare `Access Denied`; `detailed`, its
   * newer message naming the caller's ARN, the IAM action and the resource ("User:
   * arn:aws:sts::…:assumed-role/audit/session is not authorized to perform: s3:GetBucketVersioning
   * on resource: "arn:aws:s3:::bucket" because no identity-based policy allows the
   * s3:GetBucketVersioning action"; IAM user guide, "Troubleshooting access denied error messages").
   */
  deniedMessage: z.enum(['generic', 'detailed']).default('generic'),
  /**
   * GetObject alone answered with a bare `Access Denied` while HeadObject is answered: what the audit
   * sees when the two calls are judged differently (a bucket or endpoint policy condition only the
   * GET meets, the object replaced between the calls). Whatever the object's encryption, so a
   * refusal of an SSE-S3 or unencrypted object can be shown not to be KMS's.
   */
  getObjectDenied: z.boolean().default(false),
  /**
   * A Deny statement of this policy type refuses s3:GetObject on the bucket's objects (the bucket
   * policy: `resource-based policy`; an SCP, a permissions boundary…): GetObject answers 403
   * AccessDenied "… with an explicit deny in a <type>", naming the caller's ARN as S3 does, and
   * HeadObject (the same action) a bare 403.
   */
  getObjectExplicitDeny: z.enum(EXPLICIT_DENY_POLICY_TYPES).optional(),
  /**
   * Other accounts a bucket policy lets read the bucket (its objects, listing and settings, not
   * writes), as a bucket of another account than the policy names can be read by the audit.
   */
  readableBy: z.array(accountIdSchema).default([]),
  /**
   * The regions whose S3 the caller's kms:Decrypt grant covers (`kms:ViaService`
   * `s3.<region>.amazonaws.com`, as the audit role's DecryptDumpHeadersThroughS3 statement); absent:
   * every region. GetObject of an SSE-KMS object in a bucket of another region answers 403
   * AccessDenied, as S3 does when KMS refuses it the decrypt: naming kms:Decrypt (`detailed`), or
   * only `Access Denied` (`generic`), as S3 long answered (https://github.com/boto/boto3/issues/2952).
   * HeadObject decrypts nothing and is answered.
   */
  kmsDecrypt: z
    .strictObject({
      viaRegions: z.array(regionSchema),
      message: z.enum(['detailed', 'generic']).default('detailed'),
    })
    .optional(),
  ...bucketContentsFields,
});

/** An account's S3 settings: its account-level Block Public Access (absent: none configured). */
const s3AccountSchema = z.strictObject({
  account: accountIdSchema,
  publicAccessBlock: publicAccessBlockSchema.optional(),
  /** Answer the account-level read with AccessDenied, as for a role without the permission. */
  denied: z.boolean().default(false),
  /** Answer the account-level read with 503 SlowDown, every time: throttled until the retries run out. */
  throttled: z.boolean().default(false),
});

/** Schema of `services.s3`. */
export const s3SectionSchema = z
  .strictObject({
    buckets: z.array(bucketSchema).default([]),
    /** Accounts not listed have no account-level Block Public Access (NoSuchPublicAccessBlockConfiguration). */
    accounts: z.array(s3AccountSchema).default([]),
  })
  .prefault({});

export type S3BucketScenario = z.input<typeof bucketSchema>;
type Bucket = z.output<typeof bucketSchema> & { readonly stored: StoredObject[] };

function xml(status: number, body: string, headers: Record<string, string> = {}): SimResponse {
  return {
    status,
    headers: {
      'content-type': 'application/xml',
      'x-amz-request-id': randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase(),
      'x-amz-id-2': Buffer.from(randomUUID()).toString('base64'),
      ...headers,
    },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  };
}

function s3Error(
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
): SimResponse {
  const fields = Object.entries(extra)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  return xml(
    status,
    `<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>${fields}<RequestId>${randomUUID()}</RequestId></Error>`,
    headers,
  );
}

/** S3 Control's error body: `<ErrorResponse><Error>` with the account, then the request id. */
function controlError(status: number, code: string, message: string, accountId: string): SimResponse {
  return xml(
    status,
    `<ErrorResponse><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message><AccountId>${escapeXml(accountId)}</AccountId></Error><RequestId>${randomUUID()}</RequestId><HostId>${randomUUID()}</HostId></ErrorResponse>`,
  );
}

/** HEAD answers carry no body: the SDK reads the status (and headers) only. */
function headError(status: number, headers: Record<string, string> = {}): SimResponse {
  return { status, headers: { 'x-amz-request-id': randomUUID(), ...headers }, body: '' };
}

/** S3 keeps modification times to the second. */
function toSecond(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

function httpDate(date: Date): string {
  return toSecond(date).toUTCString();
}

function isoMs(date: Date): string {
  return toSecond(date).toISOString();
}

/** The bucket and key of a request, path-style or virtual-hosted-style. */
export function s3Address(request: SimRequest): { bucket: string | undefined; key: string } {
  const host = String(request.headers.host ?? '').replace(/:\d+$/, '');
  const virtualHost =
    /^(.+)\.localhost$/.exec(host)?.[1] ?? /^(.+)\.s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com$/.exec(host)?.[1];
  const path = request.path;
  if (virtualHost && isIP(host) === 0) return { bucket: virtualHost, key: decodeKey(path.slice(1)) };
  const [, bucket, ...rest] = path.split('/');
  return { bucket: bucket ? decodeURIComponent(bucket) : undefined, key: decodeKey(rest.join('/')) };
}

function decodeKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

/** The S3 operation a request calls, from method, key and sub-resource. */
export function s3Operation(request: SimRequest, key: string): string {
  if (request.path === ACCOUNT_PUBLIC_ACCESS_PATH && request.headers['x-amz-account-id'] !== undefined) {
    return request.method === 'GET'
      ? 'GetAccountPublicAccessBlock'
      : `${request.method}AccountPublicAccessBlock`;
  }
  const query = request.query;
  if (key) {
    const objectOperations: Readonly<Record<string, string>> = {
      HEAD: 'HeadObject',
      GET: 'GetObject',
      PUT: request.headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject',
      DELETE: 'DeleteObject',
    };
    return objectOperations[request.method] ?? `${request.method}Object`;
  }
  if (request.method === 'HEAD') return 'HeadBucket';
  if (request.method !== 'GET') return `${request.method}Bucket`;
  if (query.get('list-type') === '2') return 'ListObjectsV2';
  const subresources: Readonly<Record<string, S3Operation>> = {
    location: 'GetBucketLocation',
    versioning: 'GetBucketVersioning',
    'object-lock': 'GetObjectLockConfiguration',
    lifecycle: 'GetBucketLifecycleConfiguration',
    publicAccessBlock: 'GetPublicAccessBlock',
    encryption: 'GetBucketEncryption',
  };
  for (const [name, operation] of Object.entries(subresources)) if (query.has(name)) return operation;
  return 'ListObjects';
}

/**
 * The parts of an object's `<Contents>` entry that do not move with the clock, rendered once per
 * object and key encoding, and its modification time once per second it moves to: a benchmark
 * lists tens of thousands of objects, and the simulator renders each answer on its one thread,
 * which a real S3 does not.
 */
const renderedContents = new WeakMap<StoredObject, { plain?: ContentsXml; url?: ContentsXml }>();
interface ContentsXml {
  /** Up to the `<LastModified>` text. */
  readonly head: string;
  /** From `</LastModified>` on. */
  readonly tail: string;
  /** The `<LastModified>` text last rendered (S3 lists whole seconds), and its second. */
  lastModified?: string;
  second?: number;
}

function contentsXml(
  object: StoredObject,
  storageClass: string,
  urlEncoding: boolean,
  encode: (text: string) => string,
): ContentsXml {
  let rendered = renderedContents.get(object);
  if (!rendered) {
    rendered = {};
    renderedContents.set(object, rendered);
  }
  const kind = urlEncoding ? 'url' : 'plain';
  let parts = rendered[kind];
  if (!parts) {
    parts = {
      head: `<Contents><Key>${escapeXml(encode(object.key))}</Key><LastModified>`,
      tail: `</LastModified><ETag>&quot;${object.md5.toString('hex')}&quot;</ETag><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType><Size>${object.body.length}</Size><StorageClass>${storageClass}</StorageClass></Contents>`,
    };
    rendered[kind] = parts;
  }
  return parts;
}

export class S3Sim implements SimService {
  readonly name = S3_SERVICE;
  readonly #buckets = new Map<string, Bucket>();
  readonly #accounts = new Map<string, z.output<typeof s3AccountSchema>>();
  readonly #context: SimContext;
  /** The scenario's KMS, which resolves an alias a bucket or an upload names to its key. */
  readonly #kms: KmsService | undefined;

  constructor(section: unknown, context: SimContext, kms?: KmsService) {
    this.#context = context;
    this.#kms = kms;
    const parsed = s3SectionSchema.parse(section ?? {});
    for (const account of parsed.accounts) this.#accounts.set(account.account, account);
    for (const bucket of parsed.buckets) {
      this.#buckets.set(bucket.name, { ...bucket, stored: bucketObjects(bucket, context.now()) });
    }
  }

  matches(request: SimRequest): boolean {
    return request.signingService === 's3';
  }

  operation(request: SimRequest): string {
    return s3Operation(request, s3Address(request).key);
  }

  /**
   * `SlowDown` (HTTP 503), or the failure the faults name (`faults.throttleCode`); a HEAD's answer
   * has no body, only the status.
   */
  throttled(request: SimRequest, injected?: InjectedFailure): SimResponse {
    const { status, code, message } = injected ?? {
      status: 503,
      code: 'SlowDown',
      message: 'Please reduce your request rate.',
    };
    return request.method === 'HEAD' ? headError(status) : s3Error(status, code, message);
  }

  serverError(request: SimRequest): SimResponse {
    return request.method === 'HEAD'
      ? headError(500)
      : s3Error(500, 'InternalError', 'We encountered an internal error. Please try again.');
  }

  /** The objects of a bucket, for tests that change or inspect them. */
  objects(bucket: string): StoredObject[] {
    return this.#buckets.get(bucket)?.stored ?? [];
  }

  handle(request: SimRequest): SimResponse {
    const { bucket: name, key } = s3Address(request);
    const operation = s3Operation(request, key);
    if (operation.endsWith('AccountPublicAccessBlock')) return this.#accountPublicAccess(request, operation);
    const head = request.method === 'HEAD';
    if (!name) return s3Error(403, 'AccessDenied', 'ListBuckets is not simulated.');
    const bucket = this.#buckets.get(name);
    if (!bucket) {
      return head
        ? headError(404)
        : s3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: name });
    }
    const regionHeader = { 'x-amz-bucket-region': bucket.region };
    // Bucket owner condition: a request naming another expected owner is refused as AccessDenied
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html).
    const expectedOwner = request.headers['x-amz-expected-bucket-owner'];
    const reader =
      request.callerAccount === bucket.account ||
      (request.callerAccount !== undefined &&
        bucket.readableBy.includes(request.callerAccount) &&
        !WRITE_OPERATIONS.has(operation));
    if (
      reader &&
      (expectedOwner === undefined || expectedOwner === bucket.account) &&
      bucket.denied.includes(operation as S3Operation) &&
      bucket.deniedMessage === 'detailed' &&
      !head
    ) {
      const action = S3_IAM_ACTIONS[operation as S3Operation];
      return s3Error(
        403,
        'AccessDenied',
        `User: arn:aws:sts::${request.callerAccount ?? bucket.account}:assumed-role/audit/session is not authorized to perform: ${action} on resource: "arn:aws:s3:::${bucket.name}${key ? `/${key}` : ''}" because no identity-based policy allows the ${action} action`,
        {},
        regionHeader,
      );
    }
    if (
      !reader ||
      (expectedOwner !== undefined && expectedOwner !== bucket.account) ||
      bucket.denied.includes(operation as S3Operation) ||
      // HeadObject is authorized by s3:GetObject (API_HeadObject): a role denied one is denied both.
      (operation === 'HeadObject' && bucket.denied.includes('GetObject')) ||
      (operation === 'GetObject' && bucket.getObjectDenied)
    ) {
      return head
        ? headError(403, regionHeader)
        : s3Error(403, 'AccessDenied', 'Access Denied', {}, regionHeader);
    }
    const deny = bucket.getObjectExplicitDeny;
    if (deny !== undefined && (operation === 'GetObject' || operation === 'HeadObject')) {
      return head
        ? headError(403, regionHeader)
        : s3Error(
            403,
            'AccessDenied',
            `User: arn:aws:sts::${request.callerAccount ?? bucket.account}:assumed-role/audit/session is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::${bucket.name}/${key}" with an explicit deny in ${/^[aeiou]/i.test(deny) ? 'an' : 'a'} ${deny}`,
            {},
            regionHeader,
          );
    }
    if (operation !== 'GetBucketLocation' && request.signingRegion !== bucket.region) {
      const optIn =
        OPT_IN_REGIONS.has(bucket.region) || OPT_IN_REGIONS.has(request.signingRegion ?? bucket.region);
      if (optIn) {
        return head
          ? headError(400, regionHeader)
          : s3Error(
              400,
              'IllegalLocationConstraintException',
              `The ${bucket.region} location constraint is incompatible for the region specific endpoint this request was sent to.`,
              {},
              regionHeader,
            );
      }
      return head
        ? headError(301, regionHeader)
        : s3Error(
            301,
            'PermanentRedirect',
            'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
            { Endpoint: `${name}.s3.${bucket.region}.amazonaws.com`, Bucket: name },
            regionHeader,
          );
    }
    const now = this.#context.now();
    switch (operation) {
      case 'HeadBucket':
        return { status: 200, headers: { ...regionHeader, 'x-amz-request-id': randomUUID() }, body: '' };
      case 'GetBucketLocation':
        // us-east-1 answers an empty LocationConstraint.
        return xml(
          200,
          bucket.region === 'us-east-1'
            ? `<LocationConstraint xmlns="${NAMESPACE}"/>`
            : `<LocationConstraint xmlns="${NAMESPACE}">${bucket.region}</LocationConstraint>`,
        );
      case 'ListObjectsV2':
        return this.#list(bucket, request, now);
      case 'GetObject':
      case 'HeadObject':
        return this.#object(bucket, key, request, now);
      case 'PutObject':
        return this.#put(bucket, key, request, now);
      case 'DeleteObject': {
        const index = bucket.stored.findIndex((candidate) => candidate.key === key);
        if (index >= 0) bucket.stored.splice(index, 1);
        return { status: 204, headers: { 'x-amz-request-id': randomUUID() }, body: '' };
      }
      case 'GetBucketVersioning':
        return xml(
          200,
          bucket.versioning
            ? `<VersioningConfiguration xmlns="${NAMESPACE}"><Status>${bucket.versioning}</Status></VersioningConfiguration>`
            : `<VersioningConfiguration xmlns="${NAMESPACE}"/>`,
        );
      case 'GetObjectLockConfiguration':
        return this.#objectLock(bucket);
      case 'GetBucketLifecycleConfiguration':
        return this.#lifecycle(bucket);
      case 'GetPublicAccessBlock': {
        const block = bucket.publicAccessBlock;
        if (!block) {
          return s3Error(
            404,
            'NoSuchPublicAccessBlockConfiguration',
            'The public access block configuration was not found',
            {
              BucketName: name,
            },
          );
        }
        return xml(
          200,
          `<PublicAccessBlockConfiguration xmlns="${NAMESPACE}"><BlockPublicAcls>${block.blockPublicAcls}</BlockPublicAcls><IgnorePublicAcls>${block.ignorePublicAcls}</IgnorePublicAcls><BlockPublicPolicy>${block.blockPublicPolicy}</BlockPublicPolicy><RestrictPublicBuckets>${block.restrictPublicBuckets}</RestrictPublicBuckets></PublicAccessBlockConfiguration>`,
        );
      }
      case 'GetBucketEncryption': {
        const encryption = bucket.encryption;
        if (encryption === 'none') {
          return s3Error(
            404,
            'ServerSideEncryptionConfigurationNotFoundError',
            'The server side encryption configuration was not found',
            { BucketName: name },
          );
        }
        const keyId = encryption.kmsKeyId
          ? `<KMSMasterKeyID>${escapeXml(encryption.kmsKeyId)}</KMSMasterKeyID>`
          : '';
        return xml(
          200,
          `<ServerSideEncryptionConfiguration xmlns="${NAMESPACE}"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>${encryption.algorithm}</SSEAlgorithm>${keyId}</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>${encryption.algorithm !== 'AES256'}</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`,
        );
      }
      default:
        return s3Error(501, 'NotImplemented', `The simulator does not implement ${operation}.`);
    }
  }

  /** S3 Control GetPublicAccessBlock: the caller's own account only (another account's is AccessDenied). */
  #accountPublicAccess(request: SimRequest, operation: string): SimResponse {
    const accountId = String(request.headers['x-amz-account-id']);
    if (operation !== 'GetAccountPublicAccessBlock') {
      return controlError(501, 'NotImplemented', `The simulator does not implement ${operation}.`, accountId);
    }
    const account = this.#accounts.get(accountId);
    if (request.callerAccount !== accountId || account?.denied) {
      return controlError(403, 'AccessDenied', 'Access Denied', accountId);
    }
    if (account?.throttled)
      return controlError(503, 'SlowDown', 'Please reduce your request rate.', accountId);
    const block = account?.publicAccessBlock;
    if (!block) {
      return controlError(
        404,
        'NoSuchPublicAccessBlockConfiguration',
        'The public access block configuration was not found',
        accountId,
      );
    }
    return xml(
      200,
      `<PublicAccessBlockConfiguration xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><BlockPublicAcls>${block.blockPublicAcls}</BlockPublicAcls><IgnorePublicAcls>${block.ignorePublicAcls}</IgnorePublicAcls><BlockPublicPolicy>${block.blockPublicPolicy}</BlockPublicPolicy><RestrictPublicBuckets>${block.restrictPublicBuckets}</RestrictPublicBuckets></PublicAccessBlockConfiguration>`,
    );
  }

  #list(bucket: Bucket, request: SimRequest, now: Date): SimResponse {
    const query = request.query;
    const prefix = query.get('prefix') ?? '';
    const maxKeysText = query.get('max-keys');
    const maxKeys = maxKeysText === null ? MAX_KEYS : Number(maxKeysText);
    if (!Number.isInteger(maxKeys) || maxKeys < 0) {
      return s3Error(400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range');
    }
    const pageSize = Math.min(maxKeys, MAX_KEYS);
    const token = query.get('continuation-token');
    let after = query.get('start-after') ?? '';
    if (token !== null) {
      const decoded = Buffer.from(token, 'base64url').toString('utf8');
      if (!decoded.startsWith('sim:')) {
        return s3Error(400, 'InvalidArgument', 'The continuation token provided is incorrect');
      }
      after = decoded.slice(4);
    }
    const urlEncoding = query.get('encoding-type') === 'url';
    const encode = (text: string) => (urlEncoding ? encodeURIComponent(text).replaceAll('%2F', '/') : text);
    const matching = bucket.stored.filter(
      (object) => object.key.startsWith(prefix) && compareKeys(object.key, after) > 0,
    );
    const page = matching.slice(0, pageSize);
    const truncated = matching.length > page.length;
    let contents = '';
    for (const object of page) {
      const parts = contentsXml(object, bucket.storageClass, urlEncoding, encode);
      const second = Math.floor(object.lastModified.at(now).getTime() / 1000);
      if (parts.second !== second) {
        parts.second = second;
        parts.lastModified = new Date(second * 1000).toISOString();
      }
      contents += `${parts.head}${parts.lastModified}${parts.tail}`;
    }
    const last = page.at(-1);
    const next =
      truncated && last
        ? `<NextContinuationToken>${Buffer.from(`sim:${last.key}`).toString('base64url')}</NextContinuationToken>`
        : '';
    return xml(
      200,
      `<ListBucketResult xmlns="${NAMESPACE}"><Name>${bucket.name}</Name><Prefix>${escapeXml(encode(prefix))}</Prefix>` +
        `${token !== null ? `<ContinuationToken>${escapeXml(token)}</ContinuationToken>` : ''}` +
        `<KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
        `${urlEncoding ? '<EncodingType>url</EncodingType>' : ''}<IsTruncated>${truncated}</IsTruncated>${next}${contents}</ListBucketResult>`,
    );
  }

  #object(bucket: Bucket, key: string, request: SimRequest, now: Date): SimResponse {
    const head = request.method === 'HEAD';
    const object = bucket.stored.find((candidate) => candidate.key === key);
    if (!object) {
      return head
        ? headError(404)
        : s3Error(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
    }
    const written = object.lastModified.at(now);
    const headers: Record<string, string> = {
      'last-modified': httpDate(written),
      etag: `"${object.md5.toString('hex')}"`,
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
      'x-amz-request-id': randomUUID(),
    };
    // S3 names every storage class but STANDARD in `x-amz-storage-class` (API_HeadObject, API_GetObject).
    if (bucket.storageClass !== 'STANDARD') headers['x-amz-storage-class'] = bucket.storageClass;
    const accessTier = bucket.storageClass === 'INTELLIGENT_TIERING' ? bucket.accessTier : undefined;
    if (accessTier) headers['x-amz-archive-status'] = accessTier;
    const encryption = bucket.uploadEncryption ?? bucket.encryption;
    if (encryption !== 'none' && encryption.algorithm === 'SSE-C') {
      return head
        ? headError(400)
        : s3Error(
            400,
            'InvalidRequest',
            'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.',
          );
    }
    if (encryption !== 'none') {
      headers['x-amz-server-side-encryption'] = encryption.algorithm;
      if (encryption.kmsKeyId) {
        // S3 answers with the ARN of the key that encrypted the object ("the ID of the KMS key that
        // was used for object encryption", API_GetObject SSEKMSKeyId) however the key was named: a
        // bare key id is a key of the bucket's account and region, an alias the key it points to
        // (in the scenario's KMS; one it does not have is sent as named).
        const { kmsKeyId } = encryption;
        headers['x-amz-server-side-encryption-aws-kms-key-id'] = /^(mrk-)?[0-9a-f-]{32,36}$/.test(kmsKeyId)
          ? `arn:aws:kms:${bucket.region}:${bucket.account}:key/${kmsKeyId}`
          : /(^|:)alias\//.test(kmsKeyId)
            ? (this.#kms?.aliasTargetArn(bucket.account, bucket.region, kmsKeyId) ?? kmsKeyId)
            : kmsKeyId;
      }
    }
    const retention = bucket.objectLock && (bucket.uploadRetention ?? bucket.objectLock.defaultRetention);
    if (retention) {
      const days = retention.days ?? (retention.years ?? 0) * 365;
      headers['x-amz-object-lock-mode'] = retention.mode;
      headers['x-amz-object-lock-retain-until-date'] = isoMs(new Date(written.getTime() + days * DAY_MS));
    }
    if (bucket.objectLock && bucket.legalHold) headers['x-amz-object-lock-legal-hold'] = bucket.legalHold;
    if (
      !head &&
      (bucket.storageClass === 'GLACIER' || bucket.storageClass === 'DEEP_ARCHIVE' || accessTier)
    ) {
      return s3Error(403, 'InvalidObjectState', "The operation is not valid for the object's storage class", {
        StorageClass: bucket.storageClass,
        ...(accessTier ? { AccessTier: accessTier } : {}),
      });
    }
    // An archived object is refused before its key is asked for anything.
    if (
      !head &&
      encryption !== 'none' &&
      encryption.algorithm.startsWith('aws:kms') &&
      bucket.kmsDecrypt !== undefined &&
      !bucket.kmsDecrypt.viaRegions.includes(bucket.region)
    ) {
      const keyArn = headers['x-amz-server-side-encryption-aws-kms-key-id'] ?? 'the aws/s3 key';
      return s3Error(
        403,
        'AccessDenied',
        bucket.kmsDecrypt.message === 'generic'
          ? 'Access Denied'
          : `User: arn:aws:sts::${request.callerAccount ?? bucket.account}:assumed-role/audit/session is not authorized to perform: kms:Decrypt on resource: ${keyArn} because no identity-based policy allows the kms:Decrypt action`,
      );
    }
    const range = head ? undefined : byteRange(headerText(request.headers.range), object.body.length);
    if (range === 'invalid') {
      return s3Error(416, 'InvalidRange', 'The requested range is not satisfiable', {
        RangeRequested: headerText(request.headers.range) ?? '',
        ActualObjectSize: String(object.body.length),
      });
    }
    if (head)
      return { status: 200, headers: { ...headers, 'content-length': String(object.body.length) }, body: '' };
    if (!range) return { status: 200, headers, body: object.body };
    return {
      status: 206,
      headers: { ...headers, 'content-range': `bytes ${range.start}-${range.end}/${object.body.length}` },
      body: object.body.subarray(range.start, range.end + 1),
    };
  }

  /**
   * PutObject with S3's conditional writes (S3 user guide, "How to prevent object overwrites with
   * conditional writes"): `If-None-Match: *` fails with 412 PreconditionFailed when the key exists;
   * `If-Match: <etag>` fails with 412 when the ETag differs and 404 NoSuchKey when there is no object.
   */
  #put(bucket: Bucket, key: string, request: SimRequest, now: Date): SimResponse {
    const existing = bucket.stored.find((candidate) => candidate.key === key);
    const ifNoneMatch = headerText(request.headers['if-none-match']);
    const ifMatch = headerText(request.headers['if-match']);
    if (ifNoneMatch !== undefined && ifNoneMatch !== '*') {
      return s3Error(
        501,
        'NotImplemented',
        'A header you provided implies functionality that is not implemented',
        {
          Header: 'If-None-Match',
        },
      );
    }
    const precondition = (): SimResponse =>
      s3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
        Condition: ifMatch !== undefined ? 'If-Match' : 'If-None-Match',
      });
    if (ifNoneMatch === '*' && existing) return precondition();
    if (ifMatch !== undefined) {
      if (!existing) return s3Error(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
      if (ifMatch !== `"${existing.md5.toString('hex')}"` && ifMatch !== existing.md5.toString('hex')) {
        return precondition();
      }
    }
    const body = awsChunkedPayload(request);
    const md5 = createHash('md5').update(body).digest();
    const object: StoredObject = { key, body, lastModified: absoluteTime(now), md5 };
    const index = bucket.stored.findIndex((candidate) => candidate.key === key);
    if (index >= 0) bucket.stored[index] = object;
    else {
      bucket.stored.push(object);
      bucket.stored.sort((a, b) => compareKeys(a.key, b.key));
    }
    return {
      status: 200,
      headers: { etag: `"${md5.toString('hex')}"`, 'x-amz-request-id': randomUUID() },
      body: '',
    };
  }

  #objectLock(bucket: Bucket): SimResponse {
    const lock = bucket.objectLock;
    if (!lock) {
      return s3Error(
        404,
        'ObjectLockConfigurationNotFoundError',
        'Object Lock configuration does not exist for this bucket',
        {
          BucketName: bucket.name,
        },
      );
    }
    const retention = lock.defaultRetention;
    const rule = retention
      ? `<Rule><DefaultRetention><Mode>${retention.mode}</Mode>${retention.days !== undefined ? `<Days>${retention.days}</Days>` : `<Years>${retention.years}</Years>`}</DefaultRetention></Rule>`
      : '';
    return xml(
      200,
      `<ObjectLockConfiguration xmlns="${NAMESPACE}"><ObjectLockEnabled>Enabled</ObjectLockEnabled>${rule}</ObjectLockConfiguration>`,
    );
  }

  #lifecycle(bucket: Bucket): SimResponse {
    if (!bucket.lifecycle) {
      return s3Error(404, 'NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', {
        BucketName: bucket.name,
      });
    }
    const rules = bucket.lifecycle
      .map((rule) => {
        const id = rule.id ? `<ID>${escapeXml(rule.id)}</ID>` : '';
        const filter =
          rule.prefix !== undefined
            ? `<Filter><Prefix>${escapeXml(rule.prefix)}</Prefix></Filter>`
            : '<Filter/>';
        const expiration =
          rule.expirationDays !== undefined
            ? `<Expiration><Days>${rule.expirationDays}</Days></Expiration>`
            : rule.expirationDate
              ? `<Expiration><Date>${rule.expirationDate}T00:00:00.000Z</Date></Expiration>`
              : '';
        const noncurrent =
          rule.noncurrentDays !== undefined
            ? `<NoncurrentVersionExpiration><NoncurrentDays>${rule.noncurrentDays}</NoncurrentDays></NoncurrentVersionExpiration>`
            : '';
        return `<Rule>${id}${filter}<Status>${rule.status}</Status>${expiration}${noncurrent}</Rule>`;
      })
      .join('');
    return xml(200, `<LifecycleConfiguration xmlns="${NAMESPACE}">${rules}</LifecycleConfiguration>`, {
      'x-amz-transition-default-minimum-object-size': 'all_storage_classes_128K',
    });
  }
}

/**
 * The payload of a PutObject: as sent, or decoded from `aws-chunked` content encoding (the SDK's
 * flexible checksums send the body in chunks with the checksum as a trailer: S3 API reference,
 * "Signature Calculations for the Authorization Header: Transferring Payload in Multiple Chunks").
 */
function awsChunkedPayload(request: SimRequest): Buffer {
  const encoding = headerText(request.headers['content-encoding']) ?? '';
  if (!encoding.split(',').some((part) => part.trim() === 'aws-chunked')) return request.body;
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = request.body.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(
      request.body.subarray(offset, lineEnd).toString('latin1').split(';')[0] ?? '',
      16,
    );
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(request.body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Builds the S3 simulator from `services.s3`. */
export function createS3Service(scenario: Scenario, context: SimContext): S3Sim {
  return new S3Sim(scenario.services[S3_SERVICE], context, new KmsService(scenario.services.kms));
}
