/**
 * The audit-keys job in the CDK app, against the synthesized templates: deployed only for an AWS
 * inventory, on its own schedule; DescribeSecret on the inventory secrets only, kms:DescribeKey in
 * the inventory's accounts in every region (a replica's key is in its own region); GetSecretValue
 * only with `keys.inspectSecretValues`, only on inventory secrets, and kms:Decrypt only through
 * Secrets Manager for those secrets; member-held secrets read through the member role, restricted
 * to the member's own secrets.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_KEYS_SERVICE } from '../../infra/audit-stack.ts';
import { jobRoleName } from '../../infra/scheduled-job.ts';
import { type AccessRequest, type Environment, isAllowed } from './iam-evaluator.ts';
import {
  auditScheduleExpressions,
  FULL_POLICY,
  flatten,
  type IamStatement,
  iamStatements,
  MEMBER_KEYS_POLICY,
  OWN_KEYS_POLICY,
  roleStatements,
  type Synthesized,
  synthesize,
} from './support.ts';

const KEYS_ROLE = jobRoleName(AUDIT_KEYS_SERVICE);
const SECRET = 'arn:<AWS::Partition>:secretsmanager';
const OWN_SECRETS = [
  `${SECRET}:eu-west-1:111111111111:secret:certctl/ca`,
  `${SECRET}:eu-west-1:111111111111:secret:certctl/ca-??????`,
  `${SECRET}:us-east-2:111111111111:secret:certctl/config-key`,
  `${SECRET}:us-east-2:111111111111:secret:certctl/config-key-??????`,
];

const bySid = (statements: readonly IamStatement[], sid: string) => statements.find((s) => s.Sid === sid);
/** Every action the statements allow. */
const actions = (statements: readonly IamStatement[]) =>
  statements.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action);
/** The role's grants apart from the import ledger's (a bucket of ours, not key material). */
const keysGrants = (synthesized: Synthesized, roleName: string) =>
  roleStatements(synthesized, roleName).filter((s) => !s.Sid?.startsWith('ImportLedger'));
const metadataOnly = { ...OWN_KEYS_POLICY, keys: { ...OWN_KEYS_POLICY.keys, inspectSecretValues: false } };

// Synthesizing bundles nothing but still takes long on a shared machine.
/** Logical ids of the audit stack's audit-keys functions (other jobs deploy functions of their own). */
function auditKeysFunctions(synthesized: Synthesized): string[] {
  return Object.keys(synthesized.templates.audit.findResources('AWS::Lambda::Function')).filter((id) =>
    id.startsWith('AuditKeys'),
  );
}

