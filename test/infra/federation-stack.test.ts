import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { PolicyError } from '../../functions/core/errors.ts';
import { buildBackupGuardApp } from '../../infra/backup-guard-app.ts';
import { GOOGLE_PROVIDER } from '../../infra/federation-stack.ts';
import { readPolicyContext } from '../../infra/policy-context.ts';
import {
  FULL_POLICY,
  flatten,
  iamStatements,
  type Synthesized,
  synthesize,
  testContext,
  trustStatements,
} from './support.ts';

function policyErrorOf(act: () => unknown): PolicyError {
  try {
    act();
  } catch (error) {
    if (error instanceof PolicyError) return error;
    throw error;
  }
  throw new Error('expected a PolicyError');
}

/** The federation stack and template; the policies used here all set gcp.federation. */
function federationOf(synthesized: Synthesized) {
  const { federation: stack } = synthesized.stacks;
  const { federation: template } = synthesized.templates;
  if (!stack || !template) throw new Error('expected a FederationStack for this policy');
  return { stack, template };
}

describe('FederationStack', () => {
  let full: Synthesized;
  beforeAll(() => {
    full = synthesize(FULL_POLICY);
  });

  it('trusts accounts.google.com with aud, sub and oaud all pinned to the policy values', () => {
    // Prepare
    const { federation } = FULL_POLICY.gcp;

    // Act
    const trust = trustStatements(federationOf(full).template, 'GcpFederationRole');

    // Assess
    expect(trust).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: { Federated: GOOGLE_PROVIDER },
        Condition: {
          StringEquals: {
            'accounts.google.com:aud': federation.serviceAccountUniqueId,
            'accounts.google.com:sub': federation.serviceAccountUniqueId,
            'accounts.google.com:oaud': federation.audience,
          },
        },
      },
    ]);
  });

  it('trusts each listed function account (one id or a list), and no account outside the list', () => {
    // Prepare: two audit functions, each with its own service account.
    const ids = ['111111111111111111111', '222222222222222222222'];
    const policy = {
      ...FULL_POLICY,
      gcp: { ...FULL_POLICY.gcp, federation: { ...FULL_POLICY.gcp.federation, serviceAccountUniqueId: ids } },
    };

    // Act
    const trust = trustStatements(federationOf(synthesize(policy)).template, 'GcpFederationRole');

    // Assess: StringEquals with a list matches any one value; aud and sub of a service account's
    // token are both its own id.
    expect(trust[0]?.Condition).toEqual({
      StringEquals: {
        'accounts.google.com:aud': ids,
        'accounts.google.com:sub': ids,
        'accounts.google.com:oaud': FULL_POLICY.gcp.federation.audience,
      },
    });
  });

  it('creates the role named by gcp.federation.roleArn and no IAM OIDC provider', () => {
    // Act
    const { template } = federationOf(full);

    // Assess
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'certctl-backup-guard-gcp', Path: '/' });
    template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    template.resourceCountIs('Custom::AWSCDKOpenIdConnectProvider', 0);
    expect(Object.keys(template.toJSON().Resources ?? {})).toHaveLength(2);
  });

  it('allows only importing into the central account’s product and reading its findings', () => {
    // Act
    const { stack, template } = federationOf(full);
    const statements = iamStatements(stack, template);

    // Assess: eu-central-1 is securityHub.centralRegion.
    expect(statements.map((s) => [s.Action, s.Resource.map(flatten)])).toEqual([
      [
        ['securityhub:BatchImportFindings'],
        ['arn:<AWS::Partition>:securityhub:eu-central-1:<AWS::AccountId>:product/<AWS::AccountId>/default'],
      ],
      [
        ['securityhub:GetFindings'],
        ['arn:<AWS::Partition>:securityhub:eu-central-1:<AWS::AccountId>:hub/default'],
      ],
    ]);
  });

  it('grants Security Hub in securityHub.centralRegion only, whatever the audited regions', () => {
    // Prepare: a central region that is neither audited nor the default of anything.
    const policy = {
      ...FULL_POLICY,
      securityHub: { ...FULL_POLICY.securityHub, centralRegion: 'ap-southeast-2' },
    };

    // Act
    const { stack, template } = federationOf(synthesize(policy));
    const resources = iamStatements(stack, template).flatMap((s) => s.Resource.map(flatten));

    // Assess
    expect(resources).toEqual([
      'arn:<AWS::Partition>:securityhub:ap-southeast-2:<AWS::AccountId>:product/<AWS::AccountId>/default',
      'arn:<AWS::Partition>:securityhub:ap-southeast-2:<AWS::AccountId>:hub/default',
    ]);
  });

  it('stops synth naming the missing central account and region when gcp.federation is set without them', () => {
    // Prepare
    const policy = { gcp: { federation: FULL_POLICY.gcp.federation }, securityHub: { enabled: true } };

    // Act
    const error = policyErrorOf(() => synthesize(policy));

    // Assess
    expect(error.issues.map((issue) => issue.path)).toEqual([
      'securityHub.centralAccountId',
      'securityHub.centralRegion',
    ]);
    expect(error.message).toContain('securityHub.centralRegion: is required when gcp.federation is set');
  });

  it('refuses to be built without the central region', () => {
    // Prepare: a policy assembled without the schema (parsePolicy would have refused it).
    const policy = readPolicyContext(FULL_POLICY);
    const unchecked = { ...policy, securityHub: { ...policy.securityHub, centralRegion: undefined } };

    // Act
    const error = policyErrorOf(() =>
      buildBackupGuardApp(new App({ context: testContext() }), { policy: unchecked }),
    );

    // Assess
    expect(error.issues.map((issue) => issue.path)).toEqual(['securityHub.centralRegion']);
  });

  it('is not created when the policy has no gcp.federation', () => {
    // Act
    const synthesized = synthesize({});

    // Assess
    expect(synthesized.stacks.federation).toBeUndefined();
    expect(synthesized.app.node.tryFindChild('CertctlBackupGuardFederation')).toBeUndefined();
  });
});
