/**
 * Shared wording for every renderer: the one-line summary and the observed-vs-required detail, so
 * the terminal, Markdown and chat say the same thing.
 */

import { type AuditReport, coverageProblems, EXIT_CODES, type ScopeOutcome } from '../core/audit.ts';
import { isExcepted } from '../core/exceptions.ts';
import {
  CHECK_GROUPS,
  type CheckGroup,
  type Finding,
  type FindingValues,
  groupResources,
  RESOURCE_NOUN,
  type ResourceRef,
} from '../core/finding.ts';
import { plural } from '../core/plural.ts';

/** The short name of each resource type, as every renderer prints it (`rds:certctl-prod-db`). */
export const RESOURCE_KIND: Readonly<Record<ResourceRef['type'], string>> = {
  AwsRdsDbInstance: 'rds',
  AwsRdsDbCluster: 'aurora',
  GcpCloudSqlInstance: 'cloudsql',
  AwsS3Bucket: 's3',
  GcpStorageBucket: 'gcs',
  AwsSecretsManagerSecret: 'secret',
  GcpSecretManagerSecret: 'secret',
  Scope: 'scope',
};

/** The distinct resources of some findings (scopes aside), counted by {@link RESOURCE_NOUN}, in the order first met. */
export type ResourceCounts = ReadonlyMap<string, number>;
const PLURAL_OF: ReadonlyMap<string, string> = new Map(Object.values(RESOURCE_NOUN));

export function countResources(findings: readonly Finding[]): ResourceCounts {
  const seen = new Set<string>();
  const counts = new Map<string, number>();
  for (const finding of findings) {
    if (finding.resource.type === 'Scope') continue;
    const key = describeResource(finding.resource);
    if (seen.has(key)) continue;
    seen.add(key);
    const [noun] = RESOURCE_NOUN[finding.resource.type];
    counts.set(noun, (counts.get(noun) ?? 0) + 1);
  }
  return counts;
}

/**
 * `4 databases, 1 secret`. With none, what the run's groups judge (`0 dump series, 0 secrets`,
 * catalog order), or `0 databases` when no group is known (the audit's first subject).
 */
export function describeResourceCounts(counts: ResourceCounts, groups: readonly CheckGroup[] = []): string {
  if (counts.size === 0) {
    const ranked = [...new Set(groups)].sort((a, b) => catalogRank(a) - catalogRank(b));
    if (ranked.length === 0) return plural(0, 'database');
    return [...new Set(ranked.map((group) => groupResources(group)[1]))]
      .map((many) => `0 ${many}`)
      .join(', ');
  }
  return [...counts].map(([noun, count]) => plural(count, noun, PLURAL_OF.get(noun))).join(', ');
}

function catalogRank(group: CheckGroup): number {
  const index = (CHECK_GROUPS as readonly string[]).indexOf(group);
  return index < 0 ? CHECK_GROUPS.length : index;
}

/** The groups a report's run read or meant to read. */
function groupsOf(report: Pick<AuditReport, 'scopes' | 'nothingToRead'>): CheckGroup[] {
  return [...report.scopes.map(({ scope }) => scope.group), ...(report.nothingToRead?.groups ?? [])];
}

/**
 * `No secret in it was judged`: what a scope that could not be read left unjudged, named by its
 * group (a keys scope holds secrets, a dumps scope dump series), as every report says it.
 */
export function notJudgedIn(scope: ScopeOutcome['scope']): string {
  return `No ${groupResources(scope.group)[0]} in it was judged`;
}

export function describeResource(resource: ResourceRef): string {
  return `${resource.provider}:${resource.account}/${resource.region} ${RESOURCE_KIND[resource.type]}:${resource.id}`;
}

