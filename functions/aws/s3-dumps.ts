/**
 * Reads one S3 dump location into a neutral `DumpFact`: the series under the prefix (bounded by the
 * policy's `maxObjectsListed`), the first bytes of the newest object that may be a dump (with no
 * suffix, not a checksum, signature or log by its key: core/dump-facts.ts newestPossibleDump; a ranged GET of
 * {@link PG_DUMP_HEADER_BYTES}, never a full download) and, beside them, its last bytes (a GET of
 * the suffix range `bytes=-64`, {@link PG_DUMP_TAIL_BYTES}: S3 answers the whole object when it is
 * shorter, and no bytes with 200 when it is empty), and the bucket's protections. Decides nothing:
 * the dumps checks judge the fact. A ranged answer whose Content-Range is not the part asked for,
 * or names another length than the listed size (the key was written again after it was listed),
 * is not read: its bytes are not the listed object's (rangeAnswerProblem, core/dump-facts.ts).
 *
 * Each bucket setting reads as configured, `absent` (the error S3 answers when there is none:
 * NoSuchLifecycleConfiguration, ObjectLockConfigurationNotFoundError,
 * NoSuchPublicAccessBlockConfiguration, ServerSideEncryptionConfigurationNotFoundError; a
 * versioning answer without `Status`, which means never enabled) or `unknown` (AccessDenied or any
 * other failure, or an answer without the configuration it exists to send), so a denied call never
 * reads as "not configured".
 *
 * Region: a bucket in another region than the policy says answers 301 PermanentRedirect with
 * `x-amz-bucket-region` (also on a HEAD, 400 IllegalLocationConstraintException with it when either
 * region is an opt-in one, and 400 AuthorizationHeaderMalformed with `Region` when the endpoint was
 * regional). The adapter switches once to that region's client for every later call
 * on the bucket (its prefixes included), as the SDK's own `followRegionRedirects` would, but
 * through the one client factory. The fact then names the policy's region too (`policyRegion`):
 * the audit role's region-scoped grants (kms:Decrypt through S3, Security Hub import) follow the
 * policy, so in a deployed stack the ranged reads of an SSE-KMS dump there are refused. Such a
 * refusal (AccessDenied naming kms:Decrypt, or a bare "Access Denied", which S3 also answers for a
 * missing s3:GetObject) is kept as `denied` on the reading, for the checks to name the grant; an
 * explicit deny (a bucket policy's Deny, an SCP's…), which no grant overrides, as `explicitDeny`.
 *
 * Default encryption: SSE-S3, SSE-KMS without a key and an `alias/aws/…` alias (name or ARN) are
 * AWS-managed by name. Any other key (a key ARN, a key id, another alias) may still be the
 * AWS-managed aws/s3 key, which S3 can also name by its key ARN, so who manages it is read with KMS
 * `DescribeKey` (`KeyManager` CUSTOMER or AWS; once per key and run, in the key's region from its
 * ARN, else the bucket's), and stays unknown when DescribeKey is refused
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html).
 *
 * A call that fails for the call, not for the bucket (throttled, as S3's `SlowDown` 503; a server
 * error; a timeout; once the client's retries are spent), is no answer about the location: it fails
 * the scope (core/errors.ts saysNothingOfTheResource), as the keys audit's reads do, so the run
 * reports partial failure and no finding is settled on its strength.
 *
 * Round trips: every prefix's listing and every bucket's settings are in flight at once (the
 * settings need nothing from the listings), and each prefix's header and tail reads follow its own
 * listing, together, so a scope costs two sequential round trips (the listing, then the header and
 * tail), plus one per further listing page of a series longer than 1,000 objects. A bucket key's
 * DescribeKey follows its GetBucketEncryption, beside the header reads. The header read also says how the newest dump
 * itself is encrypted (an upload's own header overrides the default); a key named otherwise than
 * the default (S3 answers with the key ARN) is described once more after it, once per key and run.
 * An archived newest dump (GetObject: 403 InvalidObjectState) costs one more round trip: one
 * HeadObject, which S3 answers for archived objects with the same encryption and Object Lock
 * headers (API_HeadObject; same `s3:GetObject`). So does a read refused with AccessDenied: the HEAD
 * needs the same `s3:GetObject` but decrypts nothing, so its answer shows that KMS refused the GET
 * its decrypt (which S3 often reports as a bare "Access Denied"), and says how the dump is
 * encrypted; its refusal leaves both grants possible. No other failed read is followed by a HEAD.
 *
 * Public access: S3 combines a bucket's Block Public Access with its account's, setting by setting
 * (functions/aws/s3-account-access.ts). A bucket whose own settings block everything needs nothing
 * more; otherwise the account's setting is read (once per scope, as soon as the bucket's settings
 * are in, beside the header read).
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import { HeadObjectCommand, type LifecycleRule, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mapWithConcurrency } from '../core/audit.ts';
import type {
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
  RetentionLockConfig,
} from '../core/dump-facts.ts';
import {
  dumpResourceId,
  isSeriesObject,
  narrowerPrefixes,
  newestDumpRead,
  newestPossibleDump,
  rangeAnswerProblem,
  rulePrefixApplies,
  sortOldestFirst,
} from '../core/dump-facts.ts';
import type { DumpsPolicy } from '../core/dumps-policy.ts';
import {
  CloudApiError,
  type ExplicitDenyPolicy,
  explicitDenyIn,
  refusalWords,
  saysNothingOfTheResource,
  failScopeOnCallFailure as sharedFailScopeOnCallFailure,
  withoutCaller,
} from '../core/errors.ts';
import { pageTokens, s3ContinuationToken } from '../core/paging.ts';
import { PG_DUMP_HEADER_BYTES } from '../core/pg-dump-header.ts';
import { PG_DUMP_TAIL_BYTES } from '../core/pg-dump-tail.ts';
import { arnPartitionOf } from '../publish/security-hub/asff.ts';
import { type AuditedAccount, type AwsClientFactory, sdkRetries } from './clients.ts';
import type { AwsCollector, AwsScopeReader } from './collectors.ts';
import { kmsClientOf, kmsKeyDescriber } from './kms-keys.ts';
import { unresolvedRegion } from './protocol.ts';
import {
  allBlocked,
  effectivePublicAccess,
  type PublicAccessLevel,
  type PublicAccessSettings,
  readAccountPublicAccess,
} from './s3-account-access.ts';
import { bucketSetting, prepareBucketSettings } from './s3-settings-wire.ts';
import { getObjectRead, type ListObjectsPage, listObjectsPage, prepareBucketReads } from './s3-wire.ts';

/** ListObjectsV2 returns at most 1,000 keys a page. */
const S3_PAGE_LIMIT = 1000;
const DAYS_PER_YEAR = 365;

/** The error codes S3 answers for a configuration that does not exist. */
const NOT_CONFIGURED = new Set([
  'NoSuchLifecycleConfiguration',
  'ObjectLockConfigurationNotFoundError',
  'NoSuchPublicAccessBlockConfiguration',
  'ServerSideEncryptionConfigurationNotFoundError',
]);

export interface S3DumpLocation {
  readonly bucket: string;
  readonly prefix: string;
  /** Only keys ending with this are dumps ({@link isSeriesObject}); empty or undefined: every object. */
  readonly suffix?: string;
  readonly account: string;
  /** Where the policy says the bucket is; S3's redirect corrects it. */
  readonly region: string;
}

