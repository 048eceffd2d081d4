/**
 * The one logger the tests hand to the product when they read what it logged: it implements
 * {@link StructuredLogger} and keeps every call, both as structured entries (for assertions on a
 * level, a message or an attribute) and serialised (for searches of everything logged, such as
 * the canary and secret-leak tests).
 */
import type { StructuredLogger } from '../../functions/core/logging.ts';

export type LogLevel = 'info' | 'warn' | 'error';

/** One call to the logger, with its attributes as given. */
export interface LogEntry {
  readonly level: LogLevel;
  readonly message: string;
  readonly attributes: readonly Record<string, unknown>[];
}

export interface RecordingLogger extends StructuredLogger {
  /** Every call, in order. */
  readonly entries: readonly LogEntry[];
  /** Every call as one JSON line, each serialised when it was logged, joined by newlines. */
  text(): string;
}

/**
 * JSON.stringify writes an Error as `{}`. Powertools writes its name, message, cause and own fields
 * (and its stack), so those are kept here too: a secret carried by an error logged as an attribute
 * is then found by a search of {@link RecordingLogger.text}. The stack is left out because it
 * repeats the message, and a search that counts occurrences would count the error twice.
 */
function errorsAsShipped(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return {
    ...value,
    name: value.name,
    message: value.message,
    ...(value.cause === undefined ? {} : { cause: value.cause }),
  };
}

/**
 * A logger that keeps what it is given. Each line is serialised when it is logged, as a log
 * shipper would, so an attribute the product changes afterwards still shows what was written.
 */
export function recordingLogger(): RecordingLogger {
  const entries: LogEntry[] = [];
  const lines: string[] = [];
  const record =
    (level: LogLevel) =>
    (message: string, ...attributes: Record<string, unknown>[]): void => {
      const entry: LogEntry = { level, message, attributes };
      entries.push(entry);
      lines.push(JSON.stringify(entry, errorsAsShipped));
    };
  return {
    entries,
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    text: () => lines.join('\n'),
  };
}
