/**
 * A publication in which every finding landed but the findings Security Hub holds in one region
 * could not be read (so none there was archived or kept alive) is reported as such, never as a
 * finding Security Hub refused.
 */
import { describe, expect, it, vi } from 'vitest';
import type { AwsClientFactory } from '../../functions/aws/clients.ts';
import { countStatuses } from '../../functions/core/audit.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { auditOutcome } from '../../functions/jobs/audit.ts';
import { assertPublicationLanded, publishAudit } from '../../functions/jobs/publish.ts';
import type { PublishResult } from '../../functions/publish/security-hub/publisher.ts';

const UNREAD = {
  id: '*',
  account: '111111111111',
  region: 'us-east-1',
  code: 'ServiceUnavailableException',
  message:
    'the findings held here could not be read: none was archived or kept alive this run (Service unavailable); a later run tries again',
};
const REFUSED = {
  id: 'certctl-backup-guard/pitr.retention/arn:aws:rds:eu-west-1:111111111111:db:a',
  account: '111111111111',
  region: 'eu-west-1',
  code: 'InvalidInput',
  message: 'bad',
};
const NOT_READ_BACK = {
  id: 'certctl-backup-guard/pitr.retention/arn:aws:rds:eu-west-1:111111111111:db:gone',
  account: '111111111111',
  region: 'eu-west-1',
  code: 'ThrottlingException',
  message:
    'not archived: the finding could not be read back to archive it (Rate exceeded); it stays ACTIVE until a later run archives it',
  readBackFailed: true as const,
};

let failed: PublishResult['failed'] = [];
let unaudited: PublishResult['unaudited'] = [];
vi.mock('../../functions/publish/security-hub/publisher.ts', () => ({
  publishToSecurityHub: async (): Promise<PublishResult> => ({
    counts: {
      created: 3,
      updated: 0,
      refreshed: 0,
      resolved: 0,
      archived: 0,
      retired: 0,
      keptAlive: 0,
      unchanged: 0,
      untouched: 0,
      failed: failed.length,
    },
    calls: { getFindings: 2, batchImport: 1, ledgerRead: 0, ledgerWrite: 0 },
    ledger: { used: 0, reconciled: 1, written: 0, problems: 0, adopted: 0, unrecorded: 0, redated: 0 },
    findingsSent: 3,
    unaudited,
    failed,
    exitCode: failed.length > 0 ? 2 : 0,
  }),
}));

const report = {
  startedAt: '2026-11-21T12:00:00.000Z',
  finishedAt: '2026-11-21T12:00:01.000Z',
  findings: [],
  scopes: [],
  counts: countStatuses([]),
};
const deps = {
  policy: parsePolicy({ aws: { regions: ['us-east-1'] }, securityHub: { enabled: true } }),
  publisher: {
    factory: () => ({ credentialsFor: () => undefined }) as unknown as AwsClientFactory,
    accounts: [],
  },
};

