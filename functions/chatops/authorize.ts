/**
 * Who may run which chat command, from the policy's `chatops` section: the organization (when
 * configured), the team and the channel must be allowed, and the user must be listed for that command (or the command open to `*`).
 * `help` is open to everyone in an allowed team and channel. A refusal names what was missing, so
 * the user knows whom to ask, but never the configuration (a refused caller may be an outsider);
 * the caller logs who was refused and why.
 */
import { ANY_USER, type ChatopsPolicy } from '../core/chatops-policy.ts';
import { NotAuthorizedError } from './errors.ts';
import type { ChatCommandName } from './grammar.ts';

/** Who sent a Slack command, as Slack names them. */
export interface SlackIdentity {
  readonly teamId: string;
  /**
   * The Enterprise Grid organization (`enterprise_id` of the slash command); absent outside
   * Enterprise Grid (https://docs.slack.dev/tools/bolt-js/reference/interfaces/SlashCommand).
   */
  readonly enterpriseId?: string | undefined;
  readonly channelId: string;
  readonly userId: string;
}

/**
 * Throws {@link NotAuthorizedError} unless the team and the channel are allowed: checked before the
 * command text is parsed, so a workspace or channel the policy does not list gets a refusal (logged
 * and counted), never the grammar's help.
 */
export function authorizeSlackPlace(identity: SlackIdentity, policy: ChatopsPolicy): void {
  // Under Enterprise Grid a workspace belongs to an organization; when the policy names one, a
  // request from any other organization (or naming none) is refused whatever its team id says.
  const enterprise = policy.slack.enterpriseId;
  if (enterprise !== undefined && identity.enterpriseId !== enterprise) {
    // The caller from elsewhere learns only that it is not allowed: the configured id is for the log.
    throw new NotAuthorizedError(
      identity.enterpriseId
        ? `this Slack organization (${identity.enterpriseId}) is not allowed to run backup-guard commands`
        : 'this request names no Slack Enterprise Grid organization, so it is not allowed to run backup-guard commands',
      `chatops.slack.enterpriseId names ${enterprise}; the request names ${identity.enterpriseId ?? 'none'}`,
    );
  }
  if (!policy.slack.teams.includes(identity.teamId)) {
    throw new NotAuthorizedError(
      `this Slack workspace (${identity.teamId}) is not allowed to run backup-guard commands`,
    );
  }
  if (policy.slack.channels.length > 0 && !policy.slack.channels.includes(identity.channelId)) {
    throw new NotAuthorizedError(
      `backup-guard commands are not allowed in this channel (${identity.channelId}); use one the policy lists`,
    );
  }
}

/** Throws {@link NotAuthorizedError} unless the identity may run the command. */
export function authorizeSlackCommand(
  identity: SlackIdentity,
  command: ChatCommandName,
  policy: ChatopsPolicy,
): void {
  authorizeSlackPlace(identity, policy);
  if (command === 'help') return;
  const allowed = policy.permissions[command];
  if (!allowed.includes(ANY_USER) && !allowed.includes(identity.userId)) {
    throw new NotAuthorizedError(
      `you (${identity.userId}) may not run \`${command}\`; ask an operator listed in \`chatops.permissions.${command}\``,
    );
  }
}
