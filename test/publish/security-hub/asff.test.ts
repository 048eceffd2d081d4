import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { describe, expect, it } from 'vitest';
import { type CheckMetadata, toFinding } from '../../../functions/core/check.ts';
import type { ResourceRef } from '../../../functions/core/finding.ts';
import {
  ASFF_FINDING_TYPE,
  asffFindingId,
  destinationFor,
  PASSED_RECOMMENDATION,
  partitionOf,
  productArn,
  publishTargetFrom,
  recommendationText,
  toAsff,
  truncate,
  validateAsff,
} from '../../../functions/publish/security-hub/asff.ts';
import {
  AsffValidationError,
  SecurityHubConfigError,
} from '../../../functions/publish/security-hub/errors.ts';
import { ACCOUNT_A, CENTRAL, cloudSqlResource, policy, rdsResource, retentionFinding } from './fixtures.ts';

const NOW = new Date('2026-11-21T12:00:00.000Z');
const target = publishTargetFrom(policy());

function asffFor(finding = retentionFinding(rdsResource('certctl-prod'))): AwsSecurityFinding {
  return toAsff(finding, { destination: destinationFor(finding.resource, target), now: NOW });
}

function validationError(finding: AwsSecurityFinding): AsffValidationError {
  try {
    validateAsff(finding);
  } catch (error) {
    if (error instanceof AsffValidationError) return error;
    throw error;
  }
  throw new Error('validateAsff accepted the finding');
}

