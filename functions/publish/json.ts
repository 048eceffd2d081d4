/** The JSON report: the audit report as it is, plus the summary and exit code, for machines. */
import type { AuditReport } from '../core/audit.ts';
import { summarize } from './summary.ts';

export function renderJson(report: AuditReport): string {
  return `${JSON.stringify({ summary: summarize(report), ...report }, null, 2)}\n`;
}
