/**
 * The chat Lambdas as deployed, every hop over a real SDK client and the wire. Amazon Q Developer:
 * the custom action's `lambda invoke` of `chat-amazon-q` (through the simulated Lambda Invoke API),
 * its hand-off to `chat-action` through the real `LambdaClient` (`InvocationType: 'Event'`,
 * delivered twice, as Lambda may), the snapshot job against the simulated RDS with its idempotency
 * records in a real DynamoDB on 127.0.0.1 (dynalite), and the answer published to the channel's
 * topic through the real `SNSClient` to the simulated SNS. Slack: `chat-slack` reading its signing
 * secret from the simulated Secrets Manager through Powertools Parameters, the same hand-off, and
 * the answer posted to the response_url (Slack's host routed to a receiver on 127.0.0.1). Every
 * function runs its own container wiring from the environment the deployment gives it, with the
 * timeouts and retries it gives it (infra/chat-ops.ts); the execution role's secret key and the
 * signing secret are canaries that must surface nowhere.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CHAT_ACTION_FUNCTION_ENV } from '../../functions/aws/chat-dispatch.ts';
import { CHAT_NOTIFICATION_TOPIC_ENV } from '../../functions/aws/chat-notifications.ts';
import { LEDGER_BUCKET_ENV } from '../../functions/aws/ledger-location.ts';
import { SLACK_SECRET_ENV } from '../../functions/aws/slack-secret.ts';
import type { AmazonQNotification } from '../../functions/chatops/amazon-q.ts';
import { POLICY_ENV } from '../../functions/core/policy.ts';
import { handler as chatActionHandler } from '../../functions/handlers/aws/chat-action.ts';
import { handler as chatAmazonQHandler } from '../../functions/handlers/aws/chat-amazon-q.ts';
import { handler as chatSlackHandler } from '../../functions/handlers/aws/chat-slack.ts';
import { IDEMPOTENCY_TABLE_ENV } from '../../functions/jobs/idempotency.ts';
import {
  AMAZON_Q_COMMAND_TEXT,
  AMAZON_Q_FUNCTION_NAME,
  CHAT_FUNCTION_SETTINGS,
} from '../../infra/chat-ops.ts';
import { type CapturedOutput, capturePowertoolsOutput } from '../handlers/aws/powertools-output.ts';
import { type LocalDynamo, startLocalDynamo } from '../jobs/dynalite.ts';
import { baseAccessKeyId } from '../sim/accounts.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { LAMBDA_SERVICE, type LambdaService, type SimLambdaHandler } from '../sim/services/lambda.ts';
import type { RdsService } from '../sim/services/rds.ts';
import { SNS_SERVICE, type SnsService, topicArn } from '../sim/services/sns.ts';
import { signedSlackEvent, slashCommandForm } from '../sim/slack-client.ts';
import { type SlackReceiver, slackHostFetch, slackView, startSlackReceiver } from '../sim/slack-receiver.ts';
import { snapshotScenario } from './snapshot-support.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '111111111111';
const CANARY = 'CANARY-amazon-q-execution-role-secret-5e0d';
const SIGNING_CANARY = 'CANARY-slack-signing-secret-in-secrets-manager-2f9a';
const SIGNING_SECRET_NAME = 'certctl-backup-guard/slack-signing-secret';
const TOPIC_NAME = 'certctl-backup-guard-chat-answers';
const TOPIC = topicArn(REGION, ACCOUNT, TOPIC_NAME);
const ACTION_FUNCTION = 'certctl-backup-guard-chat-action';
/** Amazon Q Developer stops a CLI command after 15 seconds (cloud-api-facts.md, Amazon Q). */
const AMAZON_Q_LIMIT_SECONDS = 15;

let sim: Sim;
let dynamo: LocalDynamo;
let lambdaSim: LambdaService;
let output: CapturedOutput;
let receiver: SlackReceiver;
const savedEnv = { ...process.env };
const LEDGER_BUCKET = 'certctl-backup-guard-ledger';

