/**
 * The Cloud SQL snapshot backend's poll over a fake Cloud SQL Admin API: once the backup's
 * operation is DONE without an error, the backup run's own status decides what the snapshot is,
 * and a run whose status is not known is never claimed available.
 */
import { describe, expect, it } from 'vitest';
import type { BackendSnapshot } from '../../../functions/actions/snapshot/backend.ts';
import { cloudSqlSnapshotBackend, describeBackup } from '../../../functions/actions/snapshot/gcp.ts';
import type { CloudSqlBackupsApi } from '../../../functions/gcp/cloud-sql-backups.ts';

const PROJECT = 'proj';
const SNAPSHOT_ID = 'bg-certctl-pg-chg-42';
const RUN_ID = '1800000000001';

/** A fake API whose operation is DONE (no error) and whose listing holds `runs`. */
function fakeApi(runs: Record<string, unknown>[], backupId: string | undefined = RUN_ID): CloudSqlBackupsApi {
  return {
    insert: async () => [{}],
    delete: async () => [{}],
    getOperation: async () => [
      { name: 'op-1', status: 'DONE', ...(backupId ? { backupContext: { backupId } } : {}) } as never,
    ],
    list: async () => [{ items: runs as never }],
  };
}

const run = (status: string | undefined, more: Record<string, unknown> = {}) => ({
  id: RUN_ID,
  instance: 'certctl-pg',
  type: 'ON_DEMAND',
  ...(status ? { status } : {}),
  description: describeBackup(SNAPSHOT_ID, { ticket: 'CHG-42' }),
  startTime: '2026-12-03T07:00:00Z',
  ...more,
});

const pending: BackendSnapshot = {
  id: SNAPSHOT_ID,
  kind: 'cloudsql-instance',
  target: 'certctl-pg',
  status: 'creating',
  tags: { ticket: 'CHG-42' },
  handle: 'op-1',
};

async function pollOnce(api: CloudSqlBackupsApi): Promise<BackendSnapshot | undefined> {
  const [state] = await cloudSqlSnapshotBackend(api, PROJECT).poll([pending]);
  return state;
}

describe('Cloud SQL snapshot backend: a DONE backup operation', () => {
  it('is available when its backup run says SUCCESSFUL', async () => {
    const state = await pollOnce(fakeApi([run('SUCCESSFUL')]));
    expect(state).toMatchObject({ id: SNAPSHOT_ID, status: 'available', handle: `run:${RUN_ID}` });
  });

  it('is failed, never available, when its backup run says FAILED, with the run error as the reason', async () => {
    const state = await pollOnce(
      fakeApi([run('FAILED', { error: { code: 'BACKUP_FAILED', message: 'disk full' } })]),
    );
    expect(state?.status).toBe('failed');
    expect(state?.failure).toContain('disk full');
  });

  it('is failed when its backup run says SKIPPED (numeric enums, as the REST fallback sends them)', async () => {
    // SqlBackupRunStatus SKIPPED = 6 in the protos.
    const state = await pollOnce(fakeApi([run(undefined, { status: 6 })]));
    expect(state?.status).toBe('failed');
  });

  it('is not claimed available when the backup run is not listed, nor when its status is unknown', async () => {
    expect((await pollOnce(fakeApi([])))?.status).not.toBe('available');
    expect((await pollOnce(fakeApi([run(undefined)])))?.status).not.toBe('available');
    expect((await pollOnce(fakeApi([run('RUNNING')])))?.status).toBe('creating');
  });

  it('is judged by its run found by description when the operation names no backup id', async () => {
    expect((await pollOnce(fakeApi([run('FAILED')], undefined)))?.status).toBe('failed');
    expect((await pollOnce(fakeApi([run('SUCCESSFUL')], undefined)))?.status).toBe('available');
    expect((await pollOnce(fakeApi([], undefined)))?.status).not.toBe('available');
  });
});
