/**
 * The import ledger's S3 store: one object per (account, region) destination,
 * `<prefix><account>/<region>.json.gz`, in a bucket of the audit account (the Lambda's own
 * credentials and region). Writes are S3 conditional writes (`If-Match` the ETag read, or
 * `If-None-Match: *` when there was none), so two overlapping runs cannot both replace a ledger: the
 * second gets 412, reads the first's ledger and merges its own into it, then writes conditionally again,
 * up to four writes in all (publisher.ts `LEDGER_WRITE_ATTEMPTS`); when every one of them gets 412, or
 * the ledger was removed meanwhile, or a write fails, the publisher replaces it (unconditionally) with
 * the marker of a ledger given up (ledger.ts `encodeGivenUpLedger`), which costs the next run one
 * full read; when even that fails, it sends its imports again dated later (publisher.ts
 * `redateUnrecorded`).
 * (S3 user guide, "How to prevent object overwrites with conditional writes":
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html)
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CloudApiError, errorCode } from '../core/errors.ts';
import { pageTokens, s3ContinuationToken } from '../core/paging.ts';
import type { Destination } from '../publish/security-hub/asff.ts';
import { LedgerConflictError, type LedgerStore, type StoredLedger } from '../publish/security-hub/ledger.ts';
import type { AwsClientFactory } from './clients.ts';
import { LEDGER_PREFIX } from './ledger-location.ts';

/** Conditional-write failures: the precondition did not hold, or a concurrent write won. */
const CONFLICT_CODES = new Set(['PreconditionFailed', 'ConditionalRequestConflict', 'NoSuchKey']);

export class S3LedgerStore implements LedgerStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(client: S3Client, bucket: string, prefix = LEDGER_PREFIX) {
    this.#client = client;
    this.#bucket = bucket;
    this.#prefix = prefix;
  }

  /** The object key of a destination's ledger. */
  key(destination: Pick<Destination, 'account' | 'region'>): string {
    return `${this.#prefix}${destination.account}/${destination.region}.json.gz`;
  }

  async read(destination: Pick<Destination, 'account' | 'region'>): Promise<StoredLedger | undefined> {
    try {
      const answer = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: this.key(destination) }),
      );
      const body = (await answer.Body?.transformToByteArray()) ?? new Uint8Array();
      return { body, version: answer.ETag ?? '' };
    } catch (error) {
      if (errorCode(error) === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async write(
    destination: Pick<Destination, 'account' | 'region'>,
    body: Uint8Array,
    previous: string | undefined,
  ): Promise<void> {
    try {
      await this.#put(destination, body, previous ? { IfMatch: previous } : { IfNoneMatch: '*' });
    } catch (error) {
      if (CONFLICT_CODES.has(errorCode(error))) {
        throw new LedgerConflictError(
          `the import ledger s3://${this.#bucket}/${this.key(destination)} was changed by another run`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  /** Unconditional: the marker of a ledger given up replaces whatever is there. */
  async overwrite(destination: Pick<Destination, 'account' | 'region'>, body: Uint8Array): Promise<void> {
    await this.#put(destination, body, {});
  }

  /** The ledger object of `destination` written with `body`, under the write's `condition`. */
  async #put(
    destination: Pick<Destination, 'account' | 'region'>,
    body: Uint8Array,
    condition: { readonly IfMatch?: string; readonly IfNoneMatch?: string },
  ): Promise<void> {
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: this.key(destination),
        Body: body,
        ContentType: 'application/gzip',
        ...condition,
      }),
    );
  }

  async remove(destination: Pick<Destination, 'account' | 'region'>): Promise<void> {
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.key(destination) }));
  }

  /** One ListObjectsV2 under `<prefix><account>/` (one more per 1,000 ledgers). */
  async regionsOf(account: string): Promise<readonly string[]> {
    const destinations = await listLedgerDestinations(this.#client, this.#bucket, this.#prefix, account);
    return destinations.map((destination) => destination.region);
  }
}

/** The ledger store of a deployment: `bucket` in `region`, with the factory's own (not a member's) credentials. */
export function s3LedgerStore(factory: AwsClientFactory, bucket: string, region: string): S3LedgerStore {
  return new S3LedgerStore(factory.client(S3Client, region), bucket);
}

/** The destinations (account, region) that have a ledger in the bucket (of `account` only when given), from the object keys. */
export async function listLedgerDestinations(
  client: Pick<S3Client, 'send'>,
  bucket: string,
  prefix = LEDGER_PREFIX,
  account?: string,
): Promise<{ account: string; region: string }[]> {
  const destinations: { account: string; region: string }[] = [];
  let token: string | undefined;
  let listed = 0;
  // A token S3 already sent would list the same page until the function timed out.
  const listing = `ListObjectsV2 of the import ledgers in s3://${bucket}/${prefix}`;
  const nextToken = pageTokens(listing, 'RepeatedContinuationToken', 'continuation token');
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: account === undefined ? prefix : `${prefix}${account}/`,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const object of page.Contents ?? []) {
      listed += 1;
      const match = /^(\d{12})\/([a-z0-9-]+)\.json\.gz$/.exec((object.Key ?? '').slice(prefix.length));
      if (match?.[1] && match[2]) destinations.push({ account: match[1], region: match[2] });
    }
    // A listing that may have left ledgers out fails: the regions it misses would not be kept
    // alive (publisher.ts keepAliveDestinations), and a partial count would read as the whole audit.
    token = s3ContinuationToken(page, nextToken, listing, listed);
    if (page.IsTruncated && !token) {
      throw new CloudApiError(
        `${listing} said more objects follow but named no continuation token after ${listed} objects`,
        'MissingContinuationToken',
      );
    }
  } while (token);
  return destinations;
}
