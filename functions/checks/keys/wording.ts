/**
 * Wording the keys checks share: how a secret is named in a finding, the documentation the
 * remediations point to, and the NOT_AVAILABLE outcome for facts that could not be read.
 */
import { type CheckOutcome, notEvaluated } from '../../core/check.ts';
import type { FindingValues, Provider, ResourceType } from '../../core/finding.ts';
import type { EncryptionKey, KeySecretFact } from '../../core/key-facts.ts';
import {
  deletedKmsKeyFix,
  gcloudKeyArgs,
  gcloudVersionArgs,
  isKmsAlias,
  UNUSABLE_KEY_STATES,
  USABLE_KEY_STATES,
} from '../../core/kms-key-states.ts';
import { placeholder, shellWord } from '../../core/shell-word.ts';

export const KEYS_RESOURCE_TYPES: readonly ResourceType[] = [
  'AwsSecretsManagerSecret',
  'GcpSecretManagerSecret',
];

export const DOCS = {
  smDelete: 'https://docs.aws.amazon.com/secretsmanager/latest/userguide/manage_delete-restore-secret.html',
  smReplicate: 'https://docs.aws.amazon.com/secretsmanager/latest/userguide/replicate-secrets.html',
  smEncryption: 'https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html',
  smCreate: 'https://docs.aws.amazon.com/secretsmanager/latest/userguide/create_secret.html',
  smUpdate: 'https://docs.aws.amazon.com/secretsmanager/latest/userguide/manage_update-secret-value.html',
  gsmCreate: 'https://cloud.google.com/secret-manager/docs/creating-and-accessing-secrets',
  gsmReplication: 'https://cloud.google.com/secret-manager/docs/choosing-replication',
  gsmCmek: 'https://cloud.google.com/secret-manager/docs/cmek',
  gsmEnableVersion: 'https://cloud.google.com/secret-manager/docs/enable-secret-version',
  certctlDr: 'https://github.com/certctl-io/certctl/blob/main/docs/operator/runbooks/disaster-recovery.md',
} as const;

/** Where a replica is whose `ReplicationStatus` entry did not send its Region. */
const REGION_NOT_SENT = 'a region DescribeSecret did not send (ReplicationStatus without Region)';

/** AWS: whether the key encrypts a replica, not the secret's own copy (its region sent or not). */
export function isReplicaKey(key: EncryptionKey): boolean {
  return key.replicaRegion !== undefined || key.replicaRegionNotSent === true;
}

/** The region of the replica a key encrypts, as a finding says it; undefined for the secret's own key. */
export function replicaPlace(key: EncryptionKey): string | undefined {
  return key.replicaRegion ?? (key.replicaRegionNotSent ? REGION_NOT_SENT : undefined);
}

/** The region a fix command names for the replica a key encrypts: `<replica-region>` when it was not sent. */
export function replicaCommandRegion(key: EncryptionKey): string | undefined {
  return key.replicaRegion ?? (key.replicaRegionNotSent ? '<replica-region>' : undefined);
}

/** The replica's region as an observed value: `not sent` when the entry left it out. */
export function replicaRegionValue(key: EncryptionKey): string | undefined {
  return key.replicaRegion ?? (key.replicaRegionNotSent ? 'not sent' : undefined);
}

/** `secret certctl/ca (ca-cert, ca-key)`. */
export function secretLabel(fact: KeySecretFact): string {
  return `secret ${fact.resource.id} (${fact.items.map((item) => item.id).join(', ')})`;
}

/**
 * A GCP secret as a `gcloud secrets versions` command names it: its short name and its project
 * (`ca --project=certctl-prod`). The short name alone resolves in gcloud's configured default
 * project, which a policy of several projects (gcp.projects) need not point at: the command would
 * then add a version to (or enable one of) a same-named secret elsewhere, or answer NOT_FOUND. The
 * project is the one the resource name says, as the Cloud KMS commands name theirs
 * (core/kms-key-states.ts gcloudVersionArgs).
 */
