/**
 * The S3 REST reads the dumps audit makes in bulk, on the lean request path
 * (functions/aws/lean-wire.ts): the two ranged `GetObject` reads of each prefix's newest dump (its
 * header and its tail) and each prefix's `ListObjectsV2` pages. Through the SDK each call cost
 * about 0.5 ms of CPU before it was sent (endpoint ruleset, auth-scheme resolution, schema serde,
 * S3's own middleware, retry bookkeeping) and as much again to read its answer; the audit is
 * CPU-bound, so its wall time was mostly that.
 *
 * What is S3's here:
 * - the route depends on the bucket (virtual-hosted or path style, its region's endpoint), so it
 *   is probed per (client, bucket, operation); S3's endpoint ruleset does not read the object key or
 *   the listing prefix (its endpoint cache leaves both out of the parameters it keys on), so one
 *   probe serves every key and prefix of a bucket;
 * - the object key goes in the path with the SDK's greedy-label encoding (`{Key+}`: each `/`-separated
 *   segment encoded by `extendedEncodeURIComponent`, the SDK's own function), after the prefix the
 *   probe shows (`/<bucket>` path-style, nothing virtual-hosted); the query is the SDK's
 *   (`x-id=GetObject`; `list-type=2`, `prefix`, `max-keys`, `continuation-token`);
 * - the headers are the input's (`range`, `x-amz-expected-bucket-owner`) and those the client adds
 *   for every call of the operation (`x-amz-checksum-mode` from its `responseChecksumValidation`),
 *   copied from the probe; the signer adds `x-amz-content-sha256`. lean-wire takes the route only
 *   when this rebuilds the probe's request exactly, so anything else the SDK would send (another
 *   header, another query parameter, another encoding) leaves the bucket's calls to the SDK;
 * - an input member not written here (SSE-C keys, `VersionId`, `PartNumber`, a delimiter, …) sends
 *   that call through the SDK;
 * - a GetObject answer with a checksum header is handed to the SDK, which validates the body
 *   against it (its flexible-checksums middleware); a ListObjectsV2 answer that is not a
 *   `<ListBucketResult>` (S3's 200 with an `<Error>` body among them, which the SDK reads as a 503)
 *   likewise; S3's 301/400 region redirects, 403, 404 and 416 are non-2xx, so the SDK reads them as
 *   errors, `x-amz-bucket-region` and all, and the collector follows a redirect as before;
 * - GetObject's header members are decoded by the SDK's own parsers (`Number`, RFC 7231 and
 *   RFC 3339 dates); its body is read whole (a ranged read is at most a few KiB), and a body cut
 *   short rejects the read with the stream's error, as the SDK's `Body.transformToByteArray` does,
 *   without a retry (the SDK's exchange had succeeded).
 *
 * ListObjectsV2 bodies are decoded by xml-wire.ts: only what the dumps audit reads of each object
 * (key, size, last modified) and of the page (truncation, continuation token). A 400-dump series is
 * one page of about 140 KB; the SDK's XML parsing was most of the dumps audit's CPU.
 *
 * test/aws/s3-lean.test.ts sends the same requests both ways against the simulator (odd keys,
 * redirects, denials, missing keys, unsatisfiable ranges, empty and truncated listings);
 * test/aws/s3-wire.test.ts decodes the same pages both ways.
 */
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { extendedEncodeURIComponent } from '@smithy/core/protocols';
import { _parseRfc3339DateTimeWithOffset, _parseRfc7231DateTime } from '@smithy/core/serde';
import type { HttpResponse } from '@smithy/types';
import {
  collectBody,
  type LeanAnswer,
  type LeanClient,
  type LeanProtocol,
  prepareLean,
  sendLean,
  type WireRequest,
} from './lean-wire.ts';
import { decodeXmlResult, type Shape, XmlWireError } from './xml-wire.ts';

/** The ListObjectsV2 members functions/aws/s3-dumps.ts reads. */
export const LIST_OBJECTS_V2: Shape = {
  Contents: { flattened: { Key: 'string', LastModified: 'timestamp', Size: 'integer' } },
  IsTruncated: 'boolean',
  NextContinuationToken: 'string',
  KeyCount: 'integer',
};

