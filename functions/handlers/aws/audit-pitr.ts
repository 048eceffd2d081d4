/**
 * `audit-pitr` Lambda: run by an EventBridge Scheduler schedule, audits managed-Postgres PITR in
 * every configured account and region, records metrics, and publishes the findings to Security
 * Hub when the policy enables it. The wiring is shared with every scheduled audit
 * (./scheduled-audit.ts); this file names the job and its group.
 */
import {
  parseScheduledAuditInput,
  runScheduledAudit,
  type ScheduledAuditDependencies,
  type ScheduledAuditInput,
  type ScheduledAuditResult,
  scheduledAuditInputSchema,
  scheduledAuditLambda,
} from './scheduled-audit.ts';

const JOB = { job: 'audit-pitr', groups: ['pitr'] } as const;

export const auditPitrInputSchema = scheduledAuditInputSchema;
export type AuditPitrInput = ScheduledAuditInput;
export type AuditPitrResult = ScheduledAuditResult;
export type AuditPitrDependencies = ScheduledAuditDependencies;

/** Parse the schedule's input, naming the bad field. */
export function parseAuditPitrInput(event: unknown): ReturnType<typeof parseScheduledAuditInput> {
  return parseScheduledAuditInput(event, JOB.job);
}

/** The plain function behind the handler: tests call it with their own dependencies. */
export function auditPitr(event: unknown, deps: AuditPitrDependencies): Promise<AuditPitrResult> {
  return runScheduledAudit(JOB, event, deps);
}

export const { handler } = scheduledAuditLambda(JOB);
