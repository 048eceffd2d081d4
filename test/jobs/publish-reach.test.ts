/**
 * A job publishes within the regions its check groups publish into, which are all its deployed role
 * is granted (functions/jobs/groups.ts securityHubReach; test/infra/security-hub-reach.test.ts).
 */
import { describe, expect, it, vi } from 'vitest';
import type { AwsClientFactory } from '../../functions/aws/clients.ts';
import { countStatuses } from '../../functions/core/audit.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { publishAudit } from '../../functions/jobs/publish.ts';
import type { PublishOptions, PublishResult } from '../../functions/publish/security-hub/publisher.ts';

const seen: PublishOptions[] = [];
vi.mock('../../functions/publish/security-hub/publisher.ts', () => ({
  publishToSecurityHub: async (options: PublishOptions): Promise<PublishResult> => {
    seen.push(options);
    return {
      counts: {
        created: 0,
        updated: 0,
        refreshed: 0,
        resolved: 0,
        archived: 0,
        retired: 0,
        keptAlive: 0,
        unchanged: 0,
        untouched: 0,
        failed: 0,
      },
      calls: { getFindings: 0, batchImport: 0, ledgerRead: 0, ledgerWrite: 0 },
      ledger: { used: 0, reconciled: 0, written: 0, problems: 0, adopted: 0, unrecorded: 0, redated: 0 },
      findingsSent: 0,
      unaudited: [],
      failed: [],
      exitCode: 0,
    };
  },
}));

const report = {
  startedAt: '2026-11-21T12:00:00.000Z',
  finishedAt: '2026-11-21T12:00:01.000Z',
  findings: [],
  scopes: [],
  counts: countStatuses([]),
};

describe('the regions a job publishes in', () => {
  it('bounds the publisher to the places of a dumps run, and leaves the run of no named group unbounded', async () => {
    // Prepare
    const policy = parsePolicy({
      aws: { regions: ['us-east-1'] },
      securityHub: { enabled: true },
      dumps: {
        locations: [
          { provider: 'aws', bucket: 'certctl-dumps', account: '111111111111', region: 'eu-west-1' },
        ],
      },
    });
    const publisher = {
      factory: () => ({ credentialsFor: () => undefined }) as unknown as AwsClientFactory,
      accounts: [],
    };

    // Act
    await publishAudit(report, { policy, publisher, groupsRun: ['dumps'] });
    await publishAudit(report, { policy, publisher });

    // Assess
    expect(seen[0]?.reach?.('111111111111', 'ap-southeast-2')).toEqual(['eu-west-1']);
    expect(seen[1]?.reach).toBeUndefined();
  });
});
