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
});
