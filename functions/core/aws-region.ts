/**
 * The one spelling rule for AWS region names (and account ids), shared by every part of the policy
 * that names one (`aws.regions`, key items, dump locations, member accounts) and by `--region`. In a module of its own so the policy
 * sections, which policy.ts imports, can use it without importing policy.ts.
 */
import { closest } from './closest.ts';
import * as z from './zod.ts';

/**
 * The direction word of every AWS region name (`eu-west-1`, `ap-southeast-2`, `us-gov-east-1`, as
 * the SDK's partition data lists them) and Google Cloud region name (`europe-west1`): a name with
 * another word (`eu-wst-1`) is a typo, which would otherwise reach the cloud and fail as a DNS error
 * in that region only.
 */
export const REGION_DIRECTIONS = [
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
export const AWS_REGION = new RegExp(
  `^[a-z]{2}(-gov|-iso[a-z]?)?-(${REGION_DIRECTIONS.join('|')})-\\d{1,2}$`,
);

/** Whether `name` is spelled like an AWS region (`eu-west-1`); the policy and `--region` share the rule. */
export function isAwsRegionName(name: string): boolean {
  return AWS_REGION.test(name);
}

/**
 * `name` with its direction word (the second group of `parts`, between the first and third)
 * replaced by the closest one, lower-cased: the region it was likely meant to be; undefined when
 * it does not have that shape or no direction is close.
 */
export function withLikelyDirection(name: string, parts: RegExp): string | undefined {
  const [, before, word, after] = parts.exec(name.toLowerCase().replaceAll('_', '-')) ?? [];
  const direction = word === undefined ? undefined : closest(word, REGION_DIRECTIONS);
  return direction === undefined ? undefined : `${before}${direction}${after}`;
}

/**
 * The region name `name` was likely meant to be (`eu-wst-1`, `EU_WEST_1`, `eu-west-1a`, `eu-west1`,
 * `eu-west-l` → `eu-west-1`), or undefined when it is one already or none is close.
 */
export function likelyAwsRegion(name: string): string | undefined {
  // Three slips beside a misspelled direction: the digit 1 typed as l or I, an availability zone
  // (the region and a letter, as the console shows a subnet's), and a number without its hyphen
  // (Google Cloud writes `europe-west1`).
  const shaped = name
    .trim()
    .toLowerCase()
    .replace(/-[li]$/, '-1')
    .replace(/(\d)[a-z]$/, '$1')
    .replace(/([a-z])(\d{1,2})$/, '$1-$2');
  const likely = withLikelyDirection(shaped, /^([a-z]{2}(?:-gov|-iso[a-z]?)?-)([a-z]+)(-\d{1,2})$/);
  return likely !== undefined && likely !== name && isAwsRegionName(likely) ? likely : undefined;
}

/** `must be an AWS region name such as eu-west-1; did you mean eu-west-2?`, the schema's message. */
export function awsRegionMessage(name: unknown): string {
  const likely = typeof name === 'string' ? likelyAwsRegion(name) : undefined;
  return `must be an AWS region name such as eu-west-1${likely ? `; did you mean ${likely}?` : ''}`;
}

/** A policy field holding an AWS region name; its message names the region likely meant. */
export const awsRegionField = z
  .string()
  .check(z.regex(AWS_REGION, { error: (issue) => awsRegionMessage(issue.input) }));

/** A policy field holding a 12-digit AWS account id. */
export const awsAccountIdField = z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id'));
