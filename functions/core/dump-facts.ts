/**
 * Neutral facts about pg_dump files in object storage (S3 or Cloud Storage): what the dumps adapters
 * read, in the shape the `dumps.*` checks judge. Adapters never decide pass/fail.
 *
 * Every bucket setting is a {@link BucketReading}: a configuration that was read, a configuration
 * the API says does not exist (`absent`, e.g. S3 `NoSuchLifecycleConfiguration`), or one that
 * could not be read (`unknown`, e.g. AccessDenied). A check treats `absent` as a fact ("no
 * lifecycle rule") and `unknown` as something it cannot judge. Inside a configuration, a field the
 * API did not send stays undefined, never a default.
 */
import type { ExplicitDenyPolicy } from './errors.ts';
import type { ResourceRef } from './finding.ts';
import { PG_DUMP_HEADER_BYTES, type PgDumpHeaderResult, parsePgDumpHeader } from './pg-dump-header.ts';
import { PG_DUMP_TAIL_BYTES } from './pg-dump-tail.ts';
import { plural } from './plural.ts';
import { CLOCK_SKEW_TOLERANCE_MS } from './time.ts';

/** A bucket setting: read, said to be not configured, or not readable. */
export type BucketReading<T> =
  | { readonly state: 'read'; readonly value: T }
  | { readonly state: 'absent' }
  | { readonly state: 'unknown'; readonly reason: string };

/** Where the dumps of one database live: from the policy's `dumps.locations`. */
export interface DumpLocation {
  readonly provider: 'aws' | 'gcp';
  readonly bucket: string;
  /** Key prefix of the series (`certctl/prod/`); empty for the whole bucket. */
  readonly prefix: string;
  /**
   * Only keys ending with this are dumps (`.dump`): other files under the prefix (checksums, logs)
   * are not listed as the series. Undefined or empty: every object is.
   */
  readonly suffix?: string;
}

/**
 * Whether a listed object belongs to the dump series of `location`: a folder placeholder (a key
 * ending in `/` with no bytes, what the S3 and Cloud Storage consoles' "Create folder" writes) never
 * does, and with a suffix only keys ending with it do. A placeholder counted as a dump would stretch
 * the series back to the day the folder was made, and a checksum written after each dump would stand
 * in for a dump that never came.
 */
export function isSeriesObject(
  key: string,
  size: number | undefined,
  location: Pick<DumpLocation, 'suffix'>,
): boolean {
  if (key.endsWith('/') && size === 0) return false;
  return !location.suffix || key.endsWith(location.suffix);
}

/**
 * Whether the listing shows an object of the series to hold no dump: it is empty (0 bytes), what a
 * failed `pg_dump | aws s3 cp - …` (or `gcloud storage cp -`) still uploads, whatever its key. Such
 * an object covers no day of the series, adds no size to compare with, and is no dump for a
 * retention or a key version to keep. A size the listing did not send proves nothing.
 */
export function holdsNoDump(object: Pick<DumpObject, 'size'>): boolean {
  return object.size === 0;
}

/** One object of the listed series. */
export interface DumpObject {
  readonly key: string;
  /** Bytes; undefined when the listing did not say. */
  readonly size: number | undefined;
  /** S3 `LastModified`, GCS `timeCreated` (never `updated`); undefined when the listing did not say. */
  readonly lastModified: Date | undefined;
}

/** The listing of the prefix, bounded by the policy's `maxObjectsListed`. */
export type DumpListing =
  | {
      readonly state: 'read';
      /** Sorted oldest first by lastModified (objects without one last). */
      readonly objects: readonly DumpObject[];
      /** False when the listing stopped at the bound with more objects left. */
      readonly complete: boolean;
    }
  | {
      readonly state: 'unknown';
      readonly reason: string;
      /**
       * The listing was refused because the bucket does not exist: S3 answered NoSuchBucket, Cloud
       * Storage 404 `notFound` to buckets.get or objects.list (neither names an object). Both refuse
       * a caller without the permission with 403 whether the bucket exists or not (S3 AccessDenied,
       * https://github.com/helix-collective/hx-deploy-tool/issues/43; Cloud Storage "Permission
       * 'storage.buckets.get' denied on resource (or it may not exist)",
       * https://github.com/apache/pinot/pull/11655 and googleapis/java-storage#1372), so the 404 is
       * no disguise of a refusal: no object, so no dump, exists there. Only what needs a dump to
       * exist is judged on it (dumps.fresh, dumps.retention); the bucket's settings were not read.
       * Undefined for any other failure.
       */
      readonly bucketAbsent?: true;
    };

