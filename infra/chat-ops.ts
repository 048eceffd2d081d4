/**
 * ChatOps in the audit account: the Slack endpoint, the Amazon Q Developer custom action, and the
 * action function that runs their commands.
 *
 * - `chat-slack`: a Lambda behind a **Lambda Function URL** (auth NONE: Slack cannot sign AWS
 *   requests; every request is verified by its Slack signature before anything is parsed). A
 *   Function URL rather than API Gateway because the endpoint needs nothing API Gateway adds (no
 *   routes, authorizers, usage plans or transformations), both deliver the same payload 2.0 event,
 *   and the URL is one resource with no extra service, cost or 29-second integration limit to
 *   manage (docs/deploy.md, "ChatOps"). It reads the signing secret (Secrets Manager, this
 *   construct's secret only) and invokes `chat-action` asynchronously, nothing else.
 * - `chat-amazon-q`: invoked by an Amazon Q Developer channel through its channel role, bounded by
 *   the guardrail policy made here (lambda:InvokeFunction on this function, nothing else); it
 *   invokes `chat-action` asynchronously and publishes its acknowledgement, help and refusals to the
 *   notification topic.
 * - `chat-action`: runs the commands with the permissions the stack gives it (the readiness reads,
 *   the snapshot job's tag-scoped creates, never a delete) and the snapshot job's idempotency
 *   table, so chat, the CLI and the `snapshot` Lambda share one record per request id; it posts to Slack's response_url, and publishes Amazon Q answers to the
 *   notification topic the channel subscribes to. Not retried (it answers every failure in chat),
 *   and dropped after 25 minutes in the queue, when Slack's 30-minute reply window is nearly over.
 * - `chat-unfinished`: `chat-action`'s on-failure destination. A run that crashed, was stopped at
 *   its time limit or expired in the queue reaches it as Lambda's invocation record, and it tells the
 *   person who asked, in chat, that the run did not finish, what it had done and to run it again
 *   (functions/chatops/unfinished.ts); it reads `chat-action`'s delivery markers and writes its own
 *   beside them. A record it cannot answer is retried, then kept in the dead-letter queue (alarmed).
 * - Alarms on refused commands (forged, stale or unauthorized requests) and failed commands.
 */
import { join } from 'node:path';
import { Aws, CfnOutput, Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IAlarm,
  MathExpression,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  type DestinationConfig,
  type FunctionUrl,
  FunctionUrlAuthType,
  type IDestination,
  type IFunction,
} from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CHAT_ACTION_FUNCTION_ENV } from '../functions/aws/chat-dispatch.ts';
import { CHAT_NOTIFICATION_TOPIC_ENV } from '../functions/aws/chat-notifications.ts';
import { SLACK_SECRET_ENV } from '../functions/aws/slack-secret.ts';
import type { Policy } from '../functions/core/policy.ts';
import { METRICS_NAMESPACE } from '../functions/handlers/aws/observability.ts';
import { IDEMPOTENCY_TABLE_ENV } from '../functions/jobs/idempotency.ts';
import { REPO_ROOT } from './bundling.ts';
import { acknowledge, type NagAcknowledgement } from './nag.ts';
import { createDeadLetterQueue, createJobFunction, type JobFunctionParts } from './scheduled-job.ts';

export const CHAT_SLACK_ENTRY = join(REPO_ROOT, 'functions', 'handlers', 'aws', 'chat-slack.ts');
export const CHAT_ACTION_ENTRY = join(REPO_ROOT, 'functions', 'handlers', 'aws', 'chat-action.ts');
export const CHAT_AMAZON_Q_ENTRY = join(REPO_ROOT, 'functions', 'handlers', 'aws', 'chat-amazon-q.ts');
export const CHAT_UNFINISHED_ENTRY = join(REPO_ROOT, 'functions', 'handlers', 'aws', 'chat-unfinished.ts');

/** The jobs' names: their Powertools `service` and the suffix of their role names. */
export const CHAT_JOBS = {
  slack: 'chat-slack',
  action: 'chat-action',
  amazonQ: 'chat-amazon-q',
  unfinished: 'chat-unfinished',
} as const;

