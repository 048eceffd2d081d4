/**
 * Publish an audit report to AWS Security Hub: read this product's current findings once per
 * (account, region), plan with the scope-safe lifecycle, import in batches of at most 100 findings
 * and 6 MB into each finding's own account through that account's role, retry the findings a 200 answer still lists in
 * `FailedFindings`, and report every finding that never landed. Throttling of each call is the client
 * factory's adaptive retry; this module only retries what Security Hub accepted the call for but
 * rejected per finding.
 */

import {
  type AwsSecurityFinding,
  type AwsSecurityFindingFilters,
  BatchImportFindingsCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { type AuditReport, coverageProblems, EXIT_CODES, mapWithConcurrency } from '../../core/audit.ts';
import { backoffDelay } from '../../core/backoff.ts';
import { describeError, errorCode } from '../../core/errors.ts';
import type { StructuredLogger } from '../../core/logging.ts';
import { pageTokens } from '../../core/paging.ts';
import type { Policy } from '../../core/policy.ts';
import { CLOCK_SKEW_TOLERANCE_MS, DAY_MS } from '../../core/time.ts';
import {
  ASFF_ID_PREFIX,
  ASFF_LIMITS,
  type Destination,
  PRODUCT_FIELD,
  type PublishTarget,
  partitionOf,
  productArn,
  publishTargetFrom,
} from './asff.ts';
import { type FailedImport, type NotSentReason, UNREAD_FINDINGS_ID } from './errors.ts';
import {
  decodeLedger,
  encodeGivenUpLedger,
  encodeLedger,
  holdsWholeAccountFinding,
  type Ledger,
  LedgerConflictError,
  LedgerGivenUpError,
  type LedgerStore,
  mergeLedgers,
  type StoredLedger,
} from './ledger.ts';
import {
  archiveImport,
  copyOrRefuse,
  destinationsToRead,
  type FindingLookup,
  type HeldFinding,
  heldFinding,
  type ImportAction,
  KEEP_ALIVE_DAYS,
  keepAliveDue,
  keepAliveImport,
  NOT_EVALUATED_PREFIX,
  type PlannedImport,
  planPublication,
  type RefusedCopy,
  type ReportedDigests,
  reportedDigests,
  scopeFailures,
  unauditedRegions,
} from './lifecycle.ts';

/** An account findings are imported into: its id and, for a member account, the role to assume. */
export interface PublishAccount {
  readonly accountId: string;
  readonly roleArn?: string;
}

/**
 * Where the publisher gets its Security Hub clients, one per (region, account), already carrying
 * that account's credentials and the retry policy. The AWS client factory fits; the publisher
 * knows nothing else of it.
 */
export interface SecurityHubClientSource {
  client(ctor: typeof SecurityHubClient, region: string, account?: PublishAccount): SecurityHubClient;
}

/**
 * Retry of findings listed in `FailedFindings` with a code another attempt may fix (throttled calls are
 * the SDK's adaptive retry); `InvalidInput` and `InvalidAccess` are reported after the first call.
 */
export interface PublishRetryOptions {
  /** Attempts per finding that Security Hub lists in `FailedFindings` (first try included). @default 4 */
  readonly attempts?: number;
  /** First backoff delay; doubled per attempt, with full jitter. @default 250 */
  readonly baseDelayMs?: number;
}

/** Input of `publishToSecurityHub`. */
export interface PublishOptions {
  readonly report: AuditReport;
  readonly policy: Policy;
  readonly factory: SecurityHubClientSource;
  /**
   * The accounts findings may be imported into, with the role to use. An account absent from the list
   * is only published to with the caller's own credentials when the list is empty (the policy's
   * "caller's own account") or it is `securityHub.centralAccountId`; otherwise its findings fail with
   * `NoPublishingRole` and nothing is sent from another account.
   */
  readonly accounts: readonly PublishAccount[];
  readonly now?: () => Date;
  /** Read failures per destination and a summary; failed imports are returned, not logged. */
  readonly logger?: StructuredLogger;
  /** Region for findings without an AWS region of their own; policy's central region, then us-east-1. */
  readonly homeRegion?: string;
  /** Destinations worked on at once (each one's batches go in sequence). @default 8 */
  readonly concurrency?: number;
  readonly retry?: PublishRetryOptions;
  /**
   * The import ledger (see ./ledger.ts). With it, a destination whose ledger is readable and
   * reconciled within `securityHub.reconcileDays` is planned from the ledger and Security Hub is read
   * only for the findings archived; without it, every run reads every held finding.
   */
  readonly ledger?: LedgerStore;
  /**
   * Every check id this version knows (the registry's): a held finding of a check it does not have
   * (renamed or removed) is archived in a scope this run evaluated whole. Without it, such a finding
   * cannot be told from one of a check this run did not run, and is left as it was.
   */
  readonly catalog?: ReadonlySet<string>;
  /**
   * The check groups this version knows and those this run selected: a held finding of a group it
   * does not know (renamed or removed) is archived by a run of every group that evaluated every scope
   * whole (lifecycle.ts `groupGone`). Without it such a finding is left as it was.
   */
  readonly groups?: { readonly catalog: ReadonlySet<string>; readonly run: ReadonlySet<string> };
  /**
   * The regions of an account whose Security Hub this run's credentials may call (`*`: every one),
   * given the run's home region: a deployed job's role is granted only the regions its check groups
   * publish into (functions/jobs/groups.ts `securityHubReach`, which the deployment's grants are
   * tested against). The regions read beyond this run's own findings and scopes (the home region for
   * a whole-account finding, those read only to keep a failed scope's findings alive) stay within it,
   * so a call the role cannot make is never planned. Absent: every region (the CLI's credentials).
   */
  readonly reach?: (account: string, homeRegion: string) => readonly string[];
}

/** What the import ledger did in a publication, per destination. */
export interface LedgerCounts {
  /** Planned from the ledger, without reading Security Hub in full. */
  readonly used: number;
  /** Read in full from Security Hub: no ledger store, or the ledger was missing, unreadable or due. */
  readonly reconciled: number;
  /** Ledgers written. */
  readonly written: number;
  /**
   * Ledgers that were unreadable, or could not be written (marked given up, or removed, so the next
   * run reconciles).
   */
  readonly problems: number;
  /**
   * Findings another writer updated after the ledger's newest entry (a `backup-guard audit
   * --publish` without the ledger, another deployment), taken from Security Hub into the plan.
   */
  readonly adopted: number;
  /**
   * Destinations whose ledger could be neither written nor marked given up (the store refused both):
   * a run that overlapped this one may write a ledger without this run's imports, so they were sent
   * again dated past it (`redated`).
   */
  readonly unrecorded: number;
  /** Findings sent again, dated later, in the destinations counted in `unrecorded` (retries counted once). */
  readonly redated: number;
}

/** Findings per outcome; each finding is counted once, after its last attempt. */
export interface PublishCounts {
  readonly created: number;
  readonly updated: number;
  readonly refreshed: number;
  readonly resolved: number;
  readonly archived: number;
  /**
   * Held findings archived because their check is turned off by the policy or no longer in the
   * catalog, or their region is no longer audited (lifecycle.ts `unauditedRegions`).
   */
  readonly retired: number;
  /**
   * Held findings of a scope that failed (or whose check threw) re-imported as they were (PASSED ones
   * NOT_AVAILABLE), marked not re-evaluated, before Security Hub deletes them after 90 days without
   * an update.
   */
  readonly keptAlive: number;
  /** Reported again, unchanged, not due for refresh. */
  readonly unchanged: number;
  /** In Security Hub, not reported, scope not fully evaluated (or check not run) by this run: left as they were. */
  readonly untouched: number;
  readonly failed: number;
}

/**
 * Findings of this product held in a region the policy no longer audits (lifecycle.ts
 * `unauditedRegions`) that this run may not call Security Hub in ({@link PublishOptions.reach}: a
 * deployed job's role is granted the audited regions only), as the region's import ledger records
 * them. They are not archived (this run cannot read them back to copy them), and no run will
 * re-evaluate them: reported so that a security team does not wait for the tool to resolve them.
 */
export interface UnauditedRegion {
  readonly account: string;
  readonly region: string;
  /** Active findings the ledger records there that Security Hub has not deleted yet (see `deletedBy`). */
  readonly findings: number;
  /** Of them, those last imported FAILED. */
  readonly failed: number;
  /** Their check groups. */
  readonly groups: readonly string[];
  /**
   * When Security Hub deletes the last of them if nothing updates them: 90 days after the newest
   * UpdatedAt the ledger records (absent when it records none).
   */
  readonly deletedBy?: string;
  /** What to do about them, in words. */
  readonly retire: string;
}

/** What a publication did: counts, API calls, and every finding that did not land. */
export interface PublishResult {
  readonly counts: PublishCounts;
  /**
   * API calls made (SDK-internal retries of one call count once); ledger calls are the store's,
   * `ledgerRead` counting its reads and its listings of an account's ledgers.
   */
  readonly calls: {
    readonly getFindings: number;
    readonly batchImport: number;
    readonly ledgerRead: number;
    readonly ledgerWrite: number;
  };
  readonly ledger: LedgerCounts;
  /** Findings sent, retries included. */
  readonly findingsSent: number;
  /** Findings that never landed, with Security Hub's code. Empty on success. */
  readonly failed: readonly FailedImport[];
  /**
   * Regions the policy no longer audits that still hold active findings of this product, which this
   * run may not archive ({@link UnauditedRegion}); empty when none. Not failures of this run: the
   * exit code does not count them.
   */
  readonly unaudited: readonly UnauditedRegion[];
  /** 0 when everything planned landed, `EXIT_CODES.incomplete` (2) otherwise. */
  readonly exitCode: number;
}

const ACTION_COUNT: Record<ImportAction, keyof PublishCounts> = {
  create: 'created',
  update: 'updated',
  refresh: 'refreshed',
  resolve: 'resolved',
  archive: 'archived',
  retire: 'retired',
  keepAlive: 'keptAlive',
};

/** Whole-call errors that another attempt cannot fix (access, disabled service, malformed request). */
const PERMANENT_CALL_ERRORS = new Set([
  'AccessDeniedException',
  'InvalidAccessException',
  'InvalidInputException',
  'ValidationException',
  'CredentialsProviderError',
]);

/**
 * Per-finding `ErrorCode`s in `FailedFindings` that another attempt cannot fix: the finding breaks the
 * ASFF (`InvalidInput`, "Finding does not adhere to Amazon Security Finding Format …") or Security Hub
 * takes no findings from this account and product (`InvalidAccess`: not enabled, integration not
 * subscribed), and the whole-call names of the same causes. The API reference enumerates no codes
 * (ImportFindingsError.ErrorCode is a string), so any other one, an unknown one included, is retried:
 * a transient failure reported as permanent would leave the finding out of this run for nothing.
 */
const PERMANENT_FINDING_ERRORS = new Set([
  'InvalidInput',
  'InvalidAccess',
  'AccessDenied',
  ...PERMANENT_CALL_ERRORS,
]);

const DEFAULT_ATTEMPTS = 4;
const DEFAULT_BASE_DELAY_MS = 250;
/**
 * Conditional writes of a destination's ledger per run (the first included): each one after a
 * conflict re-reads and merges. Three runs writing at once (the three check groups' schedules meet
 * about daily) need three for the last; a ledger is removed only when all of them conflicted.
 */
const LEDGER_WRITE_ATTEMPTS = 4;

/**
 * A destination's ledger as read from the store: what the store answered (none: no ledger yet), the
 * ledger decoded from it, or the error of the read or of the decoding (`stored` kept when only the
 * decoding failed: its version still conditions the write that replaces it).
 */
interface LedgerRead {
  readonly stored?: StoredLedger;
  readonly ledger?: Ledger;
  readonly error?: unknown;
}

/** Read and decode the ledger of `destination`, once: errors are returned, not thrown. */
async function readStoredLedger(
  store: LedgerStore,
  destination: Destination,
  calls: Calls,
): Promise<LedgerRead> {
  const where = { account: destination.account, region: destination.region };
  let stored: StoredLedger | undefined;
  try {
    calls.ledgerRead += 1;
    stored = await store.read(where);
    if (!stored) return {};
    return { stored, ledger: decodeLedger(stored.body, { ...where, productArn: productArn(destination) }) };
  } catch (error) {
    return { ...(stored ? { stored } : {}), error };
  }
}

interface DestinationWork {
  readonly destination: Destination;
  readonly account: PublishAccount | undefined;
  /** Its ledger, when read before planning ({@link wholeAccountHolders}): planning does not read it again. */
  ledgerRead?: LedgerRead;
  held: HeldFinding[];
  readError?: { code: string; message: string };
  /** Security Hub was read in full this run. */
  reconciled: boolean;
  /** The ledger as read: its version (for the conditional write) and when it was last reconciled. */
  ledgerVersion?: string;
  reconciledAt?: string;
  /**
   * The UpdatedAt of each finding of the ledger as read (planned from it): an entry still so was
   * carried, not learned this run, and gives way when another run's ledger is merged (`mergeLedgers`).
   */
  base?: ReadonlyMap<string, string | undefined>;
  /**
   * The entries of the ledger as read, when Security Hub was then read in full instead: their digests
   * carry over to the findings read back unchanged (see {@link digestsCarried}).
   */
  previous?: ReadonlyMap<string, HeldFinding>;
  /** Findings another writer updated since the ledger, adopted from Security Hub: the ledger is rewritten. */
  adopted?: number;
  /**
   * Read only to keep alive the held findings of this run's failed scopes ({@link keepAliveDestinations}):
   * no finding of this run goes here and no scope here was evaluated, so only those findings are planned.
   */
  keepAliveOnly?: boolean;
  /** Security Hub was read for the findings due for keep-alive only: no ledger is written from it. */
  partial?: boolean;
  /**
   * Read only to archive the findings of a region the policy no longer audits ({@link
   * unauditedDestinations}): only those are planned.
   */
  unauditedOnly?: boolean;
  /**
   * Read for this account's active whole-account findings of these groups too (or only, when not
   * keep-alive-only): no ledger store can tell whether the home region holds one ({@link
   * wholeAccountProbes}). Only those, and a keep-alive-only destination's failed scopes', are planned.
   */
  wholeAccountGroups?: ReadonlySet<string>;
}

export { UNREAD_FINDINGS_ID } from './errors.ts';

type Calls = { getFindings: number; batchImport: number; ledgerRead: number; ledgerWrite: number };

/**
 * How long the ledger remembers an archived finding after its last update: 90 days, longer than
 * Security Hub keeps one (archived findings are deleted 30 days after their last update, active ones
 * after 90), so the ledger never forgets a finding the hub may still hold.
 */
const ARCHIVED_KEPT_MS = 90 * 24 * 60 * 60 * 1000;

/** Publish `report`; never throws for findings Security Hub refused (see `failed`), only for bugs and bad config. */
export async function publishToSecurityHub(options: PublishOptions): Promise<PublishResult> {
  const now = (options.now ?? (() => new Date()))();
  const target = publishTargetFrom(options.policy, options.homeRegion);
  const calls: Calls = { getFindings: 0, batchImport: 0, ledgerRead: 0, ledgerWrite: 0 };
  const ledgerCounts = {
    used: 0,
    reconciled: 0,
    written: 0,
    problems: 0,
    adopted: 0,
    unrecorded: 0,
    redated: 0,
  };
  const failed: FailedImport[] = [];
  const roles = publishingAccounts(options);

  const work = new Map<string, DestinationWork>();
  const reaches = reachable(options, target);
  // One pass over every finding (60,000 in a large fleet): the holders' home regions are added to it.
  const destinations = destinationsToRead(options.report, target, options.policy, reaches);
  const candidates = wholeAccountCandidates(
    options,
    target,
    roles,
    new Set(destinations.map(keyOf)),
    reaches,
  );
  const homeReads = new Map<string, LedgerRead>();
  const homeLedgers = await wholeAccountHolders(options, target, calls, candidates, homeReads);
  const homeOf = (account: string): Destination => ({
    account,
    region: target.homeRegion,
    partition: partitionOf(target.homeRegion),
  });
  for (const destination of [...destinations, ...[...homeLedgers.keys()].map(homeOf)]) {
    const ledgerRead =
      destination.region === target.homeRegion ? homeLedgers.get(destination.account) : undefined;
    work.set(keyOf(destination), {
      destination,
      account: roles(destination.account),
      ...(ledgerRead ? { ledgerRead } : {}),
      held: [],
      reconciled: false,
    });
  }
  const concurrency = options.concurrency ?? 8;
  for (const destination of await keepAliveDestinations(options, target, work, roles, calls)) {
    work.set(keyOf(destination), {
      destination,
      account: roles(destination.account),
      held: [],
      reconciled: false,
      keepAliveOnly: true,
    });
  }
  for (const [account, groups] of wholeAccountProbes(options, candidates)) {
    const destination = homeOf(account);
    const kept = work.get(keyOf(destination));
    // Read for keep-alive already (a failed scope of the account): its whole-account findings are read there too.
    if (kept) kept.wholeAccountGroups = groups;
    else {
      work.set(keyOf(destination), {
        destination,
        account: roles(account),
        held: [],
        reconciled: false,
        partial: true,
        wholeAccountGroups: groups,
      });
    }
  }
  const unauditedOf = unauditedRegions(options.report, options.policy);
  const unaudited = await unauditedDestinations(
    options,
    target,
    work,
    roles,
    calls,
    now,
    unauditedOf,
    (where) => (where.region === target.homeRegion ? homeReads.get(where.account) : undefined),
  );
  for (const { destination, ledgerRead } of unaudited.read) {
    work.set(keyOf(destination), {
      destination,
      account: roles(destination.account),
      ledgerRead,
      held: [],
      reconciled: false,
      unauditedOnly: true,
    });
  }
  let digests: ReportedDigests | undefined;
  const reported = (): ReportedDigests => {
    digests ??= reportedDigests(options.report, target, now);
    return digests;
  };
  await mapWithConcurrency([...work.values()], concurrency, async (item) => {
    if (item.account === undefined) return;
    if (item.keepAliveOnly) await readForKeepAlive(options, item, now, calls, ledgerCounts);
    if (item.wholeAccountGroups && !item.readError) await readWholeAccount(options, item, calls);
    if (item.keepAliveOnly || item.wholeAccountGroups) return;
    if (options.ledger && (await readLedger(options, item, now, calls, ledgerCounts, reported))) return;
    try {
      item.held = await readExisting(options.factory, item.destination, item.account, calls, reported);
      item.reconciled = true;
      ledgerCounts.reconciled += 1;
    } catch (error) {
      item.readError = { code: errorCode(error), message: describeError(error) };
      options.logger?.error('cannot read current Security Hub findings', {
        account: item.destination.account,
        region: item.destination.region,
        error: item.readError,
      });
    }
  });

  const failureOf = scopeFailures(options.report);
  const importedAt = importTime(work.values(), now);
  const plan = planPublication({
    report: options.report,
    policy: options.policy,
    now: importedAt,
    target,
    ...(options.catalog ? { catalog: options.catalog } : {}),
    ...(options.groups ? { groups: options.groups } : {}),
    held: [...work.values()].flatMap((item) => {
      const { wholeAccountGroups: groups } = item;
      if (item.unauditedOnly) {
        return item.held.filter((held) => held.scope !== undefined && unauditedOf(held.scope) !== undefined);
      }
      if (!item.keepAliveOnly && !groups) return item.held;
      return item.held.filter(
        (held) =>
          (item.keepAliveOnly && held.scope !== undefined && failureOf(held.scope) !== undefined) ||
          (groups !== undefined &&
            holdsWholeAccountFinding({ findings: [held] }, item.destination.account, groups)),
      );
    }),
  });

  // Archives and keep-alives the ledger decided: read those findings (and only those) by Id to copy them.
  const refused: RefusedCopy[] = [...plan.refused];
  const lookedUp = new Map<string, AwsSecurityFinding | null>();
  const lookupImports: PlannedImport[] = [];
  const lookupsByDestination = new Map<string, FindingLookup[]>();
  for (const lookup of plan.lookups) {
    const key = keyOf(lookup.destination);
    lookupsByDestination.set(key, [...(lookupsByDestination.get(key) ?? []), lookup]);
  }
  await mapWithConcurrency([...lookupsByDestination], concurrency, async ([key, lookups]) => {
    const item = work.get(key);
    if (!item?.account) return;
    try {
      const found = await readByIds(options.factory, item.destination, item.account, lookups, calls);
      for (const lookup of lookups) {
        const finding = found.get(lookup.id);
        lookedUp.set(`${key}\n${lookup.id}`, finding ?? null);
        const { action } = lookup;
        if (action === 'internalError' && lookup.reopen && (!finding || finding.RecordState === 'ARCHIVED')) {
          lookupImports.push(reopenedAfter(lookup.reopen, finding));
          continue;
        }
        if (!finding || finding.RecordState === 'ARCHIVED') continue;
        let planned: PlannedImport | undefined;
        if (action === 'archive' || action === 'retire') {
          planned = copyOrRefuse(refused, { ...lookup, action }, () =>
            archiveImport(finding, lookup.reason, importedAt, action, lookup.notice),
          );
        }
        // The ledger is a cache: a finding updated since it was written is not due after all.
        else if (keepAliveDue(heldFinding(finding), now)) {
          planned = copyOrRefuse(refused, { ...lookup, action: 'keepAlive' }, () =>
            keepAliveImport(finding, lookup.failure ?? lookup.reason, importedAt),
          );
        }
        if (planned) lookupImports.push(planned);
      }
    } catch (error) {
      // Not archived (or kept alive) this run: the ledger keeps them as they were, so the next run
      // tries again. Each is an import this run decided and did not make, reported as not landed.
      const code = errorCode(error);
      const message = describeError(error);
      options.logger?.error('cannot read the findings to archive or keep alive', {
        account: item.destination.account,
        region: item.destination.region,
        error: { code, message },
      });
      for (const lookup of lookups) {
        failed.push({
          id: lookup.id,
          account: lookup.destination.account,
          region: lookup.destination.region,
          code,
          readBackFailed: true,
          message:
            lookup.action === 'internalError'
              ? `not re-imported: ${lookup.reason}, and the finding could not be read back to tell (${message}); a later run tries again`
              : lookup.action !== 'keepAlive'
                ? `not archived: the finding could not be read back to archive it (${message}); it stays ACTIVE until a later run archives it`
                : `not kept alive: the finding could not be read back to re-import it (${message}); Security Hub deletes it 90 days after its last update unless a later run keeps it alive`,
        });
      }
    }
  });

  // A held finding whose copy is not valid ASFF was not sent; the rest of the run was.
  for (const copy of refused) {
    failed.push({
      id: copy.id,
      account: copy.destination.account,
      region: copy.destination.region,
      code: copy.error.name,
      message: `not ${copy.action === 'keepAlive' ? 'kept alive' : 'archived'}: ${copy.error.message}`,
      notSent: 'invalidCopy',
    });
  }

  const batches = new Map<string, PlannedImport[]>();
  for (const planned of [...plan.imports, ...lookupImports]) {
    const key = keyOf(planned.destination);
    const list = batches.get(key) ?? [];
    list.push(planned);
    batches.set(key, list);
  }

  const landed: PlannedImport[] = [];
  /** Imports sent that are not known to have landed (Security Hub may still have taken them). */
  const unlanded: PlannedImport[] = [];
  let findingsSent = 0;
  await mapWithConcurrency([...batches.entries()], concurrency, async ([key, planned]) => {
    const item = work.get(key);
    const destination = planned[0]?.destination as Destination;
    // Never sent: the code is this run's reason (or the read's error), not Security Hub's answer.
    const notSent = (code: string, message: string, why: NotSentReason): void => {
      for (const entry of planned) failed.push({ ...failure(entry, code, message), notSent: why });
    };
    if (!item || item.account === undefined) {
      notSent(
        'NoPublishingRole',
        `account ${destination.account} is not among the publishing accounts; add it (with its role) to aws.accounts`,
        'noPublishingRole',
      );
      return;
    }
    if (item.readError) {
      notSent(
        item.readError.code,
        `current findings could not be read, nothing was sent: ${item.readError.message}`,
        'unread',
      );
      return;
    }
    const client = options.factory.client(SecurityHubClient, destination.region, item.account);
    const outcome = await importWithRetry(client, planned, options.retry, calls);
    findingsSent += outcome.sent;
    landed.push(...outcome.landed);
    unlanded.push(...outcome.unlanded);
    failed.push(...outcome.failed);
  });

  // A destination whose held findings could not be read had none archived or kept alive. Where no
  // import was refused for it (nothing was planned there: a scope whose resources are all gone), the
  // run says so once, or it would pass for complete. Where Security Hub is not enabled (the
  // account is "not subscribed"), nothing is held to act on.
  for (const [key, item] of work) {
    if (!item.readError || batches.has(key) || item.readError.code === 'InvalidAccessException') continue;
    failed.push({
      id: UNREAD_FINDINGS_ID,
      account: item.destination.account,
      region: item.destination.region,
      code: item.readError.code,
      message: `the findings held here could not be read: none was archived or kept alive this run (${item.readError.message}); a later run tries again`,
    });
  }

  if (options.ledger) {
    const unrecorded = await writeLedgers(
      options,
      options.ledger,
      work,
      { landed, unlanded, failed, lookedUp },
      now,
      calls,
      ledgerCounts,
    );
    if (unrecorded.size > 0) {
      ledgerCounts.unrecorded = unrecorded.size;
      const redated = await redateUnrecorded(options, work, unrecorded, { landed, unlanded, failed }, calls);
      ledgerCounts.redated = redated.findings;
      findingsSent += redated.sent;
    }
  }

  const counts = {
    created: 0,
    updated: 0,
    refreshed: 0,
    resolved: 0,
    archived: 0,
    retired: 0,
    keptAlive: 0,
    unchanged: plan.counts.unchanged,
    untouched: plan.counts.untouched,
    // Findings only: a destination that could not be read (UNREAD_FINDINGS_ID) is not one.
    failed: failed.filter((entry) => entry.id !== UNREAD_FINDINGS_ID).length,
  };
  for (const entry of landed) counts[ACTION_COUNT[entry.action]] += 1;

  options.logger?.info('published to Security Hub', { counts, calls, findingsSent, ledger: ledgerCounts });
  return {
    counts,
    calls,
    ledger: ledgerCounts,
    findingsSent,
    failed,
    unaudited: unaudited.unreachable,
    exitCode: failed.length > 0 ? EXIT_CODES.incomplete : EXIT_CODES.ok,
  };
}

/**
 * Plan `item` from its ledger when the ledger is readable and not due for reconciliation; false
 * when Security Hub must be read in full instead (and why is logged).
 */
async function readLedger(
  options: PublishOptions,
  item: DestinationWork,
  now: Date,
  calls: Calls,
  counts: { used: number; problems: number; adopted: number },
  reported: () => ReportedDigests,
): Promise<boolean> {
  const store = options.ledger as LedgerStore;
  const where = { account: item.destination.account, region: item.destination.region };
  let reason: string;
  let ledger: Ledger | undefined;
  const read = item.ledgerRead ?? (await readStoredLedger(store, item.destination, calls));
  try {
    if (read.stored) item.ledgerVersion = read.stored.version;
    if (read.error !== undefined) throw read.error;
    if (!read.stored || !read.ledger) {
      reason = 'no import ledger yet';
    } else {
      ledger = read.ledger;
      item.reconciledAt = ledger.reconciledAt;
      item.previous = new Map(ledger.findings.map((finding) => [finding.id, finding]));
      const reconcileDays = options.policy.securityHub.reconcileDays;
      // Age-based, not spread by destination: every run in between reads no held finding at all,
      // and the reconciliation run is one predictable full read (its memory is bounded by readExisting).
      const age = now.getTime() - Date.parse(ledger.reconciledAt);
      if (age >= reconcileDays * DAY_MS) {
        reason = `scheduled reconciliation (every ${reconcileDays} days; last ${ledger.reconciledAt})`;
      } else if (age < -CLOCK_SKEW_TOLERANCE_MS) {
        // Written by a run whose clock was ahead: its age cannot be told, and each run carries the
        // time forward, so trusting it would put off every reconciliation until that date.
        reason = `the import ledger says it was reconciled at ${ledger.reconciledAt}, later than this run's clock (${now.toISOString()})`;
      } else {
        reason = '';
      }
    }
  } catch (error) {
    if (error instanceof LedgerGivenUpError) {
      // The run that gave it up counted the problem; a full read is what the marker asks for.
      reason = describeError(error);
      options.logger?.info('reconciling with Security Hub', { ...where, reason });
      return false;
    }
    counts.problems += 1;
    reason = `import ledger unreadable (${errorCode(error)}: ${describeError(error)})`;
    options.logger?.warn('import ledger unreadable: reading Security Hub in full', {
      ...where,
      error: { code: errorCode(error), message: describeError(error) },
    });
  }
  if (ledger && !reason) {
    try {
      await planFromLedger(options, item, ledger, now, calls, counts, reported);
      return true;
    } catch (error) {
      // What changed since cannot be told: the ledger alone may plan from a stale finding.
      reason = `the findings updated since the import ledger could not be read (${errorCode(error)}: ${describeError(error)})`;
    }
  }
  options.logger?.info('reconciling with Security Hub', { ...where, reason });
  return false;
}

/**
 * The ledger speaks for this product's own imports only. Another writer of the same Ids (an
 * operator's `backup-guard audit --publish`, which keeps no ledger, or a second deployment) leaves
 * Security Hub holding a version the ledger does not know, and planning from the ledger would judge
 * the finding unchanged: one the CLI published PASSED that failed again would stay PASSED until the
 * next reconciliation. So each ledger-planned run asks Security Hub for this product's findings
 * updated after the ledger's newest time (its newest entry's UpdatedAt, which this product's own
 * imports of the run that wrote it carry), and those replace their ledger entries. Not its
 * reconciliation time: a full read that imported nothing leaves that later than every entry, and an
 * update another writer dated between the two by a clock behind (its imports are dated past the
 * newest update it read, {@link importTime}, not past a reconciliation it cannot know) would never
 * be read back. A finding Security Hub held then is an entry, so the window is as empty as before.
 * One GetFindings page per destination in the steady state, and empty: reads stay proportional to
 * changes. The window starts a second after the newest time, so the writing run's own imports are not
 * read back; another writer within that second is corrected at the next reconciliation.
 */
async function readChangedSince(
  factory: SecurityHubClientSource,
  item: DestinationWork,
  ledger: Ledger,
  now: Date,
  calls: { getFindings: number },
  reported: () => ReportedDigests,
): Promise<HeldFinding[]> {
  // An empty ledger (nothing held at its reconciliation): whatever another writer created since.
  let newest = Date.parse(EPOCH) - CHANGED_SINCE_GAP_MS;
  // A finding dated ahead of this run's clock (another writer's clock ran ahead, and this product's
  // re-import of it is dated just after) would push the window past every change made until then:
  // it does not count, and is read back while it stays in the window (not adopted: the same UpdatedAt).
  const latest = now.getTime() + CLOCK_SKEW_TOLERANCE_MS;
  for (const finding of ledger.findings) {
    const at = Date.parse(finding.updatedAt ?? '');
    if (at > newest && at <= latest) newest = at;
  }
  const client = factory.client(SecurityHubClient, item.destination.region, item.account as PublishAccount);
  const changed: HeldFinding[] = [];
  await forEachFinding(
    client,
    {
      ...ownFindingsFilters(item.destination),
      // Up to a day ahead of this run's clock: another writer's clock may run ahead of it.
      UpdatedAt: [
        {
          Start: new Date(newest + CHANGED_SINCE_GAP_MS).toISOString(),
          End: new Date(now.getTime() + DAY_MS).toISOString(),
        },
      ],
    },
    calls,
    (finding) => {
      changed.push(heldFinding(finding, reported()));
    },
  );
  return changed;
}

/**
 * Plan `item` from `ledger` and what another writer changed since ({@link readChangedSince}), which
 * replaces its ledger entries ({@link adoptChanged}); throws when that read fails, leaving `item`
 * unplanned. Ledger-planned and keep-alive-only destinations alike.
 */
async function planFromLedger(
  options: PublishOptions,
  item: DestinationWork,
  ledger: Ledger,
  now: Date,
  calls: Calls,
  counts: { used: number; adopted: number },
  reported: () => ReportedDigests,
): Promise<void> {
  const changed = await readChangedSince(options.factory, item, ledger, now, calls, reported);
  const adopted = adoptChanged(ledger, changed);
  item.held = adopted.held;
  item.base = baseOf(ledger);
  if (adopted.count > 0) {
    item.adopted = adopted.count;
    counts.adopted += adopted.count;
    options.logger?.info('adopted findings another writer updated since the import ledger', {
      account: item.destination.account,
      region: item.destination.region,
      adopted: adopted.count,
    });
  }
  counts.used += 1;
}

/**
 * The ledger's findings with those another writer changed since ({@link readChangedSince}) in their
 * place. A finding read back as the ledger has it (the same UpdatedAt: Security Hub takes no update
 * that is not newer) is not another writer's: one this product dated ahead of the clock.
 */
function adoptChanged(
  ledger: Ledger,
  changed: readonly HeldFinding[],
): { held: HeldFinding[]; count: number } {
  const held = new Map(ledger.findings.map((finding) => [finding.id, finding]));
  let count = 0;
  for (const finding of changed) {
    if (Date.parse(held.get(finding.id)?.updatedAt ?? '') === Date.parse(finding.updatedAt ?? '')) continue;
    held.set(finding.id, finding);
    count += 1;
  }
  return { held: [...held.values()], count };
}

/** The UpdatedAt of each finding of a ledger as read ({@link DestinationWork.base}). */
function baseOf(ledger: Ledger): ReadonlyMap<string, string | undefined> {
  return new Map(ledger.findings.map((finding) => [finding.id, finding.updatedAt]));
}

/** Nothing of this run is reported in a keep-alive-only destination: its findings are kept whole. */
const nothingReported = (): ReportedDigests => new Map();

/** {@link readChangedSince} starts this long after the ledger's newest time. */
const CHANGED_SINCE_GAP_MS = 1000;

/**
 * When this run dates its imports: now, or just past the window start of a ledger-planned run's
 * {@link readChangedSince} when this machine's clock is behind the newest update it read. A ledger
 * user reads only what was updated more than {@link CHANGED_SINCE_GAP_MS} after its newest time, so
 * an import dated by a clock behind that time (an operator's `audit --publish` from a laptop a few
 * minutes slow, minutes after the scheduled run) would never be read back: a PASSED it published for
 * a database that fails again would stay PASSED until the next reconciliation, the ledger judging
 * the finding unchanged. Updates dated ahead of the clock by more than the skew tolerance do not
 * count, as in {@link readChangedSince}, so one far-future finding does not date every import.
 *
 * So an import may be dated up to {@link CLOCK_SKEW_TOLERANCE_MS} (5 minutes, the clock difference
 * AWS request signing tolerates) and a second past this machine's clock, on purpose: another writer
 * whose clock runs that far ahead dated its update so, and Security Hub keeps, per finding, only an
 * update whose UpdatedAt is newer than the one it holds (an import dated by this clock would be
 * dropped without an error). Security Hub documents no bound on how far ahead UpdatedAt may be: the
 * API reference (AwsSecurityFinding.UpdatedAt, "Timestamps") constrains only its form (RFC 3339, an
 * offset within +/-18:00, at most 9 fractional digits, rounded to milliseconds), and the 90-day
 * retention counts from it, so a finding dated minutes ahead is kept minutes longer. Beyond the
 * tolerance a time is taken for a wrong clock and dates nothing.
 */
function importTime(work: Iterable<DestinationWork>, now: Date): Date {
  const latest = now.getTime() + CLOCK_SKEW_TOLERANCE_MS;
  let newest = Number.NEGATIVE_INFINITY;
  for (const item of work) {
    for (const held of item.held) {
      const at = Date.parse(held.updatedAt ?? '');
      if (at > newest && at <= latest) newest = at;
    }
  }
  const after = newest + CHANGED_SINCE_GAP_MS + 1;
  return after > now.getTime() ? new Date(after) : now;
}

/** Whether this run may call Security Hub in `region` of `account` ({@link PublishOptions.reach}). */
function reachable(
  options: PublishOptions,
  target: PublishTarget,
): (account: string, region: string) => boolean {
  const { reach } = options;
  if (!reach) return () => true;
  return (account, region) => {
    const regions = reach(account, target.homeRegion);
    return regions.includes('*') || regions.includes(region);
  };
}

/**
 * The destinations read only to keep alive the held findings of this run's failed AWS scopes, where
 * {@link destinationsToRead} does not reach: Security Hub deletes a finding 90 days after its last
 * update, so a scope failing that long would lose them. A scope's findings are not all in its own
 * destination: a dumps bucket S3 redirected to another region has its finding in its scope's region
 * (`scopeRegion` in functions/core/audit.ts, asff.ts `findingDestination`), but an earlier version
 * imported it into the bucket's region, which the regions this run's report names still reach; and
 * an account whose regions could not be listed
 * (scope `*`, its NOT_AVAILABLE finding in the home region) holds findings in every region it was
 * audited in. Where they can be: the policy's fixed regions, the home region and the regions this
 * run's report names, and with a ledger store that lists, the regions where the account has an import
 * ledger (one ListObjectsV2 per account with a failed scope; a ledger is written wherever this
 * product's findings landed, and {@link readForKeepAlive} writes again one missing, unreadable or
 * given up in a region it reads, before the bucket's lifecycle would drop the region from this
 * list). Each destination not read already is read once
 * ({@link readForKeepAlive}); none when no AWS scope failed, and none the run may not reach
 * ({@link PublishOptions.reach}: a dumps or keys job's role calls Security Hub only where its places
 * are, which is where its findings are).
 */
async function keepAliveDestinations(
  options: PublishOptions,
  target: PublishTarget,
  work: ReadonlyMap<string, DestinationWork>,
  roles: (accountId: string) => PublishAccount | undefined,
  calls: Calls,
): Promise<Destination[]> {
  const failedAccounts = new Set<string>();
  for (const outcome of options.report.scopes) {
    // An account nothing may be published into has nothing to keep alive from here.
    if (outcome.status === 'failed' && outcome.scope.provider === 'aws' && roles(outcome.scope.account)) {
      failedAccounts.add(outcome.scope.account);
    }
  }
  if (failedAccounts.size === 0) return [];
  const known = new Set<string>([target.homeRegion]);
  const { regions } = options.policy.aws;
  if (regions !== 'all') for (const region of regions) known.add(region);
  for (const { scope } of options.report.scopes) {
    if (scope.provider === 'aws' && scope.region !== '*') known.add(scope.region);
  }
  for (const { resource } of options.report.findings) {
    if (resource.provider === 'aws' && resource.region !== '*') known.add(resource.region);
  }
  const store = options.ledger;
  const reaches = reachable(options, target);
  const perAccount = await mapWithConcurrency(
    [...failedAccounts],
    options.concurrency ?? 8,
    async (account): Promise<Destination[]> => {
      // The regions with a ledger add to those the run knows, never replace them: a ledger removed
      // after overlapping runs, or never written (the account failed before ledgers were kept), is
      // not rewritten while the account keeps failing, and its findings there would expire.
      const accountRegions = new Set(known);
      if (store?.regionsOf) {
        try {
          calls.ledgerRead += 1;
          for (const region of await store.regionsOf(account)) accountRegions.add(region);
        } catch (error) {
          options.logger?.warn(
            'import ledgers could not be listed: keeping alive in the regions the run knows',
            {
              account,
              error: { code: errorCode(error), message: describeError(error) },
            },
          );
        }
      }
      return [...accountRegions]
        .map((region) => ({ account, region, partition: partitionOf(region) }))
        .filter((destination) => !work.has(keyOf(destination)) && reaches(account, destination.region));
    },
  );
  return perAccount.flat();
}

/** How long Security Hub keeps an active finding after its last update (lifecycle.ts KEEP_ALIVE_DAYS). */
const ACTIVE_KEPT_MS = 90 * DAY_MS;

/**
 * The regions the policy no longer audits (lifecycle.ts `unauditedRegions`) where an account this
 * run evaluated still holds active findings of this product. Nothing else reads them: the report's
 * destinations are the audited regions, so those findings would stay ACTIVE (FAILED ones too) until
 * Security Hub deletes them, 90 days after their last update, with no word from the tool. Where they
 * are is what the import ledgers say: one listing per account (`regionsOf`) and one ledger read per
 * region not audited (the home region's only once: `readAlready`). A run without a ledger store that lists (the CLI's `audit --publish`), with
 * `aws.regions: all`, narrowed to some regions, or whose coverage is in doubt (it archives nothing)
 * looks for none.
 *
 * `read`: regions this run may call Security Hub in ({@link PublishOptions.reach}), each read as a
 * destination (its ledger as read passed on) whose findings of those scopes are archived; a ledger
 * that cannot be read is read past (Security Hub in full), as for any destination, since archiving
 * needs each finding read back. `unreachable`: the others, which a deployed job's role (granted the
 * audited regions and the home region) may not call: reported with their counts and logged, never
 * archived. A region whose ledger cannot be read there is logged, as nothing can be said of it.
 */
async function unauditedDestinations(
  options: PublishOptions,
  target: PublishTarget,
  work: ReadonlyMap<string, DestinationWork>,
  roles: (accountId: string) => PublishAccount | undefined,
  calls: Calls,
  now: Date,
  unauditedOf: (scope: NonNullable<HeldFinding['scope']>) => string | undefined,
  readAlready: (where: Destination) => LedgerRead | undefined,
): Promise<{ read: { destination: Destination; ledgerRead: LedgerRead }[]; unreachable: UnauditedRegion[] }> {
  const none = { read: [], unreachable: [] };
  const store = options.ledger;
  const { regions } = options.policy.aws;
  if (!store?.regionsOf || regions === 'all' || options.report.narrowed) return none;
  if (coverageProblems(options.report).length > 0) return none;
  const listed = new Set(regions);
  const accounts = new Set<string>();
  for (const { scope, status } of options.report.scopes) {
    if (status === 'complete' && scope.provider === 'aws' && roles(scope.account))
      accounts.add(scope.account);
  }
  const reaches = reachable(options, target);
  const concurrency = options.concurrency ?? 8;
  const candidates = (
    await mapWithConcurrency([...accounts], concurrency, async (account): Promise<Destination[]> => {
      let ledgerRegions: readonly string[];
      try {
        calls.ledgerRead += 1;
        ledgerRegions = await (store.regionsOf as NonNullable<LedgerStore['regionsOf']>)(account);
      } catch (error) {
        options.logger?.warn(
          'import ledgers could not be listed: findings held in regions the policy no longer audits are not looked for',
          { account, error: { code: errorCode(error), message: describeError(error) } },
        );
        return [];
      }
      return ledgerRegions
        .filter((region) => !listed.has(region))
        .map((region) => ({ account, region, partition: partitionOf(region) }))
        .filter((destination) => !work.has(keyOf(destination)));
    })
  ).flat();
  const found = await mapWithConcurrency(candidates, concurrency, async (destination) => {
    const ledgerRead = readAlready(destination) ?? (await readStoredLedger(store, destination, calls));
    const reach = reaches(destination.account, destination.region);
    if (ledgerRead.error !== undefined || !ledgerRead.ledger) {
      if (ledgerRead.error === undefined) return undefined;
      if (reach) return { kind: 'read' as const, destination, ledgerRead };
      options.logger?.warn(
        'import ledger of a region the policy no longer audits unreadable: whether findings are held there cannot be told',
        {
          account: destination.account,
          region: destination.region,
          error: { code: errorCode(ledgerRead.error), message: describeError(ledgerRead.error) },
        },
      );
      return undefined;
    }
    // Those Security Hub still holds: an active finding not updated for 90 days is deleted.
    const held = ledgerRead.ledger.findings.filter((entry) => {
      const at = Date.parse(entry.updatedAt ?? '');
      return (
        entry.recordState === 'ACTIVE' &&
        entry.scope !== undefined &&
        unauditedOf(entry.scope) !== undefined &&
        !(now.getTime() - at >= ACTIVE_KEPT_MS)
      );
    });
    if (held.length === 0) return undefined;
    if (reach) return { kind: 'read' as const, destination, ledgerRead };
    return { kind: 'unreachable' as const, destination, held };
  });
  const read: { destination: Destination; ledgerRead: LedgerRead }[] = [];
  const unreachable: UnauditedRegion[] = [];
  for (const entry of found) {
    if (!entry) continue;
    if (entry.kind === 'read') {
      read.push({ destination: entry.destination, ledgerRead: entry.ledgerRead });
      continue;
    }
    const { destination, held } = entry;
    let newest = Number.NEGATIVE_INFINITY;
    for (const finding of held) newest = Math.max(newest, Date.parse(finding.updatedAt ?? '') || newest);
    const deletedBy = Number.isFinite(newest) ? new Date(newest + ACTIVE_KEPT_MS).toISOString() : undefined;
    const region: UnauditedRegion = {
      account: destination.account,
      region: destination.region,
      findings: held.length,
      failed: held.filter((finding) => finding.complianceStatus === 'FAILED').length,
      groups: [...new Set(held.map((finding) => finding.scope?.group ?? ''))].sort(),
      ...(deletedBy ? { deletedBy } : {}),
      retire: unauditedRetire(destination, deletedBy),
    };
    unreachable.push(region);
    options.logger?.warn(
      'findings held in a region the policy no longer audits: not archived, this run may not call Security Hub there',
      { ...region },
    );
  }
  return { read, unreachable };
}

/** What to do about the findings of an {@link UnauditedRegion}, in words. */
function unauditedRetire(destination: Destination, deletedBy: string | undefined): string {
  return (
    `no run reads or resolves them again (this run's role may not call Security Hub in ${destination.region}); ` +
    `Security Hub deletes them ${deletedBy ? `by ${deletedBy.slice(0, 10)}` : '90 days after their last update'}. ` +
    `To close them sooner, archive or resolve them with credentials that may: they are product ${productArn(destination)}'s ` +
    `ACTIVE findings whose GeneratorId starts with ${ASFF_ID_PREFIX} (aws securityhub batch-update-findings --region ${destination.region} ` +
    `--workflow Status=RESOLVED on their Ids), or let one publication reach the region (README, "Regions no longer audited")`
  );
}

/**
 * The AWS accounts whose home region may hold a whole-account finding this run cannot write (a policy
 * that lists its regions, none of them the home region), each with the groups it evaluated the
 * account's regions of: those a whole-account finding of the account can be archived in
 * (lifecycle.ts archivableScopes). Not an account whose home region this run may not reach
 * ({@link PublishOptions.reach}: its groups write no whole-account finding), nor one whose home
 * region the run reads anyway (`read`: the keys of destinationsToRead).
 */
function wholeAccountCandidates(
  options: PublishOptions,
  target: PublishTarget,
  roles: (accountId: string) => PublishAccount | undefined,
  read: ReadonlySet<string>,
  reaches: (account: string, region: string) => boolean,
): ReadonlyMap<string, ReadonlySet<string>> {
  const groupsOf = new Map<string, Set<string>>();
  for (const { scope, status } of options.report.scopes) {
    if (status !== 'complete' || scope.provider !== 'aws' || scope.region === '*') continue;
    if (
      !roles(scope.account) ||
      !reaches(scope.account, target.homeRegion) ||
      read.has(keyOf({ account: scope.account, region: target.homeRegion }))
    )
      continue;
    const groups = groupsOf.get(scope.account) ?? new Set<string>();
    groups.add(scope.group);
    groupsOf.set(scope.account, groups);
  }
  return groupsOf;
}

/**
 * Of the {@link wholeAccountCandidates}, those whose home region must be read: those whose
 * home-region ledger holds an active whole-account finding in a group this run evaluated the
 * account's regions of ({@link holdsWholeAccountFinding}: written while the policy audited every
 * region, and archived once read, lifecycle.ts archivableScopes), or whose ledger cannot tell
 * (unreadable or given up: Security Hub is then read in full there, as for any destination). An
 * account with no ledger there holds none this product recorded: its home region is not read, so a
 * deployment that has always listed its regions reads (and needs permissions in) no other region, at
 * the cost of one ledger read per account, each one's ledger as read (its planning reads it no more).
 * Without a ledger store nothing is read here: {@link wholeAccountProbes} asks Security Hub instead.
 * Every ledger read is also left in `reads` by account, holder or not ({@link unauditedDestinations}
 * looks at the same home region when the policy does not list it).
 */
async function wholeAccountHolders(
  options: PublishOptions,
  target: PublishTarget,
  calls: Calls,
  groupsOf: ReadonlyMap<string, ReadonlySet<string>>,
  reads: Map<string, LedgerRead>,
): Promise<ReadonlyMap<string, LedgerRead>> {
  const store = options.ledger;
  if (!store) return new Map();
  const accounts = [...groupsOf.keys()];
  const found = await mapWithConcurrency(accounts, options.concurrency ?? 8, async (account) => {
    const where = { account, region: target.homeRegion, partition: partitionOf(target.homeRegion) };
    const read = await readStoredLedger(store, where, calls);
    reads.set(account, read);
    if (read.error !== undefined) {
      // Read as a destination of this run, where the ledger's problem is counted and logged.
      options.logger?.info('import ledger of the home region unreadable: reading its findings', {
        account,
        region: where.region,
        error: { code: errorCode(read.error), message: describeError(read.error) },
      });
      return read;
    }
    return read.ledger && holdsWholeAccountFinding(read.ledger, account, groupsOf.get(account) ?? new Set())
      ? read
      : undefined;
  });
  // The ledger read goes with its account: planning the home region uses it rather than reading it again.
  const holders = new Map<string, LedgerRead>();
  accounts.forEach((account, index) => {
    const read = found[index];
    if (read) holders.set(account, read);
  });
  return holders;
}

/**
 * Without a ledger store (the CLI's `backup-guard audit --publish`) no ledger tells whether the home
 * region of a {@link wholeAccountCandidates} account holds a whole-account finding, and one left
 * unread would stay active until Security Hub deletes it, 90 days after its last update, although
 * this run settled it. So each such account's home region is asked for its active whole-account
 * findings only ({@link readWholeAccount}: one GetFindings call, empty in the steady state). None
 * where a ledger store answers ({@link wholeAccountHolders}), nor in a run narrowed to some regions,
 * which settles no whole-account finding (lifecycle.ts archivableScopes).
 */
function wholeAccountProbes(
  options: PublishOptions,
  candidates: ReadonlyMap<string, ReadonlySet<string>>,
): ReadonlyMap<string, ReadonlySet<string>> {
  return options.ledger || options.report.narrowed ? new Map() : candidates;
}

/**
 * Read the active whole-account findings (scope region `*`) of `item`'s account held in its
 * destination, the home region ({@link wholeAccountProbes}), beside what `item` holds already. A
 * failed read is logged and reported as a destination that could not be read.
 */
async function readWholeAccount(options: PublishOptions, item: DestinationWork, calls: Calls): Promise<void> {
  const where = { account: item.destination.account, region: item.destination.region };
  try {
    const client = options.factory.client(SecurityHubClient, where.region, item.account as PublishAccount);
    const seen = new Set(item.held.map((held) => held.id));
    await forEachFinding(
      client,
      {
        ...ownFindingsFilters(item.destination),
        // The region this product writes for a resource of the whole account: lifecycle.ts scopeOf
        // reads the scope's region from it (the finding carries no `scope/region` of its own).
        ProductFields: [{ Key: PRODUCT_FIELD.region, Value: '*', Comparison: 'EQUALS' }],
        RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }],
      },
      calls,
      (finding) => {
        if (!seen.has(finding.Id ?? '')) item.held.push(heldFinding(finding));
      },
    );
  } catch (error) {
    item.readError = { code: errorCode(error), message: describeError(error) };
    options.logger?.error('cannot read the whole-account findings held in the home region', {
      ...where,
      error: item.readError,
    });
  }
}

