/**
 * Snapshot benchmark: 200 targets over 4 regions, 50 ms injected latency per call, snapshots taking
 * 2 to 10 s of simulated time. Prints wall time against the slowest snapshot (target <= 1.1x), API
 * calls by operation (waiting polls each region in one batch, with backoff), the job thread's CPU,
 * and peak memory. Asserts nothing.
 *
 * The snapshots take seconds where real ones take minutes (an RDS snapshot of a small database: a
 * few minutes), so polling is scaled by the same factor from the policy defaults (a 5 s floor and
 * a 30 s cap become 83 ms and 500 ms): the ratio and the polls per region are those of a real run.
 * The simulator runs in its own thread (bench/sim-worker.ts), as a real API runs elsewhere; the
 * clients' cold start (first connection, SDK initialization) is paid once per function instance
 * and measured apart.
 *
 * Run: npm run bench:snapshot
 */
import { awsSnapshotCloud } from '../functions/actions/snapshot/aws.ts';
import { POLL_SHARE } from '../functions/actions/snapshot/model.ts';
import { AwsClientFactory } from '../functions/aws/clients.ts';
import { parsePolicy } from '../functions/core/policy.ts';
import { runSnapshotJob } from '../functions/jobs/snapshot.ts';
import { simCredentials } from '../test/sim/accounts.ts';
import { SimWorker } from './sim-worker.ts';

const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2', 'sa-east-1'];
const PER_REGION = 50;
const LATENCY_MS = 50;
const TIME_SCALE = 60;
const TAG = { 'certctl:backup-guard': 'enabled' };

const instances = REGIONS.flatMap((region) =>
  Array.from({ length: PER_REGION }, (_, index) => ({
    id: `certctl-db-${region}-${index}`,
    region,
    tags: TAG,
  })),
);
// Deterministic durations spread over 2-10 s.
const durations = instances.map((_, index) => 2000 + ((index * 7919) % 8001));
const slowestMs = Math.max(...durations);

const sim = await SimWorker.start(
  {
    regions: REGIONS.map((name) => ({ name })),
    services: {
      rds: {
        instances,
        snapshots: {
          quota: 1000,
          targets: instances.map((instance, index) => ({
            id: instance.id,
            region: instance.region,
            durationMs: durations[index],
          })),
        },
      },
    },
  },
  { latencyMs: LATENCY_MS },
);
const defaults = parsePolicy({}).snapshots;
const policy = parsePolicy({
  aws: { regions: REGIONS },
  snapshots: {
    pollInitialSeconds: defaults.pollInitialSeconds / TIME_SCALE,
    pollMaxSeconds: defaults.pollMaxSeconds / TIME_SCALE,
    waitMinutes: 5,
    quotaPerRegion: 1000,
  },
});
const factory = new AwsClientFactory({
  maxAttempts: 3,
  credentials: simCredentials(),
  endpoint: sim.endpoint,
});
const cloud = awsSnapshotCloud({ policy, factory, homeRegion: REGIONS[0] });

// Cold start: finding the targets once opens the first connection of the very clients the run uses
// (STS, and RDS in every region of the run's account) and initializes the SDK, as the first
// invocation of a function instance does.
const coldStarted = performance.now();
await cloud.targets(policy.targets);
const coldMs = performance.now() - coldStarted;
await sim.resetStats();

let peakRss = process.memoryUsage().rss;
let peakHeap = process.memoryUsage().heapUsed;
const sampler = setInterval(() => {
  const usage = process.memoryUsage();
  peakRss = Math.max(peakRss, usage.rss);
  peakHeap = Math.max(peakHeap, usage.heapUsed);
}, 50);
const elu = performance.eventLoopUtilization();
const started = performance.now();
const startedAt = Date.now();
const result = await runSnapshotJob(
  { requestId: 'bench-1', reason: 'benchmark', requestedBy: 'bench' },
  { policy, clouds: [cloud] },
);
const wallMs = performance.now() - started;
const busy = performance.eventLoopUtilization(elu);
clearInterval(sampler);
const stats = await sim.stats();
factory.destroy();
await sim.close();

const polls = stats.byOperation['rds:DescribeDBSnapshots'] ?? 0;
// Where the time went: when the creates landed, when the last snapshot became available.
const durationById = new Map(instances.map((instance, index) => [instance.id, durations[index] ?? 0]));
const created = result.results.map((entry) => Date.parse(entry.createdAt ?? '') - startedAt);
const availableAt = Math.max(
  ...result.results.map(
    (entry) => Date.parse(entry.createdAt ?? '') - startedAt + (durationById.get(entry.target.id) ?? 0),
  ),
);
console.log(
  `Snapshot job: ${result.results.length} targets over ${REGIONS.length} regions, ${LATENCY_MS} ms latency, snapshots of 2-10 s; ${result.counts.available} available`,
);
console.log(
  `  client cold start   ${coldMs.toFixed(0)} ms (once per function instance; not in the wall time)`,
);
console.log(
  `  wall time           ${(wallMs / 1000).toFixed(2)} s against the slowest snapshot ${(slowestMs / 1000).toFixed(2)} s: ratio ${(wallMs / slowestMs).toFixed(3)} (target <= 1.1)`,
);
console.log(
  `  timeline            creates landed ${Math.min(...created)}-${Math.max(...created)} ms after the start; the last snapshot was available at ${availableAt} ms and seen ${(wallMs - availableAt).toFixed(0)} ms later (${(((wallMs - availableAt) / slowestMs) * 100).toFixed(1)}% of the slowest snapshot; polls wait at most ${(POLL_SHARE * 100).toFixed(0)}% of the time waited)`,
);
console.log(
  `  job thread CPU      ${busy.active.toFixed(0)} ms (event-loop active, ${(busy.utilization * 100).toFixed(0)}% of the wall time; the simulator has its own thread): ${(busy.active / stats.requests).toFixed(2)} ms per API call, ${(busy.active / result.results.length).toFixed(2)} ms per target`,
);
console.log(
  `  API calls           ${stats.requests} (${stats.retries} retries): ${JSON.stringify(stats.byOperation)}`,
);
console.log(
  `  polls               ${polls} DescribeDBSnapshots: ${(polls / REGIONS.length).toFixed(1)} per region over ${(wallMs / 1000).toFixed(1)} s, each for every pending snapshot of the region (50 per call)`,
);
console.log(
  `  peak memory         heap ${(peakHeap / 1024 / 1024).toFixed(1)} MiB (job thread); RSS ${(peakRss / 1024 / 1024).toFixed(1)} MiB (whole process, simulator thread included)`,
);
