/**
 * The audit account's stack: the alarm topic (and its key), and one {@link ScheduledJob} per job of
 * the deployment: the `audit-pitr` Lambda (RDS configuration); when the policy configures them,
 * `audit-dumps` (pg_dump series in S3) and `audit-keys` (key-material backups in Secrets Manager),
 * each assuming only the member roles it needs; the `snapshot` Lambda with its idempotency
 * table, maintenance rule and alarm ({@link SnapshotJobs}); and the `readiness` Lambda, the go/no-go
 * before a CA rotation, which reads what the audits read and the snapshots, and writes nothing.
 */
import { join } from 'node:path';
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { type CfnRole, Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Policy } from '../functions/core/policy.ts';
import { type AuditSchedule, parseAuditSchedule } from '../functions/core/schedule.ts';
import { REPO_ROOT } from './bundling.ts';
import { CHAT_JOBS, ChatOps, chatOpsConfigured } from './chat-ops.ts';
import { addImportLedger, grantLedgerRead } from './import-ledger.ts';
import { type NagAcknowledgement, nagResource } from './nag.ts';
import {
  type AwsDumpLocation,
  type AwsKeySecret,
  type AwsPlace,
  auditReadStatements,
  auditRegions,
  automatedBackupRegions,
  awsKeySecrets,
  clusterRegions,
  dumpRegions,
  dumpsReadStatements,
  globalClustersDescribeStatement,
  keySecretKmsDescribeKeys,
  keySecretKmsKeys,
  keySecretPrimaryArns,
  keysReadStatements,
  listRegionsStatement,
  memberDumpLocations,
  memberKeySecrets,
  ownDumpLocations,
  ownKeySecrets,
  placeRegions,
  prefixedSecurityHubStatements,
  type RegionScope,
  rdsDescribeStatements,
  securityHubRegions,
  snapshotDescribeStatement,
  snapshotKeyDescribeStatement,
  snapshotWriteStatements,
} from './permissions.ts';
import {
  AUDIT_MEMORY_MB,
  createJobFunction,
  type JobFunctionParts,
  jobRoleName,
  ScheduledJob,
  type ScheduledJobAlarms,
} from './scheduled-job.ts';
import {
  SNAPSHOT_SERVICE,
  SnapshotJobs,
  type SnapshotJobsProps,
  snapshotAcknowledgements,
  snapshotKeyAcknowledgements,
} from './snapshot-jobs.ts';

export { REPO_ROOT };

/** The `audit-pitr` Lambda handler (exports `handler`). */
export const AUDIT_PITR_ENTRY = join(REPO_ROOT, 'functions', 'handlers', 'aws', 'audit-pitr.ts');

/** The Powertools `service` dimension the `audit-pitr` handler records its metrics under. */
export const AUDIT_PITR_SERVICE = 'audit-pitr';

/**
 * Name of the audit Lambda's role. Fixed (not generated) because every member account's trust
 * policy names it: `aws:PrincipalArn = arn:<partition>:iam::<audit account>:role/<this name>`.
 */
export const AUDIT_ROLE_NAME = jobRoleName(AUDIT_PITR_SERVICE);

/** The `audit-dumps` Lambda handler (exports `handler`). */
export const AUDIT_DUMPS_ENTRY = join(REPO_ROOT, 'functions', 'handlers', 'aws', 'audit-dumps.ts');

/** The Powertools `service` dimension (and the role name suffix) of the `audit-dumps` job. */
export const AUDIT_DUMPS_SERVICE = 'audit-dumps';

/** The `audit-keys` Lambda handler (exports `handler`). */
export const AUDIT_KEYS_ENTRY = join(REPO_ROOT, 'functions', 'handlers', 'aws', 'audit-keys.ts');

/** The Powertools `service` dimension (and the role name suffix) of the `audit-keys` job. */
export const AUDIT_KEYS_SERVICE = 'audit-keys';

/** The `readiness` Lambda handler (exports `handler`). */
export const READINESS_ENTRY = join(REPO_ROOT, 'functions', 'handlers', 'aws', 'readiness.ts');

/** The Powertools `service` dimension (and the role name suffix) of the `readiness` function. */
export const READINESS_SERVICE = 'readiness';

/**
 * The jobs whose roles read member accounts whatever the policy places, and so the roles member
 * stacks always trust: the PITR audit, and readiness, which audits every account the policy lists.
 */
export const MEMBER_READING_JOBS: readonly string[] = [AUDIT_PITR_SERVICE, READINESS_SERVICE];

