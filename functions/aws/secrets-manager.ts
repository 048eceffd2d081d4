/**
 * The key-material adapter for AWS: the inventory's secrets in one (account, region) read with
 * Secrets Manager `DescribeSecret` (ListSecrets lacks `ReplicationStatus`) and their KMS keys with
 * `DescribeKey` (once per distinct key), turned into {@link KeySecretFact}s.
 *
 * Metadata only by default. With `keys.inspectSecretValues` the values are read with
 * `BatchGetSecretValue` (20 per call) and analysed in memory (functions/core/key-material.ts); a
 * partner in another region or account (the certificate a key must match) is read with
 * `GetSecretValue`. Values never leave this process's memory and are dropped after the analysis.
 *
 * API facts: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html
 * (`KmsKeyId` omitted for the aws/secretsmanager key; `DeletedDate`; `ReplicationStatus`),
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html (`KeyManager`, `KeyState`).
 */
import { KMSClient } from '@aws-sdk/client-kms';
import {
  BatchGetSecretValueCommand,
  DescribeSecretCommand,
  type DescribeSecretResponse,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mapWithConcurrency } from '../core/audit.ts';
import {
  CloudApiError,
  describeError,
  errorCode,
  isTransient,
  readFailureRemedy,
  saysNothingOfTheResource,
  withoutCaller,
} from '../core/errors.ts';
import type {
  ContentReading,
  EncryptionKey,
  KeySecretFact,
  Reading,
  ReplicationFact,
} from '../core/key-facts.ts';
import {
  contentReadings,
  type InventorySecret,
  itemRefs,
  keysInventoryOf,
  secretsToRead,
  unreadSecretFact,
  type ValueReading,
} from '../core/key-material.ts';
import { type InventoryItem, secretKey } from '../core/keys-policy.ts';
import { readLiveCa } from '../core/live-ca.ts';
import { pageTokens } from '../core/paging.ts';
import type { AwsCollector, AwsScopeReader } from './collectors.ts';
import { type JsonShape, kindOf, prepareJson, sendJson, shapeMismatch } from './json-wire.ts';
import { isPerResourceError, kmsKeyDescriber, regionOfKmsArn, withUngrantedAccountNote } from './kms-keys.ts';
import { auditedAccountOf } from './planner.ts';

/** Secrets described at once per scope: bounds sockets and stays far below the API's rate limits. */
export const DESCRIBE_CONCURRENCY = 32;
/** `BatchGetSecretValue` takes at most 20 secret ids (`SecretIdListType` max 20). */
const BATCH_GET_MAX = 20;
/** BatchGetSecretValue pages in a row that answer nothing new, after which a batch stops asking. */
const BATCH_GET_EMPTY_PAGES = 3;
/** Value reads in flight at once per scope: the batches need nothing from each other, but a few suffice. */
export const BATCH_GET_CONCURRENCY = 4;
/** The AWS-managed key Secrets Manager uses when `KmsKeyId` is omitted. */
const DEFAULT_KEY_ALIAS = 'alias/aws/secretsmanager';

/**
 * The `DescribeSecret` members this adapter reads, decoded by the lean JSON path (functions/aws/json-wire.ts):
 * one call per inventory secret made the SDK's per-call pipeline most of the audit's CPU.
 */
export const DESCRIBE_SECRET_SHAPE: JsonShape = {
  ARN: 'string',
  Name: 'string',
  KmsKeyId: 'string',
  DeletedDate: 'timestamp',
  PrimaryRegion: 'string',
  VersionIdsToStages: { map: { list: 'string' } },
  ReplicationStatus: {
    list: { Region: 'string', KmsKeyId: 'string', Status: 'string', StatusMessage: 'string' },
  },
};

/** The scope's inventory secrets (the policy's `keys`, the whole inventory), in inventory order. */
function scopeSecrets(reader: AwsScopeReader) {
  const keys = reader.policy.keys;
  if (!keys) return undefined;
  const { inventory, secrets } = keysInventoryOf(keys);
  const inScope = secrets.filter(
    ({ location }) =>
      location.provider === 'aws' &&
      location.account === reader.account.accountId &&
      location.region === reader.region,
  );
  return { keys, inventory, secrets: inScope };
}

