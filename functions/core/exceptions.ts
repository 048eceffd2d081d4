/**
 * Policy exceptions applied to findings: an excepted finding keeps its real status (never PASSED)
 * and carries an `exception` marker; an expired exception no longer applies and the finding says so.
 */
import {
  dumpLocationOf,
  exceptionGroup,
  gcpResourceName,
  type PolicyException,
} from './exceptions-policy.ts';
import type { Finding, ResourceRef } from './finding.ts';
import type { Policy } from './policy.ts';
import { isOnOrBefore } from './time.ts';

/**
 * The names a finding's resource answers to beyond its id, ARN and selfLink: a Cloud SQL finding
 * carries the short instance name, a Secret Manager finding the full resource name
 * (`projects/<project>/secrets/<name>`), a dump finding `<bucket>/<prefix>`, a Secrets Manager
 * finding its partial ARN ({@link partialSecretArnOf}); operators write any of the forms
 * {@link gcpResourceName} and {@link dumpLocationOf} read, and an ARN as it is.
 */
function otherNamesOf(resource: ResourceRef): string[] {
  switch (resource.type) {
    case 'GcpCloudSqlInstance':
      return [`projects/${resource.account}/instances/${resource.id}`];
    case 'GcpSecretManagerSecret':
      return [resource.id];
    case 'GcpStorageBucket':
    case 'AwsS3Bucket':
      return [`${resource.provider}:${resource.id.replace(/\/+$/, '')}`];
    case 'AwsSecretsManagerSecret':
      return partialSecretArnOf(resource);
    default:
      return [];
  }
}

/**
 * A Secrets Manager secret's partial ARN, its ARN without the `-` and 6 random characters Secrets
 * Manager adds to the name (CreateSecret: "The ARN includes the name of the secret followed by six
 * random characters"), which operators copy as often as the full one; built from the name the API
 * listed, so a secret whose name only starts like another's is never taken for it.
 */
function partialSecretArnOf(resource: ResourceRef): string[] {
  const { arn, id } = resource;
  const at = arn?.indexOf(':secret:') ?? -1;
  if (!arn || at < 0) return [];
  const partial = `${arn.slice(0, at + ':secret:'.length)}${id}`;
  return arn.length === partial.length + 7 && arn.startsWith(`${partial}-`) ? [partial] : [];
}

/** The same names for an exception's resource (a short name: the instance or secret of that name in its account). */
function otherNamesIn(exception: PolicyException): string[] {
  const { resource, account } = exception;
  const named = gcpResourceName(resource);
  if (named) return [named.name];
  const dump = dumpLocationOf(resource);
  if (dump) return [`${dump.provider}:${dump.id}`];
  if (resource.startsWith('arn:')) return [resource];
  if (account !== undefined && !/[/:]/.test(resource)) {
    return [`projects/${account}/instances/${resource}`, `projects/${account}/secrets/${resource}`];
  }
  return [];
}

/** The resources whose names their cloud takes in any case and lists in lower case. */
const RDS_TYPES: ReadonlySet<ResourceRef['type']> = new Set(['AwsRdsDbInstance', 'AwsRdsDbCluster']);

/**
 * Whether an exception names this finding's resource: by id, ARN or selfLink (GCP resources also by
 * the names operators write for them, dump series by their `gs://` or `s3://` location), and in the
 * account and region it gives (the policy requires an account beside a plain id).
 */
function namesResource(exception: PolicyException, finding: Finding): boolean {
  const { id, arn, selfLink, account, region } = finding.resource;
  if (exception.account !== undefined && exception.account !== account) return false;
  // Region names are the same in any case, and findings say them in lower case (a GCS multi-region
  // the console shows as EU is `eu`, functions/gcp/gcs-dumps.ts regionOf).
  if (exception.region !== undefined && exception.region.toLowerCase() !== region.toLowerCase()) return false;
  // RDS stores DB instance and cluster identifiers in lower case (CreateDBInstance,
  // CreateDBCluster): `Certctl-Prod` in a policy names the `certctl-prod` the API lists. Other
  // names keep their case: a secret named in another case is another secret.
  const fold = (name: string | undefined) =>
    RDS_TYPES.has(finding.resource.type) ? name?.toLowerCase() : name;
  const resource = fold(exception.resource);
  if (resource === fold(id) || resource === fold(arn) || resource === selfLink) return true;
  const names = otherNamesOf(finding.resource);
  return names.length > 0 && otherNamesIn(exception).some((name) => names.includes(name));
}

/**
 * The name that says one resource and nothing else, as an exception's `resource` is written: a dump
 * series by its `s3://` or `gs://` location (its bucket's ARN or selfLink names every series in the
 * bucket), a Cloud SQL instance by its resource name, anything else by its ARN, selfLink or id.
 */
function qualifiedNameOf(resource: ResourceRef): string {
  switch (resource.type) {
    case 'AwsS3Bucket':
      return `s3://${resource.id}`;
    case 'GcpStorageBucket':
      return `gs://${resource.id}`;
    case 'GcpCloudSqlInstance':
      return `projects/${resource.account}/instances/${resource.id}`;
    default:
      return resource.arn ?? resource.selfLink ?? resource.id;
  }
}

