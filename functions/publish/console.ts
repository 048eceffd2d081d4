/**
 * The terminal table: one row per finding, worst first, with the description under every row that
 * did not pass, and a summary a person reads at a glance.
 */
import type { AuditReport } from '../core/audit.ts';
import type { ComplianceStatus } from '../core/finding.ts';
import { describeResource, describeValues, summarize, summaryLine } from './summary.ts';

export interface ConsoleOptions {
  /** ANSI colours (a TTY without NO_COLOR). */
  readonly color?: boolean;
  /** Show PASSED rows too (default true). */
  readonly showPassed?: boolean;
}

const COLORS: Record<ComplianceStatus, string> = {
  PASSED: '\u001b[32m',
  WARNING: '\u001b[33m',
  FAILED: '\u001b[31m',
  NOT_AVAILABLE: '\u001b[35m',
};
const RESET = '\u001b[0m';
const DIM = '\u001b[2m';

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export function renderConsole(report: AuditReport, options: ConsoleOptions = {}): string {
  const color = options.color ?? false;
  const paint = (code: string, text: string): string => (color ? `${code}${text}${RESET}` : text);
  const findings = report.findings.filter(
    (finding) => options.showPassed !== false || finding.status !== 'PASSED',
  );
  const rows = findings.map((finding) => ({
    finding,
    cells: [finding.status, finding.checkId, describeResource(finding.resource), describeValues(finding)],
  }));
  const header = ['STATUS', 'CHECK', 'RESOURCE', 'OBSERVED'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row.cells[column] ?? '').length)),
  );
  const lines: string[] = [];
  lines.push(header.map((title, column) => pad(title, widths[column] ?? 0)).join('  '));
  for (const row of rows) {
    const [status = '', ...rest] = row.cells;
    const statusCell = paint(COLORS[row.finding.status], pad(status, widths[0] ?? 0));
    const restCells = rest.map((cell, index) => pad(cell, widths[index + 1] ?? 0));
    lines.push([statusCell, ...restCells].join('  ').trimEnd());
    if (row.finding.status !== 'PASSED') {
      lines.push(paint(DIM, `    ${row.finding.description}`));
      lines.push(paint(DIM, `    fix: ${row.finding.remediation.text}`));
    }
  }
  const failedScopes = report.scopes.filter((scope) => scope.status === 'failed');
  if (failedScopes.length > 0) {
    lines.push('');
    lines.push('Scopes that could not be evaluated (their earlier findings are left untouched):');
    for (const outcome of failedScopes) {
      const { scope } = outcome;
      lines.push(
        `  ${scope.provider}:${scope.account}/${scope.region} ${scope.group}: ${outcome.error?.message ?? 'unknown error'} (${outcome.error?.code ?? 'Unknown'})`,
      );
    }
  }
  const summary = summarize(report);
  lines.push('');
  lines.push(`Summary: ${summaryLine(report)}`);
  lines.push(`Result: ${summary.verdict} (exit code ${summary.exitCode})`);
  return `${lines.join('\n')}\n`;
}
