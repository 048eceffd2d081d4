/**
 * Idempotency per request for the jobs that write (snapshots): Powertools Idempotency on DynamoDB.
 * The key is the request id, so a Slack retry, a double click, an asynchronous-invoke retry or a
 * re-run of the CLI with the same ticket returns the first result and creates nothing. (A snapshot
 * result with a failed snapshot is asked again under a key of its own: functions/jobs/snapshot-once.ts.)
 *
 * A duplicate that arrives while the first run is still in progress gets
 * `IdempotencyAlreadyInProgressError` from Powertools
 * (https://docs.powertools.aws.dev/lambda/typescript/latest/features/idempotency/); here it waits
 * for the first run and returns its result rather than failing or running twice.
 */

import { setTimeout as sleepMs } from 'node:timers/promises';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyPersistenceLayerError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { type DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  BackupGuardError,
  describeError,
  errorCode,
  IdempotencyStoreError,
  StillRunningElsewhereError,
} from '../core/errors.ts';

export { IDEMPOTENCY_TABLE_ENV, idempotencyTableName } from './idempotency-table.ts';

/** Where idempotency records live. */
export interface IdempotencyStore {
  readonly tableName: string;
  /** A DynamoDB client (a local endpoint in tests and the demo). */
  readonly client: DynamoDBClient;
  /** How long a finished request is remembered (default one day). */
  readonly expiresAfterSeconds?: number;
  /** How long a duplicate waits for the first run to finish. */
  readonly waitForFirstMs: number;
  /**
   * When a duplicate stops waiting at the latest, however long `waitForFirstMs` is: a function's
   * answer deadline (functions/core/snapshots-policy.ts functionWaitEndsBy), so a duplicate answers
   * that the first run still goes on rather than be stopped waiting. Absent: `waitForFirstMs` alone.
   */
  readonly waitForFirstUntil?: Date;
  /** Interval at which a waiting duplicate looks again. */
  readonly pollMs?: number;
  /**
   * Time left to run (a Lambda's `getRemainingTimeInMillis`): a run's in-progress claim expires
   * then (as Powertools sets it), so a re-send can run after a run that was stopped, never during
   * one that goes on. Absent (outside a Lambda): {@link longestRunMs}.
   */
  readonly remainingTimeMs?: () => number;
  /**
   * The longest a run lasts (functions/core/snapshots-policy.ts snapshotRunBoundMs: its set-up, its
   * wait and its recording): where there is no remaining time to read, a run's in-progress claim
   * expires this long after it was taken, so a re-send arriving while the run still records is
   * answered as in progress, not run beside it.
   */
  readonly longestRunMs: number;
  /** Told when a finished run's result could not be recorded ({@link runOncePerRequestId} returns it anyway). */
  readonly onRecordError?: (error: unknown) => void;
  /**
   * Told each time a duplicate finds the first run still going, before it looks again: so a caller
   * that waits in front of someone (the CLI) says what it waits for, and for how long at most.
   */
  readonly onWaitForFirst?: (wait: FirstRunWait) => void;
}

/** A duplicate's wait for the first run of its request ({@link IdempotencyStore.onWaitForFirst}). */
export interface FirstRunWait {
  /** The key the request is remembered under. */
  readonly requestId: string;
  /**
   * When the request was first accepted, as its record keeps it ({@link recordStartOf}): when the
   * first run started, or for a run again after a remembered result, when that result's run did.
   * Absent when unknown.
   */
  readonly firstAcceptedAt?: Date;
  /** How long this duplicate has waited so far. */
  readonly waitedMs: number;
  /** The longest it waits in all (`waitForFirstMs`, or less to `waitForFirstUntil`). */
  readonly atMostMs: number;
}

/** The first run of a request did not finish while a duplicate waited for it (`waitedMs`). */
export class DuplicateStillRunningError extends StillRunningElsewhereError {
  readonly waitedMs: number;
  constructor(message: string, waitedMs: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DuplicateStillRunningError';
    this.waitedMs = waitedMs;
  }
}

/** DynamoDB's own error behind a Powertools persistence error (its `cause`), else the error itself. */
function storeCause(error: unknown): unknown {
  return error instanceof IdempotencyPersistenceLayerError && error.cause !== undefined ? error.cause : error;
}

/** Shared by the CLI, the Lambda and the Cloud Function so they recognise each other's requests. */
const KEY_PREFIX = 'certctl-backup-guard-snapshot';
const DAY_SECONDS = 86_400;

/**
 * Wrap `run` so that one request id runs once. `run` takes a request with a string `requestId`
 * and returns JSON-serializable data.
 */
