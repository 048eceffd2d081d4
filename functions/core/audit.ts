/**
 * The audit engine: evaluate every scope (account or project x region x check group), run the checks
 * over the facts each scope yields, and report which scopes were fully evaluated.
 *
 * Reading facts and judging them fail separately:
 * - a scope whose facts could not be read yields NOT_AVAILABLE for every check of its group, never
 *   PASSED, and is marked failed so no publisher resolves or archives anything inside it;
 * - a check that throws on one resource yields NOT_AVAILABLE for that check and resource only,
 *   marked `internalError` (a bug of ours, not a permission problem); every other check and
 *   resource of the scope is still judged, and publishers leave that finding's earlier state alone;
 * - two findings of one run that would be one finding in Security Hub (one check, one resource read
 *   twice) are one: kept once when alike, and when they differ reported once as an internal error,
 *   NOT_AVAILABLE, naming both ({@link oneFindingPerIdentity}), so the run's other findings publish.
 *
 * A scope is a unit of work: {@link PlannedScope} serializes, {@link runAudit} runs any subset of a
 * plan, and {@link mergeReports} joins reports of separate runs (other processes, other machines)
 * with the same lifecycle safety, because that safety is a property of each scope's outcome.
 */
import {
  type Check,
  type CheckContext,
  type CheckMetadata,
  KEEP_ALIVE_DAYS,
  NOT_AVAILABLE_SEVERITY,
  NOT_VERIFIED_TITLE_PREFIX,
  titleFor,
  toFinding,
} from './check.ts';
import {
  CloudApiError,
  CredentialsError,
  describeError,
  errorCode,
  isAccessDenied,
  refusalAdvice,
  refusalNotOfPermission,
} from './errors.ts';
import { isExcepted } from './exceptions.ts';
import type { CollectedFacts, Fact, SelectedOtherEngine, StandIn, TaggedStandIn } from './facts.ts';
import {
  type BuiltInCheckGroup,
  type CheckGroup,
  type ComplianceStatus,
  type Finding,
  findingIdentity,
  findingPlace,
  findingSubject,
  groupResources,
  type Provider,
  type ResourceRef,
  resourceKey,
} from './finding.ts';
import type { Policy } from './policy.ts';
import { ScopeCalls } from './scope-calls.ts';
import {
  type CoveredScope,
  locateIdentifier,
  namesOf,
  type RunCoverage,
  targetsJudgedElsewhere,
  unmatchedTargets,
} from './targets.ts';

export interface Scope {
  readonly provider: Provider;
  /** AWS account id or GCP project id. */
  readonly account: string;
  /** Region name; `*` when the scope is the whole account (region listing failed). */
  readonly region: string;
  readonly group: CheckGroup;
}

export function scopeKey(scope: Scope): string {
  return `${scope.provider}/${scope.account}/${scope.region}/${scope.group}`;
}

/**
 * A scope as a plan holds it: plain data that serializes (a Step Functions state, a queue message),
 * so any process can run it. `failure` is set when planning already knows the scope cannot be read
 * (its account's region listing failed): running it yields the failed outcome with that error.
 */
export interface PlannedScope {
  readonly scope: Scope;
  readonly failure?: { readonly code: string; readonly message: string };
}

/**
 * Where a check group audits when the policy names its resources instead of the planners
 * discovering them (the dump locations): an account (or GCP project) and a region (`*` on GCP).
 */
export interface ScopePlace {
  readonly account: string;
  readonly region: string;
}

/** A scope and how to read its facts. `collect` throws when the scope cannot be evaluated. */
export interface ScopePlan<F> {
  readonly scope: Scope;
  collect(): Promise<readonly F[]>;
}

export interface ScopeOutcome {
  readonly scope: Scope;
  /** `complete`: every resource of the scope was read and judged. `failed`: nothing in it may be resolved. */
  readonly status: 'complete' | 'failed';
  readonly resources: number;
  readonly error?: { readonly code: string; readonly message: string };
  /** Databases of the scope judged at another resource (see StandIn), with where; absent when none. */
  readonly standIns?: readonly JudgedElsewhere[];
  /** Databases a target tag selects that nothing audits (see TaggedStandIn); absent when none. */
  readonly taggedStandIns?: readonly TaggedStandIn[];
  /** Databases the policy selects whose engine is not PostgreSQL (see SelectedOtherEngine); absent when none. */
  readonly otherEngines?: readonly SelectedOtherEngine[];
  /**
   * The policy's names no listing of the run answered to whose look-up in this scope failed
   * ({@link NamesNotLookedUp}); absent when none. The scope stays complete: nothing judged rests on it.
   */
  readonly namesNotLookedUp?: NamesNotLookedUp;
  /**
   * The checks of the scope's group this run ran there (those the policy turns on, judged when the
   * scope is complete, and any whose switch threw) and those the policy turns off. From them a
   * publisher tells a held finding of a check turned off, or no longer in the catalog, from one of a
   * resource gone, and a run that ran only some checks from one that ran them all. Absent in a report
   * made elsewhere (by hand, by an older version): a publisher then tells none of them apart.
   */
  readonly checks?: ScopeChecks;
}

/** Check ids of a scope's group: those a run ran there, and those the policy turns off. */
export interface ScopeChecks {
  readonly on: readonly string[];
  readonly off: readonly string[];
}

/**
 * Names of `targets.identifiers` that no listing of the run answered to and whose look-up in a scope
 * failed (functions/jobs/audit.ts, `lookUpUnlistedNames`): whether a database of another engine
 * answers to them there is unknown. Said under Coverage, so the run is incomplete and archives
 * nothing; no finding of such a name can be resolved either, since nothing in the run judged a
 * database answering to it.
 */
export interface NamesNotLookedUp {
  readonly names: readonly string[];
  readonly code: string;
  readonly message: string;
}

/** A database judged at another resource: its names, what it is, and the resource id it is judged at. */
export interface JudgedElsewhere extends StandIn {
  readonly judgedAt: string;
}

export type StatusCounts = Record<ComplianceStatus, number>;

/** A provider a run could not plan at all (no credentials, STS unreachable): none of its scopes is known. */
export interface PlanningFailure {
  readonly provider: Provider;
  readonly code: string;
  readonly message: string;
}

export interface AuditReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly findings: readonly Finding[];
  readonly scopes: readonly ScopeOutcome[];
  readonly counts: StatusCounts;
  /**
   * `targets.identifiers` of the policy that no judged database answers to. Non-empty means the
   * audit did not cover what the policy names: exit code 2, and publishers archive nothing.
   */
  readonly unmatchedTargets?: readonly string[];
  /**
   * `targets.identifiers` that name a database judged at another resource (a read replica at its
   * source, an Aurora member at its cluster), each with what it is and where it is judged.
   */
  readonly targetsJudgedElsewhere?: readonly { readonly identifier: string; readonly note: string }[];
  /**
   * Providers this run meant to audit and could not plan. Non-empty means the run proves nothing
   * about them: exit code 2, and publishers archive nothing.
   */
  readonly unplanned?: readonly PlanningFailure[];
  /**
   * The run covered fewer regions or projects than the policy selects (CLI `--region`/`--project`,
   * a function's input): it says nothing of the rest, nor of an account as a whole (its regions
   * were not listed), so publishers settle only the scopes it evaluated.
   */
  readonly narrowed?: boolean;
  /**
   * Policy exceptions that applied to nothing in a run that read everything the policy selects (see
   * `unusedExceptions` in exceptions.ts), each as a warning line; absent when none. A warning only:
   * the exit code is what the findings say.
   */
  readonly unusedExceptions?: readonly string[];
  /**
   * Set when the run published to Security Hub and its findings did not all land (a partial or
   * failed import): how many were not imported. The run did not complete (exit code 2), whatever its
   * findings say, and every report written of it says so (publish/summary.ts `summarize`).
   */
  readonly notImported?: number;
  /**
   * Beside `notImported`: why they did not land, in one phrase (the error that stopped publishing,
   * or the codes Security Hub refused findings with), as failed scopes carry their error.
   */
  readonly notImportedReason?: string;
  /** A run that planned no scope at all: its providers and check groups, each of which had nothing to read. */
  readonly nothingToRead?: {
    readonly providers: readonly Provider[];
    readonly groups: readonly CheckGroup[];
    /** The run was narrowed to some regions or projects: the policy may have places elsewhere. */
    readonly narrowed?: true;
  };
}

export interface AuditProgress {
  readonly scope: Scope;
  readonly outcome: ScopeOutcome;
  readonly done: number;
  readonly total: number;
}

