/**
 * The prune job: list the manual snapshots of every scope, decide with `planPrune`, and (only when
 * asked) delete. A dry run is the default everywhere: the CLI needs `--apply` to delete.
 */
import { RDSClient } from '@aws-sdk/client-rds';
import { rdsSnapshotBackend } from '../actions/snapshot/aws.ts';
import type { BackendSnapshot } from '../actions/snapshot/backend.ts';
import { cloudSqlSnapshotBackend } from '../actions/snapshot/gcp.ts';
import { type PruneDecision, planPrune } from '../actions/snapshot/prune.ts';
import { auditedAccountOf, planAwsScopes } from '../aws/planner.ts';
import { describeError, errorCode } from '../core/errors.ts';
import { resolveSnapshotTargets, type SnapshotJobDependencies } from './snapshot.ts';

export interface PruneRequest {
  /** Delete what may go; false (the default) only reports. */
  readonly apply?: boolean;
}

export interface PruneEntry {
  readonly provider: string;
  readonly account: string;
  readonly region: string;
  readonly snapshotId: string;
  readonly target: string;
  readonly createdAt?: string;
  readonly decision: PruneDecision['action'];
  readonly reason: string;
  /** Set when applying: whether the delete went through, or its error. */
  readonly deleted?: boolean;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface PruneResult {
  readonly applied: boolean;
  readonly entries: readonly PruneEntry[];
  readonly kept: number;
  readonly deleted: number;
  /** Would be deleted (dry run) or failed to delete (apply). */
  readonly pending: number;
  readonly problems: readonly string[];
}

type Scope = {
  provider: string;
  account: string;
  region: string;
  list: () => Promise<BackendSnapshot[]>;
  remove: (s: BackendSnapshot) => Promise<void>;
};

async function pruneScopes(deps: SnapshotJobDependencies): Promise<{ scopes: Scope[]; problems: string[] }> {
  const scopes: Scope[] = [];
  const problems: string[] = [];
  if (deps.providers.includes('aws') && deps.aws) {
    const { factory, homeRegion } = deps.aws;
    const planned = await planAwsScopes(deps.policy, factory, {
      groups: ['pitr'],
      ...(deps.regions ? { regions: deps.regions } : {}),
      ...(homeRegion ? { homeRegion } : {}),
    });
    for (const { scope, failure } of planned) {
      if (failure) {
        problems.push(`${scope.account}/${scope.region}: not read (${failure.message})`);
        continue;
      }
      const backend = rdsSnapshotBackend(
        factory.client(RDSClient, scope.region, auditedAccountOf(deps.policy, scope.account)),
      );
      scopes.push({
        provider: 'aws',
        account: scope.account,
        region: scope.region,
        list: async () => [
          ...(await backend.listManual('rds-instance')),
          ...(await backend.listManual('aurora-cluster')),
        ],
        remove: (snapshot) => backend.delete(snapshot),
      });
    }
  }
  if (deps.providers.includes('gcp') && deps.gcp) {
    const { targets, problems: gcpProblems } = await resolveSnapshotTargets(undefined, {
      ...deps,
      providers: ['gcp'],
    });
    problems.push(...gcpProblems);
    const gcp = deps.gcp;
    for (const project of new Set(targets.map((target) => target.account))) {
      const backend = cloudSqlSnapshotBackend(gcp.cloudSqlBackups(), project);
      const projectTargets = targets.filter((target) => target.account === project);
      scopes.push({
        provider: 'gcp',
        account: project,
        region: '*',
        list: () => backend.listManual('cloudsql-instance', projectTargets),
        remove: (snapshot) => backend.delete(snapshot),
      });
    }
  }
  return { scopes, problems };
}

export async function runPruneJob(
  request: PruneRequest,
  deps: SnapshotJobDependencies,
): Promise<PruneResult> {
  const now = deps.now ?? (() => new Date());
  const apply = request.apply ?? false;
  const { scopes, problems } = await pruneScopes(deps);
  const entries: PruneEntry[] = [];
  await Promise.all(
    scopes.map(async (scope) => {
      let snapshots: BackendSnapshot[];
      try {
        snapshots = await scope.list();
      } catch (error) {
        problems.push(`${scope.account}/${scope.region}: snapshots not listed (${describeError(error)})`);
        return;
      }
      for (const decision of planPrune(snapshots, now())) {
        const base = {
          provider: scope.provider,
          account: scope.account,
          region: scope.region,
          snapshotId: decision.snapshot.id,
          target: decision.snapshot.target,
          ...(decision.snapshot.createdAt ? { createdAt: decision.snapshot.createdAt.toISOString() } : {}),
          decision: decision.action,
          reason: decision.reason,
        };
        if (decision.action === 'keep' || !apply) {
          entries.push(base);
          continue;
        }
        try {
          await scope.remove(decision.snapshot);
          entries.push({ ...base, deleted: true });
        } catch (error) {
          entries.push({
            ...base,
            deleted: false,
            error: { code: errorCode(error), message: describeError(error) },
          });
        }
      }
    }),
  );
  entries.sort((a, b) =>
    `${a.account}/${a.region}/${a.snapshotId}`.localeCompare(`${b.account}/${b.region}/${b.snapshotId}`),
  );
  return {
    applied: apply,
    entries,
    kept: entries.filter((entry) => entry.decision === 'keep').length,
    deleted: entries.filter((entry) => entry.deleted === true).length,
    pending: entries.filter((entry) => entry.decision === 'delete' && entry.deleted !== true).length,
    problems,
  };
}

export function renderPrune(result: PruneResult): string {
  const lines = [
    result.applied
      ? `Pruned: ${result.deleted} deleted, ${result.kept} kept${result.pending ? `, ${result.pending} failed` : ''}`
      : `Dry run: ${result.pending} would be deleted, ${result.kept} kept (run with --apply to delete)`,
  ];
  for (const entry of result.entries) {
    const verb =
      entry.decision === 'keep' ? 'keep  ' : entry.deleted ? 'deleted' : result.applied ? 'FAILED' : 'delete';
    lines.push(
      `  ${verb} ${entry.account}/${entry.region}/${entry.snapshotId} (${entry.target}): ${entry.error?.message ?? entry.reason}`,
    );
  }
  for (const problem of result.problems) lines.push(`  not read: ${problem}`);
  return `${lines.join('\n')}\n`;
}
