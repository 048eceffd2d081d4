/**
 * `chat-slack` Lambda behind a Lambda Function URL: Slack's `/backup-guard` slash command. The
 * handler is the shared Slack endpoint (functions/chatops/endpoint.ts), the middy chain of the
 * ChatOps middleware: slackVerification -> slackAuthorization -> slackAcknowledgement, with
 * chatErrorResponse for every error. A command that calls a cloud is handed to the `chat-action` Lambda asynchronously and
 * acknowledged at once; `help` is answered here.
 *
 * Environment: the bundled policy (`BACKUP_GUARD_POLICY_FILE`), the secret holding the signing
 * secret (`BACKUP_GUARD_SLACK_SIGNING_SECRET`, its name or ARN), the action function
 * (`BACKUP_GUARD_CHAT_ACTION_FUNCTION`). Metrics: `ChatRequests`, `ChatCommandsAccepted`, `ChatCommandsRefused`
 * (alarmed: forged, stale or unauthorized requests), `ChatCommandsFailed` (alarmed).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CHAT_ACTION_FUNCTION_ENV, lambdaDispatcher } from '../../aws/chat-dispatch.ts';
import { SLACK_SECRET_ENV, type SlackSigningSecret, slackSigningSecret } from '../../aws/slack-secret.ts';
import { slackEndpoint } from '../../chatops/endpoint.ts';
import type { ChatWork, HttpResponse, SlackEvent } from '../../chatops/middleware.ts';
import type { ChatopsPolicy } from '../../core/chatops-policy.ts';
import { InputError } from '../../core/errors.ts';
import { loadFunctionPolicy } from '../../core/policy.ts';
import { createObservability, startedOrLogged } from './observability.ts';

export const CHAT_SLACK_SERVICE = 'chat-slack';

const observability = createObservability(CHAT_SLACK_SERVICE);

type Observability = ReturnType<typeof createObservability>;

export interface ChatSlackDependencies {
  readonly policy: ChatopsPolicy;
  readonly signingSecret: SlackSigningSecret;
  readonly dispatch: (work: ChatWork) => Promise<void>;
  readonly logger: Observability['logger'];
  readonly metrics: Observability['metrics'];
  readonly now?: () => Date;
  /** Hosts a `response_url` may name (the local stack's receiver); Slack's and GovSlack's otherwise. */
  readonly replyHosts?: readonly string[];
}

/** The Function URL handler over `deps`: the shared Slack endpoint, then the metrics flushed. */
export function createSlackHandler(
  deps: ChatSlackDependencies,
): (event: SlackEvent, context: unknown) => Promise<HttpResponse> {
  const { metrics } = deps;
  const endpoint = slackEndpoint({
    policy: deps.policy,
    signingSecret: () => deps.signingSecret.get(),
    refreshSigningSecret: () => deps.signingSecret.refresh(),
    dispatch: deps.dispatch,
    logger: deps.logger,
    count: (name) => metrics.addMetric(name, MetricUnit.Count, 1),
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.replyHosts ? { replyHosts: deps.replyHosts } : {}),
  });
  // middy skips `after` middlewares when a `before` answers early (the acknowledgement does), so
  // the metrics are flushed here rather than by Powertools' logMetrics middleware.
  return async (event) => {
    try {
      return await endpoint(event);
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

let handlerOfContainer: ReturnType<typeof createSlackHandler> | undefined;

function containerHandler(): ReturnType<typeof createSlackHandler> {
  if (!handlerOfContainer) {
    const secretId = process.env[SLACK_SECRET_ENV];
    const actionFunction = process.env[CHAT_ACTION_FUNCTION_ENV];
    if (!secretId || !actionFunction) {
      throw new InputError(
        `${CHAT_SLACK_SERVICE} needs ${SLACK_SECRET_ENV} (the signing secret's name) and ${CHAT_ACTION_FUNCTION_ENV} (the action function); the deployment sets both`,
      );
    }
    handlerOfContainer = createSlackHandler({
      policy: loadFunctionPolicy().chatops,
      // Created once per container: Parameters caches the value in its provider.
      signingSecret: slackSigningSecret(
        new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({}) }),
        secretId,
      ),
      dispatch: lambdaDispatcher(new LambdaClient({}), actionFunction),
      ...observability,
    });
  }
  return handlerOfContainer;
}

/**
 * The Function URL's handler. A deployment error (a setting missing, a policy that does not load) is
 * logged as one ERROR line naming it and thrown (Errors alarm; a user mistake with no stack frames,
 * `withFramesOnlyForFaults`), never shown to Slack.
 */
export const handler = async (event: SlackEvent, context: unknown): Promise<HttpResponse> => {
  const slack = startedOrLogged(observability.logger, CHAT_SLACK_SERVICE, () => containerHandler());
  return slack(event, context);
};