/**
 * Read a keep-alive-only destination ({@link keepAliveDestinations}): its ledger, whatever its age (a
 * keep-alive is checked against Security Hub when the finding is read by Id, so a stale entry costs a
 * read, never a wrong import), with what another writer changed since ({@link readChangedSince}: a
 * finding the ledger never saw would expire). With a ledger store but no usable ledger (missing,
 * unreadable or given up), Security Hub is read in full, as any destination without one is, and the
 * ledger is written from it ({@link writeLedgers}): the ledger is what lists this region among the
 * account's ({@link LedgerStore.regionsOf}) once neither the policy (`aws.regions: all`) nor a
 * report names it, and one never rewritten is deleted by the bucket's lifecycle 90 days after its
 * last write (infra/import-ledger.ts), after which no run would read the region and its findings
 * would expire, FAILED ones too. One full read, once: later runs plan from that ledger, which each
 * keep-alive rewrites (at most every {@link KEEP_ALIVE_DAYS} days while it holds active findings).
 * Without a ledger store, or when what changed since a usable ledger cannot be read, Security Hub's
 * findings due for keep-alive only ({@link keepAliveDue}), in two reads, since GetFindings ANDs its
 * filter fields: those whose UpdatedAt is at least {@link KEEP_ALIVE_DAYS} ago, and the passes an
 * earlier version kept alive as PASSED ({@link KEPT_ALIVE_PASSED}), due at once whatever their
 * UpdatedAt. Each is one GetFindings page, empty in the steady state. A failed read (the full one,
 * or the first of those two) is logged and nothing is planned there; of the second, logged, and
 * those passes wait for their keep-alive as they did before.
 */