export interface ReadS3DumpsOptions {
  /** An S3 client for a region, from the one client factory ({@link s3DumpsClient}). */
  readonly clientFor: (region: string) => S3Client;
  readonly location: S3DumpLocation;
  readonly maxObjectsListed: number;
  /** Shared by the locations of one run, so a bucket's settings are read once. */
  readonly bucketSettings?: S3BucketSettingsCache;
  /**
   * Who manages the buckets' KMS keys, shared by the locations of one run. Without it a key that
   * its name does not prove AWS-managed stays unknown (never customer-managed).
   */
  readonly keyManagers?: S3KeyManagers;
  /**
   * Send the listings, the ranged reads and the bucket settings on the lean path
   * (functions/aws/s3-wire.ts, functions/aws/s3-settings-wire.ts); `false` sends them through the
   * SDK (the equivalence tests compare both). @default true
   */
  readonly leanDecoding?: boolean;
  /**
   * The bucket owner's account-level Block Public Access, shared by the locations of one run
   * ({@link accountPublicAccessReader}): asked for only when a bucket's own settings do not block
   * everything. Without it, such a bucket's public access is judged on its own settings alone.
   */
  readonly accountPublicAccess?: () => Promise<PublicAccessLevel>;
}

interface SdkError {
  readonly name?: string;
  readonly message?: string;
  readonly Region?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $response?: { readonly headers?: Record<string, string | undefined> };
}

function asSdkError(error: unknown): SdkError {
  return typeof error === 'object' && error !== null ? (error as SdkError) : { message: String(error) };
}

/**
 * The IAM action S3 authorizes each bucket-settings read by (Service Authorization Reference, Amazon
 * S3; infra/permissions.ts S3_BUCKET_SETTINGS_ACTIONS grants them): what a refused read lacks.
 */
const SETTINGS_ACTIONS = {
  GetBucketVersioning: 's3:GetBucketVersioning',
  GetObjectLockConfiguration: 's3:GetBucketObjectLockConfiguration',
  GetBucketLifecycleConfiguration: 's3:GetLifecycleConfiguration',
  GetPublicAccessBlock: 's3:GetBucketPublicAccessBlock',
  GetBucketEncryption: 's3:GetEncryptionConfiguration',
} as const;

/**
 * Why an S3 call failed, for a finding: its code and status (`AccessDenied (HTTP 403)`), then, for a
 * refusal when `needs` names what the call needs (`s3:GetBucketVersioning on the bucket b`), what
 * fixes it (core/errors.ts refusalWords: what lifts an explicit deny, else the grant), else S3's
 * message without the caller it may name (core/errors.ts withoutCaller): S3's newer AccessDenied
 * names the caller's ARN. Never includes credentials or request details.
 */
function reasonOf(error: unknown, needs?: string): string {
  const sdkError = asSdkError(error);
  const status = sdkError.$metadata?.httpStatusCode;
  const answer = uncoded(sdkError)
    ? `HTTP ${status ?? 'status not known'}, without an error code`
    : `${sdkError.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}`;
  const fix = needs === undefined ? undefined : refusalWords(error, needs);
  const said = sdkError.message === SDK_NO_MESSAGE ? '' : withoutCaller(sdkError.message ?? '');
  return `${answer}: ${fix ?? said}`.replace(/:\s*$/, '').trim();
}

/**
 * The name and message the SDK gives an error whose answer carried no error code (a HEAD answer,
 * which has no body: @aws-sdk/core's AwsRestXmlProtocol names it `Unknown`, message
 * `UnknownError`). Words of the SDK's, not S3's: a reason says the status without them.
 */
const SDK_NO_CODE = 'Unknown';
const SDK_NO_MESSAGE = 'UnknownError';

/** Whether the SDK found no error code in the answer ({@link SDK_NO_CODE}). */
function uncoded(sdkError: SdkError): boolean {
  return sdkError.name === SDK_NO_CODE;
}

/**
 * The bucket's region when S3 redirects a request, else undefined. Across an opt-in region (the
 * bucket's or the request's) S3 answers 400 IllegalLocationConstraintException instead of the 301,
 * with the same `x-amz-bucket-region`, and the SDK's own `followRegionRedirects` follows it too
 * (@aws-sdk/middleware-sdk-s3 regionRedirectMiddleware; https://github.com/boto/botocore/pull/3303).
 */
function redirectRegion(error: unknown): string | undefined {
  const sdkError = asSdkError(error);
  const status = sdkError.$metadata?.httpStatusCode;
  const header = sdkError.$response?.headers?.['x-amz-bucket-region'];
  if (status === 301 || sdkError.name === 'PermanentRedirect') return header ?? undefined;
  if (sdkError.name === 'IllegalLocationConstraintException') return header ?? undefined;
  if (sdkError.name === 'AuthorizationHeaderMalformed') return sdkError.Region ?? header ?? undefined;
  return undefined;
}

/**
 * Calls S3 about one bucket in the bucket's region, learning it from the first redirect, under the
 * bucket owner condition when its owner is known: every call names the account the policy says
 * owns the bucket (`ExpectedBucketOwner`), and S3 refuses it with 403 AccessDenied when another
 * account owns the bucket
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html). A bucket of
 * another account that lets the audit read it would otherwise be judged as the named account's:
 * its settings read, and that account's Block Public Access combined with them.
 */
class RegionalS3 {
  region: string;
  /** What every call names the bucket by: its name, and the owner it must have. */
  readonly bucket: { readonly Bucket: string; readonly ExpectedBucketOwner?: string };
  readonly #clientFor: (region: string) => S3Client;
  constructor(bucket: string, region: string, clientFor: (region: string) => S3Client, owner?: string) {
    this.bucket = { Bucket: bucket, ...(owner === undefined ? {} : { ExpectedBucketOwner: owner }) };
    this.region = region;
    this.#clientFor = clientFor;
  }

  /**
   * Why a call failed ({@link reasonOf}, with what it `needs`); an AccessDenied that is no explicit
   * deny also says the owner condition refuses another account's bucket, and a name of the bucket's
   * Region that did not resolve that the Region may not exist.
   */
  reasonOf(error: unknown, needs?: string): string {
    const reason = reasonOf(error, needs);
    const owner = this.bucket.ExpectedBucketOwner;
    if (
      owner !== undefined &&
      asSdkError(error).name === 'AccessDenied' &&
      !namesKmsDecrypt(error) &&
      explicitDenyIn(error) === undefined
    ) {
      return `${reason} (S3 refuses a bucket that account ${owner}, the owner the policy names, does not own, as it refuses a role without the permission)`;
    }
    const why = unresolvedRegion(error, this.region);
    return why === undefined ? reason : `${reason}: ${why}`;
  }

