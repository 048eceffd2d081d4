/**
 * The IAM statements the audit roles share: read-only RDS describe calls, the region list, and the
 * Security Hub custom-integration import. Built in one place so the audit role (management/audit
 * account), the member role (every member account) and the GCP federation role cannot drift.
 *
 * Resource scoping follows the Service Authorization Reference for Amazon RDS, AWS Account
 * Management and AWS Security Hub (docs.aws.amazon.com/service-authorization/latest/reference/):
 * - `rds:DescribeDBInstances` takes resource type `db`, `rds:DescribeDBClusters` `cluster`,
 *   `rds:DescribeDBInstanceAutomatedBackups` `auto-backup`. A list call without an identifier is
 *   authorized against `arn:<partition>:rds:<region>:<account>:db:*` (and `cluster:*`,
 *   `auto-backup:*`), so the narrowest grant that still lists every database is that pattern per
 *   region, scoped to the caller's own account; never `*`.
 * - `account:ListRegions` takes resource type `account` (`arn:<partition>:account::<account>:account`).
 * - `securityhub:BatchImportFindings` takes resource type `product`: the account's own default
 *   product `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`.
 * - `securityhub:GetFindings` takes resource type `hub`: `arn:<partition>:securityhub:<region>:<account>:hub/default`.
 * - `sts:GetCallerIdentity` needs no permission at all (STS API reference), so none is granted.
 */
import { Aws } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { keyInventory } from '../functions/core/keys-policy.ts';
import type { Policy } from '../functions/core/policy.ts';

/** Regions an ARN is scoped to: a list, or `*` when the policy audits every enabled region. */
export type RegionScope = readonly string[];

/** The RDS actions the audit calls; all three are List-level and read nothing but configuration. */
export const RDS_DESCRIBE_ACTIONS = [
  'rds:DescribeDBInstances',
  'rds:DescribeDBClusters',
  'rds:DescribeDBInstanceAutomatedBackups',
] as const;

/** Regions the audit reads: the policy's list, or `*` for `aws.regions: all`. */
export function auditRegions(policy: Policy): RegionScope {
  return policy.aws.regions === 'all' ? ['*'] : [...policy.aws.regions];
}

/**
 * Regions whose Security Hub the audit reads (`GetFindings`) and imports into
 * (`BatchImportFindings`), as functions/publish/security-hub decides them:
 * - a finding about a database goes to that database's own account and region: the audited regions;
 * - a finding about a whole account (region `*`) exists only with `aws.regions: all` (when
 *   `account:ListRegions` failed) and goes to the home region, the Lambda's own region; the
 *   publisher reads the home region only then, and `*` covers it;
 * - GCP findings go to `securityHub.centralAccountId`/`centralRegion`, but only the CLI and the GCP
 *   Cloud Function publish them (the Lambda audits AWS only), so nothing is granted for them here.
 * So the grant is exactly the audited regions, or `*` for `aws.regions: all`.
 */
export function securityHubRegions(policy: Policy): RegionScope {
  return auditRegions(policy);
}

/** `arn:<partition>:<service>:<region>:<this account>:<resource>` for each region. */
function arnsPerRegion(service: string, regions: RegionScope, resource: string): string[] {
  return regions.map((region) => `arn:${Aws.PARTITION}:${service}:${region}:${Aws.ACCOUNT_ID}:${resource}`);
}

/** Read-only RDS/Aurora describe calls in this account, in `regions`. */
export function rdsDescribeStatements(regions: RegionScope): PolicyStatement[] {
  return [
    new PolicyStatement({
      sid: 'DescribeDbInstances',
      effect: Effect.ALLOW,
      actions: ['rds:DescribeDBInstances'],
      resources: arnsPerRegion('rds', regions, 'db:*'),
    }),
    new PolicyStatement({
      sid: 'DescribeDbClusters',
      effect: Effect.ALLOW,
      actions: ['rds:DescribeDBClusters'],
      resources: arnsPerRegion('rds', regions, 'cluster:*'),
    }),
    new PolicyStatement({
      sid: 'DescribeDbInstanceAutomatedBackups',
      effect: Effect.ALLOW,
      actions: ['rds:DescribeDBInstanceAutomatedBackups'],
      resources: arnsPerRegion('rds', regions, 'auto-backup:*'),
    }),
  ];
}

/** `account:ListRegions` on this account only (used when the policy audits `all` regions). */
export function listRegionsStatement(): PolicyStatement {
  return new PolicyStatement({
    sid: 'ListEnabledRegions',
    effect: Effect.ALLOW,
    actions: ['account:ListRegions'],
    resources: [`arn:${Aws.PARTITION}:account::${Aws.ACCOUNT_ID}:account`],
  });
}

