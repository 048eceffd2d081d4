/**
 * The RDS snapshot adapter: create (tagged at creation), describe in batches, list ours, delete,
 * count manual snapshots for the quota, and read pending maintenance. It makes the calls; the
 * action (functions/actions/snapshot) decides what to do with the answers.
 *
 * DescribeDBSnapshots has no tag filter (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html):
 * ours are recognised by each snapshot's TagList. Polling asks for all pending snapshots of a
 * region in one call (`db-snapshot-id` filter), not one call per snapshot, and the listings are
 * decoded leanly (functions/aws/rds-wire.ts).
 */
import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  type DBClusterSnapshot,
  type DBSnapshot,
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  DescribePendingMaintenanceActionsCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { CloudApiError } from '../core/errors.ts';
import { pageTokens } from '../core/paging.ts';
import { INCOMPLETE_ANSWER, tagRecord } from './rds.ts';
import { leanRdsListPlugin, RDS_FILTER_VALUES_PER_CALL, type StreamCollector } from './rds-wire.ts';

/** `command` with its successful answer decoded leanly (functions/aws/rds-wire.ts). */
function lean<C extends { middlewareStack: { use(plugin: never): void } }>(
  rds: RDSClient,
  operation:
    | 'DescribeDBSnapshots'
    | 'DescribeDBClusterSnapshots'
    | 'CreateDBSnapshot'
    | 'CreateDBClusterSnapshot'
    | 'DescribeDBInstances'
    | 'DescribeDBClusters',
  command: C,
): C {
  command.middlewareStack.use(
    leanRdsListPlugin(operation, rds.config.streamCollector as StreamCollector) as never,
  );
  return command;
}

/** A snapshot as the action sees it, whichever kind. */
export interface RdsSnapshotState {
  readonly id: string;
  readonly kind: 'rds-instance' | 'aurora-cluster';
  readonly target: string;
  /** The database's resource id: DBSnapshot `DbiResourceId`, DBClusterSnapshot `DbClusterResourceId`. */
  readonly sourceResourceId?: string | undefined;
  /** DBSnapshot / DBClusterSnapshot `Status`; undefined when the answer did not send it. */
  readonly status: string | undefined;
  readonly arn: string | undefined;
  readonly createdAt: Date | undefined;
  /** Why `createdAt` is not given although the answer sent a creation time. */
  readonly undatedBecause?: string | undefined;
  /** The region the snapshot was created in or copied from (instance snapshots: `SourceRegion`). */
  readonly sourceRegion?: string | undefined;
  /** The account of the snapshot it was copied from, when copied across accounts. */
  readonly sourceAccount?: string | undefined;
  readonly encrypted: boolean | undefined;
  readonly kmsKeyId: string | undefined;
  readonly sizeGb: number | undefined;
  readonly tags: Record<string, string>;
}

/** One pending maintenance action of a resource. */
export interface PendingMaintenance {
  readonly resourceArn: string;
  readonly action: string;
  /** The date it will be applied (CurrentApplyDate, else the earlier of auto-applied and forced). */
  readonly applyAt: Date | undefined;
  /** `immediate` or `next-maintenance` once someone opted in (`undo-opt-in` after an opt-in was withdrawn). */
  readonly optInStatus: string | undefined;
  readonly description: string | undefined;
}

const PAGE_SIZE = 100;

/** `arn:partition:rds:region:account:snapshot:name`: the account and region of a snapshot ARN. */
const SNAPSHOT_ARN = /^arn:[^:]+:rds:([^:]*):([^:]*):/;