describe('audit-keys job', { timeout: 300_000 }, () => {
  let own: Synthesized;
  let ownMetadata: Synthesized;
  let member: Synthesized;
  beforeAll(() => {
    own = synthesize(OWN_KEYS_POLICY);
    ownMetadata = synthesize(metadataOnly);
    member = synthesize(MEMBER_KEYS_POLICY);
  });

  it('deploys its own function and role on policy.schedules.auditKeys when the inventory names Secrets Manager secrets', () => {
    // Act / Assess
    expect(auditKeysFunctions(own)).toHaveLength(1);
    own.templates.audit.hasResourceProperties('AWS::IAM::Role', { RoleName: KEYS_ROLE });
    expect(auditScheduleExpressions(own)).toEqual(['rate(1 hour)', 'rate(12 hours)']);
  });

  it('deploys no keys job, and grants nothing of Secrets Manager, without an AWS inventory secret', () => {
    // Act: no keys section, and an inventory on GCP only.
    const none = synthesize(FULL_POLICY);
    const gcpOnly = synthesize({
      ...FULL_POLICY,
      keys: {
        preset: 'none',
        items: { ca: { kind: 'certificate', secret: 'projects/certctl-prod-1/secrets/certctl-ca' } },
      },
    });
    // Assess
    for (const synthesized of [none, gcpOnly]) {
      expect(auditKeysFunctions(synthesized)).toEqual([]);
      // The snapshot keys' describe (DescribeSnapshotKeys, test/infra/new-calls-iam.test.ts) is not
      // the keys audit's.
      const all = [
        ...iamStatements(synthesized.stacks.audit, synthesized.templates.audit),
        ...iamStatements(synthesized.stacks.member, synthesized.templates.member),
      ].filter((statement) => statement.Sid !== 'DescribeSnapshotKeys');
      expect(actions(all).filter((action) => /^(secretsmanager|kms:DescribeKey)/.test(action))).toEqual([]);
    }
  });

  it('describes the inventory secrets only, by name with and without the ARN suffix', () => {
    // Act
    const describeSecrets = bySid(keysGrants(ownMetadata, KEYS_ROLE), 'DescribeInventorySecrets');
    // Assess
    expect(describeSecrets?.Action).toEqual(['secretsmanager:DescribeSecret']);
    expect(describeSecrets?.Resource.map(flatten)).toEqual(OWN_SECRETS);
  });

  it('describes KMS keys only in the accounts of the inventory secrets, in every region (a replica is encrypted by a key of its own region)', () => {
    // Act
    const describeKeys = bySid(keysGrants(ownMetadata, KEYS_ROLE), 'DescribeInventorySecretKeys');
    // Assess
    expect(describeKeys?.Action).toEqual(['kms:DescribeKey']);
    expect(describeKeys?.Resource.map(flatten)).toEqual(['arn:<AWS::Partition>:kms:*:111111111111:key/*']);
  });

  it('grants no GetSecretValue, BatchGetSecretValue or kms:Decrypt anywhere when inspection is off', () => {
    // Act
    const all = [
      ...iamStatements(ownMetadata.stacks.audit, ownMetadata.templates.audit),
      ...iamStatements(member.stacks.audit, member.templates.audit),
      ...iamStatements(member.stacks.member, member.templates.member),
    ];
    // Assess
    expect(actions(all).filter((action) => /GetSecretValue|kms:Decrypt/.test(action))).toEqual([]);
  });

  it('reads values of the inventory secrets only, and decrypts only through Secrets Manager for them, when inspection is on', () => {
    // Act
    const grants = keysGrants(own, KEYS_ROLE);
    const read = bySid(grants, 'ReadInventorySecretValues');
    const decrypt = bySid(grants, 'DecryptInventorySecretsThroughSecretsManager');
    // Assess
    expect(read?.Action).toEqual(['secretsmanager:GetSecretValue']);
    expect(read?.Resource.map(flatten)).toEqual(OWN_SECRETS);
    // BatchGetSecretValue has no resource type; Secrets Manager authorizes GetSecretValue per secret.
    expect(bySid(grants, 'BatchReadInventorySecretValues')?.Resource).toEqual(['*']);
    expect(decrypt?.Action).toEqual(['kms:Decrypt']);
    const condition = decrypt?.Condition as {
      StringEquals: unknown;
      StringLike: { 'kms:EncryptionContext:SecretARN': unknown[] };
    };
    expect(condition.StringEquals).toEqual({
      'kms:ViaService': ['secretsmanager.eu-west-1.amazonaws.com', 'secretsmanager.us-east-2.amazonaws.com'],
    });
    expect(condition.StringLike['kms:EncryptionContext:SecretARN'].map(flatten)).toEqual(OWN_SECRETS);
  });

  it('imports keys findings into Security Hub in the secrets’ regions only', () => {
    // Act
    const importing = bySid(keysGrants(own, KEYS_ROLE), 'KeysImportFindingsIntoOwnProduct');
    // Assess
    expect(importing?.Resource.map(flatten)).toEqual([
      'arn:<AWS::Partition>:securityhub:eu-west-1:<AWS::AccountId>:product/<AWS::AccountId>/default',
      'arn:<AWS::Partition>:securityhub:us-east-2:<AWS::AccountId>:product/<AWS::AccountId>/default',
    ]);
    expect(importing?.Condition).toEqual({
      StringEquals: { 'securityhub:TargetAccount': { Ref: 'AWS::AccountId' } },
    });
  });

  it('leaves the audit-pitr role without any Secrets Manager or KMS permission', () => {
    // Act
    const pitr = actions(keysGrants(own, jobRoleName('audit-pitr')));
    // Assess
    expect(pitr.filter((action) => /^(secretsmanager|kms):/.test(action))).toEqual([]);
  });

  it('reads member-held secrets through the member role, restricted to the member’s own secrets', () => {
    // Act
    const keysRole = keysGrants(member, KEYS_ROLE);
    const memberStatements = iamStatements(member.stacks.member, member.templates.member);
    // Assess: the job itself reads no secret, it assumes the role of the account holding it.
    expect(actions(keysRole).filter((action) => /^(secretsmanager|kms):/.test(action))).toEqual([]);
    expect(bySid(keysRole, 'AssumeKeyHoldingMemberRoles')?.Resource).toEqual([
      'arn:aws:iam::222222222222:role/certctl-backup-guard-audit-member',
    ]);
    const describeSecrets = bySid(memberStatements, 'DescribeInventorySecrets');
    expect(describeSecrets?.Resource.map(flatten)).toEqual([
      `${SECRET}:eu-west-1:222222222222:secret:certctl/ca-AbC123`,
      `${SECRET}:eu-west-1:222222222222:secret:certctl/ca-AbC123-??????`,
    ]);
    expect(describeSecrets?.Condition).toEqual({
      StringEquals: { 'aws:ResourceAccount': { Ref: 'AWS::AccountId' } },
    });
  });

  it('lets the member role be assumed by the audit-keys role only when member accounts hold inventory secrets', () => {
    // Act
    const trust = (synthesized: Synthesized) =>
      JSON.stringify(synthesized.templates.member.findResources('AWS::IAM::Role'));
    // Assess
    expect(trust(member)).toContain(`role/${KEYS_ROLE}`);
    expect(trust(member)).toContain(`role/${jobRoleName('audit-pitr')}`);
    expect(trust(synthesize(FULL_POLICY))).not.toContain(`role/${KEYS_ROLE}`);
  });
});

