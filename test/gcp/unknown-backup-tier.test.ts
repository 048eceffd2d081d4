/**
 * A Cloud SQL instance whose `settings.backupConfiguration.backupTier` is a tier the protos do not
 * know (a number they do not name, decoded as `BACKUPTIER_7`, or a name newer than them). Google
 * lists STANDARD ("Instance is managed by Cloud SQL") and ENHANCED ("Instance is managed by Google
 * Cloud Backup and DR Service"; ADVANCED is its deprecated name) (google.cloud.sql.v1
 * BackupConfiguration.BackupTier): a tier beyond those may, like ENHANCED, keep its backups outside
 * the instance's backup runs, so neither backupRuns.list nor getLatestRecoveryTime proves its
 * window, and a backup run is no proof of a backup. BACKUP_TIER_UNSPECIFIED, what an absent tier
 * decodes to, stays the standard tier.
 */
import { describe, expect, it } from 'vitest';
import { backupPlanRefusal } from '../../functions/actions/snapshot/gcp.ts';
import { statusAnswer } from '../../functions/chatops/answers.ts';
import { pitrChecks } from '../../functions/checks/pitr/index.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import {
  type CloudSqlApi,
  type DatabaseInstance,
  readCloudSqlPitrFacts,
} from '../../functions/gcp/cloud-sql.ts';
import { backupPlanNote } from '../../functions/jobs/readiness.ts';
import { PROJECT } from './sim-setup.ts';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const policy = parsePolicy({
  targets: { tags: [{ key: 'certctl:backup-guard', value: 'enabled' }] },
  pitr: { requireCrossRegionBackup: true },
});
const PLAN_CHECKS = ['pitr.enabled', 'pitr.retention', 'pitr.window', 'pitr.lag', 'pitr.cross-region'];

/** A healthy PITR instance at `backupTier`, whose getLatestRecoveryTime says the logs are current. */
async function factOf(backupTier: string | number) {
  const instance = {
    name: 'db-1',
    region: 'europe-west1',
    databaseVersion: 'POSTGRES_16',
    instanceType: 'CLOUD_SQL_INSTANCE',
    state: 'RUNNABLE',
    createTime: '2025-01-01T00:00:00Z',
    settings: {
      edition: 'ENTERPRISE_PLUS',
      userLabels: { 'certctl-backup-guard': 'enabled' },
      backupConfiguration: {
        enabled: { value: true },
        pointInTimeRecoveryEnabled: { value: true },
        transactionalLogStorageState: 'CLOUD_STORAGE',
        transactionLogRetentionDays: { value: 30 },
        backupRetentionSettings: { retentionUnit: 'COUNT', retainedBackups: { value: 31 } },
        backupTier,
      },
    },
  } as unknown as DatabaseInstance;
  const recoveryCalls: unknown[] = [];
  const api: CloudSqlApi = {
    instances: {
      list: async () => [{ items: [instance] }],
      getLatestRecoveryTime: async (request) => {
        recoveryCalls.push(request);
        return [
          {
            earliestRecoveryTime: new Date(NOW.getTime() - 31 * 86_400_000).toISOString(),
            latestRecoveryTime: new Date(NOW.getTime() - 60_000).toISOString(),
          } as never,
        ];
      },
    },
    backupRuns: { list: async () => [{ items: [] }] },
  };
  const [fact] = await readCloudSqlPitrFacts(api, PROJECT, policy, { now: () => NOW });
  if (!fact) throw new Error('no fact');
  return { fact, recoveryCalls };
}

