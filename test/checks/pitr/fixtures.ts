/**
 * Fact builders for the PITR check tests: a healthy RDS instance, Aurora cluster and Cloud SQL
 * instance at a fixed `NOW`, each overridable field by field.
 */
import type { CheckContext } from '../../../functions/core/check.ts';
import type { PitrFact, ReplicatedBackup } from '../../../functions/core/facts.ts';
import type { ResourceRef } from '../../../functions/core/finding.ts';
import { type PolicyInput, parsePolicy } from '../../../functions/core/policy.ts';

export const NOW = new Date('2026-09-01T12:00:00.000Z');
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export function daysAgo(days: number): Date {
  return new Date(NOW.getTime() - days * DAY_MS);
}

export function minutesAgo(minutes: number): Date {
  return new Date(NOW.getTime() - minutes * MINUTE_MS);
}

/** The context a check runs in: the policy with defaults (minPitrDays 30, lag 15 min) at `NOW`. */
export function contextWith(policy: PolicyInput = {}): CheckContext {
  return { policy: parsePolicy(policy), now: NOW };
}

type CloudSqlBlock = NonNullable<PitrFact['cloudSql']>;

/**
 * A replicated backup its destination lists replicating, with 30 days of restore window and a
 * retention of 31 days (a day above the 30-day target: the copy, like its source, restores from the
 * oldest daily snapshot it keeps).
 */
export function replicatedBackup(
  region: string,
  overrides: Partial<ReplicatedBackup> = {},
): ReplicatedBackup {
  return {
    region,
    arn: `arn:aws:rds:${region}:111122223333:auto-backup:ab-certctl-db`,
    read: true,
    listed: true,
    status: 'replicating',
    restoreWindow: { earliest: daysAgo(30), latest: minutesAgo(6) },
    backupRetentionPeriod: 31,
    ...overrides,
  } as ReplicatedBackup;
}

/** A healthy RDS PostgreSQL instance: 35 days retention, a full window, archiving current. */
export function rdsInstanceFact(overrides: Partial<PitrFact> = {}): PitrFact {
  return {
    resource: {
      provider: 'aws',
      account: '111122223333',
      region: 'eu-west-1',
      type: 'AwsRdsDbInstance',
      id: 'certctl-db',
      arn: 'arn:aws:rds:eu-west-1:111122223333:db:certctl-db',
    },
    kind: 'rds-instance',
    engine: 'postgres',
    status: 'available',
    retentionDays: 35,
    retentionSource: 'BackupRetentionPeriod',
    retentionRange: { min: 0, max: 35 },
    automatedBackupsEnabled: true,
    pointInTimeRecoveryEnabled: true,
    restoreWindow: {
      known: true,
      earliest: daysAgo(35),
      latest: minutesAgo(3),
      source: 'RestoreWindow.EarliestTime',
    },
    // RDS's default: a 30-minute backup window.
    dailyBackupWindow: { known: true, window: '03:00-03:30', lengthMs: 30 * MINUTE_MS },
    deletionProtection: true,
    crossRegionBackupTargets: ['eu-central-1'],
    replicatedBackups: [replicatedBackup('eu-central-1')],
    createdAt: daysAgo(400),
    ...overrides,
  };
}

/** A healthy Aurora PostgreSQL cluster: 30 days retention and a window of exactly 30 days. */
export function auroraClusterFact(overrides: Partial<PitrFact> = {}): PitrFact {
  return {
    resource: {
      provider: 'aws',
      account: '111122223333',
      region: 'eu-west-1',
      type: 'AwsRdsDbCluster',
      id: 'certctl-aurora',
      arn: 'arn:aws:rds:eu-west-1:111122223333:cluster:certctl-aurora',
    },
    kind: 'aurora-cluster',
    engine: 'aurora-postgresql',
    status: 'available',
    retentionDays: 30,
    retentionSource: 'BackupRetentionPeriod',
    retentionRange: { min: 1, max: 35 },
    automatedBackupsEnabled: true,
    pointInTimeRecoveryEnabled: true,
    restoreWindow: {
      known: true,
      earliest: daysAgo(30),
      latest: minutesAgo(2),
      source: 'EarliestRestorableTime',
    },
    deletionProtection: true,
    crossRegionBackupTargets: undefined,
    engineMode: 'provisioned',
    createdAt: daysAgo(200),
    ...overrides,
  };
}

/** A healthy Cloud SQL ENTERPRISE_PLUS instance: 30 days of logs, 31 retained backups. */
export function cloudSqlFact(
  overrides: Partial<PitrFact> = {},
  cloudSql: Partial<CloudSqlBlock> = {},
  resource: Partial<ResourceRef> = {},
): PitrFact {
  return {
    resource: {
      provider: 'gcp',
      account: 'certctl-prod',
      region: 'europe-west1',
      type: 'GcpCloudSqlInstance',
      id: 'certctl-sql',
      selfLink: 'https://sqladmin.googleapis.com/v1/projects/certctl-prod/instances/certctl-sql',
      ...resource,
    },
    kind: 'cloudsql-instance',
    engine: 'POSTGRES_16',
    status: 'RUNNABLE',
    retentionDays: 30,
    retentionSource: 'transactionLogRetentionDays',
    retentionRange: { min: 1, max: 35 },
    automatedBackupsEnabled: true,
    pointInTimeRecoveryEnabled: true,
    restoreWindow: {
      known: true,
      earliest: daysAgo(30.5),
      latest: minutesAgo(4),
      source: 'getLatestRecoveryTime.earliestRecoveryTime',
    },
    deletionProtection: true,
    crossRegionBackupTargets: undefined,
    createdAt: daysAgo(300),
    ...overrides,
    cloudSql: {
      edition: 'ENTERPRISE_PLUS',
      retainedBackups: 31,
      retainBackupsOnDelete: true,
      finalBackupEnabled: false,
      finalBackupRetentionDays: undefined,
      ...cloudSql,
    },
  };
}
