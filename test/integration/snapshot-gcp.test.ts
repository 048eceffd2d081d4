/**
 * The GCP snapshot path end to end: the real `@google-cloud/sql` clients (REST fallback, through
 * the one GCP client factory) against the simulated Cloud SQL Admin API: backupRuns.insert,
 * operations.get, backupRuns.list and backupRuns.delete, and scheduled maintenance.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { awsSnapshotCloud } from '../../functions/actions/snapshot/aws.ts';
import {
  cloudSqlSnapshotBackend,
  describeBackup,
  gcpSnapshotCloud,
  parseBackupDescription,
} from '../../functions/actions/snapshot/gcp.ts';
import {
  SNAPSHOT_PURPOSE,
  type SnapshotTarget,
  snapshotIdentifier,
} from '../../functions/actions/snapshot/model.ts';
import { takeSnapshots } from '../../functions/actions/snapshot/run.ts';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { type PolicyInput, parsePolicy } from '../../functions/core/policy.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import { gcpCollectors } from '../../functions/gcp/collectors.ts';
import { runMaintenanceJob } from '../../functions/jobs/maintenance.ts';
import { runReadinessJob } from '../../functions/jobs/readiness.ts';
import { runSnapshotJob, snapshotExitCode } from '../../functions/jobs/snapshot.ts';
import { pruneRecorded } from '../actions/snapshot/fake-backend.ts';
import { cloudSqlScenario, instance, PROJECT, startGcpSim } from '../gcp/sim-setup.ts';
import type { Sim } from '../sim/server.ts';
import type { CloudSqlInstanceScenario, CloudSqlSim } from '../sim/services/cloud-sql.ts';
import { expectAdopted, NO_KEYS_WAIVER } from './snapshot-support.ts';

let sim: Sim | undefined;
let factory: GcpClientFactory | undefined;

afterEach(async () => {
  await factory?.close();
  await sim?.close();
  sim = undefined;
  factory = undefined;
});

/** The simulator on the real clock (backups take real milliseconds) and the jobs' dependencies. */
async function start(instances: readonly CloudSqlInstanceScenario[], policyInput: PolicyInput = {}) {
  ({ sim } = await startGcpSim(cloudSqlScenario(instances), { clock: () => new Date() }));
  factory = new GcpClientFactory({ endpoint: sim.endpoint });
  // Load the Cloud SQL clients now (they load on first use): a busy period set next counts from here,
  // not from before a module load that a loaded machine can stretch past it.
  await Promise.all([factory.instances(), factory.backupRuns(), factory.operations()]);
  const policy = parsePolicy({
    ...policyInput,
    gcp: { projects: [PROJECT] },
    snapshots: {
      pollInitialSeconds: 0.05,
      pollMaxSeconds: 0.1,
      waitMinutes: 0.1,
      readinessWaivers: NO_KEYS_WAIVER,
      ...policyInput.snapshots,
    },
  });
  const cloud = gcpSnapshotCloud({ policy, clients: factory });
  return {
    cloudSql: sim.service<CloudSqlSim>('cloudSql'),
    deps: { policy, clouds: [cloud] },
    readinessDeps: {
      policy,
      gcp: { clients: factory, collectors: gcpCollectors },
      clouds: [cloud],
    },
  };
}

const backup = (durationMs: number, more: Partial<CloudSqlInstanceScenario['onDemandBackups']> = {}) => ({
  onDemandBackups: { durationMs, ...more },
});
const request = { requestId: 'CHG-42', reason: 'CA rotation', ticket: 'CHG-42', requestedBy: 'alice' };

