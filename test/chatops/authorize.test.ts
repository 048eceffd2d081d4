import { describe, expect, it } from 'vitest';
import { authorizeSlackCommand, type SlackIdentity } from '../../functions/chatops/authorize.ts';
import { NotAuthorizedError } from '../../functions/chatops/errors.ts';
import { chatopsPolicySchema } from '../../functions/core/chatops-policy.ts';

const policy = chatopsPolicySchema.parse({
  slack: { teams: ['T0CERTCTL'], channels: ['C0PKIOPS'] },
  permissions: { snapshot: ['U0OPERATOR'], readiness: ['*'], status: ['U0OPERATOR', 'U0AUDITOR'] },
});

const operator: SlackIdentity = { teamId: 'T0CERTCTL', channelId: 'C0PKIOPS', userId: 'U0OPERATOR' };
const bystander: SlackIdentity = { ...operator, userId: 'U0BYSTANDER' };

function refusal(
  identity: SlackIdentity,
  command: Parameters<typeof authorizeSlackCommand>[1],
): string | undefined {
  try {
    authorizeSlackCommand(identity, command, policy);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(NotAuthorizedError);
    return (error as Error).message;
  }
}

describe('authorizeSlackCommand', () => {
  it('lets the operator snapshot and anyone in the channel ask for readiness', () => {
    expect(refusal(operator, 'snapshot')).toBeUndefined();
    expect(refusal(bystander, 'readiness')).toBeUndefined();
    expect(refusal(bystander, 'help')).toBeUndefined();
  });

  it('refuses per command a user the policy does not list for it, naming the list to join', () => {
    expect(refusal(bystander, 'snapshot')).toBe(
      'you (U0BYSTANDER) may not run `snapshot`; ask an operator listed in chatops.permissions.snapshot',
    );
    expect(refusal(bystander, 'status')).toContain('chatops.permissions.status');
  });

  it('refuses another workspace and another channel even for the operator', () => {
    expect(refusal({ ...operator, teamId: 'T0OTHER' }, 'readiness')).toContain(
      'workspace (T0OTHER) is not allowed',
    );
    expect(refusal({ ...operator, channelId: 'C0RANDOM' }, 'help')).toContain(
      'not allowed in this channel (C0RANDOM)',
    );
  });

  it('refuses everything when the policy configures no chat at all', () => {
    expect(() => authorizeSlackCommand(operator, 'help', chatopsPolicySchema.parse({}))).toThrow(
      NotAuthorizedError,
    );
  });

  it('refuses a policy whose ids are not Slack ids, naming the field', () => {
    const parsed = chatopsPolicySchema.safeParse({ permissions: { snapshot: ['alice'] } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['permissions.snapshot.0', 'must be a Slack user id such as U012ABCDEF'],
    ]);
  });
});
