/**
 * Neutral facts about the secrets that back the key-material inventory. Adapters fill them from
 * Secrets Manager / KMS / Secret Manager metadata; the content part is a summary computed in memory
 * from the values (functions/core/key-material.ts) and never holds a value itself.
 */

import type { ResourceRef } from './finding.ts';
import type { KeyItemKind } from './keys-policy.ts';

/**
 * A value read from an API, or why it could not be read; `remedy`, when the adapter knows what fixes
 * the failure (core/errors.ts readFailureRemedy: the grant, an explicit deny, a run again), is the
 * remediation of a finding that could not be evaluated for it.
 */
export type Reading<T> =
  | { readonly state: 'read'; readonly value: T }
  | { readonly state: 'unknown'; readonly reason: string; readonly remedy?: string };

/** An inventory item as a finding names it (never its value). */
export interface KeyItemRef {
  readonly id: string;
  readonly kind: KeyItemKind;
  /** certctl's configuration name. */
  readonly source: string;
  readonly jsonKey?: string;
  /** For a private key: the certificate item it must match (also when that item is switched off). */
  readonly certificate?: string;
  /** For a certificate: the CA certificate item its signature is checked against (when that item is on). */
  readonly issuer?: string;
}

/** The KMS key (AWS) or Cloud KMS key (GCP) a secret or replica is encrypted with. */
export interface EncryptionKey {
  /** Key id, ARN or alias as the secret names it; `aws/secretsmanager` when the default key is used. */
  readonly id: string;
  /** `CUSTOMER` or `AWS`/`GOOGLE` (provider-managed); undefined when it could not be described. */
  readonly manager: 'CUSTOMER' | 'PROVIDER' | undefined;
  /**
   * AWS: KMS `KeyState` (`Enabled`, `Disabled`, `PendingDeletion`, …). GCP: the Cloud KMS
   * `CryptoKeyVersionState` (`ENABLED`, `DISABLED`, `DESTROY_SCHEDULED`, `DESTROYED`, …) of
   * {@link version}. Undefined when not described, or when the API did not send it.
   */
  readonly state?: string | undefined;
  /** AWS `DeletionDate`; GCP `destroyTime` (when a `DESTROY_SCHEDULED` version is destroyed). */
  readonly deletionDate?: Date | undefined;
  /**
   * GCP: the Cloud KMS key version whose state {@link state} is: the one the secret's latest version
   * names (`kmsKeyVersionName`), else the key's primary version.
   */
  readonly version?: string | undefined;
  /**
   * AWS: `ValidTo`, when the key's imported key material expires (Origin EXTERNAL, ExpirationModel
   * KEY_MATERIAL_EXPIRES): KMS then deletes the material and the key is unusable until the same
   * material is imported again.
   */
  readonly materialExpires?: Date | undefined;
  /**
   * GCP, user-managed replication: the location of the copy this key encrypts (each location has
   * its own setting). Absent for automatic replication, whose one key encrypts every copy.
   */
  readonly location?: string | undefined;
  /** GCP: {@link version} is the key's primary version, read because the secret version named none. */
  readonly primary?: boolean | undefined;
  /**
   * GCP: the key's primary version, read when the {@link version} the secret version names cannot
   * decrypt: Secret Manager encrypts each new version with the primary, so the fix that adds a new
   * version fails while the primary is not ENABLED (it may be this very version). `unreadReason`
   * when it could not be read. Undefined when not read (the key usable, or {@link primary} itself).
   */
  readonly keyPrimary?:
    | {
        readonly version?: string | undefined;
        readonly state?: string | undefined;
        readonly unreadReason?: string | undefined;
      }
    | undefined;
  /**
   * AWS: the region the key was described in: its ARN's, else that of the resource using it (a key
   * id or alias names a key of that region). The region its fix commands name.
   */
  readonly region?: string | undefined;
  /**
   * AWS: the region of the replica this key encrypts: a `ReplicationStatus` entry's, or the
   * secret's own region when the secret is itself a replica (its primary elsewhere); absent for the
   * primary's key. A replica's key that cannot decrypt loses that replica, not the primary.
   */
  readonly replicaRegion?: string | undefined;
  /**
   * AWS: the key of a replica whose `ReplicationStatus` entry did not send `Region` (optional in
   * ReplicationStatusType): a replica's key all the same, not the primary's, in a region not known.
   * {@link replicaRegion} is then absent.
   */
  readonly replicaRegionNotSent?: true | undefined;
  /**
   * AWS, a key named by an alias ({@link id} `alias/…` or an alias ARN): the key the alias points to
   * now, by its ARN (DescribeKey's `KeyMetadata.Arn`); {@link state} is that key's. A secret's
   * version is encrypted under the key its alias pointed to when the version was written, and an
   * alias can be moved to another key (UpdateAlias), so this key need not be the one that decrypts
   * the value. Undefined when DescribeKey did not send it.
   */
  readonly aliasTarget?: string | undefined;
  /** Why DescribeKey (AWS) or the Cloud KMS read (GCP) failed, when it did. */
  readonly unreadReason?: string | undefined;
  /**
   * What fixes the failed read of {@link unreadReason} when the adapter knows it (core/errors.ts
   * readFailureRemedy: the grant, what lifts an explicit deny), as the remediation of an audit
   * finding that could not be evaluated for this key.
   */
  readonly remedy?: string | undefined;
  /**
   * AWS: DescribeKey answered NotFoundException for this key id or key ARN (not an alias): the key
   * does not exist, and with it went its key material (KMS deletes both when a key's deletion
   * waiting period ends), so nothing it encrypted can be decrypted. An alias not found says nothing
   * of the key it named.
   */
  readonly deleted?: boolean | undefined;
  /**
   * AWS: DescribeKey was refused (AccessDeniedException), the only answer a missing grant gives;
   * {@link unreadReason} words it. Kept as a fact beside the words so that what callers decide from
   * a refusal (functions/aws/kms-keys.ts keyReadDenied) does not hang on how the reason is worded.
   */
  readonly denied?: boolean | undefined;
  /**
   * GCP, a Google-managed copy: the secret names a customer-managed key now, but its latest version
   * was added before (the setting applies to versions added afterwards only).
   */
  readonly beforeCmek?: string | undefined;
  /**
   * GCP: why this copy's key is only the secret's setting now, not proven by the latest version's
   * own status (that version not read, or its status not sent). The setting applies to versions
   * added after it was set, so the version holding the value may be under Google-managed encryption
   * (or, under a Google-managed setting, under a customer-managed key removed since).
   */
  readonly unproven?: string | undefined;
  /**
   * GCP: the copy's customer-managed encryption setting was sent without its `kmsKeyName` (required
   * in CustomerManagedEncryption): the copy is under a customer-managed key, and which one is not
   * known, nor its state. Not evaluated, never Google-managed.
   */
  readonly kmsKeyNameNotSent?: true | undefined;
}

