/**
 * The prune job: list the manual snapshots of every scope, decide with `planPrune`, and (only when
 * asked) delete. A dry run is the default everywhere: the CLI needs `--apply` to delete.
 */
import type {
  BackendSnapshot,
  DeleteRequested,
  SnapshotPlace,
  SnapshotSharing,
} from '../actions/snapshot/backend.ts';
import { judgeSnapshotKey, type KeyJudgement, snapshotKeyReader } from '../actions/snapshot/keys.ts';
import { pollDelay, SNAPSHOT_TAGS } from '../actions/snapshot/model.ts';
import {
  type PruneDecision,
  planPrune,
  restoreCandidates,
  runRecordsToRead,
  snapshotKeyOf,
} from '../actions/snapshot/prune.ts';
import {
  type Provenance,
  recordsProvenance,
  type SnapshotRunRecords,
} from '../actions/snapshot/run-records.ts';
import { describeError, eachOrAllFail, errorCode } from '../core/errors.ts';
import type { Provider } from '../core/finding.ts';
import { keyMaterialHorizonDays } from '../core/kms-key-states.ts';
import { visibleLine } from '../publish/terminal.ts';
import type { SnapshotJobDependencies } from './snapshot.ts';

export interface PruneRequest {
  /** Delete what may go; false (the default) only reports. */
  readonly apply?: boolean;
}

export interface PruneEntry {
  readonly provider: string;
  readonly account: string;
  readonly region: string;
  readonly snapshotId: string;
  readonly target: string;
  readonly createdAt?: string;
  /**
   * `keep` (kept on purpose), `delete`, `not-attempted`: a delete due but not tried because its
   * database was busy (Cloud SQL runs one operation per instance); not a failure, the next prune
   * deletes it; `gone`: a delete due of a snapshot found no longer there (deleted since the
   * listing, not by this run: RDS DBSnapshotNotFound, Cloud SQL NOT_FOUND), neither kept nor deleted
   * by this run, and not a failure; or `undecided`: a delete due but not tried because a read it
   * rests on failed (who the snapshot is shared with, or the snapshot read again before its delete),
   * so it was not proven safe: not deleted, with `error`, and the run is incomplete (CLI exit code 2).
   */
  readonly decision: PruneDecision['action'] | 'not-attempted' | 'gone' | 'undecided';
  readonly reason: string;
  /** Set when applying: whether the delete went through, or its error. */
  readonly deleted?: boolean;
  /**
   * A delete the cloud accepted but had not finished (a Cloud SQL operation still under way): its
   * operation's name. Neither deleted nor failed: the next prune lists the snapshot again if it stays.
   */
  readonly deleteOperation?: string;
  /**
   * Kept because another account may copy or restore it (a cross-account DR copy source): the
   * accounts it is shared with, in the cloud's words (RDS: account ids, or `all` when public).
   */
  readonly sharedWith?: readonly string[];
  /** With `sharedWith`: the command that unshares it, after which a prune may delete it. */
  readonly unshare?: string;
  /** A failed delete's error, or an `undecided` entry's: the read that failed. */
  readonly error?: { readonly code: string; readonly message: string };
}

export interface PruneResult {
  readonly applied: boolean;
  readonly entries: readonly PruneEntry[];
  readonly kept: number;
  readonly deleted: number;
  /** Deletes due but not attempted, their database busy (decision `not-attempted`); not failures. */
  readonly notAttempted: number;
  /** Deletes due of snapshots found no longer there, deleted since the listing (decision `gone`); not failures. */
  readonly gone: number;
  /**
   * Deletes due but not attempted because a read they rest on failed (decision `undecided`, each
   * with its error): not kept on purpose, not deleted; the run did not do what it was asked.
   */
  readonly undecided: number;
  /** Deletes requested whose operation had not ended (not yet known deleted). */
  readonly requested: number;
  /** Would be deleted (dry run) or failed to delete (apply). */
  readonly pending: number;
  readonly problems: readonly string[];
}

export interface PruneJobDependencies extends Omit<SnapshotJobDependencies, 'runRecords'> {
  /** A line saying what the job waits for (a Cloud SQL delete still running before the next one). */
  readonly onWait?: (message: string) => void;
  /**
   * The run records our snapshot runs wrote: only a snapshot one of them names is deleted. One store
   * for every cloud, or each cloud's own (the AWS entry points write to the DynamoDB table, the GCP
   * functions to their records bucket). Absent for a cloud (no store to read): each of its expired
   * snapshots is kept, saying why, unless the policy sets `snapshots.pruneByTagsAlone`.
   */
  readonly runRecords?: SnapshotRunRecords | { readonly [P in Provider]?: SnapshotRunRecords };
}

