/**
 * The ChatOps resources of the audit stack: deployed only when the policy allows a Slack workspace;
 * each chat function with exactly its own permissions; the Function URL; the action function not
 * retried and dropped before Slack's reply window closes; the Amazon Q channel role bounded by its
 * guardrail; alarms on refused and failed commands.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AMAZON_Q_COMMAND_TEXT,
  AMAZON_Q_FUNCTION_NAME,
  CHAT_JOBS,
  REFUSED_ALARM_THRESHOLD,
  SLACK_SECRET_NAME,
} from '../../infra/chat-ops.ts';
import { jobRoleName } from '../../infra/scheduled-job.ts';
import {
  CHAT_POLICY,
  flatten,
  iamStatements,
  type Synthesized,
  synthesize,
  trustStatements,
} from './support.ts';

let synthesized: Synthesized;
beforeAll(() => {
  synthesized = synthesize(CHAT_POLICY);
}, 120_000);

/** The statements of the role named `name`. */
function statementsOf(name: string) {
  const { stacks, templates } = synthesized;
  const roles = templates.audit.findResources('AWS::IAM::Role', { Properties: { RoleName: name } });
  const [roleId] = Object.keys(roles);
  const policies = templates.audit.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: roleId }] },
  });
  return iamStatements(stacks.audit, templates.audit).filter((statement) => statement.resource in policies);
}

