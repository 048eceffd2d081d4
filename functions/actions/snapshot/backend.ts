/**
 * What the snapshot action needs from a cloud: per scope (provider x account x region) a
 * {@link SnapshotBackend}, and per cloud a {@link SnapshotCloud} that finds the targets, their
 * upcoming maintenance and the places to prune. The AWS side (RDS) and the GCP side (Cloud SQL
 * backup runs) implement them; tests may fake them.
 */
import type { Provider } from '../../core/finding.ts';
import type { EncryptionKey } from '../../core/key-facts.ts';
import type { Policy } from '../../core/policy.ts';
import { requestIdTag, type SnapshotKind, type SnapshotTarget } from './model.ts';

/** A snapshot or backup as a backend reports it. */
export interface BackendSnapshot {
  readonly id: string;
  readonly kind: SnapshotKind;
  /** The target's identifier. */
  readonly target: string;
  /**
   * The immutable id of the database the snapshot was taken of (RDS `DbiResourceId` of a DBSnapshot,
   * `DbClusterResourceId` of a DBClusterSnapshot): a database deleted and created again under the
   * same identifier has a new one. Absent when the API did not send it, and for Cloud SQL.
   */
  readonly sourceResourceId?: string | undefined;
  /** `creating`, `available`, `failed`, or the cloud's own word for anything else. */
  readonly status: string;
  /** ARN or selfLink. */
  readonly ref?: string | undefined;
  readonly createdAt?: Date | undefined;
  /** Why `createdAt` is not given although the cloud sent a creation time (a copy's time, say). */
  readonly undatedBecause?: string | undefined;
  /**
   * The region the snapshot's data was taken in, when the cloud says it was copied from elsewhere
   * (RDS `SourceRegion`): the target of that name there is another database.
   */
  readonly sourceRegion?: string | undefined;
  /** The account the snapshot was copied from, when the cloud says it was copied across accounts. */
  readonly sourceAccount?: string | undefined;
  readonly encrypted?: boolean | undefined;
  readonly kmsKeyId?: string | undefined;
  /**
   * The Cloud KMS key version the backup was encrypted with (Cloud SQL
   * `diskEncryptionStatus.kmsKeyVersionName`), when the API names it. Absent for RDS.
   */
  readonly kmsKeyVersion?: string | undefined;
  readonly sizeGb?: number | undefined;
  readonly tags: Readonly<Record<string, string>>;
  /** Backend-specific handle to poll (a Cloud SQL operation name). */
  readonly handle?: string | undefined;
  /** Why a failed snapshot failed, when the cloud says. */
  readonly failure?: string | undefined;
  /**
   * Set when `status` is `failed` only because the cloud did not send a status, or sent one this
   * tool does not know (`not sent`, or the cloud's word): not awaited, not counted as usable, but
   * it may be a usable snapshot, so pruning never deletes it.
   */
  readonly statusNotKnown?: string | undefined;
}

/** What names a snapshot a result reports: its id, kind, target and (when known) ARN or selfLink. */
export type SnapshotRef = Pick<BackendSnapshot, 'id' | 'kind' | 'target' | 'ref'> & {
  /**
   * The request the snapshot was taken for (the `request-id` tag it was created with): a backend
   * that can find it only by the id in free text anyone may write (a Cloud SQL backup run's
   * description, when no run id is known) takes only a run of ours carrying this request id.
   */
  readonly requestId?: string;
};

/** The fields of a snapshot that are set, to merge a fresher (partial) state over a known one. */
export function definedFields(snapshot: BackendSnapshot): Partial<BackendSnapshot> {
  return Object.fromEntries(
    Object.entries(snapshot).filter(([, value]) => value !== undefined),
  ) as Partial<BackendSnapshot>;
}

/** How an API error of a create call is treated. */
export type CreateErrorKind =
  /** The target is busy (backing-up, modifying): retry until the deadline. */
  | 'busy'
  /** The region's snapshot quota is full. */
  | 'quota'
  /** A snapshot of that name exists already (a re-run): adopt it. */
  | 'exists'
  /**
   * Refused for the target's state, one it does not leave on its own (stopped, storage-full):
   * answered at once, since retrying until the deadline cannot end it.
   */
  | 'unavailable'
  | 'other';

