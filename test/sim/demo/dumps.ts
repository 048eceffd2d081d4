/**
 * The pg_dump chapter of `npm run demo`: the dumps audit (the job the `audit-dumps` Lambda and the
 * `auditDumps` Cloud Function run) over the demo's dump series in S3 and Cloud Storage, published to
 * the simulator's Security Hub. No dump is downloaded: the chapter counts the ranged reads the
 * collectors made (each newest dump's header and its last bytes).
 */
import { PG_DUMP_HEADER_BYTES } from '../../../functions/core/pg-dump-header.ts';
import { PG_DUMP_TAIL_BYTES } from '../../../functions/core/pg-dump-tail.ts';
import { loadPolicyFile } from '../../../functions/core/policy-file.ts';
import { withCloudStorage } from '../../../functions/gcp/storage-client.ts';
import { renderConsole } from '../../../functions/publish/console.ts';
import { SECURITY_HUB_SERVICE, type SecurityHubSim } from '../services/security-hub.ts';
import { publishedGroupAudit } from './audit.ts';
import type { DemoContext } from './context.ts';

/** The policy of this chapter: the demo policy plus the dump locations. */
export const DEMO_DUMPS_POLICY = 'test/sim/scenarios/demo-dumps-policy.yaml';

/** The dumps audit of both clouds, published; returns the audit's exit code. */
export async function dumpsChapter({ sim, out, bold, color }: DemoContext): Promise<number> {
  const policy = await loadPolicyFile(DEMO_DUMPS_POLICY);
  out(`\n${bold('pg_dump backups')}\n`);
  out(
    `Policy ${DEMO_DUMPS_POLICY}: ${policy.dumps.locations.length} dump locations, a dump every ${policy.dumps.cadenceHours} h (+${policy.dumps.graceHours} h grace), kept ${policy.dumps.minDays} days, database ${policy.dumps.databaseName}.\n`,
  );
  out(`${bold('$ audit-dumps (Lambda) + auditDumps (Cloud Function), publishing')}\n`);
  const outcome = await publishedGroupAudit(sim, policy, 'dumps', withCloudStorage);
  out(`${renderConsole(outcome.report, { color })}\n`);
  const hub = sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE);
  const dumps = hub.allFindings().filter((entry) => entry.finding.ProductFields?.checkGroup === 'dumps');
  out(
    `\n${bold('Security Hub')}: ${dumps.length} dumps findings, one per check and location; S3 buckets as AwsS3Bucket, Cloud Storage as Other.\n`,
  );
  // The count spans the whole job, its Security Hub reads and imports included, so it is not
  // called reads; the ranged reads are S3 GetObject and Cloud Storage alt=media calls.
  const { requests, byOperation } = sim.stats();
  const rangedReads = (byOperation['s3:GetObject'] ?? 0) + (byOperation['gcs:objects.media'] ?? 0);
  out(
    `API calls: ${requests}, publishing included; ${rangedReads} of them ranged reads, the first ${PG_DUMP_HEADER_BYTES} and the last ${PG_DUMP_TAIL_BYTES} bytes of each newest dump: none is downloaded whole.\n`,
  );
  out(`The dumps audit's exit code is ${outcome.exitCode}.\n`);
  return outcome.exitCode;
}
