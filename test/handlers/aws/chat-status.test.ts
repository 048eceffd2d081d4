/**
 * The chat `status` command's last published audit, read from the import ledgers in the simulator's S3 as the
 * scheduled audits leave them.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_PREFIX } from '../../../functions/aws/ledger-location.ts';
import { ledgerLastAudit } from '../../../functions/aws/ledger-status.ts';
import { listLedgerDestinations, S3LedgerStore } from '../../../functions/aws/ledger-store.ts';
import { productArn } from '../../../functions/publish/security-hub/asff.ts';
import { encodeLedger } from '../../../functions/publish/security-hub/ledger.ts';
import { simS3Client } from '../../sim/s3-support.ts';
import { type Sim, startSim } from '../../sim/server.ts';

const ACCOUNT = '111111111111';
const BUCKETS = {
  full: 'certctl-ledger-full',
  empty: 'certctl-ledger-empty',
  stale: 'certctl-ledger-stale',
  unreadable: 'certctl-ledger-unreadable',
  unconfirmed: 'certctl-ledger-unconfirmed',
};

let sim: Sim;
let s3: S3Client;
beforeAll(async () => {
  sim = await startSim({
    scenario: {
      regions: [{ name: 'eu-west-1' }, { name: 'us-east-1' }],
      services: {
        s3: {
          buckets: Object.values(BUCKETS).map((name) => ({ name, account: ACCOUNT, region: 'eu-west-1' })),
        },
      },
    },
  });
  s3 = simS3Client(sim, 'eu-west-1', 'path', ACCOUNT);
});
afterAll(async () => {
  s3.destroy();
  await sim.close();
});

function ledgerOf(
  region: string,
  findings: {
    id: string;
    status: string;
    updatedAt: string;
    archived?: boolean;
    keptAlive?: boolean;
    unconfirmed?: boolean;
  }[],
) {
  const destination = { account: ACCOUNT, region };
  const arn = productArn({ ...destination, partition: 'aws' });
  return encodeLedger({
    ...destination,
    productArn: arn,
    reconciledAt: '2026-12-01T00:00:00.000Z',
    findings: findings.map((finding) => ({
      id: finding.id,
      productArn: arn,
      ...destination,
      updatedAt: finding.updatedAt,
      recordState: finding.archived ? ('ARCHIVED' as const) : ('ACTIVE' as const),
      complianceStatus: finding.status,
      ...(finding.unconfirmed ? {} : { contentHash: `digest-${finding.id}` }),
      ...(finding.keptAlive ? { notEvaluatedSince: '2026-10-01T00:00:00.000Z' } : {}),
    })),
  });
}

describe('the last published audit of the chat status', () => {
  it('counts the active findings of every ledger by status, with the newest update, and names a ledger it could not read', async () => {
    // Prepare
    const store = new S3LedgerStore(s3, BUCKETS.full);
    await store.write(
      { account: ACCOUNT, region: 'eu-west-1' },
      ledgerOf('eu-west-1', [
        { id: 'a', status: 'PASSED', updatedAt: '2026-12-02T09:00:00.000Z' },
        { id: 'b', status: 'FAILED', updatedAt: '2026-12-02T10:00:00.000Z' },
        { id: 'c', status: 'FAILED', updatedAt: '2026-12-02T11:00:00.000Z', archived: true },
        { id: 'd', status: 'FAILED', updatedAt: '2026-12-02T08:00:00.000Z', keptAlive: true },
        { id: 'e', status: 'PASSED', updatedAt: '2026-12-02T12:00:00.000Z', unconfirmed: true },
      ]),
      undefined,
    );
    await store.write(
      { account: ACCOUNT, region: 'us-east-1' },
      new TextEncoder().encode('not a ledger'),
      undefined,
    );

    // Act
    const lastAudit = await ledgerLastAudit(s3, BUCKETS.full);

    // Assess
    expect(lastAudit).toEqual({
      at: '2026-12-02T10:00:00.000Z',
      // A finding kept alive (not re-evaluated) and one whose import is not known to have landed are
      // counted apart, and the latter dates nothing.
      counts: { PASSED: 1, FAILED: 1, 'kept alive, not re-evaluated': 1, 'last import unconfirmed': 1 },
      source: expect.stringMatching(
        /^as published to Security Hub, 1 account\/region; not read: 111111111111\/us-east-1 \(/,
      ),
    });
  });

  it('names the account/region whose ledger is oldest when the ledgers were last published at different times', async () => {
    // Prepare: us-east-1's audit last published a month before eu-west-1's (its audit stopped).
    const store = new S3LedgerStore(s3, BUCKETS.stale);
    await store.write(
      { account: ACCOUNT, region: 'eu-west-1' },
      ledgerOf('eu-west-1', [{ id: 'a', status: 'PASSED', updatedAt: '2026-12-02T10:00:00.000Z' }]),
      undefined,
    );
    await store.write(
      { account: ACCOUNT, region: 'us-east-1' },
      ledgerOf('us-east-1', [{ id: 'b', status: 'PASSED', updatedAt: '2026-11-01T08:00:00.000Z' }]),
      undefined,
    );

    // Act
    const lastAudit = await ledgerLastAudit(s3, BUCKETS.stale);

    // Assess: the newest time does not stand for the whole summary.
    expect(lastAudit).toMatchObject({ at: '2026-12-02T10:00:00.000Z', counts: { PASSED: 2 } });
    expect('source' in lastAudit ? lastAudit.source : '').toContain(
      'oldest: 111111111111/us-east-1, last published 2026-11-01T08:00:00.000Z',
    );
  });

  it('says no audit is on record when there is no ledger, rather than anything that reads as a pass', async () => {
    // Act
    const lastAudit = await ledgerLastAudit(s3, BUCKETS.empty);

    // Assess
    expect(lastAudit).toEqual({ unavailable: 'no audit has published yet' });
  });
  it('says the only imports on record are not known to have landed, not that no audit has published', async () => {
    // Prepare: the first run's every import call failed (answers lost): its ledger holds them without digest.
    const store = new S3LedgerStore(s3, BUCKETS.unconfirmed);
    await store.write(
      { account: ACCOUNT, region: 'eu-west-1' },
      ledgerOf('eu-west-1', [
        { id: 'a', status: 'PASSED', updatedAt: '2026-12-02T09:00:00.000Z', unconfirmed: true },
      ]),
      undefined,
    );

    // Act
    const lastAudit = await ledgerLastAudit(s3, BUCKETS.unconfirmed);

    // Assess
    expect(lastAudit).toEqual({
      unavailable: 'the import ledgers hold only imports not known to have landed (1)',
    });
  });
  it('says the ledgers could not be read, not that no audit has published, when none of them can be read', async () => {
    // Prepare: the audits did publish, but the only ledger is not readable (corrupt, or its key refused).
    const store = new S3LedgerStore(s3, BUCKETS.unreadable);
    await store.write(
      { account: ACCOUNT, region: 'eu-west-1' },
      new TextEncoder().encode('not a ledger'),
      undefined,
    );

    // Act
    const lastAudit = await ledgerLastAudit(s3, BUCKETS.unreadable);

    // Assess
    expect(lastAudit).toEqual({
      unavailable: expect.stringMatching(/^no import ledger could be read: 111111111111\/eu-west-1 \(/),
    });
    expect('unavailable' in lastAudit ? lastAudit.unavailable : '').not.toContain('no audit has published');
  });
});

describe('listLedgerDestinations when S3 names a continuation token it already sent', () => {
  it('fails naming the listing instead of listing the same page until the function times out', async () => {
    // Prepare
    let calls = 0;
    const client = {
      send: async () => {
        calls += 1;
        if (calls > 5) throw new Error('listed the same page again and again');
        return {
          Contents: [{ Key: `import-ledger/${ACCOUNT}/eu-west-1.json.gz` }],
          IsTruncated: true,
          NextContinuationToken: 'same-token',
        };
      },
    } as unknown as Pick<S3Client, 'send'>;

    // Act
    const listing = listLedgerDestinations(client, BUCKETS.full, 'import-ledger/');

    // Assess
    await expect(listing).rejects.toMatchObject({
      code: 'RepeatedContinuationToken',
      message: `ListObjectsV2 of the import ledgers in s3://${BUCKETS.full}/import-ledger/ named a continuation token it had already sent, so the listing would never reach its end`,
    });
    expect(calls).toBe(2);
  });
});

describe('listLedgerDestinations when a ListObjectsV2 answer does not say it is complete', () => {
  /** A client answering every ListObjectsV2 with `page` plus one ledger, counting the calls. */
  function answering(page: object) {
    const client = {
      calls: 0,
      send: async () => {
        client.calls += 1;
        if (client.calls > 5) throw new Error('listed again and again');
        return { Contents: [{ Key: `${LEDGER_PREFIX}${ACCOUNT}/eu-west-1.json.gz` }], ...page };
      },
    };
    return client;
  }

  it('fails naming IsTruncated instead of reading the ledgers listed so far as all of them', async () => {
    // Prepare: S3 always sends IsTruncated (API_ListObjectsV2); this answer leaves it out.
    const client = answering({});

    // Act
    const listing = listLedgerDestinations(client as unknown as Pick<S3Client, 'send'>, BUCKETS.full);

    // Assess
    await expect(listing).rejects.toMatchObject({
      code: 'IsTruncatedMissing',
      message: expect.stringContaining(
        `ListObjectsV2 of the import ledgers in s3://${BUCKETS.full}/${LEDGER_PREFIX} answered without IsTruncated`,
      ),
    });
  });

  it('fails instead of stopping when the answer says it is truncated but names no continuation token', async () => {
    // Prepare
    const client = answering({ IsTruncated: true });

    // Act
    const listing = listLedgerDestinations(client as unknown as Pick<S3Client, 'send'>, BUCKETS.full);

    // Assess
    await expect(listing).rejects.toMatchObject({ code: 'MissingContinuationToken' });
    expect(client.calls).toBe(1);
  });

  it('answers the chat status with the last audit not available, not a failed status, when the listing fails so', async () => {
    // Act
    const lastAudit = await ledgerLastAudit(answering({}) as unknown as S3Client, BUCKETS.full);

    // Assess: the counts of the ledgers listed so far are not the last audit.
    expect(lastAudit).toEqual({
      unavailable: expect.stringMatching(/^the import ledgers could not be listed: .*without IsTruncated/),
    });
  });

  it('still ends the listing when the answer says it is not truncated', async () => {
    // Act
    const destinations = await listLedgerDestinations(
      answering({ IsTruncated: false }) as unknown as Pick<S3Client, 'send'>,
      BUCKETS.full,
    );

    // Assess
    expect(destinations).toEqual([{ account: ACCOUNT, region: 'eu-west-1' }]);
  });
});
