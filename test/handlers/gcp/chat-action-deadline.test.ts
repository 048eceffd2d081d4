/**
 * The GCP `chatAction` function answers a snapshot within its own timeout (the deployment's
 * `--timeout=540s`, CHAT_ACTION_TIMEOUT_MS): Cloud Run stops it then, and a chat snapshot waits up
 * to `snapshots.waitMinutes` (default 60), so its wait must end in time to record what it did and
 * post the answer, whatever time finding the instances took, as the `snapshot` function's does
 * (functions/core/snapshots-policy.ts functionWaitEndsBy). Against the simulated Cloud SQL Admin API
 * and Cloud Storage, on a clock the test moves: each poll's sleep moves it on, and so does the
 * simulator's answer to the instance listing (a slow set-up).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSWER_MARGIN_MS } from '../../../functions/chatops/action.ts';
import { type ChatWork, requestKeyOf } from '../../../functions/chatops/work.ts';
import { parsePolicy } from '../../../functions/core/policy.ts';
import { chatRecordsOf, snapshotRecordsOf } from '../../../functions/gcp/chat-records.ts';
import { GcpClientFactory } from '../../../functions/gcp/clients.ts';
import {
  CHAT_ACTION_TIMEOUT_MS,
  createChatActionFunction,
  gcpChatActions,
} from '../../../functions/handlers/gcp/chat-action.ts';
import { recordingLogger } from '../../core/recording-logger.ts';
import { cloudSqlScenario, instance, PROJECT, startGcpSim } from '../../gcp/sim-setup.ts';
import type { Sim } from '../../sim/server.ts';
import { type SlackReceiver, slackView, startSlackReceiver } from '../../sim/slack-receiver.ts';

const BUCKET = 'certctl-ops-certctl-chat-requests';
/** How long the instance listing takes on the test's clock: the set-up before the wait. */
const LISTING_MS = 90_000;

let receiver: SlackReceiver;
let sim: Sim;
let clients: GcpClientFactory;
/** The clock of the simulator and the function: starts at the real time, moved on by each sleep. */
let clock: number;

beforeAll(async () => {
  receiver = await startSlackReceiver();
  clock = Date.now();
  const scenario = cloudSqlScenario([
    // A backup run stays RUNNING longer than any wait.
    instance('certctl-pg', { onDemandBackups: { durationMs: 5 * 3_600_000 } }),
  ]);
  ({ sim } = await startGcpSim(
    { ...scenario, services: { ...scenario.services, gcs: { buckets: [{ name: BUCKET }] } } },
    {
      clock: () => new Date(clock),
      holdRequest: (request) => {
        if (request.method === 'GET' && /^\/v1\/projects\/[^/]+\/instances$/.test(request.path)) {
          clock += LISTING_MS;
        }
        return undefined;
      },
    },
  ));
  clients = new GcpClientFactory({ endpoint: sim.endpoint });
});

afterAll(async () => {
  await clients?.close();
  await sim?.close();
  await receiver?.close();
});

describe('the GCP chat action answering a snapshot', () => {
  it('posts its answer before the function would be stopped, when finding the instances was slow and the wait is the default 60 minutes', async () => {
    // Prepare: the function's remaining time as the deployment counts it, on the test's clock.
    const policy = parsePolicy({
      gcp: { projects: [PROJECT] },
      chatops: { slack: { teams: ['T0CERTCTL'] } },
    });
    const now = () => new Date(clock);
    const calledAt = clock;
    const handler = createChatActionFunction(() => ({
      actions: gcpChatActions({
        policy,
        clients,
        records: chatRecordsOf(clients, BUCKET),
        snapshotRecords: snapshotRecordsOf(clients, BUCKET),
        now,
        sleep: async (ms) => {
          clock += ms;
        },
      }),
      logger: recordingLogger(),
      replyHosts: ['127.0.0.1'],
      now,
      remainingMs: () => CHAT_ACTION_TIMEOUT_MS - (clock - calledAt),
    }));
    const command: ChatWork['command'] = {
      name: 'snapshot',
      targets: [],
      reason: 'CA rotation',
      ticket: 'CHG-540',
    };
    const url = receiver.responseUrl();
    const work: ChatWork = {
      command,
      requestedBy: 'slack:T0CERTCTL/U0OPERATOR',
      replyTo: { kind: 'slack', responseUrl: url },
      requestKey: requestKeyOf(command, 'slack:T0CERTCTL/U0OPERATOR', 'trigger-540'),
      acceptedAt: new Date(clock).toISOString(),
    };
    const event = { data: { message: { data: Buffer.from(JSON.stringify(work)).toString('base64') } } };

    // Act
    await handler(event);

    // Assess: the backup still running at the end of the wait is answered as such, the wait having
    // ended a margin before Cloud Run would stop the function. Before, the wait was cut at the
    // ask to the 8 minutes left then, and ran from the end of the 90 s listing: 30 s past the timeout.
    expect(clock - calledAt).toBeLessThanOrEqual(CHAT_ACTION_TIMEOUT_MS - ANSWER_MARGIN_MS);
    const answer = receiver.postsTo(url).at(-1);
    if (!answer) throw new Error('no answer was posted');
    expect(slackView(answer.message)).toContain('DeadlineExceeded');
    expect(slackView(answer.message)).toContain('6 min 30 s after the wait began');
  });
});
