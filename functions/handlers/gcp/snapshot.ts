/**
 * `snapshot` Cloud Function (2nd gen, HTTP): the same snapshot and readiness jobs for Cloud SQL.
 * POST `{ "action": "snapshot", requestId, reason, requestedBy, ticket?, targets?, wait? }` or
 * `{ "action": "readiness" }`, and `{ "action": "maintenance" }` from its Cloud Scheduler job: the
 * maintenance-aware scan (functions/jobs/maintenance.ts), a backup before each Cloud SQL scheduled
 * maintenance due within the policy's horizon, once per maintenance event. A re-sent snapshot request is not repeated: each backup's
 * description carries an id derived from the request id, and the job adopts a backup it finds with
 * that id instead of inserting another. That adoption alone does not cover a request that waited for
 * another request's backup still running instead of inserting its own (functions/actions/snapshot/
 * run.ts planTarget): nothing under its name tells a later delivery, nor the next scan, which would
 * insert a second backup run (backupRuns.insert takes no request id: its body is a BackupRun, its
 * only parameters the project and instance, https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1/backupRuns/insert).
 * So, as the AWS entry points on DynamoDB, each request (a snapshot request, each maintenance
 * event's request of a scan) runs once over request records, kept in Cloud Storage in the bucket the
 * chat function keeps its records in (functions/gcp/chat-records.ts, under their own prefix, the
 * deployment's `BACKUP_GUARD_CHAT_BUCKET`): the rule of functions/jobs/snapshot-once.ts. A request
 * whose earlier delivery still runs is answered 409, running nothing. Each backup taken is recorded
 * as ours in the same bucket, under a prefix of its own (functions/gcp/run-records-bucket.ts), where
 * `backup-guard prune --provider gcp` reads it (`snapshots.runRecordsBucket`): prune deletes only an
 * expired backup such a record names.
 */
import * as functions from '@google-cloud/functions-framework';
import type { SnapshotCloud } from '../../actions/snapshot/backend.ts';
import { type GcpSnapshotClients, gcpSnapshotCloud } from '../../actions/snapshot/gcp.ts';
import type { SnapshotRunRecordStore } from '../../actions/snapshot/run-records.ts';
import { type RequestRecordStore, runOncePerKey } from '../../chatops/once.ts';
import {
  describeError,
  InputError,
  inputIssues,
  issuesLine,
  StillRunningElsewhereError,
} from '../../core/errors.ts';
import { loadFunctionPolicy, type Policy } from '../../core/policy.ts';
import { withFieldGuesses } from '../../core/schema-fields.ts';
import { functionWaitEndsBy, snapshotFunctionTimeoutSeconds } from '../../core/snapshots-policy.ts';
import * as z from '../../core/zod.ts';
import { CHAT_RECORDS_BUCKET_ENV } from '../../gcp/chat-environment.ts';
import { snapshotRecordsOf } from '../../gcp/chat-records.ts';
import { GcpClientFactory } from '../../gcp/clients.ts';
import { type GcpClientSource, gcpCollectors } from '../../gcp/collectors.ts';
import { runRecordsBucketOf } from '../../gcp/run-records-bucket.ts';
import { withSecretManager } from '../../gcp/secret-manager.ts';
import { withCloudStorage } from '../../gcp/storage-client.ts';
import {
  maintenanceSnapshotsFailed,
  type RememberRequests,
  runMaintenanceJob,
} from '../../jobs/maintenance.ts';
import { runReadinessJob } from '../../jobs/readiness.ts';
import {
  checkSnapshotRequest,
  runSnapshotJob,
  type SnapshotJobDependencies,
  type SnapshotRequest,
  snapshotExitCode,
  snapshotRequestFields,
} from '../../jobs/snapshot.ts';
import type { Accepted } from '../../jobs/snapshot-once.ts';
import {
  earliestAcceptance,
  type ReplayOptions,
  snapshotOncePerRequest,
  snapshotRecordOptions,
  withWaitedFor,
} from '../../jobs/snapshot-once.ts';
import { jsonBodyOf, passBodyParseFailuresToFunctions } from './framework.ts';
import { createGcpLogger } from './observability.ts';

const requestSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('snapshot'),
    // As the Lambda's event.
    ...snapshotRequestFields,
  }),
  z.strictObject({ action: z.literal('readiness') }),
  z.strictObject({ action: z.literal('maintenance') }),
]);

export type SnapshotFunctionRequest = z.output<typeof requestSchema>;

