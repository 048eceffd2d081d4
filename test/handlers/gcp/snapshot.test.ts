/**
 * The `snapshot` Cloud Function served by the Functions Framework, with its production wiring (the
 * bundled policy from the environment, the one GCP client factory) against the simulated Cloud SQL
 * Admin API: a snapshot request, the same request again, readiness before and after, and the
 * answers to a wrong method and a bad body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_ENV, parsePolicy } from '../../../functions/core/policy.ts';
import { CLOUD_SQL_ENDPOINT_ENV, GcpClientFactory } from '../../../functions/gcp/clients.ts';
import { parseSnapshotFunctionRequest, snapshotFunction } from '../../../functions/handlers/gcp/snapshot.ts';
import type { MaintenanceJobResult } from '../../../functions/jobs/maintenance.ts';
import { cloudSqlScenario, instance, PROJECT, startGcpSim } from '../../gcp/sim-setup.ts';
import { NO_KEYS_WAIVER } from '../../integration/snapshot-support.ts';
import type { Sim } from '../../sim/server.ts';
import type { CloudSqlSim } from '../../sim/services/cloud-sql.ts';
import { type ServedFunction, serveFunction } from './serve.ts';

/** The parts of the function's JSON answers the tests read. */
interface Answer {
  readonly verdict?: string;
  readonly exitCode?: number;
  readonly counts?: Record<string, number>;
  readonly results?: readonly { readonly snapshotId?: string }[];
  readonly error?: string;
}

