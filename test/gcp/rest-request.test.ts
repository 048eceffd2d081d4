/**
 * Which answers the Google REST client retries (functions/gcp/rest-request.ts): throttling and
 * server errors are asked again; ABORTED (409) is not, not even for a GET, as AIP-194 and Google's
 * own client configs say (the comment at RETRIED_STATUSES).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ScopeCalls } from '../../functions/core/scope-calls.ts';
import { GcpApiError, GcpRestClient } from '../../functions/gcp/rest-request.ts';

const URL = 'http://127.0.0.1:9/v1/projects/certctl-prod/secrets/certctl-ca-backup';

/** A fetch answering `failures` (a google.rpc.Status each) first, then the secret; and its calls. */
function answering(failures: readonly [status: number, code: string][]): {
  fetch: typeof fetch;
  calls: { method: string }[];
} {
  const calls: { method: string }[] = [];
  const fetcher = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    calls.push({ method: init?.method ?? 'GET' });
    const failure = failures[calls.length - 1];
    if (failure) {
      const [status, code] = failure;
      return new Response(JSON.stringify({ error: { code: status, message: 'm', status: code } }), {
        status,
      });
    }
    return new Response(JSON.stringify({ name: 'projects/1/secrets/certctl-ca-backup' }), { status: 200 });
  };
  return { fetch: fetcher as typeof fetch, calls };
}

/** A fetch that never answers: it rejects, as the global fetch does, once its signal is aborted. */
function hanging(): { fetch: typeof fetch; calls: { signal: AbortSignal | undefined }[] } {
  const calls: { signal: AbortSignal | undefined }[] = [];
  const fetcher = (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const signal = init?.signal ?? undefined;
    calls.push({ signal });
    return new Promise((_resolve, reject) => {
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  };
  return { fetch: fetcher as typeof fetch, calls };
}

const client = (fetcher: typeof fetch): GcpRestClient =>
  new GcpRestClient({ fetch: fetcher, retry: { initialDelayMs: 1, maxDelayMs: 1 } });

describe('GcpRestClient retries', () => {
  it.each([
    [429, 'RESOURCE_EXHAUSTED'],
    [503, 'UNAVAILABLE'],
  ] as const)('asks a GET again when it is answered %i %s once', async (status, code) => {
    // Prepare
    const { fetch: fetcher, calls } = answering([[status, code]]);

    // Act
    const answer = await client(fetcher).request({ what: 'Secret Manager GET', url: URL });

    // Assess
    expect(answer).toMatchObject({ status: 200, attempts: 2 });
    expect(calls).toHaveLength(2);
  });

  it.each(['GET', 'POST'] as const)(
    'does not ask a %s again when it is answered 409 ABORTED',
    async (method) => {
      // Prepare
      const { fetch: fetcher, calls } = answering([[409, 'ABORTED']]);

      // Act
      const request = client(fetcher).request({ what: `Secret Manager ${method}`, url: URL, method });

      // Assess: one attempt, its error Google's code (which core/errors.ts counts as passing).
      await expect(request).rejects.toBeInstanceOf(GcpApiError);
      await expect(request).rejects.toMatchObject({ status: 409, code: 'ABORTED' });
      expect(calls).toEqual([{ method }]);
    },
  );
});

describe('GcpRestClient time bound', () => {
  it.each([
    ['outside', false],
    ['inside', true],
  ] as const)(
    'ends a request %s an audit scope that outlasts the time left with a TimeoutError, not asked again',
    async (_where, scoped) => {
      // Prepare
      const { fetch: fetcher, calls } = hanging();
      const rest = new GcpRestClient({ fetch: fetcher, retry: { initialDelayMs: 1, totalTimeoutMs: 100 } });
      const asking = () => rest.request({ what: 'Cloud KMS GET', url: URL });

      // Act
      const started = Date.now();
      const reading = scoped ? new ScopeCalls().run(asking) : asking();

      // Assess: the request's own time bound, worded as fetch's (functions/gcp/rest-request.ts isTimeout).
      await expect(reading).rejects.toMatchObject({
        name: 'TimeoutError',
        message: 'The operation was aborted due to timeout',
      });
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(calls).toHaveLength(1);
    },
  );
});

describe('GcpRestClient inside an audit scope', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('stops waiting to ask again, and asks nothing more, when its scope fails', async () => {
    // Prepare: a wait of 2.5 s before the second attempt.
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const { fetch: fetcher, calls } = answering([[503, 'UNAVAILABLE']]);
    const rest = new GcpRestClient({ fetch: fetcher, retry: { initialDelayMs: 5_000, maxDelayMs: 5_000 } });
    const scope = new ScopeCalls();
    const reading = scope.run(() => rest.request({ what: 'Cloud KMS GET', url: URL }));
    reading.catch(() => undefined);
    await vi.waitFor(() => expect(calls).toHaveLength(1));

    // Act
    const started = Date.now();
    await scope.abort();

    // Assess
    // Before, the wait ran its course and the request was asked again after the scope had failed.
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(calls).toHaveLength(1);
  });

  it('cuts the request in flight when its scope fails, and asks nothing more', async () => {
    // Prepare: a request that is never answered, within a time bound far off.
    const { fetch: fetcher, calls } = hanging();
    const rest = new GcpRestClient({ fetch: fetcher, retry: { initialDelayMs: 1 } });
    const scope = new ScopeCalls();
    const reading = scope.run(() => rest.request({ what: 'Cloud KMS GET', url: URL }));
    reading.catch(() => undefined);
    await vi.waitFor(() => expect(calls).toHaveLength(1));

    // Act
    const started = Date.now();
    await scope.abort();

    // Assess
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.signal?.aborted).toBe(true);
  });
});
