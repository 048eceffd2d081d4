/** The Markdown report: for tickets, pull requests and change records. */
import type { AuditReport } from '../core/audit.ts';
import { lagLabel, restoreWindowRows, retentionLabel, windowLabel, windowSpan } from './restore-window.ts';
import { describeResource, describeValues, summarize, summaryLine } from './summary.ts';
import { renderRestoreWindowSvg } from './svg.ts';

/** Escape a table cell: pipes and line breaks would break the table. */
function cell(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replaceAll(/\r?\n/g, ' ');
}

/**
 * The restore window of each database, failing first: the picture as an inline SVG image (a data
 * URI, so the file stays self-contained; viewers that strip data-URI images, GitHub among them,
 * still show its alt text) and the same numbers as a table. Empty when no database was judged.
 */
function restoreWindowSection(report: AuditReport): string[] {
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
    '## Findings',
    '',
  ];
}

export function renderMarkdown(report: AuditReport): string {
  const summary = summarize(report);
  const lines: string[] = [
    '# certctl-backup-guard audit',
    '',
    `Evaluated ${report.startedAt} to ${report.finishedAt}.`,
    '',
    `**${summaryLine(report)}.** Result: ${summary.verdict} (exit code ${summary.exitCode}).`,
    '',
    ...restoreWindowSection(report),
    '| Status | Check | Resource | Observed | Details | Remediation |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const finding of report.findings) {
    lines.push(
      `| ${finding.status} | \`${finding.checkId}\` | ${cell(describeResource(finding.resource))} | ${cell(describeValues(finding))} | ${cell(finding.description)} | ${cell(finding.remediation.text)} ([docs](${finding.remediation.url})) |`,
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
        `- ${scope.provider}:${scope.account}/${scope.region} (${scope.group}): ${cell(outcome.error?.message ?? 'unknown error')} (\`${outcome.error?.code ?? 'Unknown'}\`)`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
