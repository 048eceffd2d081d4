/**
 * The snapshot job once per request, the rule every entry point that remembers results follows (the
 * CLI and the `snapshot` Lambda with the idempotency table, chat with its once-per-request stores):
 *
 * - the first run of a request id is remembered, and a duplicate accepted before it finished (a
 *   Slack retry, a double click, a second delivery of an asynchronous invocation) gets that result;
 * - when the remembered result left a target that a later run could still deliver
 *   ({@link retriesLater}: a snapshot that ended failed with attempts left, a database busy until
 *   the deadline, a snapshot still creating then, the quota, an API error, a scope not read), the
 *   same request accepted after it finished is asked again: it runs once more under a key derived
 *   from that result ({@link retryKeyOf}), so it takes the next attempt (`<name>-a2`, `-a3`:
 *   functions/actions/snapshot/run.ts) or adopts what the first run made, instead of replaying the
 *   result for the record's lifetime, and concurrent re-sends still run it once (they share the key);
 * - a remembered result with no such failure is replayed, each snapshot it called available judged
 *   again at the time of the ask: one older than `snapshots.readinessMaxAgeHours` by then is
 *   `SnapshotStale` (what a run after the record expired would say), never a GO the snapshot no
 *   longer proves; and each one still young enough is read again (one call per snapshot, in
 *   parallel: `confirmReplayedSnapshots`), so one deleted since, no longer available, or that could
 *   not be read is a NO-GO naming it, not "snapshot taken"; so is one of an earlier database of
 *   its target's name (deleted and created again since: another resource id), which needs a new
 *   request id.
 *
 * An unattended request ({@link ReplayOptions.unattended}: a maintenance scan's, which no one can
 * send again under a new id) keeps a record for one thing only: the snapshot that satisfied it (its
 * own, or one of another request it waited for). A remembered result is replayed only while it
 * delivered, read again as above (its snapshot still there and available, or still creating); any
 * other (busy, failed, gone, not proven, not delivered) runs once more on the next scan, with no cap
 * on how many times: a scan runs only on its schedule and on maintenance notifications, so the runs
 * are bounded by the scans of the event within its horizon, each of which, before events were
 * remembered, tried again anyway. A cap would leave an event whose database stays busy through more
 * scans than the cap without its snapshot once the database is free.
 */

import { cloudOf, type SnapshotCloud } from '../actions/snapshot/backend.ts';
import {
  countsOf,
  MAX_SNAPSHOT_ATTEMPTS,
  type SnapshotTarget,
  targetKey,
} from '../actions/snapshot/model.ts';
import type { RunOnceOptions } from '../chatops/once.ts';
import { keyOf } from '../core/digest.ts';
import { describeError, InputError } from '../core/errors.ts';
import type { StructuredLogger } from '../core/logging.ts';
import type { Policy } from '../core/policy.ts';
// Types only: the Powertools store (./idempotency.ts) is loaded by the DynamoDB entry points alone
// (./snapshot-once-table.ts), not by the GCP functions that run this rule over their own records.
import type { RequestOutcome } from './idempotency.ts';
import {
  confirmReplayedSnapshots,
  names,
  type ResolvedTargets,
  resolveSnapshotTargets,
  retriesLater,
  type SnapshotJobResult,
  type SnapshotRequest,
  snapshotDelivered,
  snapshotsNotDelivered,
  staleAdoption,
} from './snapshot.ts';

/**
 * The once-key of asking `requestId` again after its remembered result (finished at `finishedAt`)
 * had a failed snapshot: one per remembered failure, the same from every entry point (chat, the CLI
 * and the Lambda share the idempotency table), so concurrent asks run once.
 */
export function retryKeyOf(requestId: string, finishedAt: string): string {
  return keyOf([requestId, 'asked again after', finishedAt]);
}

/**
 * The once-key of asking `requestId` again, in the same words, where they resolve to databases its
 * remembered run (finished at `finishedAt`) did not cover (all Regions after an ask with
 * `--region`): one per remembered run, the same from every entry point, so concurrent asks run once.
 */
export function widenedKeyOf(requestId: string, finishedAt: string): string {
  return keyOf([requestId, 'asked for more databases after', finishedAt]);
}

