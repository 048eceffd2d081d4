/**
 * The key-material adapter for GCP: the inventory's secrets in one project read from the Secret
 * Manager REST API v1 (https://cloud.google.com/secret-manager/docs/reference/rest):
 * `GET /v1/projects/{p}/secrets/{s}` (replication, expireTime) and
 * `GET /v1/projects/{p}/secrets/{s}/versions/latest` (state, scheduledDestroyTime), and only with
 * `keys.inspectSecretValues` `GET …/versions/latest:access` (payload.data, base64).
 *
 * A secret under a customer-managed Cloud KMS key also gets the state of the key version that
 * protects its latest version, read from Cloud KMS (./cloud-kms.ts), once per key in the project.
 *
 * Plain REST over fetch, signed with the credentials the GCP client factory resolved
 * ({@link withSecretManager}): the `@google-cloud/secret-manager` client would add its gax protos to
 * the Cloud Function's bundle for three GET calls. Only what audits key material imports this
 * module, so the other functions bundle none of it.
 */
import { CloudApiError, describeError, isTransient, readFailureRemedy } from '../core/errors.ts';
import type { EncryptionKey, KeySecretFact, Reading, ReplicationFact } from '../core/key-facts.ts';
import {
  contentReadings,
  itemRefs,
  keysInventoryOf,
  secretsToRead,
  unreadSecretFact,
  type ValueReading,
} from '../core/key-material.ts';
import { secretKey } from '../core/keys-policy.ts';
import { UNUSABLE_KEY_STATES } from '../core/kms-key-states.ts';
import { readLiveCa } from '../core/live-ca.ts';
import type { Policy } from '../core/policy.ts';
import type { GcpClientFactory } from './clients.ts';
import { type CloudKmsApi, cloudKmsClientOf, cloudKmsKeyReader, keyOfVersion } from './cloud-kms.ts';
import type { GcpClientSource, GcpCollector } from './collectors.ts';
import {
  GcpApiError,
  GcpRestClient,
  type GcpRestRetry,
  lazyRestClient,
  type RequestSigner,
  timestampOf,
} from './rest-request.ts';

/** The Secret Manager resources this adapter reads, as the REST API returns them. */
export interface GcpSecret {
  readonly name?: string;
  readonly replication?: {
    readonly automatic?: { readonly customerManagedEncryption?: { readonly kmsKeyName?: string } };
    readonly userManaged?: {
      readonly replicas?: readonly {
        readonly location?: string;
        readonly customerManagedEncryption?: { readonly kmsKeyName?: string };
      }[];
    };
  };
  readonly expireTime?: string;
  /**
   * Output only, when the secret was created: a secret deleted and created again under the same
   * name has another, which tells it from the secret read before (./secret-manager.ts askAgain).
   */
  readonly createTime?: string;
}

/** `CustomerManagedEncryptionStatus`: the Cloud KMS key version a secret version is encrypted with. */
interface GcpCmekStatus {
  readonly customerManagedEncryption?: { readonly kmsKeyVersionName?: string };
}

export interface GcpSecretVersion {
  readonly name?: string;
  readonly state?: string;
  readonly scheduledDestroyTime?: string;
  /**
   * Per replica, the key version that encrypts this version (only populated with CMEK):
   * https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions
   * (`ReplicationStatus.automatic|userManaged.replicas[].customerManagedEncryption.kmsKeyVersionName`).
   */
  readonly replicationStatus?: {
    readonly automatic?: GcpCmekStatus;
    readonly userManaged?: {
      readonly replicas?: readonly (GcpCmekStatus & { readonly location?: string })[];
    };
  };
  /** The same for a regional secret (no replication): the version's own status. */
  readonly customerManagedEncryption?: { readonly kmsKeyVersionName?: string };
}

/** A Secret Manager call failed with an HTTP status (404 = not found). */
export class SecretManagerApiError extends GcpApiError {
  constructor(message: string, status: number, code: string, options?: ErrorOptions) {
    super(message, status, code, options);
    this.name = 'SecretManagerApiError';
  }
}

/**
 * Bytes as proto3 JSON writes them: standard or URL-safe base64, padded or not
 * (https://protobuf.dev/programming-guides/json/, "bytes").
 */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** The code of a payload whose `data` is not base64 text: its message says what it was instead. */
const PAYLOAD_NOT_BASE64 = 'PAYLOAD_NOT_BASE64';

