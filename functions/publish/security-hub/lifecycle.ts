/**
 * The scope-safe finding lifecycle, as a pure function: from what Security Hub holds for this product
 * and what this run found, decide per finding whether to create, update, refresh, resolve, archive,
 * or leave it alone. No network: the CLI's `--format asff` and the demo call it with no existing
 * findings; the publisher calls it with what it read back.
 *
 * Scope safety: only findings inside a scope (provider x account x region x check group) that this
 * run evaluated completely may be archived. Scopes that failed, and scopes this run did not cover
 * (another region, account or group), keep their findings exactly as they were, with one exception:
 * Security Hub deletes a finding that is not updated for 90 days, so a finding of a scope that keeps
 * failing (or whose check keeps failing with an internal error) would silently vanish, its failure
 * never fixed nor re-evaluated. Once such a finding is {@link KEEP_ALIVE_DAYS} old it is re-imported,
 * saying since when and why it was not re-evaluated: a FAILED, WARNING or NOT_AVAILABLE one as it was
 * (same compliance, severity, content: a known failure is not hidden), a PASSED one as NOT_AVAILABLE
 * (severity, title and fix as the product gives NOT_AVAILABLE findings, `notEvaluated/lastStatus`
 * PASSED), for a keep-alive with a fresh UpdatedAt would otherwise assert a pass no run has proven
 * for 30 days, and dashboards, the security score and integrations count Compliance.Status
 * (NOT_AVAILABLE: the check could not be performed,
 * https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_Compliance.html). The
 * ledger records what was imported (NOT_AVAILABLE), so the next run that evaluates it PASSED again
 * resolves it, and no run in between sends it again before its next keep-alive.
 *
 * A held finding whose check this run does not run is archived (`retire`) in a scope this run
 * evaluated completely when the policy turns the check off or this version's catalog no longer has
 * it, as Security Hub archives the findings of a disabled control; never in a failed scope, where it
 * is not kept alive either (nothing will re-evaluate it). A run that ran only some checks of a group
 * says nothing of the others' findings. The scope outcomes name the checks run and turned off.
 * A held finding of a whole check group this version does not have (removed or renamed) is in no
 * scope any run plans, so it is retired only by a run that selected every group of the catalog, was
 * not narrowed, had no scope fail and no coverage in doubt, and evaluated the finding's place.
 */

import { createHash } from 'node:crypto';
import type { AwsSecurityFinding, SeverityLabel } from '@aws-sdk/client-securityhub';
import {
  type AuditReport,
  coverageProblems,
  type Scope,
  type ScopeChecks,
  scopeKey,
  scopeResource,
} from '../../core/audit.ts';
import { KEEP_ALIVE_DAYS, NOT_AVAILABLE_SEVERITY, NOT_VERIFIED_TITLE_PREFIX } from '../../core/check.ts';
import { CHECK_GROUP_NAME, type Finding } from '../../core/finding.ts';
import type { Policy } from '../../core/policy.ts';
import { DAY_MS } from '../../core/time.ts';
import {
  ASFF_ID_PREFIX,
  ASFF_LIMITS,
  type Destination,
  destinationFor,
  findingDestination,
  PRODUCT_FIELD,
  type PublishTarget,
  partitionOf,
  publishTargetFrom,
  toAsff,
  truncate,
  validateAsff,
} from './asff.ts';
import { AsffValidationError } from './errors.ts';

/**
 * Why a finding is sent: new, changed, due for refresh, now passing, its resource is gone
 * (`archive`), its check is no longer run (`retire`: turned off by the policy, or not in this
 * version's catalog, or its region no longer audited; archived too, as Security Hub archives the
 * findings of a control that is disabled), or it could not be evaluated for so long that Security Hub would delete it (`keepAlive`).
 */
export type ImportAction = 'create' | 'update' | 'refresh' | 'resolve' | 'archive' | 'retire' | 'keepAlive';

/** A finding to send, why, and where. `finding` has passed `validateAsff`. */
export interface PlannedImport {
  readonly action: ImportAction;
  readonly reason: string;
  readonly destination: Destination;
  readonly finding: AwsSecurityFinding;
  /** {@link contentHash} of `finding`, for the import ledger. */
  readonly contentHash: string;
}

/**
 * What the lifecycle knows of a finding Security Hub holds for this product: read back from Security
 * Hub (`finding` set, or compacted by {@link heldFinding} when it matches this run's), or remembered
 * by the import ledger (no `finding`). Enough to decide create, update, refresh and resolve; archiving
 * needs the whole finding, which is looked up by Id when only the ledger knows it.
 */
export interface HeldFinding {
  readonly id: string;
  readonly productArn: string;
  /** Where it is held. */
  readonly account: string;
  readonly region: string;
  readonly createdAt?: string | undefined;
  readonly updatedAt?: string | undefined;
  readonly recordState: 'ACTIVE' | 'ARCHIVED';
  readonly complianceStatus?: string | undefined;
  /** The scope it belongs to (from its ProductFields); absent when it carries none. */
  readonly scope?: Scope | undefined;
  /** {@link contentHash} of what was last imported; absent when not known. */
  readonly contentHash?: string | undefined;
  /**
   * Since when it was not re-evaluated, when it was last kept alive (its scope failed, or its check
   * threw on its resource), from its ProductFields; absent when evaluated.
   */
  readonly notEvaluatedSince?: string | undefined;
  /** The whole finding as Security Hub returned it, when read back and kept. */
  readonly finding?: AwsSecurityFinding | undefined;
}

/**
 * An archive (or retire) or keep-alive decided from the ledger: the finding must be read by Id, then
 * {@link archiveImport} or {@link keepAliveImport} (with `failure`) builds it. `internalError`: a
 * check threw on a resource whose ledger entry cannot say what Security Hub holds (an import whose
 * outcome is unknown): `reopen` is sent when Security Hub holds the finding archived or not at all,
 * and it is kept alive (when due) or left as it was when Security Hub holds it ACTIVE.
 */
export interface FindingLookup {
  readonly action: 'archive' | 'retire' | 'keepAlive' | 'internalError';
  readonly id: string;
  readonly productArn: string;
  readonly destination: Destination;
  readonly reason: string;
  /** keepAlive: why the finding was not re-evaluated (the scope's failure, or the check's internal error). */
  readonly failure?: string;
  /** internalError: the finding re-imported ACTIVE, as for an archived finding reported again. */
  readonly reopen?: PlannedImport;
  /** archive or retire: what the archived copy's Description opens with ({@link archiveImport}). */
  readonly notice?: string;
}

/**
 * A finding not sent. `unchanged`: reported again, nothing changed, not due for refresh.
 * `untouched`: in Security Hub, not reported, and its scope was not fully evaluated by this run (or
 * its check not run there).
 */
export interface PlannedSkip {
  readonly kind: 'unchanged' | 'untouched';
  readonly id: string;
  readonly reason: string;
  readonly destination: Destination;
}

