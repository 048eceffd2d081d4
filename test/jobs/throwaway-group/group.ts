/**
 * A check group that exists only for this test folder: its own facts, one check, and a fake
 * collector. It proves that a new subsystem is a folder plus one registration line: nothing outside
 * this folder knows about it.
 */
import type { Check } from '../../../functions/core/check.ts';
import type { ResourceRef } from '../../../functions/core/finding.ts';
import { type CheckGroupDefinition, defineCheckGroup } from '../../../functions/jobs/groups.ts';

export const GROUP = 'selftest';

/** What the fake collector "reads": a bucket and whether its canary object is fresh. */
export interface CanaryFact {
  readonly resource: ResourceRef;
  readonly canaryAgeHours: number;
}

export const canaryCheck: Check<CanaryFact> = {
  metadata: {
    id: 'selftest.canary-fresh',
    group: GROUP,
    title: 'The canary object is fresh',
    failedTitle: 'The canary object is stale',
    severity: 'LOW',
    rationale: 'Proves the runner runs any registered group.',
    remediation: { text: 'Write the canary again.', url: 'https://example.com/selftest' },
    resourceTypes: ['AwsS3Bucket'],
  },
  evaluate: (fact) => ({
    status: fact.canaryAgeHours <= 24 ? 'PASSED' : 'FAILED',
    description: `The canary is ${fact.canaryAgeHours} hours old.`,
    observed: { canaryAgeHours: fact.canaryAgeHours },
    required: { canaryAgeHours: 24 },
  }),
};

/** The buckets each region holds, keyed by region; tests change it between runs. */
export const fakeWorld = new Map<string, { name: string; canaryAgeHours: number }[]>();

export const selftestGroup: CheckGroupDefinition = defineCheckGroup<CanaryFact>({
  name: GROUP,
  summary: 'a throwaway group for the runner test',
  checks: [canaryCheck],
  collect: {
    aws: async ({ account, region }) => {
      if (region === 'ap-south-1')
        throw Object.assign(new Error('region unreachable'), { name: 'ECONNREFUSED' });
      return (fakeWorld.get(region) ?? []).map((bucket) => ({
        resource: {
          provider: 'aws',
          account: account.accountId,
          region,
          type: 'AwsS3Bucket',
          id: bucket.name,
          arn: `arn:aws:s3:::${bucket.name}`,
        },
        canaryAgeHours: bucket.canaryAgeHours,
      }));
    },
  },
});