/**
 * Security Hub custom integration for this account: import into its own default product, and read
 * the findings back (the lifecycle reads current findings once per run to import only changes).
 */
export function securityHubStatements(regions: RegionScope): PolicyStatement[] {
  return [
    new PolicyStatement({
      sid: 'ImportFindingsIntoOwnProduct',
      effect: Effect.ALLOW,
      actions: ['securityhub:BatchImportFindings'],
      resources: arnsPerRegion('securityhub', regions, `product/${Aws.ACCOUNT_ID}/default`),
    }),
    new PolicyStatement({
      sid: 'ReadFindings',
      effect: Effect.ALLOW,
      actions: ['securityhub:GetFindings'],
      resources: arnsPerRegion('securityhub', regions, 'hub/default'),
    }),
  ];
}

/** Every statement an audit role needs under `policy`: the Lambda's own role or a member role. */
export function auditReadStatements(policy: Policy): PolicyStatement[] {
  return [
    ...rdsDescribeStatements(auditRegions(policy)),
    ...(policy.aws.regions === 'all' ? [listRegionsStatement()] : []),
    ...(policy.securityHub.enabled ? securityHubStatements(securityHubRegions(policy)) : []),
  ];
}

/**
 * The key-material audit's grants (Service Authorization Reference, AWS Secrets Manager and AWS KMS):
 * - `secretsmanager:DescribeSecret` on the inventory's secrets only. A secret ARN ends in a
 *   6-character suffix Secrets Manager appends, so a secret named without it is granted as
 *   `<name>-??????` (Secrets Manager user guide, "Permissions policy examples").
 * - `kms:DescribeKey` on keys in the inventory's accounts and regions: which key a secret uses is
 *   only known from DescribeSecret at run time.
 * - Only with `keys.inspectSecretValues`: `secretsmanager:GetSecretValue` on the inventory's secrets,
 *   `secretsmanager:BatchGetSecretValue` (which has no resource type and checks GetSecretValue on
 *   each secret), and `kms:Decrypt` only through Secrets Manager (`kms:ViaService`).
 */
export function keysReadStatements(policy: Policy): PolicyStatement[] {
  if (!policy.keys) return [];
  const secrets = keyInventory(policy.keys).flatMap((item) =>
    item.location.provider === 'aws' ? [item.location] : [],
  );
  if (secrets.length === 0) return [];
  const secretArns = [
    ...new Set(
      secrets.flatMap((secret) => {
        const base = `arn:${Aws.PARTITION}:secretsmanager:${secret.region}:${secret.account}:secret:${secret.name}`;
        return [base, `${base}-??????`];
      }),
    ),
  ].sort();
  const places = [...new Set(secrets.map((secret) => `${secret.region}:${secret.account}`))].sort();
  const keyArns = places.map((place) => `arn:${Aws.PARTITION}:kms:${place}:key/*`);
  const statements = [
    new PolicyStatement({
      sid: 'DescribeInventorySecrets',
      effect: Effect.ALLOW,
      actions: ['secretsmanager:DescribeSecret'],
      resources: secretArns,
    }),
    new PolicyStatement({
      sid: 'DescribeInventoryKeys',
      effect: Effect.ALLOW,
      actions: ['kms:DescribeKey'],
      resources: keyArns,
    }),
  ];
  if (policy.keys.inspectSecretValues) {
    statements.push(
      new PolicyStatement({
        sid: 'ReadInventorySecretValues',
        effect: Effect.ALLOW,
        actions: ['secretsmanager:GetSecretValue'],
        resources: secretArns,
      }),
      new PolicyStatement({
        sid: 'BatchReadSecretValues',
        effect: Effect.ALLOW,
        actions: ['secretsmanager:BatchGetSecretValue'],
        resources: ['*'],
      }),
      new PolicyStatement({
        sid: 'DecryptThroughSecretsManagerOnly',
        effect: Effect.ALLOW,
        actions: ['kms:Decrypt'],
        resources: keyArns,
        conditions: {
          StringEquals: {
            'kms:ViaService': [
              ...new Set(secrets.map((secret) => `secretsmanager.${secret.region}.amazonaws.com`)),
            ].sort(),
          },
        },
      }),
    );
  }
  if (policy.securityHub.enabled) {
    statements.push(...securityHubStatements([...new Set(secrets.map((secret) => secret.region))].sort()));
  }
  return statements;
}
