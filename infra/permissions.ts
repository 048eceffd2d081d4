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
 * - `securityhub:TargetAccount` (the finding's `AwsAccountId`) is the only Security Hub condition key
 *   and only `BatchImportFindings` supports it: every import grant pins it to the account the
 *   findings belong to.
 * - `sts:GetCallerIdentity` needs no permission at all (STS API reference), so none is granted.
 */
import { Aws } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SNAPSHOT_ID_PREFIX, SNAPSHOT_PURPOSE, SNAPSHOT_TAGS } from '../functions/actions/snapshot/model.ts';
import { keyInventory, type SecretLocation, secretKey } from '../functions/core/keys-policy.ts';
import type { Policy } from '../functions/core/policy.ts';

/** Regions an ARN is scoped to: a list, or `*` when the policy audits every enabled region. */
export type RegionScope = readonly string[];

/**
 * The RDS actions the audit calls; all are List-level and read nothing but configuration
 * (DescribeGlobalClusters only for a global member whose role DescribeDBClusters does not show).
 */
export const RDS_DESCRIBE_ACTIONS = [
  'rds:DescribeDBInstances',
  'rds:DescribeDBClusters',
  'rds:DescribeDBInstanceAutomatedBackups',
  'rds:DescribeGlobalClusters',
] as const;

/** Regions the audit reads: the policy's list, or `*` for `aws.regions: all`. */
export function auditRegions(policy: Policy): RegionScope {
  return policy.aws.regions === 'all' ? ['*'] : [...policy.aws.regions];
}

/**
 * Regions whose automated backups the audit lists: the audited ones, and every Region (`*`) when
 * `pitr.requireCrossRegionBackup` has `pitr.cross-region` read each replication's destination
 * (functions/aws/rds.ts readReplicatedBackups): the destinations are named by the sources'
 * `DBInstanceAutomatedBackupsReplications` ARNs, known only at run time, and need not be audited
 * Regions. The same Regions are where it describes an Aurora cluster's copies
 * (functions/aws/rds.ts readCopyClusters: a read replica cluster in `ReadReplicaIdentifiers`, a
 * global database secondary's primary), named by ARN at run time alike. Still read-only and in this
 * account only.
 */
export function automatedBackupRegions(policy: Policy): RegionScope {
  return policy.pitr.requireCrossRegionBackup ? ['*'] : auditRegions(policy);
}

/**
 * Regions whose Security Hub the audit reads (`GetFindings`) and imports into
 * (`BatchImportFindings`), as functions/publish/security-hub decides them:
 * - a finding about a database goes to that database's own account and region: the audited regions;
 * - a finding about a whole account (region `*`) is written only with `aws.regions: all` (when
 *   `account:ListRegions` failed) and goes to the home region, `securityHub.centralRegion` or else
 *   the audit Lambda's own region (`stackRegion`); `*` covers it. With a region list the publisher
 *   still reads the home region to archive such a finding left from when the policy audited every
 *   region (while the import ledger holds one, publisher.ts wholeAccountHolders), and to keep alive
 *   the findings of an account that failed, so the home region is granted beside the audited ones.
 *   The member stack is given its home region (infra/member-stack.ts memberHomeRegion: never
 *   its own region where that may not be the audit stack's);
 * - GCP findings go to `securityHub.centralAccountId`/`centralRegion`, but only the CLI and the GCP
 *   Cloud Function publish them (the Lambda audits AWS only), so nothing more is granted for them here.
 * So the grant is the audited regions and the home region, or `*` for `aws.regions: all`.
 */
export function securityHubRegions(policy: Policy, stackRegion: string): RegionScope {
  if (policy.aws.regions === 'all') return ['*'];
  return [...new Set([...policy.aws.regions, policy.securityHub.centralRegion ?? stackRegion])];
}

/** The audited Regions and those of the cross-Region copies, or only `*` when either is every Region. */
export function clusterRegions(regions: RegionScope, backupRegions: RegionScope): RegionScope {
  const all = [...new Set([...regions, ...backupRegions])];
  return all.includes('*') ? ['*'] : all;
}

/** `arn:<partition>:<service>:<region>:<this account>:<resource>` for each region. */
function arnsPerRegion(service: string, regions: RegionScope, resource: string): string[] {
  return regions.map((region) => `arn:${Aws.PARTITION}:${service}:${region}:${Aws.ACCOUNT_ID}:${resource}`);
}