/** A target's state as read again: its status, and the reasons the same answer sent for it. */
export type TargetState = Pick<SnapshotTarget, 'status' | 'suspensionReasons'> & { readonly status: string };

export interface SnapshotBackend {
  /**
   * Whether the backend keeps tag values as free text (Cloud SQL: a backup's description, escaped
   * and read back whole, gcp.ts describeBackup), so a request's reason, ticket and requester are
   * created as written (model.ts freeTextTags) rather than in the form AWS tag characters allow.
   */
  readonly freeTextTags?: boolean;
  /**
   * Whether a tag value a listing read back is `created`, as this backend stores tags: Cloud SQL
   * keeps them in a backup's description, which earlier versions wrote with `;` and `=` as `_`
   * (gcp.ts sameTag). Absent: the same text (RDS tags). A tag compared with one read back goes
   * through it ({@link listedForRequest}).
   */
  sameTag?(listed: string, created: string): boolean;
  create(
    target: SnapshotTarget,
    snapshotId: string,
    tags: Readonly<Record<string, string>>,
  ): Promise<BackendSnapshot>;
  /**
   * The current state of these snapshots (missing ones are absent from the answer). A poll that
   * could read none throws. A backend that reads each snapshot on its own (Cloud SQL operations.get)
   * answers the ones it read and tells `readFailed` of each one whose read failed: that snapshot is
   * absent from the answer, as a missing one, but it was not seen missing.
   */
  poll(
    snapshots: readonly BackendSnapshot[],
    readFailed?: (snapshot: BackendSnapshot, error: unknown) => void,
  ): Promise<BackendSnapshot[]>;
  /**
   * One snapshot read again by its identifier, in one call (a replayed result's snapshot checked
   * for still existing): its state, or undefined when it does not exist. A read that fails throws.
   */
  describe(snapshot: SnapshotRef): Promise<BackendSnapshot | undefined>;
  /** Every manual snapshot of this kind in the scope (ours and others). */
  listManual(kind: SnapshotKind, targets?: readonly SnapshotTarget[]): Promise<BackendSnapshot[]>;
  /**
   * Delete the snapshot: resolves when the cloud accepted it; with `{ operation }` when the cloud
   * only started a long-running delete (Cloud SQL backupRuns.delete) that has not ended yet, so it
   * is requested, not known done. A delete the cloud refused, or whose operation already ended in
   * error, throws.
   */
  delete(snapshot: BackendSnapshot): Promise<DeleteRequested | undefined>;
  /**
   * Where a delete that was only requested stands now, in one read of its operation (Cloud SQL
   * operations.get): still running, done, or ended in error. A read that fails throws. Absent: this
   * cloud's deletes are done when accepted.
   */
  deleteProgress?(requested: DeleteRequested): Promise<DeleteProgress>;
  /**
   * Who besides the snapshot's own account may copy or restore it (RDS: its `restore` attribute),
   * read in one call; `region` is the snapshot's, for the command that unshares it. A read that
   * fails, or an answer that does not say, throws. Absent: this cloud's snapshots cannot be shared
   * with another account (Cloud SQL backup runs have no such setting).
   */
  sharing?(snapshot: SnapshotRef, region: string): Promise<SnapshotSharing>;
  /** How a create's error of `target` is treated (its listed {@link SnapshotTarget.status} may tell). */
  classify(error: unknown, target?: SnapshotTarget): CreateErrorKind;
  /**
   * The target's status now (and, Cloud SQL, the reason of a suspension), read again when a create
   * is refused as `busy`: the database may have moved, since it was listed, into a state waiting
   * does not end (stopped, storage-full, suspended), which {@link classify} then answers at once.
   * Undefined when the answer does not say; a read that fails throws (the refusal stays busy).
   */
  currentState?(target: SnapshotTarget): Promise<TargetState | undefined>;
  /** The cloud's code for an error of its calls (`InvalidDBInstanceState`, `ABORTED`). */
  codeOf(error: unknown): string;
  /**
   * What to do about a target whose create was `unavailable` (start it, add storage), in this
   * cloud's words; a generic "make it available" otherwise.
   */
  unavailableAdvice?(target: SnapshotTarget): string;
  /** Whether this backend counts manual snapshots against a quota (RDS yes; Cloud SQL backups no). */
  readonly quotaApplies: boolean;
  /**
   * Whether {@link listManual} lists each target on its own (Cloud SQL: backupRuns.list is per
   * instance), so a listing that fails is one target's, not the scope's: the snapshot action lists
   * each target apart and answers only the target whose listing failed. Absent: one listing covers
   * the scope (RDS: per region and kind), and its failure is every target's there. Only for a
   * backend without a quota, which counts the scope's snapshots.
   */
  readonly listsPerTarget?: boolean;
  /**
   * Why this backend takes no snapshot of `target` (its backups are another service's to take), as
   * the target's answer: the error code and what to do instead; undefined when it does. Asked
   * before anything is listed or written for the target.
   */
  refusal?(target: SnapshotTarget): { readonly code: string; readonly message: string } | undefined;
}