describe('snapshot job on Cloud SQL', () => {
  it('inserts, tags and awaits an on-demand backup of every target while a busy one is retried and a failing one is reported', async () => {
    // Prepare
    const { cloudSql, deps } = await start([
      instance('certctl-pg', backup(200)),
      instance('certctl-pg-busy', backup(200)),
      instance('certctl-pg-broken', backup(200, { fails: true })),
      instance('other-pg', { labels: {} }),
    ]);
    // Another operation (an automated backup, say) runs on the instance for the next 2 s.
    cloudSql.backups.setBusy(PROJECT, 'certctl-pg-busy', 2000, new Date());

    // Act
    const result = await runSnapshotJob(request, deps);

    // Assess
    const byId = Object.fromEntries(result.results.map((entry) => [entry.target.id, entry]));
    expect(Object.keys(byId).sort()).toEqual(['certctl-pg', 'certctl-pg-broken', 'certctl-pg-busy']);
    expect(byId['certctl-pg']).toMatchObject({ outcome: 'available', attempts: 1, encrypted: true });
    expect(byId['certctl-pg']?.snapshotRef).toMatch(
      new RegExp(
        `^https://sqladmin.googleapis.com/v1/projects/${PROJECT}/instances/certctl-pg/backupRuns/\\d+$`,
      ),
    );
    expect(byId['certctl-pg-busy']?.outcome).toBe('available');
    expect(byId['certctl-pg-busy']?.attempts).toBeGreaterThan(1);
    expect(byId['certctl-pg-broken']?.outcome).toBe('failed');
    expect(byId['certctl-pg-broken']?.error?.message).toBe(
      'INTERNAL_ERROR: An internal error occurred while backing up the instance. (attempt 1 of 3; a later run of this request takes attempt 2)',
    );
    const stored = cloudSql.backups.all().find((run) => run.instance === 'certctl-pg');
    expect(stored?.description).toMatch(
      new RegExp(
        // The tags read back (request id, expiry) before the free text, which a long one may cut.
        `^${SNAPSHOT_PURPOSE}; id=certctl-premaint-certctl-pg-[0-9a-f]{10}; request-id=CHG-42; expires-at=[0-9TZ:.-]+; reason=CA rotation; ticket=CHG-42; requested-by=alice$`,
      ),
    );
    expect(cloudSql.backups.insertCalls).toBe(3);
    expect(snapshotExitCode(result)).toBe(1);
  });

  it('writes the reason, ticket and requester into the description as given, so they read back unaltered', async () => {
    // Prepare: free text with what AWS tag values cannot hold (quotes, `%`, a newline, `;`, `#`).
    const { cloudSql, deps } = await start([instance('certctl-pg', backup(100))]);
    const reason = 'CA rotation: 50% of "prod"; see\nrunbook #7';

    // Act
    await runSnapshotJob({ ...request, reason, ticket: 'CHG#42', requestedBy: "o'brien" }, deps);

    // Assess: the description carries each as written (escaped), and reads back to it.
    const stored = cloudSql.backups.all().find((run) => run.instance === 'certctl-pg');
    const read = parseBackupDescription(stored?.description);
    expect(read?.tags).toMatchObject({
      reason,
      ticket: 'CHG#42',
      'requested-by': "o'brien",
      'request-id': 'CHG-42',
    });
    expect(stored?.description).not.toContain('\n');
  });

  it('inserts nothing new and reports the same backups when the same request is re-run', async () => {
    // Prepare
    const { cloudSql, deps } = await start([instance('certctl-pg', backup(100))]);
    const first = await runSnapshotJob(request, deps);

    // Act
    const second = await runSnapshotJob(request, deps);

    // Assess
    expect(cloudSql.backups.insertCalls).toBe(1);
    expect(second.results[0]).toMatchObject({
      outcome: 'available',
      snapshotId: first.results[0]?.snapshotId,
      attempts: 0,
    });
  });

  it('inserts one backup when the same request runs twice at once, the second adopting the first after its insert was refused as busy', async () => {
    // Prepare: two deliveries of one request (a client retry, a double submission) that both list
    // before either inserts; Cloud SQL refuses the second insert while the first backup runs (409).
    const { cloudSql, deps } = await start([instance('certctl-pg', backup(300))]);

    // Act
    const [first, second] = await Promise.all([runSnapshotJob(request, deps), runSnapshotJob(request, deps)]);

    // Assess: one backup for the request, reported by both.
    expect(cloudSql.backups.insertCalls).toBe(1);
    expect(first.results[0]).toMatchObject({ outcome: 'available' });
    expect(second.results[0]).toMatchObject({
      outcome: 'available',
      snapshotId: first.results[0]?.snapshotId,
    });
  });

  it('adopts, never inserts again, the backup run a crashed run of the same request left running, found by the id in its description', async () => {
    // Prepare: the crashed run's insert was accepted and it died before recording anything (a run
    // that does not wait leaves the same state behind); backupRuns.insert takes no id of ours.
    const { cloudSql, deps } = await start([instance('certctl-pg', backup(5000))]);
    const crashed = await runSnapshotJob({ ...request, wait: false }, deps);

    // Act: the same request again once its in-progress record expired.
    const rerun = await runSnapshotJob({ ...request, wait: false }, deps);

    // Assess
    expectAdopted(cloudSql.backups.insertCalls, rerun, crashed, 'creating');
  });

  it('waits for the backup of ours another request is still running on the instance instead of inserting a second one', async () => {
    // Prepare: another chat command's backup run of the instance is still running.
    const { cloudSql, deps } = await start([instance('certctl-pg', backup(1500))]);
    const other = await runSnapshotJob(
      { ...request, requestId: 'CHG-9', ticket: 'CHG-9', wait: false },
      deps,
    );

    // Act
    const result = await runSnapshotJob(request, deps);

    // Assess: one backup run in all, reported available for this request, naming it.
    expectAdopted(cloudSql.backups.insertCalls, result, other, 'available');
  });

  it('inserts one backup when two deliveries of the request both find the instance busy with another operation and retry together', async () => {
    // Prepare: an automated backup (someone else's operation) keeps the instance busy; both
    // deliveries are refused, retry, and each looks for the request's backup before inserting.
    const { cloudSql, deps } = await start([instance('certctl-pg', backup(300))]);
    cloudSql.backups.setBusy(PROJECT, 'certctl-pg', 200, new Date());

    // Act
    const [first, second] = await Promise.all([runSnapshotJob(request, deps), runSnapshotJob(request, deps)]);

    // Assess
    expect(cloudSql.backups.insertCalls).toBe(1);
    expect(cloudSql.backups.all()).toHaveLength(1);
    expect(first.results[0]).toMatchObject({ outcome: 'available' });
    expect(second.results[0]).toMatchObject({
      outcome: 'available',
      snapshotId: first.results[0]?.snapshotId,
      snapshotRef: first.results[0]?.snapshotRef,
    });
  });

  it('does not report the request’s backup available again once it is being deleted: the re-run takes the next attempt', async () => {
    // Prepare: the request's backup was taken, then deleted (by hand, or pruned) before the re-send.
    const { cloudSql, deps } = await start([instance('certctl-pg', backup(100))]);
    const first = await runSnapshotJob(request, deps);
    const runId = /backupRuns\/(\d+)$/.exec(first.results[0]?.snapshotRef ?? '')?.[1] ?? '';
    cloudSql.backups.delete(PROJECT, 'certctl-pg', runId, new Date());

    // Act
    const second = await runSnapshotJob(request, deps);

    // Assess: a new backup under the attempt name, never the deleted one reported as GO.
    expect(first.results[0]).toMatchObject({ outcome: 'available', snapshotAttempt: 1 });
    expect(second.results[0]).toMatchObject({
      outcome: 'available',
      snapshotAttempt: 2,
      snapshotId: `${first.results[0]?.snapshotId}-a2`,
    });
    expect(second.results[0]?.snapshotRef).not.toBe(first.results[0]?.snapshotRef);
    expect(cloudSql.backups.insertCalls).toBe(2);
  });

  it('does not report a backup that no longer exists: the re-run after it is gone takes one new backup', async () => {
    // Prepare
    const { cloudSql, deps } = await start([instance('certctl-pg', backup(100))]);
    const first = await runSnapshotJob(request, deps);
    const runId = /backupRuns\/(\d+)$/.exec(first.results[0]?.snapshotRef ?? '')?.[1] ?? '';
    cloudSql.backups.delete(PROJECT, 'certctl-pg', runId, new Date());
    await new Promise((resolve) => setTimeout(resolve, 600)); // the simulator's delete takes 500 ms
    expect(cloudSql.backups.runs(PROJECT, 'certctl-pg', new Date())).toEqual([]);

    // Act
    const second = await runSnapshotJob(request, deps);
    const third = await runSnapshotJob(request, deps);

    // Assess: the answer names the backup that exists now, and a third ask adopts it.
    expect(second.results[0]).toMatchObject({
      outcome: 'available',
      snapshotId: first.results[0]?.snapshotId,
    });
    expect(second.results[0]?.snapshotRef).not.toBe(first.results[0]?.snapshotRef);
    expect(cloudSql.backups.runs(PROJECT, 'certctl-pg', new Date()).map(({ run }) => run.id)).toEqual([
      /backupRuns\/(\d+)$/.exec(second.results[0]?.snapshotRef ?? '')?.[1],
    ]);
    expect(third.results[0]).toMatchObject({ snapshotRef: second.results[0]?.snapshotRef, attempts: 0 });
    expect(cloudSql.backups.insertCalls).toBe(2);
  });

  it('still backs up Cloud SQL and says AWS was not read when STS answers nowhere (both clouds in one run)', async () => {
    // Prepare: the CLI's two clouds; AWS's endpoint refuses every connection, so its account is never found.
    const { cloudSql, deps } = await start([instance('certctl-pg', backup(100))]);
    const aws = awsSnapshotCloud({
      policy: deps.policy,
      factory: new AwsClientFactory({
        maxAttempts: 1,
        endpoint: 'http://127.0.0.1:9',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'canary-not-a-secret' },
      }),
      homeRegion: 'eu-west-1',
      regions: ['eu-west-1'],
    });

    // Act
    const result = await runSnapshotJob(request, { ...deps, clouds: [aws, ...deps.clouds] });

    // Assess
    expect(cloudSql.backups.insertCalls).toBe(1);
    expect(result.results).toMatchObject([{ target: { id: 'certctl-pg' }, outcome: 'available' }]);
    expect(result.problems).toEqual([
      expect.stringMatching(/^aws: targets not read \(STS GetCallerIdentity failed/),
    ]);
    expect(result.problems.join('')).not.toContain('canary-not-a-secret');
    expect(snapshotExitCode(result)).toBe(2);
  });

  it.each(['OVERDUE', 'SQL_BACKUP_RUN_STATUS_UNSPECIFIED'] as const)(
    'takes the next attempt at once, not waiting on it until the deadline, when the request’s backup says %s',
    async (status) => {
      // Prepare: the request's first backup exists and says `status` (OVERDUE "Indicates a problem";
      // UNSPECIFIED "The status of the run is unknown").
      const target = {
        provider: 'gcp',
        kind: 'cloudsql-instance',
        account: PROJECT,
        region: 'europe-west1',
        id: 'certctl-pg',
      } as const;
      const firstId = snapshotIdentifier(target as never, request.requestId);
      const { cloudSql, deps } = await start([
        instance('certctl-pg', {
          onDemandBackups: {
            durationMs: 100,
            existing: [
              {
                description: describeBackup(firstId, { 'request-id': request.requestId }),
                createdAt: '-1h',
                status,
              },
            ],
          },
        }),
      ]);

      // Act
      const result = await runSnapshotJob(request, deps);

      // Assess
      expect(result.results[0]).toMatchObject({
        outcome: 'available',
        snapshotAttempt: 2,
        snapshotId: `${firstId}-a2`,
      });
      expect(cloudSql.backups.insertCalls).toBe(1);
    },
  );

  it('inserts a second backup under the attempt name, not re-reporting the failed one, when the same request is re-run after its backup failed', async () => {
    // Prepare
    const { cloudSql, deps } = await start([instance('certctl-pg-broken', backup(100, { fails: true }))]);
    const first = await runSnapshotJob(request, deps);

    // Act
    const second = await runSnapshotJob(request, deps);
    const third = await runSnapshotJob(request, deps);
    const fourth = await runSnapshotJob(request, deps);

    // Assess
    expect(first.results[0]).toMatchObject({ outcome: 'failed', snapshotAttempt: 1 });
    expect(second.results[0]).toMatchObject({
      outcome: 'failed',
      snapshotAttempt: 2,
      snapshotId: `${first.results[0]?.snapshotId}-a2`,
    });
    expect(third.results[0]).toMatchObject({ outcome: 'failed', snapshotAttempt: 3 });
    expect(fourth.results[0]?.error?.code).toBe('SnapshotAttemptsExhausted');
    expect(cloudSql.backups.insertCalls).toBe(3);
    expect(cloudSql.backups.all().map((run) => /id=([^;]+)/.exec(run.description)?.[1])).toEqual(
      expect.arrayContaining([
        first.results[0]?.snapshotId,
        second.results[0]?.snapshotId,
        third.results[0]?.snapshotId,
      ]),
    );
  });

  it('names the primary to back up instead, and backs up nothing, when the request names a Cloud SQL read replica', async () => {
    // Prepare: a cross-region replica of certctl-pg; the primary is selected by its labels.
    const { cloudSql, deps } = await start([
      instance('certctl-pg', backup(100)),
      instance('certctl-pg-replica', {
        region: 'europe-west4',
        instanceType: 'READ_REPLICA_INSTANCE',
        masterInstanceName: `${PROJECT}:certctl-pg`,
      }),
    ]);

    // Act: by name and by connection name.
    const result = await runSnapshotJob(
      { ...request, targets: ['certctl-pg-replica', `${PROJECT}:europe-west4:certctl-pg-replica`] },
      deps,
    );

    // Assess: the primary is not backed up in the replica's place.
    expect(result.results).toEqual([]);
    const told = (name: string) =>
      `target ${name} is a Cloud SQL read replica of certctl-pg (gcp/${PROJECT}/europe-west1), and a read replica is not snapshotted on its own: the snapshot of its source is what restores it. Nothing was snapshotted for it; to snapshot its data, ask again naming its source certctl-pg`;
    expect(result.problems).toEqual([
      told('certctl-pg-replica'),
      told(`${PROJECT}:europe-west4:certctl-pg-replica`),
    ]);
    expect(cloudSql.backups.insertCalls).toBe(0);
    expect(snapshotExitCode(result)).toBe(2);
  });

  it('names the primary to back up instead, and backs up nothing, when the request names a replica of a Cloud SQL read replica', async () => {
    // Prepare: certctl-pg-leaf is a replica of certctl-pg-replica, itself a replica of certctl-pg.
    const { cloudSql, deps } = await start([
      instance('certctl-pg', backup(100)),
      instance('certctl-pg-replica', {
        instanceType: 'READ_REPLICA_INSTANCE',
        masterInstanceName: `${PROJECT}:certctl-pg`,
      }),
      instance('certctl-pg-leaf', {
        instanceType: 'READ_REPLICA_INSTANCE',
        masterInstanceName: `${PROJECT}:certctl-pg-replica`,
      }),
    ]);

    // Act
    const result = await runSnapshotJob({ ...request, targets: ['certctl-pg-leaf'] }, deps);

    // Assess: before, the leaf was named as not found, though instances.list sent it.
    expect(result.results).toEqual([]);
    expect(result.problems).toEqual([
      `target certctl-pg-leaf is a Cloud SQL cascading read replica (a read replica of certctl-pg-replica, itself a read replica of certctl-pg) of certctl-pg (gcp/${PROJECT}/europe-west1), and a read replica is not snapshotted on its own: the snapshot of its source is what restores it. Nothing was snapshotted for it; to snapshot its data, ask again naming its source certctl-pg`,
    ]);
    expect(cloudSql.backups.insertCalls).toBe(0);
  });

  it('says the engine of a named Cloud SQL MySQL instance the policy selects, target by target, not of an unselected SQL Server one, and backs up nothing of either', async () => {
    // Prepare: a labelled MySQL instance and an unlabelled SQL Server one beside a PostgreSQL primary.
    const { cloudSql, deps } = await start([
      instance('certctl-pg', backup(100)),
      instance('certctl-mysql', { databaseVersion: 'MYSQL_8_0' }),
      instance('certctl-sqlserver', { databaseVersion: 'SQLSERVER_2019_STANDARD', labels: {} }),
    ]);

    // Act: by name and by connection name, beside a PostgreSQL target and a name nothing answers to.
    const result = await runSnapshotJob(
      {
        ...request,
        targets: ['certctl-mysql', `${PROJECT}:europe-west1:certctl-sqlserver`, 'certctl-pg', 'gone'],
      },
      deps,
    );

    // Assess: the PostgreSQL target is backed up; each other one is named with its engine, not as
    // not found, and no backup run is inserted for it.
    expect(result.results.map((entry) => [entry.target.id, entry.outcome])).toEqual([
      ['certctl-pg', 'available'],
    ]);
    expect(result.problems).toEqual([
      `target certctl-mysql is a database of engine MYSQL_8_0 (gcp/${PROJECT}/europe-west1), which is not PostgreSQL: backup-guard neither audits nor snapshots it, so nothing was snapshotted for it`,
      // Unlabelled, so not selected: told no more than of an unselected PostgreSQL instance.
      `target ${PROJECT}:europe-west1:certctl-sqlserver was not found among the databases the policy selects (targets.tags, targets.identifiers, targets.all), or is not a PostgreSQL primary`,
      'target gone was not found among the databases the policy selects (targets.tags, targets.identifiers, targets.all), or is not a PostgreSQL primary',
    ]);
    expect(cloudSql.backups.all().map((run) => run.instance)).toEqual(['certctl-pg']);
    expect(snapshotExitCode(result)).toBe(2);
  });

  it('names a labelled MySQL instance as not backed up, and backs up the PostgreSQL ones, in a run over every target', async () => {
    // Prepare: an unlabelled MySQL instance is no business of the run.
    const { cloudSql, deps } = await start([
      instance('certctl-pg', backup(100)),
      instance('certctl-mysql', { databaseVersion: 'MYSQL_8_0' }),
      instance('other-mysql', { databaseVersion: 'MYSQL_8_0', labels: {} }),
    ]);

    // Act
    const result = await runSnapshotJob(request, deps);

    // Assess: as the audit's Coverage says it; the run is incomplete (exit 2), not failed.
    expect(result.results.map((entry) => [entry.target.id, entry.outcome])).toEqual([
      ['certctl-pg', 'available'],
    ]);
    expect(result.problems).toEqual([
      `certctl-mysql (gcp/${PROJECT}/europe-west1) is selected by the target tag certctl:backup-guard=enabled but its engine MYSQL_8_0 is not PostgreSQL: backup-guard neither audits nor snapshots it`,
    ]);
    expect(cloudSql.backups.insertCalls).toBe(1);
    expect(snapshotExitCode(result)).toBe(2);
  });

  it('answers an instance on the enhanced backup tier with the Backup and DR command, inserting no backup run for it, while the other target still gets its backup', async () => {
    // Prepare: Google documents backupRuns.insert for standard backups only ("Manage standard
    // backups"); an enhanced one's on-demand backup is a Backup and DR trigger-backup.
    const { cloudSql, deps } = await start([
      instance('certctl-pg', backup(100)),
      instance('certctl-pg-enhanced', { ...backup(100), backups: { backupTier: 'ENHANCED' } }),
      instance('certctl-pg-advanced', { ...backup(100), backups: { backupTier: 'ADVANCED' } }),
    ]);

    // Act
    const result = await runSnapshotJob(request, deps);

    // Assess
    const byId = Object.fromEntries(result.results.map((entry) => [entry.target.id, entry]));
    expect(byId['certctl-pg']?.outcome).toBe('available');
    for (const [name, tier] of [
      ['certctl-pg-enhanced', 'ENHANCED'],
      ['certctl-pg-advanced', 'ADVANCED'],
    ] as const) {
      expect(byId[name]).toMatchObject({
        outcome: 'error',
        attempts: 0,
        error: {
          code: 'SnapshotOnBackupPlan',
          message: `Cloud SQL instance ${name} uses enhanced backups (backupConfiguration.backupTier=${tier}): Backup and DR takes its backups, and Cloud SQL documents backupRuns.insert for standard backups only, so nothing was written. Take the on-demand backup with \`gcloud backup-dr backup-plan-associations trigger-backup BACKUP_PLAN_ASSOCIATION --project=${PROJECT} --location=europe-west1 --backup-rule-id=BACKUP_RULE_ID\` (BACKUP_PLAN_ASSOCIATION: the association that names this instance, listed by \`gcloud backup-dr backup-plan-associations fetch-for-resource-type sqladmin.googleapis.com/Instance --location=europe-west1 --project=${PROJECT}\`; BACKUP_RULE_ID: a rule of its backup plan), then ask readiness again.`,
        },
      });
    }
    expect(cloudSql.backups.all().map((run) => run.instance)).toEqual(['certctl-pg']);
    expect(cloudSql.backups.insertCalls).toBe(1);
    expect(result.problems).toEqual([]);
    expect(snapshotExitCode(result)).toBe(1);
  });

  it('reports an injected insert error with its gRPC code while the other target still gets its backup', async () => {
    // Prepare
    const { deps } = await start([
      instance('certctl-pg', backup(100)),
      instance('certctl-pg-denied', { ...backup(100), faults: { backupRunsInsert: 'PERMISSION_DENIED' } }),
    ]);

    // Act
    const result = await runSnapshotJob(request, deps);

    // Assess
    const byId = Object.fromEntries(result.results.map((entry) => [entry.target.id, entry]));
    expect(byId['certctl-pg']?.outcome).toBe('available');
    expect(byId['certctl-pg-denied']?.outcome).toBe('error');
    expect(byId['certctl-pg-denied']?.error?.code).toBe('PERMISSION_DENIED');
  });

  it.each([
    ['stopped (settings.activationPolicy NEVER)', { activationPolicy: 'NEVER' }, 'STOPPED'],
    ['SUSPENDED', { state: 'SUSPENDED' }, 'SUSPENDED'],
    ['FAILED', { state: 'FAILED' }, 'FAILED'],
  ] as const)(
    'answers a %s instance at once, naming its state and how to start it, while the other target still gets its backup',
    async (_label, overrides, status) => {
      // Prepare: Cloud SQL takes no backup of a stopped instance ("Cloud SQL doesn't take a backup of
      // an instance if you stop ... the instance") and refuses a not-running one with HTTP 400
      // "Invalid request since instance is not running."; waiting does not end these states.
      const { cloudSql, deps } = await start([
        instance('certctl-pg', backup(100)),
        instance('certctl-pg-held', { ...backup(100), ...overrides }),
      ]);

      // Act
      const result = await runSnapshotJob(request, deps);

      // Assess
      const byId = Object.fromEntries(result.results.map((entry) => [entry.target.id, entry]));
      expect(byId['certctl-pg']?.outcome).toBe('available');
      expect(byId['certctl-pg-held']).toMatchObject({ outcome: 'error', attempts: 1 });
      expect(byId['certctl-pg-held']?.error?.code).toMatch(/^(FAILED_PRECONDITION|INVALID_ARGUMENT)$/);
      expect(byId['certctl-pg-held']?.error?.message).toContain(`certctl-pg-held is ${status}`);
      expect(byId['certctl-pg-held']?.error?.message).toContain('not running');
      expect(byId['certctl-pg-held']?.error?.message).not.toContain('KMS key');
      if (status === 'STOPPED')
        expect(byId['certctl-pg-held']?.error?.message).toContain('--activation-policy=ALWAYS');
      expect(cloudSql.backups.all().map((run) => run.instance)).toEqual(['certctl-pg']);
    },
  );

  it('keeps polling the other backups and reports the unpollable one at the deadline when operations.get keeps failing for one instance', async () => {
    // Prepare
    const { deps } = await start(
      [
        instance('certctl-pg', backup(100)),
        instance('certctl-pg-blind', { ...backup(100), faults: { operationsGet: 'INTERNAL' } }),
      ],
      { snapshots: { waitMinutes: 0.02 } },
    );

    // Act
    const result = await runSnapshotJob(request, deps);

    // Assess
    const byId = Object.fromEntries(result.results.map((entry) => [entry.target.id, entry]));
    expect(byId['certctl-pg']?.outcome).toBe('available');
    expect(byId['certctl-pg-blind']?.outcome).toBe('creating');
    expect(byId['certctl-pg-blind']?.error?.code).toBe('DeadlineExceeded');
  });
});

