/**
 * The `dumps` section of the policy: where pg_dump files are, how often they are made, and which
 * database they must contain. Kept in its own file so the policy's main schema can take it as one
 * field (`dumps: dumpsPolicySchema`) and the checks can read only this section.
 */
import { awsAccountIdField, awsRegionField } from './aws-region.ts';
import { GCP_PROJECT } from './gcp-project.ts';
import * as z from './zod.ts';

/** One documented rule of a bucket name: what it says, and whether `name` breaks it. */
interface BucketNameRule {
  readonly rule: (name: string) => string;
  readonly broken: (name: string) => boolean;
}

/** The rule the name breaks first, in the order the service documents them, or undefined. */
function brokenBucketRule(rules: readonly BucketNameRule[], name: string): string | undefined {
  return rules.find((candidate) => candidate.broken(name))?.rule(name);
}

/** `'_' is not allowed` / `'C', 'D' are not allowed`: the characters outside `allowed`, each once. */
function refusedCharacters(name: string, allowed: RegExp): string {
  const refused = [...new Set([...name].filter((character) => !allowed.test(character)))];
  return `${refused.map((character) => `'${character}'`).join(', ')} ${refused.length === 1 ? 'is' : 'are'} not allowed`;
}

/** Four dot-separated groups of digits: what both services call formatted as an IP address. */
const DOTTED_DECIMAL = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const BEGINS_AND_ENDS_ALPHANUMERIC = /^[a-z0-9](?:.*[a-z0-9])?$/;

/** Prefixes and suffixes S3 reserves for other resources (access point aliases, directory and table buckets, …). */
const S3_RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const S3_RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];
const S3_CHARACTER = /[a-z0-9._-]/;

/**
 * S3 general purpose bucket names, rule by rule as S3 documents them
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html): 3-63 characters of
 * lowercase letters, digits, dots and hyphens, a letter or digit at each end, no two adjacent dots,
 * not formatted as an IP address, and none of the reserved prefixes and suffixes. An underscore is
 * taken too: S3 no longer makes such buckets, but one made in us-east-1 before March 2018 may hold
 * one, and refusing a bucket that exists would leave its dumps unaudited with no way around it
 * (a mistyped name is caught anyway: the audit finds no such bucket). The other legacy liberties
 * (uppercase, up to 255 characters) the policy has never taken. A name ending in `-an` (the account
 * regional namespace) is a general purpose bucket and is taken.
 */
const S3_BUCKET_RULES: readonly BucketNameRule[] = [
  {
    rule: (name) =>
      `only lowercase letters, digits, dots, hyphens and underscores; ${refusedCharacters(name, S3_CHARACTER)}`,
    broken: (name) => ![...name].every((character) => S3_CHARACTER.test(character)),
  },
  {
    rule: (name) => `3 to 63 characters, not ${name.length}`,
    broken: (name) => name.length < 3 || name.length > 63,
  },
  {
    rule: () => 'starting and ending with a letter or digit',
    broken: (name) => !BEGINS_AND_ENDS_ALPHANUMERIC.test(name),
  },
  { rule: () => 'no two adjacent dots', broken: (name) => name.includes('..') },
  { rule: () => 'not formatted as an IP address', broken: (name) => DOTTED_DECIMAL.test(name) },
  ...S3_RESERVED_PREFIXES.map((prefix) => ({
    rule: () => `not starting with '${prefix}' (reserved by S3)`,
    broken: (name: string) => name.startsWith(prefix),
  })),
  ...S3_RESERVED_SUFFIXES.map((suffix) => ({
    rule: () => `not ending with '${suffix}' (reserved by S3)`,
    broken: (name: string) => name.endsWith(suffix),
  })),
];

/**
 * Cloud Storage bucket names: lowercase letters, digits, dots, hyphens and underscores, starting and
 * ending with a letter or digit, 3-63 characters, or up to 222 when they contain dots, each
 * dot-separated component at most 63 (https://cloud.google.com/storage/docs/buckets#naming). This
 * pattern (unanchored) is both a JavaScript and a POSIX extended regular expression, so the deploy's
 * record of bound buckets (infra/gcp/plan.ts RECORDED_ENTRY) takes every name the policy does; the
 * rules it cannot say are {@link GCS_BUCKET_RULES}'.
 */
export const GCS_BUCKET_NAME = '[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]';
const GCS_CHARACTER = /[a-z0-9._-]/;

/**
 * Cloud Storage bucket names, rule by rule as Cloud Storage documents them (the page above). It bans
 * names containing "google or close misspellings, such as g00gle" without listing them: this bans
 * the one it names, any `o` of google written as a zero (g00gle, go0gle, g0ogle); another
 * misspelling the service refuses is no bucket, so the audit finds it missing.
 */
