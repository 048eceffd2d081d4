/**
 * Take pre-maintenance snapshots of a set of targets and (optionally) wait until each is restorable.
 *
 * Per scope (provider x account x region), in parallel:
 * 1. quota: count the manual snapshots and refuse, target by target, what would exceed the quota,
 *    saying how many exist, how many are ours and what to do;
 * 2. create each snapshot, tagged at creation; a snapshot of the same name (a re-run, also one
 *    after a run that died between its create and its record) is adopted, never doubled, and
 *    recorded only when proven the request's (`recordAdoptions`); a target
 *    the request has no snapshot of yet, whose snapshot of ours another request is still creating
 *    young enough for readiness, waits for that one instead of taking a second (`planTarget`). When the request's own snapshot of a target ended failed or is being deleted,
 *    one more attempt is taken under its own name (`-a2`, `-a3`: the next after the highest of ours
 *    that exists), up to {@link MAX_SNAPSHOT_ATTEMPTS}; past that the attempts are reported, none taken. Every scope makes its first attempts before any scope starts polling, so the
 *    polls of an early region do not delay the creates of a later one (each snapshot's time runs
 *    from its create). A target refused in a state it does not leave on its own (stopped,
 *    storage-full: the backend's `unavailable`) is answered at once, naming the state. A busy
 *    target is retried with backoff until the deadline, then reported as
 *    busy; each retry first looks for the request's snapshot, which another delivery of the same
 *    request may have taken meanwhile, and adopts it; its retries never hold up the polling of the
 *    scope's other snapshots;
 * 3. wait: poll all pending snapshots of the scope in one batch per round, each wait a share of the
 *    time waited so far (`nextPollDelay`: at least `pollInitialSeconds`, at most `pollMaxSeconds`),
 *    until every one is available or failed, or the deadline.
 * One target's failure never stops the others.
 */
import { setTimeout as sleepMs } from 'node:timers/promises';
import { describeError, errorCode, isUnexplainedExhaustion } from '../../core/errors.ts';
import type { StructuredLogger } from '../../core/logging.ts';
import { shellWord } from '../../core/shell-word.ts';
import type { SnapshotsPolicy } from '../../core/snapshots-policy.ts';
import { DAY_MS } from '../../core/time.ts';
import {
  type BackendSnapshot,
  type CreateErrorKind,
  definedFields,
  listedForRequest,
  type ManualListing,
  type SnapshotBackend,
} from './backend.ts';
import {
  beingCreated,
  createTimeCommand,
  createTimeNotSent,
  incarnationOf,
  RESOURCE_ID_FIELD,
} from './identity.ts';
import { judgeSnapshotKey, type snapshotKeyReader } from './keys.ts';
import {
  expiryOf,
  freeTextTags,
  isOurs,
  MAX_SNAPSHOT_ATTEMPTS,
  pollDelay,
  RATE_LIMIT_OR_QUOTA_EXPLANATION,
  SNAPSHOT_PURPOSE,
  SNAPSHOT_TAGS,
  type SnapshotKind,
  type SnapshotRequest,
  type SnapshotTarget,
  type SnapshotTargetResult,
  snapshotIdentifier,
  snapshotTags,
  targetKey,
  waitText,
} from './model.ts';
import { runRecordKeepUntil, type SnapshotRunRecord, type SnapshotRunRecordStore } from './run-records.ts';

/** Progress of one target, for CLI stderr, chat updates and logs. */
export interface SnapshotProgress {
  readonly target: SnapshotTarget;
  readonly stage: 'creating' | 'busy-retry' | 'waiting' | 'done';
  readonly message: string;
}

/**
 * A read of the awaited snapshots' states that failed while the run waited: the whole poll of a
 * scope, or the own reads of some of its snapshots (a backend that reads each one alone). The run
 * polls them again at the next round until the deadline; the answer names the last failed read of
 * a snapshot still open at the deadline.
 */
export interface SnapshotPollFailure {
  /** The targets whose snapshots were not read. */
  readonly targets: readonly SnapshotTarget[];
  /** The API's error code (the backend's `codeOf`) and message. */
  readonly code: string;
  readonly message: string;
  /**
   * How many polls of the scope in a row have failed with this code and message, this one included:
   * 1 for the first of a run of like failures (a poll that read them, or failed otherwise, ends it).
   */
  readonly inARow: number;
}

export interface TakeSnapshotsDependencies {
  readonly policy: SnapshotsPolicy;
  readonly backendFor: (scope: { provider: string; account: string; region: string }) => SnapshotBackend;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onProgress?: (progress: SnapshotProgress) => void;
  /** Each failed read of the awaited snapshots' states, as it happens (the CLI says it on stderr). */
  readonly onPollFailure?: (failure: SnapshotPollFailure) => void;
  readonly logger?: StructuredLogger;
  /** Manual snapshots listed while the targets were found; a scope and kind without one is listed here. */
  readonly manualSnapshots?: readonly ManualListing[];
  /**
   * Reads the key of each snapshot delivered (functions/actions/snapshot/keys.ts
   * `snapshotKeyReader`, one per run); without it keys are not checked.
   */
  readonly keyReader?: ReturnType<typeof snapshotKeyReader>;
  /**
   * Where each snapshot created is recorded as ours (./run-records.ts): prune deletes only a
   * snapshot a run record names. Without it none is recorded, and prune keeps them.
   */
  readonly runRecords?: Pick<SnapshotRunRecordStore, 'write' | 'where'>;
  /**
   * When this request was first accepted (functions/jobs/snapshot-once-table.ts: the start of the
   * idempotency record an earlier run of it left, else this ask's arrival); absent: when this run
   * started. The request's own snapshot a run adopts (an earlier run created it, then died or timed
   * out before its record) is recorded only when the cloud created it no earlier: its name derives
   * from the request id and its tags are anyone's to write, so a snapshot made before the request
   * existed was not taken by it ({@link recordAdoptions}).
   */
  readonly firstAcceptedAt?: Date;
}

/** Why a target could not get a snapshot because of the quota, and what to do. */
export function quotaMessage(args: {
  region: string;
  kind: SnapshotKind;
  existing: number;
  ours: number;
  expiredOurs: number;
  needed: number;
  quota: number;
}): string {
  const what = args.kind === 'aurora-cluster' ? 'manual DB cluster snapshots' : 'manual DB snapshots';
  return (
    `${args.region} holds ${args.existing} ${what} of a quota of ${args.quota} (${args.ours} made by backup-guard, ` +
    `${args.expiredOurs} of them past expiry); this request needs ${args.needed} more. ${quotaAdvice(args.kind)}`
  );
}

/** What to do about a full manual-snapshot quota of `kind`. */
function quotaAdvice(kind: SnapshotKind): string {
  return (
    `Run 'backup-guard prune --apply' to delete expired ones (it keeps, and lists, those no run record of ours names: delete them by hand once you know they are ours), delete other manual snapshots, or raise the RDS quota ` +
    `"${kind === 'aurora-cluster' ? 'Manual DB cluster snapshots' : 'Manual DB instance snapshots'}" in Service Quotas and set snapshots.quotaPerRegion.`
  );
}

interface Pending {
  readonly target: SnapshotTarget;
  readonly startedAt: number;
  attempts: number;
  snapshot: BackendSnapshot;
  readonly naming: Naming;
}

/** Which of the request's snapshots of a target this is, and its earlier ones (ended failed or deleted). */
interface Naming {
  readonly attempt: number;
  readonly earlier: readonly BackendSnapshot[];
  /**
   * The request whose snapshot this is, when it is another request's that was still being created
   * (its `request-id` tag): waited for instead of taking a second one ({@link planTarget}).
   */
  readonly takenBy?: string;
}

