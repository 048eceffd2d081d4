/**
 * `auditPitr` Cloud Function (2nd gen, HTTP trigger): called by Cloud Scheduler with an OIDC token
 * (Cloud Run IAM checks it before this code runs: only the scheduler's service account holds
 * `run.invoker`). Audits Cloud SQL PITR in the policy's GCP projects and publishes the findings to
 * Security Hub keylessly. Answers JSON; HTTP 500 (and an ERROR log entry) when a project could not
 * be audited or publishing failed, so Cloud Scheduler retries and alerting sees it. NOT_AVAILABLE
 * findings alone answer 200 with `exitCode` 2, as the AWS Lambda returns normally with exit code 2
 * (the reasons are in functions/gcp/run-audit.ts).
 *
 * Environment: `BACKUP_GUARD_POLICY` (the policy as JSON). For the simulator only:
 * `BACKUP_GUARD_CLOUDSQL_ENDPOINT`, `GCE_METADATA_HOST`, `AWS_ENDPOINT_URL`.
 */
import * as functions from '@google-cloud/functions-framework';
import * as z from 'zod';
import { InputError, inputIssues } from '../../core/errors.ts';
import { loadPolicyFromEnv } from '../../core/policy.ts';
import { GcpClientFactory } from '../../gcp/clients.ts';
import { createFederatedAwsFactory } from '../../gcp/federation.ts';
import {
  type GcpAuditRunDependencies,
  type GcpAuditRunResult,
  runGcpPitrAudit,
} from '../../gcp/run-audit.ts';
import { createGcpLogger } from './observability.ts';

/** What the scheduler job may send as its body; empty audits the whole policy. */
export const auditPitrRequestSchema = z.strictObject({
  /** Audit only these projects. */
  projects: z.array(z.string().min(1)).min(1).optional(),
  /** Override `policy.securityHub.enabled` for this run. */
  publish: z.boolean().optional(),
});

export type AuditPitrRequest = z.output<typeof auditPitrRequestSchema>;

const logger = createGcpLogger('audit-pitr');

/** The request body as JSON: Cloud Scheduler may send none, or bytes as `application/octet-stream`. */
export function parseAuditPitrRequest(body: unknown): AuditPitrRequest {
  let raw: unknown = body;
  if (Buffer.isBuffer(raw)) raw = raw.toString('utf8');
  if (typeof raw === 'string') {
    if (raw.trim() === '') raw = {};
    else {
      try {
        raw = JSON.parse(raw);
      } catch (error) {
        throw new InputError(`auditPitr body is not JSON: ${(error as Error).message}`, { cause: error });
      }
    }
  }
  const parsed = auditPitrRequestSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issues = inputIssues(parsed.error.issues).map((issue) => `${issue.path}: ${issue.message}`);
  throw new InputError(`auditPitr body is invalid: ${issues.join('; ')}`);
}

type BaseDependencies = Omit<GcpAuditRunDependencies, 'projects' | 'publish'>;
let dependencies: BaseDependencies | undefined;

/** Built once per instance, on the first request (a bad policy then fails that request, visibly). */
function defaultDependencies(): BaseDependencies {
  if (!dependencies) {
    const policy = loadPolicyFromEnv();
    const gcp = GcpClientFactory.fromEnv();
    let aws: ReturnType<typeof createFederatedAwsFactory> | undefined;
    const endpoint = process.env.AWS_ENDPOINT_URL?.trim();
    dependencies = {
      policy,
      cloudSql: gcp.cloudSql(),
      awsFactory: () => {
        aws ??= createFederatedAwsFactory(policy, endpoint ? { endpoint } : {});
        return aws;
      },
      logger,
    };
  }
  return dependencies;
}

/** The HTTP function; exported for tests that serve it with their own dependencies. */
export function createAuditPitrHandler(
  deps: () => BaseDependencies = defaultDependencies,
): functions.HttpFunction {
  return async (req, res) => {
    if (req.method !== 'POST') {
      res
        .status(405)
        .set('Allow', 'POST')
        .json({ error: 'auditPitr is called with POST (Cloud Scheduler).' });
      return;
    }
    let request: AuditPitrRequest;
    try {
      request = parseAuditPitrRequest(req.body);
    } catch (error) {
      logger.warn('bad request', { error: (error as Error).message });
      res.status(400).json({ error: (error as Error).message });
      return;
    }
    let result: GcpAuditRunResult;
    try {
      result = await runGcpPitrAudit({
        ...deps(),
        ...(request.projects ? { projects: request.projects } : {}),
        ...(request.publish === undefined ? {} : { publish: request.publish }),
      });
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      logger.error('audit did not run', {
        error: { name, message },
        metrics: { AuditRuns: 1, AuditCompleted: 0 },
      });
      res.status(500).json({ ok: false, error: { name, message } });
      return;
    }
    const entry = {
      exitCode: result.exitCode,
      counts: result.counts,
      scopes: result.scopes,
      resources: result.resources,
      published: result.published,
      metrics: result.metrics,
    };
    if (result.ok) logger.info('audit finished', entry);
    else logger.error('audit incomplete or not published', entry);
    res.status(result.ok ? 200 : 500).json(result);
  };
}

functions.http('auditPitr', createAuditPitrHandler());
