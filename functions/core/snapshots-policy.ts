/**
 * The `snapshots` section of the policy: pre-maintenance snapshots (how long to wait for them, how
 * often to look, when they expire), the readiness gate's freshness, the maintenance horizon and the
 * manual-snapshot quota. Mounted with one line in policy.ts.
 */

import { closest } from './closest.ts';
import { GCS_BUCKET_NAME } from './dumps-policy.ts';
import { type InputIssue, PolicyError } from './errors.ts';
import { CHECK_GROUPS } from './finding.ts';
import { parseAuditSchedule } from './schedule.ts';
import { ACCEPTED_RISK_MAX_DAYS, acceptedRiskHorizonIssue } from './time.ts';
import * as z from './zod.ts';

/** The RDS default quota of manual snapshots per region (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html). */
export const DEFAULT_SNAPSHOT_QUOTA = 100;

/**
 * The longest a snapshot run spends before its wait starts (resolving its targets and listing their
 * snapshots): a slower set-up shortens the wait by as much
 * (functions/jobs/snapshot.ts runSnapshotJob), so a run's wait ends at most this long plus
 * `waitMinutes` after it started.
 */
export const SNAPSHOT_SETUP_BOUND_MS = 3 * 60_000;

/**
 * The time a snapshot run is given after its wait ends to record what it did (the run records, each
 * snapshot's key check) and its result.
 */
export const SNAPSHOT_RECORDING_MARGIN_MS = 2 * 60_000;

/**
 * How long before a function would be stopped (the snapshot Lambda, the `snapshot` Cloud Function)
 * its wait for snapshots ends, so it still records what it did and answers: a snapshot still
 * creating then is reported as such (`DeadlineExceeded`, it may still complete), never lost with the
 * function. A duplicate delivery stops waiting for the first as long before.
 */
export const SNAPSHOT_ANSWER_MARGIN_MS = 60_000;