export interface RunAuditOptions<F extends Fact> {
  readonly plans: readonly ScopePlan<F>[];
  readonly checks: readonly Check<F>[];
  readonly policy: Policy;
  /** Scopes evaluated at once. */
  readonly concurrency?: number;
  readonly now?: () => Date;
  readonly onProgress?: (progress: AuditProgress) => void;
}

export function countStatuses(findings: readonly Pick<Finding, 'status'>[]): StatusCounts {
  let passed = 0;
  let warning = 0;
  let failed = 0;
  let notAvailable = 0;
  for (const { status } of findings) {
    if (status === 'PASSED') passed += 1;
    else if (status === 'FAILED') failed += 1;
    else if (status === 'WARNING') warning += 1;
    else notAvailable += 1;
  }
  return { PASSED: passed, WARNING: warning, FAILED: failed, NOT_AVAILABLE: notAvailable };
}

/**
 * {@link countStatuses} of a finding array this process made, counted once: a report's findings are
 * not changed once it is made (`AuditReport.findings` is read-only), and one audit's array was
 * counted again by each merge it went through. Weak: an array dropped is forgotten.
 */
function countedStatuses(findings: readonly Finding[]): StatusCounts {
  let counts = COUNTED.get(findings);
  if (counts === undefined) {
    counts = countStatuses(findings);
    COUNTED.set(findings, counts);
  }
  return { ...counts };
}
const COUNTED = new WeakMap<readonly Finding[], StatusCounts>();

/** The resource that stands for a whole scope in a NOT_AVAILABLE finding. */
export function scopeResource(scope: Scope): ResourceRef {
  return {
    provider: scope.provider,
    account: scope.account,
    region: scope.region,
    type: 'Scope',
    id: `${scope.account}/${scope.region}`,
  };
}

/** How {@link mapWithConcurrency} starts its workers. */
export interface ConcurrencyOptions {
  /**
   * `together` (the default): every worker at once. Started so, every worker's first task runs up
   * to its first wait on I/O before the event loop writes any socket: 8 Regions of 32
   * DescribeSecret calls made 256 requests (signing, `ClientRequest`, a new socket each, ~50 ms of
   * CPU) before the first was written, and 16 AWS Regions' scopes 48 first requests, so the first
   * answers came back that much later while the CPU waited for them. Every item still runs, in
   * order, with at most `limit` in flight, whichever way the workers start.
   * - `doubling`: in batches of 1, 2, 4, … a turn of the event loop (`setImmediate`) apart, so the
   *   first requests are written a turn after they are made and all `limit` workers run after
   *   log2(limit) + 1 turns (one worker a turn took 32 turns, which a loaded event loop stretched
   *   to hundreds of milliseconds). For many small calls (a Region's DescribeSecret workers).
   * - `first-alone`: the first item, and every other one after the event loop's next poll phase
   *   ({@link afterNextPoll}), where the first one's sockets connect and write. For a few items
   *   whose answers are long to decode (an audit's scopes): a turn per batch let the first
   *   answers' decoding run between the starts, which delayed the last Regions' pages by hundreds of
   *   milliseconds on a loaded machine.
   */
  readonly start?: 'together' | 'doubling' | 'first-alone';
}

/** Run `task` over `items` with at most `limit` in flight, keeping input order in the result. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
  options: ConcurrencyOptions = {},
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const start = options.start ?? 'together';
  let next = 0;
  /** `first-alone`: what every item but the first waits for before it starts. */
  let firstWritten: Promise<void> | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      if (start === 'first-alone' && index > 0) {
        firstWritten ??= afterNextPoll();
        await firstWritten;
      }
      results[index] = await task(items[index] as T, index);
    }
  };
  const workers = Math.max(1, Math.min(limit, items.length));
  if (start !== 'doubling') {
    await Promise.all(Array.from({ length: workers }, worker));
    return results;
  }
  const running: Promise<void>[] = [];
  for (let batch = 1; running.length < workers; batch *= 2) {
    if (running.length > 0) await new Promise((resolve) => setImmediate(resolve));
    for (let index = 0; index < batch && running.length < workers; index += 1) {
      const run = worker();
      // Awaited below with the others; until then a failure is held, not unhandled.
      run.catch(() => undefined);
      running.push(run);
    }
  }
  await Promise.all(running);
  return results;
}

/**
 * The finding of one check on one fact (undefined when the check does not apply); a check that
 * throws gives NOT_AVAILABLE for that pair only.
 */
function judge<F extends { readonly resource: ResourceRef }>(
  check: Check<F>,
  fact: F,
  context: CheckContext,
): Finding | undefined {
  let result: ReturnType<Check<F>['evaluate']>;
  try {
    result = check.evaluate(fact, context);
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    // The message of a check's own error names our code's mistake; cut it so a runaway message
    // (a whole object printed) cannot flood the finding.
    const message = describeError(error).slice(0, INTERNAL_ERROR_MESSAGE_LIMIT);
    return {
      ...toFinding(
        check.metadata,
        fact.resource,
        {
          status: 'NOT_AVAILABLE',
          description: `Internal error in check ${check.metadata.id} while judging ${fact.resource.id}: ${name}: ${message}. This is a defect in certctl-backup-guard, not a permission or configuration problem of yours; the other checks on this resource were judged, and an active earlier finding of this check in Security Hub is left as it was for up to ${KEEP_ALIVE_DAYS} days after its last update, then kept alive as it was, or as NOT_AVAILABLE when it last said PASSED (one archived when the resource was gone is replaced by this one).`,
          observed: { internalError: name },
          required: { checkEvaluated: true },
          remediationText: INTERNAL_ERROR_ADVICE,
        },
        context.now,
      ),
      internalError: true,
    };
  }
  return result ? toFinding(check.metadata, fact.resource, result, context.now) : undefined;
}

/** Longest error message quoted in an internal-error finding. */
const INTERNAL_ERROR_MESSAGE_LIMIT = 300;

/** What to do about an internal-error finding (a defect of ours). */
const INTERNAL_ERROR_ADVICE =
  'Report it to the certctl-backup-guard maintainers with the log line of this run; until it is fixed, verify this check by hand.';

/**
 * Throws unless a collector answered a list of facts, each with its resource: a defect of ours in
 * one collector then fails its own scope (NOT_AVAILABLE, nothing judged), not the whole run with
 * every other scope's finished work.
 */
function assertFactList(facts: unknown, scope: Scope): void {
  const hole = Array.isArray(facts)
    ? facts.findIndex((fact) => typeof fact?.resource !== 'object' || fact.resource === null)
    : -1;
  const malformed = Array.isArray(facts) && hole < 0 ? facts.findIndex(hasMalformedStandIns) : -1;
  if (Array.isArray(facts) && hole < 0 && malformed < 0) return;
  const what = Array.isArray(facts)
    ? hole >= 0
      ? `a list whose item ${hole} has no resource`
      : `a list whose item ${malformed} has a standsFor that is not a list of stand-ins (names and what)`
    : facts === null
      ? 'null'
      : typeof facts;
  throw new TypeError(
    `the ${scope.group} collector answered ${what}, not a list of facts (a defect in certctl-backup-guard)`,
  );
}

/** True when a fact's `standsFor` is present but not a list of {@link StandIn} (names and what). */
function hasMalformedStandIns(fact: { readonly standsFor?: unknown }): boolean {
  const { standsFor } = fact;
  if (standsFor === undefined) return false;
  return (
    !Array.isArray(standsFor) ||
    standsFor.some(
      (standIn) =>
        typeof standIn?.what !== 'string' ||
        !Array.isArray(standIn.names) ||
        standIn.names.some((name: unknown) => typeof name !== 'string'),
    )
  );
}

/**
 * The checks of a group the policy turns on for a scope, and those whose `enabledBy` threw (a defect
 * of ours): those cannot be judged there, and only they are reported NOT_AVAILABLE. `ids` names, for
 * the scope's outcome, those the run ran (both kinds) and those the policy turns off.
 */
function enabledChecks<F>(
  checks: readonly Check<F>[],
  scope: Scope,
  policy: Policy,
): { enabled: Check<F>[]; broken: { check: Check<F>; error: unknown }[]; ids: ScopeChecks } {
  const enabled: Check<F>[] = [];
  const broken: { check: Check<F>; error: unknown }[] = [];
  const on: string[] = [];
  const off: string[] = [];
  for (const check of checks) {
    if (check.metadata.group !== scope.group) continue;
    try {
      if (check.enabledBy?.(policy) ?? true) {
        enabled.push(check);
        on.push(check.metadata.id);
      } else {
        off.push(check.metadata.id);
      }
    } catch (error) {
      // Neither on nor off is known: run, so that none of its findings passes for turned off.
      broken.push({ check, error });
      on.push(check.metadata.id);
    }
  }
  return { enabled, broken, ids: { on, off } };
}

