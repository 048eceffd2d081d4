/**
 * Snapshot benchmark: 200 targets over 4 regions, 50 ms injected latency per call, snapshots taking
 * 2 to 10 s of simulated time. Prints wall time against the slowest snapshot (target <= 1.1x), API
 * calls by operation (waiting polls each region in one batch with backoff), and peak memory.
 *
 *   npm run bench:snapshot
 */
import { awsSnapshotCloud } from '../functions/actions/snapshot/aws.ts';
import { AwsClientFactory } from '../functions/aws/clients.ts';
import { parsePolicy } from '../functions/core/policy.ts';
import { runSnapshotJob } from '../functions/jobs/snapshot.ts';
import { simCredentials } from '../test/sim/accounts.ts';
import { startSim } from '../test/sim/server.ts';

const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2', 'sa-east-1'];
const PER_REGION = 50;
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

const sim = await startSim({
  scenario: {
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
  faults: { latencyMs: 50 },
});
const policy = parsePolicy({
  aws: { regions: REGIONS },
  snapshots: { pollInitialSeconds: 1, pollMaxSeconds: 1, waitMinutes: 5, quotaPerRegion: 1000 },
});
const factory = new AwsClientFactory({
  maxAttempts: 3,
  credentials: simCredentials(),
  endpoint: sim.endpoint,
});
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);
const cpuStart = process.cpuUsage();
const started = performance.now();
const result = await runSnapshotJob(
  { requestId: 'bench-1', reason: 'benchmark', requestedBy: 'bench' },
  { policy, clouds: [awsSnapshotCloud({ policy, factory, homeRegion: 'eu-west-1' })] },
);
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpuStart);
clearInterval(sampler);
const stats = sim.stats();
factory.destroy();
await sim.close();

console.log(
  `targets: ${result.results.length} over ${REGIONS.length} regions; available: ${result.counts.available}`,
);
console.log(
  `slowest snapshot: ${(slowestMs / 1000).toFixed(2)} s; wall time: ${(wallMs / 1000).toFixed(2)} s; ratio ${(wallMs / slowestMs).toFixed(3)} (target <= 1.1)`,
);
console.log(`API calls: ${stats.requests} (${stats.retries} retries): ${JSON.stringify(stats.byOperation)}`);
console.log(
  `CPU: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms; peak RSS: ${(peakRss / 1024 / 1024).toFixed(1)} MiB`,
);
