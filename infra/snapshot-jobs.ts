/**
 * The pre-maintenance snapshot deployment: the idempotency table, the `snapshot` job (a
 * {@link ScheduledJob}: its schedule runs the maintenance-aware scan, ChatOps invokes it
 * asynchronously with a request), the EventBridge rule that runs the same scan when AWS announces
 * RDS maintenance, and the alarm on failed snapshots.
 */
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
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
import { nagResource } from './audit-stack.ts';
import { REPO_ROOT } from './bundling.ts';
import type { NagAcknowledgement } from './nag.ts';
import {
  auditRegions,
  listRegionsStatement,
  rdsDescribeStatements,
  snapshotWriteStatements,
} from './permissions.ts';
import { ScheduledJob } from './scheduled-job.ts';

export const SNAPSHOT_SERVICE = 'snapshot';
export const SNAPSHOT_ENTRY = join(REPO_ROOT, 'functions', 'handlers', 'aws', 'snapshot.ts');

export interface SnapshotJobsProps {
  readonly policy: Policy;
  readonly alarmTopic: ITopic;
}

function snapshotAcknowledgements(policy: Policy): NagAcknowledgement[] {
  const regions = auditRegions(policy);
  return [
    {
      id: 'AwsSolutions-IAM5',
      reason:
        'Creating a snapshot is authorized on the source database (db:* / cluster:*, narrowed by the rds:db-tag / rds:cluster-tag condition to the policy target tag) and on the new snapshot (snapshot:certctl-premaint-*, narrowed by aws:RequestTag and aws:TagKeys); deletes are narrowed by the snapshot purpose tag; describes are List-level calls without an identifier.',
      findings: regions.flatMap((region) => [
        nagResource('rds', region, 'db:*'),
        nagResource('rds', region, 'cluster:*'),
        nagResource('rds', region, 'auto-backup:*'),
        nagResource('rds', region, 'snapshot:*'),
        nagResource('rds', region, 'cluster-snapshot:*'),
        nagResource('rds', region, 'snapshot:certctl-premaint-*'),
        nagResource('rds', region, 'cluster-snapshot:certctl-premaint-*'),
      ]),
    },
  ];
}

export class SnapshotJobs extends Construct {
  readonly table: Table;
  readonly job: ScheduledJob;
  readonly maintenanceRule: Rule;
  readonly failedSnapshotsAlarm: Alarm;

  constructor(scope: Construct, id: string, props: SnapshotJobsProps) {
    super(scope, id);
    const { policy } = props;
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
      entry: SNAPSHOT_ENTRY,
      policy,
      schedule: parseAuditSchedule(policy.snapshots.maintenanceSchedule),
      statements: [
        ...rdsDescribeStatements(auditRegions(policy)),
        listRegionsStatement(),
        ...snapshotWriteStatements(policy),
      ],
      acknowledgements: snapshotAcknowledgements(policy),
      alarmTopic: props.alarmTopic,
      completionMetric: 'MaintenanceScanCompleted',
      // A request waits for its snapshots up to the policy's deadline, within Lambda's 15 minutes.
      timeout: Duration.minutes(15),
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
        'certctl-backup-guard: a pre-maintenance snapshot failed, stayed busy or hit the quota.',
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
    this.failedSnapshotsAlarm.addAlarmAction(new SnsAction(props.alarmTopic));
  }
}
