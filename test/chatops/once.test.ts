/**
 * One run per request key, against the Cloud Storage record store on the simulator's GCS (the
 * generation preconditions are what make it work).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimOnce, holdClaim, runOncePerKey } from '../../functions/chatops/once.ts';
import { cloudStorageRecordStore } from '../../functions/gcp/chat-records.ts';
import { deliveryDoneOver, firstDeliveryOver } from '../../functions/handlers/gcp/chat-action.ts';
import { type Sim, startSim } from '../sim/server.ts';

let sim: Sim;
beforeAll(async () => {
  sim = await startSim({
    scenario: { services: { gcs: { buckets: [{ name: 'certctl-chat-requests', project: 'certctl-ops' }] } } },
  });
});
afterAll(async () => {
  await sim.close();
});

const OPTIONS = { keepMs: 86_400_000, claimMs: 900_000 };

function store() {
  return cloudStorageRecordStore({
    bucket: 'certctl-chat-requests',
    prefix: `t-${Math.random()}/`,
    endpoint: sim.endpoint,
  });
}

describe('runOncePerKey over Cloud Storage', () => {
  it('runs once and returns the first result to a repeat', async () => {
    // Prepare
    const records = store();
    let runs = 0;
    const run = async () => {
      runs += 1;
      return { snapshot: `snap-${runs}` };
    };

    // Act
    const first = await runOncePerKey('k1', run, records, OPTIONS);
    const repeat = await runOncePerKey('k1', run, records, OPTIONS);

    // Assess
    expect(first).toEqual({ firstRun: true, result: { snapshot: 'snap-1' } });
    expect(repeat).toEqual({ firstRun: false, result: { snapshot: 'snap-1' } });
    expect(runs).toBe(1);
  });

  it('tells a concurrent duplicate that the first is in progress, without running it', async () => {
    // Prepare
    const records = store();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let runs = 0;
    const run = async () => {
      runs += 1;
      await gate;
      return 'done';
    };

    // Act
    const first = runOncePerKey('k2', run, records, OPTIONS);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const duplicate = await runOncePerKey('k2', run, records, OPTIONS);
    release();

    // Assess
    expect(duplicate).toEqual({ inProgress: true });
    expect(await first).toEqual({ firstRun: true, result: 'done' });
    expect(runs).toBe(1);
  });

  it('lets a later delivery run again after a run that threw, and takes over a claim that expired', async () => {
    // Prepare
    const records = store();
    let clock = Date.parse('2026-12-02T10:00:00Z');
    const options = { ...OPTIONS, now: () => new Date(clock) };

    // Act
    await expect(
      runOncePerKey('k3', async () => Promise.reject(new Error('boom')), records, options),
    ).rejects.toThrow('boom');
    const after = await runOncePerKey('k3', async () => 'second', records, options);
    await records.create('k4', { status: 'INPROGRESS', expiresAt: new Date(clock + 1000).toISOString() });
    const held = await runOncePerKey('k4', async () => 'x', records, options);
    clock += 2000;
    const takenOver = await runOncePerKey('k4', async () => 'taken over', records, options);

    // Assess
    expect(after).toEqual({ firstRun: true, result: 'second' });
    expect(held).toEqual({ inProgress: true });
    expect(takenOver).toEqual({ firstRun: true, result: 'taken over' });
  });
});

describe('runOncePerKey: when the key was first accepted', () => {
  it('hands the run the acceptance kept in the claim of an earlier run that died, when it takes that claim over', async () => {
    // Prepare: a run claimed k5 at 10:00 and died; its claim expired at 10:15.
    const records = store();
    let clock = Date.parse('2026-12-02T10:00:00Z');
    const options = { ...OPTIONS, now: () => new Date(clock) };
    const seen: (Date | undefined)[] = [];
    const dead = runOncePerKey('k5', () => new Promise<never>(() => undefined), records, options);
    void dead;
    await expect.poll(async () => (await records.read('k5'))?.record.status).toBe('INPROGRESS');
    clock += 16 * 60_000;

    // Act: a redelivery at 10:16, and the first run of another key.
    await runOncePerKey('k5', async (recordStart) => seen.push(recordStart), records, options);
    await runOncePerKey('k6', async (recordStart) => seen.push(recordStart), records, options);

    // Assess
    expect(seen).toEqual([new Date('2026-12-02T10:00:00Z'), undefined]);
  });
});

describe('runOncePerKey: a claim written before claims kept their acceptance', () => {
  it('hands the run nothing when it takes that claim over, and keeps its own arrival on the claim it takes', async () => {
    // Prepare: an earlier version's run claimed k7 (no acceptedAt) and died; its claim expired.
    const records = store();
    const clock = Date.parse('2026-12-02T10:16:00Z');
    await records.create('k7', { status: 'INPROGRESS', expiresAt: '2026-12-02T10:15:00.000Z' });
    const seen: (Date | undefined)[] = [];
    let claimed: unknown;

    // Act: a redelivery at 10:16, whose run reads the claim it holds.
    await runOncePerKey(
      'k7',
      async (recordStart) => {
        seen.push(recordStart);
        claimed = (await records.read('k7'))?.record;
      },
      records,
      { ...OPTIONS, now: () => new Date(clock) },
    );

    // Assess: nothing earlier than this run's arrival, so the request is dated no earlier than it
    // was (functions/actions/snapshot/run.ts firstAcceptedAt falls back to the arrival).
    expect(seen).toEqual([undefined]);
    expect(claimed).toMatchObject({ status: 'INPROGRESS', acceptedAt: '2026-12-02T10:16:00.000Z' });
  });
});

describe('claimOnce over Cloud Storage', () => {
  it('grants a key to its first caller only, and again once the claim expired', async () => {
    // Prepare
    const records = store();
    let now = new Date('2026-12-02T10:00:00Z');
    const options = { keepMs: 60_000, now: () => now };

    // Act
    const first = await claimOnce('delivery-a', records, options);
    const again = await claimOnce('delivery-a', records, options);
    const other = await claimOnce('delivery-b', records, options);
    now = new Date(now.getTime() + 61_000);
    const afterExpiry = await claimOnce('delivery-a', records, options);
    const concurrent = await Promise.all([1, 2, 3].map(() => claimOnce('delivery-c', records, options)));

    // Assess
    expect([first, again, other, afterExpiry]).toEqual(['claimed', 'running', 'claimed', 'claimed']);
    expect(concurrent.filter((state) => state === 'claimed')).toHaveLength(1);
    expect(concurrent.filter((state) => state === 'running')).toHaveLength(2);
  });

  it('tells a claim whose run still holds it (running) from one held once its work was done', async () => {
    // Prepare
    const records = store();
    const now = new Date('2026-12-02T10:00:00Z');
    const options = { keepMs: 60_000, now: () => now };

    // Act
    await claimOnce('delivery-d', records, options);
    const whileRunning = await claimOnce('delivery-d', records, options);
    await holdClaim('delivery-d', records, { keepMs: 86_400_000, now: () => now });
    const afterDone = await claimOnce('delivery-d', records, options);

    // Assess
    expect([whileRunning, afterDone]).toEqual(['running', 'done']);
  });
});

describe('runOncePerKey when the result cannot be recorded', () => {
  it('still returns what the run did, so snapshots taken are reported rather than called a failure', async () => {
    // Prepare: the store takes the claim, then refuses the write of the result (Cloud Storage 503).
    const records = store();
    const failing = {
      ...records,
      create: records.create.bind(records),
      read: records.read.bind(records),
      remove: records.remove.bind(records),
      replace: async () => {
        throw new Error('503 Service Unavailable');
      },
    };
    let runs = 0;

    // Act
    const outcome = await runOncePerKey(
      'k-unrecorded',
      async () => {
        runs += 1;
        return { snapshot: 'snap-1' };
      },
      failing,
      OPTIONS,
    );
    const repeat = await runOncePerKey(
      'k-unrecorded',
      async () => ({ snapshot: 'snap-2' }),
      records,
      OPTIONS,
    );

    // Assess: the result reaches the caller; the claim still holds off a second run.
    expect(outcome).toEqual({ firstRun: true, result: { snapshot: 'snap-1' } });
    expect(repeat).toEqual({ inProgress: true });
    expect(runs).toBe(1);
  });
});

describe('runOncePerKey when another caller takes the claim over during the run', () => {
  it('returns the finished result and reports it unrecorded, as a refused write is', async () => {
    // Prepare: a run that outlives its claim (a clock past claimMs); a redelivery takes the
    // expired claim over while it still runs.
    const records = store();
    let now = new Date('2026-12-05T10:00:00Z');
    const options = { ...OPTIONS, now: () => now };
    const recordErrors: unknown[] = [];
    let takeover: Promise<unknown> | undefined;

    // Act
    const outcome = await runOncePerKey(
      'k-taken',
      async () => {
        now = new Date(now.getTime() + OPTIONS.claimMs + 1000);
        takeover = runOncePerKey('k-taken', async () => ({ snapshot: 'snap-2' }), records, options);
        await takeover;
        return { snapshot: 'snap-1' };
      },
      records,
      { ...options, onRecordError: (error) => recordErrors.push(error) },
    );

    // Assess: both runs' results reach their callers; the one whose result could not be recorded
    // (its claim was no longer its own) is reported, naming why.
    expect(outcome).toEqual({ firstRun: true, result: { snapshot: 'snap-1' } });
    expect(await takeover).toEqual({ firstRun: true, result: { snapshot: 'snap-2' } });
    expect(recordErrors).toHaveLength(1);
    expect(String(recordErrors[0])).toMatch(/k-taken.*taken over/);
  });
});

describe('the GCP chat function’s delivery claims over Cloud Storage', () => {
  it('let the redelivery of a run stopped at its timeout run, and keep a repeat of a finished run off', async () => {
    // Prepare: chatAction's claims, a 540-second run (CHAT_ACTION_TIMEOUT_MS).
    const records = store();
    let now = new Date('2026-12-02T10:00:00Z');
    const claim = firstDeliveryOver(records, () => now);
    const done = deliveryDoneOver(records, () => now);
    const until = () => new Date(now.getTime() + 540_000);

    // Act: the first run is stopped at its timeout without answering; Pub/Sub delivers it again
    // after that, the redelivery runs to its end, and a later duplicate arrives.
    const first = await claim('a'.repeat(64), until());
    const whileRunning = await claim('a'.repeat(64), until());
    now = new Date(now.getTime() + 600_000);
    const redelivered = await claim('a'.repeat(64), until());
    await done('a'.repeat(64));
    now = new Date(now.getTime() + 600_000);
    const duplicate = await claim('a'.repeat(64), until());

    // Assess
    expect([first, whileRunning, redelivered, duplicate]).toEqual(['claimed', 'running', 'claimed', 'done']);
  });

  it('keep the claim of a run that crashed (never done) running until its timeout, then let a redelivery claim it', async () => {
    // Prepare
    const records = store();
    let now = new Date('2026-12-02T10:00:00Z');
    const claim = firstDeliveryOver(records, () => now);
    const until = () => new Date(now.getTime() + 540_000);

    // Act: the first run claims and dies; Pub/Sub redelivers after 10 s, then after its timeout.
    await claim('e'.repeat(64), until());
    now = new Date(now.getTime() + 10_000);
    const soon = await claim('e'.repeat(64), until());
    now = new Date(now.getTime() + 540_000);
    const late = await claim('e'.repeat(64), until());

    // Assess
    expect([soon, late]).toEqual(['running', 'claimed']);
  });
});
