/**
 * The simulated services the chat functions hand off and answer through, against the real clients:
 * SNS `Publish` (query protocol) and Lambda `Invoke` (REST-JSON) over in-process handlers with the
 * AWS SDK, Pub/Sub `topics.publish` (REST) with google-auth-library's client. Each answers what the
 * service answers, including the errors it declares.
 */
import { InvokeCommand, LambdaClient, type LambdaServiceException } from '@aws-sdk/client-lambda';
import { PublishCommand, SNSClient, type SNSServiceException } from '@aws-sdk/client-sns';
import { PassThroughClient } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simCredentials } from './accounts.ts';
import { type Sim, startSim } from './server.ts';
import { LAMBDA_SERVICE, type LambdaService, type SimLambdaContext } from './services/lambda.ts';
import { PUBSUB_SERVICE, type PubsubService } from './services/pubsub.ts';
import { MAX_MESSAGE_BYTES, SNS_SERVICE, type SnsService, topicArn } from './services/sns.ts';

const REGION = 'eu-west-1';
const TOPIC = topicArn(REGION, '111111111111', 'certctl-backup-guard-chat');
let sim: Sim;
let sns: SNSClient;
let lambda: LambdaClient;

/** A client of `Client` for `account`'s base credentials on the simulator. */
function clientOf<C>(Client: new (config: object) => C, account = '111111111111'): C {
  return new Client({
    region: REGION,
    endpoint: sim.endpoint,
    credentials: simCredentials(account),
    maxAttempts: 1,
  });
}

beforeAll(async () => {
  sim = await startSim({
    scenario: { services: { sns: { topics: [{ name: 'certctl-backup-guard-chat', region: REGION }] } } },
  });
  sns = clientOf(SNSClient);
  lambda = clientOf(LambdaClient);
});
afterAll(async () => {
  sns.destroy();
  lambda.destroy();
  await sim.close();
});

async function rejection<E>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected the call to fail');
}

describe('simulated SNS Publish', () => {
  it('keeps a published message under the id it answers with', async () => {
    // Act
    const answer = await sns.send(
      new PublishCommand({
        TopicArn: TOPIC,
        Message: '{"version":"1.0"}',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'chat' } },
      }),
    );

    // Assess
    const stored = sim.service<SnsService>(SNS_SERVICE).published(TOPIC).at(-1);
    expect(stored).toMatchObject({
      messageId: answer.MessageId,
      message: '{"version":"1.0"}',
      attributes: { kind: { DataType: 'String', StringValue: 'chat' } },
    });
  });

  it('answers NotFound for a topic that does not exist and InvalidParameter for another region’s', async () => {
    // Act
    const missing = await rejection<SNSServiceException>(
      sns.send(new PublishCommand({ TopicArn: topicArn(REGION, '111111111111', 'nope'), Message: 'x' })),
    );
    const elsewhere = await rejection<SNSServiceException>(
      sns.send(new PublishCommand({ TopicArn: topicArn('us-east-1', '111111111111', 'x'), Message: 'x' })),
    );

    // Assess
    expect([missing.name, missing.$metadata.httpStatusCode, missing.message]).toEqual([
      'NotFoundException',
      404,
      'Topic does not exist',
    ]);
    expect([elsewhere.name, elsewhere.message]).toEqual([
      'InvalidParameterException',
      'Invalid parameter: TopicArn',
    ]);
  });

  it('refuses an empty message, one over 256 KB, a bad subject and a json structure without default', async () => {
    // Act
    const refusals = await Promise.all(
      [
        { Message: '' },
        { Message: 'é'.repeat(MAX_MESSAGE_BYTES / 2 + 1) },
        { Message: 'x', Subject: 'two\nlines' },
        { Message: '{"email":"x"}', MessageStructure: 'json' },
      ].map((input) =>
        rejection<SNSServiceException>(sns.send(new PublishCommand({ TopicArn: TOPIC, ...input }))).then(
          (error) => `${error.name}: ${error.message}`,
        ),
      ),
    );

    // Assess
    expect(refusals).toEqual([
      'InvalidParameterException: Invalid parameter: Empty message',
      'InvalidParameterException: Invalid parameter: Message too long',
      'InvalidParameterException: Invalid parameter: Subject',
      'InvalidParameterException: Invalid parameter: Message Structure - No default entry in JSON message body',
    ]);
  });

  it('refuses a publish to another account’s topic and an unsigned request', async () => {
    // Prepare
    const stranger = clientOf(SNSClient, '222222222222');

    // Act
    const denied = await rejection<SNSServiceException>(
      stranger.send(new PublishCommand({ TopicArn: TOPIC, Message: 'x' })),
    );
    const unsigned = await fetch(sim.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `Action=Publish&Version=2010-03-31&TopicArn=${encodeURIComponent(TOPIC)}&Message=x`,
    });
    stranger.destroy();

    // Assess
    expect([denied.name, denied.$metadata.httpStatusCode]).toEqual(['AuthorizationErrorException', 403]);
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toContain('<Code>MissingAuthenticationToken</Code>');
  });
});

