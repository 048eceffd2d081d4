/**
 * The snapshot job: the one runner behind `backup-guard snapshot`, the `snapshot` Lambda, the Cloud
 * Function and the maintenance job. Resolve targets (the policy's, or those the request names) in
 * every cloud the entry point serves -> take the snapshots (functions/actions/snapshot) -> one
 * result, target by target.
 *
 * Idempotency per request id is added around this function by the entry points
 * (functions/jobs/snapshot-once.ts), so a re-sent request returns the first result, or runs once more
 * after a failed snapshot.
 */

import {
  type BackendSnapshot,
  cloudOf,
  type FoundTargets,
  type ManualListing,
  type OtherEngineDatabase,
  type OtherEnginesFailure,
  type OutsideSourceReplica,
  perCloud,
  type SnapshotBackend,
  type SnapshotCloud,
  type TargetStandIn,
  type TargetsOptions,
} from '../actions/snapshot/backend.ts';
import { type DatabaseIncarnation, incarnationOf, RESOURCE_ID_FIELD } from '../actions/snapshot/identity.ts';
import { snapshotKeyReader } from '../actions/snapshot/keys.ts';
import {
  type AmbiguousTargetName,
  countsOf,
  emptyCounts,
  MAX_SNAPSHOT_ATTEMPTS,
  MAX_SNAPSHOT_TARGETS,
  SNAPSHOT_REQUEST_LIMITS,
  type SnapshotJobResult,
  type SnapshotRequest,
  type SnapshotTarget,
  type SnapshotTargetResult,
  targetKey,
  tooManyTargetsProblem,
} from '../actions/snapshot/model.ts';
import {
  type SnapshotPollFailure,
  type SnapshotProgress,
  takeSnapshots,
  withKeyChecked,
} from '../actions/snapshot/run.ts';
import type { SnapshotRunRecordStore } from '../actions/snapshot/run-records.ts';
import { EXIT_CODES } from '../core/audit.ts';
import { closest } from '../core/closest.ts';
import { describeError, eachOrAllFail, errorCode, InputError, isTransient } from '../core/errors.ts';
import { hiddenIdProblem, hiddenReasonProblem, identifierProblem } from '../core/invisible.ts';
import type { StructuredLogger } from '../core/logging.ts';
import type { Policy } from '../core/policy.ts';
import { SNAPSHOT_SETUP_BOUND_MS, type SnapshotsPolicy, waitEndingBy } from '../core/snapshots-policy.ts';
import { locateIdentifier, namesOf } from '../core/targets.ts';
import { CLOCK_SKEW_TOLERANCE_MS, HOUR_MS, hoursAgainstLimit } from '../core/time.ts';
import * as z from '../core/zod.ts';

export type { SnapshotJobResult, SnapshotRequest } from '../actions/snapshot/model.ts';

export interface SnapshotJobDependencies {
  readonly policy: Policy;
  /** The clouds whose targets this run snapshots (functions/actions/snapshot/aws.ts, gcp.ts). */
  readonly clouds: readonly SnapshotCloud[];
  readonly logger?: StructuredLogger;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onProgress?: (progress: SnapshotProgress) => void;
  /** Each failed read of the awaited snapshots' states (functions/actions/snapshot/run.ts). */
  readonly onPollFailure?: (failure: SnapshotPollFailure) => void;
  /**
   * The request's targets, already resolved (with their manual snapshots) by a caller that keys the
   * request by them (chat: functions/chatops/job-actions.ts); absent, the job resolves them.
   */
  readonly resolved?: ResolvedTargets;
  /**
   * Where each snapshot created is recorded as ours (functions/actions/snapshot/run-records.ts):
   * prune deletes only a snapshot a run record names. Absent: none is recorded.
   */
  readonly runRecords?: SnapshotRunRecordStore;
  /**
   * When the request was first accepted (functions/jobs/snapshot-once.ts `Accepted`): the
   * request's own snapshot a run adopts is recorded only when the cloud created it no earlier
   * (functions/actions/snapshot/run.ts `firstAcceptedAt`). Absent: when this run started.
   */
  readonly firstAcceptedAt?: Date;
  /**
   * When the wait for the snapshots ends at the latest, whatever `snapshots.waitMinutes` says: a
   * function's answer deadline (functions/core/snapshots-policy.ts functionWaitEndsBy), or chat's.
   * Counted when the wait starts, so the time it took to get there is not waited again. Absent:
   * `waitMinutes` alone.
   */
  readonly waitEndsBy?: Date;
}

/** The targets a request covers, and what kept some from being found. */
export interface ResolvedTargets {
  readonly targets: SnapshotTarget[];
  readonly problems: string[];
  /** The problems (each also among `problems`) that are a place not read ({@link SnapshotJobResult.unread}). */
  readonly unread: string[];
  /** With `withManualSnapshots`: each scope's manual snapshots, listed alongside its targets. */
  readonly manualSnapshots: readonly ManualListing[];
  /** Plain names that named more than one database (see {@link ambiguousNames}). */
  readonly ambiguous: readonly AmbiguousTargetName[];
}

