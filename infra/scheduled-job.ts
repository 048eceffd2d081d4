/**
 * One scheduled job of the deployment, as a construct: its Lambda (bundled with the policy as a
 * file, so the policy is not bound by Lambda's 4 KB environment), its own least-privilege role, its
 * log group, an EventBridge Scheduler schedule with retries, a dead-letter queue, and the alarms
 * that notify the stack's topic when it fails, is throttled, dead-letters a run, or does not
 * complete for a whole schedule period. Adding a job to the stack is one `new ScheduledJob(...)`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IAlarm,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  type IDestination,
  type IFunction,
  Function as LambdaFunction,
  Runtime,
} from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleGroup, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke, type ScheduleTargetBaseProps } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BUNDLED_POLICY_FILE, POLICY_FILE_ENV, type Policy } from '../functions/core/policy.ts';
import type { AuditSchedule } from '../functions/core/schedule.ts';
import { METRICS_NAMESPACE } from '../functions/handlers/aws/observability.ts';
import { EXEC_WRAPPER_ENV, EXEC_WRAPPER_FILE, LAMBDA_TASK_ROOT } from './exec-wrapper.ts';
import { LAMBDA_HANDLER, lambdaCode } from './lambda-code.ts';
import { acknowledge, type NagAcknowledgement } from './nag.ts';

/** Every job role's name starts with this, so member roles can trust "our jobs" by name. */
export const JOB_ROLE_PREFIX = 'certctl-backup-guard-';

/** The role name of a job: fixed, because member accounts' trust policies name it. */
export function jobRoleName(job: string): string {
  return `${JOB_ROLE_PREFIX}${job}`;
}

/**
 * Lambda memory in MB that a whole scheduled run needs at the least. The peak of audit plus
 * publication over 6,000 databases, in a warm instance's second run that reads Security Hub in full
 * (the weekly reconciliation, a lost ledger), measured with the heap limits the Lambda runtime sets
 * (`BENCH_MEMORY_MB=<n> node bench/scheduled-run.ts`, 2026-12-02): 382 MB RSS at 384 MB, too close
 * to the limit; 359 MB at 512 MB.
 */
export const AUDIT_MIN_MEMORY_MB = 512;

/**
 * Default Lambda memory in MB: one full vCPU. The audit is CPU-bound and Lambda gives CPU in
 * proportion to memory, so below one vCPU a run costs about the same and takes longer (docs/deploy.md,
 * "Choosing the audit Lambda's memory"); it is also far above {@link AUDIT_MIN_MEMORY_MB}.
 */
export const AUDIT_MEMORY_MB = 1769;

export interface ScheduledJobProps
  extends Pick<
    JobFunctionProps,
    | 'job'
    | 'description'
    | 'entry'
    | 'policy'
    | 'statements'
    | 'acknowledgements'
    | 'roleName'
    | 'logRetention'
    | 'execWrapper'
  > {
  readonly schedule: AuditSchedule;
  /** Where the alarms notify. */
  readonly alarmTopic: ITopic;
  /** The metric that is 1 when a run completed; the not-completed alarm watches its maximum. */
  readonly completionMetric: string;
  /**
   * Lambda timeout; keep it below the schedule interval so runs do not overlap.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /** @default AUDIT_MEMORY_MB */
  readonly memorySize?: number;
}

/** The alarms of a job, all notifying the stack's topic. */
export interface ScheduledJobAlarms {
  /** The Lambda threw (a run failed, or findings could not be imported). */
  readonly errors: IAlarm;
  /** Lambda refused to start a run (concurrency exhausted). */
  readonly throttles: IAlarm;
  /** No run recorded the completion metric = 1 for two whole schedule periods. */
  readonly notCompleted: IAlarm;
  /** A run landed in the dead-letter queue. */
  readonly deadLetters: IAlarm;
}

/** One scheduled job: see the module comment. */
export class ScheduledJob extends Construct {
  readonly function: LambdaFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly deadLetterQueue: Queue;
  readonly schedule: Schedule;
  readonly alarms: ScheduledJobAlarms;
  /** The policy file bundled beside the code (written at synth, copied into the asset). */
  readonly policyFile: string;

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    this.deadLetterQueue = createDeadLetterQueue(
      this,
      'This queue is the dead-letter queue itself (for the EventBridge Scheduler target and the Lambda on-failure destination); a DLQ of a DLQ would only move the same undeliverable runs one hop further.',
    );

    const parts = createJobFunction(this, {
      job: props.job,
      description: props.description,
      entry: props.entry,
      policy: props.policy,
      statements: props.statements,
      acknowledgements: props.acknowledgements,
      ...(props.roleName ? { roleName: props.roleName } : {}),
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      timeout: props.timeout ?? Duration.minutes(5),
      memorySize: props.memorySize ?? AUDIT_MEMORY_MB,
      // A failed run is not retried: the next scheduled run is the retry, and the failure is kept
      // in the dead-letter queue and raises the Errors alarm.
      retryAttempts: 0,
      onFailure: new SqsDestination(this.deadLetterQueue),
      ...(props.execWrapper ? { execWrapper: true } : {}),
    });
    this.role = parts.role;
    this.logGroup = parts.logGroup;
    this.policyFile = parts.policyFile;
    this.function = parts.function;

