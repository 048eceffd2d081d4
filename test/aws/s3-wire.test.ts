/**
 * Lean decoding of S3 ListObjectsV2 (functions/aws/s3-wire.ts, on the lean request path) against
 * the SDK's own decoding, over the simulator's REST-XML answers with the real S3 client: the same
 * members, the same facts, the SDK's errors untouched, and a clear error for a body that is not a
 * listing.
 */

import { Readable } from 'node:stream';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { readS3DumpFact } from '../../functions/aws/s3-dumps.ts';
import {
  decodeListObjectsV2,
  decodeS3XmlAnswer,
  LIST_OBJECTS_V2,
  listObjectsPage,
} from '../../functions/aws/s3-wire.ts';
import { XmlWireError } from '../../functions/aws/xml-wire.ts';
import { simCredentials } from '../sim/accounts.ts';
import { DUMP_FIXTURE, NOW } from '../sim/s3-support.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { project } from './wire-support.ts';

const ACCOUNT = '111111111111';
let sim: Sim;
let factory: AwsClientFactory;
let client: S3Client;

beforeAll(async () => {
  sim = await startSim({
    clock: () => NOW,
    scenario: {
      services: {
        s3: {
          buckets: [
            {
              name: 'certctl-dumps',
              region: 'eu-west-1',
              series: [
                // Keys with characters XML must escape, to prove the entity decoding.
                { keyPrefix: 'prod/certctl-&<"\'>-', count: 250, newest: '-3h', fixture: DUMP_FIXTURE },
              ],
            },
            // Object Lock on, every dump under a legal hold: GetObject answers x-amz-object-lock-legal-hold.
            {
              name: 'certctl-dumps-held',
              region: 'eu-west-1',
              objectLock: { defaultRetention: { mode: 'COMPLIANCE', days: 35 } },
              legalHold: 'ON',
              series: [{ keyPrefix: 'prod/certctl-', count: 3, newest: '-3h', fixture: DUMP_FIXTURE }],
            },
          ],
        },
      },
    },
  });
  factory = new AwsClientFactory({
    maxAttempts: 1,
    credentials: simCredentials(ACCOUNT),
    endpoint: sim.endpoint,
  });
  client = factory.client(S3Client, 'eu-west-1');
});

afterAll(async () => {
  factory.destroy();
  await sim.close();
});

/** One ListObjectsV2 call both ways: the SDK's output and the lean one, or the error each threw. */
async function bothWays(input: ConstructorParameters<typeof ListObjectsV2Command>[0]) {
  const settle = (promise: Promise<unknown>) =>
    promise.then(
      (output) => ({ output: output as Record<string, unknown> }),
      (error: unknown) => ({ error: error as Error }),
    );
  const sdk = await settle(client.send(new ListObjectsV2Command(input)));
  return [
    sdk,
    await settle(listObjectsPage(client, input as Parameters<typeof listObjectsPage>[1])),
  ] as const;
}

