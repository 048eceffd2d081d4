/**
 * The Cloud Storage client, kept out of functions/gcp/clients.ts so that only what reads dump
 * buckets bundles `@google-cloud/storage` (about 0.5 MB with its HTTP stack): the `auditPitr`
 * Cloud Function never loads it. {@link withCloudStorage} adds it to a {@link GcpClientFactory},
 * and loads the library on the first `storage()` call: the snapshot function's readiness reads dump
 * buckets only when the policy places dumps there, and its snapshots and maintenance scans never.
 */
import type { Storage, StorageOptions } from '@google-cloud/storage';
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
 */
export function withCloudStorage(factory: GcpClientFactory): GcpClientsWithStorage {
  let storage: Storage | undefined;
  let objectReads: Storage | undefined;
  const client = async (): Promise<Storage> => {
    if (!factory.endpoint) await factory.credentials();
    if (!storage) {
      const { Storage } = await import('@google-cloud/storage');
      storage ??= factory.endpoint ? new Storage({ apiEndpoint: factory.endpoint }) : new Storage();
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
        objectReads ??= new Storage({
          ...(factory.endpoint ? { apiEndpoint: factory.endpoint } : { authClient }),
          retryOptions: { autoRetry: false },
        });
      }
      return objectReads;
    },
    cloudKms: cloudKmsClientOf(factory),
    resourceManager: resourceManagerClientOf(factory),
    close: () => factory.close(),
  };
}
