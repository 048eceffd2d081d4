import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_DUMPS_SERVICE, AUDIT_KEYS_SERVICE, AUDIT_PITR_SERVICE } from '../../infra/audit-stack.ts';
import { AMAZON_Q_FUNCTION_NAME, CHAT_JOBS } from '../../infra/chat-ops.ts';
import {
  RDS_DESCRIBE_ACTIONS,
  RDS_SNAPSHOT_DESCRIBE_ACTIONS,
  S3_BUCKET_SETTINGS_ACTIONS,
  SNAPSHOT_ACTIONS,
} from '../../infra/permissions.ts';
import { jobRoleName } from '../../infra/scheduled-job.ts';
import {
  CHAT_POLICY,
  FULL_POLICY,
  type IamStatement,
  iamStatements,
  MEMBER_DUMPS_POLICY,
  MEMBER_KEYS_POLICY,
  OWN_DUMPS_POLICY,
  OWN_KEYS_POLICY,
  readCdkJson,
  roleStatements,
  synthesize,
} from './support.ts';

/** Every action any role in the app may be granted; anything else is a privilege nobody reviewed. */
const REVIEWED_ACTIONS = new Set<string>([
  ...RDS_DESCRIBE_ACTIONS,
  'account:ListRegions',
  'securityhub:BatchImportFindings',
  'securityhub:GetFindings',
  'sts:AssumeRole',
  // The dumps audit: list and read the header under the configured prefixes, read bucket settings,
  // decrypt through S3, describe the bucket's key (infra/permissions.ts dumpsReadStatements).
  's3:ListBucket',
  's3:GetObject',
  // The header read answers the dump's own Object Lock retention only with this, and its legal hold
  // only with the next.
  's3:GetObjectRetention',
  's3:GetObjectLegalHold',
  ...S3_BUCKET_SETTINGS_ACTIONS,
  's3:GetAccountPublicAccessBlock',
  'kms:Decrypt',
  // The keys audit: describe the inventory secrets and their keys (infra/permissions.ts
  // keysReadStatements); values only with keys.inspectSecretValues (tested apart below).
  'secretsmanager:DescribeSecret',
  'kms:DescribeKey',
  // The Lambda writes its own log group; failed runs go to its dead-letter queue.
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'sqs:SendMessage',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  // The import ledger: its objects, and listing its prefix (a missing ledger then answers 404, not 403).
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  's3:ListBucket',
  // The scheduler role invokes the audit function.
  'lambda:InvokeFunction',
  // The snapshot job: tag-scoped snapshot writes (test/infra/snapshot-iam.test.ts proves the
  // conditions) and its idempotency records.
  ...SNAPSHOT_ACTIONS,
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
]);

/**
 * Actions with no resource type (Service Authorization Reference), the only ones granted on
 * Resource "*": the account-level Block Public Access the dumps audit combines with each bucket's.
 */
const RESOURCELESS_ACTIONS = new Set<string>(['s3:GetAccountPublicAccessBlock']);

/** The snapshot job's role policy: the only one allowed to write to RDS, and only by tag. */
const isSnapshotRole = (statement: IamStatement) => statement.resource.startsWith('SnapshotsJobRole');

const RDS_WRITE =
  /^rds:(\*|Create|Modify|Delete|Restore|Start|Stop|Reboot|Copy|Promote|Failover|Backtrack|Reset|Add|Remove|Apply|Authorize|Revoke|Purchase|Switchover)/;

const POLICIES: Record<string, unknown> = {
  'the cdk.json policy': readCdkJson().context.backupGuardPolicy,
  'the full policy': FULL_POLICY,
  'all defaults': {},
  'S3 dumps in this account': OWN_DUMPS_POLICY,
  'S3 dumps in a member account': MEMBER_DUMPS_POLICY,
  'key material in a member account, metadata only': MEMBER_KEYS_POLICY,
  'key material in this account, metadata only': {
    ...OWN_KEYS_POLICY,
    keys: { ...OWN_KEYS_POLICY.keys, inspectSecretValues: false },
  },
  'Security Hub off': { securityHub: { enabled: false }, aws: { regions: ['eu-west-1'] } },
  'cross-region backups required, in listed regions': {
    ...FULL_POLICY,
    pitr: { ...FULL_POLICY.pitr, requireCrossRegionBackup: true },
  },
};

/** The statements synthesized for each policy (by its JSON), so no test synthesizes one twice. */
const synthesized = new Map<string, readonly IamStatement[]>();

