/**
 * The AWS side of the snapshot action: RDS targets, their backend and pending maintenance.
 * Instances get DB snapshots, Aurora clusters cluster snapshots (CreateDBSnapshot on an Aurora member fails with InvalidParameterValue,
 * https://github.com/cloud-custodian/cloud-custodian/issues/313).
 */
import { RDSClient } from '@aws-sdk/client-rds';
import type { AwsClientFactory } from '../../aws/clients.ts';
import {
  describeKeyFailure,
  keyReadRemedy,
  kmsClientOf,
  kmsKeyDescriber,
  withUngrantedAccountNote,
} from '../../aws/kms-keys.ts';
import { auditedAccountOf, callerAccountId, identityRegions, planAwsScopes } from '../../aws/planner.ts';
import {
  clusterStandInGroups,
  listSelectedDatabases,
  lookUpRdsNames,
  memberIds,
  type StandInGroup,
  selectedInstanceStandInGroups,
  standInsListed,
} from '../../aws/rds.ts';
import {
  createRdsSnapshot,
  deleteRdsSnapshot,
  describePendingMaintenance,
  describeRdsDatabaseStatus,
  describeRdsSnapshotSharing,
  describeRdsSnapshots,
  listManualRdsSnapshots,
  type RdsSnapshotState,
} from '../../aws/rds-snapshots.ts';
import {
  CREATION_FAILED_STATUSES,
  DELETING_STATUSES,
  RDS_STUCK_STATUSES,
} from '../../core/database-status.ts';
import { CloudApiError, describeError, errorCode } from '../../core/errors.ts';
import type { EncryptionKey } from '../../core/key-facts.ts';
import type { Policy } from '../../core/policy.ts';
import { shellWord } from '../../core/shell-word.ts';
import type {
  BackendSnapshot,
  CreateErrorKind,
  ManualListing,
  OtherEngineDatabase,
  OtherEnginesFailure,
  SnapshotBackend,
  SnapshotCloud,
  SnapshotKeyReader,
  SnapshotPlace,
  SnapshotRef,
  TargetStandIn,
  UpcomingMaintenance,
} from './backend.ts';
import { READ_KEY_AGAIN } from './keys.ts';
import type { SnapshotTarget } from './model.ts';

/**
 * `backing-up`, `modifying` and friends: the create is refused until the target is available again.
 * A refusal in a state the database stays in until someone acts (RDS_STUCK_STATUSES) is not retried.
 */
const BUSY = new Set(['InvalidDBInstanceState', 'InvalidDBInstanceStateFault', 'InvalidDBClusterStateFault']);
const QUOTA = new Set(['SnapshotQuotaExceeded', 'SnapshotQuotaExceededFault']);
const EXISTS = new Set([
  'DBSnapshotAlreadyExists',
  'DBSnapshotAlreadyExistsFault',
  'DBClusterSnapshotAlreadyExistsFault',
]);

/**
 * The `Status` words of a DB snapshot or DB cluster snapshot being made: `creating`, and `copying`
 * (DBClusterSnapshot.Status, RDS API reference: "Valid statuses are the following: available,
 * copying, creating").
 */
const BEING_CREATED: ReadonlySet<string> = new Set(['creating', 'copying']);
/** The `Status` words the snapshot action and readiness read as they are. */
const SETTLED: ReadonlySet<string> = new Set(['available', 'failed', 'deleting']);

/**
 * A snapshot's `Status` as the snapshot action and readiness read it (as Cloud SQL's backup runs,
 * functions/actions/snapshot/gcp.ts `runStatus`): only `creating` and `copying` are a snapshot being
 * created; `available` is the one usable state; `deleting` is going. Any other (an `incompatible-*`
 * state, a word RDS adds later, or no Status at all) is failed, never awaited: waiting on it would
 * end only at the deadline, and it is not counted as usable.
 */
function snapshotStatus(
  state: RdsSnapshotState,
): Pick<BackendSnapshot, 'status' | 'failure' | 'statusNotKnown'> {
  const { status } = state;
  if (status !== undefined && BEING_CREATED.has(status)) return { status: 'creating' };
  if (status !== undefined && SETTLED.has(status)) return { status };
  const said = status === undefined ? 'status not sent' : `is ${status}`;
  return {
    status: 'failed',
    failure: `${state.id} ${said} (not a status of a snapshot being created or available): not a snapshot to wait for`,
    statusNotKnown: status ?? 'not sent',
  };
}

