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
      'you (U0BYSTANDER) may not run `snapshot`; ask an operator listed in `chatops.permissions.snapshot`',
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

  it('reads an empty channels list as every channel of the allowed teams, direct messages included, and an empty teams list as no team', () => {
    // Prepare: the same operator, from a channel, a direct message and a group direct message.
    const anyChannel = chatopsPolicySchema.parse({
      slack: { teams: ['T0CERTCTL'] },
      permissions: { snapshot: ['U0OPERATOR'] },
    });
    const noTeam = chatopsPolicySchema.parse({
      slack: { channels: ['C0PKIOPS'] },
      permissions: { snapshot: ['*'] },
    });
    const places = ['C0PKIOPS', 'D0DIRECT', 'G0GROUPDM'].map((channelId) => ({ ...operator, channelId }));

    // Act / Assess: the documented meaning of each empty list.
    for (const place of places) {
      expect(() => authorizeSlackCommand(place, 'snapshot', anyChannel)).not.toThrow();
      expect(() => authorizeSlackCommand(place, 'snapshot', noTeam)).toThrow(NotAuthorizedError);
    }
    expect(refusal({ ...operator, channelId: 'D0DIRECT' }, 'snapshot')).toContain(
      'not allowed in this channel (D0DIRECT)',
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

describe('authorizeSlackCommand with an Enterprise Grid organization configured', () => {
  const grid = chatopsPolicySchema.parse({
    slack: { teams: ['T0CERTCTL'], enterpriseId: 'E0CERTCTL' },
    permissions: { snapshot: ['U0OPERATOR'] },
  });

  it('lets a request from the configured organization through', () => {
    expect(() =>
      authorizeSlackCommand({ ...operator, enterpriseId: 'E0CERTCTL' }, 'snapshot', grid),
    ).not.toThrow();
  });

  it('refuses a request from another organization, or from none, without naming the configured one', () => {
    const refusal = (identity: SlackIdentity): NotAuthorizedError => {
      try {
        authorizeSlackCommand(identity, 'help', grid);
      } catch (error) {
        if (error instanceof NotAuthorizedError) return error;
        throw error;
      }
      throw new Error('not refused');
    };
    const foreign = refusal({ ...operator, enterpriseId: 'E0OTHER' });
    const none = refusal(operator);

    // The caller learns only that its organization is not allowed; the log detail names both ids.
    expect(foreign.message).toBe(
      'this Slack organization (E0OTHER) is not allowed to run backup-guard commands',
    );
    expect(none.message).toBe(
      'this request names no Slack Enterprise Grid organization, so it is not allowed to run backup-guard commands',
    );
    expect(foreign.detail).toBe('chatops.slack.enterpriseId names E0CERTCTL; the request names E0OTHER');
    expect(none.detail).toBe('chatops.slack.enterpriseId names E0CERTCTL; the request names none');
  });

  it('refuses a policy whose enterpriseId is not an Enterprise Grid id, naming the field', () => {
    const parsed = chatopsPolicySchema.safeParse({ slack: { enterpriseId: 'T0CERTCTL' } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['slack.enterpriseId', 'must be a Slack Enterprise Grid organization id such as E012ABCDEF'],
    ]);
  });
});