/**
 * Read-only RDS/Aurora describe calls in this account, in `regions` (the automated-backup listing in
 * `backupRegions`, {@link automatedBackupRegions}; none for `[]`: the snapshot job lists databases,
 * never their automated backups). DescribeDBClusters is also granted in `backupRegions`, where
 * pitr.cross-region reads an Aurora cluster's copies by ARN.
 */
export function rdsDescribeStatements(
  regions: RegionScope,
  backupRegions: RegionScope = regions,
): PolicyStatement[] {
  const statements = [
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
      resources: arnsPerRegion('rds', clusterRegions(regions, backupRegions), 'cluster:*'),
    }),
    new PolicyStatement({
      sid: 'DescribeDbInstanceAutomatedBackups',
      effect: Effect.ALLOW,
      actions: ['rds:DescribeDBInstanceAutomatedBackups'],
      resources: arnsPerRegion('rds', backupRegions, 'auto-backup:*'),
    }),
  ];
  return backupRegions.length > 0 ? statements : statements.slice(0, 2);
}

/**
 * `rds:DescribeGlobalClusters` in this account: the PITR audit reads the role (`IsWriter`) of a
 * global database member that DescribeDBClusters lists without its source and without a DB
 * instance or a writer instance (functions/aws/rds.ts readGlobalRoles). A List-level call whose resource type is
 * `global-cluster`, whose ARN names no Region (`arn:<partition>:rds::<account>:global-cluster:<name>`,
 * Aurora User Guide, "Constructing an ARN for Amazon RDS"), so the grant is every global cluster of
 * this account. Read-only.
 */
export function globalClustersDescribeStatement(): PolicyStatement {
  return new PolicyStatement({
    sid: 'DescribeGlobalClusters',
    effect: Effect.ALLOW,
    actions: ['rds:DescribeGlobalClusters'],
    resources: [`arn:${Aws.PARTITION}:rds::${Aws.ACCOUNT_ID}:global-cluster:*`],
  });
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
 * `securityhub:TargetAccount = <account>`: the imported findings' `AwsAccountId` must be that account
 * (Service Authorization Reference, AWS Security Hub, condition keys:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecurityhub.html).
 */
export function importTargetAccountCondition(account: string): Record<string, Record<string, string>> {
  return { StringEquals: { 'securityhub:TargetAccount': account } };
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
      conditions: importTargetAccountCondition(Aws.ACCOUNT_ID),
    }),
    new PolicyStatement({
      sid: 'ReadFindings',
      effect: Effect.ALLOW,
      actions: ['securityhub:GetFindings'],
      resources: arnsPerRegion('securityhub', regions, 'hub/default'),
    }),
  ];
}

/**
 * Every statement an audit role needs under `policy`: the Lambda's own role or a member role, with
 * `stackRegion` the audit Lambda's region ({@link securityHubRegions}; the member stack passes
 * infra/member-stack.ts memberHomeRegion, since its own region need not be that one).
 */
export function auditReadStatements(policy: Policy, stackRegion: string): PolicyStatement[] {
  return [
    ...rdsDescribeStatements(auditRegions(policy), automatedBackupRegions(policy)),
    globalClustersDescribeStatement(),
    ...(policy.aws.regions === 'all' ? [listRegionsStatement()] : []),
    ...(policy.securityHub.enabled ? securityHubStatements(securityHubRegions(policy, stackRegion)) : []),
  ];
}

/** The tag every pre-maintenance snapshot carries at creation (functions/actions/snapshot/model.ts). */
export const SNAPSHOT_PURPOSE_TAG = { key: SNAPSHOT_TAGS.purpose, value: SNAPSHOT_PURPOSE } as const;
/** Every tag key the snapshot action writes; creation with any other key is refused. */
export const SNAPSHOT_TAG_KEYS: readonly string[] = Object.values(SNAPSHOT_TAGS);
/** Snapshot names the role may create (functions/actions/snapshot/model.ts `snapshotIdentifier`). */
export const OWN_SNAPSHOT_NAMES = `${SNAPSHOT_ID_PREFIX}-*`;

/** The RDS actions the snapshot job calls beyond the audit's describes. */
export const SNAPSHOT_ACTIONS = [
  'rds:CreateDBSnapshot',
  'rds:CreateDBClusterSnapshot',
  'rds:AddTagsToResource',
  'rds:DescribeDBSnapshots',
  'rds:DescribeDBClusterSnapshots',
  'rds:DescribePendingMaintenanceActions',
] as const;

