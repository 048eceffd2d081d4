/**
 * The Cloud Storage client, kept out of functions/gcp/clients.ts so that only what reads dump
 * buckets bundles `@google-cloud/storage` (about 0.5 MB with its HTTP stack): the `auditPitr`
 * Cloud Function never loads it. {@link withCloudStorage} adds it to a {@link GcpClientFactory},
 * and loads the library on the first `storage()` call: the snapshot function's readiness reads dump
 * buckets only when the policy places dumps there, and its snapshots and maintenance scans never.
 */
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Storage, StorageOptions } from '@google-cloud/storage';
import { scopeCall, scopeSignal } from '../core/scope-calls.ts';
import type { GcpClientFactory } from './clients.ts';
import { type CloudKmsApi, cloudKmsClientOf } from './cloud-kms.ts';
import type { GcpClientSource } from './collectors.ts';
import { type ResourceManagerApi, resourceManagerClientOf } from './resource-manager.ts';

/**
 * The GCP clients a run needs when it reads Cloud Storage: `factory`'s, plus `storage()`,
 * `cloudKms()` (the state of the dump buckets' default Cloud KMS keys) and `resourceManager()` (the
 * number of the project each dump bucket must belong to: ./resource-manager.ts).
 */
export interface GcpClientsWithStorage extends GcpClientSource {
  storage(): Promise<Storage>;
  /** The Cloud Storage client of the ranged object reads, its automatic retries off (see below). */
  objectReads(): Promise<Storage>;
  cloudKms(): Promise<CloudKmsApi>;
  resourceManager(): Promise<ResourceManagerApi>;
  close(): Promise<void>;
}

/**
 * `factory`'s clients plus the Cloud Storage clients (objects.list and buckets.get; the ranged
 * object reads on a second client without the library's retries) and the Cloud KMS REST client (./cloud-kms.ts, cryptoKeys.get of the buckets'
 * default keys; plain REST, no extra library), with the library's own retries of idempotent calls. With an endpoint it calls that
 * base URL unauthenticated (a custom `apiEndpoint` is an emulator to the library unless
 * `useAuthWithCustomEndpoint` is set); the simulator serves the Cloud SQL Admin and Cloud Storage
 * JSON APIs on one port. In production the factory resolves the credentials first, so missing
 * credentials are one CredentialsError; the library then finds the same Application Default
 * Credentials itself (it carries its own google-auth-library major, whose AuthClient ours cannot
 * stand in for).
 *
 * `retry.retryDelayMultiplier` is the library's option of that name for the calls retried here
 * ({@link asScopeCalls}: the multiplier to the power of the attempt, in seconds, plus up to 1 s of
 * jitter, before each retry): the library's 2 unless given. Tests whose subject is not the timing
 * give it low, so a throttled call is asked again within a second rather than after 2, 4 and 8 s.
 */
export function withCloudStorage(
  factory: GcpClientFactory,
  retry: { readonly retryDelayMultiplier?: number } = {},
): GcpClientsWithStorage {
  let storage: Storage | undefined;
  let objectReads: Storage | undefined;
  const client = async (): Promise<Storage> => {
    if (!factory.endpoint) await factory.credentials();
    if (!storage) {
      const { Storage } = await import('@google-cloud/storage');
      // The library's own retries off: it waits them out on timers nothing can stop, so a call of a
      // failed scope sent its next attempt after the run had returned ({@link asScopeCalls}).
      storage ??= asScopeCalls(
        new Storage({
          ...(factory.endpoint ? { apiEndpoint: factory.endpoint } : {}),
          retryOptions: { ...retry, autoRetry: false },
        }),
        true,
      );
    }
    return storage;
  };
  return {
    cloudSql: () => factory.cloudSql(),
    storage: client,
    // The ranged object reads (`file.download`) go through the library's stream path, whose
    // automatic retry breaks: retry-request destroys the request stream of a retried answer (429,
    // 503) from its `response` listener, and teeny-request 9's stream mode then pipes that answer
    // into the destroyed stream, an ERR_STREAM_UNABLE_TO_PIPE rejection no caller can catch
    // (googleapis/teeny-request#352, googleapis/google-cloud-node#8670), which may end a Cloud
    // Functions instance mid-run. This client, on the same endpoint and credentials (`authClient`),
    // sends each read once, and ./gcs-dumps.ts readRange retries them itself within its `retryOptions`.
    objectReads: async () => {
      const retrying = await client();
      if (!objectReads) {
        const { Storage } = await import('@google-cloud/storage');
        // The first client's GoogleAuth (one token cache); the library's declarations type the
        // `authClient` it holds narrower than the one it takes, though both are its GoogleAuth.
        const authClient = retrying.authClient as StorageOptions['authClient'];
        objectReads ??= asScopeCalls(
          new Storage({
            ...(factory.endpoint ? { apiEndpoint: factory.endpoint } : { authClient }),
            retryOptions: { autoRetry: false },
          }),
          false,
        );
      }
      return objectReads;
    },
    cloudKms: cloudKmsClientOf(factory),
    resourceManager: resourceManagerClientOf(factory),
    close: () => factory.close(),
  };
}