describe('maintenance job on Cloud SQL', () => {
  it('backs up the instance whose scheduled maintenance is within the horizon, once however often it runs', async () => {
    // Prepare
    const { cloudSql, deps } = await start([
      instance('certctl-pg', { ...backup(100), scheduledMaintenance: { start: '+10h' } }),
      instance('certctl-pg-later', { ...backup(100), scheduledMaintenance: { start: '+20d' } }),
      instance('certctl-pg-none', backup(100)),
    ]);

    // Act
    const first = await runMaintenanceJob(deps);
    const second = await runMaintenanceJob(deps);

    // Assess
    expect(first.events.map((event) => `${event.target.id} ${event.action}`)).toEqual([
      'certctl-pg scheduled-maintenance',
    ]);
    expect(first.later).toBe(1);
    expect(first.snapshots[0]?.outcome).toBe('available');
    expect(second.snapshots[0]?.snapshotId).toBe(first.snapshots[0]?.snapshotId);
    expect(cloudSql.backups.insertCalls).toBe(1);
  });
});

describe('maintenance job on Cloud SQL, a start time not sent', () => {
  it('reports scheduled maintenance whose start time was not sent as not judged, neither later nor due', async () => {
    // Prepare
    const { cloudSql, deps } = await start([
      instance('certctl-pg', { ...backup(100), scheduledMaintenance: {} }),
    ]);

    // Act
    const result = await runMaintenanceJob(deps);

    // Assess
    expect(result.events).toEqual([]);
    expect(result.later).toBe(0);
    expect(result.problems).toEqual([
      expect.stringMatching(
        /^certctl-pg \(gcp\/.+\): scheduled-maintenance will be applied, but no date was sent: not judged/,
      ),
    ]);
    expect(cloudSql.backups.insertCalls).toBe(0);
  });
});