describe('toAsff', () => {
  it('keeps whole sentences and says where the rest is when the remediation is longer than 512 characters', () => {
    // Prepare
    const sentence = 'Run the documented command for this database and wait until it reports available. ';
    const text = sentence.repeat(10);
    const finding = retentionFinding(rdsResource('certctl-prod'), {
      remediation: { text, url: 'https://docs.aws.amazon.com/x' },
    });

    // Act
    const recommendation = asffFor(finding).Remediation?.Recommendation?.Text ?? '';

    // Assess
    expect(recommendation.length).toBeLessThanOrEqual(512);
    expect(recommendation).toMatch(
      /available\. The full steps are in the description of this check at the URL\.$/,
    );
    expect(() => validateAsff(asffFor(finding))).not.toThrow();
  });

  it('says there is nothing to fix when the finding PASSED, linking its own cloud’s page only', () => {
    // Act
    const passed = retentionFinding(cloudSqlResource('certctl-prod'), {
      status: 'PASSED',
      remediation: {
        text: 'aws rds modify-db-instance --backup-retention-period 30 or gcloud sql instances patch',
        url: 'https://cloud.google.com/sql/docs/postgres/backup-recovery/pitr',
      },
    });
    const asff = asffFor(passed);

    // Assess
    expect(asff.Remediation).toEqual({
      Recommendation: {
        Text: PASSED_RECOMMENDATION,
        Url: 'https://cloud.google.com/sql/docs/postgres/backup-recovery/pitr',
      },
    });
    expect(() => validateAsff(asff)).not.toThrow();
  });

  it('maps an RDS finding to a complete ASFF finding when the resource has an ARN', () => {
    // Act
    const asff = asffFor();

    // Assess
    expect(asff).toMatchObject({
      SchemaVersion: '2018-10-08',
      Id: 'certctl-backup-guard/pitr.retention/arn:aws:rds:eu-west-1:111111111111:db:certctl-prod',
      ProductArn: 'arn:aws:securityhub:eu-west-1:111111111111:product/111111111111/default',
      GeneratorId: 'certctl-backup-guard/pitr.retention',
      AwsAccountId: ACCOUNT_A,
      Types: [ASFF_FINDING_TYPE],
      CreatedAt: NOW.toISOString(),
      UpdatedAt: NOW.toISOString(),
      Severity: { Label: 'HIGH' },
      Title: 'Point-in-time recovery retention meets the policy minimum: certctl-prod',
      Compliance: { Status: 'FAILED' },
      RecordState: 'ACTIVE',
      Remediation: {
        Recommendation: {
          Text: 'aws rds modify-db-instance --backup-retention-period 30 --apply-immediately',
          Url: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html',
        },
      },
      Resources: [
        {
          Type: 'AwsRdsDbInstance',
          Id: 'arn:aws:rds:eu-west-1:111111111111:db:certctl-prod',
          Partition: 'aws',
          Region: 'eu-west-1',
        },
      ],
      FindingProviderFields: { Severity: { Label: 'HIGH' }, Types: [ASFF_FINDING_TYPE] },
    });
    expect(asff.ProductFields).toMatchObject({
      checkId: 'pitr.retention',
      provider: 'aws',
      'observed/retentionDays': '7',
      'required/retentionDays': '30',
    });
    expect(asff.Workflow).toBeUndefined();
    expect(asff.Note).toBeUndefined();
    expect(() => validateAsff(asff)).not.toThrow();
  });

  it('leaves out an observed or required value when it is an empty string', () => {
    // Prepare
    const finding = retentionFinding(rdsResource('certctl-prod'), {
      observed: { crossRegionBackup: false, replicatedTo: '' },
      required: { crossRegionBackup: true, note: ' ' },
    });

    // Act
    const asff = asffFor(finding);

    // Assess
    expect(asff.ProductFields).toMatchObject({
      'observed/crossRegionBackup': 'false',
      'required/crossRegionBackup': 'true',
    });
    expect(asff.ProductFields).not.toHaveProperty('observed/replicatedTo');
    expect(asff.ProductFields).not.toHaveProperty('required/note');
    expect(() => validateAsff(asff)).not.toThrow();
  });

  it('lowers the severity of a WARNING and sends NOT_AVAILABLE as MEDIUM when the check is not FAILED', () => {
    // Prepare
    const metadata = (severity: CheckMetadata['severity']): CheckMetadata => ({
      id: 'pitr.window',
      group: 'pitr',
      title: 'Restore window',
      failedTitle: 'Restore window too short',
      severity,
      rationale: 'test',
      remediation: { text: 'wait', url: 'https://example.com/fix' },
      resourceTypes: ['AwsRdsDbInstance'],
    });
    const outcome = (status: 'WARNING' | 'NOT_AVAILABLE') => ({
      status,
      description: 'window still filling',
      observed: { windowDays: 12 },
      required: { windowDays: 30 },
    });
    const resource = rdsResource('certctl-prod');
    const at = new Date('2026-11-21T12:00:00.000Z');
    const sent = (severity: CheckMetadata['severity'], status: 'WARNING' | 'NOT_AVAILABLE') =>
      asffFor(toFinding(metadata(severity), resource, outcome(status), at));

    // Act
    const warningHigh = sent('HIGH', 'WARNING');
    const warningCritical = sent('CRITICAL', 'WARNING');
    const warningMedium = sent('MEDIUM', 'WARNING');
    const unavailableLow = sent('LOW', 'NOT_AVAILABLE');
    const unavailableCritical = sent('CRITICAL', 'NOT_AVAILABLE');

    // Assess
    expect(warningHigh).toMatchObject({
      Compliance: { Status: 'WARNING' },
      Severity: { Label: 'MEDIUM' },
      FindingProviderFields: { Severity: { Label: 'MEDIUM' } },
    });
    expect(warningCritical.Severity?.Label).toBe('MEDIUM');
    expect(warningMedium.Severity?.Label).toBe('LOW');
    expect(unavailableLow).toMatchObject({
      Compliance: { Status: 'NOT_AVAILABLE' },
      Severity: { Label: 'MEDIUM' },
      FindingProviderFields: { Severity: { Label: 'MEDIUM' } },
    });
    expect(unavailableCritical.Severity?.Label).toBe('MEDIUM');
  });

  it('keeps the existing CreatedAt when one is given', () => {
    // Prepare
    const finding = retentionFinding(rdsResource('certctl-prod'));

    // Act
    const asff = toAsff(finding, {
      destination: destinationFor(finding.resource, target),
      now: NOW,
      createdAt: '2026-01-01T00:00:00.000Z',
    });

    // Assess
    expect(asff.CreatedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(asff.UpdatedAt).toBe(NOW.toISOString());
  });

  it('sends a GCP finding to the central account as Other with project, region and selfLink when the resource is Cloud SQL', () => {
    // Prepare
    const finding = retentionFinding(
      cloudSqlResource('certctl-sql', 'certctl-prod', 'northamerica-northeast1'),
    );

    // Act
    const asff = asffFor(finding);

    // Assess
    const selfLink = 'https://sqladmin.googleapis.com/v1/projects/certctl-prod/instances/certctl-sql';
    expect(asff.AwsAccountId).toBe(CENTRAL);
    expect(asff.ProductArn).toBe(`arn:aws:securityhub:eu-west-1:${CENTRAL}:product/${CENTRAL}/default`);
    expect(asff.Resources?.[0]).toMatchObject({
      Type: 'Other',
      Id: selfLink,
      Partition: 'aws',
      Region: 'eu-west-1',
    });
    expect(asff.Resources?.[0]?.Details?.Other).toMatchObject({
      'gcp/project': 'certctl-prod',
      'gcp/region': 'northamerica-northeast1',
      'gcp/selfLink': selfLink,
    });
    expect(asff.ProductFields).toMatchObject({
      provider: 'gcp',
      'gcp/project': 'certctl-prod',
      'gcp/region': 'northamerica-northeast1',
      'gcp/selfLink': selfLink,
    });
    expect(() => validateAsff(asff)).not.toThrow();
  });

  it('truncates title, description and recommendation to their limits when the texts are too long', () => {
    // Prepare
    const finding = retentionFinding(rdsResource('certctl-prod'), {
      title: 'T'.repeat(400),
      description: 'D'.repeat(3000),
      remediation: { text: 'R'.repeat(900), url: 'https://example.com/fix' },
    });

    // Act
    const asff = asffFor(finding);

    // Assess
    expect(asff.Title).toHaveLength(256);
    expect(asff.Title?.endsWith('…')).toBe(true);
    expect(asff.Description).toHaveLength(1024);
    expect(asff.Remediation?.Recommendation?.Text).toHaveLength(512);
    expect(() => validateAsff(asff)).not.toThrow();
  });

  it('uses the home region when the finding stands for a whole AWS account', () => {
    // Prepare
    const finding = retentionFinding({
      provider: 'aws',
      account: ACCOUNT_A,
      region: '*',
      type: 'Scope',
      id: `${ACCOUNT_A}/*`,
    });

    // Act
    const asff = asffFor(finding);

    // Assess
    expect(asff.ProductArn).toBe(`arn:aws:securityhub:eu-west-1:${ACCOUNT_A}:product/${ACCOUNT_A}/default`);
    expect(asff.Resources?.[0]).toMatchObject({ Type: 'Other', Region: 'eu-west-1' });
    expect(asff.Id).toBe(`certctl-backup-guard/pitr.retention/aws/${ACCOUNT_A}/*/Scope/${ACCOUNT_A}/*`);
  });
});

describe('asffFindingId', () => {
  it('is stable and at most 512 characters when the resource identifier is very long', () => {
    // Prepare
    const long = { ...rdsResource('x'), arn: `arn:aws:rds:eu-west-1:${ACCOUNT_A}:db:${'a'.repeat(700)}` };
    const other = { ...long, arn: `${long.arn}b` };

    // Act
    const id = asffFindingId({ checkId: 'pitr.retention', resource: long });

    // Assess
    expect(id.length).toBeLessThanOrEqual(512);
    expect(id).toBe(asffFindingId({ checkId: 'pitr.retention', resource: long }));
    expect(id).not.toBe(asffFindingId({ checkId: 'pitr.retention', resource: other }));
    expect(id).toMatch(/^certctl-backup-guard\/pitr\.retention\/arn:aws:rds:.*#sha256:[0-9a-f]{64}$/);
  });

  it('keeps an Id of exactly 512 characters whole', () => {
    // Prepare: the prefix and check take 36 characters, so an ARN of 476 makes 512.
    const prefix = 'certctl-backup-guard/pitr.retention/';
    const arn = `arn:aws:rds:eu-west-1:${ACCOUNT_A}:db:`;
    const resource = { ...rdsResource('x'), arn: `${arn}${'a'.repeat(512 - prefix.length - arn.length)}` };

    // Act
    const id = asffFindingId({ checkId: 'pitr.retention', resource });

    // Assess
    expect(id).toBe(`${prefix}${resource.arn}`);
    expect(id).toHaveLength(512);
  });

  it('names a bucket part by its path alone when the bucket has no ARN or selfLink', () => {
    const resource: ResourceRef = {
      provider: 'aws',
      account: ACCOUNT_A,
      region: 'eu-west-1',
      type: 'AwsS3Bucket',
      id: 'certctl-dumps/prod/',
    };
    expect(asffFindingId({ checkId: 'dumps.fresh', resource })).toBe(
      `certctl-backup-guard/dumps.fresh/aws/${ACCOUNT_A}/eu-west-1/AwsS3Bucket/certctl-dumps/prod/`,
    );
  });
});

describe('dump location findings', () => {
  const bucket = (id: string): ResourceRef => ({
    provider: 'aws',
    account: ACCOUNT_A,
    region: 'eu-west-1',
    type: 'AwsS3Bucket',
    id,
    arn: 'arn:aws:s3:::certctl-dumps',
  });

  it('gives two prefixes of one bucket two Ids with the bucket ARN as their AwsS3Bucket resource', () => {
    // Prepare
    const prod = retentionFinding(bucket('certctl-dumps/prod/'), { checkId: 'dumps.fresh', group: 'dumps' });
    const staging = { ...prod, resource: bucket('certctl-dumps/staging/') };
    // Act
    const [a, b] = [asffFor(prod), asffFor(staging)];
    // Assess
    expect(a.Id).toBe('certctl-backup-guard/dumps.fresh/arn:aws:s3:::certctl-dumps#certctl-dumps/prod/');
    expect(a.Id).not.toBe(b.Id);
    expect(a.Resources).toEqual([
      { Type: 'AwsS3Bucket', Id: 'arn:aws:s3:::certctl-dumps', Partition: 'aws', Region: 'eu-west-1' },
    ]);
    expect(a.ProductFields?.resourceId).toBe('certctl-dumps/prod/');
    validateAsff(a);
  });

  it('maps a Cloud Storage location to Other with its selfLink and the project in Details', () => {
    // Prepare
    const gcs: ResourceRef = {
      provider: 'gcp',
      account: 'certctl-prod',
      region: 'europe-west1',
      type: 'GcpStorageBucket',
      id: 'certctl-dumps-gcp/prod/',
      selfLink: 'https://www.googleapis.com/storage/v1/b/certctl-dumps-gcp',
    };
    // Act
    const asff = asffFor(retentionFinding(gcs, { checkId: 'dumps.fresh', group: 'dumps' }));
    // Assess
    expect(asff.Id).toBe(
      'certctl-backup-guard/dumps.fresh/https://www.googleapis.com/storage/v1/b/certctl-dumps-gcp#certctl-dumps-gcp/prod/',
    );
    expect(asff.Resources?.[0]).toMatchObject({
      Type: 'Other',
      Id: 'https://www.googleapis.com/storage/v1/b/certctl-dumps-gcp',
      Details: { Other: { resourceType: 'GcpStorageBucket', 'gcp/project': 'certctl-prod' } },
    });
    validateAsff(asff);
  });
});

describe('truncate', () => {
  it('never splits a surrogate pair when the cut falls inside one', () => {
    // Prepare
    const text = `abc${'😀'.repeat(10)}`;

    // Act
    const cut = truncate(text, 7);

    // Assess
    expect(cut).toBe('abc😀…');
    expect(cut.length).toBeLessThanOrEqual(7);
  });

  it('returns the text unchanged when it fits', () => {
    // Act / Assess
    expect(truncate('short', 5)).toBe('short');
  });
});

describe('recommendationText', () => {
  it('keeps a recommendation of exactly 512 characters as it is', () => {
    const text = `${'Run this. '.repeat(51)}ab`;
    expect(text).toHaveLength(512);
    expect(recommendationText(text)).toBe(text);
  });

  it('cuts with an ellipsis when the only sentence end is the first character', () => {
    // Act
    const text = recommendationText(`. ${'x'.repeat(600)}`);

    // Assess
    expect(text).toMatch(/^\. x+… The full steps are in the description of this check at the URL\.$/);
    expect(text).toHaveLength(512);
  });
});

describe('publishTargetFrom', () => {
  it('uses the given home region as the central region when the policy names none', () => {
    const target = publishTargetFrom(policy({ securityHub: { enabled: true } }), 'eu-west-2');
    expect(target).toEqual({
      centralAccountId: undefined,
      centralRegion: 'eu-west-2',
      homeRegion: 'eu-west-2',
    });
  });

  it('sends a whole-account finding to the central region whatever region the caller publishes from', () => {
    // Prepare: the policy names a central region; a Lambda in it and a CLI on a laptop in another.
    const central = policy({
      securityHub: { enabled: true, centralAccountId: CENTRAL, centralRegion: 'eu-west-1' },
    });
    const wholeAccount = { ...rdsResource('db'), type: 'Scope' as const, id: ACCOUNT_A, region: '*' };

    // Act
    const fromLambda = destinationFor(wholeAccount, publishTargetFrom(central, 'eu-west-1'));
    const fromLaptop = destinationFor(wholeAccount, publishTargetFrom(central, 'ap-southeast-2'));

    // Assess: one Security Hub holds the finding's Id, not one per caller's region.
    expect(fromLaptop).toEqual(fromLambda);
    expect(fromLaptop).toEqual({ account: ACCOUNT_A, region: 'eu-west-1', partition: 'aws' });
  });

  it('sends GCP findings to the home region when the target has no central region', () => {
    const destination = destinationFor(cloudSqlResource('db'), {
      centralAccountId: CENTRAL,
      homeRegion: 'eu-west-2',
    });
    expect(destination).toEqual({ account: CENTRAL, region: 'eu-west-2', partition: 'aws' });
  });
});

describe('destinationFor / productArn / partitionOf', () => {
  it('refuses a GCP finding when no central account is configured', () => {
    // Prepare
    const noCentral = publishTargetFrom(policy({ securityHub: { enabled: true } }));

    // Act / Assess
    expect(() => destinationFor(cloudSqlResource('db'), noCentral)).toThrow(SecurityHubConfigError);
    expect(() => destinationFor(cloudSqlResource('db'), noCentral)).toThrow(/securityHub.centralAccountId/);
  });

  it('writes the ARN partition of isolated regions in the product ARN and the ASFF enum in Partition', () => {
    // Act / Assess: ARNs use aws-iso / aws-iso-b; the ASFF Partition enum spells them aws-us-iso(-b).
    expect(productArn({ account: ACCOUNT_A, region: 'us-iso-east-1', partition: 'aws-us-iso' })).toBe(
      `arn:aws-iso:securityhub:us-iso-east-1:${ACCOUNT_A}:product/${ACCOUNT_A}/default`,
    );
    expect(productArn({ account: ACCOUNT_A, region: 'us-isob-east-1', partition: 'aws-us-iso-b' })).toBe(
      `arn:aws-iso-b:securityhub:us-isob-east-1:${ACCOUNT_A}:product/${ACCOUNT_A}/default`,
    );
    expect(partitionOf('us-iso-east-1')).toBe('aws-us-iso');
    expect(partitionOf('us-isob-east-1')).toBe('aws-us-iso-b');
  });

  it('names the partition of China and GovCloud regions in the product ARN', () => {
    // Act / Assess
    expect(partitionOf('cn-north-1')).toBe('aws-cn');
    expect(partitionOf('us-gov-west-1')).toBe('aws-us-gov');
    expect(productArn({ account: ACCOUNT_A, region: 'cn-north-1', partition: 'aws-cn' })).toBe(
      `arn:aws-cn:securityhub:cn-north-1:${ACCOUNT_A}:product/${ACCOUNT_A}/default`,
    );
  });
});

describe('validateAsff', () => {
  const cases: { name: string; change: (finding: AwsSecurityFinding) => void; field: string }[] = [
    {
      name: 'SchemaVersion is wrong',
      change: (f) => Object.assign(f, { SchemaVersion: '2020-01-01' }),
      field: 'SchemaVersion',
    },
    { name: 'Id is missing', change: (f) => Object.assign(f, { Id: undefined }), field: 'Id' },
    { name: 'Id is too long', change: (f) => Object.assign(f, { Id: 'x'.repeat(513) }), field: 'Id' },
    {
      name: 'GeneratorId is missing',
      change: (f) => Object.assign(f, { GeneratorId: ' ' }),
      field: 'GeneratorId',
    },
    {
      name: 'AwsAccountId is not 12 digits',
      change: (f) => Object.assign(f, { AwsAccountId: '123' }),
      field: 'AwsAccountId',
    },
    {
      name: 'ProductArn names another account',
      change: (f) =>
        Object.assign(f, {
          ProductArn: productArn({ account: '999999999999', region: 'eu-west-1', partition: 'aws' }),
        }),
      field: 'ProductArn',
    },
    {
      name: 'UpdatedAt is not a date',
      change: (f) => Object.assign(f, { UpdatedAt: 'yesterday' }),
      field: 'UpdatedAt',
    },
    {
      name: 'Severity is missing',
      change: (f) => Object.assign(f, { Severity: undefined }),
      field: 'Severity.Label',
    },
    { name: 'Types is empty', change: (f) => Object.assign(f, { Types: [] }), field: 'Types' },
    {
      name: 'a type has an unknown namespace',
      change: (f) => Object.assign(f, { Types: ['Backups/PITR'] }),
      field: 'Types.0',
    },
    {
      name: 'Title is too long',
      change: (f) => Object.assign(f, { Title: 'x'.repeat(257) }),
      field: 'Title',
    },
    {
      name: 'Description is missing',
      change: (f) => Object.assign(f, { Description: '' }),
      field: 'Description',
    },
    { name: 'Resources is empty', change: (f) => Object.assign(f, { Resources: [] }), field: 'Resources' },
    {
      name: 'a resource region is too long',
      change: (f) => Object.assign(f.Resources?.[0] ?? {}, { Region: 'northamerica-northeast1' }),
      field: 'Resources.0.Region',
    },
    {
      name: 'the recommendation is too long',
      change: (f) =>
        Object.assign(f, {
          Remediation: { Recommendation: { Text: 'x'.repeat(513), Url: 'https://x.example' } },
        }),
      field: 'Remediation.Recommendation.Text',
    },
    {
      name: 'ProductFields has more than 50 pairs',
      change: (f) =>
        Object.assign(f, {
          ProductFields: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])),
        }),
      field: 'ProductFields',
    },
    {
      name: 'a ProductFields value is over 2048 characters',
      change: (f) => Object.assign(f, { ProductFields: { note: 'x'.repeat(2049) } }),
      field: 'ProductFields.note',
    },
    {
      name: 'a ProductFields value is blank',
      change: (f) => Object.assign(f, { ProductFields: { note: ' ' } }),
      field: 'ProductFields.note',
    },
    {
      name: 'Workflow is set',
      change: (f) => Object.assign(f, { Workflow: { Status: 'NEW' } }),
      field: 'Workflow',
    },
    {
      name: 'Note is set',
      change: (f) => Object.assign(f, { Note: { Text: 'x', UpdatedBy: 'y' } }),
      field: 'Note',
    },
  ];

  for (const { name, change, field } of cases) {
    it(`throws naming ${field} when ${name}`, () => {
      // Prepare
      const asff = asffFor();
      change(asff);

      // Act
      const error = validationError(asff);

      // Assess
      expect(error.field).toBe(field);
      expect(error.message).toContain(field);
    });
  }
});

