/**
 * The lean S3 reads (functions/aws/s3-wire.ts on functions/aws/lean-wire.ts) against the SDK itself:
 * the same GetObject and ListObjectsV2 calls both ways against the simulator (keys that need
 * encoding, ranges, encryption and Object Lock headers, missing keys, denials, unsatisfiable ranges,
 * region redirects, empty and truncated listings), the requests both paths put on the wire, and the
 * dumps audit both ways.
 */
import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuditedAccount,
  AwsClientFactory,
  type ClientConnections,
  type ClientConstructor,
} from '../../functions/aws/clients.ts';
import { readS3DumpFact } from '../../functions/aws/s3-dumps.ts';
import { getObjectRead, LIST_OBJECTS_V2, listObjectsPage } from '../../functions/aws/s3-wire.ts';
import { simCredentials } from '../sim/accounts.ts';
import { DUMP_FIXTURE, NOW } from '../sim/s3-support.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { project } from './wire-support.ts';

const ACCOUNT = '111111111111';
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/5c1a9e2b-7d34-4f0e-9a61-2b8c3d4e5f60`;
/** Keys the greedy label must encode: space, `+`, `%`, unicode, `//`, characters encodeURIComponent leaves. */
const ODD_KEYS = [
  'db/a b+c%d.dump',
  'db/é/ü/日本.dump',
  'db//double/slash.dump',
  "db/it's (1)*!~.dump",
  'db/q?x=1&y#z;=:@$,.dump',
  '/leading.dump',
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
              name: 'certctl-lean',
              account: ACCOUNT,
              region: 'eu-west-1',
              versioning: 'Enabled',
              objectLock: { defaultRetention: { mode: 'COMPLIANCE', days: 35 } },
              encryption: { algorithm: 'aws:kms', kmsKeyId: KEY_ARN },
              objects: [
                ...ODD_KEYS.map((key) => ({ key, fixture: DUMP_FIXTURE })),
                { key: 'db/empty.dump', body: '' },
                { key: 'db/short.dump', body: 'PGDMP' },
              ],
              series: [{ keyPrefix: 'prod/certctl-', count: 25, newest: '-3h', fixture: DUMP_FIXTURE }],
            },
            {
              name: 'certctl-lean-moved',
              account: ACCOUNT,
              region: 'us-east-2',
              objects: [{ key: 'db/x.dump', fixture: DUMP_FIXTURE }],
            },
            {
              name: 'certctl-lean-denied',
              account: ACCOUNT,
              region: 'eu-west-1',
              denied: ['GetObject', 'ListObjectsV2'],
              objects: [{ key: 'db/x.dump', fixture: DUMP_FIXTURE }],
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

/**
 * A factory whose S3 clients count the requests each path sends; with `sdkOnly`, each client has a
 * `send` of its own (calling the SDK's), which the lean path leaves alone.
 */
class CountingFactory extends AwsClientFactory {
  readonly sent: Sent = { lean: 0, sdk: 0 };
  readonly #sdkOnly: boolean;
  readonly #seen = new WeakSet<object>();

  constructor(sdkOnly: boolean) {
    super({ maxAttempts: 3, credentials: simCredentials(ACCOUNT), endpoint: sim.endpoint });
    this.#sdkOnly = sdkOnly;
  }

  override client<C>(
    ctor: ClientConstructor<C>,
    region: string,
    account?: AuditedAccount,
    connections?: ClientConnections,
  ): C {
    const client = super.client(ctor, region, account, connections) as C & {
      send: (command: unknown) => Promise<unknown>;
      config: { requestHandler: { handle: (request: { headers: Record<string, string> }) => unknown } };
    };
    if (this.#seen.has(client)) return client;
    this.#seen.add(client);
    const handler = client.config.requestHandler;
    const handle = handler.handle.bind(handler);
    handler.handle = (request) => {
      if (request.headers['amz-sdk-invocation-id']) this.sent.sdk += 1;
      else this.sent.lean += 1;
      return handle(request);
    };
    if (this.#sdkOnly) {
      const send = Object.getPrototypeOf(client).send as (command: unknown) => Promise<unknown>;
      client.send = (command) => send.call(client, command);
    }
    return client;
  }
}

type Settled<T> = { readonly output: T } | { readonly error: unknown };

function settle<T>(call: Promise<T>): Promise<Settled<T>> {
  return call.then(
    (output) => ({ output }),
    (error: unknown) => ({ error }),
  );
}

/** What a caller reads of an error: the collector classifies on name, status and the redirect header. */
function errorOf(error: unknown) {
  const { name, message, $metadata, $response, Region } = error as {
    name: string;
    message: string;
    Region?: string;
    $metadata?: { httpStatusCode?: number; attempts?: number };
    $response?: { headers?: Record<string, string> };
  };
  return {
    name,
    message,
    Region,
    status: $metadata?.httpStatusCode,
    attempts: $metadata?.attempts,
    bucketRegion: $response?.headers?.['x-amz-bucket-region'],
  };
}

/** The same settled call both ways, compared as the caller reads it (`$metadata`'s request ids differ). */
function expectSame<T>(lean: Settled<T>, sdk: Settled<T>) {
  if ('error' in sdk) {
    expect('error' in lean && errorOf(lean.error)).toEqual(errorOf(sdk.error));
    expect((lean as { error: object }).error).toBeInstanceOf((sdk.error as object).constructor);
    return;
  }
  if (!('output' in lean)) throw lean.error;
  const { $metadata: leanMeta, ...leanRest } = lean.output as Record<string, unknown>;
  const { $metadata: sdkMeta, ...sdkRest } = sdk.output as Record<string, unknown>;
  expect(leanRest).toEqual(sdkRest);
  // Each answer has its own request ids: present on one path when present on the other.
  const ids = sdkMeta as { requestId?: string; extendedRequestId?: string };
  expect(leanMeta).toEqual({
    ...ids,
    requestId: ids.requestId === undefined ? undefined : expect.any(String),
    extendedRequestId: ids.extendedRequestId === undefined ? undefined : expect.any(String),
  });
}

/** A GetObject both ways: `lean` through the lean path, `sdk` through the SDK's (`getObjectRead(…, false)`). */
async function getBothWays(bucket: string, key: string, range: string | undefined, region = 'eu-west-1') {
  const leanFactory = new CountingFactory(false);
  const sdkFactory = new CountingFactory(true);
  try {
    const input = {
      Bucket: bucket,
      Key: key,
      ExpectedBucketOwner: ACCOUNT,
      ...(range ? { Range: range } : {}),
    };
    const lean = await settle(getObjectRead(leanFactory.client(S3Client, region), input));
    const sdk = await settle(getObjectRead(sdkFactory.client(S3Client, region), input, false));
    return { lean, sdk, leanSent: leanFactory.sent, sdkSent: sdkFactory.sent };
  } finally {
    leanFactory.destroy();
    sdkFactory.destroy();
  }
}

describe('a ranged GetObject on the lean path', () => {
  it.each(ODD_KEYS.flatMap((key) => [[key, 'bytes=0-1023'] as const, [key, 'bytes=-64'] as const]))(
    'answers %s (%s) as the SDK does: the same bytes, range, length, dates, ETag, version, encryption and Object Lock',
    async (key, range) => {
      // Act
      const { lean, sdk, leanSent } = await getBothWays('certctl-lean', key, range);

      // Assess
      expectSame(lean, sdk);
      const read = (lean as { output: Awaited<ReturnType<typeof getObjectRead>> }).output;
      expect(read.bytes.byteLength).toBe(range === 'bytes=0-1023' ? 1024 : 64);
      expect(read).toMatchObject({
        ContentRange: expect.stringMatching(/^bytes \d+-\d+\/\d+$/),
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: KEY_ARN,
        ObjectLockMode: 'COMPLIANCE',
        ObjectLockRetainUntilDate: expect.any(Date),
        LastModified: expect.any(Date),
      });
      // Probe, then the read itself, past the SDK's pipeline.
      expect(leanSent).toEqual({ lean: 1, sdk: 0 });
    },
  );

  it.each([
    ['an empty object, suffix range', 'certctl-lean', 'db/empty.dump', 'bytes=-64'],
    ['an object shorter than the suffix range', 'certctl-lean', 'db/short.dump', 'bytes=-64'],
    ['an object read whole', 'certctl-lean', 'db/short.dump', undefined],
    ['a range starting past the end (416 InvalidRange)', 'certctl-lean', 'db/empty.dump', 'bytes=0-1023'],
    ['a missing key (404 NoSuchKey)', 'certctl-lean', 'db/none-such.dump', 'bytes=0-1023'],
    ['a denied read (403 AccessDenied)', 'certctl-lean-denied', 'db/x.dump', 'bytes=0-1023'],
    [
      'a bucket of another account (403 under the owner condition)',
      'certctl-lean',
      'db/short.dump',
      'bytes=0-1',
    ],
  ])('answers or rejects as the SDK does, in one request, on %s', async (label, bucket, key, range) => {
    // Prepare: the owner condition names another account for the last case.
    const leanFactory = new CountingFactory(false);
    const sdkFactory = new CountingFactory(true);
    const owner = label.includes('another account') ? '999999999999' : ACCOUNT;
    const input = {
      Bucket: bucket,
      Key: key,
      ExpectedBucketOwner: owner,
      ...(range ? { Range: range } : {}),
    };
    try {
      // Act
      const lean = await settle(getObjectRead(leanFactory.client(S3Client, 'eu-west-1'), input));
      const sdk = await settle(getObjectRead(sdkFactory.client(S3Client, 'eu-west-1'), input, false));

      // Assess
      expectSame(lean, sdk);
      expect(leanFactory.sent.lean + leanFactory.sent.sdk).toBe(sdkFactory.sent.sdk);
      expect(leanFactory.sent.lean).toBe(1);
    } finally {
      leanFactory.destroy();
      sdkFactory.destroy();
    }
  });

  it('is redirected as through the SDK, x-amz-bucket-region and all, when the bucket is in another region', async () => {
    // Act
    const { lean, sdk } = await getBothWays('certctl-lean-moved', 'db/x.dump', 'bytes=0-1023');

    // Assess
    expectSame(lean, sdk);
    expect(errorOf((lean as { error: unknown }).error)).toMatchObject({
      status: 301,
      bucketRegion: 'us-east-2',
    });
  });
});

/** Every page of a listing both ways. */
async function listBothWays(input: { Bucket: string; Prefix?: string; MaxKeys?: number }, owner = ACCOUNT) {
  const leanFactory = new CountingFactory(false);
  const sdkFactory = new CountingFactory(true);
  const pages: { lean: Settled<unknown>; sdk: Settled<unknown> }[] = [];
  try {
    const leanClient = leanFactory.client(S3Client, 'eu-west-1');
    const sdkClient = sdkFactory.client(S3Client, 'eu-west-1');
    let token: string | undefined;
    do {
      const page = { ...input, ExpectedBucketOwner: owner, ContinuationToken: token };
      const lean = await settle(listObjectsPage(leanClient, page));
      const sdk = await settle(sdkClient.send(new ListObjectsV2Command(page)));
      pages.push({ lean, sdk });
      token =
        'output' in lean
          ? (lean.output as { NextContinuationToken?: string }).NextContinuationToken
          : undefined;
    } while (token);
    return { pages, leanSent: leanFactory.sent };
  } finally {
    leanFactory.destroy();
    sdkFactory.destroy();
  }
}

describe('ListObjectsV2 on the lean path', () => {
  it('reads every page of a truncated listing as the SDK does, following the continuation tokens', async () => {
    // Act
    const { pages, leanSent } = await listBothWays({ Bucket: 'certctl-lean', Prefix: 'prod/', MaxKeys: 10 });

    // Assess
    expect(pages).toHaveLength(3);
    for (const { lean, sdk } of pages) {
      if (!('output' in lean) || !('output' in sdk)) throw new Error('a page failed');
      expect(project(lean.output, LIST_OBJECTS_V2)).toEqual(project(sdk.output, LIST_OBJECTS_V2));
    }
    expect(leanSent).toEqual({ lean: 3, sdk: 0 });
  });

  it.each([
    ['an empty listing', { Bucket: 'certctl-lean', Prefix: 'nothing-here/' }],
    ['a prefix that needs encoding', { Bucket: 'certctl-lean', Prefix: 'db/a b+c%' }],
    ['the whole bucket', { Bucket: 'certctl-lean' }],
  ])('reads %s as the SDK does', async (_label, input) => {
    // Act
    const { pages, leanSent } = await listBothWays(input);

    // Assess
    const [{ lean, sdk }] = pages as [(typeof pages)[number]];
    if (!('output' in lean) || !('output' in sdk)) throw new Error('the listing failed');
    expect(project(lean.output, LIST_OBJECTS_V2)).toEqual(project(sdk.output, LIST_OBJECTS_V2));
    expect(leanSent.lean).toBe(1);
  });

  it.each([
    ['a denied listing (403)', 'certctl-lean-denied', ACCOUNT],
    ['a bucket in another region (301)', 'certctl-lean-moved', ACCOUNT],
    ['a bucket of another account (403 under the owner condition)', 'certctl-lean', '999999999999'],
    ['a bucket that does not exist (404)', 'certctl-lean-none-such', ACCOUNT],
  ])('rejects as the SDK does on %s', async (_label, bucket, owner) => {
    // Act
    const { pages } = await listBothWays({ Bucket: bucket }, owner);

    // Assess
    const [{ lean, sdk }] = pages as [(typeof pages)[number]];
    expect('error' in sdk).toBe(true);
    expectSame(lean, sdk);
  });
});

/** A request handler that records requests and answers with `answer`. */
function recordingHandler(answer: { status: number; headers?: Record<string, string>; body: string }) {
  const requests: {
    method: string;
    hostname: string;
    port?: number;
    path: string;
    query: Record<string, string>;
    headers: Record<string, string>;
  }[] = [];
  return {
    requests,
    handle: async (request: (typeof requests)[number]) => {
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

/** The SDK's own bookkeeping and telemetry headers, which the lean request does not carry. */
const SDK_ONLY = [
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'user-agent',
  'x-amz-user-agent',
  'authorization',
  'x-amz-date',
];

function withoutSdkOnly(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !SDK_ONLY.includes(name)));
}

describe('the lean S3 request', () => {
  it.each([
    ['path-style', 'http://127.0.0.1:9', false],
    ['virtual-hosted', 'http://localhost:9', false],
    ['path-style by choice', 'http://localhost:9', true],
    ['AWS', undefined, false],
  ])(
    'is the SDK’s request, headers and signed header list but the SDK’s own, for every odd key (%s)',
    async (_label, endpoint, forcePathStyle) => {
      // Prepare
      const handler = recordingHandler({ status: 200, body: 'PGDMP' });
      const client = new S3Client({
        region: 'eu-west-1',
        credentials: simCredentials(ACCOUNT),
        ...(endpoint ? { endpoint } : {}),
        forcePathStyle,
        requestHandler: handler,
      });

      // Act: every key both ways, the first lean read after the bucket's probe.
      for (const key of ODD_KEYS) {
        const input = { Bucket: 'certctl-lean', Key: key, Range: 'bytes=-64', ExpectedBucketOwner: ACCOUNT };
        await getObjectRead(client, input);
        await client.send(new GetObjectCommand(input));
      }

      // Assess
      for (let i = 0; i < handler.requests.length; i += 2) {
        const lean = handler.requests[i];
        const sdk = handler.requests[i + 1];
        expect(lean?.headers['amz-sdk-invocation-id']).toBeUndefined();
        expect({ ...lean, headers: withoutSdkOnly(lean?.headers ?? {}) }).toEqual({
          ...sdk,
          headers: withoutSdkOnly(sdk?.headers ?? {}),
        });
        const signed = (request: typeof lean) =>
          /SignedHeaders=([^,]+)/
            .exec(request?.headers.authorization ?? '')?.[1]
            ?.split(';')
            .filter((name) => !SDK_ONLY.includes(name));
        expect(signed(lean)).toEqual(signed(sdk));
        expect(lean?.headers.authorization).toMatch(
          /\/eu-west-1\/s3\/aws4_request, SignedHeaders=host;range;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date;x-amz-expected-bucket-owner, /,
        );
      }
      expect(handler.requests).toHaveLength(2 * ODD_KEYS.length);
      client.destroy();
    },
  );

  it('leaves a read the lean path does not write (a version) to the SDK, and the client’s input untouched', async () => {
    // Prepare
    const handler = recordingHandler({ status: 200, body: 'PGDMP' });
    const client = new S3Client({
      region: 'eu-west-1',
      credentials: simCredentials(ACCOUNT),
      requestHandler: handler,
    });
    const input = { Bucket: 'certctl-lean', Key: 'db/x.dump', Range: 'bytes=0-1' };

    // Act
    await getObjectRead(client, input);
    await getObjectRead(client, { ...input, VersionId: 'v1' } as typeof input);

    // Assess
    expect(input).toEqual({ Bucket: 'certctl-lean', Key: 'db/x.dump', Range: 'bytes=0-1' });
    expect(handler.requests.map((request) => request.headers['amz-sdk-invocation-id'] === undefined)).toEqual(
      [true, false],
    );
    expect(handler.requests[1]?.query).toMatchObject({ versionId: 'v1' });
    client.destroy();
  });

  it.each([
    [
      'a header',
      (request: { headers: Record<string, string> }) => {
        request.headers['x-amz-request-payer'] = 'requester';
      },
    ],
    [
      'a query parameter',
      (request: { query: Record<string, string> }) => {
        request.query['x-backup-guard-test'] = '1';
      },
    ],
  ] as const)(
    'leaves the bucket’s reads to the SDK when the client adds %s the lean path would not send',
    async (_label, change) => {
      // Prepare: a client middleware that changes the request at the build step (as a plugin might)
      const handler = recordingHandler({ status: 200, body: 'PGDMP' });
      const client = new S3Client({
        region: 'eu-west-1',
        credentials: simCredentials(ACCOUNT),
        requestHandler: handler,
      });
      client.middlewareStack.add(
        (next) => async (args) => {
          change(args.request as { headers: Record<string, string>; query: Record<string, string> });
          return next(args);
        },
        { step: 'build', name: 'changeRequest' },
      );

      // Act
      const read = await getObjectRead(client, {
        Bucket: 'certctl-lean',
        Key: 'db/x.dump',
        Range: 'bytes=0-1',
      });

      // Assess: one request, the SDK's, with the change
      expect(Buffer.from(read.bytes).toString()).toBe('PGDMP');
      expect(handler.requests).toHaveLength(1);
      expect(handler.requests[0]?.headers['amz-sdk-invocation-id']).toBeDefined();
      const sent = handler.requests[0];
      expect(sent?.headers['x-amz-request-payer'] ?? sent?.query['x-backup-guard-test']).toBeDefined();
      client.destroy();
    },
  );

  it('hands an answer with a checksum to the SDK, which validates the body against it', async () => {
    // Prepare: a CRC32 that does not match the body
    const handler = recordingHandler({
      status: 200,
      headers: { 'x-amz-checksum-crc32': 'AAAAAA==' },
      body: 'PGDMP',
    });
    const client = new S3Client({
      region: 'eu-west-1',
      credentials: simCredentials(ACCOUNT),
      requestHandler: handler,
    });

    // Act
    const read = await settle(getObjectRead(client, { Bucket: 'certctl-lean', Key: 'db/x.dump' }));

    // Assess
    expect('error' in read && String((read.error as Error).message)).toMatch(/Checksum mismatch/);
    expect(handler.requests).toHaveLength(1);
    client.destroy();
  });
});

describe('the dumps audit on the lean path', () => {
  it('builds the same facts as through the SDK, its listings and ranged reads past the SDK pipeline', async () => {
    // Prepare
    const read = async (sdkOnly: boolean) => {
      const factory = new CountingFactory(sdkOnly);
      try {
        const facts = [];
        for (const [bucket, prefix] of [
          ['certctl-lean', 'prod/'],
          ['certctl-lean', 'db/'],
          ['certctl-lean-moved', 'db/'],
          ['certctl-lean-denied', 'db/'],
        ] as const) {
          facts.push(
            await readS3DumpFact({
              clientFor: (region) => factory.client(S3Client, region),
              location: { bucket, prefix, account: ACCOUNT, region: 'eu-west-1' },
              maxObjectsListed: 1000,
              leanDecoding: !sdkOnly,
            }),
          );
        }
        return { facts, sent: factory.sent };
      } finally {
        factory.destroy();
      }
    };

    // Act
    const sdk = await read(true);
    const lean = await read(false);

    // Assess
    expect(lean.facts).toEqual(sdk.facts);
    expect(lean.facts[0]?.newest?.header.state).toBe('read');
    expect(lean.facts[2]?.resource.region).toBe('us-east-2');
    // The listings and the header and tail reads of the readable prefixes went out lean.
    expect(lean.sent.lean).toBeGreaterThanOrEqual(3 * 3);
    expect(lean.sent.lean + lean.sent.sdk).toBe(sdk.sent.sdk);
  });
});
