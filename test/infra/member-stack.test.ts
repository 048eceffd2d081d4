import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PolicyError } from '../../functions/core/errors.ts';
import { AUDIT_ROLE_NAME } from '../../infra/audit-stack.ts';
import { buildBackupGuardApp } from '../../infra/backup-guard-app.ts';
import { AUDIT_ACCOUNT_PARAMETER, MemberStack } from '../../infra/member-stack.ts';
import { DEFAULT_MEMBER_ROLE_NAME, readPolicyContext } from '../../infra/policy-context.ts';
import {
  FULL_POLICY,
  flatten,
  iamStatements,
  type Synthesized,
  synthesize,
  testContext,
  trustStatements,
} from './support.ts';

describe('MemberStack', () => {
  let full: Synthesized;
  beforeAll(() => {
    full = synthesize(FULL_POLICY);
  });

  it('trusts only the audit and readiness Lambda roles in the audit account given as a parameter', () => {
    // Act
    const trust = trustStatements(full.templates.member, 'AuditMemberRole');

    // Assess: the account is the principal, aws:PrincipalArn narrows it to the two roles.
    expect(trust).toHaveLength(1);
    const [statement] = trust;
    expect(statement?.Effect).toBe('Allow');
    expect(statement?.Action).toBe('sts:AssumeRole');
    const principal = (statement as unknown as { Principal: { AWS: unknown } }).Principal;
    expect(flatten(principal.AWS)).toBe(`arn:<AWS::Partition>:iam::<${AUDIT_ACCOUNT_PARAMETER}>:root`);
    const condition = statement?.Condition as { StringEquals: Record<string, unknown[]> };
    expect(Object.keys(condition)).toEqual(['StringEquals']);
    expect((condition.StringEquals['aws:PrincipalArn'] ?? []).map(flatten)).toEqual([
      `arn:<AWS::Partition>:iam::<${AUDIT_ACCOUNT_PARAMETER}>:role/${AUDIT_ROLE_NAME}`,
      `arn:<AWS::Partition>:iam::<${AUDIT_ACCOUNT_PARAMETER}>:role/certctl-backup-guard-readiness`,
    ]);
  });

  it('trusts several job roles, each by its exact ARN, when the deployment has several jobs', () => {
    // Prepare
    const app = new App({ context: testContext() });
    const stack = new MemberStack(app, 'Member', {
      policy: readPolicyContext(FULL_POLICY),
      trustedRoleNames: ['certctl-backup-guard-audit-pitr', 'certctl-backup-guard-audit-keys'],
    });

    // Act
    const [statement] = trustStatements(Template.fromStack(stack), 'AuditMemberRole');

    // Assess
    const condition = statement?.Condition as { StringEquals: Record<string, unknown[]> };
    expect((condition.StringEquals['aws:PrincipalArn'] ?? []).map(flatten)).toEqual([
      `arn:<AWS::Partition>:iam::<${AUDIT_ACCOUNT_PARAMETER}>:role/certctl-backup-guard-audit-pitr`,
      `arn:<AWS::Partition>:iam::<${AUDIT_ACCOUNT_PARAMETER}>:role/certctl-backup-guard-audit-keys`,
    ]);
  });

  it('trusts a custom audit role name in place of audit-pitr, and still every other job role that reads member accounts', () => {
    // Prepare
    const app = new App({ context: testContext() });
    const { member } = buildBackupGuardApp(app, {
      policy: readPolicyContext(FULL_POLICY),
      audit: { auditRoleName: 'custom-audit' },
    });

    // Act
    const [statement] = trustStatements(Template.fromStack(member), 'AuditMemberRole');

    // Assess: readiness reads every member account whatever the audit role is called.
    const condition = statement?.Condition as { StringEquals: Record<string, unknown[]> };
    expect([condition.StringEquals['aws:PrincipalArn'] ?? []].flat().map(flatten)).toEqual([
      `arn:<AWS::Partition>:iam::<${AUDIT_ACCOUNT_PARAMETER}>:role/custom-audit`,
      `arn:<AWS::Partition>:iam::<${AUDIT_ACCOUNT_PARAMETER}>:role/certctl-backup-guard-readiness`,
    ]);
  });

  it('takes the audit account id as a 12-digit parameter so one template serves a StackSet', () => {
    // Act / Assess
    full.templates.member.hasParameter(AUDIT_ACCOUNT_PARAMETER, {
      Type: 'String',
      AllowedPattern: '^\\d{12}$',
    });
  });

  it('has no bootstrap-version check so a StackSet can deploy it to accounts never bootstrapped', () => {
    // Act
    const template = full.templates.member.toJSON() as {
      Parameters?: Record<string, unknown>;
      Rules?: unknown;
    };

    // Assess
    expect(Object.keys(template.Parameters ?? {})).toEqual([AUDIT_ACCOUNT_PARAMETER]);
    expect(template.Rules).toBeUndefined();
  });

  it('names the role after the role ARNs in policy.aws.accounts', () => {
    // Act / Assess
    full.templates.member.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'certctl-backup-guard-audit-member',
      Path: '/',
    });
  });

  it('uses the role name and path from the policy when the ARNs carry a path', () => {
    // Prepare
    const roleArn = 'arn:aws:iam::222222222222:role/audit/backup-guard-reader';

    // Act
    const synthesized = synthesize({ aws: { accounts: [{ accountId: '222222222222', roleArn }] } });

    // Assess
    synthesized.templates.member.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'backup-guard-reader',
      Path: '/audit/',
    });
  });

  it('falls back to the default role name when the policy lists no member account', () => {
    // Act
    const synthesized = synthesize({});

    // Assess
    synthesized.templates.member.hasResourceProperties('AWS::IAM::Role', {
      RoleName: DEFAULT_MEMBER_ROLE_NAME,
    });
  });

  it('lets the member role read and import findings in every audited region and the home region, and no other', () => {
    // Act
    const statements = iamStatements(full.stacks.member, full.templates.member);
    const resourcesOf = (action: string) =>
      statements.filter((s) => s.Action.includes(action)).flatMap((s) => s.Resource.map(flatten));

    // Assess: the policy audits eu-west-1 and us-east-1; its central region (eu-central-1) is the
    // home region, where an earlier audit of every region left the account's whole-account findings.
    expect(resourcesOf('securityhub:GetFindings')).toEqual(
      ['eu-central-1', 'eu-west-1', 'us-east-1'].map(
        (region) => `arn:<AWS::Partition>:securityhub:${region}:<AWS::AccountId>:hub/default`,
      ),
    );
    expect(resourcesOf('securityhub:BatchImportFindings')).toEqual(
      ['eu-central-1', 'eu-west-1', 'us-east-1'].map(
        (region) =>
          `arn:<AWS::Partition>:securityhub:${region}:<AWS::AccountId>:product/<AWS::AccountId>/default`,
      ),
    );
  });

  it('refuses to synthesize when the member role cannot be granted the home region: a region list, member accounts, no securityHub.centralRegion and an audit stack of no fixed Region', () => {
    // Prepare: the member template goes wherever a StackSet puts it, so its own Region need not be
    // the audit Lambda's, where a whole-account finding is kept.
    const policy = {
      aws: { regions: ['eu-west-1'], accounts: FULL_POLICY.aws.accounts },
      securityHub: { enabled: true },
    };

    // Act
    const act = () => synthesize(policy);

    // Assess: a policy error (infra/app.ts prints it), naming the setting.
    expect(act).toThrow(PolicyError);
    expect(act).toThrow(/securityHub\.centralRegion: .*CertctlBackupGuardAudit/);
  });

  it('grants the member role the audit stack’s Region as the home region when that Region is fixed, and cdk-nag passes', () => {
    // Prepare
    const app = new App({ context: testContext() });
    const stacks = buildBackupGuardApp(app, {
      policy: readPolicyContext({
        aws: { regions: ['eu-west-1'], accounts: FULL_POLICY.aws.accounts },
        securityHub: { enabled: true },
      }),
      audit: { env: { account: '111111111111', region: 'ap-southeast-2' } },
    });

    // Act
    const statements = iamStatements(stacks.member, Template.fromStack(stacks.member));
    app.synth();

    // Assess: the audit stack's Region by name, not the member stack's own (`<AWS::Region>`).
    expect(
      statements
        .filter((s) => s.Action.includes('securityhub:GetFindings'))
        .flatMap((s) => s.Resource.map(flatten)),
    ).toEqual(
      ['ap-southeast-2', 'eu-west-1'].map(
        (region) => `arn:<AWS::Partition>:securityhub:${region}:<AWS::AccountId>:hub/default`,
      ),
    );
  });

  it('lets the member role read and import findings in every region, the audit Lambda’s included, when the policy audits all', () => {
    // Act
    const synthesized = synthesize({ aws: { regions: 'all' }, securityHub: { enabled: true } });
    const statements = iamStatements(synthesized.stacks.member, synthesized.templates.member);

    // Assess
    expect(
      statements
        .filter((s) => s.Action.some((action) => action.startsWith('securityhub:')))
        .map((s) => [s.Action, s.Resource.map(flatten)]),
    ).toEqual([
      [
        ['securityhub:BatchImportFindings'],
        ['arn:<AWS::Partition>:securityhub:*:<AWS::AccountId>:product/<AWS::AccountId>/default'],
      ],
      [['securityhub:GetFindings'], ['arn:<AWS::Partition>:securityhub:*:<AWS::AccountId>:hub/default']],
    ]);
  });

  it('lets the member role describe RDS, its manual snapshots and their KMS keys, and import into its own account’s Security Hub product only', () => {
    // Act
    const statements = iamStatements(full.stacks.member, full.templates.member);

    // Assess
    expect(statements.flatMap((s) => s.Action).sort()).toEqual([
      'kms:DescribeKey',
      'rds:DescribeDBClusterSnapshots',
      'rds:DescribeDBClusters',
      'rds:DescribeDBInstanceAutomatedBackups',
      'rds:DescribeDBInstances',
      'rds:DescribeDBSnapshots',
      'rds:DescribeGlobalClusters',
      'securityhub:BatchImportFindings',
      'securityhub:GetFindings',
    ]);
    const importFindings = statements.find((s) => s.Action.includes('securityhub:BatchImportFindings'));
    for (const resource of importFindings?.Resource.map(flatten) ?? []) {
      expect(resource).toMatch(
        /^arn:<AWS::Partition>:securityhub:[a-z0-9-]+:<AWS::AccountId>:product\/<AWS::AccountId>\/default$/,
      );
    }
    // The snapshot keys: this member account's own keys, in the audited regions.
    const snapshotKeys = statements.find((s) => s.Action.includes('kms:DescribeKey'));
    expect(snapshotKeys?.Resource.map(flatten)).toEqual([
      'arn:<AWS::Partition>:kms:eu-west-1:<AWS::AccountId>:key/*',
      'arn:<AWS::Partition>:kms:us-east-1:<AWS::AccountId>:key/*',
    ]);
  });
});
