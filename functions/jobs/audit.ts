/**
 * The audit job: the one runner behind the `audit-pitr` Lambda, the `auditPitr` Cloud Function and
 * `backup-guard audit`. Plan scopes -> collect facts per scope -> evaluate checks -> merge reports ->
 * publish -> one outcome (exit code, metrics, verdict). Entry points parse their input, call
 * {@link runAuditJob}, and render {@link AuditJobOutcome}.
 *
 * Every step also stands alone for a fan-out (Step Functions, a queue): {@link planAudit} returns
 * plain data, {@link runScopes} runs any subset of its scopes in any process,
 * {@link lookUpUnlistedNames} looks up, over the merged partial reports, the names no scope's listing
 * answered to, {@link finishAudit} merges the reports with the plan's coverage, and
 * {@link publishAudit} publishes the merged report. Nothing here assumes one process sees every
 * scope: scope safety travels with each scope's own outcome.
 */
import type { AwsClientFactory } from '../aws/clients.ts';
import type { AwsCollector, AwsCollectors } from '../aws/collectors.ts';
import {
  type AuditProgress,
  type AuditReport,
  EXIT_CODES,
  exitCodeFor,
  mapWithConcurrency,
  mergeReports,
  namesToLookUp,
  type PlannedScope,
  type PlanningFailure,
  runAudit,
  type ScopePlan,
  scopeKey,
  toScopePlan,
  withTargetCoverage,
} from '../core/audit.ts';
import { closest } from '../core/closest.ts';
import { describeError, eachOrAllFail, errorCode, InputError } from '../core/errors.ts';
import { applyExceptions, unusedExceptions } from '../core/exceptions.ts';
import { exceptionGroup } from '../core/exceptions-policy.ts';
import type { Fact } from '../core/facts.ts';
import type { CheckGroup, Provider } from '../core/finding.ts';
import type { StructuredLogger } from '../core/logging.ts';
import { type AuditMetricValues, auditMetricValues } from '../core/metrics.ts';
import { type Policy, policyProviders } from '../core/policy.ts';
import type { RunCoverage } from '../core/targets.ts';
import type { GcpClientSource, GcpCollector, GcpCollectors } from '../gcp/collectors.ts';
import { planGcpScopes } from '../gcp/planner.ts';
import { summarize } from '../publish/summary.ts';
import { type CheckGroupDefinition, checkGroup, checkGroups, knownCheckGroups } from './groups.ts';
import {
  failedPublication,
  notLandedReason,
  type PublicationOutcome,
  type PublisherDependencies,
  publishAudit,
} from './publish.ts';

/** What to audit in one run. */
export interface AuditRequest {
  /** The clouds to audit. */
  readonly providers: readonly Provider[];
  /** The check groups to run; every registered group when absent. */
  readonly groups?: readonly CheckGroup[];
  /** AWS regions of this run (CLI `--region`, Lambda input); the policy's otherwise. */
  readonly regions?: readonly string[];
  /** GCP projects of this run (CLI `--project`, request body); the policy's otherwise. */
  readonly projects?: readonly string[];
  /** Publish to Security Hub; `policy.securityHub.enabled` when absent. */
  readonly publish?: boolean;
  /**
   * `regions` and `projects` narrow only the groups audited everywhere (the databases): the groups
   * with places (key material, dump locations) are read at every place (readiness).
   */
  readonly placesEverywhere?: boolean;
}

/** What a job runs with: the policy, the clients of each cloud it may read, and how it publishes. */
export interface AuditDependencies {
  readonly policy: Policy;
  /** AWS clients and collectors (functions/aws/collectors.ts); required when the request audits AWS. */
  readonly aws?: {
    readonly factory: AwsClientFactory;
    readonly collectors: AwsCollectors;
    /** Region for account-level calls (STS, Account ListRegions); the runtime's or the CLI's region. */
    readonly homeRegion?: string | undefined;
  };
  /** GCP clients and collectors (functions/gcp/collectors.ts); required when the request audits GCP. */
  readonly gcp?: {
    readonly clients: GcpClientSource;
    readonly collectors: GcpCollectors;
  };
  /** How to publish; required when the run publishes. */
  readonly publisher?: PublisherDependencies;
  readonly logger?: StructuredLogger;
  readonly now?: () => Date;
  readonly onProgress?: (progress: AuditProgress) => void;
}