/** A name that names only `target`: its ARN (RDS), or `project:region:instance` (Cloud SQL). */
export function qualifiedName(
  target: Pick<SnapshotTarget, 'provider' | 'account' | 'region' | 'id' | 'arn'>,
): string {
  if (target.provider === 'gcp') return `${target.account}:${target.region}:${target.id}`;
  return target.arn ?? `${target.provider}/${target.account}/${target.region}/${target.id}`;
}

/**
 * The plain names (no ARN, selfLink or connection name: core/targets.ts `locateIdentifier`) that
 * name more than one of `targets`. An identifier is unique only in its account and region (or
 * project), so `certctl-db` may be a database in each of several accounts, regions and clouds; a
 * chat command that names it means one of them, and snapshotting all would tag and count snapshots
 * nobody asked for. The request is refused instead, listing each by a name that picks it out.
 */
export function ambiguousNames(
  named: readonly string[],
  targets: readonly SnapshotTarget[],
): AmbiguousTargetName[] {
  return named.flatMap((name) => {
    if (locateIdentifier(name) !== undefined) return [];
    const matches = targets.filter((target) => names(target, name));
    return matches.length > 1 ? [{ name, matches: matches.map(qualifiedName) }] : [];
  });
}

/** Whether `name` (identifier, ARN or selfLink, any case) names `target`. */
export function names(target: SnapshotTarget, name: string): boolean {
  const wanted = name.toLowerCase();
  return namesOf({
    provider: target.provider,
    account: target.account,
    region: target.region,
    type: 'Scope',
    id: target.id,
    ...(target.arn ? { arn: target.arn } : {}),
  }).some((candidate) => candidate.toLowerCase() === wanted);
}

/** Find the targets in every cloud; a named target found nowhere is a problem, said by name. */
export async function resolveSnapshotTargets(
  named: readonly string[] | undefined,
  deps: { readonly policy: Pick<Policy, 'targets'>; readonly clouds: readonly SnapshotCloud[] },
  options: TargetsOptions = {},
): Promise<ResolvedTargets> {
  if (deps.clouds.length === 0) throw new InputError('no cloud to snapshot in was configured');
  // Named targets narrow the policy's selection, never widen it: a request (a chat command) may only
  // snapshot the databases the policy selects by tag or identifier, whatever else the role can reach.
  // A cloud that cannot be read (no credentials, STS unreachable) does not keep the others from
  // being snapshotted: it is a problem of the run.
  const found = await eachOrAllFail(
    deps.clouds,
    (cloud) => cloud.targets(deps.policy.targets, { ...options, withOtherEngines: true }),
    (cloud, error) => ({
      targets: [],
      problems: [`${cloud.provider}: targets not read (${describeError(error)})`],
    }),
  );
  const wanted = named && named.length > 0 ? named : undefined;
  const targets = found
    .flatMap((entry) => entry.targets)
    .filter((target) => !wanted || wanted.some((name) => names(target, name)));
  const problems = found.flatMap((entry) => entry.problems);
  // Each problem of a cloud's target listing is a scope it could not read (FoundTargets.problems).
  const unread = [...problems];
  const manualSnapshots = found.flatMap((entry) => entry.manualSnapshots ?? []);
  targets.sort((a, b) => targetKey(a).localeCompare(targetKey(b)));
  const standIns = found.flatMap((entry) => entry.standIns ?? []);
  const outsideSources = found.flatMap((entry) => entry.outsideSources ?? []);
  const outsideProblem = (name: string, replica: OutsideSourceReplica) =>
    `target ${name} is a ${replica.outside} read replica of ${replica.source} (${placeOf(replica)}): its data is replicated from outside ${replica.outside}, whose backups do not restore it, so nothing was snapshotted for it; back up that server where it runs`;
  const everyTarget = found.flatMap((entry) => entry.targets);
  const answers = (candidates: readonly string[], name: string): boolean =>
    candidates.some((candidate) => candidate.toLowerCase() === name.toLowerCase());
  // Only those the policy selects (by tag or name, or every database): a request narrows the
  // policy's selection and learns nothing of what it does not select, whatever its engine (Cloud
  // SQL's listing sends every instance).
  const listedOthers = found
    .flatMap((entry) => entry.otherEngines ?? [])
    .filter((database) => database.selectedBy !== undefined || deps.policy.targets.all)
    .sort((a, b) => otherEngineKey(a).localeCompare(otherEngineKey(b)));
  if (!wanted) {
    // Every target the policy selects: a database of another engine it selects gets no snapshot, and
    // the answer says so target by target, as the audit's Coverage does (core/audit.ts
    // otherEngineProblems), rather than leaving it out; so does a replica of a server outside the
    // cloud's service that it selects.
    problems.push(...outsideSources.map((replica) => outsideProblem(replica.id, replica)));
    problems.push(
      ...listedOthers.flatMap(({ selectedBy, ...database }) =>
        selectedBy
          ? [
              `${database.id} (${placeOf(database)}) is selected by ${selectedBy} but its engine ${database.engine} is not PostgreSQL: backup-guard neither audits nor snapshots it`,
            ]
          : [],
      ),
    );
  }
  // Only a name neither a target, a stand-in nor a listed database of another engine answers to is
  // looked up.
  const unresolved = (named ?? []).filter(
    (name) =>
      !targets.some((target) => names(target, name)) &&
      !standIns.some((standIn) => answers(standIn.names, name)) &&
      !outsideSources.some((replica) => answers(replica.names, name)) &&
      !listedOthers.some((database) => answers(database.names, name)),
  );
  const others = await otherEnginesOf(unresolved, deps.clouds);
  problems.push(...others.problems);
  unread.push(...others.unread);
  const otherEngines = [...listedOthers, ...others.databases];
  for (const name of named ?? []) {
    if (targets.some((target) => names(target, name))) continue;
    const standingIn = standIns.filter((standIn) => answers(standIn.names, name));
    if (standingIn.length > 0) {
      problems.push(...standingIn.map((standIn) => standInProblem(name, standIn, everyTarget)));
      continue;
    }
    const outside = outsideSources.filter((replica) => answers(replica.names, name));
    if (outside.length > 0) {
      problems.push(...outside.map((replica) => outsideProblem(name, replica)));
      continue;
    }
    // A database of another engine: said with its engine, as the audit says it (core/audit.ts
    // otherEngineProblems), not as not found.
    const otherEngine = otherEngines.filter((database) => answers(database.names, name));
    if (otherEngine.length > 0) {
      problems.push(
        ...otherEngine.map(
          (database) =>
            `target ${name} is a database of engine ${database.engine} (${placeOf(database)}), which is not PostgreSQL: backup-guard neither audits nor snapshots it, so nothing was snapshotted for it`,
        ),
      );
      continue;
    }
    // Not proven absent when a scope it may be in could not be looked up: said as not told (the
    // failed scope is already a problem of the run), never as not found.
    if (others.failed.length > 0) {
      const where = others.failed.map(({ scope, code }) => `${scope} (${code})`).join(', ');
      const untold = `target ${name} could not be told: looking it up failed in ${where}`;
      problems.push(untold);
      unread.push(untold);
      continue;
    }
    const likely = closest(
      name,
      everyTarget.map((target) => target.id),
    );
    problems.push(
      `target ${name} was not found among the databases the policy selects (targets.tags, targets.identifiers, targets.all), or is not a PostgreSQL primary${likely ? `; did you mean ${likely}?` : ''}`,
    );
  }
  return { targets, problems, unread, manualSnapshots, ambiguous: ambiguousNames(named ?? [], targets) };
}

