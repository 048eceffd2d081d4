/**
 * Which pre-maintenance snapshots may go. Only snapshots this tool created (by tag), only past their
 * expiry, and never one created at or after the newest successful snapshot of ours of the same
 * target (that one is the restore point the next maintenance relies on). Pure: the prune job lists
 * and deletes.
 */
import type { BackendSnapshot } from './backend.ts';
import { copiedFromElsewhere } from './identity.ts';
import { isOurs, SNAPSHOT_TAGS } from './model.ts';

export interface PruneDecision {
  readonly snapshot: BackendSnapshot;
  readonly action: 'delete' | 'keep';
  readonly reason: string;
}

/**
 * An ISO 8601 date-time with a zone, as `snapshotTags` writes it (`Date.toISOString`). Date.parse
 * alone accepts far more ("2020", "x 2020", "5" read as May 2001), so a hand-edited or truncated
 * tag could read as long expired and get the snapshot deleted.
 */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** The expiry a tag value names, or NaN when it is absent or not an ISO 8601 time. */
function expiryOf(value: string | undefined): number {
  return value !== undefined && ISO_TIME.test(value) ? Date.parse(value) : Number.NaN;
}

/**
 * The decisions on the snapshots of ours listed in `place` (one account x region, or project). A
 * copy from another region or account (our tags copied with it) is kept and is not the newest of
 * the target of its name here: it is of another database, and backup-guard never copies.
 */
export function planPrune(
  snapshots: readonly BackendSnapshot[],
  now: Date,
  place: { readonly account: string; readonly region: string },
): PruneDecision[] {
  const ours = snapshots.filter((snapshot) => isOurs(snapshot.tags));
  const newestSuccess = new Map<string, number>();
  for (const snapshot of ours) {
    if (snapshot.status !== 'available' || !snapshot.createdAt) continue;
    if (copiedFromElsewhere(snapshot, place) !== undefined) continue;
    const key = `${snapshot.kind}/${snapshot.target.toLowerCase()}`;
    newestSuccess.set(key, Math.max(newestSuccess.get(key) ?? 0, snapshot.createdAt.getTime()));
  }
  return ours.map((snapshot): PruneDecision => {
    const keep = (reason: string): PruneDecision => ({ snapshot, action: 'keep', reason });
    const source = copiedFromElsewhere(snapshot, place);
    if (source !== undefined)
      return keep(`a copy from ${source}, not a snapshot backup-guard took here: kept`);
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
    const newest = newestSuccess.get(`${snapshot.kind}/${snapshot.target.toLowerCase()}`);
    if (newest !== undefined && (snapshot.createdAt?.getTime() ?? Number.POSITIVE_INFINITY) >= newest) {
      return keep(`newest successful snapshot of ${snapshot.target}`);
    }
    if (newest === undefined && snapshot.status === 'available') {
      return keep(`only successful snapshot of ${snapshot.target}`);
    }
    return { snapshot, action: 'delete', reason: `expired ${new Date(expiry).toISOString()}` };
  });
}
