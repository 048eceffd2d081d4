/**
 * The `dumps` section of the policy: where pg_dump files are, how often they are made, and which
 * database they must contain. Kept in its own file so the policy's main schema can take it as one
 * field (`dumps: dumpsPolicySchema`) and the checks can read only this section.
 */
import { awsAccountIdField, awsRegionField } from './aws-region.ts';
import * as z from './zod.ts';

const GCP_PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** S3 bucket names (3-63, lowercase, digits, dots, hyphens; underscores too, as Cloud Storage's). */
const S3_BUCKET = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;
/**
 * Cloud Storage bucket names: lowercase letters, digits, dots, hyphens and underscores, starting and
 * ending with a letter or digit, 3-63 characters, or up to 222 when they contain dots, each
 * dot-separated component at most 63 (https://cloud.google.com/storage/docs/buckets#naming). This
 * pattern (unanchored) is both a JavaScript and a POSIX extended regular expression, so the deploy's
 * record of bound buckets (infra/gcp/plan.ts RECORDED_ENTRY) takes every name the policy does; the
 * component bound it cannot say is {@link gcsBucketComponentsFit}'s.
 */
export const GCS_BUCKET_NAME = '[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]';
const GCS_BUCKET = new RegExp(`^${GCS_BUCKET_NAME}$`);
/** Whether every dot-separated component of a Cloud Storage bucket name is at most 63 characters. */
export function gcsBucketComponentsFit(bucket: string): boolean {
  return bucket.split('.').every((component) => component.length <= 63);
}

/** The S3 ListObjectsV2 page limit (MaxKeys <= 1000) and GCS objects.list's; the default bound. */
export const DEFAULT_MAX_OBJECTS_LISTED = 1000;

/** Fields both providers' locations share. */
const s3BucketField = z.described(
  z.string().check(z.regex(S3_BUCKET, 'must be an S3 bucket name')),
  'The bucket that holds the dumps.',
);
const gcsBucketField = z.described(
  z
    .string()
    .check(
      z.regex(GCS_BUCKET, 'must be a Cloud Storage bucket name'),
      z.refine(
        gcsBucketComponentsFit,
        'must be a Cloud Storage bucket name (each dot-separated part at most 63 characters)',
      ),
    ),
  'The bucket that holds the dumps.',
);
/**
 * The dumps written as a URL or ARN instead of a key prefix, up to and including the bucket:
 * `s3://bucket/prod/`, `gs://bucket/prod/`, `s3:/bucket/prod/` (one slash), `arn:aws:s3:::bucket/prod/`,
 * the path-style `https://s3.eu-west-1.amazonaws.com/bucket/prod/`, `https://storage.googleapis.com/bucket/prod/`
 * and `https://storage.cloud.google.com/bucket/prod/`, and the virtual-hosted
 * `https://bucket.s3.eu-west-1.amazonaws.com/prod/` and `https://bucket.storage.googleapis.com/prod/`.
 * Only these shapes: a key prefix may otherwise hold colons, `s3` or `https`.
 */
const STORAGE_URL = new RegExp(
  [
    String.raw`^(?:(?:s3|gs):\/\/?[^/]*`,
    'arn:aws[a-z-]*:s3:::[^/]*',
    String.raw`https?:\/\/(?:s3(?:\.dualstack)?(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?|storage\.googleapis\.com|storage\.cloud\.google\.com)\/[^/]*`,
    String.raw`https?:\/\/[^/]+\.(?:s3[^/]*\.amazonaws\.com(?:\.cn)?|storage\.googleapis\.com))(?:\/|$)`,
  ].join('|'),
  'i',
);
const prefixField = z.described(
  z._default(
    z.string().check(
      z.maxLength(1024),
      // A URL or ARN as the prefix lists no key at all, which would read as a bucket without dumps.
      z.superRefine((prefix, context) => {
        if (!STORAGE_URL.test(prefix)) return;
        const inside = prefix.replace(STORAGE_URL, '');
        context.addIssue({
          code: 'custom',
          input: prefix,
          message: `must be the key prefix inside the bucket (${inside ? `\`${inside}\`` : 'empty, or left out, for the whole bucket'}), not a URL or ARN: the bucket is its own field`,
        });
      }),
    ),
    '',
  ),
  'Key prefix of the dump series (`certctl/prod/`); empty: the whole bucket.',
);
/** Which keys under the prefix are dumps. */
const suffixField = z.described(
  z._default(z.string().check(z.maxLength(1024)), ''),
  'Only keys ending with this are dumps (`.dump`); set it when the prefix also holds checksums, logs or other files, which would otherwise count as the newest dump and fill gaps in the series. Empty: every object (folder placeholders excepted).',
);

const awsLocationSchema = z.strictObject({
  provider: z.literal('aws'),
  bucket: s3BucketField,
  prefix: prefixField,
  suffix: suffixField,
  account: z.described(
    awsAccountIdField,
    "The AWS account that owns the bucket (the audit reads it with that account's role, and names it as the expected bucket owner: S3 refuses the reads when another account owns the bucket).",
  ),
  region: z.described(
    awsRegionField,
    "The bucket's region. The audit's region-scoped grants follow it (kms:Decrypt through S3 for SSE-KMS dumps, Security Hub import); a wrong one is still read where S3's redirect says the bucket is, but every dumps finding of the location then names both regions (a pass becomes a WARNING) until this is fixed.",
  ),
});

const gcpLocationSchema = z.strictObject({
  provider: z.literal('gcp'),
  bucket: gcsBucketField,
  prefix: prefixField,
  suffix: suffixField,
  project: z.described(
    z.string().check(z.regex(GCP_PROJECT, 'must be a GCP project id')),
    "The GCP project that owns the bucket. The audit proves it: the bucket's projectNumber must be this project's number (projects.get, resourcemanager.projects.get); bucket names are global, so a bucket of this name in another project fails every dumps check, and one whose project could not be proven is NOT_AVAILABLE.",
  ),
  region: z.described(
    z.string().check(z.minLength(1)),
    'The bucket location as findings name it (`europe-west1`, `EU`).',
  ),
});

export const dumpLocationSchema = z.discriminatedUnion('provider', [awsLocationSchema, gcpLocationSchema]);

export const dumpsPolicySchema = z
  .strictObject({
    locations: z.described(
      z._default(z.array(dumpLocationSchema), []),
      'Buckets and prefixes that hold `pg_dump --format=custom` files.',
    ),
    cadenceHours: z.described(
      z._default(z.number().check(z.positive(), z.lte(24 * 31)), 24),
      'Expected pg_dump cadence; a newer dump must exist within cadence + grace.',
    ),
    graceHours: z.described(
      z._default(z.number().check(z.gte(0), z.lte(24 * 7)), 6),
      'Grace added to the cadence before a dump counts as late.',
    ),
    minDays: z.described(
      z._default(z.int().check(z.gte(1), z.lte(3650)), 30),
      'Days of dumps the series must cover and the bucket must keep (lifecycle, retention lock). Its own field, not `pitr.minPitrDays`: dumps are often kept longer than the 35 days RDS PITR allows.',
    ),
    databaseName: z.described(
      z._default(z.string().check(z.minLength(1), z.maxLength(63)), 'certctl'),
      'The database every dump must contain (the name in the archive header).',
    ),
    maxObjectsListed: z.described(
      z._default(z.int().check(z.gte(1), z.lte(100_000)), DEFAULT_MAX_OBJECTS_LISTED),
      'At most this many objects are listed per location (bounds API calls and memory).',
    ),
  })
  .check(
    z.superRefine((policy, context) => {
      const seen = new Set<string>();
      policy.locations.forEach((location, index) => {
        const key = `${location.provider}/${location.bucket}/${location.prefix}`;
        if (seen.has(key)) {
          context.addIssue({
            code: 'custom',
            path: ['locations', index],
            message: `${location.bucket}/${location.prefix} is listed twice`,
          });
        }
        seen.add(key);
      });
    }),
  );

export type DumpsPolicy = z.output<typeof dumpsPolicySchema>;
export type DumpsPolicyInput = z.input<typeof dumpsPolicySchema>;
export type DumpLocationPolicy = DumpsPolicy['locations'][number];
