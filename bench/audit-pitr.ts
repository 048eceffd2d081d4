/**
 * Benchmark (prints figures, never fails): the AWS PITR audit of 5,000 RDS instances and 1,000
 * Aurora clusters (2 members each) over 16 regions against the simulator with 50 ms latency per
 * call, plus the Lambda bundle's size and module init time.
 *
 * The API lower bound: before any region is read the audit must make GetCallerIdentity and one
 * ListRegions page (sequential); then each region needs ceil(n/100) sequential pages of each of its
 * three (server-side filtered) listings, which run concurrently, and regions run in parallel. So
 *   lowerBound = latency * (2 + max over regions of max(pagesInstances, pagesClusters, pagesBackups)).
 * The minimum number of calls is 2 + the sum of every region's pages. It counts no listing of a
 * backup replication's destination Region: `pitr.cross-region` reads those (one paged
 * DescribeDBInstanceAutomatedBackups per source Region and destination) only when the policy sets
 * `requireCrossRegionBackup`, which this benchmark's policy does not, and its fleet replicates nothing.
 * Nor does it count the look-ups of names no Region's filtered listing answered to (one
 * DescribeDBInstances and one DescribeDBClusters per Region, after every Region is read, only when such
 * a name is left, functions/aws/rds.ts lookUpRdsNames): this benchmark's `targets.all` names none, and it keeps the
 * engine filter a policy selecting by tag drops (that lists other engines too; this fleet has none).
 *
 * The audit runs in FRESH_RUNS fresh processes (bench/child-audit.ts); the run of median wall time is
 * the headline, and every run's wall time is printed beside it. The timed processes get the V8 heap
 * limits of the deployed function and its exec wrapper's flag (AUDIT_MEMORY_MB, `deployedNodeFlags`); one more process, with a
 * 256 MB function's limits, shows that the audit fits the smallest size users may choose.
 * `BENCH_TIMELINE=<file>` writes each timed process's first-audit HTTP requests there (the last
 * process's remain; read them with `node bench/timeline-summary.ts <file>`).
 * The critical-path line (child-side.ts `watchCriticalPath`) shows why a CPU-bound audit misses the
 * target: the first page answer after the sequential calls, plus the main thread's CPU after it,
 * is a floor on the wall time no concurrency lowers; only less CPU moves it.
 */
import { AUDIT_MEMORY_MB } from '../infra/scheduled-job.ts';
import { DEFAULT_ACCOUNT_ID } from '../test/sim/accounts.ts';
import { generateFleet } from '../test/sim/fleet.ts';
import { startSim } from '../test/sim/server.ts';
import type { RdsService } from '../test/sim/services/rds.ts';
import { bundleReport, measureFunction } from './bundle.ts';
import { criticalPathLine, deployedNodeFlags, repeatRuns, runAuditChild } from './child-audit.ts';
import type { CriticalPath } from './child-side.ts';

interface ChildFigures {
  readonly wallMs: number;
  /** The first page's answer after GetCallerIdentity's and ListRegions', and the main thread's CPU after it. */
  readonly criticalPath: CriticalPath;
  readonly cpuMs: number;
  /** The same audit again in the same process (fresh clients, JIT warm). */
  readonly warmWallMs: number;
  readonly warmCpuMs: number;
  readonly resources: number;
  readonly maxRssMb: number;
  readonly peakHeapMb: number;
  readonly findings: number;
  readonly scopes: number;
  readonly failedScopes: number;
}
const LATENCY_MS = 50;
const DEPLOYED_FLAGS = deployedNodeFlags(AUDIT_MEMORY_MB);
const SMALLEST_MB = 256;
const SMALLEST_FLAGS = deployedNodeFlags(SMALLEST_MB);
const PAGE = 100;