/**
 * Ready a scope's Secrets Manager client and its DescribeSecret route (json-wire's probe: the
 * endpoint, auth scheme and signer the client resolves; nothing is sent), so the scope's first
 * DescribeSecret does not wait for them.
 */
export function prepareAwsKeyFacts(reader: AwsScopeReader): void {
  const first = scopeSecrets(reader)?.secrets[0]?.location;
  if (first?.provider !== 'aws') return;
  const sm = reader.factory.client(SecretsManagerClient, reader.region, reader.account);
  void prepareJson(sm, DescribeSecretCommand, { SecretId: first.secretId });
}

/** The facts of one scope's inventory secrets. */
export async function collectAwsKeyFacts(reader: AwsScopeReader): Promise<KeySecretFact[]> {
  const { factory, account } = reader;
  const scope = { account: account.accountId, region: reader.region };
  const read = scopeSecrets(reader);
  if (!read) return [];
  const { keys, inventory, secrets } = read;
  if (secrets.length === 0) return [];
  const sm = factory.client(SecretsManagerClient, scope.region, account);
  // Each key in the region that uses it (a replica's region for a replica's key), with the scope's
  // credentials, also for another account's key ARN (KMS describes it when the key policy allows).
  const describeAnyKey = kmsKeyDescriber((region) => factory.client(KMSClient, region, account));
  const describeKey = async (keyId: string, region: string): Promise<EncryptionKey> =>
    withUngrantedAccountNote(await describeAnyKey(keyId, region), keyId, scope.account, keys.kmsKeyAccounts);

  // What each described secret's answer leads to (its keys, a replica's status at its primary)
  // starts as soon as that answer is in, while the scope's other secrets are still described: a
  // region's keys are not described one round trip after its last secret. Awaited only once every
  // secret is described, so a failed DescribeSecret still fails the scope first; until then a
  // rejection is held (not unhandled).
  const primaryClient = (region: string) => factory.client(SecretsManagerClient, region, account);
  const encryptionReads = new Array<Promise<Reading<readonly EncryptionKey[]>> | undefined>(secrets.length);
  const replicaReads = new Array<ReturnType<typeof replicaStatusOf> | undefined>(secrets.length);
  const follow = (response: DescribeSecretResponse, index: number): void => {
    const encryption = encryptionOf(response, scope.region, describeKey);
    encryption.catch(() => undefined);
    encryptionReads[index] = encryption;
    // replicaStatusOf answers a refusal of the primary as an unknown status and rejects on a failure
    // of the call, which fails the scope once every secret is described (held until then).
    if (isReplica(response, scope.region)) {
      const replica = replicaStatusOf(response, scope.region, primaryClient, describeKey);
      replica.catch(() => undefined);
      replicaReads[index] = replica;
    }
  };

  // Staggered: each request is written as it is made, not once the whole first round (a new socket
  // each) is prepared, so the first answers are back while the CPU still prepares the rest.
  const described = await mapWithConcurrency(
    secrets,
    DESCRIBE_CONCURRENCY,
    async (secret, index) => {
      const location = secret.location;
      if (location.provider !== 'aws') throw new Error('unreachable');
      let response: DescribeSecretResponse;
      try {
        response = await sendJson<{ SecretId: string }, DescribeSecretResponse>(
          sm,
          DescribeSecretCommand,
          DESCRIBE_SECRET_SHAPE,
          { SecretId: location.secretId },
        );
      } catch (error) {
        if (errorCode(error) === 'ResourceNotFoundException') return { secret, absent: true as const };
        // An error that answers for this secret (its permission, its state), not for the scope.
        if (isPerResourceError(error))
          return {
            secret,
            // The action and the resource, not the caller's ARN the message may name.
            unread: `DescribeSecret failed: ${withoutCaller(describeError(error))}`,
            remedy: readFailureRemedy(error, 'the audit role secretsmanager:DescribeSecret on this secret'),
          };
        throw new CloudApiError(
          `Secrets Manager DescribeSecret failed in ${scope.region} for account ${scope.account}: ${describeError(error)}`,
          errorCode(error),
          { cause: error },
        );
      }
      // An answer whose members are not of the API's types proves nothing of this secret.
      const mismatch = shapeMismatch(response, DESCRIBE_SECRET_SHAPE);
      if (mismatch) return { secret, unread: `DescribeSecret sent ${mismatch}, so its answer is not read` };
      follow(response, index);
      return { secret, response };
    },
    { start: 'doubling' },
  );

  // The values are read while the keys and the replicas' primaries answer: none needs the others.
  const [encryptions, content, replicaStatuses] = await Promise.all([
    Promise.all(encryptionReads),
    keys.inspectSecretValues ? inspect(reader, secrets, inventory, described) : Promise.resolve(undefined),
    Promise.all(replicaReads),
  ]);

  return described.map((entry, index): KeySecretFact => {
    const { secret } = entry;
    const location = secret.location as Extract<InventorySecret['location'], { provider: 'aws' }>;
    const response = 'response' in entry ? entry.response : undefined;
    const resource = {
      provider: 'aws' as const,
      account: scope.account,
      region: scope.region,
      type: 'AwsSecretsManagerSecret' as const,
      id: response?.Name ?? location.name,
      // The ARN as the inventory names it, never DescribeSecret's: the finding Id is made of it
      // (functions/publish/security-hub/asff.ts), and a secret that could not be described (denied,
      // absent) has no complete ARN to report. Taken from the answer, the Id of a secret named by its
      // name or partial ARN changed whenever it could not be read, and the scope, evaluated
      // completely, archived its findings as of a resource gone.
      ...(location.arn ? { arn: location.arn } : {}),
    };
    const contentReading = content?.get(secretKey(location)) ?? { state: 'not-inspected' as const };
    if (!response) {
      const missing =
        'absent' in entry
          ? { absent: true as const }
          : {
              reason: (entry as { unread: string }).unread,
              remedy: (entry as { remedy?: string | undefined }).remedy,
            };
      return unreadSecretFact(resource, secret, missing, contentReading);
    }
    return {
      resource,
      items: itemRefs(secret),
      existence: { state: 'read', value: true },
      deletionScheduled: response.DeletedDate,
      encryption: encryptions[index] ?? { state: 'unknown', reason: 'the secret was not described' },
      replication: replicationOf(response, replicaStatuses[index]),
      latestVersion: currentVersionOf(response),
      content: contentReading,
    };
  });
}

