/**
 * Every Lambda's grants against the API calls its code sends. The calls are read from the bundle
 * each function deploys (test/infra/bundle-calls.ts: the SDK commands and paginators the kept
 * modules import, and the requests {@link RAW_CALLS} names), mapped to their IAM actions by
 * {@link IAM_ACTIONS}, then:
 * - each action must be granted to the function's own role for a policy that places everything in
 *   this account, and to its role or the member role it assumes for one that places everything in a
 *   member account (a missing grant is AccessDenied, every run reads NOT_AVAILABLE, for ever);
 * - the resources a representative request touches ({@link TOUCHED}) must be allowed there too;
 * - each granted action must be one the function sends, or be listed in {@link NOT_SENT_GRANTS}
 *   with the reason it is needed anyway (least privilege).
 *
 * IAM action names: Service Authorization Reference, "Actions, resources, and condition keys for"
 * Amazon S3 (its table of API operations to IAM actions:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html), Amazon
 * RDS, AWS Secrets Manager (BatchGetSecretValue also needs secretsmanager:GetSecretValue on each
 * secret: API reference, BatchGetSecretValue "Required permissions"), AWS KMS, AWS Security Hub,
 * AWS Account Management, AWS STS (GetCallerIdentity needs no permission), Amazon DynamoDB,
 * AWS Lambda (Invoke is lambda:InvokeFunction) and Amazon SNS.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIT_DUMPS_ENTRY,
  AUDIT_DUMPS_SERVICE,
  AUDIT_KEYS_ENTRY,
  AUDIT_KEYS_SERVICE,
  AUDIT_PITR_ENTRY,
  AUDIT_PITR_SERVICE,
  READINESS_ENTRY,
  READINESS_SERVICE,
} from '../../infra/audit-stack.ts';
import {
  CHAT_ACTION_ENTRY,
  CHAT_AMAZON_Q_ENTRY,
  CHAT_JOBS,
  CHAT_SLACK_ENTRY,
  CHAT_UNFINISHED_ENTRY,
} from '../../infra/chat-ops.ts';
import { S3_BUCKET_SETTINGS_ACTIONS } from '../../infra/permissions.ts';
import { jobRoleName } from '../../infra/scheduled-job.ts';
import { SNAPSHOT_ENTRY, SNAPSHOT_SERVICE } from '../../infra/snapshot-jobs.ts';
import { type BundleCall, bundleCalls } from './bundle-calls.ts';
import { type AccessRequest, type Environment, glob, isAllowed } from './iam-evaluator.ts';
import {
  CHAT_POLICY,
  flatten,
  type IamStatement,
  iamStatements,
  MEMBER_DUMPS_POLICY,
  MEMBER_KEYS_POLICY,
  OWN_DUMPS_POLICY,
  OWN_KEYS_POLICY,
  roleStatements,
  type Synthesized,
  synthesize,
  trustStatements,
} from './support.ts';

const ENV: Environment = { partition: 'aws', account: '111111111111' };
const MEMBER = '222222222222';
const MEMBER_ROLE = `arn:aws:iam::${MEMBER}:role/certctl-backup-guard-audit-member`;

/** The IAM actions of each call (`client:Operation`); an empty list: the call needs no permission. */
const IAM_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  'client-account:ListRegions': ['account:ListRegions'],
  'client-dynamodb:GetItem': ['dynamodb:GetItem'],
  'client-dynamodb:PutItem': ['dynamodb:PutItem'],
  'client-dynamodb:UpdateItem': ['dynamodb:UpdateItem'],
  'client-dynamodb:DeleteItem': ['dynamodb:DeleteItem'],
  'client-kms:DescribeKey': ['kms:DescribeKey'],
  'client-lambda:Invoke': ['lambda:InvokeFunction'],
  'client-rds:DescribeDBInstances': ['rds:DescribeDBInstances'],
  'client-rds:DescribeDBClusters': ['rds:DescribeDBClusters'],
  'client-rds:DescribeDBInstanceAutomatedBackups': ['rds:DescribeDBInstanceAutomatedBackups'],
  'client-rds:DescribeGlobalClusters': ['rds:DescribeGlobalClusters'],
  'client-rds:DescribeDBSnapshots': ['rds:DescribeDBSnapshots'],
  'client-rds:DescribeDBClusterSnapshots': ['rds:DescribeDBClusterSnapshots'],
  'client-rds:DescribePendingMaintenanceActions': ['rds:DescribePendingMaintenanceActions'],
  // A create with Tags is also authorized as AddTagsToResource on the new snapshot (RDS user guide,
  // "Granting permission to tag RDS resources during creation").
  'client-rds:CreateDBSnapshot': ['rds:CreateDBSnapshot', 'rds:AddTagsToResource'],
  'client-rds:CreateDBClusterSnapshot': ['rds:CreateDBClusterSnapshot', 'rds:AddTagsToResource'],
  'client-rds:DeleteDBSnapshot': ['rds:DeleteDBSnapshot'],
  'client-rds:DeleteDBClusterSnapshot': ['rds:DeleteDBClusterSnapshot'],
  'client-rds:DescribeDBSnapshotAttributes': ['rds:DescribeDBSnapshotAttributes'],
  'client-rds:DescribeDBClusterSnapshotAttributes': ['rds:DescribeDBClusterSnapshotAttributes'],
  'client-s3:GetObject': ['s3:GetObject'],
  'client-s3:HeadObject': ['s3:GetObject'],
  'client-s3:PutObject': ['s3:PutObject'],
  'client-s3:DeleteObject': ['s3:DeleteObject'],
  'client-s3:ListObjectsV2': ['s3:ListBucket'],
  'client-s3:GetBucketVersioning': ['s3:GetBucketVersioning'],
  'client-s3:GetObjectLockConfiguration': ['s3:GetBucketObjectLockConfiguration'],
  'client-s3:GetBucketLifecycleConfiguration': ['s3:GetLifecycleConfiguration'],
  'client-s3:GetBucketEncryption': ['s3:GetEncryptionConfiguration'],
  'client-s3:GetPublicAccessBlock': ['s3:GetBucketPublicAccessBlock'],
  's3-control:GetPublicAccessBlock': ['s3:GetAccountPublicAccessBlock'],
  'client-secrets-manager:DescribeSecret': ['secretsmanager:DescribeSecret'],
  'client-secrets-manager:GetSecretValue': ['secretsmanager:GetSecretValue'],
  'client-secrets-manager:BatchGetSecretValue': [
    'secretsmanager:BatchGetSecretValue',
    'secretsmanager:GetSecretValue',
  ],
  'client-securityhub:BatchImportFindings': ['securityhub:BatchImportFindings'],
  'client-securityhub:GetFindings': ['securityhub:GetFindings'],
  // Publishing to the SSE-KMS topic also needs its key (SNS developer guide, "Encryption at rest").
  'client-sns:Publish': ['sns:Publish', 'kms:GenerateDataKey*', 'kms:Decrypt'],
  'client-sts:AssumeRole': ['sts:AssumeRole'],
  'client-sts:GetCallerIdentity': [],
  // Allowed by the federation role's trust policy, not by an identity policy.
  'client-sts:AssumeRoleWithWebIdentity': [],
};

