/** The JSON report: the audit report as it is, plus the summary and exit code, for machines. */
import { summarize, type ViewedReport } from './summary.ts';

/**
 * Version of the JSON report's shape. Adding a field keeps it; renaming or removing a field, or
 * changing a field's meaning, raises it, so a consumer can refuse a shape it does not know.
 */
export const REPORT_SCHEMA_VERSION = 1;

/**
 * The resource counts (`{ "database": 4, "secret": 2 }`) as JSON writes them: a Map has no own
 * enumerable properties, so `JSON.stringify` wrote every count as `{}`.
 */
function replacer(_key: string, value: unknown): unknown {
  return value instanceof Map ? Object.fromEntries(value) : value;
}

export function renderJson(report: ViewedReport): string {
  return `${JSON.stringify({ schemaVersion: REPORT_SCHEMA_VERSION, summary: summarize(report), ...report }, replacer, 2)}\n`;
}
