/**
 * The snapshot job: the one runner behind `backup-guard snapshot`, the `snapshot` Lambda, the Cloud
 * Function and the maintenance job. Resolve targets (the policy's, or those the request names) ->
 * take the snapshots (functions/actions/snapshot) -> one result, target by target.
 *
 * Idempotency per request id is added around this function by the entry points
 * (functions/jobs/idempotency.ts), so a re-sent request returns the first result.
 */
import { RDSClient } from '@aws-sdk/client-rds';
import { rdsSnapshotBackend } from '../actions/snapshot/aws.ts';
import type { SnapshotBackend } from '../actions/snapshot/backend.ts';
import { type CloudSqlBackupsApi, cloudSqlSnapshotBackend } from '../actions/snapshot/gcp.ts';
import {
  emptyCounts,
  type SnapshotJobResult,
  type SnapshotRequest,
  type SnapshotTarget,
  targetKey,
} from '../actions/snapshot/model.ts';
import { type SnapshotProgress, takeSnapshots } from '../actions/snapshot/run.ts';
import type { AwsClientFactory } from '../aws/clients.ts';
import { auditedAccountOf, planAwsScopes } from '../aws/planner.ts';
import { collectRdsPitrFacts } from '../aws/rds.ts';
import { describeError, InputError } from '../core/errors.ts';
import type { Provider } from '../core/finding.ts';
import type { StructuredLogger } from '../core/logging.ts';
import type { Policy } from '../core/policy.ts';
import { namesOf } from '../core/targets.ts';
import type { CloudSqlApi } from '../gcp/cloud-sql.ts';
import { isCloudSqlTarget, listInstances, skipReason } from '../gcp/cloud-sql.ts';

export type { SnapshotJobResult, SnapshotRequest } from '../actions/snapshot/model.ts';

/** The GCP clients the snapshot job uses (the GCP client factory fits). */
export interface GcpSnapshotClients {
  cloudSql(): CloudSqlApi;
  cloudSqlBackups(): CloudSqlBackupsApi;
}

export interface SnapshotJobDependencies {
  readonly policy: Policy;
  /** The clouds whose targets this run snapshots. */
  readonly providers: readonly Provider[];
  readonly aws?: { readonly factory: AwsClientFactory; readonly homeRegion?: string | undefined };
  readonly gcp?: GcpSnapshotClients;
  readonly logger?: StructuredLogger;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onProgress?: (progress: SnapshotProgress) => void;
  /** AWS regions to look in (CLI `--region`); the policy's otherwise. */
  readonly regions?: readonly string[];
}

/** The targets a request covers, and the names it gave that matched nothing. */
export interface ResolvedTargets {
  readonly targets: SnapshotTarget[];
  readonly problems: string[];
}

/** The policy a request selects with: explicitly named targets replace the policy's selection. */
function selectionPolicy(policy: Policy, named: readonly string[] | undefined): Policy {
  if (!named || named.length === 0) return policy;
  return { ...policy, targets: { tags: [], identifiers: [...named], all: false } };
}

