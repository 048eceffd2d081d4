/**
 * An Aurora global database secondary cluster is judged through its primary: the checks that judge
 * the point-in-time restore window (enabled, retention, window, lag) neither fail nor pass it on its
 * own restore settings, and name the primary; deletion protection (its own setting) and the
 * cross-Region check still judge it.
 */

import type { DBCluster } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { auroraClusterToFact } from '../../../functions/aws/rds.ts';
import { pitrChecks } from '../../../functions/checks/pitr/index.ts';
import type { PitrFact } from '../../../functions/core/facts.ts';
import { auroraClusterFact, contextWith, daysAgo, minutesAgo } from './fixtures.ts';

const PRIMARY_ARN = 'arn:aws:rds:us-east-1:111122223333:cluster:certctl-aurora-primary';

/** A secondary in eu-west-1 whose own settings would fail every window check if judged alone. */
function secondaryFact(overrides: Partial<PitrFact> = {}): PitrFact {
  return auroraClusterFact({
    resource: {
      provider: 'aws',
      account: '111122223333',
      region: 'eu-west-1',
      type: 'AwsRdsDbCluster',
      id: 'certctl-aurora-eu',
      arn: 'arn:aws:rds:eu-west-1:111122223333:cluster:certctl-aurora-eu',
    },
    // A secondary keeps the Aurora default of 1 day unless someone changed it.
    retentionDays: 1,
    restoreWindow: {
      known: true,
      earliest: daysAgo(1),
      latest: minutesAgo(90),
      source: 'EarliestRestorableTime',
    },
    latestRestorableTime: minutesAgo(90),
    aurora: {
      replicaRegions: [],
      globalClusterIdentifier: 'certctl-global',
      globalSecondary: {
        primaryArn: PRIMARY_ARN,
        primaryId: 'certctl-aurora-primary',
        primaryRegion: 'us-east-1',
        evidence: 'ReplicationSourceIdentifier',
      },
    },
    ...overrides,
  });
}

function outcomeOf(id: string, fact: PitrFact) {
  const check = pitrChecks.find((candidate) => candidate.metadata.id === id);
  if (!check) throw new Error(`no check ${id}`);
  return check.evaluate(fact, contextWith({ pitr: { requireCrossRegionBackup: true } }));
}

