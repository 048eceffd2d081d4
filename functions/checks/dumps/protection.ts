/**
 * `dumps.protection`: the bucket protects the dumps against deletion, exposure and disclosure.
 *
 * - Deletion and overwrite: a retention lock of at least `minPitrDays` (S3 Object Lock default
 *   retention, GCS retention policy), or object versioning. A lock that can be lifted (S3
 *   GOVERNANCE mode, an unlocked GCS policy) and versioning whose noncurrent versions expire sooner
 *   than `minPitrDays` are WARNING: they protect against mistakes, not against a stolen admin role.
 *   A lock that can be lifted beside versioning that keeps every version `minPitrDays` is judged as
 *   that versioning (PASSED): it takes nothing away from it.
 *   So is versioning whose noncurrent versions a rule deletes by a count of newer versions or by the
 *   date they became noncurrent (GCS `numNewerVersions`, `noncurrentTimeBefore`): no number of
 *   days is proven. A rule whose suffixes the location's `suffix` never ends with (a `.tmp` cleanup
 *   beside `.dump` dumps) does not touch their versions and is not counted. One whose prefixes
 *   inside the series or suffixes reach none of the listed dumps (a `prod/tmp/` cleanup) may still
 *   reach the version of a dump deleted since (the listing names current objects only, and names
 *   none when every dump was deleted): it is WARNING, named, when it deletes noncurrent versions
 *   sooner than `minPitrDays` is proven.
 *   Without either, Cloud Storage soft delete of at least `minPitrDays` is WARNING (deleted and
 *   overwritten dumps stay restorable, but whoever can edit the bucket can turn it off); a shorter
 *   one is still FAILED, saying how long it keeps them.
 *   On S3 the newest dump's own Object Lock retention, when its ranged read (or, archived, its
 *   HeadObject) sent it (an upload's own retention overrides the bucket default; S3 sends it only
 *   with `s3:GetObjectRetention`), is the lock judged, as the days from its LastModified to its
 *   retain-until date and its own mode; a retain-until date already past keeps it no more and is
 *   judged as no lock (FAILED unless versioning keeps it). One still ahead of a clock that a listed
 *   object dated after this run shows behind (core/dump-facts.ts `clockContradictedBy`) may have
 *   passed too: a retention long enough to pass is then NOT_AVAILABLE, naming the clock (on Cloud
 *   Storage unless the bucket's retention policy proves as much). Otherwise the bucket default is judged,
 *   and so it is from a listing cut at its bound (whose newest listed dump may not be the newest),
 *   unless that dump's own retention proves less: it overrides the default for its upload, and the
 *   newest dump may carry one as short. A COMPLIANCE default of the policy days never passes alone:
 *   it holds only dumps uploaded after it was set without a retention of their own, so unless
 *   versioning keeps a deleted dump the policy days by itself, NOT_AVAILABLE, naming the dump whose
 *   own retention was not read. Nor does the newest dump's own retention pass for the series: S3
 *   lists no object's retention, so unless versioning keeps a deleted dump the policy days, the
 *   older dumps of those days are not shown held (NOT_AVAILABLE, naming them). On Cloud
 *   Storage the newest dump's own object retention (objects.list `retention`: `Locked` counts as
 *   locked, `Unlocked` as a lock that can be lifted) and the bucket's retention policy both hold
 *   it: the one that proves more is judged, and a pass that rests on the dump's own retention says
 *   so. It holds that dump alone: older listed dumps that carry no Locked
 *   retention of the policy days of their own, and that versioning does not keep, are WARNING.
 *   From a Cloud Storage listing cut at its bound, a newest listed dump whose own retention lasts the
 *   policy days, where the bucket's settings alone would fail (no versioning, no retention policy of
 *   the policy days, soft delete shorter), shows what uploads carry: the dumps written after it, whose
 *   own retention was not read, are NOT_AVAILABLE, naming them, not FAILED.
 *   An object hold (Cloud Storage `temporaryHold` and `eventBasedHold`, which objects.list sends
 *   for every listed dump; S3's legal hold, which the newest dump's read answers only with
 *   `s3:GetObjectLegalHold`) keeps a dump from deletion while it is set, but sets no period and can
 *   be released by whoever may update the object: it never passes, nor changes a status. A finding
 *   that says the dumps are unguarded names the listed dumps under one; one whose newest dump's own
 *   retention ended says whether a hold keeps it, was read off (only then "nothing locks it now"),
 *   or was not sent; so does one of older dumps its own retention does not keep (only those read
 *   off "can be deleted").
 * - Public access: S3 Block Public Access with all four settings on, each on the bucket or its
 *   account (S3 applies the most restrictive combination; the collector reads the account's setting
 *   when the bucket's own does not block everything), or GCS public access prevention `enforced`.
 *   A setting off at both levels is FAILED; a level that could not be read, where it decides, is
 *   NOT_AVAILABLE. No bucket-level block with the account unread (S3) or `inherited` (GCS) leaves it
 *   to the account or organization, which this read does not see: WARNING.
 * - Encryption at rest: every S3 bucket has at least SSE-S3 since January 2023 and every GCS bucket
 *   Google-managed keys; a customer-managed KMS key is preferred (its key policy is a second lock
 *   on who reads the dumps), so anything else is WARNING. A named S3 key whose manager KMS did not
 *   tell (DescribeKey denied or failed) is NOT_AVAILABLE: a key ARN may name the aws/s3 key. A
 *   customer-managed default named by an alias is judged by the key it points to now, named with
 *   it; a pass needs the newest dump's own key (S3 answers it by its ARN), as an alias may have been
 *   moved since the dumps were written: without it (no dump listed, the listing unread, no key sent)
 *   NOT_AVAILABLE, naming the alias and its key now. A customer-managed default key whose name shows
 *   it held by another AWS account or Google Cloud project than the bucket's counts as customer-
 *   managed (a central security account's key may be so on purpose), but every finding names that
 *   account or project (observed `kmsKeyAccount`) and says its administrators can make every dump
 *   unreadable, which nothing in the bucket's account can stop. So does the newest dump's own key
 *   in another account or project (observed `newestDumpKmsKeyAccount`), unless the default key's
 *   words already name that account.
 * - The newest dump's own encryption, when the ranged read of its header said it (S3) or its
 *   objects.list `kmsKeyName` names another Cloud KMS key than the default, or none under a Cloud
 *   KMS default (GCS: written with Google-managed keys before the default was set), or it carries
 *   `customerEncryption` (GCS: a customer-supplied key, which Cloud Storage does not keep): an upload's
 *   own encryption overrides the bucket default, so a dump written with SSE-S3, aws/s3 or
 *   Google-managed keys under a CMK default is WARNING, and its key is judged as the default's is.
 *   An archived S3 dump (its bytes served only after a restore) is judged by what HeadObject
 *   answered of it, as a readable one by its ranged read. An S3 dump whose read failed otherwise
 *   (or whose HeadObject failed too) is not said to carry a CMK default: NOT_AVAILABLE (how it is
 *   encrypted was not read), or WARNING when S3 refused it for a customer-provided key (SSE-C).
 *   Nor is one whose read answered without `x-amz-server-side-encryption`, which S3 sends on every
 *   GET and HEAD of an encrypted object: NOT_AVAILABLE, as for a default named by an alias.
 *   From a listing cut at its bound, whose newest listed dump may not be the newest, a pass on a
 *   customer-managed default says the dumps written since were not read.
 * - The key must decrypt: a KMS key DescribeKey reports disabled, pending deletion or otherwise
 *   unusable, a KMS key DescribeKey no longer finds (deleted with its material), or a Cloud KMS
 *   key whose primary version cryptoKeys.get reports DISABLED, DESTROY_SCHEDULED, DESTROYED or
 *   otherwise unusable (core/kms-key-states.ts), FAILs, as every dump it encrypts is (or soon will
 *   be) unreadable; so does a usable KMS key whose imported key material has expired (DescribeKey
 *   `ValidTo`: KMS deletes the material then), and material expiring within the policy's
 *   `keys.expiryHorizonDays` (the default and the newest dump's own key alike) is WARNING, each
 *   with the import that fixes it (material beyond the horizon of a clock the listing shows behind
 *   is NOT_AVAILABLE, naming the clock: KMS says PendingImport only once it has expired; within it,
 *   the WARNING says it expires within the horizon, not in how many days, naming the clock); a key that is gone (KMS NotFoundException, a Cloud KMS version
 *   DESTROYED) is fixed by a new dump under a usable key, not by a restore, and the fix of the
 *   other problems beside it is the provider's (on GCS the locked retention policy first); a state that proves nothing either way
 *   (`Creating`, `PENDING_GENERATION`) is NOT_AVAILABLE, and so is a Cloud KMS key whose read was
 *   refused or failed (`keyStateUnknown`). A GCS pass whose key state was not read (no Cloud KMS
 *   client, no state sent) says so, and so does an S3 pass for a customer-managed key (the
 *   default, or the newest dump's own) whose DescribeKey sent no `KeyState`, naming it. On GCS the key versions the older dumps of the series are under
 *   (a rotation leaves them on the older version) are judged the same way, naming how many dumps
 *   each encrypts (`olderDumpKeys`); a version whose dumps were all written before the policy's
 *   `minPitrDays` holds more than the policy asks for: what would fail is a WARNING, an unread
 *   state is not judged. Older dumps of the policy's days that objects.list shows under no
 *   customer-managed key (none named under a customer-managed default: written before it was set;
 *   or a customer-supplied key) are WARNING, as the newest dump would be: a pass would say a
 *   customer-managed key encrypts the dumps.
 */
