/**
 * The `exceptions` section of the policy: accepted risk, one entry per (resource, check), each with
 * a reason and an expiry. An excepted finding keeps its real status and is shown and published as
 * excepted; once the expiry passes the exception stops applying and the finding says so.
 */
import * as z from './zod.ts';

const AWS_ACCOUNT = /^\d{12}$/;
const GCP_PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** An ARN: `arn:partition:service:region:account:resource` (region and account may be empty, as for S3). */
const ARN = /^arn:[^:]+:[^:]+:([^:]*):([^:]*):/i;
/** A selfLink or other URL (`https://…`, `gs://…`): one resource, wherever it lives. */
const RESOURCE_URL = /^[a-z][a-z0-9+.-]*:\/\//i;
/** A GCP resource name (`projects/<project>/…`) or selfLink (`…/projects/<project>/…`) names its project, some their region. */
const GCP_PROJECT_PART = /\/projects\/([^/]+)\//;
const GCP_RESOURCE_NAME = /^projects\/([^/]+)\//;
const GCP_REGION_PART = /\/(?:locations|regions)\/([^/]+)\//;

/**
 * Where `resource` says it lives, when it says so: an ARN names its account and region, a
 * selfLink or GCP resource name its project (and region when it has one). Undefined for a plain
 * id, which names a resource of that name in every account and region.
 */
function locationOf(resource: string): { account?: string; region?: string } | undefined {
  const arn = ARN.exec(resource);
  if (arn) return { ...(arn[2] ? { account: arn[2] } : {}), ...(arn[1] ? { region: arn[1] } : {}) };
  const isUrl = RESOURCE_URL.test(resource);
  const project = (isUrl ? GCP_PROJECT_PART : GCP_RESOURCE_NAME).exec(resource)?.[1];
  if (!isUrl && project === undefined) return undefined;
  const region = GCP_REGION_PART.exec(resource)?.[1];
  return { ...(project ? { account: project } : {}), ...(region ? { region } : {}) };
}

export const policyExceptionSchema = z
  .strictObject({
    resource: z.described(
      z.string().check(z.minLength(1)),
      'The resource: its ARN or selfLink, or its id (`certctl-db`) with its `account`, as findings name it.',
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
      z.string().check(z.regex(/^[a-z]+\.[a-z-]+$/, 'must be a check id such as pitr.cross-region')),
      'The check id the exception covers (`pitr.cross-region`).',
    ),
    reason: z.described(
      z.string().check(z.minLength(10, 'must say why the risk is accepted (10 characters or more)')),
      'Why the risk is accepted.',
    ),
    expires: z.described(
      z.iso.date('must be a date such as 2027-03-31'),
      'Last day (UTC) the exception applies; from the next day the finding counts again.',
    ),
  })
  .check(
    z.superRefine((exception, context) => {
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
  'Accepted risk: entries of resource, check, reason and expires (plus account and region). Findings of that check on that resource (its ARN or selfLink, or its plain id in `account`, and in `region` when given) are reported as excepted until the expiry.',
);

export type PolicyException = z.infer<typeof policyExceptionSchema>;