/** The Lambdas, their handler and role. */
const LAMBDAS = {
  [AUDIT_PITR_SERVICE]: AUDIT_PITR_ENTRY,
  [AUDIT_DUMPS_SERVICE]: AUDIT_DUMPS_ENTRY,
  [AUDIT_KEYS_SERVICE]: AUDIT_KEYS_ENTRY,
  [READINESS_SERVICE]: READINESS_ENTRY,
  [SNAPSHOT_SERVICE]: SNAPSHOT_ENTRY,
  [CHAT_JOBS.action]: CHAT_ACTION_ENTRY,
  [CHAT_JOBS.slack]: CHAT_SLACK_ENTRY,
  [CHAT_JOBS.amazonQ]: CHAT_AMAZON_Q_ENTRY,
  [CHAT_JOBS.unfinished]: CHAT_UNFINISHED_ENTRY,
} as const;
type Lambda = keyof typeof LAMBDAS;

const SNAPSHOT_WRITES_ELSEWHERE =
  'functions/actions/snapshot/aws.ts (awsSnapshotCloud) also creates and reads pending maintenance for the snapshot and maintenance runs; readiness only lists the snapshots and describes their keys (functions/jobs/readiness.ts) and writes nothing';
const CHAT_READS_LEDGERS =
  'chat `status` only reads the import ledgers (functions/aws/ledger-status.ts); writing them is the publishing audit jobs (functions/aws/ledger-store.ts)';