/** The calls the adapter makes; {@link SecretManagerRestClient} implements them. */
export interface SecretManagerApi {
  getSecret(name: string): Promise<GcpSecret>;
  getLatestVersion(name: string): Promise<GcpSecretVersion>;
  /** The latest version's payload bytes; undefined when the answer carried no `payload` at all. */
  accessLatest(name: string): Promise<Uint8Array | undefined>;
}

/** Production base URL of the API. */
export const SECRET_MANAGER_URL = 'https://secretmanager.googleapis.com';

/**
 * How a read is retried: as every Google REST call of the functions (./rest-request.ts), which
 * retries what Google's client libraries retry for Secret Manager reads (UNAVAILABLE, UNKNOWN, and
 * throttling); any other answer (404, 403, 400) will not change and is final.
 */
export type SecretManagerRetry = GcpRestRetry;

export interface SecretManagerRestClientOptions {
  /** Base URL of a local Secret Manager API (the simulator); production leaves it unset. */
  readonly endpoint?: string;
  /** The resolved production credentials; none with an endpoint (local APIs take no auth). */
  readonly auth?: RequestSigner;
  readonly retry?: SecretManagerRetry;
}

/** Secret Manager over REST, made by {@link withSecretManager} once the credentials are resolved. */
export class SecretManagerRestClient implements SecretManagerApi {
  readonly #base: string;
  readonly #rest: GcpRestClient;

  constructor(options: SecretManagerRestClientOptions = {}) {
    this.#base = (options.endpoint ?? SECRET_MANAGER_URL).replace(/\/$/, '');
    this.#rest = new GcpRestClient({
      ...(options.auth ? { auth: options.auth } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      errorClass: SecretManagerApiError,
    });
  }

  /** What a read is called in errors, and its URL. */
  #call(path: string): [what: string, url: string] {
    return [`Secret Manager GET ${path.replace(/:access$/, '')}`, `${this.#base}/v1/${path}`];
  }

  /** The secret; an answer that is not the resource (not JSON, no `name`) is an error, never "present". */
  getSecret(name: string): Promise<GcpSecret> {
    return this.#rest.getResource(...this.#call(name));
  }

  /**
   * The most recently added version (`versions/latest`); as for the secret, an answer that is not
   * the resource (`null`, not JSON, no `name`) is an error of this secret, never a version.
   */
  getLatestVersion(name: string): Promise<GcpSecretVersion> {
    return this.#rest.getResource(...this.#call(`${name}/versions/latest`));
  }

  /**
   * `payload.data` is base64 bytes (https://cloud.google.com/secret-manager/docs/reference/rest/v1/SecretPayload);
   * proto3 JSON leaves empty bytes out, so a payload without `data` is an empty value. An answer
   * without `payload` (or not JSON, which {@link GcpRestClient.getJson} reads as `{}`) sent no value.
   */
  async accessLatest(name: string): Promise<Uint8Array | undefined> {
    // Its answer is the value: an error quotes nothing it said (./rest-request.ts answerHoldsSecret).
    const body = (await this.#rest.getJson(...this.#call(`${name}/versions/latest:access`), {
      answerHoldsSecret: true,
    })) as { payload?: { data?: unknown } };
    if (typeof body.payload !== 'object' || body.payload === null) return undefined;
    const data = body.payload.data ?? '';
    // Buffer.from would read a list or a {type: "Buffer"} object as bytes and skip characters base64
    // does not use: a value nobody sent would be judged. Nothing of the data is named.
    if (typeof data !== 'string' || !BASE64.test(data)) {
      const kind =
        typeof data === 'string'
          ? 'text with characters base64 does not use'
          : Array.isArray(data)
            ? 'a list'
            : data === null
              ? 'null'
              : `a ${typeof data}`;
      throw new SecretManagerApiError(
        `the API sent a payload whose data is not base64 text (${kind})`,
        200,
        PAYLOAD_NOT_BASE64,
      );
    }
    return Buffer.from(data, 'base64');
  }
}

/**
 * Why the latest version's own replicationStatus is missing: that version could not be read, or
 * its answer did not carry the status; undefined when the secret has no version.
 */
function statusUnread(
  latest: GcpSecretVersion | undefined,
  version: Reading<{ state: string }>,
): string | undefined {
  if (latest) return 'the API did not report the replicationStatus of its latest version';
  return version.state === 'unknown' ? `its latest version could not be read (${version.reason})` : undefined;
}

