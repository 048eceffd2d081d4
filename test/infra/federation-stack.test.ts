import { beforeAll, describe, expect, it } from 'vitest';
import { GOOGLE_PROVIDER } from '../../infra/federation-stack.ts';
import {
  FULL_POLICY,
  flatten,
  iamStatements,
  type Synthesized,
  synthesize,
  trustStatements,
} from './support.ts';

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

  it('uses the stack’s own region when the policy names no central region', () => {
    // Prepare
    const policy = { gcp: { federation: FULL_POLICY.gcp.federation }, securityHub: { enabled: true } };

    // Act
    const synthesized = synthesize(policy);
    const { stack, template } = federationOf(synthesized);
    const statements = iamStatements(stack, template);

    // Assess
    expect(flatten(statements[0]?.Resource[0])).toBe(
      'arn:<AWS::Partition>:securityhub:<AWS::Region>:<AWS::AccountId>:product/<AWS::AccountId>/default',
    );
  });

  it('is not created when the policy has no gcp.federation', () => {
    // Act
    const synthesized = synthesize({});

    // Assess
    expect(synthesized.stacks.federation).toBeUndefined();
    expect(synthesized.app.node.tryFindChild('CertctlBackupGuardFederation')).toBeUndefined();
  });
});
