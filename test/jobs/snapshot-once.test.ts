import { describe, expect, it } from 'vitest';
import type { SnapshotJobResult, SnapshotTargetResult } from '../../functions/actions/snapshot/model.ts';
import type { RequestOutcome } from '../../functions/jobs/idempotency.ts';
import { retryKeyOf, snapshotOncePerRequest } from '../../functions/jobs/snapshot-once.ts';

const FINISHED = '2026-12-03T10:00:00.000Z';
const LATER = '2026-12-03T11:00:00.000Z';
const target = {
  provider: 'aws' as const,
  kind: 'rds-instance' as const,
  account: '111111111111',
  region: 'eu-west-1',
  id: 'certctl-prod-db',
};

function remembered(entries: Partial<SnapshotTargetResult>[], problems: string[] = []): SnapshotJobResult {
  const results = entries.map((entry) => ({
    target,
    outcome: 'available',
    durationMs: 1,
    attempts: 1,
    ...entry,
  }));
  return {
    requestId: 'ticket:CHG-1',
    startedAt: '2026-12-03T09:59:00.000Z',
    finishedAt: FINISHED,
    results: results as SnapshotTargetResult[],
    counts: { available: 0, creating: 0, failed: 0, busy: 0, quota: 0, error: 0 },
    problems,
  };
}

/** The keys a re-send asked for, given the first run's remembered result (every later key runs anew). */
async function keysAsked(first: SnapshotJobResult, acceptedAt = LATER): Promise<string[]> {
  const keys: string[] = [];
  await snapshotOncePerRequest(
    'ticket:CHG-1',
    acceptedAt,
    async (key): Promise<RequestOutcome<SnapshotJobResult>> => {
      keys.push(key);
      return key === 'ticket:CHG-1' ? { firstRun: false, result: first } : { firstRun: true, result: first };
    },
  );
  return keys;
}

const retried = ['ticket:CHG-1', retryKeyOf('ticket:CHG-1', FINISHED)];
const replayed = ['ticket:CHG-1'];

describe('snapshotOncePerRequest', () => {
  it('runs a re-sent request again when its remembered result left a target a later run can still deliver', async () => {
    // Failed with attempts left: the next attempt is taken.
    expect(
      await keysAsked(
        remembered([
          { outcome: 'failed', snapshotAttempt: 1, error: { code: 'SnapshotFailed', message: 'x' } },
        ]),
      ),
    ).toEqual(retried);
    // Busy until the deadline ("Retry once the database is available"): the re-send is that retry.
    expect(
      await keysAsked(
        remembered([{ outcome: 'busy', error: { code: 'InvalidDBInstanceState', message: 'x' } }]),
      ),
    ).toEqual(retried);
    // Still creating at the deadline: the re-send adopts it and reports where it is now.
    expect(
      await keysAsked(
        remembered([{ outcome: 'creating', error: { code: 'DeadlineExceeded', message: 'x' } }]),
      ),
    ).toEqual(retried);
    // Over the quota, or an API error (throttling, a 5xx): a later run may get through.
    expect(
      await keysAsked(
        remembered([{ outcome: 'quota', error: { code: 'SnapshotQuotaExceeded', message: 'x' } }]),
      ),
    ).toEqual(retried);
    expect(
      await keysAsked(
        remembered([{ outcome: 'error', error: { code: 'ThrottlingException', message: 'x' } }]),
      ),
    ).toEqual(retried);
    // A region that was not read: its targets were never tried.
    expect(
      await keysAsked(remembered([{}], ['aws:111111111111/us-east-1: region not read (Throttling)'])),
    ).toEqual(retried);
  });

  it('replays a remembered result a later run of the same request could not change', async () => {
    expect(await keysAsked(remembered([{}]))).toEqual(replayed);
    // Not awaited (--no-wait): created is what was asked for.
    expect(await keysAsked(remembered([{ outcome: 'creating' }]))).toEqual(replayed);
    // Its own message says to ask with another ticket: the same one would only say it again.
    for (const code of ['SnapshotNameTaken', 'SnapshotStale']) {
      expect(
        await keysAsked(remembered([{ outcome: 'error', error: { code, message: 'x' } }])),
        code,
      ).toEqual(replayed);
    }
    expect(
      await keysAsked(
        remembered([
          {
            outcome: 'failed',
            snapshotAttempt: 3,
            error: { code: 'SnapshotAttemptsExhausted', message: 'x' },
          },
        ]),
      ),
    ).toEqual(replayed);
    // A duplicate accepted before the first run finished (a Slack retry, a double click) gets its result.
    expect(
      await keysAsked(
        remembered([{ outcome: 'busy', error: { code: 'InvalidDBInstanceState', message: 'x' } }]),
        '2026-12-03T09:59:30.000Z',
      ),
    ).toEqual(replayed);
  });
});

describe('snapshotOncePerRequest replaying a remembered result', () => {
  /** The same request asked again at `askedAt`, its first run remembered (all available). */
  async function replay(askedAt: string, readinessMaxAgeHours: number): Promise<SnapshotJobResult> {
    const first = {
      ...remembered([
        { snapshotId: 'certctl-premaint-certctl-prod-db-0123456789', createdAt: '2026-12-03T09:59:10.000Z' },
      ]),
      counts: { available: 1, creating: 0, failed: 0, busy: 0, quota: 0, error: 0 },
    };
    const outcome = await snapshotOncePerRequest(
      'ticket:CHG-1',
      askedAt,
      async (): Promise<RequestOutcome<SnapshotJobResult>> => ({ firstRun: false, result: first }),
      { readinessMaxAgeHours, now: () => new Date(askedAt) },
    );
    if ('inProgress' in outcome) throw new Error('in progress');
    return outcome.result;
  }

  it('reports a remembered snapshot older than readiness accepts as stale, not available', async () => {
    // Act: asked again 10 h later, with readiness accepting snapshots up to 4 h old.
    const result = await replay('2026-12-03T20:00:00.000Z', 4);

    // Assess: what a new run after the record expired would say (SnapshotStale), not a GO.
    expect(result.results[0]?.outcome).toBe('error');
    expect(result.results[0]?.error?.code).toBe('SnapshotStale');
    expect(result.results[0]?.error?.message).toContain('older than snapshots.readinessMaxAgeHours (4 h)');
    expect(result.counts).toMatchObject({ available: 0, error: 1 });
  });

  it('replays a remembered snapshot still within the age readiness accepts as available', async () => {
    // Act
    const result = await replay('2026-12-03T12:00:00.000Z', 4);

    // Assess
    expect(result.results[0]?.outcome).toBe('available');
    expect(result.counts).toMatchObject({ available: 1, error: 0 });
  });
});
