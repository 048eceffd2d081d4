/**
 * Simulated Amazon RDS (query protocol, API version 2014-10-31): DescribeDBInstances,
 * DescribeDBClusters, DescribeDBInstanceAutomatedBackups and DescribeGlobalClusters with `MaxRecords`/`Marker` paging and
 * filters, answering in the XML shapes `@aws-sdk/client-rds` parses (member and list names from the
 * RDS service model, botocore `rds/2014-10-31/service-2.json`, which the SDK is generated from).
 *
 * Resources belong to (account, region): a request sees only its caller account's resources in its
 * signing region. Each (account, region) bucket keeps its lists sorted and indexed by identifier,
 * so a page is a slice and an identifier filter a map look-up, whatever the fleet size.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { type ScenarioIssue, scenarioError } from '../errors.ts';
import type { InjectedFailure } from '../faults.ts';
import {
  compileXml,
  isQueryCall,
  QueryApiError,
  type QueryFilter,
  queryAuthError,
  queryError,
  queryFilters,
  queryParams,
  queryResult,
  renderTemplate,
  XmlLater,
  XmlList,
  XmlRaw,
  type XmlStructure,
  type XmlTemplate,
} from '../protocols/aws-query.ts';
import type { Scenario } from '../scenario.ts';
import {
  accountIdSchema,
  latestOf,
  regionSchema,
  relativeTime,
  type SimTime,
  simTimeSchema,
  tagsSchema,
} from '../scenario-fields.ts';
import type { SimContext, SimRequest, SimResponse, SimService } from '../service.ts';
import { awsManagedKeyArn } from './kms.ts';
import { RdsSnapshotSim, rdsSnapshotsSectionSchema } from './rds-snapshots.ts';

export const RDS_API_VERSION = '2014-10-31';
const NAMESPACE = 'http://rds.amazonaws.com/doc/2014-10-31/';
const DAY_MS = 86_400_000;
/** RDS ships transaction logs about every 5 minutes; a healthy LatestRestorableTime trails by less. */
const DEFAULT_RESTORE_LAG = '-4m';
/** MaxRecords: minimum 20, maximum 100, default 100 (RDS API reference, all Describe* calls). */
const MIN_RECORDS = 20;
const MAX_RECORDS = 100;
const DEFAULT_ENGINE_VERSION: Readonly<Record<string, string>> = {
  postgres: '16.4',
  'aurora-postgresql': '16.4',
};

/** RDS identifiers: a letter first, letters, digits and single hyphens, no trailing hyphen; stored lowercase. */
const identifierSchema = z
  .string()
  .regex(
    /^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$/,
    'must be an RDS identifier: a letter first, then letters, digits or single hyphens (at most 63, no trailing hyphen)',
  )
  .transform((id) => id.toLowerCase());

const backupWindowSchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'must be hh24:mi-hh24:mi in UTC')
  .default('03:00-03:30');

/**
 * The earliest restorable time of an RDS DB instance: its oldest retained automated daily snapshot,
 * taken at the start of the backup window each day and kept `retention` days, so between
 * `retention - 1` and `retention` days back (a point-in-time restore starts from a daily snapshot;
 * moto #5634: on AWS EarliestRestorableTime depends on the retention, the backup window and the
 * oldest snapshot). Aurora clusters back up continuously and keep the full retention.
 */
function oldestDailySnapshot(retention: number, backupWindow: string): SimTime {
  const [hours = 0, minutes = 0] = backupWindow.slice(0, 5).split(':').map(Number);
  const offsetMs = (hours * 60 + minutes) * 60_000;
  return {
    text: `oldest of ${retention} daily snapshots at ${backupWindow.slice(0, 5)} UTC`,
    at: (now) => {
      const start = now.getTime() - retention * DAY_MS;
      const sameDay = Math.floor(start / DAY_MS) * DAY_MS + offsetMs;
      return new Date(sameDay >= start ? sameDay : sameDay + DAY_MS);
    },
  };
}

/** `true` derives an AWS Backup continuous recovery point ARN; a string is used as is. */
const awsBackupSchema = z.union([z.string().startsWith('arn:'), z.literal(true)]).optional();

const instanceSchema = z.strictObject({
  id: identifierSchema,
  /** Defaults to the scenario's first account. */
  account: accountIdSchema.optional(),
  region: regionSchema,
  engine: z.string().default('postgres'),
  engineVersion: z.string().optional(),
  instanceClass: z.string().default('db.t4g.medium'),
  status: z.string().default('available'),
  createdAt: simTimeSchema.prefault('-400d'),
  /** 0–35; 0 turns automated backups off. Defaults to 7, 0 for read replicas, the cluster's for members. */
  backupRetentionPeriod: z.int().min(0).max(35).optional(),
  /**
   * A retention change accepted but not applied yet (`PendingModifiedValues.BackupRetentionPeriod`:
   * a change to or from 0 waits for the maintenance window unless applied immediately).
   */
  pendingBackupRetentionPeriod: z.int().min(0).max(35).optional(),
  /**
   * Start of the restore window of the derived automated backup. Default: the oldest retained daily
   * snapshot, taken at the start of `preferredBackupWindow`, so between retention - 1 and retention
   * days back depending on the time of day (or the creation time, whichever is later).
   */
  earliestRestorableTime: simTimeSchema.optional(),
  /** Default: a few minutes ago when backups are on. */
  latestRestorableTime: simTimeSchema.optional(),
  preferredBackupWindow: backupWindowSchema,
  deletionProtection: z.boolean().default(true),
  storageEncrypted: z.boolean().default(true),
  kmsKeyId: z.string().optional(),
  /** Aurora member: the cluster it belongs to (same account and region). */
  dbClusterIdentifier: identifierSchema.optional(),
  clusterWriter: z.boolean().default(false),
  /** Read replica of this instance (identifier in the same account, or ARN). */
  readReplicaSource: z.string().min(1).optional(),
  /** Read replica of this cluster (identifier or ARN, shown as given). */
  readReplicaSourceCluster: z.string().min(1).optional(),
  /**
   * Regions the automated backups are replicated to (cross-region backup replication): a region, or
   * a region with the replica's own `backupRetentionPeriod` (set when its replication starts, 1–35;
   * default: the source's) and `startedAt` (default: as old as the source's window). The replica's
   * window starts at the latest of the source's earliest restorable time, the replication's start and
   * the oldest daily snapshot its retention keeps.
   */
  backupReplications: z
    .array(
      z.union([
        regionSchema,
        z.strictObject({
          region: regionSchema,
          backupRetentionPeriod: z.int().min(1).max(35).optional(),
          startedAt: simTimeSchema.optional(),
        }),
      ]),
    )
    .default([]),
  awsBackupRecoveryPointArn: awsBackupSchema,
  /** false: no automated backup is derived even though retention is on (e.g. listed explicitly). */
  automatedBackup: z.boolean().default(true),
  dbiResourceId: z.string().optional(),
  tags: tagsSchema,
});

const clusterMemberSchema = z.strictObject({
  id: identifierSchema,
  writer: z.boolean().default(false),
  instanceClass: z.string().default('db.r6g.large'),
  /** Default: the cluster's tags. */
  tags: z.record(z.string().min(1).max(128), z.string().max(256)).optional(),
});

const clusterSchema = z.strictObject({
  id: identifierSchema,
  account: accountIdSchema.optional(),
  region: regionSchema,
  engine: z.string().default('aurora-postgresql'),
  engineVersion: z.string().optional(),
  /**
   * `EngineMode` (RDS API reference, CreateDBCluster): `serverless` is Aurora Serverless v1,
   * `provisioned` also Serverless v2 and Multi-AZ DB clusters.
   */
  engineMode: z
    .enum(['provisioned', 'serverless', 'parallelquery', 'global', 'multimaster'])
    .default('provisioned'),
  status: z.string().default('available'),
  createdAt: simTimeSchema.prefault('-400d'),
  /** 1–35 for clusters. */
  backupRetentionPeriod: z.int().min(1).max(35).default(7),
  /**
   * Default: retention days back (or the creation time, whichever is later): Aurora backs up
   * continuously, so its window does not move with the backup window. `null`: the answer
   * leaves EarliestRestorableTime out (the RDS model makes it optional).
   */
  earliestRestorableTime: simTimeSchema.nullable().optional(),
  /** Default: a few minutes ago. `null`: the answer leaves LatestRestorableTime out. */
  latestRestorableTime: simTimeSchema.nullable().prefault(DEFAULT_RESTORE_LAG),
  preferredBackupWindow: backupWindowSchema,
  deletionProtection: z.boolean().default(true),
  storageEncrypted: z.boolean().default(true),
  kmsKeyId: z.string().optional(),
  /** ARN of the source cluster of a cross-region replica. */
  replicationSourceIdentifier: z.string().optional(),
  /** ARNs of its cross-region read replica clusters (`ReadReplicaIdentifiers`). */
  readReplicaIdentifiers: z.array(z.string()).default([]),
  /** The global database it belongs to (`GlobalClusterIdentifier`). */
  globalClusterIdentifier: z.string().optional(),
  /**
   * Makes this cluster a secondary of the Aurora global database whose primary is this cluster (same
   * account, another region, with `globalClusterIdentifier`): DescribeDBClusters then sends the
   * primary's GlobalClusterIdentifier and the primary's ARN as ReplicationSourceIdentifier, as RDS
   * does for a secondary (functions/aws/rds.ts, `globalSecondaryOf`, has the sources). A secondary is
   * made up entirely of reader instances. The primary's ReadReplicaIdentifiers are left as written.
   */
  globalSecondaryOf: identifierSchema.optional(),
  /**
   * `IsWriter` of this member in DescribeGlobalClusters: by default true unless DescribeDBClusters
   * sends its ReplicationSourceIdentifier (a secondary); false for a headless secondary, whose source
   * DescribeDBClusters leaves out; null leaves it out of DescribeGlobalClusters (a member being
   * attached or detached).
   */
  globalWriter: z.boolean().nullable().optional(),
  awsBackupRecoveryPointArn: awsBackupSchema,
  dbClusterResourceId: z.string().optional(),
  /** The member instances, created with the cluster (or list instances with `dbClusterIdentifier`). */
  members: z.array(clusterMemberSchema).default([]),
  tags: tagsSchema,
});