/**
 * Whether the secret holds a value, from a DescribeSecret answer: a version labelled AWSCURRENT
 * (`ENABLED`), or none (`none`). A secret created without SecretString or SecretBinary has no
 * version, and DescribeSecret "only returns fields that have a value in the response"
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html): its
 * answer has no `VersionIdsToStages` at all, so an answer without the map is a secret with no
 * version, as one with an empty map is. (A secret that has versions always has one labelled
 * AWSCURRENT: the label moves, it is never removed.)
 */
export function currentVersionOf(
  response: Pick<DescribeSecretResponse, 'VersionIdsToStages'>,
): NonNullable<KeySecretFact['latestVersion']> {
  const stages = response.VersionIdsToStages ?? {};
  const current = Object.values(stages).some((labels) => labels?.includes('AWSCURRENT'));
  return { state: 'read', value: { state: current ? 'ENABLED' : 'none' } };
}

async function encryptionOf(
  response: DescribeSecretResponse,
  region: string,
  describeKey: (keyId: string, region: string) => Promise<EncryptionKey>,
): Promise<Reading<readonly EncryptionKey[]>> {
  const ids = [
    { id: response.KmsKeyId, region },
    ...(response.ReplicationStatus ?? []).map((replica) => ({
      id: replica.KmsKeyId,
      region: replica.Region,
    })),
  ];
  const keys = await Promise.all(
    ids.map(({ id, region: keyRegion }, index) =>
      // DescribeSecret omits the secret's own KmsKeyId for aws/secretsmanager; a ReplicationStatus
      // entry names that key `alias/aws/secretsmanager` (the API reference's ReplicateSecretToRegions
      // example, the AWS CLI's describe-secret example), so an entry without one says nothing.
      index > 0 && id === undefined
        ? Promise.resolve<EncryptionKey>({
            id: 'KmsKeyId not sent',
            manager: undefined,
            unreadReason: `DescribeSecret's ReplicationStatus entry for the replica in ${keyRegion ?? 'an unnamed region'} did not send its KmsKeyId, so which key encrypts that replica is not known`,
          })
        : id === undefined || id === DEFAULT_KEY_ALIAS || id.endsWith(`:${DEFAULT_KEY_ALIAS}`)
          ? Promise.resolve<EncryptionKey>({
              // A replica's AWS-managed key is its own region's: named with the region, so a secret
              // and its replica on the default key do not read as the same key twice.
              id: `${id ?? 'aws/secretsmanager'}${keyRegion !== undefined && keyRegion !== region ? ` (${keyRegion})` : ''}`,
              manager: 'PROVIDER',
            })
          : keyRegion === undefined && regionOfKmsArn(id) === undefined
            ? Promise.resolve<EncryptionKey>({
                id,
                manager: undefined,
                // A key id or alias names a key of the region it is used in, which the entry left out.
                unreadReason: `DescribeSecret's ReplicationStatus entry for a replica did not send its Region, and the key id ${id} names no region, so which key it is is not known`,
              })
            : describeKey(id, keyRegion ?? region),
    ),
  );
  // The replicas' keys (after the secret's own) say whose they are; so does the secret's own when
  // it is itself a replica (its primary elsewhere).
  const own = isReplica(response, region) ? region : undefined;
  return {
    state: 'read',
    value: keys.map((key, index) => {
      const replicaRegion = index === 0 ? own : ids[index]?.region;
      if (replicaRegion !== undefined) return { ...key, replicaRegion };
      // An entry without Region is still a replica's: never worded as the secret's own key.
      return index === 0 ? key : { ...key, replicaRegionNotSent: true };
    }),
  };
}