export function idempotentByRequestId<R extends { readonly requestId: string }, T>(
  run: (request: R) => Promise<T>,
  store: IdempotencyStore,
): (request: R) => Promise<T> {
  const { persistenceStore, config } = persistenceOf(store);
  // Powertools reads the invocation's remaining time when it takes the claim, and the claim expires
  // then. Outside Lambda there is none: the longest a run lasts stands in (not the wait alone, which
  // a run's set-up and recording outlast), and Powertools does not warn on every call.
  config.registerLambdaContext({
    getRemainingTimeInMillis: store.remainingTimeMs ?? (() => store.longestRunMs),
  } as never);
  const once = makeIdempotent(run as (request: R) => Promise<T>, {
    persistenceStore,
    config,
    keyPrefix: KEY_PREFIX,
  }) as (request: R) => Promise<T>;
  return async (request) => {
    const waitingSince = Date.now();
    const deadline = Math.min(
      waitingSince + store.waitForFirstMs,
      store.waitForFirstUntil?.getTime() ?? Number.POSITIVE_INFINITY,
    );
    // Read once, when the duplicate first finds the first run going, and only for a caller told.
    let firstAcceptedAt: Promise<Date | undefined> | undefined;
    for (;;) {
      try {
        return await once(request);
      } catch (error) {
        if (!(error instanceof IdempotencyAlreadyInProgressError)) throw error;
        if (Date.now() >= deadline) {
          const waitedMs = Date.now() - waitingSince;
          throw new DuplicateStillRunningError(
            `request ${request.requestId} is already running and did not finish within ${Math.round(waitedMs / 1000)} s; its result will be returned to a later re-send`,
            waitedMs,
            { cause: error },
          );
        }
        if (store.onWaitForFirst) {
          firstAcceptedAt ??= recordStartOf(request.requestId, store);
          const accepted = await firstAcceptedAt;
          store.onWaitForFirst({
            requestId: request.requestId,
            ...(accepted ? { firstAcceptedAt: accepted } : {}),
            waitedMs: Date.now() - waitingSince,
            atMostMs: deadline - waitingSince,
          });
        }
        await sleepMs(Math.max(0, Math.min(store.pollMs ?? 1000, deadline - Date.now())));
      }
    }
  };
}

/** The Powertools persistence layer, naming the item of a request as Powertools keys it. */
class RequestRecords extends DynamoDBPersistenceLayer {
  keyOf(requestId: string) {
    return this.getKey(this.getHashedIdempotencyKey({ requestId }));
  }
}

/** The Powertools persistence layer and configuration of `store`, as every caller keys its records. */
function persistenceOf(store: IdempotencyStore) {
  const persistenceStore = new RequestRecords({
    tableName: store.tableName,
    awsSdkV3Client: store.client,
  });
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'requestId',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: store.expiresAfterSeconds ?? DAY_SECONDS,
  });
  return { persistenceStore, config };
}

/**
 * The attribute of a request's record that keeps when the request was first accepted (epoch
 * milliseconds), written by {@link runOncePerRequestId} once its run holds the record: Powertools
 * keeps no start time, and the item it writes when a run takes a dead run's record over replaces
 * the whole record, so the run that took it over writes the acceptance again.
 */
const ACCEPTED_AT_ATTRIBUTE = 'accepted_at';
/** The attribute Powertools keeps a record's expiry in (epoch seconds), its default name. */
const EXPIRY_ATTRIBUTE = 'expiration';

/** The DynamoDB key of the record of `requestId` in `store`, as Powertools writes it. */
function recordKeyOf(requestId: string, store: IdempotencyStore) {
  const { persistenceStore, config } = persistenceOf(store);
  persistenceStore.configure({ config, keyPrefix: KEY_PREFIX });
  return persistenceStore.keyOf(requestId);
}

/**
 * When the request of the record of `requestId` in `store` was first accepted, if there is one: an
 * earlier run of the request accepted then (one that died or timed out leaves its in-progress
 * record until a later run takes it over). Read from the acceptance the record keeps
 * ({@link runOncePerRequestId}). A record written before it was kept has only the expiry Powertools
 * set at the write (whole seconds, `expiresAfterSeconds` after it): its start is that expiry less
 * the store's lifetime, less one second for the rounding, which a lifetime changed since
 * (`snapshots.expiryDays`) shifts by as much. Undefined when there is no record, or it could not
 * be read (that proves no earlier acceptance).
 */