/**
 * The jobs that read member accounts under `policy`: {@link MEMBER_READING_JOBS}, `audit-dumps`
 * when member accounts hold S3 dump locations, `audit-keys` when they hold inventory secrets
 * (only then do those jobs assume member roles), and the chat action when ChatOps is deployed: its
 * `readiness` runs over every account of the policy, through the member roles
 * ({@link chatActionStatements} lets it assume them).
 */
export function memberReadingJobs(policy: Policy): string[] {
  const holdsDumps = memberDumpLocations(policy).length > 0;
  const holdsKeys = memberKeySecrets(policy).length > 0;
  return [
    ...MEMBER_READING_JOBS,
    ...(holdsDumps ? [AUDIT_DUMPS_SERVICE] : []),
    ...(holdsKeys ? [AUDIT_KEYS_SERVICE] : []),
    ...(chatOpsConfigured(policy) ? [CHAT_JOBS.action] : []),
  ];
}

/**
 * The names of the job roles member roles trust under `policy`: each of {@link memberReadingJobs},
 * the PITR audit's by `auditRoleName` (the audit stack's `auditRoleName`, when it is not the default).
 */
export function memberTrustedRoleNames(policy: Policy, auditRoleName: string = AUDIT_ROLE_NAME): string[] {
  return memberReadingJobs(policy).map((job) =>
    job === AUDIT_PITR_SERVICE ? auditRoleName : jobRoleName(job),
  );
}

export interface AuditStackProps extends StackProps {
  /** The validated policy (see infra/policy-context.ts); it is also every job's configuration. */
  readonly policy: Policy;
  /**
   * Name of the audit Lambda's role; member roles trust exactly this name.
   * @default AUDIT_ROLE_NAME ('certctl-backup-guard-audit-pitr')
   */
  readonly auditRoleName?: string;
  /**
   * The handler file to bundle.
   * @default AUDIT_PITR_ENTRY (functions/handlers/aws/audit-pitr.ts)
   */
  readonly entry?: string;
  /**
   * How long the Lambda's log lines are kept.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;
  /**
   * Lambda timeout; keep it below the schedule interval so runs do not overlap.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Lambda memory in MB. The audit is CPU-bound and Lambda gives CPU in proportion to memory, so
   * the default is one full vCPU (docs/deploy.md "Choosing the audit Lambda's memory"); a whole run
   * needs at least AUDIT_MIN_MEMORY_MB (512, `node bench/scheduled-run.ts`).
   * @default AUDIT_MEMORY_MB (1769)
   */
  readonly memorySize?: number;
  /**
   * The snapshot handler file to bundle.
   * @default SNAPSHOT_ENTRY (functions/handlers/aws/snapshot.ts)
   */
  readonly snapshotEntry?: SnapshotJobsProps['entry'];
  /**
   * The readiness handler file to bundle.
   * @default READINESS_ENTRY (functions/handlers/aws/readiness.ts)
   */
  readonly readinessEntry?: string;
}

/** The audit job's alarms, all notifying {@link AuditStack.alarmTopic}. */
export interface AuditAlarms {
  readonly errors: ScheduledJobAlarms['errors'];
  readonly throttles: ScheduledJobAlarms['throttles'];
  /**
   * No run recorded `AuditCompleted = 1` for a whole schedule period: the audit did not run, left
   * scopes unevaluated, could not evaluate a check, judged no database at all, or missed a database the policy names.
   */
  readonly auditNotCompleted: ScheduledJobAlarms['notCompleted'];
  readonly deadLetters: ScheduledJobAlarms['deadLetters'];
}

/** The audit account's stack: see the module comment. */
export class AuditStack extends Stack {
  /** Every scheduled job of the deployment, by job name. */
  readonly jobs: ReadonlyMap<string, ScheduledJob>;
  readonly auditSchedule: AuditSchedule;
  readonly alarmTopic: Topic;
  /** The key of the alarm topic (and of the chat notification topic). */
  readonly alarmKey: Key;
  readonly alarms: AuditAlarms;
  /** The pre-maintenance snapshot job, its idempotency table, maintenance rule and alarm. */
  readonly snapshots: SnapshotJobs;
  /** The `readiness` function (invoked on demand: it answers its caller, so it has no schedule or queue). */
  readonly readiness: JobFunctionParts;
  /** Present only when the policy allows a Slack workspace (`chatops.slack.teams`). */
  readonly chatOps: ChatOps | undefined;

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    super(scope, id, props);
    const { policy } = props;
    this.auditSchedule = parseAuditSchedule(policy.schedules.auditPitr);
    const alarms = this.createAlarmTopic(policy);
    this.alarmTopic = alarms.topic;
    this.alarmKey = alarms.key;

