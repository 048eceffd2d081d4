/**
 * `keys.present`: every inventory item has its backing secret. An item under a JSON key of a secret
 * holding several items is backed only if the value holds that key, which metadata does not show:
 * the finding says which items the secret's existence proves and which it does not. A secret that
 * exists is not said to back any item when its latest version holds nothing (none, DESTROYED,
 * DISABLED) nor, on GCP, when that version was not read or is in a state this audit does not know and
 * its value was not read in this run: existence is proven, a value is not. Nor when no copy's key
 * can decrypt it (a KMS key disabled, pending deletion or deleted; a Cloud KMS key version disabled
 * or destroyed): the service gives no value of it. A secret scheduled for deletion exists until its
 * deletion date and can be restored: it is present, and the finding names the date and
 * keys.not-deleting, which fails it (an AWS one gives no value until restored; a GCP one with an
 * expireTime is readable until then and judged as any other).
 */
import type { Check, CheckOutcome } from '../../core/check.ts';
import type { FindingValues } from '../../core/finding.ts';
import type { KeyItemRef, KeySecretFact } from '../../core/key-facts.ts';
import { DELETED_KMS_KEY } from '../../core/kms-key-states.ts';
import {
  cannotDecrypt,
  DOCS,
  isoOf,
  itemsValue,
  KEYS_RESOURCE_TYPES,
  LATEST_VERSION_READ,
  notAvailable,
  onDate,
  secretLabel,
} from './wording.ts';

export const keysPresentCheck: Check<KeySecretFact> = {
  metadata: {
    id: 'keys.present',
    group: 'keys',
    title: 'Every key-material item has its backup secret',
    failedTitle: 'A key-material item has no backup secret',
    severity: 'CRITICAL',
    rationale:
      "certctl's CA and RA keys, OCSP responder keys, trust bundles, TLS pair, API keys and config-encryption key live outside its database: without their backup a restored database cannot issue, answer OCSP or even decrypt its own issuer settings.",
    remediation: {
      text: 'Store the item in the secret the policy names (`aws secretsmanager create-secret`), or correct the inventory in the policy (`keys.items`).',
      texts: {
        gcp: 'Store the item in the secret the policy names (`gcloud secrets create`, then `gcloud secrets versions add`), or correct the inventory in the policy (`keys.items`).',
      },
      url: DOCS.smCreate,
      urls: { gcp: DOCS.gsmCreate },
    },
    resourceTypes: KEYS_RESOURCE_TYPES,
  },
  evaluate(fact): CheckOutcome {
    const required = { present: true };
    if (fact.existence.state === 'unknown')
      return notAvailable(fact, fact.existence.reason, { present: null }, required, fact.existence.remedy);
    const sources = sourcesOf(fact.items);
    if (!fact.existence.value) {
      return {
        status: 'FAILED',
        description: `The ${secretLabel(fact)} does not exist: ${sources} has no backup.`,
        observed: { items: itemsValue(fact), present: false },
        required,
      };
    }
    if (fact.deletionScheduled) {
      // A secret scheduled for deletion still exists until its deletion date and can be restored,
      // so it is present (DESIGN: keys.present is that each item has its backing secret); the
      // deletion is keys.not-deleting's failure, not a second one here. The description says both,
      // and never that the PASSED secret backs nothing.
      const deletion = {
        scheduledForDeletion: true,
        deletionDate: isoOf(fact.deletionScheduled) ?? null,
      };
      const scheduled = `scheduled for deletion ${onDate(fact.deletionScheduled)} (keys.not-deleting fails it)`;
      if (fact.resource.provider === 'aws') {
        // Secrets Manager makes a secret marked for deletion inaccessible at once (GetSecretValue
        // answers InvalidRequestException) until restore-secret: what it holds is not read now.
        return {
          status: 'PASSED',
          description: `The ${secretLabel(fact)} of ${sources} exists, ${scheduled}; until it is restored, Secrets Manager gives no value of it.`,
          observed: { items: itemsValue(fact), present: true, ...deletion },
          required,
        };
      }
      // A GCP secret with an expireTime is readable until it expires: judged as any other.
      const outcome = existing(fact, sources, required);
      return {
        ...outcome,
        description: `${outcome.description} It is ${scheduled}.`,
        observed: { ...outcome.observed, ...deletion },
      };
    }
    return existing(fact, sources, required);
  },
};

/**
 * keys.present of a secret that exists: what its existence proves of each item (see the file's
 * comment), always PASSED.
 */