/** Every IAM statement of every stack the app synthesizes for `policy` (read only: shared between tests). */
function allStatements(policy: unknown): readonly IamStatement[] {
  const key = JSON.stringify(policy);
  const cached = synthesized.get(key);
  if (cached) return cached;
  const { stacks, templates } = synthesize(policy);
  const statements = [
    ...iamStatements(stacks.audit, templates.audit),
    ...iamStatements(stacks.member, templates.member),
    ...(stacks.federation && templates.federation
      ? iamStatements(stacks.federation, templates.federation)
      : []),
  ];
  synthesized.set(key, statements);
  return statements;
}

describe('IAM least privilege across all stacks', () => {
  for (const [name, policy] of Object.entries(POLICIES)) {
    it(`lets no role but the snapshot role write to RDS, and it only under conditions, and none read secret values, for ${name}`, () => {
      // Act
      const allowed = allStatements(policy).filter((s) => s.Effect === 'Allow');
      const actions = allowed.filter((s) => !isSnapshotRole(s)).flatMap((s) => s.Action);
      const snapshotWrites = allowed.filter(
        (s) => isSnapshotRole(s) && s.Action.some((action) => RDS_WRITE.test(action)),
      );

      // Assess
      expect(actions.filter((action) => RDS_WRITE.test(action))).toEqual([]);
      expect(snapshotWrites.length).toBeGreaterThan(0);
      expect(snapshotWrites.filter((s) => s.Condition === undefined).map((s) => s.Sid)).toEqual([]);
      expect(allowed.flatMap((s) => s.Action).filter((action) => /GetSecretValue/.test(action))).toEqual([]);
      expect(allowed.flatMap((s) => s.Action).filter((action) => action.includes('*'))).toEqual([]);
    });

    it(`grants only reviewed actions, never on Resource "*" but those without a resource type, for ${name}`, () => {
      // Act
      const statements = allStatements(policy);

      // Assess
      expect(statements.flatMap((s) => s.Action).filter((action) => !REVIEWED_ACTIONS.has(action))).toEqual(
        [],
      );
      expect(
        statements
          .filter((s) => s.Resource.includes('*'))
          .filter((s) => !s.Action.every((action) => RESOURCELESS_ACTIONS.has(action)))
          .map((s) => `${s.stack}/${s.resource}`),
      ).toEqual([]);
    });
  }

  it('gives the audit, readiness and member roles the RDS describe calls, readiness and member the snapshot listings, and nothing else from RDS', () => {
    // Act
    const rdsActions = allStatements(FULL_POLICY)
      .filter((s) => !isSnapshotRole(s))
      .flatMap((s) => s.Action)
      .filter((action) => action.startsWith('rds:'));

    // Assess: each describe call once in the audit, readiness and member roles; each snapshot
    // listing once in the readiness role and once in the member role (readiness reads through it).
    expect([...new Set(rdsActions)].sort()).toEqual(
      [...RDS_DESCRIBE_ACTIONS, ...RDS_SNAPSHOT_DESCRIBE_ACTIONS].sort(),
    );
    expect(rdsActions).toHaveLength(
      RDS_DESCRIBE_ACTIONS.length * 3 + RDS_SNAPSHOT_DESCRIBE_ACTIONS.length * 2,
    );
  });

  it('lets the audit, readiness, chat and member roles list automated backups in every Region, and nothing else beyond the audited Regions, only when pitr.cross-region reads replication destinations', () => {
    // Prepare
    const required = { ...CHAT_POLICY, pitr: { requireCrossRegionBackup: true } };
    const regionsOf = (policy: unknown, sid: string) =>
      allStatements(policy)
        .filter((s) => s.Sid === sid && !isSnapshotRole(s))
        .map((s) => JSON.stringify(s.Resource).match(/:rds:([^:]*):/g));

    // Act
    const backupsRequired = regionsOf(required, 'DescribeDbInstanceAutomatedBackups');
    const instancesRequired = regionsOf(required, 'DescribeDbInstances');
    const backupsDefault = regionsOf(CHAT_POLICY, 'DescribeDbInstanceAutomatedBackups');

    // Assess: audit, readiness, chat action and member role each hold the grant (the snapshot job
    // lists no automated backups of other Regions).
    expect(backupsRequired).toHaveLength(4);
    for (const regions of backupsRequired) expect(regions).toEqual([':rds:*:']);
    for (const regions of instancesRequired) expect(regions).not.toContain(':rds:*:');
    for (const regions of backupsDefault) expect(regions).not.toContain(':rds:*:');
  });

  it('reads secret values only with keys.inspectSecretValues, only in the roles that audit key material', () => {
    // Act
    const { stacks, templates } = synthesize(OWN_KEYS_POLICY);
    const statements = [
      ...iamStatements(stacks.audit, templates.audit),
      ...iamStatements(stacks.member, templates.member),
    ];
    const reading = statements.filter((s) => s.Action.some((action) => /GetSecretValue/.test(action)));
    const roleId = (name: string) =>
      Object.entries(templates.audit.findResources('AWS::IAM::Role')).find(
        ([, role]) => (role as { Properties: { RoleName?: string } }).Properties.RoleName === name,
      )?.[0];
    const readers = ['certctl-backup-guard-audit-keys', 'certctl-backup-guard-readiness'].map(roleId);

    // Assess: the audit-keys and readiness roles' policies only (readiness judges the keys gate
    // with the same checks); Resource "*" only where no resource type exists.
    expect(reading.length).toBe(4);
    expect(
      reading.map((statement) =>
        readers.findIndex((reader) =>
          JSON.stringify(templates.audit.toJSON().Resources[statement.resource]?.Properties.Roles).includes(
            `"${reader}"`,
          ),
        ),
      ),
    ).toEqual([0, 0, 1, 1]);
    expect(statements.filter((s) => s.Resource.includes('*')).flatMap((s) => s.Action)).toEqual([
      'secretsmanager:BatchGetSecretValue',
      'secretsmanager:BatchGetSecretValue',
    ]);
    expect(
      statements
        .flatMap((s) => s.Action)
        .filter((action) => !REVIEWED_ACTIONS.has(action))
        .sort(),
    ).toEqual([
      'secretsmanager:BatchGetSecretValue',
      'secretsmanager:BatchGetSecretValue',
      'secretsmanager:GetSecretValue',
      'secretsmanager:GetSecretValue',
    ]);
  });

  it('with ChatOps, lets only chat-slack read a secret, its own signing secret, and adds only the chat actions', () => {
    // Act
    const statements = allStatements(CHAT_POLICY).filter((s) => s.Effect === 'Allow');
    const secretReads = statements.filter((s) =>
      s.Action.some((action) => action.startsWith('secretsmanager:')),
    );
    const unreviewed = statements.flatMap((s) => s.Action).filter((action) => !REVIEWED_ACTIONS.has(action));

    // Assess
    expect(secretReads.map((s) => [s.resource, s.Action, s.Resource])).toEqual([
      [
        expect.stringMatching(/^ChatOpsSlackRoleDefaultPolicy/),
        ['secretsmanager:GetSecretValue'],
        [{ Ref: expect.stringMatching(/^ChatOpsSlackSigningSecret/) }],
      ],
    ]);
    // Publishing answers to the Amazon Q topic (SSE-KMS: the topic's key), and the secret read above.
    expect([...new Set(unreviewed)].sort()).toEqual(
      ['kms:Decrypt', 'kms:GenerateDataKey*', 'secretsmanager:GetSecretValue', 'sns:Publish'].filter(
        (action) => !REVIEWED_ACTIONS.has(action),
      ),
    );
    // The only RDS writes are the snapshot job's tag-scoped creates, which chat-action holds too.
    const writers = statements.filter((s) => s.Action.some((action) => RDS_WRITE.test(action)));
    expect(
      [...new Set(writers.flatMap((s) => s.Action).filter((action) => RDS_WRITE.test(action)))].sort(),
    ).toEqual(expect.arrayContaining(['rds:AddTagsToResource', 'rds:CreateDBSnapshot']));
    expect(
      writers
        .filter((s) => s.resource.startsWith('ChatOps'))
        .flatMap((s) => s.Action)
        .filter((action) => action.startsWith('rds:Delete')),
    ).toEqual([]);
  });
});

