/**
 * The dumps audit end to end through the job runner, with the real `@aws-sdk/client-s3`,
 * `@google-cloud/storage` and Security Hub clients against the simulator: the `audit-dumps` Lambda
 * and the `auditDumps` Cloud Function, the findings they publish (the bucket as the resource, one
 * finding per check and location), and the scope-safe lifecycle over later runs.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import type { DumpsPolicyInput } from '../../functions/core/dumps-policy.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { withCloudStorage } from '../../functions/gcp/storage-client.ts';
import { auditDumps } from '../../functions/handlers/aws/audit-dumps.ts';
import { auditDumpsGcp } from '../../functions/handlers/gcp/audit-dumps.ts';
import { dumpsScenario, gcpPolicy, PROJECT } from '../gcp/sim-setup.ts';
import { baseAccessKeyId } from '../sim/accounts.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { SECURITY_HUB_SERVICE, type SecurityHubSim } from '../sim/services/security-hub.ts';
import { cloudFunctionDependencies, lambdaDependencies, storedFindings } from './support.ts';

const ACCOUNT = '111111111111';
const CANARY_SECRET = 'CANARY-dumps-secret-0b1d-never-logged';
const HEALTHY = {
  provider: 'aws',
  bucket: 'certctl-dumps',
  prefix: 'prod/',
  account: ACCOUNT,
  region: 'eu-west-1',
} as const;
const EMPTY_PREFIX = { ...HEALTHY, prefix: 'staging/' } as const;
const LEGACY = { ...HEALTHY, bucket: 'certctl-dumps-legacy', region: 'us-east-2' } as const;
const ARCHIVED = { ...HEALTHY, bucket: 'certctl-dumps-archived' } as const;

let sim: Sim;
let factories: AwsClientFactory[] = [];

afterEach(async () => {
  for (const factory of factories) factory.destroy();
  factories = [];
  await sim.close();
});

async function start(): Promise<SecurityHubSim> {
  sim = await startSim({ scenario: await dumpsScenario() });
  return sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE);
}

function lambdaDeps(locations: DumpsPolicyInput['locations']) {
  const factory = new AwsClientFactory({
    maxAttempts: 2,
    credentials: { accessKeyId: baseAccessKeyId(), secretAccessKey: CANARY_SECRET },
    endpoint: sim.endpoint,
  });
  factories.push(factory);
  return lambdaDependencies(
    'audit-dumps',
    parsePolicy({ aws: { regions: ['eu-west-1'] }, securityHub: { enabled: true }, dumps: { locations } }),
    factory,
  );
}

/** Stored dumps findings by ProductFields resource id and check, with their status and record state. */
const stored = (hub: SecurityHubSim, region: string) => storedFindings(hub, ACCOUNT, region, 'dumps');