function fromInstanceSnapshot(snapshot: DBSnapshot): RdsSnapshotState {
  // SourceDBSnapshotIdentifier "only has a value in the case of a cross-account or cross-Region
  // copy" (DBSnapshot, RDS API reference): the ARN of the snapshot it was copied from.
  const source = SNAPSHOT_ARN.exec(snapshot.SourceDBSnapshotIdentifier ?? '');
  return {
    id: snapshot.DBSnapshotIdentifier ?? '',
    kind: 'rds-instance',
    target: snapshot.DBInstanceIdentifier ?? '',
    // "The identifier for the source DB instance, which can't be changed and which is unique to an
    // Amazon Web Services Region" (DBSnapshot, RDS API reference): it tells a snapshot of an earlier
    // database of the same identifier from one of the database that has it now.
    sourceResourceId: snapshot.DbiResourceId || undefined,
    status: snapshot.Status,
    arn: snapshot.DBSnapshotArn,
    // When the data was taken: SnapshotCreateTime changes to the copy's time when a snapshot is
    // copied (tags and all, with CopyTags); OriginalSnapshotCreateTime does not (DBSnapshot, RDS
    // API reference), so a copy of an old snapshot is not judged fresh.
    createdAt: snapshot.OriginalSnapshotCreateTime ?? snapshot.SnapshotCreateTime,
    // "The Amazon Web Services Region that the DB snapshot was created in or copied from" (DBSnapshot,
    // RDS API reference): a copy of another region's same-named database is not this one's snapshot.
    sourceRegion: snapshot.SourceRegion || source?.[1] || undefined,
    sourceAccount: source?.[2] || undefined,
    encrypted: snapshot.Encrypted,
    kmsKeyId: snapshot.KmsKeyId,
    sizeGb: snapshot.AllocatedStorage,
    tags: tagRecord(snapshot.TagList),
  };
}

function fromClusterSnapshot(snapshot: DBClusterSnapshot): RdsSnapshotState {
  // "If the DB cluster snapshot was copied from a source DB cluster snapshot, the ARN for the source
  // DB cluster snapshot" (DBClusterSnapshot, RDS API reference): where the copied data was taken.
  const source = SNAPSHOT_ARN.exec(snapshot.SourceDBClusterSnapshotArn ?? '');
  return {
    id: snapshot.DBClusterSnapshotIdentifier ?? '',
    kind: 'aurora-cluster',
    target: snapshot.DBClusterIdentifier ?? '',
    // "The resource ID of the DB cluster that this DB cluster snapshot was created from"
    // (DBClusterSnapshot, RDS API reference).
    sourceResourceId: snapshot.DbClusterResourceId || undefined,
    status: snapshot.Status,
    arn: snapshot.DBClusterSnapshotArn,
    // A DBClusterSnapshot has no OriginalSnapshotCreateTime, and a DBSnapshot's SnapshotCreateTime
    // "changes for the copy when the snapshot is copied" (DBSnapshot, RDS API reference): a copy's
    // SnapshotCreateTime may be the copy's, so it does not tell when its data was taken.
    ...(snapshot.SourceDBClusterSnapshotArn
      ? {
          createdAt: undefined,
          undatedBecause: `it is a copy of ${snapshot.SourceDBClusterSnapshotArn}, and a DB cluster snapshot sends only the copy’s creation time`,
        }
      : { createdAt: snapshot.SnapshotCreateTime }),
    sourceRegion: source?.[1] || undefined,
    sourceAccount: source?.[2] || undefined,
    encrypted: snapshot.StorageEncrypted,
    kmsKeyId: snapshot.KmsKeyId,
    // Aurora reports AllocatedStorage 0 for cluster snapshots: unknown, not empty.
    sizeGb: snapshot.AllocatedStorage ? snapshot.AllocatedStorage : undefined,
    tags: tagRecord(snapshot.TagList),
  };
}

function tagList(tags: Readonly<Record<string, string>>) {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/**
 * Create a manual snapshot, tags set at creation (the IAM policy allows tagging only then). A create
 * RDS accepted made a snapshot being created, whatever its answer leaves out: an answer without
 * Status reads as `creating`, never as a status the action would give up on and take another for.
 */
export async function createRdsSnapshot(
  rds: RDSClient,
  kind: RdsSnapshotState['kind'],
  target: string,
  snapshotId: string,
  tags: Readonly<Record<string, string>>,
): Promise<RdsSnapshotState> {
  if (kind === 'rds-instance') {
    const answer = await rds.send(
      lean(
        rds,
        'CreateDBSnapshot',
        new CreateDBSnapshotCommand({
          DBInstanceIdentifier: target,
          DBSnapshotIdentifier: snapshotId,
          Tags: tagList(tags),
        }),
      ),
    );
    const made = answer.DBSnapshot ?? { DBSnapshotIdentifier: snapshotId };
    return fromInstanceSnapshot({ ...made, Status: made.Status ?? 'creating' });
  }
  const answer = await rds.send(
    lean(
      rds,
      'CreateDBClusterSnapshot',
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: target,
        DBClusterSnapshotIdentifier: snapshotId,
        Tags: tagList(tags),
      }),
    ),
  );
  const made = answer.DBClusterSnapshot ?? { DBClusterSnapshotIdentifier: snapshotId };
  return fromClusterSnapshot({ ...made, Status: made.Status ?? 'creating' });
}