describe("docs/deploy.md's list of what no role can do", () => {
  it('names every exception the grants above make, and no delete the snapshot role lacks', () => {
    // Prepare: the bullets after "No role can:", up to the sentence that cites this file.
    const deploy = readFileSync('docs/deploy.md', 'utf8');
    const section = (
      /^No role can:\n([\s\S]*?)^The tests in `test\/infra\/iam.test.ts`/m.exec(deploy)?.[1] ?? ''
    ).replace(/\s+/g, ' ');

    // Assess: the snapshot role creates and tags at creation, never deletes (the last test above);
    // secret values are read by the key-material roles the tests above name (audit-keys, readiness,
    // chat-action through readiness's reads, member roles) and chat-slack reads its signing secret;
    // Resource "*" is granted for the actions without a resource type.
    expect(section).not.toBe('');
    expect(section).not.toMatch(/creates and deletes/);
    for (const role of ['audit-keys', 'readiness', 'chat-action', 'member', 'chat-slack']) {
      expect(section).toContain(`\`${role}\``);
    }
    for (const action of [...RESOURCELESS_ACTIONS, 'secretsmanager:BatchGetSecretValue']) {
      expect(section).toContain(`\`${action}\``);
    }
  });
});

/**
 * The "May do" cell of the row whose first cell starts with `role` in one of docs/deploy.md's role
 * tables: "What each role may do, and why" (`| Role | Lives in | Trusted by | May do | Why |`) or
 * the ChatOps functions' (`| Function | What it does | May do |`), told apart by their columns.
 */