const automatedBackupSchema = z.strictObject({
  instanceId: identifierSchema,
  account: accountIdSchema.optional(),
  /** Where the backup is listed. */
  region: regionSchema,
  /** The `Region` field: where the instance lives (default: `region`). */
  sourceRegion: regionSchema.optional(),
  status: z.enum(['active', 'retained', 'creating', 'replicating']).default('retained'),
  engine: z.string().default('postgres'),
  engineVersion: z.string().optional(),
  backupRetentionPeriod: z.int().min(0).max(35).default(7),
  restoreWindow: z.strictObject({ earliest: simTimeSchema, latest: simTimeSchema }).optional(),
  instanceCreateTime: simTimeSchema.prefault('-400d'),
  encrypted: z.boolean().default(true),
  kmsKeyId: z.string().optional(),
  dbiResourceId: z.string().optional(),
  arn: z.string().startsWith('arn:').optional(),
});

/** The `services.rds` scenario section. */
export const rdsSectionSchema = z.strictObject({
  instances: z.array(instanceSchema).default([]),
  clusters: z.array(clusterSchema).default([]),
  /** Listed explicitly (retained backups of deleted instances, odd windows); others are derived. */
  automatedBackups: z.array(automatedBackupSchema).default([]),
  /** Manual snapshots, their timing and failures, the quota and pending maintenance (rds-snapshots.ts). */
  snapshots: rdsSnapshotsSectionSchema.prefault({}),
});

export type RdsSectionInput = z.input<typeof rdsSectionSchema>;
export type RdsInstanceInput = z.input<typeof instanceSchema>;
export type RdsClusterInput = z.input<typeof clusterSchema>;
export type RdsAutomatedBackupInput = z.input<typeof automatedBackupSchema>;
type RdsSection = z.output<typeof rdsSectionSchema>;
type InstanceSpec = z.output<typeof instanceSchema>;
type ClusterSpec = z.output<typeof clusterSchema>;
type BackupSpec = z.output<typeof automatedBackupSchema>;

/** A DB instance as the simulator serves it. */
export interface RdsInstance {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly arn: string;
  readonly dbiResourceId: string;
  readonly engine: string;
  readonly engineVersion: string;
  readonly instanceClass: string;
  readonly status: string;
  readonly createdAt: SimTime;
  readonly backupRetentionPeriod: number;
  readonly pendingBackupRetentionPeriod: number | undefined;
  readonly earliestRestorableTime: SimTime | undefined;
  readonly latestRestorableTime: SimTime | undefined;
  readonly preferredBackupWindow: string;
  readonly deletionProtection: boolean;
  readonly storageEncrypted: boolean;
  readonly kmsKeyId: string | undefined;
  readonly dbClusterIdentifier: string | undefined;
  readonly clusterWriter: boolean;
  readReplicaSourceDBInstanceIdentifier: string | undefined;
  readonly readReplicaSourceDBClusterIdentifier: string | undefined;
  readonly readReplicaDBInstanceIdentifiers: string[];
  /** Its read replica clusters in the same region (`ReadReplicaDBClusterIdentifiers`). */
  readonly readReplicaDBClusterIdentifiers: string[];
  readonly backupReplicationArns: string[];
  readonly awsBackupRecoveryPointArn: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

/** An Aurora DB cluster as the simulator serves it. */
export interface RdsCluster {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly arn: string;
  readonly resourceId: string;
  readonly engine: string;
  readonly engineVersion: string;
  readonly engineMode: string;
  readonly status: string;
  readonly createdAt: SimTime;
  readonly backupRetentionPeriod: number;
  /** Undefined when the answer leaves it out. */
  readonly earliestRestorableTime: SimTime | undefined;
  readonly latestRestorableTime: SimTime | undefined;
  readonly preferredBackupWindow: string;
  readonly deletionProtection: boolean;
  readonly storageEncrypted: boolean;
  readonly kmsKeyId: string | undefined;
  /** Set from the spec, or for a global secondary from its primary once every cluster is placed. */
  replicationSourceIdentifier: string | undefined;
  readonly readReplicaIdentifiers: readonly string[];
  globalClusterIdentifier: string | undefined;
  /** As the spec's `globalWriter` (DescribeGlobalClusters resolves the default). */
  readonly globalWriter: boolean | null | undefined;
  readonly awsBackupRecoveryPointArn: string | undefined;
  readonly members: { id: string; writer: boolean }[];
  readonly tags: Readonly<Record<string, string>>;
}

/** A global database as DescribeGlobalClusters serves it. */
export interface SimGlobalCluster {
  readonly id: string;
  readonly account: string;
  readonly members: readonly { readonly arn: string; readonly writer: boolean }[];
}

/** An entry of DescribeDBInstanceAutomatedBackups. */
export interface RdsAutomatedBackup {
  readonly arn: string;
  readonly account: string;
  /** The region it is listed in. */
  readonly region: string;
  /** The `Region` field: the instance's region. */
  readonly sourceRegion: string;
  readonly instanceId: string;
  readonly instanceArn: string;
  readonly dbiResourceId: string;
  /** `replicating` for a replica of another Region's backups (the AWS CLI example of describe-db-instance-automated-backups). */
  readonly status: 'active' | 'retained' | 'creating' | 'replicating';
  readonly engine: string;
  readonly engineVersion: string;
  readonly backupRetentionPeriod: number;
  readonly earliestTime: SimTime | undefined;
  readonly latestTime: SimTime | undefined;
  readonly instanceCreateTime: SimTime;
  readonly encrypted: boolean;
  readonly kmsKeyId: string | undefined;
  readonly preferredBackupWindow: string | undefined;
  readonly replicationArns: readonly string[];
}

interface RdsBucket {
  readonly instances: RdsInstance[];
  readonly instanceById: Map<string, RdsInstance>;
  readonly clusters: RdsCluster[];
  readonly clusterById: Map<string, RdsCluster>;
  readonly backups: RdsAutomatedBackup[];
}

const EMPTY_BUCKET: RdsBucket = {
  instances: [],
  instanceById: new Map(),
  clusters: [],
  clusterById: new Map(),
  backups: [],
};

/** Deterministic id material: the same scenario always gets the same resource ids and ARNs. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32(bytes: Buffer, length: number): string {
  let out = '';
  for (let index = 0; index < length; index += 1) out += BASE32[(bytes[index] ?? 0) % 32];
  return out;
}

function hexUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The resource id RDS gives a DB instance (`DbiResourceId`) or cluster (`DbClusterResourceId`): stable
 * for the database, new when a database of the same identifier is created again (`incarnation` 1 and
 * up; 0 the scenario's own), derived so the same scenario always gets the same ids. Snapshots keep
 * the id of the database they were taken of (rds-snapshots.ts).
 */
export function derivedResourceId(
  kind: 'instance' | 'cluster',
  place: { readonly account: string; readonly region: string; readonly id: string },
  incarnation: number | 'earlier' = 0,
): string {
  const base = `${kind === 'instance' ? 'db' : 'cluster'}/${place.account}/${place.region}/${place.id.toLowerCase()}`;
  const material = incarnation === 0 ? base : `${base}#${incarnation}`;
  return `${kind === 'instance' ? 'db' : 'cluster'}-${base32(digest(material), 26)}`;
}

/** The key RDS encrypts with when none is given: the account's AWS-managed `aws/rds` key of the region. */
function defaultKmsKey(account: string, region: string): string {
  return awsManagedKeyArn(account, region, 'rds');
}

function bucketKey(account: string, region: string): string {
  return `${account}/${region}`;
}

function byId<T extends { id: string }>(a: T, b: T): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Parses `arn:aws:rds:<region>:<account>:<kind>:<id>`. */
function parseRdsArn(arn: string): { region: string; account: string; kind: string; id: string } | undefined {
  const parts = arn.split(':');
  if (parts.length !== 7 || parts[0] !== 'arn' || parts[2] !== 'rds') return undefined;
  const [, , , region, account, kind, id] = parts;
  if (!region || !account || !kind || !id) return undefined;
  return { region, account, kind, id: id.toLowerCase() };
}

/**
 * The simulator's RDS state, built from the scenario section. Tests may change it through
 * `putInstance`, `putCluster`, `putAutomatedBackup` and `remove*`; every change re-derives the
 * indexes (cheap enough for tests, never done per request).
 */
export class RdsStore {
  readonly #scenario: Scenario;
  readonly #defaultAccount: string;
  #section: RdsSection;
  #buckets = new Map<string, RdsBucket>();