/**
 * The newest object that may be a dump ({@link newestPossibleDump}) and its header, read with a
 * ranged GET of its first bytes.
 */
export interface NewestDump {
  readonly object: DumpObject;
  readonly header:
    | {
        readonly state: 'read';
        readonly result: PgDumpHeaderResult;
        /** Bytes the ranged GET returned. */
        readonly bytesRead: number;
      }
    | {
        readonly state: 'unknown';
        readonly reason: string;
        /**
         * The storage class that refused the read (S3 `GLACIER`, `DEEP_ARCHIVE`, `INTELLIGENT_TIERING
         * access tier ARCHIVE_ACCESS`): the object is archived, and S3 serves its bytes to nobody,
         * this audit or a restore, until it is restored; empty when S3 named no class. Undefined
         * for any other failure.
         */
        readonly archived?: string;
        /**
         * True when S3 refused the read because the object is encrypted with a customer-provided
         * key (SSE-C: 400 InvalidRequest, "The object was stored using a form of Server Side
         * Encryption"): its bytes are served only to a request that sends that key, which S3 does
         * not keep and this audit does not hold. Undefined for any other failure.
         */
        readonly customerKey?: true;
        /**
         * S3: the read was refused with AccessDenied, `kms` when KMS refused S3 the decrypt of an
         * SSE-KMS object (S3's message named kms:Decrypt, or HeadObject, which needs the same
         * s3:GetObject but no decrypt, was answered: the object grant held), `unattributed`
         * otherwise, as S3 answers a missing s3:GetObject and a refused decrypt alike ("Access
         * Denied": https://github.com/boto/boto3/issues/2952). Cloud Storage: `unattributed` when
         * objects.get answered 403 naming no other cause than permission (storage.objects.get).
         * Undefined for any other failure.
         */
        readonly denied?: 'kms' | 'unattributed';
        /**
         * S3: the read was refused with AccessDenied by an explicit deny, of this policy type (a
         * bucket policy's is `resource-based policy`: core/errors.ts explicitDenyIn), which no grant
         * overrides; `denied` is then undefined. Undefined for any other failure.
         */
        readonly explicitDeny?: ExplicitDenyPolicy;
        /**
         * S3, for an archived object or a read refused with AccessDenied only: whether HeadObject,
         * which S3 answers for archived objects too with the same encryption and Object Lock headers
         * as GetObject (API_HeadObject), and which decrypts nothing (a refused decrypt does not
         * refuse it), did:
         * `read` when it answered (what it sent is `encryption` and `objectLock`, as a readable
         * dump's ranged read would have), or why it failed. Undefined when it was not sent.
         */
        readonly metadata?:
          | { readonly state: 'read' }
          | { readonly state: 'unknown'; readonly reason: string };
      };
  /** The object's last bytes, read beside the header with a suffix-ranged GET ({@link ByteReading}). */
  readonly tail: ByteReading;
  /**
   * The encryption the object itself carries, as the ranged read answered it (S3
   * `x-amz-server-side-encryption` and `-aws-kms-key-id`; for an archived object, HeadObject), its
   * key judged as the default's is: an upload's own encryption header overrides the bucket default,
   * so the default alone does not say how the dumps are encrypted. Undefined when not read (the
   * read failed or did not say; Cloud Storage).
   */
  readonly encryption?: EncryptionConfig;
  /**
   * The Object Lock retention the object itself carries, as the ranged read answered it (S3
   * `x-amz-object-lock-mode` and `-retain-until-date`; for an archived object, HeadObject): an
   * upload's own retention (PutObject
   * `x-amz-object-lock-*`) overrides the bucket default, and an object written before the default
   * was set has none. S3 sends them only to a caller with `s3:GetObjectRetention`, so their absence
   * does not prove the object unlocked: undefined when not sent (the read failed, no permission,
   * no retention on the object), and the bucket default is judged instead. On Cloud Storage: the
   * object's own retention (Object Retention Lock, mode `Locked` or `Unlocked`) as objects.list
   * sent it, which holds the object beside the bucket's retention policy.
   */
  readonly objectLock?: ObjectRetention;
  /**
   * The object holds the newest dump carries, as read beside its retention: on S3 its legal hold
   * from the same ranged read (or HeadObject), on Cloud Storage its holds from objects.list
   * ({@link DumpFact.listedHolds}). Undefined when none was sent.
   */
  readonly holds?: ObjectHolds;
}