/** How many findings each decision applies to. */
export interface PlanCounts {
  readonly create: number;
  readonly update: number;
  readonly refresh: number;
  readonly resolve: number;
  readonly archive: number;
  /**
   * Held findings archived because their check is turned off by the policy or no longer in the
   * catalog, or their region is no longer audited ({@link unauditedRegions}).
   */
  readonly retire: number;
  /**
   * Held findings of a failed scope (or check) re-imported before Security Hub deletes them: as they
   * were, or NOT_AVAILABLE when they said PASSED.
   */
  readonly keepAlive: number;
  readonly unchanged: number;
  readonly untouched: number;
}

/**
 * An archive, retire or keep-alive decided for a held finding whose copy would break an ASFF limit
 * (Security Hub holds it within its own limits, and the copy adds to it: a keep-alive's two notes
 * to 49 ProductFields). Not sent; reported as not landed, and the rest of the run goes ahead.
 * (A PASSED finding's third note, its last status, is left out rather than refuse its copy.)
 */
export interface RefusedCopy {
  readonly action: 'archive' | 'retire' | 'keepAlive';
  readonly id: string;
  readonly destination: Destination;
  readonly error: AsffValidationError;
}

/** Everything one publication would send, and what it leaves alone, with a reason each. */
export interface PublicationPlan {
  readonly imports: readonly PlannedImport[];
  readonly skipped: readonly PlannedSkip[];
  readonly counts: PlanCounts;
  /** Archives and keep-alives of findings only the ledger knows (no `finding`): not counted in `counts` until read. */
  readonly lookups: readonly FindingLookup[];
  /** Copies of held findings that could not be made valid ASFF: not sent, not counted in `counts`. */
  readonly refused: readonly RefusedCopy[];
}

/**
 * `make()`, or undefined when the copy of a held finding it builds is not valid ASFF (pushed to
 * `refused`): one finding Security Hub holds must not stop the publication of every other. Findings
 * this run builds from its own report still throw: those are a defect of ours.
 */
export function copyOrRefuse(
  refused: RefusedCopy[],
  held: { readonly action: RefusedCopy['action']; readonly id: string; readonly destination: Destination },
  make: () => PlannedImport,
): PlannedImport | undefined {
  try {
    return make();
  } catch (error) {
    if (!(error instanceof AsffValidationError)) throw error;
    refused.push({ ...held, error });
    return undefined;
  }
}

/** What `planPublication` decides from. */
export interface PlanPublicationInput {
  readonly report: Pick<AuditReport, 'findings' | 'scopes' | 'unmatchedTargets' | 'unplanned' | 'narrowed'>;
  /** `securityHub.refreshDays` and where GCP findings go. */
  readonly policy: Policy;
  readonly now: Date;
  /** This product's findings as read back from Security Hub (any account and region); none when absent. */
  readonly existing?: readonly AwsSecurityFinding[];
  /** What is held, as the ledger remembers it or compacted from reads ({@link heldFinding}); added to `existing`. */
  readonly held?: Iterable<HeldFinding>;
  /** Where findings go; from the policy when absent. */
  readonly target?: PublishTarget;
  /**
   * Every check id this version knows (the registry's), to tell a check renamed or removed, whose
   * findings are archived, from one this run did not run. Without it neither is archived.
   */
  readonly catalog?: ReadonlySet<string>;
  /**
   * The check groups this version has (the registry's, `catalog`) and those this run selected
   * (`run`), to retire the findings of a group removed or renamed, which no scope of any run
   * evaluates again ({@link groupGone}). Without it no group's findings are retired.
   */
  readonly groups?: { readonly catalog: ReadonlySet<string>; readonly run: ReadonlySet<string> };
}

/** Security Hub keeps findings per product ARN; the same Id under two products is two findings. */
function findingKey(productArnValue: string | undefined, id: string | undefined): string {
  return `${productArnValue ?? ''}\n${id ?? ''}`;
}

/**
 * The (account, region) pairs whose current findings must be read before planning this report (the
 * publisher adds the home region of an account still holding a whole-account finding this run could
 * not write, publisher.ts `wholeAccountHolders`). `reaches`: whether the run may call Security Hub in a region of an account (publisher.ts
 * `PublishOptions.reach`); a home region it may not reach is not read for whole-account findings
 * (its check groups write none: a dumps or keys job's role reaches its places only).
 */
export function destinationsToRead(
  report: Pick<AuditReport, 'findings' | 'scopes'>,
  target: PublishTarget,
  policy: Pick<Policy, 'aws'>,
  reaches: (account: string, region: string) => boolean = () => true,
): readonly Destination[] {
  const destinations = new Map<string, Destination>();
  const add = (destination: Destination): void => {
    destinations.set(`${destination.account}/${destination.region}`, destination);
  };
  for (const finding of report.findings) add(findingDestination(finding, target));
  // Findings for a whole account (region `*`) live in the home region. Only an audit of `all`
  // regions can write one (the region listing failed), so only then is every account's home region
  // read: a fixed region list touches (and needs permissions in) no other region, except the home
  // region of an account still holding one written before the policy listed its regions, which the
  // publisher reads until that finding is archived. It is a fact of the whole report, so it is
  // decided once, not per scope (a fleet has thousands of scopes).
  const wholeAccountPossible =
    policy.aws.regions === 'all' ||
    report.scopes.some((scope) => scope.scope.provider === 'aws' && scope.scope.region === '*');
  // A complete scope with no finding left (every resource deleted) must still be read, or its old
  // findings would never be archived.
  for (const outcome of report.scopes) {
    if (outcome.status !== 'complete') continue;
    add(destinationFor(scopeResource(outcome.scope), target));
    if (
      outcome.scope.provider === 'aws' &&
      wholeAccountPossible &&
      reaches(outcome.scope.account, target.homeRegion)
    ) {
      add({
        account: outcome.scope.account,
        region: target.homeRegion,
        partition: partitionOf(target.homeRegion),
      });
    }
  }
  return [...destinations.values()];
}

/** The scope an existing finding belongs to, from the ProductFields this product wrote. */
function scopeOf(finding: AwsSecurityFinding): Scope | undefined {
  const fields = finding.ProductFields ?? {};
  const provider = fields[PRODUCT_FIELD.provider];
  const account = fields[PRODUCT_FIELD.account];
  const region = fields[PRODUCT_FIELD.scopeRegion] ?? fields[PRODUCT_FIELD.region];
  const group = fields[PRODUCT_FIELD.group];
  if ((provider !== 'aws' && provider !== 'gcp') || !account || !region) return undefined;
  if (!group || !CHECK_GROUP_NAME.test(group)) return undefined;
  return { provider, account, region, group };
}

/** The scope and content digest of each finding this run reports, by key, for {@link heldFinding}. */
export type ReportedDigests = ReadonlyMap<
  string,
  { readonly contentHash: string; readonly drifting: readonly string[] }
>;

