/**
 * `keys.not-deleting`: neither the secret nor its KMS key is scheduled for deletion or disabled (an
 * AWS key whose imported key material expires, `ValidTo`, warns within keys.expiryHorizonDays and
 * fails once it has expired);
 * on GCP the latest version is ENABLED and not scheduled for destruction, and the customer-managed
 * Cloud KMS key version that protects it (functions/gcp/cloud-kms.ts) is ENABLED. Both clouds'
 * keys are judged the same way: an unusable state fails, a key that could not be read (or whose
 * state was not sent) is not evaluated, a state this audit does not know proves nothing. An AWS key
 * DescribeKey no longer finds by its id or ARN fails: it was deleted with its key material. A usable
 * AWS key named by an alias proves nothing of the key the alias named when the value was written
 * (see aliasNotProven), unless the value was read in this run.
 */
import type { Check, CheckOutcome } from '../../core/check.ts';
import type { FindingValues } from '../../core/finding.ts';
import type { EncryptionKey, KeySecretFact } from '../../core/key-facts.ts';
import {
  DELETED_KMS_KEY,
  isKmsAlias,
  judgeMaterialExpiry,
  keyMaterialHorizonDays,
  kmsKeyFix,
  kmsMaterialExpiryFix,
  type MaterialExpiry,
  materialExpiryWords,
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
  gcloudEnableLatest,
  isoOf,
  isReplicaKey,
  itemsValue,
  KEYS_RESOURCE_TYPES,
  keyNoun,
  LATEST_VERSION_READ,
  notAvailable,
  onDate,
  replicaCommandRegion,
  replicaOf,
  replicaPlace,
  replicasRekeyed,
  secretLabel,
  unnamedKeyCopies,
} from './wording.ts';

/**
 * Latest-version states that leave nothing to restore now: Secret Manager's DISABLED (may be enabled
 * again) and DESTROYED (https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions#State),
 * and `none` (no version at all; AWS: no version labelled AWSCURRENT). ENABLED is usable; any other
 * state is not evaluated.
 */
const LOST_VERSION_STATES: ReadonlySet<string> = new Set(['DISABLED', 'DESTROYED', 'none']);

