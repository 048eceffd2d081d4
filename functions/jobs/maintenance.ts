/**
 * The maintenance-aware job: read upcoming maintenance (RDS pending maintenance actions with their
 * apply dates; Cloud SQL `scheduledMaintenance.startTime`) and snapshot each target once per
 * maintenance event due within `snapshots.maintenanceHorizonHours`. The request id is derived from
 * the event (resource, action, apply date), so a later run (or the EventBridge rule firing on an
 * AWS Health notification) finds the same snapshot and takes no second one.
 */
import { RDSClient } from '@aws-sdk/client-rds';
import type { SnapshotRequest, SnapshotTarget, SnapshotTargetResult } from '../actions/snapshot/model.ts';
import { takeSnapshots } from '../actions/snapshot/run.ts';
import { auditedAccountOf } from '../aws/planner.ts';
import { describePendingMaintenance } from '../aws/rds-snapshots.ts';
import { describeError } from '../core/errors.ts';
import { listInstances } from '../gcp/cloud-sql.ts';
import { toDate } from '../gcp/wire.ts';
import { resolveSnapshotTargets, type SnapshotJobDependencies, snapshotBackendFor } from './snapshot.ts';

/** One upcoming maintenance of one target. */
export interface MaintenanceEvent {
  readonly id: string;
  readonly target: SnapshotTarget;
  readonly action: string;
  readonly applyAt: string;
}

export interface MaintenanceJobResult {
  readonly events: readonly MaintenanceEvent[];
  readonly snapshots: readonly SnapshotTargetResult[];
  /** Maintenance seen but not due within the horizon (or without a date). */
  readonly later: number;
  readonly problems: readonly string[];
}

const HOUR_MS = 3_600_000;

/** Find maintenance due within the horizon for the policy's targets. */
export async function upcomingMaintenance(
  deps: SnapshotJobDependencies,
): Promise<{ events: MaintenanceEvent[]; later: number; problems: string[] }> {
  const now = (deps.now ?? (() => new Date()))();
  const horizon = now.getTime() + deps.policy.snapshots.maintenanceHorizonHours * HOUR_MS;
  const { targets, problems } = await resolveSnapshotTargets(undefined, deps);
  const events: MaintenanceEvent[] = [];
  let later = 0;
  const consider = (target: SnapshotTarget, action: string, applyAt: Date | undefined, source: string) => {
    if (!applyAt || applyAt.getTime() > horizon) {
      later += 1;
      return;
    }
    events.push({
      id: `maintenance:${source}:${action}:${applyAt.toISOString()}`,
      target,
      action,
      applyAt: applyAt.toISOString(),
    });
  };
  const awsScopes = new Map<string, SnapshotTarget[]>();
  for (const target of targets) {
    if (target.provider !== 'aws') continue;
    const key = `${target.account}/${target.region}`;
    awsScopes.set(key, [...(awsScopes.get(key) ?? []), target]);
  }
  await Promise.all(
    [...awsScopes.values()].map(async (scopeTargets) => {
      const first = scopeTargets[0] as SnapshotTarget;
      if (!deps.aws) return;
      try {
        const rds = deps.aws.factory.client(
          RDSClient,
          first.region,
          auditedAccountOf(deps.policy, first.account),
        );
        const byArn = new Map(scopeTargets.map((target) => [target.arn?.toLowerCase(), target]));
        for (const pending of await describePendingMaintenance(rds)) {
          const target = byArn.get(pending.resourceArn.toLowerCase());
          if (target) consider(target, pending.action, pending.applyAt, pending.resourceArn);
        }
      } catch (error) {
        problems.push(
          `${first.account}/${first.region}: pending maintenance not read (${describeError(error)})`,
        );
      }
    }),
  );
  const gcpTargets = targets.filter((target) => target.provider === 'gcp');
  if (gcpTargets.length > 0 && deps.gcp) {
    for (const project of new Set(gcpTargets.map((target) => target.account))) {
      try {
        for (const instance of await listInstances(deps.gcp.cloudSql().instances, project)) {
          const target = gcpTargets.find(
            (candidate) => candidate.account === project && candidate.id === instance.name,
          );
          const start = instance.scheduledMaintenance?.startTime;
          if (target && start)
            consider(target, 'scheduled-maintenance', toDate(start), `${project}/${target.id}`);
        }
      } catch (error) {
        problems.push(`${project}: scheduled maintenance not read (${describeError(error)})`);
      }
    }
  }
  events.sort((a, b) => a.applyAt.localeCompare(b.applyAt));
  return { events, later, problems };
}

/** Snapshot every target once per maintenance event within the horizon. */
export async function runMaintenanceJob(deps: SnapshotJobDependencies): Promise<MaintenanceJobResult> {
  const { events, later, problems } = await upcomingMaintenance(deps);
  const backendFor = snapshotBackendFor(deps);
  const snapshots = (
    await Promise.all(
      events.map((event) => {
        const request: SnapshotRequest = {
          requestId: event.id,
          reason: `before ${event.action} due ${event.applyAt}`,
          requestedBy: 'backup-guard maintenance job',
          maintenanceEvent: event.id,
          wait: true,
        };
        return takeSnapshots(request, [event.target], {
          policy: deps.policy.snapshots,
          backendFor,
          ...(deps.now ? { now: deps.now } : {}),
          ...(deps.sleep ? { sleep: deps.sleep } : {}),
          ...(deps.logger ? { logger: deps.logger } : {}),
        });
      }),
    )
  ).flat();
  return { events, snapshots, later, problems };
}
