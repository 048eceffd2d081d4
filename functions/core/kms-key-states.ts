/**
 * What a key's state says about decrypting with it, shared by every judge of a key: a secret's
 * (keys.not-deleting, AWS KMS and Cloud KMS), a dump bucket's default-encryption key and the newest
 * dump's own (dumps.protection), and a snapshot's (the readiness snapshot gate and the snapshot job,
 * functions/actions/snapshot/keys.ts). The two clouds' state names never collide (KMS `Enabled`,
 * Cloud KMS `ENABLED`). The expiry of a KMS key's imported key material is judged here too
 * ({@link judgeMaterialExpiry}).
 */
import { DEFAULT_EXPIRY_HORIZON_DAYS } from './keys-policy.ts';
import { placeholder, shellWord } from './shell-word.ts';

/**
 * KMS `KeyState`s in which data encrypted with the key cannot be decrypted now or soon
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html); `PendingImport`: an
 * EXTERNAL key whose material was never imported, or has expired or been deleted.
 */
const UNUSABLE_AWS_KEY_STATES = [
  'Disabled',
  'PendingDeletion',
  'PendingReplicaDeletion',
  'Unavailable',
  'PendingImport',
];

/**
 * Cloud KMS `CryptoKeyVersionState`s in which the version cannot decrypt now or soon
 * (https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys.cryptoKeyVersions#CryptoKeyVersionState):
 * DISABLED (material kept, may be enabled again), DESTROY_SCHEDULED (restorable until its
 * destroyTime), DESTROYED and the external-key destruction states (material gone), and the
 * versions that never got material (IMPORT_FAILED, GENERATION_FAILED).
 */
const UNUSABLE_GCP_KEY_STATES = [
  'DISABLED',
  'DESTROY_SCHEDULED',
  'DESTROYED',
  'PENDING_EXTERNAL_DESTRUCTION',
  'EXTERNAL_DESTRUCTION_FAILED',
  'IMPORT_FAILED',
  'GENERATION_FAILED',
];

export const UNUSABLE_KEY_STATES: ReadonlySet<string> = new Set([
  ...UNUSABLE_AWS_KEY_STATES,
  ...UNUSABLE_GCP_KEY_STATES,
]);

/** Whether an AWS KMS key identifier is an alias: `alias/…`, or an alias ARN (`arn:…:alias/…`). */
export function isKmsAlias(keyId: string): boolean {
  return /(^|:)alias\//.test(keyId);
}

/**
 * What an AWS KMS key DescribeKey no longer finds by its id or ARN (`EncryptionKey.deleted`) is, as
 * every judge of a key says it after the key's name: it cannot decrypt anything again, worse than any
 * unusable state (KMS deletes a key with its key material when its deletion waiting period ends:
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html).
 */
export const DELETED_KMS_KEY =
  'does not exist (DescribeKey: NotFoundException), deleted with its key material';

/** What is left to do about a deleted key (see {@link DELETED_KMS_KEY}): `instead`, a copy under a usable key. */
export function deletedKmsKeyFix(instead: string): string {
  return `The key cannot be restored: ${instead}.`;
}

/**
 * Key states in which data encrypted with the key can be decrypted: KMS `Enabled`, and `Updating`
 * (a multi-Region key whose primary Region is being changed, still usable in cryptographic
 * operations); Cloud KMS `ENABLED`. Any other state (one added later, KMS `Creating`, Cloud KMS
 * `PENDING_GENERATION` or `PENDING_IMPORT`) proves nothing either way.
 */
export const USABLE_KEY_STATES: ReadonlySet<string> = new Set(['Enabled', 'Updating', 'ENABLED']);

/**
 * The key a KMS command is to name: CancelKeyDeletion, EnableKey, ImportKeyMaterial and
 * GetParametersForImport take the key id or key ARN, not an alias
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_CancelKeyDeletion.html), so a key named
 * by an alias is named by the key it points to (`aliasTarget`) when DescribeKey said which. One shell
 * word ({@link shellWord}): the id came in an answer or the policy.
 */
function commandKeyId(key: { readonly id: string; readonly aliasTarget?: string | undefined }): string {
  return shellWord(key.aliasTarget ?? key.id);
}