async function readForKeepAlive(
  options: PublishOptions,
  item: DestinationWork,
  now: Date,
  calls: Calls,
  counts: { used: number; reconciled: number; problems: number; adopted: number },
): Promise<void> {
  const where = { account: item.destination.account, region: item.destination.region };
  let stored: StoredLedger | undefined;
  let ledger: Ledger | undefined;
  if (options.ledger) {
    try {
      calls.ledgerRead += 1;
      stored = await options.ledger.read(where);
      if (stored) ledger = decodeLedger(stored.body, { ...where, productArn: productArn(item.destination) });
    } catch (error) {
      if (error instanceof LedgerGivenUpError) {
        // A known state, not a problem: the run that gave it up counted its failed write, and the
        // marker asks for Security Hub to be read, which the keep-alive read below does.
        options.logger?.info(
          'import ledger given up by an earlier run: reading Security Hub in full to keep alive the findings of a failed scope',
          { ...where, reason: describeError(error) },
        );
      } else {
        counts.problems += 1;
        options.logger?.warn(
          'import ledger unreadable: reading Security Hub in full to keep alive the findings of a failed scope',
          {
            ...where,
            error: { code: errorCode(error), message: describeError(error) },
          },
        );
      }
    }
  }
  if (stored && ledger) {
    try {
      // Another writer's findings since the ledger (the CLI's) are not in it, and no other run reads
      // this destination while the account fails: read them as a ledger-planned destination does.
      await planFromLedger(options, item, ledger, now, calls, counts, nothingReported);
      item.ledgerVersion = stored.version;
      item.reconciledAt = ledger.reconciledAt;
      return;
    } catch (error) {
      options.logger?.warn(
        'the findings updated since the import ledger could not be read: reading Security Hub for the findings due for keep-alive',
        { ...where, error: { code: errorCode(error), message: describeError(error) } },
      );
    }
  } else if (options.ledger) {
    if (!stored) {
      options.logger?.info(
        'no import ledger: reading Security Hub in full to keep alive the findings of a failed scope',
        where,
      );
    }
    try {
      item.held = await readExisting(
        options.factory,
        item.destination,
        item.account as PublishAccount,
        calls,
        nothingReported,
      );
      item.reconciled = true;
      // The write replaces what was read (a marker, an unreadable ledger) only if it is still there.
      if (stored) item.ledgerVersion = stored.version;
      counts.reconciled += 1;
    } catch (error) {
      keepAliveReadFailed(options, item, where, error);
    }
    return;
  }
  item.partial = true;
  const client = options.factory.client(SecurityHubClient, where.region, item.account as PublishAccount);
  const held = new Map<string, HeldFinding>();
  try {
    const due = new Date(now.getTime() - KEEP_ALIVE_DAYS * DAY_MS).toISOString();
    await forEachFinding(
      client,
      { ...ownFindingsFilters(item.destination), UpdatedAt: [{ Start: EPOCH, End: due }] },
      calls,
      (finding) => {
        held.set(finding.Id ?? '', heldFinding(finding));
      },
    );
  } catch (error) {
    keepAliveReadFailed(options, item, where, error);
    return;
  }
  try {
    await forEachFinding(
      client,
      { ...ownFindingsFilters(item.destination), ...KEPT_ALIVE_PASSED },
      calls,
      (finding) => {
        const kept = heldFinding(finding);
        if (!held.has(kept.id) && keepAliveDue(kept, now)) held.set(kept.id, kept);
      },
    );
  } catch (error) {
    // Nothing is lost: they are kept alive (NOT_AVAILABLE) once their UpdatedAt is due, as before.
    options.logger?.warn(
      'cannot read the findings an earlier version kept alive as PASSED: they are re-imported NOT_AVAILABLE at their next keep-alive',
      { ...where, error: { code: errorCode(error), message: describeError(error) } },
    );
  }
  item.held = [...held.values()];
}

