/**
 * The GCP chat functions over the shared chat code: the Slack request as the Functions Framework
 * delivers it (raw bytes in `rawBody`), published through the real Pub/Sub REST call to the
 * simulated chat topic, and the Pub/Sub event run by the action side, answering on a response_url
 * on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLACK_REPLY_HOSTS } from '../../../functions/chatops/reply-hosts.ts';
import { type ChatWork, deliveryKeyOf, requestKeyOf } from '../../../functions/chatops/work.ts';
import { chatopsPolicySchema } from '../../../functions/core/chatops-policy.ts';
import { InputError } from '../../../functions/core/errors.ts';
import { parsePolicy } from '../../../functions/core/policy.ts';
import { pubsubDispatcher } from '../../../functions/gcp/chat-dispatch.ts';
import { chatRecordsOf, cloudStorageRecordStore } from '../../../functions/gcp/chat-records.ts';
import { GcpClientFactory } from '../../../functions/gcp/clients.ts';
import {
  CHAT_ACTION_TIMEOUT_MS,
  createChatActionFunction,
  deliveryDoneOver,
  firstDeliveryOver,
  gcpChatActions,
} from '../../../functions/handlers/gcp/chat-action.ts';
import { createChatSlackFunction } from '../../../functions/handlers/gcp/chat-slack.ts';
import { fakeActions } from '../../chatops/fake-actions.ts';
import { recordingLogger } from '../../core/recording-logger.ts';
import { cloudSqlScenario, instance, PROJECT, startGcpSim } from '../../gcp/sim-setup.ts';
import { type Sim, startSim } from '../../sim/server.ts';
import type { CloudSqlSim } from '../../sim/services/cloud-sql.ts';
import { PUBSUB_SERVICE, type PubsubService } from '../../sim/services/pubsub.ts';
import { signedSlackEvent, slashCommandForm } from '../../sim/slack-client.ts';
import { type SlackReceiver, slackView, startSlackReceiver } from '../../sim/slack-receiver.ts';

const SECRET = 'CANARY-gcp-slack-secret-93be';
const NOW = new Date('2026-12-02T10:00:00Z');
const TOPIC = 'projects/certctl-ops/topics/certctl-backup-guard-chat';
const policy = chatopsPolicySchema.parse({
  slack: { teams: ['T0CERTCTL'] },
  permissions: { snapshot: ['U0OPERATOR'], readiness: ['*'], status: ['*'] },
});

let receiver: SlackReceiver;
beforeAll(async () => {
  receiver = await startSlackReceiver();
});
afterAll(async () => {
  await receiver.close();
});

/** The Functions Framework's request and response, as far as the function uses them. */
function exchange(body: string, headers: Record<string, string | undefined>) {
  const sent: { status?: number; headers?: Record<string, string>; body?: string } = {};
  const res = {
    status(code: number) {
      sent.status = code;
      return res;
    },
    set(values: Record<string, string>) {
      sent.headers = values;
      return res;
    },
    send(text: string) {
      sent.body = text;
      return res;
    },
  };
  const lowercased = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { req: { method: 'POST', headers: lowercased, rawBody: Buffer.from(body) }, res, sent };
}

/** chatSlack as the deployment wires it: the real publish call, here to the simulator's Pub/Sub. */
function slackFunctionPublishingTo(sim: Sim) {
  const clients = new GcpClientFactory({ endpoint: sim.endpoint });
  const logger = recordingLogger();
  const handler = createChatSlackFunction(() => ({
    policy,
    signingSecret: SECRET,
    dispatch: pubsubDispatcher(() => clients.requestClient(), TOPIC, sim.endpoint),
    logger,
    now: () => NOW,
    replyHosts: [...SLACK_REPLY_HOSTS, '127.0.0.1'],
  }));
  return { handler, logger, clients };
}

