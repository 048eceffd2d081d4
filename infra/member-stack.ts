/**
 * The member-account stack, deployed in every audited account (as a CloudFormation StackSet, or
 * with `cdk deploy` one account at a time): the read-only role the audit and readiness Lambdas
 * assume. It can describe RDS/Aurora backup configuration and manual snapshots, read the dump
 * locations and key-material secrets the policy places in member accounts (secret values only with
 * `keys.inspectSecretValues`), and read and import this product's findings in that account's own
 * Security Hub, nothing else.
 *
 * The template has no assets and no bootstrap-version check, so a StackSet can deploy it into
 * accounts that were never CDK-bootstrapped. The audit account id is a parameter, so one template
 * serves every member account.
 */
import {
  Aws,
  CfnOutput,
  CfnParameter,
  DefaultStackSynthesizer,
  Stack,
  type StackProps,
  Token,
} from 'aws-cdk-lib';
import { AccountPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { PolicyError } from '../functions/core/errors.ts';
import type { Policy } from '../functions/core/policy.ts';
import {
  auditRoleAcknowledgements,
  dumpsAcknowledgements,
  keysAcknowledgements,
  memberDumpsStatements,
  memberKeysStatements,
  memberTrustedRoleNames,
} from './audit-stack.ts';
import { acknowledge, nagResource } from './nag.ts';
import {
  auditReadStatements,
  auditRegions,
  memberDumpLocations,
  memberKeySecrets,
  snapshotDescribeStatement,
  snapshotKeyDescribeStatement,
} from './permissions.ts';
import { memberRoleFrom } from './policy-context.ts';
import { snapshotKeyAcknowledgements } from './snapshot-jobs.ts';

/** The CloudFormation parameter that names the audit (management) account. */
export const AUDIT_ACCOUNT_PARAMETER = 'AuditAccountId';

export interface MemberStackProps extends StackProps {
  /** The validated policy: regions and Security Hub settings decide the role's permissions. */
  readonly policy: Policy;
  /**
   * Names of the audit account's job roles that may assume the member role; no other principal is
   * trusted. Each job role holds only its own permissions in the audit account.
   * @default the roles of the jobs that read member accounts (memberTrustedRoleNames): at least
   * ['certctl-backup-guard-audit-pitr', 'certctl-backup-guard-readiness']
   */
  readonly trustedRoleNames?: readonly string[];
  /**
   * Name (and path) of the member role.
   * @default the role named by `policy.aws.accounts[*].roleArn`, else 'certctl-backup-guard-audit-member'
   */
  readonly memberRole?: { readonly roleName: string; readonly path: string };
  /**
   * The audit stack's Region: the Lambdas' own, their home region for Security Hub without
   * `securityHub.centralRegion` (see {@link memberHomeRegion}). A token when that stack is
   * environment-agnostic, which is as good as none.
   * @default unknown
   */
  readonly auditRegion?: string;
}

/**
 * The home region the member role is granted Security Hub in beside the audited regions: where the
 * publisher keeps a whole-account finding of the account (functions/publish/security-hub/asff.ts
 * publishTargetFrom), which is `securityHub.centralRegion`, else the audit Lambda's own region.
 * The member template is deployed wherever its StackSet instances are (one region per account, not
 * necessarily the audit stack's), so its own region (`stackRegion`) stands for the audit Lambda's
 * only where the grant does not depend on it: Security Hub off, `aws.regions: all` (every region is
 * granted) or no member account listed (nobody assumes the role). Otherwise the audit stack's Region
 * must be fixed at synth (`auditRegion`), or synth stops naming `securityHub.centralRegion`: a role
 * granted the wrong region cannot archive or keep alive the findings kept there, and nothing would
 * say so until Security Hub refused a call.
 */
export function memberHomeRegion(
  policy: Policy,
  auditRegion: string | undefined,
  stackRegion: string,
): string {
  if (policy.securityHub.centralRegion !== undefined) return policy.securityHub.centralRegion;
  if (auditRegion !== undefined && !Token.isUnresolved(auditRegion)) return auditRegion;
  if (!policy.securityHub.enabled || policy.aws.regions === 'all' || policy.aws.accounts.length === 0) {
    return stackRegion;
  }
  const issue = {
    path: 'securityHub.centralRegion',
    message:
      'is required when securityHub.enabled, aws.regions lists regions and aws.accounts lists member accounts, unless the CertctlBackupGuardAudit stack has a fixed Region: the member role is granted Security Hub in the audit Lambda’s region, where a whole-account finding is kept, and the member template, deployed wherever its StackSet puts it, cannot know that region. Set it to the region CertctlBackupGuardAudit is deployed in',
  };
  throw new PolicyError(`policy is invalid:\n  ${issue.path}: ${issue.message}`, [issue]);
}

/** The member-account stack: see the module comment. */
export class MemberStack extends Stack {
  readonly memberRole: Role;
  readonly auditAccountId: CfnParameter;

  constructor(scope: Construct, id: string, props: MemberStackProps) {
    super(scope, id, {
      ...props,
      // No BootstrapVersion parameter/rule: StackSet targets need not be bootstrapped.
      synthesizer: props.synthesizer ?? new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
    });
    const { policy } = props;
    this.auditAccountId = new CfnParameter(this, AUDIT_ACCOUNT_PARAMETER, {
      type: 'String',
      allowedPattern: '^\\d{12}$',
      constraintDescription: 'the 12-digit id of the account that runs the audit-pitr Lambda',
      description:
        'The AWS account that runs the certctl-backup-guard audit-pitr Lambda (CertctlBackupGuardAudit).',
    });
    const trusted = props.trustedRoleNames ?? memberTrustedRoleNames(policy);
    if (trusted.length === 0) throw new Error('the member role must trust at least one job role');
    const trustedArns = [...new Set(trusted)].map(
      (roleName) => `arn:${Aws.PARTITION}:iam::${this.auditAccountId.valueAsString}:role/${roleName}`,
    );
    const member = props.memberRole ?? memberRoleFrom(policy);
    // Trust the audit account, narrowed by aws:PrincipalArn to the job roles. Why not the role
    // ARN as principal: IAM rewrites a role principal to its unique id, so recreating the audit role
    // would silently break every member trust, and a StackSet could not be deployed before the audit
    // stack. Why no ExternalId: it defends against a third party acting for many customers (the
    // confused deputy); here the only caller is our own role in our own organization, which
    // aws:PrincipalArn already pins exactly.
    this.memberRole = new Role(this, 'AuditMemberRole', {
      roleName: member.roleName,
      path: member.path,
      description:
        'certctl-backup-guard: read-only RDS backup configuration and Security Hub import for the audit',
      assumedBy: new AccountPrincipal(this.auditAccountId.valueAsString).withConditions({
        StringEquals: {
          // One value stays a string (the template an operator reviews reads as before); several
          // are a list, matched as "any of".
          'aws:PrincipalArn': trustedArns.length === 1 ? trustedArns[0] : trustedArns,
          // With an organisation configured, a caller outside it is refused even if an account id
          // is mistyped or reassigned (global condition keys:
          // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid).
          ...(policy.aws.organizationId ? { 'aws:PrincipalOrgID': policy.aws.organizationId } : {}),
        },
      }),
    });
    // The publisher reads and imports through this role in the audited regions (all of them when
    // aws.regions is `all`) and the home region, where a whole-account finding is kept
    // (memberHomeRegion; infra/permissions.ts securityHubRegions).
    const homeRegion = memberHomeRegion(policy, props.auditRegion, this.region);
    for (const statement of auditReadStatements(policy, homeRegion)) this.memberRole.addToPolicy(statement);
    // The dump locations member accounts hold (audit-dumps), limited to this account's buckets.
    for (const statement of memberDumpsStatements(policy)) this.memberRole.addToPolicy(statement);
    // The inventory secrets member accounts hold (audit-keys), limited to this account's secrets.
    for (const statement of memberKeysStatements(policy)) this.memberRole.addToPolicy(statement);
    // The manual snapshots readiness's snapshot gate lists (read only; snapshots of a member
    // account are taken in that account, by the CLI or a deployment there).
    this.memberRole.addToPolicy(snapshotDescribeStatement(auditRegions(policy)));
    // The key of the snapshot a GO rests on (readiness reads it with this account's credentials).
    this.memberRole.addToPolicy(snapshotKeyDescribeStatement(policy));
    acknowledge(this.memberRole, [
      ...auditRoleAcknowledgements(policy),
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'rds:DescribeDBSnapshots and rds:DescribeDBClusterSnapshots are List-level calls that enumerate the manual snapshots of a region; without an identifier they are authorized against db:* and snapshot:*, cluster:* and cluster-snapshot:* (Service Authorization Reference, Amazon RDS). Read-only, in this account and the audited regions.',
        // db:* is the audit's describes' finding too (auditRoleAcknowledgements); cluster:* is only
        // these listings' in the audited regions when pitr.cross-region reads clusters in every region.
        findings: auditRegions(policy).flatMap((region) => [
          nagResource('rds', region, 'cluster:*'),
          nagResource('rds', region, 'snapshot:*'),
          nagResource('rds', region, 'cluster-snapshot:*'),
        ]),
      },
      ...snapshotKeyAcknowledgements(policy),
      ...dumpsAcknowledgements(memberDumpLocations(policy)),
      ...keysAcknowledgements(
        memberKeySecrets(policy),
        policy.keys?.inspectSecretValues,
        policy.keys?.kmsKeyAccounts,
      ),
    ]);

    new CfnOutput(this, 'MemberRoleArn', { value: this.memberRole.roleArn });
  }
}
