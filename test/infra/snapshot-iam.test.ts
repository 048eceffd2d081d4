/**
 * The snapshot role's tag conditions, proved on the synthesized policy: each API call the snapshot
 * job makes is evaluated against the role's statements (test/infra/iam-evaluator.ts) with the
 * resources and condition keys RDS presents for it, using the product's own snapshot names and
 * tags (functions/actions/snapshot/model.ts), so the policy and the code cannot drift apart.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  SNAPSHOT_PURPOSE,
  type SnapshotTarget,
  snapshotIdentifier,
  snapshotTags,
} from '../../functions/actions/snapshot/model.ts';
import { type AccessRequest, allAllowed, type Environment, isAllowed } from './iam-evaluator.ts';
import { FULL_POLICY, type IamStatement, iamStatements, synthesize } from './support.ts';

const ENV: Environment = { partition: 'aws', account: '123456789012' };
const REGION = 'eu-west-1';
const TARGET_TAG = { 'certctl:backup-guard': 'enabled' };
const REQUEST = { requestId: 'CHG-1', reason: 'CA rotation', ticket: 'CHG-1', requestedBy: 'alice' };

let snapshotRole: IamStatement[];
let otherRoles: IamStatement[];

beforeAll(() => {
  const { stacks, templates } = synthesize(FULL_POLICY);
  const statements = [
    ...iamStatements(stacks.audit, templates.audit),
    ...iamStatements(stacks.member, templates.member),
  ];
  snapshotRole = statements.filter((statement) => statement.resource.startsWith('SnapshotsJobRole'));
  otherRoles = statements.filter((statement) => !statement.resource.startsWith('SnapshotsJobRole'));
}, 120_000);

const arn = (region: string, resource: string) => `arn:aws:rds:${region}:${ENV.account}:${resource}`;

/** The condition keys a request carrying these tags presents. */
function requestTagContext(tags: Readonly<Record<string, string>>): Record<string, string | string[]> {
  return {
    ...Object.fromEntries(Object.entries(tags).map(([key, value]) => [`aws:RequestTag/${key}`, value])),
    'aws:TagKeys': Object.keys(tags),
  };
}

