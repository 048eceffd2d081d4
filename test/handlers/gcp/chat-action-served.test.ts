/**
 * The `chatAction` Cloud Function served as deployed, through the Functions Framework, when it
 * cannot do its work now: the event is not acknowledged (a 500, so Pub/Sub delivers it again later
 * and the work is not lost), and what it writes is one structured log line saying why, never the
 * framework's multi-line stack trace of what it threw.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { POLICY_ENV, POLICY_FILE_ENV } from '../../../functions/core/policy.ts';
import { CHAT_RECORDS_BUCKET_ENV } from '../../../functions/gcp/chat-environment.ts';
import { type ServedFunction, serveFunction } from './serve.ts';

let served: ServedFunction | undefined;

afterEach(async () => {
  vi.restoreAllMocks();
  await served?.close();
  served = undefined;
});

/** Eventarc's push of a Pub/Sub message carrying `work`: a binary-mode CloudEvent. */
function push(url: string, work: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': 'message-1',
      'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
      'ce-source': '//pubsub.googleapis.com/projects/certctl-ops/topics/certctl-backup-guard-chat',
    },
    body: JSON.stringify({
      message: { data: Buffer.from(JSON.stringify(work)).toString('base64'), messageId: 'message-1' },
    }),
  });
}

/** Everything written while `act` runs: the logger's lines and the framework's console output. */
async function written(act: () => Promise<Response>): Promise<{ status: number; lines: string[] }> {
  const lines: string[] = [];
  const record = (...args: unknown[]): boolean => {
    lines.push(args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg))).join(' '));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => record(String(chunk)));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => record(String(chunk)));
  vi.spyOn(console, 'error').mockImplementation(record);
  vi.spyOn(console, 'log').mockImplementation(record);
  const response = await act();
  vi.restoreAllMocks();
  return { status: response.status, lines };
}

describe('the chatAction Cloud Function that cannot start', () => {
  it('does not acknowledge the work and logs one structured line naming the missing setting, no stack trace', async () => {
    // Prepare: a deployment without its records bucket.
    served = await serveFunction({
      entryPoint: 'chatAction',
      load: () => import('../../../functions/handlers/gcp/chat-action.ts'),
      env: {
        [POLICY_ENV]: JSON.stringify({ gcp: { projects: ['certctl-ops'] } }),
        [POLICY_FILE_ENV]: '',
        [CHAT_RECORDS_BUCKET_ENV]: '',
      },
    });
    const url = served.url;

    // Act
    const { status, lines } = await written(() => push(url, { command: { name: 'status' } }));

    // Assess
    expect(status).toBe(500);
    expect(lines.join('\n')).not.toMatch(/^\s+at /m);
    const entries = lines
      .flatMap((line) => line.split('\n'))
      .filter((line) => line.trim().startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toEqual([
      expect.objectContaining({
        severity: 'ERROR',
        message: 'chatAction cannot start; the work is not acknowledged, so Pub/Sub delivers it again later',
        error: {
          name: 'InputError',
          message: `chatAction needs ${CHAT_RECORDS_BUCKET_ENV} (its records bucket); the deployment sets it`,
        },
      }),
    ]);
  });
});