const PUBLISHES_NOTHING =
  'readiness (also run by chat) audits without publishing (functions/jobs/readiness.ts): the Security Hub publisher is in the shared audit job, loaded only by the audit Lambdas';
const INVENTORY_REGIONS =
  'the planner (functions/aws/planner.ts) lists regions only for `aws.regions: all`; the dumps and keys audits read the regions their inventory names';
const PRUNED_BY_THE_CLI =
  'pruning is only the CLI command `backup-guard prune` (functions/jobs/prune.ts, imported by functions/cli/commands/prune.ts alone), run with the operator credentials: no Lambda deletes a snapshot or reads who one is shared with (its restore attribute, read only before a delete)';
const MAINTENANCE_SCAN_ELSEWHERE =
  "the maintenance-aware scan (functions/jobs/maintenance.ts, the only caller of the snapshot cloud's `maintenance`) runs in the snapshot Lambda alone (functions/handlers/aws/snapshot.ts); chat takes and reports snapshots, never scans pending maintenance";
const BACKUPS_IN_THE_AUDIT =
  'functions/aws/rds.ts sends DescribeDBInstanceAutomatedBackups only from collectRdsPitrFacts and its cross-Region replica listing (the PITR audit, run by audit-pitr, readiness and chat); the snapshot job lists its databases through listSelectedDatabases alone';
const GLOBAL_ROLES_IN_THE_AUDIT =
  'functions/aws/rds.ts sends DescribeGlobalClusters only from collectRdsPitrFacts (the PITR audit); the snapshot job lists its databases through listSelectedDatabases (functions/actions/snapshot/aws.ts), which never reads a global role';
/**
 * Calls a function's bundle imports (its module is shared with another function) that the function
 * never sends, each with the reason.
 */
const IMPORTED_NOT_SENT: Readonly<Partial<Record<Lambda, Readonly<Record<string, string>>>>> = {
  [SNAPSHOT_SERVICE]: {
    'client-rds:DeleteDBSnapshot': PRUNED_BY_THE_CLI,
    'client-rds:DeleteDBClusterSnapshot': PRUNED_BY_THE_CLI,
    'client-rds:DescribeDBSnapshotAttributes': PRUNED_BY_THE_CLI,
    'client-rds:DescribeDBClusterSnapshotAttributes': PRUNED_BY_THE_CLI,
    'client-rds:DescribeGlobalClusters': GLOBAL_ROLES_IN_THE_AUDIT,
    'client-rds:DescribeDBInstanceAutomatedBackups': BACKUPS_IN_THE_AUDIT,
  },
  [AUDIT_DUMPS_SERVICE]: { 'client-account:ListRegions': INVENTORY_REGIONS },
  [AUDIT_KEYS_SERVICE]: { 'client-account:ListRegions': INVENTORY_REGIONS },
  [READINESS_SERVICE]: {
    'client-securityhub:BatchImportFindings': PUBLISHES_NOTHING,
    'client-securityhub:GetFindings': PUBLISHES_NOTHING,
    'client-rds:CreateDBSnapshot': SNAPSHOT_WRITES_ELSEWHERE,
    'client-rds:CreateDBClusterSnapshot': SNAPSHOT_WRITES_ELSEWHERE,
    'client-rds:DeleteDBSnapshot': PRUNED_BY_THE_CLI,
    'client-rds:DeleteDBClusterSnapshot': PRUNED_BY_THE_CLI,
    'client-rds:DescribeDBSnapshotAttributes': PRUNED_BY_THE_CLI,
    'client-rds:DescribeDBClusterSnapshotAttributes': PRUNED_BY_THE_CLI,
    'client-rds:DescribePendingMaintenanceActions': SNAPSHOT_WRITES_ELSEWHERE,
  },
  [CHAT_JOBS.action]: {
    'client-securityhub:BatchImportFindings': PUBLISHES_NOTHING,
    'client-securityhub:GetFindings': PUBLISHES_NOTHING,
    'client-rds:DeleteDBSnapshot': PRUNED_BY_THE_CLI,
    'client-rds:DeleteDBClusterSnapshot': PRUNED_BY_THE_CLI,
    'client-rds:DescribeDBSnapshotAttributes': PRUNED_BY_THE_CLI,
    'client-rds:DescribeDBClusterSnapshotAttributes': PRUNED_BY_THE_CLI,
    'client-s3:PutObject': CHAT_READS_LEDGERS,
    'client-s3:DeleteObject': CHAT_READS_LEDGERS,
    'client-rds:DescribePendingMaintenanceActions': MAINTENANCE_SCAN_ELSEWHERE,
  },
};

