import { afterEach, describe, expect, it } from 'vitest';
import { pitrCrossRegionCheck } from '../../functions/checks/pitr/cross-region.ts';
import { pitrDeletionProtectionCheck } from '../../functions/checks/pitr/deletion-protection.ts';
import { pitrChecks } from '../../functions/checks/pitr/index.ts';
import { pitrLagCheck } from '../../functions/checks/pitr/lag.ts';
import { pitrRetentionCheck } from '../../functions/checks/pitr/retention.ts';
import { pitrWindowCheck } from '../../functions/checks/pitr/window.ts';
import { CloudApiError } from '../../functions/core/errors.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import {
  type BackupRun,
  type CloudSqlApi,
  type CloudSqlReadOptions,
  type DatabaseInstance,
  DEFAULT_BACKUP_LOCATION,
  labelForTag,
  listInstances,
  readCloudSqlPitrFacts,
  skipReason,
  toPitrFact,
} from '../../functions/gcp/cloud-sql.ts';
import { CLOUD_SQL_ENUMS } from '../../functions/gcp/wire.ts';
import { contextWith } from '../checks/pitr/fixtures.ts';
import type { Sim } from '../sim/server.ts';
import type { SimRequest, SimService } from '../sim/service.ts';
import { cloudSqlScenario, instance, NOW, PROJECT, startGcpSim } from './sim-setup.ts';

const DAY_MS = 86_400_000;

/** Never claims a request; records what the clients sent. */
function requestSpy(): SimService & { requests: SimRequest[] } {
  const requests: SimRequest[] = [];
  return {
    name: 'spy',
    requests,
    matches(request) {
      requests.push(request);
      return false;
    },
    handle: () => ({ status: 500, body: '' }),
    throttled: () => ({ status: 500, body: '' }),
    serverError: () => ({ status: 500, body: '' }),
  };
}

