/**
 * The RDS adapter: lists one account x region with three paged calls and turns the answers into
 * neutral `PitrFact`s. It never decides pass or fail.
 *
 * - DescribeDBInstances, DescribeDBClusters and DescribeDBInstanceAutomatedBackups run at the same
 *   time (the benchmark's lower bound assumes the three page sequences overlap), each with
 *   MaxRecords 100 (the API maximum) through the SDK paginators. No per-resource call is made: the
 *   automated-backup listing already holds every instance's restore window.
 * - Only PostgreSQL is a candidate (`postgres`, `aurora-postgresql`; DescribeDBClusters also returns
 *   Multi-AZ DB clusters with engine `postgres`, judged at the cluster like Aurora). A database of
 *   another engine the policy selects is never judged but named ({@link SelectedOtherEngine}): a
 *   policy selecting by tag lists every engine to see their tags, and a name the engine-filtered
 *   listings of every Region did not answer to is looked up by itself ({@link lookUpRdsNames}).
 * - Read replicas are never judged as standalone databases (their source is), and cluster members
 *   (`DBClusterIdentifier` set) are judged only at their cluster. An Aurora global database
 *   secondary that the policy selects is collected with what names its primary
 *   ({@link globalSecondaryOf}): the PITR checks judge it through that primary.
 * - A listed database whose selection the answer does not show (no `TagList` when the policy selects
 *   by tag, no `Engine` for one that may be selected) fails the listing, like an answer without its
 *   list element: read as untagged or of another engine, it would drop out of a scope read in full.
 * - A database (or global database, copy, replicated backup) the pages list twice is read once when
 *   both entries say the same, and fails its listing when they differ ({@link CONTRADICTORY_ANSWER}):
 *   judged by either entry, it could pass on a value the same answer denies.
 * - A global database member whose role DescribeDBClusters does not show ({@link globalRoleUnknown})
 *   has it read from DescribeGlobalClusters: one more paged call in that region, only then
 *   ({@link readGlobalRoles}).
 */

import { isDeepStrictEqual } from 'node:util';
import {
  type DBCluster,
  type DBInstance,
  type DBInstanceAutomatedBackup,
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  type GlobalCluster,
  paginateDescribeDBClusters,
  paginateDescribeDBInstanceAutomatedBackups,
  paginateDescribeDBInstances,
  paginateDescribeGlobalClusters,
  RDSClient,
  type RDSPaginationConfiguration,
  type Tag,
} from '@aws-sdk/client-rds';
import { mapWithConcurrency } from '../core/audit.ts';
import { isAwsRegionName } from '../core/aws-region.ts';
import {
  CloudApiError,
  describeError,
  errorCode,
  isPermissionRefusal,
  refusalRemedy,
} from '../core/errors.ts';
import type {
  CollectedFacts,
  CopyCluster,
  DailyBackupWindow,
  GlobalSecondary,
  PitrFact,
  ReplicatedBackup,
  RestoreWindow,
  SelectedOtherEngine,
  TaggedStandIn,
} from '../core/facts.ts';
import { pageTokens } from '../core/paging.ts';
import type { Policy } from '../core/policy.ts';
import { isTarget, locateIdentifier, selectedBy, targetTagOf } from '../core/targets.ts';
import { MINUTE_MS } from '../core/time.ts';
import type { AwsCollector, AwsScopeReader } from './collectors.ts';
import type { SdkCommandClass } from './lean-wire.ts';
import { describeAwsFailure, endpointOf } from './protocol.ts';
import {
  leanListPages,
  leanRdsListPlugin,
  RDS_FILTER_VALUES_PER_CALL,
  type RdsListInput,
  type StreamCollector,
} from './rds-wire.ts';

/** The account and region one collection covers; every fact's resource reference carries them. */
export interface RdsScope {
  readonly account: string;
  readonly region: string;
}

/** RDS DB instance engines that are PostgreSQL (Aurora members are judged at their cluster). */
export const POSTGRES_INSTANCE_ENGINES: ReadonlySet<string> = new Set(['postgres']);
/** DB cluster engines that are PostgreSQL: Aurora, and Multi-AZ DB clusters (`postgres`). */
export const POSTGRES_CLUSTER_ENGINES: ReadonlySet<string> = new Set(['aurora-postgresql', 'postgres']);

/** The code of a listing whose 200 answer left out its list element ({@link readAllPages}). */
export const INCOMPLETE_ANSWER = 'IncompleteAnswer';
/**
 * The code of an answer that says two things of one thing: a database listed twice with different
 * values ({@link readAllPages}), or one instance's automated backup with two restore windows
 * ({@link contradictoryAutomatedBackups}).
 */
export const CONTRADICTORY_ANSWER = 'ContradictoryAnswer';

/** RDS allows at most 100 records per Describe* page (RDS API reference, `MaxRecords`). */
const PAGE_SIZE = 100;
/** Instances keep 0-35 days (0 turns backups off); clusters 1-35 (RDS API reference). */
const INSTANCE_RETENTION_RANGE = { min: 0, max: 35 } as const;
const CLUSTER_RETENTION_RANGE = { min: 1, max: 35 } as const;

/** Tags as a key-value record (tags without a key are dropped; a missing value reads as ''). */
export function tagRecord(tags: readonly Tag[] | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) record[tag.Key] = tag.Value ?? '';
  return record;
}

/**
 * The region of an ARN (`arn:aws:rds:<region>:<account>:…`), or undefined when it is not one or its
 * Region field is not spelled as a Region (core/aws-region.ts, the rule the policy and `--region`
 * use): a field such as `bogus` taken for a Region would be judged as one, its destination then
 * "not read", when the ARN names no Region the audit could read (`unplacedBackupReplications`).
 */
export function regionOfArn(arn: string): string | undefined {
  const parts = arn.split(':');
  const region = parts.length >= 6 && parts[0] === 'arn' ? parts[3] : undefined;
  return region !== undefined && isAwsRegionName(region) ? region : undefined;
}

/**
 * Whether a name an answer lists is meant as an ARN (an RDS identifier holds no `:`) yet names no
 * Region ({@link regionOfArn}): it says neither that the database is in this Region nor in which
 * other one, so nothing that depends on where it is may be judged from it.
 */
export function isUnplacedArn(listed: string): boolean {
  return listed.includes(':') && regionOfArn(listed) === undefined;
}

/**
 * The names a read replica answers to, as its source lists it: DescribeDBInstances names a
 * same-Region replica by its identifier and a cross-Region one by its ARN
 * (`ReadReplicaDBInstanceIdentifiers`; cluster replicas likewise in `ReadReplicaIdentifiers`), while a
 * policy may name either by its plain identifier: an ARN also gives its identifier.
 */
export function replicaNames(listed: string): string[] {
  const identifier = /^arn:aws[a-z-]*:rds:[^:]*:\d*:(?:db|cluster):(.+)$/.exec(listed)?.[1];
  return identifier ? [listed, identifier] : [listed];
}

/** A PostgreSQL DB instance that is judged on its own: not a read replica, not a cluster member. */
export function isStandaloneInstance(instance: DBInstance): boolean {
  return (
    POSTGRES_INSTANCE_ENGINES.has(instance.Engine ?? '') &&
    !instance.DBClusterIdentifier &&
    !instance.ReadReplicaSourceDBInstanceIdentifier &&
    !instance.ReadReplicaSourceDBClusterIdentifier
  );
}

/**
 * A PostgreSQL DB cluster judged on its own. A cluster with `ReplicationSourceIdentifier` is a
 * cross-region read replica of another cluster, whose source is judged instead.
 */
export function isStandaloneCluster(cluster: DBCluster): boolean {
  return POSTGRES_CLUSTER_ENGINES.has(cluster.Engine ?? '') && !cluster.ReplicationSourceIdentifier;
}

/**
 * Whether a cluster is a secondary of an Aurora global database, and which primary DescribeDBClusters
 * names for it; undefined for a standalone cluster and for a global database's primary.
 *
 * What the sources say, and what is decided from it:
 * - A global database has one primary cluster, which takes every write, and up to five (now ten)
 *   read-only secondary clusters in other Regions, made up entirely of reader instances and kept in
 *   sync through the storage layer (Aurora User Guide, "Using Amazon Aurora global databases" and
 *   "Configuration requirements of an Amazon Aurora global database"). Data is imported and
 *   restored to a point in time at the primary ("Importing data into an Aurora global database":
 *   "Use point-in-time restore on the primary cluster"; "you always import the data to the cluster
 *   that you designate as the primary cluster"). Neither those pages nor the backup pages describe a
 *   point-in-time window of a secondary, and a new secondary keeps the Aurora default retention of one day
 *   ("Overview of backing up and restoring an Aurora DB cluster"), so judging a secondary's own
 *   retention and restorable times would fail healthy global databases and prove nothing when they
 *   pass: the PITR checks judge the global database through its primary and name it
 *   (functions/checks/pitr/wording.ts, `judgedThroughPrimary`).
 * - DescribeDBClusters sends `GlobalClusterIdentifier` on every member (RDS API, DBCluster), and on
 *   a secondary `ReplicationSourceIdentifier` with the primary cluster's ARN: Terraform reads it back
 *   after creating a secondary, which is why its aws_rds_cluster documentation tells global database
 *   users to ignore changes to replication_source_identifier (hashicorp/terraform-provider-aws
 *   #14490, #40921; #43214 for Aurora PostgreSQL). `EngineMode` tells nothing here: it is `global`
 *   only for Aurora MySQL 5.6.10a, and `provisioned` for Aurora PostgreSQL global databases.
 * - A member without `ReplicationSourceIdentifier` whose instances all report `IsClusterWriter`
 *   false has no writer now, which a secondary lacks but so does a primary caught between losing its
 *   writer instance and promoting a reader (a failover): it is no secondary here either
 *   ({@link globalRoleUnknown}), and DescribeGlobalClusters confirms its role. Taken for a secondary,
 *   a lone primary would pass pitr.cross-region through a primary "in another Region" that is itself.
 *   An instance sent without `IsClusterWriter` proves no writer either: with no instance sent as the
 *   writer, the role is unknown the same way.
 * - A member without `ReplicationSourceIdentifier` and without any instance says nothing of its role:
 *   a headless secondary has no instance ("A headless secondary Aurora DB cluster is one without a
 *   DB instance", Aurora User Guide, aurora-global-database-attach.console.headless), and neither
 *   has a primary while it is being created or after its instances were deleted. It is no secondary
 *   here ({@link globalRoleUnknown} says why its role is unknown): only DescribeGlobalClusters'
 *   `GlobalClusterMembers[].IsWriter` tells, which the audit then reads ({@link globalRoleOf}).
 */
export function globalSecondaryOf(cluster: DBCluster): GlobalSecondary | undefined {
  if (!cluster.GlobalClusterIdentifier) return undefined;
  const source = cluster.ReplicationSourceIdentifier;
  return source ? secondaryOfPrimary(source, 'ReplicationSourceIdentifier') : undefined;
}

/** A secondary whose primary cluster has ARN `primaryArn` (unnamed when undefined). */
function secondaryOfPrimary(primaryArn: string | undefined, evidence: string): GlobalSecondary {
  return {
    primaryArn,
    primaryId: primaryArn === undefined ? undefined : (replicaNames(primaryArn)[1] ?? primaryArn),
    primaryRegion: primaryArn === undefined ? undefined : regionOfArn(primaryArn),
    evidence,
  };
}

/**
 * What DescribeGlobalClusters says of the global database members: by member `DBClusterArn`, its
 * `IsWriter` and the ARN of its global database's writer; or why it could not be read.
 */