/** Actions granted to a role that its function's code does not send, each with the reason. */
const NOT_SENT_GRANTS: Readonly<Record<string, string>> = {
  'logs:CreateLogStream': 'the Lambda service writes the function log group for it',
  'logs:PutLogEvents': 'the Lambda service writes the function log group for it',
  'sqs:SendMessage': 'the Lambda service sends a failed asynchronous event to the dead-letter queue',
  'sqs:GetQueueAttributes': 'granted with sqs:SendMessage by grantSendMessages (the dead-letter queue)',
  'sqs:GetQueueUrl': 'granted with sqs:SendMessage by grantSendMessages (the dead-letter queue)',
  'kms:Decrypt':
    'S3 decrypts an SSE-KMS dump header for GetObject (kms:ViaService s3), Secrets Manager a secret value under a customer key (kms:ViaService secretsmanager)',
  's3:GetObjectRetention':
    "GetObject answers a dump's own Object Lock retention (x-amz-object-lock-*) only with it",
  's3:GetObjectLegalHold':
    "GetObject answers a dump's legal hold (x-amz-object-lock-legal-hold) only with it",
};

/** Actions granted to one Lambda's role that its code does not send, each with the reason. */
const NOT_SENT_GRANTS_OF: Readonly<Partial<Record<Lambda, Readonly<Record<string, string>>>>> = {
  // "Capturing records of Lambda asynchronous invocations": the execution role needs permission
  // to send to the destination (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
  [CHAT_JOBS.action]: {
    'lambda:InvokeFunction':
      'the Lambda service invokes the on-failure destination (chat-unfinished) with this role when a run fails',
  },
};

/** Everything in this account: the roles must hold every call themselves. */
const OWN_POLICY = {
  ...OWN_DUMPS_POLICY,
  // Every enabled region: the only case the code lists them (account:ListRegions).
  aws: { regions: 'all' },
  keys: { ...OWN_KEYS_POLICY.keys, kmsKeyAccounts: [] },
  schedules: { ...OWN_DUMPS_POLICY.schedules, ...OWN_KEYS_POLICY.schedules },
  chatops: CHAT_POLICY.chatops,
  pitr: { requireCrossRegionBackup: true },
};

/** Everything in a member account: the audit jobs read through the member role. */
const MEMBER_POLICY = {
  ...MEMBER_DUMPS_POLICY,
  aws: { ...MEMBER_DUMPS_POLICY.aws, regions: 'all' },
  keys: { ...MEMBER_KEYS_POLICY.keys, inspectSecretValues: true },
  chatops: CHAT_POLICY.chatops,
  pitr: { requireCrossRegionBackup: true },
};

const rds = (region: string, resource: string) => `arn:aws:rds:${region}:${ENV.account}:${resource}`;
const key = (region: string) =>
  `arn:aws:kms:${region}:${ENV.account}:key/aaaaaaaa-0000-4000-8000-000000000001`;
const secret = (region: string, name: string) =>
  `arn:aws:secretsmanager:${region}:${ENV.account}:secret:${name}-AbCdEf`;
const inAccount = { 's3:ResourceAccount': ENV.account, 'aws:ResourceAccount': ENV.account };

