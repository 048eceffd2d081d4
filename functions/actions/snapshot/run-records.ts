/**
 * Run records: what proves a snapshot is one backup-guard took. Its tags (a Cloud SQL backup run's
 * description) are a claim anyone who may create or tag a snapshot can write; a record our own run
 * wrote, naming the snapshot, its database and where it is, is not. Prune deletes only a snapshot a
 * record names (./prune.ts), so a record must outlive the snapshot's expiry: it is kept
 * {@link RUN_RECORD_MARGIN_DAYS} past it.
 */
import type { BackendSnapshot } from './backend.ts';
import type { SnapshotKind } from './model.ts';

/**
 * Days a run record is kept past the expiry of the snapshot it names: prune runs on its own schedule
 * (or by hand), so an expired snapshot may be listed weeks after its expiry and must still be proven.
 */
export const RUN_RECORD_MARGIN_DAYS = 30;

/**
 * A record our run wrote of a snapshot it took, or of the request's own snapshot it adopted when
 * proven taken by the request (created no earlier than its first acceptance, of the requested
 * database as it is now: ./run.ts recordAdoptions). One adopted without that proof is not recorded,
 * one not verified (a resource id or createTime not sent) included: not written at all rather than
 * written as one to keep, as prune keeps any snapshot no record names, while a record of a new kind
 * would read as proof of ours to a prune that predates it.
 */
export interface SnapshotRunRecord {
  readonly provider: string;
  /** AWS account id, or GCP project. */
  readonly account: string;
  readonly region: string;
  readonly kind: SnapshotKind;
  /** The database's identifier. */
  readonly target: string;
  readonly snapshotId: string;
  /**
   * The snapshot's ARN or Cloud SQL backup run selfLink when the run knew it: Cloud SQL gives each
   * backup run its own number, so a run whose description copies the id of one of ours is another.
   */
  readonly ref?: string | undefined;
}

/** Where prune reads the run records. */
export interface SnapshotRunRecords {
  /** How a reason names the store (`DynamoDB table backup-guard-idempotency`). */
  readonly where: string;
  /** The records naming any of `snapshots` of `place`: one read for the lot. */
  read(
    place: { readonly provider: string; readonly account: string; readonly region: string },
    snapshots: readonly BackendSnapshot[],
  ): Promise<readonly SnapshotRunRecord[]>;
}

/** A store our snapshot runs write a record to for each snapshot they create, and prune reads. */
export interface SnapshotRunRecordStore extends SnapshotRunRecords {
  /** Record `record`, kept at least until `keepUntil` (the snapshot's expiry plus the margin). */
  write(record: SnapshotRunRecord, keepUntil: Date): Promise<void>;
}

/**
 * The records of `stores` read as one (a Cloud SQL backup is recorded by the GCP functions in their
 * records bucket, or by the CLI in the DynamoDB table): what any of them holds. A store that cannot
 * be read fails the read, whatever the others hold: the record it did not give may name another
 * backup run under the same id, which would keep the snapshot. Undefined when there is none.
 */
export function everyRunRecordStore(stores: readonly SnapshotRunRecords[]): SnapshotRunRecords | undefined {
  if (stores.length <= 1) return stores[0];
  return {
    where: stores.map((store) => store.where).join(' or '),
    read: async (place, snapshots) =>
      (await Promise.all(stores.map((store) => store.read(place, snapshots)))).flat(),
  };
}

/** Until when the record of a snapshot expiring at `expiresAt` is kept: {@link RUN_RECORD_MARGIN_DAYS} past it. */
export function runRecordKeepUntil(expiresAt: Date): Date {
  return new Date(expiresAt.getTime() + RUN_RECORD_MARGIN_DAYS * 86_400_000);
}

/**
 * The key of a snapshot among the records of one provider and account: its kind, database and id
 * (any case, as RDS and Cloud SQL compare them). The region is left out: a Cloud SQL place is a whole
 * project (region `*`), whose instance names are unique; an RDS record is matched on its region too.
 */
export function runRecordKey(
  provider: string,
  account: string,
  snapshot: { readonly kind: string; readonly target: string; readonly snapshotId: string },
): string {
  return [provider, account, snapshot.kind, snapshot.target.toLowerCase(), snapshot.snapshotId.toLowerCase()]
    .join('/')
    .toLowerCase();
}

/**
 * What prune knows of who took the snapshots of a place: the run records read there (`records`,
 * by {@link runRecordKey}), none to read (`unproven`: why, ending the reason each is kept), or the
 * policy's `snapshots.pruneByTagsAlone` (`tagsAlone`: the tags are taken as proof, as before run
 * records).
 */
export type Provenance =
  | {
      readonly records: ReadonlyMap<string, SnapshotRunRecord>;
      readonly where: string;
      readonly provider: string;
      readonly region: string;
    }
  | { readonly unproven: string }
  | { readonly tagsAlone: true };

/**
 * Why `snapshot` (of `place`, which prune would delete) is not proven ours by `provenance`, or
 * undefined when a run record of ours names it: the same id, database and place, and the same
 * snapshot when both know its ARN or selfLink.
 */
export function notRecorded(
  snapshot: BackendSnapshot,
  place: { readonly account: string },
  provenance: Provenance,
): string | undefined {
  if ('tagsAlone' in provenance) return undefined;
  const claims = snapshot.kind === 'cloudsql-instance' ? 'its description claims' : 'its tags claim';
  if ('unproven' in provenance) return `${claims} backup-guard took it, but ${provenance.unproven}`;
  const key = runRecordKey(provenance.provider, place.account, { ...snapshot, snapshotId: snapshot.id });
  const record = provenance.records.get(key);
  const inRegion =
    record !== undefined &&
    (provenance.region === '*' || record.region.toLowerCase() === provenance.region.toLowerCase());
  if (record === undefined || !inRegion)
    return `${claims} backup-guard took it, but no run record of ours (${provenance.where}) names it: not proven a snapshot backup-guard took: kept (one taken before run records named snapshots stays too: delete it by hand if it is ours)`;
  if (record.ref !== undefined && snapshot.ref !== undefined && !sameSnapshot(record.ref, snapshot.ref))
    return `a run record of ours names ${record.snapshotId} as ${record.ref}, not this one (${snapshot.ref}): not proven a snapshot backup-guard took: kept`;
  return undefined;
}

/**
 * Whether two ARNs or selfLinks name one snapshot: a Cloud SQL backup run by its number (a selfLink
 * may name another API host or version), anything else as written.
 */
function sameSnapshot(a: string, b: string): boolean {
  const run = (ref: string) => /\/instances\/([^/]+)\/backupRuns\/([^/?#]+)$/.exec(ref)?.slice(1).join('/');
  const [runA, runB] = [run(a), run(b)];
  return runA !== undefined && runB !== undefined ? runA === runB : a === b;
}

/** The records read for a place as a {@link Provenance}. */
export function recordsProvenance(
  records: readonly SnapshotRunRecord[],
  where: string,
  place: { readonly provider: string; readonly account: string; readonly region: string },
): Provenance {
  const byKey = new Map<string, SnapshotRunRecord>();
  for (const record of records) {
    if (record.provider !== place.provider || record.account !== place.account) continue;
    byKey.set(runRecordKey(record.provider, record.account, record), record);
  }
  return { records: byKey, where, provider: place.provider, region: place.region };
}