/**
 * The snapshot job's write permissions, scoped by tag as the Service Authorization Reference for
 * Amazon RDS allows (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html).
 * A create is authorized on both its resources, the source database (`db`/`cluster`) and the new
 * snapshot, and, because it carries tags, also as `rds:AddTagsToResource` on the new snapshot
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/security_iam_id-based-policy-examples-grant-permissions-tags-on-create.html):
 * 1. the source must carry a target tag of the policy (`rds:db-tag/<key>`, `rds:cluster-tag/<key>`),
 *    one statement per tag (any tag selects, as the policy does);
 * 2. the new snapshot must be named `certctl-premaint-*` and the request must carry
 *    `purpose=certctl-pre-maintenance` and no tag key outside ours (`aws:RequestTag`, `aws:TagKeys`);
 * 3. tagging only at creation: `AddTagsToResource` carries the same request-tag conditions and
 *    needs the snapshot to have no purpose tag yet. A snapshot being created has no tags; every
 *    snapshot this job made carries the purpose tag, so none of ours can be re-tagged later. RDS
 *    has no condition key naming the create call, as `ec2:CreateAction` does for EC2: the Service
 *    Authorization Reference gives `AddTagsToResource` only `aws:RequestTag`, `aws:TagKeys` and
 *    `rds:req-tag`, and the RDS guide's tag-on-create example conditions on `aws:RequestTag` alone
 *    (an `rds:CreateAction` key appears in no AWS documentation). What remains: a snapshot someone
 *    else names `certctl-premaint-*` without tags could be given our tags; the job never calls
 *    `AddTagsToResource` itself.
 * 4. no delete: nothing the job or chat runs deletes a snapshot; pruning is the CLI's
 *    `backup-guard prune --apply` (functions/jobs/prune.ts), with the operator's credentials.
 * A policy without target tags (identifiers only, or `targets.all`) grants no create at all:
 * tag-scoped creation is the only kind this role has.
 * With it the snapshot listings the job polls; `maintenance` adds
 * `rds:DescribePendingMaintenanceActions`, which only the maintenance-aware scan sends
 * (functions/jobs/maintenance.ts, run by the snapshot Lambda alone, never by chat).
 */
export function snapshotWriteStatements(
  policy: Policy,
  options: { readonly maintenance?: boolean } = {},
): PolicyStatement[] {
  const regions = auditRegions(policy);
  const sourceStatements = policy.targets.tags.flatMap((tag, index) => [
    new PolicyStatement({
      sid: `CreateSnapshotOfTaggedDb${index}`,
      effect: Effect.ALLOW,
      actions: ['rds:CreateDBSnapshot'],
      resources: arnsPerRegion('rds', regions, 'db:*'),
      conditions: { StringEquals: { [`rds:db-tag/${tag.key}`]: tag.value } },
    }),
    new PolicyStatement({
      sid: `CreateSnapshotOfTaggedCluster${index}`,
      effect: Effect.ALLOW,
      actions: ['rds:CreateDBClusterSnapshot'],
      resources: arnsPerRegion('rds', regions, 'cluster:*'),
      conditions: { StringEquals: { [`rds:cluster-tag/${tag.key}`]: tag.value } },
    }),
  ]);
  const ownSnapshots = [
    ...arnsPerRegion('rds', regions, `snapshot:${OWN_SNAPSHOT_NAMES}`),
    ...arnsPerRegion('rds', regions, `cluster-snapshot:${OWN_SNAPSHOT_NAMES}`),
  ];
  const requestTags = {
    StringEquals: { [`aws:RequestTag/${SNAPSHOT_PURPOSE_TAG.key}`]: SNAPSHOT_PURPOSE_TAG.value },
    'ForAllValues:StringEquals': { 'aws:TagKeys': [...SNAPSHOT_TAG_KEYS] },
  };
  return [
    ...sourceStatements,
    new PolicyStatement({
      sid: 'CreateOwnSnapshotsWithOurTags',
      effect: Effect.ALLOW,
      actions: ['rds:CreateDBSnapshot', 'rds:CreateDBClusterSnapshot'],
      resources: ownSnapshots,
      conditions: requestTags,
    }),
    new PolicyStatement({
      sid: 'TagOwnDbSnapshotsAtCreation',
      effect: Effect.ALLOW,
      actions: ['rds:AddTagsToResource'],
      resources: arnsPerRegion('rds', regions, `snapshot:${OWN_SNAPSHOT_NAMES}`),
      conditions: {
        ...requestTags,
        Null: { [`rds:snapshot-tag/${SNAPSHOT_PURPOSE_TAG.key}`]: 'true' },
      },
    }),
    new PolicyStatement({
      sid: 'TagOwnClusterSnapshotsAtCreation',
      effect: Effect.ALLOW,
      actions: ['rds:AddTagsToResource'],
      resources: arnsPerRegion('rds', regions, `cluster-snapshot:${OWN_SNAPSHOT_NAMES}`),
      conditions: {
        ...requestTags,
        Null: { [`rds:cluster-snapshot-tag/${SNAPSHOT_PURPOSE_TAG.key}`]: 'true' },
      },
    }),
    options.maintenance
      ? snapshotDescribeStatement(regions, {
          sid: 'DescribeSnapshotsAndMaintenance',
          alsoActions: ['rds:DescribePendingMaintenanceActions'],
        })
      : snapshotDescribeStatement(regions),
  ];
}

