/**
 * Reads a request timeline (bench/audit-keys-child.ts with BENCH_TIMELINE, one JSON line per HTTP
 * request) and prints what bounds the audit's wall time besides the round trips themselves:
 *
 *   npx node bench/timeline-summary.ts <file.timeline.jsonl> [bucket-ms]
 *
 * - when each operation's first request was made and sent (client creation, the account look-up,
 *   probes on the critical path);
 * - per region, its requests in flight (sent, not yet answered) in each bucket of time, as the
 *   minimum and maximum seen in it: a sliding window of 32 stays at 32 until its last calls, batches
 *   fall to 0 between rounds;
 * - the gaps: times when no request was in flight anywhere, and the span from the last answer to the
 *   end of the recording (the checks, after the last round trip);
 * - the delay from made to sent and from sent to answered (the simulator's latency plus queueing on
 *   either side).
 */
import { readFileSync } from 'node:fs';
import type { TimelineEntry } from './child-side.ts';

const [file, bucketArgument] = process.argv.slice(2);
if (!file) throw new Error('usage: npx node bench/timeline-summary.ts <file.timeline.jsonl> [bucket-ms]');
const bucketMs = Number(bucketArgument ?? 25);
const records = readFileSync(file, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as TimelineEntry | { stopped: number });
const entries = records.filter((record): record is TimelineEntry => 'operation' in record);
const stopped = records.find((record): record is { stopped: number } => 'stopped' in record)?.stopped;
const done = entries.filter(
  (entry): entry is TimelineEntry & { sent: number; answered: number } =>
    entry.sent !== undefined && entry.answered !== undefined,
);
const end = Math.max(...entries.map((entry) => entry.answered ?? entry.sent ?? entry.created));
const ms = (value: number): string => `${value.toFixed(1)} ms`;
const lines: string[] = [
  `${file}: ${entries.length} requests, last answer at ${ms(end)}, recording stopped (audit done) at ${stopped === undefined ? '-' : ms(stopped)}`,
];

const operation = (entry: TimelineEntry): string => entry.operation.replace(/^[A-Za-z0-9]+_\d+\./, '');
const operations = [...new Set(entries.map(operation))];
lines.push('first request of each operation (made / sent / answered):');
for (const name of operations) {
  const first = entries.filter((entry) => operation(entry) === name).sort((a, b) => a.created - b.created)[0];
  if (!first) continue;
  lines.push(
    `  ${name.padEnd(28)} ${ms(first.created)} / ${first.sent === undefined ? '-' : ms(first.sent)} / ${first.answered === undefined ? '-' : ms(first.answered)}`,
  );
}

const percentile = (values: number[], share: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? Number.NaN;
};
const madeToSent = done.map((entry) => entry.sent - entry.created);
const sentToAnswered = done.map((entry) => entry.answered - entry.sent);
lines.push(
  `made -> sent:      median ${ms(percentile(madeToSent, 0.5))}, p90 ${ms(percentile(madeToSent, 0.9))}, max ${ms(Math.max(...madeToSent))}`,
  `sent -> answered:  median ${ms(percentile(sentToAnswered, 0.5))}, p90 ${ms(percentile(sentToAnswered, 0.9))}, max ${ms(Math.max(...sentToAnswered))}`,
  `new sockets:       ${done.filter((entry) => entry.reusedSocket === false).length} of ${done.length}`,
);

/** Requests in flight at time `t` among `of`. */
const inFlight = (of: readonly (TimelineEntry & { sent: number; answered: number })[], t: number): number =>
  of.filter((entry) => entry.sent <= t && entry.answered > t).length;
const regions = [...new Set(done.map((entry) => entry.region ?? '-'))].sort();
lines.push(`in flight per region, min-max per ${bucketMs} ms bucket (sampled each ms):`);
lines.push(`  ${'from'.padStart(6)} ${regions.map((region) => region.slice(0, 9).padStart(9)).join(' ')}`);
for (let from = 0; from < end; from += bucketMs) {
  const cells = regions.map((region) => {
    const of = done.filter((entry) => (entry.region ?? '-') === region);
    let low = Number.POSITIVE_INFINITY;
    let high = 0;
    for (let t = from; t < Math.min(end, from + bucketMs); t += 1) {
      const count = inFlight(of, t);
      low = Math.min(low, count);
      high = Math.max(high, count);
    }
    return `${low}-${high}`.padStart(9);
  });
  lines.push(`  ${String(from).padStart(6)} ${cells.join(' ')}`);
}

// Gaps with nothing in flight anywhere, longer than 1 ms, from the first request made.
const start = Math.min(...entries.map((entry) => entry.created));
const gaps: string[] = [];
let gapFrom: number | undefined;
for (let t = start; t <= end; t += 0.5) {
  const idle = inFlight(done, t) === 0;
  if (idle && gapFrom === undefined) gapFrom = t;
  if (!idle && gapFrom !== undefined) {
    if (t - gapFrom > 1) gaps.push(`${ms(gapFrom)} to ${ms(t)}`);
    gapFrom = undefined;
  }
}
lines.push(`nothing in flight (> 1 ms): ${gaps.length === 0 ? 'never' : gaps.join(', ')}`);
process.stdout.write(`${lines.join('\n')}\n`);
