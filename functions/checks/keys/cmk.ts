/**
 * `keys.cmk`: the secret is encrypted with a customer-managed key. The AWS-managed default key
 * (`aws/secretsmanager`) cannot be shared with another account, so a backup under it cannot be
 * recovered cross-account (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html).
 * On GCP Google-managed encryption does not block recovery: a WARNING, not a failure.
 *
 * Who manages the key is not all: a customer-managed key pending deletion or disabled (a Cloud KMS
 * key version scheduled for destruction or disabled) protects the backup only until it is deleted,
 * or not at all, so it fails here too (keys.not-deleting judges the loss), as does a key DescribeKey
 * no longer finds (deleted with its key material: see deletedKey). A customer-managed key
 * whose state was not read (KeyState not sent, the Cloud KMS read refused) or is a state not known
 * to be usable is not evaluated: its manager alone proves no protection. Nor is a GCP copy whose
 * customer-managed setting was sent without its `kmsKeyName`: a key not known, never Google-managed.
 */
import type { Check, CheckOutcome } from '../../core/check.ts';
import type { FindingValues } from '../../core/finding.ts';
import type { EncryptionKey, KeySecretFact } from '../../core/key-facts.ts';
import {
  DELETED_KMS_KEY,
  isKmsAlias,
  kmsKeyFix,
  UNUSABLE_KEY_STATES,
  USABLE_KEY_STATES,
} from '../../core/kms-key-states.ts';
import { placeholder, shellWord } from '../../core/shell-word.ts';
import {
  absentOutcome,
  aliasOf,
  cloudKmsKeyFix,
  copyOf,
  DOCS,
  deletedKeyFix,
  gcloudAddVersion,
  gcloudSecretArgs,
  isoOf,
  isReplicaKey,
  itemsValue,
  KEYS_RESOURCE_TYPES,
  keyNoun,
  notAvailable,
  onDate,
  replicaCommandRegion,
  replicaOf,
  replicaPlace,
  replicaRegionValue,
  replicasRekeyed,
  secretLabel,
  unnamedKeyCopies,
} from './wording.ts';