    const auditPitr = new ScheduledJob(this, 'AuditPitr', {
      job: AUDIT_PITR_SERVICE,
      description: 'audit managed-Postgres point-in-time recovery and publish findings',
      entry: props.entry ?? AUDIT_PITR_ENTRY,
      policy,
      schedule: this.auditSchedule,
      statements: auditPitrStatements(policy, this.region),
      acknowledgements: auditRoleAcknowledgements(policy),
      alarmTopic: this.alarmTopic,
      completionMetric: 'AuditCompleted',
      // CPU-bound: started with a larger initial old generation (infra/exec-wrapper.ts).
      execWrapper: true,
      roleName: props.auditRoleName ?? AUDIT_ROLE_NAME,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.timeout ? { timeout: props.timeout } : {}),
    });
    // The role has a fixed name, and CloudFormation cannot replace a named resource under a new
    // logical id (it would create the new role before deleting the old one, with the same name):
    // keep the id stacks deployed before the job construct existed already hold.
    (auditPitr.role.node.defaultChild as CfnRole).overrideLogicalId('AuditPitrRoleCB1CBDF7');
    const jobs = new Map([[AUDIT_PITR_SERVICE, auditPitr]]);
    // The dumps audit runs only where the policy places S3 dump locations.
    if (policy.dumps.locations.some((location) => location.provider === 'aws')) {
      jobs.set(
        AUDIT_DUMPS_SERVICE,
        new ScheduledJob(this, 'AuditDumps', {
          job: AUDIT_DUMPS_SERVICE,
          description: 'audit the pg_dump series in S3 and publish findings',
          entry: AUDIT_DUMPS_ENTRY,
          policy,
          schedule: parseAuditSchedule(policy.schedules.auditDumps, 'schedules.auditDumps'),
          statements: auditDumpsStatements(policy),
          acknowledgements: dumpsAcknowledgements(ownDumpLocations(policy)),
          alarmTopic: this.alarmTopic,
          completionMetric: 'AuditCompleted',
          execWrapper: true,
          ...(props.logRetention ? { logRetention: props.logRetention } : {}),
        }),
      );
    }
    // The key-material audit runs only where the policy's inventory names Secrets Manager secrets.
    if (awsKeySecrets(policy).length > 0) {
      jobs.set(
        AUDIT_KEYS_SERVICE,
        new ScheduledJob(this, 'AuditKeys', {
          job: AUDIT_KEYS_SERVICE,
          description: 'audit key-material backups in Secrets Manager and publish findings',
          entry: AUDIT_KEYS_ENTRY,
          policy,
          schedule: parseAuditSchedule(policy.schedules.auditKeys),
          statements: auditKeysStatements(policy),
          acknowledgements: keysAcknowledgements(
            ownKeySecrets(policy),
            policy.keys?.inspectSecretValues,
            policy.keys?.kmsKeyAccounts,
          ),
          alarmTopic: this.alarmTopic,
          completionMetric: 'AuditCompleted',
          execWrapper: true,
          ...(props.logRetention ? { logRetention: props.logRetention } : {}),
        }),
      );
    }
    const ledger = policy.securityHub.enabled ? addImportLedger(this, [...jobs.values()]) : undefined;
    this.snapshots = new SnapshotJobs(this, 'Snapshots', {
      policy,
      alarmTopic: this.alarmTopic,
      ...(props.snapshotEntry ? { entry: props.snapshotEntry } : {}),
    });
    jobs.set(SNAPSHOT_SERVICE, this.snapshots.job);
    this.jobs = jobs;
    this.readiness = createJobFunction(new Construct(this, 'Readiness'), {
      job: READINESS_SERVICE,
      description: 'go/no-go before a CA rotation: the audits and the pre-maintenance snapshots, read only',
      entry: props.readinessEntry ?? READINESS_ENTRY,
      policy,
      statements: readinessStatements(policy),
      acknowledgements: readinessAcknowledgements(policy),
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      timeout: Duration.minutes(5),
      // It runs the audits, which are CPU-bound: one vCPU, as the audit jobs.
      memorySize: AUDIT_MEMORY_MB,
    });
    const { notCompleted, ...jobAlarms } = auditPitr.alarms;
    this.alarms = { ...jobAlarms, auditNotCompleted: notCompleted };
    this.chatOps = chatOpsConfigured(policy)
      ? new ChatOps(this, 'ChatOps', {
          policy,
          alarmTopic: this.alarmTopic,
          notificationKey: this.alarmKey,
          actionStatements: chatActionStatements(policy),
          actionAcknowledgements: chatActionAcknowledgements(policy),
          idempotencyTable: this.snapshots.table,
          ...(props.logRetention ? { logRetention: props.logRetention } : {}),
        })
      : undefined;
    // The chat status reads what the audits last published (the import ledgers), never writes them.
    if (this.chatOps && ledger) grantLedgerRead(ledger, this.chatOps.action);

    new CfnOutput(this, 'AuditRoleArn', {
      value: auditPitr.role.roleArn,
      description:
        'Member roles trust this role (deploy CertctlBackupGuardMember with AuditAccountId = this account).',
    });
    new CfnOutput(this, 'AuditFunctionName', { value: auditPitr.function.functionName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: auditPitr.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'SnapshotFunctionName', {
      value: this.snapshots.job.function.functionName,
      description:
        'Invoke asynchronously (InvocationType Event) with a snapshot request; see docs/deploy.md "The snapshot Lambda".',
    });
    new CfnOutput(this, 'IdempotencyTableName', { value: this.snapshots.table.tableName });
    new CfnOutput(this, 'ReadinessFunctionName', {
      value: this.readiness.function.functionName,
      description:
        'Invoke (RequestResponse) for the go/no-go verdict; see docs/deploy.md "The readiness Lambda".',
    });
  }

  /** The audit-pitr job (the first job of the stack). */
  get auditJob(): ScheduledJob {
    return this.jobs.get(AUDIT_PITR_SERVICE) as ScheduledJob;
  }
  get auditFunction(): LambdaFunction {
    return this.auditJob.function;
  }
  get auditRole(): ScheduledJob['role'] {
    return this.auditJob.role;
  }
  get logGroup(): LogGroup {
    return this.auditJob.logGroup;
  }
  get deadLetterQueue(): Queue {
    return this.auditJob.deadLetterQueue;
  }
  get schedule(): Schedule {
    return this.auditJob.schedule;
  }

  private createAlarmTopic(policy: Policy): { topic: Topic; key: Key } {
    // SNS encryption needs a customer-managed key: CloudWatch cannot use the AWS-managed aws/sns key
    // to publish alarms (CloudWatch user guide, "alarms and encrypted SNS topics").
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'certctl-backup-guard alarm topic encryption',
      enableKeyRotation: true,
      // The key protects transient notifications only; nothing needs it after the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // A topic policy replaces SNS's default one, so CloudWatch may publish only because this says
    // so; both grants are limited to this account's own alarms (confused-deputy prevention:
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-actions.html and
    // https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html).
    const fromOwnAlarms = alarmSourceConditions();
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        // The key policy's own resource; who may publish at all is decided by the topic policy.
        resources: ['*'],
        conditions: fromOwnAlarms,
      }),
    );
    const topic = new Topic(this, 'AlarmTopic', {
      displayName: 'certctl-backup-guard alarms',
      masterKey: key,
      enforceSSL: true,
    });
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: fromOwnAlarms,
      }),
    );
    for (const email of policy.alarms.emails) topic.addSubscription(new EmailSubscription(email));
    return { topic, key };
  }
}