/** A run's plan: its scopes (plain data) and what it covers, for target coverage after the merge. */
export interface AuditPlan {
  readonly scopes: readonly PlannedScope[];
  /** Providers that could not be planned at all (no credentials, STS down): nothing of theirs is judged. */
  readonly unplanned: readonly PlanningFailure[];
  readonly coverage: RunCoverage;
}

/** The metric values of a run: the audit's, and the findings that did not reach Security Hub. */
export type AuditJobMetrics = AuditMetricValues & { readonly FindingsImportFailed: number };

/** Everything an entry point renders. */
export interface AuditJobOutcome {
  readonly report: AuditReport;
  /** 0 passed, 1 failed, 2 incomplete: the audit's code, raised to 2 when publishing lost findings. */
  readonly exitCode: number;
  /** What the exit code means, in words. */
  readonly verdict: string;
  readonly publication: PublicationOutcome;
  readonly metrics: AuditJobMetrics;
}

/** The groups a request runs, each checked to exist. */
export function requestedGroups(request: Pick<AuditRequest, 'groups'>): CheckGroupDefinition[] {
  if (!request.groups) return checkGroups();
  return [...new Set(request.groups)].map((name) => {
    const group = checkGroup(name);
    if (!group) {
      const known = checkGroups().map((known) => known.name);
      throw new InputError(`unknown check group '${name}'; the groups are ${known.join(', ')}`);
    }
    return group;
  });
}

/**
 * A policy exception whose check id no check of its group has (`pitr.windw` for pitr.window), or
 * whose group is no group at all (`pirt.window`), would never apply, and the failure it was meant to
 * accept would stay open with no word of why: refused before any call, naming it and the group's
 * checks, or the known groups ({@link knownCheckGroups}: the catalog's and every one registered at
 * run time, as readiness waivers are checked). Check ids are judged only for the groups of this
 * run: a function bundles its own, and a group registered elsewhere is not known here.
 */
function refuseUnknownExceptionChecks(policy: Policy, groups: readonly CheckGroupDefinition[]): void {
  const known = knownCheckGroups();
  policy.exceptions.forEach((exception, index) => {
    const name = exceptionGroup(exception);
    if (!known.includes(name)) {
      const meant = closest(name, known);
      throw new InputError(
        `policy exceptions.${index}.check: ${exception.check} names no check group ('${name}'), so the exception would never apply; ${meant ? `did you mean ${meant}? The` : 'the'} groups are ${known.join(', ')}`,
      );
    }
    const group = groups.find((candidate) => candidate.name === name);
    if (!group || group.checks.some((check) => check.metadata.id === exception.check)) return;
    const ids = group.checks.map((check) => check.metadata.id);
    const meant = closest(exception.check, ids);
    throw new InputError(
      `policy exceptions.${index}.check: ${exception.check} is no check of the ${name} group, so the exception would never apply; ${meant ? `did you mean ${meant}? Its` : 'its'} checks are ${ids.join(', ')}`,
    );
  });
}

/**
 * Plan a run. A provider whose planning fails (no credentials, STS unreachable) does not stop the
 * others: it is recorded in `unplanned`, which makes the run incomplete (exit code 2) and keeps
 * publishers from archiving anything. When every provider fails, or the request or policy is bad,
 * planning throws: there is nothing finished to keep.
 */
export async function planAudit(request: AuditRequest, deps: AuditDependencies): Promise<AuditPlan> {
  const groups = requestedGroups(request);
  refuseUnknownExceptionChecks(deps.policy, groups);
  const groupsFor = (provider: Provider): CheckGroup[] =>
    groups.filter((group) => collectorOf(group, provider, deps) !== undefined).map((group) => group.name);
  const providers = [...new Set(request.providers)];
  // When no provider could be planned there is no finished work to keep: the run fails with the
  // error itself (one line for missing credentials, the API and region for an STS outage).
  const planned = await eachOrAllFail(
    providers,
    async (provider): Promise<{ scopes: PlannedScope[]; failure?: PlanningFailure }> => ({
      scopes: await planProvider(provider, groupsFor(provider), request, deps),
    }),
    (provider, error) => ({
      scopes: [],
      failure: { provider, code: errorCode(error), message: describeError(error) },
    }),
  );
  const scopes = planned.flatMap((entry) => entry.scopes);
  const unplanned = planned.flatMap((entry) => (entry.failure ? [entry.failure] : []));
  return {
    scopes,
    unplanned,
    coverage: {
      providers,
      groups: groups.map((group) => group.name),
      narrowed: request.regions !== undefined || request.projects !== undefined,
    },
  };
}

