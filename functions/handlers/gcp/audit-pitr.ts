/**
 * `auditPitr` Cloud Function: audits Cloud SQL PITR in the policy's GCP projects and publishes the
 * findings to Security Hub keylessly. The wiring is shared with every scheduled audit
 * (./scheduled-audit.ts); this file names the function and its group.
 */
import type * as functions from '@google-cloud/functions-framework';
import {
  createScheduledAuditHandler,
  parseScheduledAuditRequest,
  registerScheduledAudit,
  runScheduledAuditGcp,
  type ScheduledAuditGcpDependencies,
  type ScheduledAuditGcpResult,
  type ScheduledAuditRequest,
  scheduledAuditRequestSchema,
} from './scheduled-audit.ts';

const JOB = { name: 'auditPitr', job: 'audit-pitr', groups: ['pitr'] } as const;

export const auditPitrRequestSchema = scheduledAuditRequestSchema;
export type AuditPitrRequest = ScheduledAuditRequest;
export type AuditPitrGcpDependencies = ScheduledAuditGcpDependencies;
export type AuditPitrGcpResult = ScheduledAuditGcpResult;

/** The request body as JSON: Cloud Scheduler may send none, or bytes as `application/octet-stream`. */
export function parseAuditPitrRequest(body: unknown): AuditPitrRequest {
  return parseScheduledAuditRequest(body, JOB.name);
}

/** Audit Cloud SQL PITR and publish; never throws for cloud failures, which the result reports. */
export function auditPitrGcp(
  request: AuditPitrRequest,
  deps: AuditPitrGcpDependencies,
): Promise<AuditPitrGcpResult> {
  return runScheduledAuditGcp(JOB, request, deps);
}

/** The HTTP function; exported for tests that serve it with their own dependencies. */
export function createAuditPitrHandler(deps?: () => AuditPitrGcpDependencies): functions.HttpFunction {
  return createScheduledAuditHandler(JOB, deps);
}

registerScheduledAudit(JOB);
