/**
 * The GCP federation role, deployed in the Security Hub central account: the GCP Cloud Function
 * exchanges a Google-signed ID token for it (`sts:AssumeRoleWithWebIdentity`) and imports the Cloud
 * SQL findings. No static key exists anywhere, and no IAM OIDC provider is created: Google
 * (`accounts.google.com`) is built into IAM (IAM condition keys for accounts.google.com,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html).
 *
 * The trust policy pins all three claims with StringEquals: `accounts.google.com:aud` (the token's
 * `azp`, the service account's numeric unique id), `:sub` (the same id) and `:oaud` (the audience
 * the function requests). The audience alone is not enough: any Google identity can mint a token
 * for any audience.
 */
import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, WebIdentityPrincipal } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { Policy } from '../functions/core/policy.ts';
import { importTargetAccountCondition } from './permissions.ts';
import { parseRoleArn } from './policy-context.ts';

/** The identity provider IAM knows for Google-signed tokens. */
export const GOOGLE_PROVIDER = 'accounts.google.com';

/** The GCP federation settings (`policy.gcp.federation`), required for this stack. */
export type GcpFederation = NonNullable<Policy['gcp']['federation']>;

export interface FederationStackProps extends Omit<StackProps, 'env'> {
  /**
   * The Security Hub central account (`policy.securityHub.centralAccountId`): the stack is pinned
   * to it and to {@link securityHubRegion} (`env`), so `cdk deploy` refuses credentials of any other
   * account and the role cannot be created where its findings would not belong.
   */
  readonly centralAccountId: string;
  /** Role ARN (its name and path are used), audience and service-account unique id. */
  readonly federation: GcpFederation;
  /**
   * Region of the central account's Security Hub the function imports into and reads from:
   * `policy.securityHub.centralRegion`, which the policy requires whenever `gcp.federation` is set.
   */
  readonly securityHubRegion: string;
}

/** The federation role: see the module comment. */
export class FederationStack extends Stack {
  readonly federationRole: Role;

  constructor(scope: Construct, id: string, props: FederationStackProps) {
    const { centralAccountId, securityHubRegion, federation, ...stackProps } = props;
    super(scope, id, { ...stackProps, env: { account: centralAccountId, region: securityHubRegion } });
    const { roleName, path } = parseRoleArn(federation.roleArn);
    this.federationRole = new Role(this, 'GcpFederationRole', {
      roleName,
      path,
      description:
        'certctl-backup-guard: the GCP Cloud Function imports Cloud SQL findings into Security Hub',
      assumedBy: new WebIdentityPrincipal(GOOGLE_PROVIDER, {
        StringEquals: {
          [`${GOOGLE_PROVIDER}:aud`]: federation.serviceAccountUniqueId,
          [`${GOOGLE_PROVIDER}:sub`]: federation.serviceAccountUniqueId,
          [`${GOOGLE_PROVIDER}:oaud`]: federation.audience,
        },
      }),
    });
    // Only the central region: the Cloud Function publishes (and calls STS) there and nowhere else.
    const region = props.securityHubRegion;
    this.federationRole.addToPolicy(
      new PolicyStatement({
        sid: 'ImportFindingsIntoCentralProduct',
        effect: Effect.ALLOW,
        actions: ['securityhub:BatchImportFindings'],
        resources: [
          `arn:${Aws.PARTITION}:securityhub:${region}:${Aws.ACCOUNT_ID}:product/${Aws.ACCOUNT_ID}/default`,
        ],
        conditions: importTargetAccountCondition(Aws.ACCOUNT_ID),
      }),
    );
    this.federationRole.addToPolicy(
      new PolicyStatement({
        sid: 'ReadCentralFindings',
        effect: Effect.ALLOW,
        actions: ['securityhub:GetFindings'],
        resources: [`arn:${Aws.PARTITION}:securityhub:${region}:${Aws.ACCOUNT_ID}:hub/default`],
      }),
    );
    new CfnOutput(this, 'FederationRoleArn', {
      value: this.federationRole.roleArn,
      description: 'Must equal gcp.federation.roleArn in the policy.',
    });
  }
}