/**
 * The conditions under which CloudWatch may use the alarm topic and its key: the request comes from
 * an alarm of this account (`aws:SourceAccount`, and `aws:SourceArn` matching
 * `arn:<partition>:cloudwatch:<region>:<account>:alarm:*`).
 */
export function alarmSourceConditions(): Record<string, Record<string, string>> {
  return {
    StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
    ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
  };
}

/** `sts:AssumeRole` on exactly the member roles of the policy; none when it lists no account. */
function assumeMemberRolesStatements(policy: Policy): PolicyStatement[] {
  const memberRoles = [...new Set(policy.aws.accounts.map((account) => account.roleArn))];
  if (memberRoles.length === 0) return [];
  return [
    new PolicyStatement({
      sid: 'AssumeConfiguredMemberRoles',
      effect: Effect.ALLOW,
      actions: ['sts:AssumeRole'],
      resources: memberRoles,
    }),
  ];
}

/** The audit-pitr job's own permissions: the read statements, and assuming the member roles the policy lists. */
function auditPitrStatements(policy: Policy, stackRegion: string): PolicyStatement[] {
  return [...auditReadStatements(policy, stackRegion), ...assumeMemberRolesStatements(policy)];
}

/**
 * The chat action function's permissions: what `readiness` and `status` read (every database,
 * dump location and inventory secret an audit reads, values only with inspection, through the
 * member roles), never Security Hub imports (readiness publishes nothing); and the snapshot job's
 * tag-scoped creates in this account.
 */
