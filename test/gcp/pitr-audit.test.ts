import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pitrChecks } from '../../functions/checks/pitr/index.ts';
import { type AuditReport, coverageProblems } from '../../functions/core/audit.ts';
import type { ComplianceStatus } from '../../functions/core/finding.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import { gcpCollectors } from '../../functions/gcp/collectors.ts';
import { ALL_REGIONS, planGcpScopes } from '../../functions/gcp/planner.ts';
import { runAuditReport } from '../../functions/jobs/audit.ts';
import { loadScenario } from '../sim/scenario.ts';
import type { Sim } from '../sim/server.ts';
import { cloudSqlScenario, instance, NOW, PROJECT, startGcpSim } from './sim-setup.ts';

const healthy = {
  edition: 'ENTERPRISE_PLUS',
  createdAt: '-300d',
  backups: { transactionLogRetentionDays: 35, retainedBackups: 36 },
} as const;

/** One instance per case; the name says what it is. */
const FLEET = [
  instance('healthy', { ...healthy, finalBackup: { enabled: true, retentionDays: 30 } }),
  instance('enterprise-7', {
    edition: 'ENTERPRISE',
    backups: { transactionLogRetentionDays: 7, retainedBackups: 8 },
  }),
  instance('no-pitr', { ...healthy, backups: { ...healthy.backups, pointInTimeRecovery: false } }),
  instance('filling', { ...healthy, recovery: { earliest: '-12d' } }),
  instance('stale', { ...healthy, recovery: { latest: '-3h' } }),
  instance('stopped', { ...healthy, activationPolicy: 'NEVER', recovery: { latest: '-3d' } }),
  instance('no-recovery-time', { ...healthy, faults: { getLatestRecoveryTime: 'FAILED_PRECONDITION' } }),
  instance('logs-on-disk', { ...healthy, backups: { ...healthy.backups, logStorage: 'DISK' } }),
  instance('unreadable-pitr', {
    ...healthy,
    omit: ['settings.backupConfiguration.pointInTimeRecoveryEnabled'],
  }),
  instance('unreadable-log-days', {
    ...healthy,
    omit: ['settings.backupConfiguration.transactionLogRetentionDays'],
  }),
  instance('unprotected', { ...healthy, deletionProtection: false, retainBackupsOnDelete: false }),
  instance('no-settings', { ...healthy, labels: {}, omit: ['settings'] }),
  instance('regional-backups', { ...healthy, backups: { ...healthy.backups, location: 'europe-west1' } }),
  // Settings and recovery times of a healthy instance, in a state that says otherwise.
  instance('pending-delete', { ...healthy, state: 'PENDING_DELETE' }),
  instance('suspended', { ...healthy, state: 'SUSPENDED' }),
  instance('replica', {
    ...healthy,
    instanceType: 'READ_REPLICA_INSTANCE',
    masterInstanceName: `${PROJECT}:healthy`,
  }),
];

/** Every status each Cloud SQL check can give, and the instance that gives it. */
const EXPECTED: readonly [check: string, status: ComplianceStatus, instance: string][] = [
  ['pitr.enabled', 'PASSED', 'healthy'],
  ['pitr.enabled', 'FAILED', 'no-pitr'],
  ['pitr.enabled', 'NOT_AVAILABLE', 'unreadable-pitr'],
  ['pitr.retention', 'PASSED', 'healthy'],
  ['pitr.retention', 'FAILED', 'enterprise-7'],
  ['pitr.retention', 'NOT_AVAILABLE', 'unreadable-log-days'],
  // With PITR off no log is kept whatever the log days say: unread, they prove no retention.
  ['pitr.retention', 'NOT_AVAILABLE', 'unreadable-pitr'],
  ['pitr.window', 'PASSED', 'healthy'],
  ['pitr.window', 'WARNING', 'filling'],
  ['pitr.window', 'FAILED', 'enterprise-7'],
  ['pitr.window', 'NOT_AVAILABLE', 'no-recovery-time'],
  // Being deleted, its backups and logs go with it; suspended, a restore is not shown to run.
  ['pitr.window', 'FAILED', 'pending-delete'],
  ['pitr.window', 'NOT_AVAILABLE', 'suspended'],
  ['pitr.lag', 'PASSED', 'healthy'],
  ['pitr.lag', 'FAILED', 'stale'],
  ['pitr.lag', 'NOT_AVAILABLE', 'no-recovery-time'],
  ['pitr.lag', 'NOT_AVAILABLE', 'logs-on-disk'],
  // Cloud SQL reports no window for logs on disk: one derived from the settings proves none long enough.
  ['pitr.window', 'NOT_AVAILABLE', 'logs-on-disk'],
  ['pitr.deletion-protection', 'PASSED', 'healthy'],
  ['pitr.deletion-protection', 'FAILED', 'unprotected'],
  ['pitr.deletion-protection', 'NOT_AVAILABLE', 'no-settings'],
  ['pitr.cross-region', 'PASSED', 'healthy'],
  ['pitr.cross-region', 'FAILED', 'regional-backups'],
  ['pitr.cross-region', 'NOT_AVAILABLE', 'no-settings'],
];