/** When the secret expires (`expireTime`). */
function deletionOf(secret: GcpSecret): Pick<KeySecretFact, 'deletionScheduled'> {
  return { deletionScheduled: timestampOf(secret.expireTime) };
}

/** The version number a version's resource name ends with (`7` of `projects/1/secrets/s/versions/7`). */
function versionNumberOf(name: string | undefined): string | undefined {
  return name === undefined ? undefined : /\/versions\/(\d+)$/.exec(name)?.[1];
}

/**
 * Whether a read failed for the service, not for the secret: no answer, a 5xx or 429, or any code
 * core/errors.ts counts as passing on its own (Google's ABORTED comes as 409, which
 * ./rest-request.ts does not retry): such an answer says nothing of the secret, and taking it for
 * one would leave the secret NOT_AVAILABLE in a project read as complete instead of failing it.
 */
function isServerSide(error: unknown): boolean {
  return (
    !(error instanceof SecretManagerApiError) ||
    error.status >= 500 ||
    error.status === 429 ||
    isTransient(error.code)
  );
}

/** Reads a Cloud KMS key's state once per key (version) in the scope (./cloud-kms.ts). */
type KeyReader = (keyName: string, versionName: string | undefined) => Promise<EncryptionKey>;

/**
 * Each replica's key: Google-managed, or the customer-managed Cloud KMS key with the state of the
 * key version that protects the latest version (the one that version names, else the key's primary).
 * A `customerManagedEncryption` left out is Google-managed, as the API documents it: "If no
 * configuration is provided, Google-managed default encryption is used" (Replication.Automatic and
 * UserManaged.Replica, https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets#replication);
 * only a replication left out entirely says nothing ({@link replicationSent}), and a setting sent
 * without its `kmsKeyName` says a customer-managed key not known ({@link settingOf}).
 *
 * The latest version's own status decides when it was sent: "Updates to the Secret encryption
 * configuration only apply to SecretVersions added afterwards. They do not apply retroactively to
 * existing SecretVersions" (same reference), and a version's CustomerManagedEncryptionStatus is
 * "only populated if customer-managed encryption is used"
 * (https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions#customermanagedencryptionstatus).
 * So a copy whose status names a key version is under that key, whatever the secret says now
 * (CMEK removed since), and a copy whose status was sent without one is Google-managed (CMEK set
 * since, as keys.cmk's own remediation does). Only without the version's status (not read, not
 * sent) is the secret's setting now taken, with its key's primary version, and marked `unproven`
 * with `unread` (why the status is missing): the version may predate the setting, a Google-managed
 * one too (CMEK removed since still encrypts the versions added while it was set). A secret with no
 * version at all (`unread` undefined, no `latest`) is judged by its setting, which its first
 * version will be encrypted with.
 */
function encryptionOf(
  secret: GcpSecret,
  latest: GcpSecretVersion | undefined,
  unread: string | undefined,
  readKey: KeyReader,
): Promise<EncryptionKey[]> {
  const automatic = secret.replication?.automatic;
  if (isMessage(automatic)) {
    // The automatic status, else a regional version's own CustomerManagedEncryptionStatus.
    const own = copyStatusOf(latest?.replicationStatus?.automatic);
    const regional = latest?.customerManagedEncryption;
    const status =
      own.sent || regional === undefined || regional === null
        ? own
        : copyStatusOf({ customerManagedEncryption: regional });
    return Promise.all([
      copyKey(
        settingOf(automatic.customerManagedEncryption),
        status.sent,
        status.named,
        readKey,
        unread,
        undefined,
      ),
    ]);
  }
  const sentStatuses: unknown = latest?.replicationStatus?.userManaged?.replicas;
  const statuses = Array.isArray(sentStatuses) ? sentStatuses.filter(isMessage) : [];
  return Promise.all(
    (userManagedReplicas(secret) ?? []).map((replica) => {
      const location = locationOf(replica);
      const status = copyStatusOf(
        location === undefined ? undefined : statuses.find((sent) => locationOf(sent) === location),
      );
      return copyKey(
        settingOf(replica.customerManagedEncryption),
        status.sent,
        status.named,
        readKey,
        unread,
        location,
      );
    }),
  );
}

/**
 * A named key version that cannot decrypt, with its key's primary version: Secret Manager encrypts
 * each new version with the key's primary, so the fix of lost key material (a new version of the
 * secret) fails while the primary is not ENABLED, and it may be the lost version itself. Only the
 * fix's words hang on it: a failed read is said there (`unreadReason`), never failing the scope.
 */