/** Why every expired snapshot of `provider` is kept when prune has no run records to read there. */
function noRunRecordStore(provider: Provider): string {
  const where =
    provider === 'gcp'
      ? "snapshots.runRecordsBucket, the GCP deployment's records bucket, or snapshots.idempotencyTable"
      : 'snapshots.idempotencyTable';
  return `no run record store is set (${where}), so no run record of ours can prove it: kept (snapshots.pruneByTagsAlone: true prunes by tags alone)`;
}

export async function runPruneJob(request: PruneRequest, deps: PruneJobDependencies): Promise<PruneResult> {
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const apply = request.apply ?? false;
  // A cloud that cannot be read (no credentials, STS unreachable) does not keep the others from pruning.
  const found = await eachOrAllFail(
    deps.clouds,
    (cloud) => cloud.snapshotPlaces(),
    (cloud, error) => ({
      places: [],
      problems: [`${cloud.provider}: snapshots not listed (${describeError(error)})`],
    }),
  );
  const places: { provider: Provider; place: SnapshotPlace }[] = deps.clouds.flatMap((cloud, index) =>
    (found[index]?.places ?? []).map((place) => ({ provider: cloud.provider, place })),
  );
  const problems = found.flatMap((entry) => entry.problems);
  // The newest snapshot a target keeps must be restorable: each candidate's encryption key is
  // read (each distinct key once in the run) and judged as readiness judges it. The candidates by
  // the tags, read before the run records: planPrune leaves out those no record names.
  const readKey = snapshotKeyReader(deps.clouds);
  const judgeKeys = async (
    snapshots: readonly BackendSnapshot[],
    scope: { readonly provider: Provider; readonly account: string; readonly region: string },
  ): Promise<Map<string, KeyJudgement>> =>
    new Map(
      await Promise.all(
        restoreCandidates(snapshots, scope).map(
          async (snapshot) =>
            [
              snapshotKeyOf(snapshot),
              // The database the snapshot is of: a Cloud SQL run naming no key is judged by its instance's.
              judgeSnapshotKey(await readKey({ ...scope, id: snapshot.target }, snapshot), {
                now: now(),
                horizonDays: keyMaterialHorizonDays(deps.policy),
              }),
            ] as const,
        ),
      ),
    );
  const entries: PruneEntry[] = [];
  /**
   * Cloud SQL runs one operation per instance at a time and refuses another with HTTP 409 while one
   * runs: before the next delete on a database, the delete still under way on it (its entry's index)
   * is waited for, at most snapshots.waitMinutes, and its entry says how it ended. One still running
   * then leaves the next delete not attempted (the next prune lists it again), never failed.
   */
  const settle = async (scope: SnapshotPlace, underWay: UnderWay): Promise<string | undefined> => {
    const { policy } = deps;
    const started = now().getTime();
    const deadline = started + policy.snapshots.waitMinutes * 60_000;
    const entry = entries[underWay.index] as PruneEntry;
    for (;;) {
      let progress: Awaited<ReturnType<NonNullable<SnapshotPlace['backend']['deleteProgress']>>>;
      try {
        progress = (await scope.backend.deleteProgress?.(underWay.requested)) ?? { state: 'done' };
      } catch (error) {
        // Not read: the delete stays requested; the next delete is tried, and refused if it runs.
        deps.onWait?.(
          `${entry.account}/${entry.target}: delete operation ${underWay.requested.operation} of ${entry.snapshotId} not read (${describeError(error)})`,
        );
        return undefined;
      }
      if (progress.state !== 'running') {
        const { deleteOperation: _, ...rest } = entry;
        entries[underWay.index] =
          progress.state === 'done'
            ? { ...rest, deleted: true }
            : {
                ...rest,
                deleted: false,
                error: {
                  code: progress.code,
                  message: `delete operation ${underWay.requested.operation} ended in error: ${progress.message}`,
                },
              };
        return undefined;
      }
      const waited = now().getTime() - started;
      if (now().getTime() >= deadline) return underWay.requested.operation;
      deps.onWait?.(
        `${entry.account}/${entry.target}: waiting for delete operation ${underWay.requested.operation} of ${entry.snapshotId} to end before the next delete (Cloud SQL runs one operation per instance; ${Math.round(waited / 1000)} s of at most ${policy.snapshots.waitMinutes} min)`,
      );
      await sleep(Math.min(deadline - now().getTime(), pollDelay(waited, policy.snapshots)));
    }
  };
  await Promise.all(
    places.map(async ({ provider, place: scope }) => {
      /** The delete still under way on each database of the place (by kind and identifier). */
      const underWay = new Map<string, UnderWay>();
      const listing = await listPlace(scope);
      problems.push(...listing.problems);
      if (listing.snapshots === undefined) return;
      const { snapshots } = listing;
      let keys: Map<string, KeyJudgement>;
      try {
        keys = await judgeKeys(snapshots, { provider, account: scope.account, region: scope.region });
      } catch (error) {
        // The whole place is skipped, not its targets one by one: what may go rests on each target's
        // newest restorable snapshot. The line says what was left undone, not only what failed.
        const left =
          snapshots.length === 1
            ? 'its one snapshot was not judged or deleted'
            : `none of its ${snapshots.length} snapshots was judged or deleted`;
        problems.push(
          `${scope.account}/${scope.region}: snapshot keys not read (${describeError(error)}), so ${left} (older snapshots go only once the newest is proven restorable)`,
        );
        return;
      }
      let provenance: Provenance;
      try {
        provenance = await provenanceOf(deps, provider, scope, runRecordsToRead(snapshots, now(), scope));
      } catch (error) {
        // Nothing proves the expired ones ours: kept, and the run says it could not decide them.
        problems.push(
          `${scope.account}/${scope.region}: run records not read (${describeError(error)}), so its expired snapshots were kept (not proven taken by backup-guard)`,
        );
        provenance = {
          unproven: `its run records were not read (${describeError(error)}), so nothing proves it: kept`,
        };
      }
      for (const decision of planPrune(snapshots, now(), scope, keys, provenance)) {
        const base = {
          provider,
          account: scope.account,
          region: scope.region,
          snapshotId: decision.snapshot.id,
          target: decision.snapshot.target,
          ...(decision.snapshot.createdAt ? { createdAt: decision.snapshot.createdAt.toISOString() } : {}),
          decision: decision.action,
          reason: decision.reason,
        };
        if (decision.action === 'keep') {
          entries.push(base);
          continue;
        }
        // Shared with another account (or public), it may be that account's DR copy source: kept;
        // one whose sharing could not be read is not deleted either, and is undecided, not kept.
        // Dry runs ask too, to say what --apply does.
        if (!apply) {
          const held = await sharedHold(scope, decision.snapshot);
          entries.push(held ? { ...base, ...held } : base);
          continue;
        }
        /** Neither kept on purpose nor failed: its database is busy, so the next prune deletes it. */
        const notAttempted = (busy: string): PruneEntry => ({
          ...base,
          decision: 'not-attempted',
          reason: `${decision.snapshot.target} is ${busy}; the next prune deletes it (${base.reason})`,
        });
        const database = `${decision.snapshot.kind}/${decision.snapshot.target}`;
        const running = underWay.get(database);
        if (running) {
          // Waited for once: after the bound, the other deletes on the database are not attempted.
          const busyWith = running.outwaited ? running.requested.operation : await settle(scope, running);
          if (busyWith === undefined) underWay.delete(database);
          else {
            underWay.set(database, { ...running, outwaited: true });
            entries.push(
              notAttempted(
                `still busy with delete operation ${busyWith} after ${deps.policy.snapshots.waitMinutes} min (Cloud SQL runs one operation per instance)`,
              ),
            );
            continue;
          }
        }
        // RDS and Cloud SQL deletes take no condition on the snapshot's tags (the deployed role's
        // IAM condition covers only the purpose tag, and a CLI profile may have none): the
        // snapshot is read again just before its delete and decided again on what it is now, so
        // one whose expiry was extended or that was taken out of our hands since the listing
        // (which may be many deletes ago) is kept; so is one whose newer restore point is gone.
        // A re-read that fails proves none of that: the delete is not tried (undecided).
        let changed: string | typeof GONE | undefined;
        try {
          changed = await decidedAgain(scope, snapshots, decision, now(), keys, provenance);
        } catch (error) {
          entries.push({
            ...base,
            ...undecided(
              `not read again before its delete, it or the newer snapshot its delete rests on (${errorCode(error)}: ${describeError(error)}): not proven still due: not deleted`,
              error,
            ),
          });
          continue;
        }
        if (changed === GONE) {
          entries.push({ ...base, ...foundGone });
          continue;
        }
        if (changed) {
          entries.push({ ...base, decision: 'keep', reason: `changed since the listing: ${changed}` });
          continue;
        }
        // Who may restore it is read last, with no other call before the delete (no condition
        // of DeleteDBSnapshot can refuse a shared snapshot): one shared since the listing, or
        // while the reads above ran, is kept.
        const held = await sharedHold(scope, decision.snapshot);
        if (held) {
          entries.push({ ...base, ...held });
          continue;
        }
        try {
          const requested = await scope.backend.delete(decision.snapshot);
          if (requested) underWay.set(database, { index: entries.length, requested });
          entries.push(
            requested
              ? { ...base, deleted: false, deleteOperation: requested.operation }
              : { ...base, deleted: true },
          );
        } catch (error) {
          // Deleted by someone else after it was read again (RDS DBSnapshotNotFound, Cloud SQL
          // NOT_FOUND): gone, as asked, not a failed delete. Any other refusal stays a failure.
          if (await goneAfterRefusal(scope, decision.snapshot)) {
            entries.push({ ...base, ...foundGone });
            continue;
          }
          // Refused while another operation runs on the database (Cloud SQL HTTP 409, ABORTED:
          // maintenance, an automated backup): nothing failed, the next prune deletes it.
          if (scope.backend.classify(error) === 'busy') {
            entries.push(
              notAttempted(`busy with another operation (${errorCode(error)}: ${describeError(error)})`),
            );
            continue;
          }
          entries.push({
            ...base,
            deleted: false,
            error: { code: errorCode(error), message: describeError(error) },
          });
        }
      }
    }),
  );
  entries.sort((a, b) =>
    `${a.account}/${a.region}/${a.snapshotId}`.localeCompare(`${b.account}/${b.region}/${b.snapshotId}`),
  );
  return {
    applied: apply,
    entries,
    kept: entries.filter((entry) => entry.decision === 'keep').length,
    deleted: entries.filter((entry) => entry.deleted === true).length,
    notAttempted: entries.filter((entry) => entry.decision === 'not-attempted').length,
    gone: entries.filter((entry) => entry.decision === 'gone').length,
    undecided: entries.filter((entry) => entry.decision === 'undecided').length,
    requested: entries.filter((entry) => entry.deleteOperation !== undefined).length,
    pending: entries.filter(
      (entry) => entry.decision === 'delete' && entry.deleted !== true && entry.deleteOperation === undefined,
    ).length,
    problems,
  };
}

