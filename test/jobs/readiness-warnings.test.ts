/**
 * Readiness passes a WARNING as GO (the warning listed beside it), so a WARNING must be a state the
 * run read and judged weak, never one it could not read. Each case runs the real job against the
 * simulator, after a fresh snapshot, so only the check decides, and reads the chat answer too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readinessAnswer } from '../../functions/chatops/answers.ts';
import { jobChatActions } from '../../functions/chatops/job-actions.ts';
import type { Policy } from '../../functions/core/policy.ts';
import { type ReadinessResult, renderReadiness, runReadinessJob } from '../../functions/jobs/readiness.ts';
import { runSnapshotJob } from '../../functions/jobs/snapshot.ts';
import {
  fastPolicy,
  type SnapshotHarness,
  startSnapshotHarness,
  TAG,
} from '../integration/snapshot-support.ts';

let harness: SnapshotHarness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Readiness over `policy` after a fresh snapshot of every target. */
async function readinessAfterSnapshot(started: SnapshotHarness, policy: Policy): Promise<ReadinessResult> {
  await runSnapshotJob(
    { requestId: 'CHG-31', reason: 'CA rotation', requestedBy: 'alice' },
    started.deps(policy),
  );
  return runReadinessJob({ providers: ['aws'] }, started.readinessDeps(policy));
}

/** The chat answer to `readiness` over `result`, its Slack blocks' text. */
async function chatAnswer(result: ReadinessResult): Promise<string> {
  const unused = async () => {
    throw new Error('not part of a readiness answer');
  };
  const actions = jobChatActions({
    readiness: async () => result,
    snapshotOnce: unused,
    latestSnapshots: unused,
    lastAudit: unused,
  });
  return JSON.stringify(readinessAnswer(await actions.readiness([])).blocks);
}

describe('readiness over an Aurora global database primary with pitr.requireCrossRegionBackup', () => {
  it('could not evaluate: no secondary is read, so no restore point in another Region is proven', async () => {
    // Prepare: certctl-aurora is the primary of certctl-global, whose secondary is in us-east-1;
    // DescribeDBClusters in eu-west-1 does not list it.
    harness = await startSnapshotHarness({
      regions: [{ name: 'eu-west-1' }, { name: 'us-east-1' }],
      services: {
        rds: {
          clusters: [
            {
              id: 'certctl-aurora',
              region: 'eu-west-1',
              tags: TAG,
              globalClusterIdentifier: 'certctl-global',
              members: [{ id: 'certctl-aurora-1', writer: true }],
            },
            {
              id: 'certctl-aurora-dr',
              region: 'us-east-1',
              globalSecondaryOf: 'certctl-aurora',
              members: [{ id: 'certctl-aurora-dr-1', writer: false }],
            },
          ],
          snapshots: { defaultDurationMs: 100 },
        },
      },
    });
    const policy = fastPolicy({
      targets: { tags: [], identifiers: ['certctl-aurora'] },
      pitr: { minPitrDays: 7, requireCrossRegionBackup: true },
    });

    // Act
    const result = await readinessAfterSnapshot(harness, policy);

    // Assess
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.exitCode).toBe(2);
    const gates = result.targets[0]?.gates ?? [];
    expect(gates.map((gate) => `${gate.gate} ${gate.status}`)).toEqual(['audit:pitr UNKNOWN', 'snapshot GO']);
    const pitr = gates.find((gate) => gate.gate === 'audit:pitr');
    expect(pitr?.evidence).toContain(
      'pitr.cross-region NOT_AVAILABLE: Aurora DB cluster `certctl-aurora` belongs to the Aurora global database `certctl-global`, whose secondary clusters in other Regions DescribeDBClusters in eu-west-1 does not list',
    );
    expect(pitr?.warnings).toBeUndefined();
    expect(renderReadiness(result)).toMatch(/^Readiness: COULD NOT EVALUATE\n/);
    const answer = await chatAnswer(result);
    expect(answer).toContain('Readiness for the CA rotation: COULD NOT EVALUATE');
    expect(answer).toContain('aws rds describe-global-clusters --global-cluster-identifier certctl-global');
  });
});