function toBackend(state: RdsSnapshotState): BackendSnapshot {
  return {
    id: state.id,
    kind: state.kind,
    target: state.target,
    ...(state.sourceResourceId ? { sourceResourceId: state.sourceResourceId } : {}),
    ...snapshotStatus(state),
    ref: state.arn,
    createdAt: state.createdAt,
    ...(state.undatedBecause ? { undatedBecause: state.undatedBecause } : {}),
    ...(state.sourceRegion ? { sourceRegion: state.sourceRegion } : {}),
    ...(state.sourceAccount ? { sourceAccount: state.sourceAccount } : {}),
    encrypted: state.encrypted,
    kmsKeyId: state.kmsKeyId,
    sizeGb: state.sizeGb,
    tags: state.tags,
  };
}

const RDS_KINDS = ['rds-instance', 'aurora-cluster'] as const;

function rdsKind(kind: string): RdsSnapshotState['kind'] {
  if (kind === 'rds-instance' || kind === 'aurora-cluster') return kind;
  throw new TypeError(`RDS cannot snapshot a ${kind}`);
}

/** The value of a `restore` attribute that makes a snapshot public (RDS API reference, DBSnapshotAttribute). */
const PUBLIC_RESTORE = 'all';

/**
 * The AWS CLI command that takes `accounts` (or `all`) off the snapshot's `restore` attribute
 * (ModifyDBSnapshotAttribute / ModifyDBClusterSnapshotAttribute `ValuesToRemove`), each name one
 * shell word ({@link shellWord}): a DBA pastes it, and the names came in RDS's answer. Exported for
 * the test that feeds it a hostile name.
 */
export function unshareCommand(snapshot: SnapshotRef, accounts: readonly string[], region: string): string {
  const [command, option] =
    rdsKind(snapshot.kind) === 'aurora-cluster'
      ? ['modify-db-cluster-snapshot-attribute', '--db-cluster-snapshot-identifier']
      : ['modify-db-snapshot-attribute', '--db-snapshot-identifier'];
  return `aws rds ${command} ${option} ${shellWord(snapshot.id)} --attribute-name restore --values-to-remove ${accounts.map((account) => shellWord(account)).join(' ')} --region ${shellWord(region)}`;
}

export function rdsSnapshotBackend(rds: RDSClient): SnapshotBackend {
  return {
    quotaApplies: true,
    create: async (target, snapshotId, tags) =>
      toBackend(await createRdsSnapshot(rds, rdsKind(target.kind), target.id, snapshotId, tags)),
    poll: async (snapshots) => {
      const states: BackendSnapshot[] = [];
      for (const kind of RDS_KINDS) {
        const ids = snapshots.filter((snapshot) => snapshot.kind === kind).map((snapshot) => snapshot.id);
        if (ids.length > 0) states.push(...(await describeRdsSnapshots(rds, kind, ids)).map(toBackend));
      }
      return states;
    },
    // DescribeDBSnapshots / DescribeDBClusterSnapshots filtered on the identifier: one call, and an
    // empty answer (not a fault) when the snapshot is gone.
    describe: async (snapshot) => {
      const wanted = snapshot.id.toLowerCase();
      const [state] = (await describeRdsSnapshots(rds, rdsKind(snapshot.kind), [snapshot.id])).filter(
        (candidate) => candidate.id.toLowerCase() === wanted,
      );
      return state ? toBackend(state) : undefined;
    },
    listManual: async (kind) => (await listManualRdsSnapshots(rds, rdsKind(kind))).map(toBackend),
    // DeleteDBSnapshot / DeleteDBClusterSnapshot delete at once (no operation to wait for).
    delete: async (snapshot) => {
      await deleteRdsSnapshot(rds, rdsKind(snapshot.kind), snapshot.id);
      return undefined;
    },
    // DescribeDBSnapshotAttributes / DescribeDBClusterSnapshotAttributes: the `restore` attribute.
    sharing: async (snapshot, region) => {
      const sharedWith = await describeRdsSnapshotSharing(rds, rdsKind(snapshot.kind), snapshot.id);
      return {
        sharedWith,
        isPublic: sharedWith.includes(PUBLIC_RESTORE),
        unshare: unshareCommand(snapshot, sharedWith, region),
      };
    },
    codeOf: errorCode,
    currentState: async (target) => {
      const status = await describeRdsDatabaseStatus(rds, rdsKind(target.kind), target.id);
      return status === undefined ? undefined : { status };
    },
    unavailableAdvice: rdsStuckAdvice,
    classify: (error, target): CreateErrorKind => {
      const code = errorCode(error);
      if (BUSY.has(code)) return RDS_STUCK_STATUSES.has(target?.status ?? '') ? 'unavailable' : 'busy';
      if (QUOTA.has(code)) return 'quota';
      if (EXISTS.has(code)) return 'exists';
      return 'other';
    },
  };
}

