/**
 * `chatAction` Cloud Function (2nd gen, triggered by the chat topic): the shared action side
 * (functions/chatops/action.ts) over the snapshot and readiness jobs for the Cloud SQL instances of
 * `gcp.projects`, answering on Slack's `response_url`. Pub/Sub delivers at least once, so a snapshot
 * runs once per request key, with its records in Cloud Storage (functions/gcp/chat-records.ts, over
 * the JSON API: every invocation reads them, so the function loads no Cloud Storage client library
 * for them); a redelivery gets the first result. Never throws for a command that failed (it is answered in chat,
 * logged and counted), so Pub/Sub does not redeliver it. A message delivered again anyway runs and
 * answers only once (its first delivery's claim in the same records). A delivery that finds the
 * claim of an earlier run that has not ended (still running, or crashed) fails, so Pub/Sub
 * delivers it again with backoff (the deployment's `--retry`) until that run was done (then it is
 * acknowledged as a repeat) or its claim lapsed at its timeout (then it runs and answers).
 */
import * as functions from '@google-cloud/functions-framework';
import { gcpSnapshotCloud } from '../../actions/snapshot/gcp.ts';
import type { SnapshotRunRecordStore } from '../../actions/snapshot/run-records.ts';
import { type ChatActionMetric, runChatAction } from '../../chatops/action.ts';
import type { ChatActions } from '../../chatops/actions.ts';
import { cloudChatJobs, jobChatActions } from '../../chatops/job-actions.ts';
import {
  type ClaimState,
  claimOnce,
  holdClaim,
  type RequestRecordStore,
  runOncePerKey,
} from '../../chatops/once.ts';
import { describeError, InputError, withFramesOnlyForFaults } from '../../core/errors.ts';
import type { StructuredLogger } from '../../core/logging.ts';
import { loadFunctionPolicy, type Policy } from '../../core/policy.ts';
import { workOfPubsubEvent } from '../../gcp/chat-dispatch.ts';
import { CHAT_RECORDS_BUCKET_ENV } from '../../gcp/chat-environment.ts';
import { chatRecordsOf, snapshotRecordsOf } from '../../gcp/chat-records.ts';
import { GcpClientFactory } from '../../gcp/clients.ts';
import { gcpCollectors } from '../../gcp/collectors.ts';
import { runRecordsBucketOf } from '../../gcp/run-records-bucket.ts';
import { withSecretManager } from '../../gcp/secret-manager.ts';
import { withCloudStorage } from '../../gcp/storage-client.ts';
import { snapshotRecordOptions } from '../../jobs/snapshot-once.ts';
import { createGcpLogger } from './observability.ts';

/** How long a request record is kept: the idempotency window, within the bucket's 2-day lifecycle. */
const RECORD_KEEP_MS = 24 * 3_600_000;
/** The function's timeout (the deployment's `--timeout=540s`), from which the claim expiry follows. */
export const CHAT_ACTION_TIMEOUT_MS = 540_000;