describe('audit-keys job, secrets encrypted by keys of a central key account', { timeout: 300_000 }, () => {
  // A secret's KmsKeyId may be a key ARN of another account (a central key account). KMS answers
  // DescribeKey there when the caller's IAM policy and the key policy both allow it, so the roles
  // must name that account's keys: only the accounts keys.kmsKeyAccounts lists.
  const CENTRAL = '999999999999';
  const STRANGER = '888888888888';
  const centralKey = (account: string, region = 'eu-west-1') =>
    `arn:aws:kms:${region}:${account}:key/aaaaaaaa-0000-4000-8000-000000000001`;
  const describeKey = (account: string): AccessRequest => ({
    action: 'kms:DescribeKey',
    resource: centralKey(account, 'us-east-2'),
    context: { 'aws:ResourceAccount': account },
  });
  const decrypt = (
    account: string,
    secretArn: string,
    via = 'secretsmanager.eu-west-1.amazonaws.com',
  ): AccessRequest => ({
    action: 'kms:Decrypt',
    resource: centralKey(account),
    context: {
      'aws:ResourceAccount': account,
      'kms:ViaService': via,
      'kms:EncryptionContext:SecretARN': secretArn,
    },
  });
  const AUDIT: Environment = { partition: 'aws', account: '123456789012' };
  const MEMBER: Environment = { partition: 'aws', account: '222222222222' };
  let own: Synthesized;
  let member: Synthesized;
  beforeAll(() => {
    own = synthesize({ ...OWN_KEYS_POLICY, keys: { ...OWN_KEYS_POLICY.keys, kmsKeyAccounts: [CENTRAL] } });
    member = synthesize({
      ...MEMBER_KEYS_POLICY,
      keys: { ...MEMBER_KEYS_POLICY.keys, inspectSecretValues: true, kmsKeyAccounts: [CENTRAL] },
    });
  });

  it('lets the audit-keys role describe keys of the listed key account, in any region, and of no other account', () => {
    // Act
    const grants = keysGrants(own, KEYS_ROLE);
    // Assess
    expect(bySid(grants, 'DescribeInventorySecretKeys')?.Resource.map(flatten)).toEqual([
      'arn:<AWS::Partition>:kms:*:111111111111:key/*',
      `arn:<AWS::Partition>:kms:*:${CENTRAL}:key/*`,
    ]);
    expect(isAllowed(grants, describeKey(CENTRAL), AUDIT)).toBe(true);
    expect(isAllowed(grants, describeKey(STRANGER), AUDIT)).toBe(false);
    // Readiness judges the keys gate with the same checks, so it reads the same keys.
    const readiness = roleStatements(own, 'certctl-backup-guard-readiness');
    expect(isAllowed(readiness, describeKey(CENTRAL), AUDIT)).toBe(true);
    expect(isAllowed(readiness, describeKey(STRANGER), AUDIT)).toBe(false);
  });

  it('lets it decrypt with a listed account’s key only through Secrets Manager, for the inventory secrets, in their regions', () => {
    // Prepare
    const grants = keysGrants(own, KEYS_ROLE);
    const secret = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certctl/ca-AbC123';
    // Assess
    expect(isAllowed(grants, decrypt(CENTRAL, secret), AUDIT)).toBe(true);
    expect(isAllowed(grants, decrypt(STRANGER, secret), AUDIT)).toBe(false);
    expect(isAllowed(grants, decrypt(CENTRAL, secret, 's3.eu-west-1.amazonaws.com'), AUDIT)).toBe(false);
    expect(
      isAllowed(
        grants,
        decrypt(CENTRAL, 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:other-AbC123'),
        AUDIT,
      ),
    ).toBe(false);
  });

  it('lets the member role describe and decrypt with the listed account’s keys besides its own, and no other account’s', () => {
    // Act
    const statements = iamStatements(member.stacks.member, member.templates.member);
    const secret = 'arn:aws:secretsmanager:eu-west-1:222222222222:secret:certctl/ca-AbC123';
    // Assess
    expect(isAllowed(statements, describeKey(CENTRAL), MEMBER)).toBe(true);
    expect(isAllowed(statements, describeKey('222222222222'), MEMBER)).toBe(true);
    expect(isAllowed(statements, describeKey(STRANGER), MEMBER)).toBe(false);
    expect(isAllowed(statements, decrypt(CENTRAL, secret), MEMBER)).toBe(true);
    expect(isAllowed(statements, decrypt(STRANGER, secret), MEMBER)).toBe(false);
    // Secrets stay the member's own: the key account adds nothing to Secrets Manager.
    expect(bySid(statements, 'DescribeInventorySecrets')?.Condition).toEqual({
      StringEquals: { 'aws:ResourceAccount': { Ref: 'AWS::AccountId' } },
    });
  });

  it('describes no other account’s keys when keys.kmsKeyAccounts is empty (a central key stays not available)', () => {
    // Act
    const grants = keysGrants(synthesize(OWN_KEYS_POLICY), KEYS_ROLE);
    // Assess
    expect(isAllowed(grants, describeKey(CENTRAL), AUDIT)).toBe(false);
  });
});