export const keysCmkCheck: Check<KeySecretFact> = {
  metadata: {
    id: 'keys.cmk',
    group: 'keys',
    title: 'Key-material backups use a customer-managed key',
    failedTitle: 'A key-material backup is not under a customer-managed key',
    severity: 'MEDIUM',
    rationale:
      'Secrets under the AWS-managed aws/secretsmanager key can only be decrypted in their own account: a recovery account or a break-glass role elsewhere cannot read them. A customer-managed key pending deletion or disabled (a Cloud KMS key version scheduled for destruction or disabled) protects a backup only until it is deleted, or not at all.',
    remediation: {
      text: `Re-encrypt the secret with a customer-managed KMS key whose policy admits the recovery account (\`aws secretsmanager update-secret --kms-key-id ${placeholder('key-arn')}\`); for a key pending deletion or disabled, cancel the deletion and enable the key (\`aws kms cancel-key-deletion\`, \`aws kms enable-key\`).`,
      texts: {
        gcp: `Configure a customer-managed Cloud KMS key for the secret (\`gcloud secrets replication update ${placeholder('secret')} --project=${placeholder('project')} --set-kms-key=${placeholder('key')}\`, a key in location global, for automatic replication; for a user-managed replica, with \`--location=${placeholder('location')}\` and a key in that location, or, for several replicas, \`gcloud secrets replication set ${placeholder('secret')} --project=${placeholder('project')} --replication-policy-file=${placeholder('policy-file')}\` naming each replica's key), add the value again as a new version (the key encrypts versions added afterwards only: \`gcloud secrets versions add ${placeholder('secret')} --project=${placeholder('project')} --data-file=${placeholder('file')}\`), and let the recovery project use it.`,
      },
      url: DOCS.smEncryption,
      urls: { gcp: DOCS.gsmCmek },
    },
    resourceTypes: KEYS_RESOURCE_TYPES,
  },
  evaluate(fact) {
    const required = { keyManager: 'CUSTOMER' };
    const absent = absentOutcome(fact, required);
    if (absent) return absent;
    if (fact.encryption.state === 'unknown')
      return notAvailable(fact, fact.encryption.reason, {}, required, fact.encryption.remedy);
    const keys = fact.encryption.value;
    const base = { items: itemsValue(fact), keys: keys.map((key) => key.id).join(',') };
    // Before the provider-managed copies: a key that is going away is worse than a WARNING on a
    // Google-managed copy beside it.
    // More than one copy fails (AWS: the primary on aws/secretsmanager and a replica's key pending
    // deletion, say; GCP: two user-managed locations' key versions disabled or scheduled for
    // destruction): each copy's key and its state, so no copy's problem hides another's. AWS replicas
    // that are all on their region's AWS-managed key are one fix, worded below.
    const words = fact.resource.provider === 'gcp' ? GCP_COPIES : AWS_COPIES;
    const failing = keys.filter(words.fails);
    if (failing.length > 1 && !failing.every((key) => key.manager === 'PROVIDER' && isReplicaKey(key)))
      return everyCopy(fact, words, keys, failing, base, required);
    const unusable = keys.find(unusableCustomer);
    if (unusable) return unusableCustomerKey(fact, unusable, base, required);
    const deleted = keys.find((key) => key.deleted);
    if (deleted) return deletedKey(fact, deleted, base, required);
    // GCP: a setting sent without its key name is a customer-managed key not known, never
    // Google-managed; not evaluated before a Google-managed WARNING, which readiness passes as GO.
    const unnamed = keys.filter((key) => key.kmsKeyNameNotSent);
    if (unnamed.length > 0) {
      return notAvailable(
        fact,
        `the API sent the customer-managed encryption setting of ${unnamedKeyCopies(unnamed)} without its kmsKeyName, so which Cloud KMS key encrypts ${unnamed.length === 1 ? 'it' : 'them'}, and whether that key is usable, is not known`,
        {
          ...base,
          keyManager: 'CUSTOMER',
          kmsKeyName: null,
          ...(unnamed.some((key) => key.location !== undefined)
            ? { locations: unnamed.map((key) => key.location ?? 'not reported').join(',') }
            : {}),
        },
        required,
      );
    }
    const provider = keys.filter((key) => key.manager === 'PROVIDER');
    if (provider.length > 0 && provider.every(isReplicaKey))
      return replicasOnAwsManagedKey(fact, provider, base, required);
    if (provider.length > 0 || keys.length === 0) {
      const gcp = fact.resource.provider === 'gcp';
      // A key set on the secret after its latest version was added protects later versions only.
      const before = provider.find((key) => key.beforeCmek !== undefined)?.beforeCmek;
      return {
        status: gcp ? 'WARNING' : 'FAILED',
        description: !gcp
          ? `The ${secretLabel(fact)} is encrypted with the AWS-managed key ${provider[0]?.id ?? 'aws/secretsmanager'}, which no other account can use: it cannot be recovered cross-account.`
          : before
            ? `The ${secretLabel(fact)} names the customer-managed key ${before}, but its latest version was added before that key was set and is under Google-managed encryption (the setting applies to versions added afterwards).`
            : googleManagedCopies(fact, keys, provider),
        observed: { ...base, keyManager: gcp ? 'GOOGLE' : 'AWS' },
        required,
        ...(gcp
          ? {
              remediationText: before
                ? `Add the value again as a new version, which the key encrypts: \`${gcloudAddVersion(fact)}\` (the file in its CERTCTL_*_PATH setting).`
                : googleManagedFix(fact, keys, provider),
            }
          : {}),
      };
    }
    // GCP: a key set on the secret encrypts only the versions added afterwards (keys.cmk's own
    // remediation): without the latest version's status, the setting proves nothing of its value.
    const unproven = keys.find((key) => key.unproven !== undefined);
    if (unproven) {
      return notAvailable(
        fact,
        `the secret names the customer-managed key ${unproven.id}, but ${unproven.unproven}, and that setting encrypts only versions added after it was set: the version holding the value may be under Google-managed encryption`,
        base,
        required,
      );
    }
    const unknown = keys.find((key) => key.manager === undefined);
    if (unknown) {
      return notAvailable(
        fact,
        unknown.unreadReason === undefined
          ? `DescribeKey did not say who manages the KMS key ${unknown.id} (KeyManager AWS or CUSTOMER)`
          : `the KMS key ${unknown.id} could not be described (${unknown.unreadReason})`,
        base,
        required,
        // The fix of the failed read (a grant, what lifts a deny), not this check's: the key's
        // manager is what is unknown.
        unknown.remedy,
      );
    }
    // Customer-managed, but not proven usable: KeyState not sent (or the Cloud KMS read refused), or
    // a state this audit does not know; a key pending deletion would read the same.
    const unsure = keys.find(
      (key) => key.manager === 'CUSTOMER' && (key.state === undefined || !USABLE_KEY_STATES.has(key.state)),
    );
    if (unsure) {
      const name = `${keyNoun(fact)} ${unsure.version ?? unsure.id}`;
      return notAvailable(
        fact,
        unsure.state !== undefined
          ? `its customer-managed ${name} is ${unsure.state}, a key state this audit does not know to be usable`
          : unsure.unreadReason !== undefined
            ? `the state of its customer-managed ${name} could not be read (${unsure.unreadReason}), so whether it is ${pendingWords(fact)} or disabled is not known`
            : `${fact.resource.provider === 'gcp' ? 'Cloud KMS' : 'DescribeKey'} did not send the ${fact.resource.provider === 'gcp' ? 'state' : 'KeyState'} of its customer-managed ${name}, so whether it is ${pendingWords(fact)} or disabled is not known`,
        { ...base, keyManager: 'CUSTOMER', keyState: unsure.state ?? null, ...replicaOf(unsure) },
        required,
        unsure.remedy,
      );
    }
    return {
      status: 'PASSED',
      description: `The ${secretLabel(fact)} is encrypted with the customer-managed key ${keys.map((key) => key.id).join(', ')}.`,
      observed: { ...base, keyManager: 'CUSTOMER' },
      required,
    };
  },
};

