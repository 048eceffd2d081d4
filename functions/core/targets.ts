/**
 * Target selection: which databases certctl depends on. Cloud-neutral, so the RDS, Aurora and
 * Cloud SQL adapters (and the snapshot action) select targets the same way.
 */
import type { StandIn } from './facts.ts';
import type { CheckGroup, Provider, ResourceRef } from './finding.ts';
import { GCP_PROJECT_ID_PATTERN } from './gcp-project.ts';
import { type Policy, policyProviders } from './policy.ts';

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
  return targetTagOf(candidate.tags, targets) !== undefined;
}

/**
 * How the policy's names or tags select a candidate, in words (`targets.identifiers`, `the target tag
 * key=value`); undefined when neither does (`targets.all` is not asked).
 */
export function selectedBy(candidate: TargetCandidate, targets: Policy['targets']): string | undefined {
  if (isTarget(candidate, { ...targets, all: false, tags: [] })) return 'targets.identifiers';
  const tag = targetTagOf(candidate.tags, targets);
  return tag ? `the target tag ${tag.key}=${tag.value}` : undefined;
}

/** The first of the policy's `targets.tags` that `tags` carries (key and value equal), if any. */
export function targetTagOf(
  tags: Readonly<Record<string, string>>,
  targets: Pick<Policy['targets'], 'tags'>,
): Policy['targets']['tags'][number] | undefined {
  return targets.tags.find((tag) => Object.hasOwn(tags, tag.key) && tags[tag.key] === tag.value);
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

/** Where an identifier must live when it says so: an RDS ARN, a Cloud SQL selfLink or connection name. */
export interface IdentifierLocation {
  readonly provider: Provider;
  readonly account: string;
  /** Absent for a Cloud SQL selfLink (a project lists all its regions at once). */
  readonly region?: string;
}

const RDS_ARN = /^arn:aws[a-z-]*:rds:([a-z0-9-]+):(\d{12}):(?:db|cluster):/i;
const CLOUD_SQL_SELF_LINK = /\/projects\/([^/]+)\/instances\/[^/]+$/i;
const CLOUD_SQL_CONNECTION_NAME = new RegExp(
  `^(${GCP_PROJECT_ID_PATTERN}):([a-z]+-[a-z]+\\d+):[a-z][a-z0-9-]*$`,
  'i',
);

/** The provider, account and region an identifier names; undefined for a plain name. */
export function locateIdentifier(identifier: string): IdentifierLocation | undefined {
  const arn = RDS_ARN.exec(identifier);
  if (arn?.[1] && arn[2]) return { provider: 'aws', account: arn[2], region: arn[1] };
  const selfLink = CLOUD_SQL_SELF_LINK.exec(identifier);
  if (selfLink?.[1] && identifier.includes('sqladmin')) return { provider: 'gcp', account: selfLink[1] };
  const connection = CLOUD_SQL_CONNECTION_NAME.exec(identifier);
  if (connection?.[1] && connection[2])
    return { provider: 'gcp', account: connection[1], region: connection[2] };
  return undefined;
}

/**
 * The database name an identifier that says where it lives ({@link locateIdentifier}) names: the
 * identifier at the end of an RDS ARN, the instance of a Cloud SQL selfLink or connection name;
 * undefined for a plain name.
 */
export function identifierName(identifier: string): string | undefined {
  if (!locateIdentifier(identifier)) return undefined;
  return /[:/]([^:/]+)$/.exec(identifier)?.[1];
}

/** What a run covered: which providers it audited, and whether it was narrowed (`--region`, `--project`). */
export interface RunCoverage {
  readonly providers: readonly Provider[];
  /** The check groups of the run; a run that plans no scope names them in its coverage problem. */
  readonly groups?: readonly CheckGroup[];
  readonly narrowed: boolean;
}

/** A scope of a run, as far as target coverage cares. */
export interface CoveredScope {
  readonly provider: Provider;
  readonly account: string;
  readonly region: string;
  readonly complete: boolean;
}

/**
 * The policy's `targets.identifiers` that name a database judged at another resource: what it is
 * and where it is judged (`certctl-prod-aurora-1: Aurora member, judged at certctl-prod-aurora`).
 */
export function targetsJudgedElsewhere(
  policy: Pick<Policy, 'targets'>,
  standIns: readonly (StandIn & { readonly judgedAt: string })[],
): { identifier: string; note: string }[] {
  return policy.targets.identifiers.flatMap((identifier) => {
    const wanted = identifier.toLowerCase();
    const standIn = standIns.find(({ names }) => names.some((name) => name.toLowerCase() === wanted));
    return standIn ? [{ identifier, note: `${standIn.what}, judged at ${standIn.judgedAt}` }] : [];
  });
}

/**
 * The policy's `targets.identifiers` this run should have found and did not: a typo, or a database
 * that no longer exists. Only identifiers the run could have found count, so one policy can serve
 * the Lambda (AWS only), the Cloud Function (GCP only) and narrowed CLI runs without false alarms:
 * - an ARN, selfLink or connection name counts when the run audited its provider, unless its scope
 *   failed (then it is NOT_AVAILABLE already) or a narrowed run did not read its scope;
 * - a plain name counts only when the run was not narrowed, audited every provider the policy
 *   configures (`policyProviders`: a GCP-only policy configures no AWS, so the GCP run alone covers
 *   it), and every scope was read: then it could be nowhere else.
 */
export function unmatchedTargets(
  policy: Pick<Policy, 'targets' | 'gcp' | 'aws'>,
  judged: Iterable<ResourceRef>,
  scopes: readonly CoveredScope[],
  coverage: RunCoverage,
): string[] {
  const identifiers = policy.targets.identifiers;
  if (identifiers.length === 0) return [];
  const seen = new Set<string>();
  for (const resource of judged) for (const name of namesOf(resource)) seen.add(name.toLowerCase());
  const coversEveryProvider = policyProviders(policy).every((provider) =>
    coverage.providers.includes(provider),
  );
  const everyScopeRead = scopes.every((scope) => scope.complete);
  const scopeOf = (location: IdentifierLocation): CoveredScope | undefined =>
    scopes.find(
      (scope) =>
        scope.provider === location.provider &&
        scope.account === location.account &&
        (scope.region === '*' || location.region === undefined || scope.region === location.region),
    );
  return identifiers.filter((identifier) => {
    if (seen.has(identifier.toLowerCase())) return false;
    const location = locateIdentifier(identifier);
    if (!location) return !coverage.narrowed && coversEveryProvider && everyScopeRead;
    if (!coverage.providers.includes(location.provider)) return false;
    const scope = scopeOf(location);
    if (scope) return scope.complete;
    return !coverage.narrowed;
  });
}