describe('readiness over a key secret with a replica in progress beside one whose status was not sent', () => {
  const ACCOUNT = '111111111111';
  /** A customer-managed key per region, so keys.cmk passes and keys.replicated alone decides. */
  const KEYS: Readonly<Record<string, string>> = {
    'eu-west-1': 'aaaaaaaa-1111-2222-3333-444444444444',
    'us-east-1': 'bbbbbbbb-1111-2222-3333-444444444444',
    'us-west-2': 'cccccccc-1111-2222-3333-444444444444',
    'ap-south-1': 'dddddddd-1111-2222-3333-444444444444',
  };
  const keyIn = (region: string) => `arn:aws:kms:${region}:${ACCOUNT}:key/${KEYS[region]}`;

  /** The harness with certctl/ca in eu-west-1 replicated in sync to us-east-1, and `replicas` besides. */
  function start(
    replicas: readonly { region: string; status?: 'InProgress'; statusSent?: false }[],
  ): Promise<SnapshotHarness> {
    return startSnapshotHarness({
      regions: Object.keys(KEYS).map((name) => ({ name })),
      services: {
        rds: {
          instances: [{ id: 'certctl-prod-db', region: 'eu-west-1', tags: TAG, backupRetentionPeriod: 14 }],
          snapshots: { defaultDurationMs: 100 },
        },
        secretsManager: {
          secrets: [
            {
              name: 'certctl/ca',
              region: 'eu-west-1',
              kmsKeyId: keyIn('eu-west-1'),
              value: 'x',
              replicas: [
                { region: 'us-east-1', kmsKeyId: keyIn('us-east-1') },
                ...replicas.map((replica) => ({ ...replica, kmsKeyId: keyIn(replica.region) })),
              ],
            },
          ],
        },
        kms: { keys: Object.entries(KEYS).map(([region, id]) => ({ id, region })) },
      },
    });
  }

  const policy = () =>
    fastPolicy({
      aws: { regions: ['eu-west-1'] },
      targets: { tags: [], identifiers: ['certctl-prod-db'] },
      keys: {
        preset: 'none',
        items: {
          ca: { kind: 'opaque', secret: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:certctl/ca` },
        },
      },
    });

  const keysGate = (result: ReadinessResult) =>
    result.targets[0]?.gates.find((gate) => gate.gate === 'audit:keys');

  it('answers GO with the warning while the replica in progress is the only one not in sync', async () => {
    // Prepare
    harness = await start([{ region: 'us-west-2', status: 'InProgress' }]);

    // Act
    const result = await readinessAfterSnapshot(harness, policy());

    // Assess
    expect(result.verdict).toBe('GO');
    expect(keysGate(result)?.warnings).toEqual([
      'keys.replicated WARNING on certctl/ca: The secret certctl/ca (ca) has replicas not yet in sync: us-west-2 (InProgress).',
    ]);
  });

  it('could not evaluate, as without the replica in progress: the replica without Status may be Failed', async () => {
    // Prepare: ap-south-1's ReplicationStatus entry has no Status; alone beside the in-sync replica
    // it is not evaluated, and a replica in progress beside it proves no more.
    harness = await start([
      { region: 'us-west-2', status: 'InProgress' },
      { region: 'ap-south-1', statusSent: false },
    ]);

    // Act
    const result = await readinessAfterSnapshot(harness, policy());

    // Assess
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.exitCode).toBe(2);
    const gate = keysGate(result);
    expect(gate?.status).toBe('UNKNOWN');
    expect(gate?.evidence).toContain(
      'keys.replicated NOT_AVAILABLE on certctl/ca: Could not evaluate secret certctl/ca (ca): the replica in ap-south-1 reported no Status (ReplicationStatus without Status), so whether it is in sync is not known; the replica in us-west-2 is InProgress, not yet in sync',
    );
    expect(gate?.warnings).toBeUndefined();
    const answer = await chatAnswer(result);
    expect(answer).toContain('Readiness for the CA rotation: COULD NOT EVALUATE');
    expect(answer).toContain('ap-south-1 reported no Status');
  });
});
