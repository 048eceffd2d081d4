/**
 * `auditDumps` Cloud Function: audits the pg_dump series at the policy's Cloud Storage locations
 * (fresh, whole, kept, protected) and publishes the findings to Security Hub in the central account
 * and region through keyless federation. The wiring is the shared {@link auditFunction}.
 */
import * as functions from '@google-cloud/functions-framework';
import { gcsDumpsCollector } from '../../gcp/gcs-dumps.ts';
import { withCloudStorage } from '../../gcp/storage-client.ts';
import { type AuditFunctionDependencies, type AuditFunctionResult, auditFunction } from './audit-function.ts';

const fn = auditFunction({
  name: 'auditDumps',
  service: 'audit-dumps',
  groups: ['dumps'],
  collectors: { dumps: gcsDumpsCollector },
  clients: withCloudStorage,
});

export type AuditDumpsGcpDependencies = AuditFunctionDependencies;
export type AuditDumpsGcpResult = AuditFunctionResult;

/** The request body (`projects`, `publish`) as JSON, naming the bad field. */
export const parseAuditDumpsRequest = fn.parseRequest;

/** The plain function behind the Cloud Function; never throws for cloud failures. */
export const auditDumpsGcp = fn.run;

/** The HTTP function; exported for tests that serve it with their own dependencies. */
export const createAuditDumpsHandler = fn.createHandler;

functions.http('auditDumps', createAuditDumpsHandler());
