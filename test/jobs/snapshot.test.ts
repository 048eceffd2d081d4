/**
 * The snapshot job's wiring over a fake cloud: what it asks the cloud for and hands to the action.
 */
import { describe, expect, it } from 'vitest';
import type {
  SnapshotBackend,
  SnapshotCloud,
  TargetsOptions,
} from '../../functions/actions/snapshot/backend.ts';
import type { SnapshotTarget } from '../../functions/actions/snapshot/model.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { runSnapshotJob } from '../../functions/jobs/snapshot.ts';

const TARGET: SnapshotTarget = {
  provider: 'aws',
  kind: 'rds-instance',
  account: '111111111111',
  region: 'eu-west-1',
  id: 'certctl-db',
};

describe('runSnapshotJob', () => {
  it('asks for the manual snapshots with the targets and checks the quota on them without listing again', async () => {
    // Prepare: the region is full (quota 1, one snapshot listed with the targets); listing again fails.
    const asked: TargetsOptions[] = [];
    const backend: SnapshotBackend = {
      quotaApplies: true,
      codeOf: (error) => (error as Error).name,
      classify: () => 'other',
      listManual: async () => {
        throw new Error('listed again before the creates');
      },
      create: async () => {
        throw new Error('created over the quota');
      },
      poll: async () => [],
      delete: async () => undefined,
    };
    const cloud: SnapshotCloud = {
      provider: 'aws',
      targets: async (_selection, options = {}) => {
        asked.push(options);
        return {
          targets: [TARGET],
          problems: [],
          manualSnapshots: [
            {
              provider: 'aws',
              account: TARGET.account,
              region: TARGET.region,
              kind: 'rds-instance',
              snapshots: [
                { id: 'nightly-1', kind: 'rds-instance', target: 'other', status: 'available', tags: {} },
              ],
            },
          ],
        };
      },
      backend: () => backend,
      maintenance: async () => ({ upcoming: [], problems: [] }),
      snapshotPlaces: async () => ({ places: [], problems: [] }),
    };

    // Act
    const result = await runSnapshotJob(
      { requestId: 'CHG-1', reason: 'CA rotation', requestedBy: 'alice', wait: false },
      { policy: parsePolicy({ snapshots: { quotaPerRegion: 1 } }), clouds: [cloud] },
    );

    // Assess
    expect(asked).toEqual([{ withManualSnapshots: true }]);
    expect(result.results.map((entry) => entry.outcome)).toEqual(['quota']);
    expect(result.results[0]?.error?.message).toContain('holds 1 manual DB snapshots of a quota of 1');
  });
});