async function runAgainst(sim: Sim, policyInput: Parameters<typeof parsePolicy>[0]): Promise<AuditReport> {
  const factory = new GcpClientFactory({ endpoint: sim.endpoint });
  try {
    return await runAuditReport(
      { providers: ['gcp'] },
      {
        policy: parsePolicy(policyInput),
        gcp: { clients: factory, collectors: gcpCollectors },
        now: () => NOW,
      },
    );
  } finally {
    await factory.close();
  }
}

describe('the GCP PITR audit over the simulator', () => {
  let sim: Sim;
  let report: AuditReport;

  beforeAll(async () => {
    ({ sim } = await startGcpSim(cloudSqlScenario(FLEET)));
    report = await runAgainst(sim, {
      gcp: { projects: [PROJECT] },
      pitr: { requireCrossRegionBackup: true },
      targets: { identifiers: ['no-settings'] },
    });
  });

  afterAll(async () => {
    await sim.close();
  });

  it.each(EXPECTED)('reports %s %s for the %s instance', (check, status, name) => {
    // Act
    const finding = report.findings.find(
      (candidate) => candidate.checkId === check && candidate.resource.id === name,
    );

    // Assess
    expect(finding?.status).toBe(status);
    expect(finding?.resource).toMatchObject({
      provider: 'gcp',
      account: PROJECT,
      type: 'GcpCloudSqlInstance',
    });
  });

  it('explains a stale latest recovery time by the stop, not by broken archiving, when the instance is stopped', () => {
    // Act
    const lag = report.findings.find(
      (candidate) => candidate.checkId === 'pitr.lag' && candidate.resource.id === 'stopped',
    );

    // Assess
    expect(lag?.status).toBe('FAILED');
    expect(lag?.description).toContain(
      'The database status is `STOPPED`: a stopped database archives no WAL',
    );
    expect(lag?.description).not.toContain('WAL archiving may be broken');
    expect(lag?.observed).toMatchObject({ status: 'STOPPED' });
  });

  it('says the 30-day target is impossible on ENTERPRISE and names the upgrade when the edition caps logs at 7 days', () => {
    // Act
    const finding = report.findings.find(
      (candidate) => candidate.checkId === 'pitr.retention' && candidate.resource.id === 'enterprise-7',
    );

    // Assess
    expect(finding?.description).toContain('impossible on the ENTERPRISE edition');
    expect(finding?.remediation.text).toContain('--edition=ENTERPRISE_PLUS');
  });

  it('says the latest recovery time needs logs in Cloud Storage and how to switch them when the logs are on disk', () => {
    // Act
    const lag = report.findings.find(
      (candidate) => candidate.checkId === 'pitr.lag' && candidate.resource.id === 'logs-on-disk',
    );
    const window = report.findings.find(
      (candidate) => candidate.checkId === 'pitr.window' && candidate.resource.id === 'logs-on-disk',
    );

    // Assess
    expect(lag?.description).toContain(
      'only for instances whose transaction logs are in Cloud Storage, and this instance keeps them on its data disk (transactionalLogStorageState=DISK)',
    );
    expect(lag?.remediation.text).toContain(
      `gcloud sql instances patch logs-on-disk --project=${PROJECT} --switch-transaction-logs-to-cloud-storage`,
    );
    expect(lag?.remediation.text).not.toContain('audit role');
    expect(window?.description).toContain('transactionalLogStorageState=DISK');
    expect(window?.observed).toMatchObject({ windowDays: null, derivedWindowDays: 35 });
    expect(window?.remediation.text).toContain('--switch-transaction-logs-to-cloud-storage');
  });

  it('judges no replica and evaluates the project as one scope across regions', () => {
    // Act
    const judged = new Set(report.findings.map((finding) => finding.resource.id));

    // Assess
    expect(judged.has('replica')).toBe(false);
    expect(report.scopes).toEqual([
      {
        scope: { provider: 'gcp', account: PROJECT, region: ALL_REGIONS, group: 'pitr' },
        status: 'complete',
        resources: 15,
        // The replica is judged at its primary, which says so for a policy that names it.
        standIns: [
          {
            names: [
              'replica',
              `https://sqladmin.googleapis.com/v1/projects/${PROJECT}/instances/replica`,
              `${PROJECT}:europe-west1:replica`,
            ],
            what: 'Cloud SQL read replica',
            judgedAt: 'healthy',
          },
        ],
        // The policy turns pitr.cross-region on: every check of the group ran.
        checks: { on: pitrChecks.map((check) => check.metadata.id), off: [] },
      },
    ]);
  });
});