/**
 * The NOT_AVAILABLE finding of a check whose `enabledBy` threw, on the scope's resource, naming the
 * defect; and the scope's error saying which checks could not be switched on.
 */
function brokenSwitches<F>(
  scope: Scope,
  broken: readonly { check: Check<F>; error: unknown }[],
  evaluatedAt: Date,
  add: (finding: Finding) => void,
): { code: string; message: string } {
  const defects = broken.map(({ check, error }) => {
    const name = error instanceof Error ? error.name : 'Error';
    const defect = `${check.metadata.id}'s enabledBy threw ${name}: ${describeError(error).slice(0, INTERNAL_ERROR_MESSAGE_LIMIT)}`;
    add({
      ...toFinding(
        check.metadata,
        scopeResource(scope),
        {
          status: 'NOT_AVAILABLE',
          description: `Internal error: could not tell whether the policy turns check ${check.metadata.id} on (${defect}). This is a defect in certctl-backup-guard, not a permission or configuration problem of yours; the other checks of ${scope.provider} ${scope.account} in ${scope.region} were judged, and earlier findings of this check are left as they were.`,
          observed: { internalError: name },
          required: { checkEvaluated: true },
          remediationText: INTERNAL_ERROR_ADVICE,
        },
        evaluatedAt,
      ),
      internalError: true,
    });
    return defect;
  });
  return {
    code: 'InternalError',
    message: `checks not judged (a defect in certctl-backup-guard): ${defects.join('; ')}`,
  };
}

/** The outcome of a scope whose facts could not be read, and its NOT_AVAILABLE stand-in findings. */
function failedScope<F>(
  scope: Scope,
  error: unknown,
  checks: readonly Check<F>[],
  evaluatedAt: Date,
  add: (finding: Finding) => void,
): ScopeOutcome {
  const code = errorCode(error);
  const message = describeError(error);
  for (const check of checks) {
    add(
      toFinding(
        check.metadata,
        scopeResource(scope),
        {
          status: 'NOT_AVAILABLE',
          description: `Could not evaluate ${scope.provider} ${scope.account} in ${scope.region}: ${message} (${code}). No resource in this scope was judged; earlier findings are left as they were.`,
          observed: { error: code },
          required: { scopeEvaluated: true },
          remediationText: failedScopeAdvice(error),
        },
        evaluatedAt,
      ),
    );
  }
  return { scope, status: 'failed', resources: 0, error: { code, message } };
}

/**
 * What to do about a scope that could not be read: permissions only when access was refused,
 * credentials when there were none, otherwise the reachability of the region.
 */
export function failedScopeAdvice(error: unknown): string {
  if (error instanceof CredentialsError) return `Provide credentials: ${error.message}`;
  // A Google API not enabled (billing disabled, a VPC Service Controls perimeter…) is refused too,
  // but no role on the resource fixes it.
  const notOfPermission = refusalNotOfPermission(error);
  if (notOfPermission) return refusalAdvice(notOfPermission);
  if (isAccessDenied(error)) {
    return 'The audit role was refused: grant it the read APIs named in the description in this account and region (see the IAM policy in the README), then run the audit again.';
  }
  return 'The region or its API did not answer as expected (see the description): check that the region is enabled and reachable, then run the audit again.';
}

/** A plan's scope as a runnable plan: `collect` reads its facts, or fails with the planned failure. */
export function toScopePlan<F>(planned: PlannedScope, collect: () => Promise<readonly F[]>): ScopePlan<F> {
  const { failure } = planned;
  if (failure === undefined) return { scope: planned.scope, collect };
  return {
    scope: planned.scope,
    collect: () => Promise.reject(new CloudApiError(failure.message, failure.code)),
  };
}

/**
 * Merge reports of separate runs (providers, scope batches, runs that overlapped, the same report
 * given twice) into one in which each scope and each finding appears once: Security Hub would
 * reject or double-count a finding Id imported twice in one run.
 *
 * A scope reported by more than one report keeps its latest evaluation (the newest `evaluatedAt` of
 * its findings there, else that report's `finishedAt`) with that report's findings only; the other
 * report's findings of the scope are dropped, since the later evaluation supersedes them (a database
 * deleted since is not carried over). The later outcome wins whatever it is: a newer failure keeps
 * the scope failed (a failed scope never resolves findings), and a newer complete evaluation settles
 * an older failure. When both are as recent (a retried batch, the same report twice) the failure is
 * kept, so a retry never hides one.
 * `unmatchedTargets` is merged ({@link mergedUnmatchedTargets}), so a merge that publishes without
 * computing target coverage again ({@link withTargetCoverage}) still archives nothing while a named
 * database is missing. `narrowed` is kept when any report has it. What the reports say beside their
 * scopes is kept too ({@link mergedNotes}): what did not land in Security Hub, the unused-exception
 * warnings, the targets judged elsewhere, and that nothing was read when no report read a scope.
 */
export function mergeReports(reports: readonly AuditReport[]): AuditReport {
  const only = reports.length === 1 ? reports[0] : undefined;
  // A run narrowed to some regions or projects never listed an account's regions: merged with any
  // other, the whole is narrowed too, or publishing would settle (archive) its whole-account findings.
  const narrowed = reports.some((report) => report.narrowed) ? { narrowed: true as const } : {};
  // One report this process made and sorted (a run of one group, one provider: its scopes disjoint,
  // each finding once) is merged as it is: checking it again finding by finding was a tenth of the
  // audit's own CPU.
  if (only && SORTED.has(only.findings)) {
    return {
      ...(only.unplanned && only.unplanned.length > 0 ? { unplanned: only.unplanned } : {}),
      ...(only.unmatchedTargets ? { unmatchedTargets: only.unmatchedTargets } : {}),
      ...mergedNotes(reports, only.scopes.length > 0),
      ...narrowed,
      startedAt: only.startedAt,
      finishedAt: only.finishedAt,
      findings: only.findings,
      scopes: only.scopes,
      counts: countedStatuses(only.findings),
    };
  }
  const chosen = new Map<string, { outcome: ScopeOutcome; report: number; at: number }>();
  const sources = reports.map((report) => ({ report, scopeOf: findingScopes(report) }));
  sources.forEach(({ report, scopeOf }, index) => {
    const latest = latestEvaluations(report, scopeOf);
    for (const outcome of report.scopes) {
      const key = scopeKey(outcome.scope);
      const at = latest.get(key) ?? timeOf(report.finishedAt);
      const earlier = chosen.get(key);
      const supersedes =
        !earlier ||
        at > earlier.at ||
        (at === earlier.at && earlier.outcome.status === 'complete' && outcome.status === 'failed');
      if (supersedes) chosen.set(key, { outcome, report: index, at });
    }
  });
  // Each finding once: from the report whose evaluation of its scope was kept; a finding of no scope
  // of its report (a hand-made report) by its own evaluation time, the first of equals. Findings of
  // one identity that kept evaluations of two scopes both hold (a resource read in two scopes of a
  // fan-out's batches) supersede neither: they are settled as one run's are (oneFindingPerIdentity).
  const byIdentity = new Map<string, { finding: Finding; judged: boolean }>();
  const copies: Finding[] = [];
  sources.forEach(({ report, scopeOf }, index) => {
    for (const finding of report.findings) {
      const key = scopeOf(finding);
      if (key !== undefined && chosen.get(key)?.report !== index) continue;
      const identity = findingIdentity(finding);
      const earlier = byIdentity.get(identity);
      if (earlier?.judged && key !== undefined) copies.push(finding);
      else if (!earlier || timeOf(finding.evaluatedAt) > timeOf(earlier.finding.evaluatedAt)) {
        byIdentity.set(identity, { finding, judged: key !== undefined });
      }
    }
  });
  const kept = [...byIdentity.values()].map(({ finding }) => finding);
  const findings = sortFindings(copies.length === 0 ? kept : oneFindingPerIdentity([...kept, ...copies]));
  const scopes = [...chosen.values()].map(({ outcome }) => outcome);
  const now = new Date().toISOString();
  const unplanned = reports.flatMap((report) => report.unplanned ?? []);
  const unmatched = mergedUnmatchedTargets(reports, findings, scopes);
  return {
    ...(unplanned.length > 0 ? { unplanned } : {}),
    ...(unmatched ? { unmatchedTargets: unmatched } : {}),
    ...mergedNotes(reports, scopes.length > 0),
    ...narrowed,
    startedAt: reports.map((report) => report.startedAt).sort()[0] ?? now,
    finishedAt:
      reports
        .map((report) => report.finishedAt)
        .sort()
        .at(-1) ?? now,
    findings,
    scopes,
    counts: countedStatuses(findings),
  };
}