import type { CheckOutcome } from '../../core/check.ts';
import {
  clockContradictedBy,
  type DumpFact,
  type DumpLifecycleRule,
  type DumpObject,
  type EncryptionConfig,
  holdsNoDump,
  isHeld,
  type NewestDump,
} from '../../core/dump-facts.ts';
import { DEFAULT_EXPIRY_HORIZON_DAYS } from '../../core/keys-policy.ts';
import {
  DELETED_KMS_KEY,
  deletedKmsKeyFix,
  isKmsAlias,
  judgeMaterialExpiry,
  kmsKeyFix,
  kmsMaterialExpiryFix,
  materialExpiryWords,
  UNUSABLE_KEY_STATES,
  USABLE_KEY_STATES,
} from '../../core/kms-key-states.ts';
import { plural } from '../../core/plural.ts';
import { CLOCK_SKEW_TOLERANCE_MS, DAY_MS } from '../../core/time.ts';
import type { DumpsCheck } from './settings.ts';
import {
  clockBehindWords,
  DOCS,
  DUMPS_RESOURCE_TYPES,
  deniedReadWords,
  dumpsNotHeldByOwnRetention,
  hasBesideDumpExtension,
  heldDumps,
  holdReleaseWords,
  locationLabel,
  ownRetentionDays,
  ruleReach,
  valueOrNull,
} from './wording.ts';

interface Verdicts {
  readonly problems: string[];
  readonly warnings: string[];
  readonly unknown: string[];
  /** A KMS key that encrypts dumps no longer exists: the check's fix (enable it, cancel its deletion) cannot apply. */
  keyGone?: true;
  /**
   * What was said of KMS keys that have a fix of their own, each with it: imported key material
   * that expires or has expired (import the same material again), an AWS key that is disabled or
   * scheduled for deletion (enable it, cancel the deletion). The finding's fix names them first.
   */
  readonly keyFixes: { readonly said: string[]; readonly fixes: string[] };
  /** What fixes a key state read that failed (`keyStateRemedy`): the fix of a finding that could not evaluate. */
  readonly readFixes: string[];
}

/** When the judgement runs, and the horizon within which expiring key material warns. */
interface KeyClock {
  readonly now: Date;
  readonly horizonDays: number;
  /** A listed object dated after `now`: the clock is behind (core/dump-facts.ts `clockContradictedBy`). */
  readonly behind: (DumpObject & { readonly lastModified: Date }) | undefined;
}

/**
 * The fix of a finding whose dumps are under a key that no longer exists (see {@link Verdicts.keyGone}),
 * by provider, and the fix of the finding's other problems beside it. On Cloud Storage a locked
 * retention policy comes first: Object Versioning cannot be turned on beside a retention policy.
 */
const KEY_GONE_FIX = {
  aws: {
    key: deletedKmsKeyFix(
      "take a new dump now and store it encrypted with a customer-managed key that is Enabled (the bucket default, or the upload's own SSE-KMS key), and keep that key enabled",
    ),
    others:
      'turn on versioning (or Object Lock of at least the policy minimum) and block all public access on the bucket',
  },
  gcp: {
    // A DESTROYED version cannot be restored (only DESTROY_SCHEDULED can); imported key material
    // alone comes back, by importing the same material again
    // (https://cloud.google.com/kms/docs/destroy-restore).
    key: deletedKmsKeyFix(
      'take a new dump now and store it under a customer-managed Cloud KMS key whose primary version is ENABLED (the bucket default key), and keep that version enabled; a version of imported key material comes back only by importing the same material again (`gcloud kms keys versions import`)',
    ),
    others:
      'set a locked retention policy of at least the policy minimum (or, on a bucket without a retention policy, turn on Object Versioning: Cloud Storage refuses it beside one) and enforce public access prevention on the bucket',
  },
} as const;

export const dumpsProtectionCheck: DumpsCheck = {
  metadata: {
    id: 'dumps.protection',
    group: 'dumps',
    title: 'The dump bucket resists deletion, public access and disclosure',
    failedTitle: 'The dump bucket is exposed to deletion, public access or disclosure',
    severity: 'HIGH',
    rationale:
      'The dumps hold every certificate record and the audit trail. An attacker or a mistake that deletes or overwrites them removes the last restore path; a public or unencrypted bucket leaks them; a KMS key that is disabled or scheduled for deletion, or whose imported key material expires, leaves every dump it encrypts unreadable.',
    remediation: {
      text: 'Turn on versioning (or Object Lock / a locked retention policy of at least the policy minimum), block all public access on the bucket, and set default encryption with a customer-managed KMS key; keep that key enabled.',
      texts: {
        gcp: 'Set a locked retention policy of at least the policy minimum (or, on a bucket without a retention policy, turn on Object Versioning: Cloud Storage refuses it beside one), enforce public access prevention on the bucket, and set a customer-managed Cloud KMS default key; keep its key version enabled (restore a version scheduled for destruction, then enable it).',
      },
      url: DOCS.s3ObjectLock,
      urls: { gcp: DOCS.gcsVersioning },
    },
    resourceTypes: DUMPS_RESOURCE_TYPES,
  },
  evaluate(fact, { minPitrDays, now, keyHorizonDays = DEFAULT_EXPIRY_HORIZON_DAYS }) {
    const verdicts: Verdicts = {
      problems: [],
      warnings: [],
      unknown: [],
      keyFixes: { said: [], fixes: [] },
      readFixes: [],
    };
    judgeDeletion(fact, minPitrDays, now, verdicts);
    judgePublicAccess(fact, verdicts);
    judgeEncryption(
      fact,
      minPitrDays,
      { now, horizonDays: keyHorizonDays, behind: clockContradictedBy(fact.listing, now) },
      verdicts,
    );

    const observed = observedValues(fact);
    const required = { retentionLockDays: minPitrDays, publicAccessBlocked: true, customerManagedKey: true };
    const label = locationLabel(fact);
    const { problems, warnings, unknown } = verdicts;
    const foreign = foreignKeyWords(
      fact,
      fact.encryption.state === 'read' ? fact.encryption.value : undefined,
    );
    const foreignNewest = foreignNewestKeyWords(fact);
    const whose = `${foreign ? ` The default key is ${foreign}.` : ''}${foreignNewest ? ` The newest dump ${fact.newest?.object.key}'s own key is ${foreignNewest}.` : ''}`;
    const unread = unknown.length > 0 ? ` Could not read ${unknown.join(' and ')}.` : '';
    const also = `${warnings.length > 0 ? ` Also: ${warnings.join('; ')}.` : ''}${whose}`;
    if (problems.length > 0) {
      return {
        status: 'FAILED',
        description: `${label}: ${problems.join('; ')}.${also}${unread}`,
        observed,
        required,
        ...(verdicts.keyGone
          ? { remediationText: keyGoneFix(fact.location.provider, problems.length > 1) }
          : keyFix(verdicts)),
      };
    }
    if (unknown.length > 0) {
      return {
        status: 'NOT_AVAILABLE',
        description: `Could not evaluate ${label}: could not read ${unknown.join(' and ')}.${also}`,
        observed,
        required,
        ...(verdicts.readFixes.length > 0 ? { remediationText: verdicts.readFixes.join(' ') } : {}),
      };
    }
    if (warnings.length > 0) {
      return {
        status: 'WARNING',
        description: `${label}: ${warnings.join('; ')}.${whose}`,
        observed,
        required,
        ...keyFix(verdicts),
      };
    }
    // What the pass rests on that was not read or not judged for every dump, each said.
    const notes = [
      foreign && fact.encryption.state === 'read'
        ? ` (the default key ${fact.encryption.value.kmsKey} is ${foreign})`
        : '',
      foreignNewest
        ? ` (the newest dump ${fact.newest?.object.key}'s own key ${fact.newest?.encryption?.kmsKey} is ${foreignNewest})`
        : '',
      fact.location.provider === 'gcp' &&
      fact.encryption.state === 'read' &&
      fact.encryption.value.kmsKey !== undefined &&
      fact.encryption.value.keyState === undefined
        ? " (the Cloud KMS key's state was not read)"
        : '',
      ...stateUnsentKeys(fact).map((key) => ` (DescribeKey sent no state for the KMS key ${key})`),
      // A cut listing's newest listed dump may be an old one: both listings answer in key order
      // (ListObjectsV2 on a general purpose bucket "returns objects in lexicographical order based
      // on their key names", Sorting order of returned objects,
      // https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html; objects.list
      // "ordered in the list lexicographically by name",
      // https://cloud.google.com/storage/docs/listing-objects), so a cut date-named series holds its
      // oldest dumps. Nothing here rests on the order: under any other (an S3 directory bucket's,
      // whose `--x-s3` names the policy refuses, core/dumps-policy.ts) the dumps beyond the bound
      // are unread all the same. An upload's own encryption overrides the default, so the dumps
      // written since are not shown to be under it.
      fact.listing.state === 'read' && !fact.listing.complete
        ? ` (encryption judged by the bucket default and ${fact.newest ? `${fact.newest.object.key}, the newest listed dump` : 'no listed dump'}: the listing stopped at its bound, so the own encryption of the dumps written since, which overrides the default, was not read)`
        : '',
      gcsOwnRetentionJudged(fact, minPitrDays, now)
        ? ` (deletion judged by the newest dump ${fact.newest?.object.key}'s own object retention, ${fact.newest?.objectLock?.mode} until ${fact.newest?.objectLock?.retainUntil.toISOString()}, and each older listed dump's own)`
        : '',
    ].join('');
    return {
      status: 'PASSED',
      description: `${label}: deletion is guarded, public access is blocked and a customer-managed key encrypts the dumps${notes}.`,
      observed,
      required,
    };
  },
};

/**
 * S3: the customer-managed keys a pass rests on (the default, and the newest dump's own when it is
 * another) whose DescribeKey named the manager but sent no `KeyState`: whether they decrypt was
 * not evaluated (judgeKeyState reads no state as nothing to judge), so the pass names them, as a
 * Cloud Storage pass says its key's state was not read.
 */