describe('PITR checks on an Aurora global database secondary cluster', () => {
  for (const id of ['pitr.enabled', 'pitr.retention', 'pitr.window', 'pitr.lag']) {
    it(`${id} reports NOT_AVAILABLE naming the primary when the cluster is a global secondary`, () => {
      // Act
      const outcome = outcomeOf(id, secondaryFact());

      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({
        judgedThroughPrimary: PRIMARY_ARN,
        globalCluster: 'certctl-global',
      });
      expect(outcome?.description).toContain('`certctl-aurora-primary`');
      expect(outcome?.description).toContain('us-east-1');
      expect(outcome?.remediationText).toContain('certctl-aurora-primary');
    });
  }

  it('reports NOT_AVAILABLE and says the primary is not named when DescribeDBClusters did not name it', () => {
    // Prepare: a global member without ReplicationSourceIdentifier whose instances are all readers.
    const fact = secondaryFact({
      aurora: {
        replicaRegions: [],
        globalClusterIdentifier: 'certctl-global',
        globalSecondary: {
          primaryArn: undefined,
          primaryId: undefined,
          primaryRegion: undefined,
          evidence: 'no writer instance',
        },
      },
    });

    // Act
    const outcome = outcomeOf('pitr.window', fact);

    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject({ judgedThroughPrimary: null, globalCluster: 'certctl-global' });
    expect(outcome?.remediationText).toContain(
      'aws rds describe-global-clusters --global-cluster-identifier certctl-global',
    );
  });

  it('still judges deletion protection on the secondary itself', () => {
    // Act
    const outcome = outcomeOf('pitr.deletion-protection', secondaryFact({ deletionProtection: false }));

    // Assess
    expect(outcome?.status).toBe('FAILED');
  });

  it('does not pass pitr.cross-region on the primary holding the data in another Region, whose retention is not read', () => {
    // Prepare: the copy in another Region is the primary; how far back it restores is the primary's
    // own BackupRetentionPeriod, which the secondary's Region does not send.
    // Act
    const outcome = outcomeOf('pitr.cross-region', secondaryFact());

    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject({
      crossRegionBackup: null,
      replicatedTo: 'us-east-1',
      judgedThroughPrimary: PRIMARY_ARN,
    });
    expect(outcome?.required).toEqual({ crossRegionBackup: true, windowDays: 30 });
    expect(outcome?.description).toContain('certctl-aurora-primary');
    expect(outcome?.remediationText).toContain(
      `aws rds describe-db-clusters --region us-east-1 --db-cluster-identifier ${PRIMARY_ARN}`,
    );
  });

  it('judges pitr.cross-region on the primary read in its own Region: its retention passes or fails it', () => {
    const withPrimary = (backupRetentionPeriod: number) => {
      const base = secondaryFact();
      return secondaryFact({
        aurora: {
          ...(base.aurora as NonNullable<typeof base.aurora>),
          copies: [
            {
              region: 'us-east-1',
              arn: PRIMARY_ARN,
              read: true,
              id: 'certctl-aurora-primary',
              status: 'available',
              backupRetentionPeriod,
              earliestRestorableTime: daysAgo(backupRetentionPeriod),
            },
          ],
        },
      });
    };
    const passed = outcomeOf('pitr.cross-region', withPrimary(30));
    expect(passed?.status).toBe('PASSED');
    expect(passed?.description).toContain('`certctl-aurora-primary` in us-east-1');
    expect(passed?.observed).toMatchObject({ crossRegionBackup: true, judgedThroughPrimary: PRIMARY_ARN });
    const failed = outcomeOf('pitr.cross-region', withPrimary(7));
    expect(failed?.status).toBe('FAILED');
    expect(failed?.remediationText).toContain(
      'aws rds modify-db-cluster --db-cluster-identifier certctl-aurora-primary --backup-retention-period 30 --region us-east-1 --apply-immediately',
    );
  });

  it('does not pass pitr.cross-region when the primary it names is in its own Region', () => {
    // Prepare: ReplicationSourceIdentifier names a cluster of eu-west-1, the secondary's own Region;
    // a global database keeps each secondary in another Region than its primary, so the answer
    // shows no copy elsewhere.
    const fact = secondaryFact({
      aurora: {
        replicaRegions: [],
        globalClusterIdentifier: 'certctl-global',
        globalSecondary: {
          primaryArn: 'arn:aws:rds:eu-west-1:111122223333:cluster:certctl-aurora-other',
          primaryId: 'certctl-aurora-other',
          primaryRegion: 'eu-west-1',
          evidence: 'ReplicationSourceIdentifier',
        },
      },
    });

    // Act
    const outcome = outcomeOf('pitr.cross-region', fact);

    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject({ crossRegionBackup: null });
    expect(outcome?.description).toContain('eu-west-1, its own Region');
    expect(outcome?.remediationText).toContain(
      'aws rds describe-global-clusters --global-cluster-identifier certctl-global',
    );
  });

  it('judges the primary of the same global database on its own window', () => {
    // Prepare: the primary carries GlobalClusterIdentifier but is no secondary.
    const primary = auroraClusterFact({
      aurora: { replicaRegions: ['eu-west-1'], globalClusterIdentifier: 'certctl-global' },
    });

    // Act
    const window = outcomeOf('pitr.window', primary);

    // Assess
    expect(window?.status).toBe('PASSED');
  });

  describe('a global database member whose role DescribeDBClusters does not tell', () => {
    /**
     * A member with no ReplicationSourceIdentifier and no DB instance: a primary being created or with
     * every instance deleted looks the same as a headless secondary whose source is not sent.
     */
    const noInstances = (members: DBCluster['DBClusterMembers']) =>
      auroraClusterToFact(
        {
          DBClusterIdentifier: 'certctl-aurora',
          DBClusterArn: 'arn:aws:rds:eu-west-1:111122223333:cluster:certctl-aurora',
          Engine: 'aurora-postgresql',
          Status: 'available',
          BackupRetentionPeriod: 30,
          EarliestRestorableTime: daysAgo(30),
          LatestRestorableTime: minutesAgo(3),
          GlobalClusterIdentifier: 'certctl-global',
          DBClusterMembers: members,
        },
        { account: '111122223333', region: 'eu-west-1' },
      );

    const cases: [string, DBCluster['DBClusterMembers']][] = [
      ['an empty DBClusterMembers', []],
      ['no DBClusterMembers', undefined],
    ];
    for (const [label, members] of cases) {
      it(`does not pass pitr.cross-region on an assumed primary with ${label}`, () => {
        // Act
        const outcome = outcomeOf('pitr.cross-region', noInstances(members));

        // Assess
        expect(outcome?.status).toBe('NOT_AVAILABLE');
        expect(outcome?.description).toContain('primary or a secondary');
        expect(outcome?.remediationText).toContain(
          'aws rds describe-global-clusters --global-cluster-identifier certctl-global',
        );
      });
    }

    it('is not called a secondary by the window checks: they say the role is unknown', () => {
      // Act
      const fact = noInstances([]);
      const outcome = outcomeOf('pitr.window', fact);

      // Assess
      expect(fact.aurora?.globalSecondary).toBeUndefined();
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('primary or a secondary');
      expect(outcome?.description).not.toContain('is a secondary cluster');
      expect(outcome?.remediationText).toContain('IsWriter');
    });
  });
});

describe('PITR checks on a global secondary whose own status would decide a database judged alone', () => {
  // A secondary's restore window is not the global database's: a point-in-time restore runs from the
  // primary, so the secondary being deleted or cut off from its own Region's KMS key proves nothing
  // of it. The finding stays the one that names the primary, never a FAILED on the secondary alone.
  it.each([
    ['pitr.window', 'deleting'],
    ['pitr.lag', 'deleting'],
    ['pitr.window', 'inaccessible-encryption-credentials'],
    ['pitr.lag', 'incompatible-restore'],
  ])('%s stays not available naming the primary for status %s', (id, status) => {
    const outcome = outcomeOf(id, secondaryFact({ status }));
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('judged through its primary cluster `certctl-aurora-primary`');
  });
});
