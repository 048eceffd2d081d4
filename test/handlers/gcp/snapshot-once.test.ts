/**
 * The `snapshot` Cloud Function runs each request (a snapshot request, each maintenance event's
 * request of a scan) once over its request records in Cloud Storage (functions/gcp/chat-records.ts,
 * the store the chat function keeps its records in), as the AWS entry points do on DynamoDB: a
 * request re-sent (an operator's retry, Cloud Scheduler's) or scanned again after it waited for
 * another request's backup still running gets that backup, never a second backup run of its own.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { gcpSnapshotCloud } from '../../../functions/actions/snapshot/gcp.ts';
import { type Policy, parsePolicy } from '../../../functions/core/policy.ts';
import { snapshotRecordsOf } from '../../../functions/gcp/chat-records.ts';
import { GcpClientFactory } from '../../../functions/gcp/clients.ts';
import {
  createSnapshotHandler,
  parseSnapshotFunctionRequest,
  RequestStillRunningError,
  snapshotFunction,
} from '../../../functions/handlers/gcp/snapshot.ts';
import {
  type MaintenanceJobResult,
  maintenanceSnapshotsFailed,
} from '../../../functions/jobs/maintenance.ts';
import { runSnapshotJob, type SnapshotJobResult } from '../../../functions/jobs/snapshot.ts';
import { cloudSqlScenario, instance, PROJECT, startGcpSim } from '../../gcp/sim-setup.ts';
import { type HoldableClock, holdableClock } from '../../sim/clock.ts';
import type { Sim } from '../../sim/server.ts';
import type { CloudSqlSim } from '../../sim/services/cloud-sql.ts';
import { postTo } from './serve.ts';

const BUCKET = 'ops-certctl-chat-requests';

let sim: Sim;
let gcp: GcpClientFactory;
let policy: Policy;
let clock: HoldableClock;

beforeEach(async () => {
  clock = holdableClock();
  const scenario = cloudSqlScenario([
    instance('certctl-pg', {
      // A backup run of the instance stays RUNNING for a while.
      onDemandBackups: { durationMs: 1500 },
      scheduledMaintenance: { start: '+1d', deadline: '+8d' },
    }),
  ]);
  ({ sim } = await startGcpSim(
    { ...scenario, services: { ...scenario.services, gcs: { buckets: [{ name: BUCKET }] } } },
    { clock: clock.now },
  ));
  gcp = new GcpClientFactory({ endpoint: sim.endpoint });
  policy = parsePolicy({
    gcp: { projects: [PROJECT] },
    snapshots: { pollInitialSeconds: 0.05, pollMaxSeconds: 0.1, waitMinutes: 0.2 },
  });
});

afterEach(async () => {
  await gcp.close();
  await sim.close();
});

/** Another request's (a chat command's) backup of certctl-pg, still running when this returns. */
async function othersBackup(): Promise<SnapshotJobResult> {
  return runSnapshotJob(
    { requestId: 'CHG-9', ticket: 'CHG-9', reason: 'CA rotation', requestedBy: 'alice', wait: false },
    { policy, clouds: [gcpSnapshotCloud({ policy, clients: gcp })] },
  );
}

const deps = () => ({ policy, gcp, records: snapshotRecordsOf(gcp, BUCKET) });
const inserts = () => sim.service<CloudSqlSim>('cloudSql').backups.insertCalls;