/** {@link ReportedDigests} of a report: what each reported finding would be imported as. */
export function reportedDigests(
  report: Pick<AuditReport, 'findings'>,
  target: PublishTarget,
  now: Date,
): ReportedDigests {
  const digests = new Map<string, { contentHash: string; drifting: readonly string[] }>();
  for (const finding of report.findings) {
    const draft = toAsff(finding, { destination: findingDestination(finding, target), now });
    const drifting = finding.drifting ?? [];
    digests.set(findingKey(draft.ProductArn, draft.Id), {
      contentHash: contentHash(draft, drifting),
      drifting,
    });
  }
  return digests;
}

/**
 * A finding read from Security Hub, as the lifecycle keeps it. With `reported`, the whole finding is
 * dropped when this run reports it unchanged (its digest is all the plan needs), so a run holding
 * tens of thousands of unchanged findings keeps a few hundred bytes each instead of the whole ASFF;
 * changed findings keep it (the plan names what changed) and so do unreported ones (archiving copies them).
 */
export function heldFinding(finding: AwsSecurityFinding, reported?: ReportedDigests): HeldFinding {
  const destination = destinationOf(finding);
  const expected = reported?.get(findingKey(finding.ProductArn, finding.Id));
  const hash = contentHash(finding, expected?.drifting ?? []);
  const keep = !expected || expected.contentHash !== hash || finding.RecordState === 'ARCHIVED';
  return {
    id: finding.Id ?? '',
    productArn: finding.ProductArn ?? '',
    account: destination.account,
    region: destination.region,
    createdAt: finding.CreatedAt,
    updatedAt: finding.UpdatedAt,
    recordState: finding.RecordState === 'ARCHIVED' ? 'ARCHIVED' : 'ACTIVE',
    complianceStatus: finding.Compliance?.Status,
    scope: scopeOf(finding),
    contentHash: hash,
    ...(finding.ProductFields?.[PRODUCT_FIELD.notEvaluatedSince]
      ? { notEvaluatedSince: finding.ProductFields[PRODUCT_FIELD.notEvaluatedSince] }
      : {}),
    ...(keep ? { finding } : {}),
  };
}

/**
 * Scopes whose findings this run may archive. A complete scope with region `*` covers every region
 * of its account and group (a Cloud SQL project is listed across all its regions in one call).
 *
 * An AWS scope with region `*` that failed is the account's region listing (functions/aws/planner.ts:
 * the account could not be reached or its regions listed). The listing is that finding's whole
 * scope: a run that was not narrowed and planned the account's regions one by one did list them,
 * so the finding is settled, whatever each region then did. A region that failed is a scope of its
 * own and keeps its findings untouched.
 */
function archivableScopes(report: Pick<AuditReport, 'scopes' | 'narrowed'>): (scope: Scope) => boolean {
  const complete = new Set<string>();
  const wholeAccountComplete = new Set<string>();
  const accountGroupsByRegion = new Set<string>();
  const accountGroupsFailed = new Set<string>();
  const wholeAccountFailed = new Set<string>();
  for (const outcome of report.scopes) {
    const accountGroup = `${outcome.scope.provider}/${outcome.scope.account}/${outcome.scope.group}`;
    if (outcome.scope.region !== '*') accountGroupsByRegion.add(accountGroup);
    if (outcome.status === 'complete') {
      complete.add(scopeKey(outcome.scope));
      if (outcome.scope.region === '*') wholeAccountComplete.add(accountGroup);
    } else {
      accountGroupsFailed.add(accountGroup);
      if (outcome.scope.region === '*') wholeAccountFailed.add(accountGroup);
    }
  }
  return (scope) => {
    if (complete.has(scopeKey(scope))) return true;
    const accountGroup = `${scope.provider}/${scope.account}/${scope.group}`;
    if (wholeAccountComplete.has(accountGroup) && !accountGroupsFailed.has(accountGroup)) return true;
    // A run narrowed to some regions did not list the account's regions: it settles no such finding.
    return (
      scope.region === '*' &&
      !report.narrowed &&
      accountGroupsByRegion.has(accountGroup) &&
      !wholeAccountFailed.has(accountGroup)
    );
  };
}

/**
 * The fields whose change is news, as (label, value) pairs in a fixed order: compliance status, the
 * provider's severity, title, remediation URL, types, this product's ProductFields (sorted, without
 * the `aws/…` keys Security Hub adds and without `drifting` observed values), and the resources.
 * Description and remediation text are rendered from the status and the observed values, which are
 * compared themselves; `drifting` names observed values that move every run (timestamps, the current
 * lag) and are not news on their own. Both reach Security Hub with the next material change or the
 * periodic refresh, so a steady fleet is not re-imported on every run.
 *
 * The texts stay out, though a release that rewords them then reaches Security Hub only within
 * `refreshDays`: they carry drifting values themselves (a filling window's fix names the days still
 * missing), so a digest of them would re-import such findings every run; and a catalog or release
 * version in the digest would re-import the whole fleet in one run at every release, text changed or
 * not (one Security Hub import, and one EventBridge event, per finding), to deliver sooner texts the
 * refresh delivers within days and a material change delivers at once.
 */
function materialFields(finding: AwsSecurityFinding, drifting: readonly string[]): Map<string, unknown> {
  const fields = new Map<string, unknown>([
    ['Compliance.Status', finding.Compliance?.Status],
    ['Severity', providerSeverity(finding)],
    ['Title', finding.Title],
    ['Remediation.Url', finding.Remediation?.Recommendation?.Url],
    ['Types', finding.FindingProviderFields?.Types ?? finding.Types],
  ]);
  const ignored = new Set(drifting.map((key) => `${PRODUCT_FIELD.observedPrefix}${key}`));
  const own = ownProductFields(finding);
  for (const key of Object.keys(own).sort()) {
    if (!ignored.has(key)) fields.set(`ProductFields.${key}`, own[key]);
  }
  fields.set('Resources', canonicalResources(finding));
  return fields;
}

/**
 * A digest of a finding's material fields (see {@link materialFields}): two findings have the same
 * digest exactly when {@link describeChanges} finds no change between them. The import ledger keeps
 * it so a later run can tell "changed" from "unchanged" without reading the finding back.
 */