function formatValues(values: FindingValues): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}=${value === null ? '-' : String(value)}`)
    .join(', ');
}

/**
 * `retentionDays=7 (required retentionDays=30)`, or just the observed values when nothing is
 * required. A check that could not evaluate proved none of its values: they are said as read, after
 * `not evaluated` (a window of a database being deleted still has days, which no restore can use).
 */
export function describeValues(finding: Pick<Finding, 'observed' | 'required' | 'status'>): string {
  const read = formatValues(finding.observed);
  const observed =
    finding.status === 'NOT_AVAILABLE' ? `not evaluated${read ? `; as read: ${read}` : ''}` : read;
  const required = formatValues(finding.required);
  return required ? `${observed} (required ${required})` : observed;
}

const EXIT_MEANING: Record<number, string> = {
  [EXIT_CODES.ok]: 'every check passed',
  [EXIT_CODES.failed]: 'some checks failed',
  [EXIT_CODES.incomplete]: 'the audit could not complete',
};

export function describeExitCode(code: number): string {
  return EXIT_MEANING[code] ?? 'unknown';
}

/**
 * How a report was narrowed for display (CLI `--check`, `--severity`, `--failed-only`). The
 * counts, the databases and the coverage stay those of what was selected before `--failed-only`
 * hid the passes, so the verdict does not change with the view.
 */
export interface ReportView {
  /** The filters in words (`check pitr.lag`, `severity HIGH, CRITICAL`, `failed only`). */
  readonly filters: readonly string[];
  /** Passed findings are hidden (still counted). */
  readonly failedOnly: boolean;
  /** Resources judged by the selected checks, passes included. */
  readonly resources: ResourceCounts;
  /** The coverage problems of the whole run (filters never hide a coverage gap). */
  readonly coverageProblems: readonly string[];
  /** Findings of the run, before any filter. */
  readonly total: number;
  /** Findings `--check`, `--exclude-check` or `--severity` left out. */
  readonly leftOut: number;
  /** Passed findings `--failed-only` hides (counted in `counts`). */
  readonly passesHidden: number;
  /**
   * The `pitr.window`, `pitr.lag` and `pitr.retention` findings of the databases still shown that
   * the filters hid: a database kept for its failed retention still shows the window and lag its
   * other checks proved (restore-window.ts reads them), without them being listed or counted.
   */
  readonly restoreContext: readonly Finding[];
}

/** A report, possibly narrowed for display; renderers take it as they take a report. */
export type ViewedReport = AuditReport & { readonly view?: ReportView };

export interface ReportSummary {
  /** The resources judged, by what they are (databases, dump series, secrets). */
  readonly resources: ResourceCounts;
  /** Why the audit covers less than the policy asks (see coverageProblems); empty when it does not. */
  readonly coverageProblems: readonly string[];
  readonly scopesEvaluated: number;
  readonly scopesTotal: number;
  readonly exitCode: number;
  /** The exit code in words; for exit code 2, the reasons that apply to this run and no others. */
  readonly verdict: string;
  /** Why the audit could not complete (empty unless the exit code is 2). */
  readonly incompleteReasons: readonly string[];
}

/** The reasons exit code 2 applies to this report, each in one phrase; empty when it does not. */
export function incompleteReasons(report: ViewedReport, coverage: readonly string[]): string[] {
  const reasons: string[] = [];
  const failedScopes = report.scopes.filter((scope) => scope.status === 'failed');
  if (failedScopes.length > 0) {
    const named = failedScopes
      .slice(0, 3)
      .map(
        ({ scope, error }) =>
          `${scope.provider}:${scope.account}/${scope.region} ${scope.group}: ${error?.code ?? 'Unknown'}`,
      );
    const more = failedScopes.length > 3 ? `, and ${failedScopes.length - 3} more` : '';
    reasons.push(
      `${plural(failedScopes.length, 'scope')} of ${report.scopes.length} could not be read (${named.join('; ')}${more})`,
    );
  }
  const unevaluated = report.findings.filter(
    (finding) => finding.status === 'NOT_AVAILABLE' && finding.resource.type !== 'Scope',
  );
  const unevaluatedCount = unevaluated.length;
  if (unevaluatedCount > 0) {
    const resources = countResources(unevaluated);
    reasons.push(
      `${plural(unevaluatedCount, 'check')} could not be evaluated${resources.size > 0 ? ` on ${describeResourceCounts(resources)}` : ''}`,
    );
  }
  reasons.push(...coverage);
  return reasons;
}

/**
 * The verdict of exit code 0 in words: `every check passed` only when every finding shown did; a
 * warning or a failure accepted as risk (an active policy exception) is named, never called a pass.
 */
function okVerdict(report: ViewedReport): string {
  const warnings = report.findings.filter((finding) => finding.status === 'WARNING').length;
  const accepted = report.findings.filter(
    (finding) => finding.status === 'FAILED' && isExcepted(finding),
  ).length;
  const warned = warnings > 0 ? plural(warnings, 'warning') : '';
  if (accepted > 0) {
    return `no open failure: ${plural(accepted, 'failure')} accepted as risk (${accepted === 1 ? 'policy exception' : 'policy exceptions'})${warned ? `, ${warned}` : ''}`;
  }
  return warned ? `no check failed (${warned})` : describeExitCode(EXIT_CODES.ok);
}

export function summarize(report: ViewedReport): ReportSummary {
  const resources = report.view?.resources ?? countResources(report.findings);
  const coverage = report.view?.coverageProblems ?? coverageProblems(report);
  const reasons = incompleteReasons(report, coverage);
  // The same rule as exitCodeFor (core/audit.ts), over the coverage of the whole run: accepted
  // risk (an active policy exception) does not count as failed.
  const failed = report.findings.some((finding) => finding.status === 'FAILED' && !isExcepted(finding));
  const auditExit = reasons.length > 0 ? EXIT_CODES.incomplete : failed ? EXIT_CODES.failed : EXIT_CODES.ok;
  const auditVerdict =
    auditExit === EXIT_CODES.incomplete && reasons.length > 0
      ? `${describeExitCode(auditExit)}: ${reasons.join('; ')}`
      : auditExit === EXIT_CODES.ok
        ? okVerdict(report)
        : describeExitCode(auditExit);
  const lost =
    report.notImported === undefined ? undefined : notImported(report.notImported, report.notImportedReason);
  const exitCode = lost === undefined ? auditExit : EXIT_CODES.incomplete;
  return {
    resources,
    coverageProblems: coverage,
    scopesEvaluated: report.scopes.filter((scope) => scope.status === 'complete').length,
    scopesTotal: report.scopes.length,
    exitCode,
    verdict: lost === undefined ? auditVerdict : notLanded(auditExit, auditVerdict, lost),
    incompleteReasons: exitCode === EXIT_CODES.incomplete ? [...reasons, ...(lost ? [lost] : [])] : [],
  };
}

/**
 * `2 findings were not imported into Security Hub (Security Hub refused them: InvalidInput 2)`; the
 * reason alone when every finding landed (the findings held in a region could not be read).
 */
function notImported(count: number, reason: string | undefined): string {
  if (count === 0 && reason !== undefined) return reason;
  const lost = `${count} ${count === 1 ? 'finding was' : 'findings were'} not imported into Security Hub`;
  return reason === undefined ? lost : `${lost} (${reason})`;
}

/**
 * The verdict of a run whose findings did not all reach Security Hub: exit code 2 in words, with
 * how many did not land, and the audit's own verdict kept (an incomplete audit's reasons first).
 */
function notLanded(auditExit: number, auditVerdict: string, lost: string): string {
  if (auditExit === EXIT_CODES.incomplete) return `${auditVerdict}; ${lost}`;
  return `${describeExitCode(EXIT_CODES.incomplete)}: ${lost} (${auditVerdict})`;
}

/**
 * `5 passed, 1 warning, 3 failed, 0 not available — 4 databases, 2 secrets, 2 of 2 scopes evaluated`,
 * and for a filtered report what the filters left out (`; 3 of 9 findings shown (6 passes hidden by
 * --failed-only)`), so a narrowed report never reads as the whole run.
 */
export function summaryLine(report: ViewedReport): string {
  const summary = summarize(report);
  const { counts } = report;
  return (
    `${counts.PASSED} passed, ${counts.WARNING} warning, ${counts.FAILED} failed, ` +
    `${counts.NOT_AVAILABLE} not available — ${describeResourceCounts(summary.resources, groupsOf(report))}, ` +
    `${summary.scopesEvaluated} of ${plural(summary.scopesTotal, 'scope')} evaluated${shownLine(report)}`
  );
}

/** `; 3 of 9 findings shown (6 passes hidden by --failed-only)`; empty when nothing was left out. */
function shownLine(report: ViewedReport): string {
  const { view } = report;
  if (!view || (view.leftOut === 0 && view.passesHidden === 0)) return '';
  const why = [
    ...(view.passesHidden > 0
      ? [`${plural(view.passesHidden, 'pass', 'passes')} hidden by --failed-only`]
      : []),
    ...(view.leftOut > 0 ? [`${view.leftOut} left out by the check and severity filters`] : []),
  ];
  return `; ${report.findings.length} of ${plural(view.total, 'finding')} shown (${why.join(', ')})`;
}
