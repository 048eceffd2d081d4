/**
 * What every dumps check adds for an S3 bucket that S3 says is in another region than the policy
 * places it in (./index.ts `dumpsCheck`, after the check's own verdict). The adapter follows S3's
 * redirect and reads the bucket where it is (functions/aws/s3-dumps.ts), and what it read there is
 * true; but the audit role's region-scoped grants follow dumps.locations (infra/permissions.ts:
 * kms:Decrypt only through S3 in the policy's regions, Security Hub import only there), so in a
 * deployed stack the ranged reads of an SSE-KMS dump are refused there, and a run that passes today
 * rests on a misplaced location. So the finding says it, whatever its verdict:
 *
 * - PASSED becomes WARNING, its fix the policy's: nothing silent may rest on grants that do not
 *   cover where the bucket was read.
 * - Any other verdict keeps its status and its own fix, with the same sentence added.
 *
 * Both regions are observed (`bucketRegion`, `policyRegion`).
 */
import type { CheckOutcome } from '../../core/check.ts';
import type { DumpFact } from '../../core/dump-facts.ts';

/** `outcome` as it reads for a bucket read in another region than the policy's; as is otherwise. */
export function withRegionMismatch(
  fact: DumpFact,
  outcome: CheckOutcome | undefined,
): CheckOutcome | undefined {
  const placed = fact.policyRegion;
  if (outcome === undefined || placed === undefined) return outcome;
  const real = fact.resource.region;
  const fix = `set this location's region to ${real} and redeploy`;
  const note = `S3 says the bucket is in ${real}, not ${placed} as dumps.locations says: it was read in ${real}, but the audit role's region-scoped grants (kms:Decrypt through S3, Security Hub import) follow dumps.locations; ${fix}.`;
  const observed = { ...outcome.observed, bucketRegion: real, policyRegion: placed };
  const description = `${outcome.description} ${note}`;
  if (outcome.status !== 'PASSED') return { ...outcome, description, observed };
  return {
    ...outcome,
    status: 'WARNING',
    description,
    observed,
    remediationText: `In the policy's dumps.locations, ${fix} (the bucket ${fact.location.bucket} is in ${real}), so that the audit's grants cover where it is.`,
  };
}
