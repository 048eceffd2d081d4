/**
 * The `chatops` section of the policy: who may run which chat command, from where. Slack identifies
 * a caller by team, channel and user id; every list is an allow-list, and an empty one allows
 * nobody, so a deployment that forgot to configure chat refuses everything.
 *
 * Read by the Slack endpoint (functions/handlers/aws/chat-slack.ts), the GCP chat function and the
 * deployment (the chat functions are deployed only when `slack.teams` names a workspace).
 */
import * as z from 'zod';

const TEAM_ID = /^[TE][A-Z0-9]{2,20}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,20}$/;
const USER_ID = /^[UW][A-Z0-9]{2,20}$/;

/** Everyone in an allowed team and channel. */
export const ANY_USER = '*';

const users = z
  .array(
    z.union([z.literal(ANY_USER), z.string().regex(USER_ID, 'must be a Slack user id such as U012ABCDEF')]),
  )
  .default([]);

export const chatopsPolicySchema = z.strictObject({
  slack: z
    .strictObject({
      teams: z
        .array(z.string().regex(TEAM_ID, 'must be a Slack team (workspace) id such as T012ABCDEF'))
        .default([])
        .describe(
          'Slack workspaces (team ids) whose commands are accepted; empty refuses every Slack command.',
        ),
      channels: z
        .array(z.string().regex(CHANNEL_ID, 'must be a Slack channel id such as C012ABCDEF'))
        .default([])
        .describe('Channels the commands may come from; empty allows any channel of the allowed teams.'),
    })
    .prefault({}),
  permissions: z
    .strictObject({
      snapshot: users.describe(
        'User ids that may take pre-maintenance snapshots (`*`: everyone allowed above).',
      ),
      readiness: users.describe('User ids that may ask for the go/no-go readiness verdict (`*`: everyone).'),
      status: users.describe('User ids that may ask for the last audit and snapshots (`*`: everyone).'),
    })
    .prefault({}),
});

export type ChatopsPolicy = z.infer<typeof chatopsPolicySchema>;