/**
 * What the merged reports say beside their scopes and findings, none of which a merge may lose:
 * - `notImported`: findings of a run that did not land in Security Hub. The merged report did not
 *   complete either (every report written of it says so, publish/summary.ts): the counts of each
 *   run, once per run (a report given twice is one run: the same start and finish), with their reasons;
 * - `unusedExceptions`: each warning once. A warning about the policy (an exception that matched
 *   nothing in a run that read everything), which never changes the exit code; dropped, a mistyped
 *   exception would silently suppress nothing;
 * - `targetsJudgedElsewhere`: each identifier once (case-insensitive, as targets are matched), with
 *   the first note: it is why a named database is not reported missing ({@link mergedUnmatchedTargets});
 * - `nothingToRead`: only when no merged report read a scope (`readScopes` false), with every such
 *   run's providers and groups: a report that read one did audit something.
 */
function mergedNotes(
  reports: readonly AuditReport[],
  readScopes: boolean,
): Pick<
  AuditReport,
  'notImported' | 'notImportedReason' | 'unusedExceptions' | 'targetsJudgedElsewhere' | 'nothingToRead'
> {
  const runs = new Map<string, AuditReport>();
  for (const report of reports) {
    if (report.notImported !== undefined) runs.set(`${report.startedAt}\n${report.finishedAt}`, report);
  }
  const notImported = [...runs.values()].reduce((sum, report) => sum + (report.notImported ?? 0), 0);
  const reasons = [...new Set([...runs.values()].flatMap((report) => report.notImportedReason ?? []))];
  const unused = [...new Set(reports.flatMap((report) => report.unusedExceptions ?? []))];
  const elsewhere = new Map<string, { readonly identifier: string; readonly note: string }>();
  for (const entry of reports.flatMap((report) => report.targetsJudgedElsewhere ?? [])) {
    const key = entry.identifier.toLowerCase();
    if (!elsewhere.has(key)) elsewhere.set(key, entry);
  }
  const nothing = readScopes ? [] : reports.flatMap((report) => report.nothingToRead ?? []);
  return {
    ...(runs.size > 0 ? { notImported } : {}),
    ...(reasons.length > 0 ? { notImportedReason: reasons.join('; ') } : {}),
    ...(unused.length > 0 ? { unusedExceptions: unused } : {}),
    ...(elsewhere.size > 0 ? { targetsJudgedElsewhere: [...elsewhere.values()] } : {}),
    ...(nothing.length > 0
      ? {
          nothingToRead: {
            providers: [...new Set(nothing.flatMap(({ providers }) => providers))],
            groups: [...new Set(nothing.flatMap(({ groups }) => groups))],
            ...(nothing.some(({ narrowed }) => narrowed) ? { narrowed: true as const } : {}),
          },
        }
      : {}),
  };
}

/** Milliseconds of an ISO time; an absent or unreadable one is older than any. */
function timeOf(time: string | undefined): number {
  const at = Date.parse(time ?? '');
  return Number.isFinite(at) ? at : Number.NEGATIVE_INFINITY;
}

/**
 * The key of the scope of `report` each of its findings belongs to: the scope of its provider,
 * account, group and region (the region of the scope that read it when that differs), or the
 * whole-account scope (region `*`); undefined when the report has neither.
 */
function findingScopes(report: Pick<AuditReport, 'scopes'>): (finding: Finding) => string | undefined {
  const keys = new Set(report.scopes.map((outcome) => scopeKey(outcome.scope)));
  return (finding) => {
    const { provider, account } = finding.resource;
    const region = finding.scopeRegion ?? finding.resource.region;
    const own = scopeKey({ provider, account, region, group: finding.group });
    if (keys.has(own)) return own;
    const whole = scopeKey({ provider, account, region: '*', group: finding.group });
    return keys.has(whole) ? whole : undefined;
  };
}

/** The newest `evaluatedAt` of the findings of each scope of `report`. */
function latestEvaluations(
  report: Pick<AuditReport, 'findings'>,
  scopeOf: (finding: Finding) => string | undefined,
): Map<string, number> {
  const latest = new Map<string, number>();
  for (const finding of report.findings) {
    const key = scopeOf(finding);
    if (key === undefined) continue;
    const at = timeOf(finding.evaluatedAt);
    if (at > (latest.get(key) ?? Number.NEGATIVE_INFINITY)) latest.set(key, at);
  }
  return latest;
}

export async function runAudit<F extends Fact>(options: RunAuditOptions<F>): Promise<AuditReport> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const findings: Finding[] = [];
  // Counted as they are made, while each is at hand: a pass over the findings afterwards costs a
  // cache miss per finding.
  const counts: StatusCounts = { PASSED: 0, WARNING: 0, FAILED: 0, NOT_AVAILABLE: 0 };
  const add = (finding: Finding): void => {
    findings.push(finding);
    const { status } = finding;
    // As countStatuses counts: anything else is NOT_AVAILABLE.
    if (status === 'PASSED' || status === 'WARNING' || status === 'FAILED') counts[status] += 1;
    else counts.NOT_AVAILABLE += 1;
  };
  let done = 0;
  // Progress is advisory: a callback that throws (a closed stderr, a failing chat post) must not
  // fail the audit and lose the scopes already read.
  const progress = (update: AuditProgress): void => {
    try {
      options.onProgress?.(update);
    } catch {
      // Nothing of the audit depends on it.
    }
  };
  // The first scope's collection starts alone, the others together after it has written its
  // first requests (`first-alone`, see ConcurrencyOptions).
  const outcomes = await mapWithConcurrency(
    options.plans,
    options.concurrency ?? 32,
    async (plan) => {
      // A check whose policy switch throws is not judged here; the scope's other checks are.
      const { enabled: checks, broken, ids } = enabledChecks(options.checks, plan.scope, options.policy);
      let facts: readonly F[];
      const calls = new ScopeCalls();
      try {
        facts = await calls.run(() => plan.collect());
        assertFactList(facts, plan.scope);
      } catch (error) {
        // The collector's other calls of this scope are still running (its `Promise.all` rejected
        // with the first failure): stopped, and settled before the scope is reported.
        await calls.abort();
        const judgeable = [...checks, ...broken.map(({ check }) => check)];
        const outcome: ScopeOutcome = {
          ...failedScope(plan.scope, error, judgeable, now(), add),
          checks: ids,
        };
        done += 1;
        progress({ scope: plan.scope, outcome, done, total: options.plans.length });
        return outcome;
      }
      const context: CheckContext = { policy: options.policy, now: now() };
      const region = plan.scope.region;
      // One finding per check and fact at most, added as it is made: no array per pair (an audit of
      // 6,000 databases judges some 30,000 pairs, mostly once, before the JIT has compiled this loop).
      const standIns: JudgedElsewhere[] = [];
      for (const fact of facts) {
        const elsewhere = region !== '*' && fact.resource.region !== region;
        for (const check of checks) {
          const finding = judge(check, fact, context);
          if (finding !== undefined) add(elsewhere ? { ...finding, scopeRegion: region } : finding);
        }
        for (const standIn of fact.standsFor ?? []) standIns.push({ ...standIn, judgedAt: fact.resource.id });
      }
      const { taggedStandIns, otherEngines } = facts as CollectedFacts<F>;
      // The scope is failed when a check could not be switched on: nothing of that check is resolved.
      const error = broken.length > 0 ? brokenSwitches(plan.scope, broken, context.now, add) : undefined;
      const outcome: ScopeOutcome = {
        scope: plan.scope,
        status: error ? 'failed' : 'complete',
        resources: facts.length,
        ...(error ? { error } : {}),
        ...(standIns.length > 0 ? { standIns } : {}),
        ...(taggedStandIns && taggedStandIns.length > 0 ? { taggedStandIns } : {}),
        ...(otherEngines && otherEngines.length > 0 ? { otherEngines } : {}),
        checks: ids,
      };
      done += 1;
      progress({ scope: plan.scope, outcome, done, total: options.plans.length });
      return outcome;
    },
    { start: 'first-alone' },
  );
  const metadata = new Map(options.checks.map(({ metadata }) => [metadata.id, metadata] as const));
  const once = oneFindingPerIdentity(findings, metadata);
  const settled = once === findings ? counts : countStatuses(once);
  sortFindings(once);
  COUNTED.set(once, settled);
  return {
    startedAt: startedAt.toISOString(),
    finishedAt: now().toISOString(),
    findings: once,
    scopes: outcomes,
    counts: { ...settled },
  };
}

