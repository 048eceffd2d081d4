/**
 * Whether a pre-maintenance snapshot's encryption key lets it be restored. An encrypted RDS/Aurora
 * snapshot names its key in `KmsKeyId` ("If Encrypted is true, the Amazon Web Services KMS key
 * identifier for the encrypted DB snapshot", DBSnapshot and, with StorageEncrypted, DBClusterSnapshot
 * in the RDS API reference: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBSnapshot.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBClusterSnapshot.html), and it is
 * restorable only while KMS can decrypt with that key: KMS `DescribeKey` says its `KeyState`, and
 * `ValidTo` when its imported key material expires
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html; what each state allows:
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html, judged by the states shared
 * with keys.not-deleting and dumps.protection in functions/core/kms-key-states.ts).
 *
 * A Cloud SQL backup run of an instance encrypted with a customer-managed key names the key in
 * `diskEncryptionConfiguration.kmsKeyName` and the key version it was encrypted with in
 * `diskEncryptionStatus.kmsKeyVersionName` (BackupRun, "Encryption configuration/status specific to
 * a backup": https://cloud.google.com/sql/docs/postgres/admin-api/rest/v1/backupRuns,
 * https://cloud.google.com/sql/docs/postgres/admin-api/rest/v1/DiskEncryptionStatus); it is
 * restorable only while that version can decrypt: Cloud KMS `cryptoKeyVersions.get` says its
 * `state` (and `destroyTime` when DESTROY_SCHEDULED:
 * https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys.cryptoKeyVersions).
 *
 * The readiness snapshot gate judges the snapshot a GO would rest on, and the snapshot job each
 * snapshot it delivers, with {@link judgeSnapshotKey}; {@link snapshotKeyReader} reads the keys of
 * one run, each distinct key once.
 */

import type { Provider } from '../../core/finding.ts';
import {
  DELETED_KMS_KEY,
  deletedKmsKeyFix,
  gcloudVersionArgs,
  judgeMaterialExpiry,
  kmsKeyFix,
  kmsMaterialExpiryFix,
  materialExpiryWords,
  UNUSABLE_KEY_STATES,
  USABLE_KEY_STATES,
} from '../../core/kms-key-states.ts';
import { perCloud, type SnapshotCloud, type SnapshotKey, type SnapshotKeyReader } from './backend.ts';

/**
 * What the fix of a snapshot key's failed read says to do once made (core/errors.ts
 * readFailureRemedy `again`): the key is read again by a later run of readiness, the snapshot job or
 * prune, not by an audit.
 */
export const READ_KEY_AGAIN = 'read it again later';

/** What a snapshot's key says about restoring it. */
export type KeyJudgement =
  /**
   * Usable (`evidence` names the key), or nothing to check (`evidence` undefined). `warning`: the
   * key's imported key material expires within the horizon (with the fix), after which the
   * snapshot cannot be restored until it is imported again.
   */
  | { readonly status: 'usable'; readonly evidence?: string; readonly warning?: string }
  /** The key cannot decrypt now or soon: the snapshot cannot be restored. `action`: the fix. */
  | { readonly status: 'unusable'; readonly evidence: string; readonly action: string }
  /** The key could not be read, or its state proves nothing: not a proof either way. */
  | { readonly status: 'unknown'; readonly evidence: string; readonly action: string };

/** A gcloud command on a Cloud KMS key version, or undefined when `version` is not a key version name. */
function gcloudVersionCommand(verb: 'enable' | 'restore', version: string): string | undefined {
  const args = gcloudVersionArgs(version);
  return args === undefined ? undefined : `\`gcloud kms keys versions ${verb} ${args}\``;
}

/**
 * What to do about a Cloud KMS key version in an unusable state. DISABLED keeps the material and
 * may be enabled again; DESTROY_SCHEDULED may be restored until its destroyTime, which leaves it
 * DISABLED, so it must be enabled too (cryptoKeyVersions.restore: "state will be set to DISABLED",
 * https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys.cryptoKeyVersions/restore);
 * DESTROYED has no material left (https://cloud.google.com/kms/docs/key-states).
 */
