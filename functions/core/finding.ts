/**
 * The neutral finding: what every check produces and every publisher consumes.
 * One finding per (check, resource). Cloud SDK shapes never appear here.
 */

/** Compliance status, the same four values as ASFF `Compliance.Status`. */
export const COMPLIANCE_STATUSES = ['PASSED', 'WARNING', 'FAILED', 'NOT_AVAILABLE'] as const;
export type ComplianceStatus = (typeof COMPLIANCE_STATUSES)[number];

/** Severity labels, the same as ASFF `Severity.Label`. */
export const SEVERITIES = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type Provider = 'aws' | 'gcp';

/**
 * Resource types. The AWS names are ASFF `Resources[].Type` values; the others map to `Other`
 * in ASFF with the real type in `ProductFields`.
 */
export type ResourceType =
  | 'AwsRdsDbInstance'
  | 'AwsRdsDbCluster'
  | 'GcpCloudSqlInstance'
  | 'AwsS3Bucket'
  | 'GcpStorageBucket'
  | 'AwsSecretsManagerSecret'
  | 'GcpSecretManagerSecret'
  /** A whole account x region (or project x region) that could not be evaluated. */
  | 'Scope';

/** What one resource is called in reports and progress lines: singular, plural. */
export type ResourceNoun = readonly [singular: string, plural: string];

/** The nouns of the resources the built-in check groups judge, one spelling for every output. */
export const NOUNS = {
  database: ['database', 'databases'],
  dumpSeries: ['dump series', 'dump series'],
  secret: ['secret', 'secrets'],
} as const satisfies Record<string, ResourceNoun>;

/**
 * What a resource is called in the reports, by its type: the noun of the check group that judges it
 * (functions/jobs/groups.ts names its facts with the same {@link NOUNS}), so a secret or a dump
 * series is never counted as a database.
 */
export const RESOURCE_NOUN: Readonly<Record<ResourceType, ResourceNoun>> = {
  AwsRdsDbInstance: NOUNS.database,
  AwsRdsDbCluster: NOUNS.database,
  GcpCloudSqlInstance: NOUNS.database,
  AwsS3Bucket: NOUNS.dumpSeries,
  GcpStorageBucket: NOUNS.dumpSeries,
  AwsSecretsManagerSecret: NOUNS.secret,
  GcpSecretManagerSecret: NOUNS.secret,
  Scope: ['scope', 'scopes'],
};

/**
 * The check groups of the catalog, the one list of their names: the lifecycle, the metrics and the
 * docs read it. Each scope is (account or project) x region x group.
 */
export const CHECK_GROUPS = ['pitr', 'dumps', 'keys'] as const;
export type BuiltInCheckGroup = (typeof CHECK_GROUPS)[number];
/**
 * A check group's name: one of {@link CHECK_GROUPS}, or a group registered at run time (an
 * extension, a test). Names match {@link CHECK_GROUP_NAME}, so they survive a round trip through
 * Security Hub's ProductFields.
 */
export type CheckGroup = BuiltInCheckGroup | (string & {});
/**
 * What each built-in group judges, by the same {@link NOUNS}: a failed keys scope left secrets
 * unjudged, not databases. functions/jobs/groups.ts registers the groups with these.
 */
export const GROUP_RESOURCES: Readonly<Record<BuiltInCheckGroup, ResourceNoun>> = {
  pitr: NOUNS.database,
  dumps: NOUNS.dumpSeries,
  keys: NOUNS.secret,
};

/** What `group` judges; `resource` for a group registered at run time. */
export function groupResources(group: CheckGroup): ResourceNoun {
  return (GROUP_RESOURCES as Readonly<Record<string, ResourceNoun>>)[group] ?? ['resource', 'resources'];
}

/** The letters of a check group's name. */
const CHECK_GROUP_NAME_SOURCE = '[a-z][a-z0-9-]{0,31}';
/**
 * The letters of a check's own name, after its group's and a dot (`cross-region`): words of letters
 * and digits joined by single hyphens, so one never ends in a hyphen (prose reads `pitr.window-` as
 * the id and a dash). Chat's prose guard finds check ids by it (chatops/replies.ts).
 */
