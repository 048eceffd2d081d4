import { describe, expect, it } from 'vitest';
import { namesToLookUp, type ScopeOutcome, withTargetCoverage } from '../../functions/core/audit.ts';
import type { Finding } from '../../functions/core/finding.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import {
  isTarget,
  locateIdentifier,
  namesOf,
  targetsJudgedElsewhere,
  unmatchedTargets,
} from '../../functions/core/targets.ts';

const ARN = 'arn:aws:rds:eu-west-1:111122223333:db:certctl-db';

function targets(input: Record<string, unknown> = {}) {
  return parsePolicy({ targets: input }).targets;
}

describe('targets.identifiers', () => {
  it('refuses an identifier holding a character nobody reading it would see, or a blank, naming its place', () => {
    // Prepare: a name pasted with a zero-width space, or a trailing blank, matches no database,
    // and the report's "not found: certctl-db" then reads as if certctl-db were missing.
    const problems = (identifiers: string[]) => {
      try {
        parsePolicy({ targets: { identifiers } });
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };

    // Act
    const messages = [
      problems(['certctl-db', 'certctl-ra-db\u200b']),
      problems(['certctl-db ']),
      problems(['certctl\u0000db']),
    ];

    // Assess
    expect(messages[0]).toContain(
      'targets.identifiers.1: holds a character nobody reading it would see (U+200B); type the identifier again without it',
    );
    expect(messages[1]).toContain(
      'targets.identifiers.0: holds a blank; a DB or cluster identifier, Cloud SQL instance name or ARN has none',
    );
    expect(messages[2]).toContain(
      'targets.identifiers.0: holds a character nobody reading it would see (U+0000)',
    );
    expect(problems(['certctl-db', ARN, 'certctl-prod:europe-west1:certctl-db'])).toBe('');
  });
});

describe('isTarget', () => {
  it('selects a resource carrying the default tag when the policy sets no targets', () => {
    const candidate = { identifiers: ['certctl-db', ARN], tags: { 'certctl:backup-guard': 'enabled' } };
    expect(isTarget(candidate, targets())).toBe(true);
  });

  it('skips a resource whose tag value differs when only tags select', () => {
    const candidate = { identifiers: ['certctl-db'], tags: { 'certctl:backup-guard': 'disabled' } };
    expect(isTarget(candidate, targets())).toBe(false);
  });

  it('skips a resource whose tag key differs only in case when only tags select', () => {
    const candidate = { identifiers: ['certctl-db'], tags: { 'Certctl:Backup-Guard': 'enabled' } };
    expect(isTarget(candidate, targets())).toBe(false);
  });

  it('selects a resource when any one of several tags matches', () => {
    const selection = targets({
      tags: [
        { key: 'app', value: 'certctl' },
        { key: 'tier', value: 'pki' },
      ],
    });
    expect(isTarget({ identifiers: ['db'], tags: { tier: 'pki' } }, selection)).toBe(true);
    expect(isTarget({ identifiers: ['db'], tags: { tier: 'web' } }, selection)).toBe(false);
  });

  it('selects a resource named by identifier when the policy lists it', () => {
    expect(
      isTarget({ identifiers: ['certctl-db', ARN], tags: {} }, targets({ identifiers: ['certctl-db'] })),
    ).toBe(true);
  });

  it('selects a resource named by ARN when the policy lists the ARN', () => {
    expect(isTarget({ identifiers: ['certctl-db', ARN], tags: {} }, targets({ identifiers: [ARN] }))).toBe(
      true,
    );
  });

  it('selects a resource whose identifier differs only in case, as RDS identifiers do', () => {
    expect(
      isTarget({ identifiers: ['certctl-db'], tags: {} }, targets({ identifiers: ['CertCtl-DB'] })),
    ).toBe(true);
  });

  it('skips a resource neither named nor tagged when identifiers are listed', () => {
    expect(isTarget({ identifiers: ['other-db'], tags: {} }, targets({ identifiers: ['certctl-db'] }))).toBe(
      false,
    );
  });

  it('selects every resource when the policy sets all', () => {
    expect(isTarget({ identifiers: ['anything'], tags: {} }, targets({ all: true, tags: [] }))).toBe(true);
  });

  it('selects nothing when tags and identifiers are empty and all is off', () => {
    expect(
      isTarget({ identifiers: ['db'], tags: { 'certctl:backup-guard': 'enabled' } }, targets({ tags: [] })),
    ).toBe(false);
  });
});

describe('unmatchedTargets', () => {
  const db = (id: string, region = 'eu-west-1') => ({
    provider: 'aws' as const,
    account: '111111111111',
    region,
    type: 'AwsRdsDbInstance' as const,
    id,
    arn: `arn:aws:rds:${region}:111111111111:db:${id}`,
  });
  const scope = (region: string, complete = true) => ({
    provider: 'aws' as const,
    account: '111111111111',
    region,
    complete,
  });
  const awsRun = { providers: ['aws'] as const, narrowed: false };

  it('flags a plain name only when the run could have found it anywhere', () => {
    // Prepare
    const awsOnly = parsePolicy({ targets: { identifiers: ['certctl-prod-dbb'] } });
    const withGcp = parsePolicy({
      targets: { identifiers: ['certctl-prod-dbb'] },
      gcp: { projects: ['certctl-prod'] },
    });
    const judged = [db('certctl-prod-db')];

    // Act / Assess
    expect(unmatchedTargets(awsOnly, judged, [scope('eu-west-1')], awsRun)).toEqual(['certctl-prod-dbb']);
    // The Lambda audits AWS only: a Cloud SQL name in a shared policy is not its to find.
    expect(unmatchedTargets(withGcp, judged, [scope('eu-west-1')], awsRun)).toEqual([]);
    // A narrowed run (--region) or a failed scope may simply not have read it.
    expect(unmatchedTargets(awsOnly, judged, [scope('eu-west-1')], { ...awsRun, narrowed: true })).toEqual(
      [],
    );
    expect(
      unmatchedTargets(awsOnly, judged, [scope('eu-west-1'), scope('us-east-1', false)], awsRun),
    ).toEqual([]);
  });

  it('flags an ARN in a scope that was read, never one in a failed scope or of another provider', () => {
    // Prepare
    const arnWest = 'arn:aws:rds:eu-west-1:111111111111:db:gone';
    const arnEast = 'arn:aws:rds:us-east-1:111111111111:db:elsewhere';
    const arnSouth = 'arn:aws:rds:ap-south-1:111111111111:db:unaudited';
    const connection = 'certctl-prod:europe-west1:certctl-gcp-db';
    const policy = parsePolicy({ targets: { identifiers: [arnWest, arnEast, arnSouth, connection] } });
    const scopes = [scope('eu-west-1'), scope('us-east-1', false)];

    // Act
    const full = unmatchedTargets(policy, [], scopes, awsRun);
    const narrowed = unmatchedTargets(policy, [], scopes, { ...awsRun, narrowed: true });

    // Assess: ap-south-1 is not audited at all, which a full run must say; a narrowed one need not.
    expect(full).toEqual([arnWest, arnSouth]);
    expect(narrowed).toEqual([arnWest]);
  });

  it('finds the scope of an ARN by provider, account and region, a whole-account scope or a region-less selfLink', () => {
    const arn = 'arn:aws:rds:eu-west-1:111111111111:db:gone';
    const selfLink = 'https://sqladmin.googleapis.com/v1/projects/certctl-prod/instances/gone';
    const policy = parsePolicy({
      targets: { identifiers: [arn, selfLink] },
      gcp: { projects: ['certctl-prod'] },
    });
    const bothRun = { providers: ['aws', 'gcp'] as const, narrowed: false };
    const failed = (provider: 'aws' | 'gcp', account: string, region: string) => ({
      provider,
      account,
      region,
      complete: false,
    });
    // A failed scope of the same provider, account and region hides the ARN: it may be there.
    expect(unmatchedTargets(policy, [], [failed('aws', '111111111111', 'eu-west-1')], bothRun)).toEqual([
      selfLink,
    ]);
    expect(unmatchedTargets(policy, [], [failed('aws', '111111111111', '*')], bothRun)).toEqual([selfLink]);
    // Another account, region or provider is not its scope: a full run says it is missing.
    for (const other of [
      failed('aws', '222222222222', 'eu-west-1'),
      failed('aws', '111111111111', 'us-east-1'),
      failed('gcp', '111111111111', 'eu-west-1'),
    ]) {
      expect(unmatchedTargets(policy, [], [other], bothRun)).toContain(arn);
    }
    // A selfLink names no region: any failed scope of its project hides it.
    expect(unmatchedTargets(policy, [], [failed('gcp', 'certctl-prod', 'europe-west1')], bothRun)).toEqual([
      arn,
    ]);
  });

  it('does not flag a plain name in a run of a provider the policy does not configure alone', () => {
    const awsOnly = parsePolicy({ targets: { identifiers: ['certctl-prod-dbb'] } });
    expect(unmatchedTargets(awsOnly, [], [], { providers: ['gcp'], narrowed: false })).toEqual([]);
  });

  it('flags a plain name missing from a GCP run of a policy that configures no AWS, also after the policy round-trips as deployed', () => {
    // Prepare: a GCP-only policy (gcp.projects, no aws section), as examples/gcp.yaml; the Cloud
    // Function gets it as the JSON of the parsed policy, defaults filled in.
    const gcpOnly = parsePolicy({
      targets: { identifiers: ['certctl-gcp-db', 'gone-sql'] },
      gcp: { projects: ['certctl-prod'] },
    });
    const deployed = parsePolicy(JSON.parse(JSON.stringify(gcpOnly)));
    const multiCloud = parsePolicy({
      targets: { identifiers: ['certctl-gcp-db', 'gone-sql'] },
      aws: { regions: ['eu-west-1'] },
      gcp: { projects: ['certctl-prod'] },
    });
    const sql = {
      provider: 'gcp' as const,
      account: 'certctl-prod',
      region: 'europe-west1',
      type: 'GcpCloudSqlInstance' as const,
      id: 'certctl-gcp-db',
    };
    const project = { provider: 'gcp' as const, account: 'certctl-prod', region: '*', complete: true };
    const scopes = [project];
    const gcpRun = { providers: ['gcp'] as const, narrowed: false };

    // Act / Assess: the run covers every cloud the name could be in.
    expect(unmatchedTargets(gcpOnly, [sql], scopes, gcpRun)).toEqual(['gone-sql']);
    expect(unmatchedTargets(deployed, [sql], scopes, gcpRun)).toEqual(['gone-sql']);
    // A policy that also configures AWS: the name could be an RDS database the Lambda audits.
    expect(unmatchedTargets(multiCloud, [sql], scopes, gcpRun)).toEqual([]);
    expect(
      unmatchedTargets(multiCloud, [sql], scopes, { providers: ['aws', 'gcp'], narrowed: false }),
    ).toEqual(['gone-sql']);
    // A failed project or a narrowed run (--project) still lets it go.
    expect(unmatchedTargets(gcpOnly, [sql], [{ ...project, complete: false }], gcpRun)).toEqual([]);
    expect(unmatchedTargets(gcpOnly, [sql], scopes, { ...gcpRun, narrowed: true })).toEqual([]);
  });

  it('locates ARNs, selfLinks and connection names, and nothing in a plain name', () => {
    expect(locateIdentifier('arn:aws:rds:eu-west-1:111111111111:cluster:c')).toEqual({
      provider: 'aws',
      account: '111111111111',
      region: 'eu-west-1',
    });
    expect(
      locateIdentifier('https://sqladmin.googleapis.com/v1/projects/certctl-prod/instances/certctl-gcp-db'),
    ).toEqual({ provider: 'gcp', account: 'certctl-prod' });
    expect(locateIdentifier('certctl-prod:europe-west1:certctl-gcp-db')).toEqual({
      provider: 'gcp',
      account: 'certctl-prod',
      region: 'europe-west1',
    });
    expect(locateIdentifier('certctl-prod-db')).toBeUndefined();
  });
});

describe('names and stand-ins', () => {
  const sql = {
    provider: 'gcp' as const,
    account: 'certctl-prod',
    region: 'europe-west1',
    type: 'GcpCloudSqlInstance' as const,
    id: 'certctl-sql',
    selfLink: 'https://sqladmin.googleapis.com/v1/projects/certctl-prod/instances/certctl-sql',
  };

  it('answers to identifier, ARN, selfLink and the Cloud SQL connection name', () => {
    expect(namesOf(sql)).toEqual([
      'certctl-sql',
      'https://sqladmin.googleapis.com/v1/projects/certctl-prod/instances/certctl-sql',
      'certctl-prod:europe-west1:certctl-sql',
    ]);
    expect(
      namesOf({
        provider: 'aws',
        account: '1',
        region: 'eu-west-1',
        type: 'AwsRdsDbInstance',
        id: 'db',
        arn: 'arn:x',
      }),
    ).toEqual(['db', 'arn:x']);
  });

  it('matches a Cloud SQL instance named by selfLink or connection name in any case', () => {
    // Prepare
    const policy = parsePolicy({
      targets: { identifiers: ['CERTCTL-PROD:europe-west1:certctl-sql', sql.selfLink, 'gone-sql'] },
      gcp: { projects: ['certctl-prod'] },
    });
    const run = { providers: ['aws', 'gcp'] as const, narrowed: false };
    const scopes = [{ provider: 'gcp' as const, account: 'certctl-prod', region: '*', complete: true }];
    // Act / Assess
    expect(unmatchedTargets(policy, [sql], scopes, run)).toEqual(['gone-sql']);
    expect(unmatchedTargets(policy, [], scopes, run)).toEqual(policy.targets.identifiers);
  });

  it('does not take a selfLink of another API for a Cloud SQL instance', () => {
    expect(
      locateIdentifier('https://example.com/v1/projects/certctl-prod/instances/certctl-sql'),
    ).toBeUndefined();
  });

  it('names what a listed identifier is and where it is judged, in any case', () => {
    // Prepare
    const policy = parsePolicy({ targets: { identifiers: ['Certctl-Replica', 'certctl-db', 'nothing'] } });
    const standIns = [
      { names: ['other'], what: 'unrelated', judgedAt: 'x' },
      {
        names: ['arn:aws:rds:eu-west-1:1:db:certctl-replica', 'certctl-replica'],
        what: 'read replica',
        judgedAt: 'certctl-db',
      },
    ];
    // Act / Assess
    expect(targetsJudgedElsewhere(policy, standIns)).toEqual([
      { identifier: 'Certctl-Replica', note: 'read replica, judged at certctl-db' },
    ]);
  });

  it('reports nothing unmatched when the policy lists no identifiers', () => {
    expect(unmatchedTargets(parsePolicy({}), [], [], { providers: ['aws'], narrowed: false })).toEqual([]);
  });

  it('checks identifiers only when some are listed', () => {
    const candidate = { identifiers: ['db'], tags: {} };
    expect(isTarget(candidate, parsePolicy({ targets: { tags: [{ key: 'k', value: 'v' }] } }).targets)).toBe(
      false,
    );
  });
});

describe('namesToLookUp', () => {
  const ACCOUNT = '111122223333';
  const scope = (region: string, status: 'complete' | 'failed' = 'complete'): ScopeOutcome => ({
    scope: { provider: 'aws', account: ACCOUNT, region, group: 'pitr' },
    status,
    resources: 0,
  });
  const judged = (id: string, region: string): Finding =>
    ({
      checkId: 'pitr.enabled',
      group: 'pitr',
      status: 'PASSED',
      resource: { provider: 'aws', account: ACCOUNT, region, type: 'AwsRdsDbInstance', id },
    }) as Finding;

  it('asks only the names nothing answered to, a plain name in every complete scope and an ARN in its own', () => {
    // Prepare: certctl-pg judged in eu-west-1, a member judged at its cluster, a MySQL listed by tag.
    const policy = parsePolicy({
      targets: {
        tags: [],
        identifiers: [
          'certctl-pg',
          'aurora-1',
          'tagged-mysql',
          'legacy-mysql',
          `arn:aws:rds:us-east-1:${ACCOUNT}:db:far`,
          `arn:aws:rds:ap-south-1:${ACCOUNT}:db:unread`,
        ],
      },
    });
    const report = {
      findings: [judged('certctl-pg', 'eu-west-1')],
      scopes: [
        {
          ...scope('eu-west-1'),
          standIns: [{ names: ['aurora-1'], what: 'Aurora member', judgedAt: 'aurora' }],
          otherEngines: [
            {
              id: 'tagged-mysql',
              names: ['tagged-mysql'],
              selectedBy: 'targets.identifiers',
              engine: 'mysql',
            },
          ],
        },
        scope('us-east-1'),
        scope('us-west-2', 'failed'),
      ],
    };
    // Act
    const wanted = namesToLookUp(report, policy, new Set(['pitr']));
    const otherGroup = namesToLookUp(report, policy, new Set(['keys']));
    const everything = namesToLookUp(report, parsePolicy({ targets: { all: true } }), new Set(['pitr']));
    // Assess: a failed scope is not asked; an ARN of a Region not read is asked nowhere.
    expect(Object.fromEntries(wanted)).toEqual({
      [`aws/${ACCOUNT}/eu-west-1/pitr`]: ['legacy-mysql'],
      [`aws/${ACCOUNT}/us-east-1/pitr`]: ['legacy-mysql', `arn:aws:rds:us-east-1:${ACCOUNT}:db:far`],
    });
    expect(otherGroup.size).toBe(0);
    expect(everything.size).toBe(0);
  });

  it('neither asks nor reports as not found a named replica whose chain stopped at a source naming no Region', () => {
    // Prepare: leaf-replica is named; its chain reached an ARN naming no Region (rds.ts says so).
    const policy = parsePolicy({ targets: { tags: [], identifiers: ['Leaf-Replica', 'gone-db'] } });
    const report = {
      startedAt: '2026-11-21T12:00:00.000Z',
      finishedAt: '2026-11-21T12:00:01.000Z',
      findings: [],
      counts: { PASSED: 0, FAILED: 0, WARNING: 0, NOT_AVAILABLE: 0 },
      scopes: [
        {
          ...scope('eu-west-1'),
          taggedStandIns: [
            {
              id: 'leaf-replica',
              named: ['leaf-replica'],
              of: 'a read replica of mid-replica, itself a read replica of arn:aws:rds:bogus:1:db:src (ReadReplicaSourceDBInstanceIdentifier)',
              tagInstead: 'its source',
              unreadableSource: 'arn:aws:rds:bogus:1:db:src',
            },
          ],
        },
      ],
    };
    // Act
    const wanted = namesToLookUp(report, policy, new Set(['pitr']));
    const covered = withTargetCoverage(report, policy, { providers: ['aws'], narrowed: false });
    // Assess: only the name nothing answered to is asked and reported.
    expect(Object.fromEntries(wanted)).toEqual({ [`aws/${ACCOUNT}/eu-west-1/pitr`]: ['gone-db'] });
    expect(covered.unmatchedTargets).toEqual(['gone-db']);
  });
});