describe('the ChatOps resources', () => {
  it('are not deployed when the policy allows no Slack workspace', () => {
    // Act
    const { stacks, templates } = synthesize({});

    // Assess
    expect(stacks.audit.chatOps).toBeUndefined();
    templates.audit.resourceCountIs('AWS::Lambda::Url', 0);
    templates.audit.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  it('put the Slack endpoint behind a Function URL that Slack can call, verified by its signature in code', () => {
    // Assess
    synthesized.templates.audit.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: Match.anyValue(),
    });
    synthesized.templates.audit.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: SLACK_SECRET_NAME,
    });
  });

  it('lets chat-slack read its secret and invoke chat-action, and nothing else', () => {
    // Act
    const statements = statementsOf(jobRoleName(CHAT_JOBS.slack)).filter(
      (statement) => !statement.Action.some((action) => action.startsWith('logs:')),
    );

    // Assess
    expect(statements.map((statement) => [statement.Sid, statement.Action])).toEqual([
      ['InvokeTheChatActionFunction', ['lambda:InvokeFunction']],
      ['ReadTheSlackSigningSecret', ['secretsmanager:GetSecretValue']],
    ]);
    expect(statements[1]?.Resource).toEqual([{ Ref: expect.stringMatching(/^ChatOpsSlackSigningSecret/) }]);
  });

  it('lets chat-amazon-q invoke chat-action and publish to the chat topic only, and bounds the channel role by a guardrail of one function', () => {
    // Act
    const amazonQ = statementsOf(jobRoleName(CHAT_JOBS.amazonQ)).filter(
      (statement) => !statement.Action.some((action) => action.startsWith('logs:')),
    );
    const guardrail = Object.values(synthesized.templates.audit.findResources('AWS::IAM::ManagedPolicy')) as {
      Properties: { PolicyDocument: { Statement: { Action: string; Resource: unknown }[] } };
    }[];
    const trust = trustStatements(synthesized.templates.audit, 'ChatOpsChannelRole');

    // Assess
    expect(amazonQ.map((statement) => statement.Action)).toEqual([
      ['lambda:InvokeFunction'],
      ['sns:Publish'],
      ['kms:Decrypt', 'kms:GenerateDataKey*'],
    ]);
    synthesized.templates.audit.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: AMAZON_Q_FUNCTION_NAME,
    });
    // Amazon Q's CreateCustomAction takes a command text of at most 100 characters.
    expect(AMAZON_Q_COMMAND_TEXT.length).toBeLessThanOrEqual(100);
    expect(guardrail).toHaveLength(1);
    expect(guardrail[0]?.Properties.PolicyDocument.Statement).toEqual([
      {
        Sid: 'InvokeTheChatCustomAction',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ChatOpsAmazonQFunction/), 'Arn'] },
      },
    ]);
    expect(trust).toEqual([
      expect.objectContaining({
        Principal: { Service: 'chatbot.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    ]);
  });

  it('gives chat-action the readiness reads, the snapshot creates without deletes, the idempotency table and its topic', () => {
    // Act
    const actions = statementsOf(jobRoleName(CHAT_JOBS.action)).flatMap((statement) => statement.Action);

    // Assess
    expect(actions).toEqual(
      expect.arrayContaining([
        'rds:DescribeDBInstances',
        'sts:AssumeRole',
        'sns:Publish',
        'rds:CreateDBSnapshot',
        'rds:CreateDBClusterSnapshot',
        'rds:AddTagsToResource',
        'dynamodb:PutItem',
        // The import ledgers, read-only, for `status` (Security Hub publishing is on in this policy).
        's3:GetObject',
        's3:ListBucket',
      ]),
    );
    expect(actions.filter((action) => action === 's3:PutObject' || action === 's3:DeleteObject')).toEqual([]);
    expect(
      actions.filter((action) => action.startsWith('securityhub:') || action.startsWith('rds:Delete')),
    ).toEqual([]);
    synthesized.templates.audit.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          BACKUP_GUARD_IDEMPOTENCY_TABLE: { Ref: Match.stringLikeRegexp('^SnapshotsIdempotencyTable') },
        }),
      },
      Timeout: 900,
      MemorySize: 1769,
    });
  });

  it('does not retry chat-action and drops work older than 25 minutes to its dead-letter queue', () => {
    // Assess
    synthesized.templates.audit.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^ChatOpsActionFunction') },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 1500,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    synthesized.templates.audit.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: Match.absent(),
      Timeout: 900,
      Environment: {
        Variables: Match.objectLike({ BACKUP_GUARD_CHAT_NOTIFICATION_TOPIC: Match.anyValue() }),
      },
    });
  });

  it('sends a chat-action run that did not finish to chat-unfinished, which may only read the markers, claim, publish and fail to the alarmed queue', () => {
    // Act
    const { templates } = synthesized;
    const action = statementsOf(jobRoleName(CHAT_JOBS.action)).filter((s) =>
      s.Action.includes('lambda:InvokeFunction'),
    );
    const unfinished = statementsOf(jobRoleName(CHAT_JOBS.unfinished)).filter(
      (statement) => !statement.Action.some((a) => a.startsWith('logs:')),
    );
    const queues = Object.keys(templates.audit.findResources('AWS::SQS::Queue')).filter((id) =>
      id.startsWith('ChatOpsDeadLetters'),
    );
    const alarms = Object.values(templates.audit.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => (alarm as { Properties: Record<string, unknown> }).Properties,
    );

    // Assess: the action's failures go to chat-unfinished, named exactly (no version wildcard).
    templates.audit.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^ChatOpsActionFunction') },
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ChatOpsUnfinishedFunction'), 'Arn'] },
        },
      },
    });
    expect(action.map((s) => s.Resource)).toEqual([
      [{ 'Fn::GetAtt': [expect.stringMatching(/^ChatOpsUnfinishedFunction/), 'Arn'] }],
    ]);
    // chat-unfinished: retried, then to the dead-letter queue the alarm watches.
    expect(queues).toHaveLength(1);
    templates.audit.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^ChatOpsUnfinishedFunction') },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queues[0], 'Arn'] } } },
    });
    expect(alarms.some((alarm) => JSON.stringify(alarm.Dimensions ?? []).includes(queues[0] as string))).toBe(
      true,
    );
    expect(unfinished.flatMap((s) => s.Action).sort()).toEqual(
      [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'kms:Decrypt',
        'kms:GenerateDataKey*',
        'sns:Publish',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ].sort(),
    );
  });

  it('alarms on refused and on failed commands', () => {
    // Act
    const alarms = Object.values(synthesized.templates.audit.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => (alarm as { Properties: Record<string, unknown> }).Properties,
    );
    const refused = alarms.find((alarm) => alarm.MetricName === 'ChatCommandsRefused');
    const failed = alarms.find((alarm) => JSON.stringify(alarm.Metrics ?? []).includes('ChatCommandsFailed'));

    // Assess
    expect(refused).toMatchObject({
      Namespace: 'CertctlBackupGuard',
      Dimensions: [{ Name: 'service', Value: 'chat-slack' }],
      Threshold: REFUSED_ALARM_THRESHOLD,
    });
    expect(failed).toMatchObject({ Threshold: 1 });
    expect(JSON.stringify(failed?.Metrics)).toContain('chat-action');
    expect(JSON.stringify(failed?.Metrics)).toContain('chat-unfinished');
    expect(flatten(refused?.AlarmActions)).toBeDefined();
  });
});
