import { describe, expect, it } from 'vitest';
import { dumpsPolicySchema } from '../../functions/core/dumps-policy.ts';

describe('dumpsPolicySchema', () => {
  it('applies the defaults when the section is empty', () => {
    expect(dumpsPolicySchema.parse({})).toEqual({
      locations: [],
      cadenceHours: 24,
      graceHours: 6,
      databaseName: 'certctl',
      minDays: 30,
      maxObjectsListed: 1000,
    });
  });

  it('accepts an S3 and a GCS location with an empty prefix by default', () => {
    const policy = dumpsPolicySchema.parse({
      locations: [
        {
          provider: 'aws',
          bucket: 'certctl-dumps',
          account: '111122223333',
          region: 'eu-west-1',
          prefix: 'prod/',
        },
        { provider: 'gcp', bucket: 'certctl-dumps-gcp', project: 'certctl-prod', region: 'europe-west1' },
      ],
    });
    expect(policy.locations[1]).toEqual({
      provider: 'gcp',
      bucket: 'certctl-dumps-gcp',
      project: 'certctl-prod',
      region: 'europe-west1',
      prefix: '',
      suffix: '',
    });
  });

  it('rejects with the field path when an AWS location has no account', () => {
    const result = dumpsPolicySchema.safeParse({
      locations: [{ provider: 'aws', bucket: 'certctl-dumps', region: 'eu-west-1' }],
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['locations', 0, 'account']);
  });

  it.each([
    ['aws', 's3://certctl-dumps/prod/'],
    ['gcp', 'gs://certctl-dumps/prod/'],
    ['aws', 's3:/certctl-dumps/prod/'],
    ['aws', 'arn:aws:s3:::certctl-dumps/prod/'],
    ['aws', 'https://certctl-dumps.s3.amazonaws.com/prod/'],
    ['aws', 'https://certctl-dumps.s3.eu-west-1.amazonaws.com/prod/'],
    ['aws', 'https://s3.eu-west-1.amazonaws.com/certctl-dumps/prod/'],
    ['gcp', 'https://storage.googleapis.com/certctl-dumps/prod/'],
    ['gcp', 'https://certctl-dumps.storage.googleapis.com/prod/'],
    ['gcp', 'https://storage.cloud.google.com/certctl-dumps/prod/'],
  ])(
    'rejects a %s prefix written as the URL or ARN of the dumps (%s), naming the field and the prefix to use',
    (provider, prefix) => {
      // A URL or ARN prefix lists no key at all: dumps.fresh FAILED 'holds no dump at all'.
      const place =
        provider === 'aws'
          ? { account: '111122223333', region: 'eu-west-1' }
          : { project: 'certctl-prod', region: 'europe-west1' };
      const result = dumpsPolicySchema.safeParse({
        locations: [{ provider, bucket: 'certctl-dumps', prefix, ...place }],
      });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['locations', 0, 'prefix']);
      expect(result.error?.issues[0]?.message).toBe(
        'must be the key prefix inside the bucket (`prod/`), not a URL or ARN: the bucket is its own field',
      );
    },
  );

  it.each([
    'prod/2026:12:04/',
    'certctl:prod/',
    'arn/prod/',
    's3/prod/',
    'https/prod/',
    'backups/https://example/',
    's3.amazonaws.com/prod/',
  ])('accepts the S3 key prefix %s, which may hold colons and URL-like parts', (prefix) => {
    const result = dumpsPolicySchema.safeParse({
      locations: [
        { provider: 'aws', bucket: 'certctl-dumps', prefix, account: '111122223333', region: 'eu-west-1' },
      ],
    });
    expect(result.error?.issues).toBeUndefined();
  });

  it('rejects the URL of a whole bucket as the prefix, saying the prefix is then empty', () => {
    const result = dumpsPolicySchema.safeParse({
      locations: [
        {
          provider: 'aws',
          bucket: 'certctl-dumps',
          prefix: 's3://certctl-dumps/',
          account: '111122223333',
          region: 'eu-west-1',
        },
      ],
    });
    expect(result.error?.issues[0]?.message).toBe(
      'must be the key prefix inside the bucket (empty, or left out, for the whole bucket), not a URL or ARN: the bucket is its own field',
    );
  });

  it('rejects a location listed twice', () => {
    const location = {
      provider: 'aws',
      bucket: 'certctl-dumps',
      account: '111122223333',
      region: 'eu-west-1',
    };
    const result = dumpsPolicySchema.safeParse({ locations: [location, location] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('listed twice');
    // The path names the second listing, so the error points at the line to delete.
    expect(result.error?.issues[0]?.path).toEqual(['locations', 1]);
  });

  /** The issues of a dumps section, as path and message. */
  function issuesOf(input: Record<string, unknown>): { path: string; message: string }[] {
    return (dumpsPolicySchema.safeParse(input).error?.issues ?? []).map((issue) => ({
      path: issue.path.join('.'),
      message: issue.message,
    }));
  }

  it.each([1e-9, 0.5, 0.99])(
    'refuses a cadence of %s h, shorter than an hour, naming the minimum',
    (cadenceHours) => {
      // A nanosecond cadence made dumps.retention fail every real series (any gap is longer than twice it).
      expect(issuesOf({ cadenceHours })).toEqual([
        {
          path: 'cadenceHours',
          message: `is ${cadenceHours} h; it must be at least 1 h (the dump checks count in hours, and dumps.retention fails any gap longer than twice the cadence, so a shorter one fails every real series)`,
        },
      ]);
    },
  );

  it('takes a cadence of 1 h and of 744 h (31 days), and refuses a longer one naming the maximum', () => {
    expect(dumpsPolicySchema.parse({ cadenceHours: 1 }).cadenceHours).toBe(1);
    expect(dumpsPolicySchema.parse({ cadenceHours: 744 }).cadenceHours).toBe(744);
    expect(issuesOf({ cadenceHours: 745 })).toEqual([
      { path: 'cadenceHours', message: 'is 745 h; it must be at most 744 h (31 days)' },
    ]);
  });

  it('refuses a listing bound that cannot hold the dumps the series must cover, naming the fields and the bound needed', () => {
    // 60 days of hourly dumps is 1,440 dumps: a listing that stops at 1,000 never reaches the
    // oldest, so dumps.retention could only ever answer NOT_AVAILABLE.
    expect(issuesOf({ cadenceHours: 1, minDays: 60 })).toEqual([
      {
        path: 'maxObjectsListed',
        message:
          'is 1000, fewer than the 1441 dumps dumps.minDays (60) at dumps.cadenceHours (1 h) needs listed: dumps.retention could never see the whole series; raise it to at least 1441, or lengthen the cadence',
      },
    ]);
    expect(issuesOf({ maxObjectsListed: 1 })).toEqual([
      {
        path: 'maxObjectsListed',
        message:
          'is 1, fewer than the 31 dumps dumps.minDays (30) at dumps.cadenceHours (24 h) needs listed: dumps.retention could never see the whole series; raise it to at least 31, or lengthen the cadence',
      },
    ]);
    expect(dumpsPolicySchema.parse({ cadenceHours: 1, minDays: 60, maxObjectsListed: 1441 }).minDays).toBe(
      60,
    );
    expect(dumpsPolicySchema.parse({ cadenceHours: 1 }).cadenceHours).toBe(1);
  });

  /** The issues a location with `bucket` gets on its bucket field. */
  function bucketIssues(provider: 'aws' | 'gcp', bucket: string): string[] {
    const place =
      provider === 'aws'
        ? { account: '111122223333', region: 'eu-west-1' }
        : { project: 'certctl-prod', region: 'europe-west1' };
    const result = dumpsPolicySchema.safeParse({ locations: [{ provider, bucket, ...place }] });
    return (result.error?.issues ?? [])
      .filter((issue) => issue.path.join('.') === 'locations.0.bucket')
      .map((issue) => issue.message);
  }

  it.each([
    [
      'Certctl-Dumps',
      "only lowercase letters, digits, dots, hyphens and underscores; 'C', 'D' are not allowed",
    ],
    ['ab', '3 to 63 characters, not 2'],
    [`certctl-${'a'.repeat(56)}`, '3 to 63 characters, not 64'],
    ['-certctl-dumps', 'starting and ending with a letter or digit'],
    ['certctl..dumps', 'no two adjacent dots'],
    ['192.168.5.4', 'not formatted as an IP address'],
    ['xn--certctl', "not starting with 'xn--' (reserved by S3)"],
    ['sthree-certctl', "not starting with 'sthree-' (reserved by S3)"],
    ['amzn-s3-demo-certctl', "not starting with 'amzn-s3-demo-' (reserved by S3)"],
    ['certctl-s3alias', "not ending with '-s3alias' (reserved by S3)"],
    ['certctl--ol-s3', "not ending with '--ol-s3' (reserved by S3)"],
    ['certctl.mrap', "not ending with '.mrap' (reserved by S3)"],
    ['certctl--x-s3', "not ending with '--x-s3' (reserved by S3)"],
    ['certctl--table-s3', "not ending with '--table-s3' (reserved by S3)"],
  ])('refuses the S3 bucket %s, naming the rule it breaks', (bucket, rule) => {
    expect(bucketIssues('aws', bucket)).toEqual([`must be an S3 bucket name (${rule})`]);
  });

  it.each([
    'certctl-dumps',
    // A bucket made in us-east-1 before March 2018 may hold an underscore: it exists, so it is taken.
    'certctl_dumps',
    'certctl.dumps.example.com',
    'a1b',
    `c${'a'.repeat(62)}`,
    'certctl-dumps-111122223333-eu-west-1-an',
    '192.168.5.4x',
  ])('accepts the S3 bucket %s', (bucket) => {
    expect(bucketIssues('aws', bucket)).toEqual([]);
  });

  it.each([
    ['certctl dumps', "only lowercase letters, digits, dots, hyphens and underscores; ' ' is not allowed"],
    ['certctl_dumps_', 'starting and ending with a letter or digit'],
    ['ab', '3 to 63 characters, or up to 222 when it has dots; not 2'],
    ['a'.repeat(64), '3 to 63 characters, or up to 222 when it has dots; not 64'],
    [`${'a.'.repeat(111)}a`, '3 to 63 characters, or up to 222 when it has dots; not 223'],
    [`certctl.${'a'.repeat(64)}`, 'each dot-separated part at most 63 characters'],
    ['10.0.0.1', 'not an IP address in dotted-decimal notation'],
    ['goog-certctl-dumps', "not starting with 'goog'"],
    ['certctl-google-dumps', "not containing 'google' or a close misspelling of it such as 'g00gle'"],
    ['certctl-g00gle', "not containing 'google' or a close misspelling of it such as 'g00gle'"],
    ['certctl-go0gle', "not containing 'google' or a close misspelling of it such as 'g00gle'"],
  ])('refuses the Cloud Storage bucket %s, naming the rule it breaks', (bucket, rule) => {
    expect(bucketIssues('gcp', bucket)).toEqual([`must be a Cloud Storage bucket name (${rule})`]);
  });

  it.each([
    'certctl-dumps',
    'certctl_dumps',
    `certctl.dumps.${'a'.repeat(60)}.example.com`,
    'my-goog-dumps',
    '10.0.0.1.example.com',
  ])('accepts the Cloud Storage bucket %s', (bucket) => {
    expect(bucketIssues('gcp', bucket)).toEqual([]);
  });
});