describe('prune on Cloud SQL', () => {
  // Expired an hour ago, after each backup below was created: one created after the expiry its
  // description claims is not proven ours (functions/actions/snapshot/prune.ts notTakenHere).
  const EXPIRED_AT = new Date(Date.now() - 3_600_000).toISOString();
  const ours = (id: string, expires: string) =>
    `${SNAPSHOT_PURPOSE}; id=${id}; reason=old; requested-by=bob; request-id=r-${id}; expires-at=${expires}`;
  const toDelete = (result: Awaited<ReturnType<typeof pruneRecorded>>) =>
    result.entries.filter((entry) => entry.decision === 'delete').map((entry) => entry.snapshotId);
  /** The runs of certctl-pg left once the simulator's deletes (500 ms) are done: our id, or the description. */
  const remainingRuns = async (cloudSql: CloudSqlSim) => {
    await new Promise((resolve) => setTimeout(resolve, 600));
    return cloudSql.backups
      .runs(PROJECT, 'certctl-pg', new Date())
      .map(({ run }) => run.description.split('; ')[1] ?? run.description)
      .sort();
  };

  it('deletes only expired backups of ours and keeps the newest successful one and everyone else’s', async () => {
    // Prepare
    const { cloudSql, deps } = await start([
      instance('certctl-pg', {
        onDemandBackups: {
          existing: [
            { description: ours('certctl-premaint-old', EXPIRED_AT), createdAt: '-40d' },
            { description: ours('certctl-premaint-new', EXPIRED_AT), createdAt: '-20d' },
            { description: 'manual backup before the upgrade', createdAt: '-300d' },
          ],
        },
      }),
    ]);
    const dryRun = await pruneRecorded({}, deps);

    // Act
    const applied = await pruneRecorded({ apply: true }, deps);

    // Assess
    expect(toDelete(dryRun)).toEqual(['certctl-premaint-old']);
    // backupRuns.delete answers an operation still under way: requested, not yet known deleted.
    expect(applied).toMatchObject({ deleted: 0, requested: 1, pending: 0 });
    expect(await remainingRuns(cloudSql)).toEqual([
      'id=certctl-premaint-new',
      'manual backup before the upgrade',
    ]);
  });

  it('prunes the instances whose backup runs were read when another instance’s listing fails, and names that instance', async () => {
    // Prepare: backupRuns.list is refused for one instance of the project (a 403 there, say, or an
    // instance deleted since instances.list); the other instance holds an expired backup of ours.
    const { deps } = await start([
      instance('certctl-pg', {
        onDemandBackups: {
          existing: [
            { description: ours('certctl-premaint-old', EXPIRED_AT), createdAt: '-40d' },
            { description: ours('certctl-premaint-new', EXPIRED_AT), createdAt: '-20d' },
          ],
        },
      }),
      instance('certctl-pg-denied', { faults: { backupRuns: 'PERMISSION_DENIED' } }),
    ]);

    // Act
    const applied = await pruneRecorded({ apply: true }, deps);

    // Assess: the instance read is pruned; the one not read is named, and nothing of it is decided.
    expect(toDelete(applied)).toEqual(['certctl-premaint-old']);
    expect(applied).toMatchObject({ requested: 1, kept: 1, pending: 0 });
    expect(applied.entries.every((entry) => entry.target === 'certctl-pg')).toBe(true);
    expect(applied.problems).toEqual([
      `${PROJECT}/*: snapshots of certctl-pg-denied not listed (Simulated PERMISSION_DENIED for backupRuns.list on certctl-pg-denied.)`,
    ]);
  });

  it('deletes an expired backup of ours again when its earlier deletion failed, instead of keeping it as being deleted', async () => {
    // Prepare: SqlBackupRunStatus DELETION_FAILED, "The backup deletion failed": the run is still there.
    const { cloudSql, deps } = await start([
      instance('certctl-pg', {
        onDemandBackups: {
          existing: [
            {
              description: ours('certctl-premaint-undeleted', EXPIRED_AT),
              createdAt: '-40d',
              status: 'DELETION_FAILED',
            },
            { description: ours('certctl-premaint-kept', '2999-01-01T00:00:00.000Z'), createdAt: '-1d' },
          ],
        },
      }),
    ]);

    // Act
    const applied = await pruneRecorded({ apply: true }, deps);

    // Assess
    expect(toDelete(applied)).toEqual(['certctl-premaint-undeleted']);
    // backupRuns.delete answers an operation still under way: requested, not yet known deleted.
    expect(applied).toMatchObject({ deleted: 0, requested: 1, pending: 0 });
    expect(await remainingRuns(cloudSql)).toEqual(['id=certctl-premaint-kept']);
  });
  it('reports as not attempted, neither kept nor failed, an expired backup whose instance is busy with another operation', async () => {
    // Prepare: maintenance (another operation) runs on the instance for the whole prune.
    const { cloudSql, deps } = await start([
      instance('certctl-pg', {
        onDemandBackups: {
          busyForMs: 60_000,
          existing: [
            { description: ours('certctl-premaint-old', EXPIRED_AT), createdAt: '-40d' },
            { description: ours('certctl-premaint-new', '2999-01-01T00:00:00.000Z'), createdAt: '-1d' },
          ],
        },
      }),
    ]);

    // Act
    const applied = await pruneRecorded({ apply: true }, deps);

    // Assess
    expect(applied).toMatchObject({ deleted: 0, requested: 0, pending: 0, notAttempted: 1 });
    const old = applied.entries.find((entry) => entry.snapshotId === 'certctl-premaint-old');
    expect(old).toMatchObject({ decision: 'not-attempted' });
    expect(old?.reason).toMatch(/another operation was already in progress.*the next prune deletes it/);
    expect(await remainingRuns(cloudSql)).toEqual(['id=certctl-premaint-new', 'id=certctl-premaint-old']);
  });

  it('deletes every expired backup of one instance in one run, waiting for the running delete before the next (Cloud SQL refuses a second operation with 409)', async () => {
    // Prepare: three expired backups of ours on one instance, and the newest one kept.
    const { cloudSql, deps } = await start([
      instance('certctl-pg', {
        onDemandBackups: {
          existing: [
            { description: ours('certctl-premaint-a', EXPIRED_AT), createdAt: '-40d' },
            { description: ours('certctl-premaint-b', EXPIRED_AT), createdAt: '-39d' },
            { description: ours('certctl-premaint-c', EXPIRED_AT), createdAt: '-38d' },
            { description: ours('certctl-premaint-new', '2999-01-01T00:00:00.000Z'), createdAt: '-1d' },
          ],
        },
      }),
    ]);

    // Act
    const applied = await pruneRecorded({ apply: true }, deps);
    const again = await pruneRecorded({ apply: true }, deps);

    // Assess: the deletes waited for were confirmed, the last one is requested; none failed.
    expect(toDelete(applied).sort()).toEqual([
      'certctl-premaint-a',
      'certctl-premaint-b',
      'certctl-premaint-c',
    ]);
    expect(applied).toMatchObject({ deleted: 2, requested: 1, pending: 0 });
    // A re-run while the last delete runs keeps that backup as being deleted, never a failed delete.
    expect(again.pending).toBe(0);
    expect(
      again.entries.find((entry) => entry.snapshotId === 'certctl-premaint-c')?.reason ?? 'gone',
    ).toMatch(/deleting|gone/);
    expect(await remainingRuns(cloudSql)).toEqual(['id=certctl-premaint-new']);
  });
});

