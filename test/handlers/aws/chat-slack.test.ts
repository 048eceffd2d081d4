/**
 * The `chat-slack` Lambda as deployed, minus AWS: the signing secret through Powertools Parameters
 * (Secrets Manager mocked at the SDK client), the real Logger and Metrics on captured stdout, and the
 * asynchronous hand-off going to the real `chat-action` function over fake actions, which posts to a
 * response_url receiver on 127.0.0.1. A canary signing secret must appear in no log line, no
 * response and no chat post.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { slackSigningSecret } from '../../../functions/aws/slack-secret.ts';
import { SLACK_REPLY_HOSTS } from '../../../functions/chatops/reply-hosts.ts';
import type { ChatWork } from '../../../functions/chatops/work.ts';
import { chatopsPolicySchema } from '../../../functions/core/chatops-policy.ts';
import { chatAction } from '../../../functions/handlers/aws/chat-action.ts';
import { createSlackHandler } from '../../../functions/handlers/aws/chat-slack.ts';
import { METRICS_NAMESPACE } from '../../../functions/handlers/aws/observability.ts';
import { fakeActions } from '../../chatops/fake-actions.ts';
import { signedSlackEvent, slashCommandForm } from '../../sim/slack-client.ts';
import { type SlackReceiver, slackView, startSlackReceiver } from '../../sim/slack-receiver.ts';
import { type CapturedOutput, capturePowertoolsOutput } from './powertools-output.ts';

const CANARY_SECRET = 'CANARY-slack-signing-secret-d41c7a';
const SECRET_ID = 'certctl-backup-guard/slack-signing-secret';
const NOW = new Date('2026-12-02T10:00:00Z');
const policy = chatopsPolicySchema.parse({
  slack: { teams: ['T0CERTCTL'], channels: ['C0PKIOPS'] },
  permissions: { snapshot: ['U0OPERATOR'], readiness: ['*'], status: ['*'] },
});
const secrets = mockClient(SecretsManagerClient);

let receiver: SlackReceiver;
let output: CapturedOutput;
beforeAll(async () => {
  receiver = await startSlackReceiver();
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(() => {
  secrets.reset();
  secrets.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({ SecretString: CANARY_SECRET });
  output = capturePowertoolsOutput();
});
afterEach(() => {
  output.restore();
});

/** A container: the handler with its own secret cache, and what it handed off. */
function container(clock: () => number = () => NOW.getTime()) {
  const dispatched: ChatWork[] = [];
  const logger = new Logger({ serviceName: 'chat-slack' });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'chat-slack' });
  const handler = createSlackHandler({
    policy,
    signingSecret: slackSigningSecret(
      new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({ region: 'eu-west-1' }) }),
      SECRET_ID,
      clock,
    ),
    dispatch: async (work) => {
      dispatched.push(work);
    },
    logger,
    metrics,
    now: () => NOW,
  });
  return { handler: (event: Parameters<typeof handler>[0]) => handler(event, {}), dispatched };
}

const SNAPSHOT = 'snapshot certctl-prod-db reason="CA rotation" ticket=CHG-42';

