/**
 * The HTML report: one self-contained file (inline styles, no script, no font, image or link to
 * fetch) that reads offline and prints. A summary, then one bar per database showing the restore
 * window the cloud really reports (earliest to latest restorable time) against the required days,
 * with retention, lag and the fix, failing first; then the findings on dump series and secrets that
 * did not pass, and what could not be evaluated.
 *
 * Every piece of text from a finding is escaped (resource names come from clouds and tags anyone
 * with access may set), and a Content-Security-Policy forbids scripts and remote loads on top.
 */

import { formatTime } from '../checks/pitr/wording.ts';
import { type AuditReport, compareFindings, type ScopeOutcome } from '../core/audit.ts';
import { isExcepted } from '../core/exceptions.ts';
import type { ComplianceStatus } from '../core/finding.ts';
import { plural } from '../core/plural.ts';
import { escapeMarkup, escapeWithCode, isWebUrl, percent, STATUS_COLORS, statusWord } from './markup.ts';
import {
  axisDays,
  barGeometry,
  hasRestoreWindow,
  lagLabel,
  type RestoreWindowRow,
  requiredLabel,
  restoreWindowRows,
  retentionLabel,
  windowLabel,
  windowNotDrawn,
  windowSpan,
} from './restore-window.ts';
import { describeResource, notJudgedIn, summarize, summaryLine, type ViewedReport } from './summary.ts';