/**
 * An object's holds as the store sent them: `true` held, `false` sent as not held, undefined not
 * sent. A held object cannot be deleted or replaced while the hold is set (Cloud Storage: "While an
 * object has a hold placed on it, the object cannot be deleted or replaced",
 * https://cloud.google.com/storage/docs/object-holds; S3: "A legal hold prevents an object version
 * from being overwritten or deleted", https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html),
 * but a hold sets no period: whoever may update the object (Cloud Storage storage.objects.update, S3
 * s3:PutObjectLegalHold) can release it at any time, so it is never a retention period.
 */
export interface ObjectHolds {
  /** Cloud Storage `temporaryHold` (objects.list). */
  readonly temporary?: boolean;
  /** Cloud Storage `eventBasedHold` (objects.list). */
  readonly eventBased?: boolean;
  /**
   * S3 Object Lock legal hold (`x-amz-object-lock-legal-hold`: `ON` true, `OFF` false). S3 sends it
   * only to a caller with s3:GetObjectLegalHold, and not for an object version never held.
   */
  readonly legal?: boolean;
}

/** Whether the holds sent show the object held now (one of them sent as set). */
export function isHeld(holds: ObjectHolds | undefined): boolean {
  return holds?.temporary === true || holds?.eventBased === true || holds?.legal === true;
}

/** An object's own Object Lock retention: its mode (`GOVERNANCE`/`COMPLIANCE`) and when it ends. */
export interface ObjectRetention {
  readonly mode: string;
  readonly retainUntil: Date;
}

/**
 * Bytes a ranged read returned, or why it failed. As the newest dump's `tail`: its last bytes, from
 * a suffix-ranged read (`Range: bytes=-N`, {@link PG_DUMP_TAIL_BYTES}), the whole object when it is
 * shorter, none when it is empty. Whether they end a whole archive is dumps.integrity's to judge
 * (functions/core/pg-dump-tail.ts).
 */
export type ByteReading =
  | { readonly state: 'read'; readonly bytes: Uint8Array }
  | { readonly state: 'unknown'; readonly reason: string };

/**
 * The newest dump with its header parsed from the first bytes a ranged read returned (at most
 * {@link PG_DUMP_HEADER_BYTES} are kept) and the tail its suffix-ranged read returned (at most
 * {@link PG_DUMP_TAIL_BYTES}, the last ones); `head` is empty for an object with no bytes, whose
 * ranged read from byte 0 the store answers with 416.
 */
export function newestDumpRead(object: DumpObject, bytes: Uint8Array, tail: ByteReading): NewestDump {
  const head = bytes.subarray(0, PG_DUMP_HEADER_BYTES);
  const kept: ByteReading =
    tail.state === 'read' ? { state: 'read', bytes: tail.bytes.subarray(-PG_DUMP_TAIL_BYTES) } : tail;
  return {
    object,
    header: { state: 'read', result: parsePgDumpHeader(head), bytesRead: head.length },
    tail: kept,
  };
}

/**
 * Why the bytes a ranged read returned are not the listed object's first (`head`) or last (`tail`)
 * bytes, judged from the answer's `Content-Range` (`bytes 0-1023/6451`: RFC 9110 section 14.4, which
 * S3 sends with every 206); undefined when they are, or when the answer sent none (a 200 carries the
 * whole object, whose first and last bytes are the ones kept; a 416 no bytes). The range's total is
 * the object's length at the read: another than the listed size means the key was written again
 * between the listing and the read (a job that uploads under one key, a rerun), so the bytes are of
 * another object than the one the listing dated and sized, and judging them with its time and size
 * mixes two objects. A range that does not start at byte 0 (`head`) or end at the last byte (`tail`)
 * is not the part asked for.
 */
export function rangeAnswerProblem(
  object: DumpObject,
  part: 'head' | 'tail',
  contentRange: string | undefined,
  received: number,
): string | undefined {
  if (contentRange === undefined) return undefined;
  const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(contentRange.trim());
  const asked = part === 'head' ? 'first bytes' : 'last bytes';
  if (!range) {
    return `the read of the ${asked} of ${object.key} answered Content-Range "${contentRange}", which names no byte range`;
  }
  const start = Number(range[1]);
  const end = Number(range[2]);
  const total = range[3] === '*' ? undefined : Number(range[3]);
  if (total !== undefined && object.size !== undefined && total !== object.size) {
    return `${object.key} holds ${plural(total, 'byte')} now, not the ${object.size} the listing said: it was written again after it was listed, so its bytes are not those of the dump the listing dated`;
  }
  if (part === 'head' && start !== 0) {
    return `the read of the first bytes of ${object.key} answered bytes ${start}-${end}, which do not start at byte 0`;
  }
  if (part === 'tail' && (total === undefined || end !== total - 1)) {
    return `the read of the last bytes of ${object.key} answered bytes ${start}-${end} of ${total ?? 'an unstated length'}, which are not shown to end the object`;
  }
  if (received !== end - start + 1) {
    return `the read of the ${asked} of ${object.key} returned ${received} of the ${end - start + 1} bytes its Content-Range names`;
  }
  return undefined;
}