/**
 * The AWS planner, loaded when an AWS scope is planned or run: it brings the STS client (and, when
 * it lists regions, the Account client), which a GCP Cloud Function never calls and so never loads
 * (infra/gcp/bundle.ts).
 */
function awsPlanner(): Promise<typeof import('../aws/planner.ts')> {
  return import('../aws/planner.ts');
}

async function planProvider(
  provider: Provider,
  groups: readonly CheckGroup[],
  request: AuditRequest,
  deps: AuditDependencies,
): Promise<PlannedScope[]> {
  if (provider === 'aws') {
    if (!deps.aws) throw new InputError('AWS is audited but no AWS clients were configured');
    const { planAwsScopes } = await awsPlanner();
    const { factory } = deps.aws;
    const now = deps.now ?? (() => new Date());
    return planAwsScopes(deps.policy, factory, {
      groups,
      placesOf: (name) => checkGroup(name)?.places?.(deps.policy, 'aws'),
      prepare: ({ group, account, region }) => {
        const definition = checkGroup(group);
        const collector = definition && (collectorOf(definition, 'aws', deps) as AwsCollector | undefined);
        collector?.prepare?.({ factory, account, region, policy: deps.policy, now });
      },
      ...(request.regions ? { regions: request.regions } : {}),
      ...(request.placesEverywhere ? { placesEverywhere: true } : {}),
      ...(deps.aws.homeRegion ? { homeRegion: deps.aws.homeRegion } : {}),
    });
  }
  if (!deps.gcp) throw new InputError('GCP is audited but no GCP clients were configured');
  const projects = request.projects ?? deps.policy.gcp.projects;
  if (projects.length === 0) {
    // An audit with nothing to audit would report green forever.
    throw new InputError(
      'no GCP project to audit: list them in the policy (gcp.projects) or pass them with the run (--project)',
    );
  }
  return planGcpScopes(deps.policy, {
    groups,
    projects,
    placesOf: (name) => checkGroup(name)?.places?.(deps.policy, 'gcp'),
    ...(request.placesEverywhere ? { placesEverywhere: true } : {}),
  });
}

/** A planned scope made runnable: its group's checks, and `collect` reading its facts with `deps`. */
export interface RunnableScope extends ScopePlan<Fact> {
  readonly group: CheckGroupDefinition;
}

/** Bind a planned scope to its group's collector for its provider. */
export function runnableScope(planned: PlannedScope, deps: AuditDependencies): RunnableScope {
  const { scope } = planned;
  const group = checkGroup(scope.group);
  if (!group) throw new InputError(`scope ${scopeKey(scope)}: no check group '${scope.group}' is registered`);
  const now = deps.now ?? (() => new Date());
  const collect = (): Promise<readonly Fact[]> => {
    if (scope.provider === 'aws') {
      const collector = collectorOf(group, 'aws', deps) as AwsCollector | undefined;
      const aws = deps.aws;
      if (!collector || !aws)
        return Promise.reject(new InputError(`check group ${scope.group} has no AWS collector here`));
      return awsPlanner().then(({ auditedAccountOf }) =>
        collector({
          factory: aws.factory,
          account: auditedAccountOf(deps.policy, scope.account),
          region: scope.region,
          policy: deps.policy,
          now,
        }).catch(async (error: unknown) => {
          // A Region spelled right that AWS does not have fails here, as a name that does not resolve.
          throw (await import('../aws/protocol.ts')).withUnresolvedRegion(error, scope.region);
        }),
      );
    }
    const collector = collectorOf(group, 'gcp', deps) as GcpCollector | undefined;
    if (!collector || !deps.gcp)
      return Promise.reject(new InputError(`check group ${scope.group} has no GCP collector here`));
    return collector({ clients: deps.gcp.clients, project: scope.account, policy: deps.policy, now });
  };
  return { ...toScopePlan(planned, collect), group };
}