/** The members {@link LIST_OBJECTS_V2} names of a successful ListObjectsV2 answer. */
export function decodeListObjectsV2(xml: string | Uint8Array): Record<string, unknown> {
  return decodeXmlResult(xml, ['ListBucketResult'], LIST_OBJECTS_V2);
}

/** The GetObject input the lean path writes (the dumps audit's ranged reads). */
export interface GetObjectRangeInput {
  readonly Bucket: string;
  readonly Key: string;
  readonly Range?: string;
  readonly ExpectedBucketOwner?: string;
}

/** What the dumps audit reads of a GetObject answer: its bytes, and the header members as the SDK decodes them. */
export interface ObjectRead {
  readonly bytes: Uint8Array;
  readonly ContentRange?: string;
  readonly ContentLength?: number;
  readonly LastModified?: Date;
  readonly ETag?: string;
  readonly VersionId?: string;
  readonly ServerSideEncryption?: string;
  readonly SSEKMSKeyId?: string;
  readonly ObjectLockMode?: string;
  readonly ObjectLockRetainUntilDate?: Date;
  readonly ObjectLockLegalHoldStatus?: string;
  readonly $metadata: GetObjectCommandOutput['$metadata'];
}

/** The ListObjectsV2 input the lean path writes (the dumps audit's listings). */
export interface ListObjectsInput {
  readonly Bucket: string;
  readonly Prefix?: string;
  readonly MaxKeys?: number;
  readonly ContinuationToken?: string;
  readonly ExpectedBucketOwner?: string;
}

/** What the dumps audit reads of a ListObjectsV2 page. */
export type ListObjectsPage = Pick<
  ListObjectsV2CommandOutput,
  '$metadata' | 'IsTruncated' | 'NextContinuationToken' | 'KeyCount'
> & {
  readonly Contents?: readonly {
    readonly Key?: string;
    readonly Size?: number;
    readonly LastModified?: Date;
  }[];
};

/** An S3 client as the lean path reads it. */
export type S3WireClient = LeanClient;

/** Whether `input` has a value only in `members`, each a string (`numbers`: a number). */
export function onlyMembers(
  input: object,
  strings: ReadonlySet<string>,
  numbers: ReadonlySet<string> = new Set(),
): boolean {
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (strings.has(name) ? typeof value !== 'string' : !numbers.has(name) || typeof value !== 'number')
      return false;
  }
  return true;
}

/** `{Key+}` as the SDK writes it (`@smithy/core` HttpBindingProtocol `serializePath`). */
function greedyLabel(key: string): string {
  return key.split('/').map(extendedEncodeURIComponent).join('/');
}

/** What the probe's request says of a bucket's route. */
export interface S3Template {
  readonly request: WireRequest;
  /** The path before the key (`/<bucket>` path-style, empty virtual-hosted); the whole path for a bucket call. */
  readonly path: string;
  /** Headers the client adds to every call of the operation (`x-amz-checksum-mode`). */
  readonly fixed: Readonly<Record<string, string>>;
}

/** Headers a call's input writes; the others of the probe's request must be in `fixed`. */
const INPUT_HEADERS = new Set(['host', 'range', 'x-amz-expected-bucket-owner']);

/** The headers of `request` no input writes, when each is one of `allowed`; else undefined. */
export function fixedHeaders(
  request: WireRequest,
  allowed: ReadonlySet<string>,
): Readonly<Record<string, string>> | undefined {
  const fixed: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (INPUT_HEADERS.has(name)) continue;
    if (!allowed.has(name)) return undefined;
    fixed[name] = value;
  }
  return fixed;
}

/** The headers of a call: the probe's fixed ones, the input's range and owner condition, the route's host. */
export function inputHeaders(
  template: S3Template,
  owner: string | undefined,
  range?: string,
): Record<string, string> {
  const host = template.request.headers.host;
  return {
    ...template.fixed,
    ...(range === undefined ? {} : { range }),
    ...(owner === undefined ? {} : { 'x-amz-expected-bucket-owner': owner }),
    ...(host === undefined ? {} : { host }),
  };
}

const GET_OBJECT_STRINGS = new Set(['Bucket', 'Key', 'Range', 'ExpectedBucketOwner']);
const GET_OBJECT_FIXED = new Set(['x-amz-checksum-mode']);