/**
 * Reported as a destination that could not be read (publishToSecurityHub): its failed scope's
 * findings were not kept alive, and a run that says nothing of it would pass for complete while they
 * drift towards Security Hub's 90-day deletion.
 */
function keepAliveReadFailed(
  options: PublishOptions,
  item: DestinationWork,
  where: { readonly account: string; readonly region: string },
  error: unknown,
): void {
  item.readError = { code: errorCode(error), message: describeError(error) };
  options.logger?.error('cannot read the findings to keep alive of a failed scope', {
    ...where,
    error: item.readError,
  });
}

/**
 * The active findings an earlier version kept alive as PASSED (lifecycle.ts keepAliveDue: due at
 * once, whatever their UpdatedAt): `Compliance.Status` PASSED and a Description opening as every
 * keep-alive's has (lifecycle.ts NOT_EVALUATED_PREFIX, written with the `notEvaluated/since` mark
 * since keep-alives began). Not the mark itself: its value is a time, and a ProductFields filter
 * matches a value whole (the GetFindings MapFilter comparisons of the service model the simulator
 * checks requests against are EQUALS and NOT_EQUALS). A StringFilter PREFIX matches values that
 * start with the filter value; the API reference joins by OR only the filters of one field, so
 * GetFindings ANDs these fields with those of {@link ownFindingsFilters} (an OR across fields is
 * GetFindingsV2's CompositeFilter, on OCSF findings only)
 * (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_StringFilter.html,
 * API_AwsSecurityFindingFilters.html, API_CompositeFilter.html). A FAILED, WARNING or NOT_AVAILABLE
 * finding kept alive keeps its status, and this version keeps a pass alive as NOT_AVAILABLE: none
 * of them matches, so in the steady state this read is one empty page.
 */