/** The RDS snapshot listings: what the snapshot job polls and the readiness snapshot gate reads. */
export const RDS_SNAPSHOT_DESCRIBE_ACTIONS = [
  'rds:DescribeDBSnapshots',
  'rds:DescribeDBClusterSnapshots',
] as const;

/**
 * DescribeDBSnapshots and DescribeDBClusterSnapshots (and `alsoActions`) in this account and
 * `regions`: List-level reads without an identifier, authorized against `db:*`/`snapshot:*` and
 * `cluster:*`/`cluster-snapshot:*` (Service Authorization Reference, Amazon RDS).
 */
export function snapshotDescribeStatement(
  regions: RegionScope,
  options: { readonly sid?: string; readonly alsoActions?: readonly string[] } = {},
): PolicyStatement {
  return new PolicyStatement({
    sid: options.sid ?? 'DescribeSnapshots',
    effect: Effect.ALLOW,
    actions: [...RDS_SNAPSHOT_DESCRIBE_ACTIONS, ...(options.alsoActions ?? [])],
    resources: [
      ...arnsPerRegion('rds', regions, 'db:*'),
      ...arnsPerRegion('rds', regions, 'cluster:*'),
      ...arnsPerRegion('rds', regions, 'snapshot:*'),
      ...arnsPerRegion('rds', regions, 'cluster-snapshot:*'),
    ],
  });
}

/**
 * The accounts whose KMS keys may encrypt the databases' snapshots: this account's own, then the
 * policy's `keys.kmsKeyAccounts` (central key accounts, as the keys audit grants them), each once.
 */
export function snapshotKeyAccounts(policy: Policy): string[] {
  return [Aws.ACCOUNT_ID, ...[...new Set(policy.keys?.kmsKeyAccounts ?? [])].sort()];
}

/**
 * `arn:<partition>:kms:<region>:<account>:key/*` for each audited region and each account of
 * {@link snapshotKeyAccounts}: a snapshot is encrypted with a key of its own region (RDS copies a
 * snapshot to another region only under a key of that region), named by `KmsKeyId` at run time.
 */
export function snapshotKmsKeyArns(policy: Policy, partition: string = Aws.PARTITION): string[] {
  return snapshotKeyAccounts(policy).flatMap((account) =>
    auditRegions(policy).map((region) => `arn:${partition}:kms:${region}:${account}:key/*`),
  );
}

/**
 * `kms:DescribeKey` on the keys of the databases' snapshots, for every role that judges a snapshot
 * restorable (the readiness snapshot gate, the snapshot job's check of what it took, the chat
 * action that runs both, the member role through which readiness reads a member account): an
 * encrypted snapshot is restorable only while its key is usable, which DescribeKey's `KeyState`
 * tells (functions/actions/snapshot/keys.ts). Which key is known only from the snapshot's
 * `KmsKeyId` at run time, so the key id is the wildcard; accounts and regions are fixed
 * ({@link snapshotKmsKeyArns}). A key of another account answers only when its key policy allows
 * it too (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html). The call reads
 * key metadata only.
 */
export function snapshotKeyDescribeStatement(policy: Policy): PolicyStatement {
  return new PolicyStatement({
    sid: 'DescribeSnapshotKeys',
    effect: Effect.ALLOW,
    actions: ['kms:DescribeKey'],
    resources: snapshotKmsKeyArns(policy),
  });
}

/** The S3 actions the dumps audit calls on a bucket's configuration (Service Authorization Reference, Amazon S3). */
export const S3_BUCKET_SETTINGS_ACTIONS = [
  's3:GetBucketVersioning',
  's3:GetBucketObjectLockConfiguration',
  's3:GetLifecycleConfiguration',
  's3:GetBucketPublicAccessBlock',
  's3:GetEncryptionConfiguration',
] as const;

/** An S3 dump location of the policy. */
export type AwsDumpLocation = Extract<Policy['dumps']['locations'][number], { provider: 'aws' }>;

