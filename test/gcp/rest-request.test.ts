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

/** The error `request` fails with; a request answered fails the test. */
function failureOf(request: Promise<unknown>): Promise<GcpApiError> {
  return request.then(
    () => {
      throw new Error('the request was answered, not refused');
    },
    (caught: unknown) => caught as GcpApiError,
  );
}

describe('GcpRestClient errors when the retries run out', () => {
  it('names how many attempts were made and over how long when it made as many as it may', async () => {
    // Prepare
    const { fetch: fetcher, calls } = answering([
      [429, 'RESOURCE_EXHAUSTED'],
      [429, 'RESOURCE_EXHAUSTED'],
      [429, 'RESOURCE_EXHAUSTED'],
    ]);
    const rest = new GcpRestClient({
      fetch: fetcher,
      retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 1 },
    });

    // Act
    const error = await failureOf(rest.request({ what: 'Cloud KMS GET k', url: URL }));

    // Assess: before, "after 3 attempts" said neither how long they took nor why they stopped.
    expect(calls).toHaveLength(3);
    expect(error).toMatchObject({ name: 'GcpApiError', status: 429, code: 'RESOURCE_EXHAUSTED' });
    expect(error.message).toMatch(
      /^Cloud KMS GET k answered 429 RESOURCE_EXHAUSTED after 3 attempts over \d+\.\d s \(as many as a call makes\): m$/,
    );
  });

  it('names the one attempt made when no time was left to ask again', async () => {
    // Prepare: the first wait (about 1 s) does not fit in the 50 ms a call may take.
    const { fetch: fetcher, calls } = answering([[503, 'UNAVAILABLE']]);
    const rest = new GcpRestClient({
      fetch: fetcher,
      retry: { initialDelayMs: 1_000, maxDelayMs: 1_000, totalTimeoutMs: 50 },
    });
    vi.spyOn(Math, 'random').mockReturnValue(0.99);

    // Act
    const error = await failureOf(rest.request({ what: 'Secret Manager GET s', url: URL }));
    vi.restoreAllMocks();

    // Assess: before, the first attempt's error was thrown as it was, with no count at all.
    expect(calls).toHaveLength(1);
    expect(error).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    expect(error.message).toMatch(
      /^Secret Manager GET s answered 503 UNAVAILABLE after 1 attempt over \d+\.\d s \(no time was left for another in the 0\.05 s a call may take\)/,
    );
  });

  it('names the attempts and the time of a request that never got an answer', async () => {
    // Prepare
    let calls = 0;
    const refused = (async () => {
      calls += 1;
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    const rest = new GcpRestClient({
      fetch: refused,
      retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 },
    });

    // Act
    const error = await failureOf(rest.request({ what: 'Cloud KMS GET k', url: URL }));

    // Assess
    expect(calls).toBe(2);
    expect(error.message).toMatch(
      /^Cloud KMS GET k got no answer after 2 attempts over \d+\.\d s \(as many as a call makes\): fetch failed$/,
    );
  });
});

/** A fetch answering every request with `status` and `body`. */
function answeringWith(status: number, body: string): typeof fetch {
  return (async () => new Response(body, { status })) as typeof fetch;
}

const SECRETS = [
  'ya29.a0AfH6SMB-canary-token',
  'canary-bearer-9f2e',
  'canary-signature-77aa',
  'canary-credential-31bd',
  'canary-query-5c0e',
];
const SAYING_SECRETS =
  'Request had invalid authentication credentials (token ya29.a0AfH6SMB-canary-token, header Bearer canary-bearer-9f2e); ' +
  'see https://storage.googleapis.com/b/o?X-Goog-Signature=canary-signature-77aa&alt=media ' +
  'X-Goog-Credential=canary-credential-31bd and https://example.test/page?key=canary-query-5c0e';

describe('GcpRestClient errors quoting what Google said', () => {
  it("quotes Google's own message of a JSON error, without a token, signature or URL query it holds", async () => {
    // Prepare
    const body = JSON.stringify({
      error: { code: 400, message: SAYING_SECRETS, status: 'INVALID_ARGUMENT' },
    });
    const rest = new GcpRestClient({ fetch: answeringWith(400, body) });

    // Act
    const error = await failureOf(rest.request({ what: 'Resource Manager GET projects/p', url: URL }));

    // Assess: before, Google's message was never quoted; now it is, its secrets left out.
    expect(error.message).toMatch(
      /^Resource Manager GET projects\/p answered 400 INVALID_ARGUMENT: Request had invalid authentication credentials/,
    );
    expect(error.message).toContain('Bearer (token left out)');
    expect(error.message).toContain('https://storage.googleapis.com/b/o?(query left out)');
    for (const secret of SECRETS) expect(error.message).not.toContain(secret);
  });

  it('quotes a body that is not JSON on one line, its first 300 characters at most, without secrets', async () => {
    // Prepare: a proxy's page, long and over many lines.
    const page = `<html>\n<body>\n  502 Bad Gateway\n\n ${SAYING_SECRETS}\n${'x'.repeat(2_000)}\n</body></html>`;
    const rest = new GcpRestClient({ fetch: answeringWith(404, page) });

    // Act
    const error = await failureOf(rest.request({ what: 'Cloud KMS GET k', url: URL }));

    // Assess
    const quoted = error.message.slice('Cloud KMS GET k answered 404 HTTP_404: '.length);
    expect(
      error.message.startsWith(
        'Cloud KMS GET k answered 404 HTTP_404: <html> <body> 502 Bad Gateway Request had',
      ),
    ).toBe(true);
    expect(quoted.length).toBeLessThanOrEqual(300);
    expect(quoted.endsWith('…')).toBe(true);
    expect(error.message).not.toMatch(/\n/);
    for (const secret of SECRETS) expect(error.message).not.toContain(secret);
  });

  it('quotes nothing Google said of a request that sent a body, which its message may repeat', async () => {
    // Prepare: Google's INVALID_ARGUMENT messages may quote a value of the request.
    const body = JSON.stringify({
      error: {
        code: 400,
        message: 'Invalid value at data, "canary-body-value-0d9a"',
        status: 'INVALID_ARGUMENT',
      },
    });
    const rest = new GcpRestClient({ fetch: answeringWith(400, body) });

    // Act
    const error = await failureOf(
      rest.request({
        what: 'Pub/Sub POST t:publish',
        url: URL,
        method: 'POST',
        body: '{"data":"canary-body-value-0d9a"}',
      }),
    );

    // Assess
    expect(error.message).toBe('Pub/Sub POST t:publish answered 400 INVALID_ARGUMENT');
  });
});