/** `upgrade-failed`, and `upgrade_failed` as the RDS guide spells it. */
const UPGRADE_FAILED_STATUSES: ReadonlySet<string> = new Set(['upgrade-failed', 'upgrade_failed']);

/** What to do about a database in one of the {@link RDS_STUCK_STATUSES} states. */
function rdsStuckAdvice(target: SnapshotTarget): string {
  const status = target.status ?? '';
  if (DELETING_STATUSES.has(status))
    return 'It is being deleted, which cannot be cancelled: name the database that replaces it';
  if (UPGRADE_FAILED_STATUSES.has(status))
    return 'Its engine upgrade failed: retry the upgrade or restore it to a point in time';
  if (CREATION_FAILED_STATUSES.has(status))
    return 'Its restore, clone or migration failed: make it again, or name the database it was made from';
  return 'Make it available (start it, add storage, restore its KMS key or fix its parameters)';
}

/**
 * The target of each resource ARN whose pending maintenance concerns it: a database's own ARN and,
 * for an Aurora cluster, the ARN of each of its DB instances (Aurora lists operating-system updates
 * on the DB instances and applies them without a backup:
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora_OS_updates.html), by
 * lower-case ARN.
 */
function maintainedResources(targets: readonly SnapshotTarget[]): Map<string, SnapshotTarget> {
  const byArn = new Map<string, SnapshotTarget>();
  for (const target of targets) {
    if (!target.arn) continue;
    byArn.set(target.arn.toLowerCase(), target);
    for (const member of target.members ?? []) {
      const memberArn: string = target.arn.replace(/:cluster:[^:]+$/i, `:db:${member}`);
      if (memberArn !== target.arn) byArn.set(memberArn.toLowerCase(), target);
    }
  }
  return byArn;
}

/**
 * The databases `target`'s own listing names as standing in for it: its members
 * (`DBClusterMembers`, identifiers in its account and region) or read replicas
 * (`ReadReplicaDBInstanceIdentifiers` / `ReadReplicaIdentifiers`: an identifier in the same
 * region, an ARN in another), each by its identifier and ARN, as the audit names them
 * (functions/aws/rds.ts `standInsListed`).
 */
function standInsOf(target: SnapshotTarget, groups: readonly StandInGroup[]): TargetStandIn[] {
  return standInsListed(groups, target.arn).map(({ names, relation, what }) => ({
    names,
    relation,
    what,
    of: target,
  }));
}

/** Where a snapshot's key id is read, for a key KMS does not find by it (kms-keys.ts describeKmsKey `namedIn`). */
const SNAPSHOT_KEY_NAMED_IN =
  'the KmsKeyId the database and its snapshots name (`aws rds describe-db-instances` or `describe-db-clusters`)';

/**
 * The keys of RDS snapshots for one run: KMS DescribeKey with the credentials of the snapshot's
 * account (its member role, or the caller's own), in the key's region (an ARN's, else the
 * snapshot's: a key id or alias names a key of the snapshot's account and region), each distinct
 * key once per account (functions/aws/kms-keys.ts kmsKeyDescriber). `Encrypted: false` (instance
 * snapshots) / `StorageEncrypted: false` (cluster snapshots) has nothing to check; an encrypted
 * snapshot without `KmsKeyId`, or one that does not say whether it is encrypted, cannot be checked.
 * A describe that fails (throttling after retries, the endpoint down) is a key not read, never a
 * usable key, worded as the audits word it and with what fixes it (`action`); so is one refused
 * (the grant, or what lifts an explicit deny, which no grant overrides: kms-keys.ts keyReadRemedy).
 */
