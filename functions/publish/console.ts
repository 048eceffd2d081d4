/**
 * The terminal report, for a person at a glance: a matrix of databases x checks, then what to fix
 * (every finding that did not pass, with its numbers and the fix), then scopes that could not be
 * evaluated and the verdict.
 */

import type { AuditReport } from '../core/audit.ts';
import { isExcepted } from '../core/exceptions.ts';
import type { ComplianceStatus, Finding } from '../core/finding.ts';
import { describeResource, describeValues, summarize, summaryLine } from './summary.ts';

export interface ConsoleOptions {
  /** ANSI colours (a TTY without NO_COLOR). */
  readonly color?: boolean;
}

const COLORS: Record<ComplianceStatus, string> = {
  PASSED: '\u001b[32m',
  WARNING: '\u001b[33m',
  FAILED: '\u001b[31m',
  NOT_AVAILABLE: '\u001b[35m',
};
const SHORT: Record<ComplianceStatus, string> = {
  PASSED: 'ok',
  WARNING: 'WARN',
  FAILED: 'FAIL',
  NOT_AVAILABLE: 'N/A',
};
const RESET = '\u001b[0m';
const DIM = '\u001b[2m';
const BOLD = '\u001b[1m';

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** The check id without its group (`pitr.retention` -> `retention`), for column headings. */
function shortCheckId(checkId: string): string {
  return checkId.slice(checkId.indexOf('.') + 1);
}

export function renderConsole(report: AuditReport, options: ConsoleOptions = {}): string {
  const color = options.color ?? false;
  const paint = (code: string, text: string): string => (color ? `${code}${text}${RESET}` : text);
  const lines: string[] = [];

  // Matrix: one row per resource, one column per check that produced a finding.
  const checkIds = [...new Set(report.findings.map((f) => f.checkId))].sort();
  const rows = new Map<string, Map<string, Finding>>();
  for (const finding of report.findings) {
    const key = describeResource(finding.resource);
    let row = rows.get(key);
    if (!row) {
      row = new Map();
      rows.set(key, row);
    }
    row.set(finding.checkId, finding);
  }
  if (rows.size > 0) {
    const names = [...rows.keys()].sort();
    const nameWidth = Math.max('DATABASE'.length, ...names.map((name) => name.length));
    const widths = checkIds.map((id) => Math.max(shortCheckId(id).length, 4));
    lines.push(
      [pad('DATABASE', nameWidth), ...checkIds.map((id, i) => pad(shortCheckId(id), widths[i] ?? 0))]
        .join('  ')
        .trimEnd(),
    );
    for (const name of names) {
      const row = rows.get(name);
      const cells = checkIds.map((id, i) => {
        const finding = row?.get(id);
        const text = pad(finding ? SHORT[finding.status] : '-', widths[i] ?? 0);
        return finding ? paint(COLORS[finding.status], text) : text;
      });
      lines.push([pad(name, nameWidth), ...cells].join('  ').trimEnd());
    }
  }

  // What to fix: every finding that did not pass, worst first (the report is sorted that way).
  const problems = report.findings.filter((finding) => finding.status !== 'PASSED' && !isExcepted(finding));
  if (problems.length > 0) {
    lines.push('', paint(BOLD, 'What to fix'));
    for (const finding of problems) {
      lines.push(
        `${paint(COLORS[finding.status], finding.status)} ${finding.checkId} ${describeResource(finding.resource)}`,
        `    ${finding.description}`,
        paint(DIM, `    observed: ${describeValues(finding)}`),
        paint(DIM, `    fix: ${finding.remediation.text}`),
      );
    }
  }

  // Accepted risk: policy exceptions, listed apart with their reason and expiry.
  const excepted = report.findings.filter(isExcepted);
  if (excepted.length > 0) {
    lines.push('', paint(BOLD, 'Accepted risk (policy exceptions)'));
    for (const finding of excepted) {
      lines.push(
        `${finding.status} ${finding.checkId} ${describeResource(finding.resource)} until ${finding.exception?.expires}: ${finding.exception?.reason}`,
      );
    }
  }

  const failedScopes = report.scopes.filter((scope) => scope.status === 'failed');
  if (failedScopes.length > 0) {
    lines.push('', 'Scopes that could not be evaluated (their earlier findings are left untouched):');
    for (const outcome of failedScopes) {
      const { scope } = outcome;
      lines.push(
        `  ${scope.provider}:${scope.account}/${scope.region} ${scope.group}: ${outcome.error?.message ?? 'unknown error'} (${outcome.error?.code ?? 'Unknown'})`,
      );
    }
  }
  const summary = summarize(report);
  if (summary.coverageProblems.length > 0) {
    lines.push('', paint(BOLD, 'Coverage'));
    for (const problem of summary.coverageProblems) lines.push(`  ${paint(COLORS.NOT_AVAILABLE, problem)}`);
  }
  lines.push(
    '',
    `Summary: ${summaryLine(report)}`,
    `Result: ${summary.verdict} (exit code ${summary.exitCode})`,
  );
  return `${lines.join('\n')}\n`;
}
