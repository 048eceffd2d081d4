/**
 * The Powertools Logger, formatted for Google Cloud Logging. A Cloud Function's stdout is ingested
 * line by line; a JSON line becomes a structured entry whose `severity`, `message` and `time` fields
 * Cloud Logging reads as the entry's own (cloud.google.com/logging/docs/structured-logging), so
 * alerting and log-based metrics can filter on them. Same logger as the Lambdas, another format.
 */
import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

/** Powertools levels to Cloud Logging severities (LogSeverity enum). */
const SEVERITY: Readonly<Record<string, string>> = {
  TRACE: 'DEBUG',
  DEBUG: 'DEBUG',
  INFO: 'INFO',
  WARN: 'WARNING',
  ERROR: 'ERROR',
  CRITICAL: 'CRITICAL',
  SILENT: 'DEFAULT',
};

/** Writes `severity`, `message`, `time` and the service as a Cloud Logging label. */
export class CloudLoggingFormatter extends LogFormatter {
  override formatAttributes(
    attributes: UnformattedAttributes,
    additionalLogAttributes: LogAttributes,
  ): LogItem {
    return new LogItem({
      attributes: {
        severity: SEVERITY[attributes.logLevel] ?? 'DEFAULT',
        message: attributes.message,
        time: this.formatTimestamp(attributes.timestamp),
        'logging.googleapis.com/labels': { service: attributes.serviceName },
      },
    }).addAttributes(additionalLogAttributes);
  }
}

/** The logger of a Cloud Function (module scope, so it survives across invocations). */
export function createGcpLogger(serviceName: string): Logger {
  return new Logger({ serviceName, logFormatter: new CloudLoggingFormatter() });
}
