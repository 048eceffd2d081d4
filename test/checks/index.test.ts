import { describe, expect, it } from 'vitest';
import { allChecks } from '../../functions/checks/index.ts';
import { pitrChecks } from '../../functions/checks/pitr/index.ts';
import { parsePolicy } from '../../functions/core/policy.ts';

describe('check catalog', () => {
  it('lists the six PITR checks in catalog order when loaded', () => {
    expect(pitrChecks.map((check) => check.metadata.id)).toEqual([
      'pitr.enabled',
      'pitr.retention',
      'pitr.window',
      'pitr.lag',
      'pitr.deletion-protection',
      'pitr.cross-region',
    ]);
  });

  it('lists the four dumps checks, then the five keys checks, after the PITR checks when loaded', () => {
    // Act
    const ids = allChecks.map((check) => check.metadata.id);
    // Assess
    expect(ids.slice(pitrChecks.length)).toEqual([
      'dumps.fresh',
      'dumps.retention',
      'dumps.integrity',
      'dumps.protection',
      'keys.present',
      'keys.not-deleting',
      'keys.replicated',
      'keys.cmk',
      'keys.content',
    ]);
  });

  it('names the policy setting of every check the policy can turn off, and that setting turns it on', () => {
    // Prepare
    const switchable = allChecks.filter((check) => check.enabledBy);

    // Act: the defaults turn each off; its setting set to true turns it on (a keys section with no
    // preset, whose items would otherwise all need mapping).
    const states = switchable.map((check) => {
      const [section = '', field = ''] = (check.enabledBySetting ?? '').split('.');
      const preset = section === 'keys' ? { preset: 'none' } : {};
      return [
        check.metadata.id,
        check.enabledBy?.(parsePolicy({})),
        check.enabledBy?.(parsePolicy({ [section]: { ...preset, [field]: true } })),
      ];
    });

    // Assess
    expect(states).toEqual([
      ['pitr.cross-region', false, true],
      ['keys.content', false, true],
    ]);
  });

  it('gives every check complete metadata when the docs are generated from it', () => {
    for (const check of allChecks) {
      const { metadata } = check;
      expect(metadata.title.length).toBeGreaterThan(10);
      expect(metadata.rationale.length).toBeGreaterThan(40);
      expect(metadata.remediation.text.length).toBeGreaterThan(20);
      expect(metadata.remediation.url).toMatch(
        /^https:\/\/(docs\.aws\.amazon\.com|cloud\.google\.com|www\.postgresql\.org)\//,
      );
      expect(metadata.resourceTypes.length).toBeGreaterThan(0);
    }
  });

  it('names the database in every database command the catalog shows, as a placeholder when it has none', () => {
    // Prepare: the commands in backticks, each a copy a reader may run as written.
    const commands = allChecks.flatMap((check) =>
      [...check.metadata.remediation.text.matchAll(/`((?:aws rds|gcloud sql) [^`]*)`/g)].map(
        (match) => `${check.metadata.id}: ${match[1]}`,
      ),
    );

    // Assess: an RDS modify names its identifier; a Cloud SQL patch its instance and project.
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      if (/aws rds modify-db-instance /.test(command))
        expect(command).toMatch(/--db-instance-identifier '<[^>]+>'/);
      if (/aws rds modify-db-cluster /.test(command))
        expect(command).toMatch(/--db-cluster-identifier '<[^>]+>'/);
      if (/gcloud sql instances patch /.test(command))
        expect(command).toMatch(/gcloud sql instances patch '<[^>]+>' --project='<[^>]+>'/);
    }
  });
});
