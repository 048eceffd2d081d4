/**
 * Which pre-maintenance snapshots may go. Only snapshots this tool created (by tag), only past their
 * expiry, and never one created at or after the newest successful snapshot of ours of the same
 * database (that one is the restore point the next maintenance relies on; a database deleted and
 * created again under its identifier is another one, whose snapshots keep their own newest). Pure:
 * the prune job lists and deletes.
 */
import type { BackendSnapshot } from './backend.ts';
import { copiedFromElsewhere, RESOURCE_ID_FIELD } from './identity.ts';
import type { KeyJudgement } from './keys.ts';
import { expiryOf, isOurs, SNAPSHOT_ID_PREFIX, SNAPSHOT_TAGS } from './model.ts';

export interface PruneDecision {
  readonly snapshot: BackendSnapshot;
  readonly action: 'delete' | 'keep';
  readonly reason: string;
  /**
   * Of a delete: the newest restorable snapshot of the same database, newer than it, whose being
   * there lets it go (the prune job reads it again before the delete).
   */
  readonly restorePoint?: BackendSnapshot;
}

/** Key of a snapshot in the judgements of its encryption key given to {@link planPrune}. */
export function snapshotKeyOf(snapshot: Pick<BackendSnapshot, 'kind' | 'id'>): string {
  return `${snapshot.kind}/${snapshot.id.toLowerCase()}`;
}

/**
 * Why a snapshot carrying our tags is not one backup-guard took in `place`, or undefined when it
 * is: a copy from another region or account (CopyTags copies our tags), or a name backup-guard
 * never gives (every snapshot it takes is named {@link SNAPSHOT_ID_PREFIX}-*, and its IAM allows
 * no other name): a copy made in the same region, or a snapshot someone tagged as ours.
 */
function notTakenHere(
  snapshot: BackendSnapshot,
  place: { readonly account: string; readonly region: string },
): string | undefined {
  const source = copiedFromElsewhere(snapshot, place);
  if (source !== undefined) return `a copy from ${source}`;
  if (!snapshot.id.toLowerCase().startsWith(`${SNAPSHOT_ID_PREFIX}-`))
    return `named ${snapshot.id}, not ${SNAPSHOT_ID_PREFIX}-*`;
  return undefined;
}

/**
 * The database a snapshot of ours is of, as prune groups them: its kind and identifier and, when the
 * cloud sent it, the immutable id of the database (RDS `DbiResourceId`, `DbClusterResourceId`): a
 * database deleted and created again under its identifier is another database, and the snapshots of
 * the deleted one may be all that is left of it. Snapshots whose id was not sent are one group of
 * their own, so one of them never outdates a snapshot of a known database, nor the reverse.
 */
function databaseKey(snapshot: BackendSnapshot): string {
  return `${snapshot.kind}/${snapshot.target.toLowerCase()}/${snapshot.sourceResourceId ?? ''}`;
}

/**
 * How a reason names the database of a snapshot: its identifier, and its resource id when `ours`
 * holds snapshots of that identifier of more than one database (`certctl-prod (DbiResourceId db-ABC)`).
 */
function databaseNamer(ours: readonly BackendSnapshot[]): (snapshot: BackendSnapshot) => string {
  const databases = new Map<string, Set<string>>();
  for (const snapshot of ours) {
    const name = `${snapshot.kind}/${snapshot.target.toLowerCase()}`;
    databases.set(name, (databases.get(name) ?? new Set()).add(databaseKey(snapshot)));
  }
  return (snapshot) => {
    const id = snapshot.sourceResourceId;
    const shared = (databases.get(`${snapshot.kind}/${snapshot.target.toLowerCase()}`)?.size ?? 0) > 1;
    if (!shared) return snapshot.target;
    const field = RESOURCE_ID_FIELD[snapshot.kind] ?? 'resource id';
    return id === undefined
      ? `${snapshot.target} (${field} not sent)`
      : `${snapshot.target} (${field} ${id})`;
  };
}

/**
 * The snapshots whose encryption key decides what may go: the successful, dated snapshots of ours
 * taken in `place`, the candidates for the newest (restorable) one of their target.
 */
export function restoreCandidates(
  snapshots: readonly BackendSnapshot[],
  place: { readonly account: string; readonly region: string },
): BackendSnapshot[] {
  return snapshots.filter(
    (snapshot) =>
      isOurs(snapshot.tags) &&
      snapshot.status === 'available' &&
      snapshot.createdAt !== undefined &&
      notTakenHere(snapshot, place) === undefined,
  );
}