/**
 * No script may run and nothing may load from anywhere: the file is the whole report. `base-uri` and
 * `form-action` do not fall back to `default-src` (CSP Level 3), so planted markup that escaped the
 * escaping could still rebase the links or post a form without them.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STATUSES_WORST_FIRST: readonly ComplianceStatus[] = ['FAILED', 'NOT_AVAILABLE', 'WARNING', 'PASSED'];

const STYLE = `
:root {
  --ink: #1d2433; --muted: #556070; --line: #d0d5dd; --track: #f4f6f9; --required: #dfe5ee;
  --failed: ${STATUS_COLORS.FAILED}; --not-available: ${STATUS_COLORS.NOT_AVAILABLE};
  --warning: ${STATUS_COLORS.WARNING}; --passed: ${STATUS_COLORS.PASSED};
}
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 22px; margin: 0 0 2px; }
h2 { font-size: 17px; margin: 28px 0 4px; }
h3 { font-size: 15px; margin: 0; font-weight: 600; overflow-wrap: anywhere; }
code { font: 12.5px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; background: #f2f4f7;
  padding: 0 3px; border-radius: 3px; overflow-wrap: anywhere; }
.meta, .legend, .axis, .span { color: var(--muted); font-size: 13px; }
.meta { margin: 0 0 16px; }
.summary { border: 1px solid var(--line); border-left: 6px solid var(--verdict); border-radius: 6px;
  padding: 10px 16px; }
.summary p { margin: 4px 0; }
.verdict { font-size: 17px; font-weight: 700; }
.tally { list-style: none; display: flex; flex-wrap: wrap; gap: 6px 16px; margin: 6px 0; padding: 0; }
.badge { display: inline-block; min-width: 4.5em; text-align: center; color: #fff; background: var(--status);
  border-radius: 4px; padding: 0 6px; font-size: 11.5px; font-weight: 700; letter-spacing: .03em; }
.status-FAILED { --status: var(--failed); }
.status-NOT_AVAILABLE { --status: var(--not-available); }
.status-WARNING { --status: var(--warning); }
.status-PASSED { --status: var(--passed); }
.legend { margin: 0 0 8px; }
.legend span { white-space: nowrap; margin-right: 14px; }
.key { display: inline-block; width: 22px; height: 10px; vertical-align: middle; margin-right: 4px;
  border: 1px solid var(--muted); }
.key.required { background: var(--required); border-style: dashed; }
.key.window { background: var(--passed); border-color: var(--passed); }
.key.lag { background: repeating-linear-gradient(135deg, var(--failed) 0 3px, #fff 3px 6px); border-color: var(--failed); }
.key.retention { width: 3px; background: var(--ink); border: 0; }
.database { border-top: 1px solid var(--line); padding: 12px 0 14px; break-inside: avoid; }
.database header { display: flex; gap: 10px; align-items: baseline; margin-bottom: 6px; }
.track { position: relative; height: 30px; background: var(--track); border: 1px solid var(--line);
  border-radius: 3px; overflow: hidden; }
.track > div { position: absolute; }
.required { top: 0; bottom: 0; background: var(--required); border-left: 2px dashed var(--ink); }
.window { top: 6px; bottom: 6px; background: var(--status); border-radius: 2px; min-width: 2px; }
.lag { top: 6px; bottom: 6px; border: 1px solid var(--failed);
  background: repeating-linear-gradient(135deg, var(--failed) 0 3px, #fff 3px 6px); }
.mark { top: 0; bottom: 0; width: 0; border-left: 2px solid var(--status); }
.retention { top: -1px; bottom: -1px; width: 0; border-left: 3px solid var(--ink); }
.absent { top: 0; bottom: 0; left: 0; right: 0; display: flex; align-items: center; justify-content: center;
  font-size: 13px; font-weight: 600; color: var(--status); }
.axis { display: flex; justify-content: space-between; font-size: 12px; margin-top: 2px; }
.figures { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 4px 16px; margin: 8px 0 4px; }
.figures div { min-width: 0; }
.figures dt { color: var(--muted); font-size: 12px; }
.figures dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.span { margin: 2px 0 0; }
.checks { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 14px; padding: 0; margin: 8px 0 0; font-size: 13px; }
.fixes { margin: 8px 0 0; padding: 8px 12px; background: #fbfbfc; border: 1px solid var(--line); border-radius: 4px; }
.fixes h4 { margin: 0 0 4px; font-size: 13px; }
.fixes ol { margin: 0; padding-left: 20px; }
.fixes li { margin: 4px 0; font-size: 13.5px; overflow-wrap: anywhere; }
.fixes .why { color: var(--muted); }
.problems li { overflow-wrap: anywhere; }
footer { margin-top: 28px; color: var(--muted); font-size: 12px; }
@media print {
  @page { margin: 14mm; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  .database, .summary, .fixes { break-inside: avoid; }
  h2 { break-after: avoid; }
  .fixes a::after { content: " (" attr(href) ")"; font-size: 9pt; color: var(--muted); }
}
`;

function badge(status: ComplianceStatus): string {
  return `<span class="badge status-${status}">${statusWord(status)}</span>`;
}

/** The bar: required days, the proven window, the unrestorable lag, and the marks that are known. */
function renderTrack(row: RestoreWindowRow, axis: number): string {
  const geometry = barGeometry(row, axis);
  const parts: string[] = [];
  if (geometry.required) {
    parts.push(
      `<div class="required" style="left:${percent(geometry.required.left)};width:${percent(geometry.required.width)}"></div>`,
    );
  }
  if (geometry.retentionMark !== undefined) {
    parts.push(`<div class="retention" style="left:${percent(geometry.retentionMark)}"></div>`);
  }
  const windowStatus = row.window.status ?? row.status;
  if (geometry.window) {
    parts.push(
      `<div class="window status-${windowStatus}" style="left:${percent(geometry.window.left)};width:${percent(geometry.window.width)}"></div>`,
    );
  } else {
    // Only the ends that were proven are drawn: no bar for a window that was not.
    if (geometry.earliestMark !== undefined) {
      parts.push(
        `<div class="mark status-${windowStatus}" style="left:${percent(geometry.earliestMark)}"></div>`,
      );
    }
    if (geometry.latestMark !== undefined) {
      parts.push(
        `<div class="mark status-${row.lag.status ?? row.status}" style="left:${percent(geometry.latestMark)}"></div>`,
      );
    }
    parts.push(`<div class="absent status-${windowStatus}">${escapeMarkup(windowNotDrawn(row))}</div>`);
  }
  if (geometry.lag) {
    parts.push(
      `<div class="lag" style="left:${percent(geometry.lag.left)};width:${percent(geometry.lag.width)}"></div>`,
    );
  }
  const label = `Restore window ${windowLabel(row)}: ${windowSpan(row)}`;
  return `<div class="track" role="img" aria-label="${escapeMarkup(label)}">${parts.join('')}</div>
<div class="axis" aria-hidden="true"><span>${axis} days ago</span><span>evaluated ${escapeMarkup(formatTime(new Date(row.evaluatedAt)))}</span></div>`;
}