/** Grow `finding` with Details.Other pairs until its JSON is exactly `bytes` bytes. */
function padToBytes(finding: AwsSecurityFinding, bytes: number): void {
  const size = () => Buffer.byteLength(JSON.stringify(finding), 'utf8');
  const resources = [...(finding.Resources ?? [])];
  finding.Resources = resources;
  const pad: Record<string, string> = { pad: 'x' };
  let other = pad;
  resources.push({
    Type: 'Other',
    Id: 'pad',
    Partition: 'aws',
    Region: 'eu-west-1',
    Details: { Other: other },
  });
  let index = 0;
  while (bytes - size() > 1000) {
    if (Object.keys(other).length === 50) {
      other = {};
      resources.push({
        Type: 'Other',
        Id: `pad-${index}`,
        Partition: 'aws',
        Region: 'eu-west-1',
        Details: { Other: other },
      });
    }
    other[`k${index}`] = 'x'.repeat(500);
    index += 1;
  }
  pad.pad = 'x'.repeat(1 + bytes - size());
}

describe('validateAsff names the problem', () => {
  const resource = (f: AwsSecurityFinding) => (f.Resources?.[0] ?? {}) as Record<string, unknown>;
  const cases: {
    name: string;
    change: (finding: AwsSecurityFinding) => void;
    field: string;
    problem: string;
  }[] = [
    {
      name: 'SchemaVersion is wrong',
      change: (f) => Object.assign(f, { SchemaVersion: 'x' }),
      field: 'SchemaVersion',
      problem: 'must be 2018-10-08',
    },
    {
      name: 'Id is blank',
      change: (f) => Object.assign(f, { Id: ' ' }),
      field: 'Id',
      problem: 'is required',
    },
    {
      name: 'Id is 513 characters',
      change: (f) => Object.assign(f, { Id: 'x'.repeat(513) }),
      field: 'Id',
      problem: 'is longer than 512 characters',
    },
    {
      name: 'GeneratorId is missing',
      change: (f) => Object.assign(f, { GeneratorId: undefined }),
      field: 'GeneratorId',
      problem: 'is required',
    },
    {
      name: 'GeneratorId is 513 characters',
      change: (f) => Object.assign(f, { GeneratorId: 'x'.repeat(513) }),
      field: 'GeneratorId',
      problem: 'is longer than 512 characters',
    },
    {
      name: 'AwsAccountId is missing',
      change: (f) => Object.assign(f, { AwsAccountId: undefined }),
      field: 'AwsAccountId',
      problem: 'must be a 12-digit AWS account id',
    },
    {
      name: 'ProductArn is missing',
      change: (f) => Object.assign(f, { ProductArn: undefined }),
      field: 'ProductArn',
      problem: 'must be arn:<partition>:securityhub:<region>:<account>:product/<account>/default',
    },
    {
      name: 'ProductArn names another account first',
      change: (f) =>
        Object.assign(f, {
          ProductArn: `arn:aws:securityhub:eu-west-1:999999999999:product/${ACCOUNT_A}/default`,
        }),
      field: 'ProductArn',
      problem: `must name the finding's account ${ACCOUNT_A}`,
    },
    {
      name: 'ProductArn names another account second',
      change: (f) =>
        Object.assign(f, {
          ProductArn: `arn:aws:securityhub:eu-west-1:${ACCOUNT_A}:product/999999999999/default`,
        }),
      field: 'ProductArn',
      problem: `must name the finding's account ${ACCOUNT_A}`,
    },
    {
      name: 'CreatedAt is missing',
      change: (f) => Object.assign(f, { CreatedAt: undefined }),
      field: 'CreatedAt',
      problem: 'must be an ISO 8601 date-time',
    },
    {
      name: 'CreatedAt has no time',
      change: (f) => Object.assign(f, { CreatedAt: '2026-11-21' }),
      field: 'CreatedAt',
      problem: 'must be an ISO 8601 date-time',
    },
    {
      name: 'UpdatedAt is not a real date',
      change: (f) => Object.assign(f, { UpdatedAt: '2026-13-45T12:00:00Z' }),
      field: 'UpdatedAt',
      problem: 'must be an ISO 8601 date-time',
    },
    {
      name: 'Severity is unknown',
      change: (f) => Object.assign(f, { Severity: { Label: 'SEVERE' } }),
      field: 'Severity.Label',
      problem: 'is required',
    },
    {
      name: 'Types is missing',
      change: (f) => Object.assign(f, { Types: undefined }),
      field: 'Types',
      problem: 'needs at least one type',
    },
    {
      name: 'Types has 51 entries',
      change: (f) => Object.assign(f, { Types: Array.from({ length: 51 }, () => ASFF_FINDING_TYPE) }),
      field: 'Types',
      problem: 'has more than 50 entries',
    },
    {
      name: 'a type has one part',
      change: (f) => Object.assign(f, { Types: ['TTPs'] }),
      field: 'Types.0',
      problem: 'must be namespace/category[/classifier]',
    },
    {
      name: 'a type has four parts',
      change: (f) => Object.assign(f, { Types: ['TTPs/a/b/c'] }),
      field: 'Types.0',
      problem: 'must be namespace/category[/classifier]',
    },
    {
      name: 'a type has a blank part',
      change: (f) => Object.assign(f, { Types: [ASFF_FINDING_TYPE, 'TTPs/ '] }),
      field: 'Types.1',
      problem: 'must be namespace/category[/classifier]',
    },
    {
      name: 'a type has an unknown namespace',
      change: (f) => Object.assign(f, { Types: ['Backups/PITR'] }),
      field: 'Types.0',
      problem: 'has unknown namespace Backups',
    },
    {
      name: 'Title is missing',
      change: (f) => Object.assign(f, { Title: undefined }),
      field: 'Title',
      problem: 'is required',
    },
    {
      name: 'Title is 257 characters',
      change: (f) => Object.assign(f, { Title: 'x'.repeat(257) }),
      field: 'Title',
      problem: 'is longer than 256',
    },
    {
      name: 'Description is blank',
      change: (f) => Object.assign(f, { Description: ' ' }),
      field: 'Description',
      problem: 'is required',
    },
    {
      name: 'Description is 1025 characters',
      change: (f) => Object.assign(f, { Description: 'x'.repeat(1025) }),
      field: 'Description',
      problem: 'is longer than 1024',
    },
    {
      name: 'Compliance.Status is unknown',
      change: (f) => Object.assign(f, { Compliance: { Status: 'DONE' } }),
      field: 'Compliance.Status',
      problem: 'has unknown value DONE',
    },
    {
      name: 'RecordState is unknown',
      change: (f) => Object.assign(f, { RecordState: 'DELETED' }),
      field: 'RecordState',
      problem: 'has unknown value DELETED',
    },
    {
      name: 'the recommendation is 513 characters',
      change: (f) => Object.assign(f, { Remediation: { Recommendation: { Text: 'x'.repeat(513) } } }),
      field: 'Remediation.Recommendation.Text',
      problem: 'is longer than 512',
    },
    {
      name: 'the recommendation URL is relative',
      change: (f) => Object.assign(f, { Remediation: { Recommendation: { Text: 'x', Url: '/docs' } } }),
      field: 'Remediation.Recommendation.Url',
      problem: 'must be an absolute URL',
    },
    {
      name: 'ProductFields has 51 pairs',
      change: (f) =>
        Object.assign(f, {
          ProductFields: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])),
        }),
      field: 'ProductFields',
      problem: 'has 51 pairs, more than 50',
    },
    {
      name: 'a ProductFields key is 129 characters',
      change: (f) => Object.assign(f, { ProductFields: { ['k'.repeat(129)]: 'v' } }),
      field: `ProductFields.${'k'.repeat(129)}`,
      problem: 'key must be 1-128 characters',
    },
    {
      name: 'a ProductFields key is blank',
      change: (f) => Object.assign(f, { ProductFields: { ' ': 'v' } }),
      field: 'ProductFields. ',
      problem: 'key must be 1-128 characters',
    },
    {
      name: 'a ProductFields value is 2049 characters',
      change: (f) => Object.assign(f, { ProductFields: { note: 'x'.repeat(2049) } }),
      field: 'ProductFields.note',
      problem: 'value must be a non-blank string of at most 2048 characters',
    },
    {
      name: 'the provider severity is unknown',
      change: (f) => Object.assign(f, { FindingProviderFields: { Severity: { Label: 'SEVERE' } } }),
      field: 'FindingProviderFields.Severity.Label',
      problem: 'has unknown value SEVERE',
    },
    {
      name: 'the provider types are empty',
      change: (f) => Object.assign(f, { FindingProviderFields: { Types: [] } }),
      field: 'FindingProviderFields.Types',
      problem: 'needs at least one type',
    },
    {
      name: 'a provider type has an unknown namespace',
      change: (f) =>
        Object.assign(f, { FindingProviderFields: { Severity: { Label: 'HIGH' }, Types: ['Backups/PITR'] } }),
      field: 'FindingProviderFields.Types.0',
      problem: 'has unknown namespace Backups',
    },
    {
      name: 'VerificationState is set',
      change: (f) => Object.assign(f, { VerificationState: 'TRUE_POSITIVE' }),
      field: 'VerificationState',
      problem: 'is owned by the customer and must not be sent by the provider',
    },
    {
      name: 'UserDefinedFields is set',
      change: (f) => Object.assign(f, { UserDefinedFields: { a: 'b' } }),
      field: 'UserDefinedFields',
      problem: 'is owned by the customer and must not be sent by the provider',
    },
    {
      name: 'WorkflowState is set',
      change: (f) => Object.assign(f, { WorkflowState: 'NEW' }),
      field: 'WorkflowState',
      problem: 'is owned by the customer and must not be sent by the provider',
    },
    {
      name: 'Resources is missing',
      change: (f) => Object.assign(f, { Resources: undefined }),
      field: 'Resources',
      problem: 'needs at least one resource',
    },
    {
      name: 'Resources has 33 entries',
      change: (f) => Object.assign(f, { Resources: Array.from({ length: 33 }, () => f.Resources?.[0]) }),
      field: 'Resources',
      problem: 'has more than 32 entries',
    },
    {
      name: 'a resource has no Type',
      change: (f) => Object.assign(resource(f), { Type: ' ' }),
      field: 'Resources.0.Type',
      problem: 'is required',
    },
    {
      name: 'a resource Type is 257 characters',
      change: (f) => Object.assign(resource(f), { Type: 'x'.repeat(257) }),
      field: 'Resources.0.Type',
      problem: 'is too long',
    },
    {
      name: 'a resource has no Id',
      change: (f) => Object.assign(resource(f), { Id: undefined }),
      field: 'Resources.0.Id',
      problem: 'is required',
    },
    {
      name: 'a resource has no Partition',
      change: (f) => Object.assign(resource(f), { Partition: undefined }),
      field: 'Resources.0.Partition',
      problem: 'must be an AWS partition',
    },
    {
      name: 'a resource Partition is unknown',
      change: (f) => Object.assign(resource(f), { Partition: 'aws-moon' }),
      field: 'Resources.0.Partition',
      problem: 'must be an AWS partition',
    },
    {
      name: 'a resource has no Region',
      change: (f) => Object.assign(resource(f), { Region: '' }),
      field: 'Resources.0.Region',
      problem: 'is required',
    },
    {
      name: 'a resource Region is 17 characters',
      change: (f) => Object.assign(resource(f), { Region: 'x'.repeat(17) }),
      field: 'Resources.0.Region',
      problem: 'is longer than 16',
    },
    {
      name: 'a Details.Other value is blank',
      change: (f) => Object.assign(resource(f), { Details: { Other: { note: '' } } }),
      field: 'Resources.0.Details.Other.note',
      problem: 'value must be a non-blank string of at most 1023 characters',
    },
    {
      name: 'the finding is one byte over 240 KB',
      change: (f) => padToBytes(f, 240 * 1024 + 1),
      field: '(finding)',
      problem: 'is 245761 bytes, over the 240 KB limit',
    },
  ];

  for (const { name, change, field, problem } of cases) {
    it(`throws naming ${field} when ${name}`, () => {
      // Prepare
      const asff = asffFor();
      change(asff);

      // Act
      const error = validationError(asff);

      // Assess
      expect(error.field).toBe(field);
      expect(error.message).toContain(`: ${field} `);
      expect(error.message).toContain(`${problem}. This is a bug in certctl-backup-guard`);
      expect(error.name).toBe('AsffValidationError');
    });
  }

  it('names the finding in the error, or says it has no Id', () => {
    const asff = asffFor();
    Object.assign(asff, { Title: undefined });
    expect(validationError(asff).message).toMatch(
      /^ASFF finding certctl-backup-guard\/pitr\.retention\/\S+ is invalid: Title is required\./,
    );
    Object.assign(asff, { Id: undefined });
    expect(validationError(asff).message).toMatch(/^ASFF finding \(no Id\) is invalid: Id is required\./);
  });

  it('accepts a finding at every limit', () => {
    // Prepare
    const asff = asffFor();
    const details = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`${i}`.padEnd(127, 'k'), 'v'.repeat(1023)]),
    );
    Object.assign(asff, {
      Id: 'x'.repeat(512),
      GeneratorId: 'g'.repeat(512),
      Title: 't'.repeat(256),
      Description: 'd'.repeat(1024),
      Types: Array.from({ length: 50 }, () => 'TTPs/Collection/Sample'),
      Remediation: { Recommendation: { Text: 'r'.repeat(512) } },
      ProductFields: Object.fromEntries(
        Array.from({ length: 50 }, (_, i) => [`${i}`.padEnd(128, 'k'), i === 0 ? 'v'.repeat(2048) : 'v']),
      ),
      RecordState: 'ARCHIVED',
      Compliance: undefined,
      FindingProviderFields: { Severity: { Label: 'LOW' } },
      Resources: Array.from({ length: 32 }, (_, i) => ({
        Type: 'T'.repeat(256),
        Id: 'i',
        Partition: 'aws-us-iso-b',
        Region: 'r'.repeat(16),
        ...(i === 0 ? { Details: { Other: details } } : {}),
      })),
    });

    // Act / Assess
    expect(() => validateAsff(asff)).not.toThrow();
  });

  it('accepts a finding of exactly 240 KB', () => {
    const asff = asffFor();
    padToBytes(asff, 240 * 1024);
    expect(Buffer.byteLength(JSON.stringify(asff), 'utf8')).toBe(240 * 1024);
    expect(() => validateAsff(asff)).not.toThrow();
  });
});

