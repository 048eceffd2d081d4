/**
 * The snapshot gate over listed snapshots: which snapshot counts and how its age is judged.
 */
import { describe, expect, it } from 'vitest';
import type { BackendSnapshot } from '../../functions/actions/snapshot/backend.ts';
import type { ResourceRef } from '../../functions/core/finding.ts';
import { snapshotGate } from '../../functions/jobs/readiness.ts';

const NOW = new Date('2026-12-03T12:00:00.000Z');
/** The database as DescribeDBInstances lists it, without its DbiResourceId. */
const UNIDENTIFIED: ResourceRef = {
  provider: 'aws',
  account: '111111111111',
  region: 'eu-west-1',
  type: 'AwsRdsDbInstance',
  id: 'certctl-prod-db',
};
const TARGET: ResourceRef = { ...UNIDENTIFIED, resourceId: 'db-NEW' };
const ours = (id: string, createdAt: string): BackendSnapshot => ({
  id,
  kind: 'rds-instance',
  target: 'certctl-prod-db',
  sourceResourceId: 'db-NEW',
  status: 'available',
  createdAt: new Date(createdAt),
  tags: { purpose: 'certctl-pre-maintenance' },
});

describe('snapshotGate', () => {
  it('does not judge a snapshot fresh whose creation time is later than the run’s clock', () => {
    // Prepare: the newest snapshot says it was made two days after now (a clock that is behind);
    // its age cannot be told.
    const snapshots = [ours('from-the-future', '2026-12-05T12:00:00.000Z')];

    // Act
    const gate = snapshotGate(snapshots, TARGET, 24, NOW);

    // Assess
    expect(gate.status).toBe('UNKNOWN');
    expect(gate.evidence).toContain('from-the-future');
    expect(gate.evidence).toContain('later than');
  });

  it('does not judge the newest snapshot of ours fresh when another snapshot listed beside it is dated after the run’s clock', () => {
    // Prepare: the listing (every manual snapshot of the region) holds one of another database
    // that RDS dated three hours after this run's clock: the clock is behind by that much at
    // least, so the 23 hours it gives the snapshot of ours may be more than the 24-hour limit.
    const another: BackendSnapshot = {
      ...ours('of-another-database', '2026-12-03T15:00:00.000Z'),
      target: 'certctl-other-db',
      sourceResourceId: 'db-OTHER',
      tags: {},
    };
    const relied = ours('ours-23h', '2026-12-02T13:00:00.000Z');

    // Act
    const gate = snapshotGate([relied, another], TARGET, 24, NOW);
    const creating = snapshotGate(
      [relied, { ...ours('ours-creating', '2026-12-03T14:00:00.000Z'), status: 'creating' }],
      TARGET,
      24,
      NOW,
    );
    const withinTolerance = snapshotGate(
      [relied, { ...another, createdAt: new Date('2026-12-03T12:02:00.000Z') }],
      TARGET,
      24,
      NOW,
    );

    // Assess
    expect(gate).toEqual({
      gate: 'snapshot',
      status: 'UNKNOWN',
      evidence:
        "ours-23h, 23.0 h old (limit 24 h) by this run's clock, but of-another-database, listed beside it, says it was created at 2026-12-03T15:00:00.000Z, later than this run's clock (2026-12-03T12:00:00.000Z): the clock is behind, so the age of ours-23h cannot be told",
      action: 'Check the clock of the machine that runs readiness, then run readiness again.',
    });
    expect(creating.status).toBe('UNKNOWN');
    expect(creating.evidence).toContain('ours-creating, listed beside it, says it was created at');
    expect(withinTolerance.status).toBe('GO');
  });

  it('tolerates a few minutes of clock difference', () => {
    // Act
    const gate = snapshotGate([ours('just-made', '2026-12-03T12:02:00.000Z')], TARGET, 24, NOW);

    // Assess
    expect(gate.status).toBe('GO');
  });

  it('cannot tell the age of an available snapshot of ours whose creation time was not sent', () => {
    // Prepare: the only snapshot of ours is available but undated; an older dated one is stale.
    const undated: BackendSnapshot = { ...ours('undated', NOW.toISOString()), createdAt: undefined };

    // Act
    const alone = snapshotGate([undated], TARGET, 24, NOW);
    const besideStale = snapshotGate([ours('stale', '2026-11-20T12:00:00.000Z'), undated], TARGET, 24, NOW);
    const besideFresh = snapshotGate([ours('fresh', '2026-12-03T10:00:00.000Z'), undated], TARGET, 24, NOW);

    // Assess: could not evaluate (never NO-GO "no snapshot", never GO), unless a dated fresh one proves it.
    expect([alone.status, besideStale.status, besideFresh.status]).toEqual(['UNKNOWN', 'UNKNOWN', 'GO']);
    expect(alone.evidence).toContain('undated');
    expect(alone.evidence).toContain('creation time');
  });

  it('never gives GO on a snapshot whose creation time is not a valid date', () => {
    // Prepare: a backend handed over a Date it could not read (an Invalid Date): its age is NaN
    // hours, which no comparison calls too old.
    const invalid = ours('unreadable-date', 'not a date');

    // Act
    const alone = snapshotGate([invalid], TARGET, 24, NOW);
    const besideStale = snapshotGate([ours('stale', '2026-11-20T12:00:00.000Z'), invalid], TARGET, 24, NOW);
    const besideFresh = snapshotGate([ours('fresh', '2026-12-03T10:00:00.000Z'), invalid], TARGET, 24, NOW);

    // Assess: read as undated, so it cannot be judged unless a dated fresh one proves freshness.
    expect([alone.status, besideStale.status, besideFresh.status]).toEqual(['UNKNOWN', 'UNKNOWN', 'GO']);
    expect(alone.evidence).toContain('unreadable-date');
    expect(alone.evidence).not.toContain('NaN');
    expect(besideFresh.evidence).toContain('fresh');
  });
});

