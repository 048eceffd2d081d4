/**
 * Benchmark (prints figures, never fails): the AWS key-material audit of 2,000 inventory secrets
 * over 8 regions (one customer-managed key per region) against the simulator with 50 ms latency
 * per call, metadata only (the default) and with content inspection.
 *
 * Secrets Manager has no batch describe, and ListSecrets lacks ReplicationStatus, so each secret
 * costs one DescribeSecret; each distinct KMS key one DescribeKey. The audit describes at most
 * DESCRIBE_CONCURRENCY secrets of a region at once (sockets, API rate limits), regions in parallel:
 *   lowerBound = latency * (ceil(secretsPerRegion / concurrency) + 1 DescribeKey round)
 *   minimumCalls = secrets + distinct keys (+ ceil(secrets per region / 20) BatchGetSecretValue with inspection)
 */

import { AwsClientFactory } from '../functions/aws/clients.ts';
import { awsCollectors } from '../functions/aws/collectors.ts';
import { DESCRIBE_CONCURRENCY } from '../functions/aws/secrets-manager.ts';
import { parsePolicy } from '../functions/core/policy.ts';
import { runAuditReport } from '../functions/jobs/audit.ts';
import { DEFAULT_ACCOUNT_ID, simCredentials } from '../test/sim/accounts.ts';
import { startSim } from '../test/sim/server.ts';

const LATENCY_MS = 50;
const SECRETS = 2000;
const REGIONS = [
  'eu-west-1',
  'eu-west-2',
  'eu-central-1',
  'us-east-1',
  'us-east-2',
  'us-west-2',
  'ap-south-1',
  'ap-northeast-1',
];
const perRegion = SECRETS / REGIONS.length;
const keyId = (index: number): string => `0000000${index}-1111-2222-3333-444444444444`;

const secrets = Array.from({ length: SECRETS }, (_, index) => {
  const regionIndex = index % REGIONS.length;
  const region = REGIONS[regionIndex] ?? 'eu-west-1';
  return {
    name: `certctl/item-${index}`,
    region,
    kmsKeyId: `arn:aws:kms:${region}:${DEFAULT_ACCOUNT_ID}:key/${keyId(regionIndex)}`,
    replicas: [{ region: REGIONS[(regionIndex + 1) % REGIONS.length] ?? 'eu-west-1' }],
    value: `opaque value ${index}`,
  };
});
const scenario = {
  accounts: [{ id: DEFAULT_ACCOUNT_ID }],
  regions: REGIONS.map((name) => ({ name })),
  services: {
    secretsManager: { secrets },
    kms: { keys: REGIONS.map((region, index) => ({ id: keyId(index), region })) },
  },
};
const items = (inspect: boolean) => ({
  aws: { regions: REGIONS },
  keys: {
    preset: 'none' as const,
    inspectSecretValues: inspect,
    items: Object.fromEntries(
      secrets.map((secret, index) => [
        `item-${index}`,
        {
          kind: 'opaque' as const,
          secret: `arn:aws:secretsmanager:${secret.region}:${DEFAULT_ACCOUNT_ID}:secret:${secret.name}`,
        },
      ]),
    ),
  },
});

const sim = await startSim({ scenario, faults: { latencyMs: LATENCY_MS } });
try {
  for (const inspect of [false, true]) {
    const policy = parsePolicy(items(inspect));
    const factory = new AwsClientFactory({
      maxAttempts: 3,
      credentials: simCredentials(),
      endpoint: sim.endpoint,
    });
    const before = sim.stats().requests;
    const cpu = process.cpuUsage();
    const started = performance.now();
    const report = await runAuditReport(
      { providers: ['aws'], groups: ['keys'] },
      { policy, aws: { factory, collectors: awsCollectors } },
    );
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const calls = sim.stats().requests - before;
    factory.destroy();
    const rounds =
      Math.ceil(perRegion / DESCRIBE_CONCURRENCY) + 1 + (inspect ? Math.ceil(perRegion / 20) : 0);
    const lowerBoundMs = rounds * LATENCY_MS;
    const minimumCalls =
      SECRETS + REGIONS.length + (inspect ? REGIONS.length * Math.ceil(perRegion / 20) : 0);
    const cpuMs = (used.user + used.system) / 1000;
    const label = inspect ? 'with content inspection' : 'metadata only';
    process.stdout.write(
      [
        `audit-keys, ${SECRETS} secrets over ${REGIONS.length} regions, ${LATENCY_MS} ms latency, ${label}:`,
        `  wall ${wallMs.toFixed(0)} ms vs API lower bound ${lowerBoundMs} ms (${rounds} sequential rounds at ${DESCRIBE_CONCURRENCY} per region) = ${(wallMs / lowerBoundMs).toFixed(2)}x (target <= 1.5x)`,
        `  CPU ${cpuMs.toFixed(0)} ms (${(cpuMs / calls).toFixed(2)} ms per API call, ${(cpuMs / SECRETS).toFixed(2)} ms per secret)`,
        `  API calls ${calls} vs minimum ${minimumCalls}; findings ${report.findings.length}, scopes ${report.scopes.length} (${report.scopes.filter((s) => s.status === 'failed').length} failed)`,
        '',
      ].join('\n'),
    );
  }
} finally {
  await sim.close();
}