/** The policy's S3 dump locations, in `accounts` when given. */
export function awsDumpLocations(policy: Policy, accounts?: readonly string[]): AwsDumpLocation[] {
  return policy.dumps.locations.filter(
    (location): location is AwsDumpLocation =>
      location.provider === 'aws' && (accounts === undefined || accounts.includes(location.account)),
  );
}

/** The S3 dump locations the audit account's own role reads: all of them when no member account is listed. */
export function ownDumpLocations(policy: Policy): AwsDumpLocation[] {
  return policy.aws.accounts.length === 0 ? awsDumpLocations(policy) : [];
}

/** The S3 dump locations member roles read: those of the listed member accounts. */
export function memberDumpLocations(policy: Policy): AwsDumpLocation[] {
  return awsDumpLocations(
    policy,
    policy.aws.accounts.map((account) => account.accountId),
  );
}

/** An AWS place the policy names for a job: a dump location, an inventory secret. */
export interface AwsPlace {
  readonly account: string;
  readonly region: string;
}

/** Distinct regions of some places, sorted. */
export function placeRegions(places: readonly AwsPlace[]): string[] {
  return [...new Set(places.map((place) => place.region))].sort();
}

/** Distinct regions of some dump locations, sorted. */
export function dumpRegions(locations: readonly AwsDumpLocation[]): string[] {
  return placeRegions(locations);
}

/**
 * What the dumps audit needs at some S3 locations, and nothing more (Service Authorization
 * Reference, Amazon S3 and AWS KMS; S3 user guide, "Amazon S3 condition key examples" and "Using
 * server-side encryption with AWS KMS keys"):
 * - `s3:ListBucket` per bucket, with `s3:prefix` equal to exactly the configured prefixes (the
 *   adapter lists with that prefix); an empty prefix lists the whole bucket, so none is set;
 * - `s3:GetObject` on `bucket/prefix*` only (the ranged read of the newest dump's header, and the
 *   HeadObject of an archived one, which the same action authorizes: API_HeadObject), with
 *   `s3:GetObjectRetention` and `s3:GetObjectLegalHold`, without which those reads leave out the
 *   dump's own Object Lock mode and retain-until date and its legal hold (API_GetObject,
 *   API_HeadObject: "only returned if the requester has the s3:GetObjectLegalHold permission");
 * - the six bucket-configuration reads on those buckets only;
 * - `kms:Decrypt` only through S3 in the buckets' regions and only for objects under those prefixes
 *   (the `aws:s3:arn` encryption context; the bucket's ARN when S3 Bucket Keys are on), because a
 *   ranged GET of an SSE-KMS object decrypts it. The key is the bucket's, which the policy does not
 *   name, so the key id is the wildcard the conditions narrow. The regions are those dumps.locations
 *   gives the buckets: a bucket S3 redirects to another region is read there without this grant, and
 *   the dumps checks say so and name the policy fix (functions/checks/dumps/region.ts) rather than
 *   this grant reaching every region;
 * - `kms:DescribeKey` on keys in the buckets' accounts, in any region ({@link dumpKmsDescribeKeys}):
 *   whether the key of a bucket's default encryption is customer-managed (a key ARN may name the
 *   AWS-managed aws/s3 key). Which key that is, and so its id, is known only from
 *   GetBucketEncryption at run time, and the bucket's region may differ from the policy's (S3
 *   redirects), so the key id and the region are wildcards; the call reads key metadata only.
 * - `s3:GetAccountPublicAccessBlock` (S3 Control GetPublicAccessBlock, the account-level Block Public
 *   Access, which S3 combines with each bucket's): an account-level read with no resource type, so
 *   `*`; a role can read only its own account's setting this way.
 * `ownAccountOnly` adds `s3:ResourceAccount` (`aws:ResourceAccount` for KMS) = this account, for the
 * member role whose one template serves every member account.
 */
