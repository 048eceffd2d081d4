import { existsSync, readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_BUCKET_ENV, LEDGER_PREFIX } from '../../functions/aws/ledger-location.ts';
import {
  BUNDLED_POLICY_FILE,
  POLICY_ENV,
  POLICY_FILE_ENV,
  parsePolicy,
} from '../../functions/core/policy.ts';
import { METRICS_NAMESPACE } from '../../functions/handlers/aws/observability.ts';
import { AUDIT_PITR_ENTRY, AUDIT_PITR_SERVICE, AUDIT_ROLE_NAME } from '../../infra/audit-stack.ts';
import { buildBackupGuardApp } from '../../infra/backup-guard-app.ts';
import { readPolicyContext } from '../../infra/policy-context.ts';
import { AUDIT_MEMORY_MB } from '../../infra/scheduled-job.ts';
import {
  CHAT_POLICY,
  FULL_POLICY,
  flatten,
  iamStatements,
  OWN_DUMPS_POLICY,
  OWN_KEYS_POLICY,
  type Synthesized,
  synthesize,
  testContext,
} from './support.ts';

/** Logical ids of the audit-pitr job's resources start with its construct id. */
const AUDIT_JOB = 'AuditPitr';

/** Logical ids of `type` in the audit-pitr job, or in the whole stack for a stack-wide type (topic, key). */
function idsOfType(synthesized: Synthesized, type: string): string[] {
  const ids = Object.keys(synthesized.templates.audit.findResources(type));
  const own = ids.filter((id) => id.startsWith(AUDIT_JOB));
  return own.length > 0 ? own : ids;
}

function resourceOfType(synthesized: Synthesized, type: string): { Properties: Record<string, unknown> } {
  const ids = idsOfType(synthesized, type);
  expect(ids).toHaveLength(1);
  return synthesized.templates.audit.findResources(type)[ids[0] as string] as {
    Properties: Record<string, unknown>;
  };
}

/** The audit-pitr job's alarm on `metricName` (every job has its own Errors, Throttles, …). */
function alarmByMetric(synthesized: Synthesized, metricName: string): Record<string, unknown> {
  const alarms = Object.entries(synthesized.templates.audit.findResources('AWS::CloudWatch::Alarm'))
    .filter(([id]) => id.startsWith(AUDIT_JOB))
    .map(([, alarm]) => (alarm as { Properties: Record<string, unknown> }).Properties);
  const found = alarms.filter((alarm) => alarm.MetricName === metricName);
  expect(found).toHaveLength(1);
  return found[0] as Record<string, unknown>;
}