export const keysNotDeletingCheck: Check<KeySecretFact> = {
  metadata: {
    id: 'keys.not-deleting',
    group: 'keys',
    title: 'Key-material backups are not being deleted',
    failedTitle: 'A key-material backup or its key is being deleted or disabled',
    severity: 'CRITICAL',
    rationale:
      'A secret scheduled for deletion, a KMS key pending deletion or disabled, a KMS key whose imported key material expires (KMS deletes the material at its ValidTo), a destroyed Secret Manager version, or a Cloud KMS key version disabled, scheduled for destruction or destroyed leaves a backup that will be (or already is) impossible to restore from.',
    remediation: {
      text: 'Cancel the deletion (`aws secretsmanager restore-secret`, `aws kms cancel-key-deletion` and `enable-key`); import expiring key material again without expiry (`aws kms import-key-material … --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE`).',
      texts: {
        gcp: `Enable the latest version (\`gcloud secrets versions enable ${placeholder('version')} --secret=${placeholder('secret')} --project=${placeholder('project')}\`), or, if it is destroyed, add a new version from the live file (\`gcloud secrets versions add ${placeholder('secret')} --project=${placeholder('project')} --data-file=${placeholder('file')}\`); remove an expiration with \`gcloud secrets update ${placeholder('secret')} --project=${placeholder('project')} --remove-expiration\`; restore and enable its Cloud KMS key version (\`gcloud kms keys versions restore\` and \`enable\`); a new version is encrypted with the key's primary version, so make an ENABLED version primary first when it is not (\`gcloud kms keys set-primary-version ${placeholder('key')} --keyring=${placeholder('key-ring')} --location=${placeholder('location')} --project=${placeholder('project')} --version=${placeholder('enabled-version')}\`).`,
      },
      url: DOCS.smDelete,
      urls: { gcp: DOCS.gsmEnableVersion },
    },
    resourceTypes: KEYS_RESOURCE_TYPES,
  },
  evaluate(fact, context) {
    const required = { scheduledForDeletion: false, keyUsable: true };
    const absent = absentOutcome(fact, required);
    if (absent) return absent;
    const base = { items: itemsValue(fact) };
    if (fact.deletionScheduled) {
      return {
        status: 'FAILED',
        description: `The ${secretLabel(fact)} is scheduled for deletion ${onDate(fact.deletionScheduled)}.`,
        observed: {
          ...base,
          scheduledForDeletion: true,
          deletionDate: isoOf(fact.deletionScheduled) ?? null,
        },
        required,
      };
    }
    if (fact.latestVersion?.state === 'read') {
      const version = fact.latestVersion.value;
      if (LOST_VERSION_STATES.has(version.state) || version.scheduledDestroy) {
        const aws = fact.resource.provider === 'aws';
        // GCP read `versions/latest` only: the finding says so, as older versions may hold a value.
        const latest = aws ? 'its latest version' : `its latest version (${LATEST_VERSION_READ})`;
        const what =
          version.state === 'none'
            ? aws
              ? 'holds no value: no version carries the AWSCURRENT label'
              : 'has no version at all'
            : version.scheduledDestroy
              ? `has ${latest} scheduled for destruction ${onDate(version.scheduledDestroy)}`
              : `has ${latest} ${version.state}`;
        return {
          status: 'FAILED',
          description: `The ${secretLabel(fact)} ${what}.`,
          observed: {
            ...base,
            latestVersionState: version.state,
            ...(version.version ? { latestVersion: version.version } : {}),
          },
          required: { ...required, latestVersionState: 'ENABLED' },
          remediationText: lostVersionFix(fact, version.state),
        };
      }
    }
    if (fact.encryption.state === 'read') {
      // A key read only as the secret's setting (unproven) need not be the one that encrypted the
      // latest version: its state is not judged here, see unprovenKey below.
      const bad = fact.encryption.value.find(
        (key) => key.unproven === undefined && key.state !== undefined && UNUSABLE_KEY_STATES.has(key.state),
      );
      if (bad && fact.resource.provider === 'gcp') return cloudKmsKeyFailure(fact, bad, base, required);
      if (bad) {
        return {
          status: 'FAILED',
          description: `The KMS key ${copyOf(fact, bad)} is ${bad.state}${bad.deletionDate ? ` (deletion ${onDate(bad.deletionDate)})` : ''}: ${lost(fact, bad)}.`,
          observed: {
            ...base,
            scheduledForDeletion: false,
            keyState: bad.state ?? null,
            ...aliasOf(bad),
            ...replicaOf(bad),
          },
          required,
          remediationText: kmsKeyFix(bad),
        };
      }
    }
    const deleted =
      fact.encryption.state === 'read' ? fact.encryption.value.find((key) => key.deleted) : undefined;
    if (deleted) {
      return {
        status: 'FAILED',
        description: `The KMS key ${copyOf(fact, deleted)} ${DELETED_KMS_KEY}: ${lost(fact, deleted)}.`,
        observed: { ...base, scheduledForDeletion: false, keyExists: false, ...replicaOf(deleted) },
        required,
        remediationText: deletedKeyFix(fact, deleted),
      };
    }
    const expiring = materialExpiryOf(fact, context.now, keyMaterialHorizonDays(context.policy));
    if (expiring?.verdict === 'expired')
      return materialExpiryOutcome(fact, expiring, 'FAILED', base, required);
    const versionState = fact.latestVersion?.state === 'read' ? fact.latestVersion.value.state : undefined;
    if (versionState !== undefined && versionState !== 'ENABLED') {
      // A state neither usable nor known to be lost (STATE_UNSPECIFIED, one added later) proves nothing.
      return notAvailable(
        fact,
        `its latest version is ${versionState}, a version state this audit does not know`,
        { scheduledForDeletion: false, latestVersionState: versionState },
        { ...required, latestVersionState: 'ENABLED' },
      );
    }
    if (fact.latestVersion?.state === 'unknown') {
      return notAvailable(
        fact,
        `the latest version could not be read (${fact.latestVersion.reason})`,
        { scheduledForDeletion: false },
        required,
      );
    }
    if (fact.encryption.state === 'unknown') {
      return notAvailable(
        fact,
        `its encryption key could not be read (${fact.encryption.reason})`,
        { scheduledForDeletion: false },
        required,
      );
    }
    const unnamed = fact.encryption.value.filter((key) => key.kmsKeyNameNotSent);
    if (unnamed.length > 0) {
      return notAvailable(
        fact,
        `the API sent the customer-managed encryption setting of ${unnamedKeyCopies(unnamed)} without its kmsKeyName, so which Cloud KMS key protects it, and whether that key is disabled or being destroyed, is not known`,
        { scheduledForDeletion: false, kmsKeyName: null },
        required,
      );
    }
    const unprovenKey = fact.encryption.value.find((key) => key.unproven !== undefined);
    if (unprovenKey?.manager === 'PROVIDER') {
      return notAvailable(
        fact,
        `which key encrypts its latest version is not known: ${unprovenKey.unproven}; the secret is under Google-managed encryption now, but a customer-managed key removed since still encrypts the versions added while it was set`,
        { scheduledForDeletion: false },
        required,
      );
    }
    if (unprovenKey) {
      // Secret Manager encrypts a version with the key version that was primary when it was added
      // (and only versions added after CMEK was set): the primary's state now proves neither way.
      const primary =
        unprovenKey.primary && unprovenKey.state !== undefined
          ? `; its key's primary version${unprovenKey.version ? ` ${unprovenKey.version}` : ''} is ${unprovenKey.state}, but the latest version may be under an earlier key version (added before the key rotated) or under Google-managed encryption (added before the key was set)`
          : '';
      return notAvailable(
        fact,
        `which version of its ${keyNoun(fact)} ${unprovenKey.id} encrypts the latest version is not known: ${unprovenKey.unproven}${primary}`,
        {
          scheduledForDeletion: false,
          ...(unprovenKey.primary && unprovenKey.state !== undefined
            ? { primaryKeyState: unprovenKey.state }
            : {}),
          ...(unprovenKey.version ? { keyVersion: unprovenKey.version } : {}),
        },
        required,
      );
    }
    const unknownState = fact.encryption.value.find(
      (key) => key.state !== undefined && !USABLE_KEY_STATES.has(key.state),
    );
    if (unknownState) {
      return notAvailable(
        fact,
        `its ${keyNoun(fact)} ${unknownState.id} is ${unknownState.state}, a key state this audit does not know to be usable`,
        { scheduledForDeletion: false, keyState: unknownState.state ?? null },
        required,
      );
    }
    const undescribed = fact.encryption.value.find(
      // A key DescribeKey could not read has no manager either: its state is unknown all the same.
      (key) => key.manager !== 'PROVIDER' && key.state === undefined,
    );
    if (undescribed) {
      return notAvailable(
        fact,
        `its ${keyNoun(fact)} ${undescribed.id} could not be ${fact.resource.provider === 'gcp' ? 'read' : 'described'} (${undescribed.unreadReason ?? 'no state'})`,
        { scheduledForDeletion: false },
        required,
        undescribed.remedy,
      );
    }
    // Not evaluated before a warning: an expiring key the alias points to now proves nothing of the
    // key that encrypts the value, and a WARNING would pass readiness as GO.
    const aliased = aliasNotProven(fact);
    if (aliased) {
      const target = aliased.aliasTarget ?? 'a key DescribeKey did not name (no KeyMetadata.Arn)';
      const replica = replicaPlace(aliased);
      const fix =
        replica === undefined
          ? `name the key by its ARN (\`aws secretsmanager update-secret --secret-id ${shellWord(fact.resource.id)} --kms-key-id ${placeholder('key-arn')}\` re-encrypts the versions labelled AWSCURRENT, AWSPENDING and AWSPREVIOUS under it), or read the values (keys.inspectSecretValues), which proves the key decrypts`
          : `name the key by its ARN: ${replicasRekeyed(fact, [replicaCommandRegion(aliased) as string])}`;
      // An expiry within the horizon is said too: it stays to fix once the key is proven.
      const whose =
        expiring?.key === aliased
          ? 'of the key it points to now'
          : `of the KMS key ${expiring?.key.aliasTarget ?? expiring?.key.id}`;
      const soon =
        expiring?.verdict === 'expiring'
          ? `; the imported key material ${whose} expires on ${expiring.expires.toISOString()} (ValidTo)`
          : '';
      return notAvailable(
        fact,
        `it names ${replica === undefined ? 'its KMS key' : `the KMS key of its replica in ${replica}`} by the alias ${aliased.id}, which points to ${target} (${aliased.state}) now, but ${replica === undefined ? 'the current version' : 'that replica'} is encrypted under the key the alias pointed to when it was written, and the alias may have been moved to another key since; ${fix}${soon}`,
        {
          scheduledForDeletion: false,
          keyState: aliased.state ?? null,
          ...aliasOf(aliased),
          ...replicaOf(aliased),
          ...(soon ? { keyMaterialExpires: expiring?.expires.toISOString() ?? null } : {}),
        },
        required,
      );
    }
    if (expiring?.verdict === 'expiring')
      return materialExpiryOutcome(fact, expiring, 'WARNING', base, required);
    return {
      status: 'PASSED',
      description: `The ${secretLabel(fact)} is not scheduled for deletion and its key is usable${expiring ? ` (its imported key material expires on ${expiring.expires.toISOString()})` : ''}.`,
      observed: {
        ...base,
        scheduledForDeletion: false,
        keyUsable: true,
        ...(expiring ? { keyMaterialExpires: expiring.expires.toISOString() } : {}),
      },
      required,
    };
  },
};