describe('SecurityHubConfigError', () => {
  it('is named for the log', () => {
    expect(new SecurityHubConfigError('x').name).toBe('SecurityHubConfigError');
  });
});

describe('toAsff and truncate at the edges the first tests left open', () => {
  it('keeps a whole character at a cut, for the lowest and highest high surrogates and after a complete pair', () => {
    // U+10000 is D800 DC00, U+10FC00 is DBFF DC00: the cut after the high half moves back one unit.
    expect(truncate(`ab${'\u{10000}'.repeat(3)}`, 4)).toBe('ab…');
    expect(truncate(`ab${'\u{10FC00}'.repeat(3)}`, 4)).toBe('ab…');
    // A cut right after a complete pair keeps it.
    expect(truncate('ab😀cdef', 5)).toBe('ab😀…');
    expect(truncate('abcdef', 4)).toBe('abc…');
    // The unit before the cut decides, not the one after it.
    expect(truncate('abc😀x', 5)).toBe('abc…');
  });
  it('writes the ARN partition of every isolated region family, and aws elsewhere', () => {
    const arnOf = (region: string) =>
      productArn({ account: ACCOUNT_A, region, partition: partitionOf(region) });
    expect(arnOf('eu-isoe-west-1')).toBe(
      `arn:aws-iso-e:securityhub:eu-isoe-west-1:${ACCOUNT_A}:product/${ACCOUNT_A}/default`,
    );
    expect(arnOf('us-iso-east-1')).toMatch(/^arn:aws-iso:securityhub:us-iso-east-1:/);
    expect(arnOf('us-east-1')).toMatch(/^arn:aws:securityhub:us-east-1:/);
    // "iso" elsewhere in the name is not an isolated region.
    expect(arnOf('xus-iso-east-1')).toMatch(/^arn:aws:securityhub:/);
    expect(arnOf('cn-north-1')).toMatch(/^arn:aws-cn:securityhub:/);
  });
  it('gives an AWS finding no GCP fields, and a GCP resource without selfLink no selfLink field', () => {
    const aws = asffFor();
    expect(Object.keys(aws.ProductFields ?? {}).filter((key) => key.startsWith('gcp/'))).toEqual([]);
    const { selfLink: _none, ...withoutLink } = cloudSqlResource('certctl-sql');
    const gcp = asffFor(retentionFinding(withoutLink));
    expect(gcp.ProductFields).toMatchObject({ 'gcp/project': 'certctl-prod', 'gcp/region': 'europe-west1' });
    expect(gcp.ProductFields?.['gcp/selfLink']).toBeUndefined();
    expect(gcp.Resources?.[0]?.Details?.Other?.['gcp/selfLink']).toBeUndefined();
    expect(gcp.Resources?.[0]?.Region).toBe('eu-west-1');
    expect(() => validateAsff(gcp)).not.toThrow();
  });
  it('writes a null observation as null and cuts a long one to the ProductFields value limit', () => {
    const asff = asffFor(
      retentionFinding(rdsResource('certctl-prod'), {
        observed: { latest: null, note: 'x'.repeat(3000) },
      }),
    );
    expect(asff.ProductFields?.['observed/latest']).toBe('null');
    expect(asff.ProductFields?.['observed/note']).toBe(`${'x'.repeat(2047)}…`);
    expect(() => validateAsff(asff)).not.toThrow();
  });
  it('says in ProductFields when an exception has expired', () => {
    const asff = asffFor(
      retentionFinding(rdsResource('certctl-prod'), {
        exception: { reason: 'migration', expires: '2026-01-31', active: false },
      }),
    );
    expect(asff.ProductFields).toMatchObject({
      exception: 'expired 2026-01-31',
      'exception/reason': 'migration',
    });
  });
});

