/**
 * Benchmark (prints figures, never fails): the peak memory of a whole scheduled run of the
 * `audit-pitr` Lambda, audit plus Security Hub publication, for 6,000 databases (5,000 RDS instances
 * and 1,000 Aurora clusters with 2 members over 16 regions), first run and second run, in one warm
 * process whose V8 heap is limited as in a Lambda of the template's memory size.
 *
 * Two series on fresh simulators: without the import ledger (the second run reads every held finding
 * back) and with it (the second run reads the ledger only).
 *
 * Run: node_modules/.bin/node bench/scheduled-run.ts   (BENCH_MEMORY_MB: the Lambda memory; the template's by default)
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AUDIT_MEMORY_MB } from '../infra/scheduled-job.ts';
import { DEFAULT_ACCOUNT_ID } from '../test/sim/accounts.ts';
import { generateFleet } from '../test/sim/fleet.ts';
import { startSim } from '../test/sim/server.ts';
import { deployedNodeFlags } from './child-audit.ts';

const run = promisify(execFile);
const MEMORY_MB = Number(process.env.BENCH_MEMORY_MB ?? AUDIT_MEMORY_MB);
// The node flags of the deployed function of this memory size: its exec wrapper's, then V8's heap
// limits as the Lambda Node.js runtime sets them.
const V8_FLAGS = deployedNodeFlags(MEMORY_MB);
const LEDGER_BUCKET = 'certctl-backup-guard-ledger';

interface RunFigures {
  readonly run: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakHeapMb: number;
  readonly maxRssMb: number;
  readonly findings: number;
  readonly publication: string;
  readonly counts?: Record<string, number>;
  readonly calls?: Record<string, number>;
  readonly ledger?: Record<string, number>;
}

async function series(withLedger: boolean): Promise<void> {
  const fleet = generateFleet({
    instances: 5000,
    clusters: 1000,
    regions: 16,
    membersPerCluster: 2,
    seed: 7,
  });
  const homeRegion = fleet.regions[0]?.name ?? 'us-east-1';
  const sim = await startSim({
    scenario: {
      ...fleet,
      services: {
        ...fleet.services,
        s3: { buckets: [{ name: LEDGER_BUCKET, account: DEFAULT_ACCOUNT_ID, region: homeRegion }] },
      },
    },
  });
  console.log(
    withLedger ? 'With the import ledger' : 'Without a ledger (every run reads every held finding back)',
  );
  try {
    const { stdout } = await run(process.execPath, [...V8_FLAGS, 'bench/scheduled-run-child.ts'], {
      env: {
        ...process.env,
        BENCH_ENDPOINT: sim.endpoint,
        BENCH_RUNS: '2',
        BENCH_HOME_REGION: homeRegion,
        ...(withLedger ? { BENCH_LEDGER_BUCKET: LEDGER_BUCKET } : {}),
      },
      maxBuffer: 1 << 22,
    });
    for (const line of stdout.trim().split('\n')) {
      const figures = JSON.parse(line) as RunFigures;
      console.log(
        `  run ${figures.run}: peak heap ${figures.peakHeapMb.toFixed(0)} MB, max RSS so far ${figures.maxRssMb.toFixed(0)} MB (Lambda ${MEMORY_MB} MB), wall ${figures.wallMs.toFixed(0)} ms, CPU ${figures.cpuMs.toFixed(0)} ms; ${figures.findings} findings, publication ${figures.publication} ${JSON.stringify(figures.counts)}; calls ${JSON.stringify(figures.calls)}; ledger ${JSON.stringify(figures.ledger)}`,
      );
    }
  } catch (error) {
    const failure = error as { code?: number; signal?: string; stderr?: string; stdout?: string };
    for (const line of (failure.stdout ?? '').trim().split('\n').filter(Boolean)) console.log(`  ${line}`);
    const reason = /heap out of memory|Reached heap limit/.test(failure.stderr ?? '')
      ? 'JavaScript heap out of memory'
      : (failure.stderr ?? '').trim().split('\n').at(-1);
    console.log(`  the run was killed (exit ${failure.code ?? failure.signal}): ${reason}`);
  } finally {
    await sim.close();
  }
}

console.log(
  `Scheduled run (audit + publication), 6,000 databases over 16 regions, V8 flags ${V8_FLAGS.join(' ')}`,
);
await series(false);
await series(true);
