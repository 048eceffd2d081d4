/**
 * The gate every dumps check passes first (./index.ts `dumpsCheck`): a Cloud Storage bucket not
 * proven to be the policy project's is judged on that alone. Bucket names are global, so once
 * certctl's dump bucket is deleted its name can be created in another project; what that bucket
 * holds is someone else's, and nothing read from it may pass a check as the policy's dumps.
 *
 * - Another project owns it (`foreign`): FAILED, naming both project numbers. The location the
 *   policy names does not hold certctl's dumps: a proven fact, not one that could not be read (S3
 *   cannot tell the two apart, as its owner condition answers 403 AccessDenied either way, so a
 *   foreign S3 bucket reads as NOT_AVAILABLE there).
 * - Its owner is not known (buckets.get refused or without `projectNumber`, projects.get refused):
 *   NOT_AVAILABLE, never PASSED; when only projects.get failed, the bucket's own number is named and
 *   observed, for the reader to compare with the project's. A read no role fixes (the Cloud Storage
 *   or Resource Manager API not enabled) has its own remediation, not the check's.
 * - Proven, or not a GCS fact (`ownership` undefined: S3 enforces the owner on every call): no
 *   verdict here, the check judges the facts.
 */
import type { CheckMetadata, CheckOutcome } from '../../core/check.ts';
import type { DumpFact } from '../../core/dump-facts.ts';
import { locationLabel, notAvailable } from './wording.ts';

/** The outcome of `metadata`'s check for a bucket not proven the policy project's; undefined otherwise. */
export function unprovenOwnerOutcome(fact: DumpFact, metadata: CheckMetadata): CheckOutcome | undefined {
  const ownership = fact.ownership;
  if (!ownership || ownership.state === 'proven') return undefined;
  const project = fact.resource.account;
  if (ownership.state === 'unknown') {
    const outcome = notAvailable(
      fact,
      `the bucket is not proven to belong to ${project} (${ownership.reason}); nothing in a bucket of another project may count for ${metadata.id}`,
      { bucketProjectNumber: ownership.bucketProjectNumber ?? null },
      { bucketProject: project },
    );
    return ownership.remedy ? { ...outcome, remediationText: ownership.remedy } : outcome;
  }
  return {
    status: 'FAILED',
    description: `${locationLabel(fact)} is in a bucket of another project (number ${ownership.owner}), not of ${project} (number ${ownership.expected}): bucket names are global, so the name was taken after certctl's bucket was deleted or the policy names the wrong bucket; nothing in it counts for ${metadata.id}.`,
    observed: { bucketProjectNumber: ownership.owner },
    required: { bucketProject: project, bucketProjectNumber: ownership.expected },
    remediationText: `Point dumps.locations at certctl's own bucket in ${project}, or recreate the dump bucket there under a new name, and check where the dump job has been uploading: a bucket of another project may have received certctl's dumps.`,
  };
}
