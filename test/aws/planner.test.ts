import { AccountClient, ListRegionsCommand, type ListRegionsCommandInput } from '@aws-sdk/client-account';
import {
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { awsCollectors } from '../../functions/aws/collectors.ts';
import { type PlanAwsScopesOptions, planAwsScopes } from '../../functions/aws/planner.ts';
import { failedScopeAdvice, type PlannedScope, toScopePlan } from '../../functions/core/audit.ts';
import { CloudApiError, CredentialsError } from '../../functions/core/errors.ts';
import { type Policy, type PolicyInput, parsePolicy } from '../../functions/core/policy.ts';
import { runnableScope } from '../../functions/jobs/audit.ts';

const SELF = '999988887777';
const MEMBER_A = { accountId: '111111111111', roleArn: 'arn:aws:iam::111111111111:role/backup-guard-audit' };
const MEMBER_B = { accountId: '222222222222', roleArn: 'arn:aws:iam::222222222222:role/backup-guard-audit' };

const stsMock = mockClient(STSClient);
const accountMock = mockClient(AccountClient);
const rdsMock = mockClient(RDSClient);

/** The region a mocked call's client was configured with. */
async function clientRegion(call: { thisValue: unknown }): Promise<string> {
  return (call.thisValue as { config: { region: () => Promise<string> } }).config.region();
}

/** The PITR scopes of a run, made runnable as the job runner does. */
async function planAwsPitrAudit(
  policy: Policy,
  factory: AwsClientFactory,
  options: Omit<PlanAwsScopesOptions, 'groups'> = {},
) {
  const scopes = await planAwsScopes(policy, factory, { groups: ['pitr'], ...options });
  return scopes.map((planned) =>
    runnableScope(planned, { policy, aws: { factory, collectors: awsCollectors } }),
  );
}

describe('planAwsScopes', () => {
  let factory: AwsClientFactory;

  beforeEach(() => {
    stsMock.reset();
    accountMock.reset();
    rdsMock.reset();
    stsMock.on(GetCallerIdentityCommand).resolves({ Account: SELF });
    accountMock.on(ListRegionsCommand).resolves({
      Regions: [
        { RegionName: 'us-east-1', RegionOptStatus: 'ENABLED_BY_DEFAULT' },
        { RegionName: 'eu-west-1', RegionOptStatus: 'ENABLED_BY_DEFAULT' },
      ],
    });
    factory = new AwsClientFactory({
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    });
  });

  afterEach(() => {
    factory.destroy();
  });

  function policy(input: PolicyInput = {}) {
    return parsePolicy(input);
  }

  it('plans the caller’s own account over the policy regions with one GetCallerIdentity', async () => {
    // Act
    const plans = await planAwsPitrAudit(
      policy({ aws: { regions: ['eu-west-1', 'eu-central-1'] } }),
      factory,
    );
    // Assess
    expect(plans.map((plan) => plan.scope)).toEqual([
      { provider: 'aws', account: SELF, region: 'eu-west-1', group: 'pitr' },
      { provider: 'aws', account: SELF, region: 'eu-central-1', group: 'pitr' },
    ]);
    expect(stsMock.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
    expect(await clientRegion(stsMock.calls()[0] as { thisValue: unknown })).toBe('eu-west-1');
    expect(accountMock.calls()).toHaveLength(0);
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('uses the command-line regions instead of the policy regions when given', async () => {
    const plans = await planAwsPitrAudit(policy({ aws: { regions: ['eu-west-1'] } }), factory, {
      regions: ['ap-southeast-2', 'ap-southeast-2'],
    });
    expect(plans.map((plan) => plan.scope.region)).toEqual(['ap-southeast-2']);
    expect(accountMock.calls()).toHaveLength(0);
  });

  it('narrows only the groups audited everywhere to the run regions when the places are read everywhere (readiness)', async () => {
    // Prepare: the key material lives in us-east-1; the run names eu-west-1.
    const placesOf = (group: string) =>
      group === 'keys' ? [{ account: SELF, region: 'us-east-1' }] : undefined;
    const options = { groups: ['pitr', 'keys'] as const, regions: ['eu-west-1'], placesOf };

    // Act
    const audit = await planAwsScopes(policy(), factory, { ...options, groups: [...options.groups] });
    const readiness = await planAwsScopes(policy(), factory, {
      ...options,
      groups: [...options.groups],
      placesEverywhere: true,
    });

    // Assess
    const where = (plans: typeof audit) => plans.map(({ scope }) => `${scope.region}/${scope.group}`);
    expect(where(audit)).toEqual(['eu-west-1/pitr']);
    expect(where(readiness)).toEqual(['eu-west-1/pitr', 'us-east-1/keys']);
  });

  it('lists the enabled regions page by page when the policy says all', async () => {
    // Prepare
    const inputs: ListRegionsCommandInput[] = [];
    accountMock.on(ListRegionsCommand).callsFake((input: ListRegionsCommandInput) => {
      inputs.push({ ...input, RegionOptStatusContains: [...(input.RegionOptStatusContains ?? [])] });
      return input.NextToken === undefined
        ? { Regions: [{ RegionName: 'us-east-1' }, { RegionName: 'eu-west-1' }], NextToken: 'next' }
        : { Regions: [{ RegionName: 'af-south-1', RegionOptStatus: 'ENABLED' }] };
    });
    // Act
    const plans = await planAwsPitrAudit(policy(), factory);
    // Assess
    expect(inputs).toEqual([
      { RegionOptStatusContains: ['ENABLED', 'ENABLED_BY_DEFAULT'], MaxResults: 50, NextToken: undefined },
      { RegionOptStatusContains: ['ENABLED', 'ENABLED_BY_DEFAULT'], MaxResults: 50, NextToken: 'next' },
    ]);
    expect(plans.map((plan) => plan.scope.region)).toEqual(['af-south-1', 'eu-west-1', 'us-east-1']);
    expect(await clientRegion(accountMock.calls()[0] as { thisValue: unknown })).toBe('us-east-1');
  });

  it('makes the ListRegions client while GetCallerIdentity is in flight, so only the answer lies between the two calls', async () => {
    // Prepare: STS answers only once the Account client exists (or, when it never comes, after 2 s).
    const make = factory.client.bind(factory);
    let accountClientMade: () => void = () => {};
    const accountClient = new Promise<true>((resolve) => {
      accountClientMade = () => resolve(true);
    });
    vi.spyOn(factory, 'client').mockImplementation((ctor, ...rest) => {
      if (ctor === AccountClient) accountClientMade();
      return make(ctor, ...rest);
    });
    let madeBeforeAnswer = false;
    stsMock.on(GetCallerIdentityCommand).callsFake(async () => {
      madeBeforeAnswer = await Promise.race([
        accountClient,
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 2000)),
      ]);
      return { Account: SELF };
    });
    // Act
    const plans = await planAwsPitrAudit(policy(), factory);
    // Assess
    expect(madeBeforeAnswer).toBe(true);
    expect(accountMock.commandCalls(ListRegionsCommand)).toHaveLength(1);
    expect(plans.map((plan) => `${plan.scope.account}/${plan.scope.region}`)).toEqual([
      `${SELF}/eu-west-1`,
      `${SELF}/us-east-1`,
    ]);
  });

  it('sends nothing to the Account API when GetCallerIdentity fails, though its client was made meanwhile', async () => {
    // Prepare
    stsMock
      .on(GetCallerIdentityCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    // Act
    const planning = planAwsPitrAudit(policy(), factory);
    // Assess
    await expect(planning).rejects.toBeInstanceOf(CloudApiError);
    expect(accountMock.calls()).toHaveLength(0);
  });

  it('calls the Account API in the configured home region when one is given', async () => {
    await planAwsPitrAudit(policy(), factory, { homeRegion: 'us-gov-west-1' });
    expect(await clientRegion(accountMock.calls()[0] as { thisValue: unknown })).toBe('us-gov-west-1');
    expect(await clientRegion(stsMock.calls()[0] as { thisValue: unknown })).toBe('us-gov-west-1');
  });

  it('plans every member account through its role without asking STS who the caller is', async () => {
    // Act
    const plans = await planAwsPitrAudit(policy({ aws: { accounts: [MEMBER_A, MEMBER_B] } }), factory);
    // Assess
    expect(stsMock.calls()).toHaveLength(0);
    expect(accountMock.commandCalls(ListRegionsCommand)).toHaveLength(2);
    expect(plans.map((plan) => `${plan.scope.account}/${plan.scope.region}`)).toEqual([
      '111111111111/eu-west-1',
      '111111111111/us-east-1',
      '222222222222/eu-west-1',
      '222222222222/us-east-1',
    ]);
  });

  it('plans one failing whole-account scope when that account’s region listing fails', async () => {
    // Prepare
    let calls = 0;
    accountMock.on(ListRegionsCommand).callsFake(() => {
      calls += 1;
      if (calls === 1) {
        throw Object.assign(new Error('not authorized to perform account:ListRegions'), {
          name: 'AccessDeniedException',
        });
      }
      return { Regions: [{ RegionName: 'eu-west-1' }] };
    });
    // Act
    const plans = await planAwsPitrAudit(policy({ aws: { accounts: [MEMBER_A, MEMBER_B] } }), factory);
    // Assess
    expect(plans.map((plan) => plan.scope)).toEqual([
      { provider: 'aws', account: '111111111111', region: '*', group: 'pitr' },
      { provider: 'aws', account: '222222222222', region: 'eu-west-1', group: 'pitr' },
    ]);
    const failing = plans[0]?.collect();
    await expect(failing).rejects.toBeInstanceOf(CloudApiError);
    await expect(failing).rejects.toMatchObject({
      code: 'AccessDeniedException',
      message: expect.stringContaining(
        'Account ListRegions failed for account 111111111111 (called in us-east-1)',
      ),
    });
  });

  it('says what lifts an explicit deny of ListRegions, not a grant, and quotes no caller ARN', async () => {
    // Prepare: AWS's words name the caller's ARN and the policy type that denies.
    accountMock
      .on(ListRegionsCommand)
      .rejects(
        Object.assign(
          new Error(
            'User: arn:aws:sts::111111111111:assumed-role/backup-guard-audit/s is not authorized to perform: account:ListRegions with an explicit deny in a service control policy',
          ),
          { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } },
        ),
      );
    // Act
    const scopes = await planAwsScopes(policy({ aws: { accounts: [MEMBER_A] } }), factory, {
      groups: ['pitr'],
    });
    const failure = scopes[0]?.failure;
    const rejected = await toScopePlan(scopes[0] as PlannedScope, async () => [])
      .collect()
      .catch((error: unknown) => error);
    // Assess: before, 'Grant account:ListRegions to the audit role …' after AWS's whole message.
    expect(failure?.code).toBe('AccessDeniedException');
    expect(failure?.message).toBe(
      "Account ListRegions failed for account 111111111111 (called in us-east-1): AccessDeniedException. An explicit deny in a service control policy refuses the call: a grant to the audit role cannot override it; ask the organization's administrators to exempt the role from it, or list the regions in policy.aws.regions.",
    );
    expect(failedScopeAdvice(rejected)).toBe(
      "An explicit deny in a service control policy refuses the call: a grant to the audit role cannot override it; ask the organization's administrators to exempt the role from it, then run the audit again.",
    );
  });

  it('names no grant for a ListRegions failure that is no refusal', async () => {
    // Prepare
    accountMock.on(ListRegionsCommand).rejects(
      Object.assign(new Error('internal error'), {
        name: 'InternalServerException',
        $metadata: { httpStatusCode: 500 },
      }),
    );
    // Act
    const scopes = await planAwsScopes(policy({ aws: { accounts: [MEMBER_A] } }), factory, {
      groups: ['pitr'],
    });
    // Assess: before, 'Grant account:ListRegions to the audit role …' for a server error.
    expect(scopes[0]?.failure?.message).toBe(
      'Account ListRegions failed for account 111111111111 (called in us-east-1): internal error. Run the audit again, or list the regions in policy.aws.regions.',
    );
  });

  it('plans a failing whole-account scope when a region page repeats the NextToken it was asked with', async () => {
    // Prepare: the second page answers the token it was sent; regions on later pages are never listed.
    accountMock
      .on(ListRegionsCommand)
      .callsFake((input: ListRegionsCommandInput) =>
        input.NextToken === undefined
          ? { Regions: [{ RegionName: 'us-east-1' }], NextToken: 'next' }
          : { Regions: [{ RegionName: 'eu-west-1' }], NextToken: 'next' },
      );
    // Act
    const plans = await planAwsPitrAudit(policy(), factory);
    // Assess
    expect(plans.map((plan) => plan.scope.region)).toEqual(['*']);
    await expect(plans[0]?.collect()).rejects.toMatchObject({
      code: 'RepeatedNextToken',
      message: expect.stringContaining('named a NextToken it had already sent'),
    });
  });

  it('plans a failing whole-account scope when the listing returns no region', async () => {
    accountMock.on(ListRegionsCommand).resolves({ Regions: [] });
    const plans = await planAwsPitrAudit(policy(), factory);
    expect(plans.map((plan) => plan.scope.region)).toEqual(['*']);
    await expect(plans[0]?.collect()).rejects.toMatchObject({ code: 'NoEnabledRegions' });
  });

  it('collects RDS facts in the plan’s account and region when the scope runs', async () => {
    // Prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: 'certctl-db',
          Engine: 'postgres',
          BackupRetentionPeriod: 0,
          TagList: [{ Key: 'certctl:backup-guard', Value: 'enabled' }],
        },
      ],
    });
    rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
    rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({ DBInstanceAutomatedBackups: [] });
    const [plan] = await planAwsPitrAudit(
      policy({ aws: { accounts: [MEMBER_A], regions: ['eu-west-1'] } }),
      factory,
    );
    // Act
    const facts = await plan?.collect();
    // Assess
    expect(facts?.map((fact) => fact.resource)).toEqual([
      {
        provider: 'aws',
        account: '111111111111',
        region: 'eu-west-1',
        type: 'AwsRdsDbInstance',
        id: 'certctl-db',
      },
    ]);
    expect(rdsMock.calls()).toHaveLength(3);
    expect(await clientRegion(rdsMock.calls()[0] as { thisValue: unknown })).toBe('eu-west-1');
  });

  it('throws a CloudApiError naming the API and every region tried when GetCallerIdentity fails everywhere', async () => {
    stsMock
      .on(GetCallerIdentityCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const planning = planAwsPitrAudit(policy({ aws: { regions: ['eu-west-1', 'eu-central-1'] } }), factory);
    await expect(planning).rejects.toBeInstanceOf(CloudApiError);
    await expect(planning).rejects.toMatchObject({
      code: 'Throttling',
      message: expect.stringContaining(
        'STS GetCallerIdentity failed in every region tried (eu-west-1: Rate exceeded; eu-central-1: Rate exceeded)',
      ),
    });
    expect(stsMock.commandCalls(GetCallerIdentityCommand)).toHaveLength(2);
  });

  it('asks STS in the next configured region when the first one fails, and never in us-east-1 unless configured', async () => {
    // Prepare
    const regions: string[] = [];
    stsMock.on(GetCallerIdentityCommand).callsFake(async (_input, getClient) => {
      const region = await (getClient() as STSClient).config.region();
      regions.push(region);
      if (region === 'eu-west-1')
        throw Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' });
      return { Account: SELF };
    });

    // Act
    const plans = await planAwsPitrAudit(
      policy({ aws: { regions: ['eu-west-1', 'eu-central-1'] } }),
      factory,
    );

    // Assess
    expect(regions).toEqual(['eu-west-1', 'eu-central-1']);
    expect(plans.map((plan) => plan.scope.account)).toEqual([SELF, SELF]);
  });

  it('asks STS in the home region first when one is given', async () => {
    await planAwsPitrAudit(policy({ aws: { regions: ['eu-west-1'] } }), factory, {
      homeRegion: 'ap-south-1',
    });
    expect(await clientRegion(stsMock.calls()[0] as { thisValue: unknown })).toBe('ap-south-1');
  });

  it('plans every group over every region, in region then group order, when several groups run', async () => {
    // Act
    const scopes = await planAwsScopes(policy({ aws: { regions: ['eu-west-1', 'us-east-1'] } }), factory, {
      groups: ['pitr', 'keys'],
    });

    // Assess
    expect(scopes.map(({ scope }) => `${scope.account}/${scope.region}/${scope.group}`)).toEqual([
      `${SELF}/eu-west-1/pitr`,
      `${SELF}/eu-west-1/keys`,
      `${SELF}/us-east-1/pitr`,
      `${SELF}/us-east-1/keys`,
    ]);
    // Plain data: a plan survives a round trip through JSON (a Step Functions state, a message).
    expect(JSON.parse(JSON.stringify(scopes))).toEqual(scopes);
  });

  it('carries the region-listing failure as data, so a serialized plan still fails that scope', async () => {
    // Prepare
    accountMock
      .on(ListRegionsCommand)
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    const scopes = await planAwsScopes(policy(), factory, { groups: ['pitr'] });

    // Act
    const [revived] = JSON.parse(JSON.stringify(scopes)) as typeof scopes;
    const plan = runnableScope(revived as (typeof scopes)[number], {
      policy: policy(),
      aws: { factory, collectors: awsCollectors },
    });

    // Assess
    expect(revived?.failure?.code).toBe('AccessDeniedException');
    await expect(plan.collect()).rejects.toMatchObject({ code: 'AccessDeniedException' });
  });

  it('throws a CredentialsError pointing to the demo when no credentials are found', async () => {
    stsMock.on(GetCallerIdentityCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    );
    const planning = planAwsPitrAudit(policy({ aws: { regions: ['eu-west-1'] } }), factory);
    await expect(planning).rejects.toBeInstanceOf(CredentialsError);
    await expect(planning).rejects.toThrow('npm run demo');
  });
});
