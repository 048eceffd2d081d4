/**
 * The chat function's request records over the Cloud Storage JSON API, against the simulator's
 * Cloud Storage (media uploads and deletes with generation preconditions, 412 conditionNotMet,
 * `alt=media` with `x-goog-generation`), with faults injected through the store's `fetch`.
 */
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimOnce, type RequestRecord, runOncePerKey } from '../../functions/chatops/once.ts';
import { CredentialsError } from '../../functions/core/errors.ts';
import {
  CHAT_RECORDS_PREFIX,
  type CloudStorageRecordStoreOptions,
  chatRecordsOf,
  cloudStorageRecordStore,
} from '../../functions/gcp/chat-records.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import { type Sim, startSim } from '../sim/server.ts';

const BUCKET = 'certctl-ops-certctl-chat-requests';
const DENIED_BUCKET = 'certctl-ops-denied-chat-requests';
const CANARY = 'CANARY-record-body-5f1c';
const fast = { initialDelayMs: 1, maxDelayMs: 2 };

let sim: Sim;
beforeAll(async () => {
  sim = await startSim({
    scenario: {
      services: {
        gcs: {
          buckets: [
            { name: BUCKET, project: 'certctl-ops' },
            { name: DENIED_BUCKET, project: 'certctl-ops', denied: ['objects.insert'] },
          ],
        },
      },
    },
  });
});
afterAll(async () => {
  await sim.close();
});

function store(options: Partial<CloudStorageRecordStoreOptions> = {}) {
  return cloudStorageRecordStore({
    bucket: BUCKET,
    prefix: `t-${Math.random()}/`,
    endpoint: sim.endpoint,
    retry: fast,
    ...options,
  });
}

const claim = (expiresAt = '2026-12-02T10:15:00.000Z'): RequestRecord => ({
  status: 'INPROGRESS',
  expiresAt,
});
const done = (result: unknown): RequestRecord => ({
  status: 'COMPLETED',
  expiresAt: '2026-12-03T10:00:00.000Z',
  result,
});

