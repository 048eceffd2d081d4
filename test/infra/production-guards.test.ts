/**
 * The guards a cloud security review asks of the templates: alarms CloudWatch may actually deliver
 * (and nobody else may publish), imports pinned to the account the findings belong to
 * (`securityhub:TargetAccount`), confused-deputy conditions on the Scheduler and member trusts, an
 * invoke grant on the exact function, and the federation stack pinned to the central account.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PolicyError } from '../../functions/core/errors.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { MemberStack } from '../../infra/member-stack.ts';
import { readPolicyContext } from '../../infra/policy-context.ts';
import {
  FULL_POLICY,
  flatten,
  type IamStatement,
  iamStatements,
  type Synthesized,
  synthesize,
  testContext,
  trustStatements,
} from './support.ts';

interface PolicyStatementJson {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal?: unknown;
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of the one resource of `type` whose document sits at `documentKey`. */
function documentStatements(template: Template, type: string, documentKey: string): PolicyStatementJson[] {
  const resources = Object.values(template.findResources(type)) as {
    Properties: Record<string, { Statement: PolicyStatementJson[] }>;
  }[];
  expect(resources).toHaveLength(1);
  return resources[0]?.Properties[documentKey]?.Statement ?? [];
}

/** A condition block with every value flattened to cdk-nag's `<Ref>` notation. */
function flatConditions(
  condition: PolicyStatementJson['Condition'],
): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(condition ?? {}).map(([operator, keys]) => [
      operator,
      Object.fromEntries(Object.entries(keys).map(([key, value]) => [key, flatRef(value)])),
    ]),
  );
}

/** {@link flatten}, and a bare `{ Ref }` as `<Ref>`. */
function flatRef(value: unknown): unknown {
  const ref = (value as { Ref?: unknown } | null)?.Ref;
  return typeof ref === 'string' ? `<${ref}>` : flatten(value);
}

const OWN_ALARMS = {
  StringEquals: { 'aws:SourceAccount': '<AWS::AccountId>' },
  ArnLike: { 'aws:SourceArn': 'arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*' },
};

function importStatements(statements: readonly IamStatement[]): IamStatement[] {
  return statements.filter((statement) => statement.Action.includes('securityhub:BatchImportFindings'));
}

