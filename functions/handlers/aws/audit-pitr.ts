/**
 * `audit-pitr` Lambda: run by an EventBridge Scheduler schedule, audits managed-Postgres PITR in
 * every configured account and region, records metrics, and publishes the findings to Security
 * Hub when the policy enables it. The wiring is the shared {@link auditHandler}.
 */
import { rdsPitrCollector } from '../../aws/rds.ts';
import {
  type AuditLambdaDependencies,
  type AuditLambdaInput,
  type AuditLambdaResult,
  auditHandler,
  auditInputSchema,
} from './audit-handler.ts';

const lambda = auditHandler({
  service: 'audit-pitr',
  groups: ['pitr'],
  collectors: { pitr: rdsPitrCollector },
});

// Init makes the clients every run makes first (AuditLambda.ready).
await lambda.ready;

/** What the schedule may pass (its `Input`); an empty or absent payload audits the whole policy. */
export const auditPitrInputSchema = auditInputSchema;
export type AuditPitrInput = AuditLambdaInput;
export type AuditPitrResult = AuditLambdaResult;
export type AuditPitrDependencies = AuditLambdaDependencies;

/** Parse the schedule's input, naming the bad field; a run may only narrow the policy's regions. */
export const parseAuditPitrInput = lambda.parseInput;

/** The plain function behind the handler: tests call it with their own dependencies. */
export const auditPitr = lambda.run;

/** {@link auditPitr} with the failure evidence (ERROR log, `AuditCompleted` 0) the deployed handler writes. */
export const auditPitrWithEvidence = lambda.runWithEvidence;

export const handler = lambda.handler;
