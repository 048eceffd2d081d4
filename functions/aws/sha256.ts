/**
 * The SHA-256 and HMAC-SHA256 the AWS clients sign with (client option `sha256`), the SDK's own
 * Node implementation (`Sha256Node`, @smithy/core checksum) made cheaper per signed request, with
 * the same digests:
 *
 * - HMAC keys are handed to node:crypto as `KeyObject`s, made once per key. Given a string or a
 *   buffer, Node 24's `createHmac` spends about 10 µs per call checking whether the key is a
 *   `KeyObject` or a `CryptoKey` before it wraps it; given a `KeyObject` it takes about 2 µs.
 * - SigV4 makes two HMACs per request with keys that repeat: the signature itself (with the signing
 *   key, which @smithy/signature-v4 caches per day, region and service) and the cache key of that
 *   signing key, an HMAC of the access key id keyed by the secret access key, the same on every
 *   request: HMACs of short messages under string keys are remembered.
 * - A plain hash (the payload and the canonical request, a few hundred bytes each) keeps its input
 *   until it is digested, then hashes it in one `crypto.hash` call instead of a `Hash` object, its
 *   `copy()` and a digest (the SDK's way of allowing a second digest).
 * - Digests are read as hex and turned into bytes from Node's buffer pool: a `digest()` into a new
 *   Buffer allocates a backing store per call, which cost more than the hash itself.
 *
 * Together these took the SigV4 signing of a DescribeSecret request from about 95 µs to 70 µs on
 * the 2-core benchmark machine (2,009 signed requests per key-material audit).
 *
 * A binary key is remembered by its object and checked against a copy of its bytes on every use, so
 * a buffer changed after it was first used is never signed with its old bytes; input bytes are
 * copied when kept, so the digest is of the bytes given, as node:crypto's. At most
 * {@link KEY_CACHE_LIMIT} keys of each kind and {@link HMAC_MEMO_LIMIT} HMACs are kept.
 *
 * test/aws/sha256.test.ts compares every digest with the SDK's implementation.
 */
import {
  createHash,
  createHmac,
  createSecretKey,
  type Hash,
  type Hmac,
  type KeyObject,
  hash as oneShotHash,
} from 'node:crypto';
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

/**
 * The digest as the bytes the SDK expects, made from its hex form: Node's `digest()` into a new
 * Buffer costs a fresh backing store per call (about 3 µs on the benchmark machine, more than the
 * hash itself), while a hex string and `Buffer.from(hex, 'hex')` (a slice of Node's pool, as
 * `Buffer.from(string)` everywhere in the SDK) cost well under 1 µs.
 */
function bytesOfHex(hex: string): Uint8Array {
  const out = Buffer.from(hex, 'hex');
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Plain-hash input held until `digest` (then hashed in one call) while it is this small. */
export const BUFFERED_HASH_LIMIT = 16 * 1024;
/** Largest message whose HMAC under a string key is remembered ({@link HMAC_MEMO_LIMIT} of them). */
const MEMO_MESSAGE_LIMIT = 128;
export const HMAC_MEMO_LIMIT = 64;

/**
 * HMACs of short messages under string keys, by key and message: SigV4 computes the same one on
 * every request (the signing-key cache key, an HMAC of the access key id keyed by the secret access
 * key). A string key cannot change; the message bytes are part of the entry's name.
 */
const hmacMemo = new Map<string, string>();

/** `Checksum` as @smithy/types defines it: `new Sha256()` hashes, `new Sha256(secret)` is an HMAC. */
export class Sha256 implements Checksum {
  readonly digestLength = 32;
  readonly #secret: SourceData | undefined;
  /** The HMAC, or the plain hash once its input outgrew {@link BUFFERED_HASH_LIMIT}. */
  #hash: Hash | Hmac | undefined;
  /** A plain hash's input so far while small (strings as given, bytes copied), else undefined. */
  #chunks: (string | Buffer)[] | undefined;
  #buffered = 0;
  /** An HMAC's message while it may still be memoized (one short chunk). */
  #message: Buffer | undefined;
  #finished = false;

  constructor(secret?: SourceData) {
    this.#secret = secret;
    this.#start();
  }

  update(data: Uint8Array | string): void {
    if (this.#finished) throw new Error('Attempted to update an already finished hash.');
    const chunks = this.#chunks;
    if (chunks) {
      const size = typeof data === 'string' ? data.length * 3 : data.byteLength;
      if (this.#buffered + size <= BUFFERED_HASH_LIMIT) {
        // A copy of bytes: the hash is of the bytes as they were when given, as Node's update. Read
        // through a view: `Buffer.from` of an object asks its `valueOf` first, which the SDK's JSON
        // request bodies answer with a string (and a warning).
        chunks.push(typeof data === 'string' ? data : Buffer.from(toBuffer(data)));
        this.#buffered += size;
        return;
      }
      const hash = createHash('sha256');
      for (const chunk of chunks) hash.update(chunk);
      this.#hash = hash;
      this.#chunks = undefined;
    }
    if (this.#message === undefined && this.#memoizable() && this.#hash === undefined) {
      const bytes = toBuffer(data);
      if (bytes.byteLength <= MEMO_MESSAGE_LIMIT) {
        this.#message = Buffer.from(bytes);
        return;
      }
    }
    this.#hmac().update(data);
  }

  async digest(): Promise<Uint8Array> {
    const chunks = this.#chunks;
    if (chunks) {
      // As the SDK's: a plain hash can be digested more than once (and updated after).
      const input = chunks.length === 1 ? (chunks[0] as string | Buffer) : concat(chunks);
      return bytesOfHex(oneShotHash('sha256', input, 'hex'));
    }
    if (!this.#secret) {
      return bytesOfHex((this.#hash as Hash).copy().digest('hex'));
    }
    this.#finished = true;
    if (this.#hash === undefined) return bytesOfHex(this.#memoizedHmac());
    return bytesOfHex(this.#hash.digest('hex'));
  }

  reset(): void {
    this.#start();
    this.#finished = false;
  }

  #start(): void {
    this.#hash = undefined;
    this.#message = undefined;
    this.#buffered = 0;
    // No key or an empty string is a plain hash, as the SDK's (`createHash` when `!secret`).
    this.#chunks = this.#secret ? undefined : [];
    if (!this.#chunks && !this.#memoizable()) this.#hmac();
  }

  #memoizable(): boolean {
    return typeof this.#secret === 'string';
  }

  #hmac(): Hash | Hmac {
    if (this.#hash === undefined) {
      this.#hash = createHmac('sha256', hmacKey(this.#secret as SourceData));
      const message = this.#message;
      this.#message = undefined;
      if (message) this.#hash.update(message);
    }
    return this.#hash;
  }

  /** The HMAC (hex) of the one short message given (or none) under the string key. */
  #memoizedHmac(): string {
    const message = this.#message ?? EMPTY;
    const name = `${message.toString('hex')}:${this.#secret as string}`;
    let hex = hmacMemo.get(name);
    if (hex === undefined) {
      hex = createHmac('sha256', hmacKey(this.#secret as SourceData))
        .update(message)
        .digest('hex');
      if (hmacMemo.size >= HMAC_MEMO_LIMIT) hmacMemo.clear();
      hmacMemo.set(name, hex);
    }
    return hex;
  }
}

const EMPTY = Buffer.alloc(0);

function concat(chunks: readonly (string | Buffer)[]): Buffer {
  return Buffer.concat(
    chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk)),
  );
}
