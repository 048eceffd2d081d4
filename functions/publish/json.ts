/** The JSON report: the audit report as it is, plus the summary and exit code, for machines. */
import { summarize, type ViewedReport } from './summary.ts';

/**
 * Version of the JSON report's shape. Adding a field keeps it; renaming or removing a field, or
 * changing a field's meaning, raises it, so a consumer can refuse a shape it does not know.
 */
export const REPORT_SCHEMA_VERSION = 1;

export function renderJson(report: ViewedReport): string {
  return `${JSON.stringify({ schemaVersion: REPORT_SCHEMA_VERSION, summary: summarize(report), ...report }, null, 2)}\n`;
}