/**
 * The Regions a `ReplicationStatus` lists more than once. A secret has at most one replica per
 * Region (ReplicateSecretToRegions: "a list of Regions in which to replicate the secret"), so two
 * entries of one Region cannot both be that replica's: which entry's status and key are its own is
 * not known, and a first-match read would judge the copy there by whichever came first.
 */
function regionsListedTwice(entries: readonly { readonly Region?: string | undefined }[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const { Region: region } of entries) {
    if (region === undefined) continue;
    if (seen.has(region)) repeated.add(region);
    seen.add(region);
  }
  return [...repeated];
}

function replicationOf(
  response: DescribeSecretResponse,
  asReplica: Extract<ReplicationFact, { kind: 'aws' }>['asReplica'],
): Reading<ReplicationFact> {
  const repeated = regionsListedTwice(response.ReplicationStatus ?? []);
  if (repeated.length > 0) {
    return {
      state: 'unknown',
      reason: `DescribeSecret listed the Region ${repeated.join(', ')} more than once in ReplicationStatus, and a secret has one replica per Region, so which entry (its status, its key) is that replica's is not known`,
    };
  }
  return { state: 'read', value: replicationFields(response, asReplica) };
}

function replicationFields(
  response: DescribeSecretResponse,
  asReplica: Extract<ReplicationFact, { kind: 'aws' }>['asReplica'],
): ReplicationFact {
  return {
    kind: 'aws',
    primaryRegion: response.PrimaryRegion,
    replicas: (response.ReplicationStatus ?? []).map((replica) => ({
      region: replica.Region,
      status: replica.Status,
      ...(replica.StatusMessage ? { statusMessage: replica.StatusMessage } : {}),
    })),
    ...(asReplica ? { asReplica } : {}),
  };
}

/** Whether a described secret is a replica: its primary is in another region. */
function isReplica(response: DescribeSecretResponse, region: string): boolean {
  return response.PrimaryRegion !== undefined && response.PrimaryRegion !== region;
}