  async call<T>(send: (client: S3Client) => Promise<T>): Promise<T> {
    // The region this call went to: concurrent calls to a moved bucket are all redirected, and the
    // first to come back has already switched `this.region` for the others.
    const sentTo = this.region;
    try {
      return await send(this.#clientFor(sentTo));
    } catch (error) {
      const region = redirectRegion(error);
      if (!region || region === sentTo) throw error;
      this.region = region;
      return await send(this.#clientFor(region));
    }
  }
}

/**
 * Whether an AccessDenied names kms:Decrypt: KMS refused S3 the decrypt of an SSE-KMS object, which
 * S3 asks for only once the request passed its own checks (the object grant, the owner condition).
 */
function namesKmsDecrypt(error: unknown): boolean {
  return /\bkms:Decrypt\b/i.test(asSdkError(error).message ?? '');
}

/**
 * An S3 read of the location that failed for the call fails the scope (core/errors.ts
 * {@link sharedFailScopeOnCallFailure}): throttled, as S3's `SlowDown` 503, a server error or a
 * timeout, once the client's retries are spent, or on the answer that brings it for a 5xx the SDK
 * does not retry ({@link sdkRetries}).
 */
function failScopeOnCallFailure(s3: RegionalS3, what: string, error: unknown): void {
  sharedFailScopeOnCallFailure(`S3 ${what} in ${s3.region}`, error, reasonOf, sdkRetries);
}

async function reading<T>(
  s3: RegionalS3,
  operation: keyof typeof SETTINGS_ACTIONS,
  read: () => Promise<T | undefined>,
): Promise<BucketReading<T>> {
  try {
    const value = await read();
    return value === undefined ? { state: 'absent' } : { state: 'read', value };
  } catch (error) {
    failScopeOnCallFailure(s3, `${operation} of s3://${s3.bucket.Bucket}`, error);
    const name = asSdkError(error).name;
    if (name && NOT_CONFIGURED.has(name)) return { state: 'absent' };
    return {
      state: 'unknown',
      reason: s3.reasonOf(error, `${SETTINGS_ACTIONS[operation]} on the bucket ${s3.bucket.Bucket}`),
    };
  }
}

async function listSeries(
  s3: RegionalS3,
  location: S3DumpLocation,
  limit: number,
  lean: boolean,
): Promise<DumpListing> {
  const objects: DumpObject[] = [];
  // The bound counts every object listed (it bounds calls and memory), dumps or not.
  let listed = 0;
  const listing = `ListObjectsV2 of s3://${location.bucket}/${location.prefix}`;
  const nextToken = pageTokens(listing, 'RepeatedContinuationToken', 'continuation token');
  let token: string | undefined;
  let complete = true;
  try {
    do {
      const remaining = limit - listed;
      if (remaining <= 0) {
        complete = false;
        break;
      }
      const input = {
        ...s3.bucket,
        Prefix: location.prefix || undefined,
        MaxKeys: Math.min(S3_PAGE_LIMIT, remaining),
        ContinuationToken: token,
      };
      const page: ListObjectsPage = await s3.call((client) =>
        lean ? listObjectsPage(client, input) : client.send(new ListObjectsV2Command(input)),
      );
      for (const entry of page.Contents ?? []) {
        listed += 1;
        if (entry.Key === undefined || !isSeriesObject(entry.Key, entry.Size, location)) continue;
        objects.push({ key: entry.Key, size: entry.Size, lastModified: entry.LastModified });
      }
      // An answer that does not say whether it is truncated fails the listing (caught below): a
      // cut series must not read as whole.
      token = s3ContinuationToken(page, nextToken, listing, listed);
      if (page.IsTruncated && !token) complete = false;
    } while (token);
  } catch (error) {
    failScopeOnCallFailure(s3, listing, error);
    // NoSuchBucket: the bucket does not exist (a caller refused gets AccessDenied, 403, instead).
    const absent = asSdkError(error).name === 'NoSuchBucket';
    return {
      state: 'unknown',
      reason: s3.reasonOf(
        error,
        `s3:ListBucket on the bucket ${location.bucket}${location.prefix ? ` (prefix ${location.prefix})` : ''}`,
      ),
      ...(absent ? { bucketAbsent: true as const } : {}),
    };
  }
  return { state: 'read', objects: sortOldestFirst(objects), complete };
}

async function readNewest(bucket: S3DumpBucket, object: DumpObject, lean: boolean): Promise<NewestDump> {
  // The last bytes are read beside the first: one round trip for both.
  const [head, tail] = await Promise.all([
    getRange(bucket, object.key, `bytes=0-${PG_DUMP_HEADER_BYTES - 1}`, lean),
    getRange(bucket, object.key, `bytes=-${PG_DUMP_TAIL_BYTES}`, lean),
  ]);
  // A key written again between the listing and the read, or a range answered otherwise than
  // asked, gives bytes that are not the listed object's: not read, with why.
  const headProblem =
    head.state === 'read'
      ? rangeAnswerProblem(object, 'head', head.contentRange, head.bytes.length)
      : undefined;
  const tailProblem =
    tail.state === 'read'
      ? rangeAnswerProblem(object, 'tail', tail.contentRange, tail.bytes.length)
      : undefined;
  if (headProblem !== undefined) {
    return {
      object,
      header: { state: 'unknown', reason: headProblem },
      tail: { state: 'unknown', reason: tailProblem ?? headProblem },
    };
  }
  const tailRead: ByteReading =
    tailProblem === undefined ? byteReading(tail) : { state: 'unknown', reason: tailProblem };
  if (head.state === 'read')
    return withOwnHeaders(bucket, newestDumpRead(object, head.bytes, tailRead), head);
  const unread = { object, header: head, tail: byteReading(tail) };
  // An archived object's bytes are refused to every reader until restored, but HeadObject answers
  // for it with the encryption and Object Lock headers GetObject would have sent (API_HeadObject:
  // "the response is identical to the GET response except that there is no response body"; it
  // needs the same s3:GetObject). One HEAD, only then: any other refusal (AccessDenied, SSE-C)
  // would refuse it too.
  //
  // A GET refused with AccessDenied is followed by one HEAD too: it needs the same s3:GetObject but
  // no kms:Decrypt, so its answer proves the refusal was KMS's, and says how the dump is encrypted,
  // if the object is SSE-KMS (or DSSE-KMS) at all: S3 asks KMS nothing for an SSE-S3 or unencrypted
  // object, whose refusal then stays unattributed (both grants named).
  if (head.archived === undefined && head.denied === undefined) return unread;
  const metadata = await headObject(bucket, object.key);
  if (metadata.state === 'unknown') return { ...unread, header: { ...head, metadata } };
  const kmsEncrypted =
    metadata.serverSideEncryption === 'aws:kms' || metadata.serverSideEncryption === 'aws:kms:dsse';
  const refused = head.denied === undefined || !kmsEncrypted ? head : { ...head, denied: 'kms' as const };
  return withOwnHeaders(bucket, { ...unread, header: { ...refused, metadata: { state: 'read' } } }, metadata);
}

/**
 * The newest dump with what S3 answered of the object itself (GetObject, or HeadObject for an
 * archived one). Its own Object Lock retention (ObjectLockMode, ObjectLockRetainUntilDate: sent
 * only with s3:GetObjectRetention): an upload's own retention overrides the bucket default. The
 * encryption this dump was written with: a PutObject's own `x-amz-server-side-encryption` header
 * overrides the bucket default (an upload with `--sse AES256` is SSE-S3 whatever the default says;
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html), and S3 answers
 * with the object's own (ServerSideEncryption and SSEKMSKeyId). Not sent: not judged.
 */
async function withOwnHeaders(
  bucket: S3DumpBucket,
  read: NewestDump,
  own: ObjectHeaders,
): Promise<NewestDump> {
  const retained = own.objectLock ? { ...read, objectLock: own.objectLock } : read;
  const locked = own.holds ? { ...retained, holds: own.holds } : retained;
  if (own.serverSideEncryption === undefined) return locked;
  const encryption = await bucket.newestEncryption({
    SSEAlgorithm: own.serverSideEncryption,
    KMSMasterKeyID: own.kmsKeyId,
  });
  return { ...locked, encryption };
}

/** What GetObject and HeadObject answer of the object itself: its own encryption, Object Lock retention and legal hold. */
interface ObjectHeaders {
  readonly serverSideEncryption?: string;
  readonly kmsKeyId?: string;
  readonly objectLock?: ObjectRetention;
  readonly holds?: ObjectHolds;
}

/**
 * The legal hold, `x-amz-object-lock-legal-hold` (ObjectLockLegalHoldStatus `ON` or `OFF`): "only
 * returned if the requester has the s3:GetObjectLegalHold permission", and "not returned if the
 * specified version of this object has never had a legal hold applied" (API_HeadObject), so its
 * absence proves nothing; another value is not read.
 */
function legalHoldOf(status: string | undefined): ObjectHolds | undefined {
  if (status === 'ON') return { legal: true };
  if (status === 'OFF') return { legal: false };
  return undefined;
}

function objectHeaders(answer: {
  readonly ServerSideEncryption?: string;
  readonly SSEKMSKeyId?: string;
  readonly ObjectLockMode?: string;
  readonly ObjectLockRetainUntilDate?: Date;
  readonly ObjectLockLegalHoldStatus?: string;
}): ObjectHeaders {
  const holds = legalHoldOf(answer.ObjectLockLegalHoldStatus);
  return {
    ...(holds ? { holds } : {}),
    ...(answer.ServerSideEncryption === undefined
      ? {}
      : { serverSideEncryption: answer.ServerSideEncryption }),
    ...(answer.SSEKMSKeyId === undefined ? {} : { kmsKeyId: answer.SSEKMSKeyId }),
    ...(answer.ObjectLockMode !== undefined && answer.ObjectLockRetainUntilDate !== undefined
      ? { objectLock: { mode: answer.ObjectLockMode, retainUntil: answer.ObjectLockRetainUntilDate } }
      : {}),
  };
}

/**
 * HeadObject of an archived object (or one whose GET was refused): its own headers, or why it
 * failed ({@link headObjectFailure}).
 */
async function headObject(
  bucket: S3DumpBucket,
  key: string,
): Promise<
  ({ readonly state: 'read' } & ObjectHeaders) | { readonly state: 'unknown'; readonly reason: string }
> {
  try {
    const answer = await bucket.s3.call((client) =>
      client.send(new HeadObjectCommand({ ...bucket.s3.bucket, Key: key })),
    );
    return { state: 'read', ...objectHeaders(answer) };
  } catch (error) {
    failScopeOnCallFailure(bucket.s3, `HeadObject of s3://${bucket.name}/${key}`, error);
    return { state: 'unknown', reason: headObjectFailure(bucket, key, error) };
  }
}

/**
 * Why a HeadObject failed. A HEAD answer has no body, so S3 says only its status and the SDK finds
 * no error code to name it by (`Unknown` for a 403, `NotFound` for a 404: @aws-sdk/core
 * loadRestXmlErrorCode). A 403 is a refusal: S3 answers 403 for an object that is not there only to
 * a caller without s3:ListBucket (API_HeadObject), which the audit role holds, as it lists the dumps;
 * it is worded as an AccessDenied (RegionalS3.reasonOf: the grant, and the owner condition), naming
 * s3:GetObject on the object's ARN, which HeadObject needs. Whether an explicit deny refused it S3
 * does not say without a body. A 404: the object listed is no longer there.
 */
function headObjectFailure(bucket: S3DumpBucket, key: string, error: unknown): string {
  const sdkError = asSdkError(error);
  const status = sdkError.$metadata?.httpStatusCode;
  if (status === 404) {
    return `NotFound (HTTP 404): S3 found no object s3://${bucket.name}/${key} (deleted since it was listed)`;
  }
  if (status !== 403) return bucket.s3.reasonOf(error);
  const refused = { name: 'AccessDenied', message: '', $metadata: sdkError.$metadata, cause: error };
  const object = `arn:${arnPartitionOf(bucket.s3.region)}:s3:::${bucket.name}/${key}`;
  return bucket.s3.reasonOf(
    refused,
    `s3:GetObject on ${object} (HeadObject needs it; S3 sends no reason with a HEAD answer)`,
  );
}

type RangeReading =
  | ({
      readonly state: 'read';
      readonly bytes: Uint8Array;
      /** The answer's Content-Range (a 206's); undefined for a 200 (the whole object) or a 416. */
      readonly contentRange?: string;
    } & ObjectHeaders)
  | {
      readonly state: 'unknown';
      readonly reason: string;
      readonly archived?: string;
      readonly customerKey?: true;
      readonly denied?: 'kms' | 'unattributed';
      readonly explicitDeny?: ExplicitDenyPolicy;
    };

function byteReading(reading: RangeReading): ByteReading {
  return reading.state === 'read' ? { state: 'read', bytes: reading.bytes } : reading;
}

/**
 * A ranged GetObject (`bytes=0-1023`, or the suffix `bytes=-64`): its bytes, or why it failed. A
 * range S3 cannot satisfy (416 InvalidRange) means the object has no bytes: a range from byte 0
 * starts past its end. A suffix range of an empty object S3 answers 200 with no body
 * (https://github.com/apache/arrow-rs-object-store/issues/846); a 416 there would say the same.
 */
async function getRange(
  bucket: S3DumpBucket,
  key: string,
  range: string,
  lean: boolean,
): Promise<RangeReading> {
  try {
    const answer = await bucket.s3.call((client) =>
      getObjectRead(client, { ...bucket.s3.bucket, Key: key, Range: range }, lean),
    );
    return {
      state: 'read',
      bytes: answer.bytes,
      ...(answer.ContentRange === undefined ? {} : { contentRange: answer.ContentRange }),
      ...objectHeaders(answer),
    };
  } catch (error) {
    failScopeOnCallFailure(bucket.s3, `GetObject (${range}) of s3://${bucket.name}/${key}`, error);
    const sdkError = asSdkError(error);
    if (sdkError.name === 'InvalidRange' || sdkError.$metadata?.httpStatusCode === 416) {
      return { state: 'read', bytes: new Uint8Array() };
    }
    const reason = bucket.s3.reasonOf(error);
    // An object written with a customer-provided key (SSE-C) is refused with 400 InvalidRequest to
    // a read that does not send that key
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerSideEncryptionCustomerKeys.html).
    if (sdkError.name === 'InvalidRequest' && /Server Side Encryption/i.test(sdkError.message ?? '')) {
      return { state: 'unknown', reason, customerKey: true };
    }
    // KMS refusing S3 the decrypt of an SSE-KMS object is an AccessDenied too: named when S3's
    // message says kms:Decrypt, else indistinguishable from a missing s3:GetObject.
    if (sdkError.name === 'AccessDenied') {
      // An explicit deny (a bucket policy's, an SCP's…) no grant overrides: its type only, as S3's
      // message names the caller's ARN.
      const explicitDeny = explicitDenyIn(error);
      if (explicitDeny !== undefined) {
        const status = sdkError.$metadata?.httpStatusCode;
        return { state: 'unknown', reason: `AccessDenied${status ? ` (HTTP ${status})` : ''}`, explicitDeny };
      }
      return { state: 'unknown', reason, denied: namesKmsDecrypt(error) ? 'kms' : 'unattributed' };
    }
    // An archived object (Glacier Flexible Retrieval, Deep Archive, an Intelligent-Tiering archive
    // access tier) is refused with InvalidObjectState until it is restored (API_GetObject).
    if (sdkError.name !== 'InvalidObjectState') return { state: 'unknown', reason };
    const { StorageClass, AccessTier } = error as { StorageClass?: string; AccessTier?: string };
    const archived = [StorageClass, AccessTier && `access tier ${AccessTier}`].filter(Boolean).join(' ');
    return { state: 'unknown', reason, archived };
  }
}

function rulePrefix(rule: LifecycleRule): string | undefined {
  return rule.Filter?.Prefix ?? rule.Filter?.And?.Prefix ?? rule.Prefix;
}

/**
 * What a rule's filter narrows besides its prefix: object tags (which objects carry them is not
 * read, so they stay conditions the audit cannot match to the dumps) and object sizes (which the
 * check compares with the listed dumps' sizes). `unmodelledConditions` are conditions on the current
 * objects a rule deletes: tags are kept there only when the rule expires current objects
 * (`Expiration` with `Days` or `Date`); a rule that only transitions them, expires noncurrent
 * versions or aborts multipart uploads deletes no current dump, whatever its tags
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleRule.html). A rule that expires
 * noncurrent versions keeps its tags as `noncurrentUnmodelledConditions`: it reaches only the
 * versions of tagged objects, which dumps.protection says when it names the rule.
 */
function filterNarrowing(rule: LifecycleRule): Partial<DumpLifecycleRule> {
  const filter = rule.Filter;
  const expiresCurrent = rule.Expiration?.Days !== undefined || rule.Expiration?.Date !== undefined;
  const ruleTags = [...(filter?.Tag ? [filter.Tag] : []), ...(filter?.And?.Tags ?? [])].map(
    (tag) => `tag ${tag.Key ?? ''}=${tag.Value ?? ''}`,
  );
  const tags = expiresCurrent ? ruleTags : [];
  // A rule that expires noncurrent versions reaches only those of tagged objects too.
  const noncurrentTags = rule.NoncurrentVersionExpiration === undefined ? [] : ruleTags;
  const greaterThan = filter?.ObjectSizeGreaterThan ?? filter?.And?.ObjectSizeGreaterThan;
  const lessThan = filter?.ObjectSizeLessThan ?? filter?.And?.ObjectSizeLessThan;
  return {
    ...(tags.length > 0 ? { unmodelledConditions: tags } : {}),
    ...(noncurrentTags.length > 0 ? { noncurrentUnmodelledConditions: noncurrentTags } : {}),
    ...(greaterThan === undefined ? {} : { objectSizeGreaterThan: greaterThan }),
    ...(lessThan === undefined ? {} : { objectSizeLessThan: lessThan }),
  };
}

/**
 * What a rule lacks that says whether and when it deletes dumps, in words (`lifecycle rule x with
 * no Status Enabled or Disabled`); undefined when it lacks nothing. S3 requires a rule's Status, an Expiration
 * with Days, Date or ExpiredObjectDeleteMarker and a NoncurrentVersionExpiration with NoncurrentDays,
 * so a rule without them was not read whole: the lean decoder leaves out a `<Days>` it cannot read
 * as an integer (functions/aws/xml-wire.ts), where the SDK's refuses the answer. Read as sent, such a
 * rule would expire nothing (or be off), and a lifecycle that may expire the dumps would pass.
 */
function unreadRuleAction(rule: LifecycleRule): string | undefined {
  const name = `lifecycle rule ${rule.ID ?? '(unnamed)'}`;
  if (rule.Status !== 'Enabled' && rule.Status !== 'Disabled') {
    return `${name} with no Status Enabled or Disabled (${rule.Status === undefined ? 'none sent' : `"${rule.Status}"`})`;
  }
  const expiration = rule.Expiration;
  if (
    expiration !== undefined &&
    expiration.Days === undefined &&
    expiration.Date === undefined &&
    expiration.ExpiredObjectDeleteMarker === undefined
  ) {
    return `${name} with an Expiration without Days, Date or ExpiredObjectDeleteMarker`;
  }
  if (
    rule.NoncurrentVersionExpiration !== undefined &&
    rule.NoncurrentVersionExpiration.NoncurrentDays === undefined
  ) {
    return `${name} with a NoncurrentVersionExpiration without NoncurrentDays`;
  }
  return undefined;
}

/** Enabled lifecycle rules that can apply to the prefix, in neutral form. */
export function lifecycleRulesFor(rules: readonly LifecycleRule[], prefix: string): DumpLifecycleRule[] {
  return rules
    .filter((rule) => rule.Status === 'Enabled' && rulePrefixApplies(rulePrefix(rule), prefix))
    .map((rule) => {
      const own = rulePrefix(rule);
      const narrower = narrowerPrefixes(own ? [own] : undefined, prefix);
      return {
        id: rule.ID,
        expirationDays: rule.Expiration?.Days,
        expirationDate: rule.Expiration?.Date,
        noncurrentExpirationDays: rule.NoncurrentVersionExpiration?.NoncurrentDays,
        prefix: own,
        ...(narrower ? { narrowerPrefixes: narrower } : {}),
        ...filterNarrowing(rule),
      };
    });
}

/**
 * What the encryption answer alone proves: SSE-S3, SSE-KMS without a key (aws/s3) and an
 * `alias/aws/…` alias (name or ARN: the `aws/` prefix is reserved to AWS-managed keys, and no alias
 * of a customer's may start with it; https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html)
 * are not customer-managed. Any other key is undefined: a key ARN or key id may name the aws/s3 key
 * too, and a customer alias says nothing of its key, so only KMS can tell ({@link S3KeyManagers}).
 */
export function isCustomerManagedKey(
  algorithm: string | undefined,
  kmsKey: string | undefined,
): false | undefined {
  if (algorithm === undefined) return undefined;
  if (algorithm === 'AES256') return false;
  if (kmsKey === undefined) return false;
  return /(^|:)alias\/aws\//.test(kmsKey) ? false : undefined;
}

/**
 * Who manages a KMS key: `customerManaged` from DescribeKey's `KeyManager`, with the key's
 * `KeyState` (and `DeletionDate`, and `ValidTo` of imported key material that expires) when
 * DescribeKey sent them, and the region it was described in; else why it is unknown.
 */
export type KeyManagerReading =
  | {
      readonly customerManaged: boolean;
      readonly state?: string;
      readonly deletionDate?: Date;
      readonly materialExpires?: Date;
      readonly region?: string;
      readonly aliasTarget?: string;
    }
  | { readonly customerManaged: undefined; readonly reason: string; readonly deleted?: true };

/**
 * Who manages the buckets' keys: KMS `DescribeKey` through the keys audit's describer
 * (functions/aws/kms-keys.ts: once per key and run, a key that is not an ARN in the bucket's region,
 * as S3 uses a key of its bucket's region). A denied or refused call reads as unknown, with its
 * reason; one throttled or failed on KMS's side after the retries throws, failing the scope.
 */
export class S3KeyManagers {
  readonly #describe: ReturnType<typeof kmsKeyDescriber>;