export type GlobalRoles =
  | { readonly read: true; readonly members: ReadonlyMap<string, GlobalMemberRole> }
  | {
      readonly read: false;
      readonly reason: string;
      readonly accessDenied: boolean;
      /** What fixes a refusal no grant fixes (core/errors.ts refusalRemedy). */
      readonly remedy?: string;
    };

/** One member of a global database as DescribeGlobalClusters lists it. */
export interface GlobalMemberRole {
  readonly isWriter: boolean | undefined;
  /** `DBClusterArn` of the member with `IsWriter` true, if one is listed. */
  readonly writerArn: string | undefined;
}

/**
 * The role of a global database member: the secondary it is, or why its role is unknown; neither
 * for a primary. DescribeDBClusters decides when it tells ({@link globalSecondaryOf},
 * {@link globalRoleUnknown}); otherwise `roles`, DescribeGlobalClusters'
 * `GlobalClusterMembers[].IsWriter` ("Specifies whether the Aurora DB cluster is the primary
 * cluster (that is, has read/write capability) for the global cluster with which it is
 * associated", RDS API reference, GlobalClusterMember): a writer is the primary, judged on its own
 * settings; a non-writer is a secondary, judged through the writer. Without `roles`, when the call
 * failed, or when it does not list the cluster, the role stays unknown and the reason says so.
 */
export function globalRoleOf(
  cluster: DBCluster,
  roles?: GlobalRoles,
): {
  readonly globalSecondary?: GlobalSecondary;
  readonly globalRoleUnknown?: string;
  readonly globalRolePermission?: string;
  readonly globalRoleRemedy?: string;
} {
  const unknown = globalRoleUnknown(cluster);
  if (unknown === undefined) {
    const globalSecondary = globalSecondaryOf(cluster);
    return globalSecondary ? { globalSecondary } : {};
  }
  if (roles === undefined) return { globalRoleUnknown: unknown };
  if (!roles.read) {
    return {
      globalRoleUnknown: `${unknown}; DescribeGlobalClusters failed: ${roles.reason}`,
      ...(roles.accessDenied ? { globalRolePermission: 'rds:DescribeGlobalClusters' } : {}),
      ...(roles.remedy !== undefined ? { globalRoleRemedy: roles.remedy } : {}),
    };
  }
  const member = cluster.DBClusterArn ? roles.members.get(cluster.DBClusterArn) : undefined;
  if (member?.isWriter === undefined) {
    return {
      globalRoleUnknown: `${unknown}; DescribeGlobalClusters did not list it with IsWriter among the members of ${cluster.GlobalClusterIdentifier}`,
    };
  }
  if (member.isWriter) return {};
  return {
    globalSecondary: secondaryOfPrimary(member.writerArn, 'IsWriter false in DescribeGlobalClusters'),
  };
}

/**
 * Why DescribeDBClusters does not tell whether a global database member is the primary or a
 * secondary ({@link globalSecondaryOf}): it names no source and lists no DB instance, or no instance
 * with `IsClusterWriter` true (only readers, or instances whose `IsClusterWriter` was not sent: a
 * writer not sent is not proven, and taken for one a secondary would be judged as a primary).
 * Undefined for a cluster in no global database and for a member whose role the answer shows (a
 * source, or an instance sent with `IsClusterWriter` true).
 */
export function globalRoleUnknown(cluster: DBCluster): string | undefined {
  if (!cluster.GlobalClusterIdentifier || cluster.ReplicationSourceIdentifier) return undefined;
  const members = cluster.DBClusterMembers;
  if (members !== undefined && members.length > 0) {
    if (members.some((member) => member.IsClusterWriter === true)) return undefined;
    const unsent = members.filter((member) => member.IsClusterWriter === undefined).length;
    if (unsent > 0) {
      return `DescribeDBClusters sent no ReplicationSourceIdentifier and no IsClusterWriter true among its ${members.length} DBClusterMembers (${unsent} of them sent without IsClusterWriter): whether it holds the writer instance a primary has was not sent`;
    }
    return `DescribeDBClusters sent no ReplicationSourceIdentifier and IsClusterWriter false on all ${members.length} of its DBClusterMembers: a secondary, or a primary between losing its writer instance and promoting a reader (a failover)`;
  }
  return `DescribeDBClusters sent no ReplicationSourceIdentifier and ${members === undefined ? 'no DBClusterMembers' : 'an empty DBClusterMembers'}: a headless secondary, or a primary being created or whose instances were all deleted`;
}

/** An Aurora global database secondary ({@link globalSecondaryOf}) of a PostgreSQL engine. */
export function isGlobalSecondary(cluster: DBCluster): boolean {
  return POSTGRES_CLUSTER_ENGINES.has(cluster.Engine ?? '') && globalSecondaryOf(cluster) !== undefined;
}

/**
 * Whether RDS names an engine other than PostgreSQL (`mysql`, `aurora-mysql`, `sqlserver-ee`, and
 * the Neptune and DocumentDB engines the same Describe calls also list): sent and none of
 * {@link POSTGRES_INSTANCE_ENGINES} or {@link POSTGRES_CLUSTER_ENGINES}. An engine not sent is no
 * proof of another engine.
 */
export function isOtherEngine(engine: string | undefined): engine is string {
  return (
    engine !== undefined &&
    engine !== '' &&
    !POSTGRES_INSTANCE_ENGINES.has(engine) &&
    !POSTGRES_CLUSTER_ENGINES.has(engine)
  );
}

/**
 * A listed instance or cluster of another engine ({@link isOtherEngine}) that the policy's names or
 * tags select, as a {@link SelectedOtherEngine}; undefined when it is PostgreSQL or not selected.
 */
function selectedOtherEngine(
  id: string | undefined,
  arn: string | undefined,
  engine: string | undefined,
  tags: readonly Tag[] | undefined,
  targets: Policy['targets'],
): SelectedOtherEngine | undefined {
  if (!isOtherEngine(engine)) return undefined;
  const names = [id, arn].filter((name): name is string => Boolean(name));
  const by = selectedBy({ identifiers: names, tags: tagRecord(tags) }, targets);
  return by ? { id: id ?? arn ?? '', names, selectedBy: by, engine } : undefined;
}

/**
 * The selected databases of another engine among `instances` and `clusters`
 * ({@link selectedOtherEngine}); a member of a cluster listed here is left out, its cluster says it.
 */
function selectedOtherEngines(
  instances: readonly DBInstance[],
  clusters: readonly DBCluster[],
  targets: Policy['targets'],
): SelectedOtherEngine[] {
  const ofClusters = clusters.flatMap((cluster) => {
    const found = selectedOtherEngine(
      cluster.DBClusterIdentifier,
      cluster.DBClusterArn,
      cluster.Engine,
      cluster.TagList,
      targets,
    );
    return found ? [found] : [];
  });
  const reported = new Set(ofClusters.map(({ id }) => id.toLowerCase()));
  const ofInstances = instances.flatMap((instance) => {
    if (reported.has((instance.DBClusterIdentifier ?? '').toLowerCase())) return [];
    const found = selectedOtherEngine(
      instance.DBInstanceIdentifier,
      instance.DBInstanceArn,
      instance.Engine,
      instance.TagList,
      targets,
    );
    return found ? [found] : [];
  });
  return [...ofInstances, ...ofClusters];
}

/**
 * Each instance's own automated backup in this region, by `DbiResourceId`. The listing also holds
 * backups of deleted instances (`retained`) and, in a destination region, replicas of other
 * regions' backups (whose `Region` is the source region); neither describes a live local instance.
 * `active` wins over `creating` (waiting for its first snapshot).
 */
export function indexAutomatedBackups(
  backups: readonly DBInstanceAutomatedBackup[],
  region: string,
): Map<string, DBInstanceAutomatedBackup> {
  const index = new Map<string, DBInstanceAutomatedBackup>();
  for (const backup of backups) {
    if (!backup.DbiResourceId) continue;
    if (backup.Region !== undefined && backup.Region !== region) continue;
    if (backup.Status === 'active') index.set(backup.DbiResourceId, backup);
    else if (backup.Status === 'creating' && !index.has(backup.DbiResourceId))
      index.set(backup.DbiResourceId, backup);
  }
  return index;
}

/**
 * Why the listing does not show an instance's own automated backup, by `DbiResourceId`: this Region's
 * listing names it `active` more than once with different restore windows. An instance has one
 * automated backup in its Region (`DbiResourceId` is "the Amazon Web Services Region-unique, immutable
 * identifier for the DB instance", RDS API reference, DBInstance), so such an answer contradicts
 * itself, and indexing would keep whichever came last ({@link indexAutomatedBackups}): a window the
 * other entry says is days long could pass. The same entry listed twice alike decides nothing.
 */
export function contradictoryAutomatedBackups(
  backups: readonly DBInstanceAutomatedBackup[],
  region: string,
): Map<string, AutomatedBackupListingFailure> {
  // Each resource's first active entry; only a resource listed again is counted, and the windows
  // differ when any later entry's differs from the first one's.
  const first = new Map<string, DBInstanceAutomatedBackup>();
  const repeated = new Map<string, { count: number; differs: boolean }>();
  for (const backup of backups) {
    const resourceId = backup.DbiResourceId;
    if (!resourceId || backup.Status !== 'active') continue;
    if (backup.Region !== undefined && backup.Region !== region) continue;
    const earlier = first.get(resourceId);
    if (earlier === undefined) {
      first.set(resourceId, backup);
      continue;
    }
    const entry = repeated.get(resourceId) ?? { count: 1, differs: false };
    entry.count += 1;
    entry.differs ||= !sameRestoreWindow(earlier.RestoreWindow, backup.RestoreWindow);
    repeated.set(resourceId, entry);
  }
  const contradicted = new Map<string, AutomatedBackupListingFailure>();
  for (const [resourceId, { count, differs }] of repeated) {
    if (!differs) continue;
    contradicted.set(resourceId, {
      code: CONTRADICTORY_ANSWER,
      message: `DescribeDBInstanceAutomatedBackups listed ${count} active automated backups for DbiResourceId ${resourceId} in ${region} with different restore windows, while an instance has one automated backup in its Region`,
    });
  }
  return contradicted;
}

/** Whether two automated backups' restore windows are the same (both absent, or equal ends). */
function sameRestoreWindow(
  a: DBInstanceAutomatedBackup['RestoreWindow'],
  b: DBInstanceAutomatedBackup['RestoreWindow'],
): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.EarliestTime?.getTime() === b.EarliestTime?.getTime() &&
    a.LatestTime?.getTime() === b.LatestTime?.getTime()
  );
}

/**
 * The instance's real restore window: `RestoreWindow` of its own automated backup, with
 * `LatestRestorableTime` of the instance standing in for a missing `LatestTime`.
 */
