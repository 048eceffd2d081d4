/**
 * The Amazon Q Developer path end to end: the custom action's `--payload` into `chat-amazon-q`,
 * handed to `chat-action` (fake actions), whose answer is published to the channel's SNS topic as
 * a custom notification (SNS mocked at the SDK client). And the action function's own edges.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dynamoDeliveryDone, dynamoFirstDelivery } from '../../../functions/aws/chat-deliveries.ts';
import type { ChatSnapshotRequest } from '../../../functions/chatops/actions.ts';
import { type ChatWork, deliveryKeyOf, requestKeyOf } from '../../../functions/chatops/work.ts';
import { ANSWER_MARGIN_MS, chatAction } from '../../../functions/handlers/aws/chat-action.ts';
import { amazonQCommand } from '../../../functions/handlers/aws/chat-amazon-q.ts';
import { METRICS_NAMESPACE } from '../../../functions/handlers/aws/observability.ts';
import { fakeActions } from '../../chatops/fake-actions.ts';
import { type LocalDynamo, startLocalDynamo } from '../../jobs/dynalite.ts';
import { type SlackReceiver, startSlackReceiver } from '../../sim/slack-receiver.ts';
import { type CapturedOutput, capturePowertoolsOutput } from './powertools-output.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:111111111111:certctl-backup-guard-chat';
const sns = mockClient(SNSClient);
let output: CapturedOutput;
let receiver: SlackReceiver;

beforeAll(async () => {
  receiver = await startSlackReceiver();
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  output = capturePowertoolsOutput();
});
afterEach(() => {
  output.restore();
});

function observability(service: string) {
  return {
    logger: new Logger({ serviceName: service }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service }),
  };
}

/** chat-amazon-q's dependencies handing work to chat-action (queued, as Lambda does), publishing to SNS. */
function handingOff(actions: ReturnType<typeof fakeActions>) {
  const pending: Promise<unknown>[] = [];
  const action = observability('chat-action');
  return {
    pending,
    deps: {
      dispatch: async (work: ChatWork) => {
        const payload = JSON.stringify(work);
        pending.push(
          new Promise((queued) => setImmediate(queued)).then(() =>
            chatAction(JSON.parse(payload), {
              actions,
              ...action,
              notifications: { client: new SNSClient({ region: 'eu-west-1' }), topicArn: TOPIC },
            }),
          ),
        );
      },
      ...observability('chat-amazon-q'),
    },
  };
}

const publishedNotifications = () =>
  sns.commandCalls(PublishCommand).map((call) => JSON.parse(call.args[0].input.Message ?? '{}'));

