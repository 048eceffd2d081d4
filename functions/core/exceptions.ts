/**
 * Policy exceptions applied to findings: an excepted finding keeps its real status (never PASSED)
 * and carries an `exception` marker; an expired exception no longer applies and the finding says so.
 */
import { dumpLocationOf, gcpResourceName, type PolicyException } from './exceptions-policy.ts';
import type { Finding, ResourceRef } from './finding.ts';
import type { Policy } from './policy.ts';
import { isOnOrBefore } from './time.ts';

/**
 * The names a finding's resource answers to beyond its id, ARN and selfLink: a Cloud SQL finding
 * carries the short instance name, a Secret Manager finding the full resource name
 * (`projects/<project>/secrets/<name>`), a dump finding `<bucket>/<prefix>`; operators write any of
 * the forms {@link gcpResourceName} and {@link dumpLocationOf} read.
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
    default:
      return [];
  }
}

/** The same names for an exception's resource (a short name: the instance or secret of that name in its account). */
function otherNamesIn(exception: PolicyException): string[] {
  const { resource, account } = exception;
  const named = gcpResourceName(resource);
  if (named) return [named.name];
  const dump = dumpLocationOf(resource);
  if (dump) return [`${dump.provider}:${dump.id}`];
  if (account !== undefined && !/[/:]/.test(resource)) {
    return [`projects/${account}/instances/${resource}`, `projects/${account}/secrets/${resource}`];
  }
  return [];
}

/**
 * Whether an exception names this finding's resource: by id, ARN or selfLink (GCP resources also by
 * the names operators write for them, dump series by their `gs://` or `s3://` location), and in the
 * account and region it gives (the policy requires an account beside a plain id).
 */
function namesResource(exception: PolicyException, finding: Finding): boolean {
  const { id, arn, selfLink, account, region } = finding.resource;
  if (exception.account !== undefined && exception.account !== account) return false;
  if (exception.region !== undefined && exception.region !== region) return false;
  const { resource } = exception;
  if (resource === id || resource === arn || resource === selfLink) return true;
  const names = otherNamesOf(finding.resource);
  return names.length > 0 && otherNamesIn(exception).some((name) => names.includes(name));
}

/**
 * The findings with the policy's exceptions marked; PASSED findings need none and get none, and a
 * NOT_AVAILABLE finding gets none either (only a note that its exception does not cover it).
 */
export function applyExceptions(findings: readonly Finding[], policy: Policy, now: Date): Finding[] {
  if (policy.exceptions.length === 0) return [...findings];
  return findings.map((finding) => {
    if (finding.status === 'PASSED' || finding.resource.type === 'Scope') return finding;
    // Of several entries naming it (a renewal added beside the lapsed entry), the one that runs
    // longest: an active one whenever there is one. ISO dates (YYYY-MM-DD) order as strings.
    const exception = policy.exceptions
      .filter((candidate) => candidate.check === finding.checkId && namesResource(candidate, finding))
      .reduce<PolicyException | undefined>(
        (longest, candidate) => (longest && longest.expires >= candidate.expires ? longest : candidate),
        undefined,
      );
    if (!exception) return finding;
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

/** Whether a finding is accepted risk now (an active exception). */
export function isExcepted(finding: Pick<Finding, 'exception'>): boolean {
  return finding.exception?.active === true;
}
