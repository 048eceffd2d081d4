/**
 * A chat run that crashes, end to end on the simulated Lambda: the hand-off to `chat-action` through
 * the real `LambdaClient` (`InvocationType: 'Event'`, delivered twice, as Lambda may), the action
 * function crashing (a deployment fault: its bundled policy does not validate) with the retries the
 * deployment gives it (none), Lambda's invocation record sent to its on-failure destination
 * `chat-unfinished` (infra/chat-ops.ts), and the answer posted to the command's response_url
 * (Slack's host routed to a receiver on 127.0.0.1), with the delivery markers in a real DynamoDB on
 * 127.0.0.1 (dynalite). Both functions run their own container wiring from the environment the
 * deployment gives them; the execution role's secret key is a canary that must surface nowhere.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lambdaDispatcher } from '../../functions/aws/chat-dispatch.ts';
import { type ChatWork, requestKeyOf } from '../../functions/chatops/work.ts';
import { POLICY_ENV } from '../../functions/core/policy.ts';
import { handler as chatActionHandler } from '../../functions/handlers/aws/chat-action.ts';
import { handler as chatUnfinishedHandler } from '../../functions/handlers/aws/chat-unfinished.ts';
import { IDEMPOTENCY_TABLE_ENV } from '../../functions/jobs/idempotency.ts';
import { CHAT_FUNCTION_SETTINGS } from '../../infra/chat-ops.ts';
import { type CapturedOutput, capturePowertoolsOutput } from '../handlers/aws/powertools-output.ts';
import { type LocalDynamo, startLocalDynamo } from '../jobs/dynalite.ts';
import { baseAccessKeyId } from '../sim/accounts.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { LAMBDA_SERVICE, type LambdaService, type SimLambdaHandler } from '../sim/services/lambda.ts';
import { type SlackReceiver, slackHostFetch, slackView, startSlackReceiver } from '../sim/slack-receiver.ts';
import { snapshotScenario } from './snapshot-support.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '111111111111';
const CANARY = 'CANARY-chat-action-execution-role-secret-91b3';
const ACTION_FUNCTION = 'certctl-backup-guard-chat-action';
const UNFINISHED_FUNCTION = 'certctl-backup-guard-chat-unfinished';

let sim: Sim;
let dynamo: LocalDynamo;
let lambdaSim: LambdaService;
let receiver: SlackReceiver;
let output: CapturedOutput;
const savedEnv = { ...process.env };

beforeAll(async () => {
  sim = await startSim({ scenario: snapshotScenario() });
  receiver = await startSlackReceiver();
  // Slack's response_url host, answered by the receiver on 127.0.0.1: nothing leaves the machine.
  vi.stubGlobal('fetch', slackHostFetch(receiver));
  dynamo = await startLocalDynamo();
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL: sim.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ACCESS_KEY_ID: baseAccessKeyId(ACCOUNT),
    AWS_SECRET_ACCESS_KEY: CANARY,
    // A deployment fault chat-action cannot survive: its policy does not validate.
    [POLICY_ENV]: JSON.stringify({ aws: { regions: 5 } }),
    [IDEMPOTENCY_TABLE_ENV]: dynamo.tableName,
  });
  lambdaSim = sim.service<LambdaService>(LAMBDA_SERVICE);
  lambdaSim.deploy({
    name: UNFINISHED_FUNCTION,
    region: REGION,
    ...CHAT_FUNCTION_SETTINGS.unfinished,
    // Lambda delivers the invocation record at least once too: here, always twice at the same time.
    asyncDeliveries: 2,
    handler: chatUnfinishedHandler as unknown as SimLambdaHandler,
  });
  lambdaSim.deploy({
    name: ACTION_FUNCTION,
    region: REGION,
    ...CHAT_FUNCTION_SETTINGS.action,
    asyncDeliveries: 2,
    onFailure: UNFINISHED_FUNCTION,
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

describe('a chat run that crashes, end to end', () => {
  it('answers the Slack user once, through the on-failure destination, that the command did not finish and never started', async () => {
    // Prepare: the work chat-slack hands over, its response_url on Slack's host.
    const responseUrl = `https://hooks.slack.com${new URL(receiver.responseUrl()).pathname}`;
    const command = {
      name: 'snapshot' as const,
      targets: ['certctl-prod-db'],
      reason: 'CA rotation',
      ticket: 'CHG-9001',
    };
    const work: ChatWork = {
      command,
      requestedBy: 'slack:T0CERTCTL/U0OPERATOR',
      replyTo: { kind: 'slack', responseUrl },
      requestKey: requestKeyOf(command, 'slack', 'trigger-9001'),
      acceptedAt: new Date().toISOString(),
    };
    const client = new LambdaClient({ region: REGION, endpoint: sim.endpoint, maxAttempts: 1 });

    // Act
    await lambdaDispatcher(client, ACTION_FUNCTION)(work);
    await lambdaSim.settle();
    client.destroy();

    // Assess: both deliveries crashed, unretried; both records handled, one answer.
    expect(lambdaSim.invocations(ACTION_FUNCTION).map((run) => run.outcome)).toEqual(['threw', 'threw']);
    const notices = lambdaSim.invocations(UNFINISHED_FUNCTION);
    expect(notices.map((run) => run.outcome)).toEqual(['returned', 'returned', 'returned', 'returned']);
    expect(notices[0]?.payload).toMatchObject({
      requestContext: { condition: 'RetriesExhausted' },
      requestPayload: work,
      responseContext: { functionError: 'Unhandled' },
    });
    const posts = receiver.postsTo(responseUrl);
    expect(posts).toHaveLength(1);
    const view = slackView(posts[0]?.message ?? { text: '' });
    expect(view).toContain('`snapshot` for *CHG-9001* did not finish: it failed on our side.');
    expect(view).toContain('It never started: nothing was done.');
    expect(view).toContain('Run the same command again');
    expect(output.text()).toContain('chat run did not finish; its user was told');
    for (const text of [output.text(), JSON.stringify(posts)]) expect(text).not.toContain(CANARY);
  });
});
