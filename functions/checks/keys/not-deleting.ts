/**
 * `keys.not-deleting`: neither the secret nor its KMS key is scheduled for deletion or disabled;
 * on GCP the latest version is ENABLED and not scheduled for destruction. Secret Manager does not
 * report the state of a customer-managed Cloud KMS key, and the audit reads no Cloud KMS (its keys
 * are known only at run time, so no deployment could grant their reads narrowly): on GCP the
 * check requires what Secret Manager reports, says the key's state was not read, and counts the
 * key usable only when this run decrypted the value (`keys.inspectSecretValues`).
 */
import type { Check } from '../../core/check.ts';
import type { KeySecretFact } from '../../core/key-facts.ts';
import { UNUSABLE_KEY_STATES, USABLE_KEY_STATES } from '../../core/kms-key-states.ts';
import {
  absentOutcome,
  DOCS,
  itemsValue,
  KEYS_RESOURCE_TYPES,
  notAvailable,
  secretLabel,
} from './wording.ts';

export const keysNotDeletingCheck: Check<KeySecretFact> = {
  metadata: {
    id: 'keys.not-deleting',
    group: 'keys',
    title: 'Key-material backups are not being deleted',
    failedTitle: 'A key-material backup or its key is being deleted or disabled',
    severity: 'CRITICAL',
    rationale:
      'A secret scheduled for deletion, a KMS key pending deletion or disabled, or a destroyed Secret Manager version leaves a backup that will be (or already is) impossible to restore from.',
    remediation: {
      text: 'Cancel the deletion (`aws secretsmanager restore-secret`, `aws kms cancel-key-deletion` and `enable-key`).',
      texts: {
        gcp: 'Enable the latest version (`gcloud secrets versions enable <version> --secret=<secret>`), or, if it is destroyed, add a new version from the live file (`gcloud secrets versions add <secret> --data-file=<file>`); remove an expiration with `gcloud secrets update <secret> --remove-expiration`.',
      },
      url: DOCS.smDelete,
      urls: { gcp: DOCS.gsmEnableVersion },
    },
    resourceTypes: KEYS_RESOURCE_TYPES,
  },
  evaluate(fact) {
    const required = { scheduledForDeletion: false, keyUsable: true };
    const absent = absentOutcome(fact, required);
    if (absent) return absent;
    const base = { items: itemsValue(fact) };
    if (fact.deletionScheduled) {
      return {
        status: 'FAILED',
        description: `The ${secretLabel(fact)} is scheduled for deletion on ${fact.deletionScheduled.toISOString()}.`,
        observed: { ...base, scheduledForDeletion: true, deletionDate: fact.deletionScheduled.toISOString() },
        required,
      };
    }
    if (fact.latestVersion?.state === 'read') {
      const version = fact.latestVersion.value;
      if (version.state !== 'ENABLED' || version.scheduledDestroy) {
        const aws = fact.resource.provider === 'aws';
        const what =
          version.state === 'none'
            ? aws
              ? 'holds no value: no version carries the AWSCURRENT label'
              : 'has no version at all'
            : version.scheduledDestroy
              ? `has its latest version scheduled for destruction on ${version.scheduledDestroy.toISOString()}`
              : `has its latest version ${version.state}`;
        return {
          status: 'FAILED',
          description: `The ${secretLabel(fact)} ${what}.`,
          observed: { ...base, latestVersionState: version.state },
          required: { ...required, latestVersionState: 'ENABLED' },
          ...(aws && version.state === 'none'
            ? {
                remediationText: `Store the value certctl runs with: \`aws secretsmanager put-secret-value --secret-id ${fact.resource.id} --secret-string file://<file>\` (the file in its CERTCTL_*_PATH setting).`,
              }
            : {}),
        };
      }
    }
    if (fact.encryption.state === 'read') {
      const bad = fact.encryption.value.find(
        (key) => key.state !== undefined && UNUSABLE_KEY_STATES.has(key.state),
      );
      if (bad) {
        return {
          status: 'FAILED',
          description: `The KMS key ${bad.id} of the ${secretLabel(fact)} is ${bad.state}${bad.deletionDate ? ` (deletion on ${bad.deletionDate.toISOString()})` : ''}: the backup cannot be decrypted.`,
          observed: { ...base, scheduledForDeletion: false, keyState: bad.state ?? null },
          required,
        };
      }
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
    const unknownState = fact.encryption.value.find(
      (key) => key.state !== undefined && !USABLE_KEY_STATES.has(key.state),
    );
    if (unknownState) {
      return notAvailable(
        fact,
        `its KMS key ${unknownState.id} is ${unknownState.state}, a key state this audit does not know to be usable`,
        { scheduledForDeletion: false, keyState: unknownState.state ?? null },
        required,
      );
    }
    const undescribed = fact.encryption.value.find(
      // A key DescribeKey could not read has no manager either: its state is unknown all the same.
      (key) => key.manager !== 'PROVIDER' && key.state === undefined,
    );
    if (undescribed && fact.resource.provider === 'gcp' && undescribed.unreadReason === undefined) {
      // The value was decrypted in this run: the key works now, whatever Cloud KMS would say.
      const decrypted = fact.content.state === 'read';
      return {
        status: 'PASSED',
        description: decrypted
          ? `The ${secretLabel(fact)} is not scheduled for deletion, its latest version is enabled, and its value was decrypted in this run with ${undescribed.id}.`
          : `The ${secretLabel(fact)} is not scheduled for deletion and its latest version is enabled; the state of its Cloud KMS key ${undescribed.id} is not read (Secret Manager does not report it).`,
        observed: {
          ...base,
          scheduledForDeletion: false,
          latestVersionState: 'ENABLED',
          ...(decrypted ? { keyUsable: true } : { cloudKmsKeyState: 'not read' }),
        },
        required: { scheduledForDeletion: false, latestVersionState: 'ENABLED' },
      };
    }
    if (undescribed) {
      return notAvailable(
        fact,
        `its KMS key ${undescribed.id} could not be described (${undescribed.unreadReason ?? 'no state'})`,
        { scheduledForDeletion: false },
        required,
      );
    }
    return {
      status: 'PASSED',
      description: `The ${secretLabel(fact)} is not scheduled for deletion and its key is usable.`,
      observed: { ...base, scheduledForDeletion: false, keyUsable: true },
      required,
    };
  },
};