/** What the library's `makeAuthenticatedRequest` is called with and answers (nodejs-common util.js). */
type RequestCallback = (error: unknown, ...answer: unknown[]) => void;
type SendRequest = (reqOpts: { maxRetries?: number }, callback?: RequestCallback | object) => unknown;

/**
 * `storage` with every request it sends made a call of the audit scope being read (core/scope-calls.ts):
 * counted until it settles, refused once the scope has failed, and dropped when it fails meanwhile.
 * The library takes no signal and no transport of ours (teeny-request 9 sends through its own
 * node-fetch and passes no `signal`; retry-request waits out its retries on timers that its `abort`
 * does not clear), so the scope is joined where every call leaves the client, its
 * `makeAuthenticatedRequest` (nodejs-common service.js `request_`). An answer already on its way is
 * not cut off, but it is ignored, and nothing more is asked. There is no handle on its socket: the
 * `abort()` that `makeAuthenticatedRequest` returns for a call with a callback (nodejs-common util.js)
 * reaches retry-request 7's `abort`, which aborts its active request only when that has an `abort`,
 * and teeny-request 9 returns none in callback mode; node-fetch is called without a signal, on the
 * agent teeny-request shares per protocol (agents.js `pool`). Called, it leaves the socket open.
 *
 * With `retries`, a call is asked again here as the library would have (the client's retries off:
 * `retryOptions.autoRetry: false`): an attempt that got no answer, or a failure its
 * `retryableErrorFn` counts retryable, at most
 * `maxRetries` more times (none when the library set the call's `maxRetries` to 0: not idempotent
 * under its idempotency strategy), after retry-request's wait (`retryDelayMultiplier` to the power
 * of the attempt, seconds, plus up to 1 s of jitter, at most `maxRetryDelay`, within
 * `totalTimeout`), a wait the scope's failure cuts short. Streams (the ranged object reads) are
 * asked once: ./gcs-dumps.ts readRange retries them.
 */
function asScopeCalls(storage: Storage, retries: boolean): Storage {
  const client = storage as unknown as { makeAuthenticatedRequest: SendRequest };
  const send = client.makeAuthenticatedRequest;
  const wrapped: SendRequest = (reqOpts, callback) => {
    if (typeof callback !== 'function') {
      if (callback !== undefined) return send(reqOpts, callback);
      return streamCall(() => send(reqOpts) as NodeJS.ReadWriteStream & PassThrough);
    }
    const retry = storage.retryOptions;
    const maxRetries = !retries
      ? 0
      : typeof reqOpts.maxRetries === 'number'
        ? reqOpts.maxRetries
        : (retry.maxRetries ?? 3);
    const started = Date.now();
    const attemptOnce = (): Promise<unknown[]> =>
      scopeCall(
        (signal) =>
          new Promise<unknown[]>((resolve, reject) => {
            const aborted = (): void => reject(signal?.reason);
            signal?.addEventListener('abort', aborted, { once: true });
            send(reqOpts, (...answer: unknown[]) => {
              signal?.removeEventListener('abort', aborted);
              resolve(answer);
            });
          }),
      );
    (async (): Promise<unknown[]> => {
      for (let attempt = 1; ; attempt += 1) {
        const answer = await attemptOnce();
        // retry-request asks again an attempt that got no answer (no response: a refused or reset
        // connection) whatever its error, and one answered when retryableErrorFn counts it retryable.
        const [error, , response] = answer;
        const unanswered = response === undefined || response === null;
        if (
          !error ||
          attempt > maxRetries ||
          !(unanswered || retry.retryableErrorFn?.(error as never) === true)
        )
          return answer;
        const delay = Math.min(
          (retry.retryDelayMultiplier ?? 2) ** attempt * 1000 + Math.floor(Math.random() * 1000),
          (retry.maxRetryDelay ?? 64) * 1000,
          (retry.totalTimeout ?? 600) * 1000 - (Date.now() - started),
        );
        if (delay <= 0) return answer;
        await sleep(delay, undefined, { signal: scopeSignal() });
      }
    })().then(
      (answer) => callback(...(answer as [unknown, ...unknown[]])),
      (error: unknown) => callback(error),
    );
    return { abort: () => undefined };
  };
  client.makeAuthenticatedRequest = Object.assign(wrapped, send);
  return storage;
}

/**
 * One streamed request (`open()`, the library's request stream) as a scope call: counted until the
 * stream closes, destroyed when the scope fails, and never opened (a stream that fails at once with
 * the scope's reason) when it has failed already.
 */
function streamCall(open: () => NodeJS.ReadWriteStream & PassThrough): PassThrough {
  let opened: PassThrough | undefined;
  const settled = scopeCall(
    (signal) =>
      new Promise<void>((resolve) => {
        const stream = open();
        opened = stream;
        const aborted = (): void => {
          stream.destroy(signal?.reason);
        };
        signal?.addEventListener('abort', aborted, { once: true });
        stream.once('close', () => {
          signal?.removeEventListener('abort', aborted);
          resolve();
        });
      }),
  );
  if (opened) return opened;
  // Refused: the scope had failed (its reason is what `settled` rejects with).
  const refused = new PassThrough();
  settled.catch((reason: unknown) => refused.destroy(reason as Error));
  return refused;
}