describe('simulated Lambda Invoke', () => {
  function deploy(name: string, handler: (event: unknown, context: SimLambdaContext) => unknown, extra = {}) {
    return sim
      .service<LambdaService>(LAMBDA_SERVICE)
      .deploy({ name, region: REGION, timeoutSeconds: 3, handler, ...extra });
  }

  it('runs the handler synchronously with its context and answers with the result', async () => {
    // Prepare
    const arn = deploy('echo', (event, context) => ({
      event,
      requestId: context.awsRequestId,
      arn: context.invokedFunctionArn,
      remaining: context.getRemainingTimeInMillis(),
    }));

    // Act
    const answer = await lambda.send(
      new InvokeCommand({ FunctionName: arn, Payload: new TextEncoder().encode('{"command":"help"}') }),
    );

    // Assess
    expect(answer.StatusCode).toBe(200);
    expect(answer.ExecutedVersion).toBe('$LATEST');
    const result = JSON.parse(new TextDecoder().decode(answer.Payload));
    expect(result).toMatchObject({ event: { command: 'help' }, arn });
    expect(result.remaining).toBeGreaterThan(0);
    expect(result.remaining).toBeLessThanOrEqual(3000);
  });

  it('answers an asynchronous invoke with 202 before the handler runs, delivering each event as configured', async () => {
    // Prepare
    const lambdaSim = sim.service<LambdaService>(LAMBDA_SERVICE);
    const seen: { event: unknown; requestId: string }[] = [];
    deploy('worker', (event, context) => void seen.push({ event, requestId: context.awsRequestId }), {
      asyncDeliveries: 2,
    });
    lambdaSim.hold();

    // Act
    const answer = await lambda.send(
      new InvokeCommand({
        FunctionName: 'worker',
        InvocationType: 'Event',
        Payload: new TextEncoder().encode('{"n":1}'),
      }),
    );
    const ranBeforeRelease = seen.length;
    lambdaSim.release();
    await lambdaSim.settle();

    // Assess
    expect(answer.StatusCode).toBe(202);
    expect(ranBeforeRelease).toBe(0);
    expect(seen.map((run) => run.event)).toEqual([{ n: 1 }, { n: 1 }]);
    // A repeated delivery is the same invocation: the same request id.
    expect(new Set(seen.map((run) => run.requestId)).size).toBe(1);
  });

  it('retries an asynchronous event whose handler threw, as often as the function allows', async () => {
    // Prepare
    const lambdaSim = sim.service<LambdaService>(LAMBDA_SERVICE);
    deploy(
      'flaky',
      () => {
        throw new Error('boom');
      },
      { retryAttempts: 1 },
    );

    // Act
    await lambda.send(new InvokeCommand({ FunctionName: 'flaky', InvocationType: 'Event' }));
    await lambdaSim.settle();

    // Assess
    expect(lambdaSim.invocations('flaky').map((run) => [run.attempt, run.outcome])).toEqual([
      [1, 'threw'],
      [2, 'threw'],
    ]);
  });

  it('reports a handler error and a timeout as Lambda does: 200 with X-Amz-Function-Error', async () => {
    // Prepare
    deploy('broken', () => {
      throw new TypeError('no such field');
    });
    deploy('slow', () => new Promise((resolve) => setTimeout(resolve, 1500)), { timeoutSeconds: 1 });

    // Act
    const broken = await lambda.send(new InvokeCommand({ FunctionName: 'broken' }));
    const slow = await lambda.send(new InvokeCommand({ FunctionName: 'slow' }));

    // Assess
    expect([broken.StatusCode, broken.FunctionError]).toEqual([200, 'Unhandled']);
    expect(JSON.parse(new TextDecoder().decode(broken.Payload))).toMatchObject({
      errorType: 'TypeError',
      errorMessage: 'no such field',
    });
    expect(slow.FunctionError).toBe('Unhandled');
    expect(JSON.parse(new TextDecoder().decode(slow.Payload))).toMatchObject({
      errorType: 'Sandbox.Timedout',
      errorMessage: expect.stringContaining('Task timed out after 1.00 seconds'),
    });
  });

  it('refuses an unknown function, a payload that is not JSON, an oversized event and a bad invocation type', async () => {
    // Prepare
    deploy('target', () => 'ok');

    // Act
    const errors = await Promise.all(
      [
        new InvokeCommand({ FunctionName: 'missing' }),
        new InvokeCommand({ FunctionName: 'target:v2' }),
        new InvokeCommand({ FunctionName: 'target', Payload: new TextEncoder().encode('{"command": ') }),
        new InvokeCommand({
          FunctionName: 'target',
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify({ pad: 'x'.repeat(1024 * 1024) })),
        }),
        new InvokeCommand({ FunctionName: 'target', InvocationType: 'Later' as 'Event' }),
        new InvokeCommand({ FunctionName: 'bad name' }),
      ].map((command) =>
        rejection<LambdaServiceException>(lambda.send(command)).then((error) => [
          error.name,
          error.$metadata.httpStatusCode,
        ]),
      ),
    );

    // Assess
    expect(errors).toEqual([
      ['ResourceNotFoundException', 404],
      ['ResourceNotFoundException', 404],
      ['InvalidRequestContentException', 400],
      ['RequestTooLargeException', 413],
      ['InvalidParameterValueException', 400],
      ['InvalidParameterValueException', 400],
    ]);
  });

  it('refuses to invoke another account’s function', async () => {
    // Prepare
    const arn = deploy('private', () => 'ok');
    const stranger = clientOf(LambdaClient, '222222222222');

    // Act
    const denied = await rejection<LambdaServiceException>(
      stranger.send(new InvokeCommand({ FunctionName: arn })),
    );
    stranger.destroy();

    // Assess
    expect([denied.name, denied.$metadata.httpStatusCode]).toEqual(['AccessDeniedException', 403]);
  });
});