describe('snapshotGate while a snapshot of ours is being created', () => {
  const creating = (id: string, createdAt: string | undefined): BackendSnapshot => ({
    ...ours(id, NOW.toISOString()),
    status: 'creating',
    createdAt: createdAt ? new Date(createdAt) : undefined,
  });

  it('is NO-GO naming the snapshot being created and when it started, and says to wait for it, not to take another', () => {
    // Act
    const alone = snapshotGate([creating('in-flight', '2026-12-03T11:40:00.000Z')], TARGET, 24, NOW);
    const besideStale = snapshotGate(
      [ours('stale', '2026-11-20T12:00:00.000Z'), creating('in-flight', '2026-12-03T11:40:00.000Z')],
      TARGET,
      24,
      NOW,
    );

    // Assess: still no restorable snapshot (NO-GO), but the answer is to wait, not to snapshot again.
    for (const gate of [alone, besideStale]) {
      expect(gate.status).toBe('NO-GO');
      expect(gate.evidence).toContain('in-flight is still being created (started 2026-12-03T11:40:00.000Z)');
      expect(gate.action).toContain('Wait for in-flight');
      expect(gate.action).not.toContain('backup-guard snapshot');
    }
    expect(besideStale.evidence).toContain('stale');
  });

  it('does not say to wait for a snapshot whose creation started longer ago than the age limit', () => {
    // Prepare: a run listed as creating since two days ago (a stuck or mis-reported run): even once
    // it finishes, a snapshot dated then is too old for a 24-hour limit.
    const gate = snapshotGate([creating('stuck', '2026-12-01T12:00:00.000Z')], TARGET, 24, NOW);

    // Assess: NO-GO with the snapshot action, not "wait for stuck".
    expect(gate.status).toBe('NO-GO');
    expect(gate.action).toContain('backup-guard snapshot');
    expect(gate.action).not.toContain('Wait for stuck');
  });

  it('stops saying to wait for an undated snapshot being created once its expires-at tag dates it older than the limit, naming it', () => {
    // Prepare: SnapshotCreateTime not sent (RDS: Required No); expires-at written 14 days after the
    // ask, two days ago: stuck, or too old once done.
    const stuck: BackendSnapshot = {
      ...creating('stuck', undefined),
      tags: { purpose: 'certctl-pre-maintenance', 'expires-at': '2026-12-15T12:00:00.000Z' },
    };

    // Act
    const gate = snapshotGate([stuck], TARGET, 24, NOW, undefined, 14);

    // Assess: NO-GO with the snapshot action, naming the stuck snapshot and how it was dated.
    expect(gate.status).toBe('NO-GO');
    expect(gate.action).toContain('backup-guard snapshot');
    expect(gate.action).not.toContain('Wait for stuck');
    expect(gate.evidence).toContain('stuck has been in state creating since about 2026-12-01T12:00:00.000Z');
    expect(gate.evidence).toContain('expires-at');
  });

  it('does not say to wait for a snapshot being created whose start time was not sent and that no expires-at tag dates, and says none of another database', () => {
    // Act
    const undated = snapshotGate([creating('in-flight', undefined)], TARGET, 24, NOW);
    const other = snapshotGate(
      [
        {
          ...creating('theirs', '2026-12-03T11:40:00.000Z'),
          target: 'other-db',
          sourceResourceId: 'db-OTHER',
        },
      ],
      TARGET,
      24,
      NOW,
    );

    // Assess
    // Undated and without an expires-at tag: not waited for without end, named beside the NO-GO.
    expect(undated.status).toBe('NO-GO');
    expect(undated.action).not.toContain('Wait for in-flight');
    expect(undated.action).toContain('backup-guard snapshot');
    expect(undated.evidence).toContain(
      'in-flight has been in state creating since a time that cannot be told',
    );
    expect(other.evidence).not.toContain('theirs');
    expect(other.action).toContain('backup-guard snapshot');
  });

  it('says when an undated snapshot being created was asked for, as its expires-at tag dates it', () => {
    // Prepare: RDS sends no SnapshotCreateTime while a snapshot is creating; expires-at was written
    // 14 days after the ask, 20 minutes ago.
    const inFlight: BackendSnapshot = {
      ...creating('in-flight', undefined),
      tags: { purpose: 'certctl-pre-maintenance', 'expires-at': '2026-12-17T11:40:00.000Z' },
    };

    // Act
    const gate = snapshotGate([inFlight], TARGET, 24, NOW, undefined, 14);

    // Assess: waited for, with the estimated start rather than "start time not sent".
    expect(gate.status).toBe('NO-GO');
    expect(gate.action).toContain('Wait for in-flight');
    expect(gate.evidence).toContain(
      'in-flight is still being created (started about 2026-12-03T11:40:00.000Z: its creation time was not sent; dated by its expires-at tag less snapshots.expiryDays 14 days)',
    );
  });

  it('dates an undated snapshot being created only by an expires-at tag prune reads (ISO 8601), never by one Date.parse merely accepts', () => {
    // Prepare: SnapshotCreateTime not sent; the expires-at tag was edited by hand to a bare year.
    // Date.parse reads "2099" as 2099-01-01, which less 14 days dates the ask in the future (for
    // ever "fresh"); prune reads no time in it (actions/snapshot/model.ts expiryOf) and keeps it.
    const handEdited: BackendSnapshot = {
      ...creating('in-flight', undefined),
      tags: { purpose: 'certctl-pre-maintenance', 'expires-at': '2099' },
    };

    // Act
    const gate = snapshotGate([handEdited], TARGET, 24, NOW, undefined, 14);

    // Assess: not waited for without end; named as undatable, with the tag prune cannot read.
    expect(gate.status).toBe('NO-GO');
    expect(gate.action).not.toContain('Wait for in-flight');
    expect(gate.action).toContain('backup-guard snapshot');
    expect(gate.evidence).toContain('in-flight has been in state creating since a time that cannot be told');
    expect(gate.evidence).toContain('its expires-at tag ("2099") is not an ISO 8601 time');
  });
});