/** Where a database of another engine is: `aws/111111111111/eu-west-1`, `gcp/project/region`. */
function placeOf(database: Pick<OtherEngineDatabase, 'provider' | 'account' | 'region'>): string {
  return `${database.provider}/${database.account}/${database.region}`;
}

/** The order databases of another engine are said in: by place, then id. */
function otherEngineKey(database: OtherEngineDatabase): string {
  return `${placeOf(database)}/${database.id}`;
}

/**
 * The databases of another engine that answer to `names` in every cloud that can tell
 * ({@link SnapshotCloud.otherEngines}); a cloud or scope that fails to tell is a problem of the run,
 * and `failed` says where (`aws/111111111111/eu-west-1`, or the whole cloud `gcp`): a name found
 * nowhere else may be there. No call when every name was found.
 */
async function otherEnginesOf(
  names: readonly string[],
  clouds: readonly SnapshotCloud[],
): Promise<{
  databases: OtherEngineDatabase[];
  problems: string[];
  failed: OtherEnginesFailure[];
  unread: string[];
}> {
  if (names.length === 0) return { databases: [], problems: [], failed: [], unread: [] };
  const found = await Promise.all(
    clouds.map(async (cloud) => {
      if (!cloud.otherEngines) return { databases: [], problems: [], failed: [], unread: [] };
      try {
        const told = await cloud.otherEngines(names);
        return {
          ...told,
          failed: told.failed.map(({ scope, code }) => ({ scope: `${cloud.provider}/${scope}`, code })),
        };
      } catch (error) {
        return {
          databases: [],
          problems: [`${cloud.provider}: named databases not looked up (${describeError(error)})`],
          failed: [{ scope: cloud.provider, code: errorCode(error) }],
          // Not a place not read by itself (SnapshotJobResult.unread), as a look-up that failed in
          // one scope read is not (SnapshotCloud.otherEngines): each name it leaves untold is, so a
          // re-sent request runs again whenever the failure may hide what a name is. A name told
          // elsewhere is not hidden: the targets of the failed place were read (a PostgreSQL
          // database of that name would be one; a listing that failed is unread itself, retried),
          // so a run again could only name another database of another engine, which gets no
          // snapshot either: nothing it could deliver, so the result, the failure said (exit 2),
          // is replayed.
          unread: [],
        };
      }
    }),
  );
  return {
    databases: found.flatMap((entry) => entry.databases),
    problems: found.flatMap((entry) => entry.problems),
    failed: found.flatMap((entry) => entry.failed),
    unread: found.flatMap((entry) => entry.unread ?? []),
  };
}

