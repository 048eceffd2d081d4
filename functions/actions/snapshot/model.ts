/**
 * The pre-maintenance snapshot domain: targets, requests, per-target results, the tags that mark a
 * snapshot as ours, and identifiers valid by construction. Pure: no SDK.
 */

import { createHash } from 'node:crypto';
import type { Provider } from '../../core/finding.ts';
import type { SnapshotsPolicy } from '../../core/snapshots-policy.ts';
import { parseIsoTime } from '../../core/time.ts';

/** What kind of backup a target gets. */
export type SnapshotKind = 'rds-instance' | 'aurora-cluster' | 'cloudsql-instance';

/** A database to snapshot. */
export interface SnapshotTarget {
  readonly provider: Provider;
  readonly kind: SnapshotKind;
  /** AWS account id or GCP project id. */
  readonly account: string;
  readonly region: string;
  /** DB identifier, cluster identifier or Cloud SQL instance name. */
  readonly id: string;
  readonly arn?: string;
  /** The database's immutable resource id, when the cloud sent one (`ResourceRef.resourceId` in core/finding.ts). */
  readonly resourceId?: string;
  /** When the database was created, where the cloud has no resource id (`ResourceRef.createdAt`). */
  readonly createdAt?: string;
  /**
   * An Aurora cluster's DB instances: maintenance pending on one of them (an operating-system
   * update) is maintenance of the cluster, whose snapshot it needs.
   */
  readonly members?: readonly string[];
  /**
   * A Cloud SQL instance's `settings.backupConfiguration.backupTier` as its listing sent it
   * (`STANDARD`, `ENHANCED`, or ENHANCED's deprecated name `ADVANCED`); absent when not sent.
   */
  readonly backupTier?: string;
  /**
   * The database's status as its listing sent it (RDS `DBInstanceStatus`, DBCluster `Status`;
   * Cloud SQL `state`, STOPPED for a RUNNABLE instance whose activation policy is NEVER);
   * absent when not sent. Read only to tell a create refused for the state apart: see
   * {@link CreateErrorKind} `unavailable` (backend.ts).
   */
  readonly status?: string;
  /**
   * A SUSPENDED Cloud SQL instance's `suspensionReason` (KMS_KEY_ISSUE, BILLING_ISSUE, …) as the
   * same answer sent it; absent when none was sent. Read only to say what to do when a backup is
   * refused for the suspension.
   */
  readonly suspensionReasons?: readonly string[];
}

/**
 * The longest request fields every entry point takes (the CLI flags, the chat grammar, the Lambda
 * event and Cloud Function body): each travels whole into a snapshot tag, whose value holds 256
 * characters (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html), so a longer one
 * is refused at the edge instead of cut where nobody sees it.
 */
export const SNAPSHOT_REQUEST_LIMITS = { requestId: 256, reason: 256, ticket: 128 } as const;

/**
 * The most databases one snapshot request may name (the chat grammar, the `snapshot` Lambda's event,
 * the `snapshot` Cloud Function's body). A request's result lists each of them (its snapshot, or an
 * error naming it) and is remembered whole in one idempotency record, where a DynamoDB item holds at
 * most 400 KB (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html):
 * a name may be 2048 characters, so a name found nowhere costs about 4.3 KB (the request's list and
 * its problem), 215 KB for 50, 430 KB for 100. A result that is not recorded is still answered, but
 * a repeat after its claim lapses runs again.
 */
export const MAX_SNAPSHOT_TARGETS = 50;

/**
 * Why a request naming `count` databases is refused (more than {@link MAX_SNAPSHOT_TARGETS}), after the
 * field that names them (`targets:` in a function's input, `--target` in the CLI); undefined when it
 * may name that many.
 */
export function tooManyTargetsProblem(count: number): string | undefined {
  return count > MAX_SNAPSHOT_TARGETS
    ? `lists ${count} names, more than the ${MAX_SNAPSHOT_TARGETS} databases one request may name; split them over requests, each with its own request id`
    : undefined;
}

