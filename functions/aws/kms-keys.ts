/**
 * KMS `DescribeKey` of the keys the audits meet: a secret's key and its replicas' (the keys audit),
 * a dump bucket's default-encryption key (the dumps audit). Once per key and region per run, in the
 * region that uses the key: a key id or alias that is not an ARN names a key of the region it is
 * used in, and the same alias may name another key in another region; an ARN names its own region.
 * Read through the lean JSON path (functions/aws/json-wire.ts); the KMS SDK module is loaded on the
 * first key described, so an audit that meets no key never loads it.
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html (`KeyManager`, `KeyState`;
 * `ValidTo`, sent only for imported key material that expires; `Arn`, the key an alias points to).
 */
import type { DescribeKeyResponse, KMSClient } from '@aws-sdk/client-kms';
import {
  type CloudApiError,
  callFailure,
  describeError,
  errorCode,
  explicitDenyIn,
  explicitDenyWords,
  isPermissionRefusal,
  readFailureRemedy,
  saysNothingOfTheResource,
} from '../core/errors.ts';
import type { EncryptionKey } from '../core/key-facts.ts';
import { isKmsAlias } from '../core/kms-key-states.ts';
import { shellWord } from '../core/shell-word.ts';
import { type AuditedAccount, type AwsClientFactory, sdkRetries } from './clients.ts';
import { type JsonShape, sendJson } from './json-wire.ts';

/** The `DescribeKey` members the audits read. */
export const DESCRIBE_KEY_SHAPE: JsonShape = {
  KeyMetadata: {
    struct: {
      Arn: 'string',
      KeyManager: 'string',
      KeyState: 'string',
      DeletionDate: 'timestamp',
      ValidTo: 'timestamp',
    },
  },
};

/**
 * The KMS client of a region of an account, from the one client factory (which caches it); the
 * KMS SDK module is loaded on the first client asked for.
 */
export async function kmsClientOf(
  factory: AwsClientFactory,
  region: string,
  account?: AuditedAccount,
): Promise<KMSClient> {
  const { KMSClient: Client } = await import('@aws-sdk/client-kms');
  return factory.client(Client, region, account);
}

/** The region of a KMS key or alias ARN, else undefined. */
export function regionOfKmsArn(key: string): string | undefined {
  return /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(key)?.[1];
}

/** The account of a KMS key or alias ARN, else undefined (a key id or alias name is the caller's). */
export function accountOfKmsArn(key: string): string | undefined {
  return /^arn:aws[a-z-]*:kms:[a-z0-9-]+:(\d{12}):/.exec(key)?.[1];
}

/**
 * 4xx codes that answer for the caller (its credentials or request signing refused), never for the resource
 * asked about: every later call of the scope gets the same (the AWS common errors,
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonErrors.html and
 * https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html, plus the expired or unknown
 * session token the JSON services answer). Throttling and a 4xx timeout answer for the caller too, and
 * are told by the shared test of a failed call (core/errors.ts saysNothingOfTheResource, {@link isPerResourceError}),
 * not listed here, so a code added there is never taken for one key's or secret's refusal.
 */
const CALLER_ERRORS: ReadonlySet<string> = new Set([
  'ExpiredTokenException',
  'ExpiredToken',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'RequestExpired',
]);

/**
 * Errors that answer for one resource (its permission, its state), not for the whole scope: a 4xx
 * that says something of the resource (core/errors.ts saysNothingOfTheResource: not throttling,
 * by code or HTTP 429, nor a 4xx timeout such as S3's `RequestTimeout`; such a call says nothing of
 * the resource, and taking it for one would leave a resource NOT_AVAILABLE in a scope read as
 * complete instead of failing the scope), and not the caller's credentials refused
 * ({@link CALLER_ERRORS}), which the shared test leaves to its callers: a refused caller is refused
 * for every resource of the scope. Anything else (a 5xx, no answer) fails the scope too.
 */
export function isPerResourceError(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return (
    status !== undefined &&
    status >= 400 &&
    status < 500 &&
    !CALLER_ERRORS.has(errorCode(error)) &&
    !saysNothingOfTheResource(error)
  );
}

/**
 * Who manages a key and its state. A key this caller may not describe (a 4xx) is still named, with
 * why it is unread; a key id or key ARN DescribeKey does not find (NotFoundException) is `deleted`
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html: "After the
 * waiting period ends, KMS deletes the KMS key, its key material, and all KMS data associated with
 * it, including all aliases that refer to it"); any other failure (throttling after retries, the
 * endpoint down) throws. A key's `remedy` says to do `again` once the read's fix is made
 * ({@link keyReadRemedy}: the audit is run again unless the caller says otherwise). With `namedIn`
 * (where the key id was read, e.g. a snapshot's KmsKeyId), a 4xx no grant fixes ({@link keyNotReadableRemedy}:
 * an alias not found, a name KMS does not take) says to check it there.
 */
