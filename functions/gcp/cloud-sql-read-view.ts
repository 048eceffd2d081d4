/**
 * The Cloud SQL Admin answers the audit reads, cut down to the fields the product reads from them.
 *
 * gax's REST transport decodes every successful answer through protobufjs twice: proto3 JSON into a
 * message (`fromProto3JSON`, then `Type.fromObject`) and the message back into a plain object
 * (`Type.toObject` with `defaults: true`, which also fills every field the API did not send). A
 * realistic `DatabaseInstance` has 55 fields and about 4 KB of nested settings; profiled on the
 * benchmark (bench/audit-pitr-gcp.ts), that conversion was the largest single share of the audit's
 * CPU. The decoder skips a JSON field its message type does not declare
 * (proto3-json-serializer 4.1 `fromProto3JSONToInternalRepresentation`: `if (!field) continue`), so
 * the read clients (functions/gcp/clients.ts {@link GcpClientFactory.cloudSql}) load the protos with
 * these answer types holding only {@link CLOUD_SQL_READ_FIELDS}: gax still sends the request, signs
 * it, retries it, pages and turns error answers into `GoogleError`s, and decodes the kept fields
 * with its own code, exactly as before; the fields no one reads are never converted.
 *
 * A clean success of the three audit reads is now decoded by ./cloud-sql-lean.ts without gax, to
 * exactly the object gax makes from these cut types; gax decodes what that path hands on to it.
 * The snapshot action's `instances.get` (a `DatabaseInstance`, like each listed item) goes through
 * the same read client, so its wrong-typed values are read as not sent as the listing's are
 * (./cloud-sql-clients.ts `withoutNotSent`).
 *
 * Only the answer types of these reads are cut (and the package's other versions left out): the
 * request types, and every client that writes (backupRuns.insert takes a `BackupRun` body), keep the
 * full protos. The types below are the same cut, so a read of a field that is not kept does not
 * compile.
 */
import type { protos } from '@google-cloud/sql';

/**
 * The fields kept per answer type, by the type's name in `google.cloud.sql.v1`: what
 * functions/gcp/cloud-sql.ts (the PITR audit: also a suspended instance's `suspensionReason` and its
 * customer-managed key and key version) and functions/actions/snapshot/gcp.ts (targets and
 * scheduled maintenance; an instance's status and customer-managed key from `instances.get`) read
 * from `instances.list`, `instances.get`, `instances.getLatestRecoveryTime` and `backupRuns.list`.
 */
export const CLOUD_SQL_READ_FIELDS = {
  InstancesListResponse: ['warnings', 'items', 'nextPageToken'],
  DatabaseInstance: [
    'name',
    'selfLink',
    'connectionName',
    'region',
    'databaseVersion',
    'instanceType',
    'state',
    'suspensionReason',
    'masterInstanceName',
    'replicaNames',
    'createTime',
    'settings',
    'diskEncryptionConfiguration',
    'diskEncryptionStatus',
    'scheduledMaintenance',
  ],
  'DatabaseInstance.SqlScheduledMaintenance': ['startTime'],
  DiskEncryptionConfiguration: ['kmsKeyName'],
  DiskEncryptionStatus: ['kmsKeyVersionName'],
  Settings: [
    'userLabels',
    'activationPolicy',
    'edition',
    'deletionProtectionEnabled',
    'retainBackupsOnDelete',
    'finalBackupConfig',
    'backupConfiguration',
  ],
  BackupConfiguration: [
    'enabled',
    'location',
    'pointInTimeRecoveryEnabled',
    'transactionLogRetentionDays',
    'transactionalLogStorageState',
    'backupRetentionSettings',
    'backupTier',
  ],
  BackupRetentionSettings: ['retentionUnit', 'retainedBackups'],
  FinalBackupConfig: ['enabled', 'retentionDays'],
  SqlInstancesGetLatestRecoveryTimeResponse: ['earliestRecoveryTime', 'latestRecoveryTime'],
  BackupRunsListResponse: ['items', 'nextPageToken'],
  BackupRun: ['status', 'type', 'startTime', 'endTime'],
} as const;

type Kept<Name extends keyof typeof CLOUD_SQL_READ_FIELDS> = (typeof CLOUD_SQL_READ_FIELDS)[Name][number];

/** A `DatabaseInstance` as the read clients decode it. */
export type ReadDatabaseInstance = Omit<
  Pick<protos.google.cloud.sql.v1.IDatabaseInstance, Kept<'DatabaseInstance'>>,
  'settings' | 'diskEncryptionConfiguration' | 'diskEncryptionStatus' | 'scheduledMaintenance'
> & {
  settings?: ReadSettings | null;
  diskEncryptionConfiguration?: Pick<
    protos.google.cloud.sql.v1.IDiskEncryptionConfiguration,
    Kept<'DiskEncryptionConfiguration'>
  > | null;
  diskEncryptionStatus?: Pick<
    protos.google.cloud.sql.v1.IDiskEncryptionStatus,
    Kept<'DiskEncryptionStatus'>
  > | null;
  scheduledMaintenance?: Pick<
    protos.google.cloud.sql.v1.DatabaseInstance.ISqlScheduledMaintenance,
    Kept<'DatabaseInstance.SqlScheduledMaintenance'>
  > | null;
};

export type ReadSettings = Omit<
  Pick<protos.google.cloud.sql.v1.ISettings, Kept<'Settings'>>,
  'backupConfiguration' | 'finalBackupConfig'
