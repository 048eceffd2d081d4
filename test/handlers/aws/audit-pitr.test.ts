/**
 * The `audit-pitr` Lambda: input validation, the audit and publication against the simulator with
 * the real SDK clients, the error a persistent import failure raises, and that the credentials'
 * secret never reaches a log line.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { AccountClient } from '@aws-sdk/client-account';
import { STSClient } from '@aws-sdk/client-sts';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsClientFactory } from '../../../functions/aws/clients.ts';
import { rdsPitrCollector } from '../../../functions/aws/rds.ts';
import { InputError, PolicyError } from '../../../functions/core/errors.ts';
import type { PitrFact } from '../../../functions/core/facts.ts';
import { loadFunctionPolicy, POLICY_ENV, parsePolicy } from '../../../functions/core/policy.ts';
import { auditHandler } from '../../../functions/handlers/aws/audit-handler.ts';
import {
  auditPitr,
  auditPitrWithEvidence,
  handler,
  parseAuditPitrInput,
} from '../../../functions/handlers/aws/audit-pitr.ts';
import { FindingsImportError } from '../../../functions/publish/security-hub/index.ts';
import { baseAccessKeyId } from '../../sim/accounts.ts';
import { loadScenario } from '../../sim/scenario.ts';
import { type Sim, startSim } from '../../sim/server.ts';
import { SECURITY_HUB_SERVICE, type SecurityHubSim } from '../../sim/services/security-hub.ts';

/** A secret access key that must never appear in any output. */
const CANARY_SECRET = 'CANARY-secret-7f3a9c-must-never-be-logged';

let sim: Sim;
let output: string[] = [];
const originalWrite = process.stdout.write;
const originalErrorWrite = process.stderr.write;

/** A fresh simulator per test: Security Hub starts empty each time. */
beforeEach(async () => {
  sim = await startSim({ scenario: await loadScenario('test/sim/scenarios/demo-aws.yaml') });
});

afterEach(async () => {
  restoreOutput();
  await sim.close();
});