/** What the PITR audit and readiness read: databases, clusters, a replication's backups in another Region. */
const PITR_READS: readonly AccessRequest[] = [
  { action: 'account:ListRegions', resource: `arn:aws:account::${ENV.account}:account` },
  { action: 'rds:DescribeDBInstances', resource: rds('eu-west-1', 'db:orders') },
  { action: 'rds:DescribeDBClusters', resource: rds('eu-west-1', 'cluster:orders') },
  { action: 'rds:DescribeDBInstanceAutomatedBackups', resource: rds('ap-south-1', 'auto-backup:ab-orders') },
  // A global cluster's ARN names no Region (Aurora User Guide, "Constructing an ARN for Amazon RDS").
  { action: 'rds:DescribeGlobalClusters', resource: `arn:aws:rds::${ENV.account}:global-cluster:orders` },
];
/** What the dumps audit reads under OWN_POLICY's locations (certctl-dumps prod/, certctl-dumps-dr). */
const DUMPS_READS: readonly AccessRequest[] = [
  {
    action: 's3:ListBucket',
    resource: 'arn:aws:s3:::certctl-dumps',
    context: { ...inAccount, 's3:prefix': 'prod/' },
  },
  {
    action: 's3:ListBucket',
    resource: 'arn:aws:s3:::certctl-dumps-dr',
    context: { ...inAccount, 's3:prefix': '' },
  },
  { action: 's3:GetObject', resource: 'arn:aws:s3:::certctl-dumps/prod/2026-12-01.dump', context: inAccount },
  ...S3_BUCKET_SETTINGS_ACTIONS.map((action) => ({
    action,
    resource: 'arn:aws:s3:::certctl-dumps-dr',
    context: inAccount,
  })),
  { action: 's3:GetAccountPublicAccessBlock', resource: '*' },
  { action: 'kms:DescribeKey', resource: key('us-east-2'), context: inAccount },
];
/** What the keys audit reads: OWN_KEYS_POLICY's secrets (one by ARN, one by name in us-east-2) and a key. */
const KEYS_READS: readonly AccessRequest[] = [
  ...['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'].flatMap((action) => [
    { action, resource: secret('eu-west-1', 'certctl/ca') },
    { action, resource: secret('us-east-2', 'certctl/config-key') },
  ]),
  { action: 'secretsmanager:BatchGetSecretValue', resource: '*' },
  { action: 'kms:DescribeKey', resource: key('eu-west-1'), context: inAccount },
];
/** Publishing where the job reads (the dumps' and secrets' Regions, or every Region). */
const publishing = (region: string): AccessRequest[] => [
  {
    action: 'securityhub:BatchImportFindings',
    resource: `arn:aws:securityhub:${region}:${ENV.account}:product/${ENV.account}/default`,
    context: { 'securityhub:TargetAccount': ENV.account },
  },
  { action: 'securityhub:GetFindings', resource: `arn:aws:securityhub:${region}:${ENV.account}:hub/default` },
];
/** The snapshot listings and a snapshot's key. */
const SNAPSHOT_READS: readonly AccessRequest[] = [
  { action: 'rds:DescribeDBSnapshots', resource: rds('eu-west-1', 'snapshot:certctl-premaint-orders-1') },
  {
    action: 'rds:DescribeDBClusterSnapshots',
    resource: rds('eu-west-1', 'cluster-snapshot:certctl-premaint-orders-1'),
  },
  { action: 'kms:DescribeKey', resource: key('eu-west-1'), context: inAccount },
];

/**
 * The resources representative requests of each Lambda touch under {@link OWN_POLICY}. The
 * tag-scoped snapshot writes are proved in test/infra/snapshot-iam.test.ts, the import ledger's
 * per-account listing in test/infra/new-calls-iam.test.ts; the log group, dead-letter queue,
 * idempotency table, topic and function grants name the one resource CDK made for them.
 */
const TOUCHED: Readonly<Partial<Record<Lambda, readonly AccessRequest[]>>> = {
  [AUDIT_PITR_SERVICE]: [...PITR_READS, ...publishing('eu-west-1'), ...publishing('sa-east-1')],
  [AUDIT_DUMPS_SERVICE]: [...DUMPS_READS, ...publishing('eu-west-1'), ...publishing('us-east-2')],
  [AUDIT_KEYS_SERVICE]: [...KEYS_READS, ...publishing('eu-west-1'), ...publishing('us-east-2')],
  [READINESS_SERVICE]: [...PITR_READS, ...DUMPS_READS, ...KEYS_READS, ...SNAPSHOT_READS],
  [SNAPSHOT_SERVICE]: [...PITR_READS.slice(0, 3), ...SNAPSHOT_READS],
  [CHAT_JOBS.action]: [...PITR_READS, ...DUMPS_READS, ...KEYS_READS, ...SNAPSHOT_READS],
};