/**
 * AWS: the secret's own copy is under a customer-managed key, but replicas are under their
 * region's aws/secretsmanager key: those replicas cannot be recovered cross-account. The fix
 * re-creates them under a customer-managed key ({@link replicasRekeyed}); update-secret changes the
 * primary's key only.
 */
function replicasOnAwsManagedKey(
  fact: KeySecretFact,
  provider: readonly EncryptionKey[],
  base: FindingValues,
  required: FindingValues,
): CheckOutcome {
  const regions = provider.map((key) => replicaPlace(key) as string);
  const commandRegions = provider.map((key) => replicaCommandRegion(key) as string);
  // A replica whose Region was not sent is still on an AWS-managed key (the key was sent); its fix
  // names the region as a placeholder the operator fills in.
  const unsent = provider.some((key) => key.replicaRegion === undefined)
    ? ` (DescribeSecret did not send the Region of ${provider.filter((key) => key.replicaRegion === undefined).length === 1 ? 'one replica' : 'some replicas'}: write its region for <replica-region>)`
    : '';
  const one = regions.length === 1;
  return {
    status: 'FAILED',
    description: `The ${one ? 'replica' : 'replicas'} in ${regions.join(', ')} of the ${secretLabel(fact)} ${one ? 'is' : 'are'} encrypted with the AWS-managed ${one ? 'key' : 'keys'} ${provider.map((key) => key.id).join(', ')}, which no other account can use: ${one ? 'that replica' : 'those replicas'} cannot be recovered cross-account.`,
    observed: { ...base, keyManager: 'AWS', replicaRegion: provider.map(replicaRegionValue).join(',') },
    required,
    remediationText: `Replicate to ${regions.join(', ')} under a customer-managed KMS key of ${one ? 'that region' : 'each region'} whose policy admits the recovery account: ${replicasRekeyed(fact, commandRegions)}${unsent}.`,
  };
}