describe('snapshotGate and a database re-created under the same name', () => {
  // The database now answers to `certctl-prod-db` with resource id db-NEW; db-OLD was an earlier
  // database of that name, deleted since. Its snapshots are not snapshots of this one.
  const CURRENT = TARGET;
  const of = (snapshot: BackendSnapshot, sourceResourceId: string | undefined): BackendSnapshot => ({
    ...snapshot,
    sourceResourceId,
  });

  it('is NO-GO when the only fresh snapshot of that name is of the earlier database', () => {
    // Prepare
    const snapshots = [of(ours('before-recreate', '2026-12-03T10:00:00.000Z'), 'db-OLD')];

    // Act
    const gate = snapshotGate(snapshots, CURRENT, 24, NOW);

    // Assess: the old database's snapshot proves nothing about the new one, and the answer says why.
    expect(gate.status).toBe('NO-GO');
    expect(gate.evidence).toContain('before-recreate');
    expect(gate.evidence).toContain('db-OLD');
    expect(gate.evidence).toContain('db-NEW');
  });

  it('is GO on the current database’s snapshot, not the earlier database’s newer one', () => {
    // Prepare: the earlier database's snapshot is the newest of that name.
    const snapshots = [
      of(ours('before-recreate', '2026-12-03T11:00:00.000Z'), 'db-OLD'),
      of(ours('after-recreate', '2026-12-03T09:00:00.000Z'), 'db-NEW'),
    ];

    // Act
    const gate = snapshotGate(snapshots, CURRENT, 24, NOW);

    // Assess
    expect(gate.status).toBe('GO');
    expect(gate.evidence).toContain('after-recreate');
    expect(gate.evidence).not.toContain('before-recreate');
  });

  it('does not count a snapshot whose resource id was not sent, and names it', () => {
    // Prepare: the snapshot's DbiResourceId was not sent; then the database's was not sent.
    const unsent = [of(ours('no-resource-id', '2026-12-03T10:00:00.000Z'), undefined)];
    const sent = [of(ours('with-resource-id', '2026-12-03T10:00:00.000Z'), 'db-NEW')];

    // Act
    const snapshotSide = snapshotGate(unsent, CURRENT, 24, NOW);
    const databaseSide = snapshotGate(sent, UNIDENTIFIED, 24, NOW);

    // Assess: neither side's silence is taken for a match: could not evaluate, never GO.
    expect(snapshotSide.status).toBe('UNKNOWN');
    expect(snapshotSide.evidence).toContain('no-resource-id');
    expect(snapshotSide.evidence).toContain('DbiResourceId');
    expect(databaseSide.status).toBe('UNKNOWN');
    expect(databaseSide.evidence).toContain('with-resource-id');
    expect(databaseSide.evidence).toContain('DbiResourceId');
  });

  it('is GO on a verified fresh snapshot beside one whose resource id was not sent', () => {
    // Prepare
    const snapshots = [
      of(ours('no-resource-id', '2026-12-03T11:00:00.000Z'), undefined),
      of(ours('verified', '2026-12-03T09:00:00.000Z'), 'db-NEW'),
    ];

    // Act
    const gate = snapshotGate(snapshots, CURRENT, 24, NOW);

    // Assess
    expect(gate.status).toBe('GO');
    expect(gate.evidence).toContain('verified');
  });

  it('matches an Aurora cluster snapshot by DbClusterResourceId', () => {
    // Prepare
    const cluster: ResourceRef = {
      ...UNIDENTIFIED,
      type: 'AwsRdsDbCluster',
      id: 'certctl-aurora',
      resourceId: 'cluster-NEW',
    };
    const clusterSnapshot = (id: string, sourceResourceId: string | undefined): BackendSnapshot => ({
      ...ours(id, '2026-12-03T10:00:00.000Z'),
      kind: 'aurora-cluster',
      target: 'certctl-aurora',
      sourceResourceId,
    });

    // Act
    const old = snapshotGate([clusterSnapshot('old', 'cluster-OLD')], cluster, 24, NOW);
    const current = snapshotGate([clusterSnapshot('current', 'cluster-NEW')], cluster, 24, NOW);
    const unsent = snapshotGate([clusterSnapshot('unsent', undefined)], cluster, 24, NOW);

    // Assess
    expect([old.status, current.status, unsent.status]).toEqual(['NO-GO', 'GO', 'UNKNOWN']);
    expect(unsent.evidence).toContain('DbClusterResourceId');
  });
});

