/**
 * Which database a snapshot was taken of, beyond its name: a database deleted and created again
 * under the same identifier is another database, and the earlier one's snapshots prove nothing
 * about it. Pure: the readiness gate, chat status and the snapshot action's adoption ask it.
 */
import { shellWord } from '../../core/shell-word.ts';
import { DAY_MS, HOUR_MS, isoTimeProblem } from '../../core/time.ts';
import type { BackendSnapshot } from './backend.ts';
import { expiryOf, isOurs, SNAPSHOT_TAGS, type SnapshotTarget } from './model.ts';

/** What tells a database's incarnation: its kind and name, and what the cloud sent about it. */
export interface DatabaseIncarnation {
  readonly kind: SnapshotTarget['kind'];
  readonly id: string;
  /** RDS `DbiResourceId` / Aurora `DbClusterResourceId`, when sent. */
  readonly resourceId?: string | undefined;
  /** Cloud SQL `createTime` (ISO 8601), when sent. */
  readonly createdAt?: string | undefined;
}

/**
 * The field that names a database's incarnation, per kind: "The identifier for the source DB
 * instance, which can't be changed and which is unique to an Amazon Web Services Region"
 * (DBSnapshot `DbiResourceId`), "The resource ID of the DB cluster that this DB cluster snapshot
 * was created from" (DBClusterSnapshot `DbClusterResourceId`), the same ids DBInstance and
 * DBCluster list as "the Amazon Web Services Region-unique, immutable identifier" of the database
 * (RDS API reference). A database deleted and created again under the same identifier gets a new
 * one; its name (and so its ARN) tells nothing.
 *
 * Cloud SQL has no such id: a backup run names only its instance (`BackupRun.instance`), and a
 * DatabaseInstance has no uid (Cloud SQL Admin API v1, cloud_sql_backup_runs.proto and
 * cloud_sql_instances.proto), while "the deleted instance name can be reused immediately"
 * (https://cloud.google.com/sql/docs/postgres/delete-instance). Its `createTime` still tells a
 * backup run taken before the instance existed; one taken after it is taken as the instance's. An
 * instance whose `createTime` was not sent ("Output only", not always present) tells nothing: its
 * backup runs are `unknown`, as an RDS snapshot whose resource id was not sent.
 */
export const RESOURCE_ID_FIELD: Readonly<Partial<Record<SnapshotTarget['kind'], string>>> = {
  'rds-instance': 'DbiResourceId',
  'aurora-cluster': 'DbClusterResourceId',
};

/**
 * Why a Cloud SQL instance tells nothing of which of its name's backup runs are its own
 * ({@link incarnationOf} `unknown`): "the instance named … was listed without its createTime", or
 * with one that names no time. Prune's keep reason and the snapshot action's not-verified answer
 * both say it, each with {@link createTimeCommand}.
 */
export function createTimeNotSent(database: Pick<DatabaseIncarnation, 'id' | 'createdAt'>): string {
  return database.createdAt === undefined
    ? `the instance named ${database.id} was listed without its createTime`
    : `the instance named ${database.id} was listed with a createTime that names no time (${JSON.stringify(database.createdAt.slice(0, 64))})`;
}

/** The `gcloud` command that shows when the Cloud SQL instance `instance` of `project` was created. */
export function createTimeCommand(instance: string, project: string): string {
  return `gcloud sql instances describe ${shellWord(instance)} --project=${shellWord(project)} --format="value(createTime)"`;
}

/**
 * Whether a snapshot bearing the database's name is of the database that has the name now:
 * `same`; `earlier` (of an earlier database of that name); `unknown` (a resource id, the
 * snapshot's or the database's, was not sent: never taken for a match). `reason` says why when
 * it is not `same`, as a predicate of the snapshot ("is of an earlier database named …").
 */
export function incarnationOf(
  snapshot: Pick<BackendSnapshot, 'sourceResourceId' | 'createdAt'>,
  database: DatabaseIncarnation,
): { readonly match: 'same' | 'earlier' | 'unknown'; readonly reason?: string } {
  const field = RESOURCE_ID_FIELD[database.kind];
  if (field === undefined) {
    const created = database.createdAt === undefined ? Number.NaN : Date.parse(database.createdAt);
    // Without the instance's createTime a backup run of an earlier instance of that name cannot be
    // told from one of this instance (a value the API did not send is not evaluated).
    if (!Number.isFinite(created)) {
      return {
        match: 'unknown',
        reason: `bears the name ${database.id} but the instance's createTime was not sent: it cannot be told to be of this instance rather than of an earlier one of that name`,
      };
    }
    if (snapshot.createdAt && snapshot.createdAt.getTime() < created) {
      return {
        match: 'earlier',
        reason: `was taken at ${snapshot.createdAt.toISOString()}, before the instance named ${database.id} was created (createTime ${database.createdAt}): it is of an earlier instance of that name`,
      };
    }
    return { match: 'same' };
  }
  if (snapshot.sourceResourceId === undefined) {
    return {
      match: 'unknown',
      reason: `bears the name ${database.id} but its ${field} was not sent: it cannot be told to be of this database rather than of an earlier one of that name`,
    };
  }
  if (database.resourceId === undefined) {
    return {
      match: 'unknown',
      reason: `bears the name ${database.id} but the database's ${field} was not sent: it cannot be told to be of this database rather than of an earlier one of that name`,
    };
  }
  if (snapshot.sourceResourceId !== database.resourceId) {
    return {
      match: 'earlier',
      reason: `is of an earlier database named ${database.id} (${field} ${snapshot.sourceResourceId}; the database now has ${database.resourceId})`,
    };
  }
  return { match: 'same' };
}

