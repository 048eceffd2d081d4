/** S3 lifecycle rules in neutral form (functions/aws/s3-dumps.ts `lifecycleRulesFor`): what a rule's filter narrows. */
import type { LifecycleRule } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { lifecycleRulesFor } from '../../functions/aws/s3-dumps.ts';
import { dumpsRetentionCheck } from '../../functions/checks/dumps/retention.ts';
import { s3Fact, settingsWith } from '../checks/dumps/fixtures.ts';

const expireAfter7 = { Status: 'Enabled', Expiration: { Days: 7 } } as const;

describe('lifecycleRulesFor', () => {
  it('keeps a rule prefix inside the series as the only keys it reaches, and none for one that covers it', () => {
    // Prepare: the dumps live under prod/; a scratch rule under prod/tmp/ reaches only some keys.
    const rules: LifecycleRule[] = [
      { ...expireAfter7, ID: 'scratch', Filter: { Prefix: 'prod/tmp/' } },
      {
        ...expireAfter7,
        ID: 'scratch-and',
        Filter: { And: { Prefix: 'prod/tmp/', ObjectSizeLessThan: 10 } },
      },
      { ...expireAfter7, ID: 'legacy', Prefix: 'prod/old-' },
      { ...expireAfter7, ID: 'shorter', Filter: { Prefix: 'pro' } },
      { ...expireAfter7, ID: 'same', Filter: { Prefix: 'prod/' } },
      { ...expireAfter7, ID: 'all', Filter: {} },
    ];

    // Act
    const neutral = lifecycleRulesFor(rules, 'prod/');

    // Assess
    expect(neutral.map((rule) => [rule.id, rule.narrowerPrefixes])).toEqual([
      ['scratch', ['prod/tmp/']],
      ['scratch-and', ['prod/tmp/']],
      ['legacy', ['prod/old-']],
      ['shorter', undefined],
      ['same', undefined],
      ['all', undefined],
    ]);
  });

  it('keeps a tag filter as a condition it cannot match to the dumps, alone or among And', () => {
    // Prepare
    const rules: LifecycleRule[] = [
      { ...expireAfter7, ID: 'temp', Filter: { Tag: { Key: 'temp', Value: 'true' } } },
      {
        ...expireAfter7,
        ID: 'scratch',
        Filter: {
          And: {
            Prefix: 'prod/',
            Tags: [
              { Key: 'kind', Value: 'scratch' },
              { Key: 'x', Value: 'y' },
            ],
          },
        },
      },
    ];

    // Act
    const neutral = lifecycleRulesFor(rules, 'prod/');

    // Assess
    expect(neutral.map((rule) => [rule.id, rule.expirationDays, rule.unmodelledConditions])).toEqual([
      ['temp', 7, ['tag temp=true']],
      ['scratch', 7, ['tag kind=scratch', 'tag x=y']],
    ]);
  });

  it('keeps the tags of a rule that expires noncurrent versions as conditions on those versions', () => {
    // Prepare: tagged objects' noncurrent versions go after a day; untagged dumps are not reached.
    const rules: LifecycleRule[] = [
      {
        ID: 'scratch-versions',
        Status: 'Enabled',
        Filter: { And: { Prefix: 'prod/', Tags: [{ Key: 'tier', Value: 'scratch' }] } },
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
      },
    ];
    // Act
    const [neutral] = lifecycleRulesFor(rules, 'prod/');
    // Assess: the tags were dropped, so the rule read as one that deletes every dump's noncurrent
    // versions after a day.
    expect(neutral).toMatchObject({
      noncurrentExpirationDays: 1,
      noncurrentUnmodelledConditions: ['tag tier=scratch'],
    });
    expect(neutral?.unmodelledConditions).toBeUndefined();
  });

  it('carries the object size bounds of the filter, alone or among And', () => {
    // Prepare
    const rules: LifecycleRule[] = [
      { ...expireAfter7, ID: 'tiny', Filter: { ObjectSizeLessThan: 1024 } },
      {
        ...expireAfter7,
        ID: 'band',
        Filter: { And: { Prefix: 'prod/', ObjectSizeGreaterThan: 10, ObjectSizeLessThan: 500 } },
      },
      { ...expireAfter7, ID: 'plain', Filter: { Prefix: 'prod/' } },
    ];

    // Act
    const neutral = lifecycleRulesFor(rules, 'prod/');

    // Assess
    expect(neutral.map((rule) => [rule.id, rule.objectSizeGreaterThan, rule.objectSizeLessThan])).toEqual([
      ['tiny', undefined, 1024],
      ['band', 10, 500],
      ['plain', undefined, undefined],
    ]);
    expect(neutral.every((rule) => rule.unmodelledConditions === undefined)).toBe(true);
  });

  it('reads a tag filter as no condition on current dumps when the rule expires no current object', async () => {
    // Prepare: dumps kept 35 days; beside that rule, tagged objects go to Glacier after 30 days, and
    // tagged objects' noncurrent versions are deleted after 90 days. Neither deletes a current dump.
    const rules: LifecycleRule[] = [
      { ID: 'expire-dumps', Status: 'Enabled', Filter: { Prefix: 'prod/' }, Expiration: { Days: 35 } },
      {
        ID: 'archive-tagged',
        Status: 'Enabled',
        Filter: { Tag: { Key: 'archive', Value: 'true' } },
        Transitions: [{ Days: 30, StorageClass: 'GLACIER' }],
      },
      {
        ID: 'old-versions-tagged',
        Status: 'Enabled',
        Filter: { And: { Prefix: 'prod/', Tags: [{ Key: 'kind', Value: 'dump' }] } },
        NoncurrentVersionExpiration: { NoncurrentDays: 90 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      },
    ];
    const fact = s3Fact({
      lifecycle: { state: 'read', value: lifecycleRulesFor(rules, 'prod/') },
      retentionLock: { state: 'absent' },
    });

    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());

    // Assess: before, NOT_AVAILABLE ('whether lifecycle rule archive-tagged deletes dumps sooner
    // than 30 days: it deletes objects that meet tag archive=true'): it deletes nothing.
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain('lifecycle rule expire-dumps deletes them only after 35 days');
  });
});