describe('readiness on Cloud SQL', () => {
  it('cannot answer GO when a database the GCP-only policy names no longer exists', async () => {
    // Prepare: the policy (no aws section) names certctl-pg and a database that is gone.
    const { deps, readinessDeps } = await start([instance('certctl-pg', backup(100))], {
      pitr: { minPitrDays: 7 },
      targets: { tags: [], identifiers: ['certctl-pg', 'certctl-gone'] },
    });
    await runSnapshotJob(request, deps);

    // Act
    const result = await runReadinessJob({ providers: ['gcp'] }, readinessDeps);

    // Assess
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.exitCode).toBe(2);
    expect(result.notEvaluated).toContain('target certctl-gone: named by the policy but not found');
  });

  it('does not count a fresh backup of ours taken before the instance of that name was created', async () => {
    // Prepare: certctl-pg was deleted and created again an hour ago (Cloud SQL lets a name be
    // reused at once); a backup run of ours of that name is two hours old.
    const { readinessDeps } = await start(
      [
        instance('certctl-pg', {
          createdAt: '-1h',
          onDemandBackups: {
            existing: [
              {
                description: `${SNAPSHOT_PURPOSE}; id=certctl-premaint-before-recreate; reason=CA rotation; requested-by=bob; request-id=r-1`,
                createdAt: '-2h',
              },
            ],
          },
        }),
      ],
      { pitr: { minPitrDays: 7 } },
    );

    // Act
    const result = await runReadinessJob({ providers: ['gcp'] }, readinessDeps);

    // Assess
    const gate = result.targets[0]?.gates.find((entry) => entry.gate === 'snapshot');
    expect(gate?.status).toBe('NO-GO');
    expect(gate?.evidence).toContain('certctl-premaint-before-recreate was taken at');
    expect(gate?.evidence).toContain('before the instance named certctl-pg was created');
  });

  it('answers NO-GO naming our backup still being created, and says to wait for it rather than take another', async () => {
    // Prepare: a backup of ours that takes ten minutes started a moment ago.
    const { cloudSql, readinessDeps } = await start([instance('certctl-pg', backup(600_000))], {
      pitr: { minPitrDays: 7 },
    });
    const startedAt = new Date();
    cloudSql.backups.insert(
      PROJECT,
      'certctl-pg',
      describeBackup('bg-certctl-pg-chg-41', { requestId: 'CHG-41' }),
      { durationMs: 600_000, fails: false, existing: [] },
      startedAt,
    );

    // Act
    const result = await runReadinessJob({ providers: ['gcp'] }, readinessDeps);

    // Assess
    const gate = result.targets[0]?.gates.find((entry) => entry.gate === 'snapshot');
    expect(result.verdict).toBe('NO-GO');
    expect(gate?.status).toBe('NO-GO');
    expect(gate?.evidence).toContain('bg-certctl-pg-chg-41 is still being created (started ');
    expect(gate?.action).toContain('Wait for bg-certctl-pg-chg-41');
    expect(gate?.action).not.toContain('backup-guard snapshot');
  });

  // SqlBackupRunStatus OVERDUE "Indicates a problem"; SQL_BACKUP_RUN_STATUS_UNSPECIFIED "The status
  // of the run is unknown" (Cloud SQL Admin v1 reference): neither is a backup being created.
  it.each(['OVERDUE', 'SQL_BACKUP_RUN_STATUS_UNSPECIFIED'] as const)(
    'answers NO-GO saying to take a backup, not to wait, beside a backup of ours that says %s',
    async (status) => {
      // Prepare: a backup run of ours started ten minutes ago and says `status` (sent as a number).
      const { readinessDeps } = await start(
        [
          instance('certctl-pg', {
            onDemandBackups: {
              existing: [
                {
                  description: describeBackup('bg-certctl-pg-chg-41', { requestId: 'CHG-41' }),
                  createdAt: '-10m',
                  status,
                },
              ],
            },
          }),
        ],
        { pitr: { minPitrDays: 7 } },
      );

      // Act
      const result = await runReadinessJob({ providers: ['gcp'] }, readinessDeps);

      // Assess
      const gate = result.targets[0]?.gates.find((entry) => entry.gate === 'snapshot');
      expect(gate?.status).toBe('NO-GO');
      expect(gate?.evidence).not.toContain('still being created');
      expect(gate?.action).toContain('backup-guard snapshot');
    },
  );

  it('says a named labelled MySQL instance is not PostgreSQL, not that it was not found, and answers no GO', async () => {
    // Prepare
    const { deps, readinessDeps } = await start(
      [instance('certctl-pg', backup(100)), instance('certctl-mysql', { databaseVersion: 'MYSQL_8_0' })],
      { pitr: { minPitrDays: 7 } },
    );
    await runSnapshotJob(request, deps);

    // Act
    const result = await runReadinessJob({ providers: ['gcp'], targets: ['certctl-mysql'] }, readinessDeps);

    // Assess
    expect(result.notEvaluated).toEqual([
      'certctl-mysql is selected by the target tag certctl:backup-guard=enabled but its engine MYSQL_8_0 is not PostgreSQL: not audited',
      'no target judged: none of the databases named (certctl-mysql) was judged by this run (above)',
    ]);
    expect(result.verdict).not.toBe('GO');
    expect(result.exitCode).toBe(2);
  });

  it('answers NO-GO without a fresh backup and GO after the snapshot job ran', async () => {
    // Prepare
    const { deps, readinessDeps } = await start([instance('certctl-pg', backup(100))], {
      pitr: { minPitrDays: 7 },
    });
    const before = await runReadinessJob({ providers: ['gcp'] }, readinessDeps);
    await runSnapshotJob(request, deps);

    // Act
    const after = await runReadinessJob({ providers: ['gcp'] }, readinessDeps);

    // Assess
    expect(before.verdict).toBe('NO-GO');
    expect(before.targets[0]?.gates.find((gate) => gate.gate === 'snapshot')?.status).toBe('NO-GO');
    expect(after.verdict).toBe('GO');
    expect(after.targets[0]?.gates.map((gate) => `${gate.gate} ${gate.status}`)).toEqual([
      'audit:pitr GO',
      'snapshot GO',
    ]);
  });
});

