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
 * Each series runs twice on fresh simulators: without the import ledger (every run reads every held
 * finding back, as before the ledger) and with it (an S3 object per destination; Security Hub read in
 * full only when the ledger is missing or `reconcileDays` old, so run 3, a week on, reconciles; each
 * other run asks each destination only for what another writer changed since the ledger, one page).
 * Bytes read are the response bodies the simulated Security Hub and S3 sent.
 *
 * Run: node_modules/.bin/node bench/publish.ts   (BENCH_LATENCY_MS: latency per Security Hub call)
 */
import { type AuditedAccount, AwsClientFactory } from '../functions/aws/clients.ts';
import { s3LedgerStore } from '../functions/aws/ledger-store.ts';
import { countStatuses, type ScopeOutcome } from '../functions/core/audit.ts';
import type { Finding } from '../functions/core/finding.ts';
import { parsePolicy } from '../functions/core/policy.ts';
import { type PublishResult, publishToSecurityHub } from '../functions/publish/security-hub/index.ts';
import { simCredentials } from '../test/sim/accounts.ts';
import { SECURITY_HUB_SERVICE } from '../test/sim/services/security-hub.ts';
import { SimWorker } from './sim-worker.ts';

const ACCOUNTS = 10;
const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-southeast-2', 'ap-northeast-1'];
// BENCH_PER_DESTINATION scales the fleet down on a loaded machine (the ratios hold per finding).
const PER_DESTINATION = Number(process.env.BENCH_PER_DESTINATION ?? 1000);
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
const LEDGER_BUCKET = 'certctl-backup-guard-ledger';
const T0 = new Date('2026-11-21T12:00:00.000Z');
const policy = parsePolicy({ securityHub: { enabled: true, centralRegion: 'eu-west-1' } });

interface RunFigures {
  readonly bytesRead: number;
  readonly calls: PublishResult['calls'];
  readonly counts: PublishResult['counts'];
}