function optionalNumber(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/**
 * The members of a GetObject answer's headers; undefined when one is not what the SDK reads (its
 * parser throws), or the answer carries a checksum the SDK would validate the body against.
 */
function objectHeadersOf(
  headers: Record<string, string>,
): Omit<ObjectRead, 'bytes' | '$metadata'> | undefined {
  for (const name in headers)
    if (name.startsWith('x-amz-checksum-') && name !== 'x-amz-checksum-type') return undefined;
  try {
    const lastModified = headers['last-modified'];
    const retainUntil = headers['x-amz-object-lock-retain-until-date'];
    const read = {
      ContentRange: headers['content-range'],
      ContentLength: optionalNumber(headers['content-length']),
      LastModified: lastModified === undefined ? undefined : _parseRfc7231DateTime(lastModified),
      ETag: headers.etag,
      VersionId: headers['x-amz-version-id'],
      ServerSideEncryption: headers['x-amz-server-side-encryption'],
      SSEKMSKeyId: headers['x-amz-server-side-encryption-aws-kms-key-id'],
      ObjectLockMode: headers['x-amz-object-lock-mode'],
      ObjectLockRetainUntilDate:
        retainUntil === undefined ? undefined : _parseRfc3339DateTimeWithOffset(retainUntil),
      ObjectLockLegalHoldStatus: headers['x-amz-object-lock-legal-hold'],
    };
    return definedOnly(read);
  } catch {
    return undefined;
  }
}

function definedOnly<T extends object>(record: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) if (value !== undefined) out[name] = value;
  return out as T;
}

const getObjectProtocol: LeanProtocol<GetObjectRangeInput, S3Template, ObjectRead> = {
  routeKey: (input) => (typeof input.Bucket === 'string' ? input.Bucket : undefined),
  template(request, input) {
    const fixed = fixedHeaders(request, GET_OBJECT_FIXED);
    if (!fixed || typeof input.Key !== 'string') return undefined;
    const key = greedyLabel(input.Key);
    if (!request.path.endsWith(key)) return undefined;
    return { request, path: request.path.slice(0, request.path.length - key.length), fixed };
  },
  build(template, input) {
    if (!onlyMembers(input, GET_OBJECT_STRINGS) || !input.Key) return undefined;
    return {
      ...template.request,
      path: template.path + greedyLabel(input.Key),
      query: { 'x-id': 'GetObject' },
      headers: inputHeaders(template, input.ExpectedBucketOwner, input.Range),
    };
  },
  async decode(response: HttpResponse, collect): Promise<LeanAnswer<ObjectRead>> {
    const headers = objectHeadersOf(response.headers);
    if (!headers) return undefined;
    try {
      const body = response.body ? await collectBody(response.body, collect) : new Uint8Array();
      // A plain Uint8Array, as the SDK's `transformToByteArray` gives (a view, not a copy).
      const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
      return { output: { bytes, ...headers } as ObjectRead };
    } catch (error) {
      return { failed: error };
    }
  },
  fromSdk: fromSdkRead,
};

/** The SDK's GetObject output as the dumps audit reads it: its body read whole. */
async function fromSdkRead(output: unknown): Promise<ObjectRead> {
  const answer = output as GetObjectCommandOutput;
  const bytes = answer.Body ? await answer.Body.transformToByteArray() : new Uint8Array();
  return {
    bytes,
    ...definedOnly({
      ContentRange: answer.ContentRange,
      ContentLength: answer.ContentLength,
      LastModified: answer.LastModified,
      ETag: answer.ETag,
      VersionId: answer.VersionId,
      ServerSideEncryption: answer.ServerSideEncryption,
      SSEKMSKeyId: answer.SSEKMSKeyId,
      ObjectLockMode: answer.ObjectLockMode,
      ObjectLockRetainUntilDate: answer.ObjectLockRetainUntilDate,
      ObjectLockLegalHoldStatus: answer.ObjectLockLegalHoldStatus,
    }),
    $metadata: answer.$metadata,
  };
}

const LIST_STRINGS = new Set(['Bucket', 'Prefix', 'ContinuationToken', 'ExpectedBucketOwner']);
const LIST_NUMBERS = new Set(['MaxKeys']);