const FIRST: Naming = { attempt: 1, earlier: [] };

export async function takeSnapshots(
  request: SnapshotRequest,
  targets: readonly SnapshotTarget[],
  deps: TakeSnapshotsDependencies,
): Promise<SnapshotTargetResult[]> {
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => sleepMs(ms).then(() => undefined));
  // The wait begins here, after the caller's set-up (finding the targets, claiming the request):
  // the deadline, and the answers that name it ("after the wait began"), count from now.
  const deadline = now().getTime() + deps.policy.waitMinutes * 60_000;
  const expiresAt = new Date(now().getTime() + deps.policy.expiryDays * DAY_MS);
  const tags = snapshotTags(request, expiresAt);
  const scopes = new Map<string, SnapshotTarget[]>();
  for (const target of targets) {
    const key = `${target.provider}/${target.account}/${target.region}`;
    scopes.set(key, [...(scopes.get(key) ?? []), target]);
  }
  const listed = new Map(
    (deps.manualSnapshots ?? []).map((listing) => [
      listingKey(listing, listing.kind),
      listing.snapshots as BackendSnapshot[],
    ]),
  );
  const context: ScopeContext = {
    request,
    tags,
    deadline,
    now,
    sleep,
    deps,
    listed,
    recorded: new Map(),
    adopted: [],
    reused: [],
    firstAcceptedAt: deps.firstAcceptedAt ?? now(),
  };
  // Every scope's first attempts, then every scope's waiting (see the module comment).
  const prepared = await Promise.all(
    [...scopes.values()].map((scopeTargets) => prepareScope(scopeTargets, context)),
  );
  const perScope = await Promise.all(prepared.map((scope) => finishScope(scope, context)));
  const byTarget = new Map(perScope.flat().map((result) => [result.target, result]));
  const results = await recordAdoptions(
    notVerifiedAdoptions(
      targets.map((target) => byTarget.get(target) as SnapshotTargetResult),
      context,
    ),
    context,
  );
  await recordRefs(results, context);
  const { keyReader } = deps;
  const at = now();
  return keyReader ? Promise.all(results.map((result) => withKeyChecked(result, keyReader, at))) : results;
}

/**
 * A delivered snapshot (available, or created when not waiting) checked for its key at `now`: one
 * whose key cannot decrypt (pending deletion, disabled, its imported key material expired, …) is not
 * restorable, `SnapshotKeyUnusable`; one whose
 * key could not be read, or whose state proves nothing, is not proven, `SnapshotKeyNotVerified`
 * (functions/actions/snapshot/keys.ts). Either is reported as an error naming the key and what to do;
 * asking again reads the key again. Other results are returned as they are.
 */
export async function withKeyChecked(
  result: SnapshotTargetResult,
  keyReader: NonNullable<TakeSnapshotsDependencies['keyReader']>,
  now: Date,
): Promise<SnapshotTargetResult> {
  const delivered = result.outcome === 'available' || (result.outcome === 'creating' && !result.error);
  if (!delivered || result.snapshotId === undefined) return result;
  const key = judgeSnapshotKey(
    await keyReader(result.target, {
      id: result.snapshotId,
      encrypted: result.encrypted,
      kmsKeyId: result.kmsKeyId,
      kmsKeyVersion: result.kmsKeyVersion,
    }),
    // Only material that has expired fails a delivery; the job reports no warnings, so no horizon.
    { now, horizonDays: 0 },
  );
  if (key.status === 'usable') return result;
  return {
    ...result,
    outcome: 'error',
    error: {
      code: key.status === 'unusable' ? 'SnapshotKeyUnusable' : 'SnapshotKeyNotVerified',
      message: `${result.snapshotId} was taken, but ${key.evidence}. ${key.action} Then ask again: the same request reads the key again.`,
    },
  };
}

interface ScopeContext {
  readonly request: SnapshotRequest;
  readonly tags: Readonly<Record<string, string>>;
  readonly deadline: number;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly deps: TakeSnapshotsDependencies;
  /** {@link TakeSnapshotsDependencies.manualSnapshots} by {@link listingKey}. */
  readonly listed: ReadonlyMap<string, BackendSnapshot[]>;
  /** The run records written for the snapshots this run created, by target and snapshot id. */
  readonly recorded: Map<string, SnapshotRunRecord>;
  /** The request's own snapshots this run adopted instead of creating ({@link recordAdoptions}). */
  readonly adopted: Pending[];
  /** Every snapshot this run adopted or waited for instead of creating ({@link notVerifiedAdoptions}). */
  readonly reused: Pending[];
  /** {@link TakeSnapshotsDependencies.firstAcceptedAt}, or when this run started. */
  readonly firstAcceptedAt: Date;
}

function listingKey(
  scope: { provider: string; account: string; region: string },
  kind: SnapshotKind,
): string {
  return `${scope.provider}/${scope.account}/${scope.region}/${kind}`;
}

/** A scope after its quota check and first create attempts: what is known, what to wait for. */
interface PreparedScope {
  readonly backend: SnapshotBackend | undefined;
  readonly results: SnapshotTargetResult[];
  readonly open: Pending[];
  readonly busy: Busy[];
}

/** A target whose create was refused because it was busy, and when it may be tried again. */
interface Busy {
  readonly target: SnapshotTarget;
  readonly startedAt: number;
  readonly attempts: number;
  readonly error: unknown;
  readonly naming: Naming;
}

type Attempt = Pending | SnapshotTargetResult | Busy;

/** A listing that failed, carrying the API's error as its cause. */
class ListingError extends Error {
  constructor(cause: unknown) {
    super('manual snapshots not listed', { cause });
    this.name = 'ListingError';
  }
}

/** A look for the request's snapshot before a busy retry that failed; its cause is the API's error. */
class LookError extends Error {
  constructor(snapshotId: string, cause: unknown) {
    super(`the look for ${snapshotId} before retrying failed (${describeError(cause)})`, { cause });
    this.name = 'LookError';
  }
}

const isResult = (attempt: Attempt): attempt is SnapshotTargetResult => 'outcome' in attempt;
const isPending = (attempt: Attempt): attempt is Pending => 'snapshot' in attempt;

