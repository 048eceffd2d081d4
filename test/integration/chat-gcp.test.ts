/**
 * The GCP chat path end to end over HTTP and the real clients: Slack's signed request to the
 * deployed `chatSlack` function (its own module and container wiring, served by the Functions
 * Framework on 127.0.0.1), its publish through the real Pub/Sub REST call to the simulated topic,
 * each message pushed to `chatAction` as Eventarc pushes it (a CloudEvent over HTTP, delivered
 * again as Pub/Sub may), the snapshot job against the simulated Cloud SQL with its request records
 * in the simulated Cloud Storage, and the answer on a response_url receiver on 127.0.0.1.
 */
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ChatWork, deliveryKeyOf } from '../../functions/chatops/work.ts';
import { POLICY_ENV, type PolicyInput, parsePolicy } from '../../functions/core/policy.ts';
import { CHAT_TOPIC_ENV, SLACK_SECRET_VALUE_ENV } from '../../functions/gcp/chat-environment.ts';
import { chatRecordsOf, SNAPSHOT_RECORDS_PREFIX } from '../../functions/gcp/chat-records.ts';
import { CLOUD_SQL_ENDPOINT_ENV, GcpClientFactory } from '../../functions/gcp/clients.ts';
import { runRecordsBucketOf } from '../../functions/gcp/run-records-bucket.ts';
import {
  chatActionStores,
  createChatActionFunction,
  deliveryDoneOver,
  firstDeliveryOver,
  gcpChatActions,
} from '../../functions/handlers/gcp/chat-action.ts';
import { createGcpLogger } from '../../functions/handlers/gcp/observability.ts';
import { cloudSqlScenario, instance, PROJECT, startGcpSim } from '../gcp/sim-setup.ts';
import { type CapturedOutput, capturePowertoolsOutput } from '../handlers/aws/powertools-output.ts';
import type { Sim } from '../sim/server.ts';
import type { CloudSqlSim } from '../sim/services/cloud-sql.ts';
import { PUBSUB_SERVICE, type PubsubPushEvent, type PubsubService } from '../sim/services/pubsub.ts';
import { signedSlackEvent, slashCommandForm } from '../sim/slack-client.ts';
import { type SlackReceiver, slackView, startSlackReceiver } from '../sim/slack-receiver.ts';

const CANARY = 'CANARY-gcp-chat-signing-secret-0b7e';
const OPS_PROJECT = 'certctl-ops';
const TOPIC = `projects/${OPS_PROJECT}/topics/certctl-backup-guard-chat`;
const BUCKET = `${OPS_PROJECT}-certctl-chat-requests`;
const POLICY: PolicyInput = {
  gcp: { projects: [PROJECT] },
  chatops: {
    slack: { teams: ['T0CERTCTL'] },
    permissions: { snapshot: ['U0OPERATOR'], readiness: ['*'], status: ['*'] },
  },
  snapshots: { pollInitialSeconds: 0.05, pollMaxSeconds: 0.1, waitMinutes: 0.2 },
};

let sim: Sim;
let receiver: SlackReceiver;
let output: CapturedOutput;
let clients: GcpClientFactory;
let slackUrl: string;
let actionUrl: string;
const servers: { close(): void }[] = [];
const savedEnv = { ...process.env };