describe('the chat-slack Lambda', () => {
  it('reads the signing secret once per container, not per request', async () => {
    // Prepare
    const { handler } = container();

    // Act
    for (const text of ['help', 'status', 'readiness']) {
      await handler(signedSlackEvent(slashCommandForm(text), CANARY_SECRET, NOW));
    }

    // Assess
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('acknowledges a snapshot before any snapshot is taken, and hands the work off', async () => {
    // Prepare
    const { handler, dispatched } = container();
    const actions = fakeActions();

    // Act
    const response = await handler(signedSlackEvent(slashCommandForm(SNAPSHOT), CANARY_SECRET, NOW));

    // Assess: the answer exists and nothing was snapshotted yet; the work waits for the action function.
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).text).toBe(
      'Taking pre-maintenance snapshots of certctl-prod-db for CHG-42…',
    );
    expect(actions.started).toEqual([]);
    expect(dispatched.map((work) => work.command.name)).toEqual(['snapshot']);
    expect(output.metrics()).toMatchObject({ ChatCommandsAccepted: 1 });
  });

  it('picks up a signing secret rotated in Slack after one mismatch, and re-reads at most every 5 minutes', async () => {
    // Prepare
    let clock = NOW.getTime();
    const { handler, dispatched } = container(() => clock);
    await handler(signedSlackEvent(slashCommandForm('help'), CANARY_SECRET, NOW));
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({ SecretString: 'rotated-secret' });

    // Act
    const tooSoon = await handler(signedSlackEvent(slashCommandForm('status'), 'rotated-secret', NOW));
    clock += 5 * 60_000;
    const later = await handler(signedSlackEvent(slashCommandForm('status'), 'rotated-secret', NOW));
    const old = await handler(signedSlackEvent(slashCommandForm('status'), CANARY_SECRET, NOW));

    // Assess
    expect([tooSoon.statusCode, later.statusCode, old.statusCode]).toEqual([401, 200, 401]);
    expect(dispatched).toHaveLength(1);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('still refuses forged requests with a bare 401 when the re-read of the secret fails, and re-reads at most every 5 minutes', async () => {
    // Prepare: the secret is cached; from now on Secrets Manager refuses (throttled, or down).
    let clock = NOW.getTime();
    const { handler, dispatched } = container(() => clock);
    await handler(signedSlackEvent(slashCommandForm('help'), CANARY_SECRET, NOW));
    clock += 5 * 60_000;
    secrets.reset();
    secrets.on(GetSecretValueCommand).rejects(new Error('ThrottlingException: Rate exceeded'));
    output.restore();
    output = capturePowertoolsOutput();

    // Act: three forged requests within a minute.
    const answers = [];
    for (let index = 0; index < 3; index += 1) {
      answers.push(await handler(signedSlackEvent(slashCommandForm('status'), 'forged-secret', NOW)));
      clock += 20_000;
    }

    // Assess: refused as forged, counted as refusals, and one failed re-read holds off the next ones.
    expect(answers.map((answer) => [answer.statusCode, answer.body])).toEqual([
      [401, 'Request refused.'],
      [401, 'Request refused.'],
      [401, 'Request refused.'],
    ]);
    expect(dispatched).toEqual([]);
    expect(output.metrics()).toEqual({ ChatRequests: 3, ChatCommandsRefused: 3 });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('refuses every request, signed or not, while the signing secret cannot be read, and hands nothing off', async () => {
    // Prepare: a cold container whose first read of the secret fails (denied, or the secret holds no text).
    secrets.reset();
    secrets.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException: not authorized'));
    const denied = container();
    const empty = container();

    // Act
    const answers = [
      await denied.handler(signedSlackEvent(slashCommandForm(SNAPSHOT), CANARY_SECRET, NOW)),
      await denied.handler(signedSlackEvent(slashCommandForm('status'), '', NOW)),
    ];
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '  ' });
    answers.push(await empty.handler(signedSlackEvent(slashCommandForm('status'), '', NOW)));
    answers.push(await empty.handler(signedSlackEvent(slashCommandForm('status'), '  ', NOW)));

    // Assess: nothing accepted or handed off; the caller gets the generic line, the log says why.
    expect([...denied.dispatched, ...empty.dispatched]).toEqual([]);
    for (const answer of answers) {
      expect(JSON.parse(answer.body).text).toBe(
        'Something went wrong on our side; the details are in the backup-guard logs.',
      );
    }
    expect(output.metrics()).toMatchObject({ ChatRequests: 4, ChatCommandsFailed: 4 });
    expect(output.metrics()).not.toHaveProperty('ChatCommandsAccepted');
    expect(output.text()).toContain(
      `the Slack signing secret ${SECRET_ID} (BACKUP_GUARD_SLACK_SIGNING_SECRET) could not be read`,
    );
    expect(output.text()).toContain(
      `the Slack signing secret ${SECRET_ID} (BACKUP_GUARD_SLACK_SIGNING_SECRET) holds no text value`,
    );
  });

  it('says the signing secret is stored as key/value pairs, never their values, instead of refusing every request as forged', async () => {
    // Prepare: the console's default secret type, key/value, stores Slack's value inside a JSON
    // object; the HMAC over that text matches no request Slack signs.
    secrets.reset();
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ SLACK_SIGNING_SECRET: CANARY_SECRET }) });
    const { handler, dispatched } = container();

    // Act
    const answer = await handler(signedSlackEvent(slashCommandForm('status'), CANARY_SECRET, NOW));

    // Assess: our failure (5xx, counted, logged with why), not a refusal of the caller.
    expect(dispatched).toEqual([]);
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body).text).toBe(
      'Something went wrong on our side; the details are in the backup-guard logs.',
    );
    expect(output.metrics()).toMatchObject({ ChatRequests: 1, ChatCommandsFailed: 1 });
    expect(output.metrics()).not.toHaveProperty('ChatCommandsRefused');
    expect(output.text()).toContain(
      `the Slack signing secret ${SECRET_ID} (BACKUP_GUARD_SLACK_SIGNING_SECRET) holds a JSON object (key/value pairs), not the signing secret itself`,
    );
    expect(output.text()).not.toContain(CANARY_SECRET);
  });

  it("never logs the signing secret's value when it was configured in place of the secret's name", async () => {
    // Prepare: BACKUP_GUARD_SLACK_SIGNING_SECRET set by hand to the app's signing secret itself (32
    // hex characters, as Slack shows it) instead of the name of the secret holding it: Secrets Manager
    // finds no such secret.
    const pasted = 'c0ffee00c0ffee00c0ffee00c0ffee00';
    secrets.reset();
    secrets.on(GetSecretValueCommand).rejects(new Error('ResourceNotFoundException: no such secret'));
    const logger = new Logger({ serviceName: 'chat-slack' });
    const handler = createSlackHandler({
      policy,
      signingSecret: slackSigningSecret(
        new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({ region: 'eu-west-1' }) }),
        pasted,
        () => NOW.getTime(),
      ),
      dispatch: async () => {},
      logger,
      metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'chat-slack' }),
      now: () => NOW,
    });

    // Act
    const answer = await handler(signedSlackEvent(slashCommandForm('status'), pasted, NOW), {});

    // Assess: refused, the log names the variable and the likely mistake, never the value.
    expect(JSON.parse(answer.body).text).toBe(
      'Something went wrong on our side; the details are in the backup-guard logs.',
    );
    expect(output.text()).not.toContain(pasted);
    expect(output.text()).toContain('BACKUP_GUARD_SLACK_SIGNING_SECRET');
  });

  it('reads an unreadable signing secret at most every 30 seconds per container, refusing in between', async () => {
    // Prepare: a cold container whose first read of the secret fails (throttled, or denied).
    let clock = NOW.getTime();
    secrets.reset();
    secrets.on(GetSecretValueCommand).rejects(new Error('ThrottlingException: Rate exceeded'));
    const { handler, dispatched } = container(() => clock);

    // Act: a flood of requests, forged or signed, within 30 seconds; then one once Secrets Manager
    // answers again, too soon; then one 30 seconds after the failed read.
    const flood = [];
    for (const secret of ['forged-secret', CANARY_SECRET, 'forged-secret', CANARY_SECRET]) {
      flood.push(await handler(signedSlackEvent(slashCommandForm('status'), secret, NOW)));
      clock += 5_000;
    }
    const readsDuringFlood = secrets.commandCalls(GetSecretValueCommand).length;
    secrets.reset();
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({ SecretString: CANARY_SECRET });
    const tooSoon = await handler(signedSlackEvent(slashCommandForm('status'), CANARY_SECRET, NOW));
    clock = NOW.getTime() + 30_000;
    const later = await handler(signedSlackEvent(slashCommandForm('status'), CANARY_SECRET, NOW));

    // Assess: one read for the flood, every request refused with the generic line (never
    // accepted), and the secret read again once the interval is over.
    expect(readsDuringFlood).toBe(1);
    for (const answer of [...flood, tooSoon]) {
      expect(JSON.parse(answer.body).text).toBe(
        'Something went wrong on our side; the details are in the backup-guard logs.',
      );
    }
    expect(later.statusCode).toBe(200);
    expect(dispatched).toHaveLength(1);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('counts forged, stale and unauthorized requests as refused, with no side effect', async () => {
    // Prepare
    const { handler, dispatched } = container();
    const body = slashCommandForm(SNAPSHOT);

    // Act
    const answers = [
      await handler(signedSlackEvent(body, 'forged-secret', NOW)),
      await handler(signedSlackEvent(body, CANARY_SECRET, new Date(NOW.getTime() - 6 * 60_000))),
      await handler(
        signedSlackEvent(slashCommandForm(SNAPSHOT, { user_id: 'U0INTERN' }), CANARY_SECRET, NOW),
      ),
      await handler(
        signedSlackEvent(slashCommandForm('status', { channel_id: 'C0RANDOM' }), CANARY_SECRET, NOW),
      ),
    ];

    // Assess
    expect(answers.map((answer) => answer.statusCode)).toEqual([401, 401, 200, 200]);
    expect(JSON.parse(answers[2]?.body ?? '{}').text).toContain('may not run `snapshot`');
    expect(JSON.parse(answers[3]?.body ?? '{}').text).toContain('not allowed in this channel (C0RANDOM)');
    expect(dispatched).toEqual([]);
    expect(output.metrics()).toEqual({ ChatRequests: 4, ChatCommandsRefused: 4 });
    const refusals = output.logs().filter((line) => line.message === 'chat command refused');
    expect(refusals.map((line) => line.userId)).toEqual(['U0INTERN', 'U0OPERATOR']);
  });

  it('keeps the canary secret out of every log line, response and chat post, and internal details out of Slack', async () => {
    // Prepare: a container whose hand-off runs the real action function over fake actions, posting
    // to the local response_url; and one whose hand-off fails with an internal error.
    const actions = fakeActions();
    const actionLogger = new Logger({ serviceName: 'chat-action' });
    const actionMetrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'chat-action' });
    const pending: Promise<unknown>[] = [];
    const handler = createSlackHandler({
      policy,
      signingSecret: slackSigningSecret(
        new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({ region: 'eu-west-1' }) }),
        SECRET_ID,
      ),
      dispatch: async (work) => {
        if (work.command.name === 'status') {
          throw new Error(`InvokeFunction AccessDenied for secret ${SECRET_ID}`);
        }
        pending.push(
          chatAction(work, {
            actions,
            logger: actionLogger,
            metrics: actionMetrics,
            replyHosts: ['127.0.0.1'],
            // The clock the slash commands were signed and accepted by: Slack's 30-minute reply window
            // counts from it, whatever the time of the test run.
            now: () => NOW,
          }).finally(() => actionMetrics.publishStoredMetrics()),
        );
      },
      logger: new Logger({ serviceName: 'chat-slack' }),
      metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'chat-slack' }),
      now: () => NOW,
      replyHosts: [...SLACK_REPLY_HOSTS, '127.0.0.1'],
    });
    const responseUrl = receiver.responseUrl();
    const events = [
      signedSlackEvent(slashCommandForm(SNAPSHOT, { response_url: responseUrl }), CANARY_SECRET, NOW),
      signedSlackEvent(slashCommandForm(SNAPSHOT, { response_url: responseUrl }), CANARY_SECRET, NOW),
      signedSlackEvent(slashCommandForm('readiness', { response_url: responseUrl }), CANARY_SECRET, NOW),
      signedSlackEvent(slashCommandForm('status'), CANARY_SECRET, NOW),
      signedSlackEvent(slashCommandForm(SNAPSHOT), `${CANARY_SECRET}x`, NOW),
      signedSlackEvent(slashCommandForm('help'), CANARY_SECRET, new Date(NOW.getTime() + 6 * 60_000)),
      signedSlackEvent(slashCommandForm('snapshot nothing'), CANARY_SECRET, NOW),
    ];

    // Act
    const responses: string[] = [];
    for (const event of events) responses.push(JSON.stringify(await handler(event, {})));
    await Promise.all(pending);

    // Assess
    const posts = receiver.postsTo(responseUrl);
    expect(actions.started).toHaveLength(1);
    expect(posts.map((post) => slackView(post.message)).join('\n')).toContain('no new snapshot was started');
    expect(posts.length).toBeLessThanOrEqual(5);
    expect(JSON.parse(JSON.parse(responses[3] ?? '{}').body).text).toBe(
      'Something went wrong on our side; the details are in the backup-guard logs.',
    );
    expect(output.text()).toContain('InvokeFunction AccessDenied');
    for (const text of [output.text(), ...responses, JSON.stringify(receiver.posts)]) {
      expect(text).not.toContain(CANARY_SECRET);
    }
    expect(responses.join('\n')).not.toContain('AccessDenied');
  });
});
