/**
 * takeSnapshots over the Cloud SQL backend when one instance's backup runs cannot be listed: Cloud
 * SQL lists backup runs per instance (backupRuns.list), so that failure is the instance's, and the
 * other instances of the project still get their backups.
 */
import { describe, expect, it } from 'vitest';
import { cloudSqlSnapshotBackend } from '../../../functions/actions/snapshot/gcp.ts';
import type { SnapshotTarget } from '../../../functions/actions/snapshot/model.ts';
import { takeSnapshots } from '../../../functions/actions/snapshot/run.ts';
import { parsePolicy } from '../../../functions/core/policy.ts';
import type { CloudSqlBackupsApi } from '../../../functions/gcp/cloud-sql-backups.ts';

const PROJECT = 'certctl-prod';

const target = (id: string): SnapshotTarget => ({
  provider: 'gcp',
  kind: 'cloudsql-instance',
  account: PROJECT,
  region: 'europe-west1',
  id,
  createdAt: '2026-01-01T00:00:00Z',
});

/** Cloud SQL whose backupRuns.list of `broken` fails with gRPC UNAVAILABLE (14) after the retries. */
function api(broken: string, inserted: string[]): CloudSqlBackupsApi {
  return {
    insert: async (request) => {
      inserted.push(String(request.instance));
      return [{ name: `op-${request.instance}` }];
    },
    list: async (request) => {
      if (request.instance === broken) {
        throw Object.assign(new Error('The service is currently unavailable.'), { code: 14 });
      }
      return [{ items: [] }];
    },
    get: async () => {
      throw new Error('not read in this test');
    },
    delete: async () => [{}],
    getOperation: async () => [{}],
    getInstance: async () => [{}],
  };
}

describe('takeSnapshots over Cloud SQL when one instance’s backup runs cannot be listed', () => {
  it('takes the other instances’ backups and answers only that instance with the listing’s error', async () => {
    // Prepare
    const inserted: string[] = [];
    const backend = cloudSqlSnapshotBackend(api('certctl-pg-b', inserted), PROJECT);
    const targets = ['certctl-pg-a', 'certctl-pg-b', 'certctl-pg-c'].map(target);

    // Act
    const results = await takeSnapshots(
      { requestId: 'r-1', reason: 'CA rotation', requestedBy: 'alice', wait: false },
      targets,
      { policy: parsePolicy({}).snapshots, backendFor: () => backend },
    );

    // Assess
    expect(results.map((result) => [result.target.id, result.outcome, result.error?.code])).toEqual([
      ['certctl-pg-a', 'creating', undefined],
      ['certctl-pg-b', 'error', 'UNAVAILABLE'],
      ['certctl-pg-c', 'creating', undefined],
    ]);
    expect(results[1]?.error?.message).toContain('The service is currently unavailable.');
    expect(inserted.sort()).toEqual(['certctl-pg-a', 'certctl-pg-c']);
  });
});
