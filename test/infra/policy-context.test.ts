import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../functions/core/errors.ts';
import {
  DEFAULT_MEMBER_ROLE_NAME,
  memberRoleFrom,
  parseRoleArn,
  readPolicyContext,
} from '../../infra/policy-context.ts';

/** The PolicyError `act` throws (fails the test when it throws nothing or something else). */
function policyErrorOf(act: () => unknown): PolicyError {
  try {
    act();
  } catch (error) {
    if (error instanceof PolicyError) return error;
    throw error;
  }
  throw new Error('expected a PolicyError');
}

const member = (accountId: string, name = 'certctl-backup-guard-audit-member') => ({
  accountId,
  roleArn: `arn:aws:iam::${accountId}:role/${name}`,
});

describe('readPolicyContext', () => {
  it('stops with the field path and the reason when the policy breaks the schema', () => {
    // Act
    const error = policyErrorOf(() =>
      readPolicyContext({ pitr: { minPitrDays: 90 }, aws: { regions: ['mars-1'] } }),
    );

    // Assess
    expect(error.issues.map((issue) => issue.path)).toEqual(['pitr.minPitrDays', 'aws.regions.0']);
    expect(error.message).toContain('CDK context "backupGuardPolicy" is invalid');
    expect(error.message).toMatch(/pitr\.minPitrDays: .*35/);
    expect(error.message).toContain('aws.regions.0: must be an AWS region name');
  });

  it('accepts the policy as a JSON string, the form `cdk -c` passes', () => {
    // Act
    const policy = readPolicyContext(
      '{"pitr": {"minPitrDays": 21}, "schedules": {"auditPitr": "rate(2 hours)"}}',
    );

    // Assess
    expect(policy.pitr.minPitrDays).toBe(21);
    expect(policy.schedules.auditPitr).toBe('rate(2 hours)');
  });

  it('says the context is not JSON when a string does not parse', () => {
    // Act
    const error = policyErrorOf(() => readPolicyContext('{minPitrDays: 21'));

    // Assess
    expect(error.message).toMatch(/^CDK context "backupGuardPolicy" is not valid JSON/);
  });

  it('uses every default when the context is absent', () => {
    // Act
    const policy = readPolicyContext(undefined);

    // Assess
    expect(policy.pitr.minPitrDays).toBe(30);
    expect(policy.schedules.auditPitr).toBe('rate(1 hour)');
  });

  it('rejects member role ARNs with different names, because the StackSet creates one name', () => {
    // Act
    const error = policyErrorOf(() =>
      readPolicyContext({
        aws: { accounts: [member('222222222222'), member('333333333333', 'other-role')] },
      }),
    );

    // Assess
    expect(error.issues).toEqual([
      { path: 'aws.accounts.1.roleArn', message: expect.stringContaining('all must match') },
    ]);
  });

  it('rejects a member role ARN in another account than its accountId', () => {
    // Act
    const error = policyErrorOf(() =>
      readPolicyContext({
        aws: { accounts: [{ accountId: '222222222222', roleArn: member('444444444444').roleArn }] },
      }),
    );

    // Assess
    expect(error.issues).toEqual([
      {
        path: 'aws.accounts.0.roleArn',
        message: 'is in account 444444444444, but accountId is 222222222222',
      },
    ]);
  });

  it('rejects a federation role outside the Security Hub central account', () => {
    // Prepare
    const federation = {
      roleArn: 'arn:aws:iam::555555555555:role/gcp',
      audience: 'certctl',
      serviceAccountUniqueId: '109876543210987654321',
    };

    // Act
    const error = policyErrorOf(() =>
      readPolicyContext({
        gcp: { federation },
        securityHub: { centralAccountId: '111111111111', centralRegion: 'eu-central-1' },
      }),
    );

    // Assess
    expect(error.issues.map((issue) => issue.path)).toEqual(['gcp.federation.roleArn']);
    expect(error.message).toContain(
      'Security Hub only accepts findings imported by the account they belong to',
    );
  });

  it('rejects a schedule neither EventBridge nor the alarm can use, naming schedules.auditPitr', () => {
    // Act
    const error = policyErrorOf(() => readPolicyContext({ schedules: { auditPitr: 'cron(0 3 ? * MON *)' } }));

    // Assess
    expect(error.issues.map((issue) => issue.path)).toEqual(['schedules.auditPitr']);
    expect(error.message).toContain('does not run every day');
  });
});

describe('memberRoleFrom', () => {
  it('takes the name and path from the first member role ARN', () => {
    // Act
    const role = memberRoleFrom(
      readPolicyContext({ aws: { accounts: [member('222222222222', 'ops/reader')] } }),
    );

    // Assess
    expect(role).toEqual({ roleName: 'reader', path: '/ops/' });
  });

  it('falls back to the default name when no member account is listed', () => {
    // Act / Assess
    expect(memberRoleFrom(readPolicyContext({}))).toEqual({ roleName: DEFAULT_MEMBER_ROLE_NAME, path: '/' });
  });
});

describe('parseRoleArn', () => {
  it('splits a role ARN in another partition into account, path and name', () => {
    // Act / Assess
    expect(parseRoleArn('arn:aws-us-gov:iam::123456789012:role/a/b/name')).toEqual({
      accountId: '123456789012',
      path: '/a/b/',
      roleName: 'name',
    });
  });
});
