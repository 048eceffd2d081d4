/**
 * The audit account's stack: the `audit-pitr` Lambda on an EventBridge Scheduler schedule, its
 * dead-letter queue, its alarms and their SNS topic, and a least-privilege role that reads RDS
 * configuration, imports findings into this account's Security Hub, and assumes only the member
 * roles the policy names.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IAlarm,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { POLICY_ENV, type Policy } from '../functions/core/policy.ts';
import { type AuditSchedule, parseAuditSchedule } from '../functions/core/schedule.ts';
import { METRICS_NAMESPACE } from '../functions/handlers/aws/observability.ts';
import { FUNCTION_BUNDLING, FUNCTION_NODE_OPTIONS } from './bundling.ts';
import { acknowledge, type NagAcknowledgement } from './nag.ts';
import { auditReadStatements, auditRegions, securityHubRegions } from './permissions.ts';

/** The repository root (infra/ is one level down). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The `audit-pitr` Lambda handler (exports `handler`). */
export const AUDIT_PITR_ENTRY = join(REPO_ROOT, 'functions', 'handlers', 'aws', 'audit-pitr.ts');

/**
 * Name of the audit Lambda's role. Fixed (not generated) because every member account's trust
 * policy names it: `aws:PrincipalArn = arn:<partition>:iam::<audit account>:role/<this name>`.
 */
export const AUDIT_ROLE_NAME = 'certctl-backup-guard-audit-pitr';

/** The Powertools `service` dimension the `audit-pitr` handler records its metrics under. */
export const AUDIT_PITR_SERVICE = 'audit-pitr';

/** Lambda limits the environment to 4 KB in total (Lambda quotas), and the policy travels in it. */
const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

export interface AuditStackProps extends StackProps {
  /** The validated policy (see infra/policy-context.ts); it is also the Lambda's configuration. */
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
   * Lambda memory in MB (a 6,000-resource audit fits 256 MB: DESIGN.md, performance targets).
   * @default 256
   */
  readonly memorySize?: number;
}

/** The alarms the stack creates, all notifying {@link AuditStack.alarmTopic}. */
export interface AuditAlarms {
  /** The Lambda threw (a run failed, or findings could not be imported). */
  readonly errors: IAlarm;
  /** Lambda refused to start a run (concurrency exhausted). */
  readonly throttles: IAlarm;
  /**
   * No run recorded `AuditCompleted = 1` for a whole schedule period: the audit did not run, left
   * scopes unevaluated, judged no database at all, or missed a database the policy names.
   */
  readonly auditNotCompleted: IAlarm;
  /** A run landed in the dead-letter queue (the schedule could not deliver it, or it failed). */
  readonly deadLetters: IAlarm;
}

/** The audit account's stack: see the module comment. */
export class AuditStack extends Stack {
  readonly auditFunction: NodejsFunction;
  readonly auditRole: Role;
  readonly logGroup: LogGroup;
  readonly deadLetterQueue: Queue;
  readonly schedule: Schedule;
  readonly auditSchedule: AuditSchedule;
  readonly alarmTopic: Topic;
  readonly alarms: AuditAlarms;

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    super(scope, id, props);
    const { policy } = props;
    this.auditSchedule = parseAuditSchedule(policy.schedules.auditPitr);
    const environment = { [POLICY_ENV]: JSON.stringify(policy), NODE_OPTIONS: FUNCTION_NODE_OPTIONS };
    checkEnvironmentSize(environment);