export const CHECK_OWN_NAME_SOURCE = '[a-z0-9]+(?:-[a-z0-9]+)*';

/** What a check group's name looks like. */
export const CHECK_GROUP_NAME = new RegExp(`^${CHECK_GROUP_NAME_SOURCE}$`);

/**
 * What a check id looks like: its group's name ({@link CHECK_GROUP_NAME}), a dot, and the check's
 * own name in the same letters (`pitr.cross-region`, `tls13.cert-age`). Registering a group
 * (functions/jobs/groups.ts) refuses any other id, and a policy exception names its check by one, so
 * every check a registered group has can be excepted and the group is read up to the dot.
 */
export const CHECK_ID = new RegExp(`^${CHECK_GROUP_NAME_SOURCE}\\.${CHECK_OWN_NAME_SOURCE}$`);

export interface ResourceRef {
  readonly provider: Provider;
  /** AWS account id (12 digits) or GCP project id. */
  readonly account: string;
  readonly region: string;
  readonly type: ResourceType;
  /** The resource's name in its cloud (DB identifier, Cloud SQL instance name, …). */
  readonly id: string;
  /** AWS ARN, when the resource has one. */
  readonly arn?: string;
  /** GCP selfLink, when the resource has one. */
  readonly selfLink?: string;
  /**
   * The cloud's immutable id of this database, new when a database of the same name is created
   * again: RDS `DbiResourceId`, Aurora `DbClusterResourceId` (DBInstance, DBCluster in the RDS API
   * reference). Snapshots name the same id, so an earlier database's snapshots are told apart
   * (functions/jobs/readiness.ts). Absent when the API did not send it, and for resources without one.
   */
  readonly resourceId?: string;
  /**
   * When the database was created (ISO 8601), where its cloud has no resource id: Cloud SQL
   * `createTime`. A backup run taken before it is of an earlier instance of the same name
   * (functions/actions/snapshot/identity.ts). Absent when not sent, and for other resources.
   */
  readonly createdAt?: string;
  /**
   * A Cloud SQL instance's `settings.backupConfiguration.backupTier` as its listing sent it
   * (`STANDARD`, `ENHANCED`, `ADVANCED`): on the enhanced tier Backup and DR takes its backups, so
   * the PITR checks name the backup plan instead of judging the instance's own backup settings
   * (functions/checks/pitr/wording.ts `backupPlanTier`), and readiness does not look for a snapshot
   * of ours (functions/jobs/readiness.ts). The one place the tier is held. Absent when not sent, and
   * for other resources.
   */
  readonly backupTier?: string;
}

/** Observed and required values, flat so they fit ASFF ProductFields and a table column. */
export type FindingValues = Readonly<Record<string, string | number | boolean | null>>;

export interface Remediation {
  /** The fix; for check metadata, the default when `texts` has none for the resource's cloud. */
  readonly text: string;
  /** Check metadata only: the fix per cloud, where the commands differ (no finding quotes another cloud's CLI). */
  readonly texts?: Partial<Record<Provider, string>>;
  /** The documentation; for check metadata, the default when `urls` has none for the resource's cloud. */
  readonly url: string;
  /** Check metadata only: documentation per cloud (Cloud SQL findings link to Google's docs). */
  readonly urls?: Partial<Record<Provider, string>>;
}