describe('readCloudSqlPitrFacts', () => {
  let sim: Sim | undefined;
  let factory: GcpClientFactory | undefined;

  afterEach(async () => {
    await factory?.close();
    await sim?.close();
    sim = undefined;
    factory = undefined;
  });

  async function read(
    scenario: Parameters<typeof startGcpSim>[0],
    policyInput: Parameters<typeof parsePolicy>[0] = {},
    options: Parameters<typeof startGcpSim>[1] = {},
    readOptions: CloudSqlReadOptions = {},
  ) {
    ({ sim } = await startGcpSim(scenario, options));
    factory = new GcpClientFactory({ endpoint: sim.endpoint });
    return readCloudSqlPitrFacts(factory.cloudSql(), PROJECT, parsePolicy(policyInput), readOptions);
  }

  it('reads every page of instances.list when the API pages', async () => {
    // Prepare
    const names = ['db-1', 'db-2', 'db-3', 'db-4', 'db-5'];

    // Act
    const facts = await read(
      cloudSqlScenario(
        names.map((name) => instance(name)),
        { maxPageSize: 2 },
      ),
    );

    // Assess
    expect(facts.map((fact) => fact.resource.id).sort()).toEqual(names);
    expect(sim?.stats().byOperation['cloudSql:instances.list']).toBe(3);
    expect(sim?.stats().byOperation['cloudSql:instances.getLatestRecoveryTime']).toBe(5);
  });

  it('skips replicas, read pools, on-premises sources and other engines when selecting primaries', async () => {
    // Prepare
    const scenario = cloudSqlScenario([
      instance('primary'),
      instance('replica', {
        instanceType: 'READ_REPLICA_INSTANCE',
        masterInstanceName: `${PROJECT}:primary`,
      }),
      instance('replica-untyped', { masterInstanceName: `${PROJECT}:primary` }),
      instance('pool', { instanceType: 'READ_POOL_INSTANCE' }),
      instance('onprem', { instanceType: 'ON_PREMISES_INSTANCE' }),
      instance('mysql', { databaseVersion: 'MYSQL_8_0' }),
    ]);

    // Act
    const facts = await read(scenario);

    // Assess
    expect(facts.map((fact) => fact.resource.id)).toEqual(['primary']);
    expect(sim?.stats().byOperation['cloudSql:instances.getLatestRecoveryTime']).toBe(1);
  });

  it('says which labelled read replicas nothing audits because their primary is not selected', async () => {
    // Prepare: each replica carries the target label; only 'labelled' of the primaries does.
    const scenario = cloudSqlScenario([
      instance('primary', { labels: {} }),
      instance('labelled'),
      instance('replica', {
        instanceType: 'READ_REPLICA_INSTANCE',
        masterInstanceName: `${PROJECT}:primary`,
      }),
      instance('bare-replica', { masterInstanceName: 'primary' }),
      instance('covered-replica', { masterInstanceName: `${PROJECT}:labelled` }),
      instance('far-replica', { masterInstanceName: 'other-project:primary' }),
      instance('unlabelled-replica', { masterInstanceName: `${PROJECT}:primary`, labels: {} }),
      instance('leaf-replica', { masterInstanceName: `${PROJECT}:unlabelled-replica` }),
    ]);

    // Act
    const facts = await read(scenario);

    // Assess: a primary in another project may be selected there; here it is not known.
    expect(facts.map((fact) => fact.resource.id)).toEqual(['labelled']);
    expect(facts.taggedStandIns).toEqual([
      ...['replica', 'bare-replica'].map((id) => ({
        id,
        tag: 'certctl:backup-guard=enabled',
        of: 'a read replica of primary',
        tagInstead: 'the primary',
      })),
      {
        id: 'leaf-replica',
        tag: 'certctl:backup-guard=enabled',
        of: 'a read replica of unlabelled-replica, itself a read replica of primary',
        tagInstead: 'the primary primary',
      },
    ]);
  });

  it('says a labelled replica of an external server has no Cloud SQL primary to label', async () => {
    // Prepare: external-src is the source representation instance of a server outside Cloud SQL
    // (instanceType ON_PREMISES_INSTANCE); one replica of it directly, one through another replica.
    const scenario = cloudSqlScenario([
      instance('external-src', { instanceType: 'ON_PREMISES_INSTANCE' }),
      instance('external-replica', {
        instanceType: 'READ_REPLICA_INSTANCE',
        masterInstanceName: `${PROJECT}:external-src`,
        labels: {},
      }),
      instance('external-leaf', { masterInstanceName: `${PROJECT}:external-replica` }),
      instance('direct-replica', { masterInstanceName: `${PROJECT}:external-src` }),
    ]);

    // Act
    const facts = await read(scenario);

    // Assess: nothing to label instead; before, they were told to label "the primary".
    expect(facts.map((fact) => fact.resource.id)).toEqual([]);
    expect(facts.taggedStandIns).toEqual([
      {
        id: 'external-leaf',
        tag: 'certctl:backup-guard=enabled',
        of: 'a read replica of external-replica, itself a read replica of external-src',
        outsideSource: 'Cloud SQL',
      },
      {
        id: 'direct-replica',
        tag: 'certctl:backup-guard=enabled',
        of: 'a read replica of external-src',
        outsideSource: 'Cloud SQL',
      },
    ]);
  });

  it('judges a named cascading replica at its primary', async () => {
    // Prepare: no labels; the policy names a replica of a replica.
    const scenario = cloudSqlScenario([
      instance('primary', { labels: {} }),
      instance('mid-replica', { masterInstanceName: `${PROJECT}:primary`, labels: {} }),
      instance('leaf-replica', { masterInstanceName: `${PROJECT}:mid-replica`, labels: {} }),
    ]);

    // Act
    const facts = await read(scenario, { targets: { identifiers: ['leaf-replica'] } });

    // Assess: before, only the primary's own replicas selected it, so nothing was judged for
    // leaf-replica and the audit said it was not found.
    expect(facts.map((fact) => fact.resource.id)).toEqual(['primary']);
    expect(facts[0]?.standsFor).toEqual([
      expect.objectContaining({
        names: expect.arrayContaining(['mid-replica']),
        what: 'Cloud SQL read replica',
      }),
      expect.objectContaining({
        names: expect.arrayContaining(['leaf-replica', `${PROJECT}:europe-west1:leaf-replica`]),
        what: 'Cloud SQL cascading read replica (a read replica of mid-replica, itself a read replica of primary)',
      }),
    ]);
  });

  it('says which instances of another engine the policy names or labels, and judges none of them', async () => {
    // Prepare
    const scenario = cloudSqlScenario([
      instance('postgres'),
      instance('mysql-labelled', { databaseVersion: 'MYSQL_8_0' }),
      instance('sqlserver-named', { databaseVersion: 'SQLSERVER_2019_STANDARD', labels: {} }),
      instance('mysql-other', { databaseVersion: 'MYSQL_8_0', labels: {} }),
    ]);

    // Act
    const facts = await read(scenario, { targets: { identifiers: ['SQLSERVER-NAMED'] } });
    const everything = await read(scenario, { targets: { all: true } });

    // Assess: `targets.all` selects every PostgreSQL database, and reports no other engine.
    expect(facts.map((fact) => fact.resource.id)).toEqual(['postgres']);
    expect(facts.otherEngines).toEqual([
      expect.objectContaining({
        id: 'mysql-labelled',
        selectedBy: 'the target tag certctl:backup-guard=enabled',
        engine: 'MYSQL_8_0',
      }),
      expect.objectContaining({
        id: 'sqlserver-named',
        names: expect.arrayContaining(['sqlserver-named', `${PROJECT}:europe-west1:sqlserver-named`]),
        selectedBy: 'targets.identifiers',
        engine: 'SQLSERVER_2019_STANDARD',
      }),
    ]);
    expect(everything.otherEngines).toBeUndefined();
  });

  it('selects targets by the label form of the policy tag, by name and by selfLink', async () => {
    // Prepare
    const scenario = cloudSqlScenario([
      instance('labelled'),
      instance('team-labelled', { labels: { 'team-pki': 'core' } }),
      instance('named', { labels: {} }),
      instance('linked', { labels: {} }),
      instance('unrelated', { labels: { app: 'billing' } }),
    ]);
    const policy = {
      targets: {
        tags: [
          { key: 'certctl:backup-guard', value: 'enabled' },
          { key: 'Team:PKI', value: 'Core' },
        ],
        identifiers: ['NAMED', `https://sqladmin.googleapis.com/v1/projects/${PROJECT}/instances/linked`],
      },
    };

    // Act
    const facts = await read(scenario, policy);

    // Assess
    expect(facts.map((fact) => fact.resource.id).sort()).toEqual([
      'labelled',
      'linked',
      'named',
      'team-labelled',
    ]);
  });

  it('reads the delete-time protections as off when Cloud SQL leaves them out of its answer', async () => {
    // Prepare: settings present, but deletionProtectionEnabled, retainBackupsOnDelete and
    // finalBackupConfig never set, so the API omits them.
    const scenario = cloudSqlScenario([
      instance('defaults', { deletionProtection: undefined, retainBackupsOnDelete: undefined }),
    ]);

    // Act
    const [fact] = await read(scenario);

    // Assess
    expect(fact?.deletionProtection).toBe(false);
    expect(fact?.cloudSql).toMatchObject({ retainBackupsOnDelete: false, finalBackupEnabled: false });
  });

  it('says a delete-time protection is not set, not that the API sent false, when Cloud SQL leaves it out', async () => {
    // Prepare: deletionProtectionEnabled and finalBackupConfig left out; retainBackupsOnDelete sent false.
    const scenario = cloudSqlScenario([
      instance('defaults', { deletionProtection: undefined, retainBackupsOnDelete: false }),
    ]);

    // Act
    const [fact] = await read(scenario);
    const outcome = fact && pitrDeletionProtectionCheck.evaluate(fact, contextWith());

    // Assess: still FAILED (off unless set), worded as what was sent.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'deletion protection is off (settings.deletionProtectionEnabled not set, which means off)',
    );
    expect(outcome?.description).not.toContain('deletionProtectionEnabled=false');
    expect(outcome?.description).toContain(
      'settings.retainBackupsOnDelete=false, settings.finalBackupConfig.enabled not set, which means off',
    );
  });

  it('decodes numeric enums, wrapped values and int64 timestamps when the REST fallback asks for enum-encoding=int', async () => {
    // Prepare
    const spy = requestSpy();
    const scenario = cloudSqlScenario([
      instance('plus', {
        edition: 'ENTERPRISE_PLUS',
        databaseVersion: 'POSTGRES_16',
        createdAt: '2025-06-01T08:30:00Z',
        backups: { transactionLogRetentionDays: 35, retainedBackups: 36, location: 'eu' },
        finalBackup: { enabled: true, retentionDays: 30 },
        retainBackupsOnDelete: false,
      }),
    ]);

    // Act
    const [fact] = await read(scenario, {}, { extraServices: [spy] });

    // Assess
    const list = spy.requests.find((request) => request.path === `/v1/projects/${PROJECT}/instances`);
    expect(list?.query.get('$alt')).toBe('json;enum-encoding=int');
    expect(list?.query.get('maxResults')).toBe('1000');
    expect(fact).toMatchObject({
      kind: 'cloudsql-instance',
      engine: 'POSTGRES_16',
      status: 'RUNNABLE',
      retentionDays: 35,
      retentionRange: { min: 1, max: 35 },
      automatedBackupsEnabled: true,
      pointInTimeRecoveryEnabled: true,
      deletionProtection: true,
      crossRegionBackupTargets: ['eu'],
      resource: {
        provider: 'gcp',
        account: PROJECT,
        region: 'europe-west1',
        type: 'GcpCloudSqlInstance',
        id: 'plus',
        selfLink: `https://sqladmin.googleapis.com/v1/projects/${PROJECT}/instances/plus`,
      },
      cloudSql: {
        edition: 'ENTERPRISE_PLUS',
        retainedBackups: 36,
        retainBackupsOnDelete: false,
        finalBackupEnabled: true,
        finalBackupRetentionDays: 30,
      },
    });
    expect(fact?.createdAt?.toISOString()).toBe('2025-06-01T08:30:00.000Z');
    // The resource carries it too: readiness tells a backup run of an earlier instance of the name by it.
    expect(fact?.resource.createdAt).toBe('2025-06-01T08:30:00.000Z');
  });

  it('reads the restore window from getLatestRecoveryTime when PITR is on', async () => {
    // Prepare
    const scenario = cloudSqlScenario([instance('db', { recovery: { earliest: '-6d', latest: '-4m' } })]);

    // Act
    const [fact] = await read(scenario);

    // Assess
    expect(fact?.restoreWindow).toEqual({
      known: true,
      earliest: new Date(NOW.getTime() - 6 * DAY_MS),
      latest: new Date(NOW.getTime() - 4 * 60_000),
      source: 'instances.getLatestRecoveryTime',
    });
    expect(sim?.stats().byOperation['cloudSql:backupRuns.list']).toBeUndefined();
  });

  it('uses the oldest and newest successful automated backup runs as the window when PITR is off', async () => {
    // Prepare
    const scenario = cloudSqlScenario(
      [
        instance('no-pitr', {
          backups: { pointInTimeRecovery: false },
          backupRuns: [
            { end: '-1d' },
            { end: '-2d' },
            { end: '-3d', status: 'FAILED' },
            { end: '-4d', type: 'ON_DEMAND' },
            { end: '-9d', status: 'DELETED' },
          ],
        }),
      ],
      { maxPageSize: 2 },
    );

    // Act
    const [fact] = await read(scenario);

    // Assess
    expect(fact?.restoreWindow).toEqual({
      known: true,
      earliest: new Date(NOW.getTime() - 2 * DAY_MS),
      latest: new Date(NOW.getTime() - 1 * DAY_MS),
      source: 'backupRuns.list (SUCCESSFUL AUTOMATED runs, PITR off)',
    });
    expect(fact?.pointInTimeRecoveryEnabled).toBe(false);
    expect(sim?.stats().byOperation['cloudSql:backupRuns.list']).toBe(3);
    expect(sim?.stats().byOperation['cloudSql:instances.getLatestRecoveryTime']).toBeUndefined();
  });

  it('does not let one old on-demand backup stretch the window when PITR is off', async () => {
    // Prepare
    const scenario = cloudSqlScenario([
      instance('no-pitr', {
        backups: { pointInTimeRecovery: false, retainedBackups: 7 },
        backupRuns: [{ end: '-1d' }, { end: '-3d' }, { end: '-200d', type: 'ON_DEMAND' }],
      }),
    ]);

    // Act
    const [fact] = await read(scenario);

    // Assess
    expect(fact?.restoreWindow).toMatchObject({
      known: true,
      earliest: new Date(NOW.getTime() - 3 * DAY_MS),
    });
  });

  it('decodes the run type and status whether they arrive as numbers or names', async () => {
    // Prepare
    const endedDaysAgo = (days: number) => ({ seconds: String(NOW.getTime() / 1000 - days * 86_400) });
    const runs: BackupRun[] = [
      {
        status: CLOUD_SQL_ENUMS.backupRunStatus.SUCCESSFUL,
        type: CLOUD_SQL_ENUMS.backupRunType.ON_DEMAND,
        endTime: endedDaysAgo(4),
      },
      {
        status: CLOUD_SQL_ENUMS.backupRunStatus.SUCCESSFUL,
        type: CLOUD_SQL_ENUMS.backupRunType.AUTOMATED,
        endTime: endedDaysAgo(3),
      },
      { status: 'SUCCESSFUL', type: 'AUTOMATED', endTime: endedDaysAgo(2) },
      { status: 'SUCCESSFUL', type: 'ON_DEMAND', endTime: endedDaysAgo(1) },
    ];
    const api: CloudSqlApi = {
      instances: {
        list: async () => [
          {
            items: [
              {
                name: 'no-pitr',
                databaseVersion: 'POSTGRES_16',
                settings: {
                  userLabels: { 'certctl-backup-guard': 'enabled' },
                  backupConfiguration: {
                    enabled: { value: true },
                    pointInTimeRecoveryEnabled: { value: false },
                  },
                },
              },
            ],
          },
        ],
        getLatestRecoveryTime: () => Promise.reject(new Error('not called')),
      },
      backupRuns: { list: async () => [{ items: runs }] },
    };

    // Act
    const [fact] = await readCloudSqlPitrFacts(api, PROJECT, parsePolicy({}));

    // Assess
    expect(fact?.restoreWindow).toMatchObject({
      known: true,
      earliest: new Date(NOW.getTime() - 3 * DAY_MS),
      latest: new Date(NOW.getTime() - 2 * DAY_MS),
    });
  });

  it('bounds the window by the oldest automated backup and the log days, without getLatestRecoveryTime, when the logs are on disk', async () => {
    // Prepare
    const scenario = cloudSqlScenario([
      instance('disk-long', {
        backups: { logStorage: 'DISK', transactionLogRetentionDays: 7, retainedBackups: 10 },
      }),
      instance('disk-young', {
        backups: { logStorage: 'DISK', transactionLogRetentionDays: 7 },
        backupRuns: [{ end: '-1d' }, { end: '-2d' }, { end: '-30d', type: 'ON_DEMAND' }],
      }),
      instance('switching', {
        backups: { logStorage: 'SWITCHING_TO_CLOUD_STORAGE', transactionLogRetentionDays: 7 },
      }),
    ]);

    // Act
    const facts = await read(scenario, {}, {}, { now: () => NOW });

    // Assess
    const byName = new Map(facts.map((fact) => [fact.resource.id, fact.restoreWindow]));
    expect(byName.get('disk-long')).toEqual({
      known: true,
      earliest: new Date(NOW.getTime() - 7 * DAY_MS),
      latest: undefined,
      source:
        'oldest AUTOMATED backup run and transactionLogRetentionDays=7; transactionalLogStorageState=DISK',
      derived:
        'the transaction logs are not in Cloud Storage (transactionalLogStorageState=DISK), so Cloud SQL reports no restore window for it (instances.getLatestRecoveryTime); the window is derived from its oldest automated backup and transactionLogRetentionDays=7',
    });
    expect(byName.get('disk-young')).toMatchObject({
      known: true,
      earliest: new Date(NOW.getTime() - 2 * DAY_MS),
      latest: undefined,
    });
    expect(byName.get('switching')).toMatchObject({
      known: true,
      source: expect.stringContaining('transactionalLogStorageState=SWITCHING_TO_CLOUD_STORAGE'),
    });
    expect(sim?.stats().byOperation['cloudSql:instances.getLatestRecoveryTime']).toBeUndefined();
    expect(sim?.stats().byOperation['cloudSql:backupRuns.list']).toBe(3);
  });

  it('derives no logs-on-disk window from log days beyond what the edition keeps', async () => {
    // Prepare: 36 daily backups, and 30 log days sent for an ENTERPRISE instance, which keeps 7 at most.
    const scenario = cloudSqlScenario([
      instance('enterprise-disk', {
        edition: 'ENTERPRISE',
        // Seeded on purpose: the API refuses to set it, the audit must not trust it if sent.
        backups: {
          logStorage: 'DISK',
          transactionLogRetentionDays: 30,
          retainedBackups: 36,
          impossible: true,
        },
      }),
      instance('plus-disk', {
        edition: 'ENTERPRISE_PLUS',
        backups: { logStorage: 'DISK', transactionLogRetentionDays: 30, retainedBackups: 36 },
      }),
    ]);

    // Act
    const facts = await read(scenario, {}, {}, { now: () => NOW });

    // Assess: 30 is no setting an ENTERPRISE instance can have, so how many days it keeps (1-7) is
    // not known, and no window is derived from it (as pitr.retention does not judge it).
    const byName = new Map(facts.map((fact) => [fact.resource.id, fact.restoreWindow]));
    expect(byName.get('enterprise-disk')).toEqual({
      known: false,
      reason:
        'the transaction logs are not in Cloud Storage (transactionalLogStorageState=DISK), so instances.getLatestRecoveryTime cannot report the window, and the API sent transactionLogRetentionDays=30, outside the 1-7 days the ENTERPRISE edition keeps, so no window is derived from it',
    });
    expect(byName.get('plus-disk')).toMatchObject({
      known: true,
      earliest: new Date(NOW.getTime() - 30 * DAY_MS),
    });
  });

  it('reports 0 days of retention and no restore point when automated backups are off', async () => {
    // Prepare
    const scenario = cloudSqlScenario([
      instance('off', { backups: { enabled: false, pointInTimeRecovery: false } }),
    ]);

    // Act
    const [fact] = await read(scenario);

    // Assess
    expect(fact?.retentionDays).toBe(0);
    expect(fact?.automatedBackupsEnabled).toBe(false);
    expect(fact?.restoreWindow).toMatchObject({ known: true, earliest: undefined, latest: undefined });
  });

  it('makes only that instance’s window unknown when getLatestRecoveryTime answers for it', async () => {
    // Prepare
    const scenario = cloudSqlScenario([
      instance('healthy'),
      instance('broken', { faults: { getLatestRecoveryTime: 'FAILED_PRECONDITION' } }),
    ]);

    // Act
    const facts = await read(scenario);

    // Assess
    const byName = new Map(facts.map((fact) => [fact.resource.id, fact]));
    expect(byName.get('healthy')?.restoreWindow.known).toBe(true);
    expect(byName.get('broken')?.restoreWindow).toEqual({
      known: false,
      reason: `instances.getLatestRecoveryTime was refused for the instance's setup or state (FAILED_PRECONDITION: Simulated FAILED_PRECONDITION for getLatestRecoveryTime on broken): Cloud SQL answers it only for an instance with point-in-time recovery on and its transaction logs in Cloud Storage; look at the instance (\`gcloud sql instances describe broken --project ${PROJECT}\`) and run the audit again`,
      accessDenied: false,
    });
  });

  // Before, each read "failed with CODE: message", leaving the reader to know what the code means.
  it.each([
    ['getLatestRecoveryTime', 'instances.getLatestRecoveryTime', {}, 'cloudsql.instances.get'],
    [
      'backupRuns',
      'backupRuns.list',
      { backups: { pointInTimeRecovery: false } },
      'cloudsql.backupRuns.list',
    ],
  ] as const)(
    'says which permission is missing, and where, when %s is denied',
    async (fault, readName, options, permission) => {
      // Prepare
      const scenario = cloudSqlScenario([
        instance('healthy'),
        instance('broken', { ...options, faults: { [fault]: 'PERMISSION_DENIED' } }),
      ]);

      // Act
      const facts = await read(scenario);

      // Assess
      const broken = facts.find((fact) => fact.resource.id === 'broken');
      expect(broken?.restoreWindow).toEqual({
        known: false,
        reason: `${readName} was denied (PERMISSION_DENIED: Simulated PERMISSION_DENIED for ${readName.replace(/^instances\./, '')} on broken): the service account that made the call (the audit, snapshot or chat-action function's) needs ${permission} in project ${PROJECT} (roles/cloudsql.viewer grants it)`,
        accessDenied: true,
        permission,
      });
    },
  );

  it.each([
    ['getLatestRecoveryTime', 'instances.getLatestRecoveryTime', {}],
    ['backupRuns', 'backupRuns.list', { backups: { pointInTimeRecovery: false } }],
  ] as const)(
    'says the instance was not found, most likely deleted since it was listed, when %s answers NOT_FOUND',
    async (fault, readName, options) => {
      // Prepare
      const scenario = cloudSqlScenario([
        instance('healthy'),
        instance('broken', { ...options, faults: { [fault]: 'NOT_FOUND' } }),
      ]);

      // Act
      const facts = await read(scenario);

      // Assess
      const broken = facts.find((fact) => fact.resource.id === 'broken');
      expect(broken?.restoreWindow).toEqual({
        known: false,
        reason: `${readName} found no instance broken in project ${PROJECT} (NOT_FOUND: Simulated NOT_FOUND for ${readName.replace(/^instances\./, '')} on broken): it was most likely deleted after this run listed it; run the audit again, which no longer lists it if so`,
        accessDenied: false,
      });
    },
  );

  it.each([
    ['getLatestRecoveryTime', 'instances.getLatestRecoveryTime', {}],
    ['backupRuns', 'backupRuns.list', { backups: { pointInTimeRecovery: false } }],
  ] as const)(
    'fails the project, naming the read and the instance, when %s fails for the call (INTERNAL), not the instance',
    async (fault, readName, options) => {
      // Prepare: a server error says nothing of the instance; before, its window was unknown in a
      // project read as complete.
      const scenario = cloudSqlScenario([
        instance('healthy'),
        instance('broken', { ...options, faults: { [fault]: 'INTERNAL' } }),
      ]);

      // Act / Assess
      await expect(read(scenario)).rejects.toMatchObject({
        name: 'CloudApiError',
        code: 'INTERNAL',
        message: expect.stringContaining(
          // Not "until the retries ran out": the read clients do not retry INTERNAL (gcp/clients.ts readRetry).
          `Cloud SQL ${readName} for instance broken in project ${PROJECT} failed: the service answered with a server error, which this client does not retry; its answer: INTERNAL`,
        ),
      });
    },
  );

  it('leaves a field unknown instead of guessing when the answer omits it', async () => {
    // Prepare
    const scenario = cloudSqlScenario([
      instance('partial', {
        omit: [
          'settings.backupConfiguration.pointInTimeRecoveryEnabled',
          'settings.backupConfiguration.transactionLogRetentionDays',
          'settings.edition',
        ],
      }),
    ]);

    // Act
    const [fact] = await read(scenario);

    // Assess
    expect(fact?.pointInTimeRecoveryEnabled).toBeUndefined();
    expect(fact?.retentionDays).toBeUndefined();
    expect(fact?.cloudSql?.edition).toBe('UNSPECIFIED');
    expect(fact?.retentionRange).toEqual({ min: 1, max: 7 });
    expect(fact?.crossRegionBackupTargets).toEqual([DEFAULT_BACKUP_LOCATION]);
  });

  it('fails the whole project with the API’s code when a page of instances.list fails', async () => {
    // Prepare
    const scenario = cloudSqlScenario([instance('a'), instance('b'), instance('c')], {
      maxPageSize: 2,
      listFault: { status: 'PERMISSION_DENIED', after: 1 },
    });

    // Act
    const reading = read(scenario);

    // Assess
    await expect(reading).rejects.toBeInstanceOf(CloudApiError);
    await expect(reading).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining(`instances.list failed for project ${PROJECT} with PERMISSION_DENIED`),
    });
  });

  /** The simulator's instances.list answers with `warnings` added (sent with HTTP 200). */
  function warningAnswer(warnings: readonly Record<string, unknown>[]): SimService & { inner?: SimService } {
    return {
      name: 'list-warnings',
      matches: (request) => request.method === 'GET' && request.path === `/v1/projects/${PROJECT}/instances`,
      async handle(request, context) {
        const answer = await (this.inner as SimService).handle(request, context);
        const body = JSON.parse(String(answer.body)) as Record<string, unknown>;
        body.warnings = warnings;
        return { ...answer, body: JSON.stringify(body) };
      },
      throttled: () => ({ status: 500, body: '' }),
      serverError: () => ({ status: 500, body: '' }),
    };
  }

  // A warning with HTTP 200 that the result set may be incomplete (ApiWarning REGION_UNREACHABLE),
  // and ones that do not say it is complete (Cloud SQL Admin v1 reference, SqlApiWarningCode):
  // SQL_API_WARNING_CODE_UNSPECIFIED "An unknown or unset warning type", and a number the protos
  // do not know (a warning newer than the library).
  it.each([
    ['a region was unreachable', { code: 1, region: 'us-central1' }, 'REGION_UNREACHABLE', 'us-central1'],
    ['code 0', { code: 0 }, 'SQL_API_WARNING_CODE_UNSPECIFIED', 'Something about this listing'],
    ['code 9', { code: 9 }, 'APIWARNINGCODE_9', 'does not know'],
  ])(
    'fails the whole project, not judges it complete, when instances.list warns that %s',
    async (_case, warning, code, said) => {
      // Prepare
      const warned = warningAnswer([{ message: 'Something about this listing.', ...warning }]);
      ({ sim } = await startGcpSim(cloudSqlScenario([instance('db')]), { extraServices: [warned] }));
      warned.inner = sim.service('cloudSql');

      // The lean decoder and gax alike.
      for (const leanDecoding of [true, false]) {
        const clients = new GcpClientFactory({ endpoint: sim.endpoint, leanDecoding });
        try {
          // Act
          const reading = readCloudSqlPitrFacts(clients.cloudSql(), PROJECT, parsePolicy({}));

          // Assess
          await expect(reading).rejects.toBeInstanceOf(CloudApiError);
          await expect(reading).rejects.toMatchObject({ code, message: expect.stringContaining(said) });
        } finally {
          await clients.close();
        }
      }
    },
  );

  it('judges the listing when instances.list warns of something that is not about the listing (COMPROMISED_CREDENTIALS)', async () => {
    // Prepare: a warning Google documents for creating or updating a user, not for a listing.
    const warned = warningAnswer([{ code: 3, message: 'Credentials were compromised.' }]);
    ({ sim } = await startGcpSim(cloudSqlScenario([instance('db')]), { extraServices: [warned] }));
    warned.inner = sim.service('cloudSql');
    factory = new GcpClientFactory({ endpoint: sim.endpoint });

    // Act
    const facts = await readCloudSqlPitrFacts(factory.cloudSql(), PROJECT, parsePolicy({}));

    // Assess
    expect(facts.map((fact) => fact.resource.id)).toEqual(['db']);
  });

  /**
   * The simulator's answers to `path` with `nextPageToken` set to the first one it sent, for the
   * first `times` answers (so a reader that never notices ends after that many pages, instead of
   * hanging the test): the page after the first names the second page again.
   */
  function repeatingToken(path: RegExp, times = 20): SimService & { inner?: SimService } {
    let answered = 0;
    let first: unknown;
    return {
      name: 'repeating-token',
      matches: (request) => request.method === 'GET' && path.test(request.path),
      async handle(request, context) {
        const answer = await (this.inner as SimService).handle(request, context);
        answered += 1;
        const body = JSON.parse(String(answer.body)) as Record<string, unknown>;
        first ??= body.nextPageToken;
        if (answered > times || !first) return answer;
        body.nextPageToken = first;
        return { ...answer, body: JSON.stringify(body) };
      },
      throttled: () => ({ status: 500, body: '' }),
      serverError: () => ({ status: 500, body: '' }),
    };
  }

  it('fails the project, not reads it as complete, when instances.list answers with a page token it already sent', async () => {
    // Prepare: every answer names the same next page, so the pages after it are never read.
    const repeating = repeatingToken(new RegExp(`^/v1/projects/${PROJECT}/instances$`));
    const scenario = cloudSqlScenario([instance('a'), instance('b')], { maxPageSize: 1 });
    ({ sim } = await startGcpSim(scenario, { extraServices: [repeating] }));
    repeating.inner = sim.service('cloudSql');
    factory = new GcpClientFactory({ endpoint: sim.endpoint });

    // Act
    const reading = readCloudSqlPitrFacts(factory.cloudSql(), PROJECT, parsePolicy({}));

    // Assess
    await expect(reading).rejects.toMatchObject({
      code: 'RepeatedPageToken',
      message: expect.stringContaining(`instances.list for project ${PROJECT}`),
    });
  });

  it('leaves the window unknown, not a partial window, when backupRuns.list answers with a page token it already sent', async () => {
    // Prepare
    const repeating = repeatingToken(/\/backupRuns$/);
    const scenario = cloudSqlScenario(
      [
        instance('no-pitr', {
          backups: { pointInTimeRecovery: false },
          backupRuns: [{ end: '-1d' }, { end: '-2d' }],
        }),
      ],
      { maxPageSize: 1 },
    );
    ({ sim } = await startGcpSim(scenario, { extraServices: [repeating] }));
    repeating.inner = sim.service('cloudSql');
    factory = new GcpClientFactory({ endpoint: sim.endpoint });

    // Act
    const [fact] = await readCloudSqlPitrFacts(factory.cloudSql(), PROJECT, parsePolicy({}));

    // Assess
    expect(fact?.restoreWindow).toMatchObject({
      known: false,
      reason: expect.stringContaining('RepeatedPageToken'),
    });
  });

  it('retries throttled and unavailable reads and still reads every instance', async () => {
    // Prepare
    const names = ['db-1', 'db-2', 'db-3', 'db-4'];
    const scenario = cloudSqlScenario(names.map((name) => instance(name)));

    // Act
    const facts = await read(
      scenario,
      {},
      { faults: { throttleRate: 0.4, errorRate: 0.2, seed: 7, services: ['cloudSql'] } },
    );

    // Assess
    expect(facts.map((fact) => fact.resource.id).sort()).toEqual(names);
    expect(facts.every((fact) => fact.restoreWindow.known)).toBe(true);
    const faults = sim?.stats().faults;
    expect((faults?.throttled ?? 0) + (faults?.serverErrors ?? 0)).toBeGreaterThan(0);
  });
});

