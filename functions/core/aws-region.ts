/**
 * The one spelling rule for AWS region names, shared by every part of the policy that names a region
 * (`aws.regions`, key items, dump locations) and by `--region`. In a module of its own so the policy
 * sections, which policy.ts imports, can use it without importing policy.ts.
 */
import { closest } from './closest.ts';

/**
 * The direction word of every AWS region name (`eu-west-1`, `ap-southeast-2`, `us-gov-east-1`, as
 * the SDK's partition data lists them): a name with another word (`eu-wst-1`) is a typo, which would
 * otherwise reach the cloud and fail as a DNS error in that region only.
 */
const DIRECTIONS = [
  'north',
  'south',
  'east',
  'west',
  'central',
  'northeast',
  'northwest',
  'southeast',
  'southwest',
];

/** An AWS region name (`eu-west-1`, `us-gov-west-1`). */
export const AWS_REGION = new RegExp(`^[a-z]{2}(-gov|-iso[a-z]?)?-(${DIRECTIONS.join('|')})-\\d{1,2}$`);

/** Whether `name` is spelled like an AWS region (`eu-west-1`); the policy and `--region` share the rule. */
export function isAwsRegionName(name: string): boolean {
  return AWS_REGION.test(name);
}

/**
 * The region name `name` was likely meant to be (`eu-wst-1`, `EU_WEST_1` → `eu-west-1`), or
 * undefined when it is one already or none is close.
 */
export function likelyAwsRegion(name: string): string | undefined {
  const parts = /^([a-z]{2}(?:-gov|-iso[a-z]?)?)-([a-z]+)-(\d{1,2})$/.exec(
    name.toLowerCase().replaceAll('_', '-'),
  );
  const direction = parts?.[2] === undefined ? undefined : closest(parts[2], DIRECTIONS);
  const likely = direction === undefined ? undefined : `${parts?.[1]}-${direction}-${parts?.[3]}`;
  return likely !== undefined && likely !== name && isAwsRegionName(likely) ? likely : undefined;
}

/** `must be an AWS region name such as eu-west-1; did you mean eu-west-2?`, the schema's message. */
export function awsRegionMessage(name: unknown): string {
  const likely = typeof name === 'string' ? likelyAwsRegion(name) : undefined;
  return `must be an AWS region name such as eu-west-1${likely ? `; did you mean ${likely}?` : ''}`;
}