export function gcloudSecretArgs(fact: KeySecretFact): { readonly secret: string; readonly project: string } {
  const named = /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(fact.resource.id);
  // Each one shell word: the name came in an answer or the policy, and a DBA pastes the command.
  return named
    ? { secret: shellWord(named[2] as string), project: shellWord(named[1] as string) }
    : { secret: shellWord(fact.resource.id), project: shellWord(fact.resource.account) };
}

/**
 * `gcloud secrets versions enable 7 --secret=<secret> --project=<project>`: the command that enables
 * a GCP secret's latest version, by its number when the version read named it (`<version>` else).
 */
export function gcloudEnableLatest(fact: KeySecretFact): string {
  const { secret, project } = gcloudSecretArgs(fact);
  const read = fact.latestVersion?.state === 'read' ? fact.latestVersion.value.version : undefined;
  return `gcloud secrets versions enable ${read !== undefined ? shellWord(String(read)) : placeholder('version')} --secret=${secret} --project=${project}`;
}

/**
 * What a GCP finding about the latest version read: `versions/latest`, Secret Manager's alias of the
 * most recently added version; the older versions, which may hold a value, are not read.
 */
export const LATEST_VERSION_READ = 'the most recently added; older versions were not read';

/** `gcloud secrets versions add <secret> --project=<project> --data-file=${placeholder('file')}`, for a GCP secret. */
export function gcloudAddVersion(fact: KeySecretFact): string {
  const { secret, project } = gcloudSecretArgs(fact);
  return `gcloud secrets versions add ${secret} --project=${project} --data-file=${placeholder('file')}`;
}

/** The items a finding is about, as an observed value. */
export function itemsValue(fact: KeySecretFact): string {
  return fact.items.map((item) => item.id).join(',');
}

/** The outcome when a fact this check needs could not be read: never PASSED. */
export function notAvailable(
  fact: KeySecretFact,
  what: string,
  observed: FindingValues,
  required: FindingValues,
  remedy?: string,
): CheckOutcome {
  const outcome = notEvaluated(secretLabel(fact), what, { items: itemsValue(fact), ...observed }, required);
  // What fixes the failed read (the grant, an explicit deny, a run again: core/key-facts.ts Reading),
  // in place of the check's own fix, which is for a secret that is there to read.
  return remedy === undefined ? outcome : { ...outcome, remediationText: remedy };
}

/** When the secret is absent or unknown, the metadata checks have nothing to judge. */
export function absentOutcome(fact: KeySecretFact, required: FindingValues): CheckOutcome | undefined {
  if (fact.existence.state === 'unknown')
    return notAvailable(fact, fact.existence.reason, {}, required, fact.existence.remedy);
  if (!fact.existence.value)
    return notAvailable(fact, 'the secret does not exist (see keys.present)', { present: false }, required);
  return undefined;
}

/**
 * AWS: the commands that put replicas of a secret under another key: a replica's key is set only
 * when it is added (ReplicateSecretToRegions AddReplicaRegions[].KmsKeyId), so each is removed and
 * added again with the key, both from the primary's region (a replica's answer names it:
 * PrimaryRegion). `remove the replica (…) and add it again with the key (…)`.
 */
export function replicasRekeyed(fact: KeySecretFact, regions: readonly string[]): string {
  const replication = fact.replication.state === 'read' ? fact.replication.value : undefined;
  const primary = replication?.kind === 'aws' ? replication.primaryRegion : undefined;
  const where = ` --region ${shellWord(primary ?? fact.resource.region)}`;
  const one = regions.length === 1;
  const secret = shellWord(fact.resource.id);
  return `remove the ${one ? 'replica' : 'replicas'} (\`aws secretsmanager remove-regions-from-replication --secret-id ${secret} --remove-replica-regions ${regions.map((region) => shellWord(region)).join(' ')}${where}\`) and add ${one ? 'it' : 'them'} again with the key (\`aws secretsmanager replicate-secret-to-regions --secret-id ${secret} --add-replica-regions ${regions.map((region) => `Region=${shellWord(region)},KmsKeyId=${placeholder('key-arn')}`).join(' ')}${where}\`)`;
}

/**
 * Whether a key is known not to decrypt what it encrypts: a state in which it cannot (Disabled,
 * PendingDeletion, …), or deleted with its key material. A key named by an alias is not judged: the
 * alias may have been moved since the copy was written (keys.not-deleting's aliasNotProven); nor is
 * a key whose state was not read (keys.not-deleting says so).
 */