const KEPT_ALIVE_PASSED: AwsSecurityFindingFilters = {
  ComplianceStatus: [{ Value: 'PASSED', Comparison: 'EQUALS' }],
  RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }],
  Description: [{ Value: NOT_EVALUATED_PREFIX, Comparison: 'PREFIX' }],
};

/** The start of every UpdatedAt range that means "up to": Security Hub keeps no finding that old. */
const EPOCH = '1970-01-01T00:00:00.000Z';

/**
 * Write each destination's ledger: what it held, updated with what landed this run. A finding whose
 * import did not land keeps its entry without a digest: a call that failed as a whole (a timeout, a
 * 5xx) or a count of failures Security Hub did not name may still have been taken, at this run's
 * UpdatedAt, which the next run's read of what changed since does not reach (it starts a second after
 * the newest entry, this run's). Without a digest the next run sends it again, even when this run's
 * change reverted (a PASSED that may have landed for a database that fails again).
 */
async function writeLedgers(
  options: PublishOptions,
  store: LedgerStore,
  work: ReadonlyMap<string, DestinationWork>,
  outcome: {
    readonly landed: readonly PlannedImport[];
    readonly unlanded: readonly PlannedImport[];
    readonly failed: readonly FailedImport[];
    readonly lookedUp: ReadonlyMap<string, AwsSecurityFinding | null>;
  },
  now: Date,
  calls: Calls,
  counts: { written: number; problems: number },
): Promise<Set<string>> {
  const { landed, unlanded, failed, lookedUp } = outcome;
  /** Destinations whose ledger this run could neither write nor mark given up. */
  const unrecorded = new Set<string>();
  const landedByDestination = new Map<string, PlannedImport[]>();
  for (const entry of landed) {
    const key = keyOf(entry.destination);
    landedByDestination.set(key, [...(landedByDestination.get(key) ?? []), entry]);
  }
  const lookedUpByDestination = new Set([...lookedUp.keys()].map((key) => key.split('\n')[0]));
  // A destination where imports did not land is written even when nothing landed there: Security
  // Hub may have taken them (a call whose answer was lost), at this run's UpdatedAt, and another
  // run of the destination (another group's, planned before these imports) may write the ledger
  // after this one, its newest entry then past them, so the next run's read of what changed since
  // would never see them. Their entries must lose their digest, whoever writes last.
  const failedByDestination = new Set(
    failed.filter((failure) => failure.id !== UNREAD_FINDINGS_ID).map((failure) => keyOf(failure)),
  );
  await mapWithConcurrency([...work], options.concurrency ?? 8, async ([key, item]) => {
    if (item.account === undefined || item.readError || item.partial) return;
    const sent = landedByDestination.get(key) ?? [];
    const untouched =
      !item.reconciled &&
      !item.adopted &&
      sent.length === 0 &&
      !lookedUpByDestination.has(key) &&
      !failedByDestination.has(key);
    if (untouched) return;
    const entries = new Map(
      item.held.map((held) => [held.id, item.reconciled ? digestsCarried(held, item.previous) : held]),
    );
    const gone = new Set<string>();
    for (const [lookupKey, finding] of lookedUp) {
      const [destination, id] = lookupKey.split('\n') as [string, string];
      if (destination !== key) continue;
      // Gone from Security Hub (deleted, or expired): nothing left to track.
      if (finding === null) {
        entries.delete(id);
        gone.add(id);
      } else entries.set(id, heldFinding(finding));
    }
    for (const entry of sent) {
      // The digest the plan computed (it leaves out the finding's drifting observed values).
      entries.set(entry.finding.Id ?? '', { ...heldFinding(entry.finding), contentHash: entry.contentHash });
    }
    // A new finding whose import did not land may still have been taken (its call's answer lost),
    // at this run's UpdatedAt, which the next run's read of what changed since may not reach: it is
    // remembered without a digest, so the next run sends it again while it is reported, and looks it
    // up by Id to archive it once its resource is gone (a finding Security Hub does not hold is then
    // forgotten). A finding the ledger knows keeps its entry, without a digest (below), unless the
    // import would have changed its record state: an archived finding reported again may now be
    // ACTIVE, and an entry left ARCHIVED is one the lifecycle never looks up, so once its resource is
    // gone again it would stay ACTIVE in Security Hub. Recorded ACTIVE without a digest, it is sent
    // again while reported and looked up (archived only if Security Hub holds it ACTIVE) once gone.
    for (const entry of unlanded) {
      const id = entry.finding.Id ?? '';
      if (keyOf(entry.destination) !== key) continue;
      const known = entries.get(id);
      const reactivating = known?.recordState === 'ARCHIVED' && entry.finding.RecordState !== 'ARCHIVED';
      if (known && !reactivating) continue;
      entries.set(id, { ...heldFinding(entry.finding), contentHash: undefined });
    }
    // The UpdatedAt each entry of a finding that did not land had: an entry no later (this run's, or
    // one another run carried and a merge keeps) loses its digest.
    const unsure = new Map<string, number>();
    for (const failure of failed) {
      const entry = entries.get(failure.id);
      if (entry && keyOf(failure) === key) unsure.set(failure.id, Date.parse(entry.updatedAt ?? ''));
    }
    const undigested = (held: HeldFinding): HeldFinding =>
      unsure.has(held.id) && !(Date.parse(held.updatedAt ?? '') > (unsure.get(held.id) as number))
        ? { ...held, contentHash: undefined }
        : held;
    const kept = (held: HeldFinding): boolean =>
      held.recordState !== 'ARCHIVED' || now.getTime() - Date.parse(held.updatedAt ?? '') < ARCHIVED_KEPT_MS;
    const findings = [...entries.values()]
      .filter(kept)
      .map(({ finding: _dropped, ...held }) => undigested(held));
    const where = { account: item.destination.account, region: item.destination.region };
    const ours: Ledger = {
      ...where,
      productArn: productArn(item.destination),
      reconciledAt: item.reconciled ? now.toISOString() : (item.reconciledAt ?? now.toISOString()),
      findings,
    };
    try {
      calls.ledgerWrite += 1;
      let body = encodeLedger(ours);
      let version = item.ledgerVersion;
      let merges = 0;
      for (let attempt = 1; ; attempt += 1) {
        try {
          await store.write(where, body, version);
          break;
        } catch (error) {
          if (!(error instanceof LedgerConflictError) || attempt >= LEDGER_WRITE_ATTEMPTS) throw error;
          // Another run (a job started at the same time, for other check groups: the three default
          // schedules meet about daily) wrote it since it was read: after a short jittered pause,
          // merge this run's ledger into what is there now and write again, conditionally; each
          // merge is of this run's own ledger, so its rules hold whichever run wrote last. A ledger
          // another run removed, or gave up (LedgerGivenUpError, from decodeLedger), is not
          // written: it may miss that run's imports, and so would this run's merge.
          await sleep(backoffDelay(attempt, options.retry?.baseDelayMs ?? DEFAULT_BASE_DELAY_MS));
          calls.ledgerRead += 1;
          const stored = await store.read(where);
          if (!stored) throw error;
          const theirs = decodeLedger(stored.body, { ...where, productArn: ours.productArn });
          const merged = mergeLedgers(theirs, ours, item.base, gone);
          body = encodeLedger({ ...merged, findings: merged.findings.filter(kept).map(undigested) });
          version = stored.version;
          merges += 1;
          calls.ledgerWrite += 1;
        }
      }
      if (merges > 0) {
        options.logger?.info('import ledger changed by another run: merged into it', { ...where, merges });
      }
      counts.written += 1;
    } catch (error) {
      counts.problems += 1;
      if (error instanceof LedgerGivenUpError) {
        // Another run could not write its own: the next run reads Security Hub in full anyway.
        options.logger?.warn('import ledger given up by another run: left so, the next run reconciles', {
          ...where,
          error: { code: errorCode(error), message: describeError(error) },
        });
        return;
      }
      // Every attempt found it changed by another run, or another run removed it, or the store failed:
      // a ledger that may not match Security Hub must not be trusted, so give it up and let the next
      // run reconcile.
      options.logger?.warn(
        error instanceof LedgerConflictError
          ? 'import ledger changed by another run: given up, the next run reconciles'
          : 'import ledger not written: given up, the next run reconciles',
        { ...where, error: { code: errorCode(error), message: describeError(error) } },
      );
      if (!(await giveUpLedger(options, store, where, ours.productArn, error, now, calls)))
        unrecorded.add(key);
    }
  });
  return unrecorded;
}

