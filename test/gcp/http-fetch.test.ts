import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ScopeCalls } from '../../functions/core/scope-calls.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import type { CloudSqlApi } from '../../functions/gcp/cloud-sql.ts';
import { HttpFetchError, httpFetch } from '../../functions/gcp/http-fetch.ts';
import { googleErrorCode, googleErrorMessage } from '../../functions/gcp/wire.ts';
import { type Loopback, loopback } from './loopback.ts';

const PROJECT = 'certctl-prod';

const PAGE = {
  items: [
    { name: 'db-1', region: 'europe-west1', settings: { edition: 'ENTERPRISE_PLUS', tier: 'db-custom-2' } },
  ],
  nextPageToken: 'page-2',
};

/** The same page read with node-fetch (the whole clients) and with httpFetch (the read clients). */
async function bothWays(api: Loopback) {
  const factory = new GcpClientFactory({ endpoint: api.endpoint, readTimeoutMs: 1000 });
  const full: CloudSqlApi['instances'] = {
    list: async (request) => (await factory.instances()).list(request),
    getLatestRecoveryTime: async (request) => (await factory.instances()).getLatestRecoveryTime(request),
  };
  const settle = async (read: () => Promise<unknown>) => {
    try {
      return { page: await read() };
    } catch (error) {
      return { code: googleErrorCode(error), message: googleErrorMessage(error) };
    }
  };
  try {
    const viaNodeFetch = await settle(async () => (await full.list({ project: PROJECT }))[0]);
    const viaHttpFetch = await settle(
      async () => (await factory.cloudSql().instances.list({ project: PROJECT }))[0],
    );
    return { viaNodeFetch, viaHttpFetch };
  } finally {
    await factory.close();
  }
}

describe('httpFetch under the read clients', () => {
  let api: Loopback | undefined;

  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('reads a gzip-compressed answer as node-fetch does, asking for compression as node-fetch does', async () => {
    // Prepare
    api = await loopback((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      response.end(gzipSync(JSON.stringify(PAGE)));
    });

    // Act
    const { viaNodeFetch, viaHttpFetch } = await bothWays(api);

    // Assess
    expect(viaHttpFetch).toEqual({ page: expect.objectContaining({ nextPageToken: 'page-2' }) });
    expect((viaHttpFetch.page as { items: { name: string }[] }).items[0]?.name).toBe('db-1');
    expect((viaNodeFetch.page as { items: { name: string }[] }).items[0]?.name).toBe('db-1');
    expect(api.requests.map((request) => request.headers['accept-encoding'])).toEqual([
      'gzip, deflate, br',
      'gzip, deflate, br',
    ]);
  });

  it('turns a 403 answer into the same GoogleError as node-fetch does (gaxios drains its body)', async () => {
    // Prepare
    api = await loopback((_request, response) => {
      response.writeHead(403, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          error: {
            code: 403,
            message: 'The client is not authorized to make this request.',
            status: 'PERMISSION_DENIED',
          },
        }),
      );
    });

    // Act
    const { viaNodeFetch, viaHttpFetch } = await bothWays(api);

    // Assess
    expect(viaHttpFetch).toEqual(viaNodeFetch);
    expect(viaHttpFetch).toEqual({
      code: 'PERMISSION_DENIED',
      message: 'The client is not authorized to make this request',
    });
  });

  it('turns a 404 answer and a non-JSON 502 into the same errors as node-fetch does', async () => {
    for (const [status, body] of [
      [
        404,
        JSON.stringify({ error: { code: 404, message: 'The project does not exist.', status: 'NOT_FOUND' } }),
      ],
      [502, '<html><title>502 Bad Gateway</title></html>'],
    ] as const) {
      // Prepare
      api = await loopback((_request, response) => {
        response.writeHead(status, { 'content-type': status === 502 ? 'text/html' : 'application/json' });
        response.end(body);
      });

      // Act
      const { viaNodeFetch, viaHttpFetch } = await bothWays(api);
      await api.close();
      api = undefined;

      // Assess
      expect(viaHttpFetch).toEqual(viaNodeFetch);
      expect(viaHttpFetch).toHaveProperty('code', status === 404 ? 'NOT_FOUND' : 'INTERNAL');
    }
  });

  it('follows a redirect of a GET as node-fetch does', async () => {
    // Prepare
    api = await loopback((request, response) => {
      if (!request.url?.startsWith('/moved')) {
        response.writeHead(307, { location: `/moved${request.url}` });
        response.end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(PAGE));
    });

    // Act
    const { viaNodeFetch, viaHttpFetch } = await bothWays(api);

    // Assess
    expect((viaHttpFetch.page as { nextPageToken: string }).nextPageToken).toBe('page-2');
    expect((viaNodeFetch.page as { nextPageToken: string }).nextPageToken).toBe('page-2');
    expect(api.requests.filter((request) => request.url?.startsWith('/moved'))).toHaveLength(2);
  });
});

