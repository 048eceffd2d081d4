/**
 * The `chatSlack` Cloud Function served by the Functions Framework as in production: the one public
 * GCP function (`--allow-unauthenticated`), so anyone can send it a body the framework cannot parse.
 * Such a request is refused as any unsigned one is, never answered with express's HTML error page
 * or logged as a multi-line entry quoting its body.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { POLICY_ENV } from '../../../functions/core/policy.ts';
import { CHAT_TOPIC_ENV, SLACK_SECRET_VALUE_ENV } from '../../../functions/gcp/chat-environment.ts';
import { type ServedFunction, serveFunction } from './serve.ts';

const SECRET = 'CANARY-served-slack-secret-4e2d';
const CANARY_BODY = 'canary-body-c41e';

function captureOutput(): { written: string[]; spies: { mockRestore(): void }[] } {
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array): boolean => {
    written.push(String(chunk));
    return true;
  };
  const record = (...args: unknown[]): void => {
    written.push(args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg))).join(' '));
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
    vi.spyOn(console, 'error').mockImplementation(record),
    vi.spyOn(console, 'log').mockImplementation(record),
    vi.spyOn(console, 'warn').mockImplementation(record),
  ];
  return { written, spies };
}

describe('chatSlack Cloud Function served by the Functions Framework', () => {
  let served: ServedFunction;

  beforeAll(async () => {
    served = await serveFunction({
      entryPoint: 'chatSlack',
      load: () => import('../../../functions/handlers/gcp/chat-slack.ts'),
      env: {
        [POLICY_ENV]: JSON.stringify({
          gcp: { projects: ['certctl-ops'] },
          chatops: { slack: { teams: ['T0CERTCTL'] }, permissions: { snapshot: ['U0OPERATOR'] } },
        }),
        [SLACK_SECRET_VALUE_ENV]: SECRET,
        [CHAT_TOPIC_ENV]: 'projects/certctl-ops/topics/certctl-backup-guard-chat',
      },
    });
  });

  afterAll(async () => {
    await served.close();
  });

  it('refuses an unsigned body the framework cannot parse with its bare 401, never express’s HTML page, and logs no line quoting it', async () => {
    // Prepare: bodies anyone on the internet can send to the public URL.
    const { written, spies } = captureOutput();
    const requests: { headers: Record<string, string>; body: string }[] = [
      { headers: { 'content-type': 'application/json' }, body: `{"text": "${CANARY_BODY}"` },
      { headers: { 'content-type': 'application/json' }, body: `${CANARY_BODY}` },
      { headers: { 'content-type': 'application/json; charset=latin1' }, body: '{}' },
      { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: '{}' },
    ];

    // Act
    const answers = await Promise.all(
      requests.map(async ({ headers, body }) => {
        const response = await fetch(served.url, { method: 'POST', headers, body });
        return { status: response.status, text: await response.text() };
      }),
    ).finally(() => {
      for (const spy of spies) spy.mockRestore();
    });

    // Assess: refused as unsigned requests are, nothing of the framework's error page or stack.
    expect(answers).toEqual(requests.map(() => ({ status: 401, text: 'Request refused.' })));
    const lines = written.flatMap((chunk) => chunk.split('\n')).filter((line) => line.trim() !== '');
    for (const line of lines) {
      expect(() => JSON.parse(line), line).not.toThrow();
      expect(line).not.toContain(CANARY_BODY);
      expect(line).not.toContain(SECRET);
    }
  });
});
