/**
 * Benchmark (prints figures, never fails): the AWS key-material audit of 2,000 inventory secrets
 * over 8 regions (one customer-managed key per region) against the simulator with 50 ms latency
 * per call, metadata only (the default) and with content inspection.
 *
 * Secrets Manager has no batch describe, and ListSecrets lacks ReplicationStatus, so each secret
 * costs one DescribeSecret; each distinct KMS key one DescribeKey. The audit first learns the
 * caller's account (STS), then describes at most DESCRIBE_CONCURRENCY secrets of a region at once
 * (sockets, API rate limits), regions in parallel; a region's key is described as soon as a first
 * secret's answer names it (while the other secrets are described), and the values are read once
 * every secret is described, BATCH_GET_CONCURRENCY batches of 20 at a time:
 *   describeRounds = ceil(secretsPerRegion / DESCRIBE_CONCURRENCY)
 *   valueRounds = ceil(ceil(secretsPerRegion / 20) / BATCH_GET_CONCURRENCY)   (with inspection, else 0)
 *   lowerBound = latency * (1 + max(describeRounds + valueRounds, 2 (a first answer, then DescribeKey)))
 *   minimumCalls = 1 + secrets + distinct keys (+ ceil(secretsPerRegion / 20) per region with inspection)
 * The same audit with no latency gives the CPU floor: on a small machine the SDK's own work, not the
 * round trips, bounds the wall time (as bench:audit shows for RDS). The measured audit runs in
 * FRESH_RUNS fresh processes (bench/child-audit.ts), each a cold start; the run of median wall time
 * is the headline, and every run's wall time is printed beside it. `BENCH_SKIP_BUNDLE=1` skips the
 * Lambda bundle section.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BATCH_GET_CONCURRENCY, DESCRIBE_CONCURRENCY } from '../functions/aws/secrets-manager.ts';
import { AUDIT_MEMORY_MB } from '../infra/scheduled-job.ts';
import { startSim } from '../test/sim/server.ts';
import { bundleReport, measureFunction } from './bundle.ts';
import { type AuditFigures, deployedNodeFlags, repeatRuns, runAuditChild } from './child-audit.ts';
import { items, REGIONS, SECRETS, scenario } from './keys-scenario.ts';

const LATENCY_MS = 50;
const perRegion = SECRETS / REGIONS.length;

/**
 * One audit in a child process (bench/audit-keys-child.ts): its own wall and CPU time. With
 * BENCH_PROFILE_DIR set, the child also profiles a second, warm audit into that folder
 * (`keys-<metadata|inspect>-<latency>ms.cpuprofile`; sum one with bench/profile-summary.ts).
 * With BENCH_TIMELINE_DIR set, the child records its measured audit's HTTP requests there
 * (`keys-<metadata|inspect>-<latency>ms.timeline.jsonl`, the last fresh process's; read one with
 * bench/timeline-summary.ts).
 */