async function series(withLedger: boolean): Promise<Map<string, RunFigures>> {
  let clock = T0;
  // The simulator runs in its own thread: the CPU figures are the publisher's alone.
  const sim = await SimWorker.start(
    {
      accounts: accountIds.map((id, index) =>
        index === 0 ? { id } : { id, assumableRoles: [{ name: ROLE }] },
      ),
      regions: REGIONS.map((name) => ({ name })),
      services: { s3: { buckets: [{ name: LEDGER_BUCKET, account: accountIds[0], region: 'eu-west-1' }] } },
    },
    { latencyMs: LATENCY_MS, services: [SECURITY_HUB_SERVICE] },
    clock,
  );
  const advance = async (days: number) => {
    clock = new Date(clock.getTime() + days * DAY);
    await sim.setClock(clock);
  };
  const factory = new AwsClientFactory({
    maxAttempts: 8,
    credentials: simCredentials(accountIds[0]),
    endpoint: sim.endpoint,
    stsRegion: 'eu-west-1',
  });
  const ledger = withLedger ? s3LedgerStore(factory, LEDGER_BUCKET, 'eu-west-1') : undefined;
  const figures = new Map<string, RunFigures>();
  const publish = (changedEvery?: number) =>
    publishToSecurityHub({
      report: fleetReport(changedEvery),
      policy,
      factory,
      accounts: audited,
      now: () => clock,
      ...(ledger ? { ledger } : {}),
    });

  async function measure(
    key: string,
    label: string,
    changedEvery: number | undefined,
    floor: string,
    readFloor: string,
  ): Promise<PublishResult> {
    await sim.resetStats();
    const started = performance.now();
    const elu = performance.eventLoopUtilization();
    const result = await publish(changedEvery);
    const busy = performance.eventLoopUtilization(elu);
    const wallMs = performance.now() - started;
    const stats = await sim.stats();
    const bytesRead = (stats.bytesOut[SECURITY_HUB_SERVICE] ?? 0) + (stats.bytesOut.s3 ?? 0);
    figures.set(key, { bytesRead, calls: result.calls, counts: result.counts });
    console.log(`${label}`);
    console.log(`  outcome                  ${JSON.stringify(result.counts)}`);
    console.log(`  BatchImportFindings      ${result.calls.batchImport} calls (${floor})`);
    console.log(`  GetFindings              ${result.calls.getFindings} calls (${readFloor})`);
    console.log(
      `  import ledger            ${JSON.stringify(result.ledger)}; ${result.calls.ledgerRead} reads, ${result.calls.ledgerWrite} writes`,
    );
    console.log(
      `  bytes read               ${(bytesRead / 1e6).toFixed(2)} MB (Security Hub ${((stats.bytesOut[SECURITY_HUB_SERVICE] ?? 0) / 1e6).toFixed(2)} MB, S3 ${((stats.bytesOut.s3 ?? 0) / 1e6).toFixed(2)} MB)`,
    );
    console.log(`  findings sent            ${result.findingsSent}`);
    const findings = ACCOUNTS * REGIONS.length * PER_DESTINATION;
    console.log(
      `  wall time                ${wallMs.toFixed(0)} ms (${LATENCY_MS} ms per Security Hub call); publisher thread CPU ${busy.active.toFixed(0)} ms (event-loop active; the simulator has its own thread): ${(busy.active / Math.max(1, stats.requests)).toFixed(2)} ms per API call, ${((1000 * busy.active) / findings).toFixed(1)} µs per finding`,
    );
    console.log(`  simulator saw            ${JSON.stringify(stats.byOperation)}; retries ${stats.retries}`);
    return result;
  }

  try {
    console.log(
      `== ${withLedger ? 'with the import ledger (S3)' : 'without a ledger (every run reads every held finding)'} ==`,
    );
    console.log(
      `  ${ACCOUNTS * REGIONS.length * PER_DESTINATION} findings over ${destinations} (account, region) destinations`,
    );
    await measure(
      'first',
      'Run 1: first publication',
      undefined,
      `minimum ${destinations * Math.ceil(PER_DESTINATION / 100)}, target <= 600`,
      `minimum ${destinations}: one empty page per destination`,
    );
    await advance(1);
    await measure(
      'steady',
      'Run 2: next day, nothing changed (steady state)',
      undefined,
      'minimum 0',
      withLedger
        ? `minimum ${destinations}: the ledger answers, plus one empty page per destination for what another writer changed since`
        : `minimum ${pagesHeld}: one page per 100 held`,
    );
    await advance(6);
    await measure(
      'week',
      'Run 3: a week later, 1% changed (every unchanged finding also due for refresh)',
      100,
      `minimum ${destinations * Math.ceil(PER_DESTINATION / 100)}`,
      withLedger ? `${pagesHeld}: the weekly reconciliation` : `minimum ${pagesHeld}`,
    );
    console.log('Run 4: the following week, nothing changed, one run a day (refreshes spread by finding Id)');
    for (let day = 8; day <= 14; day += 1) {
      await advance(1);
      await sim.resetStats();
      const result = await publish(undefined);
      const stats = await sim.stats();
      const bytes = (stats.bytesOut[SECURITY_HUB_SERVICE] ?? 0) + (stats.bytesOut.s3 ?? 0);
      console.log(
        `  day ${String(day).padStart(2)}: ${String(result.counts.refreshed).padStart(5)} refreshed, ${String(result.counts.updated + result.counts.resolved).padStart(4)} updated or resolved (run 3's 1% changed back), ${result.calls.batchImport} import calls, ${result.calls.getFindings} GetFindings, ${(bytes / 1e6).toFixed(2)} MB read`,
      );
    }
  } finally {
    factory.destroy();
    await sim.close();
  }
  return figures;
}

const before = await series(false);
const after = await series(true);
const steadyBefore = before.get('steady') as RunFigures;
const steadyAfter = after.get('steady') as RunFigures;
const weekAfter = after.get('week') as RunFigures;
const callsOf = (figures: RunFigures) =>
  figures.calls.getFindings + figures.calls.ledgerRead + figures.calls.ledgerWrite;
console.log('Steady state (run 2), same imports, same machine');
console.log(
  `  without ledger           ${(steadyBefore.bytesRead / 1e6).toFixed(2)} MB read in ${callsOf(steadyBefore)} read calls (${steadyBefore.calls.getFindings} GetFindings), ${steadyBefore.calls.batchImport} imports`,
);
console.log(
  `  with ledger              ${(steadyAfter.bytesRead / 1e6).toFixed(2)} MB read in ${callsOf(steadyAfter)} read/write calls (${steadyAfter.calls.getFindings} GetFindings, ${steadyAfter.calls.ledgerRead} ledger GETs, ${steadyAfter.calls.ledgerWrite} ledger PUTs), ${steadyAfter.calls.batchImport} imports`,
);
console.log(
  `  ratio                    ${(steadyAfter.bytesRead / steadyBefore.bytesRead).toFixed(4)} of the bytes (target <= 0.1); same imports: ${JSON.stringify(steadyBefore.counts) === JSON.stringify(steadyAfter.counts)}`,
);
console.log(
  `  weekly reconciliation    ${(weekAfter.bytesRead / 1e6).toFixed(2)} MB once per ${policy.securityHub.reconcileDays} days; with the default hourly schedule that is ${((weekAfter.bytesRead / (policy.securityHub.reconcileDays * 24) + steadyAfter.bytesRead) / 1e6).toFixed(2)} MB a run on average`,
);
