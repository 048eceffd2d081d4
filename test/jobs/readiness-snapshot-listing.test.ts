/**
 * The snapshot gate's listings over Cloud SQL when one instance's backup runs cannot be listed:
 * backupRuns.list is per instance, so only that instance's snapshots are unknown; the others are
 * judged on their own listings, not on another instance's error.
 */
import { describe, expect, it } from 'vitest';
import type { SnapshotCloud } from '../../functions/actions/snapshot/backend.ts';
import { cloudSqlSnapshotBackend, describeBackup } from '../../functions/actions/snapshot/gcp.ts';
import { SNAPSHOT_TAGS } from '../../functions/actions/snapshot/model.ts';
import type { ResourceRef } from '../../functions/core/finding.ts';
import type { CloudSqlBackupsApi } from '../../functions/gcp/cloud-sql-backups.ts';
import { snapshotListingKey, snapshotsByTarget } from '../../functions/jobs/readiness.ts';

const PROJECT = 'certctl-prod';

const instance = (id: string): ResourceRef => ({
  provider: 'gcp',
  account: PROJECT,
  region: 'europe-west1',
  type: 'GcpCloudSqlInstance',
  id,
});

/** backupRuns.list: one backup of ours per instance, except `broken`, whose listing fails (UNAVAILABLE). */
function api(broken: string): CloudSqlBackupsApi {
  return {
    list: async (request) => {
      if (request.instance === broken) {
        throw Object.assign(new Error('The service is currently unavailable.'), { code: 14 });
      }
      return [
        {
          items: [
            {
              id: '1800000000001',
              instance: request.instance,
              type: 'ON_DEMAND',
              status: 'SUCCESSFUL',
              startTime: '2026-12-06T01:00:00Z',
              description: describeBackup(`certctl-premaint-${request.instance}-0123456789`, {
                [SNAPSHOT_TAGS.expiresAt]: '2026-12-20T00:00:00.000Z',
              }),
            },
          ] as never,
        },
      ];
    },
    insert: async () => [{}],
    get: async () => [{}],
    delete: async () => [{}],
    getOperation: async () => [{}],
    getInstance: async () => [{}],
  };
}

describe('snapshotsByTarget over Cloud SQL when one instance’s backup runs cannot be listed', () => {
  it('keeps the other instances’ listings and gives the error to that instance alone', async () => {
    // Prepare
    const backend = cloudSqlSnapshotBackend(api('certctl-pg-b'), PROJECT);
    const cloud = { provider: 'gcp', backend: () => backend } as unknown as SnapshotCloud;
    const targets = ['certctl-pg-a', 'certctl-pg-b'].map(instance);

    // Act
    const listed = await snapshotsByTarget(targets, [cloud]);

    // Assess
    const [a, b] = targets.map((target) =>
      listed.get(snapshotListingKey({ ...target, kind: 'cloudsql-instance' })),
    );
    expect(a).toBeInstanceOf(Array);
    expect((a as readonly { id: string }[]).map((snapshot) => snapshot.id)).toEqual([
      'certctl-premaint-certctl-pg-a-0123456789',
    ]);
    expect(b).toBeInstanceOf(Error);
    expect((b as Error).message).toBe('The service is currently unavailable.');
  });
});
