/** The Markdown report: for tickets, pull requests and change records. */
import type { AuditReport } from '../core/audit.ts';
import { describeResource, describeValues, summarize, summaryLine } from './summary.ts';

/** Escape a table cell: pipes and line breaks would break the table. */
function cell(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replaceAll(/\r?\n/g, ' ');
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