/**
 * The resources (one name each) that `exception` names among the ones its check judged in this run,
 * whatever their status: more than one (an RDS instance and an Aurora cluster of one id, the dump
 * series of one bucket named by the bucket's ARN) makes it ambiguous. The same resource in several
 * regions, which a plain id without `region` names by design, counts once.
 */
function resourcesNamed(exception: PolicyException, findings: readonly Finding[]): string[] {
  const named = findings
    .filter(
      (finding) =>
        finding.resource.type !== 'Scope' &&
        finding.checkId === exception.check &&
        namesResource(exception, finding),
    )
    .map((finding) => {
      const { provider, account, type, id } = finding.resource;
      return { key: `${provider}/${account}/${type}/${id}`, name: qualifiedNameOf(finding.resource) };
    });
  const byKey = new Map(named.map(({ key, name }) => [key, name]));
  return [...byKey.values()];
}

/** Where an exception entry is and what it names, as the policy says it. */
function entryText(exception: PolicyException, index: number): string {
  const where = [exception.account, exception.region].filter((part) => part !== undefined).join(' ');
  return `exceptions.${index} ('${exception.resource}'${where ? ` in ${where}` : ''})`;
}

/**
 * The findings with the policy's exceptions marked; PASSED findings need none and get none, and a
 * NOT_AVAILABLE finding gets none either (only a note that its exception does not cover it). An
 * exception whose name matches more than one resource its check judged applies to none of them: it
 * was written for one, and silencing another's failure is not what was accepted; their findings say
 * which name to write instead.
 */
export function applyExceptions(findings: readonly Finding[], policy: Policy, now: Date): Finding[] {
  if (policy.exceptions.length === 0) return [...findings];
  const ambiguous = new Map(
    policy.exceptions
      .map((exception, index) => [exception, { index, names: resourcesNamed(exception, findings) }] as const)
      .filter(([, { names }]) => names.length > 1),
  );
  return findings.map((finding) => {
    if (finding.status === 'PASSED' || finding.resource.type === 'Scope') return finding;
    const naming = policy.exceptions.filter(
      (candidate) => candidate.check === finding.checkId && namesResource(candidate, finding),
    );
    // Of several entries naming it (a renewal added beside the lapsed entry), the one that runs
    // longest: an active one whenever there is one. ISO dates (YYYY-MM-DD) order as strings.
    const exception = naming
      .filter((candidate) => !ambiguous.has(candidate))
      .reduce<PolicyException | undefined>(
        (longest, candidate) => (longest && longest.expires >= candidate.expires ? longest : candidate),
        undefined,
      );
    if (!exception) {
      const write = qualifiedNameOf(finding.resource);
      const notes = naming.flatMap((candidate) => {
        const entry = ambiguous.get(candidate);
        return entry
          ? [
              `the policy exception ${entryText(candidate, entry.index)} names more than one resource ${candidate.check} judged (${entry.names.join(', ')}), so it applies to none of them`,
            ]
          : [];
      });
      const [note] = notes;
      if (note === undefined) return finding;
      const sentences = notes.map(
        (text) =>
          `${text[0]?.toUpperCase()}${text.slice(1)}: to accept this one, write its resource as ${write}.`,
      );
      return {
        ...finding,
        description: [finding.description, ...sentences].join(' '),
        exceptionNotApplied: { note, write },
      };
    }
    // Accepted risk is a decision about a known result. A check that could not evaluate (access
    // refused, a value not sent, a defect of ours) says nothing the exception was granted for: it stays
    // open (exit code 2, never a GO), and says why the exception does not cover it.
    if (finding.status === 'NOT_AVAILABLE') {
      return {
        ...finding,
        description: `${finding.description} A policy exception for this finding (until ${exception.expires}: ${exception.reason}) does not apply: it accepts a known result, and this check could not be evaluated.`,
      };
    }
    // The expiry is the last day the exception applies, to its end in UTC.
    const active = isOnOrBefore(exception.expires, now);
    const marker = { reason: exception.reason, expires: exception.expires, active };
    const description = active
      ? `${finding.description} Accepted risk (policy exception until ${exception.expires}): ${exception.reason}`
      : `${finding.description} A policy exception for this finding expired on ${exception.expires} and no longer applies (it said: ${exception.reason}).`;
    return { ...finding, description, exception: marker };
  });
}

/**
 * The policy's exceptions that name no resource their check judged in this run (a typo in the id,
 * an account or region that is not the resource's), each as a warning naming the entry: such an
 * entry does nothing, and the failure it was written for stays open with no word of why. Only the
 * exceptions of the check groups the run judged count; the caller asks only of a run that read
 * everything the policy selects (not narrowed, no failed scope), where matching nothing means the
 * name is wrong, not that the resource was elsewhere.
 */
export function unusedExceptions(
  findings: readonly Finding[],
  policy: Pick<Policy, 'exceptions'>,
  groups: readonly string[],
): string[] {
  return policy.exceptions.flatMap((exception, index) => {
    if (!groups.includes(exceptionGroup(exception)) || resourcesNamed(exception, findings).length > 0)
      return [];
    return [
      `policy ${entryText(exception, index)} for ${exception.check} names no resource that check judged in this run, so it applies to nothing: check its resource (and account, region)`,
    ];
  });
}

/** Whether a finding is accepted risk now (an active exception). */
export function isExcepted(finding: Pick<Finding, 'exception'>): boolean {
  return finding.exception?.active === true;
}