const scenario = generateFleet({
  instances: 5000,
  clusters: 1000,
  regions: 16,
  membersPerCluster: 2,
  seed: 7,
});
const sim = await startSim({ scenario, faults: { latencyMs: LATENCY_MS }, reuseAnswers: true });
try {
  const rds = sim.service<RdsService>('rds');
  let slowestRegionPages = 0;
  let minimumCalls = 2;
  let instances = 0;
  let clusters = 0;
  for (const { name } of scenario.regions) {
    // What the audit's server-side filters let through (engine postgres; active or creating backups).
    const pages = [
      rds.store.instances(DEFAULT_ACCOUNT_ID, name).filter((i) => i.engine === 'postgres').length,
      rds.store
        .clusters(DEFAULT_ACCOUNT_ID, name)
        .filter((c) => ['aurora-postgresql', 'postgres'].includes(c.engine)).length,
      rds.store
        .automatedBackups(DEFAULT_ACCOUNT_ID, name)
        .filter((b) => ['active', 'creating'].includes(b.status)).length,
    ].map((count) => Math.max(1, Math.ceil(count / PAGE)));
    instances += rds.store.instances(DEFAULT_ACCOUNT_ID, name).length;
    clusters += rds.store.clusters(DEFAULT_ACCOUNT_ID, name).length;
    slowestRegionPages = Math.max(slowestRegionPages, ...pages);
    minimumCalls += pages.reduce((sum, n) => sum + n, 0);
  }
  const lowerBoundMs = LATENCY_MS * (2 + slowestRegionPages);

  // V8 heap limits as the Lambda runtime sets them, after the exec wrapper's flag; without them V8 sizes its heap for this
  // machine's 24 GiB.
  const runAudit = (flags = DEPLOYED_FLAGS): Promise<ChildFigures> =>
    runAuditChild<ChildFigures>('bench/audit-pitr-child.ts', { BENCH_ENDPOINT: sim.endpoint }, flags);
  // The same audit with no injected latency: its wall time is the CPU the SDKs and checks need
  // (XML parsing dominates), the floor no amount of concurrency removes.
  // The first such audit is not measured: it has the simulator serialize every answer it then
  // reuses (`reuseAnswers`: a real API's serialization is inside its latency, on other machines).
  sim.setFaults({});
  await runAudit();
  const cpuFloor = await runAudit();
  sim.setFaults({ latencyMs: LATENCY_MS });
  sim.resetStats();
  const fresh = await repeatRuns(runAudit, (run) => run.wallMs);
  const figures = fresh.median;
  const stats = sim.stats();
  // Each child audits twice (the first audit, then the warm one): the same plan, the same calls.
  const callsPerAudit = stats.requests / (2 * fresh.runs.length);
  const smallest = await runAudit(SMALLEST_FLAGS);
  // BENCH_SKIP_BUNDLE=1 skips the Lambda section, as in the other audit benches.
  const bundle = process.env.BENCH_SKIP_BUNDLE
    ? undefined
    : await measureFunction('functions/handlers/aws/audit-pitr.ts', 'audit-pitr', 'aws');

  const lines = [
    'AWS PITR audit benchmark',
    `  fleet: ${instances} DB instances (5000 standalone incl. read replicas + 2000 Aurora members), ${clusters} Aurora clusters, ${scenario.regions.length} regions, ${LATENCY_MS} ms per call`,
    `  findings: ${figures.findings} over ${figures.scopes} scopes (${figures.failedScopes} failed)`,
    `  wall time:        ${figures.wallMs.toFixed(0)} ms (audit process CPU ${figures.cpuMs.toFixed(0)} ms, ${((100 * figures.cpuMs) / figures.wallMs).toFixed(0)}% of wall), the median of ${fresh.runs.length} fresh processes (${fresh.walls})`,
    `  API lower bound:  ${lowerBoundMs} ms (2 + ${slowestRegionPages} sequential page round trips)`,
    `  ratio:            ${(figures.wallMs / lowerBoundMs).toFixed(2)} (target <= 1.5)`,
    `  warm second audit: ${figures.warmWallMs.toFixed(0)} ms wall, ${figures.warmCpuMs.toFixed(0)} ms CPU, ratio ${(figures.warmWallMs / lowerBoundMs).toFixed(2)} (the same process again, fresh clients: what a warm function instance pays)`,
    `  CPU floor:        ${cpuFloor.wallMs.toFixed(0)} ms wall, ${cpuFloor.cpuMs.toFixed(0)} ms CPU (the same audit with 0 ms latency: decoding and checks)`,
    criticalPathLine(figures.criticalPath, LATENCY_MS * 3, lowerBoundMs, 'page'),
    `  client CPU:       ${(figures.cpuMs / callsPerAudit).toFixed(2)} ms per API call, ${((1000 * figures.cpuMs) / figures.resources).toFixed(0)} µs per judged resource (${figures.resources} resources)`,
    `  CPU ratio:        ${(figures.cpuMs / lowerBoundMs).toFixed(2)} x the API lower bound (CPU is what a 0.15 vCPU Lambda pays ~7x)`,
    `  API calls:        ${callsPerAudit} per audit (${stats.requests} for the ${fresh.runs.length} first and warm audits; minimum ${minimumCalls}; retries ${stats.retries})`,
    `  heap limits:      ${DEPLOYED_FLAGS.join(' ')} (the ${AUDIT_MEMORY_MB.toLocaleString('en-US')} MB function as deployed: the exec wrapper's initial old space, a quarter of the memory; new space a tenth of the memory, old space the rest)`,
    `  peak memory:      ${smallest.maxRssMb.toFixed(0)} MB RSS, ${smallest.peakHeapMb.toFixed(0)} MB heap in a ${SMALLEST_MB} MB function's limits (${SMALLEST_FLAGS.join(' ')}; its audit took ${smallest.wallMs.toFixed(0)} ms) (target <= ${SMALLEST_MB} MB); ${figures.maxRssMb.toFixed(0)} MB RSS as deployed`,
    ...(bundle ? bundleReport('Lambda audit-pitr', bundle) : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await sim.close();
}
