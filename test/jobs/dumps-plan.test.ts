/**
 * Planning the dumps group: its scopes are the places of the policy's dump locations, never every
 * enabled region, while the PITR group is planned exactly as before.
 */
import { AccountClient, ListRegionsCommand } from '@aws-sdk/client-account';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { awsCollectors } from '../../functions/aws/collectors.ts';
import { coverageProblems } from '../../functions/core/audit.ts';
import { type PolicyInput, parsePolicy } from '../../functions/core/policy.ts';
import type { GcpClientSource } from '../../functions/gcp/collectors.ts';
import { gcpCollectors } from '../../functions/gcp/collectors.ts';
import { finishAudit, planAudit } from '../../functions/jobs/audit.ts';

const SELF = '999988887777';
const MEMBER = { accountId: '111111111111', roleArn: 'arn:aws:iam::111111111111:role/audit' };
const stsMock = mockClient(STSClient);
const accountMock = mockClient(AccountClient);
const gcp = { cloudSql: () => ({}) } as unknown as GcpClientSource;

function s3(bucket: string, prefix: string, region: string, account = SELF) {
  return { provider: 'aws', bucket, prefix, region, account } as const;
}

describe('planAudit with dump locations', () => {
  let factory: AwsClientFactory;

  beforeEach(() => {
    stsMock.reset();
    accountMock.reset();
    stsMock.on(GetCallerIdentityCommand).resolves({ Account: SELF });
    accountMock.on(ListRegionsCommand).resolves({
      Regions: [
        { RegionName: 'us-east-1', RegionOptStatus: 'ENABLED_BY_DEFAULT' },
        { RegionName: 'eu-west-1', RegionOptStatus: 'ENABLED_BY_DEFAULT' },
      ],
    });
    factory = new AwsClientFactory({
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKID', secretAccessKey: 's' },
    });
  });

  afterEach(() => {
    factory.destroy();
  });

  const plan = (input: PolicyInput, groups: string[], regions?: string[]) =>
    planAudit(
      { providers: ['aws'], groups, ...(regions ? { regions } : {}) },
      { policy: parsePolicy(input), aws: { factory, collectors: awsCollectors } },
    );

  it('plans one scope per distinct location place and lists no region when only dumps run', async () => {
    // Act
    const { scopes } = await plan(
      {
        dumps: {
          locations: [
            s3('certctl-dumps', 'prod/', 'eu-west-1'),
            s3('certctl-dumps', 'staging/', 'eu-west-1'),
            s3('certctl-dumps-us', 'prod/', 'us-east-2'),
          ],
        },
      },
      ['dumps'],
    );
    // Assess
    expect(scopes).toEqual([
      { scope: { provider: 'aws', account: SELF, region: 'eu-west-1', group: 'dumps' } },
      { scope: { provider: 'aws', account: SELF, region: 'us-east-2', group: 'dumps' } },
    ]);
    expect(accountMock.commandCalls(ListRegionsCommand)).toHaveLength(0);
  });

  it('plans PITR over every enabled region as before when dumps run beside it', async () => {
    // Act
    const { scopes } = await plan({ dumps: { locations: [s3('certctl-dumps', 'prod/', 'us-east-2')] } }, [
      'pitr',
      'dumps',
    ]);
    // Assess
    expect(scopes.map(({ scope }) => `${scope.group}:${scope.region}`)).toEqual([
      'pitr:eu-west-1',
      'pitr:us-east-1',
      'dumps:us-east-2',
    ]);
  });

  it('plans nothing for dumps and calls nothing when the policy has no location', async () => {
    // Act
    const { scopes } = await plan({}, ['dumps']);
    // Assess
    expect(scopes).toEqual([]);
    expect(stsMock.calls()).toHaveLength(0);
  });

  it('keeps only the locations in the run’s regions when the run is narrowed', async () => {
    // Act
    const { scopes } = await plan(
      { dumps: { locations: [s3('a-dumps', '', 'eu-west-1'), s3('b-dumps', '', 'us-east-2')] } },
      ['dumps'],
      ['us-east-2'],
    );
    // Assess
    expect(scopes.map(({ scope }) => scope.region)).toEqual(['us-east-2']);
  });

  it('plans a failed scope when a location is in an account the run does not read', async () => {
    // Act: the caller is SELF, the policy (no member accounts) names another account.
    const { scopes } = await plan(
      { dumps: { locations: [s3('certctl-dumps', '', 'eu-west-1', '123456789012')] } },
      ['dumps'],
    );
    // Assess
    expect(scopes).toEqual([
      {
        scope: { provider: 'aws', account: '123456789012', region: 'eu-west-1', group: 'dumps' },
        failure: {
          code: 'AccountNotAudited',
          message: expect.stringContaining('list 123456789012 in policy.aws.accounts'),
        },
      },
    ]);
  });

  it('plans member-account locations in the member account without asking STS who the caller is', async () => {
    // Act
    const { scopes } = await plan(
      {
        aws: { accounts: [MEMBER] },
        dumps: { locations: [s3('certctl-dumps', '', 'eu-west-1', MEMBER.accountId)] },
      },
      ['dumps'],
    );
    // Assess
    expect(scopes).toEqual([
      { scope: { provider: 'aws', account: MEMBER.accountId, region: 'eu-west-1', group: 'dumps' } },
    ]);
    expect(stsMock.calls()).toHaveLength(0);
  });

  it('plans GCP dumps only in the projects that hold a location', async () => {
    // Act
    const { scopes } = await planAudit(
      { providers: ['gcp'], groups: ['pitr', 'dumps'] },
      {
        policy: parsePolicy({
          gcp: { projects: ['certctl-prod', 'certctl-dev'] },
          dumps: {
            locations: [
              { provider: 'gcp', bucket: 'certctl-dumps-gcp', project: 'certctl-prod', region: 'EU' },
            ],
          },
        }),
        gcp: { clients: gcp, collectors: gcpCollectors },
      },
    );
    // Assess
    expect(scopes.map(({ scope }) => `${scope.group}:${scope.account}:${scope.region}`)).toEqual([
      'pitr:certctl-prod:*',
      'dumps:certctl-prod:*',
      'pitr:certctl-dev:*',
    ]);
  });

  it('says what the groups of a run that reads nothing lack for its providers, not every group of the policy', async () => {
    // Prepare: a GCP run of the dumps group on a policy whose only dump location is in S3.
    const policy = parsePolicy({
      gcp: { projects: ['certctl-prod'] },
      dumps: { locations: [s3('certctl-dumps', 'prod/', 'eu-west-1')] },
    });
    const planned = await planAudit(
      { providers: ['gcp'], groups: ['dumps'] },
      { policy, gcp: { clients: gcp, collectors: gcpCollectors } },
    );

    // Act
    const problems = coverageProblems(finishAudit(planned, [], policy));

    // Assess: the cause is named, not keys.items, which this run does not read.
    expect(planned.scopes).toEqual([]);
    expect(problems).toEqual([
      'nothing was audited: the policy gives this run (provider gcp, group dumps) nothing to read: dumps.locations has no gcp location, so nothing was proven restorable',
    ]);
  });

  it('does not say the policy lacks a location when the run was narrowed to a region without one', async () => {
    // Prepare: an AWS run narrowed to us-east-1; the only dump location is in eu-west-1.
    const policy = parsePolicy({ dumps: { locations: [s3('certctl-dumps', 'prod/', 'eu-west-1')] } });
    const planned = await planAudit(
      { providers: ['aws'], groups: ['dumps'], regions: ['us-east-1'] },
      { policy, aws: { factory, collectors: awsCollectors } },
    );

    // Act
    const problems = coverageProblems(finishAudit(planned, [], policy));

    // Assess: the policy has an AWS location; the run's regions hold none.
    expect(planned.scopes).toEqual([]);
    expect(problems).toEqual([
      'nothing was audited: the policy gives this run (provider aws, group dumps) nothing to read in the regions or projects it was narrowed to: dumps.locations has no aws location there, so nothing was proven restorable',
    ]);
  });
});
