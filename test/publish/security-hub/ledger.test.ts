import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AuditedAccount, AwsClientFactory } from '../../../functions/aws/clients.ts';
import { S3LedgerStore } from '../../../functions/aws/ledger-store.ts';
import type { AuditReport } from '../../../functions/core/audit.ts';
import type { Finding } from '../../../functions/core/finding.ts';
import { asffFindingId, productArn } from '../../../functions/publish/security-hub/asff.ts';
import {
  decodeLedger,
  encodeLedger,
  LedgerConflictError,
  LedgerUnreadableError,
  ledgerSummary,
} from '../../../functions/publish/security-hub/ledger.ts';
import {
  type PublishResult,
  publishToSecurityHub,
} from '../../../functions/publish/security-hub/publisher.ts';
import { simCredentials } from '../../sim/accounts.ts';
import { simS3Client } from '../../sim/s3-support.ts';
import { type Sim, startSim } from '../../sim/server.ts';
import { SECURITY_HUB_SERVICE, type SecurityHubSim } from '../../sim/services/security-hub.ts';
import {
  ACCOUNT_A,
  ACCOUNT_B,
  completeScope,
  policy,
  rdsResource,
  report,
  retentionFinding,
} from './fixtures.ts';

const ROLE = 'certctl-backup-guard-publish';
const BUCKET = 'certctl-backup-guard-ledger';
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const T0 = new Date('2026-11-21T12:00:00.000Z');
const ACCOUNTS: readonly AuditedAccount[] = [
  { accountId: ACCOUNT_A },
  { accountId: ACCOUNT_B, roleArn: `arn:aws:iam::${ACCOUNT_B}:role/${ROLE}` },
];
const EU = { account: ACCOUNT_A, region: 'eu-west-1' };

describe('the import ledger encoding', () => {
  const held = {
    id: 'certctl-backup-guard/pitr.retention/arn:aws:rds:eu-west-1:111111111111:db:db-1',
    productArn: productArn({ ...EU, partition: 'aws' }),
    ...EU,
    createdAt: '2026-11-20T12:00:00.000Z',
    updatedAt: '2026-11-21T12:00:00.000Z',
    recordState: 'ACTIVE' as const,
    complianceStatus: 'FAILED',
    scope: { provider: 'aws' as const, account: ACCOUNT_A, region: 'eu-west-1', group: 'pitr' },
    contentHash: 'abc',
  };
  const ledger = { ...EU, productArn: held.productArn, reconciledAt: T0.toISOString(), findings: [held] };

  it('decodes what it encoded when the destination and product match', () => {
    // Act
    const decoded = decodeLedger(encodeLedger(ledger), { ...EU, productArn: held.productArn });

    // Assess
    expect(decoded).toEqual(ledger);
  });

  it('refuses a ledger when its bytes are corrupt or truncated', () => {
    // Prepare
    const bytes = encodeLedger(ledger);

    // Act / Assess
    expect(() => decodeLedger(bytes.subarray(0, 20), { ...EU, productArn: held.productArn })).toThrow(
      LedgerUnreadableError,
    );
    expect(() => decodeLedger(Buffer.from('{"format":1}'), { ...EU, productArn: held.productArn })).toThrow(
      LedgerUnreadableError,
    );
  });

  it('summarizes active findings by status with the newest update, leaving archived ones out', () => {
    // Prepare
    const other = {
      ...ledger,
      region: 'us-east-1',
      findings: [
        {
          ...held,
          id: 'b',
          region: 'us-east-1',
          complianceStatus: 'PASSED',
          updatedAt: '2026-11-21T13:00:00.000Z',
        },
        {
          ...held,
          id: 'c',
          region: 'us-east-1',
          recordState: 'ARCHIVED' as const,
          updatedAt: '2026-11-22T00:00:00.000Z',
        },
      ],
    };

    // Act
    const summary = ledgerSummary([ledger, other]);

    // Assess
    expect(summary).toEqual({
      at: '2026-11-21T13:00:00.000Z',
      counts: { FAILED: 1, PASSED: 1 },
      destinations: ['111111111111/eu-west-1', '111111111111/us-east-1'],
    });
  });

  it('refuses a ledger when it belongs to another destination', () => {
    // Act / Assess
    expect(() =>
      decodeLedger(encodeLedger(ledger), {
        account: ACCOUNT_B,
        region: 'eu-west-1',
        productArn: held.productArn,
      }),
    ).toThrow(/names 111111111111\/eu-west-1/);
  });
});