/** Who asked for the snapshot, and why: travels into the tags and the idempotency key. */
export interface SnapshotRequest {
  /** Unique per request (Slack trigger id, CLI ticket, maintenance event); a re-send reuses it. */
  readonly requestId: string;
  readonly reason: string;
  readonly ticket?: string | undefined;
  readonly requestedBy: string;
  /** Targets named explicitly (identifier or ARN); the policy's targets when absent. */
  readonly targets?: readonly string[] | undefined;
  /** Wait until each snapshot is available (default true). */
  readonly wait?: boolean | undefined;
  /** The maintenance event this snapshot precedes (the maintenance job sets it). */
  readonly maintenanceEvent?: string | undefined;
  /**
   * Snapshots of other requests an earlier run of this request waited for instead of taking its own
   * ({@link SnapshotTargetResult.takenBy}, from its remembered result: functions/jobs/snapshot-once.ts):
   * a later run adopts each again rather than finding nothing under its own name and taking a second.
   */
  readonly waitedFor?: readonly string[] | undefined;
}

export type TargetOutcome =
  /** Restorable: available / DONE. */
  | 'available'
  /** Created, not awaited (wait off) or still creating at the deadline. */
  | 'creating'
  /** The snapshot ended failed. */
  | 'failed'
  /** The target stayed busy until the deadline; nothing was created. */
  | 'busy'
  /** The region's manual-snapshot quota would be exceeded; nothing was created. */
  | 'quota'
  /** The create or a poll failed with an API error. */
  | 'error';

/** One target's result: everything an operator needs to restore, or the exact error. */
export interface SnapshotTargetResult {
  readonly target: SnapshotTarget;
  readonly outcome: TargetOutcome;
  readonly snapshotId?: string;
  /** ARN (AWS) or selfLink (GCP). */
  readonly snapshotRef?: string;
  readonly createdAt?: string;
  readonly encrypted?: boolean;
  readonly kmsKeyId?: string;
  /** The Cloud KMS key version a Cloud SQL backup was encrypted with, when the API named it. */
  readonly kmsKeyVersion?: string;
  readonly sizeGb?: number;
  /** From the first create attempt to the last state seen. */
  readonly durationMs: number;
  /** Create attempts (more than one when the target was busy). */
  readonly attempts: number;
  /**
   * Which snapshot of this request this is for the target: 1 the first, 2 and up one taken because
   * the request's earlier ones ended failed or were deleted (at most {@link MAX_SNAPSHOT_ATTEMPTS}).
   */
  readonly snapshotAttempt?: number;
  /**
   * The request whose snapshot this is, when this request waited for another request's snapshot
   * still being created instead of taking its own (its `request-id` tag).
   */
  readonly takenBy?: string;
  /**
   * Why the request's own snapshot this run adopted (an earlier run of the request created it) was
   * not recorded as one backup-guard took (functions/actions/snapshot/run-records.ts): `adopted, not
   * recorded: …`. Absent when it was recorded, or was not adopted.
   */
  readonly notRecorded?: string;
  readonly error?: {
    readonly code: string;
    readonly message: string;
    /**
     * Google refused with `RESOURCE_EXHAUSTED` and no reason: a rate limit or a quota, not said which
     * (core/errors.ts `isUnexplainedExhaustion`). Absent for every other error.
     */
    readonly rateLimitOrQuota?: true;
    /**
     * What the error means beyond its code and message, in the words the CLI's text prints after
     * the message: with `rateLimitOrQuota`, {@link RATE_LIMIT_OR_QUOTA_EXPLANATION}, so a reader of
     * the JSON result (`snapshot --format json`, the snapshot Lambda and Cloud Function) is told
     * what a terminal user is. Absent otherwise, and in results remembered before it was recorded.
     */
    readonly explanation?: string;
  };
}