function renderDatabase(row: RestoreWindowRow, axis: number): string {
  const complete =
    row.windowCompleteAt === undefined
      ? ''
      : `; complete on ${escapeMarkup(formatTime(new Date(row.windowCompleteAt)))}`;
  const figures = [
    ['Restore window', windowLabel(row)],
    ['Required', requiredLabel(row)],
    ['Retention', retentionLabel(row)],
    ['Restore lag', lagLabel(row)],
  ]
    .map(([term, value]) => `<div><dt>${term}</dt><dd>${escapeMarkup(value ?? '')}</dd></div>`)
    .join('');
  const checks = row.checks
    .map((check) => `<li>${badge(check.status)} <code>${escapeMarkup(check.checkId)}</code></li>`)
    .join('');
  const fixes =
    row.fixes.length === 0
      ? ''
      : `<section class="fixes"><h4>Fix</h4><ol>${row.fixes
          .map((fix) => {
            const link = isWebUrl(fix.url) ? ` <a href="${escapeMarkup(fix.url)}">docs</a>` : '';
            const why = fix.findings
              .map(
                (finding) =>
                  `<span class="why">${badge(finding.status)} <code>${escapeMarkup(finding.checkId)}</code> ${escapeWithCode(finding.description)}</span>`,
              )
              .join('<br>');
            return `<li>${why}<br>${escapeWithCode(fix.text)}${link}</li>`;
          })
          .join('')}</ol></section>`;
  return `<article class="database status-${row.status}" data-status="${row.status}">
<header>${badge(row.status)}<h3>${escapeMarkup(row.label)}</h3></header>
${renderTrack(row, axis)}
<p class="span">${escapeMarkup(windowSpan(row))}${complete}</p>
<dl class="figures">${figures}</dl>
<ul class="checks">${checks}</ul>
${fixes}
</article>`;
}

/** What `--failed-only` leaves out, said where a list would otherwise read as empty or complete. */
const PASSES_HIDDEN = 'databases that passed every check are hidden (--failed-only)';

function renderSummary(report: ViewedReport, rows: readonly RestoreWindowRow[]): string {
  const summary = summarize(report);
  const worst = STATUSES_WORST_FIRST.find((status) => rows.some((row) => row.status === status));
  const verdictColor =
    summary.exitCode === 0
      ? 'var(--passed)'
      : summary.exitCode === 1
        ? 'var(--failed)'
        : 'var(--not-available)';
  // With --failed-only the databases that passed every check have no row: hidden, not none.
  const passesHidden = report.view?.failedOnly === true;
  const tally = STATUSES_WORST_FIRST.map((status) => {
    if (status === 'PASSED' && passesHidden) return `<li>${badge(status)} hidden</li>`;
    const count = rows.filter((row) => row.status === status).length;
    return `<li>${badge(status)} ${plural(count, 'database')}</li>`;
  }).join('');
  const required = [
    ...new Set(rows.flatMap((row) => (row.requiredDays === undefined ? [] : [row.requiredDays]))),
  ];
  const maxLag = [
    ...new Set(rows.flatMap((row) => (row.lag.maxMinutes === undefined ? [] : [row.lag.maxMinutes]))),
  ];
  // Only what some check reported is said: a limit no check reported is left out, not shown as `?`.
  const demands = [
    ...(required.length > 0 ? [`a restore window of at least ${required.join(' / ')} days`] : []),
    ...(maxLag.length > 0 ? [`a latest restorable time at most ${maxLag.join(' / ')} min old`] : []),
  ];
  const policy = demands.length > 0 ? `<p>Required: ${demands.join(', and ')}.</p>` : '';
  const filters = report.view?.filters ?? [];
  const showing =
    filters.length > 0 ? `<p class="showing">Showing: ${escapeMarkup(filters.join('; '))}.</p>\n` : '';
  return `<section class="summary" style="--verdict:${verdictColor}" aria-label="Summary">
${showing}<p class="verdict">Result: ${escapeMarkup(summary.verdict)} (exit code ${summary.exitCode})</p>
<p>${rows.length === 0 ? (passesHidden ? `No database to show: ${PASSES_HIDDEN}.` : 'No database was judged.') : `${plural(rows.length, 'database')}, worst first${worst ? `: ${statusWord(worst).toLowerCase()} at the top` : ''}${passesHidden ? `; ${PASSES_HIDDEN}` : ''}.`}</p>
<ul class="tally">${tally}</ul>
${policy}
<p>${escapeMarkup(summaryLine(report))}.</p>
</section>`;
}

/**
 * Findings on what has no restore window (dump series, secrets): every one that did not pass, worst
 * first, with its fix, and how many passed. Without it a failing secret would count in the summary
 * line and show nowhere on the page.
 */
