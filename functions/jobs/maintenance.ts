/**
 * The maintenance-aware job: read upcoming maintenance (RDS pending maintenance actions with their
 * apply dates; Cloud SQL `scheduledMaintenance.startTime`) and snapshot each target once per
 * maintenance event due within `snapshots.maintenanceHorizonHours`. The request id is derived from
 * the event (resource, action, apply date) and the database's incarnation ({@link maintenanceRequestId}),
 * so a later run (or the EventBridge rule firing on an AWS Health notification) finds the same
 * snapshot and takes no second one, while a database deleted and created again under the same
 * name (same ARN, same maintenance, same date) gets a snapshot of its own.
 *
 * An entry point that remembers requests runs each event's request once ({@link RememberRequests}:
 * the `snapshot` Lambda's idempotency table, functions/jobs/snapshot-once-table.ts; the Cloud
 * Function's records): a scan whose request waited for another request's snapshot still being
 * created (functions/actions/snapshot/run.ts planTarget) has nothing under its own name, and the next
 * scan, finding that snapshot done, would otherwise take one of its own. The request is unattended
 * (functions/jobs/snapshot-once.ts `unattended`): its record is replayed only while its snapshot is
 * delivered; a busy, failed or deleted one is run again by the next scan, with no cap.
 */

import { snapshotKeyReader } from '../actions/snapshot/keys.ts';
import {
  countsOf,
  type SnapshotJobResult,
  type SnapshotRequest,
  type SnapshotTarget,
  type SnapshotTargetResult,
} from '../actions/snapshot/model.ts';
import { takeSnapshots } from '../actions/snapshot/run.ts';
import { describeError, StillRunningElsewhereError } from '../core/errors.ts';
import { waitEndingBy } from '../core/snapshots-policy.ts';
import { HOUR_MS } from '../core/time.ts';
import {
  resolveSnapshotTargets,
  type SnapshotJobDependencies,
  snapshotBackendFor,
  snapshotsNotDelivered,
} from './snapshot.ts';
import type { Accepted } from './snapshot-once.ts';

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
  /** Maintenance seen but not due within the horizon, or waiting for an opt-in (no date). */
  readonly later: number;
  readonly problems: readonly string[];
}

/** Find maintenance due within the horizon for the policy's targets. */
export async function upcomingMaintenance(
  deps: SnapshotJobDependencies,
): Promise<{ events: MaintenanceEvent[]; later: number; problems: string[] }> {
  const now = (deps.now ?? (() => new Date()))();
  const horizon = now.getTime() + deps.policy.snapshots.maintenanceHorizonHours * HOUR_MS;
  const { targets, problems } = await resolveSnapshotTargets(undefined, deps);
  const events: MaintenanceEvent[] = [];
  let later = 0;
  const announced = await Promise.all(
    deps.clouds.map((cloud) =>
      cloud.maintenance(targets.filter((target) => target.provider === cloud.provider)),
    ),
  );
  for (const { upcoming, problems: unread } of announced) {
    problems.push(...unread);
    for (const { target, action, applyAt, source, dueWithoutDate } of upcoming) {
      if (!applyAt && dueWithoutDate) {
        // It will be applied, but when was not sent: neither "later" nor a date to snapshot before.
        problems.push(
          `${target.id} (${target.provider}/${target.account}/${target.region}): ${action} will be applied${
            dueWithoutDate.reason ? ` (${dueWithoutDate.reason})` : ''
          }, but no date was sent: not judged; snapshot it before then`,
        );
        continue;
      }
      if (!applyAt || applyAt.getTime() > horizon) {
        later += 1;
        continue;
      }
      events.push({
        id: `maintenance:${source}:${action}:${applyAt.toISOString()}`,
        target,
        action,
        applyAt: applyAt.toISOString(),
      });
    }
  }
  events.sort((a, b) => a.applyAt.localeCompare(b.applyAt));
  return { events, later, problems };
}

/**
 * The request id of the snapshot before `event`: the event's id, and the database's resource id
 * when the cloud sent it (RDS `DbiResourceId`, Aurora `DbClusterResourceId`:
 * functions/actions/snapshot/identity.ts). The event's id names the database only by its ARN, which
 * a database created again under the same name repeats: its snapshot name would be the earlier
 * database's, which the snapshot action refuses to adopt (`SnapshotNameTaken`), and no operator can
 * send this job another request id. The same database keeps its resource id, so each event still
 * gets one snapshot. Without a resource id (not sent; Cloud SQL, which has none) the event's id
 * alone, which a re-created database can share with the earlier one (an event's id is its source,
 * action and apply date: a fleet-wide deadline, a CA rotation's, gives both the same): it then finds
 * the earlier database's snapshot under its name, if that is still there. The snapshot action does
 * not report it as this database's: with the database's resource id not sent it cannot be told from
 * the earlier one's, and is answered `SnapshotNotVerified`, naming the id not sent and the AWS CLI
 * command that shows it (functions/actions/snapshot/run.ts notVerifiedAdoptions); readiness gives
 * it no GO either. Cloud SQL's `createTime` is not used: a Cloud SQL instance's on-demand backups
 * "persist until you delete them or until their instance is deleted" (https://cloud.google.com/sql/docs/postgres/backup-recovery/backups),
 * so a re-created instance should not meet its predecessor's backup under that name; one it does
 * meet is told by the instance's createTime (taken before it: `SnapshotNameTaken`), and where that
 * was not sent is `SnapshotNotVerified` too.
 */
