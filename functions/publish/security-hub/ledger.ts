/**
 * The import ledger: per destination (account, region), what this product last imported into
 * Security Hub, so a run decides create, update, refresh, resolve and archive without reading every
 * held finding back (`GetFindings` cannot be scoped by IAM and returns the whole hub's findings;
 * 60,000 findings are about 117 MB of JSON a run).
 *
 * Each entry keeps the finding Id, the digest of its material fields (`contentHash`), CreatedAt,
 * UpdatedAt, record state, compliance status and scope: what the lifecycle decides from, as imported
 * (a PASSED finding kept alive is recorded NOT_AVAILABLE, as Security Hub holds it). Archiving
 * needs the whole finding; it is read by Id, so reads scale with changes.
 *
 * The ledger is a cache of Security Hub, never the truth: a ledger that is missing, unreadable,
 * of another format, or older than `securityHub.reconcileDays` since its last full read is replaced
 * by a full read (reconciliation) of that destination. Finding Ids are deterministic, so a stale
 * ledger can cause a finding to be sent again (an update of the same Id), never a duplicate; an
 * entry that no longer says what Security Hub holds (drift the `UpdatedAt` read of each run cannot
 * see) is corrected, and a finding it does not know archived, at the next reconciliation at the
 * latest. An entry without a digest (its finding's import did not land, and may still have been
 * taken) is sent again at the next run.
 *
 * Encoding: gzip of one JSON document (node:zlib, no dependency). Entries are arrays, scopes a table.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Scope } from '../../core/audit.ts';
import { BackupGuardError } from '../../core/errors.ts';
import { CHECK_GROUP_NAME } from '../../core/finding.ts';
import type { Destination } from './asff.ts';
import type { HeldFinding } from './lifecycle.ts';

/** The format name and version a ledger document carries; any other is read as missing. */
export const LEDGER_FORMAT = 'certctl-backup-guard/import-ledger';
export const LEDGER_VERSION = 1;

/**
 * The format of the marker a run leaves in place of a ledger it could not write (see
 * {@link encodeGivenUpLedger}): read as "reconcile in full", never merged into.
 */
export const LEDGER_GIVEN_UP_FORMAT = 'certctl-backup-guard/import-ledger-given-up';

/** A ledger as stored: its bytes and the store's version of them (an S3 ETag), for a conditional write. */
export interface StoredLedger {
  readonly body: Uint8Array;
  readonly version: string;
}

/**
 * Where ledgers are kept, one object per destination. Small on purpose: the publisher knows nothing of
 * the store's client (functions/aws/ledger-store.ts is the S3 one).
 */
export interface LedgerStore {
  /** The destination's ledger; `undefined` when there is none. Throws when it cannot be read. */
  read(destination: Pick<Destination, 'account' | 'region'>): Promise<StoredLedger | undefined>;
  /**
   * Replace the destination's ledger only if it is still `previous` (its version), or still absent
   * when `previous` is undefined; otherwise throw {@link LedgerConflictError} (another run wrote it).
   */
  write(
    destination: Pick<Destination, 'account' | 'region'>,
    body: Uint8Array,
    previous: string | undefined,
  ): Promise<void>;
  /**
   * Replace the destination's ledger whatever it is now (or create it): only for the marker of a
   * ledger given up ({@link encodeGivenUpLedger}). Without it the publisher removes a ledger it gives
   * up, and a run that read none before this run's imports may then create one that misses them.
   */
  overwrite?(destination: Pick<Destination, 'account' | 'region'>, body: Uint8Array): Promise<void>;
  /** Delete the destination's ledger (its next run reconciles in full); absent is fine. */
  remove(destination: Pick<Destination, 'account' | 'region'>): Promise<void>;
  /**
   * The regions in which `account` has a ledger: where this product has held findings of it. The
   * publisher asks it only for an account with a failed scope, whose findings in a region this run
   * did not read must still be kept alive, in these regions as well as those of the policy and the
   * report (the only ones a store without it leaves).
   */
  regionsOf?(account: string): Promise<readonly string[]>;
}

/** A ledger could not be decoded (corrupt, truncated, of another destination). The run reads Security Hub instead. */
export class LedgerUnreadableError extends BackupGuardError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LedgerUnreadableError';
  }
}

/**
 * The ledger was given up by a run that could not write it ({@link encodeGivenUpLedger}): the run
 * reads Security Hub in full, and no run merges its own ledger into the marker.
 */
export class LedgerGivenUpError extends LedgerUnreadableError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LedgerGivenUpError';
  }
}

/** Another run replaced the ledger between this run's read and its write. */
export class LedgerConflictError extends BackupGuardError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LedgerConflictError';
  }
}