/** Find the targets: RDS instances and Aurora clusters per account x region, Cloud SQL per project. */
export async function resolveSnapshotTargets(
  named: readonly string[] | undefined,
  deps: SnapshotJobDependencies,
): Promise<ResolvedTargets> {
  const policy = selectionPolicy(deps.policy, named);
  const targets: SnapshotTarget[] = [];
  const problems: string[] = [];
  if (deps.providers.includes('aws')) {
    if (!deps.aws) throw new InputError('AWS targets are snapshotted but no AWS clients were configured');
    const { factory, homeRegion } = deps.aws;
    const scopes = await planAwsScopes(policy, factory, {
      groups: ['pitr'],
      ...(deps.regions ? { regions: deps.regions } : {}),
      ...(homeRegion ? { homeRegion } : {}),
    });
    await Promise.all(
      scopes.map(async ({ scope, failure }) => {
        if (failure) {
          problems.push(`${scope.account}/${scope.region}: not read (${failure.message})`);
          return;
        }
        try {
          const account = auditedAccountOf(policy, scope.account);
          const facts = await collectRdsPitrFacts(
            factory.client(RDSClient, scope.region, account),
            scope,
            policy,
          );
          for (const fact of facts) {
            const { resource } = fact;
            targets.push({
              provider: 'aws',
              kind: resource.type === 'AwsRdsDbCluster' ? 'aurora-cluster' : 'rds-instance',
              account: resource.account,
              region: resource.region,
              id: resource.id,
              ...(resource.arn ? { arn: resource.arn } : {}),
            });
          }
        } catch (error) {
          problems.push(`${scope.account}/${scope.region}: targets not read (${describeError(error)})`);
        }
      }),
    );
  }
  if (deps.providers.includes('gcp')) {
    if (!deps.gcp)
      throw new InputError('Cloud SQL targets are snapshotted but no GCP clients were configured');
    for (const project of deps.policy.gcp.projects) {
      try {
        const instances = await listInstances(deps.gcp.cloudSql().instances, project);
        for (const instance of instances) {
          if (skipReason(instance) !== undefined || !isCloudSqlTarget(instance, policy.targets)) continue;
          targets.push({
            provider: 'gcp',
            kind: 'cloudsql-instance',
            account: project,
            region: instance.region ?? 'unknown',
            id: instance.name ?? '',
            ...(instance.selfLink ? { arn: instance.selfLink } : {}),
          });
        }
      } catch (error) {
        problems.push(`${project}: Cloud SQL instances not read (${describeError(error)})`);
      }
    }
  }
  targets.sort((a, b) => targetKey(a).localeCompare(targetKey(b)));
  for (const name of named ?? []) {
    const wanted = name.toLowerCase();
    const found = targets.some((target) =>
      namesOf({
        provider: target.provider,
        account: target.account,
        region: target.region,
        type: 'Scope',
        id: target.id,
        ...(target.arn ? { arn: target.arn } : {}),
      }).some((candidate) => candidate.toLowerCase() === wanted),
    );
    if (!found) problems.push(`target ${name} was not found (or is not a PostgreSQL primary)`);
  }
  return { targets, problems };
}

/** The backend of one scope. */
export function snapshotBackendFor(deps: SnapshotJobDependencies) {
  return (scope: { provider: string; account: string; region: string }): SnapshotBackend => {
    if (scope.provider === 'aws') {
      if (!deps.aws) throw new InputError('no AWS clients were configured');
      return rdsSnapshotBackend(
        deps.aws.factory.client(RDSClient, scope.region, auditedAccountOf(deps.policy, scope.account)),
      );
    }
    if (!deps.gcp) throw new InputError('no GCP clients were configured');
    return cloudSqlSnapshotBackend(deps.gcp.cloudSqlBackups(), scope.account);
  };
}

/** Validate a request at the edge: every field says what is wrong. */
export function checkSnapshotRequest(request: SnapshotRequest): void {
  if (!request.requestId.trim())
    throw new InputError('a snapshot request needs a request id (--ticket or --request-id)');
  if (!request.reason.trim())
    throw new InputError('a snapshot request needs a reason (--reason "CA rotation")');
  if (!request.requestedBy.trim())
    throw new InputError('a snapshot request needs who asked for it (requestedBy)');
}

/** Resolve the targets and snapshot them; the result lists every target. */
export async function runSnapshotJob(
  request: SnapshotRequest,
  deps: SnapshotJobDependencies,
): Promise<SnapshotJobResult> {
  checkSnapshotRequest(request);
  const now = deps.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const { targets, problems } = await resolveSnapshotTargets(request.targets, deps);
  deps.logger?.info('snapshot request', { requestId: request.requestId, targets: targets.length });
  const results = await takeSnapshots(request, targets, {
    policy: deps.policy.snapshots,
    backendFor: snapshotBackendFor(deps),
    now,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  const counts = emptyCounts();
  for (const result of results) counts[result.outcome] += 1;
  return {
    requestId: request.requestId,
    startedAt,
    finishedAt: now().toISOString(),
    results,
    counts,
    problems,
  };
}

/** 0 every target available (or created when not waiting), 1 some target failed, 2 nothing to do or not evaluated. */
export function snapshotExitCode(result: SnapshotJobResult): number {
  if (result.results.length === 0) return 2;
  const bad = result.results.filter((entry) => !['available', 'creating'].includes(entry.outcome)).length;
  if (bad > 0 || result.problems.length > 0) return 1;
  return 0;
}
