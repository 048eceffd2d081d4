/**
 * The bucket settings the dumps audit reads of every bucket (versioning, Object Lock, lifecycle,
 * Block Public Access, default encryption), on the lean request path (functions/aws/lean-wire.ts),
 * as the listings and ranged reads are (functions/aws/s3-wire.ts). Through the SDK the benchmark's
 * 50 settings answers took about a millisecond each to read in a new process (the SDK's XML parser
 * and schema deserializers; 48 ms for 50 in one timeline at load 12), and the dumps audit sends five
 * per bucket in the same round trip as the listings, so their reading delayed the listings' on the
 * audit's critical path.
 *
 * What is S3's here:
 * - each is a GET of the bucket's sub-resource (`?versioning`, `?object-lock`, `?lifecycle`,
 *   `?publicAccessBlock`, `?encryption`) whose input is the bucket and its owner condition only;
 *   the route (endpoint, path or virtual-hosted style, the sub-resource query) is the probe's, per
 *   (client, bucket, operation), and lean-wire takes it only when the request rebuilt from it is
 *   exactly the probe's: any other header or query parameter the client adds leaves the calls to
 *   the SDK, as does an input member not written here;
 * - only a 2xx answer whose body is the configuration the operation answers with is decoded here;
 *   S3's 404s for a configuration that does not exist (NoSuchLifecycleConfiguration,
 *   ObjectLockConfigurationNotFoundError, NoSuchPublicAccessBlockConfiguration,
 *   ServerSideEncryptionConfigurationNotFoundError), 403s and region redirects are non-2xx and
 *   handed to the SDK, which builds its errors as always; a 200 with an `<Error>` body (which the
 *   SDK reads as an error), an empty body or another root element are handed to it too;
 * - only the members the dumps audit reads (functions/aws/s3-dumps.ts), with the SDK's member names
 *   (`Rules` for the flattened `<Rule>`, `Tags` for `<And>`'s flattened `<Tag>`, `MFADelete` for
 *   `<MfaDelete>`) and the SDK's types (numbers, booleans, dates).
 *
 * test/aws/s3-settings-wire.test.ts reads the same settings both ways (the simulator's answers,
 * and answers written out for what the simulator does not model: tag and size filters, years of
 * retention, empty configurations, errors).
 */
import {
  GetBucketEncryptionCommand,
  type GetBucketEncryptionCommandOutput,
  GetBucketLifecycleConfigurationCommand,
  type GetBucketLifecycleConfigurationCommandOutput,
  GetBucketVersioningCommand,
  type GetBucketVersioningCommandOutput,
  GetObjectLockConfigurationCommand,
  type GetObjectLockConfigurationCommandOutput,
  GetPublicAccessBlockCommand,
  type GetPublicAccessBlockCommandOutput,
} from '@aws-sdk/client-s3';
import { type LeanProtocol, prepareLean, type SdkCommandClass, sendLean } from './lean-wire.ts';
import {
  decodeS3XmlAnswer,
  fixedHeaders,
  inputHeaders,
  onlyMembers,
  type S3Template,
  type S3WireClient,
} from './s3-wire.ts';
import { decodeXmlResult, type Shape } from './xml-wire.ts';

/** The input of a bucket-settings GET: the bucket, and the owner it must have. */
export interface BucketSettingInput {
  readonly Bucket: string;
  readonly ExpectedBucketOwner?: string;
}

const BUCKET_STRINGS = new Set(['Bucket', 'ExpectedBucketOwner']);

/** GetBucketVersioning's `<VersioningConfiguration>`. */
export const VERSIONING: Shape = { Status: 'string', MfaDelete: 'string' };

const DEFAULT_RETENTION: Shape = { Mode: 'string', Days: 'integer', Years: 'integer' };
/** GetObjectLockConfiguration's `<ObjectLockConfiguration>`. */
export const OBJECT_LOCK: Shape = {
  ObjectLockEnabled: 'string',
  Rule: { struct: { DefaultRetention: { struct: DEFAULT_RETENTION } } },
};

