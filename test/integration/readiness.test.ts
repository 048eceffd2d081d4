/**
 * Readiness end to end: the audit (every registered group) and the snapshot gate against the
 * simulator with the real RDS client.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsSnapshotCloud } from '../../functions/actions/snapshot/aws.ts';
import { statusAnswer } from '../../functions/chatops/answers.ts';
import { cloudChatJobs, jobChatActions } from '../../functions/chatops/job-actions.ts';
import type { Policy } from '../../functions/core/policy.ts';
import { renderReadiness, runReadinessJob } from '../../functions/jobs/readiness.ts';
import { runSnapshotJob } from '../../functions/jobs/snapshot.ts';
import { fastPolicy, type SnapshotHarness, startSnapshotHarness, TAG } from './snapshot-support.ts';

let harness: SnapshotHarness;

beforeEach(async () => {
  harness = await startSnapshotHarness();
});

afterEach(async () => {
  await harness.close();
});

const prodOnly = () =>
  fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db', 'certctl-aurora'] } });

/** The chat jobs of an AWS entry point over the harness's readiness dependencies (no snapshots taken). */
function readinessChatJobs(
  policy: Policy,
  deps: ReturnType<SnapshotHarness['readinessDeps']>,
): ReturnType<typeof cloudChatJobs> {
  const aws = deps.aws as NonNullable<typeof deps.aws>;
  return cloudChatJobs({
    policy,
    providers: ['aws'],
    clouds: (selection) => [
      awsSnapshotCloud({ policy: selection, factory: aws.factory, homeRegion: 'eu-west-1' }),
    ],
    audit: { aws },
    once: async () => {
      throw new Error('no snapshot in this test');
    },
    lastAudit: async () => ({ unavailable: 'none' }),
  });
}