export interface GcpChatActionsDependencies {
  readonly policy: Policy;
  readonly clients: GcpClientFactory;
  readonly records: RequestRecordStore;
  /**
   * Where snapshot results are remembered: the `snapshot` function's records
   * (functions/gcp/chat-records.ts snapshotRecordsOf), kept as long as the snapshots they report
   * (`snapshots.expiryDays`), as the AWS chat keeps them on the shared idempotency table. A ticket
   * asked again after a day, whose first run waited for another request's backup, is replayed, not
   * given a second backup run. Absent: `records`, for the chat's one day.
   */
  readonly snapshotRecords?: RequestRecordStore;
  /**
   * Where each backup taken is recorded as ours (functions/gcp/run-records-bucket.ts): `backup-guard
   * prune` deletes only a backup a run record names. Absent: none is recorded, and prune keeps them.
   */
  readonly runRecords?: SnapshotRunRecordStore;
  readonly logger?: StructuredLogger;
  /** The clock the jobs read (tests); the system's otherwise. */
  readonly now?: () => Date;
  /** How the snapshot job waits between polls (tests); a timer otherwise. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The stores chat-action keeps in its records bucket `bucket`: the chat's request records, the
 * snapshot results (the `snapshot` function's records) and the run records of the backups it takes.
 */
export function chatActionStores(
  clients: GcpClientFactory,
  bucket: string,
): Required<Pick<GcpChatActionsDependencies, 'records' | 'snapshotRecords' | 'runRecords'>> {
  return {
    records: chatRecordsOf(clients, bucket),
    snapshotRecords: snapshotRecordsOf(clients, bucket),
    runRecords: runRecordsBucketOf(clients, bucket),
  };
}

/** The chat actions over the GCP jobs: Cloud SQL snapshots once per request key, readiness. */
export function gcpChatActions(deps: GcpChatActionsDependencies): ChatActions {
  return jobChatActions(
    cloudChatJobs({
      policy: deps.policy,
      providers: ['gcp'],
      clouds: (policy) => [gcpSnapshotCloud({ policy, clients: deps.clients })],
      // Readiness judges every configured gate: dumps through Cloud Storage, keys through Secret Manager.
      audit: {
        gcp: {
          clients: withSecretManager(deps.clients, withCloudStorage(deps.clients)),
          collectors: gcpCollectors,
        },
      },
      once: (requestKey, run) =>
        runOncePerKey(requestKey, run, deps.snapshotRecords ?? deps.records, {
          ...snapshotRecordOptions(deps.policy.snapshots.expiryDays, CHAT_ACTION_TIMEOUT_MS, deps.logger, {
            requestKey,
          }),
          // Without the snapshot records (an older deployment), kept as long as the chat records.
          ...(deps.snapshotRecords ? {} : { keepMs: RECORD_KEEP_MS }),
        }),
      lastAudit: async () => ({
        unavailable: 'the chat function reads no audit history; `readiness` runs the audit now',
      }),
      ...(deps.runRecords ? { runRecords: deps.runRecords } : {}),
      ...(deps.logger ? { logger: deps.logger } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
    }),
  );
}

export interface ChatActionFunctionDependencies {
  readonly actions: ChatActions;
  readonly logger: StructuredLogger;
  readonly replyHosts?: readonly string[];
  readonly now?: () => Date;
  /** The function's timeout less what has passed (Cloud Run gives no remaining-time call). */
  readonly remainingMs?: () => number;
  /** Claims a hand-off's first delivery (functions/chatops/action.ts); absent: every delivery runs. */
  readonly firstDelivery?: (deliveryKey: string, until?: Date) => Promise<ClaimState>;
  /** Holds that claim once its run ended (functions/chatops/action.ts). */
  readonly deliveryDone?: (deliveryKey: string) => Promise<void>;
}

/**
 * The first-delivery claim over the request records: Pub/Sub redelivers a message until it is
 * acknowledged, so the same work may arrive again within the records' keep time. Claimed (running)
 * until the run would be stopped (`until`), then held (done) by {@link deliveryDoneOver}: a run
 * that crashed or was stopped at its timeout before it answered leaves a redelivery after that
 * timeout to run and answer; one before it fails and is delivered again.
 */
export function firstDeliveryOver(
  records: RequestRecordStore,
  now: () => Date = () => new Date(),
): (deliveryKey: string, until?: Date) => Promise<ClaimState> {
  return (deliveryKey, until) =>
    claimOnce(`delivery-${deliveryKey}`, records, {
      keepMs: until ? Math.max(0, until.getTime() - now().getTime()) : RECORD_KEEP_MS,
      now,
    });
}

/** The `deliveryDone` of {@link firstDeliveryOver}: the claim held for the records' keep time. */
export function deliveryDoneOver(
  records: RequestRecordStore,
  now: () => Date = () => new Date(),
): (deliveryKey: string) => Promise<void> {
  return (deliveryKey) => holdClaim(`delivery-${deliveryKey}`, records, { keepMs: RECORD_KEEP_MS, now });
}

/**
 * Thrown for a delivery whose earlier delivery still holds its claim: a failed delivery is not
 * acknowledged, so Pub/Sub delivers it again later, with exponential backoff of 10 to 600 seconds
 * (https://cloud.google.com/eventarc/docs/retry-events, with `--retry`:
 * https://cloud.google.com/functions/docs/writing/retries).
 */
export class EarlierDeliveryRunningError extends Error {
  constructor() {
    super(
      'an earlier delivery of this chat work is still running (or crashed before its timeout): not acknowledged, so Pub/Sub delivers it again later',
    );
    this.name = 'EarlierDeliveryRunningError';
    // The Functions Framework logs what a failed event threw with its stack, on every redelivery:
    // this failure is the deliberate way to be delivered again, not a fault, so its message alone.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/**
 * The `chatAction` Pub/Sub function over `deps`; never throws for a command that failed, only
 * {@link EarlierDeliveryRunningError} for a delivery to be delivered again later, and what `deps`
 * threw (a setting missing, a policy that does not load) after one ERROR entry on `startLogger`
 * saying it: the event is not acknowledged, so the work waits in Pub/Sub for the deployment to be
 * fixed rather than being lost (a user mistake thrown with no stack frames, which the Functions
 * Framework would log: `withFramesOnlyForFaults`).
 */
export function createChatActionFunction(
  deps: () => ChatActionFunctionDependencies,
  startLogger: StructuredLogger = createGcpLogger('chat-action'),
): (event: { readonly data?: unknown }) => Promise<void> {
  return async (event) => {
    let d: ChatActionFunctionDependencies;
    try {
      d = deps();
    } catch (error) {
      startLogger.error(
        'chatAction cannot start; the work is not acknowledged, so Pub/Sub delivers it again later',
        { error: { name: error instanceof Error ? error.name : 'Error', message: describeError(error) } },
      );
      throw withFramesOnlyForFaults(error);
    }
    const counts: Partial<Record<ChatActionMetric, number>> = {};
    const count = (metric: ChatActionMetric) => {
      counts[metric] = (counts[metric] ?? 0) + 1;
    };
    let work: unknown;
    try {
      work = workOfPubsubEvent(event);
    } catch (error) {
      count('ChatCommandsFailed');
      d.logger.error('chat work refused', { error: describeError(error), metrics: counts });
      return;
    }
    const outcome = await runChatAction(work, {
      actions: d.actions,
      logger: d.logger,
      count,
      ...(d.replyHosts ? { replyHosts: d.replyHosts } : {}),
      ...(d.now ? { now: d.now } : {}),
      ...(d.remainingMs ? { remainingMs: d.remainingMs } : {}),
      ...(d.firstDelivery ? { firstDelivery: d.firstDelivery } : {}),
      ...(d.deliveryDone ? { deliveryDone: d.deliveryDone } : {}),
    });
    d.logger.info('chat action finished', { outcome: outcome.outcome, metrics: counts });
    if (outcome.outcome === 'running') throw new EarlierDeliveryRunningError();
  };
}

let container: ChatActionFunctionDependencies | undefined;

function containerDependencies(): ChatActionFunctionDependencies {
  if (!container) {
    const bucket = process.env[CHAT_RECORDS_BUCKET_ENV]?.trim();
    if (!bucket) {
      throw new InputError(
        `chatAction needs ${CHAT_RECORDS_BUCKET_ENV} (its records bucket); the deployment sets it`,
      );
    }
    const clients = GcpClientFactory.fromEnv();
    const logger = createGcpLogger('chat-action');
    const stores = chatActionStores(clients, bucket);
    const { records } = stores;
    container = {
      actions: gcpChatActions({ policy: loadFunctionPolicy(), clients, ...stores, logger }),
      logger,
      firstDelivery: firstDeliveryOver(records),
      deliveryDone: deliveryDoneOver(records),
    };
  }
  const startedAt = Date.now();
  return { ...container, remainingMs: () => CHAT_ACTION_TIMEOUT_MS - (Date.now() - startedAt) };
}

functions.cloudEvent('chatAction', createChatActionFunction(containerDependencies));