/** Object versioning. S3 `Status` (absent: never enabled -> `absent`); GCS `versioning.enabled`. */
export interface VersioningConfig {
  /** `Enabled` or `Suspended` on S3; `Enabled`/`Disabled` from GCS's boolean. */
  readonly status: string | undefined;
}

/**
 * Write-once retention: S3 Object Lock default retention, or a GCS bucket retention policy.
 * `locked` is true for S3 COMPLIANCE mode and a locked GCS policy (nobody can shorten it).
 */
export interface RetentionLockConfig {
  /** S3 `GOVERNANCE`/`COMPLIANCE`; undefined on GCS. */
  readonly mode: string | undefined;
  /** The default retention in days (S3 Days or Years x 365; GCS retentionPeriod / 86,400). */
  readonly days: number | undefined;
  readonly locked: boolean | undefined;
  /** S3: `ObjectLockEnabled: Enabled` without a default rule protects nothing by default. */
  readonly enabledWithoutDefault?: boolean;
}

/** A lifecycle rule that applies to (some of) the dumps under the prefix. */
export interface DumpLifecycleRule {
  readonly id: string | undefined;
  /** Deletes (or expires) current objects after this many days. */
  readonly expirationDays: number | undefined;
  /** Expires current objects on this date (S3 `Expiration.Date`). */
  readonly expirationDate: Date | undefined;
  /** Deletes noncurrent versions after this many days (S3 NoncurrentDays; GCS age with isLive false). */
  readonly noncurrentExpirationDays: number | undefined;
  /**
   * Deletes a noncurrent version once this many newer versions of its object exist (GCS
   * `numNewerVersions`): a count, not a time, so it proves no number of days kept.
   */
  readonly noncurrentNewerVersions?: number;
  /** Deletes versions that became noncurrent before this instant (GCS `noncurrentTimeBefore`, midnight UTC). */
  readonly noncurrentTimeBefore?: Date;
  /**
   * Conditions of a rule on noncurrent versions the adapter does not model (GCS `matchesSuffix`, an
   * unreadable `noncurrentTimeBefore`, …), as in {@link unmodelledConditions}.
   */
  readonly noncurrentUnmodelledConditions?: readonly string[];
  /** The rule's own prefix filter, when it has one. */
  readonly prefix: string | undefined;
  /**
   * The rule reaches only keys under these prefixes, each longer than the location's prefix (a
   * scratch rule for `prod/tmp/` beside dumps under `prod/`); undefined when it reaches every key
   * under the location's prefix ({@link narrowerPrefixes}).
   */
  readonly narrowerPrefixes?: readonly string[];
  /**
   * The rule reaches only keys ending with one of these (GCS `matchesSuffix`); undefined when it
   * has no suffix condition. Compared with the listed dumps and the location's `suffix`.
   */
  readonly matchesSuffixes?: readonly string[];
  /**
   * Deletes current objects created before this instant (GCS `createdBefore`: midnight UTC of its
   * date), whatever their age. Unlike S3 `Expiration.Date` it does not reach objects made later.
   */
  readonly createdBefore?: Date;
  /**
   * Conditions of the rule the adapter does not model (GCS `daysSinceCustomTime=1`,
   * `matchesStorageClass=["STANDARD"]`, …), as `name=value` (a string as is, anything else as JSON). A rule deletes only objects that meet all its
   * conditions, so these narrow the modelled ones; whether they match the dumps is not known.
   */
  readonly unmodelledConditions?: readonly string[];
  /** Applies only to objects larger than this many bytes (S3 filter `ObjectSizeGreaterThan`). */
  readonly objectSizeGreaterThan?: number;
  /** Applies only to objects smaller than this many bytes (S3 filter `ObjectSizeLessThan`). */
  readonly objectSizeLessThan?: number;
}

