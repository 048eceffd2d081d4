/**
 * The ChatOps chapter of `npm run demo`: a Slack conversation before a CA rotation, played against
 * the real `chat-slack` and `chat-action` handlers. A signed `/backup-guard snapshot`, Slack's retry
 * of it, a forged request, a stale one, a user outside the allow-list, then `readiness`; what Slack
 * would show is read back from a local response_url receiver on 127.0.0.1. The snapshots are real
 * snapshot-job runs on the simulated RDS, once per request in a local DynamoDB (dynalite).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { HttpResponse, SlackEvent } from '../../../functions/chatops/middleware.ts';
import { loadPolicyFile } from '../../../functions/core/policy-file.ts';
import { METRICS_NAMESPACE } from '../../../functions/handlers/aws/observability.ts';
import { startLocalDynamo } from '../../jobs/dynalite.ts';
import { localChatDeployment } from '../chat-deployment.ts';
import type { RdsService } from '../services/rds.ts';
import { signedSlackEvent, slashCommandForm } from '../slack-client.ts';
import { slackView, startSlackReceiver } from '../slack-receiver.ts';
import type { DemoContext } from './context.ts';

/** The demo Slack app's signing secret (the simulator's; a deployment keeps its own in Secrets Manager). */
const DEMO_SIGNING_SECRET = 'demo-slack-signing-secret';

/** Powertools log lines and EMF metrics go to stdout in Lambda; the demo keeps them out of the story. */
function quietObservability(service: string) {
  return {
    logger: new Logger({ serviceName: service, logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service }),
  };
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

/** What Slack shows for the endpoint's HTTP answer. */
function shownFor(answer: HttpResponse): string {
  if (answer.statusCode !== 200)
    return `HTTP ${answer.statusCode}: ${answer.body} (Slack shows its own error)`;
  if (answer.body === '') return '(nothing)';
  return JSON.parse(answer.body).text as string;
}

export async function chatChapter({ sim, out, bold, policy: policyFile }: DemoContext): Promise<number> {
  const policy = await loadPolicyFile(policyFile);
  const dynamo = await startLocalDynamo(policy.snapshots.idempotencyTable);
  const receiver = await startSlackReceiver();
  const rds = sim.service<RdsService>('rds');
  const chat = localChatDeployment({
    endpoint: sim.endpoint,
    policy,
    dynamo,
    signingSecret: DEMO_SIGNING_SECRET,
    observability: quietObservability,
    progressSettleMs: 500,
  });
  const write = process.stdout.write;
  const send = async (title: string, event: SlackEvent) => {
    out(`\n${bold(title)}\n`);
    // The endpoint's metrics (EMF on stdout in Lambda) stay out of the demo's output.
    process.stdout.write = (() => true) as typeof process.stdout.write;
    let answer: HttpResponse;
    try {
      answer = await chat.slack(event);
    } finally {
      process.stdout.write = write;
    }
    out(`  acknowledged in the HTTP answer:\n${indent(shownFor(answer))}\n`);
    return answer;
  };
  const showPosts = (url: string) => {
    for (const [index, post] of receiver.postsTo(url).entries()) {
      out(`  post ${index + 1} to response_url:\n${indent(slackView(post.message))}\n`);
    }
  };
  try {
    out(`\n${bold('ChatOps before a CA rotation (Slack /backup-guard)')}\n`);
    out(
      `Policy: workspace ${policy.chatops.slack.teams.join(', ')}, channel ${policy.chatops.slack.channels.join(', ')}; snapshot for ${policy.chatops.permissions.snapshot.join(', ')}, readiness and status for everyone there.\n`,
    );
    const url = receiver.responseUrl();
    const text = 'snapshot certctl-prod-db certctl-ocsp-db reason="CA rotation" ticket=CHG-2001';
    const body = slashCommandForm(text, { response_url: url });
    const now = new Date();
    const creates = rds.snapshots.createCalls;
    await send(`U0OPERATOR: /backup-guard ${text}`, signedSlackEvent(body, DEMO_SIGNING_SECRET, now));
    const retry = signedSlackEvent(body, DEMO_SIGNING_SECRET, now);
    await send("Slack's retry of the same request (X-Slack-Retry-Num: 1)", {
      ...retry,
      headers: { ...retry.headers, 'X-Slack-Retry-Num': '1', 'X-Slack-Retry-Reason': 'http_timeout' },
    });
    await send(
      'A forged request (signed with another secret)',
      signedSlackEvent(body, 'not-the-secret', now),
    );
    await send(
      'A stale request (signed 6 minutes ago: a replay)',
      signedSlackEvent(body, DEMO_SIGNING_SECRET, new Date(now.getTime() - 6 * 60_000)),
    );
    await send(
      `U0INTERN: /backup-guard ${text}`,
      signedSlackEvent(slashCommandForm(text, { user_id: 'U0INTERN' }), DEMO_SIGNING_SECRET, now),
    );
    await chat.settle();
    out(`\n${bold('What the channel sees from the action function')}\n`);
    showPosts(url);
    out(
      `Snapshots created for the request and its retry: ${rds.snapshots.createCalls - creates} (one per database, once); posts to its response_url: ${receiver.postsTo(url).length} of Slack's 5.\n`,
    );
    const readinessUrl = receiver.responseUrl();
    await send(
      'U0ANYONE: /backup-guard readiness',
      signedSlackEvent(
        slashCommandForm('readiness', { user_id: 'U0ANYONE', response_url: readinessUrl }),
        DEMO_SIGNING_SECRET,
        new Date(),
      ),
    );
    await chat.settle();
    showPosts(readinessUrl);
    return 0;
  } finally {
    chat.close();
    await receiver.close();
    await dynamo.close();
  }
}
