/**
 * `chat-unfinished`: the on-failure destination of `chat-action`. A run that crashed, timed out or
 * was never started reaches it as Lambda's invocation record (the original hand-off in
 * `requestPayload`, why in `requestContext.condition` and `responseContext.functionError`:
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html), and the
 * person who typed the command is told, through the path a normal answer takes: Slack's
 * response_url (a receiver on 127.0.0.1) or the Amazon Q channel's topic. The delivery markers are
 * in a real DynamoDB on 127.0.0.1 (dynalite), the table `chat-action` writes them to.
 */
import type { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dynamoDeliveryDone, dynamoFirstDelivery } from '../../../functions/aws/chat-deliveries.ts';
import { UnansweredRunError } from '../../../functions/chatops/unfinished.ts';
import { type ChatWork, deliveryKeyOf, requestKeyOf } from '../../../functions/chatops/work.ts';
import { POLICY_ENV, POLICY_FILE_ENV } from '../../../functions/core/policy.ts';
import { chatUnfinished, handler } from '../../../functions/handlers/aws/chat-unfinished.ts';
import { createObservability } from '../../../functions/handlers/aws/observability.ts';
import { IDEMPOTENCY_TABLE_ENV } from '../../../functions/jobs/idempotency-table.ts';
import { type LocalDynamo, startLocalDynamo } from '../../jobs/dynalite.ts';
import {
  type SlackReceiver,
  slackHostFetch,
  slackView,
  startSlackReceiver,
} from '../../sim/slack-receiver.ts';
import { type CapturedOutput, capturePowertoolsOutput } from './powertools-output.ts';

const CANARY = 'CANARY-slack-signing-secret-in-a-crash-message-7c1e';
const ACTION_ARN = 'arn:aws:lambda:eu-west-1:111111111111:function:certctl-backup-guard-chat-action';

let dynamo: LocalDynamo;
let receiver: SlackReceiver;
let output: CapturedOutput;
let obs: ReturnType<typeof createObservability>;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
  receiver = await startSlackReceiver();
});
afterAll(async () => {
  await receiver.close();
  await dynamo.close();
});
beforeEach(() => {
  output = capturePowertoolsOutput();
  obs = createObservability('chat-unfinished');
});
afterEach(() => {
  output.restore();
});

function snapshotWork(overrides: Partial<ChatWork> = {}): ChatWork {
  const command = {
    name: 'snapshot' as const,
    targets: ['certctl-prod-db'],
    reason: 'CA rotation',
    ticket: `CHG-${Math.floor(Math.random() * 1e6)}`,
  };
  return {
    command,
    requestedBy: 'slack:T0CERTCTL/U0OPERATOR',
    replyTo: { kind: 'slack', responseUrl: receiver.responseUrl() },
    requestKey: requestKeyOf(command, 'slack', 'trigger-1'),
    acceptedAt: new Date().toISOString(),
    ...overrides,
  };
}

/** The invocation record Lambda sends the on-failure destination (the shape of the Lambda docs). */
function invocationRecord(
  work: unknown,
  failure: { condition: string; functionError?: string; errorType?: string; errorMessage?: string },
) {
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId: 'b5f1c4a0-1db7-4aca-ad10-d9ca1234c1fd',
      functionArn: `${ACTION_ARN}:$LATEST`,
      condition: failure.condition,
      approximateInvokeCount: failure.condition === 'EventAgeExceeded' ? 0 : 1,
    },
    requestPayload: work,
    ...(failure.functionError
      ? {
          responseContext: {
            statusCode: 200,
            executedVersion: '$LATEST',
            functionError: failure.functionError,
          },
          responsePayload: { errorType: failure.errorType, errorMessage: failure.errorMessage },
        }
      : {}),
  };
}

function deps(extra: Partial<Parameters<typeof chatUnfinished>[1]> = {}) {
  return {
    ...obs,
    dynamo: dynamo.client,
    tableName: dynamo.tableName,
    replyHosts: [new URL(receiver.origin).host],
    remainingMs: () => 30_000,
    ...extra,
  };
}