const inMember = { 's3:ResourceAccount': MEMBER, 'aws:ResourceAccount': MEMBER };
const memberRds = (region: string, resource: string) => `arn:aws:rds:${region}:${MEMBER}:${resource}`;
const memberKey = (region: string) =>
  `arn:aws:kms:${region}:${MEMBER}:key/aaaaaaaa-0000-4000-8000-000000000002`;
const memberSecret = `arn:aws:secretsmanager:eu-west-1:${MEMBER}:secret:certctl/ca-AbC123`;
const memberDump = `arn:aws:s3:::certctl-dumps/prod/2026-12-01.dump`;
/** Publishing into the member account's own Security Hub (every Region with `aws.regions: all`). */
const memberPublishing = (region: string): AccessRequest[] => [
  {
    action: 'securityhub:BatchImportFindings',
    resource: `arn:aws:securityhub:${region}:${MEMBER}:product/${MEMBER}/default`,
    context: { 'securityhub:TargetAccount': MEMBER },
  },
  { action: 'securityhub:GetFindings', resource: `arn:aws:securityhub:${region}:${MEMBER}:hub/default` },
];
/** A member key described, and used by `service` to decrypt for the job (`context`: its encryption context). */
const memberKeyUse = (service: string, context: Record<string, string>): AccessRequest[] => [
  { action: 'kms:DescribeKey', resource: memberKey('eu-west-1'), context: inMember },
  {
    action: 'kms:Decrypt',
    resource: memberKey('eu-west-1'),
    context: { ...inMember, 'kms:ViaService': `${service}.eu-west-1.amazonaws.com`, ...context },
  },
];
/** What the jobs read in member account {@link MEMBER} under {@link MEMBER_POLICY}, through the member role. */
const MEMBER_PITR_READS: readonly AccessRequest[] = [
  { action: 'account:ListRegions', resource: `arn:aws:account::${MEMBER}:account` },
  { action: 'rds:DescribeDBInstances', resource: memberRds('eu-west-1', 'db:orders') },
  { action: 'rds:DescribeDBClusters', resource: memberRds('eu-west-1', 'cluster:orders') },
  {
    action: 'rds:DescribeDBInstanceAutomatedBackups',
    resource: memberRds('ap-south-1', 'auto-backup:ab-orders'),
  },
  { action: 'rds:DescribeGlobalClusters', resource: `arn:aws:rds::${MEMBER}:global-cluster:orders` },
];
const MEMBER_DUMPS_READS: readonly AccessRequest[] = [
  {
    action: 's3:ListBucket',
    resource: 'arn:aws:s3:::certctl-dumps',
    context: { ...inMember, 's3:prefix': 'prod/' },
  },
  { action: 's3:GetObject', resource: memberDump, context: inMember },
  ...S3_BUCKET_SETTINGS_ACTIONS.map((action) => ({
    action,
    resource: 'arn:aws:s3:::certctl-dumps',
    context: inMember,
  })),
  { action: 's3:GetAccountPublicAccessBlock', resource: '*' },
  ...memberKeyUse('s3', { 'kms:EncryptionContext:aws:s3:arn': memberDump }),
];
const MEMBER_KEYS_READS: readonly AccessRequest[] = [
  ...['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'].map((action) => ({
    action,
    resource: memberSecret,
    context: inMember,
  })),
  { action: 'secretsmanager:BatchGetSecretValue', resource: '*' },
  ...memberKeyUse('secretsmanager', { 'kms:EncryptionContext:SecretARN': memberSecret }),
];
const MEMBER_SNAPSHOT_READS: readonly AccessRequest[] = [
  {
    action: 'rds:DescribeDBSnapshots',
    resource: memberRds('eu-west-1', 'snapshot:certctl-premaint-orders-1'),
  },
  {
    action: 'rds:DescribeDBClusterSnapshots',
    resource: memberRds('eu-west-1', 'cluster-snapshot:certctl-premaint-orders-1'),
  },
  { action: 'kms:DescribeKey', resource: memberKey('eu-west-1'), context: inMember },
];
/** The resources representative requests of each assuming Lambda touch in a member account. */
const MEMBER_TOUCHED: Readonly<Partial<Record<Lambda, readonly AccessRequest[]>>> = {
  [AUDIT_PITR_SERVICE]: [
    ...MEMBER_PITR_READS,
    ...memberPublishing('eu-west-1'),
    ...memberPublishing('sa-east-1'),
  ],
  [AUDIT_DUMPS_SERVICE]: [...MEMBER_DUMPS_READS, ...memberPublishing('eu-west-1')],
  [AUDIT_KEYS_SERVICE]: [...MEMBER_KEYS_READS, ...memberPublishing('eu-west-1')],
  [READINESS_SERVICE]: [
    ...MEMBER_PITR_READS,
    ...MEMBER_DUMPS_READS,
    ...MEMBER_KEYS_READS,
    ...MEMBER_SNAPSHOT_READS,
  ],
  [CHAT_JOBS.action]: [
    ...MEMBER_PITR_READS,
    ...MEMBER_DUMPS_READS,
    ...MEMBER_KEYS_READS,
    ...MEMBER_SNAPSHOT_READS,
  ],
};