describe('the GCP PITR audit of a replica named by connection name or selfLink', () => {
  it('judges its primary and says so, not that the replica was not found', async () => {
    // Prepare: neither primary carries the target label; the policy names their replicas as a
    // connection name (what the Cloud SQL Auth Proxy takes) and as a selfLink.
    const { sim } = await startGcpSim(
      cloudSqlScenario([
        instance('primary-a', { labels: {} }),
        instance('replica-a', { labels: {}, masterInstanceName: `${PROJECT}:primary-a` }),
        instance('primary-b', { labels: {} }),
        instance('replica-b', { labels: {}, masterInstanceName: `${PROJECT}:primary-b`, region: 'us-east1' }),
      ]),
    );
    const connectionName = `${PROJECT}:europe-west1:replica-a`;
    const selfLink = `https://sqladmin.googleapis.com/v1/projects/${PROJECT}/instances/replica-b`;

    // Act
    const report = await runAgainst(sim, {
      gcp: { projects: [PROJECT] },
      targets: { tags: [], identifiers: [connectionName, selfLink] },
    }).finally(() => sim.close());

    // Assess
    expect(new Set(report.findings.map((finding) => finding.resource.id))).toEqual(
      new Set(['primary-a', 'primary-b']),
    );
    expect(report.unmatchedTargets).toEqual([]);
    expect(report.targetsJudgedElsewhere).toEqual([
      { identifier: connectionName, note: 'Cloud SQL read replica, judged at primary-a' },
      { identifier: selfLink, note: 'Cloud SQL read replica, judged at primary-b' },
    ]);
  });
});

describe('the GCP PITR audit of selected instances it cannot audit', () => {
  it('names a labelled or named instance of another engine and a labelled replica of an unselected primary under Coverage', async () => {
    // Prepare: MySQL carries the target label, SQL Server is named by its connection name, the
    // PostgreSQL replica carries the label while its primary does not; an unselected MySQL is no business of the audit.
    const { sim } = await startGcpSim(
      cloudSqlScenario([
        instance('healthy'),
        instance('mysql-labelled', { databaseVersion: 'MYSQL_8_0' }),
        instance('sqlserver-named', { databaseVersion: 'SQLSERVER_2019_STANDARD', labels: {} }),
        instance('mysql-other', { databaseVersion: 'MYSQL_8_0', labels: {} }),
        instance('unlabelled-primary', { labels: {} }),
        instance('labelled-replica', {
          instanceType: 'READ_REPLICA_INSTANCE',
          masterInstanceName: `${PROJECT}:unlabelled-primary`,
        }),
        instance('external-src', { instanceType: 'ON_PREMISES_INSTANCE' }),
        instance('external-replica', {
          instanceType: 'READ_REPLICA_INSTANCE',
          masterInstanceName: `${PROJECT}:external-src`,
        }),
      ]),
    );

    // Act
    const report = await runAgainst(sim, {
      gcp: { projects: [PROJECT] },
      targets: { identifiers: [`${PROJECT}:europe-west1:sqlserver-named`] },
    }).finally(() => sim.close());

    // Assess: reported as what they are, not as targets not found.
    expect(new Set(report.findings.map((finding) => finding.resource.id))).toEqual(new Set(['healthy']));
    expect(report.unmatchedTargets).toEqual([]);
    expect(coverageProblems(report)).toEqual([
      'labelled-replica carries the target tag certctl:backup-guard=enabled but is a read replica of unlabelled-primary, which does not: tag the primary to audit it',
      "external-replica carries the target tag certctl:backup-guard=enabled but is a read replica of external-src, which represents a server outside Cloud SQL: that server's backups are not audited here, and no label or tag changes that",
      'mysql-labelled is selected by the target tag certctl:backup-guard=enabled but its engine MYSQL_8_0 is not PostgreSQL: not audited',
      'sqlserver-named is selected by targets.identifiers but its engine SQLSERVER_2019_STANDARD is not PostgreSQL: not audited',
    ]);
  });
});

describe('the GCP PITR audit when a project cannot be listed', () => {
  it('reports every check NOT_AVAILABLE for the project and never PASSED', async () => {
    // Prepare
    const { sim } = await startGcpSim(
      cloudSqlScenario([instance('healthy')], { listFault: { status: 'PERMISSION_DENIED' } }),
    );

    // Act
    const report = await runAgainst(sim, { gcp: { projects: [PROJECT] } }).finally(() => sim.close());

    // Assess
    expect(report.scopes).toEqual([
      expect.objectContaining({
        status: 'failed',
        error: expect.objectContaining({ code: 'PERMISSION_DENIED' }),
      }),
    ]);
    expect(report.counts.PASSED).toBe(0);
    expect(report.findings.length).toBeGreaterThan(0);
    expect(report.findings.every((finding) => finding.status === 'NOT_AVAILABLE')).toBe(true);
    expect(report.findings[0]?.resource).toMatchObject({
      type: 'Scope',
      account: PROJECT,
      region: ALL_REGIONS,
    });
  });
});

