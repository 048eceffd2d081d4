/**
 * Lean decoding of the RDS answers read in bulk, through functions/aws/xml-wire.ts: the three lists
 * the PITR audit reads (DescribeDBInstances, DescribeDBClusters, DescribeDBInstanceAutomatedBackups,
 * and DescribeGlobalClusters when a global database member's role is not shown),
 * the two the snapshot job polls (DescribeDBSnapshots, DescribeDBClusterSnapshots) and the creates
 * it sends in one burst per region (CreateDBSnapshot, CreateDBClusterSnapshot). Only the
 * members the code reads are decoded, instead of the SDK turning every ~117-element member into
 * objects (about 60% of the audit's CPU on realistic pages, about half of the snapshot job's).
 *
 * test/aws/rds-wire.test.ts decodes the same pages both ways (errors and empty pages included).
 */
import type { Pluggable } from '@smithy/types';
import {
  decodeXmlResult,
  type Field,
  leanXmlPlugin,
  type Shape,
  type StreamCollector,
  XmlWireError,
} from './xml-wire.ts';

export type { Shape, StreamCollector } from './xml-wire.ts';

const TAG_LIST: Field = { list: 'Tag', of: { Key: 'string', Value: 'string' } };

/** The DBInstance members functions/aws/rds.ts reads. */
const DB_INSTANCE: Shape = {
  DBInstanceIdentifier: 'string',
  DBInstanceArn: 'string',
  DbiResourceId: 'string',
  Engine: 'string',
  DBInstanceStatus: 'string',
  DBClusterIdentifier: 'string',
  ReadReplicaSourceDBInstanceIdentifier: 'string',
  ReadReplicaSourceDBClusterIdentifier: 'string',
  ReadReplicaDBInstanceIdentifiers: { list: 'ReadReplicaDBInstanceIdentifier', of: 'string' },
  ReadReplicaDBClusterIdentifiers: { list: 'ReadReplicaDBClusterIdentifier', of: 'string' },
  BackupRetentionPeriod: 'integer',
  PreferredBackupWindow: 'string',
  PendingModifiedValues: { struct: { BackupRetentionPeriod: 'integer' } },
  LatestRestorableTime: 'timestamp',
  InstanceCreateTime: 'timestamp',
  DeletionProtection: 'boolean',
  AwsBackupRecoveryPointArn: 'string',
  DBInstanceAutomatedBackupsReplications: {
    list: 'DBInstanceAutomatedBackupsReplication',
    of: { DBInstanceAutomatedBackupsArn: 'string' },
  },
  TagList: TAG_LIST,
};

/** The DBCluster members functions/aws/rds.ts reads. */
const DB_CLUSTER: Shape = {
  DBClusterIdentifier: 'string',
  DBClusterArn: 'string',
  DbClusterResourceId: 'string',
  Engine: 'string',
  Status: 'string',
  ReplicationSourceIdentifier: 'string',
  ReadReplicaIdentifiers: { list: 'ReadReplicaIdentifier', of: 'string' },
  GlobalClusterIdentifier: 'string',
  DBClusterMembers: {
    list: 'DBClusterMember',
    of: { DBInstanceIdentifier: 'string', IsClusterWriter: 'boolean' },
  },
  BackupRetentionPeriod: 'integer',
  PendingModifiedValues: { struct: { BackupRetentionPeriod: 'integer' } },
  EarliestRestorableTime: 'timestamp',
  LatestRestorableTime: 'timestamp',
  ClusterCreateTime: 'timestamp',
  DeletionProtection: 'boolean',
  AwsBackupRecoveryPointArn: 'string',
  TagList: TAG_LIST,
};

/** The DBInstanceAutomatedBackup members functions/aws/rds.ts reads. */
const AUTOMATED_BACKUP: Shape = {
  DbiResourceId: 'string',
  DBInstanceAutomatedBackupsArn: 'string',
  Region: 'string',
  Status: 'string',
  RestoreWindow: { struct: { EarliestTime: 'timestamp', LatestTime: 'timestamp' } },
  BackupRetentionPeriod: 'integer',
};