export interface Finding {
  readonly checkId: string;
  readonly group: CheckGroup;
  readonly resource: ResourceRef;
  /**
   * The region of the scope that read the resource, when it is not the resource's own: a bucket
   * the policy places in one region and S3 redirects to another. Publishers settle the finding with
   * that scope (a failed read there leaves it as it was), not with the resource's region, and
   * Security Hub holds it in that scope's region, where the audit role's import grant is.
   */
  readonly scopeRegion?: string;
  readonly status: ComplianceStatus;
  readonly severity: Severity;
  readonly title: string;
  readonly description: string;
  readonly remediation: Remediation;
  readonly observed: FindingValues;
  readonly required: FindingValues;
  /** ISO-8601 time the check was evaluated. */
  readonly evaluatedAt: string;
  /**
   * Keys of `observed` whose values drift on every run (the latest restorable time moves every five
   * minutes). A change in them alone is not news: Security Hub gets it with the next material change
   * or the periodic refresh, so a steady fleet does not re-import every finding every run.
   */
  readonly drifting?: readonly string[];
  /**
   * The check threw on this resource, or gave it two different results in one run (a defect of
   * ours, functions/core/audit.ts `oneFindingPerIdentity`): the finding is NOT_AVAILABLE, and
   * publishers leave the earlier finding of this check and resource as it was.
   */
  readonly internalError?: boolean;
  /**
   * A policy exception names this (resource, check): `active` until its expiry (accepted risk:
   * listed apart, not counted against the exit code), or expired (it no longer applies).
   */
  readonly exception?: FindingException;
  /**
   * A policy exception names this (resource, check) but applies to none of what it names: its name
   * matches more than one resource the check judged (functions/core/exceptions.ts). `note` says so,
   * `write` is the name that says this resource alone.
   */
  readonly exceptionNotApplied?: { readonly note: string; readonly write: string };
}

export interface FindingException {
  readonly reason: string;
  /** Last day it applies, `YYYY-MM-DD`. */
  readonly expires: string;
  readonly active: boolean;
}

/** A resource's identity across clouds: provider, account, region, type and id. */
export function resourceKey(resource: ResourceRef): string {
  return `${resource.provider}/${resource.account}/${resource.region}/${resource.type}/${resource.id}`;
}

/** The resource's stable name: its ARN, its selfLink, or provider/account/region/type/id. */
export function resourceIdentifier(resource: ResourceRef): string {
  if (resource.arn) return resource.arn;
  if (resource.selfLink) return resource.selfLink;
  return [resource.provider, resource.account, resource.region, resource.type, resource.id].join('/');
}

/**
 * Resource types whose findings are about one part of the resource: a dump series is a key prefix
 * of a bucket (resource id `bucket/prefix`), and two prefixes of one bucket are two findings of
 * each check while sharing the bucket's ARN or selfLink.
 */
const PART_OF_RESOURCE_TYPES: ReadonlySet<ResourceType> = new Set(['AwsS3Bucket', 'GcpStorageBucket']);

/**
 * What a finding's Id names after its check (publish/security-hub/asff.ts `asffFindingId`): the
 * resource ({@link resourceIdentifier}), and for a part of a bucket its id (`bucket/prefix`) too.
 */
export function findingSubject(resource: ResourceRef): string {
  const identifier = resourceIdentifier(resource);
  if (!PART_OF_RESOURCE_TYPES.has(resource.type) || (!resource.arn && !resource.selfLink)) return identifier;
  return `${identifier}#${resource.id}`;
}

/**
 * The one finding a finding is in Security Hub: its check, its {@link findingSubject} (the finding
 * Id holds both), and for an AWS resource the account and Region whose Security Hub holds it (the
 * region of the scope that read it, `scopeRegion`, when that is not the resource's own;
 * publish/security-hub/asff.ts `findingDestination`). Every GCP finding goes to one central
 * account, whatever scope read it. Two findings of one run with one identity would be imported as
 * one (functions/core/audit.ts `oneFindingPerIdentity` keeps one, or neither when they differ).
 */
export function findingIdentity(finding: Pick<Finding, 'checkId' | 'resource' | 'scopeRegion'>): string {
  const { account, region } = findingPlace(finding);
  return `${finding.checkId}\n${account}/${region}\n${findingSubject(finding.resource)}`;
}

/**
 * The account and Region of the Security Hub an AWS finding goes to, as far as the finding says it
 * ({@link findingIdentity}): empty for a GCP finding, which goes to the central account.
 */
export function findingPlace(finding: Pick<Finding, 'resource' | 'scopeRegion'>): {
  readonly account: string;
  readonly region: string;
} {
  const { resource, scopeRegion } = finding;
  if (resource.provider !== 'aws') return NO_PLACE;
  const region = scopeRegion === undefined || scopeRegion === '*' ? resource.region : scopeRegion;
  return { account: resource.account, region };
}
const NO_PLACE = { account: '', region: '' } as const;
