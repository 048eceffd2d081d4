/**
 * Lean decoding of the RDS answers read in bulk, through functions/aws/xml-wire.ts: the three lists
 * the PITR audit reads (DescribeDBInstances, DescribeDBClusters, DescribeDBInstanceAutomatedBackups,
 * and DescribeGlobalClusters when a global database member's role is not shown),
 * the two the snapshot job polls (DescribeDBSnapshots, DescribeDBClusterSnapshots) and the creates
 * it sends in one burst per region (CreateDBSnapshot, CreateDBClusterSnapshot). Only the
 * members the code reads are decoded, instead of the SDK turning every ~117-element member into
 * objects (about 60% of the audit's CPU on realistic pages, about half of the snapshot job's).
 *
 * The three listings every PITR scope reads are also sent on the lean request path
 * ({@link leanListPages}, functions/aws/lean-wire.ts); the other calls keep the SDK's pipeline with
 * the lean decoding plugged in ({@link leanRdsListPlugin}).
 *
 * test/aws/rds-wire.test.ts decodes the same pages both ways (errors and empty pages included) and
 * pages the lean path as the SDK's paginator does.
 */
import { extendedEncodeURIComponent } from '@smithy/core/protocols';
import type { Pluggable } from '@smithy/types';
import {
  type LeanClient,
  type LeanProtocol,
  prepareLean,
  type SdkCommandClass,
  sendLean,
  type WireRequest,
} from './lean-wire.ts';
import {
  decodeBody,
  decodeXmlResult,
  type Field,
  leanXmlPlugin,
  type Shape,
  type StreamCollector,
  XmlWireError,
} from './xml-wire.ts';

export type { Shape, StreamCollector } from './xml-wire.ts';

const TAG_LIST: Field = { list: 'Tag', of: { Key: 'string', Value: 'string' } };

/**
 * Values one RDS filter carries per call (`Filters.Filter.n.Values.Value.m`): the snapshot reads'
 * identifiers (functions/aws/rds-snapshots.ts) and the copy listings' ARNs (functions/aws/rds.ts).
 * The RDS API documents no maximum number of filter values (Filter, `Values.Value.N`: "One or more
 * filter values", RDS API reference), so a batch stays well inside the size of a request.
 */
export const RDS_FILTER_VALUES_PER_CALL = 50;

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
  EngineMode: 'string',
  Status: 'string',
  ReplicationSourceIdentifier: 'string',
  ReadReplicaIdentifiers: { list: 'ReadReplicaIdentifier', of: 'string' },
  GlobalClusterIdentifier: 'string',
  DBClusterMembers: {
    list: 'DBClusterMember',
    of: { DBInstanceIdentifier: 'string', IsClusterWriter: 'boolean' },
  },
  BackupRetentionPeriod: 'integer',
  PreferredBackupWindow: 'string',
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
  Encrypted: 'boolean',
  KmsKeyId: 'string',
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

/** `shape` without its `TagList` member. */
function untagged(shape: Shape): Shape {
  const { TagList: _tags, ...rest } = shape;
  return rest;
}

/**
 * {@link LEAN_RESULTS}' database listings with no member's `TagList`: a policy that selects no
 * database by tag (`targets.all`, or names alone) reads no tag, and a realistic DBInstance carries
 * several, a third of the objects its decoding makes, all kept until the scope is judged.
 */
const UNTAGGED_RESULTS: Readonly<Record<string, Shape>> = {
  DescribeDBInstances: {
    DBInstances: { list: 'DBInstance', of: untagged(DB_INSTANCE) },
    Marker: 'string',
  },
  DescribeDBClusters: { DBClusters: { list: 'DBCluster', of: untagged(DB_CLUSTER) }, Marker: 'string' },
};

/**
 * What a successful answer to `operation` is decoded to: {@link LEAN_RESULTS}' shape, without the
 * databases' tags when `tags` is false and the operation lists databases.
 */
