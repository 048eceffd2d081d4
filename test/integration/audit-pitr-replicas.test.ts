/**
 * A policy that names a cross-Region read replica: the real SDK clients against the simulator. The
 * replica has no backups of its own and is never judged alone; its source, in another Region, lists
 * it by ARN (ReadReplicaDBInstanceIdentifiers), and is what the policy's name must select.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport } from '../../functions/core/audit.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { DEFAULT_ACCOUNT_ID } from '../../test/sim/accounts.ts';
import { parseScenario } from '../../test/sim/scenario.ts';
import { type Sim, startSim } from '../../test/sim/server.ts';
import { awsAudit } from './support.ts';

let sim: Sim;

beforeAll(async () => {
  sim = await startSim({
    scenario: parseScenario({
      regions: [{ name: 'eu-west-1' }, { name: 'us-east-1' }],
      services: {
        rds: {
          instances: [
            {
              id: 'certctl-src',
              region: 'eu-west-1',
              engine: 'postgres',
              createdAt: '-420d',
              backupRetentionPeriod: 35,
              earliestRestorableTime: '-35d',
              latestRestorableTime: '-4m',
            },
            {
              id: 'certctl-replica',
              region: 'us-east-1',
              engine: 'postgres',
              createdAt: '-100d',
              readReplicaSource: `arn:aws:rds:eu-west-1:${DEFAULT_ACCOUNT_ID}:db:certctl-src`,
            },
          ],
        },
      },
    }),
  });
});

afterAll(async () => {
  await sim.close();
});

function audit(): Promise<AuditReport> {
  return awsAudit(sim.endpoint, parsePolicy({ targets: { identifiers: ['certctl-replica'] } }));
}

describe('AWS PITR audit of a policy that names a cross-Region read replica', () => {
  it('judges the source in the other Region and says the replica is judged there, not that it was not found', async () => {
    // Act
    const report = await audit();

    // Assess
    expect(new Set(report.findings.map((finding) => finding.resource.id))).toEqual(new Set(['certctl-src']));
    expect(report.findings.find((finding) => finding.checkId === 'pitr.window')?.status).toBe('PASSED');
    expect(report.unmatchedTargets).toEqual([]);
    expect(report.targetsJudgedElsewhere).toEqual([
      { identifier: 'certctl-replica', note: 'RDS read replica, judged at certctl-src' },
    ]);
  });
});
