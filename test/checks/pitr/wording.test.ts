import { describe, expect, it } from 'vitest';
import {
  editionLabel,
  formatLag,
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

  it('names each kind of database, and a Multi-AZ DB cluster apart from Aurora', () => {
    expect(resourceLabel(rdsInstanceFact())).toBe('RDS DB instance `certctl-db`');
    expect(resourceLabel(auroraClusterFact())).toBe('Aurora DB cluster `certctl-aurora`');
    expect(resourceLabel(auroraClusterFact({ engine: 'postgres' }))).toBe('DB cluster `certctl-aurora`');
    expect(resourceLabel(cloudSqlFact())).toBe('Cloud SQL instance `certctl-sql`');
  });

  it('treats a Cloud SQL instance without an edition as ENTERPRISE-class', () => {
    // Prepare
    const noEdition = { ...cloudSqlFact(), cloudSql: undefined };
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
    const detailed = notAvailable(rdsInstanceFact(), 'the restore window', 'AccessDenied', {}, {}, true);
    // Assess
    expect(plain.description).toBe(
      'RDS DB instance `certctl-db`: could not read BackupRetentionPeriod, so this check could not be evaluated.',
    );
    expect(plain.remediationText).toMatch(/^The cloud did not send this value/);
    expect(detailed.description).toBe(
      'RDS DB instance `certctl-db`: could not read the restore window (AccessDenied), so this check could not be evaluated.',
    );
    expect(detailed.remediationText).toMatch(/^Check that the audit role may read this database/);
  });
});