export const snapshotsPolicySchema = z
  .strictObject({
    waitMinutes: z.described(
      z._default(z.number().check(z.positive(), z.lte(24 * 60)), 60),
      `Deadline for a snapshot to become available (a busy target is retried until then), counted once the run has found its targets; a run whose search takes longer than ${SNAPSHOT_SETUP_BOUND_MS / 60_000} minutes waits that much less.`,
    ),
    pollInitialSeconds: z.described(
      z._default(z.number().check(z.gte(0.01), z.lte(600)), 5),
      'Shortest wait between two polls of a region (and between create attempts on a busy target); each wait is 3% of the time waited so far, never shorter than this.',
    ),
    pollMaxSeconds: z.described(
      z._default(z.number().check(z.gte(0.01), z.lte(600)), 30),
      'Longest wait between two polls of a region.',
    ),
    expiryDays: z.described(
      z._default(z.int().check(z.gte(1), z.lte(3650)), 14),
      'Days after which a pre-maintenance snapshot may be pruned (written as its expiry tag).',
    ),
    readinessMaxAgeHours: z.described(
      z._default(
        z.number().check(
          // 1e-9 h was taken: no snapshot is that young, so readiness would answer NO-GO for ever.
          z.gte(1, {
            error: (issue) =>
              `is ${issue.input} h; it must be at least 1 h (a snapshot takes minutes to become available and readiness is asked after it, so a shorter one would leave hardly any snapshot young enough for a GO)`,
          }),
          z.lte(24 * 30),
        ),
        24,
      ),
      'Readiness needs a successful pre-maintenance snapshot younger than this for every target; at least 1 h, at most expiryDays × 24 (a snapshot past its expires-at tag may be pruned at any time).',
    ),
    readinessWaivers: z.described(
      z._default(
        z
          .record(
            z.string(),
            z.strictObject(
              {
                reason: z.described(
                  z.string().check(z.trim(), z.minLength(1, 'give the reason the gate is waived')),
                  'Why the gate may be answered without.',
                ),
                expires: z.described(
                  z.iso.date('must be a date such as 2027-03-31'),
                  `The last day (UTC) the waiver applies: at most ${ACCEPTED_RISK_MAX_DAYS} days after the day the policy is read (a later one is refused; renew a waiver by moving it forward).`,
                ),
              },
              {
                // A bare reason was the old form: it waived the gate for ever.
                error: (issue) =>
                  issue.code === 'invalid_type' && typeof issue.input === 'string'
                    ? 'a waiver is { reason, expires }, not a bare reason: write {"reason": "…", "expires": "2027-03-31"} (the last day, UTC, the waiver applies)'
                    : undefined,
              },
            ),
          )
          .check(
            z.superRefine((waivers, context) => {
              for (const gate of Object.keys(waivers)) {
                if (!/^audit:[a-z][a-z0-9-]*$/.test(gate)) {
                  context.addIssue({
                    code: 'custom',
                    path: [gate],
                    message: `'${gate}' is not a gate: name one as audit:<group>, such as audit:keys`,
                  });
                } else if (!(CHECK_GROUPS as readonly string[]).includes(gate.slice('audit:'.length))) {
                  // A typo (audit:key) would waive nothing while its author believes the gate waived.
                  const gates = CHECK_GROUPS.map((group) => `audit:${group}`);
                  const meant = closest(gate, gates);
                  context.addIssue({
                    code: 'custom',
                    path: [gate],
                    message: `'${gate}' names no check group; ${meant ? `did you mean ${meant}? The` : 'the'} gates are ${gates.join(', ')}`,
                  });
                }
              }
            }),
          ),
        {},
      ),
      `Gates required for GO (audit:keys) that readiness may answer without, each with its reason and the last day (UTC) it applies, e.g. {"audit:keys": {"reason": "CA keys held offline in an HSM, checked by hand before each rotation", "expires": "2027-02-28"}}. A waiver applies only while the policy gives the gate nothing to audit (a configured gate is always judged) and until it expires; then the gate is required again. It runs ${ACCEPTED_RISK_MAX_DAYS} days at most from the day the policy is read.`,
    ),
    maintenanceHorizonHours: z.described(
      z._default(z.number().check(z.positive(), z.lte(24 * 60)), 72),
      'The maintenance job snapshots a target before maintenance due within this many hours: at least the longest gap between two scans (maintenanceSchedule) plus waitMinutes, so maintenance due between two scans is still seen in time.',
    ),
    quotaPerRegion: z.described(
      z._default(z.int().check(z.gte(1), z.lte(100_000)), DEFAULT_SNAPSHOT_QUOTA),
      'Manual snapshots allowed per region and kind (raise it here after a quota increase).',
    ),
    maintenanceSchedule: z.described(
      z._default(z.string().check(z.minLength(1)), 'rate(6 hours)'),
      "How often the maintenance-aware job looks for upcoming maintenance: the snapshot Lambda's schedule (also run on AWS Health and RDS events) and the snapshot Cloud Function's Cloud Scheduler job, where a rate must divide an hour or a day.",
    ),
    idempotencyTable: z.described(
      z.optional(z.string().check(z.regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'))),
      'DynamoDB table of the idempotency records for `backup-guard snapshot` (the snapshot Lambda is given its own by the deployment), and of the run records that name each snapshot taken: `backup-guard prune` deletes only a snapshot one of them names.',
    ),
    runRecordsBucket: z.described(
      z.optional(
        z
          .string()
          .check(
            z.regex(
              new RegExp(`^${GCS_BUCKET_NAME}$`),
              'must be a Cloud Storage bucket name (lower-case letters, digits, -, _ and ., without gs://)',
            ),
          ),
      ),
      "Cloud Storage bucket of the GCP deployment's run records (`<host project>-certctl-chat-requests`, infra/gcp/deploy.ts): the `snapshot` function and chat-action write one there for each Cloud SQL backup they take, and `backup-guard prune --provider gcp` deletes only a backup one of them names (or one named in idempotencyTable). Reading them needs storage.objects.get on the bucket.",
    ),
    pruneByTagsAlone: z.described(
      z._default(z.boolean(), false),
      "Prune deletes an expired snapshot on its tags alone, without a run record of ours naming it. Tags are a claim anyone who may tag a snapshot (or write a Cloud SQL backup's description) can make: leave this off unless prune has no run records to read and you accept that.",
    ),
  })
  .check(
    z.superRefine((policy, context) => {
      let scanGapMinutes: number | undefined;
      try {
        scanGapMinutes = parseAuditSchedule(policy.maintenanceSchedule).maxIntervalMinutes;
      } catch (error) {
        if (!(error instanceof PolicyError)) throw error;
        for (const issue of error.issues) {
          context.addIssue({ code: 'custom', path: ['maintenanceSchedule'], message: issue.message });
        }
      }
      // A scan sees maintenance only within the horizon: maintenance due just beyond it must still be
      // within it at the next scan, with time left for the snapshot, or it is applied unsnapshotted.
      const neededMinutes = scanGapMinutes === undefined ? undefined : scanGapMinutes + policy.waitMinutes;
      if (neededMinutes !== undefined && policy.maintenanceHorizonHours * 60 < neededMinutes) {
        context.addIssue({
          code: 'custom',
          path: ['maintenanceHorizonHours'],
          message: `is ${policy.maintenanceHorizonHours} h, shorter than the longest gap between two maintenance scans (${
            (scanGapMinutes ?? 0) / 60
          } h, snapshots.maintenanceSchedule ${policy.maintenanceSchedule}) plus snapshots.waitMinutes (${
            policy.waitMinutes
          } min): maintenance due between two scans would get no snapshot; make it at least ${Math.ceil(neededMinutes / 60)} h`,
        });
      }
      // A snapshot expires (its expires-at tag) expiryDays after it is taken, and pruning may delete it
      // from then on: a GO must not rest on one older than that.
      if (policy.readinessMaxAgeHours > policy.expiryDays * 24) {
        context.addIssue({
          code: 'custom',
          path: ['readinessMaxAgeHours'],
          message: `is ${policy.readinessMaxAgeHours} h, longer than snapshots.expiryDays (${policy.expiryDays} day${
            policy.expiryDays === 1 ? '' : 's'
          } = ${policy.expiryDays * 24} h): a GO could rest on a snapshot past its own expires-at tag, which pruning may delete at any time; make it at most ${policy.expiryDays * 24} h or raise expiryDays`,
        });
      }
      if (policy.pollInitialSeconds > policy.pollMaxSeconds) {
        context.addIssue({
          code: 'custom',
          path: ['pollInitialSeconds'],
          message: `is ${policy.pollInitialSeconds}, above pollMaxSeconds (${policy.pollMaxSeconds})`,
        });
      }
    }),
  );

export type SnapshotsPolicy = z.output<typeof snapshotsPolicySchema>;
export type SnapshotsPolicyInput = z.input<typeof snapshotsPolicySchema>;
/** A gate's waiver: why readiness may answer without it, and the last day (UTC) that holds. */
export type ReadinessWaiver = SnapshotsPolicy['readinessWaivers'][string];

/** The readiness waivers of a parsed policy that run longer than {@link ACCEPTED_RISK_MAX_DAYS} after `now`'s day. */
export function waiverHorizonIssues(
  waivers: Readonly<Record<string, ReadinessWaiver>>,
  now: Date,
): InputIssue[] {
  return Object.entries(waivers).flatMap(([gate, waiver]) => {
    const issue = acceptedRiskHorizonIssue(
      `snapshots.readinessWaivers.${gate}.expires`,
      'a readiness waiver',
      waiver.expires,
      now,
    );
    return issue ? [issue] : [];
  });
}

/**
 * The longest a snapshot run lasts: {@link SNAPSHOT_SETUP_BOUND_MS}, the wait (`waitMinutes`) and
 * {@link SNAPSHOT_RECORDING_MARGIN_MS}. Outside a function (the CLI, or chat with no remaining time
 * to read) a run's in-progress claim on its request lasts this long (functions/jobs/idempotency.ts):
 * a re-send never takes over a run that is still going, and one that was killed holds off re-sends no
 * longer than a run could have lasted.
 */
export function snapshotRunBoundMs(snapshots: Pick<SnapshotsPolicy, 'waitMinutes'>): number {
  return SNAPSHOT_SETUP_BOUND_MS + Math.ceil(snapshots.waitMinutes * 60_000) + SNAPSHOT_RECORDING_MARGIN_MS;
}

/**
 * The GCP `snapshot` function's timeout in seconds: as long as a run lasts ({@link snapshotRunBoundMs}:
 * its set-up, the policy's wait for the backups and its recording), within Cloud Run functions'
 * 60-minute limit for HTTP functions
 * (https://cloud.google.com/functions/docs/configuring/timeout). The deployment sets it
 * (infra/gcp/plan.ts), and the function's claim on a request lasts as long
 * (functions/handlers/gcp/snapshot.ts). Where the limit cuts it (a wait over 55 minutes), the
 * function's wait ends {@link SNAPSHOT_ANSWER_MARGIN_MS} before it would be stopped
 * ({@link functionWaitEndsBy}).
 */
export function snapshotFunctionTimeoutSeconds(snapshots: Pick<SnapshotsPolicy, 'waitMinutes'>): number {
  return Math.min(3600, Math.ceil(snapshotRunBoundMs(snapshots) / 1000));
}

/**
 * When the snapshot wait of a function invoked at `invokedAt` and stopped `runsForMs` later ends
 * at the latest: {@link SNAPSHOT_ANSWER_MARGIN_MS} before it would be stopped (the snapshot Lambda's
 * remaining time, the `snapshot` Cloud Function's timeout).
 */
export function functionWaitEndsBy(invokedAt: Date, runsForMs: number): Date {
  return new Date(invokedAt.getTime() + runsForMs - SNAPSHOT_ANSWER_MARGIN_MS);
}

/**
 * `snapshots` with a wait that starts at `now` and ends by `endsBy` at the latest: `waitMinutes`
 * shortened to the time left, never below 0. Applied as the wait
 * starts, so the time the run took to get there (its set-up, a duplicate's wait) is counted.
 * Without `endsBy`, `snapshots` as they are.
 */
export function waitEndingBy(
  snapshots: SnapshotsPolicy,
  now: Date,
  endsBy: Date | undefined,
): SnapshotsPolicy {
  if (endsBy === undefined) return snapshots;
  const leftMinutes = Math.max(0, (endsBy.getTime() - now.getTime()) / 60_000);
  if (!(leftMinutes < snapshots.waitMinutes)) return snapshots;
  return { ...snapshots, waitMinutes: leftMinutes };
}
