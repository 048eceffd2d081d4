/**
 * The restore-window picture as a standalone SVG, for the Markdown report: the same rows and bar
 * geometry as the HTML report (restore-window.ts), drawn with plain shapes and text only, every
 * text escaped.
 */

import { escapeMarkup, STATUS_COLORS, statusWord } from './markup.ts';
import {
  axisDays,
  barGeometry,
  type RestoreWindowRow,
  restoreWindowRows,
  windowLabel,
} from './restore-window.ts';
import type { ViewedReport } from './summary.ts';

const WIDTH = 760;
const TRACK_LEFT = 8;
const TRACK_WIDTH = 560;
const ROW_HEIGHT = 46;
const HEADER_HEIGHT = 40;
const FOOTER_HEIGHT = 22;
/** SVG text does not wrap: longer names are cut with an ellipsis (the table beside it has them whole). */
const MAX_LABEL_CHARS = 84;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function x(fraction: number): string {
  return (TRACK_LEFT + fraction * TRACK_WIDTH).toFixed(1);
}

function w(fraction: number): string {
  return (fraction * TRACK_WIDTH).toFixed(1);
}

function renderRow(row: RestoreWindowRow, axis: number, top: number): string {
  const geometry = barGeometry(row, axis);
  const barTop = top + 20;
  const color = STATUS_COLORS[row.status];
  const windowColor = STATUS_COLORS[row.window.status ?? row.status];
  const parts = [
    `<text x="${TRACK_LEFT}" y="${top + 14}" font-size="12"><tspan font-weight="bold" fill="${color}">${statusWord(row.status)}</tspan> ${escapeMarkup(truncate(row.label, MAX_LABEL_CHARS))}</text>`,
    `<rect x="${TRACK_LEFT}" y="${barTop}" width="${TRACK_WIDTH}" height="18" fill="#f4f6f9" stroke="#d0d5dd"/>`,
  ];
  if (geometry.required) {
    parts.push(
      `<rect class="required" x="${x(geometry.required.left)}" y="${barTop}" width="${w(geometry.required.width)}" height="18" fill="#dfe5ee"/>`,
      `<line x1="${x(geometry.required.left)}" y1="${barTop}" x2="${x(geometry.required.left)}" y2="${barTop + 18}" stroke="#1d2433" stroke-width="1.5" stroke-dasharray="3 2"/>`,
    );
  }
  if (geometry.retentionMark !== undefined) {
    parts.push(
      `<line class="retention" x1="${x(geometry.retentionMark)}" y1="${barTop - 2}" x2="${x(geometry.retentionMark)}" y2="${barTop + 20}" stroke="#1d2433" stroke-width="2.5"/>`,
    );
  }
  if (geometry.window) {
    parts.push(
      `<rect class="window" x="${x(geometry.window.left)}" y="${barTop + 4}" width="${Math.max(2, geometry.window.width * TRACK_WIDTH).toFixed(1)}" height="10" fill="${windowColor}"/>`,
    );
  } else {
    for (const mark of [geometry.earliestMark, geometry.latestMark]) {
      if (mark !== undefined) {
        parts.push(
          `<line x1="${x(mark)}" y1="${barTop}" x2="${x(mark)}" y2="${barTop + 18}" stroke="${windowColor}" stroke-width="2"/>`,
        );
      }
    }
  }
  if (geometry.lag) {
    parts.push(
      `<rect class="lag" x="${x(geometry.lag.left)}" y="${barTop + 4}" width="${w(geometry.lag.width)}" height="10" fill="url(#lag)" stroke="${STATUS_COLORS.FAILED}"/>`,
    );
  }
  parts.push(
    `<text x="${TRACK_LEFT + TRACK_WIDTH + 10}" y="${barTop + 13}" font-size="12" fill="${windowColor}">${escapeMarkup(windowLabel(row))}</text>`,
  );
  return `<g>${parts.join('')}</g>`;
}

/** The picture for `report`'s databases; undefined when it judged none (there is nothing to draw). */
export function renderRestoreWindowSvg(
  report: Pick<ViewedReport, 'findings' | 'finishedAt' | 'view'>,
): string | undefined {
  const rows = restoreWindowRows(report);
  if (rows.length === 0) return undefined;
  const axis = axisDays(rows);
  const height = HEADER_HEIGHT + rows.length * ROW_HEIGHT + FOOTER_HEIGHT;
  const required = [
    ...new Set(rows.flatMap((row) => (row.requiredDays === undefined ? [] : [row.requiredDays]))),
  ];
  const title = `Restore window per database${required.length > 0 ? ` against the required ${required.join(' / ')} days` : ''}`;
  const body = rows.map((row, index) => renderRow(row, axis, HEADER_HEIGHT + index * ROW_HEIGHT)).join('\n');
  const axisTop = HEADER_HEIGHT + rows.length * ROW_HEIGHT + 12;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif" fill="#1d2433">
<title>${escapeMarkup(title)}</title>
<defs><pattern id="lag" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="3" height="6" fill="${STATUS_COLORS.FAILED}"/></pattern></defs>
<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>
<text x="${TRACK_LEFT}" y="16" font-size="14" font-weight="bold">${escapeMarkup(title)}</text>
<text x="${TRACK_LEFT}" y="32" font-size="11" fill="#556070">bar: earliest to latest restorable time; shaded: required days; thick line: retention; hatched: not restorable (lag)</text>
${body}
<text x="${TRACK_LEFT}" y="${axisTop}" font-size="11" fill="#556070">${axis} days ago</text>
<text x="${TRACK_LEFT + TRACK_WIDTH}" y="${axisTop}" font-size="11" fill="#556070" text-anchor="end">now (evaluated)</text>
</svg>
`;
}
