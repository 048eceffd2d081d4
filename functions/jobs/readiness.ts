/**
 * The readiness job: go/no-go before a CA rotation or any destructive maintenance. GO only when,
 * for every target:
 * - every audit gate passes. The gates are not a fixed list: each check group registered in
 *   functions/jobs/groups.ts that the run plans a scope for is a gate (`audit:pitr`,
 *   `audit:dumps`, `audit:keys`, …), so a group counts as soon as it is registered and the policy
 *   configures it. A target's own findings gate that target; findings about other resources
 *   (dump buckets, secrets) gate every target alike. PASSED and WARNING pass; an active policy
 *   exception is accepted risk and shown as such;
 * - a successful pre-maintenance snapshot of ours (by tag) younger than
 *   `snapshots.readinessMaxAgeHours` exists, and prune may not delete it (past its own
 *   `expires-at` tag with a newer snapshot of that database listed beside it: prunableNow), on a
 *   clock no snapshot of its listing shows behind (clockBehindBy).
 * Each gate carries its evidence and, when not green, what to do. Every gate of the catalog is also
 * summarised for the whole run: evaluated, not installed in this version, not configured by the
 * policy, or incomplete (a scope not read, a check NOT_AVAILABLE). Only evaluated gates can make
 * the verdict GO; an incomplete one makes it "could not evaluate" (exit 2) unless another gate
 * already says NO-GO. A run-wide gate (dump series, key material) that is incomplete is also on
 * every database's line, UNKNOWN with what it waits on, and a group of database checks whose scope
 * where the database is was not read is on that database's line: a database's line is never GO
 * while the verdict waits on a gate it rests on. A check of an evaluated gate the policy turns off
 * (`keys.content` without `keys.inspectSecretValues`) is said once, with what stays unverified
 * (`checksNotRun`): it does not change the verdict, and a GO never reads as resting on it.
 */

import type { BackendSnapshot, SnapshotCloud, SnapshotKey } from '../actions/snapshot/backend.ts';
import {
  askedAt,
  bearsName,
  beingCreated,
  couldBeFresh,
  estimatedBy,
  newestFirst,
  type SnapshotMatch,
  type SnapshotMatchTarget,
  snapshotMatch,
  stuckCreating,
} from '../actions/snapshot/identity.ts';
import { judgeSnapshotKey, snapshotKeyReader } from '../actions/snapshot/keys.ts';
import { expiryOf, SNAPSHOT_TAGS } from '../actions/snapshot/model.ts';
import { type PrunePlace, planPrune } from '../actions/snapshot/prune.ts';
import {
  type AuditReport,
  EXIT_CODES,
  namesNotLookedUpProblems,
  otherEngineProblems,
  scopeKey,
  taggedStandInProblems,
} from '../core/audit.ts';
import { remediationTextFor } from '../core/check.ts';
import { describeError } from '../core/errors.ts';
import { ON_BACKUP_PLAN } from '../core/facts.ts';
import {
  type CheckGroup,
  type Finding,
  type Provider,
  type ResourceRef,
  resourceKey,
} from '../core/finding.ts';
import { DEFAULT_EXPIRY_HORIZON_DAYS, type ItemOutside, itemsOutside } from '../core/keys-policy.ts';
import { keyMaterialHorizonDays } from '../core/kms-key-states.ts';
import { type Policy, policyProviders } from '../core/policy.ts';
import { placeholder, shellWord } from '../core/shell-word.ts';
import type { ReadinessWaiver } from '../core/snapshots-policy.ts';
import { identifierName, locateIdentifier, namesOf } from '../core/targets.ts';
import {
  CLOCK_SKEW_TOLERANCE_MS,
  HOUR_MS,
  hoursAgainstLimit,
  isOnOrBefore,
  isoTimeProblem,
} from '../core/time.ts';
import { ALL_REGIONS } from '../gcp/planner.ts';
import { visibleLine } from '../publish/terminal.ts';
import { type AuditDependencies, finishAudit, lookUpUnlistedNames, planAudit, runScopes } from './audit.ts';
import { checkGroup, checkGroups, knownCheckGroups } from './groups.ts';
import { qualifiedName } from './snapshot.ts';
import {
  backupPlanNote,
  kindOf,
  snapshotListingKey,
  snapshotsByTarget,
  type UncoveredCloud,
  uncountedReason,
  uncoveredClouds,
} from './snapshot-listing.ts';

// What chat's `snapshot` and `status` share with this job lives apart, so they load without the
// audit and its checks (functions/jobs/snapshot-listing.ts); exported from here as before.
export {
  backupPlanNote,
  snapshotListingKey,
  snapshotsByTarget,
  type UncoveredCloud,
  uncountedReason,
  uncoveredClouds,
};

export type GateStatus = 'GO' | 'NO-GO' | 'UNKNOWN';

/** One gate of one target: its status, the evidence, and what to do when it is not GO. */
export interface ReadinessGate {
  /** `audit:pitr`, `audit:keys`, `snapshot`, … */
  readonly gate: string;
  readonly status: GateStatus;
  readonly evidence: string;
  readonly action?: string;
  /**
   * Findings the gate lets through as accepted risk (active policy exceptions), each with its reason
   * and expiry, so an answer that shows only what is not green still says what a GO rests on.
   */
  readonly acceptedRisk?: readonly string[];
  /**
   * Findings the gate lets through with a WARNING (PASSED and WARNING pass), each with what it says
   * (a restore window still filling, a replica not yet in sync), for the same reason.
   */
  readonly warnings?: readonly string[];
}

export interface TargetReadiness {
  readonly target: ResourceRef;
  readonly status: GateStatus;
  readonly gates: readonly ReadinessGate[];
}

/**
 * How a gate fared over the whole run. `evaluated`: it judged every target. `incomplete`: it ran
 * but could not judge everything (a scope not read, a check NOT_AVAILABLE, nothing found).
 * `not-configured`: the group is installed but the policy gives it nothing to audit in these
 * clouds. `not-installed`: the catalog names the group but this version does not have it yet.
 * `waived`: a gate required for GO that the policy gives nothing to audit, waived with a reason in
 * `snapshots.readinessWaivers`; a required gate neither configured nor waived is `incomplete`
 * and keeps the verdict from GO.
 */
export type GateCoverage = 'evaluated' | 'incomplete' | 'not-configured' | 'not-installed' | 'waived';

export interface GateSummary {
  readonly gate: string;
  readonly coverage: GateCoverage;
  readonly detail: string;
}

export interface ReadinessResult {
  readonly verdict: GateStatus;
  /** 0 GO, 1 NO-GO, 2 could not evaluate. */
  readonly exitCode: 0 | 1 | 2;
  readonly evaluatedAt: string;
  readonly targets: readonly TargetReadiness[];
  /** Every gate of the run and of the catalog, and whether it could be evaluated. */
  readonly gates: readonly GateSummary[];
  /** What kept the verdict from being complete (scopes not read, providers not planned, targets missing). */
  readonly notEvaluated: readonly string[];
  /**
   * The key-material items the verdict does not cover (switched off, or left out by preset `none`),
   * each with why, so a GO of `audit:keys` never reads as proving them backed up.
   */
  readonly keyItemsOutside?: readonly ItemOutside[];
  /**
   * The checks of the gates this run evaluated that the policy turns off (`keys.content` without
   * `keys.inspectSecretValues`), each with why and what stays unverified, so a GO of their gate
   * never reads as resting on them. Absent when every check of those gates ran.
   */
  readonly checksNotRun?: readonly CheckNotRun[];
  /**
   * The regions or projects the run was narrowed to (`AWS regions eu-west-1`, `GCP projects p`):
   * it judged the databases there alone, so a GO never reads as covering the policy's others.
   * Absent when the run read every region and project the policy selects.
   */
  readonly narrowedTo?: string;
}

/** A check the policy turns off ({@link checksOffBy}): it yields nothing, so its gate's GO does not rest on it. */
export interface CheckNotRun {
  /** `keys.content` */
  readonly check: string;
  /** `audit:keys` */
  readonly gate: string;
  /** `keys.inspectSecretValues is off in the policy` */
  readonly reason: string;
  /** `the backed-up key material's content`: said as "… is not verified". */
  readonly unverified: string;
}

export interface ReadinessRequest {
  readonly providers: readonly Provider[];
  readonly regions?: readonly string[];
  readonly projects?: readonly string[];
  /**
   * The databases the request asks about (chat `readiness <database> …`). They narrow the policy's
   * selection, never widen it: only those of them the policy selects are judged, and each must be
   * judged by this run: one the policy does not select, or found nowhere, keeps the verdict from GO
   * ("could not evaluate", or NO-GO when a judged database fails), whatever cloud a plain name might
   * live in.
   */
  readonly targets?: readonly string[];
}

export interface ReadinessDependencies extends AuditDependencies {
  /** The clouds whose pre-maintenance snapshots the snapshot gate lists. */
  readonly clouds: readonly SnapshotCloud[];
}

const TARGET_TYPES = new Set(['AwsRdsDbInstance', 'AwsRdsDbCluster', 'GcpCloudSqlInstance']);
export const SNAPSHOT_GATE = 'snapshot';

function auditGateName(group: CheckGroup): string {
  return `audit:${group}`;
}

function combine(statuses: readonly GateStatus[]): GateStatus {
  if (statuses.includes('NO-GO')) return 'NO-GO';
  if (statuses.includes('UNKNOWN') || statuses.length === 0) return 'UNKNOWN';
  return 'GO';
}

function observedText(finding: Finding): string {
  const values = Object.entries(finding.observed)
    .filter(([, value]) => value !== null && value !== '')
    .slice(0, 3)
    .map(([key, value]) => `${key} ${value}`);
  return values.length > 0 ? ` (${values.join(', ')})` : '';
}