describe('readiness against the simulator', () => {
  it('answers NO-GO naming the missing snapshot and what to do when no fresh snapshot exists', async () => {
    // Act
    const result = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(prodOnly()));

    // Assess
    expect(result.verdict).toBe('NO-GO');
    expect(result.exitCode).toBe(1);
    const prod = result.targets.find((entry) => entry.target.id === 'certctl-prod-db');
    expect(prod?.gates.find((gate) => gate.gate === 'audit:pitr')?.status).toBe('GO');
    const snapshot = prod?.gates.find((gate) => gate.gate === 'snapshot');
    expect(snapshot).toMatchObject({
      status: 'NO-GO',
      evidence: 'no successful pre-maintenance snapshot of ours',
    });
    expect(snapshot?.action).toContain(
      'backup-guard snapshot --provider aws --target arn:aws:rds:eu-west-1:111111111111:db:certctl-prod-db ',
    );
    expect(result.gates.find((gate) => gate.gate === 'audit:pitr')?.coverage).toBe('evaluated');
  });

  it('answers GO with the snapshot id and age as evidence when every target has a fresh snapshot of ours', async () => {
    // Prepare
    const deps = harness.deps(prodOnly());
    await runSnapshotJob({ requestId: 'CHG-9', reason: 'CA rotation', requestedBy: 'alice' }, deps);

    // Act
    const result = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(prodOnly()));

    // Assess
    expect(result.verdict).toBe('GO');
    expect(result.exitCode).toBe(0);
    const gate = result.targets
      .find((entry) => entry.target.id === 'certctl-aurora')
      ?.gates.find((g) => g.gate === 'snapshot');
    expect(gate?.status).toBe('GO');
    // The cluster is encrypted with the account's AWS-managed aws/rds key, which is Enabled.
    expect(gate?.evidence).toMatch(
      /^certctl-premaint-certctl-aurora-[0-9a-f]{10}, 0\.0 h old \(limit 24 h\); KMS key arn:aws:kms:eu-west-1:111111111111:key\/[0-9a-f-]{36} Enabled$/,
    );
    expect(renderReadiness(result)).toContain('Readiness: GO');
  });

  it('answers NO-GO when the only snapshot of ours is older than the limit', async () => {
    // Prepare
    await harness.close();
    const { snapshotScenario } = await import('./snapshot-support.ts');
    harness = await startSnapshotHarness(
      snapshotScenario({
        existing: [
          {
            id: 'certctl-premaint-old-1',
            target: 'certctl-prod-db',
            region: 'eu-west-1',
            createdAt: '-30h',
            tags: { purpose: 'certctl-pre-maintenance' },
          },
          { id: 'someone-elses', target: 'certctl-prod-db', region: 'eu-west-1', createdAt: '-1h' },
        ],
      }),
    );

    // Act
    const result = await runReadinessJob(
      { providers: ['aws'] },
      harness.readinessDeps(fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db'] } })),
    );

    // Assess
    const gate = result.targets[0]?.gates.find((g) => g.gate === 'snapshot');
    expect(gate?.status).toBe('NO-GO');
    expect(gate?.evidence).toBe('certctl-premaint-old-1, 30.0 h old (limit 24 h)');
  });

  it('ages a copied snapshot of ours by when its data was taken, not by when it was copied', async () => {
    // Prepare: our snapshot was taken 30 h ago and copied (tags and all) an hour ago.
    await harness.close();
    const { snapshotScenario } = await import('./snapshot-support.ts');
    harness = await startSnapshotHarness(
      snapshotScenario({
        existing: [
          {
            id: 'certctl-premaint-copy-1',
            target: 'certctl-prod-db',
            region: 'eu-west-1',
            createdAt: '-30h',
            copiedAt: '-1h',
            tags: { purpose: 'certctl-pre-maintenance' },
          },
        ],
      }),
    );

    // Act
    const result = await runReadinessJob(
      { providers: ['aws'] },
      harness.readinessDeps(fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db'] } })),
    );

    // Assess
    const gate = result.targets[0]?.gates.find((g) => g.gate === 'snapshot');
    expect(gate).toMatchObject({
      status: 'NO-GO',
      evidence: 'certctl-premaint-copy-1, 30.0 h old (limit 24 h)',
    });
    expect(result.verdict).toBe('NO-GO');
  });

  it('does not age an Aurora cluster snapshot copied in its region by its SnapshotCreateTime', async () => {
    // Prepare: our snapshot of certctl-aurora was taken 30 h ago and copied (tags and all) in the same
    // region an hour ago. A DBClusterSnapshot has no OriginalSnapshotCreateTime: its
    // SnapshotCreateTime may be the copy's, so the copy proves no fresh data.
    await harness.close();
    const { snapshotScenario } = await import('./snapshot-support.ts');
    harness = await startSnapshotHarness(
      snapshotScenario({
        existing: [
          {
            id: 'certctl-premaint-aurora-copy',
            kind: 'cluster',
            target: 'certctl-aurora',
            region: 'eu-west-1',
            createdAt: '-30h',
            copiedAt: '-1h',
            copiedFrom:
              'arn:aws:rds:eu-west-1:111111111111:cluster-snapshot:certctl-premaint-certctl-aurora-1',
            tags: { purpose: 'certctl-pre-maintenance' },
          },
        ],
      }),
    );

    // Act
    const result = await runReadinessJob(
      { providers: ['aws'] },
      harness.readinessDeps(fastPolicy({ targets: { tags: [], identifiers: ['certctl-aurora'] } })),
    );

    // Assess
    const gate = result.targets[0]?.gates.find((g) => g.gate === 'snapshot');
    expect(gate?.status).toBe('UNKNOWN');
    expect(gate?.evidence).toBe(
      'certctl-premaint-aurora-copy is available but it is a copy of arn:aws:rds:eu-west-1:111111111111:cluster-snapshot:certctl-premaint-certctl-aurora-1, and a DB cluster snapshot sends only the copy’s creation time: when its data was taken cannot be told',
    );
    expect(result.verdict).not.toBe('GO');
  });

  it('does not count a snapshot copied from another region as the snapshot of the same-named database here', async () => {
    // Prepare: us-east-1's certctl-prod-db (another database) had a snapshot of ours taken an hour
    // ago, copied with its tags into eu-west-1 for disaster recovery.
    await harness.close();
    const { snapshotScenario } = await import('./snapshot-support.ts');
    harness = await startSnapshotHarness(
      snapshotScenario({
        existing: [
          {
            id: 'certctl-premaint-dr-copy',
            target: 'certctl-prod-db',
            region: 'eu-west-1',
            createdAt: '-1h',
            copiedAt: '-30m',
            sourceRegion: 'us-east-1',
            tags: { purpose: 'certctl-pre-maintenance' },
          },
        ],
      }),
    );

    // Act
    const result = await runReadinessJob(
      { providers: ['aws'] },
      harness.readinessDeps(fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db'] } })),
    );

    // Assess
    const gate = result.targets[0]?.gates.find((g) => g.gate === 'snapshot');
    expect(gate).toMatchObject({
      status: 'NO-GO',
      evidence: 'no successful pre-maintenance snapshot of ours',
    });
    expect(result.verdict).toBe('NO-GO');
  });

  it('does not count a snapshot copied from another account as the snapshot of the same-named database here', async () => {
    // Prepare: account 222222222222's certctl-prod-db (another database) had a snapshot of ours
    // taken an hour ago, shared and copied with its tags into this account.
    await harness.close();
    const { snapshotScenario } = await import('./snapshot-support.ts');
    harness = await startSnapshotHarness(
      snapshotScenario({
        existing: [
          {
            id: 'certctl-premaint-shared-copy',
            target: 'certctl-prod-db',
            region: 'eu-west-1',
            createdAt: '-1h',
            copiedFrom: 'arn:aws:rds:eu-west-1:222222222222:snapshot:certctl-premaint-certctl-prod-db-1',
            tags: { purpose: 'certctl-pre-maintenance' },
          },
        ],
      }),
    );

    // Act
    const result = await runReadinessJob(
      { providers: ['aws'] },
      harness.readinessDeps(fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db'] } })),
    );

    // Assess
    const gate = result.targets[0]?.gates.find((g) => g.gate === 'snapshot');
    expect(gate).toMatchObject({
      status: 'NO-GO',
      evidence: 'no successful pre-maintenance snapshot of ours',
    });
  });

  it('does not count an Aurora cluster snapshot copied from another region as the cluster’s own', async () => {
    // Prepare: us-east-1's certctl-aurora (another cluster) had a snapshot of ours taken an hour
    // ago, copied with its tags into eu-west-1.
    await harness.close();
    const { snapshotScenario } = await import('./snapshot-support.ts');
    harness = await startSnapshotHarness(
      snapshotScenario({
        existing: [
          {
            id: 'certctl-premaint-aurora-dr-copy',
            kind: 'cluster',
            target: 'certctl-aurora',
            region: 'eu-west-1',
            createdAt: '-1h',
            copiedFrom:
              'arn:aws:rds:us-east-1:111111111111:cluster-snapshot:certctl-premaint-certctl-aurora-1',
            tags: { purpose: 'certctl-pre-maintenance' },
          },
        ],
      }),
    );

    // Act
    const result = await runReadinessJob(
      { providers: ['aws'] },
      harness.readinessDeps(fastPolicy({ targets: { tags: [], identifiers: ['certctl-aurora'] } })),
    );

    // Assess
    const gate = result.targets[0]?.gates.find((g) => g.gate === 'snapshot');
    expect(result.targets[0]?.target.id).toBe('certctl-aurora');
    expect(gate).toMatchObject({
      status: 'NO-GO',
      evidence: 'no successful pre-maintenance snapshot of ours',
    });
  });

  it('counts an Aurora cluster snapshot only for the cluster when a DB instance has the same name', async () => {
    // Prepare: an RDS instance and an Aurora cluster both named certctl-db; only the cluster has a
    // fresh snapshot of ours.
    await harness.close();
    const { snapshotScenario } = await import('./snapshot-support.ts');
    const scenario = snapshotScenario({
      existing: [
        {
          id: 'certctl-premaint-cluster-1',
          kind: 'cluster',
          target: 'certctl-db',
          region: 'eu-west-1',
          createdAt: '-1h',
          tags: { purpose: 'certctl-pre-maintenance' },
        },
      ],
    });
    const rds = scenario.services?.rds as NonNullable<NonNullable<typeof scenario.services>['rds']>;
    harness = await startSnapshotHarness({
      ...scenario,
      services: {
        ...scenario.services,
        rds: {
          ...rds,
          instances: [{ id: 'certctl-db', region: 'eu-west-1', backupRetentionPeriod: 14 }],
          clusters: [
            { id: 'certctl-db', region: 'eu-west-1', members: [{ id: 'certctl-db-1', writer: true }] },
          ],
        },
      },
    });

    // Act
    const result = await runReadinessJob(
      { providers: ['aws'] },
      harness.readinessDeps(fastPolicy({ targets: { tags: [], identifiers: ['certctl-db'] } })),
    );

    // Assess
    const gates = result.targets.map(
      (entry) => `${entry.target.type} ${entry.gates.find((gate) => gate.gate === 'snapshot')?.status}`,
    );
    expect(gates.sort()).toEqual(['AwsRdsDbCluster GO', 'AwsRdsDbInstance NO-GO']);
    expect(result.verdict).toBe('NO-GO');
  });

  it('lists in chat status the targets that have no pre-maintenance snapshot of ours, not only the newest of those that do', async () => {
    // Prepare: a snapshot of certctl-prod-db only.
    await runSnapshotJob(
      { requestId: 'CHG-12', reason: 'CA rotation', requestedBy: 'alice', targets: ['certctl-prod-db'] },
      harness.deps(prodOnly()),
    );
    const jobs = readinessChatJobs(prodOnly(), harness.readinessDeps(prodOnly()));

    // Act
    const status = await jobChatActions(jobs).status();

    // Assess
    expect(status.snapshots.map((entry) => entry.target)).toEqual(['certctl-prod-db']);
    expect(status.withoutSnapshot).toEqual([
      { target: 'certctl-aurora', location: 'aws/111111111111/eu-west-1' },
    ]);
    expect(JSON.stringify(statusAnswer(status).blocks)).toContain(
      'No pre-maintenance snapshot of ours (1):* certctl-aurora (aws/111111111111/eu-west-1)',
    );
  });

  it('shows in chat status the snapshot being created, dated by its expires-at tag, not an older available one as the newest', async () => {
    // Prepare: an available snapshot of ours from two hours ago, then a request whose snapshot is
    // still creating (RDS sends no SnapshotCreateTime until it is created).
    await harness.close();
    const { snapshotScenario } = await import('./snapshot-support.ts');
    harness = await startSnapshotHarness(
      snapshotScenario({
        targets: [{ id: 'certctl-prod-db', region: 'eu-west-1', durationMs: 3_600_000 }],
        existing: [
          {
            id: 'certctl-premaint-earlier',
            target: 'certctl-prod-db',
            region: 'eu-west-1',
            createdAt: '-2h',
            tags: { purpose: 'certctl-pre-maintenance', 'expires-at': '2999-01-01T00:00:00.000Z' },
          },
        ],
      }),
    );
    const policy = fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db'] } });
    const asked = await runSnapshotJob(
      { requestId: 'CHG-13', reason: 'CA rotation', requestedBy: 'alice', wait: false },
      harness.deps(policy),
    );

    // Act
    const status = await jobChatActions(readinessChatJobs(policy, harness.readinessDeps(policy))).status();

    // Assess: the one being created is the newest, dated about now and said to be an estimate.
    const creating = asked.results[0]?.snapshotId;
    expect(creating).toBeDefined();
    expect(status.snapshots).toMatchObject([
      { target: 'certctl-prod-db', snapshotId: creating, state: 'creating' },
    ]);
    const dated = Date.parse(status.snapshots[0]?.createdAt ?? '');
    expect(Math.abs(dated - Date.now())).toBeLessThan(600_000);
    expect(JSON.stringify(statusAnswer(status).blocks)).toContain(
      `creating, about ${status.snapshots[0]?.createdAt} (its creation time was not sent; dated by its expires-at tag less snapshots.expiryDays ${policy.snapshots.expiryDays} days)`,
    );
  });

  it('does not count a fresh snapshot of ours of an earlier database of the same name, in readiness or in chat status', async () => {
    // Prepare: certctl-prod-db was deleted and created again after a snapshot of ours was taken
    // of the earlier database an hour ago; its DbiResourceId is that earlier database's.
    await harness.close();
    const { snapshotScenario } = await import('./snapshot-support.ts');
    harness = await startSnapshotHarness(
      snapshotScenario({
        existing: [
          {
            id: 'certctl-premaint-before-recreate',
            target: 'certctl-prod-db',
            region: 'eu-west-1',
            createdAt: '-1h',
            ofEarlierDatabase: true,
            tags: { purpose: 'certctl-pre-maintenance' },
          },
        ],
      }),
    );
    const policy = fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db'] } });

    // Act
    const result = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(policy));
    const status = await jobChatActions(readinessChatJobs(policy, harness.readinessDeps(policy))).status();

    // Assess
    const gate = result.targets[0]?.gates.find((g) => g.gate === 'snapshot');
    expect(gate?.status).toBe('NO-GO');
    expect(gate?.evidence).toContain(
      'certctl-premaint-before-recreate is of an earlier database named certctl-prod-db',
    );
    expect(result.verdict).toBe('NO-GO');
    expect(status.snapshots).toEqual([]);
    expect(status.withoutSnapshot).toEqual([
      { target: 'certctl-prod-db', location: 'aws/111111111111/eu-west-1' },
    ]);
  });

  it('answers NO-GO after the database is deleted and created again under its name, and GO on a snapshot of the new one', async () => {
    // Prepare: a fresh snapshot of ours, then the database deleted and created again.
    const policy = fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db'] } });
    await runSnapshotJob(
      { requestId: 'CHG-20', reason: 'CA rotation', requestedBy: 'alice' },
      harness.deps(policy),
    );
    const before = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(policy));
    harness.rds.store.recreateInstance({
      id: 'certctl-prod-db',
      region: 'eu-west-1',
      tags: TAG,
      backupRetentionPeriod: 14,
    });

    // Act
    const after = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(policy));
    await runSnapshotJob(
      { requestId: 'CHG-21', reason: 'CA rotation', requestedBy: 'alice' },
      harness.deps(policy),
    );
    const again = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(policy));

    // Assess
    expect([before.verdict, after.verdict, again.verdict]).toEqual(['GO', 'NO-GO', 'GO']);
    const gate = after.targets[0]?.gates.find((g) => g.gate === 'snapshot');
    expect(gate?.evidence).toMatch(/is of an earlier database named certctl-prod-db \(DbiResourceId db-/);
  });

  it('answers could-not-evaluate when a region cannot be read and nothing else says NO-GO', async () => {
    // Prepare
    const deps = harness.deps(prodOnly());
    await runSnapshotJob({ requestId: 'CHG-10', reason: 'CA rotation', requestedBy: 'alice' }, deps);
    harness.sim.setFaults({ downRegions: ['us-east-1'] });

    // Act
    const result = await runReadinessJob(
      { providers: ['aws'] },
      harness.readinessDeps(
        fastPolicy({
          targets: { tags: [], identifiers: ['certctl-prod-db', 'certctl-aurora'] },
          aws: { regions: ['eu-west-1', 'us-east-1'], maxAttempts: 1 },
        }),
      ),
    );

    // Assess
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.exitCode).toBe(2);
    expect(result.notEvaluated.some((note) => note.includes('us-east-1'))).toBe(true);
  });

  it('does not answer GO in chat when a database the command names is not found, even where a plain name could live in another cloud', async () => {
    // Prepare: the policy also configures GCP, so an AWS-only run cannot tell where a plain name
    // lives; the operator asks about two databases, one of them mistyped.
    const policy = fastPolicy({
      targets: { tags: [], identifiers: ['certctl-prod-db'] },
      gcp: { projects: ['certctl-gcp'] },
    });
    const deps = harness.readinessDeps(policy);
    await runSnapshotJob(
      { requestId: 'CHG-11', reason: 'CA rotation', requestedBy: 'alice' },
      harness.deps(policy),
    );
    const jobs = readinessChatJobs(policy, deps);

    // Act
    const found = await jobs.readiness(['certctl-prod-db']);
    const result = await jobs.readiness(['certctl-prod-db', 'certctl-prod-dbb']);

    // Assess
    expect(found.verdict).toBe('GO');
    expect(result.targets.map((entry) => `${entry.target.id} ${entry.status}`)).toEqual([
      'certctl-prod-db GO',
    ]);
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.notEvaluated).toEqual([expect.stringContaining('certctl-prod-dbb')]);
  });

  it('judges only the named databases the policy selects and answers could-not-evaluate naming one it does not select, when the request names both', async () => {
    // Prepare: the policy selects certctl-prod-db and certctl-aurora; unrelated-db exists, untagged.
    await runSnapshotJob(
      { requestId: 'CHG-12', reason: 'CA rotation', requestedBy: 'alice' },
      harness.deps(prodOnly()),
    );

    // Act
    const result = await runReadinessJob(
      { providers: ['aws'], targets: ['certctl-prod-db', 'unrelated-db'] },
      harness.readinessDeps(prodOnly()),
    );

    // Assess
    expect(result.targets.map((entry) => `${entry.target.id} ${entry.status}`)).toEqual([
      'certctl-prod-db GO',
    ]);
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.exitCode).toBe(2);
    expect(result.notEvaluated).toEqual([
      expect.stringMatching(
        /^target unrelated-db: named in the request but not among the databases the policy selects/,
      ),
    ]);
  });

  it('says a named tagged MySQL instance is not PostgreSQL, not that it was not found, and answers no GO', async () => {
    // Prepare: the default policy selects by tag; certctl-mysql carries the tag.
    await harness.close();
    harness = await startSnapshotHarness({
      regions: [{ name: 'eu-west-1' }, { name: 'us-east-1' }],
      services: {
        rds: {
          instances: [
            { id: 'certctl-prod-db', region: 'eu-west-1', tags: TAG, backupRetentionPeriod: 14 },
            { id: 'certctl-mysql', region: 'eu-west-1', engine: 'mysql', tags: TAG },
          ],
        },
      },
    });

    // Act
    const result = await runReadinessJob(
      { providers: ['aws'], targets: ['certctl-mysql'] },
      harness.readinessDeps(),
    );

    // Assess
    expect(result.verdict).not.toBe('GO');
    expect(result.exitCode).toBe(2);
    expect(result.notEvaluated).toEqual([
      'certctl-mysql is selected by the target tag certctl:backup-guard=enabled but its engine mysql is not PostgreSQL: not audited',
      'no target judged: none of the databases named (certctl-mysql) was judged by this run (above)',
    ]);
  });

  it('answers chat readiness over the policy’s selection, never judging a named database the policy does not select', async () => {
    // Prepare
    const policy = fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db'] } });
    const deps = harness.readinessDeps(policy);
    await runSnapshotJob(
      { requestId: 'CHG-13', reason: 'CA rotation', requestedBy: 'alice' },
      harness.deps(policy),
    );
    const jobs = readinessChatJobs(policy, deps);

    // Act: certctl-busy-db is tagged but not among the policy's identifiers.
    const outside = await jobs.readiness(['certctl-busy-db']);
    const both = await jobs.readiness(['certctl-prod-db', 'certctl-busy-db']);

    // Assess
    expect(outside.targets).toEqual([]);
    expect(outside.verdict).not.toBe('GO');
    expect(outside.notEvaluated).toContainEqual(
      expect.stringContaining(
        'target certctl-busy-db: named in the request but not among the databases the policy selects',
      ),
    );
    expect(both.targets.map((entry) => `${entry.target.id} ${entry.status}`)).toEqual(['certctl-prod-db GO']);
    expect(both.verdict).toBe('UNKNOWN');
  });
});