/**
 * What a request that names a database standing in for a selected target is told: what it is, the
 * target that holds its data (its cluster, or its source) by a name that picks it out, and that
 * nothing was snapshotted for it. The target is not snapshotted in its place: what is written is
 * what the requester names (CreateDBSnapshot refuses an Aurora member with InvalidParameterValue,
 * https://github.com/cloud-custodian/cloud-custodian/issues/313; a DB cluster snapshot is of the
 * cluster's storage volume, "backing up the entire DB cluster", Aurora User Guide, "Creating a DB
 * cluster snapshot", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_CreateSnapshotCluster.html).
 */
function standInProblem(name: string, standIn: TargetStandIn, targets: readonly SnapshotTarget[]): string {
  const of = standIn.of;
  // Its plain name when no other target answers to it, else one that names only it.
  const plain = targets.filter((target) => names(target, of.id)).length <= 1;
  const ref = plain ? of.id : qualifiedName(of);
  const article = /^(?:[AEIOU]|RDS)/.test(standIn.what) ? 'an' : 'a';
  const place = `${of.provider}/${of.account}/${of.region}`;
  const member = standIn.relation === 'member';
  const why = member
    ? `${standIn.what.replace(/ member$/, '')} snapshots are of clusters: a DB instance of one has no snapshot of its own`
    : 'a read replica is not snapshotted on its own: the snapshot of its source is what restores it';
  return `target ${name} is ${article} ${standIn.what} of ${member ? 'the cluster ' : ''}${ref} (${place}), and ${why}. Nothing was snapshotted for it; to snapshot its data, ask again naming ${member ? 'the cluster' : 'its source'} ${ref}`;
}

/** The backend of one scope, from the cloud of its provider. */
export function snapshotBackendFor(clouds: readonly SnapshotCloud[]) {
  return (scope: { provider: string; account: string; region: string }) => {
    const cloud = cloudOf(clouds, scope.provider);
    if (!cloud) throw new InputError(`no ${scope.provider} clients were configured`);
    return cloud.backend(scope);
  };
}

/** A one-word request field that refuses what its tag would not keep ({@link hiddenIdProblem}). */
function idField(limit: number, what: string) {
  return z.string().check(
    z.minLength(1),
    z.maxLength(limit),
    z.superRefine((id, context) => {
      const hidden = hiddenIdProblem(id, what);
      if (hidden !== undefined) context.addIssue({ code: 'custom', message: hidden, input: id });
    }),
  );
}

/**
 * The fields of a snapshot request as the entry points take them (the `snapshot` Lambda's event, the
 * snapshot Cloud Function's body), each bounded: a target is an ARN or project:region:instance,
 * never longer than 2048, and a request names at most {@link MAX_SNAPSHOT_TARGETS}, as in chat (its
 * result is remembered in one idempotency record).
 */
export const snapshotRequestFields = {
  requestId: idField(SNAPSHOT_REQUEST_LIMITS.requestId, 'the request id'),
  reason: z.string().check(
    z.minLength(1),
    z.maxLength(SNAPSHOT_REQUEST_LIMITS.reason),
    z.superRefine((reason, context) => {
      const hidden = hiddenReasonProblem(reason);
      if (hidden !== undefined) context.addIssue({ code: 'custom', message: hidden, input: reason });
    }),
  ),
  ticket: z.optional(idField(SNAPSHOT_REQUEST_LIMITS.ticket, 'the ticket')),
  requestedBy: z.string().check(z.minLength(1), z.maxLength(256)),
  targets: z.optional(
    z
      .array(
        z.string().check(
          z.minLength(1),
          z.maxLength(2048),
          // As the policy's targets.identifiers: a name no database has is refused, not "not found".
          z.superRefine((target, context) => {
            const problem = identifierProblem(target);
            if (problem !== undefined) context.addIssue({ code: 'custom', message: problem, input: target });
          }),
        ),
      )
      .check(
        z.minLength(1),
        z.superRefine((targets, context) => {
          const problem = tooManyTargetsProblem(targets.length);
          if (problem === undefined) return;
          context.addIssue({ code: 'custom', message: problem, input: targets });
        }),
      ),
  ),
  wait: z.optional(z.boolean()),
};