  constructor(section: RdsSection, scenario: Scenario) {
    this.#scenario = scenario;
    this.#defaultAccount = scenario.accounts[0]?.id ?? '111111111111';
    this.#section = section;
    this.#rebuild();
  }

  instances(account: string, region: string): readonly RdsInstance[] {
    return this.#bucket(account, region).instances;
  }

  clusters(account: string, region: string): readonly RdsCluster[] {
    return this.#bucket(account, region).clusters;
  }

  automatedBackups(account: string, region: string): readonly RdsAutomatedBackup[] {
    return this.#bucket(account, region).backups;
  }

  /**
   * The global databases with a member in (account, region), each with its members in every Region
   * of the account, sorted by identifier (DescribeGlobalClusters). A global database none of whose
   * members is listed is left out.
   */
  globalClusters(account: string, region: string): readonly SimGlobalCluster[] {
    const here = new Set(this.clusters(account, region).map((cluster) => cluster.globalClusterIdentifier));
    const members = new Map<string, { arn: string; writer: boolean }[]>();
    for (const bucket of this.#buckets.values()) {
      for (const cluster of bucket.clusters) {
        const id = cluster.globalClusterIdentifier;
        if (cluster.account !== account || id === undefined || !here.has(id) || cluster.globalWriter === null)
          continue;
        const writer = cluster.globalWriter ?? cluster.replicationSourceIdentifier === undefined;
        members.set(id, [...(members.get(id) ?? []), { arn: cluster.arn, writer }]);
      }
    }
    return [...members.keys()].sort().map((id) => ({ id, account, members: members.get(id) ?? [] }));
  }

  instance(account: string, region: string, id: string): RdsInstance | undefined {
    return this.#bucket(account, region).instanceById.get(id.toLowerCase());
  }

  cluster(account: string, region: string, id: string): RdsCluster | undefined {
    return this.#bucket(account, region).clusterById.get(id.toLowerCase());
  }

  /**
   * Adds an instance, or replaces the one with the same (account, region, id). One put after that
   * identifier was removed is a new database, with a new `DbiResourceId` (unless the input names one).
   */
  putInstance(input: RdsInstanceInput): void {
    const parsed = instanceSchema.parse(input);
    const spec = { ...parsed, dbiResourceId: parsed.dbiResourceId ?? this.#recreatedId('instance', parsed) };
    const instances = this.#section.instances.filter((other) => !this.#sameResource(other, spec));
    this.#replace({ ...this.#section, instances: [...instances, spec] });
  }

  /** As {@link putInstance}: a cluster put after its identifier was removed gets a new `DbClusterResourceId`. */
  putCluster(input: RdsClusterInput): void {
    const parsed = clusterSchema.parse(input);
    const spec = {
      ...parsed,
      dbClusterResourceId: parsed.dbClusterResourceId ?? this.#recreatedId('cluster', parsed),
    };
    const clusters = this.#section.clusters.filter((other) => !this.#sameResource(other, spec));
    this.#replace({ ...this.#section, clusters: [...clusters, spec] });
  }

  /** How many times each (kind, account, region, id) was removed: the incarnation a new put starts. */
  readonly #removals = new Map<string, number>();

  #removalKey(kind: 'instance' | 'cluster', account: string, region: string, id: string): string {
    return `${kind}/${account}/${region}/${id.toLowerCase()}`;
  }

  #recreatedId(
    kind: 'instance' | 'cluster',
    spec: { readonly id: string; readonly account?: string | undefined; readonly region: string },
  ): string | undefined {
    const account = spec.account ?? this.#defaultAccount;
    const incarnation = this.#removals.get(this.#removalKey(kind, account, spec.region, spec.id)) ?? 0;
    return incarnation === 0
      ? undefined
      : derivedResourceId(kind, { account, region: spec.region, id: spec.id }, incarnation);
  }

  putAutomatedBackup(input: RdsAutomatedBackupInput): void {
    const spec = automatedBackupSchema.parse(input);
    this.#replace({ ...this.#section, automatedBackups: [...this.#section.automatedBackups, spec] });
  }