let own: Synthesized;
let member: Synthesized;
let calls: Record<Lambda, BundleCall[]>;

beforeAll(async () => {
  const read = await bundleCalls(Object.values(LAMBDAS));
  calls = Object.fromEntries(
    Object.entries(LAMBDAS).map(([name, entry]) => [name, read.get(entry) ?? []]),
  ) as Record<Lambda, BundleCall[]>;
  own = synthesize(OWN_POLICY);
  member = synthesize(MEMBER_POLICY);
}, 120_000);

/** The IAM actions `lambda` sends; throws for a call without an entry in {@link IAM_ACTIONS}. */
function sentActions(lambda: Lambda): Set<string> {
  const skipped = IMPORTED_NOT_SENT[lambda] ?? {};
  const actions = new Set<string>();
  for (const { client, operation, module } of calls[lambda]) {
    const call = `${client}:${operation}`;
    if (call in skipped) continue;
    const mapped = IAM_ACTIONS[call];
    if (!mapped) throw new Error(`${module} sends ${call}: add its IAM actions to IAM_ACTIONS`);
    for (const action of mapped) actions.add(action);
  }
  return actions;
}

const grantsAction = (statements: readonly IamStatement[], action: string) =>
  statements.some((s) => s.Effect === 'Allow' && s.Action.some((granted) => glob(granted).test(action)));