/** The group's collector for a provider: the entry point's, else one the group carries itself. */
function collectorOf(
  group: CheckGroupDefinition,
  provider: Provider,
  deps: AuditDependencies,
): AwsCollector | GcpCollector | undefined {
  if (provider === 'aws') return deps.aws?.collectors[group.name] ?? group.collect?.aws;
  return deps.gcp?.collectors[group.name] ?? group.collect?.gcp;
}

/** Run some scopes of a plan (all of them, or one batch of a fan-out) and report them. */
export async function runScopes(
  scopes: readonly PlannedScope[],
  deps: AuditDependencies,
): Promise<AuditReport> {
  const runnable = scopes.map((planned) => runnableScope(planned, deps));
  const byGroup = new Map<CheckGroupDefinition, RunnableScope[]>();
  for (const scope of runnable) byGroup.set(scope.group, [...(byGroup.get(scope.group) ?? []), scope]);
  const reports = await Promise.all(
    [...byGroup].map(([group, plans]) =>
      runAudit({
        plans,
        checks: group.checks,
        policy: deps.policy,
        concurrency: scopeConcurrency(deps.policy),
        ...(deps.now ? { now: deps.now } : {}),
        ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
      }),
    ),
  );
  return mergeReports(reports);
}

/**
 * The report with the policy's names that no scope's listing answered to looked up, in each complete
 * scope they may be in, by the collectors that look names up (`AwsCollector.lookUpNames`: the PITR
 * listings filter on engine, so a name of a MySQL database reads as not found). Run once every scope
 * is read, so a name one Region lists is asked nowhere (16 Regions, 3 names all listed: no call; a
 * look-up in each Region that did not list it was 15 x 2 calls a run). What a look-up finds joins its
 * scope's `otherEngines`; a look-up that fails is kept as the scope's `namesNotLookedUp`, said under
 * Coverage (the run incomplete, nothing archived) and leaving the scope complete: nothing judged
 * answers to those names, so no finding of theirs can be resolved, and the scope's other findings
 * rest on its listings alone.
 */
export async function lookUpUnlistedNames(
  report: AuditReport,
  deps: AuditDependencies,
): Promise<AuditReport> {
  const aws = deps.aws;
  if (!aws) return report;
  const lookUps = new Map<CheckGroup, NonNullable<AwsCollector['lookUpNames']>>();
  for (const name of new Set(report.scopes.map((outcome) => outcome.scope.group))) {
    const group = checkGroup(name);
    const collector = group ? (collectorOf(group, 'aws', deps) as AwsCollector | undefined) : undefined;
    if (collector?.lookUpNames) lookUps.set(name, collector.lookUpNames);
  }
  if (lookUps.size === 0) return report;
  const wanted = namesToLookUp(report, deps.policy, new Set(lookUps.keys()));
  if (wanted.size === 0) return report;
  const { auditedAccountOf } = await awsPlanner();
  const now = deps.now ?? (() => new Date());
  const scopes = await mapWithConcurrency(report.scopes, scopeConcurrency(deps.policy), async (outcome) => {
    const { scope } = outcome;
    const names = wanted.get(scopeKey(scope));
    const lookUp = lookUps.get(scope.group);
    if (!names || !lookUp) return outcome;
    try {
      const account = auditedAccountOf(deps.policy, scope.account);
      const found = await lookUp(
        { factory: aws.factory, account, region: scope.region, policy: deps.policy, now },
        names,
      );
      return found.length > 0
        ? { ...outcome, otherEngines: [...(outcome.otherEngines ?? []), ...found] }
        : outcome;
    } catch (error) {
      const failure = { names, code: errorCode(error), message: describeError(error) };
      deps.logger?.warn('named targets not looked up', { scope, ...failure });
      return { ...outcome, namesNotLookedUp: failure };
    }
  });
  return { ...report, scopes };
}

/** Scopes read at once: the policy's regions per account, for every account. */
function scopeConcurrency(policy: Policy): number {
  return policy.aws.regionConcurrency * Math.max(1, policy.aws.accounts.length);
}