/** The DBSnapshot members functions/aws/rds-snapshots.ts reads. */
const DB_SNAPSHOT: Shape = {
  DBSnapshotIdentifier: 'string',
  DBInstanceIdentifier: 'string',
  DbiResourceId: 'string',
  Status: 'string',
  DBSnapshotArn: 'string',
  SnapshotCreateTime: 'timestamp',
  OriginalSnapshotCreateTime: 'timestamp',
  SourceRegion: 'string',
  SourceDBSnapshotIdentifier: 'string',
  Encrypted: 'boolean',
  KmsKeyId: 'string',
  AllocatedStorage: 'integer',
  TagList: TAG_LIST,
};

/** The DBClusterSnapshot members functions/aws/rds-snapshots.ts reads. */
const DB_CLUSTER_SNAPSHOT: Shape = {
  DBClusterSnapshotIdentifier: 'string',
  DBClusterIdentifier: 'string',
  DbClusterResourceId: 'string',
  Status: 'string',
  DBClusterSnapshotArn: 'string',
  SourceDBClusterSnapshotArn: 'string',
  SnapshotCreateTime: 'timestamp',
  StorageEncrypted: 'boolean',
  KmsKeyId: 'string',
  AllocatedStorage: 'integer',
  TagList: TAG_LIST,
};

/**
 * The GlobalCluster members functions/aws/rds.ts reads. Both the GlobalClusters list and each
 * GlobalClusterMembers list name their entries `GlobalClusterMember` (RDS service model,
 * GlobalClusterList and GlobalClusterMemberList).
 */
const GLOBAL_CLUSTER: Shape = {
  GlobalClusterIdentifier: 'string',
  GlobalClusterMembers: { list: 'GlobalClusterMember', of: { DBClusterArn: 'string', IsWriter: 'boolean' } },
};

/** Per operation: the `<{Op}Result>` members decoded. */
export const LEAN_RESULTS: Readonly<Record<string, Shape>> = {
  DescribeDBInstances: { DBInstances: { list: 'DBInstance', of: DB_INSTANCE }, Marker: 'string' },
  DescribeDBClusters: { DBClusters: { list: 'DBCluster', of: DB_CLUSTER }, Marker: 'string' },
  DescribeDBInstanceAutomatedBackups: {
    DBInstanceAutomatedBackups: { list: 'DBInstanceAutomatedBackup', of: AUTOMATED_BACKUP },
    Marker: 'string',
  },
  DescribeDBSnapshots: { DBSnapshots: { list: 'DBSnapshot', of: DB_SNAPSHOT }, Marker: 'string' },
  DescribeDBClusterSnapshots: {
    DBClusterSnapshots: { list: 'DBClusterSnapshot', of: DB_CLUSTER_SNAPSHOT },
    Marker: 'string',
  },
  DescribeGlobalClusters: {
    GlobalClusters: { list: 'GlobalClusterMember', of: GLOBAL_CLUSTER },
    Marker: 'string',
  },
  CreateDBSnapshot: { DBSnapshot: { struct: DB_SNAPSHOT } },
  CreateDBClusterSnapshot: { DBClusterSnapshot: { struct: DB_CLUSTER_SNAPSHOT } },
};

/**
 * The `<{operation}Result>` members of a successful answer that `shape` names, decoded as the SDK
 * decodes them (strings, integers, booleans, `Date`s, lists as arrays).
 */
export function decodeRdsListResult(operation: string, xml: string, shape: Shape): Record<string, unknown> {
  return decodeXmlResult(xml, [`${operation}Response`, `${operation}Result`], shape);
}

/** The plugin for one command of {@link LEAN_RESULTS}. */
export function leanRdsListPlugin(operation: string, collect: StreamCollector): Pluggable<object, object> {
  const shape = LEAN_RESULTS[operation];
  if (!shape) throw new XmlWireError(`no lean decoding for RDS ${operation}`);
  return leanXmlPlugin((xml) => decodeRdsListResult(operation, xml, shape), collect);
}