describe('a Cloud SQL instance on a backup tier this tool does not know', () => {
  it.each([
    [7, 'BACKUPTIER_7'],
    ['VAULTED', 'VAULTED'],
  ])(
    'reports the PITR checks NOT_AVAILABLE naming the tier (%s), without trusting getLatestRecoveryTime',
    async (sent, tier) => {
      // Act
      const { fact, recoveryCalls } = await factOf(sent);
      const outcomes = PLAN_CHECKS.map((id) =>
        pitrChecks.find((check) => check.metadata.id === id)?.evaluate(fact, { policy, now: NOW }),
      );

      // Assess: not PASSED on the instance's own answer; the tier is named as unknown.
      expect(recoveryCalls).toEqual([]);
      expect(fact.restoreWindow.known).toBe(false);
      for (const outcome of outcomes) {
        expect(outcome?.status).toBe('NOT_AVAILABLE');
        expect(outcome?.description).toContain(`backupConfiguration.backupTier=${tier}`);
        expect(outcome?.description).toContain('a backup tier this tool does not know');
        expect(outcome?.observed).toMatchObject({ backupTier: tier });
      }
    },
  );

  it.each([
    [1, 'STANDARD'],
    [0, 'BACKUP_TIER_UNSPECIFIED'],
  ])('keeps judging backupTier %s (%s) as the standard tier', async (sent) => {
    // Act
    const { fact, recoveryCalls } = await factOf(sent);
    const lag = pitrChecks
      .find((check) => check.metadata.id === 'pitr.lag')
      ?.evaluate(fact, { policy, now: NOW });

    // Assess
    expect(recoveryCalls).toHaveLength(1);
    expect(lag?.status).toBe('PASSED');
  });

  const target = {
    provider: 'gcp' as const,
    kind: 'cloudsql-instance' as const,
    account: PROJECT,
    region: 'europe-west1',
    id: 'db-1',
    backupTier: 'BACKUPTIER_7',
  };

  it('inserts no backup run for it, saying the tier is unknown', () => {
    // Act
    const refusal = backupPlanRefusal(target);

    // Assess
    expect(refusal?.code).toBe('SnapshotOnBackupPlan');
    expect(refusal?.message).toContain(
      'backupConfiguration.backupTier=BACKUPTIER_7, a backup tier this tool does not know',
    );
    // A Backup and DR trigger is the advice for ENHANCED only: for a tier nobody here knows, it is a guess.
    expect(refusal?.message).not.toContain('trigger-backup');
    expect(refusal?.message).toContain(
      'gcloud sql instances describe db-1 --project=certctl-prod --format="value(settings.backupConfiguration)"',
    );
    expect(backupPlanRefusal({ ...target, backupTier: 'ENHANCED' })?.message).toContain('trigger-backup');
    expect(backupPlanRefusal({ ...target, backupTier: 'STANDARD' })).toBeUndefined();
    expect(backupPlanRefusal({ ...target, backupTier: 'BACKUP_TIER_UNSPECIFIED' })).toBeUndefined();
  });

  it('has readiness say the tier is unknown rather than look for a backup run', () => {
    // Act
    const note = backupPlanNote({ ...target, type: 'GcpCloudSqlInstance' });

    // Assess
    expect(note?.evidence).toContain(
      'backupConfiguration.backupTier=BACKUPTIER_7, a backup tier this tool does not know',
    );
    expect(
      backupPlanNote({ ...target, type: 'GcpCloudSqlInstance', backupTier: 'STANDARD' }),
    ).toBeUndefined();
  });

  it('has readiness send the user to what manages its backups, not to Backup and DR, as the snapshot action does', () => {
    // Act
    const note = backupPlanNote({ ...target, type: 'GcpCloudSqlInstance' });
    const enhanced = backupPlanNote({ ...target, type: 'GcpCloudSqlInstance', backupTier: 'ENHANCED' });

    // Assess: a Backup and DR association or backup listing is the advice for ENHANCED only.
    expect(note?.action).not.toContain('backup-dr');
    expect(note?.action).toContain(
      'gcloud sql instances describe db-1 --project=certctl-prod --format="value(settings.backupConfiguration)"',
    );
    expect(note?.action).toContain('run readiness again');
    expect(enhanced?.action).toContain('gcloud backup-dr backup-plan-associations fetch-for-resource-type');
  });

  it('has chat status file it under a title that does not say Backup and DR takes its backups', () => {
    // Prepare
    const note = backupPlanNote({ ...target, type: 'GcpCloudSqlInstance' });
    if (!note) throw new Error('no note');

    // Act
    const text = JSON.stringify(
      statusAnswer({
        lastAudit: { unavailable: 'none' },
        snapshots: [],
        problems: [],
        onBackupPlan: [
          {
            target: 'db-1',
            location: `gcp/${PROJECT}/europe-west1`,
            evidence: note.evidence,
            action: note.action,
          },
        ],
      }).blocks,
    );

    // Assess: the title covers an unknown tier too; the entry's evidence names the tier.
    expect(text).not.toContain('whose backups Backup and DR takes');
    expect(text).toContain('a tier this tool does not know');
    expect(text).toContain('backupConfiguration.backupTier=BACKUPTIER_7');
  });
});
