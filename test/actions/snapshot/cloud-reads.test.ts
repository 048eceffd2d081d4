import { describe, expect, it } from 'vitest';
import { awsSnapshotCloud } from '../../../functions/actions/snapshot/aws.ts';
import { type GcpSnapshotClients, gcpSnapshotCloud } from '../../../functions/actions/snapshot/gcp.ts';
import { AwsClientFactory } from '../../../functions/aws/clients.ts';
import { parsePolicy } from '../../../functions/core/policy.ts';

describe('SnapshotCloud.reads', () => {
  it("reads the run's regions (--region, else aws.regions) and projects (--project, else gcp.projects) only", () => {
    // Prepare
    const policy = parsePolicy({
      aws: { regions: ['eu-west-1', 'us-east-1'] },
      gcp: { projects: ['certctl-one', 'certctl-two'] },
    });
    const factory = new AwsClientFactory({ maxAttempts: 1 });
    const clients = {} as GcpSnapshotClients;
    const policyRegions = awsSnapshotCloud({ policy, factory });
    const oneRegion = awsSnapshotCloud({ policy, factory, regions: ['eu-west-1'] });
    const allRegions = awsSnapshotCloud({ policy: parsePolicy({ aws: { regions: 'all' } }), factory });
    const oneProject = gcpSnapshotCloud({
      policy,
      clients,
      projects: ['certctl-two'],
      cloudKms: async () => {
        throw new Error('not read');
      },
    });
    const at = (region: string) => ({ account: '111111111111', region });

    // Act / Assess
    expect([policyRegions, oneRegion, allRegions].map((cloud) => cloud.reads?.(at('us-east-1')))).toEqual([
      true,
      false,
      true,
    ]);
    expect(oneRegion.reads?.(at('eu-west-1'))).toBe(true);
    expect(oneProject.reads?.({ account: 'certctl-one', region: 'europe-west1' })).toBe(false);
    expect(oneProject.reads?.({ account: 'certctl-two', region: 'europe-west1' })).toBe(true);
    factory.destroy();
  });
});