describe('snapshotGate and a Cloud SQL instance re-created under the same name', () => {
  // Cloud SQL has no resource id: a backup run names only its instance. The instance's createTime
  // tells a backup run of an earlier instance of that name: it was taken before this one existed.
  const INSTANCE: ResourceRef = {
    provider: 'gcp',
    account: 'certctl-prod',
    region: 'europe-west1',
    type: 'GcpCloudSqlInstance',
    id: 'certctl-pg',
    createdAt: '2026-12-03T08:00:00.000Z',
  };
  const run = (id: string, createdAt: string): BackendSnapshot => ({
    id,
    kind: 'cloudsql-instance',
    target: 'certctl-pg',
    status: 'available',
    createdAt: new Date(createdAt),
    tags: { purpose: 'certctl-pre-maintenance' },
  });

  it('is NO-GO on a backup run taken before the instance named so was created', () => {
    // Act
    const gate = snapshotGate([run('before-recreate', '2026-12-03T07:00:00.000Z')], INSTANCE, 24, NOW);

    // Assess
    expect(gate.status).toBe('NO-GO');
    expect(gate.evidence).toContain('before-recreate');
    expect(gate.evidence).toContain('createTime 2026-12-03T08:00:00.000Z');
  });

  it('is GO on a backup run taken after the instance was created', () => {
    // Act
    const gate = snapshotGate(
      [run('before-recreate', '2026-12-03T07:00:00.000Z'), run('after-recreate', '2026-12-03T09:00:00.000Z')],
      INSTANCE,
      24,
      NOW,
    );

    // Assess
    expect(gate.status).toBe('GO');
    expect(gate.evidence).toContain('after-recreate');
  });

  it('could not evaluate a fresh backup run when the instance listing sent no createTime', () => {
    // Prepare: createTime is output only and may be absent; without it a backup run left by an
    // earlier instance of that name looks the same as one of this instance.
    const { createdAt: _unsent, ...unsent } = INSTANCE;

    // Act
    const gate = snapshotGate([run('fresh-looking', '2026-12-03T09:00:00.000Z')], unsent, 24, NOW);

    // Assess
    expect(gate.status).toBe('UNKNOWN');
    expect(gate.evidence).toContain('fresh-looking');
    expect(gate.evidence).toContain('createTime was not sent');
  });

  it('names an expired run of the instance older than its newest as one prune may delete, as prune decides with the instance listed', () => {
    // Prepare: two runs of ours of this instance (after its createTime), both past their
    // expires-at tag and both older than the limit: prune, given the instance, deletes the older.
    const expired = (id: string, createdAt: string): BackendSnapshot => ({
      ...run(id, createdAt),
      tags: { purpose: 'certctl-pre-maintenance', 'expires-at': '2026-12-03T10:00:00.000Z' },
    });
    const runs = [
      expired('certctl-premaint-pg-1', '2026-12-03T08:30:00.000Z'),
      expired('certctl-premaint-pg-2', '2026-12-03T09:00:00.000Z'),
    ];

    // Act
    const gate = snapshotGate(runs, INSTANCE, 1, NOW);

    // Assess
    expect(gate.status).toBe('NO-GO');
    expect(gate.evidence).toContain(
      'not counted: certctl-premaint-pg-1 is past its expires-at tag (2026-12-03T10:00:00.000Z) and a newer snapshot of ours is of its database, so prune may delete it at any time',
    );
  });
});

