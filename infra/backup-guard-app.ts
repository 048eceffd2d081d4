/**
 * The CDK app's composition: which stacks exist for a policy, and the cdk-nag AwsSolutions checks
 * over all of them. infra/app.ts (the `cdk.json` entry point) only reads context and calls this;
 * tests call it with their own policies.
 */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PolicyError } from '../functions/core/errors.ts';
import type { Policy } from '../functions/core/policy.ts';
import { AuditStack, type AuditStackProps, memberTrustedRoleNames } from './audit-stack.ts';
import { FederationStack } from './federation-stack.ts';
import { MemberStack } from './member-stack.ts';

/** Stack names, stable because operators type them (`cdk deploy CertctlBackupGuardAudit`). */
export const STACK_NAMES = {
  audit: 'CertctlBackupGuardAudit',
  member: 'CertctlBackupGuardMember',
  federation: 'CertctlBackupGuardFederation',
} as const;

export interface BackupGuardStacks {
  readonly audit: AuditStack;
  readonly member: MemberStack;
  /** Present only when `policy.gcp.federation` is set. */
  readonly federation: FederationStack | undefined;
}

export interface BackupGuardAppOptions {
  /** The validated policy (infra/policy-context.ts `readPolicyContext`). */
  readonly policy: Policy;
  /**
   * Overrides for the audit stack (tests point `entry` elsewhere, for instance).
   * @default none
   */
  readonly audit?: Omit<AuditStackProps, 'policy'>;
}

/**
 * `securityHub.centralAccountId` and `centralRegion`, which parsePolicy already requires with
 * `gcp.federation`; checked again so a policy built without the schema cannot fall back to some
 * other account or region.
 */
function centralHubOf(policy: Policy): { readonly account: string; readonly region: string } {
  const why = 'is required when gcp.federation is set (the Cloud Function publishes there)';
  const issues = [
    ...(policy.securityHub.centralAccountId === undefined
      ? [{ path: 'securityHub.centralAccountId', message: why }]
      : []),
    ...(policy.securityHub.centralRegion === undefined
      ? [{ path: 'securityHub.centralRegion', message: why }]
      : []),
  ];
  const { centralAccountId: account, centralRegion: region } = policy.securityHub;
  if (account !== undefined && region !== undefined) return { account, region };
  const lines = issues.map((issue) => `  ${issue.path}: ${issue.message}`);
  throw new PolicyError(`policy is invalid:\n${lines.join('\n')}`, issues);
}

/** Add the stacks for `options.policy` to `app`, with cdk-nag AwsSolutions checks on all of them. */
export function buildBackupGuardApp(app: App, options: BackupGuardAppOptions): BackupGuardStacks {
  const { policy } = options;
  const audit = new AuditStack(app, STACK_NAMES.audit, {
    description: 'certctl-backup-guard: scheduled managed-Postgres PITR audit (audit account)',
    ...options.audit,
    policy,
  });
  const member = new MemberStack(app, STACK_NAMES.member, {
    description: 'certctl-backup-guard: read-only audit role (every member account, e.g. as a StackSet)',
    policy,
    // The member role is granted Security Hub in the audit Lambdas' home region (memberHomeRegion).
    auditRegion: audit.region,
    // The member role trusts the job roles by name, so both stacks must agree on them.
    ...(options.audit?.auditRoleName
      ? { trustedRoleNames: memberTrustedRoleNames(policy, options.audit.auditRoleName) }
      : {}),
  });
  const federation = policy.gcp.federation
    ? federationStack(app, policy.gcp.federation, centralHubOf(policy))
    : undefined;
  // cdk-nag 3 is a policy-validation plugin: any unacknowledged finding (error or warning) fails
  // synth. Acknowledgements are also written into the templates (cdk_nag metadata) for auditors.
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }),
  );
  return { audit, member, federation };
}

function federationStack(
  app: App,
  federation: NonNullable<Policy['gcp']['federation']>,
  central: { readonly account: string; readonly region: string },
): FederationStack {
  return new FederationStack(app, STACK_NAMES.federation, {
    description: 'certctl-backup-guard: role the GCP Cloud Function assumes with a Google ID token',
    federation,
    centralAccountId: central.account,
    securityHubRegion: central.region,
  });
}
