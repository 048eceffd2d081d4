/**
 * Benchmark of the GCP PITR audit: 1,000 Cloud SQL instances over 20 projects on the simulator with
 * 50 ms injected latency per Cloud SQL request, then the `auditPitr` and `auditDumps` Cloud Functions'
 * bundles as deployed: size at cold start and in all, module init time, and what the first publishing
 * run loads on demand. Prints figures; asserts nothing.
 *
 * API lower bound. Projects are audited in parallel (one scope each, all 20 at once), so the bound is
 * the slowest project's chain of unavoidable sequential round trips:
 *   pages(p)  = ceil(instances(p) / 1000)          instances.list pages, one after another
 *   rounds(p) = ceil(targets(p) / C)                one per-instance call per target
 *                                                    (getLatestRecoveryTime, or backupRuns.list when
 *                                                    PITR is off), C = instanceConcurrency in flight
 *   bound     = max over p of (pages(p) + rounds(p)) x latency
 * API calls minimum = sum over p of (pages(p) + targets(p)): no list call carries the restore window.
 *
 * The simulator runs in a worker thread, so its own CPU time is not charged to the audit (a real
 * API serves requests in parallel elsewhere), and it makes each answer within the latency
 * (`answerWithinLatency`) rather than after it: it serves one request at a time, and the 20
 * `instances.list` pages (200 KB each, 7-11 ms apiece on a busy machine) otherwise left it one
 * after another after their 50 ms, the last one more than 150 ms late, which the lower bound (and
 * a real API) does not have. API calls are counted by the simulator. The audit runs the code of
 * bench/gcp-audit-entry.ts bundled as the Cloud Functions are (infra/gcp/bundle.ts), so it pays
 * what the deployed function pays; `BENCH_AS_SOURCES=1` (or a profiling switch) runs the sources. The audit
 * runs in FRESH_RUNS (bench/child-audit.ts) fresh processes (this script again, with BENCH_GCP_AUDIT_CHILD set), each with
 * its own simulator thread; the output of the run of median wall time is printed, with every run's
 * wall time.
 *
 * Run: node_modules/.bin/node bench/audit-pitr-gcp.ts   (BENCH_LATENCY_MS overrides the 50 ms;
 * BENCH_CPU_PROFILE=<file.cpuprofile> writes a CPU profile of the measured audit (the last process's), BENCH_SKIP_BUNDLE=1
 * skips the bundle figures, BENCH_TIMELINE=<file> writes the measured audit's request timeline)
 */
import { execFile } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { BUNDLE_FILE_NAME } from '../infra/bundling.ts';
import { bundleCloudFunction } from '../infra/gcp/bundle.ts';
import type { ScenarioInput } from '../test/sim/scenario.ts';
import type { CloudSqlInstanceScenario } from '../test/sim/services/cloud-sql.ts';
import { bundleReport, measureFunction } from './bundle.ts';
import { repeatRuns, runsSources } from './child-audit.ts';
import { SimWorker } from './sim-worker.ts';

const run = promisify(execFile);
const PROJECTS = 20;
const INSTANCES = 1000;
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
const INIT_RUNS = 7;
const WARMUP_PROJECT = 'bench-warmup-0';

interface ProjectPlan {
  readonly id: string;
  readonly instances: CloudSqlInstanceScenario[];
  /** Instances the audit judges (labelled PostgreSQL primaries). */
  readonly targets: number;
}

