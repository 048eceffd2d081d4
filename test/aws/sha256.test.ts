/**
 * The signing hash (functions/aws/sha256.ts) against the SDK's own Node implementation: the same
 * digests for every kind of data and key, keys remembered only while their bytes are the same, and
 * the same SigV4 signature; and every client of the factory signs with it.
 */
import { RDSClient } from '@aws-sdk/client-rds';
import { Sha256Node } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, ChecksumConstructor, SourceData } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { BUFFERED_HASH_LIMIT, HMAC_MEMO_LIMIT, KEY_CACHE_LIMIT, Sha256 } from '../../functions/aws/sha256.ts';

async function digestOf(
  Hash: ChecksumConstructor,
  secret: SourceData | undefined,
  ...chunks: (string | Uint8Array)[]
): Promise<string> {
  const hash: Checksum = new Hash(secret);
  // The SDK passes strings too (the string to sign), though `Checksum` types only bytes.
  for (const chunk of chunks) hash.update(chunk as Uint8Array);
  return Buffer.from(await hash.digest()).toString('hex');
}

const KEYS: readonly [string, () => SourceData | undefined][] = [
  ['no key', () => undefined],
  ['an empty string (a plain hash, as the SDK)', () => ''],
  ['a string', () => 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
  ['a non-ASCII string', () => 'clé secrète ✓'],
  ['bytes', () => Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])],
  ['a view into a larger buffer', () => new Uint8Array(Buffer.from('0123456789abcdef').buffer, 4, 8)],
  ['an ArrayBuffer', () => Uint8Array.from([9, 8, 7]).buffer],
  ['an empty byte array', () => new Uint8Array(0)],
];

