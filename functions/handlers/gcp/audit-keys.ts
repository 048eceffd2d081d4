/**
 * `auditKeys` Cloud Function: audits the key-material backups the policy's inventory names in
 * Secret Manager (metadata; values only with `keys.inspectSecretValues`) and publishes the findings
 * to Security Hub in the central account and region through keyless federation. The wiring is the
 * shared {@link auditFunction}.
 */
import * as functions from '@google-cloud/functions-framework';
import { secretManagerKeysCollector, withSecretManager } from '../../gcp/secret-manager.ts';
import { type AuditFunctionDependencies, type AuditFunctionResult, auditFunction } from './audit-function.ts';

const fn = auditFunction({
  name: 'auditKeys',
  service: 'audit-keys',
  groups: ['keys'],
  collectors: { keys: secretManagerKeysCollector },
  clients: withSecretManager,
});

export type AuditKeysGcpDependencies = AuditFunctionDependencies;
export type AuditKeysGcpResult = AuditFunctionResult;

/** The request body (`projects`, `publish`) as JSON, naming the bad field. */
export const parseAuditKeysRequest = fn.parseRequest;

/** The plain function behind the Cloud Function; never throws for cloud failures. */
export const auditKeysGcp = fn.run;

/** The HTTP function; exported for tests that serve it with their own dependencies. */
export const createAuditKeysHandler = fn.createHandler;

functions.http('auditKeys', createAuditKeysHandler());