export function chatActionStatements(policy: Policy): PolicyStatement[] {
  return [
    ...rdsDescribeStatements(auditRegions(policy), automatedBackupRegions(policy)),
    globalClustersDescribeStatement(),
    ...(policy.aws.regions === 'all' ? [listRegionsStatement()] : []),
    ...dumpsReadStatements(ownDumpLocations(policy)),
    // Its `readiness` judges the keys gate as the readiness function does, with the same reads.
    ...keysReadStatements(ownKeySecrets(policy), {
      inspect: policy.keys?.inspectSecretValues ?? false,
      keyAccounts: policy.keys?.kmsKeyAccounts ?? [],
    }),
    ...snapshotWriteStatements(policy),
    // Its snapshots are this account's (and so is readiness's key check when no member is listed).
    snapshotKeyDescribeStatement(policy),
    ...assumeMemberRolesStatements(policy),
  ];
}

/**
 * The readiness function's permissions: what every audit group reads (the RDS describes, the dump
 * locations, the inventory secrets, values only with inspection), the snapshot listings its snapshot
 * gate reads, and the member roles; never a Security Hub call (readiness publishes nothing) and
 * never a write.
 */
export function readinessStatements(policy: Policy): PolicyStatement[] {
  const regions = auditRegions(policy);
  return [
    ...rdsDescribeStatements(regions, automatedBackupRegions(policy)),
    globalClustersDescribeStatement(),
    ...(policy.aws.regions === 'all' ? [listRegionsStatement()] : []),
    ...dumpsReadStatements(ownDumpLocations(policy)),
    ...keysReadStatements(ownKeySecrets(policy), {
      inspect: policy.keys?.inspectSecretValues ?? false,
      keyAccounts: policy.keys?.kmsKeyAccounts ?? [],
    }),
    snapshotDescribeStatement(regions),
    // The key of the snapshot each GO rests on, in this account when the policy audits it (with
    // member accounts listed, their snapshots' keys are described through the member roles).
    ...(policy.aws.accounts.length === 0 ? [snapshotKeyDescribeStatement(policy)] : []),
    ...assumeMemberRolesStatements(policy),
  ];
}

/** The IAM5 findings of {@link readinessStatements}, each with its reason. */
export function readinessAcknowledgements(policy: Policy): NagAcknowledgement[] {
  const snapshotListings = auditRegions(policy).flatMap((region) =>
    ['db:*', 'cluster:*', 'snapshot:*', 'cluster-snapshot:*'].map((resource) =>
      nagResource('rds', region, resource),
    ),
  );
  return [
    {
      id: 'AwsSolutions-IAM5',
      reason:
        'The RDS describes (databases, automated backups, manual snapshots) are List-level calls that enumerate a region; without an identifier they are authorized against db:*, cluster:*, auto-backup:*, snapshot:* and cluster-snapshot:* (Service Authorization Reference, Amazon RDS). The grant is read-only, in this account and the audited regions.',
      findings: [...new Set([...rdsDescribeFindings(policy), ...snapshotListings])],
    },
    ...dumpsAcknowledgements(ownDumpLocations(policy)),
    ...keysAcknowledgements(
      ownKeySecrets(policy),
      policy.keys?.inspectSecretValues,
      policy.keys?.kmsKeyAccounts,
    ),
    ...pitrListingAcknowledgements(policy),
    ...(policy.aws.accounts.length === 0 ? snapshotKeyAcknowledgements(policy) : []),
  ];
}

/** The IAM5 findings of {@link chatActionStatements}, each with its reason. */
export function chatActionAcknowledgements(policy: Policy): NagAcknowledgement[] {
  const backups = automatedBackupFindings(policy);
  return [
    ...snapshotAcknowledgements(policy),
    ...(backups.length > 0
      ? [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'rds:DescribeDBInstanceAutomatedBackups is a List-level call that enumerates the automated backups of a region; without an identifier it is authorized against auto-backup:* (Service Authorization Reference, Amazon RDS). Chat readiness runs the PITR audit, which reads them; read-only, in this account and the audited regions.',
            findings: backups,
          },
        ]
      : []),
    ...snapshotKeyAcknowledgements(policy),
    ...dumpsAcknowledgements(ownDumpLocations(policy)),
    ...keysAcknowledgements(
      ownKeySecrets(policy),
      policy.keys?.inspectSecretValues,
      policy.keys?.kmsKeyAccounts,
    ),
    ...pitrListingAcknowledgements(policy),
  ];
}

/**
 * How a job whose resources the policy places (dump locations, inventory secrets) is granted: its
 * reads over the places in this account (its own role) or in a member account (the member role,
 * restricted to that account's own resources), Security Hub in the places' regions, and assuming
 * the member roles of the accounts that hold places.
 */
