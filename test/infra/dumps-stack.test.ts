/**
 * The audit-dumps job in the CDK app: deployed only for S3 dump locations, on its own schedule, with
 * S3 reads scoped to the configured buckets and prefixes, and the member role's matching reads.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_DUMPS_SERVICE } from '../../infra/audit-stack.ts';
import { S3_BUCKET_SETTINGS_ACTIONS } from '../../infra/permissions.ts';
import { jobRoleName } from '../../infra/scheduled-job.ts';
import { isAllowed } from './iam-evaluator.ts';
import {
  auditScheduleExpressions,
  FULL_POLICY,
  flatten,
  type IamStatement,
  iamStatements,
  MEMBER_DUMPS_POLICY,
  OWN_DUMPS_POLICY,
  roleStatements,
  type Synthesized,
  synthesize,
} from './support.ts';

const DUMPS_ROLE = jobRoleName(AUDIT_DUMPS_SERVICE);

/** The role's grants apart from the import ledger's (a bucket of ours, not a dump location). */
function dumpGrants(synthesized: Synthesized, roleName: string): IamStatement[] {
  return roleStatements(synthesized, roleName).filter((s) => !s.Sid?.startsWith('ImportLedger'));
}

const bySid = (statements: readonly IamStatement[], sid: string) => statements.find((s) => s.Sid === sid);

/** Logical ids of the audit stack's functions. */
function functionIds(synthesized: Synthesized): string[] {
  return Object.keys(synthesized.templates.audit.findResources('AWS::Lambda::Function'));
}

