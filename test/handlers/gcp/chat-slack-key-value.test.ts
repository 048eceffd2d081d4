/**
 * The `chatSlack` Cloud Function whose signing secret, mapped from Secret Manager, holds a JSON
 * object of key/value pairs instead of Slack's value: said in its log as a deployment fault, never
 * refused request by request as forged, and no value of the JSON written anywhere.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { POLICY_ENV } from '../../../functions/core/policy.ts';
import { CHAT_TOPIC_ENV, SLACK_SECRET_VALUE_ENV } from '../../../functions/gcp/chat-environment.ts';
import { signedSlackEvent, slashCommandForm } from '../../sim/slack-client.ts';
import { type ServedFunction, serveFunction } from './serve.ts';

const SECRET = 'CANARY-kv-slack-secret-77b1';

describe('chatSlack Cloud Function with a key/value signing secret', () => {
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
        [SLACK_SECRET_VALUE_ENV]: JSON.stringify({ SLACK_SIGNING_SECRET: SECRET }),
        [CHAT_TOPIC_ENV]: 'projects/certctl-ops/topics/certctl-backup-guard-chat',
      },
    });
  });

  afterAll(async () => {
    await served.close();
  });

  it('answers its bare 500 and logs that the secret is a JSON object, never the value in it', async () => {
    // Prepare: a request Slack signed with its value, the one inside the JSON.
    const written: string[] = [];
    const record = (...args: unknown[]): void => {
      written.push(args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg))).join(' '));
    };
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => record(String(chunk)) ?? true),
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => record(String(chunk)) ?? true),
      vi.spyOn(console, 'error').mockImplementation(record),
      vi.spyOn(console, 'log').mockImplementation(record),
    ];
    const event = signedSlackEvent(slashCommandForm('status'), SECRET, new Date());

    // Act
    const response = await fetch(served.url, {
      method: 'POST',
      headers: event.headers as Record<string, string>,
      body: event.body ?? '',
    }).finally(() => {
      for (const spy of spies) spy.mockRestore();
    });

    // Assess
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('backup-guard is not available; the reason is in its log.');
    const log = written.join('\n');
    expect(log).toContain(
      `${SLACK_SECRET_VALUE_ENV} (from Secret Manager) holds a JSON object (key/value pairs), not the signing secret itself`,
    );
    expect(log).not.toContain(SECRET);
  });
});