interface PlacedGrants<P extends AwsPlace> {
  /** The places the audit account's own role reads (all of them when no member account is listed). */
  readonly own: readonly P[];
  /** The places member roles read: those of the listed member accounts. */
  readonly held: readonly P[];
  /** The read statements over some places; `ownAccountOnly` for the member role's one template. */
  readonly reads: (places: readonly P[], ownAccountOnly: boolean) => PolicyStatement[];
  /** Prefix of its Security Hub Sids (a member role holds several jobs' statements). */
  readonly hubSidPrefix: string;
  /** Sid of its AssumeRole statement. */
  readonly assumeSid: string;
}

/** A placed job's own permissions: see {@link PlacedGrants}. */
function placedJobStatements<P extends AwsPlace>(policy: Policy, grants: PlacedGrants<P>): PolicyStatement[] {
  const statements = [
    ...grants.reads(grants.own, false),
    ...(policy.securityHub.enabled
      ? prefixedSecurityHubStatements(grants.hubSidPrefix, placeRegions(grants.own))
      : []),
  ];
  const holders = new Set(grants.held.map((place) => place.account));
  const memberRoles = [
    ...new Set(
      policy.aws.accounts
        .filter((account) => holders.has(account.accountId))
        .map((account) => account.roleArn),
    ),
  ];
  if (memberRoles.length > 0) {
    statements.push(
      new PolicyStatement({
        sid: grants.assumeSid,
        effect: Effect.ALLOW,
        actions: ['sts:AssumeRole'],
        resources: memberRoles,
      }),
    );
  }
  return statements;
}

/** The member role's part of a placed job: the member-held places, this account's resources only. */
function placedMemberStatements<P extends AwsPlace>(
  policy: Policy,
  grants: PlacedGrants<P>,
): PolicyStatement[] {
  return [
    ...grants.reads(grants.held, true),
    ...(policy.securityHub.enabled
      ? prefixedSecurityHubStatements(grants.hubSidPrefix, placeRegions(grants.held))
      : []),
  ];
}

/** The dumps audit's grants: the scoped S3 reads at the policy's S3 dump locations. */
function dumpsGrants(policy: Policy): PlacedGrants<AwsDumpLocation> {
  return {
    own: ownDumpLocations(policy),
    held: memberDumpLocations(policy),
    reads: (places, ownAccountOnly) => dumpsReadStatements(places, { ownAccountOnly }),
    hubSidPrefix: 'Dumps',
    assumeSid: 'AssumeDumpHoldingMemberRoles',
  };
}

/** The keys audit's grants: the inventory secrets' reads (values only with inspection). */
function keysGrants(policy: Policy): PlacedGrants<AwsKeySecret> {
  const inspect = policy.keys?.inspectSecretValues ?? false;
  const keyAccounts = policy.keys?.kmsKeyAccounts ?? [];
  return {
    own: ownKeySecrets(policy),
    held: memberKeySecrets(policy),
    reads: (places, ownAccountOnly) => keysReadStatements(places, { inspect, ownAccountOnly, keyAccounts }),
    hubSidPrefix: 'Keys',
    assumeSid: 'AssumeKeyHoldingMemberRoles',
  };
}

/**
 * The audit-dumps job's own permissions: the scoped S3 reads and Security Hub in the buckets'
 * regions when the buckets are in this account, or assuming the member roles of the accounts that
 * hold them.
 */
export function auditDumpsStatements(policy: Policy): PolicyStatement[] {
  return placedJobStatements(policy, dumpsGrants(policy));
}

/** The member role's dumps permissions: the member-held locations, this account's buckets only. */
export function memberDumpsStatements(policy: Policy): PolicyStatement[] {
  return placedMemberStatements(policy, dumpsGrants(policy));
}

/**
 * The audit-keys job's own permissions: the inventory reads (values only with inspection) and
 * Security Hub in the secrets' regions when the secrets are in this account, or assuming the member
 * roles of the accounts that hold them.
 */
export function auditKeysStatements(policy: Policy): PolicyStatement[] {
  return placedJobStatements(policy, keysGrants(policy));
}

/** The member role's key-material permissions: the member-held inventory secrets, this account's only. */
export function memberKeysStatements(policy: Policy): PolicyStatement[] {
  return placedMemberStatements(policy, keysGrants(policy));
}