function cloudKmsFixOf(version: string, state: string): string {
  const enable = gcloudVersionCommand('enable', version) ?? '`gcloud kms keys versions enable`';
  const restore = gcloudVersionCommand('restore', version) ?? '`gcloud kms keys versions restore`';
  if (state === 'DISABLED') return `Enable the key version (${enable}).`;
  if (state === 'DESTROY_SCHEDULED') {
    return `Before its destroy time, restore the key version (${restore}, which leaves it DISABLED) and enable it (${enable}), or take a backup encrypted with a key version that is ENABLED.`;
  }
  const why =
    state === 'DESTROYED'
      ? "The key version's material is destroyed"
      : `A ${state} key version cannot decrypt`;
  return `${why}: this backup cannot be restored. Take a new backup once the instance's key has an ENABLED primary version.`;
}

/**
 * The judgement of a Cloud SQL backup's Cloud KMS key version (`key.version`; the key's primary
 * version when the backup run named none, said so). States as in functions/core/kms-key-states.ts.
 * A key version not read gets `action`, what the reader found fixes its read (the grant on the key,
 * what enables the API, a read again), else the grant of both reads.
 */
function judgeCloudKmsKey(key: SnapshotKeyOf<'described'>['key'], action?: string): KeyJudgement {
  const version = key.version ?? key.id;
  const which = key.primary ? ` (the key's primary version: the backup run named no key version)` : '';
  if (key.unreadReason !== undefined) {
    return {
      status: 'unknown',
      evidence: `could not check the backup's Cloud KMS key version ${version}${which}: ${key.unreadReason}`,
      action:
        action ??
        "Grant the function's service account cloudkms.cryptoKeyVersions.get and cloudkms.cryptoKeys.get on the key (roles/cloudkms.viewer holds both), or read it again later.",
    };
  }
  // A state Cloud KMS did not send is not judged (never read as ENABLED).
  if (key.state === undefined) {
    return {
      status: 'unknown',
      evidence: `could not check the backup's Cloud KMS key version ${version}${which}: Cloud KMS did not send its state`,
      action: 'Read it again later.',
    };
  }
  if (USABLE_KEY_STATES.has(key.state)) {
    return { status: 'usable', evidence: `Cloud KMS key version ${version} ${key.state}${which}` };
  }
  if (UNUSABLE_KEY_STATES.has(key.state)) {
    // A destroyTime sent in a form that does not parse is an Invalid Date, which has no ISO form.
    const destroy =
      key.deletionDate === undefined
        ? ''
        : Number.isNaN(key.deletionDate.getTime())
          ? ' (destroyed at a time Cloud KMS sent in a form that does not parse)'
          : ` (destroyed on ${key.deletionDate.toISOString()})`;
    return {
      status: 'unusable',
      evidence: `its Cloud KMS key version ${version} is ${key.state}${destroy}${which}: the backup cannot be restored with it`,
      action: cloudKmsFixOf(version, key.state),
    };
  }
  return {
    status: 'unknown',
    evidence: `its Cloud KMS key version ${version} is ${key.state}${which}, a key version state not known to be usable`,
    action: 'Wait until the key version is ENABLED.',
  };
}

type SnapshotKeyOf<K extends SnapshotKey['kind']> = Extract<SnapshotKey, { kind: K }>;

/**
 * The judgement of a snapshot's key: see {@link KeyJudgement}. With `clock`, a usable KMS key's
 * imported key material is judged too (functions/core/kms-key-states.ts judgeMaterialExpiry):
 * expired is unusable, expiring within `clock.horizonDays` a usable key with a warning.
 */