/** Capture what Powertools writes (logs and EMF metrics on stdout, errors on stderr). */
function captureStdout(): void {
  output = [];
  const capture = ((chunk: string | Uint8Array) => {
    output.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
}

function restoreOutput(): void {
  process.stdout.write = originalWrite;
  process.stderr.write = originalErrorWrite;
}

function dependencies(policyInput: Parameters<typeof parsePolicy>[0] = {}) {
  const policy = parsePolicy(policyInput);
  return {
    policy,
    factory: new AwsClientFactory({
      maxAttempts: 2,
      credentials: { accessKeyId: baseAccessKeyId(), secretAccessKey: CANARY_SECRET },
      endpoint: sim.endpoint,
    }),
    logger: new Logger({ serviceName: 'audit-pitr' }),
    metrics: new Metrics({ namespace: 'CertctlBackupGuard', serviceName: 'audit-pitr' }),
    homeRegion: 'us-east-1',
  };
}

/** A policy that audits every enabled region. */
const ALL_REGIONS = parsePolicy({});

describe('parseAuditPitrInput', () => {
  it('accepts an absent or empty payload and a region list', () => {
    expect(parseAuditPitrInput(undefined, ALL_REGIONS)).toEqual({});
    expect(parseAuditPitrInput(null, ALL_REGIONS)).toEqual({});
    expect(parseAuditPitrInput({ regions: ['eu-west-1'], publish: false }, ALL_REGIONS)).toEqual({
      regions: ['eu-west-1'],
      publish: false,
    });
  });

  it('names the bad field when the schedule passes a wrong payload', () => {
    expect(() => parseAuditPitrInput({ regions: 'eu-west-1' }, ALL_REGIONS)).toThrow(InputError);
    expect(() => parseAuditPitrInput({ regions: 'eu-west-1' }, ALL_REGIONS)).toThrow(
      /audit-pitr input is invalid: regions:/,
    );
    expect(() => parseAuditPitrInput({ region: ['eu-west-1'] }, ALL_REGIONS)).toThrow(/region/);
  });

  it('says an EventBridge rule event is not the input it runs with, and what to pass, instead of listing its keys', () => {
    // Prepare: what an EventBridge rule on a schedule delivers when its target input is the event.
    const event = {
      version: '0',
      id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: '2026-12-04T15:00:00Z',
      region: 'eu-west-1',
      resources: ['arn:aws:events:eu-west-1:123456789012:rule/certctl-audit'],
      detail: {},
    };

    // Act
    const attempt = () => parseAuditPitrInput(event, ALL_REGIONS);

    // Assess
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(
      'audit-pitr input is an EventBridge event (source aws.events, detail-type "Scheduled Event"), not the input it runs with: an EventBridge rule that targets it must pass constant JSON (Input) such as {}, as the deployed EventBridge Scheduler schedule does',
    );
  });

  it('says an SNS notification is not the input it runs with, and what it takes, instead of "Unrecognized key: Records"', () => {
    // Prepare: what a Lambda subscribed to an SNS topic receives (one record per invocation).
    const event = {
      Records: [
        {
          EventSource: 'aws:sns',
          EventVersion: '1.0',
          EventSubscriptionArn:
            'arn:aws:sns:eu-west-1:123456789012:certctl-ops:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55',
          Sns: {
            Type: 'Notification',
            MessageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
            TopicArn: 'arn:aws:sns:eu-west-1:123456789012:certctl-ops',
            Subject: null,
            Message: '{}',
            Timestamp: '2026-12-04T15:00:00.000Z',
          },
        },
      ],
    };

    // Act
    const attempt = () => parseAuditPitrInput(event, ALL_REGIONS);

    // Assess
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(
      'audit-pitr input is an SNS notification (topic arn:aws:sns:eu-west-1:123456789012:certctl-ops), not the input it runs with: it takes a JSON object of its own fields (regions, publish), and a topic cannot send one (the function receives the notification itself); invoke it with that JSON directly or from an EventBridge Scheduler schedule (Input), as the deployed schedule does',
    );
  });

  it('refuses a region the policy does not list, naming it and the policy’s regions', () => {
    // Prepare
    const policy = parsePolicy({ aws: { regions: ['eu-west-1', 'us-east-1'] } });

    // Act
    const attempt = () => parseAuditPitrInput({ regions: ['eu-west-1', 'ap-south-1'] }, policy);

    // Assess
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(
      "audit-pitr input is invalid: regions: ap-south-1 not in the policy's aws.regions (eu-west-1, us-east-1); a run may only narrow the policy's regions",
    );
    expect(parseAuditPitrInput({ regions: ['us-east-1'] }, policy)).toEqual({ regions: ['us-east-1'] });
  });

  it('accepts any region name but refuses what is not one when the policy audits all regions', () => {
    // Act / Assess
    expect(parseAuditPitrInput({ regions: ['ap-south-1', 'us-gov-west-1'] }, ALL_REGIONS)).toEqual({
      regions: ['ap-south-1', 'us-gov-west-1'],
    });
    expect(() => parseAuditPitrInput({ regions: ['../etc'] }, ALL_REGIONS)).toThrow(
      'audit-pitr input is invalid: regions.0: must be an AWS region name such as eu-west-1',
    );
  });
});

describe('auditPitr', () => {
  it('audits, publishes and reports counts when the policy enables Security Hub', async () => {
    // Prepare
    const deps = dependencies({ securityHub: { enabled: true } });
    captureStdout();

    // Act
    const result = await auditPitr({}, deps);
    restoreOutput();

    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.counts.FAILED).toBeGreaterThan(0);
    expect(result.scopes).toEqual({ evaluated: 2, failed: [] });
    expect(result.published?.counts.created).toBe(
      result.counts.PASSED + result.counts.FAILED + result.counts.WARNING + result.counts.NOT_AVAILABLE,
    );
    expect(output.join('')).toContain('"message":"audit finished"');
    expect(output.join('')).not.toContain(CANARY_SECRET);
  });

  it('throws FindingsImportError after the rest landed when one finding keeps failing', async () => {
    // Prepare
    const deps = dependencies({ securityHub: { enabled: true } });
    const hub = sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE);
    const failing = 'certctl-backup-guard/pitr.lag/arn:aws:rds:us-east-1:111111111111:db:certctl-ocsp-db';
    hub.injectImportFailure(failing, { code: 'InternalException' });
    captureStdout();

    // Act
    const attempt = auditPitr({ regions: ['us-east-1'] }, deps);

    // Assess
    await expect(attempt).rejects.toThrow(FindingsImportError);
    await expect(attempt).rejects.toThrow(/1 finding\(s\) could not be imported/);
    restoreOutput();
    const stored = hub.findings('111111111111', 'us-east-1').map((finding) => finding.Id);
    expect(stored).not.toContain(failing);
    // Every other finding of us-east-1 landed: 3 databases x 5 checks, less pitr.lag of the
    // database with backups off (not applicable), less the one that kept failing.
    expect(stored.length).toBe(13);
    expect(output.join('')).toContain('findings not imported');
  });

  it('publishes every other finding and reports the run incomplete when its collector yields a database twice, read two ways', async () => {
    // Prepare: a collector defect yields certctl-ocsp-db twice, the second time with another retention.
    const deps = dependencies({ securityHub: { enabled: true } });
    const twice = async (reader: Parameters<typeof rdsPitrCollector>[0]) => {
      const facts = await rdsPitrCollector(reader);
      const fragile = facts.find((fact) => fact.resource.id === 'certctl-ocsp-db') as PitrFact;
      return [...facts, { ...fragile, retentionDays: 1 }];
    };
    const lambda = auditHandler({ service: 'audit-pitr', groups: ['pitr'], collectors: { pitr: twice } });
    captureStdout();

    // Act
    const result = await lambda.run({ regions: ['us-east-1'] }, deps);
    restoreOutput();

    // Assess: the three checks the second retention changes could not be evaluated; everything landed.
    expect(result.exitCode).toBe(2);
    expect(result.verdict).toBe(
      'the audit could not complete: 3 checks could not be evaluated on 1 database',
    );
    expect(result.counts.NOT_AVAILABLE).toBe(3);
    const total =
      result.counts.PASSED + result.counts.FAILED + result.counts.WARNING + result.counts.NOT_AVAILABLE;
    expect(result.published).toMatchObject({ counts: { created: total }, failedCount: 0 });
    expect(
      sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE).findings('111111111111', 'us-east-1'),
    ).toHaveLength(total);
    expect(output.join('')).toContain('"CheckErrors"');
  });

  it('logs each scope not evaluated and never the secret key when a region is down', async () => {
    // Prepare
    const deps = dependencies();
    sim.setFaults({ downRegions: ['eu-west-1'] });
    captureStdout();

    // Act
    const result = await auditPitr({}, deps);
    restoreOutput();

    // Assess
    expect(result.exitCode).toBe(2);
    expect(result.scopes.failed).toEqual(['aws/111111111111/eu-west-1/pitr']);
    expect(result.published).toBeUndefined();
    const logs = output.join('');
    expect(logs).toContain('scope not evaluated');
    expect(logs).not.toContain(CANARY_SECRET);
  });
});