describe('toAsff Description of an excepted finding too long for the limit', () => {
  it('still says the risk is accepted, or that the exception expired, when the note at the end is cut', () => {
    // Prepare: applyExceptions appends its note to a description that already fills the 1,024 characters.
    const long = 'The restore window is shorter than the policy requires. '.repeat(20);
    const accepted = retentionFinding(rdsResource('certctl-prod'), {
      description: `${long}Accepted risk (policy exception until 2027-03-31): migration`,
      exception: { reason: 'migration', expires: '2027-03-31', active: true },
    });
    const expired = retentionFinding(rdsResource('certctl-prod'), {
      description: `${long}A policy exception for this finding expired on 2026-01-31 and no longer applies.`,
      exception: { reason: 'migration', expires: '2026-01-31', active: false },
    });

    // Act
    const [acceptedAsff, expiredAsff] = [accepted, expired].map((finding) => asffFor(finding));

    // Assess
    expect(acceptedAsff?.Description).toMatch(/^Accepted risk until 2027-03-31/);
    expect(expiredAsff?.Description).toMatch(/^Policy exception expired 2026-01-31/);
    for (const asff of [acceptedAsff, expiredAsff]) {
      expect(asff?.Description?.length).toBeLessThanOrEqual(1024);
      expect(() => validateAsff(asff as AwsSecurityFinding)).not.toThrow();
    }
  });

  it('leaves a description that fits as it is', () => {
    // Prepare
    const finding = retentionFinding(rdsResource('certctl-prod'), {
      description: 'Short. Accepted risk (policy exception until 2027-03-31): migration',
      exception: { reason: 'migration', expires: '2027-03-31', active: true },
    });

    // Act / Assess
    expect(asffFor(finding).Description).toBe(finding.description);
  });
});