describe('the Amazon Q Developer custom action', () => {
  it('answers help at once, and a bad payload with what was wrong, without throwing or dispatching', async () => {
    // Prepare
    const dispatched: ChatWork[] = [];
    const deps = {
      dispatch: async (work: ChatWork) => void dispatched.push(work),
      ...observability('chat-amazon-q'),
    };

    // Act
    const help = await amazonQCommand({ command: 'help snapshot' }, 'req-1', deps);
    const notJson = await amazonQCommand('{"command": ', 'req-2', deps);
    const extra = await amazonQCommand({ command: 'status', channel: 'x' }, 'req-3', deps);
    const bad = await amazonQCommand({ command: 'snapshot db' }, 'req-4', deps);

    // Assess
    expect(help).toEqual({
      ok: true,
      message: expect.stringContaining('`snapshot [database …] reason="why"'),
    });
    expect(notJson).toEqual({
      ok: false,
      message: expect.stringMatching(/^the payload is not JSON: send \{"command":"<command>"\}/),
    });
    expect(extra.message).toContain('Unrecognized key: "channel"');
    expect(bad).toEqual({ ok: false, message: expect.stringContaining('needs reason="…" and ticket=…') });
    expect(dispatched).toEqual([]);
  });

  it('starts a snapshot asynchronously and delivers its answer to the channel as a custom notification', async () => {
    // Prepare
    const actions = fakeActions();
    const action = observability('chat-action');
    const pending: Promise<unknown>[] = [];
    const deps = {
      // Lambda queues an asynchronous invocation: the action runs after the invoke returned.
      dispatch: async (work: ChatWork) => {
        const payload = JSON.stringify(work);
        pending.push(
          new Promise((queued) => setImmediate(queued)).then(() =>
            chatAction(JSON.parse(payload), {
              actions,
              ...action,
              notifications: { client: new SNSClient({ region: 'eu-west-1' }), topicArn: TOPIC },
            }),
          ),
        );
      },
      ...observability('chat-amazon-q'),
    };

    // Act
    const answer = await amazonQCommand(
      { command: 'snapshot certctl-prod-db reason="CA rotation" ticket=CHG-7', requestedBy: 'alice' },
      'req-5',
      deps,
    );
    const startedBeforeAnswer = actions.started.length;
    await Promise.all(pending);

    // Assess
    expect(answer).toEqual({
      ok: true,
      message:
        'Taking pre-maintenance snapshots of certctl-prod-db for CHG-7. The progress and the result will be posted to this channel. Recorded as requested by `amazon-q:claimed:alice`: the payload names alice, and Amazon Q passes no verified user to the function.',
    });
    expect(startedBeforeAnswer).toBe(0);
    // The name is the payload's claim: the snapshot tags and the answer say so.
    expect((actions.started[0] as ChatSnapshotRequest).requestedBy).toBe('amazon-q:claimed:alice');
    const published = sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(published.map((input) => input.TopicArn)).toEqual([TOPIC]);
    const notification = JSON.parse(published[0]?.Message ?? '{}');
    expect(notification).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown', title: 'Snapshots for CHG-7: GO' },
      metadata: { threadId: expect.stringMatching(/^[0-9a-f]{32}$/) },
    });
    expect(notification.content.description).toContain(
      '`certctl-premaint-certctl-prod-db-0123456789` restorable',
    );
    expect(notification.content.description).toContain('Requested by `amazon-q:claimed:alice`.');
  });

  it('counts the databases in its acknowledgement, naming none the cut answer may leave out, when a command names more than it repeats', async () => {
    // Prepare: 50 databases (the most a command names) with long names; each answer line is longer
    // than a notification holds 50 of.
    const names = Array.from(
      { length: 50 },
      (_, index) => `certctl-tenant-${String(index).padStart(2, '0')}-${'x'.repeat(50)}`,
    );
    const { deps, pending } = handingOff(fakeActions());

    // Act
    const ack = await amazonQCommand(
      { command: `snapshot ${names.join(' ')} reason=rotation ticket=CHG-8` },
      'req-50',
      deps,
    );
    await Promise.all(pending);
    const answer = publishedNotifications().at(-1);
    const description: string = answer?.content.description ?? '';

    // Assess: the acknowledgement counts the 50 and promises none by name; the answer shows what
    // fits and counts the rest, so both account for the same 50.
    const shown = names.filter((name) => description.includes(`*${name}*`));
    expect(ack).toEqual({
      ok: true,
      message:
        'Taking pre-maintenance snapshots of the 50 databases named for CHG-8. The progress and the result will be posted to this channel.',
    });
    expect(shown.length).toBeGreaterThan(0);
    expect(description).toMatch(
      new RegExp(`, ${names.length - shown.length} more entries( and 1 more line)? not shown`),
    );
  });

  it('keeps a canary secret of a failing run out of every notification', async () => {
    // Prepare: the readiness run fails with an error quoting a secret value (an SDK error echoing a
    // request, a driver error quoting a connection string).
    const CANARY = 'CANARY-amazon-q-failing-run-3c1e';
    const actions = fakeActions();
    actions.throwOn('readiness', new Error(`connect failed: postgres://guard:${CANARY}@db:5432/certctl`));
    const { deps, pending } = handingOff(actions);

    // Act
    const ack = await amazonQCommand({ command: 'readiness' }, 'req-canary', deps);
    await Promise.all(pending);

    // Assess: the run failed and said so, with no detail; the secret is in no SNS message.
    const messages = sns.commandCalls(PublishCommand).map((call) => call.args[0].input.Message ?? '');
    expect(ack.ok).toBe(true);
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0] ?? '{}').content.description).toContain('failed on our side');
    for (const message of messages) expect(message).not.toContain(CANARY);
    expect(JSON.stringify(ack)).not.toContain(CANARY);
  });

  it('names a request without requestedBy after the channel, never after a user it cannot know', async () => {
    // Prepare
    const dispatched: ChatWork[] = [];
    const deps = {
      dispatch: async (work: ChatWork) => void dispatched.push(work),
      ...observability('chat-amazon-q'),
    };

    // Act
    const answer = await amazonQCommand({ command: 'status' }, 'req-6', deps);

    // Assess
    expect(answer).toEqual({
      ok: true,
      message:
        'Reading the last published audit and the last pre-maintenance snapshots. The progress and the result will be posted to this channel.',
    });
    expect(dispatched.map((work) => work.requestedBy)).toEqual(['amazon-q:channel']);
  });
});