describe('the GCP chat functions', () => {
  it('acknowledges a signed command, publishes the work to the chat topic, and refuses a forged one', async () => {
    // Prepare: the real publish call against the simulated Pub/Sub, as the deployment wires it.
    const { sim } = await startGcpSim({
      services: { pubsub: { topics: [{ project: 'certctl-ops', name: 'certctl-backup-guard-chat' }] } },
    });
    const { handler, logger, clients } = slackFunctionPublishingTo(sim);
    const body = slashCommandForm('snapshot certctl-sql reason="CA rotation" ticket=CHG-9');
    const good = signedSlackEvent(body, SECRET, NOW);
    const forged = signedSlackEvent(body, 'not-the-secret', NOW);

    try {
      // Act
      const accepted = exchange(body, good.headers as Record<string, string>);
      await handler(accepted.req as never, accepted.res as never);
      const refused = exchange(body, forged.headers as Record<string, string>);
      await handler(refused.req as never, refused.res as never);

      // Assess
      expect(accepted.sent.status).toBe(200);
      expect(JSON.parse(accepted.sent.body ?? '{}').text).toContain('for CHG-9');
      expect(refused.sent).toMatchObject({ status: 401, body: 'Request refused.' });
      const published = sim.service<PubsubService>(PUBSUB_SERVICE).messages(TOPIC);
      expect(published).toHaveLength(1);
      const work = JSON.parse(Buffer.from(published[0]?.data ?? '', 'base64').toString('utf8')) as ChatWork;
      expect(work).toMatchObject({
        command: { name: 'snapshot', ticket: 'CHG-9' },
        requestedBy: 'slack:T0CERTCTL/U0OPERATOR',
      });
      expect(logger.text()).toContain('"ChatCommandsRefused":1');
      expect(logger.text()).not.toContain(SECRET);
    } finally {
      await clients.close();
      await sim.close();
    }
  });

  it('answers a caller a bare 500 when the function cannot start (no signing secret), keeping the reason in the log', async () => {
    // Prepare: the public URL with the secret unset; anyone may call it.
    const logger = recordingLogger();
    const handler = createChatSlackFunction(() => {
      throw new InputError(
        'chatSlack needs SLACK_SIGNING_SECRET (from Secret Manager) and BACKUP_GUARD_CHAT_TOPIC; the deployment sets both',
      );
    }, logger);
    const body = slashCommandForm('status');
    const call = exchange(body, signedSlackEvent(body, SECRET, NOW).headers as Record<string, string>);

    // Act
    await handler(call.req as never, call.res as never);

    // Assess: refused (nothing runs without a secret), the deployment's names only in the log.
    expect(call.sent).toMatchObject({
      status: 500,
      body: 'backup-guard is not available; the reason is in its log.',
    });
    expect(logger.text()).toContain('chatSlack needs SLACK_SIGNING_SECRET');
  });

  it('answers a publish Pub/Sub refuses by saying the command did not start, and keeps the reason in the log', async () => {
    // Prepare: the topic does not exist (a deployment that lost it).
    const { sim } = await startGcpSim({});
    const { handler, logger, clients } = slackFunctionPublishingTo(sim);
    const body = slashCommandForm('readiness');
    const request = exchange(body, signedSlackEvent(body, SECRET, NOW).headers as Record<string, string>);

    try {
      // Act
      await handler(request.req as never, request.res as never);

      // Assess
      expect(request.sent.status).toBe(200);
      // Pub/Sub refused the publish (404), so nothing was published: the user may be told so.
      expect(JSON.parse(request.sent.body ?? '{}').text).toMatch(/^The command did not start: /);
      expect(request.sent.body).not.toContain('not found');
      expect(logger.text()).toContain('Resource not found (resource=certctl-backup-guard-chat).');
    } finally {
      await clients.close();
      await sim.close();
    }
  });

  it('runs the work of a Pub/Sub event once, answering on the response_url, and a redelivery takes no second snapshot', async () => {
    // Prepare
    const actions = fakeActions();
    const logger = recordingLogger();
    const handler = createChatActionFunction(() => ({ actions, logger, replyHosts: ['127.0.0.1'] }));
    const url = receiver.responseUrl();
    const command = {
      name: 'snapshot' as const,
      targets: ['certctl-sql'],
      reason: 'CA rotation',
      ticket: 'CHG-9',
    };
    const work: ChatWork = {
      command,
      requestedBy: 'slack:T0CERTCTL/U0OPERATOR',
      replyTo: { kind: 'slack', responseUrl: url },
      requestKey: 'a'.repeat(64),
      acceptedAt: new Date().toISOString(),
    };
    const event = { data: { message: { data: Buffer.from(JSON.stringify(work)).toString('base64') } } };

    // Act
    await handler(event);
    await handler(event);
    await handler({ data: { message: { data: 'bm90IGpzb24=' } } });

    // Assess
    expect(actions.started).toHaveLength(1);
    const views = receiver.postsTo(url).map((post) => slackView(post.message));
    expect(views[0]).toContain('`certctl-premaint-certctl-sql-0123456789` restorable');
    expect(views[1]).toContain('no new snapshot was started');
  });
});