/**
 * What a run learned of a snapshot's encryption key (functions/actions/snapshot/keys.ts judges it):
 * - `none`: nothing to check: the snapshot is not encrypted, it is encrypted with a
 *   Google-managed key (a Cloud SQL backup run without `kmsKeyName`), or its cloud's snapshot keys
 *   are not checked;
 * - `unnamed`: the snapshot is (or may be) encrypted, but the API did not name its key;
 * - `described`: the key as KMS describes it (`provider` `gcp`: a Cloud KMS key version, whose
 *   `state` is a `CryptoKeyVersionState`; absent: an AWS KMS key); a describe that failed or was
 *   refused carries `unreadReason` and no state, and `action` when the reader knows what fixes the
 *   failure (a describe that failed for the call: read it again later).
 */
export type SnapshotKey =
  | { readonly kind: 'none' }
  /** The key could not be told (`reason`); `action` what to do, when the cloud has its own. */
  | { readonly kind: 'unnamed'; readonly reason: string; readonly action?: string }
  | {
      readonly kind: 'described';
      readonly key: EncryptionKey;
      readonly provider?: 'gcp';
      readonly action?: string;
    };

/** The encryption fields of a snapshot (as listed, polled or reported in a result). */
export interface EncryptedSnapshot {
  readonly id: string;
  readonly encrypted?: boolean | undefined;
  readonly kmsKeyId?: string | undefined;
  /** The Cloud KMS key version (Cloud SQL), when named. */
  readonly kmsKeyVersion?: string | undefined;
}

/**
 * Reads the key of a snapshot in a scope (account or project, region): each distinct key is read
 * once for the reader's life (one run). Never throws: a failed read is a `described` key with
 * `unreadReason`.
 */
export type SnapshotKeyReader = (
  /** Where the snapshot is, and `id`, the database it is of. */
  scope: { readonly account: string; readonly region: string; readonly id: string },
  snapshot: EncryptedSnapshot,
) => Promise<SnapshotKey>;

/** Upcoming maintenance of one target, as a cloud announces it. */
export interface UpcomingMaintenance {
  readonly target: SnapshotTarget;
  /** What will be done (`system-update`, `db-upgrade`, `scheduled-maintenance`). */
  readonly action: string;
  /** When it will be applied; undefined when the cloud gives no date (applied at opt-in). */
  readonly applyAt: Date | undefined;
  /**
   * Without `applyAt`: the cloud says it will be applied all the same (an RDS opt-in, a Cloud SQL
   * scheduled maintenance whose start time was not sent), so it cannot be told to lie past the
   * horizon. Absent for an action that waits for an opt-in.
   */
  readonly dueWithoutDate?: { readonly reason?: string };
  /** What the event is about (the target's ARN, `project/instance`), part of its identity. */
  readonly source: string;
}