/** What readiness and the status answer need to know of a target to match its snapshots. */
export interface SnapshotMatchTarget {
  readonly kind: SnapshotTarget['kind'];
  readonly id: string;
  readonly account: string;
  readonly region: string;
  /** The database's current resource id, when the API sent it (`ResourceRef.resourceId`). */
  readonly resourceId?: string | undefined;
  /** When the database was created, where the cloud has no resource id (`ResourceRef.createdAt`). */
  readonly createdAt?: string | undefined;
}

/**
 * Whether a listed snapshot is one of `target`'s: `of-target`; `not-of-target` (another kind or
 * name, a copy from another region or account, not ours, or of an earlier database of the same
 * name); or `unverifiable`: ours and of that name, but the resource id of the snapshot or of the
 * database was not sent, so it cannot be told to be of this database rather than of an earlier one
 * of that name. It never proves a GO.
 */
export type SnapshotMatch = 'of-target' | 'not-of-target' | 'unverifiable';

/**
 * Where a snapshot listed in `place` says it was copied from, when that is another region or
 * account (RDS `SourceRegion`, the source ARN of a copy): there a database of the same name is
 * another database, and backup-guard never copies, so the copy (our tags and all, with CopyTags) is
 * someone else's. Undefined for a snapshot taken in `place`.
 */
export function copiedFromElsewhere(
  snapshot: Pick<BackendSnapshot, 'sourceRegion' | 'sourceAccount'>,
  place: { readonly account: string; readonly region: string },
): string | undefined {
  if (snapshot.sourceRegion !== undefined && snapshot.sourceRegion !== place.region)
    return `region ${snapshot.sourceRegion}`;
  if (snapshot.sourceAccount !== undefined && snapshot.sourceAccount !== place.account)
    return `account ${snapshot.sourceAccount}`;
  return undefined;
}

/**
 * A snapshot of ours of the target's kind and identifier, not copied from another region or account
 * (where a database of the same name is another database): of this database, or of an earlier one
 * of that name.
 */
export function bearsName(snapshot: BackendSnapshot, target: SnapshotMatchTarget): boolean {
  return (
    snapshot.kind === target.kind &&
    snapshot.target.toLowerCase() === target.id.toLowerCase() &&
    copiedFromElsewhere(snapshot, target) === undefined &&
    isOurs(snapshot.tags)
  );
}

/** {@link SnapshotMatch} of a listed snapshot and a target. */
export function snapshotMatch(snapshot: BackendSnapshot, target: SnapshotMatchTarget): SnapshotMatch {
  if (!bearsName(snapshot, target)) return 'not-of-target';
  const { match } = incarnationOf(snapshot, target);
  return match === 'same' ? 'of-target' : match === 'earlier' ? 'not-of-target' : 'unverifiable';
}

/**
 * Whether a listed snapshot of ours is a snapshot of `target`: of its kind and identifier, not a
 * copy from another region or account, where a database of the same name is another database, and
 * of the database that has that identifier now ({@link snapshotMatch}; an unverifiable one is not).
 */
export function isSnapshotOf(snapshot: BackendSnapshot, target: SnapshotMatchTarget): boolean {
  return snapshotMatch(snapshot, target) === 'of-target';
}

/**
 * Newest first, by creation time; given `retentionDays` (`snapshots.expiryDays`), one the cloud sent
 * none for (RDS, while it is being created) by its `expires-at` tag ({@link askedAt}). Undated last.
 */
export function newestFirst(
  snapshots: readonly BackendSnapshot[],
  retentionDays?: number,
): BackendSnapshot[] {
  const started = (snapshot: BackendSnapshot) => askedAt(snapshot, retentionDays)?.at.getTime() ?? 0;
  return [...snapshots].sort((a, b) => started(b) - started(a));
}

/**
 * When a snapshot of ours was asked for, as far as can be told: its creation time when sent; else,
 * given the retention its `expires-at` tag was written with (`snapshots.expiryDays`: the tag is the
 * ask's time plus that), the tag less that, `estimated`. RDS does not always send a snapshot's
 * creation time (DBSnapshot and DBClusterSnapshot `SnapshotCreateTime`: "Required: No", RDS API
 * reference), and one listed `creating` without it would otherwise be waited for without end.
 * Undefined when neither tells.
 */
