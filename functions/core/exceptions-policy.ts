/**
 * The `exceptions` section of the policy: accepted risk, one entry per (resource, check), each with
 * a reason and an expiry. An excepted finding keeps its real status and is shown and published as
 * excepted; once the expiry passes the exception stops applying and the finding says so.
 */
import type { InputIssue } from './errors.ts';
import { CHECK_ID } from './finding.ts';
import { GCP_PROJECT, GCP_PROJECT_ID_PATTERN } from './gcp-project.ts';
import { ACCEPTED_RISK_MAX_DAYS, acceptedRiskHorizonIssue } from './time.ts';
import * as z from './zod.ts';

const AWS_ACCOUNT = /^\d{12}$/;
/** An ARN: `arn:partition:service:region:account:resource` (region and account may be empty, as for S3). */
const ARN = /^arn:[^:]+:[^:]+:([^:]*):([^:]*):/i;
/** A selfLink or other URL (`https://…`, `gs://…`): one resource, wherever it lives. */
const RESOURCE_URL = /^[a-z][a-z0-9+.-]*:\/\//i;
/** A GCP resource name (`projects/<project>/…`) or selfLink (`…/projects/<project>/…`) names its project, some their region. */
const GCP_PROJECT_PART = /\/projects\/([^/]+)\//;
const GCP_RESOURCE_NAME = /^projects\/([^/]+)\//;
const GCP_REGION_PART = /\/(?:locations|regions)\/([^/]+)\//;

/**
 * The GCP resources findings name, by the collection in their resource name, with the one check
 * group that judges each (findings: functions/gcp/cloud-sql.ts instanceResource, secret-manager.ts).
 */
const GCP_KINDS = {
  instances: { what: 'Cloud SQL instance', group: 'pitr' },
  secrets: { what: 'Secret Manager secret', group: 'keys' },
} as const;
export type GcpResourceKind = keyof typeof GCP_KINDS;

/**
 * `projects/<project>/<instances|secrets>/<name>`, alone (a resource name), after a host and API
 * version (a selfLink: `https://sqladmin.googleapis.com/sql/v1beta4/projects/…`, `…/v1/projects/…`)
 * or after a bare host (a full resource name: `//cloudsql.googleapis.com/projects/…`).
 */
