/**
 * The `chatops` section of the policy: who may run which chat command, from where. Slack identifies
 * a caller by team, channel and user id; every list is an allow-list, and an empty one allows
 * nobody, so a deployment that forgot to configure chat refuses everything. The one exception is
 * `channels`: empty, it allows every channel of the allowed teams, direct messages (`D…`) and group
 * direct messages included; listed, it allows those only (a direct message by its `D…` id).
 *
 * Read by the Slack endpoint (functions/handlers/aws/chat-slack.ts), the GCP chat function and the
 * deployment (the chat functions are deployed only when `slack.teams` names a workspace).
 */
import * as z from './zod.ts';

const TEAM_ID = /^[TE][A-Z0-9]{2,20}$/;
const ENTERPRISE_ID = /^E[A-Z0-9]{2,20}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,20}$/;
const USER_ID = /^[UW][A-Z0-9]{2,20}$/;

/** Everyone in an allowed team and channel. */
export const ANY_USER = '*';

const users = z._default(
  z.array(
    z.union([
      z.literal(ANY_USER),
      z.string().check(z.regex(USER_ID, 'must be a Slack user id such as U012ABCDEF')),
    ]),
  ),
  [],
);

export const chatopsPolicySchema = z.strictObject({
  slack: z.prefault(
    z.strictObject({
      teams: z.described(
        z._default(
          z.array(
            z.string().check(z.regex(TEAM_ID, 'must be a Slack team (workspace) id such as T012ABCDEF')),
          ),
          [],
        ),
        'Slack workspaces (team ids) whose commands are accepted; empty refuses every Slack command.',
      ),
      channels: z.described(
        z._default(
          z.array(z.string().check(z.regex(CHANNEL_ID, 'must be a Slack channel id such as C012ABCDEF'))),
          [],
        ),
        'Channels the commands may come from (C…, G…, or D… for a direct message); empty allows any channel of the allowed teams, direct messages included. An empty `teams` never allows a team.',
      ),
      enterpriseId: z.described(
        z.optional(
          z
            .string()
            .check(
              z.regex(ENTERPRISE_ID, 'must be a Slack Enterprise Grid organization id such as E012ABCDEF'),
            ),
        ),
        'Slack Enterprise Grid organization (enterprise id) the commands must come from, checked beside `teams`: a request naming another organization, or none, is refused. Unset: not checked (a workspace outside Enterprise Grid sends none).',
      ),
    }),
    {},
  ),
  permissions: z.prefault(
    z.strictObject({
      snapshot: z.described(
        users,
        'User ids that may take pre-maintenance snapshots (`*`: everyone allowed above).',
      ),
      readiness: z.described(
        users,
        'User ids that may ask for the go/no-go readiness verdict (`*`: everyone).',
      ),
      status: z.described(
        users,
        'User ids that may ask for the last published audit and snapshots (`*`: everyone).',
      ),
    }),
    {},
  ),
});

export type ChatopsPolicy = z.infer<typeof chatopsPolicySchema>;
