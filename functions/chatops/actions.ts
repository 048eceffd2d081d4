/**
 * What chat can ask of the product, as a small interface: take the pre-maintenance snapshots, judge
 * readiness, tell the status. The chat side (the action runner, the replies) depends only on this;
 * functions/chatops/job-actions.ts implements it over the snapshot and readiness jobs, and tests
 * pass fakes. The shapes are what a chat reply shows, not the jobs' full results.
 */
import type { TargetOutcome } from '../actions/snapshot/model.ts';

/** How one target's snapshot ended: the snapshot job's outcomes (available, creating, failed, busy, quota, error). */
export type ChatSnapshotOutcome = TargetOutcome;

export interface ChatSnapshotTarget {
  /** The database, as the operator names it (identifier or instance name). */
  readonly name: string;
  /** Where it lives: `aws/<account>/<region>` or `gcp/<project>/<region>`. */
  readonly location: string;
  readonly outcome: ChatSnapshotOutcome;
  readonly snapshotId?: string;
  /**
   * Why the request's own snapshot, adopted from an earlier run of it, was not recorded as one
   * backup-guard took (`SnapshotTargetResult.notRecorded`): prune keeps it.
   */
  readonly notRecorded?: string;
  /** What went wrong, already safe to show (an API error code and message, never a secret). */
  readonly error?: string;
  /**
   * For a target without a restorable snapshot: whether asking again as it is could deliver it
   * (throttling, a 5xx, a timeout, a busy database, a snapshot still creating or failed with
   * attempts left: functions/jobs/snapshot.ts `worthRetrying`), or its cause must be fixed first
   * (access denied, the database's state, not found, the quota). Absent: not said.
   */
  readonly worthRetrying?: boolean;
  /**
   * Google refused with `RESOURCE_EXHAUSTED` and no reason: a rate limit (passes on its own) or a
   * quota (stays until raised), not said which; said so, never as the quota.
   */
  readonly rateLimitOrQuota?: true;
}

export interface ChatSnapshotResult {
  /**
   * False when an earlier request with the same key (a retry, a double submission) took these
   * snapshots and this one only reports them.
   */
  readonly firstRun: boolean;
  readonly startedAt: string;
  readonly targets: readonly ChatSnapshotTarget[];
  /** Target selection problems: a named database not found, a region that could not be read. */
  readonly problems: readonly string[];
  /**
   * Plain names that named several databases (each match by ARN or `project:region:instance`):
   * nothing was snapshotted, the answer is NO-GO and asks for one of them.
   */
  readonly ambiguous?: readonly { readonly name: string; readonly matches: readonly string[] }[];
}

/** The snapshot request is still being taken by an earlier delivery of the same request. */
export interface ChatSnapshotInProgress {
  readonly inProgress: true;
}

/** A progress event of a running snapshot request. */
export interface ChatSnapshotProgress {
  readonly target: string;
  /** `creating` (the create call was made), `waiting` (polling), `done` (final state reached). */
  readonly stage: 'creating' | 'busy-retry' | 'waiting' | 'done';
  readonly message: string;
}

export type ChatVerdict = 'GO' | 'NO-GO' | 'UNKNOWN';

export interface ChatReadinessGate {
  readonly gate: string;
  readonly status: ChatVerdict;
  readonly evidence: string;
  readonly action?: string;
  /** What the gate lets through as accepted risk (policy exceptions), each with its reason and expiry. */
  readonly acceptedRisk?: readonly string[];
  /** What the gate lets through with a WARNING, each with what the finding says. */
  readonly warnings?: readonly string[];
}

export interface ChatReadiness {
  readonly verdict: ChatVerdict;
  readonly evaluatedAt: string;
  readonly targets: readonly {
    readonly name: string;
    readonly location: string;
    readonly status: ChatVerdict;
    readonly gates: readonly ChatReadinessGate[];
  }[];
  /** Gates that could not be evaluated, and why. */
  readonly notEvaluated: readonly string[];
  /**
   * The gates of the catalog the verdict does not cover (not configured by the policy, not installed
   * in this version), each with why, so a GO never reads as covering them.
   */
  readonly outsideVerdict?: readonly {
    readonly gate: string;
    readonly coverage: string;
    readonly detail: string;
  }[];
  /**
   * The checks of evaluated gates the policy turns off (`keys.content` without
   * `keys.inspectSecretValues`), with why and what stays unverified: said on one line.
   */
  readonly checksNotRun?: readonly {
    readonly check: string;
    readonly reason: string;
    readonly unverified: string;
  }[];
}

export interface ChatStatus {
  /** The last published audit (the import ledgers' newest change and counts), or why it cannot be told. */
  readonly lastAudit:
    | {
        readonly at: string;
        readonly counts: Readonly<Record<string, number>>;
        /** Where the summary was read (the import ledger's destinations). */
        readonly source: string;
      }
    | { readonly unavailable: string };
  /** The newest pre-maintenance snapshot of each target, newest first. */
  readonly snapshots: readonly {
    readonly target: string;
    readonly location: string;
    readonly snapshotId: string;
    readonly createdAt?: string;
    /** How `createdAt` was dated when the cloud did not send it: an estimate, said beside it. */
    readonly dated?: string;
    readonly state: string;
  }[];
  /** The targets with no pre-maintenance snapshot of ours at all (listed, and none found). */
  readonly withoutSnapshot?: readonly { readonly target: string; readonly location: string }[];
  /**
   * The targets whose backups Backup and DR takes (Cloud SQL's enhanced backup tier): no snapshot of
   * ours is taken or looked for; readiness's evidence and action for them.
   */
  readonly onBackupPlan?: readonly {
    readonly target: string;
    readonly location: string;
    readonly evidence: string;
    readonly action: string;
  }[];
  readonly problems: readonly string[];
}

/** The request a snapshot action gets: the command's fields plus who asked and the idempotency key. */
export interface ChatSnapshotRequest {
  readonly requestKey: string;
  readonly targets: readonly string[];
  readonly reason: string;
  readonly ticket: string;
  readonly requestedBy: string;
  /** Stop waiting for snapshots to become restorable at this time (the action function's deadline). */
  readonly waitUntil?: Date;
  /** When the entry point accepted the command (ISO 8601; see job-actions.ts `snapshotOnce`). */
  readonly acceptedAt?: string;
}

export interface ChatActions {
  /**
   * Take the snapshots of a request, once per `requestKey`: a repeat returns the first result with
   * `firstRun` false, or {@link ChatSnapshotInProgress} while the first is still running.
   */
  snapshot(
    request: ChatSnapshotRequest,
    onProgress: (progress: ChatSnapshotProgress) => void,
  ): Promise<ChatSnapshotResult | ChatSnapshotInProgress>;
  readiness(targets: readonly string[]): Promise<ChatReadiness>;
  status(): Promise<ChatStatus>;
}
