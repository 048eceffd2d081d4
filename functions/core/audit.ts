/**
 * The audit engine: evaluate every scope (account or project x region x check group), run the checks
 * over the facts each scope yields, and report which scopes were fully evaluated. A scope that
 * errored yields NOT_AVAILABLE, never PASSED, and is marked failed so no publisher resolves anything
 * inside it.
 */
import { type Check, type CheckContext, toFinding } from './check.ts';
import { describeError, errorCode } from './errors.ts';
import {
  type CheckGroup,
  type ComplianceStatus,
  type Finding,
  type Provider,
  type ResourceRef,
  resourceKey,
} from './finding.ts';
import type { Policy } from './policy.ts';
import { type RunCoverage, unmatchedTargets } from './targets.ts';

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
}

export type StatusCounts = Record<ComplianceStatus, number>;

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
}

export interface AuditProgress {
  readonly scope: Scope;
  readonly outcome: ScopeOutcome;
  readonly done: number;
  readonly total: number;
}

export interface RunAuditOptions<F extends { readonly resource: ResourceRef }> {
  readonly plans: readonly ScopePlan<F>[];
  readonly checks: readonly Check<F>[];
  readonly policy: Policy;
  /** Scopes evaluated at once. */
  readonly concurrency?: number;
  readonly now?: () => Date;
  readonly onProgress?: (progress: AuditProgress) => void;
}

export function countStatuses(findings: readonly Pick<Finding, 'status'>[]): StatusCounts {
  const counts: StatusCounts = { PASSED: 0, WARNING: 0, FAILED: 0, NOT_AVAILABLE: 0 };
  for (const finding of findings) counts[finding.status] += 1;
  return counts;
}

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

/** Run `task` over `items` with at most `limit` in flight, keeping input order in the result. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

export async function runAudit<F extends { readonly resource: ResourceRef }>(
  options: RunAuditOptions<F>,
): Promise<AuditReport> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const findings: Finding[] = [];
  let done = 0;
  const outcomes = await mapWithConcurrency(options.plans, options.concurrency ?? 32, async (plan) => {
    const checks = options.checks.filter(
      (check) => check.metadata.group === plan.scope.group && (check.enabledBy?.(options.policy) ?? true),
    );
    let outcome: ScopeOutcome;
    try {
      const facts = await plan.collect();
      const context: CheckContext = { policy: options.policy, now: now() };
      for (const fact of facts) {
        for (const check of checks) {
          const result = check.evaluate(fact, context);
          if (result) findings.push(toFinding(check.metadata, fact.resource, result, context.now));
        }
      }
      outcome = { scope: plan.scope, status: 'complete', resources: facts.length };
    } catch (error) {
      const code = errorCode(error);
      const message = describeError(error);
      outcome = { scope: plan.scope, status: 'failed', resources: 0, error: { code, message } };
      const evaluatedAt = now();
      for (const check of checks) {
        findings.push(
          toFinding(
            check.metadata,
            scopeResource(plan.scope),
            {
              status: 'NOT_AVAILABLE',
              description: `Could not evaluate ${plan.scope.provider} ${plan.scope.account} in ${plan.scope.region}: ${message} (${code}). No resource in this scope was judged; earlier findings are left as they were.`,
              observed: { error: code },
              required: { scopeEvaluated: true },
              remediationText:
                'Check that the audit role can call the read APIs in this region and that the region is reachable, then run the audit again.',
            },
            evaluatedAt,
          ),
        );
      }
    }
    done += 1;
    options.onProgress?.({ scope: plan.scope, outcome, done, total: options.plans.length });
    return outcome;
  });
  findings.sort(compareFindings);
  return {
    startedAt: startedAt.toISOString(),
    finishedAt: now().toISOString(),
    findings,
    scopes: outcomes,
    counts: countStatuses(findings),
  };
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
  return {
    ...report,
    unmatchedTargets: unmatchedTargets(policy, judgedResources(report.findings), scopes, coverage),
  };
}

/** The databases a report judged (the stand-ins for failed scopes excluded), once each. */
export function judgedResources(findings: readonly Finding[]): ResourceRef[] {
  const byKey = new Map<string, ResourceRef>();
  for (const { resource } of findings) {
    if (resource.type !== 'Scope') byKey.set(resourceKey(resource), resource);
  }
  return [...byKey.values()];
}

/**
 * Why a report proves less than the policy asks, beyond failed scopes and NOT_AVAILABLE findings:
 * no database matched the targets at all (a tag typo selects nothing and must not read as a pass),
 * or named targets were not found. Empty when the coverage is what the policy asked for.
 */
export function coverageProblems(
  report: Pick<AuditReport, 'findings' | 'scopes' | 'unmatchedTargets'>,
): string[] {
  const problems: string[] = [];
  const everyScopeComplete = report.scopes.every((scope) => scope.status === 'complete');
  if (report.scopes.length > 0 && everyScopeComplete && judgedResources(report.findings).length === 0) {
    problems.push(
      "no database matched the policy's targets (targets.tags, targets.identifiers, targets.all), so nothing was proven restorable",
    );
  }
  if (report.unmatchedTargets && report.unmatchedTargets.length > 0) {
    problems.push(`targets named in the policy were not found: ${report.unmatchedTargets.join(', ')}`);
  }
  return problems;
}

const STATUS_ORDER: Record<ComplianceStatus, number> = { FAILED: 0, NOT_AVAILABLE: 1, WARNING: 2, PASSED: 3 };

/** Worst first, then by account, region, resource and check, so output is stable. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
    a.resource.provider.localeCompare(b.resource.provider) ||
    a.resource.account.localeCompare(b.resource.account) ||
    a.resource.region.localeCompare(b.resource.region) ||
    a.resource.id.localeCompare(b.resource.id) ||
    a.checkId.localeCompare(b.checkId)
  );
}

/** Process exit codes, documented in `--help` and the README. */
export const EXIT_CODES = {
  /** Every finding PASSED (WARNING allowed). */
  ok: 0,
  /** At least one finding FAILED, and every scope was evaluated. */
  failed: 1,
  /**
   * The audit could not complete (a scope failed, a check was NOT_AVAILABLE, no database matched the
   * targets or a named target was not found), or the input was bad.
   */
  incomplete: 2,
} as const;

export function exitCodeFor(
  report: Pick<AuditReport, 'findings' | 'scopes' | 'counts' | 'unmatchedTargets'>,
): number {
  if (
    report.scopes.some((scope) => scope.status === 'failed') ||
    report.counts.NOT_AVAILABLE > 0 ||
    coverageProblems(report).length > 0
  ) {
    return EXIT_CODES.incomplete;
  }
  return report.counts.FAILED > 0 ? EXIT_CODES.failed : EXIT_CODES.ok;
}