function mayDo(deploy: string, role: string, table: 'roles' | 'chat'): string {
  const columns = table === 'roles' ? 5 : 3;
  const rows = deploy
    .split('\n')
    .filter((line) => line.startsWith(`| ${role}`))
    .map((line) => line.split('|').slice(1, -1))
    .filter((cells) => cells.length === columns);
  if (rows.length !== 1) throw new Error(`docs/deploy.md has ${rows.length} ${table} table rows for ${role}`);
  return rows[0]?.[table === 'roles' ? 3 : 2] ?? '';
}

/** Granted by the Lambda service for every function: its own log group, its dead-letter queue. */
const LAMBDA_SERVICE_ACTIONS = /^(logs|sqs):/;

describe("docs/deploy.md's tables of what each role may do", () => {
  it('name every action the synthesized policies grant each role', () => {
    // Prepare: every grant a role can hold: everything in this account (every region, cross-region
    // backups, dumps and inspected secrets, Security Hub and its ledger, ChatOps), and everything in
    // a member account (the member role's reads, the assumed roles, the federation role).
    const own = synthesize({
      ...OWN_DUMPS_POLICY,
      aws: { regions: 'all' },
      keys: OWN_KEYS_POLICY.keys,
      schedules: { ...OWN_DUMPS_POLICY.schedules, ...OWN_KEYS_POLICY.schedules },
      chatops: CHAT_POLICY.chatops,
      pitr: { requireCrossRegionBackup: true },
    });
    const member = synthesize({
      ...MEMBER_DUMPS_POLICY,
      keys: { ...MEMBER_KEYS_POLICY.keys, inspectSecretValues: true },
      chatops: CHAT_POLICY.chatops,
    });
    const memberStatements = iamStatements(member.stacks.member, member.templates.member);
    const federation =
      member.stacks.federation && member.templates.federation
        ? iamStatements(member.stacks.federation, member.templates.federation)
        : [];
    const ofJob = (job: string) => [
      ...roleStatements(own, jobRoleName(job)),
      ...roleStatements(member, jobRoleName(job)),
    ];
    const roles: [string, 'roles' | 'chat', readonly IamStatement[]][] = [
      [`\`${jobRoleName(AUDIT_PITR_SERVICE)}\``, 'roles', ofJob(AUDIT_PITR_SERVICE)],
      [`\`${jobRoleName(AUDIT_DUMPS_SERVICE)}\``, 'roles', ofJob(AUDIT_DUMPS_SERVICE)],
      [`\`${jobRoleName(AUDIT_KEYS_SERVICE)}\``, 'roles', ofJob(AUDIT_KEYS_SERVICE)],
      ['Member role', 'roles', memberStatements],
      ['GCP federation role', 'roles', federation],
      [`\`${CHAT_JOBS.slack}\``, 'chat', ofJob(CHAT_JOBS.slack)],
      [`\`${AMAZON_Q_FUNCTION_NAME}\``, 'chat', ofJob(CHAT_JOBS.amazonQ)],
      [`\`${CHAT_JOBS.action}\``, 'chat', ofJob(CHAT_JOBS.action)],
      [`\`${CHAT_JOBS.unfinished}\``, 'chat', ofJob(CHAT_JOBS.unfinished)],
    ];
    const deploy = readFileSync('docs/deploy.md', 'utf8');

    // Act: each granted action's operation (`DescribeGlobalClusters`, `GenerateDataKey` for
    // `kms:GenerateDataKey*`) must be named in the role's cell.
    const unnamed = roles.flatMap(([role, table, statements]) => {
      const cell = mayDo(deploy, role, table);
      const actions = new Set(
        statements
          .filter((s) => s.Effect === 'Allow')
          .flatMap((s) => s.Action)
          .filter((action) => !LAMBDA_SERVICE_ACTIONS.test(action)),
      );
      return [...actions]
        .filter((action) => {
          const operation = (action.split(':')[1] ?? '').replace(/\*$/, '');
          return !new RegExp(`\\b${operation}\\b`).test(cell);
        })
        .map((action) => `${role}: ${action}`);
    });

    // Assess
    expect(roles.filter(([, , statements]) => statements.length === 0)).toEqual([]);
    expect(unnamed).toEqual([]);
  });
});
