/**
 * A readiness run whose clock the clouds' answers show behind: a snapshot listed beside the one a GO
 * would rest on is dated after the run's clock, so every age the run measures is short by at least
 * that much. The real job against the simulator, its clock ahead of the run's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readinessAnswer } from '../../functions/chatops/answers.ts';
import { jobChatActions } from '../../functions/chatops/job-actions.ts';
import { type ReadinessResult, runReadinessJob } from '../../functions/jobs/readiness.ts';
import {
  daysFromToday,
  fastPolicy,
  type SnapshotHarness,
  snapshotScenario,
  startSnapshotHarness,
} from '../integration/snapshot-support.ts';

let harness: SnapshotHarness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

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

describe('readiness on a clock two hours behind the cloud’s', () => {
  it('could not evaluate the snapshot a GO would rest on when a snapshot listed beside it is dated after the run', async () => {
    // Prepare: the only snapshot of ours of certctl-prod-db is 25 hours old (the limit is 24), which
    // this run's clock, two hours behind, reads as 23; someone's manual snapshot of certctl-busy-db,
    // taken a minute ago, is listed beside it, two hours after the run's clock. The policy accepts
    // pitr.lag of certctl-prod-db, which the latest restorable time would otherwise hold.
    harness = await startSnapshotHarness(
      snapshotScenario({
        existing: [
          {
            id: 'certctl-premaint-old',
            target: 'certctl-prod-db',
            region: 'eu-west-1',
            createdAt: '-25h',
            tags: { purpose: 'certctl-pre-maintenance' },
          },
          { id: 'manual-busy', target: 'certctl-busy-db', region: 'eu-west-1', createdAt: '-1m' },
        ],
      }),
    );
    const policy = fastPolicy({
      targets: { tags: [], identifiers: ['certctl-prod-db'] },
      exceptions: [
        {
          resource: 'arn:aws:rds:eu-west-1:111111111111:db:certctl-prod-db',
          check: 'pitr.lag',
          reason: 'stopped for the rotation window',
          expires: daysFromToday(30),
        },
      ],
    });
    const behind = () => new Date(Date.now() - 2 * 3_600_000);

    // Act
    const result = await runReadinessJob(
      { providers: ['aws'] },
      { ...harness.readinessDeps(policy), now: behind },
    );

    // Assess
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.exitCode).toBe(2);
    const snapshot = result.targets[0]?.gates.find((gate) => gate.gate === 'snapshot');
    expect(snapshot?.status).toBe('UNKNOWN');
    expect(snapshot?.evidence).toMatch(
      /^certctl-premaint-old, 23\.0 h old \(limit 24 h\) by this run's clock, but manual-busy, listed beside it, says it was created at \S+, later than this run's clock \(\S+\): the clock is behind, so the age of certctl-premaint-old cannot be told$/,
    );
    expect(result.gates.find((gate) => gate.gate === 'snapshot')?.coverage).toBe('incomplete');
    const answer = await chatAnswer(result);
    expect(answer).toContain('Readiness for the CA rotation: COULD NOT EVALUATE');
    expect(answer).toContain('the clock is behind, so the age of certctl-premaint-old cannot be told');
  });
});