describe('the snapshot command a NO-GO snapshot gate gives', () => {
  it('names the Cloud SQL instance with --provider gcp and its connection name, which backup-guard snapshot resolves (without --provider it reads every cloud the policy configures)', () => {
    // Prepare: a Cloud SQL instance without a backup of ours.
    const instance: ResourceRef = {
      provider: 'gcp',
      account: 'certctl-prod',
      region: 'europe-west1',
      type: 'GcpCloudSqlInstance',
      id: 'certctl-pg',
    };

    // Act
    const gate = snapshotGate([], instance, 24, NOW);

    // Assess
    expect(gate.status).toBe('NO-GO');
    expect(gate.action).toBe(
      "Run `backup-guard snapshot --provider gcp --target certctl-prod:europe-west1:certctl-pg --reason '<why>' --ticket '<ticket>' --wait` and run readiness again.",
    );
  });

  it('names an RDS database by its ARN, which no same-named database in another account or region shares', () => {
    // Act
    const arn = 'arn:aws:rds:eu-west-1:111111111111:db:certctl-prod-db';
    const gate = snapshotGate([], { ...TARGET, arn }, 24, NOW);

    // Assess
    expect(gate.action).toBe(
      `Run \`backup-guard snapshot --provider aws --target ${arn} --reason '<why>' --ticket '<ticket>' --wait\` and run readiness again.`,
    );
  });
});