/**
 * What the docs say Amazon Q Developer shows: a custom notification published to the channel's SNS
 * topic, in its event schema (version 1.0, source custom, content.textType client-markdown, title,
 * description, metadata.threadId; https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html).
 * What it shows of a custom action's `lambda invoke` result, the `{ ok, message }` the function
 * returns, it does not document. The acknowledgement, the help and a refusal were only that result.
 */
describe('the Amazon Q Developer custom action’s own answers', () => {
  function notifying(actions: ReturnType<typeof fakeActions>) {
    const { deps, pending } = handingOff(actions);
    return {
      pending,
      deps: { ...deps, notifications: { client: new SNSClient({ region: 'eu-west-1' }), topicArn: TOPIC } },
    };
  }

  it('acknowledges in the channel as a custom notification, in the thread the answer follows', async () => {
    // Prepare: a requester claim Slack would parse as a mention.
    const { deps, pending } = notifying(fakeActions());

    // Act
    const answer = await amazonQCommand({ command: 'readiness', requestedBy: '@here' }, 'req-20', deps);
    await Promise.all(pending);

    // Assess: the acknowledgement, then the answer, one thread; the invoke result says the same.
    const [ack, result] = publishedNotifications();
    expect(sns.commandCalls(PublishCommand).map((call) => call.args[0].input.TopicArn)).toEqual([
      TOPIC,
      TOPIC,
    ]);
    expect(ack).toEqual({
      version: '1.0',
      source: 'custom',
      id: expect.any(String),
      content: {
        textType: 'client-markdown',
        title: 'Checking readiness…',
        description: expect.stringContaining(
          'Checking readiness. The progress and the result will be posted',
        ),
      },
      metadata: { threadId: expect.stringMatching(/^[0-9a-f]{32}$/), summary: 'Checking readiness…' },
    });
    expect(ack.metadata.threadId).toBe(result.metadata.threadId);
    expect(ack.id).not.toBe(result.id);
    expect(ack.content.description).not.toMatch(/@here/);
    expect(ack.content.description.replaceAll('\u200b', '')).toContain(
      'requested by `amazon-q:claimed:@here`',
    );
    expect(answer).toEqual({ ok: true, message: expect.stringContaining('Checking readiness.') });
    expect(answer.message).not.toMatch(/@here/);
  });

  it('answers help and refuses a bad payload in the channel too, escaping what the payload said', async () => {
    // Prepare
    const { deps, pending } = notifying(fakeActions());

    // Act
    const help = await amazonQCommand({ command: 'help snapshot' }, 'req-21', deps);
    const refused = await amazonQCommand({ command: 'status', '<!channel>': 'x' }, 'req-22', deps);
    const notJson = await amazonQCommand('{"command": ', 'req-25', deps);
    await Promise.all(pending);

    // Assess
    const [helpNotice, refusal, notJsonRefusal] = publishedNotifications();
    expect(pending).toEqual([]);
    expect(helpNotice).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown' },
    });
    expect(helpNotice.content.description).toContain('`snapshot [database …] reason="why"');
    expect(help.ok).toBe(true);
    expect(refusal.content.description).toContain('Unrecognized key: "&lt;!channel&gt;"');
    expect(refusal.content.description).not.toContain('<!channel>');
    // The invocation result is shown as written (not as mrkdwn): no entity, and no `<!` Slack would read.
    expect(refused.message.replaceAll('\u200b', '')).toContain('Unrecognized key: "<!channel>"');
    expect(refused.message).not.toMatch(/&lt;|&gt;|&amp;|<!channel>/);
    expect(helpNotice.metadata.threadId).not.toBe(refusal.metadata.threadId);
    // The wording's own placeholder is escaped as any value: Slack reads no `<command>` in the
    // notification, and the invocation result still shows it as written.
    expect(notJsonRefusal.content.description).toContain('send {"command":"&lt;command&gt;"}');
    expect(notJsonRefusal.content.description).not.toContain('<command>');
    expect(notJson.message).toContain('send {"command":"<command>"}');
  });

  it('returns the same guarded text as the notification when the payload is hostile, linking and mentioning nothing', async () => {
    // Prepare: keys and a requester claim Slack would parse as a mention, a channel link and links.
    const { deps, pending } = notifying(fakeActions());

    // Act
    const refused = await amazonQCommand(
      { command: 'status', '<!channel>': 'x', '@here http://evil.example': 'y' },
      'req-23',
      deps,
    );
    const accepted = await amazonQCommand(
      { command: 'status', requestedBy: 'http://evil.example/@here' },
      'req-24',
      deps,
    );
    await Promise.all(pending);

    // Assess: each result is the text its notification shows, after the same guards.
    const [refusal, ack] = publishedNotifications();
    expect(refusal.content.description.replaceAll('&lt;', '<').replaceAll('&gt;', '>')).toBe(
      `:x: ${refused.message.replaceAll('<\u200b', '<')}`,
    );
    expect(ack.content.description).toBe(`:hourglass_flowing_sand: ${accepted.message}`);
    for (const answer of [refused, accepted]) {
      expect(answer.message).not.toMatch(/<!channel>|@here|http:\/\/|evil\.example/);
    }
    expect(refused.message.replaceAll('\u200b', '')).toContain(
      'Unrecognized keys: "<!channel>", "@here http://evil.example"',
    );
    expect(accepted.message.replaceAll('\u200b', '')).toContain('amazon-q:claimed:http://evil.example/@here');
  });

  it('returns the refusal as written, with no HTML entity, and publishes it escaped for mrkdwn', async () => {
    // Prepare
    const { deps, pending } = notifying(fakeActions());

    // Act
    const refused = await amazonQCommand({ command: 'status', 'R&D a>b': 'x' }, 'req-25', deps);
    await Promise.all(pending);

    // Assess
    const [refusal] = publishedNotifications();
    expect(refused.message).toContain('Unrecognized key: "R&D a>b"');
    expect(refusal.content.description).toContain('Unrecognized key: "R&amp;D a&gt;b"');
  });

  it('still answers the invocation when the notification cannot be published, and says so in the log and a metric', async () => {
    // Prepare
    sns
      .on(PublishCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AuthorizationErrorException' }));
    const { deps } = notifying(fakeActions());

    // Act
    const help = await amazonQCommand({ command: 'help' }, 'req-23', deps);
    deps.metrics.publishStoredMetrics();

    // Assess
    expect(help.ok).toBe(true);
    expect(output.logs().find((line) => line.message === 'chat notification not delivered')).toMatchObject({
      level: 'ERROR',
      error: { name: 'AuthorizationErrorException' },
    });
    expect(output.metrics()).toMatchObject({ ChatNotificationsNotDelivered: 1 });
  });
});