  /** `kmsFor`: a KMS client for a region of the scope's account, from the one client factory. */
  constructor(kmsFor: (region: string) => KMSClient | Promise<KMSClient>) {
    this.#describe = kmsKeyDescriber(kmsFor);
  }

  /** Who manages `key`, named by the encryption of a bucket in `bucketRegion`. */
  async manager(key: string, bucketRegion: string): Promise<KeyManagerReading> {
    try {
      const { manager, unreadReason, state, deletionDate, deleted, materialExpires, region, aliasTarget } =
        await this.#describe(key, bucketRegion);
      if (manager !== undefined) {
        return {
          customerManaged: manager === 'CUSTOMER',
          ...(state === undefined ? {} : { state }),
          ...(deletionDate === undefined ? {} : { deletionDate }),
          ...(materialExpires === undefined ? {} : { materialExpires }),
          ...(region === undefined ? {} : { region }),
          ...(aliasTarget === undefined ? {} : { aliasTarget }),
        };
      }
      return {
        customerManaged: undefined,
        reason: `KMS ${unreadReason ?? 'DescribeKey did not send KeyManager'}`,
        ...(deleted ? { deleted } : {}),
      };
    } catch (error) {
      // Throttled or failed on KMS's side after the retries (the describer throws then): says
      // nothing of the key, so the scope fails, as the keys audit's does.
      if (saysNothingOfTheResource(error)) throw error;
      return { customerManaged: undefined, reason: `KMS DescribeKey failed: ${reasonOf(error)}` };
    }
  }
}

/**
 * Why a key of another account than the audited one stays unknown when DescribeKey does not
 * answer. Its ARN proves only that it is not the audited account's aws/s3 key: S3 stores whatever
 * key a default-encryption rule names, and another account's AWS-managed aws/s3 key, named by its
 * ARN the same way, answers DescribeKey only to its own account (its key policy allows
 * `kms:CallerAccount` of that account, and nobody can change it;
 * https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key). Its state
 * is unknown too. The audit's role describes keys of the dump buckets' accounts only
 * (infra/permissions.ts `dumpKmsDescribeKeys`).
 */
function foreignKeyNote(kmsKey: string, account: string | undefined): string {
  const keyAccount = /^arn:aws[a-z-]*:kms:[a-z0-9-]*:(\d{12}):/.exec(kmsKey)?.[1];
  if (!account || !keyAccount || keyAccount === account) return '';
  return `; the key is in account ${keyAccount}, not the audited account ${account}, so its ARN does not tell who manages it (another account's aws/s3 key is named the same way and answers DescribeKey only to that account) nor whether it is enabled; this audit describes keys of the dump buckets' accounts only`;
}

async function encryptionOf(
  rule: { readonly SSEAlgorithm?: string; readonly KMSMasterKeyID?: string },
  bucketRegion: string,
  keyManagers: S3KeyManagers | undefined,
  account?: string,
): Promise<EncryptionConfig> {
  const algorithm = rule.SSEAlgorithm;
  const kmsKey = rule.KMSMasterKeyID;
  const byName = isCustomerManagedKey(algorithm, kmsKey);
  if (byName !== undefined || algorithm === undefined || kmsKey === undefined) {
    return { algorithm, kmsKey, customerManagedKey: byName };
  }
  const manager = keyManagers
    ? await keyManagers.manager(kmsKey, bucketRegion)
    : { customerManaged: undefined, reason: 'KMS was not asked who manages the key' };
  if (manager.customerManaged === undefined) {
    return {
      algorithm,
      kmsKey,
      customerManagedKey: undefined,
      keyManagerUnknown: `${manager.reason}${foreignKeyNote(kmsKey, account)}`,
      ...(manager.deleted ? { keyDeleted: manager.deleted } : {}),
    };
  }
  // The key's state decides whether the dumps can be decrypted at all (a key pending deletion or
  // disabled leaves every dump unreadable); dumps.protection judges it.
  return {
    algorithm,
    kmsKey,
    customerManagedKey: manager.customerManaged,
    ...(manager.aliasTarget === undefined ? {} : { aliasTarget: manager.aliasTarget }),
    ...(manager.state === undefined ? {} : { keyState: manager.state }),
    ...(manager.deletionDate === undefined ? {} : { keyDeletionDate: manager.deletionDate }),
    // Expiring material is fixed by a command on the key, which names the region it is in.
    ...(manager.materialExpires === undefined
      ? {}
      : {
          keyMaterialExpires: manager.materialExpires,
          ...(manager.region === undefined ? {} : { keyRegion: manager.region }),
        }),
  };
}

function publicAccessSettingsOf(config: {
  BlockPublicAcls?: boolean;
  IgnorePublicAcls?: boolean;
  BlockPublicPolicy?: boolean;
  RestrictPublicBuckets?: boolean;
}): PublicAccessSettings {
  return {
    BlockPublicAcls: config.BlockPublicAcls,
    IgnorePublicAcls: config.IgnorePublicAcls,
    BlockPublicPolicy: config.BlockPublicPolicy,
    RestrictPublicBuckets: config.RestrictPublicBuckets,
  };
}

/**
 * A bucket's settings, read once per bucket and run: several prefixes of one bucket share them
 * (the lifecycle rules are kept raw, and matched to each prefix).
 */
export interface S3BucketSettings {
  readonly versioning: BucketReading<{ readonly status: string | undefined }>;
  readonly retentionLock: BucketReading<RetentionLockConfig>;
  readonly lifecycleRules: BucketReading<readonly LifecycleRule[]>;
  /** The bucket's own Block Public Access; the account's is read only when this does not block everything. */
  readonly publicAccess: PublicAccessLevel;
  readonly encryption: BucketReading<EncryptionConfig>;
}

/**
 * One bucket of a run, shared by its prefixes: the caller that learns the bucket's region (one
 * redirect teaches every later call of every prefix), and the bucket's settings, read once.
 */
export class S3DumpBucket {
  readonly name: string;
  readonly s3: RegionalS3;
  readonly #keyManagers: S3KeyManagers | undefined;
  /** The audited account the bucket is read from, to tell a key of another account. */
  readonly #account: string | undefined;
  /** Whether the settings are read on the lean path ({@link ReadS3DumpsOptions.leanDecoding}). */
  readonly #lean: boolean;
  #settings: Promise<S3BucketSettings> | undefined;

