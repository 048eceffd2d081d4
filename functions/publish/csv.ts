/**
 * The CSV report: one row per finding, for spreadsheets and ticket imports, and one NOT_AVAILABLE row
 * (checkId `coverage`) per gap in what the run covered. RFC 4180: fields with a
 * comma, quote or line break are quoted, quotes doubled, lines end in CRLF
 * (https://www.rfc-editor.org/rfc/rfc4180). Cells that a spreadsheet would run as a formula are
 * prefixed with a quote (OWASP CSV injection: https://owasp.org/www-community/attacks/CSV_Injection;
 * OWASP ASVS 5.0 requirement 1.2.10).
 */
import type { Finding } from '../core/finding.ts';
import { describeValues, summarize, type ViewedReport } from './summary.ts';

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

function field(value: string): string {
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
  const cells: Record<(typeof CSV_COLUMNS)[number], string> = {
    status: 'NOT_AVAILABLE',
    severity: 'MEDIUM',
    checkId: 'coverage',
    provider: '',
    account: '',
    region: '',
    resourceType: 'Coverage',
    resourceId: '',
    observed: '',
    description: `The audit does not cover what the policy asks: ${problem}.`,
    remediation:
      'Fix what the description names (the policy targets, the credentials or the run options), then audit again.',
    remediationUrl: '',
    evaluatedAt: report.finishedAt,
  };
  return CSV_COLUMNS.map((column) => cells[column]);
}

export function renderCsv(report: ViewedReport): string {
  const lines = [
    CSV_COLUMNS.join(','),
    ...report.findings.map((finding) => row(finding).map(field).join(',')),
    ...summarize(report).coverageProblems.map((problem) => coverageRow(problem, report).map(field).join(',')),
  ];
  return `${lines.join('\r\n')}\r\n`;
}
