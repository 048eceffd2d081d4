/**
 * The API calls added lately, each proved on the synthesized policies with the IAM evaluator
 * (test/infra/iam-evaluator.ts): allowed for every role that makes it, denied for the others.
 * - the publisher's per-account ListObjectsV2 of the import-ledger bucket under
 *   `import-ledger/v1/<account>/` (functions/aws/ledger-store.ts `regionsOf`), made by every
 *   publishing audit job; the chat action lists the ledgers for `status`;
 * - `securityhub:GetFindings` with an `UpdatedAt` filter: a filter is a request parameter, not a
 *   resource or a condition key (Service Authorization Reference, AWS Security Hub: GetFindings
 *   takes resource type `hub` and no condition key), so the existing grant covers it;
 * - `rds:DescribeDBInstanceAutomatedBackups` in a replication's destination Region outside the
 *   audited ones (pitr.cross-region), by the roles that run the PITR checks: audit-pitr, readiness,
 *   the chat action (readiness) and the member role;
 * - `rds:DescribeDBClusters` of an Aurora copy cluster (a cross-Region read replica, a secondary's
 *   primary) by its ARN in its own Region outside the audited ones (pitr.cross-region), by the same
 *   roles;
 * - `rds:DescribeDBInstances` / `rds:DescribeDBClusters` filtered on a named database's identifier
 *   (functions/aws/rds.ts lookUpRdsNames), by the roles that run the PITR audit: the listings'
 *   grants cover it;
 * - `kms:DescribeKey` on the key of a database snapshot (functions/actions/snapshot/keys.ts), by
 *   every role that judges a snapshot restorable: readiness (its own account's, when the policy
 *   lists no member account), the snapshot job, the chat action and the member role.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_PREFIX } from '../../functions/aws/ledger-location.ts';
import {
  AUDIT_DUMPS_SERVICE,
  AUDIT_KEYS_SERVICE,
  AUDIT_PITR_SERVICE,
  READINESS_SERVICE,
} from '../../infra/audit-stack.ts';
import { CHAT_JOBS } from '../../infra/chat-ops.ts';
import { jobRoleName } from '../../infra/scheduled-job.ts';
import { SNAPSHOT_SERVICE } from '../../infra/snapshot-jobs.ts';
import { type AccessRequest, type Environment, isAllowed } from './iam-evaluator.ts';
import {
  CHAT_POLICY,
  type IamStatement,
  iamStatements,
  MEMBER_KEYS_POLICY,
  OWN_DUMPS_POLICY,
  OWN_KEYS_POLICY,
  roleStatements,
  type Synthesized,
  synthesize,
} from './support.ts';

const ENV: Environment = { partition: 'aws', account: '111111111111' };
/** A central key account (`keys.kmsKeyAccounts`). */
const KEY_ACCOUNT = '999999999999';
/** Every audit job, the readiness function, the snapshot job and the chat action, with dumps and keys in a member account. */
const POLICY = { ...CHAT_POLICY, keys: MEMBER_KEYS_POLICY.keys };
const ROLES = {
  auditPitr: jobRoleName(AUDIT_PITR_SERVICE),
  auditDumps: jobRoleName(AUDIT_DUMPS_SERVICE),
  auditKeys: jobRoleName(AUDIT_KEYS_SERVICE),
  readiness: jobRoleName(READINESS_SERVICE),
  snapshot: jobRoleName(SNAPSHOT_SERVICE),
  chatAction: jobRoleName(CHAT_JOBS.action),
} as const;
type RoleKey = keyof typeof ROLES;

let synthesized: Synthesized;
let crossRegion: Synthesized;
let ownHeld: Synthesized;
let ownChat: Synthesized;
let centralKeys: Synthesized;
const statementsOf = (which: Synthesized, role: RoleKey | 'member'): IamStatement[] =>
  role === 'member'
    ? iamStatements(which.stacks.member, which.templates.member)
    : roleStatements(which, ROLES[role]);