export function maintenanceRequestId(event: MaintenanceEvent): string {
  return event.target.resourceId ? `${event.id}:${event.target.resourceId}` : event.id;
}

/**
 * How an entry point runs each maintenance request: once per request id, with its remembered
 * result (functions/jobs/snapshot-once-table.ts idempotentSnapshotJob), or as it comes (no store).
 * One that remembers hands the run when the request was first accepted (`accepted`), when it knows.
 */
export type RememberRequests = (
  run: (request: SnapshotRequest, accepted?: Accepted) => Promise<SnapshotJobResult>,
) => (request: SnapshotRequest) => Promise<SnapshotJobResult>;

/**
 * The code of an event another scan (overlapping this one: the schedule and a Health or RDS
 * notification) is still running: this scan ran nothing for it; the other reports its snapshot.
 */
export const RUNNING_ELSEWHERE = 'MaintenanceRunningElsewhere';

/**
 * How many of a scan's targets did not get their snapshot ({@link snapshotsNotDelivered}), an event
 * still run by an overlapping scan ({@link RUNNING_ELSEWHERE}) not among them: that scan counts its
 * own. The AWS `SnapshotsFailed` metric (alarmed) and the Cloud Function's ERROR entry.
 */
export function maintenanceSnapshotsFailed(snapshots: readonly SnapshotTargetResult[]): number {
  return snapshotsNotDelivered(snapshots.filter((entry) => entry.error?.code !== RUNNING_ELSEWHERE));
}

/**
 * Snapshot every target once per maintenance event within the horizon, each event's request run
 * through `remember`. One event's request that fails (its record cannot be read or written) is
 * reported on its target, never losing the other events'; one a duplicate scan is still running is
 * reported as {@link RUNNING_ELSEWHERE}.
 */
export async function runMaintenanceJob(
  deps: SnapshotJobDependencies,
  remember: RememberRequests = (run) => run,
): Promise<MaintenanceJobResult> {
  const { events, later, problems } = await upcomingMaintenance(deps);
  const now = deps.now ?? (() => new Date());
  const backendFor = snapshotBackendFor(deps.clouds);
  // One key reader for the run: snapshots sharing a key cost one read.
  const keyReader = snapshotKeyReader(deps.clouds);
  const snapshots = (
    await Promise.all(
      events.map(async (event) => {
        const request: SnapshotRequest = {
          requestId: maintenanceRequestId(event),
          reason: `before ${event.action} due ${event.applyAt}`,
          requestedBy: 'backup-guard maintenance job',
          maintenanceEvent: event.id,
          wait: true,
        };
        const once = remember(async (asked, accepted): Promise<SnapshotJobResult> => {
          const startedAt = now().toISOString();
          // `asked` carries the snapshots an earlier run of the request waited for (`waitedFor`).
          const results = await takeSnapshots(asked, [event.target], {
            // Ends by the function's answer deadline, counted from here: after the scan and any
            // wait for an overlapping scan's run of the event.
            policy: waitEndingBy(deps.policy.snapshots, now(), deps.waitEndsBy),
            backendFor,
            keyReader,
            now,
            ...(deps.sleep ? { sleep: deps.sleep } : {}),
            ...(deps.logger ? { logger: deps.logger } : {}),
            // Recorded as ours as a requested snapshot is: prune deletes only what a record names.
            ...(deps.runRecords ? { runRecords: deps.runRecords } : {}),
            // A re-run's adopted snapshot is recorded when the cloud made it no earlier than the
            // request's first acceptance (functions/actions/snapshot/run.ts firstAcceptedAt).
            ...accepted,
          });
          return {
            requestId: asked.requestId,
            requestedTargets: null,
            startedAt,
            finishedAt: now().toISOString(),
            results,
            counts: countsOf(results),
            problems: [],
            unread: [],
          };
        });
        try {
          return (await once(request)).results;
        } catch (error) {
          const elsewhere = error instanceof StillRunningElsewhereError;
          const failed: SnapshotTargetResult = {
            target: event.target,
            outcome: 'error',
            durationMs: 0,
            attempts: 0,
            error: elsewhere
              ? {
                  code: RUNNING_ELSEWHERE,
                  message: `the maintenance request ${request.requestId} is being run by another scan (${describeError(error)}); that scan reports its snapshot, and the next scan replays it`,
                }
              : {
                  code: error instanceof Error ? error.name : 'Error',
                  message: `the maintenance request ${request.requestId} did not run: ${describeError(error)}`,
                },
          };
          return [failed];
        }
      }),
    )
  ).flat();
  return { events, snapshots, later, problems };
}
