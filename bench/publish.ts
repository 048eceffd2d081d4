/**
 * Benchmark of Security Hub publishing: 60,000 findings over 10 accounts x 6 regions (1,000 per
 * account and region) on the simulator, imported through each account's role. Prints figures;
 * asserts nothing.
 *
 * Runs: (1) first publication, every finding new; (2) the same report a day later, nothing changed
 * and nothing due for refresh; (3) a week later with 1% of the findings changed, when every
 * unchanged finding is also due for its refresh (they were all created at once); (4) the next
 * week, nothing changed, one run a day: refreshes come due spread over the days, not all at once.
 *
 * Minimums. Imports cannot share a call across (account, region), so the floor is
 *   sum over destinations of ceil(findings sent there / 100)    (600 for run 1, target <= 600)
 * and reading the current findings once costs
 *   sum over destinations of max(1, ceil(findings held there / 100)) GetFindings pages.
 *
 * Run: node_modules/.bin/node bench/publish.ts   (BENCH_LATENCY_MS: latency per Security Hub call)
 */
import { type AuditedAccount, AwsClientFactory } from '../functions/aws/clients.ts';
import { countStatuses, type ScopeOutcome } from '../functions/core/audit.ts';
import type { Finding } from '../functions/core/finding.ts';
import { parsePolicy } from '../functions/core/policy.ts';
import { type PublishResult, publishToSecurityHub } from '../functions/publish/security-hub/index.ts';
import { simCredentials } from '../test/sim/accounts.ts';
import { startSim } from '../test/sim/server.ts';
import { SECURITY_HUB_SERVICE } from '../test/sim/services/security-hub.ts';

const ACCOUNTS = 10;
const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-southeast-2', 'ap-northeast-1'];
const PER_DESTINATION = 1000;
const ROLE = 'certctl-backup-guard-publish';
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 20);
const DAY = 24 * 60 * 60 * 1000;

const accountIds = Array.from({ length: ACCOUNTS }, (_, index) =>
  String(100000000001 + index).padStart(12, '0'),
);
const audited: AuditedAccount[] = accountIds.map((accountId, index) =>
  index === 0 ? { accountId } : { accountId, roleArn: `arn:aws:iam::${accountId}:role/${ROLE}` },
);

function finding(account: string, region: string, index: number, changed: boolean): Finding {
  const name = `certctl-db-${String(index).padStart(4, '0')}`;
  const failing = index % 4 === 0;
  const days = changed ? 21 : failing ? 7 : 30;
  return {
    checkId: 'pitr.retention',
    group: 'pitr',
    resource: {
      provider: 'aws',
      account,
      region,
      type: 'AwsRdsDbInstance',
      id: name,
      arn: `arn:aws:rds:${region}:${account}:db:${name}`,
    },
    status: failing || changed ? 'FAILED' : 'PASSED',
    severity: failing || changed ? 'HIGH' : 'INFORMATIONAL',
    title: 'Point-in-time recovery retention meets the policy minimum',
    description: `${name} keeps ${days} days of point-in-time recovery (BackupRetentionPeriod); 30 are required.`,
    remediation: {
      text: 'aws rds modify-db-instance --backup-retention-period 30 --apply-immediately',
      url: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html',
    },
    observed: { retentionDays: days },
    required: { retentionDays: 30 },
    evaluatedAt: new Date(0).toISOString(),
  };
}

/** The fleet's report; `changedEvery`: every n-th finding per destination has a new observed value. */
function fleetReport(changedEvery?: number) {
  const findings: Finding[] = [];
  const scopes: ScopeOutcome[] = [];
  for (const account of accountIds) {
    for (const region of REGIONS) {
      scopes.push({
        scope: { provider: 'aws', account, region, group: 'pitr' },
        status: 'complete',
        resources: PER_DESTINATION,
      });
      for (let index = 0; index < PER_DESTINATION; index += 1) {
        findings.push(
          finding(account, region, index, changedEvery !== undefined && index % changedEvery === 1),
        );
      }
    }
  }
  const at = new Date(0).toISOString();
  return { startedAt: at, finishedAt: at, findings, scopes, counts: countStatuses(findings) };
}