export function dumpsReadStatements(
  locations: readonly AwsDumpLocation[],
  options: { readonly ownAccountOnly?: boolean } = {},
): PolicyStatement[] {
  if (locations.length === 0) return [];
  const bucketArn = (bucket: string) => `arn:${Aws.PARTITION}:s3:::${bucket}`;
  const accountCondition = options.ownAccountOnly
    ? { StringEquals: { 's3:ResourceAccount': Aws.ACCOUNT_ID } }
    : undefined;
  const withAccount = (conditions: Record<string, Record<string, unknown>> = {}) =>
    accountCondition
      ? {
          ...conditions,
          StringEquals: { ...(conditions.StringEquals ?? {}), ...accountCondition.StringEquals },
        }
      : conditions;
  const prefixesByBucket = new Map<string, Set<string>>();
  for (const { bucket, prefix } of locations) {
    prefixesByBucket.set(bucket, (prefixesByBucket.get(bucket) ?? new Set()).add(prefix));
  }
  const buckets = [...prefixesByBucket.keys()].sort();
  const listStatements = buckets.map((bucket, index) => {
    const prefixes = [...(prefixesByBucket.get(bucket) ?? [])].sort();
    const conditions: Record<string, Record<string, unknown>> = prefixes.includes('')
      ? {}
      : { StringEquals: { 's3:prefix': prefixes } };
    return new PolicyStatement({
      sid: `ListDumpPrefixes${index}`,
      effect: Effect.ALLOW,
      actions: ['s3:ListBucket'],
      resources: [bucketArn(bucket)],
      conditions: withAccount(conditions),
    });
  });
  const objectPatterns = [
    ...new Set(locations.map(({ bucket, prefix }) => `${bucketArn(bucket)}/${prefix}*`)),
  ].sort();
  return [
    ...listStatements,
    new PolicyStatement({
      sid: 'ReadDumpHeaders',
      effect: Effect.ALLOW,
      actions: ['s3:GetObject', 's3:GetObjectLegalHold', 's3:GetObjectRetention'],
      resources: objectPatterns,
      conditions: withAccount(),
    }),
    new PolicyStatement({
      sid: 'ReadDumpBucketSettings',
      effect: Effect.ALLOW,
      actions: [...S3_BUCKET_SETTINGS_ACTIONS],
      resources: buckets.map(bucketArn),
      conditions: withAccount(),
    }),
    new PolicyStatement({
      sid: 'DecryptDumpHeadersThroughS3',
      effect: Effect.ALLOW,
      actions: ['kms:Decrypt'],
      resources: dumpRegions(locations).map((region) => `arn:${Aws.PARTITION}:kms:${region}:*:key/*`),
      conditions: {
        StringEquals: {
          'kms:ViaService': dumpRegions(locations).map((region) => `s3.${region}.amazonaws.com`),
        },
        StringLike: {
          'kms:EncryptionContext:aws:s3:arn': [...objectPatterns, ...buckets.map(bucketArn)],
        },
      },
    }),
    new PolicyStatement({
      sid: 'ReadAccountPublicAccessBlock',
      effect: Effect.ALLOW,
      actions: ['s3:GetAccountPublicAccessBlock'],
      resources: ['*'],
    }),
    new PolicyStatement({
      sid: 'DescribeDumpBucketKeys',
      effect: Effect.ALLOW,
      actions: ['kms:DescribeKey'],
      resources: dumpKmsDescribeKeys(locations),
      ...(options.ownAccountOnly
        ? { conditions: { StringEquals: { 'aws:ResourceAccount': Aws.ACCOUNT_ID } } }
        : {}),
    }),
  ];
}

/**
 * `arn:<partition>:kms:*:<account>:key/*` for each account holding some dump buckets: the key a
 * bucket's default encryption names is known only at run time, in the bucket's region (which S3's
 * redirect may correct).
 */
export function dumpKmsDescribeKeys(locations: readonly AwsDumpLocation[]): string[] {
  const accounts = [...new Set(locations.map(({ account }) => account))].sort();
  return accounts.map((account) => `arn:${Aws.PARTITION}:kms:*:${account}:key/*`);
}

/**
 * Security Hub import and read in `regions` under Sids prefixed with the job's subject (`Dumps`,
 * `Keys`): a member role holds the PITR statements and every placed group's beside them.
 */
export function prefixedSecurityHubStatements(prefix: string, regions: RegionScope): PolicyStatement[] {
  if (regions.length === 0) return [];
  return securityHubStatements(regions).map(
    (statement) =>
      new PolicyStatement({
        sid: `${prefix}${statement.sid ?? ''}`,
        effect: statement.effect,
        actions: statement.actions,
        resources: statement.resources,
        conditions: statement.conditions,
      }),
  );
}

/** A Secrets Manager secret of the key-material inventory. */
export type AwsKeySecret = Extract<SecretLocation, { provider: 'aws' }>;

/** The inventory's distinct Secrets Manager secrets, in `accounts` when given. */
export function awsKeySecrets(policy: Policy, accounts?: readonly string[]): AwsKeySecret[] {
  if (!policy.keys) return [];
  const secrets = new Map<string, AwsKeySecret>();
  for (const { location } of keyInventory(policy.keys)) {
    if (location.provider !== 'aws') continue;
    if (accounts !== undefined && !accounts.includes(location.account)) continue;
    secrets.set(secretKey(location), location);
  }
  return [...secrets.values()];
}