async function withKeyPrimary(key: EncryptionKey, readKey: KeyReader): Promise<EncryptionKey> {
  const keyName = key.version === undefined ? undefined : keyOfVersion(key.version);
  if (keyName === undefined || key.state === undefined || !UNUSABLE_KEY_STATES.has(key.state)) return key;
  try {
    const primary = await readKey(keyName, undefined);
    return {
      ...key,
      keyPrimary: {
        ...(primary.version === undefined ? {} : { version: primary.version }),
        ...(primary.state === undefined ? {} : { state: primary.state }),
        ...(primary.unreadReason === undefined ? {} : { unreadReason: primary.unreadReason }),
      },
    };
  } catch (error) {
    return { ...key, keyPrimary: { unreadReason: describeError(error) } };
  }
}

/**
 * What one copy's status of the latest version says of its key: `sent` with the key version it
 * `named`, `sent` naming none (Google-managed: the CMEK status is "only populated if
 * customer-managed encryption is used"), or not sent. A status that is no message, or whose CMEK
 * status is populated without a key version name as text (`kmsKeyVersionName` is required in it),
 * says nothing and counts as not sent: never as Google-managed.
 */
function copyStatusOf(status: unknown): { readonly sent: boolean; readonly named?: string } {
  if (!isMessage(status)) return { sent: false };
  const cmek: unknown = (status as GcpCmekStatus).customerManagedEncryption;
  if (cmek === undefined || cmek === null) return { sent: true };
  const named: unknown = isMessage(cmek)
    ? (cmek as { kmsKeyVersionName?: unknown }).kmsKeyVersionName
    : undefined;
  return typeof named === 'string' && named !== '' ? { sent: true, named } : { sent: false };
}

/**
 * A copy's customer-managed encryption setting: none (left out, or `null`, proto3 JSON's field not
 * set: Google-managed, as the API documents it), the Cloud KMS key it names, or a setting sent
 * without its key (`unnamed`: `kmsKeyName` is required in CustomerManagedEncryption, and a setting
 * that is no message names none either). Unnamed says the copy is under a customer-managed key,
 * and not which: not evaluated, never Google-managed.
 */
type CmekSetting =
  | { readonly kind: 'none' }
  | { readonly kind: 'key'; readonly name: string }
  | { readonly kind: 'unnamed' };

function settingOf(cmek: unknown): CmekSetting {
  if (cmek === undefined || cmek === null) return { kind: 'none' };
  const name: unknown = isMessage(cmek) ? (cmek as { kmsKeyName?: unknown }).kmsKeyName : undefined;
  return typeof name === 'string' && name !== '' ? { kind: 'key', name } : { kind: 'unnamed' };
}

/** What names the key of a copy whose setting was sent without its `kmsKeyName`. */
const KMS_KEY_NAME_NOT_SENT = 'customer-managed key (kmsKeyName not sent)';

/**
 * The key of one copy of the latest version: the key version its status names; Google-managed when
 * its status was sent naming none (`statusSent`); else the secret's key now (`setting`, its primary
 * version), a customer-managed key not known (a setting sent without its key name) or
 * Google-managed, each `unproven` with `unread` when there is a version.
 */
function copyKey(
  setting: CmekSetting,
  statusSent: boolean,
  named: string | undefined,
  readKey: KeyReader,
  unread: string | undefined,
  location: string | undefined,
): Promise<EncryptionKey> | EncryptionKey {
  // A user-managed copy's key says the location it encrypts: keys.replicated counts that copy only
  // when its key can decrypt it.
  const at = (key: EncryptionKey): EncryptionKey => (location === undefined ? key : { ...key, location });
  const configured = setting.kind === 'key' ? setting.name : undefined;
  if (named) {
    return readKey(keyOfVersion(named) ?? configured ?? named, named)
      .then((key) => withKeyPrimary(key, readKey))
      .then(at);
  }
  // Without the copy's status, the setting now is all there is: unproven when there is a version.
  const unproven =
    statusSent || unread === undefined
      ? undefined
      : location === undefined
        ? unread
        : `${unread} (its copy in ${location})`;
  if (configured && !statusSent) {
    const key = readKey(configured, undefined).then(at);
    return unproven === undefined ? key : key.then((read) => ({ ...read, unproven }));
  }
  if (setting.kind === 'unnamed' && !statusSent) {
    return at({
      id: location === undefined ? KMS_KEY_NAME_NOT_SENT : `${KMS_KEY_NAME_NOT_SENT} (${location})`,
      manager: 'CUSTOMER',
      kmsKeyNameNotSent: true,
      ...(unproven === undefined ? {} : { unproven }),
    });
  }
  return at({
    id: location === undefined ? 'google-managed' : `google-managed (${location})`,
    manager: 'PROVIDER',
    // The version's own status says Google-managed: a key set on the secret since, named or not.
    ...(configured ? { beforeCmek: configured } : {}),
    ...(setting.kind === 'unnamed' ? { beforeCmek: '(its kmsKeyName not sent)' } : {}),
    // A Google-managed setting too: CMEK removed since (`--remove-cmek`) still encrypts the versions added before.
    ...(unproven === undefined ? {} : { unproven }),
  });
}