function stateUnsentKeys(fact: DumpFact): string[] {
  if (fact.location.provider !== 'aws') return [];
  const byDefault = fact.encryption.state === 'read' ? fact.encryption.value : undefined;
  const own = fact.newest?.encryption;
  const keys = [byDefault, own].flatMap((encryption) =>
    encryption?.customerManagedKey === true &&
    encryption.keyState === undefined &&
    encryption.kmsKey !== undefined
      ? [encryption.kmsKey]
      : [],
  );
  return [...new Set(keys)];
}

/** The fix of a finding whose dumps are under a key that is gone, and of its other problems when it has some. */
function keyGoneFix(provider: DumpFact['location']['provider'], others: boolean): string {
  const fix = KEY_GONE_FIX[provider];
  return others ? `${fix.key} For the other problems: ${fix.others}.` : fix.key;
}

/**
 * The fix of a finding that names a key with a fix of its own (expiring or expired key material:
 * import it again; an AWS key disabled or scheduled for deletion: enable it), then, when
 * the finding says more than that, the check's own fix for the rest.
 */
function keyFix({ problems, warnings, keyFixes }: Verdicts): { remediationText?: string } {
  if (keyFixes.fixes.length === 0) return {};
  const others = [...problems, ...warnings].some((said) => !keyFixes.said.includes(said));
  const rest = others ? ` For the other problems: ${dumpsProtectionCheck.metadata.remediation.text}` : '';
  return { remediationText: `${keyFixes.fixes.join(' ')}${rest}` };
}

/**
 * The lock that keeps the newest dump: its own retention when the read sent it, as the days from
 * its LastModified to its retain-until date; else the bucket's. A retain-until date already past
 * no longer keeps it (S3 then lets anyone with s3:DeleteObject delete the version,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html; Cloud Storage lets it be
 * deleted or replaced): however many days it once lasted, it is judged as no lock (`ended`), and
 * on S3 the bucket default does not stand in for it (a default applies only to uploads). On Cloud
 * Storage the bucket's retention policy still holds the dump and is judged when it is set.
 *
 * On S3 an upload's own Object Lock retention overrides the bucket default, and an object written
 * before the default was set has none: the own one is judged. On Cloud Storage an object's own
 * retention (Object Retention Lock, objects.list `retention{mode, retainUntilTime}`) and the
 * bucket's retention policy both hold it ("Prior to this time, the object cannot be deleted or
 * replaced", https://cloud.google.com/storage/docs/object-lock; the bucket policy applies to every
 * object, https://cloud.google.com/storage/docs/bucket-lock): the one that proves more is judged,
 * and an own retention that is not `Locked` never stands in for a bucket policy that could not be
 * read (it may be the locked one) nor for versioning. On either, a dump's own retention is judged
 * only from a complete listing: a cut one's newest may not be the newest, and it shows only what
 * uploads carry (on S3 a retention shorter than the default; on Cloud Storage one of the policy days
 * where the bucket's settings would fail, which leaves the dumps beyond the bound unread). Both list in key order
 * (ListObjectsV2 on a general purpose bucket, https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html,
 * Sorting order of returned objects; objects.list, https://cloud.google.com/storage/docs/listing-objects),
 * so a cut date-named series holds its oldest dumps; under any other order the dumps beyond the
 * bound are unread all the same.
 */
function judgedLock(
  fact: DumpFact,
  minPitrDays: number,
  now: Date,
): {
  readonly lock: DumpFact['retentionLock'];
  readonly lockName: string;
  /** When the newest dump's own retention, judged as none, ended. */
  readonly ended?: Date;
} {
  const own = fact.newest?.objectLock;
  const written = fact.newest?.object.lastModified;
  const bucket = {
    lock: fact.retentionLock,
    lockName: fact.location.provider === 'aws' ? 'Object Lock default retention' : 'retention policy',
  };
  if (!own || !written) return bucket;
  const days = ownRetentionDays(own.retainUntil, written);
  const gcs = fact.location.provider === 'gcp';
  // Cloud Storage names the modes Locked and Unlocked (COMPLIANCE and GOVERNANCE in its XML API).
  const locked = own.mode === 'COMPLIANCE' || (gcs && own.mode === 'Locked');
  const ownLock = {
    lock: { state: 'read' as const, value: { mode: own.mode, days, locked } },
    lockName: `${gcs ? 'object retention' : 'Object Lock retention'} of the newest dump ${fact.newest?.object.key}`,
  };
  // When a listing stopped at its bound, the newest listed dump may not be the newest (see above:
  // key order, or any other), and its retention proves nothing of the dump that is. On S3 it still
  // shows what uploads carry: one that proves less than the bucket default overrides that default
  // for its upload, and the dump that is newest may carry the same.
  if (fact.listing.state !== 'read' || !fact.listing.complete) {
    if (!gcs) {
      return lockStrength(ownLock.lock, minPitrDays) < lockStrength(bucket.lock, minPitrDays)
        ? {
            ...ownLock,
            lockName: `Object Lock retention of the newest listed dump ${fact.newest?.object.key}`,
          }
        : bucket;
    }
    // On Cloud Storage, one that proves the policy days where the bucket's settings alone would fail
    // the dumps (no versioning, no retention policy of the policy days, soft delete shorter) shows
    // what uploads carry: the dumps written after it may carry the same, and theirs was not read.
    const softDays = fact.softDeleteDays?.state === 'read' ? fact.softDeleteDays.value : undefined;
    const bucketFails =
      fact.retentionLock.state !== 'unknown' &&
      lockStrength(fact.retentionLock, minPitrDays) < 2 &&
      fact.versioning.state !== 'unknown' &&
      !(fact.versioning.state === 'read' && fact.versioning.value.status === 'Enabled') &&
      !(softDays !== undefined && softDays >= minPitrDays);
    if (!bucketFails || lockStrength(ownLock.lock, minPitrDays) < 2) return bucket;
    const key = fact.newest?.object.key;
    return {
      lock: {
        state: 'unknown',
        reason: `${key} carries its own, ${own.mode} until ${own.retainUntil.toISOString()}, but the listing stopped at its bound, so theirs was not read, and neither versioning nor a retention policy of ${plural(minPitrDays, 'day')} keeps them`,
      },
      lockName: `object retention of the dumps written after ${key}, the newest listed dump`,
    };
  }
  if (own.retainUntil.getTime() <= now.getTime()) {
    const ended = { lock: { state: 'absent' as const }, lockName: ownLock.lockName, ended: own.retainUntil };
    return gcs && fact.retentionLock.state !== 'absent' ? bucket : ended;
  }
  // A retain-until date after this run's clock is still ahead only if that clock is right. A listed
  // object dated after the clock shows it behind by an unknown amount (core/dump-facts.ts
  // `clockContradictedBy`), and a retention that ended would read as running: one long enough to
  // pass is then not proven to hold (a date the clock has passed is past all the more, above; a
  // shorter one fails or warns whether it still runs or not).
  const behind = clockContradictedBy(fact.listing, now);
  const judged =
    behind && days >= minPitrDays
      ? {
          lock: {
            state: 'unknown' as const,
            reason: clockBehindWords(
              behind,
              now,
              `whether its retain-until date ${own.retainUntil.toISOString()} has passed`,
            ),
          },
          lockName: ownLock.lockName,
        }
      : ownLock;
  if (!gcs) return judged;
  const ownStrength = lockStrength(ownLock.lock, minPitrDays);
  // A retention that can be lifted adds nothing to versioning, which is judged on its own.
  const versioningOn = fact.versioning.state === 'read' && fact.versioning.value.status === 'Enabled';
  if (ownStrength < 3 && (fact.retentionLock.state === 'unknown' || versioningOn)) return bucket;
  return ownStrength > lockStrength(fact.retentionLock, minPitrDays) ? judged : bucket;
}

/** How much a lock proves: 3 locked for the policy days, 2 for the days but removable, 1 shorter, 0 none or unread. */
function lockStrength(lock: DumpFact['retentionLock'], minPitrDays: number): number {
  if (lock.state !== 'read' || lock.value.days === undefined) return 0;
  if (lock.value.days < minPitrDays) return 1;
  return lock.value.locked === true ? 3 : 2;
}

/**
 * Whether dumps.protection judged a Cloud Storage dump's deletion by its own object retention:
 * only the newest dump's is judged, and the PASS says so.
 */
function gcsOwnRetentionJudged(fact: DumpFact, minPitrDays: number, now: Date): boolean {
  return (
    fact.location.provider === 'gcp' &&
    fact.newest?.objectLock !== undefined &&
    judgedLock(fact, minPitrDays, now).lock !== fact.retentionLock &&
    !versionsKept(fact, minPitrDays, now)
  );
}

/**
 * What is not proven when deletion would rest on the S3 bucket's Object Lock default alone: the
 * default holds only objects uploaded after it was set without a retention of their own (an
 * upload's own retention overrides it), and the newest dump's own retention was not read (S3 sends
 * it only with `s3:GetObjectRetention`, so its absence does not prove the dump carries the default;
 * a listing cut at its bound may not have reached the newest dump at all). Undefined when versioning
 * keeps noncurrent versions the policy minimum by itself (every Object Lock bucket is versioned),
 * or the dump's own retention was judged: then the deletion verdict does not rest on the default.
 */