const destinations = ACCOUNTS * REGIONS.length;
const pagesHeld = destinations * Math.ceil(PER_DESTINATION / 100);
let clock = new Date('2026-11-21T12:00:00.000Z');
const sim = await startSim({
  clock: () => clock,
  scenario: {
    accounts: accountIds.map((id, index) =>
      index === 0 ? { id } : { id, assumableRoles: [{ name: ROLE }] },
    ),
    regions: REGIONS.map((name) => ({ name })),
  },
  faults: { latencyMs: LATENCY_MS, services: [SECURITY_HUB_SERVICE] },
});
const factory = new AwsClientFactory({
  maxAttempts: 8,
  credentials: simCredentials(accountIds[0]),
  endpoint: sim.endpoint,
  stsRegion: 'eu-west-1',
});
const policy = parsePolicy({ securityHub: { enabled: true, centralRegion: 'eu-west-1' } });

async function measure(
  label: string,
  changedEvery: number | undefined,
  floor: string,
  readFloor: number,
): Promise<PublishResult> {
  const report = fleetReport(changedEvery);
  sim.resetStats();
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const result = await publishToSecurityHub({ report, policy, factory, accounts: audited, now: () => clock });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const stats = sim.stats();
  console.log(`${label}`);
  console.log(
    `  findings in report       ${report.findings.length} over ${destinations} (account, region) destinations`,
  );
  console.log(`  outcome                  ${JSON.stringify(result.counts)}`);
  console.log(`  BatchImportFindings      ${result.calls.batchImport} calls (${floor})`);
  console.log(
    `  GetFindings              ${result.calls.getFindings} calls (minimum ${readFloor}: one page per 100 held, at least one per destination)`,
  );
  console.log(`  findings sent            ${result.findingsSent}`);
  console.log(`  wall time                ${wallMs.toFixed(0)} ms (${LATENCY_MS} ms per Security Hub call)`);
  // The simulator shares this process: its CPU is included, so these are upper bounds for the client.
  const calls = result.calls.batchImport + result.calls.getFindings;
  console.log(
    `  CPU time                 ${cpuMs.toFixed(0)} ms (process, simulator included): ${(cpuMs / Math.max(1, calls)).toFixed(2)} ms per API call, ${((1000 * cpuMs) / Math.max(1, report.findings.length)).toFixed(0)} µs per finding`,
  );
  console.log(`  simulator saw            ${JSON.stringify(stats.byOperation)}; retries ${stats.retries}`);
  return result;
}

try {
  await measure(
    'Run 1: first publication',
    undefined,
    `minimum ${destinations * Math.ceil(PER_DESTINATION / 100)}, target <= 600`,
    destinations,
  );
  clock = new Date(clock.getTime() + DAY);
  await measure('Run 2: next day, nothing changed', undefined, 'minimum 0', pagesHeld);
  clock = new Date(clock.getTime() + 6 * DAY);
  await measure(
    'Run 3: a week later, 1% changed (every unchanged finding also due for refresh)',
    100,
    `minimum ${destinations * Math.ceil(PER_DESTINATION / 100)}`,
    pagesHeld,
  );
  console.log('Run 4: the following week, nothing changed, one run a day (refreshes spread by finding Id)');
  for (let day = 8; day <= 14; day += 1) {
    clock = new Date(clock.getTime() + DAY);
    const result = await publishToSecurityHub({
      report: fleetReport(undefined),
      policy,
      factory,
      accounts: audited,
      now: () => clock,
    });
    console.log(
      `  day ${String(day).padStart(2)}: ${String(result.counts.refreshed).padStart(5)} refreshed, ${String(result.counts.updated + result.counts.resolved).padStart(4)} updated or resolved (run 3's 1% changed back), ${result.calls.batchImport} import calls`,
    );
  }
} finally {
  factory.destroy();
  await sim.close();
}
