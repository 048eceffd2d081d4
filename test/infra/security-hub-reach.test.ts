/**
 * Each job's Security Hub grants against where its publisher may call Security Hub: every region
 * `securityHubReach` (functions/jobs/groups.ts) gives a job's check groups in an account, which
 * bounds the publisher's reads (publisher.ts `PublishOptions.reach`), must be granted to the role
 * that publishes there: the job's own role for the audit account, the member role for a member.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { CheckGroup } from '../../functions/core/finding.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { securityHubReach } from '../../functions/jobs/groups.ts';
import { publishTargetFrom } from '../../functions/publish/security-hub/asff.ts';
import { AUDIT_DUMPS_SERVICE, AUDIT_KEYS_SERVICE, AUDIT_PITR_SERVICE } from '../../infra/audit-stack.ts';
import { buildBackupGuardApp } from '../../infra/backup-guard-app.ts';
import { readPolicyContext } from '../../infra/policy-context.ts';
import { jobRoleName } from '../../infra/scheduled-job.ts';
import {
  FULL_POLICY,
  flatten,
  type IamStatement,
  iamStatements,
  MEMBER_DUMPS_POLICY,
  MEMBER_KEYS_POLICY,
  OWN_DUMPS_POLICY,
  OWN_KEYS_POLICY,
  roleStatements,
  testContext,
} from './support.ts';

const AUDIT_ACCOUNT = '111111111111';
const MEMBER_ACCOUNT = '222222222222';
/** The audit stack's region, the publisher's home region: deliberately no audited region nor place. */
const HOME_REGION = 'ap-southeast-2';

/**
 * What `<AWS::Region>` stands for in a member role's grants: the member stack's own region, wherever
 * its StackSet deploys it, which is not the home region (only the audit stack's region is).
 */
const MEMBER_OWN_REGION = '(the member stack’s own region)';

/**
 * The regions where `statements` allow `action` (`*` = every region), `<AWS::Region>` being the
 * region of the stack that holds them: `ownRegion`.
 */
function grantedRegions(statements: readonly IamStatement[], action: string, ownRegion: string): string[] {
  const regions = statements
    .filter((s) => s.Effect === 'Allow' && s.Action.includes(action))
    .flatMap((s) =>
      s.Resource.map((resource) => {
        const region = /:securityhub:(<AWS::Region>|[^:]*):/.exec(String(flatten(resource)))?.[1];
        return region === '<AWS::Region>' ? ownRegion : (region ?? '(not a Security Hub ARN)');
      }),
    );
  return [...new Set(regions)].sort();
}

/** The statements of the role that publishes `service`'s findings into `account`. */
function publishingRole(policyInput: unknown, service: string, member: boolean): IamStatement[] {
  const app = new App({ context: testContext() });
  const stacks = buildBackupGuardApp(app, {
    policy: readPolicyContext(policyInput),
    audit: { env: { account: AUDIT_ACCOUNT, region: HOME_REGION } },
  });
  const templates = { audit: Template.fromStack(stacks.audit), member: Template.fromStack(stacks.member) };
  return member
    ? iamStatements(stacks.member, templates.member)
    : roleStatements({ app, stacks, templates }, jobRoleName(service));
}

const LISTED_PITR = { aws: { regions: ['eu-west-1', 'us-east-1'] }, securityHub: { enabled: true } };
const cases: readonly {
  name: string;
  policy: unknown;
  service: string;
  group: CheckGroup;
  account: string;
  member: boolean;
}[] = [
  {
    name: 'audit-pitr, listed regions',
    policy: LISTED_PITR,
    service: AUDIT_PITR_SERVICE,
    group: 'pitr',
    account: AUDIT_ACCOUNT,
    member: false,
  },
  {
    name: 'audit-pitr, every region',
    policy: { ...LISTED_PITR, aws: { regions: 'all' } },
    service: AUDIT_PITR_SERVICE,
    group: 'pitr',
    account: AUDIT_ACCOUNT,
    member: false,
  },
  {
    name: 'audit-pitr, a member account',
    policy: FULL_POLICY,
    service: AUDIT_PITR_SERVICE,
    group: 'pitr',
    account: MEMBER_ACCOUNT,
    member: true,
  },
  {
    // No centralRegion: the home region is the audit stack's (fixed here), which the member role
    // must be granted by name, not as its own stack's region.
    name: 'audit-pitr, a member account, home region the audit stack’s',
    policy: { aws: FULL_POLICY.aws, securityHub: { enabled: true } },
    service: AUDIT_PITR_SERVICE,
    group: 'pitr',
    account: MEMBER_ACCOUNT,
    member: true,
  },
  {
    name: 'audit-dumps, its own buckets',
    policy: OWN_DUMPS_POLICY,
    service: AUDIT_DUMPS_SERVICE,
    group: 'dumps',
    account: AUDIT_ACCOUNT,
    member: false,
  },
  {
    name: 'audit-dumps, a member’s buckets',
    policy: MEMBER_DUMPS_POLICY,
    service: AUDIT_DUMPS_SERVICE,
    group: 'dumps',
    account: MEMBER_ACCOUNT,
    member: true,
  },
  {
    name: 'audit-keys, its own secrets',
    policy: OWN_KEYS_POLICY,
    service: AUDIT_KEYS_SERVICE,
    group: 'keys',
    account: AUDIT_ACCOUNT,
    member: false,
  },
  {
    name: 'audit-keys, a member’s secrets',
    policy: MEMBER_KEYS_POLICY,
    service: AUDIT_KEYS_SERVICE,
    group: 'keys',
    account: MEMBER_ACCOUNT,
    member: true,
  },
];

describe('each job may call Security Hub wherever its publisher may', () => {
  for (const { name, policy, service, group, account, member } of cases) {
    it(`grants every region the publisher may reach: ${name}`, () => {
      // Prepare: the home region as the publisher takes it (securityHub.centralRegion first).
      const parsed = parsePolicy(policy);
      const home = publishTargetFrom(parsed, HOME_REGION).homeRegion;
      const reach = securityHubReach(parsed, [group], account, home);
      expect(reach.length).toBeGreaterThan(0);

      // Act
      const statements = publishingRole(policy, service, member);

      // Assess: both actions, in each region the publisher may call.
      for (const action of ['securityhub:GetFindings', 'securityhub:BatchImportFindings']) {
        const granted = grantedRegions(statements, action, member ? MEMBER_OWN_REGION : HOME_REGION);
        const missing = granted.includes('*') ? [] : reach.filter((region) => !granted.includes(region));
        expect({ action, missing }).toEqual({ action, missing: [] });
      }
    });
  }

  it('reaches a placed job’s own places only, never the home region beyond them', () => {
    // Act
    const reach = securityHubReach(parsePolicy(MEMBER_DUMPS_POLICY), ['dumps'], MEMBER_ACCOUNT, HOME_REGION);

    // Assess
    expect(reach).toEqual(['eu-west-1']);
    expect(
      securityHubReach(parsePolicy(MEMBER_DUMPS_POLICY), ['dumps'], '333333333333', HOME_REGION),
    ).toEqual([]);
    expect(securityHubReach(parsePolicy(LISTED_PITR), ['pitr'], AUDIT_ACCOUNT, HOME_REGION)).toEqual([
      'ap-southeast-2',
      'eu-west-1',
      'us-east-1',
    ]);
  });
});
