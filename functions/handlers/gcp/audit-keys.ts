/**
 * `auditKeys` Cloud Function: audits the key-material backups the policy's inventory names in
 * Secret Manager and publishes the findings to Security Hub keylessly. The wiring is shared with
 * every scheduled audit (./scheduled-audit.ts).
 */
import {
  registerScheduledAudit,
  runScheduledAuditGcp,
  type ScheduledAuditGcpDependencies,
  type ScheduledAuditGcpResult,
  type ScheduledAuditRequest,
} from './scheduled-audit.ts';

const JOB = { name: 'auditKeys', job: 'audit-keys', groups: ['keys'] } as const;

/** Audit the key-material inventory and publish; cloud failures are in the result. */
export function auditKeysGcp(
  request: ScheduledAuditRequest,
  deps: ScheduledAuditGcpDependencies,
): Promise<ScheduledAuditGcpResult> {
  return runScheduledAuditGcp(JOB, request, deps);
}

registerScheduledAudit(JOB);