export function contentHash(finding: AwsSecurityFinding, drifting: readonly string[] = []): string {
  const canonical = JSON.stringify([...materialFields(finding, drifting)]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

/** What a publication changes, compared field by field (see {@link materialFields}); empty when nothing material changed. */
export function describeChanges(
  existing: AwsSecurityFinding,
  desired: AwsSecurityFinding,
  drifting: readonly string[] = [],
): string[] {
  const changes: string[] = [];
  const before = materialFields(existing, drifting);
  const after = materialFields(desired, drifting);
  const labels = [...new Set([...before.keys(), ...after.keys()])];
  const fixed = labels.filter((label) => !label.startsWith('ProductFields.') && label !== 'Resources');
  const productFields = labels
    .filter((label) => label.startsWith('ProductFields.'))
    .sort()
    .map((label) => label.slice('ProductFields.'.length));
  const compare = (label: string, key: string): void => {
    const was = before.get(key);
    const now = after.get(key);
    if (JSON.stringify(was) !== JSON.stringify(now))
      changes.push(`${label} ${display(was)} -> ${display(now)}`);
  };
  for (const label of fixed) compare(label, label);
  for (const key of productFields) compare(key, `ProductFields.${key}`);
  compare('Resources', 'Resources');
  return changes;
}

function display(value: unknown): string {
  if (value === undefined) return '(none)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The provider's severity: top-level Severity may have been changed by the customer. */
function providerSeverity(finding: AwsSecurityFinding): SeverityLabel | undefined {
  return finding.FindingProviderFields?.Severity?.Label ?? finding.Severity?.Label;
}

/** ProductFields without the `aws/…` keys Security Hub adds itself. */
function ownProductFields(finding: AwsSecurityFinding): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(finding.ProductFields ?? {})) {
    if (!key.startsWith('aws/')) fields[key] = value;
  }
  return fields;
}

function canonicalResources(finding: AwsSecurityFinding): unknown {
  return (finding.Resources ?? []).map((resource) => [
    resource.Type,
    resource.Id,
    resource.Partition,
    resource.Region,
    Object.entries(resource.Details?.Other ?? {}).sort(([a], [b]) => a.localeCompare(b)),
  ]);
}

/**
 * `UpdatedAt` for a re-import: now, or just after the stored value when this machine's clock is
 * behind it (Security Hub silently ignores an update that is not newer).
 */
function updatedAtAfter(updatedAt: string | undefined, now: Date): Date {
  const stored = Date.parse(updatedAt ?? '');
  return Number.isFinite(stored) && stored >= now.getTime() ? new Date(stored + 1) : now;
}

/**
 * The existing finding as its provider may re-import it: nothing customer-owned, UpdatedAt after the
 * stored one; the caller sets RecordState.
 */
function providerCopy(existing: AwsSecurityFinding, now: Date): AwsSecurityFinding {
  const severity = providerSeverity(existing);
  const types = existing.FindingProviderFields?.Types ?? existing.Types;
  return {
    SchemaVersion: existing.SchemaVersion,
    Id: existing.Id,
    ProductArn: existing.ProductArn,
    GeneratorId: existing.GeneratorId,
    AwsAccountId: existing.AwsAccountId,
    Types: types,
    CreatedAt: existing.CreatedAt,
    UpdatedAt: updatedAtAfter(existing.UpdatedAt, now).toISOString(),
    Severity: { Label: severity },
    Title: existing.Title,
    Description: existing.Description,
    ...(existing.Remediation ? { Remediation: existing.Remediation } : {}),
    ProductFields: ownProductFields(existing),
    Resources: existing.Resources,
    ...(existing.Compliance?.Status ? { Compliance: { Status: existing.Compliance.Status } } : {}),
    FindingProviderFields: { Severity: { Label: severity }, Types: types },
  };
}

/**
 * The existing finding re-imported with `RecordState: ARCHIVED` and nothing customer-owned; with
 * `notice`, its Description opens with it (Workflow and Note are the customer's after creation, so
 * the Description is where the provider says why it archived a finding whose resource may still exist).
 */
function archivedCopy(existing: AwsSecurityFinding, now: Date, notice?: string): AwsSecurityFinding {
  const copy = providerCopy(existing, now);
  if (!notice) return { ...copy, RecordState: 'ARCHIVED' };
  let lastResult = existing.Description ?? '';
  const marker = lastResult.indexOf(LAST_RESULT);
  if (lastResult.startsWith(ARCHIVED_PREFIX) && marker >= 0)
    lastResult = lastResult.slice(marker + LAST_RESULT.length);
  return {
    ...copy,
    Description: truncate(`${notice}${LAST_RESULT}${lastResult}`, ASFF_LIMITS.description),
    RecordState: 'ARCHIVED',
  };
}

/** How the Description of a finding archived with a notice starts ({@link archivedCopy}). */
const ARCHIVED_PREFIX = 'Archived: ';

/** The notice of a finding archived because its region is no longer audited. */
function unauditedNotice(region: string): string {
  return `${ARCHIVED_PREFIX}region ${region} is no longer audited by certctl-backup-guard (not in aws.regions).`;
}

/**
 * How a kept-alive Description starts, in every version that kept findings alive (with the
 * `notEvaluated/since` mark); {@link keptAliveCopy} strips an earlier one before adding its own.
 */
export const NOT_EVALUATED_PREFIX = 'Not re-evaluated since ';
const LAST_RESULT = ' Last result: ';
/** What follows the time in the Description of a finding last evaluated PASSED and kept alive. */
const LAST_PASSED = ', when it was last evaluated PASSED';

/**
 * `Remediation.Recommendation.Text` of a finding last evaluated PASSED and kept alive NOT_AVAILABLE:
 * the PASSED finding's "nothing to fix" no longer holds, and its check's fix is for a failure not seen.
 */
const UNVERIFIED_PASS_RECOMMENDATION =
  'Not verified: this check last passed, but it has not been evaluated since (the Description says since when and why). Fix what keeps the audit from evaluating it; the linked page describes the setting that keeps it passing.';

/**
 * The existing finding re-imported ACTIVE, marked as not re-evaluated since its last evaluation (kept
 * across keep-alives) because of `failure`. FAILED, WARNING and NOT_AVAILABLE keep their compliance,
 * severity and content as they were. PASSED is not re-asserted: no run has proven it since, so it is
 * re-imported NOT_AVAILABLE, with the severity, title and a fix as every NOT_AVAILABLE finding has,
 * `notEvaluated/lastStatus` PASSED (left out, not refused, when a finding an earlier version imported
 * has no ProductFields pair left for it) and a Description saying it last passed then. The marks are
 * in ProductFields (material, so the finding is updated, marks removed, once it is evaluated again:
 * resolved when it passes) and open the Description; Note belongs to the customer after creation.
 */
function keptAliveCopy(existing: AwsSecurityFinding, failure: string, now: Date): AwsSecurityFinding {
  const copy = providerCopy(existing, now);
  const fields = copy.ProductFields ?? {};
  const since = fields[PRODUCT_FIELD.notEvaluatedSince] ?? existing.UpdatedAt ?? '(unknown)';
  const unproven = existing.Compliance?.Status === 'PASSED';
  const description = existing.Description ?? '';
  // Kept alive before, NOT_AVAILABLE since: its mark (or, where it had no room, its Description) says it passed.
  const lastPassed =
    unproven ||
    fields[PRODUCT_FIELD.notEvaluatedLastStatus] === 'PASSED' ||
    description.startsWith(`${NOT_EVALUATED_PREFIX}${since}${LAST_PASSED}: `);
  let lastResult = description;
  const marker = lastResult.indexOf(LAST_RESULT);
  if (lastResult.startsWith(NOT_EVALUATED_PREFIX) && marker >= 0) {
    lastResult = lastResult.slice(marker + LAST_RESULT.length);
  }
  const marks: Record<string, string> = {
    ...fields,
    [PRODUCT_FIELD.notEvaluatedSince]: since,
    [PRODUCT_FIELD.notEvaluatedReason]: truncate(failure, ASFF_LIMITS.productFieldValue),
  };
  if (unproven && Object.keys(marks).length < ASFF_LIMITS.productFields) {
    marks[PRODUCT_FIELD.notEvaluatedLastStatus] = 'PASSED';
  }
  const opening = lastPassed
    ? `${NOT_EVALUATED_PREFIX}${since}${LAST_PASSED}: ${failure}. Reported NOT_AVAILABLE until it is evaluated again: no run has proven it passes since then. Re-imported so that Security Hub does not delete it after 90 days without an update.`
    : `${NOT_EVALUATED_PREFIX}${since}: ${failure}. Re-imported unchanged so that Security Hub does not delete it after 90 days without an update.`;
  const kept: AwsSecurityFinding = {
    ...copy,
    Description: truncate(`${opening}${LAST_RESULT}${lastResult}`, ASFF_LIMITS.description),
    ProductFields: marks,
    RecordState: 'ACTIVE',
  };
  if (!unproven) return kept;
  const url = existing.Remediation?.Recommendation?.Url;
  return {
    ...kept,
    Severity: { Label: NOT_AVAILABLE_SEVERITY },
    Title: truncate(`${NOT_VERIFIED_TITLE_PREFIX}${existing.Title ?? ''}`, ASFF_LIMITS.title),
    Remediation: { Recommendation: { Text: UNVERIFIED_PASS_RECOMMENDATION, ...(url ? { Url: url } : {}) } },
    Compliance: { Status: 'NOT_AVAILABLE' },
    FindingProviderFields: { ...kept.FindingProviderFields, Severity: { Label: NOT_AVAILABLE_SEVERITY } },
  };
}

function destinationOf(finding: AwsSecurityFinding): Destination {
  const region =
    /^arn:[^:]+:securityhub:([^:]+):/.exec(finding.ProductArn ?? '')?.[1] ?? finding.Region ?? '';
  return { account: finding.AwsAccountId ?? '', region, partition: partitionOf(region) };
}

interface Decision {
  readonly action: ImportAction | 'unchanged';
  readonly reason: string;
}

/**
 * Whether an unchanged finding is due for its refresh. Each finding has its own phase, a stable hash
 * of its Id spread over the refresh period: it is refreshed when a boundary of its own grid passes
 * (every `refreshDays`, at its phase), and in any case once it is `refreshDays` old. A fleet
 * imported at once therefore refreshes spread evenly over the next period, and in steady state each
 * finding is sent once per period: about fleet / (runs per period) per run.
 */
export function refreshDue(id: string, updatedAt: number, now: number, refreshDays: number): boolean {
  const period = refreshDays * DAY_MS;
  if (now - updatedAt >= period) return true;
  let hash = 2166136261;
  for (let index = 0; index < id.length; index += 1) {
    hash = Math.imul(hash ^ id.charCodeAt(index), 16777619);
  }
  const phase = ((hash >>> 0) / 2 ** 32) * period;
  return Math.floor((now + phase) / period) > Math.floor((updatedAt + phase) / period);
}

/**
 * Age at which a held finding that this run could not re-evaluate is kept alive: defined in
 * core/check.ts, where an internal error's own finding says it too; exported from here as before.
 */
export { KEEP_ALIVE_DAYS };

/**
 * Whether a held finding that could not be re-evaluated is due to be kept alive: its last update is
 * {@link KEEP_ALIVE_DAYS} old (an unknown age is), or it still says PASSED while not re-evaluated
 * for that long (an earlier version kept it alive as it was): its pass is then re-imported
 * NOT_AVAILABLE at once, not at its next keep-alive.
 */
export function keepAliveDue(
  held: Pick<HeldFinding, 'updatedAt' | 'complianceStatus' | 'notEvaluatedSince'>,
  now: Date,
): boolean {
  const old = (time: string | undefined): boolean => {
    const at = Date.parse(time ?? '');
    return !Number.isFinite(at) || now.getTime() - at >= KEEP_ALIVE_DAYS * DAY_MS;
  };
  if (old(held.updatedAt)) return true;
  return (
    held.complianceStatus === 'PASSED' && held.notEvaluatedSince !== undefined && old(held.notEvaluatedSince)
  );
}

/**
 * Why a scope's findings were not re-evaluated in this run: its own failure, or that of its whole
 * account (region `*`, the regions could not be listed); undefined when it did not fail here.
 */
export function scopeFailures(report: Pick<AuditReport, 'scopes'>): (scope: Scope) => string | undefined {
  const failed = new Map<string, string>();
  for (const outcome of report.scopes) {
    if (outcome.status !== 'failed') continue;
    const error = outcome.error ? `: ${outcome.error.message} (${outcome.error.code})` : '';
    failed.set(scopeKey(outcome.scope), `scope ${scopeKey(outcome.scope)} could not be evaluated${error}`);
  }
  return (scope) => failed.get(scopeKey(scope)) ?? failed.get(scopeKey({ ...scope, region: '*' }));
}

/**
 * Whether a held finding's scope is in a region the policy no longer audits: an AWS region that
 * `aws.regions`, a fixed list, does not name, where this run planned no scope of the finding's group
 * in its account (a group with places of its own, dumps or keys, plans its scopes where they are,
 * named or not), while it evaluated that group in that account whole somewhere (so the account was
 * reached and the group run under this policy; another region of it that failed is a scope of its
 * own, which keeps its findings, and says nothing of a region no longer listed). Not in a run narrowed to some regions (it says
 * nothing of the others), nor under `aws.regions: all` (a region the listing leaves out is not one
 * the policy stopped naming). Such a region is no failed scope: nothing will ever read it again, so
 * its findings would stay ACTIVE (FAILED ones too) until Security Hub deletes them after 90 days.
 * Undefined when not; the region list in words when it is.
 */
export function unauditedRegions(
  report: Pick<AuditReport, 'scopes' | 'narrowed'>,
  policy: Pick<Policy, 'aws'>,
): (scope: Scope) => string | undefined {
  const { regions } = policy.aws;
  if (regions === 'all' || report.narrowed) return () => undefined;
  const listed = new Set(regions);
  const planned = new Set(report.scopes.map(({ scope }) => scopeKey(scope)));
  const accountGroups = new Set<string>();
  for (const { scope, status } of report.scopes) {
    if (scope.provider === 'aws' && status === 'complete')
      accountGroups.add(`${scope.account}/${scope.group}`);
  }
  const names = `aws.regions names ${regions.join(', ')} only`;
  return (scope) => {
    if (scope.provider !== 'aws' || scope.region === '*' || listed.has(scope.region)) return undefined;
    if (planned.has(scopeKey(scope))) return undefined;
    const accountGroup = `${scope.account}/${scope.group}`;
    if (!accountGroups.has(accountGroup)) return undefined;
    return names;
  };
}

function decide(
  held: HeldFinding | undefined,
  desired: AwsSecurityFinding,
  desiredHash: string,
  drifting: readonly string[],
  now: Date,
  refreshDays: number,
): Decision {
  if (!held) return { action: 'create', reason: 'new finding' };
  if (held.recordState === 'ARCHIVED') {
    return { action: 'update', reason: 'archived finding reported again: re-imported ACTIVE' };
  }
  const changes = held.finding
    ? describeChanges(held.finding, desired, drifting)
    : held.contentHash === desiredHash
      ? []
      : ['content differs from the last import (import ledger digest)'];
  const status = held.complianceStatus;
  if (desired.Compliance?.Status === 'PASSED' && status !== 'PASSED') {
    return { action: 'resolve', reason: `now passes (${changes.join('; ')})` };
  }
  if (changes.length > 0) return { action: 'update', reason: `changed: ${changes.join('; ')}` };
  const updatedAt = Date.parse(held.updatedAt ?? '');
  if (!Number.isFinite(updatedAt) || refreshDue(held.id, updatedAt, now.getTime(), refreshDays)) {
    return {
      action: 'refresh',
      reason: `unchanged, last updated ${held.updatedAt ?? '(unknown)'}: due for its refresh (every ${refreshDays} days, at a time spread by finding Id; Security Hub deletes active findings after 90 days without an update)`,
    };
  }
  return { action: 'unchanged', reason: `unchanged, last updated ${held.updatedAt}` };
}

/**
 * Where the check of a held finding that this run did not report stands: `run` when the run ran it
 * in the finding's scope (or cannot tell: its report names no checks there, or the Id is not this
 * product's), `off` when the policy turns it off, `removed` when this version's catalog does not
 * have it (renamed or removed), `notRun` when the run ran other checks of the group only (`on`).
 */
type CheckStanding =
  | { readonly kind: 'run' }
  | { readonly kind: 'off' | 'removed'; readonly checkId: string }
  | { readonly kind: 'notRun'; readonly checkId: string; readonly on: readonly string[] };

/**
 * {@link CheckStanding} of held findings, from the checks each scope's outcome names. The check is
 * read from the finding Id (`certctl-backup-guard/<check id>/<resource>`, {@link asffFindingId}),
 * which the import ledger keeps as Security Hub does: a run planned from the ledger and one that
 * read every finding back decide alike. A scope with no outcome of its own (a whole-account finding
 * settled region by region, a region the run did not read) takes what its account and group's
 * outcomes name, a check any of them ran counting as run.
 */
function checkStandings(
  report: Pick<AuditReport, 'scopes'>,
  catalog: ReadonlySet<string> | undefined,
): (held: HeldFinding) => CheckStanding {
  const byScope = new Map<string, ScopeChecks>();
  const byAccountGroup = new Map<string, { on: Set<string>; off: Set<string> }>();
  for (const outcome of report.scopes) {
    if (!outcome.checks) continue;
    byScope.set(scopeKey(outcome.scope), outcome.checks);
    const key = `${outcome.scope.provider}/${outcome.scope.account}/${outcome.scope.group}`;
    const merged = byAccountGroup.get(key) ?? { on: new Set<string>(), off: new Set<string>() };
    for (const id of outcome.checks.on) merged.on.add(id);
    for (const id of outcome.checks.off) merged.off.add(id);
    byAccountGroup.set(key, merged);
  }
  const run: CheckStanding = { kind: 'run' };
  return (held) => {
    const scope = held.scope;
    if (!scope || !held.id.startsWith(ASFF_ID_PREFIX)) return run;
    const exact = byScope.get(scopeKey(scope));
    const merged = exact
      ? undefined
      : byAccountGroup.get(`${scope.provider}/${scope.account}/${scope.group}`);
    if (!exact && !merged) return run;
    const on = exact ? exact.on : [...(merged?.on ?? [])];
    const off = exact ? exact.off : [...(merged?.off ?? [])].filter((id) => !merged?.on.has(id));
    // The longest id the Id starts with: check ids are not cut, and a longer one that matches is the check.
    let checkId: string | undefined;
    for (const id of [...on, ...off, ...(catalog ?? [])]) {
      if (held.id.startsWith(`${ASFF_ID_PREFIX}${id}/`) && id.length > (checkId?.length ?? -1)) checkId = id;
    }
    if (checkId !== undefined && on.includes(checkId)) return run;
    if (checkId !== undefined && off.includes(checkId)) return { kind: 'off', checkId };
    // An id no list has is named as the Id spells it, up to its first `/`: whole, since a check id
    // holds no `/` (registerCheckGroup, functions/jobs/groups.ts, refuses one).
    const named = checkId ?? held.id.slice(ASFF_ID_PREFIX.length).split('/')[0] ?? '';
    if (checkId === undefined && catalog) return { kind: 'removed', checkId: named };
    return { kind: 'notRun', checkId: named, on };
  };
}

/** What a check turned off or removed is, for reasons. */
function checkGone(standing: { readonly kind: 'off' | 'removed'; readonly checkId: string }): string {
  return standing.kind === 'off'
    ? `check ${standing.checkId} is turned off by the policy`
    : `check ${standing.checkId} is not in this version's check catalog (renamed or removed)`;
}

/** What a check group removed is, for reasons. */
function groupGoneText(group: string): string {
  return `check group ${group} is not in this version's check catalog (renamed or removed)`;
}

/**
 * Whether the held findings of a check group this version does not have may be retired, as a
 * function of their scope: undefined when they may (in the reason's words, where), or why not. No
 * run plans a scope of such a group, so none is ever evaluated whole as the retire of a check needs
 * ({@link archivableScopes}); instead the whole run must be: every group of the catalog selected,
 * not narrowed, no scope failed (what a failed scope holds is unknown, and a group's findings may
 * have moved to another group there), coverage not in doubt, and some scope of the finding's place
 * (provider, account, region) evaluated. `groups` undefined: never (the caller did not say).
 */
function groupGone(
  report: Pick<AuditReport, 'scopes' | 'narrowed'>,
  groups: PlanPublicationInput['groups'],
  coverage: readonly string[],
): (
  scope: Scope,
) => { readonly gone: false } | { readonly gone: true; readonly where?: string; readonly whyNot?: string } {
  if (!groups) return () => ({ gone: false });
  const missing = [...groups.catalog].filter((group) => !groups.run.has(group));
  const failed = report.scopes.find((outcome) => outcome.status !== 'complete');
  const runWhyNot =
    coverage.length > 0
      ? `this run's coverage is in doubt (${coverage.join('; ')})`
      : missing.length > 0
        ? `this run selected only some check groups (${[...groups.run].join(', ') || 'none'}; not ${missing.join(', ')})`
        : report.narrowed
          ? 'this run was narrowed to some regions or projects'
          : failed
            ? `scope ${scopeKey(failed.scope)} could not be evaluated in this run`
            : undefined;
  const places = new Set(
    report.scopes.map(({ scope }) => `${scope.provider}/${scope.account}/${scope.region}`),
  );
  const accounts = new Set(report.scopes.map(({ scope }) => `${scope.provider}/${scope.account}`));
  return (scope) => {
    if (groups.catalog.has(scope.group)) return { gone: false };
    const place = `${scope.provider}/${scope.account}/${scope.region}`;
    if (runWhyNot) return { gone: true, whyNot: runWhyNot };
    // A whole-account finding (region `*`) is settled by any scope of its account.
    const evaluated =
      scope.region === '*' ? accounts.has(`${scope.provider}/${scope.account}`) : places.has(place);
    return evaluated
      ? { gone: true, where: place }
      : { gone: true, whyNot: `this run evaluated nothing in ${place}` };
  };
}

/**
 * Decide what to import. Every planned finding is validated (an invalid one throws
 * `AsffValidationError`). Findings for GCP resources go to the central account
 * (`SecurityHubConfigError` when none is configured).
 */
export function planPublication(input: PlanPublicationInput): PublicationPlan {
  const { report, policy, now } = input;
  const target = input.target ?? publishTargetFrom(policy);
  const refreshDays = policy.securityHub.refreshDays;
  const existingByKey = new Map<string, HeldFinding>();
  for (const finding of input.existing ?? []) {
    existingByKey.set(findingKey(finding.ProductArn, finding.Id), heldFinding(finding));
  }
  for (const held of input.held ?? []) existingByKey.set(findingKey(held.productArn, held.id), held);

  const imports: PlannedImport[] = [];
  const skipped: PlannedSkip[] = [];
  const counts = {
    create: 0,
    update: 0,
    refresh: 0,
    resolve: 0,
    archive: 0,
    retire: 0,
    keepAlive: 0,
    unchanged: 0,
    untouched: 0,
  };
  const reported = new Set<string>();
  const lookups: FindingLookup[] = [];
  const refused: RefusedCopy[] = [];
  /** Import `make()`'s copy of `held` counted as `action`, or refuse it (see {@link copyOrRefuse}). */
  const copy = (
    action: RefusedCopy['action'],
    held: HeldFinding,
    destination: Destination,
    make: () => PlannedImport,
  ): void => {
    const planned = copyOrRefuse(refused, { action, id: held.id, destination }, make);
    if (!planned) return;
    counts[action] += 1;
    imports.push(planned);
  };
  /**
   * Archive `existing` as `action` (`archive`: resource gone; `retire`: its check or group is gone)
   * for `reason`: a copy of the finding when the run holds it, else a look-up by Id that the
   * publisher resolves before it copies.
   */
  const archiveHeld = (
    action: 'archive' | 'retire',
    existing: HeldFinding,
    destination: Destination,
    reason: string,
    notice?: string,
  ): void => {
    if (!existing.finding) {
      lookups.push({
        action,
        id: existing.id,
        productArn: existing.productArn,
        destination,
        reason,
        ...(notice ? { notice } : {}),
      });
      return;
    }
    const finding = existing.finding;
    copy(action, existing, destination, () => archiveImport(finding, reason, now, action, notice));
  };
  /** Keep `existing` alive when it is due (see {@link keepAliveDue}); false when it is not. */
  const keepAlive = (existing: HeldFinding, destination: Destination, failure: string): boolean => {
    if (!keepAliveDue(existing, now)) return false;
    if (!existing.finding) {
      lookups.push({
        action: 'keepAlive',
        id: existing.id,
        productArn: existing.productArn,
        destination,
        reason: `last updated ${existing.updatedAt ?? '(unknown)'} and not re-evaluated (${failure})`,
        failure,
      });
    } else {
      const finding = existing.finding;
      copy('keepAlive', existing, destination, () => keepAliveImport(finding, failure, now));
    }
    return true;
  };

  for (const finding of report.findings) {
    const destination = findingDestination(finding, target);
    const draft = toAsff(finding, { destination, now });
    const key = findingKey(draft.ProductArn, draft.Id);
    if (reported.has(key)) throw new AsffValidationError('Id', 'is produced twice in one run', draft.Id);
    reported.add(key);
    const existing = existingByKey.get(key);
    // An archived finding proves nothing of this resource: it was archived because the resource was
    // gone, and the resource is back. Its internal error is imported ACTIVE (NOT_AVAILABLE) like a new
    // one, or Security Hub would show nothing active for a check that could not judge it.
    if (finding.internalError && existing?.recordState === 'ACTIVE') {
      const failure = `check ${finding.checkId} failed with an internal error on this resource`;
      if (!existing.finding && existing.contentHash === undefined) {
        // A ledger entry without a digest: an import or archive of it may or may not have landed (its
        // call's answer was lost), so Security Hub may hold it ARCHIVED (or not at all) as well as
        // ACTIVE. Archived, it proves nothing of this resource (above): read it by Id to tell.
        const reopen = reimport(finding, destination, existing, now);
        validateAsff(reopen);
        lookups.push({
          action: 'internalError',
          id: existing.id,
          productArn: existing.productArn,
          destination,
          reason: `${failure}, and the import ledger cannot say whether Security Hub holds it archived`,
          failure,
          reopen: {
            action: 'update',
            reason: `${failure}: the finding Security Hub holds archived (or not at all) is re-imported ACTIVE`,
            destination,
            finding: reopen,
            contentHash: contentHash(draft, finding.drifting ?? []),
          },
        });
        continue;
      }
      // The check threw on this resource: what Security Hub holds is the last thing proven, and a
      // defect of ours must neither resolve nor overwrite it, nor let it expire.
      if (keepAlive(existing, destination, failure)) {
        continue;
      }
      counts.untouched += 1;
      skipped.push({
        kind: 'untouched',
        id: draft.Id as string,
        // In this run only: once due, the keep-alive above re-imports it (a pass as NOT_AVAILABLE).
        reason: `the check failed with an internal error on this resource: the earlier finding is left as it was until its keep-alive is due, ${KEEP_ALIVE_DAYS} days after its last update (then it is re-imported as it was, or NOT_AVAILABLE when it last said PASSED)`,
        destination,
      });
      continue;
    }
    const drifting = finding.drifting ?? [];
    const desiredHash = contentHash(draft, drifting);
    const decision = decide(existing, draft, desiredHash, drifting, now, refreshDays);
    if (decision.action === 'unchanged') {
      counts.unchanged += 1;
      skipped.push({ kind: 'unchanged', id: draft.Id as string, reason: decision.reason, destination });
      continue;
    }
    const asff = existing ? reimport(finding, destination, existing, now) : draft;
    validateAsff(asff);
    counts[decision.action] += 1;
    imports.push({
      action: decision.action,
      reason: decision.reason,
      destination,
      finding: asff,
      contentHash: desiredHash,
    });
  }

  // A run in which a check group judged nothing (even beside one that judged its own), or that
  // missed a database the policy names, looks exactly like one whose databases were deleted:
  // archive nothing then, or a tag typo would close every open finding.
  const coverage = coverageProblems(report);
  const mayArchive = coverage.length > 0 ? () => false : archivableScopes(report);
  const failureOf = scopeFailures(report);
  const standingOf = checkStandings(report, input.catalog);
  const groupOf = groupGone(report, input.groups, coverage);
  const unauditedOf = unauditedRegions(report, policy);
  for (const [key, existing] of existingByKey) {
    if (reported.has(key) || existing.recordState === 'ARCHIVED') continue;
    const destination: Destination = {
      account: existing.account,
      region: existing.region,
      partition: partitionOf(existing.region),
    };
    const scope = existing.scope;
    const group = scope ? groupOf(scope) : { gone: false as const };
    if (scope && group.gone) {
      const text = groupGoneText(scope.group);
      if (group.whyNot !== undefined) {
        // As for a check removed: nothing will re-evaluate it, so it is not kept alive either.
        counts.untouched += 1;
        skipped.push({
          kind: 'untouched',
          id: existing.id,
          reason: `not reported: ${text}, but ${group.whyNot}, so it is not archived (nor kept alive: nothing will re-evaluate it; the next run that evaluates every scope of every group archives it, or Security Hub deletes it 90 days after its last update)`,
          destination,
        });
        continue;
      }
      archiveHeld(
        'retire',
        existing,
        destination,
        `${text}: its findings in ${group.where}, where this run evaluated every group of the catalog whole, are archived`,
      );
      continue;
    }
    const unaudited = scope && coverage.length === 0 ? unauditedOf(scope) : undefined;
    if (scope && unaudited !== undefined) {
      // Retired, as a check turned off is: the policy stopped asking for it, and no run will.
      archiveHeld(
        'retire',
        existing,
        destination,
        `region ${scope.region} is no longer audited (${unaudited}, and this run planned no ${scope.group} scope there in account ${scope.account}): its findings there are archived`,
        unauditedNotice(scope.region),
      );
      continue;
    }
    const standing = standingOf(existing);
    if (scope && (standing.kind === 'off' || standing.kind === 'removed') && !mayArchive(scope)) {
      // Its check will not re-evaluate it, so it is not kept alive either: it is left to the next run
      // that evaluates its scope whole (which archives it), or to Security Hub's 90 days.
      counts.untouched += 1;
      skipped.push({
        kind: 'untouched',
        id: existing.id,
        reason: `not reported: ${checkGone(standing)}, but ${
          coverage.length > 0
            ? `this run's coverage is in doubt (${coverage.join('; ')})`
            : `scope ${scopeKey(scope)} was not fully evaluated in this run`
        }, so it is not archived (nor kept alive: nothing will re-evaluate it; the next run that evaluates the scope archives it, or Security Hub deletes it 90 days after its last update)`,
        destination,
      });
      continue;
    }
    if (scope && standing.kind === 'notRun' && mayArchive(scope)) {
      counts.untouched += 1;
      skipped.push({
        kind: 'untouched',
        id: existing.id,
        reason: `not reported: this run did not run check ${standing.checkId} in scope ${scopeKey(scope)} (it ran ${standing.on.join(', ') || 'no check'}), so it says nothing of it`,
        destination,
      });
      continue;
    }
    if (!scope || !mayArchive(scope)) {
      const failure = scope && failureOf(scope);
      if (failure && keepAlive(existing, destination, failure)) continue;
      counts.untouched += 1;
      skipped.push({
        kind: 'untouched',
        id: existing.id,
        reason: !scope
          ? 'not reported, and its scope is unknown (no certctl-backup-guard ProductFields)'
          : coverage.length > 0
            ? `not reported, but this run's coverage is in doubt (${coverage.join('; ')}): nothing is archived`
            : report.narrowed && scope.region === '*'
              ? `not reported, but this run was narrowed to some regions or projects, so scope ${scopeKey(scope)} (the whole account) was not evaluated`
              : `not reported, but scope ${scopeKey(scope)} was not fully evaluated in this run`,
        destination,
      });
      continue;
    }
    const action = standing.kind === 'off' || standing.kind === 'removed' ? 'retire' : 'archive';
    const reason =
      standing.kind === 'off' || standing.kind === 'removed'
        ? `${checkGone(standing)}: its findings in fully evaluated scope ${scopeKey(scope)} are archived`
        : `resource no longer reported in fully evaluated scope ${scopeKey(scope)}`;
    archiveHeld(action, existing, destination, reason);
  }
  return { imports, skipped, counts, lookups, refused };
}

