import { describe, expect, it } from 'vitest';
import { pitrCrossRegionCheck } from '../../../functions/checks/pitr/cross-region.ts';
import { pitrWindowCheck } from '../../../functions/checks/pitr/window.ts';
import { auroraClusterFact, contextWith } from './fixtures.ts';

// A global database member whose role the answers did not show, being deleted. RDS refuses to delete
// a primary while the global database has other members ("Unable to delete cluster that is a primary
// member of global cluster while there are other global cluster members", InvalidGlobalClusterStateFault),
// so as the primary it is the last member and its window ends with it; as a secondary it is restored
// through its primary, which its deletion leaves alone. The status does not tell which: NOT_AVAILABLE
// stays, and says what each role would mean.
const member = (status: string) =>
  auroraClusterFact({
    status,
    aurora: {
      replicaRegions: [],
      globalClusterIdentifier: 'certctl-global',
      globalRoleUnknown:
        'DescribeDBClusters sent no ReplicationSourceIdentifier and an empty DBClusterMembers',
    },
  });

describe('a global database member of unknown role being deleted', () => {
  it.each([
    ['pitr.window', pitrWindowCheck, {}],
    ['pitr.cross-region', pitrCrossRegionCheck, { pitr: { requireCrossRegionBackup: true } }],
  ] as const)(
    '%s stays not available and says what the deletion means for either role',
    (_, check, policy) => {
      const outcome = check.evaluate(member('deleting'), contextWith(policy));
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(
        'It is being deleted (status `deleting`): RDS deletes a primary only when it is the last member of its global database, so as the primary its restore window ends with it; as a secondary it is restored through its primary, which its deletion leaves alone.',
      );
    },
  );

  it('says nothing of a deletion when the member is not being deleted', () => {
    const outcome = pitrWindowCheck.evaluate(member('available'), contextWith());
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).not.toContain('being deleted');
  });
});