/** Quota, adoption of this request's existing snapshots, and one create attempt per target. */
async function prepareScope(
  scopeTargets: readonly SnapshotTarget[],
  context: ScopeContext,
): Promise<PreparedScope> {
  const first = scopeTargets[0] as SnapshotTarget;
  const { deps, now } = context;
  const results: SnapshotTargetResult[] = [];
  let backend: SnapshotBackend;
  try {
    backend = deps.backendFor({ provider: first.provider, account: first.account, region: first.region });
  } catch (error) {
    return {
      backend: undefined,
      results: scopeTargets.map((target) => errorResult(target, now().getTime(), now, 0, error)),
      open: [],
      busy: [],
    };
  }
  const toCreate: { target: SnapshotTarget; naming: Naming }[] = [];
  const open: Pending[] = [];
  // A target whose snapshots the backend does not take is answered now: nothing listed or written.
  const targets = scopeTargets.filter((target) => {
    const refusal = backend.refusal?.(target);
    if (refusal) {
      results.push(
        errorResult(target, now().getTime(), now, 0, new Error(refusal.message), () => refusal.code),
      );
    }
    return refusal === undefined;
  });
  // Quota, and snapshots of this request that exist already (a re-run after the idempotency record
  // expired), from each kind's listing: the one made with the targets, else one now, kinds at once.
  // A backend that lists per target (Cloud SQL) is asked for each target apart, so a listing that
  // fails leaves only its own target without a snapshot (it has no quota to count the scope for).
  const kinds = [...new Set(targets.map((target) => target.kind))];
  const listOf = (kind: SnapshotKind, ofKind: SnapshotTarget[]) =>
    backend.listManual(kind, ofKind).then(
      (existing) => ({ kind, ofKind, existing }),
      (error: unknown) => ({ kind, ofKind, existing: new ListingError(error) }),
    );
  const perTarget = backend.listsPerTarget === true && !backend.quotaApplies;
  const listings = (
    await Promise.all(
      kinds.map(async (kind) => {
        const ofKind = targets.filter((target) => target.kind === kind);
        const known = context.listed.get(listingKey(first, kind));
        if (known) return [{ kind, ofKind, existing: known }];
        if (perTarget) return Promise.all(ofKind.map((target) => listOf(kind, [target])));
        return [await listOf(kind, ofKind)];
      }),
    )
  ).flat();
  for (const { kind, ofKind, existing } of listings) {
    if (existing instanceof ListingError) {
      results.push(
        ...ofKind.map((target) =>
          errorResult(target, now().getTime(), now, 0, existing.cause, backend.codeOf),
        ),
      );
      continue;
    }
    const byId = new Map<string, BackendSnapshot[]>();
    for (const snapshot of existing) {
      const id = snapshot.id.toLowerCase();
      byId.set(id, [...(byId.get(id) ?? []), snapshot]);
    }
    const fresh: { target: SnapshotTarget; naming: Naming }[] = [];
    for (const target of ofKind) {
      const plan = planTarget(
        target,
        context.request,
        byId,
        (candidate) =>
          beingCreated(existing, candidate, now(), deps.policy.readinessMaxAgeHours, deps.policy.expiryDays),
        (snapshot) =>
          listedForRequest(backend, snapshot.tags[SNAPSHOT_TAGS.requestId], context.request.requestId),
      );
      if ('refused' in plan) results.push(nameTaken(target, now().getTime(), now, 0, plan.refused));
      else if ('exhausted' in plan) results.push(exhausted(target, now().getTime(), now, 0, plan.exhausted));
      else if ('adopt' in plan) {
        if (plan.naming.takenBy !== undefined) {
          reportProgress(deps, {
            target,
            stage: 'waiting',
            message: `waiting for ${plan.adopt.id}, which request ${plan.naming.takenBy} is creating, instead of taking a second snapshot`,
          });
        }
        const entry: Pending = {
          target,
          startedAt: now().getTime(),
          attempts: 0,
          snapshot: plan.adopt,
          naming: plan.naming,
        };
        open.push(plan.naming.takenBy === undefined ? adoptedOwn(entry, context) : reused(entry, context));
      } else fresh.push({ target, naming: plan.create });
    }
    if (!backend.quotaApplies) {
      toCreate.push(...fresh);
      continue;
    }
    const capacity = Math.max(0, deps.policy.quotaPerRegion - existing.length);
    toCreate.push(...fresh.slice(0, capacity));
    if (fresh.length > capacity) {
      const ours = existing.filter((snapshot) => isOurs(snapshot.tags));
      const expired = ours.filter((snapshot) => {
        const expiry = expiryOf(snapshot.tags[SNAPSHOT_TAGS.expiresAt]);
        return Number.isFinite(expiry) && expiry < now().getTime();
      });
      const message = quotaMessage({
        region: first.region,
        kind,
        existing: existing.length,
        ours: ours.length,
        expiredOurs: expired.length,
        needed: fresh.length - capacity,
        quota: deps.policy.quotaPerRegion,
      });
      deps.logger?.warn('snapshot quota would be exceeded', {
        region: first.region,
        kind,
        existing: existing.length,
      });
      for (const { target } of fresh.slice(capacity)) {
        results.push({
          target,
          outcome: 'quota',
          durationMs: 0,
          attempts: 0,
          error: { code: 'SnapshotQuotaExceeded', message },
        });
      }
    }
  }
  const busy: Busy[] = [];
  const attempts = await Promise.all(
    toCreate.map(({ target, naming }) => attemptCreate(target, now().getTime(), 1, backend, context, naming)),
  );
  for (const attempt of attempts) {
    if (isResult(attempt)) results.push(attempt);
    else if (isPending(attempt)) open.push(attempt);
    else busy.push(attempt);
  }
  return { backend, results, open, busy };
}

/**
 * The snapshot named `snapshotId` of the target's kind as the backend sees it now, if there is one.
 * `tags` are the request's (its `request-id`): where names are not unique (Cloud SQL descriptions),
 * only a snapshot tagged with them is this request's. A look that fails throws: it is not "none there".
 */
async function findSnapshot(
  snapshotId: string,
  target: SnapshotTarget,
  backend: SnapshotBackend,
  tags: Readonly<Record<string, string>>,
): Promise<BackendSnapshot | undefined> {
  const states = await backend.poll([
    { id: snapshotId, kind: target.kind, target: target.id, status: 'unknown', tags },
  ]);
  return states.find(
    (state) => state.kind === target.kind && state.id.toLowerCase() === snapshotId.toLowerCase(),
  );
}

/**
 * A snapshot of the request's name that exists already: refused when it is not this request's,
 * the next attempt when it ended failed, else adopted.
 */
function settleExisting(
  found: BackendSnapshot,
  target: SnapshotTarget,
  startedAt: number,
  attempts: number,
  backend: SnapshotBackend,
  context: ScopeContext,
  naming: Naming,
): Attempt | Promise<Attempt> {
  const refused = notAdoptable(found, target);
  if (refused) return nameTaken(target, startedAt, context.now, attempts, refused);
  if (endedFailed(found.status)) {
    // Ours, of this attempt, and failed (the listing did not show it): the next attempt.
    const next: Naming = { attempt: naming.attempt + 1, earlier: [...naming.earlier, found] };
    if (naming.attempt >= MAX_SNAPSHOT_ATTEMPTS) {
      return exhausted(target, startedAt, context.now, attempts, next.earlier);
    }
    return attemptCreate(target, startedAt, attempts + 1, backend, context, next);
  }
  return adoptedOwn({ target, startedAt, attempts, snapshot: found, naming }, context);
}

/**
 * One create: the snapshot (created or adopted), a final result, or a busy refusal. `lookFirst`
 * (a retry of a busy target) looks for the request's snapshot before creating it.
 */