  constructor(
    name: string,
    region: string,
    clientFor: (region: string) => S3Client,
    keyManagers?: S3KeyManagers,
    account?: string,
    lean = true,
  ) {
    this.name = name;
    this.s3 = new RegionalS3(name, region, clientFor, account);
    this.#keyManagers = keyManagers;
    this.#account = account;
    this.#lean = lean;
  }

  /** How a default-encryption rule or an object encrypts, its key described when its name does not tell. */
  #encryptionOf(rule: { readonly SSEAlgorithm?: string; readonly KMSMasterKeyID?: string }) {
    return encryptionOf(rule, this.s3.region, this.#keyManagers, this.#account);
  }

  /**
   * How the newest dump is encrypted: the default's reading when it is the default's algorithm and
   * key (GetObject names the key by its ARN, the default may name it by its bare id), so that key
   * is not described twice; named by its ARN when the default names it by an alias that points to it
   * (the dump's own key proves that key, not the alias); else its own reading.
   */
  async newestEncryption(rule: {
    readonly SSEAlgorithm?: string;
    readonly KMSMasterKeyID?: string;
  }): Promise<EncryptionConfig> {
    const { encryption } = await this.settings();
    if (
      encryption.state === 'read' &&
      encryption.value.algorithm === rule.SSEAlgorithm &&
      this.#sameKey(encryption.value.kmsKey, rule.KMSMasterKeyID)
    ) {
      return encryption.value;
    }
    if (
      encryption.state === 'read' &&
      encryption.value.algorithm === rule.SSEAlgorithm &&
      encryption.value.aliasTarget !== undefined &&
      encryption.value.aliasTarget === rule.KMSMasterKeyID
    ) {
      const { aliasTarget, ...byTarget } = encryption.value;
      return { ...byTarget, kmsKey: aliasTarget };
    }
    return this.#encryptionOf(rule);
  }