export function instanceRestoreWindow(
  instance: DBInstance,
  automatedBackup: DBInstanceAutomatedBackup | undefined,
  region: string,
  listingFailure?: AutomatedBackupListingFailure,
): RestoreWindow {
  const retention = instance.BackupRetentionPeriod;
  if (listingFailure && retention !== 0) {
    return {
      known: false,
      reason: `${listingFailure.message} (${listingFailure.code})`,
      accessDenied: isPermissionRefusal(listingFailure, listingFailure.code),
      ...refusalRemedy(listingFailure, listingFailure.code),
    };
  }
  if (
    automatedBackup &&
    automatedBackup.Status !== 'creating' &&
    automatedBackup.RestoreWindow === undefined
  ) {
    // Absent is not empty: the answer left the window out, so nothing is known about it.
    return {
      known: false,
      reason: `DescribeDBInstanceAutomatedBackups answered for DbiResourceId ${automatedBackup.DbiResourceId} without RestoreWindow`,
    };
  }
  if (
    automatedBackup?.Status === 'active' &&
    automatedBackup.RestoreWindow?.EarliestTime === undefined &&
    automatedBackup.RestoreWindow?.LatestTime === undefined &&
    instance.LatestRestorableTime === undefined
  ) {
    // An active backup keeps restore points; a window sent without either time is a value the API
    // did not send, not proof that nothing can be restored.
    return {
      known: false,
      reason: `DescribeDBInstanceAutomatedBackups answered for DbiResourceId ${automatedBackup.DbiResourceId} with a RestoreWindow without EarliestTime and LatestTime, and DescribeDBInstances sent no LatestRestorableTime`,
    };
  }
  if (automatedBackup) {
    const latest = automatedBackup.RestoreWindow?.LatestTime ?? instance.LatestRestorableTime;
    if (automatedBackup.Status === 'creating') {
      return {
        known: true,
        earliest: undefined,
        latest,
        source: 'DescribeDBInstanceAutomatedBackups (Status creating, first snapshot not taken yet)',
        firstBackupPending: true,
      };
    }
    return {
      known: true,
      earliest: automatedBackup.RestoreWindow?.EarliestTime,
      latest,
      source: 'DescribeDBInstanceAutomatedBackups RestoreWindow',
    };
  }
  if (retention === 0) {
    return { known: true, earliest: undefined, latest: undefined, source: 'BackupRetentionPeriod=0' };
  }
  return {
    known: false,
    reason: `DescribeDBInstanceAutomatedBackups listed no active automated backup for DbiResourceId ${instance.DbiResourceId ?? '(none)'} in ${region}`,
  };
}

/**
 * A retention change RDS accepted but has not applied (`PendingModifiedValues.BackupRetentionPeriod`
 * of DescribeDBInstances / DescribeDBClusters), as a fact field; nothing when none is pending or it
 * equals the retention in force. A value outside the range the database's retention takes is no
 * retention RDS will apply: it is named as sent (`pendingRetentionImpossible`), never compared.
 */
function pendingRetention(
  retention: number | undefined,
  pending: number | undefined,
  range: { readonly min: number; readonly max: number },
  api: 'DescribeDBInstances' | 'DescribeDBClusters',
): Pick<PitrFact, 'pendingRetentionDays' | 'pendingRetentionImpossible'> {
  const what = api === 'DescribeDBInstances' ? 'DB instance' : 'DB cluster';
  if (pending === undefined || pending === retention) return {};
  if (pending < range.min || pending > range.max) {
    return {
      pendingRetentionImpossible: `${api} sent PendingModifiedValues.BackupRetentionPeriod ${pending}, outside the ${range.min}-${range.max} days a ${what} keeps`,
    };
  }
  return { pendingRetentionDays: pending };
}

/** `hh24:mi-hh24:mi`, the form `PreferredBackupWindow` takes (RDS API reference, ModifyDBInstance). */
const BACKUP_WINDOW_FORM = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * The daily window an instance or a Multi-AZ DB cluster starts its automated snapshot in
 * (`PreferredBackupWindow` of the `api` answer, in UTC),
 * with its length: a window whose end is before its start crosses midnight (`23:00-01:00` is two
 * hours). A window not sent, not in that form or of no length is not known, and says why: pitr.window
 * then states the length it assumed instead of reading a value the API did not send.
 */
export function dailyBackupWindowOf(
  database: Pick<DBInstance | DBCluster, 'PreferredBackupWindow'>,
  api = 'DescribeDBInstances',
): DailyBackupWindow {
  const window = database.PreferredBackupWindow;
  if (window === undefined) return { known: false, reason: `${api} sent no PreferredBackupWindow` };
  const parts = BACKUP_WINDOW_FORM.exec(window);
  const start = parts ? Number(parts[1]) * 60 + Number(parts[2]) : undefined;
  const end = parts ? Number(parts[3]) * 60 + Number(parts[4]) : undefined;
  if (start === undefined || end === undefined || start === end) {
    return {
      known: false,
      reason: `${api} sent PreferredBackupWindow "${window}", which is not hh24:mi-hh24:mi`,
    };
  }
  const minutes = end > start ? end - start : end + 24 * 60 - start;
  return { known: true, window, lengthMs: minutes * MINUTE_MS };
}

/** Why the automated-backup listing of a scope could not be read (it fails only the windows). */
export interface AutomatedBackupListingFailure {
  readonly code: string;
  readonly message: string;
}

/** The fact for one standalone RDS DB instance. */
export function rdsInstanceToFact(
  instance: DBInstance,
  automatedBackup: DBInstanceAutomatedBackup | undefined,
  scope: RdsScope,
  listingFailure?: AutomatedBackupListingFailure,
  replicatedBackups?: readonly ReplicatedBackup[],
  standInGroups: readonly StandInGroup[] = instanceStandInGroups(instance),
): PitrFact {
  const sent = instance.BackupRetentionPeriod;
  // A DB instance keeps automated backups 0-35 days, 0 turning them off ("Must be a value from 0 to
  // 35", RDS API reference, CreateDBInstance and ModifyDBInstance BackupRetentionPeriod): a value
  // outside that is no setting the instance has, so it is neither a retention to judge nor "backups
  // on", as for a DB cluster (auroraClusterToFact).
  const impossible =
    sent !== undefined && (sent < INSTANCE_RETENTION_RANGE.min || sent > INSTANCE_RETENTION_RANGE.max);
  const retention = impossible ? undefined : sent;
  const enabled = retention === undefined ? undefined : retention > 0;
  const replications = instance.DBInstanceAutomatedBackupsReplications ?? [];
  const replicationArns = replications
    .map((replication) => replication.DBInstanceAutomatedBackupsArn)
    .filter((arn): arn is string => arn !== undefined && arn !== '');
  // A replication sent without its ARN (`<DBInstanceAutomatedBackupsReplication/>`) says a copy was
  // set up, not where: counted apart, never dropped, or the instance would read as replicating nowhere.
  const withoutArn = replications.length - replicationArns.length;
  const replicatedTo = replicationArns.flatMap((arn) => regionOfArn(arn) ?? []);
  // An ARN naming no Region is kept apart, as sent: taken for a Region name, its destination would
  // be "not read" when it could not even be named.
  const unplaced = replicationArns.filter((arn) => regionOfArn(arn) === undefined);
  return {
    resource: {
      provider: 'aws',
      account: scope.account,
      region: scope.region,
      type: 'AwsRdsDbInstance',
      id: instance.DBInstanceIdentifier ?? '',
      ...(instance.DBInstanceArn ? { arn: instance.DBInstanceArn } : {}),
      // "The Amazon Web Services Region-unique, immutable identifier for the DB instance" (DBInstance,
      // RDS API reference): readiness counts only snapshots that name it (functions/jobs/readiness.ts).
      ...(instance.DbiResourceId ? { resourceId: instance.DbiResourceId } : {}),
    },
    kind: 'rds-instance',
    engine: instance.Engine ?? 'postgres',
    // Not sent, or sent empty (`<DBInstanceStatus/>`): no status was reported.
    status: instance.DBInstanceStatus || 'unknown',
    retentionDays: retention,
    retentionSource: 'BackupRetentionPeriod',
    ...pendingRetention(
      retention,
      instance.PendingModifiedValues?.BackupRetentionPeriod,
      INSTANCE_RETENTION_RANGE,
      'DescribeDBInstances',
    ),
    retentionRange: INSTANCE_RETENTION_RANGE,
    ...(impossible
      ? {
          retentionImpossible: `DescribeDBInstances sent BackupRetentionPeriod ${sent}, outside the ${INSTANCE_RETENTION_RANGE.min}-${INSTANCE_RETENTION_RANGE.max} days a DB instance keeps (0 turns its automated backups off)`,
        }
      : {}),
    automatedBackupsEnabled: enabled,
    pointInTimeRecoveryEnabled: enabled,
    restoreWindow: instanceRestoreWindow(instance, automatedBackup, scope.region, listingFailure),
    latestRestorableTime: instance.LatestRestorableTime,
    dailyBackupWindow: dailyBackupWindowOf(instance),
    deletionProtection: instance.DeletionProtection,
    awsBackupRecoveryPointArn: instance.AwsBackupRecoveryPointArn,
    crossRegionBackupTargets: [...new Set(replicatedTo)],
    ...(unplaced.length > 0 ? { unplacedBackupReplications: [...new Set(unplaced)] } : {}),
    ...(withoutArn > 0 ? { replicationsWithoutArn: withoutArn } : {}),
    ...(replicatedBackups ? { replicatedBackups } : {}),
    createdAt: instance.InstanceCreateTime,
    ...standsFor(standInGroups, instance.DBInstanceArn),
  };
}

/**
 * Databases a listed instance or cluster names as standing in for it, as its listing names them:
 * `member` (a DB instance of a cluster, whose snapshots are the cluster's) or `replica` (a read
 * replica, which its source's backups restore). The audit's facts ({@link standsFor}) and the
 * snapshot action's answer to a request naming one (functions/actions/snapshot/aws.ts) read them.
 */
export interface StandInGroup {
  readonly listed: readonly (string | undefined)[] | undefined;
  readonly what: string;
  readonly relation: 'member' | 'replica';
  /** The ARN resource type of what the group lists: a DB instance (`db`) or a DB cluster (`cluster`). */
  readonly type: 'db' | 'cluster';
}

/** The part of an RDS ARN before its resource type: `arn:<partition>:rds:<region>:<account>:`. */
const RDS_ARN_PREFIX = /^(arn:aws[a-z-]*:rds:[^:]*:\d*:)(?:db|cluster):/;

/**
 * Every name one database a host's listing names as standing in for it answers to: a listed ARN
 * with its identifier ({@link replicaNames}); a listed identifier (a member, a same-Region replica)
 * with its ARN, made from the host's ARN (the same account and Region) and the group's `type`, since
 * a policy may name any database by identifier or by ARN.
 */
export function standInNames(
  listed: string,
  type: StandInGroup['type'],
  hostArn: string | undefined,
): string[] {
  const names = replicaNames(listed);
  const prefix = names.length === 1 && hostArn ? RDS_ARN_PREFIX.exec(hostArn)?.[1] : undefined;
  return prefix ? [listed, `${prefix}${type}:${listed}`] : names;
}

/** The databases `groups` list, each with every name it answers to ({@link standInNames}). */
export function standInsListed(
  groups: readonly StandInGroup[],
  hostArn: string | undefined,
): { readonly names: string[]; readonly what: string; readonly relation: StandInGroup['relation'] }[] {
  return groups.flatMap(({ listed, what, relation, type }) =>
    (listed ?? []).flatMap((name) =>
      name ? [{ names: standInNames(name, type, hostArn), what, relation }] : [],
    ),
  );
}

/**
 * The databases a DB instance's listing names as standing in for it: its read replica instances and
 * its Aurora read replica cluster (`ReadReplicaDBClusterIdentifiers`: "The identifiers of Aurora DB
 * clusters to which the RDS DB instance is replicated as a read replica", same-Region only, RDS API
 * reference, DBInstance), the way RDS for PostgreSQL migrates to Aurora.
 */
export function instanceStandInGroups(instance: DBInstance): StandInGroup[] {
  return [
    {
      listed: instance.ReadReplicaDBInstanceIdentifiers,
      what: 'RDS read replica',
      relation: 'replica',
      type: 'db',
    },
    {
      listed: instance.ReadReplicaDBClusterIdentifiers,
      what: 'read replica DB cluster',
      relation: 'replica',
      type: 'cluster',
    },
  ];
}