/**
 * What proves the snapshots of a place ours (./run-records.ts): the policy's
 * `snapshots.pruneByTagsAlone`, else the run records of `provider`'s store naming `candidates` (its
 * expired snapshots and candidate restore points: prune.ts runRecordsToRead; none read when there
 * are none), else no store: each is kept, saying why.
 */
async function provenanceOf(
  deps: PruneJobDependencies,
  provider: Provider,
  scope: SnapshotPlace,
  candidates: readonly BackendSnapshot[],
): Promise<Provenance> {
  if (deps.policy.snapshots.pruneByTagsAlone) return { tagsAlone: true };
  const stores = deps.runRecords;
  const store = stores === undefined || 'read' in stores ? stores : stores[provider];
  if (store === undefined) return { unproven: noRunRecordStore(provider) };
  const place = { provider, account: scope.account, region: scope.region };
  const records = candidates.length > 0 ? await store.read(place, candidates) : [];
  return recordsProvenance(records, store.where, place);
}

/**
 * The manual snapshots of a place, and what could not be listed there. A place whose backend lists
 * each target on its own (Cloud SQL backupRuns.list per instance) is listed target by target, as the
 * snapshot action does (SnapshotBackend.listsPerTarget): a target whose listing fails is named and
 * left out, and the others are pruned. That is safe because prune decides per database: a target's
 * newest snapshot, which keeps its older ones, is always in that target's own listing. Any other
 * place is read whole, and its failure is the place's (`snapshots` undefined).
 */