function defaultLockUnproven(fact: DumpFact, minPitrDays: number, now: Date): string | undefined {
  const lock = fact.retentionLock;
  if (
    fact.location.provider !== 'aws' ||
    judgedLock(fact, minPitrDays, now).lock !== lock ||
    lock.state !== 'read' ||
    lock.value.days === undefined ||
    versionsKept(fact, minPitrDays, now)
  )
    return undefined;
  const held = `the bucket's Object Lock default retention (${lock.value.mode ?? 'mode not sent'}, ${plural(lock.value.days, 'day')})`;
  const key = fact.newest?.object.key;
  const own = fact.newest?.objectLock;
  const unsent = 'its own retention was not sent (S3 sends it only with s3:GetObjectRetention)';
  const rest = `the default holds only dumps uploaded after it was set without a retention of their own, while versioning does not keep a deleted dump ${plural(minPitrDays, 'day')}`;
  // A cut listing's newest listed dump may not be the newest (judgedLock): the dumps written after
  // it, beyond the bound, were not read, whatever was read of it.
  if (fact.listing.state === 'read' && !fact.listing.complete) {
    const beyond = 'the listing stopped at its bound, so';
    if (key === undefined) {
      return `whether the dumps are held by ${held}: ${beyond} their own retention, which overrides the default, was not read, and ${rest}`;
    }
    return own
      ? `whether the dumps written after ${key}, the newest listed dump, are held by ${held}: ${beyond} their own retention, which overrides the default, was not read (${key}'s own is ${own.mode} until ${own.retainUntil.toISOString()}), and ${rest}`
      : `whether ${key}, the newest listed dump, and the dumps written after it are held by ${held}: ${unsent}, and ${beyond} theirs, which overrides the default, was not read, and ${rest}`;
  }
  const why = key === undefined ? 'no dump was read' : unsent;
  return `whether the ${key === undefined ? 'dumps are' : `newest dump ${key} is`} held by ${held}: ${why}, and ${rest}`;
}

/** Whether versioning alone keeps an overwritten or deleted dump `minPitrDays`: no lifecycle rule is known or suspected to delete its noncurrent version sooner. */
function versionsKept(fact: DumpFact, minPitrDays: number, now: Date): boolean {
  const shortest = shortestNoncurrentRule(fact, minPitrDays, now)?.noncurrentExpirationDays;
  return (
    fact.versioning.state === 'read' &&
    fact.versioning.value.status === 'Enabled' &&
    fact.lifecycle.state !== 'unknown' &&
    (shortest === undefined || shortest >= minPitrDays) &&
    unprovenNoncurrentRules(fact, minPitrDays, now).length === 0 &&
    unlistedNoncurrentRules(fact, minPitrDays, now).length === 0
  );
}

function judgeDeletion(fact: DumpFact, minPitrDays: number, now: Date, verdicts: Verdicts): void {
  const { lock, lockName, ended } = judgedLock(fact, minPitrDays, now);
  const versioning = fact.versioning;
  const lockDays = lock.state === 'read' ? lock.value.days : undefined;
  const lockLong = lockDays !== undefined && lockDays >= minPitrDays;
  const versioningOn = versioning.state === 'read' && versioning.value.status === 'Enabled';
  // The newest dump's own retention holds that one object: it proves nothing of the older dumps,
  // and is said as keeping it, not the dumps.
  const own = lock !== fact.retentionLock;
  const short = (days: number) =>
    `the ${lockName} keeps ${own ? 'it' : 'dumps'} only ${plural(days, 'day')} (${minPitrDays} required)`;

  if (lockLong && lock.state === 'read' && lock.value.locked === true) {
    judgeOlderDumpsHeld(fact, lock, minPitrDays, now, verdicts);
    const unheld =
      defaultLockUnproven(fact, minPitrDays, now) ?? olderS3DumpsUnproven(fact, lock, minPitrDays, now);
    if (unheld) verdicts.unknown.push(unheld);
    return;
  }
  // A lock that can be lifted takes nothing from versioning that keeps every version the policy
  // days on its own, which passes (every Object Lock bucket is versioned): it is judged as that.
  if (lockLong && lock.state === 'read' && !versionsKept(fact, minPitrDays, now)) {
    verdicts.warnings.push(
      `the ${lockName} keeps ${own ? 'it' : 'dumps'} ${plural(lockDays, 'day')} but ${lock.value.mode === 'GOVERNANCE' ? 'in GOVERNANCE mode, which a privileged role can bypass' : 'is not locked, so it can be removed'}${own ? ', and holds that dump alone, not the older ones' : ''}`,
    );
    return;
  }
  if (versioningOn) {
    const shortest = shortestNoncurrentRule(fact, minPitrDays, now);
    const unproven = [
      ...unprovenNoncurrentRules(fact, minPitrDays, now),
      ...unlistedNoncurrentRules(fact, minPitrDays, now),
    ];
    if (shortest !== undefined && shortest.noncurrentExpirationDays < minPitrDays) {
      // A rule that also asks a condition the audit cannot match (S3 tags, GCS matchesStorageClass)
      // reaches the dumps' versions or not: the warning stands, and says which versions it deletes.
      const conditions = shortest.noncurrentUnmodelledConditions ?? [];
      const which =
        conditions.length > 0
          ? ` of objects that meet ${conditions.join(', ')} (which this audit cannot match to the dumps)`
          : '';
      verdicts.warnings.push(
        `versioning is on, but lifecycle rule ${shortest.id ?? '(unnamed)'} deletes noncurrent versions${which} after ${plural(shortest.noncurrentExpirationDays, 'day')} (${minPitrDays} required)`,
      );
    }
    if (unproven.length > 0) {
      verdicts.warnings.push(...unproven);
    } else if (fact.lifecycle.state === 'unknown') {
      verdicts.warnings.push(
        'versioning is on, but whether a lifecycle rule deletes noncurrent versions early is unknown',
      );
    }
    if (lockDays !== undefined && !lockLong) verdicts.warnings.push(short(lockDays));
    return;
  }
  if (lock.state === 'unknown' || versioning.state === 'unknown') {
    const what = [
      lock.state === 'unknown' ? `the ${lockName} (${lock.reason})` : undefined,
      versioning.state === 'unknown' ? `versioning (${versioning.reason})` : undefined,
    ].filter((part) => part !== undefined);
    // Known-short protection is a problem even when the rest could not be read.
    if (lockDays !== undefined) verdicts.problems.push(short(lockDays));
    verdicts.unknown.push(...what);
    return;
  }
  const suspended =
    versioning.state === 'read' && versioning.value.status === 'Suspended'
      ? ' (versioning is suspended)'
      : '';
  // Cloud Storage refuses Object Versioning on a bucket with a retention policy, and a locked policy
  // cannot be removed: there the fix of a short policy is a longer period, never versioning beside it.
  const unguarded = ended
    ? `the ${lockName} ended at ${ended.toISOString()}${endedHoldWords(fact)}, and versioning is off${suspended}`
    : lockDays === undefined
      ? `neither versioning nor any ${lockName} protects the dumps${suspended}`
      : fact.location.provider === 'gcp' && lock === fact.retentionLock
        ? `${short(lockDays)}, and Cloud Storage refuses Object Versioning beside it: raise its period`
        : `${short(lockDays)} and versioning is off${suspended}`;
  // Cloud Storage soft delete keeps a deleted or overwritten object restorable for its duration
  // (on by default, 7 days; https://cloud.google.com/storage/docs/soft-delete), but anyone who may
  // update the bucket can shorten or turn it off, as an unlocked retention policy.
  const softDays = fact.softDeleteDays?.state === 'read' ? fact.softDeleteDays.value : undefined;
  // Dumps under an object hold cannot be deleted while it is set, but a hold sets no period: said
  // beside the verdict, which it does not change (the newest dump's, when its retention ended, is
  // said in its words).
  const held = ended ? '' : heldDumpsWords(fact);
  if (softDays !== undefined && softDays >= minPitrDays) {
    verdicts.warnings.push(
      `${lockDays !== undefined || ended ? unguarded : `neither versioning nor a ${lockName} protects the dumps`}; soft delete keeps a deleted or overwritten dump restorable ${plural(softDays, 'day')}, but whoever can edit the bucket can turn it off${held}`,
    );
    return;
  }
  // Soft delete not read (GCS did not send it): whether a deleted dump stays restorable is not
  // claimed either way; the failure stands on the versioning and retention policy read.
  const softUnread = fact.softDeleteDays?.state === 'unknown' ? fact.softDeleteDays.reason : undefined;
  verdicts.problems.push(
    (softDays !== undefined && softDays > 0
      ? `${unguarded}, and soft delete keeps a deleted or overwritten dump only ${plural(softDays, 'day')} (${minPitrDays} required)`
      : softUnread !== undefined
        ? `${unguarded}; how long soft delete keeps a deleted or overwritten dump is unknown (${softUnread})`
        : lockDays !== undefined
          ? unguarded
          : `${unguarded}: a deleted or overwritten dump is gone`) + held,
  );
}

/**
 * What the holds read show of the newest dump whose own retention ended ({@link judgedLock}): a
 * hold that is set keeps it, but only while set; holds read as not set leave nothing to lock it;
 * holds not sent are said as such, never taken as none. S3 sends the legal hold only to
 * s3:GetObjectLegalHold and only for an object once held (API_HeadObject); Cloud Storage's
 * objects.list sends `temporaryHold` and `eventBasedHold` in the object resource.
 */
function endedHoldWords(fact: DumpFact): string {
  const holds = fact.newest?.holds;
  if (fact.location.provider === 'aws') {
    if (holds?.legal === true) {
      return `; a legal hold keeps it only while it is on (${holdReleaseWords('aws', false)})`;
    }
    return holds?.legal === false
      ? ' and its legal hold is off, so nothing locks it now'
      : ' (S3 sent no legal hold status for it: it sends one only to s3:GetObjectLegalHold, and only for an object once held)';
  }
  const kinds = [
    ...(holds?.temporary === true ? ['a temporary hold'] : []),
    ...(holds?.eventBased === true ? ['an event-based hold'] : []),
  ];
  if (kinds.length > 0) {
    const both = kinds.length > 1;
    return `; ${kinds.join(' and ')} ${both ? 'keep' : 'keeps'} it only while ${both ? 'they are' : 'it is'} set (${holdReleaseWords('gcp', false)})`;
  }
  if (holds?.temporary === false && holds.eventBased === false) {
    return ' and it is under no object hold, so nothing locks it now';
  }
  // A hold not sent is not evaluated: not read, never taken as not set.
  if (holds?.temporary === undefined && holds?.eventBased === undefined) {
    return ' (its holds were not read: objects.list did not send its temporaryHold and eventBasedHold)';
  }
  return holds.temporary === undefined
    ? ' (its event-based hold is not set, and its temporary hold was not read: objects.list did not send its temporaryHold)'
    : ' (its temporary hold is not set, and its event-based hold was not read: objects.list did not send its eventBasedHold)';
}