async function attemptCreate(
  target: SnapshotTarget,
  startedAt: number,
  attempts: number,
  backend: SnapshotBackend,
  context: ScopeContext,
  naming: Naming = FIRST,
  lookFirst = false,
): Promise<Attempt> {
  const { now, deps } = context;
  const snapshotId = snapshotIdentifier(target, context.request.requestId, naming.attempt);
  if (lookFirst) {
    // A retry after a busy refusal: another delivery of the same request may have taken the
    // snapshot meanwhile (its create was what kept this one busy, as Cloud SQL runs one operation
    // per instance at a time), and Cloud SQL names are descriptions, not unique: adopt it, never
    // take a second one. A look that fails proves nothing either way: the target stays busy and
    // is looked at again next round (the deadline bounds it), never created blind.
    let found: BackendSnapshot | undefined;
    try {
      found = await findSnapshot(snapshotId, target, backend, context.tags);
    } catch (error) {
      return {
        target,
        startedAt,
        attempts,
        error: new LookError(snapshotId, error),
        naming,
      };
    }
    if (found) return settleExisting(found, target, startedAt, attempts, backend, context, naming);
  }
  reportProgress(deps, {
    target,
    stage: 'creating',
    message: `creating ${snapshotId}${naming.attempt > 1 ? ` (attempt ${naming.attempt} of ${MAX_SNAPSHOT_ATTEMPTS}: ${naming.earlier.map((snapshot) => snapshot.id).join(', ')} failed)` : ''}`,
  });
  try {
    const tags = backend.freeTextTags ? { ...context.tags, ...freeTextTags(context.request) } : context.tags;
    const snapshot = await backend.create(target, snapshotId, tags);
    await recordTaken(target, snapshot, context);
    return { target, startedAt, attempts, snapshot, naming };
  } catch (error) {
    const { kind, seen } = await classifyRefusal(error, target, backend);
    if (kind === 'exists') {
      // A look that fails leaves the create's own error as the answer (nothing was taken).
      const found = await findSnapshot(snapshotId, target, backend, context.tags).catch(() => undefined);
      if (found) return settleExisting(found, target, startedAt, attempts, backend, context, naming);
    }
    if (kind === 'quota') {
      // The count before the creates allowed it: the region's quota is lower than the policy says
      // (or another writer filled it meanwhile).
      const message = `${describeError(error)}: the region's quota is full before the snapshots.quotaPerRegion (${deps.policy.quotaPerRegion}) the policy allows. ${quotaAdvice(target.kind)}`;
      return {
        target,
        outcome: 'quota',
        durationMs: now().getTime() - startedAt,
        attempts,
        error: { code: backend.codeOf(error), message },
      };
    }
    if (kind === 'busy') {
      // The listing made before the creates may predate another request's create, whose snapshot
      // keeps the database busy now: looked for once, on the first refusal (a look that fails
      // leaves the target busy, retried as before).
      const other =
        attempts === 1 && naming.attempt === 1 && naming.earlier.length === 0
          ? await creatingElsewhere(target, backend, context)
          : undefined;
      // A duplicate delivery of this same request (a Slack retry, a second invocation) may be the
      // one whose create keeps the database busy: its snapshot, under this attempt's name, is this
      // request's own, adopted as such, never reported as "taken by request" itself. One tagged
      // with this request's id under another name is neither its own attempt nor another
      // request's: not adopted (the target stays busy, looked at again next round).
      const sameRequest =
        other !== undefined &&
        listedForRequest(backend, other.tags[SNAPSHOT_TAGS.requestId], context.request.requestId);
      if (other && sameRequest && other.id.toLowerCase() === snapshotId.toLowerCase()) {
        return adoptedOwn({ target, startedAt, attempts, snapshot: other, naming }, context);
      }
      if (other && !sameRequest)
        return reused({ target, startedAt, attempts, snapshot: other, naming: reusing(other) }, context);
      return { target, startedAt, attempts, error, naming };
    }
    if (kind === 'unavailable') {
      const message = `${target.id} is ${seen.status ?? 'not available'}, a state it does not leave on its own, so no snapshot was taken (${describeError(error)}). ${backend.unavailableAdvice?.(seen) ?? 'Make it available'}, then ask again.`;
      return errorResult(target, startedAt, now, attempts, new Error(message), () => backend.codeOf(error));
    }
    return errorResult(target, startedAt, now, attempts, error, backend.codeOf);
  }
}

/**
 * Record `snapshot`, just created, as ours (TakeSnapshotsDependencies.runRecords), kept past the
 * expiry its tags say. A record not written leaves the snapshot as good as any: it is said (a
 * progress line and a warning), not failed, and prune keeps it, saying why.
 */
async function recordTaken(
  target: SnapshotTarget,
  snapshot: BackendSnapshot,
  context: ScopeContext,
): Promise<void> {
  if (context.deps.runRecords === undefined) return;
  await writeRecord(runRecordOf(target, snapshot.id, snapshot.ref), target, context);
}

/** The run record that names `snapshotId` (`ref`, its ARN or backup run, when known) of `target`. */
function runRecordOf(target: SnapshotTarget, snapshotId: string, ref: string | undefined): SnapshotRunRecord {
  return {
    provider: target.provider,
    account: target.account,
    region: target.region,
    kind: target.kind,
    target: target.id,
    snapshotId,
    ref,
  };
}

/** `entry`, the request's own snapshot adopted instead of created, noted for {@link recordAdoptions}. */
function adoptedOwn(entry: Pending, context: ScopeContext): Pending {
  context.adopted.push(entry);
  return reused(entry, context);
}

/** `entry`, a snapshot adopted or waited for instead of created, noted for {@link notVerifiedAdoptions}. */
function reused(entry: Pending, context: ScopeContext): Pending {
  context.reused.push(entry);
  return entry;
}

/**
 * The results of snapshots this run adopted or waited for instead of creating, answered as not
 * verified (`SnapshotNotVerified`, as confirmReplayedSnapshots in functions/jobs/snapshot.ts answers
 * a replayed one) where they would say it delivered while nothing proves it of the database that has
 * the target's name now: adoption goes by name, and a database deleted and created again under that
 * name can get the same request id (a maintenance event's is its source, action and apply date), so
 * the snapshot may be the earlier database's. It is proven by the resource id the snapshot and the
 * database were sent with (a Cloud SQL instance: its createTime); one of them not sent proves
 * nothing either way ({@link incarnationOf} `unknown`). The message names what was not sent and the
 * command that shows it; nothing else is taken (the name is the request's), and asking again once it
 * is sent reads it again. A snapshot this run created itself (recorded by then) is of the database
 * now. Run before {@link recordAdoptions}, which records the adopted ones it proves this request's.
 */
function notVerifiedAdoptions(
  results: readonly SnapshotTargetResult[],
  context: ScopeContext,
): SnapshotTargetResult[] {
  return results.map((result) => {
    const delivered = result.outcome === 'available' || (result.outcome === 'creating' && !result.error);
    const snapshotId = result.snapshotId;
    if (!delivered || snapshotId === undefined) return result;
    if (context.recorded.has(recordedKey(result.target, snapshotId))) return result;
    const entry = context.reused.find(
      (candidate) =>
        candidate.target === result.target &&
        candidate.snapshot.id.toLowerCase() === snapshotId.toLowerCase(),
    );
    if (entry === undefined || incarnationOf(entry.snapshot, result.target).match !== 'unknown')
      return result;
    return {
      ...result,
      outcome: 'error',
      error: { code: 'SnapshotNotVerified', message: notVerifiedMessage(entry.snapshot, result.target) },
    };
  });
}

/**
 * Why `snapshot`, found under the request's name, is not proven of `target` now, and how to see it:
 * every id that was not sent (an RDS snapshot's and its database's may both be missing: asking again
 * once only one is sent would be refused again), each with the command that shows it.
 */