describe('labelForTag', () => {
  it('turns a policy tag into a valid GCP label when the key has a colon or capitals', () => {
    // Act / Assess
    expect(labelForTag({ key: 'certctl:backup-guard', value: 'enabled' })).toEqual({
      key: 'certctl-backup-guard',
      value: 'enabled',
    });
    expect(labelForTag({ key: 'Team/PKI', value: 'Core Team' })).toEqual({
      key: 'team-pki',
      value: 'core-team',
    });
  });
});

describe('toPitrFact retained backups', () => {
  it('keeps retainedBackups when retentionUnit is RETENTION_UNIT_UNSPECIFIED, which the API defines as COUNT', () => {
    // Prepare: the wire form, enum as its number (0 = RETENTION_UNIT_UNSPECIFIED).
    const unspecified = CLOUD_SQL_ENUMS.retentionUnit.RETENTION_UNIT_UNSPECIFIED;
    const answer = {
      name: 'db-1',
      settings: {
        backupConfiguration: {
          enabled: { value: true },
          backupRetentionSettings: { retentionUnit: unspecified, retainedBackups: { value: 14 } },
        },
      },
    } as unknown as DatabaseInstance;

    // Act
    const fact = toPitrFact(PROJECT, answer, { known: false, reason: 'not read' });

    // Assess
    expect(fact.cloudSql?.retainedBackups).toBe(14);
  });
});