/**
 * Replace a ledger this run could not write with the marker of a ledger given up
 * ({@link encodeGivenUpLedger}: why not only remove it), or remove it when the store cannot overwrite
 * or the overwrite fails; true when the marker was written. Without it, what is left is the overlap
 * the marker closes (a run that read no ledger before this run's imports may create one without
 * them, and with the ledger not removed, one that read it may write it back without them), which
 * {@link redateUnrecorded} then closes from Security Hub's side.
 */
async function giveUpLedger(
  options: PublishOptions,
  store: LedgerStore,
  where: { readonly account: string; readonly region: string },
  productArnValue: string,
  cause: unknown,
  now: Date,
  calls: Calls,
): Promise<boolean> {
  const problem = (error: unknown) => ({
    ...where,
    error: { code: errorCode(error), message: describeError(error) },
  });
  if (store.overwrite) {
    try {
      calls.ledgerWrite += 1;
      await store.overwrite(
        where,
        encodeGivenUpLedger({
          ...where,
          productArn: productArnValue,
          at: now.toISOString(),
          reason: `${errorCode(cause)}: ${describeError(cause)}`,
        }),
      );
      return true;
    } catch (error) {
      options.logger?.warn('import ledger could not be marked given up: removing it', problem(error));
    }
  }
  try {
    calls.ledgerWrite += 1;
    await store.remove(where);
  } catch (removeError) {
    options.logger?.error('import ledger could not be removed', problem(removeError));
  }
  return false;
}