/**
 * The databases a cluster's listing names as standing in for it: its members and its read replica
 * clusters (engine `postgres` is a Multi-AZ DB cluster).
 */
export function clusterStandInGroups(cluster: DBCluster): StandInGroup[] {
  const multiAz = cluster.Engine === 'postgres';
  return [
    {
      listed: memberIds(cluster),
      what: multiAz ? 'Multi-AZ DB cluster member' : 'Aurora member',
      relation: 'member',
      type: 'db',
    },
    {
      listed: cluster.ReadReplicaIdentifiers,
      what: multiAz ? 'Multi-AZ DB cluster read replica' : 'Aurora cross-Region replica cluster',
      relation: 'replica',
      // A Multi-AZ DB cluster's read replicas are DB instances; an Aurora cluster's, clusters.
      type: multiAz ? 'db' : 'cluster',
    },
  ];
}

/**
 * The {@link StandIn}s of the databases listed ({@link standInsListed}), as a fact field; nothing
 * when there are none.
 */
function standsFor(
  groups: readonly StandInGroup[],
  hostArn: string | undefined,
): Pick<PitrFact, 'standsFor'> {
  const standIns = standInsListed(groups, hostArn).map(({ names, what }) => ({ names, what }));
  return standIns.length > 0 ? { standsFor: standIns } : {};
}

/** An Aurora cluster's member instance identifiers (judged at the cluster). */
export function memberIds(cluster: DBCluster): string[] {
  return (cluster.DBClusterMembers ?? []).flatMap((member) =>
    member.DBInstanceIdentifier ? [member.DBInstanceIdentifier] : [],
  );
}

/**
 * The cluster's window from its own `EarliestRestorableTime` and `LatestRestorableTime`. The RDS
 * model makes both optional and documents no state that leaves them out; Aurora cannot turn
 * automated backups off ("You can't disable automated backups on Aurora", Aurora User Guide,
 * "Overview of backing up and restoring an Aurora DB cluster"), so a missing time never proves an
 * empty window, whatever the `Status` (a cluster still `creating` has taken no backup yet, but it
 * holds no data to lose either: a `creating` cluster without either time is a new database with no
 * restore point yet, which the checks report as new, NOT_AVAILABLE, like an instance whose automated
 * backup is still `creating`). Otherwise, without the earliest time the window is unknown (pitr.window: NOT_AVAILABLE naming the field); the latest time alone still serves
 * pitr.lag through `latestRestorableTime`.
 */
function clusterRestoreWindow(cluster: DBCluster): RestoreWindow {
  const earliest = cluster.EarliestRestorableTime;
  const latest = cluster.LatestRestorableTime;
  if (earliest === undefined && latest === undefined && cluster.Status === 'creating') {
    // Being created: the cluster has taken no backup yet, which its status says; the checks judge
    // that as a new database, like an instance whose automated backup is still `creating`.
    return {
      known: true,
      earliest: undefined,
      latest: undefined,
      source: 'DescribeDBClusters (Status creating, first backup not taken yet)',
    };
  }
  if (earliest === undefined) {
    const missing =
      latest === undefined ? 'EarliestRestorableTime and LatestRestorableTime' : 'EarliestRestorableTime';
    return {
      known: false,
      reason: `DescribeDBClusters answered for cluster ${cluster.DBClusterIdentifier ?? '(none)'} (Status ${cluster.Status ?? 'not sent'}) without ${missing}`,
    };
  }
  return {
    known: true,
    earliest,
    latest,
    source: 'DBCluster EarliestRestorableTime/LatestRestorableTime',
  };
}

/**
 * The fact for one Aurora (or Multi-AZ) DB cluster; its window comes from the cluster itself. A
 * global database member's role is read from `globalRoles` when DescribeDBClusters does not show it
 * ({@link globalRoleOf}).
 */
export function auroraClusterToFact(
  cluster: DBCluster,
  scope: RdsScope,
  globalRoles?: GlobalRoles,
  copies?: readonly CopyCluster[],
): PitrFact {
  const sent = cluster.BackupRetentionPeriod;
  // A DB cluster keeps automated backups 1-35 days and cannot turn them off ("Backup retention
  // period ... 1-35", Aurora User Guide and RDS User Guide for Multi-AZ DB clusters): a value outside
  // that is no setting the cluster has, so it is neither "backups off" (0) nor a retention to judge,
  // whatever EarliestRestorableTime says.
  const impossible =
    sent !== undefined && (sent < CLUSTER_RETENTION_RANGE.min || sent > CLUSTER_RETENTION_RANGE.max);
  const retention = impossible ? undefined : sent;
  const enabled = retention === undefined ? undefined : retention > 0;
  return {
    resource: {
      provider: 'aws',
      account: scope.account,
      region: scope.region,
      type: 'AwsRdsDbCluster',
      id: cluster.DBClusterIdentifier ?? '',
      ...(cluster.DBClusterArn ? { arn: cluster.DBClusterArn } : {}),
      // "The Amazon Web Services Region-unique, immutable identifier for the DB cluster" (DBCluster,
      // RDS API reference).
      ...(cluster.DbClusterResourceId ? { resourceId: cluster.DbClusterResourceId } : {}),
    },
    kind: 'aurora-cluster',
    engine: cluster.Engine ?? 'aurora-postgresql',
    status: cluster.Status || 'unknown',
    retentionDays: retention,
    retentionSource: 'BackupRetentionPeriod',
    ...pendingRetention(
      retention,
      cluster.PendingModifiedValues?.BackupRetentionPeriod,
      CLUSTER_RETENTION_RANGE,
      'DescribeDBClusters',
    ),
    retentionRange: CLUSTER_RETENTION_RANGE,
    ...(impossible
      ? {
          retentionImpossible: `DescribeDBClusters sent BackupRetentionPeriod ${sent}, outside the ${CLUSTER_RETENTION_RANGE.min}-${CLUSTER_RETENTION_RANGE.max} days a DB cluster keeps (its automated backups cannot be turned off)`,
        }
      : {}),
    automatedBackupsEnabled: enabled,
    pointInTimeRecoveryEnabled: enabled,
    restoreWindow: clusterRestoreWindow(cluster),
    latestRestorableTime: cluster.LatestRestorableTime,
    // A Multi-AZ DB cluster (engine `postgres`) takes its daily snapshot in its backup window, as an
    // instance does, which bounds its restore window (functions/checks/pitr/commands.ts
    // restoresFromDailySnapshots); Aurora keeps its window continuously.
    ...(cluster.Engine === 'postgres'
      ? { dailyBackupWindow: dailyBackupWindowOf(cluster, 'DescribeDBClusters') }
      : {}),
    deletionProtection: cluster.DeletionProtection,
    awsBackupRecoveryPointArn: cluster.AwsBackupRecoveryPointArn,
    // Aurora has no automated-backup replication: pitr.cross-region judges its cross-Region
    // replicas and global database instead.
    crossRegionBackupTargets: undefined,
    aurora: {
      replicaRegions: [
        ...new Set(
          (cluster.ReadReplicaIdentifiers ?? [])
            .map((arn) => regionOfArn(arn))
            .filter((region): region is string => region !== undefined),
        ),
      ],
      ...unplacedReplicasOf(cluster),
      globalClusterIdentifier: cluster.GlobalClusterIdentifier || undefined,
      ...globalRoleOf(cluster, globalRoles),
      ...(copies ? { copies } : {}),
    },
    // Aurora Serverless v1 (`serverless`) cannot retain its automated backups when deleted.
    engineMode: cluster.EngineMode,
    createdAt: cluster.ClusterCreateTime,
    ...standsFor(clusterStandInGroups(cluster), cluster.DBClusterArn),
  };
}

/**
 * The replica ARNs a cluster lists (`ReadReplicaIdentifiers`) that name no Region
 * ({@link isUnplacedArn}), kept apart as sent: dropped, a cluster whose only replica is one would
 * be judged to have none in another Region.
 */
function unplacedReplicasOf(cluster: DBCluster): { unplacedReplicas?: string[] } {
  const unplaced = (cluster.ReadReplicaIdentifiers ?? []).filter(isUnplacedArn);
  return unplaced.length > 0 ? { unplacedReplicas: [...new Set(unplaced)] } : {};
}

/** What a listing's item is called in errors (`DBInstance`), and its name, if it has one. */
interface ListedIdentity<T> {
  readonly item: string;
  readonly name: (item: T) => string | undefined;
}

/** DB instances by identifier (unique in an account and Region, not case-sensitive), else ARN. */
const INSTANCE_IDENTITY: ListedIdentity<DBInstance> = {
  item: 'DBInstance',
  name: (instance) => instance.DBInstanceIdentifier?.toLowerCase() || instance.DBInstanceArn || undefined,
};

/** DB clusters by identifier (unique in an account and Region, not case-sensitive), else ARN. */
const CLUSTER_IDENTITY: ListedIdentity<DBCluster> = {
  item: 'DBCluster',
  name: (cluster) => cluster.DBClusterIdentifier?.toLowerCase() || cluster.DBClusterArn || undefined,
};

/** Global databases by identifier: their members' roles are read from them. */
const GLOBAL_CLUSTER_IDENTITY: ListedIdentity<GlobalCluster> = {
  item: 'GlobalCluster',
  name: (global) => global.GlobalClusterIdentifier || undefined,
};

/** Automated backups by ARN: a destination's replicas are found by the ARN their source names. */
const REPLICATED_BACKUP_IDENTITY: ListedIdentity<DBInstanceAutomatedBackup> = {
  item: 'DBInstanceAutomatedBackup',
  name: (backup) => backup.DBInstanceAutomatedBackupsArn || undefined,
};

/**
 * A filter of a listing's items that passes each named item the first time only: RDS names each
 * database once in its listing, but pages asked for one after the other can overlap (a page boundary
 * that moved between two calls). An item listed again alike says nothing new and is dropped, so the
 * database is judged once (two facts of it would be two findings with one Security Hub Id, which
 * refuses the publication). An item listed again with any other value contradicts the first: judged
 * by either entry, a database could pass on a value the same answer denies (retention 30 days on one
 * page, 0 on the next), so the listing fails with {@link CONTRADICTORY_ANSWER}, as the lean decoding
 * refuses a member sent twice (xml-wire.ts `readStruct`). Items without a name are passed as they are.
 */
function listedOnce<T>(identity: ListedIdentity<T>): (item: T) => boolean {
  const seen = new Map<string, T>();
  return (item) => {
    const name = identity.name(item);
    if (name === undefined) return true;
    const earlier = seen.get(name);
    if (earlier === undefined) {
      seen.set(name, item);
      return true;
    }
    if (isDeepStrictEqual(earlier, item)) return false;
    const differ = [...new Set([...Object.keys(earlier as object), ...Object.keys(item as object)])].filter(
      (member) =>
        !isDeepStrictEqual(
          (earlier as Record<string, unknown>)[member],
          (item as Record<string, unknown>)[member],
        ),
    );
    throw new CloudApiError(
      `answer listed ${identity.item} ${name} more than once with different values (${differ.join(', ')}), so which of them describes it could not be told`,
      CONTRADICTORY_ANSWER,
    );
  };
}