describe('toPitrFact on values of the wrong JSON type', () => {
  it('reads wrapper and optional values of the wrong type as not sent, not as what they look like', () => {
    // Prepare: what a fake API or raw JSON may hand over uncleaned (the read clients clean it first).
    const answer = {
      name: 'db-1',
      state: 'RUNNABLE',
      settings: {
        deletionProtectionEnabled: { value: 'true' },
        retainBackupsOnDelete: 'true',
        finalBackupConfig: { enabled: 'true', retentionDays: 30 },
        backupConfiguration: {
          enabled: 'false',
          pointInTimeRecoveryEnabled: { value: 1 },
          transactionLogRetentionDays: { value: '30' },
          backupRetentionSettings: { retentionUnit: 'COUNT', retainedBackups: { value: 'many' } },
        },
      },
    } as unknown as DatabaseInstance;

    // Act
    const fact = toPitrFact(PROJECT, answer, { known: false, reason: 'not read' });

    // Assess
    expect(fact.automatedBackupsEnabled).toBeUndefined();
    expect(fact.pointInTimeRecoveryEnabled).toBeUndefined();
    expect(fact.retentionDays).toBeUndefined();
    expect(fact.cloudSql?.retainedBackups).toBeUndefined();
    // The delete-time protections are opt-in: not sent reads as off, as on both decoding paths,
    // and the fact names them as not sent.
    expect(fact.deletionProtection).toBe(false);
    expect(fact.cloudSql?.retainBackupsOnDelete).toBe(false);
    expect(fact.cloudSql?.finalBackupEnabled).toBe(false);
    expect(fact.cloudSql?.protectionsNotSet).toEqual([
      'settings.deletionProtectionEnabled',
      'settings.retainBackupsOnDelete',
      'settings.finalBackupConfig.enabled',
    ]);
  });
});