export function askedAt(
  snapshot: BackendSnapshot,
  retentionDays?: number,
): { readonly at: Date; readonly estimated: boolean } | undefined {
  if (snapshot.createdAt) return { at: snapshot.createdAt, estimated: false };
  // Read as prune reads it (model.ts expiryOf): a tag prune reads no time in dates nothing.
  const expiry = expiryOf(snapshot.tags[SNAPSHOT_TAGS.expiresAt]);
  if (retentionDays === undefined || !Number.isFinite(expiry)) return undefined;
  return { at: new Date(expiry - retentionDays * DAY_MS), estimated: true };
}

/**
 * How an estimated {@link askedAt} was dated, as words: what readiness says beside the time, so
 * an estimate never reads as a creation time the cloud sent.
 */
export function estimatedBy(retentionDays: number | undefined): string {
  return `its creation time was not sent; dated by its expires-at tag less snapshots.expiryDays ${retentionDays} days`;
}

/**
 * Whether a snapshot could make a readiness GO by its date: dated within the limit; an available
 * one undated (readiness says it cannot judge it). One being created must be dated, by its creation
 * time or its `expires-at` tag ({@link askedAt}, with the retention it was written with), within the
 * limit: one asked for longer ago is stuck, or too old once done, and one nothing dates (no tag, a
 * tag that does not parse, no retention to read it with) could be waited for without end, every
 * request and every readiness run waiting on it ({@link stuckCreating} names both). A copy whose
 * data time cannot be told (`undatedBecause`) never can: readiness cannot date it.
 */
export function couldBeFresh(
  snapshot: BackendSnapshot,
  now: Date,
  maxAgeHours: number,
  retentionDays?: number,
): boolean {
  if (snapshot.createdAt === undefined && snapshot.undatedBecause !== undefined) return false;
  const asked = askedAt(snapshot, snapshot.status === 'creating' ? retentionDays : undefined);
  if (asked === undefined) return snapshot.status !== 'creating';
  return (now.getTime() - asked.at.getTime()) / HOUR_MS <= maxAgeHours;
}

/** The newest snapshot of ours of `target` listed as being created (any request's), fresh or not. */
function newestCreating(
  snapshots: readonly BackendSnapshot[],
  target: SnapshotMatchTarget,
  retentionDays?: number,
): BackendSnapshot | undefined {
  return newestFirst(
    snapshots.filter((snapshot) => snapshot.status === 'creating' && isSnapshotOf(snapshot, target)),
    retentionDays,
  )[0];
}

/**
 * The newest snapshot of ours of `target` still being created (any request's), when it could make a
 * readiness GO once done ({@link couldBeFresh}): readiness says to wait for it, and a snapshot request
 * for the target waits for it instead of taking a second one (functions/actions/snapshot/run.ts).
 * One that started longer ago than the limit would be too old once it finished (or is stuck): waiting
 * for it cannot make a GO, so undefined; so is an undated one whose `expires-at` tag, less
 * `retentionDays` (`snapshots.expiryDays`), dates its ask longer ago ({@link stuckCreating} names it).
 */
export function beingCreated(
  snapshots: readonly BackendSnapshot[],
  target: SnapshotMatchTarget,
  now: Date,
  maxAgeHours: number,
  retentionDays?: number,
): BackendSnapshot | undefined {
  const newest = newestCreating(snapshots, target, retentionDays);
  return newest && couldBeFresh(newest, now, maxAgeHours, retentionDays) ? newest : undefined;
}

/**
 * The newest snapshot of ours of `target` being created that {@link beingCreated} does not wait for
 * because it was asked for longer ago than the limit, or when cannot be told, with a clause saying
 * since when: what readiness names beside its NO-GO, so a stuck snapshot is not left unexplained.
 */
export function stuckCreating(
  snapshots: readonly BackendSnapshot[],
  target: SnapshotMatchTarget,
  now: Date,
  maxAgeHours: number,
  retentionDays?: number,
): string | undefined {
  const newest = newestCreating(snapshots, target, retentionDays);
  if (!newest || couldBeFresh(newest, now, maxAgeHours, retentionDays)) return undefined;
  const asked = askedAt(newest, retentionDays);
  if (!asked) {
    // A copy being made is not stuck: readiness names why it cannot be dated.
    if (newest.undatedBecause !== undefined) return undefined;
    const tag = newest.tags[SNAPSHOT_TAGS.expiresAt];
    const why =
      tag === undefined
        ? 'it has no expires-at tag'
        : retentionDays === undefined
          ? 'snapshots.expiryDays was not given to read its expires-at tag with'
          : `its expires-at tag (${JSON.stringify(tag.slice(0, 40))}) is ${isoTimeProblem(tag)}`;
    return `${newest.id} has been in state creating since a time that cannot be told (its creation time was not sent and ${why}), so it is not waited for: it may be stuck`;
  }
  const how = asked.estimated
    ? `about ${asked.at.toISOString()} (${estimatedBy(retentionDays)})`
    : asked.at.toISOString();
  return `${newest.id} has been in state creating since ${how}, longer than the ${maxAgeHours} h limit: stuck, or too old once done, so it is not waited for`;
}