async function listen(name: string): Promise<string> {
  const server = getTestServer(name);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

beforeAll(async () => {
  const scenario = cloudSqlScenario([
    instance('certctl-pg', { onDemandBackups: { durationMs: 100 } }),
    instance('other-pg', { labels: {} }),
  ]);
  ({ sim } = await startGcpSim(
    {
      ...scenario,
      services: {
        ...scenario.services,
        gcs: { buckets: [{ name: BUCKET }] },
        pubsub: { topics: [{ project: OPS_PROJECT, name: 'certctl-backup-guard-chat' }] },
      },
    },
    { clock: () => new Date() },
  ));
  receiver = await startSlackReceiver();
  // GovSlack's response_url host, answered by the receiver on 127.0.0.1: the deployed allowlist
  // (hooks.slack.com, hooks.slack-gov.com) on both sides, and nothing leaves the machine.
  const realFetch = globalThis.fetch;
  const receiverOrigin = new URL(receiver.responseUrl()).origin;
  vi.stubGlobal('fetch', (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    if (url.host !== 'hooks.slack-gov.com') return realFetch(input, init);
    return realFetch(`${receiverOrigin}${url.pathname}`, init);
  });
  // chatSlack as deployed: its environment (infra/gcp), the simulator as every Google endpoint.
  Object.assign(process.env, {
    [SLACK_SECRET_VALUE_ENV]: CANARY,
    [CHAT_TOPIC_ENV]: TOPIC,
    [POLICY_ENV]: JSON.stringify(POLICY),
    [CLOUD_SQL_ENDPOINT_ENV]: sim.endpoint,
  });
  await import('../../functions/handlers/gcp/chat-slack.ts');
  slackUrl = await listen('chatSlack');
  // chatAction wired as its container wires it.
  clients = new GcpClientFactory({ endpoint: sim.endpoint });
  const stores = chatActionStores(clients, BUCKET);
  const { records } = stores;
  functions.cloudEvent(
    'chatActionOnTheSimulator',
    createChatActionFunction(() => ({
      actions: gcpChatActions({ policy: parsePolicy(POLICY), clients, ...stores }),
      logger: createGcpLogger('chat-action'),
      firstDelivery: firstDeliveryOver(records),
      deliveryDone: deliveryDoneOver(records),
    })),
  );
  actionUrl = await listen('chatActionOnTheSimulator');
  output = capturePowertoolsOutput();
});
afterAll(async () => {
  vi.unstubAllGlobals();
  output.restore();
  process.env = savedEnv;
  for (const server of servers) server.close();
  await clients.close();
  await receiver.close();
  await sim.close();
});

/** Slack's POST of a slash command, signed with `secret` at `at`. */
async function slack(body: string, secret: string, at: Date): Promise<{ status: number; text: string }> {
  const { headers } = signedSlackEvent(body, secret, at);
  const response = await fetch(slackUrl, {
    method: 'POST',
    headers: headers as Record<string, string>,
    body,
  });
  return { status: response.status, text: await response.text() };
}

/** Eventarc's push of a Pub/Sub message: a binary-mode CloudEvent. */
async function push(event: PubsubPushEvent): Promise<number> {
  const response = await fetch(actionUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': event.data.message.messageId,
      'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
      'ce-source': `//pubsub.googleapis.com/${TOPIC}`,
      'ce-time': event.data.message.publishTime,
    },
    body: JSON.stringify(event.data),
  });
  return response.status;
}

/** A response_url on GovSlack's host, whose posts the receiver gets (see the fetch stub). */
function govSlackUrl(): string {
  return `https://hooks.slack-gov.com${new URL(receiver.responseUrl()).pathname}`;
}