/** The IAM5 (wildcard) findings of {@link keysReadStatements} over `secrets`, each with its reason. */
export function keysAcknowledgements(
  secrets: readonly AwsKeySecret[],
  inspect = false,
  keyAccounts: readonly string[] = [],
): NagAcknowledgement[] {
  if (secrets.length === 0) return [];
  const acknowledgements: NagAcknowledgement[] = [
    {
      id: 'AwsSolutions-IAM5',
      reason:
        "kms:DescribeKey names key/* in every region of the inventory secrets' accounts and of the central key accounts keys.kmsKeyAccounts lists: which key a secret and each of its replicas use, and in which regions the replicas are, is known only from DescribeSecret at run time (a replica is encrypted by a key of its own region); another account's key answers only when its key policy allows it too; the call reads key metadata only.",
      findings: keySecretKmsDescribeKeys(secrets, keyAccounts, '<AWS::Partition>').map(
        (arn) => `Resource::${arn}`,
      ),
    },
    {
      id: 'AwsSolutions-IAM5',
      reason:
        "secretsmanager:DescribeSecret names the inventory secrets' own names in every region of their accounts: a secret the policy names may be a replica, whose answer names its primary's region but not whether the copy is in sync; the primary, the same name in a region known only at run time, reports that. Metadata only, no value.",
      findings: keySecretPrimaryArns(secrets, '<AWS::Partition>').map((arn) => `Resource::${arn}`),
    },
  ];
  if (inspect) {
    acknowledgements.push({
      id: 'AwsSolutions-IAM5',
      reason:
        'kms:Decrypt, only through Secrets Manager for the inventory secrets (kms:ViaService, SecretARN encryption context), names key/* in the accounts and regions of the inventory secrets (and of the listed central key accounts in those regions): which key a secret uses is known only from DescribeSecret at run time.',
      findings: keySecretKmsKeys(secrets, keyAccounts, '<AWS::Partition>').map((arn) => `Resource::${arn}`),
    });
    acknowledgements.push({
      id: 'AwsSolutions-IAM5',
      reason:
        'secretsmanager:BatchGetSecretValue has no resource type (Service Authorization Reference, AWS Secrets Manager); Secrets Manager authorizes GetSecretValue on each secret it returns, which is granted on the inventory secrets only.',
      findings: ['Resource::*'],
    });
  }
  return acknowledgements;
}

/** The IAM5 (wildcard) findings of {@link dumpsReadStatements} over `locations`, each with its reason. */
export function dumpsAcknowledgements(locations: readonly AwsDumpLocation[]): NagAcknowledgement[] {
  if (locations.length === 0) return [];
  const objects = [...new Set(locations.map(({ bucket, prefix }) => `${bucket}/${prefix}*`))].sort();
  return [
    {
      id: 'AwsSolutions-IAM5',
      reason:
        's3:GetObject reads the header of the newest dump, whose key changes every day; the grant is every object under exactly the configured prefix of the configured bucket, nothing else.',
      findings: objects.map((object) => `Resource::arn:<AWS::Partition>:s3:::${object}`),
    },
    {
      id: 'AwsSolutions-IAM5',
      reason:
        "A ranged GET of an SSE-KMS dump decrypts it with the bucket's key, which the policy does not name; kms:Decrypt is limited to calls made through S3 in the region dumps.locations gives each bucket (kms:ViaService) for objects under the configured prefixes, or for the configured buckets' Bucket Keys (the aws:s3:arn encryption context: the object's ARN, or the bucket's with S3 Bucket Keys on, where s3:GetObject still reaches only the prefixes). A bucket S3 redirects to another region is not covered there: the dumps checks name the grant and the policy fix instead of widening it.",
      findings: dumpRegions(locations).map(
        (region) => `Resource::arn:<AWS::Partition>:kms:${region}:*:key/*`,
      ),
    },
    {
      id: 'AwsSolutions-IAM5',
      reason:
        "kms:DescribeKey names key/* in every region of the dump buckets' accounts: which key a bucket's default encryption uses is known only from GetBucketEncryption at run time (a key ARN may name the AWS-managed aws/s3 key, so only KMS tells whether it is customer-managed), in the bucket's region, which S3's redirect may correct; the call reads key metadata only.",
      findings: [...new Set(locations.map(({ account }) => account))]
        .sort()
        .map((account) => `Resource::arn:<AWS::Partition>:kms:*:${account}:key/*`),
    },
    {
      id: 'AwsSolutions-IAM5',
      reason:
        "s3:GetAccountPublicAccessBlock reads the account-level Block Public Access, which S3 combines with each dump bucket's own; it is an account-level read with no resource type (Service Authorization Reference, Amazon S3), so its resource is *; a role reads only its own account's setting.",
      findings: ['Resource::*'],
    },
  ];
}

/**
 * The IAM5 findings of the automated-backup listing and the Aurora copy reads in every Region
 * ({@link automatedBackupRegions}), when `pitr.cross-region` reads replication destinations and
 * copy clusters outside the audited Regions.
 */