/** Validate a request at the edge: every field says what is wrong. */
export function checkSnapshotRequest(request: SnapshotRequest): void {
  if (!request.requestId.trim())
    throw new InputError('a snapshot request needs a request id (--ticket or --request-id)');
  if (!request.reason.trim())
    throw new InputError('a snapshot request needs a reason (--reason "CA rotation")');
  if (!request.requestedBy.trim())
    throw new InputError('a snapshot request needs who asked for it (requestedBy)');
}

/** The targets a request names as its result records them: `null` for the policy's. */
function requestedTargets(request: SnapshotRequest): readonly string[] | null {
  return request.targets && request.targets.length > 0 ? [...request.targets] : null;
}

/** Resolve the targets and snapshot them; the result lists every target. */
export async function runSnapshotJob(
  request: SnapshotRequest,
  deps: SnapshotJobDependencies,
): Promise<SnapshotJobResult> {
  checkSnapshotRequest(request);
  const now = deps.now ?? (() => new Date());
  const startedAt = now().toISOString();
  // The quota check's listings ride along with the target discovery: no round trip of their own
  // before the creates (bench/snapshot.ts).
  const { targets, problems, unread, manualSnapshots, ambiguous } =
    deps.resolved ?? (await resolveSnapshotTargets(request.targets, deps, { withManualSnapshots: true }));
  if (ambiguous.length > 0) {
    // Nothing is written: which of the same-named databases is meant is the requester's to say.
    deps.logger?.warn('snapshot request names several databases', {
      requestId: request.requestId,
      ambiguous,
    });
    return {
      requestId: request.requestId,
      requestedTargets: requestedTargets(request),
      startedAt,
      finishedAt: now().toISOString(),
      results: [],
      counts: emptyCounts(),
      problems: [
        ...ambiguous.map(
          (entry) =>
            `target ${entry.name} names ${entry.matches.length} databases: ${entry.matches.join(', ')}; nothing was snapshotted: name the one you mean by its ARN (RDS) or project:region:instance (Cloud SQL) and ask again`,
        ),
        ...problems,
      ],
      unread,
      ambiguous,
    };
  }
  deps.logger?.info('snapshot request', { requestId: request.requestId, targets: targets.length });
  const results = await takeSnapshots(request, targets, {
    policy: waitEndingBy(
      waitLeftAfterSetUp(deps.policy.snapshots, now().getTime() - Date.parse(startedAt)),
      now(),
      deps.waitEndsBy,
    ),
    backendFor: snapshotBackendFor(deps.clouds),
    keyReader: snapshotKeyReader(deps.clouds),
    manualSnapshots,
    now,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
    ...(deps.onPollFailure ? { onPollFailure: deps.onPollFailure } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.runRecords ? { runRecords: deps.runRecords } : {}),
    ...(deps.firstAcceptedAt ? { firstAcceptedAt: deps.firstAcceptedAt } : {}),
  });
  const finishedAt = now();
  const judged = results.map((result) =>
    staleAdoption(result, Date.parse(startedAt), finishedAt, deps.policy.snapshots.readinessMaxAgeHours),
  );
  return {
    requestId: request.requestId,
    requestedTargets: requestedTargets(request),
    startedAt,
    finishedAt: finishedAt.toISOString(),
    results: judged,
    counts: countsOf(judged),
    problems,
    unread,
  };
}

/**
 * `snapshots` with the wait shortened by as much as the run's set-up (`setUpMs`) outlasted
 * {@link SNAPSHOT_SETUP_BOUND_MS}: the wait ends at most that bound plus `waitMinutes` after the run
 * started, so the run ends within the claim it holds on its request (snapshotRunBoundMs).
 */
function waitLeftAfterSetUp(snapshots: SnapshotsPolicy, setUpMs: number): SnapshotsPolicy {
  const overrunMs = setUpMs - SNAPSHOT_SETUP_BOUND_MS;
  if (!(overrunMs > 0)) return snapshots;
  return { ...snapshots, waitMinutes: Math.max(0, snapshots.waitMinutes - overrunMs / 60_000) };
}

/**
 * A result whose snapshot an earlier run of the same request took (a ticket asked again days
 * later: the name derives from the request id, so it is adopted, never taken twice) is not this
 * request's pre-maintenance snapshot when it is older than readiness accepts, or cannot be dated:
 * it is reported as `SnapshotStale` (nothing new was taken), not as available. A remembered result
 * replayed to a later ask is judged again the same way at that time (snapshot-once.ts).
 */
