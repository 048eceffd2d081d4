/**
 * The GCP PITR audit plan: one scope per project with region `*`, because `instances.list` returns a
 * project's instances across every region in one listing (each finding still names the instance's
 * own region). A failed listing fails the whole project scope (NOT_AVAILABLE, never PASSED, and no
 * earlier finding in it is resolved).
 */

import { pitrChecks } from '../checks/pitr/index.ts';
import {
  type AuditProgress,
  type AuditReport,
  runAudit,
  type ScopePlan,
  withTargetCoverage,
} from '../core/audit.ts';
import type { PitrFact } from '../core/facts.ts';
import type { Policy } from '../core/policy.ts';
import { type CloudSqlApi, type CloudSqlReadOptions, readCloudSqlPitrFacts } from './cloud-sql.ts';

/** Region of a project-wide scope. */
export const ALL_REGIONS = '*';
/** Projects audited at once. */
const PROJECT_CONCURRENCY = 32;

export interface GcpPitrPlanOptions extends CloudSqlReadOptions {
  /** Audit only these projects (CLI `--project`); the policy's `gcp.projects` otherwise. */
  readonly projects?: readonly string[];
}

/** One scope per project; `collect` reads the project's Cloud SQL PITR facts. */
export function planGcpPitrAudit(
  policy: Policy,
  clients: CloudSqlApi,
  options: GcpPitrPlanOptions = {},
): ScopePlan<PitrFact>[] {
  const projects = [...new Set(options.projects ?? policy.gcp.projects)];
  return projects.map((project) => ({
    scope: { provider: 'gcp', account: project, region: ALL_REGIONS, group: 'pitr' },
    collect: () => readCloudSqlPitrFacts(clients, project, policy, options),
  }));
}

export interface GcpPitrAuditOptions extends GcpPitrPlanOptions {
  readonly policy: Policy;
  readonly clients: CloudSqlApi;
  readonly onProgress?: (progress: AuditProgress) => void;
  readonly now?: () => Date;
}

/** The GCP PITR audit as one call: plan, read, run the PITR checks. */
export async function auditGcpPitr(options: GcpPitrAuditOptions): Promise<AuditReport> {
  const { policy, clients, onProgress, now, ...planOptions } = options;
  // The adapter measures log-retention bounds on the same clock the checks judge with.
  const plans = planGcpPitrAudit(policy, clients, { ...planOptions, ...(now ? { now } : {}) });
  const report = await runAudit({
    plans,
    checks: pitrChecks,
    policy,
    concurrency: Math.min(PROJECT_CONCURRENCY, Math.max(1, plans.length)),
    ...(onProgress ? { onProgress } : {}),
    ...(now ? { now } : {}),
  });
  return withTargetCoverage(report, policy, { providers: ['gcp'], narrowed: options.projects !== undefined });
}