describe('snapshot function once per request', () => {
  it('answers a re-sent snapshot request with the backup its first delivery waited for, inserting none', async () => {
    // Prepare
    const other = await othersBackup();
    const request = parseSnapshotFunctionRequest(
      JSON.stringify({ action: 'snapshot', requestId: 'CHG-77', reason: 'CA rotation', requestedBy: 'bob' }),
    );

    // Act: the first delivery waits for CHG-9's backup; the request is sent again once it is done.
    const first = (await snapshotFunction(request, deps())) as SnapshotJobResult;
    const again = (await snapshotFunction(request, deps())) as SnapshotJobResult;

    // Assess
    expect(inserts()).toBe(1);
    for (const result of [first, again]) {
      expect(result.results).toMatchObject([
        { outcome: 'available', snapshotId: other.results[0]?.snapshotId, takenBy: 'CHG-9' },
      ]);
    }
  });

  it('takes no backup of its own on the next maintenance scan after its first scan waited for another request’s', async () => {
    // Prepare
    const other = await othersBackup();
    const scan = parseSnapshotFunctionRequest(JSON.stringify({ action: 'maintenance' }));

    // Act: the Cloud Scheduler job scans three times.
    const scans: MaintenanceJobResult[] = [];
    for (let i = 0; i < 3; i += 1) scans.push((await snapshotFunction(scan, deps())) as MaintenanceJobResult);

    // Assess: one backup run in all, each scan answering with it, target by target.
    expect(inserts()).toBe(1);
    for (const result of scans) {
      expect(result.snapshots).toMatchObject([
        {
          target: { id: 'certctl-pg' },
          outcome: 'available',
          snapshotId: other.results[0]?.snapshotId,
          takenBy: 'CHG-9',
        },
      ]);
    }
  });

  it('runs nothing for a delivery whose earlier delivery is still running, saying so', async () => {
    // Prepare
    const request = parseSnapshotFunctionRequest(
      JSON.stringify({ action: 'snapshot', requestId: 'CHG-78', reason: 'CA rotation', requestedBy: 'bob' }),
    );
    // The first delivery's backup run stays RUNNING (the simulator's clock held) until the second is answered.
    clock.hold();
    const first = snapshotFunction(request, deps());
    await vi.waitFor(() => expect(inserts()).toBe(1), { timeout: 30_000 });

    // Act
    const second = snapshotFunction(request, deps());

    // Assess
    await expect(second).rejects.toThrow(RequestStillRunningError);
    await expect(second).rejects.toThrow('request CHG-78 is already running');
    clock.release();
    expect(((await first) as SnapshotJobResult).results).toMatchObject([{ outcome: 'available' }]);
    expect(inserts()).toBe(1);
  });

  it('answers 400 naming the request id, not a bare 500, when a request id is sent again for other databases', async () => {
    // Prepare: CHG-80 ran for certctl-pg and is remembered.
    const handler = createSnapshotHandler(deps);
    const asked = { action: 'snapshot', requestId: 'CHG-80', reason: 'CA rotation', requestedBy: 'bob' };
    const first = await postTo(handler, { ...asked, targets: ['certctl-pg'] });

    // Act: the same request id for another database (an operator's copy-paste of the ticket).
    const again = await postTo(handler, { ...asked, targets: ['certctl-other'] });

    // Assess: the caller's mistake, said as the CLI and the Lambda say it; nothing was run.
    expect(first.status).toBe(200);
    expect(again.status).toBe(400);
    expect(again.answer).toEqual({ error: expect.stringContaining('request id CHG-80 was used') });
    expect(inserts()).toBe(1);
  });

  it('reports an event another scan is still running as running elsewhere, not as a failed backup', async () => {
    // Prepare: a scan is waiting for the event's backup run, which stays RUNNING (the simulator's
    // clock held) until the overlapping scan has answered.
    const scan = parseSnapshotFunctionRequest(JSON.stringify({ action: 'maintenance' }));
    clock.hold();
    const first = snapshotFunction(scan, deps());
    await vi.waitFor(() => expect(inserts()).toBe(1), { timeout: 30_000 });

    // Act: an overlapping scan.
    const second = (await snapshotFunction(scan, deps())) as MaintenanceJobResult;

    // Assess: said on the target, not counted with the backups a maintenance is due without.
    expect(second.snapshots).toMatchObject([
      { target: { id: 'certctl-pg' }, error: { code: 'MaintenanceRunningElsewhere' } },
    ]);
    expect(maintenanceSnapshotsFailed(second.snapshots)).toBe(0);
    clock.release();
    expect(((await first) as MaintenanceJobResult).snapshots).toMatchObject([{ outcome: 'available' }]);
    expect(inserts()).toBe(1);
  });

  it('takes the event’s backup again on the next maintenance scan after the remembered one was deleted', async () => {
    // Prepare: the first scan's backup run is deleted.
    const scan = parseSnapshotFunctionRequest(JSON.stringify({ action: 'maintenance' }));
    const first = (await snapshotFunction(scan, deps())) as MaintenanceJobResult;
    const cloudSql = sim.service<CloudSqlSim>('cloudSql');
    const [taken] = cloudSql.backups.runs(PROJECT, 'certctl-pg', new Date());
    if (!taken) throw new Error('no backup was taken');
    cloudSql.backups.delete(PROJECT, 'certctl-pg', taken.run.id, new Date());
    await new Promise((resolve) => setTimeout(resolve, 600)); // the simulator's delete takes 500 ms

    // Act
    const second = (await snapshotFunction(scan, deps())) as MaintenanceJobResult;
    const third = (await snapshotFunction(scan, deps())) as MaintenanceJobResult;

    // Assess: the next scan inserts one again, the one after replays it.
    expect(first.snapshots).toMatchObject([{ outcome: 'available' }]);
    expect(second.snapshots).toMatchObject([{ outcome: 'available' }]);
    expect(third.snapshots).toMatchObject([
      { outcome: 'available', snapshotId: second.snapshots[0]?.snapshotId },
    ]);
    expect(inserts()).toBe(2);
  });
});