/**
 * Reads every page of one listing, keeping the items `keep` accepts; failures name the API and scope.
 * A page that names a Marker already sent (the paginators stop at one repeating the Marker it was
 * asked with, `stopOnSameToken`, and would loop on a longer cycle) fails the listing
 * (functions/core/paging.ts): the pages after it were never read, so what was read is not the whole
 * scope.
 *
 * A page without its list element (`<DBInstances>`, read through `items` as undefined) fails the
 * listing too: the query protocol sends an empty list as an empty element (`<DBInstances/>`, which
 * both the SDK and the lean decoding read as `[]`; Smithy's awsQuery protocol test
 * `QueryXmlEmptyLists` answers `<stringList/>` for an empty list), so a 200 that leaves it out is not
 * an empty region but an answer that did not say, and reading it as empty would resolve the
 * region's findings. With `list.identity`, an item listed again is dropped when alike and fails the
 * listing when not ({@link listedOnce}).
 */
async function readAllPages<P extends { readonly Marker?: string | undefined }, T>(
  api: string,
  scope: RdsScope,
  pages: AsyncIterable<P>,
  list: {
    readonly element: string;
    readonly items: (page: P) => readonly T[] | undefined;
    /** Each item's name, for a listing whose items are each listed once ({@link listedOnce}). */
    readonly identity?: ListedIdentity<T>;
  },
  keep: (item: T) => boolean,
  endpoint: () => Promise<string>,
): Promise<T[]> {
  const kept: T[] = [];
  try {
    const nextMarker = pageTokens(api, 'RepeatedMarker', 'Marker');
    const once = list.identity ? listedOnce(list.identity) : undefined;
    for await (const page of pages) {
      const items = list.items(page);
      if (items === undefined) throw new CloudApiError(`answer without <${list.element}>`, INCOMPLETE_ANSWER);
      for (const item of items) if ((once === undefined || once(item)) && keep(item)) kept.push(item);
      nextMarker(page.Marker);
    }
  } catch (error) {
    const failure = describeAwsFailure(error, scope.region, await endpoint());
    throw new CloudApiError(
      `RDS ${api} failed for account ${scope.account} in ${scope.region}: ${failure.message}`,
      failure.code,
      { cause: error },
    );
  }
  return kept;
}

/** The SDK paginators' configuration: pages of {@link PAGE_SIZE}, decoded leanly when `lean`. */
function paginationConfig(rds: RDSClient, operation: string, lean: boolean) {
  const collect = rds.config.streamCollector as StreamCollector;
  return {
    client: rds,
    pageSize: PAGE_SIZE,
    stopOnSameToken: true,
    ...(lean
      ? {
          withCommand: <C extends { middlewareStack: { use(plugin: never): void } }>(command: C): C => {
            command.middlewareStack.use(leanRdsListPlugin(operation, collect) as never);
            return command;
          },
        }
      : {}),
  };
}

/**
 * How the list calls of one scope page and decode, and the endpoint their errors name. With `tags`
 * false, the lean pages of databases come without their `TagList` (rds-wire.ts `leanResultShape`).
 */
function scopeReader(rds: RDSClient, scope: RdsScope, lean: boolean, tags = true) {
  return {
    paging: (operation: string) => paginationConfig(rds, operation, lean),
    /**
     * Every page of the list call `operation`: sent on the lean request path when lean
     * (rds-wire.ts {@link leanListPages}, the same pages as the paginator's), else by `paginate`.
     */
    pages: <I extends RdsListInput, P>(
      operation: string,
      Command: SdkCommandClass<I>,
      paginate: (config: RDSPaginationConfiguration, input: I) => AsyncIterable<P>,
      input: I,
    ): AsyncIterable<P> =>
      lean
        ? leanListPages<I, P>(rds, Command, operation, input, PAGE_SIZE, tags)
        : paginate(paginationConfig(rds, operation, false), input),
    endpoint: (): Promise<string> => endpointOf(rds, 'rds', scope.region),
  };
}

export interface RdsListOptions {
  /**
   * Decode successful pages leanly (functions/aws/rds-wire.ts), and send the instance, cluster and
   * automated-backup listings on the lean request path (rds-wire.ts `leanListPages`); `false` keeps
   * the SDK's pipeline and full decoding (the equivalence test compares both). @default true
   */
  readonly leanDecoding?: boolean;
  /**
   * An RDS client of this account in another Region, for the destinations of automated-backup
   * replication ({@link readReplicatedBackups}) and the Regions of Aurora copies
   * ({@link readCopyClusters}); read only when the policy asks for `pitr.cross-region`. Without it
   * the replications and copies stay unread (the check answers NOT_AVAILABLE).
   */
  readonly clientIn?: (region: string) => RDSClient;
  /**
   * Also select Aurora global database secondaries ({@link globalSecondaryOf}), which the PITR
   * checks judge through their primary. Off for the snapshot job, which snapshots the clusters
   * it has always snapshotted. @default false
   */
  readonly globalSecondaries?: boolean;
  /**
   * Also return the databases of another engine the policy selects ({@link SelectedOtherEngine}),
   * which the audit reports instead of leaving them unmentioned or calling a named one not found: a
   * policy selecting by tag then lists every engine (no engine filter). A policy selecting by name
   * alone keeps the PostgreSQL filter: the names no Region's listing answered to are looked up after
   * ({@link lookUpRdsNames}). @default false
   */
  readonly otherEngines?: boolean;
}

/**
 * Every replicated backup listed in one destination Region (DescribeDBInstanceAutomatedBackups there,
 * paged, without a filter: the `status` filter documents only `active`, `retained` and `creating`,
 * while a replicated backup in its destination lists as `replicating`, as the AWS CLI example of
 * describe-db-instance-automated-backups shows). The destination's own backups are left out
 * (`Region` is the destination); a replica is matched by the `DBInstanceAutomatedBackupsArn` its
 * source names, so one listed without `Region` (the field is optional) is still found, not reported
 * as missing.
 */
function listReplicasIn(
  rds: RDSClient,
  scope: RdsScope,
  lean: boolean,
): Promise<DBInstanceAutomatedBackup[]> {
  const { paging, endpoint } = scopeReader(rds, scope, lean);
  return readAllPages(
    'DescribeDBInstanceAutomatedBackups',
    scope,
    paginateDescribeDBInstanceAutomatedBackups(paging('DescribeDBInstanceAutomatedBackups'), {}),
    {
      element: 'DBInstanceAutomatedBackups',
      items: (page) => page.DBInstanceAutomatedBackups,
      identity: REPLICATED_BACKUP_IDENTITY,
    },
    (backup) => backup.DBInstanceAutomatedBackupsArn !== undefined && backup.Region !== scope.region,
    endpoint,
  );
}

/**
 * What each destination Region says of the replications the instances list: one paged listing per
 * destination (not one call per database), matched by `DBInstanceAutomatedBackupsArn`, the ARN the
 * source lists for its replica. A destination that cannot be read leaves its replications unread,
 * never the scope failed: only `pitr.cross-region` needs it.
 */
async function readReplicatedBackups(
  instances: readonly DBInstance[],
  scope: RdsScope,
  clientIn: (region: string) => RDSClient,
  lean: boolean,
): Promise<Map<DBInstance, ReplicatedBackup[]>> {
  const replicationsOf = (instance: DBInstance) =>
    (instance.DBInstanceAutomatedBackupsReplications ?? []).flatMap((replication) => {
      const arn = replication.DBInstanceAutomatedBackupsArn;
      const region = arn ? regionOfArn(arn) : undefined;
      return arn && region && region !== scope.region ? [{ arn, region }] : [];
    });
  const destinations = [
    ...new Set(instances.flatMap((instance) => replicationsOf(instance).map((r) => r.region))),
  ];
  type Listing = { readonly replicas: DBInstanceAutomatedBackup[] } | { readonly error: unknown };
  const listings = new Map<string, Listing>(
    await Promise.all(
      destinations.map(async (region): Promise<[string, Listing]> => {
        try {
          const replicas = await listReplicasIn(clientIn(region), { account: scope.account, region }, lean);
          return [region, { replicas }];
        } catch (error) {
          return [region, { error }];
        }
      }),
    ),
  );
  const byInstance = new Map<DBInstance, ReplicatedBackup[]>();
  for (const instance of instances) {
    byInstance.set(
      instance,
      replicationsOf(instance).map(({ arn, region }): ReplicatedBackup => {
        const listing = listings.get(region);
        if (!listing || 'error' in listing) {
          const error = listing?.error;
          return {
            region,
            arn,
            read: false,
            reason: `${describeError(error)} (${errorCode(error)})`,
            accessDenied: isPermissionRefusal(error),
            ...refusalRemedy(error),
          };
        }
        const replica = listing.replicas.find((backup) => backup.DBInstanceAutomatedBackupsArn === arn);
        if (!replica) return { region, arn, read: true, listed: false };
        return {
          region,
          arn,
          read: true,
          listed: true,
          status: replica.Status,
          restoreWindow: replica.RestoreWindow
            ? { earliest: replica.RestoreWindow.EarliestTime, latest: replica.RestoreWindow.LatestTime }
            : undefined,
          // The replica's own retention, set when its replication started: never the source's.
          backupRetentionPeriod: replica.BackupRetentionPeriod,
          // The key of the destination its copy is encrypted with: a restart names it (pitr.cross-region).
          encrypted: replica.Encrypted,
          kmsKeyId: replica.KmsKeyId || undefined,
        };
      }),
    );
  }
  return byInstance;
}

/**
 * The ARNs of a cluster's copies in other Regions, each with its Region: the read replica clusters
 * its `ReadReplicaIdentifiers` lists, and for a global database secondary its primary (as
 * {@link globalRoleOf} names it). An ARN naming no Region, or this one, is no copy to ask elsewhere.
 */
function copyArnsOf(
  cluster: DBCluster,
  scope: RdsScope,
  globalRoles: GlobalRoles | undefined,
): { readonly arn: string; readonly region: string }[] {
  const primary = globalRoleOf(cluster, globalRoles).globalSecondary?.primaryArn;
  const arns = [...(cluster.ReadReplicaIdentifiers ?? []), ...(primary ? [primary] : [])];
  return [...new Set(arns)].flatMap((arn) => {
    const region = regionOfArn(arn);
    return region && region !== scope.region ? [{ arn, region }] : [];
  });
}

/**
 * Copy listings (one per destination Region and batch of ARNs) in flight at once, per scope: a
 * scope's copies are in a few Regions, and the audit runs scopes side by side, so a fleet whose
 * copies span many Regions does not open a connection to each at once.
 */
const COPY_LISTINGS_AT_ONCE = 4;

/**
 * The clusters of one destination Region that `arns` name: DescribeDBClusters there, paged, with the
 * `db-cluster-id` filter ("Accepts DB cluster identifiers and DB cluster Amazon Resource Names
 * (ARNs)", RDS API reference, DescribeDBClusters Filters), through the same reader as this scope's
 * own listings ({@link scopeReader}, {@link readAllPages}): the lean decoding leaves a value that is
 * not one (`<BackupRetentionPeriod/>`, `0x23`) unsent, where the SDK's reads 0 or 35. A filter that
 * matches nothing answers an empty list, not an error.
 */
function listCopiesIn(
  rds: RDSClient,
  scope: RdsScope,
  arns: readonly string[],
  lean: boolean,
): Promise<DBCluster[]> {
  // A copy is found by its ARN and judged on its retention and window: its tags select nothing.
  const { pages, endpoint } = scopeReader(rds, scope, lean, false);
  return readAllPages(
    'DescribeDBClusters',
    scope,
    pages('DescribeDBClusters', DescribeDBClustersCommand, paginateDescribeDBClusters, {
      Filters: [{ Name: 'db-cluster-id', Values: [...arns] }],
    }),
    { element: 'DBClusters', items: (page) => page.DBClusters, identity: CLUSTER_IDENTITY },
    () => true,
    endpoint,
  );
}

