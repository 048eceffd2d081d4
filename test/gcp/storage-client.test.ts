/**
 * The Cloud Storage clients of functions/gcp/storage-client.ts: their requests sent as calls of the
 * audit scope (core/scope-calls.ts), the library's retries done there as the library did them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ScopeCalls } from '../../functions/core/scope-calls.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import { withCloudStorage } from '../../functions/gcp/storage-client.ts';

const BUCKET = { kind: 'storage#bucket', name: 'dumps', id: 'dumps', location: 'EU' };

/** A JSON API stand-in answering buckets.get of `dumps`, counting the requests it receives. */
async function bucketServer(
  port = 0,
): Promise<{ server: http.Server; port: number; requests: () => number }> {
  let requests = 0;
  const server = http.createServer((request, response) => {
    requests += 1;
    request.resume();
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify(BUCKET));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, requests: () => requests };
}

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('withCloudStorage', () => {
  // The library's retry-request retries a request that got no answer whatever its error (up to
  // `noResponseRetries`, which the library sets to `maxRetries`), not only those retryableErrorFn names.
  it('asks again a call whose first attempt got no answer (connection refused), as the library does', async () => {
    // Prepare: a port nothing listens on until after the first attempt.
    const probe = await bucketServer();
    const { port } = probe;
    await new Promise((resolve) => probe.server.close(resolve));
    const clients = withCloudStorage(new GcpClientFactory({ endpoint: `http://127.0.0.1:${port}` }));
    const storage = await clients.storage();
    let later: Awaited<ReturnType<typeof bucketServer>> | undefined;
    const starting = new Promise<void>((resolve) =>
      setTimeout(async () => {
        later = await bucketServer(port);
        servers.push(later.server);
        resolve();
      }, 300),
    );

    // Act
    const [metadata] = await storage.bucket('dumps').getMetadata();
    await starting;

    // Assess
    expect(metadata.location).toBe('EU');
    expect(later?.requests()).toBe(1);
    await clients.close();
  });

  it('waits before each retry as its retryDelayMultiplier says: the library’s 2, unless given', async () => {
    // Prepare: buckets.get throttled twice, then answered. With the library's multiplier the two
    // waits are 2 s and 4 s (plus up to 1 s of jitter each); with 0.001, only the jitter.
    let requests = 0;
    const server = http.createServer((request, response) => {
      requests += 1;
      request.resume();
      const throttled = requests <= 2;
      response.writeHead(throttled ? 429 : 200, { 'content-type': 'application/json; charset=utf-8' });
      response.end(
        JSON.stringify(throttled ? { error: { code: 429, message: 'rateLimitExceeded' } } : BUCKET),
      );
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const clients = withCloudStorage(new GcpClientFactory({ endpoint }), { retryDelayMultiplier: 0.001 });

    // Act
    const started = performance.now();
    const [metadata] = await (await clients.storage()).bucket('dumps').getMetadata();
    const elapsedMs = performance.now() - started;

    // Assess: asked again as often, sooner.
    expect(metadata.location).toBe('EU');
    expect(requests).toBe(3);
    expect(elapsedMs).toBeLessThan(4_000);
    const unscaled = withCloudStorage(new GcpClientFactory({ endpoint }));
    expect((await unscaled.storage()).retryOptions).toMatchObject({
      retryDelayMultiplier: 2,
      autoRetry: false,
    });
    await Promise.all([clients.close(), unscaled.close()]);
  });

  it('sends nothing of a scope that has failed, and refuses the call with the scope’s reason', async () => {
    // Prepare
    const stand = await bucketServer();
    servers.push(stand.server);
    const clients = withCloudStorage(new GcpClientFactory({ endpoint: `http://127.0.0.1:${stand.port}` }));
    const storage = await clients.storage();
    const scope = new ScopeCalls();
    await scope.abort();

    // Act
    const read = scope.run(() => storage.bucket('dumps').getMetadata());
    const ranged = scope.run(() => storage.bucket('dumps').file('a.dump').download({ start: 0, end: 9 }));

    // Assess
    await expect(read).rejects.toThrow(/scope this call reads has already failed/);
    await expect(ranged).rejects.toThrow(/scope this call reads has already failed/);
    expect(stand.requests()).toBe(0);
    await clients.close();
  });

  // The library gives no handle that cuts a request in flight (functions/gcp/storage-client.ts
  // asScopeCalls says why): the call ends at once, its answer ignored, and nothing more is asked.
  it('ends a call whose answer is still on its way when its scope fails, and asks nothing again', async () => {
    // Prepare: an API that never answers.
    let requests = 0;
    const silent = http.createServer((request) => {
      requests += 1;
      request.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const clients = withCloudStorage(new GcpClientFactory({ endpoint: `http://127.0.0.1:${port}` }));
    const storage = await clients.storage();
    const scope = new ScopeCalls();
    const read = scope.run(() => storage.bucket('dumps').getMetadata());
    read.catch(() => undefined);
    await vi.waitFor(() => expect(requests).toBe(1));

    // Act
    const started = performance.now();
    await scope.abort();

    // Assess
    await expect(read).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(500);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(requests).toBe(1);
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
    await clients.close();
  });
});
