/** A structured logger that keeps its lines as JSON strings, for tests that read or search them. */
export function recordingLogger() {
  const lines: string[] = [];
  const log =
    (level: string) =>
    (message: string, ...attributes: Record<string, unknown>[]) => {
      lines.push(JSON.stringify({ level, message, ...Object.assign({}, ...attributes) }));
    };
  return { lines, logger: { info: log('info'), warn: log('warn'), error: log('error') } };
}