/** The global fetch, with `fault` deciding each call's fate first (undefined: sent as is). */
function faultyFetch(
  fault: (call: number, url: string, init: RequestInit | undefined) => Promise<Response | undefined>,
): { fetch: typeof fetch; calls: () => string[] } {
  const calls: string[] = [];
  return {
    calls: () => calls,
    fetch: async (input, init) => {
      const url = String(input);
      calls.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}`);
      return (await fault(calls.length, url, init)) ?? fetch(input, init);
    },
  };
}

describe('cloudStorageRecordStore preconditions', () => {
  it('creates a record only once, and reads it back with its version', async () => {
    // Prepare
    const records = store();

    // Act
    const version = await records.create('k', claim());
    const second = await records.create('k', claim('2026-12-02T10:20:00.000Z'));
    const read = await records.read('k');

    // Assess
    expect(version).toMatch(/^\d+$/);
    expect(second).toBeUndefined();
    expect(read).toEqual({ record: claim(), version });
  });

  it('refuses a replace at a stale version, and takes one at the version read', async () => {
    // Prepare
    const records = store();
    const first = (await records.create('k', claim())) ?? '';
    const replaced = await records.replace('k', done('first'), first);

    // Act
    const stale = await records.replace('k', done('stale'), first);
    const current = await records.read('k');

    // Assess
    expect(replaced).toBe(true);
    expect(stale).toBe(false);
    expect(current?.record).toEqual(done('first'));
    expect(current?.version).not.toBe(first);
  });

  it('leaves a record a remove names at a stale version, and removes it at its version', async () => {
    // Prepare
    const records = store();
    const first = (await records.create('k', claim())) ?? '';
    await records.replace('k', done('kept'), first);

    // Act
    await records.remove('k', first);
    const afterStale = await records.read('k');
    await records.remove('k', afterStale?.version ?? '');
    const afterCurrent = await records.read('k');
    await records.remove('k', afterStale?.version ?? '');

    // Assess: the last remove finds nothing, which is fine.
    expect(afterStale?.record).toEqual(done('kept'));
    expect(afterCurrent).toBeUndefined();
  });

  it('reads no record (undefined) for a key never written', async () => {
    // Act / Assess
    await expect(store().read('never-written')).resolves.toBeUndefined();
  });

  it("reads the records the library wrote under the deployment's prefix, and replaces them at their generation", async () => {
    // Prepare: a record as @google-cloud/storage `file.save` wrote it (multipart upload).
    const file = new Storage({ apiEndpoint: sim.endpoint })
      .bucket(BUCKET)
      .file(`${CHAT_RECORDS_PREFIX}old.json`);
    await file.save(JSON.stringify(done({ snapshot: 'snap-old' })), {
      resumable: false,
      contentType: 'application/json',
      preconditionOpts: { ifGenerationMatch: 0 },
    });
    const records = cloudStorageRecordStore({ bucket: BUCKET, endpoint: sim.endpoint });

    // Act
    const read = await records.read('old');
    const replaced = await records.replace('old', done({ snapshot: 'snap-new' }), read?.version ?? '');
    const [bytes] = await file.download();

    // Assess
    expect(read).toEqual({
      record: done({ snapshot: 'snap-old' }),
      version: String(file.metadata.generation),
    });
    expect(replaced).toBe(true);
    // The stored object carries the write's own mark beside the record.
    expect(JSON.parse(String(bytes))).toEqual({
      ...done({ snapshot: 'snap-new' }),
      writer: expect.any(String),
    });
  });
});

describe('cloudStorageRecordStore retries', () => {
  it('retries a 503 and then creates the record', async () => {
    // Prepare
    const faulty = faultyFetch(async (call) =>
      call === 1
        ? Response.json(
            { error: { code: 503, message: 'Backend Error', errors: [{ reason: 'backendError' }] } },
            { status: 503 },
          )
        : undefined,
    );
    const records = store({ fetch: faulty.fetch });

    // Act
    const version = await records.create('k', claim());

    // Assess
    expect(version).toMatch(/^\d+$/);
    expect((await records.read('k'))?.version).toBe(version);
    expect(faulty.calls().filter((call) => call.startsWith('POST'))).toHaveLength(2);
  });

  it('takes a create whose first answer was lost as its own, so the run goes ahead once', async () => {
    // Prepare: the first upload reaches Cloud Storage, its answer does not (a reset connection).
    const lostFirstUpload = () =>
      faultyFetch(async (call, url, init) => {
        if (call !== 1) return undefined;
        await fetch(url, init);
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
        });
      });
    const runFaulty = lostFirstUpload();
    const claimFaulty = lostFirstUpload();
    const runRecords = store({ fetch: runFaulty.fetch });
    const claimRecords = store({ fetch: claimFaulty.fetch });
    let runs = 0;

    // Act
    const outcome = await runOncePerKey(
      'k-lost',
      async () => {
        runs += 1;
        return { snapshot: 'snap-1' };
      },
      runRecords,
      { keepMs: 86_400_000, claimMs: 540_000 },
    );
    const repeat = await runOncePerKey('k-lost', async () => ({ snapshot: 'snap-2' }), runRecords, {
      keepMs: 86_400_000,
      claimMs: 540_000,
    });
    const claimed = await claimOnce('delivery-lost', claimRecords, { keepMs: 86_400_000 });

    // Assess: without the read-back, the retry's 412 read as someone else's claim ({ inProgress }).
    expect(outcome).toEqual({ firstRun: true, result: { snapshot: 'snap-1' } });
    expect(repeat).toEqual({ firstRun: false, result: { snapshot: 'snap-1' } });
    expect(runs).toBe(1);
    expect(claimed).toBe('claimed');
    expect(runFaulty.calls().slice(0, 3)).toEqual([
      expect.stringMatching(/^POST \/upload\/storage\/v1\/b\/[^/]+\/o$/),
      expect.stringMatching(/^POST /),
      expect.stringMatching(/^GET \/storage\/v1\/b\/[^/]+\/o\/t-[^/]+%2Fk-lost\.json$/),
    ]);
  });

  it("does not take another caller's record as its own when its own first attempt was lost before it arrived", async () => {
    // Prepare: the first upload never arrives; meanwhile another delivery claims the key.
    const prefix = `t-${Math.random()}/`;
    const faulty = faultyFetch(async (call) => {
      if (call !== 1) return undefined;
      await cloudStorageRecordStore({ bucket: BUCKET, prefix, endpoint: sim.endpoint }).create(
        'k',
        claim('2026-12-02T10:14:59.999Z'),
      );
      throw new TypeError('fetch failed');
    });
    const records = store({ prefix, fetch: faulty.fetch });

    // Act
    const version = await records.create('k', claim());

    // Assess
    expect(version).toBeUndefined();
    expect((await records.read('k'))?.record).toEqual(claim('2026-12-02T10:14:59.999Z'));
  });

  it("does not take another caller's record as its own even when that record has the same content", async () => {
    // Prepare: two deliveries of one request in the same millisecond make the same record; this
    // one's first upload never arrives and the other's lands.
    const prefix = `t-${Math.random()}/`;
    const other = cloudStorageRecordStore({ bucket: BUCKET, prefix, endpoint: sim.endpoint });
    const faulty = faultyFetch(async (call) => {
      if (call !== 1) return undefined;
      await other.create('k', claim());
      throw new TypeError('fetch failed');
    });
    const records = store({ prefix, fetch: faulty.fetch });

    // Act
    const version = await records.create('k', claim());

    // Assess: the record is the other caller's; taking it would let both run the snapshot.
    expect(version).toBeUndefined();
    expect((await records.read('k'))?.record).toEqual(claim());
  });

  it('gives up after its attempts, naming the operation, the status and the attempts', async () => {
    // Prepare
    const faulty = faultyFetch(async () =>
      Response.json(
        { error: { code: 503, message: CANARY, errors: [{ reason: 'backendError' }] } },
        { status: 503 },
      ),
    );
    const records = store({ fetch: faulty.fetch, retry: { ...fast, maxAttempts: 3 } });

    // Act / Assess: Google's message (the canary, as if it repeated the record) is not quoted, as
    // the request sent a body.
    await expect(records.replace('k', done(CANARY), '1')).rejects.toThrow(
      /^Cloud Storage POST b\/certctl-ops-certctl-chat-requests\/o\/t-[^/]+\/k\.json answered 503 backendError after 3 attempts over \d+\.\d s \(as many as a call makes\)$/,
    );
    expect(faulty.calls()).toHaveLength(3);
  });
});

describe('cloudStorageRecordStore errors', () => {
  it('rejects a record object that is not a request record, without quoting it', async () => {
    // Prepare: something else wrote the object.
    const prefix = `t-${Math.random()}/`;
    await fetch(
      `${sim.endpoint}/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=${encodeURIComponent(`${prefix}k.json`)}`,
      { method: 'POST', headers: { 'content-type': 'text/plain' }, body: `not json ${CANARY}` },
    );
    const records = store({ prefix });

    // Act / Assess
    const error = await records.read('k').catch((caught: unknown) => caught as Error);
    expect(error).toMatchObject({ name: 'CloudStorageApiError', code: 'NotARequestRecord' });
    expect((error as Error).message).toMatch(
      /gs:\/\/certctl-ops-certctl-chat-requests\/t-.*\/k\.json is not a request record/,
    );
    expect((error as Error).message).not.toContain(CANARY);
  });

  it('names the operation and status of a refused write, never the record it carried', async () => {
    // Prepare: the function's service account may not create objects in this bucket.
    const records = store({ bucket: DENIED_BUCKET });

    // Act
    const error = await records
      .create('k', done({ note: CANARY }))
      .catch((caught: unknown) => caught as Error);

    // Assess: not retried (403 will not change).
    expect(error).toMatchObject({ name: 'CloudStorageApiError', status: 403, code: 'forbidden' });
    expect((error as Error).message).toMatch(
      /^Cloud Storage POST b\/certctl-ops-denied-chat-requests\/o\/t-[^/]+\/k\.json answered 403 forbidden$/,
    );
    expect(String((error as Error).stack)).not.toContain(CANARY);
  });

  it('signs every request with the credentials it is given', async () => {
    // Prepare
    const seen: (string | null)[] = [];
    const records = store({
      auth: { getRequestHeaders: async () => new Headers({ authorization: 'Bearer ya29.test-token' }) },
      fetch: async (input, init) => {
        seen.push(new Headers(init?.headers).get('authorization'));
        return fetch(input, init);
      },
    });

    // Act
    const version = (await records.create('k', claim())) ?? '';
    await records.read('k');
    await records.replace('k', done(null), version);
    await records.remove('k', version);

    // Assess
    expect(seen).toEqual(Array(4).fill('Bearer ya29.test-token'));
  });

  it("answers the factory's one CredentialsError, before any request, when no Google credentials are found", async () => {
    // Prepare: production records (no endpoint) whose credentials cannot be found, counted.
    let lookups = 0;
    const factory = new GcpClientFactory({
      auth: {
        getClient: async () => {
          lookups += 1;
          throw new Error('Could not load the default credentials');
        },
      },
    });
    const records = chatRecordsOf(factory, BUCKET);

    // Act / Assess
    await expect(records.read('k')).rejects.toBeInstanceOf(CredentialsError);
    await expect(records.create('k', claim())).rejects.toBeInstanceOf(CredentialsError);
    expect(lookups).toBe(1);
  });
});