beforeAll(() => {
  synthesized = synthesize(POLICY);
  crossRegion = synthesize({ ...POLICY, pitr: { requireCrossRegionBackup: true } });
  ownHeld = synthesize({
    ...OWN_DUMPS_POLICY,
    keys: OWN_KEYS_POLICY.keys,
    schedules: { ...OWN_DUMPS_POLICY.schedules, ...OWN_KEYS_POLICY.schedules },
  });
  // No member account: readiness and chat judge this account's databases with their own roles
  // (no key inventory, so no keys-audit grant stands in for the snapshot keys' one); the databases'
  // keys may also be a central key account's (keys.kmsKeyAccounts).
  const own = { aws: { regions: ['eu-west-1'] }, chatops: CHAT_POLICY.chatops };
  ownChat = synthesize(own);
  centralKeys = synthesize({
    ...own,
    keys: { ...OWN_KEYS_POLICY.keys, kmsKeyAccounts: [KEY_ACCOUNT] },
    schedules: OWN_KEYS_POLICY.schedules,
  });
}, 240_000);

/** The roles of `which` that `request` is allowed for. */
function allowedRoles(which: Synthesized, request: AccessRequest, roles: readonly (RoleKey | 'member')[]) {
  return roles.filter((role) => {
    const statements = statementsOf(which, role);
    expect(statements.length).toBeGreaterThan(0);
    return isAllowed(statements, request, ENV);
  });
}

const AUDIT_ROLES = Object.keys(ROLES) as RoleKey[];

