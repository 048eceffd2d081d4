/**
 * `audit-keys` Lambda: run by an EventBridge Scheduler schedule, audits the key-material backups
 * the policy's inventory names (Secrets Manager, KMS; values only with `keys.inspectSecretValues`),
 * records metrics, and publishes the findings to Security Hub when the policy enables it. The
 * wiring is the shared {@link auditHandler}.
 */
import { secretsManagerKeysCollector } from '../../aws/secrets-manager.ts';
import { type AuditLambdaDependencies, type AuditLambdaResult, auditHandler } from './audit-handler.ts';

const lambda = auditHandler({
  service: 'audit-keys',
  groups: ['keys'],
  collectors: { keys: secretsManagerKeysCollector },
});

// Init makes the clients every run makes first (AuditLambda.ready).
await lambda.ready;

export type AuditKeysResult = AuditLambdaResult;
export type AuditKeysDependencies = AuditLambdaDependencies;

/** Parse the schedule's input (`regions`, `publish`), naming the bad field; a run may only narrow the policy's regions. */
export const parseAuditKeysInput = lambda.parseInput;

/** The plain function behind the handler: tests call it with their own dependencies. */
export const auditKeys = lambda.run;

export const handler = lambda.handler;