describe('a publication whose held findings could not be read in one region', () => {
  it('counts no finding as not imported and says which region could not be read, when every finding landed', async () => {
    // Prepare
    failed = [UNREAD];

    // Act
    const outcome = await publishAudit(report, deps);
    const { verdict, metrics } = auditOutcome(report, outcome);

    // Assess: incomplete, but no finding is claimed refused.
    expect(outcome).toMatchObject({ status: 'partial', failedCount: 0, failedByCode: {} });
    expect(metrics).toMatchObject({ AuditCompleted: 0, FindingsImportFailed: 0 });
    expect(verdict.startsWith('the audit could not complete: ')).toBe(true);
    expect(
      verdict.endsWith(
        '; the findings Security Hub holds in 111111111111/us-east-1 could not be read (ServiceUnavailableException): none there was archived or kept alive this run',
      ),
    ).toBe(true);
    expect(verdict).not.toMatch(/not imported|refused/);
    expect(() => assertPublicationLanded(outcome)).toThrow(
      /^Security Hub could not be read in 1 account and region; every finding was imported:\n {2}\* \(111111111111\/us-east-1\): ServiceUnavailableException the findings held here could not be read/,
    );
  });

  it('counts the refused findings apart from the region that could not be read', async () => {
    // Prepare
    failed = [REFUSED, UNREAD];

    // Act
    const outcome = await publishAudit(report, deps);
    const { verdict, metrics } = auditOutcome(report, outcome);

    // Assess
    expect(outcome).toMatchObject({ status: 'partial', failedCount: 1, failedByCode: { InvalidInput: 1 } });
    expect(metrics).toMatchObject({ FindingsImportFailed: 1 });
    expect(
      verdict.endsWith(
        '; 1 finding was not imported into Security Hub (Security Hub refused them: InvalidInput 1; the findings Security Hub holds in 111111111111/us-east-1 could not be read (ServiceUnavailableException): none there was archived or kept alive this run)',
      ),
    ).toBe(true);
    expect(() => assertPublicationLanded(outcome)).toThrow(
      /^1 finding\(s\) could not be imported into Security Hub, and Security Hub could not be read in 1 account and region; the other findings were imported:\n/,
    );
  });

  it('says findings were not sent, and why, not that Security Hub refused, throttled or failed them', async () => {
    // Prepare: one finding of an account without a publishing role, two of a region whose held
    // findings could not be read (a server error code), one archive whose copy is not valid ASFF.
    const notSent = (id: string, code: string, why: 'noPublishingRole' | 'unread' | 'invalidCopy') => ({
      ...REFUSED,
      id: `${REFUSED.id}-${id}`,
      code,
      message: 'not sent',
      notSent: why,
    });
    failed = [
      REFUSED,
      notSent('a', 'NoPublishingRole', 'noPublishingRole'),
      notSent('b', 'ServiceUnavailableException', 'unread'),
      notSent('c', 'ServiceUnavailableException', 'unread'),
      notSent('d', 'AsffValidationError', 'invalidCopy'),
    ];

    // Act
    const outcome = await publishAudit(report, deps);
    const { verdict } = auditOutcome(report, outcome);

    // Assess: all count as not landed; only the one sent is worded as Security Hub's doing.
    expect(outcome).toMatchObject({ status: 'partial', failedCount: 5 });
    expect(
      verdict.endsWith(
        '; 5 findings were not imported into Security Hub (Security Hub refused them: InvalidInput 1; not sent, as the findings Security Hub holds in their account and region could not be read: ServiceUnavailableException 2; not sent, as their account has no publishing role (add it to aws.accounts): NoPublishingRole 1; not sent, as the copy of the held finding would not be valid ASFF: AsffValidationError 1)',
      ),
    ).toBe(true);
    expect(verdict).not.toMatch(/server error/);
  });

  it('says the look-up read failed, not that Security Hub refused them, for archives whose finding could not be read back', async () => {
    // Prepare
    failed = [REFUSED, NOT_READ_BACK];

    // Act
    const outcome = await publishAudit(report, deps);
    const { verdict } = auditOutcome(report, outcome);

    // Assess: both count as not landed; only the refused one is worded as refused.
    expect(outcome).toMatchObject({ status: 'partial', failedCount: 2 });
    expect(
      verdict.endsWith(
        '; 2 findings were not imported into Security Hub (Security Hub refused them: InvalidInput 1; the look-up of the findings to archive or keep alive failed on the read, so they were not sent: ThrottlingException 1)',
      ),
    ).toBe(true);
  });

  it('passes on, in a complete publication, the regions no longer audited whose findings it could not archive', async () => {
    // Prepare
    failed = [];
    const left = {
      account: '111111111111',
      region: 'eu-west-3',
      findings: 4,
      failed: 2,
      groups: ['pitr'],
      deletedBy: '2027-02-19T12:00:00.000Z',
      retire: 'no run reads or resolves them again',
    };
    unaudited = [left];

    // Act
    const outcome = await publishAudit(report, deps);
    const { metrics } = auditOutcome(report, outcome);
    unaudited = [];

    // Assess: not a failure of this run, and said in its outcome.
    expect(outcome).toMatchObject({ status: 'published', failedCount: 0, unaudited: [left] });
    expect(metrics).toMatchObject({ FindingsImportFailed: 0 });
    expect(() => assertPublicationLanded(outcome)).not.toThrow();
  });
});
