import { describe, expect, it } from 'vitest';
import { type AuditReport, countStatuses } from '../../functions/core/audit.ts';
import type { Finding } from '../../functions/core/finding.ts';
import { renderConsole } from '../../functions/publish/console.ts';
import { renderCsv } from '../../functions/publish/csv.ts';
import { filterReport } from '../../functions/publish/filter.ts';
import { REPORT_SCHEMA_VERSION, renderJson } from '../../functions/publish/json.ts';
import { renderMarkdown } from '../../functions/publish/markdown.ts';
import { summarize, summaryLine } from '../../functions/publish/summary.ts';

function finding(overrides: Partial<Finding>): Finding {
  return {
    checkId: 'pitr.retention',
    group: 'pitr',
    resource: {
      provider: 'aws',
      account: '111111111111',
      region: 'eu-west-1',
      type: 'AwsRdsDbInstance',
      id: 'certctl-prod-db',
    },
    status: 'FAILED',
    severity: 'HIGH',
    title: 'PITR retention meets the policy',
    description: 'Retention is 7 days | below 30.',
    remediation: {
      text: 'aws rds modify-db-instance --backup-retention-period 30',
      url: 'https://docs.aws.amazon.com/x',
    },
    observed: { retentionDays: 7 },
    required: { retentionDays: 30 },
    evaluatedAt: '2026-11-21T12:00:00.000Z',
    ...overrides,
  };
}

const report: AuditReport = {
  startedAt: '2026-11-21T12:00:00.000Z',
  finishedAt: '2026-11-21T12:00:01.000Z',
  findings: [finding({}), finding({ status: 'PASSED', severity: 'INFORMATIONAL', checkId: 'pitr.enabled' })],
  scopes: [
    {
      scope: { provider: 'aws', account: '111111111111', region: 'eu-west-1', group: 'pitr' },
      status: 'complete',
      resources: 1,
    },
    {
      scope: { provider: 'aws', account: '111111111111', region: 'us-east-1', group: 'pitr' },
      status: 'failed',
      resources: 0,
      error: { code: 'ServiceUnavailable', message: 'region down' },
    },
  ],
  counts: { PASSED: 1, WARNING: 0, FAILED: 1, NOT_AVAILABLE: 0 },
};

/** A complete run over two databases: one fails retention (HIGH), both pass enabled; windows measured. */
function completeReport(findings: Finding[]): AuditReport {
  return {
    startedAt: '2026-11-21T12:00:00.000Z',
    finishedAt: '2026-11-21T12:00:01.000Z',
    findings,
    scopes: [
      {
        scope: { provider: 'aws', account: '111111111111', region: 'eu-west-1', group: 'pitr' },
        status: 'complete',
        resources: 2,
      },
    ],
    counts: countStatuses(findings),
  };
}

const other = { ...finding({}).resource, id: 'certctl-ra-db' };
const fleet = completeReport([
  finding({}),
  finding({
    checkId: 'pitr.window',
    status: 'WARNING',
    severity: 'MEDIUM',
    observed: { windowDays: 12, earliestRestorableTime: '2026-11-09T12:00:00.000Z' },
  }),
  finding({ status: 'PASSED', severity: 'INFORMATIONAL', checkId: 'pitr.enabled' }),
  finding({ resource: other, status: 'PASSED', severity: 'INFORMATIONAL', checkId: 'pitr.enabled' }),
  finding({ resource: other, status: 'PASSED', severity: 'INFORMATIONAL', checkId: 'pitr.retention' }),
  finding({
    resource: other,
    status: 'PASSED',
    severity: 'INFORMATIONAL',
    checkId: 'pitr.window',
    observed: { windowDays: 35, earliestRestorableTime: '2026-10-17T12:00:00.000Z' },
  }),
]);