export function leanResultShape(operation: string, tags = true): Shape {
  const shape = (tags ? undefined : UNTAGGED_RESULTS[operation]) ?? LEAN_RESULTS[operation];
  if (!shape) throw new XmlWireError(`no lean decoding for RDS ${operation}`);
  return shape;
}

/**
 * The `<{operation}Result>` members of a successful answer that `shape` names, decoded as the SDK
 * decodes them (strings, integers, booleans, `Date`s, lists as arrays).
 */
export function decodeRdsListResult(
  operation: string,
  xml: string | Uint8Array,
  shape: Shape,
): Record<string, unknown> {
  return decodeXmlResult(xml, [`${operation}Response`, `${operation}Result`], shape);
}

/**
 * The plugin for one command of {@link LEAN_RESULTS}, decoding the databases' tags unless `tags` is
 * false ({@link leanResultShape}).
 */
export function leanRdsListPlugin(
  operation: string,
  collect: StreamCollector,
  tags = true,
): Pluggable<object, object> {
  const shape = leanResultShape(operation, tags);
  return leanXmlPlugin((xml) => decodeRdsListResult(operation, xml, shape), collect);
}

/**
 * The input members of a list call the lean request path writes (`Filters`, `MaxRecords`,
 * `Marker`); a call with any other member is the SDK's.
 */
export interface RdsListInput {
  readonly Filters?: readonly {
    readonly Name?: string | undefined;
    readonly Values?: readonly string[] | undefined;
  }[];
  readonly MaxRecords?: number | undefined;
  readonly Marker?: string | undefined;
}

/** The members {@link queryBody} writes, in the order of the RDS model's input structures. */
const LIST_INPUT_MEMBERS = new Set(['Filters', 'MaxRecords', 'Marker']);

/**
 * The form body the SDK's query protocol writes for a list call (`Action`, `Version`, then the
 * members in model order, names and values encoded by `extendedEncodeURIComponent`, lists as
 * `Filters.Filter.n.Values.Value.m`); undefined for an input it is not sure to write the same way
 * (another member, an empty list, a filter without a name or values), which the SDK then sends.
 * The route is taken only when this rebuilds the probe's request exactly ({@link LIST_PROBE}).
 */
function queryBody(operation: string, input: RdsListInput): string | undefined {
  let body = `Action=${operation}&Version=2014-10-31`;
  for (const [name, value] of Object.entries(input)) {
    if (value !== undefined && !LIST_INPUT_MEMBERS.has(name)) return undefined;
  }
  const { Filters, MaxRecords, Marker } = input;
  if (Filters !== undefined) {
    if (!Array.isArray(Filters) || Filters.length === 0) return undefined;
    for (const [index, filter] of Filters.entries()) {
      const { Name, Values } = filter ?? {};
      if (Object.keys(filter ?? {}).some((key) => key !== 'Name' && key !== 'Values')) return undefined;
      if (typeof Name !== 'string' || !Array.isArray(Values) || Values.length === 0) return undefined;
      const prefix = `&Filters.Filter.${index + 1}`;
      body += `${prefix}.Name=${extendedEncodeURIComponent(Name)}`;
      for (const [at, value] of Values.entries()) {
        if (typeof value !== 'string') return undefined;
        body += `${prefix}.Values.Value.${at + 1}=${extendedEncodeURIComponent(value)}`;
      }
    }
  }
  if (MaxRecords !== undefined) {
    if (!Number.isSafeInteger(MaxRecords)) return undefined;
    body += `&MaxRecords=${MaxRecords}`;
  }
  if (Marker !== undefined) {
    if (typeof Marker !== 'string') return undefined;
    body += `&Marker=${extendedEncodeURIComponent(Marker)}`;
  }
  return body;
}

/**
 * The input every list route is probed with: every member {@link queryBody} writes, two filters of
 * two values, and characters the encoding escapes, so a route is taken only when the SDK writes all
 * of them as the lean path does, whatever the calls' own inputs.
 */
const LIST_PROBE: RdsListInput = {
  Filters: [
    { Name: 'engine', Values: ['postgres', "a b+c/é&='!()*~"] },
    { Name: 'db-instance-id', Values: ['x'] },
  ],
  MaxRecords: 100,
  Marker: 'c2ltLXBh Z2U6+/MTAw=',
};

