import { describe, expect, it } from 'vitest';
import {
  editionLabel,
  formatLag,
  formatTime,
  logCapClause,
  maxRetentionDays,
  notAvailable,
  resourceLabel,
} from '../../../functions/checks/pitr/wording.ts';
import { auroraClusterFact, cloudSqlFact, rdsInstanceFact } from './fixtures.ts';

describe('pitr wording', () => {
  it('writes a lag in minutes, then hours and minutes, then days and hours', () => {
    expect([59.9, 60, 61, 1439, 1440, 3000].map(formatLag)).toEqual([
      '59 min',
      '1 h 0 min',
      '1 h 1 min',
      '23 h 59 min',
      '1 d 0 h',
      '2 d 2 h',
    ]);
  });

  it('writes a time to the minute in UTC, the same for every instant of a minute, however many minutes it has seen', () => {
    // Prepare: more distinct minutes than formatTime keeps, then the first ones again.
    const minutes = Array.from({ length: 5000 }, (_, index) => Date.UTC(2026, 11, 1) + index * 61_000);
    const expected = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    // Act + Assess
    for (const ms of [...minutes, ...minutes.slice(0, 100)]) {
      expect(formatTime(new Date(ms))).toBe(expected(ms));
    }
    expect(formatTime(new Date('2026-09-14T10:00:00.000Z'))).toBe('2026-09-14 10:00 UTC');
    expect(formatTime(new Date('2026-09-14T10:00:59.999Z'))).toBe('2026-09-14 10:00 UTC');
    expect(formatTime(new Date('2026-09-14T10:01:00.000Z'))).toBe('2026-09-14 10:01 UTC');
    expect(formatTime(new Date('1969-12-31T23:59:59.999Z'))).toBe('1969-12-31 23:59 UTC');
    expect(formatTime(new Date('1970-01-01T00:00:00.001Z'))).toBe('1970-01-01 00:00 UTC');
    expect(() => formatTime(new Date(Number.NaN))).toThrow(RangeError);
    expect(() => formatTime(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('names each kind of database, and a Multi-AZ DB cluster apart from Aurora', () => {
    expect(resourceLabel(rdsInstanceFact())).toBe('RDS DB instance `certctl-db`');
    expect(resourceLabel(auroraClusterFact())).toBe('Aurora DB cluster `certctl-aurora`');
    expect(resourceLabel(auroraClusterFact({ engine: 'postgres' }))).toBe('DB cluster `certctl-aurora`');
    expect(resourceLabel(cloudSqlFact())).toBe('Cloud SQL instance `certctl-sql`');
  });

  it('treats a Cloud SQL instance without an edition as ENTERPRISE-class', () => {
    // Prepare
    // It keeps 7 days: more would disprove the 7-day cap (retention.test.ts).
    const noEdition = { ...cloudSqlFact({ retentionDays: 7 }), cloudSql: undefined };
    // Act / Assess
    expect(editionLabel(noEdition)).toBe('no edition, ENTERPRISE-class');
    expect(editionLabel(cloudSqlFact({}, { edition: 'ENTERPRISE' }))).toBe('ENTERPRISE');
    expect(maxRetentionDays(noEdition)).toBe(7);
    expect(maxRetentionDays(cloudSqlFact())).toBe(35);
    expect(logCapClause(noEdition, 7)).toBe(
      'an instance without an edition is ENTERPRISE-class, which caps transaction-log retention (transactionLogRetentionDays) at 7 days',
    );
    expect(logCapClause(cloudSqlFact({}, { edition: 'ENTERPRISE' }), 7)).toBe(
      'the ENTERPRISE edition caps transaction-log retention (transactionLogRetentionDays) at 7 days',
    );
  });

  it('says what could not be read, with a detail only when there is one, and blames permissions only when asked', () => {
    // Act
    const plain = notAvailable(rdsInstanceFact(), 'BackupRetentionPeriod', '', {}, {});
    const detailed = notAvailable(
      rdsInstanceFact(),
      'the restore window',
      'AccessDenied',
      {},
      {},
      {
        accessDenied: true,
      },
    );
    const remedied = notAvailable(
      rdsInstanceFact(),
      'the restore window',
      'refused',
      {},
      {},
      {
        accessDenied: false,
        remedy: 'Enable the API, then run the audit again.',
      },
    );
    // Assess
    expect(plain.description).toBe(
      'RDS DB instance `certctl-db`: could not read BackupRetentionPeriod, so this check could not be evaluated.',
    );
    expect(plain.remediationText).toMatch(/^The cloud did not send this value/);
    expect(detailed.description).toBe(
      'RDS DB instance `certctl-db`: could not read the restore window (AccessDenied), so this check could not be evaluated.',
    );
    expect(detailed.remediationText).toMatch(/^Check that the audit role may read this database/);
    expect(remedied.remediationText).toBe('Enable the API, then run the audit again.');
  });
});
