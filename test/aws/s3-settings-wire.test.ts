/**
 * The bucket settings on the lean path (functions/aws/s3-settings-wire.ts on
 * functions/aws/lean-wire.ts) against the SDK itself: the same five calls both ways against the
 * simulator (every setting configured, absent, denied, redirected, another owner's bucket), answers
 * written out for what the simulator does not model (tag and size filters, years of retention,
 * empty configurations, a 200 with an error body) decoded both ways, and the scope's routes readied
 * before its first call (s3-dumps.ts `prepareS3Dumps`).
 */
import { Readable } from 'node:stream';
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { prepareS3Dumps, readS3DumpFact, s3DumpsClient } from '../../functions/aws/s3-dumps.ts';
import {
  type BucketSetting,
  bucketSetting,
  ENCRYPTION_RULE,
  LIFECYCLE_RULE,
  OBJECT_LOCK,
  PUBLIC_ACCESS_BLOCK,
} from '../../functions/aws/s3-settings-wire.ts';
import type { Shape } from '../../functions/aws/xml-wire.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { simCredentials } from '../sim/accounts.ts';
import { DUMP_FIXTURE, NOW } from '../sim/s3-support.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { project } from './wire-support.ts';

const ACCOUNT = '111111111111';
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/5c1a9e2b-7d34-4f0e-9a61-2b8c3d4e5f60`;
const SETTINGS: readonly BucketSetting[] = [
  'versioning',
  'objectLock',
  'lifecycle',
  'publicAccessBlock',
  'encryption',
];

let sim: Sim;

beforeAll(async () => {
  sim = await startSim({
    clock: () => NOW,
    scenario: {
      services: {
        s3: {
          buckets: [
            {
              name: 'certctl-configured',
              account: ACCOUNT,
              region: 'eu-west-1',
              versioning: 'Enabled',
              objectLock: { defaultRetention: { mode: 'COMPLIANCE', days: 35 } },
              lifecycle: [
                { id: 'expire & keep <35>', prefix: 'prod/', expirationDays: 35, noncurrentDays: 7 },
                { id: 'dated', expirationDate: '2027-01-31', status: 'Disabled' },
              ],
              publicAccessBlock: {
                blockPublicAcls: true,
                ignorePublicAcls: false,
                blockPublicPolicy: true,
                restrictPublicBuckets: false,
              },
              encryption: { algorithm: 'aws:kms', kmsKeyId: KEY_ARN },
              series: [{ keyPrefix: 'prod/certctl-', count: 3, newest: '-3h', fixture: DUMP_FIXTURE }],
            },
            {
              name: 'certctl-suspended',
              account: ACCOUNT,
              region: 'eu-west-1',
              versioning: 'Suspended',
              objectLock: { defaultRetention: { mode: 'GOVERNANCE', years: 2 } },
              encryption: { algorithm: 'aws:kms' },
            },
            {
              name: 'certctl-bare',
              account: ACCOUNT,
              region: 'eu-west-1',
              objectLock: {},
              encryption: 'none',
            },
            {
              name: 'certctl-sse-s3',
              account: ACCOUNT,
              region: 'eu-west-1',
            },
            {
              name: 'certctl-moved',
              account: ACCOUNT,
              region: 'us-east-2',
              versioning: 'Enabled',
            },
            {
              name: 'certctl-denied',
              account: ACCOUNT,
              region: 'eu-west-1',
              versioning: 'Enabled',
              denied: [
                'GetBucketVersioning',
                'GetObjectLockConfiguration',
                'GetBucketLifecycleConfiguration',
                'GetPublicAccessBlock',
                'GetBucketEncryption',
              ],
            },
          ],
        },
      },
    },
  });
});

afterAll(async () => {
  await sim.close();
});

/** Requests each path handed to the client's request handler: the SDK's carry `amz-sdk-invocation-id`. */
interface Sent {
  lean: number;
  sdk: number;
}

/** An S3 client of the one factory whose handler counts what each path sends. */
function countingClient(factory: AwsClientFactory, region = 'eu-west-1'): { client: S3Client; sent: Sent } {
  const client = factory.client(S3Client, region);
  const sent: Sent = { lean: 0, sdk: 0 };
  const handler = client.config.requestHandler as unknown as {
    handle: (request: { headers: Record<string, string> }, options?: unknown) => Promise<unknown>;
  };
  const handle = handler.handle.bind(handler);
  handler.handle = (request, options) => {
    if (request.headers['amz-sdk-invocation-id']) sent.sdk += 1;
    else sent.lean += 1;
    return handle(request, options);
  };
  return { client, sent };
}

type Settled = { readonly output: Record<string, unknown> } | { readonly error: unknown };

function settle(call: Promise<unknown>): Promise<Settled> {
  return call.then(
    (output) => ({ output: output as Record<string, unknown> }),
    (error: unknown) => ({ error }),
  );
}

/** What a caller reads of an error: s3-dumps.ts classifies on name, status and the redirect header. */
function errorOf(error: unknown) {
  const { name, message, $metadata, $response } = error as {
    name: string;
    message: string;
    $metadata?: { httpStatusCode?: number; attempts?: number };
    $response?: { headers?: Record<string, string> };
  };
  return {
    name,
    message,
    status: $metadata?.httpStatusCode,
    attempts: $metadata?.attempts,
    bucketRegion: $response?.headers?.['x-amz-bucket-region'],
  };
}

function withoutMetadata(settled: Settled) {
  if ('error' in settled) return { error: errorOf(settled.error) };
  const { $metadata, ...output } = settled.output;
  return { output, status: ($metadata as { httpStatusCode?: number }).httpStatusCode };
}

/** One setting of one bucket both ways: through a lean client and through the SDK (`lean` false). */
async function bothWays(setting: BucketSetting, bucket: string, owner = ACCOUNT) {
  const factory = new AwsClientFactory({
    maxAttempts: 3,
    credentials: simCredentials(ACCOUNT),
    endpoint: sim.endpoint,
  });
  try {
    const lean = countingClient(factory, 'eu-west-1');
    const input = { Bucket: bucket, ExpectedBucketOwner: owner };
    const leanAnswer = await settle(bucketSetting(lean.client, setting, input));
    const sdkAnswer = await settle(bucketSetting(lean.client, setting, input, false));
    return { lean: withoutMetadata(leanAnswer), sdk: withoutMetadata(sdkAnswer), sent: lean.sent };
  } finally {
    factory.destroy();
  }
}

describe('the bucket settings on the lean path', () => {
  it.each(
    ['certctl-configured', 'certctl-suspended', 'certctl-bare', 'certctl-sse-s3'].flatMap((bucket) =>
      SETTINGS.map((setting) => [bucket, setting] as const),
    ),
  )('read %s %s as the SDK does, its 2xx answer decoded past the SDK', async (bucket, setting) => {
    // Act
    const { lean, sdk, sent } = await bothWays(setting, bucket);

    // Assess
    expect(lean).toEqual(sdk);
    // One request each: the lean call's went out lean (a 404 answer replayed to the SDK, not sent
    // again), then the SDK's own.
    expect(sent).toEqual({ lean: 1, sdk: 1 });
  });

  it('reads every member the dumps audit reads of a configured bucket', async () => {
    // Act
    const answers = await Promise.all(SETTINGS.map((setting) => bothWays(setting, 'certctl-configured')));

    // Assess
    const [versioning, objectLock, lifecycle, publicAccess, encryption] = answers.map(
      ({ lean }) => (lean as { output: Record<string, unknown> }).output,
    );
    expect(versioning).toEqual({ Status: 'Enabled' });
    expect(objectLock).toEqual({
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 35 } },
      },
    });
    expect(lifecycle).toEqual({
      Rules: [
        {
          ID: 'expire & keep <35>',
          Filter: { Prefix: 'prod/' },
          Status: 'Enabled',
          Expiration: { Days: 35 },
          NoncurrentVersionExpiration: { NoncurrentDays: 7 },
        },
        {
          ID: 'dated',
          Filter: {},
          Status: 'Disabled',
          Expiration: { Date: new Date('2027-01-31T00:00:00.000Z') },
        },
      ],
      TransitionDefaultMinimumObjectSize: 'all_storage_classes_128K',
    });
    expect(publicAccess).toEqual({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: false,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: false,
      },
    });
    expect(encryption).toEqual({
      ServerSideEncryptionConfiguration: {
        Rules: [
          {
            ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY_ARN },
            BucketKeyEnabled: true,
          },
        ],
      },
    });
  });

  it.each(
    (
      [
        ['a denied bucket (403)', 'certctl-denied', ACCOUNT],
        ['a bucket in another region (301)', 'certctl-moved', ACCOUNT],
        ['a bucket of another account (403 under the owner condition)', 'certctl-configured', '999999999999'],
        ['a bucket that does not exist (404)', 'certctl-none-such', ACCOUNT],
      ] as const
    ).flatMap(([label, bucket, owner]) =>
      SETTINGS.map((setting) => [setting, label, bucket, owner] as const),
    ),
  )('rejects %s as the SDK does on %s', async (setting, _label, bucket, owner) => {
    // Act
    const { lean, sdk } = await bothWays(setting, bucket, owner);

    // Assess
    expect('error' in sdk).toBe(true);
    expect(lean).toEqual(sdk);
  });
});

/** A request handler that answers every request with `answer`. */
function cannedHandler(answer: { status: number; headers?: Record<string, string>; body: string }) {
  const requests: { headers: Record<string, string> }[] = [];
  return {
    requests,
    handle: async (request: { headers: Record<string, string> }) => {
      requests.push(request);
      return {
        response: {
          statusCode: answer.status,
          headers: { 'x-amz-request-id': 'req-1', ...answer.headers },
          body: Readable.from([Buffer.from(answer.body)]),
        },
      };
    },
  };
}

const NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
const TAG: Shape = { Key: 'string', Value: 'string' };
/** LIFECYCLE_RULE under the SDK's member names (`Tags` for `<And>`'s flattened `<Tag>`). */
const LIFECYCLE_SDK: Shape = {
  Rules: {
    flattened: {
      ...LIFECYCLE_RULE,
      Filter: {
        struct: {
          Prefix: 'string',
          Tag: { struct: TAG },
          ObjectSizeGreaterThan: 'integer',
          ObjectSizeLessThan: 'integer',
          And: {
            struct: {
              Prefix: 'string',
              Tags: { flattened: TAG },
              ObjectSizeGreaterThan: 'integer',
              ObjectSizeLessThan: 'integer',
            },
          },
        },
      },
    },
  },
};

const COMMANDS = {
  versioning: GetBucketVersioningCommand,
  objectLock: GetObjectLockConfigurationCommand,
  lifecycle: GetBucketLifecycleConfigurationCommand,
  publicAccessBlock: GetPublicAccessBlockCommand,
  encryption: GetBucketEncryptionCommand,
} as const;

/** The members the lean path promises of each setting's output, under the SDK's names. */
const SDK_SHAPES: Readonly<Record<BucketSetting, Shape>> = {
  versioning: { Status: 'string', MFADelete: 'string' },
  objectLock: { ObjectLockConfiguration: { struct: OBJECT_LOCK } },
  lifecycle: LIFECYCLE_SDK,
  publicAccessBlock: { PublicAccessBlockConfiguration: { struct: PUBLIC_ACCESS_BLOCK } },
  encryption: { ServerSideEncryptionConfiguration: { struct: { Rules: { flattened: ENCRYPTION_RULE } } } },
};

/** One canned answer decoded both ways by one client: lean (`bucketSetting`), then the SDK's `send`. */
async function decodedBothWays(setting: BucketSetting, body: string, status = 200) {
  const handler = cannedHandler({ status, body });
  const client = new S3Client({
    region: 'eu-west-1',
    credentials: simCredentials(ACCOUNT),
    maxAttempts: 1,
    requestHandler: handler,
  });
  try {
    const input = { Bucket: 'certctl-canned', ExpectedBucketOwner: ACCOUNT };
    const lean = await settle(bucketSetting(client, setting, input));
    const Command = COMMANDS[setting] as unknown as new (input: object) => object;
    const sdk = await settle(client.send(new Command(input) as never));
    const leanSent = handler.requests.filter((request) => !request.headers['amz-sdk-invocation-id']).length;
    return { lean, sdk, leanSent };
  } finally {
    client.destroy();
  }
}

describe('the bucket settings answers the simulator does not model', () => {
  it.each([
    [
      'lifecycle',
      'a tag filter, size filters and an And of a prefix, two tags and sizes',
      `<LifecycleConfiguration xmlns="${NAMESPACE}"><Rule><ID>tagged</ID><Filter><Tag><Key>tier</Key><Value>cold &amp; old</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule><Rule><ID>and</ID><Filter><And><Prefix>prod/</Prefix><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag><ObjectSizeGreaterThan>1024</ObjectSizeGreaterThan><ObjectSizeLessThan>1073741824000</ObjectSizeLessThan></And></Filter><Status>Enabled</Status><Expiration><Days>90</Days></Expiration><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule><Rule><Prefix>legacy/</Prefix><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration><NoncurrentVersionExpiration><NoncurrentDays>14</NoncurrentDays><NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule><Rule><Filter><ObjectSizeGreaterThan>0</ObjectSizeGreaterThan></Filter><Status>Enabled</Status><Expiration><Date>2027-03-01T00:00:00Z</Date></Expiration></Rule></LifecycleConfiguration>`,
    ],
    ['lifecycle', 'a configuration without rules', `<LifecycleConfiguration xmlns="${NAMESPACE}"/>`],
    [
      'objectLock',
      'years of default retention',
      `<ObjectLockConfiguration xmlns="${NAMESPACE}"><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Years>3</Years></DefaultRetention></Rule></ObjectLockConfiguration>`,
    ],
    [
      'objectLock',
      'an empty configuration',
      `<ObjectLockConfiguration xmlns="${NAMESPACE}"></ObjectLockConfiguration>`,
    ],
    [
      'versioning',
      'MFA delete',
      `<VersioningConfiguration xmlns="${NAMESPACE}"><Status>Enabled</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>`,
    ],
    ['versioning', 'a bucket never versioned', `<VersioningConfiguration xmlns="${NAMESPACE}"/>`],
    [
      'publicAccessBlock',
      'two settings only',
      `<PublicAccessBlockConfiguration xmlns="${NAMESPACE}"><BlockPublicAcls>false</BlockPublicAcls><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>`,
    ],
    [
      'encryption',
      'two rules, the second with a bucket key only',
      `<ServerSideEncryptionConfiguration xmlns="${NAMESPACE}"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms:dsse</SSEAlgorithm><KMSMasterKeyID>alias/certctl</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule><Rule><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`,
    ],
    [
      'encryption',
      'a configuration without rules',
      `<ServerSideEncryptionConfiguration xmlns="${NAMESPACE}"/>`,
    ],
  ] as const)('decodes %s with %s as the SDK does, lean', async (setting, _label, body) => {
    // Act
    const { lean, sdk, leanSent } = await decodedBothWays(setting, body);

    // Assess
    if (!('output' in lean) || !('output' in sdk)) throw new Error('a read failed');
    const { $metadata: _lean, ...leanOutput } = lean.output;
    expect(leanOutput).toEqual(project(sdk.output, SDK_SHAPES[setting]));
    expect(leanSent).toBe(1);
  });

  it.each([
    [
      'a 200 with an error body',
      `<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>`,
    ],
    ['a 200 with an empty body', ''],
    [
      'a 200 with another operation’s answer',
      `<ListBucketResult xmlns="${NAMESPACE}"><Name>x</Name></ListBucketResult>`,
    ],
  ])('hands %s to the SDK, which answers or rejects as it always does', async (_label, body) => {
    // Act
    const { lean, sdk } = await decodedBothWays('publicAccessBlock', body);

    // Assess
    expect(withoutMetadata(lean)).toEqual(withoutMetadata(sdk));
  });

  it('leaves a setting sent as neither true nor false out as not sent, where the SDK reads false', async () => {
    // Prepare: `yes` is no value of the protocol; read as false, the bucket would fail as public
    // on a setting the answer never sent.
    const body = `<PublicAccessBlockConfiguration xmlns="${NAMESPACE}"><BlockPublicAcls>yes</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls></PublicAccessBlockConfiguration>`;

    // Act
    const { lean, sdk, leanSent } = await decodedBothWays('publicAccessBlock', body);

    // Assess
    if (!('output' in lean) || !('output' in sdk)) throw new Error('a read failed');
    expect(sdk.output).toMatchObject({ PublicAccessBlockConfiguration: { BlockPublicAcls: false } });
    const { $metadata: _lean, ...leanOutput } = lean.output;
    expect(leanOutput).toEqual({ PublicAccessBlockConfiguration: { IgnorePublicAcls: true } });
    expect(leanSent).toBe(1);
  });
});

describe('prepareS3Dumps', () => {
  it('readies every bucket’s routes before STS answers, so the scope’s reads probe nothing and send nothing through the SDK', async () => {
    // Prepare
    const policy = parsePolicy({
      aws: { regions: ['eu-west-1'] },
      dumps: {
        locations: [
          {
            provider: 'aws',
            bucket: 'certctl-configured',
            prefix: 'prod/',
            account: ACCOUNT,
            region: 'eu-west-1',
          },
          {
            provider: 'aws',
            bucket: 'certctl-suspended',
            prefix: 'db/',
            account: ACCOUNT,
            region: 'eu-west-1',
          },
        ],
      },
    });
    const factory = new AwsClientFactory({
      maxAttempts: 1,
      credentials: simCredentials(ACCOUNT),
      endpoint: sim.endpoint,
    });
    const account = { accountId: ACCOUNT };
    const client = s3DumpsClient(factory, 'eu-west-1', account);
    const { sent } = countingSentOf(client);
    // Counted on the Smithy Client the SDK's clients inherit `send` from: a stub on S3Client's own
    // prototype is a test double the lean path leaves every call to (lean-wire.ts discover).
    const sends = vi.spyOn(Object.getPrototypeOf(S3Client.prototype) as S3Client, 'send');
    try {
      // Act: ready the scope, then read its first location
      prepareS3Dumps({ factory, account, region: 'eu-west-1', policy, now: () => NOW });
      await vi.waitFor(() => expect(sends).toHaveBeenCalledTimes(2 * 7), { timeout: 5000 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const readied = { sends: sends.mock.calls.length, sent: { ...sent } };
      sends.mockClear();
      const fact = await readS3DumpFact({
        clientFor: () => client,
        location: { bucket: 'certctl-configured', prefix: 'prod/', account: ACCOUNT, region: 'eu-west-1' },
        maxObjectsListed: 1000,
      });

      // Assess: seven probes a bucket (five settings, the listing, the ranged reads), none sent;
      // the read then went out lean, every call of it: the listing, header and tail, and the settings.
      expect(readied).toEqual({ sends: 14, sent: { lean: 0, sdk: 0 } });
      expect(fact.newest?.header.state).toBe('read');
      expect(fact.versioning).toEqual({ state: 'read', value: { status: 'Enabled' } });
      expect(sends).not.toHaveBeenCalled();
      expect(sent).toEqual({ lean: 1 + 2 + 5, sdk: 0 });
    } finally {
      sends.mockRestore();
      factory.destroy();
    }
  });
});

/** Counts what `client` sends, by path (as {@link countingClient}). */
function countingSentOf(client: S3Client): { sent: Sent } {
  const sent: Sent = { lean: 0, sdk: 0 };
  const handler = client.config.requestHandler as unknown as {
    handle: (request: { headers: Record<string, string> }, options?: unknown) => Promise<unknown>;
  };
  const handle = handler.handle.bind(handler);
  handler.handle = (request, options) => {
    if (request.headers['amz-sdk-invocation-id']) sent.sdk += 1;
    else sent.lean += 1;
    return handle(request, options);
  };
  return { sent };
}
