/**
 * One run per request key over a store of records, the design of Powertools Idempotency
 * (https://docs.powertools.aws.dev/lambda/typescript/latest/features/idempotency/) for stores that
 * are not DynamoDB: the first caller claims the key with a create-if-absent write (an INPROGRESS
 * record with an expiry), runs, and replaces the record with the result (COMPLETED); a caller that
 * finds the record gets the result, or "in progress"; a run that throws deletes its claim so a later
 * delivery runs again; an INPROGRESS record whose run died (past its expiry) is taken over. A result
 * that cannot be recorded (the store refused the write, or the claim was taken over during the run)
 * is still returned, and `onRecordError` is told (the work was done and must be reported).
 * The GCP chat function keeps its records in Cloud Storage (functions/gcp/chat-records.ts).
 */

/** A stored record, and the version the store needs to replace or delete exactly it. */
export interface StoredRecord {
  readonly record: RequestRecord;
  readonly version: string;
}

export type RequestRecord =
  | {
      readonly status: 'INPROGRESS';
      readonly expiresAt: string;
      /**
       * When the run that claimed the key was accepted; a later run that takes an expired claim over
       * hands it on ({@link runOncePerKey}). Absent in claims written before it was kept.
       */
      readonly acceptedAt?: string;
    }
  | { readonly status: 'COMPLETED'; readonly expiresAt: string; readonly result: unknown };

/** Where records live: conditional writes are what make one run per key possible. */
export interface RequestRecordStore {
  /** Create the record unless one exists: its version, or undefined when one exists. */
  create(key: string, record: RequestRecord): Promise<string | undefined>;
  /** The record, or undefined when there is none. */
  read(key: string): Promise<StoredRecord | undefined>;
  /** Replace the record if it is still at `version`; false when it is not. */
  replace(key: string, record: RequestRecord, version: string): Promise<boolean>;
  /** Delete the record if it is still at `version` (absent is fine). */
  remove(key: string, version: string): Promise<void>;
}

export type OnceOutcome<T> =
  | { readonly firstRun: true; readonly result: T }
  | { readonly firstRun: false; readonly result: T }
  | { readonly inProgress: true };

export interface RunOnceOptions {
  /** How long a finished request is remembered. */
  readonly keepMs: number;
  /** How long a claim holds before another delivery may take it over (the run's own deadline). */
  readonly claimMs: number;
  readonly now?: () => Date;
  /**
   * Told when the finished run's result could not be recorded: the write failed, or another caller
   * took the claim over during the run (the result is returned anyway).
   */
  readonly onRecordError?: (error: unknown) => void;
}

/**
 * Run `run` once for `key`: see the module comment. `run` is handed when the key was first accepted,
 * when this call took over the expired claim of an earlier run that kept it (one that died after
 * doing part of the work: functions/actions/snapshot/run.ts `firstAcceptedAt`), else nothing.
 */
export async function runOncePerKey<T>(
  key: string,
  run: (recordStart?: Date) => Promise<T>,
  store: RequestRecordStore,
  options: RunOnceOptions,
): Promise<OnceOutcome<T>> {
  const now = options.now ?? (() => new Date());
  const claim = (acceptedAt: string = now().toISOString()): RequestRecord => ({
    status: 'INPROGRESS',
    expiresAt: new Date(now().getTime() + options.claimMs).toISOString(),
    acceptedAt,
  });
  let recordStart: Date | undefined;
  let version = await store.create(key, claim());
  if (version === undefined) {
    const found = await store.read(key);
    const expired = found && Date.parse(found.record.expiresAt) <= now().getTime();
    if (found && !expired) {
      return found.record.status === 'COMPLETED'
        ? { firstRun: false, result: found.record.result as T }
        : { inProgress: true };
    }
    // Gone since the create, or expired (a finished request forgotten, or a run that died): take
    // it over only if nobody else did in between.
    if (found) {
      const before = found.record.status === 'INPROGRESS' ? found.record.acceptedAt : undefined;
      recordStart = before === undefined || Number.isNaN(Date.parse(before)) ? undefined : new Date(before);
      const taken = await store.replace(key, claim(recordStart?.toISOString()), found.version);
      if (!taken) return { inProgress: true };
      version = (await store.read(key))?.version;
    } else {
      version = await store.create(key, claim());
    }
    if (version === undefined) return { inProgress: true };
  }
  let result: T;
  try {
    result = await run(recordStart);
  } catch (error) {
    await store.remove(key, version).catch(() => undefined);
    throw error;
  }
  try {
    const recorded = await store.replace(
      key,
      { status: 'COMPLETED', expiresAt: new Date(now().getTime() + options.keepMs).toISOString(), result },
      version,
    );
    if (!recorded) {
      // The claim expired during the run and another caller took it over: that caller's record
      // stands (its run records its own result), so this run's result is not recorded either way.
      throw new Error(
        `request ${key}: the claim was taken over by another caller before this run's result was recorded`,
      );
    }
  } catch (error) {
    // The work is done: its result must reach the caller (snapshots taken are reported, never
    // called a failure). The claim still holds off repeats until it expires.
    options.onRecordError?.(error);
  }
  return { firstRun: true, result };
}

/** A record of {@link claimOnce} and {@link holdClaim} that holds until `keepMs` from now. */
function claimRecord(status: RequestRecord['status'], now: () => Date, keepMs: number): RequestRecord {
  const expiresAt = new Date(now().getTime() + keepMs).toISOString();
  return status === 'COMPLETED' ? { status, expiresAt, result: null } : { status, expiresAt };
}

/**
 * What {@link claimOnce} found: the claim is the caller's (`claimed`), or an earlier claim holds,
 * whose work still runs (`running`: claimed, not yet held by {@link holdClaim}; the run may also
 * have died, which only its expiry tells) or was done (`done`: held).
 */
export type ClaimState = 'claimed' | 'running' | 'done';

/**
 * Claim `key` for `keepMs` (an INPROGRESS record): `claimed` for the first caller (and for one
 * after the claim expired), else the state of the earlier claim that holds. For work that must not
 * repeat but has nothing to return, such as answering one delivery of a chat command; once the
 * work is done, {@link holdClaim} holds it (COMPLETED).
 */
export async function claimOnce(
  key: string,
  store: RequestRecordStore,
  options: { readonly keepMs: number; readonly now?: () => Date },
): Promise<ClaimState> {
  const now = options.now ?? (() => new Date());
  const claim = () => claimRecord('INPROGRESS', now, options.keepMs);
  if ((await store.create(key, claim())) !== undefined) return 'claimed';
  const found = await store.read(key);
  // Gone since the create, or expired: taken unless another caller took it in between.
  if (!found) return (await store.create(key, claim())) !== undefined ? 'claimed' : 'running';
  if (Date.parse(found.record.expiresAt) > now().getTime()) {
    return found.record.status === 'COMPLETED' ? 'done' : 'running';
  }
  return (await store.replace(key, claim(), found.version)) ? 'claimed' : 'running';
}

/**
 * Hold a claim of {@link claimOnce} for `keepMs` from now, whatever it held until, as done (the
 * work it guarded is done: a claim made only until its run would be stopped now keeps repeats off).
 */
export async function holdClaim(
  key: string,
  store: RequestRecordStore,
  options: { readonly keepMs: number; readonly now?: () => Date },
): Promise<void> {
  const record = claimRecord('COMPLETED', options.now ?? (() => new Date()), options.keepMs);
  const found = await store.read(key);
  if (!found) await store.create(key, record);
  else await store.replace(key, record, found.version);
}
