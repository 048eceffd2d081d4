/**
 * `npm run bench:chat`: what Slack waits for. The acknowledgement latency of the `chat-slack`
 * handler in-process (p50/p99 over 1,000 signed requests on a warm handler: verification,
 * authorization, the hand-off and the answer, with the real Powertools Logger and Metrics), and the
 * cold start of each chat Lambda bundle as deployed (size and module init), beside the audit-pitr
 * bundle measured in the same run. Targets: ack p99 < 50 ms warm; bundle < 1 MB; init < 150 ms.
 * Prints figures; never fails on them.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { ChatWork } from '../functions/chatops/work.ts';
import { chatopsPolicySchema } from '../functions/core/chatops-policy.ts';
import { createSlackHandler } from '../functions/handlers/aws/chat-slack.ts';
import { METRICS_NAMESPACE } from '../functions/handlers/aws/observability.ts';
import { signedSlackEvent, slashCommandForm } from '../test/sim/slack-client.ts';
import { bundleReport, measureFunction } from './bundle.ts';

const REQUESTS = 1000;
const WARM_UP = 50;
const SECRET = 'bench-signing-secret';

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const policy = chatopsPolicySchema.parse({
  slack: { teams: ['T0CERTCTL'], channels: ['C0PKIOPS'] },
  permissions: { snapshot: ['U0OPERATOR'], readiness: ['*'], status: ['*'] },
});
let dispatched = 0;
const handler = createSlackHandler({
  policy,
  // The secret as Parameters returns it from its cache: what every warm request sees.
  signingSecret: { get: async () => SECRET, refresh: async () => undefined },
  // Lambda's Invoke with InvocationType Event answers 202 at once; the network round trip is not ours.
  dispatch: async (_work: ChatWork) => {
    dispatched += 1;
  },
  logger: new Logger({ serviceName: 'chat-slack' }),
  metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'chat-slack' }),
});
const texts = [
  'snapshot certctl-prod-db certctl-ra-db reason="CA rotation" ticket=CHG-42',
  'readiness',
  'status',
  'help',
];
const events = Array.from({ length: REQUESTS + WARM_UP }, (_, index) =>
  signedSlackEvent(slashCommandForm(texts[index % texts.length] ?? 'help'), SECRET, new Date()),
);

// The log lines and EMF documents are formatted as in Lambda, then dropped instead of reaching a
// terminal, whose speed is not the function's.
const write = process.stdout.write;
process.stdout.write = (() => true) as typeof process.stdout.write;
const latencies: number[] = [];
let refused = 0;
try {
  for (const [index, event] of events.entries()) {
    const started = performance.now();
    const answer = await handler(event, {});
    const elapsed = performance.now() - started;
    if (answer.statusCode !== 200) refused += 1;
    if (index >= WARM_UP) latencies.push(elapsed);
  }
} finally {
  process.stdout.write = write;
}
latencies.sort((a, b) => a - b);

const bundles = [];
// audit-pitr, measured in the same run, is the yardstick: module init moves with the machine's load.
for (const name of ['chat-slack', 'chat-amazon-q', 'chat-action', 'audit-pitr']) {
  bundles.push({ name, figures: await measureFunction(`functions/handlers/aws/${name}.ts`, name, 'aws') });
}

const lines = [
  `Slack acknowledgement, in-process, warm (${REQUESTS} signed requests after ${WARM_UP} warm-up; snapshot, readiness, status, help in turn)`,
  `  p50:   ${percentile(latencies, 50).toFixed(2)} ms`,
  `  p99:   ${percentile(latencies, 99).toFixed(2)} ms (target < 50 ms)`,
  `  max:   ${(latencies.at(-1) ?? Number.NaN).toFixed(2)} ms`,
  `  handed off: ${dispatched}, refused: ${refused}`,
  '',
  ...bundles.flatMap((bundle) =>
    bundleReport(
      `Lambda ${bundle.name}${bundle.name === 'audit-pitr' ? ' (for comparison)' : ''}`,
      bundle.figures,
    ),
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