describe('the GCP PITR audit on the demo fleet', () => {
  it('recognises each demo case when demo-aws.yaml and demo-gcp.yaml are merged', async () => {
    // Prepare
    const scenario = await loadScenario(
      'test/sim/scenarios/demo-aws.yaml',
      'test/sim/scenarios/demo-gcp.yaml',
    );
    const { sim } = await startGcpSim(scenario);

    // Act
    const report = await runAgainst(sim, { gcp: { projects: ['certctl-prod'] } }).finally(() => sim.close());

    // Assess
    const status = (check: string, name: string) =>
      report.findings.find((finding) => finding.checkId === check && finding.resource.id === name)?.status;
    expect(status('pitr.retention', 'certctl-gcp-db')).toBe('FAILED');
    expect(status('pitr.window', 'certctl-gcp-db')).toBe('FAILED');
    expect(status('pitr.window', 'certctl-gcp-db-plus')).toBe('PASSED');
    expect(status('pitr.retention', 'certctl-gcp-db-plus')).toBe('PASSED');
    expect(status('pitr.window', 'certctl-gcp-db-eu-new')).toBe('WARNING');
    expect(status('pitr.enabled', 'certctl-gcp-legacy-db')).toBe('FAILED');
    const legacyWindow = report.findings.find(
      (finding) => finding.checkId === 'pitr.window' && finding.resource.id === 'certctl-gcp-legacy-db',
    );
    expect(legacyWindow?.description).toContain('has a backup-only window');
    expect(legacyWindow?.description).toContain('The 7 retained daily backups');
    expect(legacyWindow?.remediation.text).not.toContain('--retained-transaction-log-days');
    const enterpriseWindow = report.findings.find(
      (finding) => finding.checkId === 'pitr.window' && finding.resource.id === 'certctl-gcp-db',
    );
    expect(enterpriseWindow?.remediation.text).toContain('impossible on this edition');
    expect(enterpriseWindow?.remediation.text).not.toContain('--retained-transaction-log-days');
    const judged = new Set(report.findings.map((finding) => finding.resource.id));
    expect(judged.has('certctl-gcp-db-replica')).toBe(false);
    expect(judged.has('billing-db')).toBe(false);
  });
});

describe('planGcpScopes', () => {
  it('plans one project-wide scope per project when the policy lists projects', () => {
    // Act: a project named twice (the policy refuses that; --project certctl-prod,certctl-prod does not)
    const plans = planGcpScopes(parsePolicy({ gcp: { projects: ['certctl-prod', 'certctl-dr-1'] } }), {
      groups: ['pitr'],
      projects: ['certctl-prod', 'certctl-dr-1', 'certctl-prod'],
    });

    // Assess
    expect(plans.map((plan) => plan.scope)).toEqual([
      { provider: 'gcp', account: 'certctl-prod', region: '*', group: 'pitr' },
      { provider: 'gcp', account: 'certctl-dr-1', region: '*', group: 'pitr' },
    ]);
  });

  it('plans only the given projects when the caller names them', () => {
    // Act
    const plans = planGcpScopes(parsePolicy({ gcp: { projects: ['certctl-prod'] } }), {
      groups: ['pitr'],
      projects: ['certctl-stage'],
    });

    // Assess
    expect(plans.map((plan) => plan.scope.account)).toEqual(['certctl-stage']);
  });

  it('narrows only the groups audited everywhere when the places are read everywhere (readiness)', () => {
    // Prepare: the key material lives in another project than the one the run names.
    const placesOf = (group: string) =>
      group === 'keys' ? [{ account: 'certctl-secrets', region: '*' }] : undefined;
    const policy = parsePolicy({ gcp: { projects: ['certctl-prod'] } });

    // Act
    const audit = planGcpScopes(policy, { groups: ['pitr', 'keys'], projects: ['certctl-stage'], placesOf });
    const readiness = planGcpScopes(policy, {
      groups: ['pitr', 'keys'],
      projects: ['certctl-stage'],
      placesOf,
      placesEverywhere: true,
    });

    // Assess: an audit of one project reads that project only; readiness reads the secrets where they are.
    expect(audit.map((plan) => `${plan.scope.account}/${plan.scope.group}`)).toEqual(['certctl-stage/pitr']);
    expect(readiness.map((plan) => `${plan.scope.account}/${plan.scope.group}`)).toEqual([
      'certctl-stage/pitr',
      'certctl-secrets/keys',
    ]);
  });
});