describe('simulated Pub/Sub topics.publish', () => {
  const TOPIC_PATH = 'projects/certctl-ops/topics/certctl-backup-guard-chat';
  let gcp: Sim;
  beforeAll(async () => {
    gcp = await startSim({
      scenario: {
        services: { pubsub: { topics: [{ project: 'certctl-ops', name: 'certctl-backup-guard-chat' }] } },
      },
    });
  });
  afterAll(async () => {
    await gcp.close();
  });

  /** A publish as google-auth-library sends it against a local endpoint (no credentials). */
  async function publish(body: unknown, topic = TOPIC_PATH) {
    const response = await new PassThroughClient().request<{
      messageIds?: string[];
      error?: { status: string; message: string };
    }>({
      url: `${gcp.endpoint}/v1/${topic}:publish`,
      method: 'POST',
      data: body,
      validateStatus: () => true,
    });
    return { status: response.status, body: response.data };
  }

  it('answers the message ids in order and keeps each message for its push', async () => {
    // Act
    const answer = await publish({
      messages: [
        { data: Buffer.from('{"n":1}').toString('base64'), attributes: { kind: 'chat' } },
        { attributes: { only: 'attributes' } },
      ],
    });

    // Assess
    expect(answer.status).toBe(200);
    const ids = answer.body.messageIds ?? [];
    expect(ids).toHaveLength(2);
    const pubsub = gcp.service<PubsubService>(PUBSUB_SERVICE);
    expect(pubsub.messages(TOPIC_PATH).map((message) => message.messageId)).toEqual(ids);
    expect(pubsub.pushEvents(TOPIC_PATH)[0]).toMatchObject({
      data: {
        message: {
          data: Buffer.from('{"n":1}').toString('base64'),
          attributes: { kind: 'chat' },
          messageId: ids[0],
        },
        subscription: 'projects/certctl-ops/subscriptions/eventarc-certctl-backup-guard-chat-sub',
      },
    });
  });

  it('answers NOT_FOUND for an unknown topic and INVALID_ARGUMENT for what the service refuses', async () => {
    // Act
    const missing = await publish({ messages: [{ data: 'eA==' }] }, 'projects/certctl-ops/topics/nope');
    const refused = await Promise.all(
      [
        { messages: [] },
        { messages: [{}] },
        { messages: [{ data: 'not base64!' }] },
        { messages: [{ data: 'eA==', attributes: { googClient: 'x' } }] },
        { messages: [{ data: 'eA==', attributes: { big: 'x'.repeat(1025) } }] },
        { messages: [{ data: 'eA==', extra: 1 }] },
        { messages: Array.from({ length: 1001 }, () => ({ data: 'eA==' })) },
        { message: [{ data: 'eA==' }] },
      ].map((body) => publish(body).then((answer) => [answer.status, answer.body.error?.status])),
    );

    // Assess
    expect([missing.status, missing.body.error?.status, missing.body.error?.message]).toEqual([
      404,
      'NOT_FOUND',
      'Resource not found (resource=nope).',
    ]);
    expect(refused).toEqual(Array.from({ length: 8 }, () => [400, 'INVALID_ARGUMENT']));
    expect(gcp.service<PubsubService>(PUBSUB_SERVICE).messages(TOPIC_PATH)).toHaveLength(2);
  });
});