describe('audit-dumps Lambda', () => {
  it('publishes one finding per check and location with the bucket as an AwsS3Bucket resource', async () => {
    // Prepare
    const hub = await start();
    // Act
    const result = await auditDumps({}, lambdaDeps([HEALTHY, EMPTY_PREFIX, LEGACY]));
    // Assess
    expect(result.scopes).toEqual({ evaluated: 2, failed: [] });
    expect(result.published?.counts.created).toBe(12);
    const ireland = stored(hub, 'eu-west-1');
    const ohio = stored(hub, 'us-east-2');
    const status = (findings: Map<string, AwsSecurityFinding>, key: string) =>
      findings.get(key)?.Compliance?.Status;
    for (const check of ['dumps.fresh', 'dumps.retention', 'dumps.integrity', 'dumps.protection']) {
      expect(status(ireland, `certctl-dumps/prod/ ${check}`), check).toBe('PASSED');
      expect(status(ohio, `certctl-dumps-legacy/prod/ ${check}`), check).toBe('FAILED');
    }
    // An empty prefix has no dump at all: never PASSED.
    expect(status(ireland, 'certctl-dumps/staging/ dumps.fresh')).toBe('FAILED');
    const prod = ireland.get('certctl-dumps/prod/ dumps.fresh');
    const staging = ireland.get('certctl-dumps/staging/ dumps.fresh');
    expect(prod?.Id).not.toBe(staging?.Id);
    expect(prod?.Resources).toEqual([
      { Type: 'AwsS3Bucket', Id: 'arn:aws:s3:::certctl-dumps', Partition: 'aws', Region: 'eu-west-1' },
    ]);
  });

  it('judges an archived newest dump’s protection from one HeadObject, while fresh and integrity say it is archived', async () => {
    // Prepare
    const hub = await start();
    sim.resetStats();
    // Act
    const result = await auditDumps({}, lambdaDeps([ARCHIVED]));
    // Assess: before, protection was NOT_AVAILABLE on every run under the customer-managed default.
    expect(result.scopes).toEqual({ evaluated: 1, failed: [] });
    const findings = stored(hub, 'eu-west-1');
    const finding = (check: string) => findings.get(`certctl-dumps-archived/prod/ ${check}`);
    expect(finding('dumps.protection')?.Compliance?.Status).toBe('PASSED');
    for (const check of ['dumps.fresh', 'dumps.integrity']) {
      expect(finding(check)?.Compliance?.Status, check).toBe('NOT_AVAILABLE');
      expect(finding(check)?.Description, check).toContain('it is archived in storage class DEEP_ARCHIVE');
    }
    const calls = sim.stats().byOperation;
    expect(calls['s3:HeadObject']).toBe(1);
    expect(calls['s3:GetObject']).toBe(2);
  });

  it('archives the findings of a prefix dropped from the policy and keeps the rest when its scope ran again', async () => {
    // Prepare
    const hub = await start();
    await auditDumps({}, lambdaDeps([HEALTHY, EMPTY_PREFIX, LEGACY]));
    // Act
    const second = await auditDumps({}, lambdaDeps([HEALTHY, LEGACY]));
    // Assess
    expect(second.published?.counts.archived).toBe(4);
    const ireland = stored(hub, 'eu-west-1');
    expect(ireland.get('certctl-dumps/staging/ dumps.fresh')?.RecordState).toBe('ARCHIVED');
    expect(ireland.get('certctl-dumps/prod/ dumps.fresh')?.RecordState).toBe('ACTIVE');
  });

  it('leaves another region’s dump findings untouched when the run is narrowed to one region', async () => {
    // Prepare
    const hub = await start();
    await auditDumps({}, lambdaDeps([HEALTHY, LEGACY]));
    const before = stored(hub, 'us-east-2').get('certctl-dumps-legacy/prod/ dumps.fresh');
    // Act
    const narrowed = await auditDumps({ regions: ['eu-west-1'] }, lambdaDeps([HEALTHY]));
    // Assess
    expect(narrowed.scopes.evaluated).toBe(1);
    const after = stored(hub, 'us-east-2').get('certctl-dumps-legacy/prod/ dumps.fresh');
    expect(after?.RecordState).toBe('ACTIVE');
    expect(after?.UpdatedAt).toBe(before?.UpdatedAt);
  });

  it('publishes a redirected bucket’s findings where its scope and grants are, naming the bucket’s own region as the resource’s', async () => {
    // Prepare: the policy places the legacy bucket in eu-west-1; S3 redirects to us-east-2.
    const hub = await start();
    const misplaced = { ...LEGACY, region: 'eu-west-1' } as const;
    // Act
    const result = await auditDumps({}, lambdaDeps([misplaced]));
    // Assess: before, the findings were imported into us-east-2's Security Hub, a region where the
    // role's BatchImportFindings grant (the policy's regions) does not reach.
    expect(result.scopes).toEqual({ evaluated: 1, failed: [] });
    expect(stored(hub, 'us-east-2').size).toBe(0);
    const findings = stored(hub, 'eu-west-1');
    expect(findings.size).toBe(4);
    for (const finding of findings.values()) {
      expect(finding.ProductArn).toBe(`arn:aws:securityhub:eu-west-1:${ACCOUNT}:product/${ACCOUNT}/default`);
      expect(finding.Resources).toEqual([
        {
          Type: 'AwsS3Bucket',
          Id: 'arn:aws:s3:::certctl-dumps-legacy',
          Partition: 'aws',
          Region: 'us-east-2',
        },
      ]);
      expect(finding.ProductFields).toMatchObject({ region: 'us-east-2', 'scope/region': 'eu-west-1' });
      expect(finding.Description).toContain('S3 says the bucket is in us-east-2, not eu-west-1');
    }
    // The next run settles them with their scope: a second run re-imports, nothing is orphaned.
    const second = await auditDumps({}, lambdaDeps([misplaced]));
    expect(second.published?.counts).toMatchObject({ created: 0, archived: 0 });
    expect(stored(hub, 'us-east-2').size).toBe(0);
  });

  // Changed deliberately: a region down (S3's 503 until the retries ran out) says nothing of the
  // location, so its scope fails (partial failure, nothing settled on its strength) where the
  // location was judged NOT_AVAILABLE inside a scope reported complete before.
  it('fails the scope, never PASSED, naming the server error, and logs no secret when its bucket’s region is down', async () => {
    // Prepare
    const hub = await start();
    sim.setFaults({ downRegions: ['us-east-2'], services: ['s3'] });
    const output: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => output.push(String(chunk)) > 0) as typeof process.stdout.write;
    // Act
    let result: Awaited<ReturnType<typeof auditDumps>>;
    try {
      result = await auditDumps(
        {},
        { ...lambdaDeps([LEGACY]), logger: new Logger({ serviceName: 'audit-dumps' }) },
      );
    } finally {
      process.stdout.write = write;
    }
    // Assess
    expect(result.exitCode).toBe(2);
    expect(result.scopes).toEqual({ evaluated: 0, failed: [`aws/${ACCOUNT}/us-east-2/dumps`] });
    const statuses = [...stored(hub, 'us-east-2').values()].map((finding) => finding.Compliance?.Status);
    expect(statuses).toEqual(['NOT_AVAILABLE', 'NOT_AVAILABLE', 'NOT_AVAILABLE', 'NOT_AVAILABLE']);
    for (const finding of stored(hub, 'us-east-2').values()) {
      expect(finding.Description).toContain(
        'the service answered with a server error until the retries ran out',
      );
    }
    expect(output.join('')).not.toContain(CANARY_SECRET);
  });
});

