/**
 * The action side of chat commands: run through ChatActions (a fake here; the adapter over the jobs
 * has its own tests), posting progress and the answer to a response_url on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResponsePoster, type SlackMessage } from '../../functions/chatops/replies.ts';
import { runChatWork } from '../../functions/chatops/run-work.ts';
import { type ChatWork, requestKeyOf } from '../../functions/chatops/work.ts';
import { IdempotencyStoreError } from '../../functions/core/errors.ts';
import { recordingLogger } from '../core/recording-logger.ts';
import { type SlackReceiver, slackView, startSlackReceiver } from '../sim/slack-receiver.ts';
import { fakeActions } from './fake-actions.ts';

let receiver: SlackReceiver;
beforeAll(async () => {
  receiver = await startSlackReceiver();
});
afterAll(async () => {
  await receiver.close();
});

function snapshotWork(responseUrl: string, targets = ['certctl-prod-db', 'certctl-ra-db']): ChatWork {
  const command = { name: 'snapshot' as const, targets, reason: 'CA rotation', ticket: 'CHG-42' };
  return {
    command,
    requestedBy: 'slack:T0CERTCTL/U0OPERATOR',
    replyTo: { kind: 'slack', responseUrl },
    requestKey: requestKeyOf(command, 'slack:T0CERTCTL/U0OPERATOR', 'trigger-1'),
    acceptedAt: new Date().toISOString(),
  };
}

function poster(responseUrl: string, earlierPosts: Date[] = []) {
  return new ResponsePoster({ responseUrl, allowedHosts: ['127.0.0.1'], earlierPosts });
}

describe('runChatWork', () => {
  it('posts a progress update, then per target the snapshot id or the error, then NO-GO', async () => {
    // Prepare
    const actions = fakeActions({ delayMs: 30 });
    actions.failTarget('certctl-ra-db', 'InvalidDBInstanceState: the instance is stopped');
    const url = receiver.responseUrl();
    const logger = recordingLogger();

    // Act
    const outcome = await runChatWork(snapshotWork(url), {
      actions,
      replier: poster(url),
      logger,
      progressSettleMs: 5,
    });

    // Assess
    const posts = receiver.postsTo(url).map((post) => post.message);
    expect(posts).toHaveLength(2);
    expect(slackView(posts[0] ?? { text: '' })).toContain('Snapshot requests sent for 2 databases (CHG-42)');
    const answer = slackView(posts[1] ?? { text: '' });
    expect(answer).toContain(
      '*certctl-prod-db* (aws/111111111111/eu-west-1): `certctl-premaint-certctl-prod-db-0123456789` restorable',
    );
    expect(answer).toContain(
      '*certctl-ra-db* (aws/111111111111/eu-west-1): not taken: InvalidDBInstanceState: the instance is stopped',
    );
    expect(answer).toMatch(/\*NO-GO\*: 1 of 2 databases have no restorable snapshot/);
    expect(posts[1]?.response_type).toBe('in_channel');
    expect(outcome).toEqual({ outcome: 'completed', verdict: 'NO-GO', delivered: true, posts: 2 });
  });

  it('answers GO when every database has a restorable snapshot, and posts no progress for a quick run', async () => {
    // Prepare
    const actions = fakeActions();
    const url = receiver.responseUrl();

    // Act
    const outcome = await runChatWork(snapshotWork(url), {
      actions,
      replier: poster(url),
      logger: recordingLogger(),
      progressSettleMs: 10_000,
    });

    // Assess
    const posts = receiver.postsTo(url);
    expect(posts).toHaveLength(1);
    expect(slackView(posts[0]?.message ?? { text: '' })).toMatch(
      /\*GO\*: every database \(2\) has a restorable pre-maintenance snapshot/,
    );
    expect(outcome.verdict).toBe('GO');
  });

  it('starts no second snapshot for a repeat of the same request and says so in one post', async () => {
    // Prepare
    const actions = fakeActions();
    const first = receiver.responseUrl();
    const second = receiver.responseUrl();
    const logger = recordingLogger();

    // Act
    await runChatWork(snapshotWork(first), { actions, replier: poster(first), logger });
    const repeat = await runChatWork(snapshotWork(second), { actions, replier: poster(second), logger });

    // Assess
    expect(actions.started).toHaveLength(1);
    expect(repeat.outcome).toBe('repeat');
    const posts = receiver.postsTo(second);
    expect(posts).toHaveLength(1);
    expect(slackView(posts[0]?.message ?? { text: '' })).toContain('no new snapshot was started');
  });

  it('does not pass a repeat’s own reason and asker off as those of the snapshots it did not take', async () => {
    // Prepare: someone else asks again for the same ticket and database, with another reason.
    const actions = fakeActions();
    const first = receiver.responseUrl();
    const second = receiver.responseUrl();
    const logger = recordingLogger();
    const again: ChatWork = {
      ...snapshotWork(second),
      command: {
        name: 'snapshot',
        targets: ['certctl-prod-db', 'certctl-ra-db'],
        reason: 'just because',
        ticket: 'CHG-42',
      },
      requestedBy: 'slack:T0CERTCTL/U0SOMEONE',
    };

    // Act
    await runChatWork(snapshotWork(first), { actions, replier: poster(first), logger });
    await runChatWork(again, { actions, replier: poster(second), logger });

    // Assess
    const view = slackView(receiver.postsTo(second)[0]?.message ?? { text: '' });
    expect(view).toContain('no new snapshot was started');
    expect(view).not.toContain('just because');
    expect(view).not.toContain('Requested by slack:T0CERTCTL/U0SOMEONE');
    expect(view).toContain('Asked again by slack:T0CERTCTL/U0SOMEONE');
  });

  it('keeps the answer when four posts were already spent on the response_url', async () => {
    // Prepare
    const actions = fakeActions({ delayMs: 30 });
    const url = receiver.responseUrl();
    const now = new Date();

    // Act
    const outcome = await runChatWork(snapshotWork(url), {
      actions,
      replier: poster(url, [now, now, now, now]),
      logger: recordingLogger(),
      progressSettleMs: 1,
    });

    // Assess: no progress update was sent, the answer was.
    expect(receiver.postsTo(url)).toHaveLength(1);
    expect(outcome.delivered).toBe(true);
  });

  it('answers readiness with the verdict, and the evidence and action of each gate that is not green', async () => {
    // Prepare
    const url = receiver.responseUrl();
    const command = { name: 'readiness' as const, targets: [] };
    const work: ChatWork = {
      command,
      requestedBy: 'slack:T0CERTCTL/U0OPERATOR',
      replyTo: { kind: 'slack', responseUrl: url },
      requestKey: requestKeyOf(command, 'slack:T0CERTCTL/U0OPERATOR', 'trigger-2'),
      acceptedAt: new Date().toISOString(),
    };

    // Act
    const outcome = await runChatWork(work, {
      actions: fakeActions(),
      replier: poster(url),
      logger: recordingLogger(),
    });

    // Assess
    const view = slackView(receiver.postsTo(url)[0]?.message ?? { text: '' });
    expect(view).toContain('*Readiness for the CA rotation: NO-GO*');
    expect(view).toContain('*certctl-prod-db* (aws/111111111111/eu-west-1): GO, 2 of 2 gates green');
    expect(view).toContain('NO-GO `audit:pitr`: pitr.retention FAILED (retentionDays 7)');
    expect(view).toContain('_do:_ Raise the backup retention to 30 days.');
    expect(outcome.verdict).toBe('NO-GO');
  });

  it('answers an internal failure with a generic line and keeps the details in the log', async () => {
    // Prepare
    const actions = fakeActions();
    actions.throwOn(
      'snapshot',
      new Error('AccessDenied: arn:aws:iam::111111111111:role/certctl-backup-guard-chat-action'),
    );
    const url = receiver.responseUrl();
    const logger = recordingLogger();

    // Act
    const outcome = await runChatWork(snapshotWork(url), { actions, replier: poster(url), logger });

    // Assess
    const view = JSON.stringify(receiver.postsTo(url));
    expect(view).toContain('failed on our side; the details are in the backup-guard logs');
    expect(view).not.toContain('AccessDenied');
    expect(logger.text()).toContain('AccessDenied');
    expect(outcome).toEqual({ outcome: 'failed', delivered: true, posts: 1 });
  });

  it('says no snapshot was taken when the idempotency table could not be written before the run, keeping the details in the log', async () => {
    // Prepare: the run never started (runOncePerRequestId fails closed), which the error proves.
    const actions = fakeActions();
    actions.throwOn(
      'snapshot',
      new IdempotencyStoreError(
        'the idempotency table certctl-idem could not be written (AccessDeniedException: arn:aws:iam::111111111111:role/chat is not authorized), so request r-1 was not run: nothing was snapshotted for it.',
        'AccessDeniedException',
      ),
    );
    const url = receiver.responseUrl();
    const logger = recordingLogger();

    // Act
    const outcome = await runChatWork(snapshotWork(url), { actions, replier: poster(url), logger });

    // Assess
    const view = slackView(receiver.postsTo(url).at(-1)?.message ?? { text: '' });
    expect(view).toContain('failed on our side');
    expect(view).toContain('was not run: no snapshot was taken for it');
    expect(view).not.toContain('AccessDeniedException');
    expect(view).not.toContain('certctl-idem');
    expect(logger.text()).toContain('AccessDeniedException');
    expect(outcome).toEqual({ outcome: 'failed', delivered: true, posts: 1 });
  });

  it('does not throw when Slack refuses the answer, and reports it undelivered', async () => {
    // Prepare
    const url = receiver.responseUrl();
    const logger = recordingLogger();
    receiver.failWith(404);

    // Act
    const outcome = await runChatWork(snapshotWork(url), {
      actions: fakeActions(),
      replier: poster(url),
      logger,
    }).finally(() => receiver.failWith(undefined));

    // Assess
    expect(outcome).toMatchObject({ outcome: 'completed', delivered: false });
    expect(logger.text()).toContain('Slack refused the reply with HTTP 404');
  });

  it('still gets the verdict and why through when Slack refuses the answer’s blocks', async () => {
    // Prepare: a Slack that refuses a message of more than three blocks (invalid_blocks, HTTP 400),
    // as it refuses any block it will not show; the answer here has five.
    const posted: SlackMessage[] = [];
    const strictSlack = (async (_url: string, init?: RequestInit) => {
      const message = JSON.parse(String(init?.body)) as SlackMessage;
      if ((message.blocks ?? []).length > 3) return new Response('invalid_blocks', { status: 400 });
      posted.push(message);
      return new Response('ok', { status: 200 });
    }) as typeof fetch;
    const url = receiver.responseUrl();
    const actions = fakeActions();
    actions.failTarget('certctl-ra-db', 'InvalidDBInstanceState: the instance is stopped');
    const logger = recordingLogger();

    // Act
    const outcome = await runChatWork(snapshotWork(url), {
      actions,
      replier: new ResponsePoster({ responseUrl: url, allowedHosts: ['127.0.0.1'], fetch: strictSlack }),
      logger,
      progressSettleMs: 10_000,
    });

    // Assess: the answer arrives as text, saying it is shown so, and the refusal is logged.
    expect(posted).toHaveLength(1);
    const view = slackView(posted[0] ?? { text: '' });
    expect(view).toMatch(/\*NO-GO\*: 1 of 2 databases have no restorable snapshot/);
    expect(view).toContain('InvalidDBInstanceState: the instance is stopped');
    expect(view).toContain('Slack refused this answer as laid out');
    expect(posted[0]?.response_type).toBe('in_channel');
    expect(logger.text()).toContain('Slack refused the reply with HTTP 400');
    expect(outcome).toEqual({ outcome: 'completed', verdict: 'NO-GO', delivered: true, posts: 2 });
  });

  it('escapes names so a database called <!channel> cannot mention the channel', async () => {
    // Prepare
    const url = receiver.responseUrl();

    // Act
    await runChatWork(snapshotWork(url, ['<!channel>']), {
      actions: fakeActions(),
      replier: poster(url),
      logger: recordingLogger(),
    });

    // Assess
    const view = JSON.stringify(receiver.postsTo(url));
    expect(view).toContain('&lt;!channel&gt;');
    expect(view).not.toContain('<!channel>');
  });
});
