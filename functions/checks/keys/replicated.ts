/**
 * `keys.replicated`: the secret has a copy in another region and every replica is InSync; a secret
 * that is itself a replica is judged by its own status as its primary reports it (GCP:
 * automatic replication, or user-managed with at least two locations, and the latest version
 * ENABLED). A secret is in one region only when its DescribeSecret names its own region as
 * `PrimaryRegion` and lists no replica elsewhere: without `PrimaryRegion` it may be a replica, whose
 * answer lists no replicas. A copy elsewhere that reports InSync but whose own KMS key cannot decrypt
 * it (a replica's region's key, a replica's primary's key, a GCP copy's Cloud KMS key version)
 * restores nothing: FAILED. A PASS needs a copy elsewhere whose key proves it can be decrypted: when
 * the only copies that would pass are under a key not read, named by an alias or otherwise not
 * proven (keyNotProven), or the secret's encryption was not read at all (no replica's key known),
 * NOT_AVAILABLE naming them; a provider-managed key needs no KMS read. The same holds beside replicas
 * still in progress: their WARNING needs a copy elsewhere whose key proves it too. A replica whose
 * Status was not sent, or is one Secrets Manager does not document, may be Failed: NOT_AVAILABLE
 * naming it, beside replicas in progress too (a WARNING is a state read, and readiness passes it).
 */
import type { Check, CheckOutcome } from '../../core/check.ts';
import type { FindingValues } from '../../core/finding.ts';
import type { EncryptionKey, KeySecretFact } from '../../core/key-facts.ts';
import { DELETED_KMS_KEY, deletedKmsKeyFix, kmsKeyFix } from '../../core/kms-key-states.ts';
import { placeholder, shellWord } from '../../core/shell-word.ts';
import {
  absentOutcome,
  cannotDecrypt,
  cloudKmsKeyFix,
  copyRemedy,
  DOCS,
  gcloudAddVersion,
  gcloudEnableLatest,
  gcloudSecretArgs,
  itemsValue,
  joinedRemedies,
  KEYS_RESOURCE_TYPES,
  keyNotProven,
  LATEST_VERSION_READ,
  notAvailable,
  replicasRekeyed,
  secretLabel,
} from './wording.ts';

/**
 * The replica statuses Secrets Manager documents (`StatusType`:
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicationStatusType.html);
 * any other proves neither sync nor lag.
 */
const KNOWN_REPLICA_STATUSES: ReadonlySet<string> = new Set(['InSync', 'InProgress', 'Failed']);

/** Latest-version states in which no copy holds a value to restore (keys.not-deleting's). */
const LOST_VERSION_STATES: ReadonlySet<string> = new Set(['DISABLED', 'DESTROYED', 'none']);

/**
 * The copies count only if the latest version is ENABLED (DESIGN.md, keys.replicated): every
 * replica holds the same versions, so a latest version DISABLED, DESTROYED or absent leaves no copy
 * anywhere to restore from (FAILED), and one whose state is not known proves none (NOT_AVAILABLE).
 * GCP, and AWS too: a Secrets Manager replica holds its primary's versions, so a secret with no
 * version labelled AWSCURRENT (`none`) has replicas InSync holding nothing either.
 * Undefined when it is ENABLED, or when the fact carries no latest version.
 */