/**
 * Every page of `DescribeDBSnapshots` (instance snapshots) or `DescribeDBClusterSnapshots` (Aurora
 * cluster snapshots) for one query, decoded leanly, as {@link RdsSnapshotState}s.
 */
function describeSnapshotPages(
  rds: RDSClient,
  kind: RdsSnapshotState['kind'],
  query: { readonly Filters?: { Name: string; Values: string[] }[]; readonly SnapshotType?: string },
): Promise<RdsSnapshotState[]> {
  return everyPage((Marker) => {
    const input = { ...query, MaxRecords: PAGE_SIZE, Marker };
    if (kind === 'rds-instance') {
      return rds
        .send(lean(rds, 'DescribeDBSnapshots', new DescribeDBSnapshotsCommand(input)))
        .then((page) => ({
          items: listed('DescribeDBSnapshots', 'DBSnapshots', page.DBSnapshots).map(fromInstanceSnapshot),
          marker: page.Marker,
        }));
    }
    return rds
      .send(lean(rds, 'DescribeDBClusterSnapshots', new DescribeDBClusterSnapshotsCommand(input)))
      .then((page) => ({
        items: listed('DescribeDBClusterSnapshots', 'DBClusterSnapshots', page.DBClusterSnapshots).map(
          fromClusterSnapshot,
        ),
        marker: page.Marker,
      }));
  });
}

/**
 * The list of a listing's page. An empty list comes as an empty element (`<DBSnapshots/>`, read as
 * `[]`); a 200 without the element did not say, and reading it as none would have the action think a
 * snapshot it polls is gone or miss snapshots from the quota and pruning, and the maintenance job
 * take no snapshot before maintenance it did not see (as readAllPages in functions/aws/rds.ts fails
 * such answers). `what` names what the listing lists, as the error says it.
 */
function listed<T>(
  api: string,
  element: string,
  items: T[] | undefined,
  what = 'the snapshots it lists are',
): T[] {
  if (items === undefined) {
    throw new CloudApiError(
      `RDS ${api} answered without <${element}>: ${what} unknown, not none`,
      INCOMPLETE_ANSWER,
    );
  }
  return items;
}

/** The current state of these snapshots, in as few calls as the filter allows. */
export async function describeRdsSnapshots(
  rds: RDSClient,
  kind: RdsSnapshotState['kind'],
  snapshotIds: readonly string[],
): Promise<RdsSnapshotState[]> {
  const filter = kind === 'rds-instance' ? 'db-snapshot-id' : 'db-cluster-snapshot-id';
  const states: RdsSnapshotState[] = [];
  for (let index = 0; index < snapshotIds.length; index += RDS_FILTER_VALUES_PER_CALL) {
    const chunk = snapshotIds.slice(index, index + RDS_FILTER_VALUES_PER_CALL);
    states.push(...(await describeSnapshotPages(rds, kind, { Filters: [{ Name: filter, Values: chunk }] })));
  }
  return states;
}

/**
 * The status the database has now (`DBInstanceStatus`, a cluster's `Status`), read by its
 * identifier in one call; undefined when the answer does not say. A read that fails throws.
 */
export async function describeRdsDatabaseStatus(
  rds: RDSClient,
  kind: RdsSnapshotState['kind'],
  target: string,
): Promise<string | undefined> {
  const wanted = target.toLowerCase();
  if (kind === 'rds-instance') {
    const page = await rds.send(
      lean(rds, 'DescribeDBInstances', new DescribeDBInstancesCommand({ DBInstanceIdentifier: target })),
    );
    return page.DBInstances?.find((instance) => instance.DBInstanceIdentifier?.toLowerCase() === wanted)
      ?.DBInstanceStatus;
  }
  const page = await rds.send(
    lean(rds, 'DescribeDBClusters', new DescribeDBClustersCommand({ DBClusterIdentifier: target })),
  );
  return page.DBClusters?.find((cluster) => cluster.DBClusterIdentifier?.toLowerCase() === wanted)?.Status;
}

