/**
 * The check contract. One check per file under functions/checks, its metadata beside its logic.
 * A check is pure: facts in, an outcome out; it never calls a cloud.
 */
import type {
  CheckGroup,
  ComplianceStatus,
  Finding,
  FindingValues,
  Remediation,
  ResourceRef,
  ResourceType,
  Severity,
} from './finding.ts';
import type { Policy } from './policy.ts';

export interface CheckMetadata {
  /** Stable public id, e.g. `pitr.retention`. */
  readonly id: string;
  readonly group: CheckGroup;
  /** The good state, the title of a PASSED finding (`Deletion protection is on …`). */
  readonly title: string;
  /** The problem, the title of a FAILED or WARNING finding (`Deletion protection is off …`). */
  readonly failedTitle: string;
  /** Severity of a FAILED outcome. */
  readonly severity: Severity;
  /** Why the check exists, for the docs. */
  readonly rationale: string;
  readonly remediation: Remediation;
  readonly resourceTypes: readonly ResourceType[];
}

/** What a check says about one resource. */
export interface CheckOutcome {
  readonly status: ComplianceStatus;
  /** One or two sentences a DBA can act on, with the numbers. */
  readonly description: string;
  readonly observed: FindingValues;
  readonly required: FindingValues;
  /** Replaces the metadata's remediation text when the fix depends on the facts. */
  readonly remediationText?: string;
  /**
   * Observed keys that move on every run without meaning anything changed (timestamps, the current
   * lag, accrued days). Publishers do not re-import a finding for them alone; see Finding.drifting.
   */
  readonly drifting?: readonly string[];
}

export interface CheckContext {
  readonly policy: Policy;
  readonly now: Date;
}

export interface Check<F> {
  readonly metadata: CheckMetadata;
  /**
   * False when the policy turns the check off (`pitr.cross-region` without
   * `requireCrossRegionBackup`): it then yields no finding at all, not even NOT_AVAILABLE for a
   * scope that failed. Absent means always on.
   */
  enabledBy?(policy: Policy): boolean;
  /**
   * The policy field `enabledBy` reads (`pitr.requireCrossRegionBackup`), named to a user whose
   * filters select only checks the policy turns off.
   */
  readonly enabledBySetting?: string;
  /**
   * What stays unverified while the policy turns the check off (`the backed-up key material's
   * content`), so a readiness answer whose gate ran without it says what its GO does not rest on.
   */
  readonly unverifiedWhenOff?: string;
  /** The outcome for one resource, or undefined when the check does not apply to it. */
  evaluate(fact: F, context: CheckContext): CheckOutcome | undefined;
}

/**
 * The outcome of a check that could not evaluate its subject (`the secret certctl/ca`): what was
 * missing, and what was read. Never PASSED.
 */
export function notEvaluated(
  subject: string,
  what: string,
  observed: CheckOutcome['observed'],
  required: CheckOutcome['required'],
): CheckOutcome {
  return {
    status: 'NOT_AVAILABLE',
    description: `Could not evaluate ${subject}: ${what}.`,
    observed,
    required,
  };
}

/**
 * Severity of every NOT_AVAILABLE finding, whatever its check: also of a finding last evaluated PASSED
 * that Security Hub keeps while it cannot be re-evaluated (publish/security-hub/lifecycle.ts).
 */
export const NOT_AVAILABLE_SEVERITY: Severity = 'MEDIUM';

/**
 * Age at which a held finding that this run could not re-evaluate (its scope failed, or its check
 * threw on its resource) is kept alive (re-imported as it was, or NOT_AVAILABLE when it says PASSED,
 * publish/security-hub/lifecycle.ts keptAliveCopy). Security Hub CSPM deletes an active finding that
 * is not updated for 90 days: "Security Hub retains an existing finding in an account for 90 days
 * after the most recent value of the UpdatedAt ASFF field ... At the end of this 90 day period,
 * Security Hub permanently deletes the finding"
 * (https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-findings-update-types.html;
 * the same 90 days for active findings in
 * https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-findings.html). 30 days leaves
 * 60 more for a schedule that stopped or publications that failed, and re-importing no more often
 * keeps a failed scope from looking freshly evaluated to whoever reads UpdatedAt.
 */
export const KEEP_ALIVE_DAYS = 30;

/** How the title of a NOT_AVAILABLE finding starts, before its check's (good-state) title. */
export const NOT_VERIFIED_TITLE_PREFIX = 'Not verified: ';

/** Severity of a finding: the check's severity when it failed, lower for the other statuses. */
export function severityFor(metadata: CheckMetadata, status: ComplianceStatus): Severity {
  switch (status) {
    case 'PASSED':
      return 'INFORMATIONAL';
    case 'FAILED':
      return metadata.severity;
    case 'WARNING':
      return metadata.severity === 'CRITICAL' || metadata.severity === 'HIGH' ? 'MEDIUM' : 'LOW';
    case 'NOT_AVAILABLE':
      return NOT_AVAILABLE_SEVERITY;
  }
}

/** The title a finding of `status` carries: the problem when it failed or warns, the good state otherwise. */
export function titleFor(metadata: CheckMetadata, status: ComplianceStatus): string {
  switch (status) {
    case 'FAILED':
    case 'WARNING':
      return metadata.failedTitle;
    case 'NOT_AVAILABLE':
      return `${NOT_VERIFIED_TITLE_PREFIX}${metadata.title}`;
    case 'PASSED':
      return metadata.title;
  }
}

/** The fix for the resource's own cloud. */
export function remediationTextFor(metadata: CheckMetadata, resource: ResourceRef): string {
  return metadata.remediation.texts?.[resource.provider] ?? metadata.remediation.text;
}

/** The documentation of a remediation for the resource's own cloud. */
export function remediationUrlFor(metadata: CheckMetadata, resource: ResourceRef): string {
  return metadata.remediation.urls?.[resource.provider] ?? metadata.remediation.url;
}

/**
 * `date.toISOString()`, made once for a run of findings judged at the same time (one audit scope
 * judges thousands at one `now`); a different or changed date gets its own.
 */
let isoTime = Number.NaN;
let isoText = '';
function isoString(date: Date): string {
  const time = date.getTime();
  if (time !== isoTime) {
    isoText = date.toISOString();
    isoTime = time;
  }
  return isoText;
}

export function toFinding(
  metadata: CheckMetadata,
  resource: ResourceRef,
  outcome: CheckOutcome,
  evaluatedAt: Date,
): Finding {
  const finding: { -readonly [K in keyof Finding]: Finding[K] } = {
    checkId: metadata.id,
    group: metadata.group,
    resource,
    status: outcome.status,
    severity: severityFor(metadata, outcome.status),
    title: titleFor(metadata, outcome.status),
    description: outcome.description,
    remediation: {
      text: outcome.remediationText ?? remediationTextFor(metadata, resource),
      url: remediationUrlFor(metadata, resource),
    },
    observed: outcome.observed,
    required: outcome.required,
    evaluatedAt: isoString(evaluatedAt),
  };
  // Set last, where a spread put it (the key order is the JSON's), without spreading an object
  // literal into every finding.
  if (outcome.drifting) finding.drifting = outcome.drifting;
  return finding;
}

/** A set of checks with unique ids. */
export function defineRegistry<F>(checks: readonly Check<F>[]): readonly Check<F>[] {
  const seen = new Set<string>();
  for (const check of checks) {
    if (seen.has(check.metadata.id)) throw new Error(`duplicate check id ${check.metadata.id}`);
    seen.add(check.metadata.id);
  }
  return checks;
}