const TAG: Shape = { Key: 'string', Value: 'string' };
/** One `<Rule>` of GetBucketLifecycleConfiguration's `<LifecycleConfiguration>`: what the audit matches and judges. */
export const LIFECYCLE_RULE: Shape = {
  ID: 'string',
  Prefix: 'string',
  Status: 'string',
  Filter: {
    struct: {
      Prefix: 'string',
      Tag: { struct: TAG },
      ObjectSizeGreaterThan: 'integer',
      ObjectSizeLessThan: 'integer',
      And: {
        struct: {
          Prefix: 'string',
          Tag: { flattened: TAG },
          ObjectSizeGreaterThan: 'integer',
          ObjectSizeLessThan: 'integer',
        },
      },
    },
  },
  Expiration: { struct: { Date: 'timestamp', Days: 'integer', ExpiredObjectDeleteMarker: 'boolean' } },
  NoncurrentVersionExpiration: { struct: { NoncurrentDays: 'integer', NewerNoncurrentVersions: 'integer' } },
};
const LIFECYCLE: Shape = { Rule: { flattened: LIFECYCLE_RULE } };

/** GetPublicAccessBlock's `<PublicAccessBlockConfiguration>`. */
export const PUBLIC_ACCESS_BLOCK: Shape = {
  BlockPublicAcls: 'boolean',
  IgnorePublicAcls: 'boolean',
  BlockPublicPolicy: 'boolean',
  RestrictPublicBuckets: 'boolean',
};

/** One `<Rule>` of GetBucketEncryption's `<ServerSideEncryptionConfiguration>`. */
export const ENCRYPTION_RULE: Shape = {
  ApplyServerSideEncryptionByDefault: { struct: { SSEAlgorithm: 'string', KMSMasterKeyID: 'string' } },
  BucketKeyEnabled: 'boolean',
};
const ENCRYPTION: Shape = { Rule: { flattened: ENCRYPTION_RULE } };

/** A decoded element's member `from` renamed `to` (the SDK's name for a flattened list), in place. */
function renamed(record: Record<string, unknown>, from: string, to: string): Record<string, unknown> {
  if (from in record) {
    record[to] = record[from];
    delete record[from];
  }
  return record;
}

/**
 * The protocol of one bucket-settings GET: `root` is the answer's root element, `output` makes the
 * decoded members into the SDK's output (without `$metadata`).
 */
function bucketSettingProtocol<O>(
  root: string,
  shape: Shape,
  output: (decoded: Record<string, unknown>, headers: Record<string, string>) => object,
): LeanProtocol<BucketSettingInput, S3Template, O> {
  return {
    routeKey: (input) => (typeof input.Bucket === 'string' ? input.Bucket : undefined),
    template(request) {
      const fixed = fixedHeaders(request, new Set());
      return fixed && { request, path: request.path, fixed };
    },
    build(template, input) {
      if (!onlyMembers(input, BUCKET_STRINGS)) return undefined;
      // The query is the operation's sub-resource, the probe's: no input member writes it.
      return { ...template.request, headers: inputHeaders(template, input.ExpectedBucketOwner) };
    },
    decode: (response, collect) =>
      decodeS3XmlAnswer(
        response,
        collect,
        (xml) => output(decodeXmlResult(xml, [root], shape), response.headers) as O,
      ),
  };
}

const versioningProtocol = bucketSettingProtocol<GetBucketVersioningCommandOutput>(
  'VersioningConfiguration',
  VERSIONING,
  (decoded) => renamed(decoded, 'MfaDelete', 'MFADelete'),
);

const objectLockProtocol = bucketSettingProtocol<GetObjectLockConfigurationCommandOutput>(
  'ObjectLockConfiguration',
  OBJECT_LOCK,
  (decoded) => ({ ObjectLockConfiguration: decoded }),
);