  /**
   * Deletes the instance `input` names and creates it again under the same identifier: a new
   * database (a new `DbiResourceId`) that keeps the name, ARN and the earlier one's snapshots.
   */
  recreateInstance(input: RdsInstanceInput): void {
    const { account, region, id } = instanceSchema.parse(input);
    this.removeInstance(account ?? this.#defaultAccount, region, id);
    this.putInstance(input);
  }

  removeInstance(account: string, region: string, id: string): void {
    const target = { id: id.toLowerCase(), account, region };
    const removal = this.#removalKey('instance', account, region, id);
    this.#removals.set(removal, (this.#removals.get(removal) ?? 0) + 1);
    this.#replace({
      ...this.#section,
      instances: this.#section.instances.filter((other) => !this.#sameResource(other, target)),
    });
  }

  removeCluster(account: string, region: string, id: string): void {
    const target = { id: id.toLowerCase(), account, region };
    const removal = this.#removalKey('cluster', account, region, id);
    this.#removals.set(removal, (this.#removals.get(removal) ?? 0) + 1);
    this.#replace({
      ...this.#section,
      clusters: this.#section.clusters.filter((other) => !this.#sameResource(other, target)),
    });
  }

  #sameResource(
    a: { id: string; account?: string | undefined; region: string },
    b: { id: string; account?: string | undefined; region: string },
  ): boolean {
    return (
      a.id === b.id &&
      a.region === b.region &&
      (a.account ?? this.#defaultAccount) === (b.account ?? this.#defaultAccount)
    );
  }

  #replace(section: RdsSection): void {
    const previous = this.#section;
    this.#section = section;
    try {
      this.#rebuild();
    } catch (error) {
      this.#section = previous;
      throw error;
    }
  }

  #bucket(account: string, region: string): RdsBucket {
    return this.#buckets.get(bucketKey(account, region)) ?? EMPTY_BUCKET;
  }

  #rebuild(): void {
    const issues: ScenarioIssue[] = [];
    const buckets = new Map<string, RdsBucket>();
    const accounts = new Set(this.#scenario.accounts.map((account) => account.id));
    const regions = new Set(this.#scenario.regions.map((region) => region.name));
    const bucketFor = (account: string, region: string): RdsBucket => {
      const key = bucketKey(account, region);
      let bucket = buckets.get(key);
      if (!bucket) {
        bucket = {
          instances: [],
          instanceById: new Map(),
          clusters: [],
          clusterById: new Map(),
          backups: [],
        };
        buckets.set(key, bucket);
      }
      return bucket;
    };
    const checkPlace = (path: string, account: string, region: string): boolean => {
      let ok = true;
      if (!accounts.has(account)) {
        issues.push({
          path: `${path}.account`,
          message: `account ${account} is not in the scenario's accounts`,
        });
        ok = false;
      }
      if (!regions.has(region)) {
        issues.push({ path: `${path}.region`, message: `region ${region} is not in the scenario's regions` });
        ok = false;
      }
      return ok;
    };

    const clusterSpecs = new Map<RdsCluster, { spec: ClusterSpec; index: number }>();
    this.#section.clusters.forEach((spec, index) => {
      const path = `services.rds.clusters.${index}`;
      const account = spec.account ?? this.#defaultAccount;
      if (!checkPlace(path, account, spec.region)) return;
      const bucket = bucketFor(account, spec.region);
      if (bucket.clusterById.has(spec.id)) {
        issues.push({
          path: `${path}.id`,
          message: `cluster ${spec.id} is listed twice in ${account}/${spec.region}`,
        });
        return;
      }
      const cluster = this.#cluster(spec, account);
      bucket.clusters.push(cluster);
      bucket.clusterById.set(cluster.id, cluster);
      clusterSpecs.set(cluster, { spec, index });
    });

    for (const [cluster, { spec, index }] of clusterSpecs) {
      if (spec.globalSecondaryOf === undefined) continue;
      const path = `services.rds.clusters.${index}`;
      const problem = this.#joinGlobalDatabase(cluster, spec, buckets);
      if (problem) issues.push({ path: `${path}.${problem.field}`, message: problem.message });
    }

    // Members listed under a cluster become instances, so both lists describe the same fleet.
    const instanceSpecs: { spec: InstanceSpec; path: string }[] = this.#section.instances.map(
      (spec, index) => ({
        spec,
        path: `services.rds.instances.${index}`,
      }),
    );
    for (const [cluster, { spec, index: clusterIndex }] of clusterSpecs) {
      spec.members.forEach((member, index) => {
        instanceSpecs.push({
          path: `services.rds.clusters.${clusterIndex}.members.${index}`,
          spec: instanceSchema.parse({
            id: member.id,
            account: cluster.account,
            region: cluster.region,
            engine: cluster.engine,
            engineVersion: cluster.engineVersion,
            instanceClass: member.instanceClass,
            status: cluster.status,
            dbClusterIdentifier: cluster.id,
            clusterWriter: member.writer,
            storageEncrypted: cluster.storageEncrypted,
            deletionProtection: cluster.deletionProtection,
            ...(cluster.kmsKeyId ? { kmsKeyId: cluster.kmsKeyId } : {}),
            tags: member.tags ?? cluster.tags,
          }),
        });
      });
    }

    const placed: { instance: RdsInstance; spec: InstanceSpec; path: string }[] = [];
    for (const { spec, path } of instanceSpecs) {
      const account = spec.account ?? this.#defaultAccount;
      if (!checkPlace(path, account, spec.region)) continue;
      const bucket = bucketFor(account, spec.region);
      if (bucket.instanceById.has(spec.id)) {
        issues.push({
          path: `${path}.id`,
          message: `instance ${spec.id} is listed twice in ${account}/${spec.region}`,
        });
        continue;
      }
      let cluster: RdsCluster | undefined;
      if (spec.dbClusterIdentifier) {
        cluster = bucket.clusterById.get(spec.dbClusterIdentifier);
        if (!cluster) {
          issues.push({
            path: `${path}.dbClusterIdentifier`,
            message: `cluster ${spec.dbClusterIdentifier} is not in ${account}/${spec.region}`,
          });
          continue;
        }
      }
      const instance = this.#instance(spec, account, cluster);
      bucket.instances.push(instance);
      bucket.instanceById.set(instance.id, instance);
      if (cluster && !cluster.members.some((member) => member.id === instance.id)) {
        cluster.members.push({ id: instance.id, writer: spec.clusterWriter });
      }
      placed.push({ instance, spec, path });
    }

    for (const { instance, spec, path } of placed) {
      if (!spec.readReplicaSource) continue;
      const source = this.#findSource(buckets, spec.readReplicaSource, instance);
      if (!source) {
        issues.push({
          path: `${path}.readReplicaSource`,
          message: `read replica source ${spec.readReplicaSource} is not an instance of account ${instance.account}`,
        });
        continue;
      }
      const sameRegion = source.region === instance.region;
      instance.readReplicaSourceDBInstanceIdentifier = sameRegion ? source.id : source.arn;
      source.readReplicaDBInstanceIdentifiers.push(sameRegion ? instance.id : instance.arn);
    }

    // A cluster whose replicationSourceIdentifier is an instance of its region is that instance's
    // read replica cluster; RDS lists it on the instance ("This output doesn't contain information
    // about cross-Region Aurora read replicas", DBInstance.ReadReplicaDBClusterIdentifiers).
    for (const [cluster] of clusterSpecs) {
      const source = cluster.replicationSourceIdentifier;
      const instance = bucketFor(cluster.account, cluster.region).instances.find(({ arn }) => arn === source);
      instance?.readReplicaDBClusterIdentifiers.push(cluster.id);
    }

    const explicitBackups = new Set<string>();
    this.#section.automatedBackups.forEach((spec, index) => {
      const path = `services.rds.automatedBackups.${index}`;
      const account = spec.account ?? this.#defaultAccount;
      if (!checkPlace(path, account, spec.region)) return;
      const backup = this.#explicitBackup(spec, account);
      bucketFor(account, spec.region).backups.push(backup);
      explicitBackups.add(`${account}/${backup.sourceRegion}/${backup.instanceId}`);
    });

    for (const { instance, spec, path } of placed) {
      const derives =
        spec.automatedBackup &&
        instance.backupRetentionPeriod > 0 &&
        !instance.dbClusterIdentifier &&
        !explicitBackups.has(`${instance.account}/${instance.region}/${instance.id}`);
      if (!derives) continue;
      const replicas = spec.backupReplications.map((replication, index) => {
        const { region, backupRetentionPeriod, startedAt } =
          typeof replication === 'string' ? { region: replication } : replication;
        if (!regions.has(region)) {
          issues.push({
            path: `${path}.backupReplications.${index}`,
            message: `region ${region} is not in the scenario's regions`,
          });
        }
        return { region, arn: this.#backupArn(instance, region), backupRetentionPeriod, startedAt };
      });
      instance.backupReplicationArns.push(...replicas.map((replica) => replica.arn));
      bucketFor(instance.account, instance.region).backups.push(
        this.#derivedBackup(instance, instance.region, replicas),
      );
      for (const replica of replicas) {
        bucketFor(instance.account, replica.region).backups.push(this.#replicatedBackup(instance, replica));
      }
    }

    if (issues.length > 0) throw scenarioError('scenario section services.rds', undefined, issues);
    for (const bucket of buckets.values()) {
      bucket.instances.sort(byId);
      bucket.clusters.sort(byId);
      bucket.backups.sort(
        (a, b) => byId({ id: a.instanceId }, { id: b.instanceId }) || (a.arn < b.arn ? -1 : 1),
      );
    }
    this.#buckets = buckets;
  }

  /**
   * Makes `cluster` a secondary of the global database of its `globalSecondaryOf` primary, or says
   * what is wrong with the spec.
   */
  #joinGlobalDatabase(
    cluster: RdsCluster,
    spec: ClusterSpec,
    buckets: Map<string, RdsBucket>,
  ): { field: string; message: string } | undefined {
    const primaryId = spec.globalSecondaryOf;
    if (primaryId === undefined) return undefined;
    if (spec.replicationSourceIdentifier !== undefined || spec.globalClusterIdentifier !== undefined) {
      return {
        field: 'globalSecondaryOf',
        message:
          'a global secondary takes its replicationSourceIdentifier and globalClusterIdentifier from its primary: leave them out',
      };
    }
    const writer = spec.members.findIndex((member) => member.writer);
    if (writer >= 0) {
      return {
        field: `members.${writer}.writer`,
        message: 'a global secondary is made up entirely of reader instances: no member may be the writer',
      };
    }
    const primary = [...buckets.entries()]
      .filter(
        ([key]) =>
          key.startsWith(`${cluster.account}/`) && key !== bucketKey(cluster.account, cluster.region),
      )
      .map(([, bucket]) => bucket.clusterById.get(primaryId))
      .find((found) => found !== undefined);
    if (!primary) {
      return {
        field: 'globalSecondaryOf',
        message: `cluster ${primaryId} is not a cluster of account ${cluster.account} in another region`,
      };
    }
    if (primary.globalClusterIdentifier === undefined || primary.replicationSourceIdentifier !== undefined) {
      return {
        field: 'globalSecondaryOf',
        message: `cluster ${primaryId} is no global database primary: give it a globalClusterIdentifier (and no source)`,
      };
    }
    cluster.globalClusterIdentifier = primary.globalClusterIdentifier;
    cluster.replicationSourceIdentifier = primary.arn;
    return undefined;
  }

  #findSource(
    buckets: Map<string, RdsBucket>,
    source: string,
    replica: RdsInstance,
  ): RdsInstance | undefined {
    if (source.startsWith('arn:')) {
      const arn = parseRdsArn(source);
      if (arn?.kind !== 'db') return undefined;
      return buckets.get(bucketKey(arn.account, arn.region))?.instanceById.get(arn.id);
    }
    const id = source.toLowerCase();
    const local = buckets.get(bucketKey(replica.account, replica.region))?.instanceById.get(id);
    if (local) return local;
    for (const [key, bucket] of buckets) {
      if (key.startsWith(`${replica.account}/`) && bucket.instanceById.has(id))
        return bucket.instanceById.get(id);
    }
    return undefined;
  }

  #instance(spec: InstanceSpec, account: string, cluster: RdsCluster | undefined): RdsInstance {
    const member = cluster !== undefined;
    const replica = spec.readReplicaSource !== undefined || spec.readReplicaSourceCluster !== undefined;
    const retention = spec.backupRetentionPeriod ?? cluster?.backupRetentionPeriod ?? (replica ? 0 : 7);
    // Aurora members carry no restore times of their own: the cluster holds them.
    const backupsOn = retention > 0 && !member;
    // An instance still being created has no backup yet: no restore time by default (its automated
    // backup is `creating`, without RestoreWindow times).
    const restorable = backupsOn && spec.status !== 'creating';
    const latest =
      spec.latestRestorableTime ?? (restorable ? simTimeSchema.parse(DEFAULT_RESTORE_LAG) : undefined);
    const earliest =
      spec.earliestRestorableTime ??
      (restorable
        ? latestOf(spec.createdAt, oldestDailySnapshot(retention, spec.preferredBackupWindow))
        : undefined);
    return {
      id: spec.id,
      account,
      region: spec.region,
      arn: `arn:aws:rds:${spec.region}:${account}:db:${spec.id}`,
      dbiResourceId:
        spec.dbiResourceId ?? derivedResourceId('instance', { account, region: spec.region, id: spec.id }),
      engine: spec.engine,
      engineVersion: spec.engineVersion ?? DEFAULT_ENGINE_VERSION[spec.engine] ?? '16.4',
      instanceClass: spec.instanceClass,
      status: spec.status,
      createdAt: spec.createdAt,
      backupRetentionPeriod: retention,
      pendingBackupRetentionPeriod: spec.pendingBackupRetentionPeriod,
      earliestRestorableTime: backupsOn ? earliest : undefined,
      latestRestorableTime: backupsOn ? latest : undefined,
      preferredBackupWindow: spec.preferredBackupWindow,
      deletionProtection: spec.deletionProtection,
      storageEncrypted: spec.storageEncrypted,
      kmsKeyId: spec.storageEncrypted ? (spec.kmsKeyId ?? defaultKmsKey(account, spec.region)) : undefined,
      dbClusterIdentifier: cluster?.id,
      clusterWriter: spec.clusterWriter,
      readReplicaSourceDBInstanceIdentifier: undefined,
      readReplicaSourceDBClusterIdentifier: spec.readReplicaSourceCluster,
      readReplicaDBInstanceIdentifiers: [],
      readReplicaDBClusterIdentifiers: [],
      backupReplicationArns: [],
      awsBackupRecoveryPointArn: this.#recoveryPointArn(
        spec.awsBackupRecoveryPointArn,
        account,
        spec.region,
        spec.id,
      ),
      tags: spec.tags,
    };
  }

  #cluster(spec: ClusterSpec, account: string): RdsCluster {
    return {
      id: spec.id,
      account,
      region: spec.region,
      arn: `arn:aws:rds:${spec.region}:${account}:cluster:${spec.id}`,
      resourceId:
        spec.dbClusterResourceId ??
        derivedResourceId('cluster', { account, region: spec.region, id: spec.id }),
      engine: spec.engine,
      engineVersion: spec.engineVersion ?? DEFAULT_ENGINE_VERSION[spec.engine] ?? '16.4',
      engineMode: spec.engineMode,
      status: spec.status,
      createdAt: spec.createdAt,
      backupRetentionPeriod: spec.backupRetentionPeriod,
      earliestRestorableTime:
        spec.earliestRestorableTime === null
          ? undefined
          : (spec.earliestRestorableTime ??
            latestOf(
              spec.createdAt,
              relativeTime(-spec.backupRetentionPeriod * DAY_MS, `-${spec.backupRetentionPeriod}d`),
            )),
      latestRestorableTime: spec.latestRestorableTime ?? undefined,
      preferredBackupWindow: spec.preferredBackupWindow,
      deletionProtection: spec.deletionProtection,
      storageEncrypted: spec.storageEncrypted,
      kmsKeyId: spec.storageEncrypted ? (spec.kmsKeyId ?? defaultKmsKey(account, spec.region)) : undefined,
      replicationSourceIdentifier: spec.replicationSourceIdentifier,
      readReplicaIdentifiers: spec.readReplicaIdentifiers,
      globalClusterIdentifier: spec.globalClusterIdentifier,
      globalWriter: spec.globalWriter,
      awsBackupRecoveryPointArn: this.#recoveryPointArn(
        spec.awsBackupRecoveryPointArn,
        account,
        spec.region,
        spec.id,
      ),
      members: [],
      tags: spec.tags,
    };
  }

  #recoveryPointArn(
    value: string | true | undefined,
    account: string,
    region: string,
    id: string,
  ): string | undefined {
    if (value !== true) return value;
    const suffix = base32(digest(`backup/${account}/${region}/${id}`), 16).toLowerCase();
    return `arn:aws:backup:${region}:${account}:recovery-point:continuous:${id}-${suffix}`;
  }

  #backupArn(instance: { account: string; region: string; dbiResourceId: string }, listedIn: string): string {
    const suffix = base32(digest(`auto-backup/${instance.dbiResourceId}/${listedIn}`), 26).toLowerCase();
    return `arn:aws:rds:${listedIn}:${instance.account}:auto-backup:ab-${suffix}`;
  }

  #derivedBackup(
    instance: RdsInstance,
    listedIn: string,
    replicas: readonly { region: string; arn: string }[],
  ): RdsAutomatedBackup {
    return {
      arn: this.#backupArn(instance, listedIn),
      account: instance.account,
      region: listedIn,
      sourceRegion: instance.region,
      instanceId: instance.id,
      instanceArn: instance.arn,
      dbiResourceId: instance.dbiResourceId,
      status:
        listedIn !== instance.region ? 'replicating' : instance.status === 'creating' ? 'creating' : 'active',
      engine: instance.engine,
      engineVersion: instance.engineVersion,
      backupRetentionPeriod: instance.backupRetentionPeriod,
      earliestTime: instance.earliestRestorableTime,
      latestTime: instance.latestRestorableTime,
      instanceCreateTime: instance.createdAt,
      encrypted: instance.storageEncrypted,
      kmsKeyId: instance.storageEncrypted
        ? listedIn === instance.region
          ? instance.kmsKeyId
          : defaultKmsKey(instance.account, listedIn)
        : undefined,
      preferredBackupWindow: instance.preferredBackupWindow,
      replicationArns: replicas.map((replica) => replica.arn),
    };
  }

  /**
   * The copy a replication keeps in its destination: the source's backup with the replica's own
   * retention, and a window that starts no earlier than the replication did nor than that retention
   * keeps (the oldest of its daily snapshots, taken in the source's backup window).
   */
  #replicatedBackup(
    instance: RdsInstance,
    replica: {
      readonly region: string;
      readonly backupRetentionPeriod: number | undefined;
      readonly startedAt: SimTime | undefined;
    },
  ): RdsAutomatedBackup {
    const backup = this.#derivedBackup(instance, replica.region, []);
    const retention = replica.backupRetentionPeriod ?? instance.backupRetentionPeriod;
    const own = replica.backupRetentionPeriod !== undefined || replica.startedAt !== undefined;
    const earliest =
      own && backup.earliestTime
        ? latestOf(
            backup.earliestTime,
            oldestDailySnapshot(retention, instance.preferredBackupWindow),
            ...(replica.startedAt ? [replica.startedAt] : []),
          )
        : backup.earliestTime;
    return { ...backup, backupRetentionPeriod: retention, earliestTime: earliest };
  }

  #explicitBackup(spec: BackupSpec, account: string): RdsAutomatedBackup {
    const sourceRegion = spec.sourceRegion ?? spec.region;
    const dbiResourceId =
      spec.dbiResourceId ??
      derivedResourceId('instance', { account, region: sourceRegion, id: spec.instanceId });
    return {
      arn: spec.arn ?? this.#backupArn({ account, region: sourceRegion, dbiResourceId }, spec.region),
      account,
      region: spec.region,
      sourceRegion,
      instanceId: spec.instanceId,
      instanceArn: `arn:aws:rds:${sourceRegion}:${account}:db:${spec.instanceId}`,
      dbiResourceId,
      status: spec.status,
      engine: spec.engine,
      engineVersion: spec.engineVersion ?? DEFAULT_ENGINE_VERSION[spec.engine] ?? '16.4',
      backupRetentionPeriod: spec.backupRetentionPeriod,
      earliestTime: spec.restoreWindow?.earliest,
      latestTime: spec.restoreWindow?.latest,
      instanceCreateTime: spec.instanceCreateTime,
      encrypted: spec.encrypted,
      kmsKeyId: spec.encrypted ? (spec.kmsKeyId ?? defaultKmsKey(account, spec.region)) : undefined,
      preferredBackupWindow: undefined,
      replicationArns: [],
    };
  }
}

