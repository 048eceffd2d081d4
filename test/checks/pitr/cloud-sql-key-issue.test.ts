import { describe, expect, it } from 'vitest';
import { pitrLagCheck } from '../../../functions/checks/pitr/lag.ts';
import { pitrRetentionCheck } from '../../../functions/checks/pitr/retention.ts';
import { pitrWindowCheck } from '../../../functions/checks/pitr/window.ts';
import { cloudSqlFact, contextWith, daysAgo, minutesAgo } from './fixtures.ts';

const KEY = 'projects/certctl-prod/locations/europe-west1/keyRings/certctl/cryptoKeys/cloudsql';
const VERSION = `${KEY}/cryptoKeyVersions/3`;
const keyIssue = { suspensionReasons: ['KMS_KEY_ISSUE'], kmsKeyName: KEY, kmsKeyVersionName: VERSION };

describe('a Cloud SQL instance Google suspended for its customer-managed key', () => {
  it('fails pitr.window and names the key, its version and the fix', () => {
    const outcome = pitrWindowCheck.evaluate(cloudSqlFact({ status: 'SUSPENDED' }, keyIssue), contextWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({
      status: 'SUSPENDED',
      suspensionReason: 'KMS_KEY_ISSUE',
      kmsKeyName: KEY,
      kmsKeyVersionName: VERSION,
    });
    expect(outcome?.description).toContain(`\`${KEY}\` (key version in use \`${VERSION}\`)`);
    expect(outcome?.remediationText).toContain(`gcloud kms keys versions enable ${VERSION}`);
    expect(outcome?.remediationText).toContain('roles/cloudkms.cryptoKeyEncrypterDecrypter');
  });

  it("names the Cloud SQL service agent by a command that derives the project's number from its id, asking the reader for no value", () => {
    // The finding knows the project id only; the agent is service-<number>@gcp-sa-cloud-sql.
    const outcome = pitrWindowCheck.evaluate(cloudSqlFact({ status: 'SUSPENDED' }, keyIssue), contextWith());
    expect(outcome?.remediationText).toContain(
      `give the Cloud SQL service agent of project certctl-prod access to it again (\`gcloud kms keys add-iam-policy-binding ${KEY} --member="serviceAccount:service-$(gcloud projects describe certctl-prod --format='value(projectNumber)')@gcp-sa-cloud-sql.iam.gserviceaccount.com" --role=roles/cloudkms.cryptoKeyEncrypterDecrypter\`)`,
    );
    expect(outcome?.remediationText).not.toMatch(/<project.number>/);
  });

  it('explains a stale latest recovery time by the key and names its fix', () => {
    const fact = cloudSqlFact(
      {
        status: 'SUSPENDED',
        restoreWindow: {
          known: true,
          earliest: daysAgo(30.5),
          latest: minutesAgo(600),
          source: 'getLatestRecoveryTime',
        },
      },
      keyIssue,
    );
    const outcome = pitrLagCheck.evaluate(fact, contextWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('because of its customer-managed key');
    expect(outcome?.description).not.toContain('Resolve the cause');
    expect(outcome?.remediationText).toContain('gcloud kms keys versions enable');
  });

  it('explains an old daily backup by the key and names its fix when point-in-time recovery is off', () => {
    const fact = cloudSqlFact(
      {
        status: 'SUSPENDED',
        pointInTimeRecoveryEnabled: false,
        restoreWindow: { known: true, earliest: daysAgo(7), latest: daysAgo(3), source: 'backupRuns.list' },
      },
      keyIssue,
    );
    const outcome = pitrLagCheck.evaluate(fact, contextWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('because of its customer-managed key');
    expect(outcome?.remediationText).toContain('gcloud kms keys versions enable');
  });

  it('says a retention PASS judges the setting only', () => {
    const outcome = pitrRetentionCheck.evaluate(
      cloudSqlFact({ status: 'SUSPENDED' }, keyIssue),
      contextWith(),
    );
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain('suspensionReason KMS_KEY_ISSUE');
  });

  it('is not available, not failed, when the answer named no key: which key encrypts the backups is not known', () => {
    const outcome = pitrWindowCheck.evaluate(
      cloudSqlFact({ status: 'SUSPENDED' }, { suspensionReasons: ['KMS_KEY_ISSUE'] }),
      contextWith(),
    );
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'suspensionReason KMS_KEY_ISSUE, but the answer named no customer-managed key (diskEncryptionConfiguration.kmsKeyName)',
    );
  });

  it('leaves a key issue on a running instance unjudged: the reason is read only with state SUSPENDED', () => {
    const outcome = pitrWindowCheck.evaluate(cloudSqlFact({ status: 'RUNNABLE' }, keyIssue), contextWith());
    expect(outcome?.status).toBe('PASSED');
  });
});