/**
 * The Amazon Q function's fixed name: the custom action's command text names it, within the
 * 100 characters `Definition.CommandText` allows (Amazon Q Developer `CreateCustomAction`).
 */
export const AMAZON_Q_FUNCTION_NAME = 'certctl-backup-guard-chat';

/** The custom action's command text (docs/deploy.md): 88 characters. */
export const AMAZON_Q_COMMAND_TEXT = `lambda invoke --function-name ${AMAZON_Q_FUNCTION_NAME} --payload {"command":"$command"}`;

/**
 * How each chat function is deployed: its timeout, memory and asynchronous retries. Exported so the
 * end-to-end test runs the handlers on the simulated Lambda with the limits they have in AWS.
 */
export const CHAT_FUNCTION_SETTINGS = {
  // Snapshots are waited for within Lambda's 15 minutes; the answer is posted a minute before.
  // readiness runs the audit, which is CPU-bound: one vCPU, as the audit jobs.
  // The function answers every failure in chat itself; a retry would only answer it again. A run
  // that crashes or times out is answered by `chat-unfinished`, its on-failure destination.
  action: { timeoutSeconds: 900, memorySizeMb: 1769, retryAttempts: 0 },
  // One read, one claim and one post. Retried (a minute, then two, later) when the post failed;
  // then its record goes to the dead-letter queue.
  unfinished: { timeoutSeconds: 30, memorySizeMb: 256, retryAttempts: 2 },
  // Slack waits 3 seconds for the acknowledgement. More memory is more CPU for the cold start's
  // module init, which Slack's 3 seconds include.
  slack: { timeoutSeconds: 10, memorySizeMb: 512 },
  // Amazon Q gives a CLI command 15 seconds.
  amazonQ: { timeoutSeconds: 10, memorySizeMb: 512 },
} as const;

/** Why publishing to the KMS-encrypted notification topic grants `kms:GenerateDataKey*` (cdk-nag). */
const PUBLISH_TO_ENCRYPTED_TOPIC: NagAcknowledgement = {
  id: 'AwsSolutions-IAM5',
  reason:
    "Publishing to an SSE-KMS topic needs kms:GenerateDataKey* and kms:Decrypt on the topic's key (Amazon SNS developer guide, encryption at rest); the grant names that one key, which encrypts only the alarm and chat notification topics.",
  findings: ['Action::kms:GenerateDataKey*'],
};

/**
 * An on-failure destination invoking `target`, granting the source function's role
 * `lambda:InvokeFunction` on `target`'s own ARN only: CDK's `LambdaDestination` grants through
 * `grantInvoke`, which adds `<ARN>:*` (every version and alias) too, and Lambda invokes the
 * unqualified ARN the destination names.
 */
class ExactFunctionDestination implements IDestination {
  readonly #target: IFunction;

  constructor(target: IFunction) {
    this.#target = target;
  }

  bind(_scope: Construct, fn: IFunction): DestinationConfig {
    fn.role?.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'InvokeTheOnFailureDestination',
        effect: Effect.ALLOW,
        actions: ['lambda:InvokeFunction'],
        resources: [this.#target.functionArn],
      }),
    );
    return { destination: this.#target.functionArn };
  }
}

/** The secret's name: operators put Slack's signing secret into it (docs/deploy.md). */
export const SLACK_SECRET_NAME = 'certctl-backup-guard/slack-signing-secret';

/**
 * Refusals within 5 minutes that raise the alarm: one refused user is a person asking for access,
 * five are someone probing the endpoint (or a secret rotated in Slack but not here).
 */
export const REFUSED_ALARM_THRESHOLD = 5;

/** Whether the policy asks for ChatOps: a Slack workspace is allowed. */
export function chatOpsConfigured(policy: Policy): boolean {
  return policy.chatops.slack.teams.length > 0;
}

