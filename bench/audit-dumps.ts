/**
 * Benchmark (prints figures, never fails): the dumps audit of 50 dump prefixes (10 buckets x 5
 * prefixes) of 400 daily pg_dump files each, against the S3 simulator with 50 ms latency per call.
 *
 * The API lower bound: GetCallerIdentity (the account to audit), then one ListObjectsV2 page per
 * prefix (400 keys fit a 1,000-key page), then the ranged GetObject of the newest header and the
 * bucket settings, which need nothing from each other: three sequential round trips,
 *   lowerBound = latency * 3.
 * The minimum number of calls: 1 + 50 listings + 50 header reads + 10 buckets x 5 settings.
 * Bytes downloaded: the ranged GETs only (target <= 4 KiB per prefix); no dump is read whole.
 */
import { startSim } from '../test/sim/server.ts';
import { type AuditFigures, runAuditChild } from './child-audit.ts';

const LATENCY_MS = 50;
const BUCKETS = 10;
const PREFIXES_PER_BUCKET = 5;
const DUMPS_PER_PREFIX = 400;
const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const FIXTURE = 'test/fixtures/pg-dump/certctl-pg17.dump';
const BUCKET_SETTINGS_CALLS = 5;

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
  encryption: { algorithm: 'aws:kms' as const, kmsKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/dumps` },
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
  scenario: { services: { s3: { buckets } } },
  faults: { latencyMs: LATENCY_MS },
});
try {
  const audit = () =>
    runAuditChild<AuditFigures & { headerBytes: number; headerReads: number }>('bench/audit-dumps-child.ts', {
      BENCH_ENDPOINT: sim.endpoint,
      BENCH_POLICY: JSON.stringify(policy),
    });
  sim.resetStats();
  const figures = await audit();
  const stats = sim.stats();
  const prefixes = locations.length;
  const lowerBoundMs = LATENCY_MS * 3;
  const minimumCalls = 1 + prefixes * 2 + BUCKETS * BUCKET_SETTINGS_CALLS;
  const lines = [
    'Dumps audit benchmark',
    `  series: ${prefixes} prefixes in ${BUCKETS} buckets, ${DUMPS_PER_PREFIX} daily dumps each (${prefixes * DUMPS_PER_PREFIX} objects), ${LATENCY_MS} ms per call`,
    `  findings: ${figures.findings} (${JSON.stringify(figures.counts)}) over ${figures.scopes} scopes (${figures.failedScopes} failed)`,
    `  wall time:        ${figures.wallMs.toFixed(0)} ms`,
    `  API lower bound:  ${lowerBoundMs} ms (3 sequential round trips: caller, listing, header + bucket settings)`,
    `  ratio:            ${(figures.wallMs / lowerBoundMs).toFixed(2)} (target <= 1.5)`,
    `  CPU time:         ${figures.cpuMs.toFixed(0)} ms (the audit process: SDK, XML, checks)`,
    `  API calls:        ${stats.requests} (minimum ${minimumCalls}; retries ${stats.retries})`,
    `  bytes downloaded: ${figures.headerBytes} in ${figures.headerReads} ranged GETs = ${(figures.headerBytes / prefixes / 1024).toFixed(2)} KiB per prefix (target <= 4 KiB)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await sim.close();
}
