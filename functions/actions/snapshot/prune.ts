/**
 * Which pre-maintenance snapshots may go. Only snapshots this tool created (by tag), only past their
 * expiry, and never one created at or after the newest successful snapshot of ours of the same
 * database (that one is the restore point the next maintenance relies on; a database deleted and
 * created again under its identifier is another one, whose snapshots keep their own newest, and a
 * successful snapshot nothing tells the database of (an RDS snapshot whose resource id was not
 * sent, a backup run of a Cloud SQL instance listed without its createTime) is kept:
 * incarnationNotTold; with run records read, "ours" is what a record names: byRunRecords). Pure:
 * the prune job lists and deletes.
 */
import { shellWord } from '../../core/shell-word.ts';
import { isoTimeProblem } from '../../core/time.ts';
import type { BackendSnapshot } from './backend.ts';
import {
  copiedFromElsewhere,
  createTimeCommand,
  createTimeNotSent,
  type DatabaseIncarnation,
  incarnationOf,
  RESOURCE_ID_FIELD,
} from './identity.ts';
import type { KeyJudgement } from './keys.ts';
import { expiryOf, isOurs, SNAPSHOT_ID_PREFIX, SNAPSHOT_TAGS } from './model.ts';
import { notRecorded, type Provenance } from './run-records.ts';

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
 * Why a snapshot carrying our tags is not one backup-guard took in `place`, as the reason it is kept,
 * or undefined when it is: a copy from another region or account (CopyTags copies our tags), or a
 * name backup-guard never gives (every snapshot it takes is named {@link SNAPSHOT_ID_PREFIX}-*, and
 * its IAM allows no other name): a copy made in the same region, or a snapshot someone tagged as
 * ours.
 *
 * Our tags are a claim, not a proof: on Cloud SQL they are a backup run's description, free text
 * anyone who may create a backup writes (or copies from one of ours); on RDS anyone granted
 * AddTagsToResource on a snapshot named certctl-premaint-* can set them. What the claim cannot
 * fake is what the cloud records itself, so a claim that contradicts it is not proven ours:
 * - created at or after the expiry it claims: backup-guard writes an expiry `snapshots.expiryDays`
 *   after the request, before it creates the snapshot, and the cloud sets the creation time
 *   (RDS SnapshotCreateTime, Cloud SQL startTime/enqueuedTime), which no one can set back;
 * - an id that another snapshot of the same database carries too (`carriers`): backup-guard gives
 *   each snapshot its own (model.ts snapshotIdentifier, `-a<n>` for each later attempt), and RDS
 *   refuses a second of one name, so two Cloud SQL runs carrying one id are at most one of ours and
 *   a copy, and neither is told to be the copy.
 */
function notTakenHere(
  snapshot: BackendSnapshot,
  place: { readonly account: string; readonly region: string },
  carriers: ReadonlyMap<string, number>,
): string | undefined {
  const source = copiedFromElsewhere(snapshot, place);
  if (source !== undefined) return `a copy from ${source}: not a snapshot backup-guard took here: kept`;
  if (!snapshot.id.toLowerCase().startsWith(`${SNAPSHOT_ID_PREFIX}-`))
    return `named ${snapshot.id}, not ${SNAPSHOT_ID_PREFIX}-*: not a snapshot backup-guard took here: kept`;
  const unproven = ': not proven a snapshot backup-guard took: kept';
  const claims = snapshot.kind === 'cloudsql-instance' ? 'its description claims' : 'its tags claim';
  const expiry = expiryOf(snapshot.tags[SNAPSHOT_TAGS.expiresAt]);
  const createdAt = snapshot.createdAt?.getTime();
  if (createdAt !== undefined && Number.isFinite(expiry) && createdAt >= expiry)
    return `created ${new Date(createdAt).toISOString()}, at or after the expiry ${claims} (${new Date(expiry).toISOString()}), which backup-guard never writes${unproven}`;
  const carried = carriers.get(carrierKey(snapshot)) ?? 0;
  if (carried > 1)
    return `its id is carried by ${carried} ${snapshot.kind === 'cloudsql-instance' ? 'backup runs' : 'snapshots'} of ${snapshot.target}, and backup-guard gives each one its own${unproven}`;
  return undefined;
}