export interface ChatOpsProps {
  readonly policy: Policy;
  /** Where the alarms notify. */
  readonly alarmTopic: ITopic;
  /** Encrypts the Amazon Q notification topic (the alarm topic's key). */
  readonly notificationKey: IKey;
  /** The action function's permissions: what the snapshot and readiness jobs call. */
  readonly actionStatements: readonly PolicyStatement[];
  /** Why each wildcard of those statements is needed. */
  readonly actionAcknowledgements: readonly NagAcknowledgement[];
  /** The snapshot job's idempotency table: chat and the snapshot Lambda share the records. */
  readonly idempotencyTable: ITable;
  /** @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
}

export interface ChatOpsAlarms {
  /** Forged, stale, replayed or unauthorized requests: {@link REFUSED_ALARM_THRESHOLD} in 5 minutes. */
  readonly refused: IAlarm;
  /** A command failed on our side (any of the three functions). */
  readonly failed: IAlarm;
  /** A chat function threw (a deployment fault: missing secret, unreadable policy). */
  readonly errors: IAlarm;
  /** Chat runs that did not finish and could not be answered in chat, kept in the dead-letter queue. */
  readonly deadLetters: IAlarm;
}

export class ChatOps extends Construct {
  readonly signingSecret: Secret;
  readonly slack: JobFunctionParts;
  readonly slackUrl: FunctionUrl;
  readonly action: JobFunctionParts;
  readonly amazonQ: JobFunctionParts;
  /** `chat-action`'s on-failure destination: answers a run that did not finish. */
  readonly unfinished: JobFunctionParts;
  readonly notificationTopic: Topic;
  /** The role an Amazon Q Developer channel configuration uses, and its guardrail. */
  readonly channelRole: Role;
  readonly guardrailPolicy: ManagedPolicy;
  readonly deadLetterQueue: Queue;
  readonly alarms: ChatOpsAlarms;

