/**
 * The audited side of bench/audit-keys.ts, in its own process so its CPU time is the audit's alone
 * (the simulator runs in the parent). Prints one JSON line with the figures.
 */
import { readFile } from 'node:fs/promises';
import { AwsClientFactory } from '../functions/aws/clients.ts';
import { awsCollectors } from '../functions/aws/collectors.ts';
import { parsePolicy } from '../functions/core/policy.ts';
import { runAuditReport } from '../functions/jobs/audit.ts';
import { simCredentials } from '../test/sim/accounts.ts';

const endpoint = process.env.BENCH_ENDPOINT;
const policyFile = process.env.BENCH_POLICY_FILE;
if (!endpoint || !policyFile) throw new Error('run bench/audit-keys.ts, not this file');

const policy = parsePolicy(JSON.parse(await readFile(policyFile, 'utf8')));
const factory = new AwsClientFactory({
  maxAttempts: policy.aws.maxAttempts,
  credentials: simCredentials(),
  endpoint,
});
const cpuBefore = process.cpuUsage();
const started = performance.now();
const report = await runAuditReport(
  { providers: ['aws'], groups: ['keys'] },
  { policy, aws: { factory, collectors: awsCollectors } },
);
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
factory.destroy();
process.stdout.write(
  `${JSON.stringify({
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    findings: report.findings.length,
    counts: report.counts,
    scopes: report.scopes.length,
    failedScopes: report.scopes.filter((scope) => scope.status === 'failed').length,
  })}\n`,
);