describe('AuditStack', () => {
  let full: Synthesized;
  beforeAll(() => {
    full = synthesize(FULL_POLICY);
  });

  it('runs the handler on Node.js 24 arm64 with the policy bundled as a file when synthesized', () => {
    // Prepare: the full policy. Act: synthesized once above.
    const fn = resourceOfType(full, 'AWS::Lambda::Function').Properties;

    // Assess
    expect(fn.Runtime).toBe('nodejs24.x');
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.Handler).toBe('index.handler');
    expect(fn.MemorySize).toBe(AUDIT_MEMORY_MB);
    expect(AUDIT_MEMORY_MB).toBe(1769);
    expect(fn.Timeout).toBe(300);
    // docs/deploy.md's table of what gets deployed says the same.
    const functionRow = readFileSync('docs/deploy.md', 'utf8')
      .split('\n')
      .find((line) => line.startsWith('| Function ') && line.includes('`AuditFunctionName`'));
    expect(functionRow).toContain(`${AUDIT_MEMORY_MB.toLocaleString('en-US')} MB, 5 minutes`);
    expect(functionRow).toContain('arm64');
    const variables = (fn.Environment as { Variables: Record<string, string> }).Variables;
    expect(variables[POLICY_FILE_ENV]).toBe(BUNDLED_POLICY_FILE);
    expect(variables[POLICY_ENV]).toBeUndefined();
    const bundled = readFileSync(full.stacks.audit.auditJob.policyFile, 'utf8');
    expect(parsePolicy(JSON.parse(bundled))).toEqual(parsePolicy(FULL_POLICY));
  });

  it('grants the import ledger bucket to the audit role only on the ledger prefix when Security Hub publishing is on', () => {
    // Prepare: the full policy publishes. Act: synthesized once above.
    const bucket = resourceOfType(full, 'AWS::S3::Bucket').Properties;
    const fn = resourceOfType(full, 'AWS::Lambda::Function').Properties;
    const statements = iamStatements(full.stacks.audit, full.templates.audit).filter((statement) =>
      statement.Action.some((action) => action.startsWith('s3:')),
    );

    // Assess
    expect(bucket.PublicAccessBlockConfiguration).toMatchObject({
      BlockPublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(
      (fn.Environment as { Variables: Record<string, unknown> }).Variables[LEDGER_BUCKET_ENV],
    ).toBeDefined();
    expect(
      statements
        .map((statement) => [[...statement.Action].sort(), JSON.stringify(statement.Resource)])
        .sort(),
    ).toEqual([
      [
        ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'].sort(),
        expect.stringContaining(`/${LEDGER_PREFIX}*`),
      ],
      [['s3:ListBucket'], expect.not.stringContaining('/')],
    ]);
    expect(statements.find((statement) => statement.Action.includes('s3:ListBucket'))?.Condition).toEqual({
      StringLike: { 's3:prefix': [`${LEDGER_PREFIX}*`] },
    });
  });

  it('bundles the handler file that exists in the repository when bundling is skipped in tests', () => {
    // Prepare / Act: the entry the stack points at.
    const entry = AUDIT_PITR_ENTRY;

    // Assess: the path resolves to the real handler (NodejsFunction also checks it at synth).
    expect(entry.endsWith('functions/handlers/aws/audit-pitr.ts')).toBe(true);
    expect(existsSync(entry)).toBe(true);
  });

  it('writes the Lambda logs to its own log group kept for three months', () => {
    // Act
    const logGroup = resourceOfType(full, 'AWS::Logs::LogGroup');
    const fn = resourceOfType(full, 'AWS::Lambda::Function').Properties;

    // Assess
    expect(logGroup.Properties.RetentionInDays).toBe(90);
    const [logGroupId] = idsOfType(full, 'AWS::Logs::LogGroup');
    expect(fn.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
  });

  it('schedules the audit from policy.schedules.auditPitr with retries and the dead-letter queue', () => {
    // Act
    const schedule = resourceOfType(full, 'AWS::Scheduler::Schedule').Properties;
    const [queueId] = idsOfType(full, 'AWS::SQS::Queue');

    // Assess
    expect(schedule.ScheduleExpression).toBe('rate(30 minutes)');
    expect(schedule.ScheduleExpressionTimezone).toBe('Etc/UTC');
    const target = schedule.Target as Record<string, unknown>;
    expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 30 * 60 });
  });

  it('sends failed runs to the same dead-letter queue without retrying them', () => {
    // Act
    const invokeConfig = resourceOfType(full, 'AWS::Lambda::EventInvokeConfig').Properties;
    const [queueId] = idsOfType(full, 'AWS::SQS::Queue');

    // Assess
    expect(invokeConfig.MaximumRetryAttempts).toBe(0);
    expect(invokeConfig.DestinationConfig).toEqual({
      OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } },
    });
  });

  it('encrypts the dead-letter queue and denies requests without TLS', () => {
    // Act
    const queue = resourceOfType(full, 'AWS::SQS::Queue').Properties;

    // Assess
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    full.templates.audit.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('subscribes every policy e-mail to a KMS-encrypted alarm topic that denies requests without TLS', () => {
    // Act
    const topic = resourceOfType(full, 'AWS::SNS::Topic').Properties;
    const subscriptions = Object.values(full.templates.audit.findResources('AWS::SNS::Subscription')).map(
      (subscription) => (subscription as { Properties: Record<string, unknown> }).Properties,
    );

    // Assess
    const [keyId] = Object.keys(full.templates.audit.findResources('AWS::KMS::Key'));
    expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(subscriptions.map((s) => [s.Protocol, s.Endpoint])).toEqual([
      ['email', 'oncall@example.com'],
      ['email', 'pki-team@example.com'],
    ]);
    full.templates.audit.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    full.templates.audit.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('creates a topic without subscribers when the policy lists no e-mail', () => {
    // Act
    const synthesized = synthesize({});

    // Assess
    synthesized.templates.audit.resourceCountIs('AWS::SNS::Topic', 1);
    synthesized.templates.audit.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('alarms to the topic on Lambda errors, throttles and dead letters', () => {
    // Act
    const alarms = ['Errors', 'Throttles', 'ApproximateNumberOfMessagesVisible'].map((name) =>
      alarmByMetric(full, name),
    );

    // Assess
    const [topicId] = Object.keys(full.templates.audit.findResources('AWS::SNS::Topic'));
    for (const alarm of alarms) {
      expect(alarm.Threshold).toBe(1);
      expect(alarm.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
      expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.OKActions).toEqual([{ Ref: topicId }]);
    }
  });

  it('alarms when the handler records no AuditCompleted = 1 over the schedule period, missing data breaching', () => {
    // Act
    const alarm = alarmByMetric(full, 'AuditCompleted');

    // Assess: the same namespace and service dimension the handler's Powertools Metrics use.
    expect(alarm.Namespace).toBe(METRICS_NAMESPACE);
    expect(alarm.Dimensions).toEqual([{ Name: 'service', Value: AUDIT_PITR_SERVICE }]);
    expect(alarm.Statistic).toBe('Maximum');
    expect(alarm.Period).toBe(30 * 60);
    expect(alarm.EvaluationPeriods).toBe(2);
    expect(alarm.DatapointsToAlarm).toBe(2);
    expect(alarm.Threshold).toBe(1);
    expect(alarm.ComparisonOperator).toBe('LessThanThreshold');
    expect(alarm.TreatMissingData).toBe('breaching');
  });

  it('sets the not-completed alarm period to the longest gap of a daily cron schedule', () => {
    // Prepare: runs at 06:00 and 18:00 UTC.
    const synthesized = synthesize({ schedules: { auditPitr: 'cron(0 6,18 * * ? *)' } });

    // Act
    const alarm = alarmByMetric(synthesized, 'AuditCompleted');
    const schedule = resourceOfType(synthesized, 'AWS::Scheduler::Schedule').Properties;

    // Assess
    expect(schedule.ScheduleExpression).toBe('cron(0 6,18 * * ? *)');
    expect(alarm.Period).toBe(12 * 3600);
  });

  it('names the Lambda role so member accounts can trust it', () => {
    // Act / Assess
    full.templates.audit.hasResourceProperties('AWS::IAM::Role', {
      RoleName: AUDIT_ROLE_NAME,
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      },
    });
  });

  it('grants sts:AssumeRole only on the member role ARNs the policy lists', () => {
    // Act
    const assume = iamStatements(full.stacks.audit, full.templates.audit).filter((s) =>
      s.Action.some((action) => action.startsWith('sts:')),
    );

    // Assess: the audit-pitr role's and the readiness role's, both on exactly the listed roles.
    expect(assume.map((statement) => statement.resource.replace(/[0-9A-F]{8}$/, ''))).toEqual([
      'AuditPitrRoleDefaultPolicy',
      'ReadinessRoleDefaultPolicy',
    ]);
    for (const statement of assume) {
      expect(statement.Action).toEqual(['sts:AssumeRole']);
      expect(statement.Resource).toEqual(FULL_POLICY.aws.accounts.map((account) => account.roleArn));
    }
  });

  it('grants no sts action at all when the policy lists no member account', () => {
    // Act
    const synthesized = synthesize({});
    const statements = iamStatements(synthesized.stacks.audit, synthesized.templates.audit);

    // Assess
    expect(statements.flatMap((s) => s.Action).filter((action) => action.startsWith('sts:'))).toEqual([]);
  });

  it('scopes RDS describe calls to this account and the listed regions', () => {
    // Act
    const statements = iamStatements(full.stacks.audit, full.templates.audit);
    const describeInstances = statements.find((s) => s.Action.includes('rds:DescribeDBInstances'));

    // Assess
    expect(describeInstances?.Resource.map(flatten).sort()).toEqual([
      'arn:<AWS::Partition>:rds:eu-west-1:<AWS::AccountId>:db:*',
      'arn:<AWS::Partition>:rds:us-east-1:<AWS::AccountId>:db:*',
    ]);
    expect(statements.find((s) => s.Action.includes('account:ListRegions'))).toBeUndefined();
  });

  it('imports into and reads this account’s own Security Hub in exactly the audited regions and the home region', () => {
    // Act
    const statements = iamStatements(full.stacks.audit, full.templates.audit);
    const importFindings = statements.find((s) => s.Action.includes('securityhub:BatchImportFindings'));
    const getFindings = statements.find((s) => s.Action.includes('securityhub:GetFindings'));

    // Assess: the home region, securityHub.centralRegion (eu-central-1), holds the whole-account
    // findings an earlier audit of every region wrote: the publisher reads and archives them there
    // while the import ledger says one is held (publisher.ts wholeAccountHolders).
    const regions = ['eu-central-1', 'eu-west-1', 'us-east-1'];
    expect(importFindings?.Action).toEqual(['securityhub:BatchImportFindings']);
    expect(importFindings?.Resource.map(flatten).sort()).toEqual(
      regions.map(
        (region) =>
          `arn:<AWS::Partition>:securityhub:${region}:<AWS::AccountId>:product/<AWS::AccountId>/default`,
      ),
    );
    expect(getFindings?.Resource.map(flatten).sort()).toEqual(
      regions.map((region) => `arn:<AWS::Partition>:securityhub:${region}:<AWS::AccountId>:hub/default`),
    );
  });

  it('grants Security Hub in the audited regions whatever region the stack is in', () => {
    // Prepare
    const app = new App({ context: testContext() });
    const policy = readPolicyContext({
      aws: { regions: ['eu-west-1', 'us-east-1'] },
      securityHub: { enabled: true },
    });

    // Act
    const { audit } = buildBackupGuardApp(app, {
      policy,
      audit: { env: { account: '111111111111', region: 'eu-west-1' } },
    });
    const statements = iamStatements(audit, Template.fromStack(audit));

    // Assess
    expect(
      statements.find((s) => s.Action.includes('securityhub:GetFindings'))?.Resource.map(flatten),
    ).toEqual([
      'arn:<AWS::Partition>:securityhub:eu-west-1:<AWS::AccountId>:hub/default',
      'arn:<AWS::Partition>:securityhub:us-east-1:<AWS::AccountId>:hub/default',
    ]);
  });

  it('grants Security Hub in the stack’s own region, the home region without securityHub.centralRegion, beside the audited ones', () => {
    // Prepare
    const app = new App({ context: testContext() });
    const policy = readPolicyContext({
      aws: { regions: ['eu-west-1', 'us-east-1'] },
      securityHub: { enabled: true },
    });

    // Act
    const { audit } = buildBackupGuardApp(app, {
      policy,
      audit: { env: { account: '111111111111', region: 'ap-southeast-2' } },
    });
    const statements = iamStatements(audit, Template.fromStack(audit));

    // Assess
    expect(
      statements
        .find((s) => s.Action.includes('securityhub:GetFindings'))
        ?.Resource.map(flatten)
        .sort(),
    ).toEqual([
      'arn:<AWS::Partition>:securityhub:ap-southeast-2:<AWS::AccountId>:hub/default',
      'arn:<AWS::Partition>:securityhub:eu-west-1:<AWS::AccountId>:hub/default',
      'arn:<AWS::Partition>:securityhub:us-east-1:<AWS::AccountId>:hub/default',
    ]);
  });

  it('lists enabled regions and uses a region wildcard only when the policy audits all regions', () => {
    // Act
    const synthesized = synthesize({ securityHub: { enabled: true } });
    const statements = iamStatements(synthesized.stacks.audit, synthesized.templates.audit);

    // Assess
    expect(statements.find((s) => s.Action.includes('account:ListRegions'))?.Resource.map(flatten)).toEqual([
      'arn:<AWS::Partition>:account::<AWS::AccountId>:account',
    ]);
    expect(
      statements.find((s) => s.Action.includes('rds:DescribeDBClusters'))?.Resource.map(flatten),
    ).toEqual(['arn:<AWS::Partition>:rds:*:<AWS::AccountId>:cluster:*']);
  });

  it('grants no Security Hub permission when securityHub.enabled is false', () => {
    // Act
    const synthesized = synthesize({ securityHub: { enabled: false } });
    const actions = iamStatements(synthesized.stacks.audit, synthesized.templates.audit).flatMap(
      (s) => s.Action,
    );

    // Assess
    expect(actions.filter((action) => action.startsWith('securityhub:'))).toEqual([]);
  });

  it('deploys a policy far over the 4 KB Lambda environment, bundled as a file', () => {
    // Prepare: hundreds of explicit identifiers, about 20 KB of policy.
    const identifiers = Array.from(
      { length: 900 },
      (_, i) => `certctl-database-${String(i).padStart(4, '0')}`,
    );

    // Act
    const synthesized = synthesize({ targets: { identifiers } });

    // Assess
    const fn = resourceOfType(synthesized, 'AWS::Lambda::Function').Properties;
    const environment = JSON.stringify(fn.Environment);
    expect(Buffer.byteLength(environment)).toBeLessThan(4096);
    const bundled = readFileSync(synthesized.stacks.audit.auditJob.policyFile, 'utf8');
    expect(Buffer.byteLength(bundled)).toBeGreaterThan(20_000);
    expect(parsePolicy(JSON.parse(bundled)).targets.identifiers).toEqual(identifiers);
  });

  it('lets cdk destroy finish and a redeploy start again: only documented, unnamed resources survive, no bucket left to empty', () => {
    // Prepare: every job, the ledger and the chat functions.
    const { templates } = synthesize({
      ...OWN_KEYS_POLICY,
      dumps: OWN_DUMPS_POLICY.dumps,
      chatops: CHAT_POLICY.chatops,
    });
    const resources = Object.entries(
      templates.audit.toJSON().Resources as Record<
        string,
        { Type: string; DeletionPolicy?: string; Properties?: Record<string, unknown> }
      >,
    );
    const survivors = resources.filter(([, resource]) => resource.DeletionPolicy === 'Retain');
    const deploy = readFileSync('docs/deploy.md', 'utf8');
    const survive = deploy.slice(deploy.indexOf('survive `destroy` on purpose'), deploy.indexOf('## GCP'));

    // Assess: CloudFormation deletes a bucket only when it is empty, and a retained resource under a
    // fixed name (a schedule group) makes the next deploy fail to create it again.
    expect(
      resources.filter(([, r]) => r.Type === 'AWS::S3::Bucket' && r.DeletionPolicy !== 'Retain'),
    ).toEqual([]);
    expect(
      survivors.filter(([, r]) =>
        ['Name', 'TableName', 'BucketName', 'LogGroupName'].some((key) => r.Properties?.[key]),
      ),
    ).toEqual([]);
    expect([...new Set(survivors.map(([, r]) => r.Type))].sort()).toEqual([
      'AWS::DynamoDB::Table',
      'AWS::Logs::LogGroup',
      'AWS::S3::Bucket',
    ]);
    for (const what of ['log group', 'idempotency table', 'import ledger bucket'])
      expect(survive).toContain(what);
  });
});
