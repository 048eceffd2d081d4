/**
 * The audited side of bench/audit-dumps.ts, in its own process so its CPU time is the audit's alone
 * (the simulator runs in the parent). Prints one JSON line with the figures, including the bytes
 * the S3 client received for GetObject (the ranged header reads).
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AwsClientFactory } from '../functions/aws/clients.ts';
import { awsCollectors } from '../functions/aws/collectors.ts';
import { parsePolicy } from '../functions/core/policy.ts';
import { runAuditReport } from '../functions/jobs/audit.ts';
import { simCredentials } from '../test/sim/accounts.ts';
import { measureAudit, reportFigures } from './child-audit.ts';

const endpoint = process.env.BENCH_ENDPOINT;
const policyJson = process.env.BENCH_POLICY;
if (!endpoint || !policyJson) throw new Error('run bench/audit-dumps.ts, not this file');

const policy = parsePolicy(JSON.parse(policyJson));
const factory = new AwsClientFactory({
  maxAttempts: policy.aws.maxAttempts,
  credentials: simCredentials(),
  endpoint,
});
let headerBytes = 0;
let headerReads = 0;
const regions = [...new Set(policy.dumps.locations.flatMap((l) => (l.provider === 'aws' ? [l] : [])))];
for (const location of regions) {
  // The same cached client the collector uses (factory key: client, account, region).
  const client = factory.client(S3Client, location.region, { accountId: location.account });
  if ((client as { __counted?: boolean }).__counted) continue;
  (client as { __counted?: boolean }).__counted = true;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === GetObjectCommand.name) {
        const length = (result.response as { headers?: Record<string, string> }).headers?.['content-length'];
        headerBytes += Number(length ?? 0);
        headerReads += 1;
      }
      return result;
    },
    { step: 'deserialize', name: 'benchCountBytes' },
  );
}
const figures = await measureAudit(() =>
  runAuditReport(
    { providers: ['aws'], groups: ['dumps'] },
    { policy, aws: { factory, collectors: awsCollectors } },
  ),
);
factory.destroy();
reportFigures({ ...figures, headerBytes, headerReads });