/**
 * A replica's own replication status, from its primary: a replica's DescribeSecret names the
 * primary's region (`PrimaryRegion`) but not whether it is in sync; the primary's `ReplicationStatus`
 * lists each replica's region and status
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html). A
 * replica has its primary's name and ARN suffix in another region, so the primary is asked by the
 * same ARN with the primary's region.
 */
async function replicaStatusOf(
  response: DescribeSecretResponse,
  region: string,
  client: (region: string) => SecretsManagerClient,
  describeKey: (keyId: string, region: string) => Promise<EncryptionKey>,
): Promise<NonNullable<Extract<ReplicationFact, { kind: 'aws' }>['asReplica']>> {
  const primary = response.PrimaryRegion as string;
  const arn = /^(arn:[^:]+:secretsmanager:)[^:]+(:.+)$/.exec(response.ARN ?? '');
  if (!arn) {
    return {
      state: 'unknown',
      reason:
        'the replica did not report its ARN (DescribeSecret without ARN), by which its primary is asked',
    };
  }
  try {
    const answer = await sendJson<{ SecretId: string }, DescribeSecretResponse>(
      client(primary),
      DescribeSecretCommand,
      DESCRIBE_SECRET_SHAPE,
      { SecretId: `${arn[1]}${primary}${arn[2]}` },
    );
    const mismatch = shapeMismatch(answer, DESCRIBE_SECRET_SHAPE);
    if (mismatch) {
      return {
        state: 'unknown',
        reason: `the primary's DescribeSecret in ${primary} sent ${mismatch}, so its answer is not read`,
      };
    }
    const entries = (answer.ReplicationStatus ?? []).filter((replica) => replica.Region === region);
    if (entries.length > 1) {
      return {
        state: 'unknown',
        reason: `the primary lists ${region} more than once among its replicas (ReplicationStatus), so which entry is this replica's status is not known`,
      };
    }
    const entry = entries[0];
    if (entry && entry.Status === undefined) {
      return {
        state: 'unknown',
        reason: `the primary lists ${region} among its replicas without its Status`,
      };
    }
    const primaryKey = await primaryKeyOf(answer.KmsKeyId, primary, describeKey);
    return {
      state: 'read',
      value: {
        status: entry?.Status,
        ...(entry?.StatusMessage ? { statusMessage: entry.StatusMessage } : {}),
        ...(primaryKey ? { primaryKey } : {}),
      },
    };
  } catch (error) {
    // A failure that answers for the call (throttled, a server error, unreachable, the primary's
    // key described the same way) says nothing of the copy: the scope's read fails, as for the
    // replica's own DescribeSecret, rather than the secret left NOT_AVAILABLE in a scope read as
    // complete.
    if (error instanceof CloudApiError) throw error;
    if (!isPerResourceError(error)) {
      throw new CloudApiError(
        `Secrets Manager DescribeSecret of the primary in ${primary} failed: ${describeError(error)}`,
        errorCode(error),
        { cause: error },
      );
    }
    return {
      state: 'unknown',
      reason: `DescribeSecret of the primary in ${primary} failed: ${withoutCaller(describeError(error))}`,
    };
  }
}

/**
 * The KMS key of a replica's primary copy, described in the primary's region: the copy elsewhere
 * the replica counts on is lost when that key cannot decrypt it, and no other finding names it.
 * Undefined for the AWS-managed key (`KmsKeyId` left out, or aws/secretsmanager), which can be
 * neither disabled nor deleted. A describe refused for this key leaves the key unread (its state
 * undefined, not evaluated): the replica's status, read already, stands without it. A describe that
 * failed for the call (describeKmsKey throws then) fails the scope, as for the secret's own key.
 */
async function primaryKeyOf(
  keyId: string | undefined,
  primary: string,
  describeKey: (keyId: string, region: string) => Promise<EncryptionKey>,
): Promise<EncryptionKey | undefined> {
  if (keyId === undefined || keyId === DEFAULT_KEY_ALIAS || keyId.endsWith(`:${DEFAULT_KEY_ALIAS}`))
    return undefined;
  return await describeKey(keyId, primary);
}

