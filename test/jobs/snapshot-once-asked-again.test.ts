/**
 * A request asked again after a remembered result that left a target without its snapshot, while
 * another ask of it is still running (the idempotency table on a real DynamoDB implementation,
 * dynalite): the refusal says what the remembered run left undone, not that a snapshot failed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  countsOf,
  type SnapshotJobResult,
  type SnapshotRequest,
  type SnapshotTargetResult,
} from '../../functions/actions/snapshot/model.ts';
import { DuplicateStillRunningError } from '../../functions/jobs/idempotency.ts';
import { idempotentSnapshotJob } from '../../functions/jobs/snapshot-once-table.ts';
import { type LocalDynamo, startLocalDynamo } from './dynalite.ts';

let dynamo: LocalDynamo;

beforeEach(async () => {
  dynamo = await startLocalDynamo();
});

afterEach(async () => {
  await dynamo.close();
});

const request: SnapshotRequest = { requestId: 'CHG-7', reason: 'CA rotation', requestedBy: 'ops' };
const busy: SnapshotTargetResult = {
  target: {
    provider: 'aws',
    kind: 'rds-instance',
    account: '111111111111',
    region: 'eu-west-1',
    id: 'certctl-prod-db',
  },
  outcome: 'busy',
  durationMs: 1,
  attempts: 3,
  error: { code: 'DeadlineExceeded', message: 'certctl-prod-db stayed backing-up until the deadline' },
};

describe('idempotentSnapshotJob asked again while the run asked again is still running', () => {
  it('names what the remembered run left undone (a database busy), not a failed snapshot', async () => {
    // Prepare: the first run of CHG-7 ended with the database busy at 10:20; the ask at 11:00 runs
    // it again (a retry record), and that run is still going when a third ask arrives.
    let now = new Date('2026-12-04T10:00:00.000Z');
    let release: () => void = () => undefined;
    const stillRunning = new Promise<void>((resolve) => {
      release = resolve;
    });
    let runs = 0;
    const run = async (asked: SnapshotRequest): Promise<SnapshotJobResult> => {
      runs += 1;
      if (runs > 1) await stillRunning;
      return {
        requestId: asked.requestId,
        startedAt: '2026-12-04T10:00:00.000Z',
        finishedAt: '2026-12-04T10:20:00.000Z',
        results: [busy],
        counts: countsOf([busy]),
        problems: [],
      };
    };
    const store = { tableName: dynamo.tableName, client: dynamo.client, pollMs: 50, longestRunMs: 10_000 };
    const patient = idempotentSnapshotJob(run, { ...store, waitForFirstMs: 30_000 }, { now: () => now });
    const hasty = idempotentSnapshotJob(run, { ...store, waitForFirstMs: 200 }, { now: () => now });
    await patient(request);
    now = new Date('2026-12-04T11:00:00.000Z');
    const second = patient(request);
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Act
    const third = await hasty(request).catch((error: unknown) => error);
    release();
    await second;

    // Assess
    expect(third).toBeInstanceOf(DuplicateStillRunningError);
    const message = (third as Error).message;
    expect(message).not.toContain('snapshot failed');
    expect(message).toContain(
      'request CHG-7, asked again after its run that finished at 2026-12-04T10:20:00.000Z',
    );
    expect(message).toContain('certctl-prod-db busy (DeadlineExceeded)');
    expect(message).toContain('is already running');
  });
});
