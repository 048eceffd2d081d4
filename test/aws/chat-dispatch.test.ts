import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { lambdaDispatcher } from '../../functions/aws/chat-dispatch.ts';
import { HandOffError, publicMessage } from '../../functions/chatops/errors.ts';
import type { ChatWork } from '../../functions/chatops/work.ts';

const WORK: ChatWork = {
  command: { name: 'readiness', targets: [] },
  requestedBy: 'slack:T1/U1',
  replyTo: { kind: 'slack', responseUrl: 'https://hooks.slack.com/commands/T1/1/x' },
  requestKey: 'k1',
  acceptedAt: '2026-12-06T15:00:00.000Z',
};

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A Lambda API on loopback that answers each Invoke as `answer` says, and counts the attempts. */
async function lambdaApi(answer: (res: ServerResponse, attempt: number) => void) {
  const seen = { attempts: 0 };
  server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      seen.attempts += 1;
      answer(res, seen.attempts);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new LambdaClient({
    region: 'eu-west-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' },
  });
  return { client, seen };
}

function refuse(res: ServerResponse, status: number, type: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
  res.end(JSON.stringify({ Type: 'User', message: 'refused' }));
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('the hand-off did not fail');
}

describe('lambdaDispatcher', () => {
  it('hands the work off when Lambda queues the event', async () => {
    // Prepare
    const { client, seen } = await lambdaApi((res) => {
      res.writeHead(202);
      res.end();
    });

    // Act
    await lambdaDispatcher(client, 'chat-action', { deadlineMs: 1000 })(WORK);

    // Assess
    expect(seen.attempts).toBe(1);
  });

  it('gives up by its deadline and says the outcome is unknown when the Lambda API is slow', async () => {
    // Prepare: an Invoke that would be answered (queued) after 3 seconds, past Slack's window.
    const { client } = await lambdaApi((res) => {
      setTimeout(() => {
        res.writeHead(202);
        res.end();
      }, 3000).unref();
    });
    const started = Date.now();

    // Act
    const error = await failureOf(lambdaDispatcher(client, 'chat-action', { deadlineMs: 400 })(WORK));

    // Assess: answered in time, never claiming the work started nor that it did not.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).toBeInstanceOf(HandOffError);
    expect((error as HandOffError).outcome).toBe('unknown');
    const shown = publicMessage(error);
    expect(shown).toContain('may or may not run');
    expect(shown).not.toMatch(/\bstarted\b|is being|will post/i);
  });

  it('says the command did not start when every attempt was refused', async () => {
    // Prepare: throttled on every attempt (the SDK retries 429, up to 3 attempts with backoff).
    const throttled = await lambdaApi((res) => refuse(res, 429, 'TooManyRequestsException'));

    // Act
    const error = await failureOf(
      lambdaDispatcher(throttled.client, 'chat-action', { deadlineMs: 8000 })(WORK),
    );

    // Assess
    expect(throttled.seen.attempts).toBeGreaterThan(1);
    expect((error as HandOffError).outcome).toBe('not-started');
    expect(publicMessage(error)).toContain('did not start');
  });

  it('says the outcome is unknown when an attempt got no answer before a refusal', async () => {
    // Prepare: the first attempt's connection drops after the request was sent, the second is refused.
    const { client, seen } = await lambdaApi((res, attempt) => {
      if (attempt === 1) res.socket?.destroy();
      else refuse(res, 429, 'TooManyRequestsException');
    });

    // Act
    const error = await failureOf(lambdaDispatcher(client, 'chat-action', { deadlineMs: 8000 })(WORK));

    // Assess
    expect(seen.attempts).toBeGreaterThan(1);
    expect((error as HandOffError).outcome).toBe('unknown');
  });
});