/**
 * What a refusal marked {@link SnapshotTargetResult} `error.rateLimitOrQuota` is, in the words every
 * printer of a snapshot result uses (the CLI's text, chat's answer), so none calls it the quota:
 * Google sends `RESOURCE_EXHAUSTED` for either, and only the reason it did not give tells which.
 */
export const RATE_LIMIT_OR_QUOTA = {
  what: 'Google refused with RESOURCE_EXHAUSTED, which is a rate limit or a quota, and did not say which',
  advice:
    "A rate limit passes within minutes; a quota stays until it is raised (the project's Cloud SQL Admin API quotas).",
} as const;

/** {@link RATE_LIMIT_OR_QUOTA} as one sentence pair: what a result's `error.explanation` carries. */
export const RATE_LIMIT_OR_QUOTA_EXPLANATION = `${RATE_LIMIT_OR_QUOTA.what}. ${RATE_LIMIT_OR_QUOTA.advice}`;

/** A plain name in a request that names several databases (nothing is written then). */
export interface AmbiguousTargetName {
  /** The name as the request gave it. */
  readonly name: string;
  /** Each database it names, by a name that names only it (ARN; Cloud SQL `project:region:instance`). */
  readonly matches: readonly string[];
}

/** The answer of one request. */
export interface SnapshotJobResult {
  readonly requestId: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly results: readonly SnapshotTargetResult[];
  readonly counts: Readonly<Record<TargetOutcome, number>>;
  /** Target selection problems (an explicitly named target not found, a scope not readable). */
  readonly problems: readonly string[];
  /**
   * The problems (each also among `problems`) that are a place not read: a scope's listing, a name's
   * look-up, which a later run of the request reads again (functions/jobs/snapshot.ts
   * `retriesLater`). Said where the problem is made, so rewording one never changes whether the
   * request runs again. Absent only in a result remembered before it was recorded.
   */
  readonly unread?: readonly string[];
  /**
   * Plain names that named several databases: the request snapshotted nothing (each is also a
   * problem), and asks for a name that picks one out.
   */
  readonly ambiguous?: readonly AmbiguousTargetName[];
  /**
   * The targets the request named, `null` for the policy's: a request id asked again for other
   * targets is refused rather than answered with this result (functions/jobs/snapshot-once.ts).
   * Absent from results remembered before it was recorded.
   */
  readonly requestedTargets?: readonly string[] | null;
  /**
   * A remembered result replayed to an ask that reads fewer clouds, regions or projects than its
   * run did (the same ticket asked again with `--region`): the targets the run covered outside
   * them, left out of `results` and `counts` because this ask does not read them (so it neither
   * confirms nor refutes their snapshots). Absent when there are none.
   */
  readonly outsideThisAsk?: readonly SnapshotTarget[];
}

/** Tag keys and the purpose value that mark a snapshot as made by this tool. */
export const SNAPSHOT_TAGS = {
  purpose: 'purpose',
  reason: 'reason',
  ticket: 'ticket',
  requestedBy: 'requested-by',
  requestId: 'request-id',
  expiresAt: 'expires-at',
  maintenanceEvent: 'maintenance-event',
} as const;
export const SNAPSHOT_PURPOSE = 'certctl-pre-maintenance';
/** Every snapshot identifier starts with this (the IAM policy scopes creates to it). */
export const SNAPSHOT_ID_PREFIX = 'certctl-premaint';

/**
 * How many snapshots one request takes of one target at most. When the request's snapshot of a
 * target ended failed or is being deleted (RDS `failed`/`deleting`; Cloud SQL FAILED, SKIPPED,
 * OVERDUE, UNSPECIFIED or unknown, DELETION_*), a later run of the request (the next maintenance
 * scan, the same ticket asked again) takes one more, named `<name>-a2`, `<name>-a3`, instead of
 * reporting the failed one forever; past this many it reports the attempts and takes none.
 */