describe('GCP chat functions, end to end', () => {
  it('acknowledges, publishes each accepted request to the topic, and snapshots once for a request, its retry and a redelivery', async () => {
    // Prepare
    const url = govSlackUrl();
    const body = slashCommandForm('snapshot certctl-pg reason="CA rotation" ticket=CHG-77', {
      response_url: url,
    });
    const pubsub = sim.service<PubsubService>(PUBSUB_SERVICE);
    const cloudSql = sim.service<CloudSqlSim>('cloudSql');

    // Act: Slack's request, its retry, a forged and a stale one.
    const ack = await slack(body, CANARY, new Date());
    // A retry comes later than its request (Slack: seconds); here at least at another millisecond,
    // so it is accepted anew and not taken for a repeated delivery of the same hand-off.
    await sleep(2);
    const retry = await slack(body, CANARY, new Date());
    const forged = await slack(body, 'not-the-secret', new Date());
    const stale = await slack(body, CANARY, new Date(Date.now() - 6 * 60_000));
    const insertsAtAck = cloudSql.backups.insertCalls;
    const events = pubsub.pushEvents(TOPIC);
    const [first] = events;
    // Pub/Sub delivers at least once: every message, and the first one again.
    const statuses = [];
    for (const event of first ? [...events, first] : events) statuses.push(await push(event));

    // Assess
    expect([ack.status, retry.status, forged.status, stale.status]).toEqual([200, 200, 401, 401]);
    expect(JSON.parse(ack.text).text).toContain('for CHG-77');
    expect(insertsAtAck).toBe(0);
    expect(events).toHaveLength(2);
    expect(JSON.parse(Buffer.from(first?.data.message.data ?? '', 'base64').toString('utf8'))).toMatchObject({
      command: { name: 'snapshot', targets: ['certctl-pg'], ticket: 'CHG-77' },
      requestedBy: 'slack:T0CERTCTL/U0OPERATOR',
      replyTo: { kind: 'slack', responseUrl: url },
    });
    expect(statuses).toEqual([204, 204, 204]);
    expect(cloudSql.backups.insertCalls).toBe(1);
    // The answer and the retry's "no new snapshot"; the redelivered message posts nothing.
    const views = receiver.postsTo(url).map((post) => slackView(post.message));
    expect(views).toHaveLength(2);
    expect(views.filter((view) => view.includes('*GO*'))).toHaveLength(2);
    expect(views.filter((view) => view.includes('no new snapshot was started'))).toHaveLength(1);
    expect(views.join('\n')).toMatch(/`certctl-premaint-certctl-pg-[0-9a-f]{10}` restorable/);
    // Its result is kept as long as its snapshot (snapshots.expiryDays, 14 days by default), beside
    // the snapshot function's records, not the chat's 24 hours: a later ask of the ticket is replayed.
    const [kept] = await new Storage({ apiEndpoint: sim.endpoint })
      .bucket(BUCKET)
      .getFiles({ prefix: SNAPSHOT_RECORDS_PREFIX });
    const expiries = await Promise.all(
      kept.map(async (file) => Date.parse(JSON.parse(String((await file.download())[0])).expiresAt)),
    );
    expect(expiries).toHaveLength(1);
    expect((expiries[0] ?? 0) - Date.now()).toBeGreaterThan(13 * 86_400_000);
    // The backup taken is recorded as ours where prune reads it (snapshots.runRecordsBucket).
    const [taken] = cloudSql.backups.runs(PROJECT, 'certctl-pg', new Date());
    const snapshotId = /id=([^;]+)/.exec(taken?.run.description ?? '')?.[1] ?? '';
    const recorded = await runRecordsBucketOf(clients, BUCKET).read(
      { provider: 'gcp', account: PROJECT, region: '*' },
      [{ id: snapshotId, kind: 'cloudsql-instance', target: 'certctl-pg', status: 'available', tags: {} }],
    );
    expect(recorded).toMatchObject([{ provider: 'gcp', target: 'certctl-pg', snapshotId }]);
  });

  it('answers a push with an error status (not acknowledged, so Pub/Sub redelivers it) while a crashed delivery still holds the work, and acknowledges one after the work was done', async () => {
    // Prepare: a readiness request published to the topic; its first delivery claimed the work
    // until its timeout and crashed (no deliveryDone).
    const url = govSlackUrl();
    const pubsub = sim.service<PubsubService>(PUBSUB_SERVICE);
    const before = pubsub.messages(TOPIC).length;
    await slack(
      slashCommandForm('readiness', { user_id: 'U0ANYONE', response_url: url }),
      CANARY,
      new Date(),
    );
    const [event] = pubsub.pushEvents(TOPIC).slice(before);
    if (!event) throw new Error('nothing was published');
    const work = JSON.parse(Buffer.from(event.data.message.data, 'base64').toString('utf8')) as ChatWork;
    const records = chatRecordsOf(clients, BUCKET);
    await firstDeliveryOver(records)(deliveryKeyOf(work), new Date(Date.now() + 540_000));

    // Act: Pub/Sub's redelivery while that claim holds; then the work is done, and it comes again.
    const whileHeld = await push(event);
    const postsWhileHeld = receiver.postsTo(url).length;
    await deliveryDoneOver(records)(deliveryKeyOf(work));
    const afterDone = await push(event);

    // Assess
    expect(whileHeld).toBeGreaterThanOrEqual(500);
    expect(afterDone).toBe(204);
    expect(postsWhileHeld).toBe(0);
    expect(receiver.postsTo(url)).toHaveLength(0);
  });

  it('keeps the canary signing secret out of every log line, answer, message, record and chat post', async () => {
    // Prepare: a readiness request on top of the snapshot's.
    const url = govSlackUrl();
    const pubsub = sim.service<PubsubService>(PUBSUB_SERVICE);
    const before = pubsub.messages(TOPIC).length;

    // Act
    const ack = await slack(
      slashCommandForm('readiness', { user_id: 'U0ANYONE', response_url: url }),
      CANARY,
      new Date(),
    );
    for (const event of pubsub.pushEvents(TOPIC).slice(before)) await push(event);
    const [records] = await new Storage({ apiEndpoint: sim.endpoint }).bucket(BUCKET).getFiles();
    const recordTexts = await Promise.all(records.map(async (file) => String((await file.download())[0])));

    // Assess
    const texts = [
      output.text(),
      ack.text,
      ...pubsub.messages(TOPIC).map((message) => Buffer.from(message.data, 'base64').toString('utf8')),
      ...recordTexts,
      ...receiver.postsTo(url).map((post) => JSON.stringify(post.message)),
    ];
    expect(texts.join('\n')).toContain('Readiness for the CA rotation');
    for (const text of texts) expect(text).not.toContain(CANARY);
  });
});