export function rdsSnapshotKeyReader(policy: Policy, factory: AwsClientFactory): SnapshotKeyReader {
  const describers = new Map<string, (keyId: string, usedIn: string) => Promise<EncryptionKey>>();
  const keyAccounts = policy.keys?.kmsKeyAccounts ?? [];
  return async ({ account, region }, snapshot) => {
    if (snapshot.encrypted === false) return { kind: 'none' };
    const keyId = snapshot.kmsKeyId;
    if (!keyId) {
      return {
        kind: 'unnamed',
        reason:
          snapshot.encrypted === true
            ? `RDS says ${snapshot.id} is encrypted but did not name its key (KmsKeyId)`
            : `RDS did not say whether ${snapshot.id} is encrypted (Encrypted / StorageEncrypted)`,
      };
    }
    let describe = describers.get(account);
    if (!describe) {
      const audited = auditedAccountOf(policy, account);
      describe = kmsKeyDescriber(
        (keyRegion) => kmsClientOf(factory, keyRegion, audited),
        READ_KEY_AGAIN,
        SNAPSHOT_KEY_NAMED_IN,
      );
      describers.set(account, describe);
    }
    let key: EncryptionKey;
    try {
      key = await describe(keyId, region);
    } catch (error) {
      // The words the audits fail their scope with (functions/aws/kms-keys.ts describeKeyFailure:
      // the describer throws that error), and what fixes the failure, not a grant it never lacked.
      const failure = error instanceof CloudApiError ? error : describeKeyFailure(error, keyId);
      const action = keyReadRemedy(error, keyId, READ_KEY_AGAIN);
      return {
        kind: 'described',
        key: { id: keyId, manager: undefined, unreadReason: describeError(failure) },
        ...(action === undefined ? {} : { action }),
      };
    }
    // A key refused for the reader: the fix the describer found (the grant, what lifts an explicit
    // deny, the key account to list), as the audits give it, never a grant an explicit deny defeats.
    const noted = withUngrantedAccountNote(key, keyId, account, keyAccounts, READ_KEY_AGAIN);
    const action = noted.unreadReason === undefined ? undefined : noted.remedy;
    return { kind: 'described', key: noted, ...(action === undefined ? {} : { action }) };
  };
}

export interface AwsSnapshotCloudOptions {
  readonly policy: Policy;
  readonly factory: AwsClientFactory;
  /** Region for STS and the Account API (the runtime's or the CLI's). */
  readonly homeRegion?: string | undefined;
  /** Regions of this run (CLI `--region`); the policy's otherwise. */
  readonly regions?: readonly string[] | undefined;
}

/**
 * RDS instances and Aurora clusters in every (account, region) of the policy: targets are found by
 * the PITR audit's own adapter (so the same databases the audit judges are snapshotted), each
 * scope's calls go through its account's role.
 */