describe('the chatSlack function called with another method', () => {
  it('answers 405 JSON naming the method to use, with Allow: POST, and builds nothing', async () => {
    // Prepare
    let built = 0;
    const handler = createChatSlackFunction(() => {
      built += 1;
      throw new Error('dependencies are not built for a refused request');
    });
    const sent: { status?: number; headers?: Record<string, string>; json?: unknown } = {};
    const res = {
      status(code: number) {
        sent.status = code;
        return res;
      },
      set(name: string, value: string) {
        sent.headers = { ...sent.headers, [name.toLowerCase()]: value };
        return res;
      },
      json(body: unknown) {
        sent.json = body;
        return res;
      },
      send() {
        throw new Error('answered with text, not JSON');
      },
    };

    // Act
    await handler({ method: 'GET', headers: {} } as never, res as never);

    // Assess
    expect(sent.status).toBe(405);
    expect(sent.headers).toEqual({ allow: 'POST' });
    expect(sent.json).toEqual({ error: expect.stringContaining('POST') });
    expect(built).toBe(0);
  });
});

describe('the chatAction function after a delivery whose run crashed', () => {
  it('fails a redelivery while the crashed run’s claim holds (Pub/Sub redelivers it later), runs and answers one after the claim lapsed, and acknowledges a repeat of the answered run', async () => {
    // Prepare: chatAction as its container wires it, with its 540-second timeout, over the records
    // in the simulator's Cloud Storage.
    const sim = await startSim({
      scenario: { services: { gcs: { buckets: [{ name: 'certctl-ops-certctl-chat-requests' }] } } },
    });
    const records = cloudStorageRecordStore({
      bucket: 'certctl-ops-certctl-chat-requests',
      prefix: 'crash/',
      endpoint: sim.endpoint,
    });
    let now = new Date();
    const clock = () => now;
    const actions = fakeActions();
    const logger = recordingLogger();
    const handler = createChatActionFunction(() => ({
      actions,
      logger,
      replyHosts: ['127.0.0.1'],
      now: clock,
      remainingMs: () => CHAT_ACTION_TIMEOUT_MS,
      firstDelivery: firstDeliveryOver(records, clock),
      deliveryDone: deliveryDoneOver(records, clock),
    }));
    const url = receiver.responseUrl();
    const work: ChatWork = {
      command: { name: 'readiness', targets: [] },
      requestedBy: 'slack:T0CERTCTL/U0ANYONE',
      replyTo: { kind: 'slack', responseUrl: url },
      requestKey: 'c'.repeat(64),
      acceptedAt: now.toISOString(),
    };
    const event = { data: { message: { data: Buffer.from(JSON.stringify(work)).toString('base64') } } };

    try {
      // Act: the first delivery claims the work and its process dies (no deliveryDone); Pub/Sub
      // redelivers 10 seconds later, then once more after the first run's timeout, then again.
      await firstDeliveryOver(records, clock)(
        deliveryKeyOf(work),
        new Date(now.getTime() + CHAT_ACTION_TIMEOUT_MS),
      );
      now = new Date(now.getTime() + 10_000);
      const soon = handler(event);
      await expect(soon).rejects.toThrow(/earlier delivery .* still running/);
      const postsWhileClaimed = receiver.postsTo(url).length;
      now = new Date(now.getTime() + CHAT_ACTION_TIMEOUT_MS);
      await expect(handler(event)).resolves.toBeUndefined();
      now = new Date(now.getTime() + 60_000);
      await expect(handler(event)).resolves.toBeUndefined();

      // Assess
      expect(postsWhileClaimed).toBe(0);
      const views = receiver.postsTo(url).map((post) => slackView(post.message));
      expect(views).toHaveLength(1);
      expect(views[0]).toContain('Readiness');
      await soon.catch((error: Error) => expect(error.message).not.toMatch(/c{64}|127\.0\.0\.1/));
      // The Functions Framework logs what a failed event threw, stack and all, on each redelivery:
      // this failure is the deliberate way to have it delivered again, not a fault, so it has no frames.
      await soon.catch((error: Error) => expect(error.stack).not.toMatch(/^\s+at /m));
    } finally {
      await sim.close();
    }
  });
});

