/**
 * Readiness for a Cloud SQL instance on the enhanced backup tier, end to end against the simulator
 * (the real `@google-cloud/sql` clients): Backup and DR takes its backups, which backupRuns.list never
 * lists and the snapshot action refuses to take (SnapshotOnBackupPlan), so its snapshot gate is
 * UNKNOWN naming how to verify a fresh Backup and DR backup: never GO, never "run
 * backup-guard snapshot".
 */
import { describe, expect, it } from 'vitest';
import { gcpSnapshotCloud } from '../../functions/actions/snapshot/gcp.ts';
import { statusAnswer } from '../../functions/chatops/answers.ts';
import { cloudChatJobs, jobChatActions } from '../../functions/chatops/job-actions.ts';
import { ON_BACKUP_PLAN } from '../../functions/core/facts.ts';
import { type Policy, parsePolicy } from '../../functions/core/policy.ts';
import type { GcpClientFactory } from '../../functions/gcp/clients.ts';
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

/** The GCP chat function's jobs over the simulator, for `status` (no snapshot is taken). */
function gcpStatusJobs(policy: Policy, factory: GcpClientFactory) {
  return cloudChatJobs({
    policy,
    providers: ['gcp'],
    clouds: (selection) => [gcpSnapshotCloud({ policy: selection, clients: factory })],
    audit: { gcp: { clients: factory, collectors: gcpCollectors } },
    once: async () => {
      throw new Error('no snapshot in this test');
    },
    lastAudit: async () => ({ unavailable: 'none' }),
  });
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
      `1 target(s) ${ON_BACKUP_PLAN}`,
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
    expect(gate?.action).toContain(
      `backup-guard snapshot --provider gcp --target ${PROJECT}:europe-west1:certctl-pg `,
    );
  });
});

describe('chat status for a Cloud SQL instance whose backups Backup and DR takes', () => {
  it('says Backup and DR takes its backups, as readiness does, instead of listing it as without a snapshot of ours', async () => {
    // Prepare: one instance on the enhanced tier, one on the standard tier, neither with a backup of ours.
    const { factory } = await startSim(
      cloudSqlScenario([
        instance('certctl-pg', { backups: { backupTier: 'ENHANCED' } }),
        instance('certctl-pg-standard', { backups: { backupTier: 'STANDARD' } }),
      ]),
      { clock: () => new Date() },
    );
    const policy = parsePolicy({
      pitr: { minPitrDays: 7 },
      gcp: { projects: [PROJECT] },
      snapshots: { readinessWaivers: NO_KEYS_WAIVER },
    });
    const gcp = { clients: factory, collectors: gcpCollectors };
    const clouds = [gcpSnapshotCloud({ policy, clients: factory })];
    const readiness = await runReadinessJob({ providers: ['gcp'] }, { policy, gcp, clouds });
    const gate = readiness.targets
      .find((entry) => entry.target.id === 'certctl-pg')
      ?.gates.find((entry) => entry.gate === 'snapshot');
    const jobs = gcpStatusJobs(policy, factory);

    // Act
    const status = await jobChatActions(jobs).status();
    const text = JSON.stringify(statusAnswer(status).blocks);

    // Assess: the standard-tier instance still lacks a snapshot of ours; the enhanced one is said
    // to be Backup and DR's, in readiness's words, with how to verify its backup there.
    expect(status.withoutSnapshot?.map((entry) => entry.target)).toEqual(['certctl-pg-standard']);
    expect(status.onBackupPlan).toEqual([
      {
        target: 'certctl-pg',
        location: `gcp/${PROJECT}/europe-west1`,
        evidence: gate?.evidence,
        action: gate?.action,
      },
    ]);
    expect(text).toContain(`${ON_BACKUP_PLAN} (1)`);
    expect(text).toContain('backupTier=ENHANCED');
    expect(text).not.toMatch(/No pre-maintenance snapshot of ours \(\d+\):\*[^"]*certctl-pg[ ,]/);
  });
});

describe('chat status asked through the GCP chat function', () => {
  it('names the AWS side of the policy it does not list, in the snapshot answer’s words', async () => {
    // Prepare: the policy also selects AWS accounts; the GCP chat function serves GCP only.
    const { factory } = await startSim(cloudSqlScenario([instance('certctl-pg')]), {
      clock: () => new Date(),
    });
    const policy = parsePolicy({
      pitr: { minPitrDays: 7 },
      gcp: { projects: [PROJECT] },
      aws: {
        regions: ['eu-west-1'],
        accounts: [{ accountId: '222222222222', roleArn: 'arn:aws:iam::222222222222:role/member' }],
      },
      snapshots: { readinessWaivers: NO_KEYS_WAIVER },
    });
    const jobs = gcpStatusJobs(policy, factory);

    // Act
    const status = await jobChatActions(jobs).status();
    const text = JSON.stringify(statusAnswer(status).blocks);

    // Assess: the Cloud SQL instance is listed, and the answer says the AWS side is not.
    expect(status.withoutSnapshot?.map((entry) => entry.target)).toEqual(['certctl-pg']);
    expect(status.problems).toEqual([
      expect.stringContaining(
        'aws: the policy selects databases there too (its aws section), which this chat function does not snapshot',
      ),
    ]);
    expect(text).toContain('aws: the policy selects databases there too (its aws section)');
  });
});
