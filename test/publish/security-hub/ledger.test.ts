import { gunzipSync, gzipSync } from 'node:zlib';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AuditedAccount, AwsClientFactory } from '../../../functions/aws/clients.ts';
import { LEDGER_PREFIX } from '../../../functions/aws/ledger-location.ts';
import { S3LedgerStore } from '../../../functions/aws/ledger-store.ts';
import type { AuditReport } from '../../../functions/core/audit.ts';
import type { Finding } from '../../../functions/core/finding.ts';
import type { StructuredLogger } from '../../../functions/core/logging.ts';
import type { Policy } from '../../../functions/core/policy.ts';
import { asffFindingId, productArn } from '../../../functions/publish/security-hub/asff.ts';
import {
  decodeLedger,
  encodeGivenUpLedger,
  encodeLedger,
  holdsWholeAccountFinding,
  LEDGER_FORMAT,
  LEDGER_VERSION,
  LedgerConflictError,
  LedgerGivenUpError,
  type LedgerStore,
  LedgerUnreadableError,
  ledgerSummary,
  mergeLedgers,
} from '../../../functions/publish/security-hub/ledger.ts';
import { type HeldFinding, heldFinding } from '../../../functions/publish/security-hub/lifecycle.ts';
import {
  type PublishResult,
  publishToSecurityHub,
} from '../../../functions/publish/security-hub/publisher.ts';
import { type RecordingLogger, recordingLogger } from '../../core/recording-logger.ts';
import { simCredentials } from '../../sim/accounts.ts';
import { simS3Client } from '../../sim/s3-support.ts';
import { type Sim, startSim } from '../../sim/server.ts';
import { SECURITY_HUB_SERVICE, type SecurityHubSim } from '../../sim/services/security-hub.ts';
import {
  ACCOUNT_A,
  ACCOUNT_B,
  CENTRAL,
  completeScope,
  failedScope,
  policy,
  rdsResource,
  report,
  retentionFinding,
  scopeFinding,
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
/** The GetFindings a ledger-planned destination makes each run: what another writer changed since. */
const SINCE = 1;

function gunzipText(bytes: Uint8Array): string {
  return gunzipSync(bytes).toString('utf8');
}

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

  it('finds a whole-account finding only when it is active, of the account and of a group the run evaluated', () => {
    // Prepare
    const wholeAccount = { ...held, scope: { ...held.scope, region: '*' } };
    const pitr = new Set(['pitr']);

    // Act
    const holds = (entry: HeldFinding, groups = pitr) =>
      holdsWholeAccountFinding({ findings: [entry] }, ACCOUNT_A, groups);

    // Assess
    expect(holds(wholeAccount)).toBe(true);
    expect(holds(held)).toBe(false);
    expect(holds({ ...wholeAccount, recordState: 'ARCHIVED' })).toBe(false);
    expect(holds(wholeAccount, new Set(['dumps']))).toBe(false);
    expect(holds({ ...wholeAccount, scope: { ...wholeAccount.scope, account: ACCOUNT_B } })).toBe(false);
    expect(holds({ ...wholeAccount, scope: { ...wholeAccount.scope, provider: 'gcp' } })).toBe(false);
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
      keptAlive: 0,
      unconfirmed: 0,
      destinations: ['111111111111/eu-west-1', '111111111111/us-east-1'],
      // eu-west-1 last published before us-east-1: the newest time does not stand for it.
      oldest: { destination: '111111111111/eu-west-1', at: held.updatedAt },
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

  it('summarizes findings kept alive and findings whose last import is unconfirmed apart from the active ones', () => {
    // Prepare: one finding as evaluated, one re-imported as it was (its scope failed), one whose last
    // import's outcome is unknown (no digest), and one archived.
    const findings = [
      held,
      {
        ...held,
        id: 'kept',
        notEvaluatedSince: '2026-10-01T12:00:00.000Z',
        updatedAt: '2026-11-21T12:30:00.000Z',
      },
      {
        ...held,
        id: 'unsure',
        complianceStatus: 'PASSED',
        contentHash: undefined,
        updatedAt: '2026-11-21T13:00:00.000Z',
      },
      { ...held, id: 'gone', recordState: 'ARCHIVED' as const },
    ];

    // Act
    const summary = ledgerSummary([{ ...ledger, findings }]);
    const decoded = decodeLedger(encodeLedger({ ...ledger, findings }), {
      ...EU,
      productArn: held.productArn,
    });

    // Assess: only the finding as evaluated counts by status; the others are counted apart, and the
    // import not known to have landed dates nothing. The ledger keeps the mark of a kept-alive finding.
    expect(summary).toMatchObject({
      at: '2026-11-21T12:30:00.000Z',
      counts: { FAILED: 1 },
      keptAlive: 1,
      unconfirmed: 1,
    });
    expect(decoded.findings.map((finding) => finding.notEvaluatedSince)).toEqual([
      undefined,
      '2026-10-01T12:00:00.000Z',
      undefined,
      undefined,
    ]);
  });

  it('round-trips findings with shared, different and no scopes and with absent values', () => {
    // Prepare
    const gcpScope = {
      provider: 'gcp' as const,
      account: 'certctl-prod',
      region: 'europe-west1',
      group: 'pitr',
    };
    const findings = [
      held,
      { ...held, id: 'b', scope: { ...held.scope } },
      { ...held, id: 'c', scope: gcpScope, recordState: 'ARCHIVED' as const },
      {
        id: 'd',
        productArn: held.productArn,
        ...EU,
        createdAt: undefined,
        updatedAt: undefined,
        recordState: 'ACTIVE' as const,
        complianceStatus: undefined,
        scope: undefined,
        contentHash: undefined,
      },
    ];
    const many = { ...ledger, findings };

    // Act
    const bytes = encodeLedger(many);
    const decoded = decodeLedger(bytes, { ...EU, productArn: held.productArn });
    const document = JSON.parse(gunzipText(bytes));

    // Assess
    expect(decoded).toEqual(many);
    expect(document.scopes).toEqual([
      ['aws', ACCOUNT_A, 'eu-west-1', 'pitr'],
      ['gcp', 'certctl-prod', 'europe-west1', 'pitr'],
    ]);
    expect(document.findings.map((entry: unknown[]) => entry[6])).toEqual([0, 0, 1, null]);
    expect(document.findings[3]).toEqual(['d', null, null, null, 'A', null, null]);
  });

  it("merges another run's ledger with this run's by the later UpdatedAt, letting carried entries give way", () => {
    // Prepare: this run read `base` (a, b, c, d at T0); another run then wrote `theirs`: a updated
    // at T0+2, b dropped (gone from Security Hub), d updated at T0+1. This run updated c and d at
    // T0+1.5 and found e gone.
    const at = (offset: number) => new Date(T0.getTime() + offset * HOUR).toISOString();
    const entry = (id: string, updatedAt: string) => ({ ...held, id, updatedAt });
    const base = new Map([
      ['a', at(0)],
      ['b', at(0)],
      ['c', at(0)],
      ['d', at(0)],
      ['e', at(0)],
    ]);
    const theirs = {
      ...ledger,
      reconciledAt: at(-1),
      findings: [entry('a', at(2)), entry('c', at(0)), entry('d', at(1)), entry('e', at(0))],
    };
    const ours = {
      ...ledger,
      reconciledAt: at(-2),
      findings: [entry('a', at(0)), entry('b', at(0)), entry('c', at(1.5)), entry('d', at(1.5))],
    };

    // Act
    const merged = mergeLedgers(theirs, ours, base, new Set(['e']));

    // Assess
    expect(merged.reconciledAt).toBe(at(-1));
    expect(merged.findings.map((finding) => [finding.id, finding.updatedAt])).toEqual([
      ['a', at(2)],
      ['c', at(1.5)],
      ['d', at(1.5)],
    ]);
  });

  it('keeps in a merge a finding this run found gone when the other run updated it later', () => {
    // Prepare
    const at = (offset: number) => new Date(T0.getTime() + offset * HOUR).toISOString();
    const theirs = { ...ledger, findings: [{ ...held, id: 'e', updatedAt: at(1) }] };
    const ours = { ...ledger, reconciledAt: at(1), findings: [] };

    // Act
    const merged = mergeLedgers(theirs, ours, new Map([['e', at(0)]]), new Set(['e']));

    // Assess
    expect(merged.findings.map((finding) => finding.id)).toEqual(['e']);
    expect(merged.reconciledAt).toBe(at(1));
  });

  it('keeps the other run’s reconciliation time when this run read Security Hub in full, for its carried entries were not checked', () => {
    // Prepare: the other run was planned from a ledger reconciled at T0 and carried `gone`, which
    // this run's full read at T0+7d no longer found in Security Hub.
    const at = (offset: number) => new Date(T0.getTime() + offset * DAY).toISOString();
    const theirs = { ...ledger, reconciledAt: at(0), findings: [{ ...held, id: 'gone', updatedAt: at(0) }] };
    const ours = { ...ledger, reconciledAt: at(7), findings: [{ ...held, id: 'kept', updatedAt: at(7) }] };

    // Act
    const merged = mergeLedgers(theirs, ours, undefined, new Set());

    // Assess: the merged ledger says no more than its entries prove, so the next run reconciles.
    expect(merged.findings.map((finding) => finding.id).sort()).toEqual(['gone', 'kept']);
    expect(merged.reconciledAt).toBe(at(0));
  });

  describe('refuses a ledger document with LedgerUnreadableError naming the problem', () => {
    const valid = () => ({
      format: LEDGER_FORMAT,
      version: LEDGER_VERSION,
      account: ACCOUNT_A,
      region: 'eu-west-1',
      productArn: held.productArn,
      reconciledAt: T0.toISOString(),
      scopes: [['aws', ACCOUNT_A, 'eu-west-1', 'pitr']],
      findings: [['id-1', 'hash', null, '2026-11-21T12:00:00.000Z', 'A', 'FAILED', 0]],
    });
    const entry = (change: (entry: unknown[]) => void) => {
      const document = valid();
      change(document.findings[0] as unknown[]);
      return document;
    };
    const cases: { name: string; document: unknown; message: string }[] = [
      { name: 'it is JSON null', document: null, message: 'is not a JSON object' },
      { name: 'it is a JSON string', document: 'ledger', message: 'is not a JSON object' },
      {
        name: 'its format is another',
        document: { ...valid(), format: 'other' },
        message: `has format other v1, not ${LEDGER_FORMAT} v1`,
      },
      {
        name: 'its version is another',
        document: { ...valid(), version: 2 },
        message: `has format ${LEDGER_FORMAT} v2, not ${LEDGER_FORMAT} v1`,
      },
      {
        name: 'it names another region',
        document: { ...valid(), region: 'us-east-1' },
        message: `names ${ACCOUNT_A}/us-east-1`,
      },
      {
        name: 'it is for another product',
        document: { ...valid(), productArn: 'arn:aws:securityhub:eu-west-1:1:product/1/default' },
        message: 'is for product arn:aws:securityhub:eu-west-1:1:product/1/default',
      },
      {
        name: 'reconciledAt is not a string',
        document: { ...valid(), reconciledAt: 5 },
        message: 'has no valid reconciledAt',
      },
      {
        name: 'reconciledAt is not a date',
        document: { ...valid(), reconciledAt: 'yesterday' },
        message: 'has no valid reconciledAt',
      },
      {
        name: 'scopes is missing',
        document: { ...valid(), scopes: undefined },
        message: 'has no scopes or findings',
      },
      {
        name: 'findings is not an array',
        document: { ...valid(), findings: {} },
        message: 'has no scopes or findings',
      },
      {
        name: 'a scope is not an array',
        document: { ...valid(), scopes: ['aws'] },
        message: 'has an invalid scope at 0',
      },
      {
        name: 'a scope names another provider',
        document: { ...valid(), scopes: [['azure', ACCOUNT_A, 'eu-west-1', 'pitr']] },
        message: 'has an invalid scope at 0',
      },
      {
        name: 'a scope has no account',
        document: { ...valid(), scopes: [['aws', 1, 'eu-west-1', 'pitr']] },
        message: 'has an invalid scope at 0',
      },
      {
        name: 'a scope has no region',
        document: { ...valid(), scopes: [['gcp', 'p', null, 'pitr']] },
        message: 'has an invalid scope at 0',
      },
      {
        name: 'a scope has no group',
        document: { ...valid(), scopes: [['aws', ACCOUNT_A, 'eu-west-1', 7]] },
        message: 'has an invalid scope at 0',
      },
      {
        name: 'a scope names an invalid group',
        document: { ...valid(), scopes: [['aws', ACCOUNT_A, 'eu-west-1', 'Not A Group']] },
        message: 'has an invalid scope at 0',
      },
      {
        name: 'an entry is not an array',
        document: { ...valid(), findings: ['x'] },
        message: 'has an invalid entry at 0',
      },
      {
        name: 'an entry has 6 fields',
        document: entry((e) => e.pop()),
        message: 'has an invalid entry at 0',
      },
      {
        name: 'an entry has 8 fields',
        document: entry((e) => e.push(null)),
        message: 'has an invalid entry at 0',
      },
      {
        name: 'the id is not a string',
        document: entry((e) => {
          e[0] = 1;
        }),
        message: 'has an invalid entry at 0',
      },
      {
        name: 'the id is empty',
        document: entry((e) => {
          e[0] = '';
        }),
        message: 'has an invalid entry at 0',
      },
      {
        name: 'the hash is a number',
        document: entry((e) => {
          e[1] = 1;
        }),
        message: 'has an invalid entry at 0',
      },
      {
        name: 'CreatedAt is a number',
        document: entry((e) => {
          e[2] = 1;
        }),
        message: 'has an invalid entry at 0',
      },
      {
        name: 'UpdatedAt is a number',
        document: entry((e) => {
          e[3] = 1;
        }),
        message: 'has an invalid entry at 0',
      },
      {
        name: 'the state is unknown',
        document: entry((e) => {
          e[4] = 'X';
        }),
        message: 'has an invalid entry at 0',
      },
      {
        name: 'the compliance is a number',
        document: entry((e) => {
          e[5] = 1;
        }),
        message: 'has an invalid entry at 0',
      },
      {
        name: 'the scope is not an integer',
        document: entry((e) => {
          e[6] = 0.5;
        }),
        message: 'has an invalid entry at 0',
      },
      {
        name: 'the scope is negative',
        document: entry((e) => {
          e[6] = -1;
        }),
        message: 'has an invalid entry at 0',
      },
      {
        name: 'the scope is out of range',
        document: entry((e) => {
          e[6] = 1;
        }),
        message: 'has an invalid entry at 0',
      },
    ];
    for (const { name, document, message } of cases) {
      it(`when ${name}`, () => {
        // Prepare
        const bytes = gzipSync(JSON.stringify(document));

        // Act / Assess
        expect(() => decodeLedger(bytes, { ...EU, productArn: held.productArn })).toThrow(
          new LedgerUnreadableError(`the import ledger of ${ACCOUNT_A}/eu-west-1 ${message}`),
        );
      });
    }

    it('when its bytes are not gzip, naming the gzip error as the cause', () => {
      // Act
      let error: unknown;
      try {
        decodeLedger(Buffer.from('{"format":1}'), { ...EU, productArn: held.productArn });
      } catch (caught) {
        error = caught;
      }

      // Assess
      expect(error).toBeInstanceOf(LedgerUnreadableError);
      expect((error as Error).name).toBe('LedgerUnreadableError');
      expect((error as Error).message).toMatch(/^the import ledger is not gzip JSON: .+/);
      expect((error as Error).cause).toBeInstanceOf(Error);
    });
  });

  it('decodes the states, a null scope and an in-range scope of a valid document', () => {
    // Prepare
    const document = {
      format: LEDGER_FORMAT,
      version: LEDGER_VERSION,
      ...EU,
      productArn: held.productArn,
      reconciledAt: T0.toISOString(),
      scopes: [
        ['aws', ACCOUNT_A, 'eu-west-1', 'pitr'],
        ['gcp', 'p', 'europe-west1', 'dumps'],
      ],
      findings: [
        ['a', null, null, null, 'R', null, 1],
        ['b', 'h', '2026-01-01T00:00:00.000Z', null, 'A', 'PASSED', null],
      ],
    };

    // Act
    const decoded = decodeLedger(gzipSync(JSON.stringify(document)), { ...EU, productArn: held.productArn });

    // Assess
    expect(decoded.findings).toEqual([
      {
        id: 'a',
        productArn: held.productArn,
        ...EU,
        createdAt: undefined,
        updatedAt: undefined,
        recordState: 'ARCHIVED',
        complianceStatus: undefined,
        scope: { provider: 'gcp', account: 'p', region: 'europe-west1', group: 'dumps' },
        contentHash: undefined,
      },
      {
        id: 'b',
        productArn: held.productArn,
        ...EU,
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: undefined,
        recordState: 'ACTIVE',
        complianceStatus: 'PASSED',
        scope: undefined,
        contentHash: 'h',
      },
    ]);
  });

  it('summarizes the newest update whatever the order, counting a finding without status as UNKNOWN', () => {
    // Prepare
    const findings = [
      { ...held, id: 'a', updatedAt: '2026-11-21T10:00:00.000Z' },
      { ...held, id: 'b', updatedAt: '2026-11-21T14:00:00.000Z', complianceStatus: undefined },
      { ...held, id: 'c', updatedAt: undefined },
      { ...held, id: 'd', updatedAt: '2026-11-21T12:00:00.000Z' },
    ];

    // Act
    const summary = ledgerSummary([{ ...ledger, findings }]);

    // Assess
    expect(summary.at).toBe('2026-11-21T14:00:00.000Z');
    expect(summary.counts).toEqual({ FAILED: 3, UNKNOWN: 1 });
  });

  it('summarizes by the instant each UpdatedAt names, whatever its precision or offset', () => {
    // Prepare: UpdatedAt as Security Hub accepts it from any writer (RFC 3339: with or without
    // fractional seconds, "Z" or an offset). eu-west-1 published last, at 12:00:00.5Z; us-east-1's
    // newest is 12:00:00Z, half a second before, and ap-south-1's 13:30+02:00 is 11:30Z.
    const where = (region: string, updatedAt: string) => ({
      ...ledger,
      region,
      findings: [{ ...held, region, updatedAt }],
    });

    // Act
    const summary = ledgerSummary([
      where('eu-west-1', '2026-11-21T12:00:00.500Z'),
      where('us-east-1', '2026-11-21T12:00:00Z'),
      where('ap-south-1', '2026-11-21T13:30:00+02:00'),
    ]);
    const same = ledgerSummary([
      where('eu-west-1', '2026-11-21T12:00:00.000Z'),
      where('us-east-1', '2026-11-21T14:00:00+02:00'),
    ]);

    // Assess: the newest is the latest instant, the oldest the earliest; the same instant written
    // two ways is no older destination.
    expect(summary.at).toBe('2026-11-21T12:00:00.500Z');
    expect(summary.oldest).toEqual({
      destination: '111111111111/ap-south-1',
      at: '2026-11-21T13:30:00+02:00',
    });
    expect(same.oldest).toBeUndefined();
  });

  it('summarizes no time when no active finding carries one', () => {
    const summary = ledgerSummary([{ ...ledger, findings: [{ ...held, updatedAt: undefined }] }]);
    expect(summary.at).toBeUndefined();
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
    options: {
      ledger?: boolean;
      store?: LedgerStore;
      on?: AwsClientFactory;
      logger?: StructuredLogger;
      policy?: Policy;
      reach?: (account: string, homeRegion: string) => readonly string[];
    } = {},
  ): Promise<PublishResult> {
    return publishToSecurityHub({
      report: audit,
      policy: options.policy ?? policy(),
      factory: options.on ?? factory,
      accounts: ACCOUNTS,
      now: () => clock,
      retry: { baseDelayMs: 1 },
      ...(options.ledger === false ? {} : { ledger: options.store ?? store }),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.reach ? { reach: options.reach } : {}),
    });
  }

  /** The ledger of (account A, region) as stored, its findings as [id, recordState, updatedAt]. */
  async function ledgerEntries(region = 'eu-west-1'): Promise<[string, string, string | undefined][]> {
    const where = { account: ACCOUNT_A, region };
    const answer = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: store.key(where) }));
    const bytes = (await answer.Body?.transformToByteArray()) ?? new Uint8Array();
    const decoded = decodeLedger(bytes, { ...where, productArn: productArn({ ...where, partition: 'aws' }) });
    return decoded.findings
      .map((entry): [string, string, string | undefined] => [entry.id, entry.recordState, entry.updatedAt])
      .sort(([a], [b]) => a.localeCompare(b));
  }

  const db = (name: string, overrides: Partial<Finding> = {}) =>
    retentionFinding(rdsResource(name), overrides);
  const scopes = [completeScope(ACCOUNT_A, 'eu-west-1')];

  /** The dumps audit's finding on its bucket, in the PITR findings' destination. */
  const bucket = (overrides: Partial<Finding> = {}) =>
    retentionFinding(
      {
        provider: 'aws',
        account: ACCOUNT_A,
        region: 'eu-west-1',
        type: 'AwsS3Bucket',
        id: 'certctl-dumps/pg/',
        arn: 'arn:aws:s3:::certctl-dumps',
      },
      { checkId: 'dumps.fresh', group: 'dumps', ...overrides },
    );
  const dumps = [completeScope(ACCOUNT_A, 'eu-west-1', 'dumps')];
  /** Weekly reconciliation (the default) with a monthly refresh, so that no refresh is due within a week. */
  const monthlyRefresh = () =>
    policy({
      securityHub: { enabled: true, centralAccountId: CENTRAL, centralRegion: 'eu-west-1', refreshDays: 30 },
    });

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

  /**
   * `factory` whose Security Hub clients pass each answer, after the simulator took the call, through
   * `answer` (which may change it, or throw as a call whose answer was lost).
   */
  function answering(answer: (input: unknown, output: unknown) => void): AwsClientFactory {
    const wrapped: AwsClientFactory = Object.create(factory);
    wrapped.client = ((ctor: never, region: string, account?: AuditedAccount) => {
      const client = factory.client(ctor, region, account) as unknown as SecurityHubClient;
      client.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          answer(args.input, result.output);
          return result;
        },
        { step: 'initialize', name: 'answering', override: true },
      );
      return client;
    }) as typeof factory.client;
    return wrapped;
  }

  /**
   * The PITR run of `findings` whose import calls Security Hub all takes but whose answers are all
   * lost, overlapped by the dumps run of the same destination: that run reads the ledger and what
   * changed since before the PITR run imports, and imports and writes its ledger after the PITR run
   * has ended (its own clients, held at the import).
   */
  async function lostBesideDumps(findings: readonly Finding[], monthly: Policy): Promise<PublishResult> {
    const dumpsFactory = new AwsClientFactory({
      maxAttempts: 2,
      credentials: simCredentials(ACCOUNT_A),
      endpoint: sim.endpoint,
      stsRegion: 'eu-west-1',
    });
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let importing: () => void = () => {};
    const dumpsImporting = new Promise<void>((resolve) => {
      importing = resolve;
    });
    const holding: AwsClientFactory = Object.create(dumpsFactory);
    holding.client = ((ctor: never, region: string, account?: AuditedAccount) => {
      const client = dumpsFactory.client(ctor, region, account) as unknown as SecurityHubClient;
      client.middlewareStack.add(
        (next) => async (args) => {
          if ('Findings' in (args.input as object)) {
            importing();
            await released;
          }
          return next(args);
        },
        { step: 'initialize', name: 'held', override: true },
      );
      return client;
    }) as typeof dumpsFactory.client;
    const dumpsRun = publish(report([bucket()], dumps), { policy: monthly, on: holding });
    await dumpsImporting;
    let losing = true;
    const lost = answering((input) => {
      if (losing && 'Findings' in (input as object)) {
        throw Object.assign(new Error('answer lost'), { name: 'ServiceUnavailableException' });
      }
    });
    const result = await publish(report(findings, scopes), { on: lost, policy: monthly });
    losing = false;
    release();
    expect((await dumpsRun).ledger).toMatchObject({ used: 1, written: 1 });
    dumpsFactory.destroy();
    return result;
  }

  it('reads no held finding on the next run when the ledger is current', async () => {
    // Prepare
    const findings = [db('db-1'), db('db-2', { status: 'PASSED' })];
    const first = await publish(report(findings, scopes));
    clock = new Date(T0.getTime() + HOUR);
    hub.resetCalls();

    // Act
    const second = await publish(report(findings, scopes));

    // Assess: one GetFindings, for what another writer changed since the ledger: none.
    expect(first.ledger).toEqual({
      used: 0,
      reconciled: 1,
      written: 1,
      problems: 0,
      adopted: 0,
      unrecorded: 0,
      redated: 0,
    });
    expect(first.calls.getFindings).toBe(1);
    expect(second.calls).toMatchObject({ getFindings: SINCE, ledgerRead: 1 });
    expect(hub.calls.filter((call) => call.operation === 'GetFindings').map((call) => call.findings)).toEqual(
      [0],
    );
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
    expect(result.calls.getFindings).toBe(SINCE + 1);
    expect(held(asffFindingId(db('db-3')))[0]?.RecordState).toBe('ARCHIVED');
    expect(held(asffFindingId(db('db-1')))[0]?.Compliance?.Status).toBe('PASSED');
  });

  it('keeps the last reconciliation time through ledger-only runs, and forgets archived findings after 90 days', async () => {
    // Prepare: reconciled at T0; db-2 is archived one day later by a ledger-only run.
    const arn = productArn({ ...EU, partition: 'aws' });
    const decoded = async () => decodeLedger(await ledgerBytes(), { ...EU, productArn: arn });
    await publish(report([db('db-1'), db('db-2')], scopes));
    clock = new Date(T0.getTime() + DAY);
    const archiving = await publish(report([db('db-1')], scopes));
    expect(archiving.ledger).toMatchObject({ used: 1, reconciled: 0, written: 1 });
    const afterArchive = await decoded();
    expect(afterArchive.reconciledAt).toBe(T0.toISOString());
    expect(afterArchive.findings.map((finding) => [finding.id, finding.recordState])).toEqual([
      [asffFindingId(db('db-1')), 'ACTIVE'],
      [asffFindingId(db('db-2')), 'ARCHIVED'],
    ]);

    // Act: 100 days on, the scheduled reconciliation reads db-2 back, archived 99 days ago.
    clock = new Date(T0.getTime() + 100 * DAY);
    const reconciling = await publish(report([db('db-1')], scopes));

    // Assess
    expect(reconciling.ledger).toMatchObject({ used: 0, reconciled: 1, written: 1 });
    const later = await decoded();
    expect(later.reconciledAt).toBe(clock.toISOString());
    expect(later.findings.map((finding) => finding.id)).toEqual([asffFindingId(db('db-1'))]);
  });

  it('forgets a held finding Security Hub no longer has and re-reads one archived outside the product, per destination', async () => {
    // Prepare: two destinations with a ledger each; then Security Hub loses db-2 and east-2 (deleted
    // or expired) and someone else archives db-3.
    const east = (name: string) => retentionFinding(rdsResource(name, ACCOUNT_A, 'us-east-1'));
    const twoRegions = [...scopes, completeScope(ACCOUNT_A, 'us-east-1')];
    await publish(report([db('db-1'), db('db-2'), db('db-3'), east('east-1'), east('east-2')], twoRegions));
    const archivedAt = new Date(T0.getTime() + HOUR).toISOString();
    const [gone] = held(asffFindingId(db('db-2')));
    hub.deleteFinding(ACCOUNT_A, 'eu-west-1', asffFindingId(db('db-2')));
    hub.archiveFinding(ACCOUNT_A, 'eu-west-1', asffFindingId(db('db-3')), archivedAt);
    hub.deleteFinding(ACCOUNT_A, 'us-east-1', asffFindingId(east('east-2')));
    // Another product's finding that happens to use db-2's Id is not this product's finding.
    const namesake = {
      ...(gone as AwsSecurityFinding),
      ProductArn: `arn:aws:securityhub:eu-west-1:${ACCOUNT_A}:product/444444444444/default`,
    };
    hub.addFinding(ACCOUNT_A, 'eu-west-1', namesake);
    clock = new Date(T0.getTime() + DAY);
    hub.resetCalls();

    // Act: the three resources are gone, so the ledger decides to archive their findings.
    const result = await publish(report([db('db-1'), east('east-1')], twoRegions));

    // Assess: nothing re-imported, nothing failed; each ledger forgets its gone finding and keeps
    // the one archived outside as Security Hub holds it.
    expect(result.counts).toMatchObject({ archived: 0, unchanged: 2, failed: 0 });
    expect(result.failed).toEqual([]);
    expect(result.calls.getFindings).toBe(2 * SINCE + 2);
    expect(result.ledger).toMatchObject({ used: 2, written: 2, problems: 0 });
    const sent = hub.calls.flatMap((call) => call.ids);
    for (const gone of [db('db-2'), db('db-3'), east('east-2')])
      expect(sent).not.toContain(asffFindingId(gone));
    expect(held(asffFindingId(db('db-2')))).toEqual([namesake]);
    expect(held(asffFindingId(db('db-3')))[0]).toMatchObject({
      RecordState: 'ARCHIVED',
      UpdatedAt: archivedAt,
    });
    expect(await ledgerEntries('eu-west-1')).toEqual([
      [asffFindingId(db('db-1')), 'ACTIVE', T0.toISOString()],
      [asffFindingId(db('db-3')), 'ARCHIVED', archivedAt],
    ]);
    expect(await ledgerEntries('us-east-1')).toEqual([
      [asffFindingId(east('east-1')), 'ACTIVE', T0.toISOString()],
    ]);
  });

  it('reports an archive whose look-up read fails as not landed, marked as never sent, and keeps the findings ACTIVE in the ledger until a later run archives them', async () => {
    // Prepare
    await publish(report([db('db-1'), db('db-2')], scopes));
    const before = await ledgerEntries();
    // The reads by Id fail (the changed-since read still answers).
    hub.injectReadFailure('Id');
    const logger = recordingLogger();

    // Act: db-2 is gone; its lookup by Id fails, once without a logger and once with one.
    clock = new Date(T0.getTime() + DAY);
    const silent = await publish(report([db('db-1')], scopes));
    clock = new Date(T0.getTime() + DAY + HOUR);
    const logged = await publish(report([db('db-1')], scopes), { logger });
    const afterFailures = await ledgerEntries();
    hub.clearImportFailures();
    clock = new Date(T0.getTime() + 2 * DAY);
    const recovered = await publish(report([db('db-1')], scopes));

    // Assess
    for (const run of [silent, logged]) {
      expect(run.counts.archived).toBe(0);
      // The archive this run decided did not happen: the run says so, as when an import fails.
      expect(run.failed).toEqual([
        expect.objectContaining({
          id: asffFindingId(db('db-2')),
          account: ACCOUNT_A,
          region: 'eu-west-1',
          code: 'ServiceUnavailableException',
          readBackFailed: true,
        }),
      ]);
      expect(run.counts.failed).toBe(1);
      expect(run.exitCode).toBe(2);
    }
    expect(logger.entries.filter(({ level }) => level === 'error')).toEqual([
      {
        level: 'error',
        message: 'cannot read the findings to archive or keep alive',
        attributes: [
          {
            account: ACCOUNT_A,
            region: 'eu-west-1',
            error: { code: 'ServiceUnavailableException', message: expect.stringContaining('unavailable') },
          },
        ],
      },
    ]);
    expect(afterFailures).toEqual(before);
    expect(afterFailures.map(([, state]) => state)).toEqual(['ACTIVE', 'ACTIVE']);
    expect(recovered.counts.archived).toBe(1);
    expect(held(asffFindingId(db('db-2')))[0]?.RecordState).toBe('ARCHIVED');
  });

  it('keeps an ACTIVE ledger entry over 90 days old and forgets an archived one from exactly 90 days', async () => {
    // Prepare: a current ledger holding findings of the dumps group, which this run does not evaluate.
    clock = new Date(T0.getTime() + 200 * DAY);
    const arn = productArn({ ...EU, partition: 'aws' });
    const entry = (id: string, recordState: 'ACTIVE' | 'ARCHIVED', updatedAt: Date) => ({
      id,
      productArn: arn,
      ...EU,
      createdAt: T0.toISOString(),
      updatedAt: updatedAt.toISOString(),
      recordState,
      complianceStatus: 'FAILED',
      scope: { provider: 'aws' as const, account: ACCOUNT_A, region: 'eu-west-1', group: 'dumps' },
      contentHash: 'abc',
    });
    const ninetyDaysAgo = new Date(clock.getTime() - 90 * DAY);
    await store.write(
      EU,
      encodeLedger({
        ...EU,
        productArn: arn,
        reconciledAt: new Date(clock.getTime() - HOUR).toISOString(),
        findings: [
          entry('dumps/active-100-days', 'ACTIVE', new Date(clock.getTime() - 100 * DAY)),
          entry('dumps/archived-90-days', 'ARCHIVED', ninetyDaysAgo),
          entry('dumps/archived-just-under-90-days', 'ARCHIVED', new Date(ninetyDaysAgo.getTime() + 1)),
        ],
      }),
      undefined,
    );

    // Act: the run creates a pitr finding, so the ledger is written.
    const result = await publish(report([db('db-1')], scopes));

    // Assess
    expect(result.counts).toMatchObject({ created: 1, untouched: 1 });
    expect(result.ledger).toMatchObject({ used: 1, written: 1 });
    expect((await ledgerEntries()).map(([id, state]) => [id, state])).toEqual([
      [asffFindingId(db('db-1')), 'ACTIVE'],
      ['dumps/active-100-days', 'ACTIVE'],
      ['dumps/archived-just-under-90-days', 'ARCHIVED'],
    ]);
  });

  it('keeps alive from the ledger a finding of a scope failing for 80 days, reading only that one, and records it', async () => {
    // Prepare: reconciled every 89 days, so the runs at day 80 and 85 plan from the ledger alone.
    const rarely = policy({
      securityHub: {
        enabled: true,
        centralAccountId: CENTRAL,
        centralRegion: 'eu-west-1',
        reconcileDays: 89,
      },
    });
    const finding = db('db-1');
    await publish(report([finding], scopes), { policy: rarely });
    const down = failedScope(ACCOUNT_A, 'eu-west-1');
    const failing = report([scopeFinding(down)], [down]);
    clock = new Date(T0.getTime() + 80 * DAY);

    // Act
    const late = await publish(failing, { policy: rarely });
    clock = new Date(T0.getTime() + 85 * DAY);
    const after = await publish(failing, { policy: rarely });

    // Assess
    expect(late.ledger.used).toBe(1);
    expect(late.counts).toMatchObject({ keptAlive: 1, untouched: 0, failed: 0 });
    expect(late.calls.getFindings).toBe(SINCE + 1);
    const id = asffFindingId(finding);
    expect(held(id)).toEqual([
      expect.objectContaining({
        Compliance: { Status: 'FAILED' },
        RecordState: 'ACTIVE',
        UpdatedAt: new Date(T0.getTime() + 80 * DAY).toISOString(),
      }),
    ]);
    expect((await ledgerEntries()).find(([entry]) => entry === id)).toEqual([
      id,
      'ACTIVE',
      new Date(T0.getTime() + 80 * DAY).toISOString(),
    ]);
    expect(after.counts).toMatchObject({ keptAlive: 0, untouched: 1 });
    expect(after.calls.getFindings).toBe(SINCE);
  });

  it('keeps a PASSED finding of a failing scope alive NOT_AVAILABLE at keep-alive cadence only, with and without the ledger, and resolves it PASSED when the scope recovers', async () => {
    // Prepare: a twin simulator publishing without a ledger; the ledger reconciled every 89 days, so
    // every run after the first plans from the ledger alone.
    const twin = await start();
    const twinHub = twin.sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE);
    const rarely = policy({
      securityHub: {
        enabled: true,
        centralAccountId: CENTRAL,
        centralRegion: 'eu-west-1',
        reconcileDays: 89,
      },
    });
    const passed = db('db-passed', { status: 'PASSED' });
    const failedOne = db('db-failed');
    const down = failedScope(ACCOUNT_A, 'eu-west-1');
    const audits = {
      healthy: report([passed, failedOne], scopes),
      failing: report([scopeFinding(down)], [down]),
    };
    const plan: [number, keyof typeof audits][] = [
      [0, 'healthy'],
      ...[1, 2, 29, 30, 31, 32, 45, 59, 60, 61].map((day): [number, 'failing'] => [day, 'failing']),
      [62, 'healthy'],
      [63, 'healthy'],
    ];
    const sentById = new Map<string, number[]>();
    const passedStatus: [number, string | undefined, string | undefined][] = [];
    /** Each ledger entry beside what the full-read path makes of the finding Security Hub holds. */
    const agreement = async () => {
      const where = { account: ACCOUNT_A, region: 'eu-west-1' };
      const answer = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: store.key(where) }));
      const bytes = (await answer.Body?.transformToByteArray()) ?? new Uint8Array();
      const ledger = decodeLedger(bytes, {
        ...where,
        productArn: productArn({ ...where, partition: 'aws' }),
      });
      const fields = (entry: HeldFinding) => [
        entry.id,
        entry.recordState,
        entry.complianceStatus,
        entry.updatedAt,
        entry.notEvaluatedSince,
        entry.contentHash,
      ];
      return {
        ledger: ledger.findings.map(fields).sort(),
        read: hub
          .findings(ACCOUNT_A, 'eu-west-1')
          .map((finding) => fields(heldFinding(finding)))
          .sort(),
      };
    };

    try {
      // Act
      for (const [day, audit] of plan) {
        clock = new Date(T0.getTime() + day * DAY);
        hub.resetCalls();
        twinHub.resetCalls();
        const withLedger = await publish(audits[audit], { policy: rarely });
        const without = await publish(audits[audit], { policy: rarely, ledger: false, on: twin.factory });
        const sent = (calls: typeof hub.calls) =>
          calls
            .filter((call) => call.operation === 'BatchImportFindings')
            .flatMap((call) => call.ids)
            .sort();
        expect(sent(hub.calls)).toEqual(sent(twinHub.calls));
        expect(withLedger.counts).toEqual(without.counts);
        expect(withLedger.failed).toEqual([]);
        if (day > 0) expect(withLedger.ledger.used).toBe(1);
        for (const id of sent(hub.calls)) sentById.set(id, [...(sentById.get(id) ?? []), day]);
        const [current] = held(asffFindingId(passed));
        passedStatus.push([
          day,
          current?.Compliance?.Status,
          current?.ProductFields?.['notEvaluated/lastStatus'],
        ]);
        const { ledger, read } = await agreement();
        expect(ledger).toEqual(read);
      }

      // Assess: sent at creation, at each keep-alive (30 days apart), and at recovery, never between
      // (after it, a refresh may come when its period's boundary passes).
      const until = (id: string) => sentById.get(id)?.filter((day) => day <= 62);
      expect(until(asffFindingId(passed))).toEqual([0, 30, 60, 62]);
      expect(until(asffFindingId(failedOne))).toEqual([0, 30, 60, 62]);
      expect(passedStatus).toEqual([
        [0, 'PASSED', undefined],
        [1, 'PASSED', undefined],
        [2, 'PASSED', undefined],
        [29, 'PASSED', undefined],
        [30, 'NOT_AVAILABLE', 'PASSED'],
        [31, 'NOT_AVAILABLE', 'PASSED'],
        [32, 'NOT_AVAILABLE', 'PASSED'],
        [45, 'NOT_AVAILABLE', 'PASSED'],
        [59, 'NOT_AVAILABLE', 'PASSED'],
        [60, 'NOT_AVAILABLE', 'PASSED'],
        [61, 'NOT_AVAILABLE', 'PASSED'],
        [62, 'PASSED', undefined],
        [63, 'PASSED', undefined],
      ]);
      expect(held(asffFindingId(failedOne))[0]?.Compliance?.Status).toBe('FAILED');
      const state = (findings: readonly AwsSecurityFinding[]) =>
        findings
          .map((finding) => [
            finding.Id,
            finding.RecordState,
            finding.Compliance?.Status,
            finding.Severity?.Label,
            finding.Title,
            finding.UpdatedAt,
          ])
          .sort();
      expect(state(hub.findings(ACCOUNT_A, 'eu-west-1'))).toEqual(
        state(twinHub.findings(ACCOUNT_A, 'eu-west-1')),
      );
    } finally {
      twin.factory.destroy();
      await twin.sim.close();
    }
  });

  it('keeps alive from the ledger every finding but one whose copy would break an ASFF limit, reporting that one', async () => {
    // Prepare: two findings, one of which Security Hub holds with 49 ProductFields of its own (its
    // limit is 50, the keep-alive adds two); the scope then fails and the run at day 80 plans from the ledger.
    const rarely = policy({
      securityHub: {
        enabled: true,
        centralAccountId: CENTRAL,
        centralRegion: 'eu-west-1',
        reconcileDays: 89,
      },
    });
    const crowded = db('db-crowded');
    const plain = db('db-plain');
    await publish(report([crowded, plain], scopes), { policy: rarely });
    const id = asffFindingId(crowded);
    const [stored] = held(id) as [AwsSecurityFinding];
    const own = Object.keys(stored.ProductFields ?? {}).filter((key) => !key.startsWith('aws/')).length;
    const extra = Object.fromEntries(
      Array.from({ length: 49 - own }, (_, index) => [`observed/extra${index}`, 'x']),
    );
    hub.addFinding(ACCOUNT_A, 'eu-west-1', {
      ...stored,
      ProductFields: { ...stored.ProductFields, ...extra },
    });
    const down = failedScope(ACCOUNT_A, 'eu-west-1');
    clock = new Date(T0.getTime() + 80 * DAY);

    // Act
    const late = await publish(report([scopeFinding(down)], [down]), { policy: rarely });

    // Assess: planned from the ledger; the other finding kept alive; the crowded one named as not kept alive.
    expect(late.ledger.used).toBe(1);
    expect(late.counts).toMatchObject({ keptAlive: 1, failed: 1 });
    expect(late.failed).toEqual([
      expect.objectContaining({
        id,
        code: 'AsffValidationError',
        message: expect.stringMatching(/^not kept alive: .*ProductFields has 51 pairs, more than 50/),
      }),
    ]);
    expect(held(asffFindingId(plain))[0]?.UpdatedAt).toBe(clock.toISOString());
  });

  it('keeps alive from its ledgers the findings an account whose regions could not be listed holds in every region, reading only those due', async () => {
    // Prepare: account A holds findings in both regions; its region listing then fails (scope `*`,
    // its Scope finding in the home region eu-west-1) and nothing else of A is audited.
    const rarely = policy({
      securityHub: {
        enabled: true,
        centralAccountId: CENTRAL,
        centralRegion: 'eu-west-1',
        reconcileDays: 89,
      },
    });
    const west = db('db-west');
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    await publish(report([west, east], [...scopes, completeScope(ACCOUNT_A, 'us-east-1')]), {
      policy: rarely,
    });
    const unlisted = failedScope(ACCOUNT_A, '*');
    const failing = report([scopeFinding(unlisted)], [unlisted]);
    clock = new Date(T0.getTime() + 80 * DAY);
    hub.resetCalls();

    // Act
    const late = await publish(failing, { policy: rarely });
    clock = new Date(T0.getTime() + 85 * DAY);
    const after = await publish(failing, { policy: rarely });

    // Assess
    expect(late.counts).toMatchObject({ keptAlive: 2, archived: 0, resolved: 0, failed: 0 });
    const eastHeld = hub
      .findings(ACCOUNT_A, 'us-east-1')
      .find((finding) => finding.Id === asffFindingId(east));
    expect(eastHeld).toMatchObject({
      RecordState: 'ACTIVE',
      Compliance: { Status: 'FAILED' },
      UpdatedAt: new Date(T0.getTime() + 80 * DAY).toISOString(),
    });
    expect((await ledgerEntries('us-east-1')).find(([id]) => id === asffFindingId(east))).toEqual([
      asffFindingId(east),
      'ACTIVE',
      new Date(T0.getTime() + 80 * DAY).toISOString(),
    ]);
    // Call cost: each region what changed since, and the finding due, read by Id; the ledgers:
    // eu-west-1's, the listing of A's ledgers, us-east-1's.
    expect(late.calls).toMatchObject({ getFindings: 2 * SINCE + 2, ledgerRead: 3 });
    expect(after.counts).toMatchObject({ keptAlive: 0, archived: 0 });
    expect(after.calls).toMatchObject({ getFindings: 2 * SINCE, ledgerRead: 3 });
  });

  it('archives the whole-account finding of an all-regions audit once the policy lists regions without the home region, and then reads that region no more', async () => {
    // Prepare: under `aws.regions: all` account A's regions could not be listed once: its Scope
    // finding (region `*`) lives in the home region eu-west-1. The policy then lists us-east-1 only.
    const unlisted = failedScope(ACCOUNT_A, '*');
    const wholeAccountId = asffFindingId(scopeFinding(unlisted));
    await publish(report([scopeFinding(unlisted)], [unlisted]));
    const listed = policy({
      aws: { regions: ['us-east-1'] },
      securityHub: { enabled: true, centralAccountId: CENTRAL, centralRegion: 'eu-west-1' },
    });
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    const eastOnly = report([east], [completeScope(ACCOUNT_A, 'us-east-1')]);
    clock = new Date(T0.getTime() + HOUR);
    hub.resetCalls();

    // Act
    const switched = await publish(eastOnly, { policy: listed });
    const switchCalls = [...hub.calls];
    clock = new Date(T0.getTime() + 2 * HOUR);
    hub.resetCalls();
    const next = await publish(eastOnly, { policy: listed });

    // Assess: archived as a resolved scope's finding is, and the ledger says so.
    expect(switched.counts).toMatchObject({ created: 1, archived: 1, failed: 0 });
    expect(held(wholeAccountId)).toMatchObject([
      { RecordState: 'ARCHIVED', UpdatedAt: new Date(T0.getTime() + HOUR).toISOString() },
    ]);
    expect(await ledgerEntries('eu-west-1')).toEqual([
      [wholeAccountId, 'ARCHIVED', new Date(T0.getTime() + HOUR).toISOString()],
    ]);
    expect(new Set(switchCalls.map((call) => call.region))).toEqual(new Set(['eu-west-1', 'us-east-1']));
    // Nothing whole-account is held any more: only the listed region is read, its ledger and the
    // home region's (to learn that, and that it holds no finding of a region no longer audited),
    // and the listing of A's ledgers (where such findings could be).
    expect(next.counts).toMatchObject({ archived: 0, failed: 0 });
    expect(new Set(hub.calls.map((call) => call.region))).toEqual(new Set(['us-east-1']));
    expect(next.calls).toMatchObject({ getFindings: SINCE, ledgerRead: 3 });
  });

  it('archives the whole-account finding without a ledger store (the CLI), reading only whole-account findings in the home region', async () => {
    // Prepare: `backup-guard audit --publish` (no ledger store) under `aws.regions: all` could not
    // list account A's regions once: its Scope finding (region `*`) lives in the home region
    // eu-west-1, beside a finding of A's own eu-west-1 scope. The policy then lists us-east-1 only.
    const unlisted = failedScope(ACCOUNT_A, '*');
    const wholeAccountId = asffFindingId(scopeFinding(unlisted));
    const west = db('db-west');
    await publish(report([scopeFinding(unlisted), west], [unlisted, ...scopes]), { ledger: false });
    const listed = policy({
      aws: { regions: ['us-east-1'] },
      securityHub: { enabled: true, centralAccountId: CENTRAL, centralRegion: 'eu-west-1' },
    });
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    const eastOnly = report([east], [completeScope(ACCOUNT_A, 'us-east-1')]);
    clock = new Date(T0.getTime() + HOUR);
    hub.resetCalls();

    // Act
    const switched = await publish(eastOnly, { policy: listed, ledger: false });

    // Assess: archived, not left to expire; eu-west-1's own finding (a scope this run did not
    // evaluate) untouched; the home region read once, for whole-account findings only.
    expect(switched.counts).toMatchObject({ created: 1, archived: 1, failed: 0 });
    expect(held(wholeAccountId)).toMatchObject([
      { RecordState: 'ARCHIVED', UpdatedAt: new Date(T0.getTime() + HOUR).toISOString() },
    ]);
    expect(held(asffFindingId(west))).toMatchObject([{ RecordState: 'ACTIVE', UpdatedAt: T0.toISOString() }]);
    const homeReads = hub.calls.filter(
      (call) => call.region === 'eu-west-1' && call.operation === 'GetFindings',
    );
    expect(homeReads).toHaveLength(1);
    expect(switched.calls).toMatchObject({ getFindings: 2, ledgerRead: 0 });
  });

  it('archives the whole-account finding without a ledger store where the home region is read for keep-alive too', async () => {
    // Prepare: as above, but A's dumps scope in us-east-1 fails after the switch, so the home region
    // eu-west-1 is also read to keep its failed scope's findings alive.
    const unlisted = failedScope(ACCOUNT_A, '*');
    const wholeAccountId = asffFindingId(scopeFinding(unlisted));
    await publish(report([scopeFinding(unlisted)], [unlisted]), { ledger: false });
    const listed = policy({
      aws: { regions: ['us-east-1'] },
      securityHub: { enabled: true, centralAccountId: CENTRAL, centralRegion: 'eu-west-1' },
    });
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    const dumpsFailed = failedScope(ACCOUNT_A, 'us-east-1', 'dumps');
    clock = new Date(T0.getTime() + HOUR);
    hub.resetCalls();

    // Act
    const result = await publish(
      report([east, scopeFinding(dumpsFailed)], [completeScope(ACCOUNT_A, 'us-east-1'), dumpsFailed]),
      { policy: listed, ledger: false },
    );

    // Assess: archived; the home region read three times, for findings due for keep-alive (30 days
    // old, and passes an earlier version kept alive as PASSED) and whole-account ones.
    expect(result.counts).toMatchObject({ created: 2, archived: 1, failed: 0 });
    expect(held(wholeAccountId)).toMatchObject([{ RecordState: 'ARCHIVED' }]);
    const homeReads = hub.calls.filter(
      (call) => call.region === 'eu-west-1' && call.operation === 'GetFindings',
    );
    expect(homeReads).toHaveLength(3);
  });

  it('asks no home region for whole-account findings without a ledger store in a run narrowed to some regions', async () => {
    // Prepare: the whole-account finding in the home region eu-west-1; a run narrowed to us-east-1
    // (`--region`) never lists A's regions, so it settles no such finding.
    const unlisted = failedScope(ACCOUNT_A, '*');
    await publish(report([scopeFinding(unlisted)], [unlisted]), { ledger: false });
    const listed = policy({
      aws: { regions: ['us-east-1'] },
      securityHub: { enabled: true, centralAccountId: CENTRAL, centralRegion: 'eu-west-1' },
    });
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    clock = new Date(T0.getTime() + HOUR);
    hub.resetCalls();

    // Act
    const result = await publish(
      { ...report([east], [completeScope(ACCOUNT_A, 'us-east-1')]), narrowed: true },
      { policy: listed, ledger: false },
    );

    // Assess
    expect(result.counts).toMatchObject({ created: 1, archived: 0, failed: 0 });
    expect(new Set(hub.calls.map((call) => call.region))).toEqual(new Set(['us-east-1']));
  });

  it('reads the home region ledger once when it holds a whole-account finding: to decide and to plan', async () => {
    // Prepare: the whole-account finding of an all-regions audit in the home region eu-west-1, and a
    // store that counts its reads per region; the policy then lists us-east-1 only.
    const unlisted = failedScope(ACCOUNT_A, '*');
    await publish(report([scopeFinding(unlisted)], [unlisted]));
    const reads = new Map<string, number>();
    const counting: LedgerStore = {
      read: (where) => {
        reads.set(where.region, (reads.get(where.region) ?? 0) + 1);
        return store.read(where);
      },
      write: (where, body, previous) => store.write(where, body, previous),
      overwrite: (where, body) => store.overwrite(where, body),
      remove: (where) => store.remove(where),
      regionsOf: (account) => store.regionsOf(account),
    };
    const listed = policy({
      aws: { regions: ['us-east-1'] },
      securityHub: { enabled: true, centralAccountId: CENTRAL, centralRegion: 'eu-west-1' },
    });
    clock = new Date(T0.getTime() + HOUR);

    // Act
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    const result = await publish(report([east], [completeScope(ACCOUNT_A, 'us-east-1')]), {
      policy: listed,
      store: counting,
    });

    // Assess: archived, planned from the one read, and the count says so (the reads, and the listing
    // of A's ledgers, where findings of a region no longer audited could be).
    expect(result.counts).toMatchObject({ created: 1, archived: 1, failed: 0 });
    expect(Object.fromEntries(reads)).toEqual({ 'eu-west-1': 1, 'us-east-1': 1 });
    expect(result.calls.ledgerRead).toBe(3);
  });

  it('reads no region beyond those listed when the home region holds no whole-account finding', async () => {
    // Prepare: a deployment that has always listed us-east-1 only; the home region eu-west-1 holds
    // account A's other product findings only, and no ledger.
    const listed = policy({
      aws: { regions: ['us-east-1'] },
      securityHub: { enabled: true, centralAccountId: CENTRAL, centralRegion: 'eu-west-1' },
    });
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    const eastOnly = report([east], [completeScope(ACCOUNT_A, 'us-east-1')]);

    // Act
    const first = await publish(eastOnly, { policy: listed });
    clock = new Date(T0.getTime() + HOUR);
    const second = await publish(eastOnly, { policy: listed });

    // Assess
    expect(first.counts).toMatchObject({ created: 1, failed: 0 });
    expect(second.counts).toMatchObject({ archived: 0, failed: 0 });
    expect(new Set(hub.calls.map((call) => call.region))).toEqual(new Set(['us-east-1']));
    expect(second.calls).toMatchObject({ getFindings: SINCE });
  });

  it('reads the home region of a listed-regions policy when its ledger cannot tell whether a whole-account finding is held', async () => {
    // Prepare: the whole-account finding and its ledger, which is then corrupted.
    const unlisted = failedScope(ACCOUNT_A, '*');
    const wholeAccountId = asffFindingId(scopeFinding(unlisted));
    await publish(report([scopeFinding(unlisted)], [unlisted]));
    await overwriteLedger('not a ledger');
    const listed = policy({
      aws: { regions: ['us-east-1'] },
      securityHub: { enabled: true, centralAccountId: CENTRAL, centralRegion: 'eu-west-1' },
    });
    clock = new Date(T0.getTime() + HOUR);

    // Act
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    const result = await publish(report([east], [completeScope(ACCOUNT_A, 'us-east-1')]), { policy: listed });

    // Assess: the home region reconciled in full, the finding archived.
    expect(result.counts).toMatchObject({ created: 1, archived: 1, failed: 0 });
    expect(result.ledger).toMatchObject({ reconciled: 2, problems: 1 });
    expect(held(wholeAccountId)).toMatchObject([{ RecordState: 'ARCHIVED' }]);
  });

  it('keeps a failed scope alive only in the regions its run may reach, never the home region beyond them', async () => {
    // Prepare: PITR findings in the home region eu-west-1 (so a ledger there too); the dumps job's
    // only place is A's us-east-1, the one region its role may call Security Hub in.
    await publish(report([db('db-west')], scopes));
    const bucketEast = retentionFinding(
      { ...rdsResource('db-east', ACCOUNT_A, 'us-east-1'), type: 'AwsS3Bucket', id: 'certctl-dumps/pg/' },
      { checkId: 'dumps.fresh', group: 'dumps' },
    );
    const reach = (account: string) => (account === ACCOUNT_A ? ['us-east-1'] : []);
    await publish(report([bucketEast], [completeScope(ACCOUNT_A, 'us-east-1', 'dumps')]), { reach });
    clock = new Date(T0.getTime() + 80 * DAY);
    hub.resetCalls();

    // Act: the place fails from then on.
    const result = await publish(report([], [failedScope(ACCOUNT_A, 'us-east-1', 'dumps')]), { reach });

    // Assess: kept alive where it is, and no call in a region the role may not reach.
    expect(result.failed).toEqual([]);
    expect(new Set(hub.calls.map((call) => call.region))).toEqual(new Set(['us-east-1']));
    expect(
      hub.findings(ACCOUNT_A, 'us-east-1').find((held) => held.Id === asffFindingId(bucketEast)),
    ).toMatchObject({ RecordState: 'ACTIVE', UpdatedAt: clock.toISOString() });
  });

  it('asks no home-region ledger for an account whose run may not reach the home region', async () => {
    // Prepare: the home region eu-west-1 holds a ledger that cannot be read, which would have its
    // findings read in full; the dumps job reaches us-east-1 only.
    await publish(report([db('db-west')], scopes));
    await overwriteLedger('not a ledger');
    const reach = () => ['us-east-1'];
    const listed = policy({
      aws: { regions: ['us-east-1'] },
      securityHub: { enabled: true, centralAccountId: CENTRAL, centralRegion: 'eu-west-1' },
    });
    hub.resetCalls();

    // Act
    const result = await publish(report([], [completeScope(ACCOUNT_A, 'us-east-1', 'dumps')]), {
      reach,
      policy: listed,
    });

    // Assess
    expect(result.failed).toEqual([]);
    expect(new Set(hub.calls.map((call) => call.region))).toEqual(new Set(['us-east-1']));
  });

  it('reads no home region for a whole-account finding under `aws.regions: all` where the run may not reach it', async () => {
    // Prepare: the PITR audit of every region may write whole-account findings into the home region
    // eu-west-1; the dumps job's role reaches its place us-east-1 only.
    const everyRegion = policy({
      aws: { regions: 'all' },
      securityHub: { enabled: true, centralAccountId: CENTRAL, centralRegion: 'eu-west-1' },
    });

    // Act
    const result = await publish(report([], [completeScope(ACCOUNT_A, 'us-east-1', 'dumps')]), {
      reach: () => ['us-east-1'],
      policy: everyRegion,
    });

    // Assess
    expect(result.failed).toEqual([]);
    expect(new Set(hub.calls.map((call) => call.region))).toEqual(new Set(['us-east-1']));
  });

  it('keeps alive in a region read only for keep-alive a finding another writer created after its ledger', async () => {
    // Prepare: the function publishes A's db-east in us-east-1; an hour later the CLI (no ledger)
    // creates db-east-2 there; from then on A's region listing fails, so us-east-1 is read only to
    // keep A's findings alive, from a ledger that never saw db-east-2.
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    const east2 = retentionFinding(rdsResource('db-east-2', ACCOUNT_A, 'us-east-1'));
    const eastScope = completeScope(ACCOUNT_A, 'us-east-1');
    await publish(report([db('db-west'), east], [...scopes, eastScope]));
    clock = new Date(T0.getTime() + HOUR);
    await publish(report([db('db-west'), east, east2], [...scopes, eastScope]), { ledger: false });
    const unlisted = failedScope(ACCOUNT_A, '*');
    clock = new Date(T0.getTime() + 80 * DAY);

    // Act
    const result = await publish(report([scopeFinding(unlisted)], [unlisted]));

    // Assess: both findings of us-east-1 are kept alive, not only the one the ledger knew.
    expect(result.counts).toMatchObject({ archived: 0, resolved: 0, failed: 0 });
    for (const finding of [east, east2]) {
      expect(
        hub.findings(ACCOUNT_A, 'us-east-1').find((held) => held.Id === asffFindingId(finding)),
      ).toMatchObject({
        RecordState: 'ACTIVE',
        Compliance: { Status: 'FAILED' },
        UpdatedAt: clock.toISOString(),
      });
    }
  });

  it('reads a region read only for keep-alive whose ledger an earlier run gave up as a known state, not a problem', async () => {
    // Prepare: A's db-east is published in us-east-1; a later run could not write that ledger and
    // left the marker of a ledger given up; then A's region listing fails.
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    await publish(report([db('db-west'), east], [...scopes, completeScope(ACCOUNT_A, 'us-east-1')]));
    const US = { account: ACCOUNT_A, region: 'us-east-1' };
    await store.overwrite(
      US,
      encodeGivenUpLedger({
        ...US,
        productArn: productArn({ ...US, partition: 'aws' }),
        at: T0.toISOString(),
        reason: 'the store refused the write',
      }),
    );
    const unlisted = failedScope(ACCOUNT_A, '*');
    clock = new Date(T0.getTime() + 80 * DAY);
    const logger = recordingLogger();

    // Act
    const result = await publish(report([scopeFinding(unlisted)], [unlisted]), { logger });

    // Assess: kept alive from Security Hub; the marker is no ledger problem and says what it is.
    expect(result.counts).toMatchObject({ keptAlive: 2, failed: 0 });
    expect(result.ledger).toMatchObject({ problems: 0 });
    expect(logger.entries).not.toContainEqual(
      expect.objectContaining({ message: expect.stringContaining('unreadable') }),
    );
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'info',
        message:
          'import ledger given up by an earlier run: reading Security Hub in full to keep alive the findings of a failed scope',
      }),
    );
  });

  it('keeps alive from the findings due in a region read only for keep-alive when what changed since its ledger cannot be read', async () => {
    // Prepare: as above; eu-west-1's ledger is gone too (read in full, without an UpdatedAt filter),
    // and the first read filtered on UpdatedAt (us-east-1's changed-since) fails, on both of the
    // client's attempts.
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    const east2 = retentionFinding(rdsResource('db-east-2', ACCOUNT_A, 'us-east-1'));
    const eastScope = completeScope(ACCOUNT_A, 'us-east-1');
    await publish(report([db('db-west'), east], [...scopes, eastScope]));
    clock = new Date(T0.getTime() + HOUR);
    await publish(report([db('db-west'), east, east2], [...scopes, eastScope]), { ledger: false });
    await store.remove(EU);
    hub.injectReadFailure('UpdatedAt', { times: 2 });
    const unlisted = failedScope(ACCOUNT_A, '*');
    clock = new Date(T0.getTime() + 80 * DAY);
    const logger = recordingLogger();

    // Act
    const result = await publish(report([scopeFinding(unlisted)], [unlisted]), { logger });

    // Assess
    expect(result.counts).toMatchObject({ keptAlive: 3, archived: 0, resolved: 0, failed: 0 });
    for (const finding of [east, east2]) {
      expect(
        hub.findings(ACCOUNT_A, 'us-east-1').find((held) => held.Id === asffFindingId(finding)),
      ).toMatchObject({ RecordState: 'ACTIVE', UpdatedAt: clock.toISOString() });
    }
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message:
          'the findings updated since the import ledger could not be read: reading Security Hub for the findings due for keep-alive',
      }),
    );
  });

  describe('a region read only for keep-alive, named neither by the policy (`aws.regions: all`) nor by the report, while the account fails for months', () => {
    // A's db-east is published FAILED in us-east-1 at T0 (B is audited there too); from day 1 A's
    // region listing fails (scope `*`), so us-east-1 is read for A only where a ledger of A's lists
    // it. Both retentions are modelled: the ledger bucket's lifecycle deletes an object 90 days after
    // its last write (infra/import-ledger.ts), Security Hub a finding 90 days after its UpdatedAt.
    const US = { account: ACCOUNT_A, region: 'us-east-1' };
    const RETENTION = 90 * DAY;

    /** What 90 days without a write do to the ledgers and the findings, as of `clock`. */
    async function expire(): Promise<void> {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: LEDGER_PREFIX }));
      for (const object of listed.Contents ?? []) {
        if (clock.getTime() - (object.LastModified?.getTime() ?? 0) >= RETENTION) {
          await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: object.Key }));
        }
      }
      for (const { account, region, finding } of hub.allFindings()) {
        if (clock.getTime() - Date.parse(finding.UpdatedAt ?? '') >= RETENTION) {
          hub.deleteFinding(account, region, finding.Id ?? '');
        }
      }
    }

    const cases: [string, () => Promise<void>][] = [
      [
        'given up by an earlier run',
        () =>
          store.overwrite(
            US,
            encodeGivenUpLedger({
              ...US,
              productArn: productArn({ ...US, partition: 'aws' }),
              at: T0.toISOString(),
              reason: 'the store refused the write',
            }),
          ),
      ],
      [
        'unreadable',
        async () => {
          await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: store.key(US), Body: 'not a ledger' }));
        },
      ],
      ['missing', () => store.remove(US)],
    ];
    it.each(cases)('keeps its findings alive when its ledger is %s', async (_, damage) => {
      // Prepare
      const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
      const eastB = retentionFinding(rdsResource('db-b', ACCOUNT_B, 'us-east-1'));
      await publish(
        report(
          [db('db-west'), east, eastB],
          [...scopes, completeScope(ACCOUNT_A, 'us-east-1'), completeScope(ACCOUNT_B, 'us-east-1')],
        ),
      );
      await damage();
      const unlisted = failedScope(ACCOUNT_A, '*');
      const failingThenB = report(
        [scopeFinding(unlisted), eastB],
        [unlisted, completeScope(ACCOUNT_B, 'us-east-1')],
      );
      const failing = report([scopeFinding(unlisted)], [unlisted]);

      // Act: daily for the first run (B still audited in us-east-1), then every ten days, B gone.
      const ages: number[] = [];
      /** Per run, A's calls in us-east-1: [GetFindings, BatchImportFindings]. */
      const eastCalls: [number, number][] = [];
      for (let day = 1; day <= 201; day += day === 1 ? 9 : 10) {
        clock = new Date(T0.getTime() + day * DAY);
        await expire();
        hub.resetCalls();
        await publish(day === 1 ? failingThenB : failing);
        const ofA = hub.calls.filter(
          (call) => call.region === 'us-east-1' && call.callerAccount === ACCOUNT_A,
        );
        eastCalls.push([
          ofA.filter((call) => call.operation === 'GetFindings').length,
          ofA.filter((call) => call.operation === 'BatchImportFindings').length,
        ]);
        const kept = hub.findings(ACCOUNT_A, 'us-east-1').find((f) => f.Id === asffFindingId(east));
        ages.push(
          kept ? (clock.getTime() - Date.parse(kept.UpdatedAt ?? '')) / DAY : Number.POSITIVE_INFINITY,
        );
      }

      // Assess: never older than a keep-alive period and a run interval, and never lost.
      expect(Math.max(...ages)).toBeLessThanOrEqual(40);
      expect(hub.findings(ACCOUNT_A, 'us-east-1').find((f) => f.Id === asffFindingId(east))).toMatchObject({
        RecordState: 'ACTIVE',
        Compliance: { Status: 'FAILED' },
      });
      // Bounded: one full read (one page) the first run, then planned from the ledger it wrote: what
      // changed since, and the finding due read by Id in the runs that keep it alive.
      expect(eastCalls[0]).toEqual([1, 0]);
      for (const [reads, imports] of eastCalls.slice(1)) expect(reads).toBe(SINCE + imports);
      expect(eastCalls.filter(([, imports]) => imports > 0).length).toBeGreaterThanOrEqual(6);
    });
  });

  describe('a PASSED finding an earlier version kept alive as PASSED, in a region read only for keep-alive', () => {
    // A's db-east is published PASSED in us-east-1 at T0. At day 40 an earlier version, whose run
    // could not evaluate it, kept it alive as it was: still PASSED, UpdatedAt day 40, marked not
    // re-evaluated since T0. From day 50 A's region listing fails, so us-east-1 is read only to keep
    // A's findings alive: by the current rule (lifecycle.ts keepAliveDue) that pass, unproven for 50
    // days, is re-imported NOT_AVAILABLE at once, though its last update is only 10 days old.
    const US = { account: ACCOUNT_A, region: 'us-east-1' };
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'), { status: 'PASSED' });
    const eastId = asffFindingId(east);
    const eastHeld = () => hub.findings(ACCOUNT_A, 'us-east-1').find((finding) => finding.Id === eastId);
    const unlisted = failedScope(ACCOUNT_A, '*');
    // The policy names us-east-1, so it is read for keep-alive also when its ledger is missing.
    const both = policy({
      aws: { regions: ['eu-west-1', 'us-east-1'] },
      securityHub: { enabled: true, centralAccountId: CENTRAL, centralRegion: 'eu-west-1' },
    });

    const eastFailed = retentionFinding(rdsResource('db-east-2', ACCOUNT_A, 'us-east-1'));

    async function keptAlivePassedByAnEarlierVersion(): Promise<string> {
      await publish(
        report([db('db-west'), east, eastFailed], [...scopes, completeScope(ACCOUNT_A, 'us-east-1')]),
        { policy: both },
      );
      const current = eastHeld() as AwsSecurityFinding;
      const since = current.UpdatedAt as string;
      const client = new SecurityHubClient({
        region: 'us-east-1',
        endpoint: sim.endpoint,
        credentials: simCredentials(ACCOUNT_A),
      });
      try {
        await client.send(
          new BatchImportFindingsCommand({
            Findings: [
              {
                ...current,
                UpdatedAt: new Date(T0.getTime() + 40 * DAY).toISOString(),
                ProductFields: {
                  ...current.ProductFields,
                  'notEvaluated/since': since,
                  'notEvaluated/reason': 'scope aws/111111111111/us-east-1/pitr could not be evaluated',
                },
                Description: `Not re-evaluated since ${since}: scope aws/111111111111/us-east-1/pitr could not be evaluated. Re-imported unchanged so that Security Hub does not delete it after 90 days without an update. Last result: ${current.Description}`,
              },
            ],
          }),
        );
      } finally {
        client.destroy();
      }
      expect(eastHeld()).toMatchObject({ Compliance: { Status: 'PASSED' } });
      return since;
    }

    it.each([
      ['missing', () => store.remove(US)],
      [
        'unreadable',
        async () => {
          await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: store.key(US), Body: 'not a ledger' }));
        },
      ],
      [
        'given up',
        () =>
          store.overwrite(
            US,
            encodeGivenUpLedger({
              ...US,
              productArn: productArn({ ...US, partition: 'aws' }),
              at: T0.toISOString(),
              reason: 'the store refused the write',
            }),
          ),
      ],
    ])(
      'is re-imported NOT_AVAILABLE in the first run that reads it when the ledger there is %s',
      async (_, breakLedger) => {
        // Prepare
        const since = await keptAlivePassedByAnEarlierVersion();
        await breakLedger();
        clock = new Date(T0.getTime() + 50 * DAY);
        hub.resetCalls();

        // Act
        const result = await publish(report([scopeFinding(unlisted)], [unlisted]), { policy: both });

        // Assess: kept alive NOT_AVAILABLE at day 50, not left PASSED until its keep-alive at day 70.
        expect(result.failed).toEqual([]);
        expect(eastHeld()).toMatchObject({
          RecordState: 'ACTIVE',
          Compliance: { Status: 'NOT_AVAILABLE' },
          UpdatedAt: clock.toISOString(),
          ProductFields: expect.objectContaining({
            'notEvaluated/since': since,
            'notEvaluated/lastStatus': 'PASSED',
          }),
        });
        expect(eastHeld()?.Description).toMatch(
          new RegExp(`^Not re-evaluated since ${since}, when it was last evaluated PASSED: `),
        );
        // Bounded: us-east-1 is read once, in full (one page), and its ledger written from that read.
        const reads = hub.calls.filter(
          (call) => call.region === 'us-east-1' && call.operation === 'GetFindings',
        );
        expect(reads).toHaveLength(1);
        expect(await ledgerEntries('us-east-1')).toContainEqual([
          asffFindingId(east),
          'ACTIVE',
          clock.toISOString(),
        ]);
      },
    );

    it('is re-imported NOT_AVAILABLE from the ledger there with no extra read when the ledger is usable', async () => {
      // Prepare
      const since = await keptAlivePassedByAnEarlierVersion();
      clock = new Date(T0.getTime() + 50 * DAY);
      hub.resetCalls();

      // Act
      const result = await publish(report([scopeFinding(unlisted)], [unlisted]), { policy: both });

      // Assess: the ledger's read of what changed since finds it; us-east-1 is read for that and for
      // db-east-2 by Id (its keep-alive), not for the passes an earlier version kept alive as PASSED.
      expect(result.failed).toEqual([]);
      expect(eastHeld()).toMatchObject({
        Compliance: { Status: 'NOT_AVAILABLE' },
        ProductFields: expect.objectContaining({ 'notEvaluated/since': since }),
      });
      const reads = hub.calls.filter(
        (call) => call.region === 'us-east-1' && call.operation === 'GetFindings',
      );
      expect(reads).toHaveLength(SINCE + 1);
    });

    it('keeps alive the findings due and leaves that pass to its keep-alive, saying so, when the read of such passes fails', async () => {
      // Prepare: no ledger store (the CLI), and every read filtered on Description fails.
      await keptAlivePassedByAnEarlierVersion();
      hub.injectReadFailure('Description');
      clock = new Date(T0.getTime() + 50 * DAY);
      const logger = recordingLogger();

      // Act
      const result = await publish(report([scopeFinding(unlisted)], [unlisted]), {
        policy: both,
        logger,
        ledger: false,
      });

      // Assess: db-east-2, 50 days old, kept alive; db-east left as it was, as before this read.
      expect(result.failed).toEqual([]);
      const held = (id: string) => hub.findings(ACCOUNT_A, 'us-east-1').find((finding) => finding.Id === id);
      expect(held(asffFindingId(eastFailed))).toMatchObject({
        Compliance: { Status: 'FAILED' },
        UpdatedAt: clock.toISOString(),
      });
      expect(eastHeld()).toMatchObject({
        Compliance: { Status: 'PASSED' },
        UpdatedAt: new Date(T0.getTime() + 40 * DAY).toISOString(),
      });
      expect(logger.entries).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message:
            'cannot read the findings an earlier version kept alive as PASSED: they are re-imported NOT_AVAILABLE at their next keep-alive',
          attributes: [expect.objectContaining({ region: 'us-east-1' })],
        }),
      );
    });
  });

  it('keeps alive in the regions the run knows, and says so, when the ledgers of a failed account cannot be listed', async () => {
    // Prepare: A's region listing fails; B, listed, is audited in both regions; the ledger listing fails.
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    const bScopes = [completeScope(ACCOUNT_B, 'eu-west-1'), completeScope(ACCOUNT_B, 'us-east-1')];
    await publish(report([east], [completeScope(ACCOUNT_A, 'us-east-1'), ...bScopes]));
    const unlisted = failedScope(ACCOUNT_A, '*');
    clock = new Date(T0.getTime() + 80 * DAY);
    const logger = recordingLogger();
    const unlistable: LedgerStore = {
      read: (where) => store.read(where),
      write: (where, body, previous) => store.write(where, body, previous),
      remove: (where) => store.remove(where),
      regionsOf: async () => {
        throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
      },
    };

    // Act
    const result = await publishToSecurityHub({
      report: report([scopeFinding(unlisted)], [unlisted, ...bScopes]),
      policy: policy(),
      factory,
      accounts: ACCOUNTS,
      now: () => clock,
      ledger: unlistable,
      logger,
    });

    // Assess
    expect(result.counts).toMatchObject({ keptAlive: 1, archived: 0, failed: 0 });
    expect(
      hub.findings(ACCOUNT_A, 'us-east-1').find((finding) => finding.Id === asffFindingId(east))?.UpdatedAt,
    ).toBe(clock.toISOString());
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'import ledgers could not be listed: keeping alive in the regions the run knows',
      }),
    );
  });

  describe('findings held in a region the policy no longer audits', () => {
    const both = policy({
      aws: { regions: ['eu-west-1', 'us-east-1'] },
      securityHub: { enabled: true, centralAccountId: CENTRAL, centralRegion: 'eu-west-1' },
    });
    const westOnly = policy({
      aws: { regions: ['eu-west-1'] },
      securityHub: { enabled: true, centralAccountId: CENTRAL, centralRegion: 'eu-west-1' },
    });
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    const eastHeld = () =>
      hub.findings(ACCOUNT_A, 'us-east-1').find((finding) => finding.Id === asffFindingId(east));

    /** A's db-east (FAILED) published in us-east-1 while the policy audited it; a day later it lists eu-west-1 only. */
    async function dropEast(): Promise<AuditReport> {
      await publish(report([db('db-1'), east], [...scopes, completeScope(ACCOUNT_A, 'us-east-1')]), {
        policy: both,
      });
      clock = new Date(T0.getTime() + DAY);
      hub.resetCalls();
      return report([db('db-1')], scopes);
    }

    it('reports them, region, count and how to retire them, without calling Security Hub there, when the run may not reach the region', async () => {
      // Prepare: a deployed job's reach: the audited region (and the home region, the same one).
      const now = await dropEast();
      const logger = recordingLogger();

      // Act
      const result = await publish(now, { policy: westOnly, reach: () => ['eu-west-1'], logger });

      // Assess: nothing archived, nothing read in us-east-1, and the run says what is left there.
      expect(result.counts).toMatchObject({ archived: 0, retired: 0, failed: 0 });
      expect(result.exitCode).toBe(0);
      expect(eastHeld()).toMatchObject({ RecordState: 'ACTIVE', Compliance: { Status: 'FAILED' } });
      expect(hub.calls.filter((call) => call.region === 'us-east-1')).toEqual([]);
      const expected = {
        account: ACCOUNT_A,
        region: 'us-east-1',
        findings: 1,
        failed: 1,
        groups: ['pitr'],
        deletedBy: new Date(T0.getTime() + 90 * DAY).toISOString(),
        retire: expect.stringContaining('aws securityhub batch-update-findings --region us-east-1'),
      };
      expect(result.unaudited).toEqual([expected]);
      expect(logger.entries).toContainEqual({
        level: 'warn',
        message:
          'findings held in a region the policy no longer audits: not archived, this run may not call Security Hub there',
        attributes: [expected],
      });
    });

    it('archives them, saying the region is no longer audited, when the run may reach the region', async () => {
      // Prepare
      const now = await dropEast();

      // Act
      const result = await publish(now, { policy: westOnly });
      clock = new Date(T0.getTime() + 2 * DAY);
      hub.resetCalls();
      const next = await publish(now, { policy: westOnly });

      // Assess: archived once, with the reason in its Description; the next run finds nothing to do
      // there from the ledger (no Security Hub call in us-east-1).
      expect(result.counts).toMatchObject({ retired: 1, archived: 0, failed: 0 });
      expect(result.unaudited).toEqual([]);
      expect(eastHeld()).toMatchObject({ RecordState: 'ARCHIVED' });
      expect(eastHeld()?.Description).toMatch(
        /^Archived: region us-east-1 is no longer audited by certctl-backup-guard \(not in aws\.regions\)\./,
      );
      expect(await ledgerEntries('us-east-1')).toEqual([
        [asffFindingId(east), 'ARCHIVED', eastHeld()?.UpdatedAt],
      ]);
      expect(next.counts).toMatchObject({ retired: 0, failed: 0 });
      expect(next.unaudited).toEqual([]);
      expect(hub.calls.filter((call) => call.region === 'us-east-1')).toEqual([]);
    });

    it('logs that nothing can be told, and touches nothing there, when that region’s ledger cannot be read and the run may not reach it', async () => {
      // Prepare
      const now = await dropEast();
      const where = { account: ACCOUNT_A, region: 'us-east-1' };
      await s3.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: store.key(where), Body: Buffer.from('not gzip') }),
      );
      const logger = recordingLogger();

      // Act
      const result = await publish(now, { policy: westOnly, reach: () => ['eu-west-1'], logger });

      // Assess
      expect(result.unaudited).toEqual([]);
      expect(result.counts).toMatchObject({ retired: 0, failed: 0 });
      expect(hub.calls.filter((call) => call.region === 'us-east-1')).toEqual([]);
      expect(logger.entries).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message:
            'import ledger of a region the policy no longer audits unreadable: whether findings are held there cannot be told',
        }),
      );
    });

    it('looks for none in a run narrowed to some regions', async () => {
      // Prepare
      const now = await dropEast();

      // Act
      const result = await publish(
        { ...now, narrowed: true },
        { policy: westOnly, reach: () => ['eu-west-1'] },
      );

      // Assess
      expect(result.unaudited).toEqual([]);
      expect(eastHeld()).toMatchObject({ RecordState: 'ACTIVE' });
    });
  });

  it('keeps alive in a region the run knows where a failed account has lost its ledger', async () => {
    // Prepare: A holds a finding in us-east-1, B is audited in both regions. A's us-east-1 ledger is
    // then lost (removed after two runs overlapped, or never written: the ledger came after the
    // finding) and A's region listing fails from then on, so no run reads that destination again.
    const east = retentionFinding(rdsResource('db-east', ACCOUNT_A, 'us-east-1'));
    const bScopes = [completeScope(ACCOUNT_B, 'eu-west-1'), completeScope(ACCOUNT_B, 'us-east-1')];
    await publish(report([east], [completeScope(ACCOUNT_A, 'us-east-1'), ...bScopes]));
    await store.remove({ account: ACCOUNT_A, region: 'us-east-1' });
    const unlisted = failedScope(ACCOUNT_A, '*');
    clock = new Date(T0.getTime() + 80 * DAY);

    // Act
    const result = await publish(report([scopeFinding(unlisted)], [unlisted, ...bScopes]));

    // Assess: kept alive, not left to Security Hub's deletion at 90 days.
    expect(result.counts).toMatchObject({ keptAlive: 1, archived: 0, resolved: 0, failed: 0 });
    expect(
      hub.findings(ACCOUNT_A, 'us-east-1').find((finding) => finding.Id === asffFindingId(east)),
    ).toMatchObject({
      RecordState: 'ACTIVE',
      Compliance: { Status: 'FAILED' },
      UpdatedAt: clock.toISOString(),
    });
  });

  it('keeps alive from the ledger the finding of a dumps bucket in another region than its failed scope', async () => {
    // Prepare: the bucket is in us-east-1 (S3 redirected), its scope is eu-west-1's, and so is the
    // Security Hub its finding is imported into (the role's import grant follows the policy).
    const bucket = retentionFinding(
      {
        provider: 'aws',
        account: ACCOUNT_A,
        region: 'us-east-1',
        type: 'AwsS3Bucket',
        id: 'certctl-dumps/pg/',
        arn: 'arn:aws:s3:::certctl-dumps',
      },
      { checkId: 'dumps.fresh', group: 'dumps', scopeRegion: 'eu-west-1' },
    );
    const dumps = completeScope(ACCOUNT_A, 'eu-west-1', 'dumps');
    await publish(report([db('db-1'), bucket], [...scopes, dumps]));
    const down = failedScope(ACCOUNT_A, 'eu-west-1', 'dumps');
    clock = new Date(T0.getTime() + 80 * DAY);

    // Act
    const result = await publish(
      report([db('db-1'), { ...scopeFinding(down), group: 'dumps' }], [...scopes, down]),
    );

    // Assess
    expect(result.counts).toMatchObject({ keptAlive: 1, archived: 0, resolved: 0, failed: 0 });
    expect(
      hub.findings(ACCOUNT_A, 'eu-west-1').find((finding) => finding.Id === asffFindingId(bucket)),
    ).toMatchObject({ RecordState: 'ACTIVE', UpdatedAt: clock.toISOString() });
    expect(hub.findings(ACCOUNT_A, 'us-east-1')).toEqual([]);
  });

  it('archives more than 20 findings of one destination from the ledger reading them 20 Ids at a time', async () => {
    // Prepare: 101 findings (more than one GetFindings page); 40 of the resources are then deleted.
    const fleet = Array.from({ length: 101 }, (_, index) => db(`db-${index}`));
    await publish(report(fleet, scopes));
    clock = new Date(T0.getTime() + DAY);
    hub.resetCalls();

    // Act
    const result = await publish(report(fleet.slice(40), scopes));

    // Assess: the changed-since read (nothing), then two reads by Id (20 + 20), no page of the
    // whole product.
    expect(result.counts).toMatchObject({ archived: 40, failed: 0 });
    expect(result.calls.getFindings).toBe(SINCE + 2);
    expect(hub.calls.filter((call) => call.operation === 'GetFindings').map((call) => call.findings)).toEqual(
      [0, 20, 20],
    );
    for (const gone of fleet.slice(0, 40)) expect(held(asffFindingId(gone))[0]?.RecordState).toBe('ARCHIVED');
    for (const kept of fleet.slice(40)) expect(held(asffFindingId(kept))[0]?.RecordState).toBe('ACTIVE');
  });

  it('logs why a ledger was not written and that it was removed, or that even its removal failed', async () => {
    // Prepare: stores over the real one whose writes, and then removals, fail; they cannot overwrite
    // (mark a ledger given up), or fail to.
    const failing = (writeError: Error, removeError?: Error, overwriteError?: Error): LedgerStore => ({
      read: (where) => store.read(where),
      write: () => Promise.reject(writeError),
      remove: (where) => (removeError ? Promise.reject(removeError) : store.remove(where)),
      ...(overwriteError ? { overwrite: () => Promise.reject(overwriteError) } : {}),
    });
    const storeDown = Object.assign(new Error('the ledger bucket is unreachable'), { code: 'StoreDown' });
    const removeDown = Object.assign(new Error('delete refused'), { code: 'RemoveDown' });
    const run = (ledger: LedgerStore, logger?: StructuredLogger) =>
      publishToSecurityHub({
        report: report([db('db-1')], scopes),
        policy: policy(),
        factory,
        accounts: ACCOUNTS,
        now: () => clock,
        retry: { baseDelayMs: 1 },
        ledger,
        ...(logger ? { logger } : {}),
      });
    const conflictLog = recordingLogger();
    const failureLog = recordingLogger();

    // Act
    const conflict = await run(failing(new LedgerConflictError('replaced since read')), conflictLog);
    const failure = await run(failing(storeDown, removeDown, storeDown), failureLog);
    const silent = await run(failing(storeDown, removeDown));

    // Assess
    for (const result of [conflict, failure, silent]) {
      expect(result.ledger).toMatchObject({ written: 0, problems: 1 });
      expect(result.calls.ledgerWrite).toBe(result === failure ? 3 : 2);
    }
    // Not marked given up (no store here overwrites, or does it): db-1, created by the first run, is
    // sent again dated later; the next runs imported nothing (db-1 unchanged), so send nothing again.
    for (const result of [conflict, failure, silent]) {
      expect(result.ledger).toMatchObject({ unrecorded: 1, redated: result === conflict ? 1 : 0 });
      expect(result.failed).toEqual([]);
    }
    const redated = {
      level: 'warn',
      message:
        'import ledger could be neither written nor marked given up: this run’s imports sent again, dated past any ledger written meanwhile',
      attributes: [{ ...EU, updatedAt: expect.any(String), sent: 1, failed: 0 }],
    };
    const problems = (logger: RecordingLogger) => logger.entries.filter(({ level }) => level !== 'info');
    expect(problems(conflictLog)).toEqual([
      {
        level: 'warn',
        message: 'import ledger changed by another run: given up, the next run reconciles',
        attributes: [
          {
            ...EU,
            error: { code: 'LedgerConflictError', message: expect.stringContaining('replaced since read') },
          },
        ],
      },
      redated,
    ]);
    expect(problems(failureLog)).toEqual([
      {
        level: 'warn',
        message: 'import ledger not written: given up, the next run reconciles',
        attributes: [
          {
            ...EU,
            error: {
              code: 'StoreDown',
              message: expect.stringContaining('the ledger bucket is unreachable'),
            },
          },
        ],
      },
      {
        level: 'warn',
        message: 'import ledger could not be marked given up: removing it',
        attributes: [
          {
            ...EU,
            error: {
              code: 'StoreDown',
              message: expect.stringContaining('the ledger bucket is unreachable'),
            },
          },
        ],
      },
      {
        level: 'error',
        message: 'import ledger could not be removed',
        attributes: [
          { ...EU, error: { code: 'RemoveDown', message: expect.stringContaining('delete refused') } },
        ],
      },
    ]);
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

  it('adopts what a stale ledger missed instead of re-sending it, and archives it at the next run once gone', async () => {
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

    // Assess: db-3, updated after the rolled-back ledger's newest entry, is read back with what
    // changed since, so nothing is sent twice and its deletion archives it at the first run after.
    expect(resent.ledger).toMatchObject({ used: 1, adopted: 1 });
    expect(resent.counts).toMatchObject({ created: 0, unchanged: 2 });
    expect(held(asffFindingId(db('db-3')))).toHaveLength(1);
    expect(hub.findings(ACCOUNT_A, 'eu-west-1')).toHaveLength(2);
    expect(reconciled[0]?.counts.archived).toBe(1);
    expect(reconciled.reduce((sum, run) => sum + run.counts.archived, 0)).toBe(1);
    expect(held(asffFindingId(db('db-3')))[0]?.RecordState).toBe('ARCHIVED');
  });

  it('merges the ledgers of two overlapping runs, and the next run plans from the ledger', async () => {
    // Prepare
    const findings = [db('db-1'), db('db-2')];

    // Act: both find no ledger and create it; the second to write merges into the first's.
    const [one, two] = await Promise.all([
      publish(report(findings, scopes)),
      publish(report(findings, scopes)),
    ]);
    clock = new Date(T0.getTime() + DAY);
    const next = await publish(report(findings, scopes));

    // Assess
    expect(one.ledger.problems + two.ledger.problems).toBe(0);
    expect(one.ledger.written + two.ledger.written).toBe(2);
    expect(one.calls.ledgerWrite + two.calls.ledgerWrite).toBe(3);
    expect(next.ledger).toMatchObject({ reconciled: 0, used: 1 });
    expect(next.counts).toMatchObject({ unchanged: 2, created: 0 });
    expect(hub.findings(ACCOUNT_A, 'eu-west-1')).toHaveLength(2);
  });

  it('merges its ledger into the one another run wrote meanwhile, so jobs that start together keep planning from the ledger', async () => {
    // Prepare: the PITR and dumps audits publish into the same destination, whose ledger knows both.
    await publish(report([db('db-1')], scopes));
    await publish(report([bucket()], dumps));
    clock = new Date(T0.getTime() + HOUR);

    // Act: both jobs start at once (a 1-hour and a 6-hour schedule created together), each changing
    // its finding; then each runs again an hour later.
    const [pitrRun, dumpsRun] = await Promise.all([
      publish(report([db('db-1', { status: 'PASSED' })], scopes)),
      publish(report([bucket({ status: 'PASSED' })], dumps)),
    ]);
    clock = new Date(T0.getTime() + 2 * HOUR);
    const pitrNext = await publish(report([db('db-1', { status: 'PASSED' })], scopes));
    const dumpsNext = await publish(report([bucket({ status: 'PASSED' })], dumps));

    // Assess: both landed, the ledger kept both (no removal, no full read), and nothing is re-sent.
    expect(pitrRun.counts.resolved).toBe(1);
    expect(dumpsRun.counts.resolved).toBe(1);
    expect(pitrRun.ledger.problems + dumpsRun.ledger.problems).toBe(0);
    expect(pitrRun.ledger.written + dumpsRun.ledger.written).toBe(2);
    for (const next of [pitrNext, dumpsNext]) {
      expect(next.ledger).toMatchObject({ used: 1, reconciled: 0, adopted: 0 });
      expect(next.counts).toMatchObject({ unchanged: 1, resolved: 0, updated: 0 });
    }
    expect((await ledgerEntries()).map(([id, state]) => [id, state])).toEqual(
      [
        [asffFindingId(bucket()), 'ACTIVE'],
        [asffFindingId(db('db-1')), 'ACTIVE'],
      ].sort(([a], [b]) => (a as string).localeCompare(b as string)),
    );
  });

  it('refuses a write with LedgerConflictError when another run replaced the ledger since it was read', async () => {
    // Prepare
    await store.write(EU, new Uint8Array([1]), undefined);
    const read = await store.read(EU);
    await store.write(EU, new Uint8Array([2]), read?.version);

    // Act / Assess
    await expect(store.write(EU, new Uint8Array([3]), read?.version)).rejects.toThrow(LedgerConflictError);
    await expect(store.write(EU, new Uint8Array([3]), undefined)).rejects.toThrow(LedgerConflictError);
    // Its name is the code the publisher logs when it removes the ledger.
    await expect(store.write(EU, new Uint8Array([3]), undefined)).rejects.toMatchObject({
      name: 'LedgerConflictError',
    });
    expect((await store.read(EU))?.body).toEqual(new Uint8Array([2]));
  });

  it('adopts at its next run what a publish without the ledger (the CLI) sent since, so a regression is sent, not left PASSED', async () => {
    // Prepare: the scheduled function (with the ledger) imports db-1 FAILED at T0; an operator's
    // `backup-guard audit --publish` (no ledger) publishes it PASSED an hour later.
    const finding = db('db-1');
    await publish(report([finding], scopes));
    clock = new Date(T0.getTime() + HOUR);
    await publish(report([db('db-1', { status: 'PASSED' })], scopes), { ledger: false });
    expect(held(asffFindingId(finding))[0]?.Compliance?.Status).toBe('PASSED');
    clock = new Date(T0.getTime() + 2 * HOUR);

    // Act: db-1 failed again.
    const next = await publish(report([finding], scopes));
    clock = new Date(T0.getTime() + 3 * HOUR);
    const after = await publish(report([finding], scopes));

    // Assess: sent, without a full read (one GetFindings for what changed since the ledger's newest).
    expect(next.ledger).toMatchObject({ used: 1, reconciled: 0 });
    expect(next.calls.getFindings).toBe(1);
    expect(next.counts.updated).toBe(1);
    expect(held(asffFindingId(finding))[0]?.Compliance?.Status).toBe('FAILED');
    // The ledger now knows the hub's version: the run after finds nothing changed.
    expect(after.counts).toMatchObject({ unchanged: 1, updated: 0 });
    expect(after.calls.getFindings).toBe(1);
  });

  it('adopts what a publish without the ledger sent from a clock behind the ledger’s newest update, so a regression is sent, not left PASSED', async () => {
    // Prepare: the scheduled function imports db-1 and db-2 FAILED at T0 and db-2 again at T0 + 4 min;
    // two minutes later an operator's `backup-guard audit --publish` (no ledger), from a laptop whose
    // clock is 5 minutes slow, publishes db-1 PASSED.
    await publish(report([db('db-1'), db('db-2')], scopes));
    clock = new Date(T0.getTime() + 4 * 60 * 1000);
    await publish(report([db('db-1'), db('db-2', { status: 'WARNING' })], scopes));
    const slow = new Date(T0.getTime() + (6 - 5) * 60 * 1000);
    await publishToSecurityHub({
      report: report([db('db-1', { status: 'PASSED' }), db('db-2', { status: 'WARNING' })], scopes),
      policy: policy(),
      factory,
      accounts: ACCOUNTS,
      now: () => slow,
      retry: { baseDelayMs: 1 },
    });
    expect(held(asffFindingId(db('db-1')))[0]?.Compliance?.Status).toBe('PASSED');

    // Act: an hour later db-1 fails again.
    clock = new Date(T0.getTime() + HOUR);
    const next = await publish(report([db('db-1'), db('db-2', { status: 'WARNING' })], scopes));

    // Assess: the ledger-planned run read the PASSED back and sent FAILED over it.
    expect(next.ledger).toMatchObject({ used: 1, reconciled: 0, adopted: 1 });
    expect(next.counts).toMatchObject({ updated: 1, unchanged: 1 });
    expect(held(asffFindingId(db('db-1')))[0]?.Compliance?.Status).toBe('FAILED');
  });

  it('adopts what a publish without the ledger sent from a clock behind the last reconciliation that imported nothing', async () => {
    // Prepare: db-1 imported FAILED at T0; the weekly reconciliation eight days later finds nothing
    // to import (monthly refresh); two minutes after it, an operator's `audit --publish` (no ledger)
    // from a laptop 5 minutes slow publishes db-1 PASSED.
    const monthly = monthlyRefresh();
    await publish(report([db('db-1')], scopes), { policy: monthly });
    clock = new Date(T0.getTime() + 8 * DAY);
    const reconciling = await publish(report([db('db-1')], scopes), { policy: monthly });
    expect(reconciling.ledger).toMatchObject({ reconciled: 1, written: 1 });
    expect(reconciling.findingsSent).toBe(0);
    const slow = new Date(clock.getTime() + (2 - 5) * 60 * 1000);
    await publishToSecurityHub({
      report: report([db('db-1', { status: 'PASSED' })], scopes),
      policy: monthly,
      factory,
      accounts: ACCOUNTS,
      now: () => slow,
      retry: { baseDelayMs: 1 },
    });
    expect(held(asffFindingId(db('db-1')))[0]?.Compliance?.Status).toBe('PASSED');

    // Act: an hour later db-1 fails again.
    clock = new Date(clock.getTime() + HOUR);
    const next = await publish(report([db('db-1')], scopes), { policy: monthly });

    // Assess
    expect(next.ledger).toMatchObject({ used: 1, reconciled: 0, adopted: 1 });
    expect(next.counts.updated).toBe(1);
    expect(held(asffFindingId(db('db-1')))[0]?.Compliance?.Status).toBe('FAILED');
  });

  it('still adopts what another writer changed after it adopted a finding dated ahead of its clock', async () => {
    // Prepare: the function imports db-1 and db-2 FAILED at T0. At T0+1h a CLI whose clock runs 12
    // hours ahead publishes db-1 PASSED (UpdatedAt T0+13h); the function's next run adopts it and
    // sends db-1 FAILED just after that time. At T0+3h a CLI with a right clock publishes db-2 PASSED.
    await publish(report([db('db-1'), db('db-2')], scopes));
    clock = new Date(T0.getTime() + 13 * HOUR);
    await publish(report([db('db-1', { status: 'PASSED' })], []), { ledger: false });
    clock = new Date(T0.getTime() + 2 * HOUR);
    const adopting = await publish(report([db('db-1'), db('db-2')], scopes));
    expect(adopting.ledger.adopted).toBe(1);
    expect(held(asffFindingId(db('db-1')))[0]?.Compliance?.Status).toBe('FAILED');
    clock = new Date(T0.getTime() + 3 * HOUR);
    await publish(report([db('db-2', { status: 'PASSED' })], []), { ledger: false });
    expect(held(asffFindingId(db('db-2')))[0]?.Compliance?.Status).toBe('PASSED');
    clock = new Date(T0.getTime() + 4 * HOUR);

    // Act: db-2 fails again.
    const next = await publish(report([db('db-1'), db('db-2')], scopes));

    // Assess: db-2's PASSED is adopted and overwritten, not left standing until the weekly
    // reconciliation; db-1, read back as the ledger has it, is not adopted again.
    expect(next.ledger).toMatchObject({ used: 1, reconciled: 0, adopted: 1 });
    expect(next.counts).toMatchObject({ updated: 1, unchanged: 1 });
    expect(held(asffFindingId(db('db-2')))[0]?.Compliance?.Status).toBe('FAILED');
    expect(held(asffFindingId(db('db-1')))[0]?.Compliance?.Status).toBe('FAILED');
  });

  it('reconciles in full, losing nothing, when what changed since the ledger cannot be read', async () => {
    // Prepare
    await publish(report([db('db-1'), db('db-2')], scopes));
    hub.injectReadFailure('UpdatedAt');
    clock = new Date(T0.getTime() + HOUR);
    const logger = recordingLogger();

    // Act
    const result = await publish(report([db('db-1'), db('db-2', { status: 'PASSED' })], scopes), { logger });

    // Assess: the ledger alone could plan from a finding another writer changed: read in full.
    expect(result.ledger).toMatchObject({ used: 0, reconciled: 1, written: 1 });
    expect(result.counts).toMatchObject({ resolved: 1, unchanged: 1, failed: 0 });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        message: 'reconciling with Security Hub',
        attributes: [
          expect.objectContaining({
            reason: expect.stringContaining('the findings updated since the import ledger could not be read'),
          }),
        ],
      }),
    );
  });

  it('corrects drift made outside the product at its next run, reading only what changed', async () => {
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

    // Assess: the first run adopts the outside version and sends the product's over it; the runs
    // after read only what changed since (nothing) until the weekly reconciliation.
    expect(runs[0]?.ledger).toMatchObject({ used: 1, reconciled: 0, adopted: 1 });
    expect(runs[0]?.counts.updated).toBe(1);
    const reconciliation = runs.findIndex((run) => run.ledger.reconciled === 1);
    expect(reconciliation).toBeGreaterThan(0);
    expect(runs.slice(1, reconciliation).every((run) => run.calls.getFindings === SINCE)).toBe(true);
    expect(runs.slice(1).every((run) => run.counts.updated === 0)).toBe(true);
    expect(held(asffFindingId(finding))[0]).toMatchObject({
      RecordState: 'ACTIVE',
      Compliance: { Status: 'FAILED' },
    });
  });

  it('merges the ledgers of three runs writing at once into one destination, so none removes it and the next runs plan from it', async () => {
    // Prepare: the PITR, dumps and keys audits publish into the same destination, whose ledger knows all three.
    const keys = (overrides: Partial<Finding> = {}) =>
      retentionFinding(rdsResource('db-keys'), { group: 'keys', checkId: 'keys.replica', ...overrides });
    const keyScopes = [completeScope(ACCOUNT_A, 'eu-west-1', 'keys')];
    await publish(report([db('db-1')], scopes));
    await publish(report([bucket()], dumps));
    await publish(report([keys()], keyScopes));
    clock = new Date(T0.getTime() + DAY);
    const log = recordingLogger();
    // All three read the ledger before any of them writes (a barrier on the first three reads), so
    // the contention is certain, not left to the machine's timing.
    let reads = 0;
    let allRead: () => void = () => {};
    const together = new Promise<void>((resolve) => {
      allRead = resolve;
    });
    const barrier: LedgerStore = {
      read: async (where) => {
        const ledger = await store.read(where);
        reads += 1;
        if (reads === 3) allRead();
        if (reads <= 3) await together;
        return ledger;
      },
      write: (where, body, previous) => store.write(where, body, previous),
      remove: (where) => store.remove(where),
    };
    const on = { store: barrier, logger: log };

    // Act: the 1-hour, 6-hour and 1-day jobs start together, each changing its finding: two of them
    // find the ledger replaced, and one of those finds it replaced again after its first merge.
    const runs = await Promise.all([
      publish(report([db('db-1', { status: 'PASSED' })], scopes), on),
      publish(report([bucket({ status: 'PASSED' })], dumps), on),
      publish(report([keys({ status: 'PASSED' })], keyScopes), on),
    ]);
    clock = new Date(T0.getTime() + DAY + HOUR);
    const next = [
      await publish(report([db('db-1', { status: 'PASSED' })], scopes)),
      await publish(report([bucket({ status: 'PASSED' })], dumps)),
      await publish(report([keys({ status: 'PASSED' })], keyScopes)),
    ];

    // Assess: all three landed, the ledger kept all three (no removal, no full read), nothing is re-sent.
    expect(runs.map((run) => run.counts.resolved)).toEqual([1, 1, 1]);
    expect(runs.map((run) => run.ledger)).toEqual(
      Array(3).fill(expect.objectContaining({ written: 1, problems: 0 })),
    );
    expect(log.entries.filter(({ level }) => level !== 'info')).toEqual([]);
    // Two of the three found the ledger replaced at least once (5 writes, or 6 when both re-read the
    // same replacement and one of them finds it replaced again).
    expect(runs.reduce((sum, run) => sum + run.calls.ledgerWrite, 0)).toBeGreaterThanOrEqual(5);
    expect((await ledgerEntries()).map(([id, state]) => [id, state])).toEqual(
      [
        [asffFindingId(bucket()), 'ACTIVE'],
        [asffFindingId(db('db-1')), 'ACTIVE'],
        [asffFindingId(keys()), 'ACTIVE'],
      ].sort(([a], [b]) => (a as string).localeCompare(b as string)),
    );
    for (const run of next) {
      expect(run.ledger).toMatchObject({ used: 1, reconciled: 0, adopted: 0 });
      expect(run.counts).toMatchObject({ unchanged: 1, resolved: 0, updated: 0 });
    }
  });

  it('gives up the ledger only after every one of its four writes found it changed by another run', async () => {
    // Prepare: a ledger, then a store over it where another run writes before each of this run's writes.
    await publish(report([db('db-1')], scopes));
    const before = decodeLedger(await ledgerBytes(), {
      ...EU,
      productArn: productArn({ ...EU, partition: 'aws' }),
    });
    clock = new Date(T0.getTime() + HOUR);
    let writes = 0;
    const contended: LedgerStore = {
      read: (where) => store.read(where),
      remove: (where) => store.remove(where),
      overwrite: (where, body) => store.overwrite(where, body),
      write: async (where, body, previous) => {
        writes += 1;
        // Another run's ledger, other bytes each time (another ETag).
        await overwriteLedger(
          encodeLedger({ ...before, reconciledAt: new Date(T0.getTime() + writes).toISOString() }),
        );
        await store.write(where, body, previous);
      },
    };
    const log = recordingLogger();

    // Act
    const result = await publish(report([db('db-1', { status: 'PASSED' })], scopes), {
      store: contended,
      logger: log,
    });

    // Assess: four conditional writes, three re-reads, then the marker of a ledger given up, which
    // the next run reads as missing.
    expect(writes).toBe(4);
    expect(result.ledger).toMatchObject({ written: 0, problems: 1 });
    expect(result.calls).toMatchObject({ ledgerWrite: 5, ledgerRead: 4 });
    await expect(
      ledgerBytes().then((bytes) =>
        decodeLedger(bytes, { ...EU, productArn: productArn({ ...EU, partition: 'aws' }) }),
      ),
    ).rejects.toThrow(LedgerGivenUpError);
    expect(log.entries.filter(({ level }) => level === 'warn').map(({ message }) => message)).toEqual([
      'import ledger changed by another run: given up, the next run reconciles',
    ]);
    clock = new Date(T0.getTime() + 2 * HOUR);
    const next = await publish(report([db('db-1', { status: 'PASSED' })], scopes));
    expect(next.ledger).toMatchObject({ used: 0, reconciled: 1, written: 1, problems: 0 });
    expect(
      decodeLedger(await ledgerBytes(), { ...EU, productArn: productArn({ ...EU, partition: 'aws' }) })
        .findings,
    ).toHaveLength(1);
  });

  it('re-sends at the next run a finding deleted outside the product when its reconciliation merged into a ledger-planned run’s ledger', async () => {
    // Prepare: monthly refresh, weekly reconciliation. The PITR and dumps audits publish at T0; then
    // db-2 is deleted from Security Hub outside the product.
    const monthly = monthlyRefresh();
    await publish(report([db('db-1'), db('db-2')], scopes), { policy: monthly });
    await publish(report([bucket()], dumps), { policy: monthly });
    hub.deleteFinding(ACCOUNT_A, 'eu-west-1', asffFindingId(db('db-2')));
    // The PITR run, started a minute before the ledger was due and planned from it, writes its
    // ledger (still naming db-2) between the dumps run's read and its write.
    let raced = false;
    const racing: LedgerStore = {
      read: (where) => store.read(where),
      remove: (where) => store.remove(where),
      write: async (where, body, previous) => {
        if (!raced) {
          raced = true;
          const dumpsClock = clock;
          clock = new Date(T0.getTime() + 7 * DAY - 60_000);
          const pitr = await publish(report([db('db-1', { status: 'PASSED' }), db('db-2')], scopes), {
            policy: monthly,
          });
          expect(pitr.ledger).toMatchObject({ used: 1, reconciled: 0, written: 1 });
          clock = dumpsClock;
        }
        await store.write(where, body, previous);
      },
    };
    clock = new Date(T0.getTime() + 7 * DAY);
    const reconciliation = await publish(report([bucket()], dumps), { policy: monthly, store: racing });
    expect(reconciliation.ledger).toMatchObject({ reconciled: 1, written: 1, problems: 0 });
    clock = new Date(T0.getTime() + 7 * DAY + HOUR);

    // Act
    const next = await publish(report([db('db-1', { status: 'PASSED' }), db('db-2')], scopes), {
      policy: monthly,
    });

    // Assess: the deletion the reconciliation saw is not undone by the merge: db-2 is sent again.
    expect(next.ledger.reconciled).toBe(1);
    expect(held(asffFindingId(db('db-2')))).toHaveLength(1);
  });

  it('does not re-import a finding whose drifting values alone moved after another group’s job reconciled its destination', async () => {
    // Prepare: the PITR audit publishes db-1, whose restore lag drifts every run, and the dumps audit
    // its bucket; a week later the dumps audit is the run that reconciles the destination in full.
    // Monthly refresh, so that no refresh is due.
    const monthly = monthlyRefresh();
    const lagging = (minutes: number) =>
      db('db-1', { observed: { restoreLagMinutes: minutes }, drifting: ['restoreLagMinutes'] });
    await publish(report([lagging(5)], scopes), { policy: monthly });
    await publish(report([bucket()], dumps), { policy: monthly });
    clock = new Date(T0.getTime() + 7 * DAY);
    const reconciliation = await publish(report([bucket()], dumps), { policy: monthly });
    expect(reconciliation.ledger.reconciled).toBe(1);
    clock = new Date(T0.getTime() + 7 * DAY + HOUR);

    // Act: the PITR audit runs again; only the lag moved.
    const next = await publish(report([lagging(6)], scopes), { policy: monthly });

    // Assess: planned from the ledger, as a full read would have: nothing material changed.
    expect(next.ledger).toMatchObject({ used: 1, reconciled: 0 });
    expect(next.counts).toMatchObject({ unchanged: 1, updated: 0, refreshed: 0 });
  });

  it('records no import in the ledger when Security Hub counts failures it does not name, so the next run sends them again', async () => {
    // Prepare: db-1 and db-2 published FAILED; then both pass, and Security Hub refuses db-2 in an
    // answer whose FailedCount is 1 but which names no FailedFindings (optional in the API model).
    await publish(report([db('db-1'), db('db-2')], scopes));
    hub.injectImportFailure(asffFindingId(db('db-2')), { code: 'InternalException', times: 4 });
    const unnamed = answering((_input, output) => {
      delete (output as { FailedFindings?: unknown }).FailedFindings;
    });
    clock = new Date(T0.getTime() + HOUR);
    const passing = [db('db-1', { status: 'PASSED' }), db('db-2', { status: 'PASSED' })];

    // Act
    const refused = await publish(report(passing, scopes), { on: unnamed });
    clock = new Date(T0.getTime() + 2 * HOUR);
    const next = await publish(report(passing, scopes));

    // Assess: the refusal is reported, not counted as landed, and db-2 is resolved at the next run.
    expect(refused.failed.length).toBeGreaterThan(0);
    expect(refused.exitCode).not.toBe(0);
    expect(next.counts.resolved).toBeGreaterThanOrEqual(1);
    expect(held(asffFindingId(db('db-2')))[0]?.Compliance?.Status).toBe('PASSED');
  });

  it('sends again a finding whose every import call failed after Security Hub took it, when another group’s run read before it and wrote the ledger after', async () => {
    // Prepare: db-1 and db-2 published FAILED (monthly refresh: none is due within the test); then
    // db-2 passes, in a run whose answers are all lost beside an overlapping dumps run.
    const monthly = monthlyRefresh();
    await publish(report([db('db-1'), db('db-2')], scopes), { policy: monthly });
    clock = new Date(T0.getTime() + HOUR);
    const passing = await lostBesideDumps([db('db-1'), db('db-2', { status: 'PASSED' })], monthly);
    expect(passing.failed.map((failure) => failure.id)).toEqual([asffFindingId(db('db-2'))]);
    expect(held(asffFindingId(db('db-2')))[0]?.Compliance?.Status).toBe('PASSED');

    // Act: db-2 fails again, as the ledger last recorded it.
    clock = new Date(T0.getTime() + 2 * HOUR);
    const next = await publish(report([db('db-1'), db('db-2')], scopes), { policy: monthly });

    // Assess: Security Hub shows db-2 FAILED, not the PASSED of the import whose outcome was unknown.
    expect(next.ledger).toMatchObject({ used: 1, reconciled: 0 });
    expect(held(asffFindingId(db('db-2')))[0]?.Compliance?.Status).toBe('FAILED');
  });

  /**
   * The PITR run of `findings` whose ledger `unwritable` will not take, overlapped by the dumps run of
   * the same destination: that run reads (the ledger, or Security Hub in full) before the PITR run
   * imports, and imports and writes its ledger, with the real store, after the PITR run has ended.
   */
  async function unrecordedBesideDumps(
    findings: readonly Finding[],
    monthly: Policy,
    unwritable: LedgerStore,
    logger?: StructuredLogger,
  ): Promise<{ run: PublishResult; dumpsRun: PublishResult }> {
    const dumpsFactory = new AwsClientFactory({
      maxAttempts: 2,
      credentials: simCredentials(ACCOUNT_A),
      endpoint: sim.endpoint,
      stsRegion: 'eu-west-1',
    });
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let importing: () => void = () => {};
    const dumpsImporting = new Promise<void>((resolve) => {
      importing = resolve;
    });
    const holding: AwsClientFactory = Object.create(dumpsFactory);
    holding.client = ((ctor: never, region: string, account?: AuditedAccount) => {
      const client = dumpsFactory.client(ctor, region, account) as unknown as SecurityHubClient;
      client.middlewareStack.add(
        (next) => async (args) => {
          if ('Findings' in (args.input as object)) {
            importing();
            await released;
          }
          return next(args);
        },
        { step: 'initialize', name: 'held', override: true },
      );
      return client;
    }) as typeof dumpsFactory.client;
    const dumpsRun = publish(report([bucket()], dumps), { policy: monthly, on: holding });
    await dumpsImporting;
    const run = await publish(report(findings, scopes), {
      policy: monthly,
      store: unwritable,
      ...(logger ? { logger } : {}),
    });
    release();
    const dumpsResult = await dumpsRun;
    dumpsFactory.destroy();
    return { run, dumpsRun: dumpsResult };
  }

  const storeDown = () => Object.assign(new Error('the ledger bucket is unreachable'), { code: 'StoreDown' });

  it('sends again at the next run an import whose ledger write failed, when another group’s run that read no ledger wrote one after it', async () => {
    // Prepare: db-1 and db-2 published FAILED without the ledger (none is kept yet). An hour later the
    // dumps run reads Security Hub in full (no ledger) and is held at its import; meanwhile the PITR
    // run imports db-2 PASSED and its ledger write fails (the store refuses it); then the dumps run
    // imports and writes its ledger, built from a read made before db-2 passed.
    const monthly = monthlyRefresh();
    await publish(report([db('db-1'), db('db-2')], scopes), { ledger: false, policy: monthly });
    clock = new Date(T0.getTime() + HOUR);
    const unwritable: LedgerStore = {
      read: (where) => store.read(where),
      write: () => Promise.reject(storeDown()),
      remove: (where) => store.remove(where),
      ...(store.overwrite ? { overwrite: store.overwrite.bind(store) } : {}),
    };
    const { run: passing } = await unrecordedBesideDumps(
      [db('db-1'), db('db-2', { status: 'PASSED' })],
      monthly,
      unwritable,
    );
    expect(passing.failed).toEqual([]);
    expect(passing.ledger).toMatchObject({ written: 0, problems: 1 });
    expect(held(asffFindingId(db('db-2')))[0]?.Compliance?.Status).toBe('PASSED');

    // Act: db-2 fails again, as the dumps run's ledger recorded it.
    clock = new Date(T0.getTime() + 2 * HOUR);
    const next = await publish(report([db('db-1'), db('db-2')], scopes), { policy: monthly });

    // Assess: the lost ledger cost one full read, and Security Hub shows db-2 FAILED again.
    expect(held(asffFindingId(db('db-2')))[0]?.Compliance?.Status).toBe('FAILED');
    expect(next.ledger).toMatchObject({ used: 0, reconciled: 1 });
    expect(hub.findings(ACCOUNT_A, 'eu-west-1')).toHaveLength(3);
  });

  it('sends again at the next run an import whose ledger could be neither written nor marked given up, when another group’s run that read no ledger wrote one after it', async () => {
    // Prepare: as above, but the store refuses the marker of a ledger given up too (its removal,
    // of nothing, succeeds), so nothing stops the dumps run from creating the ledger.
    const monthly = monthlyRefresh();
    await publish(report([db('db-1'), db('db-2')], scopes), { ledger: false, policy: monthly });
    clock = new Date(T0.getTime() + HOUR);
    const unwritable: LedgerStore = {
      read: (where) => store.read(where),
      write: () => Promise.reject(storeDown()),
      overwrite: () => Promise.reject(storeDown()),
      remove: (where) => store.remove(where),
    };
    const { run: passing, dumpsRun } = await unrecordedBesideDumps(
      [db('db-1'), db('db-2', { status: 'PASSED' })],
      monthly,
      unwritable,
    );
    expect(passing.failed).toEqual([]);
    expect(dumpsRun.ledger).toMatchObject({ reconciled: 1, written: 1 });
    expect(held(asffFindingId(db('db-2')))[0]?.Compliance?.Status).toBe('PASSED');

    // Act: db-2 fails again.
    clock = new Date(T0.getTime() + 2 * HOUR);
    const next = await publish(report([db('db-1'), db('db-2')], scopes), { policy: monthly });

    // Assess: Security Hub shows db-2 FAILED, not the PASSED the dumps run's ledger never saw: the
    // next run planned from that ledger and adopted the PITR run's imports, sent again dated later.
    expect(held(asffFindingId(db('db-2')))[0]?.Compliance?.Status).toBe('FAILED');
    expect(next.ledger).toMatchObject({ used: 1, reconciled: 0, adopted: 1 });
    expect(hub.findings(ACCOUNT_A, 'eu-west-1')).toHaveLength(3);
  });

  it('sends again at the next run an import whose ledger the store refused every write and removal of, when another group’s run planned from that ledger wrote it after', async () => {
    // Prepare: db-1 and db-2 published FAILED with the ledger. An hour later the dumps run plans from
    // the ledger and is held at its import; the PITR run imports db-2 PASSED while the store refuses
    // it everything (write, marker, removal); then the dumps run writes the ledger conditionally on
    // the version both read, which nobody changed.
    const monthly = monthlyRefresh();
    await publish(report([db('db-1'), db('db-2')], scopes), { policy: monthly });
    clock = new Date(T0.getTime() + HOUR);
    const dead: LedgerStore = {
      read: (where) => store.read(where),
      write: () => Promise.reject(storeDown()),
      overwrite: () => Promise.reject(storeDown()),
      remove: () => Promise.reject(storeDown()),
    };
    const { run: passing, dumpsRun } = await unrecordedBesideDumps(
      [db('db-1'), db('db-2', { status: 'PASSED' })],
      monthly,
      dead,
    );
    expect(passing.failed).toEqual([]);
    expect(dumpsRun.ledger).toMatchObject({ used: 1, written: 1 });
    expect(held(asffFindingId(db('db-2')))[0]?.Compliance?.Status).toBe('PASSED');

    // Act: db-2 fails again.
    clock = new Date(T0.getTime() + 2 * HOUR);
    const next = await publish(report([db('db-1'), db('db-2')], scopes), { policy: monthly });

    // Assess: Security Hub shows db-2 FAILED.
    expect(held(asffFindingId(db('db-2')))[0]?.Compliance?.Status).toBe('FAILED');
    expect(next.ledger).toMatchObject({ used: 1, reconciled: 0, adopted: 1 });
    expect(hub.findings(ACCOUNT_A, 'eu-west-1')).toHaveLength(3);
  });

  it('counts as landed an import whose answers were all lost once sending it again, when its ledger could be neither written nor marked given up, lands', async () => {
    // Prepare: a store that refuses this run everything, and a hub that loses the answers of the
    // run's four import attempts, then answers.
    const dead: LedgerStore = {
      read: (where) => store.read(where),
      write: () => Promise.reject(storeDown()),
      overwrite: () => Promise.reject(storeDown()),
      remove: () => Promise.reject(storeDown()),
    };
    let imports = 0;
    const earlyLost = answering((input) => {
      if ('Findings' in (input as object) && ++imports <= 4) {
        throw Object.assign(new Error('answer lost'), { name: 'ServiceUnavailableException' });
      }
    });

    // Act
    const result = await publish(report([db('db-1')], scopes), { store: dead, on: earlyLost });

    // Assess: the re-send landed, so nothing is reported lost and the finding counts as created.
    expect(imports).toBe(5);
    expect(result.ledger).toMatchObject({ unrecorded: 1, redated: 1 });
    expect(result.counts).toMatchObject({ created: 1, failed: 0 });
    expect(result.failed).toEqual([]);
    expect(result.exitCode).toBe(0);
  });

  it('reports as not landed an import whose ledger could be neither written nor marked given up when sending it again later fails', async () => {
    // Prepare: a store that refuses this run everything, and a hub whose every import answer after
    // the first is lost.
    const dead: LedgerStore = {
      read: (where) => store.read(where),
      write: () => Promise.reject(storeDown()),
      overwrite: () => Promise.reject(storeDown()),
      remove: () => Promise.reject(storeDown()),
    };
    let imports = 0;
    const lateLost = answering((input) => {
      if ('Findings' in (input as object) && ++imports > 1) {
        throw Object.assign(new Error('answer lost'), { name: 'ServiceUnavailableException' });
      }
    });
    const log = recordingLogger();

    // Act
    const result = await publish(report([db('db-1')], scopes), { store: dead, on: lateLost, logger: log });

    // Assess: created, but not counted so; reported as not landed, saying why it matters.
    expect(result.ledger).toMatchObject({ unrecorded: 1, redated: 1 });
    expect(result.findingsSent).toBe(1 + 4);
    expect(result.counts).toMatchObject({ created: 0, failed: 1 });
    expect(result.exitCode).toBe(2);
    expect(result.failed).toEqual([
      {
        id: asffFindingId(db('db-1')),
        ...EU,
        code: 'ServiceUnavailableException',
        message: expect.stringMatching(
          /^imported, but its ledger could be neither written nor marked given up, and sending it again dated later .* failed: .*answer lost.*; a run that overlapped this one may have written a ledger without it, which later runs plan from until the next reconciliation$/,
        ),
      },
    ]);
    expect(log.entries.filter(({ level }) => level === 'error').map(({ message }) => message)).toContain(
      'import ledger could be neither written nor marked given up: this run’s imports sent again, dated past any ledger written meanwhile',
    );
  });

  it('archives a new finding whose every import call failed after Security Hub took it once its resource is gone, when another group’s run read before it and wrote the ledger after', async () => {
    // Prepare: db-1 published FAILED; then db-3 appears, in a run whose answers are all lost beside an
    // overlapping dumps run, so Security Hub holds db-3 ACTIVE while nothing says it was imported.
    const monthly = monthlyRefresh();
    await publish(report([db('db-1')], scopes), { policy: monthly });
    clock = new Date(T0.getTime() + HOUR);
    const created = await lostBesideDumps([db('db-1'), db('db-3')], monthly);
    expect(created.failed.map((failure) => failure.id)).toEqual([asffFindingId(db('db-3'))]);
    expect(held(asffFindingId(db('db-3')))[0]?.RecordState).toBe('ACTIVE');

    // Act: db-3 is deleted; its scope is evaluated whole.
    clock = new Date(T0.getTime() + 2 * HOUR);
    const next = await publish(report([db('db-1')], scopes), { policy: monthly });

    // Assess: the finding Security Hub took is archived, not left ACTIVE for a database that is gone.
    expect(next.ledger).toMatchObject({ used: 1, reconciled: 0 });
    expect(held(asffFindingId(db('db-3')))[0]?.RecordState).toBe('ARCHIVED');
  });

  it('archives a re-activated finding whose every import call failed after Security Hub took it once its resource is gone again, when another group’s run read before it and wrote the ledger after', async () => {
    // Prepare: db-2 published, then archived (its database deleted); then reported again in a run
    // whose answers are all lost beside an overlapping dumps run, so Security Hub holds db-2 ACTIVE
    // while the ledger's last word on it was ARCHIVED.
    const monthly = monthlyRefresh();
    await publish(report([db('db-1'), db('db-2')], scopes), { policy: monthly });
    clock = new Date(T0.getTime() + HOUR);
    await publish(report([db('db-1')], scopes), { policy: monthly });
    expect(held(asffFindingId(db('db-2')))[0]?.RecordState).toBe('ARCHIVED');
    clock = new Date(T0.getTime() + 2 * HOUR);
    const reactivated = await lostBesideDumps([db('db-1'), db('db-2')], monthly);
    expect(reactivated.failed.map((failure) => failure.id)).toEqual([asffFindingId(db('db-2'))]);
    expect(held(asffFindingId(db('db-2')))[0]?.RecordState).toBe('ACTIVE');

    // Act: db-2's database is deleted again; its scope is evaluated whole.
    clock = new Date(T0.getTime() + 3 * HOUR);
    const next = await publish(report([db('db-1')], scopes), { policy: monthly });

    // Assess: looked up (the ledger no longer claims it archived) and archived, not left ACTIVE.
    expect(next.ledger).toMatchObject({ used: 1, reconciled: 0 });
    expect(held(asffFindingId(db('db-2')))[0]?.RecordState).toBe('ARCHIVED');
  });

  it('re-imports ACTIVE the finding whose check throws when Security Hub took the archive whose answer was lost, though the ledger could not tell', async () => {
    // Prepare: db-1 and db-2 published FAILED; an hour later db-2 is gone and its archive is taken by
    // Security Hub, but every answer is lost: the ledger keeps db-2 ACTIVE without a digest, and the
    // dumps run beside it writes the ledger after, its newest entry as late as that archive.
    const monthly = monthlyRefresh();
    await publish(report([db('db-1'), db('db-2')], scopes), { policy: monthly });
    clock = new Date(T0.getTime() + HOUR);
    const gone = await lostBesideDumps([db('db-1')], monthly);
    expect(gone.failed.map((failure) => failure.id)).toEqual([asffFindingId(db('db-2'))]);
    expect(held(asffFindingId(db('db-2')))[0]?.RecordState).toBe('ARCHIVED');

    // Act: db-2 is back and its check throws on it.
    clock = new Date(T0.getTime() + 2 * HOUR);
    const back = await publish(
      report([db('db-1'), db('db-2', { status: 'NOT_AVAILABLE', internalError: true })], scopes),
      { policy: monthly },
    );

    // Assess: as from a full read, the archived finding is re-imported ACTIVE (NOT_AVAILABLE), read by Id.
    expect(back.failed).toEqual([]);
    expect(held(asffFindingId(db('db-2')))[0]).toMatchObject({
      RecordState: 'ACTIVE',
      Compliance: { Status: 'NOT_AVAILABLE' },
    });
    expect(back.ledger).toMatchObject({ used: 1, reconciled: 0 });
  });

  it('leaves as it was the finding whose check throws when Security Hub holds it ACTIVE, though the ledger could not tell', async () => {
    // Prepare: as above, but the archive of db-2 is refused by a call that fails (nothing taken)
    // without a permanent error: the ledger cannot tell, and Security Hub still holds it ACTIVE.
    const monthly = monthlyRefresh();
    await publish(report([db('db-1'), db('db-2')], scopes), { policy: monthly });
    clock = new Date(T0.getTime() + HOUR);
    hub.injectCallFailure(asffFindingId(db('db-2')), { code: 'InternalException' });
    const gone = await publish(report([db('db-1')], scopes), { policy: monthly });
    hub.clearImportFailures();
    expect(gone.failed.map((failure) => failure.id)).toEqual([asffFindingId(db('db-2'))]);

    // Act
    clock = new Date(T0.getTime() + 2 * HOUR);
    const back = await publish(
      report([db('db-1'), db('db-2', { status: 'NOT_AVAILABLE', internalError: true })], scopes),
      { policy: monthly },
    );

    // Assess: the FAILED last proven is kept, not overwritten by the internal error.
    expect(back.failed).toEqual([]);
    expect(held(asffFindingId(db('db-2')))[0]).toMatchObject({
      RecordState: 'ACTIVE',
      Compliance: { Status: 'FAILED' },
      UpdatedAt: T0.toISOString(),
    });
  });

  it('keeps the ARCHIVED entry of a finding reported again whose import Security Hub refused by name', async () => {
    // Prepare: db-2 published, then archived (its database deleted).
    await publish(report([db('db-1'), db('db-2')], scopes));
    clock = new Date(T0.getTime() + HOUR);
    await publish(report([db('db-1')], scopes));

    // Act: db-2 is reported again; Security Hub refuses it by name on every attempt.
    clock = new Date(T0.getTime() + 2 * HOUR);
    hub.injectImportFailure(asffFindingId(db('db-2')), { code: 'InternalException', times: 4 });
    const refused = await publish(report([db('db-1'), db('db-2')], scopes));

    // Assess: it did not land, so the ledger keeps what Security Hub holds: ARCHIVED.
    expect(refused.failed.map((failure) => failure.id)).toEqual([asffFindingId(db('db-2'))]);
    expect(held(asffFindingId(db('db-2')))[0]?.RecordState).toBe('ARCHIVED');
    expect((await ledgerEntries()).map(([id, state]) => [id, state])).toEqual([
      [asffFindingId(db('db-1')), 'ACTIVE'],
      [asffFindingId(db('db-2')), 'ARCHIVED'],
    ]);
  });

  it('records no import in the ledger when Security Hub names a failed finding by an Id the call did not carry', async () => {
    // Prepare: db-1 and db-2 published FAILED; then both pass, and Security Hub counts one failure
    // whose Id matches no finding of the call (its Id changed on the way, or left out), so which
    // of the two did not land cannot be told.
    await publish(report([db('db-1'), db('db-2')], scopes));
    hub.injectImportFailure(asffFindingId(db('db-2')), { code: 'InternalException', times: 4 });
    const misnamed = answering((_input, output) => {
      const answer = output as { FailedFindings?: { Id?: string }[] };
      for (const failure of answer.FailedFindings ?? []) delete failure.Id;
    });
    clock = new Date(T0.getTime() + HOUR);
    const passing = [db('db-1', { status: 'PASSED' }), db('db-2', { status: 'PASSED' })];

    // Act
    const refused = await publish(report(passing, scopes), { on: misnamed });
    clock = new Date(T0.getTime() + 2 * HOUR);
    const next = await publish(report(passing, scopes));

    // Assess: the refusal is reported, not counted as landed, and db-2 is resolved at the next run.
    expect(refused.failed.map((failure) => failure.id)).toContain(asffFindingId(db('db-2')));
    expect(refused.exitCode).not.toBe(0);
    expect(next.counts.resolved).toBeGreaterThanOrEqual(1);
    expect(held(asffFindingId(db('db-2')))[0]?.Compliance?.Status).toBe('PASSED');
  });

  it.each([
    ['', false],
    [', also when another run’s ledger was merged into its own', true],
  ])(
    'sends again at the next run a finding whose import call failed after Security Hub took it, when it flaps back to the ledger’s status%s',
    async (_, merged) => {
      // Prepare: db-1 and db-2 published FAILED, and the dumps audit's bucket (monthly refresh: none
      // is due within the test).
      const monthly = monthlyRefresh();
      await publish(report([db('db-1'), db('db-2')], scopes), { policy: monthly });
      await publish(report([bucket()], dumps), { policy: monthly });
      // With `merged`, the dumps audit, planned from the same ledger before the PITR run imports,
      // writes it last but one (carrying db-2 as it was), so the PITR run merges into the dumps run's.
      clock = new Date(T0.getTime() + HOUR);
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let writing: () => void = () => {};
      const dumpsWriting = new Promise<void>((resolve) => {
        writing = resolve;
      });
      const gated: LedgerStore = {
        read: (where) => store.read(where),
        remove: (where) => store.remove(where),
        write: async (where, body, previous) => {
          writing();
          await released;
          await store.write(where, body, previous);
        },
      };
      const other = merged
        ? publish(report([bucket({ status: 'PASSED' })], dumps), { policy: monthly, store: gated })
        : undefined;
      if (other) await dumpsWriting;
      const racing: LedgerStore = {
        read: (where) => store.read(where),
        remove: (where) => store.remove(where),
        write: async (where, body, previous) => {
          if (other) {
            release();
            expect((await other).ledger).toMatchObject({ used: 1, written: 1 });
          }
          await store.write(where, body, previous);
        },
      };
      // Both pass. Security Hub refuses db-2 once by name; every later call carrying it is taken but
      // answered with an error (a response lost on the way back), so which of them landed is unknown.
      hub.injectImportFailure(asffFindingId(db('db-2')), { code: 'InternalException', times: 1 });
      let calls = 0;
      const lostAnswers = answering((input) => {
        if (!('Findings' in (input as object))) return;
        calls += 1;
        if (calls > 1) throw Object.assign(new Error('answer lost'), { name: 'ServiceUnavailableException' });
      });
      const passing = await publish(
        report([db('db-1', { status: 'PASSED' }), db('db-2', { status: 'PASSED' })], scopes),
        {
          on: lostAnswers,
          policy: monthly,
          store: racing,
        },
      );
      expect(passing.ledger).toMatchObject({ written: 1, problems: 0 });
      expect(passing.calls.ledgerWrite).toBe(merged ? 2 : 1);
      expect(passing.failed.map((failure) => failure.id)).toEqual([asffFindingId(db('db-2'))]);
      expect(held(asffFindingId(db('db-2')))[0]?.Compliance?.Status).toBe('PASSED');
      clock = new Date(T0.getTime() + 2 * HOUR);

      // Act: db-2 fails again, as the ledger last recorded it.
      const next = await publish(report([db('db-1', { status: 'PASSED' }), db('db-2')], scopes), {
        policy: monthly,
      });

      // Assess: Security Hub shows db-2 FAILED, not the PASSED of the import whose outcome was unknown.
      expect(next.ledger).toMatchObject({ used: 1, reconciled: 0 });
      expect(held(asffFindingId(db('db-2')))[0]?.Compliance?.Status).toBe('FAILED');
    },
  );

  it('reconciles in full when the ledger says it was reconciled later than this run’s clock', async () => {
    // Prepare: the ledger of a run whose clock was a year ahead; then db-1 is archived outside the product.
    const arn = productArn({ ...EU, partition: 'aws' });
    const finding = db('db-1');
    await publish(report([finding], scopes));
    const ahead = decodeLedger(await ledgerBytes(), { ...EU, productArn: arn });
    await overwriteLedger(
      encodeLedger({ ...ahead, reconciledAt: new Date(T0.getTime() + 365 * DAY).toISOString() }),
    );
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
            RecordState: 'ARCHIVED',
          },
        ],
      }),
    );
    client.destroy();
    clock = new Date(T0.getTime() + DAY);

    // Act
    const result = await publish(report([finding], scopes));

    // Assess: a ledger that cannot say how old it is is not trusted.
    expect(result.ledger).toMatchObject({ used: 0, reconciled: 1 });
    expect(result.counts.updated).toBe(1);
    expect(held(asffFindingId(finding))[0]?.RecordState).toBe('ACTIVE');
    expect(decodeLedger(await ledgerBytes(), { ...EU, productArn: arn }).reconciledAt).toBe(
      clock.toISOString(),
    );
  });

  it('archives the findings of a check turned off or removed alike with and without the ledger', async () => {
    // Prepare: a twin simulator that publishes without a ledger; day 0 runs pitr.retention and
    // pitr.cross-region, and an earlier version's pitr.copies; day 1 turns cross-region off, and
    // this version has no pitr.copies.
    const twin = await start();
    const twinHub = twin.sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE);
    const ran = (on: string[], off: string[]) => [
      { ...completeScope(ACCOUNT_A, 'eu-west-1'), checks: { on, off } },
    ];
    const catalog = new Set(['pitr.retention', 'pitr.cross-region']);
    const day0 = report(
      ['pitr.retention', 'pitr.cross-region', 'pitr.copies'].map((checkId) => db('db-1', { checkId })),
      ran(['pitr.retention', 'pitr.cross-region', 'pitr.copies'], []),
    );
    const day1 = report([db('db-1')], ran(['pitr.retention'], ['pitr.cross-region']));
    const both = async (audit: AuditReport): Promise<[PublishResult, PublishResult]> => [
      await publishToSecurityHub({
        report: audit,
        policy: policy(),
        factory,
        accounts: ACCOUNTS,
        now: () => clock,
        ledger: store,
        catalog,
      }),
      await publishToSecurityHub({
        report: audit,
        policy: policy(),
        factory: twin.factory,
        accounts: ACCOUNTS,
        now: () => clock,
        catalog,
      }),
    ];

    try {
      await both(day0);
      clock = new Date(T0.getTime() + DAY);

      // Act
      const [withLedger, without] = await both(day1);

      // Assess
      expect(withLedger.ledger.used).toBe(1);
      expect(withLedger.counts).toEqual(without.counts);
      expect(withLedger.counts).toMatchObject({ retired: 2, archived: 0, unchanged: 1, failed: 0 });
      const state = (findings: AwsSecurityFinding[]) =>
        findings.map((finding) => [finding.Id, finding.RecordState, finding.UpdatedAt]).sort();
      expect(state(hub.findings(ACCOUNT_A, 'eu-west-1'))).toEqual(
        state(twinHub.findings(ACCOUNT_A, 'eu-west-1')),
      );
      expect(held(asffFindingId(db('db-1', { checkId: 'pitr.copies' })))[0]?.RecordState).toBe('ARCHIVED');
    } finally {
      twin.factory.destroy();
      await twin.sim.close();
    }
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
    const readPerRun: [number, number][] = [];

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
        const read = (calls: typeof hub.calls) =>
          calls
            .filter((call) => call.operation === 'GetFindings')
            .reduce((sum, call) => sum + call.findings, 0);
        readPerRun.push([read(hub.calls), read(twinHub.calls)]);
      }

      // Assess
      for (const [withLedger, without] of importsPerRun) expect(withLedger).toEqual(without);
      expect(ledgerRuns.map((run) => run.counts)).toEqual(plainRuns.map((run) => run.counts));
      // Findings read back: the ledger's runs read what they archive and what changed since, not the hub.
      expect(readPerRun.reduce((sum, [withLedger]) => sum + withLedger, 0)).toBeLessThan(
        readPerRun.reduce((sum, [, without]) => sum + without, 0) / 4,
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
