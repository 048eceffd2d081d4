/**
 * The audit account's stack: the alarm topic (and its key), and one {@link ScheduledJob} per job of
 * the deployment. Today that is the `audit-pitr` Lambda: it reads RDS configuration, imports
 * findings into this account's Security Hub, and assumes only the member roles the policy names.
 */
import { join } from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { type CfnRole, Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { keyInventory } from '../functions/core/keys-policy.ts';
import type { Policy } from '../functions/core/policy.ts';
import { type AuditSchedule, parseAuditSchedule } from '../functions/core/schedule.ts';
import { REPO_ROOT } from './bundling.ts';
import type { NagAcknowledgement } from './nag.ts';
import { auditReadStatements, auditRegions, keysReadStatements, securityHubRegions } from './permissions.ts';
import { jobRoleName, ScheduledJob, type ScheduledJobAlarms } from './scheduled-job.ts';

export { REPO_ROOT };

/** The `audit-pitr` Lambda handler (exports `handler`). */
export const AUDIT_PITR_ENTRY = join(REPO_ROOT, 'functions', 'handlers', 'aws', 'audit-pitr.ts');

/** The `audit-keys` Lambda handler (exports `handler`). */
export const AUDIT_KEYS_ENTRY = join(REPO_ROOT, 'functions', 'handlers', 'aws', 'audit-keys.ts');

/** The Powertools `service` dimension (and role name suffix) of the `audit-keys` job. */
export const AUDIT_KEYS_SERVICE = 'audit-keys';

/** The Powertools `service` dimension the `audit-pitr` handler records its metrics under. */
export const AUDIT_PITR_SERVICE = 'audit-pitr';

/**
 * Name of the audit Lambda's role. Fixed (not generated) because every member account's trust
 * policy names it: `aws:PrincipalArn = arn:<partition>:iam::<audit account>:role/<this name>`.
 */
export const AUDIT_ROLE_NAME = jobRoleName(AUDIT_PITR_SERVICE);

/** The jobs whose roles read member accounts, and so the roles member stacks trust by default. */
export const MEMBER_READING_JOBS: readonly string[] = [AUDIT_PITR_SERVICE];

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
   * Lambda memory in MB (a 6,000-resource audit fits 256 MB: `npm run bench:audit` measures it).
   * @default 256
   */
  readonly memorySize?: number;
}

/** The audit job's alarms, all notifying {@link AuditStack.alarmTopic}. */
export interface AuditAlarms {
  readonly errors: ScheduledJobAlarms['errors'];
  readonly throttles: ScheduledJobAlarms['throttles'];
  /**
   * No run recorded `AuditCompleted = 1` for a whole schedule period: the audit did not run, left
   * scopes unevaluated, judged no database at all, or missed a database the policy names.
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
  readonly alarms: AuditAlarms;

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    super(scope, id, props);
    const { policy } = props;
    this.auditSchedule = parseAuditSchedule(policy.schedules.auditPitr);
    this.alarmTopic = this.createAlarmTopic(policy);

    const auditPitr = new ScheduledJob(this, 'AuditPitr', {
      job: AUDIT_PITR_SERVICE,
      description: 'audit managed-Postgres point-in-time recovery and publish findings',
      entry: props.entry ?? AUDIT_PITR_ENTRY,
      policy,
      schedule: this.auditSchedule,
      statements: auditPitrStatements(policy),
      acknowledgements: auditRoleAcknowledgements(policy),
      alarmTopic: this.alarmTopic,
      completionMetric: 'AuditCompleted',
      roleName: props.auditRoleName ?? AUDIT_ROLE_NAME,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.timeout ? { timeout: props.timeout } : {}),
      ...(props.memorySize ? { memorySize: props.memorySize } : {}),
    });
    // The role has a fixed name, and CloudFormation cannot replace a named resource under a new
    // logical id (it would create the new role before deleting the old one, with the same name):
    // keep the id stacks deployed before the job construct existed already hold.
    (auditPitr.role.node.defaultChild as CfnRole).overrideLogicalId('AuditPitrRoleCB1CBDF7');
    const jobs = new Map([[AUDIT_PITR_SERVICE, auditPitr]]);
    // The key-material audit exists only when the policy has an AWS inventory to read.
    const keysStatements = keysReadStatements(policy);
    if (keysStatements.length > 0) {
      jobs.set(
        AUDIT_KEYS_SERVICE,
        new ScheduledJob(this, 'AuditKeys', {
          job: AUDIT_KEYS_SERVICE,
          description: 'audit key-material backups (Secrets Manager, KMS) and publish findings',
          entry: AUDIT_KEYS_ENTRY,
          policy,
          schedule: parseAuditSchedule(policy.schedules.auditKeys),
          statements: keysStatements,
          acknowledgements: keysRoleAcknowledgements(policy),
          alarmTopic: this.alarmTopic,
          completionMetric: 'AuditCompleted',
        }),
      );
    }
    this.jobs = jobs;
    const { notCompleted, ...alarms } = auditPitr.alarms;
    this.alarms = { ...alarms, auditNotCompleted: notCompleted };

    new CfnOutput(this, 'AuditRoleArn', {
      value: auditPitr.role.roleArn,
      description:
        'Member roles trust this role (deploy CertctlBackupGuardMember with AuditAccountId = this account).',
    });
    new CfnOutput(this, 'AuditFunctionName', { value: auditPitr.function.functionName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: auditPitr.deadLetterQueue.queueUrl });
  }

  /** The audit-pitr job (the first job of the stack). */
  get auditJob(): ScheduledJob {
    return this.jobs.get(AUDIT_PITR_SERVICE) as ScheduledJob;
  }
  get auditFunction(): NodejsFunction {
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

  private createAlarmTopic(policy: Policy): Topic {
    // SNS encryption needs a customer-managed key: CloudWatch cannot use the AWS-managed aws/sns key
    // to publish alarms (CloudWatch user guide, "alarms and encrypted SNS topics").
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'certctl-backup-guard alarm topic encryption',
      enableKeyRotation: true,
      // The key protects transient notifications only; nothing needs it after the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        // The key policy's own resource; who may publish at all is decided by the topic policy.
        resources: ['*'],
      }),
    );
    const topic = new Topic(this, 'AlarmTopic', {
      displayName: 'certctl-backup-guard alarms',
      masterKey: key,
      enforceSSL: true,
    });
    for (const email of policy.alarms.emails) topic.addSubscription(new EmailSubscription(email));
    return topic;
  }
}