function invalidParameter(message: string): QueryApiError {
  return new QueryApiError(400, 'InvalidParameterValue', message);
}

/** Markers are opaque to callers; inside they carry the offset of the next page. */
function encodeMarker(offset: number): string {
  return Buffer.from(`sim-page:${offset}`).toString('base64url');
}

function decodeMarker(marker: string): number {
  const match = /^sim-page:(\d+)$/.exec(Buffer.from(marker, 'base64url').toString('utf8'));
  if (!match) throw invalidParameter(`The parameter Marker is not valid: ${marker}`);
  return Number(match[1]);
}

function pageOf<T>(
  items: readonly T[],
  params: URLSearchParams,
): { page: readonly T[]; marker: string | undefined } {
  const raw = params.get('MaxRecords');
  let maxRecords = MAX_RECORDS;
  if (raw !== null) {
    maxRecords = Number(raw);
    if (!Number.isInteger(maxRecords) || maxRecords < MIN_RECORDS || maxRecords > MAX_RECORDS) {
      throw invalidParameter(
        `Invalid value ${raw} for MaxRecords. Must be between ${MIN_RECORDS} and ${MAX_RECORDS}`,
      );
    }
  }
  const markerText = params.get('Marker');
  const offset = markerText ? decodeMarker(markerText) : 0;
  const end = offset + maxRecords;
  return { page: items.slice(offset, end), marker: end < items.length ? encodeMarker(end) : undefined };
}