function notVerifiedMessage(snapshot: BackendSnapshot, target: SnapshotTarget): string {
  const region = shellWord(target.region);
  const field = RESOURCE_ID_FIELD[target.kind];
  const cluster = target.kind === 'aurora-cluster';
  const missing: string[] = [];
  const commands: string[] = [];
  if (field === undefined) {
    missing.push(createTimeNotSent(target));
    commands.push(createTimeCommand(target.id, target.account));
  } else {
    if (snapshot.sourceResourceId === undefined) {
      missing.push(
        `its ${field} was not sent (${cluster ? 'DescribeDBClusterSnapshots' : 'DescribeDBSnapshots'})`,
      );
      commands.push(
        cluster
          ? `aws rds describe-db-cluster-snapshots --region ${region} --db-cluster-snapshot-identifier ${shellWord(snapshot.id)} --query 'DBClusterSnapshots[].DbClusterResourceId' --output text`
          : `aws rds describe-db-snapshots --region ${region} --db-snapshot-identifier ${shellWord(snapshot.id)} --query 'DBSnapshots[].DbiResourceId' --output text`,
      );
    }
    if (target.resourceId === undefined) {
      missing.push(
        `the database's ${field} was not sent${missing.length > 0 ? ' either' : ''} (${cluster ? 'DescribeDBClusters' : 'DescribeDBInstances'})`,
      );
      commands.push(
        cluster
          ? `aws rds describe-db-clusters --region ${region} --db-cluster-identifier ${shellWord(target.id)} --query 'DBClusters[].DbClusterResourceId' --output text`
          : `aws rds describe-db-instances --region ${region} --db-instance-identifier ${shellWord(target.id)} --query 'DBInstances[].DbiResourceId' --output text`,
      );
    }
  }
  const what = field === undefined ? 'backup run' : 'snapshot';
  const compare =
    field === undefined
      ? 'a backup run taken before the instance was created is of an earlier instance of that name'
      : `the snapshot is of the database there now only if it has the database's ${field}`;
  const see = commands.map((command) => `\`${command}\``).join(' and ');
  return `${snapshot.id} exists under this request's name (not taken by this run), but ${missing.join(' and ')}, so it cannot be told to be of the ${field === undefined ? 'instance' : 'database'} named ${target.id} now rather than of an earlier one of that name (deleted and created again under it), and it is not reported as its ${what}; see ${commands.length > 1 ? 'them' : 'it'} with ${see} (${compare}). Ask again once ${missing.length > 1 ? 'both are' : 'it is'} sent to read ${missing.length > 1 ? 'them' : 'it'} again, or with a new ticket or request id for a fresh snapshot.`;
}

/**
 * Record the request's own snapshots this run adopted (an earlier run of the request created them,
 * then died or timed out before writing their records), as last seen, when each is proven taken by
 * this request: the cloud's own creation time (not a tag) no earlier than the request's first
 * acceptance, of the requested database and told to be of the one there now (one answered
 * `SnapshotNotVerified` by {@link notVerifiedAdoptions} is not), not copied from elsewhere. Adoption goes by name and tags,
 * which anyone who may create snapshots can predict and write; a record is what lets prune delete a
 * snapshot and readiness count it as a restore point, so one not proven is not recorded, and its
 * result says why (`notRecorded`).
 */
async function recordAdoptions(
  results: readonly SnapshotTargetResult[],
  context: ScopeContext,
): Promise<SnapshotTargetResult[]> {
  const store = context.deps.runRecords;
  if (store === undefined || context.adopted.length === 0) return [...results];
  const why = new Map<SnapshotTargetResult, string>();
  await Promise.all(
    context.adopted.map(async ({ target, snapshot }) => {
      const key = recordedKey(target, snapshot.id);
      // Recorded already: this run created it after all (a create refused as existing, then found).
      if (context.recorded.has(key)) return;
      const result = results.find(
        (entry) => entry.target === target && entry.snapshotId?.toLowerCase() === snapshot.id.toLowerCase(),
      );
      if (result === undefined) return;
      const unproven = notTakenByRequest(snapshot, target, context.firstAcceptedAt);
      if (unproven !== undefined) {
        why.set(
          result,
          `adopted, not recorded: ${unproven}; prune keeps it (delete it by hand once you know whose it is)`,
        );
        context.deps.logger?.warn('adopted snapshot not recorded', { target: target.id, reason: unproven });
        return;
      }
      await writeRecord(
        runRecordOf(target, snapshot.id, snapshot.ref ?? result.snapshotRef),
        target,
        context,
      );
    }),
  );
  return results.map((result) => {
    const reason = why.get(result);
    return reason === undefined ? result : { ...result, notRecorded: reason };
  });
}

/**
 * Why `snapshot`, adopted as the request's own, is not proven taken by the request first accepted
 * at `firstAcceptedAt`, or undefined when it is (see {@link recordAdoptions}).
 */
function notTakenByRequest(
  snapshot: BackendSnapshot,
  target: SnapshotTarget,
  firstAcceptedAt: Date,
): string | undefined {
  if (snapshot.target.toLowerCase() !== target.id.toLowerCase()) {
    return `${snapshot.id} is of ${snapshot.target || 'a database the API does not name'}, not ${target.id}`;
  }
  const copiedFrom = [
    snapshot.sourceAccount !== undefined && snapshot.sourceAccount !== target.account
      ? `account ${snapshot.sourceAccount}`
      : undefined,
    snapshot.sourceRegion !== undefined && snapshot.sourceRegion !== target.region
      ? snapshot.sourceRegion
      : undefined,
  ].filter((part) => part !== undefined);
  if (copiedFrom.length > 0) {
    return `${snapshot.id} was copied from ${copiedFrom.join(' ')}, not taken of ${target.id} in ${target.region}`;
  }
  // Of an earlier database of that name, or not told to be of the one there now (a resource id or
  // createTime not sent: answered SnapshotNotVerified): a record would let prune delete a snapshot
  // nothing proves ours, so none is written and prune keeps it.
  const incarnation = incarnationOf(snapshot, target);
  if (incarnation.match === 'earlier') return `${snapshot.id}: ${incarnation.reason}`;
  if (incarnation.match === 'unknown') return `${snapshot.id} ${incarnation.reason}`;
  const accepted = firstAcceptedAt.toISOString();
  if (snapshot.createdAt === undefined) {
    return `the cloud did not say when ${snapshot.id} was created${snapshot.undatedBecause ? ` (${snapshot.undatedBecause})` : ''}, so it is not proven taken after this request was first accepted at ${accepted}`;
  }
  if (snapshot.createdAt.getTime() < firstAcceptedAt.getTime()) {
    return `the cloud created ${snapshot.id} at ${snapshot.createdAt.toISOString()}, before this request was first accepted at ${accepted}, so this request did not take it`;
  }
  return undefined;
}

/** The key of a snapshot of `target` among {@link ScopeContext.recorded}. */
function recordedKey(target: SnapshotTarget, snapshotId: string): string {
  return `${target.kind}:${targetKey(target)}/${snapshotId.toLowerCase()}`;
}

/** Write `record` of a snapshot of `target` (see {@link recordTaken}); a failure is said, not thrown. */
async function writeRecord(
  record: SnapshotRunRecord,
  target: SnapshotTarget,
  context: ScopeContext,
): Promise<void> {
  const store = context.deps.runRecords;
  if (store === undefined) return;
  const expiresAt = new Date(context.tags[SNAPSHOT_TAGS.expiresAt] ?? Number.NaN);
  context.recorded.set(recordedKey(target, record.snapshotId), record);
  try {
    await store.write(record, runRecordKeepUntil(expiresAt));
  } catch (error) {
    const message = `no run record of ${record.snapshotId} was written to ${store.where} (${describeError(error)}): prune will keep it past its expiry; delete it by hand then`;
    context.deps.logger?.warn('snapshot run record not written', { target: target.id, error: message });
    reportProgress(context.deps, { target, stage: 'creating', message });
  }
}

/**
 * The records of the snapshots this run created written again with the ARN or selfLink the results
 * name, where the create did not know it (a Cloud SQL backup run's number is known once its
 * operation names it): prune then tells our run from another carrying its id.
 */
