/**
 * {@link ChatActions} over the product's jobs: the snapshot job (once per request key), the readiness
 * job, and the snapshot listing behind `status`. The jobs are reached through {@link ChatJobs}, the
 * few calls chat makes, so this module only translates between the jobs' results and what a chat
 * answer shows; {@link cloudChatJobs} binds the ports to the real jobs of one cloud's entry point.
 */

import { cloudOf, memberAccountsLeftOut, type SnapshotCloud } from '../actions/snapshot/backend.ts';
import {
  askedAt,
  estimatedBy,
  isSnapshotOf,
  newestFirst,
  snapshotMatch,
} from '../actions/snapshot/identity.ts';
import type { SnapshotTarget } from '../actions/snapshot/model.ts';
import type { SnapshotRunRecordStore } from '../actions/snapshot/run-records.ts';
import type { Provider, ResourceType } from '../core/finding.ts';
import type { ItemOutside } from '../core/keys-policy.ts';
import type { StructuredLogger } from '../core/logging.ts';
import type { Policy } from '../core/policy.ts';
import type { AuditDependencies } from '../jobs/audit.ts';
import type { CheckNotRun, GateCoverage } from '../jobs/readiness.ts';
import {
  resolveSnapshotTargets,
  runSnapshotJob,
  type SnapshotJobResult,
  snapshotDelivered,
  worthRetrying,
} from '../jobs/snapshot.ts';
import {
  backupPlanNote,
  snapshotListingKey,
  snapshotsByTarget,
  uncountedReason,
  uncoveredClouds,
} from '../jobs/snapshot-listing.ts';
import {
  earliestAcceptance,
  resolvedRequestKey,
  snapshotOncePerRequest,
  ticketSnapshotNamesKey,
  withWaitedFor,
} from '../jobs/snapshot-once.ts';
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
  /**
   * When the command was accepted (ISO 8601): accepted after its remembered result finished with a
   * failed snapshot, the request is asked again and takes the next attempt.
   */
  readonly acceptedAt?: string;
}

/** The snapshot job's result, as far as chat reads it (`SnapshotJobResult`). */
export interface JobSnapshotResult {
  readonly startedAt: string;
  readonly results: readonly {
    readonly target: JobTarget;
    readonly outcome: ChatSnapshotOutcome;
    readonly snapshotId?: string;
    readonly notRecorded?: string;
    readonly error?: { readonly code: string; readonly message: string; readonly rateLimitOrQuota?: true };
  }[];
  readonly problems: readonly string[];
  /** Plain names that named several databases; nothing was snapshotted (`SnapshotJobResult`). */
  readonly ambiguous?: readonly { readonly name: string; readonly matches: readonly string[] }[];
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
      readonly acceptedRisk?: readonly string[];
      readonly warnings?: readonly string[];
    }[];
  }[];
  readonly notEvaluated: readonly string[];
  /** How each gate of the catalog fared over the run (`ReadinessResult.gates`). */
  readonly gates?: readonly {
    readonly gate: string;
    readonly coverage: GateCoverage;
    readonly detail: string;
  }[];
  /** The key-material items the verdict does not cover, and why (`ReadinessResult.keyItemsOutside`). */
  readonly keyItemsOutside?: readonly ItemOutside[];
  /** The checks of evaluated gates the policy turns off (`ReadinessResult.checksNotRun`). */
  readonly checksNotRun?: readonly CheckNotRun[];
}

/** How a readiness answer names a gate the verdict does not cover. */
const OUTSIDE_VERDICT: Readonly<Record<string, string>> = {
  'not-configured': 'not configured',
  'not-installed': 'not installed',
  waived: 'waived',
};

