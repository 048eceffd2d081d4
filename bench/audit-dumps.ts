/**
 * Benchmark (prints figures, never fails): the dumps audit of 50 dump prefixes (10 buckets x 5
 * prefixes) of 400 daily pg_dump files each, against the S3 simulator with 50 ms latency per call.
 *
 * The API lower bound: GetCallerIdentity (the account to audit), then one ListObjectsV2 page per
 * prefix (400 keys fit a 1,000-key page), then two ranged GetObjects of the newest dump in flight
 * together (its header, `bytes=0-1023`, and its last bytes, `bytes=-64`); the bucket settings need
 * nothing from the listings and go beside them. Three sequential round trips,
 *   lowerBound = latency * 3,
 * reachable only with every listing and every bucket setting in flight at once: 100 calls, which
 * the collector allows (DUMP_LOCATIONS_AT_ONCE, DUMP_SOCKETS_PER_CLIENT in functions/aws/s3-dumps.ts).
 * The minimum number of calls: 1 + 50 listings + 50 header reads + 50 tail reads + 10 buckets x 5
 * settings + the buckets' one key's DescribeKey.
 * Bytes downloaded: the ranged GETs only, 1,024 + 64 bytes a prefix (target <= 4 KiB per prefix);
 * no dump is read whole.
 *
 * What is measured: the child process (bench/audit-dumps-child.ts) runs the audit twice with fresh
 * clients and sockets each time. The target is judged on the first run, as in bench:audit and
 * bench:gcp: a scheduled function usually starts cold, and its first audit runs code the JIT has
 * not compiled yet and grows the heap. The collector and @aws-sdk/client-s3 are loaded before it,
 * as the `audit-dumps` Lambda loads them at init (its handler imports the collector statically);
 * that init is measured as deployed in the `audit-dumps` Lambda section below (bench/bundle.ts
 * `measureFunction`), so it is not counted twice. The second run, the audit's own work in a warm
 * instance, is printed beside it. The child runs in FRESH_RUNS fresh processes (bench/child-audit.ts)
 * and the one whose first audit has the median wall time is the headline (every run's wall time is
 * printed beside it). The same audit with no latency gives the CPU floor, as in bench:keys. `BENCH_CPU_PROFILE=<file>` writes a CPU profile of the second run at 50 ms
 * (of the first with `BENCH_CPU_PROFILE_RUN=first`); `BENCH_TIMELINE=<file>` writes the requests of
 * the first audit at 50 ms (the last fresh process's) with when each was made, written out and
 * answered, and whether its connection was kept alive (bench/audit-dumps-child.ts `timed`);
 * `BENCH_SKIP_BUNDLE=1` skips the Lambda section.
 * The critical-path line (child-side.ts `watchCriticalPath`) shows why a CPU-bound audit misses the
 * target: the first listing answer after the sequential calls, plus the main thread's CPU after it,
 * is a floor on the wall time no concurrency lowers; only less CPU moves it.
 */
import { loadavg } from 'node:os';
import { AUDIT_MEMORY_MB } from '../infra/scheduled-job.ts';
import { startSim } from '../test/sim/server.ts';
import type { DumpsRunFigures } from './audit-dumps-child.ts';
import { bundleReport, measureFunction } from './bundle.ts';
import { criticalPathLine, deployedNodeFlags, repeatRuns, runAuditChild } from './child-audit.ts';

const LATENCY_MS = 50;
const BUCKETS = 10;
const PREFIXES_PER_BUCKET = 5;
const DUMPS_PER_PREFIX = 400;
const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const FIXTURE = 'test/fixtures/pg-dump/certctl-pg17.dump';
const BUCKET_SETTINGS_CALLS = 5;
/** The buckets' one customer-managed key: described once per audit (KMS DescribeKey). */
const KEY_ID = 'eeeeeeee-1111-2222-3333-444444444444';