describe('publishing with the import ledger against the simulated Security Hub and S3', () => {
  let sim: Sim;
  let hub: SecurityHubSim;
  let factory: AwsClientFactory;
  let s3: S3Client;
  let store: S3LedgerStore;
  let clock: Date;

  async function start(): Promise<{ sim: Sim; factory: AwsClientFactory }> {
    const started = await startSim({
      clock: () => clock,
      scenario: {
        accounts: [{ id: ACCOUNT_A }, { id: ACCOUNT_B, assumableRoles: [{ name: ROLE }] }],
        regions: [{ name: 'eu-west-1' }, { name: 'us-east-1' }],
        services: { s3: { buckets: [{ name: BUCKET, account: ACCOUNT_A, region: 'eu-west-1' }] } },
      },
    });
    return {
      sim: started,
      factory: new AwsClientFactory({
        maxAttempts: 2,
        credentials: simCredentials(ACCOUNT_A),
        endpoint: started.endpoint,
        stsRegion: 'eu-west-1',
      }),
    };
  }

  beforeEach(async () => {
    clock = T0;
    ({ sim, factory } = await start());
    hub = sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE);
    s3 = simS3Client(sim, 'eu-west-1', 'path', ACCOUNT_A);
    store = new S3LedgerStore(s3, BUCKET);
  });

  afterEach(async () => {
    s3.destroy();
    factory.destroy();
    await sim.close();
  });

  function publish(
    audit: AuditReport,
    options: { ledger?: boolean; on?: AwsClientFactory } = {},
  ): Promise<PublishResult> {
    return publishToSecurityHub({
      report: audit,
      policy: policy(),
      factory: options.on ?? factory,
      accounts: ACCOUNTS,
      now: () => clock,
      retry: { baseDelayMs: 1 },
      ...(options.ledger === false ? {} : { ledger: store }),
    });
  }

  const db = (name: string, overrides: Partial<Finding> = {}) =>
    retentionFinding(rdsResource(name), overrides);
  const scopes = [completeScope(ACCOUNT_A, 'eu-west-1')];

  async function ledgerBytes(): Promise<Uint8Array> {
    const answer = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: store.key(EU) }));
    return (await answer.Body?.transformToByteArray()) ?? new Uint8Array();
  }

  async function overwriteLedger(body: Uint8Array | string): Promise<void> {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: store.key(EU), Body: body }));
  }

  function held(id: string) {
    return hub.findings(ACCOUNT_A, 'eu-west-1').filter((finding) => finding.Id === id);
  }

  it('reads no held finding on the next run when the ledger is current', async () => {
    // Prepare
    const findings = [db('db-1'), db('db-2', { status: 'PASSED' })];
    const first = await publish(report(findings, scopes));
    clock = new Date(T0.getTime() + HOUR);

    // Act
    const second = await publish(report(findings, scopes));

    // Assess
    expect(first.ledger).toEqual({ used: 0, reconciled: 1, written: 1, problems: 0 });
    expect(first.calls.getFindings).toBe(1);
    expect(second.calls).toMatchObject({ getFindings: 0, ledgerRead: 1 });
    expect(second.ledger.used).toBe(1);
    expect(second.counts).toMatchObject({ unchanged: 2, created: 0, updated: 0 });
  });

  it('imports a changed finding and archives a deleted one while reading only that one when the ledger is current', async () => {
    // Prepare
    await publish(report([db('db-1'), db('db-2'), db('db-3')], scopes));
    clock = new Date(T0.getTime() + DAY);

    // Act
    const result = await publish(report([db('db-1', { status: 'PASSED' }), db('db-2')], scopes));

    // Assess
    expect(result.counts).toMatchObject({ resolved: 1, archived: 1, unchanged: 1, failed: 0 });
    expect(result.calls.getFindings).toBe(1);
    expect(held(asffFindingId(db('db-3')))[0]?.RecordState).toBe('ARCHIVED');
    expect(held(asffFindingId(db('db-1')))[0]?.Compliance?.Status).toBe('PASSED');
  });

  it('reconciles in full and duplicates nothing when the ledger is missing', async () => {
    // Prepare
    const findings = [db('db-1'), db('db-2')];
    await publish(report(findings, scopes), { ledger: false });
    clock = new Date(T0.getTime() + DAY);

    // Act
    const result = await publish(report([db('db-1')], scopes));

    // Assess
    expect(result.ledger).toMatchObject({ used: 0, reconciled: 1, written: 1 });
    expect(result.counts).toMatchObject({ created: 0, unchanged: 1, archived: 1 });
    expect(hub.findings(ACCOUNT_A, 'eu-west-1')).toHaveLength(2);
  });

  it('reconciles in full and loses nothing when the ledger is corrupt', async () => {
    // Prepare
    await publish(report([db('db-1'), db('db-2')], scopes));
    await overwriteLedger('not a ledger');
    clock = new Date(T0.getTime() + DAY);

    // Act
    const result = await publish(report([db('db-1', { status: 'PASSED' })], scopes));

    // Assess
    expect(result.ledger).toMatchObject({ used: 0, reconciled: 1, written: 1, problems: 1 });
    expect(result.counts).toMatchObject({ resolved: 1, archived: 1, created: 0 });
    expect(
      decodeLedger(await ledgerBytes(), { ...EU, productArn: productArn({ ...EU, partition: 'aws' }) })
        .findings,
    ).toHaveLength(2);
  });

  it('re-sends rather than duplicates, and archives at the next reconciliation, when the ledger is stale', async () => {
    // Prepare: run 1 writes a ledger; run 2 adds db-3; the ledger is then rolled back to run 1's.
    await publish(report([db('db-1')], scopes));
    const stale = await ledgerBytes();
    clock = new Date(T0.getTime() + HOUR);
    await publish(report([db('db-1'), db('db-3')], scopes));
    await overwriteLedger(stale);
    clock = new Date(T0.getTime() + 2 * HOUR);

    // Act: db-3 is reported again (the ledger does not know it), then deleted.
    const resent = await publish(report([db('db-1'), db('db-3')], scopes));
    const reconciled: PublishResult[] = [];
    for (let day = 3; day <= 10; day += 1) {
      clock = new Date(T0.getTime() + day * DAY);
      reconciled.push(await publish(report([db('db-1')], scopes)));
    }

    // Assess
    expect(resent.ledger.used).toBe(1);
    expect(resent.counts.created).toBe(1);
    expect(held(asffFindingId(db('db-3')))).toHaveLength(1);
    expect(hub.findings(ACCOUNT_A, 'eu-west-1')).toHaveLength(2);
    expect(reconciled.reduce((sum, run) => sum + run.counts.archived, 0)).toBe(1);
    expect(held(asffFindingId(db('db-3')))[0]?.RecordState).toBe('ARCHIVED');
  });

  it('removes the ledger and the next run reconciles when two runs overlap', async () => {
    // Prepare
    const findings = [db('db-1'), db('db-2')];

    // Act
    const [one, two] = await Promise.all([
      publish(report(findings, scopes)),
      publish(report(findings, scopes)),
    ]);
    clock = new Date(T0.getTime() + DAY);
    const next = await publish(report(findings, scopes));

    // Assess
    expect(one.ledger.problems + two.ledger.problems).toBe(1);
    expect(next.ledger).toMatchObject({ reconciled: 1, used: 0 });
    expect(next.counts).toMatchObject({ unchanged: 2, created: 0 });
    expect(hub.findings(ACCOUNT_A, 'eu-west-1')).toHaveLength(2);
  });

  it('refuses a write with LedgerConflictError when another run replaced the ledger since it was read', async () => {
    // Prepare
    await store.write(EU, new Uint8Array([1]), undefined);
    const read = await store.read(EU);
    await store.write(EU, new Uint8Array([2]), read?.version);

    // Act / Assess
    await expect(store.write(EU, new Uint8Array([3]), read?.version)).rejects.toThrow(LedgerConflictError);
    await expect(store.write(EU, new Uint8Array([3]), undefined)).rejects.toThrow(LedgerConflictError);
    expect((await store.read(EU))?.body).toEqual(new Uint8Array([2]));
  });

  it('corrects drift made outside the product at the next scheduled reconciliation', async () => {
    // Prepare: the product imports db-1 FAILED; someone else re-imports it archived and PASSED.
    const finding = db('db-1');
    await publish(report([finding], scopes));
    const [current] = held(asffFindingId(finding));
    const client = new SecurityHubClient({
      region: 'eu-west-1',
      endpoint: sim.endpoint,
      credentials: simCredentials(ACCOUNT_A),
    });
    await client.send(
      new BatchImportFindingsCommand({
        Findings: [
          {
            ...(current as AwsSecurityFinding),
            UpdatedAt: new Date(T0.getTime() + 1000).toISOString(),
            Compliance: { Status: 'PASSED' },
            RecordState: 'ARCHIVED',
          },
        ],
      }),
    );
    client.destroy();

    // Act: a run a day until the policy's weekly reconciliation has come for this destination.
    const runs: PublishResult[] = [];
    for (let day = 1; day <= 7; day += 1) {
      clock = new Date(T0.getTime() + day * DAY);
      runs.push(await publish(report([finding], scopes)));
    }

    // Assess
    const reconciliation = runs.findIndex((run) => run.ledger.reconciled === 1);
    expect(reconciliation).toBeGreaterThanOrEqual(0);
    expect(runs.slice(0, reconciliation).every((run) => run.calls.getFindings === 0)).toBe(true);
    expect(runs[reconciliation]?.counts.updated).toBe(1);
    expect(held(asffFindingId(finding))[0]).toMatchObject({
      RecordState: 'ACTIVE',
      Compliance: { Status: 'FAILED' },
    });
  });

  it('sends the same imports with and without the ledger when both start from the same seeded hub', async () => {
    // Prepare: a second, identical simulator that publishes without a ledger.
    const twin = await start();
    const twinHub = twin.sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE);
    const fleet = (day: number): Finding[] =>
      Array.from({ length: 30 }, (_, index) => index)
        .filter((index) => !(day >= 3 && index % 10 === 0))
        .map((index) =>
          db(`db-${index}`, {
            status: (index + day) % 7 === 0 ? 'PASSED' : 'FAILED',
            ...(index % 5 === 0 ? { observed: { retentionDays: day }, drifting: ['retentionDays'] } : {}),
          }),
        );
    const twinScopes = [...scopes, completeScope(ACCOUNT_B, 'eu-west-1')];
    const ledgerRuns: PublishResult[] = [];
    const plainRuns: PublishResult[] = [];
    const importsPerRun: [string[], string[]][] = [];

    try {
      // Act
      for (let day = 0; day <= 16; day += 1) {
        clock = new Date(T0.getTime() + day * DAY);
        const audit = report([...fleet(day), retentionFinding(rdsResource('b-1', ACCOUNT_B))], twinScopes);
        hub.resetCalls();
        twinHub.resetCalls();
        ledgerRuns.push(await publish(audit));
        plainRuns.push(await publish(audit, { ledger: false, on: twin.factory }));
        const sent = (calls: typeof hub.calls) =>
          calls
            .filter((call) => call.operation === 'BatchImportFindings')
            .flatMap((call) => call.ids)
            .sort();
        importsPerRun.push([sent(hub.calls), sent(twinHub.calls)]);
      }

      // Assess
      for (const [withLedger, without] of importsPerRun) expect(withLedger).toEqual(without);
      expect(ledgerRuns.map((run) => run.counts)).toEqual(plainRuns.map((run) => run.counts));
      expect(ledgerRuns.reduce((sum, run) => sum + run.calls.getFindings, 0)).toBeLessThan(
        plainRuns.reduce((sum, run) => sum + run.calls.getFindings, 0) / 2,
      );
      const state = (findings: typeof hub.findings extends (...args: never[]) => infer R ? R : never) =>
        findings
          .map((finding) => [finding.Id, finding.RecordState, finding.Compliance?.Status, finding.UpdatedAt])
          .sort();
      expect(state(hub.findings(ACCOUNT_A, 'eu-west-1'))).toEqual(
        state(twinHub.findings(ACCOUNT_A, 'eu-west-1')),
      );
    } finally {
      twin.factory.destroy();
      await twin.sim.close();
    }
  });
});
