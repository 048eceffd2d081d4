/**
 * A readiness answer whose gates say more than one Slack section holds (3,000 characters): a
 * fleet-wide key-material gate failing on dozens of keys is repeated in every database's block,
 * before its snapshot gate. Cut at the section limit, the block lost every gate after the long one
 * behind a bare "…": the snapshot's NO-GO never reached the operator, and nothing said what was
 * left out. Every gate that keeps the verdict from GO is shown (its start at least), in Slack and in
 * the Amazon Q notification, and a cut says so and where to see all of it.
 */
import { describe, expect, it } from 'vitest';
import type { ChatReadiness } from '../../functions/chatops/actions.ts';
import { amazonQNotification } from '../../functions/chatops/amazon-q.ts';
import { readinessAnswer } from '../../functions/chatops/answers.ts';
import { SLACK_LIMITS } from '../../functions/chatops/replies.ts';
import { certctlProdNoGo } from './readiness-fixture.ts';

const NO_SNAPSHOT = 'no successful pre-maintenance snapshot of ours';

/** certctl-prod, NO-GO on 40 KMS keys pending deletion (fleet-wide) and on its missing snapshot. */
function keysAndSnapshotNoGo(): ChatReadiness {
  const keys = Array.from(
    { length: 40 },
    (_, index) =>
      `keys.kms-key-state FAILED on arn:aws:kms:eu-west-1:111111111111:key/0000abcd-0000-4000-8000-${String(index).padStart(12, '0')} (KeyState PendingDeletion)`,
  );
  return certctlProdNoGo([
    { gate: 'audit:pitr', status: 'GO', evidence: 'pitr.retention PASSED' },
    {
      gate: 'audit:keys',
      status: 'NO-GO',
      evidence: keys.join('; '),
      action: 'Cancel the key deletion (`aws kms cancel-key-deletion --key-id <key>`) before the rotation.',
    },
    {
      gate: 'snapshot',
      status: 'NO-GO',
      evidence: NO_SNAPSHOT,
      action: 'Run `snapshot certctl-prod reason="…" ticket=…` first.',
    },
  ]);
}

function sectionTexts(readiness: ChatReadiness): string[] {
  return (readinessAnswer(readiness).blocks ?? []).flatMap((block) =>
    block.type === 'section' ? [block.text.text] : [],
  );
}

describe('readinessAnswer with more evidence than a section holds', () => {
  it('shows every gate that is not GO, each section within Slack’s limit, and says what was cut', () => {
    // Act
    const texts = sectionTexts(keysAndSnapshotNoGo());
    const shown = texts.join('\n');

    // Assess: the key gate's start, the snapshot gate whole, and a note saying where the rest is.
    for (const text of texts) expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(shown).toContain('NO-GO `audit:keys`: keys.kms-key-state FAILED');
    expect(shown).toContain(`NO-GO \`snapshot\`: ${NO_SNAPSHOT}`);
    expect(shown).toContain('Run `snapshot certctl-prod');
    expect(shown).toMatch(/cut short.*`backup-guard readiness`/);
  });

  it('keeps the snapshot gate in the Amazon Q notification too', () => {
    // Act
    const { description } = amazonQNotification(
      readinessAnswer(keysAndSnapshotNoGo()),
      'thread',
      'id',
    ).content;

    // Assess
    expect(description.length).toBeLessThanOrEqual(3000);
    expect(description).toContain('NO-GO');
    // A check id reads as code there, with no invisible character (replies.ts withoutAutoParsing).
    expect(description).toContain('NO-GO `audit:keys`: `keys.kms-key-state` FAILED');
    expect(description).toContain(`NO-GO \`snapshot\`: ${NO_SNAPSHOT}`);
    expect(description).toMatch(/cut short|not shown/);
  });

  it('says which items outside the verdict were cut, when more of them than a section holds are listed', () => {
    // Prepare: a GO whose key-material gate leaves out 60 secrets the policy switched off.
    const readiness: ChatReadiness = {
      ...keysAndSnapshotNoGo(),
      verdict: 'GO',
      targets: [],
      outsideVerdict: Array.from({ length: 60 }, (_, index) => ({
        gate: 'audit:keys',
        coverage: `item certctl/tenant-${String(index).padStart(3, '0')}/issuer-key (aws-secrets-manager)`,
        detail: 'switched off by the policy (keys.items: enabled false)',
      })),
    };

    // Act
    const texts = sectionTexts(readiness);

    // Assess: the list is within the limit, and says how much of it is not shown and where it is.
    for (const text of texts) expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(texts[1]).toContain('tenant-000');
    expect(texts[1]).toMatch(/\d+ more lines not shown; run `backup-guard readiness`/);
  });
});
