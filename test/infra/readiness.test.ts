/**
 * The readiness function: its own role reads what the audit groups read and the manual snapshots,
 * proved on the synthesized policy with the IAM evaluator (test/infra/iam-evaluator.ts), and writes
 * nothing; the function is made as every job function is.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { READINESS_SERVICE } from '../../infra/audit-stack.ts';
import { AUDIT_MEMORY_MB, jobRoleName } from '../../infra/scheduled-job.ts';
import { type AccessRequest, type Environment, isAllowed } from './iam-evaluator.ts';
import {
  FULL_POLICY,
  type IamStatement,
  OWN_DUMPS_POLICY,
  OWN_KEYS_POLICY,
  roleStatements,
  type Synthesized,
  synthesize,
} from './support.ts';

const ENV: Environment = { partition: 'aws', account: '123456789012' };
const ROLE = jobRoleName(READINESS_SERVICE);
const rds = (region: string, resource: string) => `arn:aws:rds:${region}:${ENV.account}:${resource}`;

let full: Synthesized;
let readiness: IamStatement[];

beforeAll(() => {
  full = synthesize(FULL_POLICY);
  readiness = roleStatements(full, ROLE);
}, 120_000);

const allowed = (statements: readonly IamStatement[], request: AccessRequest) =>
  isAllowed(statements, request, ENV);

describe('readiness function', () => {
  it('runs the readiness handler on Node.js 24 and arm64 with one vCPU and the bundled policy, under its own role', () => {
    // Assess
    full.templates.audit.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^certctl-backup-guard readiness: go/no-go'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: AUDIT_MEMORY_MB,
      Timeout: 300,
      Environment: { Variables: Match.objectLike({ BACKUP_GUARD_POLICY_FILE: Match.anyValue() }) },
    });
    full.templates.audit.hasResourceProperties('AWS::IAM::Role', { RoleName: ROLE });
    full.templates.audit.hasOutput('ReadinessFunctionName', Match.anyValue());
  });

  it.each([
    ['DescribeDBInstances', 'db:*'],
    ['DescribeDBClusters', 'cluster:*'],
    ['DescribeDBInstanceAutomatedBackups', 'auto-backup:*'],
    ['DescribeDBSnapshots', 'snapshot:*'],
    ['DescribeDBClusterSnapshots', 'cluster-snapshot:*'],
  ])('lets the role call rds:%s in the policy regions only', (action, resource) => {
    // Act / Assess
    expect(allowed(readiness, { action: `rds:${action}`, resource: rds('eu-west-1', resource) })).toBe(true);
    expect(allowed(readiness, { action: `rds:${action}`, resource: rds('ap-south-1', resource) })).toBe(
      false,
    );
  });

  it('refuses the role every write and every Security Hub call, since readiness only reads', () => {
    // Prepare
    const snapshot = rds('eu-west-1', 'snapshot:certctl-premaint-certctl-db-1');
    const requests: AccessRequest[] = [
      { action: 'rds:CreateDBSnapshot', resource: rds('eu-west-1', 'db:certctl-db') },
      { action: 'rds:CreateDBSnapshot', resource: snapshot },
      {
        action: 'rds:DeleteDBSnapshot',
        resource: snapshot,
        context: { 'rds:snapshot-tag/purpose': 'certctl-pre-maintenance' },
      },
      { action: 'rds:AddTagsToResource', resource: snapshot },
      { action: 'rds:DescribePendingMaintenanceActions', resource: rds('eu-west-1', 'db:*') },
      {
        action: 'securityhub:BatchImportFindings',
        resource: `arn:aws:securityhub:eu-west-1:${ENV.account}:product/${ENV.account}/default`,
        context: { 'securityhub:TargetAccount': ENV.account },
      },
      {
        action: 'securityhub:GetFindings',
        resource: `arn:aws:securityhub:eu-west-1:${ENV.account}:hub/default`,
      },
      { action: 'dynamodb:PutItem', resource: `arn:aws:dynamodb:eu-west-1:${ENV.account}:table/any` },
    ];

    // Act / Assess
    expect(
      requests.filter((request) => allowed(readiness, request)).map((request) => request.action),
    ).toEqual([]);
  });

  it('assumes exactly the member roles the policy lists, which trust it', () => {
    // Act
    const assume = readiness.filter((statement) => statement.Action.includes('sts:AssumeRole'));

    // Assess
    expect(assume.flatMap((statement) => statement.Resource)).toEqual(
      FULL_POLICY.aws.accounts.map((account) => account.roleArn),
    );
  });

  it('reads the dump locations and the inventory secrets as their audits do when the policy places them in this account', () => {
    // Prepare
    const withDumps = roleStatements(synthesize(OWN_DUMPS_POLICY), ROLE);
    const withKeys = roleStatements(synthesize(OWN_KEYS_POLICY), ROLE);
    const bucket = OWN_DUMPS_POLICY.dumps.locations[0] as { bucket: string; prefix: string };

    // Act / Assess: the dumps audit's header read; the keys audit's describe and (inspection on) value read.
    expect(
      allowed(withDumps, {
        action: 's3:GetObject',
        resource: `arn:aws:s3:::${bucket.bucket}/${bucket.prefix}certctl-2026-01-01.dump`,
      }),
    ).toBe(true);
    expect(
      allowed(withDumps, {
        action: 's3:PutObject',
        resource: `arn:aws:s3:::${bucket.bucket}/${bucket.prefix}x`,
      }),
    ).toBe(false);
    const secretActions = withKeys
      .flatMap((statement) => statement.Action)
      .filter((action) => action.startsWith('secretsmanager:'));
    expect([...new Set(secretActions)].sort()).toEqual([
      'secretsmanager:BatchGetSecretValue',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    expect(
      readiness
        .flatMap((statement) => statement.Action)
        .some((action) => action.startsWith('secretsmanager:')),
    ).toBe(false);
  });
});
