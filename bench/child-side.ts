/**
 * The child's half of a benchmark whose audit runs in its own process (bench/child-audit.ts is the
 * parent's): measure one audit and print one JSON line. Kept apart so a child's bundle holds only
 * the audit and this, not the parent's bundler and aws-cdk-lib.
 */
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
