/**
 * Benchmark (prints figures, never fails): every function the two deployments ship, bundled as
 * deployed and cold-started in fresh processes (bench/bundle.ts `measureFunction`), against the
 * targets of every function: under 1 MB loaded at cold start and under 150 ms of module init.
 *
 * The functions come from the deployments themselves, so a new one is measured without a change
 * here: the Lambdas' entries as the CDK app names them (infra/audit-stack.ts, infra/snapshot-jobs.ts,
 * infra/chat-ops.ts) and the Cloud Functions of infra/gcp/plan.ts `GCP_FUNCTIONS`. The other benches
 * print their own function beside their run; this one is the whole picture in one run, where the
 * machine's load is the same for all.
 */

import { loadavg } from 'node:os';
import { relative } from 'node:path';
import {
  AUDIT_DUMPS_ENTRY,
  AUDIT_KEYS_ENTRY,
  AUDIT_PITR_ENTRY,
  READINESS_ENTRY,
} from '../infra/audit-stack.ts';
import { REPO_ROOT } from '../infra/bundling.ts';
import {
  CHAT_ACTION_ENTRY,
  CHAT_AMAZON_Q_ENTRY,
  CHAT_SLACK_ENTRY,
  CHAT_UNFINISHED_ENTRY,
} from '../infra/chat-ops.ts';
import { GCP_FUNCTIONS } from '../infra/gcp/plan.ts';
import { SNAPSHOT_ENTRY } from '../infra/snapshot-jobs.ts';
import { type BundleFigures, type FunctionCloud, kibibytes, measureFunction } from './bundle.ts';

const COLD_START_LIMIT_BYTES = 1024 * 1024;
const INIT_LIMIT_MS = 150;

const LAMBDA_ENTRIES = [
  AUDIT_PITR_ENTRY,
  AUDIT_DUMPS_ENTRY,
  AUDIT_KEYS_ENTRY,
  READINESS_ENTRY,
  SNAPSHOT_ENTRY,
  CHAT_SLACK_ENTRY,
  CHAT_AMAZON_Q_ENTRY,
  CHAT_ACTION_ENTRY,
  CHAT_UNFINISHED_ENTRY,
];

interface Measured {
  readonly name: string;
  readonly cloud: FunctionCloud;
  readonly figures: BundleFigures;
}

const functions: { name: string; cloud: FunctionCloud; entry: string }[] = [
  ...LAMBDA_ENTRIES.map((entry) => {
    const path = relative(REPO_ROOT, entry);
    return {
      name: path.replace(/^functions\/handlers\/aws\/|\.ts$/g, ''),
      cloud: 'aws' as const,
      entry: path,
    };
  }),
  ...GCP_FUNCTIONS.map((fn) => ({ name: fn.entryPoint, cloud: 'gcp' as const, entry: fn.handlerPath })),
];

process.stdout.write(
  `Every deployed function, bundled as deployed (load average ${loadavg()
    .map((load) => load.toFixed(2))
    .join(', ')})\n`,
);
const measured: Measured[] = [];
for (const fn of functions) {
  const figures = await measureFunction(fn.entry, `bundles-${fn.cloud}-${fn.name}`, fn.cloud);
  measured.push({ name: fn.name, cloud: fn.cloud, figures });
}

const rows = measured.map(({ name, cloud, figures }) => [
  `${cloud === 'aws' ? 'Lambda' : 'Cloud Function'} ${name}`,
  kibibytes(figures.coldStartBytes),
  `${figures.initMsMedian.toFixed(0)} ms`,
  `${figures.initCpuMsMedian.toFixed(0)} ms`,
  `${figures.onDemandMsMedian.toFixed(0)} ms`,
  kibibytes(figures.deployedBytes),
]);
const header = ['function', 'cold start', 'init wall', 'init CPU', 'on demand', 'deployed'];
const widths = header.map((title, column) =>
  Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
);
const line = (cells: readonly string[]): string =>
  `  ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ')}`;
process.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
process.stdout.write(
  '  (cold start: index.mjs and its static chunks; init: median of 7 fresh processes, a Cloud Function with the Functions Framework already loaded; on demand: the chunks a first run may load)\n',
);

const over = measured.filter(
  ({ figures }) => figures.coldStartBytes >= COLD_START_LIMIT_BYTES || figures.initMsMedian >= INIT_LIMIT_MS,
);
process.stdout.write(
  over.length === 0
    ? `  targets: all ${measured.length} functions load under 1 MB at cold start with module init under ${INIT_LIMIT_MS} ms\n`
    : `  targets: ${over.length} of ${measured.length} functions miss 1 MB / ${INIT_LIMIT_MS} ms: ${over.map(({ name, cloud }) => `${cloud} ${name}`).join(', ')}\n`,
);
