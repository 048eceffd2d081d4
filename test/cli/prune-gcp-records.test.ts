/**
 * `prune --provider gcp` with the run records the GCP functions write to their records bucket
 * (functions/gcp/run-records-bucket.ts, snapshots.runRecordsBucket), against the simulator's Cloud
 * SQL and Cloud Storage: an expired backup of ours a record names is deleted, one none names is
 * kept with its reason, and a record that cannot be read deletes nothing of its project.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SNAPSHOT_PURPOSE } from '../../functions/actions/snapshot/model.ts';
import { runCli } from '../../functions/cli/cli.ts';
import { SNAPSHOT_RUN_RECORDS_PREFIX } from '../../functions/gcp/chat-environment.ts';
import { cloudStorageRunRecords } from '../../functions/gcp/run-records-bucket.ts';
import { cloudSqlScenario, instance, PROJECT, startGcpSim } from '../gcp/sim-setup.ts';
import { NO_KEYS_WAIVER } from '../integration/snapshot-support.ts';
import type { Sim } from '../sim/server.ts';
import type { CloudSqlSim } from '../sim/services/cloud-sql.ts';

const BUCKET = 'certctl-ops-certctl-chat-requests';
// Expired an hour ago, after each backup below was created (prune.ts notTakenHere).
const EXPIRED_AT = new Date(Date.now() - 3_600_000).toISOString();
const ours = (id: string, expires: string) =>
  `${SNAPSHOT_PURPOSE}; id=${id}; reason=old; requested-by=bob; request-id=r-${id}; expires-at=${expires}`;

let sim: Sim | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** The simulator: certctl-pg with two expired backups of ours and a live one, and the records bucket. */
async function start(denied: readonly string[] = []) {
  const scenario = cloudSqlScenario([
    instance('certctl-pg', {
      onDemandBackups: {
        existing: [
          { description: ours('certctl-premaint-recorded', EXPIRED_AT), createdAt: '-40d' },
          { description: ours('certctl-premaint-unrecorded', EXPIRED_AT), createdAt: '-30d' },
          { description: ours('certctl-premaint-live', '2999-01-01T00:00:00.000Z'), createdAt: '-1d' },
        ],
      },
    }),
  ]);
  ({ sim } = await startGcpSim(
    {
      ...scenario,
      services: {
        ...scenario.services,
        gcs: { buckets: [{ name: BUCKET, project: 'certctl-ops', denied }] },
      },
    },
    { clock: () => new Date() },
  ));
  return sim;
}

/** The record the GCP `snapshot` function writes when it takes `snapshotId` (certctl-premaint-recorded by default). */
async function recordTaken(endpoint: string, snapshotId = 'certctl-premaint-recorded'): Promise<void> {
  await cloudStorageRunRecords({ bucket: BUCKET, endpoint }).write(
    {
      provider: 'gcp',
      account: PROJECT,
      region: '*',
      kind: 'cloudsql-instance',
      target: 'certctl-pg',
      snapshotId,
    },
    new Date(Date.now() + 30 * 86_400_000),
  );
}

/** `prune --provider gcp --apply` with the records bucket in the policy: exit code, stdout, stderr and the runs left. */
async function prune(
  endpoint: string,
  ...extra: string[]
): Promise<{ code: number; stdout: string; stderr: string; remaining: string[] }> {
  const policy = JSON.stringify({
    gcp: { projects: [PROJECT] },
    snapshots: {
      pollInitialSeconds: 0.05,
      pollMaxSeconds: 0.1,
      waitMinutes: 0.1,
      readinessWaivers: NO_KEYS_WAIVER,
      runRecordsBucket: BUCKET,
    },
  });
  let stdout = '';
  let stderr = '';
  const code = await runCli(
    ['prune', '--provider', 'gcp', '--project', PROJECT, '--gcp-endpoint-url', endpoint, '--apply', ...extra],
    {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env: { BACKUP_GUARD_POLICY: policy },
    },
  );
  // The simulator's backupRuns.delete ends after 500 ms.
  await new Promise((resolve) => setTimeout(resolve, 600));
  const remaining = (sim as Sim)
    .service<CloudSqlSim>('cloudSql')
    .backups.runs(PROJECT, 'certctl-pg', new Date())
    .map(({ run }) => run.description.split('; ')[1] ?? run.description)
    .sort();
  return { code, stdout, stderr, remaining };
}