export const MAX_SNAPSHOT_ATTEMPTS = 3;

/** RDS snapshot identifiers: 1-255; cluster snapshot identifiers: 1-63 (RDS API reference). */
const MAX_ID: Readonly<Record<SnapshotKind, number>> = {
  'rds-instance': 255,
  'aurora-cluster': 63,
  // Cloud SQL backup runs get numeric ids from the API; this name only goes into the description.
  'cloudsql-instance': 255,
};

/**
 * The snapshot identifier for a target in a request: `certctl-premaint-<target>-<hash>`, where the
 * hash covers the request id and the target, so one request never gets two names for one target and
 * two requests never collide; a later attempt (see {@link MAX_SNAPSHOT_ATTEMPTS}) ends in `-a<n>`
 * (the target part shortened to make room, the first attempt's name unchanged). Valid by
 * construction for RDS: a letter first, only letters, digits and single hyphens, no trailing hyphen,
 * within the length limit
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSnapshot.html).
 */
export function snapshotIdentifier(target: SnapshotTarget, requestId: string, attempt = 1): string {
  const hash = createHash('sha256')
    .update(`${requestId}\n${target.provider}/${target.account}/${target.region}/${target.id}`)
    .digest('hex')
    .slice(0, 10);
  const suffix = attempt > 1 ? `-a${attempt}` : '';
  const room = MAX_ID[target.kind] - SNAPSHOT_ID_PREFIX.length - hash.length - 2 - suffix.length;
  const name = target.id
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .slice(0, room)
    .replace(/^-+|-+$/g, '');
  return `${name ? `${SNAPSHOT_ID_PREFIX}-${name}-${hash}` : `${SNAPSHOT_ID_PREFIX}-${hash}`}${suffix}`;
}

/** Characters AWS accepts in tag values (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html). */
function tagValue(text: string): string {
  return text
    .replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_')
    .slice(0, 256)
    .trim();
}

/** The `request-id` tag value a snapshot of request `requestId` is created with. */
export function requestIdTag(requestId: string): string {
  return tagValue(requestId);
}

/** The tags a snapshot of this request carries, set at creation. */
export function snapshotTags(request: SnapshotRequest, expiresAt: Date): Record<string, string> {
  return {
    [SNAPSHOT_TAGS.purpose]: SNAPSHOT_PURPOSE,
    [SNAPSHOT_TAGS.reason]: tagValue(request.reason),
    ...(request.ticket ? { [SNAPSHOT_TAGS.ticket]: tagValue(request.ticket) } : {}),
    [SNAPSHOT_TAGS.requestedBy]: tagValue(request.requestedBy),
    [SNAPSHOT_TAGS.requestId]: requestIdTag(request.requestId),
    [SNAPSHOT_TAGS.expiresAt]: expiresAt.toISOString(),
    ...(request.maintenanceEvent
      ? { [SNAPSHOT_TAGS.maintenanceEvent]: tagValue(request.maintenanceEvent) }
      : {}),
  };
}

/**
 * The free text of a request (reason, ticket, requester) as written, for a backend whose tags are
 * free text ({@link SnapshotBackend.freeTextTags}, backend.ts: a Cloud SQL backup's description,
 * which escapes what it cannot hold and reads it back whole, gcp.ts describeBackup). The tag-safe
 * form {@link snapshotTags} gives them fits AWS tag characters by writing `_` for the rest (quotes,
 * `%`, `#`, newlines), so a reason would read back altered. Only free text: the request id and the
 * maintenance event stay in the tag-safe form on every cloud, because a listing compares them with
 * what a later run of the request writes (run.ts listedForRequest), and backups taken before this
 * carry them so.
 */
export function freeTextTags(request: SnapshotRequest): Record<string, string> {
  return {
    [SNAPSHOT_TAGS.reason]: request.reason,
    ...(request.ticket ? { [SNAPSHOT_TAGS.ticket]: request.ticket } : {}),
    [SNAPSHOT_TAGS.requestedBy]: request.requestedBy,
  };
}