/**
 * How one provider's copies are named and judged in {@link everyCopy}: whether a copy's key fails
 * it, the copy's name, what its key is and what is known of its state, the copy and its state as
 * observed values, and the fix of a failing copy.
 */
interface CopyWords {
  readonly fails: (key: EncryptionKey) => boolean;
  readonly name: (key: EncryptionKey) => string;
  readonly keyWords: (key: EncryptionKey) => string;
  readonly tag: (key: EncryptionKey) => string;
  readonly state: (key: EncryptionKey) => string;
  readonly fix: (fact: KeySecretFact, key: EncryptionKey) => string;
}

/** A customer-managed key, read by its id, in a state in which it cannot decrypt now or soon. */
function unusableCustomer(key: EncryptionKey): boolean {
  return (
    key.manager === 'CUSTOMER' &&
    key.unproven === undefined &&
    key.state !== undefined &&
    UNUSABLE_KEY_STATES.has(key.state)
  );
}

/**
 * AWS: a copy is unprotected by a customer-managed key now or soon under the AWS-managed key, a
 * customer-managed key in a state in which it cannot decrypt, or a key DescribeKey no longer finds.
 * Each copy is the secret's own (`its own copy`) or a replica (`the replica in us-east-1`).
 */
const AWS_COPIES: CopyWords = {
  fails: (key) => key.manager === 'PROVIDER' || key.deleted === true || unusableCustomer(key),
  name: (key) => (isReplicaKey(key) ? `the replica in ${replicaPlace(key)}` : 'its own copy'),
  keyWords: (key) => {
    if (key.manager === 'PROVIDER')
      return `is encrypted with the AWS-managed key ${key.id}, which no other account can use, so it cannot be recovered cross-account`;
    const named =
      isKmsAlias(key.id) && key.aliasTarget ? `${key.id} (pointing to ${key.aliasTarget} now)` : key.id;
    if (key.deleted)
      return `was encrypted with the KMS key ${named}, which ${DELETED_KMS_KEY}, so it can no longer be decrypted`;
    const under = `is encrypted with the ${key.manager === 'CUSTOMER' ? 'customer-managed ' : ''}KMS key ${named}`;
    return `${under}${stateWords(key, isReplicaKey(key) ? 'that replica' : 'that copy', 'aws')}`;
  },
  tag: (key) => (isReplicaKey(key) ? (replicaRegionValue(key) as string) : 'primary'),
  state: (key) =>
    key.manager === 'PROVIDER' ? 'AWS-managed' : key.deleted ? 'deleted' : (key.state ?? 'unknown'),
  fix: (fact, key) => {
    if (key.deleted) return deletedKeyFix(fact, key);
    if (key.manager !== 'PROVIDER') return kmsKeyFix(key);
    if (isReplicaKey(key)) {
      return `replicate it under a customer-managed KMS key of that region whose policy admits the recovery account: ${replicasRekeyed(fact, [replicaCommandRegion(key) as string])}`;
    }
    return `re-encrypt it with a customer-managed KMS key whose policy admits the recovery account (\`aws secretsmanager update-secret --secret-id ${shellWord(fact.resource.id)} --kms-key-id ${placeholder('key-arn')} --region ${shellWord(fact.resource.region)}\`)`;
  },
};

/**
 * GCP: a copy fails under a customer-managed Cloud KMS key version in a state in which it cannot
 * decrypt (Google-managed encryption is keys.cmk's WARNING, not a failure). Several keys are
 * user-managed replication's, one per location (the key's `location`; a replica that did not
 * report its location is still one copy, never every copy).
 */
