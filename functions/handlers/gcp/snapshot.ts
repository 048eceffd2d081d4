/**
 * `snapshot` Cloud Function (2nd gen, HTTP): the same snapshot and readiness jobs for Cloud SQL.
 * POST `{ "action": "snapshot", requestId, reason, requestedBy, ticket?, targets?, wait? }` or
 * `{ "action": "readiness" }`, and `{ "action": "maintenance" }` from its Cloud Scheduler job: the
 * maintenance-aware scan (functions/jobs/maintenance.ts), a backup before each Cloud SQL scheduled
 * maintenance due within the policy's horizon, once per maintenance event. A re-sent snapshot request is not repeated: each backup's
 * description carries an id derived from the request id, and the job adopts a backup it finds with
 * that id instead of inserting another (GCP has no DynamoDB; the adoption is the idempotency here).
 */
import * as functions from '@google-cloud/functions-framework';
import { type GcpSnapshotClients, gcpSnapshotCloud } from '../../actions/snapshot/gcp.ts';
import { describeError, InputError, inputIssues } from '../../core/errors.ts';
import { loadFunctionPolicy, type Policy } from '../../core/policy.ts';
import * as z from '../../core/zod.ts';
import { GcpClientFactory } from '../../gcp/clients.ts';
import { type GcpClientSource, gcpCollectors } from '../../gcp/collectors.ts';
import { withSecretManager } from '../../gcp/secret-manager.ts';
import { withCloudStorage } from '../../gcp/storage-client.ts';
import { runMaintenanceJob } from '../../jobs/maintenance.ts';
import { runReadinessJob } from '../../jobs/readiness.ts';
import {
  checkSnapshotRequest,
  runSnapshotJob,
  snapshotExitCode,
  snapshotRequestFields,
  snapshotsNotDelivered,
} from '../../jobs/snapshot.ts';
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
    const issues = inputIssues(parsed.error.issues).map((issue) => `${issue.path}: ${issue.message}`);
    throw new InputError(`snapshot body is invalid: ${issues.join('; ')}`);
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
}

/** Run one request; the HTTP status is 200 when the job ran (its result says how each target went). */
export async function snapshotFunction(request: SnapshotFunctionRequest, deps: SnapshotFunctionDependencies) {
  const cloud = gcpSnapshotCloud({ policy: deps.policy, clients: deps.gcp });
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
    const result = await runMaintenanceJob({ policy: deps.policy, clouds: [cloud], logger });
    // A snapshot a maintenance is due without: an ERROR entry (what alerting filters on), with the
    // count the AWS job records as its alarmed SnapshotsFailed metric.
    const snapshotsFailed = snapshotsNotDelivered(result.snapshots);
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
  const result = await runSnapshotJob(snapshotRequest, { policy: deps.policy, clouds: [cloud], logger });
  return { ...result, exitCode: snapshotExitCode(result) };
}

let dependencies: SnapshotFunctionDependencies | undefined;

export function createSnapshotHandler(
  deps: () => SnapshotFunctionDependencies = () => {
    if (!dependencies) {
      const gcp = GcpClientFactory.fromEnv();
      dependencies = {
        policy: loadFunctionPolicy(),
        gcp,
        readinessClients: withSecretManager(gcp, withCloudStorage(gcp)),
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
      const name = error instanceof Error ? error.name : 'Error';
      logger.error('snapshot function failed', { error: { name, message: describeError(error) } });
      res.status(500).json({ ok: false, error: { name } });
    }
  };
}

functions.http('snapshot', createSnapshotHandler());