/**
 * The once-key of a snapshot request by what it resolves to: its ticket (any case) and the sorted
 * canonical ids (`kind:provider/account/region/name`, functions/actions/snapshot/model.ts targetKey)
 * of the databases it covers, whatever its wording: the ticket with no database named (the policy's
 * targets) and the same ticket naming each of them, in any order, case or form, are one request;
 * another set of databases is another. Only a complete resolution keys a request: undefined when
 * some target was not found or read, or a name was ambiguous (the caller keeps its own key).
 * Names, not resource ids: a database deleted and created again under its name is the same target
 * to the key, and replaying its earlier snapshot is refused by `confirmReplayedSnapshots`.
 */
export function resolvedRequestKey(
  ticket: string | undefined,
  resolved: Pick<ResolvedTargets, 'targets' | 'problems' | 'ambiguous'>,
): string | undefined {
  if (!ticket?.trim() || !completelyResolved(resolved)) return undefined;
  return keyOf([
    'snapshot of resolved targets',
    ticket.trim().toLowerCase(),
    ...canonicalIds(resolved.targets),
  ]);
}

/**
 * The request id chat names a ticket's snapshots by (functions/actions/snapshot/model.ts
 * snapshotIdentifier hashes it with the database): the ticket alone (any case), whatever the
 * databases the request resolves to. The once-key ({@link resolvedRequestKey}) changes with the
 * resolution: a scope read at one ask and not at the next (or the reverse) keys the two asks apart,
 * and a name taken from that key would give the databases found both times a second snapshot of
 * the same ticket. By the ticket, such an ask finds the first ask's snapshot under its own name and
 * adopts it (judged for age as any adopted one). Undefined without a ticket.
 */
export function ticketSnapshotNamesKey(ticket: string | undefined): string | undefined {
  return ticket?.trim() ? keyOf(['snapshots of ticket', ticket.trim().toLowerCase()]) : undefined;
}

/** Whether a resolution names its whole target set: some target, none missing, unread or ambiguous. */
function completelyResolved(resolved: Pick<ResolvedTargets, 'targets' | 'problems' | 'ambiguous'>): boolean {
  return resolved.targets.length > 0 && resolved.problems.length === 0 && resolved.ambiguous.length === 0;
}

/** The canonical ids of targets, `kind:provider/account/region/name`, unique and sorted. */
function canonicalIds(targets: readonly SnapshotTarget[]): string[] {
  return [...new Set(targets.map((target) => `${target.kind}:${targetKey(target)}`))].sort();
}

/**
 * How many times one request runs again after remembered results it could still improve on (at
 * least MAX_SNAPSHOT_ATTEMPTS, so a failing snapshot gets all its attempts).
 */
export const MAX_RUNS_ASKED_AGAIN = Math.max(MAX_SNAPSHOT_ATTEMPTS, 10);

/** What the rule reads of a remembered result. */
type Remembered = Pick<SnapshotJobResult, 'finishedAt' | 'results' | 'problems'> &
  Partial<Pick<SnapshotJobResult, 'requestId' | 'startedAt' | 'requestedTargets' | 'unread'>>;

/**
 * A remembered result a request runs again after, as `once` is given it: with the databases this
 * ask names that it did not cover, when that is why (the words of {@link askedAgainAfter}).
 */
export type Earlier = Remembered & { readonly notCovered?: readonly SnapshotTarget[] };

