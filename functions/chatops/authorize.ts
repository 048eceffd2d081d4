/**
 * Who may run which chat command, from the policy's `chatops` section: the team and the channel
 * must be allowed, and the user must be listed for that command (or the command open to `*`).
 * `help` is open to everyone in an allowed team and channel. A refusal names what was missing, so
 * the user knows whom to ask, and the caller logs who was refused and why.
 */
import { ANY_USER, type ChatopsPolicy } from '../core/chatops-policy.ts';
import { NotAuthorizedError } from './errors.ts';
import type { ChatCommandName } from './grammar.ts';

/** Who sent a Slack command, as Slack names them. */
export interface SlackIdentity {
  readonly teamId: string;
  readonly channelId: string;
  readonly userId: string;
}

/**
 * Throws {@link NotAuthorizedError} unless the team and the channel are allowed: checked before the
 * command text is parsed, so a workspace or channel the policy does not list gets a refusal (logged
 * and counted), never the grammar's help.
 */
export function authorizeSlackPlace(identity: SlackIdentity, policy: ChatopsPolicy): void {
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
      `you (${identity.userId}) may not run \`${command}\`; ask an operator listed in chatops.permissions.${command}`,
    );
  }
}