describe('the chat-action Lambda', () => {
  const command = { name: 'readiness' as const, targets: [] };
  const work = (acceptedAt: Date, responseUrl: string): ChatWork => ({
    command,
    requestedBy: 'slack:T0CERTCTL/U0OPERATOR',
    replyTo: { kind: 'slack', responseUrl },
    requestKey: requestKeyOf(command, 'slack:T0CERTCTL/U0OPERATOR', 'trigger-9'),
    acceptedAt: acceptedAt.toISOString(),
  });

  it('refuses an event that is not chat work, counting it failed and throwing nothing', async () => {
    // Act
    const outcome = await chatAction(
      { command: 'readiness' },
      { actions: fakeActions(), ...observability('chat-action') },
    );

    // Assess
    expect(outcome).toEqual({ outcome: 'failed', delivered: false, posts: 0 });
    expect(output.logs().find((line) => line.message === 'chat work refused')).toBeDefined();
  });

  it('runs work older than Slack’s 30-minute reply window without posting, and says so', async () => {
    // Prepare
    const deps = { actions: fakeActions(), ...observability('chat-action'), replyHosts: ['127.0.0.1'] };
    const url = receiver.responseUrl();

    // Act
    await chatAction(work(new Date(Date.now() - 31 * 60_000), url), deps);
    deps.metrics.publishStoredMetrics();

    // Assess
    expect(receiver.postsTo(url)).toEqual([]);
    expect(output.metrics()).toMatchObject({ ChatCommandsCompleted: 1, ChatAnswersNotDelivered: 1 });
  });

  it('runs and answers only the first delivery of a hand-off, and runs one whose delivery cannot be recorded', async () => {
    // Prepare
    const seen = new Set<string>();
    const actions = fakeActions();
    const url = receiver.responseUrl();
    const firstDelivery = async (key: string): Promise<'claimed' | 'done'> => {
      if (seen.has(key)) return 'done';
      seen.add(key);
      return 'claimed';
    };
    const deps = { actions, ...observability('chat-action'), replyHosts: ['127.0.0.1'], firstDelivery };
    const handOff = work(new Date(), url);

    // Act
    const outcomes = [
      await chatAction(handOff, deps),
      await chatAction(JSON.parse(JSON.stringify(handOff)), deps),
      await chatAction(
        { ...handOff, acceptedAt: new Date(Date.now() + 1000).toISOString() },
        {
          ...deps,
          firstDelivery: async () => {
            throw new Error('table unreachable');
          },
        },
      ),
    ];

    // Assess
    expect(outcomes.map((outcome) => [outcome.outcome, outcome.posts])).toEqual([
      ['completed', 1],
      ['repeat', 0],
      ['completed', 1],
    ]);
    expect(receiver.postsTo(url)).toHaveLength(2);
    expect(output.logs().map((line) => line.message)).toContain(
      'chat work delivery not recorded; running it',
    );
  });

  /** chat-action's dependencies over the deployed claim (the idempotency table), 15 minutes a run. */
  const claimedOver =
    (dynamo: LocalDynamo, clock: () => Date) => (actions: ReturnType<typeof fakeActions>) => ({
      actions,
      ...observability('chat-action'),
      replyHosts: ['127.0.0.1'],
      firstDelivery: dynamoFirstDelivery(dynamo.client, dynamo.tableName, clock),
      deliveryDone: dynamoDeliveryDone(dynamo.client, dynamo.tableName, clock),
      now: clock,
      remainingMs: () => 15 * 60_000,
    });

  it('answers a hand-off delivered again after its first delivery was stopped at the function timeout, and only once', async () => {
    // Prepare: the deployed claim (the idempotency table); the function has 15 minutes per run.
    const dynamo = await startLocalDynamo();
    let clock = new Date();
    const url = receiver.responseUrl();
    const deps = claimedOver(dynamo, () => clock);
    const handOff = work(clock, url);
    // The first delivery's readiness never ends: Lambda stops the function at its timeout and
    // delivers the event again (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
    const stuck = fakeActions();
    stuck.readiness = () => new Promise(() => undefined);
    void chatAction(handOff, deps(stuck));
    await new Promise((resolve) => setTimeout(resolve, 200));

    try {
      // Act: Lambda's retry a minute after the timeout, then a duplicate of the retry.
      clock = new Date(clock.getTime() + 16 * 60_000);
      const retry = await chatAction(handOff, deps(fakeActions()));
      clock = new Date(clock.getTime() + 60_000);
      const duplicate = await chatAction(handOff, deps(fakeActions()));

      // Assess
      expect([retry.outcome, duplicate.outcome]).toEqual(['completed', 'repeat']);
      expect(receiver.postsTo(url)).toHaveLength(1);
    } finally {
      await dynamo.close();
    }
  });

  it('acknowledges a delivery arriving while a crashed run’s marker holds, posting nothing, and runs one after its timeout', async () => {
    // Prepare: the deployed claim; chat-action is not retried (retryAttempts 0), so a delivery
    // finding a running claim is Lambda's duplicate, and failing it would bring nothing back.
    const dynamo = await startLocalDynamo();
    let clock = new Date();
    const url = receiver.responseUrl();
    const deps = claimedOver(dynamo, () => clock)(fakeActions());
    const handOff = work(clock, url);

    try {
      // Act: the first delivery claims and its process dies (no deliveryDone).
      await deps.firstDelivery(deliveryKeyOf(handOff), new Date(clock.getTime() + 15 * 60_000));
      clock = new Date(clock.getTime() + 60_000);
      const duplicate = await chatAction(handOff, deps);
      const postsWhileClaimed = receiver.postsTo(url).length;
      clock = new Date(clock.getTime() + 15 * 60_000);
      const late = await chatAction(handOff, deps);

      // Assess
      expect([duplicate.outcome, late.outcome]).toEqual(['running', 'completed']);
      expect(postsWhileClaimed).toBe(0);
      expect(receiver.postsTo(url)).toHaveLength(1);
    } finally {
      await dynamo.close();
    }
  });

  it('stops waiting for snapshots a minute before the function times out', async () => {
    // Prepare
    const now = new Date('2026-12-02T10:00:00Z');
    const requests: ChatSnapshotRequest[] = [];
    const actions = fakeActions();
    const snapshot = actions.snapshot.bind(actions);
    const url = receiver.responseUrl();
    const snapshotCommand = { name: 'snapshot' as const, targets: ['db1'], reason: 'r', ticket: 'CHG-1' };

    // Act
    await chatAction(
      {
        ...work(new Date(), url),
        command: snapshotCommand,
        requestKey: requestKeyOf(snapshotCommand, 'x', 'y'),
      },
      {
        actions: {
          ...actions,
          snapshot: (request, onProgress) => {
            requests.push(request);
            return snapshot(request, onProgress);
          },
        },
        ...observability('chat-action'),
        replyHosts: ['127.0.0.1'],
        now: () => now,
        remainingMs: () => 900_000,
      },
    );

    // Assess
    expect(requests[0]?.waitUntil?.toISOString()).toBe(
      new Date(now.getTime() + 900_000 - ANSWER_MARGIN_MS).toISOString(),
    );
  });
});

describe('the chat-amazon-q handler as deployed', () => {
  it('answers with { ok, message } and never throws (a stack trace in the channel) when its configuration is missing', async () => {
    // Prepare: a deployment that lost BACKUP_GUARD_CHAT_ACTION_FUNCTION.
    const saved = process.env.BACKUP_GUARD_CHAT_ACTION_FUNCTION;
    delete process.env.BACKUP_GUARD_CHAT_ACTION_FUNCTION;
    const { handler } = await import('../../../functions/handlers/aws/chat-amazon-q.ts');

    try {
      // Act
      const help = await handler({ command: 'help' }, { awsRequestId: 'req-h' });
      const status = await handler({ command: 'status' }, { awsRequestId: 'req-s' });

      // Assess: help needs no action function; the rest is a generic failure, details in the log.
      expect(help).toEqual({ ok: true, message: expect.stringContaining('backup-guard commands:') });
      expect(status).toEqual({
        ok: false,
        message: 'Something went wrong on our side; the details are in the backup-guard logs.',
      });
      expect(output.logs().some((line) => String(line.message).includes('chat command failed'))).toBe(true);
    } finally {
      if (saved !== undefined) process.env.BACKUP_GUARD_CHAT_ACTION_FUNCTION = saved;
    }
  });
});