  constructor(scope: Construct, id: string, props: ChatOpsProps) {
    super(scope, id);
    const { policy } = props;
    const retention = props.logRetention ? { logRetention: props.logRetention } : {};

    this.signingSecret = new Secret(this, 'SlackSigningSecret', {
      secretName: SLACK_SECRET_NAME,
      description:
        "certctl-backup-guard: the Slack app's signing secret (put Slack's value here; the generated one is a placeholder)",
    });
    acknowledge(this.signingSecret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'The value is issued by Slack and rotated in the Slack app settings, not by a rotation Lambda; the endpoint re-reads it after a signature mismatch (at most every 5 minutes), so a rotation in Slack is picked up without a deployment.',
      },
    ]);

    this.deadLetterQueue = createDeadLetterQueue(
      this,
      "This queue is the dead-letter queue itself (the on-failure destination of chat-unfinished, which answers the action function's failed runs); a DLQ of a DLQ would only move the same unanswerable commands one hop further.",
    );

    this.notificationTopic = new Topic(this, 'NotificationTopic', {
      displayName: 'certctl-backup-guard chat answers (Amazon Q Developer)',
      masterKey: props.notificationKey,
      enforceSSL: true,
    });

    const unfinishedScope = new Construct(this, 'Unfinished');
    this.unfinished = createJobFunction(unfinishedScope, {
      job: CHAT_JOBS.unfinished,
      description: 'tell the person who asked that a chat command did not finish',
      entry: CHAT_UNFINISHED_ENTRY,
      policy,
      statements: [],
      acknowledgements: [],
      ...retention,
      timeout: Duration.seconds(CHAT_FUNCTION_SETTINGS.unfinished.timeoutSeconds),
      memorySize: CHAT_FUNCTION_SETTINGS.unfinished.memorySizeMb,
      environment: {
        [CHAT_NOTIFICATION_TOPIC_ENV]: this.notificationTopic.topicArn,
        [IDEMPOTENCY_TABLE_ENV]: props.idempotencyTable.tableName,
      },
      retryAttempts: CHAT_FUNCTION_SETTINGS.unfinished.retryAttempts,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });
    this.notificationTopic.grantPublish(this.unfinished.role);
    // Reads the run's marker, claims its notice once (functions/aws/chat-deliveries.ts).
    props.idempotencyTable.grant(this.unfinished.role, 'dynamodb:GetItem', 'dynamodb:PutItem');
    acknowledge(this.unfinished.role, [PUBLISH_TO_ENCRYPTED_TOPIC]);

    const actionScope = new Construct(this, 'Action');
    this.action = createJobFunction(actionScope, {
      job: CHAT_JOBS.action,
      description: 'run chat commands (snapshot, readiness, status) and answer in chat',
      entry: CHAT_ACTION_ENTRY,
      policy,
      statements: props.actionStatements,
      acknowledgements: props.actionAcknowledgements,
      ...retention,
      timeout: Duration.seconds(CHAT_FUNCTION_SETTINGS.action.timeoutSeconds),
      memorySize: CHAT_FUNCTION_SETTINGS.action.memorySizeMb,
      environment: {
        [CHAT_NOTIFICATION_TOPIC_ENV]: this.notificationTopic.topicArn,
        [IDEMPOTENCY_TABLE_ENV]: props.idempotencyTable.tableName,
      },
      retryAttempts: CHAT_FUNCTION_SETTINGS.action.retryAttempts,
      // Slack accepts replies for 30 minutes after the command: older work is not worth starting.
      maxEventAge: Duration.minutes(25),
      onFailure: new ExactFunctionDestination(this.unfinished.function),
    });
    this.notificationTopic.grantPublish(this.action.role);
    props.idempotencyTable.grant(
      this.action.role,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    );
    acknowledge(this.action.role, [PUBLISH_TO_ENCRYPTED_TOPIC]);

    const invokeAction = new PolicyStatement({
      sid: 'InvokeTheChatActionFunction',
      effect: Effect.ALLOW,
      actions: ['lambda:InvokeFunction'],
      resources: [this.action.function.functionArn],
    });

    const slackScope = new Construct(this, 'Slack');
    this.slack = createJobFunction(slackScope, {
      job: CHAT_JOBS.slack,
      description: 'Slack slash command endpoint: verify, authorize, acknowledge, hand off',
      entry: CHAT_SLACK_ENTRY,
      policy,
      statements: [
        invokeAction,
        new PolicyStatement({
          sid: 'ReadTheSlackSigningSecret',
          effect: Effect.ALLOW,
          actions: ['secretsmanager:GetSecretValue'],
          resources: [this.signingSecret.secretArn],
        }),
      ],
      acknowledgements: [],
      ...retention,
      timeout: Duration.seconds(CHAT_FUNCTION_SETTINGS.slack.timeoutSeconds),
      memorySize: CHAT_FUNCTION_SETTINGS.slack.memorySizeMb,
      environment: {
        [SLACK_SECRET_ENV]: this.signingSecret.secretArn,
        [CHAT_ACTION_FUNCTION_ENV]: this.action.function.functionName,
      },
    });
    this.slackUrl = this.slack.function.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });

    const amazonQScope = new Construct(this, 'AmazonQ');
    this.amazonQ = createJobFunction(amazonQScope, {
      job: CHAT_JOBS.amazonQ,
      functionName: AMAZON_Q_FUNCTION_NAME,
      description: 'Amazon Q Developer custom action: validate, acknowledge, hand off',
      entry: CHAT_AMAZON_Q_ENTRY,
      policy,
      statements: [invokeAction],
      acknowledgements: [],
      ...retention,
      timeout: Duration.seconds(CHAT_FUNCTION_SETTINGS.amazonQ.timeoutSeconds),
      memorySize: CHAT_FUNCTION_SETTINGS.amazonQ.memorySizeMb,
      environment: {
        [CHAT_ACTION_FUNCTION_ENV]: this.action.function.functionName,
        [CHAT_NOTIFICATION_TOPIC_ENV]: this.notificationTopic.topicArn,
      },
    });
    // Its acknowledgement, help and refusals reach the channel as custom notifications, the shape
    // Amazon Q documents showing (functions/handlers/aws/chat-amazon-q.ts).
    this.notificationTopic.grantPublish(this.amazonQ.role);
    acknowledge(this.amazonQ.role, [PUBLISH_TO_ENCRYPTED_TOPIC]);

    // The guardrail bounds whatever the channel role is granted: invoking this one function.
    this.guardrailPolicy = new ManagedPolicy(this, 'ChannelGuardrail', {
      description:
        'certctl-backup-guard: guardrail of the Amazon Q Developer channel: invoke the chat-amazon-q function, nothing else',
      statements: [
        new PolicyStatement({
          sid: 'InvokeTheChatCustomAction',
          effect: Effect.ALLOW,
          actions: ['lambda:InvokeFunction'],
          resources: [this.amazonQ.function.functionArn],
        }),
      ],
    });
    this.channelRole = new Role(this, 'ChannelRole', {
      description:
        'certctl-backup-guard: the Amazon Q Developer channel runs the chat custom action as this role',
      assumedBy: new ServicePrincipal('chatbot.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      managedPolicies: [this.guardrailPolicy],
    });

    this.alarms = this.createAlarms(props.alarmTopic);

    // Outputs keep the keys docs/deploy.md names: inside this construct CDK would prefix each with
    // the construct path and a hash (`ChatOpsSlackRequestUrl0C0C23DB`).
    const output = (id: string, value: string, description?: string) =>
      new CfnOutput(this, id, { value, ...(description ? { description } : {}) }).overrideLogicalId(id);
    output('SlackRequestUrl', this.slackUrl.url, "The Slack app's slash command Request URL");
    output(
      'SlackSigningSecretArn',
      this.signingSecret.secretArn,
      "Put the Slack app's signing secret here (aws secretsmanager put-secret-value)",
    );
    output('AmazonQFunctionName', this.amazonQ.function.functionName);
    output('AmazonQChannelRoleArn', this.channelRole.roleArn);
    output('AmazonQGuardrailPolicyArn', this.guardrailPolicy.managedPolicyArn);
    output('AmazonQNotificationTopicArn', this.notificationTopic.topicArn);
  }

  private createAlarms(topic: ITopic): ChatOpsAlarms {
    const fiveMinutes = Duration.minutes(5);
    const metric = (name: string, service: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { service },
        statistic: Stats.SUM,
        period: fiveMinutes,
      });
    const alarms: ChatOpsAlarms = {
      refused: new Alarm(this, 'RefusedAlarm', {
        alarmDescription: `certctl-backup-guard chat: ${REFUSED_ALARM_THRESHOLD} or more Slack requests refused within 5 minutes (forged, stale, replayed, or from users or channels the policy does not allow); the chat-slack log says who and why.`,
        metric: metric('ChatCommandsRefused', CHAT_JOBS.slack),
        threshold: REFUSED_ALARM_THRESHOLD,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      failed: new Alarm(this, 'FailedAlarm', {
        alarmDescription:
          'certctl-backup-guard chat: a command failed on our side, or its run did not finish (see the chat-slack, chat-amazon-q, chat-action and chat-unfinished logs).',
        metric: new MathExpression({
          expression: 'slack + amazonq + action + unfinished',
          usingMetrics: {
            slack: metric('ChatCommandsFailed', CHAT_JOBS.slack),
            amazonq: metric('ChatCommandsFailed', CHAT_JOBS.amazonQ),
            action: metric('ChatCommandsFailed', CHAT_JOBS.action),
            unfinished: metric('ChatCommandsFailed', CHAT_JOBS.unfinished),
          },
          period: fiveMinutes,
          label: 'ChatCommandsFailed',
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      errors: new Alarm(this, 'ErrorsAlarm', {
        alarmDescription:
          'certctl-backup-guard chat: a chat function threw (a deployment fault such as an unreadable secret or policy).',
        metric: new MathExpression({
          expression: 'slack + amazonq + action',
          usingMetrics: {
            slack: this.slack.function.metricErrors({ period: fiveMinutes, statistic: Stats.SUM }),
            amazonq: this.amazonQ.function.metricErrors({ period: fiveMinutes, statistic: Stats.SUM }),
            action: this.action.function.metricErrors({ period: fiveMinutes, statistic: Stats.SUM }),
          },
          period: fiveMinutes,
          label: 'Errors',
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      deadLetters: new Alarm(this, 'DeadLettersAlarm', {
        alarmDescription:
          'certctl-backup-guard chat: commands whose run did not finish could not be answered in chat (Slack reply window passed, answer refused, or not chat work) and wait in the dead-letter queue; the chat-unfinished log says why.',
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
    const action = new SnsAction(topic);
    for (const alarm of Object.values(alarms) as Alarm[]) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    return alarms;
  }
}
