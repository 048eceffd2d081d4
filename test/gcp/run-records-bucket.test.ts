/**
 * The run records in the GCP records bucket (functions/gcp/run-records-bucket.ts) against the
 * simulator's Cloud Storage: what prune reads back, and what it refuses to take as absent or as proof.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendSnapshot } from '../../functions/actions/snapshot/backend.ts';
import type { SnapshotRunRecord } from '../../functions/actions/snapshot/run-records.ts';
import {
  cloudStorageRunRecords,
  SNAPSHOT_RUN_RECORDS_PREFIX,
} from '../../functions/gcp/run-records-bucket.ts';
import { type Sim, startSim } from '../sim/server.ts';

const BUCKET = 'certctl-ops-certctl-chat-requests';
const PLACE = { provider: 'gcp', account: 'certctl-prod', region: '*' } as const;
const RECORD: SnapshotRunRecord = {
  provider: 'gcp',
  account: 'certctl-prod',
  region: '*',
  kind: 'cloudsql-instance',
  target: 'certctl-pg',
  snapshotId: 'certctl-premaint-certctl-pg-0123456789',
  ref: 'https://sqladmin.googleapis.com/v1/projects/certctl-prod/instances/certctl-pg/backupRuns/7',
};
const SNAPSHOT: BackendSnapshot = {
  id: RECORD.snapshotId,
  kind: 'cloudsql-instance',
  target: 'certctl-pg',
  status: 'available',
  tags: {},
};
const DAY_MS = 86_400_000;

let sim: Sim;
beforeAll(async () => {
  sim = await startSim({
    scenario: { services: { gcs: { buckets: [{ name: BUCKET, project: 'certctl-ops' }] } } },
  });
});
afterAll(async () => {
  await sim.close();
});

const store = () =>
  cloudStorageRunRecords({
    bucket: BUCKET,
    endpoint: sim.endpoint,
    retry: { initialDelayMs: 1, maxDelayMs: 2 },
  });

/** Put `body` where the record of {@link SNAPSHOT} is read from. */
async function putRaw(body: string): Promise<void> {
  const name = `${SNAPSHOT_RUN_RECORDS_PREFIX}gcp/certctl-prod/cloudsql-instance/certctl-pg/${RECORD.snapshotId}.json`;
  const answer = await fetch(
    `${sim.endpoint}/upload/storage/v1/b/${BUCKET}/o?${new URLSearchParams({ uploadType: 'media', name })}`,
    { method: 'POST', body, headers: { 'content-type': 'application/json' } },
  );
  expect(answer.status).toBe(200);
}

describe('run records in the GCP records bucket', () => {
  it('reads back the record written, ref included, and none for a backup no record names', async () => {
    // Prepare
    await store().write(RECORD, new Date(Date.now() + 30 * DAY_MS));

    // Act
    const found = await store().read(PLACE, [
      SNAPSHOT,
      { ...SNAPSHOT, id: 'certctl-premaint-certctl-pg-other' },
    ]);

    // Assess
    expect(found).toEqual([RECORD]);
  });

  it('ignores a record past its keep time, as if the lifecycle rule had deleted it', async () => {
    // Prepare
    await store().write(RECORD, new Date(Date.now() - 1000));

    // Act
    const found = await store().read(PLACE, [SNAPSHOT]);

    // Assess
    expect(found).toEqual([]);
  });

  it.each([
    ['not JSON', 'certctl'],
    ['JSON without a keep time', JSON.stringify(RECORD)],
    [
      'a record of an unknown kind',
      JSON.stringify({ ...RECORD, kind: 'disk', keepUntil: '2999-01-01T00:00:00.000Z' }),
    ],
  ])('fails the read, never taking it as absent, when the object is %s', async (_, body) => {
    // Prepare
    await putRaw(body);

    // Act
    const read = store().read(PLACE, [SNAPSHOT]);

    // Assess
    await expect(read).rejects.toMatchObject({ name: 'CloudStorageApiError', code: 'NotARunRecord' });
  });
});