export async function recordStartOf(requestId: string, store: IdempotencyStore): Promise<Date | undefined> {
  try {
    const { Item: item } = await store.client.send(
      new GetItemCommand({
        TableName: store.tableName,
        Key: recordKeyOf(requestId, store),
        ConsistentRead: true,
        ProjectionExpression: '#accepted, #expiry',
        ExpressionAttributeNames: { '#accepted': ACCEPTED_AT_ATTRIBUTE, '#expiry': EXPIRY_ATTRIBUTE },
      }),
    );
    const accepted = Number(item?.[ACCEPTED_AT_ATTRIBUTE]?.N);
    if (Number.isFinite(accepted)) return new Date(accepted);
    const expiry = Number(item?.[EXPIRY_ATTRIBUTE]?.N);
    if (!Number.isFinite(expiry)) return undefined;
    return new Date((expiry - (store.expiresAfterSeconds ?? DAY_SECONDS) - 1) * 1000);
  } catch {
    return undefined;
  }
}

/**
 * Keep `acceptedAt` on the record of `requestId`, which this run holds: what {@link recordStartOf}
 * hands a later run that takes the record over. Not kept (the write failed): a later run dates the
 * request by the record's expiry, as before it was kept; the run goes on.
 */
async function keepAcceptance(requestId: string, acceptedAt: Date, store: IdempotencyStore): Promise<void> {
  try {
    await store.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: recordKeyOf(requestId, store),
        UpdateExpression: 'SET #accepted = :accepted',
        // Only on the record this run holds: never an item of its own if the record is gone.
        ConditionExpression: `attribute_exists(${EXPIRY_ATTRIBUTE})`,
        ExpressionAttributeNames: { '#accepted': ACCEPTED_AT_ATTRIBUTE },
        ExpressionAttributeValues: { ':accepted': { N: String(acceptedAt.getTime()) } },
      }),
    );
  } catch {
    // Not kept: see above.
  }
}

/** One request's outcome under {@link oncePerRequestId}: its result, and whether this call ran it. */
export type RequestOutcome<T> =
  | { readonly firstRun: boolean; readonly result: T }
  | { readonly inProgress: true };

/**
 * Run `run` once per request id and say whether this call ran it (`firstRun`) or returned the first
 * run's result; errors as {@link idempotentByRequestId}'s (a duplicate whose first run does not
 * finish within `waitForFirstMs` throws {@link DuplicateStillRunningError}). A run that finished but
 * whose result could not be recorded is returned all the same (`onRecordError` is told): the
 * snapshots it took exist, and an error would report them as never taken (a maintenance scan's
 * event as "did not run", counted in the alarmed `SnapshotsFailed`). Its in-progress record holds
 * off repeats until it expires. `acceptedAt`, when given (when the request was first accepted, as
 * the caller knows it), is kept on the record before `run` runs, for {@link recordStartOf}.
 */
export async function runOncePerRequestId<T>(
  requestId: string,
  run: () => Promise<T>,
  store: IdempotencyStore,
  acceptedAt?: Date,
): Promise<{ readonly firstRun: boolean; readonly result: T }> {
  let finished: { readonly result: T } | undefined;
  let failed: { readonly error: unknown } | undefined;
  let ran = false;
  const once = idempotentByRequestId(async (_request: { readonly requestId: string }) => {
    ran = true;
    if (acceptedAt !== undefined) await keepAcceptance(requestId, acceptedAt, store);
    try {
      const result = await run();
      finished = { result };
      return result;
    } catch (error) {
      failed = { error };
      throw error;
    }
  }, store);
  try {
    const result = await once({ requestId });
    return { firstRun: ran, result };
  } catch (error) {
    if (finished && error instanceof IdempotencyPersistenceLayerError) {
      store.onRecordError?.(error);
      return { firstRun: true, result: finished.result };
    }
    // The run failed and Powertools could not delete its in-progress record: the run's own error is
    // what went wrong (the record holds off repeats until it expires). Not `onRecordError`, which
    // is about a finished run's result.
    if (failed && error instanceof IdempotencyPersistenceLayerError) throw failed.error;
    if (!ran && !(error instanceof BackupGuardError)) {
      const cause = storeCause(error);
      const code = errorCode(cause);
      throw new IdempotencyStoreError(
        `the idempotency table ${store.tableName} could not be written (${code}: ${describeError(cause)}), so request ${requestId} was not run: nothing was snapshotted for it. Check that the table exists in the region the caller uses and that the caller may read and write it, then ask again.`,
        code,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * {@link runOncePerRequestId} for a caller that must answer someone (chat): a duplicate whose first
 * run does not finish within `waitForFirstMs` gets `inProgress` instead of an error.
 */
export async function oncePerRequestId<T>(
  requestId: string,
  run: () => Promise<T>,
  store: IdempotencyStore,
  acceptedAt?: Date,
): Promise<RequestOutcome<T>> {
  try {
    return await runOncePerRequestId(requestId, run, store, acceptedAt);
  } catch (error) {
    if (error instanceof DuplicateStillRunningError) return { inProgress: true };
    throw error;
  }
}