describe('prune on GCP with the run records of the GCP functions', () => {
  it('deletes the expired backup a run record in the records bucket names and keeps the one none names, saying why', async () => {
    // Prepare: the live backup, the instance's restore point, is recorded too (only a recorded one
    // counts as a restore point, functions/actions/snapshot/prune.ts restoreCandidates).
    const { endpoint } = await start();
    await recordTaken(endpoint);
    await recordTaken(endpoint, 'certctl-premaint-live');

    // Act
    const { code, stdout, remaining } = await prune(endpoint);

    // Assess
    expect(code).toBe(0);
    expect(remaining).toEqual(['id=certctl-premaint-live', 'id=certctl-premaint-unrecorded']);
    expect(stdout).toMatch(/^ {2}requested +certctl-prod\/\*\/certctl-premaint-recorded \(certctl-pg\)/m);
    expect(stdout).toContain(
      `keep   ${PROJECT}/*/certctl-premaint-unrecorded (certctl-pg): its description claims backup-guard took it, but no run record of ours (Cloud Storage gs://${BUCKET}/${SNAPSHOT_RUN_RECORDS_PREFIX}) names it: not proven a snapshot backup-guard took: kept`,
    );
  });

  it('says on stderr while it waits for a delete to end before the next one, and nothing with --quiet, its answer the same', async () => {
    // Prepare: both expired backups recorded, so both go, one after the other (Cloud SQL runs one
    // operation per instance: the second delete waits for the first, 500 ms in the simulator).
    const run = async (...extra: string[]) => {
      const { endpoint } = await start();
      for (const id of [
        'certctl-premaint-recorded',
        'certctl-premaint-unrecorded',
        'certctl-premaint-live',
      ]) {
        await recordTaken(endpoint, id);
      }
      const result = await prune(endpoint, ...extra);
      await sim?.close();
      sim = undefined;
      return result;
    };

    // Act
    const loud = await run();
    const quiet = await run('--quiet');

    // Assess
    expect(loud.stderr).toMatch(
      /certctl-pg: waiting for delete operation \S+ of certctl-premaint-\S+ to end before the next delete/,
    );
    expect(quiet.stderr).toBe('');
    for (const result of [loud, quiet]) {
      expect(result.code).toBe(0);
      expect(result.remaining).toEqual(['id=certctl-premaint-live']);
    }
    // The simulator names each operation anew.
    const answer = (stdout: string) => stdout.replaceAll(/operation [\w-]+/g, 'operation …');
    expect(answer(quiet.stdout)).toBe(answer(loud.stdout));
  });

  it('deletes neither expired backup, and says the records were not read, when the records bucket may not be read', async () => {
    // Prepare: the record is there, but the caller may not read objects of the bucket.
    const { endpoint } = await start(['objects.media']);
    await recordTaken(endpoint);

    // Act
    const { code, stdout, remaining } = await prune(endpoint);

    // Assess: exit 2 (a read failed), nothing deleted, each kept saying why.
    expect(code).toBe(2);
    expect(remaining).toEqual([
      'id=certctl-premaint-live',
      'id=certctl-premaint-recorded',
      'id=certctl-premaint-unrecorded',
    ]);
    expect(stdout).toMatch(
      new RegExp(
        `not read: ${PROJECT}/\\*: run records not read \\(.+\\), so its expired snapshots were kept`,
      ),
    );
    expect(stdout).toMatch(
      /keep +certctl-prod\/\*\/certctl-premaint-recorded \(certctl-pg\): .*its run records were not read/,
    );
  });
});
