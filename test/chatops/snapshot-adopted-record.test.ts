/**
 * A chat snapshot asked again after an earlier ask created the snapshot and died before recording it:
 * the re-run adopts the snapshot and records it only when the cloud created it no earlier than the
 * request's first acceptance (the start of the once-record the dead run left).
 */
import { describe, expect, it } from 'vitest';
import type { BackendSnapshot, SnapshotCloud } from '../../functions/actions/snapshot/backend.ts';
import {
  requestIdTag,
  type SnapshotTarget,
  snapshotIdentifier,
} from '../../functions/actions/snapshot/model.ts';
import type { SnapshotRunRecord } from '../../functions/actions/snapshot/run-records.ts';
import { cloudChatJobs } from '../../functions/chatops/job-actions.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { ticketSnapshotNamesKey } from '../../functions/jobs/snapshot-once.ts';
import { fakeBackend, UNENCRYPTED_SNAPSHOTS } from '../actions/snapshot/fake-backend.ts';

const TARGET: SnapshotTarget = {
  provider: 'aws',
  kind: 'rds-instance',
  account: '111111111111',
  region: 'eu-west-1',
  id: 'certctl-db',
  resourceId: 'db-CERTCTL',
};
const NAMES_KEY = ticketSnapshotNamesKey('CHG-9') as string;
const SNAPSHOT_ID = snapshotIdentifier(TARGET, NAMES_KEY);
const CREATED = new Date('2026-12-06T10:00:20.000Z');

/** Ask CHG-9 again at 11:00, the once-store saying an earlier run's record started at `recordStart`. */
async function askAgain(recordStart: Date | undefined) {
  const existing: BackendSnapshot = {
    id: SNAPSHOT_ID,
    kind: 'rds-instance',
    target: 'certctl-db',
    sourceResourceId: 'db-CERTCTL',
    status: 'available',
    createdAt: CREATED,
    ref: `arn:aws:rds:eu-west-1:111111111111:snapshot:${SNAPSHOT_ID}`,
    tags: { purpose: 'certctl-pre-maintenance', 'request-id': requestIdTag(NAMES_KEY) },
  };
  const backend = fakeBackend({
    listManual: async () => [existing],
    poll: async () => [existing],
    describe: async () => existing,
    create: async () => {
      throw new Error('a re-run must adopt, not create');
    },
  });
  const cloud: SnapshotCloud = {
    provider: 'aws',
    targets: async () => ({ targets: [TARGET], problems: [] }),
    backend: () => backend,
    maintenance: async () => ({ upcoming: [], problems: [] }),
    snapshotPlaces: async () => ({ places: [], problems: [] }),
    snapshotKeys: UNENCRYPTED_SNAPSHOTS,
  };
  const written: SnapshotRunRecord[] = [];
  const jobs = cloudChatJobs({
    policy: parsePolicy({ aws: { regions: ['eu-west-1'] } }),
    providers: ['aws'],
    clouds: () => [cloud],
    audit: {},
    once: async (_key, run) => ({ firstRun: true, result: await run(recordStart) }),
    lastAudit: async () => ({ unavailable: 'none' }),
    runRecords: {
      where: 'the test table',
      write: async (record) => void written.push(record),
      read: async () => [],
    },
  });
  const outcome = await jobs.snapshotOnce(
    {
      requestId: 'a'.repeat(64),
      reason: 'CA rotation',
      ticket: 'CHG-9',
      requestedBy: 'slack:T1/U1',
      wait: true,
      acceptedAt: '2026-12-06T11:00:00.000Z',
    },
    () => undefined,
    undefined,
  );
  if ('inProgress' in outcome) throw new Error('unexpectedly in progress');
  return { result: outcome.result.results[0], written };
}

describe('a chat snapshot adopted from an earlier ask of the same ticket that died before recording it', () => {
  it('is recorded when the cloud created it after the first acceptance the once-record keeps', async () => {
    // Act: the dead ask was accepted at 10:00; its snapshot was created at 10:00:20.
    const { result, written } = await askAgain(new Date('2026-12-06T10:00:00.000Z'));

    // Assess
    expect(result).toMatchObject({ outcome: 'available', attempts: 0, snapshotId: SNAPSHOT_ID });
    expect(result?.notRecorded).toBeUndefined();
    expect(written.map((record) => record.snapshotId)).toEqual([SNAPSHOT_ID]);
  });

  it('is not recorded when nothing says the request was accepted before it was created, and says so', async () => {
    // Act: no once-record start; this ask came at 11:00, after the snapshot was created.
    const { result, written } = await askAgain(undefined);

    // Assess
    expect(written).toEqual([]);
    expect(result?.notRecorded).toBe(
      `adopted, not recorded: the cloud created ${SNAPSHOT_ID} at 2026-12-06T10:00:20.000Z, before this request was first accepted at 2026-12-06T11:00:00.000Z, so this request did not take it; prune keeps it (delete it by hand once you know whose it is)`,
    );
  });
});