> & {
  backupConfiguration?: ReadBackupConfiguration | null;
  finalBackupConfig?: Pick<protos.google.cloud.sql.v1.IFinalBackupConfig, Kept<'FinalBackupConfig'>> | null;
};

export type ReadBackupConfiguration = Omit<
  Pick<protos.google.cloud.sql.v1.IBackupConfiguration, Kept<'BackupConfiguration'>>,
  'backupRetentionSettings'
> & {
  backupRetentionSettings?: Pick<
    protos.google.cloud.sql.v1.IBackupRetentionSettings,
    Kept<'BackupRetentionSettings'>
  > | null;
};

export type ReadBackupRun = Pick<protos.google.cloud.sql.v1.IBackupRun, Kept<'BackupRun'>>;

export interface ReadInstancesListResponse {
  /** `REGION_UNREACHABLE` and `MAX_RESULTS_EXCEEDS_LIMIT` mean the page may be incomplete. */
  warnings?: protos.google.cloud.sql.v1.IApiWarning[] | null;
  items?: ReadDatabaseInstance[] | null;
  nextPageToken?: string | null;
}

export type ReadLatestRecoveryTimeResponse = Pick<
  protos.google.cloud.sql.v1.ISqlInstancesGetLatestRecoveryTimeResponse,
  Kept<'SqlInstancesGetLatestRecoveryTimeResponse'>
>;

export interface ReadBackupRunsListResponse {
  items?: ReadBackupRun[] | null;
  nextPageToken?: string | null;
}

/** A protobufjs JSON descriptor node (`protos.json`): a namespace, a message type or an enum. */
interface DescriptorNode {
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly nested?: Readonly<Record<string, DescriptorNode>>;
  readonly [key: string]: unknown;
}

const PACKAGE = ['google', 'cloud', 'sql', 'v1'];

/** Whether `descriptor` declares the Cloud SQL Admin v1 package (gax also loads other protos). */
export function declaresCloudSqlV1(descriptor: DescriptorNode): boolean {
  let node: DescriptorNode | undefined = descriptor;
  for (const name of PACKAGE) node = node?.nested?.[name];
  return node !== undefined;
}

/**
 * `descriptor` (a `protos.json`) with each answer type of {@link CLOUD_SQL_READ_FIELDS} holding only
 * its kept fields, and without the package's other versions: `@google-cloud/sql`'s `protos.json`
 * also declares `google.cloud.sql.v1beta4` (about half of it), which no v1 type refers to and which
 * protobufjs' `Root.fromJSON` built for nothing at each cold start (a median 390 ms with it,
 * 210 ms without, on a busy two-core machine). Everything else is shared with the input, which is
 * not changed. Throws when a type or a kept field is missing (a renamed field must fail loudly, not
 * decode as absent).
 */
export function pruneReadAnswers(descriptor: DescriptorNode): DescriptorNode {
  let root = replaceAt(descriptor, PACKAGE.slice(0, -1), (sql) => {
    const v1 = sql.nested?.[PACKAGE.at(-1) as string];
    if (!v1) throw new Error('the protos have no google.cloud.sql.v1');
    return { ...sql, nested: { v1 } };
  });
  for (const [typeName, fields] of Object.entries(CLOUD_SQL_READ_FIELDS)) {
    const path = [...PACKAGE, ...typeName.split('.')];
    root = replaceAt(root, path, (type) => {
      const declared = type.fields;
      if (!declared) throw new Error(`google.cloud.sql.v1.${typeName} is not a message type in the protos`);
      const kept: Record<string, unknown> = {};
      for (const field of fields as readonly string[]) {
        if (!Object.hasOwn(declared, field)) {
          throw new Error(`google.cloud.sql.v1.${typeName} has no field ${field} in the protos`);
        }
        kept[field] = declared[field];
      }
      const { oneofs, ...rest } = type;
      return { ...rest, fields: kept, ...keptOneofs(oneofs, fields) };
    });
  }
  return root;
}

/**
 * The oneofs of a cut type over its kept fields only (proto3 `optional` fields are synthetic oneofs
 * `_field`), none when no oneof keeps a member.
 */
function keptOneofs(
  oneofs: unknown,
  fields: readonly string[],
): { oneofs?: Record<string, { oneof: string[] }> } {
  if (!oneofs || typeof oneofs !== 'object') return {};
  const kept = Object.entries(oneofs as Record<string, { oneof: string[] }>)
    .map(
      ([name, oneof]) =>
        [name, { ...oneof, oneof: oneof.oneof.filter((member) => fields.includes(member)) }] as const,
    )
    .filter(([, oneof]) => oneof.oneof.length > 0);
  return kept.length > 0 ? { oneofs: Object.fromEntries(kept) } : {};
}

/** `node` with the node at `path` (through `nested`) replaced by `replace(it)`, copying only the path. */
function replaceAt(
  node: DescriptorNode,
  path: readonly string[],
  replace: (target: DescriptorNode) => DescriptorNode,
): DescriptorNode {
  const [head, ...rest] = path;
  if (head === undefined) return replace(node);
  const child = node.nested?.[head];
  if (!child) throw new Error(`the protos have no ${head} under the path google.cloud.sql.v1`);
  return { ...node, nested: { ...node.nested, [head]: replaceAt(child, rest, replace) } };
}