/** The audit-pitr job's own permissions: the read statements, and assuming the member roles the policy lists. */
function auditPitrStatements(policy: Policy): PolicyStatement[] {
  const statements = auditReadStatements(policy);
  const memberRoles = [...new Set(policy.aws.accounts.map((account) => account.roleArn))];
  if (memberRoles.length > 0) {
    statements.push(
      new PolicyStatement({
        sid: 'AssumeConfiguredMemberRoles',
        effect: Effect.ALLOW,
        actions: ['sts:AssumeRole'],
        resources: memberRoles,
      }),
    );
  }
  return statements;
}

/** The IAM5 findings of the audit-keys role, each with its reason. */
function keysRoleAcknowledgements(policy: Policy): NagAcknowledgement[] {
  const places = [
    ...new Set(
      (policy.keys ? keyInventory(policy.keys) : []).flatMap((item) =>
        item.location.provider === 'aws' ? [`${item.location.region}:${item.location.account}`] : [],
      ),
    ),
  ].sort();
  const acknowledgements: NagAcknowledgement[] = [
    {
      id: 'AwsSolutions-IAM5',
      reason:
        'kms:DescribeKey (and, with inspection, kms:Decrypt through Secrets Manager only) name key/* in the inventory accounts and regions: which key a secret uses is known only from DescribeSecret at run time.',
      findings: places.map((place) => `Resource::arn:<AWS::Partition>:kms:${place}:key/*`),
    },
  ];
  if (policy.keys?.inspectSecretValues) {
    acknowledgements.push({
      id: 'AwsSolutions-IAM5',
      reason:
        'secretsmanager:BatchGetSecretValue has no resource type (Service Authorization Reference); Secrets Manager checks GetSecretValue on each secret, which is granted on the inventory secrets only.',
      findings: ['Resource::*'],
    });
  }
  return acknowledgements;
}

/** `Resource::arn:<AWS::Partition>:...` as cdk-nag names a wildcard resource. */
export function nagResource(service: string, region: string, resource: string): string {
  return `Resource::arn:<AWS::Partition>:${service}:${region}:<AWS::AccountId>:${resource}`;
}

/**
 * The IAM5 (wildcard) findings an audit role under `policy` has, each with its reason. Shared by
 * the audit role and the member role, which hold the same read statements.
 */
export function auditRoleAcknowledgements(policy: Policy): NagAcknowledgement[] {
  const rds = auditRegions(policy).flatMap((region) => [
    nagResource('rds', region, 'db:*'),
    nagResource('rds', region, 'cluster:*'),
    nagResource('rds', region, 'auto-backup:*'),
  ]);
  const acknowledgements: NagAcknowledgement[] = [
    {
      id: 'AwsSolutions-IAM5',
      reason:
        'rds:DescribeDBInstances, rds:DescribeDBClusters and rds:DescribeDBInstanceAutomatedBackups are List-level calls that enumerate every database; without an identifier they are authorized against db:*, cluster:* and auto-backup:* (Service Authorization Reference, Amazon RDS). The grant stays read-only and scoped to this account and the audited regions.',
      findings: rds,
    },
  ];
  const hubRegions = securityHubRegions(policy);
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