async function recordRefs(results: readonly SnapshotTargetResult[], context: ScopeContext): Promise<void> {
  await Promise.all(
    results.map(async (result) => {
      if (result.snapshotId === undefined || result.snapshotRef === undefined) return;
      const record = context.recorded.get(recordedKey(result.target, result.snapshotId));
      if (record === undefined || record.ref !== undefined) return;
      await writeRecord({ ...record, ref: result.snapshotRef }, result.target, context);
    }),
  );
}

/**
 * How a create's refusal is treated, and the target as last seen. A `busy` refusal reads the
 * target's status again (SnapshotBackend.currentState): the status it was listed with may be
 * stale, and a database that has since stopped or run out of storage is answered at once instead
 * of retried until the deadline. A read that fails, or does not say, leaves the refusal busy.
 */
async function classifyRefusal(
  error: unknown,
  target: SnapshotTarget,
  backend: SnapshotBackend,
): Promise<{ kind: CreateErrorKind; seen: SnapshotTarget }> {
  const kind = backend.classify(error, target);
  if (kind !== 'busy' || !backend.currentState) return { kind, seen: target };
  const state = await backend.currentState(target).catch(() => undefined);
  if (state === undefined || state.status === target.status) return { kind, seen: target };
  // What the listing said of the old status (a suspension's reason) is not said of the new one.
  const { suspensionReasons: _listed, ...listed } = target;
  const seen: SnapshotTarget = { ...listed, ...state };
  return { kind: backend.classify(error, seen), seen };
}

/** Retry a busy target with backoff until it is created, fails otherwise, or the deadline comes. */
async function retryBusy(busy: Busy, backend: SnapshotBackend, context: ScopeContext): Promise<Attempt> {
  const { now, deps } = context;
  let attempt: Attempt = busy;
  while (!isResult(attempt) && !isPending(attempt)) {
    const { target, startedAt, attempts, error, naming } = attempt;
    const delay = pollDelay(now().getTime() - startedAt, deps.policy);
    if (now().getTime() + delay > context.deadline) {
      return {
        target,
        outcome: 'busy',
        durationMs: now().getTime() - startedAt,
        attempts,
        error: {
          code: backend.codeOf(error instanceof LookError ? error.cause : error),
          message: `still busy after ${attempts} attempts until the deadline, ${waitText(deps.policy.waitMinutes)} after the wait began: ${describeError(error)}. Retry once the database is available.`,
        },
      };
    }
    reportProgress(deps, {
      target,
      stage: 'busy-retry',
      message: `busy (${describeError(error)}); retrying in ${Math.round(delay)} ms`,
    });
    await context.sleep(delay);
    attempt = await attemptCreate(target, startedAt, attempts + 1, backend, context, naming, true);
  }
  return attempt;
}

/**
 * Wait for the scope's snapshots: one poll per round for every open snapshot, each wait a share of
 * the time waited so far; busy targets retry meanwhile and join the open ones once created.
 */
async function finishScope(scope: PreparedScope, context: ScopeContext): Promise<SnapshotTargetResult[]> {
  const { backend } = scope;
  if (!backend) return scope.results;
  const { now, deps } = context;
  const results = [...scope.results];
  const wait = context.request.wait ?? true;
  let open: Pending[] = [];
  const admit = (entry: Pending) => {
    if (isFinal(entry.snapshot.status) || !wait) results.push(resultOf(entry, now));
    else open.push(entry);
  };
  for (const entry of scope.open) admit(entry);
  let retrying = scope.busy.length;
  const retries = scope.busy.map((busy) =>
    retryBusy(busy, backend, context).then((attempt) => {
      retrying -= 1;
      if (isResult(attempt)) results.push(attempt);
      else if (isPending(attempt)) admit(attempt);
    }),
  );
  const waitingSince = now().getTime();
  // The error of each open snapshot's last read when it failed (the whole poll, or only its own read
  // while others were read): a snapshot still open at the deadline was then not seen `creating`,
  // only last seen so, and its answer names the read that failed.
  const readFailures = new Map<Pending, unknown>();
  // The snapshots a poll has returned: one of them missing from two later polls in a row that read
  // it without error no longer exists (deleted while awaited: it went from `creating` to gone). One
  // never returned yet may only not be listed yet after its create, and is awaited; one missed once
  // may be a listing that lagged, and is polled again.
  const seen = new Set<Pending>();
  const missed = new Set<Pending>();
  const pollFailures = pollFailureTeller(backend, deps);
  while (open.length > 0 || retrying > 0) {
    const delay = pollDelay(now().getTime() - waitingSince, deps.policy);
    const remaining = context.deadline - now().getTime();
    if (remaining <= 0) break;
    await context.sleep(Math.min(delay, remaining));
    if (open.length === 0) continue;
    let states: BackendSnapshot[];
    const polling = open;
    const failedNow = new Map<BackendSnapshot, unknown>();
    try {
      states = await backend.poll(
        polling.map((entry) => entry.snapshot),
        (snapshot, error) => failedNow.set(snapshot, error),
      );
    } catch (error) {
      // A failed poll is retried at the next round; the deadline bounds it.
      deps.logger?.warn('snapshot poll failed', { error: describeError(error) });
      for (const entry of polling) readFailures.set(entry, error);
      pollFailures(polling.map((entry) => ({ entry, error })));
      continue;
    }
    const failedReads: { entry: Pending; error: unknown }[] = [];
    for (const entry of polling) {
      if (!failedNow.has(entry.snapshot)) {
        readFailures.delete(entry);
        continue;
      }
      const error = failedNow.get(entry.snapshot);
      deps.logger?.warn('snapshot poll failed', { snapshot: entry.snapshot.id, error: describeError(error) });
      readFailures.set(entry, error);
      failedReads.push({ entry, error });
    }
    pollFailures(failedReads);
    // By kind and name: an RDS instance and an Aurora cluster of the same identifier get snapshots of
    // the same name (the name does not carry the kind), and one's state must not settle the other.
    const stateKey = (snapshot: BackendSnapshot) => `${snapshot.kind}/${snapshot.id.toLowerCase()}`;
    const byId = new Map(states.map((state) => [stateKey(state), state]));
    open = open.filter((entry) => {
      const state = byId.get(stateKey(entry.snapshot));
      if (state) {
        seen.add(entry);
        missed.delete(entry);
        entry.snapshot = { ...entry.snapshot, ...definedFields(state) };
      } else if (seen.has(entry) && !failedNow.has(entry.snapshot) && !missed.has(entry)) {
        missed.add(entry);
      } else if (seen.has(entry) && !failedNow.has(entry.snapshot)) {
        const { id, status } = entry.snapshot;
        reportProgress(deps, { target: entry.target, stage: 'done', message: `${id} gone` });
        results.push({
          ...resultOf(entry, now),
          outcome: 'error',
          error: {
            code: 'SnapshotGone',
            message: `${id} was last seen ${status} and is no longer there: deleted while this run waited for it (by hand or by another tool), so no snapshot of this request is restorable; ask again to take it again.`,
          },
        });
        return false;
      }
      if (isFinal(entry.snapshot.status)) {
        reportProgress(deps, {
          target: entry.target,
          stage: 'done',
          message: `${entry.snapshot.id} ${entry.snapshot.status}`,
        });
        results.push(resultOf(entry, now));
        return false;
      }
      return true;
    });
  }
  // Retries stop at the deadline themselves.
  await Promise.all(retries);
  const deadline = `the deadline, ${waitText(deps.policy.waitMinutes)} after the wait began`;
  for (const entry of open) {
    const { id, status } = entry.snapshot;
    const readFailure = readFailures.get(entry);
    results.push({
      ...resultOf(entry, now),
      error: {
        code: 'DeadlineExceeded',
        message: readFailures.has(entry)
          ? `${id} was last seen ${status}; the last read of its state before ${deadline}, failed (${backend.codeOf(readFailure)}: ${describeError(readFailure)}); it may still complete`
          : `${id} still ${status} at ${deadline}; it may still complete`,
      },
    });
  }
  return results;
}