function existing(fact: KeySecretFact, sources: string, required: FindingValues): CheckOutcome {
  const empty = valueGone(fact);
  if (empty) {
    // The secret exists, which is what this check proves; that it holds nothing to restore is
    // keys.not-deleting's failure, and no item is said to be backed by it.
    return {
      status: 'PASSED',
      description: `The ${secretLabel(fact)} exists, but ${empty.why}, so ${empty.latestOnly ? 'that version backs' : 'it backs'} none of ${sources} (see keys.not-deleting).`,
      observed: { items: itemsValue(fact), present: true, latestVersionState: empty.state },
      required,
    };
  }
  const undecryptable = noCopyDecrypts(fact);
  if (undecryptable) {
    // The secret exists; no copy of it can be decrypted now, so it holds nothing to restore from.
    return {
      status: 'PASSED',
      description: `The ${secretLabel(fact)} exists, but ${undecryptable}, so it backs none of ${sources} now (see keys.not-deleting).`,
      observed: { items: itemsValue(fact), present: true, valueDecryptable: false },
      required,
    };
  }
  const valueNotProven = valueUnproven(fact);
  if (valueNotProven) {
    // The secret exists; that a version holds a value was not read, so no item is said to be backed.
    return {
      status: 'PASSED',
      description: `The ${secretLabel(fact)} exists, but whether it holds a value of ${sources} is not proven: ${valueNotProven.why} (see keys.not-deleting).`,
      observed: {
        items: itemsValue(fact),
        present: true,
        valueProven: false,
        ...(valueNotProven.state ? { latestVersionState: valueNotProven.state } : {}),
      },
      required,
    };
  }
  const { backed, missing, empty: blank, unchecked } = jsonKeyProof(fact);
  const backs = backed.length > 0 ? ` and backs ${sourcesOf(backed)}` : '';
  const lacks =
    missing.length > 0
      ? `; its value has no JSON key ${jsonKeysOf(missing)}, so ${sourcesOf(missing)} has no backup in it (see keys.content)`
      : '';
  const hollow =
    blank.length > 0
      ? `; its value's JSON ${blank.length === 1 ? 'key' : 'keys'} ${jsonKeysOf(blank)} ${blank.length === 1 ? 'is' : 'are'} empty, so ${sourcesOf(blank)} has no backup in it (see keys.content)`
      : '';
  const unproven =
    unchecked.length > 0
      ? `; whether it holds ${sourcesOf(unchecked)} (its JSON ${unchecked.length === 1 ? 'key' : 'keys'} ${jsonKeysOf(unchecked)}) is not proven: ${
          fact.content.state === 'unknown'
            ? `its value could not be read (${fact.content.reason})`
            : fact.content.state === 'read'
              ? 'keys.content could not read them from its value'
              : 'values are not read (keys.inspectSecretValues is off, so keys.content cannot judge them either: turn it on to prove them)'
        }`
      : '';
  const jsonKeyed = fact.items.some((item) => item.jsonKey !== undefined);
  return {
    status: 'PASSED',
    description: `The ${secretLabel(fact)} exists${backs}${lacks}${hollow}${unproven}.`,
    observed: {
      items: itemsValue(fact),
      present: true,
      ...(jsonKeyed ? { jsonKeysChecked: unchecked.length === 0 } : {}),
      ...(missing.length > 0 ? { missingItems: missing.map((item) => item.id).join(',') } : {}),
      ...(blank.length > 0 ? { emptyItems: blank.map((item) => item.id).join(',') } : {}),
    },
    required,
  };
}

/**
 * Why the secret holds no value to restore, when its latest version says so: none at all (AWS: no
 * version labelled AWSCURRENT; GCP: no version), a destroyed one (GCP DESTROYED, its payload
 * gone: https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions#State),
 * or a disabled one (GCP DISABLED, also a version scheduled for destruction: no value is given of it).
 */
function valueGone(
  fact: KeySecretFact,
): { readonly state: string; readonly why: string; readonly latestOnly?: true } | undefined {
  if (fact.latestVersion?.state !== 'read') return undefined;
  const { state } = fact.latestVersion.value;
  if (state === 'none') {
    return {
      state,
      why:
        fact.resource.provider === 'aws'
          ? 'holds no value (no version carries the AWSCURRENT label)'
          : 'holds no value (it has no version)',
    };
  }
  // Only the latest version was read (versions/latest): an older one may hold a value, so what is
  // said is of the latest version alone.
  if (state === 'DESTROYED')
    return { state, why: `its latest version (${LATEST_VERSION_READ}) is DESTROYED`, latestOnly: true };
  // A DISABLED version keeps its payload, but accessing it fails (FAILED_PRECONDITION) until it is
  // enabled: nothing can be restored from it now.
  if (state === 'DISABLED')
    return {
      state,
      why: `its latest version (${LATEST_VERSION_READ}) is DISABLED (Secret Manager gives no value of it until it is enabled)`,
      latestOnly: true,
    };
  return undefined;
}

