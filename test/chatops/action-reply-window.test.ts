/**
 * The snapshot wait of Slack work ends in time for its answer to reach the `response_url`, which
 * Slack accepts for 30 minutes after the command (https://api.slack.com/interactivity/slash-commands):
 * work that starts late (an asynchronous invocation retried or held back) must not wait past it.
 */
import { describe, expect, it } from 'vitest';
import { ANSWER_MARGIN_MS, runChatAction } from '../../functions/chatops/action.ts';
import type { StructuredLogger } from '../../functions/core/logging.ts';
import { fakeActions } from './fake-actions.ts';

const quiet: StructuredLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function slackWork(acceptedAt: Date) {
  return {
    command: { name: 'snapshot', targets: ['certctl-prod-db'], reason: 'CA rotation', ticket: 'CHG-7' },
    requestedBy: 'slack:T0CERTCTL/U0OPERATOR',
    replyTo: { kind: 'slack', responseUrl: 'https://hooks.slack.com/commands/T0CERTCTL/1/abc' },
    requestKey: 'b'.repeat(64),
    acceptedAt: acceptedAt.toISOString(),
  };
}

describe('runChatAction reply window', () => {
  it('stops the snapshot wait of Slack work started 25 minutes late before the 30-minute window closes', async () => {
    // Prepare
    const actions = fakeActions();
    const now = new Date('2026-12-02T10:40:00.000Z');
    const acceptedAt = new Date(now.getTime() - 25 * 60_000);
    const posted: number[] = [];

    // Act
    const outcome = await runChatAction(slackWork(acceptedAt), {
      actions,
      logger: quiet,
      count: () => undefined,
      fetch: (async () => {
        posted.push(now.getTime());
        return new Response(null, { status: 200 });
      }) as typeof fetch,
      now: () => now,
      // A Lambda with 14 minutes left: its own deadline is past the reply window.
      remainingMs: () => 14 * 60_000,
      progressSettleMs: 0,
    });

    // Assess
    expect(outcome.delivered).toBe(true);
    const waitUntil = actions.started[0]?.waitUntil;
    expect(waitUntil).toBeInstanceOf(Date);
    expect(waitUntil?.getTime()).toBe(acceptedAt.getTime() + 30 * 60_000 - ANSWER_MARGIN_MS);
  });

  it('keeps the function deadline for Slack work whose reply window ends later', async () => {
    // Prepare
    const actions = fakeActions();
    const now = new Date('2026-12-02T10:40:00.000Z');

    // Act
    await runChatAction(slackWork(new Date(now.getTime() - 5_000)), {
      actions,
      logger: quiet,
      count: () => undefined,
      fetch: (async () => new Response(null, { status: 200 })) as typeof fetch,
      now: () => now,
      remainingMs: () => 14 * 60_000,
      progressSettleMs: 0,
    });

    // Assess
    expect(actions.started[0]?.waitUntil?.getTime()).toBe(now.getTime() + 14 * 60_000 - ANSWER_MARGIN_MS);
  });

  it('gives Slack work the reply window as its deadline when the function has none', async () => {
    // Prepare
    const actions = fakeActions();
    const now = new Date('2026-12-02T10:40:00.000Z');
    const acceptedAt = new Date(now.getTime() - 60_000);

    // Act
    await runChatAction(slackWork(acceptedAt), {
      actions,
      logger: quiet,
      count: () => undefined,
      fetch: (async () => new Response(null, { status: 200 })) as typeof fetch,
      now: () => now,
      progressSettleMs: 0,
    });

    // Assess
    expect(actions.started[0]?.waitUntil?.getTime()).toBe(
      acceptedAt.getTime() + 30 * 60_000 - ANSWER_MARGIN_MS,
    );
  });
});
