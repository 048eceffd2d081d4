/**
 * takeSnapshots over fake backends on a fake clock: the order of creates and polls, busy retries
 * beside the polling of the other snapshots, and how late a finished snapshot is seen.
 */
import { describe, expect, it } from 'vitest';
import type { BackendSnapshot, SnapshotBackend } from '../../../functions/actions/snapshot/backend.ts';
import {
  requestIdTag,
  type SnapshotRequest,
  type SnapshotTarget,
  snapshotIdentifier,
} from '../../../functions/actions/snapshot/model.ts';
import { takeSnapshots } from '../../../functions/actions/snapshot/run.ts';
import type { SnapshotRunRecord } from '../../../functions/actions/snapshot/run-records.ts';
import { parsePolicy } from '../../../functions/core/policy.ts';
import { fakeBackend } from './fake-backend.ts';

/** A clock that moves only when the code under test sleeps (or a call takes time). */
function fakeClock() {
  let t = 0;
  const sleepers: { at: number; wake: () => void }[] = [];
  return {
    now: () => new Date(t),
    elapsed: () => t,
    /** Sleep: resolves when the clock reaches now + ms; the clock jumps to the earliest sleeper. */
    sleep: (ms: number) =>
      new Promise<void>((wake) => {
        sleepers.push({ at: t + ms, wake });
        // Let every other pending task run (and register its sleep) before time moves.
        setImmediate(() => {
          sleepers.sort((a, b) => a.at - b.at);
          const next = sleepers.shift();
          if (next) {
            t = Math.max(t, next.at);
            next.wake();
          }
        });
      }),
  };
}

type Clock = ReturnType<typeof fakeClock>;

interface FakeTarget {
  readonly id: string;
  readonly region: string;
  /** The target refuses creates (busy) until then. */
  readonly busyUntil?: number;
  /** How long its snapshot takes once created. */
  readonly durationMs: number;
  /** The state its snapshot ends in after `durationMs` (default `available`). */
  readonly endsAs?: string;
}

/** A backend per region over fake targets; every call is logged with the time it was made. */
function fakeCloud(
  clock: Clock,
  targets: readonly FakeTarget[],
  options: { listDelayMs?: Record<string, number> } = {},
) {
  const log: string[] = [];
  const createdAt = new Map<string, number>();
  const backendFor = (scope: { region: string }): SnapshotBackend => ({
    quotaApplies: false,
    codeOf: (error) => (error as Error).name,
    classify: (error) => ((error as Error).name === 'Busy' ? 'busy' : 'other'),
    describe: async () => {
      throw new Error('not read again in this test');
    },
    listManual: async () => {
      const delay = options.listDelayMs?.[scope.region] ?? 0;
      if (delay > 0) await clock.sleep(delay);
      log.push(`${clock.elapsed()} list ${scope.region}`);
      return [];
    },
    create: async (target, snapshotId) => {
      const spec = targets.find((candidate) => candidate.id === target.id) as FakeTarget;
      log.push(`${clock.elapsed()} create ${target.id}`);
      if (spec.busyUntil !== undefined && clock.elapsed() < spec.busyUntil) {
        throw Object.assign(new Error(`${target.id} is backing-up`), { name: 'Busy' });
      }
      createdAt.set(snapshotId, clock.elapsed());
      return { id: snapshotId, kind: target.kind, target: target.id, status: 'creating', tags: {} };
    },
    poll: async (snapshots) => {
      log.push(`${clock.elapsed()} poll ${scope.region} ${snapshots.length}`);
      // Snapshots never created are absent from the answer, as SnapshotBackend.poll says.
      return snapshots.flatMap((snapshot): BackendSnapshot[] => {
        if (!createdAt.has(snapshot.id)) return [];
        const spec = targets.find((candidate) => candidate.id === snapshot.target) as FakeTarget;
        const done = clock.elapsed() >= (createdAt.get(snapshot.id) ?? 0) + spec.durationMs;
        return [{ ...snapshot, status: done ? (spec.endsAs ?? 'available') : 'creating' }];
      });
    },
    delete: async () => undefined,
  });
  const snapshotTargets: SnapshotTarget[] = targets.map((target) => ({
    provider: 'aws',
    kind: 'rds-instance',
    account: '111111111111',
    region: target.region,
    id: target.id,
  }));
  return { log, backendFor, snapshotTargets };
}

const request = { requestId: 'r-1', reason: 'CA rotation', requestedBy: 'alice' };
const snapshotsPolicy = (waitMinutes: number) =>
  parsePolicy({ snapshots: { waitMinutes, pollInitialSeconds: 5, pollMaxSeconds: 30 } }).snapshots;