export function staleAdoption(
  result: SnapshotTargetResult,
  startedAt: number,
  now: Date,
  maxAgeHours: number,
): SnapshotTargetResult {
  if (result.outcome !== 'available') return result;
  const created = result.createdAt === undefined ? Number.NaN : Date.parse(result.createdAt);
  const fix =
    'no second snapshot is taken under the same request id; ask again with a new ticket or request id for a fresh one';
  if (Number.isNaN(created)) {
    if (result.attempts > 0) return result;
    return {
      ...result,
      outcome: 'error',
      error: {
        code: 'SnapshotStale',
        message: `${result.snapshotId} was taken by an earlier run of this request and its creation time is unknown; ${fix}.`,
      },
    };
  }
  const ageHours = (now.getTime() - created) / HOUR_MS;
  if (created >= startedAt - CLOCK_SKEW_TOLERANCE_MS || ageHours <= maxAgeHours) return result;
  return {
    ...result,
    outcome: 'error',
    error: {
      code: 'SnapshotStale',
      message: `${result.snapshotId} was taken ${hoursAgainstLimit(ageHours, maxAgeHours)} h ago by an earlier run of this request, older than snapshots.readinessMaxAgeHours (${maxAgeHours} h); ${fix}.`,
    },
  };
}

/** The fix every replayed snapshot that no longer proves anything names. */
const ASK_AGAIN =
  'no second snapshot is taken under the same request id; ask again with a new ticket or request id for a fresh one';

/**
 * A remembered result's snapshots read again before the result is replayed (functions/jobs/
 * snapshot-once.ts): the record says what a run found then, not that the snapshot still exists.
 * One pruned since, deleted by hand, or no longer `available` would otherwise be replayed as
 * restorable, a GO nothing proves. Each snapshot the result calls available (or created, not
 * awaited) is read once by its identifier, all in parallel (RDS DescribeDBSnapshots /
 * DescribeDBClusterSnapshots, Cloud SQL backupRuns.get: {@link SnapshotBackend.describe}):
 * - gone: `SnapshotGone`, naming it and the remedy (a new ticket or request id);
 * - there but not available (being deleted, failed): `SnapshotNotAvailable`; a created one still
 *   creating stays as remembered;
 * - a read that fails, or a snapshot in an account this run cannot read ({@link SnapshotCloud.reaches}:
 *   its listing there would be another account's): `SnapshotNotVerified`: not proven, so not
 *   available (asking again reads again);
 * - there, but its KMS key since made unusable (`SnapshotKeyUnusable`) or not read
 *   (`SnapshotKeyNotVerified`), as a run checks the snapshots it takes (functions/actions/snapshot/
 *   run.ts `withKeyChecked`: each distinct key described once for the replay);
 * - with `selection` (the policy's targets), there but of an earlier database of that name: a
 *   database deleted and created again under the same identifier since the request took it has
 *   another resource id ({@link incarnationOf}), and the snapshot proves nothing about it:
 *   `SnapshotOfEarlierDatabase`, saying a new request id is needed (the same one would only adopt
 *   the earlier snapshot's name, `SnapshotNameTaken`); the database not read now, not found, or
 *   its resource id (a Cloud SQL instance: its createTime) not sent: `SnapshotNotVerified`. Each cloud's databases are read once
 *   ({@link SnapshotCloud.targets}), alongside the snapshot reads.
 * Results with another outcome are returned as they are, without a call. `requestId`: the request
 * the results are of (the snapshots' `request-id` tag).
 */
export async function confirmReplayedSnapshots(
  results: readonly SnapshotTargetResult[],
  clouds: readonly SnapshotCloud[],
  selection?: Policy['targets'],
  requestId?: string,
): Promise<SnapshotTargetResult[]> {
  const backendOf = snapshotBackendFor(clouds);
  const keyReader = snapshotKeyReader(clouds);
  const databasesNow = databasesReader(clouds, selection);
  return Promise.all(
    results.map(async (result): Promise<SnapshotTargetResult> => {
      if (!snapshotDelivered(result) || result.snapshotId === undefined) return result;
      const snapshotId = result.snapshotId;
      // Started before the snapshot is read, so the two reads overlap.
      const database = databasesNow?.(result.target);
      database?.catch(() => undefined);
      const unproven = (code: string, message: string): SnapshotTargetResult => ({
        ...result,
        outcome: 'error',
        error: { code, message },
      });
      let backend: SnapshotBackend | undefined;
      let state: Awaited<ReturnType<SnapshotBackend['describe']>>;
      try {
        const cloud = cloudOf(clouds, result.target.provider);
        if (cloud?.reaches && !(await cloud.reaches(result.target.account))) {
          // Read with other credentials, the listing would be another account's: empty, and no
          // proof that the snapshot is gone.
          return unproven(
            'SnapshotNotVerified',
            `${snapshotId} is in ${result.target.provider} account ${result.target.account}, which this run cannot read (neither its own account nor one of the policy's member accounts), so nothing proves it still exists; ask where that account is read, or with a new ticket or request id for a fresh snapshot.`,
          );
        }
        backend = backendOf(result.target);
        // The request it was taken for (another one's when this request waited for it): a Cloud SQL
        // run is told from one carrying its id under another request by it (SnapshotRef.requestId).
        const takenFor = result.takenBy ?? requestId;
        state = await backend.describe({
          id: snapshotId,
          kind: result.target.kind,
          target: result.target.id,
          ref: result.snapshotRef,
          ...(takenFor === undefined ? {} : { requestId: takenFor }),
        });
      } catch (error) {
        const code = backend?.codeOf(error);
        return unproven(
          'SnapshotNotVerified',
          `${snapshotId} could not be read again (${code ? `${code}: ` : ''}${describeError(error)}), so nothing proves it still exists; ask again later to read it again, or with a new ticket or request id for a fresh snapshot.`,
        );
      }
      if (state === undefined) {
        return unproven(
          'SnapshotGone',
          `${snapshotId} no longer exists (deleted since this request took it, by pruning or by hand); ${ASK_AGAIN}.`,
        );
      }
      if (state.status === 'available' || (result.outcome === 'creating' && state.status === 'creating')) {
        if (database) {
          const earlier = notOfTheDatabaseNow(result, state, await database);
          if (earlier) return unproven(earlier.code, earlier.message);
        }
        // The key as the snapshot names it now; a usable one replays the result as remembered.
        const current: SnapshotTargetResult = {
          ...result,
          ...(state.encrypted === undefined ? {} : { encrypted: state.encrypted }),
          ...(state.kmsKeyId ? { kmsKeyId: state.kmsKeyId } : {}),
          ...(state.kmsKeyVersion ? { kmsKeyVersion: state.kmsKeyVersion } : {}),
        };
        const checked = await withKeyChecked(current, keyReader, new Date());
        return checked === current ? result : checked;
      }
      return unproven(
        'SnapshotNotAvailable',
        `${snapshotId} is ${state.status} now, not available; ${ASK_AGAIN}.`,
      );
    }),
  );
}