describe('IAM grants match the calls each Lambda sends', () => {
  it('reads calls from every bundle and maps each to its IAM actions', () => {
    // Act
    const unmapped = Object.values(calls)
      .flat()
      .filter(({ client, operation }) => IAM_ACTIONS[`${client}:${operation}`] === undefined)
      .map(({ client, operation, module }) => `${client}:${operation} (${module})`);

    // Assess
    expect(Object.keys(LAMBDAS).filter((lambda) => calls[lambda as Lambda].length === 0)).toEqual([]);
    expect(unmapped).toEqual([]);
  });

  it('grants each Lambda role, with everything in this account, every action its code sends', () => {
    // Act
    const missing = (Object.keys(LAMBDAS) as Lambda[]).flatMap((lambda) => {
      const statements = roleStatements(own, jobRoleName(lambda));
      return [...sentActions(lambda)]
        .filter((action) => action !== 'sts:AssumeRole')
        .filter((action) => !grantsAction(statements, action))
        .map((action) => `${lambda}: ${action}`);
    });

    // Assess
    expect(missing).toEqual([]);
  });

  it('grants each Lambda role, with everything in this account, only actions its code sends or a listed reason needs', () => {
    // Act
    const extra = (Object.keys(LAMBDAS) as Lambda[]).flatMap((lambda) => {
      const sent = sentActions(lambda);
      const granted = new Set(
        roleStatements(own, jobRoleName(lambda))
          .filter((s) => s.Effect === 'Allow')
          .flatMap((s) => s.Action),
      );
      return [...granted]
        .filter((action) => ![...sent].some((sentAction) => glob(action).test(sentAction)))
        .filter((action) => !(action in NOT_SENT_GRANTS) && !(action in (NOT_SENT_GRANTS_OF[lambda] ?? {})))
        .map((action) => `${lambda}: ${action}`);
    });

    // Assess
    expect(extra).toEqual([]);
  });

  it('allows, with everything in this account, the resources representative requests of each Lambda touch', () => {
    // Act
    const denied = (Object.entries(TOUCHED) as [Lambda, AccessRequest[]][]).flatMap(([lambda, requests]) => {
      const statements = roleStatements(own, jobRoleName(lambda));
      return requests
        .filter((request) => !isAllowed(statements, request, ENV))
        .map((request) => `${lambda}: ${request.action} on ${request.resource}`);
    });
    const notSent = (Object.entries(TOUCHED) as [Lambda, AccessRequest[]][]).flatMap(([lambda, requests]) =>
      requests
        .filter((request) => !sentActions(lambda).has(request.action))
        .map((r) => `${lambda}: ${r.action}`),
    );

    // Assess: and the table names only actions the Lambda sends.
    expect(denied).toEqual([]);
    expect(notSent).toEqual([]);
  });

  it('allows, with everything in a member account, the member resources representative requests of each assuming Lambda touch', () => {
    // Prepare: the member role's statements, in the member account.
    const memberStatements = iamStatements(member.stacks.member, member.templates.member);
    const memberEnv: Environment = { ...ENV, account: MEMBER };

    // Act
    const denied = (Object.entries(MEMBER_TOUCHED) as [Lambda, AccessRequest[]][]).flatMap(
      ([lambda, requests]) =>
        requests
          .filter((request) => !isAllowed(memberStatements, request, memberEnv))
          .map((request) => `${lambda}: ${request.action} on ${request.resource}`),
    );
    const notSent = (Object.entries(MEMBER_TOUCHED) as [Lambda, AccessRequest[]][]).flatMap(
      ([lambda, requests]) =>
        requests
          .filter(
            (request) => !sentActions(lambda).has(request.action) && !(request.action in NOT_SENT_GRANTS),
          )
          .map((r) => `${lambda}: ${r.action}`),
    );

    // Assess: and the table names only actions the Lambda sends (or S3 and Secrets Manager send for it).
    expect(denied).toEqual([]);
    expect(notSent).toEqual([]);
  });

  it('grants, with everything in a member account, every action its code sends to the Lambda role or the member role it assumes, and the member role nothing the assuming Lambdas do not send', () => {
    // Prepare
    const memberStatements = iamStatements(member.stacks.member, member.templates.member);
    const assumers = (Object.keys(LAMBDAS) as Lambda[]).filter((lambda) =>
      grantsAction(roleStatements(member, jobRoleName(lambda)), 'sts:AssumeRole'),
    );

    // Act
    const missing = assumers.flatMap((lambda) => {
      const statements = [...roleStatements(member, jobRoleName(lambda)), ...memberStatements];
      return [...sentActions(lambda)]
        .filter((action) => !grantsAction(statements, action))
        .map((action) => `${lambda}: ${action}`);
    });
    const cannotAssume = assumers.filter(
      (lambda) =>
        !isAllowed(
          roleStatements(member, jobRoleName(lambda)),
          { action: 'sts:AssumeRole', resource: MEMBER_ROLE },
          ENV,
        ),
    );
    // The member role's trust must name each assuming role too: a role allowed sts:AssumeRole by
    // its own policy is still refused when the trusted role's policy does not name it.
    const trusted = trustStatements(member.templates.member, 'AuditMemberRole').flatMap((statement) => {
      const arns = (statement.Condition as { StringEquals?: Record<string, unknown> } | undefined)
        ?.StringEquals?.['aws:PrincipalArn'];
      return [arns ?? []].flat().map((arn) => String(flatten(arn)));
    });
    const notTrusted = assumers.filter(
      (lambda) => !trusted.includes(`arn:<AWS::Partition>:iam::<AuditAccountId>:role/${jobRoleName(lambda)}`),
    );
    const sentByAssumers = assumers.flatMap((lambda) => [...sentActions(lambda)]);
    const extra = [
      ...new Set(memberStatements.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action)),
    ].filter(
      (action) => !sentByAssumers.some((sent) => glob(action).test(sent)) && !(action in NOT_SENT_GRANTS),
    );

    // Assess
    expect(assumers.sort()).toEqual(
      [
        AUDIT_DUMPS_SERVICE,
        AUDIT_KEYS_SERVICE,
        AUDIT_PITR_SERVICE,
        CHAT_JOBS.action,
        READINESS_SERVICE,
      ].sort(),
    );
    expect(cannotAssume).toEqual([]);
    expect(notTrusted).toEqual([]);
    expect(missing).toEqual([]);
    expect(extra).toEqual([]);
  });
});