/**
 * Send again, dated later, what this run imported (or may have) into the destinations whose ledger
 * it could neither write nor mark given up (`unrecorded`). A run of another check group that read the
 * ledger, or Security Hub in full, before these imports can still write a ledger without them
 * (conditionally on the version it read, which nothing changed, or on there being none), its newest
 * entry (its own imports) as late as theirs or later; a later run's read of what changed since that
 * entry would never see them, and would plan from the entries they replaced (a PASSED left in
 * Security Hub for a database that fails again). The store refused what would have told that run;
 * Security Hub is the other place the next run reads. Such a run started before these imports, so
 * its imports are dated before this run's clock now (or just past the newest update it read, as
 * this run's are, {@link importTime}); sent again a second past both, they fall in the next run's
 * read of what changed, which adopts them. An import that had not landed and lands now counts as
 * landed; one that had and does not now is reported failed, as the next run may then plan from a
 * ledger without it until the destination's next reconciliation.
 */
async function redateUnrecorded(
  options: PublishOptions,
  work: ReadonlyMap<string, DestinationWork>,
  unrecorded: ReadonlySet<string>,
  outcome: {
    readonly landed: PlannedImport[];
    readonly unlanded: PlannedImport[];
    readonly failed: FailedImport[];
  },
  calls: Calls,
): Promise<{ findings: number; sent: number }> {
  const clock = (options.now ?? (() => new Date()))().getTime();
  const wasUnlanded = new Set(outcome.unlanded);
  let findings = 0;
  let sent = 0;
  await mapWithConcurrency([...unrecorded], options.concurrency ?? 8, async (key) => {
    const item = work.get(key);
    if (!item?.account) return;
    const here = (entry: PlannedImport): boolean => keyOf(entry.destination) === key;
    const planned = [...outcome.landed.filter(here), ...outcome.unlanded.filter(here)];
    if (planned.length === 0) return;
    let latest = clock;
    for (const entry of planned)
      latest = Math.max(latest, Date.parse(entry.finding.UpdatedAt ?? '') || latest);
    const updatedAt = new Date(latest + CHANGED_SINCE_GAP_MS + 1).toISOString();
    const copies = new Map(
      planned.map((entry): [PlannedImport, PlannedImport] => [
        { ...entry, finding: { ...entry.finding, UpdatedAt: updatedAt } },
        entry,
      ]),
    );
    const client = options.factory.client(SecurityHubClient, item.destination.region, item.account);
    const result = await importWithRetry(client, [...copies.keys()], options.retry, calls);
    findings += copies.size;
    sent += result.sent;
    const failureOf = (entry: PlannedImport): number =>
      outcome.failed.findIndex(
        (failure) => failure.id === entry.finding.Id && keyOf(failure) === keyOf(entry.destination),
      );
    for (const copy of result.landed) {
      const entry = copies.get(copy) as PlannedImport;
      if (!wasUnlanded.has(entry)) continue;
      const index = failureOf(entry);
      if (index >= 0) outcome.failed.splice(index, 1);
      outcome.landed.push(entry);
    }
    const notRedated: FailedImport[] = [];
    for (const failure of result.failed) {
      const entry = planned.find((candidate) => candidate.finding.Id === failure.id);
      if (!entry || wasUnlanded.has(entry)) continue;
      outcome.landed.splice(outcome.landed.indexOf(entry), 1);
      notRedated.push({
        ...failure,
        message: `imported, but its ledger could be neither written nor marked given up, and sending it again dated later (so that the next run's read of what changed since sees it) failed: ${failure.message}; a run that overlapped this one may have written a ledger without it, which later runs plan from until the next reconciliation`,
      });
    }
    outcome.failed.push(...notRedated);
    const log = notRedated.length > 0 ? options.logger?.error : options.logger?.warn;
    log?.call(
      options.logger,
      'import ledger could be neither written nor marked given up: this run’s imports sent again, dated past any ledger written meanwhile',
      {
        account: item.destination.account,
        region: item.destination.region,
        updatedAt,
        sent: copies.size,
        failed: notRedated.length,
      },
    );
  });
  return { findings, sent };
}