/** The database that has a target's name now, as {@link SnapshotCloud.targets} found it. */
type DatabaseNow =
  | { readonly found: DatabaseIncarnation }
  | { readonly unread: string }
  | { readonly missing: true };

/**
 * `databaseNow(target)`: the database named like `target` in the clouds now, each cloud's
 * `selection` read once for the reader's life (one replay). Undefined without a selection.
 */
function databasesReader(
  clouds: readonly SnapshotCloud[],
  selection: Policy['targets'] | undefined,
): ((target: SnapshotTarget) => Promise<DatabaseNow>) | undefined {
  if (selection === undefined) return undefined;
  const readingOf = perCloud(clouds, (cloud) => cloud.targets(selection));
  return async (target) => {
    const reading = readingOf(target.provider);
    if (!reading) return { unread: `no ${target.provider} clients were configured` };
    let found: FoundTargets;
    try {
      found = await reading;
    } catch (error) {
      return { unread: describeError(error) };
    }
    const wanted = targetKey(target);
    const database = found.targets.find(
      (candidate) => candidate.kind === target.kind && targetKey(candidate) === wanted,
    );
    if (database) return { found: database };
    // A scope not read may hold it: not read, rather than not found.
    if (found.problems.length > 0) return { unread: found.problems.join('; ') };
    return { missing: true };
  };
}

/**
 * Why a replayed snapshot, still there, is not proven to be of the database that has its target's
 * name now; undefined when it is. The snapshot's source resource id is the one the cloud sends now;
 * where it sends none, the one the request's run recorded of the database it snapshotted.
 */
function notOfTheDatabaseNow(
  result: SnapshotTargetResult,
  state: BackendSnapshot,
  database: DatabaseNow,
): { readonly code: string; readonly message: string } | undefined {
  const snapshotId = result.snapshotId ?? state.id;
  const name = result.target.id;
  const remedy = 'ask again later to read it again, or with a new ticket or request id for a fresh snapshot';
  if ('unread' in database) {
    return {
      code: 'SnapshotNotVerified',
      message: `${snapshotId} exists, but the database ${name} could not be read now (${database.unread}), so nothing proves the snapshot is of the database that has that name now; ${remedy}.`,
    };
  }
  if ('missing' in database) {
    return {
      code: 'SnapshotNotVerified',
      message: `${snapshotId} exists, but the database ${name} was not found now among the databases the policy selects (targets.tags, targets.identifiers, targets.all): deleted, renamed or no longer selected, so the snapshot proves nothing of a database there now; ${remedy}.`,
    };
  }
  const taken = {
    sourceResourceId:
      state.sourceResourceId ??
      (RESOURCE_ID_FIELD[result.target.kind] ? result.target.resourceId : undefined),
    createdAt: state.createdAt ?? (result.createdAt ? new Date(result.createdAt) : undefined),
  };
  const incarnation = incarnationOf(taken, database.found);
  if (incarnation.match === 'same') return undefined;
  if (incarnation.match === 'unknown') {
    return { code: 'SnapshotNotVerified', message: `${snapshotId} ${incarnation.reason}; ${remedy}.` };
  }
  return {
    code: 'SnapshotOfEarlierDatabase',
    message: `${snapshotId} ${incarnation.reason}: the database was deleted and created again since this request took it. No snapshot is taken under a request id already used; ask again with a new ticket or request id to snapshot the database that has that name now.`,
  };
}