describe('auditDumps Cloud Function', () => {
  it('publishes the Cloud Storage location’s findings as Other resources into the central account', async () => {
    // Prepare
    const hub = await start();
    const policy = gcpPolicy({
      dumps: {
        locations: [
          {
            provider: 'gcp',
            bucket: 'certctl-dumps-gcp',
            prefix: 'prod/',
            project: PROJECT,
            region: 'europe-west1',
          },
        ],
      },
    });
    const deps = cloudFunctionDependencies(sim.endpoint, policy, withCloudStorage);
    // Act
    const result = await auditDumpsGcp({}, deps).finally(() => deps.gcp.close());
    // Assess
    expect(result.ok).toBe(true);
    expect(result.counts).toMatchObject({ PASSED: 4, FAILED: 0, NOT_AVAILABLE: 0 });
    const findings = hub
      .findings(ACCOUNT, 'eu-west-1')
      .filter((f) => f.ProductFields?.checkGroup === 'dumps');
    expect(findings).toHaveLength(4);
    expect(findings[0]?.Resources?.[0]).toMatchObject({
      Type: 'Other',
      Details: {
        Other: {
          resourceType: 'GcpStorageBucket',
          resourceId: 'certctl-dumps-gcp/prod/',
          'gcp/project': PROJECT,
        },
      },
    });
  });
});
