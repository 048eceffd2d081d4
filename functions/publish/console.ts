/**
 * The terminal report, for a person at a glance: per check group, a matrix of resources x checks
 * (databases, dump locations or secrets, as its first column's heading says; rows under one
 * heading per account and region, each cell the status and, when not passed, the
 * severity, and the restore window in days), a legend, then what to fix (every finding that did not
 * pass, wrapped to the terminal, with each command on a line of its own), then scopes that could not
 * be evaluated and the verdict.
 */

import { isExcepted } from '../core/exceptions.ts';
import {
  type ComplianceStatus,
  type Finding,
  type FindingValues,
  RESOURCE_NOUN,
  type ResourceRef,
  resourceKey,
  type Severity,
} from '../core/finding.ts';
import { type RestoreWindowRow, restoreWindowRows } from './restore-window.ts';
import {
  describeResource,
  describeValues,
  notJudgedIn,
  RESOURCE_KIND,
  summarize,
  summaryLine,
  type ViewedReport,
} from './summary.ts';
import { visible, visibleLine } from './terminal.ts';

export interface ConsoleOptions {
  /** ANSI colours (a TTY without NO_COLOR, or FORCE_COLOR). */
  readonly color?: boolean;
  /** Terminal width for wrapping prose (default 100); the matrix never exceeds {@link MATRIX_WIDTH}. */
  readonly columns?: number;
  /** Check ids in catalog order, for the matrix columns; alphabetical otherwise. */
  readonly checkOrder?: readonly string[];
}

/** The widest the matrix gets, whatever the terminal: it must read in a 120-column window or a CI log. */
export const MATRIX_WIDTH = 120;
const DEFAULT_COLUMNS = 100;

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
const SEVERITY_LETTER: Record<Severity, string> = {
  CRITICAL: 'C',
  HIGH: 'H',
  MEDIUM: 'M',
  LOW: 'L',
  INFORMATIONAL: 'I',
};
const RESET = '\u001b[0m';
const DIM = '\u001b[2m';
const BOLD = '\u001b[1m';

/** Commands a remediation names that a reader pastes: printed plainly on a line of their own. */
const COMMAND = /^(aws|gcloud|npx|npm|backup-guard|psql|pg_dump|pg_restore)\s/;

