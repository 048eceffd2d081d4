/**
 * The simulated Cloud SQL on-demand backups through the real `@google-cloud/sql` clients: state
 * follows the simulator clock (PENDING -> RUNNING -> DONE, ENQUEUED -> RUNNING -> SUCCESSFUL), a
 * second write during an operation is refused with 409, unknown body fields with 400, a delete goes
 * through DELETION_PENDING, and scheduled maintenance appears on the instance.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import { enumName, googleErrorCode } from '../../functions/gcp/wire.ts';
import { cloudSqlScenario, instance, NOW, PROJECT, startGcpSim } from '../gcp/sim-setup.ts';
import type { Sim } from './server.ts';
import type { CloudSqlInstanceScenario, CloudSqlSim } from './services/cloud-sql.ts';

let sim: Sim | undefined;
let factory: GcpClientFactory | undefined;
let now = NOW;

afterEach(async () => {
  await factory?.close();
  await sim?.close();
  sim = undefined;
  factory = undefined;
  now = NOW;
});

async function start(instances: readonly CloudSqlInstanceScenario[]) {
  ({ sim } = await startGcpSim(cloudSqlScenario(instances), { clock: () => now }));
  factory = new GcpClientFactory({ endpoint: sim.endpoint });
  return { api: factory.cloudSqlBackups(), cloudSql: sim.service<CloudSqlSim>('cloudSql') };
}

const advance = (ms: number) => {
  now = new Date(now.getTime() + ms);
};

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to be refused');
    },
    (error: unknown) => error,
  );
}

describe('Cloud SQL on-demand backups in the simulator', () => {
  it('moves the operation from PENDING through RUNNING to DONE and the run from ENQUEUED to SUCCESSFUL as the clock advances', async () => {
    // Prepare
    const { api } = await start([instance('pg', { onDemandBackups: { durationMs: 10_000 } })]);

    // Act
    const [inserted] = await api.insert({
      project: PROJECT,
      instance: 'pg',
      body: { description: 'before CA rotation' },
    });
    const states: string[] = [];
    const runStates: string[] = [];
    for (const step of [0, 1000, 9500]) {
      advance(step);
      const [operation] = await api.getOperation({ project: PROJECT, operation: inserted.name ?? '' });
      states.push(enumName('operationStatus', operation.status as number) ?? '?');
      const [page] = await api.list({ project: PROJECT, instance: 'pg' });
      const run = page.items?.find((item) => item.description === 'before CA rotation');
      runStates.push(enumName('backupRunStatus', run?.status as number) ?? '?');
    }

    // Assess
    expect(states).toEqual(['PENDING', 'RUNNING', 'DONE']);
    expect(runStates).toEqual(['ENQUEUED', 'RUNNING', 'SUCCESSFUL']);
    const [done] = await api.getOperation({ project: PROJECT, operation: inserted.name ?? '' });
    expect(done.operationType).toBe('BACKUP_VOLUME');
    expect(String(done.backupContext?.backupId)).toMatch(/^\d+$/);
    expect(done.error).toBeFalsy();
  });

  it('ends the operation DONE with an error and the run FAILED when the scenario makes backups fail', async () => {
    // Prepare
    const { api } = await start([instance('pg', { onDemandBackups: { durationMs: 100, fails: true } })]);
    const [inserted] = await api.insert({ project: PROJECT, instance: 'pg', body: { description: 'x' } });

    // Act
    advance(200);
    const [operation] = await api.getOperation({ project: PROJECT, operation: inserted.name ?? '' });

    // Assess
    expect(enumName('operationStatus', operation.status as number)).toBe('DONE');
    expect(operation.error?.errors?.[0]?.code).toBe('INTERNAL_ERROR');
  });

  it('answers backupRuns.get with the run of that id, and NOT_FOUND once it is deleted', async () => {
    // Prepare
    const { api } = await start([instance('pg', { onDemandBackups: { durationMs: 100 } })]);
    const [inserted] = await api.insert({ project: PROJECT, instance: 'pg', body: { description: 'x' } });
    advance(200);
    const [operation] = await api.getOperation({ project: PROJECT, operation: inserted.name ?? '' });
    const id = String(operation.backupContext?.backupId);

    // Act
    const [run] = await api.get({ project: PROJECT, instance: 'pg', id: id as never });
    await api.delete({ project: PROJECT, instance: 'pg', id: id as never });
    advance(600_000);
    const gone = await rejection(api.get({ project: PROJECT, instance: 'pg', id: id as never }));

    // Assess
    expect(String(run.id)).toBe(id);
    expect(run.description).toBe('x');
    expect(enumName('backupRunStatus', run.status as number)).toBe('SUCCESSFUL');
    expect(googleErrorCode(gone)).toBe('NOT_FOUND');
  });

  it('refuses a second write with ABORTED (409) while an operation runs on the instance, and accepts it after', async () => {
    // Prepare
    const { api } = await start([instance('pg', { onDemandBackups: { durationMs: 1000 } })]);
    await api.insert({ project: PROJECT, instance: 'pg', body: {} });

    // Act
    const refused = await rejection(api.insert({ project: PROJECT, instance: 'pg', body: {} }));
    advance(1000);
    const [accepted] = await api.insert({ project: PROJECT, instance: 'pg', body: {} });

    // Assess
    expect(googleErrorCode(refused)).toBe('ABORTED');
    expect((refused as Error).message).toContain('another operation was already in progress');
    expect(accepted.name).toBeTruthy();
  });

  it('refuses the delete of a second run with ABORTED (409) while the delete of the first runs on the instance, and accepts it once that one is DONE', async () => {
    // Prepare
    const { api, cloudSql } = await start([
      instance('pg', {
        backupRuns: [],
        onDemandBackups: {
          existing: [
            { description: 'a', createdAt: '-3d' },
            { description: 'b', createdAt: '-2d' },
          ],
        },
      }),
    ]);
    const [first, second] = cloudSql.backups.all().map((run) => run.id as never);

    // Act
    const [deleting] = await api.delete({ project: PROJECT, instance: 'pg', id: first });
    const refused = await rejection(api.delete({ project: PROJECT, instance: 'pg', id: second }));
    const [running] = await api.getOperation({ project: PROJECT, operation: deleting.name ?? '' });
    advance(1000);
    const [done] = await api.getOperation({ project: PROJECT, operation: deleting.name ?? '' });
    const [accepted] = await api.delete({ project: PROJECT, instance: 'pg', id: second });

    // Assess
    expect(googleErrorCode(refused)).toBe('ABORTED');
    expect((refused as Error).message).toContain('another operation was already in progress');
    expect(enumName('operationStatus', running.status as number)).not.toBe('DONE');
    expect(enumName('operationStatus', done.status as number)).toBe('DONE');
    expect(accepted.operationType).toBe('DELETE_BACKUP');
  });

  it('refuses a body field the BackupRun message does not define, naming it', async () => {
    // Prepare: the generated client drops unknown fields itself, so this request is sent by hand.
    await start([instance('pg')]);

    // Act
    const response = await fetch(`${sim?.endpoint}/v1/projects/${PROJECT}/instances/pg/backupRuns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'x', labels: { a: 'b' } }),
    });

    // Assess
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { status: string; message: string } };
    expect(body.error.status).toBe('INVALID_ARGUMENT');
    expect(body.error.message).toContain('Unknown name "labels"');
  });

  it('keeps a deleted run DELETION_PENDING until its operation is done, then lists it no more', async () => {
    // Prepare
    const { api, cloudSql } = await start([
      instance('pg', {
        backupRuns: [],
        onDemandBackups: { existing: [{ description: 'old', createdAt: '-3d' }] },
      }),
    ]);
    const id = cloudSql.backups.all()[0]?.id ?? '';

    // Act
    const [deleting] = await api.delete({ project: PROJECT, instance: 'pg', id: id as never });
    const [during] = await api.list({ project: PROJECT, instance: 'pg' });
    advance(1000);
    const [after] = await api.list({ project: PROJECT, instance: 'pg' });
    const missing = await rejection(api.delete({ project: PROJECT, instance: 'pg', id: id as never }));

    // Assess
    expect(deleting.operationType).toBe('DELETE_BACKUP');
    expect(during.items?.map((run) => enumName('backupRunStatus', run.status as number))).toEqual([
      'DELETION_PENDING',
    ]);
    expect(after.items ?? []).toEqual([]);
    expect(googleErrorCode(missing)).toBe('NOT_FOUND');
  });

  it('reports the scheduled maintenance announced at start on the instance, its date fixed as the clock moves', async () => {
    // Prepare
    await start([instance('pg', { scheduledMaintenance: { start: '+2d', deadline: '+9d' } })]);

    // Act
    advance(3_600_000);
    const [answer] = await (await (factory as GcpClientFactory).instances()).get({
      project: PROJECT,
      instance: 'pg',
    });

    // Assess
    expect(answer.scheduledMaintenance).toMatchObject({
      startTime: { seconds: String((NOW.getTime() + 2 * 86_400_000) / 1000) },
      canReschedule: true,
      scheduleDeadlineTime: { seconds: String((NOW.getTime() + 9 * 86_400_000) / 1000) },
    });
  });
});
