/**
 * `audit-dumps` Lambda: run by an EventBridge Scheduler schedule, audits the pg_dump series at the
 * policy's S3 locations (fresh, whole, kept, protected), records metrics, and publishes the
 * findings to Security Hub when the policy enables it. The wiring is the shared {@link auditHandler}.
 */
import { s3DumpsCollector } from '../../aws/s3-dumps.ts';
import { type AuditLambdaDependencies, type AuditLambdaResult, auditHandler } from './audit-handler.ts';

const lambda = auditHandler({
  service: 'audit-dumps',
  groups: ['dumps'],
  collectors: { dumps: s3DumpsCollector },
});

// Init makes the clients every run makes first (AuditLambda.ready).
await lambda.ready;

export type AuditDumpsResult = AuditLambdaResult;
export type AuditDumpsDependencies = AuditLambdaDependencies;

/** Parse the schedule's input (`regions`, `publish`), naming the bad field; a run may only narrow the policy's regions. */
export const parseAuditDumpsInput = lambda.parseInput;

/** The plain function behind the handler: tests call it with their own dependencies. */
export const auditDumps = lambda.run;

export const handler = lambda.handler;