/** Public access: S3 Block Public Access (bucket level) or GCS public access prevention. */
export interface PublicAccessConfig {
  /** True when every public path is blocked at this level; undefined when a field was not sent. */
  readonly blocked: boolean | undefined;
  /** What was read, for the finding (`BlockPublicAcls=true, …` or `publicAccessPrevention=enforced`). */
  readonly detail: string;
  /** GCS `inherited`: the org policy decides, which this read cannot see. */
  readonly inherited?: boolean;
}

/** Default encryption at rest. */
export interface EncryptionConfig {
  /** S3 `SSEAlgorithm` (`AES256`, `aws:kms`, `aws:kms:dsse`); `google-managed`, `cloud-kms` or (a dump's own) `customer-supplied` on GCS. */
  readonly algorithm: string | undefined;
  /** The KMS key (S3 `KMSMasterKeyID`, GCS `defaultKmsKeyName`), when one is named. */
  readonly kmsKey: string | undefined;
  /**
   * True for a key the customer manages; false for SSE-S3, `aws/s3` and Google-managed keys;
   * undefined when not known (S3: a named key KMS DescribeKey did not answer for).
   */
  readonly customerManagedKey: boolean | undefined;
  /**
   * S3, a key named by an alias (`alias/…` or an alias ARN): the ARN of the key the alias points to
   * now (DescribeKey `KeyMetadata.Arn`), whose manager and state the others are. An object stays
   * under the key the alias pointed to when it was written, and an alias can be moved (UpdateAlias),
   * so only an object's own key (S3 answers it by its ARN) proves which key encrypts it.
   */
  readonly aliasTarget?: string;
  /** Why `customerManagedKey` is undefined for a named key (`KMS DescribeKey failed: …`). */
  readonly keyManagerUnknown?: string;
  /**
   * S3: KMS no longer has the named key (`EncryptionKey.deleted`, functions/aws/kms-keys.ts): it
   * was deleted with its key material, and no object it encrypts can be decrypted.
   */
  readonly keyDeleted?: true;
  /**
   * The named key's state when its read answered with one: KMS `KeyState` (`Enabled`, `Disabled`,
   * `PendingDeletion`, …) from DescribeKey; on Cloud Storage the Cloud KMS `CryptoKeyVersionState`
   * of the key's primary version (`ENABLED`, `DISABLED`, `DESTROY_SCHEDULED`, …) from
   * cryptoKeys.get. Undefined when the key was not read (its name proved who manages it, the read
   * failed, no Cloud KMS client) or the API did not send a state: not evaluated.
   */
  readonly keyState?: string;
  /**
   * The Cloud KMS key version `keyState` is the state of, when it is not the key's primary: the
   * version a dump was written with (`kmsKeyName` of the object), read with cryptoKeyVersions.get.
   */
  readonly keyVersion?: string;
  /**
   * When a key in `PendingDeletion` will be deleted (DescribeKey `DeletionDate`), or a
   * `DESTROY_SCHEDULED` Cloud KMS version destroyed (`destroyTime`).
   */
  readonly keyDeletionDate?: Date;
  /**
   * S3: when the KMS key's imported key material expires (DescribeKey `ValidTo`, Origin EXTERNAL):
   * KMS then deletes the material, and no object the key encrypts can be decrypted until the same
   * material is imported again.
   */
  readonly keyMaterialExpires?: Date;
  /**
   * S3, with {@link keyMaterialExpires}: the region the KMS key was described in (its ARN's, else
   * the bucket's), which the command that imports its material again names.
   */
  readonly keyRegion?: string;
  /**
   * Why the state of a key whose manager is known could not be read (Cloud KMS cryptoKeys.get
   * refused or failed for this key: `cryptoKeys.get was denied …`): whether it decrypts is unknown.
   */
  readonly keyStateUnknown?: string;
  /**
   * What fixes the read of {@link keyStateUnknown} (functions/gcp/cloud-kms.ts cloudKmsReadRemedy: the
   * grant on the key, what lifts a refusal no grant fixes, the key to check, a read again). Absent: none known.
   */
  readonly keyStateRemedy?: string;
}