/** A place whose manual snapshots pruning lists: one account x region (AWS) or project (GCP). */
export interface SnapshotPlace {
  readonly account: string;
  readonly region: string;
  readonly backend: SnapshotBackend;
  /** Every manual snapshot there (ours and others'). */
  list(): Promise<BackendSnapshot[]>;
  /**
   * The targets whose snapshots {@link list} lists, when its backend lists each target on its own
   * ({@link SnapshotBackend.listsPerTarget}): the prune job then lists them apart, so one target's
   * listing failing leaves only that target unread, not the place.
   */
  readonly targets?: readonly SnapshotTarget[];
}

/** Where a read could not be made, said as a sentence (`eu-west-1: not read (AccessDenied …)`). */
export type ScopeProblem = string;

/**
 * Every manual snapshot of one kind in one scope, listed while the targets were being found, so a
 * snapshot request makes its quota check and adoption without one more round trip before its
 * creates. Only listings that succeeded are handed on; a scope without one lists again.
 */
export interface ManualListing {
  readonly provider: Provider;
  readonly account: string;
  readonly region: string;
  readonly kind: SnapshotKind;
  readonly snapshots: readonly BackendSnapshot[];
}

/** What {@link SnapshotCloud.targets} found. */
export interface FoundTargets {
  readonly targets: SnapshotTarget[];
  readonly problems: ScopeProblem[];
  /** With `withManualSnapshots`: the manual snapshots of every scope read, where the cloud lists them alongside. */
  readonly manualSnapshots?: readonly ManualListing[];
  /**
   * The databases a target's listing names as standing in for it (an Aurora member, a read
   * replica): not targets of their own, so a request that names one is told which target to name
   * instead (functions/jobs/snapshot.ts `resolveSnapshotTargets`), never snapshotted through it.
   */
  readonly standIns?: readonly TargetStandIn[];
  /**
   * With `withOtherEngines`: the databases of another engine than PostgreSQL the listing saw, at least
   * every one the selection selects (with `selectedBy`), so a run over every target names each as not
   * snapshotted and a request naming one is told its engine without a look-up of its own. Only where
   * the listing sends them anyway: Cloud SQL's instances.list always (every instance it saw), RDS when
   * the selection is by tag (the listings then drop the engine filter, functions/aws/rds.ts
   * listSelectedDatabases).
   */
  readonly otherEngines?: readonly OtherEngineDatabase[];
  /**
   * The selected replicas of a database outside the cloud's own service (Cloud SQL: a replica of a
   * source representation instance, ON_PREMISES_INSTANCE): not targets, and no snapshot the cloud
   * takes restores them, so a request naming one is told so, not that it was not found.
   */
  readonly outsideSources?: readonly OutsideSourceReplica[];
}

/** A replica of a database outside the cloud's service ({@link FoundTargets.outsideSources}). */
export interface OutsideSourceReplica {
  readonly provider: Provider;
  readonly account: string;
  readonly region: string;
  readonly id: string;
  /** Every name it answers to (name, selfLink, connection name). */
  readonly names: readonly string[];
  /** What it replicates from, in words: `external-src, the source representation instance of a server outside Cloud SQL`. */
  readonly source: string;
  /** The service it is outside of: `Cloud SQL`. */
  readonly outside: string;
}

/**
 * A database that is not snapshotted on its own because a selected target holds its data, as the
 * target's own listing names it (core/facts.ts `StandIn`, which the audit reports the same way).
 */
export interface TargetStandIn {
  /** Its names as a request may give them: identifier, and ARN / selfLink / connection name when known. */
  readonly names: readonly string[];
  /**
   * `member`: a DB instance of a cluster, whose snapshots are the cluster's; `replica`: a read
   * replica, whose source's snapshot is what restores it.
   */
  readonly relation: 'member' | 'replica';
  /** What it is, in words: `Aurora member`, `RDS read replica`, `Cloud SQL read replica`. */
  readonly what: string;
  /** The target that holds its data: its cluster or source. */
  readonly of: SnapshotTarget;
}