describe('snapshot job on a Cloud SQL instance Google suspends while its backup runs', () => {
  /** The snapshot job over certctl-pg, suspended for `reasons` while its backup runs; its one result. */
  async function snapshotSuspended(reasons: string[], faults: CloudSqlInstanceScenario['faults'] = {}) {
    const { deps } = await start([
      instance('certctl-pg', {
        ...backup(100),
        suspendedDuringBackup: reasons as CloudSqlInstanceScenario['suspendedDuringBackup'],
        faults,
      }),
    ]);
    const result = await runSnapshotJob(request, deps);
    return result.results[0];
  }
  const operationErrors = 'INTERNAL_ERROR: An internal error occurred while backing up the instance.';
  const attempt = ' (attempt 1 of 3; a later run of this request takes attempt 2)';

  it('says the instance is suspended now, why and what to do, besides the operation’s errors', async () => {
    // Act
    const entry = await snapshotSuspended(['BILLING_ISSUE']);

    // Assess: the operation's errors do not say it; the instance read again does.
    expect(entry?.outcome).toBe('failed');
    expect(entry?.error?.message).toBe(
      `${operationErrors}; read again after the backup failed, instance certctl-pg is SUSPENDED, a state it does not leave on its own: Google suspended it for billing (suspensionReason BILLING_ISSUE): resolve the problem with the Cloud Billing account of project ${PROJECT}${attempt}`,
    );
  });

  it('says how to read why when the suspended instance’s answer sends no suspensionReason', async () => {
    // Act
    const entry = await snapshotSuspended([]);

    // Assess
    expect(entry?.error?.message).toBe(
      `${operationErrors}; read again after the backup failed, instance certctl-pg is SUSPENDED, a state it does not leave on its own: Read why Google suspended it (no suspensionReason was sent: \`gcloud sql instances describe certctl-pg --project=${PROJECT} --format="value(suspensionReason)"\`) and resolve that${attempt}`,
    );
  });

  it('says only the operation’s errors when the instance cannot be read again', async () => {
    // Act: instances.get refused (the listing, instances.list, still answers).
    const entry = await snapshotSuspended(['BILLING_ISSUE'], { instancesGet: 'PERMISSION_DENIED' });

    // Assess: nothing read says the instance is suspended, so nothing says it.
    expect(entry?.outcome).toBe('failed');
    expect(entry?.error?.message).toBe(`${operationErrors}${attempt}`);
  });
});

