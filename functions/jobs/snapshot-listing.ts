/**
 * What chat's `snapshot` and `status` share with the readiness job (functions/jobs/readiness.ts,
 * which uses and re-exports all of it): the listing of our snapshots per target, why one bearing a
 * target's name is not counted, the note on a Cloud SQL instance whose backups Backup and DR takes,
 * and the clouds a run leaves out. It lives apart from the job because the job imports the audit and
 * every check group: the chat-action Lambda imports this at cold start and the job only when a
 * `readiness` command runs (functions/chatops/job-actions.ts), 220 KiB less at each cold start.
 */
import type { BackendSnapshot, SnapshotBackend, SnapshotCloud } from '../actions/snapshot/backend.ts';
import { incarnationOf, type SnapshotMatchTarget } from '../actions/snapshot/identity.ts';
import { type SnapshotTarget, targetKey } from '../actions/snapshot/model.ts';
import {
  BACKUP_PLAN_BACKUPS,
  backupConfigurationCommand,
  backupPlanAssociationsCommand,
  backupTierClause,
  isBackupPlanTier,
  isUnknownBackupTier,
} from '../core/facts.ts';
import type { Provider, ResourceRef } from '../core/finding.ts';
import { type Policy, policyProviders } from '../core/policy.ts';
import { locateIdentifier } from '../core/targets.ts';
import { snapshotBackendFor } from './snapshot.ts';

/** The kind of snapshot a database resource takes. */
export function kindOf(resource: Pick<ResourceRef, 'type'>): SnapshotTarget['kind'] {
  if (resource.type === 'AwsRdsDbCluster') return 'aurora-cluster';
  if (resource.type === 'GcpCloudSqlInstance') return 'cloudsql-instance';
  return 'rds-instance';
}

/** Why a snapshot of ours that bears the target's name is not counted for it, or undefined when it is. */
export function uncountedReason(snapshot: BackendSnapshot, target: SnapshotMatchTarget): string | undefined {
  const { reason } = incarnationOf(snapshot, target);
  return reason === undefined ? undefined : `${snapshot.id} ${reason}`;
}

/**
 * What readiness and chat status say of a Cloud SQL instance on the enhanced backup tier
 * (`backupTier` ENHANCED, or its deprecated name ADVANCED) or on a tier this tool does not know
 * (core/facts.ts isBackupPlanTier), or undefined for any other target.
 * Backup and DR takes its backups in a backup vault: backupRuns.list does not list them, and the
 * snapshot action refuses to take one (SnapshotOnBackupPlan, functions/actions/snapshot/gcp.ts), so
 * "no snapshot of ours" would send the user round in a loop. This tool does not read Backup and DR:
 * the note names how to verify a fresh backup there; for a tier this tool does not know, how to find
 * out what manages the backups instead.
 */
export function backupPlanNote(target: ResourceRef): { evidence: string; action: string } | undefined {
  const tier = target.backupTier;
  if (kindOf(target) !== 'cloudsql-instance' || !isBackupPlanTier(tier)) return undefined;
  const evidence = `Cloud SQL instance ${target.id} ${backupTierClause(tier)}, which this tool does not read`;
  if (isUnknownBackupTier(tier)) {
    // What takes its backups is not known here: a Backup and DR listing would be a guess (as the
    // snapshot action's refusal says, functions/actions/snapshot/gcp.ts backupPlanRefusal).
    return {
      evidence,
      action: `Find out what manages the instance's backups (\`${backupConfigurationCommand(target)}\`), verify a fresh backup there, then run readiness again.`,
    };
  }
  return {
    evidence,
    action: `Verify a fresh Backup and DR backup of the instance: \`${backupPlanAssociationsCommand(target)}\` names the association of this instance, with its data source and backup vault; ${BACKUP_PLAN_BACKUPS}. Then run readiness again.`,
  };
}

/**
 * The key of a target's listing in {@link snapshotsByTarget}: its kind and where it is. An RDS
 * instance and an Aurora cluster may share an identifier in one region; each has its own listing.
 */
