/**
 * Target selection: which databases certctl depends on. Cloud-neutral, so the RDS, Aurora and
 * Cloud SQL adapters (and the snapshot action) select targets the same way.
 */
import type { ResourceRef } from './finding.ts';
import type { Policy } from './policy.ts';

/** What an adapter knows about a resource when it decides whether to audit it. */
export interface TargetCandidate {
  /** Every name the resource answers to: identifier, ARN, selfLink, … */
  readonly identifiers: readonly string[];
  /** The resource's tags (AWS) or labels (GCP), key to value. */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * A resource is a target when the policy selects `all`, names one of its identifiers, or lists a
 * tag the resource carries with the same key and value.
 *
 * Identifiers compare case-insensitively: RDS stores DB and cluster identifiers in lowercase and
 * treats them as case-insensitive ("This parameter isn't case-sensitive", RDS API reference), and
 * Cloud SQL instance names are lowercase by rule, so `CertctlDb` in a policy must still select
 * `certctldb` rather than silently leave it unaudited. Tags compare exactly: AWS tag keys and
 * values are case-sensitive.
 */
export function isTarget(candidate: TargetCandidate, targets: Policy['targets']): boolean {
  if (targets.all) return true;
  if (targets.identifiers.length > 0) {
    const wanted = new Set(targets.identifiers.map((identifier) => identifier.toLowerCase()));
    if (candidate.identifiers.some((identifier) => wanted.has(identifier.toLowerCase()))) return true;
  }
  return targets.tags.some(
    (tag) => Object.hasOwn(candidate.tags, tag.key) && candidate.tags[tag.key] === tag.value,
  );
}

/**
 * Every name a judged resource answers to, as a policy may list it: identifier, ARN, selfLink and,
 * for Cloud SQL, the connection name `project:region:instance`.
 */
export function namesOf(resource: ResourceRef): string[] {
  const names = [resource.id];
  if (resource.arn) names.push(resource.arn);
  if (resource.selfLink) names.push(resource.selfLink);
  if (resource.provider === 'gcp') names.push(`${resource.account}:${resource.region}:${resource.id}`);
  return names;
}

/**
 * The policy's `targets.identifiers` that no judged resource answers to: a typo or a database that
 * no longer exists. Either way the audit did not prove what the policy asked, so it must say so.
 */
export function unmatchedIdentifiers(
  identifiers: readonly string[],
  judged: Iterable<ResourceRef>,
): string[] {
  if (identifiers.length === 0) return [];
  const seen = new Set<string>();
  for (const resource of judged) for (const name of namesOf(resource)) seen.add(name.toLowerCase());
  return identifiers.filter((identifier) => !seen.has(identifier.toLowerCase()));
}
