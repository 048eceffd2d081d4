import { type App, Stack, Validations } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
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
  'ChatOps with dumps in this account, every region, cross-region backups required': {
    ...OWN_DUMPS_POLICY,
    aws: { regions: 'all' },
    pitr: { requireCrossRegionBackup: true },
    chatops: CHAT_POLICY.chatops,
  },
};

interface NagMetadata {
  readonly cdk_nag?: { readonly rules_to_suppress: readonly { id: string; reason: string }[] };
}

function acknowledgementsIn(template: Template): { id: string; reason: string }[] {
  const resources = Object.values(template.toJSON().Resources ?? {}) as { Metadata?: NagMetadata }[];
  return resources.flatMap((resource) => resource.Metadata?.cdk_nag?.rules_to_suppress ?? []);
}

/** Every acknowledgement placed in `app`: the construct's path and the acknowledged id (`RuleId[Finding]`). */
function placedAcknowledgements(app: App): { path: string; id: string }[] {
  const placed: { path: string; id: string }[] = [];
  const visit = (construct: IConstruct): void => {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const key of Object.keys(entry.data as object)) {
        placed.push({ path: construct.node.path, id: key.replace(/^annotation::/i, '') });
      }
    }
    for (const child of construct.node.children) visit(child);
  };
  visit(app);
  return placed;
}

/**
 * What cdk-nag finds in `app` with no acknowledgement read: each finding id and the paths of the
 * resources it is found on. cdk-nag reads acknowledgements under Validations'
 * ACKNOWLEDGED_RULES_METADATA_KEY, which is renamed for the run so that it reads none.
 */
function everyFinding(app: App): Map<string, string[]> {
  const validations = Validations as unknown as { ACKNOWLEDGED_RULES_METADATA_KEY: string };
  const key = validations.ACKNOWLEDGED_RULES_METADATA_KEY;
  validations.ACKNOWLEDGED_RULES_METADATA_KEY = `${key}:none-read`;
  try {
    const report = new AwsSolutionsChecks().validateScope(app);
    return new Map(
      report.violations.map((violation) => [
        violation.ruleName,
        violation.violatingResources.map((resource) => resource.constructPath ?? ''),
      ]),
    );
  } finally {
    validations.ACKNOWLEDGED_RULES_METADATA_KEY = key;
  }
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

  for (const [name, policy] of Object.entries(POLICIES)) {
    // An acknowledgement of a finding the construct does not have says something untrue of it, and
    // would let that finding pass unseen the day a change adds it (a snapshot role granted the
    // automated-backup listing, a per-Region grant widened to every Region).
    it(`acknowledges only findings cdk-nag reports on the construct, for ${name}`, () => {
      // Prepare
      const { app } = synthesize(policy);

      // Act
      const findings = everyFinding(app);
      const unfounded = placedAcknowledgements(app)
        .filter(
          ({ path, id }) =>
            !(findings.get(id) ?? []).some((found) => found === path || found.startsWith(`${path}/`)),
        )
        .map(({ path, id }) => `${path} ${id}`);

      // Assess
      expect(findings.size).toBeGreaterThan(0);
      expect(unfounded).toEqual([]);
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