/** A destination's ledger, decoded. */
export interface Ledger {
  readonly account: string;
  readonly region: string;
  readonly productArn: string;
  /** When Security Hub was last read in full for this destination (ISO 8601). */
  readonly reconciledAt: string;
  readonly findings: readonly HeldFinding[];
}

type Entry = [
  id: string,
  contentHash: string | null,
  createdAt: string | null,
  updatedAt: string | null,
  state: 'A' | 'R',
  compliance: string | null,
  scope: number | null,
  /** Absent (a 7-element entry) unless the finding was last kept alive. */
  notEvaluatedSince?: string,
];

interface LedgerDocument {
  format: string;
  version: number;
  account: string;
  region: string;
  productArn: string;
  reconciledAt: string;
  scopes: [Scope['provider'], string, string, string][];
  findings: Entry[];
}

/** The bytes of a ledger. */
export function encodeLedger(ledger: Ledger): Uint8Array {
  const scopes: LedgerDocument['scopes'] = [];
  const scopeIndex = new Map<string, number>();
  const findings: Entry[] = [];
  for (const held of ledger.findings) {
    let scope: number | null = null;
    if (held.scope) {
      const { provider, account, region, group } = held.scope;
      const key = `${provider}/${account}/${region}/${group}`;
      scope = scopeIndex.get(key) ?? null;
      if (scope === null) {
        scope = scopes.length;
        scopeIndex.set(key, scope);
        scopes.push([provider, account, region, group]);
      }
    }
    const entry: Entry = [
      held.id,
      held.contentHash ?? null,
      held.createdAt ?? null,
      held.updatedAt ?? null,
      held.recordState === 'ARCHIVED' ? 'R' : 'A',
      held.complianceStatus ?? null,
      scope,
    ];
    if (held.notEvaluatedSince) entry.push(held.notEvaluatedSince);
    findings.push(entry);
  }
  const document: LedgerDocument = {
    format: LEDGER_FORMAT,
    version: LEDGER_VERSION,
    account: ledger.account,
    region: ledger.region,
    productArn: ledger.productArn,
    reconciledAt: ledger.reconciledAt,
    scopes,
    findings,
  };
  return gzipSync(JSON.stringify(document));
}

/**
 * The marker a run leaves when it cannot write its ledger (a store failure, or every conditional
 * write found it changed or removed), in place of the ledger. Removing the ledger is not enough: a run
 * of another group that read no ledger (or read Security Hub in full) before this run's imports may
 * then create one with a conditional write for an absent object, whose newest entry (its own imports)
 * is later than this run's, so the next run's read of what changed since would never see them and
 * would plan from entries they replaced. The marker is present, so that write fails; that run finds
 * the marker and leaves it; and the next run reads it as missing (a full read after these imports)
 * and replaces it conditionally on its version. Its bytes are gzip JSON of another format: a version
 * that does not know it finds the ledger unreadable and reconciles too.
 */
export function encodeGivenUpLedger(marker: {
  readonly account: string;
  readonly region: string;
  readonly productArn: string;
  /** When the run that gave it up started (ISO 8601). */
  readonly at: string;
  /** Why its ledger could not be written. */
  readonly reason: string;
}): Uint8Array {
  return gzipSync(JSON.stringify({ format: LEDGER_GIVEN_UP_FORMAT, version: LEDGER_VERSION, ...marker }));
}

const nullableString = (value: unknown): value is string | null =>
  value === null || typeof value === 'string';

/**
 * Decode a destination's ledger; throws {@link LedgerUnreadableError} when it is corrupt, of another
 * format or version, or of another destination or product.
 */
