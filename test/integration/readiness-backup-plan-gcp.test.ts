/**
 * Readiness for a Cloud SQL instance on the enhanced backup tier, end to end against the simulator
 * (the real `@google-cloud/sql` clients): Backup and DR takes its backups, which backupRuns.list never
 * lists and the snapshot action refuses to take (SnapshotOnBackupPlan), so its snapshot gate is
 * UNKNOWN naming how to verify a fresh Backup and DR backup: never GO, never "run
 * backup-guard snapshot".
 */
import { describe, expect, it } from 'vitest';
import { gcpSnapshotCloud } from '../../functions/actions/snapshot/gcp.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { gcpCollectors } from '../../functions/gcp/collectors.ts';
import { runReadinessJob } from '../../functions/jobs/readiness.ts';
import { cloudSqlScenario, gcpSimPerTest, instance, PROJECT } from '../gcp/sim-setup.ts';
import { NO_KEYS_WAIVER } from './snapshot-support.ts';

const startSim = gcpSimPerTest();

async function snapshotGateOf(backupTier: 'ENHANCED' | 'STANDARD') {
  const { factory } = await startSim(
    cloudSqlScenario([instance('certctl-pg', { backups: { backupTier } })]),
    { clock: () => new Date() },
  );
  const policy = parsePolicy({
    pitr: { minPitrDays: 7 },
    gcp: { projects: [PROJECT] },
    snapshots: { readinessWaivers: NO_KEYS_WAIVER },
  });
  const result = await runReadinessJob(
    { providers: ['gcp'] },
    {
      policy,
      gcp: { clients: factory, collectors: gcpCollectors },
      clouds: [gcpSnapshotCloud({ policy, clients: factory })],
    },
  );
  const target = result.targets.find((entry) => entry.target.id === 'certctl-pg');
  return { result, gate: target?.gates.find((gate) => gate.gate === 'snapshot') };
}

describe('readiness for a Cloud SQL instance whose backups Backup and DR takes', () => {
  it('answers the snapshot gate UNKNOWN, naming Backup and DR and how to verify its backup there', async () => {
    // Act
    const { result, gate } = await snapshotGateOf('ENHANCED');

    // Assess
    expect(gate?.status).toBe('UNKNOWN');
    expect(result.verdict).not.toBe('GO');
    expect(gate?.evidence).toContain('backupTier=ENHANCED');
    expect(gate?.evidence).toContain('Backup and DR');
    expect(gate?.action).not.toContain('backup-guard snapshot');
    expect(gate?.action).toContain(
      'gcloud backup-dr backups fetch-for-resource-type sqladmin.googleapis.com/Instance --data-source=',
    );
    expect(result.gates.find((summary) => summary.gate === 'snapshot')?.detail).toBe(
      '1 target(s) whose backups Backup and DR takes (not read)',
    );
    expect(gate?.action).toContain(
      `gcloud backup-dr backup-plan-associations fetch-for-resource-type sqladmin.googleapis.com/Instance --location=europe-west1 --project=${PROJECT}`,
    );
  });

  it('still answers NO-GO with the snapshot command for an instance on the standard tier without a backup of ours', async () => {
    // Act
    const { gate } = await snapshotGateOf('STANDARD');

    // Assess
    expect(gate?.status).toBe('NO-GO');
    expect(gate?.action).toContain('backup-guard snapshot --target certctl-pg');
  });
});