export interface ReplayOptions {
  /**
   * `snapshots.readinessMaxAgeHours`: a replayed snapshot older than this at the ask is stale.
   * Absent: replayed as remembered.
   */
  readonly readinessMaxAgeHours?: number;
  readonly now?: () => Date;
  /**
   * The clouds the snapshots live in: each replayed snapshot still called available is read again
   * there. Absent: not read again (only callers without clouds, such as unit tests of the keys).
   */
  readonly clouds?: readonly SnapshotCloud[];
  /**
   * The policy's targets (`policy.targets`): with `clouds`, the databases are read again too, so a
   * snapshot of a database deleted and created again under its name since is not replayed as taken
   * (`confirmReplayedSnapshots`). Absent: not compared (unit tests of the keys).
   */
  readonly selection?: Policy['targets'];
  /**
   * The targets this ask names (absent or empty: the policy's). A remembered result of the same
   * request id for other targets is refused with an InputError, never replayed: it would answer
   * "snapshot taken" for a database nobody snapshotted. Absent: not compared (unit tests of the keys).
   */
  readonly asked?: Pick<SnapshotRequest, 'targets'>;
  /**
   * `snapshots.expiryDays`: the idempotency record of a request is kept as long as the snapshots it
   * reports ({@link snapshotRecordSeconds}). Absent: the store's own lifetime (one day by default).
   */
  readonly retentionDays?: number;
  /**
   * The request is unattended (a maintenance scan's): a remembered result is replayed only while it
   * delivered; any other runs again, uncapped (the module comment).
   */
  readonly unattended?: boolean;
}

/**
 * How long a finished snapshot request is remembered: as long as its snapshots live (`retentionDays`,
 * `snapshots.expiryDays`, their `expires-at` tag), at least one day. A request that waited for
 * another request's snapshot still being created (functions/actions/snapshot/run.ts planTarget) has
 * nothing under its own name: once its record is gone, a later run of it (the same ticket asked
 * again) finds no snapshot of its own and would take a second one. Remembered as long as the
 * snapshot it waited for lives, it is replayed instead, judged for age and read again at the ask,
 * the same answer a request whose own snapshot is adopted again gets (`staleAdoption`).
 */
export function snapshotRecordSeconds(retentionDays: number, atLeastSeconds = DAY_SECONDS): number {
  return Math.max(atLeastSeconds, Math.ceil(retentionDays * DAY_SECONDS));
}

const DAY_SECONDS = 86_400;

/**
 * The options of a snapshot request run once over request records (functions/chatops/once.ts
 * runOncePerKey: the GCP chat and `snapshot` functions): remembered {@link snapshotRecordSeconds},
 * claimed for `claimMs`, a result that could not be recorded logged with `fields`.
 */
export function snapshotRecordOptions(
  expiryDays: number,
  claimMs: number,
  logger: StructuredLogger | undefined,
  fields: Record<string, unknown>,
): RunOnceOptions {
  return {
    keepMs: snapshotRecordSeconds(expiryDays) * 1000,
    claimMs,
    onRecordError: (error) =>
      logger?.warn('snapshot result not recorded; a repeat after the claim expires may run again', {
        ...fields,
        error: describeError(error),
      }),
  };
}

/** Target names as compared: trimmed, lower case (RDS and Cloud SQL names are), unique, sorted. */
function targetSet(targets: readonly string[] | null | undefined): string[] {
  return [...new Set((targets ?? []).map((name) => name.trim().toLowerCase()))].sort();
}

/**
 * How a remembered result of the same request id stands to this ask ({@link coverageOf}): it covers
 * what this ask resolves to (or cannot be compared: replayed as before); this ask resolves to
 * databases it did not cover (`missing`: run once more for them); or this ask could not resolve its
 * whole target set (`unresolved`: replayed, saying what this ask could not read or find, so a
 * narrower run's result never reads as an answer for databases it never saw).
 */
type Coverage =
  | { readonly covers: true }
  | { readonly missing: readonly SnapshotTarget[] }
  | { readonly unresolved: readonly string[] };

const COVERS: Coverage = { covers: true };

/**
 * Compare a remembered result of `requestId` with this ask. A request id names one request: one
 * whose request named other targets than this ask is refused (InputError). Results remembered before
 * the targets were recorded are not compared. Names worded otherwise (none named: the policy's; each
 * named) that resolve, with `replay`'s clouds and selection, to exactly the databases the remembered
 * run covered are the same request. The same words resolved where this ask reads (all Regions after
 * an ask with `--region`, another `--provider`, a database tagged since) may name databases the
 * remembered run, which read everything it was given, never snapshotted: those are `missing`, and
 * the request runs once more for them (the run adopts the snapshots the first one made, whose names
 * derive from the request id). Where this ask's resolution of the policy's targets is incomplete,
 * what it could not resolve is `unresolved`; where the remembered run's was, it runs again for that
 * (retriesLater).
 */