describe('toPitrFact status', () => {
  const answer = (activationPolicy: unknown): DatabaseInstance =>
    ({
      name: 'db-1',
      state: 'RUNNABLE',
      settings: { activationPolicy, backupConfiguration: { enabled: { value: true } } },
    }) as unknown as DatabaseInstance;

  it('reports a RUNNABLE instance whose activation policy is NEVER as STOPPED, what gcloud and the console show', () => {
    // Cloud SQL has no STOPPED state: a stopped instance stays RUNNABLE with activationPolicy NEVER.
    const never = CLOUD_SQL_ENUMS.activationPolicy.NEVER;
    expect(toPitrFact(PROJECT, answer('NEVER'), { known: false, reason: 'not read' }).status).toBe('STOPPED');
    expect(toPitrFact(PROJECT, answer(never), { known: false, reason: 'not read' }).status).toBe('STOPPED');
  });

  it('keeps the API state when the instance is set to run or the policy is unknown', () => {
    for (const policy of ['ALWAYS', 'ON_DEMAND', 'SQL_ACTIVATION_POLICY_UNSPECIFIED', undefined]) {
      expect(toPitrFact(PROJECT, answer(policy), { known: false, reason: 'not read' }).status).toBe(
        'RUNNABLE',
      );
    }
  });
});

describe('readCloudSqlPitrFacts with a getLatestRecoveryTime answer missing a field', () => {
  const NOW_FAKE = new Date('2026-03-01T12:00:00.000Z');
  const primary = {
    name: 'db-1',
    databaseVersion: 'POSTGRES_16',
    instanceType: 'CLOUD_SQL_INSTANCE',
    state: 'RUNNABLE',
    settings: {
      userLabels: { 'certctl-backup-guard': 'enabled' },
      backupConfiguration: {
        enabled: { value: true },
        pointInTimeRecoveryEnabled: { value: true },
        transactionalLogStorageState: 'CLOUD_STORAGE',
      },
    },
  } as unknown as DatabaseInstance;
  const apiAnswering = (answer: object): CloudSqlApi => ({
    instances: {
      list: async () => [{ items: [primary] }],
      getLatestRecoveryTime: async () => [answer],
    },
    backupRuns: {
      list: async () => {
        throw new Error('backupRuns.list must not be called for logs in Cloud Storage');
      },
    },
  });
  const policy = parsePolicy({ targets: { tags: [{ key: 'certctl:backup-guard', value: 'enabled' }] } });

  it('keeps the latestRecoveryTime the API sent when it sends no earliestRecoveryTime', async () => {
    // Prepare: earliestRecoveryTime is a newer field of the answer; latestRecoveryTime is the original.
    const latest = new Date(NOW_FAKE.getTime() - 3 * 60_000);
    const api = apiAnswering({ latestRecoveryTime: latest.toISOString() });

    // Act
    const [fact] = await readCloudSqlPitrFacts(api, PROJECT, policy, { now: () => NOW_FAKE });

    // Assess: the window's start is unknown, its end is what the API said.
    expect(fact?.restoreWindow).toEqual({
      known: true,
      earliest: undefined,
      latest,
      source: 'instances.getLatestRecoveryTime',
    });
    // The verdicts: the lag is measured from the time the API sent; the window's start is not judged.
    const context = { policy, now: NOW_FAKE };
    expect(fact && pitrLagCheck.evaluate(fact, context)?.status).toBe('PASSED');
    expect(fact && pitrWindowCheck.evaluate(fact, context)?.status).toBe('NOT_AVAILABLE');
  });

  it.each([
    [0, 'ENTERPRISE_PLUS', 'outside the 1-35 days the ENTERPRISE_PLUS edition keeps'],
    [40, 'ENTERPRISE_PLUS', 'outside the 1-35 days the ENTERPRISE_PLUS edition keeps'],
    [0, undefined, 'fewer than the 1 day every Cloud SQL edition keeps'],
  ])(
    'derives no logs-on-disk window from transactionLogRetentionDays=%s on %s, and pitr.window says so',
    async (days, edition, range) => {
      // Prepare: logs on disk, backups on, an automated backup 20 days old; the days are out of range.
      const onDisk = {
        ...primary,
        settings: {
          ...primary.settings,
          ...(edition ? { edition } : {}),
          backupConfiguration: {
            enabled: { value: true },
            pointInTimeRecoveryEnabled: { value: true },
            transactionalLogStorageState: 'DISK',
            transactionLogRetentionDays: { value: days },
          },
        },
      } as unknown as DatabaseInstance;
      const run = {
        status: 'SUCCESSFUL',
        type: 'AUTOMATED',
        endTime: new Date(NOW_FAKE.getTime() - 20 * DAY_MS).toISOString(),
      };
      const api: CloudSqlApi = {
        instances: {
          list: async () => [{ items: [onDisk] }],
          getLatestRecoveryTime: async () => {
            throw new Error('getLatestRecoveryTime must not be called for logs on disk');
          },
        },
        backupRuns: { list: async () => [{ items: [run] as never }] },
      };

      // Act
      const [fact] = await readCloudSqlPitrFacts(api, PROJECT, policy, { now: () => NOW_FAKE });
      const window = fact && pitrWindowCheck.evaluate(fact, { policy, now: NOW_FAKE });

      // Assess
      expect(fact?.restoreWindow).toMatchObject({ known: false });
      expect(window?.status).toBe('NOT_AVAILABLE');
      expect(window?.description).toContain(
        `the API sent transactionLogRetentionDays=${days}, ${range}, so no window is derived from it`,
      );
    },
  );

  it('leaves the window unknown when the answer has neither time', async () => {
    // Act
    const [fact] = await readCloudSqlPitrFacts(apiAnswering({}), PROJECT, policy, { now: () => NOW_FAKE });

    // Assess: an empty answer is no evidence of an empty window.
    expect(fact?.restoreWindow).toEqual({
      known: false,
      reason: 'instances.getLatestRecoveryTime returned neither earliestRecoveryTime nor latestRecoveryTime',
    });
  });
});

describe('toPitrFact backup location on the enhanced backup tier', () => {
  it('does not read backupConfiguration.location as where backups are when Backup and DR manages them', () => {
    // Prepare: backupTier ENHANCED (3), "Instance is managed by Google Cloud Backup and DR Service"; its
    // backups are stored in a Backup and DR backup vault, not in the standard tier's (multi-region)
    // backup location. No location set, as for most instances.
    const answer = {
      name: 'db-1',
      region: 'europe-west1',
      settings: {
        backupConfiguration: {
          enabled: { value: true },
          pointInTimeRecoveryEnabled: { value: true },
          backupTier: 3,
        },
      },
    } as unknown as DatabaseInstance;
    const policy = parsePolicy({ pitr: { requireCrossRegionBackup: true } });

    // Act
    const fact = toPitrFact(PROJECT, answer, { known: false, reason: 'not read' });
    const outcome = pitrCrossRegionCheck.evaluate(fact, { policy, now: new Date('2026-03-01T12:00:00Z') });

    // Assess: where the vault is was not read, so cross-region storage is not proven.
    expect(fact.crossRegionBackupTargets).toBeUndefined();
    expect(fact.resource.backupTier).toBe('ENHANCED');
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('Backup and DR');
  });

  it('keeps reading the backup location on the standard tier', () => {
    // Prepare
    const answer = {
      name: 'db-1',
      region: 'europe-west1',
      settings: { backupConfiguration: { enabled: { value: true }, backupTier: 'STANDARD', location: 'eu' } },
    } as unknown as DatabaseInstance;

    // Act
    const fact = toPitrFact(PROJECT, answer, { known: false, reason: 'not read' });

    // Assess
    expect(fact.crossRegionBackupTargets).toEqual(['eu']);
    expect(fact.resource.backupTier).toBe('STANDARD');
  });
});

describe('listInstances when the Cloud SQL Admin API is disabled in the project', () => {
  it('names enabling the API as the fix, not a role the service account already has', async () => {
    // Prepare: what gax makes of the answer for a disabled API: PERMISSION_DENIED (7) with the
    // ErrorInfo reason SERVICE_DISABLED.
    const disabled = Object.assign(
      new Error(
        'Cloud SQL Admin API has not been used in project 123456789012 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/sqladmin.googleapis.com/overview?project=123456789012 then retry.',
      ),
      { code: 7, reason: 'SERVICE_DISABLED', domain: 'googleapis.com' },
    );
    const api = {
      list: async () => {
        throw disabled;
      },
      getLatestRecoveryTime: async () => [{}],
    } as unknown as CloudSqlApi['instances'];

    // Act
    const listing = listInstances(api, PROJECT);

    // Assess: the scope still fails as a whole, and says what to do.
    await expect(listing).rejects.toBeInstanceOf(CloudApiError);
    await expect(listing).rejects.toThrow(
      `the sqladmin.googleapis.com API is not enabled on project ${PROJECT}: enable it (\`gcloud services enable sqladmin.googleapis.com --project ${PROJECT}\`)`,
    );
    await expect(listing).rejects.not.toThrow('roles/cloudsql.viewer');
  });
});