beforeAll(async () => {
  const scenario = snapshotScenario();
  sim = await startSim({
    scenario: {
      ...scenario,
      services: {
        ...scenario.services,
        sns: { topics: [{ name: TOPIC_NAME, region: REGION }] },
        secretsManager: { secrets: [{ name: SIGNING_SECRET_NAME, region: REGION, value: SIGNING_CANARY }] },
        // The import ledgers' bucket, before any audit has published.
        s3: { buckets: [{ name: LEDGER_BUCKET, region: REGION }] },
      },
    },
  });
  receiver = await startSlackReceiver();
  // Slack's response_url host, answered by the receiver on 127.0.0.1: nothing leaves the machine.
  vi.stubGlobal('fetch', slackHostFetch(receiver));
  dynamo = await startLocalDynamo();
  // The environment Lambda and the deployment give both functions; SDK v3 honours the endpoints.
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL: sim.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ACCESS_KEY_ID: baseAccessKeyId(ACCOUNT),
    AWS_SECRET_ACCESS_KEY: CANARY,
    [POLICY_ENV]: JSON.stringify({
      aws: { regions: [REGION, 'us-east-1'] },
      pitr: { minPitrDays: 7 },
      chatops: {
        slack: { teams: ['T0CERTCTL'] },
        permissions: { snapshot: ['U0OPERATOR'], readiness: ['*'], status: ['*'] },
      },
      snapshots: { pollInitialSeconds: 0.05, pollMaxSeconds: 0.1, waitMinutes: 0.2 },
    }),
    [IDEMPOTENCY_TABLE_ENV]: dynamo.tableName,
    [CHAT_ACTION_FUNCTION_ENV]: ACTION_FUNCTION,
    [CHAT_NOTIFICATION_TOPIC_ENV]: TOPIC,
    [SLACK_SECRET_ENV]: SIGNING_SECRET_NAME,
    [LEDGER_BUCKET_ENV]: LEDGER_BUCKET,
  });
  lambdaSim = sim.service<LambdaService>(LAMBDA_SERVICE);
  lambdaSim.deploy({
    name: AMAZON_Q_FUNCTION_NAME,
    region: REGION,
    ...CHAT_FUNCTION_SETTINGS.amazonQ,
    handler: chatAmazonQHandler as SimLambdaHandler,
  });
  lambdaSim.deploy({
    name: ACTION_FUNCTION,
    region: REGION,
    ...CHAT_FUNCTION_SETTINGS.action,
    // Lambda delivers an asynchronous event at least once: here, always twice at the same time.
    asyncDeliveries: 2,
    handler: chatActionHandler as unknown as SimLambdaHandler,
  });
  output = capturePowertoolsOutput();
});
afterAll(async () => {
  output.restore();
  vi.unstubAllGlobals();
  process.env = savedEnv;
  await receiver.close();
  await dynamo.close();
  await sim.close();
});

/**
 * What the channel runs for `@Amazon Q run backup-guard` with `command` set: the custom action's
 * command text (infra/chat-ops.ts) with `$command` filled in, as the channel role's `lambda invoke`.
 */
function customActionInvoke(command: string): InvokeCommand {
  const parsed = /^lambda invoke --function-name (\S+) --payload (\{.*\})$/.exec(AMAZON_Q_COMMAND_TEXT);
  if (!parsed?.[1] || !parsed[2]) throw new Error(`unexpected custom action: ${AMAZON_Q_COMMAND_TEXT}`);
  return new InvokeCommand({
    FunctionName: parsed[1],
    Payload: new TextEncoder().encode(parsed[2].replace('$command', command)),
  });
}

function notifications(): AmazonQNotification[] {
  return sim
    .service<SnsService>(SNS_SERVICE)
    .published(TOPIC)
    .map((message) => JSON.parse(message.message) as AmazonQNotification);
}