/**
 * The listed dumps an object hold keeps ({@link heldDumps}), in words after a verdict that says the
 * dumps are not guarded (`; 35 listed dumps (the newest of them …) are under an object hold, …`);
 * empty when none is.
 */
function heldDumpsWords(fact: DumpFact): string {
  const held = heldDumps(fact);
  const last = held.at(-1);
  if (!last) return '';
  const many = held.length > 1;
  const which = many
    ? `${held.length} listed dumps (the newest of them ${last.key}) are`
    : `the listed dump ${last.key} is`;
  const hold = fact.location.provider === 'aws' ? 'a legal hold' : 'an object hold';
  return `; ${which} under ${hold}, which keeps ${many ? 'each' : 'it'} only while it is set (${holdReleaseWords(fact.location.provider, many)})`;
}

/**
 * On Cloud Storage, when the newest dump's own Locked retention is the lock judged: the older listed
 * dumps are kept only by their own retention unless versioning keeps them ({@link versionsKept}), so
 * those of the policy's last `minPitrDays` that carry no retention of that many days
 * ({@link dumpsNotHeldByOwnRetention}) can be deleted: WARNING, as dumps.retention says of a short
 * Delete rule the newest dump alone outlasts. Older ones are more than the policy asks. The finding
 * says "can be deleted" only of those objects.list sent both holds for, as not set; those under a
 * hold are said to be kept only while it is set, and those whose holds it did not send, that their
 * holds were not read (a value not sent is not evaluated). None changes the WARNING.
 */
function judgeOlderDumpsHeld(
  fact: DumpFact,
  lock: DumpFact['retentionLock'],
  minPitrDays: number,
  now: Date,
  verdicts: Verdicts,
): void {
  if (fact.location.provider !== 'gcp' || lock === fact.retentionLock || versionsKept(fact, minPitrDays, now))
    return;
  const newestKey = fact.newest?.object.key;
  const noSuffix = !fact.location.suffix;
  // The dumps the policy needs: those of its last minPitrDays (an undated one may be one of them).
  const windowStart = now.getTime() - minPitrDays * DAY_MS;
  // With no suffix, a checksum, signature or log by its key is no dump (dumps.fresh and
  // dumps.retention count none), and the one after the newest dump is no older one.
  const unheld = (dumpsNotHeldByOwnRetention(fact, minPitrDays) ?? []).filter(
    (object) =>
      object.key !== newestKey &&
      !(noSuffix && hasBesideDumpExtension(object.key)) &&
      (object.lastModified === undefined || object.lastModified.getTime() > windowStart),
  );
  const last = unheld.at(-1);
  if (!last) return;
  const many = unheld.length > 1;
  // An object hold keeps a dump only while it is set: no retention period, so the warning stands,
  // but a held dump is not said to be one that can be deleted, nor is one whose holds objects.list
  // did not both send as not set: a value not sent is not evaluated.
  const holds = fact.listedHolds;
  const onHold = unheld.filter((object) => isHeld(holds?.get(object.key))).length;
  const free = unheld.filter((object) => {
    const sent = holds?.get(object.key);
    return sent?.temporary === false && sent.eventBased === false;
  }).length;
  const unread = unheld.length - onHold - free;
  const release = holdReleaseWords('gcp', many);
  const whole = (count: number) => count === unheld.length;
  const parts = [
    ...(onHold === 0
      ? []
      : whole(onHold)
        ? [
            `${many ? 'each of them is' : 'it is'} under an object hold, which keeps it only while it is set (${release})`,
          ]
        : [
            `${onHold} of them ${onHold === 1 ? 'is' : 'are'} under an object hold, which keeps ${onHold === 1 ? 'it' : 'each'} only while it is set (${release})`,
          ]),
    ...(free === 0 || whole(free) ? [] : [`${free} of them can be deleted`]),
    ...(unread === 0
      ? []
      : [
          `${whole(unread) ? (many ? 'their holds were' : 'its holds were') : `the holds of ${unread} of them were`} not read (objects.list did not send ${whole(unread) && !many ? 'its' : "each one's"} temporaryHold and eventBasedHold)`,
        ]),
  ];
  const tail = whole(free)
    ? 'only the newest dump is held, the older ones can be deleted'
    : `only the newest dump is held for the policy days; ${parts.length > 1 ? `${parts.slice(0, -1).join(', ')}, and ${parts.at(-1)}` : parts.join('')}`;
  verdicts.warnings.push(
    `${many ? `${unheld.length} older listed dumps of the last ${plural(minPitrDays, 'day')} (the newest of them ${last.key}) carry` : `the older listed dump ${last.key} carries`} no Locked object retention of at least ${plural(minPitrDays, 'day')} of ${many ? 'their' : 'its'} own, and neither versioning nor a retention policy of ${plural(minPitrDays, 'day')} keeps ${many ? 'them' : 'it'}: ${tail}`,
  );
}

/**
 * On S3, when the newest dump's own Object Lock retention is the lock judged: it holds that dump
 * alone, and S3 lists no object's retention (each needs its own GetObjectRetention or HeadObject),
 * so the older dumps of the policy's last `minPitrDays` (an undated one may be one of them) are not
 * shown held unless versioning keeps a deleted dump that long ({@link versionsKept}): a default
 * retention holds only uploads made after it was set. What was not read, in words; undefined when
 * nothing rests on it.
 */
function olderS3DumpsUnproven(
  fact: DumpFact,
  lock: DumpFact['retentionLock'],
  minPitrDays: number,
  now: Date,
): string | undefined {
  if (
    fact.location.provider !== 'aws' ||
    lock === fact.retentionLock ||
    fact.listing.state !== 'read' ||
    versionsKept(fact, minPitrDays, now)
  )
    return undefined;
  const newestKey = fact.newest?.object.key;
  const windowStart = now.getTime() - minPitrDays * DAY_MS;
  // With no suffix, a checksum, signature or log by its key is no dump, older or not.
  const noSuffix = !fact.location.suffix;
  const older = fact.listing.objects.filter(
    (object) =>
      object.key !== newestKey &&
      !holdsNoDump(object) &&
      !(noSuffix && hasBesideDumpExtension(object.key)) &&
      (object.lastModified === undefined || object.lastModified.getTime() > windowStart),
  );
  const last = older.at(-1);
  if (!last) return undefined;
  const many = older.length > 1;
  return `whether ${many ? `the ${older.length} older dumps of the last ${plural(minPitrDays, 'day')} (the newest of them ${last.key}) are` : `the older dump ${last.key} of the last ${plural(minPitrDays, 'day')} is`} held: only the newest dump ${newestKey}'s own Object Lock retention was read (S3 lists no object's retention; a bucket default holds only uploads made after it was set), and versioning does not keep a deleted dump ${plural(minPitrDays, 'day')}`;
}

/**
 * The lifecycle rules that may reach the dumps' noncurrent versions: all but those whose prefixes
 * inside the series or whose suffixes reach no dump (a scratch cleanup of `prod/tmp/` or `.tmp`
 * beside dumps under `prod/`, as dumps.retention reads them: {@link ruleReach}). An overwritten
 * dump's noncurrent version keeps its key; its size may differ from the listed one, so a rule with
 * an object-size filter is always kept. Nor a GCS rule limited to objects created before the policy
 * window began (`createdBefore`, which a rule that does not ask `isLive: true` also applies to
 * noncurrent versions): a rule deletes only what meets all its conditions, and every version of the
 * window was created after that date, as dumps.retention reads it for live dumps.
 */
function noncurrentRules(fact: DumpFact, minPitrDays: number, now: Date): readonly DumpLifecycleRule[] {
  if (fact.lifecycle.state !== 'read') return [];
  const windowStart = now.getTime() - minPitrDays * DAY_MS;
  return fact.lifecycle.value.filter(
    (rule) =>
      !(rule.createdBefore !== undefined && rule.createdBefore.getTime() <= windowStart) &&
      (rule.objectSizeGreaterThan !== undefined ||
        rule.objectSizeLessThan !== undefined ||
        ruleReach(rule, fact) !== 'none'),
  );
}

/**
 * Rules that {@link noncurrentRules} leaves out because they reach no listed dump, but that may
 * reach a deleted dump's noncurrent version: the listing names current objects only, so a dump
 * deleted (or every dump, leaving the listing empty) is no longer there to compare. Such a rule is
 * left out only when its filter cannot match the location's dump keys at all (a `.tmp` suffix
 * beside dumps ending with `.dump`: {@link ruleReach} with nothing listed); any other that deletes
 * noncurrent versions sooner than proven (a noncurrent age under `minPitrDays`, a count of newer
 * versions, a date inside the window, a condition not modelled) leaves the versions unproven.
 */