/**
 * The user-managed replicas the API sent, or undefined when it sent none: `replicas` is required
 * and "cannot be empty"
 * (https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets#usermanaged), so
 * an answer without it (proto3 JSON leaves an empty list out) did not say where the copies are or
 * which keys encrypt them: not judged, never "no location" nor "Google-managed".
 */
function userManagedReplicas(secret: GcpSecret) {
  const replicas: unknown = secret.replication?.userManaged?.replicas;
  // A list whose every entry is a Replica message: an entry that is not one says neither where its
  // copy is nor which key encrypts it.
  return Array.isArray(replicas) && replicas.length > 0 && replicas.every(isMessage)
    ? (replicas as NonNullable<NonNullable<GcpSecret['replication']>['userManaged']>['replicas'])
    : undefined;
}

/**
 * Whether a proto3 JSON value is a set message: a JSON object. `null` is the field not set ("null
 * is accepted for all field types and treated as the default value",
 * https://protobuf.dev/programming-guides/json/), and anything else is no message of the schema.
 */
function isMessage(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The location a user-managed replica names, when it is text; else none (not reported). */
function locationOf(replica: { readonly location?: unknown }): string | undefined {
  return typeof replica.location === 'string' && replica.location !== '' ? replica.location : undefined;
}

/**
 * Whether the API sent the replication that holds the encryption settings: `automatic` (sent as
 * `{}` when it has no CMEK: a set message field of the oneof is kept), or user-managed replicas.
 */
function replicationSent(secret: GcpSecret): boolean {
  return isMessage(secret.replication?.automatic) || userManagedReplicas(secret) !== undefined;
}

function replicationOf(secret: GcpSecret): Reading<ReplicationFact> {
  if (isMessage(secret.replication?.automatic)) return { state: 'read', value: { kind: 'gcp-automatic' } };
  if (secret.replication?.userManaged) {
    const replicas = userManagedReplicas(secret);
    if (!replicas) {
      return { state: 'unknown', reason: 'the API did not report the user-managed replicas' };
    }
    const named = replicas.flatMap((replica) => {
      const location = locationOf(replica);
      return location === undefined ? [] : [location];
    });
    // Each location once: a location listed twice is one copy, never two.
    const locations = [...new Set(named)];
    // Fewer than two locations known while a replica did not say where it is: that replica may be
    // the second copy, so too few locations is not proven (two known ones prove enough).
    if (locations.length < 2 && named.length < replicas.length) {
      return {
        state: 'unknown',
        reason:
          'a user-managed replica did not report its location, so the copies known are not all there are',
      };
    }
    // The same with a location listed twice: Secret Manager keeps one replica per location, so the
    // repeated entry stands for a replica whose location was not sent as it is.
    if (locations.length < 2 && named.length > locations.length) {
      const repeated = [...new Set(named.filter((location, index) => named.indexOf(location) !== index))];
      return {
        state: 'unknown',
        reason: `the API listed the location ${repeated.join(', ')} more than once among the user-managed replicas (Secret Manager keeps one replica per location), so the copies known are not all there are`,
      };
    }
    return { state: 'read', value: { kind: 'gcp-user-managed', locations } };
  }
  return { state: 'unknown', reason: 'the API did not report the replication' };
}

/** Why a secret read at the start of the run is not judged: it was gone when asked again. */
const DELETED_DURING_RUN =
  'the secret was deleted during this run: it was read, then Secret Manager answered NOT_FOUND (404) for its latest version and for the secret itself, asked again';

/**
 * A secret asked again after `versions/latest` answered 404. That alias names the most recently
 * added version (https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/get),
 * and NOT_FOUND is the one code of both a secret without a version and a secret that does not exist
 * (the API reference documents no detail that tells them apart, and ./rest-request.ts keeps no
 * body's message): a secret deleted between its read and its version's would read as a secret
 * without a version, a FAILED `none` it no longer is. The secret itself answers: `present` (no
 * version), `gone` (deleted during the run), else why it is not known, with the secret read again
 * (`now`) when it answered as another secret of the same name ({@link recreation}: deleted and
 * created again since the first read, so the 404 may be the deleted one's). A server-side failure
 * throws, failing the scope as the first read's does.
 */
async function askAgain(
  api: SecretManagerApi,
  name: string,
  first: GcpSecret,
): Promise<
  | { readonly state: 'present' | 'gone' }
  | { readonly state: 'unknown'; readonly reason: string; readonly now?: GcpSecret }
> {
  try {
    const now = await api.getSecret(name);
    const recreated = recreation(first, now);
    if (recreated) {
      return {
        state: 'unknown',
        now,
        reason: `the secret was deleted and created again during this run (${recreated}): its latest version answered NOT_FOUND (404) in between, which may be the deleted secret's answer, and the versions of the secret there now were not read`,
      };
    }
    return { state: 'present' };
  } catch (error) {
    if (error instanceof SecretManagerApiError && error.status === 404) return { state: 'gone' };
    if (isServerSide(error)) throw error;
    return {
      state: 'unknown',
      reason: `its latest version answered NOT_FOUND (404), and the secret, asked again to tell no version from a secret deleted since, could not be read (${describeError(error)})`,
    };
  }
}

/**
 * Whether two reads of a secret name are of two secrets: their `createTime`s (output only, "The time
 * at which the Secret was created", https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets)
 * differ, compared as instants (the API writes 0, 3, 6 or 9 fractional digits). What differed, or
 * undefined when they are the same or either read did not send it (nothing tells them apart then;
 * `etag` changes on any update of the secret too, so it proves no re-creation).
 */
function recreation(first: GcpSecret, again: GcpSecret): string | undefined {
  const [before, after] = [first.createTime, again.createTime];
  if (typeof before !== 'string' || typeof after !== 'string' || before === after) return undefined;
  const [a, b] = [timestampOf(before)?.getTime(), timestampOf(after)?.getTime()];
  const same = a !== undefined && b !== undefined && !Number.isNaN(a) && !Number.isNaN(b) && a === b;
  return same ? undefined : `its createTime was ${before} when first read, ${after} when asked again`;
}

/** The APIs the GCP keys audit reads: Secret Manager, and Cloud KMS for the CMEK keys' state. */
export interface GcpKeyApis {
  readonly secretManager: SecretManagerApi;
  readonly cloudKms: CloudKmsApi;
}

/** The facts of one project's inventory secrets. */
export async function readGcpKeyFacts(
  { secretManager: api, cloudKms }: GcpKeyApis,
  project: string,
  policy: Policy,
  options: { readonly now: () => Date } = { now: () => new Date() },
): Promise<KeySecretFact[]> {
  const keys = policy.keys;
  if (!keys) return [];
  const { inventory, secrets: allSecrets } = keysInventoryOf(keys);
  const secrets = allSecrets.filter(
    ({ location }) => location.provider === 'gcp' && location.project === project,
  );
  const read = await Promise.all(
    secrets.map(async (secret) => {
      const name = secret.location.provider === 'gcp' ? secret.location.resourceName : '';
      try {
        const found = await api.getSecret(name);
        let version: Reading<{ state: string; scheduledDestroy?: Date; version?: string }>;
        let latest: GcpSecretVersion | undefined;
        try {
          latest = await api.getLatestVersion(name);
          const destroy = timestampOf(latest.scheduledDestroyTime);
          const number = versionNumberOf(latest.name);
          version =
            latest.state === undefined
              ? { state: 'unknown', reason: "the API did not report the latest version's state" }
              : {
                  state: 'read',
                  value: {
                    state: latest.state,
                    ...(destroy ? { scheduledDestroy: destroy } : {}),
                    ...(number ? { version: number } : {}),
                  },
                };
        } catch (error) {
          if (error instanceof SecretManagerApiError && error.status === 404) {
            const again = await askAgain(api, name, found);
            if (again.state === 'gone') return { secret, name, unread: DELETED_DURING_RUN };
            // Created again: the secret there now is the one judged, its versions not read.
            if (again.state === 'unknown' && again.now)
              return {
                secret,
                name,
                found: again.now,
                version: { state: 'unknown' as const, reason: again.reason },
              };
            version =
              again.state === 'unknown'
                ? { state: 'unknown', reason: again.reason }
                : { state: 'read', value: { state: 'none' } };
          } else if (isServerSide(error)) throw error;
          else version = { state: 'unknown', reason: describeError(error) };
        }
        return { secret, name, found, version, latest };
      } catch (error) {
        if (error instanceof SecretManagerApiError && error.status === 404)
          return { secret, name, absent: true };
        if (!isServerSide(error))
          return {
            secret,
            name,
            unread: describeError(error),
            remedy: readFailureRemedy(
              error,
              "the audit's service account secretmanager.secrets.get on this secret (roles/secretmanager.viewer holds it)",
            ),
          };
        throw new CloudApiError(
          `Secret Manager could not be read in project ${project}: ${describeError(error)}`,
          error instanceof SecretManagerApiError ? error.code : 'Unknown',
          { cause: error },
        );
      }
    }),
  );

  // Each distinct key (version) read once for the project's secrets.
  const readKey = cloudKmsKeyReader(cloudKms);
  const encryptions = await Promise.all(
    read.map((entry) =>
      'found' in entry && entry.found && replicationSent(entry.found)
        ? encryptionOf(entry.found, entry.latest, statusUnread(entry.latest, entry.version), readKey)
        : undefined,
    ),
  );

  let content = new Map<string, KeySecretFact['content']>();
  if (keys.inspectSecretValues) {
    const values = new Map<string, ValueReading>();
    const existing = new Set(read.filter((entry) => 'found' in entry).map((entry) => entry.name));
    // Secret Manager gives no value of a version that is not ENABLED (FAILED_PRECONDITION): say so
    // instead of asking, as for an AWS secret scheduled for deletion.
    const notEnabled = new Map(
      read.flatMap((entry) =>
        'version' in entry &&
        entry.version?.state === 'read' &&
        ['DISABLED', 'DESTROYED'].includes(entry.version.value.state)
          ? [[entry.name, entry.version.value.state] as const]
          : [],
      ),
    );
    for (const secret of secretsToRead(secrets, inventory)) {
      if (secret.location.provider !== 'gcp') continue;
      const name = secret.location.resourceName;
      if (secret.location.project === project && !existing.has(name)) continue;
      const state = notEnabled.get(name);
      if (state !== undefined) {
        values.set(secretKey(secret.location), {
          state: 'unknown',
          reason: `its latest version is ${state}, and Secret Manager gives no value of a version that is not ENABLED (see keys.not-deleting)`,
        });
        continue;
      }
      try {
        const binary = await api.accessLatest(name);
        values.set(
          secretKey(secret.location),
          binary
            ? { state: 'read', value: { binary } }
            : { state: 'unknown', reason: 'the API sent no payload for the latest version' },
        );
      } catch (error) {
        // A secret of another project (gcp.projects) read here only as a partner of this project's
        // items (a key's certificate, an issuer): its failure is that project's, which reads and
        // judges the secret in its own scope. Named, it leaves the pairing that needs it not
        // evaluated; it neither fails this project's read nor passes anything.
        const other = secret.location.project === project ? undefined : secret.location.project;
        const elsewhere = other === undefined ? '' : ` (${name}, in project ${other})`;
        if (isServerSide(error) && other !== undefined) {
          values.set(secretKey(secret.location), {
            state: 'unknown',
            reason: `its secret ${name} is in project ${other}, whose Secret Manager did not answer the read of its value (${describeError(error)}); the audit of project ${other} judges that secret`,
          });
          continue;
        }
        // A failure of the service says nothing of the value: it fails the project, as a get's does.
        if (isServerSide(error)) {
          throw new CloudApiError(
            `Secret Manager could not be read in project ${project}: ${describeError(error)}`,
            error instanceof SecretManagerApiError ? error.code : 'Unknown',
            { cause: error },
          );
        }
        const code = error instanceof SecretManagerApiError ? error.code : 'error';
        const remedy = readFailureRemedy(
          error,
          "the audit's service account secretmanager.versions.access on this secret (roles/secretmanager.secretAccessor holds it)",
        );
        values.set(secretKey(secret.location), {
          state: 'unknown',
          // Our own message, which names no byte of the payload; the API's messages are not repeated.
          reason:
            error instanceof SecretManagerApiError && error.status === 200 && code === PAYLOAD_NOT_BASE64
              ? `${error.message}${elsewhere}`
              : `access failed: ${code}${elsewhere}`,
          ...(remedy === undefined ? {} : { remedy }),
        });
      }
    }
    const holdsCa = secrets.some((secret) => secret.items.some((item) => item.id === 'ca-cert'));
    content = contentReadings(secrets, inventory, values, {
      now: options.now(),
      expiryHorizonDays: keys.expiryHorizonDays,
      liveCa: holdsCa ? await readLiveCa(keys.liveCa) : undefined,
    });
  }

  return read.map((entry, index): KeySecretFact => {
    const { secret, name } = entry;
    const resource = {
      provider: 'gcp' as const,
      account: project,
      region: 'global',
      type: 'GcpSecretManagerSecret' as const,
      id: name,
      selfLink: `${SECRET_MANAGER_URL}/v1/${name}`,
    };
    const contentReading = content.get(secretKey(secret.location)) ?? { state: 'not-inspected' as const };
    const found = 'found' in entry ? entry.found : undefined;
    const version = 'version' in entry ? entry.version : undefined;
    if (!found) {
      const missing =
        'unread' in entry
          ? { reason: entry.unread ?? '', remedy: 'remedy' in entry ? entry.remedy : undefined }
          : { absent: true as const };
      return unreadSecretFact(resource, secret, missing, contentReading);
    }
    return {
      resource,
      items: itemRefs(secret),
      existence: { state: 'read', value: true },
      ...deletionOf(found),
      // The encryption settings live inside the replication oneof: without it there is nothing to judge.
      encryption: encryptions[index]
        ? { state: 'read', value: encryptions[index] }
        : {
            state: 'unknown',
            reason: 'the API did not report the replication (or its replicas), which holds the encryption',
          },
      replication: replicationOf(found),
      ...(version ? { latestVersion: version } : {}),
      content: contentReading,
    };
  });
}

/**
 * The GCP clients a run needs when it reads Secret Manager: `base`'s, plus `secretManager()` and
 * `cloudKms()` (the state of the secrets' customer-managed keys).
 */
export interface GcpClientsWithSecretManager extends GcpClientSource {
  secretManager(): Promise<SecretManagerApi>;
  cloudKms(): Promise<CloudKmsApi>;
  close(): Promise<void>;
}

/**
 * The clients of `base` (the factory itself, or the factory with Cloud Storage) plus the Secret
 * Manager and Cloud KMS clients. With an endpoint they call that base URL unauthenticated (the
 * simulator serves Secret Manager and Cloud KMS on the port of Cloud SQL Admin and Cloud Storage). In production the factory
 * resolves the credentials first, so missing credentials are one CredentialsError before any
 * request, and the client signs its requests with that same resolved client. `retry` is how the
 * Secret Manager reads are retried: the REST client's defaults (./rest-request.ts) unless given;
 * tests whose subject is not the timing give a short first wait.
 */
export function withSecretManager(
  factory: GcpClientFactory,
  base: GcpClientSource = factory,
  retry?: SecretManagerRetry,
): GcpClientsWithSecretManager {
  const { storage, cloudKms, resourceManager } = base;
  return {
    cloudSql: () => base.cloudSql(),
    ...(storage ? { storage: () => storage.call(base) } : {}),
    // The dumps group's: without it no dump bucket is proven the policy project's.
    ...(resourceManager ? { resourceManager: () => resourceManager.call(base) } : {}),
    secretManager: lazyRestClient<SecretManagerApi>(
      factory,
      (options) => new SecretManagerRestClient({ ...options, ...(retry ? { retry } : {}) }),
    ),
    // The client only: the keys' states are cached per scope read (readGcpKeyFacts), never across
    // runs. `base`'s when it has one (withCloudStorage's), so the two audits share one client.
    cloudKms: cloudKms ? () => cloudKms.call(base) : cloudKmsClientOf(factory),
    close: () => factory.close(),
  };
}

/** The `keys` group's GCP collector: the inventory's Secret Manager secrets in one project. */
export const secretManagerKeysCollector: GcpCollector = async ({ clients, project, policy, now }) => {
  if (!clients.secretManager || !clients.cloudKms) {
    throw new Error('the GCP clients of this run have no Secret Manager and Cloud KMS clients');
  }
  return readGcpKeyFacts(
    { secretManager: await clients.secretManager(), cloudKms: await clients.cloudKms() },
    project,
    policy,
    { now },
  );
};