describe('httpFetch', () => {
  it('rejects a refused connection in node-fetch’s words, with the socket error’s code', async () => {
    // Prepare
    const api = await loopback(() => undefined);
    await api.close();

    // Act
    const fetching = httpFetch(`${api.endpoint}/v1/projects/${PROJECT}/instances`);

    // Assess
    await expect(fetching).rejects.toBeInstanceOf(HttpFetchError);
    await expect(fetching).rejects.toMatchObject({
      code: 'ECONNREFUSED',
      message: expect.stringMatching(
        new RegExp(
          `^request to ${api.endpoint}/v1/projects/${PROJECT}/instances failed, reason: connect ECONNREFUSED`,
        ),
      ),
    });
  });

  it('rejects with an AbortError when the signal aborts before the answer', async () => {
    // Prepare: the server takes the request and never answers.
    const api = await loopback(() => undefined);
    const controller = new AbortController();

    // Act
    const fetching = httpFetch(`${api.endpoint}/v1/projects/${PROJECT}/instances`, {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 20);

    // Assess
    await expect(fetching).rejects.toMatchObject({ name: 'AbortError' });
    await api.close();
  });

  it('rejects with an AbortError when the whole answer has not come within timeoutMs', async () => {
    // Prepare: the server takes the request and never answers.
    const api = await loopback(() => undefined);
    const started = performance.now();

    // Act
    const fetching = httpFetch(`${api.endpoint}/v1/projects/${PROJECT}/instances`, { timeoutMs: 50 });

    // Assess
    await expect(fetching).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    await api.close();
  });

  it('drops the credentials on a redirect to another host, and keeps them on one to the same host, as node-fetch does', async () => {
    // Prepare: the API answers 307 to another host (localhost, not 127.0.0.1) or to itself; the
    // other host records what it was sent. node-fetch 3 deletes authorization, www-authenticate,
    // cookie and cookie2 unless the new host is the old one (or its subdomain) over the same protocol.
    const elsewhere = await loopback((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
    const { port } = new URL(elsewhere.endpoint);
    const api = await loopback((request, response) => {
      if (request.url === '/same') {
        response.writeHead(307, { location: '/moved' });
      } else if (request.url === '/away') {
        response.writeHead(307, { location: `http://localhost:${port}/moved` });
      } else {
        response.writeHead(200, { 'content-type': 'application/json' });
      }
      response.end('{}');
    });
    const headers = { authorization: 'Bearer ya29.secret', cookie: 'session=1', 'x-goog-api-client': 'gax' };

    // Act
    await httpFetch(`${api.endpoint}/same`, { headers });
    await httpFetch(`${api.endpoint}/away`, { headers });
    await Promise.all([api.close(), elsewhere.close()]);

    // Assess: the same host got the token twice; the other host never did.
    expect(api.requests.map((request) => request.headers.authorization)).toEqual([
      'Bearer ya29.secret',
      'Bearer ya29.secret',
      'Bearer ya29.secret',
    ]);
    expect(elsewhere.requests).toHaveLength(1);
    expect(elsewhere.requests[0]?.headers).not.toHaveProperty('authorization');
    expect(elsewhere.requests[0]?.headers).not.toHaveProperty('cookie');
    expect(elsewhere.requests[0]?.headers['x-goog-api-client']).toBe('gax');
  });

  it('hands gaxios the answer whole: status, headers, and the body as bytes, text and an iterable', async () => {
    // Prepare
    const api = await loopback((request, response) => {
      response.writeHead(201, {
        'content-type': 'application/json',
        'x-echo': request.headers['x-test'] ?? '',
      });
      response.end('{"a":1}');
    });

    // Act
    const response = await httpFetch(`${api.endpoint}/x`, {
      method: 'POST',
      headers: new Headers({ 'x-test': 'sent' }),
      body: '{}',
    });
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(chunk);
    await api.close();

    // Assess
    expect(response).toMatchObject({ status: 201, ok: true, redirected: false });
    expect(response.headers.get('x-echo')).toBe('sent');
    expect(await response.text()).toBe('{"a":1}');
    expect(new TextDecoder().decode(await response.arrayBuffer())).toBe('{"a":1}');
    expect(Buffer.concat(chunks).toString()).toBe('{"a":1}');
  });
});

describe('httpFetch inside an audit scope', () => {
  let api: Loopback | undefined;

  afterEach(async () => {
    vi.restoreAllMocks();
    await api?.close();
    api = undefined;
  });

  it('stops a request in flight when its scope fails, and sends none after', async () => {
    // Prepare: an API that never answers.
    api = await loopback(() => undefined);
    const url = `${api.endpoint}/v1/projects/${PROJECT}/instances`;
    const calls = new ScopeCalls();
    const fetching = calls.run(() => httpFetch(url));
    fetching.catch(() => undefined);
    await vi.waitFor(() => expect(api?.requests).toHaveLength(1));

    // Act
    await calls.abort();
    const after = calls.run(() => httpFetch(url));

    // Assess
    // Before, the request went on waiting for its answer after the scope had failed.
    const outcome = await Promise.race([
      fetching.then(
        () => 'answered',
        (error: Error) => error.name,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still running'), 500)),
    ]);
    expect(outcome).toBe('AbortError');
    await expect(after).rejects.toMatchObject({ name: 'AbortError' });
    expect(api.requests).toHaveLength(1);
  });
  // Every read of the PITR audit (instances.list, getLatestRecoveryTime, backupRuns.list) goes
  // through the read view clients, whose requests leave through httpFetch; the whole-answer clients
  // (node-fetch: backupRuns(), operations()) serve only the snapshot action, outside any scope.
  it.each([false, true])(
    'sends none of the PITR audit’s reads of a failed scope (leanDecoding %s)',
    async (leanDecoding) => {
      // Prepare
      api = await loopback(() => undefined);
      const factory = new GcpClientFactory({ endpoint: api.endpoint, readTimeoutMs: 5000, leanDecoding });
      const calls = new ScopeCalls();
      await calls.abort();
      const cloudSql = factory.cloudSql();
      const started = Date.now();

      // Act
      const reads = [
        calls.run(() => cloudSql.instances.list({ project: PROJECT })),
        calls.run(() => cloudSql.instances.getLatestRecoveryTime({ project: PROJECT, instance: 'db-1' })),
        calls.run(() => cloudSql.backupRuns.list({ project: PROJECT, instance: 'db-1' })),
      ];
      const outcomes = await Promise.allSettled(reads);
      const took = Date.now() - started;
      await factory.close();

      // Assess
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(api.requests).toHaveLength(0);
      // Before, gax took the refusal for a lost connection (UNAVAILABLE) and asked again, each
      // attempt refused, until the read timeout: timers of a failed scope running on after it.
      expect(took).toBeLessThan(1000);
    },
  );
  it('ends a gax read in flight when its scope fails, asking nothing again', async () => {
    // Prepare: an API that never answers, and gax's path (no lean read).
    api = await loopback(() => undefined);
    const factory = new GcpClientFactory({
      endpoint: api.endpoint,
      readTimeoutMs: 5000,
      leanDecoding: false,
    });
    const calls = new ScopeCalls();
    const reading = calls.run(() =>
      factory.cloudSql().instances.getLatestRecoveryTime({ project: PROJECT, instance: 'db-1' }),
    );
    const settled = reading.then(
      () => 'answered',
      () => 'rejected',
    );
    await vi.waitFor(() => expect(api?.requests).toHaveLength(1));
    const started = Date.now();

    // Act
    await calls.abort();
    const outcome = await settled;
    const took = Date.now() - started;
    await factory.close();

    // Assess
    // Before, the aborted request read as a lost connection (UNAVAILABLE): gax asked again, each
    // attempt refused, until the read timeout.
    expect(outcome).toBe('rejected');
    expect(took).toBeLessThan(1000);
    expect(api.requests).toHaveLength(1);
  });
  it.each([false, true])(
    'ends a gax read waiting to retry when its scope fails, as the abort returns (leanDecoding %s)',
    async (leanDecoding) => {
      // Prepare: an API that throttles every attempt (RESOURCE_EXHAUSTED, which the read policy
      // retries), and gax's waits before the next attempt fixed near their longest (Math.random()
      // times 200, 400, 800 ms, …: google-gax normalCalls/retries.js).
      vi.spyOn(Math, 'random').mockReturnValue(0.99);
      api = await loopback((_request, response) => {
        response
          .writeHead(429, { 'content-type': 'application/json' })
          .end(
            JSON.stringify({ error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED' } }),
          );
      });
      const factory = new GcpClientFactory({ endpoint: api.endpoint, readTimeoutMs: 10_000, leanDecoding });
      const calls = new ScopeCalls();
      let settledAt: number | undefined;
      const reading = calls.run(() =>
        factory.cloudSql().instances.getLatestRecoveryTime({ project: PROJECT, instance: 'db-1' }),
      );
      const settled = reading.then(
        () => {
          settledAt = performance.now();
          return 'answered';
        },
        () => {
          settledAt = performance.now();
          return 'rejected';
        },
      );
      // The third attempt answered: gax waits about 790 ms before the fourth.
      await vi.waitFor(() => expect(api?.requests).toHaveLength(3), { timeout: 5_000 });
      await new Promise((resolve) => setTimeout(resolve, 100));

      // Act
      const started = performance.now();
      await calls.abort();
      const abortReturned = performance.now();
      const outcome = await settled;
      await factory.close();

      // Assess
      // Before, the abort returned at once with the read still in gax's wait, which ran its course
      // (about 700 ms more) before the read ended, its next attempt refused unsent.
      // (The abort waits for gax's call; the read's own promise settles a few ticks after it.)
      expect(outcome).toBe('rejected');
      expect(settledAt).toBeDefined();
      expect((settledAt as number) - abortReturned).toBeLessThan(50);
      expect(abortReturned - started).toBeLessThan(300);
      expect(api.requests).toHaveLength(3);
    },
  );
});
