/** The Markdown report: for tickets, pull requests and change records. */
import { isWebUrl } from './markup.ts';
import { lagLabel, restoreWindowRows, retentionLabel, windowLabel, windowSpan } from './restore-window.ts';
import {
  describeResource,
  describeValues,
  notJudgedIn,
  summarize,
  summaryLine,
  type ViewedReport,
} from './summary.ts';
import { renderRestoreWindowSvg } from './svg.ts';
import { visibleLine } from './terminal.ts';

/**
 * Escape text for a table cell or a list line. Resource names, descriptions and error messages come
 * from clouds and tags anyone with access may set: a pipe or line break would break the table, and
 * `<`, `[`, `]` or a backtick would open raw HTML, a link or a code span (CommonMark 0.31 §2.4: any
 * ASCII punctuation may be backslash-escaped; GFM tables: `\|` escapes a pipe in a cell). Control
 * and bidirectional characters are shown as `\x0a` / `\u202e` (terminal.ts `visibleLine`, as the
 * table and chat show them): a line feed would end the row, a right-to-left override reverse it. The
 * backslash of those escapes needs none of its own: before a letter it is a literal backslash.
 */
function cell(text: string): string {
  return visibleLine(text.replaceAll(/[\\`<>[\]|]/g, (char) => `\\${char}`));
}

/**
 * Escape text whose `inline code` spans are meant (remediation commands, descriptions quoting an
 * identifier): the spans stay code, whose content Markdown shows literally (only a pipe needs its
 * escape there, for the table), and everything around them is escaped as {@link cell} does.
 */
function cellWithCode(text: string): string {
  return text
    .split(/(`[^`\r\n]+`)/)
    .map((part, index) => (index % 2 === 1 ? visibleLine(part).replaceAll('|', '\\|') : cell(part)))
    .join('');
}

/** An identifier in a code span: a backtick of its own would end the span early. */
function code(text: string): string {
  return `\`${visibleLine(text).replaceAll('`', "'").replaceAll('|', '\\|')}\``;
}

/** ` ([docs](url))` for a web link; nothing for anything else (a link target is not escaped text). */
function docsLink(url: string): string {
  return isWebUrl(url) && !/[\s()<>]/.test(url) && visibleLine(url) === url ? ` ([docs](${url}))` : '';
}

/**
 * The restore window of each database, failing first: the picture as an inline SVG image (a data
 * URI, so the file stays self-contained; viewers that strip data-URI images, GitHub among them,
 * still show its alt text) and the same numbers as a table. Empty when no database was judged.
 */
function restoreWindowSection(report: ViewedReport): string[] {
  const rows = restoreWindowRows(report);
  const svg = renderRestoreWindowSvg(report);
  if (rows.length === 0 || svg === undefined) return [];
  const image = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
  return [
    '## Restore windows',
    '',
    `![Restore window per database: earliest to latest restorable time against the required days](${image})`,
    '',
    '| Status | Database | Restore window | Earliest to latest | Retention | Restore lag |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (row) =>
        `| ${row.status} | ${cell(row.label)} | ${cell(windowLabel(row))} | ${cell(windowSpan(row))} | ${cell(retentionLabel(row))} | ${cell(lagLabel(row))} |`,
    ),
    '',
  ];
}

/** Passed findings in one short table: per check, how many resources passed and which. */
function passSummary(passed: readonly ViewedReport['findings'][number][]): string[] {
  if (passed.length === 0) return [];
  const byCheck = new Map<string, string[]>();
  for (const finding of passed) {
    const names = byCheck.get(finding.checkId) ?? [];
    names.push(finding.resource.id);
    byCheck.set(finding.checkId, names);
  }
  return [
    '',
    `## Passed (${passed.length})`,
    '',
    '| Check | Passed | Which |',
    '| --- | --- | --- |',
    ...[...byCheck.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([checkId, names]) => `| ${code(checkId)} | ${names.length} | ${cell(names.sort().join(', '))} |`),
  ];
}

/**
 * Failures first: every finding that did not pass, worst first, with its numbers and fix; then the
 * passes summarized per check (a change record needs to see what is wrong, not 40 green rows).
 */
export function renderMarkdown(report: ViewedReport): string {
  const summary = summarize(report);
  const problems = report.findings.filter((finding) => finding.status !== 'PASSED');
  const passed = report.findings.filter((finding) => finding.status === 'PASSED');
  const lines: string[] = [
    '# certctl-backup-guard audit',
    '',
    `Evaluated ${report.startedAt} to ${report.finishedAt}.`,
    '',
    `**${cell(summaryLine(report))}.** Result: ${cell(summary.verdict)} (exit code ${summary.exitCode}).`,
    '',
    ...(report.view && report.view.filters.length > 0
      ? [`Showing: ${cell(report.view.filters.join('; '))}.`, '']
      : []),
    ...restoreWindowSection(report),
  ];
  if (problems.length > 0) {
    lines.push(
      `## To fix (${problems.length})`,
      '',
      '| Status | Severity | Check | Resource | Observed | Details | Remediation |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const finding of problems) {
      lines.push(
        `| ${finding.status} | ${finding.severity} | ${code(finding.checkId)} | ${cell(describeResource(finding.resource))} | ${cell(describeValues(finding))} | ${cellWithCode(finding.description)} | ${cellWithCode(finding.remediation.text)}${docsLink(finding.remediation.url)} |`,
      );
    }
  } else {
    lines.push('Nothing to fix.');
  }
  lines.push(...passSummary(passed));
  const elsewhere = report.targetsJudgedElsewhere ?? [];
  if (elsewhere.length > 0) {
    lines.push(
      '',
      '## Named targets judged at another resource',
      '',
      ...elsewhere.map(({ identifier, note }) => `- ${cell(identifier)}: ${cell(note)}`),
    );
  }
  const unused = report.unusedExceptions ?? [];
  if (unused.length > 0) {
    lines.push(
      '',
      '## Policy exceptions that apply to nothing',
      '',
      ...unused.map((warning) => `- ${cell(warning)}`),
    );
  }
  if (summary.coverageProblems.length > 0) {
    lines.push('', '## Coverage', '', ...summary.coverageProblems.map((problem) => `- ${cell(problem)}`));
  }
  const failedScopes = report.scopes.filter((scope) => scope.status === 'failed');
  if (failedScopes.length > 0) {
    lines.push('', '## Scopes not evaluated', '');
    for (const outcome of failedScopes) {
      const { scope } = outcome;
      lines.push(
        `- ${cell(`${scope.provider}:${scope.account}/${scope.region} (${scope.group}): ${outcome.error?.message ?? 'unknown error'}`)} (${code(outcome.error?.code ?? 'Unknown')}). ${notJudgedIn(scope)}.`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
