/**
 * The snapshot deployment: tag-scoped IAM proved on the synthesized policy, the idempotency table,
 * the maintenance rule, the failed-snapshot alarm, and cdk-nag.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../functions/core/policy.ts';
import { SNAPSHOT_TAG_KEYS } from '../../infra/permissions.ts';
import { SNAPSHOT_MEMORY_MB, SnapshotJobs } from '../../infra/snapshot-jobs.ts';
import { flatten, testContext } from './support.ts';

let app: App;
let template: Template;
let statements: { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown }[];

beforeAll(() => {
  app = new App({ context: testContext() });
  const stack = new Stack(app, 'SnapshotTest', { env: { account: '111111111111', region: 'eu-west-1' } });
  const topic = new Topic(stack, 'Alarms', { enforceSSL: true, masterKey: undefined });
  new SnapshotJobs(stack, 'Snapshots', {
    policy: parsePolicy({ aws: { regions: ['eu-west-1'] } }),
    alarmTopic: topic,
  });
  template = Template.fromStack(stack);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
    Properties: { PolicyDocument: { Statement: typeof statements } };
  }[];
  statements = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}, 120_000);

function statement(sid: string) {
  const found = statements.find((candidate) => candidate.Sid === sid);
  if (!found) throw new Error(`no statement ${sid}`);
  return { ...found, Resource: flatten(found.Resource) };
}

describe('snapshot role', () => {
  it('creates snapshots only of databases carrying the policy target tag', () => {
    // Act
    const db = statement('CreateSnapshotOfTaggedDb0');
    const cluster = statement('CreateSnapshotOfTaggedCluster0');

    // Assess
    expect(db.Action).toBe('rds:CreateDBSnapshot');
    expect(db.Condition).toEqual({ StringEquals: { 'rds:db-tag/certctl:backup-guard': 'enabled' } });
    expect(cluster.Condition).toEqual({
      StringEquals: { 'rds:cluster-tag/certctl:backup-guard': 'enabled' },
    });
  });

  it('tags only while a snapshot of our name has no purpose tag yet, with our purpose and our tag keys', () => {
    // Act
    const tagging = statements.filter((s) => [s.Action].flat().includes('rds:AddTagsToResource'));

    // Assess
    expect(tagging.map((s) => s.Sid).sort()).toEqual([
      'TagOwnClusterSnapshotsAtCreation',
      'TagOwnDbSnapshotsAtCreation',
    ]);
    for (const s of tagging) {
      expect(JSON.stringify(flatten(s.Resource))).toMatch(/snapshot:certctl-premaint-\*/);
      expect(s.Condition).toMatchObject({
        StringEquals: { 'aws:RequestTag/purpose': 'certctl-pre-maintenance' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': [...SNAPSHOT_TAG_KEYS] },
        Null: expect.any(Object),
      });
    }
    expect(SNAPSHOT_TAG_KEYS).toEqual([
      'purpose',
      'reason',
      'ticket',
      'requested-by',
      'request-id',
      'expires-at',
      'maintenance-event',
    ]);
  });

  it('deletes nothing: pruning is the CLI, with the operator credentials', () => {
    // Act
    const deletes = statements.filter((s) => [s.Action].flat().some((action) => /^rds:Delete/.test(action)));

    // Assess
    expect(deletes).toEqual([]);
  });
});

describe('snapshot resources', () => {
  it('keeps idempotency records in an encrypted table with TTL and point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('runs the job on AWS Health and RDS maintenance notifications and alarms on failed snapshots', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.health', 'aws.rds'],
        'detail-type': Match.arrayWith(['AWS Health Event']),
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'SnapshotsFailed', Threshold: 1 });
  });

  it('runs the snapshot Lambda for up to 15 minutes with the table name and a small memory, as it mostly waits', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 900,
      MemorySize: SNAPSHOT_MEMORY_MB,
      Environment: { Variables: Match.objectLike({ BACKUP_GUARD_IDEMPOTENCY_TABLE: Match.anyValue() }) },
    });
  });

  it('retries an undelivered maintenance notification and keeps what still fails in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }),
        }),
      ],
    });
  });

  it('warns at synth that nothing can be snapshotted when the policy has no target tag', () => {
    // Prepare
    const bare = new App({ context: testContext() });
    const stack = new Stack(bare, 'NoTags', { env: { account: '111111111111', region: 'eu-west-1' } });

    // Act
    new SnapshotJobs(stack, 'Snapshots', {
      policy: parsePolicy({ aws: { regions: ['eu-west-1'] }, targets: { tags: [], identifiers: ['db-1'] } }),
      alarmTopic: new Topic(stack, 'Alarms', { enforceSSL: true }),
    });

    // Assess
    Annotations.fromStack(stack).hasWarning(
      '/NoTags/Snapshots',
      Match.stringLikeRegexp(
        'targets.tags is empty: the snapshot role may create snapshots only of databases carrying a target tag',
      ),
    );
    const granted = JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    expect(granted).not.toContain('CreateSnapshotOfTagged');
  });

  it('reports no unacknowledged cdk-nag finding', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(app);

    // Assess
    expect(report.violations.map((violation) => `${violation.severity} ${violation.ruleName}`)).toEqual([]);
  });
});