async function audit(endpoint: string, inspect: boolean, latencyMs: number): Promise<AuditFigures> {
  // 2,000 inventory items are too large for the environment: the policy goes in a file.
  const dir = await mkdtemp(join(tmpdir(), 'bench-keys-'));
  const policyFile = join(dir, 'policy.json');
  try {
    await writeFile(policyFile, JSON.stringify(items(inspect)));
    const profileDir = process.env.BENCH_PROFILE_DIR;
    const timelineDir = process.env.BENCH_TIMELINE_DIR;
    const kind = `${inspect ? 'inspect' : 'metadata'}-${latencyMs}ms`;
    return await runAuditChild<AuditFigures>(
      'bench/audit-keys-child.ts',
      {
        BENCH_ENDPOINT: endpoint,
        BENCH_POLICY_FILE: policyFile,
        ...(timelineDir ? { BENCH_TIMELINE: join(timelineDir, `keys-${kind}.timeline.jsonl`) } : {}),
        ...(profileDir
          ? {
              BENCH_PROFILE: join(profileDir, `keys-${kind}.cpuprofile`),
            }
          : {}),
      },
      // The node flags of the deployed function: its exec wrapper's, then the runtime's heap limits.
      deployedNodeFlags(AUDIT_MEMORY_MB),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const sim = await startSim({ scenario, faults: { latencyMs: LATENCY_MS }, reuseAnswers: true });
try {
  for (const inspect of [false, true]) {
    // The same audit with no injected latency: the CPU the SDK and the checks need. The first such
    // audit is not measured: it has the simulator serialize every answer it then reuses.
    sim.setFaults({});
    await audit(sim.endpoint, inspect, 0);
    const floor = await audit(sim.endpoint, inspect, 0);
    sim.setFaults({ latencyMs: LATENCY_MS });
    sim.resetStats();
    const fresh = await repeatRuns(
      () => audit(sim.endpoint, inspect, LATENCY_MS),
      (run) => run.wallMs,
    );
    const figures = fresh.median;
    const stats = sim.stats();
    // With BENCH_PROFILE_DIR each child audits twice (a warm-up, then the profiled audit).
    const auditsPerRun = process.env.BENCH_PROFILE_DIR && !process.env.BENCH_PROFILE_COLD ? 2 : 1;
    const callsPerAudit = stats.requests / (fresh.runs.length * auditsPerRun);
    const describeRounds = Math.ceil(perRegion / DESCRIBE_CONCURRENCY);
    const valueRounds = inspect ? Math.ceil(Math.ceil(perRegion / 20) / BATCH_GET_CONCURRENCY) : 0;
    const rounds = 1 + Math.max(describeRounds + valueRounds, 2);
    const lowerBoundMs = rounds * LATENCY_MS;
    const minimumCalls =
      1 + SECRETS + REGIONS.length + (inspect ? REGIONS.length * Math.ceil(perRegion / 20) : 0);
    const label = inspect ? 'with content inspection' : 'metadata only';
    process.stdout.write(
      [
        `Keys audit benchmark, ${label}`,
        `  inventory: ${SECRETS} secrets over ${REGIONS.length} regions (${perRegion} each, one customer-managed key per region), ${LATENCY_MS} ms per call`,
        `  findings: ${figures.findings} over ${figures.scopes} scopes (${figures.failedScopes} failed)`,
        `  wall time:        ${figures.wallMs.toFixed(0)} ms (audit process CPU ${figures.cpuMs.toFixed(0)} ms, ${((100 * figures.cpuMs) / figures.wallMs).toFixed(0)}% of wall), the median of ${fresh.runs.length} fresh processes (${fresh.walls})`,
        `  API lower bound:  ${lowerBoundMs} ms (${rounds} sequential round trips)`,
        `  ratio:            ${(figures.wallMs / lowerBoundMs).toFixed(2)} (target <= 1.5)`,
        `  CPU floor:        ${floor.wallMs.toFixed(0)} ms wall, ${floor.cpuMs.toFixed(0)} ms CPU (the same audit with 0 ms latency)`,
        `  ratio to floor:   ${(figures.wallMs / Math.max(lowerBoundMs, floor.wallMs)).toFixed(2)} (wall / the larger of the two bounds)`,
        `  client CPU:       ${(figures.cpuMs / callsPerAudit).toFixed(2)} ms per API call, ${(figures.cpuMs / SECRETS).toFixed(2)} ms per secret`,
        `  API calls:        ${callsPerAudit} per audit (minimum ${minimumCalls}; retries ${stats.retries} over the ${fresh.runs.length} audits)`,
        '',
      ].join('\n'),
    );
  }
  if (!process.env.BENCH_SKIP_BUNDLE) {
    const bundle = await measureFunction('functions/handlers/aws/audit-keys.ts', 'audit-keys', 'aws');
    process.stdout.write(`${bundleReport('Lambda audit-keys', bundle).join('\n')}\n`);
  }
} finally {
  await sim.close();
}