/**
 * What tells `deps.onPollFailure` the failed reads of one poll of a scope (none: a poll that read
 * every snapshot), one call per distinct error, each counting the polls in a row that failed so.
 * Like {@link reportProgress}, a callback that throws never costs a result.
 */
function pollFailureTeller(
  backend: SnapshotBackend,
  deps: TakeSnapshotsDependencies,
): (failed: readonly { entry: Pending; error: unknown }[]) => void {
  let inARow = new Map<string, number>();
  return (failed) => {
    const byError = new Map<string, { code: string; message: string; targets: SnapshotTarget[] }>();
    for (const { entry, error } of failed) {
      const code = backend.codeOf(error);
      const message = describeError(error);
      const key = `${code}\n${message}`;
      const group = byError.get(key) ?? { code, message, targets: [] };
      group.targets.push(entry.target);
      byError.set(key, group);
    }
    const previous = inARow;
    inARow = new Map([...byError.keys()].map((key) => [key, (previous.get(key) ?? 0) + 1]));
    if (!deps.onPollFailure) return;
    for (const [key, group] of byError) {
      try {
        deps.onPollFailure({ ...group, inARow: inARow.get(key) ?? 1 });
      } catch (error) {
        deps.logger?.warn('snapshot poll failure report failed', { error: describeError(error) });
      }
    }
  };
}

/**
 * Hand one progress event to `deps.onProgress`. Progress reporting never costs a result: a
 * callback that throws (a chat post or logger failing synchronously) or returns a promise that
 * rejects is logged and the run goes on.
 */
function reportProgress(deps: TakeSnapshotsDependencies, progress: SnapshotProgress): void {
  if (!deps.onProgress) return;
  const failed = (error: unknown) => {
    try {
      deps.logger?.warn('snapshot progress report failed', {
        target: progress.target.id,
        stage: progress.stage,
        error: describeError(error),
      });
    } catch {
      // The logger failed too; the results matter more than the report of a report.
    }
  };
  try {
    const returned: unknown = deps.onProgress(progress);
    if (returned instanceof Promise) returned.catch(failed);
  } catch (error) {
    failed(error);
  }
}

/**
 * Whether a snapshot's state will not change into `available` any more: done, failed, or being
 * deleted (RDS `deleting`; Cloud SQL DELETION_PENDING and DELETED, which the backend says as
 * `deleting`, and DELETION_FAILED, which it says as `failed`).
 */
function isFinal(status: string): boolean {
  return status === 'available' || endedFailed(status);
}

/** Whether a snapshot ended without becoming restorable: failed, or being deleted (see {@link isFinal}). */
function endedFailed(status: string): boolean {
  return status === 'failed' || status === 'deleting';
}

type Plan =
  /** A snapshot of the request's name is not ours: nothing is taken. */
  | { readonly refused: string }
  /** The request's snapshot exists and has not failed: wait for it or report it. */
  | { readonly adopt: BackendSnapshot; readonly naming: Naming }
  /** Take this attempt. */
  | { readonly create: Naming }
  /** Every attempt was taken and failed. */
  | { readonly exhausted: readonly BackendSnapshot[] };

/**
 * What to do for `target` given the manual snapshots by lower-case id: adopt the request's newest
 * snapshot of it that has not failed; else take the attempt after the newest that exists (the first
 * when none does), or none past {@link MAX_SNAPSHOT_ATTEMPTS}. A name held by a snapshot that is not
 * ours or not of this database refuses the target. When the request has no snapshot of the target
 * yet and another request's snapshot of ours of it is still being created, young enough to make a
 * readiness GO once done (`creating`: identity.ts beingCreated), that one is adopted and waited for:
 * the database is busy with it anyway (RDS refuses a second create while it is `backing-up`, Cloud
 * SQL runs one operation per instance), and a second snapshot would double the wait and the quota
 * used, while readiness counts the first as soon as it is available.
 */
function planTarget(
  target: SnapshotTarget,
  request: Pick<SnapshotRequest, 'requestId' | 'waitedFor'>,
  byId: ReadonlyMap<string, readonly BackendSnapshot[]>,
  creating: (target: SnapshotTarget) => BackendSnapshot | undefined,
  ofThisRequest: (snapshot: BackendSnapshot) => boolean,
): Plan {
  const { requestId } = request;
  const found: { attempt: number; snapshot: BackendSnapshot }[] = [];
  for (let attempt = 1; attempt <= MAX_SNAPSHOT_ATTEMPTS; attempt += 1) {
    const candidates = byId.get(snapshotIdentifier(target, requestId, attempt).toLowerCase());
    if (!candidates) continue;
    // Cloud SQL names are descriptions, not unique: of runs carrying one name, the best of ours counts.
    const ranked = (snapshot: BackendSnapshot) => rank(snapshot, target) + (ofThisRequest(snapshot) ? 0 : 4);
    const snapshot = [...candidates].sort((a, b) => ranked(a) - ranked(b))[0] as BackendSnapshot;
    // The name derives from the request id, but a Cloud SQL description is free text anyone who
    // may create backups can write (gcp.ts carriesOurs), and a tag can be changed: one bearing this
    // request's name under another request id, or none, is not this request's snapshot.
    const refused =
      notAdoptable(snapshot, target) ??
      (ofThisRequest(snapshot)
        ? undefined
        : `a snapshot named ${snapshot.id} exists but ${
            snapshot.tags[SNAPSHOT_TAGS.requestId] === undefined
              ? 'carries no request-id tag'
              : `is tagged for request ${snapshot.tags[SNAPSHOT_TAGS.requestId]}`
          }, not this request (${requestId})`);
    if (refused) return { refused };
    found.push({ attempt, snapshot });
  }
  const earlier = found.filter((entry) => endedFailed(entry.snapshot.status)).map((entry) => entry.snapshot);
  const live = found.filter((entry) => !endedFailed(entry.snapshot.status)).at(-1);
  if (live) {
    return {
      adopt: live.snapshot,
      naming: { attempt: live.attempt, earlier: earlier.filter((snapshot) => snapshot !== live.snapshot) },
    };
  }
  const other = found.length === 0 ? (waitedFor(target, request, byId) ?? creating(target)) : undefined;
  if (other) return { adopt: other, naming: reusing(other) };
  const next = (found.at(-1)?.attempt ?? 0) + 1;
  if (next > MAX_SNAPSHOT_ATTEMPTS) return { exhausted: earlier };
  return { create: { attempt: next, earlier } };
}

/**
 * The snapshot of another request an earlier run of this request waited for instead of taking its
 * own (`request.waitedFor`), when it is listed, ours, of this database and has not failed: adopted
 * again, in whatever state, so the request never takes a second snapshot beside it. One that ended
 * failed or is gone is not: the request takes its own, as the failed result said it would.
 */
function waitedFor(
  target: SnapshotTarget,
  request: Pick<SnapshotRequest, 'waitedFor'>,
  byId: ReadonlyMap<string, readonly BackendSnapshot[]>,
): BackendSnapshot | undefined {
  return (request.waitedFor ?? [])
    .flatMap((id) => byId.get(id.toLowerCase()) ?? [])
    .find((snapshot) => notAdoptable(snapshot, target) === undefined && !endedFailed(snapshot.status));
}