export function replicaListingAcknowledgements(policy: Policy): NagAcknowledgement[] {
  const regions = automatedBackupRegions(policy);
  if (!regions.includes('*') || auditRegions(policy).includes('*')) return [];
  return [
    {
      id: 'AwsSolutions-IAM5',
      reason:
        "pitr.cross-region reads each automated-backup replication in its destination Region (rds:DescribeDBInstanceAutomatedBackups there, a List-level call authorized against auto-backup:*) and each Aurora cluster's copy in its own Region (rds:DescribeDBClusters there by the copy's ARN, on cluster:*); the destinations and copies are named by the databases at run time and need not be audited Regions, so the Region is the only wildcard. Read-only, in this account only.",
      findings: [nagResource('rds', '*', 'auto-backup:*'), nagResource('rds', '*', 'cluster:*')],
    },
  ];
}

/**
 * The Regions of `regions` whose findings are acknowledged with the RDS describes' own reason: all
 * of them, but the `*` of the cross-Region reads, which {@link replicaListingAcknowledgements} gives
 * its own reason (a role that audits every Region has only `*`, acknowledged with the describes).
 */
function describedRegions(policy: Policy, regions: RegionScope): string[] {
  const crossRegionReads = replicaListingAcknowledgements(policy).length > 0;
  return regions.filter((region) => !(crossRegionReads && region === '*'));
}

/**
 * The IAM5 findings of the automated-backup listing {@link rdsDescribeStatements} grants under
 * `policy` ({@link automatedBackupRegions}), in the Regions {@link describedRegions} keeps.
 */
function automatedBackupFindings(policy: Policy): string[] {
  return describedRegions(policy, automatedBackupRegions(policy)).map((region) =>
    nagResource('rds', region, 'auto-backup:*'),
  );
}

/**
 * The IAM5 findings of the audit's RDS describes ({@link rdsDescribeStatements} over the audited
 * Regions and {@link automatedBackupRegions}): `db:*` in the audited Regions, `cluster:*` and
 * `auto-backup:*` in the Regions they are granted in, less the `*` of the cross-Region reads
 * ({@link describedRegions}). Only these: a finding acknowledged that the role does not have would
 * pass unseen the day a change added it.
 */
function rdsDescribeFindings(policy: Policy): string[] {
  const regions = auditRegions(policy);
  return [
    ...regions.map((region) => nagResource('rds', region, 'db:*')),
    ...describedRegions(policy, clusterRegions(regions, automatedBackupRegions(policy))).map((region) =>
      nagResource('rds', region, 'cluster:*'),
    ),
    ...automatedBackupFindings(policy),
  ];
}

/**
 * The IAM5 findings of the listings only the PITR audit sends beyond the audited Regions' databases:
 * the automated-backup replicas ({@link replicaListingAcknowledgements}) and the global clusters.
 */
export function pitrListingAcknowledgements(policy: Policy): NagAcknowledgement[] {
  return [
    ...replicaListingAcknowledgements(policy),
    {
      id: 'AwsSolutions-IAM5',
      reason:
        'rds:DescribeGlobalClusters is a List-level call that enumerates the Aurora global databases; the PITR audit reads it for the role (IsWriter) of a global member DescribeDBClusters lists without its source and without a DB instance or a writer instance. A global cluster ARN names no Region, so the grant is global-cluster:* of this account only. Read-only.',
      findings: [nagResource('rds', '', 'global-cluster:*')],
    },
  ];
}

/**
 * The IAM5 (wildcard) findings an audit role under `policy` has, each with its reason. Shared by
 * the audit role and the member role, which hold the same read statements.
 */
export function auditRoleAcknowledgements(policy: Policy): NagAcknowledgement[] {
  const rds = rdsDescribeFindings(policy);
  const acknowledgements: NagAcknowledgement[] = [
    {
      id: 'AwsSolutions-IAM5',
      reason:
        'rds:DescribeDBInstances, rds:DescribeDBClusters and rds:DescribeDBInstanceAutomatedBackups are List-level calls that enumerate every database; without an identifier they are authorized against db:*, cluster:* and auto-backup:* (Service Authorization Reference, Amazon RDS). The grant stays read-only and scoped to this account and the audited regions.',
      findings: rds,
    },
    ...pitrListingAcknowledgements(policy),
  ];
  // The region wildcard is the only finding; the stack's own region names none.
  const hubRegions = securityHubRegions(policy, Aws.REGION);
  if (policy.securityHub.enabled && hubRegions.includes('*')) {
    acknowledgements.push({
      id: 'AwsSolutions-IAM5',
      reason:
        'With aws.regions = all the audit publishes in every enabled region, which is only known at run time (account:ListRegions); the region is the only wildcard, the account and its own default product/hub are fixed.',
      findings: [
        nagResource('securityhub', '*', 'product/<AWS::AccountId>/default'),
        nagResource('securityhub', '*', 'hub/default'),
      ],
    });
  }
  return acknowledgements;
}