async function listPlace(
  scope: SnapshotPlace,
): Promise<{ snapshots?: BackendSnapshot[]; problems: string[] }> {
  const where = `${scope.account}/${scope.region}`;
  const { backend, targets } = scope;
  if (backend.listsPerTarget !== true || targets === undefined) {
    try {
      return { snapshots: await scope.list(), problems: [] };
    } catch (error) {
      return { problems: [`${where}: snapshots not listed (${describeError(error)})`] };
    }
  }
  const listings = await Promise.all(
    targets.map((target) =>
      backend.listManual(target.kind, [target]).then(
        (snapshots) => ({ snapshots }),
        (error: unknown) => ({
          problem: `${where}: snapshots of ${target.id} not listed (${describeError(error)})`,
        }),
      ),
    ),
  );
  return {
    snapshots: listings.flatMap((listing) => ('snapshots' in listing ? listing.snapshots : [])),
    problems: listings.flatMap((listing) => ('problem' in listing ? [listing.problem] : [])),
  };
}

/** A delete the cloud only started: the index of its entry, and its operation. */
interface UnderWay {
  readonly index: number;
  readonly requested: DeleteRequested;
  /** Still running after the whole wait: not waited for again in this run. */
  readonly outwaited?: boolean;
}

/**
 * A snapshot prune would delete found no longer there (on its read by id, its sharing read or its
 * delete): deleted since the listing, not by this run. Not kept (nothing is), not deleted by us,
 * not failed: what was asked is done, by someone else.
 */
