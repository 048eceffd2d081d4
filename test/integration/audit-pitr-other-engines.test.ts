/**
 * A policy that selects, by tag or by name, RDS databases whose engine is not PostgreSQL (MySQL, an
 * Aurora MySQL cluster): the real SDK clients against the simulator. Nothing audits them, and the
 * report must say so under Coverage, as for Cloud SQL, rather than say nothing or call a named one not
 * found; a name no database answers to stays not found, and readiness lists each as not evaluated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coverageProblems, EXIT_CODES, exitCodeFor } from '../../functions/core/audit.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { judgeReadiness } from '../../functions/jobs/readiness.ts';
import { DEFAULT_ACCOUNT_ID } from '../../test/sim/accounts.ts';
import type { Sim } from '../../test/sim/server.ts';
import { awsAudit, BACKED_UP, startRdsSim, TARGET_TAG } from './support.ts';

let sim: Sim;

beforeAll(async () => {
  sim = await startRdsSim({
    instances: [
      { id: 'certctl-pg', region: 'eu-west-1', createdAt: '-420d', tags: TARGET_TAG, ...BACKED_UP },
      { id: 'certctl-mysql', region: 'eu-west-1', engine: 'mysql', tags: TARGET_TAG, ...BACKED_UP },
      { id: 'legacy-mariadb', region: 'eu-west-1', engine: 'mariadb', ...BACKED_UP },
      { id: 'other-mysql', region: 'eu-west-1', engine: 'mysql', ...BACKED_UP },
    ],
    clusters: [
      {
        id: 'orders',
        region: 'eu-west-1',
        engine: 'aurora-mysql',
        backupRetentionPeriod: 7,
        members: [{ id: 'orders-1', writer: true }],
      },
    ],
  });
});

afterAll(async () => {
  await sim.close();
});

describe('AWS PITR audit of selected databases of another engine', () => {
  it('names a tagged or named MySQL, MariaDB or Aurora MySQL database under Coverage, not as not found, and keeps a true not-found', async () => {
    // Act: tagged (certctl-mysql), named by identifier (legacy-mariadb) and by ARN (orders), and a
    // name nothing answers to; then the same names without a tag, where only look-ups find them.
    const names = ['legacy-mariadb', `arn:aws:rds:eu-west-1:${DEFAULT_ACCOUNT_ID}:cluster:orders`, 'gone'];
    const report = await awsAudit(
      sim.endpoint,
      parsePolicy({ aws: { regions: ['eu-west-1'] }, targets: { identifiers: names } }),
    );
    const namedOnly = await awsAudit(
      sim.endpoint,
      parsePolicy({ aws: { regions: ['eu-west-1'] }, targets: { tags: [], identifiers: names } }),
    );

    // Assess
    expect(new Set(report.findings.map((finding) => finding.resource.id))).toEqual(new Set(['certctl-pg']));
    const expected = [
      'targets named in the policy were not found: gone',
      'certctl-mysql is selected by the target tag certctl:backup-guard=enabled but its engine mysql is not PostgreSQL: not audited',
      'legacy-mariadb is selected by targets.identifiers but its engine mariadb is not PostgreSQL: not audited',
      'orders is selected by targets.identifiers but its engine aurora-mysql is not PostgreSQL: not audited',
    ];
    expect(coverageProblems(report)).toEqual(expected);
    expect(report.unmatchedTargets).toEqual(['gone']);
    expect(exitCodeFor(report)).toBe(EXIT_CODES.incomplete);
    expect(coverageProblems(namedOnly)).toEqual([
      "no database matched the policy's targets (targets.tags, targets.identifiers, targets.all), so no database was proven restorable",
      ...expected.filter((problem) => !problem.startsWith('certctl-mysql')),
    ]);
    // Readiness: each is not evaluated, as for Cloud SQL.
    const readiness = judgeReadiness({
      report,
      plannedGroups: new Set(['pitr']),
      providers: ['aws'],
      snapshotsOf: () => [],
      maxAgeHours: 24,
      now: new Date(),
    });
    expect(readiness.notEvaluated).toEqual(
      expect.arrayContaining(['target gone: named by the policy but not found', ...expected.slice(1)]),
    );
  });
});