interface CreateCall {
  readonly kind?: 'instance' | 'cluster';
  readonly region?: string;
  readonly source?: string;
  readonly sourceTags?: Readonly<Record<string, string>>;
  readonly snapshot?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * CreateDBSnapshot / CreateDBClusterSnapshot as IAM sees it: the action on the source database and
 * on the new snapshot, and (the call carries tags) AddTagsToResource on the new snapshot, which has
 * no tags of its own yet.
 */
function createCall(call: CreateCall = {}): AccessRequest[] {
  const kind = call.kind ?? 'instance';
  const region = call.region ?? REGION;
  const source = call.source ?? 'certctl-prod-db';
  const target: SnapshotTarget = {
    provider: 'aws',
    kind: kind === 'cluster' ? 'aurora-cluster' : 'rds-instance',
    account: ENV.account,
    region,
    id: source,
  };
  const snapshot = call.snapshot ?? snapshotIdentifier(target, REQUEST.requestId);
  const tags = call.tags ?? snapshotTags(REQUEST, new Date('2030-01-01T00:00:00Z'));
  const context = requestTagContext(tags);
  const sourceTagKey = kind === 'cluster' ? 'rds:cluster-tag' : 'rds:db-tag';
  const sourceContext = Object.fromEntries(
    Object.entries(call.sourceTags ?? TARGET_TAG).map(([key, value]) => [`${sourceTagKey}/${key}`, value]),
  );
  const action = kind === 'cluster' ? 'rds:CreateDBClusterSnapshot' : 'rds:CreateDBSnapshot';
  const snapshotArn = arn(region, `${kind === 'cluster' ? 'cluster-snapshot' : 'snapshot'}:${snapshot}`);
  return [
    {
      action,
      resource: arn(region, `${kind === 'cluster' ? 'cluster' : 'db'}:${source}`),
      context: { ...context, ...sourceContext },
    },
    { action, resource: snapshotArn, context },
    { action: 'rds:AddTagsToResource', resource: snapshotArn, context },
  ];
}

function deleteCall(kind: 'instance' | 'cluster', snapshot: string, tags: Readonly<Record<string, string>>) {
  const key = kind === 'cluster' ? 'rds:cluster-snapshot-tag' : 'rds:snapshot-tag';
  return {
    action: kind === 'cluster' ? 'rds:DeleteDBClusterSnapshot' : 'rds:DeleteDBSnapshot',
    resource: arn(REGION, `${kind === 'cluster' ? 'cluster-snapshot' : 'snapshot'}:${snapshot}`),
    context: Object.fromEntries(Object.entries(tags).map(([tag, value]) => [`${key}/${tag}`, value])),
  };
}

describe('snapshot role: create only of databases tagged for this tool', () => {
  it.each(['instance', 'cluster'] as const)(
    'allows the %s snapshot the job takes of a database carrying the target tag',
    (kind) => {
      expect(allAllowed(snapshotRole, createCall({ kind }), ENV)).toBe(true);
    },
  );

  it.each([
    ['the database carries no tag', { sourceTags: {} }],
    ['the target tag has another value', { sourceTags: { 'certctl:backup-guard': 'disabled' } }],
    ['the cluster carries no tag', { kind: 'cluster' as const, sourceTags: {} }],
    ['the region is not one the policy names', { region: 'ap-south-1' }],
  ])('refuses a create when %s', (_case, call) => {
    expect(allAllowed(snapshotRole, createCall(call), ENV)).toBe(false);
  });

  it('gives no other role any create', () => {
    expect(createCall().some((request) => isAllowed(otherRoles, request, ENV))).toBe(false);
  });
});

describe('snapshot role: tag only at creation, only our snapshots, only our tags', () => {
  const ours = snapshotTags(REQUEST, new Date('2030-01-01T00:00:00Z'));

  it.each([
    ['a snapshot name outside certctl-premaint-*', { snapshot: 'manual-before-upgrade' }],
    ['no purpose tag', { tags: { reason: 'CA rotation' } }],
    ['another purpose', { tags: { ...ours, purpose: 'something-else' } }],
    ['a tag key of its own', { tags: { ...ours, owner: 'mallory' } }],
  ])('refuses a create with %s', (_case, call) => {
    expect(allAllowed(snapshotRole, createCall(call), ENV)).toBe(false);
  });

  it('refuses to tag a snapshot of ours after its creation, even with our own tags', () => {
    // Prepare: an existing snapshot of ours carries the purpose tag.
    const request: AccessRequest = {
      action: 'rds:AddTagsToResource',
      resource: arn(REGION, 'snapshot:certctl-premaint-certctl-prod-db-0123456789'),
      context: { ...requestTagContext(ours), 'rds:snapshot-tag/purpose': SNAPSHOT_PURPOSE },
    };

    // Act / Assess
    expect(isAllowed(snapshotRole, request, ENV)).toBe(false);
  });

  it('refuses to tag a cluster snapshot of ours after its creation, even with our own tags', () => {
    // Prepare: an existing cluster snapshot of ours carries the purpose tag.
    const request: AccessRequest = {
      action: 'rds:AddTagsToResource',
      resource: arn(REGION, 'cluster-snapshot:certctl-premaint-certctl-aurora-0123456789'),
      context: { ...requestTagContext(ours), 'rds:cluster-snapshot-tag/purpose': SNAPSHOT_PURPOSE },
    };

    // Act / Assess
    expect(isAllowed(snapshotRole, request, ENV)).toBe(false);
  });

  it('refuses to tag a database or remove any tag', () => {
    const requests: AccessRequest[] = [
      {
        action: 'rds:AddTagsToResource',
        resource: arn(REGION, 'db:certctl-prod-db'),
        context: requestTagContext(ours),
      },
      {
        action: 'rds:RemoveTagsFromResource',
        resource: arn(REGION, 'snapshot:certctl-premaint-certctl-prod-db-0123456789'),
        context: { 'aws:TagKeys': ['expires-at'] },
      },
    ];
    expect(requests.map((request) => isAllowed(snapshotRole, request, ENV))).toEqual([false, false]);
  });
});

describe('snapshot role: no delete (pruning is the CLI, with the operator credentials)', () => {
  it.each([
    ['a snapshot carrying our purpose tag', 'instance', { purpose: SNAPSHOT_PURPOSE }],
    ['a cluster snapshot carrying our purpose tag', 'cluster', { purpose: SNAPSHOT_PURPOSE }],
    ['an untagged snapshot', 'instance', {}],
  ] as const)('refuses deleting %s, to the snapshot role and every other', (_case, kind, tags) => {
    const request = deleteCall(kind, 'certctl-premaint-x-1', tags);
    expect([isAllowed(snapshotRole, request, ENV), isAllowed(otherRoles, request, ENV)]).toEqual([
      false,
      false,
    ]);
  });
});

describe('no role reads or changes who a snapshot is shared with (prune reads it with the operator credentials)', () => {
  it.each([
    ['rds:DescribeDBSnapshotAttributes', 'snapshot'],
    ['rds:DescribeDBClusterSnapshotAttributes', 'cluster-snapshot'],
    ['rds:ModifyDBSnapshotAttribute', 'snapshot'],
    ['rds:ModifyDBClusterSnapshotAttribute', 'cluster-snapshot'],
  ] as const)('refuses %s on a snapshot of ours to the snapshot role and every other', (action, type) => {
    const request: AccessRequest = {
      action,
      resource: arn(REGION, `${type}:certctl-premaint-certctl-prod-db-0123456789`),
      context: { [`rds:${type}-tag/purpose`]: SNAPSHOT_PURPOSE },
    };
    expect([isAllowed(snapshotRole, request, ENV), isAllowed(otherRoles, request, ENV)]).toEqual([
      false,
      false,
    ]);
  });
});

describe('snapshot role with several target tags', () => {
  it('allows a create from a database carrying any one of them, as the policy selects targets', () => {
    // Prepare
    const { stacks, templates } = synthesize({
      aws: { regions: [REGION] },
      targets: {
        tags: [
          { key: 'certctl:backup-guard', value: 'enabled' },
          { key: 'team', value: 'pki' },
        ],
      },
    });
    const role = iamStatements(stacks.audit, templates.audit).filter((s) =>
      s.resource.startsWith('SnapshotsJobRole'),
    );

    // Act
    const byTeam = allAllowed(role, createCall({ sourceTags: { team: 'pki' } }), ENV);
    const byNeither = allAllowed(role, createCall({ sourceTags: { team: 'web' } }), ENV);

    // Assess
    expect([byTeam, byNeither]).toEqual([true, false]);
  });
});