describe('validateAsff with optional members left out', () => {
  it('accepts a finding without RecordState or FindingProviderFields, which the API does not require', () => {
    const { RecordState: _state, FindingProviderFields: _fields, ...bare } = asffFor();
    expect(() => validateAsff(bare)).not.toThrow();
  });
});

describe('toAsff ProductFields of a finding with more observations than ASFF holds', () => {
  // A keys.content finding observes two values per certificate of a secret (notAfter, sha256): a
  // JSON secret holding the certificates and keys of 20 SCEP profiles observes some 60.
  const many = Object.fromEntries(
    Array.from({ length: 60 }, (_, index) => [`scep-ra-cert.p${index}.notAfter`, `2027-01-${index}`]),
  );

  it('stays within 50 pairs, with room for the keep-alive marks, and says what it left out', () => {
    // Act
    const asff = asffFor(retentionFinding(rdsResource('certctl-prod'), { observed: many }));

    // Assess: valid, the fields the lifecycle reads back kept, three pairs free for a keep-alive
    // (since, reason, and the last status of a PASSED finding re-imported NOT_AVAILABLE).
    expect(() => validateAsff(asff)).not.toThrow();
    const fields = asff.ProductFields ?? {};
    expect(Object.keys(fields).length).toBe(47);
    expect(fields).toMatchObject({
      checkId: 'pitr.retention',
      checkGroup: 'pitr',
      provider: 'aws',
      account: ACCOUNT_A,
      region: 'eu-west-1',
      resourceId: 'certctl-prod',
      'required/retentionDays': '30',
    });
    expect(fields.omitted).toMatch(/^\d+ observed or required values are not in ProductFields/);
  });

  it('leaves out an observation whose key is over 128 characters instead of refusing the finding', () => {
    // Prepare: inventory item ids have no length limit (functions/core/keys-policy.ts ITEM_ID).
    const long = `${'a'.repeat(130)}.notAfter`;

    // Act
    const asff = asffFor(retentionFinding(rdsResource('certctl-prod'), { observed: { [long]: 'x' } }));

    // Assess
    expect(() => validateAsff(asff)).not.toThrow();
    expect(asff.ProductFields?.omitted).toContain('1 observed or required values');
  });

  it('changes its content when a value it left out changes, so the change is imported', () => {
    // Prepare
    const before = asffFor(retentionFinding(rdsResource('certctl-prod'), { observed: many }));
    const after = asffFor(
      retentionFinding(rdsResource('certctl-prod'), {
        observed: { ...many, 'scep-ra-cert.p59.notAfter': '2030-01-01' },
      }),
    );

    // Assess
    expect(after.ProductFields?.omitted).not.toBe(before.ProductFields?.omitted);
  });
});
