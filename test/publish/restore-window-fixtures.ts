/**
 * A report for the restore-window renderers, produced by the real PITR checks and the real audit
 * engine over facts at the fixed `NOW`: one database of every status, so the rows, their order and
 * the bars come from what the checks really put in `observed` and `required`.
 */
import { pitrChecks } from '../../functions/checks/pitr/index.ts';
import { type AuditReport, runAudit, type ScopePlan } from '../../functions/core/audit.ts';
import type { PitrFact } from '../../functions/core/facts.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import {
  auroraClusterFact,
  cloudSqlFact,
  daysAgo,
  minutesAgo,
  NOW,
  rdsInstanceFact,
} from '../checks/pitr/fixtures.ts';

function rdsNamed(id: string, overrides: Partial<PitrFact>): PitrFact {
  const base = rdsInstanceFact();
  return rdsInstanceFact({
    resource: { ...base.resource, id, arn: `arn:aws:rds:eu-west-1:111122223333:db:${id}` },
    ...overrides,
  });
}

/** 7 of 30 days: the retention of 7 days caps the window. FAILED (window and retention). */
export const sevenDayDatabase = rdsNamed('certctl-prod-db', {
  retentionDays: 7,
  restoreWindow: {
    known: true,
    earliest: daysAgo(7),
    latest: minutesAgo(4),
    source: 'RestoreWindow.EarliestTime',
  },
});

/** A full 35-day window whose WAL archiving stopped 2 days ago. FAILED (lag). */
export const stalledDatabase = rdsNamed('certctl-archive-db', {
  restoreWindow: {
    known: true,
    earliest: daysAgo(35),
    latest: daysAgo(2),
    source: 'RestoreWindow.EarliestTime',
  },
});

/** The restore window could not be read. NOT_AVAILABLE. */
export const unreadableDatabase = rdsNamed('certctl-dr-db', {
  retentionDays: undefined,
  automatedBackupsEnabled: undefined,
  restoreWindow: { known: false, reason: 'AccessDenied: rds:DescribeDBInstanceAutomatedBackups' },
});

/** Retention raised to 30 days 12 days ago: the window is filling. WARNING. */
export const fillingDatabase = auroraClusterFact({
  restoreWindow: {
    known: true,
    earliest: daysAgo(12),
    latest: minutesAgo(2),
    source: 'EarliestRestorableTime',
  },
  createdAt: daysAgo(12),
});

/** Cloud SQL Enterprise Plus with 30.5 days. PASSED. */
export const healthyDatabase = cloudSqlFact();

function plan(facts: readonly PitrFact[]): ScopePlan<PitrFact> {
  const first = facts[0];
  if (!first) throw new Error('a plan needs at least one fact');
  return {
    scope: {
      provider: first.resource.provider,
      account: first.resource.account,
      region: first.resource.region,
      group: 'pitr',
    },
    collect: async () => facts,
  };
}

/** The report the real audit produces over `facts`, evaluated at `NOW`, with an optional unreadable region. */
export async function auditOf(
  facts: readonly PitrFact[],
  options: { readonly failedRegion?: string } = {},
): Promise<AuditReport> {
  const byScope = new Map<string, PitrFact[]>();
  for (const fact of facts) {
    const key = `${fact.resource.provider}/${fact.resource.account}/${fact.resource.region}`;
    byScope.set(key, [...(byScope.get(key) ?? []), fact]);
  }
  const plans = [...byScope.values()].map(plan);
  if (options.failedRegion) {
    plans.push({
      scope: { provider: 'aws', account: '111122223333', region: options.failedRegion, group: 'pitr' },
      collect: async () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      },
    });
  }
  return runAudit({ plans, checks: pitrChecks, policy: parsePolicy({}), now: () => NOW });
}

/** One database of every status and an unreadable region. */
export function everyStatusReport(): Promise<AuditReport> {
  return auditOf([healthyDatabase, fillingDatabase, unreadableDatabase, stalledDatabase, sevenDayDatabase], {
    failedRegion: 'us-east-1',
  });
}

/** A database id an attacker with tagging rights could choose: a script, an event handler, quotes. */
export const HOSTILE_ID = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'&`;

/** One healthy database whose id is `HOSTILE_ID`. */
export function hostileReport(): Promise<AuditReport> {
  return auditOf([rdsNamed(HOSTILE_ID, {})]);
}
