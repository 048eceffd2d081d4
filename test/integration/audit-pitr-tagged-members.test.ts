/**
 * A policy that selects by tag where the tag sits on an Aurora member, a Multi-AZ DB cluster member
 * or a read replica while its cluster or source is untagged: the real SDK clients against the
 * simulator. The member or replica is judged at its cluster or source, which the policy does not
 * select: nothing audits it, and the report must say so rather than nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditReport, coverageProblems, EXIT_CODES, exitCodeFor } from '../../functions/core/audit.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { renderConsole } from '../../functions/publish/console.ts';
import { renderMarkdown } from '../../functions/publish/markdown.ts';
import type { Sim } from '../../test/sim/server.ts';
import { awsAudit, BACKED_UP, startRdsSim, TARGET_TAG } from './support.ts';

let sim: Sim;

beforeAll(async () => {
  sim = await startRdsSim({
    instances: [
      { id: 'certctl-standalone', region: 'eu-west-1', createdAt: '-420d', tags: TARGET_TAG, ...BACKED_UP },
      { id: 'certctl-src', region: 'eu-west-1', createdAt: '-420d', ...BACKED_UP },
      {
        id: 'certctl-src-replica',
        region: 'eu-west-1',
        createdAt: '-100d',
        readReplicaSource: 'certctl-src',
        tags: TARGET_TAG,
      },
    ],
    clusters: [
      {
        id: 'certctl-prod',
        region: 'eu-west-1',
        backupRetentionPeriod: 30,
        members: [{ id: 'certctl-prod-1', writer: true, tags: TARGET_TAG }, { id: 'certctl-prod-2' }],
      },
      {
        id: 'certctl-maz',
        region: 'eu-west-1',
        engine: 'postgres',
        backupRetentionPeriod: 30,
        members: [{ id: 'certctl-maz-1', writer: true, tags: TARGET_TAG }],
      },
      {
        id: 'certctl-tagged',
        region: 'eu-west-1',
        backupRetentionPeriod: 30,
        tags: TARGET_TAG,
        members: [{ id: 'certctl-tagged-1', writer: true }],
      },
    ],
  });
});

afterAll(async () => {
  await sim.close();
});

function audit(): Promise<AuditReport> {
  return awsAudit(sim.endpoint, parsePolicy({ aws: { regions: ['eu-west-1'] } }));
}

describe('AWS PITR audit of a policy whose tag sits on a member or replica of an untagged database', () => {
  it('audits only what the tags select, and names each tagged member or replica with the cluster or source to tag', async () => {
    // Act
    const report = await audit();

    // Assess: nothing the policy does not select is judged.
    expect(new Set(report.findings.map((finding) => finding.resource.id))).toEqual(
      new Set(['certctl-standalone', 'certctl-tagged']),
    );
    const problems = coverageProblems(report);
    expect(problems).toEqual(
      expect.arrayContaining([
        'certctl-prod-1 carries the target tag certctl:backup-guard=enabled but is a member of Aurora cluster certctl-prod, which does not: tag the cluster to audit it',
        'certctl-maz-1 carries the target tag certctl:backup-guard=enabled but is a member of Multi-AZ DB cluster certctl-maz, which does not: tag the cluster to audit it',
        'certctl-src-replica carries the target tag certctl:backup-guard=enabled but is a read replica of certctl-src, which does not: tag the source to audit it',
      ]),
    );
    // A member of a tagged cluster is judged there: nothing to say of it.
    expect(problems.join('\n')).not.toContain('certctl-tagged-1');
    expect(problems).toHaveLength(3);
    // Like a named target that was not found: the audit covers less than the policy asks.
    expect(exitCodeFor(report)).toBe(EXIT_CODES.incomplete);
    // Where a user reads coverage problems: the CLI output and the Markdown report.
    const member = /certctl-prod-1 carries the target tag .* Aurora cluster certctl-prod, which does not/;
    expect(renderConsole(report, { columns: 400 })).toMatch(member);
    expect(renderMarkdown(report)).toMatch(member);
  });
});
