/**
 * The policy as the infrastructure sees it: read from CDK context (`backupGuardPolicy` in cdk.json,
 * or `-c backupGuardPolicy='{...}'`), parsed by the one schema in functions/core/policy.ts, then
 * checked for what deployment needs on top of the schema (role names a StackSet can create).
 * Every failure is a {@link PolicyError} that names the field.
 */
import { PolicyError } from '../functions/core/errors.ts';
import { type Policy, parsePolicy } from '../functions/core/policy.ts';

/** The CDK context key that holds the policy. */
export const POLICY_CONTEXT_KEY = 'backupGuardPolicy';

/** Role name of the member-account audit role when the policy lists no member accounts. */
export const DEFAULT_MEMBER_ROLE_NAME = 'certctl-backup-guard-audit-member';

/** An IAM role ARN split into what `iam.Role` takes. */
export interface RoleArnParts {
  readonly accountId: string;
  readonly roleName: string;
  /** `/` or `/some/path/`. */
  readonly path: string;
}

/** Split `arn:aws:iam::123456789012:role/path/name` (the schema has already checked its shape). */
export function parseRoleArn(roleArn: string): RoleArnParts {
  const match = /^arn:[^:]+:iam::(\d{12}):role(\/.*\/|\/)([^/]+)$/.exec(roleArn);
  if (!match)
    throw new PolicyError(`"${roleArn}" is not an IAM role ARN`, [
      { path: '(role)', message: 'not a role ARN' },
    ]);
  return { accountId: match[1] ?? '', path: match[2] ?? '/', roleName: match[3] ?? '' };
}

/**
 * Parse the context value: an object (cdk.json) or a JSON string (`-c key=...` passes strings).
 * Absent means every default.
 */
export function readPolicyContext(value: unknown): Policy {
  const source = `CDK context "${POLICY_CONTEXT_KEY}"`;
  let raw = value;
  if (typeof value === 'string') {
    try {
      raw = JSON.parse(value);
    } catch (error) {
      throw new PolicyError(`${source} is not valid JSON: ${(error as Error).message}`, [], { cause: error });
    }
  }
  const policy = parsePolicy(raw, source);
  validateDeployablePolicy(policy, source);
  return policy;
}

/** The member role name every `aws.accounts[].roleArn` shares (the StackSet creates one name). */
export function memberRoleFrom(policy: Policy): Pick<RoleArnParts, 'roleName' | 'path'> {
  const first = policy.aws.accounts[0];
  if (!first) return { roleName: DEFAULT_MEMBER_ROLE_NAME, path: '/' };
  const { roleName, path } = parseRoleArn(first.roleArn);
  return { roleName, path };
}

/**
 * Deployment constraints beyond the schema; throws one {@link PolicyError} listing every problem.
 * Every rule that holds wherever the policy is used (role ARN in its account, federation role in the
 * central account, a schedule both clouds understand) lives in the schema itself
 * (functions/core/policy.ts). What remains here is about deploying only: one StackSet template
 * creates one member role name in every account.
 */
export function validateDeployablePolicy(policy: Policy, source = 'policy'): void {
  const issues: { path: string; message: string }[] = [];
  const member = memberRoleFrom(policy);
  policy.aws.accounts.forEach((account, index) => {
    const parts = parseRoleArn(account.roleArn);
    if (parts.roleName !== member.roleName || parts.path !== member.path) {
      issues.push({
        path: `aws.accounts.${index}.roleArn`,
        message: `names role ${parts.path}${parts.roleName}, but aws.accounts.0 names ${member.path}${member.roleName}; the member StackSet creates one role name in every account, so all must match`,
      });
    }
  });
  if (issues.length > 0) {
    const lines = issues.map((issue) => `  ${issue.path}: ${issue.message}`);
    throw new PolicyError(`${source} is invalid:\n${lines.join('\n')}`, issues);
  }
}