describe('snapshot action on a Cloud SQL instance that leaves the listed state while it retries', () => {
  /** takeSnapshots of `name`, listed as `listed`, over the real Cloud SQL backend and clients. */
  async function snapshotOf(name: string, listed: string) {
    const { deps } = await start([
      instance('certctl-pg-stopped', { state: 'RUNNABLE', activationPolicy: 'NEVER' }),
      instance('certctl-pg-suspended', { state: 'SUSPENDED' }),
      instance('certctl-pg-maintenance', { state: 'MAINTENANCE' }),
    ]);
    const target: SnapshotTarget = {
      provider: 'gcp',
      kind: 'cloudsql-instance',
      account: PROJECT,
      region: 'europe-west1',
      id: name,
      status: listed,
    };
    const started = Date.now();
    const [result] = await takeSnapshots(request, [target], {
      policy: deps.policy.snapshots,
      backendFor: () => cloudSqlSnapshotBackend(factory?.cloudSqlBackups() as never, PROJECT),
    });
    return { result, elapsedMs: Date.now() - started };
  }

  it.each([
    ['certctl-pg-stopped', 'STOPPED'],
    ['certctl-pg-suspended', 'SUSPENDED'],
  ])('answers at once when %s, listed MAINTENANCE, is %s now', async (name, now) => {
    // Act: Cloud SQL refuses the insert ("instance is not running"); the listing said MAINTENANCE.
    const { result } = await snapshotOf(name, 'MAINTENANCE');

    // Assess: the state instances.get says now, which waiting does not end, said at once.
    expect(result?.outcome).toBe('error');
    expect(result?.error?.message).toContain(`${name} is ${now}, a state it does not leave on its own`);
    expect(result?.attempts).toBe(1);
  });

  it('keeps retrying an instance still in maintenance until the deadline', async () => {
    const { result } = await snapshotOf('certctl-pg-maintenance', 'MAINTENANCE');
    expect(result?.outcome).toBe('busy');
    expect(result?.attempts).toBeGreaterThan(1);
  });
});

