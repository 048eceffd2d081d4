/**
 * The Security Hub grants against what the code really does. The `audit-pitr` handler runs against
 * the simulator with the Lambda's own region as its home region (as the deployed handler does with
 * `AWS_REGION`), and every Security Hub call it makes must be allowed, in that call's region, by the
 * role that made it: the audit role for the Lambda's own account, the member role for a member
 * account. The grant must also not reach further than the regions the publisher can use.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { auditPitr } from '../../functions/handlers/aws/audit-pitr.ts';
import { METRICS_NAMESPACE } from '../../functions/handlers/aws/observability.ts';
import { AUDIT_PITR_SERVICE } from '../../infra/audit-stack.ts';
import { buildBackupGuardApp } from '../../infra/backup-guard-app.ts';
import { readPolicyContext } from '../../infra/policy-context.ts';
import { simCredentials } from '../sim/accounts.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { SECURITY_HUB_SERVICE, type SecurityHubSim } from '../sim/services/security-hub.ts';
import { flatten, type IamStatement, iamStatements, testContext } from './support.ts';

const AUDIT_ACCOUNT = '111111111111';
const MEMBER_ACCOUNT = '222222222222';
const MEMBER_ROLE = 'certctl-backup-guard-audit-member';
/** The Lambda's own region: its home region, deliberately not an audited one. */
const LAMBDA_REGION = 'ap-southeast-2';
const AUDITED = ['eu-west-1', 'us-east-1'] as const;

/** One PostgreSQL instance per account and audited region, short of the 30-day policy: every one is a finding. */
function instances() {
  return [AUDIT_ACCOUNT, MEMBER_ACCOUNT].flatMap((account) =>
    AUDITED.map((region) => ({
      id: `certctl-${account.slice(0, 3)}-${region}`,
      account,
      region,
      backupRetentionPeriod: 7,
      tags: { 'certctl:backup-guard': 'enabled' },
    })),
  );
}

/** A Security Hub call the run made: the action, the account whose credentials signed it, the region. */
interface HubCall {
  readonly action: string;
  readonly account: string;
  readonly region: string;
}

/** The region of a `arn:<partition>:securityhub:<region>:...` grant, with `<AWS::Region>` resolved. */
function regionOf(resource: unknown, stackRegion: string): string {
  const region =
    /:securityhub:(<AWS::Region>|[^:]*):/.exec(String(flatten(resource)))?.[1] ?? '(not a Security Hub ARN)';
  return region === '<AWS::Region>' ? stackRegion : region;
}

/** The regions where `statements` allow `action` (`*` = every region). */
function grantedRegions(statements: readonly IamStatement[], action: string, stackRegion: string): string[] {
  const regions = statements
    .filter((s) => s.Effect === 'Allow' && s.Action.includes(action))
    .flatMap((s) => s.Resource.map((resource) => regionOf(resource, stackRegion)));
  return [...new Set(regions)].sort();
}

function allows(statements: readonly IamStatement[], call: HubCall, stackRegion: string): boolean {
  const regions = grantedRegions(statements, call.action, stackRegion);
  return regions.includes('*') || regions.includes(call.region);
}

/** The audit stack deployed in the Lambda's region, and the member stack (environment-agnostic, as a StackSet deploys it). */
function grants(policyInput: unknown) {
  const app = new App({ context: testContext() });
  const { audit, member } = buildBackupGuardApp(app, {
    policy: readPolicyContext(policyInput),
    audit: { env: { account: AUDIT_ACCOUNT, region: LAMBDA_REGION } },
  });
  return {
    audit: iamStatements(audit, Template.fromStack(audit)),
    member: iamStatements(member, Template.fromStack(member)),
  };
}