export function cannotDecrypt(key: EncryptionKey): boolean {
  if (isKmsAlias(key.id) || key.unproven !== undefined) return false;
  return key.deleted === true || (key.state !== undefined && UNUSABLE_KEY_STATES.has(key.state));
}

/**
 * Why a copy's key does not prove the copy can be decrypted ({@link keyNotProven}), and, when the
 * reason is a read of the key that failed, what fixes that read (the key's `remedy`).
 */
export interface KeyNotProven {
  readonly why: string;
  readonly remedy?: string;
}

/**
 * GCP: what is known of a copy whose customer-managed encryption setting came without its
 * `kmsKeyName` (EncryptionKey.kmsKeyNameNotSent): a customer-managed key, not which.
 */
export const KMS_KEY_NAME_NOT_SENT =
  'the API sent its customer-managed encryption setting without its kmsKeyName, which names the Cloud KMS key';

/**
 * GCP: the copies whose setting named no key ({@link KMS_KEY_NAME_NOT_SENT}), as a finding says
 * them: `the secret` (automatic replication), `its copy in europe-west4`, …
 */
export function unnamedKeyCopies(keys: readonly EncryptionKey[]): string {
  return keys
    .map((key) => (key.location !== undefined ? `its copy in ${key.location}` : 'the secret'))
    .join(', ');
}

/**
 * Why a key that is not known to fail ({@link cannotDecrypt}) does not prove either that the copy it
 * encrypts can be decrypted, said of that copy (`the replica in us-east-1 is under the KMS key …,
 * which could not be read (…)`); undefined when it does: a provider-managed key (AWS-managed,
 * Google-managed), which needs no KMS read, or a key read by its id in a usable state. Not proven: a
 * key only the secret's setting names (`unproven`, customer- or Google-managed), one named by an alias (keys.not-deleting's
 * aliasNotProven: the alias may have been moved since the copy was written), one whose state was
 * not read, or one in a state not known to be usable. A key whose read failed carries the adapter's
 * fix of that read (`remedy`: the grant, what lifts an explicit deny…), said for the copy
 * ({@link copyRemedy}).
 */
export function keyNotProven(key: EncryptionKey, provider: Provider, copy: string): KeyNotProven | undefined {
  if (key.kmsKeyNameNotSent)
    return { why: `which key encrypts ${copy} is not known (${KMS_KEY_NAME_NOT_SENT})` };
  // Only the secret's setting, not the copy's own status (GCP): the copy may be under another key
  // than the setting names, a Google-managed setting included: a customer-managed key removed since
  // (`--remove-cmek`) still encrypts the versions added while it was set, in a state no one read
  // (keys.not-deleting says the same).
  if (key.unproven !== undefined) return { why: `which key encrypts ${copy} is not known (${key.unproven})` };
  if (key.manager === 'PROVIDER') return undefined;
  const under = `${copy} is under the ${provider === 'gcp' ? `Cloud KMS key ${key.version ?? key.id}` : `KMS key ${key.id}`}`;
  if (provider === 'aws' && isKmsAlias(key.id))
    return {
      why: `${under}, an alias that may have been moved to another key since the copy was written (see keys.not-deleting)`,
    };
  if (key.state === undefined) {
    const why = `${under}, which could not be read (${key.unreadReason ?? 'no state'})`;
    return key.remedy === undefined ? { why } : { why, remedy: key.remedy };
  }
  if (!USABLE_KEY_STATES.has(key.state))
    return { why: `${under}, in state ${key.state}, which this audit does not know to be usable` };
  return undefined;
}

/**
 * A fix of a copy's key (`remedy`, a sentence), said for the copy when the fix alone may not say
 * where it is: `For the replica in us-east-1 (its KMS key k, in us-east-1): grant …`. AWS names the
 * key's Region, as a key id or alias names a key of the Region it is read in; GCP key names carry
 * their location. `copy` undefined (the one key of GCP automatic replication, which encrypts every
 * copy): the fix as it is.
 */