const GCP_NAMED =
  /^(?:(?:https?:)?\/\/[^/]+\/(?:[^/]+\/)*?)?projects\/([^/]+)\/(instances|secrets)\/([^/?#]+)$/;
/**
 * A Cloud SQL connection name, `<project>:<region>:<instance>` (a domain-scoped project keeps its
 * `example.com:` prefix): https://cloud.google.com/sql/docs/postgres/instance-info.
 */
const CONNECTION_NAME = new RegExp(
  `^((?:[a-z0-9.-]+:)?${GCP_PROJECT_ID_PATTERN}):([a-z]+-[a-z]+\\d+):([a-z][a-z0-9-]*)$`,
);
/** A dump location as the reports print it (functions/checks/dumps/wording.ts): `gs://<bucket>/<prefix>`, `s3://…`. */
const DUMP_LOCATION = /^(gs|s3):\/\/([^/]+)(?:\/(.*))?$/;
/** A selfLink (`https://…`) or full resource name (`//service.googleapis.com/…`): where GCP names live. */
const GCP_URL = /^(?:https?:)?\/\//;

/**
 * The AWS resources findings name by ARN, with the one check group that judges each: RDS instances
 * and Aurora clusters (functions/aws/rds.ts), Secrets Manager secrets (secrets-manager.ts) and the
 * buckets of dump series (s3-dumps.ts). Any partition.
 */
const AWS_ARN_KINDS: readonly { readonly arn: RegExp; readonly what: string; readonly group: string }[] = [
  {
    arn: /^arn:[^:]+:rds:[^:]*:[^:]*:(?:db|cluster):/,
    what: 'RDS database or Aurora cluster',
    group: 'pitr',
  },
  { arn: /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:/, what: 'Secrets Manager secret', group: 'keys' },
  { arn: /^arn:[^:]+:s3:::[^/]+$/, what: 'S3 bucket', group: 'dumps' },
];

/** A GCP resource an exception names in one of the forms findings can be matched by. */
export interface GcpResourceName {
  readonly kind: GcpResourceKind;
  /** `projects/<project>/<kind>/<name>`, whatever form it was written in. */
  readonly name: string;
  readonly project: string;
  /** Only a connection name says it. */
  readonly region?: string;
}

/**
 * A Cloud SQL instance or Secret Manager secret as `projects/<project>/<kind>/<name>`, from its
 * resource name, a selfLink of any API version, a full resource name or (Cloud SQL) its connection
 * name; undefined for anything else.
 */
export function gcpResourceName(resource: string): GcpResourceName | undefined {
  const named = GCP_NAMED.exec(resource);
  if (named) {
    const [, project = '', collection = '', name = ''] = named;
    const kind = collection as GcpResourceKind;
    return { kind, project, name: `projects/${project}/${kind}/${name}` };
  }
  const connection = CONNECTION_NAME.exec(resource);
  if (connection) {
    const [, project = '', region = '', name = ''] = connection;
    return { kind: 'instances', project, region, name: `projects/${project}/instances/${name}` };
  }
  return undefined;
}

/**
 * The dump series a `gs://<bucket>/<prefix>` or `s3://<bucket>/<prefix>` exception names: its cloud
 * and `<bucket>/<prefix>` as findings' ids say it (functions/core/dump-facts.ts dumpResourceId),
 * without the last slash.
 */
export function dumpLocationOf(resource: string): { provider: 'aws' | 'gcp'; id: string } | undefined {
  const location = DUMP_LOCATION.exec(resource);
  if (!location) return undefined;
  const [, scheme, bucket = '', prefix = ''] = location;
  return { provider: scheme === 's3' ? 'aws' : 'gcp', id: `${bucket}/${prefix}`.replace(/\/+$/, '') };
}

/**
 * Where `resource` says it lives, when it says so: an ARN names its account and region, a
 * selfLink or GCP resource name its project (and region when it has one). Undefined for a plain
 * id, which names a resource of that name in every account and region.
 */
function locationOf(resource: string): { account?: string; region?: string } | undefined {
  const arn = ARN.exec(resource);
  if (arn) return { ...(arn[2] ? { account: arn[2] } : {}), ...(arn[1] ? { region: arn[1] } : {}) };
  const gcp = gcpResourceName(resource);
  if (gcp) return { account: gcp.project, ...(gcp.region ? { region: gcp.region } : {}) };
  const isUrl = RESOURCE_URL.test(resource);
  const project = (isUrl ? GCP_PROJECT_PART : GCP_RESOURCE_NAME).exec(resource)?.[1];
  if (!isUrl && project === undefined) return undefined;
  const region = GCP_REGION_PART.exec(resource)?.[1];
  return { ...(project ? { account: project } : {}), ...(region ? { region } : {}) };
}

/**
 * Why `resource` names no resource by its shape (blank, a wildcard `*`, a URL with nothing after its
 * host, an ARN without its resource part); undefined when it may name one. No resource a finding
 * carries has such a name, so the entry could never apply.
 */
function namesNothing(resource: string): string | undefined {
  if (resource.trim() === '') return 'it is blank';
  if (/(?:^|[:/])\*$/.test(resource)) {
    return `an exception covers one resource, and '*' is no pattern: name each resource in an entry of its own`;
  }
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/]*)(.*)$/i.exec(resource);
  if (url) {
    const [, host = '', path = ''] = url;
    // A dump location's bucket is its host (`s3://<bucket>`); a selfLink names its resource in its path.
    const named = /^(?:s3|gs):$/i.test(resource.slice(0, 3)) ? host : path.replace(/\//g, '');
    return named === '' ? 'it is a URL with nothing after its host' : undefined;
  }
  if (/^arn:/i.test(resource)) {
    const name = resource.split(':').slice(5).join(':');
    if (name.replace(/^[^:/]*[:/]/, '') === '') return 'it is an ARN without a resource name';
  }
  return undefined;
}

export const policyExceptionSchema = z
  .strictObject({
    resource: z.described(
      z.string().check(z.minLength(1)),
      "The resource: its ARN or selfLink, or its id (`certctl-db`) with its `account`, as findings name it (a Secrets Manager secret also by its partial ARN, without the 6 characters Secrets Manager adds). GCP also: `projects/<project>/instances/<name>` or a Cloud SQL connection name, `projects/<project>/secrets/<name>` or a secret's short name with its `account`; a dump series: `gs://<bucket>/<prefix>` or `s3://…`. A GCP name no finding carries, or a GCP name or AWS ARN of a kind its check never judges, is refused. A name that matches more than one resource its check judged (an RDS instance and an Aurora cluster of one id, the dump series of one bucket by its ARN) applies to none of them, and their findings say what to write. A resource that names nothing (blank, `*`, a URL with nothing after its host, an ARN without its resource name) is refused: there is no exception for a whole check or group.",
    ),
    account: z.described(
      z.optional(
        z
          .string()
          .check(
            z.refine(
              (account) => AWS_ACCOUNT.test(account) || GCP_PROJECT.test(account),
              'must be a 12-digit AWS account id or a GCP project id',
            ),
          ),
      ),
      'The AWS account id or GCP project id the resource is in; required with a plain id, which names a resource of that name in every account.',
    ),
    region: z.described(
      z.optional(z.string().check(z.minLength(1))),
      'The region the resource is in (`eu-west-1`); without it, every region of the account.',
    ),
    check: z.described(
      z.string().check(z.regex(CHECK_ID, 'must be a check id such as pitr.cross-region')),
      'The check id the exception covers (`pitr.cross-region`); one whose group is no known group (`pirt.window`) is refused when a run starts, and one that is no check of its group (a typo) when a run of that group starts.',
    ),
    reason: z.described(
      // Blanks do not count: a reason of blanks says nothing, and Security Hub refuses a finding whose
      // ProductFields value (`exception/reason`) has no text, so one such entry would fail every import.
      z
        .string()
        .check(
          z.refine(
            (reason) => reason.trim().length >= 10,
            'must say why the risk is accepted (10 characters or more, not counting blanks at either end)',
          ),
        ),
      'Why the risk is accepted: 10 characters or more, not counting blanks at either end.',
    ),
    expires: z.described(
      z.iso.date('must be a date such as 2027-03-31'),
      `Last day (UTC) the exception applies; from the next day the finding counts again. At most ${ACCEPTED_RISK_MAX_DAYS} days after the day the policy is read, as a readiness waiver (a later one is refused; renew an exception by moving it forward).`,
    ),
  })
  .check(
    z.superRefine((exception, context) => {
      // An entry that names no resource at all would match nothing and accept nothing, with no word
      // of why (there is no group-wide exception): refused, saying what is missing.
      const nothing = namesNothing(exception.resource);
      if (nothing !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['resource'],
          message: `'${exception.resource}' names no resource: ${nothing}`,
        });
        return;
      }
      // A GCP name that no finding carries (a secret version, a key ring) or of a kind the check
      // never judges would silently never apply: refuse it, saying which forms do.
      const gcp = gcpResourceName(exception.resource);
      const namesGcpProject =
        GCP_RESOURCE_NAME.test(exception.resource) ||
        (GCP_URL.test(exception.resource) && GCP_PROJECT_PART.test(exception.resource));
      if (gcp === undefined && namesGcpProject) {
        context.addIssue({
          code: 'custom',
          path: ['resource'],
          message:
            `'${exception.resource}' is a GCP resource name no finding carries: name a Cloud SQL instance ` +
            'projects/<project>/instances/<name> (or its connection name <project>:<region>:<name>, or <name> with its project in account), ' +
            'a Secret Manager secret projects/<project>/secrets/<name> (or <name> with its project in account), ' +
            'or a dump location gs://<bucket>/<prefix>',
        });
        return;
      }
      const kind = gcp
        ? GCP_KINDS[gcp.kind]
        : dumpLocationOf(exception.resource) !== undefined
          ? { what: 'dump location', group: 'dumps' }
          : AWS_ARN_KINDS.find((candidate) => candidate.arn.test(exception.resource));
      const group = exceptionGroup(exception);
      // A check that is no check id (`pitr lag`) is refused by its own field already; its "group"
      // would be a fragment of it, and a second line saying it judges another kind would be false.
      if (kind && CHECK_ID.test(exception.check) && group !== kind.group) {
        const article = /^(?:[AEIOU]|RDS\b|S3\b)/.test(kind.what) ? 'an' : 'a';
        context.addIssue({
          code: 'custom',
          path: ['check'],
          message: `${exception.check} never judges ${article} ${kind.what} ('${exception.resource}'): give a ${kind.group}.* check, or name the resource the check judges`,
        });
        return;
      }
      // Accepted risk covers what the team accepted, not every database that shares its name: a
      // staging exception must not silence the same-named production database in another account.
      const location = locationOf(exception.resource);
      if (location === undefined) {
        if (exception.account === undefined) {
          context.addIssue({
            code: 'custom',
            path: ['resource'],
            message: `'${exception.resource}' is a plain id, which names a database in every account and region; give its account (and region), or its ARN or selfLink`,
          });
        }
        return;
      }
      for (const field of ['account', 'region'] as const) {
        const given = exception[field];
        const named = location[field];
        if (given === undefined || named === undefined || given === named) continue;
        context.addIssue({
          code: 'custom',
          path: [field],
          message: `is ${given}, but the resource ${exception.resource} is in ${named}`,
        });
      }
    }),
  );

