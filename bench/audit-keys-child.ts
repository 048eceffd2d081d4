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
import { measureAudit, reportFigures } from './child-audit.ts';

const endpoint = process.env.BENCH_ENDPOINT;
const policyFile = process.env.BENCH_POLICY_FILE;
if (!endpoint || !policyFile) throw new Error('run bench/audit-keys.ts, not this file');

const policy = parsePolicy(JSON.parse(await readFile(policyFile, 'utf8')));
const factory = new AwsClientFactory({
  maxAttempts: policy.aws.maxAttempts,
  credentials: simCredentials(),
  endpoint,
});
const figures = await measureAudit(() =>
  runAuditReport(
    { providers: ['aws'], groups: ['keys'] },
    { policy, aws: { factory, collectors: awsCollectors } },
  ),
);
factory.destroy();
reportFigures(figures);