  /** `byDefault` and `byObject` name one key: equal, or a bare key id and its ARN in this bucket's region and account. */
  #sameKey(byDefault: string | undefined, byObject: string | undefined): boolean {
    if (byDefault === byObject) return true;
    if (byDefault === undefined || byObject === undefined || byDefault.includes(':')) return false;
    const arn = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):key\/(.+)$/.exec(byObject);
    return (
      arn !== null &&
      arn[1] === this.s3.region &&
      (this.#account === undefined || arn[2] === this.#account) &&
      arn[3] === byDefault
    );
  }

  /** The bucket's settings: the first call starts reading them, later calls share that reading. */
  settings(): Promise<S3BucketSettings> {
    this.#settings ??= readBucketSettings(this.s3, (rule) => this.#encryptionOf(rule), this.#lean);
    return this.#settings;
  }
}

/** The buckets of one run, by name; pass one map to every location of a run. */
export type S3BucketSettingsCache = Map<string, S3DumpBucket>;

function bucketOf(options: ReadS3DumpsOptions): S3DumpBucket {
  const { location, bucketSettings: cache } = options;
  let bucket = cache?.get(location.bucket);
  if (!bucket) {
    bucket = new S3DumpBucket(
      location.bucket,
      location.region,
      options.clientFor,
      options.keyManagers,
      location.account,
      options.leanDecoding ?? true,
    );
    cache?.set(location.bucket, bucket);
  }
  return bucket;
}