export function judgeSnapshotKey(
  reading: SnapshotKey,
  clock?: { readonly now: Date; readonly horizonDays: number },
): KeyJudgement {
  if (reading.kind === 'none') return { status: 'usable' };
  if (reading.kind === 'described' && reading.provider === 'gcp')
    return judgeCloudKmsKey(reading.key, reading.action);
  const readAgain =
    'Make sure the role can call kms:DescribeKey on the key (its IAM policy and, for a key of another account, the key policy).';
  if (reading.kind === 'unnamed') {
    return {
      status: 'unknown',
      evidence: `could not check the snapshot's KMS key: ${reading.reason}`,
      action:
        reading.action ??
        'Check the snapshot with `aws rds describe-db-snapshots` (or `describe-db-cluster-snapshots`).',
    };
  }
  const { key } = reading;
  const newSnapshot = 'take a snapshot encrypted with a key that is Enabled';
  if (key.deleted) {
    return {
      status: 'unusable',
      evidence: `its KMS key ${key.id} ${DELETED_KMS_KEY}: the snapshot cannot be restored with it`,
      action: deletedKmsKeyFix(newSnapshot),
    };
  }
  if (key.unreadReason !== undefined) {
    return {
      status: 'unknown',
      evidence: `could not check the snapshot's KMS key ${key.id}: ${key.unreadReason}`,
      action: reading.action ?? readAgain,
    };
  }
  // A state KMS did not send is not judged (never read as Enabled).
  if (key.state === undefined) {
    return {
      status: 'unknown',
      evidence: `could not check the snapshot's KMS key ${key.id}: DescribeKey did not send its KeyState`,
      action: 'Read it again later.',
    };
  }
  if (USABLE_KEY_STATES.has(key.state)) {
    const expiry = clock && judgeMaterialExpiry(key.materialExpires, clock.now, clock.horizonDays);
    const material = expiry
      ? `the imported key material of its KMS key ${key.id} ${materialExpiryWords(expiry, 'the snapshot cannot be restored')}`
      : '';
    if (expiry?.verdict === 'expired') {
      return { status: 'unusable', evidence: material, action: kmsMaterialExpiryFix(key) };
    }
    return {
      status: 'usable',
      evidence: `KMS key ${key.id} ${key.state}${expiry ? ` (imported key material until ${expiry.expires.toISOString()})` : ''}`,
      ...(expiry?.verdict === 'expiring' ? { warning: `${material}. ${kmsMaterialExpiryFix(key)}` } : {}),
    };
  }
  if (UNUSABLE_KEY_STATES.has(key.state)) {
    const deletion = key.deletionDate ? ` (deletion on ${key.deletionDate.toISOString()})` : '';
    return {
      status: 'unusable',
      evidence: `its KMS key ${key.id} is ${key.state}${deletion}: the snapshot cannot be restored with it`,
      action: kmsKeyFix(key, newSnapshot),
    };
  }
  return {
    status: 'unknown',
    evidence: `its KMS key ${key.id} is ${key.state}, a key state not known to be usable`,
    action: 'Wait until the key is Enabled.',
  };
}

/**
 * The key of a snapshot whose cloud has no {@link SnapshotCloud.snapshotKeys}: not read, so not known
 * (never "unencrypted, nothing to check": the snapshot may well be encrypted).
 */
function notRead(provider: Provider): SnapshotKey {
  return {
    kind: 'unnamed',
    reason: `this run has no reader of ${provider} snapshot keys`,
    action:
      provider === 'gcp'
        ? "Check the backup's key by hand: `gcloud sql backups describe`, then `gcloud kms keys versions describe` on the key version it names."
        : "Check the snapshot's key by hand: `aws rds describe-db-snapshots` (or `describe-db-cluster-snapshots`), then `aws kms describe-key` on the KmsKeyId it names.",
  };
}

/**
 * A reader of snapshot keys for one run over the clouds of an entry point: each cloud's own
 * {@link SnapshotCloud.snapshotKeys}, made once, so each distinct key is read once in the run.
 */
export function snapshotKeyReader(clouds: readonly SnapshotCloud[]): (
  scope: {
    readonly provider: Provider;
    readonly account: string;
    readonly region: string;
    readonly id: string;
  },
  snapshot: Parameters<SnapshotKeyReader>[1],
) => Promise<SnapshotKey> {
  const readerOf = perCloud(clouds, (cloud) => cloud.snapshotKeys?.());
  return async (scope, snapshot) => {
    const read = readerOf(scope.provider);
    return read ? read(scope, snapshot) : notRead(scope.provider);
  };
}
