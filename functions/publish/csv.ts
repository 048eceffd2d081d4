/**
 * The CSV report: one row per finding, for spreadsheets and ticket imports, one NOT_AVAILABLE row
 * per failed scope the filters left without a row, and one NOT_AVAILABLE row (checkId `coverage`)
 * per gap in what the run covered, and one (checkId `publication`) when Security Hub did not import
 * every finding of the run. RFC 4180: fields with a
 * comma, quote or line break are quoted, quotes doubled, lines end in CRLF
 * (https://www.rfc-editor.org/rfc/rfc4180). Cells that a spreadsheet would run as a formula are
 * prefixed with a quote (OWASP CSV injection: https://owasp.org/www-community/attacks/CSV_Injection;
 * OWASP ASVS 5.0 requirement 1.2.10).
 */
import type { Finding } from '../core/finding.ts';
import { describeValues, notJudgedIn, summarize, type ViewedReport } from './summary.ts';
import { visible } from './terminal.ts';

export const CSV_COLUMNS = [
  'status',
  'severity',
  'checkId',
  'provider',
  'account',
  'region',
  'resourceType',
  'resourceId',
  'observed',
  'description',
  'remediation',
  'remediationUrl',
  'evaluatedAt',
] as const;

/**
 * First characters a spreadsheet may take as the start of a formula: OWASP's =, +, -, @, tab and
 * carriage return, and the NUL that ASVS 5.0 requirement 1.2.10 adds.
 */
const FORMULA_START = /^[=+\-@\t\r\0]/;

/**
 * One field: control and bidirectional characters shown as `\x1b` / `\u202e` (terminal.ts
 * `visible`, as every report shows them; a spreadsheet would show a right-to-left override's text
 * reversed), line feeds kept (quoting keeps them inside the field), then defused as a formula, then
 * quoted. A leading tab, carriage return or NUL is thereby shown as `\x09`, which no spreadsheet runs.
 */
function field(text: string): string {
  const value = visible(text);
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function row(finding: Finding): string[] {
  return [
    finding.status,
    finding.severity,
    finding.checkId,
    finding.resource.provider,
    finding.resource.account,
    finding.resource.region,
    finding.resource.type,
    finding.resource.id,
    describeValues(finding),
    finding.description,
    finding.remediation.text,
    finding.remediation.url,
    finding.evaluatedAt,
  ];
}

/**
 * A row for a gap in what the run covered (a database the policy names not found, nothing matched,
 * a provider not planned): NOT_AVAILABLE, with the problem as its description. Without it such a
 * run is a sheet with no failing row, which reads as clean.
 */
function coverageRow(problem: string, report: ViewedReport): string[] {
  return runRow(report, {
    checkId: 'coverage',
    resourceType: 'Coverage',
    description: `The audit does not cover what the policy asks: ${problem}.`,
    remediation:
      'Fix what the description names (the policy targets, the credentials or the run options), then audit again.',
  });
}

/**
 * A row for findings of the run that Security Hub did not import (`notImported`): the run did not
 * complete (exit code 2), and a sheet of passes alone would read as clean.
 */
function notImportedRows(report: ViewedReport): string[][] {
  if (report.notImported === undefined) return [];
  const { verdict } = summarize(report);
  return [
    runRow(report, {
      checkId: 'publication',
      resourceType: 'SecurityHub',
      description: `The run did not complete (exit code 2): ${verdict}.`,
      remediation:
        'Fix what the description names (the credentials, the role, the findings Security Hub refused), then audit again with publishing.',
    }),
  ];
}

/** A WARNING row for a policy exception that applied to nothing (`unusedExceptions`). */
function unusedExceptionRow(warning: string, report: ViewedReport): string[] {
  return runRow(report, {
    status: 'WARNING',
    checkId: 'exceptions',
    resourceType: 'PolicyException',
    description: `${warning}.`,
    remediation:
      'Write the resource as its finding names it (id, ARN or resource name), or remove the entry.',
  });
}

/** A row about the run as a whole, not one resource: NOT_AVAILABLE unless `about` says otherwise. */
function runRow(
  report: ViewedReport,
  about: Pick<
    Record<(typeof CSV_COLUMNS)[number], string>,
    'checkId' | 'resourceType' | 'description' | 'remediation'
  > & { readonly status?: string },
): string[] {
  const cells: Record<(typeof CSV_COLUMNS)[number], string> = {
    status: 'NOT_AVAILABLE',
    severity: 'MEDIUM',
    provider: '',
    account: '',
    region: '',
    resourceId: '',
    observed: '',
    remediationUrl: '',
    evaluatedAt: report.finishedAt,
    ...about,
  };
  return CSV_COLUMNS.map((column) => cells[column]);
}

/**
 * A row for a scope that could not be read and has no stand-in finding among the rows (the filters
 * left its checks out): without it the sheet would not say that a region or account was not judged.
 */
function failedScopeRows(report: ViewedReport): string[][] {
  const shown = new Set(
    report.findings
      .filter((finding) => finding.resource.type === 'Scope')
      .map(({ resource, group }) => `${resource.provider}/${resource.account}/${resource.region}/${group}`),
  );
  return report.scopes
    .filter((outcome) => outcome.status === 'failed')
    .filter(({ scope }) => !shown.has(`${scope.provider}/${scope.account}/${scope.region}/${scope.group}`))
    .map(({ scope, error }) => {
      const cells: Record<(typeof CSV_COLUMNS)[number], string> = {
        status: 'NOT_AVAILABLE',
        severity: 'MEDIUM',
        checkId: scope.group,
        provider: scope.provider,
        account: scope.account,
        region: scope.region,
        resourceType: 'Scope',
        resourceId: `${scope.account}/${scope.region}`,
        observed: `error=${error?.code ?? 'Unknown'}`,
        description: `Could not evaluate ${scope.provider} ${scope.account} in ${scope.region} (${scope.group}): ${error?.message ?? 'unknown error'} (${error?.code ?? 'Unknown'}). ${notJudgedIn(scope)}.`,
        remediation: 'See the description: check the access and reachability it names, then audit again.',
        remediationUrl: '',
        evaluatedAt: report.finishedAt,
      };
      return CSV_COLUMNS.map((column) => cells[column]);
    });
}

export function renderCsv(report: ViewedReport): string {
  const lines = [
    CSV_COLUMNS.join(','),
    ...report.findings.map((finding) => row(finding).map(field).join(',')),
    ...failedScopeRows(report).map((cells) => cells.map(field).join(',')),
    ...summarize(report).coverageProblems.map((problem) => coverageRow(problem, report).map(field).join(',')),
    ...notImportedRows(report).map((cells) => cells.map(field).join(',')),
    ...(report.unusedExceptions ?? []).map((warning) =>
      unusedExceptionRow(warning, report).map(field).join(','),
    ),
  ];
  return `${lines.join('\r\n')}\r\n`;
}