export type ReplicationFact =
  | {
      readonly kind: 'aws';
      readonly primaryRegion: string | undefined;
      readonly replicas: readonly {
        /** Undefined when the API did not report it: such a replica proves no other region. */
        readonly region: string | undefined;
        readonly status: string | undefined;
        readonly statusMessage?: string | undefined;
      }[];
      /**
       * When this secret is itself a replica (`primaryRegion` is another region): its own status as
       * its primary reports it. A replica's DescribeSecret says where its primary is but not whether
       * it is in sync; only the primary's `ReplicationStatus` does. `status` undefined: the primary
       * does not list this region.
       */
      readonly asReplica?: Reading<{
        readonly status: string | undefined;
        readonly statusMessage?: string | undefined;
        /**
         * The KMS key of the primary's own copy (the primary's `KmsKeyId`, described in its
         * region): the copy elsewhere that this replica counts on. No other fact names it, as the
         * primary is not this secret's resource. Undefined when the primary is under the
         * AWS-managed key (its `KmsKeyId` left out, or aws/secretsmanager), which needs no KMS read
         * and can be neither disabled nor deleted. A key DescribeKey could not describe is still
         * carried, with its `unreadReason` and no state (functions/aws/secrets-manager.ts
         * primaryKeyOf), and proves no copy.
         */
        readonly primaryKey?: EncryptionKey | undefined;
      }>;
    }
  | { readonly kind: 'gcp-automatic' }
  | { readonly kind: 'gcp-user-managed'; readonly locations: readonly string[] };

/** What `keys.content` learned about one item (values are never kept). */
export interface ItemContent {
  readonly item: string;
  /** Problems found, worst decides the status. Details never quote the value. */
  readonly problems: readonly ContentProblem[];
  /** Facts safe to publish: certificate expiry and fingerprint, key type. */
  readonly observed: Readonly<Record<string, string | number | boolean>>;
  /**
   * Pairings compared and found to hold, as the description says them (`ca-key matches ca-cert`,
   * `scep-ra-cert is signed by ca-cert`). A pairing that was not compared is never listed here.
   */
  readonly proven?: readonly string[];
  /**
   * Optional comparisons skipped because the partner item is switched off in the inventory (`scep-ra-cert's
   * signature by ca-cert (ca-cert is switched off in the inventory)`). A required one (a key's
   * certificate) is a `partner-off` problem instead.
   */
  readonly unchecked?: readonly string[];
}

export interface ContentProblem {
  readonly status: 'FAILED' | 'WARNING' | 'NOT_AVAILABLE';
  /** Stable code, e.g. `certificate-expired`, `key-mismatch`, `not-pem`, `partner-off`. */
  readonly code: string;
  /** One sentence about the item, without its value. */
  readonly detail: string;
}

export type ContentReading =
  | { readonly state: 'not-inspected' }
  /** The value could not be read (`reason`); `remedy` as a {@link Reading}'s. */
  | { readonly state: 'unknown'; readonly reason: string; readonly remedy?: string }
  | { readonly state: 'read'; readonly items: readonly ItemContent[] };

/** Everything the keys checks judge about one secret and the inventory items it backs. */
export interface KeySecretFact {
  readonly resource: ResourceRef;
  readonly items: readonly KeyItemRef[];
  /** Whether the secret exists. */
  readonly existence: Reading<boolean>;
  /** AWS `DeletedDate` / GCP `expireTime`: when the secret will be deleted; absent when not scheduled. */
  readonly deletionScheduled?: Date | undefined;
  /** The primary copy's key; `manager: PROVIDER` for the service default. */
  readonly encryption: Reading<readonly EncryptionKey[]>;
  readonly replication: Reading<ReplicationFact>;
  /**
   * GCP: the latest version's state (`ENABLED`, `DISABLED`, `DESTROYED`, `none`): `versions/latest`,
   * the most recently added version (older versions are not read). AWS: `ENABLED` when a version
   * carries AWSCURRENT, `none` when none does (the secret holds no value). `version`: GCP, its
   * number as its resource name says it (`7` of `…/versions/7`), for the commands that fix it.
   */
  readonly latestVersion?: Reading<{
    readonly state: string;
    readonly scheduledDestroy?: Date | undefined;
    readonly version?: string | undefined;
  }>;
  readonly content: ContentReading;
}