function unlistedNoncurrentRules(fact: DumpFact, minPitrDays: number, now: Date): string[] {
  if (fact.lifecycle.state !== 'read') return [];
  const windowStart = now.getTime() - minPitrDays * DAY_MS;
  const reached = new Set(noncurrentRules(fact, minPitrDays, now));
  const unlisted = { state: 'unknown', reason: 'not listed' } as const;
  return fact.lifecycle.value.flatMap((rule) => {
    if (reached.has(rule)) return [];
    if (rule.createdBefore !== undefined && rule.createdBefore.getTime() <= windowStart) return [];
    if (ruleReach(rule, { location: fact.location, listing: unlisted }) === 'none') return [];
    const days = rule.noncurrentExpirationDays;
    const reaches = [
      days !== undefined && days < minPitrDays ? `after ${plural(days, 'day')}` : undefined,
      ...(days === undefined ? noncurrentReaches(rule, windowStart) : []),
    ].filter((reach) => reach !== undefined);
    if (reaches.length === 0) return [];
    const keys = [
      ...(rule.narrowerPrefixes ? [`under ${rule.narrowerPrefixes.join(' or ')}`] : []),
      ...(rule.matchesSuffixes ? [`ending with ${rule.matchesSuffixes.join(' or ')}`] : []),
    ];
    return [
      `versioning is on, but lifecycle rule ${rule.id ?? '(unnamed)'} deletes noncurrent versions of keys ${keys.join(' and ')} ${reaches.join(' and ')}: no listed dump is there, but a deleted dump is listed no more, so an overwritten or deleted dump is not proven kept ${plural(minPitrDays, 'day')} (${minPitrDays} required)`,
    ];
  });
}

/** The rule of {@link noncurrentRules} that deletes noncurrent versions at the lowest noncurrent age, named in the warning; the first such rule on a tie. */
function shortestNoncurrentRule(
  fact: DumpFact,
  minPitrDays: number,
  now: Date,
): (DumpLifecycleRule & { readonly noncurrentExpirationDays: number }) | undefined {
  let shortest: (DumpLifecycleRule & { readonly noncurrentExpirationDays: number }) | undefined;
  for (const rule of noncurrentRules(fact, minPitrDays, now)) {
    const days = rule.noncurrentExpirationDays;
    if (days !== undefined && (shortest === undefined || days < shortest.noncurrentExpirationDays)) {
      shortest = { ...rule, noncurrentExpirationDays: days };
    }
  }
  return shortest;
}

/**
 * Rules that delete noncurrent versions by something other than their noncurrent age (GCS
 * `numNewerVersions`, `noncurrentTimeBefore`, a condition not modelled): versioning is then not
 * proven to keep an overwritten or deleted dump `minPitrDays`. A rule deletes only versions that
 * meet all its conditions, so one with a noncurrent age is judged by that age
 * ({@link shortestNoncurrentRule}), and one limited to versions that became noncurrent before the
 * window began spares every version of the window.
 */
function unprovenNoncurrentRules(fact: DumpFact, minPitrDays: number, now: Date): string[] {
  if (fact.lifecycle.state !== 'read') return [];
  const windowStart = now.getTime() - minPitrDays * DAY_MS;
  return noncurrentRules(fact, minPitrDays, now).flatMap((rule) => {
    if (rule.noncurrentExpirationDays !== undefined) return [];
    const reaches = noncurrentReaches(rule, windowStart);
    if (reaches.length === 0) return [];
    return [
      `versioning is on, but lifecycle rule ${rule.id ?? '(unnamed)'} deletes noncurrent versions ${reaches.join(' and ')}, so an overwritten or deleted dump is not proven kept ${plural(minPitrDays, 'day')} (${minPitrDays} required)`,
    ];
  });
}

/**
 * How a rule with no noncurrent age deletes noncurrent versions (`once 3 newer versions exist`, …);
 * none when it waits for none, or only for versions that became noncurrent before the window.
 */
function noncurrentReaches(rule: DumpLifecycleRule, windowStart: number): string[] {
  const before = rule.noncurrentTimeBefore;
  if (before !== undefined && before.getTime() <= windowStart) return [];
  const newer = rule.noncurrentNewerVersions;
  return [
    newer === undefined
      ? undefined
      : `once ${newer} newer version${newer === 1 ? '' : 's'} exist${newer === 1 ? 's' : ''} (about ${newer} day${newer === 1 ? '' : 's'} for a dump overwritten daily, less for one overwritten more often)`,
    before === undefined
      ? undefined
      : `that became noncurrent before ${before.toISOString().slice(0, 10)}, at any age`,
    ...(rule.noncurrentUnmodelledConditions ?? []).map((condition) => `that meet ${condition}`),
  ].filter((reach) => reach !== undefined);
}

function judgePublicAccess(fact: DumpFact, verdicts: Verdicts): void {
  const access = fact.publicAccess;
  if (access.state === 'unknown') {
    verdicts.unknown.push(`the public access settings (${access.reason})`);
  } else if (access.state === 'absent') {
    verdicts.warnings.push(
      'the bucket has no Block Public Access configuration of its own; only the account-level setting (not read here) can block public access',
    );
  } else if (access.value.inherited) {
    verdicts.warnings.push(
      `public access prevention is inherited (${access.value.detail}): the organization policy decides, which this audit does not read`,
    );
  } else if (access.value.blocked === false) {
    verdicts.problems.push(`public access is not fully blocked (${access.value.detail})`);
  } else if (access.value.blocked === undefined) {
    verdicts.unknown.push(`whether public access is blocked (${access.value.detail})`);
  }
}

function judgeEncryption(fact: DumpFact, minPitrDays: number, clock: KeyClock, verdicts: Verdicts): void {
  const { now } = clock;
  const encryption = fact.encryption;
  if (encryption.state === 'read') judgeKeyState(encryption.value, verdicts, clock);
  judgeNewestEncryption(fact, clock, verdicts);
  for (const older of fact.olderDumpKeys ?? []) {
    const count = `${older.dumps} older dump${older.dumps === 1 ? '' : 's'} of the series`;
    // Dumps all written before the policy's days are more than it asks for: a key version that
    // lost them is a WARNING, and its unread state no reason to withhold a verdict.
    const beyond =
      older.newestWritten !== undefined &&
      older.newestWritten.getTime() + minPitrDays * DAY_MS + CLOCK_SKEW_TOLERANCE_MS < now.getTime();
    if (older.encryption.customerManagedKey === false) {
      judgeOlderOffKey(fact, older, count, beyond, verdicts);
      continue;
    }
    if (beyond) {
      judgeKeyState(
        older.encryption,
        { ...verdicts, problems: verdicts.warnings, unknown: [] },
        clock,
        ` (${count}, the newest ${older.newestDump}, all written before the ${plural(minPitrDays, 'day')} the policy asks for)`,
      );
    } else {
      judgeKeyState(older.encryption, verdicts, clock, ` (${count}, the newest ${older.newestDump})`);
    }
  }
  if (encryption.state === 'unknown') {
    verdicts.unknown.push(`the default encryption (${encryption.reason})`);
  } else if (encryption.state === 'absent') {
    verdicts.problems.push('the bucket has no default encryption');
  } else if (encryption.value.customerManagedKey === false) {
    // The newest dump read under a customer-managed key of its own (an upload's own encryption
    // overrides the default) is not encrypted with the default: said so, as the default still
    // encrypts every dump uploaded without one.
    const own = fact.newest?.encryption;
    const ownKey = own?.customerManagedKey === true ? (own.keyVersion ?? own.kmsKey) : undefined;
    verdicts.warnings.push(
      fact.newest && ownKey !== undefined
        ? `the bucket's default encryption is ${providerKeyWords(encryption.value)}, not a customer-managed KMS key: the newest dump ${fact.newest.object.key} carries its own customer-managed key (${ownKey}), which overrides the default, but a dump uploaded without one is encrypted with the default${fact.location.provider === 'aws' ? ", and the older dumps' own encryption was not read" : ''}`
        : `dumps are encrypted with ${providerKeyWords(encryption.value)}, not a customer-managed KMS key`,
    );
  } else if (encryption.value.customerManagedKey === undefined && !encryption.value.keyDeleted) {
    const { kmsKey, keyManagerUnknown } = encryption.value;
    verdicts.unknown.push(
      kmsKey !== undefined
        ? `whether the KMS key ${kmsKey} is customer-managed (${keyManagerUnknown ?? unclassifiedWords(kmsKey)})`
        : 'which key encrypts the dumps (not sent)',
    );
  } else {
    const unproven = aliasNotProven(fact);
    if (unproven) verdicts.unknown.push(unproven);
  }
}

/**
 * GCS: older dumps of the series under no customer-managed key (objects.list names none for them
 * under a customer-managed default, or they carry a customer-supplied key): a pass would say a
 * customer-managed key encrypts the dumps, which the listing shows it does not, so it is a WARNING,
 * as for the newest dump ({@link judgeNewestEncryption}). Dumps all written before the policy's
 * days are more than it asks for, and a provider-managed default is named already: no verdict.
 */
function judgeOlderOffKey(
  fact: DumpFact,
  older: NonNullable<DumpFact['olderDumpKeys']>[number],
  count: string,
  beyond: boolean,
  verdicts: Verdicts,
): void {
  const byDefault = fact.encryption.state === 'read' ? fact.encryption.value : undefined;
  if (beyond || byDefault?.customerManagedKey === false) return;
  const one = older.dumps === 1;
  const why =
    older.encryption.algorithm === 'customer-supplied'
      ? `Cloud Storage keeps no copy of it, so only whoever holds it can read or restore ${one ? 'it' : 'them'}`
      : `${one ? 'it was' : 'they were'} written before the bucket default key was set`;
  verdicts.warnings.push(
    `${count} (the newest ${older.newestDump}) ${one ? 'is' : 'are'} encrypted with ${providerKeyWords(older.encryption)}, not a customer-managed KMS key: ${why}`,
  );
}

/**
 * S3: a default key named by an alias whose state proves nothing of the dumps unless a dump's own
 * key does. DescribeKey on an alias describes the key it points to now; an object stays under the
 * key the alias pointed to when it was written, and UpdateAlias moves an alias to another key
 * (https://docs.aws.amazon.com/kms/latest/developerguide/alias-update.html). S3 answers a dump's
 * own key by its ARN (GetObject and HeadObject SSEKMSKeyId, "the ID of the KMS key that was used for
 * object encryption"): with it, that key is judged ({@link judgeNewestEncryption}), as is an own
 * encryption without a key (SSE-S3). Without it (no dump listed, the listing unread, a read that sent
 * no encryption), what was not proven, in words.
 */
