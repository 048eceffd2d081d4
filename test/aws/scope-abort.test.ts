import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { ScopeCalls } from '../../functions/core/scope-calls.ts';

/**
 * A failed scope's AWS calls stop at once (functions/core/scope-calls.ts, functions/aws/clients.ts
 * withScopeCalls): the request in flight is cut, and a retry's wait is cut short, so the scope's
 * abort does not wait out an answer or a backoff. The integration tests
 * (test/integration/audit-throttling.test.ts) show nothing is sent after the run returns; these show
 * how soon it returns.
 */
describe('an AWS call of a scope that fails', () => {
  let server: Server | undefined;
  let factory: AwsClientFactory | undefined;

  afterEach(async () => {
    vi.restoreAllMocks();
    factory?.destroy();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  /** A server that answers each request with `answer` (or never, when it returns false); counts them. */
  async function serve(answer: (respond: (status: number, body: string) => void) => boolean | undefined) {
    const seen = { requests: 0 };
    server = createServer((request, response) => {
      seen.requests += 1;
      request.resume();
      answer((status, body) => {
        response.writeHead(status, { 'content-type': 'text/xml' }).end(body);
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    factory = new AwsClientFactory({
      maxAttempts: 3,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      endpoint: `http://127.0.0.1:${port}`,
    });
    return seen;
  }

  /** Starts GetCallerIdentity inside a scope, aborts the scope after `afterMs`; how it ended and when. */
  async function abortAfter(afterMs: number) {
    const scope = new ScopeCalls();
    const sts = factory?.client(STSClient, 'eu-west-1') as STSClient;
    const started = performance.now();
    const call = scope
      .run(() => sts.send(new GetCallerIdentityCommand({})))
      .then(
        () => 'answered',
        (error: Error) => error.name,
      );
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    await scope.abort();
    return { ended: await call, abortedAfterMs: performance.now() - started };
  }

  it('cuts the request in flight', async () => {
    // Prepare: a server that never answers.
    const seen = await serve(() => undefined);

    // Act
    const { ended, abortedAfterMs } = await abortAfter(200);

    // Assess: not waited out (the server never answers; before, the test timed out).
    expect(ended).toBe('AbortError');
    expect(abortedAfterMs).toBeLessThan(5_000);
    expect(seen.requests).toBe(1);
  }, 15_000);

  it('cuts the wait before a retry short and sends no retry', async () => {
    // Prepare: every request throttled at once; the SDK waits before asking again.
    const throttled =
      '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>';
    const seen = await serve((respond) => {
      respond(400, throttled);
      return true;
    });

    // The SDK's wait before retrying a throttled call is random (full jitter up to 2 x 500 ms for the
    // first retry, @smithy/util-retry): fixed near its longest.
    vi.spyOn(Math, 'random').mockReturnValue(0.99);

    // Act: aborted while the first retry waits.
    const { ended, abortedAfterMs } = await abortAfter(100);
    const requestsAtAbort = seen.requests;
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    // Assess: the ~990 ms wait was not waited out, and no retry was sent, then or later.
    expect(ended).toBe('AbortError');
    expect(abortedAfterMs).toBeLessThan(600);
    expect(requestsAtAbort).toBe(1);
    expect(seen.requests).toBe(1);
  }, 15_000);
});