/** The newest pre-maintenance snapshot of a target (status). */
export interface JobSnapshotListing {
  readonly snapshots: readonly {
    readonly target: JobTarget;
    readonly snapshotId: string;
    readonly state: string;
    readonly createdAt?: string;
    /** How `createdAt` was dated when the cloud did not send it (estimatedBy's words). */
    readonly dated?: string;
  }[];
  /** The targets whose snapshots were listed and none of ours found. */
  readonly withoutSnapshot?: readonly JobTarget[];
  /**
   * The targets whose backups Backup and DR takes (readiness `backupPlanNote`): none of ours is
   * taken or looked for, and readiness's evidence and action say what to verify instead.
   */
  readonly onBackupPlan?: readonly {
    readonly target: JobTarget;
    readonly evidence: string;
    readonly action: string;
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
  /** The last published audit's summary, or why it cannot be told. */
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
          ...(request.acceptedAt ? { acceptedAt: request.acceptedAt } : {}),
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
          ...(entry.notRecorded ? { notRecorded: entry.notRecorded } : {}),
          ...(entry.error ? { error: `${entry.error.code}: ${entry.error.message}` } : {}),
          ...(snapshotDelivered(entry) ? {} : { worthRetrying: worthRetrying(entry) }),
          ...(entry.error?.rateLimitOrQuota ? { rateLimitOrQuota: true as const } : {}),
        })),
        problems: result.problems,
        ...(result.ambiguous && result.ambiguous.length > 0 ? { ambiguous: result.ambiguous } : {}),
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
        outsideVerdict: [
          ...(result.gates ?? []).flatMap((gate) => {
            const coverage = OUTSIDE_VERDICT[gate.coverage];
            return coverage ? [{ gate: gate.gate, coverage, detail: gate.detail }] : [];
          }),
          // A GO of audit:keys proves nothing about the items it does not judge.
          ...(result.keyItemsOutside ?? []).map(({ item, source, reason }) => ({
            gate: 'audit:keys',
            coverage: `item ${item} (${source})`,
            detail: reason,
          })),
        ],
        ...(result.checksNotRun && result.checksNotRun.length > 0
          ? {
              checksNotRun: result.checksNotRun.map(({ check, reason, unverified }) => ({
                check,
                reason,
                unverified,
              })),
            }
          : {}),
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
          ...(entry.dated ? { dated: entry.dated } : {}),
        })),
        ...(listing.withoutSnapshot && listing.withoutSnapshot.length > 0
          ? {
              withoutSnapshot: listing.withoutSnapshot.map((target) => ({
                target: target.id,
                location: locationOf(target),
              })),
            }
          : {}),
        ...(listing.onBackupPlan && listing.onBackupPlan.length > 0
          ? {
              onBackupPlan: listing.onBackupPlan.map(({ target, evidence, action }) => ({
                target: target.id,
                location: locationOf(target),
                evidence,
                action,
              })),
            }
          : {}),
        problems: listing.problems,
      };
    },
  };
}