    // Each job's schedule lives in a group of its own, so the Scheduler role can trust exactly that
    // group: the schedule's own ARN cannot be named (the schedule refers to the role, and the role's
    // trust would refer back to the schedule, a dependency cycle).
    // Deleted with the stack (CDK retains schedule groups by default): a group left behind under
    // its fixed name would make the next deployment fail to create it.
    const scheduleGroup = new ScheduleGroup(this, 'ScheduleGroup', {
      scheduleGroupName: `${JOB_ROLE_PREFIX}${props.job}`,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Our own role (rather than the target's shared one) so its trust and grant are explicit. The
    // trust names the account and the schedule group (confused-deputy prevention for EventBridge
    // Scheduler: https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html).
    const scheduleRole = new Role(this, 'ScheduleRole', {
      description: `certctl-backup-guard: EventBridge Scheduler invokes ${props.job} and dead-letters undelivered runs`,
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': scheduleGroupSourceArn(scheduleGroup.scheduleGroupName) },
        },
      }),
    });
    this.schedule = new Schedule(this, 'Schedule', {
      description: `certctl-backup-guard ${props.job} (${props.schedule.expression})`,
      scheduleGroup,
      schedule: ScheduleExpression.expression(props.schedule.eventBridgeExpression),
      target: new ExactFunctionInvoke(this.function, {
        role: scheduleRole,
        input: ScheduleTargetInput.fromObject({}),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 4,
        // An undelivered run older than one interval is superseded by the next one.
        maxEventAge: Duration.minutes(Math.min(Math.max(props.schedule.maxIntervalMinutes, 1), 24 * 60)),
      }),
    });
    this.alarms = this.createAlarms(props);
  }

  private createAlarms(props: ScheduledJobProps): ScheduledJobAlarms {
    const fiveMinutes = Duration.minutes(5);
    const alarms: ScheduledJobAlarms = {
      errors: new Alarm(this, 'ErrorsAlarm', {
        alarmDescription: `certctl-backup-guard ${props.job} failed (see its log group and the dead-letter queue).`,
        metric: this.function.metricErrors({ period: fiveMinutes, statistic: Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      throttles: new Alarm(this, 'ThrottlesAlarm', {
        alarmDescription: `certctl-backup-guard ${props.job} was throttled: a scheduled run may not have started.`,
        metric: this.function.metricThrottles({ period: fiveMinutes, statistic: Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      // Two whole schedule periods, both without the completion metric = 1: one run that lands just
      // past a period boundary does not alarm, a run that did not happen (or left scopes
      // unevaluated) does.
      notCompleted: new Alarm(this, 'NotCompletedAlarm', {
        alarmDescription: `certctl-backup-guard ${props.job} did not complete for a whole schedule period (${props.schedule.expression}): it did not run, failed, left scopes unevaluated, could not evaluate a check, judged no database, or missed a database the policy names.`,
        metric: new Metric({
          namespace: METRICS_NAMESPACE,
          metricName: props.completionMetric,
          dimensionsMap: { service: props.job },
          statistic: Stats.MAXIMUM,
          period: Duration.minutes(props.schedule.maxIntervalMinutes),
        }),
        threshold: 1,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        // No data is the failure this alarm exists for.
        treatMissingData: TreatMissingData.BREACHING,
      }),
      deadLetters: new Alarm(this, 'DeadLettersAlarm', {
        alarmDescription: `certctl-backup-guard ${props.job} runs are waiting in the dead-letter queue.`,
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
    const action = new SnsAction(props.alarmTopic);
    for (const alarm of Object.values(alarms) as Alarm[]) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    return alarms;
  }
}

/**
 * `arn:<partition>:scheduler:<region>:<account>:schedule/<group>/*`: every schedule of one group, the
 * `aws:SourceArn` EventBridge Scheduler presents when it assumes the target role.
 */
export function scheduleGroupSourceArn(groupName: string): string {
  return `arn:${Aws.PARTITION}:scheduler:${Aws.REGION}:${Aws.ACCOUNT_ID}:schedule/${groupName}/*`;
}

/**
 * `LambdaInvoke`, granting `lambda:InvokeFunction` on the function's own ARN only. The base class
 * grants through `grantInvoke`, which adds `<function ARN>:*` (every version and alias) too; the
 * schedule invokes the unqualified ARN, so nothing else is needed.
 */
class ExactFunctionInvoke extends LambdaInvoke {
  readonly #functionArn: string;

  constructor(func: IFunction, props: ScheduleTargetBaseProps) {
    super(func, props);
    this.#functionArn = func.functionArn;
  }

  protected override addTargetActionToRole(role: IRole): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'InvokeTheJobFunction',
        effect: Effect.ALLOW,
        actions: ['lambda:InvokeFunction'],
        resources: [this.#functionArn],
      }),
    );
  }
}

/**
 * A dead-letter queue (child `DeadLetters` of `scope`): SSE-SQS, not a KMS key, because EventBridge
 * Scheduler cannot use the AWS-managed aws/sqs key; TLS only; 14 days. `reason` says why the queue
 * has no dead-letter queue of its own (cdk-nag AwsSolutions-SQS3).
 */
export function createDeadLetterQueue(scope: Construct, reason: string): Queue {
  const queue = new Queue(scope, 'DeadLetters', {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledge(queue, [{ id: 'AwsSolutions-SQS3', reason }]);
  return queue;
}

/** What {@link createJobFunction} makes: a job's Lambda with its own role and log group. */
export interface JobFunctionParts {
  readonly function: LambdaFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  /** The policy file bundled beside the code (written at synth, copied into the asset). */
  readonly policyFile: string;
}

export interface JobFunctionProps {
  /** The job's name: the Powertools `service` its metrics carry, and the suffix of its role name. */
  readonly job: string;
  readonly description: string;
  /** The handler file (exports `handler`). */
  readonly entry: string;
  /** The validated policy: bundled with the code as the function's configuration. */
  readonly policy: Policy;
  /** The job's own permissions, nothing else. */
  readonly statements: readonly PolicyStatement[];
  /** Why each wildcard of those statements is needed (cdk-nag AwsSolutions-IAM5). */
  readonly acknowledgements: readonly NagAcknowledgement[];
  /** @default jobRoleName(job) */
  readonly roleName?: string;
  /**
   * A fixed function name, for a function people type (an Amazon Q custom action names it).
   * @default a name CloudFormation generates
   */
  readonly functionName?: string;
  /** @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
  readonly timeout: Duration;
  readonly memorySize: number;
  /** More environment beside the policy file. */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Start the function through the exec wrapper that raises its initial old generation
   * (infra/exec-wrapper.ts): for the CPU-bound audits, whose cold runs spend a fifth of their CPU
   * in garbage collection otherwise.
   * @default false
   */
  readonly execWrapper?: boolean;
  /** Asynchronous invocations: retries after an error. */
  readonly retryAttempts?: number;
  /** Asynchronous invocations: how old an event may be before it is dropped (to `onFailure`). */
  readonly maxEventAge?: Duration;
  readonly onFailure?: IDestination;
}

/**
 * A job's Lambda, as every function of the deployment is made: its own least-privilege role, a log
 * group kept after the stack, the code bundled by esbuild with the policy as a file (the
 * environment holds 4 KB in all), Node.js 24 on arm64. The children are created in `scope` with the
 * ids `Role`, `Logs` and `Function`, the ids the scheduled jobs' resources have always had.
 */
export function createJobFunction(scope: Construct, props: JobFunctionProps): JobFunctionParts {
  const role = new Role(scope, 'Role', {
    roleName: props.roleName ?? jobRoleName(props.job),
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `certctl-backup-guard ${props.job}: ${props.description}`,
  });
  for (const statement of props.statements) role.addToPolicy(statement);
  acknowledge(role, props.acknowledgements);

  const logGroup = new LogGroup(scope, 'Logs', {
    retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
    // Job logs are evidence; they outlive the stack and are removed by hand (docs/deploy.md).
    removalPolicy: RemovalPolicy.RETAIN,
  });
  logGroup.grantWrite(role);

  const policyFile = writePolicyFile(props.policy);
  const fn = new LambdaFunction(scope, 'Function', {
    ...(props.functionName ? { functionName: props.functionName } : {}),
    description: `certctl-backup-guard ${props.job}: ${props.description}`,
    // Bundled on this machine, code-split, with the policy beside it (infra/lambda-code.ts).
    code: lambdaCode(props.entry, policyFile, props.execWrapper ? props.memorySize : undefined),
    handler: LAMBDA_HANDLER,
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    memorySize: props.memorySize,
    timeout: props.timeout,
    role,
    logGroup,
    // The policy travels as a file in the code package: the environment holds 4 KB in all.
    environment: {
      [POLICY_FILE_ENV]: BUNDLED_POLICY_FILE,
      ...(props.execWrapper ? { [EXEC_WRAPPER_ENV]: `${LAMBDA_TASK_ROOT}/${EXEC_WRAPPER_FILE}` } : {}),
      ...props.environment,
    },
    ...(props.retryAttempts === undefined ? {} : { retryAttempts: props.retryAttempts }),
    ...(props.maxEventAge ? { maxEventAge: props.maxEventAge } : {}),
    ...(props.onFailure ? { onFailure: props.onFailure } : {}),
  });
  return { function: fn, role, logGroup, policyFile };
}

/**
 * The policy as the file the function reads, in a private directory of its own (created 0700 by
 * mkdtemp, the file written exclusively), from which bundling copies it into the asset.
 */
function writePolicyFile(policy: Policy): string {
  const dir = mkdtempSync(join(tmpdir(), 'backup-guard-policy-'));
  const file = join(dir, BUNDLED_POLICY_FILE);
  writeFileSync(file, `${JSON.stringify(policy)}\n`, { flag: 'wx', mode: 0o600 });
  return file;
}