const GCP_COPIES: CopyWords = {
  fails: unusableCustomer,
  name: (key) =>
    key.location === undefined ? 'the copy whose location was not reported' : `the copy in ${key.location}`,
  keyWords: (key) => {
    if (key.manager === 'PROVIDER') return 'uses Google-managed encryption, not a customer-managed key';
    if (key.unproven !== undefined)
      return `is under a key not known: the secret names the customer-managed Cloud KMS key ${key.id}, but ${key.unproven}`;
    const under = `is encrypted with the ${key.manager === 'CUSTOMER' ? 'customer-managed ' : ''}Cloud KMS key ${key.version ? `version ${key.version}` : key.id}`;
    return `${under}${stateWords(key, 'that copy', 'gcp')}`;
  },
  tag: (key) => key.location ?? 'location not reported',
  state: (key) =>
    key.manager === 'PROVIDER'
      ? 'Google-managed'
      : key.unproven !== undefined
        ? 'not known'
        : (key.state ?? 'unknown'),
  fix: (fact, key) => cloudKmsKeyFix(fact, key),
};

/** What is known of a key's state, after the words naming the key (`, which is Enabled`). */
function stateWords(key: EncryptionKey, copy: string, provider: 'aws' | 'gcp'): string {
  const gcp = provider === 'gcp';
  if (key.state === undefined)
    return `, whose state is not known (${key.unreadReason ?? (gcp ? 'Cloud KMS did not send its state' : 'DescribeKey did not send its KeyState')})`;
  if (USABLE_KEY_STATES.has(key.state)) return `, which is ${key.state}`;
  if (!UNUSABLE_KEY_STATES.has(key.state))
    return `, which is ${key.state}, a key state this audit does not know to be usable`;
  if (['PendingDeletion', 'PendingReplicaDeletion', 'DESTROY_SCHEDULED'].includes(key.state)) {
    const when = key.deletionDate ? ` (${gcp ? 'destruction' : 'deletion'} ${onDate(key.deletionDate)})` : '';
    return `, which is ${key.state}${when} and protects ${copy} only until it is ${gcp ? 'destroyed' : 'deleted with its key material'}`;
  }
  return key.state === 'Disabled' || key.state === 'DISABLED'
    ? `, which is ${key.state}: nothing it encrypts can be decrypted while it is disabled`
    : `, which is ${key.state}: it cannot decrypt what it encrypts in that state`;
}

/**
 * Several copies failing ({@link CopyWords.fails}): one FAILED finding naming every copy's key and
 * what is known of its state (the copies that fail and those that do not), and a fix per failing copy.
 */
