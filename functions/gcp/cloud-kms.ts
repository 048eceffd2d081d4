/**
 * The state of the customer-managed Cloud KMS keys that encrypt the inventory's Secret Manager
 * secrets (the keys audit) and the Cloud Storage dump buckets (the dumps audit, cryptoKeys.get of
 * each bucket's default key: ./gcs-dumps.ts), read from the Cloud KMS REST API v1 (https://cloud.google.com/kms/docs/reference/rest):
 *
 * - `GET /v1/{name=projects/*\/locations/*\/keyRings/*\/cryptoKeys/*\/cryptoKeyVersions/*}`
 *   (cryptoKeyVersions.get, permission `cloudkms.cryptoKeyVersions.get`): a `CryptoKeyVersion`,
 *   whose `state` is a `CryptoKeyVersionState` (`ENABLED`, `DISABLED`, `DESTROYED`,
 *   `DESTROY_SCHEDULED`, `PENDING_GENERATION`, `PENDING_IMPORT`, `IMPORT_FAILED`,
 *   `GENERATION_FAILED`, `PENDING_EXTERNAL_DESTRUCTION`, `EXTERNAL_DESTRUCTION_FAILED`) and whose
 *   `destroyTime` is when a `DESTROY_SCHEDULED` version's material will be destroyed. Read when the
 *   secret version names the key version that encrypts it (`kmsKeyVersionName`).
 * - `GET /v1/{name=projects/*\/locations/*\/keyRings/*\/cryptoKeys/*}` (cryptoKeys.get, permission
 *   `cloudkms.cryptoKeys.get`): a `CryptoKey` with its `purpose` and its `primary` version (a
 *   `CryptoKeyVersion`, only present when the purpose is `ENCRYPT_DECRYPT`). Read only when no key
 *   version is named: the primary version is the one Secret Manager encrypts new versions with.
 *
 * Both permissions are in `roles/cloudkms.viewer`
 * (https://cloud.google.com/kms/docs/reference/permissions-and-roles). Plain REST through the
 * functions' one Google REST client (./rest-request.ts): same signing, retries and endpoint
 * override (the simulator) as Secret Manager (./secret-manager.ts).
 */
import {
  CloudApiError,
  CredentialsError,
  describeError,
  errorCode,
  readFailureRemedy,
  refusalAdvice,
  refusalNotOfPermission,
  saysNothingOfTheResource,
} from '../core/errors.ts';
import type { EncryptionKey } from '../core/key-facts.ts';
import { gcloudVersionArgs } from '../core/kms-key-states.ts';
import { placeholder, shellWord } from '../core/shell-word.ts';
import {
  GcpApiError,
  type GcpRestClient,
  type GoogleApiClientOptions,
  googleApiClient,
  lazyRestClient,
  type RestClientSource,
  timestampOf,
} from './rest-request.ts';

/** The `CryptoKeyVersion` members read. */
export interface GcpCryptoKeyVersion {
  readonly name?: string;
  readonly state?: string;
  readonly destroyTime?: string;
}

/** The `CryptoKey` members read. */
export interface GcpCryptoKey {
  readonly name?: string;
  readonly purpose?: string;
  readonly primary?: GcpCryptoKeyVersion;
}

/** A Cloud KMS call failed with an HTTP status (403 = permission denied, 404 = not found). */
export class CloudKmsApiError extends GcpApiError {
  constructor(message: string, status: number, code: string, options?: ErrorOptions) {
    super(message, status, code, options);
    this.name = 'CloudKmsApiError';
  }
}

/** The calls the keys audit makes; {@link CloudKmsRestClient} implements them. */
export interface CloudKmsApi {
  getCryptoKey(name: string): Promise<GcpCryptoKey>;
  getCryptoKeyVersion(name: string): Promise<GcpCryptoKeyVersion>;
}

/** Production base URL of the API. */
export const CLOUD_KMS_URL = 'https://cloudkms.googleapis.com';
/** The API's service name, which `gcloud services enable` takes. */
const CLOUD_KMS_SERVICE = 'cloudkms.googleapis.com';