describe('snapshotGate and a snapshot past its own expires-at tag', () => {
  // NOW is 2026-12-03T12:00Z; the limit is 24 h. `lapsed` was taken 10 h ago under an earlier,
  // shorter snapshots.expiryDays: its expires-at tag passed 6 h ago. Ids are backup-guard's own
  // (certctl-premaint-*): prune keeps a snapshot of any other name.
  const tagged = (id: string, createdAt: string, expiresAt: string): BackendSnapshot => ({
    ...ours(id, createdAt),
    tags: { purpose: 'certctl-pre-maintenance', 'expires-at': expiresAt },
  });
  const lapsed = tagged('certctl-premaint-lapsed', '2026-12-03T02:00:00.000Z', '2026-12-03T06:00:00.000Z');
  // A newer snapshot of ours bearing the database's name, copied in from another region: not this
  // database's, and prune never takes a copy for the target's newest, so `lapsed` stays.
  const copy: BackendSnapshot = {
    ...tagged('certctl-premaint-copied-in', '2026-12-03T11:00:00.000Z', '2026-12-17T11:00:00.000Z'),
    sourceRegion: 'us-east-1',
  };
  // A newer snapshot taken here under the database's name, of an earlier database of that name
  // (another resource id): prune keeps each database's newest, so `lapsed` stays.
  const otherIncarnation: BackendSnapshot = {
    ...tagged('certctl-premaint-other', '2026-12-03T11:00:00.000Z', '2026-12-17T11:00:00.000Z'),
    sourceResourceId: 'db-OLD',
  };

  it('counts the target’s own newest snapshot past its tag beside a newer snapshot of another database of that name, which prune keeps', () => {
    // Act
    const gate = snapshotGate([lapsed, otherIncarnation], TARGET, 24, NOW);

    // Assess: the snapshot of db-OLD outdates nothing of db-NEW's.
    expect(gate.status).toBe('GO');
    expect(gate.evidence).toContain('certctl-premaint-lapsed, 10.0 h old (limit 24 h)');
    expect(gate.evidence).toContain('prune keeps it');
  });

  it('counts the target’s own newest snapshot past its tag beside a newer copy from another region, which prune keeps', () => {
    // Act
    const gate = snapshotGate([lapsed, copy], TARGET, 24, NOW);

    // Assess: prune keeps the newest snapshot taken here; the copy is not the target's.
    expect(gate.status).toBe('GO');
    expect(gate.evidence).toContain('prune keeps it');
  });

  it('holds the gate as could-not-evaluate on the newest unverifiable snapshot, not on an older one prune may delete', () => {
    // Prepare: two snapshots of that name without DbiResourceId (unverifiable); prune keeps only
    // the newer of them, and `lapsed` is past its expires-at tag.
    const { sourceResourceId: _unsent, ...unverifiable } = lapsed;
    const { sourceResourceId: _alsoUnsent, ...newer } = otherIncarnation;

    // Act
    const gate = snapshotGate([unverifiable, newer], TARGET, 24, NOW);

    // Assess: what cannot be told is the newer one, which prune keeps; `lapsed` could not count.
    expect(gate.status).toBe('UNKNOWN');
    expect(gate.evidence).toContain('certctl-premaint-other bears the name certctl-prod-db');
    expect(gate.evidence).not.toContain('certctl-premaint-lapsed');
  });

  it('counts the newest successful snapshot past its expires-at tag, which prune keeps, saying so', () => {
    // Act: no newer snapshot of that name: prune keeps `lapsed` as the target's restore point.
    const gate = snapshotGate([lapsed], TARGET, 24, NOW);

    // Assess
    expect(gate.status).toBe('GO');
    expect(gate.evidence).toContain('certctl-premaint-lapsed, 10.0 h old (limit 24 h)');
    expect(gate.evidence).toContain('past its expires-at tag (2026-12-03T06:00:00.000Z)');
    expect(gate.evidence).toContain('prune keeps it');
  });

  it('counts a snapshot whose expires-at tag names a day its month does not have, which prune never deletes, naming the tag', () => {
    // Prepare: Date.parse would read 2026-11-31 as 2026-12-01, past NOW's expiry; prune reads no
    // time in it and keeps the snapshot.
    const rolled = tagged('certctl-premaint-rolled', '2026-12-03T02:00:00.000Z', '2026-11-31T00:00:00.000Z');

    // Act
    const gate = snapshotGate([rolled, copy], TARGET, 24, NOW);

    // Assess
    expect(gate.status).toBe('GO');
    expect(gate.evidence).toContain(
      'its expires-at tag "2026-11-31T00:00:00.000Z" is not a calendar date, as 2026-11 has 30 days: prune never deletes it',
    );
  });

  it('counts a snapshot whose expires-at tag is at hour 24, which prune never deletes, naming the tag', () => {
    // Prepare: Date.parse would read 2026-12-02T24:00 as 2026-12-03T00:00, past NOW's expiry; prune
    // reads no time in it (RFC 3339 hours run 00-23) and keeps the snapshot.
    const midnight = tagged(
      'certctl-premaint-hour24',
      '2026-12-03T02:00:00.000Z',
      '2026-12-02T24:00:00.000Z',
    );

    // Act
    const gate = snapshotGate([midnight, copy], TARGET, 24, NOW);

    // Assess
    expect(gate.status).toBe('GO');
    expect(gate.evidence).toContain(
      'its expires-at tag "2026-12-02T24:00:00.000Z" is not a time of day, as hours run 00 to 23 and 24:00 is written 00:00 of the next day: prune never deletes it',
    );
  });

  it('counts a snapshot whose expires-at tag is not an ISO 8601 time, which prune never deletes, naming the tag', () => {
    // Prepare: a hand-edited tag; prune keeps such a snapshot (malformed expires-at tag: kept),
    // whatever else is listed.
    const malformed = tagged('certctl-premaint-hand-edited', '2026-12-03T02:00:00.000Z', '2026-12-03');

    // Act
    const gate = snapshotGate([malformed, copy], TARGET, 24, NOW);

    // Assess
    expect(gate.status).toBe('GO');
    expect(gate.evidence).toContain('certctl-premaint-hand-edited, 10.0 h old (limit 24 h)');
    expect(gate.evidence).toContain('its expires-at tag "2026-12-03" is not an ISO 8601 time');
    expect(gate.evidence).toContain('prune never deletes it');
  });

  it.each([
    [
      'just past the limit',
      '2026-12-02T11:57:36.000Z',
      'NO-GO',
      'certctl-premaint-boundary, 24.1 h old (limit 24 h)',
    ],
    [
      'just within the limit',
      '2026-12-02T12:02:24.000Z',
      'GO',
      'certctl-premaint-boundary, 23.9 h old (limit 24 h)',
    ],
  ] as const)('never rounds the age of a snapshot %s to the limit itself', (_, createdAt, status, said) => {
    // Prepare: 24.04 h and 23.96 h old, both of which one decimal rounds to 24.0, the limit.
    const snapshots = [ours('certctl-premaint-boundary', createdAt)];

    // Act
    const gate = snapshotGate(snapshots, TARGET, 24, NOW);

    // Assess: the evidence of a NO-GO reads as past the limit, that of a GO as within it.
    expect(gate.status).toBe(status);
    expect(gate.evidence).toContain(said);
  });
});
