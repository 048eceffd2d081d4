/**
 * The audit job a chapter of `npm run demo` shows: one check group over both clouds against the
 * simulator, as the group's Lambda and Cloud Function run it, publishing to the simulated Security
 * Hub. The simulator's request counts are reset first, so a chapter can print what the run cost.
 */
import { AwsClientFactory } from '../../../functions/aws/clients.ts';
import { awsCollectors } from '../../../functions/aws/collectors.ts';
import type { CheckGroup } from '../../../functions/core/finding.ts';
import type { Policy } from '../../../functions/core/policy.ts';
import { GcpClientFactory } from '../../../functions/gcp/clients.ts';
import { type GcpClientSource, gcpCollectors } from '../../../functions/gcp/collectors.ts';
import { type AuditJobOutcome, runAuditJob } from '../../../functions/jobs/audit.ts';
import { simCredentials } from '../accounts.ts';
import type { DemoContext } from './context.ts';

/**
 * Run `group` over AWS and GCP with `policy`, publishing; `clients` adds what the group reads on GCP
 * beyond Cloud SQL, as its Cloud Function does. The clients are closed afterwards.
 */
export async function publishedGroupAudit(
  sim: DemoContext['sim'],
  policy: Policy,
  group: CheckGroup,
  clients: (factory: GcpClientFactory) => GcpClientSource & { close(): Promise<void> },
): Promise<AuditJobOutcome> {
  const factory = new AwsClientFactory({
    maxAttempts: 2,
    credentials: simCredentials(),
    endpoint: sim.endpoint,
  });
  const gcp = clients(new GcpClientFactory({ endpoint: sim.endpoint }));
  sim.resetStats();
  try {
    return await runAuditJob(
      { providers: ['aws', 'gcp'], groups: [group], publish: true },
      {
        policy,
        aws: { factory, collectors: awsCollectors, homeRegion: 'eu-west-1' },
        gcp: { clients: gcp, collectors: gcpCollectors },
        publisher: { factory: () => factory, accounts: policy.aws.accounts, homeRegion: 'eu-west-1' },
      },
    );
  } finally {
    factory.destroy();
    await gcp.close();
  }
}