/** Everything the dumps checks need about one dump location. */
export interface DumpFact {
  /** The bucket (`AwsS3Bucket` or `GcpStorageBucket`), id `bucket/prefix` ({@link dumpResourceId}). */
  readonly resource: ResourceRef;
  readonly location: DumpLocation;
  readonly listing: DumpListing;
  /**
   * The newest object that may be a dump, as read ({@link newestPossibleDump}). Undefined when the
   * listing is unknown or empty, or, with no suffix, lists only checksums, signatures or logs by
   * their keys.
   */
  readonly newest: NewestDump | undefined;
  readonly versioning: BucketReading<VersioningConfig>;
  readonly retentionLock: BucketReading<RetentionLockConfig>;
  /**
   * S3: the region the policy places the bucket in, when S3 answered that the bucket is in another
   * (its redirect; `resource.region` is where it was read). The audit role's region-scoped grants
   * (kms:Decrypt through S3, Security Hub import) follow the policy, not the redirect. Undefined
   * when they agree (and on Cloud Storage).
   */
  readonly policyRegion?: string;
  /** Enabled rules that apply to the prefix (an empty list when none does). */
  readonly lifecycle: BucketReading<readonly DumpLifecycleRule[]>;
  readonly publicAccess: BucketReading<PublicAccessConfig>;
  readonly encryption: BucketReading<EncryptionConfig>;
  /** GCS soft delete (`softDeletePolicy.retentionDurationSeconds`), in days; S3 has none. */
  readonly softDeleteDays?: BucketReading<number>;
  /**
   * GCS: the Cloud KMS key versions the older dumps of the series are under (objects.list
   * `kmsKeyName`), other than the newest dump's and the default key's primary, each with its state
   * as the default's is read and the dumps it encrypts: a version destroyed after a rotation leaves
   * those dumps unreadable. Beside them, the older dumps under no Cloud KMS key: objects.list names
   * no key for them under a customer-managed default (Google-managed keys, written before the default
   * was set), or they carry `customerEncryption` (a customer-supplied key), one entry per kind, its
   * encryption without a key. Undefined when none was read (S3; no Cloud KMS client and no dump off
   * the key).
   */
  readonly olderDumpKeys?: readonly OlderDumpKey[];
  /**
   * GCS: each listed dump's own retention (Object Retention Lock) as the same objects.list answer
   * sent it, by key; a dump absent from it sent none or an unreadable one. Undefined when none was
   * sent (S3: not read).
   */
  readonly listedRetentions?: ReadonlyMap<string, ObjectRetention>;
  /**
   * GCS: each listed object's holds (`temporaryHold`, `eventBasedHold`) as the same objects.list
   * answer sent them, by key; an object absent from it was sent neither. Undefined on S3, which
   * lists no object's legal hold (the newest dump's is {@link NewestDump.holds}).
   */
  readonly listedHolds?: ReadonlyMap<string, ObjectHolds>;
  /**
   * GCS: whether the bucket is proven to be the policy project's ({@link BucketOwnership}); bucket
   * names are global, so a bucket of the configured name may be another project's. Every dumps
   * check judges a bucket not `proven` on that alone. Undefined for S3, where every call names the
   * expected owner (`ExpectedBucketOwner`) and S3 refuses another account's bucket.
   */
  readonly ownership?: BucketOwnership;
}

/**
 * Whose a Cloud Storage bucket is, from its buckets.get `projectNumber` against the number of the
 * project the policy places it in (Resource Manager projects.get): `proven` when they are equal,
 * `foreign` (both numbers) when another project owns it, `unknown` (why) when either was not had
 * (with the bucket's own number when only the project's was not had).
 */
export type BucketOwnership =
  | { readonly state: 'proven'; readonly projectNumber: string }
  | { readonly state: 'foreign'; readonly owner: string; readonly expected: string }
  | {
      readonly state: 'unknown';
      readonly reason: string;
      /**
       * The bucket's own buckets.get `projectNumber`, when it was sent but the policy project's
       * number was not had (projects.get failed): kept so the reader can compare it by hand.
       */
      readonly bucketProjectNumber?: string;
      /**
       * What to do when no role fixes the read that failed (an API not enabled, a token without its
       * scope); the check's own fix otherwise.
       */
      readonly remedy?: string;
    };

/**
 * A key version some older dumps of the series are under, or the provider's keys (Google-managed, a
 * customer-supplied key) they are under instead ({@link DumpFact.olderDumpKeys}).
 */
export interface OlderDumpKey {
  readonly encryption: EncryptionConfig;
  /** How many listed dumps it encrypts. */
  readonly dumps: number;
  /** The newest of them (its key). */
  readonly newestDump: string;
  /** When the newest of them was written, when listed with a time. */
  readonly newestWritten?: Date;
}

/**
 * The id of a dump location's findings: `bucket/prefix` (the bucket alone for an empty prefix), so
 * two prefixes of one bucket are two resources of every check, while the ARN stays the bucket's.
 */