export async function describeKmsKey(
  kms: KMSClient,
  keyId: string,
  again?: string,
  namedIn?: string,
): Promise<EncryptionKey> {
  try {
    const { DescribeKeyCommand } = await import('@aws-sdk/client-kms');
    const { KeyMetadata: key } = await sendJson<{ KeyId: string }, DescribeKeyResponse>(
      kms,
      DescribeKeyCommand,
      DESCRIBE_KEY_SHAPE,
      { KeyId: keyId },
    );
    return {
      id: keyId,
      manager:
        key?.KeyManager === 'CUSTOMER' ? 'CUSTOMER' : key?.KeyManager === 'AWS' ? 'PROVIDER' : undefined,
      state: key?.KeyState,
      deletionDate: key?.DeletionDate,
      ...(key?.ValidTo ? { materialExpires: key.ValidTo } : {}),
      // DescribeKey on an alias describes the key it points to now: say which.
      ...(isKmsAlias(keyId) && key?.Arn ? { aliasTarget: key.Arn } : {}),
    };
  } catch (error) {
    if (!isPerResourceError(error)) throw describeKeyFailure(error, keyId);
    if (errorCode(error) === 'NotFoundException' && !isKmsAlias(keyId)) {
      return {
        id: keyId,
        manager: undefined,
        deleted: true,
        unreadReason: `DescribeKey: NotFoundException: the key ${keyId} does not exist (KMS deletes a key and its key material when its deletion waiting period ends)`,
      };
    }
    const remedy =
      keyReadRemedy(error, keyId, again) ??
      (namedIn === undefined ? undefined : keyNotReadableRemedy(error, keyId, namedIn, again));
    return {
      id: keyId,
      manager: undefined,
      // A refusal a grant fixes; not an explicit deny, which no allow overrides (core/errors.ts).
      ...(isPermissionRefusal(error) ? { denied: true } : {}),
      unreadReason: unreadReasonOf(error, keyId),
      ...(remedy === undefined ? {} : { remedy }),
    };
  }
}

/**
 * What fixes a DescribeKey of `keyId` refused with a 4xx no grant fixes and that passes not on its
 * own ({@link keyReadRemedy} has none): an alias KMS does not have (NotFoundException; a key id or
 * key ARN not found is a deleted key), or a name KMS does not take (InvalidArnException, …): the
 * name where it was read (`names`, e.g. the KmsKeyId a snapshot names) is to be checked, never a
 * grant it does not lack.
 */
function keyNotReadableRemedy(
  error: unknown,
  keyId: string,
  names: string,
  again = 'run the audit again',
): string {
  const code = errorCode(error);
  if (code === 'NotFoundException' && isKmsAlias(keyId)) {
    return `KMS has no alias ${keyId} (NotFoundException): check ${names} and that the alias exists in its account and region (\`aws kms list-aliases\`), then ${again}.`;
  }
  return `KMS refused DescribeKey of ${keyId} with ${code}, which no grant fixes: check ${names}, that it names a key that exists (\`aws kms describe-key --key-id ${shellWord(keyId)}\`), then ${again}.`;
}

/**
 * A DescribeKey of `keyId` that failed for the call, not for the key: throttled, a server error or a
 * timeout once the client's retries are spent (core/errors.ts callFailure says which, and whether
 * the client retried it: {@link sdkRetries}), or the caller's credentials refused. The error that
 * fails an audit's scope ({@link describeKmsKey} throws it), and so the words the snapshot path
 * gives a key it could not read (functions/actions/snapshot/aws.ts): one rule for both.
 */
export function describeKeyFailure(error: unknown, keyId: string): CloudApiError {
  return callFailure(
    `KMS DescribeKey of ${keyId}`,
    `${errorCode(error)}: ${describeError(error)}`,
    error,
    sdkRetries(error),
  );
}

/**
 * What fixes a failed DescribeKey of `keyId` (core/errors.ts readFailureRemedy, naming the role
 * that made the call): the grant, what lifts an explicit deny, a read again for a failure that
 * passes on its own; undefined for any other. `again`: what to do once it is fixed (an audit is run
 * again; a snapshot's key is read again later).
 */
export function keyReadRemedy(error: unknown, keyId: string, again?: string): string | undefined {
  return readFailureRemedy(error, `${CALLING_ROLE} ${describeKeyGrant(keyId)}`, {
    role: CALLING_ROLE,
    ...(again === undefined ? {} : { again }),
  });
}

/** How the reason of a key whose DescribeKey was refused begins (words only: {@link keyReadDenied} reads `denied`). */
const DESCRIBE_KEY_DENIED = 'DescribeKey was denied (AccessDeniedException)';