/**
 * The cluster a copy's listing holds for `arn`: the one sent with that `DBClusterArn`, else one sent
 * without an ARN whose identifier is the ARN's (identifiers are unique in an account and Region, and
 * not case-sensitive).
 */
function listedCopy(listed: readonly DBCluster[], arn: string): DBCluster | undefined {
  const id = arn.split(':cluster:')[1]?.toLowerCase();
  return (
    listed.find((cluster) => cluster.DBClusterArn === arn) ??
    listed.find(
      (cluster) =>
        cluster.DBClusterArn === undefined &&
        id !== undefined &&
        cluster.DBClusterIdentifier?.toLowerCase() === id,
    )
  );
}

/**
 * What each copy's own Region says of it, since its `BackupRetentionPeriod` and
 * `EarliestRestorableTime` bound how far back it restores and the cluster's own Region does not send
 * them: one filtered listing per destination Region and {@link RDS_FILTER_VALUES_PER_CALL} copies
 * ({@link listCopiesIn}), never one call per copy, with at most {@link COPY_LISTINGS_AT_ONCE} in
 * flight. A copy that cannot be read (refused, a Region not enabled, any failure of its listing) or
 * that its Region does not list is returned as not read with why, never the scope failed: only
 * `pitr.cross-region` needs it.
 */
async function readCopyClusters(
  clusters: readonly DBCluster[],
  globalRoles: GlobalRoles | undefined,
  scope: RdsScope,
  clientIn: (region: string) => RDSClient,
  lean: boolean,
): Promise<Map<DBCluster, CopyCluster[]>> {
  const byRegion = new Map<string, Set<string>>();
  for (const cluster of clusters) {
    for (const { arn, region } of copyArnsOf(cluster, scope, globalRoles)) {
      byRegion.set(region, (byRegion.get(region) ?? new Set()).add(arn));
    }
  }
  const batches = [...byRegion].flatMap(([region, arns]) => {
    const all = [...arns];
    return Array.from({ length: Math.ceil(all.length / RDS_FILTER_VALUES_PER_CALL) }, (_, index) => ({
      region,
      arns: all.slice(index * RDS_FILTER_VALUES_PER_CALL, (index + 1) * RDS_FILTER_VALUES_PER_CALL),
    }));
  });
  const read = new Map<string, CopyCluster>();
  await mapWithConcurrency(batches, COPY_LISTINGS_AT_ONCE, async ({ region, arns }) => {
    let listed: DBCluster[];
    try {
      listed = await listCopiesIn(clientIn(region), { account: scope.account, region }, arns, lean);
    } catch (error) {
      for (const arn of arns) {
        read.set(arn, {
          region,
          arn,
          read: false,
          reason: `${describeError(error)} (${errorCode(error)})`,
          accessDenied: isPermissionRefusal(error),
          ...refusalRemedy(error),
        });
      }
      return;
    }
    for (const arn of arns) {
      const copy = listedCopy(listed, arn);
      read.set(
        arn,
        copy
          ? {
              region,
              arn,
              read: true,
              id: copy.DBClusterIdentifier || (arn.split(':cluster:')[1] ?? arn),
              status: copy.Status || undefined,
              // The copy's own retention, never its source's.
              backupRetentionPeriod: copy.BackupRetentionPeriod,
              // How far back the copy restores now: a replica made yesterday keeps one day so far.
              earliestRestorableTime: copy.EarliestRestorableTime,
              // No restore point of the copy is older than the copy itself.
              createdAt: copy.ClusterCreateTime,
              ...(copy.GlobalClusterIdentifier
                ? { globalClusterIdentifier: copy.GlobalClusterIdentifier }
                : {}),
            }
          : { region, arn, read: false, reason: `${region} lists no DB cluster ${arn}`, accessDenied: false },
      );
    }
  });
  const byCluster = new Map<DBCluster, CopyCluster[]>();
  for (const cluster of clusters) {
    byCluster.set(
      cluster,
      copyArnsOf(cluster, scope, globalRoles).flatMap(({ arn }) => read.get(arn) ?? []),
    );
  }
  return byCluster;
}

/** The resource a member or replica is judged at, as its own listing names it, and how to say so. */
interface StandInHost {
  /** `cluster:<id>` or `instance:<id>`, lowercase: the key of {@link selectedKeys}. */
  readonly key: string;
  readonly of: string;
  readonly tagInstead: string;
  /**
   * The read replicas between it and its host, itself included (2 or more: a cascading replica); for
   * a chain stopped at an unreadable source, those before the source.
   */
  readonly hops?: number;
  /** The host's ARN when the chain leaves this Region ({@link TaggedStandIn} `sourceArn`). */
  readonly sourceArn?: string;
  /**
   * The source as the answer sent it when it is an ARN naming no Region ({@link isUnplacedArn}): the
   * chain ends there, and `key` names nothing the audit judges ({@link TaggedStandIn}
   * `unreadableSource`).
   */
  readonly unreadableSource?: string;
}

/** The {@link StandInHost} of a replica whose source (`field` sent `source`) names no Region. */
function unplacedHost(field: string, source: string, before: string, hops?: number): StandInHost {
  return {
    key: `unplaced:${source}`,
    of: `${before}a read replica of ${source} (${field})`,
    tagInstead: 'its source',
    unreadableSource: source,
    ...(hops !== undefined ? { hops } : {}),
  };
}

/**
 * Where a PostgreSQL member or read replica of this Region is judged: its cluster, or its source when
 * that is in this Region. A source that is itself a read replica (a cascading replica: RDS for
 * PostgreSQL replicates from a replica) is never judged, so tagging it would audit nothing: the chain
 * is followed through `replicas` (the read replicas listed in this Region, by lower-case identifier)
 * to its primary, which is named instead. A chain that leaves this Region ends at the source in the
 * other Region, named with its ARN (`sourceArn`): whether the policy selects it there is known only
 * once every Region is read (core/audit.ts withTargetCoverage). Undefined for a standalone database
 * and another engine.
 */
function standInHostOf(
  instance: DBInstance,
  region: string,
  replicas: ReadonlyMap<string, DBInstance>,
): StandInHost | undefined {
  if (!POSTGRES_CLUSTER_ENGINES.has(instance.Engine ?? '')) return undefined;
  const cluster = instance.DBClusterIdentifier;
  if (cluster) {
    const kind = instance.Engine === 'postgres' ? 'Multi-AZ DB cluster' : 'Aurora cluster';
    return {
      key: `cluster:${cluster.toLowerCase()}`,
      of: `a member of ${kind} ${cluster}`,
      tagInstead: 'the cluster',
    };
  }
  const chain: { readonly kind: 'instance' | 'cluster'; readonly id: string; readonly away?: string }[] = [];
  let sourceArn: string | undefined;
  let unplaced: { readonly field: string; readonly source: string } | undefined;
  for (let replica: DBInstance | undefined = instance; replica; ) {
    const source: string | undefined =
      replica.ReadReplicaSourceDBInstanceIdentifier ?? replica.ReadReplicaSourceDBClusterIdentifier;
    if (!source) break;
    const kind: 'instance' | 'cluster' = replica.ReadReplicaSourceDBInstanceIdentifier
      ? 'instance'
      : 'cluster';
    // An ARN naming no Region is no name of this Region: taken for one, the chain would end at a
    // database here that merely shares its identifier.
    if (isUnplacedArn(source)) {
      const field =
        kind === 'instance'
          ? 'ReadReplicaSourceDBInstanceIdentifier'
          : 'ReadReplicaSourceDBClusterIdentifier';
      unplaced = { field, source };
      break;
    }
    const sourceRegion = regionOfArn(source);
    const id: string = replicaNames(source).at(-1) ?? source;
    if (sourceRegion !== undefined && sourceRegion !== region) {
      chain.push({ kind, id, away: sourceRegion });
      sourceArn = source;
      break;
    }
    // A loop in what the listing says ends the walk at the first repeat.
    if (chain.some((hop) => hop.kind === kind && hop.id.toLowerCase() === id.toLowerCase())) break;
    chain.push({ kind, id });
    replica = kind === 'instance' ? replicas.get(id.toLowerCase()) : undefined;
  }
  const named = (hop: (typeof chain)[number]) =>
    `${hop.kind === 'cluster' ? 'cluster ' : ''}${hop.id}${hop.away ? ` in ${hop.away}` : ''}`;
  const readReplicaOf = (hop: (typeof chain)[number], index: number) =>
    `${index === 0 ? 'a' : 'itself a'} read replica of ${named(hop)}`;
  if (unplaced) {
    const before = chain.map((hop, index) => `${readReplicaOf(hop, index)}, itself `).join('');
    return unplacedHost(unplaced.field, unplaced.source, before, chain.length + 1);
  }
  const primary = chain.at(-1);
  if (!primary) return undefined;
  return {
    key: `${primary.kind}:${primary.id.toLowerCase()}`,
    of: chain.map(readReplicaOf).join(', '),
    tagInstead: chain.length === 1 ? 'the source' : `the primary ${named(primary)}`,
    hops: chain.length,
    ...(sourceArn ? { sourceArn } : {}),
  };
}

/**
 * The read replicas at the end of a cascading chain (a replica of a replica, which RDS for
 * PostgreSQL allows) that the policy names, as stand-in groups by the primary of their chain in this
 * Region ({@link standInHostOf}, key `instance:<id>`): no listing of the primary names them, since
 * its ReadReplicaDBInstanceIdentifiers holds its own replicas only. `replicas` are the read replicas
 * listed in this Region, by lower-case identifier.
 */
function namedCascadingReplicas(
  replicas: ReadonlyMap<string, DBInstance>,
  region: string,
  targets: Policy['targets'],
): { byPrimary: Map<string, StandInGroup[]>; unplaced: TaggedStandIn[] } {
  const byPrimary = new Map<string, StandInGroup[]>();
  const unplaced: TaggedStandIn[] = [];
  for (const replica of replicas.values()) {
    const host = standInHostOf(replica, region, replicas);
    const names = [replica.DBInstanceIdentifier, replica.DBInstanceArn].filter(
      (name): name is string => name !== undefined,
    );
    if (!host || (host.hops ?? 0) < 2) continue;
    if (!isTarget({ identifiers: names, tags: {} }, { ...targets, all: false, tags: [] })) continue;
    // A chain ending at a source that names no Region is attributed to nothing: reported with what
    // the chain read and where it stopped (taggedStandInProblems, core/audit.ts), not as not found.
    if (host.unreadableSource !== undefined) {
      unplaced.push({
        id: replica.DBInstanceIdentifier ?? '',
        named: names,
        of: host.of,
        tagInstead: host.tagInstead,
        unreadableSource: host.unreadableSource,
      });
      continue;
    }
    const group: StandInGroup = {
      listed: [replica.DBInstanceIdentifier],
      what: `RDS cascading read replica (${host.of})`,
      relation: 'replica',
      type: 'db',
    };
    byPrimary.set(host.key, [...(byPrimary.get(host.key) ?? []), group]);
  }
  return { byPrimary, unplaced };
}

/**
 * The databases a selected DB instance stands in for ({@link instanceStandInGroups}), with the
 * cascading replicas the policy named that {@link listSelectedDatabases} judged at it.
 */
export function selectedInstanceStandInGroups(
  instance: DBInstance,
  cascading: ReadonlyMap<DBInstance, readonly StandInGroup[]>,
): StandInGroup[] {
  return [...instanceStandInGroups(instance), ...(cascading.get(instance) ?? [])];
}

