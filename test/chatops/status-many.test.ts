/**
 * The status answer over a large fleet: Slack cuts a section at 3,000 characters, so one section
 * listing every target lost the end of the list behind a bare "…". Every target is listed, or the
 * answer says how many were left out.
 */
import { describe, expect, it } from 'vitest';
import type { ChatStatus } from '../../functions/chatops/actions.ts';
import { statusAnswer } from '../../functions/chatops/answers.ts';
import { SLACK_LIMITS } from '../../functions/chatops/replies.ts';

function fleet(count: number): ChatStatus {
  const names = Array.from(
    { length: count },
    (_, index) => `certctl-tenant-${String(index).padStart(3, '0')}-db`,
  );
  return {
    lastAudit: { unavailable: 'no audit has published yet' },
    snapshots: names.map((target, index) => ({
      target,
      location: 'aws/111111111111/eu-west-1',
      snapshotId: `certctl-premaint-${target}-chg-42-0123456789`,
      createdAt: `2026-12-02T10:${String(index % 60).padStart(2, '0')}:00.000Z`,
      state: 'available',
    })),
    withoutSnapshot: names.map((target) => ({
      target: `${target}-b`,
      location: 'aws/111111111111/us-east-1',
    })),
    problems: [],
  };
}

function texts(status: ChatStatus): string[] {
  return (statusAnswer(status).blocks ?? []).flatMap((block) =>
    block.type === 'section'
      ? [block.text.text]
      : block.type === 'context'
        ? block.elements.map((e) => e.text)
        : [],
  );
}

describe('statusAnswer over many targets', () => {
  it('lists all 60 targets with a snapshot and all 60 without one, each section within Slack’s limit', () => {
    // Act
    const all = texts(fleet(60));

    // Assess
    for (const text of all) expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    const joined = all.join('\n');
    for (let index = 0; index < 60; index += 1) {
      const name = `certctl-tenant-${String(index).padStart(3, '0')}-db`;
      expect(joined).toContain(`*${name}*`);
      expect(joined).toContain(`${name}-b (`);
    }
    expect(joined).not.toContain('…');
  });

  it('says how many were left out when even Slack’s 50 blocks cannot hold them', () => {
    // Act
    const answer = statusAnswer(fleet(800));

    // Assess
    expect(answer.blocks).toHaveLength(SLACK_LIMITS.blocks);
    expect(JSON.stringify(answer.blocks?.at(-1))).toMatch(/more entries not shown/);
  });

  it('counts the targets left out, not the sections they were listed in', () => {
    // Act
    const answer = statusAnswer(fleet(800));
    const shown = texts(fleet(800)).join('\n');

    // Assess: 800 targets with a snapshot line each, 800 listed as without one.
    const withSnapshot = (shown.match(/• \*certctl-tenant-\d{3}-db\*/g) ?? []).length;
    const without = (shown.match(/certctl-tenant-\d{3}-db-b \(/g) ?? []).length;
    expect(withSnapshot + without).toBeLessThan(1600);
    expect(JSON.stringify(answer.blocks?.at(-1))).toContain(
      `${1600 - withSnapshot - without} more entries not shown`,
    );
  });

  it('lists the snapshots too when 120 places could not be read', () => {
    // Prepare: an organization of 40 accounts whose role is missing in 3 regions each.
    const status: ChatStatus = {
      ...fleet(1),
      problems: Array.from(
        { length: 120 },
        (_, index) => `${String(index).padStart(12, '0')}/eu-west-${index % 3}: not read (AccessDenied)`,
      ),
    };

    // Act
    const answer = statusAnswer(status);
    const shown = texts(status).join('\n');

    // Assess
    expect(answer.blocks?.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    expect(shown).toContain('000000000119/eu-west-2: not read');
    expect(shown).toContain('certctl-premaint-certctl-tenant-000-db-chg-42-0123456789');
    expect(shown).not.toContain('not shown');
  });
});