/** A deterministic fleet: every 10th instance a replica, every 25th MySQL, every 7th PITR off. */
function fleet(): ProjectPlan[] {
  const perProject = INSTANCES / PROJECTS;
  return Array.from({ length: PROJECTS }, (_, p) => {
    const id = `certctl-bench-${String(p + 1).padStart(2, '0')}`;
    let targets = 0;
    const instances = Array.from({ length: perProject }, (_, i): CloudSqlInstanceScenario => {
      const n = p * perProject + i;
      const name = `pg-${String(n).padStart(4, '0')}`;
      const base: CloudSqlInstanceScenario = {
        name,
        region: ['europe-west1', 'us-central1', 'asia-east1'][n % 3] as string,
        edition: n % 2 === 0 ? 'ENTERPRISE_PLUS' : 'ENTERPRISE',
        labels: { 'certctl-backup-guard': 'enabled' },
        deletionProtection: n % 5 !== 0,
        retainBackupsOnDelete: n % 3 === 0,
        backups: {
          transactionLogRetentionDays: n % 2 === 0 ? 35 : 7,
          retainedBackups: n % 2 === 0 ? 36 : 8,
          pointInTimeRecovery: n % 7 !== 0,
        },
      };
      if (n % 10 === 9)
        return { ...base, instanceType: 'READ_REPLICA_INSTANCE', masterInstanceName: `${id}:pg-x` };
      if (n % 25 === 24) return { ...base, databaseVersion: 'MYSQL_8_0' };
      targets += 1;
      return base;
    });
    return { id, instances, targets };
  });
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Set by the parent to the bundle of bench/gcp-audit-entry.ts the children audit with. */
const BUNDLE_ENV = 'BENCH_GCP_AUDIT_BUNDLE';

type AuditCode = typeof import('./gcp-audit-entry.ts');

/** The audit's code: the bundle as deployed the parent built, or the sources ({@link runsSources}). */
async function auditCode(): Promise<AuditCode> {
  const bundle = process.env[BUNDLE_ENV];
  return bundle ? ((await import(pathToFileURL(bundle).href)) as AuditCode) : import('./gcp-audit-entry.ts');
}

async function auditBenchmark(): Promise<void> {
  const {
    parsePolicy,
    GcpClientFactory,
    cloudSqlPitrCollector,
    runAuditReport,
    DEFAULT_INSTANCE_CONCURRENCY,
    INSTANCES_PAGE_SIZE,
  } = await auditCode();
  const plans = fleet();
  const scenario: ScenarioInput = {
    services: {
      cloudSql: {
        projects: Object.fromEntries([
          [WARMUP_PROJECT, { instances: [{ name: 'warmup' }] }],
          ...plans.map((plan) => [plan.id, { instances: plan.instances }]),
        ]),
      },
    },
  };
  const sim = await SimWorker.start(scenario, { latencyMs: LATENCY_MS, services: ['cloudSql'] }, undefined, {
    answerWithinLatency: true,
  });
  const factory = new GcpClientFactory({ endpoint: sim.endpoint });
  const policy = parsePolicy({ gcp: { projects: plans.map((plan) => plan.id) } });
  try {
    // Client construction, proto loading and the first connection are paid once per instance of the
    // function; measure them apart from the audit. From the sources (BENCH_AS_SOURCES, profiling)
    // this pays more than the deployed bundle (infra/gcp/bundle.ts): the generated clients'
    // `require('google-gax')` loads gax's gRPC index (60-135 ms here), which the bundle replaces,
    // and the read clients build protobufjs types of all of Cloud SQL v1 in `protos.json` where the
    // bundle keeps only the read services' types.
    const coldStart = performance.now();
    await factory.cloudSql().instances.list({ project: WARMUP_PROJECT });
    const coldMs = performance.now() - coldStart;
    await sim.resetStats();

    // v8.getHeapStatistics() costs about 2 µs; process.memoryUsage() also reads the RSS from /proc
    // and cost 42 ms of the measured audit thread's CPU in one profile. The peak RSS is the kernel's
    // maxRSS, read once at the end.
    let peakHeap = getHeapStatistics().used_heap_size;
    const sampler = setInterval(() => {
      peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
    }, 5);
    const profile = await startProfile();
    const timeline = startTimeline();
    const elu = performance.eventLoopUtilization();
    const cpu = process.threadCpuUsage();
    const started = performance.now();
    const report = await runAuditReport(
      { providers: ['gcp'] },
      { policy, gcp: { clients: factory, collectors: { pitr: cloudSqlPitrCollector } } },
    );
    const wallMs = performance.now() - started;
    const threadCpu = process.threadCpuUsage(cpu);
    clearInterval(sampler);
    const busy = performance.eventLoopUtilization(elu);
    await profile?.stop();
    await timeline?.stop(started);
    const cpuMs = (threadCpu.user + threadCpu.system) / 1000;

    const concurrency = DEFAULT_INSTANCE_CONCURRENCY;
    const chain = (plan: ProjectPlan) =>
      Math.ceil(plan.instances.length / INSTANCES_PAGE_SIZE) + Math.ceil(plan.targets / concurrency);
    const boundMs = Math.max(...plans.map(chain)) * LATENCY_MS;
    const minimumCalls = plans.reduce(
      (sum, plan) => sum + Math.ceil(plan.instances.length / INSTANCES_PAGE_SIZE) + plan.targets,
      0,
    );
    const stats = await sim.stats();
    const calls = stats.byService.cloudSql ?? 0;
    const targets = plans.reduce((sum, plan) => sum + plan.targets, 0);

    console.log(
      `GCP PITR audit: ${INSTANCES} Cloud SQL instances over ${PROJECTS} projects, ${LATENCY_MS} ms latency (load average ${loadavg()
        .map((load) => load.toFixed(2))
        .join(', ')})`,
    );
    console.log(`  targets judged           ${targets} (replicas and other engines skipped)`);
    console.log(`  findings                 ${report.findings.length} ${JSON.stringify(report.counts)}`);
    console.log(
      `  scopes                   ${report.scopes.filter((s) => s.status === 'complete').length}/${report.scopes.length} complete`,
    );
    console.log(
      `  client cold start        ${coldMs.toFixed(0)} ms (clients, protos, first round trip; once per instance)`,
    );
    console.log(
      `  wall time                ${wallMs.toFixed(0)} ms (audit thread CPU ${cpuMs.toFixed(0)} ms, event loop active ${busy.active.toFixed(0)} ms; the simulator runs in its own thread)`,
    );
    console.log(
      `  API lower bound          ${boundMs} ms (slowest project: pages + ceil(targets/${concurrency}) round trips x ${LATENCY_MS} ms; projects in parallel)`,
    );
    console.log(`  ratio                    ${(wallMs / boundMs).toFixed(2)}x (target <= 1.5x)`);
    console.log(
      `  audit thread busy        ${(busy.utilization * 100).toFixed(0)}% of the wall time, ${(cpuMs / calls).toFixed(2)} ms CPU per API call, ${((1000 * cpuMs) / targets).toFixed(0)} µs per judged instance (client encode/decode + HTTP)`,
    );
    // The same audit again in the same process: what a warm instance of the function pays, with
    // V8's compiled code for gax, the HTTP stack and the checks already in place.
    const warmCpu = process.threadCpuUsage();
    const warmStarted = performance.now();
    await runAuditReport(
      { providers: ['gcp'] },
      { policy, gcp: { clients: factory, collectors: { pitr: cloudSqlPitrCollector } } },
    );
    const warmWallMs = performance.now() - warmStarted;
    const warmThreadCpu = process.threadCpuUsage(warmCpu);
    const warmCpuMs = (warmThreadCpu.user + warmThreadCpu.system) / 1000;
    console.log(
      `  second audit, warm       wall ${warmWallMs.toFixed(0)} ms, ratio ${(warmWallMs / boundMs).toFixed(2)}x, audit thread CPU ${warmCpuMs.toFixed(0)} ms, ${(warmCpuMs / calls).toFixed(2)} ms CPU per API call (same process: code already compiled)`,
    );
    console.log(`  API calls                ${calls} (minimum ${minimumCalls}: list pages + one per target)`);
    console.log(`    by operation           ${JSON.stringify(stats.byOperation)}`);
    console.log(`    retries                ${stats.retries}`);
    console.log(
      `  peak heap used           ${megabytes(peakHeap)} (the audit's thread; the simulator has its own)`,
    );
    console.log(
      `  peak RSS                 ${megabytes(process.resourceUsage().maxRSS * 1024)} (whole process, simulator thread included)`,
    );
    console.log(JSON.stringify({ wallMs }));
  } finally {
    await factory.close();
    await sim.close();
  }
}

/**
 * The Cloud Functions' bundles, built by the deployment's own bundler (infra/gcp/bundle.ts), and
 * their cold import: the bundle the framework loads, then the chunks a publishing run loads.
 */
async function bundleBenchmark(): Promise<void> {
  const functions = [
    { name: 'auditPitr', entry: 'functions/handlers/gcp/audit-pitr.ts', out: 'gcp-audit-pitr' },
    { name: 'auditDumps', entry: 'functions/handlers/gcp/audit-dumps.ts', out: 'gcp-audit-dumps' },
    { name: 'auditKeys', entry: 'functions/handlers/gcp/audit-keys.ts', out: 'gcp-audit-keys' },
  ];
  for (const fn of functions) {
    const figures = await measureFunction(fn.entry, fn.out, 'gcp', INIT_RUNS);
    console.log(bundleReport(`Cloud Function ${fn.name}`, figures).join('\n'));
  }
}

/** A CPU profile of the measured audit when BENCH_CPU_PROFILE names a file (relative shares, not wall time). */
async function startProfile(): Promise<{ stop(): Promise<void> } | undefined> {
  const file = process.env.BENCH_CPU_PROFILE;
  if (!file) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(file, JSON.stringify(profile));
      session.disconnect();
      console.log(`  CPU profile              ${file}`);
    },
  };
}