/**
 * Whether a target's result is what its request asked for: the snapshot is available, or (a request
 * that does not wait) its create was accepted. A snapshot still creating when the wait ended
 * (`DeadlineExceeded`) was only requested: nothing proves it restorable.
 */
export function snapshotDelivered(
  entry: Pick<SnapshotJobResult['results'][number], 'outcome' | 'error'>,
): boolean {
  return entry.outcome === 'available' || (entry.outcome === 'creating' && entry.error === undefined);
}

/**
 * How many targets did not get their snapshot, judged as the job's exit code judges them
 * ({@link snapshotDelivered}): failed, busy, over quota, an API error, stale, and a snapshot still
 * creating when the wait ended (DeadlineExceeded: nothing proves it restorable).
 */
export function snapshotsNotDelivered(
  results: readonly Pick<SnapshotJobResult['results'][number], 'outcome' | 'error'>[],
): number {
  return results.filter((entry) => !snapshotDelivered(entry)).length;
}

/**
 * Codes of our own that a later run could change: a snapshot still creating when the wait ended
 * (`DeadlineExceeded`: adopted and awaited again), a snapshot or its key that could not be read
 * (`SnapshotNotVerified`, `SnapshotKeyNotVerified`: read again). Any other code of ours names
 * something a later run would report again (`SnapshotNameTaken`, `SnapshotStale`,
 * `SnapshotAttemptsExhausted`, `SnapshotGone`, `SnapshotKeyUnusable`, `SnapshotOfEarlierDatabase`,
 * `SnapshotOnBackupPlan`: their messages say what to fix and to ask with a new ticket or request id).
 */
const PASSING_CODES = new Set(['DeadlineExceeded', 'SnapshotNotVerified', 'SnapshotKeyNotVerified']);

/**
 * Whether a target without its snapshot is worth asking about again as it is: a later run of the
 * same request could deliver it with nothing fixed first. A snapshot that ended failed (or is being
 * deleted) with attempts left ({@link MAX_SNAPSHOT_ATTEMPTS}: it takes the next one), a database
 * busy until the deadline, a snapshot still creating then or not read, and a cloud error that passes
 * on its own (throttling, a 5xx, a timeout: core/errors.ts `isTransient`). Not: access denied, the
 * database's state, not found, the snapshot quota, or a refusal of ours: asking again repeats them
 * until their cause is fixed. A delivered target is not.
 */
export function worthRetrying(
  entry: Pick<SnapshotJobResult['results'][number], 'outcome' | 'error' | 'snapshotAttempt'>,
): boolean {
  if (snapshotDelivered(entry)) return false;
  if (entry.outcome === 'busy') return true;
  if (entry.outcome === 'failed') {
    return entry.error?.code === 'SnapshotFailed' && (entry.snapshotAttempt ?? 1) < MAX_SNAPSHOT_ATTEMPTS;
  }
  const code = entry.error?.code;
  return code !== undefined && (PASSING_CODES.has(code) || isTransient(code));
}

/**
 * The places a remembered result records as not read before results said so themselves
 * ({@link SnapshotJobResult.unread}): told by the words the snapshot clouds wrote then (`…: not
 * read (…)`, `…: targets not read (…)`, `… could not be told: looking it up failed …`). Only such
 * a record, whose words are fixed, is read this way; every result made now says which problems are
 * places not read where each is made.
 */
function unreadOf(result: Pick<SnapshotJobResult, 'problems' | 'unread'>): readonly string[] {
  return (
    result.unread ??
    result.problems.filter((problem) => / not read \(|could not be told: looking it up failed/.test(problem))
  );
}

/**
 * Whether a later run of the same request could deliver what this result did not with nothing
 * fixed first: some target {@link worthRetrying}, or a place that could not be read
 * ({@link SnapshotJobResult.unread}). The same request asked again after such a result runs once more
 * (functions/jobs/snapshot-once.ts); a run adopts the snapshots it made, so nothing is taken twice.
 * A result whose every failure needs a fix first (access denied, the database's state, not found,
 * the quota) is replayed: fix it, then ask with a new ticket or request id.
 */
export function retriesLater(result: Pick<SnapshotJobResult, 'results' | 'problems' | 'unread'>): boolean {
  return unreadOf(result).length > 0 || result.results.some(worthRetrying);
}

/**
 * 0 every target available (or created when not waiting); 1 some target did not get its snapshot
 * (failed, busy until the deadline, still creating at the deadline, over quota, an API error); 2 the
 * request could not complete: nothing to snapshot, a region or project not read, or a named target
 * not found.
 */
export function snapshotExitCode(result: SnapshotJobResult): number {
  if (result.results.length === 0 || result.problems.length > 0) return EXIT_CODES.incomplete;
  const bad = result.results.some((entry) => !snapshotDelivered(entry));
  return bad ? EXIT_CODES.failed : EXIT_CODES.ok;
}