/**
 * The keep-alive of a finding read back from Security Hub whose scope (or check) could not be
 * evaluated: re-imported ACTIVE as it was, or NOT_AVAILABLE when it says PASSED ({@link
 * keptAliveCopy}), saying since when and why (see {@link KEEP_ALIVE_DAYS}).
 */
export function keepAliveImport(existing: AwsSecurityFinding, failure: string, now: Date): PlannedImport {
  const kept = keptAliveCopy(existing, failure, now);
  validateAsff(kept);
  const since = kept.ProductFields?.[PRODUCT_FIELD.notEvaluatedSince];
  const how =
    existing.Compliance?.Status === 'PASSED'
      ? 'last evaluated PASSED, re-imported NOT_AVAILABLE (a pass no run has proven since is not asserted again)'
      : 're-imported as it was';
  return {
    action: 'keepAlive',
    reason: `not re-evaluated since ${since} (${failure}): ${how}, before Security Hub deletes it after 90 days without an update`,
    destination: destinationOf(existing),
    finding: kept,
    contentHash: contentHash(kept),
  };
}

/**
 * The archive of a finding read back from Security Hub (for a {@link FindingLookup}, once read):
 * `retire` when its check (or its region) is no longer audited, `archive` when its resource is gone;
 * `notice`, when given, opens its Description (before `Last result:`).
 */
export function archiveImport(
  existing: AwsSecurityFinding,
  reason: string,
  now: Date,
  action: 'archive' | 'retire' = 'archive',
  notice?: string,
): PlannedImport {
  const archived = archivedCopy(existing, now, notice);
  validateAsff(archived);
  return {
    action,
    reason,
    destination: destinationOf(existing),
    finding: archived,
    contentHash: contentHash(archived),
  };
}

function reimport(
  finding: Finding,
  destination: Destination,
  existing: HeldFinding,
  now: Date,
): AwsSecurityFinding {
  return toAsff(finding, {
    destination,
    now: updatedAtAfter(existing.updatedAt, now),
    ...(existing.createdAt ? { createdAt: existing.createdAt } : {}),
  });
}