describe('Amazon Q Developer custom action, end to end', () => {
  it('answers before the action runs, takes one snapshot and answers once for an event delivered twice, answers a re-run, and publishes to the channel topic', async () => {
    // Prepare: the channel role's client; curly quotes, as chat clients type them.
    const channel = new LambdaClient({ region: REGION, endpoint: sim.endpoint, maxAttempts: 1 });
    const command = 'snapshot certctl-prod-db reason=“CA rotation” ticket=CHG-8801';
    const rds = sim.service<RdsService>('rds');
    const createsBefore = rds.snapshots.createCalls;
    lambdaSim.hold();

    // Act: the custom action, while Lambda still holds the hand-off.
    const invoked = await channel.send(customActionInvoke(command));
    const createsAtAnswer = rds.snapshots.createCalls;
    const actionRunsAtAnswer = lambdaSim.invocations(ACTION_FUNCTION).length;
    lambdaSim.release();
    await lambdaSim.settle();
    // The operator runs the same custom action again once the answer is in.
    const rerun = await channel.send(customActionInvoke(command));
    await lambdaSim.settle();
    channel.destroy();

    // Assess: the answer came back within the function's timeout, before any snapshot work.
    expect(CHAT_FUNCTION_SETTINGS.amazonQ.timeoutSeconds).toBeLessThan(AMAZON_Q_LIMIT_SECONDS);
    expect([invoked.StatusCode, invoked.FunctionError]).toEqual([200, undefined]);
    const answer = JSON.parse(new TextDecoder().decode(invoked.Payload));
    expect(answer).toEqual({
      ok: true,
      message:
        'Taking pre-maintenance snapshots of certctl-prod-db for CHG-8801. The progress and the result will be posted to this channel.',
    });
    expect([createsAtAnswer, actionRunsAtAnswer]).toEqual([createsBefore, 0]);
    expect(JSON.parse(new TextDecoder().decode(rerun.Payload)).ok).toBe(true);

    // One snapshot for two deliveries of the first request and the re-run.
    const actionRuns = lambdaSim.invocations(ACTION_FUNCTION);
    expect(actionRuns.map((run) => [run.invocationType, run.outcome])).toEqual([
      ['Event', 'returned'],
      ['Event', 'returned'],
      ['Event', 'returned'],
      ['Event', 'returned'],
    ]);
    expect(new Set(actionRuns.map((run) => run.requestId)).size).toBe(2);
    expect(rds.snapshots.createCalls - createsBefore).toBe(1);

    // The channel's thread: the acknowledgement of each invocation (what Amazon Q documents
    // showing, where the invocation's result it does not), the result per database and GO, and
    // "no new snapshot" for the re-run.
    const published = notifications();
    const acknowledgements = published.filter((note) => note.content.title.endsWith('…'));
    const repeats = published.filter((note) =>
      note.content.description.includes('no new snapshot was started'),
    );
    const results = published.filter((note) => !repeats.includes(note) && !acknowledgements.includes(note));
    expect(acknowledgements.map((note) => note.content.description)).toEqual([
      `:hourglass_flowing_sand: ${answer.message}`,
      `:hourglass_flowing_sand: ${answer.message}`,
    ]);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown', title: 'Snapshots for CHG-8801: GO' },
    });
    expect(results[0]?.content.description).toMatch(
      /\*certctl-prod-db\* \(aws\/111111111111\/eu-west-1\): `certctl-premaint-certctl-prod-db-[0-9a-f]{10}` restorable/,
    );
    // The re-run is answered; the repeated deliveries neither run again nor answer again.
    expect(repeats).toHaveLength(1);
    expect(new Set(published.map((note) => note.metadata.threadId)).size).toBe(1);
    // Each notification is its own event (the event schema's `id`: a unique event identifier).
    expect(new Set(published.map((note) => note.id)).size).toBe(published.length);
  });

  it('answers status from the import ledgers, loading their reader on demand, and says when no audit has published', async () => {
    // Prepare
    const channel = new LambdaClient({ region: REGION, endpoint: sim.endpoint, maxAttempts: 1 });
    const before = notifications().length;

    // Act
    const invoked = await channel.send(customActionInvoke('status'));
    await lambdaSim.settle();
    channel.destroy();

    // Assess: the answer or the thread says what the ledgers hold: nothing yet, never a pass.
    const said = [
      new TextDecoder().decode(invoked.Payload),
      ...notifications()
        .slice(before)
        .map((note) => note.content.description),
    ].join('\n');
    expect(said).toContain('no audit has published yet');
  });

  it('keeps the canary secret out of every log line, answer, notification and idempotency record', async () => {
    // Prepare
    const channel = new LambdaClient({ region: REGION, endpoint: sim.endpoint, maxAttempts: 1 });

    // Act: a readiness and a mistyped command too, whose answers carry the most text.
    const answers = await Promise.all(
      ['readiness', 'snapshott certctl-prod-db'].map((command) => channel.send(customActionInvoke(command))),
    );
    await lambdaSim.settle();
    channel.destroy();
    const records = await dynamo.client.send(new ScanCommand({ TableName: dynamo.tableName }));

    // Assess
    const texts = [
      output.text(),
      ...answers.map((answer) => new TextDecoder().decode(answer.Payload)),
      ...sim
        .service<SnsService>(SNS_SERVICE)
        .published(TOPIC)
        .map((message) => message.message),
      JSON.stringify(records.Items),
    ];
    expect(texts.join('\n')).toContain('Readiness for the CA rotation');
    expect(texts[2]).toContain('did you mean `snapshot`?');
    for (const text of texts) {
      expect(text).not.toContain(CANARY);
      expect(text).not.toContain(SIGNING_CANARY);
    }
  });
});