describe('snapshot of a Cloud SQL replica of a server outside Cloud SQL', () => {
  // external-src is the source representation instance (ON_PREMISES_INSTANCE) of a PostgreSQL
  // server outside Cloud SQL; external-replica replicates from it. Neither has Cloud SQL backups
  // that restore the data, and neither is a target: the answer says so, never "not found".
  const external = [
    instance('external-src', { instanceType: 'ON_PREMISES_INSTANCE' }),
    instance('external-replica', {
      instanceType: 'READ_REPLICA_INSTANCE',
      masterInstanceName: `${PROJECT}:external-src`,
    }),
    instance('certctl-pg', backup(100)),
  ];

  it('says a request naming the replica that it replicates from outside Cloud SQL, and snapshots nothing', async () => {
    // Prepare
    const { cloudSql, deps } = await start(external);

    // Act
    const result = await runSnapshotJob({ ...request, targets: ['external-replica'] }, deps);

    // Assess
    expect(cloudSql.backups.insertCalls).toBe(0);
    expect(result.results).toEqual([]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toContain(
      'target external-replica is a Cloud SQL read replica of external-src',
    );
    expect(result.problems[0]).toContain('outside Cloud SQL');
    expect(result.problems[0]).not.toContain('not found');
    expect(snapshotExitCode(result)).toBe(2);
  });

  it('says a targets.identifiers entry naming the replica is outside Cloud SQL when the policy’s targets are snapshotted', async () => {
    // Prepare
    const { deps } = await start(external, {
      targets: { tags: [], identifiers: ['external-replica', 'certctl-pg'] },
    });

    // Act
    const result = await runSnapshotJob(request, deps);

    // Assess
    expect(result.results.map((entry) => [entry.target.id, entry.outcome])).toEqual([
      ['certctl-pg', 'available'],
    ]);
    expect(result.problems).toEqual([
      expect.stringContaining('target external-replica is a Cloud SQL read replica of external-src'),
    ]);
    expect(result.problems[0]).toContain('outside Cloud SQL');
  });
});