/**
 * The decisions on the snapshots of ours listed in `place` (one account x region, or project). One
 * backup-guard did not take there (a copy, another name: see notTakenHere) is kept and is never
 * the newest of the target of its name.
 *
 * `keys`, when given, judges the encryption key of each of the {@link restoreCandidates} (by
 * {@link snapshotKeyOf}): only a snapshot whose key is judged usable is restorable, and only
 * snapshots older than a target's newest restorable one may go, so a newest snapshot whose key is
 * pending deletion (or could not be read) never leaves the target without a restorable one.
 */
export function planPrune(
  snapshots: readonly BackendSnapshot[],
  now: Date,
  place: { readonly account: string; readonly region: string },
  keys?: ReadonlyMap<string, KeyJudgement>,
): PruneDecision[] {
  const ours = snapshots.filter((snapshot) => isOurs(snapshot.tags));
  const newestSuccess = new Map<string, number>();
  const newestRestorable = new Map<string, number>();
  const restorePoint = new Map<string, BackendSnapshot>();
  /** Each target's newest successful snapshot and what its key was judged to be. */
  const newestKey = new Map<string, string>();
  for (const snapshot of restoreCandidates(ours, place)) {
    const key = databaseKey(snapshot);
    const at = snapshot.createdAt?.getTime() ?? 0;
    const judged = keys?.get(snapshotKeyOf(snapshot));
    if (at >= (newestSuccess.get(key) ?? 0))
      newestKey.set(key, `${snapshot.id}: ${judged?.evidence ?? 'its key was not judged'}`);
    newestSuccess.set(key, Math.max(newestSuccess.get(key) ?? 0, at));
    if ((keys === undefined || judged?.status === 'usable') && at >= (newestRestorable.get(key) ?? 0)) {
      newestRestorable.set(key, at);
      restorePoint.set(key, snapshot);
    }
  }
  const nameOf = databaseNamer(ours);
  return ours.map((snapshot): PruneDecision => {
    const keep = (reason: string): PruneDecision => ({ snapshot, action: 'keep', reason });
    const foreign = notTakenHere(snapshot, place);
    if (foreign !== undefined) return keep(`${foreign}: not a snapshot backup-guard took here: kept`);
    const tag = snapshot.tags[SNAPSHOT_TAGS.expiresAt];
    const expiry = expiryOf(tag);
    if (tag === undefined) return keep('no expires-at tag: kept');
    if (!Number.isFinite(expiry))
      return keep(
        `malformed expires-at tag ${JSON.stringify(tag.slice(0, 64))} (not an ISO 8601 time): kept`,
      );
    if (expiry > now.getTime()) return keep(`expires ${new Date(expiry).toISOString()}`);
    if (snapshot.status !== 'available' && snapshot.status !== 'failed')
      return keep(`state ${snapshot.status}`);
    // Failed only because its status was not sent or is not known: it may be a usable snapshot.
    if (snapshot.status === 'failed' && snapshot.statusNotKnown !== undefined)
      return keep(`status ${snapshot.statusNotKnown} (not known to be failed): kept`);
    const target = databaseKey(snapshot);
    const name = nameOf(snapshot);
    const createdAt = snapshot.createdAt?.getTime() ?? Number.POSITIVE_INFINITY;
    const newest = newestSuccess.get(target);
    // Not dated, it is not known to be older than the newest successful one: kept, never called newer.
    if (snapshot.createdAt === undefined && newest !== undefined)
      return keep(
        `state ${snapshot.status}, its creation time not sent: not known to be older than the newest successful snapshot of ${name}: kept`,
      );
    if (newest !== undefined && createdAt >= newest) {
      // A failed one newer than the newest successful one is kept as before, never called it.
      return keep(
        snapshot.status === 'available'
          ? `newest successful snapshot of ${name}`
          : `state ${snapshot.status}, newer than the newest successful snapshot of ${name}`,
      );
    }
    if (newest === undefined && snapshot.status === 'available') {
      return keep(`only successful snapshot of ${name}`);
    }
    const restorable = newestRestorable.get(target);
    if (newest !== undefined && restorable === undefined)
      return keep(
        `no snapshot of ${name} is proven restorable by its encryption key (newest ${newestKey.get(target)})`,
      );
    if (restorable !== undefined && createdAt >= restorable)
      return keep(`newest restorable snapshot of ${name} (newest ${newestKey.get(target)})`);
    return {
      snapshot,
      action: 'delete',
      reason: `expired ${new Date(expiry).toISOString()}`,
      ...(restorePoint.has(target) ? { restorePoint: restorePoint.get(target) } : {}),
    };
  });
}