const queryProtocols = new Map<string, LeanProtocol<RdsListInput, WireRequest, Record<string, unknown>>>();

/**
 * The lean protocol of the list call `operation` of {@link LEAN_RESULTS}, with or without the
 * databases' tags (made once each).
 */
function queryProtocol(
  operation: string,
  tags: boolean,
): LeanProtocol<RdsListInput, WireRequest, Record<string, unknown>> {
  const key = tags ? operation : `${operation} untagged`;
  let protocol = queryProtocols.get(key);
  if (protocol) return protocol;
  const shape = leanResultShape(operation, tags);
  protocol = {
    // RDS endpoints depend on the client alone (Region, FIPS, dual-stack), never on the input.
    routeKey: () => '',
    template: (request) =>
      request.method === 'POST' && request.headers['content-type'] === 'application/x-www-form-urlencoded'
        ? request
        : undefined,
    build(request, input) {
      const body = queryBody(operation, input);
      if (body === undefined) return undefined;
      return {
        ...request,
        headers: { ...request.headers, 'content-length': String(Buffer.byteLength(body)) },
        body,
      };
    },
    // The SDK's deserializer reads a list whose children are not its items
    // (`<DBInstances><Foo>…</Foo></DBInstances>`) as an empty list, and `<BackupRetentionPeriod>`
    // of `0x23` as 35 and of nothing as 0: a page on the SDK path (a client with its own `send`,
    // an input the lean path does not write, an attempt the SDK retried) is decoded by the same
    // lean decoding, so that it fails the scope, or leaves a value unsent, as it does here.
    viaSdk(command, client) {
      leanRdsListPlugin(operation, client.config.streamCollector as StreamCollector, tags).applyToStack(
        command.middlewareStack as never,
      );
    },
    async decode(response, collect) {
      return decodeBody(response.body, collect, (xml) => {
        try {
          return { output: decodeRdsListResult(operation, xml, shape) };
        } catch (error) {
          // As on the SDK path with the plugin: a body that is not the answer fails the call, unretried.
          if (error instanceof XmlWireError) return { failed: error };
          throw error;
        }
      });
    },
  };
  queryProtocols.set(key, protocol);
  return protocol;
}

/**
 * Every page of the list call `operation` (one of {@link LEAN_RESULTS}' `Describe…`), as the SDK's
 * paginator gives them with `pageSize` and `stopOnSameToken` (the next page is asked for with the
 * page's Marker until a page has none or repeats the one it was asked with), each page sent on the
 * lean request path (functions/aws/lean-wire.ts): the SDK's per-call pipeline (middleware stack,
 * endpoint and auth-scheme resolution, schema serialization, its deserializer handed an empty body)
 * was about a third of the PITR audit's CPU after its first page. A clean 2xx answer is decoded here
 * to the members the audit reads; anything else is handed to the SDK, which builds its error and
 * retries as it always does. Each page's output has the members of {@link LEAN_RESULTS} and
 * `$metadata`; on the SDK path (an input or a route the lean path does not serve) it is the SDK's
 * whole output. With `tags` false, a database listing's members are decoded without their `TagList`
 * ({@link leanResultShape}), on either path.
 */
export async function* leanListPages<I extends RdsListInput, P>(
  client: LeanClient,
  Command: SdkCommandClass<I>,
  operation: string,
  input: I,
  pageSize: number,
  tags = true,
): AsyncGenerator<P> {
  const protocol = queryProtocol(operation, tags) as unknown as LeanProtocol<I, WireRequest, P>;
  await prepareLean(client, Command, protocol, LIST_PROBE as I);
  let token = input.Marker;
  for (;;) {
    const page = await sendLean(client, Command, protocol, {
      ...input,
      MaxRecords: input.MaxRecords ?? pageSize,
      Marker: token,
    });
    yield page;
    const asked = token;
    token = (page as { Marker?: string }).Marker;
    if (!token || token === asked) return;
  }
}