/** The naming of another request's snapshot that this request waits for instead of taking its own. */
function reusing(other: BackendSnapshot): Naming {
  return { attempt: 1, earlier: [], takenBy: other.tags[SNAPSHOT_TAGS.requestId] ?? 'another request' };
}

/**
 * Another request's snapshot of ours of `target` being created now, young enough for readiness
 * (identity.ts beingCreated), from a listing of the target's kind; undefined when there is none or
 * the listing fails.
 */
async function creatingElsewhere(
  target: SnapshotTarget,
  backend: SnapshotBackend,
  context: ScopeContext,
): Promise<BackendSnapshot | undefined> {
  const listed = await backend.listManual(target.kind, [target]).catch(() => undefined);
  const { readinessMaxAgeHours, expiryDays } = context.deps.policy;
  return listed && beingCreated(listed, target, context.now(), readinessMaxAgeHours, expiryDays);
}

/** Lower is better: ours and of this database first, then one that has not failed. */
function rank(snapshot: BackendSnapshot, target: SnapshotTarget): number {
  return (notAdoptable(snapshot, target) ? 2 : 0) + (endedFailed(snapshot.status) ? 1 : 0);
}

/** How a failed attempt's message ends: which attempt it was, and whether another will be taken. */
function attemptNote(naming: Naming): string {
  if (naming.takenBy !== undefined) {
    return ` (taken by request ${naming.takenBy}, which this request waited for instead of taking a second snapshot; a later run of this request takes its own)`;
  }
  if (naming.attempt === 1 && MAX_SNAPSHOT_ATTEMPTS > 1) {
    return ` (attempt 1 of ${MAX_SNAPSHOT_ATTEMPTS}; a later run of this request takes attempt 2)`;
  }
  const earlier =
    naming.earlier.length > 0
      ? `; earlier: ${naming.earlier.map((snapshot) => snapshot.id).join(', ')} failed`
      : '';
  if (naming.attempt < MAX_SNAPSHOT_ATTEMPTS) {
    return ` (attempt ${naming.attempt} of ${MAX_SNAPSHOT_ATTEMPTS}${earlier}; a later run of this request takes attempt ${naming.attempt + 1})`;
  }
  return ` (attempt ${naming.attempt} of ${MAX_SNAPSHOT_ATTEMPTS}${earlier}; no further snapshot is taken under this request id: check why they fail, then ask again with another ticket or request id)`;
}

/** A target whose every attempt of this request failed: reported by name, nothing taken. */
function exhausted(
  target: SnapshotTarget,
  startedAt: number,
  now: () => Date,
  attempts: number,
  earlier: readonly BackendSnapshot[],
): SnapshotTargetResult {
  const last = earlier.at(-1);
  const listed = earlier
    .map(
      (snapshot) =>
        `${snapshot.id} (${snapshot.failure ?? (snapshot.status === 'deleting' ? 'deleted' : snapshot.status)})`,
    )
    .join(', ');
  return {
    target,
    outcome: 'failed',
    ...(last ? { snapshotId: last.id } : {}),
    ...(last?.ref ? { snapshotRef: last.ref } : {}),
    snapshotAttempt: MAX_SNAPSHOT_ATTEMPTS,
    durationMs: now().getTime() - startedAt,
    attempts,
    error: {
      code: 'SnapshotAttemptsExhausted',
      message: `all ${MAX_SNAPSHOT_ATTEMPTS} snapshots this request took of ${target.id} failed: ${listed}; no further snapshot is taken under this request id. Check why they fail, then ask again with another ticket or request id.`,
    },
  };
}

function resultOf(entry: Pending, now: () => Date): SnapshotTargetResult {
  const { snapshot } = entry;
  const outcome =
    snapshot.status === 'available'
      ? 'available'
      : snapshot.status === 'failed' || snapshot.status === 'deleting'
        ? 'failed'
        : 'creating';
  return {
    target: entry.target,
    outcome,
    snapshotId: snapshot.id,
    ...(snapshot.ref ? { snapshotRef: snapshot.ref } : {}),
    ...(snapshot.createdAt ? { createdAt: snapshot.createdAt.toISOString() } : {}),
    ...(snapshot.encrypted === undefined ? {} : { encrypted: snapshot.encrypted }),
    ...(snapshot.kmsKeyId ? { kmsKeyId: snapshot.kmsKeyId } : {}),
    ...(snapshot.kmsKeyVersion ? { kmsKeyVersion: snapshot.kmsKeyVersion } : {}),
    ...(snapshot.sizeGb === undefined ? {} : { sizeGb: snapshot.sizeGb }),
    durationMs: now().getTime() - entry.startedAt,
    attempts: entry.attempts,
    snapshotAttempt: entry.naming.attempt,
    ...(entry.naming.takenBy === undefined ? {} : { takenBy: entry.naming.takenBy }),
    ...(outcome === 'failed'
      ? {
          error: {
            code: 'SnapshotFailed',
            message:
              (snapshot.failure ??
                (snapshot.status === 'deleting'
                  ? `${snapshot.id} is being deleted: it will not become restorable`
                  : `${snapshot.id} ended in state failed`)) + attemptNote(entry.naming),
          },
        }
      : {}),
  };
}

/**
 * Why a snapshot bearing this request's name for `target` is not this request's snapshot, or
 * undefined when it is: a re-run adopts only a snapshot tagged as ours and of the same database
 * (one the API does not name the database of is not adopted).
 */
function notAdoptable(snapshot: BackendSnapshot, target: SnapshotTarget): string | undefined {
  if (!isOurs(snapshot.tags)) {
    return `a snapshot named ${snapshot.id} exists but is not tagged as made by backup-guard (purpose=${SNAPSHOT_PURPOSE})`;
  }
  if (snapshot.target.toLowerCase() !== target.id.toLowerCase()) {
    return `a snapshot named ${snapshot.id} exists but is of ${snapshot.target || 'a database the API does not name'}, not ${target.id}`;
  }
  // The same identifier, another database: deleted and created again since that snapshot was taken
  // (functions/actions/snapshot/identity.ts). Readiness would not count it for the database there
  // now, so a re-run must not report it as taken. Where a resource id was not sent it is adopted
  // (its name is the request's: nothing else is taken), but answered not verified
  // ({@link notVerifiedAdoptions}), as readiness says it cannot be verified.
  const incarnation = incarnationOf(snapshot, target);
  if (incarnation.match === 'earlier')
    return `a snapshot named ${snapshot.id} exists but ${incarnation.reason}`;
  return undefined;
}

/** A target whose snapshot name is taken by a snapshot that is not this request's: nothing taken. */
function nameTaken(
  target: SnapshotTarget,
  startedAt: number,
  now: () => Date,
  attempts: number,
  reason: string,
): SnapshotTargetResult {
  const message = `${reason}; no snapshot was taken. Check that snapshot, or ask again with another ticket or request id.`;
  return errorResult(target, startedAt, now, attempts, new Error(message), () => 'SnapshotNameTaken');
}

function errorResult(
  target: SnapshotTarget,
  startedAt: number,
  now: () => Date,
  attempts: number,
  error: unknown,
  codeOf: (error: unknown) => string = errorCode,
): SnapshotTargetResult {
  const code = codeOf(error);
  return {
    target,
    outcome: 'error',
    durationMs: now().getTime() - startedAt,
    attempts,
    error: {
      code,
      message: describeError(error),
      ...(isUnexplainedExhaustion(error, code)
        ? { rateLimitOrQuota: true as const, explanation: RATE_LIMIT_OR_QUOTA_EXPLANATION }
        : {}),
    },
  };
}