function unusableLatestVersion(
  fact: KeySecretFact,
  replicated: string,
  observed: FindingValues,
  required: FindingValues,
): CheckOutcome | undefined {
  const latest = fact.latestVersion;
  if (latest === undefined) return undefined;
  if (latest.state === 'unknown') {
    return notAvailable(
      fact,
      `it ${replicated}, but its latest version could not be read (${latest.reason}), so whether any copy holds a usable value is not known`,
      observed,
      required,
    );
  }
  const { state } = latest.value;
  if (state === 'ENABLED') return undefined;
  if (!LOST_VERSION_STATES.has(state)) {
    return notAvailable(
      fact,
      `it ${replicated}, but its latest version is ${state}, a version state this audit does not know`,
      { ...observed, latestVersionState: state },
      required,
    );
  }
  const aws = fact.resource.provider === 'aws';
  const what =
    state !== 'none'
      ? `its latest version (${LATEST_VERSION_READ}) is ${state}`
      : aws
        ? 'holds no value (no version carries the AWSCURRENT label)'
        : 'it has no version';
  const held = state !== 'none' ? 'a usable value of it' : 'a usable value';
  return {
    status: 'FAILED',
    description: `The ${secretLabel(fact)} ${replicated}, but ${what}, so no copy holds ${held} (see keys.not-deleting).`,
    observed: { ...observed, latestVersionState: state },
    required,
    remediationText: aws
      ? `Store the value certctl runs with (\`aws secretsmanager put-secret-value --secret-id ${shellWord(fact.resource.id)} --secret-string file://${placeholder('file')}\`, the file in its CERTCTL_*_PATH setting); the replicas receive it, replication needs no change.`
      : state === 'DISABLED'
        ? `Enable the latest version (\`${gcloudEnableLatest(fact)}\`); replication needs no change.`
        : `Add the value certctl runs with as a new version (\`${gcloudAddVersion(fact)}\`, the file in its CERTCTL_*_PATH setting); replication needs no change.`,
  };
}

/**
 * A copy of the secret in another region with the key that encrypts it; `key` undefined when the
 * secret's encryption was not read at all (`unread`: why), which judges no replica's key.
 */
interface CopyElsewhere {
  readonly copy: string;
  readonly region: string;
  readonly key: EncryptionKey | undefined;
  readonly unread?: string | undefined;
  readonly replica: boolean;
}

/**
 * AWS: the copies in other regions: each replica under its region's key (`replicaRegion`), and, for
 * a secret that is itself a replica, its primary under the primary's key (read from the primary;
 * none carried for the AWS-managed key, which needs no KMS read). The replicas' keys come from the
 * secret's encryption: when it was not read, each replica is listed without a key, saying why, so a
 * status InSync is never taken for a copy that can be decrypted.
 */
function copiesElsewhere(
  fact: KeySecretFact,
  others: readonly { readonly region: string | undefined }[],
  own: { readonly primaryKey?: EncryptionKey | undefined } | undefined,
): CopyElsewhere[] {
  const { encryption } = fact;
  const replicas = others.flatMap(({ region }): CopyElsewhere[] => {
    if (region === undefined) return [];
    const copy = `the replica in ${region}`;
    if (encryption.state === 'unknown')
      return [{ copy, region, key: undefined, unread: encryption.reason, replica: true }];
    const key = encryption.value.find((candidate) => candidate.replicaRegion === region);
    return key !== undefined ? [{ copy, region, key, replica: true }] : [];
  });
  const primary =
    fact.replication.state === 'read' && fact.replication.value.kind === 'aws'
      ? fact.replication.value.primaryRegion
      : undefined;
  const primaryKey = own?.primaryKey;
  return primary !== undefined && primaryKey !== undefined
    ? [...replicas, { copy: `the primary in ${primary}`, region: primary, key: primaryKey, replica: false }]
    : replicas;
}

/**
 * AWS: the copies in other regions that report a status but whose own key cannot decrypt them. An
 * InSync copy under such a key is no copy to restore from.
 */
function undecryptableCopies(
  fact: KeySecretFact,
  others: readonly { readonly region: string | undefined }[],
  own: { readonly primaryKey?: EncryptionKey | undefined } | undefined,
): (CopyElsewhere & { readonly key: EncryptionKey })[] {
  return copiesElsewhere(fact, others, own).flatMap((copy) =>
    copy.key !== undefined && cannotDecrypt(copy.key) ? [{ ...copy, key: copy.key }] : [],
  );
}

/**
 * AWS: the copies in other regions whose key does not prove they can be decrypted (keyNotProven),
 * or whose key is not known (the secret's encryption not read), with why, and what fixes a read
 * that failed (`remedy`: the key's, said for its copy, Region and key; the encryption's). A replica
 * whose key the encryption read does not list is not judged here: the adapter lists one for every
 * replica entry.
 */