const GCS_BUCKET_RULES: readonly BucketNameRule[] = [
  {
    rule: (name) =>
      `only lowercase letters, digits, dots, hyphens and underscores; ${refusedCharacters(name, GCS_CHARACTER)}`,
    broken: (name) => ![...name].every((character) => GCS_CHARACTER.test(character)),
  },
  {
    rule: (name) => `3 to 63 characters, or up to 222 when it has dots; not ${name.length}`,
    broken: (name) => name.length < 3 || name.length > (name.includes('.') ? 222 : 63),
  },
  {
    rule: () => 'starting and ending with a letter or digit',
    broken: (name) => !BEGINS_AND_ENDS_ALPHANUMERIC.test(name),
  },
  {
    rule: () => 'each dot-separated part at most 63 characters',
    broken: (name) => name.split('.').some((component) => component.length > 63),
  },
  { rule: () => 'not an IP address in dotted-decimal notation', broken: (name) => DOTTED_DECIMAL.test(name) },
  { rule: () => "not starting with 'goog'", broken: (name) => name.startsWith('goog') },
  {
    rule: () => "not containing 'google' or a close misspelling of it such as 'g00gle'",
    broken: (name) => /g[o0]{2}gle/.test(name),
  },
];

/** A bucket field that names the first rule of its service the name breaks. */
function bucketField(service: string, rules: readonly BucketNameRule[]) {
  return z.described(
    z.string().check(
      z.superRefine((bucket, context) => {
        const broken = brokenBucketRule(rules, bucket);
        if (broken === undefined) return;
        context.addIssue({
          code: 'custom',
          input: bucket,
          message: `must be ${service} bucket name (${broken})`,
        });
      }),
    ),
    'The bucket that holds the dumps.',
  );
}

/**
 * The shortest cadence the policy takes. The dump checks count in hours, and dumps.retention fails a
 * gap longer than twice the cadence: a cadence of 1e-9 h, which the policy used to take, failed
 * every series there is. An hour also keeps the 30-day series within the default listing bound.
 */
const MIN_CADENCE_HOURS = 1;
const MAX_CADENCE_HOURS = 24 * 31;
const CADENCE_FLOOR = `it must be at least ${MIN_CADENCE_HOURS} h (the dump checks count in hours, and dumps.retention fails any gap longer than twice the cadence, so a shorter one fails every real series)`;

/** The S3 ListObjectsV2 page limit (MaxKeys <= 1000) and GCS objects.list's; the default bound. */
export const DEFAULT_MAX_OBJECTS_LISTED = 1000;

const s3BucketField = bucketField('an S3', S3_BUCKET_RULES);
const gcsBucketField = bucketField('a Cloud Storage', GCS_BUCKET_RULES);

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
  'Only keys ending with this are dumps (`.dump`); set it when the prefix also holds checksums, logs or other files. Without it, only checksums, signatures and logs told by their extension (`.sha256`, `.md5`, `.sig`, `.asc`, `.log`, …) are set apart, by key alone, and the newest dump read is the newest other object; any other file counts as a dump, the newest or one filling a gap in the series. Empty: every object (folder placeholders excepted).',
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
      z._default(
        z.number().check(
          z.gte(MIN_CADENCE_HOURS, { error: (issue) => `is ${issue.input} h; ${CADENCE_FLOOR}` }),
          z.lte(MAX_CADENCE_HOURS, {
            error: (issue) => `is ${issue.input} h; it must be at most ${MAX_CADENCE_HOURS} h (31 days)`,
          }),
        ),
        24,
      ),
      'Expected pg_dump cadence in hours; a newer dump must exist within cadence + grace, and the series may have no gap longer than twice the cadence.',
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
      'At most this many objects are listed per location (bounds API calls and memory); at least minDays × 24 / cadenceHours + 1, the dumps of a whole series, or dumps.retention could never see its oldest.',
    ),
  })
  .check(
    z.superRefine((policy, context) => {
      // A listing that stops before the oldest dump the series must reach leaves dumps.retention
      // NOT_AVAILABLE on every run: refused here, where the fix is one field. (A cadence out of
      // range has its own issue, and no count of dumps worth naming.)
      const needed = Math.ceil((policy.minDays * 24) / policy.cadenceHours) + 1;
      if (policy.cadenceHours >= MIN_CADENCE_HOURS && policy.maxObjectsListed < needed) {
        context.addIssue({
          code: 'custom',
          path: ['maxObjectsListed'],
          message: `is ${policy.maxObjectsListed}, fewer than the ${needed} dumps dumps.minDays (${policy.minDays}) at dumps.cadenceHours (${policy.cadenceHours} h) needs listed: dumps.retention could never see the whole series; raise it to at least ${needed}, or lengthen the cadence`,
        });
      }
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