export function snapshotListingKey(
  target: Pick<SnapshotTarget, 'provider' | 'account' | 'region' | 'id' | 'kind'>,
): string {
  return `${target.kind}:${targetKey(target)}`;
}

/**
 * List our snapshots of every target, one listing per (scope, kind), or per target where the backend
 * lists per target (SnapshotBackend.listsPerTarget), by {@link snapshotListingKey}.
 */
export async function snapshotsByTarget(
  targets: readonly ResourceRef[],
  clouds: readonly SnapshotCloud[],
): Promise<Map<string, readonly BackendSnapshot[] | Error>> {
  const byScope = new Map<
    string,
    { scope: ResourceRef; kinds: Map<SnapshotTarget['kind'], SnapshotTarget[]> }
  >();
  for (const resource of targets) {
    const scopeId = `${resource.provider}/${resource.account}/${resource.region}`;
    const entry = byScope.get(scopeId) ?? { scope: resource, kinds: new Map() };
    const kind = kindOf(resource);
    const list: SnapshotTarget[] = entry.kinds.get(kind) ?? [];
    if (!list.some((known) => known.id === resource.id)) {
      list.push({
        provider: resource.provider,
        kind,
        account: resource.account,
        region: resource.region,
        id: resource.id,
      });
    }
    entry.kinds.set(kind, list);
    byScope.set(scopeId, entry);
  }
  const backendFor = snapshotBackendFor(clouds);
  const listed = new Map<string, readonly BackendSnapshot[] | Error>();
  const list = async (
    backend: () => SnapshotBackend,
    kind: SnapshotTarget['kind'],
    kindTargets: SnapshotTarget[],
  ) => {
    let snapshots: readonly BackendSnapshot[] | Error;
    try {
      snapshots = await backend().listManual(kind, kindTargets);
    } catch (error) {
      snapshots = error instanceof Error ? error : new Error(String(error));
    }
    for (const target of kindTargets) listed.set(snapshotListingKey(target), snapshots);
  };
  await Promise.all(
    [...byScope.values()].flatMap(({ scope, kinds }) => {
      let backend: SnapshotBackend | undefined;
      try {
        backend = backendFor(scope);
      } catch {
        // No backend for the scope: its one listing below says why, for every target.
      }
      const scoped = () => backend ?? backendFor(scope);
      return [...kinds].flatMap(([kind, kindTargets]) =>
        // A backend that lists per target (Cloud SQL backupRuns.list, per instance) is asked for each
        // target apart: one listing that fails leaves that target unknown, not every target there.
        backend?.listsPerTarget === true
          ? kindTargets.map((target) => list(scoped, kind, [target]))
          : [list(scoped, kind, kindTargets)],
      );
    }),
  );
  return listed;
}

/** A cloud the policy selects databases in that a run does not judge ({@link uncoveredClouds}). */
export interface UncoveredCloud {
  readonly provider: Provider;
  /** Where the policy says: `gcp.projects certctl-prod`, `its aws section`. */
  readonly where: string;
  /**
   * The policy's `targets.identifiers` that say they are in this cloud (an RDS ARN, a Cloud SQL
   * selfLink or connection name): a plain name asked about may be one of them.
   */
  readonly identifiers?: readonly string[];
}

/**
 * The clouds the policy selects databases in (`policyProviders`) that `providers` leave out, each with
 * where the policy says they are.
 */
export function uncoveredClouds(
  policy: Pick<Policy, 'aws' | 'gcp' | 'targets'>,
  providers: readonly Provider[],
): UncoveredCloud[] {
  return policyProviders(policy)
    .filter((provider) => !providers.includes(provider))
    .map((provider) => ({
      provider,
      where: provider === 'gcp' ? `gcp.projects ${policy.gcp.projects.join(', ')}` : 'its aws section',
      identifiers: policy.targets.identifiers.filter(
        (identifier) => locateIdentifier(identifier)?.provider === provider,
      ),
    }));
}