function unprovenCopies(
  fact: KeySecretFact,
  others: readonly { readonly region: string | undefined }[],
  own: { readonly primaryKey?: EncryptionKey | undefined } | undefined,
): { readonly region: string; readonly why: string; readonly remedy?: string | undefined }[] {
  return copiesElsewhere(fact, others, own).flatMap(({ copy, region, key, unread }) => {
    if (key === undefined) {
      const why = `which key encrypts ${copy} is not known (the secret's encryption could not be read: ${unread})`;
      return [
        { region, why, remedy: fact.encryption.state === 'unknown' ? fact.encryption.remedy : undefined },
      ];
    }
    const notProven = keyNotProven(key, 'aws', copy);
    if (notProven === undefined) return [];
    const remedy =
      notProven.remedy === undefined
        ? undefined
        : copyRemedy(notProven.remedy, copy, { id: key.id, region: key.region ?? region });
    return [{ region, why: notProven.why, remedy }];
  });
}

/**
 * GCP: the copies whose Cloud KMS key does not prove they can be decrypted (keyNotProven). NOT_AVAILABLE
 * when too few copies are left proven to pass (under automatic replication the one key encrypts every
 * copy; user-managed needs two locations); else the words a PASS adds about the copies not counted
 * (empty when every key proves its copy).
 */
function unprovenGcpCopies(
  fact: KeySecretFact,
  replicated: string,
  automatic: boolean,
  locations: readonly string[],
  observed: FindingValues,
  required: FindingValues,
): CheckOutcome | string {
  // Without the encryption read, no copy's key is known: under automatic replication or not, an
  // unread key proves no copy (a Google-managed one would need no read, but that is not known either).
  if (fact.encryption.state === 'unknown') {
    return notAvailable(
      fact,
      `it ${replicated}, but which keys encrypt its copies is not known (the secret's encryption could not be read: ${fact.encryption.reason}), so no copy is known to be decryptable`,
      { ...observed, unprovenCopies: locations.length > 0 ? locations.join(',') : 'all' },
      required,
      fact.encryption.remedy,
    );
  }
  const unproven = fact.encryption.value.flatMap((key) => {
    const { copy } = gcpCopyOf(key, automatic);
    const notProven = keyNotProven(key, 'gcp', copy);
    if (notProven === undefined) return [];
    // The fix names the key; the copy is said when it is one location's (not automatic's one key).
    const remedy =
      notProven.remedy === undefined
        ? undefined
        : copyRemedy(notProven.remedy, automatic && key.location === undefined ? undefined : copy);
    return [{ key, why: notProven.why, remedy }];
  });
  if (unproven.length === 0) return '';
  const named = unproven.map(({ why }) => why).join('; ');
  const everyCopy = unproven.some(({ key }) => automatic && key.location === undefined);
  const gone = new Set(unproven.map(({ key }) => key.location));
  const left = locations.filter((location) => !gone.has(location));
  if (everyCopy || left.length < 2) {
    return notAvailable(
      fact,
      `it ${replicated}, but ${named}, so ${left.length === 0 || everyCopy ? 'no copy is known to be decryptable' : `only the copy in ${left.join(', ')} is known to be decryptable`}`,
      {
        ...observed,
        unprovenCopies: unproven.map(({ key }) => gcpCopyOf(key, automatic).tag).join(','),
      },
      required,
      joinedRemedies(unproven.map(({ remedy }) => remedy)),
    );
  }
  return ` (not counted: ${named})`;
}

/**
 * GCP: copies whose Cloud KMS key version cannot decrypt them (DISABLED, DESTROY_SCHEDULED,
 * DESTROYED, …) are no copies to restore from: under automatic replication one key version
 * encrypts every copy; under user-managed replication each location's key its own copy (the key's
 * `location`). FAILED naming them and the locations left; undefined when every key judged is usable.
 */
