/**
 * The restore-window picture as data: one row per database with the window the cloud really reports
 * (earliest to latest restorable time), the required days, retention, lag and the fixes, plus the bar
 * geometry both the HTML report and the Markdown SVG draw. Pure: a report in, rows out.
 *
 * Honesty rule: a bar spans only what the PITR checks proved. The window bar needs both the
 * earliest restorable time (`pitr.window`) and the latest (`pitr.lag`); with either one missing the
 * row shows the end that is known as a mark and says why the rest is not drawn.
 */

import { formatDays, formatLag, formatTime } from '../checks/pitr/wording.ts';
import { compareFindings } from '../core/audit.ts';
import type { ComplianceStatus, Finding, FindingValues, ResourceRef } from '../core/finding.ts';
import { resourceKey } from '../core/finding.ts';
import { DAY_MS } from '../core/time.ts';
import { describeResource, type ViewedReport } from './summary.ts';

/** The resource types that have a point-in-time restore window. */
const WINDOW_RESOURCE_TYPES: ReadonlySet<ResourceRef['type']> = new Set([
  'AwsRdsDbInstance',
  'AwsRdsDbCluster',
  'GcpCloudSqlInstance',
]);

/** The checks whose figures a row shows: the window, the lag and the retention. */
export const RESTORE_CHECK_IDS: ReadonlySet<string> = new Set(['pitr.window', 'pitr.lag', 'pitr.retention']);

/** Whether a resource of this type has a restore window (a row of {@link restoreWindowRows}). */
export function hasRestoreWindow(type: ResourceRef['type']): boolean {
  return WINDOW_RESOURCE_TYPES.has(type);
}

/** What `pitr.window` proved about the earliest end of the window. */
export type WindowEnd =
  /** The cloud reported an earliest restorable time. */
  | {
      readonly kind: 'proven';
      readonly status: ComplianceStatus;
      readonly earliest: string;
      readonly days: number;
    }
  /** The check judged that there is no window at all (backups off, no earliest time). */
  | { readonly kind: 'none'; readonly status: ComplianceStatus; readonly reason: string }
  /** The check could not evaluate, or did not run for this database. */
  | { readonly kind: 'unknown'; readonly status: ComplianceStatus | undefined; readonly reason: string };

/** What `pitr.lag` proved about the latest end of the window. */
export type LagEnd =
  | {
      readonly kind: 'measured';
      readonly status: ComplianceStatus;
      readonly latest: string;
      readonly minutes: number;
      readonly maxMinutes: number | undefined;
    }
  | {
      readonly kind: 'unknown';
      readonly status: ComplianceStatus | undefined;
      readonly reason: string;
      readonly maxMinutes: number | undefined;
    };

/** A finding of this database in a few words: which check said what. */
export interface RowCheck {
  readonly checkId: string;
  readonly status: ComplianceStatus;
  readonly description: string;
}

/**
 * A fix, with the findings it answers: findings that share a remediation text (four checks that
 * could not read the same database) get it once.
 */
export interface RowFix {
  readonly text: string;
  readonly url: string;
  /** The findings that did not pass and name this fix, worst first. */
  readonly findings: readonly RowCheck[];
}

export interface RestoreWindowRow {
  readonly resource: ResourceRef;
  /** `aws:111111111111/eu-west-1 rds:certctl-prod-db`, as every renderer names it. */
  readonly label: string;
  /** The worst status of the database's findings. */
  readonly status: ComplianceStatus;
  /** The time the window was measured against ("now" on the bar's right edge). */
  readonly evaluatedAt: string;
  /** Days the policy requires the window to reach back; undefined when no check said. */
  readonly requiredDays: number | undefined;
  readonly window: WindowEnd;
  readonly lag: LagEnd;
  /** Configured retention in days (the ceiling of the window); undefined when not proven. */
  readonly retentionDays: number | undefined;
  /** The status of the finding the retention comes from (pitr.retention, else pitr.window); undefined when none reported. */
  readonly retentionStatus: ComplianceStatus | undefined;
  /** When a filling window reaches the required days (`pitr.window` WARNING only). */
  readonly windowCompleteAt: string | undefined;
  /** Every finding of the database, worst first. */
  readonly checks: readonly RowCheck[];
  /** The fixes of the findings that did not pass, worst first. */
  readonly fixes: readonly RowFix[];
}

