import { createServer } from 'node:net';
import { PassThroughClient } from 'google-auth-library';
import { afterEach, describe, expect, it } from 'vitest';
import { HandOffError, publicMessage } from '../../functions/chatops/errors.ts';
import type { ChatWork } from '../../functions/chatops/work.ts';
import { pubsubDispatcher } from '../../functions/gcp/chat-dispatch.ts';
import { type Loopback, loopback } from './loopback.ts';

const TOPIC = 'projects/certctl-prod/topics/backup-guard-chat';

const WORK: ChatWork = {
  command: { name: 'readiness', targets: [] },
  requestedBy: 'slack:T1/U1',
  replyTo: { kind: 'slack', responseUrl: 'https://hooks.slack.com/commands/T1/1/x' },
  requestKey: 'k1',
  acceptedAt: '2026-12-06T15:00:00.000Z',
};

let api: Loopback | undefined;

afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** A Pub/Sub API on loopback that answers each publish as `answer` says. */
async function pubsubApi(answer: Parameters<typeof loopback>[0]): Promise<Loopback> {
  api = await loopback((request, response) => {
    request.resume();
    request.on('end', () => answer(request, response));
  });
  return api;
}

const requester = async () => new PassThroughClient();

/** A loopback port nothing listens on: a connection to it is refused before any byte is sent. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('the hand-off did not fail');
}

describe('pubsubDispatcher', () => {
  it('hands the work off when Pub/Sub accepts the message', async () => {
    // Prepare
    const { endpoint, requests } = await pubsubApi((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ messageIds: ['1'] }));
    });

    // Act
    await pubsubDispatcher(requester, TOPIC, endpoint, { deadlineMs: 1000 })(WORK);

    // Assess
    expect(requests.map((request) => request.url)).toEqual([`/v1/${TOPIC}:publish`]);
  });

  it('gives up by its deadline and says the outcome is unknown when Pub/Sub is slow', async () => {
    // Prepare: a publish that would be accepted after 3 seconds, past Slack's window.
    const { endpoint } = await pubsubApi((_, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ messageIds: ['1'] }));
      }, 3000).unref();
    });
    const started = Date.now();

    // Act
    const error = await failureOf(pubsubDispatcher(requester, TOPIC, endpoint, { deadlineMs: 400 })(WORK));

    // Assess: answered in time, never claiming the work started nor that it did not.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).toBeInstanceOf(HandOffError);
    expect((error as HandOffError).outcome).toBe('unknown');
    const shown = publicMessage(error);
    expect(shown).toContain('may or may not run');
    expect(shown).not.toMatch(/\bstarted\b|is being|will post/i);
  });

  it('says the command did not start when Pub/Sub refuses the publish', async () => {
    // Prepare
    const { endpoint } = await pubsubApi((_, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 403, status: 'PERMISSION_DENIED', message: 'refused' } }));
    });

    // Act
    const error = await failureOf(pubsubDispatcher(requester, TOPIC, endpoint, { deadlineMs: 1000 })(WORK));

    // Assess
    expect((error as HandOffError).outcome).toBe('not-started');
    expect(publicMessage(error)).toContain('did not start');
  });

  it('hands the work off when Pub/Sub answers 503 and then accepts the retried publish', async () => {
    // Prepare: a brief outage, then the publish is accepted.
    let answered = 0;
    const { endpoint, requests } = await pubsubApi((_, res) => {
      answered += 1;
      if (answered === 1) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 503, status: 'UNAVAILABLE', message: 'busy' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ messageIds: ['1'] }));
    });

    // Act
    await pubsubDispatcher(requester, TOPIC, endpoint, { deadlineMs: 1000 })(WORK);

    // Assess
    expect(requests.length).toBe(2);
  });

  it('says the command did not start, within the deadline, when Pub/Sub throttles every attempt', async () => {
    // Prepare
    const { endpoint, requests } = await pubsubApi((_, res) => {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'slow down' } }));
    });

    // Act
    const error = await failureOf(pubsubDispatcher(requester, TOPIC, endpoint, { deadlineMs: 1000 })(WORK));

    // Assess: retried, and every attempt was refused. (No wall-clock bound here: handOffWithin's
    // race keeps the deadline, which the slow-answer test proves without depending on the load.)
    expect(requests.length).toBeGreaterThan(1);
    expect((error as HandOffError).outcome).toBe('not-started');
    expect(publicMessage(error)).toContain('did not start');
  });

  it('says the outcome is unknown when a 503 that may have published is followed by a refusal', async () => {
    // Prepare
    let answered = 0;
    const { endpoint, requests } = await pubsubApi((_, res) => {
      answered += 1;
      const [status, code] = answered === 1 ? [503, 'UNAVAILABLE'] : [403, 'PERMISSION_DENIED'];
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: status, status: code, message: 'no' } }));
    });

    // Act
    const error = await failureOf(pubsubDispatcher(requester, TOPIC, endpoint, { deadlineMs: 1000 })(WORK));

    // Assess: the last answer is a refusal, but the first attempt may have published.
    expect(requests.length).toBe(2);
    expect((error as HandOffError).outcome).toBe('unknown');
    expect(publicMessage(error)).toContain('may or may not run');
  });

  it('says the command did not start when the connection is refused, nothing having been sent', async () => {
    // Act
    const error = await failureOf(
      pubsubDispatcher(requester, TOPIC, await closedPort(), { deadlineMs: 1000 })(WORK),
    );

    // Assess
    expect((error as HandOffError).outcome).toBe('not-started');
    expect(publicMessage(error)).toContain('did not start');
  });

  it('hands the work off when the connection drops once and the retried publish is accepted', async () => {
    // Prepare: the first publish is read and its connection dropped before any answer.
    const bodies: string[] = [];
    api = await loopback((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      request.on('end', () => {
        bodies.push(body);
        if (bodies.length === 1) {
          response.socket?.destroy();
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ messageIds: ['1'] }));
      });
    });

    // Act
    await pubsubDispatcher(requester, TOPIC, api.endpoint, { deadlineMs: 1000 })(WORK);

    // Assess: published again with the same bytes, which the action function runs once (a repeat
    // of the same work is answered as one: test/handlers/gcp/chat.test.ts).
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toBe(bodies[0]);
  });

  it('says the outcome is unknown when the connection drops after the publish was sent', async () => {
    // Prepare
    const { endpoint, requests } = await pubsubApi((_, res) => res.socket?.destroy());

    // Act
    const error = await failureOf(pubsubDispatcher(requester, TOPIC, endpoint, { deadlineMs: 1000 })(WORK));

    // Assess: retried within the deadline, and every attempt may have published.
    expect(requests.length).toBeGreaterThan(1);
    expect((error as HandOffError).outcome).toBe('unknown');
    expect(publicMessage(error)).toContain('may or may not run');
  });

  it('says the command did not start, and publishes nothing later, when credentials take past the deadline', async () => {
    // Prepare: the token arrives after the deadline; the publish must not follow it.
    const { endpoint, requests } = await pubsubApi((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ messageIds: ['1'] }));
    });
    const slowRequester = () =>
      new Promise<PassThroughClient>((resolve) => setTimeout(() => resolve(new PassThroughClient()), 600));

    // Act
    const error = await failureOf(
      pubsubDispatcher(slowRequester, TOPIC, endpoint, { deadlineMs: 300 })(WORK),
    );
    await new Promise((resolve) => setTimeout(resolve, 600));

    // Assess
    expect((error as HandOffError).outcome).toBe('not-started');
    expect(requests).toEqual([]);
  });
});