/** Whether a bucket's own Block Public Access has every setting on: its account's then adds nothing. */
function blocksEverything(level: PublicAccessLevel): boolean {
  return level.state === 'read' && allBlocked(level.settings) === true;
}

/**
 * A 200 answer without the configuration it exists to send: not "none configured", which S3 says
 * with its own error (NoSuchPublicAccessBlockConfiguration, ServerSideEncryptionConfigurationNotFoundError),
 * but a reading that says nothing (`unknown`).
 */
function unsent(operation: string, what: string): never {
  throw new CloudApiError(`${operation} answered without ${what}`, 'IncompleteAnswer');
}

async function readBucketSettings(
  s3: RegionalS3,
  encryptionOfRule: (rule: {
    readonly SSEAlgorithm?: string;
    readonly KMSMasterKeyID?: string;
  }) => Promise<EncryptionConfig>,
  lean: boolean,
): Promise<S3BucketSettings> {
  const [versioning, retentionLock, lifecycleRules, publicAccess, encryption] = await Promise.all([
    reading(s3, 'GetBucketVersioning', async () => {
      const answer = await s3.call((client) => bucketSetting(client, 'versioning', s3.bucket, lean));
      // No Status: versioning was never enabled on this bucket.
      return answer.Status === undefined ? undefined : { status: answer.Status };
    }),
    reading<RetentionLockConfig>(s3, 'GetObjectLockConfiguration', async () => {
      const answer = await s3.call((client) => bucketSetting(client, 'objectLock', s3.bucket, lean));
      const config =
        answer.ObjectLockConfiguration ?? unsent('GetObjectLockConfiguration', 'ObjectLockConfiguration');
      if (config.ObjectLockEnabled !== 'Enabled') return undefined;
      const retention = config.Rule?.DefaultRetention;
      if (!retention)
        return { mode: undefined, days: undefined, locked: undefined, enabledWithoutDefault: true };
      const days =
        retention.Days ?? (retention.Years !== undefined ? retention.Years * DAYS_PER_YEAR : undefined);
      return {
        mode: retention.Mode,
        days,
        locked: retention.Mode === undefined ? undefined : retention.Mode === 'COMPLIANCE',
      };
    }),
    reading<readonly LifecycleRule[]>(s3, 'GetBucketLifecycleConfiguration', async () => {
      const answer = await s3.call((client) => bucketSetting(client, 'lifecycle', s3.bucket, lean));
      // A lifecycle configuration holds at least one rule (API_PutBucketLifecycleConfiguration).
      const rules = answer.Rules ?? unsent('GetBucketLifecycleConfiguration', 'Rules');
      const unread = rules.map(unreadRuleAction).find((why) => why !== undefined);
      if (unread !== undefined) {
        throw new CloudApiError(
          `GetBucketLifecycleConfiguration answered ${unread}: the rule was not read whole, so whether it deletes dumps is unknown`,
          'IncompleteAnswer',
        );
      }
      return rules;
    }),
    reading(s3, 'GetPublicAccessBlock', async () => {
      const answer = await s3.call((client) => bucketSetting(client, 'publicAccessBlock', s3.bucket, lean));
      const config = answer.PublicAccessBlockConfiguration;
      return publicAccessSettingsOf(
        config ?? unsent('GetPublicAccessBlock', 'PublicAccessBlockConfiguration'),
      );
    }).then(
      (read): PublicAccessLevel => (read.state === 'read' ? { state: 'read', settings: read.value } : read),
    ),
    reading<EncryptionConfig>(s3, 'GetBucketEncryption', async () => {
      const answer = await s3.call((client) => bucketSetting(client, 'encryption', s3.bucket, lean));
      const rule =
        answer.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault ??
        unsent('GetBucketEncryption', 'a rule with ApplyServerSideEncryptionByDefault');
      // `s3.region` is the bucket's by now: this call went there, redirected if need be.
      return encryptionOfRule(rule);
    }),
  ]);
  return { versioning, retentionLock, lifecycleRules, publicAccess, encryption };
}

/**
 * Reads one S3 dump location. An API failure that answers for the location (access denied, no such
 * bucket or configuration, an archived object) becomes `unknown` in the fact; one that says nothing
 * of it (throttled, a server error, a timeout, after the retries) throws, failing the scope.
 *
 * The bucket's settings need nothing from the listing, so they are read beside it (the first
 * prefix of a bucket starts them); the newest dump's header is read as soon as this prefix's own
 * listing is decoded. A bucket in another region than the policy says costs one redirected call
 * for each call sent before the first redirect came back (up to six: the listing and the five
 * settings), instead of one had the settings waited for the listing: a round trip on every run
 * would pay for a misconfiguration that costs calls only while it lasts.
 */
export async function readS3DumpFact(options: ReadS3DumpsOptions): Promise<DumpFact> {
  const { location } = options;
  const bucket = bucketOf(options);
  // The bucket's settings are sent before its first prefix's listing. Their small answers then
  // come back first and are read at once, which frees their connections before the listings'
  // answers, which take the audit's CPU, are decoded: each prefix's two ranged reads then find two
  // idle connections (its listing's and a setting's). Sent after the listings, the settings were
  // answered behind them, and every second ranged read opened a new connection, whose connect the
  // event loop took in only after the listings ready at that moment had been decoded (up to 200
  // ms later). The encryption answer, and so its key's DescribeKey, also comes early.
  const settings = bucket.settings();
  // A settings read that fails the scope rejects this promise; when the listing has failed it
  // first, nobody awaits it: marked handled, so the rejection is not an unhandled one.
  settings.catch(() => undefined);
  const lean = options.leanDecoding ?? true;
  const listed = listSeries(bucket.s3, location, options.maxObjectsListed, lean);
  // The account's Block Public Access, when the bucket's own settings do not block everything:
  // asked for as soon as they are in, beside the listing and the header read.
  const accountAccess = settings.then(({ publicAccess }) =>
    blocksEverything(publicAccess) ? undefined : options.accountPublicAccess?.(),
  );
  accountAccess.catch(() => undefined);
  const listing = await listed;
  // The newest object that may be a dump: with no suffix, not a checksum, signature or log after it.
  const newestListed = newestPossibleDump(listing, location.suffix);
  const newest = newestListed ? await readNewest(bucket, newestListed, lean) : undefined;
  const {
    versioning,
    retentionLock,
    lifecycleRules,
    publicAccess: bucketAccess,
    encryption,
  } = await settings;
  const publicAccess = effectivePublicAccess(bucketAccess, await accountAccess);
  const lifecycle: BucketReading<readonly DumpLifecycleRule[]> =
    lifecycleRules.state === 'read'
      ? { state: 'read', value: lifecycleRulesFor(lifecycleRules.value, location.prefix) }
      : lifecycleRules;

  // S3 redirected the reads to the bucket's own region: said, as the audit's region-scoped grants
  // follow the policy's.
  const placedElsewhere = bucket.s3.region !== location.region;
  return {
    ...(placedElsewhere ? { policyRegion: location.region } : {}),
    resource: {
      provider: 'aws',
      account: location.account,
      region: bucket.s3.region,
      type: 'AwsS3Bucket',
      id: dumpResourceId(bucket.name, location.prefix),
      // S3 bucket ARNs carry no region or account, but their partition: arn:aws-us-gov:s3:::… in GovCloud.
      arn: `arn:${arnPartitionOf(bucket.s3.region)}:s3:::${bucket.name}`,
    },
    location: {
      provider: 'aws',
      bucket: bucket.name,
      prefix: location.prefix,
      ...(location.suffix ? { suffix: location.suffix } : {}),
    },
    listing,
    newest,
    versioning,
    retentionLock,
    lifecycle,
    publicAccess,
    encryption,
  };
}