function aliasNotProven(fact: DumpFact): string | undefined {
  if (fact.encryption.state !== 'read') return undefined;
  const { kmsKey, aliasTarget, keyState, customerManagedKey } = fact.encryption.value;
  if (kmsKey === undefined || !isKmsAlias(kmsKey) || customerManagedKey !== true) return undefined;
  // The newest dump's own encryption, when read and not naming a key by an alias, is judged itself.
  const own = fact.newest?.encryption;
  if (own !== undefined && !(own.kmsKey !== undefined && isKmsAlias(own.kmsKey))) return undefined;
  const why =
    fact.listing.state === 'unknown'
      ? `the listing could not be read (${fact.listing.reason})`
      : fact.newest === undefined
        ? 'no dump is listed'
        : `the newest dump ${fact.newest.object.key}'s own encryption was not read`;
  return `which key encrypts the dumps (the bucket default names the alias ${kmsKey}, which points to ${aliasTarget ?? 'a key DescribeKey did not name'} (${keyState ?? 'state not sent'}) now, but a dump stays under the key the alias pointed to when it was written, and an alias can be moved; ${why})`;
}

/**
 * The encryption the newest dump itself carries, when it differs from the bucket default (an
 * upload that overrode the default): judged like the default, naming the dump.
 */
function judgeNewestEncryption(fact: DumpFact, clock: KeyClock, verdicts: Verdicts): void {
  const newest = fact.newest;
  // An archived dump's bytes are unread, but HeadObject answered how it is encrypted: judged below.
  if (
    newest &&
    fact.location.provider === 'aws' &&
    newest.header.state === 'unknown' &&
    newest.header.metadata?.state !== 'read'
  ) {
    judgeUnreadNewest(fact, newest.object.key, newest.header, verdicts);
    return;
  }
  const own = newest?.encryption;
  const byDefault = fact.encryption.state === 'read' ? fact.encryption.value : undefined;
  if (newest && !own && fact.location.provider === 'aws' && byDefault?.customerManagedKey === true) {
    // S3 answers x-amz-server-side-encryption on every GET and HEAD of an encrypted object (every
    // object written since January 2023): a read without it does not show the dump under the
    // default, which an upload's own encryption overrides. An alias default says so already.
    if (aliasNotProven(fact) === undefined) {
      const read = newest.header.state === 'read' ? 'ranged read' : 'HeadObject';
      verdicts.unknown.push(
        `how the newest dump ${newest.object.key} is encrypted (its ${read} sent no x-amz-server-side-encryption header, which S3 sends for every encrypted object; the bucket default is a customer-managed key, but an upload's own encryption overrides it)`,
      );
    }
    return;
  }
  if (!newest || !own) return;
  // The default's key, named by the dump as by the default, or by its ARN where the default's alias
  // points to it now: judged once, as the default.
  if (
    byDefault &&
    byDefault.algorithm === own.algorithm &&
    (byDefault.kmsKey === own.kmsKey ||
      (byDefault.aliasTarget !== undefined && byDefault.aliasTarget === own.kmsKey)) &&
    own.keyVersion === undefined
  ) {
    return;
  }
  judgeKeyState(own, verdicts, clock);
  const dump = `the newest dump ${newest.object.key}`;
  if (own.customerManagedKey === false) {
    // A default that is provider-managed too is already named; the dump adds nothing.
    if (byDefault?.customerManagedKey === false) return;
    const with_ = providerKeyWords(own);
    // Cloud Storage applies a default key only to objects written after it was set, and an upload's
    // own key (CSEK) overrides it; on S3 an upload's own encryption header overrides the default.
    const why =
      own.algorithm === 'customer-supplied'
        ? 'its upload sent that key, which overrides the bucket default, and Cloud Storage keeps no copy of it, so only whoever holds it can read or restore the dump'
        : fact.location.provider === 'gcp'
          ? 'it was written before the bucket default key was set'
          : 'its upload overrides the bucket default';
    verdicts.warnings.push(`${dump} is encrypted with ${with_}, not a customer-managed KMS key: ${why}`);
  } else if (own.customerManagedKey === undefined && !own.keyDeleted) {
    verdicts.unknown.push(
      own.kmsKey !== undefined
        ? `whether the KMS key ${own.kmsKey} that encrypts ${dump} is customer-managed (${own.keyManagerUnknown ?? unclassifiedWords(own.kmsKey)})`
        : `which key encrypts ${dump} (not sent)`,
    );
  }
}

/**
 * Why a named key's manager is unknown when nothing said why: its name does not tell (only an
 * `alias/aws/…` alias proves an AWS-managed key; a key ARN or id may name aws/s3 or a customer's
 * key, a customer alias any customer key), and KMS did not say. Unclassified, never guessed.
 */
function unclassifiedWords(kmsKey: string): string {
  return isKmsAlias(kmsKey)
    ? 'unclassified: an alias name proves who manages its key only under alias/aws/, and KMS did not say'
    : 'unclassified: a key ARN or id does not say who manages the key, and KMS did not say';
}

/**
 * A key that is not customer-managed, in words: SSE-S3, the AWS-managed aws/s3 key (SSE-KMS or
 * DSSE-KMS without a key), an AWS-managed key named by its `alias/aws/…` alias (that alias's key),
 * another key KMS said is AWS-managed (DescribeKey says who manages a key, not which alias names it,
 * so it is not called aws/s3), Google-managed keys, a customer-supplied key.
 */
function providerKeyWords({
  algorithm,
  kmsKey,
}: {
  readonly algorithm?: string;
  readonly kmsKey?: string;
}): string {
  if (algorithm === 'AES256') return 'SSE-S3 (AES256)';
  if (algorithm?.startsWith('aws:kms')) {
    if (kmsKey === undefined) return 'the AWS-managed key aws/s3';
    const alias = /(?:^|:)alias\/(aws\/.+)$/.exec(kmsKey)?.[1];
    return alias ? `the AWS-managed key ${alias} (${kmsKey})` : `an AWS-managed KMS key (${kmsKey})`;
  }
  if (algorithm === 'google-managed') return 'Google-managed keys';
  if (algorithm === 'customer-supplied') return 'a customer-supplied key (CSEK)';
  return algorithm ?? 'a provider-managed key';
}

/**
 * An S3 dump whose ranged read failed: how it is encrypted was not read, and an upload's own
 * encryption header overrides the bucket default, so a customer-managed default does not say the
 * dump is encrypted with it. A read refused for a customer-provided key (SSE-C) says how: with a
 * key S3 does not keep.
 */
function judgeUnreadNewest(
  fact: DumpFact,
  key: string,
  header: Extract<NewestDump['header'], { readonly state: 'unknown' }>,
  verdicts: Verdicts,
): void {
  const dump = `the newest dump ${key}`;
  const head = header.metadata?.state === 'unknown' ? `; HeadObject failed: ${header.metadata.reason}` : '';
  const grant = deniedReadWords(fact, header);
  if (header.customerKey) {
    verdicts.warnings.push(
      `${dump} is encrypted with a customer-provided key (SSE-C), not the bucket default: S3 keeps no copy of that key, so only whoever holds it can read or restore the dump, and this audit cannot check which key it is`,
    );
  } else if (fact.encryption.state === 'read' && fact.encryption.value.customerManagedKey === true) {
    verdicts.unknown.push(
      `how ${dump} is encrypted (its read failed: ${header.reason}${grant ? `: ${grant}` : ''}${head}; the bucket default is a customer-managed key, but an upload's own encryption overrides it)`,
    );
  }
}

/**
 * A key that cannot decrypt makes every dump it encrypts unreadable, whoever manages it; so does a
 * usable KMS key whose imported key material has expired (FAILED), and will one whose material
 * expires within the horizon (WARNING): see judgeMaterialExpiry in core/kms-key-states.ts.
 */