const lifecycleProtocol = bucketSettingProtocol<GetBucketLifecycleConfigurationCommandOutput>(
  'LifecycleConfiguration',
  LIFECYCLE,
  (decoded, headers) => {
    const rules = decoded.Rule as Record<string, unknown>[] | undefined;
    for (const rule of rules ?? []) {
      const and = (rule.Filter as Record<string, unknown> | undefined)?.And;
      if (and) renamed(and as Record<string, unknown>, 'Tag', 'Tags');
    }
    const minimumSize = headers['x-amz-transition-default-minimum-object-size'];
    return {
      ...(rules === undefined ? {} : { Rules: rules }),
      ...(minimumSize === undefined ? {} : { TransitionDefaultMinimumObjectSize: minimumSize }),
    };
  },
);

const publicAccessBlockProtocol = bucketSettingProtocol<GetPublicAccessBlockCommandOutput>(
  'PublicAccessBlockConfiguration',
  PUBLIC_ACCESS_BLOCK,
  (decoded) => ({ PublicAccessBlockConfiguration: decoded }),
);

const encryptionProtocol = bucketSettingProtocol<GetBucketEncryptionCommandOutput>(
  'ServerSideEncryptionConfiguration',
  ENCRYPTION,
  (decoded) => ({ ServerSideEncryptionConfiguration: renamed(decoded, 'Rule', 'Rules') }),
);

/** Each setting's SDK command and lean protocol. */
const SETTINGS = {
  versioning: [GetBucketVersioningCommand, versioningProtocol],
  objectLock: [GetObjectLockConfigurationCommand, objectLockProtocol],
  lifecycle: [GetBucketLifecycleConfigurationCommand, lifecycleProtocol],
  publicAccessBlock: [GetPublicAccessBlockCommand, publicAccessBlockProtocol],
  encryption: [GetBucketEncryptionCommand, encryptionProtocol],
} as const;

/** The bucket settings read here, by name. */
export type BucketSetting = keyof typeof SETTINGS;

/** What each setting's call answers (the SDK's output, the members the dumps audit reads). */
export interface BucketSettingOutputs {
  readonly versioning: GetBucketVersioningCommandOutput;
  readonly objectLock: GetObjectLockConfigurationCommandOutput;
  readonly lifecycle: GetBucketLifecycleConfigurationCommandOutput;
  readonly publicAccessBlock: GetPublicAccessBlockCommandOutput;
  readonly encryption: GetBucketEncryptionCommandOutput;
}

/**
 * One bucket setting: on the lean path, or through the SDK when `lean` is false (or the lean path
 * does not serve the bucket or input, or the answer is not a clean success).
 */
export function bucketSetting<S extends BucketSetting>(
  client: S3WireClient,
  setting: S,
  input: BucketSettingInput,
  lean = true,
): Promise<BucketSettingOutputs[S]> {
  const [Command, protocol] = SETTINGS[setting] as unknown as readonly [
    SdkCommandClass<BucketSettingInput>,
    LeanProtocol<BucketSettingInput, S3Template, BucketSettingOutputs[S]>,
  ];
  if (!lean) return client.send(new Command(input) as never) as Promise<BucketSettingOutputs[S]>;
  return sendLean(client, Command, protocol, input);
}

/**
 * Resolve, ahead of the bucket's settings calls, each one's route (lean-wire's probes: nothing is
 * sent). Never rejects: a probe that failed is tried again by the call, which reports why.
 */
export async function prepareBucketSettings(client: S3WireClient, input: BucketSettingInput): Promise<void> {
  const settings = Object.values(SETTINGS) as unknown as readonly (readonly [
    SdkCommandClass<BucketSettingInput>,
    LeanProtocol<BucketSettingInput, S3Template, unknown>,
  ])[];
  await Promise.all(
    settings.map(([Command, protocol]) => prepareLean(client, Command, protocol, input)),
  ).catch(() => undefined);
}