async function coverageOf(
  requestId: string,
  result: Remembered,
  asked: Pick<SnapshotRequest, 'targets'>,
  replay: Pick<ReplayOptions, 'clouds' | 'selection'>,
): Promise<Coverage> {
  if (result.requestedTargets === undefined) return COVERS;
  const before = targetSet(result.requestedTargets);
  const now = targetSet(asked.targets);
  const sameWords = before.join('\n') === now.join('\n');
  const comparable =
    replay.clouds !== undefined && replay.selection !== undefined && result.results.length > 0;
  if (sameWords && (!comparable || result.problems.length > 0)) return COVERS;
  const named = (names: readonly string[]) => (names.length > 0 ? names.join(', ') : "the policy's targets");
  if (replay.clouds && replay.selection && comparable) {
    const resolved = await resolveSnapshotTargets(asked.targets ? [...asked.targets] : undefined, {
      policy: { targets: replay.selection },
      clouds: replay.clouds,
    });
    const covered = canonicalIds(result.results.map((entry) => entry.target));
    if (!completelyResolved(resolved)) {
      // Each database the remembered run was asked for by name is in its results (a run that could not resolve
      // one has problems, and is not compared), said as not verified where this ask does not read
      // (withinThisAsk); the policy's targets are not named, and those this ask did not resolve
      // could be any the remembered run never saw.
      if (sameWords && now.length > 0) return COVERS;
      if (sameWords) {
        return {
          unresolved: [
            ...resolved.ambiguous.map(
              (entry) =>
                `target ${entry.name} names ${entry.matches.length} databases: ${entry.matches.join(', ')}`,
            ),
            ...resolved.problems,
          ],
        };
      }
    } else if (canonicalIds(resolved.targets).join('\n') === covered.join('\n')) {
      return COVERS;
    } else if (sameWords) {
      const missing = resolved.targets.filter(
        (target) => !covered.includes(canonicalIds([target])[0] as string),
      );
      return missing.length === 0 ? COVERS : { missing };
    }
  }
  throw new InputError(
    `request id ${requestId} was used${result.startedAt ? ` at ${result.startedAt}` : ''} for ${named(before)}; this request names ${named(now)}. A request id names one request: ask with a new ticket or request id for ${named(now)}. Nothing was snapshotted.`,
  );
}

/** Targets as their answers name them: `id (provider/account/region)`. */
function whereNamed(targets: readonly SnapshotTarget[]): string {
  return targets
    .map((target) => `${target.id} (${target.provider}/${target.account}/${target.region})`)
    .join(', ');
}

/**
 * A remembered result as a later ask sees it: its available snapshots judged for age again, and
 * those still young enough read again to prove they still exist.
 */
async function replayed<R extends Remembered>(result: R, options: ReplayOptions): Promise<R> {
  const maxAgeHours = options.readinessMaxAgeHours;
  const now = (options.now ?? (() => new Date()))();
  const aged =
    maxAgeHours === undefined
      ? result.results
      : result.results.map((entry) => staleAdoption(entry, now.getTime(), now, maxAgeHours));
  const results = options.clouds
    ? await confirmReplayedSnapshots(aged, options.clouds, options.selection, result.requestId)
    : aged;
  if (results.every((entry, index) => entry === result.results[index])) return result;
  if (!('counts' in result)) return { ...result, results };
  return { ...result, results, counts: countsOf(results) };
}

/**
 * `result` as an ask that reads fewer clouds, regions or projects than its run did sees it (the
 * same ticket asked again with `--region`, or at an entry point serving one cloud): the targets of
 * scopes it does not read ({@link SnapshotCloud.reads}) left out of its results and named in
 * `outsideThisAsk`. Read again here, their snapshots would be judged against a listing that
 * cannot hold their databases and called not found; they were simply not asked about, so they
 * neither count against this ask nor for it. One this ask names (`named`) was asked about, though:
 * it stays, as not verified (where it is, this ask does not read), never as remembered. Without
 * clouds, as remembered.
 */