    this.deadLetterQueue = new Queue(this, 'AuditPitrDeadLetters', {
      // SSE-SQS, not a KMS key: EventBridge Scheduler cannot use the AWS-managed aws/sqs key.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetterQueue, [
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is the dead-letter queue itself (for the EventBridge Scheduler target and the Lambda on-failure destination); a DLQ of a DLQ would only move the same undeliverable runs one hop further.',
      },
    ]);

    this.auditRole = this.createAuditRole(props);
    this.logGroup = new LogGroup(this, 'AuditPitrLogs', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      // Audit logs are evidence; they outlive the stack and are removed by hand (docs/deploy.md).
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.logGroup.grantWrite(this.auditRole);

    this.auditFunction = new NodejsFunction(this, 'AuditPitrFunction', {
      description: 'certctl-backup-guard: audit managed-Postgres point-in-time recovery and publish findings',
      entry: props.entry ?? AUDIT_PITR_ENTRY,
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.minutes(5),
      role: this.auditRole,
      logGroup: this.logGroup,
      environment,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      // The shared function bundling (infra/bundling.ts), in NodejsFunction's terms; the benchmark
      // builds the same bundle from the same values (test/infra/bundling.test.ts compares the bytes).
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: FUNCTION_BUNDLING.target,
        mainFields: [...FUNCTION_BUNDLING.mainFields],
        minify: FUNCTION_BUNDLING.minify,
        sourceMap: true,
        // DEFAULT is esbuild's `--sourcemap` (linked); EXTERNAL would drop the sourceMappingURL comment.
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: FUNCTION_BUNDLING.sourcesContent,
        // Ship the SDK versions the code was tested with, not whatever the runtime carries.
        bundleAwsSDK: true,
        banner: FUNCTION_BUNDLING.banner,
      },
      // A failed run is not retried: the next scheduled run is the retry, and the failure is
      // kept in the dead-letter queue and raises the Errors alarm.
      retryAttempts: 0,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });

    // Our own role (rather than the target's shared one) so its trust and acknowledgement are explicit.
    const scheduleRole = new Role(this, 'AuditPitrScheduleRole', {
      description:
        'certctl-backup-guard: EventBridge Scheduler invokes audit-pitr and dead-letters undelivered runs',
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    });
    acknowledge(scheduleRole, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'LambdaInvoke grants lambda:InvokeFunction on the audit function and its qualified ARNs (<function ARN>:*, versions and aliases of this one function only); no other function is reachable.',
        findings: ['Resource::<AuditPitrFunctionCBD7852F.Arn>:*'],
      },
    ]);
    this.schedule = new Schedule(this, 'AuditPitrSchedule', {
      description: `certctl-backup-guard audit-pitr (${policy.schedules.auditPitr})`,
      schedule: ScheduleExpression.expression(this.auditSchedule.eventBridgeExpression),
      target: new LambdaInvoke(this.auditFunction, {
        role: scheduleRole,
        input: ScheduleTargetInput.fromObject({}),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 4,
        // An undelivered run older than one interval is superseded by the next one.
        maxEventAge: Duration.minutes(Math.min(Math.max(this.auditSchedule.maxIntervalMinutes, 1), 24 * 60)),
      }),
    });

    this.alarmTopic = this.createAlarmTopic(policy);
    this.alarms = this.createAlarms();

    new CfnOutput(this, 'AuditRoleArn', {
      value: this.auditRole.roleArn,
      description:
        'Member roles trust this role (deploy CertctlBackupGuardMember with AuditAccountId = this account).',
    });
    new CfnOutput(this, 'AuditFunctionName', { value: this.auditFunction.functionName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl });
  }

  private createAuditRole(props: AuditStackProps): Role {
    const { policy } = props;
    const role = new Role(this, 'AuditPitrRole', {
      roleName: props.auditRoleName ?? AUDIT_ROLE_NAME,
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description:
        'certctl-backup-guard audit-pitr: read-only RDS describe, Security Hub import, member roles',
    });
    for (const statement of auditReadStatements(policy)) role.addToPolicy(statement);
    const memberRoles = [...new Set(policy.aws.accounts.map((account) => account.roleArn))];
    if (memberRoles.length > 0) {
      role.addToPolicy(
        new PolicyStatement({
          sid: 'AssumeConfiguredMemberRoles',
          effect: Effect.ALLOW,
          actions: ['sts:AssumeRole'],
          resources: memberRoles,
        }),
      );
    }
    acknowledge(role, auditRoleAcknowledgements(policy));
    return role;
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

  private createAlarms(): AuditAlarms {
    const action = new SnsAction(this.alarmTopic);
    const fiveMinutes = Duration.minutes(5);
    const interval = Duration.minutes(this.auditSchedule.maxIntervalMinutes);
    const alarms: AuditAlarms = {
      errors: new Alarm(this, 'AuditPitrErrorsAlarm', {
        alarmDescription:
          'certctl-backup-guard audit-pitr failed (see its log group and the dead-letter queue).',
        metric: this.auditFunction.metricErrors({ period: fiveMinutes, statistic: Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      throttles: new Alarm(this, 'AuditPitrThrottlesAlarm', {
        alarmDescription:
          'certctl-backup-guard audit-pitr was throttled: a scheduled run may not have started.',
        metric: this.auditFunction.metricThrottles({ period: fiveMinutes, statistic: Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      // Two whole schedule periods, both without AuditCompleted = 1: one run that lands just past a
      // period boundary does not alarm, a run that did not happen (or left scopes unevaluated) does.
      auditNotCompleted: new Alarm(this, 'AuditPitrNotCompletedAlarm', {
        alarmDescription: `certctl-backup-guard audit-pitr did not complete for a whole schedule period (${this.auditSchedule.expression}): it did not run, failed, left scopes unevaluated, judged no database, or missed a database the policy names.`,
        metric: new Metric({
          namespace: METRICS_NAMESPACE,
          metricName: 'AuditCompleted',
          dimensionsMap: { service: AUDIT_PITR_SERVICE },
          statistic: Stats.MAXIMUM,
          period: interval,
        }),
        threshold: 1,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        // No data is the failure this alarm exists for.
        treatMissingData: TreatMissingData.BREACHING,
      }),
      deadLetters: new Alarm(this, 'AuditPitrDeadLettersAlarm', {
        alarmDescription: 'certctl-backup-guard audit-pitr runs are waiting in the dead-letter queue.',
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: fiveMinutes,
          statistic: Stats.MAXIMUM,
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    };
    for (const alarm of Object.values(alarms) as Alarm[]) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    return alarms;
  }
}

function checkEnvironmentSize(environment: Record<string, string>): void {
  const bytes = Object.entries(environment).reduce(
    (sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value),
    0,
  );
  if (bytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
    throw new Error(
      `the policy makes the audit-pitr Lambda environment ${bytes} bytes, over Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}-byte limit; shorten the policy (fewer explicit identifiers or accounts)`,
    );
  }
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