describe('listInstances when a page repeats an instance', () => {
  const healthy = {
    name: 'db-1',
    databaseVersion: 'POSTGRES_16',
    settings: {
      backupConfiguration: { enabled: { value: true }, pointInTimeRecoveryEnabled: { value: true } },
    },
  } as unknown as DatabaseInstance;
  const pitrOff = {
    ...healthy,
    settings: {
      backupConfiguration: { enabled: { value: true }, pointInTimeRecoveryEnabled: { value: false } },
    },
  } as unknown as DatabaseInstance;

  /** Two pages: `first` then `second`, as a listing that changed while it was paged may send them. */
  function pages(first: DatabaseInstance, second: DatabaseInstance): CloudSqlApi['instances'] {
    return {
      list: async (request: { pageToken?: string }) =>
        request.pageToken ? [{ items: [second] }] : [{ items: [first], nextPageToken: 'page-2' }],
      getLatestRecoveryTime: async () => [{}],
    } as unknown as CloudSqlApi['instances'];
  }

  it('fails the listing, not one of two verdicts, when the two copies of the instance differ', async () => {
    // Act
    const listing = listInstances(pages(healthy, pitrOff), PROJECT);

    // Assess: two facts of one instance would give two findings of one Id, the later one winning.
    await expect(listing).rejects.toBeInstanceOf(CloudApiError);
    await expect(listing).rejects.toThrow('listed instance db-1 twice, and the two copies differ');
  });

  it('keeps one instance when the listing sends the same instance twice', async () => {
    // Act
    const listed = await listInstances(pages(healthy, { ...healthy }), PROJECT);

    // Assess
    expect(listed.map((instance) => instance.name)).toEqual(['db-1']);
  });
});

describe('readCloudSqlPitrFacts when one per-instance read is refused', () => {
  it('names the permission of the refused backupRuns.list, not the one of getLatestRecoveryTime', async () => {
    // Prepare: PITR off, so the window comes from backupRuns.list, which the role lacks
    // (cloudsql.backupRuns.list) while instances.list (cloudsql.instances.list) answered.
    const primary = {
      name: 'db-1',
      databaseVersion: 'POSTGRES_16',
      instanceType: 'CLOUD_SQL_INSTANCE',
      settings: {
        userLabels: { 'certctl-backup-guard': 'enabled' },
        backupConfiguration: { enabled: { value: true }, pointInTimeRecoveryEnabled: { value: false } },
      },
    } as unknown as DatabaseInstance;
    const api: CloudSqlApi = {
      instances: {
        list: async () => [{ items: [primary] }],
        getLatestRecoveryTime: async () => [{}],
      },
      backupRuns: {
        list: async () => {
          throw Object.assign(new Error('The client is not authorized to make this request.'), { code: 7 });
        },
      },
    };
    const policy = parsePolicy({ targets: { tags: [{ key: 'certctl:backup-guard', value: 'enabled' }] } });
    const now = new Date('2026-03-01T12:00:00.000Z');

    // Act
    const [fact] = await readCloudSqlPitrFacts(api, PROJECT, policy, { now: () => now });
    const outcome = fact && pitrWindowCheck.evaluate(fact, { policy, now });

    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.remediationText).toContain('cloudsql.backupRuns.list');
    expect(outcome?.remediationText).not.toContain('cloudsql.instances.get');
  });
});

describe('readCloudSqlPitrFacts when a VPC Service Controls perimeter refuses backupRuns.list', () => {
  it('says what refused it and what to do, not a role: no role fixes it', async () => {
    // Prepare: gax's PERMISSION_DENIED (7) with the ErrorInfo reason SECURITY_POLICY_VIOLATED.
    const primary = {
      name: 'db-1',
      databaseVersion: 'POSTGRES_16',
      instanceType: 'CLOUD_SQL_INSTANCE',
      settings: {
        userLabels: { 'certctl-backup-guard': 'enabled' },
        backupConfiguration: { enabled: { value: true }, pointInTimeRecoveryEnabled: { value: false } },
      },
    } as unknown as DatabaseInstance;
    const api: CloudSqlApi = {
      instances: { list: async () => [{ items: [primary] }], getLatestRecoveryTime: async () => [{}] },
      backupRuns: {
        list: async () => {
          throw Object.assign(new Error("Request is prohibited by organization's policy."), {
            code: 7,
            reason: 'SECURITY_POLICY_VIOLATED',
            errorInfoMetadata: { uid: 'abc-123' },
          });
        },
      },
    };

    // Act
    const policy = parsePolicy({ targets: { tags: [{ key: 'certctl:backup-guard', value: 'enabled' }] } });
    const [fact] = await readCloudSqlPitrFacts(api, PROJECT, policy, {
      now: () => new Date('2026-03-01T12:00:00.000Z'),
    });

    // Assess
    expect(fact?.restoreWindow).toMatchObject({
      known: false,
      reason:
        "backupRuns.list was refused (SECURITY_POLICY_VIOLATED: Request is prohibited by organization's policy): a VPC Service Controls perimeter refused the call to the sqladmin.googleapis.com API (unique id abc-123 in its audit log): call it from inside the perimeter or allow it with an ingress rule",
    });
  });
});

describe('readCloudSqlPitrFacts when a per-instance read is refused for a reason no role fixes', () => {
  /** An instance with PITR `pitr`, its per-instance reads refused with PERMISSION_DENIED of ErrorInfo `reason`. */
  function refusedApi(pitr: boolean, reason: string, metadata: Record<string, string>): CloudSqlApi {
    const primary = {
      name: 'db-1',
      databaseVersion: 'POSTGRES_16',
      instanceType: 'CLOUD_SQL_INSTANCE',
      settings: {
        userLabels: { 'certctl-backup-guard': 'enabled' },
        backupConfiguration: {
          enabled: { value: true },
          pointInTimeRecoveryEnabled: { value: pitr },
          transactionLogRetentionDays: { value: 7 },
          transactionalLogStorageState: 'CLOUD_STORAGE',
        },
      },
    } as unknown as DatabaseInstance;
    const refused = async (): Promise<never> => {
      throw Object.assign(new Error('refused'), { code: 7, reason, errorInfoMetadata: metadata });
    };
    return {
      instances: { list: async () => [{ items: [primary] }], getLatestRecoveryTime: refused },
      backupRuns: { list: refused },
    };
  }

  it.each([
    [
      'a VPC Service Controls perimeter refuses backupRuns.list (PITR off)',
      false,
      'SECURITY_POLICY_VIOLATED',
      { uid: 'abc-123' },
      'A VPC Service Controls perimeter refused the call to the sqladmin.googleapis.com API (unique id abc-123 in its audit log): call it from inside the perimeter or allow it with an ingress rule, then run the audit again.',
    ],
    [
      'the Cloud SQL Admin API is disabled for getLatestRecoveryTime (PITR on)',
      true,
      'SERVICE_DISABLED',
      { service: 'sqladmin.googleapis.com', consumer: `projects/${PROJECT}` },
      `The sqladmin.googleapis.com API is not enabled on project ${PROJECT}: enable it (\`gcloud services enable sqladmin.googleapis.com --project ${PROJECT}\`), then run the audit again.`,
    ],
  ])(
    'advises what fixes the refusal, not a grant, when %s',
    async (_when, pitr, reason, metadata, remedy) => {
      // Prepare
      const policy = parsePolicy({ targets: { tags: [{ key: 'certctl:backup-guard', value: 'enabled' }] } });
      const now = new Date('2026-03-01T12:00:00.000Z');

      // Act
      const [fact] = await readCloudSqlPitrFacts(refusedApi(pitr, reason, metadata), PROJECT, policy, {
        now: () => now,
      });
      const window = fact && pitrWindowCheck.evaluate(fact, { policy, now });
      const lag = fact && pitrLagCheck.evaluate(fact, { policy, now });

      // Assess: not a refusal of permission, and the findings say what does fix it.
      expect(fact?.restoreWindow).toMatchObject({ known: false, accessDenied: false });
      expect(fact?.restoreWindow).not.toHaveProperty('permission');
      expect(window?.status).toBe('NOT_AVAILABLE');
      expect(window?.remediationText).toBe(remedy);
      expect(window?.remediationText).not.toContain('Grant');
      expect(lag).toMatchObject({ status: 'NOT_AVAILABLE', remediationText: remedy });
    },
  );
});