describe('lean S3 ListObjectsV2 decoding', () => {
  it('decodes every page as the SDK does when a series spans several pages', async () => {
    let token: string | undefined;
    let pages = 0;
    do {
      // Act
      const [sdk, lean] = await bothWays({
        Bucket: 'certctl-dumps',
        Prefix: 'prod/',
        MaxKeys: 100,
        ContinuationToken: token,
      });
      // Assess
      if (!('output' in sdk) || !('output' in lean)) throw new Error('a page failed');
      const { $metadata: _sdkMeta, ...sdkRest } = sdk.output;
      const { $metadata: _leanMeta, ...leanRest } = lean.output;
      expect(project(leanRest, LIST_OBJECTS_V2)).toEqual(project(sdkRest, LIST_OBJECTS_V2));
      expect((leanRest.Contents as unknown[]).length).toBeGreaterThan(0);
      token = leanRest.NextContinuationToken as string | undefined;
      pages += 1;
    } while (token);
    expect(pages).toBe(3);
  });

  it('answers an empty prefix with no Contents, as the SDK does', async () => {
    // Act
    const [sdk, lean] = await bothWays({ Bucket: 'certctl-dumps', Prefix: 'nothing-here/' });
    // Assess
    if (!('output' in sdk) || !('output' in lean)) throw new Error('the listing failed');
    expect(lean.output.Contents).toEqual(sdk.output.Contents);
    expect(lean.output.IsTruncated).toBe(false);
  });

  it("throws the SDK's own error when the bucket does not exist", async () => {
    // Act
    const [sdk, lean] = await bothWays({ Bucket: 'no-such-bucket-here' });
    // Assess
    if (!('error' in sdk) || !('error' in lean)) throw new Error('expected both to fail');
    expect(lean.error.name).toBe(sdk.error.name);
    expect(lean.error.message).toBe(sdk.error.message);
  });

  it('builds the same dump fact both ways', async () => {
    // Prepare
    const location = { bucket: 'certctl-dumps', prefix: 'prod/', account: ACCOUNT, region: 'eu-west-1' };
    const read = (leanDecoding: boolean) =>
      readS3DumpFact({
        clientFor: (region) => factory.client(S3Client, region),
        location,
        maxObjectsListed: 1000,
        leanDecoding,
      });
    // Act
    const [full, lean] = [await read(false), await read(true)];
    // Assess
    expect(lean.listing.state === 'read' ? lean.listing.objects.length : 0).toBe(250);
    expect(lean).toEqual(full);
  });

  it("reads the newest dump's legal hold the same both ways", async () => {
    // Prepare
    const location = { bucket: 'certctl-dumps-held', prefix: 'prod/', account: ACCOUNT, region: 'eu-west-1' };
    const read = (leanDecoding: boolean) =>
      readS3DumpFact({
        clientFor: (region) => factory.client(S3Client, region),
        location,
        maxObjectsListed: 1000,
        leanDecoding,
      });
    // Act
    const [full, lean] = [await read(false), await read(true)];
    // Assess: before, neither path read x-amz-object-lock-legal-hold.
    expect(lean.newest?.holds).toEqual({ legal: true });
    expect(lean).toEqual(full);
  });

  it('refuses a body that is not a listing, naming what it expected', () => {
    // Act / Assess
    expect(() => decodeListObjectsV2('<html><body>proxy error</body></html>')).toThrow(XmlWireError);
    expect(() => decodeListObjectsV2('<html></html>')).toThrow(/ListBucketResult/);
  });

  it.each([
    '2026-12-01T10:00:00.000Z',
    '2026-12-01T12:00:00.250+02:00',
    '2026-12-01T10:00:00.000',
    '2026-12-01T10:00:00',
    '2026-12-01',
  ])('reads LastModified %s as the SDK does: the same instant, or refused by both', async (stamp) => {
    // Arrange: a page the simulator does not write (it always sends `Z`), answered by a stub handler
    // to the real S3 client. An offset-less date-time read with `new Date` would be local time.
    const body = `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>certctl-dumps</Name><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>prod/certctl-1</Key><LastModified>${stamp}</LastModified><Size>3</Size></Contents></ListBucketResult>`;
    const stub = new S3Client({
      region: 'eu-west-1',
      credentials: simCredentials(ACCOUNT),
      maxAttempts: 1,
      requestHandler: {
        handle: async () => ({
          response: { statusCode: 200, headers: {}, body: Readable.from([Buffer.from(body)]) },
        }),
      } as never,
    });
    const settle = (answer: Promise<{ Contents?: readonly { LastModified?: Date }[] }>) =>
      answer.then(
        (output) => output.Contents?.[0]?.LastModified?.toISOString(),
        () => 'refused',
      );

    // Act: the lean read decodes a stamp it accepts, and hands one it does not to the SDK.
    const [sdkRead, leanRead] = [
      await settle(stub.send(new ListObjectsV2Command({ Bucket: 'certctl-dumps' }))),
      await settle(listObjectsPage(stub, { Bucket: 'certctl-dumps' })),
    ];

    // Assess
    expect(leanRead).toBe(sdkRead);
    stub.destroy();
  });
});

describe('a 200 answer whose body is an S3 error', () => {
  it.each([
    ['an error', '<Error><Code>InternalError</Code></Error>', false],
    ['an error and ASCII white space', '<Error><Code>InternalError</Code></Error>\r\n\t\v\f ', false],
    ['an error and no-break spaces', '<Error><Code>InternalError</Code></Error>\u00a0\u3000\ufeff\n', false],
    [
      'an error and a character that is no white space',
      '<Error><Code>InternalError</Code></Error>\u200b',
      true,
    ],
    ['an error and text', '<Error><Code>InternalError</Code></Error>é', true],
    ['a listing', '<ListBucketResult><KeyCount>0</KeyCount></ListBucketResult>\n', true],
    ['less than an end tag', 'Error>', true],
  ])(
    'decodes a body of %s only when it does not end in </Error>, white space trimmed as text is',
    async (_, body, decoded) => {
      // Arrange
      const read: string[] = [];
      const response = { statusCode: 200, headers: {}, body: Buffer.from(body, 'utf8') };

      // Act
      const answer = await decodeS3XmlAnswer(
        response,
        (bytes) => Promise.resolve(bytes as Uint8Array),
        (xml) => {
          read.push(Buffer.from(xml).toString('utf8'));
          return 'decoded';
        },
      );

      // Assess: an error body is left to the SDK, which reads it as the error it is.
      expect(read).toEqual(decoded ? [body] : []);
      expect(answer).toEqual(decoded ? { output: 'decoded' } : undefined);
    },
  );
});
