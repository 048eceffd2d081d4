/**
 * The pre-maintenance snapshot deployment: the idempotency table, the `snapshot` job (a
 * {@link ScheduledJob}: its schedule runs the maintenance-aware scan, ChatOps invokes it
 * asynchronously with a request), the EventBridge rule that runs the same scan when AWS announces
 * RDS maintenance, and the alarm on failed snapshots. The job snapshots databases of its own
 * account (in the policy's regions): member roles are read-only by design, so a member account's
 * databases are snapshot from that account (the CLI with its credentials, or this stack there).
 */
import { join } from 'node:path';
import { Annotations, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { Policy } from '../functions/core/policy.ts';
import { parseAuditSchedule } from '../functions/core/schedule.ts';
import { METRICS_NAMESPACE } from '../functions/handlers/aws/observability.ts';
import { IDEMPOTENCY_TABLE_ENV } from '../functions/handlers/aws/snapshot.ts';
import { REPO_ROOT } from './bundling.ts';
import { type NagAcknowledgement, nagResource } from './nag.ts';
import {
  auditRegions,
  listRegionsStatement,
  OWN_SNAPSHOT_NAMES,
  rdsDescribeStatements,
  snapshotKeyDescribeStatement,
  snapshotWriteStatements,
} from './permissions.ts';
import { ScheduledJob } from './scheduled-job.ts';

/** The Powertools `service` of the snapshot handler, and its job name. */
export const SNAPSHOT_SERVICE = 'snapshot';
/** The `snapshot` Lambda handler (exports `handler`). */
export const SNAPSHOT_ENTRY = join(REPO_ROOT, 'functions', 'handlers', 'aws', 'snapshot.ts');
/**
 * Lambda memory of the snapshot job in MB: it mostly waits for RDS (polls with backoff), and its
 * CPU work is one target listing per region, far below the audit's.
 */
export const SNAPSHOT_MEMORY_MB = 512;

export interface SnapshotJobsProps {
  readonly policy: Policy;
  /** Where the alarms notify. */
  readonly alarmTopic: ITopic;
  /**
   * The handler file to bundle.
   * @default SNAPSHOT_ENTRY (functions/handlers/aws/snapshot.ts)
   */
  readonly entry?: string;
}

/** The IAM5 findings of the snapshot statements (also held by the chat action), with their reason. */
export function snapshotAcknowledgements(policy: Policy): NagAcknowledgement[] {
  const regions = auditRegions(policy);
  return [
    {
      id: 'AwsSolutions-IAM5',
      reason:
        'Creating a snapshot is authorized on the source database (db:* / cluster:*, narrowed by the rds:db-tag / rds:cluster-tag condition to the policy target tag) and on the new snapshot (snapshot:certctl-premaint-*, narrowed by aws:RequestTag and aws:TagKeys, tagging only while it has no purpose tag); nothing is deleted (pruning is the CLI, with the operator credentials); describes are List-level calls without an identifier, read-only and in this account only.',
      findings: regions.flatMap((region) => [
        nagResource('rds', region, 'db:*'),
        nagResource('rds', region, 'cluster:*'),
        nagResource('rds', region, 'snapshot:*'),
        nagResource('rds', region, 'cluster-snapshot:*'),
        nagResource('rds', region, `snapshot:${OWN_SNAPSHOT_NAMES}`),
        nagResource('rds', region, `cluster-snapshot:${OWN_SNAPSHOT_NAMES}`),
      ]),
    },
  ];
}

/**
 * The IAM5 findings of {@link snapshotKeyDescribeStatement} (every role that judges a snapshot
 * restorable), with their reason.
 */
export function snapshotKeyAcknowledgements(policy: Policy): NagAcknowledgement[] {
  const regions = auditRegions(policy);
  const keyAccounts = [...new Set(policy.keys?.kmsKeyAccounts ?? [])].sort();
  return [
    {
      id: 'AwsSolutions-IAM5',
      reason:
        "kms:DescribeKey names key/* in the audited regions of this account and of the central key accounts keys.kmsKeyAccounts lists: an encrypted snapshot is restorable only while its KMS key is usable, and which key that is is known only from the snapshot's KmsKeyId at run time; another account's key answers only when its key policy allows it too; the call reads key metadata only.",
      findings: [
        ...regions.map((region) => nagResource('kms', region, 'key/*')),
        ...keyAccounts.flatMap((account) =>
          regions.map((region) => `Resource::arn:<AWS::Partition>:kms:${region}:${account}:key/*`),
        ),
      ],
    },
  ];
}

/** The snapshot deployment: see the module comment. */
export class SnapshotJobs extends Construct {
  readonly table: Table;
  readonly job: ScheduledJob;
  readonly maintenanceRule: Rule;
  readonly failedSnapshotsAlarm: Alarm;

  constructor(scope: Construct, id: string, props: SnapshotJobsProps) {
    super(scope, id);
    const { policy } = props;
    if (policy.targets.tags.length === 0) {
      Annotations.of(this).addWarningV2(
        'certctl-backup-guard:snapshotsNeedTargetTags',
        'targets.tags is empty: the snapshot role may create snapshots only of databases carrying a target tag, so it can snapshot nothing. Tag the databases and list the tag in targets.tags.',
      );
    }
    this.table = new Table(this, 'IdempotencyTable', {
      partitionKey: { name: 'id', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      // Powertools writes `expiration` in epoch seconds; DynamoDB TTL removes expired records.
      timeToLiveAttribute: 'expiration',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.job = new ScheduledJob(this, 'Job', {
      job: SNAPSHOT_SERVICE,
      description: 'take pre-maintenance snapshots (requests and upcoming maintenance)',
      entry: props.entry ?? SNAPSHOT_ENTRY,
      policy,
      schedule: parseAuditSchedule(policy.snapshots.maintenanceSchedule),
      statements: [
        // Its databases (listSelectedDatabases), never their automated backups.
        ...rdsDescribeStatements(auditRegions(policy), []),
        ...(policy.aws.regions === 'all' ? [listRegionsStatement()] : []),
        ...snapshotWriteStatements(policy, { maintenance: true }),
        // The snapshot job checks the key of each snapshot it delivers.
        snapshotKeyDescribeStatement(policy),
      ],
      acknowledgements: [...snapshotAcknowledgements(policy), ...snapshotKeyAcknowledgements(policy)],
      alarmTopic: props.alarmTopic,
      completionMetric: 'MaintenanceScanCompleted',
      // A request waits for its snapshots up to the policy's deadline, within Lambda's 15 minutes
      // (the handler stops waiting a minute before the function would be stopped).
      timeout: Duration.minutes(15),
      memorySize: SNAPSHOT_MEMORY_MB,
    });
    this.job.function.addEnvironment(IDEMPOTENCY_TABLE_ENV, this.table.tableName);
    this.table.grant(
      this.job.role,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    );

    // AWS Health scheduled changes for RDS (durable, at least once) and RDS maintenance events
    // (best effort): https://docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html
    this.maintenanceRule = new Rule(this, 'MaintenanceNotifications', {
      description: 'certctl-backup-guard: snapshot before announced RDS maintenance',
      eventPattern: {
        source: ['aws.health', 'aws.rds'],
        detailType: ['AWS Health Event', 'RDS DB Instance Event', 'RDS DB Cluster Event'],
      },
      targets: [
        new LambdaFunction(this.job.function, {
          deadLetterQueue: this.job.deadLetterQueue,
          retryAttempts: 2,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });

    this.failedSnapshotsAlarm = new Alarm(this, 'FailedSnapshotsAlarm', {
      alarmDescription:
        'certctl-backup-guard: a pre-maintenance snapshot was not delivered: it failed, stayed busy, hit the quota, or was still creating at the wait deadline; or the snapshot function refused or could not run a request (its ERROR log line says why).',
      metric: new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'SnapshotsFailed',
        dimensionsMap: { service: SNAPSHOT_SERVICE },
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(props.alarmTopic);
    this.failedSnapshotsAlarm.addAlarmAction(action);
    this.failedSnapshotsAlarm.addOkAction(action);
  }
}