function withinThisAsk<R extends Remembered>(
  result: R,
  clouds: readonly SnapshotCloud[] | undefined,
  named: readonly string[] | undefined,
): R {
  if (clouds === undefined) return result;
  const readHere = (entry: R['results'][number]) => {
    const cloud = cloudOf(clouds, entry.target.provider);
    return cloud !== undefined && (cloud.reads?.(entry.target) ?? true);
  };
  const isNamed = (entry: R['results'][number]) =>
    (named ?? []).some((name) => names(entry.target, name.trim()));
  if (result.results.every(readHere)) return result;
  const results = result.results.flatMap((entry): R['results'][number][] => {
    if (readHere(entry)) return [entry];
    if (!isNamed(entry)) return [];
    // Only a snapshot the result calls delivered is read again; any other is said as remembered.
    if (!snapshotDelivered(entry)) return [entry];
    const { target } = entry;
    return [
      {
        ...entry,
        outcome: 'error',
        error: {
          code: 'SnapshotNotVerified',
          message: `${entry.snapshotId ?? target.id} is in ${target.provider}/${target.account}/${target.region}, which this ask does not read (its --provider, --region or --project, or this entry point's clouds), so its snapshot was not read again and nothing proves it now; ask where that region or project is read.`,
        },
      },
    ];
  });
  const outsideThisAsk = result.results
    .filter((entry) => !readHere(entry) && !isNamed(entry))
    .map((entry) => entry.target);
  const outside = outsideThisAsk.length > 0 ? { outsideThisAsk } : {};
  return 'counts' in result
    ? { ...result, results, counts: countsOf(results), ...outside }
    : { ...result, results, ...outside };
}

/** Whether a result gave every target its snapshot, with no scope unread. */
function delivered(result: Pick<Remembered, 'results' | 'problems'>): boolean {
  return result.problems.length === 0 && snapshotsNotDelivered(result.results) === 0;
}

/**
 * Run the snapshot job of `requestId` once, as the module comment says. `once(key)` runs the job
 * once per key (the job's own request, whatever the key) and says whether this call ran it;
 * `acceptedAt` is when this ask arrived (an ask with none is never asked again).
 */
export async function snapshotOncePerRequest<O extends RequestOutcome<Remembered>>(
  requestId: string,
  acceptedAt: Date | string | undefined,
  once: (key: string, earlier?: Earlier) => Promise<O>,
  replay: ReplayOptions = {},
): Promise<O> {
  const asked = acceptedAt === undefined ? Number.NaN : new Date(acceptedAt).getTime();
  let key = requestId;
  let earlier: Earlier | undefined;
  for (let hop = 0; ; hop += 1) {
    const outcome = await once(key, earlier);
    if ('inProgress' in outcome || outcome.firstRun) return outcome;
    const coverage = replay.asked
      ? await coverageOf(requestId, outcome.result, replay.asked, replay)
      : COVERS;
    if ('missing' in coverage) {
      const { startedAt, results } = outcome.result;
      if (hop >= MAX_RUNS_ASKED_AGAIN) {
        throw new InputError(
          `request id ${requestId} was used${startedAt ? ` at ${startedAt}` : ''} for databases that then were ${results.map((entry) => entry.target.id).join(', ')}; here they include ${whereNamed(coverage.missing)}, and the request ran ${MAX_RUNS_ASKED_AGAIN} more times already: ask with a new ticket or request id for them. Nothing was snapshotted.`,
        );
      }
      // Run once more for the whole of this ask: it adopts the snapshots the remembered run made
      // and takes those of the databases that run never saw. Keyed by that run, so concurrent wider
      // asks run once, and a wider record is what the next such ask finds there.
      key = widenedKeyOf(requestId, outcome.result.finishedAt);
      earlier = { ...outcome.result, notCovered: coverage.missing };
      continue;
    }
    const answer = <T extends Remembered>(remembered: T): T =>
      'unresolved' in coverage ? withUnresolved(remembered, coverage.unresolved) : remembered;
    const result = withinThisAsk(outcome.result, replay.clouds, replay.asked?.targets);
    const askedAgain = asked > Date.parse(result.finishedAt);
    if (replay.unattended && askedAgain) {
      // Replayed only while it delivered; otherwise run once more after it.
      const now = delivered(result) ? await replayed(result, replay) : undefined;
      if (now && delivered(now)) return { ...outcome, result: answer(now) };
      key = retryKeyOf(requestId, result.finishedAt);
      earlier = result;
      continue;
    }
    // Each hop reads one remembered run of this request; past MAX_RUNS_ASKED_AGAIN of them the last
    // is replayed (a database busy all day is not asked about without end: ask with a new ticket).
    if (hop >= MAX_RUNS_ASKED_AGAIN || !askedAgain || !retriesLater(result)) {
      return { ...outcome, result: answer(await replayed(result, replay)) };
    }
    key = retryKeyOf(requestId, result.finishedAt);
    earlier = result;
  }
}