function checkFilters(filters: readonly QueryFilter[], allowed: readonly string[]): void {
  for (const filter of filters) {
    if (!allowed.includes(filter.name)) {
      throw invalidParameter(
        `Unrecognized filter name: ${filter.name}. Valid filters: ${allowed.join(', ')}`,
      );
    }
    if (filter.values.length === 0)
      throw invalidParameter(`The filter ${filter.name} needs at least one value`);
  }
}

/** Identifier filter values may be identifiers or ARNs; both become lowercase identifiers. */
function identifierSet(values: readonly string[], kind: string): Set<string> {
  const ids = new Set<string>();
  for (const value of values) {
    if (value.startsWith('arn:')) {
      const arn = parseRdsArn(value);
      if (arn && arn.kind === kind) ids.add(arn.id);
    } else {
      ids.add(value.toLowerCase());
    }
  }
  return ids;
}

function tagList(tags: Readonly<Record<string, string>>): XmlList {
  return new XmlList(
    'Tag',
    Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  );
}

/** A time resolved against the simulator clock when the page is rendered. */
function at(time: SimTime | undefined): XmlLater | undefined {
  return time ? new XmlLater((now) => time.at(now)) : undefined;
}

/**
 * Each resource's XML is compiled once (the store makes new objects when it changes) and a page
 * is rendered by filling in the times: serving a large fleet costs string concatenation.
 */
const templates = new WeakMap<object, XmlTemplate>();
function renderResource<T extends object>(
  resource: T,
  toXml: (resource: T) => XmlStructure,
  now: Date,
): XmlRaw {
  let template = templates.get(resource);
  if (!template) {
    template = compileXml(toXml(resource));
    templates.set(resource, template);
  }
  return new XmlRaw(renderTemplate(template, now));
}

/** Deterministic per-resource identifiers for the fields the audit never reads (VPC, subnets, groups). */
function hexId(seed: string, length: number): string {
  return digest(seed).toString('hex').slice(0, length);
}

/** CA certificate the simulator reports (RDS default since 2024; valid 40 years from issue). */
const CA_CERTIFICATE = 'rds-ca-rsa2048-g1';
const CA_VALID_TILL = new Date('2061-05-21T22:30:00Z');

/**
 * What every real member carries besides the fields the audit reads (botocore rds model,
 * `DBInstance` and `DBCluster` shapes): endpoints, groups, subnets, pending changes, monitoring and
 * certificate details. A real DescribeDBInstances member is about 4.9 KB of XML with ~117 elements;
 * test/sim/rds-realism.test.ts holds the simulator near that, so benchmarks parse realistic pages.
 */
function vpcOf(account: string, region: string): { vpc: string; subnets: string[]; sg: string } {
  const seed = `${account}/${region}`;
  return {
    vpc: `vpc-${hexId(`vpc/${seed}`, 17)}`,
    subnets: ['a', 'b', 'c'].map((zone) => `subnet-${hexId(`subnet/${seed}/${zone}`, 17)}`),
    sg: `sg-${hexId(`sg/${seed}`, 17)}`,
  };
}

function subnetGroupXml(account: string, region: string): XmlStructure {
  const { vpc, subnets } = vpcOf(account, region);
  return {
    DBSubnetGroupName: 'certctl-db-subnets',
    DBSubnetGroupDescription: 'Private subnets for the certctl databases',
    VpcId: vpc,
    SubnetGroupStatus: 'Complete',
    Subnets: new XmlList(
      'Subnet',
      subnets.map((subnet, index) => ({
        SubnetIdentifier: subnet,
        SubnetAvailabilityZone: { Name: `${region}${'abc'[index]}` },
        SubnetOutpost: {},
        SubnetStatus: 'Active',
      })),
    ),
    SupportedNetworkTypes: new XmlList('member', ['IPV4']),
  };
}

function vpcSecurityGroupsXml(account: string, region: string): XmlList {
  return new XmlList('VpcSecurityGroupMembership', [
    { VpcSecurityGroupId: vpcOf(account, region).sg, Status: 'active' },
  ]);
}

function certificateDetailsXml(): XmlStructure {
  return { CAIdentifier: CA_CERTIFICATE, ValidTill: new XmlLater(() => CA_VALID_TILL) };
}

function masterUserSecretXml(
  account: string,
  region: string,
  id: string,
  kmsKeyId: string | undefined,
): XmlStructure {
  const suffix = base32(digest(`secret/${account}/${region}/${id}`), 6);
  return {
    SecretArn: `arn:aws:secretsmanager:${region}:${account}:secret:rds!db-${hexUuid(digest(`secret-id/${account}/${region}/${id}`))}-${suffix}`,
    SecretStatus: 'active',
    KmsKeyId: kmsKeyId ?? defaultKmsKey(account, region),
  };
}

export function instanceXml(instance: RdsInstance): XmlStructure {
  return {
    DBInstanceIdentifier: instance.id,
    DBInstanceClass: instance.instanceClass,
    Engine: instance.engine,
    DBInstanceStatus: instance.status,
    MasterUsername: 'certctl_admin',
    DBName: instance.dbClusterIdentifier ? undefined : 'certctl',
    Endpoint: {
      Address: `${instance.id}.${hexId(`endpoint/${instance.account}/${instance.region}`, 12)}.${instance.region}.rds.amazonaws.com`,
      Port: 5432,
      HostedZoneId: `Z${base32(digest(`zone/${instance.region}`), 13)}`,
    },
    AllocatedStorage: instance.dbClusterIdentifier ? 1 : 100,
    // Not sent while the instance is being created (boto3#805: CreateDBInstance's DBInstance has no
    // InstanceCreateTime; hortonworks/cloud-haunter#47: "the creation timestamp is empty for the DB
    // while it's in create in progress").
    InstanceCreateTime: instance.status === 'creating' ? undefined : at(instance.createdAt),
    PreferredBackupWindow: instance.preferredBackupWindow,
    BackupRetentionPeriod: instance.backupRetentionPeriod,
    DBSecurityGroups: new XmlList('DBSecurityGroup', []),
    VpcSecurityGroups: vpcSecurityGroupsXml(instance.account, instance.region),
    DBParameterGroups: new XmlList('DBParameterGroup', [
      { DBParameterGroupName: 'certctl-postgres16', ParameterApplyStatus: 'in-sync' },
    ]),
    AvailabilityZone: `${instance.region}a`,
    DBSubnetGroup: subnetGroupXml(instance.account, instance.region),
    PreferredMaintenanceWindow: 'sun:05:00-sun:05:30',
    PendingModifiedValues: { BackupRetentionPeriod: instance.pendingBackupRetentionPeriod },
    LatestRestorableTime: at(instance.latestRestorableTime),
    MultiAZ: false,
    EngineVersion: instance.engineVersion,
    AutoMinorVersionUpgrade: true,
    ReadReplicaSourceDBInstanceIdentifier: instance.readReplicaSourceDBInstanceIdentifier,
    ReadReplicaDBInstanceIdentifiers: new XmlList(
      'ReadReplicaDBInstanceIdentifier',
      instance.readReplicaDBInstanceIdentifiers,
    ),
    ReadReplicaSourceDBClusterIdentifier: instance.readReplicaSourceDBClusterIdentifier,
    ReadReplicaDBClusterIdentifiers: new XmlList(
      'ReadReplicaDBClusterIdentifier',
      instance.readReplicaDBClusterIdentifiers,
    ),
    LicenseModel: 'postgresql-license',
    Iops: 3000,
    StorageThroughput: 125,
    OptionGroupMemberships: new XmlList('OptionGroupMembership', [
      {
        OptionGroupName: `default:${instance.engine}-${instance.engineVersion.split('.')[0]}`,
        Status: 'in-sync',
      },
    ]),
    PubliclyAccessible: false,
    StorageType: 'gp3',
    DBClusterIdentifier: instance.dbClusterIdentifier,
    StorageEncrypted: instance.storageEncrypted,
    KmsKeyId: instance.kmsKeyId,
    DbiResourceId: instance.dbiResourceId,
    CACertificateIdentifier: CA_CERTIFICATE,
    DomainMemberships: new XmlList('DomainMembership', []),
    CopyTagsToSnapshot: true,
    MonitoringInterval: 60,
    MonitoringRoleArn: `arn:aws:iam::${instance.account}:role/rds-monitoring-role`,
    PromotionTier: instance.dbClusterIdentifier ? 1 : undefined,
    DBInstanceArn: instance.arn,
    IAMDatabaseAuthenticationEnabled: true,
    DatabaseInsightsMode: 'standard',
    PerformanceInsightsEnabled: true,
    PerformanceInsightsKMSKeyId: instance.kmsKeyId ?? defaultKmsKey(instance.account, instance.region),
    PerformanceInsightsRetentionPeriod: 7,
    EnabledCloudwatchLogsExports: new XmlList('member', ['postgresql', 'upgrade']),
    ProcessorFeatures: new XmlList('ProcessorFeature', []),
    DeletionProtection: instance.deletionProtection,
    AssociatedRoles: new XmlList('DBInstanceRole', []),
    MaxAllocatedStorage: instance.dbClusterIdentifier ? undefined : 1000,
    TagList: tagList(instance.tags),
    NetworkType: 'IPV4',
    ActivityStreamStatus: 'stopped',
    AwsBackupRecoveryPointArn: instance.awsBackupRecoveryPointArn,
    DBInstanceAutomatedBackupsReplications: new XmlList(
      'DBInstanceAutomatedBackupsReplication',
      instance.backupReplicationArns.map((arn) => ({ DBInstanceAutomatedBackupsArn: arn })),
    ),
    BackupTarget: 'region',
    CertificateDetails: certificateDetailsXml(),
    MasterUserSecret: instance.dbClusterIdentifier
      ? undefined
      : masterUserSecretXml(instance.account, instance.region, instance.id, instance.kmsKeyId),
    EngineLifecycleSupport: 'open-source-rds-extended-support',
  };
}

