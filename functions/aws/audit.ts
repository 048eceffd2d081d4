/**
 * The AWS PITR audit as one call: plan the scopes (accounts x regions), read the facts, run the
 * PITR checks. Handlers and the CLI call this and only render or publish the report.
 */

import { pitrChecks } from '../checks/pitr/index.ts';
import { type AuditProgress, type AuditReport, runAudit, withTargetCoverage } from '../core/audit.ts';
import type { Policy } from '../core/policy.ts';
import type { AwsClientFactory } from './clients.ts';
import { planAwsPitrAudit } from './pitr-audit.ts';

export interface AwsPitrAuditOptions {
  readonly policy: Policy;
  readonly factory: AwsClientFactory;
  /** Audit only these regions (CLI `--region`, handler input); the policy's regions otherwise. */
  readonly regions?: readonly string[];
  /**
   * Region for the account-level calls (STS, Account ListRegions): the Lambda's own region, or the
   * CLI's configured region; us-east-1 when none is known.
   */
  readonly homeRegion?: string | undefined;
  readonly onProgress?: (progress: AuditProgress) => void;
  readonly now?: () => Date;
}

export async function auditAwsPitr(options: AwsPitrAuditOptions): Promise<AuditReport> {
  const plans = await planAwsPitrAudit(options.policy, options.factory, {
    ...(options.regions ? { regions: [...options.regions] } : {}),
    ...(options.homeRegion ? { homeRegion: options.homeRegion } : {}),
  });
  const report = await runAudit({
    plans,
    checks: pitrChecks,
    policy: options.policy,
    concurrency: options.policy.aws.regionConcurrency * Math.max(1, options.policy.aws.accounts.length),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return withTargetCoverage(report, options.policy, {
    providers: ['aws'],
    narrowed: options.regions !== undefined,
  });
}