/**
 * Whether a key is unread because DescribeKey was refused (AccessDeniedException) for want of a
 * grant: the only answer a missing grant gives, though not every such answer is one (an explicit
 * deny, which no allow overrides: core/errors.ts isPermissionRefusal). A key not found (`deleted`) or any other failure is not about the
 * caller's permissions, so no caller says a grant is why. Read from the `denied` fact
 * {@link describeKmsKey} records, never from the reason's words, which may be reworded.
 */
export function keyReadDenied(key: EncryptionKey): boolean {
  return key.denied === true;
}

/**
 * `key`, its unread reason ending with why the deployed roles lack the grant when that can be why:
 * DescribeKey was refused ({@link keyReadDenied}; a key KMS says does not exist is gone whatever the
 * roles are granted) and the key is in an account other than `account` that `listed`
 * (keys.kmsKeyAccounts) does not name. The deployed roles name only the audited accounts and the
 * listed key accounts (infra/permissions.ts). Shared by the keys audit and the snapshot key reader;
 * `again`: what its remedy says to do once the grant is made (the audit's run again by default).
 */
export function withUngrantedAccountNote(
  key: EncryptionKey,
  keyId: string,
  account: string,
  listed: readonly string[],
  again = 'run the audit again',
): EncryptionKey {
  const keyAccount = accountOfKmsArn(keyId);
  if (
    !keyReadDenied(key) ||
    keyAccount === undefined ||
    keyAccount === account ||
    listed.includes(keyAccount)
  )
    return key;
  return {
    ...key,
    unreadReason: `${key.unreadReason}; the key is in account ${keyAccount}, which keys.kmsKeyAccounts does not list, so the deployed roles are not granted it`,
    remedy: `List account ${keyAccount} in keys.kmsKeyAccounts and deploy again, so that the deployed roles are granted kms:DescribeKey on its keys, and let the key policy of ${keyId} allow the call, then ${again}.`,
  };
}

/** Who made the call, as a refusal of a key names it: the roles that describe keys through here. */
const CALLING_ROLE = 'the role that made the call (the audit, readiness, snapshot or chat-action role)';

/**
 * The permission DescribeKey of `keyId` needs, and where from: KMS authorizes it on another
 * account's key only when the caller's IAM policy and the key policy both allow it (KMS developer
 * guide, "Allowing users in other accounts to use a KMS key").
 */
function describeKeyGrant(keyId: string): string {
  return `kms:DescribeKey on ${keyId}, from its IAM policy and, for a key of another account, from the key policy`;
}

/**
 * Why a key is unread. An explicit deny says what lifts it (core/errors.ts explicitDenyWords: no
 * grant overrides it; only its policy type is taken from AWS's words, never the caller's ARN). Any
 * other denial names the permission and the key: KMS authorizes DescribeKey on
 * another account's key only when the caller's IAM policy and the key policy both allow it (KMS
 * developer guide, "Allowing users in other accounts to use a KMS key"). The audit, readiness, snapshot
 * and chat-action roles all describe keys through here, so the denied one is named by what it did,
 * not as "the audit role".
 */
function unreadReasonOf(error: unknown, keyId: string): string {
  const code = errorCode(error);
  const deny = code === 'AccessDeniedException' ? explicitDenyIn(error) : undefined;
  if (deny !== undefined) {
    return `DescribeKey was refused (${code}): ${explicitDenyWords(deny, CALLING_ROLE)}`;
  }
  if (code === 'AccessDeniedException') {
    return `${DESCRIBE_KEY_DENIED}: ${CALLING_ROLE} needs ${describeKeyGrant(keyId)}`;
  }
  return `DescribeKey failed: ${code}`;
}

/**
 * `describe(keyId, usedIn)`: {@link describeKmsKey} in the key's region (its ARN's, else `usedIn`),
 * once per key and region for the describer's life (one run), the key saying that region (`region`).
 * `kmsFor` gives that region's client; `again`, what a key's remedy says to do once fixed
 * ({@link describeKmsKey}); `namedIn`, where the key ids were read ({@link describeKmsKey}).
 */
export function kmsKeyDescriber(
  kmsFor: (region: string) => KMSClient | Promise<KMSClient>,
  again?: string,
  namedIn?: string,
): (keyId: string, usedIn: string) => Promise<EncryptionKey> {
  const described = new Map<string, Promise<EncryptionKey>>();
  return (keyId, usedIn) => {
    const region = regionOfKmsArn(keyId) ?? usedIn;
    const key = `${region} ${keyId}`;
    let reading = described.get(key);
    if (!reading) {
      reading = Promise.resolve(kmsFor(region))
        .then((kms) => describeKmsKey(kms, keyId, again, namedIn))
        .then((described) => ({ ...described, region }));
      described.set(key, reading);
    }
    return reading;
  };
}
