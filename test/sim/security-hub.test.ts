import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  type BatchImportFindingsCommandOutput,
  GetFindingsCommand,
  type GetFindingsCommandInput,
  type Resource,
  SecurityHubClient,
  type SecurityHubServiceException,
} from '@aws-sdk/client-securityhub';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { simCredentials } from './accounts.ts';
import { type Sim, startSim } from './server.ts';
import { SECURITY_HUB_SERVICE, type SecurityHubSim } from './services/security-hub.ts';

const ACCOUNT = '111111111111';
const OTHER = '222222222222';
const DISABLED = '444444444444';
const REGION = 'eu-west-1';
const PRODUCT = `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`;
let clock = new Date('2026-11-21T12:00:00.000Z');

function finding(id: string, overrides: Partial<AwsSecurityFinding> = {}): AwsSecurityFinding {
  return {
    SchemaVersion: '2018-10-08',
    Id: id,
    ProductArn: PRODUCT,
    GeneratorId: 'certctl-backup-guard/pitr.retention',
    AwsAccountId: ACCOUNT,
    Types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
    CreatedAt: clock.toISOString(),
    UpdatedAt: clock.toISOString(),
    Severity: { Label: 'HIGH' },
    Title: `PITR retention: ${id}`,
    Description: 'Keeps 7 days; 30 are required.',
    Resources: [
      {
        Type: 'AwsRdsDbInstance',
        Id: `arn:aws:rds:${REGION}:${ACCOUNT}:db:${id}`,
        Partition: 'aws',
        Region: REGION,
      },
    ],
    Compliance: { Status: 'FAILED' },
    RecordState: 'ACTIVE',
    ProductFields: { checkId: 'pitr.retention' },
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<SecurityHubServiceException> {
  try {
    await promise;
  } catch (error) {
    return error as SecurityHubServiceException;
  }
  throw new Error('expected the call to fail');
}

describe('simulated Security Hub against the real SecurityHubClient', () => {
  let sim: Sim;
  let hub: SecurityHubSim;
  const clients: SecurityHubClient[] = [];

  function client(account = ACCOUNT, region = REGION): SecurityHubClient {
    const created = new SecurityHubClient({
      region,
      endpoint: sim.endpoint,
      credentials: simCredentials(account),
      maxAttempts: 1,
    });
    clients.push(created);
    return created;
  }

  async function all(input: GetFindingsCommandInput, account = ACCOUNT): Promise<AwsSecurityFinding[]> {
    return (await client(account).send(new GetFindingsCommand(input))).Findings ?? [];
  }

  /** One finding imported as given; any member or value the SDK's types would not allow is a cast. */
  async function importOne(sent: unknown): Promise<BatchImportFindingsCommandOutput> {
    return client().send(new BatchImportFindingsCommand({ Findings: [sent as AwsSecurityFinding] }));
  }

  /**
   * Imports `raw` as the request body: the SDK serializes only the members it knows, so a finding
   * with a member the model lacks can only be sent by replacing the body before it is signed.
   */
  async function importRaw(raw: unknown[]): Promise<BatchImportFindingsCommandOutput> {
    const sender = client();
    sender.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body?: unknown; headers: Record<string, string> };
        request.body = JSON.stringify({ Findings: raw });
        request.headers['content-length'] = String(Buffer.byteLength(request.body as string));
        return next(args);
      },
      { step: 'build', priority: 'low', name: 'rawBody' },
    );
    return sender.send(new BatchImportFindingsCommand({ Findings: [] }));
  }

  function errorCodes(answer: BatchImportFindingsCommandOutput): [string | undefined, string | undefined][] {
    return (answer.FailedFindings ?? []).map((failed) => [failed.Id, failed.ErrorCode]);
  }

  beforeAll(async () => {
    sim = await startSim({
      clock: () => clock,
      scenario: {
        accounts: [{ id: ACCOUNT }, { id: OTHER }, { id: DISABLED }],
        regions: [{ name: REGION }],
        services: {
          securityHub: {
            disabled: [{ account: DISABLED }],
            findings: [
              {
                Id: 'seeded-old',
                ProductArn: `arn:aws:securityhub:${REGION}:${OTHER}:product/${OTHER}/default`,
                GeneratorId: 'certctl-backup-guard/pitr.retention',
                AwsAccountId: OTHER,
                CreatedAt: '-30d',
                UpdatedAt: '-8d',
                Title: 'seeded',
                Compliance: { Status: 'FAILED' },
              },
            ],
          },
        },
      },
    });
    hub = sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE);
  });

  afterEach(() => {
    hub.clearImportFailures();
  });

  afterAll(async () => {
    for (const created of clients) created.destroy();
    await sim.close();
  });

  it('creates a finding with Workflow NEW and the service-added fields when the Id is new', async () => {
    // Act
    const answer = await client().send(new BatchImportFindingsCommand({ Findings: [finding('create-1')] }));

    // Assess
    expect(answer).toMatchObject({ SuccessCount: 1, FailedCount: 0, FailedFindings: [] });
    const [stored] = await all({ Filters: { Id: [{ Value: 'create-1', Comparison: 'EQUALS' }] } });
    expect(stored).toMatchObject({
      Id: 'create-1',
      Region: REGION,
      RecordState: 'ACTIVE',
      Workflow: { Status: 'NEW' },
      ProductFields: { checkId: 'pitr.retention', 'aws/securityhub/ProductName': 'Default' },
      FindingProviderFields: { Severity: { Label: 'HIGH' } },
    });
  });

  it('ignores an update whose UpdatedAt is not newer when the Id exists', async () => {
    // Prepare
    await client().send(new BatchImportFindingsCommand({ Findings: [finding('stale-1')] }));

    // Act
    const answer = await client().send(
      new BatchImportFindingsCommand({ Findings: [finding('stale-1', { Title: 'changed but not newer' })] }),
    );

    // Assess
    expect(answer.SuccessCount).toBe(1);
    expect(hub.findings(ACCOUNT, REGION).find((f) => f.Id === 'stale-1')?.Title).toBe(
      'PITR retention: stale-1',
    );
  });

  it('answers 200 with FailedFindings for invalid findings while the valid ones land', async () => {
    // Prepare
    const findings = [
      finding('valid-1'),
      finding('no-title', { Title: undefined }),
      finding('bad-schema', { SchemaVersion: '2020-01-01' }),
      finding('no-resources', { Resources: [] }),
    ];

    // Act
    const answer = await client().send(new BatchImportFindingsCommand({ Findings: findings }));

    // Assess
    expect(answer.SuccessCount).toBe(1);
    expect(answer.FailedCount).toBe(3);
    expect(answer.FailedFindings?.map((failed) => [failed.Id, failed.ErrorCode])).toEqual([
      ['no-title', 'InvalidInput'],
      ['bad-schema', 'InvalidInput'],
      ['no-resources', 'InvalidInput'],
    ]);
    expect(answer.FailedFindings?.[0]?.ErrorMessage).toMatch(
      /does not adhere to Amazon Security Finding Format/,
    );
    expect(hub.findings(ACCOUNT, REGION).map((f) => f.Id)).toContain('valid-1');
  });

  it('refuses the call with AccessDeniedException when a finding names another account', async () => {
    // Act
    const error = await rejection(
      client(OTHER).send(new BatchImportFindingsCommand({ Findings: [finding('foreign-1')] })),
    );

    // Assess
    expect(error.name).toBe('AccessDeniedException');
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(hub.findings(OTHER, REGION).map((f) => f.Id)).not.toContain('foreign-1');
  });

  it('refuses more than 100 findings in one call with InvalidInputException', async () => {
    // Prepare
    const findings = Array.from({ length: 101 }, (_, index) => finding(`bulk-${index}`));

    // Act
    const error = await rejection(client().send(new BatchImportFindingsCommand({ Findings: findings })));

    // Assess
    expect(error.name).toBe('InvalidInputException');
    expect(hub.findings(ACCOUNT, REGION).map((f) => f.Id)).not.toContain('bulk-0');
  });

  it('answers InvalidAccess per finding when Security Hub is not enabled in the account', async () => {
    // Prepare
    const product = `arn:aws:securityhub:${REGION}:${DISABLED}:product/${DISABLED}/default`;

    // Act
    const answer = await client(DISABLED).send(
      new BatchImportFindingsCommand({
        Findings: [finding('off-1', { AwsAccountId: DISABLED, ProductArn: product })],
      }),
    );

    // Assess
    expect(answer.FailedFindings?.[0]).toMatchObject({ Id: 'off-1', ErrorCode: 'InvalidAccess' });
  });

  it('resets Workflow to NEW when a resolved finding fails again, and keeps the customer workflow otherwise', async () => {
    // Prepare
    await client().send(new BatchImportFindingsCommand({ Findings: [finding('regress-1')] }));
    hub.setWorkflowStatus(ACCOUNT, REGION, 'regress-1', 'NOTIFIED');
    clock = new Date(clock.getTime() + 60_000);
    await client().send(
      new BatchImportFindingsCommand({
        Findings: [
          finding('regress-1', {
            Compliance: { Status: 'PASSED' },
            UpdatedAt: clock.toISOString(),
            Workflow: { Status: 'SUPPRESSED' },
          }),
        ],
      }),
    );
    const afterPass = hub.findings(ACCOUNT, REGION).find((f) => f.Id === 'regress-1');
    hub.setWorkflowStatus(ACCOUNT, REGION, 'regress-1', 'RESOLVED');
    clock = new Date(clock.getTime() + 60_000);

    // Act
    await client().send(
      new BatchImportFindingsCommand({
        Findings: [finding('regress-1', { UpdatedAt: clock.toISOString() })],
      }),
    );

    // Assess
    expect(afterPass?.Workflow?.Status).toBe('NOTIFIED');
    expect(afterPass?.Compliance?.Status).toBe('PASSED');
    const [reopened] = await all({
      Filters: {
        WorkflowStatus: [{ Value: 'NEW', Comparison: 'EQUALS' }],
        Id: [{ Value: 'regress-1', Comparison: 'EQUALS' }],
      },
    });
    expect(reopened).toMatchObject({ Compliance: { Status: 'FAILED' }, Workflow: { Status: 'NEW' } });
  });

  it('resets Workflow to NEW when an archived finding becomes ACTIVE again', async () => {
    // Prepare
    await client().send(
      new BatchImportFindingsCommand({ Findings: [finding('revive-1', { RecordState: 'ARCHIVED' })] }),
    );
    hub.setWorkflowStatus(ACCOUNT, REGION, 'revive-1', 'RESOLVED');
    clock = new Date(clock.getTime() + 60_000);

    // Act
    await client().send(
      new BatchImportFindingsCommand({ Findings: [finding('revive-1', { UpdatedAt: clock.toISOString() })] }),
    );

    // Assess
    expect(hub.findings(ACCOUNT, REGION).find((f) => f.Id === 'revive-1')).toMatchObject({
      RecordState: 'ACTIVE',
      Workflow: { Status: 'NEW' },
    });
  });

  it('fails an injected Id the given number of times and then accepts it', async () => {
    // Prepare
    hub.injectImportFailure('flaky-1', { code: 'InternalException', times: 1 });

    // Act
    const first = await client().send(
      new BatchImportFindingsCommand({ Findings: [finding('flaky-1'), finding('steady-1')] }),
    );
    const second = await client().send(new BatchImportFindingsCommand({ Findings: [finding('flaky-1')] }));

    // Assess
    expect(first.FailedFindings).toEqual([
      { Id: 'flaky-1', ErrorCode: 'InternalException', ErrorMessage: 'Internal service error' },
    ]);
    expect(first.SuccessCount).toBe(1);
    expect(second).toMatchObject({ SuccessCount: 1, FailedCount: 0 });
  });

  it('refuses every call carrying an injected Id the given number of times, storing none of it, then accepts it', async () => {
    // Prepare
    hub.injectCallFailure('refused-1', { times: 1 });

    // Act
    const refused = await rejection(
      client().send(
        new BatchImportFindingsCommand({ Findings: [finding('refused-1'), finding('beside-1')] }),
      ),
    );
    const heldAfterRefusal = hub.findings(ACCOUNT, REGION).map((f) => f.Id);
    const accepted = await client().send(
      new BatchImportFindingsCommand({ Findings: [finding('refused-1')] }),
    );

    // Assess
    expect(refused.name).toBe('InvalidInputException');
    expect(refused.$metadata.httpStatusCode).toBe(400);
    expect(heldAfterRefusal).not.toContain('refused-1');
    expect(heldAfterRefusal).not.toContain('beside-1');
    expect(accepted).toMatchObject({ SuccessCount: 1, FailedCount: 0 });
  });

  it('filters on ProductArn, GeneratorId, ComplianceStatus and RecordState when asked', async () => {
    // Prepare
    await client().send(
      new BatchImportFindingsCommand({
        Findings: [
          finding('filter-pass', { Compliance: { Status: 'PASSED' } }),
          finding('filter-archived', { RecordState: 'ARCHIVED' }),
          finding('filter-other-gen', { GeneratorId: 'someone-else/check' }),
        ],
      }),
    );

    // Act
    const ours = await all({
      Filters: {
        ProductArn: [{ Value: PRODUCT, Comparison: 'EQUALS' }],
        GeneratorId: [{ Value: 'certctl-backup-guard/', Comparison: 'PREFIX' }],
        Id: [{ Value: 'filter-', Comparison: 'PREFIX' }],
      },
    });
    const passed = await all({
      Filters: {
        ComplianceStatus: [{ Value: 'PASSED', Comparison: 'EQUALS' }],
        Id: [{ Value: 'filter-', Comparison: 'PREFIX' }],
      },
    });
    const active = await all({
      Filters: {
        RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }],
        Id: [{ Value: 'filter-', Comparison: 'PREFIX' }],
        GeneratorId: [{ Value: 'certctl-backup-guard/pitr.retention', Comparison: 'EQUALS' }],
      },
    });

    // Assess
    expect(ours.map((f) => f.Id).sort()).toEqual(['filter-archived', 'filter-pass']);
    expect(passed.map((f) => f.Id)).toEqual(['filter-pass']);
    expect(active.map((f) => f.Id)).toEqual(['filter-pass']);
  });

  it('filters on Description with PREFIX, ANDed with the other fields', async () => {
    // Prepare
    await client().send(
      new BatchImportFindingsCommand({
        Findings: [
          finding('described-kept', {
            Description: 'Not re-evaluated since then: down.',
            Compliance: { Status: 'PASSED' },
          }),
          finding('described-failed', { Description: 'Not re-evaluated since then: down.' }),
          finding('described-other', { Description: 'db keeps 30 days', Compliance: { Status: 'PASSED' } }),
        ],
      }),
    );

    // Act
    const kept = await all({
      Filters: {
        Description: [{ Value: 'Not re-evaluated since ', Comparison: 'PREFIX' }],
        ComplianceStatus: [{ Value: 'PASSED', Comparison: 'EQUALS' }],
        Id: [{ Value: 'described-', Comparison: 'PREFIX' }],
      },
    });

    // Assess
    expect(kept.map((f) => f.Id)).toEqual(['described-kept']);
  });

  it('pages with NextToken at MaxResults 100 and refuses MaxResults over 100', async () => {
    // Prepare
    const findings = Array.from({ length: 250 }, (_, index) =>
      finding(`page-${String(index).padStart(3, '0')}`),
    );
    for (let start = 0; start < findings.length; start += 100) {
      await client().send(new BatchImportFindingsCommand({ Findings: findings.slice(start, start + 100) }));
    }
    const filters = { Id: [{ Value: 'page-', Comparison: 'PREFIX' as const }] };

    // Act
    const pages: number[] = [];
    let token: string | undefined;
    do {
      const page = await client().send(
        new GetFindingsCommand({ Filters: filters, MaxResults: 100, NextToken: token }),
      );
      pages.push(page.Findings?.length ?? 0);
      token = page.NextToken;
    } while (token);
    const error = await rejection(
      client().send(new GetFindingsCommand({ Filters: filters, MaxResults: 101 })),
    );

    // Assess
    expect(pages).toEqual([100, 100, 50]);
    expect(error.name).toBe('InvalidInputException');
  });

  it('keeps findings per account and serves scenario-seeded ones with times relative to the clock', async () => {
    // Act
    const seen = await all({}, OTHER);

    // Assess
    expect(seen.map((f) => f.Id)).toEqual(['seeded-old']);
    expect(Date.parse(seen[0]?.UpdatedAt ?? '')).toBeLessThan(clock.getTime() - 7 * 24 * 3600 * 1000);
    expect(seen[0]?.Workflow?.Status).toBe('NEW');
  });

  it('rejects a finding with a member the model does not have, at top level or nested', async () => {
    // Prepare
    const topLevel = { ...finding('unknown-top'), Colour: 'red' };
    const nested = finding('unknown-nested');
    const [resource] = nested.Resources ?? [];
    const withNested = { ...nested, Resources: [{ ...resource, Colour: 'red' }] };

    // Act
    const answer = await importRaw([topLevel, withNested, finding('known-only')]);

    // Assess
    expect(errorCodes(answer)).toEqual([
      ['unknown-top', 'InvalidInput'],
      ['unknown-nested', 'InvalidInput'],
    ]);
    expect(answer.FailedFindings?.[0]?.ErrorMessage).toContain("additional properties ('Colour')");
    expect(answer.FailedFindings?.[1]?.ErrorMessage).toContain(
      "data.Resources[0] should NOT have additional properties ('Colour')",
    );
    expect(answer.SuccessCount).toBe(1);
  });

  it('rejects enum values outside the model when Workflow, VerificationState or Partition is unknown', async () => {
    // Prepare
    const [resource] = finding('x').Resources ?? [];
    const findings = [
      { ...finding('enum-workflow'), Workflow: { Status: 'DONE' } },
      { ...finding('enum-verification'), VerificationState: 'MAYBE' },
      { ...finding('enum-partition'), Resources: [{ ...resource, Partition: 'aws-mars' }] },
    ] as unknown as AwsSecurityFinding[];

    // Act
    const answer = await client().send(new BatchImportFindingsCommand({ Findings: findings }));

    // Assess
    expect(errorCodes(answer)).toEqual([
      ['enum-workflow', 'InvalidInput'],
      ['enum-verification', 'InvalidInput'],
      ['enum-partition', 'InvalidInput'],
    ]);
    expect(answer.FailedFindings?.[0]?.ErrorMessage).toContain(
      'data.Workflow.Status should be equal to one of the allowed values (NEW, NOTIFIED, RESOLVED, SUPPRESSED)',
    );
  });

  it('rejects a timestamp in a format the API reference does not list', async () => {
    // Prepare
    const formats = [
      '2026-11-21',
      'Sat, 21 Nov 2026 12:00:00 GMT',
      '2026-11-21 12:00:00Z',
      '2026-11-21T12:00:00',
      '2026-11-21T12:00:00.1234567891Z',
      '2026-11-21T12:00:00+19:00',
      '2026-02-30T12:00:00Z',
    ];
    const findings = formats.map((at, index) => finding(`time-bad-${index}`, { CreatedAt: at }));

    // Act
    const answer = await client().send(new BatchImportFindingsCommand({ Findings: findings }));

    // Assess
    expect(answer.FailedCount).toBe(formats.length);
    expect(answer.FailedFindings?.every((failed) => failed.ErrorCode === 'InvalidInput')).toBe(true);
    expect(answer.FailedFindings?.[0]?.ErrorMessage).toContain(
      'data.CreatedAt should match format "date-time"',
    );
  });

  it('accepts every timestamp format the API reference lists and orders updates by the instant', async () => {
    // Prepare
    const formats = [
      '2019-01-31T23:00:00Z',
      '2019-01-31T23:00:00.123456789Z',
      '2024-01-04T15:25:10+17:59',
      '2024-01-04T15:25:10-1759',
      '2024-01-04T15:25:10.123456789+17:59',
      // "Timestamps can end with Z or ("+" / "-") time-hour [":" time-minute]", and a leap second.
      '2024-01-04T15:25:10+17',
      '2016-12-31T23:59:60Z',
    ];
    const findings = formats.map((at, index) => finding(`time-ok-${index}`, { CreatedAt: at }));
    await client().send(new BatchImportFindingsCommand({ Findings: [finding('time-order')] }));
    // One hour later than the stored UpdatedAt, written with a -01:00 offset that reads earlier.
    const later = new Date(clock.getTime() + 3_600_000);
    const laterWithOffset = `${new Date(later.getTime() - 3_600_000).toISOString().slice(0, 19)}-01:00`;

    // Act
    const answer = await client().send(new BatchImportFindingsCommand({ Findings: findings }));
    await importOne(finding('time-order', { UpdatedAt: laterWithOffset, Title: 'updated later' }));

    // Assess
    expect(answer).toMatchObject({ SuccessCount: formats.length, FailedCount: 0 });
    expect(hub.findings(ACCOUNT, REGION).find((f) => f.Id === 'time-order')?.Title).toBe('updated later');
  });

  it('rejects a number outside its range when Confidence is 101 or Criticality is -1', async () => {
    // Act
    const answer = await client().send(
      new BatchImportFindingsCommand({
        Findings: [
          finding('confidence-101', { Confidence: 101 }),
          finding('criticality-neg', { Criticality: -1 }),
          finding('confidence-100', { Confidence: 100, Criticality: 0 }),
        ],
      }),
    );

    // Assess
    expect(errorCodes(answer)).toEqual([
      ['confidence-101', 'InvalidInput'],
      ['criticality-neg', 'InvalidInput'],
    ]);
    expect(answer.FailedFindings?.[0]?.ErrorMessage).toContain('data.Confidence should be <= 100');
  });

  it('rejects a string over its documented length when Resource.Type is 257 characters', async () => {
    // Prepare
    const [resource] = finding('x').Resources as [Resource];

    // Act
    const answer = await importOne(
      finding('long-type', { Resources: [{ ...resource, Type: 'T'.repeat(257) }] }),
    );

    // Assess
    expect(errorCodes(answer)).toEqual([['long-type', 'InvalidInput']]);
    expect(answer.FailedFindings?.[0]?.ErrorMessage).toContain(
      'data.Resources[0].Type should NOT be longer than 256 characters',
    );
  });

  it('rejects a blank ProductFields value or key when a map value must be a non-empty string', async () => {
    // Act
    const answer = await client().send(
      new BatchImportFindingsCommand({
        Findings: [
          finding('blank-value', { ProductFields: { 'observed/replicatedTo': '' } }),
          finding('blank-key', { ProductFields: { ' ': 'x' } }),
        ],
      }),
    );

    // Assess
    expect(errorCodes(answer)).toEqual([
      ['blank-value', 'InvalidInput'],
      ['blank-key', 'InvalidInput'],
    ]);
    expect(answer.FailedFindings?.[0]?.ErrorMessage).toContain("data.ProductFields['observed/replicatedTo']");
  });

  it('accepts Severity and Types only in FindingProviderFields and shows them at top level', async () => {
    // Prepare
    const providerOnly = finding('provider-only', {
      Severity: undefined,
      Types: undefined,
      FindingProviderFields: {
        Severity: { Label: 'CRITICAL' },
        Types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
      },
    });

    // Act
    const answer = await importOne(providerOnly);
    const missing = await importOne(finding('no-severity', { Severity: undefined }));

    // Assess
    expect(answer).toMatchObject({ SuccessCount: 1, FailedCount: 0 });
    expect(hub.findings(ACCOUNT, REGION).find((f) => f.Id === 'provider-only')).toMatchObject({
      Severity: { Label: 'CRITICAL' },
      Types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
    });
    expect(errorCodes(missing)).toEqual([['no-severity', 'InvalidInput']]);
  });

  it('refuses the whole call with InvalidInputException when a finding has no Id to report it by', async () => {
    // Act
    const error = await rejection(importOne(finding('x', { Id: undefined })));
    const blank = await rejection(importOne(finding(' ')));

    // Assess
    expect(error.name).toBe('InvalidInputException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(blank.name).toBe('InvalidInputException');
  });

  it('answers throttling with LimitExceededException and HTTP 429 when the operation is throttled', async () => {
    // Prepare
    sim.setFaults({ throttleRate: 1, services: [SECURITY_HUB_SERVICE] });

    // Act
    const importError = await rejection(importOne(finding('throttled-1')));
    const readError = await rejection(all({}));
    sim.setFaults({});

    // Assess
    expect(importError.name).toBe('LimitExceededException');
    expect(importError.$metadata.httpStatusCode).toBe(429);
    expect(readError.name).toBe('LimitExceededException');
  });

  it('refuses GetFindings comparisons the API does not have', async () => {
    // Prepare
    const refused: GetFindingsCommandInput['Filters'][] = [
      { ProductFields: [{ Key: 'checkId', Value: 'pitr.', Comparison: 'PREFIX' as 'EQUALS' }] },
      { ProductFields: [{ Key: 'checkId', Value: 'pitr', Comparison: 'CONTAINS' }] },
      { Title: [{ Value: 'PITR', Comparison: 'CONTAINS_WORD' }] },
      { Title: [{ Value: 'PITR', Comparison: 'SOUNDS_LIKE' as 'EQUALS' }] },
    ];

    // Act
    const errors = await Promise.all(refused.map((Filters) => rejection(all({ Filters }))));

    // Assess
    expect(errors.map((error) => error.name)).toEqual(refused.map(() => 'InvalidInputException'));
    expect(errors[0]?.message).toContain(
      'ProductFields[0].Comparison should be equal to one of the allowed values',
    );
  });

  it('refuses GetFindings combinations the API reference forbids on one field', async () => {
    // Prepare
    const refused: GetFindingsCommandInput['Filters'][] = [
      {
        Id: [
          { Value: 'a', Comparison: 'EQUALS' },
          { Value: 'b', Comparison: 'NOT_EQUALS' },
        ],
      },
      {
        Id: [
          { Value: 'a', Comparison: 'EQUALS' },
          { Value: 'b', Comparison: 'PREFIX_NOT_EQUALS' },
        ],
      },
      {
        Title: [
          { Value: 'a', Comparison: 'CONTAINS' },
          { Value: 'b', Comparison: 'PREFIX' },
        ],
      },
      {
        ProductFields: [
          { Key: 'checkId', Value: 'a', Comparison: 'EQUALS' },
          { Key: 'checkId', Value: 'b', Comparison: 'NOT_EQUALS' },
        ],
      },
    ];

    // Act
    const errors = await Promise.all(refused.map((Filters) => rejection(all({ Filters }))));
    const allowed = await all({
      Filters: {
        Id: [
          { Value: 'filter-', Comparison: 'PREFIX' },
          { Value: 'filter-pass', Comparison: 'NOT_EQUALS' },
        ],
      },
    });

    // Assess
    expect(errors.map((error) => error.name)).toEqual(refused.map(() => 'InvalidInputException'));
    expect(errors[0]?.message).toContain('cannot combine EQUALS and NOT_EQUALS');
    expect(allowed.map((f) => f.Id)).not.toContain('filter-pass');
  });

  it('refuses more than 10 filter attributes or 20 values for one attribute', async () => {
    // Prepare
    const names = ['Id', 'GeneratorId', 'ProductArn', 'AwsAccountId', 'Region', 'Title', 'RecordState'];
    const more = ['ComplianceStatus', 'WorkflowStatus', 'SeverityLabel', 'ProductName'];
    const eleven = Object.fromEntries(
      [...names, ...more].map((name) => [name, [{ Value: 'x', Comparison: 'NOT_EQUALS' as const }]]),
    );
    const twentyOne = {
      Id: Array.from({ length: 21 }, (_, index) => ({ Value: `id-${index}`, Comparison: 'EQUALS' as const })),
    };

    // Act
    const tooManyAttributes = await rejection(all({ Filters: eleven }));
    const tooManyValues = await rejection(all({ Filters: twentyOne }));

    // Assess
    expect(tooManyAttributes.name).toBe('InvalidInputException');
    expect(tooManyValues.name).toBe('InvalidInputException');
    expect(tooManyValues.message).toContain('at most 20');
  });

  it('counts GetFindings and BatchImportFindings per operation in the simulator stats', () => {
    // Act
    const stats = sim.stats();

    // Assess
    expect(stats.byOperation[`${SECURITY_HUB_SERVICE}:BatchImportFindings`]).toBeGreaterThan(0);
    expect(stats.byOperation[`${SECURITY_HUB_SERVICE}:GetFindings`]).toBeGreaterThan(0);
  });
});