export function copyRemedy(
  remedy: string,
  copy: string | undefined,
  key?: { readonly id: string; readonly region?: string | undefined },
): string {
  if (copy === undefined) return remedy;
  const named = key === undefined ? '' : ` (its KMS key ${key.id}${key.region ? `, in ${key.region}` : ''})`;
  // Lower case to follow the colon, unless it starts an acronym (VPC…).
  const said = /^[A-Z](?![A-Z])/.test(remedy) ? `${remedy[0]?.toLowerCase()}${remedy.slice(1)}` : remedy;
  return `For ${copy}${named}: ${said}`;
}

/** The distinct fixes of `remedies` (undefined left out) as one remediation, or undefined when there is none. */
export function joinedRemedies(remedies: readonly (string | undefined)[]): string | undefined {
  const distinct = [...new Set(remedies.filter((remedy) => remedy !== undefined))];
  return distinct.length === 0 ? undefined : distinct.join(' ');
}

/**
 * A date as ISO 8601, or undefined when the API sent a time that does not parse (an Invalid Date):
 * the field's presence still says the deletion is scheduled, its time is not known.
 */
export function isoOf(date: Date): string | undefined {
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** `on <date>`, or what is known of a time the API sent unreadable. */
export function onDate(date: Date): string {
  return isoOf(date) === undefined
    ? 'at a time the API sent in a form that does not parse'
    : `on ${isoOf(date)}`;
}

/** `KMS key` (AWS) or `Cloud KMS key` (GCP). */
export function keyNoun(fact: KeySecretFact): string {
  return fact.resource.provider === 'gcp' ? 'Cloud KMS key' : 'KMS key';
}

/**
 * An AWS key and the copy it encrypts: `k of the secret …`, or, for a replica's key (its own
 * region's), `k (us-east-1) of the replica in us-east-1 of the secret …`.
 */
export function copyOf(fact: KeySecretFact, key: EncryptionKey): string {
  // A key named by an alias: the key DescribeKey found behind it, which the fix commands name.
  const target = key.aliasTarget && isKmsAlias(key.id) ? `pointing to ${key.aliasTarget} now` : undefined;
  const notes = [key.replicaRegion, target].filter((note) => note !== undefined);
  const named = notes.length > 0 ? `${key.id} (${notes.join(', ')})` : key.id;
  const replica = replicaPlace(key);
  return replica === undefined
    ? `${named} of the ${secretLabel(fact)}`
    : `${named} of the replica in ${replica} of the ${secretLabel(fact)}`;
}

/** The alias a key is named by and the key it points to now, as observed values. */
export function aliasOf(key: EncryptionKey): FindingValues {
  if (!isKmsAlias(key.id)) return {};
  return { kmsAlias: key.id, ...(key.aliasTarget ? { aliasTarget: key.aliasTarget } : {}) };
}

/** The replica a key encrypts, as an observed value. */
export function replicaOf(key: EncryptionKey): FindingValues {
  const region = replicaRegionValue(key);
  return region === undefined ? {} : { replicaRegion: region };
}

/**
 * What to do about a Cloud KMS key version that cannot decrypt a GCP secret, by its state: restore
 * then enable one scheduled for destruction, enable a DISABLED one, or, the material being gone, add
 * a new version of the secret. Secret Manager encrypts that new version with the key's primary
 * version, so the key's primary is said too ({@link primaryStep}): the lost version itself, another
 * version not ENABLED, or one whose state could not be read, each with the commands that give the
 * key a usable primary first.
 */
export function cloudKmsKeyFix(fact: KeySecretFact, key: EncryptionKey): string {
  const args = key.version ? gcloudVersionArgs(key.version) : undefined;
  const restore = args
    ? `\`gcloud kms keys versions restore ${args}\``
    : '`gcloud kms keys versions restore`';
  const enable = args ? `\`gcloud kms keys versions enable ${args}\`` : '`gcloud kms keys versions enable`';
  const step = primaryStep(key);
  if (key.state === 'DESTROY_SCHEDULED' || key.state === 'DISABLED') {
    const fix =
      key.state === 'DESTROY_SCHEDULED'
        ? `Restore the key version before it is destroyed, then enable it: ${restore}, then ${enable}.`
        : `Enable the key version: ${enable}.`;
    // Restored and enabled, this version decrypts again; a primary that is another version not
    // ENABLED still refuses the next version of the secret.
    return step?.other ? `${fix} ${step.words}` : fix;
  }
  const add = `add a new version of the secret from the live file (\`${gcloudAddVersion(fact)}\`)`;
  if (step === undefined) return `The key material is gone: ${add}.`;
  return step.other
    ? `The key material is gone: ${add}. First, ${step.words}`
    : `The key material is gone, and ${step.words}, then ${add}.`;
}

/**
 * What the key's primary version asks before a new version of the secret can be encrypted:
 * `other` when it is another version than the lost one (`words` a sentence of its own), else
 * words that continue the sentence about the lost version (it is the primary, or the primary
 * was not read). Undefined when the primary is another version that is ENABLED.
 */
function primaryStep(key: EncryptionKey): { readonly other: boolean; readonly words: string } | undefined {
  // The key a version name belongs to, else the key the secret named.
  const keyArgs =
    (key.version && gcloudKeyArgs(key.version.replace(/\/cryptoKeyVersions\/[^/]+$/, ''))) ||
    gcloudKeyArgs(key.id);
  const setPrimary = keyArgs
    ? `\`gcloud kms keys set-primary-version ${keyArgs.positional} --version=${placeholder('enabled-version')}\``
    : '`gcloud kms keys set-primary-version`';
  const create = keyArgs
    ? `\`gcloud kms keys versions create ${keyArgs.flags} --primary\``
    : '`gcloud kms keys versions create --primary`';
  const makePrimary = `make an ENABLED version of the key primary (${setPrimary}), or create one as primary (${create})`;
  const primary = key.keyPrimary;
  const isThis = key.primary === true || (primary?.version !== undefined && primary.version === key.version);
  if (isThis) {
    return {
      other: false,
      words: `${key.version ?? 'it'} is also the key's primary version, which Secret Manager encrypts new versions with: ${makePrimary}`,
    };
  }
  if (primary === undefined || primary.state === undefined) {
    const why =
      primary?.unreadReason !== undefined ? `could not be read (${primary.unreadReason})` : 'was not read';
    return {
      other: false,
      words: `the key's primary version, which Secret Manager encrypts new versions with, ${why}: if it is not ENABLED (it may be this very version), ${makePrimary}`,
    };
  }
  if (USABLE_KEY_STATES.has(primary.state)) return undefined;
  const versionArgs = primary.version ? gcloudVersionArgs(primary.version) : undefined;
  const enablePrimary = versionArgs
    ? `\`gcloud kms keys versions enable ${versionArgs}\``
    : '`gcloud kms keys versions enable`';
  const own =
    primary.state === 'DISABLED'
      ? `enable it (${enablePrimary}), or `
      : primary.state === 'DESTROY_SCHEDULED'
        ? `restore and enable it (${versionArgs ? `\`gcloud kms keys versions restore ${versionArgs}\`` : '`gcloud kms keys versions restore`'}, then ${enablePrimary}), or `
        : '';
  return {
    other: true,
    words: `the key's primary version ${primary.version ?? '(its name not sent)'}, which Secret Manager encrypts new versions with, is ${primary.state}: ${own}${makePrimary}.`,
  };
}

/**
 * AWS: what is left to do about a secret's KMS key that no longer exists (its `deleted`): store the
 * value again as a new secret under a usable key, or, for a replica's key, make the replica again
 * from the primary under a usable key of its region.
 */
export function deletedKeyFix(fact: KeySecretFact, key: EncryptionKey): string {
  return deletedKmsKeyFix(
    !isReplicaKey(key)
      ? `store the value certctl runs with again under a usable key, as a new secret (\`aws secretsmanager create-secret --name ${placeholder('name')} --kms-key-id ${placeholder('key')} --secret-string file://${placeholder('file')}\`, the file in its CERTCTL_*_PATH setting), and point the inventory at it`
      : `re-create the replica under a usable key of ${replicaPlace(key)}: ${replicasRekeyed(fact, [replicaCommandRegion(key) as string])}`,
  );
}
