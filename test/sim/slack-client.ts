/**
 * The Slack side of a slash command, for tests, the demo and the benchmark: the form body Slack
 * posts (https://api.slack.com/interactivity/slash-commands) and the Function URL event carrying it,
 * signed as Slack signs it.
 */

import type { SlackEvent } from '../../functions/chatops/middleware.ts';
import { slackSignature } from '../../functions/chatops/signature.ts';

let triggers = 0;

/** The form body of `/backup-guard <text>` from the demo workspace's operator. */
export function slashCommandForm(text: string, overrides: Record<string, string> = {}): string {
  triggers += 1;
  return new URLSearchParams({
    team_id: 'T0CERTCTL',
    channel_id: 'C0PKIOPS',
    user_id: 'U0OPERATOR',
    command: '/backup-guard',
    text,
    response_url: 'https://hooks.slack.com/commands/T0CERTCTL/1/abc',
    trigger_id: `trigger-${triggers}`,
    ...overrides,
  }).toString();
}

/** A Function URL event (payload 2.0) carrying `body`, signed with `secret` at `at`. */
export function signedSlackEvent(body: string, secret: string, at: Date): SlackEvent {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'X-Slack-Signature': slackSignature(secret, timestamp, body),
      'x-slack-request-timestamp': timestamp,
    },
    body,
    isBase64Encoded: false,
  };
}