/** The project of a key name (`projects/<p>/locations/…`). */
function projectOfKey(keyName: string): string {
  return /^projects\/([^/]+)\//.exec(keyName)?.[1] ?? keyName;
}

/** The permission each read needs, and the predefined role that holds both. */
export const CLOUD_KMS_KEY_PERMISSION = 'cloudkms.cryptoKeys.get';
export const CLOUD_KMS_VERSION_PERMISSION = 'cloudkms.cryptoKeyVersions.get';
export const CLOUD_KMS_VIEWER_ROLE = 'roles/cloudkms.viewer';

export type CloudKmsRestClientOptions = GoogleApiClientOptions;

/** Cloud KMS over REST, made by the Secret Manager clients (./secret-manager.ts) once credentials are resolved. */
export class CloudKmsRestClient implements CloudKmsApi {
  readonly #base: string;
  readonly #rest: GcpRestClient;

  constructor(options: CloudKmsRestClientOptions = {}) {
    ({ base: this.#base, rest: this.#rest } = googleApiClient(options, CLOUD_KMS_URL, CloudKmsApiError));
  }

  /** The resource; an answer that is not it (not JSON, no `name`) is an error, never a key state. */
  #get(name: string): Promise<{ readonly name: string }> {
    return this.#rest.getResource(`Cloud KMS GET ${name}`, `${this.#base}/v1/${name}`);
  }

  getCryptoKey(name: string): Promise<GcpCryptoKey> {
    return this.#get(name);
  }

  getCryptoKeyVersion(name: string): Promise<GcpCryptoKeyVersion> {
    return this.#get(name);
  }
}

/**
 * `cloudKms()` of a run's GCP clients (./secret-manager.ts withSecretManager for the keys audit,
 * ./storage-client.ts withCloudStorage for the dumps audit): one REST client, made on the first
 * call; with an endpoint unauthenticated (the simulator), else signed with the factory's resolved
 * credentials. The client only: key states are cached per scope read ({@link cloudKmsKeyReader}),
 * never across runs.
 */
export function cloudKmsClientOf(factory: RestClientSource): () => Promise<CloudKmsApi> {
  return lazyRestClient<CloudKmsApi>(factory, (options) => new CloudKmsRestClient(options));
}

const KEY_NAME = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;
const VERSION_NAME =
  /^(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+)\/cryptoKeyVersions\/[^/]+$/;

/** The key a key version name belongs to, or undefined when it is not a key version name. */
export function keyOfVersion(versionName: string): string | undefined {
  return VERSION_NAME.exec(versionName)?.[1];
}

/**
 * A 4xx that says something of the resource (core/errors.ts saysNothingOfTheResource: not
 * throttling, whether by status, code or a rate limit's ErrorInfo, not ABORTED's 409) answers for
 * this key (its permission, its name), not for the scope. So does a 2xx that is not the key's
 * resource ({@link GcpRestClient.getResource}), which the shared test cannot know: the answer came,
 * and it is not the key. Anything else (a 5xx, no answer, another error) fails the scope.
 */
function isPerKeyError(error: unknown): error is CloudKmsApiError {
  if (!(error instanceof CloudKmsApiError)) return false;
  const { status } = error;
  if (status >= 200 && status < 300) return true;
  return status >= 400 && status < 500 && !saysNothingOfTheResource(error);
}

/** Who made a Cloud KMS call, as a refusal names it: the functions that read keys through here. */
const CALLING_ACCOUNT =
  "the service account that made the call (the audit, snapshot or chat-action function's)";

/** What a refusal no role on the key fixes says (core/errors.ts refusalNotOfPermission), naming the key's project and the API. */
function notOfPermissionWords(error: CloudKmsApiError, keyName: string): string | undefined {
  return refusalNotOfPermission(error, { project: projectOfKey(keyName), service: CLOUD_KMS_SERVICE });
}

function unreadReason(
  error: CloudKmsApiError,
  call: string,
  permission: string,
  keyName: string,
  name: string,
  version: boolean,
): string {
  // Its message says what the answer was (not JSON, no name), never quoting the body.
  if (error.status < 400) return `${call} failed: ${error.message}`;
  if (error.status === 403) {
    const notOfPermission = notOfPermissionWords(error, keyName);
    if (notOfPermission) return `${call} was refused (${error.reason}): ${notOfPermission}`;
    return `${call} was denied (${error.code}): ${CALLING_ACCOUNT} needs ${permission} on the key (${CLOUD_KMS_VIEWER_ROLE})`;
  }
  if (error.status === 404)
    return `${call} found no ${version ? 'key version' : 'key'} ${name} (404 ${error.code})`;
  return `${call} failed: ${error.status} ${error.code}`;
}

/** The default of what a Cloud KMS read's remedy says to do once its fix is made. */
const RUN_AUDIT_AGAIN = 'run the audit again';

/**
 * What fixes a failed Cloud KMS read of `versionName` (cryptoKeyVersions.get), else of `keyName`
 * (cryptoKeys.get): what lifts a refusal no role on the key fixes (the API not enabled on the key's
 * project, a VPC Service Controls perimeter…: core/errors.ts refusalNotOfPermission, naming the
 * project and the API when the answer does not); for a refusal a grant fixes, the read's permission
 * on `keyName`, with the predefined role that holds it and the command that binds it there, as the
 * key may be another project's, whose owner grants it; a read again for a failure that passes on its
 * own (core/errors.ts readFailureRemedy); for a 404, the command that shows whether the key (version)
 * is there, as one Cloud KMS does not find decrypts nothing; for credentials that could not be used
 * (CredentialsError), to fix them, as no grant is missing. Undefined otherwise (a 2xx that is no
 * key, another 4xx). `again`: what to do once fixed (the audit run again; a
 * snapshot's key read again later).
 */
export function cloudKmsReadRemedy(
  error: unknown,
  keyName: string,
  versionName: string | undefined,
  again = RUN_AUDIT_AGAIN,
): string | undefined {
  const version = versionName !== undefined;
  const what = version ? 'key version' : 'key';
  // Not a refusal: no call went out, and a grant on the key would change nothing (clients.ts words
  // what is wrong with the credentials and how to fix it).
  if (error instanceof CredentialsError) {
    return `The Google Cloud credentials could not be used, so Cloud KMS was not asked (no grant on the key is missing): ${describeError(error).replace(/\.$/, '')}. Fix them, then ${again}.`;
  }
  if (error instanceof GcpApiError && error.status === 404) {
    const args = versionName === undefined ? undefined : gcloudVersionArgs(versionName);
    const describe = args
      ? `gcloud kms keys versions describe ${args}`
      : `gcloud kms keys describe ${shellWord(versionName ?? keyName)}`;
    return `Check the ${what} (\`${describe}\`): Cloud KMS found none by this name, and a ${what} it does not find decrypts nothing. Then ${again}.`;
  }
  const code = error instanceof GcpApiError ? error.code : errorCode(error);
  const notOfPermission =
    error instanceof GcpApiError && error.status === 403 ? notOfPermissionWords(error, keyName) : undefined;
  if (notOfPermission) return refusalAdvice(notOfPermission, again);
  const permission = version ? CLOUD_KMS_VERSION_PERMISSION : CLOUD_KMS_KEY_PERMISSION;
  const bind = `gcloud kms keys add-iam-policy-binding ${shellWord(keyName)} --member=serviceAccount:${placeholder('service-account-email')} --role=${CLOUD_KMS_VIEWER_ROLE}`;
  return readFailureRemedy(
    error,
    `${CALLING_ACCOUNT} ${permission} on the key ${keyName} (${CLOUD_KMS_VIEWER_ROLE} holds it: \`${bind}\`)`,
    { code, again },
  );
}

/**
 * The error a Cloud KMS read of `name` with `call` that did not answer for the key fails with
 * (throttled or failed on Cloud KMS's side after the retries, no answer): the error that fails an
 * audit's scope ({@link readCloudKmsKey} throws it), and so the words the snapshot path gives a key
 * version it could not read (functions/actions/snapshot/gcp.ts): one rule for both. Its code is the
 * error's own, and said when its message does not say it.
 */
export function cloudKmsReadFailure(error: unknown, call: string, name: string): CloudApiError {
  const code = error instanceof GcpApiError ? error.code : errorCode(error);
  const said = describeError(error);
  const withCode = code === 'Unknown' || said.includes(code) ? said : `${said} (${code})`;
  return new CloudApiError(`Cloud KMS ${call} failed for ${name}: ${withCode}`, code, { cause: error });
}

/**
 * The state of the key version that protects a secret version: the named `versionName`'s state
 * (cryptoKeyVersions.get), else the key's primary version's (cryptoKeys.get). A key this caller may
 * not read (a 4xx) is still named, with why it is unread and which permission is missing, and what
 * fixes it (`remedy`, {@link cloudKmsReadRemedy}, which says to do `again` once fixed); a state
 * the API did not send stays undefined (not evaluated); any other failure (throttling after
 * retries, the endpoint down) throws ({@link cloudKmsReadFailure}), failing the scope as the AWS
 * DescribeKey does (functions/aws/kms-keys.ts).
 */
export async function readCloudKmsKey(
  api: CloudKmsApi,
  keyName: string,
  versionName: string | undefined,
  again?: string,
): Promise<EncryptionKey> {
  const name = versionName ?? keyName;
  // The version names its own key: the one that protects the data, even if the secret's configured
  // key has changed since this version was written.
  const id = (versionName && keyOfVersion(versionName)) || keyName;
  const call = versionName ? 'cryptoKeyVersions.get' : 'cryptoKeys.get';
  if (!(versionName ? keyOfVersion(versionName) : KEY_NAME.test(keyName))) {
    return {
      id,
      manager: 'CUSTOMER',
      unreadReason: `${name} is not a Cloud KMS ${versionName ? 'key version' : 'key'} name`,
    };
  }
  try {
    if (versionName) {
      const version = await api.getCryptoKeyVersion(versionName);
      return {
        id,
        manager: 'CUSTOMER',
        version: versionName,
        state: version.state,
        deletionDate: timestampOf(version.destroyTime),
      };
    }
    const key = await api.getCryptoKey(keyName);
    if (!key.primary) {
      // Only ENCRYPT_DECRYPT keys have a primary version; a key without one cannot encrypt a secret.
      return {
        id: keyName,
        manager: 'CUSTOMER',
        unreadReason: `cryptoKeys.get reported no primary version (purpose ${key.purpose ?? 'not reported'})`,
      };
    }
    return {
      id: keyName,
      manager: 'CUSTOMER',
      ...(key.primary.name ? { version: key.primary.name } : {}),
      primary: true,
      state: key.primary.state,
      deletionDate: timestampOf(key.primary.destroyTime),
    };
  } catch (error) {
    if (isPerKeyError(error)) {
      const version = versionName !== undefined;
      const permission = version ? CLOUD_KMS_VERSION_PERMISSION : CLOUD_KMS_KEY_PERMISSION;
      const remedy = cloudKmsReadRemedy(error, id, versionName, again);
      return {
        id,
        manager: 'CUSTOMER',
        ...(versionName ? { version: versionName } : {}),
        unreadReason: unreadReason(error, call, permission, id, name, version),
        ...(remedy === undefined ? {} : { remedy }),
      };
    }
    throw cloudKmsReadFailure(error, call, name);
  }
}

/**
 * `read(keyName, versionName)`: {@link readCloudKmsKey}, once per key (version) for the reader's
 * life, which is one scope's read, as the AWS keys are described once per scope
 * (functions/aws/kms-keys.ts kmsKeyDescriber): secrets sharing a key cost one read. `again`: what
 * an unread key's remedy says to do once fixed (the audit's run again by default).
 */
export function cloudKmsKeyReader(
  api: CloudKmsApi,
  again?: string,
): (keyName: string, versionName: string | undefined) => Promise<EncryptionKey> {
  const read = new Map<string, Promise<EncryptionKey>>();
  return (keyName, versionName) => {
    const cacheKey = versionName ?? keyName;
    let reading = read.get(cacheKey);
    if (!reading) {
      reading = readCloudKmsKey(api, keyName, versionName, again);
      read.set(cacheKey, reading);
    }
    return reading;
  };
}