export function dumpResourceId(bucket: string, prefix: string): string {
  return prefix === '' ? bucket : `${bucket}/${prefix}`;
}

/** True when a lifecycle rule's prefix filter can match objects under `prefix`. */
export function rulePrefixApplies(rulePrefix: string | undefined, prefix: string): boolean {
  if (!rulePrefix) return true;
  return prefix.startsWith(rulePrefix) || rulePrefix.startsWith(prefix);
}

/**
 * The prefixes of a rule (S3: its one prefix filter; GCS: `matchesPrefix`, any of which matches)
 * that lie inside the location's prefix, when none of them covers it whole: the rule then reaches
 * only keys under them. Undefined when the rule reaches every key under the location's prefix.
 */
export function narrowerPrefixes(
  rulePrefixes: readonly string[] | undefined,
  prefix: string,
): readonly string[] | undefined {
  if (!rulePrefixes || rulePrefixes.length === 0) return undefined;
  if (rulePrefixes.some((candidate) => prefix.startsWith(candidate))) return undefined;
  const inside = rulePrefixes.filter((candidate) => candidate.startsWith(prefix));
  return inside.length > 0 ? inside : undefined;
}

/**
 * Two object keys in the order S3 and Cloud Storage list them: by their UTF-8 bytes
 * (ListObjectsV2 "in ascending order based on the key names"; Cloud Storage lists names in UTF-8
 * binary order). JavaScript's `<` compares UTF-16 code units, which puts a character beyond U+FFFF
 * (a surrogate pair, D800-DFFF) before U+E000-U+FFFF, where their UTF-8 bytes (F0-F4 against
 * EE-EF) put it after; the key the listing calls last would then not be the key judged newest.
 */
export function compareObjectKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Oldest first by modification time; objects of the same time in key order (UTF-8 bytes,
 * {@link compareObjectKeys}); objects without a time at the end, in key order. The order is total,
 * so it does not hang on the order the listing sent: S3 general purpose buckets list by key, but
 * directory buckets (S3 Express One Zone) do not ("For directory buckets, ListObjectsV2 does not
 * return objects in lexicographical order", Sorting order of returned objects,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html; the policy refuses their
 * `--x-s3` names today, core/dumps-policy.ts, but nothing here rests on that), and two dumps of one
 * job can carry the same second. The last object of this order is the newest
 * ({@link newestObject}) and ends the series every check judges.
 */
export function compareOldestFirst(a: DumpObject, b: DumpObject): number {
  if (a.lastModified && b.lastModified) {
    const byTime = a.lastModified.getTime() - b.lastModified.getTime();
    return byTime !== 0 ? byTime : compareObjectKeys(a.key, b.key);
  }
  if (a.lastModified) return -1;
  if (b.lastModified) return 1;
  return compareObjectKeys(a.key, b.key);
}

/** The objects in {@link compareOldestFirst} order, as a new array. */
export function sortOldestFirst(objects: readonly DumpObject[]): DumpObject[] {
  return [...objects].sort(compareOldestFirst);
}

/**
 * The newest listed object: the latest modification time (of those, the last key), else the last
 * key; the last object of {@link sortOldestFirst}, whatever the order the listing holds.
 */
export function newestObject(listing: DumpListing): DumpObject | undefined {
  if (listing.state !== 'read' || listing.objects.length === 0) return undefined;
  const dated = listing.objects.filter((object) => object.lastModified !== undefined);
  return sortOldestFirst(dated.length > 0 ? dated : listing.objects).at(-1);
}

/**
 * Extensions of the files a dump job commonly writes beside each dump (`sha256sum` output, a GPG
 * signature, the job's log). Only an object with one of these, whose key is a listed object's key
 * with it added (`x.dump.sha256`) or put in place of its extension (`x.sha256` beside `x.dump`), is
 * told apart from a dump without reading it: a key alone proves nothing of any other object.
 */
const BESIDE_DUMP_EXTENSIONS: ReadonlySet<string> = new Set([
  'md5',
  'md5sum',
  'sha1',
  'sha256',
  'sha256sum',
  'sha512',
  'sha512sum',
  'checksum',
  'asc',
  'sig',
  'log',
]);

/** The extension of a key's last segment (`dump` of `prod/x.dump`), lower case; undefined without one. */
export function keyExtension(key: string): string | undefined {
  const dot = key.lastIndexOf('.');
  return dot > key.lastIndexOf('/') + 1 ? key.slice(dot + 1).toLowerCase() : undefined;
}