describe('IAM for the calls added lately', () => {
  it('lets each publishing audit job (and the chat status) list the import ledgers of one account, never the rest of the bucket', () => {
    // Prepare
    const [bucketId] = Object.keys(synthesized.templates.audit.findResources('AWS::S3::Bucket')).filter(
      (id) => id.startsWith('ImportLedger'),
    );
    const list = (prefix?: string): AccessRequest => ({
      action: 's3:ListBucket',
      resource: `<${bucketId}.Arn>`,
      ...(prefix === undefined ? {} : { context: { 's3:prefix': prefix } }),
    });

    // Act
    const keepAlive = allowedRoles(synthesized, list(`${LEDGER_PREFIX}222222222222/`), AUDIT_ROLES);
    const wholeBucket = allowedRoles(synthesized, list(''), AUDIT_ROLES);
    const noPrefix = allowedRoles(synthesized, list(), AUDIT_ROLES);
    const elsewhere = allowedRoles(synthesized, list('other/222222222222/'), AUDIT_ROLES);

    // Assess
    expect(bucketId).toBeDefined();
    expect(keepAlive).toEqual(['auditPitr', 'auditDumps', 'auditKeys', 'chatAction']);
    expect([wholeBucket, noPrefix, elsewhere]).toEqual([[], [], []]);
  });

  it('lets only the publishing audit jobs read Security Hub findings (GetFindings; an UpdatedAt filter needs nothing more), where each publishes', () => {
    // Prepare
    const hub = (region: string): AccessRequest => ({
      action: 'securityhub:GetFindings',
      resource: `arn:aws:securityhub:${region}:${ENV.account}:hub/default`,
    });
    const ownRoles = ['auditPitr', 'auditDumps', 'auditKeys', 'readiness', 'snapshot'] as const;

    // Act: dumps and secrets in a member account publish there, through the member role; in this
    // account (us-east-2, outside the audited eu-west-1), through the job's own role.
    const audited = allowedRoles(synthesized, hub('eu-west-1'), [...AUDIT_ROLES, 'member']);
    const other = allowedRoles(synthesized, hub('ap-south-1'), [...AUDIT_ROLES, 'member']);
    const ownPlaces = allowedRoles(ownHeld, hub('us-east-2'), ownRoles);

    // Assess
    expect(audited).toEqual(['auditPitr', 'member']);
    expect(other).toEqual([]);
    expect(ownPlaces).toEqual(['auditDumps', 'auditKeys']);
  });

  it('lets the roles that run pitr.cross-region list automated backups in a destination Region outside the audited ones, only when the policy requires cross-Region backups', () => {
    // Prepare: the destination a source's DBInstanceAutomatedBackupsReplications names.
    const destination: AccessRequest = {
      action: 'rds:DescribeDBInstanceAutomatedBackups',
      resource: `arn:aws:rds:ap-south-1:${ENV.account}:auto-backup:*`,
    };
    const roles = [...AUDIT_ROLES, 'member'] as const;

    // Act
    const required = allowedRoles(crossRegion, destination, roles);
    const notRequired = allowedRoles(synthesized, destination, roles);

    // Assess
    expect(required).toEqual(['auditPitr', 'readiness', 'chatAction', 'member']);
    expect(notRequired).toEqual([]);
  });

  it('lets the roles that run pitr.cross-region describe an Aurora copy cluster by its ARN in a Region outside the audited ones, only when the policy requires cross-Region backups', () => {
    // Prepare: a read replica cluster (or a secondary's primary) the source's answer names by ARN,
    // asked in its own Region (functions/aws/rds.ts readCopyClusters).
    const copy: AccessRequest = {
      action: 'rds:DescribeDBClusters',
      resource: `arn:aws:rds:ap-south-1:${ENV.account}:cluster:certctl-aurora-copy`,
    };
    const roles = [...AUDIT_ROLES, 'member'] as const;

    // Act
    const required = allowedRoles(crossRegion, copy, roles);
    const notRequired = allowedRoles(synthesized, copy, roles);

    // Assess
    expect(required).toEqual(['auditPitr', 'readiness', 'chatAction', 'member']);
    expect(notRequired).toEqual([]);
  });

  it('lets the roles that run the PITR audit look a named database up by identifier filter, in the audited regions only', () => {
    // Prepare: DescribeDBInstances / DescribeDBClusters filtered on db-instance-id / db-cluster-id
    // (functions/aws/rds.ts lookUpRdsNames). A filter is a request parameter, not a resource or a
    // condition key: the request is the list call's (`db:*`, `cluster:*`), or at most the named
    // database's own ARN, which that grant also covers.
    const lookUps = (region: string): AccessRequest[] => [
      { action: 'rds:DescribeDBInstances', resource: `arn:aws:rds:${region}:${ENV.account}:db:*` },
      { action: 'rds:DescribeDBInstances', resource: `arn:aws:rds:${region}:${ENV.account}:db:legacy-mysql` },
      { action: 'rds:DescribeDBClusters', resource: `arn:aws:rds:${region}:${ENV.account}:cluster:*` },
      { action: 'rds:DescribeDBClusters', resource: `arn:aws:rds:${region}:${ENV.account}:cluster:orders` },
    ];
    const roles = [...AUDIT_ROLES, 'member'] as const;
    const everyOne = (region: string) => (role: RoleKey | 'member') =>
      lookUps(region).every((request) => allowedRoles(synthesized, request, [role]).length === 1);

    // Act
    const audited = roles.filter(everyOne('eu-west-1'));
    const elsewhere = roles.filter(everyOne('ap-south-1'));

    // Assess
    expect(audited).toEqual(expect.arrayContaining(['auditPitr', 'readiness', 'chatAction', 'member']));
    expect(elsewhere).toEqual([]);
  });

  it('lets every role that judges a snapshot restorable describe the KMS key of a snapshot of its account, in the audited regions only', () => {
    // Prepare: the key a snapshot's KmsKeyId names, in its database's account and region.
    const key = (region: string, account = ENV.account): AccessRequest => ({
      action: 'kms:DescribeKey',
      resource: `arn:aws:kms:${region}:${account}:key/aaaaaaaa-0000-4000-8000-000000000001`,
    });
    const judges = ['readiness', 'snapshot', 'chatAction', 'auditPitr'] as const;

    // Act: with member accounts listed, readiness reads their snapshots' keys through the member
    // role; with none, through its own role, also a central key account's key.
    const withMembers = allowedRoles(synthesized, key('eu-west-1'), [...judges, 'member']);
    const elsewhere = allowedRoles(synthesized, key('ap-south-1'), [...judges, 'member']);
    const own = allowedRoles(ownChat, key('eu-west-1'), judges);
    const central = allowedRoles(centralKeys, key('eu-west-1', KEY_ACCOUNT), judges);
    const unlisted = allowedRoles(centralKeys, key('eu-west-1', '888888888888'), judges);

    // Assess
    expect(withMembers).toEqual(['snapshot', 'chatAction', 'member']);
    expect(elsewhere).toEqual([]);
    expect(own).toEqual(['readiness', 'snapshot', 'chatAction']);
    expect(central).toEqual(['readiness', 'snapshot', 'chatAction']);
    expect(unlisted).toEqual([]);
  });
});