describe('the chatAction function given work it cannot run', () => {
  it('names what is wrong with a Pub/Sub message whose data is not base64, or not JSON', async () => {
    // Prepare
    const logger = recordingLogger();
    const handler = createChatActionFunction(() => ({ actions: fakeActions(), logger }));

    // Act
    await handler({ data: { message: { data: '{"command":{"name":"status"}}' } } });
    await handler({ data: { message: { data: Buffer.from('status').toString('base64') } } });

    // Assess
    expect(logger.entries.map((entry) => [entry.message, entry.attributes[0]?.error])).toEqual([
      ['chat work refused', 'the Pub/Sub message data is not base64, as Pub/Sub sends it'],
      ['chat work refused', 'the Pub/Sub message data is not JSON'],
    ]);
  });

  it('acknowledges (resolves, runs nothing, logs the refusal) an event without data, data that is not JSON, and JSON that is not chat work, so Pub/Sub does not redeliver a permanent error', async () => {
    // Prepare
    const actions = fakeActions();
    const logger = recordingLogger();
    const handler = createChatActionFunction(() => ({ actions, logger, replyHosts: ['127.0.0.1'] }));
    const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
    const events = [
      {},
      { data: { message: {} } },
      { data: { message: { data: 'bm90IGpzb24=' } } },
      { data: { message: { data: encoded({ command: { name: 'restore' }, requestKey: 'x' }) } } },
      { data: { message: { data: encoded(['not', 'work']) } } },
    ];

    // Act: a throw (or a rejection) would be a NACK, and Pub/Sub would redeliver it until it expires.
    for (const event of events) await expect(handler(event)).resolves.toBeUndefined();

    // Assess
    expect(actions.started).toHaveLength(0);
    expect(logger.entries.filter((entry) => entry.message === 'chat work refused')).toHaveLength(
      events.length,
    );
  });
});

/**
 * The GCP chat action over the real jobs: Cloud SQL, Cloud Storage (the request records) and the
 * scenario's other services on the simulator, real clients through the one factory, and a Pub/Sub
 * event carrying `command` as accepted from Slack.
 */
async function chatActionOverSim(
  scenario: ReturnType<typeof cloudSqlScenario>,
  policyInput: Record<string, unknown>,
  command: ChatWork['command'],
  trigger: string,
) {
  const { sim } = await startGcpSim(
    {
      ...scenario,
      services: { ...scenario.services, gcs: { buckets: [{ name: 'certctl-ops-certctl-chat-requests' }] } },
    },
    { clock: () => new Date() },
  );
  const clients = new GcpClientFactory({ endpoint: sim.endpoint });
  const policy = parsePolicy({
    gcp: { projects: [PROJECT] },
    chatops: { slack: { teams: ['T0CERTCTL'] } },
    ...policyInput,
  });
  const logger = recordingLogger();
  const handler = createChatActionFunction(() => ({
    actions: gcpChatActions({
      policy,
      clients,
      records: chatRecordsOf(clients, 'certctl-ops-certctl-chat-requests'),
    }),
    logger,
    replyHosts: ['127.0.0.1'],
  }));
  const url = receiver.responseUrl();
  const work: ChatWork = {
    command,
    requestedBy: 'slack:T0CERTCTL/U0OPERATOR',
    replyTo: { kind: 'slack', responseUrl: url },
    requestKey: requestKeyOf(command, 'slack:T0CERTCTL/U0OPERATOR', trigger),
    acceptedAt: new Date().toISOString(),
  };
  const event = { data: { message: { data: Buffer.from(JSON.stringify(work)).toString('base64') } } };
  return {
    sim,
    handler,
    event,
    url,
    logger,
    close: async () => {
      await clients.close();
      await sim.close();
    },
  };
}