function judgeKeyState(
  encryption: {
    readonly kmsKey?: string;
    readonly keyState?: string;
    readonly keyVersion?: string;
    readonly keyDeletionDate?: Date;
    readonly keyStateUnknown?: string;
    readonly keyStateRemedy?: string;
    readonly keyDeleted?: true;
    readonly keyMaterialExpires?: Date;
    readonly keyRegion?: string;
    readonly aliasTarget?: string;
  },
  verdicts: Verdicts,
  clock: KeyClock,
  /** Which dumps the key encrypts, when not all of them (` (33 older dumps of the series, …)`). */
  which = '',
): void {
  const { kmsKey, keyState, keyVersion, keyDeletionDate, keyStateUnknown, keyDeleted } = encryption;
  // A dump written before a rotation is under an older version than the key's primary: name it.
  // An alias is named with the key it points to now, whose state this is.
  const target = encryption.aliasTarget ? ` (the alias's key now: ${encryption.aliasTarget})` : '';
  const key = keyVersion
    ? `the KMS key version ${keyVersion}`
    : `the KMS key ${kmsKey ?? '(not named)'}${target}`;
  // The default and the newest dump may name one key: say it once.
  const add = (list: string[], said: string) => {
    const text = `${said}${which}`;
    if (!list.includes(text)) list.push(text);
  };
  if (keyDeleted) {
    verdicts.keyGone = true;
    // Who managed a key that is gone no longer matters: the dumps it encrypts are lost.
    add(
      verdicts.problems,
      `${key} that encrypts the dumps ${DELETED_KMS_KEY}: no dump it encrypts can be decrypted`,
    );
    return;
  }
  if (keyState === undefined && keyStateUnknown !== undefined) {
    add(verdicts.unknown, `whether ${key} can decrypt the dumps (${keyStateUnknown})`);
    const fix = encryption.keyStateRemedy;
    if (fix !== undefined && !verdicts.readFixes.includes(fix)) verdicts.readFixes.push(fix);
    return;
  }
  if (keyState === undefined || USABLE_KEY_STATES.has(keyState)) {
    const expiry = judgeMaterialExpiry(encryption.keyMaterialExpires, clock.now, clock.horizonDays);
    if (kmsKey === undefined || expiry === undefined) return;
    if (expiry.verdict === 'later') {
      // Beyond the horizon only from a right clock: one the listing shows behind (by an unknown
      // amount) may put an expiry within it, or past, later. KMS turns a key whose material
      // expired PendingImport (https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys-delete-key-material.html),
      // judged above by its state whatever the clock; one within the horizon is at least as near.
      if (clock.behind) {
        add(
          verdicts.unknown,
          `whether the imported key material of ${key} that encrypts the dumps expires within ${plural(clock.horizonDays, 'day')}: it expires on ${expiry.expires.toISOString()} (ValidTo), but ${clockBehindWords(clock.behind, clock.now, 'how far off that is')}`,
        );
      }
      return;
    }
    // Within the horizon of a clock the listing shows behind, the material expires at least that
    // near, but how many days are left is counted from that clock: not said as a count.
    const left = clock.behind
      ? `within the ${clock.horizonDays}-day horizon: ${clockBehindWords(clock.behind, clock.now, 'how many days are left')}`
      : undefined;
    const said = `the imported key material of ${key} that encrypts the dumps ${materialExpiryWords(expiry, 'no dump it encrypts can be decrypted', left)}`;
    add(expiry.verdict === 'expired' ? verdicts.problems : verdicts.warnings, said);
    verdicts.keyFixes.said.push(`${said}${which}`);
    const fix = kmsMaterialExpiryFix({ id: kmsKey, region: encryption.keyRegion });
    if (!verdicts.keyFixes.fixes.includes(fix)) verdicts.keyFixes.fixes.push(fix);
    return;
  }
  if (!UNUSABLE_KEY_STATES.has(keyState)) {
    add(verdicts.unknown, `whether ${key} can decrypt the dumps (its state is ${keyState})`);
  } else if (keyState === 'DESTROYED') {
    // Cloud KMS: the version's material is gone; no restore or enable brings it back.
    verdicts.keyGone = true;
    add(
      verdicts.problems,
      `${key} that encrypts the dumps is DESTROYED: its key material is destroyed, and no dump it encrypts can be decrypted`,
    );
  } else if (keyState === 'PendingDeletion' || keyState === 'DESTROY_SCHEDULED') {
    const what = keyState === 'PendingDeletion' ? 'deletion' : 'destruction (DESTROY_SCHEDULED)';
    const done = keyState === 'PendingDeletion' ? 'it is deleted' : 'its material is destroyed';
    // A time sent in a form that does not parse is an Invalid Date, which has no ISO form.
    const when =
      keyDeletionDate === undefined
        ? ''
        : Number.isNaN(keyDeletionDate.getTime())
          ? ' at a time the API sent in a form that does not parse'
          : ` on ${keyDeletionDate.toISOString()}`;
    const said = `${key} that encrypts the dumps is scheduled for ${what}${when}: once ${done} no dump it encrypts can be decrypted`;
    add(verdicts.problems, said);
    keyStateFix(said);
  } else {
    const said = `${key} that encrypts the dumps is ${keyState}: no dump it encrypts can be decrypted while it is`;
    add(verdicts.problems, said);
    keyStateFix(said);
  }

  /**
   * An AWS KMS key's own fix, its commands naming the key and its region (core/kms-key-states.ts
   * `kmsKeyFix`), said first in the finding's fix as an expiring material's is: the check's
   * general fix names no key, so it gives no command to paste.
   */
  function keyStateFix(said: string): void {
    if (kmsKey === undefined || keyState === undefined || !AWS_KEY_STATE_FIXES.has(keyState)) return;
    verdicts.keyFixes.said.push(`${said}${which}`);
    const fix = kmsKeyFix({
      id: kmsKey,
      state: keyState,
      region: encryption.keyRegion,
      aliasTarget: encryption.aliasTarget,
    });
    if (!verdicts.keyFixes.fixes.includes(fix)) verdicts.keyFixes.fixes.push(fix);
  }
}

/** The AWS KMS key states `kmsKeyFix` gives commands for (Cloud KMS states are upper case). */
const AWS_KEY_STATE_FIXES = new Set([
  'PendingDeletion',
  'PendingReplicaDeletion',
  'Disabled',
  'Unavailable',
  'PendingImport',
]);

/**
 * The AWS account or Google Cloud project that holds a KMS key, from its name alone; undefined
 * when the name does not tell. An AWS key or alias ARN names its account; a key id or alias name
 * does not: S3 resolves it in the account of whoever writes the object, not necessarily the
 * bucket's (PutBucketEncryption: cross-account use needs the key ARN). A Cloud KMS key (or key
 * version) name `projects/P/…` names its project, told from the bucket's only when P is a project
 * id: a project number (all digits, which no project id is) may be the bucket's own project.
 */
export function kmsKeyAccount(
  provider: DumpFact['location']['provider'],
  kmsKey: string | undefined,
): string | undefined {
  if (kmsKey === undefined) return undefined;
  if (provider === 'aws') return /^arn:aws[a-z-]*:kms:[a-z0-9-]*:(\d{12}):/.exec(kmsKey)?.[1];
  const project = /^projects\/([^/]+)\//.exec(kmsKey)?.[1];
  return project === undefined || /^\d+$/.test(project) ? undefined : project;
}

/** The AWS account or Google Cloud project that holds the bucket's default key ({@link kmsKeyAccount}). */
export function defaultKeyAccount(fact: DumpFact): string | undefined {
  if (fact.encryption.state !== 'read') return undefined;
  return kmsKeyAccount(fact.location.provider, fact.encryption.value.kmsKey);
}

/**
 * When a customer-managed key (the bucket's default, or the newest dump's own) is held by another
 * account or project than the bucket's: whose it is and what that means, in words (`in account …,
 * not the bucket's …: …`); undefined otherwise. Such a key is customer-managed, and may be a
 * central security account's on purpose, but the dumps' readability then rests on another
 * account's administrators: this audit's verdict on the key's state holds only as long as they
 * keep it usable.
 */
function foreignKeyWords(fact: DumpFact, encryption: EncryptionConfig | undefined): string | undefined {
  if (encryption?.customerManagedKey !== true) return undefined;
  const keyAccount = kmsKeyAccount(fact.location.provider, encryption.kmsKey);
  if (keyAccount === undefined || keyAccount === fact.resource.account) return undefined;
  const unit = fact.location.provider === 'aws' ? 'account' : 'project';
  const can =
    fact.location.provider === 'aws'
      ? 'disable the key, schedule its deletion or change its key policy'
      : "disable the key version, schedule its destruction or change the key's IAM policy";
  return `in ${unit} ${keyAccount}, not the bucket's ${unit} ${fact.resource.account}: whoever administers that ${unit} can ${can}, leaving every dump it encrypts unreadable, and nothing in the bucket's ${unit} can stop it`;
}

/**
 * The newest dump's own key in another account or project, in words, when the default key's words
 * do not already name that account (a dump under the default key, or another key of the same
 * account): an upload's own key overrides the default, and its administrators can make that dump
 * unreadable as the default's can.
 */
function foreignNewestKeyWords(fact: DumpFact): string | undefined {
  const own = fact.newest?.encryption;
  const words = foreignKeyWords(fact, own);
  if (words === undefined) return undefined;
  const byDefault = fact.encryption.state === 'read' ? fact.encryption.value : undefined;
  const defaultWords = foreignKeyWords(fact, byDefault);
  if (
    defaultWords !== undefined &&
    defaultKeyAccount(fact) === kmsKeyAccount(fact.location.provider, own?.kmsKey)
  ) {
    return undefined;
  }
  return words;
}

function observedValues(fact: DumpFact): CheckOutcome['observed'] {
  const lock = fact.retentionLock.state === 'read' ? fact.retentionLock.value : undefined;
  const newestOwn = fact.newest?.encryption;
  return {
    versioning:
      fact.versioning.state === 'read' ? (fact.versioning.value.status ?? null) : fact.versioning.state,
    retentionLockDays: lock
      ? valueOrNull(lock.days)
      : fact.retentionLock.state === 'absent'
        ? null
        : 'unknown',
    retentionLockLocked: lock ? valueOrNull(lock.locked) : null,
    publicAccessBlocked:
      fact.publicAccess.state === 'read'
        ? valueOrNull(fact.publicAccess.value.blocked)
        : fact.publicAccess.state,
    encryption:
      fact.encryption.state === 'read' ? valueOrNull(fact.encryption.value.algorithm) : fact.encryption.state,
    kmsKey: fact.encryption.state === 'read' ? valueOrNull(fact.encryption.value.kmsKey) : null,
    kmsKeyAccount: valueOrNull(defaultKeyAccount(fact)),
    customerManagedKey:
      fact.encryption.state === 'read' ? valueOrNull(fact.encryption.value.customerManagedKey) : null,
    kmsKeyState: fact.encryption.state === 'read' ? valueOrNull(fact.encryption.value.keyState) : null,
    softDeleteDays:
      fact.softDeleteDays === undefined
        ? null
        : fact.softDeleteDays.state === 'read'
          ? fact.softDeleteDays.value
          : fact.softDeleteDays.state,
    newestDumpLockMode: valueOrNull(fact.newest?.objectLock?.mode),
    newestDumpRetainUntil: valueOrNull(fact.newest?.objectLock?.retainUntil.toISOString()),
    newestDumpEncryption: valueOrNull(newestOwn?.algorithm),
    newestDumpKmsKey: valueOrNull(newestOwn?.kmsKey),
    newestDumpKmsKeyAccount: valueOrNull(kmsKeyAccount(fact.location.provider, newestOwn?.kmsKey)),
    newestDumpCustomerManagedKey: valueOrNull(newestOwn?.customerManagedKey),
  };
}
