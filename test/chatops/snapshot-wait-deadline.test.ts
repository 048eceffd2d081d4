/**
 * A chat snapshot's wait ends by the time chat must answer (`waitUntil`: the action function's
 * timeout, or Slack's reply window, less the time to post), counted when the wait starts, as the
 * snapshot functions count theirs (functions/core/snapshots-policy.ts waitEndingBy): the time the
 * run took to find its targets and claim its request comes off the wait, not on top of it.
 * On a clock the test moves.
 */
import { describe, expect, it } from 'vitest';
import type { SnapshotCloud } from '../../functions/actions/snapshot/backend.ts';
import type { SnapshotTarget } from '../../functions/actions/snapshot/model.ts';
import { cloudChatJobs } from '../../functions/chatops/job-actions.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import type { SnapshotJobResult } from '../../functions/jobs/snapshot.ts';
import { fakeBackend, UNENCRYPTED_SNAPSHOTS } from '../actions/snapshot/fake-backend.ts';

const TARGET: SnapshotTarget = {
  provider: 'aws',
  kind: 'rds-instance',
  account: '111111111111',
  region: 'eu-west-1',
  id: 'certctl-db',
  resourceId: 'db-CERTCTL',
};
const ASKED_AT = Date.parse('2026-12-06T10:00:00.000Z');

describe('a chat snapshot waiting for a snapshot that stays creating', () => {
  it('ends its wait by waitUntil, counting the time finding its targets took', async () => {
    // Prepare: chat must answer 8 minutes after the ask; finding the targets takes 2 minutes; the
    // snapshot never leaves `creating`; snapshots.waitMinutes 60.
    let clock = ASKED_AT;
    const cloud: SnapshotCloud = {
      provider: 'aws',
      targets: async () => {
        clock += 2 * 60_000;
        return { targets: [TARGET], problems: [] };
      },
      backend: () => fakeBackend(),
      maintenance: async () => ({ upcoming: [], problems: [] }),
      snapshotPlaces: async () => ({ places: [], problems: [] }),
      snapshotKeys: UNENCRYPTED_SNAPSHOTS,
    };
    const jobs = cloudChatJobs({
      policy: parsePolicy({ aws: { regions: ['eu-west-1'] }, snapshots: { waitMinutes: 60 } }),
      providers: ['aws'],
      clouds: () => [cloud],
      audit: {},
      once: async (_key, run) => ({ firstRun: true, result: await run() }),
      lastAudit: async () => ({ unavailable: 'none' }),
      now: () => new Date(clock),
      sleep: async (ms) => {
        clock += ms;
      },
    });
    const waitUntil = new Date(ASKED_AT + 8 * 60_000);

    // Act
    const outcome = await jobs.snapshotOnce(
      {
        requestId: 'a'.repeat(64),
        reason: 'CA rotation',
        ticket: 'CHG-77',
        requestedBy: 'slack:T1/U1',
        targets: ['certctl-db'],
        wait: true,
        acceptedAt: new Date(ASKED_AT).toISOString(),
      },
      () => undefined,
      waitUntil,
    );

    // Assess: the wait is the 6 minutes left once the targets were found, and says so. Before, it
    // was cut to the 8 minutes left at the ask and ended 2 minutes past the time chat must answer.
    if ('inProgress' in outcome) throw new Error('unexpectedly in progress');
    const result = outcome.result as SnapshotJobResult;
    expect(result.results.map((entry) => [entry.outcome, entry.error?.code])).toEqual([
      ['creating', 'DeadlineExceeded'],
    ]);
    expect(Date.parse(result.finishedAt)).toBeLessThanOrEqual(waitUntil.getTime());
    expect(result.results[0]?.error?.message).toContain('at the deadline, 6 minutes after the wait began');
  });
});
