/**
 * `audit-keys` Lambda: run by an EventBridge Scheduler schedule, audits the key-material backups
 * the policy's inventory names (Secrets Manager, KMS), and publishes the findings to Security Hub
 * when the policy enables it. The wiring is shared with every scheduled audit (./scheduled-audit.ts).
 */
import {
  runScheduledAudit,
  type ScheduledAuditDependencies,
  type ScheduledAuditResult,
  scheduledAuditLambda,
} from './scheduled-audit.ts';

const JOB = { job: 'audit-keys', groups: ['keys'] } as const;

/** The plain function behind the handler: tests call it with their own dependencies. */
export function auditKeys(event: unknown, deps: ScheduledAuditDependencies): Promise<ScheduledAuditResult> {
  return runScheduledAudit(JOB, event, deps);
}

export const { handler } = scheduledAuditLambda(JOB);