describe('readCloudSqlPitrFacts and backup runs older than the instance', () => {
  const now = new Date('2026-03-01T12:00:00.000Z');
  const ago = (days: number) => new Date(now.getTime() - days * DAY_MS).toISOString();
  const policy = parsePolicy({ targets: { tags: [{ key: 'certctl:backup-guard', value: 'enabled' }] } });

  /**
   * The pitr.window and pitr.lag outcomes of a PITR-off instance listed with `createTime` (absent:
   * not sent) whose successful automated runs ended `runDaysAgo` days ago, and its fact.
   */
  async function judged(
    createTime: string | undefined,
    runDaysAgo: readonly number[],
    settings: Record<string, unknown> = {
      backupConfiguration: {
        enabled: { value: true },
        pointInTimeRecoveryEnabled: { value: false },
        backupRetentionSettings: { retentionUnit: 'COUNT', retainedBackups: { value: 40 } },
      },
    },
  ) {
    const primary = {
      name: 'db-1',
      databaseVersion: 'POSTGRES_16',
      instanceType: 'CLOUD_SQL_INSTANCE',
      state: 'RUNNABLE',
      ...(createTime === undefined ? {} : { createTime }),
      settings: { userLabels: { 'certctl-backup-guard': 'enabled' }, ...settings },
    } as unknown as DatabaseInstance;
    const runs = runDaysAgo.map((days) => ({ status: 'SUCCESSFUL', type: 'AUTOMATED', endTime: ago(days) }));
    const api: CloudSqlApi = {
      instances: { list: async () => [{ items: [primary] }], getLatestRecoveryTime: async () => [{}] },
      backupRuns: { list: async () => [{ items: runs as BackupRun[] }] },
    };
    const [fact] = await readCloudSqlPitrFacts(api, PROJECT, policy, { now: () => now });
    return {
      fact,
      window: fact && pitrWindowCheck.evaluate(fact, { policy, now }),
      lag: fact && pitrLagCheck.evaluate(fact, { policy, now }),
    };
  }

  it('does not count a backup run taken before the instance was created toward its backup-only window', async () => {
    // Prepare: the name was reused ("the deleted instance name can be reused immediately",
    // cloud.google.com/sql/docs/postgres/delete-instance); a run from before this instance's
    // createTime is of the earlier instance of that name (functions/actions/snapshot/identity.ts).
    // Act
    const { fact, window } = await judged(ago(10), [1, 9, 39]);

    // Assess: the window starts at this instance's oldest backup, so it cannot pass 30 days.
    expect(fact?.restoreWindow).toMatchObject({ known: true, earliest: new Date(ago(9)) });
    expect(window?.status).not.toBe('PASSED');
  });

  it('could not evaluate a backup-only window long enough only by runs that may be of an earlier instance, when createTime was not sent', async () => {
    // Prepare: the same runs, the instance listed without its createTime (output only, not always
    // sent): the 39-day-old run may be of an earlier instance of that name.
    // Act
    const { window } = await judged(undefined, [1, 9, 39]);

    // Assess
    expect(window?.status).toBe('NOT_AVAILABLE');
    expect(window?.description).toContain(
      'the instance was listed without its createTime, so its backup runs cannot be told to be of this instance rather than of an earlier one of that name',
    );
    expect(window?.observed).toMatchObject({ windowDays: null, windowDaysAtMost: 39 });
    expect(window?.remediationText).toContain(
      'gcloud sql instances describe db-1 --project=certctl-prod --format="value(createTime)"',
    );
  });

  it('still judges a backup-only window short of the target even counting runs that may be of an earlier instance, when createTime was not sent', async () => {
    // Prepare: at most 9 days, whichever instance the runs are of: short of 30 either way.
    // Act
    const { window } = await judged(undefined, [1, 9]);

    // Assess: the window's own verdict (still filling, 9 of 30 days), not could-not-evaluate.
    expect(window?.status).toBe('WARNING');
    expect(window?.description).toContain('9.0 of 30 days accrued');
  });

  it('says beside a window derived from logs on disk that its base backup may be of an earlier instance, when createTime was not sent', async () => {
    // Prepare: point-in-time recovery on, its logs on disk, 35 days kept (ENTERPRISE_PLUS): the
    // window starts at the later of the oldest run (40 days) and the log days, and the run it
    // starts from may be an earlier instance's.
    const onDisk = {
      edition: 'ENTERPRISE_PLUS',
      backupConfiguration: {
        enabled: { value: true },
        pointInTimeRecoveryEnabled: { value: true },
        transactionalLogStorageState: 'DISK',
        transactionLogRetentionDays: { value: 35 },
        backupRetentionSettings: { retentionUnit: 'COUNT', retainedBackups: { value: 40 } },
      },
    };

    // Act
    const unsent = await judged(undefined, [1, 40], onDisk);
    const listed = await judged(ago(100), [1, 40], onDisk);

    // Assess
    expect(unsent.window?.status).toBe('NOT_AVAILABLE');
    expect(unsent.window?.description).toContain(
      'Besides, the instance was listed without its createTime, so its backup runs cannot be told',
    );
    expect(listed.window?.description).not.toContain('createTime');
  });

  it('could not evaluate the newest automated backup’s age when createTime was not sent, as it may be of an earlier instance', async () => {
    // Prepare: a run a day old, which may be the last of an instance deleted since; this one may
    // have none.
    // Act
    const { lag } = await judged(undefined, [1, 9]);
    const listed = await judged(ago(10), [1, 9]);

    // Assess
    expect(lag?.status).toBe('NOT_AVAILABLE');
    expect(lag?.description).toContain('the instance was listed without its createTime');
    expect(listed.lag?.status).toBe('PASSED');
  });
});

describe('skipReason with an instance type newer than the library', () => {
  const unknownType = 99;
  /** Typed loosely on purpose: the wire can carry a number the generated types do not list. */
  const postgres = (fields: { instanceType: number | string; masterInstanceName?: string }) =>
    ({ name: 'db-new', databaseVersion: 'POSTGRES_16', ...fields }) as unknown as DatabaseInstance;

  it('audits an instance whose instanceType the protos do not know instead of dropping it silently', () => {
    // Prepare: a number not in SqlInstanceType, as gax leaves a value newer than its protos.
    expect(Object.values(CLOUD_SQL_ENUMS.instanceType)).not.toContain(unknownType);

    // Act
    const reason = skipReason(postgres({ instanceType: unknownType }));

    // Assess
    expect(reason).toBeUndefined();
  });

  it('names the unknown type in every PITR finding of the instance, so a reader can tell it may not be a primary', () => {
    // Prepare: the audited instance's fact, judged by every PITR check (cross-region on).
    const context = contextWith({ pitr: { requireCrossRegionBackup: true } });
    const window = { known: false, reason: 'not read' } as const;
    const unknown = toPitrFact(PROJECT, postgres({ instanceType: unknownType }), window);
    const known = toPitrFact(PROJECT, postgres({ instanceType: 'CLOUD_SQL_INSTANCE' }), window);

    // Act
    const descriptions = (fact: typeof unknown) =>
      pitrChecks.flatMap((check) => check.evaluate(fact, context)?.description ?? []);

    // Assess
    expect(descriptions(unknown)).toHaveLength(pitrChecks.length);
    for (const description of descriptions(unknown)) {
      expect(description).toContain(`instanceType INSTANCETYPE_${unknownType}`);
    }
    for (const description of descriptions(known)) expect(description).not.toContain('instanceType');
  });

  it('still skips such an instance as a replica when it names its primary', () => {
    // Act
    const reason = skipReason(postgres({ instanceType: unknownType, masterInstanceName: 'p:primary' }));

    // Assess
    expect(reason).toBe('replica of p:primary');
  });

  it('keeps skipping the instance types the protos know are not primaries', () => {
    // Act
    const reasons = ['READ_POOL_INSTANCE', 'ON_PREMISES_INSTANCE', 'GREEN_INSTANCE'].map((type) =>
      skipReason(postgres({ instanceType: type })),
    );

    // Assess
    expect(reasons).toEqual([
      'instance type READ_POOL_INSTANCE',
      'instance type ON_PREMISES_INSTANCE',
      'instance type GREEN_INSTANCE',
    ]);
  });
});

describe('toPitrFact edition', () => {
  it('does not call an instance whose edition the protos do not know one without an edition, capped at 7 days', () => {
    // Prepare: settings.edition is a number the protos do not list (an edition newer than the
    // library; gax leaves it a number). The instance keeps 30 days of logs, which the API accepted.
    const answer = {
      name: 'db-1',
      region: 'europe-west1',
      state: 'RUNNABLE',
      settings: {
        edition: 9,
        backupConfiguration: {
          enabled: { value: true },
          pointInTimeRecoveryEnabled: { value: true },
          transactionLogRetentionDays: { value: 30 },
          backupRetentionSettings: { retentionUnit: 'COUNT', retainedBackups: { value: 31 } },
        },
      },
    } as unknown as DatabaseInstance;

    // Act
    const fact = toPitrFact(PROJECT, answer, { known: false, reason: 'not read' });
    const outcome = pitrRetentionCheck.evaluate(fact, contextWith());

    // Assess: no 7-day cap is proven for an edition the tool does not know; the 30 days are judged.
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).not.toContain('impossible');
    expect(outcome?.description).not.toContain('without an edition');
    expect(outcome?.description).toContain('EDITION_9, an edition this tool does not know');
    expect(outcome?.observed).toMatchObject({ edition: 'EDITION_9', maxRetentionDaysOnEdition: null });
  });

  it('says an unknown edition cap is not known when the log days fall short', () => {
    // Prepare
    const answer = {
      name: 'db-1',
      settings: {
        edition: 'EDITION_NEWER',
        backupConfiguration: {
          enabled: { value: true },
          pointInTimeRecoveryEnabled: { value: true },
          transactionLogRetentionDays: { value: 10 },
          backupRetentionSettings: { retentionUnit: 'COUNT', retainedBackups: { value: 31 } },
        },
      },
    } as unknown as DatabaseInstance;

    // Act
    const outcome = pitrRetentionCheck.evaluate(
      toPitrFact(PROJECT, answer, { known: false, reason: 'not read' }),
      contextWith(),
    );

    // Assess: FAILED on the 10 days sent, with the log-days fix, not "impossible".
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('it keeps 10 days of transaction logs');
    expect(outcome?.description).not.toContain('impossible');
    expect(outcome?.remediationText).toContain('--retained-transaction-log-days=30');
  });
});

describe('toPitrFact without settings', () => {
  it('does not call the target impossible on an instance whose answer sent no settings, and so no edition', () => {
    // Prepare: the answer left settings out (gax decodes it as null): its edition was not sent, which
    // is not an instance from before editions (EDITION_UNSPECIFIED, sent in settings or defaulted there).
    const answer = {
      name: 'db-1',
      region: 'europe-west1',
      state: 'RUNNABLE',
      settings: null,
    } as unknown as DatabaseInstance;

    // Act
    const outcome = pitrRetentionCheck.evaluate(
      toPitrFact(PROJECT, answer, { known: false, reason: 'not read' }),
      contextWith(),
    );

    // Assess: nothing of the retention was sent, so nothing is judged.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).not.toContain('impossible');
    expect(outcome?.description).not.toContain('ENTERPRISE-class');
    expect(outcome?.observed).toMatchObject({ maxRetentionDaysOnEdition: null });
  });
});

