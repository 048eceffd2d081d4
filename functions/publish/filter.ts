/**
 * Narrowing a finished report for display (CLI `--check`, `--exclude-check`, `--severity`,
 * `--failed-only`). The run itself is never narrowed here: what was published, and the coverage of
 * the run, stay whole (group filters narrow the run before it starts, in the runner's request).
 */
import { type AuditReport, countStatuses, coverageProblems } from '../core/audit.ts';
import { type Finding, resourceKey, type Severity } from '../core/finding.ts';
import { RESTORE_CHECK_IDS } from './restore-window.ts';
import { countResources, type ViewedReport } from './summary.ts';

export interface ReportFilter {
  /** Keep only findings of these check ids (group names are resolved to their ids by the caller). */
  readonly checks?: ReadonlySet<string>;
  /** Drop findings of these check ids. */
  readonly excludeChecks?: ReadonlySet<string>;
  /** Keep only checks of these severities (the severity a check has when it fails). */
  readonly severities?: ReadonlySet<Severity>;
  /** Hide passed findings; they are still counted. */
  readonly failedOnly?: boolean;
  /** The severity of a check id when it fails; a finding's own severity when unknown. */
  readonly severityOf?: (checkId: string) => Severity | undefined;
}

/** The report as the filters show it; the report itself when no filter is set. */
export function filterReport(report: AuditReport, filter: ReportFilter): ViewedReport {
  const { checks, excludeChecks, severities, failedOnly = false } = filter;
  if (!checks && !excludeChecks && !severities && !failedOnly) return report;
  const severityOf = (finding: Finding): Severity => filter.severityOf?.(finding.checkId) ?? finding.severity;
  const selected = report.findings.filter(
    (finding) =>
      (checks === undefined || checks.has(finding.checkId)) &&
      !excludeChecks?.has(finding.checkId) &&
      (severities === undefined || severities.has(severityOf(finding))),
  );
  const words = [
    ...(checks ? [`check ${[...checks].join(', ')}`] : []),
    ...(excludeChecks ? [`not ${[...excludeChecks].join(', ')}`] : []),
    ...(severities ? [`severity ${[...severities].join(', ')}`] : []),
    ...(failedOnly ? ['passes hidden'] : []),
  ];
  const shown = failedOnly ? selected.filter((finding) => finding.status !== 'PASSED') : selected;
  return {
    ...report,
    findings: shown,
    counts: countStatuses(selected),
    view: {
      filters: words,
      failedOnly,
      resources: countResources(selected),
      coverageProblems: coverageProblems(report),
      total: report.findings.length,
      leftOut: report.findings.length - selected.length,
      passesHidden: selected.length - shown.length,
      restoreContext: restoreContext(report.findings, shown),
    },
  };
}

/**
 * The restore-window findings (window, lag, retention) the filters hid of the databases still shown:
 * hiding a passed `pitr.window` hides a finding, not the window it proved.
 */
function restoreContext(all: readonly Finding[], shown: readonly Finding[]): Finding[] {
  const kept = new Set(shown);
  const databases = new Set(shown.map((finding) => resourceKey(finding.resource)));
  return all.filter(
    (finding) =>
      RESTORE_CHECK_IDS.has(finding.checkId) &&
      !kept.has(finding) &&
      databases.has(resourceKey(finding.resource)),
  );
}