const buckets = Array.from({ length: BUCKETS }, (_, b) => ({
  name: `certctl-dumps-${String(b).padStart(2, '0')}`,
  account: ACCOUNT,
  region: REGION,
  versioning: 'Enabled' as const,
  objectLock: { defaultRetention: { mode: 'COMPLIANCE' as const, days: 35 } },
  publicAccessBlock: {
    blockPublicAcls: true,
    ignorePublicAcls: true,
    blockPublicPolicy: true,
    restrictPublicBuckets: true,
  },
  encryption: { algorithm: 'aws:kms' as const, kmsKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY_ID}` },
  series: Array.from({ length: PREFIXES_PER_BUCKET }, (_, p) => ({
    keyPrefix: `db${p}/certctl-`,
    count: DUMPS_PER_PREFIX,
    newest: '-3h',
    fixture: FIXTURE,
    stampCreated: true,
  })),
}));
const locations = buckets.flatMap((bucket) =>
  Array.from({ length: PREFIXES_PER_BUCKET }, (_, p) => ({
    provider: 'aws' as const,
    bucket: bucket.name,
    prefix: `db${p}/`,
    account: ACCOUNT,
    region: REGION,
  })),
);
const policy = { aws: { regions: [REGION] }, dumps: { locations } };

const sim = await startSim({
  scenario: { services: { s3: { buckets }, kms: { keys: [{ id: KEY_ID, region: REGION }] } } },
  faults: { latencyMs: LATENCY_MS },
  reuseAnswers: true,
});
try {
  type Runs = { first: DumpsRunFigures; second: DumpsRunFigures };
  const audit = (profile?: string) =>
    runAuditChild<Runs>(
      'bench/audit-dumps-child.ts',
      {
        BENCH_ENDPOINT: sim.endpoint,
        BENCH_POLICY: JSON.stringify(policy),
        ...(profile ? { BENCH_CPU_PROFILE: profile } : {}),
      },
      // The node flags of the deployed function: its exec wrapper's, then the runtime's heap limits.
      deployedNodeFlags(AUDIT_MEMORY_MB),
    );
  // The same audits with no injected latency: the CPU the SDK, the XML and the checks need. The
  // first such audit is not measured: it has the simulator serialize every answer it then reuses.
  sim.setFaults({});
  await audit();
  const floor = (await audit()).first;
  sim.setFaults({ latencyMs: LATENCY_MS });
  sim.resetStats();
  const fresh = await repeatRuns(
    () => audit(process.env.BENCH_CPU_PROFILE),
    (runs) => runs.first.wallMs,
  );
  const { first, second } = fresh.median;
  const stats = sim.stats();
  const prefixes = locations.length;
  const lowerBoundMs = LATENCY_MS * 3;
  // The caller, each prefix's listing, header and tail reads, each bucket's settings, the key.
  const minimumCalls = 1 + prefixes * 3 + BUCKETS * BUCKET_SETTINGS_CALLS + 1;
  const share = (figures: DumpsRunFigures) =>
    `${((100 * figures.cpuMs) / figures.wallMs).toFixed(0)}% of wall`;
  const lines = [
    `Dumps audit benchmark (load average ${loadavg()
      .map((load) => load.toFixed(2))
      .join(', ')})`,
    `  series: ${prefixes} prefixes in ${BUCKETS} buckets, ${DUMPS_PER_PREFIX} daily dumps each (${prefixes * DUMPS_PER_PREFIX} objects), ${LATENCY_MS} ms per call`,
    `  findings: ${first.findings} (${JSON.stringify(first.counts)}) over ${first.scopes} scopes (${first.failedScopes} failed)`,
    '  the audit (the first in a fresh process, as a scheduled function starts cold):',
    `  wall time:        ${first.wallMs.toFixed(0)} ms (audit process CPU ${first.cpuMs.toFixed(0)} ms, ${share(first)}: SDK, XML, checks; the collector loaded before, as at the Lambda's init), the median of ${fresh.runs.length} fresh processes (${fresh.walls})`,
    `  API lower bound:  ${lowerBoundMs} ms (3 sequential round trips: caller, listing, header and tail together; bucket settings beside the listings, the key's DescribeKey beside the headers)`,
    `  ratio:            ${(first.wallMs / lowerBoundMs).toFixed(2)} (target <= 1.5)`,
    `  warm second audit: ${second.wallMs.toFixed(0)} ms wall, ${second.cpuMs.toFixed(0)} ms CPU (${share(second)}), ratio ${(second.wallMs / lowerBoundMs).toFixed(2)}, ${second.calls} calls: the same process again with fresh clients and sockets (a warm instance)`,
    `  CPU floor:        ${floor.wallMs.toFixed(0)} ms wall, ${floor.cpuMs.toFixed(0)} ms CPU (the same first audit with 0 ms latency)`,
    `  ratio to floor:   ${(first.wallMs / Math.max(lowerBoundMs, floor.wallMs)).toFixed(2)} (wall / the larger of the two bounds)`,
    criticalPathLine(first.criticalPath, LATENCY_MS * 2, lowerBoundMs, 'listing or bucket setting'),
    `  API calls:        ${first.calls} (minimum ${minimumCalls}; the simulator saw ${stats.requests} over the ${fresh.runs.length} processes' first and second audits, retries ${stats.retries})`,
    `  bytes downloaded: ${first.rangedBytes} in ${first.rangedReads} ranged GETs (header and tail) = ${(first.rangedBytes / prefixes / 1024).toFixed(2)} KiB per prefix (target <= 4 KiB)`,
    `  client CPU:       ${(first.cpuMs / first.calls).toFixed(2)} ms per API call, ${(first.cpuMs / prefixes).toFixed(2)} ms per prefix (warm: ${(second.cpuMs / second.calls).toFixed(2)} and ${(second.cpuMs / prefixes).toFixed(2)})`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (!process.env.BENCH_SKIP_BUNDLE) {
    const bundle = await measureFunction('functions/handlers/aws/audit-dumps.ts', 'audit-dumps', 'aws');
    process.stdout.write(`${bundleReport('Lambda audit-dumps', bundle).join('\n')}\n`);
  }
} finally {
  await sim.close();
}