const listObjectsProtocol: LeanProtocol<ListObjectsInput, S3Template, ListObjectsPage> = {
  routeKey: (input) => (typeof input.Bucket === 'string' ? input.Bucket : undefined),
  template(request) {
    const fixed = fixedHeaders(request, new Set());
    return fixed && { request, path: request.path, fixed };
  },
  build(template, input) {
    if (!onlyMembers(input, LIST_STRINGS, LIST_NUMBERS)) return undefined;
    const { Prefix, MaxKeys, ContinuationToken } = input;
    return {
      ...template.request,
      query: {
        'list-type': '2',
        ...(Prefix === undefined ? {} : { prefix: Prefix }),
        ...(MaxKeys === undefined ? {} : { 'max-keys': String(MaxKeys) }),
        ...(ContinuationToken === undefined ? {} : { 'continuation-token': ContinuationToken }),
      },
      headers: inputHeaders(template, input.ExpectedBucketOwner),
    };
  },
  decode: (response, collect) =>
    decodeS3XmlAnswer(response, collect, (xml) => decodeListObjectsV2(xml) as ListObjectsPage),
};

/** The white space `String.prototype.trimEnd` trims that is ASCII (tab, LF, VT, FF, CR, space). */
function isAsciiTrimmed(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/**
 * Whether `bytes`, read as UTF-8 text, ends in `</Error>` once `trimEnd` has trimmed it: the ASCII
 * white space is trimmed from the bytes, and only a body ending in another byte above 0x7f (white
 * space of another script's, or not) is made text whole to be trimmed as text.
 */
function isErrorBody(bytes: Buffer): boolean {
  let end = bytes.length;
  while (end > 0 && isAsciiTrimmed(bytes[end - 1] as number)) end -= 1;
  if (end > 0 && (bytes[end - 1] as number) > 0x7f)
    return bytes.toString('utf8').trimEnd().endsWith('</Error>');
  return end >= 8 && bytes.toString('latin1', end - 8, end) === '</Error>';
}

/**
 * A 2xx S3 answer whose body is XML, decoded by `decode` from its bytes; undefined (the SDK reads
 * it, from the bytes put back as its own collector's answer) for a body `decode` does not take
 * (XmlWireError) and for a 200 with an `<Error>` body, which the SDK reads as an error
 * (throw200Exceptions).
 */
export async function decodeS3XmlAnswer<O>(
  response: HttpResponse,
  collect: (body: unknown) => Promise<Uint8Array>,
  decode: (xml: Uint8Array) => O,
): Promise<LeanAnswer<O>> {
  const bytes = await collectBody(response.body, collect);
  if (!isErrorBody(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))) {
    try {
      return { output: decode(bytes) };
    } catch (error) {
      if (!(error instanceof XmlWireError)) throw error;
    }
  }
  // The SDK reads it as its own collector's answer: a plain Uint8Array of its own.
  response.body = new Uint8Array(bytes);
  return undefined;
}

/**
 * A GetObject (the dumps audit's ranged reads) with its body read: on the lean path, or through
 * the SDK when `lean` is false (or the lean path does not serve the bucket or input).
 */
export async function getObjectRead(
  client: S3WireClient,
  input: GetObjectRangeInput,
  lean = true,
): Promise<ObjectRead> {
  if (!lean) return fromSdkRead(await client.send(new GetObjectCommand(input) as never));
  return sendLean(client, GetObjectCommand, getObjectProtocol, input);
}

/** One ListObjectsV2 page, on the lean path (the SDK's when the lean path does not serve the bucket or input). */
export function listObjectsPage(client: S3WireClient, input: ListObjectsInput): Promise<ListObjectsPage> {
  return sendLean(client, ListObjectsV2Command, listObjectsProtocol, input);
}

/**
 * Resolve, ahead of a bucket's first listing and ranged reads, their routes (lean-wire's probes:
 * nothing is sent). `read` stands for the bucket's reads: S3's endpoint ruleset reads no object
 * key, so any key of the bucket resolves the route of every other. Never rejects: a probe that
 * failed is tried again by the first call, which reports why.
 */
export async function prepareBucketReads(
  client: S3WireClient,
  listing: ListObjectsInput,
  read: GetObjectRangeInput,
): Promise<void> {
  await Promise.all([
    prepareLean(client, ListObjectsV2Command, listObjectsProtocol, listing),
    prepareLean(client, GetObjectCommand, getObjectProtocol, read),
  ]).catch(() => undefined);
}