/** The merged report of a plan's runs, with the planning failures and the plan's target coverage. */
export function finishAudit(plan: AuditPlan, reports: readonly AuditReport[], policy: Policy): AuditReport {
  const judged = mergeReports(reports);
  const unused = readEverything(plan, judged, policy)
    ? unusedExceptions(judged.findings, policy, plan.coverage.groups ?? [])
    : [];
  const merged = {
    ...judged,
    findings: applyExceptions(judged.findings, policy, new Date(judged.finishedAt)),
    ...(unused.length > 0 ? { unusedExceptions: unused } : {}),
  };
  const report = plan.unplanned.length > 0 ? { ...merged, unplanned: plan.unplanned } : merged;
  return withTargetCoverage(report, policy, plan.coverage);
}

/**
 * Whether a run read everything the policy selects: not narrowed to some regions or projects, every
 * provider the policy configures planned, every scope read. Only then does a name that matches
 * nothing mean the name is wrong.
 */
function readEverything(plan: AuditPlan, report: AuditReport, policy: Policy): boolean {
  return (
    !plan.coverage.narrowed &&
    plan.unplanned.length === 0 &&
    policyProviders(policy).every((provider) => plan.coverage.providers.includes(provider)) &&
    report.scopes.every((outcome) => outcome.status === 'complete')
  );
}

/** Plan and run every scope in this process, and merge: the report, without publishing. */
export async function runAuditReport(request: AuditRequest, deps: AuditDependencies): Promise<AuditReport> {
  const plan = await planAudit(request, deps);
  for (const failure of plan.unplanned) {
    deps.logger?.error('provider not audited', { ...failure });
  }
  const judged = await lookUpUnlistedNames(await runScopes(plan.scopes, deps), deps);
  const report = finishAudit(plan, [judged], deps.policy);
  for (const warning of report.unusedExceptions ?? []) {
    deps.logger?.warn('policy exception applies to nothing', { warning });
  }
  return report;
}

/** The whole job in one process: plan, run every scope, merge, publish, one outcome. */
export async function runAuditJob(request: AuditRequest, deps: AuditDependencies): Promise<AuditJobOutcome> {
  const report = await runAuditReport(request, deps);
  for (const outcome of report.scopes) {
    if (outcome.status === 'failed')
      deps.logger?.error('scope not evaluated', { scope: outcome.scope, error: outcome.error });
  }
  const publish = request.publish ?? deps.policy.securityHub.enabled;
  // A crash past publishAudit's own handling (its logger, a defect) must not cost the finished
  // report: it is a publication that delivered nothing, which every report written says.
  const publication = publish
    ? await publishAudit(report, {
        ...deps,
        groupsRun: requestedGroups(request).map((group) => group.name),
      }).catch((error: unknown) => failedPublication(report, error))
    : ({ status: 'disabled' } as const);
  return auditOutcome(report, publication);
}

/**
 * The outcome of a finished report and its publication (also the merge step of a fan-out). A
 * publication that did not land is recorded in the report (`notImported`, and why in
 * `notImportedReason`), so every report written of the run carries the exit code and verdict the
 * run ends with, and the cause.
 */
export function auditOutcome(finished: AuditReport, publication: PublicationOutcome): AuditJobOutcome {
  const landed = publication.status === 'published' || publication.status === 'disabled';
  const report = landed
    ? finished
    : { ...finished, notImported: publication.failedCount, notImportedReason: notLandedReason(publication) };
  const summary = summarize(report);
  const auditExit = exitCodeFor(report);
  const exitCode = landed ? auditExit : Math.max(auditExit, EXIT_CODES.incomplete);
  const values = auditMetricValues(report);
  const metrics: AuditJobMetrics = {
    ...values,
    // A run whose findings did not all land has not completed, whatever entry point records it (the
    // Lambda's metrics, the Cloud Function's log line): the not-completed alarm must see it.
    AuditCompleted: landed ? values.AuditCompleted : 0,
    FindingsImportFailed: publication.status === 'disabled' ? 0 : publication.failedCount,
  };
  return { report, exitCode, verdict: summary.verdict, publication, metrics };
}