describe('snapshot Cloud Function served by the Functions Framework', () => {
  let sim: Sim;
  let served: ServedFunction;
  let url: string;

  beforeAll(async () => {
    ({ sim } = await startGcpSim(
      cloudSqlScenario([instance('certctl-pg', { onDemandBackups: { durationMs: 100 } })]),
      { clock: () => new Date() },
    ));
    served = await serveFunction({
      entryPoint: 'snapshot',
      load: () => import('../../../functions/handlers/gcp/snapshot.ts'),
      env: {
        [POLICY_ENV]: JSON.stringify({
          gcp: { projects: [PROJECT] },
          pitr: { minPitrDays: 7 },
          snapshots: {
            pollInitialSeconds: 0.05,
            pollMaxSeconds: 0.1,
            waitMinutes: 0.2,
            readinessWaivers: NO_KEYS_WAIVER,
          },
        }),
        [CLOUD_SQL_ENDPOINT_ENV]: sim.endpoint,
      },
    });
    url = served.url;
  });

  afterAll(async () => {
    await served.close();
    await sim.close();
  });

  const answer = async (response: Response) => (await response.json()) as Answer;
  const post = (body: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const request = {
    action: 'snapshot',
    requestId: 'CHG-77',
    reason: 'CA rotation',
    ticket: 'CHG-77',
    requestedBy: 'alice',
  };

  it('answers NO-GO before a backup, takes and awaits one, answers GO after, and takes none for the same request again', async () => {
    // Act
    const before = await answer(await post({ action: 'readiness' }));
    const first = await post(request);
    const firstBody = await answer(first);
    const again = await answer(await post(request));
    const after = await answer(await post({ action: 'readiness' }));

    // Assess
    expect(before).toMatchObject({ verdict: 'NO-GO', exitCode: 1 });
    expect(first.status).toBe(200);
    expect(firstBody).toMatchObject({ exitCode: 0, counts: { available: 1 } });
    expect(firstBody.results?.[0]).toMatchObject({
      outcome: 'available',
      target: { provider: 'gcp', account: PROJECT, id: 'certctl-pg' },
    });
    expect(again.results?.[0]?.snapshotId).toBe(firstBody.results?.[0]?.snapshotId);
    expect(sim.service<CloudSqlSim>('cloudSql').backups.insertCalls).toBe(1);
    expect(after).toMatchObject({ verdict: 'GO', exitCode: 0 });
  });

  it('answers 405 with Allow: POST to another method', async () => {
    // Act
    const response = await fetch(url, { method: 'GET' });

    // Assess
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('answers 400 naming the field when a snapshot request has no reason', async () => {
    // Act
    const { reason: _reason, ...withoutReason } = request;
    const response = await post(withoutReason);

    // Assess
    expect(response.status).toBe(400);
    expect((await answer(response)).error).toMatch(/^snapshot body is invalid: reason/);
  });

  it('answers 400 JSON naming the problem, never express’s HTML page, when a JSON body does not parse', async () => {
    // Act: sent as application/json, so the framework's body parser refuses it before the function.
    const response = await post('{"action":"snapshot","reason":"canary-not-a-secret"');

    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const { error } = await answer(response);
    expect(error).toMatch(/^snapshot body is not JSON: /);
    expect(error).not.toContain('canary-not-a-secret');
    expect(error).not.toMatch(/\bat \w+ \(/);
  });

  it('answers 400 naming the action when the action is unknown or the body is empty', async () => {
    for (const body of [{ action: 'restore' }, '']) {
      const response = await post(body);
      expect(response.status).toBe(400);
      expect((await answer(response)).error).toMatch(/^snapshot body is invalid: action: /);
    }
  });

  it('answers 400, not 500, naming the field when the reason is only blanks', async () => {
    // Act: passes the schema's length, refused by the job's own check of the request.
    const response = await post({ ...request, requestId: 'CHG-78', reason: '   ' });

    // Assess
    expect(response.status).toBe(400);
    expect((await answer(response)).error).toContain('reason');
  });

  it('answers 400 naming the field when a target name is longer than any database name', async () => {
    const response = await post({ ...request, requestId: 'CHG-79', targets: ['x'.repeat(5000)] });
    expect(response.status).toBe(400);
    expect((await answer(response)).error).toMatch(/^snapshot body is invalid: targets\.0: /);
  });
});

describe('the snapshot function’s maintenance scan (its Cloud Scheduler job posts {"action":"maintenance"})', () => {
  it('backs up the instance whose scheduled maintenance falls within the horizon, once for two scans, and leaves the other alone', async () => {
    // Prepare
    const { sim } = await startGcpSim(
      cloudSqlScenario([
        instance('certctl-pg', {
          onDemandBackups: { durationMs: 100 },
          scheduledMaintenance: { start: '+1d', deadline: '+8d' },
        }),
        instance('certctl-later', { scheduledMaintenance: { start: '+20d', deadline: '+27d' } }),
      ]),
      { clock: () => new Date() },
    );
    const gcp = new GcpClientFactory({ endpoint: sim.endpoint });
    const policy = parsePolicy({
      gcp: { projects: [PROJECT] },
      snapshots: { pollInitialSeconds: 0.05, pollMaxSeconds: 0.1, waitMinutes: 0.2 },
    });

    try {
      // Act
      const request = parseSnapshotFunctionRequest(JSON.stringify({ action: 'maintenance' }));
      const first = (await snapshotFunction(request, { policy, gcp })) as MaintenanceJobResult;
      const second = (await snapshotFunction(request, { policy, gcp })) as MaintenanceJobResult;

      // Assess
      expect(first.events.map((event) => event.target.id)).toEqual(['certctl-pg']);
      expect(first.later).toBe(1);
      expect(first.snapshots.map((snapshot) => snapshot.outcome)).toEqual(['available']);
      expect(second.snapshots[0]?.snapshotId).toBe(first.snapshots[0]?.snapshotId);
      expect(sim.service<CloudSqlSim>('cloudSql').backups.insertCalls).toBe(1);
    } finally {
      await gcp.close();
      await sim.close();
    }
  });

  it('logs an ERROR entry counting the snapshots not delivered when a maintenance snapshot fails', async () => {
    // Prepare: maintenance due tomorrow on an instance whose backups fail.
    const { sim } = await startGcpSim(
      cloudSqlScenario([
        instance('certctl-pg', {
          onDemandBackups: { durationMs: 100, fails: true },
          scheduledMaintenance: { start: '+1d', deadline: '+8d' },
        }),
      ]),
      { clock: () => new Date() },
    );
    const gcp = new GcpClientFactory({ endpoint: sim.endpoint });
    const policy = parsePolicy({
      gcp: { projects: [PROJECT] },
      snapshots: { pollInitialSeconds: 0.05, pollMaxSeconds: 0.1, waitMinutes: 0.2 },
    });
    // The logger writes its entries to stdout and its errors to stderr: Cloud Logging ingests both.
    const lines: string[] = [];
    const [stdout, stderr] = [process.stdout.write, process.stderr.write];
    const capture = ((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0) as typeof stdout;
    process.stdout.write = capture;
    process.stderr.write = capture;

    try {
      // Act
      const request = parseSnapshotFunctionRequest(JSON.stringify({ action: 'maintenance' }));
      const result = (await snapshotFunction(request, { policy, gcp })) as MaintenanceJobResult;

      // Assess: Cloud Logging sees the failure (alerting filters on severity), with its count.
      expect(result.snapshots.map((snapshot) => snapshot.outcome)).toEqual(['failed']);
      const entry = lines
        .flatMap((line) => line.split('\n'))
        .filter((line) => line.includes('maintenance scan finished'))
        .map((line) => JSON.parse(line) as { severity: string; snapshotsFailed: number });
      expect(entry).toMatchObject([{ severity: 'ERROR', snapshotsFailed: 1 }]);
    } finally {
      process.stdout.write = stdout;
      process.stderr.write = stderr;
      await gcp.close();
      await sim.close();
    }
  });
});