const foundGone = {
  decision: 'gone',
  reason: 'no longer exists: deleted since the listing, not by this prune',
} as const satisfies Pick<PruneEntry, 'decision' | 'reason'>;

/** What {@link decidedAgain} answers for a snapshot its read by id no longer finds (not a reason to keep it). */
const GONE: unique symbol = Symbol('gone');

/**
 * A delete due but not tried because a read it rests on failed: neither kept on purpose nor a failed
 * delete, but a run that did not do what it was asked (CLI exit code 2), with the read's error.
 */
function undecided(reason: string, error: unknown): Pick<PruneEntry, 'decision' | 'reason' | 'error'> {
  return {
    decision: 'undecided',
    reason,
    error: { code: errorCode(error), message: describeError(error) },
  };
}

/**
 * Why a snapshot prune would delete is not deleted for its sharing: kept, shared with another
 * account or public (who, and the command that unshares it); or undecided, who may restore it not
 * read (not proven unshared, with the error). Undefined when its cloud says it is shared with none,
 * or its snapshots cannot be.
 */
async function sharedHold(
  scope: SnapshotPlace,
  snapshot: BackendSnapshot,
): Promise<Pick<PruneEntry, 'decision' | 'reason' | 'sharedWith' | 'unshare' | 'error'> | undefined> {
  if (!scope.backend.sharing) return undefined;
  let sharing: SnapshotSharing;
  try {
    sharing = await scope.backend.sharing(snapshot, scope.region);
  } catch (error) {
    // Deleted by someone else since the listing (DBSnapshotNotFound): gone, as a refused delete is.
    if (await goneAfterRefusal(scope, snapshot)) return foundGone;
    return undecided(
      `who it is shared with was not read (${errorCode(error)}: ${describeError(error)}): not proven unshared: not deleted`,
      error,
    );
  }
  if (sharing.sharedWith.length === 0) return undefined;
  const accounts = sharing.sharedWith.join(', ');
  const one = sharing.sharedWith.length === 1;
  const whom = sharing.isPublic
    ? `public (shared with ${accounts}): any account`
    : `shared with ${one ? 'account' : 'accounts'} ${accounts}: ${one ? 'that account' : 'those accounts'}`;
  return {
    decision: 'keep',
    reason: `${whom} may copy or restore it: kept; to let prune delete it, unshare it first: \`${sharing.unshare}\``,
    sharedWith: sharing.sharedWith,
    unshare: sharing.unshare,
  };
}

/** The snapshot read again by its identifier: its state now, or undefined when it does not exist. */
function readAgain(scope: SnapshotPlace, snapshot: BackendSnapshot): Promise<BackendSnapshot | undefined> {
  const { id, kind, target, ref } = snapshot;
  const requestId = snapshot.tags[SNAPSHOT_TAGS.requestId];
  return scope.backend.describe({ id, kind, target, ref, ...(requestId === undefined ? {} : { requestId }) });
}