describe('Security Hub grants match the regions the publisher uses', () => {
  let sim: Sim;

  beforeEach(async () => {
    // The handler's metrics go to stdout as EMF; this test only needs its API calls.
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    sim = await startSim({
      scenario: {
        accounts: [{ id: AUDIT_ACCOUNT }, { id: MEMBER_ACCOUNT, assumableRoles: [{ name: MEMBER_ROLE }] }],
        regions: [...AUDITED, LAMBDA_REGION].map((name) => ({ name })),
        services: { rds: { instances: instances() } },
      },
    });
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    await sim.close();
  });

  /** Run the Lambda's code path for `policyInput` and return its Security Hub calls. */
  async function securityHubCalls(policyInput: unknown): Promise<HubCall[]> {
    const policy = parsePolicy(policyInput);
    const factory = new AwsClientFactory({
      maxAttempts: 2,
      credentials: simCredentials(AUDIT_ACCOUNT),
      endpoint: sim.endpoint,
      stsRegion: LAMBDA_REGION,
    });
    try {
      const result = await auditPitr(
        {},
        {
          policy,
          factory,
          logger: new Logger({ serviceName: AUDIT_PITR_SERVICE, logLevel: 'SILENT' }),
          metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: AUDIT_PITR_SERVICE }),
          homeRegion: LAMBDA_REGION,
        },
      );
      expect(result.scopes.failed).toEqual([]);
      expect(result.published?.counts.created).toBeGreaterThan(0);
    } finally {
      factory.destroy();
    }
    return sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE).calls.map((call) => ({
      action: `securityhub:${call.operation}`,
      account: call.callerAccount ?? '(unsigned)',
      region: call.region,
    }));
  }

  const memberAccounts = [
    { accountId: MEMBER_ACCOUNT, roleArn: `arn:aws:iam::${MEMBER_ACCOUNT}:role/${MEMBER_ROLE}` },
  ];
  const cases = [
    {
      name: 'the Lambda’s own account with listed regions',
      policy: { aws: { regions: [...AUDITED] }, securityHub: { enabled: true } },
      role: 'audit',
      account: AUDIT_ACCOUNT,
    },
    {
      name: 'a member account with listed regions',
      policy: { aws: { regions: [...AUDITED], accounts: memberAccounts }, securityHub: { enabled: true } },
      role: 'member',
      account: MEMBER_ACCOUNT,
    },
    {
      name: 'the Lambda’s own account with all regions',
      policy: { aws: { regions: 'all' }, securityHub: { enabled: true } },
      role: 'audit',
      account: AUDIT_ACCOUNT,
    },
    {
      name: 'a member account with all regions',
      policy: { aws: { regions: 'all', accounts: memberAccounts }, securityHub: { enabled: true } },
      role: 'member',
      account: MEMBER_ACCOUNT,
    },
  ] as const;

  for (const { name, policy, role, account } of cases) {
    it(`allows every Security Hub read and import the audit makes in ${name}`, async () => {
      // Prepare
      const statements = grants(policy)[role];

      // Act
      const calls = await securityHubCalls(policy);

      // Assess: both actions were used, each in the account the role belongs to, and all are granted.
      expect(new Set(calls.map((call) => call.action))).toEqual(
        new Set(['securityhub:GetFindings', 'securityhub:BatchImportFindings']),
      );
      expect(new Set(calls.map((call) => call.account))).toEqual(new Set([account]));
      expect(calls.filter((call) => !allows(statements, call, LAMBDA_REGION))).toEqual([]);
    });
  }

  it('grants the audit role exactly the listed regions and the home region, which cover every region the publisher calls', async () => {
    // Prepare
    const policy = { aws: { regions: [...AUDITED] }, securityHub: { enabled: true } };

    // Act
    const statements = grants(policy).audit;
    const used = [...new Set((await securityHubCalls(policy)).map((call) => call.region))];

    // Assess: nothing beyond what the publisher may use. With a region list it reads the home region
    // while the import ledger holds a whole-account finding left from an audit of every region
    // (publisher.ts wholeAccountHolders), to keep an account's findings alive, or, without a ledger
    // store as here, for its whole-account findings only (publisher.ts wholeAccountProbes).
    const expected = [...AUDITED, LAMBDA_REGION].sort();
    expect(grantedRegions(statements, 'securityhub:GetFindings', LAMBDA_REGION)).toEqual(expected);
    expect(grantedRegions(statements, 'securityhub:BatchImportFindings', LAMBDA_REGION)).toEqual(expected);
    expect(used.sort()).toEqual(expected);
  });

  it('grants the member role exactly the listed regions and the home region, for both actions', () => {
    // Act
    const statements = grants({
      aws: { regions: [...AUDITED], accounts: memberAccounts },
      securityHub: { enabled: true },
    }).member;

    // Assess: the audit stack's Region (the Lambda's) is the home region, named in the member
    // template whichever region its StackSet deploys it in (infra/member-stack.ts memberHomeRegion),
    // never as the member stack's own region.
    const ownRegion = '(the member stack’s own region)';
    const expected = [...AUDITED, LAMBDA_REGION].sort();
    expect(grantedRegions(statements, 'securityhub:GetFindings', ownRegion)).toEqual(expected);
    expect(grantedRegions(statements, 'securityhub:BatchImportFindings', ownRegion)).toEqual(expected);
  });
});
