/**
 * A {@link SnapshotBackend} for unit tests: no quota, errors coded by their name and classified as
 * `other`, no manual snapshots listed, a create answered with a `creating` snapshot of that name,
 * polls answering the snapshots as they are, a snapshot read again still there and available, deletes accepted. A test overrides what it is about.
 */
import type { SnapshotBackend, SnapshotCloud } from '../../../functions/actions/snapshot/backend.ts';
import type { SnapshotRunRecords } from '../../../functions/actions/snapshot/run-records.ts';
import { type PruneJobDependencies, type PruneRequest, runPruneJob } from '../../../functions/jobs/prune.ts';

/**
 * Run records naming every snapshot prune asks about, for tests whose snapshots are all ours and
 * that are about another rule of prune (a snapshot no run record names is kept: prune.ts).
 */
export const EVERY_SNAPSHOT_RECORDED: SnapshotRunRecords = {
  where: 'the test',
  read: async (place, snapshots) =>
    snapshots.map((snapshot) => ({
      provider: place.provider,
      account: place.account,
      region: place.region,
      kind: snapshot.kind,
      target: snapshot.target,
      snapshotId: snapshot.id,
      ref: snapshot.ref,
    })),
};

/** The prune job with {@link EVERY_SNAPSHOT_RECORDED} unless `deps` gives its own run records. */
export function pruneRecorded(request: PruneRequest, deps: PruneJobDependencies) {
  return runPruneJob(request, { runRecords: EVERY_SNAPSHOT_RECORDED, ...deps });
}

/**
 * A {@link SnapshotCloud.snapshotKeys} that finds every snapshot unencrypted, for fake clouds in
 * tests not about keys: a cloud without a reader has its snapshots' keys judged not read (UNKNOWN).
 */
export const UNENCRYPTED_SNAPSHOTS: NonNullable<SnapshotCloud['snapshotKeys']> = () => async () => ({
  kind: 'none',
});

export function fakeBackend(overrides: Partial<SnapshotBackend> = {}): SnapshotBackend {
  return {
    quotaApplies: false,
    codeOf: (error) => (error as Error).name,
    classify: () => 'other',
    listManual: async () => [],
    create: async (target, snapshotId) => ({
      id: snapshotId,
      kind: target.kind,
      target: target.id,
      status: 'creating',
      tags: {},
    }),
    poll: async (snapshots) => [...snapshots],
    describe: async (snapshot) => ({ ...snapshot, status: 'available', tags: {} }),
    delete: async () => undefined,
    ...overrides,
  };
}