/** What {@link cloudChatJobs} binds the ports to: the jobs of one cloud's entry point. */
export interface CloudChatJobsDependencies {
  /** The policy as the function loaded it. */
  readonly policy: Policy;
  /** The clouds this entry point serves (the Lambda AWS, the Cloud Function GCP). */
  readonly providers: readonly Provider[];
  /** The snapshot clouds for a policy (the snapshot policy bounds how long they wait). */
  readonly clouds: (policy: Policy) => readonly SnapshotCloud[];
  /** The audit's clients and collectors, for readiness. */
  readonly audit: Pick<AuditDependencies, 'aws' | 'gcp'>;
  /**
   * Run the snapshot job once per request id (Powertools on DynamoDB; records in Cloud Storage),
   * handing `run` the start of the record an earlier run under the key left, where the store keeps
   * it (functions/jobs/idempotency.ts recordStartOf): the request's first acceptance.
   */
  readonly once: <T>(
    requestId: string,
    run: (recordStart?: Date) => Promise<T>,
    waitUntil: Date | undefined,
  ) => Promise<OnceOutcome<T>>;
  readonly lastAudit: () => Promise<ChatStatus['lastAudit']>;
  /**
   * Where each snapshot taken is recorded as ours (functions/actions/snapshot/run-records.ts): prune
   * deletes only a snapshot a run record names. Absent: none is recorded.
   */
  readonly runRecords?: SnapshotRunRecordStore;
  /** The snapshot policy of an entry point (the Lambda snapshots its own account only). */
  readonly snapshotPolicy?: (policy: Policy) => Policy;
  readonly logger?: StructuredLogger;
  /** The clock of the answers and of the snapshot job (tests); the system's otherwise. */
  readonly now?: () => Date;
  /** How the snapshot job waits between polls (tests); a timer otherwise. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const RESOURCE_TYPE: Readonly<Record<SnapshotTarget['kind'], ResourceType>> = {
  'rds-instance': 'AwsRdsDbInstance',
  'aurora-cluster': 'AwsRdsDbCluster',
  'cloudsql-instance': 'GcpCloudSqlInstance',
};

/**
 * What a snapshot of the policy's databases (none named), or the status listing of their snapshots,
 * leaves out at this entry point, as problems of its answer, so a GO or a status never reads as
 * covering them: the clouds the policy selects
 * databases in that it does not serve ({@link uncoveredClouds}, as readiness says them), and the
 * member accounts (`aws.accounts`) its snapshot policy leaves out and its credentials do not reach
 * (the AWS chat function snapshots its own account only: functions/handlers/aws/chat-action.ts).
 */
async function notSnapshottedHere(
  deps: Pick<CloudChatJobsDependencies, 'policy' | 'providers'>,
  snapshotPolicy: Policy,
  clouds: readonly SnapshotCloud[],
): Promise<string[]> {
  const notes = uncoveredClouds(deps.policy, deps.providers).map(
    ({ provider, where }) =>
      `${provider}: the policy selects databases there too (${where}), which this chat function does not snapshot; snapshot them where ${provider} is served (its chat function, or backup-guard snapshot --provider ${provider})`,
  );
  // An account this run's credentials read is snapshotted all the same; one not known to be is not.
  const left = deps.providers.includes('aws')
    ? await memberAccountsLeftOut(deps.policy, snapshotPolicy, cloudOf(clouds, 'aws'))
    : [];
  if (left.length > 0) {
    notes.push(
      `aws accounts ${left.join(', ')}: the policy selects databases there too (aws.accounts), which this chat function does not snapshot (it snapshots its own account only); snapshot them from those accounts (backup-guard snapshot with their credentials, or the snapshot function deployed there)`,
    );
  }
  return notes;
}

/** The ports over the snapshot and readiness jobs of one entry point. */
export function cloudChatJobs(deps: CloudChatJobsDependencies): ChatJobs {
  const now = deps.now ?? (() => new Date());
  const snapshotPolicy = deps.snapshotPolicy ?? ((policy: Policy) => policy);
  const logger = deps.logger ? { logger: deps.logger } : {};
  return {
    snapshotOnce: async (request, onProgress, waitUntil) => {
      const policy = snapshotPolicy(deps.policy);
      const { acceptedAt, ...asked } = request;
      const clouds = deps.clouds(policy);
      // The request is keyed by the databases it resolves to, not its wording: the ticket with no
      // database named and the same ticket naming each of them take one snapshot
      // (resolvedRequestKey). The job runs on that resolution.
      const resolved = await resolveSnapshotTargets(
        asked.targets ? [...asked.targets] : undefined,
        {
          policy,
          clouds,
        },
        { withManualSnapshots: true },
      );
      const resolvedKey = resolvedRequestKey(asked.ticket, resolved);
      const onceKey = resolvedKey ?? asked.requestId;
      // The snapshots are named by the ticket, not the once-key: an ask whose resolution differs
      // (a scope not read at one ask) adopts the snapshots the other took (ticketSnapshotNamesKey).
      const job = { ...asked, requestId: ticketSnapshotNamesKey(asked.ticket) ?? onceKey };
      const asking = acceptedAt === undefined ? now() : new Date(acceptedAt);
      const run = (
        earlier: (Pick<SnapshotJobResult, 'results'> & { readonly startedAt?: string }) | undefined,
        recordStart?: Date,
      ) =>
        runSnapshotJob(
          withWaitedFor({ ...job, ...(job.targets ? { targets: [...job.targets] } : {}) }, earlier),
          {
            policy,
            clouds,
            onProgress,
            resolved,
            // The wait ends by `waitUntil`, counted as it starts (functions/core/snapshots-policy.ts
            // waitEndingBy), as the snapshot functions count theirs: the time spent finding the
            // targets and claiming the request comes off the wait, never on top of it.
            ...(waitUntil ? { waitEndsBy: waitUntil } : {}),
            ...logger,
            ...(deps.now ? { now: deps.now } : {}),
            ...(deps.sleep ? { sleep: deps.sleep } : {}),
            ...(deps.runRecords ? { runRecords: deps.runRecords } : {}),
            // The snapshots of the request a re-run adopts are recorded only when the cloud made
            // them no earlier than this (functions/actions/snapshot/run.ts firstAcceptedAt).
            firstAcceptedAt: earliestAcceptance(Number.isFinite(asking.getTime()) ? asking : now(), [
              recordStart,
              earlier?.startedAt,
            ]),
          },
        );
      // Every result is remembered once per request key and answers the deliveries accepted before
      // it finished (a Slack retry, a double click); the same request accepted after a remembered
      // failed snapshot runs once more (functions/jobs/snapshot-once.ts).
      // A replayed result's snapshots are judged for age at this ask, as readiness would judge them,
      // and read again: one deleted since is a NO-GO naming it, not "snapshot taken".
      const outcome = await snapshotOncePerRequest(
        onceKey,
        acceptedAt,
        (key, earlier) =>
          deps.once<SnapshotJobResult>(key, (recordStart) => run(earlier, recordStart), waitUntil),
        {
          readinessMaxAgeHours: policy.snapshots.readinessMaxAgeHours,
          now,
          clouds,
          selection: policy.targets,
          // Keyed by its resolved targets, a remembered result is of the same databases whatever
          // the wording; keyed by the wording, the names are compared as before.
          ...(resolvedKey ? {} : { asked: { targets: job.targets } }),
        },
      );
      // Asked for every database of the policy, the answer says which ones this entry point does
      // not snapshot (said with each answer, not remembered with the result).
      if ('inProgress' in outcome || (asked.targets && asked.targets.length > 0)) return outcome;
      const notes = await notSnapshottedHere(deps, policy, clouds);
      if (notes.length === 0) return outcome;
      return { ...outcome, result: { ...outcome.result, problems: [...outcome.result.problems, ...notes] } };
    },
    // Named databases narrow the policy's selection (runReadinessJob), as a snapshot request's do:
    // one the policy does not select is never judged, and the answer says so.
    // Loaded by `readiness` only: the job brings the audit and every check group, which no other
    // command runs (a chunk of its own, not part of a chat function's cold start).
    readiness: async (targets) => {
      const { runReadinessJob } = await import('../jobs/readiness.ts');
      return runReadinessJob(
        { providers: deps.providers, ...(targets.length > 0 ? { targets } : {}) },
        { policy: deps.policy, ...deps.audit, clouds: deps.clouds(deps.policy), ...logger },
      );
    },
    async latestSnapshots() {
      const policy = snapshotPolicy(deps.policy);
      const clouds = deps.clouds(policy);
      const { targets, problems } = await resolveSnapshotTargets(undefined, { policy, clouds });
      // Listed for this entry point's databases only: the answer names the rest of the policy's, as
      // a snapshot of all of them does, so it does not read as the whole fleet.
      problems.push(...(await notSnapshottedHere(deps, policy, clouds)));
      // A target whose backups Backup and DR takes has none of ours to list (the snapshot action
      // refuses it): it is said so in readiness's words, not counted as without a snapshot.
      const onBackupPlan: NonNullable<JobSnapshotListing['onBackupPlan']>[number][] = [];
      const ours: SnapshotTarget[] = [];
      for (const target of targets) {
        const note = backupPlanNote({ ...target, type: RESOURCE_TYPE[target.kind] });
        if (note) onBackupPlan.push({ target, ...note });
        else ours.push(target);
      }
      const resources = ours.map((target) => ({
        provider: target.provider,
        account: target.account,
        region: target.region,
        type: RESOURCE_TYPE[target.kind],
        id: target.id,
      }));
      const listed = await snapshotsByTarget(resources as never, clouds);
      const retentionDays = policy.snapshots.expiryDays;
      const snapshots: JobSnapshotListing['snapshots'][number][] = [];
      // A target with none of ours is said so: listing only the newest of those that have one would
      // read as every target having one.
      const withoutSnapshot: SnapshotTarget[] = [];
      for (const target of ours) {
        const found = listed.get(snapshotListingKey(target));
        if (found instanceof Error || found === undefined) {
          problems.push(`${target.id}: snapshots not listed (${found?.message ?? 'not listed'})`);
          continue;
        }
        // Dated as readiness dates them: one being created, whose creation time RDS does not send
        // yet, by its expires-at tag (askedAt), so it is not shown behind an older one.
        const newest = newestFirst(
          found.filter((snapshot) => isSnapshotOf(snapshot, target)),
          retentionDays,
        )[0];
        const newestAsked = newest && askedAt(newest, retentionDays);
        // One of ours of that name whose resource id (its own or the database's) was not sent is not
        // shown as the database's, nor left unsaid: it may be the newest.
        const unverifiable = newestFirst(
          found
            .filter((snapshot) => snapshotMatch(snapshot, target) === 'unverifiable')
            .filter(
              (snapshot) =>
                (askedAt(snapshot, retentionDays)?.at.getTime() ?? Number.POSITIVE_INFINITY) >
                (newestAsked?.at.getTime() ?? 0),
            ),
          retentionDays,
        )[0];
        if (unverifiable)
          problems.push(`${target.id}: ${uncountedReason(unverifiable, target)} (not counted)`);
        if (newest) {
          snapshots.push({
            target,
            snapshotId: newest.id,
            state: newest.status,
            ...(newestAsked ? { createdAt: newestAsked.at.toISOString() } : {}),
            ...(newestAsked?.estimated ? { dated: estimatedBy(retentionDays) } : {}),
          });
        } else {
          withoutSnapshot.push(target);
        }
      }
      snapshots.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
      return { snapshots, withoutSnapshot, onBackupPlan, problems };
    },
    lastAudit: deps.lastAudit,
  };
}