function resourceText(finding: Finding, withResource: boolean): string {
  return withResource ? ` on ${finding.resource.id}` : '';
}

/**
 * An expired policy exception, or one that names more than one resource, named where the finding it
 * does not cover keeps a gate from GO: the operator who granted it expects the gate green, and renews
 * or renames it, or fixes the finding.
 */
function expiredText(finding: Finding): string {
  const { exception, exceptionNotApplied } = finding;
  if (exceptionNotApplied) return `; ${exceptionNotApplied.note}`;
  return exception && !exception.active
    ? `; its policy exception expired on ${exception.expires} (it said: ${exception.reason})`
    : '';
}

/**
 * What to do about expired exceptions among the findings that keep a gate from GO, and about
 * exceptions that name more than one resource (write the name of the one meant).
 */
function renewAction(findings: readonly Finding[]): string[] {
  const renew = findings.some((finding) => finding.exception && !finding.exception.active)
    ? ['Or renew the exception (expires) if the risk is still accepted.']
    : [];
  const rename = findings.flatMap(({ exceptionNotApplied }) =>
    exceptionNotApplied
      ? [`Or write the exception's resource as ${exceptionNotApplied.write} if this risk is accepted.`]
      : [],
  );
  return [...renew, ...rename];
}

/** The sentences of a remediation text: split after `.`, `!` or `?` and a space, never inside a `command`. */
function sentencesOf(text: string): string[] {
  const sentences: string[] = [];
  let start = 0;
  let inCode = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char === '`') inCode = !inCode;
    else if (!inCode && (char === '.' || char === '!' || char === '?') && /\s/.test(text[index + 1] ?? '')) {
      sentences.push(text.slice(start, index + 1).trim());
      start = index + 1;
    }
  }
  const rest = text.slice(start).trim();
  if (rest) sentences.push(rest);
  return sentences;
}

/**
 * The failing checks' remediation texts as one action. Several checks often name the same command
 * (automated backups off fails pitr.enabled, pitr.retention and pitr.window, and each says to set the
 * retention), so a sentence whose commands have all been given already is left out; every other
 * sentence is kept, in order, so what each check adds about the fix (an outage, how the window
 * fills) stays.
 */
