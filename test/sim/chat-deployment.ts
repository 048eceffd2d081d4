/**
 * The AWS chat functions wired as deployed, on the local stack: `chat-slack` over a signing secret,
 * its asynchronous hand-off queued like Lambda's `InvocationType: Event` (the action runs after the
 * acknowledgement went back), and `chat-action` over the real snapshot and readiness jobs against
 * the simulator, with the idempotency records in a local DynamoDB. For the end-to-end test and the
 * demo.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import type { HttpResponse, SlackEvent } from '../../functions/chatops/middleware.ts';
import { SLACK_REPLY_HOSTS } from '../../functions/chatops/reply-hosts.ts';
import type { ChatWork } from '../../functions/chatops/work.ts';
import type { Policy } from '../../functions/core/policy.ts';
import { awsChatActions, chatAction } from '../../functions/handlers/aws/chat-action.ts';
import { createSlackHandler } from '../../functions/handlers/aws/chat-slack.ts';
import type { LocalDynamo } from '../jobs/dynalite.ts';
import { simCredentials } from './accounts.ts';

export interface LocalChatDeployment {
  /** The Function URL's handler. */
  slack(event: SlackEvent): Promise<HttpResponse>;
  /** Wait for every handed-off command to be answered. */
  settle(): Promise<void>;
  close(): void;
}

export interface LocalChatOptions {
  readonly endpoint: string;
  readonly policy: Policy;
  readonly dynamo: LocalDynamo;
  readonly signingSecret: string;
  readonly observability: (service: string) => { logger: Logger; metrics: Metrics };
  /** Wait after the first create before the first progress post. */
  readonly progressSettleMs: number;
}

export function localChatDeployment(options: LocalChatOptions): LocalChatDeployment {
  const factory = new AwsClientFactory({
    maxAttempts: 2,
    credentials: simCredentials(),
    endpoint: options.endpoint,
  });
  const queued: Promise<unknown>[] = [];
  const action = options.observability('chat-action');
  const slack = createSlackHandler({
    policy: options.policy.chatops,
    signingSecret: { get: async () => options.signingSecret, refresh: async () => undefined },
    dispatch: async (work: ChatWork) => {
      const payload = JSON.stringify(work);
      queued.push(
        new Promise((delivered) => setImmediate(delivered)).then(() =>
          chatAction(JSON.parse(payload), {
            actions: awsChatActions({
              policy: options.policy,
              factory,
              homeRegion: 'eu-west-1',
              dynamo: options.dynamo.client,
              tableName: options.dynamo.tableName,
            }),
            ...action,
            replyHosts: ['127.0.0.1'],
            progressSettleMs: options.progressSettleMs,
          }),
        ),
      );
    },
    ...options.observability('chat-slack'),
    replyHosts: [...SLACK_REPLY_HOSTS, '127.0.0.1'],
  });
  return {
    slack: (event) => slack(event, {}),
    settle: async () => {
      await Promise.all(queued.splice(0));
    },
    close: () => factory.destroy(),
  };
}