/**
 * Where a read replica cluster of this Region is judged: the DB instance its
 * `ReplicationSourceIdentifier` names in this Region (an Aurora read replica of an RDS for PostgreSQL
 * instance, which lists it in `ReadReplicaDBClusterIdentifiers`), or the source in another Region it
 * names by ARN (a cross-Region replica cluster), whether the policy selects it there known only once
 * every Region is read (`sourceArn`, core/audit.ts withTargetCoverage). Undefined for a same-Region
 * source that is not a DB instance.
 */
function replicaClusterHostOf(cluster: DBCluster, region: string): StandInHost | undefined {
  const source = cluster.ReplicationSourceIdentifier;
  const sourceRegion = source ? regionOfArn(source) : undefined;
  if (!source) return undefined;
  // An ARN naming no Region is reported, not taken for this Region (which would drop the replica).
  if (isUnplacedArn(source)) return unplacedHost('ReplicationSourceIdentifier', source, '');
  const id = replicaNames(source).at(-1) ?? source;
  const kind = /:cluster:/.test(source) ? 'cluster' : 'instance';
  if (sourceRegion !== undefined && sourceRegion !== region) {
    return {
      key: `${kind}:${id.toLowerCase()}`,
      of: `a read replica of ${kind === 'cluster' ? 'cluster ' : ''}${id} in ${sourceRegion}`,
      tagInstead: 'the source',
      sourceArn: source,
    };
  }
  if (sourceRegion !== region || kind !== 'instance') return undefined;
  return { key: `instance:${id.toLowerCase()}`, of: `a read replica of ${id}`, tagInstead: 'the source' };
}

/** The {@link StandInHost} keys of the databases selected. */
function selectedKeys(instances: readonly DBInstance[], clusters: readonly DBCluster[]): Set<string> {
  return new Set([
    ...instances.map((instance) => `instance:${(instance.DBInstanceIdentifier ?? '').toLowerCase()}`),
    ...clusters.map((cluster) => `cluster:${(cluster.DBClusterIdentifier ?? '').toLowerCase()}`),
  ]);
}

/**
 * The roles DescribeGlobalClusters gives the global database members of one region, read only when
 * `clusters` holds a member whose role DescribeDBClusters does not show ({@link globalRoleUnknown});
 * undefined otherwise (no call). One paged listing without a filter (`Marker`, MaxRecords 100: "This
 * API supports pagination", RDS API reference, DescribeGlobalClusters), sent in the member's own
 * region: the API reference does not say whether a region lists global databases without a member
 * in it, and the member's region lists its own either way. A failed call is returned, not thrown:
 * only the roles need it.
 */
async function readGlobalRoles(
  clusters: readonly DBCluster[],
  rds: RDSClient,
  scope: RdsScope,
  lean: boolean,
): Promise<GlobalRoles | undefined> {
  if (!clusters.some((cluster) => globalRoleUnknown(cluster) !== undefined)) return undefined;
  const { paging, endpoint } = scopeReader(rds, scope, lean);
  try {
    const globals = await readAllPages(
      'DescribeGlobalClusters',
      scope,
      paginateDescribeGlobalClusters(paging('DescribeGlobalClusters'), {}),
      { element: 'GlobalClusters', items: (page) => page.GlobalClusters, identity: GLOBAL_CLUSTER_IDENTITY },
      () => true,
      endpoint,
    );
    const members = new Map<string, GlobalMemberRole>();
    for (const global of globals) {
      const listed = global.GlobalClusterMembers ?? [];
      const writerArn = listed.find((member) => member.IsWriter === true)?.DBClusterArn;
      for (const member of listed) {
        if (member.DBClusterArn) members.set(member.DBClusterArn, { isWriter: member.IsWriter, writerArn });
      }
    }
    return { read: true, members };
  } catch (error) {
    return {
      read: false,
      reason: `${describeError(error)} (${errorCode(error)})`,
      accessDenied: isPermissionRefusal(error),
      ...refusalRemedy(error),
    };
  }
}

/**
 * A listed database's names and those of the databases it stands in for ({@link standInsListed}):
 * what selects it when the policy names one.
 */
function namesListed(
  id: string | undefined,
  arn: string | undefined,
  groups: readonly StandInGroup[],
): (string | undefined)[] {
  return [id, arn, ...standInsListed(groups, arn).flatMap(({ names }) => names)];
}

/** The resource type an RDS ARN names (`db`, `cluster`), or undefined for a plain identifier. */
const RDS_ARN_TYPE = /^arn:[^:]*:rds:[^:]*:[^:]*:(db|cluster):/i;

/**
 * The databases of another engine in one account x region that answer to `names`, as `targets`
 * selects them: for the audit, the policy's names no judged database, nothing judged at one
 * ({@link StandInGroup}) and no database of another engine answered to once every Region of the run
 * was read (functions/jobs/audit.ts, `lookUpUnlistedNames`), which the engine-filtered listings of a
 * policy selecting by name alone cannot show; for the snapshot job, the names a request gives that no
 * selected PostgreSQL database answers to (functions/actions/snapshot/aws.ts).
 *
 * DescribeDBInstances with the `db-instance-id` filter and DescribeDBClusters with `db-cluster-id`,
 * which "Accepts DB instance identifiers and DB instance Amazon Resource Names (ARNs)" (RDS API
 * reference, DescribeDBInstances, Filters; likewise clusters), concurrently, for the names this scope
 * may hold: a plain identifier, or an ARN of this account and Region (and resource type). At most two
 * calls a scope whatever the number of names, and none in a run whose listings answered to every
 * name; the same List-level actions on `db:*` and `cluster:*` as the listings, so no permission is
 * added. Throws `CloudApiError` when a look-up fails: the caller says so for these names only, since
 * no finding rests on it (nothing it could find is judged).
 */
export async function lookUpRdsNames(
  rds: RDSClient,
  scope: RdsScope,
  targets: Policy['targets'],
  names: readonly string[],
  options: Pick<RdsListOptions, 'leanDecoding'> = {},
): Promise<SelectedOtherEngine[]> {
  const here = names.filter((name) => {
    const location = locateIdentifier(name);
    return (
      location === undefined ||
      (location.provider === 'aws' && location.account === scope.account && location.region === scope.region)
    );
  });
  const ofType = (type: 'db' | 'cluster') =>
    here.filter((name) => {
      const named = RDS_ARN_TYPE.exec(name)?.[1];
      return named === undefined || named.toLowerCase() === type;
    });
  const { paging, endpoint } = scopeReader(rds, scope, options.leanDecoding ?? true);
  const [instanceNames, clusterNames] = [ofType('db'), ofType('cluster')];
  const [instances, clusters] = await Promise.all([
    instanceNames.length === 0
      ? []
      : readAllPages(
          'DescribeDBInstances',
          scope,
          paginateDescribeDBInstances(paging('DescribeDBInstances'), {
            Filters: [{ Name: 'db-instance-id', Values: instanceNames }],
          }),
          { element: 'DBInstances', items: (page) => page.DBInstances, identity: INSTANCE_IDENTITY },
          (instance) => isOtherEngine(instance.Engine),
          endpoint,
        ),
    clusterNames.length === 0
      ? []
      : readAllPages(
          'DescribeDBClusters',
          scope,
          paginateDescribeDBClusters(paging('DescribeDBClusters'), {
            Filters: [{ Name: 'db-cluster-id', Values: clusterNames }],
          }),
          { element: 'DBClusters', items: (page) => page.DBClusters, identity: CLUSTER_IDENTITY },
          (cluster) => isOtherEngine(cluster.Engine),
          endpoint,
        ),
  ]);
  return selectedOtherEngines(instances, clusters, targets);
}

/**
 * The standalone PostgreSQL instances and PostgreSQL clusters of one account x region that the
 * policy's targets select: the databases the audit judges and the snapshot job snapshots. Throws
 * `CloudApiError` when a listing fails.
 *
 * Selecting by tag, a member or read replica carrying a target tag while its cluster or source
 * (in this Region) is not selected is returned in `taggedStandIns`: it is not audited (the policy did
 * not select what proves it restorable), and the report says which resource to tag. To see the tags
 * of Aurora members, the instance listing then also pages through `aurora-postgresql` instances: one
 * more instance per Aurora member, 100 a page.
 */