const KIND = RESOURCE_KIND;

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** Cut `text` to `width` with an ellipsis. */
function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(1, width - 1))}…`;
}

/** The check id without its group (`pitr.retention` -> `retention`), for column headings. */
function shortCheckId(checkId: string): string {
  return checkId.slice(checkId.indexOf('.') + 1);
}

/** `aws 111111111111 eu-west-1`: the heading a matrix's rows sit under. */
function placeOf(resource: ResourceRef): string {
  return `${resource.provider} ${resource.account} ${resource.region}`;
}

/** `rds:certctl-prod-db`: a row's name under its heading. */
function nameOf(resource: ResourceRef): string {
  return `${KIND[resource.type]}:${resource.id}`;
}

/** `ok`, `FAIL H`, `WARN M`, `N/A`. */
function cellText(finding: Finding): string {
  if (finding.status === 'PASSED' || finding.status === 'NOT_AVAILABLE') return SHORT[finding.status];
  return `${SHORT[finding.status]} ${SEVERITY_LETTER[finding.severity]}`;
}

/**
 * Days the restore window reaches back, as restore-window.ts reads them: only a window pitr.window
 * proved is a figure (0.0 d when it proved there is none). One it could not evaluate reads `N/A`
 * like the check's own cell (a database being deleted still reports days, which no restore can
 * use); one no check reported reads `-`.
 */
function windowCell(row: RestoreWindowRow | undefined): string {
  switch (row?.window.kind) {
    case 'proven':
      return `${row.window.days.toFixed(1)} d`;
    case 'none':
      // Proven: pitr.window found no restore point at all (backups off), a window of zero days.
      return '0.0 d';
    case 'unknown':
      return row.window.status === undefined ? '-' : SHORT.NOT_AVAILABLE;
    default:
      return '-';
  }
}

/** The first column's heading: what the rows are (`DATABASE`, `SECRET`), or `RESOURCE` if they differ. */
function rowHeading(rows: Iterable<MatrixRow>): string {
  const nouns = new Set([...rows].map((row) => RESOURCE_NOUN[row.resource.type][0]));
  return nouns.size === 1 ? ([...nouns][0] ?? 'resource').toUpperCase() : 'RESOURCE';
}

interface MatrixRow {
  readonly resource: ResourceRef;
  readonly findings: Map<string, Finding>;
}

type Paint = (code: string, text: string) => string;

/** One group's matrix: heading per place, one row per database, at most MATRIX_WIDTH wide. */
function renderMatrix(
  findings: readonly Finding[],
  checkIds: readonly string[],
  windows: ReadonlyMap<string, RestoreWindowRow>,
  paint: Paint,
): string[] {
  const places = new Map<string, Map<string, MatrixRow>>();
  for (const finding of findings) {
    if (finding.resource.type === 'Scope') continue;
    const place = placeOf(finding.resource);
    let rows = places.get(place);
    if (!rows) {
      rows = new Map();
      places.set(place, rows);
    }
    const name = nameOf(finding.resource);
    let row = rows.get(name);
    if (!row) {
      row = { resource: finding.resource, findings: new Map() };
      rows.set(name, row);
    }
    row.findings.set(finding.checkId, finding);
  }
  if (places.size === 0) return [];
  const showWindow = hasWindowColumn(findings, windows);
  const headings = checkIds.map(shortCheckId);
  const cellWidth = (heading: string): number => Math.max(heading.length, 6);
  const names = [...places.values()].flatMap((rows) => [...rows.keys()]);
  const gap = 2;
  // Headings give way before names do: when the table would not fit, long check names are cut to
  // an equal share of the width left beside the shortest useful name column, and names are cut last.
  const windowWidth = showWindow ? 8 + gap : 0;
  const minName = 24;
  const natural = headings.map(cellWidth);
  const share = Math.floor((MATRIX_WIDTH - minName - windowWidth) / Math.max(1, headings.length)) - gap;
  const fits = natural.reduce((sum, w) => sum + w + gap, 0) + windowWidth + minName <= MATRIX_WIDTH;
  const widths = natural.map((w) => (fits ? w : Math.max(6, Math.min(w, share))));
  const used = windowWidth + widths.reduce((sum, w) => sum + w + gap, 0);
  const heading = rowHeading([...places.values()].flatMap((rows) => [...rows.values()]));
  const nameWidth = Math.min(
    Math.max(heading.length, ...names.map((name) => name.length + 2)),
    Math.max(16, MATRIX_WIDTH - used),
  );
  const header = [
    pad(heading, nameWidth),
    ...(showWindow ? [pad('WINDOW', 8)] : []),
    ...headings.map((heading, i) => pad(truncate(heading, widths[i] ?? 6), widths[i] ?? 6)),
  ];
  const lines = [paint(BOLD, header.join('  ').trimEnd())];
  for (const [place, rows] of [...places.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(paint(DIM, place));
    for (const [name, row] of [...rows.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const cells = checkIds.map((id, i) => {
        const finding = row.findings.get(id);
        const text = pad(finding ? cellText(finding) : '-', widths[i] ?? 6);
        return finding ? paint(COLORS[finding.status], text) : text;
      });
      const window = showWindow
        ? [pad(windowCell(windows.get(resourceKey(row.resource))).padStart(6), 8)]
        : [];
      lines.push(
        [pad(truncate(`  ${name}`, nameWidth), nameWidth), ...window, ...cells].join('  ').trimEnd(),
      );
    }
  }
  const cutHeadings = checkIds.filter((id, i) => shortCheckId(id).length > (widths[i] ?? 0));
  if (cutHeadings.length > 0) {
    lines.push(...wrapText(`Columns cut to fit: ${cutHeadings.join(', ')}.`, MATRIX_WIDTH, 0));
  }
  return lines;
}

/** A WINDOW column when pitr.window reported on one of these databases, proven or not. */
function hasWindowColumn(
  findings: readonly Finding[],
  windows: ReadonlyMap<string, RestoreWindowRow>,
): boolean {
  return findings.some((finding) => windows.get(resourceKey(finding.resource))?.window.status !== undefined);
}

/** What the cells mean, once under the matrices, wrapped to `width`. */
function legend(showWindow: boolean, width: number, passesHidden: boolean): string[] {
  return [
    ...wrapText(
      `ok passed · FAIL failed · WARN warning · N/A could not be evaluated (why: below) · - not judged: the check does not apply to this resource (e.g. no restore lag when PITR is off)${passesHidden ? ', or passed (hidden by --failed-only)' : ''}.`,
      width,
      0,
    ),
    ...wrapText(
      `After FAIL/WARN, the severity: C critical, H high, M medium, L low, I informational.${showWindow ? ' WINDOW: days the restore window really reaches back (earliest to latest restorable time); N/A: the window could not be evaluated, so no figure is shown.' : ''}`,
      width,
      0,
    ),
  ];
}

/**
 * The remediation as lines: prose wrapped to `width` under `indent`, each pasteable command on a
 * line of its own, without backticks and never wrapped (so a copy is the whole command).
 */
export function remediationLines(text: string, width: number, indent: number): string[] {
  const lines: string[] = [];
  let prose = '';
  const flush = (): void => {
    const words = prose.trim();
    prose = '';
    if (words === '') return;
    lines.push(...wrapText(words, width, indent));
  };
  const parts = text.split(/(`[^`]+`)/);
  for (const part of parts) {
    const code = /^`([^`]+)`$/.exec(part)?.[1];
    if (code !== undefined && COMMAND.test(code)) {
      prose = prose.replace(/[\s(]+$/, '');
      if (/\b(run|with|command)$/i.test(prose)) prose += ':';
      flush();
      lines.push(`${' '.repeat(indent + 2)}${code}`);
      continue;
    }
    if (code !== undefined) {
      prose += code;
      continue;
    }
    // Punctuation that followed a command now starts a line: drop it.
    if (lines.length > 0 && prose === '') {
      const rest = part.replace(/^[\s);,.:]+/, '');
      prose = rest.charAt(0).toUpperCase() + rest.slice(1);
    } else {
      prose += part;
    }
  }
  flush();
  return lines;
}

/** Wrap prose to `width`, every line indented by `indent`. */
function wrapText(text: string, width: number, indent: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && indent + line.length + 1 + word.length > width) {
      lines.push(`${' '.repeat(indent)}${line}`);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(`${' '.repeat(indent)}${line}`);
  return lines;
}

function visibleValues(values: FindingValues): FindingValues {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      visible(key),
      typeof value === 'string' ? visible(value) : value,
    ]),
  );
}

/** A finding with every text a terminal would print made visible (see {@link visibleReport}). */
function visibleFinding(finding: Finding): Finding {
  return {
    ...finding,
    // Names are one line each: a line feed in one would end its matrix row and start a forged one.
    resource: {
      ...finding.resource,
      account: visibleLine(finding.resource.account),
      region: visibleLine(finding.resource.region),
      id: visibleLine(finding.resource.id),
    },
    title: visible(finding.title),
    description: visible(finding.description),
    remediation: {
      ...finding.remediation,
      text: visible(finding.remediation.text),
      url: visible(finding.remediation.url),
    },
    observed: visibleValues(finding.observed),
    required: visibleValues(finding.required),
    ...(finding.exception
      ? {
          exception: {
            ...finding.exception,
            reason: visible(finding.exception.reason),
            expires: visible(finding.exception.expires),
          },
        }
      : {}),
  };
}

/**
 * The report with every text a terminal would print made {@link visible}: resource names, messages
 * and notes come from clouds, tags and policies, and a planted escape sequence could erase a FAIL
 * line or move the cursor over it. Statuses, counts and scopes stay as they are.
 */
function visibleReport(report: ViewedReport): ViewedReport {
  const findings = report.findings.map(visibleFinding);
  const error = (value: { code: string; message: string } | undefined) =>
    value ? { code: visible(value.code), message: visible(value.message) } : undefined;
  return {
    ...report,
    findings,
    scopes: report.scopes.map((outcome) => {
      const scope = {
        ...outcome.scope,
        account: visibleLine(outcome.scope.account),
        region: visibleLine(outcome.scope.region),
      };
      const failure = error(outcome.error);
      return { ...outcome, scope, ...(failure ? { error: failure } : {}) };
    }),
    ...(report.unmatchedTargets ? { unmatchedTargets: report.unmatchedTargets.map(visibleLine) } : {}),
    ...(report.targetsJudgedElsewhere
      ? {
          targetsJudgedElsewhere: report.targetsJudgedElsewhere.map(({ identifier, note }) => ({
            identifier: visibleLine(identifier),
            note: visible(note),
          })),
        }
      : {}),
    ...(report.unplanned
      ? {
          unplanned: report.unplanned.map((failure) => ({
            ...failure,
            code: visible(failure.code),
            message: visible(failure.message),
          })),
        }
      : {}),
    ...(report.notImportedReason !== undefined
      ? { notImportedReason: visibleLine(report.notImportedReason) }
      : {}),
    ...(report.view
      ? {
          view: {
            ...report.view,
            filters: report.view.filters.map(visible),
            coverageProblems: report.view.coverageProblems.map(visible),
            restoreContext: report.view.restoreContext.map(visibleFinding),
          },
        }
      : {}),
  };
}

export function renderConsole(viewed: ViewedReport, options: ConsoleOptions = {}): string {
  const report = visibleReport(viewed);
  const color = options.color ?? false;
  const width = Math.max(60, options.columns ?? DEFAULT_COLUMNS);
  const paint: Paint = (code, text) => (color ? `${code}${text}${RESET}` : text);
  const lines: string[] = [];

  if (report.view && report.view.filters.length > 0) {
    lines.push(`Showing: ${report.view.filters.join('; ')}`);
  }

  // One matrix per check group: its checks as columns, in catalog order.
  const order = options.checkOrder ?? [];
  const rank = (id: string): number => {
    const index = order.indexOf(id);
    return index < 0 ? order.length : index;
  };
  const groups = [...new Set(report.findings.map((finding) => finding.group))];
  const windows = new Map(restoreWindowRows(report).map((row) => [resourceKey(row.resource), row]));
  let showWindow = false;
  for (const group of groups) {
    const findings = report.findings.filter((finding) => finding.group === group);
    const checkIds = [...new Set(findings.map((f) => f.checkId))].sort(
      (a, b) => rank(a) - rank(b) || a.localeCompare(b),
    );
    const matrix = renderMatrix(findings, checkIds, windows, paint);
    if (matrix.length === 0) continue;
    showWindow ||= hasWindowColumn(findings, windows);
    if (lines.length > 0) lines.push('');
    if (groups.length > 1) lines.push(paint(BOLD, `Check group ${group}`));
    lines.push(...matrix);
  }
  // The legend explains the matrix: only when one was printed (a filter line alone is no matrix).
  if (lines.length > (report.view && report.view.filters.length > 0 ? 1 : 0)) {
    lines.push(
      '',
      ...legend(showWindow, Math.min(width, MATRIX_WIDTH), report.view?.failedOnly === true).map((line) =>
        paint(DIM, line),
      ),
    );
  }

  // What to fix: every finding that did not pass, worst first (the report is sorted that way).
  const problems = report.findings.filter((finding) => finding.status !== 'PASSED' && !isExcepted(finding));
  if (problems.length > 0) {
    lines.push('', paint(BOLD, 'What to fix'));
    for (const finding of problems) {
      const where =
        finding.resource.type === 'Scope'
          ? `${placeOf(finding.resource)} (whole scope)`
          : `${nameOf(finding.resource)} (${placeOf(finding.resource)})`;
      lines.push(
        '',
        ...wrapText(`${finding.status} ${finding.severity} ${finding.checkId} ${where}`, width, 0).map(
          (line, i) =>
            i === 0
              ? `${paint(COLORS[finding.status], `${finding.status} ${finding.severity}`)}${line.slice(`${finding.status} ${finding.severity}`.length)}`
              : `    ${line}`,
        ),
        ...wrapText(finding.description, width, 4),
        ...wrapText(`observed: ${describeValues(finding)}`, width, 4).map((line) => paint(DIM, line)),
        ...remediationLines(`Fix: ${finding.remediation.text}`, width, 4),
        paint(DIM, `    docs: ${finding.remediation.url}`),
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
        ...wrapText(
          `${scope.provider}:${scope.account}/${scope.region} ${scope.group}: ${outcome.error?.message ?? 'unknown error'} (${outcome.error?.code ?? 'Unknown'}). ${notJudgedIn(scope)}.`,
          width,
          2,
        ),
      );
    }
  }
  const summary = summarize(report);
  const elsewhere = report.targetsJudgedElsewhere ?? [];
  if (elsewhere.length > 0) {
    lines.push('', paint(BOLD, 'Named targets judged at another resource'));
    for (const { identifier, note } of elsewhere) lines.push(...wrapText(`${identifier}: ${note}`, width, 2));
  }
  const unused = report.unusedExceptions ?? [];
  if (unused.length > 0) {
    lines.push('', paint(BOLD, 'Policy exceptions that apply to nothing'));
    for (const warning of unused) {
      lines.push(...wrapText(visible(warning), width, 2).map((line) => paint(COLORS.WARNING, line)));
    }
  }
  if (summary.coverageProblems.length > 0) {
    lines.push('', paint(BOLD, 'Coverage'));
    for (const problem of summary.coverageProblems) {
      lines.push(...wrapText(problem, width, 2).map((line) => paint(COLORS.NOT_AVAILABLE, line)));
    }
  }
  lines.push(
    '',
    ...wrapText(`Summary: ${summaryLine(report)}`, width, 0),
    ...wrapText(`Result: ${summary.verdict} (exit code ${summary.exitCode})`, width, 0),
  );
  return `${lines.join('\n').replace(/^\n+/, '')}\n`;
}
