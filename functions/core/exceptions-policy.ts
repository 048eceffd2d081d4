/**
 * The `exceptions` section of the policy: accepted risk, one entry per (resource, check), each with
 * a reason and an expiry. An excepted finding keeps its real status and is shown and published as
 * excepted; once the expiry passes the exception stops applying and the finding says so.
 */
import * as z from 'zod';

export const policyExceptionSchema = z.strictObject({
  resource: z
    .string()
    .min(1)
    .describe('The resource: its id (`certctl-db`), ARN or selfLink, as findings name it.'),
  check: z
    .string()
    .regex(/^[a-z]+\.[a-z-]+$/, 'must be a check id such as pitr.cross-region')
    .describe('The check id the exception covers (`pitr.cross-region`).'),
  reason: z
    .string()
    .min(10, 'must say why the risk is accepted (10 characters or more)')
    .describe('Why the risk is accepted.'),
  expires: z.iso
    .date('must be a date such as 2027-03-31')
    .describe('Last day (UTC) the exception applies; from the next day the finding counts again.'),
});

export const exceptionsPolicySchema = z
  .array(policyExceptionSchema)
  .default([])
  .describe(
    'Accepted risk: findings of these (resource, check) pairs are reported as excepted until the expiry.',
  );

export type PolicyException = z.infer<typeof policyExceptionSchema>;