function everyCopy(
  fact: KeySecretFact,
  words: CopyWords,
  keys: readonly EncryptionKey[],
  failing: readonly EncryptionKey[],
  base: FindingValues,
  required: FindingValues,
): CheckOutcome {
  const clauses = keys.map((key) => `${words.name(key)} ${words.keyWords(key)}`);
  const fixes = failing.map(
    (key) => `For ${words.name(key)}: ${lowerFirst(withPeriod(words.fix(fact, key)))}`,
  );
  return {
    status: 'FAILED',
    description: `The copies of the ${secretLabel(fact)} are not all under a usable customer-managed key: ${clauses.join('; ')}.`,
    observed: {
      ...base,
      keyStates: keys.map((key) => `${words.tag(key)}=${words.state(key)}`).join(','),
    },
    required,
    remediationText: fixes.join(' '),
  };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function withPeriod(text: string): string {
  return text.endsWith('.') ? text : `${text}.`;
}

/**
 * GCP: which copies use Google-managed encryption. With user-managed replication each location has
 * its own setting (the adapter names such a copy `google-managed (<location>)`), so a secret whose
 * other copies are under a customer-managed key is not said to use Google-managed encryption whole.
 */
function googleManagedCopies(
  fact: KeySecretFact,
  keys: readonly EncryptionKey[],
  provider: readonly EncryptionKey[],
): string {
  const customer = keys.filter((key) => key.manager !== 'PROVIDER');
  const locations = provider.map((key) => /^google-managed \((.+)\)$/.exec(key.id)?.[1]);
  if (customer.length === 0 || locations.some((location) => location === undefined))
    return `The ${secretLabel(fact)} uses Google-managed encryption, not a customer-managed key.`;
  const one = locations.length === 1;
  return `The ${one ? 'copy' : 'copies'} in ${locations.join(', ')} of the ${secretLabel(fact)} ${one ? 'uses' : 'use'} Google-managed encryption, not a customer-managed key (the other copies use ${customer.map((key) => key.id).join(', ')}).`;
}

/**
 * GCP: the commands that put the Google-managed copies under a customer-managed Cloud KMS key, then
 * the new version that key encrypts (a key set on a secret encrypts only the versions added
 * afterwards: without one, the value stays Google-managed). The key of automatic replication must be
 * in location `global`, a user-managed replica's in that replica's location
 * (CustomerManagedEncryption.kmsKeyName). `gcloud secrets replication update --set-kms-key` sets
 * the automatic key, or one replica's with `--location`, which it requires for user-managed
 * replication; and it refuses a replica whose siblings would stay Google-managed ("Either all
 * replicas must use customer managed encryption or all replicas must use Google managed
 * encryption", gcloud's surface/secrets/replication/update.py). So one Google-managed replica is
 * that command, several are `gcloud secrets replication set --replication-policy-file` naming every
 * replica with its key (the locations cannot change). A replica that did not report its location is
 * named by a `<location>` placeholder.
 */
function googleManagedFix(
  fact: KeySecretFact,
  keys: readonly EncryptionKey[],
  provider: readonly EncryptionKey[],
): string {
  const { secret, project } = gcloudSecretArgs(fact);
  const replication = fact.replication.state === 'read' ? fact.replication.value : undefined;
  const userManaged =
    replication?.kind === 'gcp-user-managed' || keys.some((key) => key.location !== undefined);
  const command = (verb: string, flags: string) =>
    `\`gcloud secrets replication ${verb} ${secret} --project=${project}${flags}\``;
  let set: string;
  if (!userManaged) {
    set = `on the secret (${command('update', ` --set-kms-key=${placeholder('key')}`)}, a key in location global, as automatic replication takes)`;
  } else if (provider.length <= 1) {
    const location = provider[0]?.location;
    set =
      location === undefined
        ? `on its Google-managed copy (${command('update', ` --location=${placeholder('location')} --set-kms-key=${placeholder('key-in-location')}`)}, a key in the location of that replica)`
        : `on its copy in ${location} (${command('update', ` --location=${shellWord(location)} --set-kms-key=${placeholder(`key-in-${location}`)}`)}, a key in location ${location})`;
  } else {
    // Every replica, the ones under a customer-managed key too: the policy set is the whole one.
    const known = replication?.kind === 'gcp-user-managed' ? replication.locations : [];
    const unreported = keys.some((key) => key.location === undefined) ? ['<location>'] : [];
    const replicas = [
      ...new Set([...known, ...keys.flatMap((key) => key.location ?? [])]),
      ...unreported,
    ].map((location) => ({
      location,
      customerManagedEncryption: {
        kmsKeyName: location === '<location>' ? '<key-in-location>' : `<key-in-${location}>`,
      },
    }));
    set = `on each of its copies in one replication policy (${command('set', ` --replication-policy-file=${placeholder('policy-file')}`)} with the file ${JSON.stringify({ userManaged: { replicas } })}, each key in its replica's location: \`--set-kms-key\` sets one replica's key at a time, and refuses to leave the others Google-managed)`;
  }
  return `Set a customer-managed Cloud KMS key ${set}, then add the value again as a new version, which that key encrypts (a key set on a secret encrypts only the versions added afterwards): \`${gcloudAddVersion(fact)}\` (the file in its CERTCTL_*_PATH setting). Secret Manager's service agent needs roles/cloudkms.cryptoKeyEncrypterDecrypter on the key, and the recovery project the use of it: ${DOCS.gsmCmek}`;
}

/**
 * AWS: a key DescribeKey no longer finds by its key id or key ARN (`deleted`). The call is made in
 * the key's own Region (its ARN's, else the Region that uses it) and account (a key of another
 * account is named by its ARN: CreateSecret, "To use a KMS key in a different account, use the key
 * ARN or the alias ARN"), so NotFoundException is KMS saying the key does not exist: a caller the
 * key policy or its IAM policy refuses is answered AccessDeniedException
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html, Errors). KMS deletes
 * a key with its key material once its deletion waiting period ends, so the copy it encrypted can
 * no longer be decrypted. Only a customer-managed key can be scheduled for deletion, but who managed
 * it was not read, so the finding does not say it (keyExists, not keyManager).
 */
function deletedKey(
  fact: KeySecretFact,
  key: EncryptionKey,
  base: FindingValues,
  required: FindingValues,
): CheckOutcome {
  const copy = isReplicaKey(key) ? 'that replica' : 'the secret';
  return {
    status: 'FAILED',
    description: `The customer-managed KMS key ${copyOf(fact, key)} ${DELETED_KMS_KEY}: ${copy} can no longer be decrypted (see keys.not-deleting).`,
    observed: { ...base, keyExists: false, ...replicaOf(key) },
    required,
    remediationText: deletedKeyFix(fact, key),
  };
}

/** `pending deletion` (AWS) or `scheduled for destruction` (GCP). */
function pendingWords(fact: KeySecretFact): string {
  return fact.resource.provider === 'gcp' ? 'scheduled for destruction' : 'pending deletion';
}

/**
 * A customer-managed key in a state in which it cannot decrypt now or soon (KMS `PendingDeletion`,
 * `Disabled`, …; Cloud KMS `DESTROY_SCHEDULED`, `DISABLED`, …): FAILED with its deletion date and
 * the commands that make it usable again (core/kms-key-states.ts kmsKeyFix; Cloud KMS restore and
 * enable). What it loses is keys.not-deleting's to say.
 */
function unusableCustomerKey(
  fact: KeySecretFact,
  key: EncryptionKey,
  base: FindingValues,
  required: FindingValues,
): CheckOutcome {
  const gcp = fact.resource.provider === 'gcp';
  const pending = ['PendingDeletion', 'PendingReplicaDeletion', 'DESTROY_SCHEDULED'].includes(
    key.state ?? '',
  );
  const when =
    pending && key.deletionDate ? ` (${gcp ? 'destruction' : 'deletion'} ${onDate(key.deletionDate)})` : '';
  const copy = isReplicaKey(key) ? 'that replica' : 'the backup';
  const why = pending
    ? `it protects ${copy} only until it is ${gcp ? 'destroyed' : 'deleted with its key material'}, and nothing it encrypts can be decrypted after that`
    : key.state === 'Disabled' || key.state === 'DISABLED'
      ? `nothing it encrypts can be decrypted while it is disabled`
      : 'it cannot decrypt what it encrypts in that state';
  const what = gcp
    ? `The customer-managed Cloud KMS key ${key.version ? `version ${key.version}` : key.id} protecting the ${secretLabel(fact)}`
    : `The customer-managed KMS key ${copyOf(fact, key)}`;
  const deletionDate = pending && key.deletionDate ? isoOf(key.deletionDate) : undefined;
  return {
    status: 'FAILED',
    description: `${what} is ${key.state}${when}: ${why} (see keys.not-deleting).`,
    observed: {
      ...base,
      keyManager: 'CUSTOMER',
      keyState: key.state ?? null,
      ...(deletionDate ? { deletionDate } : {}),
      ...(key.version ? { keyVersion: key.version } : {}),
      ...aliasOf(key),
      ...replicaOf(key),
    },
    required,
    remediationText: gcp ? cloudKmsKeyFix(fact, key) : kmsKeyFix(key),
  };
}
