/**
 * Pruning end to end against the simulator: only expired snapshots of ours go, the newest
 * successful one of each target stays, and a dry run deletes nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pruneRecorded } from '../actions/snapshot/fake-backend.ts';
import { type SnapshotHarness, snapshotScenario, startSnapshotHarness } from './snapshot-support.ts';

const OURS = { purpose: 'certctl-pre-maintenance' };
// Expired an hour ago, after each snapshot below was created: one created after the expiry it
// claims is not proven ours (functions/actions/snapshot/prune.ts notTakenHere).
const EXPIRED = { ...OURS, 'expires-at': new Date(Date.now() - 3_600_000).toISOString() };

let harness: SnapshotHarness;

beforeEach(async () => {
  harness = await startSnapshotHarness(
    snapshotScenario({
      existing: [
        {
          id: 'certctl-premaint-a-old',
          target: 'certctl-prod-db',
          region: 'eu-west-1',
          createdAt: '-40d',
          tags: EXPIRED,
        },
        {
          id: 'certctl-premaint-a-new',
          target: 'certctl-prod-db',
          region: 'eu-west-1',
          createdAt: '-20d',
          tags: EXPIRED,
        },
        {
          id: 'certctl-premaint-a-live',
          target: 'certctl-busy-db',
          region: 'eu-west-1',
          createdAt: '-1d',
          tags: { ...OURS, 'expires-at': '2999-01-01T00:00:00.000Z' },
        },
        {
          id: 'someone-elses-old',
          target: 'certctl-prod-db',
          region: 'eu-west-1',
          createdAt: '-400d',
          tags: { 'expires-at': '2020-01-01T00:00:00.000Z' },
        },
        {
          id: 'certctl-premaint-c-old',
          kind: 'cluster',
          target: 'certctl-aurora',
          region: 'eu-west-1',
          createdAt: '-30d',
          tags: EXPIRED,
        },
        {
          id: 'certctl-premaint-c-new',
          kind: 'cluster',
          target: 'certctl-aurora',
          region: 'eu-west-1',
          createdAt: '-2d',
          tags: { ...OURS, 'expires-at': '2999-01-01T00:00:00.000Z' },
        },
      ],
    }),
  );
});

afterEach(async () => {
  await harness.close();
});

describe('prune against the simulator', () => {
  it('lists what it would delete and keeps everything when it is a dry run', async () => {
    // Act
    const result = await pruneRecorded({}, harness.deps());

    // Assess
    expect(result.applied).toBe(false);
    expect(result.entries.filter((e) => e.decision === 'delete').map((e) => e.snapshotId)).toEqual([
      'certctl-premaint-a-old',
      'certctl-premaint-c-old',
    ]);
    expect(harness.rds.snapshots.snapshots()).toHaveLength(6);
  });

  it('deletes only expired snapshots of ours and keeps the newest successful one of each target with its reason when applied', async () => {
    // Act
    const result = await pruneRecorded({ apply: true }, harness.deps());

    // Assess
    const remaining = harness.rds.snapshots
      .snapshots()
      .map((s) => s.id)
      .sort();
    expect(remaining).toEqual([
      'certctl-premaint-a-live',
      'certctl-premaint-a-new',
      'certctl-premaint-c-new',
      'someone-elses-old',
    ]);
    expect(result.deleted).toBe(2);
    const reasons = Object.fromEntries(result.entries.map((e) => [e.snapshotId, e.reason]));
    expect(reasons['certctl-premaint-a-new']).toBe('newest successful snapshot of certctl-prod-db');
    expect(reasons['certctl-premaint-a-live']).toBe('expires 2999-01-01T00:00:00.000Z');
    expect(reasons['someone-elses-old']).toBeUndefined();
  });
});

describe('prune with a malformed expires-at tag', () => {
  it('keeps a snapshot of ours whose expires-at is not an ISO 8601 time, and says so, though Date.parse would read a year in it', async () => {
    // Arrange: Date.parse reads "x 2020" and "2020" as 2020-01-01, long expired.
    const local = await startSnapshotHarness(
      snapshotScenario({
        existing: [
          {
            id: 'certctl-premaint-m-junk',
            target: 'certctl-prod-db',
            region: 'eu-west-1',
            createdAt: '-40d',
            tags: { ...OURS, 'expires-at': 'x 2020' },
          },
          {
            id: 'certctl-premaint-m-year',
            target: 'certctl-prod-db',
            region: 'eu-west-1',
            createdAt: '-30d',
            tags: { ...OURS, 'expires-at': '2020' },
          },
          {
            id: 'certctl-premaint-m-new',
            target: 'certctl-prod-db',
            region: 'eu-west-1',
            createdAt: '-1d',
            tags: { ...OURS, 'expires-at': '2999-01-01T00:00:00.000Z' },
          },
        ],
      }),
    );
    try {
      // Act
      const result = await pruneRecorded({ apply: true }, local.deps());

      // Assess
      expect(result.deleted).toBe(0);
      expect(local.rds.snapshots.snapshots()).toHaveLength(3);
      const reasons = Object.fromEntries(result.entries.map((e) => [e.snapshotId, e.reason]));
      expect(reasons['certctl-premaint-m-junk']).toBe(
        'malformed expires-at tag "x 2020" (not an ISO 8601 time): kept',
      );
      expect(reasons['certctl-premaint-m-year']).toBe(
        'malformed expires-at tag "2020" (not an ISO 8601 time): kept',
      );
    } finally {
      await local.close();
    }
  });
});

describe('prune when a snapshot changes between the listing and its delete', () => {
  it('reads each snapshot again before deleting it and keeps one whose expiry was extended or whose purpose tag was removed since the listing', async () => {
    // Prepare: both old snapshots are expired when listed; the listing is handed on, then someone
    // extends one's expiry and takes the other out of our hands.
    const cloud = harness.deps().clouds[0];
    if (!cloud) throw new Error('no cloud');
    const retagged: typeof cloud = {
      ...cloud,
      async snapshotPlaces() {
        const found = await cloud.snapshotPlaces();
        return {
          ...found,
          places: found.places.map((place) => ({
            ...place,
            async list() {
              const listed = await place.list();
              harness.rds.snapshots.retag('certctl-premaint-a-old', {
                ...OURS,
                'expires-at': '2999-01-01T00:00:00.000Z',
              });
              harness.rds.snapshots.retag('certctl-premaint-c-old', {
                'expires-at': new Date(Date.now() - 3_600_000).toISOString(),
              });
              return listed;
            },
          })),
        };
      },
    };

    // Act
    const result = await pruneRecorded({ apply: true }, { ...harness.deps(), clouds: [retagged] });

    // Assess
    const ids = harness.rds.snapshots.snapshots().map((s) => s.id);
    expect(ids).toContain('certctl-premaint-a-old');
    expect(ids).toContain('certctl-premaint-c-old');
    expect(result.deleted).toBe(0);
    const byId = Object.fromEntries(result.entries.map((e) => [e.snapshotId, e]));
    expect(byId['certctl-premaint-a-old']?.decision).toBe('keep');
    expect(byId['certctl-premaint-a-old']?.reason).toBe(
      'changed since the listing: expires 2999-01-01T00:00:00.000Z',
    );
    expect(byId['certctl-premaint-c-old']?.decision).toBe('keep');
    expect(byId['certctl-premaint-c-old']?.reason).toBe(
      'changed since the listing: no longer tagged as made by backup-guard',
    );
  });
});

describe('prune of snapshots shared with another account', () => {
  const LIVE = { ...OURS, 'expires-at': '2999-01-01T00:00:00.000Z' };
  /** A snapshot of ours in eu-west-1 of `target` taken `createdAt` ago, tagged `tags` (expired). */
  const ours = (
    id: string,
    target: string,
    createdAt: string,
    more: { sharedWith?: string[]; attributesDenied?: boolean; kind?: 'cluster' } = {},
    tags: Record<string, string> = EXPIRED,
  ) => ({ id, target, region: 'eu-west-1', createdAt, tags, ...more });

  it('keeps an expired snapshot shared with another account and a public one, leaves one whose sharing it may not read undecided, and deletes an unshared one as before', async () => {
    // Prepare: each target keeps a newer snapshot of ours; four expired older ones.
    const local = await startSnapshotHarness(
      snapshotScenario({
        existing: [
          ours('certctl-premaint-s-dr', 'certctl-prod-db', '-40d', { sharedWith: ['222222222222'] }),
          ours('certctl-premaint-s-locked', 'certctl-prod-db', '-35d', { attributesDenied: true }),
          ours('certctl-premaint-s-plain', 'certctl-prod-db', '-30d'),
          ours('certctl-premaint-s-new', 'certctl-prod-db', '-1d', {}, LIVE),
          ours('certctl-premaint-c-public', 'certctl-aurora', '-30d', {
            kind: 'cluster',
            sharedWith: ['all'],
          }),
          ours('certctl-premaint-c-new', 'certctl-aurora', '-2d', { kind: 'cluster' }, LIVE),
        ],
      }),
    );
    try {
      // Act
      const result = await pruneRecorded({ apply: true }, local.deps());

      // Assess
      const remaining = local.rds.snapshots
        .snapshots()
        .map((s) => s.id)
        .sort();
      expect(remaining).toEqual([
        'certctl-premaint-c-new',
        'certctl-premaint-c-public',
        'certctl-premaint-s-dr',
        'certctl-premaint-s-locked',
        'certctl-premaint-s-new',
      ]);
      expect(result).toMatchObject({ deleted: 1, pending: 0, kept: 4, undecided: 1 });
      const byId = Object.fromEntries(result.entries.map((e) => [e.snapshotId, e]));
      expect(byId['certctl-premaint-s-dr']).toMatchObject({
        decision: 'keep',
        sharedWith: ['222222222222'],
        unshare:
          'aws rds modify-db-snapshot-attribute --db-snapshot-identifier certctl-premaint-s-dr --attribute-name restore --values-to-remove 222222222222 --region eu-west-1',
      });
      expect(byId['certctl-premaint-c-public']).toMatchObject({
        decision: 'keep',
        sharedWith: ['all'],
        unshare:
          'aws rds modify-db-cluster-snapshot-attribute --db-cluster-snapshot-identifier certctl-premaint-c-public --attribute-name restore --values-to-remove all --region eu-west-1',
      });
      expect(byId['certctl-premaint-c-public']?.reason).toContain('public');
      expect(byId['certctl-premaint-s-locked']).toMatchObject({
        decision: 'undecided',
        error: { code: 'AccessDenied' },
      });
      expect(byId['certctl-premaint-s-locked']?.reason).toContain('(AccessDenied: ');
      expect(byId['certctl-premaint-s-locked']?.reason).toContain('not proven unshared: not deleted');
      expect(byId['certctl-premaint-s-plain']).toMatchObject({ decision: 'delete', deleted: true });
    } finally {
      await local.close();
    }
  });
});