/** The inventory secrets the audit account's own role reads: all of them when no member account is listed. */
export function ownKeySecrets(policy: Policy): AwsKeySecret[] {
  return policy.aws.accounts.length === 0 ? awsKeySecrets(policy) : [];
}

/** The inventory secrets member roles read: those of the listed member accounts. */
export function memberKeySecrets(policy: Policy): AwsKeySecret[] {
  return awsKeySecrets(
    policy,
    policy.aws.accounts.map((account) => account.accountId),
  );
}

/**
 * The ARN patterns that name these secrets. Secrets Manager appends `-` and 6 random characters to a
 * secret's name in its ARN, so each secret is granted as `<name>` and `<name>-??????` (Secrets
 * Manager user guide, "Permissions policy examples": `??????` matches exactly that suffix). Both,
 * because a policy's ARN may be complete or partial and the two cannot be told apart: a name that
 * ends in six characters after a hyphen may be a suffix or part of the name.
 */
export function keySecretArns(secrets: readonly AwsKeySecret[]): string[] {
  return [
    ...new Set(
      secrets.flatMap(({ account, region, name }) => {
        const base = `arn:${Aws.PARTITION}:secretsmanager:${region}:${account}:secret:${name}`;
        return [base, `${base}-??????`];
      }),
    ),
  ].sort();
}

/**
 * The inventory secrets' names in every region of their accounts, for DescribeSecret only: a secret
 * the policy names may be a replica, whose own answer says where its primary is (`PrimaryRegion`)
 * but not whether it is in sync; the primary, with the same name and ARN suffix in a region known
 * only at run time, reports that (functions/aws/secrets-manager.ts).
 */
export function keySecretPrimaryArns(
  secrets: readonly AwsKeySecret[],
  partition: string = Aws.PARTITION,
): string[] {
  return [
    ...new Set(
      secrets.flatMap(({ account, name }) => {
        // As in keySecretArns: the name as given, and with the ARN suffix.
        const base = `arn:${partition}:secretsmanager:*:${account}:secret:${name}`;
        return [base, `${base}-??????`];
      }),
    ),
  ].sort();
}

/**
 * The accounts whose KMS keys may encrypt these secrets: the secrets' own, then `keyAccounts` (the
 * policy's `keys.kmsKeyAccounts`, central key accounts), each once.
 */
export function keySecretKeyAccounts(
  secrets: readonly AwsKeySecret[],
  keyAccounts: readonly string[] = [],
): string[] {
  const own = [...new Set(secrets.map(({ account }) => account))].sort();
  return [...own, ...[...new Set(keyAccounts)].filter((account) => !own.includes(account)).sort()];
}

/**
 * `arn:<partition>:kms:*:<account>:key/*` for each account holding some secrets, and each listed
 * key account: a replica of a secret is encrypted by a key of the replica's region (an alias such as
 * `alias/certctl-backup` names another key in each region), and which regions hold replicas is
 * known only from DescribeSecret at run time.
 */
export function keySecretKmsDescribeKeys(
  secrets: readonly AwsKeySecret[],
  keyAccounts: readonly string[] = [],
  partition: string = Aws.PARTITION,
): string[] {
  return keySecretKeyAccounts(secrets, keyAccounts).map(
    (account) => `arn:${partition}:kms:*:${account}:key/*`,
  );
}

/**
 * `arn:<partition>:kms:<region>:<account>:key/*` for each (account, region) holding some secrets,
 * and each listed key account in the secrets' regions (Secrets Manager encrypts with a key of the
 * secret's own region).
 */
export function keySecretKmsKeys(
  secrets: readonly AwsKeySecret[],
  keyAccounts: readonly string[] = [],
  partition: string = Aws.PARTITION,
): string[] {
  const own = [...new Set(secrets.map(({ account, region }) => `${region}:${account}`))].sort();
  const regions = placeRegions(secrets);
  const central = keySecretKeyAccounts(secrets, keyAccounts)
    .filter((account) => !secrets.some((secret) => secret.account === account))
    .flatMap((account) => regions.map((region) => `${region}:${account}`));
  return [...own, ...central].map((place) => `arn:${partition}:kms:${place}:key/*`);
}

