/**
 * The prune job: list the manual snapshots of every scope, decide with `planPrune`, and (only when
 * asked) delete. A dry run is the default everywhere: the CLI needs `--apply` to delete.
 */
import type { BackendSnapshot, SnapshotPlace } from '../actions/snapshot/backend.ts';
import { type PruneDecision, planPrune } from '../actions/snapshot/prune.ts';
import { describeError, eachOrAllFail, errorCode } from '../core/errors.ts';
import type { SnapshotJobDependencies } from './snapshot.ts';

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

export async function runPruneJob(
  request: PruneRequest,
  deps: SnapshotJobDependencies,
): Promise<PruneResult> {
  const now = deps.now ?? (() => new Date());
  const apply = request.apply ?? false;
  // A cloud that cannot be read (no credentials, STS unreachable) does not keep the others from pruning.
  const found = await eachOrAllFail(
    deps.clouds,
    (cloud) => cloud.snapshotPlaces(),
    (cloud, error) => ({
      places: [],
      problems: [`${cloud.provider}: snapshots not listed (${describeError(error)})`],
    }),
  );
  const places: { provider: string; place: SnapshotPlace }[] = deps.clouds.flatMap((cloud, index) =>
    (found[index]?.places ?? []).map((place) => ({ provider: cloud.provider, place })),
  );
  const problems = found.flatMap((entry) => entry.problems);
  const entries: PruneEntry[] = [];
  await Promise.all(
    places.map(async ({ provider, place: scope }) => {
      let snapshots: BackendSnapshot[];
      try {
        snapshots = await scope.list();
      } catch (error) {
        problems.push(`${scope.account}/${scope.region}: snapshots not listed (${describeError(error)})`);
        return;
      }
      for (const decision of planPrune(snapshots, now())) {
        const base = {
          provider,
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
          await scope.backend.delete(decision.snapshot);
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