/** ` --region <region>` for a key whose Region is known, as one shell word; '' else. */
function regionFlag(region: string | undefined): string {
  return region ? ` --region ${shellWord(region)}` : '';
}

/**
 * What to do about a KMS key in an unusable state (`Disabled`, `PendingDeletion`, …): the AWS CLI
 * commands that make it usable again. Cancelling a deletion leaves the key Disabled, so it must be
 * enabled too (https://docs.aws.amazon.com/kms/latest/APIReference/API_CancelKeyDeletion.html);
 * `Unavailable` is a key whose custom key store was disconnected, `PendingImport` one whose
 * imported material is missing, deleted or expired (key-state.html above). `orElse`: the caller's
 * alternative to restoring a key pending deletion (`take a snapshot encrypted with …`). Each command
 * names the key's `region` when it is known (`EncryptionKey.region`): without it the CLI goes to its
 * default region, where a replica region's key or another region's key ARN is not.
 */
export function kmsKeyFix(
  key: {
    readonly id: string;
    readonly state?: string | undefined;
    readonly region?: string | undefined;
    readonly aliasTarget?: string | undefined;
  },
  orElse?: string,
): string {
  const { state } = key;
  const id = commandKeyId(key);
  const region = regionFlag(key.region);
  const enable = `\`aws kms enable-key --key-id ${id}${region}\``;
  if (state === 'PendingDeletion' || state === 'PendingReplicaDeletion') {
    return `Cancel the key's deletion (\`aws kms cancel-key-deletion --key-id ${id}${region}\`, which leaves it Disabled) and enable it (${enable})${orElse ? `, or ${orElse}` : ''}.`;
  }
  if (state === 'Disabled') return `Enable the key (${enable}).`;
  // Each command with the arguments the CLI requires (CustomKeyStoreId is in DescribeKey's answer;
  // the import token and the material's wrapping key come from GetParametersForImport).
  if (state === 'Unavailable') {
    return `Reconnect the key's custom key store (\`aws kms connect-custom-key-store --custom-key-store-id ${placeholder('its CustomKeyStoreId')}${region}\`).`;
  }
  if (state === 'PendingImport') return `Import the key material again (${importMaterial(id, region)}).`;
  return 'Make the key usable (Enabled) again.';
}

/**
 * The commands that import a key's material again (the import token and the material's wrapping
 * key come from GetParametersForImport); `expiry`: the ImportKeyMaterial options that set when it expires.
 */
function importMaterial(id: string, region: string, expiry = ''): string {
  return `\`aws kms import-key-material --key-id ${id} --import-token ${placeholder('token')} --encrypted-key-material ${placeholder('material')}${expiry}${region}\`, both from \`aws kms get-parameters-for-import --key-id ${id}${region}\``;
}

/**
 * What to do about a KMS key whose imported key material expires (`ValidTo`): import the same
 * material again, this time without expiry; the expiry of an import cannot be changed otherwise
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_ImportKeyMaterial.html).
 */
export function kmsMaterialExpiryFix(key: {
  readonly id: string;
  readonly region?: string | undefined;
  readonly aliasTarget?: string | undefined;
}): string {
  const region = regionFlag(key.region);
  return `Import the same key material again without expiry (${importMaterial(commandKeyId(key), region, ' --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE')}); only the material imported before can be imported into this key.`;
}

/** When a KMS key's imported key material expires (`ValidTo`), as judged at a time against a horizon. */
export interface MaterialExpiry {
  readonly expires: Date;
  /**
   * `expired`: ValidTo is at or before now, KMS has deleted the material; `expiring`: fewer whole
   * days left than the horizon; `later`: beyond it.
   */
  readonly verdict: 'expired' | 'expiring' | 'later';
  /** Whole days left (floored; 0 within a day). */
  readonly daysLeft: number;
}

/**
 * The days before the expiry of a KMS key's imported key material at which every judge of the key
 * warns: the policy's `keys.expiryHorizonDays` (default {@link DEFAULT_EXPIRY_HORIZON_DAYS}), one
 * horizon whether the key encrypts a secret, dumps or a snapshot. The fix is the same import for
 * each, and one key may encrypt several of them: one horizon gives it one verdict.
 */