function undecryptableGcpCopies(
  fact: KeySecretFact,
  replicated: string,
  automatic: boolean,
  locations: readonly string[],
  observed: FindingValues,
  required: FindingValues,
): CheckOutcome | undefined {
  const keys = fact.encryption.state === 'read' ? fact.encryption.value : [];
  const lost = keys.filter(cannotDecrypt);
  if (lost.length === 0) return undefined;
  const named = lost.map((key) => {
    const { copy } = gcpCopyOf(key, automatic);
    const version = `the Cloud KMS key version ${key.version ?? key.id}, which is ${key.state}`;
    return automatic && key.location === undefined ? version : `${copy} is under ${version}`;
  });
  const gone = new Set(lost.map((key) => key.location));
  const left = locations.filter((location) => !gone.has(location));
  // No copy is left only when the one key of automatic replication is lost, or every copy's key is:
  // a user-managed copy whose location was not reported is one copy, and a usable one still counts.
  const noCopy = (automatic && gone.has(undefined)) || lost.length === keys.length;
  const remains = noCopy
    ? 'no copy can be decrypted'
    : left.length === 0
      ? 'no copy in a reported location can be decrypted'
      : `only ${left.join(', ')} ${left.length === 1 ? 'holds a copy' : 'hold copies'} that can be decrypted`;
  return {
    status: 'FAILED',
    description: `The ${secretLabel(fact)} ${replicated}, but ${named.join('; ')}: ${remains} (see keys.not-deleting).`,
    observed: {
      ...observed,
      undecryptableCopies: lost.map((key) => gcpCopyOf(key, automatic).tag).join(','),
    },
    required,
    // Each lost key version's own fix (restore, enable, or a new version under a usable primary).
    remediationText: [...new Set(lost.map((key) => cloudKmsKeyFix(fact, key)))].join(' '),
  };
}

/**
 * GCP: a secret kept in fewer than two locations. Secret Manager sets a secret's replication when
 * it is created and cannot change its locations afterwards ("The locations in the replication
 * policy can't be updated", https://cloud.google.com/secret-manager/docs/choosing-replication;
 * `gcloud secrets replication set` changes the keys, not the locations), so the fix is a new
 * secret: `gcloud secrets create --replication-policy=automatic` (its key, if customer-managed, in
 * location global: `--kms-key-name`) or `user-managed --locations=…` (several locations' keys in a
 * `--replication-policy-file`), then each version to keep copied into it oldest first, the value
 * certctl runs with last (`latest` is the version added last), through `gcloud secrets versions
 * access --out-file` (raw bytes; its standard output is UTF-8 text) and `versions add`.
 */
function newReplicatedSecretFix(fact: KeySecretFact, locations: readonly string[]): string {
  const { secret, project } = gcloudSecretArgs(fact);
  const fresh = placeholder('new-secret');
  const where = shellWord(`${locations.join(',') || '<location>'},<other-location>`);
  return `Secret Manager cannot change where a secret is replicated (the locations are set when it is created), so the fix is a new secret: create it with automatic replication (\`gcloud secrets create ${fresh} --project=${project} --replication-policy=automatic\`; under a customer-managed key add \`--kms-key-name=${placeholder('key-in-global')}\`, a key in location global), or in two or more locations (\`--replication-policy=user-managed --locations=${where}\` in place of \`--replication-policy=automatic\`; under customer-managed keys, \`--replication-policy-file=${placeholder('policy-file')}\` naming each location's key instead); copy into it each version to keep, oldest first and the value certctl runs with last, as the latest version is the one added last (\`gcloud secrets versions access ${placeholder('version')} --secret=${secret} --project=${project} --out-file=${placeholder('file')}\`, then \`gcloud secrets versions add ${fresh} --project=${project} --data-file=${placeholder('file')}\`, then delete the file); then point the backup and the policy's keys items at projects/${/^projects\/([^/]+)\//.exec(fact.resource.id)?.[1] ?? fact.resource.account}/secrets/<new-secret>.`;
}

/**
 * The GCP copy a key encrypts, said (`copy`) and as an observed value (`tag`): automatic
 * replication's one key encrypts every copy; a user-managed replica's key its own copy, which is
 * in the location it reported, or, one it did not report, somewhere not known (never every copy).
 */
function gcpCopyOf(key: EncryptionKey, automatic: boolean): { copy: string; tag: string } {
  if (key.location !== undefined) return { copy: `the copy in ${key.location}`, tag: key.location };
  return automatic
    ? { copy: 'every copy', tag: 'all' }
    : { copy: 'the copy whose location was not reported', tag: 'location not reported' };
}