describe('the GCP chat action over the real jobs', () => {
  it('snapshots a Cloud SQL instance once for a request and its redelivery, with the records in Cloud Storage', async () => {
    // Prepare
    const { sim, handler, event, url, close } = await chatActionOverSim(
      cloudSqlScenario([
        instance('certctl-pg', { onDemandBackups: { durationMs: 100 } }),
        instance('other-pg', { labels: {} }),
      ]),
      { snapshots: { pollInitialSeconds: 0.05, pollMaxSeconds: 0.1, waitMinutes: 0.2 } },
      { name: 'snapshot', targets: [], reason: 'CA rotation', ticket: 'CHG-31' },
      'trigger-31',
    );
    const cloudSql = sim.service<CloudSqlSim>('cloudSql');

    try {
      // Act
      await handler(event);
      await handler(event);

      // Assess
      expect(cloudSql.backups.insertCalls).toBe(1);
      const views = receiver.postsTo(url).map((post) => slackView(post.message));
      expect(views.at(-2)).toMatch(
        /\*certctl-pg\* \(gcp\/certctl-prod\/[a-z0-9-]+\): `certctl-premaint-certctl-pg-[0-9a-f]{10}` restorable/,
      );
      expect(views.at(-2)).toContain('*GO*');
      expect(views.at(-1)).toContain('no new snapshot was started');
    } finally {
      await close();
    }
  });

  it('replays a remembered snapshot as gone, never GO, once its Cloud SQL backup was deleted, and takes no second one', async () => {
    // Prepare
    const { sim, handler, event, url, close } = await chatActionOverSim(
      cloudSqlScenario([instance('certctl-pg', { onDemandBackups: { durationMs: 100 } })]),
      { snapshots: { pollInitialSeconds: 0.05, pollMaxSeconds: 0.1, waitMinutes: 0.2 } },
      { name: 'snapshot', targets: [], reason: 'CA rotation', ticket: 'CHG-32' },
      'trigger-32',
    );
    const cloudSql = sim.service<CloudSqlSim>('cloudSql');

    try {
      await handler(event);
      const [taken] = cloudSql.backups.runs(PROJECT, 'certctl-pg', new Date());
      if (!taken) throw new Error('no backup was taken');
      cloudSql.backups.delete(PROJECT, 'certctl-pg', taken.run.id, new Date());
      await new Promise((resolve) => setTimeout(resolve, 600)); // the simulator's delete takes 500 ms

      // Act: the same delivery again (Pub/Sub at least once): its remembered result is replayed.
      await handler(event);

      // Assess
      expect(cloudSql.backups.insertCalls).toBe(1);
      const last = receiver.postsTo(url).at(-1);
      if (!last) throw new Error('no answer was posted');
      const replayed = slackView(last.message);
      expect(replayed).toContain('SnapshotGone');
      expect(replayed).toContain('*NO-GO*');
      expect(replayed).not.toContain('*GO*');
    } finally {
      await close();
    }
  });

  it('judges the key-material gate of readiness through Secret Manager, as the snapshot function does', async () => {
    // Prepare: a configured inventory whose secret is destroyed (keys.not-deleting fails).
    const scenario = cloudSqlScenario([instance('certctl-pg')]);
    const { handler, event, url, logger, close } = await chatActionOverSim(
      {
        ...scenario,
        services: {
          ...scenario.services,
          secretManager: {
            secrets: [{ project: PROJECT, name: 'ca-key', versions: [{ state: 'DESTROYED' }] }],
          },
        },
      },
      {
        keys: {
          preset: 'none',
          items: { 'ca-key': { kind: 'private-key', secret: `projects/${PROJECT}/secrets/ca-key` } },
        },
      },
      { name: 'readiness', targets: [] },
      'trigger-32',
    );

    try {
      // Act
      await handler(event);

      // Assess
      const answer =
        receiver
          .postsTo(url)
          .map((post) => slackView(post.message))
          .at(-1) ?? '';
      expect(logger.text()).not.toContain('could not');
      expect(answer).toContain(
        `NO-GO \`audit:keys\`: keys.not-deleting FAILED on projects/${PROJECT}/secrets/ca-key`,
      );
    } finally {
      await close();
    }
  });
});