export const exceptionsPolicySchema = z.described(
  z._default(z.array(policyExceptionSchema), []),
  `Accepted risk: entries of resource, check, reason and expires (plus account and region). Findings of that check on that resource (its ARN or selfLink, or its plain id in \`account\`, and in \`region\` when given) are reported as excepted until the expiry, which is ${ACCEPTED_RISK_MAX_DAYS} days at most from the day the policy is read.`,
);

export type PolicyException = z.infer<typeof policyExceptionSchema>;

/** The check group an exception's check id names: `pitr` of `pitr.window`. */
export function exceptionGroup(exception: Pick<PolicyException, 'check'>): string {
  return exception.check.slice(0, exception.check.indexOf('.'));
}

/**
 * The exceptions of a parsed policy that run longer than {@link ACCEPTED_RISK_MAX_DAYS} after `now`'s
 * day, each named by its entry, check and resource.
 */
export function exceptionHorizonIssues(exceptions: readonly PolicyException[], now: Date): InputIssue[] {
  return exceptions.flatMap((exception, index) => {
    const issue = acceptedRiskHorizonIssue(
      `exceptions.${index}.expires`,
      `a policy exception (${exception.check} on ${exception.resource})`,
      exception.expires,
      now,
    );
    return issue ? [issue] : [];
  });
}