export function clusterXml(cluster: RdsCluster): XmlStructure {
  const endpointSuffix = `${hexId(`endpoint/${cluster.account}/${cluster.region}`, 12)}.${cluster.region}.rds.amazonaws.com`;
  return {
    AllocatedStorage: 1,
    AvailabilityZones: new XmlList(
      'AvailabilityZone',
      ['a', 'b', 'c'].map((zone) => `${cluster.region}${zone}`),
    ),
    BackupRetentionPeriod: cluster.backupRetentionPeriod,
    DatabaseName: 'certctl',
    DBClusterIdentifier: cluster.id,
    DBClusterParameterGroup: 'certctl-aurora-postgresql16',
    DBSubnetGroup: 'certctl-db-subnets',
    Status: cluster.status,
    EarliestRestorableTime: at(cluster.earliestRestorableTime),
    Engine: cluster.engine,
    EngineVersion: cluster.engineVersion,
    Endpoint: `${cluster.id}.cluster-${endpointSuffix}`,
    ReaderEndpoint: `${cluster.id}.cluster-ro-${endpointSuffix}`,
    CustomEndpoints: new XmlList('member', []),
    MultiAZ: cluster.members.length > 1,
    LatestRestorableTime: at(cluster.latestRestorableTime),
    Port: 5432,
    MasterUsername: 'certctl_admin',
    DBClusterOptionGroupMemberships: new XmlList('DBClusterOptionGroup', []),
    PreferredBackupWindow: cluster.preferredBackupWindow,
    PreferredMaintenanceWindow: 'sun:05:00-sun:05:30',
    ReplicationSourceIdentifier: cluster.replicationSourceIdentifier,
    ReadReplicaIdentifiers: new XmlList('ReadReplicaIdentifier', [...cluster.readReplicaIdentifiers]),
    GlobalClusterIdentifier: cluster.globalClusterIdentifier,
    DBClusterMembers: new XmlList(
      'DBClusterMember',
      cluster.members.map((member) => ({
        DBInstanceIdentifier: member.id,
        IsClusterWriter: member.writer,
        DBClusterParameterGroupStatus: 'in-sync',
        PromotionTier: 1,
      })),
    ),
    VpcSecurityGroups: vpcSecurityGroupsXml(cluster.account, cluster.region),
    HostedZoneId: `Z${base32(digest(`zone/${cluster.region}`), 13)}`,
    StorageEncrypted: cluster.storageEncrypted,
    KmsKeyId: cluster.kmsKeyId,
    DbClusterResourceId: cluster.resourceId,
    DBClusterArn: cluster.arn,
    AssociatedRoles: new XmlList('DBClusterRole', []),
    IAMDatabaseAuthenticationEnabled: true,
    ClusterCreateTime: at(cluster.createdAt),
    EnabledCloudwatchLogsExports: new XmlList('member', ['postgresql']),
    EngineMode: cluster.engineMode,
    StorageType: 'aurora',
    PubliclyAccessible: false,
    AutoMinorVersionUpgrade: true,
    DeletionProtection: cluster.deletionProtection,
    HttpEndpointEnabled: false,
    ActivityStreamStatus: 'stopped',
    CopyTagsToSnapshot: true,
    CrossAccountClone: false,
    DomainMemberships: new XmlList('DomainMembership', []),
    TagList: tagList(cluster.tags),
    NetworkType: 'IPV4',
    MonitoringInterval: 60,
    MonitoringRoleArn: `arn:aws:iam::${cluster.account}:role/rds-monitoring-role`,
    DatabaseInsightsMode: 'standard',
    PerformanceInsightsEnabled: true,
    PerformanceInsightsKMSKeyId: cluster.kmsKeyId ?? defaultKmsKey(cluster.account, cluster.region),
    PerformanceInsightsRetentionPeriod: 7,
    MasterUserSecret: masterUserSecretXml(cluster.account, cluster.region, cluster.id, cluster.kmsKeyId),
    AwsBackupRecoveryPointArn: cluster.awsBackupRecoveryPointArn,
    CertificateDetails: certificateDetailsXml(),
    EngineLifecycleSupport: 'open-source-rds-extended-support',
  };
}

function backupXml(backup: RdsAutomatedBackup): XmlStructure {
  return {
    DBInstanceArn: backup.instanceArn,
    DbiResourceId: backup.dbiResourceId,
    Region: backup.sourceRegion,
    DBInstanceIdentifier: backup.instanceId,
    RestoreWindow:
      backup.earliestTime || backup.latestTime
        ? { EarliestTime: at(backup.earliestTime), LatestTime: at(backup.latestTime) }
        : undefined,
    Status: backup.status,
    Engine: backup.engine,
    EngineVersion: backup.engineVersion,
    InstanceCreateTime: at(backup.instanceCreateTime),
    StorageType: 'gp3',
    Encrypted: backup.encrypted,
    KmsKeyId: backup.kmsKeyId,
    BackupRetentionPeriod: backup.backupRetentionPeriod,
    PreferredBackupWindow: backup.preferredBackupWindow,
    DBInstanceAutomatedBackupsArn: backup.arn,
    DBInstanceAutomatedBackupsReplications: new XmlList(
      'DBInstanceAutomatedBackupsReplication',
      backup.replicationArns.map((arn) => ({ DBInstanceAutomatedBackupsArn: arn })),
    ),
    BackupTarget: 'region',
  };
}

/** Filters other than the identifier look-ups, as predicates built once per request. */
function instanceFilter(filter: QueryFilter): (instance: RdsInstance) => boolean {
  const values = new Set(filter.values);
  switch (filter.name) {
    case 'db-instance-id': {
      const ids = identifierSet(filter.values, 'db');
      return (instance) => ids.has(instance.id);
    }
    case 'db-cluster-id': {
      const ids = identifierSet(filter.values, 'cluster');
      return (instance) =>
        instance.dbClusterIdentifier !== undefined && ids.has(instance.dbClusterIdentifier);
    }
    case 'dbi-resource-id':
      return (instance) => values.has(instance.dbiResourceId);
    default:
      return (instance) => values.has(instance.engine);
  }
}

function clusterFilter(filter: QueryFilter): (cluster: RdsCluster) => boolean {
  const values = new Set(filter.values);
  switch (filter.name) {
    case 'db-cluster-id': {
      const ids = identifierSet(filter.values, 'cluster');
      return (cluster) => ids.has(cluster.id);
    }
    case 'db-cluster-resource-id':
      return (cluster) => values.has(cluster.resourceId);
    default:
      return (cluster) => values.has(cluster.engine);
  }
}

function backupFilter(filter: QueryFilter): (backup: RdsAutomatedBackup) => boolean {
  const values = new Set(filter.values);
  switch (filter.name) {
    case 'db-instance-id': {
      const ids = identifierSet(filter.values, 'db');
      return (backup) => ids.has(backup.instanceId);
    }
    case 'dbi-resource-id':
      return (backup) => values.has(backup.dbiResourceId);
    default:
      return (backup) => values.has(backup.status);
  }
}

const INSTANCE_FILTERS = ['db-instance-id', 'db-cluster-id', 'dbi-resource-id', 'engine'] as const;
const CLUSTER_FILTERS = ['db-cluster-id', 'db-cluster-resource-id', 'engine'] as const;
const BACKUP_FILTERS = ['db-instance-id', 'dbi-resource-id', 'status'] as const;

/** Simulated RDS; `store` holds the state tests may inspect or change. */
export class RdsService implements SimService {
  readonly name = 'rds';
  readonly store: RdsStore;
  /** Manual snapshots and pending maintenance over the same store. */
  readonly snapshots: RdsSnapshotSim;
  readonly #context: SimContext;
  readonly #disabledRegions: ReadonlySet<string>;

