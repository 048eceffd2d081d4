/**
 * Planning the keys group through the one planner hook (`places`): its scopes are the places of the
 * inventory's secrets, never every enabled region or project, and the group is in the registry.
 */
import { AccountClient, ListRegionsCommand } from '@aws-sdk/client-account';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { type AwsScopeReader, awsCollectors } from '../../functions/aws/collectors.ts';
import { type PolicyInput, parsePolicy } from '../../functions/core/policy.ts';
import { type GcpClientSource, gcpCollectors } from '../../functions/gcp/collectors.ts';
import { planAudit } from '../../functions/jobs/audit.ts';
import { checkGroup, keyPlaces } from '../../functions/jobs/groups.ts';

const SELF = '999988887777';
const MEMBER = { accountId: '111111111111', roleArn: 'arn:aws:iam::111111111111:role/audit' };
const stsMock = mockClient(STSClient);
const accountMock = mockClient(AccountClient);
const gcp = { cloudSql: () => ({}) } as unknown as GcpClientSource;

const secret = (region: string, account: string, name: string) =>
  ({ kind: 'opaque', secret: `arn:aws:secretsmanager:${region}:${account}:secret:${name}` }) as const;

function inventory(items: Record<string, unknown>, rest: PolicyInput = {}): PolicyInput {
  return { ...rest, keys: { preset: 'none', items } } as PolicyInput;
}

