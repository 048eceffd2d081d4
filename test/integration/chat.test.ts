/**
 * ChatOps end to end: a signed Slack request to the `chat-slack` handler, its acknowledgement, the
 * asynchronous hand-off to the `chat-action` handler, the snapshot job against the simulated RDS
 * with its idempotency records in a real DynamoDB on 127.0.0.1 (dynalite), and what Slack shows:
 * the posts to a response_url receiver on 127.0.0.1.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Policy } from '../../functions/core/policy.ts';
import { METRICS_NAMESPACE } from '../../functions/handlers/aws/observability.ts';
import { type CapturedOutput, capturePowertoolsOutput } from '../handlers/aws/powertools-output.ts';
import { type LocalDynamo, startLocalDynamo } from '../jobs/dynalite.ts';
import { localChatDeployment } from '../sim/chat-deployment.ts';
import { signedSlackEvent, slashCommandForm } from '../sim/slack-client.ts';
import { type SlackReceiver, slackView, startSlackReceiver } from '../sim/slack-receiver.ts';
import { fastPolicy, type SnapshotHarness, startSnapshotHarness } from './snapshot-support.ts';

const SECRET = 'CANARY-e2e-slack-signing-secret-77c1';
const CHATOPS = {
  slack: { teams: ['T0CERTCTL'] },
  permissions: { snapshot: ['U0OPERATOR'], readiness: ['*'], status: ['*'] },
};

let harness: SnapshotHarness;
let dynamo: LocalDynamo;
let receiver: SlackReceiver;
let output: CapturedOutput;
let policy: Policy;

beforeAll(async () => {
  harness = await startSnapshotHarness();
  dynamo = await startLocalDynamo();
  receiver = await startSlackReceiver();
  policy = fastPolicy({ chatops: CHATOPS, snapshots: { waitMinutes: 0.2 } });
});
afterAll(async () => {
  await receiver.close();
  await dynamo.close();
  await harness.close();
});
beforeEach(() => {
  output = capturePowertoolsOutput();
});
afterEach(() => {
  output.restore();
});

/** Every item of the idempotency table. */
async function scanTable() {
  return (await dynamo.client.send(new ScanCommand({ TableName: dynamo.tableName }))).Items ?? [];
}

/** The two Lambdas, wired as deployed (test/sim/chat-deployment.ts). */
function deployment() {
  const local = localChatDeployment({
    endpoint: harness.sim.endpoint,
    policy,
    dynamo,
    signingSecret: SECRET,
    observability: (service) => ({
      logger: new Logger({ serviceName: service }),
      metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service }),
    }),
    progressSettleMs: 20,
  });
  return {
    slack: local.slack,
    settle: async () => {
      await local.settle();
      local.close();
    },
  };
}

