/**
 * The SHA-256 and HMAC-SHA256 the AWS clients sign with (client option `sha256`), the SDK's own
 * Node implementation (`Sha256Node`, @smithy/core checksum) with one change: HMAC keys are handed
 * to node:crypto as `KeyObject`s, made once per key.
 *
 * SigV4 makes two HMACs per request with keys that repeat: the signature itself (with the signing
 * key, which @smithy/signature-v4 caches per day, region and service) and the cache key of that
 * signing key (an HMAC keyed by the secret access key). Given a string or a buffer, Node 24's
 * `createHmac` spends about 10 µs per call checking whether the key is a `KeyObject` or a
 * `CryptoKey` before it wraps it; given a `KeyObject` it takes about 2 µs. For the key-material
 * audit's 2,009 signed calls that check was about 7% of its CPU in a profile of the benchmark.
 *
 * A binary key is remembered by its object and checked against a copy of its bytes on every use, so
 * a buffer changed after it was first used is never signed with its old bytes. At most
 * {@link KEY_CACHE_LIMIT} keys of each kind are kept (there are a few per credentials and day).
 *
 * test/aws/sha256.test.ts compares every digest with the SDK's implementation.
 */
import { createHash, createHmac, createSecretKey, type Hash, type Hmac, type KeyObject } from 'node:crypto';
import type { Checksum, SourceData } from '@smithy/types';

export const KEY_CACHE_LIMIT = 64;

const stringKeys = new Map<string, KeyObject>();
interface BinaryKey {
  readonly bytes: Buffer;
  readonly key: KeyObject;
}
let binaryKeys = new WeakMap<object, BinaryKey>();
let binaryKeyCount = 0;

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** The `KeyObject` of an HMAC key, made once per key (a buffer changed since makes a new one). */
export function hmacKey(secret: SourceData): KeyObject {
  if (typeof secret === 'string') {
    let key = stringKeys.get(secret);
    if (!key) {
      if (stringKeys.size >= KEY_CACHE_LIMIT) stringKeys.clear();
      key = createSecretKey(Buffer.from(secret, 'utf8'));
      stringKeys.set(secret, key);
    }
    return key;
  }
  const bytes = toBuffer(secret);
  const cached = binaryKeys.get(secret);
  if (cached?.bytes.equals(bytes)) return cached.key;
  if (!cached) {
    // A WeakMap cannot be cleared or counted: a full one is replaced.
    if (binaryKeyCount >= KEY_CACHE_LIMIT) {
      binaryKeys = new WeakMap();
      binaryKeyCount = 0;
    }
    binaryKeyCount += 1;
  }
  const copy = Buffer.from(bytes);
  const key = createSecretKey(copy);
  binaryKeys.set(secret, { bytes: copy, key });
  return key;
}

/** `Checksum` as @smithy/types defines it: `new Sha256()` hashes, `new Sha256(secret)` is an HMAC. */
export class Sha256 implements Checksum {
  readonly digestLength = 32;
  readonly #secret: SourceData | undefined;
  #hash: Hash | Hmac;
  #finished = false;

  constructor(secret?: SourceData) {
    this.#secret = secret;
    this.#hash = this.#make();
  }

  update(data: Uint8Array | string): void {
    if (this.#finished) throw new Error('Attempted to update an already finished hash.');
    this.#hash.update(data);
  }

  async digest(): Promise<Uint8Array> {
    let out: Buffer;
    if (this.#secret) {
      this.#finished = true;
      out = this.#hash.digest();
    } else {
      // As the SDK's: a plain hash can be digested more than once.
      out = (this.#hash as Hash).copy().digest();
    }
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  reset(): void {
    this.#hash = this.#make();
    this.#finished = false;
  }

  #make(): Hash | Hmac {
    return this.#secret ? createHmac('sha256', hmacKey(this.#secret)) : createHash('sha256');
  }
}
