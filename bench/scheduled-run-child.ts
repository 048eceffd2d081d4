/**
 * The Lambda side of bench/scheduled-run.ts: the whole scheduled job (audit plus publication) run
 * `BENCH_RUNS` times in this one process, as a warm Lambda runs its invocations. Prints one JSON line
 * per run with its wall time, CPU time, peak heap and the process's maximum RSS so far.
 */
import { AwsClientFactory } from '../functions/aws/clients.ts';
import { awsCollectors } from '../functions/aws/collectors.ts';
import { s3LedgerStore } from '../functions/aws/ledger-store.ts';
import { parsePolicy } from '../functions/core/policy.ts';
import { runAuditJob } from '../functions/jobs/audit.ts';
import { simCredentials } from '../test/sim/accounts.ts';

const endpoint = process.env.BENCH_ENDPOINT;
if (!endpoint) throw new Error('BENCH_ENDPOINT is not set: run bench/scheduled-run.ts, not this file');
const runs = Number(process.env.BENCH_RUNS ?? 2);
const ledgerBucket = process.env.BENCH_LEDGER_BUCKET;
const homeRegion = process.env.BENCH_HOME_REGION ?? 'us-east-1';

const policy = parsePolicy({
  targets: { all: true },
  aws: { regions: 'all' },
  securityHub: { enabled: true },
});
const factory = new AwsClientFactory({
  maxAttempts: policy.aws.maxAttempts,
  credentials: simCredentials(),
  endpoint,
  stsRegion: homeRegion,
});

for (let run = 1; run <= runs; run += 1) {
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 5);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const outcome = await runAuditJob(
    { providers: ['aws'], groups: ['pitr'] },
    {
      policy,
      aws: { factory, collectors: awsCollectors, homeRegion },
      publisher: {
        factory: () => factory,
        accounts: [],
        homeRegion,
        ...(ledgerBucket ? { ledger: () => s3LedgerStore(factory, ledgerBucket, homeRegion) } : {}),
      },
    },
  );
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  const publication = outcome.publication;
  process.stdout.write(
    `${JSON.stringify({
      run,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      peakHeapMb: Math.max(peakHeap, process.memoryUsage().heapUsed) / 2 ** 20,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      findings: outcome.report.findings.length,
      publication: publication.status,
      counts: 'counts' in publication ? publication.counts : undefined,
      calls: 'calls' in publication ? publication.calls : undefined,
      ledger: 'ledger' in publication ? publication.ledger : undefined,
    })}\n`,
  );
}
factory.destroy();