describe('handler', () => {
  it('runs from the environment like Lambda does and emits the audit metrics', async () => {
    // Prepare: the default chain reads these, and SDK v3 honours AWS_ENDPOINT_URL.
    process.env.AWS_ENDPOINT_URL = sim.endpoint;
    process.env.AWS_ACCESS_KEY_ID = baseAccessKeyId();
    process.env.AWS_SECRET_ACCESS_KEY = CANARY_SECRET;
    process.env.AWS_REGION = 'us-east-1';
    process.env[POLICY_ENV] = JSON.stringify({ aws: { regions: ['eu-west-1', 'us-east-1'] } });
    const context = {
      functionName: 'audit-pitr',
      awsRequestId: 'req-1',
      getRemainingTimeInMillis: () => 60_000,
    };
    captureStdout();

    // Act
    try {
      const result = await handler({}, context as unknown as Context);
      restoreOutput();

      // Assess
      expect(result.exitCode).toBe(1);
      const emf = output
        .flatMap((chunk) => chunk.split('\n'))
        .filter((line) => line.includes('"_aws"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(emf.find((doc) => 'AuditRuns' in doc)).toMatchObject({ AuditRuns: 1, AuditCompleted: 1 });
      expect(output.join('')).not.toContain(CANARY_SECRET);
    } finally {
      restoreOutput();
      for (const name of [
        'AWS_ENDPOINT_URL',
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_REGION',
        POLICY_ENV,
      ]) {
        delete process.env[name];
      }
    }
  });
});

describe('auditHandler at init', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    for (const name of ['AWS_REGION', POLICY_ENV]) delete process.env[name];
  });

  it('makes the STS and Account clients every run of an all-Regions policy makes first, before any invocation', async () => {
    // Prepare
    process.env.AWS_REGION = 'eu-west-1';
    process.env[POLICY_ENV] = JSON.stringify({ aws: { regions: 'all' } });
    const made: string[] = [];
    const make = AwsClientFactory.prototype.client;
    vi.spyOn(AwsClientFactory.prototype, 'client').mockImplementation(function (
      this: AwsClientFactory,
      ctor,
      region,
      ...rest
    ) {
      made.push(`${ctor === STSClient ? 'STS' : ctor === AccountClient ? 'Account' : ctor.name}/${region}`);
      return make.call(this, ctor, region, ...rest);
    });
    // Act
    const lambda = auditHandler({ service: 'audit-pitr', groups: ['pitr'], collectors: {} });
    await lambda.ready;
    // Assess
    expect(made).toEqual(['STS/eu-west-1', 'Account/eu-west-1']);
  });

  it('makes no Account client at init for groups read at their places (dumps), whatever the Regions', async () => {
    // Prepare
    process.env.AWS_REGION = 'eu-west-1';
    process.env[POLICY_ENV] = JSON.stringify({ aws: { regions: 'all' } });
    const client = vi.spyOn(AwsClientFactory.prototype, 'client');
    // Act
    const lambda = auditHandler({ service: 'audit-dumps', groups: ['dumps'], collectors: {} });
    await lambda.ready;
    // Assess
    expect(client.mock.calls.map(([ctor]) => ctor)).not.toContain(AccountClient);
  });

  it('makes nothing at init when no policy is there, and leaves the failure to the first invocation', async () => {
    // Prepare
    const client = vi.spyOn(AwsClientFactory.prototype, 'client');
    // Act
    const lambda = auditHandler({ service: 'audit-pitr', groups: ['pitr'], collectors: {} });
    await lambda.ready;
    captureStdout();
    const attempt = lambda.runWithEvidence({}, () => loadFunctionPolicy({}) as never, lambda);
    await expect(attempt).rejects.toThrow(PolicyError);
    restoreOutput();
    // Assess
    expect(client).not.toHaveBeenCalled();
  });
});