/** One key per snapshot id of a database (kind and identifier), case as RDS and Cloud SQL compare them. */
function carrierKey(snapshot: BackendSnapshot): string {
  return `${snapshot.kind}/${snapshot.target.toLowerCase()}/${snapshot.id.toLowerCase()}`;
}

/** How many of `snapshots` carry each id of a database ({@link carrierKey}). */
function carriersOf(snapshots: readonly BackendSnapshot[]): Map<string, number> {
  const carriers = new Map<string, number>();
  for (const snapshot of snapshots)
    carriers.set(carrierKey(snapshot), (carriers.get(carrierKey(snapshot)) ?? 0) + 1);
  return carriers;
}

/**
 * The database a snapshot of ours is of, as prune groups them: its kind and identifier and, when the
 * cloud sent it, the immutable id of the database (RDS `DbiResourceId`, `DbClusterResourceId`): a
 * database deleted and created again under its identifier is another database, and the snapshots of
 * the deleted one may be all that is left of it. Snapshots whose id was not sent are one group of
 * their own, so one of them never outdates a snapshot of a known database, nor the reverse; within
 * that group nothing says one database, so none of its successful ones goes for a newer one
 * ({@link incarnationNotTold}).
 */
function databaseKey(snapshot: BackendSnapshot): string {
  return `${snapshot.kind}/${snapshot.target.toLowerCase()}/${snapshot.sourceResourceId ?? ''}`;
}

/** The database `snapshot` bears the name of among those `place` lists (Cloud SQL instances), if listed. */
function listedDatabase(snapshot: BackendSnapshot, place: PrunePlace): DatabaseIncarnation | undefined {
  return place.targets?.find(
    (target) => target.kind === snapshot.kind && target.id.toLowerCase() === snapshot.target.toLowerCase(),
  );
}

/**
 * Why a snapshot of a database the cloud gives no resource id (a Cloud SQL backup run, which names
 * its instance only by its name) is of an earlier database of that name, as the reason it is kept,
 * or undefined when it is not known to be: one taken before the instance of its name in `place`
 * was created (its `createTime`; identity.ts incarnationOf). The name "can be reused immediately",
 * and nothing tells the runs of one earlier instance from another's, so any of them may be the
 * last restore point of its instance: none goes. An instance whose createTime was not sent tells
 * nothing here: {@link incarnationNotTold} keeps its runs. (RDS snapshots name their database's
 * resource id, and each database keeps its own newest: {@link databaseKey}; one whose id was not
 * sent is kept by {@link incarnationNotTold}.)
 */
function ofEarlierInstance(snapshot: BackendSnapshot, place: PrunePlace): string | undefined {
  if (RESOURCE_ID_FIELD[snapshot.kind] !== undefined) return undefined;
  const database = listedDatabase(snapshot, place);
  if (database === undefined) return undefined;
  const incarnation = incarnationOf(snapshot, database);
  if (incarnation.match !== 'earlier') return undefined;
  return `${incarnation.reason}; nothing tells the backups of one earlier instance from another's (Cloud SQL names an instance only by its name), so it may be that instance's last restore point: kept (delete it by hand once its data is not needed)`;
}

/**
 * Why a successful snapshot is kept, though a newer one of its name would let it go, when nothing
 * tells which database of that name it is of, or undefined when something does (and for a failed
 * one, no restore point of any database). A name can be given again once its database is deleted,
 * and the newer snapshot that would let this one go may then be of another database, this one the
 * last restore point of its own: a value the API did not send is not evaluated, so none goes.
 * - RDS and Aurora: the snapshot's `DbiResourceId` / `DbClusterResourceId` was not sent (not always
 *   sent: "Required: No", DBSnapshot and DBClusterSnapshot in the RDS API reference). Such snapshots
 *   are one group of their name ({@link databaseKey}), so the newer one is of an unknown database
 *   too. One whose id was sent is grouped with its own database's: undefined.
 * - Cloud SQL (a backup run names its instance only by its name): its instance was listed without
 *   its `createTime` ("Output only", not always sent; identity.ts incarnationOf `unknown`), or not
 *   listed in `place` at all, so every run of the name may be of one instance or of several (the
 *   name "can be reused immediately"). Undefined when its instance's createTime was sent
 *   ({@link ofEarlierInstance} keeps the runs taken before it).
 * The reason names what was not sent and the command that shows it; the next prune decides again.
 */
