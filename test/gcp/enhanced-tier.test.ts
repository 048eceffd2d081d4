/**
 * The PITR audit of a Cloud SQL instance on the enhanced backup tier, end to end against the
 * simulator. `backupConfiguration.backupTier` ENHANCED means "Instance is managed by Google Cloud
 * Backup and DR Service" (google.cloud.sql.v1 BackupConfiguration.BackupTier): a Backup and DR backup
 * plan sets the schedule and the retention (Cloud SQL docs, "Manage enhanced backups": the backup plan
 * defines the backup schedule and retention settings of the instance's enhanced backups; the plan's
 * `logRetentionDays` is "Applicable only for CloudSQL resource_type. Configures how long logs will be
 * stored"), and a point-in-time restore of such an instance starts from the Backup and DR data source
 * (`instances.pointInTimeRestore`, PointInTimeRestoreContext.datasource). The instance's own retention
 * settings, backup runs and recovery times are therefore no proof of what can be restored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport } from '../../functions/core/audit.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import { gcpCollectors } from '../../functions/gcp/collectors.ts';
import { runAuditReport } from '../../functions/jobs/audit.ts';
import type { Sim } from '../sim/server.ts';
import { cloudSqlScenario, instance, NOW, PROJECT, startGcpSim } from './sim-setup.ts';

/** Settings that pass every check on the standard tier at the default 30-day target. */
const thirtyDays = {
  edition: 'ENTERPRISE_PLUS',
  createdAt: '-300d',
  finalBackup: { enabled: true, retentionDays: 30 },
} as const;

const FLEET = [
  instance('enhanced', {
    ...thirtyDays,
    backups: { transactionLogRetentionDays: 30, retainedBackups: 31, backupTier: 'ENHANCED' },
  }),
  instance('standard', {
    ...thirtyDays,
    backups: { transactionLogRetentionDays: 30, retainedBackups: 31, backupTier: 'STANDARD' },
  }),
];

describe('the GCP PITR audit of an instance on the enhanced backup tier', () => {
  let sim: Sim;
  let report: AuditReport;
  const finding = (check: string, name: string) =>
    report.findings.find((candidate) => candidate.checkId === check && candidate.resource.id === name);

  beforeAll(async () => {
    ({ sim } = await startGcpSim(cloudSqlScenario(FLEET)));
    const factory = new GcpClientFactory({ endpoint: sim.endpoint });
    try {
      report = await runAuditReport(
        { providers: ['gcp'] },
        {
          policy: parsePolicy({ gcp: { projects: [PROJECT] } }),
          gcp: { clients: factory, collectors: gcpCollectors },
          now: () => NOW,
        },
      );
    } finally {
      await factory.close();
    }
  });

  afterAll(async () => {
    await sim?.close();
  });

  it.each(['pitr.enabled', 'pitr.retention', 'pitr.window', 'pitr.lag'])(
    'reports %s NOT_AVAILABLE, not PASSED on the instance settings the backup plan overrides',
    (check) => {
      // Act
      const enhanced = finding(check, 'enhanced');

      // Assess: the same settings on the standard tier pass, so only the tier makes the difference.
      expect(finding(check, 'standard')?.status).toBe('PASSED');
      expect(enhanced?.status).toBe('NOT_AVAILABLE');
      expect(enhanced?.description).toContain('backupConfiguration.backupTier=ENHANCED');
      expect(enhanced?.description).toContain('Backup and DR backup plan');
      expect(enhanced?.observed).toMatchObject({ backupTier: 'ENHANCED' });
      expect(enhanced?.remediation.text).toContain(
        `gcloud backup-dr backup-plan-associations fetch-for-resource-type sqladmin.googleapis.com/Instance --location=europe-west1 --project=${PROJECT}`,
      );
    },
  );

  it('names the backup plan retention instead of the 30 days the instance settings say', () => {
    // Act
    const retention = finding('pitr.retention', 'enhanced');

    // Assess
    expect(retention?.description).toContain('transactionLogRetentionDays=30');
    expect(retention?.description).toContain('logRetentionDays');
    expect(retention?.observed).toMatchObject({ retentionDays: 30, retainedBackups: 31 });
  });

  it('keeps judging deletion protection, an instance setting no backup plan governs', () => {
    // Assess
    expect(finding('pitr.deletion-protection', 'enhanced')?.status).toBe('PASSED');
  });

  it('reads no backup runs and no recovery time for the enhanced instance', () => {
    // Assess: only the standard instance's window is read.
    const { byOperation } = sim.stats();
    expect(byOperation['cloudSql:instances.getLatestRecoveryTime']).toBe(1);
    expect(byOperation['cloudSql:backupRuns.list']).toBeUndefined();
  });
});