/** Whether a snapshot whose delete (or sharing read) was refused is gone now (a read that fails says it is not). */
async function goneAfterRefusal(scope: SnapshotPlace, snapshot: BackendSnapshot): Promise<boolean> {
  try {
    return (await readAgain(scope, snapshot)) === undefined;
  } catch {
    return false;
  }
}

/**
 * Why `decision` (a delete) no longer holds for the snapshot as it is now, or undefined when it
 * still does: the snapshot is read again by its identifier and the listing decided again with it,
 * and so is the newer snapshot of its database that lets it go (its restore point), which may have
 * been deleted or changed since the listing: until the restore point a delete rests on is read as
 * still there, the decision is taken again. {@link GONE} when the snapshot itself is no longer there.
 */
async function decidedAgain(
  scope: SnapshotPlace,
  listed: readonly BackendSnapshot[],
  decision: PruneDecision,
  now: Date,
  keys: ReadonlyMap<string, KeyJudgement>,
  provenance: Provenance,
): Promise<string | typeof GONE | undefined> {
  const fresh = await readAgain(scope, decision.snapshot);
  if (fresh === undefined) return GONE;
  let current = listed.map((snapshot) => (snapshot === decision.snapshot ? fresh : snapshot));
  const readNow = new Set<BackendSnapshot>([fresh]);
  const gone: string[] = [];
  for (;;) {
    const again = planPrune(current, now, scope, keys, provenance).find(
      (candidate) => candidate.snapshot === fresh,
    );
    if (again === undefined) return 'no longer tagged as made by backup-guard';
    const because = gone.length > 0 ? ` (${gone.join(', ')} no longer exists)` : '';
    if (again.action === 'keep') return `${again.reason}${because}`;
    const point = again.restorePoint;
    if (point === undefined || readNow.has(point)) return undefined;
    const pointNow = await readAgain(scope, point);
    if (pointNow === undefined) gone.push(point.id);
    else readNow.add(pointNow);
    current = current.flatMap((snapshot) => (snapshot !== point ? [snapshot] : pointNow ? [pointNow] : []));
  }
}

export function renderPrune(result: PruneResult): string {
  const gone = result.gone
    ? `, ${result.gone} already gone (deleted since the listing, not by this prune)`
    : '';
  const undecided = result.undecided
    ? `, ${result.undecided} undecided (a read it needs failed: not proven safe to delete${result.applied ? ', not deleted' : ''})`
    : '';
  const lines = [
    result.applied
      ? `Pruned: ${result.deleted} deleted, ${result.requested ? `${result.requested} delete requested (not yet confirmed), ` : ''}${result.kept} kept${gone}${result.notAttempted ? `, ${result.notAttempted} not attempted (their database was busy; the next prune deletes them)` : ''}${undecided}${result.pending ? `, ${result.pending} failed` : ''}`
      : `Dry run: ${result.pending} would be deleted, ${result.kept} kept${gone}${undecided} (run with --apply to delete)`,
  ];
  for (const entry of result.entries) {
    const verb = verbOf(entry, result.applied);
    // An undecided entry's reason names the read that failed, with its error.
    const says = entry.deleteOperation
      ? `delete requested (operation ${entry.deleteOperation}), not yet confirmed: ${entry.reason}`
      : entry.decision === 'undecided'
        ? entry.reason
        : (entry.error?.message ?? entry.reason);
    lines.push(`  ${verb} ${entry.account}/${entry.region}/${entry.snapshotId} (${entry.target}): ${says}`);
  }
  for (const problem of result.problems) lines.push(`  not read: ${problem}`);
  // Snapshot ids, targets and API errors are the clouds' words: each line shown, never run.
  return `${lines.map(visibleLine).join('\n')}\n`;
}

/** The word a target line of {@link renderPrune} starts with: what became of the snapshot. */
function verbOf(entry: PruneEntry, applied: boolean): string {
  switch (entry.decision) {
    case 'keep':
      return 'keep  ';
    case 'gone':
      return 'gone  ';
    case 'not-attempted':
      return 'not attempted';
    case 'undecided':
      return 'UNDECIDED';
    case 'delete':
      if (entry.deleted) return 'deleted';
      if (entry.deleteOperation) return 'requested';
      return applied ? 'FAILED' : 'delete';
  }
}