/**
 * What the key-material audit needs for some inventory secrets, and nothing more (Service
 * Authorization Reference, AWS Secrets Manager and AWS KMS; Secrets Manager user guide, "Secret
 * encryption and decryption", https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html):
 * - `secretsmanager:DescribeSecret` on the inventory secrets only ({@link keySecretArns}), and on
 *   their names in the accounts' other regions, where a replica's primary is
 *   ({@link keySecretPrimaryArns});
 * - `kms:DescribeKey` on keys in the secrets' accounts and the listed key accounts, in any region:
 *   which key a secret and each of its replicas use, and in which regions, is known only from
 *   DescribeSecret at run time, so the key id and the region are wildcards ({@link keySecretKmsDescribeKeys});
 * - only with `keys.inspectSecretValues`: `secretsmanager:GetSecretValue` on the inventory secrets;
 *   `secretsmanager:BatchGetSecretValue`, which has no resource type (Secrets Manager then checks
 *   GetSecretValue on each secret); and `kms:Decrypt` only through Secrets Manager in the secrets'
 *   regions (`kms:ViaService`) and only for the inventory secrets (the `SecretARN` encryption
 *   context Secrets Manager sends with every decryption).
 * `keyAccounts` (`keys.kmsKeyAccounts`) adds the keys of central key accounts to both KMS grants: a
 * secret's `KmsKeyId` may be another account's key ARN, which KMS describes (and decrypts with)
 * when the caller's IAM policy and the key policy both allow it
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html: "To specify a KMS key
 * in a different AWS account, you must use the key ARN or alias ARN").
 * `ownAccountOnly` adds `aws:ResourceAccount` = this account (or, for KMS keys, a listed key
 * account), for the member role whose one template serves every member account.
 */
export function keysReadStatements(
  secrets: readonly AwsKeySecret[],
  options: {
    readonly inspect: boolean;
    readonly ownAccountOnly?: boolean;
    readonly keyAccounts?: readonly string[];
  },
): PolicyStatement[] {
  if (secrets.length === 0) return [];
  const keyAccounts = options.keyAccounts ?? [];
  const thisAccount = options.ownAccountOnly
    ? { StringEquals: { 'aws:ResourceAccount': Aws.ACCOUNT_ID } }
    : undefined;
  // A key may be this account's or a listed key account's; the secrets are this account's only.
  const keyAccount = options.ownAccountOnly
    ? {
        StringEquals: {
          'aws:ResourceAccount':
            keyAccounts.length > 0 ? [Aws.ACCOUNT_ID, ...[...new Set(keyAccounts)].sort()] : Aws.ACCOUNT_ID,
        },
      }
    : undefined;
  const secretArns = keySecretArns(secrets);
  const keyArns = keySecretKmsKeys(secrets, keyAccounts);
  const statements = [
    new PolicyStatement({
      sid: 'DescribeInventorySecrets',
      effect: Effect.ALLOW,
      actions: ['secretsmanager:DescribeSecret'],
      resources: secretArns,
      ...(thisAccount ? { conditions: thisAccount } : {}),
    }),
    new PolicyStatement({
      sid: 'DescribeInventorySecretPrimaries',
      effect: Effect.ALLOW,
      actions: ['secretsmanager:DescribeSecret'],
      resources: keySecretPrimaryArns(secrets),
      ...(thisAccount ? { conditions: thisAccount } : {}),
    }),
    new PolicyStatement({
      sid: 'DescribeInventorySecretKeys',
      effect: Effect.ALLOW,
      actions: ['kms:DescribeKey'],
      resources: keySecretKmsDescribeKeys(secrets, keyAccounts),
      ...(keyAccount ? { conditions: keyAccount } : {}),
    }),
  ];
  if (!options.inspect) return statements;
  const regions = placeRegions(secrets);
  return [
    ...statements,
    new PolicyStatement({
      sid: 'ReadInventorySecretValues',
      effect: Effect.ALLOW,
      actions: ['secretsmanager:GetSecretValue'],
      resources: secretArns,
      ...(thisAccount ? { conditions: thisAccount } : {}),
    }),
    new PolicyStatement({
      sid: 'BatchReadInventorySecretValues',
      effect: Effect.ALLOW,
      actions: ['secretsmanager:BatchGetSecretValue'],
      resources: ['*'],
    }),
    new PolicyStatement({
      sid: 'DecryptInventorySecretsThroughSecretsManager',
      effect: Effect.ALLOW,
      actions: ['kms:Decrypt'],
      resources: keyArns,
      conditions: {
        StringEquals: {
          'kms:ViaService': regions.map((region) => `secretsmanager.${region}.amazonaws.com`),
          ...(keyAccount?.StringEquals ?? {}),
        },
        StringLike: { 'kms:EncryptionContext:SecretARN': secretArns },
      },
    }),
  ];
}
