/**
 * A/B of the keys audit between two checkouts (prints figures, never fails): bench/audit-keys.ts's
 * world against one simulator, each checkout's bench/audit-keys-child.ts bundled as deployed, run
 * in fresh processes alternately (A B, B A, …), so both see the same load on a shared machine:
 *
 *   npx node bench/audit-keys-ab.ts <checkout A> <checkout B> [rounds=7] [latency ms=50]
 *
 * A checkout is a directory holding the repository at some commit (`git worktree add --detach
 * /tmp/base <commit>`, with a `node_modules` beside its sources or above them). `BENCH_INSPECT=1`
 * audits with content inspection. Prints each side's median wall and CPU time, every run's figures,
 * and the load average before and after.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { AUDIT_MEMORY_MB } from '../infra/scheduled-job.ts';
import { startSim } from '../test/sim/server.ts';
import type { AuditFigures } from './child-side.ts';
import { items, scenario } from './keys-scenario.ts';

const run = promisify(execFile);
const [checkoutA, checkoutB, roundsArgument, latencyArgument] = process.argv.slice(2);
if (!checkoutA || !checkoutB) {
  throw new Error('usage: npx node bench/audit-keys-ab.ts <checkout A> <checkout B> [rounds] [latency ms]');
}
const rounds = Number(roundsArgument ?? 7);
const latencyMs = Number(latencyArgument ?? 50);
const inspect = process.env.BENCH_INSPECT === '1';

const work = mkdtempSync(join(tmpdir(), 'bench-keys-ab-'));
process.once('exit', () => rmSync(work, { recursive: true, force: true }));
const policyFile = join(work, 'policy.json');
writeFileSync(policyFile, JSON.stringify(items(inspect)));

/** A checkout's keys child, bundled by that checkout's own bundler, and the node flags it deploys with. */
async function side(checkout: string, name: string): Promise<{ entry: string; flags: string[] }> {
  const root = resolve(checkout);
  const outdir = join(work, name);
  const { bundleLambda } = (await import(join(root, 'infra/lambda-code.ts'))) as {
    bundleLambda(entry: string, outdir: string): unknown;
  };
  bundleLambda(join(root, 'bench/audit-keys-child.ts'), outdir);
  const { deployedNodeFlags } = (await import(join(root, 'bench/child-audit.ts'))) as {
    deployedNodeFlags(memoryMb: number): string[];
  };
  return { entry: join(outdir, 'index.mjs'), flags: deployedNodeFlags(AUDIT_MEMORY_MB) };
}

const sides = { A: await side(checkoutA, 'a'), B: await side(checkoutB, 'b') };
const sim = await startSim({ scenario, faults: {}, reuseAnswers: true });

async function audit(name: 'A' | 'B'): Promise<AuditFigures> {
  const { entry, flags } = sides[name];
  const { stdout } = await run(process.execPath, [...flags, entry], {
    env: { ...process.env, BENCH_ENDPOINT: sim.endpoint, BENCH_POLICY_FILE: policyFile },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as AuditFigures;
}

const loadBefore = loadavg();
const figures: Record<'A' | 'B', AuditFigures[]> = { A: [], B: [] };
try {
  // Unmeasured: the simulator serializes each answer once, then reuses it.
  await audit('A');
  await audit('B');
  sim.setFaults(latencyMs > 0 ? { latencyMs } : {});
  for (let round = 0; round < rounds; round += 1) {
    for (const name of round % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const)) {
      figures[name].push(await audit(name));
    }
  }
} finally {
  await sim.close();
}
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
};
const load = (values: number[]) => values.map((value) => value.toFixed(1)).join(', ');
const lines = [
  `Keys audit A/B, ${inspect ? 'with content inspection' : 'metadata only'}, ${latencyMs} ms per call, ${rounds} fresh processes each, alternating (load average ${load(loadBefore)} before, ${load(loadavg())} after)`,
];
for (const name of ['A', 'B'] as const) {
  const runs = figures[name];
  lines.push(
    `  ${name} (${name === 'A' ? checkoutA : checkoutB}): wall median ${median(runs.map((f) => f.wallMs)).toFixed(0)} ms, CPU median ${median(runs.map((f) => f.cpuMs)).toFixed(0)} ms`,
    `     walls ${runs.map((f) => f.wallMs.toFixed(0)).join(' ')}; CPU ${runs.map((f) => f.cpuMs.toFixed(0)).join(' ')}`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
