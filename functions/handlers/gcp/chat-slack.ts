/**
 * `chatSlack` Cloud Function (2nd gen, HTTP, public: Slack cannot present a Google identity, so
 * every request is verified by its Slack signature before anything is parsed): the same `/backup-guard`
 * command as the Lambda, through the shared Slack endpoint (functions/chatops/endpoint.ts): the same
 * grammar, verification and authorization. The signing secret comes from Secret Manager as
 * `SLACK_SIGNING_SECRET`, resolved once when the instance starts (`--set-secrets`). Long commands are
 * published to the chat topic (functions/gcp/chat-dispatch.ts) for `chatAction`. Counts are logged
 * as `metrics` on each request's last log entry, for log-based metrics and alerts.
 */
import * as functions from '@google-cloud/functions-framework';
import { type ChatEndpointMetric, slackEndpoint } from '../../chatops/endpoint.ts';
import type { HttpResponse, SlackEvent } from '../../chatops/middleware.ts';
import { isKeyValueSecret, KEY_VALUE_SECRET_PROBLEM } from '../../chatops/signature.ts';
import type { ChatWork } from '../../chatops/work.ts';
import type { ChatopsPolicy } from '../../core/chatops-policy.ts';
import { describeError, InputError } from '../../core/errors.ts';
import type { StructuredLogger } from '../../core/logging.ts';
import { loadFunctionPolicy } from '../../core/policy.ts';
import { pubsubDispatcher } from '../../gcp/chat-dispatch.ts';
import { CHAT_TOPIC_ENV, SLACK_SECRET_VALUE_ENV } from '../../gcp/chat-environment.ts';
import { GcpClientFactory } from '../../gcp/clients.ts';
import { passBodyParseFailuresToFunctions } from './framework.ts';
import { createGcpLogger } from './observability.ts';

/** What a caller is told when the function cannot start: nothing of why. */
const NOT_AVAILABLE = 'backup-guard is not available; the reason is in its log.';

export interface ChatSlackFunctionDependencies {
  readonly policy: ChatopsPolicy;
  readonly signingSecret: string;
  readonly dispatch: (work: ChatWork) => Promise<void>;
  readonly logger: StructuredLogger;
  readonly now?: () => Date;
  /** Hosts a `response_url` may name (the local stack's receiver); Slack's and GovSlack's otherwise. */
  readonly replyHosts?: readonly string[];
}

/**
 * The `chatSlack` HTTP function over `deps` (lazily built, once per instance). `startLogger` says
 * why `deps` failed (a secret or topic not set), when there is no logger of theirs yet.
 */
export function createChatSlackFunction(
  deps: () => ChatSlackFunctionDependencies,
  startLogger: StructuredLogger = createGcpLogger('chat-slack'),
): functions.HttpFunction {
  let endpoint: ((event: SlackEvent) => Promise<HttpResponse>) | undefined;
  let log: StructuredLogger | undefined;
  let counts: Partial<Record<ChatEndpointMetric, number>> = {};
  return async (req, res) => {
    if (req.method !== 'POST') {
      res
        .status(405)
        .set('Allow', 'POST')
        .json({ error: 'chatSlack is called with POST (a Slack slash command).' });
      return;
    }
    if (!endpoint) {
      let d: ChatSlackFunctionDependencies;
      try {
        d = deps();
      } catch (error) {
        // Fails closed: nothing is verified or run without the secret. The URL is public, so the
        // caller (anyone) gets a bare 500, never the framework's answer of the error's message,
        // which names the deployment's variables; the reason goes to the log, as one JSON entry.
        startLogger.error('chatSlack cannot start', {
          error: { name: (error as Error)?.name ?? 'Error', message: describeError(error) },
        });
        res.status(500).set({ 'content-type': 'text/plain' }).send(NOT_AVAILABLE);
        return;
      }
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
        ...(d.replyHosts ? { replyHosts: d.replyHosts } : {}),
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

function containerDependencies(): ChatSlackFunctionDependencies {
  const signingSecret = process.env[SLACK_SECRET_VALUE_ENV]?.trim();
  const topic = process.env[CHAT_TOPIC_ENV]?.trim();
  if (!signingSecret || !topic) {
    throw new InputError(
      `chatSlack needs ${SLACK_SECRET_VALUE_ENV} (from Secret Manager) and ${CHAT_TOPIC_ENV}; the deployment sets both`,
    );
  }
  if (isKeyValueSecret(signingSecret)) {
    throw new InputError(`${SLACK_SECRET_VALUE_ENV} (from Secret Manager) ${KEY_VALUE_SECRET_PROBLEM}`);
  }
  const factory = GcpClientFactory.fromEnv();
  return {
    policy: loadFunctionPolicy().chatops,
    signingSecret,
    // The endpoint override (the local stack) serves Pub/Sub beside Cloud SQL, as it does Cloud Storage.
    dispatch: pubsubDispatcher(() => factory.requestClient(), topic, factory.endpoint),
    logger: createGcpLogger('chat-slack'),
  };
}

// The one public function: a body the framework cannot parse (anyone may send `application/json`
// that is not JSON) reaches the function, which refuses it unsigned as any other, instead of
// express's HTML error page with its stack trace and a log entry quoting the body (framework.ts).
passBodyParseFailuresToFunctions();
functions.http('chatSlack', createChatSlackFunction(containerDependencies));
