import { describe, expect, it } from 'vitest';
import { allChecks } from '../../functions/checks/index.ts';
import { pitrDeletionProtectionCheck } from '../../functions/checks/pitr/deletion-protection.ts';
import { toFinding } from '../../functions/core/check.ts';
import { type ResourceRef, resourceKey } from '../../functions/core/finding.ts';

const AT = new Date('2026-09-01T12:00:00Z');
const RDS: ResourceRef = {
  provider: 'aws',
  account: '111122223333',
  region: 'eu-west-1',
  type: 'AwsRdsDbInstance',
  id: 'db',
};
const CLOUD_SQL: ResourceRef = {
  provider: 'gcp',
  account: 'certctl-prod',
  region: 'europe-west1',
  type: 'GcpCloudSqlInstance',
  id: 'db',
};

describe('toFinding', () => {
  it('titles a FAILED finding with the problem and a PASSED one with the good state', () => {
    // Act
    const failed = toFinding(
      pitrDeletionProtectionCheck.metadata,
      RDS,
      { status: 'FAILED', description: 'd', observed: {}, required: {} },
      AT,
    );
    const passed = toFinding(
      pitrDeletionProtectionCheck.metadata,
      RDS,
      { status: 'PASSED', description: 'd', observed: {}, required: {} },
      AT,
    );

    // Assess
    expect(failed.title).toBe('Deletion protection is off or backups would not survive a deletion');
    expect(passed.title).toBe('Deletion protection is on and backups survive a deletion');
  });

  it('stamps each finding with the time it was judged at, a date changed in place included', () => {
    // Arrange: one Date object reused and moved on, as a caller's clock object might be.
    const judgedAt = new Date('2026-09-01T12:00:00Z');
    const outcome = { status: 'PASSED', description: 'd', observed: {}, required: {} } as const;
    const metadata = pitrDeletionProtectionCheck.metadata;

    // Act
    const first = toFinding(metadata, RDS, outcome, judgedAt).evaluatedAt;
    judgedAt.setTime(judgedAt.getTime() + 1000);
    const moved = toFinding(metadata, RDS, outcome, judgedAt).evaluatedAt;
    const back = toFinding(metadata, CLOUD_SQL, outcome, new Date('2026-09-01T12:00:00Z')).evaluatedAt;

    // Assess
    expect([first, moved, back]).toEqual([
      '2026-09-01T12:00:00.000Z',
      '2026-09-01T12:00:01.000Z',
      '2026-09-01T12:00:00.000Z',
    ]);
    expect(() => toFinding(metadata, RDS, outcome, new Date(Number.NaN))).toThrow(RangeError);
  });

  it('carries the drifting observed values of an outcome, and none when it names none', () => {
    const finding = (drifting?: readonly string[]) =>
      toFinding(
        pitrDeletionProtectionCheck.metadata,
        RDS,
        { status: 'PASSED', description: 'd', observed: {}, required: {}, ...(drifting ? { drifting } : {}) },
        AT,
      );
    expect(finding(['windowDays']).drifting).toEqual(['windowDays']);
    expect(finding()).not.toHaveProperty('drifting');
  });

  it('titles a WARNING finding with the problem and a NOT_AVAILABLE one as not verified', () => {
    const titled = (status: 'WARNING' | 'NOT_AVAILABLE') =>
      toFinding(
        pitrDeletionProtectionCheck.metadata,
        RDS,
        { status, description: 'd', observed: {}, required: {} },
        AT,
      ).title;
    expect(titled('WARNING')).toBe('Deletion protection is off or backups would not survive a deletion');
    expect(titled('NOT_AVAILABLE')).toBe(
      'Not verified: Deletion protection is on and backups survive a deletion',
    );
  });

  it('links a Cloud SQL finding to Google documentation and an RDS finding to AWS documentation for every PITR check', () => {
    for (const check of allChecks.filter((candidate) => candidate.metadata.group === 'pitr')) {
      // Act
      const outcome = { status: 'FAILED', description: 'd', observed: {}, required: {} } as const;
      const gcp = toFinding(check.metadata, CLOUD_SQL, outcome, AT);
      const aws = toFinding(check.metadata, RDS, outcome, AT);

      // Assess
      expect(gcp.remediation.url).toMatch(/^https:\/\/cloud\.google\.com\//);
      expect(aws.remediation.url).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
    }
  });

  it("never tells a key-material or dump finding of one cloud to run the other cloud's CLI", () => {
    // (The PITR checks word their Cloud SQL fixes per outcome, from the instance's facts.)
    for (const check of allChecks.filter((candidate) => candidate.metadata.group !== 'pitr')) {
      // Act
      const outcome = { status: 'FAILED', description: 'd', observed: {}, required: {} } as const;
      const gcp = toFinding(check.metadata, CLOUD_SQL, outcome, AT);
      const aws = toFinding(check.metadata, RDS, outcome, AT);

      // Assess
      expect(gcp.remediation.text, check.metadata.id).not.toMatch(/`aws /);
      expect(aws.remediation.text, check.metadata.id).not.toMatch(/`gcloud /);
      if (/`gcloud /.test(gcp.remediation.text)) {
        expect(gcp.remediation.url, check.metadata.id).toMatch(/^https:\/\/cloud\.google\.com\//);
      }
    }
  });

  it('gives every check a failed title that differs from its passed title', () => {
    for (const { metadata } of allChecks) expect(metadata.failedTitle).not.toBe(metadata.title);
  });
});

describe('resourceKey', () => {
  it('keeps resources apart whose fields differ only in where one ends and the next begins', () => {
    const a: ResourceRef = { ...CLOUD_SQL, account: 'certctl-prod', region: 'europe-west1' };
    const b: ResourceRef = { ...CLOUD_SQL, account: 'certctl-prode', region: 'urope-west1' };
    expect(resourceKey(a)).not.toBe(resourceKey(b));
    expect(resourceKey(a)).toBe('gcp/certctl-prod/europe-west1/GcpCloudSqlInstance/db');
  });
});