describe('a snapshot refused or failed by the cloud, end to end', () => {
  it("answers in the channel with the cloud's words and the database's account, and no credential", async () => {
    // Prepare: the function's credentials are the canary (AWS_SECRET_ACCESS_KEY), the signing secret another.
    const channel = new LambdaClient({ region: REGION, endpoint: sim.endpoint, maxAttempts: 1 });
    const before = notifications().length;

    // RDS in us-east-1 (certctl-broken-db's region) answers 503: the cloud's own words reach the answer.
    sim.setFaults({ downRegions: ['us-east-1'], services: ['rds'] });

    // Act
    try {
      await channel.send(
        customActionInvoke(
          'snapshot certctl-broken-db certctl-busy-db reason=\u201ccanary run\u201d ticket=CHG-CANARY-1',
        ),
      );
      await lambdaSim.settle();
    } finally {
      sim.setFaults({});
      channel.destroy();
    }

    // Assess: the in-channel answer names the database, its account and the failure, nothing secret.
    const said = notifications()
      .slice(before)
      .map((note) => note.content.description)
      .join('\n');
    expect(said).toContain('certctl-broken-db');
    expect(said).toContain(ACCOUNT);
    expect(said).toContain('ServiceUnavailable');
    for (const text of [said, output.text()]) {
      expect(text).not.toContain(CANARY);
      expect(text).not.toContain(SIGNING_CANARY);
    }
  });
});

describe('Slack slash command, end to end', () => {
  it('verifies with the secret from Secrets Manager, acknowledges before the action runs, and posts one snapshot’s result for a request and its retry, each delivered twice', async () => {
    // Prepare: what Slack posts to the Function URL, its response_url on Slack's host.
    const responseUrl = `https://hooks.slack.com${new URL(receiver.responseUrl()).pathname}`;
    const body = slashCommandForm('snapshot certctl-busy-db reason="CA rotation" ticket=CHG-8802', {
      response_url: responseUrl,
    });
    const rds = sim.service<RdsService>('rds');
    const createsBefore = rds.snapshots.createCalls;
    const actionRunsBefore = lambdaSim.invocations(ACTION_FUNCTION).length;
    const context = { awsRequestId: 'slack-1', functionName: 'chat-slack' };
    lambdaSim.hold();

    // Act
    const ack = await chatSlackHandler(signedSlackEvent(body, SIGNING_CANARY, new Date()), context);
    // A retry comes later than its request (Slack: seconds); here at least at another millisecond,
    // so it is accepted anew and not taken for a repeated delivery of the same hand-off.
    await sleep(2);
    const retry = await chatSlackHandler(signedSlackEvent(body, SIGNING_CANARY, new Date()), context);
    const forged = await chatSlackHandler(signedSlackEvent(body, 'forged', new Date()), context);
    const actionRunsAtAck = lambdaSim.invocations(ACTION_FUNCTION).length - actionRunsBefore;
    lambdaSim.release();
    await lambdaSim.settle();

    // Assess
    expect([ack.statusCode, retry.statusCode, forged.statusCode]).toEqual([200, 200, 401]);
    expect(JSON.parse(ack.body).text).toContain('for CHG-8802');
    expect(actionRunsAtAck).toBe(0);
    expect(rds.snapshots.createCalls - createsBefore).toBe(1);
    // The answer and the retry's "no new snapshot": Lambda's repeated deliveries post nothing.
    const posts = receiver.postsTo(responseUrl);
    expect(posts).toHaveLength(2);
    const views = posts.map((post) => slackView(post.message)).join('\n---\n');
    expect(views).toMatch(/`certctl-premaint-certctl-busy-db-[0-9a-f]{10}` restorable/);
    expect(views).toContain('no new snapshot was started');
    for (const text of [output.text(), views, ack.body, retry.body, forged.body]) {
      expect(text).not.toContain(SIGNING_CANARY);
    }
  });
});