export function combinedAction(texts: readonly string[]): string {
  const given = new Set<string>();
  const kept: string[] = [];
  for (const text of new Set(texts)) {
    for (const sentence of sentencesOf(text)) {
      const commands = sentence.match(/`[^`]+`/g) ?? [];
      if (commands.length > 0 && commands.every((command) => given.has(command))) continue;
      if (kept.includes(sentence)) continue;
      for (const command of commands) given.add(command);
      kept.push(sentence);
    }
  }
  return kept.join(' ');
}

/** What to do about findings that could not be evaluated when none says more. */
const UNKNOWN_ACTION =
  'Fix what kept the check from evaluating (permissions, an unreachable region), then run readiness again.';

/**
 * What to do about NOT_AVAILABLE findings: the advice each one gave of its own (a Cloud SQL instance
 * on the enhanced backup tier names its Backup and DR backup plan, a refused read names the
 * permission), combined as for failures; a finding that carries only its check's general remediation
 * (which is about failing, not about not evaluating) gets the general sentence instead.
 */
function unknownAction(group: CheckGroup, unknown: readonly Finding[]): string {
  const checks = checkGroup(group)?.checks ?? [];
  const own = unknown.flatMap((finding) => {
    const check = checks.find((candidate) => candidate.metadata.id === finding.checkId);
    const general = check ? remediationTextFor(check.metadata, finding.resource) : undefined;
    return check && finding.remediation.text !== general ? [finding.remediation.text] : [];
  });
  if (own.length === 0) return UNKNOWN_ACTION;
  const rest = own.length < unknown.length ? [UNKNOWN_ACTION] : ['Then run readiness again.'];
  return combinedAction([...own, ...rest]);
}

/** NOT_AVAILABLE, or a status outside the four (a defect, as core/audit.ts orders it): not judged, never GO. */
function notJudged(finding: Pick<Finding, 'status'>): boolean {
  return finding.status !== 'PASSED' && finding.status !== 'WARNING' && finding.status !== 'FAILED';
}

/**
 * The gate of one check group over a set of findings (one target's, or the fleet-wide ones, in
 * which case each line names its resource).
 */
export function auditGate(group: CheckGroup, findings: readonly Finding[], fleetWide = false): ReadinessGate {
  const accepted = (finding: Finding) => finding.exception?.active === true;
  const failed = findings.filter((finding) => finding.status === 'FAILED' && !accepted(finding));
  const unknown = findings.filter((finding) => notJudged(finding) && !accepted(finding));
  const gate = auditGateName(group);
  const acceptedRisk = findings
    .filter(accepted)
    .map(
      (finding) =>
        `${finding.checkId} ${finding.status}${resourceText(finding, fleetWide)} excepted until ${finding.exception?.expires}: ${finding.exception?.reason}`,
    );
  const warnings = findings
    .filter((finding) => finding.status === 'WARNING' && !accepted(finding))
    .map(
      (finding) => `${finding.checkId} WARNING${resourceText(finding, fleetWide)}: ${finding.description}`,
    );
  const passedWith = {
    ...(acceptedRisk.length > 0 ? { acceptedRisk } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
  if (failed.length > 0) {
    return {
      gate,
      status: 'NO-GO',
      evidence: failed
        .map(
          (finding) =>
            `${finding.checkId} FAILED${resourceText(finding, fleetWide)}${observedText(finding)}${expiredText(finding)}`,
        )
        .join('; '),
      action: combinedAction([...failed.map((finding) => finding.remediation.text), ...renewAction(failed)]),
      ...passedWith,
    };
  }
  if (unknown.length > 0) {
    return {
      gate,
      status: 'UNKNOWN',
      evidence: unknown
        .map(
          (finding) =>
            `${finding.checkId} ${finding.status}${resourceText(finding, fleetWide)}: ${finding.description}`,
        )
        .join('; '),
      action: unknownAction(group, unknown),
      ...passedWith,
    };
  }
  if (findings.length === 0) {
    return {
      gate,
      status: 'UNKNOWN',
      evidence: 'no finding for this target',
      action: 'Check that the policy selects this target.',
    };
  }
  return {
    gate,
    status: 'GO',
    evidence: findings
      .map((finding) => {
        const excepted = accepted(finding)
          ? ` excepted until ${finding.exception?.expires}: ${finding.exception?.reason}`
          : '';
        return `${finding.checkId} ${finding.status}${resourceText(finding, fleetWide)}${observedText(finding)}${excepted}`;
      })
      .join('; '),
    ...passedWith,
  };
}

/**
 * The listed snapshots prune would delete now (functions/jobs/prune.ts decides with `planPrune`
 * over the same listing of the scope): past their own `expires-at` tag and not the newest
 * successful snapshot of ours of that database there (by kind, name and resource id). A GO must
 * not rest on one: it may be gone before the maintenance. Prune never deletes the newest successful
 * one, nor one whose tag it cannot read, so those count. The place lists the target as prune lists
 * a Cloud SQL instance, with its createTime when sent: without it prune deletes none of its
 * successful runs (prune.ts incarnationNotTold), nor may readiness say it will.
 */
function prunableNow(
  snapshots: readonly BackendSnapshot[],
  now: Date,
  place: PrunePlace,
): ReadonlySet<BackendSnapshot> {
  return new Set(
    planPrune(snapshots, now, place)
      .filter((decision) => decision.action === 'delete')
      .map((decision) => decision.snapshot),
  );
}

/** Why a snapshot prune may delete is not counted ({@link prunableNow}). */
function prunableReason(snapshot: BackendSnapshot): string {
  return `${snapshot.id} is past its expires-at tag (${snapshot.tags[SNAPSHOT_TAGS.expiresAt]}) and a newer snapshot of ours is of its database, so prune may delete it at any time`;
}

/**
 * What the snapshot a GO rests on says of its `expires-at` tag, when it is not simply ahead: a tag
 * prune cannot read (it never deletes such a snapshot), or one that has passed (prune keeps it only
 * while it is the newest successful snapshot of ours of its database). Empty otherwise.
 */
function expiryNote(snapshot: BackendSnapshot, now: Date): string {
  const tag = snapshot.tags[SNAPSHOT_TAGS.expiresAt];
  if (tag === undefined) return '';
  // Read as prune reads it (actions/snapshot/model.ts expiryOf): a tag it reads no time in keeps
  // the snapshot for ever.
  const expiry = expiryOf(tag);
  if (!Number.isFinite(expiry))
    return `; its expires-at tag ${JSON.stringify(tag.slice(0, 64))} is ${isoTimeProblem(tag)}: prune never deletes it, so it counts`;
  return expiry <= now.getTime()
    ? `; it is past its expires-at tag (${tag}), but prune keeps it as the newest successful snapshot of ours of ${snapshot.target}`
    : '';
}

/**
 * What the snapshot gate finds before the key: the gate as the snapshots' ages decide it, and the
 * snapshot a GO rests on (present only when `gate` is GO).
 */
interface AgeJudgement {
  readonly gate: ReadinessGate;
  readonly relied?: BackendSnapshot;
  /**
   * With a GO: the older snapshots of ours that count and are within the limit too, newest first.
   * When the key of `relied` cannot restore it, a GO rests on the first of these whose key can
   * (prune keeps it: it never deletes a snapshot newer than the newest whose key is usable).
   */
  readonly fallbacks?: readonly BackendSnapshot[];
  /**
   * With a GO: a snapshot of ours of the database newer than `relied` still being created
   * (identity.ts beingCreated), named beside a NO-GO the key of `relied` makes, so none is taken twice.
   */
  readonly creating?: BackendSnapshot;
}

/**
 * The snapshot gate of a target {@link backupPlanNote} speaks of: UNKNOWN, never GO nor "run
 * backup-guard snapshot". (snapshots.readinessWaivers takes audit gates only, so it is not named.)
 */
function backupPlanGate(target: ResourceRef): ReadinessGate | undefined {
  const note = backupPlanNote(target);
  return note && { gate: SNAPSHOT_GATE, status: 'UNKNOWN', ...note };
}

/**
 * The snapshot command for `target`, as `backup-guard snapshot` resolves it: in its cloud, named
 * (without `--provider` the command reads every cloud the policy configures, which needs that
 * cloud's credentials too), by a name no same-named database in another account, region or
 * project shares (an ambiguous plain name is refused).
 */
function snapshotAction(target: ResourceRef): string {
  // One shell word (core/shell-word.ts): the name came in an answer, and the reader pastes the command.
  // A code span, as every printed command: a name quoted as one word reads plainly inside it.
  const name = shellWord(target.provider === 'aws' && !target.arn ? target.id : qualifiedName(target));
  return `Run \`backup-guard snapshot --provider ${target.provider} --target ${name} --reason ${placeholder('why')} --ticket ${placeholder('ticket')} --wait\` and run readiness again.`;
}

/**
 * The newest available snapshot of ours of the database there now, younger than the limit: the
 * gate before the key.
 */
function judgeSnapshotAge(
  snapshots: readonly BackendSnapshot[] | Error,
  target: ResourceRef,
  maxAgeHours: number,
  now: Date,
  retentionDays?: number,
): AgeJudgement {
  const onBackupPlan = backupPlanGate(target);
  if (onBackupPlan) return { gate: onBackupPlan };
  const action = snapshotAction(target);
  if (snapshots instanceof Error) {
    return {
      gate: {
        gate: SNAPSHOT_GATE,
        status: 'UNKNOWN',
        evidence: `snapshots not listed: ${describeError(snapshots)}`,
        action,
      },
    };
  }
  const matchTarget: SnapshotMatchTarget = {
    kind: kindOf(target),
    id: target.id,
    account: target.account,
    region: target.region,
    resourceId: target.resourceId,
    createdAt: target.createdAt,
  };
  const prunable = prunableNow(snapshots, now, {
    account: target.account,
    region: target.region,
    targets: [matchTarget],
  });
  const listedAs = (status: string, match: SnapshotMatch) =>
    snapshots.filter(
      (snapshot) => snapshot.status === status && snapshotMatch(snapshot, matchTarget) === match,
    );
  const availableOf = (match: SnapshotMatch) =>
    listedAs('available', match).filter((snapshot) => !prunable.has(snapshot));
  // Snapshots of this database prune may delete do not count; those newer than what a GO rests
  // on are named beside it, all of them beside a gate that is not GO.
  const lapsed = newestFirst(listedAs('available', 'of-target').filter((snapshot) => prunable.has(snapshot)));
  const newest = judgeNewest(availableOf('of-target'), maxAgeHours, now, action);
  // A GO rests on the newest snapshot of this database that counts: the one whose key is read.
  if (newest.gate.status === 'GO' && newest.relied) {
    const relied = newest.relied;
    // A snapshot of the same listing dated after this run's clock shows the clock behind: the age
    // of the one a GO rests on is short by at least as much (as a dump listing's is, dumps.fresh).
    const behind = clockBehindBy(snapshots, now);
    if (behind) {
      return {
        gate: {
          gate: SNAPSHOT_GATE,
          status: 'UNKNOWN',
          evidence: `${ageEvidence(relied, maxAgeHours, now)} by this run's clock, but ${behind.id}, listed beside it, says it was created at ${behind.createdAt?.toISOString()}, later than this run's clock (${now.toISOString()}): the clock is behind, so the age of ${relied.id} cannot be told`,
          action: CHECK_THE_CLOCK,
        },
      };
    }
    const newer = lapsed.filter(
      (snapshot) => (snapshot.createdAt?.getTime() ?? 0) > (relied.createdAt?.getTime() ?? 0),
    );
    const uncounted =
      newer.length > 0 ? `; not counted: ${newer.slice(0, 3).map(prunableReason).join('; ')}` : '';
    const creating = beingCreated(snapshots, matchTarget, now, maxAgeHours, retentionDays);
    const newerCreating =
      creating &&
      (askedAt(creating, retentionDays)?.at.getTime() ?? Number.POSITIVE_INFINITY) >
        (relied.createdAt?.getTime() ?? 0)
        ? creating
        : undefined;
    return {
      gate: {
        ...newest.gate,
        evidence: `${newest.gate.evidence}${expiryNote(relied, now)}${uncounted}`,
      },
      relied,
      ...(newest.fallbacks ? { fallbacks: newest.fallbacks } : {}),
      ...(newerCreating ? { creating: newerCreating } : {}),
    };
  }
  const gate = awaitingCreation(
    newest.gate,
    beingCreated(snapshots, matchTarget, now, maxAgeHours, retentionDays),
    stuckCreating(snapshots, matchTarget, now, maxAgeHours, retentionDays),
    retentionDays,
  );
  // A snapshot that bears the name but whose resource id (its own or the database's) was not sent
  // may be the fresh one: unless a verified one proves freshness, the gate cannot be judged. One
  // that is dated and too old could not make a GO either way.
  const unverifiable = newestFirst(availableOf('unverifiable')).find((snapshot) =>
    couldBeFresh(snapshot, now, maxAgeHours),
  );
  if (unverifiable && gate.status === 'NO-GO') {
    return {
      gate: {
        gate: SNAPSHOT_GATE,
        status: 'UNKNOWN',
        evidence: `${uncountedReason(unverifiable, matchTarget)} (not verifiable, not counted)`,
        action,
      },
    };
  }
  // Snapshots of an earlier database of that name are said, so a NO-GO beside a fresh-looking
  // snapshot of that name reads as what it is.
  const earlier = newestFirst(
    snapshots.filter(
      (snapshot) =>
        snapshot.status === 'available' &&
        bearsName(snapshot, matchTarget) &&
        snapshotMatch(snapshot, matchTarget) === 'not-of-target',
    ),
  ).slice(0, 3);
  const uncounted = [
    ...lapsed.slice(0, 3).map(prunableReason),
    ...earlier.map((snapshot) => uncountedReason(snapshot, matchTarget)),
  ];
  if (gate.status === 'NO-GO' && uncounted.length > 0) {
    return { gate: { ...gate, evidence: `${gate.evidence}; not counted: ${uncounted.join('; ')}` } };
  }
  return { gate };
}

/**
 * A NO-GO while a snapshot of ours is still being created: still NO-GO (nothing restorable yet),
 * but naming it and when it started (RDS sends no creation time while a snapshot is creating: then
 * when its expires-at tag, less `retentionDays`, dates the ask, said as such: identity.ts askedAt),
 * and saying to wait for it rather than to take another. One being created since longer ago than
 * the limit (`stuck`, identity.ts stuckCreating) is named beside the NO-GO, whose action stays to
 * take a snapshot.
 */
function awaitingCreation(
  gate: ReadinessGate,
  creating: BackendSnapshot | undefined,
  stuck: string | undefined,
  retentionDays: number | undefined,
): ReadinessGate {
  if (gate.status !== 'NO-GO') return gate;
  if (!creating) return stuck ? { ...gate, evidence: `${gate.evidence}; ${stuck}` } : gate;
  return {
    ...gate,
    evidence: `${gate.evidence}; ${stillCreating(creating, retentionDays)}`,
    action: `Wait for ${creating.id} to finish and run readiness again; do not take another snapshot meanwhile.`,
  };
}

/** `<id> is still being created (started <when>)`, dated as {@link askedAt} dates it. */
function stillCreating(creating: BackendSnapshot, retentionDays: number | undefined): string {
  const asked = askedAt(creating, retentionDays);
  const started = !asked
    ? 'start time not sent'
    : asked.estimated
      ? `started about ${asked.at.toISOString()}: ${estimatedBy(retentionDays)}`
      : `started ${asked.at.toISOString()}`;
  return `${creating.id} is still being created (${started})`;
}

/**
 * The gate over the snapshots that are the target's: the newest one's age against the limit, and
 * the snapshot a GO rests on.
 */
function judgeNewest(
  available: readonly BackendSnapshot[],
  maxAgeHours: number,
  now: Date,
  action: string,
): AgeJudgement {
  // A creation time that is not a valid date (NaN hours old, which no limit calls too old) is no date.
  const dated = (snapshot: BackendSnapshot): boolean =>
    snapshot.createdAt !== undefined && Number.isFinite(snapshot.createdAt.getTime());
  const ours = newestFirst(available.filter(dated));
  // An available snapshot of ours whose creation time was not sent may be the fresh one: unless a
  // dated one proves freshness, the gate cannot be judged (never "no snapshot", never GO).
  const undated = available.find((snapshot) => !dated(snapshot));
  const undatedGate = (): ReadinessGate | undefined =>
    undated && {
      gate: SNAPSHOT_GATE,
      status: 'UNKNOWN',
      evidence: undated.undatedBecause
        ? `${undated.id} is available but ${undated.undatedBecause}: when its data was taken cannot be told`
        : `${undated.id} is available but its creation time was ${undated.createdAt === undefined ? 'not sent' : 'not a valid date'}: its age cannot be told`,
      action,
    };
  const newest = ours[0];
  if (!newest?.createdAt) {
    const unknown = undatedGate();
    if (unknown) return { gate: unknown };
    return {
      gate: {
        gate: SNAPSHOT_GATE,
        status: 'NO-GO',
        evidence: 'no successful pre-maintenance snapshot of ours',
        action,
      },
    };
  }
  if (newest.createdAt.getTime() - now.getTime() > CLOCK_SKEW_TOLERANCE_MS) {
    return {
      gate: {
        gate: SNAPSHOT_GATE,
        status: 'UNKNOWN',
        evidence: `${newest.id} says it was created at ${newest.createdAt.toISOString()}, later than this run's clock (${now.toISOString()}): its age cannot be told`,
        action: CHECK_THE_CLOCK,
      },
    };
  }
  const evidence = ageEvidence(newest, maxAgeHours, now);
  if (ageHoursOf(newest, now) > maxAgeHours)
    return { gate: undatedGate() ?? { gate: SNAPSHOT_GATE, status: 'NO-GO', evidence, action } };
  const fallbacks = ours.slice(1).filter((snapshot) => ageHoursOf(snapshot, now) <= maxAgeHours);
  return { gate: { gate: SNAPSHOT_GATE, status: 'GO', evidence }, relied: newest, fallbacks };
}

/** What to do when a cloud's date shows this run's clock behind. */
const CHECK_THE_CLOCK = 'Check the clock of the machine that runs readiness, then run readiness again.';

/**
 * The listed snapshot (of any database, ours or not, in any state) dated furthest after `now`,
 * beyond the clock-skew tolerance: the cloud dated it, so this run's clock is behind. Undefined
 * when none is.
 */
function clockBehindBy(snapshots: readonly BackendSnapshot[], now: Date): BackendSnapshot | undefined {
  let latest: BackendSnapshot | undefined;
  for (const snapshot of snapshots) {
    const at = snapshot.createdAt?.getTime();
    if (at === undefined || !Number.isFinite(at) || at - now.getTime() <= CLOCK_SKEW_TOLERANCE_MS) continue;
    if (!latest || at > (latest.createdAt?.getTime() ?? 0)) latest = snapshot;
  }
  return latest;
}

/** How many hours old a dated snapshot is at `now`. */
function ageHoursOf(snapshot: BackendSnapshot, now: Date): number {
  return (now.getTime() - (snapshot.createdAt?.getTime() ?? Number.NaN)) / HOUR_MS;
}

/** A snapshot's age in hours, on the same side of the limit as the age itself (core/time.ts). */
function ageHoursText(snapshot: BackendSnapshot, maxAgeHours: number, now: Date): string {
  return hoursAgainstLimit(ageHoursOf(snapshot, now), maxAgeHours);
}

/** `<id>, <age> h old (limit <limit> h)`: the evidence of a snapshot's age. */
function ageEvidence(snapshot: BackendSnapshot, maxAgeHours: number, now: Date): string {
  return `${snapshot.id}, ${ageHoursText(snapshot, maxAgeHours, now)} h old (limit ${maxAgeHours} h)`;
}

/**
 * The snapshot a GO of the snapshot gate would rest on (the newest available snapshot of ours,
 * younger than the limit), or undefined when the gate is not GO whatever its key: the snapshot
 * whose key readiness reads.
 */
export function reliedSnapshot(
  snapshots: readonly BackendSnapshot[] | Error,
  target: ResourceRef,
  maxAgeHours: number,
  now: Date,
): BackendSnapshot | undefined {
  return judgeSnapshotAge(snapshots, target, maxAgeHours, now).relied;
}

/**
 * The snapshots a GO of the snapshot gate may rest on, in the order their keys are tried: the
 * {@link reliedSnapshot}, then the older ones that count and are within the limit too (used when
 * the newest one's key cannot restore it). Empty when the gate is not GO whatever the keys.
 */
export function reliableSnapshots(
  snapshots: readonly BackendSnapshot[] | Error,
  target: ResourceRef,
  maxAgeHours: number,
  now: Date,
): readonly BackendSnapshot[] {
  const { relied, fallbacks } = judgeSnapshotAge(snapshots, target, maxAgeHours, now);
  return relied ? [relied, ...(fallbacks ?? [])] : [];
}

/**
 * The snapshot gate: the newest available snapshot of ours, younger than the limit, whose key
 * (`keyOf`, read before: {@link reliableSnapshots}) lets it be restored
 * (functions/actions/snapshot/keys.ts). A key in an unusable state, or whose imported key material
 * has expired, is NO-GO naming it, unless an older snapshot of ours within the limit has a usable
 * key: then the GO names that one to restore from, with the newest's key as a warning (README
 * "readiness": a fresh snapshot whose key can decrypt it exists); material expiring within `keyHorizonDays` (the policy's
 * `keys.expiryHorizonDays`) leaves a GO that carries it as a warning; a key that could not be read,
 * or whose state proves nothing, is UNKNOWN; an unencrypted snapshot has nothing to check. Without
 * `keyOf` the key is not judged.
 */
export function snapshotGate(
  snapshots: readonly BackendSnapshot[] | Error,
  target: ResourceRef,
  maxAgeHours: number,
  now: Date,
  keyOf?: (snapshot: BackendSnapshot) => SnapshotKey,
  retentionDays?: number,
  keyHorizonDays = DEFAULT_EXPIRY_HORIZON_DAYS,
): ReadinessGate {
  const { gate, relied, fallbacks, creating } = judgeSnapshotAge(
    snapshots,
    target,
    maxAgeHours,
    now,
    retentionDays,
  );
  const reading = relied && keyOf?.(relied);
  if (!reading) return gate;
  const clock = { now, horizonDays: keyHorizonDays };
  const key = judgeSnapshotKey(reading, clock);
  if (key.status === 'usable') {
    return {
      ...gate,
      ...(key.evidence ? { evidence: `${gate.evidence}; ${key.evidence}` } : {}),
      ...(key.warning ? { warnings: [...(gate.warnings ?? []), key.warning] } : {}),
    };
  }
  // The newest cannot be restored with its key; an older snapshot within the limit whose key can
  // is what a restore would use, so the GO names it and says why the newest is passed over. A
  // newest key that could not be read is left UNKNOWN: it may well restore, and no answer should
  // steer a restore away from the newest data on a guess.
  if (key.status === 'unusable') {
    for (const older of fallbacks ?? []) {
      const olderReading = keyOf?.(older);
      const olderKey = olderReading && judgeSnapshotKey(olderReading, clock);
      if (olderKey?.status !== 'usable') continue;
      return {
        gate: SNAPSHOT_GATE,
        status: 'GO',
        evidence: `${ageEvidence(older, maxAgeHours, now)}: restore from this one${expiryNote(older, now)}${olderKey.evidence ? `; ${olderKey.evidence}` : ''}`,
        // The warning says which snapshot to restore from: a chat answer lists a GO gate's
        // warnings, never its evidence (chatops/answers.ts readinessAnswer).
        warnings: [
          `the newest snapshot, ${relied.id}, cannot be restored: ${key.evidence}; restore from ${older.id} (${ageHoursText(older, maxAgeHours, now)} h old) instead. ${key.action}`,
          ...(olderKey.warning ? [olderKey.warning] : []),
        ],
      };
    }
  }
  // A newer snapshot being created may be the restorable one: named, so the action's "take a
  // snapshot" does not start a second one beside it (as the age gate says to wait for it).
  const waitFor = creating
    ? {
        evidence: `; ${stillCreating(creating, retentionDays)}`,
        action: ` ${creating.id} is still being created: wait for it to finish rather than take another snapshot.`,
      }
    : { evidence: '', action: '' };
  return {
    gate: SNAPSHOT_GATE,
    status: key.status === 'unusable' ? 'NO-GO' : 'UNKNOWN',
    evidence: `${gate.evidence}, but ${key.evidence}${waitFor.evidence}`,
    action: `${key.action}${waitFor.action} Then run readiness again.`,
  };
}

export interface ReadinessInputs {
  readonly report: AuditReport;
  /** The groups the run planned at least one scope for: the gates the policy configures. */
  readonly plannedGroups: ReadonlySet<CheckGroup>;
  /** The providers the run covers (for the "not configured" wording). */
  readonly providers: readonly Provider[];
  readonly snapshotsOf: (target: ResourceRef) => readonly BackendSnapshot[] | Error;
  /**
   * The key of each snapshot a GO rests on ({@link reliedSnapshot}), read before judging (an
   * unencrypted one: `none`). Absent: keys are not judged; present without a reading for a snapshot
   * a GO rests on: that key was not checked, so not a GO.
   */
  readonly snapshotKeyOf?: (snapshot: BackendSnapshot) => SnapshotKey | undefined;
  readonly maxAgeHours: number;
  /**
   * `keys.expiryHorizonDays` (keyMaterialHorizonDays): a snapshot key whose imported key material
   * expires within this many days is a warning of the GO. Absent: its default.
   */
  readonly keyHorizonDays?: number;
  /**
   * `snapshots.expiryDays`, the retention snapshots' `expires-at` tags are written with: dates a
   * snapshot being created whose creation time was not sent (identity.ts askedAt). Absent: such a
   * snapshot cannot be dated, and is named as not waited for (identity.ts stuckCreating).
   */
  readonly retentionDays?: number;
  readonly now: Date;
  /** The databases the request names ({@link ReadinessRequest.targets}): each must be judged. */
  readonly named?: readonly string[];
  /**
   * Clouds the policy selects databases in that this run does not judge ({@link uncoveredClouds}),
   * each with where the policy says: with no database named, they keep the verdict from GO.
   */
  readonly uncovered?: readonly UncoveredCloud[];
  /**
   * `snapshots.readinessWaivers`: gates required for GO that the policy waives, with the reason and
   * the last day the waiver applies.
   */
  readonly waivers?: Readonly<Record<string, ReadinessWaiver>>;
  /**
   * Places the policy gives a group in a cloud this run does not read ({@link unreadPlaces}): dump
   * series and key material gate every target, so a gate with some of them unread is not judged,
   * whichever databases are named, and a waiver (for a gate given nothing to audit) does not apply.
   */
  readonly unreadPlaces?: readonly UnreadPlaces[];
  /** The key-material items the keys gate does not judge ({@link itemsOutside}), said in the answer. */
  readonly keyItemsOutside?: readonly ItemOutside[];
  /**
   * The checks the policy turns off ({@link checksOffBy}): those of the gates this run evaluates are
   * said in the answer; a gate not evaluated is said as such, not check by check.
   */
  readonly checksOff?: readonly CheckNotRun[];
  /** The regions or projects the run was narrowed to ({@link ReadinessResult.narrowedTo}). */
  readonly narrowedTo?: string;
}

/**
 * The checks of every registered group that `policy` turns off (`enabledBy` false: they yield no
 * finding at all), each with the setting that does it and what stays unverified. One whose
 * `enabledBy` throws is not counted: the audit reports it NOT_AVAILABLE on its scope instead.
 */
export function checksOffBy(policy: Policy): CheckNotRun[] {
  return checkGroups().flatMap((group) =>
    group.checks.flatMap((check): CheckNotRun[] => {
      let on: boolean;
      try {
        on = check.enabledBy?.(policy) ?? true;
      } catch {
        return [];
      }
      if (on) return [];
      return [
        {
          check: check.metadata.id,
          gate: auditGateName(group.name),
          reason: check.enabledBySetting
            ? `${check.enabledBySetting} is off in the policy`
            : 'a policy setting turns it off',
          unverified: check.unverifiedWhenOff ?? 'what it checks',
        },
      ];
    }),
  );
}

/** The places the policy gives a check group in a cloud a run does not read, as the answer names them. */
export interface UnreadPlaces {
  readonly group: CheckGroup;
  readonly provider: Provider;
  /** `project certctl-dr`, `account 111111111111 eu-west-1`. */
  readonly places: readonly string[];
  /**
   * The run was asked for this cloud but could not plan it (`AuditReport.unplanned`): its error.
   * Absent: the request left the cloud out.
   */
  readonly notPlanned?: string;
  /** The CLI command that reads them under this policy ({@link readEveryCloud}). */
  readonly readWith: string;
}

/** What may keep a cloud from being planned, for the action that says to fix it. */
const PLANNING_NEEDS: Readonly<Record<Provider, string>> = {
  aws: 'credentials, an unreachable STS',
  gcp: 'credentials, an unreachable API',
};

/** The groups the gates are drawn from: the catalog's and every registered one, in that order. */
function gateGroups(): { name: CheckGroup; installed: boolean }[] {
  const registered = checkGroups().map((group) => group.name);
  return knownCheckGroups().map((name) => ({ name, installed: registered.includes(name) }));
}

/**
 * The report as far as it answers for `named` databases: names narrow the policy's selection, never
 * widen it (as a snapshot request's do). The audit judged what the policy selects; of its
 * databases only the named ones are kept, with the policy's own identifiers not found or judged
 * elsewhere only when named. Fleet findings (keys, dump locations) and unread scopes stay.
 */
function narrowedTo(report: AuditReport, named: readonly string[] | undefined): AuditReport {
  if (!named || named.length === 0) return report;
  const wanted = new Set(named.map((name) => name.toLowerCase()));
  // A named Aurora member or read replica is judged at its cluster or source: that one answers for it.
  const standingIn = new Set(
    standInsOf(report)
      .filter((standIn) => standIn.names.some((name) => wanted.has(name.toLowerCase())))
      .map((standIn) => standIn.at),
  );
  const isNamed = (resource: ResourceRef) =>
    namesOf(resource).some((candidate) => wanted.has(candidate.toLowerCase())) ||
    standingIn.has(judgedAtKey(resource));
  return {
    ...report,
    findings: report.findings.filter(
      (finding) => !TARGET_TYPES.has(finding.resource.type) || isNamed(finding.resource),
    ),
    ...(report.unmatchedTargets
      ? { unmatchedTargets: report.unmatchedTargets.filter((name) => wanted.has(name.toLowerCase())) }
      : {}),
    ...(report.targetsJudgedElsewhere
      ? {
          targetsJudgedElsewhere: report.targetsJudgedElsewhere.filter((entry) =>
            wanted.has(entry.identifier.toLowerCase()),
          ),
        }
      : {}),
  };
}

/** Where a database judged at another resource is judged: provider, account and that resource's id. */
function judgedAtKey(resource: Pick<ResourceRef, 'provider' | 'account' | 'id'>): string {
  return `${resource.provider}/${resource.account}/${resource.id}`;
}

/**
 * The databases the run judged at another resource (an Aurora member at its cluster, a read replica
 * at its source: `ScopeOutcome.standIns`), with the key of that resource ({@link judgedAtKey}). The
 * region is left out: a fact may be judged in a scope of another region, and judging one database
 * too many can only keep a verdict from GO.
 */
function standInsOf(report: AuditReport): { readonly names: readonly string[]; readonly at: string }[] {
  return report.scopes.flatMap(({ scope, standIns }) =>
    (standIns ?? []).map((standIn) => ({
      names: standIn.names,
      at: judgedAtKey({ provider: scope.provider, account: scope.account, id: standIn.judgedAt }),
    })),
  );
}

/** What a gate every database's line carries was not evaluated over, and what to do about each. */
interface RunWideWait {
  readonly reasons: readonly string[];
  readonly actions: readonly string[];
}

/** What a gate was not evaluated over, for one line: how the line says it, why, and what to do. */
interface GateWait extends RunWideWait {
  /** `not evaluated over the whole run, which every database's GO rests on`, … */
  readonly waitingOn: string;
}

const RUN_WIDE_WAIT = "not evaluated over the whole run, which every database's GO rests on";

/** A scope not read, as a line names it: where, and the error. */
function unreadScopeText({ scope, error }: AuditReport['scopes'][number]): string {
  return `${scopeKey(scope)} not read${error?.message ? ` (${error.message})` : ''}`;
}

const READ_THE_SCOPE =
  'Fix what kept the scope from being read (permissions, an unreachable region), then run readiness again.';
/** The CLI readiness without --provider reads every cloud the policy configures (cli/clouds.ts whereFor). */
const DEFAULT_READS_EVERY_CLOUD =
  'backup-guard readiness with no --provider, which reads every cloud this policy configures';

/**
 * The CLI command that reads the places `provider` holds. Without `--provider` the CLI reads the
 * clouds the policy configures (core/policy.ts `policyProviders`), so that is the command when
 * `provider` is one of them; otherwise the default leaves it out again (a GCP-only policy whose key
 * material or dumps are in AWS): `--provider all`. A GCP place is always in a configured cloud, as the
 * policy refuses one whose project is not in gcp.projects.
 */
function readEveryCloud(policy: Policy, provider: Provider): string {
  return policyProviders(policy).includes(provider)
    ? DEFAULT_READS_EVERY_CLOUD
    : 'backup-guard readiness --provider all';
}

/**
 * Whether a group's gate is run-wide: it names its own places (dump locations, key material), one of
 * its checks judges resources that are not databases, or it has such findings in this run. Its
 * findings gate every database alike, so what it could not read (a scope, a cloud, everything) keeps
 * every database's line from GO. A per-database group's gaps are other databases' (a scope of
 * another region), said once for the run.
 */
function isRunWide(group: CheckGroup, fleet: ReadonlyMap<CheckGroup, readonly Finding[]>): boolean {
  const definition = checkGroup(group);
  return (
    fleet.has(group) ||
    definition?.places !== undefined ||
    (definition?.checks ?? []).some((check) =>
      check.metadata.resourceTypes.some((type) => !TARGET_TYPES.has(type)),
    )
  );
}

/**
 * The line of a gate the run did not evaluate whole (a run-wide one, on every database; a group of
 * database checks whose scope where the database is failed, on that database): NO-GO when what it
 * judged failed, UNKNOWN otherwise (never GO), naming what it waits on and what it judged.
 */
function waitingGate(group: CheckGroup, judged: ReadinessGate | undefined, wait: GateWait): ReadinessGate {
  const waitingOn = `${wait.waitingOn}: ${wait.reasons.join('; ')}`;
  const read = wait.waitingOn === RUN_WIDE_WAIT ? 'what it read' : 'what it judged';
  const passedWith = {
    ...(judged?.acceptedRisk ? { acceptedRisk: judged.acceptedRisk } : {}),
    ...(judged?.warnings ? { warnings: judged.warnings } : {}),
  };
  if (judged?.status === 'NO-GO') {
    return {
      ...judged,
      evidence: `${judged.evidence}; and ${waitingOn}`,
      action: combinedAction([judged.action ?? '', ...wait.actions].filter(Boolean)),
    };
  }
  const unknownAction = judged?.status === 'UNKNOWN' && judged.action ? [judged.action] : [];
  return {
    gate: auditGateName(group),
    status: 'UNKNOWN',
    evidence: `${waitingOn}${judged ? `; ${read}: ${judged.evidence}` : ''}`,
    action: combinedAction([...wait.actions, ...unknownAction]),
    ...passedWith,
  };
}

/** Judge readiness from an audit report and the snapshots of each target. */
export function judgeReadiness(inputs: ReadinessInputs): ReadinessResult {
  const { plannedGroups } = inputs;
  const report = narrowedTo(inputs.report, inputs.named);
  const notEvaluated: string[] = [];
  /** Each group's scopes not read, as a gate's line names them (their count makes it incomplete). */
  const unreadScopes = new Map<CheckGroup, string[]>();
  for (const scope of report.scopes) {
    if (scope.status !== 'failed') continue;
    const note = `${scopeKey(scope.scope)}: ${scope.error?.message ?? 'not read'}`;
    notEvaluated.push(`${auditGateName(scope.scope.group)} in ${note}`);
    unreadScopes.set(scope.scope.group, [
      ...(unreadScopes.get(scope.scope.group) ?? []),
      unreadScopeText(scope),
    ]);
  }
  for (const failure of report.unplanned ?? [])
    notEvaluated.push(`${failure.provider}: not audited (${failure.message})`);
  for (const identifier of report.unmatchedTargets ?? [])
    notEvaluated.push(`target ${identifier}: named by the policy but not found`);
  const named = inputs.named ?? [];
  // A member or replica a target tag selects whose cluster or source the policy does not: nothing
  // judges it (as the audit's coverage problems say), with which resource to tag.
  const namedSet = new Set(named.map((name) => name.toLowerCase()));
  const taggedUnaudited = report.scopes
    .flatMap(({ taggedStandIns }) => taggedStandIns ?? [])
    .filter(({ id }) => named.length === 0 || namedSet.has(id.toLowerCase()));
  notEvaluated.push(...taggedStandInProblems([{ taggedStandIns: taggedUnaudited }]));
  // A database of another engine the policy selects: nothing judges it either (the audit names it
  // instead of listing it among the targets not found).
  const otherEngines = report.scopes
    .flatMap(({ otherEngines }) => otherEngines ?? [])
    .filter(({ names }) => named.length === 0 || names.some((name) => namedSet.has(name.toLowerCase())));
  notEvaluated.push(...otherEngineProblems([{ otherEngines }]));
  // A name whose look-up failed: whether a database answers to it is unknown, so nothing judged it.
  notEvaluated.push(
    ...namesNotLookedUpProblems(
      report.scopes.flatMap(({ scope, namesNotLookedUp }) => {
        if (!namesNotLookedUp) return [];
        const names = namesNotLookedUp.names.filter(
          (name) => named.length === 0 || namedSet.has(name.toLowerCase()),
        );
        return names.length > 0 ? [{ scope, namesNotLookedUp: { ...namesNotLookedUp, names } }] : [];
      }),
    ),
  );
  const uncovered = inputs.uncovered ?? [];
  /** Where the databases of a cloud this run does not judge are judged. */
  const askWhere = (provider: Provider) =>
    `ask readiness where ${provider === 'gcp' ? 'Cloud SQL instances' : 'RDS and Aurora databases'} are judged (the ${provider === 'gcp' ? 'GCP' : 'AWS'} chat function, or ${DEFAULT_READS_EVERY_CLOUD}, or with --provider ${provider})`;
  // Asked about every database, a run over fewer clouds than the policy's judged only some of them.
  if (named.length === 0) {
    for (const { provider, where } of uncovered) {
      notEvaluated.push(
        `${provider}: the policy selects databases there too (${where}), which this run does not judge: ${askWhere(provider)}, or name the databases this answer is for`,
      );
    }
  }

  const targets = new Map<string, ResourceRef>();
  const perTarget = new Map<string, Finding[]>();
  const fleet = new Map<CheckGroup, Finding[]>();
  const findingsOf = new Map<CheckGroup, Finding[]>();
  for (const finding of report.findings) {
    findingsOf.set(finding.group, [...(findingsOf.get(finding.group) ?? []), finding]);
    if (TARGET_TYPES.has(finding.resource.type)) {
      const key = resourceKey(finding.resource);
      targets.set(key, finding.resource);
      perTarget.set(key, [...(perTarget.get(key) ?? []), finding]);
    } else if (finding.resource.type !== 'Scope') {
      fleet.set(finding.group, [...(fleet.get(finding.group) ?? []), finding]);
    }
  }

  // A database the request names and the run did not judge is not ready by default: the audit's
  // own coverage lets a plain name go when it could live in a cloud this run does not cover.
  // A database judged at another resource is judged when that resource is: never merely because
  // the policy says where it is judged (the request's names narrow the findings to that resource).
  const judgedAt = new Set([...targets.values()].map(judgedAtKey));
  const judgedNames = new Set(
    [
      ...[...targets.values()].flatMap((target) => namesOf(target)),
      ...standInsOf(report)
        .filter((standIn) => judgedAt.has(standIn.at))
        .flatMap((standIn) => standIn.names),
    ].map((name) => name.toLowerCase()),
  );
  // Said above as what it is: not found, a tagged stand-in not audited, a database of another
  // engine, or a name whose look-up failed; not again as "not among the databases the policy selects".
  const accountedFor = new Set(
    [
      ...(report.unmatchedTargets ?? []),
      ...taggedUnaudited.map(({ id }) => id),
      ...otherEngines.flatMap(({ names }) => names),
      ...report.scopes.flatMap(({ namesNotLookedUp }) => namesNotLookedUp?.names ?? []),
    ].map((name) => name.toLowerCase()),
  );
  // A plain name may be a database of a cloud this run does not judge: said with where to ask.
  const elsewhere = uncovered
    .map(
      ({ provider, where }) =>
        `; or it is in ${provider} (${where}), where the policy selects databases too and this run does not judge: ${askWhere(provider)}`,
    )
    .join('');
  for (const name of new Set(named)) {
    const wanted = name.toLowerCase();
    // A plain name the policy also gives a database in a cloud this run does not judge: that one is
    // not judged here, whether or not a database of this run answers to the name too (a GO of that
    // one must not read as covering it); said as what it is, not as "not among those selected".
    const namedThere = locateIdentifier(name)
      ? []
      : uncovered.flatMap(({ provider, identifiers }) =>
          (identifiers ?? [])
            .filter((identifier) => identifierName(identifier)?.toLowerCase() === wanted)
            .map((identifier) => ({ provider, identifier })),
        );
    for (const { provider, identifier } of namedThere) {
      notEvaluated.push(
        `target ${name}: the policy also names ${provider === 'gcp' ? 'Cloud SQL instance' : 'RDS or Aurora database'} ${identifier} (${provider}), which this run does not judge: ${askWhere(provider)}, or name the database this answer is for by its ARN or project:region:instance`,
      );
    }
    if (namedThere.length > 0 || judgedNames.has(wanted) || accountedFor.has(wanted)) continue;
    notEvaluated.push(
      `target ${name}: named in the request but not among the databases the policy selects (targets.tags, targets.identifiers, targets.all), or not a PostgreSQL primary, or not found, or where a scope was not read: not judged${elsewhere}`,
    );
  }

  const summaries: GateSummary[] = [];
  const evaluatedGroups: CheckGroup[] = [];
  const clouds = inputs.providers.join(' and ');
  // What each run-wide gate the verdict needs was not evaluated over: said on every database's line.
  // So is a gate that judged nothing at all, or is required and given nothing: whatever it would
  // judge, it judged none of the databases.
  const waits = new Map<CheckGroup, RunWideWait>();
  const waitOn = (group: CheckGroup, reason: string, action: string, everyDatabase = false) => {
    if (!everyDatabase && !isRunWide(group, fleet)) return;
    const wait = waits.get(group) ?? { reasons: [], actions: [] };
    waits.set(group, { reasons: [...wait.reasons, reason], actions: [...wait.actions, action] });
  };
  for (const { name, installed } of gateGroups()) {
    const gate = auditGateName(name);
    if (!installed) {
      summaries.push({
        gate,
        coverage: 'not-installed',
        detail: 'this version has no such check group yet, so it is not part of the verdict',
      });
      continue;
    }
    const placesUnread = (inputs.unreadPlaces ?? []).filter((entry) => entry.group === name);
    const leftOut = placesUnread.filter((entry) => entry.notPlanned === undefined);
    const unread = leftOut.map((entry) => `${entry.provider} (${entry.places.join(', ')})`).join(' and ');
    const readWith = [...new Set(leftOut.map((entry) => entry.readWith))].join(', or ');
    // A cloud asked for but not planned read none of its places either: never "given nothing".
    const unplanned = placesUnread.flatMap(({ provider, places, notPlanned }) =>
      notPlanned === undefined
        ? []
        : [
            {
              provider,
              text: `places in ${provider} (${places.join(', ')}) not read: ${provider} could not be planned (${notPlanned})`,
            },
          ],
    );
    for (const { provider, text } of unplanned) {
      waitOn(
        name,
        text,
        `Fix what kept ${provider} from being planned (${PLANNING_NEEDS[provider]}), then run readiness again.`,
      );
    }
    const unplannedText = unplanned.map(({ text }) => text).join('; ');
    const planned = plannedGroups.has(name);
    if (unread) {
      waitOn(
        name,
        `places in ${unread} not read by this run`,
        `Ask readiness over every cloud (${readWith}).`,
      );
      // Read where they are or not at all: a GO must not rest on the places this run left out.
      notEvaluated.push(
        `${gate}: the policy gives it places in ${unread}${planned ? ' too' : ''}, which this run does not read: ask readiness over every cloud (${readWith})`,
      );
    }
    if (!planned && (unread || unplannedText)) {
      summaries.push({
        gate,
        coverage: 'incomplete',
        detail: [
          ...(unplannedText ? [unplannedText] : []),
          ...(unread ? [`the policy gives it places in ${unread}, which this run does not read`] : []),
        ].join('; '),
      });
      continue;
    }
    if (!planned) {
      const required = checkGroup(name)?.requiredForGo;
      const waiver = inputs.waivers?.[gate];
      // A waiver is accepted risk too: from the day after its expiry the gate is required again.
      const expired = waiver !== undefined && !isOnOrBefore(waiver.expires, inputs.now);
      if (required && (waiver === undefined || expired)) {
        // Required for GO: a GO must not read as covering what was never checked.
        const detail = `required for GO, and the policy gives it nothing to audit in ${clouds}${
          waiver ? `; its waiver expired on ${waiver.expires} (it said: ${waiver.reason})` : ''
        }`;
        summaries.push({ gate, coverage: 'incomplete', detail });
        waitOn(
          name,
          detail,
          `Give it something to audit: ${required}; ${
            waiver
              ? 'or renew its waiver in snapshots.readinessWaivers (reason, expires) if the reason still holds'
              : 'or waive it with the reason and an expiry in snapshots.readinessWaivers'
          }. Then run readiness again.`,
          true,
        );
        notEvaluated.push(
          `${gate}: required for GO, but the policy gives it nothing to audit in ${clouds}: ${required}; ${
            waiver
              ? `its waiver in snapshots.readinessWaivers expired on ${waiver.expires}: renew it (reason, expires) if the reason still holds`
              : 'or waive it with the reason and an expiry in snapshots.readinessWaivers'
          }`,
        );
      } else if (required && waiver) {
        summaries.push({
          gate,
          coverage: 'waived',
          detail: `waived by the policy until ${waiver.expires}: ${waiver.reason}`,
        });
      } else {
        summaries.push({
          gate,
          coverage: 'not-configured',
          detail: `the policy gives it nothing to audit in ${clouds}, so it is not part of the verdict`,
        });
      }
      continue;
    }
    evaluatedGroups.push(name);
    // A scope that was not read has a Scope finding of its own; it is counted as that scope.
    const findings = (findingsOf.get(name) ?? []).filter((finding) => finding.resource.type !== 'Scope');
    const failedScopes = unreadScopes.get(name) ?? [];
    for (const unreadScope of failedScopes) waitOn(name, unreadScope, READ_THE_SCOPE);
    const notAvailable = findings.filter(
      (finding) => notJudged(finding) && finding.exception?.active !== true,
    ).length;
    if (failedScopes.length > 0 || notAvailable > 0 || findings.length === 0 || unread || unplannedText) {
      // Judged nothing named: the databases it judged are not the ones the request names (said per name).
      const judgedOthers =
        findings.length === 0 && inputs.report.findings.some((finding) => finding.group === name);
      const nothing = findings.length === 0 && failedScopes.length === 0;
      const reasons = [
        ...(failedScopes.length > 0 ? [`${failedScopes.length} scope(s) not read`] : []),
        ...(notAvailable > 0 ? [`${notAvailable} finding(s) NOT_AVAILABLE`] : []),
        ...(nothing ? [judgedOthers ? 'it judged none of the databases named' : 'it judged nothing'] : []),
        ...(unread ? [`places in ${unread} not read by this run`] : []),
        ...(unplannedText ? [unplannedText] : []),
      ];
      summaries.push({ gate, coverage: 'incomplete', detail: reasons.join(', ') });
      if (nothing && !judgedOthers) {
        notEvaluated.push(`${gate}: it ran but judged nothing`);
        waitOn(
          name,
          'it ran but judged nothing',
          'Check what the policy gives it to audit, then run readiness again.',
          true,
        );
      }
      continue;
    }
    summaries.push({ gate, coverage: 'evaluated', detail: `${findings.length} finding(s)` });
  }

  const { snapshotKeyOf } = inputs;
  const keyOf = snapshotKeyOf
    ? (snapshot: BackendSnapshot): SnapshotKey =>
        snapshotKeyOf(snapshot) ?? { kind: 'unnamed', reason: 'it was not read in this run' }
    : undefined;
  // A gate over findings of other resources (dump series, secrets) gates every database alike, and
  // so does what such a gate could not read: a database's line is never GO while the verdict waits
  // on one (in catalog order, after the database's own gates).
  const fleetGates = gateGroups().flatMap(({ name }) => {
    const fleetFindings = fleet.get(name);
    const judgedGate =
      evaluatedGroups.includes(name) && fleetFindings ? auditGate(name, fleetFindings, true) : undefined;
    const wait = waits.get(name);
    if (wait) return [waitingGate(name, judgedGate, { ...wait, waitingOn: RUN_WIDE_WAIT })];
    return judgedGate ? [judgedGate] : [];
  });
  const judged: TargetReadiness[] = [...targets].map(([key, target]) => {
    const findings = perTarget.get(key) ?? [];
    // A group of database checks that has no finding of this database because the scope where the
    // database is was not read has not judged it: said on its line, never left out of it.
    // A scope that failed after judging (a check it could not switch on) leaves the database's
    // findings of the other checks: GO on those alone is not GO.
    const ownGates = evaluatedGroups.flatMap((group): ReadinessGate[] => {
      const own = findings.filter((finding) => finding.group === group);
      const judgedGate = own.length > 0 ? auditGate(group, own) : undefined;
      const unreadHere = isRunWide(group, fleet)
        ? []
        : report.scopes.filter(
            ({ scope, status }) =>
              status === 'failed' &&
              scope.group === group &&
              scope.provider === target.provider &&
              scope.account === target.account &&
              (scope.region === target.region || scope.region === ALL_REGIONS),
          );
      if (unreadHere.length === 0) return judgedGate ? [judgedGate] : [];
      const reasons = unreadHere.map(unreadScopeText);
      return [
        waitingGate(group, judgedGate, {
          waitingOn: `not evaluated ${judgedGate ? 'whole ' : ''}for this database`,
          reasons,
          actions: [READ_THE_SCOPE],
        }),
      ];
    });
    const gates = [
      ...ownGates,
      ...fleetGates,
      snapshotGate(
        inputs.snapshotsOf(target),
        target,
        inputs.maxAgeHours,
        inputs.now,
        keyOf,
        inputs.retentionDays,
        inputs.keyHorizonDays,
      ),
    ];
    return { target, status: combine(gates.map((gate) => gate.status)), gates };
  });
  const unknownSnapshotGates = judged.filter((entry) =>
    entry.gates.some((gate) => gate.gate === SNAPSHOT_GATE && gate.status === 'UNKNOWN'),
  );
  // Unknown with a fresh snapshot: its key could not be checked (or its state proves nothing).
  const keyUnchecked = unknownSnapshotGates.filter(
    ({ target }) =>
      reliedSnapshot(inputs.snapshotsOf(target), target, inputs.maxAgeHours, inputs.now) !== undefined,
  ).length;
  // Unknown because Backup and DR (or a tier this tool does not know) takes the target's backups: not a listing that failed.
  const onBackupPlan = unknownSnapshotGates.filter(
    ({ target }) => backupPlanGate(target) !== undefined,
  ).length;
  const unlisted = unknownSnapshotGates.length - keyUnchecked - onBackupPlan;
  // GO on an older snapshot than the newest, whose key cannot restore it (snapshotGate's fallback):
  // said in the summary too, which otherwise reads as the newest one of every target.
  const restoresOlder = judged.filter(({ target, gates }) => {
    if (!gates.some((gate) => gate.gate === SNAPSHOT_GATE && gate.status === 'GO')) return false;
    const relied = reliedSnapshot(inputs.snapshotsOf(target), target, inputs.maxAgeHours, inputs.now);
    const reading = relied && keyOf?.(relied);
    return (
      reading !== undefined &&
      judgeSnapshotKey(reading, {
        now: inputs.now,
        horizonDays: inputs.keyHorizonDays ?? DEFAULT_EXPIRY_HORIZON_DAYS,
      }).status === 'unusable'
    );
  }).length;
  const olderNote =
    restoresOlder > 0
      ? `; ${restoresOlder} of them rest(s) on an older one within the limit: the newest one cannot be restored with its key`
      : '';
  const incompleteSnapshots = [
    ...(onBackupPlan > 0 ? [`${onBackupPlan} target(s) ${ON_BACKUP_PLAN}`] : []),
    ...(unlisted > 0
      ? [
          `${unlisted} target(s) whose snapshots could not be listed, dated or told to be of the database there now`,
        ]
      : []),
    ...(keyUnchecked > 0 ? [`${keyUnchecked} target(s) whose snapshot's KMS key could not be checked`] : []),
  ];
  summaries.push({
    gate: SNAPSHOT_GATE,
    coverage: unknownSnapshotGates.length > 0 || judged.length === 0 ? 'incomplete' : 'evaluated',
    detail:
      judged.length === 0
        ? 'no target to look for'
        : incompleteSnapshots.length > 0
          ? incompleteSnapshots.join(', ')
          : `newest pre-maintenance snapshot of ${judged.length} target(s), limit ${inputs.maxAgeHours} h${olderNote}`,
  });
  if (judged.length === 0) {
    // A database in a scope that was not read is not "not selected": the failed scopes are said above.
    const unread = report.scopes.filter((scope) => scope.status === 'failed').length;
    notEvaluated.push(
      named.length > 0
        ? `no target judged: none of the databases named (${named.join(', ')}) was judged by this run (above)`
        : unread > 0
          ? `no target judged: ${unread} scope(s) could not be read (above), and the databases the policy selects may be there`
          : 'no target: the policy selects no database in the audited scopes',
    );
  }

  let verdict = combine(judged.map((entry) => entry.status));
  if (verdict === 'GO' && notEvaluated.length > 0) verdict = 'UNKNOWN';
  // Said, not judged: a check the policy turns off leaves the verdict as the checks that ran give it.
  const evaluatedGates = new Set(evaluatedGroups.map(auditGateName));
  const checksNotRun = (inputs.checksOff ?? []).filter(({ gate }) => evaluatedGates.has(gate));
  return {
    verdict,
    exitCode:
      verdict === 'GO' ? EXIT_CODES.ok : verdict === 'NO-GO' ? EXIT_CODES.failed : EXIT_CODES.incomplete,
    evaluatedAt: inputs.now.toISOString(),
    targets: judged,
    gates: summaries,
    notEvaluated,
    ...(inputs.keyItemsOutside && inputs.keyItemsOutside.length > 0
      ? { keyItemsOutside: inputs.keyItemsOutside }
      : {}),
    ...(checksNotRun.length > 0 ? { checksNotRun } : {}),
    ...(inputs.narrowedTo ? { narrowedTo: inputs.narrowedTo } : {}),
  };
}

/**
 * What a request narrowed its databases to ({@link ReadinessResult.narrowedTo}): its AWS regions and
 * GCP projects, each of a cloud it reads; undefined when it narrowed neither.
 */
function narrowedWords(request: ReadinessRequest): string | undefined {
  const parts = [
    ...(request.regions && request.providers.includes('aws')
      ? [`AWS regions ${request.regions.join(', ')}`]
      : []),
    ...(request.projects && request.providers.includes('gcp')
      ? [`GCP projects ${request.projects.join(', ')}`]
      : []),
  ];
  return parts.length > 0 ? parts.join(' and ') : undefined;
}

/**
 * The keys of the snapshots the targets' GO would rest on (`reliableOf`, newest first), read over
 * the clouds' {@link SnapshotCloud.snapshotKeys} for this run: each distinct key once, targets in
 * parallel; the older snapshots' keys only when the newest one's is `unusable`, until one is
 * `usable` (`judge`; without it, the newest one's key alone).
 */
export async function snapshotKeysOf(
  targets: readonly ResourceRef[],
  reliableOf: (target: ResourceRef) => readonly BackendSnapshot[],
  clouds: readonly SnapshotCloud[],
  judge: (key: SnapshotKey) => 'usable' | 'unusable' | 'unknown' = () => 'usable',
): Promise<Map<BackendSnapshot, SnapshotKey>> {
  const read = snapshotKeyReader(clouds);
  const keys = new Map<BackendSnapshot, SnapshotKey>();
  const seen = new Set<string>();
  await Promise.all(
    targets.map(async (target) => {
      // A target has one finding per check: read its snapshot's key once.
      const key = resourceKey(target);
      if (seen.has(key)) return;
      seen.add(key);
      // The newest first. snapshotGate falls back only when the newest one's key is unusable, and
      // then to the newest older one whose key is usable, passing over one whose key could not be
      // read: so the older keys are read until one is usable, not only while each is unusable. A
      // fleet whose keys are fine reads one key per snapshot as before.
      const [newest, ...older] = reliableOf(target);
      if (!newest) return;
      const reading = await read(target, newest);
      keys.set(newest, reading);
      if (judge(reading) !== 'unusable') return;
      for (const snapshot of older) {
        const olderReading = await read(target, snapshot);
        keys.set(snapshot, olderReading);
        if (judge(olderReading) === 'usable') break;
      }
    }),
  );
  return keys;
}

/**
 * The places each check group that names its own (dump locations, key material) has in the clouds
 * `providers` leave out: a run over AWS alone never reads a dump series in Cloud Storage, nor a run
 * over GCP a secret in Secrets Manager.
 */
export function unreadPlaces(policy: Policy, providers: readonly Provider[]): UnreadPlaces[] {
  const left = (['aws', 'gcp'] as const).filter((provider) => !providers.includes(provider));
  return checkGroups().flatMap((group) =>
    left.flatMap((provider) => {
      const placed = group.places?.(policy, provider) ?? [];
      const places = placed.map(({ account, region }) =>
        region === ALL_REGIONS ? `project ${account}` : `account ${account} ${region}`,
      );
      return places.length > 0
        ? [
            {
              group: group.name,
              provider,
              places: [...new Set(places)],
              readWith: readEveryCloud(policy, provider),
            },
          ]
        : [];
    }),
  );
}

/** Audit every registered group, list our snapshots per target scope, read the keys a GO rests on, and judge. */
export async function runReadinessJob(
  request: ReadinessRequest,
  deps: ReadinessDependencies,
): Promise<ReadinessResult> {
  const now = deps.now ?? (() => new Date());
  const auditRequest = {
    providers: request.providers,
    ...(request.regions ? { regions: request.regions } : {}),
    ...(request.projects ? { projects: request.projects } : {}),
    // Regions and projects narrow the databases; the key material and dump locations a GO rests on
    // are read wherever they are.
    placesEverywhere: true,
    publish: false,
  };
  const plan = await planAudit(auditRequest, deps);
  // A cloud asked for but not planned is read nowhere: the places a gate has there are unread too.
  const notPlanned = new Map(plan.unplanned.map((failure) => [failure.provider, failure.message]));
  const planned = request.providers.filter((provider) => !notPlanned.has(provider));
  const judged = await lookUpUnlistedNames(await runScopes(plan.scopes, deps), deps);
  const report = finishAudit(plan, [judged], deps.policy);
  const targets = report.findings
    .map((finding) => finding.resource)
    .filter((resource) => TARGET_TYPES.has(resource.type));
  const listed = await snapshotsByTarget(targets, deps.clouds);
  const snapshotsOf = (target: ResourceRef) =>
    listed.get(snapshotListingKey({ ...target, kind: kindOf(target) })) ?? new Error('not listed');
  const at = now();
  const maxAgeHours = deps.policy.snapshots.readinessMaxAgeHours;
  const named = request.targets && request.targets.length > 0 ? request.targets : undefined;
  const regionsOrProjects = narrowedWords(request);
  // The key of each snapshot a GO would rest on, of the targets judged: each distinct key once.
  const keys = await snapshotKeysOf(
    narrowedTo(report, named)
      .findings.map((finding) => finding.resource)
      .filter((resource) => TARGET_TYPES.has(resource.type)),
    (target) => reliableSnapshots(snapshotsOf(target), target, maxAgeHours, at),
    deps.clouds,
    (key) => judgeSnapshotKey(key, { now: at, horizonDays: keyMaterialHorizonDays(deps.policy) }).status,
  );
  return judgeReadiness({
    report,
    plannedGroups: new Set(plan.scopes.map((planned) => planned.scope.group)),
    providers: request.providers,
    snapshotsOf,
    snapshotKeyOf: (snapshot) => keys.get(snapshot),
    maxAgeHours,
    keyHorizonDays: keyMaterialHorizonDays(deps.policy),
    retentionDays: deps.policy.snapshots.expiryDays,
    waivers: deps.policy.snapshots.readinessWaivers,
    now: at,
    ...(named ? { named } : {}),
    uncovered: uncoveredClouds(deps.policy, request.providers),
    unreadPlaces: unreadPlaces(deps.policy, planned).map((entry) => {
      const failure = notPlanned.get(entry.provider);
      return failure === undefined ? entry : { ...entry, notPlanned: failure };
    }),
    keyItemsOutside: deps.policy.keys ? itemsOutside(deps.policy.keys) : [],
    checksOff: checksOffBy(deps.policy),
    ...(regionsOrProjects ? { narrowedTo: regionsOrProjects } : {}),
  });
}

const COVERAGE_WORDS: Readonly<Record<GateCoverage, string>> = {
  evaluated: 'evaluated',
  incomplete: 'COULD NOT EVALUATE',
  'not-configured': 'not configured',
  'not-installed': 'not installed',
  waived: 'waived',
};

/** The answer as text: verdict, each target's gates, what each gate covered, what was not evaluated. */
export function renderReadiness(result: ReadinessResult): string {
  const lines = [`Readiness: ${result.verdict === 'UNKNOWN' ? 'COULD NOT EVALUATE' : result.verdict}`];
  for (const target of result.targets) {
    lines.push(
      `  ${target.status.padEnd(7)} ${target.target.provider}/${target.target.account}/${target.target.region}/${target.target.id}`,
    );
    for (const gate of target.gates) {
      lines.push(`    ${gate.status.padEnd(7)} ${gate.gate}: ${gate.evidence}`);
      if (gate.action && gate.status !== 'GO') lines.push(`            do: ${gate.action}`);
      // A GO gate's evidence names every finding; one that is not GO names only what keeps it from GO.
      const passed = gate.status === 'GO' ? [] : (gate.acceptedRisk ?? []);
      for (const risk of passed) lines.push(`            accepted risk: ${risk}`);
      for (const warning of gate.warnings ?? []) lines.push(`            warning: ${warning}`);
    }
  }
  lines.push('  Gates:');
  for (const gate of result.gates) {
    lines.push(`    ${gate.gate.padEnd(14)} ${COVERAGE_WORDS[gate.coverage]}: ${gate.detail}`);
  }
  if (result.narrowedTo) {
    lines.push(
      `  narrowed: the run read the databases of ${result.narrowedTo} only: those the policy selects elsewhere are not part of this verdict`,
    );
  }
  for (const note of result.notEvaluated) lines.push(`  not evaluated: ${note}`);
  for (const { check, gate, reason, unverified } of result.checksNotRun ?? []) {
    lines.push(`  not run: ${check} (${gate}): ${reason}; ${unverified} is not verified`);
  }
  for (const { item, source, reason } of result.keyItemsOutside ?? []) {
    lines.push(`  not part of this verdict: key item ${item} (${source}): ${reason}`);
  }
  // Names, evidence and API errors are the clouds' words: each line shown, never run.
  return `${lines.map(visibleLine).join('\n')}\n`;
}