/**
 * Why a secret's value was not read, from its BatchGetSecretValue error code. The secret was
 * described just before, so ResourceNotFoundException is its value that is missing: no version
 * labelled AWSCURRENT (GetSecretValue's "can't find the specified secret value for staging label:
 * AWSCURRENT"), as in a secret created without a value.
 */
function batchErrorReason(code: string | undefined): string {
  if (code === 'ResourceNotFoundException') {
    return 'BatchGetSecretValue: ResourceNotFoundException: the secret holds no value (no version labelled AWSCURRENT); add it with `aws secretsmanager put-secret-value`';
  }
  return `BatchGetSecretValue: ${code ?? 'error'}`;
}

/**
 * What a value read needs of the audit role beside BatchGetSecretValue itself: Secrets Manager
 * authorizes GetSecretValue on each secret it returns, and decrypts it with the secret's KMS key
 * under the caller's kms:Decrypt (infra/permissions.ts grants both for the inventory secrets).
 */
const VALUE_GRANT =
  'secretsmanager:GetSecretValue on this secret and kms:Decrypt on the KMS key that encrypts it';

/**
 * What fixes a value read that failed with `error` (core/errors.ts readFailureRemedy): the grant of
 * GetSecretValue and kms:Decrypt (`whole`: the BatchGetSecretValue call itself was refused, so its
 * own permission too), or what lifts an explicit deny. Only the policy type of a deny is read from
 * the error's message, never anything else of it: the service's words are not repeated.
 */
function valueReadRemedy(error: unknown, whole: boolean): { readonly remedy?: string } {
  const remedy = readFailureRemedy(
    error,
    whole
      ? 'the audit role secretsmanager:BatchGetSecretValue, and secretsmanager:GetSecretValue on this secret with kms:Decrypt on the KMS key that encrypts it'
      : `the audit role ${VALUE_GRANT}`,
  );
  return remedy === undefined ? {} : { remedy };
}

/** The value member this adapter reads as text. */
const SECRET_VALUE_SHAPE: JsonShape = { SecretString: 'string' };

/**
 * A secret's value as BatchGetSecretValue or GetSecretValue answered it. The SDK's JSON decoding
 * hands SecretString through as sent, and decodes SecretBinary (base64 text) to bytes only when it
 * is text: a structure, list or number there is not the secret's value, and the content analysis
 * would read (or throw on) what the API never defines. Such a value is not read, saying which field
 * came as what kind of value; never the value itself.
 */
function valueReadingOf(
  api: 'BatchGetSecretValue' | 'GetSecretValue',
  entry: { readonly SecretString?: string | undefined; readonly SecretBinary?: Uint8Array | undefined },
): ValueReading {
  const binary: unknown = entry.SecretBinary;
  const mismatch =
    shapeMismatch(entry, SECRET_VALUE_SHAPE) ??
    (binary === undefined || binary === null || binary instanceof Uint8Array
      ? undefined
      : `SecretBinary as ${kindOf(binary)} where the API defines binary (base64 text)`);
  if (mismatch) return { state: 'unknown', reason: `${api} sent ${mismatch}, so the value is not read` };
  return {
    state: 'read',
    value: {
      ...(entry.SecretString !== undefined ? { text: entry.SecretString } : {}),
      ...(entry.SecretBinary ? { binary: entry.SecretBinary } : {}),
    },
  };
}