/**
 * The fix of a latest version that leaves nothing to restore: store a value (AWS, no AWSCURRENT;
 * GCP, no version or a DESTROYED one, whose payload is gone), or enable the DISABLED version (a
 * version scheduled for destruction is DISABLED until then, and is restored by enabling it:
 * https://cloud.google.com/secret-manager/docs/delay-destruction-of-secret-versions), named by its
 * number when the read named it; undefined for the check's own fix.
 */
function lostVersionFix(fact: KeySecretFact, state: string): string | undefined {
  if (fact.resource.provider === 'aws') {
    return state === 'none'
      ? `Store the value certctl runs with: \`aws secretsmanager put-secret-value --secret-id ${shellWord(fact.resource.id)} --secret-string file://${placeholder('file')}\` (the file in its CERTCTL_*_PATH setting).`
      : undefined;
  }
  if (state === 'DISABLED' || state === 'ENABLED')
    return `Enable the latest version: \`${gcloudEnableLatest(fact)}\`.`;
  if (state === 'none' || state === 'DESTROYED')
    return `Add the value certctl runs with as a new version: \`${gcloudAddVersion(fact)}\` (the file in its CERTCTL_*_PATH setting).`;
  return undefined;
}

/**
 * AWS: a customer key the secret (or a replica) names by an alias, whose usable state proves nothing
 * of the key that decrypts the value: DescribeKey on an alias describes the key it points to now,
 * and a version is encrypted under the key the alias pointed to when it was written (UpdateAlias
 * moves an alias to another key: https://docs.aws.amazon.com/kms/latest/developerguide/alias-update.html).
 * The secret's own key is proven when its value was read in this run (KMS decrypted it: a key
 * disabled or pending deletion refuses to); a replica's is not, the value being read in the secret's
 * own region.
 */