export async function listSelectedDatabases(
  rds: RDSClient,
  scope: RdsScope,
  policy: Policy,
  options: RdsListOptions = {},
): Promise<{
  instances: DBInstance[];
  clusters: DBCluster[];
  taggedStandIns: TaggedStandIn[];
  /** Selected primaries of a cascading replica chain the policy names, with those replicas. */
  cascading: ReadonlyMap<DBInstance, readonly StandInGroup[]>;
  /** With `options.otherEngines`: the selected databases of another engine. */
  otherEngines: SelectedOtherEngine[];
}> {
  const selected = (identifiers: (string | undefined)[], tags: readonly Tag[] | undefined): boolean =>
    isTarget(
      { identifiers: identifiers.filter((id): id is string => id !== undefined), tags: tagRecord(tags) },
      policy.targets,
    );
  // `targets.all` selects every database (isTarget): its names and tags are not gathered to ask.
  const everything = policy.targets.all;
  const byTag = !everything && policy.targets.tags.length > 0;
  // Tags select nothing unless the policy selects by tag: then no page decodes them.
  const { pages, endpoint } = scopeReader(rds, scope, options.leanDecoding ?? true, byTag);
  const named = !everything && policy.targets.identifiers.length > 0;
  // Selected databases of another engine, when asked: a target tag finds them only in listings
  // without the engine filter. A name the filtered listings did not answer to is looked up once every
  // Region is read, and only if no Region's listing answered to it ({@link lookUpRdsNames}).
  const reportOthers = options.otherEngines === true && byTag;
  const others: { instances: DBInstance[]; clusters: DBCluster[] } = { instances: [], clusters: [] };
  // Standalone instances no name or tag of their own listing selects: one may still be the primary of
  // a cascading replica chain the policy names, known once every page is read.
  const unselected: DBInstance[] = [];
  // Members and replicas carrying a target tag, with where they are judged: kept once that is known
  // not to be selected.
  const tagged: { readonly instance: DBInstance; readonly tag: string }[] = [];
  // Replica clusters (not judged on their own) carrying a target tag.
  const taggedClusters: { readonly cluster: DBCluster; readonly tag: string }[] = [];
  // A listed database whose answer leaves out what its selection depends on says neither that it is a
  // target nor that it is not: its TagList when the policy selects by tag and no name of it selects
  // it (the query protocol sends an empty list as `<TagList/>`, so a missing one is no "untagged"),
  // or its Engine when it may be selected (PostgreSQL or not cannot be told). Read as untagged or of
  // another engine, it would drop out of a scope read in full, whose findings of it the lifecycle
  // would then archive as if it were gone: the listing fails instead (readAllPages names the call),
  // as one without its list element does.
  const requireSelectionShown = (
    element: 'DBInstance' | 'DBCluster',
    id: string | undefined,
    // The names it answers to, gathered only when its selection is asked (not when tags and engine
    // are both there to tell).
    names: () => (string | undefined)[],
    tags: readonly Tag[] | undefined,
    engine: string | undefined,
    judgedIfSelected: () => boolean,
  ): void => {
    const tagsUnknown = byTag && tags === undefined;
    if (engine && !tagsUnknown) return;
    const selectedNow = everything || selected(names(), tags);
    const missing =
      !engine && (selectedNow || tagsUnknown)
        ? 'Engine'
        : tagsUnknown && !selectedNow && judgedIfSelected()
          ? 'TagList'
          : undefined;
    if (missing === undefined) return;
    throw new CloudApiError(
      `answer listed ${element} ${id ?? '(no identifier)'} without ${missing}, so whether the policy selects it as a PostgreSQL database to audit could not be told`,
      INCOMPLETE_ANSWER,
    );
  };
  const targetTag = (tags: readonly Tag[] | undefined): string | undefined => {
    const tag = targetTagOf(tagRecord(tags), policy.targets);
    return tag ? `${tag.key}=${tag.value}` : undefined;
  };
  // Every read replica listed, so a tagged or named one's chain can be followed to its primary once
  // all pages are read.
  const replicas = new Map<string, DBInstance>();
  const noteReplica = (instance: DBInstance): void => {
    if (instance.ReadReplicaSourceDBInstanceIdentifier || instance.ReadReplicaSourceDBClusterIdentifier)
      replicas.set((instance.DBInstanceIdentifier ?? '').toLowerCase(), instance);
  };
  const noteTagged = (instance: DBInstance): void => {
    const tag = targetTag(instance.TagList);
    if (tag) tagged.push({ instance, tag });
  };
  // Server-side filters keep pages to what can be judged: other engines (unless the audit reports
  // those a target tag selects) and, unless the policy selects by tag, Aurora members (engine
  // aurora-postgresql, judged at their cluster) never cross the wire. The predicates below still
  // apply, so a filter the API ignores changes nothing.
  const instanceEngines = byTag ? [...POSTGRES_CLUSTER_ENGINES] : [...POSTGRES_INSTANCE_ENGINES];
  const engineFilter = (engines: readonly string[]) =>
    reportOthers ? {} : { Filters: [{ Name: 'engine', Values: [...engines] }] };
  const [instances, clusters] = await Promise.all([
    readAllPages(
      'DescribeDBInstances',
      scope,
      pages(
        'DescribeDBInstances',
        DescribeDBInstancesCommand,
        paginateDescribeDBInstances,
        engineFilter(instanceEngines),
      ),
      { element: 'DBInstances', items: (page) => page.DBInstances, identity: INSTANCE_IDENTITY },
      // A source is selected when the policy names one of its replicas: a replica has no backups of
      // its own, so its source is what proves it restorable (and the report says so).
      (instance) => {
        requireSelectionShown(
          'DBInstance',
          instance.DBInstanceIdentifier,
          () =>
            namesListed(
              instance.DBInstanceIdentifier,
              instance.DBInstanceArn,
              instanceStandInGroups(instance),
            ),
          instance.TagList,
          instance.Engine,
          () => isStandaloneInstance(instance),
        );
        if (reportOthers && isOtherEngine(instance.Engine)) {
          if (selected([instance.DBInstanceIdentifier, instance.DBInstanceArn], instance.TagList))
            others.instances.push(instance);
          return false;
        }
        if (!isStandaloneInstance(instance)) {
          if (byTag || named) noteReplica(instance);
          if (byTag) noteTagged(instance);
          return false;
        }
        const names = everything
          ? []
          : namesListed(
              instance.DBInstanceIdentifier,
              instance.DBInstanceArn,
              instanceStandInGroups(instance),
            );
        const kept = everything || selected(names, instance.TagList);
        if (!kept && named) unselected.push(instance);
        return kept;
      },
      endpoint,
    ),
    readAllPages(
      'DescribeDBClusters',
      scope,
      pages(
        'DescribeDBClusters',
        DescribeDBClustersCommand,
        paginateDescribeDBClusters,
        engineFilter([...POSTGRES_CLUSTER_ENGINES]),
      ),
      { element: 'DBClusters', items: (page) => page.DBClusters, identity: CLUSTER_IDENTITY },
      // Likewise a cluster when the policy names one of its members or read replicas.
      (cluster) => {
        requireSelectionShown(
          'DBCluster',
          cluster.DBClusterIdentifier,
          () => namesListed(cluster.DBClusterIdentifier, cluster.DBClusterArn, clusterStandInGroups(cluster)),
          cluster.TagList,
          cluster.Engine,
          () =>
            isStandaloneCluster(cluster) ||
            (options.globalSecondaries === true && isGlobalSecondary(cluster)),
        );
        if (reportOthers && isOtherEngine(cluster.Engine)) {
          if (selected([cluster.DBClusterIdentifier, cluster.DBClusterArn], cluster.TagList))
            others.clusters.push(cluster);
          return false;
        }
        if (
          !isStandaloneCluster(cluster) &&
          !(options.globalSecondaries === true && isGlobalSecondary(cluster))
        ) {
          const tag = byTag ? targetTag(cluster.TagList) : undefined;
          if (tag) taggedClusters.push({ cluster, tag });
          return false;
        }
        if (everything) return true;
        return selected(
          namesListed(cluster.DBClusterIdentifier, cluster.DBClusterArn, clusterStandInGroups(cluster)),
          cluster.TagList,
        );
      },
      endpoint,
    ),
  ]);
  const { byPrimary: cascadingByKey, unplaced: namedUnplaced } = named
    ? namedCascadingReplicas(replicas, scope.region, policy.targets)
    : { byPrimary: new Map<string, StandInGroup[]>(), unplaced: [] };
  const cascading = new Map<DBInstance, readonly StandInGroup[]>();
  for (const instance of [...instances, ...unselected]) {
    const groups = cascadingByKey.get(`instance:${(instance.DBInstanceIdentifier ?? '').toLowerCase()}`);
    if (!groups) continue;
    cascading.set(instance, groups);
    if (!instances.includes(instance)) instances.push(instance);
  }
  const judged = selectedKeys(instances, clusters);
  const standIn = (id: string | undefined, tag: string, host: StandInHost | undefined): TaggedStandIn[] =>
    host && (host.unreadableSource !== undefined || !judged.has(host.key))
      ? [
          {
            id: id ?? '',
            tag,
            of: host.of,
            tagInstead: host.tagInstead,
            ...(host.sourceArn ? { sourceArn: host.sourceArn } : {}),
            ...(host.unreadableSource ? { unreadableSource: host.unreadableSource } : {}),
          },
        ]
      : [];
  const taggedStandIns = [
    ...tagged.flatMap(({ instance, tag }) =>
      standIn(instance.DBInstanceIdentifier, tag, standInHostOf(instance, scope.region, replicas)),
    ),
    ...taggedClusters.flatMap(({ cluster, tag }) =>
      standIn(cluster.DBClusterIdentifier, tag, replicaClusterHostOf(cluster, scope.region)),
    ),
    // A replica both tagged and named is said once, as tagged.
    ...namedUnplaced.filter(({ id }) => !tagged.some(({ instance }) => instance.DBInstanceIdentifier === id)),
  ];
  const otherEngines = reportOthers
    ? selectedOtherEngines(others.instances, others.clusters, policy.targets)
    : [];
  return { instances, clusters, taggedStandIns, cascading, otherEngines };
}

/**
 * Every PITR fact of one account x region: the selected databases ({@link listSelectedDatabases})
 * with their restore windows. Throws `CloudApiError` when a listing fails, so the scope is
 * reported as not evaluated rather than as empty.
 */
export async function collectRdsPitrFacts(
  rds: RDSClient,
  scope: RdsScope,
  policy: Policy,
  options: RdsListOptions = {},
): Promise<CollectedFacts<PitrFact>> {
  const lean = options.leanDecoding ?? true;
  const { pages, endpoint } = scopeReader(rds, scope, lean);
  const databases = listSelectedDatabases(rds, scope, policy, {
    ...options,
    globalSecondaries: true,
    otherEngines: true,
  });
  // The destinations of backup replication are known once the instances are listed; they are read
  // only when pitr.cross-region will judge them.
  const { clientIn } = options;
  const replicated =
    policy.pitr.requireCrossRegionBackup && clientIn
      ? databases.then(({ instances }) => readReplicatedBackups(instances, scope, clientIn, lean))
      : undefined;
  // Read once the clusters are listed, and only for a global member whose role they do not show.
  const roles = databases.then(({ clusters }) => readGlobalRoles(clusters, rds, scope, lean));
  // The copies of the clusters in other Regions, read there once the roles name each secondary's
  // primary, and only when pitr.cross-region will judge them.
  const copies =
    policy.pitr.requireCrossRegionBackup && clientIn
      ? Promise.all([databases, roles]).then(([{ clusters }, globalRoles]) =>
          readCopyClusters(clusters, globalRoles, scope, clientIn, lean),
        )
      : undefined;
  // Retained backups of deleted instances never cross the wire (status filter).
  const [
    { instances, clusters, taggedStandIns, cascading, otherEngines },
    backupListing,
    replicatedBackups,
    globalRoles,
    copyClusters,
  ] = await Promise.all([
    databases,
    readAllPages(
      'DescribeDBInstanceAutomatedBackups',
      scope,
      pages(
        'DescribeDBInstanceAutomatedBackups',
        DescribeDBInstanceAutomatedBackupsCommand,
        paginateDescribeDBInstanceAutomatedBackups,
        {
          Filters: [{ Name: 'status', Values: ['active', 'creating'] }],
        },
      ),
      { element: 'DBInstanceAutomatedBackups', items: (page) => page.DBInstanceAutomatedBackups },
      (backup) => backup.Status === 'active' || backup.Status === 'creating',
      endpoint,
    ).then(
      (backups) => ({ backups, failure: undefined }),
      // Only the windows need this listing: a refused or failed listing leaves them unknown, and
      // every other check (the lag from LatestRestorableTime included) is still judged.
      (error: unknown) => ({
        backups: [] as DBInstanceAutomatedBackup[],
        failure: { code: errorCode(error), message: describeError(error) },
      }),
    ),
    replicated,
    roles,
    copies,
  ]);
  const backupsByResource = indexAutomatedBackups(backupListing.backups, scope.region);
  const contradicted = contradictoryAutomatedBackups(backupListing.backups, scope.region);
  const facts: PitrFact[] = [
    ...instances.map((instance) =>
      rdsInstanceToFact(
        instance,
        instance.DbiResourceId ? backupsByResource.get(instance.DbiResourceId) : undefined,
        scope,
        backupListing.failure ??
          (instance.DbiResourceId ? contradicted.get(instance.DbiResourceId) : undefined),
        replicatedBackups?.get(instance),
        selectedInstanceStandInGroups(instance, cascading),
      ),
    ),
    ...clusters.map((cluster) =>
      auroraClusterToFact(cluster, scope, globalRoles, copyClusters?.get(cluster)),
    ),
  ];
  return Object.assign(
    facts,
    taggedStandIns.length > 0 ? { taggedStandIns } : {},
    otherEngines.length > 0 ? { otherEngines } : {},
  );
}

/**
 * The `pitr` group's AWS collector: one (account, region) scope's RDS and Aurora facts; and, once
 * every scope is read, the look-up of the names no listing answered to ({@link lookUpRdsNames}).
 */
export const rdsPitrCollector: AwsCollector = Object.assign(
  ({ factory, account, region, policy }: AwsScopeReader) =>
    collectRdsPitrFacts(
      factory.client(RDSClient, region, account),
      { account: account.accountId, region },
      policy,
      { clientIn: (destination) => factory.client(RDSClient, destination, account) },
    ),
  { lookUpNames: lookUpRdsNamesOf },
);

/**
 * The audit's {@link lookUpRdsNames} in the scope a reader reads. A policy selecting by tag lists
 * every engine ({@link listSelectedDatabases}), whose listings already named each database of
 * another engine a name selects: nothing is asked then (`[]`, no call).
 */
export async function lookUpRdsNamesOf(
  { factory, account, region, policy }: AwsScopeReader,
  names: readonly string[],
): Promise<SelectedOtherEngine[]> {
  if (policy.targets.all || policy.targets.tags.length > 0) return [];
  return lookUpRdsNames(
    factory.client(RDSClient, region, account),
    { account: account.accountId, region },
    policy.targets,
    names,
  );
}
