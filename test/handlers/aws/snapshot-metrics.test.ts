/**
 * The snapshot Lambda's `SnapshotsFailed` metric (the alarm's) counts every target that did not get
 * its snapshot, as the job's exit code does (`snapshotDelivered`): a snapshot still creating when
 * the wait ended (DeadlineExceeded) counts, for a request and for the maintenance scan alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  snapshotLambda,
  snapshotOrMaintenance,
  snapshotWithEvidence,
} from '../../../functions/handlers/aws/snapshot.ts';
import { snapshotExitCode } from '../../../functions/jobs/snapshot.ts';
import { recordingLogger } from '../../core/recording-logger.ts';
import {
  fastPolicy,
  recordingMetrics,
  type SnapshotHarness,
  snapshotLambdaDeps,
  snapshotScenario,
  startSnapshotHarness,
} from '../../integration/snapshot-support.ts';
import { type LocalDynamo, startLocalDynamo } from '../../jobs/dynalite.ts';

let harness: SnapshotHarness;
let dynamo: LocalDynamo;

beforeAll(async () => {
  [harness, dynamo] = await Promise.all([
    startSnapshotHarness(
      snapshotScenario({
        // Snapshots of certctl-prod-db and certctl-aurora take far longer than the wait.
        targets: [
          { id: 'certctl-prod-db', region: 'eu-west-1', durationMs: 600_000 },
          { id: 'certctl-aurora', kind: 'cluster', region: 'eu-west-1', durationMs: 600_000 },
        ],
        pendingMaintenance: [
          {
            target: 'certctl-aurora',
            kind: 'cluster',
            region: 'eu-west-1',
            action: 'system-update',
            autoAppliedAfter: '+10h',
          },
        ],
      }),
    ),
    startLocalDynamo(),
  ]);
});

afterAll(async () => {
  await Promise.all([harness.close(), dynamo.close()]);
});

function deps(metrics: unknown, identifier = 'certctl-prod-db') {
  const policy = fastPolicy({
    targets: { tags: [], identifiers: [identifier] },
    snapshots: { waitMinutes: 0.01 },
  });
  return snapshotLambdaDeps(harness, dynamo, policy, metrics as never);
}

describe('SnapshotsFailed', () => {
  it('counts a requested snapshot still creating at the wait deadline, as the exit code does', async () => {
    // Prepare
    const { recorded, metrics } = recordingMetrics();

    // Act
    const result = await snapshotLambda(
      { requestId: 'chatops-slow', reason: 'CA rotation', requestedBy: 'U1' },
      deps(metrics),
    );

    // Assess
    expect(result.results.map((entry) => [entry.outcome, entry.error?.code])).toEqual([
      ['creating', 'DeadlineExceeded'],
    ]);
    expect(snapshotExitCode(result)).toBe(1);
    expect(recorded.SnapshotsFailed).toBe(1);
    expect(recorded.SnapshotsAvailable).toBe(0);
  });

  it('counts a maintenance snapshot still creating at the wait deadline', async () => {
    // Prepare
    const { recorded, metrics } = recordingMetrics();

    // Act
    const result = await snapshotOrMaintenance({}, deps(metrics, 'certctl-aurora'));

    // Assess
    expect('snapshots' in result && result.snapshots.map((entry) => entry.error?.code)).toEqual([
      'DeadlineExceeded',
    ]);
    expect(recorded.SnapshotsFailed).toBe(1);
  });
});

describe('a snapshot request that cannot run', () => {
  it('writes one structured ERROR line with the input error only and counts SnapshotsFailed, then throws', async () => {
    // Prepare: a request without its request id, whose reason the log must not echo as a field.
    const { recorded, metrics } = recordingMetrics();
    const logger = recordingLogger();
    const event = { reason: 'CA rotation', requestedBy: 'U1' };

    // Act
    const attempt = snapshotWithEvidence(event, () => deps(metrics), { logger, metrics } as never);

    // Assess: thrown as before (Errors alarm, DLQ), with the evidence the audit handler writes.
    await expect(attempt).rejects.toThrow('snapshot input is invalid: requestId:');
    expect(logger.entries).toEqual([
      {
        level: 'error',
        message: 'snapshot request failed',
        attributes: [
          {
            error: {
              name: 'InputError',
              message:
                'snapshot input is invalid: requestId: Invalid input: expected string, received undefined',
            },
          },
        ],
      },
    ]);
    expect(recorded).toEqual({ SnapshotsAvailable: 0, SnapshotsFailed: 1 });
  });
});