describe('audit-dumps job', () => {
  let own: Synthesized;
  let member: Synthesized;
  beforeAll(() => {
    own = synthesize(OWN_DUMPS_POLICY);
    member = synthesize(MEMBER_DUMPS_POLICY);
  });

  it('deploys its own function and role on policy.schedules.auditDumps when the policy has S3 locations', () => {
    // Act / Assess
    expect(functionIds(own).filter((id) => id.startsWith('AuditDumps'))).toHaveLength(1);
    own.templates.audit.hasResourceProperties('AWS::IAM::Role', { RoleName: DUMPS_ROLE });
    expect(auditScheduleExpressions(own)).toEqual(['rate(1 hour)', 'rate(12 hours)']);
  });

  it('deploys no dumps job when the policy has no S3 dump location', () => {
    // Act
    const synthesized = synthesize(FULL_POLICY);
    // Assess
    expect(functionIds(synthesized).filter((id) => id.startsWith('AuditDumps'))).toEqual([]);
    expect(synthesized.stacks.audit.jobs.has(AUDIT_DUMPS_SERVICE)).toBe(false);
  });

  it('lists each bucket only with its configured prefixes, and a whole-bucket location without a prefix condition', () => {
    // Act
    const statements = dumpGrants(own, DUMPS_ROLE).filter((s) => s.Action.includes('s3:ListBucket'));
    // Assess
    expect(statements.map((s) => [s.Resource.map(flatten), s.Condition ?? null])).toEqual([
      [['arn:<AWS::Partition>:s3:::certctl-dumps'], { StringEquals: { 's3:prefix': ['prod/', 'staging/'] } }],
      [['arn:<AWS::Partition>:s3:::certctl-dumps-dr'], null],
    ]);
  });

  it('reads objects only under the configured prefixes and bucket settings only on those buckets', () => {
    // Act
    const statements = roleStatements(own, DUMPS_ROLE);
    // Assess
    // GetObject answers the dump's own Object Lock retention only with s3:GetObjectRetention, and
    // its legal hold only with s3:GetObjectLegalHold.
    expect(bySid(statements, 'ReadDumpHeaders')?.Action).toEqual([
      's3:GetObject',
      's3:GetObjectLegalHold',
      's3:GetObjectRetention',
    ]);
    expect(bySid(statements, 'ReadDumpHeaders')?.Resource.map(flatten)).toEqual([
      'arn:<AWS::Partition>:s3:::certctl-dumps-dr/*',
      'arn:<AWS::Partition>:s3:::certctl-dumps/prod/*',
      'arn:<AWS::Partition>:s3:::certctl-dumps/staging/*',
    ]);
    expect([...(bySid(statements, 'ReadDumpBucketSettings')?.Action ?? [])].sort()).toEqual(
      [...S3_BUCKET_SETTINGS_ACTIONS].sort(),
    );
    expect(bySid(statements, 'ReadDumpBucketSettings')?.Resource.map(flatten)).toEqual([
      'arn:<AWS::Partition>:s3:::certctl-dumps',
      'arn:<AWS::Partition>:s3:::certctl-dumps-dr',
    ]);
  });

  it('decrypts only through S3 in the buckets’ regions for objects under the configured prefixes', () => {
    // Act
    const decrypt = bySid(roleStatements(own, DUMPS_ROLE), 'DecryptDumpHeadersThroughS3');
    // Assess
    expect(decrypt?.Action).toEqual(['kms:Decrypt']);
    expect(decrypt?.Condition).toMatchObject({
      StringEquals: { 'kms:ViaService': ['s3.eu-west-1.amazonaws.com', 's3.us-east-2.amazonaws.com'] },
    });
  });

  it('denies the decrypt and the import where S3 redirects a bucket the policy places elsewhere, as the dumps checks then say', () => {
    // Prepare: certctl-dumps is placed in eu-west-1; suppose S3 answers that it is in us-west-2.
    const statements = roleStatements(own, DUMPS_ROLE);
    const environment = { partition: 'aws', account: '111111111111' };
    const decrypt = (region: string) => ({
      action: 'kms:Decrypt',
      resource: `arn:aws:kms:${region}:111111111111:key/5c1a9e2b-7d34-4f0e-9a61-2b8c3d4e5f60`,
      context: {
        'kms:ViaService': `s3.${region}.amazonaws.com`,
        'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::certctl-dumps/prod/certctl-2026-12-02.dump',
      },
    });
    const importInto = (region: string) => ({
      action: 'securityhub:BatchImportFindings',
      resource: `arn:aws:securityhub:${region}:111111111111:product/111111111111/default`,
      context: { 'securityhub:TargetAccount': '111111111111' },
    });
    // Act / Assess: the ranged read of an SSE-KMS dump is refused there (functions/checks/dumps
    // wording.ts deniedReadWords names this grant), and the findings can be imported only into the
    // policy's region (functions/publish/security-hub/asff.ts findingDestination).
    expect(isAllowed(statements, decrypt('eu-west-1'), environment)).toBe(true);
    expect(isAllowed(statements, decrypt('us-west-2'), environment)).toBe(false);
    expect(isAllowed(statements, importInto('eu-west-1'), environment)).toBe(true);
    expect(isAllowed(statements, importInto('us-west-2'), environment)).toBe(false);
  });

  it('says in its acknowledgement that the decrypt follows the region dumps.locations gives a bucket, not the one S3 redirects to', () => {
    // Act
    const resources = Object.values(own.templates.audit.toJSON().Resources ?? {}) as {
      Metadata?: { cdk_nag?: { rules_to_suppress?: { id: string; reason: string }[] } };
    }[];
    const reasons = resources.flatMap((resource) =>
      (resource.Metadata?.cdk_nag?.rules_to_suppress ?? []).map((rule) => rule.reason),
    );
    const decryptReason = reasons.find((reason) => reason.includes('kms:Decrypt is limited'));
    // Assess: before, "through S3 in the bucket's region", which a redirected bucket is not.
    expect(decryptReason).toContain('through S3 in the region dumps.locations gives each bucket');
    expect(decryptReason).toContain('the dumps checks name the grant');
  });

  it('describes KMS keys only in the dump buckets’ accounts, in every region (which key a bucket uses is known only from its encryption)', () => {
    // Act
    const describeKeys = bySid(roleStatements(own, DUMPS_ROLE), 'DescribeDumpBucketKeys');
    // Assess
    expect(describeKeys?.Action).toEqual(['kms:DescribeKey']);
    expect(describeKeys?.Resource.map(flatten)).toEqual(['arn:<AWS::Partition>:kms:*:111111111111:key/*']);
    expect(describeKeys?.Condition).toBeUndefined();
  });

  it('imports dump findings into Security Hub in the buckets’ regions only', () => {
    // Act
    const importing = roleStatements(own, DUMPS_ROLE).find((s) =>
      s.Action.includes('securityhub:BatchImportFindings'),
    );
    // Assess
    expect(importing?.Resource.map(flatten)).toEqual([
      'arn:<AWS::Partition>:securityhub:eu-west-1:<AWS::AccountId>:product/<AWS::AccountId>/default',
      'arn:<AWS::Partition>:securityhub:us-east-2:<AWS::AccountId>:product/<AWS::AccountId>/default',
    ]);
  });

  it('gives both publishing jobs the one import ledger, limited to its prefix', () => {
    // Act
    const ledgerGrants = (roleName: string) =>
      roleStatements(own, roleName)
        .filter((s) => s.Sid?.startsWith('ImportLedger'))
        .map((s) => [s.Sid, s.Action, s.Resource.map(flatten), s.Condition ?? null]);
    // Assess
    own.templates.audit.resourceCountIs('AWS::S3::Bucket', 1);
    expect(ledgerGrants(DUMPS_ROLE)).toEqual(ledgerGrants(jobRoleName('audit-pitr')));
    expect(ledgerGrants(DUMPS_ROLE).map(([sid]) => sid)).toEqual(['ImportLedgerObjects', 'ImportLedgerList']);
  });

  it('leaves the audit-pitr role without any S3 or KMS permission beyond the import ledger', () => {
    // Act
    const actions = dumpGrants(own, jobRoleName('audit-pitr')).flatMap((s) => s.Action);
    // Assess
    expect(actions.filter((action) => /^(s3|kms):/.test(action))).toEqual([]);
  });

  it('reads member-held buckets through the member role, restricted to the member’s own buckets', () => {
    // Act
    const dumpsRole = dumpGrants(member, DUMPS_ROLE);
    const memberStatements = iamStatements(member.stacks.member, member.templates.member);
    // Assess: the job itself reads no bucket, it assumes the role of the account holding it.
    expect(dumpsRole.flatMap((s) => s.Action).filter((action) => action.startsWith('s3:'))).toEqual([]);
    expect(bySid(dumpsRole, 'AssumeDumpHoldingMemberRoles')?.Resource).toEqual([
      'arn:aws:iam::222222222222:role/certctl-backup-guard-audit-member',
    ]);
    expect(bySid(memberStatements, 'ReadDumpHeaders')?.Condition).toEqual({
      StringEquals: { 's3:ResourceAccount': { Ref: 'AWS::AccountId' } },
    });
    expect(bySid(memberStatements, 'ListDumpPrefixes0')?.Condition).toEqual({
      StringEquals: { 's3:prefix': ['prod/'], 's3:ResourceAccount': { Ref: 'AWS::AccountId' } },
    });
    expect(dumpsRole.flatMap((s) => s.Action).filter((action) => action.startsWith('kms:'))).toEqual([]);
    const describeKeys = bySid(memberStatements, 'DescribeDumpBucketKeys');
    expect(describeKeys?.Action).toEqual(['kms:DescribeKey']);
    expect(describeKeys?.Resource.map(flatten)).toEqual(['arn:<AWS::Partition>:kms:*:222222222222:key/*']);
    expect(describeKeys?.Condition).toEqual({
      StringEquals: { 'aws:ResourceAccount': { Ref: 'AWS::AccountId' } },
    });
  });

  it('lets the member role be assumed by the audit-dumps role as well as the audit-pitr role', () => {
    // Act
    const trust = JSON.stringify(member.templates.member.findResources('AWS::IAM::Role'));
    // Assess
    expect(trust).toContain(`role/${DUMPS_ROLE}`);
    expect(trust).toContain(`role/${jobRoleName('audit-pitr')}`);
  });
});
