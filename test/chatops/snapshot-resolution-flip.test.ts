/**
 * The same chat snapshot (one ticket, no database named) asked again while a scope that was read the
 * first time is not read now, or the reverse: the databases found both times already have their
 * snapshot of this ticket, and must not get a second one.
 */
import { describe, expect, it } from 'vitest';
import type {
  BackendSnapshot,
  SnapshotBackend,
  SnapshotCloud,
} from '../../functions/actions/snapshot/backend.ts';
import type { SnapshotTarget } from '../../functions/actions/snapshot/model.ts';
import { cloudChatJobs } from '../../functions/chatops/job-actions.ts';
import { type RequestRecordStore, runOncePerKey } from '../../functions/chatops/once.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { fakeBackend, UNENCRYPTED_SNAPSHOTS } from '../actions/snapshot/fake-backend.ts';

const IRELAND: SnapshotTarget = {
  provider: 'aws',
  kind: 'rds-instance',
  account: '111111111111',
  region: 'eu-west-1',
  id: 'certctl-db',
  resourceId: 'db-IRELAND',
};
const VIRGINIA: SnapshotTarget = {
  ...IRELAND,
  region: 'us-east-1',
  id: 'certctl-ra-db',
  resourceId: 'db-VIRGINIA',
};

function memoryRecords(): RequestRecordStore {
  const records = new Map<string, { record: never; version: string }>();
  let versions = 0;
  return {
    async create(key, record) {
      if (records.has(key)) return undefined;
      const version = String(++versions);
      records.set(key, { record: record as never, version });
      return version;
    },
    async read(key) {
      return records.get(key);
    },
    async replace(key, record, version) {
      if (records.get(key)?.version !== version) return false;
      records.set(key, { record: record as never, version: String(++versions) });
      return true;
    },
    async remove(key, version) {
      if (records.get(key)?.version === version) records.delete(key);
    },
  };
}

/** A cloud of two regions whose snapshots live in memory; `virginiaRead` says whether us-east-1 is read. */
function twoRegions(state: { virginiaRead: boolean }) {
  const snapshots: BackendSnapshot[] = [];
  const creates: string[] = [];
  const backend = (region: string): SnapshotBackend =>
    fakeBackend({
      listManual: async () => snapshots.filter((snapshot) => snapshot.ref === region),
      create: async (target, snapshotId, tags) => {
        creates.push(`${target.id}:${snapshotId}`);
        const made: BackendSnapshot = {
          id: snapshotId,
          kind: target.kind,
          target: target.id,
          sourceResourceId: target.resourceId,
          status: 'available',
          createdAt: new Date(),
          ref: region,
          tags: { ...tags },
        };
        snapshots.push(made);
        return made;
      },
      poll: async (asked) => snapshots.filter((snapshot) => asked.some((entry) => entry.id === snapshot.id)),
      describe: async (asked) => snapshots.find((snapshot) => snapshot.id === asked.id),
    });
  const cloud: SnapshotCloud = {
    provider: 'aws',
    targets: async () =>
      state.virginiaRead
        ? { targets: [IRELAND, VIRGINIA], problems: [] }
        : { targets: [IRELAND], problems: ['111111111111/us-east-1: not read (Throttling)'] },
    backend: (scope) => backend(scope.region),
    maintenance: async () => ({ upcoming: [], problems: [] }),
    snapshotPlaces: async () => ({ places: [], problems: [] }),
    snapshotKeys: UNENCRYPTED_SNAPSHOTS,
  };
  return { cloud, creates };
}

describe('a chat snapshot of the policy’s databases asked again', () => {
  it.each([
    ['every region read, then one not read', true, false],
    ['one region not read, then every region read', false, true],
  ])('takes no second snapshot of a database it already snapshotted (%s)', async (_name, first, second) => {
    // Prepare
    const state = { virginiaRead: first };
    const { cloud, creates } = twoRegions(state);
    const store = memoryRecords();
    const policy = parsePolicy({ aws: { regions: ['eu-west-1', 'us-east-1'] } });
    const jobs = cloudChatJobs({
      policy,
      providers: ['aws'],
      clouds: () => [cloud],
      audit: {},
      once: (key, run) => runOncePerKey(key, run, store, { keepMs: 86_400_000, claimMs: 60_000 }),
      lastAudit: async () => ({ unavailable: 'none' }),
    });
    const ask = (acceptedAt: string) =>
      jobs.snapshotOnce(
        {
          requestId: 'a'.repeat(64),
          reason: 'CA rotation',
          ticket: 'CHG-9',
          requestedBy: 'slack:T1/U1',
          wait: true,
          acceptedAt,
        },
        () => undefined,
        undefined,
      );

    // Act: the ticket asked, then asked again once the first answer came.
    await ask(new Date(Date.now() - 60_000).toISOString());
    state.virginiaRead = second;
    const again = await ask(new Date(Date.now() + 1_000).toISOString());

    // Assess: certctl-db was snapshotted once, and the second answer reports that snapshot.
    expect(creates.filter((create) => create.startsWith('certctl-db:'))).toHaveLength(1);
    if ('inProgress' in again) throw new Error('unexpectedly in progress');
    const ireland = again.result.results.find((entry) => entry.target.id === 'certctl-db');
    expect(ireland?.outcome).toBe('available');
  });
});