describe('production guards in the templates', () => {
  let full: Synthesized;
  // Synthesis with cdk-nag takes seconds alone and minutes on a loaded machine.
  beforeAll(() => {
    full = synthesize(FULL_POLICY);
  }, 300_000);

  describe('alarm delivery', () => {
    it('lets CloudWatch publish to the alarm topic only from this account’s alarms', () => {
      // Act
      const statements = documentStatements(full.templates.audit, 'AWS::SNS::TopicPolicy', 'PolicyDocument');
      const publish = statements.filter((statement) => statement.Effect === 'Allow');

      // Assess: the topic policy replaces SNS's default, so without this CloudWatch could not publish.
      const [topicId] = Object.keys(full.templates.audit.findResources('AWS::SNS::Topic'));
      expect(publish).toHaveLength(1);
      expect(publish[0]?.Principal).toEqual({ Service: 'cloudwatch.amazonaws.com' });
      expect(publish[0]?.Action).toBe('sns:Publish');
      expect(publish[0]?.Resource).toEqual({ Ref: topicId });
      expect(flatConditions(publish[0]?.Condition)).toEqual(OWN_ALARMS);
    });

    it('grants CloudWatch the alarm key under the same account and alarm conditions', () => {
      // Act
      const statements = documentStatements(full.templates.audit, 'AWS::KMS::Key', 'KeyPolicy');
      const cloudWatch = statements.filter(
        (statement) =>
          (statement.Principal as { Service?: string } | undefined)?.Service === 'cloudwatch.amazonaws.com',
      );

      // Assess
      expect(cloudWatch).toHaveLength(1);
      expect(cloudWatch[0]?.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
      expect(flatConditions(cloudWatch[0]?.Condition)).toEqual(OWN_ALARMS);
    });
  });

  describe('securityhub:TargetAccount on imports', () => {
    it('pins every import of the audit job role to its own account', () => {
      // Act
      const imports = importStatements(iamStatements(full.stacks.audit, full.templates.audit));

      // Assess
      expect(imports).toHaveLength(1);
      expect(imports[0]?.Condition).toEqual({
        StringEquals: { 'securityhub:TargetAccount': { Ref: 'AWS::AccountId' } },
      });
    });

    it('pins every import of the member role to the member account', () => {
      // Act
      const imports = importStatements(iamStatements(full.stacks.member, full.templates.member));

      // Assess
      expect(imports).toHaveLength(1);
      expect(imports[0]?.Condition).toEqual({
        StringEquals: { 'securityhub:TargetAccount': { Ref: 'AWS::AccountId' } },
      });
    });

    it('pins the federation role’s imports to the central account it is deployed in', () => {
      // Prepare
      const stack = full.stacks.federation;
      const template = full.templates.federation;
      if (!stack || !template) throw new Error('the full policy has gcp.federation');

      // Act
      const imports = importStatements(iamStatements(stack, template));

      // Assess
      expect(imports).toHaveLength(1);
      expect(imports[0]?.Condition).toEqual({
        StringEquals: { 'securityhub:TargetAccount': { Ref: 'AWS::AccountId' } },
      });
    });
  });

  describe('EventBridge Scheduler', () => {
    it('trusts the scheduler only for schedules of the job’s own group in this account', () => {
      // Act
      const [group] = Object.values(full.templates.audit.findResources('AWS::Scheduler::ScheduleGroup'));
      const schedule = Object.values(full.templates.audit.findResources('AWS::Scheduler::Schedule'))[0] as {
        Properties: { GroupName: unknown; Target: { RoleArn: { 'Fn::GetAtt': [string, string] } } };
      };
      const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0];
      const trust = trustStatements(full.templates.audit, roleId);

      // Assess
      expect((group as { Properties: { Name: string } }).Properties.Name).toBe(
        'certctl-backup-guard-audit-pitr',
      );
      expect(schedule.Properties.GroupName).toBe('certctl-backup-guard-audit-pitr');
      expect(trust).toHaveLength(1);
      expect(flatConditions((trust[0] as PolicyStatementJson).Condition)).toEqual({
        StringEquals: { 'aws:SourceAccount': '<AWS::AccountId>' },
        ArnLike: {
          'aws:SourceArn': `arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/certctl-backup-guard-audit-pitr/*`,
        },
      });
    });

    it('lets each job’s scheduler invoke exactly its job function, no version or alias wildcard', () => {
      // Act
      const schedules = Object.values(full.templates.audit.findResources('AWS::Scheduler::Schedule')) as {
        Properties: { Target: { Arn: unknown; RoleArn: { 'Fn::GetAtt': [string, string] } } };
      }[];
      const invoke = iamStatements(full.stacks.audit, full.templates.audit).filter((statement) =>
        statement.Action.includes('lambda:InvokeFunction'),
      );
      const policies = full.templates.audit.findResources('AWS::IAM::Policy');
      const grants = invoke.map((statement) => ({
        roles: (policies[statement.resource] as { Properties: { Roles: unknown[] } }).Properties.Roles,
        resources: statement.Resource,
      }));

      // Assess: the audit job and the snapshot job, each scheduler role on its own function only.
      expect(schedules).toHaveLength(2);
      expect(grants).toHaveLength(schedules.length);
      expect(grants).toEqual(
        expect.arrayContaining(
          schedules.map((schedule) => ({
            roles: [{ Ref: schedule.Properties.Target.RoleArn['Fn::GetAtt'][0] }],
            resources: [schedule.Properties.Target.Arn],
          })),
        ),
      );
    });
  });

  describe('member role trust', () => {
    it('requires the caller’s organisation when aws.organizationId is set', () => {
      // Prepare
      const policy = { ...FULL_POLICY, aws: { ...FULL_POLICY.aws, organizationId: 'o-a1b2c3d4e5' } };

      // Act
      const [statement] = trustStatements(synthesize(policy).templates.member, 'AuditMemberRole');

      // Assess
      const condition = statement?.Condition as { StringEquals: Record<string, unknown> };
      expect(condition.StringEquals['aws:PrincipalOrgID']).toBe('o-a1b2c3d4e5');
      expect(condition.StringEquals['aws:PrincipalArn']).toBeDefined();
    });

    it('has no organisation condition when no organisation id is configured', () => {
      // Act
      const app = new App({ context: testContext() });
      const stack = new MemberStack(app, 'Member', { policy: readPolicyContext(FULL_POLICY) });
      const [statement] = trustStatements(Template.fromStack(stack), 'AuditMemberRole');

      // Assess
      const condition = statement?.Condition as { StringEquals: Record<string, unknown> };
      expect(Object.keys(condition.StringEquals)).toEqual(['aws:PrincipalArn']);
    });

    it('refuses an organisation id that is not o- followed by 10 to 32 lowercase letters or digits', () => {
      // Act / Assess
      for (const organizationId of ['o-short', 'O-A1B2C3D4E5', 'r-a1b2c3d4e5', `o-${'a'.repeat(33)}`]) {
        expect(() => parsePolicy({ aws: { organizationId } })).toThrow(PolicyError);
        expect(() => parsePolicy({ aws: { organizationId } })).toThrow(
          /aws\.organizationId: must be an AWS Organizations id/,
        );
      }
      expect(parsePolicy({ aws: { organizationId: `o-${'a1'.repeat(16)}` } }).aws.organizationId).toBe(
        `o-${'a1'.repeat(16)}`,
      );
    });
  });

  describe('federation stack', () => {
    it('is pinned to the Security Hub central account and region', () => {
      // Act
      const stack = full.stacks.federation;

      // Assess: `cdk deploy` refuses credentials of another account, and the template names both.
      expect(stack?.account).toBe(FULL_POLICY.securityHub.centralAccountId);
      expect(stack?.region).toBe(FULL_POLICY.securityHub.centralRegion);
    });
  });
});
