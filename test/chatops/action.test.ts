/**
 * The action side's refusal of work whose answer would go somewhere other than Slack: nothing runs
 * and nothing is posted, whether or not Slack's 30-minute reply window has passed.
 */
import { describe, expect, it } from 'vitest';
import { runChatAction } from '../../functions/chatops/action.ts';
import type { StructuredLogger } from '../../functions/core/logging.ts';
import { fakeActions } from './fake-actions.ts';

function recordingLogger() {
  const lines: { level: string; message: string; attributes: Record<string, unknown>[] }[] = [];
  const at =
    (level: string) =>
    (message: string, ...attributes: Record<string, unknown>[]) =>
      void lines.push({ level, message, attributes });
  const logger: StructuredLogger = { info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

describe('runChatAction', () => {
  it.each([
    ['not yet', 1],
    ['already', 31],
  ])(
    'refuses a handed-off snapshot whose response_url is not Slack, running and posting nothing, when the reply window has %s passed',
    async (_when, minutesAgo) => {
      // Prepare
      const actions = fakeActions();
      const posted: string[] = [];
      const counted: string[] = [];
      const { logger, lines } = recordingLogger();
      const now = new Date('2026-12-02T10:40:00.000Z');
      const event = {
        command: { name: 'snapshot', targets: ['certctl-prod-db'], reason: 'CA rotation', ticket: 'CHG-7' },
        requestedBy: 'slack:T0CERTCTL/U0OPERATOR',
        replyTo: { kind: 'slack', responseUrl: 'https://evil.example/x' },
        requestKey: 'b'.repeat(64),
        acceptedAt: new Date(now.getTime() - minutesAgo * 60_000).toISOString(),
      };

      // Act
      const outcome = await runChatAction(event, {
        actions,
        logger,
        count: (metric) => void counted.push(metric),
        fetch: (async (url: string | URL | Request) => {
          posted.push(String(url));
          return new Response(null, { status: 200 });
        }) as typeof fetch,
        now: () => now,
      });

      // Assess
      expect(outcome).toEqual({ outcome: 'failed', delivered: false, posts: 0 });
      expect(actions.started).toEqual([]);
      expect(posted).toEqual([]);
      expect(counted).toEqual(['ChatCommandsFailed']);
      const refused = lines.find((line) => line.message === 'chat work refused');
      expect(refused?.attributes[0]).toMatchObject({
        error: {
          message:
            'the chat work is invalid: replyTo.responseUrl: response_url is not a Slack address; answers go only to `hooks.slack.com` or `hooks.slack-gov.com` over https',
        },
      });
      expect(JSON.stringify(lines)).not.toContain('evil.example');
    },
  );
});