export function awsSnapshotCloud(options: AwsSnapshotCloudOptions): SnapshotCloud {
  const { policy, factory } = options;
  const rdsOf = (account: string, region: string): RDSClient =>
    factory.client(RDSClient, region, auditedAccountOf(policy, account));
  const scopes = async (selectionPolicy: Policy) =>
    planAwsScopes(selectionPolicy, factory, {
      groups: ['pitr'],
      ...(options.regions ? { regions: options.regions } : {}),
      ...(options.homeRegion ? { homeRegion: options.homeRegion } : {}),
    });
  let ownAccount: Promise<string> | undefined;
  return {
    provider: 'aws',
    backend: ({ account, region }) => rdsSnapshotBackend(rdsOf(account, region)),
    snapshotKeys: () => rdsSnapshotKeyReader(policy, factory),
    // A member account of the policy is read through its role; any other account id gets the
    // caller's own credentials (auditedAccountOf), which read the caller's account only: one STS
    // GetCallerIdentity per cloud tells whether that is the account asked about (it needs no IAM
    // permission: https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
    reads: ({ region }) => {
      const regions = options.regions ?? (policy.aws.regions === 'all' ? undefined : policy.aws.regions);
      return regions === undefined || regions.includes(region);
    },
    async reaches(account) {
      if (policy.aws.accounts.some((member) => member.accountId === account)) return true;
      ownAccount ??= callerAccountId(
        factory,
        identityRegions(
          options.homeRegion,
          options.regions ?? (policy.aws.regions === 'all' ? undefined : policy.aws.regions),
        ),
      );
      return (await ownAccount) === account;
    },
    async targets(selection, options = {}) {
      const selectionPolicy: Policy = { ...policy, targets: selection };
      const targets: SnapshotTarget[] = [];
      const problems: string[] = [];
      const manualSnapshots: ManualListing[] = [];
      const standIns: TargetStandIn[] = [];
      const otherEngines: OtherEngineDatabase[] = [];
      await Promise.all(
        (await scopes(selectionPolicy)).map(async ({ scope, failure }) => {
          if (failure) {
            problems.push(`${scope.account}/${scope.region}: not read (${failure.message})`);
            return;
          }
          const rds = rdsOf(scope.account, scope.region);
          const place = { provider: 'aws' as const, account: scope.account, region: scope.region };
          // The manual snapshots of both kinds, in the same round trip as the databases (the
          // snapshot job's quota check needs them before its creates); a listing that fails is
          // left out, and the job lists again.
          const listings = options.withManualSnapshots
            ? RDS_KINDS.map((kind) =>
                listManualRdsSnapshots(rds, kind).then(
                  (states) => {
                    manualSnapshots.push({ ...place, kind, snapshots: states.map(toBackend) });
                  },
                  () => undefined,
                ),
              )
            : [];
          try {
            // Only the databases, not their restore windows: one call per kind, not three. Asked for
            // other engines, a selection by tag lists every engine, as the audit's does (no call of
            // its own; the pages also carry the other engines), and names the selected ones.
            const listed = await listSelectedDatabases(
              rds,
              { account: scope.account, region: scope.region },
              selectionPolicy,
              { otherEngines: options.withOtherEngines === true },
            );
            const { instances, clusters, cascading } = listed;
            otherEngines.push(
              ...listed.otherEngines.map(({ id, names, engine, selectedBy }) => ({
                ...place,
                id,
                names,
                engine,
                selectedBy,
              })),
            );
            for (const instance of instances) {
              const target: SnapshotTarget = {
                ...place,
                kind: 'rds-instance',
                id: instance.DBInstanceIdentifier ?? '',
                ...(instance.DBInstanceArn ? { arn: instance.DBInstanceArn } : {}),
                ...(instance.DbiResourceId ? { resourceId: instance.DbiResourceId } : {}),
                ...(instance.DBInstanceStatus ? { status: instance.DBInstanceStatus } : {}),
              };
              targets.push(target);
              standIns.push(...standInsOf(target, selectedInstanceStandInGroups(instance, cascading)));
            }
            for (const cluster of clusters) {
              const members = memberIds(cluster);
              const target: SnapshotTarget = {
                ...place,
                kind: 'aurora-cluster',
                id: cluster.DBClusterIdentifier ?? '',
                ...(cluster.DBClusterArn ? { arn: cluster.DBClusterArn } : {}),
                ...(cluster.DbClusterResourceId ? { resourceId: cluster.DbClusterResourceId } : {}),
                ...(members.length > 0 ? { members } : {}),
                ...(cluster.Status ? { status: cluster.Status } : {}),
              };
              targets.push(target);
              // As the audit names them (functions/aws/rds.ts `clusterStandInGroups`).
              standIns.push(...standInsOf(target, clusterStandInGroups(cluster)));
            }
          } catch (error) {
            problems.push(`${scope.account}/${scope.region}: targets not read (${describeError(error)})`);
          }
          await Promise.all(listings);
        }),
      );
      return {
        targets,
        problems,
        ...(options.withManualSnapshots ? { manualSnapshots } : {}),
        ...(standIns.length > 0 ? { standIns } : {}),
        ...(options.withOtherEngines ? { otherEngines } : {}),
      };
    },
    // The listings filter on engine unless the selection is by tag (a MySQL database then crosses the
    // wire only when selected), so a name no target answers to is looked up by itself in each scope
    // it may be in: one filtered
    // DescribeDBInstances and DescribeDBClusters a scope (functions/aws/rds.ts lookUpRdsNames), only
    // for a request that named such a database. Only a database the policy selects (its target tag,
    // its name in targets.identifiers) is said with its engine: a request narrows the policy's
    // selection, never widens it, so its answer says nothing of the account's other databases,
    // whatever their engine (an unselected PostgreSQL one is not found either).
    async otherEngines(names) {
      const databases: OtherEngineDatabase[] = [];
      const problems: string[] = [];
      const failed: OtherEnginesFailure[] = [];
      const unread: string[] = [];
      await Promise.all(
        (await scopes(policy)).map(async ({ scope, failure }) => {
          if (failure) {
            const problem = `${scope.account}/${scope.region}: not read (${failure.message})`;
            problems.push(problem);
            unread.push(problem);
            failed.push({ scope: `${scope.account}/${scope.region}`, code: failure.code });
            return;
          }
          const place = { provider: 'aws' as const, account: scope.account, region: scope.region };
          try {
            const found = await lookUpRdsNames(
              rdsOf(scope.account, scope.region),
              place,
              policy.targets,
              names,
            );
            databases.push(...found.map(({ id, names, engine }) => ({ ...place, id, names, engine })));
          } catch (error) {
            problems.push(
              `${scope.account}/${scope.region}: named databases not looked up (${describeError(error)})`,
            );
            failed.push({ scope: `${scope.account}/${scope.region}`, code: errorCode(error) });
          }
        }),
      );
      return { databases, problems, failed, unread };
    },
    async maintenance(targets) {
      const byScope = new Map<string, SnapshotTarget[]>();
      for (const target of targets) {
        const key = `${target.account}/${target.region}`;
        byScope.set(key, [...(byScope.get(key) ?? []), target]);
      }
      const upcoming: UpcomingMaintenance[] = [];
      const problems: string[] = [];
      await Promise.all(
        [...byScope].map(async ([key, scopeTargets]) => {
          const first = scopeTargets[0] as SnapshotTarget;
          try {
            const byArn = maintainedResources(scopeTargets);
            const seen = new Set<string>();
            for (const pending of await describePendingMaintenance(rdsOf(first.account, first.region))) {
              const target = byArn.get(pending.resourceArn.toLowerCase());
              if (!target) continue;
              // Several DB instances of one cluster announce the same update for the same date:
              // one snapshot of the cluster precedes them all.
              const once = `${target.kind}/${target.id}/${pending.action}/${pending.applyAt?.toISOString()}`;
              if (seen.has(once)) continue;
              seen.add(once);
              // Opted in (immediate, or at the next maintenance window) it will be applied even when
              // no CurrentApplyDate was sent; without a date or an opt-in it waits for one
              // (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PendingMaintenanceAction.html).
              const optedIn =
                pending.optInStatus === 'immediate' || pending.optInStatus === 'next-maintenance';
              upcoming.push({
                target,
                action: pending.action,
                applyAt: pending.applyAt,
                ...(pending.applyAt === undefined && optedIn
                  ? { dueWithoutDate: { reason: `opted in: ${pending.optInStatus}` } }
                  : {}),
                // The event is the target's: Aurora lists an update on each DB instance of the
                // cluster and applies it to one at a time, so a member's ARN (whichever the listing
                // gave first, or the one still pending) would name a new event on the next scan and
                // take a second cluster snapshot.
                source: target.arn ?? pending.resourceArn,
              });
            }
          } catch (error) {
            problems.push(`${key}: pending maintenance not read (${describeError(error)})`);
          }
        }),
      );
      return { upcoming, problems };
    },
    async snapshotPlaces() {
      const places: SnapshotPlace[] = [];
      const problems: string[] = [];
      for (const { scope, failure } of await scopes(policy)) {
        if (failure) {
          problems.push(`${scope.account}/${scope.region}: not read (${failure.message})`);
          continue;
        }
        const backend = rdsSnapshotBackend(rdsOf(scope.account, scope.region));
        places.push({
          account: scope.account,
          region: scope.region,
          backend,
          list: async () => (await Promise.all(RDS_KINDS.map((kind) => backend.listManual(kind)))).flat(),
        });
      }
      return { places, problems };
    },
  };
}