/**
 * `findings` with each {@link findingIdentity} once; the same array when none is there twice (one
 * pass, the placed subject made once per run of findings sharing a resource object).
 *
 * Two findings of one identity would be one finding in Security Hub, which refuses the publication
 * that holds both (publish/security-hub/lifecycle.ts). They come of a defect of ours: a collector
 * that yields one resource twice (a listing paged while it changed, two names of one secret), or
 * two checks of one id. Alike but for `evaluatedAt` (the same resource read twice, alike), one is
 * kept, the first. Otherwise neither can be trusted, and a PASSED one must not resolve what
 * Security Hub holds: both give way, at the first one's place, to one NOT_AVAILABLE internal-error
 * finding naming their results ({@link settleCopies}), which publishers treat as a check that threw
 * (the earlier finding left as it was) and the metrics count as a check error.
 */
export function oneFindingPerIdentity(
  findings: Finding[],
  metadata: ReadonlyMap<string, CheckMetadata> = new Map(),
): Finding[] {
  // The first finding of each check, by subject and then by the Security Hub it goes to, looked up
  // once per run of findings sharing a resource: the subject is mostly the resource's ARN or
  // selfLink itself (no string made), and a resource's few checks are told apart along a short list.
  // An identity string made and hashed per finding cost 30,000 findings about as much CPU as
  // sorting them (some 6 ms), this about half.
  const bySubject = new Map<string, Placed[]>();
  let copies: Map<Finding, Finding[]> | undefined;
  let resource: ResourceRef | undefined;
  let scopeRegion: string | undefined;
  let firsts: Finding[] = [];
  for (const finding of findings) {
    if (finding.resource !== resource || finding.scopeRegion !== scopeRegion) {
      resource = finding.resource;
      scopeRegion = finding.scopeRegion;
      firsts = firstsOf(bySubject, finding);
    }
    let earlier: Finding | undefined;
    for (const first of firsts) {
      if (first.checkId === finding.checkId) {
        earlier = first;
        break;
      }
    }
    if (earlier === undefined) {
      firsts.push(finding);
      continue;
    }
    copies ??= new Map();
    const same = copies.get(earlier);
    if (same) same.push(finding);
    else copies.set(earlier, [earlier, finding]);
  }
  if (copies === undefined) return findings;
  const settled = copies;
  const dropped = new Set([...settled.values()].flatMap((same) => same.slice(1)));
  return findings.flatMap((finding) => {
    if (dropped.has(finding)) return [];
    const same = settled.get(finding);
    return same ? [settleCopies(same, metadata.get(finding.checkId))] : [finding];
  });
}

/** The first findings of one subject that go to one Security Hub ({@link findingPlace}). */
interface Placed {
  readonly account: string;
  readonly region: string;
  readonly firsts: Finding[];
}

/**
 * The first findings so far of `finding`'s subject and place, which make its identity with its check
 * ({@link findingIdentity}): added to `bySubject` when there are none yet.
 */
function firstsOf(bySubject: Map<string, Placed[]>, finding: Finding): Finding[] {
  const { account, region } = findingPlace(finding);
  const subject = findingSubject(finding.resource);
  const placed = bySubject.get(subject);
  const known = placed?.find((entry) => entry.account === account && entry.region === region);
  if (known) return known.firsts;
  const entry: Placed = { account, region, firsts: [] };
  if (placed) placed.push(entry);
  else bySubject.set(subject, [entry]);
  return entry.firsts;
}

/** Longest part of a result's description quoted in the finding of copies that differ. */
const COPY_QUOTE_LIMIT = 160;
/** Most results a finding of copies that differ names, the rest counted. */
const COPIES_NAMED = 3;

/**
 * The one finding of copies that share an identity (see {@link oneFindingPerIdentity}): the first
 * when all are alike but for `evaluatedAt`, else NOT_AVAILABLE, `internalError`, naming each
 * different result (its status and description) and that this is a defect to report.
 */
function settleCopies(copies: readonly Finding[], metadata: CheckMetadata | undefined): Finding {
  const [first] = copies as readonly [Finding, ...Finding[]];
  const results = new Map<string, Finding>();
  for (const copy of copies) {
    const { evaluatedAt: _, ...content } = copy;
    const key = canonicalJson(content);
    if (!results.has(key)) results.set(key, copy);
  }
  if (results.size === 1) return first;
  const different = [...results.values()];
  const named = different
    .slice(0, COPIES_NAMED)
    .map(({ status, description }) => `${status}: "${cutText(description, COPY_QUOTE_LIMIT)}"`);
  const more = different.length > COPIES_NAMED ? `; and ${different.length - COPIES_NAMED} more` : '';
  const neither = different.length === 2 ? 'neither is' : 'none of them is';
  const latest = copies.reduce(
    (at, copy) => (copy.evaluatedAt > at ? copy.evaluatedAt : at),
    first.evaluatedAt,
  );
  return {
    checkId: first.checkId,
    group: first.group,
    resource: first.resource,
    status: 'NOT_AVAILABLE',
    severity: NOT_AVAILABLE_SEVERITY,
    title: metadata ? titleFor(metadata, 'NOT_AVAILABLE') : notVerifiedTitle(different),
    description: `Internal error: check ${first.checkId} gave ${different.length} different results for ${first.resource.id} in one run (${named.join('; ')}${more}), which would be one finding in Security Hub, so ${neither} reported. This is a defect in certctl-backup-guard (the resource was read twice, or two checks share one id), not a permission or configuration problem of yours; every other finding of the run is reported as usual, and an active earlier finding of this check in Security Hub is left as it was for up to ${KEEP_ALIVE_DAYS} days after its last update, then kept alive as it was, or as NOT_AVAILABLE when it last said PASSED (one archived when the resource was gone is replaced by this one).`,
    remediation: { text: INTERNAL_ERROR_ADVICE, url: first.remediation.url },
    observed: {
      internalError: 'DuplicateFinding',
      results: different.map(({ status }) => status).join('/'),
    },
    required: { checkEvaluated: true },
    evaluatedAt: latest,
    ...(first.scopeRegion === undefined ? {} : { scopeRegion: first.scopeRegion }),
    internalError: true,
  };
}

/**
 * The title of a NOT_AVAILABLE finding of a check whose metadata is not at hand (a merge of reports):
 * a NOT_AVAILABLE copy's, else `Not verified: ` and a PASSED copy's (the good state), else the check id.
 */
function notVerifiedTitle(copies: readonly Finding[]): string {
  const notVerified = copies.find(({ status }) => status === 'NOT_AVAILABLE');
  if (notVerified?.title.startsWith(NOT_VERIFIED_TITLE_PREFIX)) return notVerified.title;
  const passed = copies.find(({ status }) => status === 'PASSED');
  return `${NOT_VERIFIED_TITLE_PREFIX}${passed?.title ?? (copies[0] as Finding).checkId}`;
}

/** `text` cut to `max` characters with an ellipsis, a surrogate pair never split. */
function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** JSON of `value` with every object's keys sorted: equal for findings alike whatever their key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/**
 * Settled after the event loop's next poll phase, where sockets that finished connecting write what
 * was sent on them: a check-phase callback (`setImmediate`) runs before that phase, a second one
 * after it.
 */