describe('Sha256', () => {
  it.each(KEYS)('digests as the SDK does with %s', async (_label, key) => {
    for (const chunks of [[], ['abc'], ['a', Uint8Array.from([0, 255, 128]), 'é']] as const) {
      expect(await digestOf(Sha256, key(), ...chunks)).toBe(await digestOf(Sha256Node, key(), ...chunks));
    }
  });

  it('signs with the bytes a buffer holds now, not those it held when first used', async () => {
    const key = Uint8Array.from([1, 1, 1, 1]);
    const before = await digestOf(Sha256, key, 'message');
    key[0] = 2;
    const after = await digestOf(Sha256, key, 'message');
    expect(after).not.toBe(before);
    expect(after).toBe(await digestOf(Sha256Node, key, 'message'));
    key[0] = 1;
    expect(await digestOf(Sha256, key, 'message')).toBe(before);
  });

  it(`stays right past ${KEY_CACHE_LIMIT} keys of each kind`, async () => {
    const keys = Array.from({ length: 3 * KEY_CACHE_LIMIT }, (_, index) => [
      `key-${index}`,
      Buffer.from(`key-${index}`),
    ]);
    for (const pair of [...keys, ...keys])
      for (const key of pair)
        expect(await digestOf(Sha256, key, 'm')).toBe(await digestOf(Sha256Node, key, 'm'));
  });

  it('digests a plain hash more than once and refuses to extend a finished HMAC, as the SDK', async () => {
    const hash = new Sha256();
    hash.update('abc');
    const first = Buffer.from(await hash.digest()).toString('hex');
    expect(Buffer.from(await hash.digest()).toString('hex')).toBe(first);
    hash.update('def');
    expect(Buffer.from(await hash.digest()).toString('hex')).toBe(
      await digestOf(Sha256Node, undefined, 'abcdef'),
    );

    const hmac = new Sha256('k');
    hmac.update('abc');
    await hmac.digest();
    expect(() => hmac.update('more')).toThrow('Attempted to update an already finished hash.');
    hmac.reset();
    hmac.update('abc');
    expect(Buffer.from(await hmac.digest()).toString('hex')).toBe(await digestOf(Sha256Node, 'k', 'abc'));
  });

  it('hashes input of any size, given in any pieces, as the SDK', async () => {
    const big = 'x'.repeat(BUFFERED_HASH_LIMIT);
    const bytes = Uint8Array.from({ length: BUFFERED_HASH_LIMIT + 7 }, (_, index) => index % 251);
    for (const key of [undefined, '', 'k', Uint8Array.from([7])]) {
      for (const chunks of [[big], [big, 'a'], ['a', big], [bytes], ['é', bytes, 'z'], ['a'.repeat(129)]]) {
        expect(await digestOf(Sha256, key, ...chunks)).toBe(await digestOf(Sha256Node, key, ...chunks));
      }
    }
  });

  it('hashes the bytes given, not what a buffer holds when the digest is asked for', async () => {
    const data = Uint8Array.from([1, 2, 3]);
    for (const key of [undefined, 'k', Uint8Array.from([9])]) {
      const ours = new Sha256(key);
      const theirs = new Sha256Node(key);
      ours.update(data);
      theirs.update(data);
      data[0] = 9;
      expect(Buffer.from(await ours.digest()).toString('hex')).toBe(
        Buffer.from(await theirs.digest()).toString('hex'),
      );
      data[0] = 1;
    }
  });

  it('hashes the bytes of a Uint8Array whose valueOf answers otherwise (the SDK’s JSON request bodies)', async () => {
    class StringLike extends Uint8Array {
      override valueOf(): never {
        return 'not these bytes' as never;
      }
    }
    const body = new StringLike(Buffer.from('{"SecretId":"certctl/ca"}'));
    for (const key of [undefined, 'k', Uint8Array.from([9])]) {
      expect(await digestOf(Sha256, key, body)).toBe(await digestOf(Sha256Node, key, body));
    }
  });

  it('digests a large plain hash more than once and extends it after a digest, as the SDK', async () => {
    const big = 'y'.repeat(BUFFERED_HASH_LIMIT + 1);
    const hash = new Sha256();
    hash.update(big);
    const first = Buffer.from(await hash.digest()).toString('hex');
    expect(Buffer.from(await hash.digest()).toString('hex')).toBe(first);
    expect(first).toBe(await digestOf(Sha256Node, undefined, big));
    hash.update('more');
    expect(Buffer.from(await hash.digest()).toString('hex')).toBe(
      await digestOf(Sha256Node, undefined, big, 'more'),
    );
    hash.reset();
    expect(Buffer.from(await hash.digest()).toString('hex')).toBe(await digestOf(Sha256Node, undefined));
  });

  it(`gives remembered HMACs of short messages right past ${HMAC_MEMO_LIMIT} of them, in fresh bytes`, async () => {
    const pairs = Array.from({ length: 3 * HMAC_MEMO_LIMIT }, (_, index) => [
      `secret-${index % 5}`,
      `AKID${index}`,
    ]);
    for (const [key, message] of [...pairs, ...pairs]) {
      expect(await digestOf(Sha256, key, message as string)).toBe(
        await digestOf(Sha256Node, key, message as string),
      );
    }
    const first = await new Sha256('k').digest();
    first[0] = (first[0] ?? 0) ^ 0xff;
    expect(Buffer.from(await new Sha256('k').digest()).toString('hex')).toBe(await digestOf(Sha256Node, 'k'));
  });

  it('makes the same SigV4 signature as the SDK, call after call', async () => {
    const signer = (sha256: ChecksumConstructor) =>
      new SignatureV4({
        service: 'secretsmanager',
        region: 'eu-west-1',
        sha256,
        credentials: {
          accessKeyId: 'AKIDEXAMPLE',
          secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        },
      });
    const ours = signer(Sha256);
    const theirs = signer(Sha256Node);
    for (const [index, day] of [
      '2026-12-01T10:00:00Z',
      '2026-12-01T10:00:01Z',
      '2026-12-02T00:00:00Z',
    ].entries()) {
      const request = () => ({
        method: 'POST',
        protocol: 'https:',
        hostname: 'secretsmanager.eu-west-1.amazonaws.com',
        path: '/',
        query: {},
        headers: {
          host: 'secretsmanager.eu-west-1.amazonaws.com',
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'secretsmanager.DescribeSecret',
        },
        body: JSON.stringify({ SecretId: `certctl/item-${index}` }),
      });
      const options = { signingDate: new Date(day) };
      const [a, b] = await Promise.all([ours.sign(request(), options), theirs.sign(request(), options)]);
      expect((a as { headers: Record<string, string> }).headers.authorization).toMatch(
        /Signature=[0-9a-f]{64}$/,
      );
      expect(a).toEqual(b);
    }
  });

  it('is what every client of the factory signs with', () => {
    const factory = new AwsClientFactory({
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    });
    try {
      expect(factory.config('eu-west-1').sha256).toBe(Sha256);
      expect(factory.client(RDSClient, 'eu-west-1').config.sha256).toBe(Sha256);
    } finally {
      factory.destroy();
    }
  });
});