export function keyMaterialHorizonDays(policy: {
  readonly keys?: { readonly expiryHorizonDays?: number } | undefined;
}): number {
  return policy.keys?.expiryHorizonDays ?? DEFAULT_EXPIRY_HORIZON_DAYS;
}

/**
 * The expiry of a KMS key's imported key material (`EncryptionKey.materialExpires`, DescribeKey
 * `ValidTo`) at `now`: KMS deletes the material at ValidTo, and nothing the key encrypted can be
 * decrypted until the same material is imported again
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html, KeyMetadata.ValidTo).
 * Expired only once ValidTo is at or before now; less than a day left is `expiring`. Undefined
 * when the material does not expire (or ValidTo was not sent): not evaluated.
 */
export function judgeMaterialExpiry(
  expires: Date | undefined,
  now: Date,
  horizonDays: number,
): MaterialExpiry | undefined {
  if (expires === undefined) return undefined;
  const left = expires.getTime() - now.getTime();
  const daysLeft = Math.floor(left / 86_400_000);
  const verdict = left <= 0 ? 'expired' : daysLeft < horizonDays ? 'expiring' : 'later';
  return { expires, verdict, daysLeft };
}

/**
 * What an expiry says, after `the imported key material of <the key>`: `expired on <date>
 * (ValidTo): KMS deletes it then, and <lost> until the same material is imported again`, or
 * `expires on <date> (ValidTo, in 5 days): …`. `lost`: what cannot be decrypted then (`the backup
 * cannot be decrypted`). `left`: what replaces `in 5 days` when the days left are not to be counted
 * (they are counted from a clock shown to be wrong).
 */
export function materialExpiryWords(
  { expires, verdict, daysLeft }: MaterialExpiry,
  lost: string,
  left?: string,
): string {
  const date = expires.toISOString();
  if (verdict === 'expired') {
    return `expired on ${date} (ValidTo): KMS deletes it then, and ${lost} until the same material is imported again`;
  }
  const when =
    left ?? (daysLeft === 0 ? 'within a day' : `in ${daysLeft} ${daysLeft === 1 ? 'day' : 'days'}`);
  return `expires on ${date} (ValidTo, ${when}): KMS then deletes it, and ${lost} until the same material is imported again`;
}

/**
 * A Cloud KMS key version name (`projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/3`)
 * as the arguments of `gcloud kms keys versions enable|restore`
 * (https://cloud.google.com/sdk/gcloud/reference/kms/keys/versions/restore), each a shell word
 * ({@link shellWord}), or undefined when it is not a key version name.
 */
export function gcloudVersionArgs(version: string): string | undefined {
  const match =
    /^projects\/([^/]+)\/locations\/([^/]+)\/keyRings\/([^/]+)\/cryptoKeys\/([^/]+)\/cryptoKeyVersions\/([^/]+)$/.exec(
      version,
    );
  if (!match) return undefined;
  // Each part as one shell word: the name came in an answer, whose parts are not trusted to keep to
  // Cloud KMS's documented alphabet.
  const [, project, location, keyRing, key, id] = match.map((part) => shellWord(part));
  return `${id} --key=${key} --keyring=${keyRing} --location=${location} --project=${project}`;
}

/**
 * A Cloud KMS key name (`projects/p/locations/l/keyRings/r/cryptoKeys/k`) as the key arguments of
 * `gcloud kms keys set-primary-version` (`k --keyring=r --location=l --project=p`,
 * https://cloud.google.com/sdk/gcloud/reference/kms/keys/set-primary-version) and of `gcloud kms
 * keys versions create` (`--key=k --keyring=r --location=l --project=p`,
 * https://cloud.google.com/sdk/gcloud/reference/kms/keys/versions/create), each part one shell word;
 * undefined when it is not a key name.
 */
export function gcloudKeyArgs(
  keyName: string,
): { readonly positional: string; readonly flags: string } | undefined {
  const match = /^projects\/([^/]+)\/locations\/([^/]+)\/keyRings\/([^/]+)\/cryptoKeys\/([^/]+)$/.exec(
    keyName,
  );
  if (!match) return undefined;
  const [, project, location, keyRing, key] = match.map((part) => shellWord(part));
  const rest = `--keyring=${keyRing} --location=${location} --project=${project}`;
  return { positional: `${key} ${rest}`, flags: `--key=${key} ${rest}` };
}