describe('renderConsole', () => {
  it('prints the matrix under one heading per account and region, what to fix with its numbers, failed scopes and the verdict', () => {
    // Act
    const text = renderConsole(report);

    // Assess
    expect(text).toMatch(/^DATABASE\s+enabled\s+retention$/m);
    expect(text).toMatch(/^aws 111111111111 eu-west-1$/m);
    expect(text).toMatch(/^ {2}rds:certctl-prod-db\s+ok\s+FAIL H$/m);
    expect(text).toContain('FAILED HIGH pitr.retention rds:certctl-prod-db (aws 111111111111 eu-west-1)');
    expect(text).toContain('observed: retentionDays=7 (required retentionDays=30)');
    expect(text).toContain('Fix: aws rds modify-db-instance --backup-retention-period 30');
    expect(text).toContain('aws:111111111111/us-east-1 pitr: region down (ServiceUnavailable)');
    expect(text).toContain(
      'Summary: 1 passed, 0 warning, 1 failed, 0 not available — 1 database, 1 of 2 scopes evaluated',
    );
    expect(text).toContain('exit code 2');
    expect(text).not.toContain('\u001b[');
  });

  it('shows the window in days and the severity of each failure, and explains - and N/A, when databases were judged', () => {
    // Act
    const text = renderConsole(fleet, { checkOrder: ['pitr.enabled', 'pitr.retention', 'pitr.window'] });

    // Assess: catalog order, the account and region once, not on every row.
    expect(text).toMatch(/^DATABASE\s+WINDOW\s+enabled\s+retention\s+window$/m);
    expect(text).toMatch(/^ {2}rds:certctl-prod-db\s+12\.0 d\s+ok\s+FAIL H\s+WARN M$/m);
    expect(text).toMatch(/^ {2}rds:certctl-ra-db\s+35\.0 d\s+ok\s+ok\s+ok$/m);
    expect(text.match(/111111111111/g)).toHaveLength(1 + 2);
    expect(text).toContain('N/A could not be evaluated');
    expect(text).toContain('- not judged:');
    expect(text).toContain('WINDOW: days');
  });

  it('heads each matrix with what its rows are: databases, dump series, secrets', () => {
    // Prepare: one finding per group, on the resource type that group judges.
    const where = { provider: 'aws' as const, account: '111111111111', region: 'eu-west-1' };
    const text = renderConsole(
      completeReport([
        finding({ status: 'PASSED', severity: 'INFORMATIONAL' }),
        finding({
          group: 'dumps',
          checkId: 'dumps.fresh',
          status: 'PASSED',
          resource: { ...where, type: 'AwsS3Bucket', id: 'certctl-dumps/prod/' },
        }),
        finding({
          group: 'keys',
          checkId: 'keys.present',
          status: 'PASSED',
          resource: { ...where, type: 'AwsSecretsManagerSecret', id: 'certctl/ca' },
        }),
      ]),
    );

    // Assess: no secret or bucket listed under DATABASE; the legend does not call them databases.
    expect(text).toMatch(/^DATABASE\s+retention$/m);
    expect(text).toMatch(/^DUMP SERIES\s+fresh$/m);
    expect(text).toMatch(/^SECRET\s+present$/m);
    expect(text.replace(/\s+/g, ' ')).toContain('the check does not apply to this resource');
    expect(text.replace(/\s+/g, ' ')).toContain(
      '— 1 database, 1 dump series, 1 secret, 1 of 1 scope evaluated',
    );
  });

  it('keeps every matrix line within 120 columns when names and check ids are long', () => {
    // Prepare: eight checks with long ids and a 60-character database name.
    const longName = { ...finding({}).resource, id: 'x'.repeat(60) };
    const checks = Array.from({ length: 8 }, (_, i) => `pitr.a-rather-long-check-name-${i}`);
    const wide = completeReport(checks.map((checkId) => finding({ resource: longName, checkId })));

    // Act
    const text = renderConsole(wide);

    // Assess
    const matrix = text.slice(0, text.indexOf('\n\n'));
    for (const line of matrix.split('\n')) expect(line.length).toBeLessThanOrEqual(120);
    expect(matrix).toContain('…');
    expect(text).toContain('Columns cut to fit: pitr.a-rather-long-check-name-0');
  });

  it('wraps what to fix to the terminal and prints a command on a line of its own without backticks', () => {
    // Prepare
    const command =
      'aws rds modify-db-instance --db-instance-identifier certctl-prod-db --backup-retention-period 30 --apply-immediately --region eu-west-1';
    const long = completeReport([
      finding({
        description: 'Lorem ipsum dolor sit amet '.repeat(8).trim(),
        remediation: {
          text: `Run \`${command}\`; the change takes effect without downtime.`,
          url: 'https://x',
        },
      }),
    ]);

    // Act
    const text = renderConsole(long, { columns: 70 });

    // Assess
    const lines = text.split('\n');
    expect(lines).toContain(`      ${command}`);
    expect(lines).toContain('    Fix: Run:');
    expect(lines).toContain('    The change takes effect without downtime.');
    expect(text).not.toContain('`aws');
    const prose = lines.filter((line) => /^ {4}(Lorem|ipsum|dolor|sit|amet)\b/.test(line));
    expect(prose.length).toBeGreaterThan(2);
    for (const line of lines.filter((l) => !l.includes(command))) expect(line.length).toBeLessThanOrEqual(70);
  });

  it('names only the reason that applies in the exit-2 verdict when no database matched the targets', () => {
    // Prepare: every scope read, nothing judged.
    const empty = completeReport([]);

    // Act
    const summary = summarize(empty);
    const text = renderConsole(empty);

    // Assess
    expect(summary.exitCode).toBe(2);
    expect(summary.verdict).toBe(
      "the audit could not complete: no database matched the policy's targets (targets.tags, targets.identifiers, targets.all), so no database was proven restorable",
    );
    expect(text).not.toContain('could not be read');
    expect(summarize(report).verdict).toBe(
      'the audit could not complete: 1 scope of 2 could not be read (aws:111111111111/us-east-1 pitr: ServiceUnavailable)',
    );
  });

  it('shows the pitr group judged nothing, exit 2, when the keys group of the same run judged its secret', () => {
    // Prepare: `backup-guard audit` (pitr + keys) with a tag typo: every scope read, one secret judged.
    const secret = finding({
      checkId: 'keys.present',
      group: 'keys',
      status: 'PASSED',
      severity: 'INFORMATIONAL',
      resource: { ...finding({}).resource, type: 'AwsSecretsManagerSecret', id: 'certctl/ca-key' },
    });
    const keysScope = {
      scope: { provider: 'aws' as const, account: '111111111111', region: 'eu-west-1', group: 'keys' },
      status: 'complete' as const,
      resources: 1,
    };
    const run = { ...completeReport([secret]), scopes: [...completeReport([]).scopes, keysScope] };
    const problem =
      "no database matched the policy's targets (targets.tags, targets.identifiers, targets.all), so no database was proven restorable";

    // Act
    const summary = summarize(run);
    const text = renderConsole(run).replaceAll(/\s+/g, ' ');

    // Assess: never "every check passed" over a group that judged nothing.
    expect(summary.exitCode).toBe(2);
    expect(summary.verdict).toBe(`the audit could not complete: ${problem}`);
    expect(text).toContain(`Coverage ${problem}`);
    expect(text).toContain('(exit code 2)');
    expect(renderMarkdown(run)).toContain(`## Coverage\n\n- ${problem}`);
  });

  it('does not call a pass hidden by --failed-only "not judged" in the legend', () => {
    // Act
    const text = renderConsole(filterReport(fleet, { failedOnly: true }));

    // Assess: certctl-prod-db passed pitr.enabled; its cell is '-' once passes are hidden.
    expect(text.replaceAll(/\s+/g, ' ')).toMatch(/- not judged[^·]*or passed \(hidden by --failed-only\)/);
    expect(renderConsole(fleet)).not.toContain('hidden by --failed-only');
  });

  it('prints control characters from cloud-supplied text visibly, so a name cannot erase or recolour lines', () => {
    // Prepare: an id that would clear the line and move up, a description with a carriage return.
    const planted = finding({
      resource: { ...finding({}).resource, id: 'db\u001b[2K\u001b[1Ahidden' },
      description: 'looks fine\rPASSED \u009b31m',
    });
    const hostile = completeReport([planted]);

    // Act
    const plain = renderConsole(hostile);
    const coloured = renderConsole(hostile, { color: true });

    // Assess: no escape, carriage return or C1 control reaches the terminal but the report's own colours.
    const control = /(?!\n)\p{Cc}/u;
    expect(plain).not.toMatch(control);
    const ownColours = new RegExp(`${String.fromCharCode(27)}\\[(?:0|1|2|31|32|33|35)m`, 'g');
    expect(coloured.replaceAll(ownColours, '')).not.toMatch(control);
    expect(plain).toContain('db\\x1b[2K\\x1b[1Ahidden');
  });

  it('prints a name with a line feed on its own line, so it cannot forge a row', () => {
    // Prepare: a database name that ends its row and starts one of its own.
    const planted = finding({
      resource: { ...finding({}).resource, id: 'db\u001b[2J\nPASSED certctl-prod-db' },
    });

    // Act
    const plain = renderConsole(completeReport([planted]));

    // Assess: the line feed is shown as \x0a wherever the name is printed.
    expect(plain).not.toMatch(/\nPASSED certctl-prod-db/);
    expect(plain).toContain('db\\x1b[2J\\x0aPASSED');
  });

  it('colours the status only when asked to', () => {
    expect(renderConsole(report, { color: true })).toContain('\u001b[31mFAIL');
  });
});