function numberIn(values: FindingValues, key: string): number | undefined {
  const value = values[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function timeIn(values: FindingValues, key: string): string | undefined {
  const value = values[key];
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : undefined;
}

function windowEnd(finding: Finding | undefined): WindowEnd {
  if (!finding) {
    return { kind: 'unknown', status: undefined, reason: 'pitr.window did not report on this database' };
  }
  const earliest = timeIn(finding.observed, 'earliestRestorableTime');
  const days = numberIn(finding.observed, 'windowDays');
  if (finding.status !== 'NOT_AVAILABLE' && earliest !== undefined && days !== undefined) {
    return { kind: 'proven', status: finding.status, earliest, days };
  }
  if (finding.status === 'FAILED')
    return { kind: 'none', status: finding.status, reason: finding.description };
  return { kind: 'unknown', status: finding.status, reason: finding.description };
}

function lagEnd(finding: Finding | undefined): LagEnd {
  if (!finding) {
    return {
      kind: 'unknown',
      status: undefined,
      reason: 'pitr.lag did not report on this database',
      maxMinutes: undefined,
    };
  }
  const maxMinutes = numberIn(finding.required, 'restoreLagMinutes');
  const latest = timeIn(finding.observed, 'latestRestorableTime');
  const minutes = numberIn(finding.observed, 'restoreLagMinutes');
  if (finding.status !== 'NOT_AVAILABLE' && latest !== undefined && minutes !== undefined) {
    return { kind: 'measured', status: finding.status, latest, minutes, maxMinutes };
  }
  return { kind: 'unknown', status: finding.status, reason: finding.description, maxMinutes };
}

/** The fixes of the findings that did not pass, one per remediation text, in the findings' order. */
function fixesOf(sorted: readonly Finding[]): RowFix[] {
  const byText = new Map<string, { text: string; url: string; findings: RowCheck[] }>();
  for (const finding of sorted) {
    if (finding.status === 'PASSED') continue;
    const { text, url } = finding.remediation;
    const fix = byText.get(text) ?? { text, url, findings: [] };
    fix.findings.push({ checkId: finding.checkId, status: finding.status, description: finding.description });
    byText.set(text, fix);
  }
  return [...byText.values()];
}

/**
 * One row per database that has a restore window, failing first (the order of the core's
 * `compareFindings` applied to each database's worst finding). Stand-ins for scopes that could not
 * be read are not databases and are left to the renderers' "not evaluated" sections. In a filtered
 * report the window, lag and retention also come from the findings the filters hid
 * (`view.restoreContext`); the status, checks and fixes only from those shown.
 */
export function restoreWindowRows(
  report: Pick<ViewedReport, 'findings' | 'finishedAt' | 'view'>,
): RestoreWindowRow[] {
  const byDatabase = groupByDatabase(report.findings);
  const context = groupByDatabase(report.view?.restoreContext ?? []);
  const rows: { row: RestoreWindowRow; worst: Finding }[] = [];
  for (const [key, findings] of byDatabase) {
    const sorted = [...findings].sort(compareFindings);
    const worst = sorted[0] as Finding;
    const measured = [...findings, ...(context.get(key) ?? [])];
    const window = measured.find((f) => f.checkId === 'pitr.window');
    const lag = measured.find((f) => f.checkId === 'pitr.lag');
    const retention = measured.find((f) => f.checkId === 'pitr.retention');
    // A check that could not evaluate proved none of its figures (status.ts): no retention from it.
    const proven = (finding: Finding | undefined) =>
      finding && finding.status !== 'NOT_AVAILABLE' ? numberIn(finding.observed, 'retentionDays') : undefined;
    const retentionDays = proven(retention) ?? proven(window);
    const requiredDays =
      (window && numberIn(window.required, 'windowDays')) ??
      (retention && numberIn(retention.required, 'retentionDays'));
    rows.push({
      worst,
      row: {
        resource: worst.resource,
        label: describeResource(worst.resource),
        status: worst.status,
        evaluatedAt: window?.evaluatedAt ?? lag?.evaluatedAt ?? report.finishedAt,
        requiredDays,
        window: windowEnd(window),
        lag: lagEnd(lag),
        retentionDays,
        retentionStatus: (retention ?? window)?.status,
        windowCompleteAt: window ? timeIn(window.observed, 'windowCompleteAt') : undefined,
        checks: sorted.map((f) => ({ checkId: f.checkId, status: f.status, description: f.description })),
        fixes: fixesOf(sorted),
      },
    });
  }
  return rows.sort((a, b) => compareFindings(a.worst, b.worst)).map(({ row }) => row);
}

/** The findings on databases with a restore window, by {@link resourceKey}, in the order met. */
function groupByDatabase(findings: readonly Finding[]): Map<string, Finding[]> {
  const byDatabase = new Map<string, Finding[]>();
  for (const finding of findings) {
    if (!WINDOW_RESOURCE_TYPES.has(finding.resource.type)) continue;
    const key = resourceKey(finding.resource);
    const list = byDatabase.get(key) ?? [];
    list.push(finding);
    byDatabase.set(key, list);
  }
  return byDatabase;
}

/** The days the bars' common axis spans: the longest of required, window and retention, at least 1. */
export function axisDays(rows: readonly RestoreWindowRow[]): number {
  let days = 1;
  for (const row of rows) {
    days = Math.max(
      days,
      row.requiredDays ?? 0,
      row.retentionDays ?? 0,
      row.window.kind === 'proven'
        ? (Date.parse(row.evaluatedAt) - Date.parse(row.window.earliest)) / DAY_MS
        : 0,
    );
  }
  return Math.ceil(days);
}

/** A span of the track as fractions of its width, from the left. */
export interface Span {
  readonly left: number;
  readonly width: number;
}

/**
 * Where to draw one row on a track whose right edge is the moment of evaluation and whose width is
 * `axis` days. Every value is a fraction of the track width (0 to 1).
 */
export interface BarGeometry {
  /** The required window: the last `requiredDays` days. */
  readonly required: Span | undefined;
  /** Earliest to latest restorable time, only when both are proven. */
  readonly window: Span | undefined;
  /** Latest restorable time to now, when the lag check did not pass: the part that cannot be restored. */
  readonly lag: Span | undefined;
  /** The earliest restorable time, when proven. */
  readonly earliestMark: number | undefined;
  /** The latest restorable time, when measured. */
  readonly latestMark: number | undefined;
  /** How far back the configured retention lets the window grow. */
  readonly retentionMark: number | undefined;
}

function clamp(fraction: number): number {
  return Math.min(1, Math.max(0, fraction));
}

export function barGeometry(row: RestoreWindowRow, axis: number): BarGeometry {
  const now = Date.parse(row.evaluatedAt);
  const span = axis * DAY_MS;
  const at = (time: number): number => clamp(1 - (now - time) / span);
  const earliest = row.window.kind === 'proven' ? Date.parse(row.window.earliest) : undefined;
  const latest = row.lag.kind === 'measured' ? Date.parse(row.lag.latest) : undefined;
  const earliestMark = earliest === undefined ? undefined : at(earliest);
  const latestMark = latest === undefined ? undefined : at(latest);
  const requiredLeft = row.requiredDays === undefined ? undefined : at(now - row.requiredDays * DAY_MS);
  return {
    required: requiredLeft === undefined ? undefined : { left: requiredLeft, width: 1 - requiredLeft },
    window:
      earliestMark !== undefined && latestMark !== undefined && latestMark >= earliestMark
        ? { left: earliestMark, width: latestMark - earliestMark }
        : undefined,
    lag:
      latestMark !== undefined && row.lag.status !== 'PASSED'
        ? { left: latestMark, width: 1 - latestMark }
        : undefined,
    earliestMark,
    latestMark,
    retentionMark: row.retentionDays === undefined ? undefined : at(now - row.retentionDays * DAY_MS),
  };
}

/**
 * A figure that is not shown, in words: `not evaluated` when its check could not evaluate,
 * `not reported` when no check reported it (not run, or filtered out of the run). Never a stand-in
 * that reads like a value (`0`, `unknown`, `?`).
 */
export function unprovenWord(status: ComplianceStatus | undefined): string {
  return status === 'NOT_AVAILABLE' ? 'not evaluated' : 'not reported';
}

/** The window in a few words: `7.0 of 30 days`, `no restore window`, `not evaluated`, `not reported`. */
export function windowLabel(row: RestoreWindowRow): string {
  switch (row.window.kind) {
    case 'proven':
      return `${formatDays(row.window.days)}${row.requiredDays === undefined ? ' days' : ` of ${row.requiredDays} days`}`;
    case 'none':
      return 'no restore window';
    case 'unknown':
      return unprovenWord(row.window.status);
  }
}

/** The latest end in words when it was not measured: proven absent (lag FAILED) or not proven. */
function latestUnmeasured(lag: LagEnd): string {
  return lag.status === 'FAILED'
    ? 'no latest restorable time'
    : `latest restorable time ${unprovenWord(lag.status)}`;
}

/** The window's ends in words: `2026-08-25 12:00 UTC to 2026-09-01 11:57 UTC`, or what was not proven. */
export function windowSpan(row: RestoreWindowRow): string {
  if (row.window.kind === 'none') return 'nothing can be restored';
  const earliest =
    row.window.kind === 'proven'
      ? formatTime(new Date(row.window.earliest))
      : `earliest restorable time ${unprovenWord(row.window.status)}`;
  const latest =
    row.lag.kind === 'measured' ? formatTime(new Date(row.lag.latest)) : latestUnmeasured(row.lag);
  return `${earliest} to ${latest}`;
}

/** Why the bar is not drawn: `no restore window`, `window not evaluated`, `latest restorable time not reported`. */
export function windowNotDrawn(row: RestoreWindowRow): string {
  if (row.window.kind === 'none') return 'no restore window';
  if (row.window.kind === 'unknown') return `window ${unprovenWord(row.window.status)}`;
  return `${row.lag.kind === 'measured' ? 'latest restorable time before the earliest' : latestUnmeasured(row.lag)}: window not drawn`;
}

/** The lag in words: `3 min (at most 15 min)`, `not evaluated (at most 15 min)`. */
export function lagLabel(row: RestoreWindowRow): string {
  const max = row.lag.maxMinutes === undefined ? '' : ` (at most ${row.lag.maxMinutes} min)`;
  if (row.lag.kind === 'measured') return `${formatLag(row.lag.minutes)}${max}`;
  return `${row.lag.status === 'FAILED' ? 'no latest restorable time' : unprovenWord(row.lag.status)}${max}`;
}

/** The retention in words: `7 days`, `not evaluated`, `not reported`. */
export function retentionLabel(row: RestoreWindowRow): string {
  return row.retentionDays === undefined ? unprovenWord(row.retentionStatus) : `${row.retentionDays} days`;
}

/** The required days in words: `30 days`, or `not reported` when no check said. */
export function requiredLabel(row: RestoreWindowRow): string {
  return row.requiredDays === undefined ? 'not reported' : `${row.requiredDays} days`;
}
