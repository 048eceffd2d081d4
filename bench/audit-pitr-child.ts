/**
 * The audited side of bench/audit-pitr.ts, in its own process so its peak memory is the audit's
 * alone (the simulator runs in the parent). Prints one JSON line with the figures.
 */
import { writeFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { AwsClientFactory } from '../functions/aws/clients.ts';
import { prepareAwsPlanning } from '../functions/aws/planner.ts';
import { rdsPitrCollector } from '../functions/aws/rds.ts';
import { parsePolicy } from '../functions/core/policy.ts';
import { runAuditReport } from '../functions/jobs/audit.ts';
import { checkGroup } from '../functions/jobs/groups.ts';
import { simCredentials } from '../test/sim/accounts.ts';
import { loadSimulatorTransport, recordTimeline, watchCriticalPath } from './child-side.ts';

/**
 * The collectors the `audit-pitr` Lambda passes (functions/handlers/aws/audit-pitr.ts), imported statically as
 * there: the Lambda loads its SDK client and collector at init, which bench:bundles measures, not
 * during its first audit.
 */
const collectors = { pitr: rdsPitrCollector };
const endpoint = process.env.BENCH_ENDPOINT;
if (!endpoint) throw new Error('BENCH_ENDPOINT is not set: run bench/audit-pitr.ts, not this file');

const policy = parsePolicy({ targets: { all: true }, aws: { regions: 'all' } });
const factory = new AwsClientFactory({
  maxAttempts: policy.aws.maxAttempts,
  credentials: simCredentials(),
  endpoint,
});
// What the Lambda's init does after building its factory (functions/handlers/aws/audit-handler.ts,
// `ready`, awaited at the top of the handler module): the STS and Account clients every run makes
// first. bench:bundles measures it as part of the function's init.
await prepareAwsPlanning(policy, factory, {
  groups: ['pitr'],
  placesOf: (name) => checkGroup(name)?.places?.(policy, 'aws'),
});
await loadSimulatorTransport();
let peakHeap = 0;
const sampler = setInterval(() => {
  peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
}, 5);
// BENCH_TIMELINE=<file>: every HTTP request of the first audit (bench/timeline-summary.ts reads it).
const timelineFile = process.env.BENCH_TIMELINE;
const timeline = timelineFile ? recordTimeline() : undefined;
// GetCallerIdentity, then ListRegions: the two calls every page waits for.
const path = watchCriticalPath(2);
const started = performance.now();
const cpuStart = process.cpuUsage();
const report = await runAuditReport({ providers: ['aws'] }, { policy, aws: { factory, collectors } });
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpuStart);
const criticalPath = path.stop();
if (timeline && timelineFile) writeFileSync(timelineFile, timeline.stop());
clearInterval(sampler);
factory.destroy();
// Memory as the first audit left it (a second audit in the same process would add its garbage).
const maxRssMb = process.resourceUsage().maxRSS / 1024;
const peakHeapMb = Math.max(peakHeap, getHeapStatistics().used_heap_size) / 2 ** 20;

// The same audit again in this process, with fresh clients: code already compiled by the JIT, as a
// warm function instance runs it. A scheduled run usually starts cold, so the first audit is the
// headline figure and this one is printed beside it.
const warmFactory = new AwsClientFactory({
  maxAttempts: policy.aws.maxAttempts,
  credentials: simCredentials(),
  endpoint,
});
const warmStarted = performance.now();
const warmCpuStart = process.cpuUsage();
await runAuditReport({ providers: ['aws'] }, { policy, aws: { factory: warmFactory, collectors } });
const warmWallMs = performance.now() - warmStarted;
const warmCpu = process.cpuUsage(warmCpuStart);
warmFactory.destroy();
process.stdout.write(
  `${JSON.stringify({
    wallMs,
    criticalPath,
    // User + system CPU of this process (the audit; the simulator runs in the parent).
    cpuMs: (cpu.user + cpu.system) / 1000,
    warmWallMs,
    warmCpuMs: (warmCpu.user + warmCpu.system) / 1000,
    resources: new Set(report.findings.map((finding) => finding.resource.id)).size,
    maxRssMb,
    peakHeapMb,
    findings: report.findings.length,
    counts: report.counts,
    scopes: report.scopes.length,
    failedScopes: report.scopes.filter((scope) => scope.status === 'failed').length,
  })}\n`,
);