/** The longest of {@link BESIDE_DUMP_EXTENSIONS}. */
const LONGEST_BESIDE_DUMP_EXTENSION = Math.max(...[...BESIDE_DUMP_EXTENSIONS].map((name) => name.length));
/** The character codes the {@link BESIDE_DUMP_EXTENSIONS} start with (lower-case ASCII letters). */
const BESIDE_DUMP_EXTENSION_STARTS: ReadonlySet<number> = new Set(
  [...BESIDE_DUMP_EXTENSIONS].map((name) => name.charCodeAt(0)),
);

/**
 * Whether a key has the extension of a checksum, signature or log ({@link BESIDE_DUMP_EXTENSIONS}).
 * Alone it proves nothing: beside no listed dump, such an object may still be one.
 *
 * The checks ask it of every listed object several times (the benchmark's 20,000 keys), nearly
 * always of a dump's key: an extension longer than any of them, or whose first character is an
 * ASCII one that none of them starts with in either case (`d` of `.dump`), is told apart without
 * cutting out and lower-casing it. Lower-casing never shortens a string, and an ASCII letter's
 * lower case is the letter with bit 0x20 set (other ASCII characters then match no letter); a
 * first character beyond ASCII is read the whole way.
 */
export function hasBesideDumpExtension(key: string): boolean {
  const dot = key.lastIndexOf('.');
  if (dot <= key.lastIndexOf('/') + 1 || key.length - dot - 1 > LONGEST_BESIDE_DUMP_EXTENSION) return false;
  const first = key.charCodeAt(dot + 1);
  if (first < 128 && !BESIDE_DUMP_EXTENSION_STARTS.has(first | 0x20)) return false;
  const extension = keyExtension(key);
  return extension !== undefined && BESIDE_DUMP_EXTENSIONS.has(extension);
}

/**
 * The listed object whose first and last bytes the dumps collectors read: the newest object (as
 * {@link newestObject} takes it) that may be a dump. With no `suffix`, an object whose key shows it
 * a checksum, signature or log ({@link hasBesideDumpExtension}: `x.dump.sha256`, `x.sha256`) is
 * passed over, beside a listed dump or of one not listed, as the dumps checks count none of them
 * as a dump: a job that writes one after each dump makes it the newest object, and its bytes show
 * nothing of any dump, so reading them would leave the newest dump's unread. An empty object is
 * not passed over: no key shows it, and the listing alone shows it no dump. A `suffix` names the
 * dumps: the newest listed object is read, whatever its key. Undefined when no object may be a dump
 * (or the listing was not read): nothing is read.
 */
export function newestPossibleDump(listing: DumpListing, suffix: string | undefined): DumpObject | undefined {
  if (listing.state !== 'read' || suffix) return newestObject(listing);
  return newestObject({
    ...listing,
    objects: listing.objects.filter((object) => !hasBesideDumpExtension(object.key)),
  });
}

/**
 * The listed object whose date shows this run's clock behind, if one does: the newest dated object
 * of a read listing (checksums and empty objects too: the store dates every upload), when it is
 * dated more than {@link CLOCK_SKEW_TOLERANCE_MS} after `now`. S3 (`LastModified`) and Cloud
 * Storage (`timeCreated`) date an upload by their own clock, so the run's clock is behind by at
 * least that much, and by how much more is unknown: anything measured forward from `now` cannot be
 * told (a dump's age, the days a series covers and which of its gaps lie in the policy window,
 * whether a retain-until date or a key material's expiry is still ahead), while a date `now`
 * already passed is past all the more. The one rule every `dumps.*` check asks before it measures
 * against the clock; undefined when the listing was not read or shows nothing after the clock.
 */
export function clockContradictedBy(
  listing: DumpListing,
  now: Date,
): (DumpObject & { readonly lastModified: Date }) | undefined {
  if (listing.state !== 'read') return undefined;
  // One pass first: every check of every location asks, and on a clock that is right (nearly every
  // run) nothing is dated after it, so the listing is not sorted for nothing (newestObject sorts).
  const latest = now.getTime() + CLOCK_SKEW_TOLERANCE_MS;
  if (
    !listing.objects.some((object) => (object.lastModified?.getTime() ?? Number.NEGATIVE_INFINITY) > latest)
  ) {
    return undefined;
  }
  const newest = newestObject(listing);
  const written = newest?.lastModified;
  if (newest === undefined || written === undefined) return undefined;
  return written.getTime() - now.getTime() > CLOCK_SKEW_TOLERANCE_MS
    ? { ...newest, lastModified: written }
    : undefined;
}