/**
 * Why no copy of the secret can be decrypted now, when every copy's key is known not to decrypt it
 * (wording.ts cannotDecrypt: an unusable state, or an AWS key deleted with its key material):
 * Secrets Manager and Secret Manager then give no value of it. Undefined when a copy's key is
 * usable, not read, or named by an alias, or when the value was read in this run (which decrypted it).
 */
function noCopyDecrypts(fact: KeySecretFact): string | undefined {
  if (fact.encryption.state !== 'read' || valueReadNow(fact)) return undefined;
  const keys = fact.encryption.value;
  if (keys.length === 0 || !keys.every(cannotDecrypt)) return undefined;
  const noun = fact.resource.provider === 'gcp' ? 'Cloud KMS key version' : 'KMS key';
  const said = keys.map(
    (key) =>
      `${fact.resource.provider === 'gcp' ? (key.version ?? key.id) : key.id} ${key.deleted ? DELETED_KMS_KEY : `is ${key.state}`}`,
  );
  return keys.length === 1
    ? `its ${noun} ${said[0]}, so its value cannot be decrypted`
    : `the ${noun}s of all its copies cannot decrypt them (${said.join('; ')})`;
}

/** Whether some item's value was read in this run (which proves a version holds it, and decrypted it). */
function valueReadNow(fact: KeySecretFact): boolean {
  const { content } = fact;
  return (
    content.state === 'read' &&
    content.items.some((entry) => !entry.problems.some((problem) => problem.code === 'value-unread'))
  );
}

/**
 * Why a GCP secret is not proven to hold a value, when nothing read says it does: its latest
 * version could not be read (versions.get refused: roles/secretmanager.secretAccessor grants
 * versions.access only; its state not sent), or is in a state neither usable nor known to hold
 * nothing (STATE_UNSPECIFIED, one added later), and its value was not read in this run (a value
 * read proves a version holds it). Undefined when the latest version is ENABLED, or the value was read.
 */
function valueUnproven(fact: KeySecretFact): { readonly state?: string; readonly why: string } | undefined {
  const { latestVersion } = fact;
  if (valueReadNow(fact) || latestVersion === undefined) return undefined;
  if (latestVersion.state === 'unknown')
    return { why: `its latest version could not be read (${latestVersion.reason})` };
  const { state } = latestVersion.value;
  return state === 'ENABLED'
    ? undefined
    : { state, why: `its latest version is ${state}, a version state this audit does not know` };
}

/**
 * What the secret's existence proves of each item: an item that is the whole value is backed by
 * the secret; one under a JSON key only when its value was read and holds that key (keys.content's
 * `item-missing` says it does not; `empty`, that the key holds an empty value, which backs nothing),
 * else it is unchecked (not read, or read without the item's value).
 */
function jsonKeyProof(
  fact: KeySecretFact,
): Record<'backed' | 'missing' | 'empty' | 'unchecked', KeyItemRef[]> {
  const proof = {
    backed: [] as KeyItemRef[],
    missing: [] as KeyItemRef[],
    empty: [] as KeyItemRef[],
    unchecked: [] as KeyItemRef[],
  };
  const { content } = fact;
  for (const item of fact.items) {
    if (item.jsonKey === undefined) proof.backed.push(item);
    else if (content.state !== 'read') proof.unchecked.push(item);
    else {
      const analysed = content.items.find((entry) => entry.item === item.id);
      if (analysed === undefined || analysed.problems.some((problem) => problem.code === 'value-unread'))
        proof.unchecked.push(item);
      else if (analysed.problems.some((problem) => problem.code === 'item-missing')) proof.missing.push(item);
      else if (analysed.problems.some((problem) => problem.code === 'empty')) proof.empty.push(item);
      else proof.backed.push(item);
    }
  }
  return proof;
}

function sourcesOf(items: readonly KeyItemRef[]): string {
  return items.map((item) => item.source).join(', ');
}

function jsonKeysOf(items: readonly KeyItemRef[]): string {
  return items.map((item) => `"${item.jsonKey}"`).join(', ');
}