describe('ChatOps end to end', () => {
  it('acknowledges before any snapshot call, takes one snapshot for a request, its retry and a replay, and posts the result', async () => {
    // Prepare
    const { slack, settle } = deployment();
    const url = receiver.responseUrl();
    const body = slashCommandForm('snapshot certctl-prod-db reason="CA rotation" ticket=CHG-7001', {
      response_url: url,
    });
    const createsBefore = harness.rds.snapshots.createCalls;

    const signed = signedSlackEvent(body, SECRET, new Date());

    // Act
    const ack = await slack(signed);
    const createsAtAck = harness.rds.snapshots.createCalls;
    const retry = await slack(signedSlackEvent(body, SECRET, new Date()));
    // The same bytes and headers sent again inside the 5-minute window: a replay the signature accepts.
    const replay = await slack(signed);
    const forged = await slack(signedSlackEvent(body, 'forged', new Date()));
    const stale = await slack(signedSlackEvent(body, SECRET, new Date(Date.now() - 6 * 60_000)));
    await settle();

    // Assess
    expect(ack.statusCode).toBe(200);
    expect(JSON.parse(ack.body).text).toContain('for CHG-7001');
    expect(createsAtAck).toBe(createsBefore);
    expect([retry.statusCode, replay.statusCode]).toEqual([200, 200]);
    expect([forged.statusCode, stale.statusCode]).toEqual([401, 401]);
    expect(harness.rds.snapshots.createCalls - createsBefore).toBe(1);
    const posts = receiver.postsTo(url);
    expect(posts.length).toBeLessThanOrEqual(5);
    const views = posts.map((post) => slackView(post.message)).join('\n---\n');
    expect(views).toMatch(
      /\*certctl-prod-db\* \(aws\/\d{12}\/eu-west-1\): `certctl-premaint-certctl-prod-db-[0-9a-f]{10}` restorable/,
    );
    expect(views).toContain('*GO*: every database (1) has a restorable pre-maintenance snapshot.');
    expect(views).toContain('no new snapshot was started');
    for (const text of [output.text(), views, ack.body]) expect(text).not.toContain(SECRET);
  });

  it('keeps on the snapshot request’s record when it was accepted, for a run that takes the record over', async () => {
    // Prepare: the records already in the table (other requests').
    const { slack, settle } = deployment();
    const url = receiver.responseUrl();
    const body = slashCommandForm('snapshot certctl-prod-db reason="CA rotation" ticket=CHG-7004', {
      response_url: url,
    });
    const before = new Set((await scanTable()).map((item) => item.id?.S));
    const sent = Date.now();

    // Act
    await slack(signedSlackEvent(body, SECRET, new Date()));
    await settle();

    // Assess: each record the request's run wrote (Powertools: with a status) keeps its acceptance,
    // which no change of snapshots.expiryDays shifts (functions/jobs/idempotency.ts recordStartOf).
    const written = (await scanTable()).filter(
      (item) => !before.has(item.id?.S) && item.status !== undefined,
    );
    expect(written.length).toBeGreaterThan(0);
    for (const item of written) {
      const accepted = Number(item.accepted_at?.N);
      expect(accepted).toBeGreaterThanOrEqual(sent);
      expect(accepted).toBeLessThanOrEqual(Date.now());
    }
  });

  it('refuses a reason whose single quote may be an apostrophe, naming it, and starts nothing for the word after it', async () => {
    // Prepare: `users'` may close the reason or be a plural possessive whose quote is never closed;
    // read the first way, certctl-busy-db (a database the policy selects) would be snapshotted.
    const { slack, settle } = deployment();
    const url = receiver.responseUrl();
    const body = slashCommandForm(
      "snapshot certctl-prod-db reason='the users' certctl-busy-db ticket=CHG-7003",
      { response_url: url },
    );
    const createsBefore = harness.rds.snapshots.createCalls;

    // Act
    const ack = await slack(signedSlackEvent(body, SECRET, new Date()));
    await settle();

    // Assess
    expect(ack.statusCode).toBe(200);
    const text = JSON.parse(ack.body).text as string;
    expect(text).toContain("the single quote after `users'` may close the reason");
    expect(text).toContain('so `certctl-busy-db` may be part of the reason or a database');
    expect(text).toContain('write reason="…" in double quotes');
    expect(harness.rds.snapshots.createCalls).toBe(createsBefore);
    expect(receiver.postsTo(url)).toEqual([]);
  });

  it('answers a snapshot of an Aurora member with the cluster to name instead, and snapshots nothing', async () => {
    // Prepare
    const { slack, settle } = deployment();
    const url = receiver.responseUrl();
    const body = slashCommandForm('snapshot certctl-aurora-1 reason="CA rotation" ticket=CHG-7002', {
      response_url: url,
    });
    const createsBefore = harness.rds.snapshots.createCalls;

    // Act
    await slack(signedSlackEvent(body, SECRET, new Date()));
    await settle();

    // Assess
    const views = receiver
      .postsTo(url)
      .map((post) => slackView(post.message))
      .join('\n---\n');
    expect(views).toContain(
      ':warning: target certctl-aurora-1 is an Aurora member of the cluster certctl-aurora (aws/111111111111/eu-west-1), and Aurora snapshots are of clusters: a DB instance of one has no snapshot of its own. Nothing was snapshotted for it; to snapshot its data, ask again naming the cluster certctl-aurora',
    );
    expect(views).toContain('nothing was snapshotted');
    expect(harness.rds.snapshots.createCalls).toBe(createsBefore);
  });

  it('answers readiness with the verdict and each gate that is not green', async () => {
    // Prepare
    const { slack, settle } = deployment();
    const url = receiver.responseUrl();

    // Act
    const ack = await slack(
      signedSlackEvent(
        slashCommandForm('readiness', { user_id: 'U0ANYONE', response_url: url }),
        SECRET,
        new Date(),
      ),
    );
    await settle();

    // Assess
    expect(JSON.parse(ack.body).text).toContain('Checking readiness');
    const [answer] = receiver.postsTo(url).map((post) => slackView(post.message));
    expect(answer).toMatch(/\*Readiness for the CA rotation: (GO|NO-GO|COULD NOT EVALUATE)\*/);
    expect(answer).toContain('*certctl-broken-db*');
    expect(answer).toContain('`snapshot`: no successful pre-maintenance snapshot of ours');
  });
});