export function parseSnapshotFunctionRequest(body: unknown): SnapshotFunctionRequest {
  // No body at all reads as {}: the schema names what is missing (the action).
  const raw = jsonBodyOf(body, 'snapshot');
  const parsed = requestSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = inputIssues(parsed.error.issues.map((issue) => withFieldGuesses(requestSchema, issue)));
    throw new InputError(`snapshot body is invalid: ${issuesLine(issues)}`);
  }
  if (parsed.data.action === 'snapshot') {
    // A field of blanks passes the lengths; the job refuses it, and that is the caller's 400, not a 500.
    try {
      checkSnapshotRequest(parsed.data);
    } catch (error) {
      throw new InputError(`snapshot body is invalid: ${describeError(error)}`);
    }
  }
  return parsed.data;
}

// A JSON body the framework cannot parse reaches the function, not express's HTML page (./framework.ts).
passBodyParseFailuresToFunctions();
const logger = createGcpLogger('snapshot');

export interface SnapshotFunctionDependencies {
  readonly policy: Policy;
  readonly gcp: GcpSnapshotClients & GcpClientSource;
  /** The clients readiness audits with (Cloud Storage for the dumps gate, Secret Manager for the keys gate); `gcp` otherwise. */
  readonly readinessClients?: GcpClientSource;
  /**
   * Where requests are remembered (the module comment). Absent (a deployment from before the records
   * bucket was the function's): each request runs as it comes, adopting its own backup by name only.
   */
  readonly records?: RequestRecordStore;
  /**
   * Where each backup taken is recorded as ours (functions/gcp/run-records-bucket.ts, the same
   * bucket): `backup-guard prune` deletes only a backup a run record names. Absent (no bucket): none
   * is recorded, and prune keeps them.
   */
  readonly runRecords?: SnapshotRunRecordStore;
  /** The clock the jobs read (tests); the system's otherwise. */
  readonly now?: () => Date;
  /** How the jobs wait between polls (tests); a timer otherwise. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A request whose earlier delivery still runs (or died before its claim lapsed): nothing was run for this one. */
export class RequestStillRunningError extends StillRunningElsewhereError {
  constructor(message: string) {
    super(message);
    this.name = 'RequestStillRunningError';
  }
}

/**
 * Run each request once over `records` (functions/jobs/snapshot-once.ts snapshotOncePerRequest, as
 * the chat function runs its snapshots): remembered as long as its snapshots
 * (`snapshots.expiryDays`), claimed for the function's timeout; a remembered result replayed with
 * `replay`, its snapshots read again in `clouds`; a request still running elsewhere throws
 * {@link RequestStillRunningError}.
 */
function rememberedOn(
  records: RequestRecordStore,
  policy: Policy,
  clouds: readonly SnapshotCloud[],
  replay: Pick<ReplayOptions, 'readinessMaxAgeHours' | 'unattended'> = {},
): RememberRequests {
  return (run) => async (request) => {
    const acceptedAt = new Date();
    const outcome = await snapshotOncePerRequest(
      request.requestId,
      acceptedAt,
      (key, earlier) =>
        runOncePerKey(
          key,
          // A run that takes over the expired claim of one that died is handed when that one was
          // accepted (the claim keeps it): the backup it adopts is recorded as ours when the cloud
          // made it no earlier (functions/actions/snapshot/run.ts firstAcceptedAt).
          (recordStart) =>
            run(withWaitedFor(request, earlier), {
              firstAcceptedAt: earliestAcceptance(acceptedAt, [recordStart, earlier?.startedAt]),
            }),
          records,
          snapshotRecordOptions(
            policy.snapshots.expiryDays,
            snapshotFunctionTimeoutSeconds(policy.snapshots) * 1000,
            logger,
            { requestId: request.requestId },
          ),
        ),
      { ...replay, clouds, selection: policy.targets, asked: { targets: request.targets } },
    );
    if ('inProgress' in outcome) {
      throw new RequestStillRunningError(
        `request ${request.requestId} is already running (an earlier delivery of it); nothing was run for this one: send it again later for its result`,
      );
    }
    return outcome.result;
  };
}

/** Run one request; the HTTP status is 200 when the job ran (its result says how each target went). */
export async function snapshotFunction(request: SnapshotFunctionRequest, deps: SnapshotFunctionDependencies) {
  const cloud = gcpSnapshotCloud({ policy: deps.policy, clients: deps.gcp });
  // Cloud Run stops the function at its timeout, which the deployment sets from the same policy (a
  // wait of 60 minutes reaches the 60-minute limit): the wait ends a margin before, so a backup still
  // running then is answered as such, never left half done with no answer.
  const waitEndsBy = functionWaitEndsBy(
    (deps.now ?? (() => new Date()))(),
    snapshotFunctionTimeoutSeconds(deps.policy.snapshots) * 1000,
  );
  if (request.action === 'readiness') {
    return runReadinessJob(
      { providers: ['gcp'] },
      {
        policy: deps.policy,
        gcp: { clients: deps.readinessClients ?? deps.gcp, collectors: gcpCollectors },
        clouds: [cloud],
        logger,
      },
    );
  }
  if (request.action === 'maintenance') {
    // Replays are not judged against readinessMaxAgeHours, as on AWS (functions/handlers/aws/snapshot.ts).
    const result = await runMaintenanceJob(
      { policy: deps.policy, clouds: [cloud], logger, waitEndsBy, ...jobSettingsOf(deps) },
      deps.records ? rememberedOn(deps.records, deps.policy, [cloud], { unattended: true }) : undefined,
    );
    // A snapshot a maintenance is due without: an ERROR entry (what alerting filters on), with the
    // count the AWS job records as its alarmed SnapshotsFailed metric (an event an overlapping scan
    // still runs is that scan's to count).
    const snapshotsFailed = maintenanceSnapshotsFailed(result.snapshots);
    const entry = {
      events: result.events.length,
      later: result.later,
      snapshotsFailed,
      problems: result.problems,
    };
    if (snapshotsFailed > 0) logger.error('maintenance scan finished', entry);
    else logger.info('maintenance scan finished', entry);
    return result;
  }
  const { action: _action, ...snapshotRequest } = request;
  const run = (asked: SnapshotRequest, accepted?: Accepted) =>
    runSnapshotJob(asked, {
      policy: deps.policy,
      clouds: [cloud],
      logger,
      waitEndsBy,
      ...jobSettingsOf(deps),
      ...accepted,
    });
  // A replayed result's snapshots are judged for age, as the snapshot Lambda's are.
  const once = deps.records
    ? rememberedOn(deps.records, deps.policy, [cloud], {
        readinessMaxAgeHours: deps.policy.snapshots.readinessMaxAgeHours,
      })(run)
    : run;
  const result = await once(snapshotRequest);
  return { ...result, exitCode: snapshotExitCode(result) };
}

/** The jobs' run record store and clock, when the function has them. */
function jobSettingsOf(
  deps: SnapshotFunctionDependencies,
): Pick<SnapshotJobDependencies, 'runRecords' | 'now' | 'sleep'> {
  return {
    ...(deps.runRecords ? { runRecords: deps.runRecords } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  };
}

let dependencies: SnapshotFunctionDependencies | undefined;

export function createSnapshotHandler(
  deps: () => SnapshotFunctionDependencies = () => {
    if (!dependencies) {
      const gcp = GcpClientFactory.fromEnv();
      const bucket = process.env[CHAT_RECORDS_BUCKET_ENV]?.trim();
      if (!bucket) {
        logger.warn(
          `no ${CHAT_RECORDS_BUCKET_ENV}: requests are not remembered, and one that waited for another request's backup takes its own when sent again; no backup taken is recorded as ours, so prune keeps them; deploy again to set it`,
        );
      }
      dependencies = {
        policy: loadFunctionPolicy(),
        gcp,
        readinessClients: withSecretManager(gcp, withCloudStorage(gcp)),
        ...(bucket
          ? { records: snapshotRecordsOf(gcp, bucket), runRecords: runRecordsBucketOf(gcp, bucket) }
          : {}),
      };
    }
    return dependencies;
  },
): functions.HttpFunction {
  return async (req, res) => {
    if (req.method !== 'POST') {
      res.status(405).set('Allow', 'POST').json({ error: 'snapshot is called with POST.' });
      return;
    }
    let request: SnapshotFunctionRequest;
    try {
      // The bytes as sent: a JSON body the framework could not parse reaches here too.
      request = parseSnapshotFunctionRequest(req.rawBody ?? req.body);
    } catch (error) {
      logger.warn('bad request', { error: describeError(error) });
      res.status(400).json({ error: describeError(error) });
      return;
    }
    try {
      res.status(200).json(await snapshotFunction(request, deps()));
    } catch (error) {
      if (error instanceof RequestStillRunningError) {
        logger.warn('request still running', { error: error.message });
        res.status(409).json({ error: error.message });
        return;
      }
      // The caller's mistake found once the request is read against its records (a request id
      // already used for other databases): said, as the body's own problems are, never a bare 500.
      if (error instanceof InputError) {
        logger.warn('bad request', { error: error.message });
        res.status(400).json({ error: error.message });
        return;
      }
      const name = error instanceof Error ? error.name : 'Error';
      logger.error('snapshot function failed', { error: { name, message: describeError(error) } });
      res.status(500).json({ ok: false, error: { name } });
    }
  };
}

functions.http('snapshot', createSnapshotHandler());
