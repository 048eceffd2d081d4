import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { getCallerIdentity } from '../../functions/aws/sts-wire.ts';
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
  async function serve(
    answer: (respond: (status: number, body: string) => void) => boolean | undefined,
    maxAttempts = 3,
  ) {
    let arrived = () => {};
    const seen = {
      requests: 0,
      /** Resolves once the first request has arrived. */
      first: new Promise<void>((resolve) => {
        arrived = resolve;
      }),
    };
    server = createServer((request, response) => {
      seen.requests += 1;
      arrived();
      request.resume();
      answer((status, body) => {
        response.writeHead(status, { 'content-type': 'text/xml' }).end(body);
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    factory = new AwsClientFactory({
      maxAttempts,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      endpoint: `http://127.0.0.1:${port}`,
    });
    return seen;
  }

  /**
   * Starts GetCallerIdentity inside a scope and aborts the scope `afterMs` after its first request
   * has arrived (not after a fixed time from the start: on a loaded machine the request may not have
   * left by then); how it ended, and how long after the abort began.
   */
  async function abortAfter(seen: { readonly first: Promise<void> }, afterMs: number) {
    const scope = new ScopeCalls();
    const sts = factory?.client(STSClient, 'eu-west-1') as STSClient;
    const call = scope
      .run(() => sts.send(new GetCallerIdentityCommand({})))
      .then(
        () => 'answered',
        (error: Error) => error.name,
      );
    await seen.first;
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    const aborting = performance.now();
    await scope.abort();
    return { ended: await call, abortedAfterMs: performance.now() - aborting };
  }

  const THROTTLED =
    '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>';

  it('cuts the request in flight', async () => {
    // Prepare: a server that never answers.
    const seen = await serve(() => undefined);

    // Act
    const { ended, abortedAfterMs } = await abortAfter(seen, 0);

    // Assess: not waited out (the server never answers; before, the test timed out).
    expect(ended).toBe('AbortError');
    expect(abortedAfterMs).toBeLessThan(5_000);
    expect(seen.requests).toBe(1);
  }, 15_000);

  it('cuts the wait before a retry short and sends no retry', async () => {
    // Prepare: every request throttled at once; the SDK waits before asking again.
    const seen = await serve((respond) => {
      respond(400, THROTTLED);
      return true;
    });

    // The SDK's wait before retrying a throttled call is random (full jitter up to 2 x 500 ms for the
    // first retry, @smithy/util-retry): fixed near its longest.
    vi.spyOn(Math, 'random').mockReturnValue(0.99);

    // Act: aborted while the first retry waits.
    const { ended, abortedAfterMs } = await abortAfter(seen, 100);
    const requestsAtAbort = seen.requests;
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    // Assess: the ~990 ms wait was not waited out, and no retry was sent, then or later.
    expect(ended).toBe('AbortError');
    expect(abortedAfterMs).toBeLessThan(500);
    expect(requestsAtAbort).toBe(1);
    expect(seen.requests).toBe(1);
  }, 15_000);

  it('cuts a lean call’s wait for a send token of the client’s rate limiter short and sends nothing', async () => {
    // Prepare: the first request throttled, which turns on the adaptive retry mode's client-side
    // rate limiter (one attempt per call, so the throttled call ends there: nothing waits yet); its
    // bucket is empty and refills at 0.5 to about 1.1 tokens a second (@smithy/core's
    // DefaultRateLimiter, from the rate it measured), so the next call waits 0.9 to 2 s to send.
    const identity =
      '<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/u</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>';
    const seen = await serve((respond) => {
      respond(seen.requests === 1 ? 400 : 200, seen.requests === 1 ? THROTTLED : identity);
      return true;
    }, 1);
    const sts = factory?.client(STSClient, 'eu-west-1') as STSClient;
    await expect(getCallerIdentity(sts)).rejects.toThrow('Rate exceeded');

    // Act: the lean call (functions/aws/lean-wire.ts) of a scope aborted while it waits for its token.
    const scope = new ScopeCalls();
    let aborting = Number.NaN;
    const call = scope
      .run(() => getCallerIdentity(sts))
      .then(
        () => ({ ended: 'answered', afterMs: performance.now() - aborting }),
        (error: Error) => ({ ended: error.name, afterMs: performance.now() - aborting }),
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
    aborting = performance.now();
    await scope.abort();
    const { ended, afterMs } = await call;
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    // Assess: before, the call sat out its wait after the scope had failed (the run had returned),
    // then was refused by the request handler.
    expect(ended).toBe('AbortError');
    expect(afterMs).toBeLessThan(400);
    expect(seen.requests).toBe(1);
  }, 15_000);
});
