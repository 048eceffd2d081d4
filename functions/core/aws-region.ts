/**
 * The one spelling rule for AWS region names, shared by every part of the policy that names a region
 * (`aws.regions`, key items, dump locations) and by `--region`. In a module of its own so the policy
 * sections, which policy.ts imports, can use it without importing policy.ts.
 */

/** An AWS region name (`eu-west-1`, `us-gov-west-1`). */
export const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

/** Whether `name` is spelled like an AWS region (`eu-west-1`); the policy and `--region` share the rule. */
export function isAwsRegionName(name: string): boolean {
  return AWS_REGION.test(name);
}