describe('renderMarkdown', () => {
  it('escapes pipes inside cells so the table stays intact', () => {
    // Act
    const text = renderMarkdown(report);

    // Assess
    expect(text).toContain('Retention is 7 days \\| below 30.');
    expect(text).toContain('## Scopes not evaluated');
    expect(text.split('\n').filter((line) => line.startsWith('| FAILED | HIGH | `'))).toHaveLength(1);
  });

  it('keeps markup, links and code spans planted in cloud-supplied names as text when a name holds them', () => {
    // Prepare: a database id, a description and an error message anyone with tag or API access could shape.
    const planted = '<img src=x onerror=alert(1)>`[x](https://evil.example)|';
    const hostile: AuditReport = {
      ...report,
      findings: [
        finding({
          resource: { ...finding({}).resource, id: planted },
          description: `Retention of ${planted} is 7 days.`,
          observed: { kmsKeyId: '<script>alert(1)</script>' },
        }),
        finding({
          resource: { ...finding({}).resource, id: planted },
          status: 'PASSED',
          checkId: 'pitr.enabled',
        }),
      ],
      scopes: [
        {
          scope: { provider: 'aws', account: '111111111111', region: 'us-east-1', group: 'pitr' },
          status: 'failed',
          resources: 0,
          error: { code: 'Bad`Code', message: 'denied for <b>x</b>' },
        },
      ],
    };

    // Act
    const text = renderMarkdown(hostile);

    // Assess: no raw tag, no link or code span the cloud opened, and every table row keeps its cells.
    expect(text).not.toMatch(/(^|[^\\])<\/?(img|script|b)\b/);
    expect(text).not.toMatch(/(^|[^\\])\]\(https:\/\/evil/);
    expect(text).not.toMatch(/(^|[^\\])`\\?\[x/);
    expect(text).toContain("(`Bad'Code`)");
    const row = text.split('\n').find((line) => line.startsWith('| FAILED | HIGH |')) ?? '';
    expect(row.split(/(?<!\\)\|/)).toHaveLength(9);
    expect(text).toContain('\\<img src=x onerror=alert(1)\\>');
  });

  it('lists the failures first and summarizes the passes per check', () => {
    // Act
    const text = renderMarkdown(fleet);

    // Assess
    const toFix = text.indexOf('## To fix (2)');
    const passed = text.indexOf('## Passed (4)');
    expect(toFix).toBeGreaterThan(0);
    expect(passed).toBeGreaterThan(toFix);
    expect(text).toContain('| Check | Passed | Which |');
    expect(text).toContain('| `pitr.enabled` | 2 | certctl-prod-db, certctl-ra-db |');
    expect(text.slice(toFix, passed)).not.toContain('| PASSED |');
  });
});

describe('summarize verdict of exit code 0', () => {
  it('does not say every check passed when a warning or accepted risk is shown', () => {
    // Prepare
    const warned = completeReport([
      finding({ status: 'PASSED', severity: 'INFORMATIONAL' }),
      finding({ checkId: 'pitr.window', status: 'WARNING', severity: 'MEDIUM' }),
    ]);
    const accepted = completeReport([
      finding({ exception: { reason: 'migrating', expires: '2099-01-01', active: true } }),
    ]);
    const clean = completeReport([finding({ status: 'PASSED', severity: 'INFORMATIONAL' })]);

    // Act
    const [warnedSummary, acceptedSummary, cleanSummary] = [warned, accepted, clean].map(summarize);

    // Assess
    expect(warnedSummary).toMatchObject({ exitCode: 0, verdict: 'no check failed (1 warning)' });
    expect(acceptedSummary).toMatchObject({
      exitCode: 0,
      verdict: 'no open failure: 1 failure accepted as risk (policy exception)',
    });
    expect(cleanSummary).toMatchObject({ exitCode: 0, verdict: 'every check passed' });
    expect(renderConsole(accepted)).toContain('Result: no open failure: 1 failure accepted as risk');
  });
});

describe('renderJson', () => {
  it('adds the schema version, the summary and exit code to the report', () => {
    // Act
    const parsed = JSON.parse(renderJson(report)) as {
      schemaVersion: number;
      summary: { exitCode: number; resources: unknown };
      findings: unknown[];
    };

    // Assess
    expect(parsed.schemaVersion).toBe(REPORT_SCHEMA_VERSION);
    expect(parsed.summary.exitCode).toBe(2);
    expect(parsed.summary.resources).toEqual({ database: 1 });
    expect(parsed.findings).toHaveLength(2);
  });
});

describe('renderJson of a filtered report', () => {
  it('writes the resources the selected checks judged as an object, not an empty one', () => {
    // Act
    const parsed = JSON.parse(renderJson(filterReport(fleet, { failedOnly: true }))) as {
      summary: { resources: unknown };
      view: { resources: unknown };
    };

    // Assess
    expect(parsed.summary.resources).toEqual({ database: 2 });
    expect(parsed.view.resources).toEqual({ database: 2 });
  });
});

describe('renderCsv', () => {
  it('writes one quoted row per finding and defuses cells a spreadsheet would run as a formula', () => {
    // Prepare
    const tricky = completeReport([finding({ description: '=HYPERLINK("x"), "quoted", line\nbreak' })]);

    // Act
    const text = renderCsv(tricky);

    // Assess
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(
      'status,severity,checkId,provider,account,region,resourceType,resourceId,observed,description,remediation,remediationUrl,evaluatedAt',
    );
    expect(lines[1]).toMatch(
      /^FAILED,HIGH,pitr\.retention,aws,111111111111,eu-west-1,AwsRdsDbInstance,certctl-prod-db,/,
    );
    expect(text).toContain(`"'=HYPERLINK(""x""), ""quoted"", line\nbreak"`);
    expect(lines.at(-1)).toBe('');
  });
});

describe('renderCsv formula prefixes', () => {
  it('defuses every field that starts with a character ASVS 1.2.10 names, whichever column it is in', () => {
    // Prepare: ASVS 5.0 requirement 1.2.10 lists =, +, -, @, tab and NUL as first characters to escape.
    const starts = ['=1+1', '+1', '-1', '@SUM(A1)', '\t=1', '\u0000=1', '\r=1'];
    const rows = starts.map((start) =>
      finding({ resource: { ...finding({}).resource, id: start }, description: start }),
    );

    // Act
    const text = renderCsv(completeReport(rows));

    // Assess: each cell starts with the quote, or with the control shown as \x09 (never run), never
    // with the character itself.
    for (const start of starts) {
      const shown = start.replace(
        /^[\t\r\0]/,
        (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`,
      );
      const cell = shown === start ? `'${start}` : shown;
      expect(text.split(/[",\r\n]/.test(cell) ? `"${cell}"` : cell).length - 1).toBe(2);
    }
    expect(text).not.toMatch(/(^|,)"?[=+\-@\t\r\0]/m);
  });
});

describe('renderCsv coverage', () => {
  it('adds a NOT_AVAILABLE row for each coverage problem, so a named target not found is not an empty sheet', () => {
    // Prepare: every scope complete, nothing judged, and a database the policy names was not found.
    const missing: AuditReport = { ...completeReport([]), unmatchedTargets: ['certctl-missing-db'] };

    // Act
    const lines = renderCsv(missing).split('\r\n');

    // Assess
    const rows = lines.slice(1, -1);
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.every((row) => row.startsWith('NOT_AVAILABLE,'))).toBe(true);
    expect(
      rows.some((row) => row.includes('targets named in the policy were not found: certctl-missing-db')),
    ).toBe(true);
  });
});

describe('renderCsv failed scopes', () => {
  it('adds a NOT_AVAILABLE row for a failed scope whose findings the filters left out', () => {
    // Prepare: us-east-1 could not be read; --check pitr.enabled selects none of its stand-ins.
    const scopeFinding = finding({
      resource: {
        provider: 'aws',
        account: '111111111111',
        region: 'us-east-1',
        type: 'Scope',
        id: '111111111111/us-east-1',
      },
      status: 'NOT_AVAILABLE',
      severity: 'MEDIUM',
    });
    const failed: AuditReport = {
      ...report,
      findings: [...report.findings, scopeFinding],
      counts: countStatuses([...report.findings, scopeFinding]),
    };

    // Act
    const whole = renderCsv(failed).split('\r\n');
    const narrowed = renderCsv(filterReport(failed, { checks: new Set(['pitr.enabled']) })).split('\r\n');

    // Assess: one row says the scope was not read in each; the whole report's own stand-in is enough.
    const scopeRows = (lines: string[]) => lines.filter((line) => line.includes(',us-east-1,Scope,'));
    expect(scopeRows(whole)).toHaveLength(1);
    expect(scopeRows(narrowed)).toHaveLength(1);
    expect(scopeRows(narrowed)[0]).toMatch(/^NOT_AVAILABLE,/);
    expect(scopeRows(narrowed)[0]).toContain('region down (ServiceUnavailable)');
  });
});

describe('filterReport', () => {
  const severityOf = (checkId: string) => (checkId === 'pitr.retention' ? 'HIGH' : 'MEDIUM') as 'HIGH';

  it('keeps only the selected checks and recounts them when --check narrows the report', () => {
    // Act
    const view = filterReport(fleet, { checks: new Set(['pitr.enabled']) });

    // Assess
    expect(view.findings.map((f) => f.checkId)).toEqual(['pitr.enabled', 'pitr.enabled']);
    expect(view.counts).toEqual({ PASSED: 2, WARNING: 0, FAILED: 0, NOT_AVAILABLE: 0 });
    expect(summarize(view).exitCode).toBe(0);
  });

  it('filters by the severity a check has when it fails, so passes of that check stay', () => {
    // Act
    const view = filterReport(fleet, { severities: new Set(['HIGH'] as const), severityOf });

    // Assess
    expect(view.findings.map((f) => [f.checkId, f.status])).toEqual([
      ['pitr.retention', 'FAILED'],
      ['pitr.retention', 'PASSED'],
    ]);
    expect(summarize(view).exitCode).toBe(1);
  });

  it('hides passes but still counts them, and keeps the exit code, when failed-only', () => {
    // Act
    const view = filterReport(fleet, { failedOnly: true });

    // Assess
    expect(view.findings.every((f) => f.status !== 'PASSED')).toBe(true);
    expect(view.counts.PASSED).toBe(4);
    expect(summarize(view)).toMatchObject({ exitCode: 1, resources: new Map([['database', 2]]) });
  });

  it('keeps the run coverage in the verdict when the filters select nothing', () => {
    // Act
    const view = filterReport(report, { checks: new Set(['pitr.lag']) });

    // Assess: the failed scope still makes the run incomplete.
    expect(view.findings).toEqual([]);
    expect(summarize(view).exitCode).toBe(2);
  });
});

describe('named targets judged at another resource', () => {
  it('are listed by the console and Markdown reports with what they are and where they are judged', () => {
    // Prepare
    const withStandIns: AuditReport = {
      ...report,
      targetsJudgedElsewhere: [
        { identifier: 'certctl-prod-aurora-1', note: 'Aurora member, judged at certctl-prod-aurora' },
      ],
    };

    // Act
    const consoleText = renderConsole(withStandIns, { color: false });
    const markdown = renderMarkdown(withStandIns);

    // Assess
    expect(consoleText).toContain('Named targets judged at another resource');
    expect(consoleText).toContain('certctl-prod-aurora-1: Aurora member, judged at certctl-prod-aurora');
    expect(markdown).toContain('- certctl-prod-aurora-1: Aurora member, judged at certctl-prod-aurora');
    expect(renderConsole(report, { color: false })).not.toContain('judged at another resource');
  });
});

describe('renderConsole restore window', () => {
  it('shows the window as not evaluated, not as days, when pitr.window is NOT_AVAILABLE with a figure from the window alone', () => {
    // Prepare: a database being deleted; pitr.window measured 12 days but could not prove them (status.ts).
    const deleting = completeReport([
      finding({
        checkId: 'pitr.window',
        status: 'NOT_AVAILABLE',
        severity: 'HIGH',
        observed: { windowDays: 12, earliestRestorableTime: '2026-11-09T12:00:00.000Z', status: 'deleting' },
        required: { windowDays: 30 },
      }),
      finding({ checkId: 'pitr.enabled', status: 'PASSED', severity: 'INFORMATIONAL' }),
    ]);

    // Act
    const text = renderConsole(deleting, { checkOrder: ['pitr.enabled', 'pitr.window'] });

    // Assess: the WINDOW cell reads as the N/A cells do, and the figure is nowhere presented as a window.
    expect(text).toMatch(/^ {2}rds:certctl-prod-db\s+N\/A\s+ok\s+N\/A$/m);
    expect(text).not.toContain('12.0 d');
    expect(text).toMatch(/observed: not evaluated/);
  });

  it('keeps the window of a database that --failed-only keeps when its pitr.window passed', () => {
    // Act: certctl-prod-db fails retention; its window check passed and is hidden.
    const passedWindow = completeReport([
      finding({}),
      finding({
        checkId: 'pitr.window',
        status: 'PASSED',
        severity: 'INFORMATIONAL',
        observed: { windowDays: 31, earliestRestorableTime: '2026-10-21T12:00:00.000Z' },
        required: { windowDays: 30 },
      }),
    ]);
    const text = renderConsole(filterReport(passedWindow, { failedOnly: true }), {
      checkOrder: ['pitr.retention', 'pitr.window'],
    });

    // Assess
    expect(text).toMatch(/^ {2}rds:certctl-prod-db\s+31\.0 d\s+FAIL H$/m);
  });
});

describe('summaryLine of a filtered report', () => {
  it('says how many findings the filters left out and how many passes --failed-only hides', () => {
    // Act
    const hidden = summaryLine(filterReport(fleet, { failedOnly: true }));
    const narrowed = summaryLine(filterReport(fleet, { checks: new Set(['pitr.enabled']) }));

    // Assess: fleet has 6 findings, 4 of them passes; pitr.enabled selects 2 of the 6.
    expect(hidden).toContain('4 passed');
    expect(hidden).toContain('2 of 6 findings shown (4 passes hidden by --failed-only)');
    expect(narrowed).toContain('2 of 6 findings shown (4 left out by the check and severity filters)');
    expect(summaryLine(fleet)).not.toContain('shown');
  });
});

describe('control characters in cloud-supplied text', () => {
  // A line feed, a carriage return, a tab, ESC, a C1 CSI and a right-to-left override, in a name, a
  // description, an exception reason and a scope's error message.
  const PLANTED = 'db\nPASSED | x\r\t\u001b[2J\u009b\u202eevil';
  const SHOWN = 'db\\x0aPASSED';
  const hostile: AuditReport = {
    ...report,
    findings: [
      finding({
        resource: { ...finding({}).resource, id: PLANTED },
        description: `Retention of ${PLANTED} is 7 days.`,
        exception: { reason: `ticket ${PLANTED}`, expires: '2099-01-01', active: false },
      }),
    ],
    scopes: [
      {
        scope: { provider: 'aws', account: '111111111111', region: 'us-east-1', group: 'pitr' },
        status: 'failed',
        resources: 0,
        error: { code: 'Denied', message: `denied ${PLANTED}` },
      },
    ],
  };
  /** Any control character but the line feeds that end lines, and the bidi controls. */
  const HIDDEN = /(?!\n)\p{Cc}|[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

  it('shows them escaped in the Markdown report, so no table row or line is forged', () => {
    // Act
    const text = renderMarkdown(hostile);

    // Assess: no raw control, no line starting with the planted text, the table row whole.
    expect(text).not.toMatch(HIDDEN);
    expect(text).not.toMatch(/^PASSED/m);
    expect(text).toContain(SHOWN);
    expect(text).toContain('\\u202eevil');
    const row = text.split('\n').find((line) => line.startsWith('| FAILED | HIGH |')) ?? '';
    expect(row.split(/(?<!\\)\|/)).toHaveLength(9);
  });

  it('shows them escaped in the CSV report, line feeds kept inside their quoted field', () => {
    // Act
    const text = renderCsv(hostile);

    // Assess: the records are the header, the finding and the failed scope's row, nothing else; no
    // control but the CRLF that ends a record and the line feed inside a quoted field.
    expect(text.replaceAll('\r\n', '\n')).not.toMatch(HIDDEN);
    expect(text).toContain('"db\nPASSED | x\\x0d\\x09\\x1b[2J\\x9b\\u202eevil"');
    expect(text.split('\r\n').filter(Boolean)).toHaveLength(3);
  });

  it('shows them escaped in the table, the bidi override too', () => {
    // Act
    const text = renderConsole(hostile);

    // Assess
    expect(text).not.toMatch(HIDDEN);
    expect(text).toContain('\\u202eevil');
  });
});

describe('invisible characters in cloud-supplied text', () => {
  // Zero-width spaces, joiners and the word joiner, a byte-order mark, a soft hyphen, the line and
  // paragraph separators and a tag character (U+E0041): each shows nothing, so `certctl-prod` with
  // one reads as `certctl-prod` while it names another database, or hides text.
  const PLANTED = 'certctl\u200b-prod\u200c\u200d\u2060\ufeff\u00ad\u2028\u2029\u{e0041}x';
  const SHOWN = 'certctl\\u200b-prod\\u200c\\u200d\\u2060\\ufeff\\xad\\u2028\\u2029\\u{e0041}x';
  const hostile: AuditReport = {
    ...report,
    findings: [
      finding({
        resource: { ...finding({}).resource, id: PLANTED },
        description: `Retention of ${PLANTED}.`,
      }),
    ],
  };
  const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}]/u;

  it('shows them escaped in the table, the Markdown and the CSV report', () => {
    // Act
    const texts = [renderConsole(hostile, { columns: 400 }), renderMarkdown(hostile), renderCsv(hostile)];

    // Assess
    for (const text of texts) {
      expect(text).not.toMatch(INVISIBLE);
      expect(text).toContain(SHOWN);
    }
  });
});

describe('scopes of the dumps and keys groups', () => {
  // A run of the keys group alone whose only scope could not be read.
  const keysDown: AuditReport = {
    startedAt: '2026-11-21T12:00:00.000Z',
    finishedAt: '2026-11-21T12:00:01.000Z',
    findings: [],
    scopes: [
      {
        scope: { provider: 'aws', account: '111111111111', region: 'eu-west-1', group: 'keys' },
        status: 'failed',
        resources: 0,
        error: { code: 'AccessDenied', message: 'secretsmanager:ListSecrets denied' },
      },
      {
        scope: { provider: 'gcp', account: 'certctl-prod', region: '*', group: 'dumps' },
        status: 'failed',
        resources: 0,
        error: { code: 'PERMISSION_DENIED', message: 'storage.objects.list denied' },
      },
    ],
    counts: { PASSED: 0, WARNING: 0, FAILED: 0, NOT_AVAILABLE: 0 },
  };

  it('counts secrets and dump series, not databases, when a keys and dumps run judged none', () => {
    // Act
    const line = summaryLine(keysDown);

    // Assess
    expect(line).toContain('0 dump series, 0 secrets');
    expect(line).not.toContain('database');
  });

  it('names what a failed keys or dumps scope left unjudged in every report', () => {
    // Act
    const texts = [renderConsole(keysDown), renderMarkdown(keysDown), renderCsv(keysDown)].map((text) =>
      text.replaceAll(/\s+/g, ' '),
    );

    // Assess
    for (const text of texts) {
      expect(text).not.toContain('database');
      expect(text).toContain('No secret in it was judged');
      expect(text).toContain('No dump series in it was judged');
    }
  });
});