describe('chat-unfinished: a chat run that did not finish is answered where it was asked', () => {
  it('tells the Slack user a snapshot that timed out had started, and to run it again, once for a record delivered twice', async () => {
    // Prepare: chat-action claimed the delivery (its run started) and was stopped at its timeout.
    const work = snapshotWork();
    await dynamoFirstDelivery(dynamo.client, dynamo.tableName)(
      deliveryKeyOf(work),
      new Date(Date.now() + 900_000),
    );
    const record = invocationRecord(work, {
      condition: 'RetriesExhausted',
      functionError: 'Unhandled',
      errorType: 'Sandbox.Timedout',
      errorMessage: 'RequestId: b5f1 Error: Task timed out after 900.00 seconds',
    });

    // Act: Lambda may deliver the record twice, at once too.
    const outcomes = await Promise.all([chatUnfinished(record, deps()), chatUnfinished(record, deps())]);
    const later = await chatUnfinished(record, deps());

    // Assess
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['answered', 'repeat']);
    expect(later.outcome).toBe('repeat');
    const posts = receiver.postsTo(work.replyTo.kind === 'slack' ? work.replyTo.responseUrl : '');
    expect(posts).toHaveLength(1);
    const view = slackView(posts[0]?.message ?? { text: '' });
    expect(posts[0]?.message.text).toBe('`snapshot` did not finish');
    expect(view).toContain(
      `\`snapshot\` for *${(work.command as { ticket: string }).ticket}* did not finish`,
    );
    expect(view).toContain('stopped at its time limit');
    expect(view).toContain('It had started');
    expect(view).toMatch(/run the same command again/i);
    expect(posts[0]?.message.response_type).toBeUndefined();
  });

  it('says a command that waited too long in the queue never started', async () => {
    // Prepare: no marker: chat-action never ran it.
    const command = { name: 'readiness' as const, targets: [] };
    const work = snapshotWork({ command, requestKey: requestKeyOf(command, 'slack', 'trigger-2') });

    // Act
    const outcome = await chatUnfinished(invocationRecord(work, { condition: 'EventAgeExceeded' }), deps());

    // Assess
    expect(outcome.outcome).toBe('answered');
    const view = slackView(
      receiver.postsTo((work.replyTo as { responseUrl: string }).responseUrl)[0]?.message ?? { text: '' },
    );
    expect(view).toContain('`readiness` did not finish');
    expect(view).toContain('never started');
    expect(view).toContain('nothing was done');
  });

  it('does not answer again a run that answered before its function failed', async () => {
    // Prepare: the run ended (its marker held done) and the function failed afterwards.
    const work = snapshotWork();
    await dynamoFirstDelivery(dynamo.client, dynamo.tableName)(
      deliveryKeyOf(work),
      new Date(Date.now() + 900_000),
    );
    await dynamoDeliveryDone(dynamo.client, dynamo.tableName)(deliveryKeyOf(work));

    // Act
    const outcome = await chatUnfinished(
      invocationRecord(work, {
        condition: 'RetriesExhausted',
        functionError: 'Unhandled',
        errorType: 'Error',
      }),
      deps(),
    );

    // Assess
    expect(outcome.outcome).toBe('answered-by-run');
    expect(receiver.postsTo((work.replyTo as { responseUrl: string }).responseUrl)).toEqual([]);
  });

  it('publishes to the Amazon Q channel topic in the thread of the request', async () => {
    // Prepare
    const work = snapshotWork({ replyTo: { kind: 'amazon-q' }, requestedBy: 'amazon-q:channel' });
    const published: { TopicArn?: string; Message?: string }[] = [];
    const sns = {
      send: async (command: { input: { TopicArn?: string; Message?: string } }) => {
        published.push(command.input);
        return {};
      },
    } as unknown as Pick<SNSClient, 'send'>;
    const topicArn = 'arn:aws:sns:eu-west-1:111111111111:certctl-backup-guard-chat-answers';

    // Act
    const outcome = await chatUnfinished(
      invocationRecord(work, {
        condition: 'RetriesExhausted',
        functionError: 'Unhandled',
        errorType: 'Runtime.ExitError',
      }),
      deps({ notifications: { client: sns, topicArn } }),
    );

    // Assess
    expect(outcome.outcome).toBe('answered');
    expect(published).toHaveLength(1);
    expect(published[0]?.TopicArn).toBe(topicArn);
    const note = JSON.parse(published[0]?.Message ?? '{}');
    expect(note.metadata.threadId).toBe(work.requestKey.slice(0, 32));
    expect(note.content.description).toContain('failed on our side');
  });

  it('throws, so the record goes to the alarmed dead-letter queue, when the answer cannot be delivered', async () => {
    // Prepare: Slack's 30-minute reply window has passed; Slack refuses; no Amazon Q topic; not a chat hand-off.
    const stale = snapshotWork({ acceptedAt: new Date(Date.now() - 31 * 60_000).toISOString() });
    const refused = snapshotWork();
    const amazonQ = snapshotWork({ replyTo: { kind: 'amazon-q' } });
    const failure = { condition: 'RetriesExhausted', functionError: 'Unhandled', errorType: 'Error' };

    // Act
    const staleError = await chatUnfinished(invocationRecord(stale, failure), deps()).catch((e: Error) => e);
    receiver.failWith(410);
    const refusedError = await chatUnfinished(invocationRecord(refused, failure), deps()).catch(
      (e: Error) => e,
    );
    receiver.failWith(undefined);
    const noTopicError = await chatUnfinished(invocationRecord(amazonQ, failure), deps()).catch(
      (e: Error) => e,
    );
    const notWorkError = await chatUnfinished(invocationRecord({ command: 'x' }, failure), deps()).catch(
      (e: Error) => e,
    );
    const notRecordError = await chatUnfinished({ hello: 'world' }, deps()).catch((e: Error) => e);
    // Slack accepts again: Lambda retries the refused record a minute later, past the claim of
    // the attempt that failed (held until that attempt's timeout), and answers it once.
    const minuteLater = () => new Date(Date.now() + 60_000);
    const retried = await chatUnfinished(invocationRecord(refused, failure), deps({ now: minuteLater }));
    const again = await chatUnfinished(invocationRecord(refused, failure), deps({ now: minuteLater }));

    obs.metrics.publishStoredMetrics();

    // Assess
    for (const error of [staleError, refusedError, noTopicError, notWorkError, notRecordError]) {
      expect(error).toBeInstanceOf(Error);
    }
    expect((staleError as Error).message).toContain('reply window');
    expect((noTopicError as Error).message).toContain('notification topic');
    expect((notRecordError as Error).message).toContain('invocation record');
    expect([retried.outcome, again.outcome]).toEqual(['answered', 'repeat']);
    expect(receiver.postsTo((refused.replyTo as { responseUrl: string }).responseUrl)).toHaveLength(1);
    expect(output.metrics().ChatAnswersNotDelivered).toBeGreaterThanOrEqual(4);
  });

  it('never repeats what the crashed function said, so a secret in its error reaches no answer or log', async () => {
    // Prepare
    const work = snapshotWork();
    const record = invocationRecord(work, {
      condition: 'RetriesExhausted',
      functionError: 'Unhandled',
      errorType: 'Error',
      errorMessage: `could not read the secret: ${CANARY}`,
    });

    // Act
    await chatUnfinished(record, deps());
    obs.metrics.publishStoredMetrics();

    // Assess
    const posts = receiver.postsTo((work.replyTo as { responseUrl: string }).responseUrl);
    expect(posts).toHaveLength(1);
    expect(output.text()).toContain('chat run did not finish');
    for (const text of [JSON.stringify(posts), output.text()]) {
      expect(text).not.toContain(CANARY);
      expect(text).not.toContain((work.replyTo as { responseUrl: string }).responseUrl);
    }
  });

  it('throws a record it cannot answer from the deployed handler with its message and no stack frame, as an expected condition already logged', async () => {
    // Prepare: the deployment's environment; an event that is no invocation record of chat work.
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      [IDEMPOTENCY_TABLE_ENV]: dynamo.tableName,
    });
    const context = {
      awsRequestId: 'unfinished-2',
      functionName: 'chat-unfinished',
      getRemainingTimeInMillis: () => 30_000,
    } as never;

    // Act: what the Lambda runtime prints with its Invoke Error line is the thrown error's stack.
    let thrown: unknown;
    try {
      await handler({ hello: 'world' }, context);
    } catch (error) {
      thrown = error;
    } finally {
      process.env = saved;
    }

    // Assess: still thrown (Lambda retries it, then the alarmed dead-letter queue keeps it), and
    // logged once as ERROR with its message; its frames would tell nobody more.
    expect(thrown).toBeInstanceOf(UnansweredRunError);
    expect((thrown as Error).stack).toBe(
      'UnansweredRunError: the event is not a Lambda invocation record of chat work',
    );
    expect(output.text()).toContain('chat run did not finish and could not be answered');
    expect(output.text()).not.toMatch(/^\s+at /m);
  });

  it('answers from the deployed handler with only the environment the deployment gives it, even when the policy that may have crashed chat-action cannot be read', async () => {
    // Prepare: Slack's host routed to the receiver; the table and its endpoint from the environment.
    const work = snapshotWork();
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: CANARY,
      [IDEMPOTENCY_TABLE_ENV]: dynamo.tableName,
      [POLICY_ENV]: '{ not a policy',
    });
    delete process.env[POLICY_FILE_ENV];
    const realFetch = globalThis.fetch;
    globalThis.fetch = slackHostFetch(receiver);
    const slackUrl = `https://hooks.slack.com${new URL((work.replyTo as { responseUrl: string }).responseUrl).pathname}`;
    const record = invocationRecord(
      { ...work, replyTo: { kind: 'slack', responseUrl: slackUrl } },
      { condition: 'RetriesExhausted', functionError: 'Unhandled', errorType: 'PolicyError' },
    );
    const context = {
      awsRequestId: 'unfinished-1',
      functionName: 'chat-unfinished',
      getRemainingTimeInMillis: () => 30_000,
    } as never;

    // Act
    let result: unknown;
    try {
      result = await handler(record, context);
    } finally {
      globalThis.fetch = realFetch;
      process.env = saved;
    }

    // Assess
    expect(result).toEqual({ outcome: 'answered' });
    const posts = receiver.postsTo(slackUrl);
    expect(posts).toHaveLength(1);
    expect(slackView(posts[0]?.message ?? { text: '' })).toContain('failed on our side');
    expect(output.text()).not.toContain(CANARY);
  });
});