/** The EMF documents among captured lines, and the structured log lines with `level`. */
function emitted(lines: readonly string[]): { emf: EmfDocument[]; logs: Record<string, unknown>[] } {
  const parsed = lines
    .join('')
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    emf: parsed.filter((entry) => '_aws' in entry) as unknown as EmfDocument[],
    logs: parsed.filter((entry) => 'level' in entry),
  };
}

interface EmfDocument {
  readonly _aws: { readonly CloudWatchMetrics: { readonly Metrics: { readonly Name: string }[] }[] };
  readonly [metric: string]: unknown;
}

describe('auditPitrWithEvidence', () => {
  function observability() {
    return {
      logger: new Logger({ serviceName: 'audit-pitr' }),
      metrics: new Metrics({ namespace: 'CertctlBackupGuard', serviceName: 'audit-pitr' }),
    };
  }

  it('logs one error line and records AuditRuns 1, AuditCompleted 0 when the event is bad', async () => {
    // Prepare
    const deps = dependencies();
    captureStdout();

    // Act
    const attempt = auditPitrWithEvidence({ regions: 'eu-west-1' }, () => deps, deps);
    await expect(attempt).rejects.toThrow(InputError);
    deps.metrics.publishStoredMetrics();
    restoreOutput();

    // Assess
    const { emf, logs } = emitted(output);
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'audit failed',
        error: {
          name: 'InputError',
          message: expect.stringMatching(/^audit-pitr input is invalid: regions:/),
        },
      }),
    ]);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ AuditRuns: 1, AuditCompleted: 0 });
  });

  it('logs the missing policy and records the failed run when no policy is configured', async () => {
    // Prepare
    const { logger, metrics } = observability();
    captureStdout();

    // Act
    const attempt = auditPitrWithEvidence(
      {},
      () => {
        loadFunctionPolicy({});
        throw new Error('unreachable');
      },
      { logger, metrics },
    );
    await expect(attempt).rejects.toThrow(PolicyError);
    metrics.publishStoredMetrics();
    restoreOutput();

    // Assess
    const { emf, logs } = emitted(output);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ level: 'ERROR', error: { name: 'PolicyError' } });
    expect(logs[0]?.error).toMatchObject({
      message: expect.stringMatching(/^no policy: set BACKUP_GUARD_POLICY_FILE/),
    });
    expect(emf[0]).toMatchObject({ AuditRuns: 1, AuditCompleted: 0 });
  });

  it('records the run once, with AuditCompleted 0, when findings keep failing to import', async () => {
    // Prepare
    const deps = dependencies({ aws: { regions: ['us-east-1'] }, securityHub: { enabled: true } });
    const hub = sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE);
    hub.injectImportFailure(
      'certctl-backup-guard/pitr.lag/arn:aws:rds:us-east-1:111111111111:db:certctl-ocsp-db',
      {
        code: 'InternalException',
      },
    );
    captureStdout();

    // Act
    const attempt = auditPitrWithEvidence({}, () => deps, deps);
    await expect(attempt).rejects.toThrow(FindingsImportError);
    deps.metrics.publishStoredMetrics();
    restoreOutput();

    // Assess
    const { emf, logs } = emitted(output);
    const runs = emf.filter((document) => 'AuditRuns' in document);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ AuditRuns: 1, AuditCompleted: 0, FindingsImportFailed: 1 });
    expect(logs.filter((entry) => entry.message === 'audit failed')).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        error: expect.objectContaining({ name: 'FindingsImportError' }),
      }),
    ]);
    expect(output.join('')).not.toContain(CANARY_SECRET);
  });
});