function aliasNotProven(fact: KeySecretFact): EncryptionKey | undefined {
  if (fact.encryption.state !== 'read') return undefined;
  return fact.encryption.value.find(
    (key) =>
      key.manager === 'CUSTOMER' &&
      isKmsAlias(key.id) &&
      !(!isReplicaKey(key) && fact.content.state === 'read'),
  );
}

/** The secret's KMS key whose imported key material expires first (`ValidTo`), judged. */
function materialExpiryOf(
  fact: KeySecretFact,
  now: Date,
  horizonDays: number,
): (MaterialExpiry & { readonly key: EncryptionKey }) | undefined {
  if (fact.encryption.state !== 'read') return undefined;
  const [key] = fact.encryption.value
    .filter((candidate) => candidate.materialExpires !== undefined)
    .sort((a, b) => Number(a.materialExpires) - Number(b.materialExpires));
  const expiry = key && judgeMaterialExpiry(key.materialExpires, now, horizonDays);
  return key && expiry ? { ...expiry, key } : undefined;
}

/**
 * A secret whose KMS key's imported material expires (WARNING, within the horizon) or has expired
 * (FAILED): see {@link judgeMaterialExpiry}.
 */
function materialExpiryOutcome(
  fact: KeySecretFact,
  expiry: MaterialExpiry & { readonly key: EncryptionKey },
  status: 'FAILED' | 'WARNING',
  base: FindingValues,
  required: FindingValues,
): CheckOutcome {
  const { key } = expiry;
  return {
    status,
    description: `The imported key material of the KMS key ${copyOf(fact, key)} ${materialExpiryWords(expiry, lost(fact, key))}.`,
    observed: {
      ...base,
      scheduledForDeletion: false,
      keyMaterialExpires: expiry.expires.toISOString(),
      ...aliasOf(key),
      ...replicaOf(key),
    },
    required,
    remediationText: kmsMaterialExpiryFix(key),
  };
}