function renderOtherFindings(report: ViewedReport): string {
  const others = report.findings
    .filter((finding) => finding.resource.type !== 'Scope' && !hasRestoreWindow(finding.resource.type))
    .sort(compareFindings);
  if (others.length === 0) return '';
  const problems = others.filter((finding) => finding.status !== 'PASSED');
  const passed = others.length - problems.length;
  const items = problems.map((finding) => {
    const accepted = isExcepted(finding)
      ? ` <span class="why">accepted risk until ${escapeMarkup(finding.exception?.expires ?? '')}</span>`
      : '';
    const { text, url } = finding.remediation;
    const link = isWebUrl(url) ? ` <a href="${escapeMarkup(url)}">docs</a>` : '';
    return `<li>${badge(finding.status)} <code>${escapeMarkup(finding.checkId)}</code>${accepted} ${escapeMarkup(describeResource(finding.resource))}<br><span class="why">${escapeWithCode(finding.description)}</span><br>${escapeWithCode(text)}${link}</li>`;
  });
  const tally = `${plural(problems.length, 'finding')} did not pass; ${
    report.view?.failedOnly ? 'passes hidden' : `${passed} passed${passed > 0 ? ' (not listed)' : ''}`
  }.`;
  return `<section class="others"><h2>Other findings (dump series, secrets)</h2>
<p>${tally}</p>
${items.length > 0 ? `<div class="fixes"><ol>${items.join('')}</ol></div>` : ''}
</section>`;
}

/**
 * What a scope that could not be read counts as in the summary line: the run reports it as one
 * NOT_AVAILABLE finding per check of the scope (as Security Hub gets them), which no database row
 * shows; said here, the summary's `not available` adds up to what the page shows. Empty when the
 * report holds none (a filter left them out).
 */
function countedAs(report: AuditReport, scope: ScopeOutcome['scope']): string {
  const checkIds = report.findings
    .filter(
      (finding) =>
        finding.resource.type === 'Scope' &&
        finding.group === scope.group &&
        finding.resource.provider === scope.provider &&
        finding.resource.account === scope.account &&
        finding.resource.region === scope.region,
    )
    .map((finding) => finding.checkId)
    .sort();
  if (checkIds.length === 0) return '';
  return ` It counts as ${checkIds.length} not available, one per check: ${checkIds.map((id) => `<code>${escapeMarkup(id)}</code>`).join(', ')}.`;
}

function renderNotEvaluated(report: AuditReport): string {
  const failedScopes = report.scopes.filter((scope) => scope.status === 'failed');
  const problems = summarize(report).coverageProblems;
  if (failedScopes.length === 0 && problems.length === 0) return '';
  const items = [
    ...failedScopes.map(
      ({ scope, error }) =>
        escapeMarkup(
          `${scope.provider}:${scope.account}/${scope.region} (${scope.group}): ${error?.message ?? 'unknown error'} (${error?.code ?? 'Unknown'}). ${notJudgedIn(scope)}.`,
        ) + countedAs(report, scope),
    ),
    ...problems.map((problem) => escapeMarkup(`Coverage: ${problem}.`)),
  ];
  return `<section class="problems"><h2>Not evaluated</h2><ul>${items.map((item) => `<li>${item}</li>`).join('')}</ul></section>`;
}

/** The policy exceptions that applied to nothing in a run that read everything (a typo in a name). */
function renderUnusedExceptions(report: AuditReport): string {
  const unused = report.unusedExceptions ?? [];
  if (unused.length === 0) return '';
  return `<section class="problems"><h2>Policy exceptions that apply to nothing</h2><ul>${unused.map((warning) => `<li>${escapeMarkup(warning)}</li>`).join('')}</ul></section>`;
}

/** The whole report as one self-contained HTML document. */
export function renderHtml(report: ViewedReport): string {
  const rows = restoreWindowRows(report);
  const axis = axisDays(rows);
  const databases =
    rows.length === 0
      ? `<p>${report.view?.failedOnly ? `No database with a restore window to show: ${PASSES_HIDDEN}.` : 'No database with a restore window was judged.'}</p>`
      : rows.map((row) => renderDatabase(row, axis)).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>certctl-backup-guard: restore windows</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>certctl-backup-guard: restore windows</h1>
<p class="meta">Evaluated ${escapeMarkup(formatTime(new Date(report.startedAt)))} to ${escapeMarkup(formatTime(new Date(report.finishedAt)))}</p>
${renderSummary(report, rows)}
<h2>Restore window per database</h2>
<p class="legend"><span><i class="key required"></i>required days</span><span><i class="key window"></i>earliest to latest restorable time</span><span><i class="key lag"></i>not restorable (restore lag)</span><span><i class="key retention"></i>retention</span></p>
${databases}
${renderOtherFindings(report)}
${renderNotEvaluated(report)}
${renderUnusedExceptions(report)}
<footer>certctl-backup-guard. Each bar ends at the moment it was evaluated; only restore points the cloud reported are drawn.</footer>
</main>
</body>
</html>
`;
}