function incarnationNotTold(snapshot: BackendSnapshot, place: PrunePlace): string | undefined {
  if (snapshot.status !== 'available') return undefined;
  const field = RESOURCE_ID_FIELD[snapshot.kind];
  if (field !== undefined) return resourceIdNotSent(snapshot, field, place);
  const database = listedDatabase(snapshot, place);
  if (database !== undefined && incarnationOf(snapshot, database).match !== 'unknown') return undefined;
  const listed =
    database === undefined
      ? `no instance named ${snapshot.target} was listed with it`
      : createTimeNotSent({ id: snapshot.target, createdAt: database.createdAt });
  const describe = createTimeCommand(snapshot.target, place.account);
  return `${listed}, so this backup run cannot be told to be of that instance rather than of an earlier one of that name, whose last restore point it may be; only a newer backup run of that name would let it go, and that may be of another instance: kept (see when the instance was created with \`${describe}\`: a run taken before then is of an earlier instance, to delete by hand once its data is not needed; the next prune decides again once createTime is sent)`;
}

/**
 * {@link incarnationNotTold} of an RDS or Aurora snapshot (`field` its kind's resource id field):
 * the reason, naming the answer that did not send it and the AWS CLI command that lists each
 * snapshot of the name with its resource id; undefined when the id was sent.
 */
function resourceIdNotSent(snapshot: BackendSnapshot, field: string, place: PrunePlace): string | undefined {
  if (snapshot.sourceResourceId !== undefined) return undefined;
  const cluster = snapshot.kind === 'aurora-cluster';
  const operation = cluster ? 'DescribeDBClusterSnapshots' : 'DescribeDBSnapshots';
  const list = cluster
    ? `aws rds describe-db-cluster-snapshots --region ${shellWord(place.region)} --db-cluster-identifier ${shellWord(snapshot.target)} --snapshot-type manual --query 'DBClusterSnapshots[].[DBClusterSnapshotIdentifier,DbClusterResourceId,SnapshotCreateTime]' --output text`
    : `aws rds describe-db-snapshots --region ${shellWord(place.region)} --db-instance-identifier ${shellWord(snapshot.target)} --snapshot-type manual --query 'DBSnapshots[].[DBSnapshotIdentifier,DbiResourceId,SnapshotCreateTime]' --output text`;
  return `its ${field} was not sent (${operation}), so this snapshot cannot be told to be of the database named ${snapshot.target} now rather than of an earlier one of that name (deleted and created again under it), whose last restore point it may be; only a newer snapshot of that name would let it go, and that may be of another database: kept (see which database each snapshot of ${snapshot.target} was taken of with \`${list}\`: a snapshot is outdated only by a newer one of the same ${field}; the next prune decides again once ${field} is sent)`;
}

/**
 * Where prune decides: one account x region, or project, and, where the place lists its databases
 * one by one (Cloud SQL), those databases as listed now (functions/actions/snapshot/backend.ts
 * SnapshotPlace.targets).
 */
