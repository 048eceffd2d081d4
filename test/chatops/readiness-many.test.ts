/**
 * Readiness and snapshot answers over hundreds of databases that are all not GO (before a rotation,
 * none has its snapshot yet; or the manual-snapshot quota refuses every one). One block per
 * database, Slack's 50 blocks showed 48 of them and cut the rest, and what was not evaluated (listed
 * after them) with them. Databases now share sections, each within Slack's section limit, so every
 * one of them and every scope not read arrives.
 */
import { describe, expect, it } from 'vitest';
import type { ChatReadiness, ChatSnapshotResult } from '../../functions/chatops/actions.ts';
import { readinessAnswer, snapshotAnswer } from '../../functions/chatops/answers.ts';
import { SLACK_LIMITS, type SlackMessage } from '../../functions/chatops/replies.ts';

const names = Array.from(
  { length: 150 },
  (_, index) => `certctl-tenant-${String(index).padStart(3, '0')}-db`,
);

function texts(reply: SlackMessage): string[] {
  return (reply.blocks ?? []).flatMap((block) =>
    block.type === 'section'
      ? [block.text.text]
      : block.type === 'context'
        ? block.elements.map((element) => element.text)
        : [],
  );
}

function expectWithinSlack(reply: SlackMessage): void {
  expect((reply.blocks ?? []).length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  for (const text of texts(reply)) expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
}

describe('answers over 150 databases that are all not GO', () => {
  it('readiness names every one, and the scope it could not read', () => {
    // Prepare
    const readiness: ChatReadiness = {
      verdict: 'NO-GO',
      evaluatedAt: '2026-12-03T12:00:00.000Z',
      targets: names.map((name) => ({
        name,
        location: 'aws/111111111111/eu-west-1',
        status: 'NO-GO',
        gates: [
          { gate: 'audit:pitr', status: 'GO', evidence: 'pitr.retention PASSED' },
          {
            gate: 'snapshot',
            status: 'NO-GO',
            evidence: 'no successful pre-maintenance snapshot of ours',
            action: 'Run `snapshot` first.',
          },
        ],
      })),
      notEvaluated: ['audit:pitr in aws/111111111111/us-east-1/pitr: AccessDenied'],
    };

    // Act
    const reply = readinessAnswer(readiness);
    const shown = texts(reply).join('\n');

    // Assess
    expectWithinSlack(reply);
    for (const name of names) expect(shown).toContain(`*${name}*`);
    expect(shown).toContain('AccessDenied');
    expect(shown).not.toContain('not shown');
  });

  it('snapshot names every database the quota refused', () => {
    // Prepare
    const result: ChatSnapshotResult = {
      firstRun: true,
      startedAt: '2026-12-03T12:00:00.000Z',
      targets: names.map((name) => ({
        name,
        location: 'aws/111111111111/eu-west-1',
        outcome: 'quota' as const,
        error: 'SnapshotQuotaExceeded: 100 manual snapshots in eu-west-1',
      })),
      problems: ['111111111111/us-east-1: not read (AccessDenied)'],
    };

    // Act
    const reply = snapshotAnswer(result, {
      ticket: 'CHG-1',
      reason: 'CA rotation',
      requestedBy: 'slack:T1/U1',
    });
    const shown = texts(reply).join('\n');

    // Assess
    expectWithinSlack(reply);
    for (const name of names) expect(shown).toContain(`*${name}*`);
    expect(shown).toContain('AccessDenied');
    expect(shown).not.toContain('not shown');
  });
});