export function decodeLedger(
  body: Uint8Array,
  expected: { account: string; region: string; productArn: string },
): Ledger {
  let document: LedgerDocument;
  try {
    document = JSON.parse(gunzipSync(body).toString('utf8')) as LedgerDocument;
  } catch (error) {
    throw new LedgerUnreadableError(`the import ledger is not gzip JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const unreadable = (why: string): never => {
    throw new LedgerUnreadableError(`the import ledger of ${expected.account}/${expected.region} ${why}`);
  };
  if (!document || typeof document !== 'object') unreadable('is not a JSON object');
  if (
    document.format === LEDGER_GIVEN_UP_FORMAT &&
    document.account === expected.account &&
    document.region === expected.region
  ) {
    const marker = document as unknown as { at?: unknown; reason?: unknown };
    throw new LedgerGivenUpError(
      `the import ledger of ${expected.account}/${expected.region} was given up by the run of ${String(marker.at)}, which could not write it (${String(marker.reason)}): Security Hub is read in full`,
    );
  }
  if (document.format !== LEDGER_FORMAT || document.version !== LEDGER_VERSION) {
    unreadable(
      `has format ${String(document.format)} v${String(document.version)}, not ${LEDGER_FORMAT} v${LEDGER_VERSION}`,
    );
  }
  if (document.account !== expected.account || document.region !== expected.region) {
    unreadable(`names ${String(document.account)}/${String(document.region)}`);
  }
  if (document.productArn !== expected.productArn)
    unreadable(`is for product ${String(document.productArn)}`);
  if (typeof document.reconciledAt !== 'string' || !Number.isFinite(Date.parse(document.reconciledAt))) {
    unreadable('has no valid reconciledAt');
  }
  if (!Array.isArray(document.scopes) || !Array.isArray(document.findings))
    unreadable('has no scopes or findings');
  const scopes: Scope[] = document.scopes.map((entry, index) => {
    const [provider, account, region, group] = Array.isArray(entry) ? entry : [];
    if (
      (provider !== 'aws' && provider !== 'gcp') ||
      typeof account !== 'string' ||
      typeof region !== 'string'
    ) {
      return unreadable(`has an invalid scope at ${index}`);
    }
    if (typeof group !== 'string' || !CHECK_GROUP_NAME.test(group))
      return unreadable(`has an invalid scope at ${index}`);
    return { provider, account, region, group };
  });
  const findings = document.findings.map((entry, index): HeldFinding => {
    if (!Array.isArray(entry) || (entry.length !== 7 && entry.length !== 8))
      return unreadable(`has an invalid entry at ${index}`);
    const [id, hash, createdAt, updatedAt, state, compliance, scope, notEvaluatedSince] = entry;
    const valid =
      typeof id === 'string' &&
      id.length > 0 &&
      nullableString(hash) &&
      nullableString(createdAt) &&
      nullableString(updatedAt) &&
      (state === 'A' || state === 'R') &&
      nullableString(compliance) &&
      (scope === null || (Number.isInteger(scope) && scope >= 0 && scope < scopes.length)) &&
      (entry.length === 7 || (typeof notEvaluatedSince === 'string' && notEvaluatedSince.length > 0));
    if (!valid) return unreadable(`has an invalid entry at ${index}`);
    return {
      id,
      productArn: document.productArn,
      account: document.account,
      region: document.region,
      createdAt: createdAt ?? undefined,
      updatedAt: updatedAt ?? undefined,
      recordState: state === 'R' ? 'ARCHIVED' : 'ACTIVE',
      complianceStatus: compliance ?? undefined,
      scope: scope === null ? undefined : scopes[scope],
      contentHash: hash ?? undefined,
      ...(notEvaluatedSince ? { notEvaluatedSince } : {}),
    };
  });
  return {
    account: document.account,
    region: document.region,
    productArn: document.productArn,
    reconciledAt: document.reconciledAt,
    findings,
  };
}

/**
 * Whether `ledger` holds an active finding about the whole AWS account `account` in one of `groups`
 * (scope region `*`): one an audit of every region wrote when the account's regions could not be
 * listed. It lives in the home region, which a policy that lists its regions reads only while one is
 * held (lifecycle.ts destinationsToRead), so that it is archived rather than left to expire.
 */
export function holdsWholeAccountFinding(
  ledger: Pick<Ledger, 'findings'>,
  account: string,
  groups: ReadonlySet<string>,
): boolean {
  return ledger.findings.some(
    ({ recordState, scope }) =>
      recordState === 'ACTIVE' &&
      scope?.provider === 'aws' &&
      scope.account === account &&
      scope.region === '*' &&
      groups.has(scope.group),
  );
}

/**
 * `ours` merged into `theirs`, the ledger another run wrote since this run read its own (`base`, or
 * none when this run read Security Hub in full). Security Hub keeps, per finding, the import with the
 * latest UpdatedAt, so per finding the later of the two entries is what it holds. An entry this run
 * only carried from `base` gives way to theirs, even to its absence (that run found the finding gone);
 * a finding this run found gone (`gone`) is dropped unless theirs is later than what this run had.
 * When a write of the merge conflicts again, the publisher merges the same `ours` into the ledger read
 * anew (up to its write attempts), so these rules hold whichever run wrote last.
 *
 * The merge is reconciled as of the later of the two only when this run was planned from a ledger
 * (its carried entries gave way to theirs). When this run read Security Hub in full, theirs may carry
 * entries of findings that read no longer found (deleted outside the product), and which of them
 * Security Hub lost cannot be told from theirs: the merge keeps their reconciliation time, so the
 * next run reconciles instead of planning from entries nobody checked.
 */
export function mergeLedgers(
  theirs: Ledger,
  ours: Ledger,
  base: ReadonlyMap<string, string | undefined> | undefined,
  gone: ReadonlySet<string>,
): Ledger {
  const time = (at: string | undefined): number => {
    const parsed = Date.parse(at ?? '');
    return Number.isFinite(parsed) ? parsed : Number.NEGATIVE_INFINITY;
  };
  const merged = new Map(theirs.findings.map((finding) => [finding.id, finding]));
  for (const finding of ours.findings) {
    if (base?.has(finding.id) && time(base.get(finding.id)) === time(finding.updatedAt)) continue;
    const other = merged.get(finding.id);
    if (!other || time(finding.updatedAt) > time(other.updatedAt)) merged.set(finding.id, finding);
  }
  for (const id of gone) {
    const other = merged.get(id);
    if (other && time(other.updatedAt) <= time(base?.get(id))) merged.delete(id);
  }
  return {
    ...ours,
    reconciledAt:
      base === undefined || time(theirs.reconciledAt) > time(ours.reconciledAt)
        ? theirs.reconciledAt
        : ours.reconciledAt,
    findings: [...merged.values()],
  };
}

/** What the ledgers say the audits last published: active findings by status, and when. */
export interface LedgerSummary {
  /**
   * The newest UpdatedAt of an active finding whose import landed (the last published change,
   * refresh or keep-alive).
   */
  readonly at: string | undefined;
  /**
   * Active findings as last evaluated, by compliance status (`PASSED`, `FAILED`, `WARNING`,
   * `NOT_AVAILABLE`): neither kept alive nor unconfirmed.
   */
  readonly counts: Readonly<Record<string, number>>;
  /**
   * Active findings last kept alive, not re-evaluated since (their scope failed, or their check
   * threw): their status is an older run's, or NOT_AVAILABLE for one that last passed.
   */
  readonly keptAlive: number;
  /**
   * Active entries whose last import's outcome is unknown (no digest: its call failed or its answer
   * was lost): Security Hub may hold that import or the one before.
   */
  readonly unconfirmed: number;
  /** The destinations read, `account/region`. */
  readonly destinations: readonly string[];
  /**
   * The destination whose newest active finding is the oldest, when the destinations differ: the
   * summary mixes what each last published, and the newest time alone would pass it all for current.
   */
  readonly oldest?: { readonly destination: string; readonly at: string | undefined };
}

/**
 * Summarize ledgers: archived findings (gone resources) are left out. UpdatedAt values are compared
 * as the instants they name, not as text: Security Hub takes any RFC 3339 form from a writer (with or
 * without fractional seconds, `Z` or an offset), and as text `…00Z` sorts after `…00.500Z` and
 * `13:30+02:00` after `12:00Z`. One that names no instant dates nothing.
 */
export function ledgerSummary(ledgers: readonly Ledger[]): LedgerSummary {
  const counts: Record<string, number> = {};
  let keptAlive = 0;
  let unconfirmed = 0;
  const instant = (at: string | undefined): number => {
    const parsed = Date.parse(at ?? '');
    return Number.isFinite(parsed) ? parsed : Number.NEGATIVE_INFINITY;
  };
  let at: string | undefined;
  const newestOf: { destination: string; at: string | undefined }[] = [];
  for (const ledger of ledgers) {
    let newest: string | undefined;
    for (const finding of ledger.findings) {
      if (finding.recordState !== 'ACTIVE') continue;
      if (finding.contentHash === undefined) {
        // Not known to have landed: its status and time may be of an import Security Hub never took.
        unconfirmed += 1;
        continue;
      }
      if (finding.notEvaluatedSince !== undefined) keptAlive += 1;
      else {
        const status = finding.complianceStatus ?? 'UNKNOWN';
        counts[status] = (counts[status] ?? 0) + 1;
      }
      if (instant(finding.updatedAt) > instant(newest)) newest = finding.updatedAt;
    }
    if (instant(newest) > instant(at)) at = newest;
    newestOf.push({ destination: `${ledger.account}/${ledger.region}`, at: newest });
  }
  // A destination with no active finding published nothing to date: it counts as the oldest.
  const oldest = [...newestOf].sort((a, b) => Math.sign(instant(a.at) - instant(b.at)) || 0)[0];
  return {
    at,
    counts,
    keptAlive,
    unconfirmed,
    destinations: newestOf.map((entry) => entry.destination),
    ...(oldest && instant(oldest.at) !== instant(at) ? { oldest } : {}),
  };
}
