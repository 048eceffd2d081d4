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

describe('gcpSnapshotCloud.targets', () => {
  it("carries a suspended instance's suspensionReason from its listing, and none for a running one", async () => {
    // Prepare: instances.list answers the enums as numbers, as the API sends them (SUSPENDED = 2,
    // KMS_KEY_ISSUE = 5, RUNNABLE = 1).
    const instance = (name: string, more: Record<string, unknown>) => ({
      name,
      region: 'europe-west1',
      databaseVersion: 'POSTGRES_16',
      instanceType: 'CLOUD_SQL_INSTANCE',
      ...more,
    });
    const clients = {
      cloudSql: () => ({
        instances: {
          list: async () => [
            {
              items: [
                instance('suspended-pg', { state: 2, suspensionReason: [5] }),
                instance('running-pg', { state: 1 }),
              ],
            },
          ],
        },
      }),
    } as unknown as GcpSnapshotClients;
    const cloud = gcpSnapshotCloud({
      policy: parsePolicy({ gcp: { projects: ['certctl-one'] } }),
      clients,
      cloudKms: async () => {
        throw new Error('not read');
      },
    });

    // Act
    const { targets, problems } = await cloud.targets(parsePolicy({ targets: { all: true } }).targets);

    // Assess
    expect(problems).toEqual([]);
    expect(targets.find((target) => target.id === 'suspended-pg')).toMatchObject({
      status: 'SUSPENDED',
      suspensionReasons: ['KMS_KEY_ISSUE'],
    });
    expect(targets.find((target) => target.id === 'running-pg')).not.toHaveProperty('suspensionReasons');
  });
});
