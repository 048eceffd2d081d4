/**
 * The GCP chat functions (2nd gen), the same `/backup-guard` Slack command for Cloud SQL targets:
 *
 * - `chatSlack` (HTTP, public: Slack cannot present a Google identity; every request is verified by
 *   its Slack signature first): the shared Slack endpoint (functions/chatops/endpoint.ts), the same
 *   grammar, verification and authorization as the Lambda. The signing secret comes from Secret
 *   Manager as `SLACK_SIGNING_SECRET`, resolved once when the instance starts (`--set-secrets`).
 *   Long commands are published to the chat topic (functions/gcp/chat-dispatch.ts).
 * - `chatAction` (Pub/Sub trigger on that topic): the shared action side (functions/chatops/action.ts),
 *   snapshots once per request key with the records in Cloud Storage (functions/gcp/chat-records.ts).
 *
 * Counts are logged as `metrics` on the request's last log entry, for log-based metrics and alerts.
 */
import type * as functions from '@google-cloud/functions-framework';
import { type ChatActionMetric, runChatAction } from '../../chatops/action.ts';
import type { ChatActions } from '../../chatops/actions.ts';
import { type ChatEndpointMetric, slackEndpoint } from '../../chatops/endpoint.ts';
import type { HttpResponse, SlackEvent } from '../../chatops/middleware.ts';
import type { ChatWork } from '../../chatops/work.ts';
import type { ChatopsPolicy } from '../../core/chatops-policy.ts';
import type { StructuredLogger } from '../../core/logging.ts';
import { workOfPubsubEvent } from '../../gcp/chat-dispatch.ts';
import { createGcpLogger } from './observability.ts';

const logger = createGcpLogger('chat');

export interface ChatSlackFunctionDependencies {
  readonly policy: ChatopsPolicy;
  readonly signingSecret: string;
  readonly dispatch: (work: ChatWork) => Promise<void>;
  readonly logger: StructuredLogger;
  readonly now?: () => Date;
}

/** The `chatSlack` HTTP function over `deps` (lazily built, once per instance). */
export function createChatSlackFunction(deps: () => ChatSlackFunctionDependencies): functions.HttpFunction {
  let endpoint: ((event: SlackEvent) => Promise<HttpResponse>) | undefined;
  let log: StructuredLogger | undefined;
  let counts: Partial<Record<ChatEndpointMetric, number>> = {};
  return async (req, res) => {
    if (req.method !== 'POST') {
      res.status(405).set('Allow', 'POST').send('The Slack command is sent with POST.');
      return;
    }
    if (!endpoint) {
      const d = deps();
      log = d.logger;
      endpoint = slackEndpoint({
        policy: d.policy,
        signingSecret: async () => d.signingSecret,
        dispatch: d.dispatch,
        logger: d.logger,
        count: (metric) => {
          counts[metric] = (counts[metric] ?? 0) + 1;
        },
        ...(d.now ? { now: d.now } : {}),
      });
    }
    counts = {};
    // The signature covers the exact bytes Slack sent: the framework keeps them as rawBody.
    const answer = await endpoint({
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([name, value]) => [
          name,
          Array.isArray(value) ? value.join(',') : value,
        ]),
      ),
      body: (req.rawBody ?? Buffer.alloc(0)).toString('base64'),
      isBase64Encoded: true,
    });
    log?.info('chat request answered', { status: answer.statusCode, metrics: counts });
    res.status(answer.statusCode).set(answer.headers).send(answer.body);
  };
}

export interface ChatActionFunctionDependencies {
  readonly actions: ChatActions;
  readonly logger: StructuredLogger;
  readonly replyHosts?: readonly string[];
  readonly now?: () => Date;
  /** The function's timeout less what has passed (Cloud Run gives no remaining-time call). */
  readonly remainingMs?: () => number;
}

/** The `chatAction` Pub/Sub function over `deps`; never throws for a command that failed. */
export function createChatActionFunction(
  deps: () => ChatActionFunctionDependencies,
): (event: { readonly data?: unknown }) => Promise<void> {
  return async (event) => {
    const d = deps();
    const counts: Partial<Record<ChatActionMetric, number>> = {};
    const count = (metric: ChatActionMetric) => {
      counts[metric] = (counts[metric] ?? 0) + 1;
    };
    let work: unknown;
    try {
      work = workOfPubsubEvent(event);
    } catch (error) {
      count('ChatCommandsFailed');
      d.logger.error('chat work refused', { error: (error as Error).message, metrics: counts });
      return;
    }
    const outcome = await runChatAction(work, {
      actions: d.actions,
      logger: d.logger,
      count,
      ...(d.replyHosts ? { replyHosts: d.replyHosts } : {}),
      ...(d.now ? { now: d.now } : {}),
      ...(d.remainingMs ? { remainingMs: d.remainingMs } : {}),
    });
    d.logger.info('chat action finished', { outcome: outcome.outcome, metrics: counts });
  };
}

export { logger as chatLogger };