/**
 * What a key that cannot decrypt loses: the backup, or only the replica it encrypts. A key named by
 * an alias is the one the alias points to now, which need not be the one that encrypted the current
 * version (see aliasNotProven): what it surely loses is the next version (Secrets Manager encrypts
 * each new version under the key the secret names); the current version only if it was written
 * while the alias pointed there, unless it was decrypted in this run.
 */
function lost(fact: KeySecretFact, key: EncryptionKey): string {
  if (!isKmsAlias(key.id)) {
    return !isReplicaKey(key) ? 'the backup cannot be decrypted' : 'that replica cannot be decrypted';
  }
  const written = 'written while the alias pointed to that key';
  if (isReplicaKey(key)) {
    return `that replica cannot take a new version under it, and cannot be decrypted if its current version was ${written} (the alias may have been moved since)`;
  }
  return fact.content.state === 'read'
    ? 'the secret cannot store a new version under it (its current version was decrypted in this run, under the key the alias pointed to when it was written)'
    : `the secret cannot store a new version under it, and its current version cannot be decrypted if it was ${written} (which key encrypts it is not known: the alias may have been moved since)`;
}

/**
 * The FAILED outcome of a secret whose Cloud KMS key version cannot decrypt it: which version and
 * state, and the fix that state allows (restore then enable, enable, or a new version under a
 * working key once the material is gone).
 */
function cloudKmsKeyFailure(
  fact: KeySecretFact,
  key: EncryptionKey,
  base: FindingValues,
  required: FindingValues,
): CheckOutcome {
  const what = key.version
    ? `The Cloud KMS key version ${key.version}${key.primary ? " (its key's primary, as the secret version names none)" : ''}`
    : `The Cloud KMS key ${key.id}`;
  const when =
    key.state === 'DESTROY_SCHEDULED' && key.deletionDate ? ` (destruction ${onDate(key.deletionDate)})` : '';
  return {
    status: 'FAILED',
    description: `${what} protecting the ${secretLabel(fact)} is ${key.state}${when}: the backup cannot be decrypted.`,
    observed: {
      ...base,
      scheduledForDeletion: false,
      keyState: key.state ?? null,
      ...(key.version ? { keyVersion: key.version } : {}),
    },
    required,
    remediationText: cloudKmsKeyFix(fact, key),
  };
}
