/** The S3 simulator driven by the real @aws-sdk/client-s3, path-style and virtual-hosted-style. */
import { readFileSync } from 'node:fs';
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePgDumpHeader } from '../../functions/core/pg-dump-header.ts';
import { ScenarioError } from './errors.ts';
import { DUMP_FIXTURE, NOW, type S3Addressing, simS3Client } from './s3-support.ts';
import { parseScenario } from './scenario.ts';
import { type Sim, startSim } from './server.ts';

let sim: Sim;

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
              versioning: 'Enabled',
              objectLock: { defaultRetention: { mode: 'COMPLIANCE', days: 35 } },
              lifecycle: [{ id: 'expire', prefix: 'prod/', expirationDays: 35, noncurrentDays: 35 }],
              publicAccessBlock: {
                blockPublicAcls: true,
                ignorePublicAcls: true,
                blockPublicPolicy: true,
                restrictPublicBuckets: true,
              },
              encryption: { algorithm: 'aws:kms', kmsKeyId: 'arn:aws:kms:eu-west-1:111111111111:key/k-1' },
              objects: [
                { key: 'readme.txt', body: 'not a dump', lastModified: '-2d' },
                { key: 'empty.dump', body: '', lastModified: '-1d' },
              ],
              series: [
                {
                  keyPrefix: 'prod/certctl-',
                  count: 5,
                  newest: '-8h',
                  fixture: DUMP_FIXTURE,
                  truncated: [0],
                },
              ],
            },
            {
              // Keys whose UTF-8 byte order (S3's) differs from their UTF-16 code unit order.
              name: 'certctl-unicode',
              region: 'eu-west-1',
              objects: [
                { key: 'prod/a.dump', body: 'PGDMP', lastModified: '-3d' },
                { key: 'prod/\u{1F600}.dump', body: 'PGDMP', lastModified: '-2d' },
              ],
            },
            { name: 'certctl-bare', region: 'us-east-1', encryption: 'none' },
            { name: 'certctl-denied', region: 'eu-west-1', denied: ['GetBucketVersioning'] },
            {
              name: 'certctl-archived',
              region: 'eu-west-1',
              objectLock: { defaultRetention: { mode: 'GOVERNANCE', days: 30 } },
              encryption: { algorithm: 'aws:kms', kmsKeyId: 'arn:aws:kms:eu-west-1:111111111111:key/k-1' },
              storageClass: 'DEEP_ARCHIVE',
              objects: [{ key: 'prod/certctl-0.dump', body: 'PGDMP', lastModified: '-1d' }],
            },
            {
              name: 'certctl-tiered',
              region: 'eu-west-1',
              storageClass: 'INTELLIGENT_TIERING',
              accessTier: 'DEEP_ARCHIVE_ACCESS',
              objects: [{ key: 'prod/certctl-0.dump', body: 'PGDMP', lastModified: '-1d' }],
            },
            {
              name: 'certctl-no-read',
              region: 'eu-west-1',
              denied: ['GetObject'],
              objects: [{ key: 'prod/certctl-0.dump', body: 'PGDMP', lastModified: '-1d' }],
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

/** The error a call fails with: its name, HTTP status and the bucket region header. */
async function errorOf(
  call: () => Promise<unknown>,
): Promise<{ name: string; status?: number; region?: string }> {
  try {
    await call();
  } catch (error) {
    const sdkError = error as {
      name: string;
      $metadata?: { httpStatusCode?: number };
      $response?: { headers?: Record<string, string> };
    };
    return {
      name: sdkError.name,
      status: sdkError.$metadata?.httpStatusCode,
      region: sdkError.$response?.headers?.['x-amz-bucket-region'],
    };
  }
  throw new Error('expected the call to fail');
}

describe.each<S3Addressing>(['path', 'virtual-host'])('S3 simulator, %s-style', (addressing) => {
  it('lists the prefix in key order with sizes and second-precision times when asked for prod/', async () => {
    // Act
    const answer = await simS3Client(sim, 'eu-west-1', addressing).send(
      new ListObjectsV2Command({ Bucket: 'certctl-dumps', Prefix: 'prod/' }),
    );
    // Assess
    expect(answer.KeyCount).toBe(5);
    expect(answer.IsTruncated).toBe(false);
    expect(answer.Contents?.map((object) => object.Key)).toEqual([
      'prod/certctl-0.dump',
      'prod/certctl-1.dump',
      'prod/certctl-2.dump',
      'prod/certctl-3.dump',
      'prod/certctl-4.dump',
    ]);
    expect(answer.Contents?.[4]).toMatchObject({
      Size: 1024,
      LastModified: new Date('2026-12-02T04:00:00.000Z'),
    });
    expect(answer.Contents?.[3]).toMatchObject({
      Size: 6451,
      LastModified: new Date('2026-12-01T04:00:00.000Z'),
    });
  });

  it('returns the first 4 KiB with 206 and Content-Range when GetObject asks for a range', async () => {
    // Act
    const answer = await simS3Client(sim, 'eu-west-1', addressing).send(
      new GetObjectCommand({ Bucket: 'certctl-dumps', Key: 'prod/certctl-3.dump', Range: 'bytes=0-4095' }),
    );
    const bytes = await answer.Body?.transformToByteArray();
    // Assess
    expect(answer.$metadata.httpStatusCode).toBe(206);
    expect(answer.ContentRange).toBe('bytes 0-4095/6451');
    expect(bytes?.length).toBe(4096);
    expect(parsePgDumpHeader(bytes ?? new Uint8Array()).kind).toBe('header');
    expect(answer.ServerSideEncryption).toBe('aws:kms');
    expect(answer.ObjectLockMode).toBe('COMPLIANCE');
  });
});

describe('S3 simulator', () => {
  it("lists a series' times against the clock of each request when the clock moves between listings", async () => {
    // Prepare: the newest dump was written 8 h before the simulator's now, whatever now is.
    let now = NOW;
    const moving = await startSim({
      clock: () => now,
      scenario: {
        services: {
          s3: {
            buckets: [
              {
                name: 'certctl-moving',
                region: 'eu-west-1',
                series: [{ keyPrefix: 'prod/certctl-', count: 2, newest: '-8h', fixture: DUMP_FIXTURE }],
              },
            ],
          },
        },
      },
    });
    const list = async () =>
      (
        await simS3Client(moving, 'eu-west-1').send(
          new ListObjectsV2Command({ Bucket: 'certctl-moving', Prefix: 'prod/' }),
        )
      ).Contents?.map((object) => object.LastModified?.toISOString());
    try {
      // Act
      const before = await list();
      now = new Date(NOW.getTime() + 90_500);
      const after = await list();
      // Assess
      expect(before).toEqual(['2026-12-01T04:00:00.000Z', '2026-12-02T04:00:00.000Z']);
      expect(after).toEqual(['2026-12-01T04:01:30.000Z', '2026-12-02T04:01:30.000Z']);
    } finally {
      await moving.close();
    }
  });

  it('pages with continuation tokens when MaxKeys is 2', async () => {
    // Prepare
    const client = simS3Client(sim, 'eu-west-1');
    const keys: string[] = [];
    let token: string | undefined;
    let pages = 0;
    // Act
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: 'certctl-dumps',
          Prefix: 'prod/',
          MaxKeys: 2,
          ContinuationToken: token,
        }),
      );
      keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
      token = page.NextContinuationToken;
      pages += 1;
    } while (token);
    // Assess
    expect(pages).toBe(3);
    expect(keys).toHaveLength(5);
    expect(new Set(keys).size).toBe(5);
  });

  it('lists and pages keys in UTF-8 byte order, as S3 does, when keys hold characters beyond the BMP', async () => {
    // Prepare: U+FF21 (UTF-8 EF BC A1) sorts before U+1F600 (F0 9F 98 80) in bytes, after it in
    // UTF-16 code units (FF21 > D83D): one key seeded, two written, so both orderings are exercised.
    const client = simS3Client(sim, 'eu-west-1');
    for (const key of ['prod/\u{FF21}.dump', 'prod/\u{E9}.dump']) {
      await client.send(new PutObjectCommand({ Bucket: 'certctl-unicode', Key: key, Body: 'PGDMP' }));
    }
    const keys: string[] = [];
    let token: string | undefined;
    // Act: one key a page, so each page starts after the last key of the one before.
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: 'certctl-unicode',
          Prefix: 'prod/',
          MaxKeys: 1,
          ContinuationToken: token,
        }),
      );
      keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
      token = page.NextContinuationToken;
    } while (token);
    // Assess: before, U+1F600 came before U+FF21.
    expect(keys).toEqual(['prod/a.dump', 'prod/\u{E9}.dump', 'prod/\u{FF21}.dump', 'prod/\u{1F600}.dump']);
  });

  it('answers HeadObject with size, SSE and the Object Lock retain-until date', async () => {
    const answer = await simS3Client(sim, 'eu-west-1').send(
      new HeadObjectCommand({ Bucket: 'certctl-dumps', Key: 'prod/certctl-3.dump' }),
    );
    expect(answer.ContentLength).toBe(6451);
    expect(answer.SSEKMSKeyId).toBe('arn:aws:kms:eu-west-1:111111111111:key/k-1');
    expect(answer.ObjectLockRetainUntilDate).toEqual(new Date('2027-01-05T04:00:00.000Z'));
  });

  it('answers HeadObject of an archived object with its storage class, SSE and Object Lock, while GetObject is refused', async () => {
    // Prepare
    const client = simS3Client(sim, 'eu-west-1');
    const object = { Bucket: 'certctl-archived', Key: 'prod/certctl-0.dump' };
    // Act
    const answer = await client.send(new HeadObjectCommand(object));
    const refused = await errorOf(() => client.send(new GetObjectCommand({ ...object, Range: 'bytes=0-9' })));
    // Assess: S3 names a class other than STANDARD in `x-amz-storage-class` (API_HeadObject).
    expect(answer.StorageClass).toBe('DEEP_ARCHIVE');
    expect(answer.ServerSideEncryption).toBe('aws:kms');
    expect(answer.SSEKMSKeyId).toBe('arn:aws:kms:eu-west-1:111111111111:key/k-1');
    expect(answer.ObjectLockMode).toBe('GOVERNANCE');
    expect(answer.ObjectLockRetainUntilDate).toEqual(new Date('2026-12-31T12:00:00.000Z'));
    expect(refused).toMatchObject({ name: 'InvalidObjectState', status: 403 });
  });

  it('refuses GetObject of an Intelligent-Tiering object in an archive access tier, naming class and tier, and HeadObject says its archive status', async () => {
    const client = simS3Client(sim, 'eu-west-1');
    const object = { Bucket: 'certctl-tiered', Key: 'prod/certctl-0.dump' };
    const answer = await client.send(new HeadObjectCommand(object));
    let refused: unknown;
    await client.send(new GetObjectCommand({ ...object, Range: 'bytes=0-9' })).catch((error: unknown) => {
      refused = error;
    });
    expect(answer.StorageClass).toBe('INTELLIGENT_TIERING');
    expect(answer.ArchiveStatus).toBe('DEEP_ARCHIVE_ACCESS');
    expect(answer.ServerSideEncryption).toBe('AES256');
    expect(refused).toMatchObject({
      name: 'InvalidObjectState',
      StorageClass: 'INTELLIGENT_TIERING',
      AccessTier: 'DEEP_ARCHIVE_ACCESS',
    });
  });

  it('refuses HeadObject where GetObject is denied: both are the one IAM action s3:GetObject', async () => {
    const refused = await errorOf(() =>
      simS3Client(sim, 'eu-west-1').send(
        new HeadObjectCommand({ Bucket: 'certctl-no-read', Key: 'prod/certctl-0.dump' }),
      ),
    );
    expect(refused.status).toBe(403);
  });

  it('answers the bucket configuration calls as the SDK parses them when everything is set', async () => {
    // Prepare
    const client = simS3Client(sim, 'eu-west-1');
    // Act
    const [versioning, lock, lifecycle, block, encryption, location] = await Promise.all([
      client.send(new GetBucketVersioningCommand({ Bucket: 'certctl-dumps' })),
      client.send(new GetObjectLockConfigurationCommand({ Bucket: 'certctl-dumps' })),
      client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'certctl-dumps' })),
      client.send(new GetPublicAccessBlockCommand({ Bucket: 'certctl-dumps' })),
      client.send(new GetBucketEncryptionCommand({ Bucket: 'certctl-dumps' })),
      client.send(new GetBucketLocationCommand({ Bucket: 'certctl-dumps' })),
    ]);
    // Assess
    expect(versioning.Status).toBe('Enabled');
    expect(lock.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 35 } },
    });
    expect(lifecycle.Rules?.[0]).toMatchObject({
      ID: 'expire',
      Filter: { Prefix: 'prod/' },
      Status: 'Enabled',
      Expiration: { Days: 35 },
      NoncurrentVersionExpiration: { NoncurrentDays: 35 },
    });
    expect(block.PublicAccessBlockConfiguration?.RestrictPublicBuckets).toBe(true);
    expect(
      encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault,
    ).toEqual({
      SSEAlgorithm: 'aws:kms',
      KMSMasterKeyID: 'arn:aws:kms:eu-west-1:111111111111:key/k-1',
    });
    expect(location.LocationConstraint).toBe('eu-west-1');
  });

  it('answers each "not configured" error code when the bucket has none of the settings', async () => {
    // Prepare
    const client = simS3Client(sim, 'us-east-1');
    // Act
    const versioning = await client.send(new GetBucketVersioningCommand({ Bucket: 'certctl-bare' }));
    const errors = await Promise.all([
      errorOf(() => client.send(new GetObjectLockConfigurationCommand({ Bucket: 'certctl-bare' }))),
      errorOf(() => client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'certctl-bare' }))),
      errorOf(() => client.send(new GetPublicAccessBlockCommand({ Bucket: 'certctl-bare' }))),
      errorOf(() => client.send(new GetBucketEncryptionCommand({ Bucket: 'certctl-bare' }))),
    ]);
    // Assess
    expect(versioning.Status).toBeUndefined();
    expect(errors.map((error) => error.name)).toEqual([
      'ObjectLockConfigurationNotFoundError',
      'NoSuchLifecycleConfiguration',
      'NoSuchPublicAccessBlockConfiguration',
      'ServerSideEncryptionConfigurationNotFoundError',
    ]);
    expect(errors.every((error) => error.status === 404)).toBe(true);
  });

  it('answers NoSuchBucket when the bucket does not exist', async () => {
    const error = await errorOf(() =>
      simS3Client(sim, 'eu-west-1').send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })),
    );
    expect(error).toMatchObject({ name: 'NoSuchBucket', status: 404 });
  });

  it('answers AccessDenied when the scenario denies the operation', async () => {
    const error = await errorOf(() =>
      simS3Client(sim, 'eu-west-1').send(new GetBucketVersioningCommand({ Bucket: 'certctl-denied' })),
    );
    expect(error).toMatchObject({ name: 'AccessDenied', status: 403 });
  });

  it('answers AccessDenied when another account asks', async () => {
    const client = simS3Client(sim, 'eu-west-1', 'path', '222222222222');
    const error = await errorOf(() => client.send(new ListObjectsV2Command({ Bucket: 'certctl-dumps' })));
    expect(error).toMatchObject({ name: 'AccessDenied', status: 403 });
  });

  it('answers PermanentRedirect with the bucket region when signed for another region', async () => {
    const error = await errorOf(() =>
      simS3Client(sim, 'us-west-2').send(new ListObjectsV2Command({ Bucket: 'certctl-dumps' })),
    );
    expect(error).toEqual({ name: 'PermanentRedirect', status: 301, region: 'eu-west-1' });
  });

  it('answers the last bytes with 206 and Content-Range when GetObject asks for a suffix range', async () => {
    // Act
    const answer = await simS3Client(sim, 'eu-west-1').send(
      new GetObjectCommand({ Bucket: 'certctl-dumps', Key: 'prod/certctl-3.dump', Range: 'bytes=-64' }),
    );
    const bytes = await answer.Body?.transformToByteArray();
    // Assess
    expect(answer.$metadata.httpStatusCode).toBe(206);
    expect(answer.ContentRange).toBe('bytes 6387-6450/6451');
    expect(Buffer.from(bytes ?? [])).toEqual(readFileSync(DUMP_FIXTURE).subarray(-64));
  });

  it('answers the whole object with 206 when the suffix range is longer than the object', async () => {
    const answer = await simS3Client(sim, 'eu-west-1').send(
      new GetObjectCommand({ Bucket: 'certctl-dumps', Key: 'readme.txt', Range: 'bytes=-64' }),
    );
    expect(answer.$metadata.httpStatusCode).toBe(206);
    expect(answer.ContentRange).toBe('bytes 0-9/10');
    expect(await answer.Body?.transformToString()).toBe('not a dump');
  });

  it('answers 200 with no bytes and no Content-Range, as S3 does, when a suffix range asks an empty object', async () => {
    // S3 answers a suffix range of a 0-byte object 200 with Content-Length 0
    // (https://github.com/apache/arrow-rs-object-store/issues/846), not 416.
    const answer = await simS3Client(sim, 'eu-west-1').send(
      new GetObjectCommand({ Bucket: 'certctl-dumps', Key: 'empty.dump', Range: 'bytes=-64' }),
    );
    expect(answer.$metadata.httpStatusCode).toBe(200);
    expect(answer.ContentRange).toBeUndefined();
    expect((await answer.Body?.transformToByteArray())?.length).toBe(0);
  });

  it('answers InvalidRange when a range from byte 0 asks an empty object', async () => {
    const error = await errorOf(() =>
      simS3Client(sim, 'eu-west-1').send(
        new GetObjectCommand({ Bucket: 'certctl-dumps', Key: 'empty.dump', Range: 'bytes=0-1023' }),
      ),
    );
    expect(error).toMatchObject({ name: 'InvalidRange', status: 416 });
  });

  it('answers InvalidRange when the range starts past the end', async () => {
    const client = simS3Client(sim, 'eu-west-1');
    const error = await errorOf(() =>
      client.send(
        new GetObjectCommand({ Bucket: 'certctl-dumps', Key: 'readme.txt', Range: 'bytes=100-200' }),
      ),
    );
    expect(error).toMatchObject({ name: 'InvalidRange', status: 416 });
  });

  it('rejects a series bucket without a fixture when the scenario is parsed', () => {
    expect(() =>
      parseScenario({ services: { s3: { buckets: [{ name: 'certctl-dumps', series: [{ count: 3 }] }] } } }),
    ).toThrow(ScenarioError);
  });
});
