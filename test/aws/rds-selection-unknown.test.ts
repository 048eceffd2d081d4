import {
  type DBCluster,
  type DBInstance,
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectRdsPitrFacts, INCOMPLETE_ANSWER } from '../../functions/aws/rds.ts';
import { CloudApiError } from '../../functions/core/errors.ts';
import { type PolicyInput, parsePolicy } from '../../functions/core/policy.ts';

/**
 * A listing whose item leaves out what the policy's selection of it depends on (its `TagList` when the
 * policy selects by tag, its `Engine` for one the policy selects) says neither that the database is a
 * target nor that it is not. Read as untagged or as another engine, the database would drop out of a
 * scope read in full, and the lifecycle would archive its findings as if it were gone
 * (functions/publish/security-hub/lifecycle.ts): the listing fails instead, as one without its list
 * element does. The query protocol sends an empty list as an empty element (`<TagList/>`), so a
 * missing one is an answer that did not say, not an untagged database.
 */
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const SCOPE = { account: ACCOUNT, region: REGION };
const TARGET_TAG = [{ Key: 'certctl:backup-guard', Value: 'enabled' }];

function instance(id: string, overrides: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: id,
    DBInstanceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:db:${id}`,
    DbiResourceId: `db-${id.toUpperCase()}`,
    Engine: 'postgres',
    DBInstanceStatus: 'available',
    BackupRetentionPeriod: 30,
    DeletionProtection: true,
    TagList: TARGET_TAG,
    ...overrides,
  };
}

function cluster(id: string, overrides: Partial<DBCluster> = {}): DBCluster {
  return {
    DBClusterIdentifier: id,
    DBClusterArn: `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:${id}`,
    Engine: 'aurora-postgresql',
    Status: 'available',
    BackupRetentionPeriod: 30,
    TagList: TARGET_TAG,
    ...overrides,
  };
}

describe('a listed database whose selection the answer does not show', () => {
  const rdsMock = mockClient(RDSClient);
  let rds: RDSClient;

  beforeEach(() => {
    rdsMock.reset();
    rds = new RDSClient({
      region: REGION,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    });
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
    rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({ DBInstanceAutomatedBackups: [] });
  });

  afterEach(() => {
    rds.destroy();
  });

  const collect = (input: PolicyInput = {}) => collectRdsPitrFacts(rds, SCOPE, parsePolicy(input));

  it('fails the instance listing when a PostgreSQL instance comes without TagList and the policy selects by tag', async () => {
    // Prepare
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [instance('certctl-db', { TagList: undefined }), instance('other')] });
    // Act
    const collecting = collect();
    // Assess
    await expect(collecting).rejects.toBeInstanceOf(CloudApiError);
    await expect(collecting).rejects.toMatchObject({
      code: INCOMPLETE_ANSWER,
      message: expect.stringMatching(/DescribeDBInstances failed .*certctl-db.*TagList/),
    });
  });

  it('fails the cluster listing when an Aurora cluster comes without TagList and the policy selects by tag', async () => {
    // Prepare
    rdsMock
      .on(DescribeDBClustersCommand)
      .resolves({ DBClusters: [cluster('certctl-aurora', { TagList: undefined })] });
    // Act
    const collecting = collect();
    // Assess
    await expect(collecting).rejects.toMatchObject({
      code: INCOMPLETE_ANSWER,
      message: expect.stringMatching(/DescribeDBClusters failed .*certctl-aurora.*TagList/),
    });
  });

  it('fails the listing when a database the target tag selects comes without Engine', async () => {
    // Prepare
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [instance('certctl-db', { Engine: undefined })] });
    // Act
    const collecting = collect();
    // Assess
    await expect(collecting).rejects.toMatchObject({
      code: INCOMPLETE_ANSWER,
      message: expect.stringMatching(/DescribeDBInstances failed .*certctl-db.*Engine/),
    });
  });

  it('fails the listing when a cluster the policy names comes with an empty Engine', async () => {
    // Prepare
    rdsMock
      .on(DescribeDBClustersCommand)
      .resolves({ DBClusters: [cluster('certctl-aurora', { Engine: '' })] });
    // Act
    const collecting = collect({ targets: { tags: [], identifiers: ['certctl-aurora'] } });
    // Assess
    await expect(collecting).rejects.toMatchObject({
      code: INCOMPLETE_ANSWER,
      message: expect.stringMatching(/DescribeDBClusters failed .*certctl-aurora.*Engine/),
    });
  });

  it('still reads the scope when what is left out decides nothing', async () => {
    // Prepare: no tag is asked when the policy names databases; an unnamed database of unknown engine
    // is no target either way; a named one without TagList is selected by its name.
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        instance('certctl-db', { TagList: undefined }),
        instance('unnamed', { Engine: undefined, TagList: [] }),
      ],
    });
    // Act
    const byName = await collect({ targets: { tags: [], identifiers: ['certctl-db'] } });
    const byNameAndTag = await collect({ targets: { identifiers: ['certctl-db'] } });
    // Assess
    expect(byName.map((fact) => fact.resource.id)).toEqual(['certctl-db']);
    expect(byNameAndTag.map((fact) => fact.resource.id)).toEqual(['certctl-db']);
  });
});