function afterNextPoll(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/**
 * The `unmatchedTargets` of merged reports: a name some report looked for in its own reach and did
 * not find stays unmatched unless the merged report answers to it (a database judged in another
 * report's reach, one judged at another resource, of another engine, or whose look-up failed, which
 * coverageProblems says apart). A name no report called unmatched is not one: each report found it
 * or could not have. Undefined when no report was looked at for names (the merge then makes no
 * claim either way).
 */
function mergedUnmatchedTargets(
  reports: readonly AuditReport[],
  findings: readonly Finding[],
  scopes: readonly ScopeOutcome[],
): string[] | undefined {
  if (!reports.some((report) => report.unmatchedTargets)) return undefined;
  const answered = new Set<string>();
  for (const resource of judgedResources(findings)) {
    for (const name of namesOf(resource)) answered.add(name.toLowerCase());
  }
  for (const report of reports) {
    for (const { identifier } of report.targetsJudgedElsewhere ?? []) answered.add(identifier.toLowerCase());
  }
  for (const outcome of scopes) {
    const names = [
      ...(outcome.otherEngines ?? []).flatMap(({ names }) => names),
      ...(outcome.namesNotLookedUp?.names ?? []),
      ...namedStandInNames(outcome),
    ];
    for (const name of names) answered.add(name.toLowerCase());
  }
  const unmatched = new Map<string, string>();
  for (const report of reports) {
    for (const identifier of report.unmatchedTargets ?? []) {
      const key = identifier.toLowerCase();
      if (!answered.has(key) && !unmatched.has(key)) unmatched.set(key, identifier);
    }
  }
  return [...unmatched.values()];
}

/**
 * The report with `unmatchedTargets` set for what this run covered (see `unmatchedTargets` in
 * targets.ts). Callers that know the run's reach call it last: the AWS and GCP audits for their own
 * provider, the CLI again after merging providers.
 */
export function withTargetCoverage(report: AuditReport, policy: Policy, coverage: RunCoverage): AuditReport {
  const scopes = report.scopes.map((outcome) => ({
    ...outcome.scope,
    complete: outcome.status === 'complete',
  }));
  const standIns = report.scopes.flatMap((outcome) => outcome.standIns ?? []);
  const elsewhere = targetsJudgedElsewhere(policy, standIns);
  // A named database of another engine is reported as such (coverageProblems), not as not found.
  const otherEngineNames = new Set(
    report.scopes.flatMap((outcome) =>
      (outcome.otherEngines ?? []).flatMap(({ names }) => names.map((name) => name.toLowerCase())),
    ),
  );
  // A name whose look-up failed is not known to be missing either: said as such (coverageProblems);
  // nor is a named replica whose chain stopped at an unreadable source (taggedStandInProblems).
  const notLookedUp = new Set(
    report.scopes.flatMap((outcome) =>
      [...(outcome.namesNotLookedUp?.names ?? []), ...namedStandInNames(outcome)].map((name) =>
        name.toLowerCase(),
      ),
    ),
  );
  const redirected = new Set([
    ...elsewhere.map(({ identifier }) => identifier),
    ...policy.targets.identifiers.filter(
      (identifier) =>
        otherEngineNames.has(identifier.toLowerCase()) || notLookedUp.has(identifier.toLowerCase()),
    ),
  ]);
  // Listed only when read: unmatchedTargets reads it only when the policy names identifiers.
  const judged: Iterable<ResourceRef> = {
    [Symbol.iterator]: () => judgedResources(report.findings).values(),
  };
  // Read only when a tagged replica's source is in another Region (most runs have none).
  let judgedArns: ReadonlySet<string> | undefined;
  const sourcesJudged = (): ReadonlySet<string> => {
    judgedArns ??= new Set(
      [...judged].flatMap((resource) => (resource.arn ? [resource.arn.toLowerCase()] : [])),
    );
    return judgedArns;
  };
  return {
    ...report,
    scopes: report.scopes.map((outcome) =>
      outcome.taggedStandIns?.some(({ sourceArn }) => sourceArn !== undefined)
        ? withTaggedStandIns(
            outcome,
            outcome.taggedStandIns.flatMap((standIn) =>
              taggedElsewhere(standIn, outcome.scope.group, scopes, sourcesJudged, coverage),
            ),
          )
        : outcome,
    ),
    unmatchedTargets: unmatchedTargets(policy, judged, scopes, coverage).filter(
      (identifier) => !redirected.has(identifier),
    ),
    ...(elsewhere.length > 0 ? { targetsJudgedElsewhere: elsewhere } : {}),
    ...(coverage.narrowed || report.narrowed ? { narrowed: true } : {}),
    ...(report.scopes.length === 0 && coverage.groups
      ? {
          nothingToRead: {
            providers: coverage.providers,
            groups: coverage.groups,
            ...(coverage.narrowed ? { narrowed: true as const } : {}),
          },
        }
      : {}),
  };
}

/** The names of the stand-ins `targets.identifiers` names that the scope reports ({@link TaggedStandIn} `named`). */
function namedStandInNames(outcome: Pick<ScopeOutcome, 'taggedStandIns'>): readonly string[] {
  return (outcome.taggedStandIns ?? []).flatMap(({ named }) => named ?? []);
}

/** `outcome` with `taggedStandIns` (left out when empty). */
function withTaggedStandIns(outcome: ScopeOutcome, taggedStandIns: readonly TaggedStandIn[]): ScopeOutcome {
  const { taggedStandIns: _, ...rest } = outcome;
  return taggedStandIns.length > 0 ? { ...rest, taggedStandIns } : rest;
}

/**
 * A tagged read replica whose source is in another Region ({@link TaggedStandIn} `sourceArn`), once
 * the run's scopes say where that source stands: dropped when the run judged the source, when the
 * source's Region failed (its findings are NOT_AVAILABLE already) or when a narrowed run did not read
 * it; kept when its Region was read without judging it, and also when the run audits no such Region
 * (then the Region is to be added too). Kept without `sourceArn`, so a second pass keeps it as is.
 */
function taggedElsewhere(
  standIn: TaggedStandIn,
  group: CheckGroup,
  scopes: readonly (CoveredScope & Pick<Scope, 'group'>)[],
  sourcesJudged: () => ReadonlySet<string>,
  coverage: RunCoverage,
): TaggedStandIn[] {
  const { sourceArn, ...rest } = standIn;
  if (sourceArn === undefined) return [standIn];
  if (sourcesJudged().has(sourceArn.toLowerCase())) return [];
  const location = locateIdentifier(sourceArn);
  const scope = scopes.find(
    (candidate) =>
      candidate.group === group &&
      candidate.provider === location?.provider &&
      candidate.account === location.account &&
      candidate.region === location.region,
  );
  if (scope) return scope.complete ? [rest] : [];
  if (coverage.narrowed || !location?.region) return [];
  return [
    { ...rest, tagInstead: `${rest.tagInstead ?? 'its source'} and add ${location.region} to aws.regions` },
  ];
}

/** The databases a report judged (the stand-ins for failed scopes excluded), once each. */
export function judgedResources(findings: readonly Finding[]): ResourceRef[] {
  const byKey = new Map<string, ResourceRef>();
  // The findings of one resource share its object (every check judges the same fact): each object
  // is keyed once, not once per finding.
  const seen = new Set<ResourceRef>();
  let previous: ResourceRef | undefined;
  for (const { resource } of findings) {
    if (resource === previous) continue;
    previous = resource;
    if (resource.type === 'Scope' || seen.has(resource)) continue;
    seen.add(resource);
    byKey.set(resourceKey(resource), resource);
  }
  return [...byKey.values()];
}

/**
 * What a check group that read every scope of its own whole yet judged nothing proved, by what the
 * policy gives it to judge: each group's subject, since another group of the run may have judged
 * its own (a run whose secrets passed proved them, not the databases a tag typo left out).
 */
const NOTHING_JUDGED: Readonly<Record<BuiltInCheckGroup, string>> = {
  pitr: "no database matched the policy's targets (targets.tags, targets.identifiers, targets.all), so no database was proven restorable",
  dumps:
    "no dump series was judged at the policy's dump locations (dumps.locations), so no dump was proven restorable",
  keys: "no secret of the policy's key material (keys.items) was judged, so no key material was proven backed up",
};

function nothingJudgedBy(group: CheckGroup): string {
  return (
    (NOTHING_JUDGED as Readonly<Record<string, string>>)[group] ??
    `the ${group} checks judged no ${groupResources(group)[0]}, so nothing was proven by them`
  );
}

/**
 * Why a report proves less than the policy asks, beyond failed scopes and NOT_AVAILABLE findings:
 * a check group judged nothing in scopes it read whole (a tag typo selects no database and must not
 * read as a pass, even when the run's secrets or dump series were judged), the run had no scope to
 * read at all, or named targets were not found. Empty when the coverage is what the policy asked for.
 */
export function coverageProblems(
  report: Pick<AuditReport, 'findings' | 'scopes' | 'unmatchedTargets' | 'unplanned' | 'nothingToRead'>,
): string[] {
  const problems: string[] = [];
  for (const failure of report.unplanned ?? []) {
    problems.push(`${failure.provider} could not be audited at all: ${failure.message} (${failure.code})`);
  }
  // Judged per group: one group's findings prove nothing of another's subject. A group with a failed
  // scope is left out: that scope is reported already, and what it holds is unknown, not absent.
  const judgedGroups = new Set(
    report.findings.filter((finding) => finding.resource.type !== 'Scope').map((finding) => finding.group),
  );
  const groups = new Set(report.scopes.map(({ scope }) => scope.group));
  for (const group of groups) {
    const whole = report.scopes.every(
      (outcome) => outcome.scope.group !== group || outcome.status === 'complete',
    );
    if (whole && !judgedGroups.has(group)) problems.push(nothingJudgedBy(group));
  }
  const nothingJudged = judgedGroups.size === 0;
  // No scope at all (`--group dumps` on a policy without dump locations, a region narrowed to one
  // holding none of them): nothing was read, and "every check passed" would be a pass on nothing.
  if (report.scopes.length === 0 && nothingJudged && (report.unplanned ?? []).length === 0) {
    problems.push(
      `nothing was audited: ${nothingToRead(report.nothingToRead)}, so nothing was proven restorable`,
    );
  }
  if (report.unmatchedTargets && report.unmatchedTargets.length > 0) {
    problems.push(`targets named in the policy were not found: ${report.unmatchedTargets.join(', ')}`);
  }
  problems.push(
    ...taggedStandInProblems(report.scopes),
    ...otherEngineProblems(report.scopes),
    ...namesNotLookedUpProblems(report.scopes),
  );
  return problems;
}

/**
 * Each name of `targets.identifiers` whose look-up failed ({@link NamesNotLookedUp}), once, with the
 * Regions (`account/region` when the failures span accounts) and error codes: `legacy-mysql: no
 * PostgreSQL listing answers to it, and looking it up failed in 2 Regions (eu-west-1, us-east-1)
 * (ThrottlingException): whether it exists, and of which engine, is unknown: not audited`.
 */
export function namesNotLookedUpProblems(
  scopes: readonly Pick<ScopeOutcome, 'scope' | 'namesNotLookedUp'>[],
): string[] {
  const failed = scopes.filter((outcome) => outcome.namesNotLookedUp !== undefined);
  const accounts = new Set(failed.map(({ scope }) => scope.account));
  const byName = new Map<string, { name: string; places: string[]; codes: Set<string> }>();
  for (const { scope, namesNotLookedUp } of failed) {
    for (const name of namesNotLookedUp?.names ?? []) {
      const key = name.toLowerCase();
      const entry = byName.get(key) ?? { name, places: [], codes: new Set<string>() };
      entry.places.push(accounts.size > 1 ? `${scope.account}/${scope.region}` : scope.region);
      entry.codes.add(namesNotLookedUp?.code ?? 'Unknown');
      byName.set(key, entry);
    }
  }
  return [...byName.values()].map(({ name, places, codes }) => {
    const where =
      places.length === 1 ? `1 Region (${places[0]})` : `${places.length} Regions (${places.join(', ')})`;
    return `${name}: no PostgreSQL listing answers to it, and looking it up failed in ${where} (${[...codes].join(', ')}): whether it exists, and of which engine, is unknown: not audited`;
  });
}

/**
 * The policy's names to look up after every scope is read, by the key of each scope they may be in
 * ({@link scopeKey}): the `targets.identifiers` that no judged database, no database judged at one
 * (`standIns`) and no database of another engine answers to, in each complete AWS scope of `groups`
 * (those whose collector looks names up) a name may be in: a plain name anywhere, an RDS ARN in its
 * own account and Region. A failed scope is not asked: it is NOT_AVAILABLE already, and names are not
 * called missing in a run with one. Empty for `targets.all`, which names nothing.
 */
export function namesToLookUp(
  report: Pick<AuditReport, 'findings' | 'scopes'>,
  policy: Pick<Policy, 'targets'>,
  groups: ReadonlySet<CheckGroup>,
): Map<string, string[]> {
  const byScope = new Map<string, string[]>();
  if (policy.targets.all || policy.targets.identifiers.length === 0) return byScope;
  const answered = new Set<string>();
  for (const resource of judgedResources(report.findings))
    for (const name of namesOf(resource)) answered.add(name.toLowerCase());
  for (const outcome of report.scopes) {
    for (const { names } of [...(outcome.standIns ?? []), ...(outcome.otherEngines ?? [])])
      for (const name of names) answered.add(name.toLowerCase());
    for (const name of namedStandInNames(outcome)) answered.add(name.toLowerCase());
  }
  const unanswered = policy.targets.identifiers.filter((name) => !answered.has(name.toLowerCase()));
  if (unanswered.length === 0) return byScope;
  for (const { scope, status } of report.scopes) {
    if (status !== 'complete' || scope.provider !== 'aws' || !groups.has(scope.group)) continue;
    const here = unanswered.filter((name) => {
      const location = locateIdentifier(name);
      return (
        location === undefined ||
        (location.provider === 'aws' &&
          location.account === scope.account &&
          location.region === scope.region)
      );
    });
    if (here.length > 0) byScope.set(scopeKey(scope), here);
  }
  return byScope;
}

/**
 * Each database the policy selects whose engine is not PostgreSQL (see SelectedOtherEngine):
 * `certctl-mysql is selected by the target tag k=v but its engine MYSQL_8_0 is not PostgreSQL: not
 * audited`.
 */
export function otherEngineProblems(scopes: readonly Pick<ScopeOutcome, 'otherEngines'>[]): string[] {
  return scopes.flatMap(({ otherEngines }) =>
    (otherEngines ?? []).map(
      ({ id, selectedBy, engine }) =>
        `${id} is selected by ${selectedBy} but its engine ${engine} is not PostgreSQL: not audited`,
    ),
  );
}

/** The shape of an RDS ARN, said where one names no Region. */
const RDS_ARN_SHAPE = 'an RDS ARN is arn:<partition>:rds:<region>:<account>:<db or cluster>:<id>';

/**
 * Each database a target tag selects that nothing audits (see TaggedStandIn), with what to tag:
 * `certctl-prod-1 carries the target tag k=v but is a member of Aurora cluster certctl-prod, which
 * does not: tag the cluster to audit it`; or, when its source is an ARN naming no Region, that
 * whether anything audits it is not known; or, when its source is a server outside the cloud's
 * database service (`outsideSource`), that its backups are not audited here. Like a named target not found, the audit covers less
 * than the policy asks.
 */
export function taggedStandInProblems(scopes: readonly Pick<ScopeOutcome, 'taggedStandIns'>[]): string[] {
  return scopes.flatMap(({ taggedStandIns }) =>
    (taggedStandIns ?? []).map(({ id, tag, of, tagInstead, unreadableSource, outsideSource }) => {
      const selected =
        tag === undefined ? 'is named in targets.identifiers' : `carries the target tag ${tag}`;
      if (outsideSource !== undefined) {
        return `${id} ${selected} but is ${of}, which represents a server outside ${outsideSource}: that server's backups are not audited here, and no label or tag changes that`;
      }
      return unreadableSource === undefined
        ? `${id} ${selected} but is ${of}, which does not: tag ${tagInstead ?? 'its source'} to audit it`
        : `${id} ${selected} but is ${of}, whose Region cannot be read from it (${RDS_ARN_SHAPE}): where its source is, and whether anything audits it, is not known`;
    }),
  );
}

/**
 * Why a run planned no scope: what the policy lacks for each of the run's groups in each of its
 * providers (`dumps.locations has no gcp location`); without the run's groups, the fields that give
 * the placed groups their places.
 */
function nothingToRead(run: AuditReport['nothingToRead']): string {
  if (!run) {
    return 'the policy gives the check groups of this run nothing to read in the clouds, regions and projects it covers (dumps.locations, keys.items)';
  }
  // Narrowed to some regions or projects, the policy may place the groups elsewhere: say "there".
  const there = run.narrowed ? ' there' : '';
  const lacks = run.groups.flatMap((group) =>
    run.providers.map((provider) => `${groupLacks(group, provider)}${there}`),
  );
  const named = (noun: string, names: readonly string[]) =>
    `${noun}${names.length === 1 ? '' : 's'} ${names.join(', ')}`;
  const narrowedTo = run.narrowed ? ' in the regions or projects it was narrowed to' : '';
  return `the policy gives this run (${named('provider', run.providers)}, ${named('group', run.groups)}) nothing to read${narrowedTo}: ${lacks.join('; ')}`;
}

/** What the policy lacks for `group` to be read in `provider`'s clouds. */
function groupLacks(group: CheckGroup, provider: Provider): string {
  if (group === 'dumps') return `dumps.locations has no ${provider} location`;
  if (group === 'keys') return `keys.items has no ${provider} secret`;
  if (group === 'pitr')
    return provider === 'gcp' ? 'no GCP project (gcp.projects)' : 'no AWS region (aws.regions)';
  return `the ${group} group has nothing to read in ${provider}`;
}

const STATUS_ORDER: Record<ComplianceStatus, number> = { FAILED: 0, NOT_AVAILABLE: 1, WARNING: 2, PASSED: 3 };

/** Worst first, then by account, region, resource and check, so output is stable. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
    compareText(a.resource.provider, b.resource.provider) ||
    compareText(a.resource.account, b.resource.account) ||
    compareText(a.resource.region, b.resource.region) ||
    compareText(a.resource.id, b.resource.id) ||
    compareText(a.checkId, b.checkId)
  );
}

/**
 * `findings` sorted in place in {@link compareFindings}' order, and returned. Each distinct text is
 * collated once, not once per comparison: the texts of each field are ranked in collation order
 * (texts the collator calls equal share a rank), and findings are then ordered by their ranks,
 * packed with their status and position into one number per finding when they fit in 53 bits (a
 * typed array of numbers sorts without calling back into JavaScript). An audit of 6,000 databases
 * sorts about 28,000 findings; comparing each pair through the collator was about a tenth of its
 * CPU. The order is the same as `sort(compareFindings)`, stability included (test/core/audit.test.ts
 * compares the two).
 */
export function sortFindings(findings: Finding[]): Finding[] {
  // Findings already in order (a report merged with nothing else) cost one pass.
  let inOrder = true;
  for (let index = 1; index < findings.length && inOrder; index += 1) {
    inOrder = compareFindings(findings[index - 1] as Finding, findings[index] as Finding) <= 0;
  }
  if (inOrder) {
    SORTED.add(findings);
    return findings;
  }
  const providers = new Map<string, number>();
  const accounts = new Map<string, number>();
  const regions = new Map<string, number>();
  const ids = new Map<string, number>();
  const checks = new Map<string, number>();
  // The findings of one resource share its object (every check judges the same fact), mostly in a row.
  let previous: ResourceRef | undefined;
  for (const { resource, checkId } of findings) {
    checks.set(checkId, 0);
    if (resource === previous) continue;
    previous = resource;
    providers.set(resource.provider, 0);
    accounts.set(resource.account, 0);
    regions.set(resource.region, 0);
    ids.set(resource.id, 0);
  }
  const fields = [providers, accounts, regions, ids, checks].map((texts) => bitsFor(rankTexts(texts)));
  const count = findings.length;
  const [providerBits = 0, accountBits = 0, regionBits = 0, idBits = 0, checkBits = 0] = fields;
  const indexBits = bitsFor(count - 1);
  const original = [...findings];
  if (2 + providerBits + accountBits + regionBits + idBits + checkBits + indexBits <= 53) {
    // Each field's rank a digit of one integer below 2^53 (exact as a double), the position last:
    // status, then the resource's four ranks (packed once per run of findings sharing a resource
    // object), then the check's, then the position. Every part is an integer and their sum stays
    // below 2^53, so adding them is exact.
    const checkShift = 2 ** indexBits;
    const resourceShift = 2 ** checkBits * checkShift;
    const statusShift = 2 ** (providerBits + accountBits + regionBits + idBits) * resourceShift;
    const keys = new Float64Array(count);
    let shared: ResourceRef | undefined;
    let resourcePart = 0;
    for (let index = 0; index < count; index += 1) {
      const { status, resource, checkId } = original[index] as Finding;
      if (resource !== shared) {
        shared = resource;
        let packed = providers.get(resource.provider) ?? 0;
        packed = packed * 2 ** accountBits + (accounts.get(resource.account) ?? 0);
        packed = packed * 2 ** regionBits + (regions.get(resource.region) ?? 0);
        packed = packed * 2 ** idBits + (ids.get(resource.id) ?? 0);
        resourcePart = packed * resourceShift;
      }
      keys[index] =
        statusRank(status) * statusShift + resourcePart + (checks.get(checkId) ?? 0) * checkShift + index;
    }
    keys.sort();
    const positions = 2 ** indexBits;
    for (let index = 0; index < count; index += 1)
      findings[index] = original[(keys[index] as number) % positions] as Finding;
  } else {
    const rank = (of: (finding: Finding) => number): Float64Array => Float64Array.from(original, of);
    const ranks = [
      rank((finding) => statusRank(finding.status)),
      rank((finding) => providers.get(finding.resource.provider) ?? 0),
      rank((finding) => accounts.get(finding.resource.account) ?? 0),
      rank((finding) => regions.get(finding.resource.region) ?? 0),
      rank((finding) => ids.get(finding.resource.id) ?? 0),
      rank((finding) => checks.get(finding.checkId) ?? 0),
    ];
    const order = new Uint32Array(count);
    for (let index = 0; index < count; index += 1) order[index] = index;
    // Ties keep their order (the index decides), as with the stable sort(compareFindings).
    order.sort((a, b) => {
      for (const field of ranks) {
        const difference = (field[a] as number) - (field[b] as number);
        if (difference !== 0) return difference;
      }
      return a - b;
    });
    for (let index = 0; index < count; index += 1)
      findings[index] = original[order[index] as number] as Finding;
  }
  SORTED.add(findings);
  return findings;
}

/** A status's place in the order; a status outside the four (a defect) as NOT_AVAILABLE's. */
function statusRank(status: ComplianceStatus): number {
  return STATUS_ORDER[status] ?? STATUS_ORDER.NOT_AVAILABLE;
}

/** How many bits hold the numbers 0 to `highest`. */
function bitsFor(highest: number): number {
  let bits = 0;
  while (2 ** bits <= highest) bits += 1;
  return bits;
}

/**
 * Sets each text of `ranks` (its keys) to its rank in collation order, texts the collator calls
 * equal sharing one, and returns the highest rank. Texts whose code-unit order is already their
 * collation order (ids, regions and account numbers mostly are) are sorted natively and each
 * neighbouring pair collated once to prove it: a sequence whose every neighbour follows its
 * predecessor in a total order is in that order.
 */
function rankTexts(ranks: Map<string, number>): number {
  const texts = [...ranks.keys()].sort();
  let collated = true;
  for (let index = 1; index < texts.length && collated; index += 1) {
    collated = COLLATOR.compare(texts[index - 1] as string, texts[index] as string) < 0;
  }
  if (collated) {
    texts.forEach((text, index) => {
      ranks.set(text, index);
    });
    return texts.length - 1;
  }
  texts.sort(compareText);
  let rank = 0;
  texts.forEach((text, index) => {
    if (index > 0 && compareText(texts[index - 1] as string, text) !== 0) rank += 1;
    ranks.set(text, rank);
  });
  return rank;
}

/**
 * The finding arrays {@link sortFindings} put in order in this process. A report's findings are
 * not changed once it is made (`AuditReport.findings` is read-only), so a report merged with
 * nothing else need not be checked again. Weak: an array dropped is forgotten.
 */
const SORTED = new WeakSet<readonly Finding[]>();

/**
 * `a.localeCompare(b)` with the collator built once (the same default-locale collation, ECMA-402
 * `String.prototype.localeCompare`), and equal strings (most providers, accounts and regions of a
 * sorted pair) settled without collating.
 */
const COLLATOR = new Intl.Collator();
function compareText(a: string, b: string): number {
  return a === b ? 0 : COLLATOR.compare(a, b);
}

/** Process exit codes, documented in `--help` and the README. */
export const EXIT_CODES = {
  /** Every finding PASSED (WARNING allowed). */
  ok: 0,
  /** At least one finding FAILED, and every scope was evaluated. */
  failed: 1,
  /**
   * The audit could not complete (a scope failed, a check was NOT_AVAILABLE, a check group judged
   * nothing, as when no database matched the targets, or a named target was not found), or the
   * input was bad.
   */
  incomplete: 2,
} as const;

export function exitCodeFor(
  report: Pick<AuditReport, 'findings' | 'scopes' | 'counts' | 'unmatchedTargets' | 'unplanned'>,
): number {
  // Accepted risk (an active policy exception) counts against neither "failed" nor "incomplete".
  const excepted = report.findings.filter(isExcepted);
  const open =
    excepted.length === 0 ? report.counts : countStatuses(report.findings.filter((f) => !isExcepted(f)));
  if (
    report.scopes.some((scope) => scope.status === 'failed') ||
    open.NOT_AVAILABLE > 0 ||
    coverageProblems(report).length > 0
  ) {
    return EXIT_CODES.incomplete;
  }
  return open.FAILED > 0 ? EXIT_CODES.failed : EXIT_CODES.ok;
}