/**
 * A timeline of the measured audit's HTTP requests when BENCH_TIMELINE names a file: one line per
 * request (its start and the end of its answer in ms from the audit's start, its path; the last
 * process's, as with BENCH_CPU_PROFILE), to see where a project waits between its list answer and
 * its first per-instance request, and how many are in flight.
 * Subscribing costs a little CPU per request, so its wall times are not the benchmark's.
 */
function startTimeline(): { stop(started: number): Promise<void> } | undefined {
  const file = process.env.BENCH_TIMELINE;
  if (!file) return undefined;
  const events = new Map<object, { path: string; start: number; end?: number }>();
  const onStart = (message: unknown) => {
    const { request } = message as { request: { path: string } };
    events.set(request, { path: request.path, start: performance.now() });
  };
  const onFinish = (message: unknown) => {
    const event = events.get((message as { request: object }).request);
    if (event) event.end = performance.now();
  };
  diagnostics.subscribe('http.client.request.start', onStart);
  diagnostics.subscribe('http.client.response.finish', onFinish);
  return {
    async stop(started) {
      diagnostics.unsubscribe('http.client.request.start', onStart);
      diagnostics.unsubscribe('http.client.response.finish', onFinish);
      const lines = [...events.values()]
        .filter((event) => event.start >= started)
        .map((event) =>
          [
            (event.start - started).toFixed(1),
            ((event.end ?? Number.NaN) - started).toFixed(1),
            event.path,
          ].join('\t'),
        );
      await writeFile(file, `${lines.join('\n')}\n`);
      console.log(`  request timeline         ${file}`);
    },
  };
}