export interface TargetsOptions {
  /**
   * Also list every manual snapshot of each scope, in parallel with its targets (the snapshot job
   * needs them before its creates). A cloud that cannot list them without the targets ignores it.
   */
  readonly withManualSnapshots?: boolean;
  /**
   * Also say the databases of another engine the listing can show ({@link FoundTargets.otherEngines}):
   * the snapshot job's resolution asks, a read of the targets alone (a replay's check) does not, so
   * its RDS listings keep the engine filter.
   */
  readonly withOtherEngines?: boolean;
}

/**
 * One cloud as the snapshot, prune, maintenance and readiness jobs see it. Entry points pass the
 * clouds they serve (functions/actions/snapshot/aws.ts, gcp.ts), so each function bundles only its
 * own cloud's adapters, as the audit's collectors do.
 */
export interface SnapshotCloud {
  readonly provider: Provider;
  /** The targets `selection` picks in this cloud, and the scopes that could not be read. */
  targets(selection: Policy['targets'], options?: TargetsOptions): Promise<FoundTargets>;
  /** The backend of one scope (account or project, region). */
  backend(scope: { readonly account: string; readonly region: string }): SnapshotBackend;
  /** Maintenance announced for these targets (any date; the job applies the horizon). */
  maintenance(
    targets: readonly SnapshotTarget[],
  ): Promise<{ upcoming: UpcomingMaintenance[]; problems: ScopeProblem[] }>;
  /** The places pruning lists. */
  snapshotPlaces(): Promise<{ places: SnapshotPlace[]; problems: ScopeProblem[] }>;
  /**
   * Whether this run reads `account` with that account's own credentials, so that a snapshot
   * missing from its listing there is gone (AWS: one of the policy's member accounts, or the
   * caller's own). A listing made with other credentials lists that caller's account, and says
   * nothing of the snapshot. Absent: every account it is asked about is reachable.
   */
  reaches?(account: string): Promise<boolean>;
  /**
   * Whether this run reads `scope` at all: its region is among the run's regions (AWS: `--region`,
   * else `aws.regions`), its project among the run's projects (Cloud SQL: `--project`, else
   * `gcp.projects`). A remembered result replayed to a narrower ask (functions/jobs/snapshot-once.ts)
   * leaves out the targets of scopes this run does not read, rather than calling them not found.
   * Absent: every scope is read.
   */
  reads?(scope: { readonly account: string; readonly region: string }): boolean;
  /**
   * A new {@link SnapshotKeyReader} for one run (it remembers the keys it read, so make one per
   * run). Absent: this cloud's snapshot keys are not read, and each is judged unknown (never
   * "unencrypted"); every cloud of the product has one.
   */
  snapshotKeys?(): SnapshotKeyReader;
  /**
   * The databases of another engine than PostgreSQL that the policy selects and that answer to
   * `names` (names a request gives that no selected target answers to), so the request is told what
   * each is rather than that it was not found; and the scopes where that could not be told. A
   * database the policy does not select is not among them, whatever its engine: a request never
   * learns more than the policy's selection. Asked only for names {@link FoundTargets.otherEngines}
   * did not answer to. Absent: this cloud's target listing already says every database of another
   * engine a name may be (Cloud SQL).
   */
  otherEngines?(names: readonly string[]): Promise<{
    databases: OtherEngineDatabase[];
    problems: ScopeProblem[];
    /** The scopes where it could not be told (each also among `problems`): a name may be there. */
    failed: OtherEnginesFailure[];
    /**
     * The problems (each also among `problems`) of a scope not read at all, which a later run reads
     * again; a look-up that failed in a scope read is not (each name it leaves untold is).
     */
    unread?: ScopeProblem[];
  }>;
}

/** A scope where {@link SnapshotCloud.otherEngines} could not tell: `111111111111/eu-west-1`, and the error's code. */
export interface OtherEnginesFailure {
  readonly scope: string;
  readonly code: string;
}

/** A database of another engine ({@link SnapshotCloud.otherEngines}): where it is, its names and engine. */
export interface OtherEngineDatabase {
  readonly provider: Provider;
  readonly account: string;
  readonly region: string;
  readonly id: string;
  /** Every name it answers to (identifier, ARN). */
  readonly names: readonly string[];
  /** Its engine as the API names it: `mysql`, `aurora-mysql`, `MYSQL_8_0`. */
  readonly engine: string;
  /** How the policy selects it (`the target tag k=v`, `targets.identifiers`); absent when it does not. */
  readonly selectedBy?: string;
}