describe('toPitrFact retention unit', () => {
  it('says the retained backups came in a unit the tool does not know, not that the API did not send them', () => {
    // Prepare: backupRetentionSettings with a retentionUnit the protos do not list (only COUNT is
    // documented), so the 31 is not a number of backups the tool can judge.
    const answer = {
      name: 'db-1',
      state: 'RUNNABLE',
      settings: {
        edition: 'ENTERPRISE_PLUS',
        backupConfiguration: {
          enabled: { value: true },
          pointInTimeRecoveryEnabled: { value: true },
          transactionLogRetentionDays: { value: 30 },
          backupRetentionSettings: { retentionUnit: 5, retainedBackups: { value: 31 } },
        },
      },
    } as unknown as DatabaseInstance;

    // Act
    const fact = toPitrFact(PROJECT, answer, { known: false, reason: 'not read' });
    const outcome = pitrRetentionCheck.evaluate(fact, contextWith());

    // Assess
    expect(fact.cloudSql?.retainedBackups).toBeUndefined();
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('retentionUnit RETENTIONUNIT_5, a unit this tool does not know');
    expect(outcome?.remediationText).not.toContain('did not send');
  });
});

describe('readCloudSqlPitrFacts on backup runs the API did not date', () => {
  const at = (daysAgo: number) => ({ seconds: String(NOW.getTime() / 1000 - daysAgo * 86_400) });
  /** One target instance whose backupRuns.list answers `runs`. */
  function apiWith(backupConfiguration: DatabaseInstance['settings'], runs: BackupRun[]): CloudSqlApi {
    return {
      instances: {
        list: async () => [
          {
            items: [
              {
                name: 'db',
                databaseVersion: 'POSTGRES_16',
                settings: { userLabels: { 'certctl-backup-guard': 'enabled' }, ...backupConfiguration },
              },
            ],
          },
        ],
        getLatestRecoveryTime: () => Promise.reject(new Error('not called')),
      },
      backupRuns: { list: async () => [{ items: runs }] },
    };
  }
  const PITR_OFF = {
    backupConfiguration: { enabled: { value: true }, pointInTimeRecoveryEnabled: { value: false } },
  };

  it('leaves the PITR-off window unknown, not dated by its backup window, when a successful run has neither endTime nor startTime', async () => {
    // Prepare: the newest run carries neither endTime nor startTime; the API may still send its
    // windowStartTime, the start of the 4-hour window its backup was attempted in ("Backups can
    // start any time during the backup window"), which the read view does not decode.
    const api = apiWith(PITR_OFF, [
      { status: 'SUCCESSFUL', type: 'AUTOMATED' },
      { status: 'SUCCESSFUL', type: 'AUTOMATED', endTime: at(2) },
    ]);
    // Act
    const [fact] = await readCloudSqlPitrFacts(api, PROJECT, parsePolicy({}));
    // Assess: before, the window's newest point was the window start, up to 4 hours early.
    expect(fact?.restoreWindow).toEqual({
      known: false,
      reason:
        'backupRuns.list sent 1 SUCCESSFUL AUTOMATED run with neither endTime nor startTime (its windowStartTime is only the start of the 4-hour window the backup was attempted in), so the oldest and newest backups are not known',
    });
  });

  it('dates a run that sent only its startTime by it', async () => {
    const api = apiWith(PITR_OFF, [
      { status: 'SUCCESSFUL', type: 'AUTOMATED', startTime: at(1) },
      { status: 'SUCCESSFUL', type: 'AUTOMATED', endTime: at(2) },
    ]);
    const [fact] = await readCloudSqlPitrFacts(api, PROJECT, parsePolicy({}));
    expect(fact?.restoreWindow).toMatchObject({ known: true, latest: new Date(NOW.getTime() - DAY_MS) });
  });

  it('bounds a logs-on-disk window without the undated run only when the log days bound it anyway', async () => {
    // Prepare: logs on disk, 7 days of them; the oldest dated automated backup is 10 or 2 days old.
    const disk = {
      backupConfiguration: {
        enabled: { value: true },
        pointInTimeRecoveryEnabled: { value: true },
        transactionalLogStorageState: 'DISK' as const,
        transactionLogRetentionDays: { value: 7 },
      },
    };
    const undated: BackupRun = { status: 'SUCCESSFUL', type: 'AUTOMATED' };
    const read = (oldestDays: number) =>
      readCloudSqlPitrFacts(
        apiWith(disk, [undated, { status: 'SUCCESSFUL', type: 'AUTOMATED', endTime: at(oldestDays) }]),
        PROJECT,
        parsePolicy({}),
        { now: () => NOW },
      );
    // Act
    const [[bounded], [unbounded]] = await Promise.all([read(10), read(2)]);
    // Assess: the undated run could be the oldest, which only matters inside the log days.
    expect(bounded?.restoreWindow).toMatchObject({
      known: true,
      earliest: new Date(NOW.getTime() - 7 * DAY_MS),
    });
    expect(unbounded?.restoreWindow).toMatchObject({ known: false });
  });
});

describe('toPitrFact finalBackupConfig.retentionDays', () => {
  const answer = (retentionDays: number, backupTier?: string): DatabaseInstance =>
    ({
      name: 'db-1',
      settings: {
        retainBackupsOnDelete: { value: false },
        finalBackupConfig: { enabled: true, retentionDays },
        backupConfiguration: { enabled: { value: true }, ...(backupTier ? { backupTier } : {}) },
      },
    }) as unknown as DatabaseInstance;
  const read = (days: number, tier?: string) =>
    toPitrFact(PROJECT, answer(days, tier), { known: false, reason: 'not read' }).cloudSql;

  it('reads days outside the documented 1-365 as not sent, saying what was sent', () => {
    for (const days of [0, -3, 366, 500]) {
      const cloudSql = read(days);
      expect(cloudSql?.finalBackupRetentionDays).toBeUndefined();
      expect(cloudSql?.finalBackupRetentionImpossible).toBe(
        `the API sent settings.finalBackupConfig.retentionDays=${days}, outside the 1-365 days Cloud SQL keeps a final backup`,
      );
    }
  });

  it('keeps days inside the range, and up to 99 years on an instance Backup and DR manages', () => {
    expect(read(1)?.finalBackupRetentionDays).toBe(1);
    expect(read(365)?.finalBackupRetentionDays).toBe(365);
    expect(read(365)?.finalBackupRetentionImpossible).toBeUndefined();
    expect(read(500, 'ENHANCED')?.finalBackupRetentionDays).toBe(500);
    expect(read(0, 'ENHANCED')?.finalBackupRetentionImpossible).toBe(
      'the API sent settings.finalBackupConfig.retentionDays=0, outside the 1 day to 99 years Cloud SQL keeps a final backup of an instance Backup and DR manages',
    );
  });
});

describe('readCloudSqlPitrFacts with the transaction logs on disk', () => {
  /** An ENTERPRISE primary keeping 7 days of logs on its disk, with 20 daily automated backups. */
  function diskLogs(logDays: number): { api: CloudSqlApi; now: Date } {
    const now = new Date('2026-03-01T12:00:00.000Z');
    const ago = (days: number) => new Date(now.getTime() - days * DAY_MS).toISOString();
    const primary = {
      name: 'db-1',
      databaseVersion: 'POSTGRES_16',
      instanceType: 'CLOUD_SQL_INSTANCE',
      state: 'RUNNABLE',
      createTime: ago(400),
      settings: {
        edition: 'ENTERPRISE',
        userLabels: { 'certctl-backup-guard': 'enabled' },
        backupConfiguration: {
          enabled: { value: true },
          pointInTimeRecoveryEnabled: { value: true },
          transactionLogRetentionDays: { value: logDays },
          transactionalLogStorageState: 'DISK',
          backupRetentionSettings: { retentionUnit: 'COUNT', retainedBackups: { value: 20 } },
        },
      },
    } as unknown as DatabaseInstance;
    const runs = Array.from({ length: 20 }, (_, day) => ({
      status: 'SUCCESSFUL',
      type: 'AUTOMATED',
      endTime: ago(day + 0.5),
    }));
    const api: CloudSqlApi = {
      instances: {
        list: async () => [{ items: [primary] }],
        getLatestRecoveryTime: async () => {
          throw new Error('getLatestRecoveryTime is not called for logs on disk');
        },
      },
      backupRuns: { list: async () => [{ items: runs as BackupRun[] }] },
    };
    return { api, now };
  }

  it('does not pass a restore window it derived from the log retention setting rather than read', async () => {
    // Prepare: 7 log days and backups 20 days back derive a 7-day window; whether the logs really
    // reach back 7 days (point-in-time recovery turned on, or the log days raised, since) no API says.
    const { api, now } = diskLogs(7);
    const policy = parsePolicy({
      pitr: { minPitrDays: 7 },
      targets: { tags: [{ key: 'certctl:backup-guard', value: 'enabled' }] },
    });

    // Act
    const [fact] = await readCloudSqlPitrFacts(api, PROJECT, policy, { now: () => now });
    const outcome = fact && pitrWindowCheck.evaluate(fact, { policy, now });

    // Assess
    expect(fact?.restoreWindow).toMatchObject({
      known: true,
      earliest: new Date(now.getTime() - 7 * DAY_MS),
    });
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('transactionalLogStorageState=DISK');
    expect(outcome?.remediationText).toContain('--switch-transaction-logs-to-cloud-storage');
  });

  it('still fails a window the log retention setting keeps shorter than the target', async () => {
    // Prepare: 3 log days: the real window is no longer than the 3 days derived.
    const { api, now } = diskLogs(3);
    const policy = parsePolicy({
      pitr: { minPitrDays: 7 },
      targets: { tags: [{ key: 'certctl:backup-guard', value: 'enabled' }] },
    });

    // Act
    const [fact] = await readCloudSqlPitrFacts(api, PROJECT, policy, { now: () => now });
    const outcome = fact && pitrWindowCheck.evaluate(fact, { policy, now });

    // Assess
    expect(outcome?.status).toBe('FAILED');
  });
});