/** Set in the processes {@link freshAudits} starts: each runs {@link auditBenchmark} once. */
const CHILD_ENV = 'BENCH_GCP_AUDIT_CHILD';

/**
 * The audit in FRESH_RUNS fresh processes (each with its own simulator thread), as the other audit
 * benches judge theirs: the output of the run of median wall time, with every run's wall time.
 */
async function freshAudits(): Promise<void> {
  const fresh = await repeatRuns(
    async () => {
      const { stdout } = await run(process.execPath, [fileURLToPath(import.meta.url)], {
        env: { ...process.env, [CHILD_ENV]: '1' },
        maxBuffer: 1 << 20,
      });
      const lines = stdout.trimEnd().split('\n');
      const { wallMs } = JSON.parse(lines.pop() ?? '{}') as { wallMs: number };
      return { wallMs, lines };
    },
    (each) => each.wallMs,
  );
  for (const line of fresh.median.lines) {
    console.log(line);
    if (line.startsWith('  wall time'))
      console.log(
        `  fresh processes          the median of ${fresh.runs.length} (${fresh.walls}); each process's first audit`,
      );
  }
}

if (process.env[CHILD_ENV]) await auditBenchmark();
else {
  const outdir = runsSources() ? undefined : await mkdtemp(join(tmpdir(), 'bench-gcp-'));
  try {
    if (outdir) {
      await bundleCloudFunction('bench/gcp-audit-entry.ts', outdir);
      process.env[BUNDLE_ENV] = join(outdir, BUNDLE_FILE_NAME);
    }
    await freshAudits();
  } finally {
    if (outdir) await rm(outdir, { recursive: true, force: true });
  }
  if (!process.env.BENCH_SKIP_BUNDLE) await bundleBenchmark();
}
