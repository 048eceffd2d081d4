/**
 * The `snapshot` Cloud Function answers within its timeout: Cloud Run stops an HTTP function at its
 * timeout (at most 60 minutes), so with the default `snapshots.waitMinutes` of 60 a backup that takes
 * the whole wait would leave the request half done and unanswered. Its wait ends in time for it to
 * record what it did and answer, as the snapshot Lambda's does (functions/core/snapshots-policy.ts
 * functionWaitEndsBy). Against the simulated Cloud SQL Admin API and Cloud Storage, on a clock the
 * test moves: each poll's sleep moves it on, so an hour's wait takes a moment.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Policy, parsePolicy } from '../../../functions/core/policy.ts';
import {
  SNAPSHOT_ANSWER_MARGIN_MS,
  snapshotFunctionTimeoutSeconds,
  snapshotRunBoundMs,
} from '../../../functions/core/snapshots-policy.ts';
import { snapshotRecordsOf } from '../../../functions/gcp/chat-records.ts';
import { GcpClientFactory } from '../../../functions/gcp/clients.ts';
import { parseSnapshotFunctionRequest, snapshotFunction } from '../../../functions/handlers/gcp/snapshot.ts';
import type { MaintenanceJobResult } from '../../../functions/jobs/maintenance.ts';
import type { SnapshotJobResult } from '../../../functions/jobs/snapshot.ts';
import { cloudSqlScenario, instance, PROJECT, startGcpSim } from '../../gcp/sim-setup.ts';
import type { Sim } from '../../sim/server.ts';

const BUCKET = 'ops-certctl-chat-requests';

let sim: Sim;
let gcp: GcpClientFactory;
/** The clock of the simulator and the function: starts at the real time, moved on by each sleep. */
let clock: number;
let policy: Policy;

beforeEach(async () => {
  clock = Date.now();
  const scenario = cloudSqlScenario([
    instance('certctl-pg', {
      // A backup run stays RUNNING longer than any wait.
      onDemandBackups: { durationMs: 5 * 3_600_000 },
      scheduledMaintenance: { start: '+1d', deadline: '+8d' },
    }),
  ]);
  ({ sim } = await startGcpSim(
    { ...scenario, services: { ...scenario.services, gcs: { buckets: [{ name: BUCKET }] } } },
    { clock: () => new Date(clock) },
  ));
  gcp = new GcpClientFactory({ endpoint: sim.endpoint });
  // The default wait (60 minutes) and poll interval.
  policy = parsePolicy({ gcp: { projects: [PROJECT] } });
});

afterEach(async () => {
  await gcp.close();
  await sim.close();
});

const deps = () => ({
  policy,
  gcp,
  records: snapshotRecordsOf(gcp, BUCKET),
  now: () => new Date(clock),
  sleep: async (ms: number) => {
    clock += ms;
  },
});

describe('snapshot function within its timeout', () => {
  it('answers a backup still running before the function would be stopped when the wait is the default 60 minutes', async () => {
    // Prepare
    const timeoutMs = snapshotFunctionTimeoutSeconds(policy.snapshots) * 1000;
    const request = parseSnapshotFunctionRequest(
      JSON.stringify({ action: 'snapshot', requestId: 'CHG-90', reason: 'CA rotation', requestedBy: 'bob' }),
    );
    const calledAt = clock;

    // Act
    const result = (await snapshotFunction(request, deps())) as SnapshotJobResult & { exitCode: number };

    // Assess: still running at the end of a wait shortened to the function's time, said so; answered
    // a margin before Cloud Run would stop the function.
    expect(timeoutMs).toBe(3_600_000);
    expect(result.results).toMatchObject([{ outcome: 'creating', error: { code: 'DeadlineExceeded' } }]);
    expect(result.results[0]?.error?.message).toContain('still creating at the deadline, 59 minutes after');
    expect(Date.parse(result.finishedAt) - calledAt).toBeLessThanOrEqual(
      timeoutMs - SNAPSHOT_ANSWER_MARGIN_MS,
    );
    expect(result.exitCode).toBe(1);
  });

  it('ends a maintenance scan’s wait before the function would be stopped', async () => {
    // Prepare
    const timeoutMs = snapshotFunctionTimeoutSeconds(policy.snapshots) * 1000;
    const scan = parseSnapshotFunctionRequest(JSON.stringify({ action: 'maintenance' }));
    const calledAt = clock;

    // Act
    const result = (await snapshotFunction(scan, deps())) as MaintenanceJobResult;

    // Assess
    expect(result.snapshots).toMatchObject([
      { target: { id: 'certctl-pg' }, outcome: 'creating', error: { code: 'DeadlineExceeded' } },
    ]);
    expect(clock - calledAt).toBeLessThanOrEqual(timeoutMs - SNAPSHOT_ANSWER_MARGIN_MS);
  });
});

describe('snapshotFunctionTimeoutSeconds', () => {
  it('leaves room for a whole run, set-up, wait and recording, within the 60 minutes an HTTP function may run', () => {
    // Act / Assess: a 20-minute wait gets its run's bound (3 + 20 + 2 minutes), not the wait and a minute.
    expect(snapshotFunctionTimeoutSeconds({ waitMinutes: 20 }) * 1000).toBe(
      snapshotRunBoundMs({ waitMinutes: 20 }),
    );
    expect(snapshotFunctionTimeoutSeconds({ waitMinutes: 20 })).toBe(1500);
    expect(snapshotFunctionTimeoutSeconds({ waitMinutes: 0.1 })).toBe(306);
    expect(snapshotFunctionTimeoutSeconds({ waitMinutes: 60 })).toBe(3600);
  });
});