/**
 * The re-import of a finding whose check threw, when Security Hub holds it archived (`held`) or not at
 * all: its CreatedAt kept and its UpdatedAt after the one held (Security Hub ignores an update that is
 * not newer, and the ledger that planned it did not know the archive's).
 */
function reopenedAfter(reopen: PlannedImport, held: AwsSecurityFinding | undefined): PlannedImport {
  const heldAt = Date.parse(held?.UpdatedAt ?? '');
  const at = Date.parse(reopen.finding.UpdatedAt ?? '');
  return {
    ...reopen,
    finding: {
      ...reopen.finding,
      ...(held?.CreatedAt ? { CreatedAt: held.CreatedAt } : {}),
      ...(heldAt >= at ? { UpdatedAt: new Date(heldAt + 1).toISOString() } : {}),
    },
  };
}

/**
 * `held`, read back in full, with the digest the ledger as read (`previous`) recorded for the same
 * import (the same UpdatedAt). Read back, a finding this run does not report (another check group's)
 * is digested without the observed values its own run knows to drift (they are not in the ASFF), so
 * its next run would find every drifting finding changed and re-import it; the digest recorded when
 * it was imported was made with them. Another version (another writer's) keeps the digest read.
 */
function digestsCarried(
  held: HeldFinding,
  previous: ReadonlyMap<string, HeldFinding> | undefined,
): HeldFinding {
  const recorded = previous?.get(held.id);
  if (recorded?.contentHash === undefined || held.updatedAt === undefined) return held;
  if (Date.parse(recorded.updatedAt ?? '') !== Date.parse(held.updatedAt)) return held;
  return { ...held, contentHash: recorded.contentHash };
}

function keyOf(destination: Pick<Destination, 'account' | 'region'>): string {
  return `${destination.account}/${destination.region}`;
}

/** Which credentials publish into an account; undefined when none may (see `PublishOptions.accounts`). */
function publishingAccounts(options: PublishOptions): (accountId: string) => PublishAccount | undefined {
  const byId = new Map(options.accounts.map((account) => [account.accountId, account]));
  const central = options.policy.securityHub.centralAccountId;
  return (accountId) => {
    const listed = byId.get(accountId);
    if (listed) return listed;
    if (options.accounts.length === 0 || accountId === central) return { accountId };
    return undefined;
  };
}

/**
 * Every finding of this product held in `destination`, page by page, each kept as a
 * {@link HeldFinding} (a finding this run reports unchanged is kept as its digest only), so memory
 * does not grow with the whole ASFF of an unchanged fleet.
 */
async function readExisting(
  factory: SecurityHubClientSource,
  destination: Destination,
  account: PublishAccount,
  calls: { getFindings: number },
  reported: () => ReportedDigests,
): Promise<HeldFinding[]> {
  const client = factory.client(SecurityHubClient, destination.region, account);
  const findings: HeldFinding[] = [];
  await forEachFinding(client, ownFindingsFilters(destination), calls, (finding) => {
    findings.push(heldFinding(finding, reported()));
  });
  return findings;
}

/** This product's findings in a destination: its product, account and generator prefix. */
function ownFindingsFilters(destination: Destination): AwsSecurityFindingFilters {
  return {
    ProductArn: [{ Value: productArn(destination), Comparison: 'EQUALS' }],
    AwsAccountId: [{ Value: destination.account, Comparison: 'EQUALS' }],
    GeneratorId: [{ Value: ASFF_ID_PREFIX, Comparison: 'PREFIX' }],
  };
}

/** Visit every finding `filters` select, page by page, counting each GetFindings call. */
async function forEachFinding(
  client: SecurityHubClient,
  filters: AwsSecurityFindingFilters,
  calls: { getFindings: number },
  visit: (finding: AwsSecurityFinding) => void,
): Promise<void> {
  let nextToken: string | undefined;
  const nextPage = pageTokens('GetFindings', 'RepeatedNextToken', 'NextToken');
  do {
    calls.getFindings += 1;
    const page = await client.send(
      new GetFindingsCommand({
        Filters: filters,
        MaxResults: 100,
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    for (const finding of page.Findings ?? []) visit(finding);
    nextToken = nextPage(page.NextToken);
  } while (nextToken);
}

/** GetFindings accepts at most 20 values per filter field (AwsSecurityFindingFilters, StringFilter). */
const IDS_PER_READ = 20;

/** The findings of `lookups` Security Hub holds, by Id, read 20 Ids per call. */
async function readByIds(
  factory: SecurityHubClientSource,
  destination: Destination,
  account: PublishAccount,
  lookups: readonly FindingLookup[],
  calls: { getFindings: number },
): Promise<Map<string, AwsSecurityFinding>> {
  const client = factory.client(SecurityHubClient, destination.region, account);
  const found = new Map<string, AwsSecurityFinding>();
  for (let start = 0; start < lookups.length; start += IDS_PER_READ) {
    const ids = lookups.slice(start, start + IDS_PER_READ).map((lookup) => lookup.id);
    const filters: AwsSecurityFindingFilters = {
      ProductArn: [{ Value: productArn(destination), Comparison: 'EQUALS' }],
      Id: ids.map((id) => ({ Value: id, Comparison: 'EQUALS' })),
    };
    await forEachFinding(client, filters, calls, (finding) => {
      if (finding.Id) found.set(finding.Id, finding);
    });
  }
  return found;
}

function failure(entry: PlannedImport, code: string, message: string): FailedImport {
  return {
    id: entry.finding.Id ?? '',
    account: entry.destination.account,
    region: entry.destination.region,
    code,
    message,
  };
}

async function importWithRetry(
  client: SecurityHubClient,
  planned: readonly PlannedImport[],
  retry: PublishRetryOptions | undefined,
  calls: { batchImport: number },
): Promise<{ landed: PlannedImport[]; failed: FailedImport[]; unlanded: PlannedImport[]; sent: number }> {
  const attempts = Math.max(1, retry?.attempts ?? DEFAULT_ATTEMPTS);
  const baseDelayMs = retry?.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const landed: PlannedImport[] = [];
  // Imports a call may have taken though its answer did not say so (a call that failed without a
  // permanent error, whose answer may have been lost; a failure count no Id accounts for). One
  // refused by name, or by a call Security Hub refused outright, did not land, on every attempt.
  const untold = new Set<PlannedImport>();
  let pending: { entry: PlannedImport; code: string; message: string; permanent: boolean }[] = planned.map(
    (entry) => ({ entry, code: '', message: '', permanent: false }),
  );
  let sent = 0;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    const toSend = pending.filter((item) => !item.permanent);
    if (toSend.length === 0) break;
    if (attempt > 1) await sleep(backoffDelay(attempt - 1, baseDelayMs));
    const stillFailing: typeof pending = pending.filter((item) => item.permanent);
    for (const chunk of importBatches(toSend, (item) => item.entry.finding)) {
      calls.batchImport += 1;
      sent += chunk.length;
      try {
        const answer = await client.send(
          new BatchImportFindingsCommand({ Findings: chunk.map((item) => item.entry.finding) }),
        );
        const rejected = new Map((answer.FailedFindings ?? []).map((item) => [item.Id, item]));
        // FailedFindings is optional in the API model: a FailedCount it does not account for leaves
        // unknown which findings landed, and one recorded as landed would not be sent again while the
        // import ledger says it was (until the next reconciliation). So does a failure named by no Id
        // of this call (an entry without one, or with another): only failures that name a finding
        // sent account for the count. None unnamed counts as landed.
        const sentIds = new Set(chunk.map((item) => item.entry.finding.Id));
        const named = [...rejected.keys()].filter((id) => sentIds.has(id)).length;
        const unnamed = Math.max(answer.FailedCount ?? 0, (answer.FailedFindings ?? []).length) - named;
        for (const item of chunk) {
          const rejection = rejected.get(item.entry.finding.Id);
          if (!rejection && unnamed > 0) {
            untold.add(item.entry);
            stillFailing.push({
              entry: item.entry,
              code: 'UnnamedFailedFindings',
              message: `Security Hub counted ${named + unnamed} failed findings in the call but named ${named} of those it carried: whether this one landed cannot be told`,
              permanent: false,
            });
          } else if (!rejection) landed.push(item.entry);
          else {
            stillFailing.push({
              entry: item.entry,
              code: rejection.ErrorCode ?? 'Unknown',
              message: rejection.ErrorMessage ?? '',
              permanent: PERMANENT_FINDING_ERRORS.has(rejection.ErrorCode ?? ''),
            });
          }
        }
      } catch (error) {
        const code = errorCode(error);
        const permanent = PERMANENT_CALL_ERRORS.has(code);
        for (const item of chunk) {
          if (!permanent) untold.add(item.entry);
          stillFailing.push({ entry: item.entry, code, message: describeError(error), permanent });
        }
      }
    }
    pending = stillFailing;
  }
  return {
    landed,
    failed: pending.map((item) => failure(item.entry, item.code, item.message)),
    unlanded: pending.map((item) => item.entry).filter((entry) => untold.has(entry)),
    sent,
  };
}

/** The bytes `{"Findings":[` and `]}` add to a request around its findings. */
const REQUEST_ENVELOPE_BYTES = 16;

/**
 * `items` in BatchImportFindings calls of at most {@link ASFF_LIMITS.batch} findings and
 * {@link ASFF_LIMITS.batchBytes} bytes of JSON, in order. A finding is at most 240 KB (validateAsff),
 * so every call holds at least one.
 */
export function importBatches<T>(items: readonly T[], findingOf: (item: T) => AwsSecurityFinding): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let bytes = REQUEST_ENVELOPE_BYTES;
  for (const item of items) {
    // Each finding after the first adds its comma.
    const size = Buffer.byteLength(JSON.stringify(findingOf(item)), 'utf8') + 1;
    if (batch.length > 0 && (batch.length >= ASFF_LIMITS.batch || bytes + size > ASFF_LIMITS.batchBytes)) {
      batches.push(batch);
      batch = [];
      bytes = REQUEST_ENVELOPE_BYTES;
    }
    batch.push(item);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