describe('takeSnapshots', () => {
  it('polls the other snapshots while a busy target is retried, so they are seen on time when the busy one holds on to the deadline', async () => {
    // Prepare
    const clock = fakeClock();
    const cloud = fakeCloud(clock, [
      { id: 'busy-db', region: 'eu-west-1', busyUntil: 55_000, durationMs: 60_000 },
      { id: 'quick-db', region: 'eu-west-1', durationMs: 8_000 },
    ]);

    // Act
    const results = await takeSnapshots(request, cloud.snapshotTargets, {
      policy: snapshotsPolicy(1),
      backendFor: cloud.backendFor,
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess
    const [busy, quick] = results;
    expect(quick).toMatchObject({ outcome: 'available', attempts: 1 });
    expect(quick?.durationMs).toBeLessThanOrEqual(10_000);
    expect(busy?.attempts).toBeGreaterThan(1);
    expect(busy?.outcome).toBe('creating');
    expect(busy?.error?.code).toBe('DeadlineExceeded');
  });

  it('reports a snapshot that is being deleted while it is awaited as failed at once, not at the deadline', async () => {
    // Prepare: someone deletes the snapshot (RDS 'deleting', Cloud SQL DELETION_*) 8 s in.
    const clock = fakeClock();
    const cloud = fakeCloud(clock, [
      { id: 'doomed-db', region: 'eu-west-1', durationMs: 8_000, endsAs: 'deleting' },
    ]);

    // Act
    const [result] = await takeSnapshots(request, cloud.snapshotTargets, {
      policy: snapshotsPolicy(60),
      backendFor: cloud.backendFor,
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess
    expect(result).toMatchObject({ outcome: 'failed', error: { code: 'SnapshotFailed' } });
    expect(result?.error?.message).toContain('being deleted');
    expect(clock.elapsed()).toBeLessThan(60_000);
  });

  it('makes every scope’s first creates before any scope polls when one region lists slowly', async () => {
    // Prepare
    const clock = fakeClock();
    const cloud = fakeCloud(
      clock,
      [
        { id: 'fast-region-db', region: 'eu-west-1', durationMs: 20_000 },
        { id: 'slow-region-db', region: 'us-east-1', durationMs: 20_000 },
      ],
      { listDelayMs: { 'us-east-1': 12_000 } },
    );

    // Act
    await takeSnapshots(request, cloud.snapshotTargets, {
      policy: snapshotsPolicy(5),
      backendFor: cloud.backendFor,
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess
    const firstPoll = cloud.log.findIndex((entry) => entry.includes(' poll '));
    const lastCreate = cloud.log.findLastIndex((entry) => entry.includes(' create '));
    expect(lastCreate).toBeLessThan(firstPoll);
  });

  it.each([100_000, 600_000])(
    'sees a snapshot of %i ms at most 3% of its wait late, polling with growing waits',
    async (durationMs) => {
      // Prepare
      const clock = fakeClock();
      const cloud = fakeCloud(clock, [{ id: 'big-db', region: 'eu-west-1', durationMs }]);

      // Act
      const [result] = await takeSnapshots(request, cloud.snapshotTargets, {
        policy: snapshotsPolicy(60),
        backendFor: cloud.backendFor,
        now: clock.now,
        sleep: clock.sleep,
      });

      // Assess
      expect(result?.outcome).toBe('available');
      expect(result?.durationMs).toBeGreaterThanOrEqual(durationMs);
      expect(result?.durationMs).toBeLessThanOrEqual(durationMs * 1.03);
      const pollTimes = cloud.log
        .filter((entry) => entry.includes(' poll '))
        .map((entry) => Number(entry.split(' ')[0]));
      const gaps = pollTimes.slice(1).map((time, i) => time - (pollTimes[i] ?? 0));
      expect(gaps.every((gap, i) => i === 0 || gap >= (gaps[i - 1] ?? 0))).toBe(true);
      expect(pollTimes.length).toBeLessThan(80);
    },
  );
});

describe('takeSnapshots at its deadline', () => {
  it('says how long it waited in minutes and seconds when the wait is a fraction of a minute (a chat or Lambda deadline), never as a long decimal', async () => {
    // Prepare: chat and the snapshot Lambda shorten snapshots.waitMinutes to the time the function
    // has left (waitEndingBy), which is never a round number of minutes.
    const clock = fakeClock();
    const cloud = fakeCloud(clock, [
      { id: 'slow-db', region: 'eu-west-1', durationMs: 3_600_000 },
      { id: 'busy-db', region: 'eu-west-1', busyUntil: 3_600_000, durationMs: 60_000 },
    ]);
    const policy = { ...snapshotsPolicy(30), waitMinutes: 13.872383333333334 };

    // Act
    const [slow, busy] = await takeSnapshots(request, cloud.snapshotTargets, {
      policy,
      backendFor: cloud.backendFor,
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess
    expect(slow).toMatchObject({ outcome: 'creating', error: { code: 'DeadlineExceeded' } });
    expect(slow?.error?.message).toMatch(
      /^certctl-premaint-slow-db-[0-9a-f]{10} still creating at the deadline, 13 min 52 s after the wait began; it may still complete$/,
    );
    expect(busy).toMatchObject({ outcome: 'busy', error: { code: 'Busy' } });
    expect(busy?.error?.message).toMatch(
      /^still busy after \d+ attempts until the deadline, 13 min 52 s after the wait began: /,
    );
  });

  it('names the read that failed, not only "still creating", when every poll until the deadline failed', async () => {
    // Prepare: the snapshot is created, then DescribeDBSnapshots is refused (a role without it).
    const clock = fakeClock();
    const cloud = fakeCloud(clock, [{ id: 'slow-db', region: 'eu-west-1', durationMs: 5_000 }]);
    const denied = (scope: { region: string }): SnapshotBackend => ({
      ...cloud.backendFor(scope),
      poll: async () => {
        throw Object.assign(new Error('User is not authorized to perform: rds:DescribeDBSnapshots'), {
          name: 'AccessDenied',
        });
      },
    });

    // Act
    const [result] = await takeSnapshots(request, cloud.snapshotTargets, {
      policy: snapshotsPolicy(1),
      backendFor: denied,
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess
    expect(result).toMatchObject({ outcome: 'creating', error: { code: 'DeadlineExceeded' } });
    expect(result?.error?.message).toMatch(
      /^certctl-premaint-slow-db-[0-9a-f]{10} was last seen creating; the last read of its state before the deadline, 1 minute after the wait began, failed \(AccessDenied: User is not authorized to perform: rds:DescribeDBSnapshots\); it may still complete$/,
    );
  });

  it('tells each failed poll as it happens, with its error and how many polls in a row failed alike, the answer unchanged', async () => {
    // Prepare: polls 1-2 throttled, 3 refused, 4 read, 5 throttled again, then read until available.
    const clock = fakeClock();
    const cloud = fakeCloud(clock, [{ id: 'slow-db', region: 'eu-west-1', durationMs: 60_000 }]);
    const failures = [
      Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }),
      Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }),
      Object.assign(new Error('not authorized to perform: rds:DescribeDBSnapshots'), {
        name: 'AccessDenied',
      }),
      undefined,
      Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }),
    ];
    let polls = 0;
    const flaky = (scope: { region: string }): SnapshotBackend => {
      const backend = cloud.backendFor(scope);
      return {
        ...backend,
        poll: async (snapshots) => {
          const failure = failures[polls];
          polls += 1;
          if (failure) throw failure;
          return backend.poll(snapshots);
        },
      };
    };
    const told: { targets: string[]; code: string; message: string; inARow: number }[] = [];

    // Act
    const [result] = await takeSnapshots(request, cloud.snapshotTargets, {
      policy: snapshotsPolicy(60),
      backendFor: flaky,
      now: clock.now,
      sleep: clock.sleep,
      onPollFailure: (failure) =>
        told.push({
          targets: failure.targets.map((target) => target.id),
          code: failure.code,
          message: failure.message,
          inARow: failure.inARow,
        }),
    });

    // Assess
    expect(result).toMatchObject({ outcome: 'available' });
    expect(told).toEqual([
      { targets: ['slow-db'], code: 'Throttling', message: 'Rate exceeded', inARow: 1 },
      { targets: ['slow-db'], code: 'Throttling', message: 'Rate exceeded', inARow: 2 },
      {
        targets: ['slow-db'],
        code: 'AccessDenied',
        message: 'not authorized to perform: rds:DescribeDBSnapshots',
        inARow: 1,
      },
      { targets: ['slow-db'], code: 'Throttling', message: 'Rate exceeded', inARow: 1 },
    ]);
  });

  it('tells the failed read of one snapshot of a poll that read the others, naming only its target', async () => {
    // Prepare: a backend reading each snapshot on its own (Cloud SQL operations.get), one refused twice.
    const clock = fakeClock();
    const cloud = fakeCloud(clock, [
      { id: 'a-db', region: 'eu-west-1', durationMs: 30_000 },
      { id: 'b-db', region: 'eu-west-1', durationMs: 30_000 },
    ]);
    let refusals = 2;
    const perSnapshot = (scope: { region: string }): SnapshotBackend => {
      const backend = cloud.backendFor(scope);
      return {
        ...backend,
        poll: async (snapshots, readFailed) => {
          const states = await backend.poll(snapshots);
          if (refusals === 0) return states;
          refusals -= 1;
          const refused = snapshots.find((snapshot) => snapshot.target === 'b-db') as BackendSnapshot;
          readFailed?.(
            refused,
            Object.assign(new Error('The service answered UNAVAILABLE.'), { name: 'UNAVAILABLE' }),
          );
          return states.filter((state) => state.target !== 'b-db');
        },
      };
    };
    const told: { targets: string[]; inARow: number }[] = [];

    // Act
    const results = await takeSnapshots(request, cloud.snapshotTargets, {
      policy: snapshotsPolicy(60),
      backendFor: perSnapshot,
      now: clock.now,
      sleep: clock.sleep,
      onPollFailure: (failure) =>
        told.push({ targets: failure.targets.map((target) => target.id), inARow: failure.inARow }),
    });

    // Assess
    expect(results.map((result) => result.outcome)).toEqual(['available', 'available']);
    expect(told).toEqual([
      { targets: ['b-db'], inARow: 1 },
      { targets: ['b-db'], inARow: 2 },
    ]);
  });

  it('says a whole number of minutes as minutes', async () => {
    // Prepare
    const clock = fakeClock();
    const cloud = fakeCloud(clock, [{ id: 'slow-db', region: 'eu-west-1', durationMs: 3_600_000 }]);

    // Act
    const [slow] = await takeSnapshots(request, cloud.snapshotTargets, {
      policy: snapshotsPolicy(1),
      backendFor: cloud.backendFor,
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess
    expect(slow?.error?.message).toContain('still creating at the deadline, 1 minute after the wait began');
  });
});

describe('takeSnapshots before its creates', () => {
  const target = (id: string, kind: SnapshotTarget['kind']): SnapshotTarget => ({
    provider: 'aws',
    kind,
    account: '111111111111',
    region: 'eu-west-1',
    id,
  });
  const snapshot = (id: string, tags: Record<string, string> = {}): BackendSnapshot => ({
    id,
    kind: 'rds-instance',
    target: 'other-db',
    status: 'available',
    tags,
  });
  /** The manual snapshots listed with the targets: eu-west-1's RDS instance snapshots. */
  const listedManual = (snapshots: BackendSnapshot[]) => [
    {
      provider: 'aws',
      account: '111111111111',
      region: 'eu-west-1',
      kind: 'rds-instance',
      snapshots,
    } as const,
  ];

  /** A backend that records its calls and answers creates with a snapshot being created. */
  function recordingBackend(listManual: SnapshotBackend['listManual']) {
    const calls: string[] = [];
    const backend: SnapshotBackend = {
      quotaApplies: true,
      codeOf: (error) => (error as Error).name,
      classify: () => 'other',
      describe: async () => {
        throw new Error('not read again in this test');
      },
      listManual: (kind, targets) => {
        calls.push(`list ${kind}`);
        return listManual(kind, targets);
      },
      create: async (created, snapshotId) => {
        calls.push(`create ${created.id}`);
        return { id: snapshotId, kind: created.kind, target: created.id, status: 'creating', tags: {} };
      },
      poll: async (snapshots) => snapshots.map((entry) => ({ ...entry, status: 'available' })),
      delete: async () => undefined,
    };
    return { calls, backend };
  }

  /** db-a and db-b snapshotted without waiting, in a region whose quota is 3. */
  function snapshotTwo(backend: SnapshotBackend, manualSnapshots?: ReturnType<typeof listedManual>) {
    const clock = fakeClock();
    return takeSnapshots(
      { ...request, wait: false },
      [target('db-a', 'rds-instance'), target('db-b', 'rds-instance')],
      {
        policy: parsePolicy({ snapshots: { quotaPerRegion: 3 } }).snapshots,
        backendFor: () => backend,
        ...(manualSnapshots ? { manualSnapshots } : {}),
        now: clock.now,
        sleep: clock.sleep,
      },
    );
  }

  it('counts the quota from the listing made with the targets and lists nothing again when one is given', async () => {
    // Prepare: the region holds 2 manual snapshots of a quota of 3, listed with the targets.
    const { calls, backend } = recordingBackend(async () => {
      throw new Error('listed again');
    });

    // Act
    const results = await snapshotTwo(backend, listedManual([snapshot('manual-1'), snapshot('manual-2')]));

    // Assess
    expect(calls).toEqual(['create db-a']);
    expect(results.map((result) => result.outcome)).toEqual(['creating', 'quota']);
    expect(results[1]?.error?.message).toContain('holds 2 manual DB snapshots of a quota of 3');
  });

  it('counts as past expiry only the snapshots of ours whose expires-at tag prune reads (ISO 8601) and has passed', async () => {
    // Prepare: the clock reads 1970-01-01; of ours, one tag has passed, one is a bare year that
    // Date.parse reads as 1969-01-01 but prune reads no time in (it keeps that one for ever).
    const purpose = { purpose: 'certctl-pre-maintenance' };
    const { backend } = recordingBackend(async () => []);
    const listed = listedManual([
      snapshot('passed', { ...purpose, 'expires-at': '1969-12-31T00:00:00.000Z' }),
      snapshot('hand-edited', { ...purpose, 'expires-at': '1969' }),
    ]);

    // Act
    const results = await snapshotTwo(backend, listed);

    // Assess: `prune --apply` frees the one, not the other.
    expect(results[1]?.error?.message).toContain('(2 made by backup-guard, 1 of them past expiry)');
  });

  it('answers a target its backend refuses at once, listing, counting and writing nothing for it, while the others are snapshotted', async () => {
    // Prepare: the region holds 2 manual snapshots of a quota of 3; db-a's backups are another
    // service's to take (a Cloud SQL instance on the enhanced tier, say).
    const listedFor: string[][] = [];
    const { calls, backend } = recordingBackend(async (_kind, targets) => {
      listedFor.push((targets ?? []).map((entry) => entry.id));
      return [snapshot('manual-1'), snapshot('manual-2')];
    });
    const refusing: SnapshotBackend = {
      ...backend,
      refusal: (asked) =>
        asked.id === 'db-a' ? { code: 'SnapshotElsewhere', message: 'db-a: take it elsewhere' } : undefined,
    };

    // Act
    const results = await snapshotTwo(refusing);

    // Assess: db-a takes no share of the quota, and db-b gets the one snapshot left.
    expect(calls).toEqual(['list rds-instance', 'create db-b']);
    expect(listedFor).toEqual([['db-b']]);
    expect(results.map((result) => [result.target.id, result.outcome])).toEqual([
      ['db-a', 'error'],
      ['db-b', 'creating'],
    ]);
    expect(results[0]).toMatchObject({
      attempts: 0,
      error: { code: 'SnapshotElsewhere', message: 'db-a: take it elsewhere' },
    });
  });

  it('lists every kind of a scope at once when no listing was given', async () => {
    // Prepare: the instance listing answers only once the cluster listing has been asked for.
    let clustersAsked: () => void = () => undefined;
    const clusterListing = new Promise<void>((resolve) => {
      clustersAsked = resolve;
    });
    const { calls, backend } = recordingBackend(async (kind) => {
      if (kind === 'aurora-cluster') clustersAsked();
      else
        await Promise.race([
          clusterListing,
          new Promise((_, reject) => setTimeout(() => reject(new Error('kinds listed one by one')), 1000)),
        ]);
      return [];
    });
    const clock = fakeClock();

    // Act
    const results = await takeSnapshots(
      { ...request, wait: false },
      [target('db-a', 'rds-instance'), target('cluster-a', 'aurora-cluster')],
      {
        policy: parsePolicy({}).snapshots,
        backendFor: () => backend,
        now: clock.now,
        sleep: clock.sleep,
      },
    );

    // Assess
    expect(results.map((result) => result.outcome)).toEqual(['creating', 'creating']);
    expect(calls.slice(0, 2).sort()).toEqual(['list aurora-cluster', 'list rds-instance']);
  });

  it('adopts a snapshot of the request’s name only when it is ours and of the same database, and reports it available only when its resource id proves that', async () => {
    // Prepare: snapshots with the names this request would give db-a .. db-e exist: one untagged
    // (someone else's), one of ours but of another database, then ours of db-c, db-d and db-e:
    // db-c's listed without its DbiResourceId, db-d's with the database's, db-e's with one while
    // the database was listed without its own. db-c and db-e may be an earlier database's of that
    // name (a maintenance request id is source, action and apply date: a database created again
    // under the name gets the same one), so neither is reported as the database's snapshot.
    const { calls, backend } = recordingBackend(async () => []);
    const clock = fakeClock();
    const targets = [
      target('db-a', 'rds-instance'),
      target('db-b', 'rds-instance'),
      target('db-c', 'rds-instance'),
      { ...target('db-d', 'rds-instance'), resourceId: 'db-D' },
      target('db-e', 'rds-instance'),
    ];
    const [a, b, c, d, e] = targets.map((entry) => snapshotIdentifier(entry, request.requestId)) as [
      string,
      string,
      string,
      string,
      string,
    ];
    const ours = { purpose: 'certctl-pre-maintenance', 'request-id': request.requestId };

    // Act
    const results = await takeSnapshots({ ...request, wait: false }, targets, {
      policy: parsePolicy({}).snapshots,
      backendFor: () => backend,
      manualSnapshots: listedManual([
        { ...snapshot(a), target: 'db-a' },
        snapshot(b, ours),
        { ...snapshot(c, ours), target: 'db-c' },
        { ...snapshot(d, ours), target: 'db-d', sourceResourceId: 'db-D' },
        { ...snapshot(e, ours), target: 'db-e', sourceResourceId: 'db-E' },
      ]),
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess: db-d's is adopted as available. Before, db-c's and db-e's were too, though nothing
    // told them from an earlier database's snapshot; now they are not verified, named, nothing taken.
    expect(calls).toEqual([]);
    expect(results.map((result) => [result.target.id, result.outcome, result.error?.code])).toEqual([
      ['db-a', 'error', 'SnapshotNameTaken'],
      ['db-b', 'error', 'SnapshotNameTaken'],
      ['db-c', 'error', 'SnapshotNotVerified'],
      ['db-d', 'available', undefined],
      ['db-e', 'error', 'SnapshotNotVerified'],
    ]);
    expect(results[0]?.error?.message).toContain('not tagged as made by backup-guard');
    expect(results[1]?.error?.message).toContain('other-db');
    expect(results[2]?.snapshotId).toBe(c);
    expect(results[2]?.error?.message).toContain('its DbiResourceId was not sent (DescribeDBSnapshots)');
    expect(results[2]?.error?.message).toContain(
      `aws rds describe-db-snapshots --region eu-west-1 --db-snapshot-identifier ${c} --query 'DBSnapshots[].DbiResourceId' --output text`,
    );
    expect(results[4]?.error?.message).toContain("the database's DbiResourceId was not sent");
    expect(results[4]?.error?.message).toContain(
      "aws rds describe-db-instances --region eu-west-1 --db-instance-identifier db-e --query 'DBInstances[].DbiResourceId' --output text",
    );
  });

  it('names both resource ids and both commands when neither the snapshot’s nor the database’s was sent', async () => {
    // Prepare: the request's snapshot of db-f listed without its DbiResourceId, db-f without its own.
    const { backend } = recordingBackend(async () => []);
    const clock = fakeClock();
    const db = target('db-f', 'rds-instance');
    const id = snapshotIdentifier(db, request.requestId);
    const ours = { purpose: 'certctl-pre-maintenance', 'request-id': request.requestId };

    // Act
    const [result] = await takeSnapshots({ ...request, wait: false }, [db], {
      policy: parsePolicy({}).snapshots,
      backendFor: () => backend,
      manualSnapshots: listedManual([{ ...snapshot(id, ours), target: 'db-f' }]),
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess: before, only the snapshot's was named, and asking again once it was sent would
    // have been refused again for the database's.
    expect(result?.error?.code).toBe('SnapshotNotVerified');
    expect(result?.error?.message).toContain(
      "its DbiResourceId was not sent (DescribeDBSnapshots) and the database's DbiResourceId was not sent either (DescribeDBInstances)",
    );
    expect(result?.error?.message).toContain(
      `\`aws rds describe-db-snapshots --region eu-west-1 --db-snapshot-identifier ${id} --query 'DBSnapshots[].DbiResourceId' --output text\` and \`aws rds describe-db-instances --region eu-west-1 --db-instance-identifier db-f --query 'DBInstances[].DbiResourceId' --output text\``,
    );
  });

  it('waits for another request’s snapshot of ours still being created only when it is of this database and young enough, and says whose it was when it fails', async () => {
    // Prepare: db-a has another request's fresh snapshot creating; db-b one started 30 h ago
    // (older than readiness accepts once done); db-c one whose resource id was not sent; db-d
    // one already available (a new request asks for a fresh one).
    const clock = fakeClock();
    const at = new Date(0);
    const withId = (id: string): SnapshotTarget => ({
      ...target(id, 'rds-instance'),
      resourceId: `db-${id}`,
    });
    const targets = ['db-a', 'db-b', 'db-c', 'db-d'].map(withId);
    const other = (id: string, more: Partial<BackendSnapshot>): BackendSnapshot => ({
      ...snapshot(`certctl-premaint-${id}-other`, {
        purpose: 'certctl-pre-maintenance',
        'request-id': 'CHG-9',
      }),
      target: id,
      sourceResourceId: `db-${id}`,
      status: 'creating',
      createdAt: at,
      ...more,
    });
    const { calls, backend } = recordingBackend(async () => []);
    const failing: SnapshotBackend = {
      ...backend,
      poll: async (snapshots) =>
        snapshots.map((entry) => ({
          ...entry,
          status: entry.id.includes('-other') ? 'failed' : 'available',
        })),
    };

    // Act
    const results = await takeSnapshots(request, targets, {
      policy: parsePolicy({}).snapshots,
      backendFor: () => failing,
      manualSnapshots: listedManual([
        other('db-a', {}),
        other('db-b', { createdAt: new Date(-30 * 3_600_000) }),
        other('db-c', { sourceResourceId: undefined }),
        other('db-d', { status: 'available' }),
      ]),
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess: db-a waits for CHG-9's snapshot (no create); the others get their own.
    expect(calls).toEqual(['create db-b', 'create db-c', 'create db-d']);
    expect(results[0]).toMatchObject({
      outcome: 'failed',
      snapshotId: 'certctl-premaint-db-a-other',
      attempts: 0,
      error: { code: 'SnapshotFailed' },
    });
    expect(results[0]?.error?.message).toContain(
      'taken by request CHG-9, which this request waited for instead of taking a second snapshot; a later run of this request takes its own',
    );
    expect(results.slice(1).map((result) => [result.outcome, result.snapshotId])).toEqual(
      targets.slice(1).map((entry) => ['available', snapshotIdentifier(entry, request.requestId)]),
    );
  });

  it('adopts as its own, never as "taken by request" itself, the snapshot a duplicate delivery of the request is creating when its create finds the database busy', async () => {
    // Prepare: the listing before the creates showed nothing; the duplicate delivery's create went
    // first, so this create is refused busy, and the listing then shows the duplicate's snapshot,
    // under this request's own name and request-id.
    const clock = fakeClock();
    const db = { ...target('db-a', 'rds-instance'), resourceId: 'db-db-a' };
    const own = snapshotIdentifier(db, request.requestId);
    const duplicates: BackendSnapshot = {
      ...snapshot(own, { purpose: 'certctl-pre-maintenance', 'request-id': request.requestId }),
      target: 'db-a',
      sourceResourceId: 'db-db-a',
      status: 'creating',
      createdAt: new Date(0),
    };
    const { calls, backend } = recordingBackend(async () => [duplicates]);
    const busy: SnapshotBackend = {
      ...backend,
      classify: () => 'busy',
      create: async (created) => {
        calls.push(`create ${created.id}`);
        throw Object.assign(new Error('db-a is backing-up'), { name: 'InvalidDBInstanceState' });
      },
      poll: async (snapshots) =>
        snapshots.map((entry) => ({ ...entry, ...(entry.id === own ? { status: 'failed' } : {}) })),
    };

    // Act
    const [result] = await takeSnapshots(request, [db], {
      policy: parsePolicy({}).snapshots,
      backendFor: () => busy,
      manualSnapshots: listedManual([]),
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess: its own snapshot (attempt 1, which failed), not one it waited for of "another" request.
    expect(calls).toEqual(['create db-a', 'list rds-instance']);
    expect(result).toMatchObject({ outcome: 'failed', snapshotId: own, error: { code: 'SnapshotFailed' } });
    expect(result?.takenBy).toBeUndefined();
    expect(result?.error?.message).not.toContain(`taken by request ${request.requestId}`);
    expect(result?.error?.message).toContain('attempt 1 of');
  });

  it('adopts as its own the snapshot a duplicate delivery is creating when the request id is stored altered in its tag', async () => {
    // Prepare: as the test above, with a request id holding '#', which a tag value cannot hold
    // (requestIdTag writes '_'): the duplicate's snapshot carries the tag as created.
    const clock = fakeClock();
    const asked = { ...request, requestId: 'ticket:CHG#12' };
    const db = { ...target('db-a', 'rds-instance'), resourceId: 'db-db-a' };
    const own = snapshotIdentifier(db, asked.requestId);
    const duplicates: BackendSnapshot = {
      ...snapshot(own, { purpose: 'certctl-pre-maintenance', 'request-id': requestIdTag(asked.requestId) }),
      target: 'db-a',
      sourceResourceId: 'db-db-a',
      status: 'creating',
      createdAt: new Date(0),
    };
    const { backend } = recordingBackend(async () => [duplicates]);
    const busy: SnapshotBackend = {
      ...backend,
      classify: () => 'busy',
      create: async () => {
        throw Object.assign(new Error('db-a is backing-up'), { name: 'InvalidDBInstanceState' });
      },
      poll: async (snapshots) =>
        snapshots.map((entry) => ({ ...entry, ...(entry.id === own ? { status: 'failed' } : {}) })),
    };

    // Act
    const [result] = await takeSnapshots(asked, [db], {
      policy: parsePolicy({}).snapshots,
      backendFor: () => busy,
      manualSnapshots: listedManual([]),
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess: before, "taken by request ticket:CHG_12", its own snapshot waited for as another's.
    expect(result).toMatchObject({ outcome: 'failed', snapshotId: own, error: { code: 'SnapshotFailed' } });
    expect(result?.takenBy).toBeUndefined();
    expect(result?.error?.message).toContain('attempt 1 of');
  });

  it('does not wait for a snapshot tagged with its own request id under a name it would not take, as if another request took it', async () => {
    // Prepare: the database stays busy; the listing shows a snapshot carrying this request's id
    // under another name (not this attempt's).
    const clock = fakeClock();
    const db = { ...target('db-a', 'rds-instance'), resourceId: 'db-db-a' };
    const misnamed: BackendSnapshot = {
      ...snapshot('certctl-premaint-db-a-elsewhere', {
        purpose: 'certctl-pre-maintenance',
        'request-id': request.requestId,
      }),
      target: 'db-a',
      sourceResourceId: 'db-db-a',
      status: 'creating',
      createdAt: new Date(0),
    };
    const { backend } = recordingBackend(async () => [misnamed]);
    const busy: SnapshotBackend = {
      ...backend,
      classify: () => 'busy',
      create: async () => {
        throw Object.assign(new Error('db-a is backing-up'), { name: 'InvalidDBInstanceState' });
      },
      // Nothing under this request's own name.
      poll: async () => [],
    };

    // Act
    const [result] = await takeSnapshots(request, [db], {
      policy: snapshotsPolicy(1),
      backendFor: () => busy,
      manualSnapshots: listedManual([]),
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess
    expect(result?.outcome).toBe('busy');
    expect(result?.takenBy).toBeUndefined();
    expect(result?.snapshotId).not.toBe('certctl-premaint-db-a-elsewhere');
  });

  it('adopts again, on a later run, the snapshot of another request an earlier run waited for, instead of taking a second', async () => {
    // Prepare: the first run of the request waited for CHG-9's snapshot of db-a (still being
    // created); by the later run (another target of the request failed) it is available, and
    // nothing of db-a carries this request's name.
    const clock = fakeClock();
    const db = { ...target('db-a', 'rds-instance'), resourceId: 'db-db-a' };
    const theirs = (status: string): BackendSnapshot => ({
      ...snapshot('certctl-premaint-db-a-other', {
        purpose: 'certctl-pre-maintenance',
        'request-id': 'CHG-9',
      }),
      target: 'db-a',
      sourceResourceId: 'db-db-a',
      status,
      createdAt: new Date(0),
    });
    const run = async (listed: BackendSnapshot, asked: SnapshotRequest) => {
      const { calls, backend } = recordingBackend(async () => []);
      const results = await takeSnapshots(asked, [db], {
        policy: parsePolicy({}).snapshots,
        backendFor: () => ({ ...backend, poll: async () => [{ ...listed, status: 'available' }] }),
        manualSnapshots: listedManual([listed]),
        now: clock.now,
        sleep: clock.sleep,
      });
      return { calls, result: results[0] };
    };

    // Act
    const first = await run(theirs('creating'), request);
    const later = await run(theirs('available'), { ...request, waitedFor: [first.result?.snapshotId ?? ''] });

    // Assess: the first run records whose snapshot it waited for; the later one takes nothing.
    expect(first.calls).toEqual([]);
    expect(first.result).toMatchObject({ snapshotId: 'certctl-premaint-db-a-other', takenBy: 'CHG-9' });
    expect(later.calls).toEqual([]);
    expect(later.result).toMatchObject({
      outcome: 'available',
      snapshotId: 'certctl-premaint-db-a-other',
      takenBy: 'CHG-9',
    });
  });

  it.each([
    {
      // Its expires-at, written with the policy's 14-day retention, dates the ask 30 hours ago.
      dated: 'whose expires-at tag says it was asked for longer ago than readiness accepts',
      expiresAt: (now: Date): string | undefined =>
        new Date(now.getTime() + (14 * 24 - 30) * 3_600_000).toISOString(),
    },
    // Nothing dates it: waiting for it would have no end.
    { dated: 'that has no expires-at tag', expiresAt: (): string | undefined => undefined },
    { dated: 'whose expires-at tag does not parse', expiresAt: (): string | undefined => 'never' },
  ])('takes its own snapshot beside another request’s undated one $dated', async ({ expiresAt }) => {
    // Prepare: CHG-9's snapshot of db-a is listed creating without SnapshotCreateTime.
    const clock = fakeClock();
    const db = { ...target('db-a', 'rds-instance'), resourceId: 'db-db-a' };
    const expiry = expiresAt(clock.now());
    const stuck: BackendSnapshot = {
      ...snapshot('certctl-premaint-db-a-other', {
        purpose: 'certctl-pre-maintenance',
        'request-id': 'CHG-9',
        ...(expiry === undefined ? {} : { 'expires-at': expiry }),
      }),
      target: 'db-a',
      sourceResourceId: 'db-db-a',
      status: 'creating',
      createdAt: undefined,
    };
    const { calls, backend } = recordingBackend(async () => []);

    // Act
    const results = await takeSnapshots(request, [db], {
      policy: parsePolicy({ snapshots: { expiryDays: 14 } }).snapshots,
      backendFor: () => backend,
      manualSnapshots: listedManual([stuck]),
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess: not waited for on every request; the target gets its own.
    expect(calls).toEqual(['create db-a']);
    expect(results[0]?.snapshotId).toBe(snapshotIdentifier(db, request.requestId));
  });

  it('waits for another request’s snapshot that started between its listing and its create, when the create is refused busy, instead of retrying into a second one', async () => {
    // Prepare: the listing made with the targets shows nothing; another request's create lands
    // before this one's, which RDS refuses while the database is backing-up.
    const clock = fakeClock();
    const db = { ...target('db-a', 'rds-instance'), resourceId: 'db-db-a' };
    const theirs: BackendSnapshot = {
      ...snapshot('certctl-premaint-db-a-other', {
        purpose: 'certctl-pre-maintenance',
        'request-id': 'CHG-9',
      }),
      target: 'db-a',
      sourceResourceId: 'db-db-a',
      status: 'creating',
      createdAt: new Date(0),
    };
    const { calls, backend } = recordingBackend(async () => [theirs]);
    const busy: SnapshotBackend = {
      ...backend,
      classify: () => 'busy',
      create: async (created) => {
        calls.push(`create ${created.id}`);
        throw Object.assign(new Error('db-a is backing-up'), { name: 'InvalidDBInstanceState' });
      },
      // Only theirs exists (and is done when polled): this request's name is never there.
      poll: async (snapshots) =>
        snapshots
          .filter((entry) => entry.id === theirs.id)
          .map((entry) => ({ ...entry, status: 'available' })),
    };

    // Act
    const [result] = await takeSnapshots(request, [db], {
      policy: snapshotsPolicy(1),
      backendFor: () => busy,
      manualSnapshots: listedManual([]),
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess: one create refused, one look, then that snapshot awaited.
    expect(calls).toEqual(['create db-a', 'list rds-instance']);
    expect(result).toMatchObject({ outcome: 'available', snapshotId: theirs.id, attempts: 1 });
  });

  it('does not adopt a snapshot of the request’s name taken of an earlier database of the same identifier', async () => {
    // Prepare: db-a was deleted and created again (resource id db-NEW) after this request's
    // snapshot of the earlier db-a (db-OLD) was taken; db-b's is of the database it is now.
    const { calls, backend } = recordingBackend(async () => []);
    const clock = fakeClock();
    const targets = [
      { ...target('db-a', 'rds-instance'), resourceId: 'db-NEW' },
      { ...target('db-b', 'rds-instance'), resourceId: 'db-B' },
    ];
    const [a, b] = targets.map((entry) => snapshotIdentifier(entry, request.requestId)) as [string, string];
    const ours = { purpose: 'certctl-pre-maintenance', 'request-id': request.requestId };

    // Act
    const results = await takeSnapshots({ ...request, wait: false }, targets, {
      policy: parsePolicy({}).snapshots,
      backendFor: () => backend,
      manualSnapshots: listedManual([
        { ...snapshot(a, ours), target: 'db-a', sourceResourceId: 'db-OLD' },
        { ...snapshot(b, ours), target: 'db-b', sourceResourceId: 'db-B' },
      ]),
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess: the earlier database's snapshot is not this database's; nothing is created over it.
    expect(calls).toEqual([]);
    expect(results.map((result) => [result.target.id, result.outcome, result.error?.code])).toEqual([
      ['db-a', 'error', 'SnapshotNameTaken'],
      ['db-b', 'available', undefined],
    ]);
    expect(results[0]?.error?.message).toContain('earlier database named db-a');
  });

  it('does not adopt a snapshot that is not ours when the create says the name exists', async () => {
    // Prepare: the create is refused (the name exists) and the snapshot of that name is untagged.
    const clock = fakeClock();
    const backend = fakeBackend({
      classify: (error) => ((error as Error).name === 'DBSnapshotAlreadyExists' ? 'exists' : 'other'),
      create: async () => {
        throw Object.assign(new Error('snapshot exists'), { name: 'DBSnapshotAlreadyExists' });
      },
      poll: async (snapshots) => snapshots.map((entry) => ({ ...entry, status: 'available', tags: {} })),
    });

    // Act
    const results = await takeSnapshots({ ...request, wait: true }, [target('db-a', 'rds-instance')], {
      policy: parsePolicy({}).snapshots,
      backendFor: () => backend,
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess
    expect(results.map((result) => [result.outcome, result.error?.code])).toEqual([
      ['error', 'SnapshotNameTaken'],
    ]);
  });

  it('keeps the state of an instance snapshot and a cluster snapshot of the same name apart while polling', async () => {
    // Prepare: an RDS instance and an Aurora cluster both named certctl-db get snapshots of the
    // same name; the cluster's is available at the first poll, the instance's never within the wait.
    const clock = fakeClock();
    const backend = fakeBackend({
      poll: async (snapshots) =>
        snapshots.map((entry) => ({
          ...entry,
          status: entry.kind === 'aurora-cluster' ? 'available' : 'creating',
        })),
    });
    const targets = [target('certctl-db', 'rds-instance'), target('certctl-db', 'aurora-cluster')];
    expect(snapshotIdentifier(targets[0] as SnapshotTarget, request.requestId)).toBe(
      snapshotIdentifier(targets[1] as SnapshotTarget, request.requestId),
    );

    // Act
    const results = await takeSnapshots({ ...request, wait: true }, targets, {
      policy: snapshotsPolicy(1),
      backendFor: () => backend,
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess
    expect(results.map((result) => [result.target.kind, result.outcome, result.error?.code])).toEqual([
      ['rds-instance', 'creating', 'DeadlineExceeded'],
      ['aurora-cluster', 'available', undefined],
    ]);
  });
});

describe('takeSnapshots when progress reporting fails', () => {
  it('keeps every database’s result when the onProgress callback throws at each stage, and logs the failures', async () => {
    // Prepare: one busy target (busy-retry), two that finish (creating, done).
    const clock = fakeClock();
    const cloud = fakeCloud(clock, [
      { id: 'busy-db', region: 'eu-west-1', busyUntil: 20_000, durationMs: 10_000 },
      { id: 'quick-db', region: 'eu-west-1', durationMs: 8_000 },
      { id: 'other-region-db', region: 'us-east-1', durationMs: 8_000 },
    ]);
    const warnings: string[] = [];
    const stages: string[] = [];
    const logger = {
      info: () => undefined,
      warn: (message: string) => warnings.push(message),
      error: (message: string) => warnings.push(message),
    };

    // Act
    const results = await takeSnapshots(request, cloud.snapshotTargets, {
      policy: snapshotsPolicy(5),
      backendFor: cloud.backendFor,
      now: clock.now,
      sleep: clock.sleep,
      logger,
      onProgress: (progress) => {
        stages.push(progress.stage);
        throw new Error('chat post failed');
      },
    });

    // Assess
    expect(results.map((result) => [result.target.id, result.outcome])).toEqual([
      ['busy-db', 'available'],
      ['quick-db', 'available'],
      ['other-region-db', 'available'],
    ]);
    expect(new Set(stages)).toEqual(new Set(['creating', 'busy-retry', 'done']));
    expect(warnings.length).toBe(stages.length);
  });

  it('keeps the results when an async onProgress callback rejects, without an unhandled rejection', async () => {
    const clock = fakeClock();
    const cloud = fakeCloud(clock, [{ id: 'quick-db', region: 'eu-west-1', durationMs: 8_000 }]);
    const warnings: string[] = [];
    const logger = { info: () => undefined, warn: (m: string) => warnings.push(m), error: () => undefined };

    const results = await takeSnapshots(request, cloud.snapshotTargets, {
      policy: snapshotsPolicy(5),
      backendFor: cloud.backendFor,
      now: clock.now,
      sleep: clock.sleep,
      logger,
      onProgress: (async () => {
        throw new Error('chat post failed');
      }) as never,
    });
    await new Promise((resolve) => setImmediate(resolve));

    expect(results[0]?.outcome).toBe('available');
    expect(warnings.length).toBe(2);
  });

  it('keeps the results when both the onProgress callback and the logger throw', async () => {
    const clock = fakeClock();
    const cloud = fakeCloud(clock, [{ id: 'quick-db', region: 'eu-west-1', durationMs: 8_000 }]);
    const broken = () => {
      throw new Error('log sink down');
    };

    const results = await takeSnapshots(request, cloud.snapshotTargets, {
      policy: snapshotsPolicy(5),
      backendFor: cloud.backendFor,
      now: clock.now,
      sleep: clock.sleep,
      logger: { info: broken, warn: broken, error: broken },
      onProgress: broken,
    });

    expect(results[0]?.outcome).toBe('available');
  });
});

describe('takeSnapshots retrying a busy target', () => {
  it('adopts the request’s snapshot that another delivery took meanwhile instead of taking a second', async () => {
    // Prepare: the create is refused as busy because another delivery of the same request (which
    // listed before this one created) is taking the snapshot; Cloud SQL names are not unique, so
    // a second create would succeed once that one is done.
    const clock = fakeClock();
    const target: SnapshotTarget = {
      provider: 'gcp',
      kind: 'cloudsql-instance',
      account: 'proj',
      region: 'europe-west1',
      id: 'certctl-pg',
      // Sent, so a run of its name tells whether it is of this instance (none here is older).
      createdAt: '1969-12-01T00:00:00Z',
    };
    const snapshotId = snapshotIdentifier(target, request.requestId);
    const theirs: BackendSnapshot = {
      id: snapshotId,
      kind: 'cloudsql-instance',
      target: 'certctl-pg',
      status: 'available',
      tags: { purpose: 'certctl-pre-maintenance' },
      handle: 'run:1',
    };
    let creates = 0;
    const backend = fakeBackend({
      classify: () => 'busy',
      create: async () => {
        creates += 1;
        if (creates === 1)
          throw Object.assign(new Error('another operation is in progress'), { name: 'ABORTED' });
        return { ...theirs, id: `${snapshotId}-second`, status: 'creating' };
      },
      poll: async (snapshots) => (snapshots.some((snapshot) => snapshot.id === snapshotId) ? [theirs] : []),
    });

    // Act
    const [result] = await takeSnapshots(request, [target], {
      policy: snapshotsPolicy(5),
      backendFor: () => backend,
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess
    expect(creates).toBe(1);
    expect(result).toMatchObject({ outcome: 'available', snapshotId });
  });
});

describe('takeSnapshots finding a Cloud SQL backup run of the request’s name', () => {
  it('reports it available only when the instance’s createTime was sent, else not verified, naming the command that shows it', async () => {
    // Prepare: each instance has a run of ours under this request's name, taken at 10:00; one
    // instance was listed with its createTime (created the day before), the other without it: a run
    // of an earlier instance of that name cannot be told from one of the instance there now.
    const clock = fakeClock();
    const instance = (id: string, createdAt?: string): SnapshotTarget => ({
      provider: 'gcp',
      kind: 'cloudsql-instance',
      account: 'proj',
      region: 'europe-west1',
      id,
      ...(createdAt === undefined ? {} : { createdAt }),
    });
    const targets = [instance('pg-told', '2026-12-06T09:00:00Z'), instance('pg-untold')];
    const runs: BackendSnapshot[] = targets.map((target, index) => ({
      id: snapshotIdentifier(target, request.requestId),
      kind: 'cloudsql-instance',
      target: target.id,
      status: 'available',
      createdAt: new Date('2026-12-07T10:00:00Z'),
      tags: { purpose: 'certctl-pre-maintenance', 'request-id': request.requestId },
      handle: `run:${index}`,
    }));
    let creates = 0;
    const backend = fakeBackend({
      listManual: async (_kind, asked) =>
        runs.filter((run) => asked?.some((target) => target.id === run.target)),
      create: async () => {
        creates += 1;
        throw new Error('no create expected');
      },
    });

    // Act
    const results = await takeSnapshots({ ...request, wait: false }, targets, {
      policy: snapshotsPolicy(5),
      backendFor: () => backend,
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess: before, both were reported available.
    expect(creates).toBe(0);
    expect(results.map((result) => [result.target.id, result.outcome, result.error?.code])).toEqual([
      ['pg-told', 'available', undefined],
      ['pg-untold', 'error', 'SnapshotNotVerified'],
    ]);
    expect(results[1]?.snapshotId).toBe(runs[1]?.id);
    expect(results[1]?.error?.message).toContain('listed without its createTime');
    expect(results[1]?.error?.message).toContain(
      'gcloud sql instances describe pg-untold --project=proj --format="value(createTime)"',
    );
  });
});

describe('takeSnapshots looking for the request’s snapshot before a busy retry', () => {
  it('takes no second snapshot when the look fails: it waits and looks again, then adopts the one another delivery took', async () => {
    // Prepare: the first create is refused as busy (another delivery of the same request is taking
    // the snapshot); the look before the retry fails (a transient list error). A failed look is not
    // "none there": Cloud SQL names are descriptions, not unique, so a create now would succeed
    // beside the other delivery's backup once it is done.
    const clock = fakeClock();
    const target: SnapshotTarget = {
      provider: 'gcp',
      kind: 'cloudsql-instance',
      account: 'proj',
      region: 'europe-west1',
      id: 'certctl-pg',
      // Sent, so a run of its name tells whether it is of this instance (none here is older).
      createdAt: '1969-12-01T00:00:00Z',
    };
    const snapshotId = snapshotIdentifier(target, request.requestId);
    const theirs: BackendSnapshot = {
      id: snapshotId,
      kind: 'cloudsql-instance',
      target: 'certctl-pg',
      status: 'available',
      tags: { purpose: 'certctl-pre-maintenance' },
      handle: 'run:1',
    };
    let creates = 0;
    let looks = 0;
    const backend = fakeBackend({
      classify: () => 'busy',
      create: async () => {
        creates += 1;
        if (creates === 1)
          throw Object.assign(new Error('another operation is in progress'), { name: 'ABORTED' });
        return { ...theirs, id: `${snapshotId}-second`, status: 'creating' };
      },
      poll: async () => {
        looks += 1;
        if (looks === 1) throw Object.assign(new Error('backupRuns.list: 503'), { name: 'UNAVAILABLE' });
        return [theirs];
      },
    });

    // Act
    const [result] = await takeSnapshots(request, [target], {
      policy: snapshotsPolicy(5),
      backendFor: () => backend,
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess
    expect(creates).toBe(1);
    expect(looks).toBeGreaterThanOrEqual(2);
    expect(result).toMatchObject({ outcome: 'available', snapshotId });
  });

  it('reports the target busy at the deadline, naming the failed look, when every look fails', async () => {
    // Prepare
    const clock = fakeClock();
    const target: SnapshotTarget = {
      provider: 'gcp',
      kind: 'cloudsql-instance',
      account: 'proj',
      region: 'europe-west1',
      id: 'certctl-pg',
    };
    let creates = 0;
    const backend = fakeBackend({
      classify: () => 'busy',
      create: async () => {
        creates += 1;
        throw Object.assign(new Error('another operation is in progress'), { name: 'ABORTED' });
      },
      poll: async () => {
        throw Object.assign(new Error('backupRuns.list: 503'), { name: 'UNAVAILABLE' });
      },
    });

    // Act
    const [result] = await takeSnapshots(request, [target], {
      policy: snapshotsPolicy(1),
      backendFor: () => backend,
      now: clock.now,
      sleep: clock.sleep,
    });

    // Assess: one create (the first); every retry stopped at its failed look.
    expect(creates).toBe(1);
    expect(result?.outcome).toBe('busy');
    expect(result?.error?.message).toContain('backupRuns.list: 503');
  });
});

describe('takeSnapshots when a snapshot disappears while it is awaited', () => {
  it('reports it gone as soon as a poll no longer finds it, not as still creating at the deadline', async () => {
    // Prepare: the snapshot is seen creating once, then deleted by someone (polls find nothing).
    let clock = 0;
    let polls = 0;
    const backend = fakeBackend({
      poll: async (snapshots) => {
        polls += 1;
        return polls === 1 ? snapshots.map((snapshot) => ({ ...snapshot, status: 'creating' })) : [];
      },
    });
    const target: SnapshotTarget = {
      provider: 'aws',
      kind: 'rds-instance',
      account: '111111111111',
      region: 'eu-west-1',
      id: 'certctl-db',
    };

    // Act
    const [result] = await takeSnapshots(
      { requestId: 'CHG-1', reason: 'CA rotation', requestedBy: 'ops', wait: true },
      [target],
      {
        policy: parsePolicy({ snapshots: { waitMinutes: 30 } }).snapshots,
        backendFor: () => backend,
        now: () => new Date(clock),
        sleep: async (ms) => {
          clock += ms;
        },
      },
    );

    // Assess: said gone, with its name, and the wait not spent to its end.
    expect(result?.outcome).toBe('error');
    expect(result?.error?.code).toBe('SnapshotGone');
    expect(result?.error?.message).toContain(snapshotIdentifier(target, 'CHG-1'));
    expect(result?.error?.message).not.toContain('may still complete');
    expect(clock).toBeLessThan(5 * 60_000);
  });

  it('keeps waiting for a snapshot one poll missed, and reports it available when it is listed again', async () => {
    // Prepare: seen creating, missing from one listing (a lagging read), then available.
    let clock = 0;
    let polls = 0;
    const backend = fakeBackend({
      poll: async (snapshots) => {
        polls += 1;
        if (polls === 2) return [];
        const status = polls === 1 ? 'creating' : 'available';
        return snapshots.map((snapshot) => ({ ...snapshot, status, createdAt: new Date(clock) }));
      },
    });
    const target: SnapshotTarget = {
      provider: 'aws',
      kind: 'rds-instance',
      account: '111111111111',
      region: 'eu-west-1',
      id: 'certctl-db',
    };

    // Act
    const [result] = await takeSnapshots(
      { requestId: 'CHG-1', reason: 'CA rotation', requestedBy: 'ops', wait: true },
      [target],
      {
        policy: parsePolicy({ snapshots: { waitMinutes: 30 } }).snapshots,
        backendFor: () => backend,
        now: () => new Date(clock),
        sleep: async (ms) => {
          clock += ms;
        },
      },
    );

    // Assess
    expect(result?.outcome).toBe('available');
    expect(polls).toBe(3);
  });
});

describe('takeSnapshots: run records of the snapshots it creates', () => {
  /** A run record store that keeps what it is given, or refuses every write with `refuse`. */
  function recordStore(refuse?: Error) {
    const written: { record: SnapshotRunRecord; keepUntil: string }[] = [];
    return {
      written,
      store: {
        where: 'the test table',
        write: async (record: SnapshotRunRecord, keepUntil: Date) => {
          if (refuse) throw refuse;
          written.push({ record, keepUntil: keepUntil.toISOString() });
        },
      },
    };
  }
  /** `fakeCloud`'s backend, whose polls name each snapshot's ARN (its create did not). */
  const withArns =
    (backendFor: (scope: { region: string }) => SnapshotBackend) => (scope: { region: string }) => {
      const backend = backendFor(scope);
      return {
        ...backend,
        poll: async (snapshots: readonly BackendSnapshot[]) =>
          (await backend.poll(snapshots)).map((s) => ({
            ...s,
            ref: `arn:aws:rds:${scope.region}:111111111111:snapshot:${s.id}`,
          })),
      };
    };

  it('records each snapshot it creates, kept 30 days past its expiry, with the ARN its polls name', async () => {
    // Prepare
    const clock = fakeClock();
    const cloud = fakeCloud(clock, [{ id: 'certctl-db', region: 'eu-west-1', durationMs: 8_000 }]);
    const records = recordStore();

    // Act
    const [result] = await takeSnapshots(request, cloud.snapshotTargets, {
      policy: snapshotsPolicy(1),
      backendFor: withArns(cloud.backendFor),
      now: clock.now,
      sleep: clock.sleep,
      runRecords: records.store,
    });

    // Assess: written at the create (no ARN known), then again with the ARN the result names.
    expect(result?.outcome).toBe('available');
    const expected = {
      provider: 'aws',
      account: '111111111111',
      region: 'eu-west-1',
      kind: 'rds-instance',
      target: 'certctl-db',
      snapshotId: result?.snapshotId,
    };
    // The expiry (expiryDays, 14 by default, after the clock's start) plus the 30-day margin.
    const keepUntil = new Date((14 + 30) * 86_400_000).toISOString();
    expect(records.written).toEqual([
      { record: { ...expected, ref: undefined }, keepUntil },
      {
        record: { ...expected, ref: `arn:aws:rds:eu-west-1:111111111111:snapshot:${result?.snapshotId}` },
        keepUntil,
      },
    ]);
  });

  it('still delivers the snapshot when its record is not written, and says prune will keep it', async () => {
    // Prepare
    const clock = fakeClock();
    const cloud = fakeCloud(clock, [{ id: 'certctl-db', region: 'eu-west-1', durationMs: 8_000 }]);
    const records = recordStore(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const progress: string[] = [];

    // Act
    const [result] = await takeSnapshots(request, cloud.snapshotTargets, {
      policy: snapshotsPolicy(1),
      backendFor: cloud.backendFor,
      now: clock.now,
      sleep: clock.sleep,
      runRecords: records.store,
      onProgress: (p) => progress.push(p.message),
    });

    // Assess
    expect(result?.outcome).toBe('available');
    expect(progress).toContain(
      `no run record of ${result?.snapshotId} was written to the test table (denied): prune will keep it past its expiry; delete it by hand then`,
    );
  });
});

describe('takeSnapshots: a re-run adopting the request snapshot an earlier run created', () => {
  const target: SnapshotTarget = {
    provider: 'aws',
    kind: 'rds-instance',
    account: '111111111111',
    region: 'eu-west-1',
    id: 'certctl-db',
    resourceId: 'db-CERTCTL',
  };
  const snapshotId = snapshotIdentifier(target, request.requestId);
  const ours = {
    purpose: 'certctl-pre-maintenance',
    'request-id': requestIdTag(request.requestId),
    'expires-at': new Date(14 * 86_400_000).toISOString(),
  };
  /**
   * The request's snapshot as RDS lists it: created (by the cloud's clock) at `createdAt`, of the
   * database there now (its DbiResourceId sent).
   */
  const listed = (createdAt: Date | undefined, extra: Partial<BackendSnapshot> = {}): BackendSnapshot => ({
    id: snapshotId,
    kind: 'rds-instance',
    target: 'certctl-db',
    sourceResourceId: 'db-CERTCTL',
    status: 'available',
    tags: ours,
    ref: `arn:aws:rds:eu-west-1:111111111111:snapshot:${snapshotId}`,
    createdAt,
    ...extra,
  });
  function recorded() {
    const written: SnapshotRunRecord[] = [];
    return {
      written,
      store: { where: 'the test table', write: async (r: SnapshotRunRecord) => void written.push(r) },
    };
  }
  const run = (
    snapshot: BackendSnapshot,
    firstAcceptedAt: Date | undefined,
    store: ReturnType<typeof recorded>,
  ) =>
    takeSnapshots(request, [target], {
      policy: snapshotsPolicy(1),
      backendFor: () =>
        fakeBackend({
          listManual: async () => [snapshot],
          poll: async () => [snapshot],
          create: async () => {
            throw new Error('a re-run must adopt, not create');
          },
        }),
      // The re-run starts an hour after the first acceptance.
      now: () => new Date(3_600_000),
      sleep: async () => undefined,
      runRecords: store.store,
      ...(firstAcceptedAt ? { firstAcceptedAt } : {}),
    });

  it('records the snapshot when the cloud created it after the request was first accepted', async () => {
    // Prepare: the first run was accepted at 0, created the snapshot at 20 s and died before its record.
    const records = recorded();

    // Act
    const [result] = await run(listed(new Date(20_000)), new Date(0), records);

    // Assess
    expect(result).toMatchObject({ outcome: 'available', snapshotId, attempts: 0 });
    expect(result?.notRecorded).toBeUndefined();
    expect(records.written).toEqual([
      {
        provider: 'aws',
        account: '111111111111',
        region: 'eu-west-1',
        kind: 'rds-instance',
        target: 'certctl-db',
        snapshotId,
        ref: `arn:aws:rds:eu-west-1:111111111111:snapshot:${snapshotId}`,
      },
    ]);
  });

  it('does not record a snapshot of the request name created before the request was first accepted, and says so', async () => {
    // Prepare: someone who predicted the name made it (with our tags) a minute before the request.
    const records = recorded();

    // Act
    const [result] = await run(listed(new Date(-60_000)), new Date(0), records);

    // Assess: still adopted (as before), never recorded as ours.
    expect(result?.outcome).toBe('available');
    expect(records.written).toEqual([]);
    expect(result?.notRecorded).toBe(
      `adopted, not recorded: the cloud created ${snapshotId} at 1969-12-31T23:59:00.000Z, before this request was first accepted at 1970-01-01T00:00:00.000Z, so this request did not take it; prune keeps it (delete it by hand once you know whose it is)`,
    );
  });

  it('does not record one whose creation time the cloud did not say, nor one copied from elsewhere', async () => {
    // Prepare
    const undated = recorded();
    const copied = recorded();

    // Act
    const [first] = await run(listed(undefined), new Date(0), undated);
    const [second] = await run(listed(new Date(20_000), { sourceRegion: 'us-east-1' }), new Date(0), copied);

    // Assess
    expect([undated.written, copied.written]).toEqual([[], []]);
    expect(first?.notRecorded).toBe(
      `adopted, not recorded: the cloud did not say when ${snapshotId} was created, so it is not proven taken after this request was first accepted at 1970-01-01T00:00:00.000Z; prune keeps it (delete it by hand once you know whose it is)`,
    );
    expect(second?.notRecorded).toBe(
      `adopted, not recorded: ${snapshotId} was copied from us-east-1, not taken of certctl-db in eu-west-1; prune keeps it (delete it by hand once you know whose it is)`,
    );
  });

  it.each([
    [
      'its DbiResourceId was not sent',
      target,
      { sourceResourceId: undefined },
      `${snapshotId} bears the name certctl-db but its DbiResourceId was not sent`,
    ],
    [
      "the database's DbiResourceId was not sent",
      { ...target, resourceId: undefined },
      {},
      `${snapshotId} bears the name certctl-db but the database's DbiResourceId was not sent`,
    ],
  ])(
    'does not record one it could not verify of the database there now (%s), so prune keeps it',
    async (_case, asked, extra, reason) => {
      // Prepare: created after the first acceptance, but nothing tells it from an earlier
      // database's of that name (answered SnapshotNotVerified).
      const records = recorded();
      const snapshot = listed(new Date(20_000), extra);

      // Act
      const [result] = await takeSnapshots(request, [asked], {
        policy: snapshotsPolicy(1),
        backendFor: () => fakeBackend({ listManual: async () => [snapshot], poll: async () => [snapshot] }),
        now: () => new Date(3_600_000),
        sleep: async () => undefined,
        runRecords: records.store,
        firstAcceptedAt: new Date(0),
      });

      // Assess: before, it was recorded as ours, and prune would have deleted it at expiry.
      expect(result?.error?.code).toBe('SnapshotNotVerified');
      expect(records.written).toEqual([]);
      expect(result?.notRecorded).toBe(
        `adopted, not recorded: ${reason}: it cannot be told to be of this database rather than of an earlier one of that name; prune keeps it (delete it by hand once you know whose it is)`,
      );
    },
  );

  it('does not record a Cloud SQL backup run it could not verify, the instance listed without its createTime', async () => {
    // Prepare
    const records = recorded();
    const instance: SnapshotTarget = {
      provider: 'gcp',
      kind: 'cloudsql-instance',
      account: 'proj',
      region: 'europe-west1',
      id: 'certctl-pg',
    };
    const runId = snapshotIdentifier(instance, request.requestId);
    const backupRun: BackendSnapshot = {
      id: runId,
      kind: 'cloudsql-instance',
      target: 'certctl-pg',
      status: 'available',
      createdAt: new Date(20_000),
      tags: ours,
      ref: 'https://sqladmin.googleapis.com/v1/projects/proj/instances/certctl-pg/backupRuns/7',
    };

    // Act
    const [result] = await takeSnapshots(request, [instance], {
      policy: snapshotsPolicy(1),
      backendFor: () => fakeBackend({ listManual: async () => [backupRun], poll: async () => [backupRun] }),
      now: () => new Date(3_600_000),
      sleep: async () => undefined,
      runRecords: records.store,
      firstAcceptedAt: new Date(0),
    });

    // Assess
    expect(result?.error?.code).toBe('SnapshotNotVerified');
    expect(records.written).toEqual([]);
    expect(result?.notRecorded).toContain(
      `adopted, not recorded: ${runId} bears the name certctl-pg but the instance's createTime was not sent`,
    );
  });

  it('without a first acceptance time, counts from when this run started', async () => {
    // Prepare: the snapshot predates this run (started at 1 h), nothing says when the request was accepted.
    const records = recorded();

    // Act
    const [result] = await run(listed(new Date(20_000)), undefined, records);

    // Assess
    expect(records.written).toEqual([]);
    expect(result?.notRecorded).toContain(
      'before this request was first accepted at 1970-01-01T01:00:00.000Z',
    );
  });
});