/**
 * Locations of one scope read at once: every prefix of a large policy is listed in the same round
 * trip (the benchmark's 50 with room to spare), while a policy of thousands of prefixes still does
 * not queue thousands of calls at once. Each location has one call in flight at a time (its
 * listing page, then its header read); its bucket's five settings calls are sent once, beside the
 * listing of the bucket's first prefix.
 */
export const DUMP_LOCATIONS_AT_ONCE = 128;

/**
 * Sockets of each S3 client of the dumps audit (one client per account and region). The SDK's 50
 * would hold back the calls of one round trip: 50 prefixes in 10 buckets send 50 listings and 50
 * settings calls at once. 256 covers {@link DUMP_LOCATIONS_AT_ONCE} listings plus the settings of
 * 25 buckets in one round trip, and stays well inside a Lambda's 1,024 file descriptors; more
 * buckets than that queue their settings calls in the agent, which costs time, never calls.
 */
export const DUMP_SOCKETS_PER_CLIENT = 256;

/** The S3 client the dumps audit reads a region of an account with (the factory caches it). */
export function s3DumpsClient(factory: AwsClientFactory, region: string, account: AuditedAccount): S3Client {
  return factory.client(S3Client, region, account, { maxSockets: DUMP_SOCKETS_PER_CLIENT });
}

/** The KMS client the dumps audit describes a region's keys with (loaded on the first key to describe). */
export async function kmsDumpsClient(
  factory: AwsClientFactory,
  region: string,
  account: AuditedAccount,
): Promise<KMSClient> {
  return kmsClientOf(factory, region, account);
}

export interface CollectS3DumpsOptions {
  /** An S3 client for a region of the scope's account. */
  readonly clientFor: (region: string) => S3Client;
  /** A KMS client for a region of the scope's account; without it a named key stays unknown. */
  readonly kmsFor?: (region: string) => KMSClient | Promise<KMSClient>;
  readonly account: string;
  /** The scope's region: the locations the policy places there are read. */
  readonly region: string;
  readonly dumps: DumpsPolicy;
  /** See {@link ReadS3DumpsOptions.leanDecoding}. */
  readonly leanDecoding?: boolean;
}

/**
 * The facts of one (account, region) scope of the dumps group: every AWS location the policy places
 * there, read concurrently, each bucket's settings read once.
 */
export async function collectS3DumpFacts(options: CollectS3DumpsOptions): Promise<DumpFact[]> {
  const locations = options.dumps.locations.filter(
    (location) =>
      location.provider === 'aws' &&
      location.account === options.account &&
      location.region === options.region,
  );
  const bucketSettings: S3BucketSettingsCache = new Map();
  const keyManagers = options.kmsFor ? new S3KeyManagers(options.kmsFor) : undefined;
  const accountPublicAccess = accountPublicAccessReader(options.clientFor, options.account, options.region);
  return mapWithConcurrency(locations, DUMP_LOCATIONS_AT_ONCE, (location) =>
    readS3DumpFact({
      clientFor: options.clientFor,
      location: {
        bucket: location.bucket,
        prefix: location.prefix,
        suffix: location.suffix,
        account: options.account,
        region: options.region,
      },
      maxObjectsListed: options.dumps.maxObjectsListed,
      bucketSettings,
      accountPublicAccess,
      ...(keyManagers ? { keyManagers } : {}),
      ...(options.leanDecoding === undefined ? {} : { leanDecoding: options.leanDecoding }),
    }),
  );
}

/**
 * The account-level Block Public Access of a scope's account, read on first need and shared by
 * the scope's locations (one S3 Control call per scope at most, none when every bucket blocks
 * everything itself).
 */
export function accountPublicAccessReader(
  clientFor: (region: string) => S3Client,
  account: string,
  region: string,
): () => Promise<PublicAccessLevel> {
  let reading: Promise<PublicAccessLevel> | undefined;
  return () => {
    reading ??= readAccountPublicAccess(clientFor(region), account, region);
    return reading;
  };
}

/**
 * Ready a scope's S3 client and, for each of its buckets, the routes of the calls the scope sends
 * first (lean-wire's probes, nothing sent): the five settings, the listing and the ranged reads.
 * The planner calls it while GetCallerIdentity is in flight; without it, the probes ran after the
 * answer, before any of the scope's calls could go out. Each bucket is readied in a turn of the
 * event loop of its own, so STS's answer is read as soon as it comes. Never throws: a probe that
 * failed is tried again by the scope's own call, which reports why.
 */
export function prepareS3Dumps({ factory, account, region, policy }: AwsScopeReader): void {
  const firstOfBucket = new Map<string, { readonly prefix: string }>();
  for (const location of policy.dumps.locations) {
    if (location.provider !== 'aws' || location.account !== account.accountId || location.region !== region)
      continue;
    if (!firstOfBucket.has(location.bucket)) firstOfBucket.set(location.bucket, location);
  }
  if (firstOfBucket.size === 0) return;
  const client = s3DumpsClient(factory, region, account);
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
  void (async () => {
    for (const [name, { prefix }] of firstOfBucket) {
      await nextTurn();
      // As the scope's calls name the bucket (RegionalS3: its name and the owner the policy names).
      const bucket = { Bucket: name, ExpectedBucketOwner: account.accountId };
      await Promise.all([
        prepareBucketSettings(client, bucket),
        prepareBucketReads(
          client,
          { ...bucket, Prefix: prefix || undefined, MaxKeys: S3_PAGE_LIMIT },
          // S3's endpoint ruleset reads no object key: any key under the prefix resolves the route.
          { ...bucket, Key: `${prefix}probe`, Range: `bytes=0-${PG_DUMP_HEADER_BYTES - 1}` },
        ),
      ]);
    }
  })().catch(() => undefined);
}

/** The `dumps` group's AWS collector: the policy's S3 dump locations in one (account, region) scope. */
export const s3DumpsCollector: AwsCollector = Object.assign(
  ({ factory, account, region, policy }: AwsScopeReader) =>
    collectS3DumpFacts({
      clientFor: (bucketRegion) => s3DumpsClient(factory, bucketRegion, account),
      kmsFor: (keyRegion) => kmsDumpsClient(factory, keyRegion, account),
      account: account.accountId,
      region,
      dumps: policy.dumps,
    }),
  { prepare: prepareS3Dumps },
);