  constructor(section: unknown, scenario: Scenario, context: SimContext) {
    const parsed = rdsSectionSchema.safeParse(section ?? {});
    if (!parsed.success) {
      throw scenarioError(
        'scenario section services.rds',
        undefined,
        parsed.error.issues.map((issue) => ({
          path: ['services', 'rds', ...issue.path.map(String)].join('.'),
          message: issue.message,
        })),
      );
    }
    this.store = new RdsStore(parsed.data, scenario);
    this.snapshots = new RdsSnapshotSim(
      parsed.data.snapshots,
      this.store,
      scenario.accounts[0]?.id ?? '111111111111',
      context.now(),
    );
    this.#context = context;
    this.#disabledRegions = new Set(
      scenario.regions.filter((region) => region.optStatus === 'DISABLED').map((region) => region.name),
    );
  }

  matches(request: SimRequest): boolean {
    return request.signingService === 'rds' || isQueryCall(request, RDS_API_VERSION);
  }

  operation(request: SimRequest): string {
    return queryParams(request).get('Action') ?? 'Unknown';
  }

  handle(request: SimRequest): SimResponse {
    const authError = queryAuthError(request, NAMESPACE);
    if (authError) return authError;
    const account = request.callerAccount ?? '';
    const region = request.signingRegion ?? 'us-east-1';
    // Calls into a region the account has not opted into are refused as AWS refuses them.
    if (this.#disabledRegions.has(region)) {
      return queryError(
        403,
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
        {
          namespace: NAMESPACE,
        },
      );
    }
    const params = queryParams(request);
    const action = params.get('Action') ?? '';
    const now = this.#context.now();
    try {
      switch (action) {
        case 'DescribeDBInstances':
          return this.#describeInstances(params, account, region, now);
        case 'DescribeDBClusters':
          return this.#describeClusters(params, account, region, now);
        case 'DescribeDBInstanceAutomatedBackups':
          return this.#describeBackups(params, account, region, now);
        case 'DescribeGlobalClusters':
          return this.#describeGlobalClusters(params, account, region);
        default:
          if (RdsSnapshotSim.ACTIONS.has(action))
            return this.snapshots.handle(action, params, account, region, now);
          return queryError(400, 'InvalidAction', `The action ${action} is not valid for this web service.`, {
            namespace: NAMESPACE,
          });
      }
    } catch (error) {
      if (error instanceof QueryApiError) {
        return queryError(error.status, error.code, error.message, { namespace: NAMESPACE });
      }
      throw error;
    }
  }

  /** `Throttling` (HTTP 400, a Sender fault), or the failure the faults name (`faults.throttleCode`). */
  throttled(_request?: SimRequest, injected?: InjectedFailure): SimResponse {
    if (!injected)
      return queryError(400, 'Throttling', 'Rate exceeded', { namespace: NAMESPACE, type: 'Sender' });
    return queryError(injected.status, injected.code, injected.message, {
      namespace: NAMESPACE,
      type: injected.status >= 500 ? 'Receiver' : 'Sender',
    });
  }

  serverError(): SimResponse {
    return queryError(
      500,
      'InternalFailure',
      'The request processing has failed because of an unknown error.',
      {
        namespace: NAMESPACE,
        type: 'Receiver',
      },
    );
  }

  unavailable(): SimResponse {
    return queryError(503, 'ServiceUnavailable', 'Service is unavailable. Please try again later.', {
      namespace: NAMESPACE,
      type: 'Receiver',
    });
  }

  #describeInstances(params: URLSearchParams, account: string, region: string, now: Date): SimResponse {
    const filters = queryFilters(params);
    checkFilters(filters, INSTANCE_FILTERS);
    let candidates: readonly RdsInstance[] = this.store.instances(account, region);
    const identifier = params.get('DBInstanceIdentifier');
    if (identifier) {
      const id = identifierSet([identifier], 'db').values().next().value ?? '';
      const found = this.store.instance(account, region, id);
      if (!found) throw new QueryApiError(404, 'DBInstanceNotFound', `DBInstance ${identifier} not found.`);
      candidates = [found];
    }
    for (const filter of filters) {
      if (filter.name === 'db-instance-id' && !identifier) {
        const ids = identifierSet(filter.values, 'db');
        candidates = [...ids].sort().flatMap((id) => {
          const found = this.store.instance(account, region, id);
          return found ? [found] : [];
        });
        continue;
      }
      candidates = candidates.filter(instanceFilter(filter));
    }
    const { page, marker } = pageOf(candidates, params);
    return queryResult('DescribeDBInstances', NAMESPACE, {
      Marker: marker,
      DBInstances: new XmlList(
        'DBInstance',
        page.map((instance) => renderResource(instance, instanceXml, now)),
      ),
    });
  }

  #describeClusters(params: URLSearchParams, account: string, region: string, now: Date): SimResponse {
    const filters = queryFilters(params);
    checkFilters(filters, CLUSTER_FILTERS);
    let candidates: readonly RdsCluster[] = this.store.clusters(account, region);
    const identifier = params.get('DBClusterIdentifier');
    if (identifier) {
      const id = identifierSet([identifier], 'cluster').values().next().value ?? '';
      const found = this.store.cluster(account, region, id);
      if (!found)
        throw new QueryApiError(404, 'DBClusterNotFoundFault', `DBCluster ${identifier} not found.`);
      candidates = [found];
    }
    for (const filter of filters) {
      if (filter.name === 'db-cluster-id' && !identifier) {
        candidates = [...identifierSet(filter.values, 'cluster')].sort().flatMap((id) => {
          const found = this.store.cluster(account, region, id);
          return found ? [found] : [];
        });
        continue;
      }
      candidates = candidates.filter(clusterFilter(filter));
    }
    const { page, marker } = pageOf(candidates, params);
    return queryResult('DescribeDBClusters', NAMESPACE, {
      Marker: marker,
      DBClusters: new XmlList(
        'DBCluster',
        page.map((cluster) => renderResource(cluster, clusterXml, now)),
      ),
    });
  }

  /**
   * The global databases with a member in the Region called (paged; no filter), each with every
   * member and its `IsWriter`. Whether RDS also lists global databases with no member in the Region
   * called is not documented; the audit calls in the member's own Region, which lists it either way.
   */
  #describeGlobalClusters(params: URLSearchParams, account: string, region: string): SimResponse {
    checkFilters(queryFilters(params), []);
    const { page, marker } = pageOf(this.store.globalClusters(account, region), params);
    return queryResult('DescribeGlobalClusters', NAMESPACE, {
      Marker: marker,
      GlobalClusters: new XmlList(
        'GlobalClusterMember',
        page.map((global) => ({
          GlobalClusterIdentifier: global.id,
          GlobalClusterResourceId: `cluster-${base32(digest(`global/${global.account}/${global.id}`), 16).toLowerCase()}`,
          GlobalClusterArn: `arn:aws:rds::${global.account}:global-cluster:${global.id}`,
          Status: 'available',
          Engine: 'aurora-postgresql',
          StorageEncrypted: true,
          DeletionProtection: false,
          GlobalClusterMembers: new XmlList(
            'GlobalClusterMember',
            global.members.map((member) => ({
              DBClusterArn: member.arn,
              Readers: new XmlList(
                'member',
                member.writer
                  ? global.members.filter((other) => !other.writer).map((other) => other.arn)
                  : [],
              ),
              IsWriter: member.writer,
              SynchronizationStatus: 'connected',
            })),
          ),
        })),
      ),
    });
  }

  #describeBackups(params: URLSearchParams, account: string, region: string, now: Date): SimResponse {
    const filters = queryFilters(params);
    checkFilters(filters, BACKUP_FILTERS);
    let candidates: readonly RdsAutomatedBackup[] = this.store.automatedBackups(account, region);
    const identifier = params.get('DBInstanceIdentifier');
    const resourceId = params.get('DbiResourceId');
    const backupArn = params.get('DBInstanceAutomatedBackupsArn');
    if (identifier) {
      const ids = identifierSet([identifier], 'db');
      candidates = candidates.filter((backup) => ids.has(backup.instanceId));
    }
    if (resourceId) candidates = candidates.filter((backup) => backup.dbiResourceId === resourceId);
    if (backupArn) candidates = candidates.filter((backup) => backup.arn === backupArn);
    if ((identifier || resourceId || backupArn) && candidates.length === 0) {
      throw new QueryApiError(
        404,
        'DBInstanceAutomatedBackupNotFound',
        `No automated backup found for ${identifier ?? resourceId ?? backupArn}.`,
      );
    }
    for (const filter of filters) candidates = candidates.filter(backupFilter(filter));
    const { page, marker } = pageOf(candidates, params);
    return queryResult('DescribeDBInstanceAutomatedBackups', NAMESPACE, {
      Marker: marker,
      DBInstanceAutomatedBackups: new XmlList(
        'DBInstanceAutomatedBackup',
        page.map((backup) => renderResource(backup, backupXml, now)),
      ),
    });
  }
}

/** Builds the RDS service from a scenario (the `services.rds` section plus accounts and regions). */
export function createRdsService(scenario: Scenario, context: SimContext): RdsService {
  return new RdsService(scenario.services.rds, scenario, context);
}