/**
 * The expiry an `expires-at` tag value names, or NaN when it is absent or not an ISO 8601 time
 * (core/time.ts parseIsoTime: a hand-edited or truncated tag, a day its month does not have, or
 * hour 24, must not read as some other time and get the snapshot deleted): the one reading of the tag that
 * prune (which keeps a snapshot whose tag it cannot read), readiness, the snapshot action and its
 * quota message share, so none assumes of a tag what prune will not do.
 */
export function expiryOf(value: string | undefined): number {
  return parseIsoTime(value);
}

/** True when the tags mark a snapshot this tool created. */
export function isOurs(tags: Readonly<Record<string, string>>): boolean {
  return tags[SNAPSHOT_TAGS.purpose] === SNAPSHOT_PURPOSE;
}

/** `provider/account/region/id`: one key per target. */
export function targetKey(target: Pick<SnapshotTarget, 'provider' | 'account' | 'region' | 'id'>): string {
  return `${target.provider}/${target.account}/${target.region}/${target.id.toLowerCase()}`;
}

/**
 * The share of the time already waited that the next wait between polls may take (3%: a snapshot
 * of 10 minutes is seen at most 18 s late, with 77 polls of its region in all from the 5 s
 * floor, under one per 7.5 s; 5% cost the benchmark's slowest snapshot its 1.1x). A poll that
 * waits a fixed factor longer each round (the earlier x1.5) sees a snapshot up to half its duration
 * late, and a fixed cap sees a short one up to the cap late; a wait proportional to the time
 * waited sees it at most this share late (bench/snapshot.ts), and still backs off: past the floor,
 * each wait is this share longer than the one before.
 */
export const POLL_SHARE = 0.03;

/**
 * The wait before the next poll (or the next create attempt of a busy target), after `waitedMs`:
 * {@link POLL_SHARE} of the time waited, never less than `minMs` (short waits do not hammer the
 * API), never more than `maxMs`.
 */
export function nextPollDelay(waitedMs: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, Math.max(minMs, Math.ceil(waitedMs * POLL_SHARE)));
}

/** {@link nextPollDelay} within the policy's `snapshots.pollInitialSeconds` and `pollMaxSeconds`. */
export function pollDelay(
  waitedMs: number,
  policy: Pick<SnapshotsPolicy, 'pollInitialSeconds' | 'pollMaxSeconds'>,
): number {
  return nextPollDelay(waitedMs, policy.pollInitialSeconds * 1000, policy.pollMaxSeconds * 1000);
}

/**
 * How long a run waited before its deadline, in words: `1 minute`, `30 minutes`, `13 min 52 s`,
 * `6 s`. The wait is `snapshots.waitMinutes`, shortened by chat and the snapshot functions to the
 * time the function has left (functions/core/snapshots-policy.ts waitEndingBy) and by a set-up
 * slower than its bound (functions/jobs/snapshot.ts waitLeftAfterSetUp), which is a fraction of a
 * minute that no one should read as
 * `13.872383333333334`.
 */
export function waitText(waitMinutes: number): string {
  const seconds = Math.max(0, Math.round(waitMinutes * 60));
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  if (minutes === 0) return `${rest} s`;
  if (rest === 0) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  return `${minutes} min ${rest} s`;
}

export function emptyCounts(): Record<TargetOutcome, number> {
  return { available: 0, creating: 0, failed: 0, busy: 0, quota: 0, error: 0 };
}

/** How many of `results` ended in each outcome. */
export function countsOf(
  results: readonly Pick<SnapshotTargetResult, 'outcome'>[],
): Record<TargetOutcome, number> {
  const counts = emptyCounts();
  for (const entry of results) counts[entry.outcome] += 1;
  return counts;
}
