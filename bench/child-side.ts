/**
 * The child's half of a benchmark whose audit runs in its own process (bench/child-audit.ts is the
 * parent's): measure one audit and print one JSON line. Kept apart so a child's bundle holds only
 * the audit and this, not the parent's bundler and aws-cdk-lib.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { AuditReport } from '../functions/core/audit.ts';

/** What every audit child reports. */
export interface AuditFigures {
  readonly wallMs: number;
  /** User + system CPU of the child process: the audit, not the simulator. */
  readonly cpuMs: number;
  readonly findings: number;
  readonly counts: AuditReport['counts'];
  readonly scopes: number;
  readonly failedScopes: number;
}

/** Child side: run `audit`, measuring its wall and CPU time and summing up its report. */
export async function measureAudit(audit: () => Promise<AuditReport>): Promise<AuditFigures> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const report = await audit();
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    findings: report.findings.length,
    counts: report.counts,
    scopes: report.scopes.length,
    failedScopes: report.scopes.filter((scope) => scope.status === 'failed').length,
  };
}

/**
 * What bounds a CPU-bound audit's wall time from below, measured in one audit: the answers before
 * `sequentialCalls` (the calls every later one waits for: STS, ListRegions) arrive one round trip
 * after another, so the first answer after them comes no earlier than `sequentialCalls + 1` round
 * trips; everything the main thread computes from then on (decoding, the next pages, the checks)
 * runs on one thread after it. So the audit's wall time is at least `firstAnswerMs + cpuAfterMs`,
 * whatever the concurrency: when that sum exceeds 1.5x the round-trip bound, only less CPU can meet
 * the target. `cpuAfterMs` is the main thread's CPU alone (`process.threadCpuUsage`), not the GC's
 * helper threads.
 */
export interface CriticalPath {
  /** When the first answer after the sequential calls was read, in ms from the start. */
  readonly firstAnswerMs: number;
  /** The main thread's CPU from that answer to the end of the audit. */
  readonly cpuAfterMs: number;
}

/** Child side: watch one audit's answers (node:diagnostics_channel) for its {@link CriticalPath}. */
export function watchCriticalPath(sequentialCalls: number): { stop(): CriticalPath } {
  const started = performance.now();
  let answers = 0;
  let at: { ms: number; cpu: NodeJS.CpuUsage } | undefined;
  const answered = (): void => {
    answers += 1;
    if (answers === sequentialCalls + 1)
      at = { ms: performance.now() - started, cpu: process.threadCpuUsage() };
  };
  subscribe('http.client.response.finish', answered);
  let stopped: CriticalPath | undefined;
  return {
    // Idempotent: a caller's `finally` may stop it again after reading it.
    stop() {
      if (stopped) return stopped;
      unsubscribe('http.client.response.finish', answered);
      const cpu = at ? process.threadCpuUsage(at.cpu) : { user: Number.NaN, system: 0 };
      stopped = { firstAnswerMs: at?.ms ?? Number.NaN, cpuAfterMs: (cpu.user + cpu.system) / 1000 };
      return stopped;
    },
  };
}

/** Child side: the one JSON line the parent reads. */
export function reportFigures(figures: object): void {
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

/**
 * Child side, before the first audit: import `node:http`, which only the simulator's transport
 * needs. The simulator is reached over plain HTTP, so the SDK's handler would import `node:http` on
 * the first call, and Node's ES module view of `node:http` reads its lazy `WebSocket`, `CloseEvent`
 * and `MessageEvent` exports, which loads undici (about 35 ms of CPU on the benchmark machine,
 * seen with `process.moduleLoadList`). A deployed audit reaches the clouds over HTTPS only
 * (`node:https` loads no undici) and never pays it, so a measured cold audit must not either.
 * A dynamic import: esbuild drops a bare `import 'node:http'` from the bundle.
 */
export async function loadSimulatorTransport(): Promise<void> {
  await import('node:http');
}

/** One HTTP request of a recorded audit: times in ms from the start of the recording. */
export interface TimelineEntry {
  /** `x-amz-target` (JSON protocols) or `METHOD path`. */
  readonly operation: string;
  /** The region of the request's SigV4 credential scope, when signed. */
  readonly region: string | undefined;
  /** When the `ClientRequest` was made (after signing). */
  readonly created: number;
  /** When the request was written out (`http.client.request.start`). */
  readonly sent?: number;
  /** When the answer's head was parsed (`http.client.response.finish`). */
  readonly answered?: number;
  /** Whether the request went out on a socket that had already served one. */
  readonly reusedSocket?: boolean;
}

/**
 * Child side: record every HTTP request the process makes from now on, through
 * node:diagnostics_channel (nothing is patched); `stop()` ends the recording and gives one JSON line
 * per request, then `{"stopped": <ms>}` (bench/timeline-summary.ts reads them).
 */
export function recordTimeline(): { stop(): string } {
  const origin = performance.now();
  const entries = new Map<object, { -readonly [K in keyof TimelineEntry]: TimelineEntry[K] }>();
  const header = (request: { getHeader(name: string): unknown }, name: string): string | undefined => {
    const value = request.getHeader(name);
    return typeof value === 'string' ? value : undefined;
  };
  interface Request {
    readonly method: string;
    readonly path: string;
    readonly reusedSocket: boolean;
    getHeader(name: string): unknown;
  }
  const created = ({ request }: { request: Request }): void => {
    const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(header(request, 'authorization') ?? '');
    entries.set(request, {
      operation: header(request, 'x-amz-target') ?? `${request.method} ${request.path}`,
      region: scope?.[1],
      created: performance.now() - origin,
    });
  };
  const sent = ({ request }: { request: Request }): void => {
    const entry = entries.get(request);
    if (!entry) return;
    entry.sent = performance.now() - origin;
    entry.reusedSocket = request.reusedSocket;
  };
  const answered = ({ request }: { request: Request }): void => {
    const entry = entries.get(request);
    if (entry) entry.answered = performance.now() - origin;
  };
  const channels = [
    ['http.client.request.created', created],
    ['http.client.request.start', sent],
    ['http.client.response.finish', answered],
  ] as const;
  for (const [name, listener] of channels) subscribe(name, listener as (message: unknown) => void);
  return {
    stop() {
      for (const [name, listener] of channels) unsubscribe(name, listener as (message: unknown) => void);
      const stopped = JSON.stringify({ stopped: performance.now() - origin });
      return `${[...entries.values()].map((entry) => JSON.stringify(entry)).join('\n')}\n${stopped}\n`;
    },
  };
}
