import { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { acknowledge, MIN_REASON_LENGTH } from '../../infra/nag.ts';
import {
  CHAT_POLICY,
  FULL_POLICY,
  MEMBER_DUMPS_POLICY,
  MEMBER_KEYS_POLICY,
  OWN_DUMPS_POLICY,
  OWN_KEYS_POLICY,
  readCdkJson,
  synthesize,
} from './support.ts';

const POLICIES: Record<string, unknown> = {
  'the cdk.json policy': readCdkJson().context.backupGuardPolicy,
  'the full policy': FULL_POLICY,
  'all defaults': {},
  'S3 dumps in this account': OWN_DUMPS_POLICY,
  'S3 dumps in a member account': MEMBER_DUMPS_POLICY,
  'key material in this account, values inspected': OWN_KEYS_POLICY,
  'key material in a member account': MEMBER_KEYS_POLICY,
  'key material in a member account, values inspected': {
    ...MEMBER_KEYS_POLICY,
    keys: { ...MEMBER_KEYS_POLICY.keys, inspectSecretValues: true },
  },
  'key material in this account, under a central key account’s keys': {
    ...OWN_KEYS_POLICY,
    keys: { ...OWN_KEYS_POLICY.keys, kmsKeyAccounts: ['999999999999'] },
  },
  'key material in a member account, values inspected, under a central key account’s keys': {
    ...MEMBER_KEYS_POLICY,
    keys: { ...MEMBER_KEYS_POLICY.keys, inspectSecretValues: true, kmsKeyAccounts: ['999999999999'] },
  },
  'Security Hub off': { securityHub: { enabled: false } },
  'ChatOps with dumps and member accounts': CHAT_POLICY,
  'ChatOps with key material in this account, values inspected': {
    ...OWN_KEYS_POLICY,
    chatops: CHAT_POLICY.chatops,
  },
  'ChatOps, with cross-region backups required in listed regions': {
    ...CHAT_POLICY,
    pitr: { requireCrossRegionBackup: true },
  },
};

interface NagMetadata {
  readonly cdk_nag?: { readonly rules_to_suppress: readonly { id: string; reason: string }[] };
}

function acknowledgementsIn(template: Template): { id: string; reason: string }[] {
  const resources = Object.values(template.toJSON().Resources ?? {}) as { Metadata?: NagMetadata }[];
  return resources.flatMap((resource) => resource.Metadata?.cdk_nag?.rules_to_suppress ?? []);
}

describe('cdk-nag AwsSolutions', () => {
  for (const [name, policy] of Object.entries(POLICIES)) {
    it(`reports no unacknowledged finding, error or warning, for ${name}`, () => {
      // Prepare
      const { app } = synthesize(policy);

      // Act
      const report = new AwsSolutionsChecks().validateScope(app);

      // Assess
      expect(report.violations.map((violation) => `${violation.severity} ${violation.ruleName}`)).toEqual([]);
      expect(report.success).toBe(true);
    });
  }

  it('gives every acknowledgement a reason of at least a sentence, recorded in the template', () => {
    // Prepare
    const { templates } = synthesize(FULL_POLICY);

    // Act
    const acknowledgements = Object.values(templates).flatMap(acknowledgementsIn);

    // Assess
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { id, reason } of acknowledgements) {
      expect(id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(reason.length).toBeGreaterThanOrEqual(MIN_REASON_LENGTH);
      expect(reason).not.toMatch(/TODO|FIXME|TBD/i);
    }
  });

  it('stops synth when a finding is not acknowledged', () => {
    // Prepare: an unencrypted queue nobody acknowledged.
    const { app, stacks } = synthesize({});
    new Queue(stacks.audit, 'UnreviewedQueue');

    // Act / Assess
    expect(() => app.synth({ force: true })).toThrow(/AwsSolutions-SQS/);
  });

  it('refuses an acknowledgement whose reason is not a real justification', () => {
    // Prepare
    const stack = new Stack();

    // Act / Assess
    expect(() => acknowledge(stack, [{ id: 'AwsSolutions-SQS3', reason: 'not needed' }])).toThrow(
      /needs a real reason/,
    );
  });
});