describe('prune of snapshots listed without the resource id of their database', () => {
  it('deletes no successful snapshot a newer one of that name would let go when DbiResourceId or DbClusterResourceId was not sent, and still deletes a failed one', async () => {
    // Prepare: RDS lists these snapshots without DbiResourceId / DbClusterResourceId (not always
    // sent): certctl-prod-db and certctl-aurora may each have been deleted and created again
    // between two of them, and an older one may be the last restore point of the earlier one.
    const notSent = (id: string, createdAt: string, more: { kind?: 'cluster'; status?: 'failed' } = {}) => ({
      id,
      target: more.kind === 'cluster' ? 'certctl-aurora' : 'certctl-prod-db',
      region: 'eu-west-1',
      createdAt,
      tags: EXPIRED,
      resourceIdSent: false,
      ...more,
    });
    const local = await startSnapshotHarness(
      snapshotScenario({
        existing: [
          notSent('certctl-premaint-u-old', '-40d'),
          notSent('certctl-premaint-u-failed', '-30d', { status: 'failed' }),
          notSent('certctl-premaint-u-new', '-20d'),
          notSent('certctl-premaint-uc-old', '-30d', { kind: 'cluster' }),
          notSent('certctl-premaint-uc-new', '-2d', { kind: 'cluster' }),
        ],
      }),
    );
    try {
      // Act
      const result = await pruneRecorded({ apply: true }, local.deps());

      // Assess: only the failed one goes; the older successful ones are kept naming what was not sent.
      const remaining = local.rds.snapshots
        .snapshots()
        .map((s) => s.id)
        .sort();
      expect(remaining).toEqual([
        'certctl-premaint-u-new',
        'certctl-premaint-u-old',
        'certctl-premaint-uc-new',
        'certctl-premaint-uc-old',
      ]);
      expect(result).toMatchObject({ deleted: 1, kept: 4, pending: 0 });
      const reasons = Object.fromEntries(result.entries.map((e) => [e.snapshotId, e.reason]));
      expect(reasons['certctl-premaint-u-old']).toMatch(
        /^its DbiResourceId was not sent \(DescribeDBSnapshots\), .* `aws rds describe-db-snapshots --region eu-west-1 --db-instance-identifier certctl-prod-db /,
      );
      expect(reasons['certctl-premaint-uc-old']).toMatch(
        /^its DbClusterResourceId was not sent \(DescribeDBClusterSnapshots\), .* `aws rds describe-db-cluster-snapshots --region eu-west-1 --db-cluster-identifier certctl-aurora /,
      );
      expect(reasons['certctl-premaint-u-new']).toBe('newest successful snapshot of certctl-prod-db');
    } finally {
      await local.close();
    }
  });
});
