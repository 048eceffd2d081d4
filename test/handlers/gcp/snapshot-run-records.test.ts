/**
 * The GCP `snapshot` function records each Cloud SQL backup it takes in its records bucket
 * (functions/gcp/run-records-bucket.ts), on a snapshot request and on a maintenance scan, so prune
 * deletes that backup once it expires: the provenance rule of functions/actions/snapshot/run-records.ts,
 * with the store the GCP deployment already has, not the DynamoDB table only AWS has.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gcpSnapshotCloud } from '../../../functions/actions/snapshot/gcp.ts';
import { type Policy, parsePolicy } from '../../../functions/core/policy.ts';
import { snapshotRecordsOf } from '../../../functions/gcp/chat-records.ts';
import { GcpClientFactory } from '../../../functions/gcp/clients.ts';
import { runRecordsBucketOf } from '../../../functions/gcp/run-records-bucket.ts';
import { parseSnapshotFunctionRequest, snapshotFunction } from '../../../functions/handlers/gcp/snapshot.ts';
import type { MaintenanceJobResult } from '../../../functions/jobs/maintenance.ts';
import { runPruneJob } from '../../../functions/jobs/prune.ts';
import type { SnapshotJobResult } from '../../../functions/jobs/snapshot.ts';
import { cloudSqlScenario, instance, PROJECT, startGcpSim } from '../../gcp/sim-setup.ts';
import type { Sim } from '../../sim/server.ts';

const BUCKET = 'ops-certctl-chat-requests';
const DAY_MS = 86_400_000;

let sim: Sim;
let gcp: GcpClientFactory;
let policy: Policy;

beforeEach(async () => {
  const scenario = cloudSqlScenario([
    instance('certctl-pg', {
      onDemandBackups: { durationMs: 100 },
      scheduledMaintenance: { start: '+1d', deadline: '+8d' },
    }),
  ]);
  ({ sim } = await startGcpSim(
    { ...scenario, services: { ...scenario.services, gcs: { buckets: [{ name: BUCKET }] } } },
    { clock: () => new Date() },
  ));
  gcp = new GcpClientFactory({ endpoint: sim.endpoint });
  policy = parsePolicy({
    gcp: { projects: [PROJECT] },
    snapshots: { pollInitialSeconds: 0.05, pollMaxSeconds: 0.1, waitMinutes: 0.2, expiryDays: 1 },
  });
});

afterEach(async () => {
  await gcp.close();
  await sim.close();
});

/** The function's dependencies as createSnapshotHandler makes them with its records bucket. */
const deps = () => ({
  policy,
  gcp,
  records: snapshotRecordsOf(gcp, BUCKET),
  runRecords: runRecordsBucketOf(gcp, BUCKET),
});

const snapshotRequest = (requestId: string) =>
  parseSnapshotFunctionRequest(
    JSON.stringify({ action: 'snapshot', requestId, reason: 'CA rotation', requestedBy: 'bob' }),
  );

/** A dry-run prune two days on (the backups expired after one), reading the records bucket. */
function pruneLater() {
  return runPruneJob(
    {},
    {
      policy,
      clouds: [gcpSnapshotCloud({ policy, clients: gcp })],
      runRecords: { gcp: runRecordsBucketOf(gcp, BUCKET) },
      now: () => new Date(Date.now() + 2 * DAY_MS),
    },
  );
}

describe('snapshot function run records', () => {
  it('records the backup a snapshot request takes, so prune deletes it once it expired', async () => {
    // Prepare: two requests, the second's backup the newest (kept as the restore point).
    const first = (await snapshotFunction(snapshotRequest('CHG-1'), deps())) as SnapshotJobResult;
    await snapshotFunction(snapshotRequest('CHG-2'), deps());

    // Act
    const result = await pruneLater();

    // Assess
    const taken = first.results[0]?.snapshotId;
    expect(taken).toBeDefined();
    expect(result.entries.find((entry) => entry.snapshotId === taken)).toMatchObject({ decision: 'delete' });
    expect(result.problems).toEqual([]);
  });

  it('records the backup a maintenance scan takes, so prune deletes it once it expired', async () => {
    // Prepare: the scan's backup, then a request's (the newest).
    const scan = (await snapshotFunction(
      parseSnapshotFunctionRequest(JSON.stringify({ action: 'maintenance' })),
      deps(),
    )) as MaintenanceJobResult;
    await snapshotFunction(snapshotRequest('CHG-3'), deps());

    // Act
    const result = await pruneLater();

    // Assess
    const taken = scan.snapshots[0]?.snapshotId;
    expect(taken).toBeDefined();
    expect(result.entries.find((entry) => entry.snapshotId === taken)).toMatchObject({ decision: 'delete' });
  });
});
