/**
 * {@link ChatActions} over the product's jobs: the snapshot job (once per request key), the readiness
 * job, and the snapshot listing behind `status`. The jobs are reached through {@link ChatJobs}, the
 * few calls chat makes, so this module only translates between the jobs' results and what a chat
 * answer shows; functions/chatops/job-wiring.ts binds the ports to the real jobs for each cloud.
 */
import type {
  ChatActions,
  ChatReadiness,
  ChatSnapshotOutcome,
  ChatSnapshotResult,
  ChatStatus,
  ChatVerdict,
} from './actions.ts';
import type { OnceOutcome } from './once.ts';

/** Where a job says a database lives. */
export interface JobTarget {
  readonly provider: string;
  readonly account: string;
  readonly region: string;
  readonly id: string;
}

/** The snapshot job's request (functions/actions/snapshot/model.ts `SnapshotRequest`). */
export interface JobSnapshotRequest {
  readonly requestId: string;
  readonly reason: string;
  readonly ticket?: string;
  readonly requestedBy: string;
  readonly targets?: readonly string[];
  readonly wait?: boolean;
}

/** The snapshot job's result, as far as chat reads it (`SnapshotJobResult`). */
export interface JobSnapshotResult {
  readonly startedAt: string;
  readonly results: readonly {
    readonly target: JobTarget;
    readonly outcome: ChatSnapshotOutcome;
    readonly snapshotId?: string;
    readonly error?: { readonly code: string; readonly message: string };
  }[];
  readonly problems: readonly string[];
}

/** The readiness job's result, as far as chat reads it (`ReadinessResult`). */
export interface JobReadinessResult {
  readonly verdict: ChatVerdict;
  readonly evaluatedAt: string;
  readonly targets: readonly {
    readonly target: JobTarget;
    readonly status: ChatVerdict;
    readonly gates: readonly {
      readonly gate: string;
      readonly status: ChatVerdict;
      readonly evidence: string;
      readonly action?: string;
    }[];
  }[];
  readonly notEvaluated: readonly string[];
}

/** The newest pre-maintenance snapshot of a target (status). */
export interface JobSnapshotListing {
  readonly snapshots: readonly {
    readonly target: JobTarget;
    readonly snapshotId: string;
    readonly state: string;
    readonly createdAt?: string;
  }[];
  readonly problems: readonly string[];
}

/** The calls chat makes into the jobs. */
export interface ChatJobs {
  /** The snapshot job, once per `requestId`, reporting each target's progress. */
  snapshotOnce(
    request: JobSnapshotRequest,
    onProgress: (progress: {
      readonly target: JobTarget;
      readonly stage: string;
      readonly message: string;
    }) => void,
    waitUntil: Date | undefined,
  ): Promise<OnceOutcome<JobSnapshotResult>>;
  readiness(targets: readonly string[]): Promise<JobReadinessResult>;
  /** The newest pre-maintenance snapshot of each target of the policy. */
  latestSnapshots(): Promise<JobSnapshotListing>;
  /** The last audit's summary, or why it cannot be told. */
  lastAudit(): Promise<ChatStatus['lastAudit']>;
}

/** `provider/account/region`, how a chat answer says where a database lives. */
export function locationOf(target: JobTarget): string {
  return `${target.provider}/${target.account}/${target.region}`;
}

const STAGES = new Set(['creating', 'busy-retry', 'waiting', 'done']);

/** The chat actions over `jobs`. */
export function jobChatActions(jobs: ChatJobs): ChatActions {
  return {
    async snapshot(request, onProgress) {
      const outcome = await jobs.snapshotOnce(
        {
          requestId: request.requestKey,
          reason: request.reason,
          ticket: request.ticket,
          requestedBy: request.requestedBy,
          ...(request.targets.length > 0 ? { targets: request.targets } : {}),
          wait: true,
        },
        (progress) => {
          if (!STAGES.has(progress.stage)) return;
          onProgress({
            target: progress.target.id,
            stage: progress.stage as 'creating' | 'busy-retry' | 'waiting' | 'done',
            message: progress.message,
          });
        },
        request.waitUntil,
      );
      if ('inProgress' in outcome) return { inProgress: true };
      const { result } = outcome;
      const answer: ChatSnapshotResult = {
        firstRun: outcome.firstRun,
        startedAt: result.startedAt,
        targets: result.results.map((entry) => ({
          name: entry.target.id,
          location: locationOf(entry.target),
          outcome: entry.outcome,
          ...(entry.snapshotId ? { snapshotId: entry.snapshotId } : {}),
          ...(entry.error ? { error: `${entry.error.code}: ${entry.error.message}` } : {}),
        })),
        problems: result.problems,
      };
      return answer;
    },
    async readiness(targets): Promise<ChatReadiness> {
      const result = await jobs.readiness(targets);
      return {
        verdict: result.verdict,
        evaluatedAt: result.evaluatedAt,
        targets: result.targets.map((entry) => ({
          name: entry.target.id,
          location: locationOf(entry.target),
          status: entry.status,
          gates: entry.gates,
        })),
        notEvaluated: result.notEvaluated,
      };
    },
    async status(): Promise<ChatStatus> {
      const [listing, lastAudit] = await Promise.all([jobs.latestSnapshots(), jobs.lastAudit()]);
      return {
        lastAudit,
        snapshots: listing.snapshots.map((entry) => ({
          target: entry.target.id,
          location: locationOf(entry.target),
          snapshotId: entry.snapshotId,
          state: entry.state,
          ...(entry.createdAt ? { createdAt: entry.createdAt } : {}),
        })),
        problems: listing.problems,
      };
    },
  };
}