describe('planAudit with the key-material inventory', () => {
  let factory: AwsClientFactory;

  beforeEach(() => {
    stsMock.reset();
    accountMock.reset();
    stsMock.on(GetCallerIdentityCommand).resolves({ Account: SELF });
    factory = new AwsClientFactory({
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKID', secretAccessKey: 's' },
    });
  });

  afterEach(() => {
    factory.destroy();
  });

  const plan = (input: PolicyInput, providers: ('aws' | 'gcp')[], regions?: string[]) =>
    planAudit(
      { providers, groups: ['keys'], ...(regions ? { regions } : {}) },
      {
        policy: parsePolicy(input),
        aws: { factory, collectors: awsCollectors },
        gcp: { clients: gcp, collectors: gcpCollectors },
      },
    );

  it('is registered with the places hook, so the registry (and the readiness gate) finds it', () => {
    // Act
    const keys = checkGroup('keys');
    // Assess
    expect(keys?.checks.map((check) => check.metadata.id)).toContain('keys.present');
    expect(keys?.places).toBeTypeOf('function');
  });

  it('plans one scope per distinct (account, region) holding secrets, listing no region', async () => {
    // Act
    const { scopes } = await plan(
      inventory({
        a: secret('eu-west-1', SELF, 'certctl/a'),
        b: secret('eu-west-1', SELF, 'certctl/b'),
        c: secret('us-east-2', SELF, 'certctl/c'),
      }),
      ['aws'],
    );
    // Assess
    expect(scopes).toEqual([
      { scope: { provider: 'aws', account: SELF, region: 'eu-west-1', group: 'keys' } },
      { scope: { provider: 'aws', account: SELF, region: 'us-east-2', group: 'keys' } },
    ]);
    expect(accountMock.commandCalls(ListRegionsCommand)).toHaveLength(0);
  });

  it('plans a secret in an account the run does not read as a failed scope, never skipped', async () => {
    // Act: the caller is SELF, the secret is in another account and aws.accounts is empty.
    const { scopes } = await plan(inventory({ a: secret('eu-west-1', MEMBER.accountId, 'certctl/a') }), [
      'aws',
    ]);
    // Assess
    expect(scopes).toEqual([
      {
        scope: { provider: 'aws', account: MEMBER.accountId, region: 'eu-west-1', group: 'keys' },
        failure: expect.objectContaining({ code: 'AccountNotAudited' }),
      },
    ]);
  });

  it('reads a member account’s secrets through the member role with no STS call', async () => {
    // Act
    const { scopes } = await plan(
      inventory({ a: secret('eu-west-1', MEMBER.accountId, 'certctl/a') }, { aws: { accounts: [MEMBER] } }),
      ['aws'],
    );
    // Assess
    expect(scopes).toEqual([
      { scope: { provider: 'aws', account: MEMBER.accountId, region: 'eu-west-1', group: 'keys' } },
    ]);
    expect(stsMock.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);
  });

  it('keeps only the run’s regions when the run narrows them', async () => {
    // Act
    const { scopes } = await plan(
      inventory({ a: secret('eu-west-1', SELF, 'certctl/a'), c: secret('us-east-2', SELF, 'certctl/c') }),
      ['aws'],
      ['us-east-2'],
    );
    // Assess
    expect(scopes.map((planned) => planned.scope.region)).toEqual(['us-east-2']);
  });

  describe('while STS is asked for the caller’s account', () => {
    /**
     * Plans with a keys collector that records what it is asked to prepare; STS answers once
     * `expected` places are prepared, or after a second.
     */
    const planPreparing = async (input: PolicyInput, expected: number, regions?: string[]) => {
      const prepared: string[] = [];
      let answered = false;
      let allPrepared: () => void = () => undefined;
      const preparing = new Promise<void>((resolve) => {
        allPrepared = resolve;
      });
      stsMock.on(GetCallerIdentityCommand).callsFake(async () => {
        await Promise.race([preparing, new Promise((resolve) => setTimeout(resolve, 1000))]);
        answered = true;
        return { Account: SELF };
      });
      const keys = Object.assign(async () => [], {
        prepare: (reader: AwsScopeReader) => {
          prepared.push(`${reader.account.accountId}/${reader.region}${answered ? ' after the answer' : ''}`);
          expect(reader.account.roleArn).toBeUndefined();
          if (prepared.length === expected) allPrepared();
        },
      });
      const { scopes } = await planAudit(
        { providers: ['aws'], groups: ['keys'], ...(regions ? { regions } : {}) },
        { policy: parsePolicy(input), aws: { factory, collectors: { keys } } },
      );
      return { scopes, prepared };
    };

    it("has each place's collector prepare its scope, each place once, before the answer", async () => {
      // Act
      const { scopes, prepared } = await planPreparing(
        inventory({
          a: secret('eu-west-1', SELF, 'certctl/a'),
          b: secret('eu-west-1', SELF, 'certctl/b'),
          c: secret('us-east-2', SELF, 'certctl/c'),
        }),
        2,
      );
      // Assess
      expect(prepared).toEqual([`${SELF}/eu-west-1`, `${SELF}/us-east-2`]);
      expect(scopes).toHaveLength(2);
    });

    it('prepares no place outside the run’s regions', async () => {
      // Act
      const { prepared } = await planPreparing(
        inventory({ a: secret('eu-west-1', SELF, 'certctl/a'), c: secret('us-east-2', SELF, 'certctl/c') }),
        1,
        ['us-east-2'],
      );
      // Assess: the us-east-2 place, and no other one afterwards.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(prepared).toEqual([`${SELF}/us-east-2`]);
    });

    it('prepares nothing when the policy lists the accounts (no STS call to wait for)', async () => {
      // Act
      const { prepared } = await planPreparing(
        inventory({ a: secret('eu-west-1', MEMBER.accountId, 'certctl/a') }, { aws: { accounts: [MEMBER] } }),
        0,
      );
      // Assess
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(prepared).toEqual([]);
    });
  });

  it('plans only the GCP projects that hold inventory secrets', async () => {
    // Act
    const { scopes } = await plan(
      inventory(
        { g: { kind: 'opaque', secret: 'projects/certctl-prod/secrets/certctl-config' } },
        { gcp: { projects: ['certctl-prod', 'certctl-stage'] } },
      ),
      ['gcp'],
    );
    // Assess
    expect(scopes).toEqual([
      { scope: { provider: 'gcp', account: 'certctl-prod', region: '*', group: 'keys' } },
    ]);
  });

  it('has no place, so no scope, when the policy has no keys section', () => {
    // Act / Assess
    expect(keyPlaces(parsePolicy({}).keys, 'aws')).toEqual([]);
    expect(keyPlaces(parsePolicy({}).keys, 'gcp')).toEqual([]);
  });
});