export const keysReplicatedCheck: Check<KeySecretFact> = {
  metadata: {
    id: 'keys.replicated',
    group: 'keys',
    title: 'Key-material backups are replicated to another region',
    failedTitle: 'A key-material backup is not replicated, or a replica is out of sync',
    severity: 'HIGH',
    rationale:
      'A regional outage or a lost region must not take the only copy of the CA key with it; a replica that is not in sync holds an older key than certctl runs with.',
    remediation: {
      text: `Replicate the secret (\`aws secretsmanager replicate-secret-to-regions --add-replica-regions Region=${placeholder('other')}\`); for a replica out of sync, read its StatusMessage and fix the replica key permissions.`,
      texts: {
        gcp: `Secret Manager cannot change where a secret is replicated (the locations are set when it is created): create a new secret with automatic replication (\`gcloud secrets create ${placeholder('new-secret')} --project=${placeholder('project')} --replication-policy=automatic\`) or in two or more locations (\`--replication-policy=user-managed --locations=${placeholder('location')},${placeholder('other-location')}\`), copy into it each version to keep, the value certctl runs with last (\`gcloud secrets versions access ${placeholder('version')} --secret=${placeholder('secret')} --project=${placeholder('project')} --out-file=${placeholder('file')}\`, then \`gcloud secrets versions add ${placeholder('new-secret')} --project=${placeholder('project')} --data-file=${placeholder('file')}\`), and point the backup and the inventory at it. A copy whose Cloud KMS key version cannot decrypt it: restore and enable that version (\`gcloud kms keys versions restore\`, \`enable\`).`,
      },
      url: DOCS.smReplicate,
      urls: { gcp: DOCS.gsmReplication },
    },
    resourceTypes: KEYS_RESOURCE_TYPES,
  },
  evaluate(fact) {
    const required = { otherRegions: '>= 1', replicasInSync: true };
    const absent = absentOutcome(fact, required);
    if (absent) return absent;
    if (fact.replication.state === 'unknown')
      return notAvailable(fact, fact.replication.reason, {}, required, fact.replication.remedy);
    const replication = fact.replication.value;
    const base = { items: itemsValue(fact) };
    if (replication.kind === 'gcp-automatic' || replication.kind === 'gcp-user-managed') {
      const automatic = replication.kind === 'gcp-automatic';
      const locations = automatic ? [] : replication.locations;
      const gcpRequired = {
        replication: 'automatic or >= 2 locations',
        ...(fact.latestVersion ? { latestVersionState: 'ENABLED' } : {}),
      };
      const gcpObserved = automatic
        ? { ...base, replication: 'automatic' }
        : { ...base, replication: 'user-managed', locations: locations.join(',') };
      if (!automatic && locations.length < 2) {
        return {
          status: 'FAILED',
          description: `The ${secretLabel(fact)} is kept in ${locations.join(', ') || 'no location'} only.`,
          observed: gcpObserved,
          required: gcpRequired,
          remediationText: newReplicatedSecretFix(fact, locations),
        };
      }
      const replicated = automatic
        ? 'uses automatic replication'
        : `is replicated to ${locations.join(', ')}`;
      const lost =
        unusableLatestVersion(fact, replicated, gcpObserved, gcpRequired) ??
        undecryptableGcpCopies(fact, replicated, automatic, locations, gcpObserved, gcpRequired);
      if (lost) return lost;
      const unproven = unprovenGcpCopies(fact, replicated, automatic, locations, gcpObserved, gcpRequired);
      if (typeof unproven !== 'string') return unproven;
      return {
        status: 'PASSED',
        description: `The ${secretLabel(fact)} ${replicated}${unproven}.`,
        observed: gcpObserved,
        required: gcpRequired,
      };
    }
    const home = fact.resource.region;
    const primary = replication.primaryRegion;
    // A replica (its primary elsewhere) is judged by its own status, which only its primary reports.
    const own = primary !== undefined && primary !== home ? replication.asReplica : undefined;
    if (primary !== undefined && primary !== home) {
      const replicaOf = `the ${secretLabel(fact)} is a replica of the secret in ${primary}, and only the primary reports whether a replica is in sync (its ReplicationStatus)`;
      if (own === undefined || own.state === 'unknown')
        return notAvailable(
          fact,
          `${replicaOf}: ${own ? own.reason : 'the primary was not read'}`,
          { otherRegions: primary },
          required,
        );
      if (own.value.status === undefined)
        return notAvailable(
          fact,
          `${replicaOf}, and the primary does not list ${home} among its replicas`,
          { otherRegions: primary },
          required,
        );
    }
    const others = replication.replicas.filter((replica) => replica.region !== home);
    const regions = others.flatMap((replica) => (replica.region === undefined ? [] : [replica.region]));
    if (replication.primaryRegion && replication.primaryRegion !== home)
      regions.push(replication.primaryRegion);
    const observed = { ...base, otherRegions: regions.join(',') || null };
    const where = (region: string | undefined): string => region ?? 'a replica of unreported region';
    if (regions.length === 0 && others.length > 0) {
      // A replica without its region proves no copy elsewhere: it may be absent from the answer only.
      return notAvailable(
        fact,
        'a replica did not report its region (ReplicationStatus without Region), so no copy is known to be in another region',
        { otherRegions: null },
        required,
      );
    }
    if (regions.length === 0 && primary === undefined) {
      // Only PrimaryRegion says whether the secret is itself a replica of a secret in another
      // region; a replica lists no replicas of its own, so their absence proves no single region.
      return notAvailable(
        fact,
        `DescribeSecret did not send PrimaryRegion, so whether the ${secretLabel(fact)} is itself a replica of a secret in another region is not known, and it lists no replica in another region (ReplicationStatus)`,
        { otherRegions: null },
        required,
      );
    }
    if (regions.length === 0) {
      return {
        status: 'FAILED',
        description: `The ${secretLabel(fact)} exists in ${home} only.`,
        observed,
        required,
      };
    }
    // Copies of no value prove no backup elsewhere, in sync or not. From here the latest version,
    // when the fact carries it, was judged ENABLED: every outcome below says it was required (as GCP's do).
    const versionRequired = fact.latestVersion ? { ...required, latestVersionState: 'ENABLED' } : required;
    const valueless = unusableLatestVersion(
      fact,
      `is replicated to ${regions.join(', ')}`,
      observed,
      versionRequired,
    );
    if (valueless) return valueless;
    // The statuses judged: each replica's, and this replica's own as its primary reports it.
    const judged =
      own?.state === 'read'
        ? [{ region: home, status: own.value.status, statusMessage: own.value.statusMessage }, ...others]
        : others;
    const failed = judged.filter((replica) => replica.status === 'Failed');
    const pending = judged.filter((replica) => replica.status === 'InProgress');
    // A status not sent, or one Secrets Manager does not document, is not evaluated: such a replica
    // is not known to be in sync, nor to lag.
    const unjudged = judged.filter(
      (replica) => replica.status === undefined || !KNOWN_REPLICA_STATUSES.has(replica.status),
    );
    const statuses = judged
      .map((replica) => `${replica.region ?? 'unreported'}=${replica.status ?? 'unknown'}`)
      .join(',');
    if (failed.length > 0) {
      return {
        status: 'FAILED',
        description: `The ${secretLabel(fact)} has replicas out of sync: ${failed.map((replica) => `${where(replica.region)} (${replica.statusMessage ?? 'Failed'})`).join(', ')}.`,
        observed: { ...observed, replicaStatus: statuses },
        required: versionRequired,
      };
    }
    const undecryptable = undecryptableCopies(fact, others, own?.state === 'read' ? own.value : undefined);
    if (undecryptable.length > 0) {
      return {
        status: 'FAILED',
        description: `The ${secretLabel(fact)} has copies in other regions that cannot be decrypted: ${undecryptable.map(({ copy, key }) => `${copy} (its KMS key ${key.id} ${key.deleted ? DELETED_KMS_KEY : `is ${key.state}`})`).join(', ')}; such a copy restores nothing${undecryptable.some(({ replica }) => replica) ? ' (see keys.not-deleting)' : ''}.`,
        observed: {
          ...observed,
          replicaStatus: statuses,
          undecryptableCopies: undecryptable.map(({ region }) => region).join(','),
        },
        required: versionRequired,
        remediationText: undecryptable
          .map(({ key, region, replica }) =>
            key.deleted
              ? deletedKmsKeyFix(
                  replica
                    ? `re-create the replica under a usable key of ${region}: ${replicasRekeyed(fact, [region])}`
                    : `the primary in ${region} cannot be decrypted again; replicate this secret's value to another region under a usable key`,
                )
              : kmsKeyFix(key),
          )
          .join(' '),
      };
    }
    const undocumented = (status: string) => `${status}, a Status Secrets Manager does not document`;
    // A replica whose status is not known may be Failed: not evaluated, beside replicas in progress
    // too (never part of their WARNING, which readiness passes as GO).
    if (unjudged.length > 0) {
      const silent = unjudged
        .filter((replica) => replica.status === undefined)
        .map((replica) => where(replica.region));
      const parts = [
        ...(silent.length > 0
          ? [
              `the ${silent.length === 1 ? 'replica' : 'replicas'} in ${silent.join(', ')} reported no Status (ReplicationStatus without Status)`,
            ]
          : []),
        ...unjudged.flatMap((replica) =>
          replica.status === undefined
            ? []
            : [
                `the replica in ${where(replica.region)} reported ${undocumented(replica.status)} (InSync, InProgress or Failed)`,
              ],
        ),
      ];
      const inProgress = pending.map((replica) => where(replica.region));
      const alsoPending =
        inProgress.length > 0
          ? `; the ${inProgress.length === 1 ? 'replica' : 'replicas'} in ${inProgress.join(', ')} ${inProgress.length === 1 ? 'is' : 'are'} InProgress, not yet in sync`
          : '';
      return notAvailable(
        fact,
        `${parts.join('; ')}, so whether ${unjudged.length === 1 ? 'it is' : 'they are'} in sync is not known${alsoPending}`,
        { otherRegions: observed.otherRegions, replicaStatus: statuses },
        versionRequired,
      );
    }
    // A copy elsewhere counts only when its key proves it can be decrypted (or needs no KMS read),
    // in sync or in progress: replicas in progress beside copies none of whose keys is proven are
    // not evaluated, as without them, never a warning (readiness passes a WARNING as GO).
    const unproven = unprovenCopies(fact, others, own?.state === 'read' ? own.value : undefined);
    const notCounted = unproven.map(({ why }) => why).join('; ');
    // Replicas in progress (one whose status is not known is not evaluated, above).
    const notInSync = pending.map((replica) => `${where(replica.region)} (InProgress)`);
    if (unproven.length > 0 && unproven.length >= regions.length) {
      return notAvailable(
        fact,
        `it is replicated to ${regions.join(', ')}, ${pending.length > 0 ? `with replicas not yet in sync: ${notInSync.join(', ')}` : 'in sync'}, but ${notCounted}, so no copy elsewhere is known to be decryptable`,
        {
          otherRegions: observed.otherRegions,
          replicaStatus: statuses,
          unprovenCopies: unproven.map(({ region }) => region).join(','),
        },
        versionRequired,
        joinedRemedies(unproven.map(({ remedy }) => remedy)),
      );
    }
    if (pending.length > 0) {
      return {
        status: 'WARNING',
        description:
          `The ${secretLabel(fact)} has replicas not yet in sync: ${notInSync.join(', ')}.` +
          (unproven.length > 0 ? ` Not counted: ${notCounted}.` : ''),
        observed: { ...observed, replicaStatus: statuses },
        required: versionRequired,
      };
    }
    return {
      status: 'PASSED',
      description:
        (own === undefined
          ? `The ${secretLabel(fact)} is replicated to ${regions.join(', ')}${others.length > 0 ? ', all in sync' : ''}.`
          : `The ${secretLabel(fact)} is a replica of the secret in ${primary}, in sync with it as the primary reports${others.length > 0 ? `, and is replicated to ${regions.filter((region) => region !== primary).join(', ')}` : ''}.`) +
        (unproven.length > 0 ? ` Not counted: ${notCounted}.` : ''),
      observed: { ...observed, ...(statuses ? { replicaStatus: statuses } : {}) },
      required: versionRequired,
    };
  },
};