export interface PrunePlace {
  readonly account: string;
  readonly region: string;
  readonly targets?: readonly DatabaseIncarnation[] | undefined;
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
 * taken in `place`, by the tags, the candidates for the newest (restorable) one of their target.
 * {@link byRunRecords} then leaves out those no run record of ours names.
 */
export function restoreCandidates(
  snapshots: readonly BackendSnapshot[],
  place: { readonly account: string; readonly region: string },
): BackendSnapshot[] {
  const carriers = carriersOf(snapshots.filter((snapshot) => isOurs(snapshot.tags)));
  return snapshots.filter(
    (snapshot) =>
      isOurs(snapshot.tags) &&
      snapshot.status === 'available' &&
      snapshot.createdAt !== undefined &&
      notTakenHere(snapshot, place, carriers) === undefined,
  );
}

/**
 * {@link restoreCandidates} (`candidates`) split by the run records of `provenance`: with records
 * read, only those a record names are candidates (`recorded`): a snapshot no record of ours names
 * may carry our tags without being ours (a forged tag, one taken outside backup-guard), so nothing
 * proves it ours or restorable, and it must not be the restore point that lets ours go
 * (`unrecorded`). Without records (none read, or `snapshots.pruneByTagsAlone`) the tags decide, as
 * they decide the rest: every candidate is `recorded`.
 */
function byRunRecords(
  candidates: readonly BackendSnapshot[],
  place: { readonly account: string; readonly region: string },
  provenance: Provenance,
): { readonly recorded: readonly BackendSnapshot[]; readonly unrecorded: ReadonlySet<BackendSnapshot> } {
  if (!('records' in provenance)) return { recorded: candidates, unrecorded: new Set() };
  const recorded: BackendSnapshot[] = [];
  const unrecorded = new Set<BackendSnapshot>();
  for (const snapshot of candidates) {
    if (notRecorded(snapshot, place, provenance) === undefined) recorded.push(snapshot);
    else unrecorded.add(snapshot);
  }
  return { recorded, unrecorded };
}

/**
 * The snapshots of `snapshots` prune asks the run records about (one read per place): every
 * candidate restore point ({@link restoreCandidates} by the tags), as only a recorded one lets an
 * older snapshot go, and every expired snapshot of ours taken in `place`, the only ones a record
 * may let go. Each snapshot a decision rests on is asked about, so a snapshot no record names is one
 * the store has no record of, never one prune did not ask about.
 */
export function runRecordsToRead(
  snapshots: readonly BackendSnapshot[],
  now: Date,
  place: { readonly account: string; readonly region: string },
): BackendSnapshot[] {
  const ours = snapshots.filter((snapshot) => isOurs(snapshot.tags));
  const carriers = carriersOf(ours);
  const candidates = new Set(restoreCandidates(ours, place));
  return ours.filter((snapshot) => {
    if (candidates.has(snapshot)) return true;
    const expiry = expiryOf(snapshot.tags[SNAPSHOT_TAGS.expiresAt]);
    return (
      Number.isFinite(expiry) &&
      expiry <= now.getTime() &&
      notTakenHere(snapshot, place, carriers) === undefined
    );
  });
}

/**
 * How a reason on `snapshot` names the snapshots of its database newer than it that carry our tags
 * but that no run record of ours names (`unrecorded`, the restore candidates left out by the
 * records), or undefined when there are none: why a newer one is not its restore point.
 */
function unrecordedNewer(
  snapshot: BackendSnapshot,
  unrecorded: ReadonlySet<BackendSnapshot>,
  provenance: Provenance,
): string | undefined {
  if (!('records' in provenance)) return undefined;
  const at = snapshot.createdAt?.getTime();
  const newer = [...unrecorded]
    .filter(
      (other) =>
        databaseKey(other) === databaseKey(snapshot) &&
        at !== undefined &&
        (other.createdAt?.getTime() ?? 0) > at,
    )
    .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
  const newest = newer[0];
  if (newest === undefined) return undefined;
  const cloudSql = newest.kind === 'cloudsql-instance';
  if (newer.length === 1)
    return `newer ${newest.id}: ${cloudSql ? 'its description claims' : 'its tags claim'} backup-guard took it, but no run record of ours (${provenance.where}) names it: not counted as a restore point`;
  return `${newer.length} newer ones, the newest ${newest.id}: ${cloudSql ? 'their descriptions claim' : 'their tags claim'} backup-guard took them, but no run record of ours (${provenance.where}) names them: not counted as restore points`;
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
 *
 * `provenance` decides last, over what every other rule would delete: only a snapshot a run record
 * of ours names goes (./run-records.ts notRecorded); with none given, the tags alone decide (the
 * job always gives one: {@link runRecordsToRead} are what it reads the records of). The records
 * decide first which snapshots may be a restore point ({@link byRunRecords}): one no record
 * names is kept for that, and never lets an older one go.
 */
export function planPrune(
  snapshots: readonly BackendSnapshot[],
  now: Date,
  place: PrunePlace,
  keys?: ReadonlyMap<string, KeyJudgement>,
  provenance: Provenance = { tagsAlone: true },
): PruneDecision[] {
  const ours = snapshots.filter((snapshot) => isOurs(snapshot.tags));
  const carriers = carriersOf(ours);
  const newestSuccess = new Map<string, number>();
  const newestRestorable = new Map<string, number>();
  const restorePoint = new Map<string, BackendSnapshot>();
  /** Each target's newest successful snapshot and what its key was judged to be. */
  const newestKey = new Map<string, string>();
  /** Candidates by the tags that no run record of ours names: never a restore point (byRunRecords). */
  const { recorded, unrecorded: unrecordedCandidates } = byRunRecords(
    restoreCandidates(ours, place),
    place,
    provenance,
  );
  for (const snapshot of recorded) {
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
    const foreign = notTakenHere(snapshot, place, carriers);
    if (foreign !== undefined) return keep(foreign);
    const tag = snapshot.tags[SNAPSHOT_TAGS.expiresAt];
    const expiry = expiryOf(tag);
    if (tag === undefined) return keep('no expires-at tag: kept');
    if (!Number.isFinite(expiry))
      return keep(
        `malformed expires-at tag ${JSON.stringify(tag.slice(0, 64))} (${isoTimeProblem(tag)}): kept`,
      );
    if (expiry > now.getTime()) return keep(`expires ${new Date(expiry).toISOString()}`);
    if (snapshot.status !== 'available' && snapshot.status !== 'failed')
      return keep(`state ${snapshot.status}`);
    // Failed only because its status was not sent or is not known: it may be a usable snapshot.
    if (snapshot.status === 'failed' && snapshot.statusNotKnown !== undefined)
      return keep(`status ${snapshot.statusNotKnown} (not known to be failed): kept`);
    // One no record names is never a restore point, so never the newest of its database: what
    // keeps it is that nothing proves it ours.
    const unproven = unrecordedCandidates.has(snapshot)
      ? notRecorded(snapshot, place, provenance)
      : undefined;
    if (unproven !== undefined) return keep(unproven);
    const earlier = ofEarlierInstance(snapshot, place);
    if (earlier !== undefined) return keep(earlier);
    const target = databaseKey(snapshot);
    const name = nameOf(snapshot);
    // The newer snapshots tagged as ours that no record names, when the rules below keep this one
    // for being the newest (restorable) one: said, as by the tags alone it would have gone.
    const newerUnrecorded = unrecordedNewer(snapshot, unrecordedCandidates, provenance);
    const recordedOnly = newerUnrecorded === undefined ? '' : ' that a run record of ours names';
    const because = newerUnrecorded === undefined ? '' : ` (${newerUnrecorded})`;
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
          ? `newest successful snapshot of ${name}${recordedOnly}${because}`
          : `state ${snapshot.status}, newer than the newest successful snapshot of ${name}${recordedOnly}${because}`,
      );
    }
    if (newest === undefined && snapshot.status === 'available') {
      return keep(`only successful snapshot of ${name}`);
    }
    const restorable = newestRestorable.get(target);
    if (newest !== undefined && restorable === undefined)
      return keep(
        `no snapshot of ${name}${recordedOnly} is proven restorable by its encryption key (newest ${newestKey.get(target)}${newerUnrecorded === undefined ? '' : `; ${newerUnrecorded}`})`,
      );
    if (restorable !== undefined && createdAt >= restorable)
      return keep(
        `newest restorable snapshot of ${name}${recordedOnly} (newest ${newestKey.get(target)}${newerUnrecorded === undefined ? '' : `; ${newerUnrecorded}`})`,
      );
    // Every rule above lets it go only because a newer snapshot of its name is restorable: where
    // that newer one may be of another database of the name (a resource id or createTime not
    // sent), it is kept.
    const notTold = incarnationNotTold(snapshot, place);
    if (notTold !== undefined) return keep(notTold);
    // Every rule of the tags met: a careful forger meets them all (a unique id, an expiry just
    // after the snapshot's creation), so only our own run record proves the snapshot ours.
    const unrecorded = notRecorded(snapshot, place, provenance);
    if (unrecorded !== undefined) return keep(unrecorded);
    return {
      snapshot,
      action: 'delete',
      reason: `expired ${new Date(expiry).toISOString()}`,
      ...(restorePoint.has(target) ? { restorePoint: restorePoint.get(target) } : {}),
    };
  });
}
