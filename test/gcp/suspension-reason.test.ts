import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport } from '../../functions/core/audit.ts';
import type { Finding } from '../../functions/core/finding.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import { gcpCollectors } from '../../functions/gcp/collectors.ts';
import { runAuditReport } from '../../functions/jobs/audit.ts';
import type { Sim } from '../sim/server.ts';
import { cloudSqlScenario, instance, NOW, PROJECT, startGcpSim } from './sim-setup.ts';

const KEY = `projects/${PROJECT}/locations/europe-west1/keyRings/certctl/cryptoKeys/cloudsql`;
const healthy = {
  edition: 'ENTERPRISE_PLUS',
  createdAt: '-300d',
  backups: { transactionLogRetentionDays: 35, retainedBackups: 36 },
  cmek: { kmsKeyName: KEY, kmsKeyVersionName: `${KEY}/cryptoKeyVersions/3` },
} as const;
const keyIssue = { ...healthy, state: 'SUSPENDED', suspensionReasons: ['KMS_KEY_ISSUE'] };

/** Settings and recovery times of a healthy CMEK instance, suspended for the reason each name says. */
const FLEET = [
  instance('key-issue', keyIssue),
  instance('key-issue-key-not-sent', { ...keyIssue, omit: ['diskEncryptionConfiguration'] }),
  instance('reason-not-sent', { ...keyIssue, omit: ['suspensionReason'] }),
  instance('billing-issue', { ...keyIssue, suspensionReasons: ['BILLING_ISSUE'] }),
];

describe('a suspended Cloud SQL instance, judged by the suspensionReason the API sent', () => {
  let sim: Sim;
  let report: AuditReport;
  const finding = (check: string, name: string): Finding | undefined =>
    report.findings.find((candidate) => candidate.checkId === check && candidate.resource.id === name);

  beforeAll(async () => {
    ({ sim } = await startGcpSim(cloudSqlScenario(FLEET)));
    const factory = new GcpClientFactory({ endpoint: sim.endpoint });
    try {
      report = await runAuditReport(
        { providers: ['gcp'] },
        {
          policy: parsePolicy({ gcp: { projects: [PROJECT] }, pitr: { requireCrossRegionBackup: true } }),
          gcp: { clients: factory, collectors: gcpCollectors },
          now: () => NOW,
        },
      );
    } finally {
      await factory.close();
    }
  });

  afterAll(async () => {
    await sim.close();
  });

  it.each(['pitr.window', 'pitr.lag', 'pitr.cross-region'])(
    'fails %s when Google suspended a CMEK instance for its KMS key: its backups are encrypted with that key',
    (check) => {
      const outcome = finding(check, 'key-issue');
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('suspensionReason KMS_KEY_ISSUE');
      expect(outcome?.description).toContain(KEY);
      expect(outcome?.observed).toMatchObject({
        status: 'SUSPENDED',
        suspensionReason: 'KMS_KEY_ISSUE',
        kmsKeyName: KEY,
      });
      expect(outcome?.remediation.text).toContain('cloudkms.cryptoKeyEncrypterDecrypter');
    },
  );

  it('says a PASS of the configuration judges the setting only when the key issue stops every restore', () => {
    const enabled = finding('pitr.enabled', 'key-issue');
    expect(enabled?.status).toBe('PASSED');
    expect(enabled?.description).toContain('This judges the setting only');
  });

  it.each(['key-issue-key-not-sent', 'reason-not-sent', 'billing-issue'])(
    'leaves pitr.window not available, not failed, for %s: no key issue on a named key was sent',
    (name) => {
      const window = finding('pitr.window', name);
      expect(window?.status).toBe('NOT_AVAILABLE');
      expect(window?.observed).toMatchObject({ status: 'SUSPENDED' });
      expect(finding('pitr.enabled', name)?.description).not.toContain('This judges the setting only');
    },
  );

  it('names the reason the API sent on a suspension it does not prove a failure of', () => {
    expect(finding('pitr.window', 'billing-issue')?.description).toContain('suspensionReason BILLING_ISSUE');
  });
});