/** The cloud of `provider` among the clouds an entry point serves; undefined if it serves none. */
export function cloudOf(clouds: readonly SnapshotCloud[], provider: string): SnapshotCloud | undefined {
  return clouds.find((candidate) => candidate.provider === provider);
}

/**
 * The policy of a run that writes snapshots (takes or deletes them) on AWS: the caller's own account
 * only, whatever `aws.accounts` lists. The member roles are read-only (infra: the member stack), so
 * every write through one would be refused; the snapshot Lambda, chat and the CLI's snapshot and
 * prune each run with it, and say which member accounts it leaves out ({@link memberAccountsLeftOut}).
 */
export function ownAccountPolicy(policy: Policy): Policy {
  return { ...policy, aws: { ...policy.aws, accounts: [] } };
}

/**
 * The member accounts of `policy` (`aws.accounts`) a run over `writePolicy` (its
 * {@link ownAccountPolicy}) leaves out: those its AWS cloud (`aws`, made over `writePolicy`) does
 * not reach. An account it does reach is the caller's own (run with that account's credentials) and
 * is written as usual; one not known to be (the caller's identity not read, no AWS cloud to ask) is
 * counted left out.
 */
export async function memberAccountsLeftOut(
  policy: Policy,
  writePolicy: Policy,
  aws: SnapshotCloud | undefined,
): Promise<string[]> {
  const kept = new Set(writePolicy.aws.accounts.map((account) => account.accountId));
  const dropped = policy.aws.accounts.map((account) => account.accountId).filter((id) => !kept.has(id));
  const reached = await Promise.all(
    dropped.map((id) => aws?.reaches?.(id).catch(() => false) ?? Promise.resolve(aws !== undefined)),
  );
  return dropped.filter((_, index) => !reached[index]);
}

/**
 * `make(cloud)` once per cloud for the life of what holds the result (one run): the clouds' readers
 * that remember what they read. Undefined for a provider no cloud serves, or whose `make` is.
 */
export function perCloud<T>(
  clouds: readonly SnapshotCloud[],
  make: (cloud: SnapshotCloud) => T | undefined,
): (provider: string) => T | undefined {
  const made = new Map<string, T | undefined>();
  return (provider) => {
    if (made.has(provider)) return made.get(provider);
    const cloud = cloudOf(clouds, provider);
    const value = cloud === undefined ? undefined : make(cloud);
    made.set(provider, value);
    return value;
  };
}

/** Who may copy or restore a snapshot besides its own account, as its cloud says. */
export interface SnapshotSharing {
  /** The accounts it is shared with, in the cloud's words (RDS: account ids, or `all`); empty: none. */
  readonly sharedWith: readonly string[];
  /** Whether any account may (an RDS snapshot whose `restore` attribute names `all`). */
  readonly isPublic: boolean;
  /** The command that stops sharing it with them, run with its account's credentials. */
  readonly unshare: string;
}

/** A delete the cloud started but had not finished when it answered: its operation's name. */
export interface DeleteRequested {
  readonly operation: string;
}

/** A requested delete's operation now: under way, ended without error, or ended in error. */
export type DeleteProgress =
  | { readonly state: 'running' }
  | { readonly state: 'done' }
  | { readonly state: 'failed'; readonly code: string; readonly message: string };

/**
 * Whether a listed snapshot's `request-id` tag (`listed`) is the one a snapshot of request
 * `requestId` is created with (model.ts requestIdTag, which already changes what a tag value cannot
 * hold), as `backend` reads tags back. The one comparison a listed snapshot's tag goes through.
 */
export function listedForRequest(
  backend: Pick<SnapshotBackend, 'sameTag'>,
  listed: string | undefined,
  requestId: string,
): boolean {
  if (listed === undefined) return false;
  const tag = requestIdTag(requestId);
  return backend.sameTag?.(listed, tag) ?? listed === tag;
}