/**
 * A replayed result with what this ask could not resolve (a Region or project not read, a name not
 * found) among its problems: the remembered run may have covered less than this ask names, and
 * nothing this ask read says it covered the rest (exit 2, as a run that could not read them).
 */
function withUnresolved<R extends Remembered>(result: R, unresolved: readonly string[]): R {
  const added = unresolved.filter((problem) => !result.problems.includes(problem));
  if (added.length === 0) return result;
  return { ...result, problems: [...result.problems, ...added] };
}

/**
 * Why a request is being asked again, as a clause: what its remembered run (`earlier`) left undone,
 * each target without its snapshot with its outcome and error code (a failed snapshot, a database
 * busy until the deadline, a snapshot still creating, the quota, an API error), and the scopes or
 * names it could not resolve (or, for an unattended request whose run delivered, that its snapshots
 * are no longer proven). The words of a refusal that names the run asked again.
 */
export function askedAgainAfter(
  earlier: Pick<Earlier, 'finishedAt' | 'results' | 'problems' | 'notCovered'>,
): string {
  if (earlier.notCovered && earlier.notCovered.length > 0) {
    return `its run that finished at ${earlier.finishedAt} did not cover ${whereNamed(earlier.notCovered)}`;
  }
  const undone = [
    ...earlier.results
      .filter((entry) => !snapshotDelivered(entry))
      .map((entry) => `${entry.target.id} ${entry.outcome}${entry.error ? ` (${entry.error.code})` : ''}`),
    ...(earlier.problems.length > 0 ? [`${earlier.problems.length} target(s) not found or not read`] : []),
  ];
  const shown = undone.length > 3 ? [...undone.slice(0, 3), `${undone.length - 3} more`] : undone;
  // Nothing left undone: an unattended request's snapshots, delivered then, no longer proven now.
  return `its run that finished at ${earlier.finishedAt} ${shown.length > 0 ? `left ${shown.join(', ')}` : 'delivered snapshots no longer proven'}`;
}

/**
 * `request` as run again after its remembered result `earlier`: carrying the snapshots of other
 * requests that run waited for instead of taking its own (`SnapshotRequest.waitedFor`), which the
 * run adopts again; nothing under the request's name tells them.
 */
export function withWaitedFor<R extends SnapshotRequest>(
  request: R,
  earlier: Pick<Remembered, 'results'> | undefined,
): R {
  const waitedFor = (earlier?.results ?? []).flatMap((entry) =>
    entry.takenBy !== undefined && entry.snapshotId !== undefined ? [entry.snapshotId] : [],
  );
  return waitedFor.length > 0 ? { ...request, waitedFor } : request;
}

/**
 * When the request a run serves was first accepted, for the run records of the snapshots it adopts
 * (functions/actions/snapshot/run.ts `firstAcceptedAt`): {@link earliestAcceptance} of what the
 * caller knows, on either cloud's record store.
 */
export interface Accepted {
  readonly firstAcceptedAt: Date;
}

/**
 * When a request was first accepted, of what the caller knows: this ask's arrival (`acceptedAt`), and
 * any of `earlier` (the start of the once-record an earlier run left, the remembered run it follows);
 * those that are not times are skipped (functions/actions/snapshot/run.ts `firstAcceptedAt`).
 */
export function earliestAcceptance(acceptedAt: Date, earlier: readonly (Date | string | undefined)[]): Date {
  const times = earlier.flatMap((time) => {
    const ms = time === undefined ? Number.NaN : new Date(time).getTime();
    return Number.isFinite(ms) ? [ms] : [];
  });
  return new Date(Math.min(acceptedAt.getTime(), ...times));
}