/** Every manual snapshot of a kind in the region (ours and others), for pruning and the quota. */
export function listManualRdsSnapshots(
  rds: RDSClient,
  kind: RdsSnapshotState['kind'],
): Promise<RdsSnapshotState[]> {
  return describeSnapshotPages(rds, kind, { SnapshotType: 'manual' });
}

export async function deleteRdsSnapshot(
  rds: RDSClient,
  kind: RdsSnapshotState['kind'],
  snapshotId: string,
): Promise<void> {
  if (kind === 'rds-instance')
    await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: snapshotId }));
  else await rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: snapshotId }));
}

/**
 * The accounts a manual snapshot is shared with, which may copy or restore it: the values of its
 * `restore` attribute, account ids, or `all` when it is public (DescribeDBSnapshotAttributes,
 * DescribeDBClusterSnapshotAttributes, RDS API reference: "If all is included in the list of values
 * for the restore attribute, then the manual DB snapshot is public"); empty when shared with none.
 * An answer without the attribute list, without the `restore` attribute or without its values did
 * not say who may restore it: it throws (IncompleteAnswer), as a read that fails does.
 */
export async function describeRdsSnapshotSharing(
  rds: RDSClient,
  kind: RdsSnapshotState['kind'],
  snapshotId: string,
): Promise<string[]> {
  if (kind === 'rds-instance') {
    const answer = await rds.send(
      new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: snapshotId }),
    );
    return restoreValues(
      'DescribeDBSnapshotAttributes',
      'DBSnapshotAttributes',
      answer.DBSnapshotAttributesResult?.DBSnapshotAttributes,
    );
  }
  const answer = await rds.send(
    new DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier: snapshotId }),
  );
  return restoreValues(
    'DescribeDBClusterSnapshotAttributes',
    'DBClusterSnapshotAttributes',
    answer.DBClusterSnapshotAttributesResult?.DBClusterSnapshotAttributes,
  );
}

/** The values of the `restore` attribute among a snapshot's attributes (see describeRdsSnapshotSharing). */
function restoreValues(
  api: string,
  element: string,
  attributes: { AttributeName?: string | undefined; AttributeValues?: string[] | undefined }[] | undefined,
): string[] {
  const what = 'the accounts it is shared with are';
  const restore = listed(api, element, attributes, what).filter(
    (attribute) => attribute.AttributeName === 'restore',
  );
  if (restore.length === 0) {
    throw new CloudApiError(
      `RDS ${api} answered without the restore attribute: ${what} unknown, not none`,
      INCOMPLETE_ANSWER,
    );
  }
  return restore.flatMap((attribute) => listed(api, 'AttributeValues', attribute.AttributeValues, what));
}

/** Pending maintenance actions of the region (eventually consistent, per the API reference). */
export async function describePendingMaintenance(rds: RDSClient): Promise<PendingMaintenance[]> {
  const resources = await everyPage((Marker) =>
    rds
      .send(new DescribePendingMaintenanceActionsCommand({ MaxRecords: PAGE_SIZE, Marker }))
      .then((page) => ({
        items: listed(
          'DescribePendingMaintenanceActions',
          'PendingMaintenanceActions',
          page.PendingMaintenanceActions,
          'the pending maintenance it lists is',
        ),
        marker: page.Marker,
      })),
  );
  return resources.flatMap((resource) =>
    (resource.PendingMaintenanceActionDetails ?? []).map((detail) => {
      const candidates = [detail.AutoAppliedAfterDate, detail.ForcedApplyDate].filter(
        (date): date is Date => date instanceof Date,
      );
      const earliest = candidates.sort((a, b) => a.getTime() - b.getTime())[0];
      return {
        resourceArn: resource.ResourceIdentifier ?? '',
        action: detail.Action ?? 'unknown',
        applyAt: detail.CurrentApplyDate ?? earliest,
        optInStatus: detail.OptInStatus,
        description: detail.Description,
      };
    }),
  );
}

/** Every page of a Marker-paged RDS listing, in order; a Marker already sent fails it (RepeatedMarker). */
export async function everyPage<T>(
  fetch: (marker: string | undefined) => Promise<{ items: T[]; marker: string | undefined }>,
): Promise<T[]> {
  const all: T[] = [];
  const nextMarker = pageTokens('an RDS listing', 'RepeatedMarker', 'Marker');
  let marker: string | undefined;
  do {
    const page = await fetch(marker);
    all.push(...page.items);
    marker = nextMarker(page.marker);
  } while (marker);
  return all;
}
