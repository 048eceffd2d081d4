/**
 * What Powertools writes in a test: its Logger and Metrics print JSON lines (logs and EMF
 * documents) on stdout and stderr, captured here so a test can read them and look for canaries.
 */

export interface CapturedOutput {
  /** Everything written since the capture started. */
  text(): string;
  /** The EMF metric documents: metric name to the values recorded. */
  metrics(): Record<string, number>;
  /** The structured log lines (those with a `level`). */
  logs(): Record<string, unknown>[];
  restore(): void;
}

export function capturePowertoolsOutput(): CapturedOutput {
  const chunks: string[] = [];
  const originalOut = process.stdout.write;
  const originalErr = process.stderr.write;
  const capture = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  const parsed = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line.trim().startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    text: () => chunks.join(''),
    metrics: () => {
      const totals: Record<string, number> = {};
      for (const document of parsed().filter((entry) => '_aws' in entry)) {
        const definitions = (
          document._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }
        ).CloudWatchMetrics.flatMap((group) => group.Metrics);
        for (const { Name } of definitions) {
          const value = document[Name];
          const values = Array.isArray(value) ? (value as number[]) : [value as number];
          totals[Name] = (totals[Name] ?? 0) + values.reduce((sum, v) => sum + v, 0);
        }
      }
      return totals;
    },
    logs: () => parsed().filter((entry) => 'level' in entry),
    restore: () => {
      process.stdout.write = originalOut;
      process.stderr.write = originalErr;
    },
  };
}
