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
            // A cascading chain: cascade-leaf reads from cascade-mid, itself a replica of cascade-src.
            { id: 'cascade-src', region: 'eu-west-1', engine: 'postgres', backupRetentionPeriod: 35 },
            { id: 'cascade-mid', region: 'eu-west-1', engine: 'postgres', readReplicaSource: 'cascade-src' },
            { id: 'cascade-leaf', region: 'eu-west-1', engine: 'postgres', readReplicaSource: 'cascade-mid' },
          ],
          clusters: [
            {
              id: 'certctl-aurora',
              region: 'eu-west-1',
              backupRetentionPeriod: 35,
              members: [{ id: 'certctl-aurora-1', writer: true }],
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

function audit(identifiers: string[] = ['certctl-replica']): Promise<AuditReport> {
  return awsAudit(sim.endpoint, parsePolicy({ targets: { identifiers } }));
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

describe('AWS PITR audit of a policy that names a cascading replica, or an Aurora member by its ARN', () => {
  it('judges the chain primary and the cluster, and says where each named database is judged', async () => {
    // Act
    const memberArn = `arn:aws:rds:eu-west-1:${DEFAULT_ACCOUNT_ID}:db:certctl-aurora-1`;
    const report = await audit(['cascade-leaf', memberArn]);

    // Assess
    expect(new Set(report.findings.map((finding) => finding.resource.id))).toEqual(
      new Set(['cascade-src', 'certctl-aurora']),
    );
    expect(report.unmatchedTargets).toEqual([]);
    expect(report.targetsJudgedElsewhere).toEqual([
      {
        identifier: 'cascade-leaf',
        note: 'RDS cascading read replica (a read replica of cascade-mid, itself a read replica of cascade-src), judged at cascade-src',
      },
      { identifier: memberArn, note: 'Aurora member, judged at certctl-aurora' },
    ]);
  });
});
