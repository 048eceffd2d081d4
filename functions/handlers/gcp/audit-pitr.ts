/**
 * `auditPitr` Cloud Function: audits Cloud SQL PITR in the policy's GCP projects and publishes the
 * findings to Security Hub in the central account and region through keyless federation. The
 * wiring (request, answer, status codes, environment) is the shared {@link auditFunction}.
 */
import * as functions from '@google-cloud/functions-framework';
import { cloudSqlPitrCollector } from '../../gcp/cloud-sql.ts';
import {
  type AuditFunctionDependencies,
  type AuditFunctionResult,
  type AuditRequest,
  auditFunction,
  auditRequestSchema,
} from './audit-function.ts';

const fn = auditFunction({
  name: 'auditPitr',
  service: 'audit-pitr',
  groups: ['pitr'],
  collectors: { pitr: cloudSqlPitrCollector },
});

/** What the scheduler job may send as its body; empty audits the whole policy. */
export const auditPitrRequestSchema = auditRequestSchema;
export type AuditPitrRequest = AuditRequest;
export type AuditPitrGcpDependencies = AuditFunctionDependencies;
export type AuditPitrGcpResult = AuditFunctionResult;

/** The request body as JSON: Cloud Scheduler may send none, or bytes as `application/octet-stream`. */
export const parseAuditPitrRequest = fn.parseRequest;

/** The plain function behind the Cloud Function; never throws for cloud failures. */
export const auditPitrGcp = fn.run;

/** The HTTP function; exported for tests that serve it with their own dependencies. */
export const createAuditPitrHandler = fn.createHandler;

functions.http('auditPitr', createAuditPitrHandler());
