/**
 * The snapshot job once per request id on the DynamoDB idempotency table (./idempotency.ts, Powertools
 * Idempotency): the CLI and the `snapshot` Lambda. Apart from the rule itself (./snapshot-once.ts),
 * so the functions that run the rule over other stores (the GCP chat and `snapshot` functions, on
 * Cloud Storage) do not bundle Powertools and the DynamoDB client.
 */

import {
  DuplicateStillRunningError,
  type IdempotencyStore,
  recordStartOf,
  runOncePerRequestId,
} from './idempotency.ts';
import type { SnapshotJobResult, SnapshotRequest } from './snapshot.ts';
import {
  type Accepted,
  askedAgainAfter,
  earliestAcceptance,
  type ReplayOptions,
  snapshotOncePerRequest,
  snapshotRecordSeconds,
  withWaitedFor,
} from './snapshot-once.ts';

/**
 * `run` once per request id on the idempotency table ({@link snapshotOncePerRequest}): the CLI and
 * the `snapshot` Lambda. A duplicate whose run does not finish within `waitForFirstMs` throws
 * {@link DuplicateStillRunningError}. A replayed result's snapshots are judged for age with `replay`
 * (pass `snapshots.readinessMaxAgeHours`) and read again in `replay.clouds`.
 */
export function idempotentSnapshotJob(
  run: (request: SnapshotRequest, accepted: Accepted) => Promise<SnapshotJobResult>,
  store: IdempotencyStore,
  replay: ReplayOptions = {},
): (request: SnapshotRequest) => Promise<SnapshotJobResult> {
  const now = replay.now ?? (() => new Date());
  const recordStore =
    replay.retentionDays === undefined
      ? store
      : {
          ...store,
          expiresAfterSeconds: snapshotRecordSeconds(replay.retentionDays, store.expiresAfterSeconds),
        };
  return async (request) => {
    const acceptedAt = now();
    const outcome = await snapshotOncePerRequest(
      request.requestId,
      acceptedAt,
      async (key, earlier) => {
        // The record an earlier run under this key left (one that died keeps its in-progress
        // record), read before this run takes it over, and the remembered run this one follows.
        const started = await recordStartOf(key, recordStore);
        const firstAcceptedAt = earliestAcceptance(acceptedAt, [started, earlier?.startedAt]);
        // Kept on the record this run takes, for a later run that takes it over in turn.
        return runOncePerRequestId(
          key,
          () => run(withWaitedFor(request, earlier), { firstAcceptedAt }),
          recordStore,
          firstAcceptedAt,
        ).catch((error: unknown) => {
          if (earlier === undefined || !(error instanceof DuplicateStillRunningError)) throw error;
          // The retry key is a digest: name the request the operator sent, and why it runs again.
          throw new DuplicateStillRunningError(
            `request ${request.requestId}, asked again after ${askedAgainAfter(earlier)}, is already running and did not finish within ${Math.round(error.waitedMs / 1000)} s; its result will be returned to a later re-send`,
            error.waitedMs,
            { cause: error },
          );
        });
      },
      { ...replay, now, asked: { targets: request.targets } },
    );
    return outcome.result;
  };
}