/** Read the values the content check needs, analyse them, and drop them. */
async function inspect(
  reader: AwsScopeReader,
  secrets: readonly InventorySecret[],
  inventory: readonly InventoryItem[],
  described: readonly ({ secret: InventorySecret } & ({ response: DescribeSecretResponse } | object))[],
): Promise<Map<string, ContentReading>> {
  const { factory, policy, account, region } = reader;
  const scope = { account: account.accountId, region };
  const keys = policy.keys;
  if (!keys) return new Map();
  const existing = new Set(
    described.filter((entry) => 'response' in entry).map((entry) => secretKey(entry.secret.location)),
  );
  // Secrets Manager refuses the value of a secret marked for deletion (InvalidRequestException):
  // say so instead of asking.
  const deleting = new Set(
    described
      .filter((entry) => 'response' in entry && entry.response.DeletedDate !== undefined)
      .map((entry) => secretKey(entry.secret.location)),
  );
  const values = new Map<string, ValueReading>();
  const wanted = secretsToRead(secrets, inventory);
  const inScope = (location: InventorySecret['location']): boolean =>
    location.provider === 'aws' && location.account === scope.account && location.region === scope.region;
  for (const { location } of wanted) {
    if (deleting.has(secretKey(location))) {
      values.set(secretKey(location), {
        state: 'unknown',
        reason: 'the secret is scheduled for deletion, and Secrets Manager returns no value of such a secret',
      });
    }
  }
  // This scope's secrets that exist and can be read; a missing one has no value to read.
  const local = wanted.filter(
    ({ location }) =>
      inScope(location) && existing.has(secretKey(location)) && !deleting.has(secretKey(location)),
  );
  // Partners in other scopes (the certificate a key here must match), read one by one.
  const remote = wanted.filter(({ location }) => !inScope(location));
  const sm = factory.client(SecretsManagerClient, scope.region, account);
  const responses = new Map(
    described.flatMap((entry) =>
      'response' in entry ? [[secretKey(entry.secret.location), entry.response]] : [],
    ),
  );
  /**
   * The secret of `batch` that BatchGetSecretValue names by one of `named`: a value by its ARN and
   * name, an error by "the ARN or name of the secret" (APIErrorType.SecretId), either of which may
   * differ from the id sent; so the id sent, the name and ARN written, and those DescribeSecret
   * answered all count.
   */
  const namedBy = (batch: readonly InventorySecret[], ...named: (string | undefined)[]) =>
    batch.find((secret) => {
      const location = secret.location as { secretId: string; name: string; arn?: string };
      const response = responses.get(secretKey(secret.location));
      const names = [location.secretId, location.name, location.arn, response?.ARN, response?.Name];
      return named.some((id) => id !== undefined && names.includes(id));
    });
  const batches = Array.from({ length: Math.ceil(local.length / BATCH_GET_MAX) }, (_, index) =>
    local.slice(index * BATCH_GET_MAX, (index + 1) * BATCH_GET_MAX),
  );
  await mapWithConcurrency(batches, BATCH_GET_CONCURRENCY, async (batch) => {
    const ids = new Map(
      batch.map((secret) => [(secret.location as { secretId: string }).secretId, secretKey(secret.location)]),
    );
    // BatchGetSecretValue pages its answer (NextToken) like a listing; each page is asked again
    // with the same ids and the token.
    const nextToken = pageTokens('BatchGetSecretValue', 'RepeatedNextToken', 'NextToken');
    const answered = () => [...ids.values()].filter((key) => values.has(key)).length;
    // Secrets a page answered in error with a passing code (throttled, a server error): that says
    // nothing of the secret, so one still without its value once every page is read fails the scope.
    const passing = new Map<string, string>();
    try {
      let token: string | undefined;
      // Pages in a row that answered none of the batch's secrets still unanswered: a few are borne
      // (a paged answer may hold an empty page), but a fresh token on every empty page would be
      // asked for until the function timed out, with no report at all.
      let emptyPages = 0;
      do {
        const before = answered();
        const answer = await sm.send(
          new BatchGetSecretValueCommand({
            SecretIdList: [...ids.keys()],
            ...(token === undefined ? {} : { NextToken: token }),
          }),
        );
        for (const entry of answer.SecretValues ?? []) {
          const key = namedBy(batch, entry.ARN, entry.Name);
          if (key) {
            values.set(secretKey(key.location), valueReadingOf('BatchGetSecretValue', entry));
          }
        }
        for (const error of answer.Errors ?? []) {
          const key = namedBy(batch, error.SecretId);
          // A value read on another page was decrypted and stands: an error for the same secret on
          // a later page (or an earlier one, which the value then replaced above) takes nothing
          // back, so the outcome does not depend on the order of the pages.
          if (!key || values.get(secretKey(key.location))?.state === 'read') continue;
          // The service's message names the secret, never its value; keep only the code to be safe
          // (the remedy reads the policy type of an explicit deny from it, nothing more).
          values.set(secretKey(key.location), {
            state: 'unknown',
            reason: batchErrorReason(error.ErrorCode),
            ...(error.ErrorCode === undefined
              ? {}
              : valueReadRemedy({ name: error.ErrorCode, message: error.Message ?? '' }, false)),
          });
          if (error.ErrorCode !== undefined && isTransient(error.ErrorCode))
            passing.set(secretKey(key.location), error.ErrorCode);
        }
        token = nextToken(answer.NextToken);
        emptyPages = answered() > before ? 0 : emptyPages + 1;
        if (token !== undefined && emptyPages >= BATCH_GET_EMPTY_PAGES) {
          for (const key of ids.values()) {
            if (!values.has(key))
              values.set(key, {
                state: 'unknown',
                reason: `BatchGetSecretValue failed: EmptyPages (it answered ${emptyPages} pages in a row that named none of the secrets still unanswered, each with a new NextToken)`,
              });
          }
          break;
        }
      } while (token !== undefined);
    } catch (error) {
      if (saysNothingOfTheResource(error)) {
        // Only the code: the value read failed, and nothing of an answer about values is repeated.
        throw new CloudApiError(
          `Secrets Manager BatchGetSecretValue failed in ${scope.region} for account ${scope.account}: ${errorCode(error)}`,
          errorCode(error),
          { cause: error },
        );
      }
      // The values of the pages read before the failure stay; the others are unknown.
      const remedy = valueReadRemedy(error, true);
      for (const key of ids.values()) {
        if (!values.has(key))
          values.set(key, {
            state: 'unknown',
            reason: `BatchGetSecretValue failed: ${errorCode(error)}`,
            ...remedy,
          });
      }
    }
    const unanswered = [...passing].find(([key]) => values.get(key)?.state !== 'read');
    if (unanswered) {
      throw new CloudApiError(
        `Secrets Manager BatchGetSecretValue failed in ${scope.region} for account ${scope.account}: it answered a secret in error with ${unanswered[1]}`,
        unanswered[1],
      );
    }
    for (const key of ids.values()) {
      if (!values.has(key)) {
        values.set(key, {
          state: 'unknown',
          reason: 'BatchGetSecretValue answered neither its value nor an error for it',
        });
      }
    }
  });
  await mapWithConcurrency(remote, BATCH_GET_CONCURRENCY, async (secret) => {
    const location = secret.location;
    if (location.provider !== 'aws') return;
    const client = factory.client(
      SecretsManagerClient,
      location.region,
      auditedAccountOf(policy, location.account),
    );
    try {
      const entry = await client.send(new GetSecretValueCommand({ SecretId: location.secretId }));
      values.set(secretKey(location), valueReadingOf('GetSecretValue', entry));
    } catch (error) {
      if (saysNothingOfTheResource(error)) {
        throw new CloudApiError(
          `Secrets Manager GetSecretValue failed in ${location.region} for account ${location.account}, reading a secret the content checks of ${scope.region} need: ${errorCode(error)}`,
          errorCode(error),
          { cause: error },
        );
      }
      values.set(secretKey(location), {
        state: 'unknown',
        reason: `GetSecretValue failed: ${errorCode(error)}`,
      });
    }
  });
  const holdsCa = secrets.some((secret) => secret.items.some((item) => item.id === 'ca-cert'));
  const liveCa = holdsCa ? await readLiveCa(keys.liveCa) : undefined;
  return contentReadings(secrets, inventory, values, {
    now: reader.now(),
    expiryHorizonDays: keys.expiryHorizonDays,
    liveCa,
  });
}

/**
 * The `keys` group's AWS collector: the inventory's Secrets Manager secrets in one (account, region)
 * scope; it prepares a scope's client while the planner waits for STS ({@link prepareAwsKeyFacts}).
 */
export const secretsManagerKeysCollector: AwsCollector = Object.assign(
  (reader: AwsScopeReader) => collectAwsKeyFacts(reader),
  { prepare: prepareAwsKeyFacts },
);
