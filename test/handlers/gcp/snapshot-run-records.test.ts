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
import {
  type MaintenanceJobResult,
  maintenanceRequestId,
  upcomingMaintenance,
} from '../../../functions/jobs/maintenance.ts';
import { runPruneJob } from '../../../functions/jobs/prune.ts';
import { runSnapshotJob, type SnapshotJobResult } from '../../../functions/jobs/snapshot.ts';
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

  it('records the backup a run that died before recording it took, when a re-send adopts it', async () => {
    // Prepare: the first delivery claims the request (accepted now), inserts the backup, and dies
    // before writing its run record: its claim is left, expired by the time the request is re-sent.
    const accepted = new Date(Date.now() - 1000);
    await diedHolding('CHG-4', accepted);
    const dead = await runSnapshotJob(
      { requestId: 'CHG-4', reason: 'CA rotation', requestedBy: 'bob' },
      { policy, clouds: [gcpSnapshotCloud({ policy, clients: gcp })] },
    );
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Act: the re-send adopts it; a later request's backup is then the newest (the restore point).
    const rerun = (await snapshotFunction(snapshotRequest('CHG-4'), deps())) as SnapshotJobResult;
    await snapshotFunction(snapshotRequest('CHG-5'), deps());
    const pruned = await pruneLater();

    // Assess: adopted, nothing inserted again, and recorded as ours, so prune deletes it once expired.
    const taken = dead.results[0]?.snapshotId;
    expect(rerun.results).toMatchObject([{ outcome: 'available', attempts: 0, snapshotId: taken }]);
    expect(rerun.results[0]?.notRecorded).toBeUndefined();
    expect(pruned.entries.find((entry) => entry.snapshotId === taken)).toMatchObject({ decision: 'delete' });
  });

  it('still does not record a same-named backup made before the request was first accepted', async () => {
    // Prepare: someone who predicted the name made the backup; then the request came, and its first
    // delivery died holding its claim.
    const forged = await runSnapshotJob(
      { requestId: 'CHG-6', reason: 'CA rotation', requestedBy: 'mallory' },
      { policy, clouds: [gcpSnapshotCloud({ policy, clients: gcp })] },
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    await diedHolding('CHG-6', new Date());

    // Act
    const rerun = (await snapshotFunction(snapshotRequest('CHG-6'), deps())) as SnapshotJobResult;

    // Assess: adopted, not recorded, and the result says why.
    const [entry] = rerun.results;
    expect(entry).toMatchObject({
      outcome: 'available',
      attempts: 0,
      snapshotId: forged.results[0]?.snapshotId,
    });
    expect(entry?.notRecorded).toMatch(
      /^adopted, not recorded: the cloud created .* before this request was first accepted at /,
    );
  });
});

describe('snapshot function run records after a claim that kept no acceptance (an earlier version’s)', () => {
  it('dates the request by the re-send’s own arrival, so a backup made under its name before is adopted, not recorded', async () => {
    // Prepare: someone who predicted the name made a backup; then the request's first delivery, by
    // a version whose claims kept no acceptance, died holding its claim (now expired).
    const forged = await runSnapshotJob(
      { requestId: 'CHG-8', reason: 'CA rotation', requestedBy: 'mallory' },
      { policy, clouds: [gcpSnapshotCloud({ policy, clients: gcp })] },
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const version = await snapshotRecordsOf(gcp, BUCKET).create('CHG-8', {
      status: 'INPROGRESS',
      expiresAt: new Date(Date.now() - 1).toISOString(),
    });
    expect(version).toBeDefined();
    const resent = Date.now();

    // Act
    const rerun = (await snapshotFunction(snapshotRequest('CHG-8'), deps())) as SnapshotJobResult;
    const pruned = await pruneLater();

    // Assess: adopted, not recorded; the acceptance it names is the re-send's own, later than any
    // backup made before it (the dead delivery's would not be recorded either: the safe side), and
    // prune keeps it.
    const [entry] = rerun.results;
    expect(entry).toMatchObject({
      outcome: 'available',
      attempts: 0,
      snapshotId: forged.results[0]?.snapshotId,
    });
    const accepted = /before this request was first accepted at (\S+), so this request did not take it/.exec(
      entry?.notRecorded ?? '',
    )?.[1];
    expect(Date.parse(accepted ?? '')).toBeGreaterThanOrEqual(resent);
    expect(pruned.entries.find((found) => found.snapshotId === entry?.snapshotId)).toMatchObject({
      decision: 'keep',
    });
  });
});

describe('snapshot function maintenance run records', () => {
  it('records the backup a scan that died before recording it took, when the next scan adopts it', async () => {
    // Prepare: the first scan claims the event's request, inserts its backup and dies before
    // writing its run record (run here without the records bucket); its claim is left, expired.
    const clouds = [gcpSnapshotCloud({ policy, clients: gcp })];
    const [event] = (await upcomingMaintenance({ policy, clouds })).events;
    expect(event).toBeDefined();
    await diedHolding(maintenanceRequestId(event as NonNullable<typeof event>), new Date(Date.now() - 1000));
    const maintenance = parseSnapshotFunctionRequest(JSON.stringify({ action: 'maintenance' }));
    const dead = (await snapshotFunction(maintenance, { policy, gcp })) as MaintenanceJobResult;
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Act
    const scan = (await snapshotFunction(maintenance, deps())) as MaintenanceJobResult;

    // Assess: adopted, and recorded as ours.
    expect(scan.snapshots).toMatchObject([
      { outcome: 'available', attempts: 0, snapshotId: dead.snapshots[0]?.snapshotId },
    ]);
    expect(scan.snapshots[0]?.notRecorded).toBeUndefined();
  });
});

/** The claim a first delivery of `requestId` accepted at `acceptedAt` left when it died, expired now. */
async function diedHolding(requestId: string, acceptedAt: Date): Promise<void> {
  const version = await snapshotRecordsOf(gcp, BUCKET).create(requestId, {
    status: 'INPROGRESS',
    expiresAt: new Date(Date.now() - 1).toISOString(),
    acceptedAt: acceptedAt.toISOString(),
  });
  expect(version).toBeDefined();
}
